//! Lanes: the per-thread state that chunks are folded into.
//!
//! A run has one [`Lane`] per thread of its pool. A lane holds the privacy
//! stage's worker (its memos and label table), the aggregates, the parser's
//! context and a read buffer, and lives for the whole run. So the memos
//! stay warm across chunks and files, nothing is allocated per chunk, and
//! aggregates are merged once per thread at the end instead of once per
//! chunk.
//!
//! A chunk task locks the lane of the thread it runs on
//! (`rayon::current_thread_index`). The lock is uncontended, it only makes
//! the sharing sound, and it is never held across a call back into rayon,
//! so work stealing cannot run a second task that waits on it.
//!
//! Lines are counted per chunk, and each chunk's outcome is kept with its
//! source and index, so line numbers of rejected lines can be resolved
//! after the fact whatever order the chunks ran in.

use std::fs::File;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};

use super::Progress;
use super::accounting::{ChunkReject, LineStats};
use crate::aggregate::web::WebAggregate;
use crate::aggregate::zoom::ZoomAggregate;
use crate::formats::detect::{self, Attempt, Pending, Watch};
use crate::formats::{LogFormat, ParseContext, RawRecord, Reject, Skip};
use crate::input::read;
use crate::privacy::policy::DpPolicy;
use crate::privacy::{Labels, Renumbering, Veil, VeilMemoStats, VeilWorker, VeiledRecord};
use crate::time::Calendar;
use crate::time::LocalZone;

/// What one chunk counted.
#[derive(Debug)]
pub(super) struct ChunkOutcome {
    /// Index of the source in the run.
    pub source: usize,
    /// Index of the chunk in its source, in file order.
    pub index: usize,
    /// Its line counts.
    pub stats: LineStats,
    /// Its first rejected lines, located within the chunk.
    pub rejects: Vec<ChunkReject>,
    /// The format the chunk started with; `None` for a line skipped
    /// unread, which no format saw.
    pub first_format: Option<&'static str>,
    /// Where another format took over: line in the chunk (1-based) and
    /// the format's name.
    pub switches: Vec<(u64, &'static str)>,
}

/// One thread's state.
pub(super) struct Lane<'v> {
    veil: VeilWorker<'v>,
    web: WebAggregate,
    // A record folded but not yet added (see `fold`); none between chunks.
    pending: Option<VeiledRecord>,
    zoom: ZoomAggregate,
    cx: ParseContext,
    buf: Vec<u8>,
    outcomes: Vec<ChunkOutcome>,
}

/// Where a chunk comes from and where its lines go.
#[derive(Clone, Copy)]
pub(super) struct ChunkJob<'f> {
    pub format: &'f dyn LogFormat,
    /// Whether another format may take over inside the chunk (not when the
    /// user named the format or a document's header set it).
    pub redetect: bool,
    pub source: usize,
    pub index: usize,
    /// Byte offset of the chunk in its (decompressed) source.
    pub offset: u64,
}

/// Every lane of a run.
pub(super) struct Lanes<'v> {
    lanes: Vec<Mutex<Lane<'v>>>,
    max_rejects: usize,
    max_line: usize,
    progress: Option<&'v Progress>,
    session_gap: i64,
    calendar: Calendar,
}

/// The state of every lane, ready to be merged table by table: the labels
/// and the Zoom records are merged, the web aggregates are the first
/// lane's and the others' with the renumbering of their labels.
pub(super) struct Merged {
    pub labels: Labels,
    pub web: WebAggregate,
    pub other_web: Vec<(WebAggregate, Renumbering)>,
    pub zoom: ZoomAggregate,
    pub outcomes: Vec<ChunkOutcome>,
    /// The veil's memos, summed over the lanes.
    pub memos: VeilMemoStats,
}

