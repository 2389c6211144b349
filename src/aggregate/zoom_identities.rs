//! Which of a run's identities are one person, worked out key epoch by key
//! epoch, for `zoom_people`.
//!
//! Identities are only ever joined through a row, and every pseudonym of
//! a row is made under one key epoch, its meeting's anchor's
//! (`ZoomVeil::participation_in`); a sign-in's under its own time's. So no
//! person spans two epochs, and the union-find over a run's million
//! identities splits into one per epoch: each small enough to be built and
//! searched in cache, where one over all of them missed it at nearly every
//! step, and the epochs spread over the run's threads, where the unions of
//! one ran on a single thread. Within an epoch the work is serial, but
//! for an epoch of hundreds of thousands of rows (a run of one epoch,
//! `epoch = "never"`), whose lookups miss the cache as the single
//! union-find's did: its slots are looked up on the run's threads.
//!
//! What the tables see is kept exactly: a person is named by its smallest
//! pseudonym, and its dense id is its rank among all the run's people, as
//! one union-find over all epochs gives; one index of all the epochs'
//! people ranks them. (Where two identifiers of different epochs collide,
//! a chance of some 10^-8 among a million 64-bit pseudonyms, one
//! union-find over all joined their people; this may not.)

use rayon::prelude::*;

use super::zoom::Row;
use super::zoom_index::PseudonymIndex;
use crate::privacy::pseudonym::Pseudonym;
use crate::privacy::zoom::VeiledSignIn;

/// Disjoint sets over the pseudonyms of one epoch's rows. The pseudonyms
/// are held sorted, so a set's smallest member is the one of lowest index,
/// and a union always keeps the lower root: the root names the set. A
/// sorted vector and a parent index each cost 12 bytes a pseudonym, where
/// a hash map, its parents and smallest members cost some 40 with its
/// growth.
#[derive(Debug, Default)]
struct Components {
    ids: PseudonymIndex,
    parent: Vec<u32>,
    // Each root's rank among the epoch's roots, once flattened.
    rank: Vec<u32>,
}

/// The identities of a row: its e-mail's and name's pseudonyms, and its
/// person's when it is neither, so that every row's person has a slot.
fn identities(p: &Row) -> impl Iterator<Item = Pseudonym> {
    let (email, name) = (p.email_id(), p.name_id());
    let own = (email != Some(p.person) && name != Some(p.person)).then_some(p.person);
    [email, name, own].into_iter().flatten()
}

/// `buf` cut into consecutive pieces of `lens` (the last ones short if it
/// runs out), for the run's threads to fill.
fn split<T>(buf: &mut [T], lens: impl IntoIterator<Item = usize>) -> Vec<&mut [T]> {
    let mut rest = buf;
    lens.into_iter()
        .map(|len| {
            let k = len.min(rest.len());
            let (piece, tail) = std::mem::take(&mut rest).split_at_mut(k);
            rest = tail;
            piece
        })
        .collect()
}

/// Rows of an epoch from which its identities are gathered and its slots
/// looked up on the run's threads: a few hundred thousand rows'
/// identities outgrow the cache.
const PARALLEL_ROWS: usize = 1 << 18;

impl Components {
    /// The sets over the identities of `runs`' rows, each row's joined,
    /// and each row's person's slot, the rows in order. The rows are read
    /// twice, an epoch's mostly still cached the second time.
    fn of(runs: &[&mut [Row]]) -> (Self, Vec<u32>) {
        let (mut sets, n) = Components::unjoined(runs);
        let slots = if n < PARALLEL_ROWS {
            sets.join_in_turn(runs)
        } else {
            sets.join_on_threads(runs, n)
        };
        sets.flatten();
        (sets, slots)
    }

    /// The sets of the identities of `runs`' rows, none joined yet, and
    /// how many rows there are.
    fn unjoined(runs: &[&mut [Row]]) -> (Self, usize) {
        let n: usize = runs.iter().map(|run| run.len()).sum();
        let ids = if n < PARALLEL_ROWS {
            // Most rows hold two identities: room for as many, grown only
            // by rows of three.
            let mut ids = Vec::with_capacity(n.saturating_mul(2));
            ids.extend(runs.iter().flat_map(|run| run.iter()).flat_map(identities));
            ids
        } else {
            // Counted first, then filled in place on the run's threads:
            // collected blind, the vector would grow by doubling to up to
            // twice the millions of ids it holds, at the run's peak.
            let counts: Vec<usize> = runs
                .par_iter()
                .map(|run| run.iter().map(|p| identities(p).count()).sum())
                .collect();
            let mut ids = vec![Pseudonym::UNKNOWN; counts.iter().sum()];
            let outs = split(&mut ids, counts);
            runs.par_iter().zip(outs).for_each(|(run, out)| {
                for (slot, id) in out.iter_mut().zip(run.iter().flat_map(identities)) {
                    *slot = id;
                }
            });
            ids
        };
        let ids = PseudonymIndex::new(ids);
        let sets = Components {
            parent: (0..u32::try_from(ids.len()).unwrap_or(u32::MAX)).collect(),
            ids,
            ..Components::default()
        };
        (sets, n)
    }

