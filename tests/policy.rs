//! The privacy policy end to end: suppression thresholds, search terms,
//! sessions across midnight and address canonicalisation, on fixtures
//! built for each rule.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::{logveil, read_rows, run};

const AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

fn line(out: &mut String, client: &str, time: &str, target: &str) {
    writeln!(
        out,
        r#"{client} - - [{time} +0000] "GET {target} HTTP/1.1" 200 100 "-" "{AGENT}""#
    )
    .unwrap();
}

/// The fixture log: every case of the privacy issue in one day (plus one
/// client across midnight).
fn fixture(dir: &Path) -> std::path::PathBuf {
    let mut log = String::new();
    for i in 0..9 {
        line(
            &mut log,
            &format!("198.51.100.{i}"),
            "28/Mar/2026:10:00:00",
            "/nine",
        );
    }
    for i in 0..10 {
        line(
            &mut log,
            &format!("198.51.100.{}", 20 + i),
            "28/Mar/2026:10:00:00",
            "/ten",
        );
    }
    for s in 0..1000 {
        let t = format!("28/Mar/2026:11:{:02}:{:02}", s / 60 % 60, s % 60);
        line(&mut log, "203.0.113.77", &t, "/heavy");
    }
    // Two rare terms (3 searchers each): both fold into (other), which at
    // 6 searchers is withheld. (A single rare term would also pull the
    // smallest published term into (other): complementary suppression.)
    for i in 0..3 {
        line(
            &mut log,
            &format!("192.0.2.{}", 100 + i),
            "28/Mar/2026:12:00:00",
            "/search?q=rare+topic",
        );
        line(
            &mut log,
            &format!("192.0.2.{}", 110 + i),
            "28/Mar/2026:12:00:00",
            "/search?q=odd+question",
        );
    }
    for i in 0..12 {
        line(
            &mut log,
            &format!("192.0.2.{}", 120 + i),
            "28/Mar/2026:12:00:00",
            "/search?q=Library+Hours",
        );
        let email = format!("/search?q=person{i}%40example.edu");
        line(
            &mut log,
            &format!("192.0.2.{}", 140 + i),
            "28/Mar/2026:12:30:00",
            &email,
        );
    }
    // One address written two ways, within one hour: one visitor.
    line(&mut log, "192.0.2.1", "28/Mar/2026:14:00:00", "/mapped");
    line(
        &mut log,
        "::ffff:192.0.2.1",
        "28/Mar/2026:14:10:00",
        "/mapped",
    );
    // One client either side of midnight UTC, ten minutes apart.
    line(&mut log, "198.51.100.200", "28/Mar/2026:23:55:00", "/late");
    line(&mut log, "198.51.100.200", "29/Mar/2026:00:05:00", "/late");
    let path = dir.join("access.log");
    std::fs::write(&path, log).unwrap();
    path
}

