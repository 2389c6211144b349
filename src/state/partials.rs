//! Private partials on disk: one directory per day, two Parquet files.
//!
//! The format (version [`FORMAT_VERSION`], recorded in the state's
//! `state.json`) is documented in the README's "Private state" section and
//! is meant to be read by other tools, Spark first: exact merges of
//! partials are a `GROUP BY` of the key columns with a sum of the
//! measures (the response-time sketch per bucket) and a union of
//! `visitors`; sessions merge by a plain union, since a visitor's sessions
//! are coalesced within the gap when a day is imported
//! (`scale-out/logveil_spark.py` does exactly this).
//!
//! `partials/day=YYYY-MM-DD/rows.parquet`, one row per table row:
//! `table` (traffic, campus, pages, status, referrers, clients, search,
//! versions),
//! `time` (Unix seconds: the hour for traffic and campus, the day's
//! midnight UTC otherwise), `site`, `label` (path, referring host or
//! search term), `status`, `browser`, `os`, `device`, `is_bot` (the key
//! columns; null where the table has no such key), the measures
//! `requests`, `bytes`, `errors`, `not_found`, `bot_requests`,
//! `status_1xx` … `status_5xx`, `on_campus`, `get_requests`,
//! `post_requests`, `head_requests`, `other_method_requests`,
//! `http1_requests` … `http3_requests`, the response-time sketch `latency_zeros`,
//! `latency_buckets`, `latency_counts`, and `visitors`, the row's
//! distinct visitor pseudonyms (a list of 64-bit values stored as signed
//! integers, since Spark has no unsigned type), and, only in the partials
//! of a counting aggregate (the differential-privacy mode), `visitor_requests`:
//! each visitor's requests to the row, a list of 32-bit integers parallel
//! to `visitors` (empty for a row without counts). Merging such partials
//! sums a visitor's requests where the visitor appears in several.
//!
//! `partials/day=YYYY-MM-DD/sessions.parquet`, one row per session:
//! `site`, `visitor`, `network` (null unless the network threshold is
//! on), `first`, `last` (Unix seconds), `requests` and `pages` (page
//! views: requests of class page from clients that are not bots).
//!
//! Pseudonyms make this personal data: the files live only inside the
//! state directory, which is 0700, and nothing here is ever published.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::aggregate::quantiles::Sketch;
use crate::aggregate::sessions::Interval;
use crate::aggregate::web::partial::{DayPartial, Measures, PartialRow, PartialTable, SessionRow};
use crate::error::Error;
use crate::privacy::agent::ClientClass;
use crate::time;

/// Version of the on-disk partial format.
/// Version 2 added `not_found`, `bot_requests` and the status classes of
/// pages; version 3 the method and protocol counts, the response times of
/// pages and the page views of sessions.
///
/// The optional `visitor_requests` column did not change it: a state
/// checks its version for equality, so a new version would refuse every
/// existing k-mode state, whose files are unchanged (the column is
/// written only by counting aggregates, and read as absent otherwise).
pub const FORMAT_VERSION: u32 = 3;

/// The optional column of per-visitor requests.
const VISITOR_REQUESTS: &str = "visitor_requests";

/// The rows file of a day's directory.
pub const ROWS_FILE: &str = "rows.parquet";

/// The sessions file of a day's directory.
pub const SESSIONS_FILE: &str = "sessions.parquet";

/// The directory name of a day's partial, `day=YYYY-MM-DD`.
pub fn day_dir_name(day: i32) -> String {
    format!("day={}", time::format_day(day).unwrap_or_default())
}

/// The day of a directory name made by [`day_dir_name`].
pub fn day_of_dir_name(name: &str) -> Option<i32> {
    time::parse_day(name.strip_prefix("day=")?)
}

