//! The Spark job of `scale-out/` (issue 16): three shards whose visitors
//! overlap (every visitor's lines spread over all three, on several days;
//! each line in exactly one shard) go through `logveil partial` as Spark
//! tasks, a Spark SQL merge per day and one `logveil publish`, on
//! `local[2]`; the published tables are byte-identical to one `run
//! --state` over all the lines, and to `logveil publish` of the shards
//! without Spark. Shards of the differential-privacy mode are refused at
//! the merge, with the reason. Skipped without PySpark or Java, except
//! under CI.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use common::{assert_exit, assert_same_tables, keygen, logveil, read_json, root, run};

/// Whether `java -version` runs; under CI it must.
fn java_runs() -> bool {
    let ok = Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have a Java runtime for PySpark (see .ci/run)"
        );
        eprintln!("SKIPPED: no Java runtime for PySpark; install openjdk-17-jre-headless");
    }
    ok
}

/// Rows of a Parquet file.
fn row_count(path: &Path) -> i64 {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    reader.metadata().file_metadata().num_rows()
}

/// A generated log dealt round three host directories in runs of 1 to 4
/// lines, so a visitor's lines, sessions and days are on every shard.
fn shards(tmp: &Path) -> (PathBuf, Vec<PathBuf>) {
    let all = tmp.join("all.log");
    let r = logveil()
        .args(["gen", "--lines", "6000", "--seed", "16", "--out"])
        .arg(&all)
        .output()
        .unwrap();
    assert_exit(&r, 0);
    let bytes = std::fs::read(&all).unwrap();
    let mut shards = [Vec::new(), Vec::new(), Vec::new()];
    for (i, line) in bytes
        .strip_suffix(b"\n")
        .unwrap()
        .split(|&b| b == b'\n')
        .enumerate()
    {
        let shard = &mut shards[(i / (1 + i % 4)) % 3];
        shard.extend_from_slice(line);
        shard.push(b'\n');
    }
    let hosts = shards
        .iter()
        .enumerate()
        .map(|(i, lines)| {
            let dir = tmp.join(format!("host{i}"));
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("access.log"), lines).unwrap();
            dir
        })
        .collect();
    (all, hosts)
}

/// The Spark job over `hosts` on `local[2]`, with `more` options.
fn spark_job(
    hosts: &[PathBuf],
    key: &Path,
    work: &Path,
    out: &Path,
    more: &[&OsStr],
) -> std::process::Output {
    Command::new("python3")
        .arg(root().join("scale-out/logveil_spark.py"))
        .args(hosts)
        .arg("--key-file")
        .arg(key)
        .args(more)
        .arg("--work")
        .arg(work)
        .arg("--out")
        .arg(out)
        .arg("--logveil")
        .arg(env!("CARGO_BIN_EXE_logveil"))
        .args(["--master", "local[2]", "--day-partitions", "4"])
        .env_remove("LOGVEIL_KEY_FILE")
        .env_remove("SPARK_HOME")
        .output()
        .unwrap()
}

#[test]
fn three_overlapping_shards_through_spark_publish_the_bytes_of_one_run() {
    if !common::python_has("pyspark") || !java_runs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("logveil.key");
    keygen(&key);
    let (all, hosts) = shards(tmp.path());
    let (work, out) = (tmp.path().join("work"), tmp.path().join("published"));
    let started = Instant::now();
    let r = spark_job(&hosts, &key, &work, &out, &[]);
    assert!(
        r.status.success(),
        "the Spark job failed:\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    eprintln!("Spark job: {:.1} s", started.elapsed().as_secs_f64());

    // One run with a state over every line.
    let one = tmp.path().join("one");
    let state = tmp.path().join("one-state");
    let args = [
        "--state",
        state.to_str().unwrap(),
        "--key-file",
        key.to_str().unwrap(),
        "-q",
        "-j",
        "2",
    ];
    assert_exit(&run(&[&all], &one, &args), 0);
    assert_same_tables(&out, &one);

    // The shards published without Spark: the same bytes.
    let shard_dirs: Vec<PathBuf> = (0..3)
        .map(|i| work.join("shards").join(format!("shard-{i:05}")))
        .collect();
    let direct = tmp.path().join("direct");
    let r = logveil()
        .arg("publish")
        .args(&shard_dirs)
        .arg("--out")
        .arg(&direct)
        .args(["-q", "-j", "2"])
        .output()
        .unwrap();
    assert_exit(&r, 0);
    assert_same_tables(&direct, &one);

    // Spark merged each day into one partial: one directory per day, the
    // shards' days, and every line accounted for in the manifest.
    let merged = read_json(&work.join("merged/_partials.json"));
    let one_manifest = read_json(&one.join("_manifest.json"));
    assert_eq!(merged["days"], one_manifest["days"]["held"]);
    let published = read_json(&out.join("_manifest.json"));
    for field in ["lines", "parsed", "rejected", "bytes"] {
        assert_eq!(
            published["totals"][field], one_manifest["totals"][field],
            "totals.{field}"
        );
    }
    assert_eq!(published["inputs"].as_array().unwrap().len(), 3);
    // Spark merged the rows itself (publish would sum stacked rows too):
    // each merged day holds as many rows as the one-box state's partial
    // of that day, fewer than the shards' together.
    let days = merged["days"].as_array().unwrap();
    assert!(days.len() >= 5);
    for day in days {
        let day = format!("day={}", day.as_str().unwrap());
        let at = |dir: &Path| dir.join("partials").join(&day).join("rows.parquet");
        let merged_rows = row_count(&at(&work.join("merged")));
        assert_eq!(merged_rows, row_count(&at(&state)), "{day}");
        let stacked: i64 = shard_dirs.iter().map(|d| row_count(&at(d))).sum();
        assert!(merged_rows < stacked, "{day}: {merged_rows} of {stacked}");
    }
    // The merged partials stay private.
    use std::os::unix::fs::PermissionsExt;
    for dir in [&work, &work.join("merged")] {
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
    for (name, _) in common::files_under(&work.join("merged")) {
        let path = work.join("merged").join(&name);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
}

#[test]
fn differential_privacy_shards_are_refused_with_the_reason() {
    if !common::python_has("pyspark") || !java_runs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("logveil.key");
    keygen(&key);
    let (_, hosts) = shards(tmp.path());
    let policy = tmp.path().join("dp.toml");
    std::fs::write(&policy, "[dp]\nenabled = true\nhold_newest_day = false\n").unwrap();
    let (work, out) = (tmp.path().join("work"), tmp.path().join("published"));
    let r = spark_job(
        &hosts,
        &key,
        &work,
        &out,
        &["--policy".as_ref(), policy.as_ref()],
    );
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success(), "the job merged counted shards");
    // Refused by the merge itself, before Spark sums a list column or
    // publish is asked for a release it cannot record.
    assert!(
        stderr.contains("the shards count each visitor's requests"),
        "{stderr}"
    );
    assert!(!work.join("merged/_partials.json").exists());
    assert!(!out.exists());
}
