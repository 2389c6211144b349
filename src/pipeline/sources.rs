//! Reading one source: open it, detect its format, and hand its chunks to
//! the lanes. Plain files are read as parallel newline-aligned ranges;
//! compressed files are decompressed by their own task, which dispatches
//! each chunk to whichever thread is free. Documents that carry their own
//! layout (W3C logs, Zoom data) are read by their document readers.
//!
//! Progress counts bytes of the files on disk: a plain file's ranges as
//! they are read, a stream's file bytes its decoder consumed (synced at
//! each chunk, so at most a chunk late). Each source settles at its end
//! to exactly its share of the total, whatever its reading skipped (a
//! too-long line, an error), so the run's bar ends at its total.

use std::fs::File;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use super::lanes::{ChunkJob, Lanes};
use super::zoom;
use super::{Progress, RunConfig};
use crate::formats::json_lines::csv;
use crate::formats::{self, LogFormat, detect, w3c};
use crate::input::read::{self, Consumed, Limits, Opened, OwnedChunk, Piece, StreamChunks};
use crate::input::{Compression, Source};
use crate::output::manifest::{DetectionReport, InputReport, ReadSpan};
use crate::privacy::zoom::ZoomVeil;

/// Bytes of a plain file sampled for format detection.
const DETECT_BYTES: usize = 256 << 10;

/// What every source task of a run shares.
pub(super) struct Shared<'r, 'v> {
    pub(super) cfg: &'r RunConfig,
    pub(super) forced: Option<&'r dyn LogFormat>,
    pub(super) zveil: &'r ZoomVeil,
    pub(super) lanes: &'r Lanes<'v>,
    // Decompressed chunks handed to other threads and not yet folded; past
    // the limit the decompressing thread folds its chunks itself, which
    // bounds memory without blocking anyone.
    pub(super) in_flight: AtomicUsize,
    pub(super) max_in_flight: usize,
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

/// Chooses the format of one source, from the named format or its first
/// bytes, and records how in `report`. When nothing fits, the source is
/// read with [`detect::NO_FORMAT`]: every line is counted, and a region
/// further on that some format reads is still found.
fn choose_format<'f>(
    forced: Option<&'f dyn LogFormat>,
    head: &[u8],
    complete: bool,
    report: &mut InputReport,
) -> &'f dyn LogFormat {
    if let Some(f) = forced {
        report.detection = Some(DetectionReport {
            forced: true,
            sampled: 0,
            parsed: 0,
            parse_rate: 1.0,
            best_candidate: Some(f.name()),
        });
        report.format = Some(f.name());
        return f;
    }
    let d = detect::detect(head, complete);
    report.detection = Some(DetectionReport {
        forced: false,
        sampled: d.sampled,
        parsed: d.parsed,
        parse_rate: d.parse_rate(),
        best_candidate: d.best.map(|f| f.name()),
    });
    report.format = d.format.map(|f| f.name());
    d.format.unwrap_or(&detect::NO_FORMAT)
}

/// Where one source's reading starts and how it ends: the bytes (and
/// lines) an earlier run read are passed over, and with `whole_lines` a
/// last line without newline is left for the next run.
#[derive(Debug, Clone, Copy)]
struct Resume {
    skip: u64,
    whole_lines: bool,
}

impl Resume {
    /// `chunk` without its part before the resume point. Chunks end on
    /// line boundaries and the resume point is one, so what is left
    /// starts with a whole line.
    fn trim(self, mut chunk: OwnedChunk) -> OwnedChunk {
        if chunk.too_long.as_ref().is_some_and(|l| l.start < self.skip) {
            chunk.too_long = None;
        }
        if chunk.offset < self.skip {
            let cut = usize::try_from(self.skip - chunk.offset)
                .unwrap_or(usize::MAX)
                .min(chunk.data.len());
            chunk.data.drain(..cut);
            chunk.offset += cut as u64;
        }
        chunk
    }
}

