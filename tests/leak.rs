//! Privacy: no identifier from the inputs may appear anywhere a user of the
//! outputs can look — decoded Parquet values, column statistics, key-value
//! and field metadata, raw file bytes, file names, the manifest, or what
//! the tool prints. The identifiers are collected from the inputs here,
//! independently of logveil's parsers.

mod common;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use common::{
    exposed_text, ip_forms, leaks_in, leaks_in_output_dir, leaks_in_printed, read_input, run,
    sample_files, sample_logs,
};
use regex::bytes::Regex;

/// Identifiers found in the sample inputs, in all their textual forms.
fn identifiers() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let ipv4 = Regex::new(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}").unwrap();
    let ipv6 = Regex::new(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:[0-9.]{7,15})?").unwrap();
    let query_value = Regex::new(r"[?&][A-Za-z_]+=([^&\s\x22]+)").unwrap();
    let clf = common::clf_sample_files();
    for path in sample_files() {
        let vhost = path.parent().unwrap().ends_with("vhost");
        // Client and user by position only where the layout is CLF; every
        // file is also scanned for addresses and query values below.
        let positional = clf.contains(&path);
        for line in read_input(&path).split(|b| *b == b'\n') {
            let fields: Vec<&[u8]> = line.split(|b| *b == b' ').collect();
            let (client, user) = if vhost { (1, 3) } else { (0, 2) };
            // Client and authuser as written, whatever they are.
            for i in [client, user].into_iter().filter(|_| positional) {
                if let Some(f) = fields.get(i) {
                    let f = String::from_utf8_lossy(f).trim().to_string();
                    if f.len() > 1 && f.is_ascii() && !f.starts_with('[') {
                        ids.insert(f.to_ascii_lowercase());
                        ids.insert(f);
                    }
                }
            }
            for m in ipv4.find_iter(line).chain(ipv6.find_iter(line)) {
                if let Ok(ip) = String::from_utf8_lossy(m.as_bytes()).parse::<IpAddr>() {
                    ids.extend(ip_forms(ip));
                }
            }
            for c in query_value.captures_iter(line) {
                let v = String::from_utf8_lossy(&c[1]).into_owned();
                // Digits and dashes alone (dates, page numbers) collide with
                // counts and event times in any output; everything else
                // (names, tokens, e-mails, search terms) must not appear.
                let numeric = v.bytes().all(|b| b.is_ascii_digit() || b == b'-');
                if v.len() >= 5 && !numeric {
                    ids.insert(v);
                }
            }
        }
    }
    ids
}

/// Findings: (where, identifier) for every identifier found in `text`.
#[test]
fn no_input_identifier_appears_in_any_output() {
    let ids = identifiers();
    // The collection itself must work, or this test proves nothing.
    for expected in [
        "::ffff:203.0.113.9",
        "203.0.113.9",
        "crawl-66-249-66-1.googlebot.com",
        "jsmith",
        "lchen@EXAMPLE.EDU",
    ] {
        assert!(
            ids.contains(expected),
            "identifier collection missed {expected}"
        );
    }
    assert!(
        ids.iter().any(|i| i.contains("%40example.edu")),
        "query values not collected"
    );
    assert!(ids.len() > 300, "only {} identifiers collected", ids.len());

    let out = tempfile::tempdir().unwrap();
    let result = run(&[&sample_logs()], out.path(), &[]);
    assert!(result.status.code().is_some());
    let mut findings = leaks_in_output_dir(&ids, out.path());
    findings.extend(leaks_in_printed(&ids, &result));
    // Report where, not what: the findings list is itself output.
    let places: Vec<&String> = findings.iter().map(|(p, _)| p).collect();
    if std::env::var_os("LEAK_DEBUG").is_some() {
        eprintln!("{findings:?}");
    }
    assert!(
        findings.is_empty(),
        "{} identifiers leaked, in: {places:?}",
        findings.len()
    );
}

#[test]
fn the_scan_finds_a_planted_leak() {
    let ids = identifiers();
    let out = tempfile::tempdir().unwrap();
    run(&[&sample_logs()], out.path(), &["-q"]);
    assert!(leaks_in_output_dir(&ids, out.path()).is_empty());
    // Plant an address in a Parquet value, as a buggy aggregator would.
    use arrow_array::{RecordBatch, StringArray};
    use std::sync::Arc;
    let batch = RecordBatch::try_from_iter([(
        "path",
        Arc::new(StringArray::from(vec!["/ok", "/x/203.0.113.9"])) as _,
    )])
    .unwrap();
    let file = std::fs::File::create(out.path().join("planted.parquet")).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let findings = leaks_in_output_dir(&ids, out.path());
    assert!(
        findings.iter().any(|(p, _)| p.contains("value of path")),
        "{findings:?}"
    );
    assert!(
        findings.iter().any(|(p, _)| p.contains("statistics")),
        "{findings:?}"
    );
}

