//! Who is one person in Zoom data, and which meetings are sensitive, decided
//! once for the whole run before any Zoom table is built.
//!
//! One person often appears under several identities: signed in with an
//! e-mail on a laptop, then as "Lee Kim's iPhone" with no e-mail. Counting
//! identities would let five people pass a k = 10 test. So identities that
//! appear together on one row (an e-mail pseudonym and a normalised-name
//! pseudonym) are joined, transitively, over every participation of the run
//! (union-find); a person is a connected component, named by its smallest
//! pseudonym so the result does not depend on input order or threading.
//! Name-only rows join the component of their name. Sign-ins, keyed by the
//! e-mail pseudonym, take the same component's name.
//!
//! The trade-off is deliberate: two different people who share a normalised
//! display name (or one generic name like "iPhone") become one, which
//! undercounts. The k test then withholds more, never less. Everything here
//! is pseudonyms; no raw name reaches this module.
//!
//! Sensitivity is settled per meeting: if any row of a meeting names a
//! sensitive host, the whole meeting is sensitive with a known host (so
//! `exclude` drops all of it), whatever other documents of the same
//! occurrence said.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::zoom::Row;
use crate::privacy::pseudonym::Pseudonym;
use crate::privacy::zoom::VeiledSignIn;

/// Disjoint sets over the pseudonyms of a run's rows. The pseudonyms are
/// held sorted, so a set's smallest member is the one of lowest index, and
/// a union always keeps the lower root: the root names the set. A sorted
/// vector and a parent index each cost 12 bytes a pseudonym, where a hash
/// map, its parents and smallest members cost some 40 with its growth.
/// A sorted list of distinct pseudonyms with the rank of each found in
/// about one memory read: pseudonyms are keyed hashes, uniform over 64
/// bits, so an index of where each value of their top bits starts leaves a
/// handful to search, where a binary search over the whole list misses the
/// cache at nearly every step. The index costs about one `u32` per four
/// pseudonyms.
#[derive(Debug, Default)]
pub(super) struct PseudonymIndex {
    ids: Vec<Pseudonym>,
    starts: Vec<u32>,
    shift: u32,
}

