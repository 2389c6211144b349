//! The differential-privacy release mode end to end, through the CLI: it
//! needs a state (its budget ledger), says what it is in the manifest and
//! every file, publishes only noisy, bounded values of the listed tables,
//! never leaks an identifier, and publishing a day again gives the stored
//! release back unless the policy spends new budget, within the ceiling.
//! The statistical guarantee itself is audited in `dp_audit.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// ε per day of the tests' policies: larger than the default, so that
/// logs small enough for a test publish more than a few rows.
const EPSILON: f64 = 5.0;

/// Writes a policy with the DP mode on at [`EPSILON`], a ceiling of two
/// releases a day, and `extra` lines in `[dp]`.
fn policy(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "[dp]\nenabled = true\nepsilon = {EPSILON}\nmax_epsilon_per_day = {}\n{extra}\n",
        2.0 * EPSILON
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A generated log of `lines` lines.
fn generated(dir: &Path, lines: u32) -> PathBuf {
    let path = dir.join("access.log");
    let out = logveil()
        .args([
            "gen",
            "--lines",
            &lines.to_string(),
            "--seed",
            "7",
            "--days",
            "3",
        ])
        .arg("--out")
        .arg(&path)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    path
}

fn dp_run(input: &Path, out: &Path, state: &Path, key: &Path, policy: &Path) -> Output {
    let (state, key, policy) = (state.to_str(), key.to_str(), policy.to_str());
    let (state, key, policy) = (state.unwrap(), key.unwrap(), policy.unwrap());
    run(
        &[input],
        out,
        &[
            "--state",
            state,
            "--key-file",
            key,
            "--policy",
            policy,
            "-q",
        ],
    )
}

/// Every row of every day of a day-partitioned table, the day added
/// from the partition's name.
fn hive_rows(out: &Path, table: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let Ok(days) = std::fs::read_dir(out.join(table)) else {
        return rows;
    };
    let mut days: Vec<PathBuf> = days.map(|d| d.unwrap().path()).collect();
    days.sort();
    for day in days {
        let name = day.file_name().unwrap().to_string_lossy().into_owned();
        for mut row in read_rows(&day.join("part-0.parquet")) {
            row.insert("partition".into(), Cell::Str(name.clone()));
            rows.push(row);
        }
    }
    rows
}

/// The file metadata of a Parquet file.
fn metadata(path: &Path) -> BTreeMap<String, String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let kv = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned();
    kv.unwrap_or_default()
        .into_iter()
        .map(|kv| (kv.key, kv.value.unwrap_or_default()))
        .collect()
}

struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    log: PathBuf,
    key: PathBuf,
    state: PathBuf,
}

fn setup(lines: u32) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let log = generated(&dir, lines);
    let key = dir.join("key");
    keygen(&key);
    Setup {
        state: dir.join("state"),
        dir,
        log,
        key,
        _tmp: tmp,
    }
}

#[test]
fn the_dp_mode_needs_a_state_for_its_ledger() {
    let s = setup(2_000);
    let policy = policy(&s.dir, "dp.toml", "");
    let out = s.dir.join("out");
    let r = run(
        &[&s.log],
        &out,
        &["--policy", policy.to_str().unwrap(), "-q"],
    );
    assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("state directory"), "{err}");
    assert!(!out.exists(), "nothing is published");
}