    /// The slots of `runs`' rows' persons after joining each row's
    /// identities, row by row.
    fn join_in_turn(&mut self, runs: &[&mut [Row]]) -> Vec<u32> {
        runs.iter()
            .flat_map(|run| run.iter())
            .map(|p| {
                let (own, links) = self.links(p);
                for (a, b) in links.into_iter().flatten() {
                    self.union(a, b);
                }
                own.unwrap_or(u32::MAX)
            })
            .collect()
    }

    /// The slots of `runs`' rows' persons, `n` rows, after joining each
    /// row's identities, for an epoch too large to stay in cache (a run of
    /// one epoch): the slots are looked up on the run's threads, as each
    /// lookup misses the cache, and only the unions run on one (a set's
    /// root is its lowest slot whatever order they come in).
    fn join_on_threads(&mut self, runs: &[&mut [Row]], n: usize) -> Vec<u32> {
        let mut slots = vec![u32::MAX; n];
        let outs = split(&mut slots, runs.iter().map(|run| run.len()));
        let links: Vec<(u32, u32)> = {
            let sets = &*self;
            runs.par_iter()
                .zip(outs)
                .flat_map_iter(|(run, out)| {
                    run.iter().zip(out).flat_map(|(p, slot)| {
                        let (own, links) = sets.links(p);
                        *slot = own.unwrap_or(u32::MAX);
                        links.into_iter().flatten()
                    })
                })
                .collect()
        };
        for (a, b) in links {
            self.union(a, b);
        }
        slots
    }

    /// The slot of `p`'s person, and the pairs of slots its row joins: its
    /// person's to its e-mail's and its name's. (A row's provisional person
    /// is its e-mail's or name's pseudonym: joining it to itself would only
    /// cost two lookups.)
    fn links(&self, p: &Row) -> (Option<u32>, [Option<(u32, u32)>; 2]) {
        let own = self.slot(p.person);
        let link = |id: Option<Pseudonym>| Some((own?, self.slot(id.filter(|&i| i != p.person)?)?));
        (own, [link(p.email_id()), link(p.name_id())])
    }

    fn slot(&self, p: Pseudonym) -> Option<u32> {
        self.ids.rank(p).map(|i| i as u32)
    }

    fn root(&mut self, mut i: u32) -> u32 {
        // Path halving keeps trees flat without recursion.
        while self.parent[i as usize] != i {
            self.parent[i as usize] = self.parent[self.parent[i as usize] as usize];
            i = self.parent[i as usize];
        }
        i
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            let (low, high) = (ra.min(rb), ra.max(rb));
            self.parent[high as usize] = low;
        }
    }

    /// Points every slot at its root, so that sets are read without
    /// writing and rows can be named on any thread, and ranks the roots.
    /// One forward pass is enough: a parent always has a lower slot than
    /// its child (a union keeps the lower root, path halving moves to a
    /// grandparent), so a slot's parent is already a root when the slot
    /// is reached.
    fn flatten(&mut self) {
        self.rank = Vec::with_capacity(self.parent.len());
        let mut roots = 0u32;
        for i in 0..self.parent.len() {
            let p = self.parent[i] as usize;
            self.parent[i] = self.parent[p];
            self.rank.push(roots);
            if p == i {
                roots += 1;
            }
        }
    }

    /// The roots' pseudonyms, in their order (that of their ranks).
    fn roots(&self) -> impl Iterator<Item = Pseudonym> + '_ {
        self.parent
            .iter()
            .enumerate()
            .filter(|&(i, &p)| i == p as usize)
            .filter_map(|(i, _)| self.ids.get(i))
    }

    /// The name and rank of the component of slot `i`, if `i` is a slot;
    /// the sets must be flattened.
    fn named(&self, i: u32) -> Option<(Pseudonym, u32)> {
        let r = *self.parent.get(i as usize)? as usize;
        Some((self.ids.get(r)?, *self.rank.get(r)?))
    }
}

