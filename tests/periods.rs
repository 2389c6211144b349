//! Weekly and monthly tables (issue 14, periods): with a private state and
//! a key epoch that spans the period, `web_sites_weekly` counts each
//! visitor once per week — the true distinct count, below the sum of the
//! week's daily visitors — whatever nights brought the lines; a daily
//! epoch publishes no period table and says why; period rows go through
//! disclosure control; a period some of whose partials retention deleted
//! is left as published.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{assert_exit, keygen, parquet_files as published, read_json, read_rows, run};

/// k of the test policies: small, so a handful of visitors clears it.
const K: usize = 3;

/// Days of 2026-03 the log covers: Monday 2 to Sunday 15, two ISO weeks.
const DAYS: std::ops::RangeInclusive<u32> = 2..=15;

/// Visitors of the log, one address each.
const VISITORS: usize = 12;

fn ip(v: usize) -> String {
    format!("198.51.100.{}", 10 + v)
}

fn line(v: usize, day: u32, hour: u32, path: &str) -> String {
    format!(
        "{} - - [{day:02}/Mar/2026:{hour:02}:{:02}:00 +0000] \"GET {path} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\"\n",
        ip(v),
        v % 60
    )
}

/// The visitors of each day.
type Came = BTreeMap<u32, BTreeSet<usize>>;

/// The log, in time order, as (day, line), and which visitor came on
/// which day. Visitor `v` comes on the days where `(v + day) % 3 != 0`,
/// twice (morning and evening), so each comes back within each week.
/// `/weekly-only` has one visitor a day but three over the first week;
/// `/rare-5` to `/rare-7` have one visitor each over the whole month.
fn log() -> (Vec<(u32, String)>, Came) {
    let mut lines = Vec::new();
    let mut came = Came::new();
    for day in DAYS {
        let mut today = Vec::new();
        for v in 0..VISITORS {
            if (v as u32 + day).is_multiple_of(3) {
                continue;
            }
            came.entry(day).or_default().insert(v);
            today.push((8, line(v, day, 8, "/")));
            today.push((18, line(v, day, 18, if v % 2 == 0 { "/a" } else { "/b" })));
        }
        // Days 2, 3 and 4 (Monday to Wednesday): one visitor each.
        if (2..=4).contains(&day) {
            let v = [0, 1, 3][day as usize - 2];
            assert!(came[&day].contains(&v));
            today.push((12, line(v, day, 12, "/weekly-only")));
        }
        // Thursday to Saturday: a page of one visitor each, so that
        // `(other)` has k visitors over the week.
        if (5..=7).contains(&day) {
            let v = [0, 1, 3][day as usize - 5];
            assert!(came[&day].contains(&v));
            today.push((13, line(v, day, 13, &format!("/rare-{day}"))));
        }
        today.sort_by_key(|(hour, _)| *hour);
        lines.extend(today.into_iter().map(|(_, l)| (day, l)));
    }
    (lines, came)
}

struct Setup {
    tmp: tempfile::TempDir,
    key: PathBuf,
    policy: PathBuf,
}

impl Setup {
    fn new(epoch: &str) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("logveil.key");
        keygen(&key);
        let policy = tmp.path().join("policy.toml");
        std::fs::write(
            &policy,
            format!("[keys]\nepoch = \"{epoch}\"\n[suppression]\nk = {K}\nallow_small_k = true\n"),
        )
        .unwrap();
        Setup { tmp, key, policy }
    }

    fn dir(&self, name: &str) -> PathBuf {
        let d = self.tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// `logs/access.log` holding every line of the test log at once.
    fn whole_log(&self) -> PathBuf {
        let (lines, _) = log();
        let access = self.dir("logs").join("access.log");
        append(&access, &lines.iter().collect::<Vec<_>>());
        access
    }

    /// A nightly run over `log` with the state `state` into `out`.
    fn night(&self, log: &Path, out: &Path, state: &Path, extra: &[&str]) {
        let mut args = vec![
            "--state",
            state.to_str().unwrap(),
            "--key-file",
            self.key.to_str().unwrap(),
            "--policy",
            self.policy.to_str().unwrap(),
            "-q",
        ];
        args.extend_from_slice(extra);
        let r = run(&[log], out, &args);
        assert_exit(&r, 0);
    }
}

/// Appends `lines` to the file at `path`.
fn append(path: &Path, lines: &[&(u32, String)]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for (_, l) in lines {
        f.write_all(l.as_bytes()).unwrap();
    }
}

fn part(out: &Path, table: &str, key: &str, day: &str) -> PathBuf {
    out.join(table)
        .join(format!("{key}={day}"))
        .join("part-0.parquet")
}

/// `visitors` of the one site's row of a weekly or daily sites table.
fn visitors(path: &Path, column: &str) -> i64 {
    let rows = read_rows(path);
    assert_eq!(rows.len(), 1, "{}: {rows:?}", path.display());
    rows[0][column].int()
}

