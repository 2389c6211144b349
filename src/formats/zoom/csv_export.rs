//! Zoom's CSV exports, recognised by their header rows:
//!
//! - the participants export, every header variant (`Attentiveness Score`,
//!   `Guest`, `Recording Consent`, `In Waiting Room`, "unique users" with
//!   `Total Duration (Minutes)`), with or without the meeting block before it;
//! - the flattened "Meeting and webinar history" export, whose meeting
//!   columns repeat on every row and whose two `Duration (minutes)` columns
//!   are told apart by position (the participant's is after the name);
//! - the Sign In / Sign Out report (`Email,Time,Type,IP Address,…`, with
//!   case and spacing variants).
//!
//! Columns are found by name, so reordered or extra columns do no harm. Topics
//! and other free text are never read into records.

use std::sync::Arc;

use super::csv::{PlainLine, Record, records};
use super::time::TimeMemo;
use super::{
    Participation, SignIn, ZoomOptions, ZoomRead, ZoomReader, ZoomRecord, ZoomSink, strip_bom,
};
use crate::formats::{Reject, Skip};

/// The Zoom CSV reader.
#[derive(Debug, Clone, Copy, Default)]
pub struct ZoomCsv;

/// Lower-cased, single-spaced header cell.
fn norm(cell: &str) -> String {
    cell.trim_start_matches('\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Index of the first header cell equal to one of `names`, at or after `from`.
fn col(header: &[String], from: usize, names: &[&str]) -> Option<usize> {
    header
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, h)| names.contains(&h.as_str()))
        .map(|(i, _)| i)
}

/// Where the participant fields are in a row.
#[derive(Debug, Clone, Default)]
struct PersonCols {
    name: Option<usize>,
    email: Option<usize>,
    join: Option<usize>,
    leave: Option<usize>,
    minutes: Option<usize>,
    guest: Option<usize>,
    waiting: Option<usize>,
}

impl PersonCols {
    /// Participant columns at or after `from` (the name column).
    fn find(h: &[String], from: usize) -> PersonCols {
        PersonCols {
            name: col(h, from, &["name (original name)"]),
            email: col(h, from, &["user email", "email"]),
            join: col(h, from, &["join time"]),
            leave: col(h, from, &["leave time"]),
            minutes: col(h, from, &["duration (minutes)", "total duration (minutes)"]),
            guest: col(h, from, &["guest"]),
            waiting: col(h, from, &["in waiting room"]),
        }
    }
}

/// Where the meeting fields are.
#[derive(Debug, Clone, Default)]
struct MeetingCols {
    id: Option<usize>,
    host_email: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
}

/// The meeting a participant table belongs to.
#[derive(Debug, Clone, Default)]
struct Meeting {
    id: Option<Arc<str>>,
    host_email: Option<Arc<str>>,
    start: Option<i64>,
    end: Option<i64>,
}

#[derive(Debug, Clone)]
enum Section {
    /// Before any recognised header.
    Unknown,
    /// After the meeting block header: the next row describes the meeting.
    MeetingBlock(MeetingCols),
    /// Participant rows of one meeting.
    Participants(PersonCols, Meeting),
    /// History rows: meeting columns and participant columns on each row.
    History(MeetingCols, PersonCols),
    /// Sign-in report rows.
    SignIns {
        email: usize,
        time: usize,
        kind: usize,
        ip: Option<usize>,
        client: Option<usize>,
        version: Option<usize>,
    },
}

/// Whether a first cell can start a header row at all: checked before
/// normalising every cell, which data rows would otherwise pay for.
fn may_be_header(first: &str) -> bool {
    // A data row's first cell is mostly a meeting id, a name or a topic:
    // one byte rules out the digits and most words, and a cell that starts
    // with a letter has nothing to trim (only a prefix is compared, so
    // white space after it changes nothing either).
    let f = match first.as_bytes().first() {
        Some(b) if b.is_ascii_alphanumeric() && !b"nNtTmMeE".contains(b) => return false,
        Some(b) if b.is_ascii_alphanumeric() => first,
        _ => first.trim_start_matches('\u{feff}').trim_start(),
    };
    ["name", "topic", "meeting id", "email", "time", "type"]
        .iter()
        .any(|h| f.get(..h.len()).is_some_and(|p| p.eq_ignore_ascii_case(h)))
}

