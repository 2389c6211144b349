//! `--report-timezone` sets the calendar of the tables: the day a request
//! is counted on, the local hour it falls in, and the midnight that ends
//! a session. Checked on a site at −05:00 whose evenings are the next
//! day in UTC.

mod common;

use std::path::Path;

use common::{Cell, read_rows, read_table};

/// Two visitors on the evening of 2026-03-02 in New York (23:10–23:50
/// local = 04:10–04:50 UTC on 03-03), and one visitor whose session
/// spans local midnight (23:50 → 00:10 local).
fn log(dir: &Path) -> std::path::PathBuf {
    let mut lines = String::new();
    for (client, hh, mm) in [
        ("192.0.2.1", 23, 10),
        ("192.0.2.2", 23, 30),
        ("192.0.2.3", 23, 50),
        ("192.0.2.3", 0, 10),
    ] {
        let day = if hh == 0 { "03" } else { "02" };
        lines.push_str(&format!(
            "{client} - - [{day}/Mar/2026:{hh:02}:{mm:02}:00 -0500] \"GET /evening HTTP/1.1\" 200 100 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\"\n"
        ));
    }
    let path = dir.join("access.log");
    std::fs::write(&path, lines).unwrap();
    path
}

/// `(day, count)` pairs of a table.
type PerDay = Vec<(i64, i64)>;

/// `(day, requests)` of the pages table, and the sessions table's
/// `(day, sessions)`.
fn days(out: &Path) -> (PerDay, PerDay) {
    let pages = read_rows(&out.join("web_pages.parquet"))
        .into_iter()
        .map(|r| (r["day"].int(), r["requests"].int()))
        .collect();
    let sessions = read_table(&out.join("web_sessions.parquet"));
    let per_day = sessions["day"]
        .iter()
        .zip(&sessions["sessions"])
        .map(|(d, s)| (d.int(), s.int()))
        .collect();
    (pages, per_day)
}

#[test]
fn days_hours_and_sessions_follow_the_report_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let input = log(dir.path());
    let policy = common::no_suppression(dir.path());
    let (utc, local) = (dir.path().join("utc"), dir.path().join("ny"));
    let base = ["--policy", policy.as_str(), "-q"];
    common::assert_exit(&common::run(&[&input], &utc, &base), 0);
    let mut ny = base.to_vec();
    ny.extend(["--report-timezone", "America/New_York"]);
    common::assert_exit(&common::run(&[&input], &local, &ny), 0);

    let mar = |d: u32| i64::from(logveil::time::days_from_civil(2026, 3, d) as i32);
    // UTC: all four requests on 03-03, the session unbroken.
    let (pages, sessions) = days(&utc);
    assert_eq!(pages, vec![(mar(3), 4)]);
    assert_eq!(sessions, vec![(mar(3), 3)]);
    // New York: three on the evening of 03-02, one after local midnight,
    // where the third visitor's session is cut in two.
    let (pages, sessions) = days(&local);
    assert_eq!(pages, vec![(mar(2), 3), (mar(3), 1)]);
    assert_eq!(sessions, vec![(mar(2), 3), (mar(3), 1)]);

    // Hours are local hours: the instants of 23:00 and 00:00 in New York.
    let hours: Vec<i64> = read_table(&local.join("web_traffic.parquet"))["hour"]
        .iter()
        .map(Cell::int)
        .collect();
    let at = |d: u32, h: i64| (mar(d) * 86_400 + h * 3_600) * 1_000_000;
    assert_eq!(hours, vec![at(3, 4), at(3, 5)]);

    let manifest = common::read_json(&local.join("_manifest.json"));
    assert_eq!(manifest["settings"]["report_timezone"], "America/New_York");
}

#[test]
fn an_unknown_report_time_zone_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = log(dir.path());
    let r = common::run(
        &[&input],
        &dir.path().join("out"),
        &["--report-timezone", "Mars/Olympus"],
    );
    assert_ne!(r.status.code(), Some(0));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("Mars/Olympus") && err.contains("--report-timezone"),
        "{err}"
    );
}