/// The audit of `out` against the log finds nothing.
fn audit_clean(out: &Path, log: &Path) {
    let report = logveil::audit::audit(out, &[log.to_path_buf()]).unwrap();
    assert!(
        report.clean(),
        "{:?} {:?}",
        report.findings,
        report.unreadable
    );
    assert!(report.files > 20, "{}", report.files);
}

#[test]
fn weekly_visitors_are_exact_over_the_week_whatever_the_nights() {
    let s = Setup::new("week");
    let (lines, came) = log();
    // Two nights, the first stopping on Thursday 5 at noon, in the first
    // week: days 2–5 are re-published on night 2, and the week rebuilt.
    let logs = s.dir("logs");
    let access = logs.join("access.log");
    let split = lines
        .iter()
        .position(|(d, l)| *d == 5 && l.contains(":13:"))
        .unwrap();
    let (first, second): (Vec<_>, Vec<_>) = lines.iter().enumerate().partition(|(i, _)| *i < split);
    let (first, second): (Vec<_>, Vec<_>) = (
        first.into_iter().map(|(_, l)| l).collect(),
        second.into_iter().map(|(_, l)| l).collect(),
    );
    let (out, state) = (s.tmp.path().join("out"), s.tmp.path().join("state"));
    append(&access, &first);
    s.night(&access, &out, &state, &[]);
    // After night 1, the first week holds days 2–5 only.
    let week1 = part(&out, "web_sites_weekly", "week", "2026-03-02");
    let seen: BTreeSet<usize> = (2..=5).flat_map(|d| came[&d].clone()).collect();
    assert_eq!(visitors(&week1, "visitors"), seen.len() as i64);
    append(&access, &second);
    s.night(&access, &out, &state, &[]);

    // One night over all the lines, with a fresh state.
    let once = s.dir("once");
    let all = once.join("all.log");
    append(&all, &lines.iter().collect::<Vec<_>>());
    let once_out = once.join("out");
    s.night(&all, &once_out, &once.join("state"), &[]);
    let (nightly, one) = (published(&out), published(&once_out));
    assert_eq!(
        nightly.keys().collect::<Vec<_>>(),
        one.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &nightly {
        assert!(one[name] == *bytes, "{name} differs from the one-night run");
    }

    for (monday, days) in [("2026-03-02", 2..=8), ("2026-03-09", 9..=15)] {
        let truth: BTreeSet<usize> = days.clone().flat_map(|d| came[&d].clone()).collect();
        let weekly = visitors(&part(&out, "web_sites_weekly", "week", monday), "visitors");
        assert_eq!(weekly, truth.len() as i64, "week of {monday}");
        let daily_sum: i64 = days
            .clone()
            .map(|d| {
                let day = format!("2026-03-{d:02}");
                let v = visitors(&part(&out, "web_sessions", "day", &day), "visitors");
                assert_eq!(v, came[&d].len() as i64, "{day}");
                v
            })
            .sum();
        assert!(weekly < daily_sum, "{weekly} vs {daily_sum}");
        // Sessions add up over the days: two a visitor a day (morning and
        // evening are 10 hours apart), and the noon visits of the first
        // week are sessions of their own.
        let rows = read_rows(&part(&out, "web_sites_weekly", "week", monday));
        let noon = lines
            .iter()
            .filter(|(d, l)| days.contains(d) && (l.contains(":12:") || l.contains(":13:")))
            .count();
        let sessions: usize = noon
            + (0..7)
                .map(|i| 2 * came[&(monday[8..].parse::<u32>().unwrap() + i)].len())
                .sum::<usize>();
        assert_eq!(rows[0]["sessions"].int(), sessions as i64);
    }
    // A path with one visitor a day but three in the week: folded in each
    // day's table, published in the week's.
    let pages = |p: &Path| -> Vec<String> {
        read_rows(p)
            .iter()
            .map(|r| r["path"].str().to_string())
            .collect()
    };
    let weekly_pages = read_rows(&part(&out, "web_pages_weekly", "week", "2026-03-02"));
    let only = weekly_pages
        .iter()
        .find(|r| r["path"].str() == "/weekly-only")
        .expect("a path with k visitors over the week is published weekly");
    assert_eq!(only["visitors"].int(), K as i64);
    for d in 2..=4 {
        let day = format!("2026-03-{d:02}");
        let daily = pages(&part(&out, "web_pages", "day", &day));
        assert!(!daily.contains(&"/weekly-only".to_string()), "{day}");
    }
    // No monthly tables under a weekly epoch.
    assert!(!out.join("web_sites_monthly").exists());
    let m = read_json(&out.join("_manifest.json"));
    assert_eq!(m["days"]["periods"]["grains"], serde_json::json!(["week"]));
    assert_eq!(
        m["days"]["periods"]["published"],
        serde_json::json!(["week=2026-03-02", "week=2026-03-09"])
    );
    let note = m["distinct_counts"].as_str().unwrap();
    assert!(note.contains("once per day"), "{note}");
    assert!(!note.contains("longer than a week counts a returning visitor once per week"));
    audit_clean(&out, &access);
}

#[test]
fn a_daily_epoch_publishes_no_period_table_and_says_why() {
    let s = Setup::new("day");
    let access = s.whole_log();
    let out = s.tmp.path().join("out");
    s.night(&access, &out, &s.tmp.path().join("state"), &[]);
    let files = published(&out);
    assert!(files.keys().any(|f| f.starts_with("web_pages/day=")));
    assert!(
        files
            .keys()
            .all(|f| !f.contains("_weekly") && !f.contains("_monthly")),
        "{:?}",
        files.keys()
    );
    let m = read_json(&out.join("_manifest.json"));
    let periods = &m["days"]["periods"];
    assert_eq!(periods["grains"], serde_json::json!([]));
    assert_eq!(periods["published"], serde_json::json!([]));
    let why = periods["note"].as_str().unwrap();
    assert!(why.contains("rotate every day"), "{why}");
    assert!(why.contains("by design"), "{why}");
    let note = m["distinct_counts"].as_str().unwrap();
    assert!(note.contains("cannot be counted"), "{note}");
    audit_clean(&out, &access);
}

#[test]
fn period_rows_below_k_fold_like_the_daily_ones() {
    let s = Setup::new("never");
    let access = s.whole_log();
    let (lines, _) = log();
    let out = s.tmp.path().join("out");
    s.night(&access, &out, &s.tmp.path().join("state"), &[]);
    for (table, key, start) in [
        ("web_pages_weekly", "week", "2026-03-02"),
        ("web_pages_monthly", "month", "2026-03-01"),
    ] {
        let rows = read_rows(&part(&out, table, key, start));
        let paths: Vec<&str> = rows.iter().map(|r| r["path"].str()).collect();
        // One visitor over the whole period: folded into `(other)`.
        assert!(
            paths.iter().all(|p| !p.starts_with("/rare")),
            "{table}: {paths:?}"
        );
        assert!(paths.contains(&"(other)"), "{table}: {paths:?}");
        assert!(paths.contains(&"/weekly-only"), "{table}: {paths:?}");
        for r in &rows {
            assert!(r["visitors"].int() >= K as i64, "{table}: {r:?}");
        }
        // Requests are kept: the (other) row holds the folded ones.
        let requests: i64 = rows.iter().map(|r| r["requests"].int()).sum();
        let expected = lines
            .iter()
            .filter(|(d, _)| key == "month" || (2..=8).contains(d))
            .count();
        assert_eq!(requests, expected as i64, "{table}");
    }
    // A month is one period: every visitor once.
    let monthly = visitors(
        &part(&out, "web_sites_monthly", "month", "2026-03-01"),
        "visitors",
    );
    assert_eq!(monthly, VISITORS as i64);
    audit_clean(&out, &access);
}

#[test]
fn a_period_missing_expired_partials_is_left_as_published() {
    let s = Setup::new("week");
    let access = s.whole_log();
    let (out, state) = (s.tmp.path().join("out"), s.tmp.path().join("state"));
    // Three days kept: the partials of 2026-03-13 to 15 survive.
    s.night(&access, &out, &state, &["--keep-days", "3"]);
    let week2 = part(&out, "web_sites_weekly", "week", "2026-03-09");
    let before = std::fs::read(&week2).unwrap();
    // A late line of Sunday 15 (week of the 9th, whose first days are
    // gone from the state) and one of Monday 16.
    let late: Vec<(u32, String)> = std::iter::once((15, line(0, 15, 23, "/late")))
        .chain((0..K).map(|v| (16, line(v, 16, 9, "/"))))
        .collect();
    append(&access, &late.iter().collect::<Vec<_>>());
    s.night(&access, &out, &state, &["--keep-days", "3"]);
    assert_eq!(std::fs::read(&week2).unwrap(), before, "week of the 9th");
    assert!(part(&out, "web_sites_weekly", "week", "2026-03-16").exists());
    let m = read_json(&out.join("_manifest.json"));
    let periods = &m["days"]["periods"];
    assert_eq!(
        periods["incomplete"],
        serde_json::json!(["week=2026-03-09"])
    );
    assert_eq!(periods["published"], serde_json::json!(["week=2026-03-16"]));
    // The day itself is re-published.
    let days = m["days"]["published"].as_array().unwrap();
    assert!(days.contains(&serde_json::json!("2026-03-15")), "{days:?}");
}

#[test]
fn the_output_owns_period_partitions_under_their_own_key_only() {
    use logveil::output::commit::Kind;
    let owns = |p: &str, dir: bool| Kind::Tables.owns(Path::new(p), dir);
    assert!(owns("web_sites_weekly", true));
    assert!(owns("web_pages_weekly/week=2026-03-02", true));
    assert!(owns(
        "web_pages_monthly/month=2026-03-01/part-0.parquet",
        false
    ));
    assert!(!owns("web_pages_weekly/day=2026-03-02", true));
    assert!(!owns("web_pages/week=2026-03-02", true));
    assert!(!owns(
        "web_pages_monthly/week=2026-03-02/part-0.parquet",
        false
    ));
    assert!(!owns("web_status_weekly", true));
    // Period tables are never flat files.
    assert!(!owns("web_pages_weekly.parquet", false));
}