/// The section a header row opens, if it is one.
fn header(record: &Record<'_>) -> Option<Section> {
    if !may_be_header(record.fields.first().map_or("", |f| f.as_ref())) {
        return None;
    }
    let h: Vec<String> = record.fields.iter().map(|f| norm(f)).collect();
    let first = h.first().map(String::as_str).unwrap_or("");
    if first == "name (original name)" {
        return Some(Section::Participants(
            PersonCols::find(&h, 0),
            Meeting::default(),
        ));
    }
    if let Some(name) = col(&h, 0, &["name (original name)"]) {
        let meeting = MeetingCols {
            id: col(&h, 0, &["id", "meeting id"]),
            // The older admin usage report has no "Host email": its host is
            // the `User Email` among the meeting columns, before the name.
            host_email: col(&h, 0, &["host email"])
                .or_else(|| col(&h, 0, &["user email"]).filter(|&i| i < name)),
            start: col(&h, 0, &["start time"]),
            end: col(&h, 0, &["end time"]),
        };
        return Some(Section::History(meeting, PersonCols::find(&h, name)));
    }
    if first == "meeting id" && col(&h, 0, &["start time"]).is_some() {
        return Some(Section::MeetingBlock(MeetingCols {
            id: Some(0),
            host_email: col(&h, 0, &["user email", "host email"]),
            start: col(&h, 0, &["start time"]),
            end: col(&h, 0, &["end time"]),
        }));
    }
    let compact: Vec<String> = h.iter().map(|c| c.replace(' ', "")).collect();
    let find = |name: &str| compact.iter().position(|c| c == name);
    if let (Some(email), Some(time), Some(kind)) = (find("email"), find("time"), find("type")) {
        let ip = find("ipaddress");
        if ip.is_some() || find("clienttype").is_some() {
            return Some(Section::SignIns {
                email,
                time,
                kind,
                ip,
                client: find("clienttype"),
                version: find("version"),
            });
        }
    }
    None
}

fn text(record: &Record<'_>, i: Option<usize>) -> Option<String> {
    let v = record.get(i?);
    (!v.is_empty() && v != "-").then(|| v.to_string())
}

/// Field `i` as [`text`] gives it, borrowed.
fn when<'r>(record: &'r Record<'_>, i: Option<usize>) -> Option<&'r str> {
    let v = record.get(i?);
    (!v.is_empty() && v != "-").then_some(v)
}

fn yes(record: &Record<'_>, i: Option<usize>) -> Option<bool> {
    when(record, i).map(|v| v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("true"))
}

fn meeting_of(
    record: &Record<'_>,
    cols: &MeetingCols,
    options: &ZoomOptions,
    memo: &mut TimeMemo,
) -> Meeting {
    Meeting {
        // Ids are written with spaces in newer exports (`932 5001 3841`).
        id: text(record, cols.id).map(|id| {
            let id: String = id.chars().filter(|c| !c.is_whitespace()).collect();
            Arc::from(id)
        }),
        host_email: text(record, cols.host_email).map(Arc::from),
        start: when(record, cols.start).and_then(|t| memo.parse(&options.time, t)),
        end: when(record, cols.end).and_then(|t| memo.parse(&options.time, t)),
    }
}

/// The meeting of the last history row, and the texts of its meeting
/// columns: a history export repeats its meeting's columns on every row,
/// so a row whose texts are the last row's has the last row's meeting,
/// without its id and host copied again or its times looked up.
#[derive(Debug, Clone, Default)]
struct LastMeeting {
    texts: [Option<String>; 4],
    meeting: Meeting,
}

