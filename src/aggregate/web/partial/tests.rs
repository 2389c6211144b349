//! Partials are exact: a day split anywhere and merged back through its
//! partials is the day read at once.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;
use crate::formats::{RawRecord, Request};
use crate::privacy::key::{Key, KeyMode};
use crate::privacy::{Veil, VeilConfig};

/// A request: client, time, path, status, referrer, duration.
type Req = (String, i64, String, u16, Option<String>, Option<u64>);

/// Requests over three days: visitors return, sessions span the split
/// points, one request has no client.
fn requests() -> Vec<Req> {
    let mut out = Vec::new();
    let day0 = 19_700 * time::DAY;
    for i in 0..400i64 {
        let client = match i % 7 {
            6 => "-".to_string(),
            n => format!("192.0.2.{}", n * 3 + i % 5),
        };
        let t = day0 + 36_000 + i * 431;
        let path = format!("/p{}", i % 9);
        let status = [200, 200, 404, 301, 500][(i % 5) as usize];
        let referer = (i % 3 == 0).then(|| format!("https://ref{}.example.org/", i % 4));
        let dur = (i % 2 == 0).then_some((i as u64) * 997);
        out.push((client, t, path, status, referer, dur));
    }
    out
}

/// An aggregate of `reqs` and the labels its ids point into.
fn aggregate(veil: &Veil, reqs: &[Req]) -> (WebAggregate, Labels) {
    aggregate_into(WebAggregate::new(1800), veil, reqs)
}

/// [`aggregate`] into `agg` (empty).
fn aggregate_into(mut agg: WebAggregate, veil: &Veil, reqs: &[Req]) -> (WebAggregate, Labels) {
    let mut worker = veil.worker();
    for (client, t, path, status, referer, dur) in reqs {
        let target = format!("{path}?q=x");
        let raw = RawRecord {
            client: client.as_bytes(),
            user: None,
            time: *t,
            request: Request::Http {
                method: b"GET",
                target: target.as_bytes(),
                protocol: b"HTTP/1.1",
            },
            status: *status,
            bytes: 100 + *t as u64 % 50,
            referer: referer.as_deref().map(str::as_bytes),
            user_agent: Some(b"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
            vhost: None,
            forwarded_for: None,
            duration_us: *dur,
        };
        agg.add(worker.apply(&raw));
    }
    (agg, worker.into_labels())
}

fn veil() -> Veil {
    let key = Key::generate(KeyMode::Ephemeral).expect("a key");
    Veil::new(Arc::new(key), VeilConfig::default())
}

/// Every day's canonical partial of the aggregates, imported in turn into
/// one aggregate.
fn merged(parts: Vec<(WebAggregate, Labels)>) -> BTreeMap<i32, DayPartial> {
    let mut into = WebAggregate::new(1800);
    let mut labels = Labels::default();
    for (agg, l) in parts {
        for part in agg.export(&l, &Renumbering::default()).into_values() {
            into.import(&mut labels, &part.canonical());
        }
    }
    canonical(into.export(&labels, &Renumbering::default()))
}

fn canonical(days: BTreeMap<i32, DayPartial>) -> BTreeMap<i32, DayPartial> {
    days.into_iter().map(|(d, p)| (d, p.canonical())).collect()
}

#[test]
fn a_partial_round_trips() {
    let veil = veil();
    let (agg, labels) = aggregate(&veil, &requests());
    let once = canonical(agg.export(&labels, &Renumbering::default()));
    assert_eq!(once.len(), 3, "the requests span three days");
    assert!(
        once.values()
            .all(|p| !p.rows.is_empty() && !p.sessions.is_empty())
    );
    let again = merged(vec![aggregate(&veil, &requests())]);
    assert_eq!(again, once);
}

#[test]
fn a_day_split_anywhere_merges_back_exactly() {
    let veil = veil();
    let all = requests();
    let (agg, labels) = aggregate(&veil, &all);
    let whole = canonical(agg.export(&labels, &Renumbering::default()));
    for cut in [1, 57, 200, 333, 399] {
        let (a, b) = all.split_at(cut);
        // The halves in either order, each read by its own worker.
        let got = merged(vec![aggregate(&veil, b), aggregate(&veil, a)]);
        assert_eq!(got, whole, "split at request {cut}");
    }
    // Read twice, a day would count its requests twice: merging adds
    // counters, which is why the ledger never reads a line twice.
    let twice = merged(vec![aggregate(&veil, &all), aggregate(&veil, &all)]);
    let requests =
        |d: &BTreeMap<i32, DayPartial>| d.values().map(DayPartial::requests).sum::<u64>();
    assert_eq!(requests(&twice), 2 * requests(&whole));
    // ...but its distinct visitors stay what they were.
    let visitors = |d: &BTreeMap<i32, DayPartial>| {
        d.values()
            .flat_map(|p| &p.rows)
            .filter(|r| r.table == PartialTable::Pages)
            .map(|r| r.visitors.len())
            .sum::<usize>()
    };
    assert_eq!(visitors(&twice), visitors(&whole));
}

/// What another tool's merge of two partials of a day gives: rows as
/// they are (import sums them) and the union of the sessions, not
/// coalesced.
fn union(a: &DayPartial, b: &DayPartial) -> DayPartial {
    let mut u = a.clone();
    u.rows.extend(b.rows.iter().cloned());
    u.sessions.extend(b.sessions.iter().cloned());
    u
}

#[test]
fn a_union_of_sessions_from_two_partials_coalesces_on_import() {
    let veil = veil();
    // Three visitors, a request every 5 minutes each for two hours around
    // midnight, then one more after a pause: sessions to coalesce.
    let t0 = 19_800 * time::DAY - 3_600;
    let all: Vec<Req> = (0..75i64)
        .map(|i| {
            let pause = if i >= 72 { 4_000 } else { 0 };
            let client = format!("198.51.100.{}", i % 3);
            (
                client,
                t0 + i * 100 + pause,
                "/".to_string(),
                200,
                None,
                None,
            )
        })
        .collect();
    let (agg, labels) = aggregate(&veil, &all);
    let whole = canonical(agg.export(&labels, &Renumbering::default()));
    assert!(whole.values().any(|p| p.sessions.len() == 3));
    // Requests dealt round two shards in runs of 1 to 3, so one visitor's
    // sessions on the two overlap.
    for run in 1..=3 {
        let (a, b): (Vec<(usize, Req)>, Vec<_>) = all
            .iter()
            .cloned()
            .enumerate()
            .partition(|(i, _)| (i / run) % 2 == 0);
        let strip = |v: Vec<(usize, Req)>| v.into_iter().map(|(_, r)| r).collect::<Vec<_>>();
        let (a, b) = (strip(a), strip(b));
        let export =
            |(agg, l): (WebAggregate, Labels)| canonical(agg.export(&l, &Renumbering::default()));
        let (a, b) = (export(aggregate(&veil, &a)), export(aggregate(&veil, &b)));
        let mut into = WebAggregate::new(1800);
        let mut labels = Labels::default();
        for day in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            let empty = DayPartial::new(*day);
            let (x, y) = (a.get(day).unwrap_or(&empty), b.get(day).unwrap_or(&empty));
            into.import(&mut labels, &union(x, y));
        }
        let got = canonical(into.export(&labels, &Renumbering::default()));
        assert_eq!(got, whole, "runs of {run}");
    }
}

