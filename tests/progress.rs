//! Progress as an operator sees it: counted in bytes of the files on disk
//! (compressed files by their compressed bytes), a heartbeat line for cron
//! logs with `--progress=plain`, nothing but the summary when stderr is no
//! terminal, and a bar that stays one line in a 60-column tmux pane.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{keygen, logveil};
use logveil::RunConfig;
use logveil::pipeline::{KeySource, Progress};
use logveil::state::StateOptions;

/// `logveil gen --lines LINES --seed SEED --out PATH`.
fn gen_log(path: &Path, lines: u64, seed: u64) {
    let r = logveil()
        .args([
            "gen",
            "--lines",
            &lines.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(path)
        .output()
        .unwrap();
    common::assert_exit(&r, 0);
}

/// Gzips `path` to `path.gz` (as logrotate's `compress` does) and removes it.
fn gzip(path: &Path) -> PathBuf {
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&std::fs::read(path).unwrap()).unwrap();
    enc.finish().unwrap();
    std::fs::remove_file(path).unwrap();
    gz
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Runs the library over `inputs` with a progress to read afterwards.
fn run_counted(inputs: &[&Path], out: &Path, key: &Path, state: Option<&Path>) -> Arc<Progress> {
    let progress = Arc::new(Progress::default());
    let cfg = RunConfig::new(inputs.iter().map(|p| p.to_path_buf()).collect(), out)
        .key(KeySource::File(key.to_path_buf()))
        .state(state.map(StateOptions::new))
        // Small chunks: the counts must add up across many of them.
        .chunk_bytes(64 << 10)
        .progress(progress.clone());
    let report = logveil::run(&cfg).unwrap();
    assert_eq!(report.completion, logveil::Completion::Complete);
    progress
}

#[test]
fn bytes_done_end_at_the_on_disk_size_of_plain_and_compressed_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    keygen(&key);
    let plain = dir.path().join("access.log");
    gen_log(&plain, 20_000, 1);
    let rotated = dir.path().join("access.log.1");
    gen_log(&rotated, 20_000, 2);
    let decompressed = size(&rotated);
    let gz = gzip(&rotated);
    assert!(
        size(&gz) * 3 < decompressed,
        "the test needs real compression"
    );
    let p = run_counted(&[&plain, &gz], &dir.path().join("out"), &key, None);
    let on_disk = size(&plain) + size(&gz);
    // The old count added decompressed bytes: the gz counted ~5 times.
    assert_eq!(p.bytes_total.load(Ordering::Relaxed), on_disk);
    assert_eq!(p.bytes_done.load(Ordering::Relaxed), on_disk);
    assert_eq!(p.lines.load(Ordering::Relaxed), 40_000);
    assert_eq!(p.files_total.load(Ordering::Relaxed), 2);
    assert_eq!(p.files_started.load(Ordering::Relaxed), 2);
    let current = p.current_file();
    assert!(
        current == "access.log" || current == "access.log.1.gz",
        "{current}"
    );
}

#[test]
fn with_a_state_only_what_will_be_read_counts() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    keygen(&key);
    let (state, out) = (dir.path().join("state"), dir.path().join("out"));
    let live = dir.path().join("access.log");
    gen_log(&live, 5_000, 3);
    let rotated = dir.path().join("access.log.1");
    gen_log(&rotated, 5_000, 4);
    let gz = gzip(&rotated);
    let first = run_counted(&[&live, &gz], &out, &key, Some(&state));
    let all = size(&live) + size(&gz);
    assert_eq!(first.bytes_total.load(Ordering::Relaxed), all);
    assert_eq!(first.bytes_done.load(Ordering::Relaxed), all);
    // The server appends; the rotated file was read to its end and is
    // skipped, the live one is read from where the first run stopped.
    let before = size(&live);
    let more = dir.path().join("more.log");
    gen_log(&more, 1_000, 5);
    let appended = std::fs::read(&more).unwrap();
    std::fs::remove_file(&more).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&live)
        .unwrap()
        .write_all(&appended)
        .unwrap();
    let second = run_counted(&[&live, &gz], &out, &key, Some(&state));
    let new = size(&live) - before;
    assert_eq!(new, appended.len() as u64);
    assert_eq!(second.bytes_total.load(Ordering::Relaxed), new);
    assert_eq!(second.bytes_done.load(Ordering::Relaxed), new);
    assert_eq!(second.files_total.load(Ordering::Relaxed), 1);
    assert_eq!(second.lines.load(Ordering::Relaxed), 1_000);
}

