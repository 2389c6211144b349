//! Wires the stages together and owns the threading.
//!
//! ```text
//! discover ─▶ per source (in parallel): open ─▶ detect ─▶ chunks
//!   per chunk (in parallel for mapped files): lines ─▶ parse ─▶ veil ─▶ fold
//!   chunk aggregates ─▶ merge (rayon fold/reduce) ─▶ tables ─▶ Parquet ─▶ manifest
//! ```
//!
//! Plain files are split into chunks that rayon spreads over the workers;
//! compressed files are decompressed sequentially (deflate and zstd streams
//! cannot be split), and several of them run in parallel. Each chunk's
//! aggregate borrows from the chunk and is merged into the worker's total
//! once, at the chunk's end.
//!
//! Line numbers of rejected lines are resolved after the fact: a chunk
//! counts its own lines, and the prefix sum of the chunk counts places each
//! rejection in its file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;

mod zoom;

use crate::aggregate::web::WebAggregate;
use crate::aggregate::zoom::ZoomAggregate;
use crate::error::Error;
use crate::formats::logformat::ApacheFormat;
use crate::formats::w3c;
use crate::formats::zoom::{ZoomOptions, ZoomTime};
use crate::formats::{self, LogFormat, ParseContext, Reject, Skip, detect};
use crate::input::read::{self, Opened, StreamChunks};
use crate::input::{Source, discover};
use crate::output::manifest::{
    DetectionReport, InputReport, KeyInfo, Location, Manifest, Problem, Settings, TableReport,
    Totals,
};
use crate::output::parquet::write_table;
use crate::privacy::key::{Key, KeyMode};
use crate::privacy::policy::Policy;
use crate::privacy::pseudonym::Epoch;
use crate::privacy::zoom::ZoomVeil;
use crate::privacy::{Veil, VeilConfig};
use crate::time;

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
        }
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

/// Accumulated results of the chunks of one source.
#[derive(Debug)]
struct SourceAcc {
    agg: WebAggregate<'static>,
    stats: LineStats,
    chunk_lines: Vec<(usize, u64)>,
    rejects: Vec<ChunkReject>,
}

impl SourceAcc {
    fn new(session_gap: i64) -> SourceAcc {
        SourceAcc {
            agg: WebAggregate::new(session_gap),
            stats: LineStats::default(),
            chunk_lines: Vec::new(),
            rejects: Vec::new(),
        }
    }

    /// Fills `report` from what the chunks counted.
    fn fill(&self, report: &mut InputReport, max_locations: usize) {
        finish_report(
            report,
            &self.stats,
            &self.chunk_lines,
            &self.rejects,
            max_locations,
        );
    }

    fn merge(mut self, other: SourceAcc) -> SourceAcc {
        self.agg.merge(other.agg);
        self.stats.merge(&other.stats);
        self.chunk_lines.extend(other.chunk_lines);
        self.rejects.extend(other.rejects);
        self
    }
}

/// The aggregates of every source family.
#[derive(Debug)]
struct Aggregates {
    web: WebAggregate<'static>,
    zoom: ZoomAggregate,
}

impl Aggregates {
    fn new(session_gap: i64) -> Aggregates {
        Aggregates {
            web: WebAggregate::new(session_gap),
            zoom: ZoomAggregate::default(),
        }
    }

    fn merge(&mut self, other: Aggregates) {
        self.web.merge(other.web);
        self.zoom.merge(other.zoom);
    }
}

/// Everything one worker needs to process chunks.
struct Worker<'r> {
    format: &'r dyn LogFormat,
    veil: &'r Veil,
    max_rejects: usize,
    progress: Option<&'r Progress>,
    session_gap: i64,
}

impl<'r> Worker<'r> {
    /// A worker parsing with `format` under the run's settings.
    fn new(
        format: &'r dyn LogFormat,
        veil: &'r Veil,
        cfg: &'r RunConfig,
        session_gap: i64,
    ) -> Self {
        Worker {
            format,
            veil,
            max_rejects: cfg.max_reject_locations,
            progress: cfg.progress.as_deref(),
            session_gap,
        }
    }

