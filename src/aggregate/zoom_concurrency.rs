//! The Zoom concurrency table: per hour with someone present, the peak of
//! people present at once, joins and leaves, in buckets of at least k
//! people a day. Split from `zoom.rs`, whose other tables share its rows.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::output::schema;
use crate::output::table::{Table, Values};
use crate::privacy::disclosure::Rows;
use crate::privacy::policy::Policy;
use crate::time::{self, HOUR};

use super::group::Counters;
use super::zoom::{Row, Runs};

/// Counters of a concurrency row: the peak does not add up, the joins and
/// leaves do.
#[derive(Debug, Default, Clone, Copy)]
struct Presence {
    peak: i64,
    joins: u64,
    leaves: u64,
}

impl Counters for Presence {
    fn merge(&mut self, o: &Self) {
        self.peak = self.peak.max(o.peak);
        self.joins += o.joins;
        self.leaves += o.leaves;
    }
}

/// What an hour holds: its counters, the people present in it, and the
/// join and leave events that fall in it.
#[derive(Default)]
struct Hour {
    presence: Presence,
    who: Vec<u32>,
    events: Vec<i64>,
}

/// Each hour's counters, people and events, in the order hours are first
/// met, found through a hash index and the last hours met, one for each
/// hour of four in a row (a meeting's rows touch the same few hours, and
/// its joins and leaves alternate between two): a B-tree lookup for each
/// of the millions of touches cost most of this table. Sorted by hour
/// once, at the end.
#[derive(Default)]
struct Hours {
    index: HashMap<i64, usize, foldhash::fast::RandomState>,
    slots: Vec<(i64, Hour)>,
    // Hour h's slot, if met last of its hours, at (h / HOUR) mod 4.
    recent: [Option<(i64, usize)>; 4],
}

impl Hours {
    /// What hour `h` holds, empty when first met.
    fn at(&mut self, h: i64) -> &mut Hour {
        let way = (h.div_euclid(HOUR) & 3) as usize;
        let i = match self.recent[way] {
            Some((last, i)) if last == h => i,
            _ => {
                let next = self.slots.len();
                let i = *self.index.entry(h).or_insert(next);
                if i == next {
                    self.slots.push((h, Hour::default()));
                }
                self.recent[way] = Some((h, i));
                i
            }
        };
        // `i` indexes a slot: every index entry was pushed with its slot.
        &mut self.slots[i].1
    }

    /// Adds what `other`'s hours hold to this one's.
    fn absorb(&mut self, other: Hours) {
        for (h, mut theirs) in other.slots {
            let mine = self.at(h);
            mine.presence.joins += theirs.presence.joins;
            mine.presence.leaves += theirs.presence.leaves;
            if mine.who.is_empty() && mine.events.is_empty() {
                mine.who = theirs.who;
                mine.events = theirs.events;
            } else {
                mine.who.append(&mut theirs.who);
                mine.events.append(&mut theirs.events);
            }
        }
    }

    /// Every hour met, in time order.
    fn into_sorted(self) -> Vec<(i64, Hour)> {
        let mut slots = self.slots;
        slots.sort_unstable_by_key(|s| s.0);
        slots
    }
}

/// The longest session taken as attendance: Zoom ends a meeting after 30
/// hours; two days leave room for time-zone slips in exports. A longer one
/// is a mistyped date (a join in 0226 for 2026): a run rejects it as
/// `bad_timestamp` (`pipeline/zoom.rs`), and the hourly table never walks
/// it, whoever calls it.
pub const MAX_SESSION_SECONDS: i64 = 48 * 3600;

/// Walks the counted sessions of `meetings` into hours: joins and leaves
/// counted, the people present in each hour, and each merged session's
/// join and leave events in the hours they fall in.
fn walk(meetings: &[Runs], session: impl Fn(&Row) -> Option<(i64, i64)>) -> Hours {
    let mut hours = Hours::default();
    let mut sessions: Vec<(u32, i64, i64)> = Vec::new();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for runs in meetings {
        sessions.clear();
        sessions.extend(
            runs.iter()
                .flat_map(|(_, r)| r.iter())
                .filter_map(|p| session(p).map(|(s, e)| (p.person_id(), s, e))),
        );
        for &(_, j, l) in &sessions {
            hours.at(time::hour_of(j)).presence.joins += 1;
            hours.at(time::hour_of(l)).presence.leaves += 1;
        }
        sessions.sort_unstable();
        for (at, &(who, s, e)) in sessions.iter().enumerate() {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
            if sessions.get(at + 1).is_some_and(|n| n.0 == who) {
                continue;
            }
            for &(s, e) in &merged {
                // A join at 2t+1, a leave at 2t: leaves sort before joins
                // at the same second, in 8 bytes an event. The join falls
                // in the first hour walked, the leave in the last (hours
                // start on the hour): filed there, where the hour is at
                // hand, so that events are sorted an hour at a time.
                let mut h = time::hour_of(s);
                while h <= e {
                    let hour = hours.at(h);
                    hour.who.push(who);
                    if h <= s {
                        hour.events.push(s.saturating_mul(2).saturating_add(1));
                    }
                    if e.saturating_sub(h) < HOUR {
                        hour.events.push(e.saturating_mul(2));
                    }
                    h += HOUR;
                }
            }
            merged.clear();
        }
    }
    hours
}

