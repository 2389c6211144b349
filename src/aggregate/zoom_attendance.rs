//! The Zoom attendance table: sessions, people and minutes per day,
//! affiliation and device, the minutes of each (meeting, person) counted as
//! in the meetings table.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::output::schema;
use crate::output::table::Table;
use crate::privacy::disclosure::Rows;
use crate::privacy::labels::OTHER;
use crate::privacy::policy::Policy;

use super::columns::{days, float64, int64, sorted, utf8};
use super::group::Counters;
use super::intern::Interner;
use super::zoom::{Row, meeting_day, meeting_values};
use super::zoom_meetings::{Session, person_minutes};

/// Counters of an attendance row.
#[derive(Debug, Default, Clone, Copy)]
struct Attendance {
    sessions: u64,
    seconds: f64,
}

impl Counters for Attendance {
    fn merge(&mut self, o: &Self) {
        self.sessions += o.sessions;
        self.seconds += o.seconds;
    }
}

/// (day, affiliation, device): labels as interned ids, or, in a raw key,
/// as indices into the aggregate's list.
type Key = (i32, u32, u32);

type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A row's key with its labels as indices into the aggregate's list.
fn raw_key(p: &Row) -> Key {
    (meeting_day(p), p.affiliation(), p.device())
}

/// Rows of `parts` a task reads at a time where the work is split by
/// place: enough to pay for the task, few enough to spread.
const CHUNK: usize = 4096;

