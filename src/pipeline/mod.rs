//! Wires the stages together and owns the threading.
//!
//! ```text
//! discover ─▶ one task per source: open ─▶ detect ─▶ chunks
//!   each chunk, on any thread: lines ─▶ parse ─▶ veil ─▶ fold into that thread's lane
//!   lanes ─▶ merge once ─▶ tables ─▶ Parquet ─▶ manifest
//! ```
//!
//! Every source is a task in one rayon scope, so a directory of files
//! keeps all threads busy. A plain file is planned as newline-aligned
//! ranges that the threads read and fold in parallel. A compressed file is
//! decompressed by its task (deflate and zstd streams cannot be split),
//! which hands each decompressed chunk to whichever thread is free, so one
//! large `.gz` still uses every core for parsing, and several decompress
//! at once. Chunks fold into per-thread lanes (`lanes.rs`) that live for
//! the whole run; at the end, their labels and visitors are merged, then
//! each table merges, counts and writes on its own task.
//!
//! Line numbers of rejected lines are resolved after the fact: a chunk
//! counts its own lines, and the prefix sum of the chunk counts places each
//! rejection in its file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rayon::prelude::*;

mod lanes;
mod zoom;

use crate::error::Error;
use crate::formats::logformat::ApacheFormat;
use crate::formats::zoom::{ZoomOptions, ZoomTime};
use crate::formats::{self, LogFormat, Reject, Skip, detect};
use crate::formats::{json_lines, w3c};
use crate::input::discover::{resolve, within_run};
use crate::input::read::{self, Opened, StreamChunks};
use crate::input::{Source, discover};
use crate::output::manifest::{
    DetectionReport, Ignored, InputReport, KeyInfo, Location, Manifest, Problem, PublishedPolicy,
    RUN_LOG_NOTE, RunLog, Settings, Stages, TableReport, Totals, WithPath,
};
use crate::output::parquet::write_table;
use crate::output::table::Table;
use crate::privacy::key::{Key, KeyMode};
use crate::privacy::policy::Policy;
use crate::privacy::pseudonym::Epoch;
use crate::privacy::zoom::ZoomVeil;
use crate::privacy::{Veil, VeilConfig};
use crate::time;
use lanes::{ChunkJob, ChunkOutcome, Lanes, Merged};

/// Bytes of a plain file sampled for format detection.
const DETECT_BYTES: usize = 256 << 10;

/// Live counters a caller can poll to show progress.
#[derive(Debug, Default)]
pub struct Progress {
    /// Bytes of input (on disk) in the run.
    pub bytes_total: AtomicU64,
    /// Bytes of input read so far (decompressed bytes for compressed files).
    pub bytes_done: AtomicU64,
    /// Lines read so far.
    pub lines: AtomicU64,
}

/// A web log layout given as a format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatString {
    /// An Apache `LogFormat` string.
    Apache(String),
    /// An nginx `log_format` body.
    Nginx(String),
    /// A GoAccess `--log-format` (or predefined name) with its date and
    /// time formats.
    GoAccess {
        /// The log format.
        format: String,
        /// `--date-format` (strftime).
        date: String,
        /// `--time-format` (strftime).
        time: String,
    },
}

impl FormatString {
    fn compile(&self) -> Result<ApacheFormat, crate::formats::logformat::FormatError> {
        match self {
            FormatString::Apache(s) => ApacheFormat::compile(s),
            FormatString::Nginx(s) => ApacheFormat::compile_nginx(s),
            FormatString::GoAccess { format, date, time } => {
                ApacheFormat::compile_goaccess(format, date, time)
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            FormatString::Apache(s) => format!("apache:{s}"),
            FormatString::Nginx(s) => format!("nginx:{s}"),
            FormatString::GoAccess { format, date, time } => {
                format!("goaccess:{format} (date {date}, time {time})")
            }
        }
    }
}

/// Where the run's key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A key file written by `logveil keygen`.
    File(PathBuf),
    /// A random key for this run only.
    Ephemeral,
}

/// Everything a run needs. Build with [`RunConfig::new`] and the setters.
#[derive(Debug, Clone)]
pub struct RunConfig {
    inputs: Vec<PathBuf>,
    out: PathBuf,
    format: Option<String>,
    format_string: Option<FormatString>,
    veil: VeilConfig,
    threads: Option<usize>,
    key: KeySource,
    chunk_bytes: usize,
    max_reject_locations: usize,
    progress: Option<Arc<Progress>>,
    zoom: ZoomOptions,
    local_zone: chrono_tz::Tz,
    run_log: Option<PathBuf>,
}

