//! Throughput of each stage and of the whole pipeline on a generated
//! Combined log (`cargo bench --bench pipeline`).
//!
//! Stages are measured cumulatively (parse; parse + veil; parse + veil +
//! aggregate) on one thread, so the difference between two rows is the cost
//! of the stage added. `end_to_end` runs `logveil::run` on a file, with the
//! Parquet writing and manifest, on 1 and 2 threads.

use std::sync::{Arc, LazyLock};

use divan::counter::{BytesCount, ItemsCount};
use logveil::aggregate::web::WebAggregate;
use logveil::formats::{LogFormat, ParseContext, combined::Combined};
use logveil::privacy::key::{Key, KeyMode};
use logveil::privacy::{Veil, VeilConfig};
use logveil_synth::{GenConfig, generate};

const LINES: u64 = 200_000;

static LOG: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut out = Vec::new();
    generate(&GenConfig::new(LINES, 7), &mut out).expect("generate into memory");
    out
});

static FILE: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("access.log"), &*LOG).expect("write log");
    dir
});

fn lines() -> impl Iterator<Item = &'static [u8]> {
    LOG.split(|b| *b == b'\n').filter(|l| !l.is_empty())
}

fn veil() -> Veil {
    Veil::new(
        Arc::new(Key::generate(KeyMode::Ephemeral).expect("random key")),
        VeilConfig::default(),
    )
}

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 10)]
fn parse(b: divan::Bencher) {
    b.counter(ItemsCount::new(LINES)).bench(|| {
        let mut cx = ParseContext::default();
        lines()
            .filter(|l| Combined.parse(l, &mut cx).is_ok())
            .count()
    });
}

#[divan::bench(sample_count = 10)]
fn parse_veil(b: divan::Bencher) {
    let veil = veil();
    b.counter(ItemsCount::new(LINES)).bench(|| {
        let mut cx = ParseContext::default();
        let mut worker = veil.worker();
        let mut n = 0u64;
        for line in lines() {
            if let Ok(raw) = Combined.parse(line, &mut cx) {
                n = n.wrapping_add(worker.apply(&raw).visitor.value());
            }
        }
        n
    });
}

#[divan::bench(sample_count = 10)]
fn parse_veil_aggregate(b: divan::Bencher) {
    let veil = veil();
    b.counter(ItemsCount::new(LINES)).bench(|| {
        let mut cx = ParseContext::default();
        let mut worker = veil.worker();
        let mut agg = WebAggregate::default();
        for line in lines() {
            if let Ok(raw) = Combined.parse(line, &mut cx) {
                agg.add(worker.apply(&raw));
            }
        }
        agg.rows()
    });
}

#[divan::bench(args = [1, 2], sample_count = 5)]
fn end_to_end(b: divan::Bencher, threads: usize) {
    let input = FILE.path().join("access.log");
    let out = tempfile::tempdir().expect("out dir");
    b.counter(BytesCount::new(LOG.len())).bench(|| {
        let cfg = logveil::RunConfig::new(vec![input.clone()], out.path()).threads(Some(threads));
        logveil::run(&cfg).expect("run").manifest.totals.lines
    });
}
