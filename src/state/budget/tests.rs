//! Unit tests of the budget ledger: its files through commits (exact
//! floats, merged days, carried days, retention, k-mode states), the
//! ceiling (alone and between threads) and damaged files.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::*;
use crate::aggregate::web::partial::DayPartial;
use crate::state::StateOptions;

const KEY: &str = "key-fingerprint";
const SETTINGS: &str = "settings";

/// 2026-03-01.
const DAY: i32 = 20_513;

fn open(dir: &Path) -> StateDir {
    StateDir::open(&StateOptions::new(dir), KEY, SETTINGS).unwrap()
}

/// A release spending `epsilon` with one row of `visitors`; its scales
/// and δ are values that JSON's default float parsing gets wrong by one
/// unit in the last place, so a lossy round trip shows.
fn release(day: i32, epsilon: f64, visitors: u64) -> StoredRelease {
    let scale = 1.107_968_188_354_379_7;
    StoredRelease {
        note: DpNote {
            epsilon,
            delta: 1e-5 / 3.0,
            threshold: 41,
            max_rows: 15,
            max_requests: 5,
            visitors_scale: scale,
            requests_scale: 1.922_158_598_435_787_8,
            ..DpNote::default()
        },
        rows: vec![DpRow {
            day,
            time: i64::from(day) * 86_400,
            site: "www.example.org".to_string(),
            key: vec!["/a".to_string()],
            visitors,
            requests: visitors * 3,
            visitors_scale: scale,
            requests_scale: 2.289_492_871_743_637_4,
        }],
    }
}

fn releases_path(state: &Path, day: i32) -> PathBuf {
    state
        .join(DP_DIR)
        .join(RELEASES_DIR)
        .join(releases_file_name(&day_name(day).unwrap()))
}

#[test]
fn the_json_of_awkward_floats_reads_back_exactly() {
    // Without serde_json's float_roundtrip, about one float in ten in
    // [0, 3) reads back one unit off; these three do.
    for x in [
        1.922_158_598_435_787_8_f64,
        1.107_968_188_354_379_7,
        2.289_492_871_743_637_4,
    ] {
        let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
        assert_eq!(back.to_bits(), x.to_bits(), "{x}");
    }
}

#[test]
fn a_record_survives_commit_and_reopen_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let e1 = 0.1 + 0.2;
    let e2 = 0.7 * 0.9;
    let s = open(&state);
    s.dp_record(DAY, "web_pages", release(DAY, e1, 50), 2.0)
        .unwrap();
    s.dp_record(DAY, "web_traffic", release(DAY, e2, 70), 2.0)
        .unwrap();
    // Within the run, the record is what is stored.
    assert_eq!(
        s.dp_stored(DAY, "web_pages").unwrap(),
        Some(release(DAY, e1, 50))
    );
    let generation = s.commit().unwrap().generation;

    let s = open(&state);
    let (eps, delta) = s.dp_spent(DAY);
    assert_eq!(eps.to_bits(), (e1 + e2).to_bits());
    assert_eq!(delta.to_bits(), (1e-5_f64 / 3.0 + 1e-5 / 3.0).to_bits());
    assert_eq!(s.dp_spent(DAY + 1), (0.0, 0.0));
    assert_eq!(
        s.dp_stored(DAY, "web_pages").unwrap(),
        Some(release(DAY, e1, 50))
    );
    assert_eq!(
        s.dp_stored(DAY, "web_traffic").unwrap(),
        Some(release(DAY, e2, 70))
    );
    assert_eq!(s.dp_stored(DAY, "web_clients").unwrap(), None);
    assert_eq!(s.dp_stored(DAY + 1, "web_pages").unwrap(), None);
    let spends = &s.budget.committed[&DAY];
    assert_eq!(spends.len(), 2);
    assert!(
        spends
            .iter()
            .all(|x| x.generation == generation && !x.replaced)
    );
    for file in [
        state.join(DP_DIR).join(BUDGET_FILE),
        releases_path(&state, DAY),
    ] {
        let mode = fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
}

