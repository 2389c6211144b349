//! Zoom tables: meetings, attendance, concurrency and sign-ins.
//!
//! Zoom data is small next to web logs (a university's year of exports is
//! a few million rows at most), and exact answers need every interval
//! anyway: a person's minutes are the union of their sessions, medians need
//! all values, and concurrency needs a sweep over all joins and leaves. So
//! the aggregate keeps the veiled records — pseudonyms, label indices and
//! times, nothing raw — and computes the tables at the end.
//!
//! Each record is held as a fixed-size [`Row`] (88 bytes: optional values
//! carry a presence bit instead of an `Option` each, labels are indices into
//! the aggregate's own short label list), so a million rows cost 88 MB and
//! no allocation each. Rows arrive in segments (one per chunk of a
//! document) tagged with their place in the input; merging concatenates
//! segments in any order, and the tables read them sorted by place, so
//! the result does not depend on which thread read what.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::output::schema;
use crate::output::table::{Table, Values};
use crate::privacy::disclosure::Rows;
use crate::privacy::labels::OTHER;
use crate::privacy::policy::{Policy, SensitiveAction};
use crate::privacy::pseudonym::Pseudonym;
use crate::privacy::zoom::{VeiledParticipation, VeiledSignIn};
use crate::time;

use super::columns::{days, float64, int64, sorted, utf8};
use super::group::{Counters, DenseIds, Group, VisitorId};
use super::intern::Interner;
pub use super::zoom_concurrency::MAX_SESSION_SECONDS;
use super::zoom_concurrency::concurrency;
use super::zoom_people::PseudonymIndex;

/// Presence and flag bits of a [`Row`].
mod bit {
    pub const SENSITIVE: u16 = 1;
    pub const HOST_UNKNOWN: u16 = 1 << 1;
    pub const GUEST: u16 = 1 << 2;
    pub const EMAIL: u16 = 1 << 3;
    pub const NAME: u16 = 1 << 4;
    pub const START: u16 = 1 << 5;
    pub const END: u16 = 1 << 6;
    pub const JOIN: u16 = 1 << 7;
    pub const LEAVE: u16 = 1 << 8;
    pub const MINUTES: u16 = 1 << 9;
}

/// A veiled participation as the aggregate holds it: the fields of
/// [`VeiledParticipation`] without an `Option` or a `String` each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// Meeting pseudonym.
    pub meeting: Pseudonym,
    /// Person pseudonym (provisional until `zoom_people` unifies people).
    pub person: Pseudonym,
    email_id: Pseudonym,
    name_id: Pseudonym,
    meeting_start: i64,
    meeting_end: i64,
    join: i64,
    leave: i64,
    minutes: f64,
    affiliation: u32,
    device: u32,
    // The person's dense id (their rank among the run's people), set once
    // people are unified; it fits in what was padding.
    pid: u32,
    flags: u16,
}

// Rows are held by the million: a field added must not grow them.
const _: () = assert!(std::mem::size_of::<Row>() == 88);

fn opt<T>(flags: u16, bit: u16, v: T) -> Option<T> {
    (flags & bit != 0).then_some(v)
}

impl Row {
    /// `p` with its labels given as indices into the aggregate's list.
    fn new(p: &VeiledParticipation<'_>, affiliation: u32, device: u32) -> Row {
        let mut flags = 0;
        let mut set = |on: bool, b: u16| {
            if on {
                flags |= b;
            }
        };
        set(p.sensitive, bit::SENSITIVE);
        set(p.host_unknown, bit::HOST_UNKNOWN);
        set(p.guest, bit::GUEST);
        set(p.email_id.is_some(), bit::EMAIL);
        set(p.name_id.is_some(), bit::NAME);
        set(p.meeting_start.is_some(), bit::START);
        set(p.meeting_end.is_some(), bit::END);
        set(p.join.is_some(), bit::JOIN);
        set(p.leave.is_some(), bit::LEAVE);
        set(p.minutes.is_some(), bit::MINUTES);
        Row {
            meeting: p.meeting,
            person: p.person,
            email_id: p.email_id.unwrap_or(Pseudonym::UNKNOWN),
            name_id: p.name_id.unwrap_or(Pseudonym::UNKNOWN),
            meeting_start: p.meeting_start.unwrap_or(0),
            meeting_end: p.meeting_end.unwrap_or(0),
            join: p.join.unwrap_or(0),
            leave: p.leave.unwrap_or(0),
            minutes: p.minutes.unwrap_or(0.0),
            affiliation,
            device,
            pid: 0,
            flags,
        }
    }

