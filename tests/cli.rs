//! The command line as a user meets it: keys, exit codes, damaged inputs.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{logveil, read_table, run, sample_logs};

const LINE: &str = r#"198.51.100.23 - - [28/Mar/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 512 "https://www.google.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0""#;

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap()
}

/// `logveil run LOG --out OUT` with the key given through the environment.
fn run_with_env_key(key: &Path, log: &Path, out: &Path) -> std::process::Output {
    logveil()
        .env("LOGVEIL_KEY_FILE", key)
        .arg("run")
        .arg(log)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn clean_log(dir: &Path, lines: usize) -> std::path::PathBuf {
    let p = dir.join("clean.log");
    let mut f = std::fs::File::create(&p).unwrap();
    for _ in 0..lines {
        writeln!(f, "{LINE}").unwrap();
    }
    p
}

#[test]
fn keygen_writes_a_private_key_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("veil.key");
    let out = logveil()
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = std::fs::read_to_string(&key).unwrap();
    assert_eq!(text.trim().len(), 64);
    // The key itself is never printed.
    assert!(!String::from_utf8_lossy(&out.stderr).contains(text.trim()));
    let again = logveil()
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn a_readable_key_file_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    common::keygen(&key);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let log = clean_log(dir.path(), 3);
    let out_dir = dir.path().join("out");
    let r = run(&[&log], &out_dir, &["--key-file", key.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("chmod 600"), "{err}");
    assert!(!out_dir.join("_manifest.json").exists());
    // Through the environment variable too.
    let r = run_with_env_key(&key, &log, &out_dir);
    assert_eq!(r.status.code(), Some(1));
    // A malformed key is refused as well.
    std::fs::write(&key, "not a key\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = run(&[&log], &out_dir, &["--key-file", key.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("logveil keygen"));
}

#[test]
fn a_missing_key_file_is_named_once_with_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = clean_log(dir.path(), 1);
    let key = dir.path().join("missing.key");
    let r = run(
        &[&log],
        &dir.path().join("out"),
        &["--key-file", key.to_str().unwrap()],
    );
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("cannot read key file"), "{err}");
    assert_eq!(err.matches("missing.key").count(), 1, "{err}");
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
}

#[test]
fn without_a_key_the_run_says_it_is_ephemeral() {
    let dir = tempfile::tempdir().unwrap();
    let log = clean_log(dir.path(), 3);
    let out_dir = dir.path().join("out");
    let r = run(&[&log], &out_dir, &[]);
    common::assert_exit(&r, 0);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("ephemeral"), "{err}");
    let m = manifest(&out_dir);
    assert_eq!(m["key"]["mode"], "ephemeral");
    assert_eq!(m["key"]["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(m["complete"], true);

    // With a key file: mode `file`, same fingerprint on every run.
    let key = dir.path().join("k");
    common::keygen(&key);
    let r = run_with_env_key(&key, &log, &out_dir);
    assert_eq!(r.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&r.stderr).contains("ephemeral"));
    let m = manifest(&out_dir);
    assert_eq!(m["key"]["mode"], "file");
    let key_hex = std::fs::read_to_string(&key).unwrap();
    assert!(
        !std::fs::read_to_string(out_dir.join("_manifest.json"))
            .unwrap()
            .contains(key_hex.trim())
    );
}