#[test]
fn sessions_that_span_a_split_coalesce() {
    let veil = veil();
    let t0 = 19_800 * time::DAY + 3_600;
    // One visitor, a request every 10 minutes for an hour: one session.
    let reqs: Vec<_> = (0..7)
        .map(|i| {
            (
                "198.51.100.7".to_string(),
                t0 + i * 600,
                "/".to_string(),
                200,
                None,
                None,
            )
        })
        .collect();
    let (a, b) = reqs.split_at(3);
    let got = merged(vec![aggregate(&veil, a), aggregate(&veil, b)]);
    let day = got.values().next().expect("one day");
    assert_eq!(day.sessions.len(), 1);
    assert_eq!(day.sessions[0].interval.requests, 7);
    assert_eq!(
        day.sessions[0].interval.last - day.sessions[0].interval.first,
        3_600
    );
}

/// Requests around a midnight that visitors repeat within their rows
/// (same page, hour, referrer) several times each, so that counts per
/// visitor matter; one request has no client.
fn repeated() -> Vec<Req> {
    let t0 = 19_900 * time::DAY - 5_400;
    (0..600i64)
        .map(|i| {
            let client = match i % 11 {
                10 => "-".to_string(),
                n => format!("203.0.113.{}", n * 2 + i % 3),
            };
            let path = format!("/r{}", (i / 5) % 4);
            let referer = (i % 4 == 0).then(|| "https://ref.example.org/".to_string());
            (client, t0 + i * 19, path, 200, referer, Some(500))
        })
        .collect()
}

