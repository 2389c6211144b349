//! A whole run of the library, `logveil::run`, on the input as a plain log
//! file cut into small chunks: detection per region (`detect::Watch`: a
//! chunk whose lines are mostly rejected asks detection about them, and a
//! second format may join the chunk, or `no_format` may stand for lines
//! nothing reads), the lanes, the accounting and the manifest. Documents
//! with their own layout (W3C, CSV with a header, Zoom) take their own
//! paths from the same call.
//!
//! The lanes are private, so this target checks what they hand on to the
//! manifest, for each input it lists:
//! - every line is accounted for: `lines = parsed + rejected + skipped`,
//!   and each total is the sum of its by-reason counts;
//! - when regions are listed, there are at least two, the first starts at
//!   line 1, each starts where the one before ended (so first lines
//!   increase), neighbours name different formats, none is empty, and
//!   their lines sum to the input's.
//!
//! A run writes Parquet files and a manifest, so an execution costs
//! milliseconds: run with `-max_len=4096`. The input's length picks the
//! chunk size (7 to 263 bytes), so files of a few lines still get several
//! chunks and regions can start inside and across them.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use logveil::{RunConfig, run};

/// A directory per process, for the input file and the run's output.
static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("logveil-fuzz-regions-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
});

fuzz_target!(|data: &[u8]| {
    let log = DIR.join("access.log");
    let out = DIR.join("out");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::write(&log, data).expect("write the input file");
    let chunk = 7 + data.len() % 257;
    let cfg = RunConfig::new(vec![log], &out)
        .chunk_bytes(chunk)
        .threads(Some(1));
    // An error is an answer (an input no reader takes ends the run with
    // nothing to write); only a panic or a wrong count is a finding.
    let Ok(report) = run(&cfg) else {
        return;
    };
    for input in &report.manifest.inputs {
        assert_eq!(
            input.lines,
            input.parsed + input.rejected + input.skipped,
            "lines not accounted for: {input:?}"
        );
        assert_eq!(
            input.rejected,
            input.rejected_by_reason.values().sum::<u64>()
        );
        assert_eq!(input.skipped, input.skipped_by_reason.values().sum::<u64>());
        if input.regions.is_empty() {
            continue;
        }
        assert!(input.regions.len() >= 2, "one region listed: {input:?}");
        let mut next = 1;
        let mut previous = None;
        for r in &input.regions {
            assert_eq!(
                r.first_line, next,
                "regions not contiguous: {:?}",
                input.regions
            );
            assert!(r.lines > 0, "empty region: {:?}", input.regions);
            assert_ne!(
                previous,
                Some(r.format),
                "neighbours with one format: {:?}",
                input.regions
            );
            next = r.first_line + r.lines;
            previous = Some(r.format);
        }
        assert_eq!(
            next - 1,
            input.lines,
            "regions do not sum to the lines: {input:?}"
        );
    }
});
