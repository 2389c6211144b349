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

/// Each hour's counters and people, in the order hours are first met,
/// found through a hash index and the last hours met, one for each hour
/// of four in a row (a meeting's rows touch the same few hours, and its
/// joins and leaves alternate between two): a B-tree lookup for each of
/// the millions of touches cost most of this table. Sorted by hour once,
/// at the end.
#[derive(Default)]
struct Hours {
    index: HashMap<i64, usize, foldhash::fast::RandomState>,
    slots: Vec<(i64, Presence, Vec<u32>)>,
    // Hour h's slot, if met last of its hours, at (h / HOUR) mod 4.
    recent: [Option<(i64, usize)>; 4],
}

impl Hours {
    /// The counters and people of hour `h`, empty when first met.
    fn at(&mut self, h: i64) -> (&mut Presence, &mut Vec<u32>) {
        let way = (h.div_euclid(HOUR) & 3) as usize;
        let i = match self.recent[way] {
            Some((last, i)) if last == h => i,
            _ => {
                let next = self.slots.len();
                let i = *self.index.entry(h).or_insert(next);
                if i == next {
                    self.slots.push((h, Presence::default(), Vec::new()));
                }
                self.recent[way] = Some((h, i));
                i
            }
        };
        // `i` indexes a slot: every index entry was pushed with its slot.
        let (_, p, who) = &mut self.slots[i];
        (p, who)
    }

    /// Adds `other`'s counters and people to this one's.
    fn absorb(&mut self, other: Hours) {
        for (h, p, mut who) in other.slots {
            let (mine, people) = self.at(h);
            mine.joins += p.joins;
            mine.leaves += p.leaves;
            if people.is_empty() {
                *people = who;
            } else {
                people.append(&mut who);
            }
        }
    }

    /// Every hour met, in time order.
    fn into_sorted(self) -> Vec<(i64, Presence, Vec<u32>)> {
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

/// What one share of the meetings adds: hours' counters and people, and
/// the join and leave events of their merged sessions (written into a
/// slice of the run's events; `events` is how many).
struct Share {
    hours: Hours,
    events: usize,
}

/// Walks the counted sessions of `meetings` into `share`'s hours and into
/// `out`, which has room for two events a counted row.
fn walk(meetings: &[Runs], session: impl Fn(&Row) -> Option<(i64, i64)>, out: &mut [i64]) -> Share {
    let mut hours = Hours::default();
    let mut n = 0usize;
    let mut push = |e: i64| {
        if let Some(slot) = out.get_mut(n) {
            *slot = e;
            n += 1;
        }
    };
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
            hours.at(time::hour_of(j)).0.joins += 1;
            hours.at(time::hour_of(l)).0.leaves += 1;
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
                // at the same second, in 8 bytes an event.
                push(s.saturating_mul(2).saturating_add(1));
                push(e.saturating_mul(2));
                let mut h = time::hour_of(s);
                while h <= e {
                    hours.at(h).1.push(who);
                    h += HOUR;
                }
            }
            merged.clear();
        }
    }
    Share { hours, events: n }
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
    // does not depend on the order meetings come in (events are sorted
    // below, each hour's people are a set, its joins and leaves add up),
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
    let shares: Vec<&[Runs]> = meetings.chunks(size).collect();
    // Two events a merged session, at most two a counted row: each share
    // writes into its own slice of one vector with room for two a row, as
    // vectors grown by doubling could hold twice that at the run's peak.
    // (Room no row writes to is zeroed pages never touched: it costs no
    // memory.)
    let room: Vec<usize> = shares
        .iter()
        .map(|share| {
            let rows: usize = share
                .iter()
                .flat_map(|m| m.iter())
                .map(|(_, r)| r.len())
                .sum();
            rows.saturating_mul(2)
        })
        .collect();
    let mut events = vec![0i64; room.iter().sum()];
    let mut outs = Vec::with_capacity(shares.len());
    let mut rest = events.as_mut_slice();
    for &n in &room {
        let n = n.min(rest.len());
        let (out, tail) = std::mem::take(&mut rest).split_at_mut(n);
        outs.push(out);
        rest = tail;
    }
    let walked: Vec<Share> = shares
        .par_iter()
        .zip(outs)
        .map(|(share, out)| walk(share, session, out))
        .collect();
    // Each share's events moved down to follow the last's.
    let (mut hours, mut end, mut start) = (Hours::default(), 0usize, 0usize);
    for (share, room) in walked.into_iter().zip(&room) {
        events.copy_within(start..start + share.events, end);
        end += share.events;
        start += room;
        hours.absorb(share.hours);
    }
    events.truncate(end);
    // Leaves before joins at the same second: a hand-over is not an overlap.
    events.par_sort_unstable();
    let (mut current, mut next) = (0i64, 0);
    let mut hours = hours.into_sorted();
    for (hour, p, _) in hours.iter_mut() {
        let hour = *hour;
        let mut peak = current;
        while next < events.len() && events[next] >> 1 < hour + HOUR {
            current += if events[next] & 1 == 1 { 1 } else { -1 };
            peak = peak.max(current);
            next += 1;
        }
        p.peak = peak;
    }
    // Each hour's people are a set: made one here, on the run's threads,
    // they cost `Rows` only a check that they are.
    hours.par_iter_mut().for_each(|(_, _, who)| {
        who.sort_unstable();
        who.dedup();
    });
    let k = policy.suppression.k_for(schema::ZOOM_CONCURRENCY.name);
    let sets = hours;
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
