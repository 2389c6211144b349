//! Reading one source: open it, detect its format, and hand its chunks to
//! the lanes. Plain files are read as parallel newline-aligned ranges;
//! compressed files are decompressed by their own task, which dispatches
//! each chunk to whichever thread is free. Documents that carry their own
//! layout (W3C logs, Zoom data) are read by their document readers.

use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::RunConfig;
use super::lanes::{ChunkJob, Lanes};
use super::zoom;
use crate::formats::{self, LogFormat, detect, w3c};
use crate::input::Source;
use crate::input::read::{self, Limits, Opened, OwnedChunk, Piece, StreamChunks};
use crate::output::manifest::{DetectionReport, InputReport};
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
        ..InputReport::default()
    };
    let limits = Limits {
        max_line: shared.cfg.max_line_bytes,
    };
    match read::open_with(source, limits) {
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
        match kind {
            // Read, not mapped: a Zoom export truncated while mapped would
            // kill the process with SIGBUS; read, it is a short read.
            detect::Whole::Zoom(_) => match read::read_document(file, len) {
                Ok(data) => {
                    read_whole(shared, index, kind, &data, report);
                    if (data.len() as u64) < len && report.error.is_none() {
                        report.error = Some(format!(
                            "the file shrank while being read (ended at byte {}); the part read was kept",
                            data.len()
                        ));
                    }
                }
                Err(e) => report.error = Some(format!("not read: {e}")),
            },
            detect::Whole::W3c => match read::map(file) {
                Ok(map) => read_whole(shared, index, kind, &map, report),
                Err(e) => report.error = Some(format!("cannot map the file ({e})")),
            },
        }
        return;
    }
    let (format, detection) = choose_format(shared.forced, &head, head.len() as u64 >= len);
    report.detection = Some(detection);
    let Some(format) = format else {
        return no_format(report);
    };
    report.format = Some(format.name());
    let cfg = shared.cfg;
    let pieces = match read::plan_chunks(file, len, cfg.chunk_bytes, cfg.max_line_bytes) {
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
                    shared.lanes.too_long(index, i, line.start);
                    return None;
                }
            };
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

/// A compressed or unwrapped file: decompressed on this thread, its
/// chunks folded on whichever threads are free. Lines too long to hold
/// are counted as chunks of their own, in file order.
fn read_stream<'s>(
    scope: &rayon::Scope<'s>,
    shared: &'s Shared<'s, '_>,
    index: usize,
    reader: Box<dyn std::io::Read + Send>,
    report: &mut InputReport,
) {
    let cfg = shared.cfg;
    let mut chunks = StreamChunks::new(reader, cfg.chunk_bytes)
        .max_line(cfg.max_line_bytes)
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
                early_long.extend(chunk.too_long.map(|r| r.start));
                continue;
            }
            None => {
                if let Some(kind) = detect::whole_document(&chunk.data, shared.forced.is_some()) {
                    let all = gather(chunk, early_long.len(), chunks.by_ref(), report);
                    return read_whole(shared, index, kind, &all, report);
                }
                let complete = chunks.peek().is_none_or(Result::is_err);
                let (f, detection) = choose_format(shared.forced, &chunk.data, complete);
                report.detection = Some(detection);
                let Some(f) = f else {
                    return no_format(report);
                };
                report.format = Some(f.name());
                for at in early_long.drain(..) {
                    too_long(at, &mut next_index);
                }
                *format.insert(f)
            }
        };
        report.decompressed_bytes = chunk.end;
        if !chunk.data.is_empty() {
            let job = ChunkJob {
                format,
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
        report.detection = Some(choose_format(shared.forced, b"", true).1);
        for at in early_long {
            too_long(at, &mut next_index);
        }
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
    }
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
        let segment = &data[s..e];
        let ranges = read::chunk_ranges(segment, shared.cfg.chunk_bytes);
        let count = ranges.len();
        let parsed: u64 = ranges
            .into_par_iter()
            .with_max_len(1)
            .enumerate()
            .map(|(i, r)| {
                let job = ChunkJob {
                    format,
                    source: index,
                    index: chunks + i,
                    offset: (s + r.start) as u64,
                };
                shared.lanes.chunk(job, &segment[r])
            })
            .sum();
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