fn damaged(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::State {
        path: path.to_path_buf(),
        message: format!(
            "a private partial is damaged ({what}); restore the state directory from a backup, \
             or start a new state and read the logs again"
        ),
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `part` into `dir` (created), synced.
pub fn write_day(dir: &Path, part: &DayPartial) -> Result<(), Error> {
    crate::output::commit::step();
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    write_batch(&dir.join(ROWS_FILE), rows_batch(&part.rows))?;
    write_batch(&dir.join(SESSIONS_FILE), sessions_batch(&part.sessions))?;
    Ok(())
}

/// Reads the partial of `day` from `dir`.
pub fn read_day(dir: &Path, day: i32) -> Result<DayPartial, Error> {
    let mut part = DayPartial::new(day);
    let rows_path = dir.join(ROWS_FILE);
    for batch in read_batches(&rows_path)? {
        read_rows(&batch, &mut part.rows).map_err(|what| damaged(&rows_path, what))?;
    }
    let sessions_path = dir.join(SESSIONS_FILE);
    for batch in read_batches(&sessions_path)? {
        read_sessions(&batch, &mut part.sessions).map_err(|what| damaged(&sessions_path, what))?;
    }
    Ok(part)
}

fn write_batch(
    path: &Path,
    batch: Result<RecordBatch, arrow_schema::ArrowError>,
) -> Result<(), Error> {
    let what = format!("private partial {}", path.display());
    let batch = batch.map_err(|e| Error::Encode {
        table: what.clone(),
        message: e.to_string(),
    })?;
    crate::output::parquet::write_batch(path, &batch, None, &what)?;
    // Pseudonyms: private whatever the umask, so a copy of the state made
    // without its 0700 directory (a backup) still exposes nothing. The
    // file is in the staging directory, itself 0700, until then.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io_err(path))
}

fn read_batches(path: &Path) -> Result<Vec<RecordBatch>, Error> {
    // Not an output error: its advice (another directory) is wrong here.
    let file = File::open(path).map_err(|e| Error::State {
        path: path.to_path_buf(),
        message: format!(
            "a private partial cannot be opened ({e}); restore the state directory from a \
             backup, or start a new state and read the logs again"
        ),
    })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| damaged(path, e))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| damaged(path, e))
}

/// Pseudonyms are `u64`; stored as the `i64` with the same bits.
fn signed(v: u64) -> i64 {
    v as i64
}

fn unsigned(v: i64) -> u64 {
    v as u64
}