#[test]
fn suppression_search_terms_sessions_and_canonical_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture(dir.path());
    let out = dir.path().join("out");
    let r = run(&[&log], &out, &["-q"]);
    common::assert_exit(&r, 0);

    let pages = read_rows(&out.join("web_pages.parquet"));
    let page = |p: &str| {
        pages
            .iter()
            .find(|r| r["path"].str() == p)
            .map(|r| r["visitors"].int())
    };
    assert_eq!(page("/ten"), Some(10), "10 visitors publish");
    assert_eq!(page("/nine"), None, "9 visitors do not");
    assert_eq!(page("/heavy"), None, "1,000 hits from one visitor do not");
    assert!(pages.iter().all(|r| r["visitors"].int() >= 10));

    let terms = read_rows(&out.join("web_search_terms.parquet"));
    let term = |t: &str| {
        terms
            .iter()
            .find(|r| r["term"].str() == t)
            .map(|r| (r["searches"].int(), r["searchers"].int()))
    };
    assert_eq!(term("library hours"), Some((12, 12)));
    assert_eq!(term("rare topic"), None, "3 searchers are too few");
    assert_eq!(term("odd question"), None);
    assert_eq!(term("(other)"), None, "6 searchers in (other) are too few");
    assert_eq!(
        term("(redacted)"),
        Some((12, 12)),
        "e-mail terms are redacted, and then counted"
    );
    assert!(
        terms
            .iter()
            .all(|r| !r["term"].str().contains("example.edu"))
    );

    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let hour = |h: i64| {
        traffic
            .iter()
            .find(|r| r["hour"].int() == h * 1_000_000)
            .map(|r| r["visitors"].int())
    };
    let day = 1_774_656_000; // 2026-03-28T00:00:00Z
    assert_eq!(
        hour(day + 14 * 3600),
        Some(1),
        "192.0.2.1 and ::ffff:192.0.2.1 are one visitor"
    );
    assert_eq!(hour(day + 23 * 3600), Some(1));
    assert_eq!(hour(day + 24 * 3600), Some(1));

    // Across midnight: daily pseudonyms make two visitors, two sessions.
    let sessions = read_rows(&out.join("web_sessions.parquet"));
    let next_day = sessions
        .iter()
        .find(|r| r["day"].int() == day / 86_400 + 1)
        .unwrap();
    assert_eq!(
        (next_day["sessions"].int(), next_day["visitors"].int()),
        (1, 1)
    );

    // The manifest says what was suppressed.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let table = m["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "web_search_terms")
        .unwrap();
    assert_eq!(table["suppression"]["k"], 10);
    assert!(table["suppression"]["rows_folded"].as_u64().unwrap() >= 1);
    assert_eq!(m["settings"]["policy"]["suppression"]["k"], 10);
}

#[test]
fn a_weekly_epoch_links_the_visitor_across_midnight() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture(dir.path());
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[keys]\nepoch = \"week\"\n[suppression]\nk = 1\nallow_small_k = true\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let r = run(&[&log], &out, &["-q", "--policy", policy.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0));
    let sessions = read_rows(&out.join("web_sessions.parquet"));
    let day = 1_774_656_000 / 86_400;
    // One session from 23:55 to 00:05, attributed to the day it started.
    assert!(
        sessions.iter().all(|r| r["day"].int() == day),
        "the late session started on the 28th"
    );
    let pages = read_rows(&out.join("web_pages.parquet"));
    assert!(
        pages
            .iter()
            .any(|r| r["path"].str() == "/nine" && r["visitors"].int() == 9)
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(m["settings"]["policy"]["keys"]["epoch"], "week");
}

#[test]
fn policy_commands() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    let r = logveil()
        .args(["policy", "init", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(r.status.success());
    let shown = logveil()
        .args(["policy", "show", "--policy"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(shown.status.success());
    assert!(String::from_utf8_lossy(&shown.stdout).contains("k = 10"));
    // init never overwrites; a bad policy stops a run before it reads anything.
    assert_eq!(
        logveil()
            .args(["policy", "init", "--out"])
            .arg(&file)
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    std::fs::write(&file, "[suppression]\nk = 2\n").unwrap();
    let log = fixture(dir.path());
    let r = run(
        &[&log],
        &dir.path().join("out"),
        &["--policy", file.to_str().unwrap()],
    );
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("allow_small_k"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn on_campus_networks_are_counted_without_storing_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture(dir.path());
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[network]\non_campus = [\"198.51.100.0/25\", \"2001:db8::/32\"]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let r = run(&[&log], &out, &["-q", "--policy", policy.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0));
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let ten = traffic
        .iter()
        .find(|r| r["hour"].int() == (1_774_656_000 + 10 * 3600) * 1_000_000)
        .unwrap();
    // /nine and /ten: 19 clients in 198.51.100.0/25, one request each.
    assert_eq!(
        (
            ten["requests_on_campus"].int(),
            ten["visitors_on_campus"].int()
        ),
        (19, 19)
    );
    assert_eq!(ten["requests"].int(), 19);
    // 198.51.100.200 is outside the /25.
    let late = traffic
        .iter()
        .find(|r| r["hour"].int() == (1_774_656_000 + 23 * 3600) * 1_000_000)
        .unwrap();
    assert_eq!(late["requests_on_campus"].int(), 0);
}
