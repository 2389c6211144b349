//! Who is one person in Zoom data, and which meetings are sensitive, decided
//! once for the whole run before any Zoom table is built.
//!
//! One person often appears under several identities: signed in with an
//! e-mail on a laptop, then as "Lee Kim's iPhone" with no e-mail. Counting
//! identities would let five people pass a k = 10 test. So identities that
//! appear together on one row (an e-mail pseudonym and a normalised-name
//! pseudonym) are joined, transitively, over every participation of the run
//! (union-find, key epoch by key epoch: `zoom_identities`); a person is a
//! connected component, named by its smallest pseudonym so the result does
//! not depend on input order or threading.
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

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::zoom::Row;
pub use super::zoom_identities::unify_people;
use crate::privacy::pseudonym::Pseudonym;
use crate::privacy::zoom::VeiledSignIn;

/// Renumbers the rows' dense person ids, of `people` people, to their
/// ranks among the people left in the rows (their order is kept), once
/// rows were dropped.
fn renumber_people(segments: &mut [Vec<Row>], people: usize) {
    let kept: Vec<AtomicBool> = (0..people).map(|_| AtomicBool::new(false)).collect();
    segments.par_iter().for_each(|rows| {
        for p in rows {
            // Loaded first: most people have many rows, and stores from
            // both threads to one cache line would contend.
            if let Some(k) = kept.get(p.person_id() as usize)
                && !k.load(Ordering::Relaxed)
            {
                k.store(true, Ordering::Relaxed);
            }
        }
    });
    let mut next = 0u32;
    let rank: Vec<u32> = kept
        .into_iter()
        .map(|k| {
            let r = next;
            next += u32::from(k.into_inner());
            r
        })
        .collect();
    segments.par_iter_mut().for_each(|rows| {
        for p in rows {
            let id = rank
                .get(p.person_id() as usize)
                .copied()
                .unwrap_or(u32::MAX);
            p.set_person_id(id);
        }
    });
}

/// Makes a meeting sensitive with a known host in every row when any row
/// names a sensitive host, so excluding it leaves no part behind.
pub fn settle_sensitivity(segments: &mut [Vec<Row>]) {
    // A meeting's rows come in runs: one check a run, on the run's
    // threads. Most runs list no sensitive host, so nothing is written.
    let mut known: Vec<Pseudonym> = segments
        .par_iter()
        .flat_map_iter(|rows| {
            rows.chunk_by(|a, b| a.meeting == b.meeting)
                .filter(|r| r.iter().any(|p| p.sensitive() && !p.host_unknown()))
                .filter_map(|r| Some(r.first()?.meeting))
        })
        .collect();
    if known.is_empty() {
        return;
    }
    known.sort_unstable();
    known.dedup();
    segments.par_iter_mut().for_each(|rows| {
        for run in rows.chunk_by_mut(|a, b| a.meeting == b.meeting) {
            let sensitive = run
                .first()
                .is_some_and(|p| known.binary_search(&p.meeting).is_ok());
            if sensitive {
                for p in run {
                    p.set_sensitivity(true, false);
                }
            }
        }
    });
}

/// The participations every Zoom table is built from, in their segments:
/// people unified and given dense ids, sensitivity settled, and, when
/// `exclude` is set, meetings of sensitive hosts dropped. Meetings whose
/// host is unknown are kept: the tables hold them to `sensitive_k`.
pub fn resolve(
    mut segments: Vec<Vec<Row>>,
    signins: &mut [VeiledSignIn],
    exclude: bool,
) -> Vec<Vec<Row>> {
    let people = unify_people(&mut segments, signins);
    settle_sensitivity(&mut segments);
    if exclude {
        let dropped: usize = segments
            .par_iter_mut()
            .map(|parts| {
                let n = parts.len();
                parts.retain(|p| !p.sensitive() || p.host_unknown());
                n - parts.len()
            })
            .sum();
        // The ids must stay dense, as `Rows` sizes its counters by them:
        // ranked again among the people left.
        if dropped > 0 {
            renumber_people(&mut segments, people);
        }
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

    /// Each row's person id must be its person's rank among the sorted
    /// people of the rows, as a second index over them would give.
    fn assert_ranked(parts: &[Row]) {
        let mut people: Vec<_> = parts.iter().map(|p| p.person).collect();
        people.sort_unstable();
        people.dedup();
        for p in parts {
            let rank = people.binary_search(&p.person).unwrap() as u32;
            assert_eq!(p.person_id(), rank, "{p:?}");
        }
    }

    #[test]
    fn person_ids_are_ranks_among_the_people_kept() {
        let v = veil(&["care@example.edu"]);
        let hosted = |meeting: &str, email: &str, host: Option<&str>| {
            let p = Participation {
                meeting_id: Some(meeting.into()),
                email: Some(email.into()),
                ..Participation::default()
            };
            Row::of(&v.participation(&p, 0, host, "f").unwrap())
        };
        // Meeting 0 is sensitive (its host named on one row), and holds
        // people seen nowhere else.
        let mut rows: Vec<Row> = (0..40)
            .map(|i| {
                let host = (i == 10).then_some("care@example.edu");
                hosted(
                    &(i % 5).to_string(),
                    &format!("p{}@example.edu", i % 17),
                    host,
                )
            })
            .collect();
        rows.extend((0..3).map(|i| hosted("0", &format!("only{i}@example.edu"), None)));
        for (exclude, n) in [(false, 20), (true, 17)] {
            let kept = resolve(
                vec![rows[..25].to_vec(), rows[25..].to_vec()],
                &mut [],
                exclude,
            );
            let kept = kept.concat();
            assert_eq!(people(&kept), n);
            assert_ranked(&kept);
        }
        let mut parts = vec![
            row(&v, "1", Some("lee@example.edu"), Some("Lee Kim")),
            row(&v, "1", None, Some("Lee Kim's iPhone")),
            row(&v, "2", Some("ana@example.edu"), Some("Lee Kim")),
            row(&v, "2", None, Some("Bo")),
        ];
        assert_eq!(unify_people(std::slice::from_mut(&mut parts), &mut []), 2);
        assert_ranked(&parts);
    }
}