/// Bytes of `source` on disk that a run reads: a plain file from where
/// an earlier run stopped, a compressed one whole (its resume point is in
/// the decompressed stream, reached only by decompressing from the start).
pub(super) fn bytes_to_read(source: &Source) -> u64 {
    match source.compression {
        Compression::None => source.size.saturating_sub(source.skip_bytes),
        _ => source.size,
    }
}

/// One source's part of the run's progress.
struct Tally<'p> {
    progress: Option<&'p Progress>,
    // Bytes of the file before this run's part (a plain file's resume point).
    base: u64,
    planned: u64,
    // Atomic: a plain file's ranges are read on several threads.
    counted: AtomicU64,
}

impl<'p> Tally<'p> {
    fn new(progress: Option<&'p Progress>, source: &Source) -> Self {
        let planned = bytes_to_read(source);
        Tally {
            progress,
            base: source.size - planned,
            planned,
            counted: AtomicU64::new(0),
        }
    }

    /// Counts `n` more bytes read.
    fn add(&self, n: u64) {
        if let Some(p) = self.progress {
            self.counted.fetch_add(n, Ordering::Relaxed);
            p.bytes_done.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Counts the bytes up to `at`, a position in the file on disk.
    fn reached(&self, at: u64) {
        let now = at.saturating_sub(self.base);
        let before = self.counted.load(Ordering::Relaxed);
        self.add(now.saturating_sub(before));
    }

    /// Ends the source at exactly its planned share: what reading passed
    /// over (an error, a skipped line) is added, and a file that grew
    /// since it was listed raises the total instead.
    fn settle(self) {
        let Some(p) = self.progress else { return };
        let counted = self.counted.load(Ordering::Relaxed);
        match counted.cmp(&self.planned) {
            std::cmp::Ordering::Less => self.add(self.planned - counted),
            std::cmp::Ordering::Greater => {
                p.bytes_total
                    .fetch_add(counted - self.planned, Ordering::Relaxed);
            }
            std::cmp::Ordering::Equal => {}
        }
    }
}

/// Why a document read whole (a Zoom export) is not read at an offset.
const WHOLE_DOCUMENT_RESUMED: &str = "a document read whole grew since an earlier run read it; \
     it cannot be read from where that run stopped, so it was not read again";

/// Reads one source: its lines go to the lanes; the returned report has
/// everything but the line counts, which come from the chunks' outcomes.
/// Reading starts at the source's `skip_bytes`, and its span says where
/// it stopped.
pub(super) fn process_source<'s>(
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
        span: ReadSpan {
            start_byte: source.skip_bytes,
            start_line: source.skip_lines,
            end_byte: source.skip_bytes,
            end_line: source.skip_lines,
            to_end: false,
        },
        ..InputReport::default()
    };
    let limits = Limits {
        max_line: shared.cfg.max_line_bytes,
    };
    let resume = Resume {
        skip: source.skip_bytes,
        whole_lines: source.whole_lines,
    };
    let progress = shared.cfg.progress.as_deref();
    if let Some(p) = progress {
        p.start_file(&source.path);
    }
    let tally = Tally::new(progress, source);
    match read::open_counted(source, limits) {
        Err(e) => report.error = Some(format!("cannot open: {e}")),
        Ok((Opened::Empty, _)) => {
            choose_format(shared.forced, b"", true, &mut report);
            // Nothing was read with it.
            report.format = None;
            report.span.to_end = resume.skip == 0;
        }
        Ok((Opened::Plain(file, len), _)) => {
            read_plain(shared, index, &file, len, resume, &tally, &mut report);
        }
        Ok((Opened::Stream(reader), consumed)) => {
            let read = StreamRead { reader, consumed };
            read_stream(scope, shared, index, read, resume, &tally, &mut report);
            report.span.end_byte = report.decompressed_bytes.max(resume.skip);
            // Whether a stream held a last line back is not known here:
            // said conservatively, so only the ledger's fast path is lost.
            report.span.to_end = report.error.is_none() && !resume.whole_lines;
        }
    }
    tally.settle();
    report
}

