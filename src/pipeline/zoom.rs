//! The Zoom path of a run: one document, read whole, veiled and folded.

use std::collections::HashMap;

use crate::aggregate::zoom::ZoomAggregate;
use crate::formats::zoom::{ZoomOptions, ZoomReader, ZoomRecord};
use crate::formats::{Reject, Skip};
use crate::output::manifest::{InputReport, Location};
use crate::privacy::zoom::ZoomVeil;
use crate::time;

/// Reads one Zoom document into `agg`, filling the counts of `report`.
pub(super) fn read_document(
    data: &[u8],
    reader: &dyn ZoomReader,
    options: &ZoomOptions,
    veil: &ZoomVeil,
    report: &mut InputReport,
    max_locations: usize,
) -> ZoomAggregate {
    let source_key = report.path.display().to_string();
    let read = reader.read(data, options, &source_key);
    let mut agg = ZoomAggregate::default();

    // Every pseudonym of a meeting uses the key epoch of its start, so a
    // meeting across midnight keeps one pseudonym per person.
    let mut anchors: HashMap<Option<&str>, i64> = HashMap::new();
    for (_, r) in &read.records {
        if let ZoomRecord::Participation(p) = r
            && let Some(t) = p.meeting_start.or(p.join)
        {
            let a = anchors.entry(p.meeting_id.as_deref()).or_insert(t);
            *a = (*a).min(t);
        }
    }

    // Exports without a host column still mark the host's row `(Host)`.
    let mut hosts: HashMap<Option<&str>, &str> = HashMap::new();
    for (_, r) in &read.records {
        if let ZoomRecord::Participation(p) = r {
            let host = p.host_email.as_deref().or_else(|| {
                let marked = p
                    .name
                    .as_deref()
                    .is_some_and(|n| n.trim_end().ends_with("(Host)"));
                marked.then_some(p.email.as_deref()).flatten()
            });
            if let Some(h) = host {
                hosts.entry(p.meeting_id.as_deref()).or_insert(h);
            }
        }
    }

    let mut rejected = read.rejected.clone();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut parsed = 0u64;
    for (line, record) in &read.records {
        match record {
            ZoomRecord::Participation(p) => {
                let anchor = anchors.get(&p.meeting_id.as_deref()).copied().unwrap_or(0);
                let host = p
                    .host_email
                    .as_deref()
                    .or_else(|| hosts.get(&p.meeting_id.as_deref()).copied());
                match veil.participation(p, anchor, host, &source_key) {
                    Some(v) => {
                        for t in [p.join, p.leave, p.meeting_start].into_iter().flatten() {
                            first = first.min(t);
                            last = last.max(t);
                        }
                        agg.add_participation(v);
                        parsed += 1;
                    }
                    None => rejected.push((*line, Reject::Malformed)),
                }
            }
            ZoomRecord::SignIn(s) => {
                first = first.min(s.time);
                last = last.max(s.time);
                agg.add_signin(veil.signin(s));
                parsed += 1;
            }
        }
    }

    report.lines = read.lines;
    report.parsed = parsed;
    report.rejected = rejected.len() as u64;
    report.skipped = read.skipped.iter().sum();
    for k in Skip::ALL {
        if read.skipped[k.index()] > 0 {
            report
                .skipped_by_reason
                .insert(k.as_str(), read.skipped[k.index()]);
        }
    }
    for (_, r) in &rejected {
        *report.rejected_by_reason.entry(r.as_str()).or_default() += 1;
    }
    // Byte offsets of the rejected lines, from one scan of the line starts.
    let starts: Vec<u64> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', data).map(|p| p as u64 + 1))
        .collect();
    rejected.sort();
    report.reject_locations = rejected
        .iter()
        .take(max_locations)
        .map(|(line, reason)| Location {
            line: *line,
            byte_offset: starts
                .get((*line as usize).saturating_sub(1))
                .copied()
                .unwrap_or(0),
            reason: reason.as_str(),
        })
        .collect();
    report.reject_locations_omitted = report.rejected - report.reject_locations.len() as u64;
    if parsed > 0 {
        report.first_event = Some(time::rfc3339(first));
        report.last_event = Some(time::rfc3339(last));
    }
    agg
}