/// Concurrency of the rows of `meetings` (each meeting's runs of rows, as
/// `zoom::meeting_runs` gives them) that count: those of meetings
/// `published` on their own, and not sensitive. Per hour with someone
/// present, in buckets of at least k people per day. The rows are
/// filtered here, not gathered first: a vector of the counted rows would
/// add 8 bytes a row at the run's peak.
pub(super) fn concurrency(
    meetings: &[Runs],
    published: impl Fn(u64) -> bool,
    policy: &Policy,
) -> Result<Table, String> {
    // A person's overlapping sessions in one meeting are one presence.
    // Grouped a meeting at a time, each meeting's sessions sorted by
    // (person, join, leave): a few rows sorted in cache where one sort of
    // every row's reference read rows all over memory. What a meeting adds
    // does not depend on the order meetings come in (each hour's events
    // are sorted below, its people are a set, its joins and leaves add up),
    // so shares of the meetings are walked on the run's threads and
    // gathered after. Whether a meeting was published is asked once a
    // meeting, not once a row.
    let meetings: Vec<Runs> = meetings
        .iter()
        .filter(|runs| runs.first().is_some_and(|&(m, _)| published(m)))
        .copied()
        .collect();
    let session = |p: &Row| match (p.join(), p.leave()) {
        (Some(j), Some(l)) if !p.sensitive() && l.saturating_sub(j) <= MAX_SESSION_SECONDS => {
            Some((j, l.max(j)))
        }
        _ => None,
    };
    // Some shares a thread, so that a share of long meetings does not hold
    // one thread while the other idles.
    let size = meetings
        .len()
        .div_ceil(rayon::current_num_threads().saturating_mul(8).max(1))
        .max(1);
    let walked: Vec<Hours> = meetings
        .par_chunks(size)
        .map(|share| walk(share, session))
        .collect();
    let mut hours = Hours::default();
    for share in walked {
        hours.absorb(share);
    }
    let mut hours = hours.into_sorted();
    // Each hour's events sorted and its people made a set, on the run's
    // threads: hours in order, each one's events in order, are all the
    // events in order, where one sort of them all ran mostly on one.
    hours.par_iter_mut().for_each(|(_, hour)| {
        hour.events.sort_unstable();
        hour.who.sort_unstable();
        hour.who.dedup();
    });
    // Leaves before joins at the same second: a hand-over is not an overlap.
    let mut current = 0i64;
    for (_, hour) in hours.iter_mut() {
        let mut peak = current;
        for &e in &hour.events {
            current += if e & 1 == 1 { 1 } else { -1 };
            peak = peak.max(current);
        }
        hour.presence.peak = peak;
    }
    let k = policy.suppression.k_for(schema::ZOOM_CONCURRENCY.name);
    // Each hour's events freed as it is taken.
    let sets = hours
        .into_iter()
        .map(|(h, hour)| (h, hour.presence, hour.who));
    let (rows, _, stats) = Rows::from_sets(sets).buckets(k, |&h| time::date32(h), |&h| h);
    let mut rows = rows;
    rows.sort_by_key(|r| r.0);
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Ok(Table::new(
        &schema::ZOOM_CONCURRENCY,
        vec![
            Values::Timestamp(rows.iter().map(|r| r.0.saturating_mul(1_000_000)).collect()),
            Values::Int32(rows.iter().map(|r| r.3.clamp(0, 24) as i32).collect()),
            Values::Int64(rows.iter().map(|r| r.1.peak).collect()),
            Values::Int64(rows.iter().map(|r| n(r.1.joins)).collect()),
            Values::Int64(rows.iter().map(|r| n(r.1.leaves)).collect()),
            Values::Int64(rows.iter().map(|r| n(r.2)).collect()),
        ],
    )?
    .with_suppression(stats))
}