impl RunConfig {
    /// A run over `inputs` (files or directories) writing into `out`, with
    /// defaults: auto-detected formats, all cores, an ephemeral key.
    pub fn new(inputs: Vec<PathBuf>, out: impl Into<PathBuf>) -> Self {
        RunConfig {
            inputs,
            out: out.into(),
            format: None,
            format_string: None,
            veil: VeilConfig::default(),
            threads: None,
            key: KeySource::Ephemeral,
            chunk_bytes: read::DEFAULT_CHUNK_BYTES,
            max_reject_locations: 100,
            progress: None,
            zoom: ZoomOptions {
                time: ZoomTime::default(),
            },
            local_zone: chrono_tz::Tz::UTC,
            run_log: None,
        }
    }

    /// Where to write the operator's run log (input paths by id), if
    /// anywhere. It must lie outside the inputs and the output.
    pub fn run_log(mut self, path: Option<PathBuf>) -> Self {
        self.run_log = path;
        self
    }

    /// Forces a format by name instead of detecting it per file.
    pub fn format(mut self, name: Option<String>) -> Self {
        self.format = name;
        self
    }

    /// A format string (Apache, nginx or GoAccess) to compile and use for
    /// every web log instead of detection.
    pub fn format_string(mut self, format: Option<FormatString>) -> Self {
        self.format_string = format;
        self
    }

    /// Labels inputs that carry no virtual host.
    pub fn site(mut self, site: Option<String>) -> Self {
        if site.is_some() {
            self.veil.default_site = site;
        }
        self
    }

    /// The privacy policy (defaults: [`Policy::default`]).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.veil.policy = policy;
        self
    }

    /// Settings of the privacy stage.
    pub fn veil(mut self, veil: VeilConfig) -> Self {
        self.veil = veil;
        self
    }

    /// Worker threads (`None`: one per core).
    pub fn threads(mut self, threads: Option<usize>) -> Self {
        self.threads = threads;
        self
    }

    /// The key to pseudonymise with.
    pub fn key(mut self, key: KeySource) -> Self {
        self.key = key;
        self
    }

    /// Target chunk size (mostly for tests and benchmarks).
    pub fn chunk_bytes(mut self, bytes: usize) -> Self {
        self.chunk_bytes = bytes.max(1);
        self
    }

    /// How many rejected-line locations the manifest keeps per input.
    pub fn max_reject_locations(mut self, n: usize) -> Self {
        self.max_reject_locations = n;
        self
    }

    fn session_gap(&self) -> i64 {
        i64::from(self.veil.policy.sessions.gap_minutes) * 60
    }

    /// The zone of web-log times that carry none (W3C `date-local` and
    /// `time-local`, Caddy's `wall` formats); UTC unless set.
    pub fn local_timezone(mut self, zone: chrono_tz::Tz) -> Self {
        self.local_zone = zone;
        self
    }

    /// How to read zone-less Zoom times (zone, day/month order).
    pub fn zoom_time(mut self, time: ZoomTime) -> Self {
        self.zoom.time = time;
        self
    }

    /// Counters to update while running.
    pub fn progress(mut self, progress: Arc<Progress>) -> Self {
        self.progress = Some(progress);
        self
    }
}

/// Whether everything was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Every input was read and every line parsed or skipped.
    Complete,
    /// Outputs were written, but some inputs or lines failed (exit code 2).
    Partial,
}

/// What a finished run produced.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The manifest as written.
    pub manifest: Manifest,
    /// The operator's view: the manifest's entries with their paths
    /// (written to the configured run log path, if any).
    pub run_log: RunLog,
    /// Whether the run was complete.
    pub completion: Completion,
    /// Where the manifest was written.
    pub manifest_path: PathBuf,
}

/// Line counts of a chunk, source or run.
#[derive(Debug, Clone, Copy)]
struct LineStats {
    lines: u64,
    parsed: u64,
    // Parsed records whose time carried no zone (read as UTC).
    zoneless: u64,
    skipped: [u64; Skip::ALL.len()],
    rejected: [u64; Reject::ALL.len()],
    min_time: i64,
    max_time: i64,
}

