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

/// BLAKE3 of `logveil gen --lines 20000 --seed 7`, taken from the binary
/// built before the generator had cardinality knobs (`GenConfig::clients`
/// and the rest): unset knobs must not change a byte.
const COMBINED_20000_SEED_7: &str =
    "4f28d84be9be0cc7198ed4a43b2dc8dc530bb45e7818c0da47409ebf6cb8bb5f";

#[test]
fn unset_knobs_write_the_same_bytes_as_before_the_knobs() {
    let mut out = Vec::new();
    generate(&GenConfig::new(20_000, 7), &mut out).unwrap();
    assert_eq!(blake3::hash(&out).to_hex().as_str(), COMBINED_20000_SEED_7);
}

/// Distinct values of the fields the knobs set, over the lines logveil's
/// reader accepts: (clients, IPv6 clients, targets, agents, referrers).
fn distinct_fields(out: &[u8]) -> [usize; 5] {
    use std::collections::HashSet;
    let mut sets: [HashSet<&[u8]>; 5] = Default::default();
    let mut cx = ParseContext::default();
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if Combined.parse(line, &mut cx).is_err() {
            continue;
        }
        // Well-formed generated lines quote exactly three fields.
        let parts: Vec<&[u8]> = line.split(|&b| b == b'"').collect();
        if parts.len() != 7 {
            continue;
        }
        let ip = parts[0].split(|&b| b == b' ').next().unwrap_or_default();
        sets[0].insert(ip);
        if ip.contains(&b':') {
            sets[1].insert(ip);
        }
        let target = parts[1].split(|&b| b == b' ').nth(1).unwrap_or_default();
        sets[2].insert(target);
        sets[3].insert(parts[5]);
        if !parts[3].starts_with(b"https://www.example.org") {
            sets[4].insert(parts[3]);
        }
    }
    sets.map(|s| s.len())
}

#[test]
fn cardinality_knobs_give_what_they_ask_for() {
    let within = |got: usize, want: usize, what: &str| {
        let (lo, hi) = (want as f64 * 0.95, want as f64 * 1.05);
        assert!(
            (lo..=hi).contains(&(got as f64)),
            "{what}: {got} distinct, asked {want}"
        );
    };
    let mut cfg = GenConfig::new(60_000, 3);
    cfg.clients = Some(4_000);
    cfg.targets = Some(15_000);
    cfg.agents = Some(2_000);
    cfg.referrers = Some(1_500);
    cfg.ipv6_share = 0.5;
    let mut out = Vec::new();
    generate(&cfg, &mut out).unwrap();
    let [clients, v6, targets, agents, referrers] = distinct_fields(&out);
    within(clients, 4_000, "clients");
    // Site-wide assets, feeds and probes are not catalogue targets; crawlers
    // and tools keep their own agents: a few dozen on top.
    within(targets, 15_000, "targets");
    within(agents, 2_000, "agents");
    // `-` (direct visits) comes on top of the asked referrers.
    within(referrers, 1_500, "referrers");
    let share = v6 as f64 / clients as f64;
    assert!(
        (0.38..=0.55).contains(&share),
        "IPv6 share of clients {share}"
    );

    // The default config is far from every asked number, so the test above
    // cannot pass by accident.
    let mut plain = Vec::new();
    generate(&GenConfig::new(60_000, 3), &mut plain).unwrap();
    let [c0, v0, t0, a0, r0] = distinct_fields(&plain);
    assert!(
        c0 < 3_000 && t0 < 10_000 && a0 < 200 && r0 < 100,
        "{c0} {t0} {a0} {r0}"
    );
    assert!((v0 as f64) < 0.15 * c0 as f64);

    // One client per line is reachable: visits are cut short.
    let mut cfg = GenConfig::new(10_000, 4);
    cfg.clients = Some(10_000);
    let mut out = Vec::new();
    generate(&cfg, &mut out).unwrap();
    within(distinct_fields(&out)[0], 10_000, "clients, one per line");
}

#[test]
fn gen_flags_set_the_knobs() {
    let flags = [
        "--clients",
        "300",
        "--targets",
        "500",
        "--agents",
        "200",
        "--referrers",
        "100",
        "--ipv6-share",
        "0.3",
        "--days",
        "2",
    ];
    let via_cli = gen_stdout(&flags);
    let mut cfg = GenConfig::new(1000, 1);
    cfg.clients = Some(300);
    cfg.targets = Some(500);
    cfg.agents = Some(200);
    cfg.referrers = Some(100);
    cfg.ipv6_share = 0.3;
    cfg.days = 2;
    let mut direct = Vec::new();
    generate(&cfg, &mut direct).unwrap();
    assert_eq!(via_cli, direct);
    assert_ne!(via_cli, gen_stdout(&[]));
}
