//! The Zoom meetings table: a row per meeting with its start, length,
//! sessions, people, guests and their minutes, and the meetings published
//! on their own (the concurrency table counts only those). A person's
//! minutes in a meeting are the union of their sessions, shared with the
//! attendance table so a day adds up to the same minutes in both.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::output::schema;
use crate::output::table::{Table, Values};
use crate::privacy::disclosure::Rows;
use crate::privacy::labels::OTHER;
use crate::privacy::policy::Policy;
use crate::time;

use super::group::Counters;
use super::zoom::{Row, Runs, meeting_day};

/// Seconds covered by the union of intervals.
fn union_seconds(mut intervals: Vec<(i64, i64)>) -> i64 {
    intervals.sort_unstable();
    let mut total = 0;
    let mut current: Option<(i64, i64)> = None;
    for (s, e) in intervals {
        current = match current {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    total + current.map_or(0, |(s, e)| e - s)
}

/// What a row adds to its person's minutes in a meeting: a timed session,
/// untimed minutes ("unique users" exports), or nothing (a join without a
/// leave).
#[derive(Debug, Clone, Copy, Default)]
pub(super) enum Session {
    /// Join and leave.
    Timed(i64, i64),
    /// Minutes without join or leave times.
    Untimed(f64),
    /// Nothing to count.
    #[default]
    Nothing,
}

impl Session {
    /// What `p` adds.
    pub(super) fn of(p: &Row) -> Session {
        match (p.join(), p.leave()) {
            (Some(j), Some(l)) => Session::Timed(j, l),
            (Some(_), None) => Session::Nothing,
            (None, _) => p.minutes().map_or(Session::Nothing, Session::Untimed),
        }
    }

    fn timed(self) -> Option<(i64, i64)> {
        match self {
            Session::Timed(j, l) => Some((j, l)),
            _ => None,
        }
    }

    fn untimed(self) -> Option<f64> {
        match self {
            Session::Untimed(m) => Some(m),
            _ => None,
        }
    }
}

/// Minutes of one person from their sessions in input order: the union of
/// the timed ones plus any untimed minutes.
pub(super) fn person_minutes(sessions: impl Iterator<Item = Session> + Clone) -> f64 {
    let mut timed = sessions.clone().filter_map(Session::timed);
    let seconds = match (timed.next(), timed.next()) {
        (None, _) => 0,
        // Most people join a meeting once: their one session, without a
        // vector of one allocated for each person and meeting.
        (Some((j, l)), None) => l - j,
        (Some(a), Some(b)) => union_seconds([a, b].into_iter().chain(timed).collect()),
    };
    let untimed: f64 = sessions.filter_map(Session::untimed).sum();
    seconds as f64 / 60.0 + untimed
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Counters of a meeting row; an `(other)` row adds those of every
/// meeting it holds.
#[derive(Debug, Default, Clone)]
struct Meeting {
    sessions: u64,
    start: Option<i64>,
    end: Option<i64>,
    // Minutes of each (meeting, participant).
    minutes: Vec<f64>,
    guests: Vec<u32>,
}

impl Counters for Meeting {
    fn merge(&mut self, o: &Self) {
        self.sessions += o.sessions;
        self.start = self.start.min(o.start).or(self.start).or(o.start);
        self.end = self.end.max(o.end);
        self.minutes.extend_from_slice(&o.minutes);
        self.guests.extend_from_slice(&o.guests);
    }
}

/// A meeting's row before disclosure control: its key, counters and
/// people, and whether any of its rows is sensitive.
type Built = ((i32, Option<u64>), Meeting, Vec<u32>, bool);

/// The row of one meeting from its runs of rows, with `rows_of` and
/// `by_person` as room to gather them in.
fn meeting<'r>(
    runs: &[(u64, &[&'r Row])],
    rows_of: &mut Vec<&'r Row>,
    by_person: &mut Vec<&'r Row>,
) -> Option<Built> {
    let &(meeting, _) = runs.first()?;
    rows_of.clear();
    rows_of.extend(runs.iter().flat_map(|(_, r)| r.iter().copied()));
    // Each person's rows, people in pseudonym order and each one's rows in
    // input order, as a stable sort gives them: a map of vectors cost an
    // allocation per person and meeting.
    by_person.clear();
    by_person.extend_from_slice(rows_of);
    by_person.sort_by_key(|p| p.person.value());
    let rows_of = &*rows_of;
    let start = rows_of
        .iter()
        .filter_map(|p| p.meeting_start())
        .min()
        .or_else(|| rows_of.iter().filter_map(|p| p.join()).min())
        .unwrap_or(0);
    let end = rows_of
        .iter()
        .filter_map(|p| p.meeting_end())
        .max()
        .or_else(|| rows_of.iter().filter_map(|p| p.leave()).max())
        .unwrap_or(start);
    // People and guests are sets: sorted and deduplicated here, on the
    // run's threads, they cost little where `Rows` and the table sort them
    // again on one.
    let mut person_ids: Vec<u32> = rows_of.iter().map(|p| p.person_id()).collect();
    person_ids.sort_unstable();
    person_ids.dedup();
    let mut guests: Vec<u32> = rows_of
        .iter()
        .filter(|p| p.guest())
        .map(|p| p.person_id())
        .collect();
    guests.sort_unstable();
    guests.dedup();
    let c = Meeting {
        sessions: rows_of.len() as u64,
        start: Some(start),
        end: Some(end),
        minutes: by_person
            .chunk_by(|a, b| a.person == b.person)
            .map(|rows| person_minutes(rows.iter().map(|p| Session::of(p))))
            .collect(),
        guests,
    };
    let day = rows_of.first().map_or(0, |p| meeting_day(p));
    let sensitive = rows_of.iter().any(|p| p.sensitive());
    Some(((day, Some(meeting)), c, person_ids, sensitive))
}

/// The meetings table, and the meetings published on their own, from each
/// meeting's runs of rows in meeting order (`zoom::meeting_runs`).
pub(super) fn meetings(
    meetings: &[Runs],
    policy: &Policy,
) -> Result<(Table, HashSet<u64>), String> {
    // Meetings are independent: built on the run's threads, collected in
    // meeting order, each meeting's minutes in the order they were.
    let built: Vec<Built> = meetings
        .par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(rows_of, by_person), runs| meeting(runs, rows_of, by_person),
        )
        .flatten_iter()
        .collect();
    let mut sensitive = HashSet::new();
    let mut sets = Vec::with_capacity(built.len());
    for (key, c, people, s) in built {
        if s && let Some(m) = key.1 {
            sensitive.insert(m);
        }
        sets.push((key, c, people));
    }
    let k = policy.suppression.k_for(schema::ZOOM_MEETINGS.name);
    let sensitive_k = policy.zoom.sensitive_k.max(k);
    let need = |key: &(i32, Option<u64>)| match key.1 {
        Some(m) if sensitive.contains(&m) => sensitive_k,
        _ => k,
    };
    // Meeting pseudonyms do not follow reading order: they break ties.
    let (rows, stats) =
        Rows::from_sets(sets).fold(k, |key| key.0, |key| (key.0, None), need, |key| *key);
    let published: HashSet<u64> = rows.iter().filter_map(|r| r.0.1).collect();
    // Sorting each row's minutes for its median is most of the rest.
    let mut rows: Vec<_> = rows
        .into_par_iter()
        .map(|((day, meeting), mut c, people)| {
            let label = meeting.map_or_else(|| OTHER.to_string(), |m| format!("{m:016x}"));
            // An (other) row holds several meetings: no one start or length.
            let start = match meeting {
                Some(_) => c.start.unwrap_or(0),
                None => i64::from(day) * time::DAY,
            };
            let duration = meeting.map(|_| (c.end.unwrap_or(start) - start).max(0) / 60);
            c.guests.sort_unstable();
            c.guests.dedup();
            let total: f64 = c.minutes.iter().sum();
            (
                day,
                time::hour_of(start),
                label,
                duration,
                c.sessions,
                people,
                total,
                c.guests.len(),
                median(&mut c.minutes),
            )
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let table = Table::new(
        &schema::ZOOM_MEETINGS,
        vec![
            Values::Utf8(rows.iter().map(|r| r.2.clone()).collect()),
            Values::Date(rows.iter().map(|r| r.0).collect()),
            Values::Timestamp(rows.iter().map(|r| r.1.saturating_mul(1_000_000)).collect()),
            Values::OptInt64(rows.iter().map(|r| r.3).collect()),
            Values::Int64(rows.iter().map(|r| n(r.4)).collect()),
            Values::Int64(rows.iter().map(|r| n(r.5)).collect()),
            Values::Float64(rows.iter().map(|r| r.6).collect()),
            Values::Int64(rows.iter().map(|r| count(r.7)).collect()),
            Values::Float64(rows.iter().map(|r| r.8).collect()),
        ],
    )?;
    Ok((table.with_suppression(stats), published))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unions_do_not_double_count_overlaps() {
        assert_eq!(union_seconds(vec![(0, 60), (30, 90), (200, 260)]), 150);
        assert_eq!(union_seconds(vec![(10, 20), (0, 100)]), 100);
        assert_eq!(union_seconds(vec![]), 0);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn a_persons_minutes_are_the_union_of_sessions_plus_untimed_ones() {
        use Session::*;
        let minutes = |s: &[Session]| person_minutes(s.iter().copied());
        assert_eq!(minutes(&[Timed(0, 120)]), 2.0);
        assert_eq!(minutes(&[Nothing, Timed(0, 120), Nothing]), 2.0);
        assert_eq!(minutes(&[Timed(0, 120), Timed(60, 180), Untimed(1.5)]), 4.5);
        assert_eq!(minutes(&[Untimed(1.0), Nothing, Untimed(2.5)]), 3.5);
        assert_eq!(minutes(&[]), 0.0);
    }
}