#[test]
fn a_dp_release_is_noisy_bounded_and_says_so_everywhere() {
    let s = setup(30_000);
    let exact = s.dir.join("exact");
    let r = run(
        &[&s.log],
        &exact,
        &["--key-file", s.key.to_str().unwrap(), "-q"],
    );
    assert_exit(&r, 0);
    let policy = policy(&s.dir, "dp.toml", "");
    let out = s.dir.join("out");
    assert_exit(&dp_run(&s.log, &out, &s.state, &s.key, &policy), 0);

    let manifest = read_json(&out.join("_manifest.json"));
    assert_eq!(manifest["release"], "dp");
    // Only tables of the default set (those with a row past their
    // threshold): no sessions, status, versions or periods.
    let tables: BTreeSet<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('_'))
        .collect();
    let allowed = ["web_clients", "web_pages", "web_referrers", "web_traffic"];
    assert!(tables.contains("web_pages"), "{tables:?}");
    assert!(
        tables.iter().all(|t| allowed.contains(&t.as_str())),
        "{tables:?}"
    );
    for entry in manifest["tables"].as_array().unwrap() {
        // The largest default share is web_pages' 0.8 of the day.
        let dp = &entry["dp"];
        assert!(
            dp["epsilon"].as_f64().unwrap() <= 0.8 * EPSILON + 1e-9,
            "{entry}"
        );
        assert!(dp["delta"].as_f64().unwrap() <= 0.8e-5 + 1e-15, "{entry}");
        assert_eq!(dp["reused"], false);
        let file = out.join(entry["file"].as_str().unwrap());
        let meta = metadata(&file);
        assert_eq!(meta.get("logveil.release").map(String::as_str), Some("dp"));
        assert!(
            meta.get("logveil.dp")
                .is_some_and(|n| n.contains("epsilon"))
        );
    }

    // Every published page: at least the threshold, within noise of the
    // exact count or below it (bounds only ever remove visitors). Noise
    // beyond 20 scales has probability e^-20 per row.
    let pages = hive_rows(&out, "web_pages");
    assert!(pages.len() > 10, "pages are published: {}", pages.len());
    let exact_pages: BTreeMap<(i64, String), i64> = read_rows(&exact.join("web_pages.parquet"))
        .into_iter()
        .map(|r| {
            (
                (r["day"].int(), r["path"].str().to_string()),
                r["visitors"].int(),
            )
        })
        .collect();
    let threshold = manifest["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "web_pages")
        .map(|t| t["dp"]["threshold"].as_i64().unwrap())
        .unwrap();
    for row in &pages {
        let visitors = row["visitors"].int();
        let scale = row["visitors_scale"].float();
        assert!(visitors >= threshold, "{row:?}");
        assert!(row["requests"].int() >= visitors, "{row:?}");
        let day = read_day(row["partition"].str());
        let exact = exact_pages
            .get(&(day, row["path"].str().to_string()))
            .copied()
            .unwrap_or(0);
        assert!(
            (visitors as f64) <= exact as f64 + 20.0 * scale,
            "{row:?} against an exact {exact}"
        );
    }

    // The audit finds no identifier of the input, and the report says
    // what the numbers are.
    assert_exit(&audit(&out, &s.log, &[]), 0);
    let html = s.dir.join("report.html");
    let r = logveil()
        .args(["report", "--html"])
        .arg(&html)
        .arg(&out)
        .output()
        .unwrap();
    assert_exit(&r, 0);
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("differential privacy"), "the report says DP");

    // No address of the log anywhere in the outputs.
    let text = String::from_utf8_lossy(&read_input(&s.log)).into_owned();
    let ips: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect();
    for (name, bytes) in files_under(&out) {
        let text = String::from_utf8_lossy(&bytes);
        let found: Vec<&String> = ips.iter().filter(|ip| text.contains(ip.as_str())).collect();
        assert!(found.is_empty(), "{name} holds {found:?}");
    }
}

/// Days since 1970 of a `day=YYYY-MM-DD` partition name.
fn read_day(partition: &str) -> i64 {
    let date = partition.trim_start_matches("day=");
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
}

/// Each table's rows, for comparing two outputs' values.
fn values(out: &Path) -> BTreeMap<&'static str, Vec<Row>> {
    ["web_pages", "web_traffic", "web_referrers", "web_clients"]
        .into_iter()
        .map(|t| (t, hive_rows(out, t)))
        .collect()
}

/// ε the ledger records per day.
fn spent(state: &Path) -> BTreeMap<String, f64> {
    let ledger = read_json(&state.join("dp").join("budget.json"));
    let mut out = BTreeMap::new();
    for entry in ledger["days"].as_array().unwrap() {
        let day = entry["day"].as_str().unwrap().to_string();
        let total: f64 = entry["spends"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["epsilon"].as_f64().unwrap())
            .sum();
        out.insert(day, total);
    }
    out
}

#[test]
fn a_day_published_again_is_the_stored_release_unless_budget_is_spent_within_the_ceiling() {
    let s = setup(10_000);
    let reuse = policy(&s.dir, "reuse.toml", "");
    let first = s.dir.join("first");
    assert_exit(&dp_run(&s.log, &first, &s.state, &s.key, &reuse), 0);
    assert!(
        !values(&first)["web_pages"].is_empty(),
        "pages are published"
    );
    let spent_once = spent(&s.state);
    assert!(!spent_once.is_empty());
    for (day, eps) in &spent_once {
        assert!(
            *eps > 0.9 * EPSILON && *eps <= EPSILON + 1e-9,
            "{day}: {eps}"
        );
    }

    // A new output directory has none of the days: every stored day is
    // published again, from the ledger, with the same noisy values.
    let again = s.dir.join("again");
    assert_exit(&dp_run(&s.log, &again, &s.state, &s.key, &reuse), 0);
    assert_eq!(values(&again), values(&first), "no fresh noise on a rerun");
    assert_eq!(spent(&s.state), spent_once, "reusing spends nothing");
    let manifest = read_json(&again.join("_manifest.json"));
    for t in manifest["tables"].as_array().unwrap() {
        assert_eq!(t["dp"]["reused"], true, "{t}");
    }

    // Spending releases the days again, with new noise, and says so.
    let spend = policy(&s.dir, "spend.toml", "republish = \"spend\"");
    let spent_out = s.dir.join("spent");
    assert_exit(&dp_run(&s.log, &spent_out, &s.state, &s.key, &spend), 0);
    assert_ne!(
        values(&spent_out),
        values(&first),
        "a spend draws new noise"
    );
    let manifest = read_json(&spent_out.join("_manifest.json"));
    for t in manifest["tables"].as_array().unwrap() {
        assert_eq!(t["dp"]["reused"], false, "{t}");
    }
    for (day, eps) in spent(&s.state) {
        assert!((eps - 2.0 * spent_once[&day]).abs() < 1e-9, "{day}: {eps}");
    }

    // A third release would pass the ceiling of 2: refused, nothing
    // published, nothing spent.
    let refused = s.dir.join("refused");
    let r = dp_run(&s.log, &refused, &s.state, &s.key, &spend);
    assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("max_epsilon_per_day"), "{err}");
    assert!(!refused.join("_manifest.json").exists());
    for (day, eps) in spent(&s.state) {
        assert!((eps - 2.0 * spent_once[&day]).abs() < 1e-9, "{day}: {eps}");
    }
}

