//! Replays fuzz inputs (corpus files, crash artifacts) through the whole
//! pipeline, `logveil::run`, as a user of the library or CLI would hit them:
//! each input is written to a fresh directory as a plain log file (or as a
//! `.gz` one with `--gz`) and run with auto-detection.
//!
//! ```sh
//! cargo run --example pipeline -- artifacts/parse_line/crash-*
//! cargo run --example pipeline -- --gz corpus/gz_stream/*
//! ```
//!
//! A normal (non-fuzz) build: dev profile, so overflow checks are on, as in
//! `cargo test`. Use `--release` to see what a release binary does instead.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut gz = false;
    let mut inputs = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--gz" {
            gz = true;
        } else {
            inputs.push(PathBuf::from(a));
        }
    }
    let mut failed = 0;
    for (n, input) in inputs.iter().enumerate() {
        let data = std::fs::read(input).expect("read input");
        let dir = std::env::temp_dir().join(format!("logveil-replay-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let log = dir.join(if gz { "access.log.gz" } else { "access.log" });
        std::fs::write(&log, &data).expect("write input");
        let cfg = logveil::RunConfig::new(vec![log], dir.join("out")).threads(Some(1));
        let outcome = std::panic::catch_unwind(|| logveil::run(&cfg));
        match outcome {
            Ok(Ok(report)) => {
                let t = &report.manifest.totals;
                println!(
                    "{}: {:?}, lines {} parsed {} rejected {} skipped {}",
                    input.display(),
                    report.completion,
                    t.lines,
                    t.parsed,
                    t.rejected,
                    t.skipped
                );
                for table in &report.manifest.tables {
                    println!("  {} rows {}", table.name, table.rows);
                }
            }
            Ok(Err(e)) => println!("{}: error: {e}", input.display()),
            Err(_) => {
                println!("{}: PANIC (message above)", input.display());
                failed += 1;
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