#[test]
fn exit_codes_say_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    // 0: everything parsed.
    let log = clean_log(dir.path(), 5);
    assert_eq!(run(&[&log], &out_dir, &["-q"]).status.code(), Some(0));
    // The samples' few deliberate bad lines stay under the default
    // --max-reject-rate: 0. With no rejects allowed: 2, outputs written.
    assert_eq!(
        run(&[&sample_logs()], &out_dir, &["-q"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(
            &[&sample_logs()],
            &out_dir,
            &["-q", "--max-reject-rate", "0"]
        )
        .status
        .code(),
        Some(2)
    );
    // 1: nothing to read, an unknown format, bad arguments.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let r = run(&[&empty], &out_dir, &["-q"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no input files"));
    let r = run(&[&log], &out_dir, &["--format", "klingon"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("known formats: "));
    assert_eq!(
        run(&[&log], &out_dir, &["--threads", "0"]).status.code(),
        Some(1)
    );
    assert_eq!(
        logveil().arg("frobnicate").output().unwrap().status.code(),
        Some(1)
    );
    assert_eq!(
        logveil().arg("--help").output().unwrap().status.code(),
        Some(0)
    );
    let help = logveil().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Exit codes") && help.contains("2  outputs written"),
        "{help}"
    );
}

#[test]
fn a_cut_off_gzip_keeps_what_was_read_and_the_other_files_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("logs");
    std::fs::create_dir(&inputs).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..2000 {
        writeln!(gz, "{}", LINE.replace("index.html", &format!("p{}", i % 7))).unwrap();
    }
    let full = gz.finish().unwrap();
    std::fs::write(inputs.join("access.log.2.gz"), &full[..full.len() / 2]).unwrap();
    std::fs::write(inputs.join("garbage.gz"), [0x1f, 0x8b, 0xff, 0xff, 0xff]).unwrap();
    let mut plain = std::fs::File::create(inputs.join("access.log")).unwrap();
    for _ in 0..10 {
        writeln!(plain, "{LINE}").unwrap();
    }
    drop(plain);
    let out_dir = dir.path().join("out");
    // One visitor: counted only without small-group suppression.
    let policy = common::no_suppression(dir.path());
    let run_log = dir.path().join("run-log.json");
    let r = run(
        &[&inputs],
        &out_dir,
        &["--policy", &policy, "--run-log", run_log.to_str().unwrap()],
    );
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("access.log.2.gz") && err.contains("read failed"),
        "{err}"
    );
    let m = manifest(&out_dir);
    let cut = common::manifest_input(&m, &common::read_json(&run_log), "access.log.2.gz");
    assert!(cut["error"].is_string());
    let kept = cut["parsed"].as_u64().unwrap();
    assert!(
        kept > 100 && kept < 2000,
        "kept {kept} lines of the cut file"
    );
    assert_eq!(m["totals"]["inputs_failed"], 2);
    let traffic = read_table(&out_dir.join("web_traffic.parquet"));
    let requests: i64 = traffic["requests"].iter().map(|c| c.int()).sum();
    assert_eq!(requests as u64, kept + 10);
}

#[test]
fn site_label_and_forced_format() {
    let dir = tempfile::tempdir().unwrap();
    let log = clean_log(dir.path(), 4);
    let out_dir = dir.path().join("out");
    let policy = common::no_suppression(dir.path());
    let r = run(
        &[&log],
        &out_dir,
        &[
            "--site",
            "www.example.edu",
            "--format",
            "common",
            "-q",
            "--policy",
            &policy,
        ],
    );
    assert_eq!(r.status.code(), Some(0));
    let m = manifest(&out_dir);
    assert_eq!(m["inputs"][0]["format"], "common");
    assert_eq!(m["inputs"][0]["detection"]["forced"], true);
    let status = read_table(&out_dir.join("web_status.parquet"));
    assert_eq!(status["site"][0].str(), "www.example.edu");
    // Forced `common` drops referrer and agent: the referrer is "(direct)".
    let refs = read_table(&out_dir.join("web_referrers.parquet"));
    assert_eq!(refs["referrer_host"][0].str(), "(direct)");
    let r = run(&[&log], &out_dir, &["-q"]);
    assert_eq!(manifest(&out_dir)["inputs"][0]["format"], "combined");
    assert_eq!(r.status.code(), Some(0));
}

#[test]
fn detect_explains_per_file_without_quoting_lines() {
    let out = logveil().arg("detect").arg(sample_logs()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("vhost/other_vhosts_access.log: vhost_combined"),
        "{text}"
    );
    assert!(text.contains("common/access_log: common"), "{text}");
    assert!(text.contains("rejected: bad_timestamp"), "{text}");
    assert!(text.contains("zoom_webhooks"), "{text}");
    // Reasons only: no address from the samples appears.
    assert!(
        !text.contains("203.0.113") && !text.contains("198.51.100"),
        "{text}"
    );
    let roster = common::root().join("tests/fixtures/zoom/not_zoom.csv");
    let out = logveil().arg("detect").arg(roster).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--log-format"));
}

