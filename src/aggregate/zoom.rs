//! Zoom rows and the aggregate that holds them until the tables are built:
//! meetings (`zoom_meetings`), attendance (`zoom_attendance`), concurrency
//! (`zoom_concurrency`) and sign-ins (`zoom_signins`).
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

use std::collections::HashMap;

use crate::output::table::Table;
use crate::privacy::policy::{Policy, SensitiveAction};
use crate::privacy::pseudonym::Pseudonym;
use crate::privacy::zoom::{VeiledParticipation, VeiledSignIn};
use crate::time;

use super::zoom_attendance::attendance;
pub use super::zoom_concurrency::MAX_SESSION_SECONDS;
use super::zoom_concurrency::concurrency;
use super::zoom_meetings::meetings;
use super::zoom_signins::signin_table;

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
    // The tag of the key epoch of the row's pseudonyms, in the last of
    // what was padding.
    epoch: u16,
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
            epoch: p.epoch,
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
    /// The person's dense id, once set by `zoom_people`.
    pub(super) fn person_id(&self) -> u32 {
        self.pid
    }
    /// Sets the person's dense id.
    pub(super) fn set_person_id(&mut self, id: u32) {
        self.pid = id;
    }
    /// The tag of the key epoch the row's pseudonyms are made in.
    pub(super) fn epoch(&self) -> u16 {
        self.epoch
    }
    /// Index of the affiliation label in the aggregate's list.
    pub(super) fn affiliation(&self) -> u32 {
        self.affiliation
    }
    /// Index of the device label in the aggregate's list.
    pub(super) fn device(&self) -> u32 {
        self.device
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
        let segments = super::zoom_people::resolve(segments, &mut signins, exclude);
        let parts: Vec<&Row> = segments.iter().flatten().collect();
        signins.sort_by_key(|s| (s.time, s.user));
        // Attendance and sign-ins need nothing of the meetings table:
        // built beside it and the concurrency that waits on it. Each table
        // also splits its own work over the threads, so that neither
        // thread idles while the other finishes a serial part.
        let (first, second) = rayon::join(
            || -> Result<_, String> {
                let runs = meeting_runs(&parts);
                let by_meeting: Vec<Runs> = runs.chunk_by(|a, b| a.0 == b.0).collect();
                let (meetings, published) = meetings(&by_meeting, policy)?;
                let c = concurrency(&by_meeting, |m| published.contains(&m), policy)?;
                Ok((meetings, c))
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

/// The day a participation counts on: its meeting's start, else its join.
pub(super) fn meeting_day(p: &Row) -> i32 {
    time::date32(p.meeting_start().or(p.join()).unwrap_or(0))
}

/// One meeting's runs of rows, each run with the meeting's pseudonym
/// value, as [`meeting_runs`] gives them, grouped by meeting.
pub(super) type Runs<'p, 'r> = &'p [(u64, &'p [&'r Row])];

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
pub(super) fn meeting_values(parts: &[&Row]) -> Vec<u64> {
    // A meeting's rows come together: one value a run, not a row.
    let mut values: Vec<u64> = parts
        .chunk_by(|a, b| a.meeting == b.meeting)
        .filter_map(|r| Some(r.first()?.meeting.value()))
        .collect();
    values.sort_unstable();
    values.dedup();
    values
}

#[cfg(test)]
mod tests {
    use super::*;

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
                        epoch: 0,
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