impl LastMeeting {
    /// [`meeting_of`] the row, remembered.
    fn of(
        &mut self,
        record: &Record<'_>,
        cols: &MeetingCols,
        options: &ZoomOptions,
        memo: &mut TimeMemo,
    ) -> &Meeting {
        // What `meeting_of` reads: nothing else of the row.
        let at = [cols.id, cols.host_email, cols.start, cols.end];
        let same =
            (self.texts.iter().zip(at)).all(|(t, i)| t.as_deref() == i.map(|i| record.get(i)));
        if !same {
            self.meeting = meeting_of(record, cols, options, memo);
            for (t, i) in self.texts.iter_mut().zip(at) {
                *t = i.map(|i| record.get(i).to_string());
            }
        }
        &self.meeting
    }
}

/// Reads the record's participation into `p`, whose e-mail and name
/// buffers it reuses (a row of an export allocated both, and the row is
/// veiled and dropped at once); `false` for a row of the waiting room,
/// which is no participation. On an error `p` is left as it was.
fn person_into(
    record: &Record<'_>,
    cols: &PersonCols,
    meeting: &Meeting,
    options: &ZoomOptions,
    memo: &mut TimeMemo,
    p: &mut Participation,
) -> Result<bool, Reject> {
    if yes(record, cols.waiting) == Some(true) {
        return Ok(false);
    }
    let mut time = |i: Option<usize>| -> Result<Option<i64>, Reject> {
        match when(record, i) {
            None => Ok(None),
            Some(t) => memo
                .parse(&options.time, t)
                .map(Some)
                .ok_or(Reject::BadTimestamp),
        }
    };
    let join = time(cols.join)?;
    let leave = time(cols.leave)?;
    if cols.join.is_some() && (join.is_none() || leave.is_none()) {
        return Err(Reject::Truncated);
    }
    if let (Some(j), Some(l)) = (join, leave)
        && l < j
    {
        return Err(Reject::Malformed);
    }
    let (email, name) = (when(record, cols.email), when(record, cols.name));
    if email.is_none() && name.is_none() {
        return Err(Reject::Malformed);
    }
    // Every field named, so that nothing of the last row stays behind.
    *p = Participation {
        meeting_id: meeting.id.clone(),
        // CSV exports name an occurrence by meeting id and start time.
        occurrence: None,
        host_email: meeting.host_email.clone(),
        meeting_start: meeting.start,
        meeting_end: meeting.end,
        email: refill(p.email.take(), email),
        name: refill(p.name.take(), name),
        user_id: None,
        join,
        leave,
        minutes: when(record, cols.minutes).and_then(|m| m.parse().ok()),
        guest: yes(record, cols.guest),
        device: None,
    };
    Ok(true)
}

/// `value` in `buffer`'s allocation when there is one.
fn refill(buffer: Option<String>, value: Option<&str>) -> Option<String> {
    let value = value?;
    let mut s = buffer.unwrap_or_default();
    s.clear();
    s.push_str(value);
    Some(s)
}

impl ZoomReader for ZoomCsv {
    fn name(&self) -> &'static str {
        "zoom_csv"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = strip_bom(head);
        let end = memchr::memchr(b'\n', head).unwrap_or(head.len());
        records(&head[..end])
            .next()
            .is_some_and(|r| header(&r).is_some())
    }

    fn read(&self, data: &[u8], options: &ZoomOptions, _source_key: &str) -> ZoomRead {
        let mut out = ZoomRead::default();
        let mut state = CsvState::default();
        for record in records(strip_bom(data)) {
            state.feed(&record, options, &mut out);
        }
        out
    }

    fn splittable(&self) -> bool {
        true
    }
}

/// Where a reading of a CSV export stands between two records: the section
/// (and the meeting) the next record belongs to. A document can be read in
/// parts from record boundaries on, each part starting from the state the
/// reading had reached there, with the same result as reading it whole.
#[derive(Debug, Clone)]
pub struct CsvState {
    section: Section,
    times: TimeMemo,
    meeting: LastMeeting,
    // For [`CsvState::survey`]: the raw meeting id and start of the last
    // history row passed on whole, when it had a start and a host.
    settled: Option<(String, String)>,
    // The participation read last, lent to the sink; its buffers are
    // reused for the next.
    row: Participation,
}

/// What a record gave: the participation now in [`CsvState`]'s `row`, or
/// a sign-in.
enum Read {
    Participation,
    SignIn(SignIn),
}

