//! Helpers shared by the integration tests: running the binary and reading
//! Parquet back the way a BI tool does.
#![allow(dead_code)] // each test binary uses a different subset

pub mod agents;
pub mod logrotate;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled sample logs.
pub fn sample_logs() -> PathBuf {
    root().join("sample-logs")
}

/// A `logveil` command with a clean environment (no key file from the
/// developer's shell).
pub fn logveil() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_logveil"));
    c.env_remove("LOGVEIL_KEY_FILE");
    c
}

/// Writes a policy without small-group suppression into `dir` and returns
/// its path, for tests that check exact counts (suppression has its own).
pub fn no_suppression(dir: &Path) -> String {
    let p = dir.join("k1.toml");
    std::fs::write(&p, "[suppression]\nk = 1\nallow_small_k = true\n").unwrap();
    p.to_str().unwrap().to_string()
}

/// Whether python3 can import `modules` (comma-separated), to read
/// outputs back as BI users do. Under CI (`CI` set) they must be there
/// (`.ci/run` installs them); elsewhere a test without them says so and
/// passes.
pub fn python_has(modules: &str) -> bool {
    let probe = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output();
    if probe.as_ref().is_ok_and(|o| o.status.success()) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have python3 with {modules} (see .ci/run)"
    );
    eprintln!("SKIPPED: python3 with {modules} not found; `pip install {modules}`");
    false
}

/// Runs `tests/python/<script>` with `args` and fails the test, showing
/// what it printed, unless it succeeds.
pub fn run_python(script: &str, args: &[&std::ffi::OsStr]) {
    let check = Command::new("python3")
        .arg(root().join("tests/python").join(script))
        .args(args)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Runs `logveil audit <out> --inputs <inputs> [extra]`.
pub fn audit(out: &Path, inputs: &Path, extra: &[&str]) -> Output {
    logveil()
        .arg("audit")
        .arg(out)
        .arg("--inputs")
        .arg(inputs)
        .args(extra)
        .output()
        .expect("run logveil audit")
}

/// Names in `parent` that a killed run leaves beside an output or a state
/// (its staging directory, or the previous set put aside).
pub fn leftovers(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".logveil-tmp-") || n.contains(".logveil-old-"))
        .collect()
}

