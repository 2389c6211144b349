//! Arbitrary bytes through the line path of the pipeline: format detection,
//! chunking, every format's `skip`/`parse`, the privacy veil, aggregation
//! and table building.
//!
//! The input is treated as the contents of a log file. It is split into
//! lines exactly as the pipeline's lanes do (`pipeline::lanes`, on `\n`,
//! one trailing `\r` stripped), and each line is handed to every built-in
//! format, not only the detected one, so every parser sees every line.
//!
//! Besides "no panic", a few documented contracts are asserted:
//! - `chunk_ranges` covers the input contiguously and every range but the
//!   last ends just after a newline, and `plan_chunks` (the plain-file
//!   path, which reads the file at its boundaries) plans the same ranges,
//!   whose `read_range` bytes are the input's;
//! - `detect` never samples more than `SAMPLE_LINES` lines nor reports more
//!   parsed lines than sampled, and a chosen format is the best candidate;
//! - a parsed record's fields are sub-slices of the line (no copies) and the
//!   status is three digits or `NO_RESPONSE` (a request the client
//!   abandoned);
//! - the CLF family's fast scan and its field-by-field fallback agree: a
//!   line that Common, Combined or vhost_combined accepts, with the space
//!   after the client doubled (which the scan refuses and the fallback
//!   allows), parses to the same record (see `check_scan_fallback`);
//! - the tables (values and suppression report) are the same whether the
//!   input is aggregated as one chunk by one veil worker, or as many small
//!   chunks, each with its own worker (so its own label table), merged as
//!   the pipeline merges lanes: `Labels::absorb`, then
//!   `WebAggregate::into_tables` with the others and their renumberings.
//!
//! Four privacy policies (see `POLICIES`) are rotated by input length, so
//! path rules, site aliases, trusted proxies (`X-Forwarded-For`),
//! `ip+agent` visitors, generalisation, epochs, session gaps and
//! small-group suppression all run.
#![no_main]

#[path = "line_checks.rs"]
mod line_checks;
#[path = "one_thread.rs"]
mod one_thread;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use line_checks::{check_record, lines};
use logveil::aggregate::web::WebAggregate;
use logveil::formats::{FORMATS, LogFormat, ParseContext, RawRecord, detect};
use logveil::input::read::{chunk_ranges, plan_chunks, read_range};
use logveil::output::table::Table;
use logveil::privacy::key::{Key, KeyMode};
use logveil::privacy::policy::Policy;
use logveil::privacy::{Labels, Renumbering, Veil, VeilConfig};

/// Privacy policies the veils run under; the input picks one (see
/// `veil_for`). Written as policy files, so they go through the same
/// parsing and validation as `--policy FILE`. Small `k` so that tables keep
/// rows and the row-building code runs; one policy keeps the default `k`
/// so that suppression itself runs.
const POLICIES: &[&str] = &[
    "",
    r#"
[keys]
epoch = "week"
[ip]
ipv4_prefix = 24
ipv6_prefix = 48
[visitors]
identity = "ip+agent"
[paths]
query_allow = ["q", "page"]
mask_ids = false
routes = ["/courses/{}/syllabus", "/people/profile/{}"]
[network]
on_campus = ["192.0.2.0/24", "2001:db8::/32", "10.0.0.0/8"]
trusted_proxies = ["10.0.0.0/8", "192.0.2.0/24", "::1", "2001:db8::/32"]
[network.site_aliases]
"www.example.edu" = ["WWW.Example.EDU", "example.edu"]
[suppression]
k = 1
allow_small_k = true
[sessions]
gap_minutes = 1
"#,
    r#"
[keys]
epoch = "month"
[ip]
anonymize_level = 3
[suppression]
k = 2
allow_small_k = true
[search]
endpoints = ["/search", "/"]
params = ["q", "s"]
max_length = 3
"#,
    r#"
[keys]
epoch = "never"
[ip]
ipv4_prefix = 0
ipv6_prefix = 0
[paths]
query_allow = ["q"]
[suppression]
k = 1
allow_small_k = true
[suppression.tables]
web_pages = 3
"#,
];

