//! Zoom tables: meetings, attendance, concurrency and sign-ins.
//!
//! Zoom data is small (a university's year of exports is a few million
//! rows at most), and exact answers need every interval anyway: a person's
//! minutes are the union of their sessions, medians need all values, and
//! concurrency needs a sweep over all joins and leaves. So the aggregate
//! keeps the veiled records — pseudonyms, labels and times, nothing raw —
//! and computes the tables at the end. Merging is concatenation.

use std::collections::{BTreeMap, HashMap};

use crate::output::schema;
use crate::output::table::{Suppressed, Table, Values};
use crate::privacy::policy::{Policy, SensitiveAction};
use crate::privacy::pseudonym::Pseudonym;
use crate::privacy::zoom::{VeiledParticipation, VeiledSignIn};
use crate::time::{self, HOUR};

use super::columns::{days, float64, int64, sorted, utf8};
use super::group::{Counters, DenseIds, Group};
use super::intern::Interner;

/// Key text of the row that folds small groups.
const OTHER: &str = "(other)";

/// Veiled Zoom records of a run.
#[derive(Debug, Default, Clone)]
pub struct ZoomAggregate {
    participations: Vec<VeiledParticipation>,
    signins: Vec<VeiledSignIn>,
}

impl ZoomAggregate {
    /// Adds a participation.
    pub fn add_participation(&mut self, p: VeiledParticipation) {
        self.participations.push(p);
    }

    /// Adds a sign-in event.
    pub fn add_signin(&mut self, s: VeiledSignIn) {
        self.signins.push(s);
    }

    /// Folds `other` in.
    pub fn merge(&mut self, other: ZoomAggregate) {
        self.participations.extend(other.participations);
        self.signins.extend(other.signins);
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.participations.is_empty() && self.signins.is_empty()
    }

    /// The four Zoom tables.
    pub fn into_tables(self, policy: &Policy) -> Result<Vec<Table>, String> {
        let exclude = policy.zoom.sensitive == SensitiveAction::Exclude;
        let mut signins = self.signins;
        let parts = super::zoom_people::resolve(self.participations, &mut signins, exclude);
        signins.sort_by_key(|s| (s.time, s.user));
        Ok(vec![
            meetings(&parts, policy)?,
            attendance(&parts, policy)?,
            concurrency(&parts)?,
            signin_table(&signins, policy)?,
        ])
    }
}

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

