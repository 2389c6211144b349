//! The Zoom path of a run: a document read in one pass or two, veiled and
//! folded record by record.
//!
//! A record's pseudonyms depend on facts that may come later in its
//! document: the key epoch of its meeting occurrence's earliest start
//! (so a person keeps one pseudonym through a meeting that crosses
//! midnight) and its meeting's host, which exports without a host column
//! only mark on a `(Host)` row. So a first pass reads the whole document
//! and keeps only those facts (a few strings per meeting), and a second
//! pass reads it again and veils each record as it comes; no raw record
//! is held beyond its own turn. Most rows carry both facts themselves (a
//! row's meeting id and start name its occurrence, and all its rows share
//! that start), so a CSV export is first read in one pass that stops at
//! the first row that does not ([`ONE_PASS_BYTES`]).
//!
//! CSV exports are read by [`read_parts`] (in [`parts`]): the first pass, sequential and
//! streaming, also notes every few megabytes a record boundary with the
//! reader's state there ([`CsvState`]), which is exact even with quoted
//! fields that hold newlines, because the boundary is found by the reader
//! itself, never guessed. The second pass reads those parts on whichever
//! threads are free, each from its file range or slice, and their results
//! merge in document order, so the output is the same as one pass over the
//! whole. JSON pages and webhooks pair sessions across the document: they
//! are read whole ([`read_document`]), as they are small.

use std::collections::HashMap;
use std::sync::Arc;

mod parts;

#[cfg(test)]
use parts::plan;
pub(super) use parts::{Bytes, read_parts};

use super::accounting::{ChunkReject, LineStats, finish_report};
use crate::aggregate::zoom::{MAX_SESSION_SECONDS, ZoomAggregate};
use crate::formats::zoom::{
    Participation, ZoomOptions, ZoomRead, ZoomReader, ZoomRecord, ZoomSink,
};
use crate::formats::{Reject, Skip};
use crate::output::manifest::InputReport;
use crate::privacy::zoom::{ZoomKeys, ZoomVeil};

/// CSV documents up to this size are first read in one pass, without the
/// survey, which most exports do not need (a history export names each
/// row's meeting, start and host): the parallelism lost within one such
/// document comes back from the others of a folder of exports, and the
/// first pass's reading is saved. A row that needs the survey makes the
/// reading start again in two passes. A larger document, often read
/// alone, is read in parts on every thread from the start.
pub(super) const ONE_PASS_BYTES: u64 = 64 << 20;

/// The UTF-8 byte-order mark exports start with.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// What the first pass learns of a document: per meeting occurrence the
/// earliest start (whose key epoch every pseudonym of the meeting takes),
/// and per meeting its host. Keyed by owned ids, a handful per document.
#[derive(Debug, Default)]
struct Survey {
    anchors: HashMap<Option<String>, i64>,
    hosts: HashMap<Option<Arc<str>>, String>,
    // The last row's occurrence and its anchor so far: a meeting's rows
    // come together, and comparing two fields is cheaper than formatting
    // and hashing its key on every row.
    last: Option<(Occurrence, i64)>,
}

/// What names a row's meeting occurrence ([`ZoomRecord`]'s
/// `occurrence_key` is made of these alone).
#[derive(Debug, PartialEq)]
struct Occurrence {
    occurrence: Option<String>,
    meeting_id: Option<Arc<str>>,
    meeting_start: Option<i64>,
}

impl Occurrence {
    fn is_of(&self, p: &Participation) -> bool {
        self.meeting_start == p.meeting_start
            && self.meeting_id == p.meeting_id
            && self.occurrence == p.occurrence
    }

    fn of(p: &Participation) -> Self {
        Occurrence {
            occurrence: p.occurrence.clone(),
            meeting_id: p.meeting_id.clone(),
            meeting_start: p.meeting_start,
        }
    }
}

