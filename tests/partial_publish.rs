//! `logveil partial` and `logveil publish` (issue 16): three shards whose
//! visitors overlap (every visitor's lines spread over all three, on
//! several days; each line in exactly one shard) are folded into private
//! partials apart, and publishing the three gives the bytes of one
//! `run --state` over all the lines, in any order of the shards. Partials
//! of another key or other settings are refused; the partials and the
//! published set hold no address or path.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{
    assert_exit, assert_same_tables, audit, files_under, keygen, logveil, parquet_files, read_json,
    run,
};

const LINES: &str = "9000";

/// Three shards of one generated log and what to compare them with.
struct Shards {
    tmp: tempfile::TempDir,
    key: PathBuf,
    /// The whole log.
    all: PathBuf,
    /// One input directory per shard.
    inputs: Vec<PathBuf>,
}

/// The client address and day of a Combined line.
fn client_and_day(line: &str) -> Option<(&str, &str)> {
    let client = line.split(' ').next()?;
    let day = line.split('[').nth(1)?.get(..11)?;
    Some((client, day))
}

impl Shards {
    fn new() -> Shards {
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("logveil.key");
        keygen(&key);
        let all = tmp.path().join("all.log");
        let r = logveil()
            .args(["gen", "--lines", LINES, "--seed", "16", "--out"])
            .arg(&all)
            .output()
            .unwrap();
        assert_exit(&r, 0);
        // `gen` writes some malformed lines on purpose, not all UTF-8.
        let bytes = std::fs::read(&all).unwrap();
        let lines: Vec<&[u8]> = bytes
            .strip_suffix(b"\n")
            .unwrap()
            .split(|&b| b == b'\n')
            .collect();
        // Runs of 1 to 4 lines go round the shards, so a visitor's lines,
        // sessions and days are spread over all three.
        let mut shards_bytes = [Vec::new(), Vec::new(), Vec::new()];
        for (i, line) in lines.iter().enumerate() {
            let shard = &mut shards_bytes[(i / (1 + i % 4)) % 3];
            shard.extend_from_slice(line);
            shard.push(b'\n');
        }
        let shards: Vec<String> = shards_bytes
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        let inputs: Vec<PathBuf> = (0..3)
            .map(|i| {
                let dir = tmp.path().join(format!("host{i}"));
                std::fs::create_dir(&dir).unwrap();
                std::fs::write(dir.join("access.log"), &shards_bytes[i]).unwrap();
                dir
            })
            .collect();
        // The split is what the test needs: visitors on several shards,
        // and on several days.
        let mut seen: BTreeMap<&str, (BTreeSet<usize>, BTreeSet<&str>)> = BTreeMap::new();
        for (i, shard) in shards.iter().enumerate() {
            for (client, day) in shard.lines().filter_map(client_and_day) {
                let e = seen.entry(client).or_default();
                e.0.insert(i);
                e.1.insert(day);
            }
        }
        let spread = seen
            .values()
            .filter(|(s, d)| s.len() == 3 && d.len() >= 2)
            .count();
        assert!(
            spread > 20,
            "only {spread} visitors on every shard and several days"
        );
        let total: usize = shards.iter().map(|s| s.lines().count()).sum();
        assert_eq!(total, lines.len());
        Shards {
            tmp,
            key,
            all,
            inputs,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn key(&self) -> &str {
        self.key.to_str().unwrap()
    }

    /// `logveil partial <input> --out <out> --key-file <key> [extra]`.
    fn partial(&self, input: &Path, out: &Path, key: &Path, extra: &[&str]) -> Output {
        logveil()
            .arg("partial")
            .arg(input)
            .arg("--out")
            .arg(out)
            .arg("--key-file")
            .arg(key)
            .args(["-q", "-j", "2"])
            .args(extra)
            .output()
            .unwrap()
    }

    /// Each shard's partials, made with `extra`, in `<prefix>0..2`.
    fn partials(&self, prefix: &str, extra: &[&str]) -> Vec<PathBuf> {
        (0..3)
            .map(|i| {
                let out = self.path(&format!("{prefix}{i}"));
                let r = self.partial(&self.inputs[i], &out, &self.key, extra);
                assert_exit(&r, 0);
                out
            })
            .collect()
    }

    /// The one-box run with a state over every line.
    fn one_box(&self, name: &str, extra: &[&str]) -> PathBuf {
        let out = self.path(name);
        let state = self.path(&format!("{name}-state"));
        let mut args = vec!["--state", state.to_str().unwrap(), "--key-file", self.key()];
        args.extend_from_slice(&["-q", "-j", "2"]);
        args.extend_from_slice(extra);
        assert_exit(&run(&[&self.all], &out, &args), 0);
        out
    }
}

/// `logveil publish <dirs> --out <out> [extra]`.
fn publish(dirs: &[&Path], out: &Path, extra: &[&str]) -> Output {
    logveil()
        .arg("publish")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .args(["-q", "-j", "2"])
        .args(extra)
        .output()
        .unwrap()
}

fn refs(dirs: &[PathBuf]) -> Vec<&Path> {
    dirs.iter().map(PathBuf::as_path).collect()
}

#[test]
fn three_overlapping_shards_publish_the_bytes_of_one_run_with_a_state() {
    let s = Shards::new();
    let parts = s.partials("part", &[]);
    let one = s.one_box("one", &[]);
    let out = s.path("published");
    assert_exit(&publish(&refs(&parts), &out, &[]), 0);
    assert_same_tables(&out, &one);
    // Another order of the shards, and the key given: the same bytes.
    let again = s.path("again");
    let order = [&*parts[2], &*parts[0], &*parts[1]];
    assert_exit(&publish(&order, &again, &["--key-file", s.key()]), 0);
    assert_same_tables(&again, &one);

    // The manifest accounts for every line of every shard, and for the
    // same days and tables.
    let (m, o) = (
        read_json(&out.join("_manifest.json")),
        read_json(&one.join("_manifest.json")),
    );
    for field in ["lines", "parsed", "rejected", "bytes"] {
        assert_eq!(m["totals"][field], o["totals"][field], "totals.{field}");
    }
    assert_eq!(m["totals"]["inputs"], 3);
    assert_eq!(m["inputs"].as_array().unwrap().len(), 3);
    assert_eq!(m["days"]["held"], o["days"]["held"]);
    assert_eq!(m["days"]["published"], o["days"]["published"]);
    assert_eq!(m["tables"], o["tables"]);
    assert_eq!(m["key"]["fingerprint"], o["key"]["fingerprint"]);
    assert_eq!(m["settings"]["policy"], o["settings"]["policy"]);
    assert_eq!(m["partials"].as_array().unwrap().len(), 3);

    // A state is a directory of partials too.
    let state = s.path("one-state");
    let from_state = s.path("from-state");
    assert_exit(
        &publish(&[&state], &from_state, &["--key-file", s.key()]),
        0,
    );
    assert_same_tables(&from_state, &one);
}

#[test]
fn week_epoch_periods_and_a_report_zone_merge_exactly_too() {
    let s = Shards::new();
    let policy = s.path("week.toml");
    std::fs::write(&policy, "[keys]\nepoch = \"week\"\n").unwrap();
    let policy = policy.to_str().unwrap();
    let extra = ["--policy", policy, "--report-timezone", "America/New_York"];
    let parts = s.partials("part", &extra);
    let one = s.one_box("one", &extra);
    let out = s.path("published");
    // The report zone is recorded in the partials; the policy is given.
    assert_exit(&publish(&refs(&parts), &out, &["--policy", policy]), 0);
    assert!(
        parquet_files(&out)
            .keys()
            .any(|n| n.contains("_weekly/week=")),
        "no weekly tables"
    );
    assert_same_tables(&out, &one);
    // Without the policy they were made with, the publish is refused.
    let r = publish(&refs(&parts), &s.path("default-policy"), &[]);
    assert_exit(&r, 1);
    assert!(String::from_utf8_lossy(&r.stderr).contains("other settings"));
    assert!(!s.path("default-policy").exists());
}

#[test]
fn partials_of_other_keys_or_settings_are_refused_by_position() {
    let s = Shards::new();
    let parts = s.partials("part", &[]);
    let other_key = s.path("other.key");
    keygen(&other_key);
    let stranger = s.path("stranger");
    assert_exit(&s.partial(&s.inputs[1], &stranger, &other_key, &[]), 0);
    let berlin = s.path("berlin");
    let r = s.partial(
        &s.inputs[2],
        &berlin,
        &s.key,
        &["--report-timezone", "Europe/Berlin"],
    );
    assert_exit(&r, 0);

    let out = s.path("out");
    let r = publish(&[&parts[0], &stranger], &out, &[]);
    assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("directories 1 and 2") && err.contains("different keys"),
        "{err}"
    );
    // Positions, not paths: a path would name a host or a person.
    assert!(!err.contains(stranger.to_str().unwrap()), "{err}");

    let r = publish(&[&parts[0], &parts[1], &berlin], &out, &[]);
    assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("directories 1 and 3") && err.contains("different settings"),
        "{err}"
    );

