//! Zoom exports and API data: the readers and the records they yield.
//!
//! Zoom data comes as header-driven documents (CSV exports with a meeting
//! block, JSON pages, NDJSON webhooks), not as streams of independent
//! lines, so a reader carries state from record to record (the header, the
//! meeting) and yields owned records to a [`ZoomSink`]. A record owns its
//! row's text (e-mail, name), which keeps quoted CSV fields simple; the
//! meeting's text, repeated on every row of a history export, is shared.
//!
//! Like [`crate::formats::RawRecord`], the records here hold raw identifiers
//! (e-mails, names, ids, addresses) and exist only between reading and the
//! privacy stage (`privacy::zoom`).
//!
//! Readers are chosen by content (header line or JSON shape), never by file
//! name; see [`detect`].

pub mod csv;
pub mod csv_export;
pub mod json;
pub mod time;

use std::sync::Arc;

use super::{Reject, Skip};
pub use time::ZoomTime;

/// One join session of one participant.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Participation {
    /// Meeting id as exported (spaces removed), if the data carries one.
    /// Shared, as the host below: a history export repeats its meeting's
    /// columns on every row, and a shared text is cloned without the two
    /// allocations a row that owned copies cost.
    pub meeting_id: Option<Arc<str>>,
    /// Zoom's id of this occurrence of the meeting (a webhook's `uuid`),
    /// which unlike the meeting id differs between weekly occurrences.
    pub occurrence: Option<String>,
    /// Host e-mail, if known (to recognise sensitive hosts).
    pub host_email: Option<Arc<str>>,
    /// Scheduled or actual meeting start, Unix seconds.
    pub meeting_start: Option<i64>,
    /// Meeting end, Unix seconds.
    pub meeting_end: Option<i64>,
    /// Participant e-mail (empty for guests and dial-ins).
    pub email: Option<String>,
    /// Display name, as shown in Zoom.
    pub name: Option<String>,
    /// User, participant or registrant id.
    pub user_id: Option<String>,
    /// Join time, Unix seconds.
    pub join: Option<i64>,
    /// Leave time, Unix seconds.
    pub leave: Option<i64>,
    /// Duration in minutes when no join/leave times exist ("unique users").
    pub minutes: Option<f64>,
    /// Guest flag, when the export has one.
    pub guest: Option<bool>,
    /// Device or client class when the data has one ("WIN", "Browser").
    pub device: Option<String>,
}

impl Participation {
    /// The text that names this session's meeting occurrence, for the
    /// meeting pseudonym: Zoom's occurrence uuid when the data has one, else
    /// the meeting id with the occurrence's start. A recurring meeting keeps
    /// its id for every occurrence, so the id alone would merge a term of
    /// weekly seminars into one row under a long key epoch. `None` when the
    /// data names no meeting (the caller then names it by its document).
    pub fn occurrence_key(&self) -> Option<String> {
        if let Some(uuid) = &self.occurrence {
            return Some(format!("uuid:{uuid}"));
        }
        let id = self.meeting_id.as_deref()?;
        Some(match self.meeting_start {
            Some(start) => format!("id:{id}@{start}"),
            // Without a start nothing tells occurrences apart; the id is
            // the best the data allows.
            None => format!("id:{id}"),
        })
    }
}

/// One sign-in or sign-out event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignIn {
    /// Account e-mail.
    pub email: Option<String>,
    /// Event time, Unix seconds.
    pub time: i64,
    /// `Sign in` or `Sign out`, as exported.
    pub kind: String,
    /// Address the client came from (an identifier; may be invalid).
    pub ip: Option<String>,
    /// Client type ("Browser", "Windows", …).
    pub client_type: Option<String>,
    /// Client version ("5.9.1.2581").
    pub version: Option<String>,
}

/// A record read from Zoom data.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ZoomRecord {
    /// A participant's session in a meeting or webinar.
    Participation(Participation),
    /// A sign-in or sign-out.
    SignIn(SignIn),
}

/// Options that only the data's producer can tell us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoomOptions {
    /// Time zone of the exporting account (CSV times carry none).
    pub time: ZoomTime,
}