impl Survey {
    fn see(&mut self, p: &Participation) {
        if let Some(t) = p.meeting_start.or(p.join) {
            match &mut self.last {
                Some((o, a)) if o.is_of(p) && *a <= t => {}
                _ => {
                    let a = self.anchors.entry(p.occurrence_key()).or_insert(t);
                    *a = (*a).min(t);
                    self.last = Some((Occurrence::of(p), *a));
                }
            }
        }
        let marked = p
            .name
            .as_deref()
            .is_some_and(|n| n.trim_end().ends_with("(Host)"));
        if let Some(h) = p
            .host_email
            .as_deref()
            .or(marked.then_some(p.email.as_deref()).flatten())
            && !self.hosts.contains_key(&p.meeting_id)
        {
            self.hosts.insert(p.meeting_id.clone(), h.to_string());
        }
    }
}

impl ZoomSink for Survey {
    fn lines(&mut self, _: u64) {}
    fn record(&mut self, _: u64, record: ZoomRecord) {
        if let ZoomRecord::Participation(p) = &record {
            self.see(p);
        }
    }
    fn participation(&mut self, _: u64, p: &Participation) {
        self.see(p);
    }
    fn reject(&mut self, _: u64, _: Reject) {}
    fn skipped(&mut self, _: Skip, _: u64) {}
}

/// The fixed context of a document's second pass.
struct Context<'a> {
    options: &'a ZoomOptions,
    veil: &'a ZoomVeil,
    // `None` in a one-pass reading, which takes each row's anchor and host
    // from the row itself and stops at the first row that lacks them.
    survey: Option<&'a Survey>,
    // The input's keyed id, not its path: stable however the path was
    // spelled, and no identifier from it reaches the pseudonym material.
    source_key: &'a str,
}

/// The second pass over a document or a part of it: every record veiled
/// and folded as it comes.
struct Fold<'a> {
    cx: &'a Context<'a>,
    keys: ZoomKeys,
    // The last row's occurrence and its anchor, as in [`Survey`].
    anchor: Option<(Occurrence, i64)>,
    agg: ZoomAggregate,
    stats: LineStats,
    // Rejected by the reader, then by the checks here: kept apart so the
    // report lists them in the order a whole-document read gave.
    read_rejects: Vec<(u64, Reject)>,
    fold_rejects: Vec<(u64, Reject)>,
    // Set, in a one-pass reading, by a row whose anchor or host only the
    // survey knows: the reading is then given up and made in two passes.
    needs_survey: bool,
}

impl<'a> Fold<'a> {
    fn new(cx: &'a Context<'a>, place: u64) -> Self {
        Fold {
            cx,
            keys: ZoomKeys::default(),
            anchor: None,
            agg: ZoomAggregate::at(place),
            stats: LineStats::default(),
            read_rejects: Vec::new(),
            fold_rejects: Vec::new(),
            needs_survey: false,
        }
    }

    /// The anchor and the host of `p`: from the survey, or in a one-pass
    /// reading from the row itself, `None` when it does not hold them.
    fn anchor_and_host<'p>(&mut self, p: &'p Participation) -> Option<(i64, Option<&'p str>)>
    where
        'a: 'p,
    {
        let cx = self.cx;
        let Some(survey) = cx.survey else {
            // A row that names its occurrence by meeting id and start is
            // its own anchor: every row of the occurrence has that start,
            // the earliest the survey would find. (An id holding `@` could
            // read as another occurrence's key, so it is left to the
            // survey.) Its host is its own, or matters to no policy that
            // lists no sensitive host.
            let own = p.occurrence.is_none()
                && p.meeting_id.as_deref().is_some_and(|id| !id.contains('@'));
            return match (own, p.meeting_start) {
                (true, Some(start)) if p.host_email.is_some() || !cx.veil.reads_hosts() => {
                    Some((start, p.host_email.as_deref()))
                }
                _ => None,
            };
        };
        let anchor = match &self.anchor {
            Some((o, a)) if o.is_of(p) => *a,
            _ => {
                let a = survey
                    .anchors
                    .get(&p.occurrence_key())
                    .copied()
                    .unwrap_or(0);
                self.anchor = Some((Occurrence::of(p), a));
                a
            }
        };
        let host = p
            .host_email
            .as_deref()
            .or_else(|| survey.hosts.get(&p.meeting_id).map(String::as_str));
        Some((anchor, host))
    }
}

