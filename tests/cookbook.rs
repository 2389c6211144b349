//! The README's SQL cookbook (issue 15) answers its questions correctly:
//! every query runs in DuckDB on the samples' outputs and its answer
//! matches the same numbers computed another way, with pyarrow or from the
//! manifest (`tests/python/cookbook.py`). Two runs feed it: a flat one
//! with Zoom, and a nightly one (a state, a weekly key epoch) whose
//! day-partitioned output answers the weekly question and every daily web
//! question through the README's one-line change. Small-group suppression
//! is off (k = 1) so that every table has rows, and the policy names an
//! on-campus network the samples' addresses fall in, so the on-campus
//! question has something to count; a third run under the default k gives
//! the accounting question folded rows to add up. Like `bi_readback`, the test passes
//! with a notice where python3 lacks duckdb or pyarrow, but not under CI.

mod common;

use std::path::Path;

/// The policy of both runs: k = 1, one on-campus network of the samples,
/// and the key epoch (`week` gives the nightly run weekly tables).
fn policy(dir: &Path, epoch: &str) -> String {
    let path = dir.join(format!("{epoch}.toml"));
    std::fs::write(
        &path,
        format!(
            "[keys]\nepoch = \"{epoch}\"\n[suppression]\nk = 1\nallow_small_k = true\n\
             [network]\non_campus = [\"198.51.100.0/24\"]\n"
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn every_cookbook_query_runs_and_matches_its_reference() {
    if !common::python_has("duckdb, pyarrow") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let flat = tmp.path().join("flat");
    let r = common::run(
        &[&common::sample_logs()],
        &flat,
        &["-q", "--policy", &policy(tmp.path(), "day")],
    );
    common::assert_exit(&r, 0);

    // A state run publishes no Zoom tables (and exits 2 on Zoom inputs),
    // so the nightly run reads the web samples only.
    let key = tmp.path().join("logveil.key");
    common::keygen(&key);
    let parted = tmp.path().join("parted");
    let web = common::sample_files();
    let inputs: Vec<&Path> = web.iter().map(|p| p.as_path()).collect();
    let state = tmp.path().join("state");
    let r = common::run(
        &inputs,
        &parted,
        &[
            "-q",
            "--state",
            state.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
            "--policy",
            &policy(tmp.path(), "week"),
        ],
    );
    common::assert_exit(&r, 0);
    assert!(parted.join("web_sites_weekly").is_dir());

    let suppressed = tmp.path().join("suppressed");
    let r = common::run(&[&common::sample_logs()], &suppressed, &["-q"]);
    common::assert_exit(&r, 0);

    let readme = common::root().join("README.md");
    common::run_python(
        "cookbook.py",
        &[
            readme.as_os_str(),
            flat.as_os_str(),
            parted.as_os_str(),
            suppressed.as_os_str(),
        ],
    );
}
