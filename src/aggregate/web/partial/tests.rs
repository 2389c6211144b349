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
    let mut worker = veil.worker();
    let mut agg = WebAggregate::new(1800);
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