    // A key file other than the partials' own.
    let r = publish(
        &refs(&parts),
        &out,
        &["--key-file", other_key.to_str().unwrap()],
    );
    assert_exit(&r, 1);
    assert!(String::from_utf8_lossy(&r.stderr).contains("not the key"));
    // Nothing was published by any of them.
    assert!(!out.exists());

    // A partial run needs a key file, and keeps no state.
    let r = logveil()
        .arg("partial")
        .arg(&s.inputs[0])
        .arg("--out")
        .arg(s.path("keyless"))
        .output()
        .unwrap();
    assert_exit(&r, 1);
    assert!(String::from_utf8_lossy(&r.stderr).contains("key file"));
    let state = s.path("st");
    let r = s.partial(
        &s.inputs[0],
        &s.path("with-state"),
        &s.key,
        &["--state", state.to_str().unwrap()],
    );
    assert_exit(&r, 1);
    assert!(!s.path("with-state").exists() && !state.exists());
}

#[test]
fn partials_are_private_and_nothing_leaks_into_them_or_the_tables() {
    let s = Shards::new();
    let parts = s.partials("part", &[]);
    for dir in &parts {
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
        let files = files_under(dir);
        assert!(files.contains_key("_partials.json"));
        assert!(files.keys().any(|n| n.ends_with("rows.parquet")));
        for name in files.keys() {
            let mode = std::fs::metadata(dir.join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }
    let out = s.path("published");
    assert_exit(&publish(&refs(&parts), &out, &[]), 0);

    // No client address and no path of the machine in any manifest.
    let text = String::from_utf8_lossy(&std::fs::read(&s.all).unwrap()).into_owned();
    let clients: BTreeSet<&str> = text
        .lines()
        .filter_map(client_and_day)
        .map(|(c, _)| c)
        .filter(|c| c.contains('.') || c.contains(':'))
        .collect();
    assert!(clients.len() > 100);
    let manifests = parts
        .iter()
        .map(|d| d.join("_partials.json"))
        .chain([out.join("_manifest.json")]);
    let tmp = s.tmp.path().to_str().unwrap();
    for manifest in manifests {
        let m = std::fs::read_to_string(&manifest).unwrap();
        assert!(!m.contains(tmp), "a path in {}", manifest.display());
        assert!(
            !m.contains("access.log"),
            "a file name in {}",
            manifest.display()
        );
        for client in &clients {
            assert!(
                !m.contains(&format!("\"{client}\"")),
                "an address in {}",
                manifest.display()
            );
        }
        let json = read_json(&manifest);
        let run = json.get("run").unwrap_or(&json);
        assert!(run["inputs"][0]["id"].is_string());
    }
    // The manifest of a partial says what publish needs.
    let m = read_json(&parts[0].join("_partials.json"));
    assert_eq!(m["what"], "logveil partials");
    assert!(m["key_fingerprint"].is_string() && m["settings_hash"].is_string());
    assert!(m["run"]["inputs"][0]["lines"].as_u64().unwrap() > 0);
    // The published set passes the audit against every input.
    for input in &s.inputs {
        let r = audit(&out, input, &[]);
        assert_exit(&r, 0);
    }
}

#[test]
fn zoom_inputs_are_left_out_of_partials_with_a_note() {
    let s = Shards::new();
    let dir = s.path("mixed");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(s.inputs[0].join("access.log"), dir.join("access.log")).unwrap();
    let r = logveil()
        .args(["gen", "--zoom", "--lines", "60", "--out"])
        .arg(dir.join("history.csv"))
        .output()
        .unwrap();
    assert_exit(&r, 0);
    let out = s.path("part");
    let r = s.partial(&dir, &out, &s.key, &[]);
    assert_exit(&r, 2);
    let m = read_json(&out.join("_partials.json"));
    let note = m["run"]["days"]["note"].as_str().unwrap_or_default();
    assert!(note.contains("Zoom"), "{m}");
    // The web lines are in the partials all the same.
    assert!(!m["days"].as_array().unwrap().is_empty());
}
