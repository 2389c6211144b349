//! The rule as properties over random rows: every published row has at
//! least k people, a partition's rows add up to the partition whatever is
//! folded, and folding never publishes a group smaller than k.

use super::*;

/// A request counter.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Hits(u64);

impl Counters for Hits {
    fn merge(&mut self, o: &Self) {
        self.0 += o.0;
    }
}

const OTHER: u8 = 255;

fn rows_of(spec: &[(u8, u8, Vec<u32>)]) -> Rows<(u8, u8), Hits> {
    Rows::from_sets(
        spec.iter()
            .map(|(p, r, people)| ((*p, *r), Hits(people.len() as u64 * 3), people.clone())),
    )
}

type Folded = (Vec<Row<(u8, u8), Hits>>, Disclosed);

fn fold(spec: &[(u8, u8, Vec<u32>)], k: u64) -> Folded {
    rows_of(spec).fold(k, |key| key.0, |key| (key.0, OTHER), |_| k, |key| *key)
}

#[test]
fn ties_are_broken_by_the_order_given_not_by_row_number() {
    // Two published rows of 12 people each; the (other) row of 5 needs
    // one of them. Which one must not depend on the order rows arrived
    // in, which follows thread timing.
    let a = (0u8, 1u8, (0..12).collect::<Vec<u32>>());
    let b = (0u8, 2u8, (100..112).collect::<Vec<u32>>());
    let small = (0u8, 3u8, (200..205).collect::<Vec<u32>>());
    let folded = |spec: &[(u8, u8, Vec<u32>)], order: fn(&(u8, u8)) -> i32| {
        let (rows, _) = rows_of(spec).fold(10, |k| k.0, |k| (k.0, OTHER), |_| 10, order);
        let mut kept: Vec<u8> = rows.iter().map(|r| r.0.1).filter(|&r| r != OTHER).collect();
        kept.sort();
        kept
    };
    let up: fn(&(u8, u8)) -> i32 = |k| i32::from(k.1);
    let down: fn(&(u8, u8)) -> i32 = |k| -i32::from(k.1);
    for spec in [
        [a.clone(), b.clone(), small.clone()],
        [b.clone(), a.clone(), small.clone()],
        [small.clone(), b.clone(), a.clone()],
    ] {
        // The first row in the order joins (other); the last is kept.
        assert_eq!(folded(&spec, up), vec![2]);
        assert_eq!(folded(&spec, down), vec![1]);
    }
}

#[test]
fn the_other_row_takes_the_smallest_rows_until_it_reaches_k() {
    // 30 people read /, 30 read /news (the same 30), one reads two
    // sensitive pages: folding only the small ones would publish an
    // (other) of one person, and withholding it would let the day's total
    // minus the published pages give that person's requests.
    let crowd: Vec<u32> = (0..30).collect();
    let spec = [
        (0, 1, crowd.clone()),
        (0, 2, crowd.clone()),
        (0, 3, vec![99]),
        (0, 4, vec![99]),
    ];
    let (rows, stats) = fold(&spec, 10);
    let other = rows
        .iter()
        .find(|r| r.0.1 == OTHER)
        .expect("an (other) row");
    assert!(other.2 >= 10, "(other) has {} people", other.2);
    // Everything is still there: the partition adds up.
    let total: u64 = rows.iter().map(|r| r.1.0).sum();
    assert_eq!(total, 30 * 3 * 2 + 3 + 3);
    assert_eq!(stats.rows_folded, 3);
    assert!(rows.iter().all(|r| r.2 >= 10));
}

#[test]
fn a_partition_below_k_is_withheld_whole() {
    let (rows, stats) = fold(&[(0, 1, (0..5).collect()), (0, 2, (3..9).collect())], 10);
    assert!(rows.is_empty());
    assert_eq!((stats.partitions_withheld, stats.rows_withheld), (1, 2));
}

#[test]
fn a_row_keyed_like_the_fold_joins_it() {
    // Input can never produce the fold's key (labels are reserved), but a
    // table whose own key space holds it must still gather it.
    let (rows, _) = fold(
        &[
            (0, 1, (0..3).collect()),
            (0, 2, (100..120).collect()),
            (0, OTHER, (200..208).collect()),
        ],
        10,
    );
    let mut got: Vec<_> = rows.iter().map(|r| (r.0.1, r.2)).collect();
    got.sort();
    assert_eq!(got, vec![(2, 20), (OTHER, 11)]);
}