    /// Parses, veils and aggregates one chunk, folding it into `acc`.
    fn chunk(&self, mut acc: SourceAcc, index: usize, data: &[u8], offset: u64) -> SourceAcc {
        let mut agg = WebAggregate::new(self.session_gap);
        let mut stats = LineStats::default();
        let mut cx = ParseContext::default();
        let mut veil = self.veil.worker();
        let mut kept_rejects = 0;
        let mut start = 0usize;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
            let raw_line = &data[start..end];
            let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
            stats.lines += 1;
            if let Some(skip) = self.format.skip(line) {
                stats.skipped[skip.index()] += 1;
            } else {
                match self.format.parse(line, &mut cx) {
                    Ok(raw) => {
                        stats.parsed += 1;
                        stats.min_time = stats.min_time.min(raw.time);
                        stats.max_time = stats.max_time.max(raw.time);
                        agg.add(veil.apply(&raw));
                    }
                    Err(reason) => {
                        stats.rejected[reason.index()] += 1;
                        if kept_rejects < self.max_rejects {
                            kept_rejects += 1;
                            acc.rejects.push(ChunkReject {
                                chunk: index,
                                line_in_chunk: stats.lines,
                                offset: offset + start as u64,
                                reason,
                            });
                        }
                    }
                }
            }
            start = end + 1;
        }
        if let Some(p) = self.progress {
            p.bytes_done.fetch_add(data.len() as u64, Ordering::Relaxed);
            p.lines.fetch_add(stats.lines, Ordering::Relaxed);
        }
        acc.agg.merge(agg);
        acc.stats.merge(&stats);
        acc.chunk_lines.push((index, stats.lines));
        acc
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

/// Reads one source completely.
fn process_source(
    source: &Source,
    forced: Option<&dyn LogFormat>,
    cfg: &RunConfig,
    veil: &Veil,
    zveil: &ZoomVeil,
) -> (InputReport, Aggregates) {
    let gap = cfg.session_gap();
    let mut report = InputReport {
        path: source.path.clone(),
        bytes: source.size,
        compression: source.compression.as_str(),
        ..InputReport::default()
    };
    let worker = |format| Worker::new(format, veil, cfg, gap);
    let opened = match read::open(source) {
        Ok(o) => o,
        Err(e) => {
            report.error = Some(format!("cannot open: {e}"));
            return (report, Aggregates::new(gap));
        }
    };
    let mut acc = SourceAcc::new(gap);
    match opened {
        Opened::Empty => {
            report.detection = Some(choose_format(forced, b"", true).1);
        }
        Opened::Mapped(map) => {
            let data: &[u8] = &map;
            report.decompressed_bytes = data.len() as u64;
            let head = &data[..data.len().min(DETECT_BYTES)];
            if let Some(kind) = detect::whole_document(head, forced.is_some()) {
                return read_whole(kind, data, report, cfg, veil, zveil, gap);
            }
            let (format, detection) = choose_format(forced, head, head.len() == data.len());
            report.detection = Some(detection);
            let Some(format) = format else {
                return (no_format(report), Aggregates::new(gap));
            };
            report.format = Some(format.name());
            acc = fold_chunks(&worker(format), data, 0, 0, cfg.chunk_bytes, gap).0;
        }
        Opened::Stream(reader) => {
            let mut chunks = StreamChunks::new(reader, cfg.chunk_bytes)
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
                if format.is_none()
                    && let Some(kind) = detect::whole_document(&chunk.data, forced.is_some())
                {
                    let all = gather(chunk.data, chunks.by_ref(), &mut report);
                    return read_whole(kind, &all, report, cfg, veil, zveil, gap);
                }
                if format.is_none() {
                    let complete = chunks.peek().is_none_or(|(_, next)| next.is_err());
                    let (f, detection) = choose_format(forced, &chunk.data, complete);
                    report.detection = Some(detection);
                    match f {
                        Some(f) => format = Some(f),
                        None => return (no_format(report), Aggregates::new(gap)),
                    }
                    report.format = format.map(|f| f.name());
                }
                report.decompressed_bytes += chunk.data.len() as u64;
                if let Some(f) = format {
                    acc = worker(f).chunk(acc, i, &chunk.data, chunk.offset);
                }
            }
        }
    }
    acc.fill(&mut report, cfg.max_reject_locations);
    let mut aggs = Aggregates::new(gap);
    aggs.web = acc.agg;
    (report, aggs)
}