/// A plain file: detected from its head, then read in parallel ranges.
fn read_plain(
    shared: &Shared<'_, '_>,
    index: usize,
    file: &File,
    len: u64,
    resume: Resume,
    tally: &Tally<'_>,
    report: &mut InputReport,
) {
    report.decompressed_bytes = len;
    if resume.skip > len {
        report.error = Some(format!(
            "the file has {len} bytes, fewer than the {} an earlier run read; not read",
            resume.skip
        ));
        return;
    }
    let head = match read::read_head(file, DETECT_BYTES) {
        Ok(h) => h,
        Err(e) => {
            report.error = Some(format!("read failed at the start ({e})"));
            return;
        }
    };
    let mut csv_layout = None;
    let cfg = shared.cfg;
    match detect::whole_document(&head, shared.forced.is_some()) {
        // Read, not mapped: a Zoom export truncated while mapped would kill
        // the process with SIGBUS; read, it is a short read.
        Some(detect::Whole::Zoom(_)) if resume.skip > 0 => {
            report.error = Some(WHOLE_DOCUMENT_RESUMED.to_string());
            return;
        }
        Some(detect::Whole::Zoom(reader)) => {
            let end = read_zoom_file(shared, index, reader, file, len, report);
            report.span.end_byte = end;
            report.span.to_end = end == len;
            if end < len && report.error.is_none() {
                report.error = Some(format!(
                    "the file shrank while being read (ended at byte {end}); the part read was kept"
                ));
            }
            return;
        }
        // Streamed, not mapped: a file truncated while read (copytruncate
        // rotation) ends early instead of killing the process.
        Some(detect::Whole::W3c) => {
            let chunks = StreamChunks::new(file, cfg.chunk_bytes)
                .max_line(cfg.max_line_bytes)
                .whole_lines(resume.whole_lines)
                // A plain file's stream offsets are its bytes on disk.
                .inspect(|c| c.iter().for_each(|c| tally.reached(c.end)));
            read_w3c(shared, index, chunks, resume, report);
            report.span.end_byte = report.decompressed_bytes.max(resume.skip);
            report.span.to_end = report.error.is_none() && report.decompressed_bytes == len;
            return;
        }
        Some(detect::Whole::Csv) => csv_layout = csv::CsvLayout::of(&head),
        None => {}
    }
    // A CSV log's header line makes the line format of all its rows.
    let (format, redetect): (&dyn LogFormat, bool) = match &csv_layout {
        Some(layout) => {
            report.format = Some(csv::NAME);
            (layout, false)
        }
        None => (
            choose_format(shared.forced, &head, head.len() as u64 >= len, report),
            shared.forced.is_none(),
        ),
    };
    let end = if resume.whole_lines {
        match read::whole_lines_end(file, resume.skip, len) {
            Ok(end) => end,
            Err(e) => {
                report.error = Some(format!("read failed near the end ({e})"));
                return;
            }
        }
    } else {
        len
    };
    let pieces =
        match read::plan_chunks_from(file, resume.skip, end, cfg.chunk_bytes, cfg.max_line_bytes) {
            Ok(p) => p,
            Err(e) => {
                report.error = Some(format!("read failed while splitting the file ({e})"));
                return;
            }
        };
    // One job per chunk: rayon would otherwise hand a thread a run of
    // chunks as one job, and near the end the other thread, with nothing
    // left to steal, idled for up to that run's length.
    let failed = pieces
        .into_par_iter()
        .with_max_len(1)
        .enumerate()
        .filter_map(|(i, piece)| {
            let range = match piece {
                Piece::Lines(range) => range,
                Piece::TooLong(line) => {
                    tally.add(line.end - line.start);
                    shared.lanes.too_long(index, i, line.start);
                    return None;
                }
            };
            tally.add(range.end - range.start);
            let job = ChunkJob {
                format,
                redetect,
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
    report.span.end_byte = end;
    report.span.to_end = report.error.is_none() && end == len;
}

/// An opened stream and the count of the file bytes it consumed.
struct StreamRead {
    reader: Box<dyn std::io::Read + Send>,
    consumed: Consumed,
}

/// A compressed or unwrapped file: decompressed on this thread, its
/// chunks folded on whichever threads are free. Lines too long to hold
/// are counted as chunks of their own, in file order.
fn read_stream<'s>(
    scope: &rayon::Scope<'s>,
    shared: &'s Shared<'s, '_>,
    index: usize,
    read: StreamRead,
    resume: Resume,
    tally: &Tally<'_>,
    report: &mut InputReport,
) {
    let cfg = shared.cfg;
    let consumed = read.consumed;
    let mut chunks = StreamChunks::new(read.reader, cfg.chunk_bytes)
        .max_line(cfg.max_line_bytes)
        .whole_lines(resume.whole_lines)
        .inspect(|_| tally.reached(consumed.get()))
        .peekable();
    let mut format = None;
    let mut next_index = 0;
    // Too-long lines met before any line to detect the format from.
    let mut early_long: Vec<u64> = Vec::new();
    let too_long = |at: u64, next_index: &mut usize| {
        shared.lanes.too_long(index, *next_index, at);
        *next_index += 1;
    };
    while let Some(item) = chunks.next() {
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
            None if chunk.data.is_empty() => {
                report.decompressed_bytes = chunk.end;
                early_long.extend(
                    chunk
                        .too_long
                        .map(|r| r.start)
                        .filter(|&s| s >= resume.skip),
                );
                continue;
            }
            None => {
                match detect::whole_document(&chunk.data, shared.forced.is_some()) {
                    Some(detect::Whole::Zoom(_)) if resume.skip > 0 => {
                        report.error = Some(WHOLE_DOCUMENT_RESUMED.to_string());
                        return;
                    }
                    Some(detect::Whole::Zoom(reader)) => {
                        let all = gather(chunk, early_long.len(), chunks.by_ref(), report);
                        return read_zoom(shared, index, reader, &all, report);
                    }
                    // Compressed CSV (Logpush delivers gzip batches of a
                    // few MB) is read whole: its rows need its header.
                    Some(detect::Whole::Csv) => {
                        let all = gather(chunk, early_long.len(), chunks.by_ref(), report);
                        return read_csv_whole(shared, index, &all, resume.skip, report);
                    }
                    Some(detect::Whole::W3c) => {
                        return read_w3c(
                            shared,
                            index,
                            std::iter::once(Ok(chunk)).chain(chunks),
                            resume,
                            report,
                        );
                    }
                    None => {}
                }
                let complete = chunks.peek().is_none_or(Result::is_err);
                let f = choose_format(shared.forced, &chunk.data, complete, report);
                for at in early_long.drain(..) {
                    too_long(at, &mut next_index);
                }
                *format.insert(f)
            }
        };
        report.decompressed_bytes = chunk.end;
        // Detected from the head, read from where the last run stopped.
        let chunk = resume.trim(chunk);
        if !chunk.data.is_empty() {
            let job = ChunkJob {
                format,
                redetect: shared.forced.is_none(),
                source: index,
                index: next_index,
                offset: chunk.offset,
            };
            next_index += 1;
            shared.dispatch(scope, job, chunk.data);
        }
        if let Some(line) = chunk.too_long {
            too_long(line.start, &mut next_index);
        }
    }
    // Nothing but too-long lines: no format, every line still counted.
    if format.is_none() && !early_long.is_empty() {
        choose_format(shared.forced, b"", true, report);
        report.format = None;
        for at in early_long {
            too_long(at, &mut next_index);
        }
    }
}

/// How to read the Zoom document of input `index`: its rows sort among
/// the run's by input, then by part of the input.
fn zoom_job<'a>(shared: &'a Shared<'_, '_>, index: usize) -> zoom::Job<'a> {
    zoom::Job {
        options: &shared.cfg.zoom,
        veil: shared.zveil,
        max_locations: shared.cfg.max_reject_locations,
        place: (index as u64) << 32,
        part_bytes: shared.cfg.chunk_bytes,
        one_pass_bytes: zoom::ONE_PASS_BYTES,
    }
}