/// Each (table, key, visitor)'s requests in a counting aggregate, from
/// `into_contributions`, keys as text and visitors as pseudonyms: what
/// the differential-privacy mode bounds, comparable across aggregates.
type Counted = BTreeMap<(PartialTable, String, u64), u32>;

fn counted(agg: WebAggregate, labels: &Labels) -> Counted {
    assert!(agg.is_counting());
    let pseudonyms: Vec<u64> = agg.sessions.visitors().map(|(_, v, _)| v).collect();
    let mut out = Counted::new();
    let mut add = |table, key: String, people: &[u32], requests: &[u32]| {
        assert_eq!(people.len(), requests.len());
        for (&p, &n) in people.iter().zip(requests) {
            let who = pseudonyms[p as usize];
            assert!(out.insert((table, key.clone(), who), n).is_none());
        }
    };
    let pages = agg.pages.into_contributions(None);
    for r in 0..pages.len() as u32 {
        let &(day, site, path) = pages.key(r);
        let key = format!("{day} {} {}", labels.get(site), labels.get(path));
        let (people, requests) = pages.row(r);
        add(PartialTable::Pages, key, people, requests);
    }
    let traffic = agg.traffic.into_contributions(None);
    for r in 0..traffic.len() as u32 {
        let &(hour, site) = traffic.key(r);
        let (people, requests) = traffic.row(r);
        add(
            PartialTable::Traffic,
            format!("{hour} {}", labels.get(site)),
            people,
            requests,
        );
    }
    let referrers = agg.referrers.into_contributions(None);
    for r in 0..referrers.len() as u32 {
        let &(day, site, host) = referrers.key(r);
        let key = format!("{day} {} {}", labels.get(site), labels.get(host));
        let (people, requests) = referrers.row(r);
        add(PartialTable::Referrers, key, people, requests);
    }
    out
}

/// The canonical partials of `aggregates`, each written to Parquet and
/// read back, imported together into one aggregate made by
/// `counting_for` (counting when the partials count), as the nights of a
/// state merge.
fn through_state(aggregates: Vec<(WebAggregate, Labels)>) -> (WebAggregate, Labels) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut parts = Vec::new();
    for (n, (agg, labels)) in aggregates.into_iter().enumerate() {
        for (day, part) in agg.export(&labels, &Renumbering::default()) {
            let at = dir.path().join(format!("{n}-{day}"));
            crate::state::partials::write_day(&at, &part.canonical()).expect("written");
            parts.push(crate::state::partials::read_day(&at, day).expect("read back"));
        }
    }
    let mut into = WebAggregate::new(1800).counting_for(&parts);
    let mut labels = Labels::default();
    for part in &parts {
        into.import(&mut labels, part);
    }
    (into, labels)
}

#[test]
fn requests_per_visitor_round_trip_through_a_stored_partial() {
    let veil = veil();
    let reqs = repeated();
    let (agg, labels) = aggregate_into(WebAggregate::new(1800).counting(), &veil, &reqs);
    let (again, again_labels) = through_state(vec![aggregate_into(
        WebAggregate::new(1800).counting(),
        &veil,
        &reqs,
    )]);
    let want = counted(agg, &labels);
    // Counts above one, or the test would not tell counts from pairs.
    assert!(want.values().filter(|&&n| n > 1).count() > 50);
    assert_eq!(counted(again, &again_labels), want);
}

#[test]
fn a_day_split_over_two_nights_keeps_each_visitors_requests() {
    let veil = veil();
    let all = repeated();
    let counting = || WebAggregate::new(1800).counting();
    let (agg, labels) = aggregate_into(counting(), &veil, &all);
    let whole = counted(agg, &labels);
    for cut in [1, 250, 333, 599] {
        let (a, b) = all.split_at(cut);
        let halves = |reqs: &[Req]| {
            let (agg, labels) = aggregate_into(counting(), &veil, reqs);
            counted(agg, &labels)
        };
        let (first, second) = (halves(a), halves(b));
        // Some visitor's requests to one row fall on both nights.
        assert!(
            first.keys().any(|k| second.contains_key(k)),
            "split at request {cut}"
        );
        let got = through_state(vec![
            aggregate_into(counting(), &veil, b),
            aggregate_into(counting(), &veil, a),
        ]);
        assert_eq!(counted(got.0, &got.1), whole, "split at request {cut}");
    }
}