impl Default for LineStats {
    fn default() -> Self {
        LineStats {
            lines: 0,
            parsed: 0,
            zoneless: 0,
            skipped: [0; Skip::ALL.len()],
            rejected: [0; Reject::ALL.len()],
            min_time: i64::MAX,
            max_time: i64::MIN,
        }
    }
}

impl LineStats {
    fn merge(&mut self, o: &LineStats) {
        self.lines += o.lines;
        self.parsed += o.parsed;
        self.zoneless += o.zoneless;
        for (a, b) in self.skipped.iter_mut().zip(o.skipped) {
            *a += b;
        }
        for (a, b) in self.rejected.iter_mut().zip(o.rejected) {
            *a += b;
        }
        self.min_time = self.min_time.min(o.min_time);
        self.max_time = self.max_time.max(o.max_time);
    }
}

/// A rejected line, located within its chunk.
#[derive(Debug, Clone, Copy)]
struct ChunkReject {
    chunk: usize,
    line_in_chunk: u64,
    offset: u64,
    reason: Reject,
}

/// What every source task of a run shares.
struct Shared<'r, 'v> {
    cfg: &'r RunConfig,
    forced: Option<&'r dyn LogFormat>,
    zveil: &'r ZoomVeil,
    lanes: &'r Lanes<'v>,
    // Decompressed chunks handed to other threads and not yet folded; past
    // the limit the decompressing thread folds its chunks itself, which
    // bounds memory without blocking anyone.
    in_flight: AtomicUsize,
    max_in_flight: usize,
}

impl<'s> Shared<'s, '_> {
    /// Folds an owned chunk, on another thread when one is free.
    fn dispatch(&'s self, scope: &rayon::Scope<'s>, job: ChunkJob<'s>, data: Vec<u8>) {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) < self.max_in_flight {
            scope.spawn(move |_| {
                self.lanes.chunk(job, &data);
                self.in_flight.fetch_sub(1, Ordering::AcqRel);
            });
        } else {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            self.lanes.chunk(job, &data);
        }
    }
}

/// Chooses the format of one source, from `--format` or its first bytes.
fn choose_format<'f>(
    forced: Option<&'f dyn LogFormat>,
    head: &[u8],
    complete: bool,
) -> (Option<&'f dyn LogFormat>, DetectionReport) {
    if let Some(f) = forced {
        let report = DetectionReport {
            forced: true,
            sampled: 0,
            parsed: 0,
            parse_rate: 1.0,
            best_candidate: Some(f.name()),
        };
        return (Some(f), report);
    }
    let d = detect::detect(head, complete);
    let report = DetectionReport {
        forced: false,
        sampled: d.sampled,
        parsed: d.parsed,
        parse_rate: d.parse_rate(),
        best_candidate: d.best.map(|f| f.name()),
    };
    (d.format, report)
}

/// Reads one source: its lines go to the lanes; the returned report has
/// everything but the line counts, which come from the chunks' outcomes.
fn process_source<'s>(
    scope: &rayon::Scope<'s>,
    shared: &'s Shared<'s, '_>,
    index: usize,
    source: &Source,
    id: String,
) -> InputReport {
    let mut report = InputReport {
        id,
        bytes: source.size,
        compression: source.compression.as_str(),
        ..InputReport::default()
    };
    match read::open(source) {
        Err(e) => report.error = Some(format!("cannot open: {e}")),
        Ok(Opened::Empty) => {
            report.detection = Some(choose_format(shared.forced, b"", true).1);
        }
        Ok(Opened::Plain(file, len)) => read_plain(shared, index, &file, len, &mut report),
        Ok(Opened::Stream(reader)) => read_stream(scope, shared, index, reader, &mut report),
    }
    report
}

