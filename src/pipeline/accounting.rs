//! Line accounting: every line of an input is parsed, rejected with a
//! reason or skipped with a reason, and the manifest's counts add up.
//!
//! Chunks are read in any order on any thread, so a chunk counts its own
//! lines and keeps its rejects' positions within itself; once all chunks
//! of an input are in, the prefix sum of their line counts places each
//! reject on its line of the file. The trade-off: a reject's line number
//! is known only at the end of the run, which is when the manifest needs it.

use super::lanes::ChunkOutcome;
use crate::formats::{Reject, Skip, json_lines};
use crate::output::manifest::{InputReport, Location};
use crate::time;

/// Line counts of a chunk, source or run.
#[derive(Debug, Clone, Copy)]
pub(super) struct LineStats {
    pub(super) lines: u64,
    pub(super) parsed: u64,
    // Parsed records whose time carried no zone (read as UTC).
    pub(super) zoneless: u64,
    pub(super) skipped: [u64; Skip::ALL.len()],
    pub(super) rejected: [u64; Reject::ALL.len()],
    pub(super) min_time: i64,
    pub(super) max_time: i64,
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
    pub(super) fn merge(&mut self, o: &LineStats) {
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
pub(super) struct ChunkReject {
    pub(super) chunk: usize,
    pub(super) line_in_chunk: u64,
    pub(super) offset: u64,
    pub(super) reason: Reject,
}

/// Fills the counts, event times and reject locations of a report. Line
/// numbers of rejects are resolved from the chunks' line counts: a reject's
/// line is the lines of all earlier chunks plus its line in its chunk.
pub(super) fn finish_report(
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
pub(super) fn fill_line_counts(
    inputs: &mut [InputReport],
    outcomes: &mut [ChunkOutcome],
    max: usize,
) {
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