impl ZoomSink for Fold<'_> {
    fn lines(&mut self, n: u64) {
        self.stats.lines += n;
    }

    fn record(&mut self, line: u64, record: ZoomRecord) {
        match record {
            ZoomRecord::Participation(p) => self.participation(line, &p),
            ZoomRecord::SignIn(s) => {
                let cx = self.cx;
                self.agg.add_signin(cx.veil.signin_in(&mut self.keys, &s));
                self.parsed([Some(s.time), None, None]);
            }
        }
    }

    fn participation(&mut self, line: u64, p: &Participation) {
        let cx = self.cx;
        // A session longer than any Zoom meeting can last is a mistyped
        // date (a join in 0226 for 2026), not attendance: counted, it
        // would span centuries of hours.
        if let (Some(j), Some(l)) = (p.join, p.leave)
            && l.saturating_sub(j) > MAX_SESSION_SECONDS
        {
            self.fold_rejects.push((line, Reject::BadTimestamp));
            return;
        }
        let Some((anchor, host)) = self.anchor_and_host(p) else {
            self.needs_survey = true;
            return;
        };
        match (cx.veil).participation_in(&mut self.keys, p, anchor, host, cx.source_key) {
            Some(v) => {
                self.agg.add_participation(v);
                self.parsed([p.join, p.leave, p.meeting_start]);
            }
            None => self.fold_rejects.push((line, Reject::Malformed)),
        }
    }

    fn reject(&mut self, line: u64, why: Reject) {
        self.read_rejects.push((line, why));
    }

    fn skipped(&mut self, why: Skip, n: u64) {
        self.stats.skipped[why.index()] += n;
    }
}

impl Fold<'_> {
    /// Counts a record folded, with the times it carries.
    fn parsed(&mut self, times: [Option<i64>; 3]) {
        self.stats.parsed += 1;
        for t in times.into_iter().flatten() {
            self.stats.min_time = self.stats.min_time.min(t);
            self.stats.max_time = self.stats.max_time.max(t);
        }
    }
}

/// A finished second pass over a part: its fold, and the byte offset of
/// each rejected line, in the order of `read_rejects` then `fold_rejects`.
struct PartOut {
    agg: ZoomAggregate,
    stats: LineStats,
    read_rejects: Vec<(u64, Reject, u64)>,
    fold_rejects: Vec<(u64, Reject, u64)>,
}

impl PartOut {
    /// Locates the rejects of `fold`, which read `data` (starting at byte
    /// `start` of the document, on line `line`).
    fn of(fold: Fold<'_>, data: &[u8], start: u64, line: u64) -> PartOut {
        let rejects = fold.read_rejects.len() + fold.fold_rejects.len();
        // Line starts within the part, only when something was rejected.
        let starts: Vec<u64> = if rejects == 0 {
            Vec::new()
        } else {
            std::iter::once(start)
                .chain(memchr::memchr_iter(b'\n', data).map(|p| start + p as u64 + 1))
                .collect()
        };
        let locate = |v: Vec<(u64, Reject)>| -> Vec<(u64, Reject, u64)> {
            v.into_iter()
                .map(|(l, r)| {
                    let at = starts
                        .get(l.saturating_sub(line) as usize)
                        .copied()
                        .unwrap_or(start);
                    (l, r, at)
                })
                .collect()
        };
        PartOut {
            agg: fold.agg,
            stats: fold.stats,
            read_rejects: locate(fold.read_rejects),
            fold_rejects: locate(fold.fold_rejects),
        }
    }
}

/// Fills `report` from the parts of a document, in document order, and
/// returns their merged fold.
fn finish(parts: Vec<PartOut>, report: &mut InputReport, max_locations: usize) -> ZoomAggregate {
    let mut agg = ZoomAggregate::default();
    let mut stats = LineStats::default();
    let mut read = Vec::new();
    let mut folded = Vec::new();
    for p in parts {
        agg.merge(p.agg);
        stats.merge(&p.stats);
        read.extend(p.read_rejects);
        folded.extend(p.fold_rejects);
    }
    // The document is one chunk; rejects are located by line and by the
    // byte offset of that line's start.
    let rejects: Vec<ChunkReject> = read
        .into_iter()
        .chain(folded)
        .map(|(line, reason, offset)| {
            stats.rejected[reason.index()] += 1;
            ChunkReject {
                chunk: 0,
                line_in_chunk: line,
                offset,
                reason,
            }
        })
        .collect();
    finish_report(report, &stats, &[(0, stats.lines)], &rejects, max_locations);
    agg
}

