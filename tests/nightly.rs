//! Nightly runs over a log directory under logrotate (issue 14): seven
//! nights of `logveil run <dir> --state <state>` publish, byte for byte, the
//! tables of one run over all the lines at once, and a night run twice
//! changes nothing.
//!
//! The server and logrotate are simulated by `tests/common/logrotate.rs`:
//! daily rotation at 06:25 local (+01:00) with `compress` and
//! `delaycompress`, one `copytruncate`, a run every night at 02:00, when
//! `access.log` holds yesterday from 06:25 and today until 02:00. Visitors
//! are active across the run time and across midnight, so days and sessions
//! are split between runs as they are in production.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::logrotate::{COPYTRUNCATE_NIGHT, Server, nights, play};
use common::{assert_exit, keygen, parquet_files as published, read_json, run};

const SEED: u64 = 14;

/// A run with a state directory, as the nightly timer starts it.
fn run_with_state(input: &Path, out: &Path, state: &Path, key: &Path) -> Output {
    let (state, key) = (state.to_str().unwrap(), key.to_str().unwrap());
    run(&[input], out, &["--state", state, "--key-file", key, "-q"])
}

/// The tables that differ between two published sets (missing on either
/// side or other bytes), for a failure message that names them.
fn differing(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| a.get(*n) != b.get(*n))
        .map(|n| match (a.contains_key(n), b.contains_key(n)) {
            (true, false) => format!("{n} (only nightly)"),
            (false, true) => format!("{n} (only one-shot)"),
            _ => format!("{n} (other bytes)"),
        })
        .collect()
}

/// `totals.parsed` of the manifest in `out`.
fn parsed(out: &Path) -> u64 {
    read_json(&out.join("_manifest.json"))["totals"]["parsed"]
        .as_u64()
        .unwrap()
}

struct Nightly {
    tmp: tempfile::TempDir,
    key: PathBuf,
    out: PathBuf,
    state: PathBuf,
}

impl Nightly {
    fn new() -> Nightly {
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("logveil.key");
        keygen(&key);
        Nightly {
            out: tmp.path().join("out"),
            state: tmp.path().join("state"),
            key,
            tmp,
        }
    }

    /// Tonight's run over the log directory.
    fn night(&self, server: &Server, night: u32) -> Output {
        let r = run_with_state(server.dir(), &self.out, &self.state, &self.key);
        assert!(
            r.status.code() == Some(0),
            "night {night} (copytruncate before night {COPYTRUNCATE_NIGHT}) exited {:?}: {}",
            r.status.code(),
            String::from_utf8_lossy(&r.stderr)
        );
        r
    }

    /// One run with a fresh state over every line written so far, in one
    /// file; returns its output directory.
    fn one_shot(&self, server: &Server, name: &str) -> PathBuf {
        let dir = self.tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        let all = dir.join("all.log");
        server.write_all_lines(&all);
        let out = dir.join("out");
        let r = run_with_state(&all, &out, &dir.join("state"), &self.key);
        assert_exit(&r, 0);
        out
    }
}

#[test]
fn seven_nights_publish_the_bytes_of_one_run_over_all_lines() {
    let n = Nightly::new();
    let mut server = Server::new(&n.tmp.path().join("logs"), SEED);
    let mut parsed_per_night = Vec::new();
    play(&mut server, &nights(7), |night, server| {
        n.night(server, night);
        parsed_per_night.push(parsed(&n.out));
        if night == 1 {
            let mode = std::fs::metadata(&n.state).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "the state is private");
        }
        // Every night, not only the seventh, so a failure names the first
        // night that diverges (the copytruncate one, a rotation, …).
        let once = n.one_shot(server, &format!("once-{night}"));
        let (nightly, one_shot) = (published(&n.out), published(&once));
        assert!(!nightly.is_empty(), "night {night} published no table");
        let diff = differing(&nightly, &one_shot);
        assert!(diff.is_empty(), "night {night}: {diff:#?}");
        // Each line is read once over the nights: nothing read again after
        // a rename, a compression or the truncation, nothing skipped.
        let total: u64 = parsed_per_night.iter().sum();
        assert_eq!(total, parsed(&once), "night {night}: {parsed_per_night:?}");
    });
    assert_eq!(parsed_per_night.len(), 7);
    let once = n.tmp.path().join("once-7/out");
    assert_eq!(parsed(&once), server.lines_written() as u64);
    // Day-partitioned, Hive style, one folder per day for the week.
    let days: Vec<_> = published(&n.out)
        .into_keys()
        .filter(|p| p.starts_with("web_pages/day=") && p.ends_with("/part-0.parquet"))
        .collect();
    assert!(days.len() >= 7, "{days:?}");
}