/// One veil per policy. One key for the whole process: generating one per
/// input would cost a getrandom call and change nothing about the code paths.
static VEILS: LazyLock<Vec<Veil>> = LazyLock::new(|| {
    let key = Arc::new(Key::generate(KeyMode::Ephemeral).expect("random key"));
    POLICIES
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let policy = Policy::from_toml(text, Path::new(&format!("fuzz-policy-{i}.toml")))
                .unwrap_or_else(|e| panic!("fuzz policy {i}: {e}"));
            let default_site = (i == 1).then(|| "fuzz.example".to_string());
            Veil::new(
                key.clone(),
                VeilConfig {
                    policy,
                    default_site,
                },
            )
        })
        .collect()
});

/// Deterministic choice of a veil configuration from the input's length, so
/// the choice does not consume (and distort) any of the line bytes.
fn veil_for(data: &[u8]) -> &'static Veil {
    let veils = &*VEILS;
    &veils[data.len() % veils.len()]
}

/// Formats whose parser is `fields::clf_core`: a straight scan of the
/// layout, with the field-by-field parser as fallback for any line the
/// scan refuses.
const CLF_CORE_FORMATS: &[&str] = &["common", "combined", "vhost_combined"];

/// `rec` is what `format` made of `line`. The same line with the space
/// after the client doubled goes through the fallback parser (the scan
/// takes single spaces only, the fallback any run of them), and must give
/// the same record: so whatever the scan accepts, the fallback accepts
/// identically.
fn check_scan_fallback(format: &dyn LogFormat, line: &[u8], rec: &RawRecord<'_>) {
    if !CLF_CORE_FORMATS.contains(&format.name()) {
        return;
    }
    let end = rec.client.as_ptr() as usize - line.as_ptr() as usize + rec.client.len();
    if line.get(end) != Some(&b' ') {
        return;
    }
    let mut wide = Vec::with_capacity(line.len() + 1);
    wide.extend_from_slice(&line[..end]);
    wide.push(b' ');
    wide.extend_from_slice(&line[end..]);
    match format.parse(&wide, &mut ParseContext::default()) {
        Ok(fallback) => assert_eq!(
            rec,
            &fallback,
            "{}: scan and fallback differ on {:?}",
            format.name(),
            String::from_utf8_lossy(line)
        ),
        Err(e) => panic!(
            "{}: fallback rejects ({e:?}) a line that was accepted: {:?}",
            format.name(),
            String::from_utf8_lossy(line)
        ),
    }
}

fn check_detect(data: &[u8]) {
    for complete in [true, false] {
        let d = detect::detect(data, complete);
        assert!(d.sampled <= detect::SAMPLE_LINES);
        assert!(
            d.parsed <= d.sampled,
            "parsed {} > sampled {}",
            d.parsed,
            d.sampled
        );
        let rate = d.parse_rate();
        assert!((0.0..=1.0).contains(&rate), "rate {rate}");
        if let Some(f) = d.format {
            let best = d.best.expect("a chosen format is also the best candidate");
            assert_eq!(f.name(), best.name());
        }
    }
}

/// A scratch file for the plain-file path (`plan_chunks`/`read_range`),
/// one per process, rewritten by each input.
static SCRATCH: LazyLock<File> = LazyLock::new(|| {
    let path = std::env::temp_dir().join(format!("logveil-fuzz-{}.log", std::process::id()));
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .expect("scratch file");
    // Unlinked at once: the open handle keeps it, nothing is left behind.
    let _ = std::fs::remove_file(&path);
    file
});

fn check_chunks(data: &[u8]) {
    let file = &*SCRATCH;
    file.set_len(0).expect("truncate scratch file");
    file.write_all_at(data, 0).expect("write scratch file");
    let len = data.len() as u64;
    let mut buf = Vec::new();
    // Small targets so that short inputs still get several chunks.
    for target in [0usize, 1, 7, 64] {
        let ranges = chunk_ranges(data, target);
        // No line is over the limit here (usize::MAX), so every piece is
        // lines; too-long lines are `gz_stream`'s and the unit tests' job.
        let planned: Vec<std::ops::Range<u64>> = plan_chunks(file, len, target, usize::MAX)
            .expect("plan chunks of the scratch file")
            .into_iter()
            .map(|p| match p {
                logveil::input::read::Piece::Lines(r) => r,
                logveil::input::read::Piece::TooLong(r) => {
                    panic!("a line over an unlimited length: {r:?}")
                }
            })
            .collect();
        assert!(
            planned
                .iter()
                .map(|r| r.start as usize..r.end as usize)
                .eq(ranges.iter().cloned()),
            "plan_chunks {planned:?} differs from chunk_ranges {ranges:?}"
        );
        for r in &planned {
            let n = read_range(file, r.clone(), &mut buf).expect("read a planned range");
            assert_eq!(&buf[..n], &data[r.start as usize..r.end as usize]);
        }
        if data.is_empty() {
            assert!(ranges.is_empty());
            continue;
        }
        assert_eq!(ranges.first().map(|r| r.start), Some(0));
        assert_eq!(ranges.last().map(|r| r.end), Some(data.len()));
        for w in ranges.windows(2) {
            assert_eq!(w[0].end, w[1].start, "ranges not contiguous");
            assert_eq!(data[w[0].end - 1], b'\n', "range not newline-aligned");
        }
        assert!(ranges.iter().all(|r| r.start < r.end), "empty range");
    }
}