/// How to read one Zoom document.
#[derive(Debug, Clone, Copy)]
pub(super) struct Job<'a> {
    /// The reader's options.
    pub(super) options: &'a ZoomOptions,
    /// The privacy stage.
    pub(super) veil: &'a ZoomVeil,
    /// Rejected lines located in the report, at most.
    pub(super) max_locations: usize,
    /// Where this document's rows sort among the run's.
    pub(super) place: u64,
    /// About how many bytes a part of a CSV document has.
    pub(super) part_bytes: usize,
    /// CSV documents up to this size are first tried in one pass.
    pub(super) one_pass_bytes: u64,
}

/// Reads, veils and folds one Zoom document held whole, filling the counts
/// of `report`: CSV in parts, other documents whole.
pub(super) fn read_document(
    data: &[u8],
    reader: &dyn ZoomReader,
    job: Job<'_>,
    report: &mut InputReport,
) -> ZoomAggregate {
    if reader.splittable() {
        // Bytes in memory cannot fail to read.
        let (agg, _, _) = read_parts(Bytes::Mem(data), job, report);
        return agg;
    }
    let Job {
        options,
        veil,
        max_locations,
        place,
        ..
    } = job;
    let source_key = report.id.clone();
    let ZoomRead {
        lines,
        records,
        rejected,
        skipped,
    } = reader.read(data, options, &source_key);
    let mut survey = Survey::default();
    for (_, r) in &records {
        if let ZoomRecord::Participation(p) = r {
            survey.see(p);
        }
    }
    let cx = Context {
        options,
        veil,
        survey: Some(&survey),
        source_key: &source_key,
    };
    let mut fold = Fold::new(&cx, place);
    fold.stats.lines = lines;
    fold.stats.skipped = skipped;
    fold.read_rejects = rejected;
    // Consumed: each record's text is freed once it is veiled.
    for (line, record) in records {
        fold.record(line, record);
    }
    let out = PartOut::of(fold, data, 0, 1);
    finish(vec![out], report, max_locations)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::formats::zoom::ZoomTime;
    use crate::formats::zoom::csv_export::ZoomCsv;
    use crate::privacy::ip::Generalize;
    use crate::privacy::key::{Key, KeyMode};
    use crate::privacy::policy::Policy;
    use crate::privacy::pseudonym::Epoch;

    /// A history export and a participants export with a meeting block
    /// ahead, CRLF, with a name holding a quoted newline (and a quoted
    /// CRLF), blank lines, a `(Host)` row after the rows it hosts, a
    /// waiting-room row and rejected rows.
    fn documents() -> Vec<String> {
        let history = "\u{feff}Topic,Type,ID,Host name,Host email,Start time,End time,Participants,Duration (minutes),Total participant minutes,Department,Group,Source,Unique viewers,Max concurrent views,Creation time,Name (original name),Email,Join time,Leave time,Duration (minutes),Guest,Recording disclaimer response,In waiting room\r\n";
        let mut h = history.to_string();
        for m in 0..4 {
            for p in 0..6 {
                let name = match p {
                    1 => format!("\"Lee\nKim {m}\""),
                    2 => format!("\"Ana,\r\nRuiz {m}\""),
                    _ => format!("Person {p}"),
                };
                let email = if p % 3 == 0 {
                    String::new()
                } else {
                    format!("p{p}@example.edu")
                };
                let host = if m == 2 { "-" } else { "host@example.edu" };
                let join = if p == 4 && m == 1 {
                    "13/45/2026 03:00:00 PM"
                } else {
                    "01/26/2026 03:05:00 PM"
                };
                h.push_str(&format!(
                    "\"T, {m}\",Meeting,932 500 {m},H,{host},01/26/2026 03:00:00 PM,01/26/2026 04:00:00 PM,6,60,-,-,-,-,-,-,-,{name},{email},{join},01/26/2026 03:4{p}:00 PM,10,No,-,{}\r\n",
                    if p == 5 { "Yes" } else { "No" }
                ));
            }
            h.push_str("\r\n");
        }
        let block = "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants,\r\n\
            932 5001 3841,\"Lab, weekly\",01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,,60,3,\r\n\
            \r\n\
            Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n\
            \"Guest\nPhone\",,01/26/2023 03:10:00 PM,01/26/2023 03:20:00 PM,10,Yes\r\n\
            ,,01/26/2023 03:10:00 PM,01/26/2023 03:20:00 PM,10,Yes\r\n\
            Ana Ruiz (Host),host@example.edu,01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,60,No\r\n\
            \"unterminated,x@example.edu,01/26/2023 03:00:00 PM\n";
        vec![h, block.to_string()]
    }

    /// How a test reads a document.
    #[derive(Debug, Clone, Copy)]
    struct How {
        /// About how many bytes a part has.
        part_bytes: usize,
        /// From a file, not from memory.
        file: bool,
        /// First tried in one pass.
        one_pass: bool,
        /// Under a policy that lists a sensitive host.
        hosts: bool,
    }

    /// The tables and the report's counts and reject locations of a read.
    fn read(doc: &[u8], how: How, key: &Arc<Key>) -> (String, String) {
        let How {
            part_bytes,
            file,
            one_pass,
            hosts,
        } = how;
        let key = key.clone();
        let mut policy = Policy::default();
        if hosts {
            policy.zoom.sensitive_hosts = vec!["host@example.edu".into()];
        }
        let veil = ZoomVeil::new(key, Epoch::Day, Generalize::default(), &policy.zoom);
        let options = ZoomOptions {
            time: ZoomTime::default(),
        };
        let job = Job {
            options: &options,
            veil: &veil,
            max_locations: 100,
            place: 0,
            part_bytes,
            one_pass_bytes: if one_pass { u64::MAX } else { 0 },
        };
        let mut report = InputReport::default();
        let agg = if file {
            let mut f = tempfile::tempfile().unwrap();
            std::io::Write::write_all(&mut f, doc).unwrap();
            read_parts(Bytes::File(&f, doc.len() as u64), job, &mut report).0
        } else {
            read_document(doc, &ZoomCsv, job, &mut report)
        };
        policy.suppression.k = 1;
        let tables = agg.into_tables(&policy).unwrap();
        let counts = format!(
            "{} {} {} {:?} {:?} {:?} {:?}",
            report.lines,
            report.parsed,
            report.skipped,
            report.rejected_by_reason,
            report.skipped_by_reason,
            serde_json::to_string(&report).unwrap(),
            report.first_event
        );
        (format!("{tables:?}"), counts)
    }

    #[test]
    fn a_document_read_in_parts_gives_what_it_gives_whole() {
        let key = Arc::new(Key::generate(KeyMode::Ephemeral).unwrap());
        let mut docs = documents();
        docs.push(disagreeing_history());
        for doc in docs {
            for hosts in [true, false] {
                let how = How {
                    part_bytes: usize::MAX,
                    file: false,
                    one_pass: false,
                    hosts,
                };
                let whole = read(doc.as_bytes(), how, &key);
                assert!(whole.0.contains("Utf8"), "{}", whole.0);
                // One record a part, parts of a few records, and from a
                // file read 7 bytes at a time: records (quoted newlines,
                // CRLFs) cut by a block's end are read again whole. In one
                // pass too, whether it holds to the end or starts again in
                // two once a row needs the survey.
                for part_bytes in [1, 40, 300, 100_000] {
                    for (file, one_pass) in [(false, false), (true, false), (true, true)] {
                        let how = How {
                            part_bytes,
                            file,
                            one_pass,
                            hosts,
                        };
                        assert_eq!(read(doc.as_bytes(), how, &key), whole, "{how:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn one_pass_holds_to_the_end_only_when_no_row_needs_the_survey() {
        let key = Arc::new(Key::generate(KeyMode::Ephemeral).unwrap());
        let options = ZoomOptions {
            time: ZoomTime::default(),
        };
        // Whether one pass over `doc` holds under a policy listing `hosts`.
        let holds = |doc: &str, hosts: &[&str]| {
            let mut policy = Policy::default();
            policy.zoom.sensitive_hosts = hosts.iter().map(|h| h.to_string()).collect();
            let veil = ZoomVeil::new(key.clone(), Epoch::Day, Generalize::default(), &policy.zoom);
            let cx = Context {
                options: &options,
                veil: &veil,
                survey: None,
                source_key: "f",
            };
            let (out, _) = parts::one_pass(&cx, Bytes::Mem(doc.as_bytes()), 0).unwrap();
            out.is_some()
        };
        let [history, block] = <[String; 2]>::try_from(documents()).unwrap();
        // The history's third meeting has no host: a policy with sensitive
        // hosts needs the survey there, one without needs it nowhere.
        assert!(!holds(&history, &["host@example.edu"]));
        assert!(holds(&history, &[]));
        // A participants export takes its meeting from a block ahead of
        // it, and its rows name no host.
        assert!(holds(&block, &[]));
        assert!(!holds(&block, &["host@example.edu"]));
    }

    /// A history export whose rows of one meeting disagree: the first
    /// without a host, then a rejected row with one, then two hosts, a new
    /// occurrence, a host named only by `(Host)`, and a header again.
    fn disagreeing_history() -> String {
        let head = documents().swap_remove(0);
        let header = &head[..head.find('\n').unwrap() + 1];
        let row = |id: &str, host: &str, start: &str, name: &str, join: &str| {
            format!(
                "T,Meeting,{id},H,{host},01/26/2026 {start} PM,01/26/2026 04:00:00 PM,6,60,-,-,-,-,-,-,-,{name},{name}@example.edu,01/26/2026 {join} PM,01/26/2026 03:40:00 PM,10,No,-,No\r\n"
            )
        };
        let mut d = header.to_string();
        d += &row("1", "-", "03:00:00", "a", "03:05:00");
        d += &row("1", "h1@example.edu", "03:00:00", "b", "13:99:00");
        d += &row("1", "h2@example.edu", "03:00:00", "c", "03:06:00");
        d += &row("1", "h3@example.edu", "03:00:00", "d", "03:01:00");
        d += &row("1", "h1@example.edu", "03:30:00", "e", "03:31:00");
        d += &row("2", "-", "03:00:00", "f", "03:05:00");
        d += &row("2", "-", "03:00:00", "g (Host)", "03:05:00");
        d += &row("3", "h4@example.edu", "03:00:00", "i", "03:05:00");
        d += header;
        d += &row("3", "h4@example.edu", "03:00:00", "j", "03:05:00");
        d += &row("3", "h5@example.edu", "02:00:00", "k", "03:05:00");
        d
    }

    #[test]
    fn the_first_pass_passing_over_repeats_surveys_as_reading_every_row() {
        let options = ZoomOptions {
            time: ZoomTime::default(),
        };
        let mut docs = documents();
        docs.push(disagreeing_history());
        for doc in docs {
            let mut full = Survey::default();
            let mut state = crate::formats::zoom::csv_export::CsvState::default();
            let body = doc.strip_prefix('\u{feff}').unwrap_or(&doc);
            let mut records = crate::formats::zoom::csv::records_from(body.as_bytes(), 1);
            let mut record = crate::formats::zoom::csv::Record::default();
            while records.next_into(&mut record) {
                state.feed(&record, &options, &mut full);
            }
            assert!(!full.anchors.is_empty());
            for block in [5, 1 << 20] {
                let (lean, _, _) = plan(Bytes::Mem(doc.as_bytes()), &options, 64, block).unwrap();
                assert_eq!(lean.anchors, full.anchors);
                assert_eq!(lean.hosts, full.hosts);
            }
        }
    }

    #[test]
    fn parts_start_after_quoted_newlines_never_inside_them() {
        let doc = documents().swap_remove(0);
        let options = ZoomOptions {
            time: ZoomTime::default(),
        };
        let (_, parts, end) = plan(Bytes::Mem(doc.as_bytes()), &options, 1, 5).unwrap();
        assert_eq!(end, doc.len() as u64);
        assert!(parts.len() > 20);
        let quoted = doc.find("\"Lee\nKim").unwrap() as u64;
        for p in &parts {
            // No part starts inside the quoted name.
            assert!(p.start <= quoted || p.start > quoted + 8, "{p:?}");
        }
        let lines: u64 = doc.bytes().filter(|&b| b == b'\n').count() as u64;
        assert!(parts.last().unwrap().line <= lines);
        assert_eq!(parts.last().unwrap().end, doc.len() as u64);
    }
}