#[test]
fn a_night_run_twice_reads_nothing_new_and_changes_no_table() {
    let n = Nightly::new();
    let mut server = Server::new(&n.tmp.path().join("logs"), SEED);
    let mut checked = false;
    play(&mut server, &nights(3), |night, server| {
        n.night(server, night);
        if night != 3 {
            return;
        }
        assert!(parsed(&n.out) > 0);
        let before = published(&n.out);
        n.night(server, night);
        assert_eq!(parsed(&n.out), 0, "the second run read records again");
        let diff = differing(&before, &published(&n.out));
        assert!(diff.is_empty(), "{diff:#?}");
        checked = true;
    });
    assert!(checked);
}

/// Without `--state`, today's one-shot mode reads a whole rotated directory
/// (plain, `.1` and `.gz` files) and parses every simulated line, and it
/// publishes the bytes of a run over all the lines in one file, run after
/// run: the simulator writes what logveil reads, and the outputs are a pure
/// function of the lines and the key, so the nightly tests fail on state
/// handling only.
#[test]
fn one_shot_reads_a_rotated_directory_as_one_file_of_all_lines() {
    let n = Nightly::new();
    let mut server = Server::new(&n.tmp.path().join("logs"), SEED);
    play(&mut server, &nights(7), |_, _| {});
    let all = n.tmp.path().join("all.log");
    server.write_all_lines(&all);
    let key = n.key.to_str().unwrap();
    let one_shot = |input: &Path, out: &str| {
        let out = n.tmp.path().join(out);
        assert_exit(&run(&[input], &out, &["--key-file", key, "-q"]), 0);
        out
    };
    let dir = one_shot(server.dir(), "dir");
    let manifest = read_json(&dir.join("_manifest.json"));
    assert_eq!(manifest["totals"]["inputs"], 8);
    assert_eq!(manifest["totals"]["rejected"], 0);
    assert_eq!(parsed(&dir), server.lines_written() as u64);

    let (first, second) = (one_shot(&all, "first"), one_shot(&all, "second"));
    let tables = published(&first);
    assert!(tables.len() >= 5, "{:?}", tables.keys());
    assert!(differing(&tables, &published(&second)).is_empty());
    let diff = differing(&published(&dir), &tables);
    assert!(diff.is_empty(), "{diff:#?}");
}

#[test]
fn a_damaged_archive_is_counted_once_however_many_nights_it_stays() {
    // A cut-off `.gz` keeps its lines before the damage, and the run exits
    // 2 for it. The ledger must still note how far it was read: otherwise
    // those lines are merged again every night the archive stays.
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!(
            "192.0.2.{} - - [02/Mar/2026:10:{:02}:{:02} +0000] \"GET /p{} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0\"\n",
            i % 200,
            (i / 60) % 60,
            i % 60,
            i % 17,
            1000 + i
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let archive = logs.join("access.log.2.gz");
    std::fs::write(&archive, &gz[..gz.len() * 2 / 3]).unwrap();
    let key = tmp.path().join("logveil.key");
    keygen(&key);
    let (out, state) = (tmp.path().join("out"), tmp.path().join("state"));

    let first = run_with_state(&logs, &out, &state, &key);
    assert_exit(&first, 2);
    let parsed = read_json(&out.join("_manifest.json"))["totals"]["parsed"]
        .as_u64()
        .unwrap();
    assert!(parsed > 0 && parsed < 3000, "{parsed}");
    let tables = published(&out);
    let partials = published(&state);

    // Later nights resume after the lines read and meet the damage again:
    // nothing new is usable (exit 1), and neither the tables nor the
    // private partials change. Before, the kept lines were merged again
    // each night.
    for night in 2..=3 {
        let r = run_with_state(&logs, &out, &state, &key);
        assert_exit(&r, 1);
        assert_eq!(published(&out), tables, "night {night} changed the tables");
        assert_eq!(
            published(&state),
            partials,
            "night {night} changed the partials"
        );
    }
}