/// A plain file: detected from its head, then read in parallel ranges.
fn read_plain(
    shared: &Shared<'_, '_>,
    index: usize,
    file: &File,
    len: u64,
    report: &mut InputReport,
) {
    report.decompressed_bytes = len;
    let head = match read::read_head(file, DETECT_BYTES) {
        Ok(h) => h,
        Err(e) => {
            report.error = Some(format!("read failed at the start ({e})"));
            return;
        }
    };
    if let Some(kind) = detect::whole_document(&head, shared.forced.is_some()) {
        match read::map(file) {
            Ok(map) => read_whole(shared, index, kind, &map, report),
            Err(e) => report.error = Some(format!("cannot map the file ({e})")),
        }
        return;
    }
    let (format, detection) = choose_format(shared.forced, &head, head.len() as u64 >= len);
    report.detection = Some(detection);
    let Some(format) = format else {
        return no_format(report);
    };
    report.format = Some(format.name());
    let ranges = match read::plan_chunks(file, len, shared.cfg.chunk_bytes) {
        Ok(r) => r,
        Err(e) => {
            report.error = Some(format!("read failed while splitting the file ({e})"));
            return;
        }
    };
    // One job per chunk: rayon would otherwise hand a thread a run of
    // chunks as one job, and near the end the other thread, with nothing
    // left to steal, idled for up to that run's length.
    let failed = ranges
        .into_par_iter()
        .with_max_len(1)
        .enumerate()
        .filter_map(|(i, range)| {
            let job = ChunkJob {
                format,
                source: index,
                index: i,
                offset: range.start,
            };
            let at = range.start;
            shared
                .lanes
                .read_chunk(job, file, range)
                .err()
                .map(|e| (at, e.to_string()))
        })
        .min_by_key(|(at, _)| *at);
    if let Some((at, e)) = failed {
        report.error = Some(format!(
            "read failed in the chunk at byte {at} ({e}); the other chunks were kept"
        ));
    }
}

/// A compressed file: decompressed on this thread, its chunks folded on
/// whichever threads are free.
fn read_stream<'s>(
    scope: &rayon::Scope<'s>,
    shared: &'s Shared<'s, '_>,
    index: usize,
    reader: Box<dyn std::io::Read + Send>,
    report: &mut InputReport,
) {
    let mut chunks = StreamChunks::new(reader, shared.cfg.chunk_bytes)
        .enumerate()
        .peekable();
    let mut format = None;
    while let Some((i, item)) = chunks.next() {
        let chunk = match item {
            Ok(c) => c,
            Err(e) => {
                report.error = Some(format!(
                    "read failed after {} decompressed bytes ({e}); the lines before it were kept",
                    report.decompressed_bytes
                ));
                break;
            }
        };
        let format = match format {
            Some(f) => f,
            None => {
                if let Some(kind) = detect::whole_document(&chunk.data, shared.forced.is_some()) {
                    let all = gather(chunk.data, chunks.by_ref(), report);
                    return read_whole(shared, index, kind, &all, report);
                }
                let complete = chunks.peek().is_none_or(|(_, next)| next.is_err());
                let (f, detection) = choose_format(shared.forced, &chunk.data, complete);
                report.detection = Some(detection);
                let Some(f) = f else {
                    return no_format(report);
                };
                report.format = Some(f.name());
                *format.insert(f)
            }
        };
        report.decompressed_bytes += chunk.data.len() as u64;
        let job = ChunkJob {
            format,
            source: index,
            index: i,
            offset: chunk.offset,
        };
        shared.dispatch(scope, job, chunk.data);
    }
}

/// Reads an input that is processed whole (Zoom data, W3C logs).
fn read_whole(
    shared: &Shared<'_, '_>,
    index: usize,
    kind: detect::Whole,
    data: &[u8],
    report: &mut InputReport,
) {
    let cfg = shared.cfg;
    match kind {
        detect::Whole::Zoom(reader) => {
            report.format = Some(reader.name());
            let zoom = zoom::read_document(
                data,
                reader,
                &cfg.zoom,
                shared.zveil,
                report,
                cfg.max_reject_locations,
            );
            shared.lanes.add_zoom(zoom);
        }
        detect::Whole::W3c => read_w3c(shared, index, data, report),
        detect::Whole::Csv => read_csv(shared, index, data, report),
    }
}

/// Appends the rest of a stream to its first chunk, for documents that are
/// read whole; a read error is recorded and keeps what came before it.
fn gather(
    mut all: Vec<u8>,
    rest: impl Iterator<Item = (usize, std::io::Result<read::OwnedChunk>)>,
    report: &mut InputReport,
) -> Vec<u8> {
    for (_, chunk) in rest {
        match chunk {
            Ok(c) => all.extend_from_slice(&c.data),
            Err(e) => {
                report.error = Some(format!(
                    "read failed after {} decompressed bytes ({e})",
                    all.len()
                ));
                break;
            }
        }
    }
    report.decompressed_bytes = all.len() as u64;
    all
}