#[test]
fn a_higher_need_holds_the_other_row_to_it() {
    // A sensitive row (need 20) with 15 people folds; the (other) row
    // holding it needs 20 people too, so a published 12-person row joins.
    let rows = Rows::from_sets([
        ((0u8, 1u8), Hits(1), (0..15).collect::<Vec<u32>>()),
        ((0, 2), Hits(1), (100..112).collect()),
        ((0, 3), Hits(1), (200..250).collect()),
    ]);
    let (rows, _) = rows.fold(
        10,
        |k| k.0,
        |k| (k.0, OTHER),
        |k| if k.1 == 1 { 20 } else { 10 },
        |k| *k,
    );
    let mut got: Vec<_> = rows.iter().map(|r| (r.0.1, r.2)).collect();
    got.sort();
    assert_eq!(got, vec![(3, 50), (OTHER, 27)]);
}

#[test]
fn quiet_hours_merge_into_buckets_of_k() {
    // Hours 0..6 of one day with 3 new people each, then a busy hour, then
    // a quiet hour that joins the last bucket.
    let mut spec = Vec::new();
    for h in 0..6u32 {
        spec.push((
            0i64,
            i64::from(h) * 3600,
            (h * 3..h * 3 + 3).collect::<Vec<u32>>(),
        ));
    }
    spec.push((0, 6 * 3600, (100..150).collect()));
    spec.push((0, 7 * 3600, vec![7]));
    let rows = Rows::from_sets(
        spec.iter()
            .map(|(d, h, p)| ((*d, *h), Hits(p.len() as u64), p.clone())),
    );
    let (rows, plans, stats) = rows.buckets(10, |k| k.0, |k| k.1);
    let got: Vec<_> = rows.iter().map(|r| (r.0.1 / 3600, r.3, r.2)).collect();
    // 0-3 reach 12 people; 4-5 and the busy hour 6 reach 56; hour 7 joins.
    assert_eq!(got, vec![(0, 4, 12), (4, 4, 57)]);
    assert_eq!(plans.len(), 2);
    assert_eq!(stats.rows_bucketed, 8);
    assert_eq!(rows.iter().map(|r| r.1.0).sum::<u64>(), 18 + 50 + 1);
}

#[test]
fn small_sites_fold_together_and_a_small_fold_is_withheld() {
    // Day 0: site 1 has 20 people, sites 2 and 3 have 6 each (12 together:
    // published as (other site)). Day 1: site 2 has 4 alone: withheld.
    let sets = [
        ((0u8, 1u8), (), (0..20).collect::<Vec<u32>>()),
        ((0, 2), (), (100..106).collect()),
        ((0, 3), (), (200..206).collect()),
        ((1, 1), (), (0..20).collect()),
        ((1, 2), (), (100..104).collect()),
    ];
    let a = Admission::decide(Rows::from_sets(sets), 10, |&(d, _)| (d, OTHER));
    assert_eq!(a.get((0, 1)), Some((0, 1)));
    assert_eq!(a.get((0, 2)), Some((0, OTHER)));
    assert_eq!(a.get((0, 3)), Some((0, OTHER)));
    assert_eq!(a.get((1, 2)), None);
    assert_eq!((a.folded, a.withheld), (2, 1));
    // One person on two small sites is one person in the fold.
    let same = [
        ((0u8, 2u8), (), (0..6).collect::<Vec<u32>>()),
        ((0, 3), (), (0..6).collect()),
    ];
    let b = Admission::decide(Rows::from_sets(same), 10, |&(d, _)| (d, OTHER));
    assert_eq!(b.get((0, 2)), None);
}