fn count(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A visitor's requests to a row, stored as `int32` (Spark has no
/// unsigned type); a count past its range, which no day reaches, is held
/// at the largest.
fn visits(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn rows_batch(rows: &[PartialRow]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = rows.len();
    let mut table = StringBuilder::new();
    let mut time = Int64Builder::with_capacity(n);
    let mut site = StringBuilder::new();
    let mut label = StringBuilder::new();
    let mut status = Int32Builder::with_capacity(n);
    let (mut browser, mut os, mut device) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut is_bot = BooleanBuilder::with_capacity(n);
    let mut measures: [Int64Builder; MEASURES.len()] =
        std::array::from_fn(|_| Int64Builder::with_capacity(n));
    let mut buckets = ListBuilder::new(Int32Builder::new());
    let mut bucket_counts = ListBuilder::new(Int64Builder::new());
    let mut visitors = ListBuilder::new(Int64Builder::new());
    // Only a counting aggregate's partial has the column: the k mode's
    // files stay byte for byte what they were.
    let mut requests = rows
        .iter()
        .any(|r| !r.requests.is_empty())
        .then(|| ListBuilder::new(Int32Builder::new()));
    for r in rows {
        table.append_value(r.table.as_str());
        time.append_value(r.time);
        site.append_value(&r.site);
        label.append_option(r.label.as_deref());
        status.append_option(r.status.map(i32::from));
        browser.append_option(r.class.map(|c| c.browser));
        os.append_option(r.class.map(|c| c.os));
        device.append_option(r.class.map(|c| c.device));
        is_bot.append_option(r.class.map(|c| c.is_bot));
        let m = &r.measures;
        let (zeros, parts) = m.latency.parts();
        let values = [
            m.requests,
            m.bytes,
            m.errors,
            m.classes[0],
            m.classes[1],
            m.classes[2],
            m.classes[3],
            m.classes[4],
            m.on_campus,
            zeros,
            m.not_found,
            m.bot_requests,
            m.methods[0],
            m.methods[1],
            m.methods[2],
            m.methods[3],
            m.protocols[0],
            m.protocols[1],
            m.protocols[2],
        ];
        for (b, v) in measures.iter_mut().zip(values) {
            b.append_value(count(v));
        }
        for (i, c) in parts {
            buckets.values().append_value(i);
            bucket_counts.values().append_value(count(c));
        }
        buckets.append(true);
        bucket_counts.append(true);
        for &v in &r.visitors {
            visitors.values().append_value(signed(v));
        }
        visitors.append(true);
        if let Some(b) = &mut requests {
            for &n in &r.requests {
                b.values().append_value(visits(n));
            }
            b.append(true);
        }
    }
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        ("table", Arc::new(table.finish())),
        ("time", Arc::new(time.finish())),
        ("site", Arc::new(site.finish())),
        ("label", Arc::new(label.finish())),
        ("status", Arc::new(status.finish())),
        ("browser", Arc::new(browser.finish())),
        ("os", Arc::new(os.finish())),
        ("device", Arc::new(device.finish())),
        ("is_bot", Arc::new(is_bot.finish())),
    ];
    for (name, mut b) in MEASURES.into_iter().zip(measures) {
        columns.push((name, Arc::new(b.finish())));
    }
    columns.push(("latency_buckets", Arc::new(buckets.finish())));
    columns.push(("latency_counts", Arc::new(bucket_counts.finish())));
    columns.push(("visitors", Arc::new(visitors.finish())));
    if let Some(mut b) = requests {
        columns.push((VISITOR_REQUESTS, Arc::new(b.finish())));
    }
    RecordBatch::try_from_iter(columns)
}

/// The measure columns, in the order of `rows_batch`'s values.
const MEASURES: [&str; 19] = [
    "requests",
    "bytes",
    "errors",
    "status_1xx",
    "status_2xx",
    "status_3xx",
    "status_4xx",
    "status_5xx",
    "on_campus",
    "latency_zeros",
    "not_found",
    "bot_requests",
    "get_requests",
    "post_requests",
    "head_requests",
    "other_method_requests",
    "http1_requests",
    "http2_requests",
    "http3_requests",
];

fn sessions_batch(rows: &[SessionRow<String>]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = rows.len();
    let mut site = StringBuilder::new();
    let mut numbers: [Int64Builder; 5] = std::array::from_fn(|_| Int64Builder::with_capacity(n));
    let mut network = Int64Builder::with_capacity(n);
    for s in rows {
        site.append_value(&s.site);
        network.append_option(s.network.map(signed));
        let values = [
            signed(s.visitor),
            s.interval.first,
            s.interval.last,
            count(s.interval.requests),
            count(s.interval.pages),
        ];
        for (b, v) in numbers.iter_mut().zip(values) {
            b.append_value(v);
        }
    }
    let [mut visitor, mut first, mut last, mut requests, mut pages] = numbers;
    RecordBatch::try_from_iter([
        ("site", Arc::new(site.finish()) as ArrayRef),
        ("visitor", Arc::new(visitor.finish())),
        ("network", Arc::new(network.finish())),
        ("first", Arc::new(first.finish())),
        ("last", Arc::new(last.finish())),
        ("requests", Arc::new(requests.finish())),
        ("pages", Arc::new(pages.finish())),
    ])
}

/// A column of a stored batch, by name and type; a message naming what is
/// missing otherwise.
fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, String> {
    batch
        .column_by_name(name)
        .ok_or_else(|| format!("no column {name}"))
}

fn strings<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a arrow_array::StringArray, String> {
    column(batch, name)?
        .as_string_opt::<i32>()
        .ok_or_else(|| format!("column {name} is not text"))
}

fn int64s<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a arrow_array::Int64Array, String> {
    column(batch, name)?
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| format!("column {name} is not a 64-bit integer"))
}

fn lists<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a arrow_array::ListArray, String> {
    column(batch, name)?
        .as_list_opt::<i32>()
        .ok_or_else(|| format!("column {name} is not a list"))
}

/// Non-negative count from a stored value.
fn stored_count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn opt_str(a: &arrow_array::StringArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i))
}