/// The days a day-partitioned table holds.
fn days_of(out: &Path, table: &str) -> Vec<String> {
    let mut days: Vec<String> = std::fs::read_dir(out.join(table))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    days.sort();
    days
}

#[test]
fn the_newest_day_is_released_only_once_a_later_day_has_data() {
    let s = setup(10_000);
    let logs = s.dir.join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::rename(&s.log, logs.join("access.log")).unwrap();
    let policy = policy(&s.dir, "dp.toml", "");
    let out = s.dir.join("out");
    assert_exit(&dp_run(&logs, &out, &s.state, &s.key, &policy), 0);
    // Three days of lines: the third may still grow, so it is held.
    assert_eq!(
        days_of(&out, "web_pages"),
        ["day=2026-03-01", "day=2026-03-02"]
    );
    let manifest = read_json(&out.join("_manifest.json"));
    let published = manifest["days"]["published"].as_array().unwrap();
    assert_eq!(published.len(), 2, "{manifest}");

    // A night brings the next day's first line: the third day is
    // released, over all its lines, and the fourth is held.
    let line =
        "192.0.2.44 - - [04/Mar/2026:00:10:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8.0\"\n";
    std::fs::write(logs.join("access.log.next"), line).unwrap();
    assert_exit(&dp_run(&logs, &out, &s.state, &s.key, &policy), 0);
    assert_eq!(
        days_of(&out, "web_pages"),
        ["day=2026-03-01", "day=2026-03-02", "day=2026-03-03"]
    );
}

/// A name of letters that path cleaning keeps as it is (no digits, no
/// hex): `n` written in base 20 over `g..=z`.
fn word(mut n: usize) -> String {
    let mut w = String::new();
    for _ in 0..4 {
        w.push(char::from(b'g' + (n % 20) as u8));
        n /= 20;
    }
    w
}

/// A log where 300 visitors read `/popular` on 1 March and again on
/// 2 March, when each also reads 40 pages nobody else reads.
fn heavy_readers(dir: &Path) -> PathBuf {
    use std::fmt::Write;
    let mut log = String::new();
    let mut line = |day: u32, v: usize, path: &str| {
        let ip = format!("10.0.{}.{}", v / 200, v % 200 + 1);
        writeln!(
            log,
            "{ip} - - [{day:02}/Mar/2026:10:00:00 +0000] \"GET {path} HTTP/1.1\" 200 900 \"-\" \
             \"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\""
        )
        .unwrap();
    };
    for v in 0..300 {
        line(1, v, "/popular");
    }
    for v in 0..300 {
        line(2, v, "/popular");
        for i in 0..40 {
            line(2, v, &format!("/notes/{}", word(v * 40 + i)));
        }
    }
    let path = dir.join("heavy.log");
    std::fs::write(&path, log).unwrap();
    path
}

/// `/popular`'s published visitors on 2 March.
fn popular_on_second_day(out: &Path) -> i64 {
    let rows = hive_rows(out, "web_pages");
    let row = rows
        .iter()
        .find(|r| r["partition"].str() == "day=2026-03-02" && r["path"].str() == "/popular");
    row.map_or(0, |r| r["visitors"].int())
}

#[test]
fn visitors_past_max_rows_keep_the_pages_earlier_days_published() {
    let s = setup(10);
    let log = heavy_readers(&s.dir);
    // On 2 March every visitor has 41 pages, past max_rows = 15. Choosing
    // by their own requests (one each) keeps /popular for about 15 in 41
    // of them (110 of 300, standard deviation 8); preferring what 1 March
    // published keeps it for all 300. The noise of visitors here has a
    // scale of about 5, so 250 and 200 are each beyond 10 scales and
    // 10 standard deviations of their side.
    let prefer = policy(&s.dir, "prefer.toml", "hold_newest_day = false");
    let out = s.dir.join("prefer");
    assert_exit(&dp_run(&log, &out, &s.state, &s.key, &prefer), 0);
    let kept = popular_on_second_day(&out);
    assert!(kept >= 250, "preferring published pages: {kept}");

    let own = policy(
        &s.dir,
        "own.toml",
        "hold_newest_day = false\nprefer_published_days = 0",
    );
    let out = s.dir.join("own");
    let state = s.dir.join("own-state");
    assert_exit(&dp_run(&log, &out, &state, &s.key, &own), 0);
    let kept = popular_on_second_day(&out);
    assert!(kept < 200, "own requests only: {kept}");
}