impl Default for CsvState {
    fn default() -> Self {
        CsvState {
            section: Section::Unknown,
            times: TimeMemo::default(),
            meeting: LastMeeting::default(),
            settled: None,
            row: Participation::default(),
        }
    }
}

/// A sink that passes records on and notes whether the last one was a
/// participation with a meeting start and a host e-mail.
struct Settles<'s, S> {
    out: &'s mut S,
    settled: bool,
}

impl<S: ZoomSink> ZoomSink for Settles<'_, S> {
    fn lines(&mut self, n: u64) {
        self.out.lines(n);
    }
    fn record(&mut self, line: u64, record: ZoomRecord) {
        match record {
            ZoomRecord::Participation(p) => self.participation(line, &p),
            other => {
                self.settled = false;
                self.out.record(line, other);
            }
        }
    }
    fn participation(&mut self, line: u64, p: &Participation) {
        self.settled = p.meeting_start.is_some() && p.host_email.is_some();
        self.out.participation(line, p);
    }
    fn reject(&mut self, line: u64, why: Reject) {
        self.out.reject(line, why);
    }
    fn skipped(&mut self, why: Skip, n: u64) {
        self.out.skipped(why, n);
    }
}

impl CsvState {
    /// [`CsvState::feed`] for a sink that keeps only what the first
    /// accepted row of each meeting occurrence says of its start and host
    /// (the first pass's survey). A history row whose meeting id and start
    /// read exactly as the last row passed on, which had a start and a
    /// host, can add nothing to it, valid or not: it is passed over
    /// without being parsed, and neither counted nor rejected. Most rows of
    /// a history export are such repeats, and the first pass is the one
    /// that runs on a single thread.
    pub fn survey(&mut self, record: &Record<'_>, options: &ZoomOptions, out: &mut impl ZoomSink) {
        let first = record.fields.first().map_or("", |f| f.as_ref());
        if self.repeats(first, |i| Some(record.get(i))) {
            return;
        }
        if may_be_header(first) && header(record).is_some() {
            // What settled the last section says nothing of the next.
            self.settled = None;
            self.feed(record, options, out);
            return;
        }
        let mut tap = Settles {
            out,
            settled: false,
        };
        self.feed(record, options, &mut tap);
        // A row that was not passed on, or had no start or host, leaves
        // the last settled meeting as settled as it was.
        if tap.settled
            && let Section::History(cols, _) = &self.section
            && let (Some(i), Some(t)) = (cols.id, cols.start)
        {
            self.settled = Some((record.get(i).to_string(), record.get(t).to_string()));
        }
    }

    /// Whether [`CsvState::survey`] would pass over the record that `line`
    /// is, read from its bytes: only the few fields the test reads are
    /// found, where reading the record split and checked all of them.
    pub fn passes_over(&self, line: &PlainLine<'_>) -> bool {
        // The first field as the record holds it, untrimmed: a field that
        // is not valid UTF-8 leaves the record to be read.
        let first = line.bytes.split(|&c| c == b',').next().unwrap_or_default();
        std::str::from_utf8(first).is_ok_and(|first| self.repeats(first, |i| line.get(i)))
    }