fn read_rows(batch: &RecordBatch, out: &mut Vec<PartialRow>) -> Result<(), String> {
    let table = strings(batch, "table")?;
    let time = int64s(batch, "time")?;
    let site = strings(batch, "site")?;
    let label = strings(batch, "label")?;
    let status = column(batch, "status")?
        .as_primitive_opt::<Int32Type>()
        .ok_or("column status is not an integer")?;
    let (browser, os, device) = (
        strings(batch, "browser")?,
        strings(batch, "os")?,
        strings(batch, "device")?,
    );
    let is_bot = column(batch, "is_bot")?
        .as_boolean_opt()
        .ok_or("column is_bot is not a boolean")?;
    let measures = MEASURES
        .iter()
        .map(|name| int64s(batch, name))
        .collect::<Result<Vec<_>, _>>()?;
    let buckets = lists(batch, "latency_buckets")?;
    let bucket_counts = lists(batch, "latency_counts")?;
    let visitors = lists(batch, "visitors")?;
    // Absent from the k mode's partials and from older ones.
    let requests = match batch.column_by_name(VISITOR_REQUESTS) {
        Some(_) => Some(lists(batch, VISITOR_REQUESTS)?),
        None => None,
    };
    for i in 0..batch.num_rows() {
        let kind = PartialTable::from_name(table.value(i))
            .ok_or_else(|| format!("unknown table {:?}", table.value(i)))?;
        let m = |k: usize| measures.get(k).map_or(0, |a| stored_count(a.value(i)));
        let class = match (opt_str(browser, i), opt_str(os, i), opt_str(device, i)) {
            (Some(b), Some(o), Some(d)) => Some(ClientClass::restore(
                b,
                o,
                d,
                is_bot.is_valid(i) && is_bot.value(i),
            )),
            _ => None,
        };
        let idx = buckets.value(i);
        let idx = idx
            .as_primitive_opt::<Int32Type>()
            .ok_or("latency_buckets do not hold integers")?;
        let cnt = bucket_counts.value(i);
        let cnt = cnt
            .as_primitive_opt::<Int64Type>()
            .ok_or("latency_counts do not hold integers")?;
        let latency = Sketch::from_parts(
            m(9),
            idx.values()
                .iter()
                .zip(cnt.values().iter())
                .map(|(&b, &c)| (b, stored_count(c))),
        );
        let vis = visitors.value(i);
        let vis = vis
            .as_primitive_opt::<Int64Type>()
            .ok_or("visitors do not hold integers")?;
        let counts = match requests {
            Some(list) if list.is_valid(i) => stored_requests(&list.value(i), vis.len())?,
            _ => Vec::new(),
        };
        out.push(PartialRow {
            table: kind,
            time: time.value(i),
            site: site.value(i).to_string(),
            label: opt_str(label, i).map(str::to_string),
            status: status
                .is_valid(i)
                .then(|| u16::try_from(status.value(i)).ok())
                .flatten(),
            class,
            measures: Measures {
                requests: m(0),
                bytes: m(1),
                errors: m(2),
                classes: [m(3), m(4), m(5), m(6), m(7)],
                on_campus: m(8),
                not_found: m(10),
                bot_requests: m(11),
                methods: [m(12), m(13), m(14), m(15)],
                protocols: [m(16), m(17), m(18)],
                latency,
            },
            visitors: vis.values().iter().map(|&v| unsigned(v)).collect(),
            requests: counts,
        });
    }
    Ok(())
}

/// A row's stored per-visitor requests: none, or one per visitor (a
/// listed visitor made at least one request).
fn stored_requests(list: &ArrayRef, visitors: usize) -> Result<Vec<u32>, String> {
    let list = list
        .as_primitive_opt::<Int32Type>()
        .ok_or("visitor_requests do not hold 32-bit integers")?;
    if !list.is_empty() && list.len() != visitors {
        return Err(format!(
            "a row lists {visitors} visitors and {} visitor_requests",
            list.len()
        ));
    }
    Ok(list
        .values()
        .iter()
        .map(|&n| u32::try_from(n).unwrap_or(0).max(1))
        .collect())
}

fn read_sessions(batch: &RecordBatch, out: &mut Vec<SessionRow<String>>) -> Result<(), String> {
    let site = strings(batch, "site")?;
    let visitor = int64s(batch, "visitor")?;
    let network = int64s(batch, "network")?;
    let first = int64s(batch, "first")?;
    let last = int64s(batch, "last")?;
    let requests = int64s(batch, "requests")?;
    let pages = int64s(batch, "pages")?;
    for i in 0..batch.num_rows() {
        out.push(SessionRow {
            site: site.value(i).to_string(),
            visitor: unsigned(visitor.value(i)),
            network: network.is_valid(i).then(|| unsigned(network.value(i))),
            interval: Interval {
                first: first.value(i),
                last: last.value(i),
                requests: stored_count(requests.value(i)),
                pages: stored_count(pages.value(i)),
            },
        });
    }
    Ok(())
}

