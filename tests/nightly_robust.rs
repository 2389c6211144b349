//! The nightly state is robust (issue 14): a run killed at any file
//! operation of its two commits (state, then output) leaves an output that
//! reads as the previous night's set or the new one, and the next run
//! neither loses nor counts twice a line; two runs on one state exclude
//! each other; a state refuses a run that would mix keys or policies, and
//! a damaged state is named rather than used; retention deletes old
//! partials without touching published days; a new output directory gets
//! every stored day; nothing of the state's pseudonyms reaches the output.
//!
//! Runs use one thread (`-j 1`) so the step numbers of the kill matrix
//! name the same operation on every machine; the tables do not depend on
//! the thread count.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use common::logrotate::{Server, nights, play};
use common::{assert_exit, keygen, read_json};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const ABORT_ENV: &str = "LOGVEIL_TEST_ABORT_AT";
const NO_EXCHANGE_ENV: &str = "LOGVEIL_TEST_NO_EXCHANGE";
const SEED: u64 = 1414;

/// A nightly `logveil run INPUT --out OUT --state STATE --key-file KEY`
/// from inside `cwd` (an aborted run's core file, if any, lands there).
struct Night<'a> {
    cwd: &'a Path,
    input: &'a Path,
    key: &'a Path,
    extra: Vec<String>,
}

impl Night<'_> {
    fn command(&self, out: &Path, state: &Path) -> Command {
        let mut c = common::logveil();
        c.current_dir(self.cwd)
            .arg("run")
            .arg(self.input)
            .arg("--out")
            .arg(out)
            .arg("--state")
            .arg(state)
            .arg("--key-file")
            .arg(self.key)
            .args(["-q", "-j", "1"])
            .args(&self.extra)
            .env_remove(ABORT_ENV)
            .env_remove(NO_EXCHANGE_ENV);
        c
    }

    fn run(&self, out: &Path, state: &Path, env: &[(&str, String)]) -> Output {
        let mut c = self.command(out, state);
        c.envs(env.iter().map(|(k, v)| (k, v)));
        c.output().unwrap()
    }

    fn ok(&self, out: &Path, state: &Path) -> Output {
        let r = self.run(out, state, &[]);
        assert_exit(&r, 0);
        r
    }
}

/// The tables that differ between two sets, for failure messages.
fn differing(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    names
        .into_iter()
        .filter(|n| a.get(*n) != b.get(*n))
        .map(|n| format!("{n} ({}/{})", a.contains_key(n), b.contains_key(n)))
        .collect()
}

/// Copies a tree (files copied, modes kept).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    let mode = std::fs::metadata(from).unwrap().permissions();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dst = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), &dst).unwrap();
        }
    }
    std::fs::set_permissions(to, mode).unwrap();
}

/// Files in the state that a state does not hold: anything but the
/// ledger, `state.json` and the two files of each day's partial.
fn stray_state_files(state: &Path) -> Vec<String> {
    common::files_under(state)
        .into_keys()
        .filter(|rel| {
            let parts: Vec<&str> = rel.split('/').collect();
            !matches!(
                parts.as_slice(),
                ["ledger.json" | "state.json"]
                    | ["partials", _, "rows.parquet" | "sessions.parquet"]
            ) || (parts.len() == 3 && !parts[1].starts_with("day="))
        })
        .collect()
}

/// The manifest of `out`.
fn manifest(out: &Path) -> serde_json::Value {
    read_json(&out.join("_manifest.json"))
}

/// The state generation the output says it was published from.
fn out_generation(out: &Path) -> Option<String> {
    let path = out.join("_manifest.json");
    path.exists()
        .then(|| {
            manifest(out)["days"]["state_generation"]
                .as_str()
                .map(String::from)
        })
        .flatten()
}

/// The state's generation, as `state.json` says.
fn state_generation(state: &Path) -> Option<String> {
    let path = state.join("state.json");
    path.exists()
        .then(|| read_json(&path)["generation"].as_str().map(String::from))
        .flatten()
}