    /// A row whose labels are both index 0, for tests of the modules that
    /// only read pseudonyms and flags.
    #[cfg(test)]
    pub(crate) fn of(p: &VeiledParticipation<'_>) -> Row {
        Row::new(p, 0, 0)
    }

    /// Whether the meeting is held to `sensitive_k` (or excluded).
    pub fn sensitive(&self) -> bool {
        self.flags & bit::SENSITIVE != 0
    }
    /// Whether `sensitive` holds only because the host is not known.
    pub fn host_unknown(&self) -> bool {
        self.flags & bit::HOST_UNKNOWN != 0
    }
    /// Sets both sensitivity flags.
    pub fn set_sensitivity(&mut self, sensitive: bool, host_unknown: bool) {
        self.flags &= !(bit::SENSITIVE | bit::HOST_UNKNOWN);
        if sensitive {
            self.flags |= bit::SENSITIVE;
        }
        if host_unknown {
            self.flags |= bit::HOST_UNKNOWN;
        }
    }
    /// Guest flag.
    pub fn guest(&self) -> bool {
        self.flags & bit::GUEST != 0
    }
    /// Pseudonym of the row's e-mail.
    pub fn email_id(&self) -> Option<Pseudonym> {
        opt(self.flags, bit::EMAIL, self.email_id)
    }
    /// Pseudonym of the row's normalised name.
    pub fn name_id(&self) -> Option<Pseudonym> {
        opt(self.flags, bit::NAME, self.name_id)
    }
    /// Meeting start.
    pub fn meeting_start(&self) -> Option<i64> {
        opt(self.flags, bit::START, self.meeting_start)
    }
    /// Meeting end.
    pub fn meeting_end(&self) -> Option<i64> {
        opt(self.flags, bit::END, self.meeting_end)
    }
    /// Join time.
    pub fn join(&self) -> Option<i64> {
        opt(self.flags, bit::JOIN, self.join)
    }
    /// Leave time.
    pub fn leave(&self) -> Option<i64> {
        opt(self.flags, bit::LEAVE, self.leave)
    }
    /// Minutes of an untimed row.
    pub fn minutes(&self) -> Option<f64> {
        opt(self.flags, bit::MINUTES, self.minutes)
    }
    /// The person's dense id, once set by the tables.
    pub(super) fn person_id(&self) -> u32 {
        self.pid
    }
}

/// Rows in a block of a segment (88 KiB).
const BLOCK_ROWS: usize = 1024;

/// Veiled Zoom records of a run.
#[derive(Debug, Default, Clone)]
pub struct ZoomAggregate {
    // (place in the input, rows): sorted by place before the tables.
    segments: Vec<(u64, Vec<Row>)>,
    // Affiliation and device labels, indexed by the rows.
    labels: Vec<String>,
    // Looked up twice a row: foldhash, not SipHash (labels are few and
    // short, the policy's or at most 24 bytes, and the seed is random).
    label_index: HashMap<String, u32, foldhash::fast::RandomState>,
    signins: Vec<VeiledSignIn>,
}

impl ZoomAggregate {
    /// An empty aggregate whose participations come at `place` in the
    /// input order (e.g. a document's index and a chunk's, combined so
    /// that later input sorts higher).
    pub fn at(place: u64) -> Self {
        ZoomAggregate {
            segments: vec![(place, Vec::with_capacity(BLOCK_ROWS))],
            ..ZoomAggregate::default()
        }
    }

    fn label(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.label_index.get(s) {
            return i;
        }
        let i = u32::try_from(self.labels.len()).unwrap_or(u32::MAX);
        self.labels.push(s.to_string());
        self.label_index.insert(s.to_string(), i);
        i
    }

    /// Adds a participation, after those added before.
    pub fn add_participation(&mut self, p: VeiledParticipation<'_>) {
        let row = Row::new(&p, self.label(p.affiliation), self.label(&p.device));
        // Rows go into blocks of fixed size that are never reallocated: a
        // vector grown by doubling would hold up to twice its rows, and
        // the room it frees when shrunk stays resident.
        match self.segments.last_mut() {
            Some((_, rows)) if rows.len() < rows.capacity() => rows.push(row),
            last => {
                let place = last.map_or(0, |(place, _)| *place);
                let mut rows = Vec::with_capacity(BLOCK_ROWS);
                rows.push(row);
                self.segments.push((place, rows));
            }
        }
    }

    /// Adds a sign-in event.
    pub fn add_signin(&mut self, s: VeiledSignIn) {
        self.signins.push(s);
    }