/// Every day directory under `partials`, with its day, oldest first.
pub fn list_days(partials: &Path) -> Result<Vec<(i32, PathBuf)>, Error> {
    let entries = match fs::read_dir(partials) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(partials)(e)),
    };
    let mut days = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(partials))?;
        if let Some(day) = entry.file_name().to_str().and_then(day_of_dir_name) {
            days.push((day, entry.path()));
        }
    }
    days.sort();
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DayPartial {
        let mut latency = Sketch::default();
        for us in [0, 5, 900, 120_000] {
            latency.add(us);
        }
        let day = 20_000;
        DayPartial {
            day,
            rows: vec![
                PartialRow {
                    table: PartialTable::Traffic,
                    time: i64::from(day) * time::DAY + 7_200,
                    site: "(default)".to_string(),
                    label: None,
                    status: None,
                    class: None,
                    measures: Measures {
                        requests: 4,
                        bytes: 1_000,
                        classes: [0, 3, 0, 1, 0],
                        latency,
                        methods: [2, 1, 0, 1],
                        protocols: [1, 2, 0],
                        ..Measures::default()
                    },
                    visitors: vec![1, u64::MAX, 0],
                    requests: vec![],
                },
                PartialRow {
                    table: PartialTable::Clients,
                    time: i64::from(day) * time::DAY,
                    site: "www.example.org".to_string(),
                    label: None,
                    status: None,
                    class: Some(ClientClass::NONE),
                    measures: Measures {
                        requests: 2,
                        ..Measures::default()
                    },
                    visitors: vec![42],
                    requests: vec![],
                },
                PartialRow {
                    table: PartialTable::Status,
                    time: i64::from(day) * time::DAY,
                    site: "www.example.org".to_string(),
                    label: Some("/a".to_string()),
                    status: Some(404),
                    class: None,
                    measures: Measures::default(),
                    visitors: vec![],
                    requests: vec![],
                },
            ],
            sessions: vec![SessionRow {
                site: "www.example.org".to_string(),
                visitor: u64::MAX - 1,
                network: Some(7),
                interval: Interval {
                    first: 10,
                    last: 20,
                    requests: 3,
                    pages: 2,
                },
            }],
        }
    }

    #[test]
    fn a_day_round_trips_through_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join(day_dir_name(20_000));
        write_day(&at, &sample()).unwrap();
        assert_eq!(read_day(&at, 20_000).unwrap(), sample());
        let listed = list_days(dir.path()).unwrap();
        assert_eq!(listed, vec![(20_000, at.clone())]);
    }

    /// The column names of a day's stored rows.
    fn columns(at: &Path) -> Vec<String> {
        let batches = read_batches(&at.join(ROWS_FILE)).unwrap();
        let schema = batches[0].schema();
        schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    #[test]
    fn a_plain_partial_has_no_requests_column() {
        let dir = tempfile::tempdir().unwrap();
        write_day(dir.path(), &sample()).unwrap();
        let names = columns(dir.path());
        // Format 3's columns exactly, in order: what other tools read.
        let mut v3: Vec<&str> = vec![
            "table", "time", "site", "label", "status", "browser", "os", "device", "is_bot",
        ];
        v3.extend(MEASURES);
        v3.extend(["latency_buckets", "latency_counts", "visitors"]);
        assert_eq!(names, v3);
        assert!(
            read_day(dir.path(), 20_000)
                .unwrap()
                .rows
                .iter()
                .all(|r| r.requests.is_empty())
        );
    }

    /// `sample` as a counting aggregate's partial: requests beside the
    /// visitors, none on the row without visitors.
    fn counted() -> DayPartial {
        let mut part = sample();
        part.rows[0].requests = vec![3, u32::MAX, 1];
        part.rows[1].requests = vec![2];
        part
    }

    #[test]
    fn requests_per_visitor_round_trip_through_parquet() {
        let dir = tempfile::tempdir().unwrap();
        write_day(dir.path(), &counted()).unwrap();
        assert!(columns(dir.path()).iter().any(|c| c == VISITOR_REQUESTS));
        let mut want = counted();
        // Stored as int32: a count past its range is held at the largest.
        want.rows[0].requests[1] = i32::MAX as u32;
        assert_eq!(read_day(dir.path(), 20_000).unwrap(), want);
    }

    #[test]
    fn requests_that_do_not_match_the_visitors_are_damage() {
        let dir = tempfile::tempdir().unwrap();
        let mut part = counted();
        part.rows[0].requests.pop();
        write_day(dir.path(), &part).unwrap();
        let e = read_day(dir.path(), 20_000).unwrap_err().to_string();
        assert!(
            e.contains("damaged") && e.contains("visitor_requests"),
            "{e}"
        );
    }

    #[test]
    fn a_damaged_partial_is_an_error_that_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(ROWS_FILE), b"not parquet").unwrap();
        fs::write(dir.path().join(SESSIONS_FILE), b"").unwrap();
        let e = read_day(dir.path(), 1).unwrap_err().to_string();
        assert!(e.contains("damaged") && e.contains("backup"), "{e}");
    }
}
