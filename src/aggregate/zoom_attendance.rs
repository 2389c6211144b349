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
use super::zoom_meetings::person_minutes;

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

/// The attendance table of `parts`, whose labels index `labels`.
pub(super) fn attendance(
    parts: &[&Row],
    labels: &[String],
    policy: &Policy,
) -> Result<Table, String> {
    let mut strings = Interner::default();
    let other = strings.intern(OTHER.into());
    // Interned in the order rows first name them, as each row's labels
    // were before rows held indices.
    let mut interned: Vec<Option<u32>> = vec![None; labels.len()];
    let mut intern = |i: u32| -> u32 {
        let slot = &mut interned[i as usize];
        *slot.get_or_insert_with(|| strings.intern(labels[i as usize].clone().into()))
    };
    // (day, affiliation, device) → (meeting, person) → their rows: minutes
    // are per meeting and person, as in `zoom_meetings`, so a day adds up
    // to the same minutes in both tables. Grouped by sorting, not by maps
    // of vectors, which cost ten times the memory per row.
    type Key = (i32, u32, u32);
    let by_label: Vec<u32> = {
        for p in parts {
            intern(p.affiliation());
            intern(p.device());
        }
        interned.iter().map(|i| i.unwrap_or(other)).collect()
    };
    let label = |i: u32| by_label.get(i as usize).copied().unwrap_or(other);
    let key = |p: &Row| -> Key { (meeting_day(p), label(p.affiliation()), label(p.device())) };
    // Each row as one integer: the ranks of its key, meeting and person
    // (each in the order of what it ranks) in the high 96 bits and its
    // place in the input in the low 32, so equal groups keep their rows in
    // input order. Sorted without reading the rows, where comparing row
    // references read two rows and computed two days a comparison. (Places
    // past 2^32, some 350 GiB of rows, would only share a place.)
    let mut distinct: Vec<Key> = {
        let mut seen: HashSet<Key> = HashSet::new();
        seen.extend(parts.iter().map(|p| key(p)));
        seen.into_iter().collect()
    };
    distinct.sort_unstable();
    let key_rank: HashMap<Key, u32> = distinct.iter().copied().zip(0u32..).collect();
    let meetings = meeting_values(parts);
    let mut order: Vec<u128> = parts
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            let k = key_rank.get(&key(p)).copied().unwrap_or(0);
            let m = meetings
                .binary_search(&p.meeting.value())
                .unwrap_or_else(|i| i);
            let m = u32::try_from(m).unwrap_or(u32::MAX);
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            (u128::from(k) << 96)
                | (u128::from(m) << 64)
                | (u128::from(p.person_id()) << 32)
                | u128::from(i)
        })
        .collect();
    drop(key_rank);
    drop(meetings);
    order.par_sort_unstable();
    let mut sets: Vec<(Key, Attendance, Vec<u32>)> = Vec::new();
    let mut rows: Vec<&Row> = Vec::new();
    for (at, &o) in order.iter().enumerate() {
        let Some(&p) = parts.get(o as u32 as usize) else {
            continue;
        };
        rows.push(p);
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
            c.sessions += rows.len() as u64;
            c.seconds += person_minutes(&rows) * 60.0;
            who.push(p.person_id());
        }
        rows.clear();
    }
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