/// Reads Zoom data held in memory (a decompressed stream).
fn read_zoom(
    shared: &Shared<'_, '_>,
    index: usize,
    reader: &'static dyn formats::zoom::ZoomReader,
    data: &[u8],
    report: &mut InputReport,
) {
    report.format = Some(reader.name());
    let zoom = zoom::read_document(data, reader, zoom_job(shared, index), report);
    shared.lanes.add_zoom(zoom);
}

/// Reads a plain Zoom file: CSV exports streamed in two passes and in
/// parallel parts, other documents read whole. Returns the bytes read.
fn read_zoom_file(
    shared: &Shared<'_, '_>,
    index: usize,
    reader: &'static dyn formats::zoom::ZoomReader,
    file: &File,
    len: u64,
    report: &mut InputReport,
) -> u64 {
    if !reader.splittable() {
        return match read::read_document(file, len) {
            Ok(data) => {
                read_zoom(shared, index, reader, &data, report);
                data.len() as u64
            }
            Err(e) => {
                report.error = Some(format!("not read: {e}"));
                0
            }
        };
    }
    report.format = Some(reader.name());
    let job = zoom_job(shared, index);
    let (zoom, end, error) = zoom::read_parts(zoom::Bytes::File(file, len), job, report);
    if let Some(e) = error {
        report.error = Some(format!("not read: {e}"));
    }
    shared.lanes.add_zoom(zoom);
    end
}