/// Where a killed run stopped, told from what it left on disk.
fn phase(work: &Path, base_state_gen: &str, base_out_gen: &str, touched: &[String]) -> String {
    let names = common::leftovers(work);
    let has = |prefix: &str| names.iter().any(|n| n.starts_with(prefix));
    let state_gen = state_generation(&work.join("state"));
    let out_gen = out_generation(&work.join("out"));
    let state_done = state_gen.as_deref().is_some_and(|g| g != base_state_gen);
    let out_done = out_gen.as_deref().is_some_and(|g| g != base_out_gen);
    let kind = match (state_done, out_done) {
        _ if !work.join("state").exists() => "state swap (state set aside)",
        _ if !work.join("out").exists() => "output swap (output set aside)",
        (false, false) if has(".state.logveil-old-") => "state swap (old state not removed)",
        (false, false) => return staged(work, touched),
        (true, false) if has(".state.logveil-tmp-") || has(".state.logveil-old-") => {
            "after the state swap (old state not removed)"
        }
        (true, false) => "between the commits",
        (true, true) if has(".out.logveil-tmp-") || has(".out.logveil-old-") => {
            "after the output swap (old set not removed)"
        }
        (true, true) => "after both commits",
        (false, true) => "OUTPUT AHEAD OF STATE",
    };
    kind.to_string()
}

/// Where a run killed before its state swap stopped, from what its two
/// staging directories hold.
fn staged(work: &Path, touched: &[String]) -> String {
    let staging = |prefix: &str| {
        common::leftovers(work)
            .into_iter()
            .find(|n| n.starts_with(prefix))
            .map(|n| common::files_under(&work.join(n)))
            .unwrap_or_default()
    };
    let (state, out) = (staging(".state.logveil-tmp-"), staging(".out.logveil-tmp-"));
    let partials = state.keys().filter(|k| k.starts_with("partials/")).count();
    let carried = state
        .keys()
        .filter(|k| k.starts_with("partials/") && !touched.iter().any(|d| k.contains(d.as_str())))
        .count();
    match (
        state.contains_key("ledger.json"),
        state.contains_key("state.json"),
    ) {
        (true, true) => "state commit: state staged, before its swap".into(),
        (true, false) => "state commit: ledger saved, writing state.json".into(),
        _ if carried > 0 => {
            format!("state commit: carrying untouched days' partials over ({carried} files linked)")
        }
        _ => format!(
            "writing tables and partials ({} table files, {partials} partial files staged)",
            out.len()
        ),
    }
}

/// Night 1 and the clean night 2 of the kill matrix: the night-1 state and
/// output every killed run starts from, and what night 2 publishes.
struct Matrix {
    tmp: tempfile::TempDir,
    key: PathBuf,
    logs: PathBuf,
    base: PathBuf,
    ref1: BTreeMap<String, Vec<u8>>,
    ref2: BTreeMap<String, Vec<u8>>,
    held: [serde_json::Value; 2],
    partials2: BTreeMap<String, Vec<u8>>,
    generations: (String, String),
    /// The days night 2 publishes (`day=…`).
    touched: Vec<String>,
}

