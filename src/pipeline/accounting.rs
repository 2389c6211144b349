//! Line accounting: every line of an input is parsed, rejected with a
//! reason or skipped with a reason, and the manifest's counts add up.
//!
//! Chunks are read in any order on any thread, so a chunk counts its own
//! lines and keeps its rejects' positions within itself; once all chunks
//! of an input are in, the prefix sum of their line counts places each
//! reject on its line of the file. The trade-off: a reject's line number
//! is known only at the end of the run, which is when the manifest needs it.

use super::lanes::ChunkOutcome;
use crate::formats::{self, LogFormat, Reject, Skip, detect, json_lines};
use crate::output::manifest::{InputReport, Location, Region};
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
/// line is the lines before the read started (an earlier run read them),
/// the lines of all earlier chunks, and its line in its chunk.
pub(super) fn finish_report(
    report: &mut InputReport,
    s: &LineStats,
    chunk_lines: &[(usize, u64)],
    rejects: &[ChunkReject],
    max_locations: usize,
) {
    report.lines = s.lines;
    report.span.end_line = report.span.start_line + s.lines;
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
    let mut running = report.span.start_line;
    for (i, n) in chunk_lines {
        if let Some(b) = before.get_mut(i) {
            *b = running;
        }
        running += n;
    }
    let mut locations: Vec<Location> = rejects
        .iter()
        .map(|r| Location {
            line: before
                .get(r.chunk)
                .copied()
                .unwrap_or(report.span.start_line)
                + r.line_in_chunk,
            byte_offset: r.offset,
            reason: r.reason.as_str(),
        })
        .collect();
    locations.sort();
    locations.truncate(max_locations);
    report.reject_locations_omitted = report.rejected - locations.len() as u64;
    report.reject_locations = locations;
    judge(report, s.rejected[Reject::NoFormat.index()]);
}

/// Above this share of rejected record lines, an input gets a warning: a
/// real log has the odd broken line, not one in ten.
const HIGH_REJECT_SHARE: f64 = 0.1;

/// Says what the operator should know about an input's counts: that no
/// format fits it (an error: nothing of it was read), or that some of its
/// lines fit none. The share of rejected lines is judged once the run's
/// limit is known ([`reject_share`]).
fn judge(report: &mut InputReport, no_format: u64) {
    if no_format > 0 && report.parsed == 0 {
        let d = report.detection.as_ref();
        report.error = Some(format!(
            "no known format fits: the best candidate ({}) parsed {} of {} sampled lines; \
             its {} lines are counted as rejected (no_format); name its format or give its \
             layout as a format string (known formats: {})",
            d.and_then(|d| d.best_candidate).unwrap_or("none"),
            d.map_or(0, |d| d.parsed),
            d.map_or(0, |d| d.sampled),
            report.lines,
            formats::known_names()
        ));
        return;
    }
    if no_format > 0 {
        report.warnings.push(format!(
            "{no_format} lines fit no known format (see regions)"
        ));
    }
}

/// Warns, in one message, when an input rejected many of its record lines
/// (more than [`HIGH_REJECT_SHARE`], lines no format fits aside: those
/// have their own message) and when it passed `max_rate`, the share a
/// complete run allows. Returns whether it passed `max_rate`.
pub(super) fn reject_share(report: &mut InputReport, max_rate: f64) -> bool {
    let records = report.parsed + report.rejected;
    let no_format = report
        .rejected_by_reason
        .get(Reject::NoFormat.as_str())
        .copied()
        .unwrap_or(0);
    let share = |limit: f64| records > 0 && report.rejected as f64 > limit * records as f64;
    // A file nothing fits has its error instead.
    let many = !(no_format > 0 && report.parsed == 0)
        && report.rejected > no_format
        && share(HIGH_REJECT_SHARE);
    let over = share(max_rate);
    let what = many.then(|| {
        format!(
            "{} of {records} record lines ({:.0}%) were rejected: check that the format ({}) is \
             the log's layout; the reasons and first locations are in the manifest",
            report.rejected,
            report.rejected as f64 * 100.0 / records as f64,
            report.format.unwrap_or("none"),
        )
    });
    let consequence = over.then(|| {
        format!(
            "more than the {:.1}% of its record lines a complete run allows, so the run \
             is partial (exit code 2)",
            max_rate * 100.0
        )
    });
    match (what, consequence) {
        (Some(w), Some(c)) => report.warnings.push(format!("{w}; that is {c}")),
        (Some(w), None) => report.warnings.push(w),
        (None, Some(c)) => report.warnings.push(format!("rejected lines are {c}")),
        (None, None) => {}
    }
    over
}

/// The runs of lines each format read, from the chunks of one input in
/// file order, the first read after `start_line` lines; empty when one
/// format read every line.
fn regions(chunks: &[ChunkOutcome], start_line: u64) -> Vec<Region> {
    let mut starts: Vec<(u64, &'static str)> = Vec::new();
    let mut before = start_line;
    for o in chunks {
        let first = o.first_format.map(|f| (1, f));
        let bounds = first.into_iter().chain(o.switches.iter().copied());
        for (line, format) in bounds {
            let line = before + line;
            // A format that takes over at a chunk's first line replaces
            // the one the chunk started with.
            if starts.last().is_some_and(|&(l, _)| l == line) {
                starts.pop();
            }
            if starts.last().is_none_or(|&(_, f)| f != format) {
                starts.push((line, format));
            }
        }
        before += o.stats.lines;
    }
    if starts.len() < 2 {
        return Vec::new();
    }
    let ends = starts
        .iter()
        .skip(1)
        .map(|&(line, _)| line)
        .chain([before + 1]);
    starts
        .iter()
        .zip(ends)
        .map(|(&(first_line, format), end)| Region {
            format,
            first_line,
            lines: end - first_line,
        })
        .collect()
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
        report.regions = regions(of_source, report.span.start_line);
        // A file where nothing fitted at its start is named after the
        // format that read most of it, if any did.
        if report.format.is_none() {
            report.format = report
                .regions
                .iter()
                .filter(|r| r.format != detect::NO_FORMAT.name())
                .max_by_key(|r| r.lines)
                .map(|r| r.format);
        }
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