/// What reading one Zoom document produced. Positions are 1-based lines.
#[derive(Debug, Default, Clone)]
#[non_exhaustive]
pub struct ZoomRead {
    /// Lines (or CSV records) read.
    pub lines: u64,
    /// Records, with the line each came from.
    pub records: Vec<(u64, ZoomRecord)>,
    /// Rejected lines and why.
    pub rejected: Vec<(u64, Reject)>,
    /// Skipped lines by reason (blank, comment, header, event).
    pub skipped: [u64; Skip::ALL.len()],
}

impl ZoomRead {
    /// Counts a skipped line.
    pub fn skip(&mut self, why: Skip) {
        self.skipped[why.index()] += 1;
    }
}

/// Where a reader hands what it reads, one line or record at a time, so a
/// caller can veil records as they come instead of holding them all.
pub trait ZoomSink {
    /// Counts `n` lines read.
    fn lines(&mut self, n: u64);
    /// A record, from the line `line`.
    fn record(&mut self, line: u64, record: ZoomRecord);
    /// A participation from the line `line`, lent: a reader that reuses
    /// one record's buffers from row to row hands it over this way, so a
    /// sink that only reads it (veiling it at once) copies nothing. A sink
    /// that keeps it gets a copy through [`ZoomSink::record`].
    fn participation(&mut self, line: u64, p: &Participation) {
        self.record(line, ZoomRecord::Participation(p.clone()));
    }
    /// A rejected line and why.
    fn reject(&mut self, line: u64, why: Reject);
    /// `n` skipped lines, and why.
    fn skipped(&mut self, why: Skip, n: u64);
}

impl ZoomSink for ZoomRead {
    fn lines(&mut self, n: u64) {
        self.lines += n;
    }
    fn record(&mut self, line: u64, record: ZoomRecord) {
        self.records.push((line, record));
    }
    fn reject(&mut self, line: u64, why: Reject) {
        self.rejected.push((line, why));
    }
    fn skipped(&mut self, why: Skip, n: u64) {
        self.skipped[why.index()] += n;
    }
}

/// A reader of one family of Zoom documents.
pub trait ZoomReader: Send + Sync {
    /// Short name, as written in the manifest.
    fn name(&self) -> &'static str;
    /// Whether `head` (the document's first bytes) is this reader's.
    fn sniff(&self, head: &[u8]) -> bool;
    /// Reads a whole document. `source_key` names it, for records that
    /// carry no meeting id (a participants export without meeting block).
    fn read(&self, data: &[u8], options: &ZoomOptions, source_key: &str) -> ZoomRead;
    /// Whether the documents can be read in parts from a record boundary
    /// on, with [`csv_export::CsvState`] (CSV exports can; JSON pages and
    /// webhooks, whose sessions pair across the document, cannot).
    fn splittable(&self) -> bool {
        false
    }
}

/// Every Zoom reader.
pub static READERS: &[&dyn ZoomReader] = &[
    &csv_export::ZoomCsv,
    &json::ZoomWebhooks,
    &json::ZoomApiJson,
];

/// The reader for a document, judged from its first bytes.
pub fn detect(head: &[u8]) -> Option<&'static dyn ZoomReader> {
    READERS.iter().copied().find(|r| r.sniff(head))
}

/// Strips a UTF-8 byte-order mark.
pub fn strip_bom(data: &[u8]) -> &[u8] {
    data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data)
}

/// Helpers shared by the readers' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{Participation, ZoomOptions, ZoomRead, ZoomRecord, ZoomTime};

    /// Options reading zone-less times as UTC, month first.
    pub(crate) fn utc() -> ZoomOptions {
        ZoomOptions {
            time: ZoomTime::default(),
        }
    }

    /// The participations of a read, in order.
    pub(crate) fn people(read: &ZoomRead) -> Vec<&Participation> {
        read.records
            .iter()
            .filter_map(|(_, r)| match r {
                ZoomRecord::Participation(p) => Some(p),
                ZoomRecord::SignIn(_) => None,
            })
            .collect()
    }
}