/// One row of the matrix: the step, where the run stopped, what a reader
/// found before the rerun.
type Row = (u64, String, &'static str);

impl Matrix {
    /// Plays two nights: night 1 into `base`, night 2 into a copy of it.
    fn new() -> Matrix {
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("logveil.key");
        keygen(&key);
        let mut server = Server::new(&tmp.path().join("logs"), SEED);
        let logs = server.dir().to_path_buf();
        let base = tmp.path().join("base");
        let clean = tmp.path().join("clean");
        play(&mut server, &nights(2), |n, _| {
            let night = Night {
                cwd: tmp.path(),
                input: &logs,
                key: &key,
                extra: Vec::new(),
            };
            if n == 1 {
                night.ok(&base.join("out"), &base.join("state"));
            } else {
                copy_tree(&base.join("out"), &clean.join("out"));
                copy_tree(&base.join("state"), &clean.join("state"));
                night.ok(&clean.join("out"), &clean.join("state"));
            }
        });
        let (ref1, ref2) = (
            common::parquet_files(&base.join("out")),
            common::parquet_files(&clean.join("out")),
        );
        assert_ne!(ref1, ref2, "night 2 changed no table");
        let held = |dir: &Path| manifest(&dir.join("out"))["days"]["held"].clone();
        let touched = manifest(&clean.join("out"))["days"]["published"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| format!("day={}", d.as_str().unwrap()))
            .collect();
        Matrix {
            partials2: common::files_under(&clean.join("state").join("partials")),
            held: [held(&base), held(&clean)],
            generations: (
                state_generation(&base.join("state")).unwrap(),
                out_generation(&base.join("out")).unwrap(),
            ),
            touched,
            ref1,
            ref2,
            base,
            logs,
            key,
            tmp,
        }
    }

    fn night(&self) -> Night<'_> {
        Night {
            cwd: self.tmp.path(),
            input: &self.logs,
            key: &self.key,
            extra: Vec::new(),
        }
    }

    /// Night 2 killed at `step`, from night 1; checks what a reader finds,
    /// then reruns night 2 and a third night. `None` when the run went
    /// past its last step and completed.
    fn kill_at(&self, step: u64, no_exchange: bool) -> Option<Row> {
        let night = self.night();
        let mut env = Vec::new();
        if no_exchange {
            env.push((NO_EXCHANGE_ENV, "1".to_string()));
        }
        let swap = if no_exchange { "renames" } else { "exchange" };
        let work = self.tmp.path().join(format!("kill-{swap}-{step}"));
        let (out, state) = (work.join("out"), work.join("state"));
        copy_tree(&self.base.join("out"), &out);
        copy_tree(&self.base.join("state"), &state);
        let mut killed_env = env.clone();
        killed_env.push((ABORT_ENV, step.to_string()));
        let r = night.run(&out, &state, &killed_env);
        if r.status.success() {
            assert_eq!(
                common::parquet_files(&out),
                self.ref2,
                "the run past every step"
            );
            std::fs::remove_dir_all(&work).unwrap();
            return None;
        }
        assert_eq!(r.status.code(), None, "step {step}: {r:?}");
        let kind = phase(
            &work,
            &self.generations.0,
            &self.generations.1,
            &self.touched,
        );
        assert_ne!(kind, "OUTPUT AHEAD OF STATE", "step {step}");
        // (a) A reader finds night 1 or night 2, whole, with its manifest.
        let now = common::parquet_files(&out);
        let seen = if now == self.ref1 {
            assert_eq!(manifest(&out)["days"]["held"], self.held[0], "step {step}");
            "night-1 set"
        } else if now == self.ref2 {
            assert_eq!(manifest(&out)["days"]["held"], self.held[1], "step {step}");
            "night-2 set"
        } else if !out.exists() && no_exchange {
            // Between the two renames of the fallback the output does not
            // exist (never a mix); the next run puts it back.
            "no output (set aside)"
        } else {
            panic!(
                "step {step} ({kind}): a mix: vs night 1 {:?}, vs night 2 {:?}",
                differing(&now, &self.ref1),
                differing(&now, &self.ref2)
            );
        };
        // (b) Night 2 again, not killed: the clean night's bytes.
        let again = night.run(&out, &state, &env);
        assert_exit(&again, 0);
        let diff = differing(&common::parquet_files(&out), &self.ref2);
        assert!(
            diff.is_empty(),
            "step {step} ({kind}) then a rerun: {diff:#?}"
        );
        // No line counted twice or lost in the private partials either.
        assert!(
            common::files_under(&state.join("partials")) == self.partials2,
            "step {step} ({kind}): partials after the rerun differ from a clean night's"
        );
        assert_eq!(
            common::leftovers(&work),
            Vec::<String>::new(),
            "step {step}"
        );
        assert_eq!(
            stray_state_files(&state),
            Vec::<String>::new(),
            "step {step}"
        );
        // A third run (nothing new) works and changes no table. Kills
        // before a swap leave the state and the output of the steps next
        // to them, so only every fourth of those runs a third time, to
        // spare the time.
        let staging = kind.starts_with("writing")
            || kind.starts_with("state commit")
            || kind == "between the commits";
        if !staging || step.is_multiple_of(4) {
            let third = night.run(&out, &state, &env);
            assert_exit(&third, 0);
            assert_eq!(manifest(&out)["totals"]["parsed"], 0, "step {step}");
            assert!(
                differing(&common::parquet_files(&out), &self.ref2).is_empty(),
                "step {step}"
            );
        }
        std::fs::remove_dir_all(&work).unwrap();
        Some((step, kind, seen))
    }

    /// Kills night 2 at each of `steps` (several at a time: the runs wait
    /// on fsync more than they compute), stopping after the first batch in
    /// which a run completed. Rows in step order, with the completing one.
    fn run(&self, steps: &[u64], no_exchange: bool) -> Vec<Row> {
        const AT_ONCE: usize = 8;
        let mut rows = Vec::new();
        for batch in steps.chunks(AT_ONCE) {
            let results: Vec<(u64, Option<Row>)> = std::thread::scope(|s| {
                let handles: Vec<_> = batch
                    .iter()
                    .map(|&n| (n, s.spawn(move || self.kill_at(n, no_exchange))))
                    .collect();
                handles
                    .into_iter()
                    .map(|(n, h)| (n, h.join().unwrap()))
                    .collect()
            });
            let mut done = false;
            for (n, row) in results {
                match row {
                    Some(row) => rows.push(row),
                    None if !done => {
                        rows.push((n, "no step left".into(), "night-2 set (completed)"));
                        done = true;
                    }
                    None => {}
                }
            }
            if done {
                break;
            }
        }
        rows
    }
}

