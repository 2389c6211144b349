//! W3C logs of the producers that bend the scheme, through the binary:
//! the fixtures of `tests/fixtures/w3c/` (sources in its `README.md`) are
//! each read with auto-detection alone, every record counted, and none of
//! their addresses, user names, client host names or e-mail addresses
//! reaches an output or what the run prints.

mod common;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;

use common::{ip_forms, leaks_in_output_dir, leaks_in_printed, read_rows, run};
use regex::Regex;

struct Case {
    file: &'static str,
    /// Records, directive lines skipped.
    parsed: u64,
    skipped: u64,
    /// The dialect the manifest names, if not the standard one.
    dialect: Option<&'static str>,
    /// Requests per status in `web_status`.
    statuses: &'static [(i64, i64)],
    /// Days (YYYY-MM-DD) with traffic.
    days: &'static [&'static str],
    /// Identifiers the address and e-mail scan does not find.
    names: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        file: "incapsula.log",
        parsed: 2,
        skipped: 4,
        dialect: None,
        // The closed connection has no status.
        statuses: &[(0, 1), (200, 1)],
        days: &["2024-03-14"],
        names: &[],
    },
    Case {
        file: "oracle_webcache.log",
        parsed: 2,
        skipped: 6,
        dialect: None,
        statuses: &[(200, 1), (304, 1)],
        days: &["2024-03-14"],
        names: &["kwalczak", "client-55.example.net"],
    },
    Case {
        file: "iis6_cookie.log",
        parsed: 2,
        skipped: 4,
        dialect: None,
        statuses: &[(200, 1), (304, 1)],
        days: &["2024-03-14"],
        names: &["alovelace", "k2j3h4"],
    },
    Case {
        file: "iis_ftp.log",
        parsed: 9,
        skipped: 8,
        dialect: None,
        statuses: &[(226, 5), (230, 2), (331, 2)],
        // Each block dated by its own #Date: line.
        days: &["2024-03-14", "2024-03-15"],
        names: &["hgarcia"],
    },
    Case {
        file: "cloudfront_rtmp.log",
        parsed: 3,
        skipped: 2,
        dialect: None,
        statuses: &[(200, 3)],
        days: &["2024-03-14"],
        names: &[],
    },
    Case {
        file: "iis_advanced_proxy.log",
        parsed: 3,
        skipped: 4,
        dialect: Some("IIS Advanced Logging"),
        // The 301 has no client: its row describes no one and folds, and
        // the smallest published row (the 200's one person) joins it.
        statuses: &[(-1, 2), (404, 1)],
        days: &["2024-03-14"],
        names: &[],
    },
];

fn fixture(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/w3c").join(name)
}

/// Addresses and e-mail addresses found by pattern, independently of
/// logveil's reader, plus the case's names.
fn identifiers(text: &str, names: &[&str]) -> BTreeSet<String> {
    let ipv4 = Regex::new(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}").unwrap();
    let email = Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").unwrap();
    let mut ids = BTreeSet::new();
    for m in ipv4.find_iter(text) {
        if let Ok(ip) = m.as_str().parse::<IpAddr>() {
            ids.extend(ip_forms(ip));
        }
    }
    ids.extend(email.find_iter(text).map(|m| m.as_str().to_string()));
    for name in names {
        assert!(text.contains(name), "fixture lost {name}");
        ids.insert(name.to_string());
    }
    ids
}

fn days_since_epoch(day: &str) -> i64 {
    let p: Vec<i64> = day.split('-').map(|x| x.parse().unwrap()).collect();
    logveil::time::days_from_civil(p[0], p[1] as u32, p[2] as u32)
}

fn check(case: &Case) {
    let dir = tempfile::tempdir().unwrap();
    let policy = common::no_suppression(dir.path());
    let out = dir.path().join("out");
    let input = fixture(case.file);
    let r = run(&[&input], &out, &["--policy", &policy]);
    common::assert_exit(&r, 0);
    let m = common::read_json(&out.join("_manifest.json"));
    let i = &m["inputs"][0];
    let n = |k: &str| i[k].as_u64().unwrap();
    assert_eq!(i["format"], "w3c", "{}", case.file);
    assert_eq!(
        (n("parsed"), n("rejected"), n("skipped")),
        (case.parsed, 0, case.skipped),
        "{}",
        case.file
    );
    assert_eq!(i["dialect"].as_str(), case.dialect, "{}", case.file);

    let statuses: Vec<(i64, i64)> = common::requests_per_status(&out).into_iter().collect();
    assert_eq!(statuses, case.statuses, "{}", case.file);

    let hour_us = 3_600_000_000i64;
    let days: BTreeSet<i64> = read_rows(&out.join("web_traffic.parquet"))
        .iter()
        .map(|r| r["hour"].int() / (24 * hour_us))
        .collect();
    let want: BTreeSet<i64> = case.days.iter().map(|d| days_since_epoch(d)).collect();
    assert_eq!(days, want, "{}", case.file);

    let text = std::fs::read_to_string(&input).unwrap();
    let ids = identifiers(&text, case.names);
    let mut leaks = leaks_in_output_dir(&ids, &out);
    leaks.extend(leaks_in_printed(&ids, &r));
    assert!(leaks.is_empty(), "{}: {leaks:?}", case.file);
}

#[test]
fn every_producer_is_read_counted_and_veiled() {
    for case in CASES {
        check(case);
    }
}

#[test]
fn the_fixture_folder_and_the_cases_agree() {
    let files: BTreeSet<String> = std::fs::read_dir(common::root().join("tests/fixtures/w3c"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    let cases: BTreeSet<String> = CASES.iter().map(|c| c.file.to_string()).collect();
    assert_eq!(files, cases);
    let sources =
        std::fs::read_to_string(common::root().join("tests/fixtures/w3c/README.md")).unwrap();
    for c in CASES {
        assert!(sources.contains(&format!("`{}`", c.file)), "{}", c.file);
    }
}

#[test]
fn lines_before_the_first_header_take_its_columns_at_any_chunk_size() {
    // Two headers with different columns in the first chunk: the line
    // before both is read with the first, whatever the chunk size (it was
    // read with the columns in force at the end of the first batch).
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex240314.log");
    std::fs::write(
        &log,
        "2024-03-14 10:00:00 192.0.2.1 GET /a 200\n\
         #Fields: date time c-ip cs-method cs-uri-stem sc-status\n\
         2024-03-14 10:00:01 192.0.2.2 GET /b 200\n\
         #Fields: date time cs-method cs-uri-stem sc-status c-ip\n\
         2024-03-14 10:00:02 GET /c 200 192.0.2.3\n",
    )
    .unwrap();
    for chunk in [1 << 20, 64, 1] {
        let cfg =
            logveil::RunConfig::new(vec![log.clone()], dir.path().join(format!("out{chunk}")))
                .chunk_bytes(chunk)
                .threads(Some(2));
        let input = logveil::run(&cfg).unwrap().manifest.inputs.remove(0);
        assert_eq!(
            (input.parsed, input.rejected),
            (3, 0),
            "chunk {chunk}: {input:?}"
        );
    }
}
