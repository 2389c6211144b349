//! The Zoom path of a run: one document, read whole, veiled and folded.

use std::collections::HashMap;

use super::accounting::{ChunkReject, LineStats, finish_report};
use crate::aggregate::zoom::{MAX_SESSION_SECONDS, ZoomAggregate};
use crate::formats::Reject;
use crate::formats::zoom::{ZoomOptions, ZoomRead, ZoomReader, ZoomRecord};
use crate::output::manifest::InputReport;
use crate::privacy::zoom::ZoomVeil;

/// Reads, veils and folds one Zoom document, filling the counts of `report`.
pub(super) fn read_document(
    data: &[u8],
    reader: &dyn ZoomReader,
    options: &ZoomOptions,
    veil: &ZoomVeil,
    report: &mut InputReport,
    max_locations: usize,
) -> ZoomAggregate {
    // The input's keyed id, not its path: stable however the path was
    // spelled, and no identifier from it reaches the pseudonym material.
    let source_key = report.id.clone();
    let ZoomRead {
        lines,
        records,
        rejected,
        skipped,
    } = reader.read(data, options, &source_key);
    let mut agg = ZoomAggregate::default();

    // Per meeting occurrence: the key epoch of its start, so a meeting
    // across midnight keeps one pseudonym per person; and per meeting its
    // host, which exports without a host column still mark with a `(Host)`
    // row. Keyed by owned ids (a
    // handful per document), so the records can be consumed below.
    let mut anchors: HashMap<Option<String>, i64> = HashMap::new();
    let mut hosts: HashMap<Option<String>, String> = HashMap::new();
    for (_, r) in &records {
        let ZoomRecord::Participation(p) = r else {
            continue;
        };
        if let Some(t) = p.meeting_start.or(p.join) {
            let a = anchors.entry(p.occurrence_key()).or_insert(t);
            *a = (*a).min(t);
        }
        let marked = p
            .name
            .as_deref()
            .is_some_and(|n| n.trim_end().ends_with("(Host)"));
        if let Some(h) = p
            .host_email
            .as_deref()
            .or(marked.then_some(p.email.as_deref()).flatten())
            && !hosts.contains_key(&p.meeting_id)
        {
            hosts.insert(p.meeting_id.clone(), h.to_string());
        }
    }

    let mut stats = LineStats {
        lines,
        skipped,
        ..LineStats::default()
    };
    let mut failed: Vec<(u64, Reject)> = rejected;
    // Consumed: each record's text is freed once it is veiled, so the raw
    // records and the veiled ones are not all held at once.
    for (line, record) in records {
        let times: [Option<i64>; 3] = match &record {
            ZoomRecord::Participation(p) => {
                // A session longer than any Zoom meeting can last is a
                // mistyped date (a join in 0226 for 2026), not attendance:
                // counted, it would span centuries of hours.
                if let (Some(j), Some(l)) = (p.join, p.leave)
                    && l.saturating_sub(j) > MAX_SESSION_SECONDS
                {
                    failed.push((line, Reject::BadTimestamp));
                    continue;
                }
                let anchor = anchors.get(&p.occurrence_key()).copied().unwrap_or(0);
                let host = p
                    .host_email
                    .as_deref()
                    .or_else(|| hosts.get(&p.meeting_id).map(String::as_str));
                match veil.participation(p, anchor, host, &source_key) {
                    Some(v) => {
                        agg.add_participation(v);
                        [p.join, p.leave, p.meeting_start]
                    }
                    None => {
                        failed.push((line, Reject::Malformed));
                        continue;
                    }
                }
            }
            ZoomRecord::SignIn(s) => {
                agg.add_signin(veil.signin(s));
                [Some(s.time), None, None]
            }
        };
        stats.parsed += 1;
        for t in times.into_iter().flatten() {
            stats.min_time = stats.min_time.min(t);
            stats.max_time = stats.max_time.max(t);
        }
    }

    // The document is one chunk; rejects are located by line and by the
    // byte offset of that line's start.
    let starts: Vec<u64> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', data).map(|p| p as u64 + 1))
        .collect();
    let rejects: Vec<ChunkReject> = failed
        .iter()
        .map(|&(line, reason)| {
            stats.rejected[reason.index()] += 1;
            ChunkReject {
                chunk: 0,
                line_in_chunk: line,
                offset: starts
                    .get((line as usize).saturating_sub(1))
                    .copied()
                    .unwrap_or(0),
                reason,
            }
        })
        .collect();
    finish_report(report, &stats, &[(0, lines)], &rejects, max_locations);
    agg
}
