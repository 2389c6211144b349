//! The row choice of the bounds: what a person past `max_rows` keeps.

use super::*;

/// `rows` rows where each listed person made `requests(row)` requests
/// to every row (people with 0 requests to a row are not in it).
fn table(rows: u32, people: &[(u32, &dyn Fn(u32) -> u32)]) -> Contributions<u32> {
    let (mut starts, mut ids, mut counts) = (vec![0], Vec::new(), Vec::new());
    for r in 0..rows {
        for (p, requests) in people {
            if requests(r) > 0 {
                ids.push(*p);
                counts.push(requests(r));
            }
        }
        starts.push(ids.len());
    }
    Contributions::new((0..rows).collect(), starts, ids, counts)
}

/// Bounded (people, requests) by row.
fn tally(rows: &Contributions<u32>, bounds: Bounds, rank: impl Fn(u32) -> u64) -> Vec<(u64, u64)> {
    let members: Vec<u32> = (0..rows.len() as u32).collect();
    let choice = Choice {
        bounds,
        rank: &rank,
        salt: 7,
    };
    let mut tally = vec![(0, 0); rows.len()];
    bound(rows, &members, &choice, &mut tally);
    tally
}

/// The rows one person counts in.
fn kept(
    rows: u32,
    max_rows: u32,
    requests: &dyn Fn(u32) -> u32,
    rank: impl Fn(u32) -> u64,
) -> Vec<u32> {
    let bounds = Bounds {
        max_rows,
        max_requests: 100,
    };
    let t = tally(&table(rows, &[(0, requests)]), bounds, rank);
    (0..rows).filter(|&r| t[r as usize].0 == 1).collect()
}

#[test]
fn without_a_rank_the_rows_with_most_requests_are_kept() {
    let k = kept(20, 10, &|r| if r >= 12 { 5 } else { 1 }, |_| u64::MAX);
    // The 8 rows of 5 requests, then 2 of the others.
    assert!((12..20).all(|r| k.contains(&r)), "{k:?}");
    assert_eq!(k.len(), 10);
}

#[test]
fn published_rows_come_first_and_the_smallest_of_them_first() {
    // Rows 0..6 were published, row r with 106 - r visitors; the person
    // made more requests to the others.
    let requests = |r: u32| if r < 6 { 1 } else { 9 };
    let rank = |r: u32| if r < 6 { 106 - u64::from(r) } else { u64::MAX };
    let k = kept(20, 8, &requests, rank);
    assert!((0..6).all(|r| k.contains(&r)), "{k:?}");
    assert_eq!(k.len(), 8);
    // Fewer slots than published rows: the smallest published rows.
    assert_eq!(kept(20, 4, &requests, rank), [2, 3, 4, 5]);
}

#[test]
fn each_persons_choice_is_their_own() {
    // Bounding is per person: the tally of two people is the sum of
    // their tallies alone, whatever rank the rows have.
    let bounds = Bounds {
        max_rows: 12,
        max_requests: 2,
    };
    let rank = |r: u32| {
        if r.is_multiple_of(3) {
            u64::from(r)
        } else {
            u64::MAX
        }
    };
    let first = |r: u32| r % 4 + 1;
    let second = |r: u32| if r.is_multiple_of(5) { 0 } else { 3 };
    let both = tally(&table(30, &[(0, &first), (1, &second)]), bounds, rank);
    let a = tally(&table(30, &[(0, &first)]), bounds, rank);
    let b = tally(&table(30, &[(1, &second)]), bounds, rank);
    for r in 0..30 {
        assert_eq!(both[r], (a[r].0 + b[r].0, a[r].1 + b[r].1), "row {r}");
    }
    let people: u64 = both.iter().map(|t| t.0).sum();
    assert_eq!(people, 24, "each person counts in exactly max_rows rows");
    assert!(both.iter().all(|t| t.1 <= 2 * t.0));
}

#[test]
fn published_rows_rank_by_their_latest_visitors() {
    let row = |site: &str, path: &str, visitors: u64| DpRow {
        day: 20_000,
        time: 20_000,
        site: site.into(),
        key: vec![path.into(), "page".into()],
        visitors,
        requests: visitors,
        visitors_scale: 1.0,
        requests_scale: 1.0,
    };
    let key = |path: &str| vec![path.to_string(), "page".to_string()];
    let mut p = Published::default();
    assert_eq!(p.rank("a.org", &key("/x")), u64::MAX, "nothing published");
    p.extend(&[row("a.org", "/x", 500), row("a.org", "/y", 120)]);
    p.extend(&[row("a.org", "/x", 90)]);
    assert_eq!(p.rank("a.org", &key("/x")), 90, "the latest release counts");
    assert_eq!(p.rank("a.org", &key("/y")), 120);
    assert_eq!(p.rank("b.org", &key("/x")), u64::MAX, "another site");
    assert_eq!(p.rank("a.org", &key("/z")), u64::MAX);
    assert!(p.rank("a.org", &key("/y")) < u64::MAX);
}
