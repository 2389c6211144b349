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
    // 6 searchers is still below k, so the smallest published term joins
    // it and the day's terms still add up.
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
    assert_eq!(term("rare topic"), None, "3 searchers are too few");
    assert_eq!(term("odd question"), None);
    // 6 searchers in (other) are too few: the smallest term joins them.
    // Two have 12; the tie goes by published text, never by the order
    // threads read lines in, and "(redacted)" (e-mail terms, redacted and
    // then counted) sorts first.
    assert_eq!(term("(redacted)"), None);
    assert_eq!(term("library hours"), Some((12, 12)));
    assert_eq!(term("(other)"), Some((18, 18)));
    assert!(
        terms
            .iter()
            .all(|r| !r["term"].str().contains("example.edu"))
    );

    // Quiet hours merge until a bucket has k visitors: 10:00 (19) alone;
    // the heavy hour, 12:00 and the quiet rest of the day in one bucket.
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let day = 1_774_656_000; // 2026-03-28T00:00:00Z
    let rows: Vec<_> = traffic
        .iter()
        .map(|r| {
            let h = (r["hour"].int() / 1_000_000 - day) / 3600;
            (h, r["hours"].int(), r["visitors"].int())
        })
        .collect();
    assert_eq!(rows, vec![(10, 1, 19), (11, 13, 33)]);

    // The next day has one visitor: withheld from every table.
    for table in [
        "web_traffic",
        "web_pages",
        "web_sessions",
        "web_status",
        "web_clients",
    ] {
        let rows = read_rows(&out.join(format!("{table}.parquet")));
        assert!(
            rows.iter().all(|r| {
                let when = r
                    .get("day")
                    .map_or_else(|| r["hour"].int() / 86_400_000_000, |d| d.int());
                when == day / 86_400
            }),
            "{table} publishes the one-visitor day"
        );
    }

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
    // Sessions end at midnight whatever the epoch, so each day's sessions
    // hold that day's requests: the visit from 23:55 to 00:05 is a session
    // on each day.
    let next: Vec<_> = sessions
        .iter()
        .filter(|r| r["day"].int() == day + 1)
        .map(|r| {
            (
                r["sessions"].int(),
                r["visitors"].int(),
                r["requests"].int(),
            )
        })
        .collect();
    assert_eq!(next, vec![(1, 1, 1)]);
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let at = |h: i64| {
        traffic
            .iter()
            .find(|r| r["hour"].int() == (day * 86_400 + h * 3600) * 1_000_000)
            .map(|r| r["visitors"].int())
    };
    assert_eq!(
        at(14),
        Some(1),
        "192.0.2.1 and ::ffff:192.0.2.1 are one visitor"
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
    // 198.51.100.200 is outside the /25: the bucket that holds 23:00 has
    // no on-campus requests.
    let at = (1_774_656_000 + 23 * 3600) * 1_000_000;
    let late = traffic
        .iter()
        .find(|r| r["hour"].int() <= at && at < r["hour"].int() + r["hours"].int() * 3_600_000_000)
        .unwrap();
    assert_eq!(late["requests_on_campus"].int(), 0);
}