fn print_matrix(title: &str, rows: &[Row]) {
    println!(
        "kill matrix ({title}): N | where the run stopped | output after the kill (then: rerun = clean night-2 bytes and partials, third run ok)"
    );
    for (n, kind, seen) in rows {
        println!("  {n:>3} | {kind} | {seen}");
    }
}

#[test]
fn a_night_killed_at_any_step_of_either_commit_loses_and_doubles_nothing() {
    let m = Matrix::new();
    let all: Vec<u64> = (1..=400).collect();
    let rows = m.run(&all, false);
    print_matrix("atomic exchange", &rows);
    let last = rows.last().unwrap();
    assert_eq!(last.1, "no step left", "{rows:?}");
    assert!(rows.len() > 10, "{rows:?}");
    for kind in [
        "between the commits",
        "after the output swap (old set not removed)",
    ] {
        assert!(rows.iter().any(|r| r.1 == kind), "{kind}: {rows:?}");
    }
    // The two-rename fallback around both swaps: from the last step
    // before the state's swap to the end.
    let state_swap = rows
        .iter()
        .filter(|r| r.1.starts_with("state commit") || r.1.starts_with("writing"))
        .map(|r| r.0)
        .max()
        .unwrap();
    let end = last.0;
    let mut steps: Vec<u64> = (state_swap..=state_swap + 3).collect();
    steps.extend(end.saturating_sub(4).max(state_swap + 4)..=end + 2);
    let rows = m.run(&steps, true);
    print_matrix("two renames", &rows);
    for kind in [
        "state swap (state set aside)",
        "output swap (output set aside)",
    ] {
        assert!(rows.iter().any(|r| r.1 == kind), "{kind}: {rows:?}");
    }
}

/// A Combined log of `per_day` lines on each of `days` (of March 2026,
/// UTC); `salt` varies the visitors and the seconds, so two files never
/// share a line.
fn write_days(path: &Path, days: &[u32], per_day: usize, salt: usize) {
    let mut f = std::fs::File::create(path).unwrap();
    for &d in days {
        for i in 0..per_day {
            writeln!(
                f,
                r#"198.51.100.{} - - [{d:02}/Mar/2026:{:02}:{:02}:{:02} +0000] "GET /page{} HTTP/1.1" 200 512 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0""#,
                (i + salt) % 60,
                (i / 60) % 24,
                i % 60,
                salt % 60,
                i % 5
            )
            .unwrap();
        }
    }
}

/// A directory of small hand-written logs with a key and a policy without
/// suppression (so every day has rows in every table).
struct Small {
    tmp: tempfile::TempDir,
    key: PathBuf,
    logs: PathBuf,
    policy: String,
}

