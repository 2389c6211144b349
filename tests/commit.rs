//! The output directory is published all-or-nothing (issue 14, item 4).
//!
//! Kill tests: a run is aborted (as `kill -9` would end it) at every file
//! operation of its publishing, through the `LOGVEIL_TEST_ABORT_AT` hook;
//! after each, the output must be exactly the previous set or a complete
//! new one (manifest and files agree, every file reads back), and the next
//! run must clean up what the killed one left. Both swaps are covered: the
//! atomic exchange and the two-rename fallback. Then concurrent runs on one
//! output: one refuses naming the other (or waits with `--wait`), and no
//! file is ever unreadable.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use parquet::file::reader::{FileReader, SerializedFileReader};

const ABORT_ENV: &str = "LOGVEIL_TEST_ABORT_AT";
const NO_EXCHANGE_ENV: &str = "LOGVEIL_TEST_NO_EXCHANGE";

/// A Combined log of `n` lines with `pages` distinct pages.
fn write_log(path: &Path, n: usize, pages: usize) {
    let mut f = std::fs::File::create(path).unwrap();
    for i in 0..n {
        writeln!(
            f,
            r#"198.51.100.{} - - [28/Mar/2026:10:{:02}:00 +0000] "GET /page{} HTTP/1.1" 200 512 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0""#,
            i % 50,
            i % 60,
            i % pages
        )
        .unwrap();
    }
}

/// `logveil run` from inside `dir` (so an aborted run's core file, if the
/// system writes one, lands in the temp dir, never in the repository).
fn run_in(dir: &Path, input: &Path, out: &Path, extra: &[&str], env: &[(&str, String)]) -> Output {
    let mut c = common::logveil();
    c.current_dir(dir)
        .arg("run")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["-q", "--policy", &common::no_suppression(dir)])
        .args(extra);
    c.env_remove(ABORT_ENV).env_remove(NO_EXCHANGE_ENV);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Every file of a directory with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Checks that `out` is one consistent set: the manifest lists exactly the