impl<'v> Lanes<'v> {
    /// `count` lanes veiling with `veil`.
    pub fn new(
        veil: &'v Veil,
        count: usize,
        local_zone: chrono_tz::Tz,
        (session_gap, calendar): (i64, Calendar),
        max_rejects: usize,
        max_line: usize,
        progress: Option<&'v Progress>,
    ) -> Self {
        let lanes = (0..count.max(1))
            .map(|_| {
                Mutex::new(Lane {
                    veil: veil.worker(),
                    web: WebAggregate::with_calendar(session_gap, calendar),
                    pending: None,
                    zoom: ZoomAggregate::default(),
                    cx: ParseContext {
                        local: LocalZone::new(local_zone),
                        ..ParseContext::default()
                    },
                    buf: Vec::new(),
                    outcomes: Vec::new(),
                })
            })
            .collect();
        Lanes {
            lanes,
            max_rejects,
            max_line,
            progress,
            session_gap,
            calendar,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Lane<'v>) -> R) -> R {
        let i = rayon::current_thread_index().unwrap_or(0) % self.lanes.len();
        let mut lane = self.lanes[i].lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut lane)
    }

    /// Parses, veils and folds the lines of `data`; returns how many
    /// became records.
    pub fn chunk(&self, job: ChunkJob<'_>, data: &[u8]) -> u64 {
        let (max, progress) = (self.max_rejects, self.progress);
        self.with(|lane| lane.chunk(job, data, max, self.max_line, progress))
    }

    /// Counts one line longer than the limit, skipped unread, as chunk
    /// `index` of `source`: one line, rejected as too long at `offset`.
    pub fn too_long(&self, source: usize, index: usize, offset: u64) {
        let mut stats = LineStats::default();
        let mut rejects = Vec::new();
        stats.lines = 1;
        note_reject(
            &mut stats,
            &mut rejects,
            self.max_rejects,
            (index, offset),
            Reject::TooLong,
        );
        self.with(|lane| {
            lane.outcomes.push(ChunkOutcome {
                source,
                index,
                stats,
                rejects,
                // No format saw it: it belongs to the region around it.
                first_format: None,
                switches: Vec::new(),
            })
        });
    }

    /// Reads `range` of a plain file and folds its lines; a read error is
    /// returned (the chunk's lines are then not counted).
    pub fn read_chunk(
        &self,
        job: ChunkJob<'_>,
        file: &File,
        range: Range<u64>,
    ) -> std::io::Result<()> {
        let (max, progress) = (self.max_rejects, self.progress);
        self.with(|lane| {
            let mut buf = std::mem::take(&mut lane.buf);
            let read = read::read_range(file, range, &mut buf);
            if let Ok(n) = read {
                lane.chunk(job, &buf[..n], max, self.max_line, progress);
            }
            lane.buf = buf;
            read.map(|_| ())
        })
    }

    /// Adds the aggregate of a Zoom document.
    pub fn add_zoom(&self, zoom: ZoomAggregate) {
        self.with(|lane| lane.zoom.merge(zoom));
    }

    /// These (unused) lanes, their web aggregates counting requests per
    /// visitor and row in the groups of the tables `dp` releases, as the
    /// differential-privacy mode needs
    /// ([`WebAggregate::counting_released`]).
    pub fn counting(self, dp: &DpPolicy) -> Self {
        for lane in &self.lanes {
            let mut lane = lane.lock().unwrap_or_else(PoisonError::into_inner);
            let web = std::mem::take(&mut lane.web);
            lane.web = web.counting_released(dp);
        }
        self
    }

    /// Gathers every lane: labels and Zoom records merged, web aggregates
    /// renumbered but left for [`WebAggregate::into_tables`] to merge.
    pub fn merge(self) -> Merged {
        let mut lanes = self
            .lanes
            .into_iter()
            .map(|l| l.into_inner().unwrap_or_else(PoisonError::into_inner));
        // The first lane is taken as it is; only the others are renumbered.
        let Some(first) = lanes.next() else {
            return Merged {
                labels: Labels::default(),
                web: WebAggregate::with_calendar(self.session_gap, self.calendar),
                other_web: Vec::new(),
                zoom: ZoomAggregate::default(),
                outcomes: Vec::new(),
                memos: VeilMemoStats::default(),
            };
        };
        let memos = first.veil.memo_stats();
        let mut merged = Merged {
            memos,
            labels: first.veil.into_labels(),
            web: first.web,
            other_web: Vec::new(),
            zoom: first.zoom,
            outcomes: first.outcomes,
        };
        for lane in lanes {
            merged.memos.add(lane.veil.memo_stats());
            let ids = merged.labels.absorb(lane.veil.labels());
            merged.other_web.push((lane.web, ids));
            merged.zoom.merge(lane.zoom);
            merged.outcomes.extend(lane.outcomes);
        }
        merged
    }
}

