//! Whole documents that carry their own layout, which the pipeline reads
//! apart from the line formats of `FORMATS`:
//!
//! - CSV access logs with a header line of field names
//!   (`formats::json_lines::csv::CsvLayout`): the layout is taken from the
//!   input's first non-blank line with `CsvLayout::of`, then every line is
//!   split as the lanes split them and goes through `skip` and `parse`
//!   (records are checked like `parse_line`'s), the veil and a
//!   `WebAggregate`, and the tables are built.
//! - Every Zoom reader (`formats::zoom::READERS`: CSV exports, webhooks,
//!   API JSON including activities one per line), whether or not it would
//!   sniff the input as its own, as `pipeline/zoom.rs` reads a document:
//!   `read`, then each record through `ZoomVeil` into a `ZoomAggregate`, and
//!   its tables. Checked: every line is accounted for (`lines` = records +
//!   rejected + skipped, which the manifest relies on), and every record
//!   and reject names a position in the document (1-based; see
//!   `zoom_document` for what bounds it).
//!
//! The input's length picks one of two policies (default, or `k = 1` so
//! that the tables keep rows and their row-building code runs) and one of
//! three zones and date orders for Zoom's zone-less CSV times, so no input byte is used up
//! choosing.
#![no_main]

#[path = "line_checks.rs"]
mod line_checks;
#[path = "one_thread.rs"]
mod one_thread;

use std::path::Path;
use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use line_checks::{check_record, lines};
use logveil::aggregate::web::WebAggregate;
use logveil::aggregate::zoom::ZoomAggregate;
use logveil::formats::json_lines::csv::{self, CsvLayout};
use logveil::formats::zoom::{READERS, ZoomOptions, ZoomRecord, ZoomTime};
use logveil::formats::{LogFormat, ParseContext, Skip};
use logveil::privacy::key::{Key, KeyMode};
use logveil::privacy::policy::Policy;
use logveil::privacy::zoom::ZoomVeil;
use logveil::privacy::{Veil, VeilConfig};

const POLICIES: &[&str] = &[
    "",
    r#"
[suppression]
k = 1
allow_small_k = true
"#,
];

/// Zones for Zoom CSV times, which carry none: UTC, one with daylight
/// saving (gaps and repeated hours), one far east of UTC read day first
/// (`DD/MM/YYYY`, as non-US accounts export).
const ZONES: &[(&str, bool)] = &[
    ("UTC", false),
    ("America/New_York", false),
    ("Pacific/Kiritimati", true),
];

/// The web and Zoom veils of one policy, with one key for the process.
struct Veils {
    web: Veil,
    zoom: ZoomVeil,
}

static VEILS: LazyLock<Vec<Veils>> = LazyLock::new(|| {
    let key = Arc::new(Key::generate(KeyMode::Ephemeral).expect("random key"));
    POLICIES
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let policy = Policy::from_toml(text, Path::new(&format!("fuzz-policy-{i}.toml")))
                .unwrap_or_else(|e| panic!("fuzz policy {i}: {e}"));
            let web = Veil::new(
                key.clone(),
                VeilConfig {
                    policy: policy.clone(),
                    default_site: None,
                },
            );
            let zoom = ZoomVeil::new(
                key.clone(),
                policy.keys.epoch,
                web.generalize(),
                &policy.zoom,
            );
            Veils { web, zoom }
        })
        .collect()
});

static OPTIONS: LazyLock<Vec<ZoomOptions>> = LazyLock::new(|| {
    ZONES
        .iter()
        .map(|&(name, day_first)| ZoomOptions {
            time: ZoomTime::zone_from_name(name)
                .map(|zone| ZoomTime { zone, day_first })
                .unwrap_or_else(|e| panic!("zone {name}: {e}")),
        })
        .collect()
});

fn csv_document(data: &[u8], veil: &Veil) {
    let _ = csv::sniff(data);
    let Some(layout) = CsvLayout::of(data) else {
        return;
    };
    let policy = &veil.config().policy;
    let mut cx = ParseContext::default();
    let mut worker = veil.worker();
    let mut agg = WebAggregate::new(i64::from(policy.sessions.gap_minutes) * 60);
    let mut headers = 0;
    for line in lines(data) {
        if let Some(why) = layout.skip(line) {
            headers += usize::from(why == Skip::Header);
            continue;
        }
        if let Ok(rec) = layout.parse(line, &mut cx) {
            check_record(line, &rec);
            let _ = logveil::time::rfc3339(rec.time);
            agg.add(worker.apply(&rec));
        }
    }
    // The header the layout came from is a line of the document, and
    // skipped as one.
    assert!(headers >= 1, "the header line is not skipped");
    let tables = agg
        .into_tables(Vec::new(), worker.into_labels(), &policy.suppression, |t| t)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .expect("tables from a valid aggregate");
    for t in &tables {
        t.to_record_batch()
            .expect("record batch from a valid table");
    }
}

fn zoom_document(data: &[u8], veils: &Veils, options: &ZoomOptions) {
    for reader in READERS {
        let _ = reader.sniff(data);
        let read = reader.read(data, options, "fuzz-document");
        let skipped: u64 = read.skipped.iter().sum();
        assert_eq!(
            read.lines,
            read.records.len() as u64 + read.rejected.len() as u64 + skipped,
            "{}: lines not accounted for",
            reader.name()
        );
        // Positions are 1-based. A JSON document's entries are numbered
        // like lines (one line may hold many), and a broken document counts
        // as one line rejected at the line serde_json stopped on, so a
        // position may exceed `lines` but never the larger of the two.
        let last = read.lines.max(memchr_count(data) + 1);
        for line in read
            .records
            .iter()
            .map(|(l, _)| *l)
            .chain(read.rejected.iter().map(|(l, _)| *l))
        {
            assert!(
                (1..=last).contains(&line),
                "{}: line {line} of {} ({last} in the data)",
                reader.name(),
                read.lines
            );
        }
        let mut agg = ZoomAggregate::default();
        for (_, record) in &read.records {
            match record {
                ZoomRecord::Participation(p) => {
                    let anchor = p.meeting_start.or(p.join).unwrap_or(0);
                    if let Some(v) = veils.zoom.participation(
                        p,
                        anchor,
                        p.host_email.as_deref(),
                        "fuzz-document",
                    ) {
                        agg.add_participation(v);
                    }
                }
                ZoomRecord::SignIn(s) => agg.add_signin(veils.zoom.signin(s)),
                // The enum is non-exhaustive: a record kind added later is
                // not aggregated here until this target learns it.
                _ => {}
            }
        }
        let tables = agg
            .into_tables(&veils.web.config().policy)
            .expect("Zoom tables from a valid aggregate");
        for t in &tables {
            t.to_record_batch()
                .expect("record batch from a valid table");
        }
    }
}

fn memchr_count(data: &[u8]) -> u64 {
    data.iter().filter(|&&c| c == b'\n').count() as u64
}

fuzz_target!(|data: &[u8]| one_thread::POOL.install(|| {
    let veils = &VEILS[data.len() % VEILS.len()];
    let options = &OPTIONS[data.len() % OPTIONS.len()];
    csv_document(data, &veils.web);
    zoom_document(data, veils, options);
}));