/// A W3C extended log: each `#Fields:` header starts a segment parsed with
/// its own columns (lines before the first use the first header's).
fn read_w3c(shared: &Shared<'_, '_>, index: usize, data: &[u8], report: &mut InputReport) {
    let segments = w3c::segments(data);
    report.format = Some(formats::W3C_NAME);
    let Some(first) = segments.iter().find_map(|s| s.fields.as_ref()) else {
        report.error = Some("W3C log without a usable #Fields: header (it needs a time and c-ip); the file was not read".to_string());
        return;
    };
    let mut bounds: Vec<usize> = segments.iter().map(|s| s.start).collect();
    if bounds.first() != Some(&0) {
        bounds.insert(0, 0);
    }
    bounds.push(data.len());
    let mut chunks = 0;
    for w in bounds.windows(2) {
        let (s, e) = (w[0], w[1]);
        let format = segments
            .iter()
            .find(|seg| seg.start == s)
            .and_then(|seg| seg.fields.as_ref())
            .unwrap_or(first);
        let (parsed, count) = read_segment(shared, index, format, data, s..e, chunks);
        chunks += count;
        // Only segments that gave records say how the input was read.
        if parsed > 0 {
            if format.dialect() != w3c::Dialect::Standard {
                report.dialect = Some(format.dialect().name());
            }
            if format.local_time() && !report.notes.contains(&w3c::LOCAL_TIME_NOTE) {
                report.notes.push(w3c::LOCAL_TIME_NOTE);
            }
        }
    }
}

/// Parses `data[range]` with `format` in parallel chunks numbered from
/// `first_chunk`; gives the records parsed and the chunks used.
fn read_segment(
    shared: &Shared<'_, '_>,
    index: usize,
    format: &dyn formats::LogFormat,
    data: &[u8],
    range: std::ops::Range<usize>,
    first_chunk: usize,
) -> (u64, usize) {
    let start = range.start;
    let segment = &data[range];
    let ranges = read::chunk_ranges(segment, shared.cfg.chunk_bytes);
    let count = ranges.len();
    let parsed = ranges
        .into_par_iter()
        .with_max_len(1)
        .enumerate()
        .map(|(i, r)| {
            let job = ChunkJob {
                format,
                source: index,
                index: first_chunk + i,
                offset: (start + r.start) as u64,
            };
            shared.lanes.chunk(job, &segment[r])
        })
        .sum();
    (parsed, count)
}

/// A CSV log: its header line names the columns of every row.
fn read_csv(shared: &Shared<'_, '_>, index: usize, data: &[u8], report: &mut InputReport) {
    report.format = Some(formats::json_lines::csv::NAME);
    match formats::json_lines::csv::CsvLayout::of(data) {
        Some(layout) => {
            read_segment(shared, index, &layout, data, 0..data.len(), 0);
        }
        None => report.error = Some("CSV log without a usable header line".to_string()),
    }
}

fn no_format(report: &mut InputReport) {
    let d = report.detection.as_ref();
    report.error = Some(format!(
        "no known format fits: the best candidate ({}) parsed {} of {} sampled lines; \
         name the format with --format ({})",
        d.and_then(|d| d.best_candidate).unwrap_or("none"),
        d.map_or(0, |d| d.parsed),
        d.map_or(0, |d| d.sampled),
        formats::known_names()
    ));
}

/// Fills the counts, event times and reject locations of a report. Line
/// numbers of rejects are resolved from the chunks' line counts: a reject's
/// line is the lines of all earlier chunks plus its line in its chunk.
fn finish_report(
    report: &mut InputReport,
    s: &LineStats,
    chunk_lines: &[(usize, u64)],
    rejects: &[ChunkReject],
    max_locations: usize,
) {
    report.lines = s.lines;
    report.parsed = s.parsed;
    report.rejected = s.rejected.iter().sum();
    report.skipped = s.skipped.iter().sum();
    for r in Reject::ALL {
        if s.rejected[r.index()] > 0 {
            report
                .rejected_by_reason
                .insert(r.as_str(), s.rejected[r.index()]);
        }
    }
    for k in Skip::ALL {
        if s.skipped[k.index()] > 0 {
            report
                .skipped_by_reason
                .insert(k.as_str(), s.skipped[k.index()]);
        }
    }
    if s.zoneless > 0 && !report.notes.contains(&json_lines::ZONELESS_TIME_NOTE) {
        report.notes.push(json_lines::ZONELESS_TIME_NOTE);
    }
    if s.parsed > 0 {
        report.first_event = Some(time::rfc3339(s.min_time));
        report.last_event = Some(time::rfc3339(s.max_time));
    }
    // Lines before each chunk, by chunk index.
    let mut chunk_lines = chunk_lines.to_vec();
    chunk_lines.sort_unstable();
    let mut before = vec![0u64; chunk_lines.last().map_or(0, |c| c.0 + 1)];
    let mut running = 0;
    for (i, n) in chunk_lines {
        if let Some(b) = before.get_mut(i) {
            *b = running;
        }
        running += n;
    }
    let mut locations: Vec<Location> = rejects
        .iter()
        .map(|r| Location {
            line: before.get(r.chunk).copied().unwrap_or(0) + r.line_in_chunk,
            byte_offset: r.offset,
            reason: r.reason.as_str(),
        })
        .collect();
    locations.sort();
    locations.truncate(max_locations);
    report.reject_locations_omitted = report.rejected - locations.len() as u64;
    report.reject_locations = locations;
}

