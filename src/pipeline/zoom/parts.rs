//! The readings of a CSV document, streamed from a file or a slice, a
//! block at a time ([`stream`]): [`one_pass`] veils and folds each record
//! as it comes, for documents whose rows carry their own anchor and host;
//! otherwise [`plan`] reads it once sequentially, keeping only the survey
//! and, every few megabytes, a record boundary with the reader's state
//! there, and [`read_parts`] reads those parts again on whichever threads
//! are free and merges their folds in document order.
//!
//! Trade-offs: one pass keeps a document on one thread, which a folder of
//! exports makes up for, so only documents up to [`super::ONE_PASS_BYTES`]
//! try it. The first of two passes is sequential (a boundary found by the
//! reader itself is exact, even inside quoted newlines, where a guessed one
//! is not), so a single large export spends that pass on one thread.

use std::cell::RefCell;
use std::fs::File;
use std::io;

use rayon::prelude::*;

use super::{BOM, Context, Fold, Job, PartOut, Survey, finish};
use crate::aggregate::zoom::ZoomAggregate;
use crate::formats::Reject;
use crate::formats::zoom::ZoomOptions;
use crate::formats::zoom::csv::{PlainLine, Record, records_from};
use crate::formats::zoom::csv_export::CsvState;
use crate::input::read;
use crate::output::manifest::InputReport;

/// Where a run reads a document from: a plain file (by positional reads,
/// so a file truncated meanwhile gives a short read, not a fault) or bytes
/// already in memory (a decompressed stream).
#[derive(Debug, Clone, Copy)]
pub(in crate::pipeline) enum Bytes<'a> {
    /// A file of the given length.
    File(&'a File, u64),
    /// Bytes in memory.
    Mem(&'a [u8]),
}

impl Bytes<'_> {
    fn len(&self) -> u64 {
        match self {
            Bytes::File(_, len) => *len,
            Bytes::Mem(d) => d.len() as u64,
        }
    }

    /// Appends bytes `start..end` to `buf` (fewer if the file ends first)
    /// and returns how many.
    fn append(&self, start: u64, end: u64, buf: &mut Vec<u8>) -> io::Result<usize> {
        let want = usize::try_from(end.saturating_sub(start))
            .map_err(|_| io::Error::other("range too large"))?;
        match self {
            Bytes::Mem(d) => {
                let piece = slice(d, start, end);
                buf.extend_from_slice(piece);
                Ok(piece.len())
            }
            Bytes::File(f, _) => read::append_span(f, start, want, buf),
        }
    }

    /// Calls `f` with bytes `start..end` (fewer if the file ends first):
    /// a slice of the bytes in memory, or read from the file into this
    /// thread's part buffer, which is reused from part to part.
    fn with_range<R>(&self, start: u64, end: u64, f: impl FnOnce(&[u8]) -> R) -> io::Result<R> {
        if let Bytes::Mem(d) = self {
            return Ok(f(slice(d, start, end)));
        }
        thread_local! {
            static PART: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        PART.with(|cell| {
            // A part read while another is held on this thread (it never
            // is: a fold does not wait on other work) gets its own buffer.
            let mut own = Vec::new();
            let mut held = cell.try_borrow_mut();
            let buf = held.as_deref_mut().unwrap_or(&mut own);
            buf.clear();
            self.append(start, end, buf)?;
            Ok(f(buf))
        })
    }
}

/// Bytes `start..end` of `data`, or fewer if it ends first.
fn slice(data: &[u8], start: u64, end: u64) -> &[u8] {
    let at = |offset: u64| {
        usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len())
    };
    let s = at(start);
    &data[s..at(end).max(s)]
}

/// A part of a CSV document for the second pass: bytes `start..end`,
/// starting on line `line` with the reader in `state`.
#[derive(Debug, Clone)]
pub(super) struct Part {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) line: u64,
    pub(super) state: CsvState,
}

/// Bytes the first pass reads at a time.
#[cfg(not(test))]
const BLOCK_BYTES: u64 = 8 << 20;
/// Tiny under test, so records cut by a block's end are met.
#[cfg(test)]
const BLOCK_BYTES: u64 = 7;