/// Appends the rest of a stream to its first chunk, for documents that are
/// read whole, up to [`read::MAX_DOCUMENT_BYTES`]; a read error or the
/// limit is recorded and keeps what came before it. `dropped` lines too
/// long to hold came before the first chunk.
fn gather(
    first: OwnedChunk,
    mut dropped: usize,
    rest: impl Iterator<Item = std::io::Result<OwnedChunk>>,
    report: &mut InputReport,
) -> Vec<u8> {
    dropped += usize::from(first.too_long.is_some());
    report.decompressed_bytes = first.end;
    let mut all = first.data;
    for chunk in rest {
        match chunk {
            Ok(c) if (all.len() + c.data.len()) as u64 > read::MAX_DOCUMENT_BYTES => {
                report.error = Some(format!(
                    "the document passed {} decompressed bytes, the most read whole; the part before was kept",
                    read::MAX_DOCUMENT_BYTES
                ));
                break;
            }
            Ok(c) => {
                all.extend_from_slice(&c.data);
                dropped += usize::from(c.too_long.is_some());
                report.decompressed_bytes = c.end;
            }
            Err(e) => {
                report.error = Some(format!(
                    "read failed after {} decompressed bytes ({e})",
                    report.decompressed_bytes
                ));
                break;
            }
        }
    }
    if dropped > 0 && report.error.is_none() {
        report.error = Some(format!(
            "{dropped} lines longer than the maximum line length were left out of the document"
        ));
    }
    all
}