/// The session gap the pipeline uses for `veil`'s policy.
fn session_gap(veil: &Veil) -> i64 {
    i64::from(veil.config().policy.sessions.gap_minutes) * 60
}

/// Parses, veils and aggregates `chunk` with its own parse context and
/// veil worker, as one lane would; returns the aggregate and the labels
/// its ids refer to, and how many records it made. `whole`: the chunk is
/// the whole input, whose lines also go through the per-line checks that
/// need no chunking.
fn fold_chunk(
    format: &'static dyn LogFormat,
    veil: &Veil,
    chunk: &[u8],
    whole: bool,
) -> (Labels, WebAggregate, usize) {
    let mut records = 0;
    let mut cx = ParseContext::default();
    let mut worker = veil.worker();
    let mut agg = WebAggregate::new(session_gap(veil));
    for line in lines(chunk) {
        if format.skip(line).is_some() {
            continue;
        }
        if let Ok(rec) = format.parse(line, &mut cx) {
            if whole {
                check_record(line, &rec);
                check_scan_fallback(format, line, &rec);
                let _ = logveil::time::rfc3339(rec.time);
            }
            agg.add(worker.apply(&rec));
            records += 1;
        }
    }
    let _ = agg.rows();
    (worker.into_labels(), agg, records)
}

fn tables(
    agg: WebAggregate,
    others: Vec<(WebAggregate, Renumbering)>,
    labels: Labels,
    veil: &Veil,
) -> Vec<Table> {
    let tables: Vec<Table> = agg
        .into_tables(others, labels, &veil.config().policy.suppression, |t| t)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("tables from a valid aggregate");
    for t in &tables {
        t.to_record_batch()
            .expect("record batch from a valid table");
    }
    tables
}

fuzz_target!(|data: &[u8]| one_thread::POOL.install(|| one_input(data)));

fn one_input(data: &[u8]) {
    check_detect(data);
    check_chunks(data);

    let veil = veil_for(data);
    for &format in FORMATS {
        // The whole input as one chunk, one worker.
        let (labels, agg, records) = fold_chunk(format, veil, data, true);
        let whole = tables(agg, Vec::new(), labels, veil);
        if records == 0 {
            // Every chunk would be empty too. Skipping them matters: each
            // aggregate costs a fixed set-up (its groups' `recent` tables),
            // and most formats take no line of a given input.
            continue;
        }

        // The same input cut into small chunks, each with its own worker
        // and label table, merged as `Lanes::merge` merges lanes: the
        // first taken as it is, every other one's labels absorbed and its
        // ids renumbered. The tables must not depend on chunking.
        let mut chunks = chunk_ranges(data, 16)
            .into_iter()
            .map(|r| fold_chunk(format, veil, &data[r], false));
        let (mut labels, first, _) = chunks.next().expect("a record came from some chunk");
        let others = chunks
            .map(|(chunk_labels, agg, _)| (agg, labels.absorb(&chunk_labels)))
            .collect();
        let merged = tables(first, others, labels, veil);

        assert_eq!(whole.len(), merged.len());
        for (a, b) in whole.iter().zip(&merged) {
            assert_eq!(a.spec.name, b.spec.name);
            assert_eq!(
                a.suppression,
                b.suppression,
                "{}: suppression of {} differs between one chunk and merged chunks",
                format.name(),
                a.spec.name
            );
            assert!(
                a.columns == b.columns,
                "{}: table {} differs between one chunk and merged chunks:\n{:?}\n{:?}",
                format.name(),
                a.spec.name,
                a.columns,
                b.columns
            );
        }
    }
}