/// What a streamed reading of a CSV document does with its records.
trait Consume {
    /// Whether a record that is one line without a quote can be passed
    /// over without being split.
    fn passes_over(&self, line: &PlainLine<'_>) -> bool;
    /// A record, which starts at byte `start` of the document; false stops
    /// the reading.
    fn record(&mut self, record: &Record<'_>, start: u64) -> bool;
    /// After each record, read or passed over: the next one starts at byte
    /// `at` of the document, on line `line`; `last` when none follows.
    fn after(&mut self, at: u64, line: u64, last: bool);
}

/// Streams the records of a CSV document into `consume`, `block_bytes` at
/// a time; a record cut by a block's end is read again with the next
/// block. Returns the bytes read: fewer than the length when a file shrank
/// meanwhile or `consume` stopped the reading.
fn stream(bytes: Bytes<'_>, block_bytes: u64, consume: &mut impl Consume) -> io::Result<u64> {
    let len = bytes.len();
    // The unread tail of the last block, and its place in the document.
    let mut buf: Vec<u8> = Vec::new();
    let mut buf_start = 0u64;
    let mut read_to = 0u64;
    let mut line = 1u64;
    loop {
        // A record longer than a block grows the read, so it is re-read
        // a bounded number of times.
        let want = block_bytes.max(buf.len() as u64).max(1);
        let got = bytes.append(read_to, read_to.saturating_add(want).min(len), &mut buf)? as u64;
        let eof = got < want || read_to + got >= len;
        read_to += got;
        let skip = if buf_start == 0 && buf.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let data = &buf[skip..];
        let mut recs = records_from(data, line);
        let mut done = 0usize;
        let mut record = Record::default();
        loop {
            let (before, from) = (recs.line(), recs.offset());
            let plain = recs.plain_line().filter(|l| consume.passes_over(l));
            let next = match plain {
                Some(l) => l.next,
                None if recs.next_into(&mut record) => recs.offset(),
                None => break,
            };
            // A record that reaches the end of the data may go on in the
            // next block (a `\r` there may be half a `\r\n`).
            if next >= data.len() && !eof {
                line = before;
                break;
            }
            match plain {
                Some(l) => recs.pass(l),
                None => {
                    // The first line starts with the byte-order mark.
                    let start = match buf_start + from as u64 {
                        0 => 0,
                        at => at + skip as u64,
                    };
                    if !consume.record(&record, start) {
                        return Ok(read_to);
                    }
                }
            }
            done = recs.offset();
            line = recs.line();
            let at = buf_start + (skip + done) as u64;
            consume.after(at, line, eof && done >= data.len());
        }
        if eof {
            return Ok(read_to);
        }
        let consumed = skip + done;
        buf.drain(..consumed);
        buf_start += consumed as u64;
    }
}

/// The first pass: the survey, and the parts cut at record boundaries.
struct Planner<'o> {
    options: &'o ZoomOptions,
    state: CsvState,
    survey: Survey,
    parts: Vec<Part>,
    part: Part,
    part_bytes: u64,
}

impl Consume for Planner<'_> {
    fn passes_over(&self, line: &PlainLine<'_>) -> bool {
        // A repeat the survey would pass over is passed over unsplit.
        self.state.passes_over(line)
    }

    fn record(&mut self, record: &Record<'_>, _: u64) -> bool {
        self.state.survey(record, self.options, &mut self.survey);
        true
    }

    fn after(&mut self, at: u64, line: u64, last: bool) {
        if at - self.part.start >= self.part_bytes && !last {
            let next = Part {
                start: at,
                end: at,
                line,
                state: self.state.clone(),
            };
            let mut full = std::mem::replace(&mut self.part, next);
            full.end = at;
            self.parts.push(full);
        }
    }
}

/// The first pass over a CSV document: the survey, and the parts (of about
/// `part_bytes` each, cut at record boundaries) to read in the second.
/// Returns the bytes read, fewer than the length when a file shrank
/// meanwhile.
pub(super) fn plan(
    bytes: Bytes<'_>,
    options: &ZoomOptions,
    part_bytes: u64,
    block_bytes: u64,
) -> io::Result<(Survey, Vec<Part>, u64)> {
    let state = CsvState::default();
    let mut planner = Planner {
        options,
        part: Part {
            start: 0,
            end: 0,
            line: 1,
            state: state.clone(),
        },
        state,
        survey: Survey::default(),
        parts: Vec::new(),
        part_bytes,
    };
    let end = stream(bytes, block_bytes, &mut planner)?;
    let mut part = planner.part;
    part.end = end;
    planner.parts.push(part);
    Ok((planner.survey, planner.parts, end))
}

/// A one-pass reading: each record veiled and folded as it comes, and the
/// offset of each rejected record's start noted then (the bytes are not
/// held to find it later).
struct OnePass<'a> {
    options: &'a ZoomOptions,
    state: CsvState,
    fold: Fold<'a>,
    read_at: Vec<u64>,
    fold_at: Vec<u64>,
}