proptest::proptest! {
    /// Whatever the rows: every published row has at least k people; a
    /// published partition's rows add up to all of its requests and all of
    /// its people; a withheld partition had fewer than k people; and rows
    /// that publish as themselves are unchanged.
    #[test]
    fn nothing_below_k_and_partitions_add_up(
        spec in proptest::collection::vec(
            (0u8..3, 0u8..12, proptest::collection::vec(0u32..40, 1..25)),
            1..30,
        ),
        k in 1u64..15,
    ) {
        // One row per key, as a table has.
        let mut spec = spec;
        spec.sort_by_key(|r| (r.0, r.1));
        spec.dedup_by_key(|r| (r.0, r.1));
        let before = rows_of(&spec);
        let (after, _) = fold(&spec, k);
        for (key, _, d) in &after {
            proptest::prop_assert!(*d >= k, "row {key:?} published with {d} < {k}");
        }
        for part in 0u8..3 {
            let orig: Vec<_> = spec.iter().filter(|r| r.0 == part).collect();
            let mut everyone: Vec<u32> = orig.iter().flat_map(|r| r.2.clone()).collect();
            everyone.sort_unstable();
            everyone.dedup();
            let hits: u64 = orig.iter().map(|r| r.2.len() as u64 * 3).sum();
            let published: Vec<_> = after.iter().filter(|r| r.0.0 == part).collect();
            if orig.is_empty() {
                continue;
            }
            if published.is_empty() {
                proptest::prop_assert!((everyone.len() as u64) < k);
                continue;
            }
            proptest::prop_assert_eq!(published.iter().map(|r| r.1.0).sum::<u64>(), hits);
            for p in published.iter().filter(|r| r.0.1 != OTHER) {
                let r = before.find(&p.0).unwrap();
                proptest::prop_assert_eq!(before.distinct(r), p.2);
            }
        }
    }

    /// Buckets: every bucket has at least k people, buckets of a day are
    /// disjoint runs of hours in order, and a day's buckets add up to it.
    #[test]
    fn buckets_reach_k_and_add_up(
        spec in proptest::collection::vec(
            (0i64..2, 0i64..24, proptest::collection::vec(0u32..30, 1..6)),
            1..40,
        ),
        k in 1u64..12,
    ) {
        let mut spec = spec;
        spec.sort_by_key(|r| (r.0, r.1));
        spec.dedup_by_key(|r| (r.0, r.1));
        let rows = Rows::from_sets(spec.iter().map(|(d, h, p)| ((*d, *h * 3600), Hits(1), p.clone())));
        let (out, plans, _) = rows.buckets(k, |key| key.0, |key| key.1);
        for day in 0..2 {
            let hours = spec.iter().filter(|r| r.0 == day).count() as u64;
            let mine: Vec<_> = out.iter().zip(&plans).filter(|(r, _)| r.0.0 == day).collect();
            if mine.is_empty() {
                continue;
            }
            proptest::prop_assert_eq!(mine.iter().map(|(r, _)| r.1.0).sum::<u64>(), hours);
            let mut end = i64::MIN;
            for (r, plan) in &mine {
                proptest::prop_assert!(r.2 >= k);
                proptest::prop_assert!(r.0.1 > end);
                proptest::prop_assert!(plan.iter().all(|key| key.1 >= r.0.1 && key.1 < r.0.1 + r.3 * 3600));
                end = r.0.1 + (r.3 - 1) * 3600;
            }
        }
    }
}

#[test]
fn a_row_alone_counts_its_people_once_whatever_order_they_come_in() {
    let union_of = |rows: &Rows<(u8, u8), Hits>| rows.union();
    // From sets: people sorted and distinct, so a row alone is counted by
    // its length.
    let sets = rows_of(&[(0, 1, vec![5, 3, 3, 9]), (0, 2, vec![1, 2])]);
    let mut union = union_of(&sets);
    assert!(sets.enough(&mut union, &[0], 3) && !sets.enough(&mut union, &[0], 4));
    assert!(sets.enough(&mut union, &[0, 1], 5) && !sets.enough(&mut union, &[0, 1], 6));
    // A row whose people repeat (against `Rows::new`'s contract) or come
    // out of order is still counted by its distinct people.
    let parts = |people: Vec<u32>| {
        Rows::new(
            vec![(0u8, 1u8)],
            vec![Hits(1)],
            vec![0, people.len()],
            people,
        )
    };
    for people in [vec![3, 3, 5], vec![5, 3, 3], vec![7, 7, 7]] {
        let distinct = {
            let mut p = people.clone();
            p.sort_unstable();
            p.dedup();
            p.len() as u64
        };
        let rows = parts(people.clone());
        let mut union = union_of(&rows);
        assert!(rows.enough(&mut union, &[0], distinct), "{people:?}");
        assert!(!rows.enough(&mut union, &[0], distinct + 1), "{people:?}");
    }
}

#[test]
fn a_row_needs_its_networks_too() {
    // People 0..20 sit in networks 0..20; people 100..112 all in network
    // 50. With k_networks = 3 the one-network row folds.
    let mut networks = vec![u32::MAX; 112];
    for (p, n) in networks.iter_mut().enumerate().take(20) {
        *n = p as u32;
    }
    for n in networks.iter_mut().skip(100) {
        *n = 50;
    }
    let rows = || {
        Rows::from_sets([
            ((0u8, 1u8), Hits(1), (0..20).collect::<Vec<u32>>()),
            ((0, 2), Hits(1), (100..112).collect()),
        ])
    };
    let keys = |rows: Vec<Row<(u8, u8), Hits>>| {
        let mut k: Vec<u8> = rows.iter().map(|r| r.0.1).collect();
        k.sort();
        k
    };
    let (plain, _) = rows().fold(10, |k| k.0, |k| (k.0, OTHER), |_| 10, |k| *k);
    assert_eq!(keys(plain), vec![1, 2]);
    let (guarded, _) = rows().with_networks(networks.into(), 3).fold(
        10,
        |k| k.0,
        |k| (k.0, OTHER),
        |_| 10,
        |k| *k,
    );
    // Row 2 alone is one network: it folds, and (other) takes row 1 to
    // reach three networks.
    assert_eq!(keys(guarded), vec![OTHER]);
}