    /// Folds `other` in; its rows keep their places.
    pub fn merge(&mut self, other: ZoomAggregate) {
        let remap: Vec<u32> = other.labels.iter().map(|l| self.label(l)).collect();
        let identity = remap.iter().enumerate().all(|(i, &j)| i as u32 == j);
        for (place, mut rows) in other.segments {
            if !identity {
                for r in &mut rows {
                    r.affiliation = remap.get(r.affiliation as usize).copied().unwrap_or(0);
                    r.device = remap.get(r.device as usize).copied().unwrap_or(0);
                }
            }
            if !rows.is_empty() {
                self.segments.push((place, rows));
            }
        }
        self.signins.extend(other.signins);
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.segments.iter().all(|(_, r)| r.is_empty()) && self.signins.is_empty()
    }

    /// The four Zoom tables, through disclosure control: meetings of a
    /// day below their threshold fold into the day's `(other)` meeting;
    /// attendance and sign-ins fold per day; concurrency counts only
    /// meetings published on their own and not sensitive, in buckets of
    /// quiet hours.
    pub fn into_tables(self, policy: &Policy) -> Result<Vec<Table>, String> {
        let exclude = policy.zoom.sensitive == SensitiveAction::Exclude;
        let mut segments = self.segments;
        segments.sort_by_key(|(place, _)| *place);
        // Left in their segments, read through one reference each: a
        // single vector of rows would hold them twice while it is filled.
        let segments: Vec<Vec<Row>> = segments.into_iter().map(|(_, r)| r).collect();
        let mut signins = self.signins;
        let mut segments = super::zoom_people::resolve(segments, &mut signins, exclude);
        set_person_ids(&mut segments);
        let parts: Vec<&Row> = segments.iter().flatten().collect();
        signins.sort_by_key(|s| (s.time, s.user));
        // Attendance and sign-ins need nothing of the meetings table:
        // built beside it and the concurrency that waits on it.
        let (first, second) = rayon::join(
            || -> Result<_, String> {
                let (meetings, published) = meetings(&parts, policy)?;
                let counts = |p: &Row| !p.sensitive() && published.contains(&p.meeting.value());
                Ok((meetings, concurrency(&parts, counts, policy)?))
            },
            || -> Result<_, String> {
                Ok((
                    attendance(&parts, &self.labels, policy)?,
                    signin_table(&signins, policy)?,
                ))
            },
        );
        let ((meetings, c), (a, s)) = (first?, second?);
        Ok(vec![meetings, a, c, s])
    }
}

/// Sets every row's dense person id, for counting distinct people: the
/// person's rank among the run's sorted person pseudonyms. Looked up once
/// a row here, where each table looked it up again per row, and the index
/// is freed before the tables are built.
fn set_person_ids(segments: &mut [Vec<Row>]) {
    let people = PseudonymIndex::new(segments.iter().flatten().map(|p| p.person).collect());
    segments.par_iter_mut().for_each(|rows| {
        for p in rows {
            // Every row's person is in the list.
            let rank = people.position(p.person).unwrap_or_else(|i| i);
            p.pid = VisitorId::try_from(rank).unwrap_or(VisitorId::MAX);
        }
    });
}

/// The day a participation counts on: its meeting's start, else its join.
fn meeting_day(p: &Row) -> i32 {
    time::date32(p.meeting_start().or(p.join()).unwrap_or(0))
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
fn person_minutes(rows: &[&Row]) -> f64 {
    let seconds = match rows {
        // Most people join a meeting once: their one session, without a
        // vector of one allocated for each person and meeting.
        [p] => p.join().zip(p.leave()).map_or(0, |(j, l)| l - j),
        _ => union_seconds(
            rows.iter()
                .filter_map(|p| Some((p.join()?, p.leave()?)))
                .collect(),
        ),
    };
    let untimed: f64 = rows
        .iter()
        .filter(|p| p.join().is_none())
        .filter_map(|p| p.minutes())
        .sum();
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

/// The runs of rows of one meeting in `parts`, sorted by meeting and,
/// within one, in input order: the rows of each meeting in input order,
/// as a stable sort of the references gives, where a meeting's rows come
/// together. Held as a run each, not a reference a row, as they come in
/// runs.
pub(super) fn meeting_runs<'p, 'r>(parts: &'p [&'r Row]) -> Vec<(u64, &'p [&'r Row])> {
    let mut runs: Vec<(u64, &[&Row])> = parts
        .chunk_by(|a, b| a.meeting == b.meeting)
        .filter_map(|r| Some((r.first()?.meeting.value(), r)))
        .collect();
    runs.sort_by_key(|r| r.0);
    runs
}