/// Fills each line-based input's counts from the outcomes of its chunks.
/// Inputs without chunks (empty, unreadable, Zoom documents, which count
/// their own rows) keep what their reader wrote.
fn fill_line_counts(inputs: &mut [InputReport], outcomes: &mut [ChunkOutcome], max: usize) {
    outcomes.sort_unstable_by_key(|o| (o.source, o.index));
    for of_source in outcomes.chunk_by(|a, b| a.source == b.source) {
        let Some(report) = of_source.first().and_then(|o| inputs.get_mut(o.source)) else {
            continue;
        };
        let mut stats = LineStats::default();
        let mut chunk_lines = Vec::with_capacity(of_source.len());
        let mut rejects = Vec::new();
        for o in of_source {
            stats.merge(&o.stats);
            chunk_lines.push((o.index, o.stats.lines));
            rejects.extend_from_slice(&o.rejects);
        }
        finish_report(report, &stats, &chunk_lines, &rejects, max);
    }
}

/// Labels distinct counts for the key epoch: exact within a row, but a
/// returning visitor counts once per epoch in any sum over a longer window.
fn distinct_counts_note(epoch: Epoch) -> String {
    match epoch {
        Epoch::Never => "exact distinct pseudonyms per row; pseudonyms never rotate, so counts can also be compared across rows and runs with the same key".to_string(),
        e => format!(
            "exact distinct pseudonyms per row (rows span an hour or a day); pseudonyms rotate every {0}, so a sum over a window longer than a {0} counts a returning visitor once per {0}",
            e.as_str()
        ),
    }
}

/// Loads the key, refusing a key file inside an input or the output.
fn load_key(cfg: &RunConfig) -> Result<Key, Error> {
    Ok(match &cfg.key {
        KeySource::File(path) => {
            Key::check_location(path, cfg.inputs.iter().map(PathBuf::as_path), &cfg.out)?;
            Key::from_file(path)?
        }
        KeySource::Ephemeral => Key::generate(KeyMode::Ephemeral)?,
    })
}

/// Refuses a run log where the next run would read it as a log or where
/// it would be published with the tables.
fn check_run_log(cfg: &RunConfig) -> Result<(), Error> {
    let Some(path) = &cfg.run_log else {
        return Ok(());
    };
    match within_run(path, cfg.inputs.iter().map(PathBuf::as_path), &cfg.out) {
        Some(within) => Err(Error::RunLogExposed {
            path: path.clone(),
            within,
        }),
        None => Ok(()),
    }
}