/// The documented heartbeat: `logveil: 43% 1.2/2.8 GiB, 4.1 M lines,
/// 1.02 M lines/s, ETA 00:41, file 3/14`.
fn heartbeat() -> regex::Regex {
    regex::Regex::new(
        r"^logveil: (\d{1,3})% \d+(\.\d)?/\d+(\.\d)? (B|KiB|MiB|GiB|TiB), \d+(\.\d k| k|\.\d M)? lines, \d+\.\d+ (k|M) lines/s, ETA ((\d+:)?\d\d:\d\d|--:--), file \d+/\d+$",
    )
    .unwrap()
}

/// Two generated inputs, one rotated and gzipped, and a key.
fn two_inputs(dir: &Path, lines: u64) -> (PathBuf, Vec<PathBuf>) {
    let key = dir.join("k.key");
    keygen(&key);
    let logs = dir.join("logs");
    std::fs::create_dir(&logs).unwrap();
    gen_log(&logs.join("access.log"), lines, 1);
    gen_log(&logs.join("access.log.1"), lines, 2);
    let gz = gzip(&logs.join("access.log.1"));
    (key, vec![logs.join("access.log"), gz])
}

fn run_logged(key: &Path, inputs: &[PathBuf], out: &Path, extra: &[&str]) -> String {
    let r = logveil()
        .env("LOGVEIL_PROGRESS_INTERVAL_MS", "10")
        .arg("run")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .arg("--key-file")
        .arg(key)
        .args(extra)
        .output()
        .unwrap();
    common::assert_exit(&r, 0);
    String::from_utf8(r.stderr).unwrap()
}

#[test]
fn plain_progress_writes_heartbeat_lines_and_auto_without_a_terminal_writes_none() {
    let dir = tempfile::tempdir().unwrap();
    let (key, inputs) = two_inputs(dir.path(), 30_000);
    let err = run_logged(&key, &inputs, &dir.path().join("a"), &["--progress=plain"]);
    let re = heartbeat();
    let beats: Vec<u64> = err
        .lines()
        .filter_map(|l| re.captures(l))
        .map(|c| c[1].parse().unwrap())
        .collect();
    assert!(beats.len() >= 2, "no heartbeat lines:\n{err}");
    assert!(beats.windows(2).all(|w| w[0] <= w[1]) && beats.iter().all(|&p| p <= 100));
    // Every line that looks like one is one; a cron log gets no redraws
    // and no file names.
    for line in err.lines().filter(|l| l.contains(" lines/s, ETA")) {
        assert!(re.is_match(line), "{line:?}");
        assert!(!line.contains("access.log"), "{line:?}");
    }
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
    assert!(err.contains("logveil: summary"), "{err}");

    // Stderr is no terminal here: `auto` (the default) draws nothing, and
    // `bar` leaves the drawing to a terminal too.
    for extra in [&[][..], &["--progress=bar"][..]] {
        let out = dir.path().join(format!("b{}", extra.len()));
        let err = run_logged(&key, &inputs, &out, extra);
        assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
        assert!(!err.lines().any(|l| re.is_match(l)), "{err}");
        assert!(err.contains("logveil: summary"), "{err}");
        assert!(err.contains("\n  lines       60,000\n"), "{err}");
    }
    // -q: nothing at all, whatever --progress says.
    let err = run_logged(
        &key,
        &inputs,
        &dir.path().join("q"),
        &["-q", "--progress=plain"],
    );
    assert_eq!(err, "");
}

