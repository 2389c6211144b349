//! A folder of Zoom exports gives the same tables however many threads
//! read it, and a large export read in parallel parts gives the same tables
//! as its pieces would on one thread. (That a document read in parts equals
//! it read whole, quoted newlines at part and block ends included, is
//! checked against the reader's internals in `src/pipeline/zoom.rs`.)

mod common;

use std::path::Path;

use common::{assert_exit, assert_same_tables, keygen, logveil, no_suppression, run};

/// Writes a generated history export of `rows` participant rows.
fn generate(path: &Path, rows: u64, seed: u64) {
    let status = logveil()
        .args([
            "gen",
            "--zoom",
            "--lines",
            &rows.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(path)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_zoom_folder_gives_the_same_tables_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    // One export larger than a read part (4 MiB), so it is read in
    // parts on both threads, and small ones beside it.
    generate(&inputs.join("big.csv"), 25_000, 1);
    for seed in 2..6 {
        generate(&inputs.join(format!("z{seed}.csv")), 2_000, seed);
    }
    let key = dir.path().join("key");
    keygen(&key);
    let policy = no_suppression(dir.path());
    let outs: Vec<_> = ["1", "2"]
        .iter()
        .map(|j| {
            let out = dir.path().join(format!("out-{j}"));
            let r = run(
                &[&inputs],
                &out,
                &[
                    "-q",
                    "-j",
                    j,
                    "--key-file",
                    key.to_str().unwrap(),
                    "--policy",
                    &policy,
                ],
            );
            assert_exit(&r, 0);
            out
        })
        .collect();
    assert_same_tables(&outs[0], &outs[1]);
    let manifest = |o: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(o.join("_manifest.json")).unwrap()).unwrap()
    };
    let (a, b) = (manifest(&outs[0]), manifest(&outs[1]));
    assert_eq!(a["totals"], b["totals"]);
    assert_eq!(
        a["totals"]["parsed"].as_u64(),
        Some(33_000),
        "{}",
        a["totals"]
    );
}