#[test]
fn a_counted_partial_merged_through_export_sums_a_visitors_requests() {
    // The merge a state does: import the nights, export, canonical.
    let veil = veil();
    let all = repeated();
    let counting = || WebAggregate::new(1800).counting();
    let (agg, labels) = aggregate_into(counting(), &veil, &all);
    let whole = canonical(agg.export(&labels, &Renumbering::default()));
    assert!(whole.values().all(DayPartial::is_counted));
    let (a, b) = all.split_at(300);
    let (merged, labels) = through_state(vec![
        aggregate_into(counting(), &veil, a),
        aggregate_into(counting(), &veil, b),
    ]);
    let got = canonical(merged.export(&labels, &Renumbering::default()));
    assert_eq!(got, whole);
    // Every row's requests are its visitors' (the no-client request
    // aside, which counts in no visitor's).
    for r in whole.values().flat_map(|p| &p.rows) {
        assert_eq!(r.requests.len(), r.visitors.len());
        let sum: u64 = r.requests.iter().map(|&n| u64::from(n)).sum();
        if r.table == PartialTable::Pages {
            assert!(sum <= r.measures.requests && sum > 0, "{r:?}");
        }
    }
}

#[test]
fn a_plain_partial_carries_no_requests_and_round_trips_unchanged() {
    let veil = veil();
    let reqs = repeated();
    let (agg, labels) = aggregate(&veil, &reqs);
    let once = canonical(agg.export(&labels, &Renumbering::default()));
    assert!(once.values().all(|p| !p.is_counted()));
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (&day, part) in &once {
        let at = dir.path().join(day.to_string());
        crate::state::partials::write_day(&at, part).expect("written");
        let file = std::fs::File::open(at.join(crate::state::partials::ROWS_FILE)).unwrap();
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        assert!(
            reader
                .schema()
                .column_with_name("visitor_requests")
                .is_none()
        );
        assert_eq!(&crate::state::partials::read_day(&at, day).unwrap(), part);
    }
    // Imported into a plain aggregate, a plain partial gives the same.
    let (again, labels) = through_state(vec![aggregate(&veil, &reqs)]);
    assert!(!again.is_counting());
    assert_eq!(
        canonical(again.export(&labels, &Renumbering::default())),
        once
    );
}

#[test]
fn a_counted_partial_into_a_plain_aggregate_counts_distinct_visitors_only() {
    let veil = veil();
    let reqs = repeated();
    let counting = WebAggregate::new(1800).counting();
    let (agg, labels) = aggregate_into(counting, &veil, &reqs);
    let counted_days = canonical(agg.export(&labels, &Renumbering::default()));
    let (plain, labels) = aggregate(&veil, &reqs);
    let plain_days = canonical(plain.export(&labels, &Renumbering::default()));
    let mut into = WebAggregate::new(1800);
    let mut labels = Labels::default();
    for part in counted_days.values() {
        into.import(&mut labels, part);
    }
    assert_eq!(
        canonical(into.export(&labels, &Renumbering::default())),
        plain_days
    );
}

#[test]
fn a_released_only_aggregate_keeps_visitors_just_in_the_released_tables() {
    let veil = veil();
    let reqs = repeated();
    let dp = crate::privacy::policy::DpPolicy::default();
    let released = [
        PartialTable::Pages,
        PartialTable::Referrers,
        PartialTable::Clients,
    ];
    let export = |agg: WebAggregate| {
        let (agg, labels) = aggregate_into(agg, &veil, &reqs);
        canonical(agg.export(&labels, &Renumbering::default()))
    };
    let full = export(WebAggregate::new(1800).counting());
    let lean = export(WebAggregate::new(1800).counting_released(&dp));
    assert_eq!(
        full.keys().collect::<Vec<_>>(),
        lean.keys().collect::<Vec<_>>()
    );
    let (mut kept, mut emptied) = (0, 0);
    for (day, f) in &full {
        let l = &lean[day];
        assert_eq!(f.sessions, l.sessions);
        assert_eq!(f.rows.len(), l.rows.len());
        for (f, l) in f.rows.iter().zip(&l.rows) {
            assert_eq!(
                (f.table, &f.label, f.time, &f.measures),
                (l.table, &l.label, l.time, &l.measures)
            );
            if released.contains(&f.table) {
                assert_eq!((&f.visitors, &f.requests), (&l.visitors, &l.requests));
                kept += 1;
            } else {
                assert!(
                    l.visitors.is_empty() && l.requests.is_empty(),
                    "{:?}",
                    l.table
                );
                emptied += usize::from(!f.visitors.is_empty());
            }
        }
    }
    assert!(kept > 10 && emptied > 5, "{kept} {emptied}");
}