/// Reads an input that is processed whole (Zoom data, W3C logs).
fn read_whole(
    kind: detect::Whole,
    data: &[u8],
    mut report: InputReport,
    cfg: &RunConfig,
    veil: &Veil,
    zveil: &ZoomVeil,
    gap: i64,
) -> (InputReport, Aggregates) {
    let mut aggs = Aggregates::new(gap);
    match kind {
        detect::Whole::Zoom(reader) => {
            report.format = Some(reader.name());
            aggs.zoom = zoom::read_document(
                data,
                reader,
                &cfg.zoom,
                zveil,
                &mut report,
                cfg.max_reject_locations,
            );
        }
        detect::Whole::W3c => {
            let acc = read_w3c(data, &mut report, cfg, veil, gap);
            acc.fill(&mut report, cfg.max_reject_locations);
            aggs.web = acc.agg;
        }
    }
    (report, aggs)
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

/// Parses `data` in newline-aligned chunks in parallel, numbering chunks
/// from `first_index` so line numbers stay right when a file is processed
/// in several parts. Returns the accumulator and the number of chunks.
fn fold_chunks(
    worker: &Worker<'_>,
    data: &[u8],
    base_offset: u64,
    first_index: usize,
    chunk_bytes: usize,
    gap: i64,
) -> (SourceAcc, usize) {
    let ranges = read::chunk_ranges(data, chunk_bytes);
    let count = ranges.len();
    let acc = ranges
        .into_par_iter()
        .enumerate()
        .fold(
            || SourceAcc::new(gap),
            |acc, (i, r)| {
                worker.chunk(
                    acc,
                    first_index + i,
                    &data[r.clone()],
                    base_offset + r.start as u64,
                )
            },
        )
        .reduce(|| SourceAcc::new(gap), SourceAcc::merge);
    (acc, count)
}

/// A W3C extended log: each `#Fields:` header starts a segment parsed with
/// its own columns (lines before the first use the first header's).
fn read_w3c(
    data: &[u8],
    report: &mut InputReport,
    cfg: &RunConfig,
    veil: &Veil,
    gap: i64,
) -> SourceAcc {
    let segments = w3c::segments(data);
    report.format = Some("w3c");
    let mut acc = SourceAcc::new(gap);
    let Some(first) = segments.iter().find_map(|s| s.fields.as_ref()) else {
        report.error = Some("W3C log without a usable #Fields: header (it needs a time and c-ip); the file was not read".to_string());
        return acc;
    };
    let mut bounds: Vec<usize> = segments.iter().map(|s| s.start).collect();
    if bounds.first() != Some(&0) {
        bounds.insert(0, 0);
    }
    bounds.push(data.len());
    let mut index = 0;
    for w in bounds.windows(2) {
        let (s, e) = (w[0], w[1]);
        let format = segments
            .iter()
            .find(|seg| seg.start == s)
            .and_then(|seg| seg.fields.as_ref())
            .unwrap_or(first);
        let worker = Worker::new(format, veil, cfg, gap);
        let segment = &data[s..e];
        let (part, chunks) = fold_chunks(&worker, segment, s as u64, index, cfg.chunk_bytes, gap);
        // Only segments that gave records say how the input was read.
        if part.stats.parsed > 0 {
            if format.dialect() != w3c::Dialect::Standard {
                report.dialect = Some(format.dialect().name());
            }
            if format.local_time() && !report.notes.contains(&w3c::LOCAL_TIME_NOTE) {
                report.notes.push(w3c::LOCAL_TIME_NOTE);
            }
        }
        acc = acc.merge(part);
        index += chunks;
    }
    acc
}

fn no_format(mut report: InputReport) -> InputReport {
    let d = report.detection.as_ref();
    report.error = Some(format!(
        "no known format fits: the best candidate ({}) parsed {} of {} sampled lines; \
         name the format with --format ({})",
        d.and_then(|d| d.best_candidate).unwrap_or("none"),
        d.map_or(0, |d| d.parsed),
        d.map_or(0, |d| d.sampled),
        formats::known_names()
    ));
    report
}

/// Fills the counts and reject locations of a report from its accumulator.
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

fn load_key(source: &KeySource) -> Result<Key, Error> {
    Ok(match source {
        KeySource::File(path) => Key::from_file(path)?,
        KeySource::Ephemeral => Key::generate(KeyMode::Ephemeral)?,
    })
}

/// Files under the output directory are outputs, not inputs: reading them
/// back would count a previous run's tables as log lines.
fn outside_output(sources: Vec<Source>, out: &Path) -> Vec<Source> {
    let Ok(out) = out.canonicalize() else {
        return sources;
    };
    sources
        .into_iter()
        .filter(|s| s.path.canonicalize().map_or(true, |p| !p.starts_with(&out)))
        .collect()
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
        (Some(name), None) => Some(formats::by_name(name).ok_or_else(|| Error::UnknownFormat {
            name: name.clone(),
            known: formats::known_names(),
        })?),
    };
    let key = Arc::new(load_key(&cfg.key)?);
    std::fs::create_dir_all(&cfg.out).map_err(|source| Error::Output {
        path: cfg.out.clone(),
        source,
    })?;
    let discovery = discover(&cfg.inputs);
    let sources = outside_output(discovery.sources, &cfg.out);
    if sources.is_empty() {
        let listed: Vec<String> = cfg.inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::NoInput(listed.join(", ")));
    }
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

    let (agg, mut reports) = pool.install(|| {
        sources
            .par_iter()
            .enumerate()
            .map(|(i, s)| {
                let (report, agg) = process_source(s, forced, cfg, &veil, &zveil);
                (i, report, agg)
            })
            .fold(
                || (Aggregates::new(gap), Vec::new()),
                |(mut agg, mut reports), (i, report, a)| {
                    agg.merge(a);
                    reports.push((i, report));
                    (agg, reports)
                },
            )
            .reduce(
                || (Aggregates::new(gap), Vec::new()),
                |(mut a, mut ra), (b, rb)| {
                    a.merge(b);
                    ra.extend(rb);
                    (a, ra)
                },
            )
    });
    reports.sort_by_key(|(i, _)| *i);
    let inputs: Vec<InputReport> = reports.into_iter().map(|(_, r)| r).collect();

    let Aggregates { web, zoom } = agg;
    let mut tables = web
        .into_tables(&cfg.veil.policy.suppression)
        .map_err(|message| Error::Encode {
            table: "(aggregate)".to_string(),
            message,
        })?;
    tables.extend(
        zoom.into_tables(&cfg.veil.policy)
            .map_err(|message| Error::Encode {
                table: "(zoom aggregate)".to_string(),
                message,
            })?,
    );
    let mut table_reports = Vec::with_capacity(tables.len());
    for t in &tables {
        let path = write_table(&cfg.out, t)?;
        table_reports.push(TableReport {
            name: t.spec.name,
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            rows: t.rows(),
            suppression: t.suppression,
        });
    }

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
    let problems: Vec<Problem> = discovery.problems;
    let complete = problems.is_empty() && totals.inputs_failed == 0 && totals.rejected == 0;
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
            policy: cfg.veil.policy.clone(),
            zoom_timezone: cfg.zoom.time.zone.name().to_string(),
            zoom_date_order: if cfg.zoom.time.day_first {
                "dmy"
            } else {
                "mdy"
            },
        },
        inputs,
        problems,
        ignored: discovery.ignored,
        totals,
        elapsed_seconds: elapsed,
        lines_per_second,
        tables: table_reports,
        distinct_counts: distinct_counts_note(cfg.veil.policy.keys.epoch),
    };
    let manifest_path = manifest.write(&cfg.out)?;
    Ok(RunReport {
        completion: if complete {
            Completion::Complete
        } else {
            Completion::Partial
        },
        manifest,
        manifest_path,
    })
}
