//! The published manifest names inputs by keyed ids; the operator's run
//! log (`--run-log`) maps them back to paths. The run log is personal data:
//! private mode, never inside the output or an input.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{assert_exit, keygen, logveil, read_json, run};
use serde_json::Value;

const LINE: &str = r#"198.51.100.23 - - [28/Mar/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8""#;

/// A directory `logs` with two small logs, and a key file beside it.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for name in ["a.log", "b.log"] {
        std::fs::write(logs.join(name), format!("{LINE}\n{LINE}\n")).unwrap();
    }
    let key = dir.join("veil.key");
    keygen(&key);
    (logs, key)
}

fn ids(manifest: &Value) -> Vec<String> {
    manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_run_log_maps_every_id_to_its_path_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let (logs, key) = setup(dir.path());
    let out = dir.path().join("out");
    let log = dir.path().join("run-log.json");
    // An earlier, readable file is tightened before the paths go in.
    std::fs::write(&log, "old").unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = run(
        &[&logs],
        &out,
        &[
            "--key-file",
            key.to_str().unwrap(),
            "--run-log",
            log.to_str().unwrap(),
        ],
    );
    assert_exit(&r, 0);
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let run_log = read_json(&log);
    assert!(
        run_log["note"].as_str().unwrap().contains("personal data"),
        "{run_log}"
    );
    let manifest = read_json(&out.join("_manifest.json"));
    let logged: Vec<(String, String)> = run_log["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        logged.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        ids(&manifest)
    );
    assert!(logged[0].1.ends_with("logs/a.log") && logged[1].1.ends_with("logs/b.log"));
    // The run log carries each input's report too.
    assert_eq!(run_log["inputs"][0]["parsed"], 2);
    assert_eq!(run_log["key_fingerprint"], manifest["key"]["fingerprint"]);
    // No path anywhere in the manifest.
    let text = std::fs::read_to_string(out.join("_manifest.json")).unwrap();
    assert!(
        !text.contains("a.log") && !text.contains("\"path\""),
        "{text}"
    );
    assert!(!text.contains(&*dir.path().to_string_lossy()), "{text}");
    // stderr says where the run log went, for the operator.
    assert!(String::from_utf8_lossy(&r.stderr).contains("run-log.json"));
}

#[test]
fn ids_are_stable_for_a_key_however_the_path_is_spelled() {
    let dir = tempfile::tempdir().unwrap();
    let (logs, key) = setup(dir.path());
    let key_arg = key.to_str().unwrap();
    let first = dir.path().join("o1");
    assert_exit(&run(&[&logs], &first, &["-q", "--key-file", key_arg]), 0);
    // Relative, through `..`, from another working directory.
    let second = logveil()
        .current_dir(&logs)
        .args([
            "run",
            "../logs/",
            "--out",
            "../o2",
            "-q",
            "--key-file",
            key_arg,
        ])
        .output()
        .unwrap();
    assert_exit(&second, 0);
    let a = ids(&read_json(&first.join("_manifest.json")));
    let b = ids(&read_json(&dir.path().join("o2/_manifest.json")));
    assert_eq!(a, b);
    assert_ne!(a[0], a[1]);
    // Another key, other ids: they reveal nothing without the key.
    let other = dir.path().join("other.key");
    keygen(&other);
    let third = dir.path().join("o3");
    assert_exit(
        &run(
            &[&logs],
            &third,
            &["-q", "--key-file", other.to_str().unwrap()],
        ),
        0,
    );
    let c = ids(&read_json(&third.join("_manifest.json")));
    assert!(a.iter().all(|id| !c.contains(id)), "{a:?} {c:?}");
}

#[test]
fn a_run_log_inside_the_output_or_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (logs, _) = setup(dir.path());
    let out = dir.path().join("out");
    for place in [out.join("run-log.json"), logs.join("run-log.json")] {
        let r = run(&[&logs], &out, &["--run-log", place.to_str().unwrap()]);
        assert_exit(&r, 1);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.contains("run-log.json") && err.contains("personal") && err.contains("--run-log"),
            "{err}"
        );
        assert!(!place.exists());
        assert!(!out.join("_manifest.json").exists());
    }
    // A run log that cannot be written fails the run before any table.
    let nowhere = dir.path().join("no-such-dir/run-log.json");
    let r = run(&[&logs], &out, &["--run-log", nowhere.to_str().unwrap()]);
    assert_exit(&r, 1);
    assert!(String::from_utf8_lossy(&r.stderr).contains("no-such-dir"));
    assert!(!out.join("web_traffic.parquet").exists());
}

/// The policy's sensitive hosts are published as a count and a keyed
/// fingerprint that follows the set, not its spelling or order.
#[test]
fn sensitive_hosts_are_a_count_and_a_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let (logs, key) = setup(dir.path());
    let published = |name: &str, hosts: &str| -> (Value, String) {
        let policy = dir.path().join(format!("{name}.toml"));
        std::fs::write(&policy, format!("[zoom]\nsensitive_hosts = [{hosts}]\n")).unwrap();
        let out = dir.path().join(name);
        let r = run(
            &[&logs],
            &out,
            &[
                "-q",
                "--key-file",
                key.to_str().unwrap(),
                "--policy",
                policy.to_str().unwrap(),
            ],
        );
        assert_exit(&r, 0);
        let text = std::fs::read_to_string(out.join("_manifest.json")).unwrap();
        let m: Value = serde_json::from_str(&text).unwrap();
        (
            m["settings"]["policy"]["zoom"]["sensitive_hosts"].clone(),
            text,
        )
    };
    let (a, text) = published("a", r#""counsel@health.example.edu", "dean@example.edu""#);
    assert_eq!(a["count"], 2);
    assert_eq!(a["fingerprint"].as_str().unwrap().len(), 16);
    assert!(
        !text.contains("counsel") && !text.contains("dean@"),
        "{text}"
    );
    // The same set, reordered and respelled as it is matched.
    let (b, _) = published("b", r#"" Dean@Example.edu", "counsel@health.example.edu""#);
    assert_eq!(a, b);
    let (c, _) = published("c", r#""counsel@health.example.edu""#);
    assert_eq!(c["count"], 1);
    assert_ne!(a["fingerprint"], c["fingerprint"]);
    // Other settings are published as they are.
    let (_, text) = published("d", "");
    let m: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        m["settings"]["policy"]["zoom"]["sensitive_hosts"]["count"],
        0
    );
    assert_eq!(m["settings"]["policy"]["suppression"]["k"], 10);
}
