//! Day-partitioned outputs (issue 14, items 2 and 4), through the library:
//! `HiveDir` re-publishes some days and carries the others over
//! unchanged; a commit killed at any step leaves the old set or the new
//! one; DuckDB and pyarrow read a table directory as one dataset with a
//! `day` column; the state kind of `OutputDir` is private and owns its
//! files; the audit looks into partitions.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use logveil::Error;
use logveil::output::commit::{OutputDir, PublishOptions};
use logveil::output::hive::{HiveDir, format_day, parse_day};
use logveil::output::schema::{ColumnType, TableSpec, WEB_PAGES, WEB_STATUS, WEB_TRAFFIC};
use logveil::output::table::{Table, Values};
use parquet::file::reader::{FileReader, SerializedFileReader};

const ABORT_ENV: &str = "LOGVEIL_TEST_ABORT_AT";
const NO_EXCHANGE_ENV: &str = "LOGVEIL_TEST_NO_EXCHANGE";
/// Tells `child_second_commit` which output to publish into.
const CHILD_ENV: &str = "LOGVEIL_TEST_HIVE_CHILD_OUT";

const TABLES: [&TableSpec; 3] = [&WEB_PAGES, &WEB_STATUS, &WEB_TRAFFIC];

fn day(text: &str) -> i32 {
    parse_day(text).unwrap()
}

/// A table of `rows` rows, all of `d`, whose values depend on `seed`.
fn table(spec: &'static TableSpec, d: i32, seed: i64, rows: usize) -> Table {
    let n = rows as i64;
    let columns = spec
        .columns
        .iter()
        .map(|c| match c.ty {
            ColumnType::Date => Values::Date(vec![d; rows]),
            ColumnType::Timestamp => Values::Timestamp(
                (0..n)
                    .map(|i| (i64::from(d) * 86_400 + i * 3_600) * 1_000_000)
                    .collect(),
            ),
            ColumnType::Utf8 => {
                Values::Utf8((0..n).map(|i| format!("/{}/{seed}/{i}", c.name)).collect())
            }
            ColumnType::Int64 => Values::Int64((0..n).map(|i| seed * 100 + i).collect()),
            ColumnType::Int32 => Values::Int32((0..n).map(|i| (seed + i) as i32).collect()),
            ColumnType::Bool => Values::Bool((0..n).map(|i| i % 2 == 0).collect()),
            ColumnType::Float64 => Values::Float64((0..n).map(|i| (seed + i) as f64).collect()),
            ColumnType::OptFloat64 => {
                Values::OptFloat64((0..n).map(|i| Some((seed + i) as f64)).collect())
            }
            ColumnType::OptInt64 => Values::OptInt64((0..n).map(|i| Some(seed + i)).collect()),
            ColumnType::OptInt32 => {
                Values::OptInt32((0..n).map(|i| Some((seed + i) as i32)).collect())
            }
        })
        .collect();
    Table::new(spec, columns).unwrap()
}

/// What one run publishes: per day, rows per table (0 for none), and the
/// seed of its values; plus days replaced without any table.
struct Plan {
    days: Vec<(i32, [usize; 3], i64)>,
    dropped: Vec<i32>,
}

/// The first set: four days of every table.
fn first() -> Plan {
    Plan {
        days: ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
            .iter()
            .map(|d| (day(d), [3, 2, 4], 1))
            .collect(),
        // So that it also restores the first set over the second.
        dropped: vec![day("2026-03-05")],
    }
}

/// The second set: 03-01 untouched, 03-02 re-published with other values,
/// 03-03 re-published with web traffic only, 03-04 gone, 03-05 new.
fn second() -> Plan {
    Plan {
        days: vec![
            (day("2026-03-02"), [5, 1, 4], 2),
            (day("2026-03-03"), [0, 0, 4], 2),
            (day("2026-03-05"), [2, 2, 2], 2),
        ],
        dropped: vec![day("2026-03-04")],
    }
}

/// Publishes `plan` into `out`, each day's tables from its own thread, and
/// a manifest naming the days the set holds.
fn publish(out: &Path, plan: &Plan) -> Result<PathBuf, Error> {
    publish_with(out, plan, PublishOptions::default())
}