/// Runs the whole pipeline: reads, veils and aggregates every input, writes
/// the tables and the manifest.
pub fn run(cfg: &RunConfig) -> Result<RunReport, Error> {
    let started = Instant::now();
    let compiled = match &cfg.format_string {
        Some(f) => Some(f.compile()?),
        None => None,
    };
    let forced: Option<&dyn LogFormat> = match (&cfg.format, &compiled) {
        (Some(_), Some(_)) => return Err(Error::ConflictingFormats),
        (None, Some(c)) => Some(c),
        (None, None) => None,
        (Some(name), None) => match formats::lookup(name) {
            Some(formats::Named::Line(f)) => Some(f),
            // Documents are read by their own headers, as detection does.
            Some(formats::Named::Document(_)) => None,
            None => {
                return Err(Error::UnknownFormat {
                    name: name.clone(),
                    known: formats::known_names(),
                });
            }
        },
    };
    check_run_log(cfg)?;
    let key = Arc::new(load_key(cfg)?);
    let mut discovery = discover(&cfg.inputs);
    // Outputs are never inputs; a named one is listed and fails the run.
    discovery.set_aside_output(&cfg.inputs, &cfg.out);
    let sources = std::mem::take(&mut discovery.sources);
    // A link inside an input directory can still lead to the key.
    if let KeySource::File(path) = &cfg.key {
        Key::check_location(path, sources.iter().map(|s| s.path.as_path()), &cfg.out)?;
    }
    std::fs::create_dir_all(&cfg.out).map_err(|source| Error::Output {
        path: cfg.out.clone(),
        source,
    })?;
    if sources.is_empty() {
        let listed: Vec<String> = cfg.inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::NoInput(listed.join(", ")));
    }
    // Outputs name inputs by a keyed id of the resolved path, so a path
    // spelled differently on another run keeps its id.
    let path_id = |path: &Path| key.path_id(&resolve(path));
    let ids: Vec<String> = sources.iter().map(|s| path_id(&s.path)).collect();
    // Opened now, so a path that cannot be written fails before the work.
    let run_log_file = cfg.run_log.as_deref().map(RunLog::create).transpose()?;
    if let Some(p) = &cfg.progress {
        let total = sources.iter().map(|s| s.size).sum();
        p.bytes_total.store(total, Ordering::Relaxed);
    }
    let threads = cfg
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("logveil-{i}"))
        .build()
        .map_err(|e| Error::Threads {
            threads,
            message: e.to_string(),
        })?;
    let veil = Veil::new(key.clone(), cfg.veil.clone());
    let policy = &cfg.veil.policy;
    let zveil = ZoomVeil::new(
        key.clone(),
        policy.keys.epoch,
        veil.generalize(),
        &policy.zoom,
    );
    let gap = cfg.session_gap();
    let lanes = Lanes::new(
        &veil,
        threads,
        cfg.local_zone,
        gap,
        cfg.max_reject_locations,
        cfg.progress.as_deref(),
    );
    let slots: Vec<Mutex<InputReport>> = sources
        .iter()
        .map(|_| Mutex::new(InputReport::default()))
        .collect();
    let mut stages = Stages::default();
    let mut stage = Instant::now();
    let mut lap = |into: &mut f64| {
        *into = stage.elapsed().as_secs_f64();
        stage = Instant::now();
    };
    // The end of the run uses the pool too: merging, sorting and encoding
    // are split by table.
    let (inputs, table_reports) = pool.install(|| -> Result<_, Error> {
        {
            let shared = Shared {
                cfg,
                forced,
                zveil: &zveil,
                lanes: &lanes,
                in_flight: AtomicUsize::new(0),
                max_in_flight: 2 * threads,
            };
            rayon::scope(|scope| {
                for (i, ((source, slot), id)) in sources.iter().zip(&slots).zip(&ids).enumerate() {
                    let shared = &shared;
                    scope.spawn(move |scope| {
                        let report = process_source(scope, shared, i, source, id.clone());
                        *slot.lock().unwrap_or_else(PoisonError::into_inner) = report;
                    });
                }
            });
        }
        lap(&mut stages.read_seconds);
        let Merged {
            labels,
            web,
            other_web,
            zoom,
            mut outcomes,
        } = lanes.merge();
        lap(&mut stages.merge_seconds);
        let mut inputs: Vec<InputReport> = slots
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
            .collect();
        fill_line_counts(&mut inputs, &mut outcomes, cfg.max_reject_locations);

        // Each table is written by the task that built it, while the
        // others are still being built.
        let write_nanos = AtomicU64::new(0);
        let emit = |table: Result<Table, String>| -> Result<TableReport, Error> {
            let mut table = table.map_err(|message| Error::Encode {
                table: "(aggregate)".to_string(),
                message,
            })?;
            // Tables the policy asks for exact say so, in the manifest and
            // in the file's metadata.
            if let Some(s) = table.suppression.as_mut() {
                s.internal = cfg.veil.policy.suppression.is_internal(table.spec.name);
            }
            let started = Instant::now();
            let path = write_table(&cfg.out, &table)?;
            let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            write_nanos.fetch_add(nanos, Ordering::Relaxed);
            Ok(TableReport {
                name: table.spec.name,
                file: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                rows: table.rows(),
                suppression: table.suppression,
            })
        };
        let policy = &cfg.veil.policy;
        let (web, zoom) = rayon::join(
            || web.into_tables(other_web, labels, &policy.suppression, emit),
            || match zoom.into_tables(policy) {
                Ok(tables) => tables.into_par_iter().map(|t| emit(Ok(t))).collect(),
                Err(message) => vec![emit(Err(format!("Zoom tables: {message}")))],
            },
        );
        let table_reports = web
            .into_iter()
            .chain(zoom)
            .collect::<Result<Vec<_>, Error>>()?;
        lap(&mut stages.tables_seconds);
        stages.write_seconds = write_nanos.into_inner() as f64 / 1e9;
        Ok((inputs, table_reports))
    })?;

    let mut totals = Totals::default();
    for r in &inputs {
        totals.inputs += 1;
        totals.inputs_failed += usize::from(r.error.is_some());
        totals.bytes += r.bytes;
        totals.lines += r.lines;
        totals.parsed += r.parsed;
        totals.rejected += r.rejected;
        totals.skipped += r.skipped;
    }
    let problems: Vec<WithPath<Problem>> = discovery
        .problems
        .into_iter()
        .map(|p| WithPath {
            entry: Problem {
                id: path_id(&p.path),
                message: p.message,
            },
            path: p.path,
        })
        .collect();
    let named_ignored = discovery.ignored.iter().any(|i| i.why.fails_run());
    let ignored: Vec<WithPath<Ignored>> = discovery
        .ignored
        .into_iter()
        .map(|i| WithPath {
            entry: Ignored {
                id: path_id(&i.path),
                reason: i.why.reason(&i.path),
            },
            path: i.path,
        })
        .collect();
    let complete =
        problems.is_empty() && !named_ignored && totals.inputs_failed == 0 && totals.rejected == 0;
    let elapsed = started.elapsed().as_secs_f64();
    let lines_per_second = if elapsed > 0.0 {
        totals.lines as f64 / elapsed
    } else {
        0.0
    };
    let manifest = Manifest {
        tool: "logveil",
        version: env!("CARGO_PKG_VERSION"),
        complete,
        key: KeyInfo {
            mode: key.mode(),
            fingerprint: key.fingerprint(),
            note: match key.mode() {
                KeyMode::File => {
                    "pseudonyms are stable for this key and can be linked across runs that use it"
                }
                KeyMode::Ephemeral => {
                    "ephemeral key: random for this run and discarded; pseudonyms cannot be linked to any other run"
                }
            },
        },
        settings: Settings {
            format: match (&cfg.format, &cfg.format_string) {
                (_, Some(f)) => f.describe(),
                (Some(name), None) => name.clone(),
                (None, None) => "auto".to_string(),
            },
            default_site: veil.default_site().to_string(),
            threads,
            chunk_bytes: cfg.chunk_bytes,
            policy: PublishedPolicy::new(&cfg.veil.policy, &key),
            zoom_timezone: cfg.zoom.time.zone.name().to_string(),
            local_timezone: cfg.local_zone.name().to_string(),
            zoom_date_order: if cfg.zoom.time.day_first {
                "dmy"
            } else {
                "mdy"
            },
        },
        inputs: inputs.clone(),
        problems: problems.iter().map(|p| p.entry.clone()).collect(),
        ignored: ignored.iter().map(|i| i.entry.clone()).collect(),
        totals,
        elapsed_seconds: elapsed,
        lines_per_second,
        stages,
        tables: table_reports,
        distinct_counts: distinct_counts_note(cfg.veil.policy.keys.epoch),
    };
    let run_log = RunLog {
        note: RUN_LOG_NOTE,
        version: env!("CARGO_PKG_VERSION"),
        output: cfg.out.clone(),
        key_fingerprint: key.fingerprint(),
        inputs: sources
            .iter()
            .zip(inputs)
            .map(|(s, entry)| WithPath {
                path: s.path.clone(),
                entry,
            })
            .collect(),
        problems,
        ignored,
    };
    // Before the manifest, which marks the run finished: a run log that
    // cannot be written fails the run.
    if let (Some(file), Some(path)) = (run_log_file, &cfg.run_log) {
        run_log.write(file, path)?;
    }
    let manifest_path = manifest.write(&cfg.out)?;
    Ok(RunReport {
        run_log,
        completion: if complete {
            Completion::Complete
        } else {
            Completion::Partial
        },
        manifest,
        manifest_path,
    })
}