impl Lane<'_> {
    fn chunk(
        &mut self,
        job: ChunkJob<'_>,
        data: &[u8],
        max_rejects: usize,
        max_line: usize,
        progress: Option<&Progress>,
    ) -> u64 {
        let mut stats = LineStats::default();
        let zoneless_before = self.cx.zoneless_times;
        let mut rejects = Vec::new();
        let mut readers = Readers::new(job.format);
        let mut watch = Watch::new(job.redetect);
        let mut start = 0usize;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
            let line = line_at(data, (start, end));
            stats.lines += 1;
            let at = (job.index, job.offset + start as u64);
            // A line over the limit that lies whole inside a chunk (the
            // reader skips longer ones unread): rejected the same wherever
            // the chunks fall.
            let window_done = if end - start > max_line {
                note_reject(&mut stats, &mut rejects, max_rejects, at, Reject::TooLong);
                false
            } else {
                match readers.read(line, &mut self.cx) {
                    Read::Skipped(skip) => {
                        stats.skipped[skip.index()] += 1;
                        false
                    }
                    Read::Parsed(raw, second) => {
                        readers.read_by(second, stats.lines, (start, end));
                        self.fold(&raw, &mut stats);
                        watch.parsed()
                    }
                    Read::Rejected(reason) => {
                        note_reject(&mut stats, &mut rejects, max_rejects, at, reason);
                        watch.rejected(Pending {
                            range: (start, end),
                            line: stats.lines,
                            reason,
                        })
                    }
                }
            };
            if window_done && let Some(attempt) = watch.window_end() {
                let took = self.take_over(data, &mut readers, attempt, &mut stats, &mut rejects);
                watch.attempted(took);
            }
            start = end + 1;
        }
        if let Some(attempt) = watch.chunk_end() {
            self.take_over(data, &mut readers, attempt, &mut stats, &mut rejects);
        }
        self.flush();
        stats.zoneless = self.cx.zoneless_times - zoneless_before;
        // Bytes are counted by the readers, in bytes of the file on disk.
        if let Some(p) = progress {
            p.lines.fetch_add(stats.lines, Ordering::Relaxed);
        }
        let mut switches = readers.switches;
        switches.sort_by_key(|s| s.0);
        self.outcomes.push(ChunkOutcome {
            source: job.source,
            index: job.index,
            stats,
            rejects,
            first_format: Some(job.format.name()),
            switches,
        });
        stats.parsed
    }

    /// Asks detection about the rejected lines of an `attempt`; a format
    /// that reads most of them joins the chunk's readers and reads again
    /// every rejected line the attempt kept. Returns whether one joined.
    fn take_over(
        &mut self,
        data: &[u8],
        readers: &mut Readers<'_>,
        attempt: Attempt<'_>,
        stats: &mut LineStats,
        rejects: &mut Vec<ChunkReject>,
    ) -> bool {
        let sample: Vec<&[u8]> = attempt
            .sample
            .iter()
            .map(|p| line_at(data, p.range))
            .collect();
        let read_well = readers.read_well.map(|r| line_at(data, r));
        let Some(next) = detect::reads_rejected(&sample, &readers.in_use(), read_well) else {
            return false;
        };
        let mut first = None;
        for p in attempt.pending {
            let Ok(raw) = next.parse(line_at(data, p.range), &mut self.cx) else {
                continue;
            };
            first.get_or_insert(p.line);
            stats.rejected[p.reason.index()] -= 1;
            self.fold(&raw, stats);
            rejects.retain(|r| r.line_in_chunk != p.line);
        }
        let last = attempt.pending.last().map_or(stats.lines, |p| p.line);
        readers.join(next, first.unwrap_or(last), last, stats.lines);
        true
    }

    /// Veils a parsed record and folds it into the aggregates.
    ///
    /// Each record is added one record late: its visitor's session slot is
    /// prefetched now and read while the next line is parsed and veiled,
    /// which hides a memory stall per line on logs with more visitors than
    /// the cache holds. [`Lane::flush`] adds the last one.
    #[inline]
    fn fold(&mut self, raw: &RawRecord<'_>, stats: &mut LineStats) {
        stats.parsed += 1;
        stats.min_time = stats.min_time.min(raw.time);
        stats.max_time = stats.max_time.max(raw.time);
        let record = self.veil.apply(raw);
        self.web.prefetch(&record);
        if let Some(before) = self.pending.replace(record) {
            self.web.add(before);
        }
    }

    /// Adds the record [`Lane::fold`] still holds.
    fn flush(&mut self) {
        if let Some(record) = self.pending.take() {
            self.web.add(record);
        }
    }
}

