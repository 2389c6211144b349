//! No input may panic the parsers, the privacy stage or the aggregators:
//! random bytes, and valid lines with random damage, go through every
//! format and, for a few cases, through the whole pipeline. (Longer,
//! coverage-guided fuzzing lives in `fuzz/`.)

use std::sync::Arc;

use logveil::aggregate::web::WebAggregate;
use logveil::formats::{FORMATS, ParseContext, detect};
use logveil::privacy::key::{Key, KeyMode};
use logveil::privacy::{Veil, VeilConfig};
use proptest::prelude::*;

const SEEDS: &[&[u8]] = &[
    br#"www.example.edu:443 2001:db8::1 - jdoe [10/Oct/2000:13:55:36 -0700] "GET /a?b=c HTTP/1.1" 200 2326 "https://x.example/" "Mozilla/5.0 \"q\" \xe2""#,
    br#"::ffff:192.0.2.1 - - [29/Feb/2024:23:59:60 +1400] "\x16\x03\x01" 400 - "-" "-" "10.0.0.1, 192.0.2.9""#,
    br#"crawl-1.googlebot.com - - [01/Jan/1970:00:00:00 +0000] "" 408 0"#,
];

fn everything(input: &[u8]) {
    let veil = Veil::new(
        Arc::new(Key::generate(KeyMode::Ephemeral).unwrap()),
        VeilConfig::default(),
    );
    let mut worker = veil.worker();
    let mut agg = WebAggregate::default();
    for format in FORMATS {
        let mut cx = ParseContext::default();
        for line in input.split(|b| *b == b'\n') {
            if format.skip(line).is_some() {
                continue;
            }
            if let Ok(raw) = format.parse(line, &mut cx) {
                agg.add(worker.apply(&raw));
            }
        }
    }
    let _ = detect::detect(input, true);
    let _ = detect::detect(input, false);
    for table in agg.into_tables(Vec::new(), worker.into_labels(), &Default::default(), |t| t) {
        table.expect("tables are well-formed");
    }
}

/// A valid line with bytes overwritten, inserted or cut.
fn damaged_line() -> impl Strategy<Value = Vec<u8>> {
    (
        0..SEEDS.len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..6),
    )
        .prop_map(|(seed, edits)| {
            let mut line = SEEDS[seed].to_vec();
            for (at, byte, op) in edits {
                if line.is_empty() {
                    break;
                }
                let i = at.index(line.len());
                match op {
                    0 => line[i] = byte,
                    1 => line.insert(i, byte),
                    _ => line.truncate(i),
                }
            }
            line
        })
}

/// Found by `fuzz/` (parse_line): byte counts that sum past u64::MAX must
/// saturate, not panic or wrap.
#[test]
fn huge_byte_counts_saturate() {
    everything(b"1 - - [01/Jan/2000:00:00:00 +0000] \"\" 200 18446744073709551615\n1 - - [01/Jan/2000:00:00:00 +0000] \"\" 200 1");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("big.log");
    std::fs::write(
        &log,
        "1.2.3.4 - - [01/Jan/2000:00:00:00 +0000] \"GET / HTTP/1.1\" 200 18446744073709551615\n\
         1.2.3.4 - - [01/Jan/2000:00:00:00 +0000] \"GET / HTTP/1.1\" 200 7\n",
    )
    .unwrap();
    let report = logveil::run(&logveil::RunConfig::new(vec![log], dir.path().join("out"))).unwrap();
    assert_eq!(report.manifest.inputs[0].parsed, 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..600)) {
        everything(&input);
    }

    #[test]
    fn damaged_lines_never_panic(lines in prop::collection::vec(damaged_line(), 1..8)) {
        everything(&lines.join(&b'\n'));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whole pipeline on files of damaged lines: it must finish, and its
    /// line accounting must hold.
    #[test]
    fn pipeline_survives_and_accounts_for_every_line(
        lines in prop::collection::vec(damaged_line(), 1..40),
        chunk in 1usize..300,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("in.log");
        let text = lines.join(&b'\n');
        std::fs::write(&log, &text).unwrap();
        let cfg = logveil::RunConfig::new(vec![log], dir.path().join("out")).chunk_bytes(chunk).threads(Some(2));
        let report = logveil::run(&cfg).unwrap();
        let input = &report.manifest.inputs[0];
        prop_assert_eq!(input.lines, input.parsed + input.rejected + input.skipped);
        if input.format.is_some() {
            let expected = text.split(|b| *b == b'\n').count() as u64
                - u64::from(text.last() == Some(&b'\n'));
            prop_assert_eq!(input.lines, expected);
        }
    }
}