#[test]
fn two_commits_add_up_and_a_release_again_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let s = open(&state);
    s.dp_record(DAY, "web_pages", release(DAY, 0.5, 10), 2.0)
        .unwrap();
    let first = s.commit().unwrap().generation;

    let s = open(&state);
    assert_eq!(s.dp_summary(), vec![]);
    s.dp_record(DAY, "web_pages", release(DAY, 0.75, 11), 2.0)
        .unwrap();
    assert_eq!(s.dp_spent(DAY).0, 1.25);
    let summary = s.dp_summary();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].day, DAY);
    assert_eq!(summary[0].fresh, vec!["web_pages".to_string()]);
    assert_eq!(summary[0].replaced, vec!["web_pages".to_string()]);
    assert_eq!(summary[0].epsilon, 1.25);
    let second = s.commit().unwrap().generation;

    let s = open(&state);
    assert_eq!(s.dp_spent(DAY).0, 1.25);
    let spends = &s.budget.committed[&DAY];
    let seen: Vec<_> = spends
        .iter()
        .map(|x| (x.epsilon, x.generation.as_str(), x.replaced))
        .collect();
    assert_eq!(
        seen,
        vec![(0.5, first.as_str(), false), (0.75, second.as_str(), true)]
    );
    // The new noise replaced the stored release.
    assert_eq!(
        s.dp_stored(DAY, "web_pages").unwrap(),
        Some(release(DAY, 0.75, 11))
    );
}

#[test]
fn the_ceiling_refuses_and_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let s = open(&state);
    s.dp_record(DAY, "web_pages", release(DAY, 0.7, 10), 2.0)
        .unwrap();
    s.dp_record(DAY, "web_traffic", release(DAY, 1.2, 10), 2.0)
        .unwrap();
    let e = s
        .dp_record(DAY, "web_pages", release(DAY, 0.7, 99), 2.0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "day 2026-03-01 has spent ε = 1.9 of its ceiling 2.0; releasing web_pages again \
             (ε = 0.7) would exceed it"
        ) && e.contains("republish = \"reuse\"")
            && e.contains("dp.max_epsilon_per_day")
            && !e.contains("--"),
        "{e}"
    );
    let e = s
        .dp_record(DAY, "web_clients", release(DAY, 0.2, 99), 2.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("releasing web_clients (ε = 0.2)"), "{e}");
    assert_eq!(s.dp_spent(DAY).0, 0.7 + 1.2);
    assert_eq!(s.dp_summary()[0].fresh, vec!["web_pages", "web_traffic"]);
    assert_eq!(
        s.dp_stored(DAY, "web_pages").unwrap(),
        Some(release(DAY, 0.7, 10))
    );
    assert_eq!(s.dp_stored(DAY, "web_clients").unwrap(), None);
    // Another day has its own ceiling; one exactly at it passes, though
    // its shares do not add up exactly in binary.
    for (table, e) in [("a", 0.1), ("b", 0.2), ("c", 0.7)] {
        s.dp_record(DAY + 1, table, release(DAY + 1, e, 1), 1.0)
            .unwrap();
    }
    // NaN anywhere refuses.
    assert!(
        s.dp_record(DAY + 2, "a", release(DAY + 2, f64::NAN, 1), 1.0)
            .is_err()
    );
    assert!(
        s.dp_record(DAY + 2, "a", release(DAY + 2, 0.1, 1), f64::NAN)
            .is_err()
    );
    s.commit().unwrap();

    let s = open(&state);
    assert_eq!(s.dp_spent(DAY).0, 0.7 + 1.2);
    assert_eq!(s.budget.committed[&DAY].len(), 2);
    assert_eq!(
        s.dp_stored(DAY, "web_pages").unwrap(),
        Some(release(DAY, 0.7, 10))
    );
    assert_eq!(s.dp_stored(DAY, "web_clients").unwrap(), None);
    assert!(!s.budget.committed.contains_key(&(DAY + 2)));
    assert!(!releases_path(&state, DAY + 2).exists());
    // A later run sees the day's spend: the ceiling holds across runs.
    assert!(
        s.dp_record(DAY, "web_clients", release(DAY, 0.2, 1), 2.0)
            .is_err()
    );
}