/// One epoch's rows, in runs, the sets over their identities, and each
/// row's person's slot.
struct Epoch<'r> {
    tag: u16,
    runs: Vec<&'r mut [Row]>,
    sets: Components,
    slots: Vec<u32>,
}

/// The rows of `segments` in runs of one epoch tag, grouped by tag (in
/// input order within one), with the tags in order.
fn by_epoch(segments: &mut [Vec<Row>]) -> Vec<(u16, Vec<&mut [Row]>)> {
    // A meeting's rows share its epoch and come together: one entry a
    // run, not a row.
    let mut runs: Vec<(u16, &mut [Row])> = segments
        .iter_mut()
        .flat_map(|rows| rows.chunk_by_mut(|a, b| a.epoch() == b.epoch()))
        .filter_map(|run| Some((run.first()?.epoch(), run)))
        .collect();
    runs.sort_by_key(|r| r.0);
    let mut epochs: Vec<(u16, Vec<&mut [Row]>)> = Vec::new();
    for (tag, run) in runs {
        match epochs.last_mut() {
            Some((t, group)) if *t == tag => group.push(run),
            _ => epochs.push((tag, vec![run])),
        }
    }
    epochs
}

/// Sets every row's `person`, and every sign-in's `user`, to the person
/// their identities belong to: the component of identities seen together
/// on a row, named by its smallest pseudonym. Sets every row's dense person
/// id to the person's rank among the run's people (every component holds
/// some row's person: a row's identities are joined to it), so that no
/// second index of people is built, and returns how many people there are.
pub fn unify_people(segments: &mut [Vec<Row>], signins: &mut [VeiledSignIn]) -> usize {
    let mut epochs: Vec<Epoch<'_>> = by_epoch(segments)
        .into_par_iter()
        .map(|(tag, runs)| {
            let (sets, slots) = Components::of(&runs);
            Epoch {
                tag,
                runs,
                sets,
                slots,
            }
        })
        .collect();
    // The run's people, for their ranks: an epoch's people are those of
    // no other (a person spans no two epochs).
    let people = PseudonymIndex::new(epochs.iter().flat_map(|e| e.sets.roots()).collect());
    epochs.par_iter_mut().for_each(|e| {
        let sets = &e.sets;
        // Each of the epoch's people's rank among the run's, by their rank
        // among the epoch's: one lookup a person, not one a row.
        let ranks: Vec<u32> = sets
            .roots()
            .map(|r| people.rank(r).map_or(u32::MAX, |i| i as u32))
            .collect();
        let rows = e.runs.iter_mut().flat_map(|run| run.iter_mut());
        for (p, &slot) in rows.zip(&e.slots) {
            // Every row's person has a slot (`identities`).
            let (person, id) = match sets.named(slot) {
                Some((person, rank)) => (person, ranks.get(rank as usize).copied()),
                None => (p.person, None),
            };
            p.person = person;
            p.set_person_id(id.unwrap_or(u32::MAX));
        }
        e.slots = Vec::new();
    });
    // Each lookup misses the cache a few times: spread over the threads.
    signins.par_iter_mut().for_each(|s| {
        let named = epochs
            .binary_search_by_key(&s.epoch, |e| e.tag)
            .ok()
            .and_then(|e| epochs.get(e))
            .and_then(|e| e.sets.named(e.sets.slot(s.user)?));
        if let Some((person, _)) = named {
            s.user = person;
        }
    });
    people.len()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::formats::zoom::{Participation, SignIn};
    use crate::privacy::ip::Generalize;
    use crate::privacy::key::{Key, KeyMode};
    use crate::privacy::policy::ZoomPolicy;
    use crate::privacy::pseudonym::Epoch as KeyEpoch;
    use crate::privacy::zoom::ZoomVeil;
    use crate::time::DAY;

    /// What one union-find over all of `rows`' identities gives each row:
    /// its component's smallest pseudonym and that one's rank among all
    /// components' smallest.
    fn single_merge(rows: &[Row]) -> Vec<(Pseudonym, u32)> {
        fn root(parent: &HashMap<Pseudonym, Pseudonym>, mut p: Pseudonym) -> Pseudonym {
            while parent[&p] != p {
                p = parent[&p];
            }
            p
        }
        let mut parent: HashMap<Pseudonym, Pseudonym> = HashMap::new();
        for p in rows {
            let ids: Vec<Pseudonym> = identities(p).chain([p.person]).collect();
            for &id in &ids {
                parent.entry(id).or_insert(id);
            }
            for &id in &ids {
                let (a, b) = (root(&parent, ids[0]), root(&parent, id));
                parent.insert(a.max(b), a.min(b));
            }
        }
        let mut people: Vec<Pseudonym> = parent.keys().map(|&p| root(&parent, p)).collect();
        people.sort_unstable();
        people.dedup();
        rows.iter()
            .map(|p| {
                let r = root(&parent, p.person);
                (r, people.binary_search(&r).unwrap() as u32)
            })
            .collect()
    }

    /// A veil under a fresh key with `epoch`.
    fn veil(epoch: KeyEpoch) -> ZoomVeil {
        let key = Arc::new(Key::generate(KeyMode::Ephemeral).unwrap());
        ZoomVeil::new(key, epoch, Generalize::default(), &ZoomPolicy::default())
    }

    /// Row `i` of a test: one of `emails` e-mails on two rows in three, one
    /// of `names` names on three in four, a user id on every row.
    fn participant(i: u32, emails: u32, names: u32) -> Participation {
        Participation {
            meeting_id: Some(format!("m{}", i % 7).into()),
            email: (!i.is_multiple_of(3)).then(|| format!("p{}@example.edu", i % emails)),
            name: (i % 4 != 1).then(|| format!("N {}", (i + 1) % names)),
            user_id: Some(format!("u{i}")),
            ..Participation::default()
        }
    }

    #[test]
    fn slots_joined_on_threads_are_those_joined_in_turn() {
        let v = veil(KeyEpoch::Never);
        let mut rows: Vec<Row> = (0..500u32)
            .map(|i| {
                let p = participant(i, 41, 37);
                Row::of(&v.participation(&p, 0, None, "f").unwrap())
            })
            .collect();
        let runs: Vec<&mut [Row]> = rows.chunks_mut(33).collect();
        let (mut in_turn, n) = Components::unjoined(&runs);
        let (mut on_threads, _) = Components::unjoined(&runs);
        let a = in_turn.join_in_turn(&runs);
        let b = on_threads.join_on_threads(&runs, n);
        assert_eq!(a, b);
        assert!(a.iter().all(|&s| s != u32::MAX));
        in_turn.flatten();
        on_threads.flatten();
        assert_eq!(in_turn.parent, on_threads.parent);
        assert_eq!(in_turn.rank, on_threads.rank);
    }

    #[test]
    fn epoch_by_epoch_names_and_ranks_people_as_one_merge_does() {
        let v = veil(KeyEpoch::Day);
        // Five days, each holding chains of e-mails and names and the same
        // people as the others (unlinkable across days), in meetings whose
        // rows interleave days within segments.
        let mut rows = Vec::new();
        for i in 0..300u32 {
            let day = i64::from(i % 5);
            let p = participant(i, 23, 19);
            let row = v.participation(&p, day * DAY + 60, None, "f");
            rows.push(Row::of(&row.unwrap()));
        }
        let mut tags: Vec<u16> = rows.iter().map(Row::epoch).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), 5);
        let expected = single_merge(&rows);
        let mut segments: Vec<Vec<Row>> = rows.chunks(37).map(<[Row]>::to_vec).collect();
        let signin = |email: &str, day: i64| {
            v.signin(&SignIn {
                email: Some(email.into()),
                time: day * DAY + 600,
                kind: "Sign in".into(),
                ip: None,
                client_type: None,
                version: None,
            })
        };
        let mut signins = vec![signin("p4@example.edu", 2), signin("nobody@example.edu", 2)];
        let unknown = signins[1].user;
        let people = unify_people(&mut segments, &mut signins);
        let got: Vec<(Pseudonym, u32)> = segments
            .concat()
            .iter()
            .map(|p| (p.person, p.person_id()))
            .collect();
        assert_eq!(got, expected);
        let distinct: std::collections::HashSet<_> = expected.iter().map(|e| e.0).collect();
        assert_eq!(people, distinct.len());
        assert!(distinct.len() > 5, "epochs keep people apart");
        // The sign-in takes the person of its day's rows with its e-mail.
        let day2 = rows.iter().zip(&got).find(|(r, _)| {
            r.email_id()
                == Some(
                    v.signin(&SignIn {
                        email: Some("p4@example.edu".into()),
                        time: 2 * DAY,
                        kind: String::new(),
                        ip: None,
                        client_type: None,
                        version: None,
                    })
                    .user,
                )
        });
        assert_eq!(Some(signins[0].user), day2.map(|(_, g)| g.0));
        assert_eq!(signins[1].user, unknown);
    }
}