/// A CSV log held whole: its header line names the columns of every row,
/// which are parsed in parallel chunks.
/// Rows before byte `skip` were read by an earlier run: the header still
/// names the columns, but only the rows after it are read.
fn read_csv_whole(
    shared: &Shared<'_, '_>,
    index: usize,
    data: &[u8],
    skip: u64,
    report: &mut InputReport,
) {
    report.format = Some(csv::NAME);
    let Some(layout) = csv::CsvLayout::of(data) else {
        report.error = Some("CSV log without a usable header line".to_string());
        return;
    };
    let skip = usize::try_from(skip).unwrap_or(usize::MAX).min(data.len());
    read::chunk_ranges(&data[skip..], shared.cfg.chunk_bytes)
        .into_par_iter()
        .with_max_len(1)
        .enumerate()
        .for_each(|(i, r)| {
            let job = ChunkJob {
                format: &layout,
                redetect: false,
                source: index,
                index: i,
                offset: (skip + r.start) as u64,
            };
            shared.lanes.chunk(job, &data[skip + r.start..skip + r.end]);
        });
}

/// Why a W3C log was not read.
const NO_W3C_HEADER: &str =
    "W3C log without a usable #Fields: header (it needs a time and c-ip); the file was not read";

/// How many chunks of a W3C log are read before their pieces are parsed
/// in parallel, per thread: memory stays at a few chunks a thread.
const W3C_CHUNKS_PER_THREAD: usize = 2;

/// A W3C extended log, read in order as a stream of chunks: each
/// `#Fields:` header governs the lines after it, and lines before the
/// first usable one use it (they wait for it, up to a batch of chunks).
/// A read error, or a file that shrank, ends the input with the lines
/// before it kept.
fn read_w3c(
    shared: &Shared<'_, '_>,
    index: usize,
    chunks: impl Iterator<Item = std::io::Result<read::OwnedChunk>>,
    resume: Resume,
    report: &mut InputReport,
) {
    report.format = Some(formats::W3C_NAME);
    report.decompressed_bytes = 0;
    let batch = rayon::current_num_threads().max(1) * W3C_CHUNKS_PER_THREAD;
    let mut layout = w3c::Layout::default();
    // Lines before the first usable header, with their chunk numbers.
    let mut waiting: Vec<(usize, u64, Vec<u8>)> = Vec::new();
    let mut next_index = 0;
    let mut chunks = chunks.peekable();
    while chunks.peek().is_some() {
        let mut owned = Vec::with_capacity(batch);
        for item in chunks.by_ref().take(batch) {
            match item {
                Ok(c) => {
                    report.decompressed_bytes = c.end;
                    owned.push(c);
                }
                Err(e) => {
                    report.error = Some(format!(
                        "read failed after {} bytes ({e}); the lines before it were kept",
                        report.decompressed_bytes
                    ));
                    break;
                }
            }
        }
        let mut jobs: Vec<(usize, u64, &[u8], w3c::W3cFields)> = Vec::new();
        for chunk in &owned {
            // Every directive is read, those an earlier run read too, so
            // the lines after the resume point take the header in force.
            for piece in layout.split(&chunk.data) {
                let mut range = piece.range;
                let skip = resume.skip.saturating_sub(chunk.offset);
                range.start = range.start.max(usize::try_from(skip).unwrap_or(usize::MAX));
                if range.start >= range.end {
                    continue;
                }
                let offset = chunk.offset + range.start as u64;
                let data = &chunk.data[range];
                match piece.fields {
                    Some(f) => jobs.push((next_index, offset, data, f)),
                    None => waiting.push((next_index, offset, data.to_vec())),
                }
                next_index += 1;
            }
            // A line too long to hold, skipped unread after this chunk.
            if let Some(line) = chunk.too_long.as_ref().filter(|l| l.start >= resume.skip) {
                shared.lanes.too_long(index, next_index, line.start);
                next_index += 1;
            }
        }
        let failed = report.error.is_some();
        // Lines before the first usable header take that header's columns:
        // the first piece with columns (later headers of the same batch
        // must not decide, or the result would depend on the chunk size).
        let first = jobs
            .first()
            .map(|j| j.3.clone())
            .or_else(|| layout.fields().cloned());
        match first {
            Some(first) => {
                let early = std::mem::take(&mut waiting);
                let early = early
                    .iter()
                    .map(|(i, o, d)| (*i, *o, &d[..], first.clone()));
                let all: Vec<_> = early.chain(jobs).collect();
                parse_w3c_pieces(shared, index, &all, report);
            }
            None if chunks.peek().is_none() || failed || waiting.len() > batch * 4 => {
                report.error = Some(NO_W3C_HEADER.to_string());
                return;
            }
            None => {}
        }
        if failed {
            return;
        }
    }
    if layout.fields().is_none() {
        report.error = Some(NO_W3C_HEADER.to_string());
    }
}