impl Consume for OnePass<'_> {
    fn passes_over(&self, _: &PlainLine<'_>) -> bool {
        false
    }

    fn record(&mut self, record: &Record<'_>, start: u64) -> bool {
        self.state.feed(record, self.options, &mut self.fold);
        // Every reject a record gives is on its first line.
        let (read, folded) = (self.fold.read_rejects.len(), self.fold.fold_rejects.len());
        self.read_at.resize(read, start);
        self.fold_at.resize(folded, start);
        !self.fold.needs_survey
    }

    fn after(&mut self, _: u64, _: u64, _: bool) {}
}

/// Reads a CSV document in one streamed pass, without a survey: the
/// result, or `None` once a row needs what only a survey of the whole
/// document tells (its meeting's earliest start or its host).
pub(super) fn one_pass(
    cx: &Context<'_>,
    bytes: Bytes<'_>,
    place: u64,
) -> io::Result<(Option<PartOut>, u64)> {
    let mut reading = OnePass {
        options: cx.options,
        state: CsvState::default(),
        fold: Fold::new(cx, place),
        read_at: Vec::new(),
        fold_at: Vec::new(),
    };
    let end = stream(bytes, BLOCK_BYTES, &mut reading)?;
    let OnePass {
        fold,
        read_at,
        fold_at,
        ..
    } = reading;
    if fold.needs_survey {
        return Ok((None, end));
    }
    let at = |rejects: Vec<(u64, Reject)>, offsets: Vec<u64>| -> Vec<(u64, Reject, u64)> {
        rejects
            .into_iter()
            .zip(offsets)
            .map(|((line, why), offset)| (line, why, offset))
            .collect()
    };
    let out = PartOut {
        agg: fold.agg,
        stats: fold.stats,
        read_rejects: at(fold.read_rejects, read_at),
        fold_rejects: at(fold.fold_rejects, fold_at),
    };
    Ok((Some(out), end))
}

/// The second pass over one part.
fn read_part(cx: &Context<'_>, bytes: Bytes<'_>, part: Part, place: u64) -> io::Result<PartOut> {
    bytes.with_range(part.start, part.end, |data| {
        if (data.len() as u64) < part.end - part.start {
            return Err(io::Error::other(
                "the document changed between its two reads",
            ));
        }
        let skip = if part.start == 0 && data.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let mut fold = Fold::new(cx, place);
        let mut state = part.state;
        let mut records = records_from(&data[skip..], part.line);
        let mut record = Record::default();
        while records.next_into(&mut record) {
            state.feed(&record, cx.options, &mut fold);
        }
        Ok(PartOut::of(fold, data, part.start, part.line))
    })?
}

/// Reads, veils and folds one CSV document in parts on the run's threads,
/// filling the counts of `report`. Returns the fold and the bytes read
/// (fewer than the length if a file shrank), and the first read error,
/// after which later parts are dropped.
pub(in crate::pipeline) fn read_parts(
    bytes: Bytes<'_>,
    job: Job<'_>,
    report: &mut InputReport,
) -> (ZoomAggregate, u64, Option<io::Error>) {
    let Job {
        options,
        veil,
        max_locations,
        place,
        part_bytes,
        one_pass_bytes,
    } = job;
    let source_key = report.id.clone();
    if bytes.len() <= one_pass_bytes {
        let cx = Context {
            options,
            veil,
            survey: None,
            source_key: &source_key,
        };
        match one_pass(&cx, bytes, place) {
            Ok((Some(out), end)) => return (finish(vec![out], report, max_locations), end, None),
            // A row needed the survey: read again, in two passes.
            Ok((None, _)) => {}
            Err(e) => return (ZoomAggregate::default(), 0, Some(e)),
        }
    }
    let (survey, parts, end) = match plan(bytes, options, part_bytes.max(1) as u64, BLOCK_BYTES) {
        Ok(p) => p,
        Err(e) => return (ZoomAggregate::default(), 0, Some(e)),
    };
    let cx = Context {
        options,
        veil,
        survey: Some(&survey),
        source_key: &source_key,
    };
    // One job per part, so both threads stay busy to the end.
    let outs: Vec<io::Result<PartOut>> = parts
        .into_par_iter()
        .with_max_len(1)
        .enumerate()
        .map(|(i, part)| read_part(&cx, bytes, part, place + i as u64))
        .collect();
    let mut error = None;
    let mut kept = Vec::with_capacity(outs.len());
    for o in outs {
        match o {
            Ok(p) if error.is_none() => kept.push(p),
            Ok(_) => {}
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    (finish(kept, report, max_locations), end, error)
}