/// Holds the lock beside `dir` (an output or a state) as another run
/// would: `flock` on `.<name>.logveil-lock`, with a pid written in.
/// Returns the open lock file (the lock lasts while it is) and its path.
pub fn hold_lock(dir: &Path, pid: u32) -> (File, PathBuf) {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let lock = dir.with_file_name(format!(
        ".{}.logveil-lock",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&lock)
        .unwrap();
    // SAFETY: flock on the descriptor `f` owns.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
    writeln!(f, "{pid}").unwrap();
    (f, lock)
}

/// Every regular file under `dir`: path relative to `dir` → bytes (empty
/// when `dir` does not exist), to compare directories byte for byte.
pub fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy();
                files.insert(rel.into_owned(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Every `*.parquet` under `out` (day partitions included): path relative
/// to `out` → bytes, to compare published sets byte for byte.
pub fn parquet_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = files_under(out);
    files.retain(|rel, _| rel.ends_with(".parquet"));
    files
}

/// Asserts two published sets hold the same table files (more than ten),
/// byte for byte.
pub fn assert_same_tables(a: &Path, b: &Path) {
    let (a, b) = (parquet_files(a), parquet_files(b));
    assert!(a.len() > 10, "only {} tables", a.len());
    let differ: Vec<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|n| a.get(*n) != b.get(*n))
        .collect();
    assert!(differ.is_empty(), "tables differ: {differ:?}");
}

/// Writes a new key with `logveil keygen --out <path>`.
pub fn keygen(path: &Path) {
    let status = logveil()
        .args(["keygen", "--out"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "keygen failed");
}

/// Asserts a run exited with `code`, showing its stderr otherwise.
pub fn assert_exit(r: &Output, code: i32) {
    assert_eq!(
        r.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

/// Runs `logveil run <inputs> --out <out> [extra]`.
pub fn run(inputs: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut c = logveil();
    c.arg("run").args(inputs).arg("--out").arg(out).args(extra);
    c.output().expect("run logveil")
}

/// A cell value, typed as a BI tool would see it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cell {
    Str(String),
    Int(i64),
    Bool(bool),
    /// Floats compared by bits, so cells stay `Eq`.
    Float(u64),
    /// A null (only nullable columns have them).
    Null,
}

impl Cell {
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }
    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }
    pub fn float(&self) -> f64 {
        match self {
            Cell::Float(bits) => f64::from_bits(*bits),
            other => panic!("not a float: {other:?}"),
        }
    }
    pub fn str(&self) -> &str {
        match self {
            Cell::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
}

/// A whole table, column name → values.
pub type Columns = BTreeMap<String, Vec<Cell>>;

fn batches(path: &Path) -> Vec<RecordBatch> {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    reader.map(Result::unwrap).collect()
}

/// Reads a Parquet table into columns. Dates and timestamps become their
/// integer values (days / microseconds since the epoch).
pub fn read_table(path: &Path) -> Columns {
    let mut cols = Columns::new();
    for batch in batches(path) {
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            let out = cols.entry(field.name().clone()).or_default();
            for i in 0..array.len() {
                if array.is_null(i) {
                    assert!(field.is_nullable(), "{} has a null", field.name());
                    out.push(Cell::Null);
                    continue;
                }
                out.push(match array.data_type() {
                    DataType::Utf8 => Cell::Str(array.as_string::<i32>().value(i).to_string()),
                    DataType::Int64 => Cell::Int(array.as_primitive::<Int64Type>().value(i)),
                    DataType::Int32 => {
                        Cell::Int(i64::from(array.as_primitive::<Int32Type>().value(i)))
                    }
                    DataType::Date32 => {
                        Cell::Int(i64::from(array.as_primitive::<Date32Type>().value(i)))
                    }
                    DataType::Timestamp(_, _) => {
                        Cell::Int(array.as_primitive::<TimestampMicrosecondType>().value(i))
                    }
                    DataType::Boolean => Cell::Bool(array.as_boolean().value(i)),
                    DataType::Float64 => {
                        Cell::Float(array.as_primitive::<Float64Type>().value(i).to_bits())
                    }
                    other => panic!("unexpected type {other}"),
                });
            }
        }
    }
    cols
}

/// One row: column name → value.
pub type Row = BTreeMap<String, Cell>;

/// Reads a Parquet table row by row.
pub fn read_rows(path: &Path) -> Vec<Row> {
    let cols = read_table(path);
    let n = cols.values().next().map_or(0, Vec::len);
    (0..n)
        .map(|i| {
            cols.iter()
                .map(|(k, v)| (k.clone(), v[i].clone()))
                .collect()
        })
        .collect()
}

/// Requests per status in `<out>/web_status.parquet`. A null status is
/// the (other) row of statuses too small to publish (such as those of
/// requests without a client, which describe no one), counted under -1.
pub fn requests_per_status(out: &Path) -> std::collections::BTreeMap<i64, i64> {
    let mut per_status = std::collections::BTreeMap::new();
    for row in read_rows(&out.join("web_status.parquet")) {
        let status = if row["status"].is_null() {
            -1
        } else {
            row["status"].int()
        };
        *per_status.entry(status).or_default() += row["requests"].int();
    }
    per_status
}

/// Every piece of text a Parquet file exposes to a reader: decoded values,
/// column statistics (min/max), key-value metadata (including the embedded
/// Arrow schema), field names and field metadata. Labelled by where it was
/// found.
pub fn exposed_text(path: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let file = File::open(path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    for (k, v) in schema.metadata() {
        out.push(("schema metadata".into(), format!("{k}={v}")));
    }
    for f in schema.fields() {
        out.push(("field name".into(), f.name().clone()));
        for (k, v) in f.metadata() {
            out.push((format!("field {} metadata", f.name()), format!("{k}={v}")));
        }
    }
    if let Some(kv) = meta.file_metadata().key_value_metadata() {
        for e in kv {
            out.push((
                "kv metadata".into(),
                format!("{}={}", e.key, e.value.clone().unwrap_or_default()),
            ));
        }
    }
    if let Some(c) = meta.file_metadata().created_by() {
        out.push(("created_by".into(), c.to_string()));
    }
    for rg in meta.row_groups() {
        for c in rg.columns() {
            if let Some(s) = c.statistics() {
                for b in [s.min_bytes_opt(), s.max_bytes_opt()].into_iter().flatten() {
                    out.push((
                        format!("statistics of {}", c.column_path()),
                        String::from_utf8_lossy(b).into_owned(),
                    ));
                }
            }
        }
    }
    for batch in batches(path) {
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            if let DataType::Utf8 = array.data_type() {
                let strings = array.as_string::<i32>();
                for i in 0..strings.len() {
                    out.push((
                        format!("value of {}", field.name()),
                        strings.value(i).to_string(),
                    ));
                }
            }
        }
    }
    // Raw bytes too: pages are zstd-compressed, but dictionary or
    // uncompressed fragments must not carry identifiers either.
    let mut raw = Vec::new();
    File::open(path).unwrap().read_to_end(&mut raw).unwrap();
    out.push((
        "raw file bytes".into(),
        String::from_utf8_lossy(&raw).into_owned(),
    ));
    out
}

/// Reads a whole input file, decompressing gzip or zstd by magic bytes
/// (independently of logveil's own reader).
pub fn read_input(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::stream::decode_all(&raw[..]).unwrap()
    } else {
        raw
    }
}

/// Every web log under `sample-logs/` (not the Zoom samples, the READMEs or
/// the generator).
pub fn sample_files() -> Vec<PathBuf> {
    all_samples().into_iter().filter(|p| !is_zoom(p)).collect()
}

/// The Apache/nginx CLF-family samples that `tests/e2e.rs` recounts with
/// its regex reference (not `sample-logs/formats/`, whose layouts differ).
pub fn clf_sample_files() -> Vec<PathBuf> {
    sample_files()
        .into_iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "formats"))
        .collect()
}