#[test]
fn caddy_wall_times_are_read_in_the_local_timezone_and_the_manifest_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("caddy.log");
    let lines: Vec<String> = (0..6)
        .map(|i| {
            format!(
                r#"{{"level":"info","ts":"2026/03/28 10:0{i}:00.250","logger":"http.log.access","msg":"handled request","request":{{"remote_ip":"198.51.100.{i}","proto":"HTTP/2.0","method":"GET","host":"www.example.edu","uri":"/news","headers":{{"User-Agent":["curl/8.5.0"]}}}},"duration":0.002,"size":100,"status":200}}"#
            )
        })
        .collect();
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out");
    let r = run(&[&log], &out, &["-q"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let m = manifest(&out);
    let input = &m["inputs"][0];
    assert_eq!(input["format"], "json");
    assert_eq!(input["parsed"], 6);
    assert_eq!(input["first_event"], "2026-03-28T10:00:00Z");
    let notes = input["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("without a zone")),
        "{notes:?}"
    );
    let ids: std::collections::BTreeSet<String> = (0..6)
        .flat_map(|i| common::ip_forms(std::net::IpAddr::from([198, 51, 100, i])))
        .collect();
    assert!(common::leaks_in_output_dir(&ids, &out).is_empty());
    assert!(common::leaks_in_printed(&ids, &r).is_empty());
    assert_eq!(m["settings"]["local_timezone"], "UTC");

    // Named with --local-timezone: 10:00 in Berlin on 28 March 2026 (CET).
    let berlin = dir.path().join("berlin");
    let r = run(
        &[&log],
        &berlin,
        &["-q", "--local-timezone", "Europe/Berlin"],
    );
    assert_eq!(r.status.code(), Some(0));
    let m = manifest(&berlin);
    assert_eq!(m["inputs"][0]["first_event"], "2026-03-28T09:00:00Z");
    assert_eq!(m["settings"]["local_timezone"], "Europe/Berlin");

    let r = run(
        &[&log],
        &dir.path().join("bad"),
        &["--local-timezone", "Mars/Olympus"],
    );
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("--local-timezone") && err.contains("IANA"),
        "{err}"
    );
}

#[test]
fn a_key_file_inside_an_input_or_the_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let log = clean_log(&logs, 3);
    let out_dir = dir.path().join("out");
    let refused = |key: &Path, inputs: &[&Path]| {
        let r = run(inputs, &out_dir, &["--key-file", key.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(1));
        let err = String::from_utf8_lossy(&r.stderr).into_owned();
        assert!(!out_dir.join("_manifest.json").exists(), "{err}");
        err
    };
    // In the log directory (hidden, so the walk would not even read it).
    let hidden = logs.join(".veil.key");
    common::keygen(&hidden);
    let err = refused(&hidden, &[&logs]);
    assert!(
        err.contains(".veil.key") && err.contains("inside the input") && err.contains("move it"),
        "{err}"
    );
    assert!(err.contains("--key-file"), "{err}");
    // Named as an input itself.
    let apart = dir.path().join("veil.key");
    common::keygen(&apart);
    refused(&apart, &[&log, &apart]);
    // Reached through a link inside an input directory.
    std::os::unix::fs::symlink(&apart, logs.join("linked.log")).unwrap();
    let err = refused(&apart, &[&logs]);
    assert!(err.contains("inside the input"), "{err}");
    assert!(!out_dir.exists(), "refused before anything is written");
    std::fs::remove_file(logs.join("linked.log")).unwrap();
    // Inside the output directory, where it would ship with the tables.
    std::fs::create_dir(&out_dir).unwrap();
    let in_out = out_dir.join("veil.key");
    common::keygen(&in_out);
    let err = refused(&in_out, &[&log]);
    assert!(err.contains("output directory"), "{err}");
    // Kept apart, the same key is accepted.
    std::fs::remove_file(&in_out).unwrap();
    let r = run(&[&logs], &out_dir, &["--key-file", apart.to_str().unwrap()]);
    common::assert_exit(&r, 0);
}