#[test]
fn no_address_of_a_proxy_chain_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("chain.log");
    let mut text = String::new();
    // Clients from .1: the policy's network addresses (x.y.z.0/24) are
    // configuration, recorded in the manifest, and must not collide.
    for i in 1..=12 {
        text.push_str(&format!(
            "10.1.0.{i}, 10.0.0.1, 85.181.35.{i} - - [28/Mar/2026:10:00:{i:02} +0000] \"GET /p HTTP/1.1\" 200 1 \"-\" \"curl/8\" \"172.16.{i}.9, 10.0.0.7\"\n"
        ));
    }
    std::fs::write(&log, text).unwrap();
    let out = dir.path().join("out");
    let r = run(
        &[&log],
        &out,
        &["--trusted-proxies", "85.181.35.0/24,10.0.0.0/8"],
    );
    common::assert_exit(&r, 0);
    let mut ids = BTreeSet::new();
    for i in 1..=12 {
        for ip in [
            format!("10.1.0.{i}"),
            format!("85.181.35.{i}"),
            format!("172.16.{i}.9"),
        ] {
            ids.extend(ip_forms(ip.parse().unwrap()));
        }
    }
    ids.extend(ip_forms("10.0.0.1".parse().unwrap()));
    ids.extend(ip_forms("10.0.0.7".parse().unwrap()));
    let mut findings = leaks_in_output_dir(&ids, &out);
    findings.extend(leaks_in(
        &ids,
        "stderr",
        &String::from_utf8_lossy(&r.stderr),
    ));
    assert!(
        findings.is_empty(),
        "chain addresses leaked in {:?}",
        findings.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    // The 12 distinct real clients (10.1.0.x, right-most untrusted) are counted.
    let traffic = common::read_rows(&out.join("web_traffic.parquet"));
    assert_eq!(traffic[0]["visitors"].int(), 12);
}

/// Everything under `dir`, recursively: each entry's path below `dir`,
/// every file's raw bytes, and what a Parquet reader decodes (values,
/// statistics, metadata), as (place, text).
fn everything_under(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push(("entry name".to_string(), rel.clone()));
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let raw = std::fs::read(&path).unwrap();
            out.push((
                format!("{rel}: bytes"),
                String::from_utf8_lossy(&raw).into_owned(),
            ));
            if rel.ends_with(".parquet") {
                for (place, text) in exposed_text(&path) {
                    out.push((format!("{rel}: {place}"), text));
                }
            }
        }
    }
    out
}

/// Input paths and policy lists name people: none of it may reach `--out`.
/// File and directory names hold an address, an e-mail, a user name and a
/// Zoom meeting id (Zoom's own export name); the policy lists sensitive
/// hosts; an ignored file and a missing path carry identifiers too. The
/// paths must reach the operator through the run log and stderr only.
#[test]
fn no_input_path_or_policy_identifier_appears_under_out() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs-of-jdoe");
    let by_addr = logs.join("client-203.0.113.250");
    std::fs::create_dir_all(&by_addr).unwrap();
    let line = |i: u32| {
        format!(
            "198.18.0.{i} - - [28/Mar/2026:10:00:{i:02} +0000] \"GET /news HTTP/1.1\" 200 512 \"-\" \"curl/8\"\n"
        )
    };
    let web: String = (1..=12).map(line).collect();
    std::fs::write(logs.join("access-198.51.100.77.log"), &web).unwrap();
    std::fs::write(logs.join("jane.doe@example.edu-access.log"), &web).unwrap();
    std::fs::write(by_addr.join("access.log"), &web).unwrap();
    std::fs::write(logs.join("notes-for-mkowalski.md"), "not a log").unwrap();
    std::fs::copy(
        common::root().join("tests/fixtures/zoom/participants_guest_waiting.csv"),
        logs.join("participants_94455556666.csv"),
    )
    .unwrap();
    let missing = dir.path().join("missing-10.77.66.55.log");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[suppression]\nk = 1\nallow_small_k = true\n[zoom]\nsensitive = \"raise_k\"\nsensitive_k = 1\n\
         sensitive_hosts = [\"counseling@health.example.edu\", \"Dean.Private@Example.edu\"]\n",
    )
    .unwrap();
    let key = dir.path().join("veil.key");
    common::keygen(&key);
    let out = dir.path().join("out");
    let run_log = dir.path().join("run-log.json");
    let r = run(
        &[&logs, &missing],
        &out,
        &[
            "--policy",
            policy.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
            "--run-log",
            run_log.to_str().unwrap(),
            "--zoom-timezone",
            "America/New_York",
        ],
    );
    // The missing path makes the run partial.
    common::assert_exit(&r, 2);

    let secrets = [
        "203.0.113.250",
        "198.51.100.77",
        "jane.doe",
        "example.edu-access",
        "94455556666",
        "jdoe",
        "mkowalski",
        "10.77.66.55",
        "counseling",
        "health.example.edu",
        "dean.private",
        "participants_",
        "client-",
        "access-",
        "logs-of",
    ];
    let base = dir.path().to_string_lossy().into_owned();
    let mut findings = Vec::new();
    for (place, text) in everything_under(&out) {
        let lower = text.to_lowercase();
        for secret in secrets.iter().copied().chain([base.as_str()]) {
            if lower.contains(&secret.to_lowercase()) {
                findings.push(format!("{place}: {secret}"));
            }
        }
    }
    assert!(findings.is_empty(), "identifiers under --out: {findings:?}");

    // The tables were written and the manifest lists every input by id.
    let manifest = common::read_json(&out.join("_manifest.json"));
    let inputs = manifest["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 4, "{manifest}");
    assert!(inputs.iter().all(|i| i["id"].as_str().unwrap().len() == 16));
    assert_eq!(manifest["problems"].as_array().unwrap().len(), 1);
    assert_eq!(manifest["ignored"].as_array().unwrap().len(), 1);
    assert_eq!(
        manifest["settings"]["policy"]["zoom"]["sensitive_hosts"]["count"],
        2
    );
    assert!(out.join("zoom_meetings.parquet").exists());

    // The operator gets the paths: in the run log and on stderr.
    let log = std::fs::read_to_string(&run_log).unwrap();
    for name in [
        "access-198.51.100.77.log",
        "participants_94455556666.csv",
        "notes-for-mkowalski.md",
        "missing-10.77.66.55.log",
    ] {
        assert!(log.contains(name), "run log lacks {name}");
    }
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("missing-10.77.66.55.log"), "{stderr}");

    // The audit reads the new manifest and agrees.
    let audit = common::audit(&out, &logs, &[]);
    common::assert_exit(&audit, 0);
}