/// Minutes of one person from their rows: the union of timed sessions plus
/// any untimed minutes ("unique users" exports).
fn person_minutes(rows: &[&VeiledParticipation]) -> f64 {
    let timed: Vec<(i64, i64)> = rows
        .iter()
        .filter_map(|p| Some((p.join?, p.leave?)))
        .collect();
    let untimed: f64 = rows
        .iter()
        .filter(|p| p.join.is_none())
        .filter_map(|p| p.minutes)
        .sum();
    union_seconds(timed) as f64 / 60.0 + untimed
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

fn meetings(parts: &[VeiledParticipation], policy: &Policy) -> Result<Table, String> {
    let mut by_meeting: BTreeMap<u64, Vec<&VeiledParticipation>> = BTreeMap::new();
    for p in parts {
        by_meeting.entry(p.meeting.value()).or_default().push(p);
    }
    let k = policy.suppression.k_for(schema::ZOOM_MEETINGS.name);
    let mut rows = Vec::new();
    let mut withheld = 0;
    for (meeting, rows_of) in by_meeting {
        let mut people: BTreeMap<u64, Vec<&VeiledParticipation>> = BTreeMap::new();
        for p in &rows_of {
            people.entry(p.person.value()).or_default().push(p);
        }
        let sensitive = rows_of.iter().any(|p| p.sensitive);
        let needed = if sensitive {
            policy.zoom.sensitive_k.max(k)
        } else {
            k
        };
        if (people.len() as u64) < needed {
            withheld += 1;
            continue;
        }
        let start = rows_of
            .iter()
            .filter_map(|p| p.meeting_start)
            .min()
            .or_else(|| rows_of.iter().filter_map(|p| p.join).min())
            .unwrap_or(0);
        let end = rows_of
            .iter()
            .filter_map(|p| p.meeting_end)
            .max()
            .or_else(|| rows_of.iter().filter_map(|p| p.leave).max())
            .unwrap_or(start);
        let mut minutes: Vec<f64> = people.values().map(|r| person_minutes(r)).collect();
        let guests = people
            .values()
            .filter(|r| r.iter().any(|p| p.guest))
            .count();
        rows.push((
            time::date32(start),
            time::hour_of(start),
            format!("{meeting:016x}"),
            (end - start).max(0) / 60,
            count(rows_of.len()),
            count(people.len()),
            minutes.iter().sum::<f64>(),
            count(guests),
            median(&mut minutes),
        ));
    }
    rows.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let table = Table::new(
        &schema::ZOOM_MEETINGS,
        vec![
            Values::Utf8(rows.iter().map(|r| r.2.clone()).collect()),
            Values::Date(rows.iter().map(|r| r.0).collect()),
            Values::Timestamp(rows.iter().map(|r| r.1.saturating_mul(1_000_000)).collect()),
            Values::Int64(rows.iter().map(|r| r.3).collect()),
            Values::Int64(rows.iter().map(|r| r.4).collect()),
            Values::Int64(rows.iter().map(|r| r.5).collect()),
            Values::Float64(rows.iter().map(|r| r.6).collect()),
            Values::Int64(rows.iter().map(|r| r.7).collect()),
            Values::Float64(rows.iter().map(|r| r.8).collect()),
        ],
    )?;
    Ok(table.with_suppression(Suppressed {
        k,
        rows_folded: 0,
        other_rows_published: 0,
        other_rows_withheld: withheld,
    }))
}

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

fn attendance(parts: &[VeiledParticipation], policy: &Policy) -> Result<Table, String> {
    let mut strings = Interner::default();
    let other = strings.intern(OTHER.into());
    // (day, affiliation, device) → person → their rows.
    type Key = (i32, u32, u32);
    let mut groups: BTreeMap<Key, HashMap<Pseudonym, Vec<&VeiledParticipation>>> = BTreeMap::new();
    for p in parts {
        let day = time::date32(p.join.or(p.meeting_start).unwrap_or(0));
        let key = (
            day,
            strings.intern(p.affiliation.clone().into()),
            strings.intern(p.device.clone().into()),
        );
        groups
            .entry(key)
            .or_default()
            .entry(p.person)
            .or_default()
            .push(p);
    }
    let mut group: Group<Key, Attendance> = Group::default();
    let mut ids = DenseIds::default();
    for (key, people) in groups {
        for (person, rows) in people {
            let (row, c) = group.row(key);
            c.sessions += rows.len() as u64;
            c.seconds += person_minutes(&rows) * 60.0;
            group.visit(row, ids.id(person));
        }
    }
    let k = policy.suppression.k_for(schema::ZOOM_ATTENDANCE.name);
    let (group, stats) = group.suppress(k, |key| key.0, |key| (key.0, other, other));
    let rows = sorted(group, |k| (k.0, strings.get(k.1), strings.get(k.2)));
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

fn concurrency(parts: &[VeiledParticipation]) -> Result<Table, String> {
    // A person's overlapping sessions in one meeting are one presence.
    let mut presence: HashMap<(u64, u64), Vec<(i64, i64)>> = HashMap::new();
    let mut hours: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new(); // hour → (peak, joins, leaves)
    for p in parts {
        if let (Some(j), Some(l)) = (p.join, p.leave) {
            presence
                .entry((p.meeting.value(), p.person.value()))
                .or_default()
                .push((j, l));
            hours.entry(time::hour_of(j)).or_default().1 += 1;
            hours.entry(time::hour_of(l)).or_default().2 += 1;
        }
    }
    let mut events: Vec<(i64, i64)> = Vec::new();
    for (_, mut intervals) in presence {
        intervals.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::new();
        for (s, e) in intervals {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        for (s, e) in merged {
            events.push((s, 1));
            events.push((e, -1));
        }
    }
    // Leaves before joins at the same second: a hand-over is not an overlap.
    events.sort_unstable();
    let (Some(first), Some(last)) = (events.first().map(|e| e.0), events.last().map(|e| e.0))
    else {
        return Table::new(
            &schema::ZOOM_CONCURRENCY,
            vec![
                Values::Timestamp(vec![]),
                Values::Int64(vec![]),
                Values::Int64(vec![]),
                Values::Int64(vec![]),
            ],
        );
    };
    let mut current = 0i64;
    let mut next = 0;
    let mut hour = time::hour_of(first);
    let mut rows = Vec::new();
    while hour <= time::hour_of(last) {
        let mut peak = current;
        while next < events.len() && events[next].0 < hour + HOUR {
            current += events[next].1;
            peak = peak.max(current);
            next += 1;
        }
        let (_, joins, leaves) = hours.get(&hour).copied().unwrap_or_default();
        rows.push((hour, peak, joins, leaves));
        hour += HOUR;
    }
    Table::new(
        &schema::ZOOM_CONCURRENCY,
        vec![
            Values::Timestamp(rows.iter().map(|r| r.0.saturating_mul(1_000_000)).collect()),
            Values::Int64(rows.iter().map(|r| r.1).collect()),
            Values::Int64(rows.iter().map(|r| r.2).collect()),
            Values::Int64(rows.iter().map(|r| r.3).collect()),
        ],
    )
}

/// Counters of a sign-in row: events and the network pseudonyms seen.
#[derive(Debug, Default, Clone)]
struct SignInCounts {
    events: u64,
    networks: Vec<u64>,
}

impl Counters for SignInCounts {
    fn merge(&mut self, o: &Self) {
        self.events += o.events;
        self.networks.extend_from_slice(&o.networks);
    }
}

fn signin_table(signins: &[VeiledSignIn], policy: &Policy) -> Result<Table, String> {
    let mut strings = Interner::default();
    let other = strings.intern(OTHER.into());
    type Key = (i32, u32, u32, u32);
    let mut group: Group<Key, SignInCounts> = Group::default();
    let mut ids = DenseIds::default();
    for s in signins {
        let key = (
            time::date32(s.time),
            strings.intern(s.kind.into()),
            strings.intern(s.client_type.clone().into()),
            strings.intern(s.version_major.clone().into()),
        );
        let (row, c) = group.row(key);
        c.events += 1;
        c.networks.extend(s.network.map(|n| n.value()));
        group.visit(row, ids.id(s.user));
    }
    let k = policy.suppression.k_for(schema::ZOOM_SIGNINS.name);
    let (group, stats) = group.suppress(k, |key| key.0, |key| (key.0, other, other, other));
    let rows = sorted(group, |k| {
        (k.0, strings.get(k.1), strings.get(k.2), strings.get(k.3))
    });
    let networks = |c: &SignInCounts| {
        let mut n = c.networks.clone();
        n.sort_unstable();
        n.dedup();
        n.len() as u64
    };
    Ok(Table::new(
        &schema::ZOOM_SIGNINS,
        vec![
            days(&rows, |k| k.0),
            utf8(&rows, |r| strings.get(r.0.1)),
            utf8(&rows, |r| strings.get(r.0.2)),
            utf8(&rows, |r| strings.get(r.0.3)),
            int64(&rows, |r| r.1.events),
            int64(&rows, |r| r.2),
            int64(&rows, |r| networks(&r.1)),
        ],
    )?
    .with_suppression(stats))
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
}
