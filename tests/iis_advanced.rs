//! IIS Advanced Logging through the binary: `tests/fixtures/formats/iis_advanced.log`
//! holds two Advanced Logging segments (one with UTC and local times, one
//! with local times only) around a plain IIS one, lines the module writes
//! (quoted agents with spaces, `-`, `""`, a forwarded-for chain, user names,
//! an agent carrying a device id and an e-mail) and one line cut inside a
//! quoted value.

mod common;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use common::{Cell, exposed_text, ip_forms, read_rows, run};
use regex::Regex;

fn fixture() -> PathBuf {
    common::root().join("tests/fixtures/formats/iis_advanced.log")
}

/// Microseconds since the epoch of a UTC hour.
fn hour(y: i64, mo: u32, d: u32, h: i64) -> i64 {
    use logveil::time;
    (time::days_from_civil(y, mo, d) * time::DAY + h * time::HOUR) * 1_000_000
}

/// The identifiers in the fixture, found independently of logveil's
/// reader: every address, and the user names and agent-borne ids its
/// author wrote in.
fn identifiers(text: &str) -> BTreeSet<String> {
    let ipv4 = Regex::new(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}").unwrap();
    let ipv6 = Regex::new(r"2001:db8(?::[0-9a-f]{0,4}){1,6}").unwrap();
    let mut ids = BTreeSet::new();
    for m in ipv4.find_iter(text).chain(ipv6.find_iter(text)) {
        if let Ok(ip) = m.as_str().parse::<IpAddr>() {
            ids.extend(ip_forms(ip));
        }
    }
    for id in [
        "mkowalski",
        "EXAMPLE\\mkowalski",
        "rtanaka",
        "rtanaka@example.edu",
        "A1B2C3D4E5F6",
    ] {
        assert!(text.contains(id), "fixture lost {id}");
        ids.insert(id.to_string());
        ids.insert(id.to_ascii_lowercase());
    }
    ids
}

/// Where any identifier appears in the output directory or in `extra`
/// texts (places only: the findings are output too).
fn leaks(ids: &BTreeSet<String>, dir: &Path, extra: &[(&str, String)]) -> Vec<String> {
    let mut texts: Vec<(String, String)> = extra
        .iter()
        .map(|(place, text)| (place.to_string(), text.clone()))
        .collect();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        texts.push(("file name".into(), name.clone()));
        if name.ends_with(".parquet") {
            for (place, text) in exposed_text(&path) {
                texts.push((format!("{name}: {place}"), text));
            }
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            texts.push((name, text));
        }
    }
    texts
        .iter()
        .filter(|(_, text)| ids.iter().any(|id| text.contains(id.as_str())))
        .map(|(place, _)| place.clone())
        .collect()
}

#[test]
fn advanced_logging_is_read_counted_and_veiled() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    common::keygen(&key);
    let policy = common::no_suppression(dir.path());
    let out = dir.path().join("out");
    let r = run(
        &[&fixture()],
        &out,
        &[
            "--key-file",
            key.to_str().unwrap(),
            "--policy",
            &policy,
            "--trusted-proxies",
            // The policy records this network: it must not read as a logged address.
            "192.0.2.192/26",
        ],
    );
    // One line is cut inside a quoted value: one of twelve record lines,
    // under the default --max-reject-rate (issue 14), so 0.
    common::assert_exit(&r, 0);

    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let input = &m["inputs"][0];
    assert_eq!(input["format"], "w3c");
    assert_eq!(input["dialect"], "IIS Advanced Logging");
    assert_eq!(
        input["notes"][0].as_str().unwrap(),
        logveil::formats::w3c::LOCAL_TIME_NOTE
    );
    let n = |k: &str| input[k].as_u64().unwrap();
    // 11 records: 6 Advanced (UTC), 3 plain IIS, 2 Advanced (local).
    assert_eq!((n("parsed"), n("rejected"), n("skipped")), (11, 1, 13));
    assert_eq!(n("lines"), n("parsed") + n("rejected") + n("skipped"));
    assert_eq!(input["rejected_by_reason"]["unterminated_quote"], 1);
    assert_eq!(input["reject_locations"][0]["line"], 12);

    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let got: Vec<(i64, &str, i64, i64)> = traffic
        .iter()
        .map(|r| {
            (
                r["hour"].int(),
                r["site"].str(),
                r["requests"].int(),
                r["visitors"].int(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // The local-only segment: 19:00 server time, read as UTC.
            (hour(2014, 11, 17, 19), "www.example.edu", 2, 2),
            // `date`/`time` (UTC) win over `time-local` (17:00 the day before).
            (hour(2014, 11, 18, 0), "library.example.edu", 2, 2),
            // The proxy's forwarded-for chain names a client seen before.
            (hour(2014, 11, 18, 0), "www.example.edu", 4, 3),
            (hour(2014, 11, 18, 1), "(default)", 3, 3),
        ]
    );
    let library = &traffic[1];
    // TimeTakenMS 20 and 20.
    assert!((library["latency_p50_ms"].float() - 20.0).abs() <= 0.2);
    assert_eq!(
        (library["status_2xx"].int(), library["status_3xx"].int()),
        (1, 1)
    );
    assert_ne!(traffic[2]["latency_p50_ms"], Cell::Null);

    let text = std::fs::read_to_string(fixture()).unwrap();
    let ids = identifiers(&text);
    assert!(ids.contains("192.0.2.200") && ids.contains("2001:db8::7"));
    let found = leaks(
        &ids,
        &out,
        &[
            ("stdout", String::from_utf8_lossy(&r.stdout).into_owned()),
            ("stderr", String::from_utf8_lossy(&r.stderr).into_owned()),
        ],
    );
    assert!(found.is_empty(), "identifiers leaked in {found:?}");
}

#[test]
fn local_times_are_read_in_the_named_zone_and_utc_ones_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let policy = common::no_suppression(dir.path());
    let out = dir.path().join("out");
    let r = run(
        &[&fixture()],
        &out,
        &[
            "-q",
            "--policy",
            &policy,
            "--local-timezone",
            "America/New_York",
        ],
    );
    // The fixture's one broken line is under the default --max-reject-rate.
    common::assert_exit(&r, 0);
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let got: Vec<(i64, &str, i64)> = traffic
        .iter()
        .map(|r| (r["hour"].int(), r["site"].str(), r["requests"].int()))
        .collect();
    assert_eq!(
        got,
        vec![
            // `date`/`time` (UTC) are left as they are.
            (hour(2014, 11, 18, 0), "library.example.edu", 2),
            // 19:00 in New York (EST) is midnight UTC: the local-only
            // segment's 2 requests join the 4 logged in UTC.
            (hour(2014, 11, 18, 0), "www.example.edu", 6),
            (hour(2014, 11, 18, 1), "(default)", 3),
        ]
    );
}

#[test]
fn the_leak_scan_sees_an_identifier_from_the_fixture() {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let ids = identifiers(&text);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), "device A1B2C3D4E5F6").unwrap();
    assert_eq!(
        leaks(&ids, dir.path(), &[("stderr", "from 203.0.113.17".into())]),
        vec!["stderr".to_string(), "note.txt".to_string()]
    );
}

#[test]
fn detect_names_the_dialect() {
    let out = common::logveil()
        .arg("detect")
        .arg(fixture())
        .output()
        .unwrap();
    common::assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(": w3c, IIS Advanced Logging ("), "{text}");
    assert!(text.contains("rejected: unterminated_quote"), "{text}");
    assert!(!text.contains("198.51.100") && !text.contains("203.0.113"));
}
