//! The synthetic generator (`logveil-synth`) against logveil itself: what
//! `logveil gen` writes is what it wrote before the generator left the
//! library (pinned hashes), and logveil's own readers read every generated
//! line back. These tests live here because the generator crate depends on
//! nothing of logveil.

mod common;

use logveil::formats::zoom::{ZoomOptions, ZoomReader, ZoomTime, csv_export::ZoomCsv};
use logveil::formats::{LogFormat, ParseContext, combined::Combined};
use logveil_synth::{GenConfig, generate};

/// BLAKE3 of `logveil gen --lines 1000 --seed 1`, taken from the binary
/// built while the generator was still `logveil::synth`.
const COMBINED_1000_SEED_1: &str =
    "293336fa987036be5d66f970a3b1070d2f5779cb81a0d39a0c9c0731ffa163a4";
/// BLAKE3 of `logveil gen --zoom --lines 1000 --seed 1`, same origin.
const ZOOM_1000_SEED_1: &str = "4c52a1c258cf99a6348ffc84d5e44404a4250da987cf96cfa7cea9c4efa8acde";

fn gen_stdout(args: &[&str]) -> Vec<u8> {
    let out = common::logveil()
        .args(["gen", "--lines", "1000", "--seed", "1", "--out", "-"])
        .args(args)
        .output()
        .expect("run logveil gen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn gen_writes_the_same_bytes_as_before_the_move() {
    let combined = gen_stdout(&[]);
    let zoom = gen_stdout(&["--zoom"]);
    assert_eq!(
        blake3::hash(&combined).to_hex().as_str(),
        COMBINED_1000_SEED_1
    );
    assert_eq!(blake3::hash(&zoom).to_hex().as_str(), ZOOM_1000_SEED_1);

    // The binary adds nothing of its own: the crate's functions give the
    // same bytes.
    let mut direct = Vec::new();
    generate(&GenConfig::new(1000, 1), &mut direct).unwrap();
    assert_eq!(direct, combined);
    let mut direct = Vec::new();
    logveil_synth::zoom::generate(1000, 1, &mut direct).unwrap();
    assert_eq!(direct, zoom);
}

#[test]
fn every_well_formed_combined_line_reads_back() {
    let mut out = Vec::new();
    let stats = generate(&GenConfig::new(20_000, 5), &mut out).unwrap();
    assert!(
        stats.malformed > 0,
        "the default config plants malformed lines"
    );
    let mut cx = ParseContext::default();
    let (mut read, mut rejected) = (0u64, 0u64);
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match Combined.parse(line, &mut cx) {
            Ok(_) => read += 1,
            Err(_) => rejected += 1,
        }
    }
    assert_eq!(read + rejected, stats.lines);
    // Every well-formed line reads. Not every planted one is rejected: the
    // reader is tolerant on purpose and keeps a line cut inside its user
    // agent (tests/clf_tolerant.rs), one of the generator's variants.
    assert!(
        read >= stats.lines - stats.malformed,
        "{read} of {}",
        stats.lines
    );
    assert!(
        rejected > 0 && rejected <= stats.malformed,
        "{rejected} rejected"
    );
}

#[test]
fn every_zoom_row_reads_back() {
    let mut out = Vec::new();
    let stats = logveil_synth::zoom::generate(2_000, 3, &mut out).unwrap();
    assert_eq!(stats.lines, 2_000);
    let read = ZoomCsv.read(
        &out,
        &ZoomOptions {
            time: ZoomTime::default(),
        },
        "gen",
    );
    assert_eq!(read.records.len(), 2_000);
    assert!(
        read.rejected.is_empty(),
        "{:?}",
        &read.rejected[..read.rejected.len().min(3)]
    );
}