/// The Zoom samples under `sample-logs/zoom/`.
pub fn zoom_sample_files() -> Vec<PathBuf> {
    all_samples().into_iter().filter(|p| is_zoom(p)).collect()
}

fn is_zoom(p: &Path) -> bool {
    p.components().any(|c| c.as_os_str() == "zoom")
}

fn all_samples() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![sample_logs()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if !name.ends_with(".md") && !name.ends_with(".py") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Every identifier of `ids` found in `text`, as (place, identifier).
pub fn leaks_in(
    ids: &std::collections::BTreeSet<String>,
    place: &str,
    text: &str,
) -> Vec<(String, String)> {
    ids.iter()
        .filter(|id| text.contains(id.as_str()))
        .map(|id| (place.to_string(), id.clone()))
        .collect()
}

/// Every identifier of `ids` found anywhere in an output directory: file
/// names, everything a Parquet file exposes ([`exposed_text`]), and the
/// text of every other file (the manifest).
pub fn leaks_in_output_dir(
    ids: &std::collections::BTreeSet<String>,
    dir: &Path,
) -> Vec<(String, String)> {
    let mut findings = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        findings.extend(leaks_in(ids, "file name", &name));
        if name.ends_with(".parquet") {
            for (place, text) in exposed_text(&path) {
                findings.extend(leaks_in(ids, &format!("{name}: {place}"), &text));
            }
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            findings.extend(leaks_in(ids, &name, &text));
        }
    }
    findings
}

/// The `(line, reason)` of every rejected line an input entry of a
/// manifest locates, in manifest order.
pub fn reject_locations(input: &serde_json::Value) -> Vec<(u64, String)> {
    input["reject_locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every identifier of `ids` found in what a process printed.
pub fn leaks_in_printed(
    ids: &std::collections::BTreeSet<String>,
    output: &std::process::Output,
) -> Vec<(String, String)> {
    let mut findings = leaks_in(ids, "stdout", &String::from_utf8_lossy(&output.stdout));
    findings.extend(leaks_in(
        ids,
        "stderr",
        &String::from_utf8_lossy(&output.stderr),
    ));
    findings
}

/// Every textual form an address may take in an output.
pub fn ip_forms(ip: std::net::IpAddr) -> Vec<String> {
    match ip {
        std::net::IpAddr::V4(v4) => vec![
            v4.to_string(),
            format!("::ffff:{v4}"),
            v4.to_ipv6_mapped().to_string(),
        ],
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            let expanded = s
                .iter()
                .map(|x| format!("{x:04x}"))
                .collect::<Vec<_>>()
                .join(":");
            let mut forms = vec![v6.to_string(), expanded];
            if let Some(v4) = v6.to_ipv4_mapped() {
                forms.push(v4.to_string());
            }
            forms
        }
    }
}

/// A JSON file (a manifest or a run log).
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The manifest's entry for the input whose path ends with `suffix`: the
/// manifest names inputs by id only, and the run log maps ids to paths.
pub fn manifest_input(
    manifest: &serde_json::Value,
    run_log: &serde_json::Value,
    suffix: &str,
) -> serde_json::Value {
    let id = run_log["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no input {suffix} in the run log"))["id"]
        .clone();
    manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no input {id} in the manifest"))
        .clone()
}