    /// Whether a record whose first field is `first` and whose trimmed
    /// fields `field` gives (`None`: unknown) is a history row repeating the
    /// last settled meeting's id and start.
    fn repeats<'r>(&self, first: &str, field: impl Fn(usize) -> Option<&'r str>) -> bool {
        // A header changes the section: never passed over.
        if may_be_header(first) {
            return false;
        }
        let (Section::History(cols, _), Some((id, start))) = (&self.section, &self.settled) else {
            return false;
        };
        let (Some(i), Some(t)) = (cols.id, cols.start) else {
            return false;
        };
        field(i) == Some(id.as_str()) && field(t) == Some(start.as_str())
    }

    /// Reads one record into `out`, moving to the section it opens.
    pub fn feed(&mut self, record: &Record<'_>, options: &ZoomOptions, out: &mut impl ZoomSink) {
        out.lines(record.lines);
        // Lines a multi-line record spans beyond its first are part of it.
        let extra = record.lines - 1;
        if record.is_blank() {
            // A quoted blank cell may span lines: each is blank.
            out.skipped(Skip::Blank, record.lines);
            return;
        }
        if let Some(next) = header(record) {
            // A participant table after a meeting block belongs to it.
            self.section = match (next, &self.section) {
                (Section::Participants(cols, _), Section::Participants(_, m)) => {
                    Section::Participants(cols, m.clone())
                }
                (next, _) => next,
            };
            out.skipped(Skip::Header, 1 + extra);
            return;
        }
        let result = match &mut self.section {
            Section::Unknown => Err(Reject::Malformed),
            Section::MeetingBlock(cols) => {
                let meeting = meeting_of(record, cols, options, &mut self.times);
                self.section = Section::Participants(PersonCols::default(), meeting);
                out.skipped(Skip::Header, 1 + extra);
                return;
            }
            Section::Participants(cols, meeting) => person_into(
                record,
                cols,
                meeting,
                options,
                &mut self.times,
                &mut self.row,
            )
            .map(|kept| kept.then_some(Read::Participation)),
            Section::History(mcols, pcols) => {
                let meeting = self.meeting.of(record, mcols, options, &mut self.times);
                person_into(
                    record,
                    pcols,
                    meeting,
                    options,
                    &mut self.times,
                    &mut self.row,
                )
                .map(|kept| kept.then_some(Read::Participation))
            }
            Section::SignIns {
                email,
                time,
                kind,
                ip,
                client,
                version,
            } => {
                let at = record.get(*time);
                match options.time.parse(at) {
                    None => Err(Reject::BadTimestamp),
                    Some(t) => Ok(Some(Read::SignIn(SignIn {
                        email: text(record, Some(*email)),
                        time: t,
                        kind: record.get(*kind).to_string(),
                        ip: text(record, *ip),
                        client_type: text(record, *client),
                        version: text(record, *version),
                    }))),
                }
            }
        };
        match result {
            Ok(Some(Read::Participation)) => out.participation(record.line, &self.row),
            Ok(Some(Read::SignIn(s))) => out.record(record.line, ZoomRecord::SignIn(s)),
            Ok(None) => out.skipped(Skip::WaitingRoom, 1),
            Err(reason) => out.reject(record.line, reason),
        }
        out.skipped(Skip::Header, extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::zoom::test_support::{people, utc};

    #[test]
    fn a_first_cell_may_open_a_header_only_with_a_header_word() {
        for cell in [
            "Name (original name)",
            "  topic",
            "\u{feff}Meeting ID",
            "EMAIL",
            "Time",
            "Type",
        ] {
            assert!(may_be_header(cell), "{cell:?}");
        }
        for cell in [
            "93250013841",
            "Alex Kim",
            "zoe@example.edu",
            "",
            "  9",
            "Émile",
        ] {
            assert!(!may_be_header(cell), "{cell:?}");
        }
    }

    #[test]
    fn meeting_block_then_participants() {
        let data = "\u{feff}Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants,\r\n\
            932 5001 3841,\"Lab, weekly\",01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,host@example.edu,60,3,\r\n\
            \r\n\
            Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,Recording Consent,In Waiting Room\r\n\
            Ana Ruiz (Host),host@example.edu,01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,60,No,Yes,No\r\n\
            Guest Phone,,01/26/2023 03:10:00 PM,01/26/2023 03:20:00 PM,10,Yes,,No\r\n\
            Waiting,,01/26/2023 02:55:00 PM,01/26/2023 03:00:00 PM,5,Yes,,Yes\r\n\
            Broken,b@example.edu,13/45/2023 03:10:00 PM,01/26/2023 03:20:00 PM,10,No,,No\r\n";
        assert!(ZoomCsv.sniff(data.as_bytes()));
        let read = ZoomCsv.read(data.as_bytes(), &utc(), "f");
        let p = people(&read);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].meeting_id.as_deref(), Some("93250013841"));
        assert_eq!(p[0].host_email.as_deref(), Some("host@example.edu"));
        assert_eq!(p[0].meeting_start, Some(1_674_745_200));
        assert_eq!(p[1].email, None);
        assert_eq!(p[1].guest, Some(true));
        assert_eq!(read.rejected, vec![(8, Reject::BadTimestamp)]);
        assert_eq!(read.skipped[Skip::WaitingRoom.index()], 1);
        let skipped: u64 = read.skipped.iter().sum();
        assert_eq!(
            read.lines,
            read.records.len() as u64 + read.rejected.len() as u64 + skipped
        );
    }

    #[test]
    fn history_export_resolves_duplicate_columns_by_position() {
        let data = "Topic,Type,ID,Host name,Host email,Start time,End time,Participants,Duration (minutes),Total participant minutes,Department,Group,Source,Unique viewers,Max concurrent views,Creation time,Name (original name),Email,Join time,Leave time,Duration (minutes),Guest,Recording disclaimer response,In waiting room\n\
            \"Seminar, \"\"intro\"\"\",Meeting,932 5001 3841,Ana Ruiz,host@example.edu,01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,2,60,70,-,-,-,-,-,-,Lee Kim,lee@example.edu,01/26/2023 03:05:00 PM,01/26/2023 03:15:00 PM,10,No,-,No\n\
            \n";
        assert!(ZoomCsv.sniff(data.as_bytes()));
        let read = ZoomCsv.read(data.as_bytes(), &utc(), "f");
        let p = people(&read);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].minutes, Some(10.0));
        assert_eq!(p[0].email.as_deref(), Some("lee@example.edu"));
        assert_eq!(p[0].meeting_id.as_deref(), Some("93250013841"));
    }

    #[test]
    fn older_admin_usage_report() {
        let data = "Meeting ID,Topic,Start Time,End Time,User Name,User Email,Department,Group,Has Zoom Rooms?,Creation Time,Duration (Minutes),Participants,Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n\
            93250013841,Weekly,01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,Ana Ruiz,host@example.edu,Biology,,No,01/20/2023 09:00:00 AM,60,2,Lee Kim,lee@example.edu,01/26/2023 03:05:00 PM,01/26/2023 03:35:00 PM,30\n";
        assert!(ZoomCsv.sniff(data.as_bytes()));
        let read = ZoomCsv.read(data.as_bytes(), &utc(), "f");
        let p = people(&read);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].host_email.as_deref(), Some("host@example.edu"));
        assert_eq!(p[0].email.as_deref(), Some("lee@example.edu"));
        assert_eq!(p[0].minutes, Some(30.0));
        assert_eq!(p[0].meeting_id.as_deref(), Some("93250013841"));
    }

    #[test]
    fn multibyte_first_cells_do_not_panic() {
        let data = "Näme,x\nénorme,y\n日本語テキスト,z\n";
        assert!(!ZoomCsv.sniff(data.as_bytes()));
        let read = ZoomCsv.read(data.as_bytes(), &utc(), "f");
        assert_eq!(read.rejected.len(), 3);
    }

    #[test]
    fn a_blank_record_over_several_lines_counts_each_line() {
        // A quoted cell holding only newlines is one blank record of three
        // lines; every line read must be counted somewhere (found by the
        // `documents` fuzz target).
        let read = ZoomCsv.read(b"\"\n\n\"\nx\n", &utc(), "f");
        let skipped: u64 = read.skipped.iter().sum();
        assert_eq!(read.lines, 4);
        assert_eq!(
            read.lines,
            read.records.len() as u64 + read.rejected.len() as u64 + skipped
        );
        assert_eq!(read.skipped[Skip::Blank.index()], 3);
    }

    #[test]
    fn signins_and_non_zoom_csv() {
        let data = "Email,Time,Type,IP Address,Client Type,Version\nkim@example.edu,2026-05-30T17:52:14Z,Sign in,192.0.2.4,Browser,5.9.1.2581\n";
        let read = ZoomCsv.read(data.as_bytes(), &utc(), "f");
        assert!(
            matches!(&read.records[0].1, ZoomRecord::SignIn(s) if s.time == 1_780_163_534 && s.kind == "Sign in")
        );
        assert!(!ZoomCsv.sniff(b"Student,Grade\nA,B\n"));
        assert!(
            !ZoomCsv.sniff(b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1")
        );
    }
}