impl Small {
    fn new() -> Small {
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("logveil.key");
        keygen(&key);
        let logs = tmp.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        let policy = common::no_suppression(tmp.path());
        Small {
            key,
            logs,
            policy,
            tmp,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn night(&self, extra: &[&str]) -> Night<'_> {
        let mut all = vec!["--policy".to_string(), self.policy.clone()];
        all.extend(extra.iter().map(|s| s.to_string()));
        Night {
            cwd: self.tmp.path(),
            input: &self.logs,
            key: &self.key,
            extra: all,
        }
    }
}

#[test]
fn a_second_run_on_one_state_refuses_naming_the_lock_or_waits() {
    let s = Small::new();
    write_days(&s.logs.join("a.log"), &[27, 28], 120, 0);
    let night = s.night(&[]);
    let (out, state) = (s.path("out"), s.path("state"));
    night.ok(&out, &state);
    write_days(&s.logs.join("b.log"), &[28], 50, 7);
    let (out_before, state_before) = (common::files_under(&out), common::files_under(&state));

    // Another run holds the state (even writing another output).
    let (lock, lock_path) = common::hold_lock(&state, 424242);
    for target in [&out, &s.path("other-out")] {
        let r = night.run(target, &state, &[]);
        assert_exit(&r, 1);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("another logveil run (pid 424242)"), "{err}");
        assert!(err.contains(&*lock_path.to_string_lossy()), "{err}");
        assert!(err.contains("--wait"), "{err}");
    }
    assert!(common::files_under(&out) == out_before && common::files_under(&state) == state_before);
    assert!(!s.path("other-out").exists(), "a refused run published");
    assert_eq!(common::leftovers(s.tmp.path()), Vec::<String>::new());

    // With --wait, it runs once the lock is released.
    let mut child = s.night(&["--wait"]).command(&out, &state).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "did not wait");
    assert!(common::files_under(&out) == out_before && common::files_under(&state) == state_before);
    drop(lock);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(manifest(&out)["totals"]["parsed"], 50);
}