#[test]
fn weak_and_non_keygen_keys_are_refused_with_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = clean_log(dir.path(), 3);
    let out_dir = dir.path().join("out");
    let key = dir.path().join("k");
    for (content, expect) in [
        ("deadbeef".repeat(8), "weak key"),
        (format!("{}01", "00".repeat(31)), "weak key"),
        ("0123456789abcdef".repeat(4), "weak key"),
        // 32 raw bytes: not keygen's form.
        (
            "Zq#8vL!2pX@9mK$4rT&7wY*1nB^6hJ%3".to_string(),
            "64 hexadecimal digits",
        ),
    ] {
        std::fs::write(&key, &content).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let r = run(&[&log], &out_dir, &["--key-file", key.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(1), "{content}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains(expect), "{err}");
        assert!(err.contains("logveil keygen --out FILE"), "{err}");
        assert!(!err.contains(&content), "the key is never printed: {err}");
        assert!(!out_dir.join("_manifest.json").exists());
    }
    // What keygen writes is accepted.
    std::fs::remove_file(&key).unwrap();
    common::keygen(&key);
    let r = run(&[&log], &out_dir, &["--key-file", key.to_str().unwrap()]);
    common::assert_exit(&r, 0);
}

#[test]
fn the_summary_counts_in_words_a_person_reads() {
    let dir = tempfile::tempdir().unwrap();
    let log = clean_log(dir.path(), 1);
    // Suppression off, so the one visitor's rows are written.
    let policy = common::no_suppression(dir.path());
    let r = run(&[&log], &dir.path().join("out"), &["--policy", &policy]);
    assert_eq!(r.status.code(), Some(0));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("logveil: 1 input, 1 line: 1 parsed"), "{err}");
    assert!(err.contains("(1 row)") && err.contains("(0 rows)"), "{err}");
    assert!(
        !err.contains("1 inputs") && !err.contains("(1 rows)"),
        "{err}"
    );
}

#[test]
fn messages_say_what_is_wrong_with_what_was_named() {
    let dir = tempfile::tempdir().unwrap();
    // A path that does not exist: said so, not only "no input files".
    let missing = dir.path().join("nosuch.log");
    let r = run(&[&missing], &dir.path().join("out"), &["-q"]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("nosuch.log: cannot read"), "{err}");
    // An --out that is a file: no advice about writable directories.
    let file = dir.path().join("afile");
    std::fs::write(&file, "x\n").unwrap();
    let log = clean_log(dir.path(), 2);
    let r = run(&[&log], &file, &["-q"]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("not a directory") && err.contains("name a directory"),
        "{err}"
    );
    // `gen` never overwrites a file unless told.
    let generate = |extra: &[&str]| {
        logveil()
            .args(["gen", "--lines", "3", "--out"])
            .arg(&file)
            .args(extra)
            .output()
            .unwrap()
    };
    let r = generate(&[]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x\n");
    assert_eq!(generate(&["--force"]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 3);
}

#[test]
fn an_argument_error_comes_alone() {
    // Nothing is said about an ephemeral key before the arguments are
    // known to be good: the error is the one line to read.
    let dir = tempfile::tempdir().unwrap();
    let log = clean_log(dir.path(), 2);
    let out = dir.path().join("out");
    for bad in [
        &["--format", "nosuch"][..],
        &["--log-format", "%h %Q"][..],
        &["--state", "st"][..],
    ] {
        let r = run(&[&log], &out, bad);
        assert_eq!(r.status.code(), Some(1), "{bad:?}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(err.lines().count(), 1, "{bad:?}: {err}");
        assert!(err.starts_with("logveil: error:"), "{bad:?}: {err}");
        assert!(!out.exists(), "{bad:?}");
    }
    // A good run still announces its ephemeral key.
    let r = run(&[&log], &out, &[]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("ephemeral random key"));
}