/// Parses pieces of a W3C log in parallel and says in the report how the
/// input was read (only pieces that gave records count).
fn parse_w3c_pieces(
    shared: &Shared<'_, '_>,
    index: usize,
    pieces: &[(usize, u64, &[u8], w3c::W3cFields)],
    report: &mut InputReport,
) {
    let parsed: Vec<u64> = pieces
        .par_iter()
        .with_max_len(1)
        .map(|(i, offset, data, format)| {
            let job = ChunkJob {
                format,
                // The `#Fields:` headers set the layout.
                redetect: false,
                source: index,
                index: *i,
                offset: *offset,
            };
            shared.lanes.chunk(job, data)
        })
        .collect();
    for ((_, _, _, format), n) in pieces.iter().zip(parsed) {
        if n == 0 {
            continue;
        }
        if format.dialect() != w3c::Dialect::Standard {
            report.dialect = Some(format.dialect().name());
        }
        if format.local_time() && !report.notes.contains(&w3c::LOCAL_TIME_NOTE) {
            report.notes.push(w3c::LOCAL_TIME_NOTE);
        }
    }
}

/// Reads `sources` as a run would, on `threads` threads, and returns their
/// reports with line counts: for tests of reading (resumed reads, line
/// numbers) that need no tables.
#[cfg(test)]
pub(crate) fn read_sources(
    cfg: &RunConfig,
    sources: &[Source],
    threads: usize,
) -> Vec<InputReport> {
    use std::sync::{Arc, Mutex};

    use crate::privacy::Veil;
    use crate::privacy::key::{Key, KeyMode};

    let key = Arc::new(Key::generate(KeyMode::Ephemeral).expect("a key"));
    let veil = Veil::new(key.clone(), cfg.veil.clone());
    let policy = &cfg.veil.policy;
    let zveil = ZoomVeil::new(key, policy.keys.epoch, veil.generalize(), &policy.zoom);
    let lanes = Lanes::new(
        &veil,
        threads,
        cfg.local_zone,
        (cfg.session_gap(), cfg.calendar),
        cfg.max_reject_locations,
        cfg.max_line_bytes,
        None,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a pool");
    let slots: Vec<Mutex<InputReport>> = sources.iter().map(|_| Mutex::default()).collect();
    pool.install(|| {
        let shared = Shared {
            cfg,
            forced: None,
            zveil: &zveil,
            lanes: &lanes,
            in_flight: AtomicUsize::new(0),
            max_in_flight: 2 * threads,
        };
        rayon::scope(|scope| {
            for (i, (source, slot)) in sources.iter().zip(&slots).enumerate() {
                let shared = &shared;
                scope.spawn(move |scope| {
                    let report = process_source(scope, shared, i, source, format!("input{i}"));
                    *slot.lock().expect("not poisoned") = report;
                });
            }
        });
    });
    let mut outcomes = lanes.merge().outcomes;
    let mut inputs: Vec<InputReport> = slots
        .into_iter()
        .map(|m| m.into_inner().expect("not poisoned"))
        .collect();
    super::accounting::fill_line_counts(&mut inputs, &mut outcomes, cfg.max_reject_locations);
    inputs
}

#[cfg(test)]
mod tests;