#[test]
fn concurrent_runs_on_one_state_publish_what_one_run_does() {
    let s = Small::new();
    write_days(&s.logs.join("a.log"), &[26, 27, 28], 150, 0);
    let single = (s.path("single-out"), s.path("single-state"));
    s.night(&[]).ok(&single.0, &single.1);
    let reference = common::parquet_files(&single.0);
    for (round, wait) in [(0, false), (1, false), (2, true)] {
        let (out, state) = (
            s.path(&format!("out-{round}")),
            s.path(&format!("state-{round}")),
        );
        let night = s.night(if wait { &["--wait"] } else { &[] });
        let children: Vec<_> = (0..2)
            .map(|_| {
                night
                    .command(&out, &state)
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let results: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let mut published = 0;
        for r in &results {
            let err = String::from_utf8_lossy(&r.stderr);
            match r.status.code() {
                Some(0) => published += 1,
                Some(1) if !wait => assert!(err.contains(".logveil-lock"), "{err}"),
                other => panic!("round {round}: exit {other:?}: {err}"),
            }
        }
        assert!(published > usize::from(wait), "round {round}");
        // Whoever won, the tables are one run's, and each reads back.
        let diff = differing(&common::parquet_files(&out), &reference);
        assert!(diff.is_empty(), "round {round}: {diff:#?}");
        for name in common::parquet_files(&out).keys() {
            common::read_rows(&out.join(name));
        }
        assert_eq!(common::leftovers(s.tmp.path()), Vec::<String>::new());
        assert_eq!(stray_state_files(&state), Vec::<String>::new());
    }
}

#[test]
fn a_state_without_a_key_file_is_refused_before_anything_is_made() {
    let s = Small::new();
    write_days(&s.logs.join("a.log"), &[28], 30, 0);
    let (out, state) = (s.path("out"), s.path("state"));
    let r = common::run(
        &[&s.logs],
        &out,
        &[
            "--state",
            state.to_str().unwrap(),
            "-q",
            "--policy",
            &s.policy,
        ],
    );
    assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("key file") && err.contains("logveil keygen"),
        "{err}"
    );
    assert!(!out.exists() && !state.exists(), "{err}");
    let names: Vec<String> = std::fs::read_dir(s.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("logveil"))
        .collect();
    assert!(names.iter().all(|n| n == "logveil.key"), "{names:?}");
}

/// Runs that must refuse the state: exit 1, a message holding `says`,
/// and neither the output nor the state changed.
fn refused(night: &Night, out: &Path, state: &Path, says: &[&str]) {
    let (out_before, state_before) = (common::files_under(out), common::files_under(state));
    let r = night.run(out, state, &[]);
    assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    for s in says {
        assert!(err.contains(s), "{s:?} not in: {err}");
    }
    assert!(
        common::files_under(out) == out_before,
        "the output changed: {err}"
    );
    assert!(
        common::files_under(state) == state_before,
        "the state changed: {err}"
    );
}

#[test]
fn a_state_refuses_another_key_and_another_policy() {
    let s = Small::new();
    write_days(&s.logs.join("a.log"), &[27, 28], 60, 0);
    let (out, state) = (s.path("out"), s.path("state"));
    s.night(&[]).ok(&out, &state);
    write_days(&s.logs.join("b.log"), &[28], 20, 3);

    let other_key = s.path("other.key");
    keygen(&other_key);
    let mut night = s.night(&[]);
    night.key = &other_key;
    refused(
        &night,
        &out,
        &state,
        &["another key", &state.to_string_lossy()],
    );

    let policy = s.path("k5.toml");
    std::fs::write(&policy, "[suppression]\nk = 5\n").unwrap();
    let mut night = s.night(&[]);
    night.extra = vec!["--policy".into(), policy.to_string_lossy().into_owned()];
    refused(&night, &out, &state, &["other settings", "policy"]);

    // With the key and policy it was made with, the new lines go in.
    s.night(&[]).ok(&out, &state);
    assert_eq!(manifest(&out)["totals"]["parsed"], 20);
}

#[test]
fn a_damaged_state_is_named_and_the_output_left_alone() {
    let s = Small::new();
    write_days(&s.logs.join("a.log"), &[27, 28], 60, 0);
    let (out, state) = (s.path("out"), s.path("state"));
    s.night(&[]).ok(&out, &state);
    // New lines for the 28th, whose partial the next run reads.
    write_days(&s.logs.join("b.log"), &[28], 20, 3);
    let night = s.night(&[]);
    let partial = state.join("partials/day=2026-03-28/rows.parquet");
    let cases: [(&str, PathBuf, &[u8]); 3] = [
        ("state.json", state.join("state.json"), b"{\"what\": "),
        ("ledger.json", state.join("ledger.json"), b"[1, 2"),
        ("partial", partial.clone(), b"PAR1 not really"),
    ];
    for (what, file, junk) in cases {
        let good = std::fs::read(&file).unwrap();
        std::fs::write(&file, junk).unwrap();
        let name = file.to_string_lossy().into_owned();
        refused(&night, &out, &state, &[name.as_str()]);
        let r = night.run(&out, &state, &[]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.contains("damaged") || err.contains("cannot be read") || err.contains("corrupt"),
            "{what}: {err}"
        );
        std::fs::write(&file, good).unwrap();
    }
    // A partial file gone is named as the state's, not as an output.
    let sessions = state.join("partials/day=2026-03-28/sessions.parquet");
    let good = std::fs::read(&sessions).unwrap();
    std::fs::remove_file(&sessions).unwrap();
    let name = sessions.to_string_lossy().into_owned();
    refused(
        &night,
        &out,
        &state,
        &[name.as_str(), "private partial", "backup"],
    );
    std::fs::write(&sessions, good).unwrap();
    s.night(&[]).ok(&out, &state);
    assert_eq!(manifest(&out)["totals"]["parsed"], 20);
}

#[test]
fn a_state_missing_its_ledger_or_its_description_is_refused() {
    let s = Small::new();
    write_days(&s.logs.join("a.log"), &[27, 28], 60, 0);
    let (out, state) = (s.path("out"), s.path("state"));
    s.night(&[]).ok(&out, &state);
    let night = s.night(&[]);
    // Without the ledger every log would be read again and counted twice;
    // without `state.json` partials of any key or policy would be merged.
    for file in ["ledger.json", "state.json"] {
        let path = state.join(file);
        let good = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        refused(&night, &out, &state, &[file, "missing"]);
        std::fs::write(&path, good).unwrap();
    }
    s.night(&[]).ok(&out, &state);
    assert_eq!(manifest(&out)["totals"]["parsed"], 0);
}

/// The days with a partial in the state, as `day=…` names.
fn partial_days(state: &Path) -> Vec<String> {
    let mut days: Vec<String> = std::fs::read_dir(state.join("partials"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    days.sort();
    days
}

/// The published tables of one day.
fn day_tables(out: &Path, day: &str) -> BTreeMap<String, Vec<u8>> {
    let mut t = common::parquet_files(out);
    t.retain(|k, _| k.contains(&format!("/day={day}/")));
    t
}

#[test]
fn retention_deletes_old_partials_keeps_their_tables_and_counts_late_lines() {
    let s = Small::new();
    write_days(&s.logs.join("a.log"), &[25, 26, 27, 28], 40, 0);
    let (out, state) = (s.path("out"), s.path("state"));
    let night = s.night(&["--keep-days", "2"]);
    night.ok(&out, &state);
    assert_eq!(partial_days(&state), ["day=2026-03-27", "day=2026-03-28"]);
    let m = manifest(&out);
    assert_eq!(
        m["days"]["expired_days"],
        serde_json::json!(["2026-03-25", "2026-03-26"])
    );
    for day in ["2026-03-25", "2026-03-26", "2026-03-27", "2026-03-28"] {
        assert!(
            out.join(format!("web_pages/day={day}/part-0.parquet"))
                .exists(),
            "{day} not published"
        );
    }
    let expired_before = day_tables(&out, "2026-03-25");
    // Lines of an expired day arriving later are left out and counted.
    write_days(&s.logs.join("late.log"), &[25], 15, 9);
    write_days(&s.logs.join("new.log"), &[28], 5, 11);
    night.ok(&out, &state);
    let m = manifest(&out);
    assert_eq!(m["days"]["expired_requests"], 15, "{}", m["days"]);
    assert_eq!(m["days"]["published"], serde_json::json!(["2026-03-28"]));
    assert_eq!(day_tables(&out, "2026-03-25"), expired_before);
    assert_eq!(partial_days(&state), ["day=2026-03-27", "day=2026-03-28"]);
}

/// Seven logrotate nights: nights 1–2 into `out`; after night 2, a run
/// with no new lines into a new directory gets every stored day; then
/// nights 3–7 into `out`, and nothing of the state's pseudonyms or input
/// paths is published.
#[test]
fn a_new_output_gets_every_stored_day_and_no_pseudonym_is_published() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("logveil.key");
    keygen(&key);
    let mut server = Server::new(&tmp.path().join("logs"), SEED);
    let logs = server.dir().to_path_buf();
    let (out, out2, state) = (
        tmp.path().join("out"),
        tmp.path().join("out2"),
        tmp.path().join("state"),
    );
    let night = Night {
        cwd: tmp.path(),
        input: &logs,
        key: &key,
        extra: Vec::new(),
    };
    play(&mut server, &nights(7), |n, _| {
        night.ok(&out, &state);
        if n == 2 {
            night.ok(&out2, &state);
            let m = manifest(&out2);
            assert_eq!(m["totals"]["parsed"], 0, "read again");
            assert_eq!(m["days"]["published"], manifest(&out)["days"]["held"]);
            let diff = differing(&common::parquet_files(&out2), &common::parquet_files(&out));
            assert!(diff.is_empty(), "{diff:#?}");
        }
    });
    assert_eq!(
        std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for rel in common::files_under(&state).keys() {
        let mode = std::fs::metadata(state.join(rel))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{rel} is {mode:o}");
    }
    let audit = common::audit(&out, &logs, &[]);
    assert_exit(&audit, 0);
    assert!(!String::from_utf8_lossy(&audit.stdout).contains("LEAK"));

    // The state's pseudonyms, from the partials.
    let mut pseudonyms = BTreeSet::new();
    for (rel, _) in common::files_under(&state.join("partials")) {
        if !rel.ends_with("rows.parquet") {
            continue;
        }
        let file = std::fs::File::open(state.join("partials").join(&rel)).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let visitors = batch.column_by_name("visitors").unwrap().as_list::<i32>();
            let values = visitors.values().as_primitive::<Int64Type>();
            pseudonyms.extend((0..values.len()).map(|i| values.value(i)));
        }
    }
    assert!(pseudonyms.len() > 100, "{}", pseudonyms.len());
    let sample: Vec<i64> = pseudonyms
        .iter()
        .step_by(pseudonyms.len() / 200 + 1)
        .copied()
        .collect();
    // Every 8-byte window and every run of digits or hex digits of the
    // published files, searched for each pseudonym's encodings.
    let mut windows = std::collections::HashSet::new();
    let mut runs = Vec::new();
    for bytes in common::files_under(&out).values() {
        windows.extend(bytes.windows(8).map(|w| <[u8; 8]>::try_from(w).unwrap()));
        runs.extend(
            bytes
                .split(|b| !b.is_ascii_hexdigit())
                .filter(|r| r.len() >= 8)
                .map(|r| String::from_utf8_lossy(r).into_owned()),
        );
    }
    for v in &sample {
        assert!(!windows.contains(&v.to_le_bytes()) && !windows.contains(&v.to_be_bytes()));
        for text in [
            v.unsigned_abs().to_string(),
            (*v as u64).to_string(),
            format!("{:016x}", *v as u64),
        ] {
            assert!(!runs.iter().any(|r| r.contains(&text)), "{text} published");
        }
    }
    // Nor does any published file name the state, the logs or their files.
    for (name, bytes) in common::files_under(&out) {
        let text = String::from_utf8_lossy(&bytes);
        for needle in [tmp.path().to_string_lossy().as_ref(), "access.log"] {
            assert!(!text.contains(needle), "{name} holds {needle:?}");
        }
    }
    // The state's own files name no input.
    for file in ["ledger.json", "state.json"] {
        let text = std::fs::read_to_string(state.join(file)).unwrap();
        for needle in [logs.to_string_lossy().as_ref(), "access.log", "logs"] {
            assert!(!text.contains(needle), "{file} holds {needle:?}");
        }
    }
}

#[test]
fn a_line_dated_in_the_future_expires_no_real_day() {
    let s = Small::new();
    let log = s.logs.join("a.log");
    write_days(&log, &[25, 26, 27, 28], 40, 0);
    let mut text = std::fs::read(&log).unwrap();
    text.extend_from_slice(
        b"198.51.100.9 - - [01/Jan/2099:10:00:00 +0000] \"GET /x HTTP/1.1\" 200 5 \"-\" \"curl/8.5\"\n",
    );
    std::fs::write(&log, text).unwrap();
    let (out, state) = (s.path("out"), s.path("state"));
    let night = s.night(&["--keep-days", "2"]);
    night.ok(&out, &state);
    assert_eq!(
        partial_days(&state),
        ["day=2026-03-27", "day=2026-03-28", "day=2099-01-01"]
    );
    assert_eq!(
        manifest(&out)["days"]["expired_days"],
        serde_json::json!(["2026-03-25", "2026-03-26"])
    );
    // The next lines of a real day are merged, not refused as expired.
    write_days(&s.logs.join("b.log"), &[28], 10, 5);
    night.ok(&out, &state);
    let m = manifest(&out);
    assert_eq!(m["days"]["expired_requests"], 0, "{}", m["days"]);
    assert_eq!(m["days"]["published"], serde_json::json!(["2026-03-28"]));
}

#[test]
fn a_state_overlapping_the_output_or_an_input_is_refused() {
    let s = Small::new();
    write_days(&s.logs.join("a.log"), &[28], 30, 0);
    let night = s.night(&[]);
    let (out, state) = (s.path("out"), s.path("state"));
    for (out, state, says) in [
        (out.clone(), out.join("state"), "lies inside the output"),
        (state.join("out"), state.clone(), "holds the output"),
        (out.clone(), out.clone(), "lies inside the output"),
        (out.clone(), s.logs.join("state"), "lies inside the input"),
        (out.clone(), s.logs.join(".state"), "lies inside the input"),
        (s.logs.join("out"), s.logs.clone(), "lies inside the input"),
        (out.clone(), s.tmp.path().to_path_buf(), "holds the output"),
    ] {
        let before = common::files_under(s.tmp.path());
        let r = night.run(&out, &state, &[]);
        assert_exit(&r, 1);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.contains(says) && err.contains("keep the state apart"),
            "{err}"
        );
        assert!(
            common::files_under(s.tmp.path()) == before,
            "{says}: something was written"
        );
        assert!(
            !out.exists() && !state.join("state.json").exists(),
            "{says}"
        );
    }
    night.ok(&out, &state);
}

#[test]
fn a_state_holding_other_files_is_refused_as_a_state() {
    let s = Small::new();
    write_days(&s.logs.join("a.log"), &[28], 30, 0);
    let (out, state) = (s.path("out"), s.path("state"));
    let night = s.night(&[]);
    night.ok(&out, &state);
    std::fs::copy(&s.key, state.join("logveil.key")).unwrap();
    let r = night.run(&out, &state, &[]);
    assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("logveil.key") && err.contains("outside it"),
        "{err}"
    );
    // Not the output's message: a state adopts nothing.
    assert!(
        !err.contains("--force") && !err.contains("the output"),
        "{err}"
    );
}