/// The formats reading one chunk: the first one, and a second that reads
/// what the first rejects once detection found another layout among the
/// rejected lines (see `formats::detect`). Also notes where each took
/// over, for the manifest's regions.
struct Readers<'f> {
    first: &'f dyn LogFormat,
    second: Option<&'static dyn LogFormat>,
    // Whether the second format read the last parsed line.
    second_reading: bool,
    // The last line the first format read.
    read_well: Option<(usize, usize)>,
    // Line in the chunk (1-based) and the format that read from there on.
    switches: Vec<(u64, &'static str)>,
}

/// How a line was read.
enum Read<'a> {
    Skipped(Skip),
    /// Parsed, by the second format when `true`.
    Parsed(RawRecord<'a>, bool),
    Rejected(Reject),
}

impl<'f> Readers<'f> {
    fn new(first: &'f dyn LogFormat) -> Self {
        Readers {
            first,
            second: None,
            second_reading: false,
            read_well: None,
            switches: Vec::new(),
        }
    }

    #[inline]
    fn read<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Read<'a> {
        if let Some(skip) = self.first.skip(line) {
            return Read::Skipped(skip);
        }
        let reason = match self.first.parse(line, cx) {
            Ok(raw) => return Read::Parsed(raw, false),
            Err(reason) => reason,
        };
        let Some(second) = self.second else {
            return Read::Rejected(reason);
        };
        if let Some(skip) = second.skip(line) {
            return Read::Skipped(skip);
        }
        match second.parse(line, cx) {
            Ok(raw) => Read::Parsed(raw, true),
            Err(_) => Read::Rejected(reason),
        }
    }

    /// Notes which format read `line`, found at `range` of the chunk.
    #[inline]
    fn read_by(&mut self, second: bool, line: u64, range: (usize, usize)) {
        if !second {
            self.read_well = Some(range);
        }
        if second != self.second_reading {
            self.second_reading = second;
            let format = match (second, self.second) {
                (true, Some(f)) => f.name(),
                _ => self.first.name(),
            };
            self.switches.push((line, format));
        }
    }

    fn in_use(&self) -> Vec<&dyn LogFormat> {
        std::iter::once(self.first)
            .chain(self.second.map(|f| f as &dyn LogFormat))
            .collect()
    }

    /// `next` joins: it replaces a first format that reads nothing, else
    /// becomes the second. It read lines `from` to `last` again; the lines
    /// after those, up to `now`, were read before it joined.
    fn join(&mut self, next: &'static dyn LogFormat, from: u64, last: u64, now: u64) {
        self.switches.push((from, next.name()));
        if self.first.name() == detect::NO_FORMAT.name() {
            self.first = next;
            self.second_reading = false;
            return;
        }
        self.second = Some(next);
        self.second_reading = true;
        if last < now {
            self.second_reading = false;
            self.switches.push((last + 1, self.first.name()));
        }
    }
}

/// The line in `range` of a chunk, without a CR before its LF.
#[inline]
fn line_at(data: &[u8], (start, end): (usize, usize)) -> &[u8] {
    let raw = &data[start..end];
    raw.strip_suffix(b"\r").unwrap_or(raw)
}

/// Counts the current line of a chunk (its last counted) as rejected and
/// keeps its location while fewer than `max` are kept; `at` is the
/// chunk's index and the line's offset.
fn note_reject(
    stats: &mut LineStats,
    rejects: &mut Vec<ChunkReject>,
    max: usize,
    (chunk, offset): (usize, u64),
    reason: Reject,
) {
    stats.rejected[reason.index()] += 1;
    if rejects.len() < max {
        rejects.push(ChunkReject {
            chunk,
            line_in_chunk: stats.lines,
            offset,
            reason,
        });
    }
}