/// Parquet files present, each reads back with the manifest's row count.
/// Returns the manifest's count of lines read.
fn consistent_set(out: &Path) -> u64 {
    let manifest = common::read_json(&out.join("_manifest.json"));
    let listed: BTreeMap<String, u64> = manifest["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["file"].as_str().unwrap().to_string(),
                t["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut present: Vec<String> = snapshot(out).into_keys().collect();
    present.retain(|n| n != "_manifest.json");
    assert_eq!(
        present,
        listed.keys().cloned().collect::<Vec<_>>(),
        "files and manifest disagree in {}",
        out.display()
    );
    assert!(listed.len() >= 7, "{listed:?}");
    for (file, rows) in &listed {
        let reader = SerializedFileReader::new(std::fs::File::open(out.join(file)).unwrap())
            .unwrap_or_else(|e| panic!("{file} does not read: {e}"));
        let n: i64 = reader.metadata().file_metadata().num_rows();
        assert_eq!(n as u64, *rows, "{file}");
        // Decode every value, as a reader would.
        assert_eq!(
            common::read_rows(&out.join(file)).len() as u64,
            *rows,
            "{file}"
        );
    }
    manifest["totals"]["lines"].as_u64().unwrap()
}

fn kill_at_every_step(no_exchange: bool) {
    let dir = tempfile::tempdir().unwrap();
    let (old_log, new_log) = (dir.path().join("old.log"), dir.path().join("new.log"));
    write_log(&old_log, 40, 5);
    write_log(&new_log, 70, 9);
    let out = dir.path().join("out");
    let mut env = Vec::new();
    if no_exchange {
        env.push((NO_EXCHANGE_ENV, "1".to_string()));
    }
    common::assert_exit(&run_in(dir.path(), &old_log, &out, &[], &env), 0);
    let mut steps = 0;
    for n in 1.. {
        let old = snapshot(&out);
        assert_eq!(consistent_set(&out), 40);
        let mut killed_env = env.clone();
        killed_env.push((ABORT_ENV, n.to_string()));
        let r = run_in(dir.path(), &new_log, &out, &[], &killed_env);
        if r.status.code() == Some(0) {
            // N is past the last step: the run finished.
            assert_eq!(consistent_set(&out), 70);
            break;
        }
        assert_eq!(r.status.code(), None, "step {n}: not aborted: {r:?}");
        steps = n;
        // Old set byte for byte, or a complete new one; never a mix.
        if out.exists() {
            if snapshot(&out) != old {
                assert_eq!(consistent_set(&out), 70, "step {n}");
            }
        } else {
            // Only the fallback has a moment without an output, between its
            // two renames; the next run puts the previous set back.
            assert!(no_exchange, "step {n}: output missing");
        }
        // The next run cleans up and publishes the old input again.
        common::assert_exit(&run_in(dir.path(), &old_log, &out, &[], &env), 0);
        assert_eq!(
            common::leftovers(dir.path()),
            Vec::<String>::new(),
            "step {n}"
        );
        assert_eq!(consistent_set(&out), 40);
        assert!(n < 200, "the hook never let the run finish");
    }
    // 11 tables × (create, sync), the manifest × 2, then fsync, swap,
    // fsync of the parent and removal of the old set.
    assert!(steps >= 2 * 11 + 2 + 4, "only {steps} steps");
    eprintln!("killed at each of {steps} steps (no_exchange = {no_exchange})");
}

#[test]
fn a_run_killed_at_any_step_leaves_the_old_set_or_the_new_one() {
    kill_at_every_step(false);
}

#[test]
fn the_two_rename_fallback_is_safe_at_any_step_too() {
    kill_at_every_step(true);
}

#[test]
fn a_first_run_killed_at_any_step_leaves_no_output_or_a_whole_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    write_log(&log, 30, 4);
    for n in 1.. {
        let out = dir.path().join(format!("out{n}"));
        let r = run_in(dir.path(), &log, &out, &[], &[(ABORT_ENV, n.to_string())]);
        if r.status.code() == Some(0) {
            break;
        }
        assert_eq!(r.status.code(), None, "{r:?}");
        if out.exists() {
            assert_eq!(consistent_set(&out), 30, "step {n}");
        }
        assert!(n < 200);
    }
}

#[test]
fn a_second_run_refuses_naming_the_first_or_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    write_log(&log, 20, 3);
    let out = dir.path().join("out");
    common::assert_exit(&run_in(dir.path(), &log, &out, &[], &[]), 0);
    let before = snapshot(&out);

    let (lock, _) = common::hold_lock(&out, 424242);
    let started = std::time::Instant::now();
    let r = run_in(dir.path(), &log, &out, &[], &[]);
    common::assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("another logveil run (pid 424242)"), "{err}");
    assert!(err.contains("--wait"), "{err}");
    // At once, not after reading the input.
    assert!(started.elapsed().as_secs() < 10);
    assert_eq!(snapshot(&out), before);
    assert_eq!(common::leftovers(dir.path()), Vec::<String>::new());

    // With --wait it runs once the lock is released.
    let mut c = common::logveil();
    c.current_dir(dir.path())
        .arg("run")
        .arg(&log)
        .arg("--out")
        .arg(&out)
        .args([
            "-q",
            "--wait",
            "--policy",
            &common::no_suppression(dir.path()),
        ]);
    let mut child = c.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "did not wait");
    assert_eq!(snapshot(&out), before);
    drop(lock);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(consistent_set(&out), 20);
    assert_ne!(snapshot(&out), before);
}

#[test]
fn concurrent_runs_never_leave_an_unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let logs: Vec<PathBuf> = (0..2)
        .map(|i| {
            let p = dir.path().join(format!("{i}.log"));
            write_log(&p, 300 + 100 * i, 5 + i);
            p
        })
        .collect();
    let out = dir.path().join("out");
    let policy = common::no_suppression(dir.path());
    let spawn = |log: &Path, wait: bool| {
        let mut c = common::logveil();
        c.current_dir(dir.path())
            .arg("run")
            .arg(log)
            .arg("--out")
            .arg(&out)
            .args(["-q", "--policy", &policy])
            .stderr(std::process::Stdio::piped());
        if wait {
            c.arg("--wait");
        }
        c.spawn().unwrap()
    };
    let mut refused = 0;
    for round in 0..8 {
        let wait = round % 2 == 1;
        let children: Vec<_> = logs.iter().map(|l| spawn(l, wait)).collect();
        let mut ok = 0;
        for child in children {
            let r = child.wait_with_output().unwrap();
            match r.status.code() {
                Some(0) => ok += 1,
                Some(1) if !wait => {
                    let err = String::from_utf8_lossy(&r.stderr);
                    assert!(err.contains("another logveil run"), "{err}");
                    refused += 1;
                }
                _ => panic!("round {round}: {r:?}"),
            }
        }
        assert!(ok >= 1, "round {round}");
        if wait {
            assert_eq!(ok, 2, "round {round}: --wait runs both");
        }
        let lines = consistent_set(&out);
        assert!(lines == 300 || lines == 400, "{lines}");
        assert_eq!(common::leftovers(dir.path()), Vec::<String>::new());
    }
    eprintln!("{refused} of 8 runs refused while the other held the lock");
}