fn publish_with(out: &Path, plan: &Plan, opts: PublishOptions) -> Result<PathBuf, Error> {
    let hive = HiveDir::prepare(out, opts)?;
    hive.replace_days(&plan.dropped);
    std::thread::scope(|s| {
        let tasks: Vec<_> = plan
            .days
            .iter()
            .map(|&(d, rows, seed)| {
                let hive = &hive;
                s.spawn(move || {
                    for (spec, n) in TABLES.iter().zip(rows) {
                        let report = hive.table_for_day(d, &table(spec, d, seed, n))?;
                        assert_eq!(report.is_some(), n > 0);
                    }
                    Ok::<_, Error>(())
                })
            })
            .collect();
        tasks.into_iter().try_for_each(|t| t.join().unwrap())
    })?;
    let kept = hive.kept_partitions()?;
    let days: Vec<String> = hive
        .days_after_commit()?
        .into_iter()
        .map(|d| format_day(d).unwrap())
        .collect();
    hive.commit_with(|staging| {
        let path = staging.join("_manifest.json");
        let kept: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
        let manifest = serde_json::json!({ "days": days, "kept": kept });
        std::fs::write(&path, manifest.to_string()).unwrap();
        Ok(path)
    })
}

fn part(out: &Path, table: &str, d: &str) -> PathBuf {
    out.join(table)
        .join(format!("day={d}"))
        .join("part-0.parquet")
}

fn column_names(file: &Path) -> Vec<String> {
    let reader = SerializedFileReader::new(std::fs::File::open(file).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    schema
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect()
}

#[test]
fn a_second_commit_replaces_its_days_and_keeps_the_others_as_they_were() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let manifest = publish(&out, &first()).unwrap();
    assert_eq!(manifest, out.join("_manifest.json"));
    let before = common::files_under(&out);
    assert_eq!(before.len(), 4 * 3 + 1, "{:?}", before.keys());
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
    let kept: Vec<(PathBuf, u64)> = TABLES
        .iter()
        .map(|t| part(&out, t.name, "2026-03-01"))
        .map(|p| (p.clone(), ino(&p)))
        .collect();
    let replaced_ino = ino(&part(&out, "web_pages", "2026-03-02"));

    publish(&out, &second()).unwrap();
    let after = common::files_under(&out);

    // The untouched day: the same files (inodes), so the same bytes.
    for (p, i) in &kept {
        assert_eq!(ino(p), *i, "{}", p.display());
        let rel = p.strip_prefix(&out).unwrap().to_string_lossy().into_owned();
        assert_eq!(after[&rel], before[&rel]);
    }
    // The re-published day: new files with the new values.
    let p = part(&out, "web_pages", "2026-03-02");
    assert_ne!(ino(&p), replaced_ino);
    let rel = "web_pages/day=2026-03-02/part-0.parquet";
    assert_ne!(after[rel], before[rel]);
    assert_eq!(common::read_rows(&p).len(), 5);
    // Re-published without rows for a table: no partition of it left.
    assert!(!out.join("web_pages/day=2026-03-03").exists());
    assert!(!out.join("web_status/day=2026-03-03").exists());
    assert!(part(&out, "web_traffic", "2026-03-03").exists());
    // A day dropped from every table is gone, a new one is there.
    for t in TABLES {
        assert!(
            !out.join(t.name).join("day=2026-03-04").exists(),
            "{}",
            t.name
        );
        assert!(part(&out, t.name, "2026-03-05").exists(), "{}", t.name);
    }
    let mut expected: Vec<String> = Vec::new();
    for (d, tables) in [
        ("2026-03-01", &TABLES[..]),
        ("2026-03-02", &TABLES[..]),
        ("2026-03-03", &TABLES[2..]),
        ("2026-03-05", &TABLES[..]),
    ] {
        for t in tables {
            expected.push(format!("{}/day={d}/part-0.parquet", t.name));
        }
    }
    expected.push("_manifest.json".into());
    expected.sort();
    assert_eq!(after.keys().cloned().collect::<Vec<_>>(), expected);
    let m = common::read_json(&out.join("_manifest.json"));
    assert_eq!(
        m["days"],
        serde_json::json!(["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-05"])
    );
    assert_eq!(
        m["kept"],
        serde_json::json!(TABLES.map(|t| format!("{}/day=2026-03-01/part-0.parquet", t.name)))
    );
    // The day is in the path, not in the file; web_traffic has no day
    // column and keeps every column.
    let pages = column_names(&part(&out, "web_pages", "2026-03-01"));
    assert!(!pages.contains(&"day".to_string()), "{pages:?}");
    assert_eq!(pages.len(), WEB_PAGES.columns.len() - 1);
    let traffic = column_names(&part(&out, "web_traffic", "2026-03-01"));
    assert_eq!(traffic.len(), WEB_TRAFFIC.columns.len());
    assert_eq!(common::leftovers(tmp.path()), Vec::<String>::new());

    // What the next run sees as published.
    let hive = HiveDir::prepare(&out, PublishOptions::default()).unwrap();
    let days: Vec<i32> = hive.published_days().unwrap().into_iter().collect();
    assert_eq!(
        days,
        ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-05"].map(day)
    );
}