#[test]
fn a_days_tables_recorded_at_once_pass_or_fail_together() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let s = open(&state);
    let batch = |tables: &[(&str, f64, u64)]| -> Vec<(String, StoredRelease)> {
        tables
            .iter()
            .map(|&(t, e, v)| (t.to_string(), release(DAY, e, v)))
            .collect()
    };
    s.dp_record(DAY, "web_hours", release(DAY, 0.5, 5), 2.0)
        .unwrap();
    s.dp_record_day(
        DAY,
        batch(&[("web_pages", 0.5, 10), ("web_traffic", 0.5, 20)]),
        2.0,
    )
    .unwrap();
    // The third table would pass the ceiling: the whole call is refused,
    // and its first two tables are not recorded either.
    let e = s
        .dp_record_day(
            DAY,
            batch(&[
                ("web_clients", 0.25, 30),
                ("web_refs", 0.2, 40),
                ("web_search", 0.1, 50),
            ]),
            2.0,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("releasing web_search (ε = 0.1)"), "{e}");
    assert_eq!(s.dp_spent(DAY).0, 1.5);
    assert_eq!(
        s.dp_summary()[0].fresh,
        vec!["web_hours", "web_pages", "web_traffic"]
    );
    assert_eq!(s.dp_stored(DAY, "web_clients").unwrap(), None);
    s.dp_record_day(DAY, Vec::new(), 0.0).unwrap();
    s.commit().unwrap();

    let s = open(&state);
    let stored = s.dp_stored_day(DAY).unwrap();
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        ["web_hours", "web_pages", "web_traffic"]
    );
    assert_eq!(stored["web_traffic"], release(DAY, 0.5, 20));
}

#[test]
fn threads_recording_one_day_share_its_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir.path().join("state"));
    let tables: Vec<String> = (0..16).map(|i| format!("t{i}")).collect();
    let passed = std::thread::scope(|scope| {
        let handles: Vec<_> = tables
            .iter()
            .map(|t| {
                let s = &s;
                scope.spawn(move || s.dp_record(DAY, t, release(DAY, 0.25, 1), 1.0).is_ok())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|&ok| ok)
            .count()
    });
    assert_eq!(passed, 4);
    assert_eq!(s.dp_spent(DAY).0, 1.0);
    // Every table that passed is in the day's file, none that did not.
    let stored = tables
        .iter()
        .filter(|t| s.dp_stored(DAY, t).unwrap().is_some())
        .count();
    assert_eq!(stored, 4);
}

#[test]
fn a_day_recorded_again_keeps_its_other_tables() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let s = open(&state);
    s.dp_record(DAY, "web_pages", release(DAY, 0.5, 10), 2.0)
        .unwrap();
    s.dp_record(DAY, "web_traffic", release(DAY, 0.1, 20), 2.0)
        .unwrap();
    s.commit().unwrap();

    let s = open(&state);
    s.dp_record(DAY, "web_pages", release(DAY, 0.5, 30), 2.0)
        .unwrap();
    s.commit().unwrap();

    let s = open(&state);
    assert_eq!(
        s.dp_stored(DAY, "web_pages").unwrap(),
        Some(release(DAY, 0.5, 30))
    );
    assert_eq!(
        s.dp_stored(DAY, "web_traffic").unwrap(),
        Some(release(DAY, 0.1, 20))
    );
}