/// The attendance table of `parts`, whose labels index `labels`.
pub(super) fn attendance(
    parts: &[&Row],
    labels: &[String],
    policy: &Policy,
) -> Result<Table, String> {
    let mut strings = Interner::default();
    let other = strings.intern(OTHER.into());
    // (day, affiliation, device) → (meeting, person) → their rows: minutes
    // are per meeting and person, as in `zoom_meetings`, so a day adds up
    // to the same minutes in both tables. Grouped by sorting, not by maps
    // of vectors, which cost ten times the memory per row.
    //
    // One pass on the run's threads finds the raw keys and the place each
    // label is first named (2i for row i's affiliation, 2i + 1 for its
    // device): labels are interned in that order, as each row's labels
    // were before rows held indices, and keys are ranked by interned ids.
    let none = || (FastSet::<Key>::default(), vec![u64::MAX; labels.len()]);
    let (raw_keys, first) = parts
        .par_iter()
        .enumerate()
        .fold(none, |(mut keys, mut first), (i, p)| {
            keys.insert(raw_key(p));
            let at = (i as u64).saturating_mul(2);
            if let Some(f) = first.get_mut(p.affiliation() as usize) {
                *f = (*f).min(at);
            }
            if let Some(f) = first.get_mut(p.device() as usize) {
                *f = (*f).min(at.saturating_add(1));
            }
            (keys, first)
        })
        .reduce(none, |(mut keys, mut first), (k, f)| {
            keys.extend(k);
            for (a, b) in first.iter_mut().zip(f) {
                *a = (*a).min(b);
            }
            (keys, first)
        });
    let mut named: Vec<(u64, usize)> = first
        .iter()
        .enumerate()
        .filter(|&(_, &f)| f != u64::MAX)
        .map(|(l, &f)| (f, l))
        .collect();
    named.sort_unstable();
    let mut by_label = vec![other; labels.len()];
    for (_, l) in named {
        if let (Some(slot), Some(s)) = (by_label.get_mut(l), labels.get(l)) {
            *slot = strings.intern(s.clone().into());
        }
    }
    let label = |i: u32| by_label.get(i as usize).copied().unwrap_or(other);
    // Each row as one integer: the ranks of its key, meeting and person
    // (each in the order of what it ranks) in the high 96 bits and its
    // place in the input in the low 32, so equal groups keep their rows in
    // input order. Sorted without reading the rows, where comparing row
    // references read two rows and computed two days a comparison. (Places
    // past 2^32, some 350 GiB of rows, would only share a place.)
    let mut keyed: Vec<(Key, Key)> = raw_keys
        .into_iter()
        .map(|r| ((r.0, label(r.1), label(r.2)), r))
        .collect();
    keyed.sort_unstable();
    let mut distinct: Vec<Key> = Vec::with_capacity(keyed.len());
    let mut key_rank: FastMap<Key, u32> = FastMap::default();
    for (key, raw) in keyed {
        if distinct.last() != Some(&key) {
            distinct.push(key);
        }
        let rank = u32::try_from(distinct.len().saturating_sub(1)).unwrap_or(u32::MAX);
        key_rank.insert(raw, rank);
    }
    let meetings = meeting_values(parts);
    // Filled in place, a chunk of places a task: a row's key and meeting
    // are most often the last row's, so each is looked up once a run.
    // Grouping below reads each row's session from the rows themselves,
    // in sorted order, all over memory. An array of the sessions taken
    // along in input order read faster (a tenth of the stage), but it
    // held 16 bytes a row more at the run's peak, which for a single
    // export of a million rows is what the 200 MiB bound leaves.
    let mut order = vec![0u128; parts.len()];
    order
        .par_chunks_mut(CHUNK)
        .zip(parts.par_chunks(CHUNK))
        .enumerate()
        .for_each(|(c, (out, rows))| {
            let mut last_key: Option<(Key, u32)> = None;
            let mut last_meeting: Option<(u64, u32)> = None;
            for (j, (o, p)) in out.iter_mut().zip(rows).enumerate() {
                let raw = raw_key(p);
                let k = match last_key {
                    Some((r, k)) if r == raw => k,
                    _ => {
                        let k = key_rank.get(&raw).copied().unwrap_or(0);
                        last_key = Some((raw, k));
                        k
                    }
                };
                let value = p.meeting.value();
                let m = match last_meeting {
                    Some((v, m)) if v == value => m,
                    _ => {
                        let m = meetings.binary_search(&value).unwrap_or_else(|i| i);
                        let m = u32::try_from(m).unwrap_or(u32::MAX);
                        last_meeting = Some((value, m));
                        m
                    }
                };
                let i = c.saturating_mul(CHUNK).saturating_add(j);
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                *o = (u128::from(k) << 96)
                    | (u128::from(m) << 64)
                    | (u128::from(p.person_id()) << 32)
                    | u128::from(i);
            }
        });
    drop(key_rank);
    drop(meetings);
    order.par_sort_unstable();
    // Each key's groups are gathered by one task, in order, so that its
    // minutes add up in the order they did: the tasks' shares of `order`
    // end where a key does.
    let shares = rayon::current_num_threads().saturating_mul(8).max(1);
    let mut bounds = vec![0usize];
    for s in 1..shares {
        let at = order.len() / shares * s;
        let Some(&o) = order.get(at) else { break };
        let end = order.partition_point(|&n| n >> 96 <= o >> 96);
        if bounds.last().is_some_and(|&b| b < end) && end < order.len() {
            bounds.push(end);
        }
    }
    bounds.push(order.len());
    let sets: Vec<(Key, Attendance, Vec<u32>)> = bounds
        .par_windows(2)
        .map(|w| group(order.get(w[0]..w[1]).unwrap_or_default(), parts, &distinct))
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    drop(order);
    let k = policy.suppression.k_for(schema::ZOOM_ATTENDANCE.name);
    let order = |k: &(i32, u32, u32)| (k.0, strings.get(k.1), strings.get(k.2));
    let (rows, stats) =
        Rows::from_sets(sets).fold(k, |key| key.0, |key| (key.0, other, other), |_| k, order);
    let rows = sorted(rows, order);
    Ok(Table::new(
        &schema::ZOOM_ATTENDANCE,
        vec![
            days(&rows, |k| k.0),
            utf8(&rows, |r| strings.get(r.0.1)),
            utf8(&rows, |r| strings.get(r.0.2)),
            int64(&rows, |r| r.1.sessions),
            int64(&rows, |r| r.2),
            float64(&rows, |r| r.1.seconds / 60.0),
        ],
    )?
    .with_suppression(stats))
}

/// The attendance rows of a share of the sorted `order` that holds whole
/// keys: a row a key, its people, and its sessions and minutes added up a
/// (meeting, person) at a time in order. The person is the one in each
/// entry of `order`, the session that of the row at its place.
fn group(order: &[u128], parts: &[&Row], distinct: &[Key]) -> Vec<(Key, Attendance, Vec<u32>)> {
    let mut sets: Vec<(Key, Attendance, Vec<u32>)> = Vec::new();
    let mut of_person: Vec<Session> = Vec::new();
    for (at, &o) in order.iter().enumerate() {
        let Some(p) = parts.get(o as u32 as usize) else {
            continue;
        };
        of_person.push(Session::of(p));
        if order.get(at + 1).is_some_and(|&n| n >> 32 == o >> 32) {
            continue;
        }
        let k = distinct
            .get((o >> 96) as usize)
            .copied()
            .unwrap_or_default();
        if sets.last().is_none_or(|s| s.0 != k) {
            sets.push((k, Attendance::default(), Vec::new()));
        }
        if let Some((_, c, who)) = sets.last_mut() {
            c.sessions += of_person.len() as u64;
            c.seconds += person_minutes(of_person.iter().copied()) * 60.0;
            who.push((o >> 32) as u32);
        }
        of_person.clear();
    }
    sets
}