#[test]
fn the_summary_table_counts_rejects_by_reason_and_what_disclosure_control_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let (key, inputs) = two_inputs(dir.path(), 5_000);
    let err = run_logged(&key, &inputs, &dir.path().join("out"), &["--progress=none"]);
    let table: Vec<&str> = err
        .lines()
        .skip_while(|l| *l != "logveil: summary")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    let row = |label: &str| {
        table
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("{label} ")))
            .unwrap_or_else(|| panic!("no {label} row in\n{err}"))
            .to_string()
    };
    assert!(row("inputs").ends_with(" 2"), "{err}");
    assert!(row("lines").ends_with(" 10,000"), "{err}");
    // `gen` writes a few malformed lines on purpose, of several kinds.
    let rejected =
        regex::Regex::new(r"^  rejected +\d+ \(\d+\.\d%\): \d+ [a-z_]+(, \d+ [a-z_]+)*$").unwrap();
    assert!(rejected.is_match(&row("rejected")), "{err}");
    assert!(row("tables").contains(" rows"), "{err}");
    // With the default policy, small groups are folded.
    assert!(row("disclosure").contains("folded into (other)"), "{err}");
    assert!(row("time").ends_with(" lines/s"), "{err}");
    // The per-input reject lines stay.
    assert!(
        err.contains("access.log: ") && err.contains(" lines rejected ("),
        "{err}"
    );
    // A nightly run's set has a file per table and day, and says so.
    let state = dir.path().join("state").display().to_string();
    let err = run_logged(
        &key,
        &inputs,
        &dir.path().join("days"),
        &["--state", &state],
    );
    let files = regex::Regex::new(r"\n  tables +\d+ files, [\d,]+ rows\n").unwrap();
    assert!(files.is_match(&err), "{err}");
    assert!(err.contains("logveil: re-published "), "{err}");
}

/// `tmux`, if installed.
fn tmux() -> Option<PathBuf> {
    let found = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    found.then(|| PathBuf::from("tmux"))
}

#[test]
fn the_bar_stays_one_line_in_a_60_column_tmux_pane() {
    let Some(tmux) = tmux() else {
        eprintln!("skipped: tmux is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    keygen(&key);
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // Long enough for the pane to be read several times while the bar is
    // drawn: an optimized build reads ten times as fast.
    let lines = if cfg!(debug_assertions) {
        40_000
    } else {
        400_000
    };
    for i in 1..=3 {
        let log = logs.join(format!("access.log.{i}"));
        gen_log(&log, lines, i);
        gzip(&log);
    }
    // A server of its own, so the developer's tmux is left alone.
    let socket = format!("logveil-test-{}", std::process::id());
    let tmux_cmd = || {
        let mut c = std::process::Command::new(&tmux);
        c.args(["-L", &socket, "-f", "/dev/null"]);
        c
    };
    let command = format!(
        "{} run {} --out {} --key-file {} --threads 1; sleep 30",
        env!("CARGO_BIN_EXE_logveil"),
        logs.display(),
        dir.path().join("out").display(),
        key.display()
    );
    let started = tmux_cmd()
        .args([
            "new-session",
            "-d",
            "-s",
            "bar",
            "-x",
            "60",
            "-y",
            "20",
            &command,
        ])
        .status()
        .unwrap();
    assert!(started.success());
    let bar = regex::Regex::new(r"^ *\d{1,3}% \[").unwrap();
    let mut seen = Vec::new();
    for _ in 0..300 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let pane = tmux_cmd()
            .args(["capture-pane", "-p", "-t", "bar"])
            .output()
            .unwrap();
        let pane = String::from_utf8_lossy(&pane.stdout).into_owned();
        if pane.contains("logveil: summary") {
            break;
        }
        let lines: Vec<&str> = pane.lines().filter(|l| !l.trim().is_empty()).collect();
        if let Some(last) = lines.last().filter(|l| bar.is_match(l)) {
            // One line: nothing wrapped onto the line after, nothing
            // stacked above from earlier redraws.
            assert_eq!(
                lines.iter().filter(|l| bar.is_match(l)).count(),
                1,
                "{pane}"
            );
            assert!(last.chars().count() <= 60, "{last:?}");
            seen.push(last.to_string());
        }
    }
    let _ = tmux_cmd().arg("kill-server").status();
    assert!(!seen.is_empty(), "the bar was never seen in the pane");
    // In 60 columns it still says where the run is and when it ends.
    assert!(
        seen.iter().any(|l| l.contains("ETA ") && l.contains("MiB")),
        "{seen:#?}"
    );
    eprintln!("{}", seen.last().unwrap_or(&String::new()));
}