#[test]
fn a_partition_refuses_rows_of_another_day_and_a_second_write() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let hive = HiveDir::prepare(&out, PublishOptions::default()).unwrap();
    let d = day("2026-03-01");
    let mut t = table(&WEB_PAGES, d, 1, 3);
    if let Values::Date(days) = &mut t.columns[0] {
        days[2] = d + 1;
    }
    let err = hive.table_for_day(d, &t).unwrap_err().to_string();
    assert!(
        err.contains("2026-03-02") && err.contains("web_pages"),
        "{err}"
    );
    hive.table_for_day(d, &table(&WEB_PAGES, d, 1, 3)).unwrap();
    let err = hive
        .table_for_day(d, &table(&WEB_PAGES, d, 2, 3))
        .unwrap_err()
        .to_string();
    assert!(err.contains("twice"), "{err}");
    let err = hive
        .table_for_day(i32::MAX, &table(&WEB_PAGES, i32::MAX, 1, 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("outside"), "{err}");
    drop(hive);
    assert!(!out.exists());
}

/// The second commit, in a child process, when the parent asks for it.
#[test]
fn child_second_commit() {
    if let Some(out) = std::env::var_os(CHILD_ENV) {
        publish(Path::new(&out), &second()).unwrap();
    }
}

fn kill_at_every_step(no_exchange: bool) {
    let tmp = tempfile::tempdir().unwrap();
    // The sets expected before and after, published without interruption.
    let reference = tmp.path().join("reference");
    publish(&reference, &first()).unwrap();
    let old = common::files_under(&reference);
    publish(&reference, &second()).unwrap();
    let new = common::files_under(&reference);
    assert_ne!(old, new);

    let out = tmp.path().join("out");
    let mut steps = 0;
    for n in 1.. {
        publish(&out, &first()).unwrap();
        assert_eq!(common::files_under(&out), old);
        assert_eq!(
            common::leftovers(tmp.path()),
            Vec::<String>::new(),
            "step {n}"
        );
        let mut child = Command::new(std::env::current_exe().unwrap());
        child
            .current_dir(tmp.path())
            .args([
                "child_second_commit",
                "--exact",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD_ENV, &out)
            .env(ABORT_ENV, n.to_string())
            .env_remove(NO_EXCHANGE_ENV);
        if no_exchange {
            child.env(NO_EXCHANGE_ENV, "1");
        }
        let r = child.output().unwrap();
        if r.status.code() == Some(0) {
            assert_eq!(common::files_under(&out), new, "finished at step {n}");
            break;
        }
        assert_eq!(r.status.code(), None, "step {n}: not aborted: {r:?}");
        steps = n;
        if out.exists() {
            let now = common::files_under(&out);
            assert!(now == old || now == new, "step {n}: a mix of the two sets");
        } else {
            assert!(no_exchange, "step {n}: output missing");
        }
        assert!(n < 300, "the hook never let the commit finish");
    }
    // 7 partitions written (create, sync), one day's 3 tables carried,
    // then fsync, swap, fsync of the parent, removal (the manifest here is
    // the test's own, written without steps).
    assert!(steps >= 2 * 7 + 3 + 4, "only {steps} steps");
    eprintln!("killed at each of {steps} steps (no_exchange = {no_exchange})");
}

#[test]
fn a_commit_with_carry_over_killed_at_any_step_leaves_the_old_set_or_the_new_one() {
    kill_at_every_step(false);
}

#[test]
fn the_two_rename_fallback_with_carry_over_is_safe_at_any_step_too() {
    kill_at_every_step(true);
}

#[test]
fn duckdb_and_pyarrow_read_a_table_directory_as_one_dataset() {
    if !common::python_has("duckdb, pyarrow") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    publish(&out, &first()).unwrap();
    publish(&out, &second()).unwrap();
    // Rows per table and day, as both plans leave them.
    let mut expected: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for plan in [first(), second()] {
        for d in &plan.dropped {
            for t in TABLES {
                expected
                    .entry(t.name)
                    .or_default()
                    .remove(&format_day(*d).unwrap());
            }
        }
        for (d, rows, _) in &plan.days {
            for (t, n) in TABLES.iter().zip(rows) {
                let by_day = expected.entry(t.name).or_default();
                if *n > 0 {
                    by_day.insert(format_day(*d).unwrap(), *n);
                } else {
                    by_day.remove(&format_day(*d).unwrap());
                }
            }
        }
    }
    let expected = serde_json::to_string(&expected).unwrap();
    common::run_python(
        "read_hive.py",
        &[out.as_os_str(), std::ffi::OsStr::new(&expected)],
    );
}

#[test]
fn the_state_kind_is_private_and_owns_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let partial = Path::new("partials/day=2026-03-01/web.parquet");
    let dir = OutputDir::prepare(&state, PublishOptions::state()).unwrap();
    assert!(dir.carry_over(|_| true).unwrap().is_empty());
    std::fs::write(dir.staging().join("ledger.json"), "{}").unwrap();
    std::fs::write(dir.staging().join("state.json"), "{}").unwrap();
    std::fs::create_dir_all(dir.staging().join("partials/day=2026-03-01")).unwrap();
    std::fs::write(dir.staging().join(partial), "PAR1").unwrap();
    dir.commit().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    let ino = std::fs::metadata(state.join(partial)).unwrap().ino();

    // Its own files are not foreign; a run keeps them by carrying them
    // over, and tightens a state an operator opened up.
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = OutputDir::prepare(&state, PublishOptions::state()).unwrap();
    let carried = dir.carry_over(|rel| rel.starts_with("partials")).unwrap();
    assert_eq!(carried, vec![partial.to_path_buf()]);
    std::fs::write(dir.staging().join("ledger.json"), "{\"v\":2}").unwrap();
    dir.commit().unwrap();
    assert_eq!(mode(&state), 0o700);
    assert_eq!(std::fs::metadata(state.join(partial)).unwrap().ino(), ino);
    assert!(!state.join("state.json").exists());
    assert_eq!(
        std::fs::read_to_string(state.join("ledger.json")).unwrap(),
        "{\"v\":2}"
    );

    // Anything else is foreign there, and the state is no table output.
    std::fs::write(state.join("notes.txt"), "x").unwrap();
    match OutputDir::prepare(&state, PublishOptions::state()) {
        Err(Error::ForeignFiles {
            count: 1, names, ..
        }) => assert_eq!(names, "notes.txt"),
        other => panic!("{other:?}"),
    }
    std::fs::remove_file(state.join("notes.txt")).unwrap();
    match OutputDir::prepare(&state, PublishOptions::default()) {
        Err(Error::ForeignFiles { count: 2, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_stray_file_inside_a_partition_is_foreign_and_adopted_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    publish(&out, &first()).unwrap();
    let stray = out.join("web_pages/day=2026-03-04/notes.txt");
    std::fs::write(&stray, "mine").unwrap();
    match publish(&out, &second()) {
        Err(Error::ForeignFiles {
            count: 1, names, ..
        }) => {
            assert_eq!(names, "web_pages/day=2026-03-04/notes.txt")
        }
        other => panic!("{other:?}"),
    }
    let mut opts = PublishOptions::default();
    opts.adopt_foreign = true;
    publish_with(&out, &second(), opts).unwrap();
    // The day's partitions are gone, the operator's file is not.
    assert_eq!(std::fs::read_to_string(&stray).unwrap(), "mine");
    assert!(!part(&out, "web_pages", "2026-03-04").exists());
}

#[test]
fn the_audit_looks_into_partitions_and_names_their_table() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("access.log");
    std::fs::write(
        &log,
        "198.51.100.23 - - [01/Mar/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"x\"\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let hive = HiveDir::prepare(&out, PublishOptions::default()).unwrap();
    let d = day("2026-03-01");
    let mut t = table(&WEB_PAGES, d, 1, 2);
    if let Values::Utf8(paths) = &mut t.columns[2] {
        paths[1] = "/u/198.51.100.23".into();
    }
    hive.table_for_day(d, &t).unwrap();
    hive.commit_with(|staging| {
        let path = staging.join("_manifest.json");
        std::fs::write(&path, "{}").unwrap();
        Ok(path)
    })
    .unwrap();
    let report = logveil::audit::audit(&out, &[log]).unwrap();
    assert!(report.unreadable.is_empty(), "{:?}", report.unreadable);
    assert_eq!(report.files, 2);
    let f = report
        .findings
        .iter()
        .find(|f| f.place == "value")
        .unwrap_or_else(|| panic!("{:?}", report.findings));
    assert_eq!(f.file, "web_pages/day=2026-03-01/part-0.parquet");
    assert_eq!(f.table.as_deref(), Some("web_pages"));
    assert_eq!(f.column.as_deref(), Some("path"));
    assert_eq!(f.row, Some(1));
}

#[test]
fn a_flat_output_becomes_a_partitioned_one_without_a_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // What a one-shot run leaves (contents do not matter here).
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("web_pages.parquet"), "PAR1").unwrap();
    std::fs::write(out.join("_manifest.json"), "{}").unwrap();
    // Its files are logveil's own, so not refused, and not carried over.
    publish(&out, &first()).unwrap();
    assert!(!out.join("web_pages.parquet").exists());
    assert_eq!(common::files_under(&out).len(), 4 * 3 + 1);
}