/// The distinct meeting pseudonyms' values of `parts`, sorted.
fn meeting_values(parts: &[&Row]) -> Vec<u64> {
    // A meeting's rows come together: one value a run, not a row.
    let mut values: Vec<u64> = parts
        .chunk_by(|a, b| a.meeting == b.meeting)
        .filter_map(|r| Some(r.first()?.meeting.value()))
        .collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// The meetings table, and the meetings published on their own.
fn meetings(parts: &[&Row], policy: &Policy) -> Result<(Table, HashSet<u64>), String> {
    let mut sensitive = HashSet::new();
    let mut sets = Vec::new();
    let mut rows_of: Vec<&Row> = Vec::new();
    let mut by_person: Vec<&Row> = Vec::new();
    for runs in meeting_runs(parts).chunk_by(|a, b| a.0 == b.0) {
        let Some(&(meeting, _)) = runs.first() else {
            continue;
        };
        rows_of.clear();
        rows_of.extend(runs.iter().flat_map(|(_, r)| r.iter().copied()));
        // Each person's rows, people in pseudonym order and each one's
        // rows in input order, as a stable sort gives them: a map of
        // vectors cost an allocation per person and meeting.
        by_person.clear();
        by_person.extend_from_slice(&rows_of);
        by_person.sort_by_key(|p| p.person.value());
        let rows_of = &rows_of;
        if rows_of.iter().any(|p| p.sensitive()) {
            sensitive.insert(meeting);
        }
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
        let person_ids: Vec<u32> = rows_of.iter().map(|p| p.pid).collect();
        let guests = rows_of
            .iter()
            .filter(|p| p.guest())
            .map(|p| p.pid)
            .collect();
        let c = Meeting {
            sessions: rows_of.len() as u64,
            start: Some(start),
            end: Some(end),
            minutes: by_person
                .chunk_by(|a, b| a.person == b.person)
                .map(person_minutes)
                .collect(),
            guests,
        };
        let day = rows_of.first().map_or(0, |p| meeting_day(p));
        sets.push(((day, Some(meeting)), c, person_ids));
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
    let mut rows: Vec<_> = rows
        .into_iter()
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

fn attendance(parts: &[&Row], labels: &[String], policy: &Policy) -> Result<Table, String> {
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
            intern(p.affiliation);
            intern(p.device);
        }
        interned.iter().map(|i| i.unwrap_or(other)).collect()
    };
    let label = |i: u32| by_label.get(i as usize).copied().unwrap_or(other);
    let key = |p: &Row| -> Key { (meeting_day(p), label(p.affiliation), label(p.device)) };
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
                | (u128::from(p.pid) << 32)
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
            who.push(p.pid);
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
    let order =
        |k: &(i32, u32, u32, u32)| (k.0, strings.get(k.1), strings.get(k.2), strings.get(k.3));
    let (group, stats) = group.into_rows(None).fold(
        k,
        |key| key.0,
        |key| (key.0, other, other, other),
        |_| k,
        order,
    );
    let rows = sorted(group, order);
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

    #[test]
    fn meeting_runs_give_each_meetings_rows_in_input_order() {
        let mut pseudonyms = crate::privacy::pseudonym::Pseudonymizer::new(
            std::sync::Arc::new(
                crate::privacy::key::Key::generate(crate::privacy::key::KeyMode::Ephemeral)
                    .unwrap(),
            ),
            crate::privacy::pseudonym::Domain::WEB_CLIENT,
            crate::privacy::pseudonym::Epoch::Never,
        );
        let meetings: Vec<Pseudonym> = (0..4u8).map(|m| pseudonyms.pseudonym(0, &[m])).collect();
        // Meetings interleaved and repeated, each row told apart by its join.
        let order = [2, 2, 0, 1, 1, 2, 0, 3, 2, 2, 1];
        let rows: Vec<Row> = order
            .iter()
            .enumerate()
            .map(|(i, &m)| {
                let mut r = Row::new(
                    &VeiledParticipation {
                        meeting: meetings[m],
                        sensitive: false,
                        host_unknown: false,
                        meeting_start: None,
                        meeting_end: None,
                        person: meetings[0],
                        email_id: None,
                        name_id: None,
                        affiliation: "",
                        guest: false,
                        join: Some(i as i64),
                        leave: None,
                        minutes: None,
                        device: "".into(),
                    },
                    0,
                    0,
                );
                r.join = i as i64;
                r
            })
            .collect();
        let parts: Vec<&Row> = rows.iter().collect();
        let mut stable = parts.clone();
        stable.sort_by_key(|p| p.meeting.value());
        let runs: Vec<&Row> = meeting_runs(&parts)
            .into_iter()
            .flat_map(|(m, r)| {
                assert!(r.iter().all(|p| p.meeting.value() == m));
                r.iter().copied()
            })
            .collect();
        assert_eq!(runs, stable);
    }
}