#[test]
fn untouched_days_are_carried_over_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let s = open(&state);
    s.dp_record(DAY, "web_pages", release(DAY, 0.5, 10), 2.0)
        .unwrap();
    s.dp_record(DAY + 1, "web_pages", release(DAY + 1, 0.5, 11), 2.0)
        .unwrap();
    s.commit().unwrap();
    let before = fs::metadata(releases_path(&state, DAY)).unwrap();
    let bytes = fs::read(releases_path(&state, DAY)).unwrap();

    let s = open(&state);
    s.dp_record(DAY + 1, "web_traffic", release(DAY + 1, 0.1, 12), 2.0)
        .unwrap();
    s.commit().unwrap();
    let after = fs::metadata(releases_path(&state, DAY)).unwrap();
    // Hard-linked, not rewritten.
    assert_eq!((after.dev(), after.ino()), (before.dev(), before.ino()));
    assert_eq!(fs::read(releases_path(&state, DAY)).unwrap(), bytes);

    // And a run that records nothing keeps every day.
    open(&state).commit().unwrap();
    let s = open(&state);
    assert_eq!(s.dp_spent(DAY).0, 0.5);
    assert_eq!(s.dp_spent(DAY + 1).0, 0.6);
    assert!(s.dp_stored(DAY, "web_pages").unwrap().is_some());
    assert!(s.dp_stored(DAY + 1, "web_pages").unwrap().is_some());
    assert!(s.dp_stored(DAY + 1, "web_traffic").unwrap().is_some());
}

#[test]
fn retention_keeps_the_budget_and_the_releases() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let opts = StateOptions {
        keep_days: Some(2),
        ..StateOptions::new(&state)
    };
    let s = StateDir::open(&opts, KEY, SETTINGS).unwrap();
    s.write_day(&DayPartial::new(DAY)).unwrap();
    s.dp_record(DAY, "web_pages", release(DAY, 0.5, 10), 2.0)
        .unwrap();
    s.commit().unwrap();

    let s = StateDir::open(&opts, KEY, SETTINGS).unwrap();
    s.write_day(&DayPartial::new(DAY + 10)).unwrap();
    let commit = s.commit().unwrap();
    assert_eq!(commit.expired, vec![DAY]);

    let s = StateDir::open(&opts, KEY, SETTINGS).unwrap();
    assert!(!s.stored_days().contains(&DAY));
    assert_eq!(s.dp_spent(DAY).0, 0.5);
    assert_eq!(
        s.dp_stored(DAY, "web_pages").unwrap(),
        Some(release(DAY, 0.5, 10))
    );
}

#[test]
fn a_state_without_releases_has_no_dp_directory() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let s = open(&state);
    s.write_day(&DayPartial::new(DAY)).unwrap();
    assert_eq!(s.dp_spent(DAY), (0.0, 0.0));
    assert_eq!(s.dp_stored(DAY, "web_pages").unwrap(), None);
    assert_eq!(s.dp_summary(), vec![]);
    s.commit().unwrap();
    assert!(state.join("state.json").exists());
    assert!(!state.join(DP_DIR).exists());
    open(&state).commit().unwrap();
    assert!(!state.join(DP_DIR).exists());
}

#[test]
fn a_damaged_or_lost_budget_refuses_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let s = open(&state);
    s.dp_record(DAY, "web_pages", release(DAY, 0.5, 10), 2.0)
        .unwrap();
    s.commit().unwrap();
    let budget = state.join(DP_DIR).join(BUDGET_FILE);
    let good = fs::read(&budget).unwrap();
    let refused = |what: &str| {
        let e = StateDir::open(&StateOptions::new(&state), KEY, SETTINGS)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("budget.json") && e.contains("backup"),
            "{what}: {e}"
        );
    };

    fs::write(&budget, b"{ not json").unwrap();
    refused("not json");
    let negative = String::from_utf8(good.clone()).unwrap().replacen(
        "\"epsilon\": 0.5",
        "\"epsilon\": -0.5",
        1,
    );
    assert_ne!(negative.as_bytes(), &good[..]);
    fs::write(&budget, negative).unwrap();
    refused("negative spend");
    fs::remove_file(&budget).unwrap();
    refused("missing beside releases");

    fs::write(&budget, &good).unwrap();
    assert_eq!(open(&state).dp_spent(DAY).0, 0.5);
    // A releases file holding another day than its name is damage too.
    let other = releases_path(&state, DAY + 1);
    fs::copy(releases_path(&state, DAY), &other).unwrap();
    let e = open(&state).dp_stored(DAY + 1, "web_pages").unwrap_err();
    assert!(
        e.to_string().contains("another day") && e.to_string().contains("backup"),
        "{e}"
    );
}