impl PseudonymIndex {
    /// The index of `ids`, sorted and deduplicated here.
    pub(super) fn new(mut ids: Vec<Pseudonym>) -> Self {
        // Millions of ids: sorted on the run's threads.
        ids.par_sort_unstable();
        ids.dedup();
        ids.shrink_to_fit();
        // About four ids a bucket, at most 2^22 buckets (16 MiB).
        let bits = (usize::BITS - (ids.len() / 4).leading_zeros()).min(22);
        let shift = 64 - bits;
        let mut starts = vec![0u32; (1usize << bits) + 1];
        for id in &ids {
            starts[bucket(id.value(), shift) + 1] += 1;
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        PseudonymIndex { ids, starts, shift }
    }

    /// The rank of `p` among the pseudonyms, if it is one of them.
    pub(super) fn rank(&self, p: Pseudonym) -> Option<usize> {
        self.position(p).ok()
    }

    /// What `binary_search` over the sorted pseudonyms gives: buckets are
    /// contiguous and in order, so a place within `p`'s is its place in all.
    pub(super) fn position(&self, p: Pseudonym) -> Result<usize, usize> {
        let b = bucket(p.value(), self.shift);
        let (lo, hi) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        self.ids[lo..hi]
            .binary_search(&p)
            .map(|i| lo + i)
            .map_err(|i| lo + i)
    }

    /// How many pseudonyms there are.
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// The bucket of a pseudonym's value: its top `64 - shift` bits.
fn bucket(value: u64, shift: u32) -> usize {
    value.checked_shr(shift).unwrap_or(0) as usize
}

#[derive(Debug, Default)]
struct Components {
    ids: PseudonymIndex,
    parent: Vec<u32>,
}

impl Components {
    fn over(segments: &[Vec<Row>]) -> Self {
        let of = |p: &Row| {
            let own = (p.email_id().is_none() && p.name_id().is_none()).then_some(p.person);
            [p.email_id(), p.name_id(), own].into_iter().flatten()
        };
        // Counted first: collected blind, the vector would grow by doubling
        // to up to twice the millions of ids it holds, at the run's peak.
        let n = segments.iter().flatten().map(|p| of(p).count()).sum();
        let mut ids = Vec::with_capacity(n);
        ids.extend(segments.iter().flatten().flat_map(of));
        let ids = PseudonymIndex::new(ids);
        let parent = (0..u32::try_from(ids.len()).unwrap_or(u32::MAX)).collect();
        Components { ids, parent }
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

    /// Points every slot at its root, so that [`Components::person`] reads
    /// without writing and rows can be named on any thread. One forward
    /// pass is enough: a parent always has a lower slot than its child (a
    /// union keeps the lower root, path halving moves to a grandparent),
    /// so a slot's parent is already a root when the slot is reached.
    fn flatten(&mut self) {
        for i in 0..self.parent.len() {
            let p = self.parent[i] as usize;
            self.parent[i] = self.parent[p];
        }
    }

    /// The component's name for `p`, or `p` itself when it was never
    /// linked; the sets must be flattened.
    fn person(&self, p: Pseudonym) -> Pseudonym {
        match self.slot(p) {
            Some(i) => {
                let r = self.parent[i as usize];
                self.ids.ids[r as usize]
            }
            None => p,
        }
    }
}

/// Sets every row's `person`, and every sign-in's `user`, to the person
/// their identities belong to: the component of identities seen together
/// on a row, named by its smallest pseudonym.
pub fn unify_people(segments: &mut [Vec<Row>], signins: &mut [VeiledSignIn]) {
    let mut sets = Components::over(segments);
    // The slots to join, looked up on the run's threads (each lookup
    // misses the cache): a set's root is its lowest slot whatever order
    // the unions come in, so only the unions themselves run on one.
    let links: Vec<(u32, u32)> = {
        let sets = &sets;
        segments
            .par_iter()
            .flat_map_iter(|rows| {
                rows.iter().flat_map(move |p| {
                    // A row's provisional person is its e-mail's or name's
                    // pseudonym: joining it to itself would only cost two
                    // lookups.
                    [p.email_id(), p.name_id()]
                        .into_iter()
                        .flatten()
                        .filter(move |&id| id != p.person)
                        .filter_map(move |id| Some((sets.slot(p.person)?, sets.slot(id)?)))
                })
            })
            .collect()
    };
    for (a, b) in links {
        sets.union(a, b);
    }
    sets.flatten();
    let sets = &sets;
    // Each lookup misses the cache a few times: spread over the threads.
    segments.par_iter_mut().for_each(|rows| {
        for p in rows {
            p.person = sets.person(p.person);
        }
    });
    signins
        .par_iter_mut()
        .for_each(|s| s.user = sets.person(s.user));
}

/// Makes a meeting sensitive with a known host in every row when any row
/// names a sensitive host, so excluding it leaves no part behind.
pub fn settle_sensitivity(segments: &mut [Vec<Row>]) {
    // A meeting's rows come together: each run of them costs one map
    // lookup, not one a row.
    let mut known_sensitive: BTreeMap<Pseudonym, bool> = BTreeMap::new();
    let mut run: Option<(Pseudonym, bool)> = None;
    for p in segments.iter().flatten() {
        let known = p.sensitive() && !p.host_unknown();
        match &mut run {
            Some((m, k)) if *m == p.meeting => *k |= known,
            _ => {
                if let Some((m, k)) = run.replace((p.meeting, known)) {
                    *known_sensitive.entry(m).or_default() |= k;
                }
            }
        }
    }
    if let Some((m, k)) = run {
        *known_sensitive.entry(m).or_default() |= k;
    }
    let mut last: Option<(Pseudonym, bool)> = None;
    for p in segments.iter_mut().flatten() {
        let sensitive = match last {
            Some((m, k)) if m == p.meeting => k,
            _ => {
                let k = known_sensitive.get(&p.meeting).copied().unwrap_or(false);
                last = Some((p.meeting, k));
                k
            }
        };
        if sensitive {
            p.set_sensitivity(true, false);
        }
    }
}

/// The participations every Zoom table is built from, in their segments:
/// people unified, sensitivity settled, and, when `exclude` is set,
/// meetings of sensitive hosts dropped. Meetings whose host is unknown are
/// kept: the tables hold them to `sensitive_k`.
pub fn resolve(
    mut segments: Vec<Vec<Row>>,
    signins: &mut [VeiledSignIn],
    exclude: bool,
) -> Vec<Vec<Row>> {
    unify_people(&mut segments, signins);
    settle_sensitivity(&mut segments);
    for parts in &mut segments {
        parts.retain(|p| !(exclude && p.sensitive() && !p.host_unknown()));
    }
    segments
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::formats::zoom::{Participation, SignIn};
    use crate::privacy::ip::Generalize;
    use crate::privacy::key::{Key, KeyMode};
    use crate::privacy::policy::ZoomPolicy;
    use crate::privacy::pseudonym::Epoch;
    use crate::privacy::zoom::ZoomVeil;

    fn veil(sensitive: &[&str]) -> ZoomVeil {
        let key = Arc::new(Key::generate(KeyMode::Ephemeral).unwrap());
        let policy = ZoomPolicy {
            sensitive_hosts: sensitive.iter().map(|s| s.to_string()).collect(),
            ..ZoomPolicy::default()
        };
        ZoomVeil::new(key, Epoch::Never, Generalize::default(), &policy)
    }

    fn row(v: &ZoomVeil, meeting: &str, email: Option<&str>, name: Option<&str>) -> Row {
        let p = Participation {
            meeting_id: Some(meeting.into()),
            email: email.map(str::to_string),
            name: name.map(str::to_string),
            ..Participation::default()
        };
        Row::of(&v.participation(&p, 0, None, "f").unwrap())
    }

    fn people(parts: &[Row]) -> usize {
        let mut p: Vec<_> = parts.iter().map(|p| p.person).collect();
        p.sort();
        p.dedup();
        p.len()
    }

    #[test]
    fn identities_on_one_row_are_one_person_transitively() {
        let v = veil(&[]);
        let mut parts = vec![
            row(&v, "1", Some("lee@example.edu"), Some("Lee Kim")),
            row(&v, "1", None, Some("Lee Kim's iPhone")),
            // A second account under the same name joins the same person.
            row(&v, "2", Some("lee.kim@gmail.com"), Some("LEE KIM (Host)")),
            row(&v, "2", Some("ana@example.edu"), Some("Ana Ruiz")),
            row(&v, "2", None, Some("Bo")),
        ];
        assert_eq!(people(&parts), 5);
        let mut signins = vec![v.signin(&SignIn {
            email: Some("lee.kim@gmail.com".into()),
            time: 0,
            kind: "Sign in".into(),
            ip: None,
            client_type: None,
            version: None,
        })];
        unify_people(std::slice::from_mut(&mut parts), &mut signins);
        assert_eq!(people(&parts), 3);
        assert_eq!(parts[0].person, parts[1].person);
        assert_eq!(parts[0].person, parts[2].person);
        assert_eq!(signins[0].user, parts[0].person);
        assert_ne!(parts[3].person, parts[4].person);
    }

    #[test]
    fn long_chains_of_identities_are_one_person() {
        // Each row links a new name to the last one's e-mail: unions in an
        // order that leaves deep trees for flattening to resolve.
        let v = veil(&[]);
        let rows: Vec<Row> = (0..200)
            .map(|i| {
                row(
                    &v,
                    "1",
                    Some(&format!("p{}@example.edu", i / 2)),
                    Some(&format!("N {}", (i + 1) / 2)),
                )
            })
            .collect();
        let mut parts = vec![rows[..70].to_vec(), rows[70..].to_vec()];
        unify_people(&mut parts, &mut []);
        assert_eq!(people(&parts.concat()), 1);
    }

    #[test]
    fn the_person_does_not_depend_on_row_order() {
        let v = veil(&[]);
        let rows = vec![
            row(&v, "1", Some("a@example.edu"), Some("A")),
            row(&v, "1", None, Some("A's laptop")),
            row(&v, "1", Some("b@example.edu"), Some("A")),
        ];
        let mut forward = rows.clone();
        let mut backward: Vec<_> = rows.into_iter().rev().collect();
        unify_people(std::slice::from_mut(&mut forward), &mut []);
        unify_people(std::slice::from_mut(&mut backward), &mut []);
        backward.reverse();
        assert_eq!(forward, backward);
        let smallest = forward
            .iter()
            .flat_map(|p| [p.email_id(), p.name_id()])
            .flatten()
            .min()
            .unwrap();
        assert!(forward.iter().all(|p| p.person == smallest));
    }

    #[test]
    fn a_sensitive_host_anywhere_excludes_the_whole_meeting() {
        let v = veil(&["care@example.edu"]);
        let p = Participation {
            meeting_id: Some("9".into()),
            email: Some("x@example.edu".into()),
            ..Participation::default()
        };
        let known = Row::of(
            &v.participation(&p, 0, Some("care@example.edu"), "f")
                .unwrap(),
        );
        let unknown = Row::of(&v.participation(&p, 0, None, "f").unwrap());
        let other = row(&v, "10", Some("y@example.edu"), None);
        let kept = resolve(vec![vec![known, unknown, other]], &mut [], true).concat();
        assert_eq!(kept.len(), 1, "only the host-unknown meeting 10 stays");
        assert!(kept[0].sensitive() && kept[0].host_unknown());
        let kept = resolve(vec![vec![known, unknown, other]], &mut [], false).concat();
        assert_eq!(kept.len(), 3);
        assert!(kept.iter().all(|p| p.sensitive()));
        // The meeting's rows apart, its sensitive host named in a later
        // run of them than the first, and in another segment.
        let kept = resolve(
            vec![vec![unknown, other], vec![unknown, known]],
            &mut [],
            true,
        )
        .concat();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].meeting, other.meeting);
    }

    #[test]
    fn the_index_places_every_pseudonym_as_a_binary_search_does() {
        let v = veil(&[]);
        for n in [0usize, 1, 3, 50, 5000] {
            let ids: Vec<Pseudonym> = (0..n)
                .map(|i| row(&v, &i.to_string(), None, Some(&format!("P{i}"))).person)
                .collect();
            let index = PseudonymIndex::new(ids.clone());
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted.dedup();
            let probes = ids
                .iter()
                .copied()
                .chain((0..100).map(|i| row(&v, "x", None, Some(&format!("Q{i}"))).person));
            for p in probes {
                assert_eq!(index.position(p), sorted.binary_search(&p), "n={n}");
            }
        }
    }
}
