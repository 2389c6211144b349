//! Reading a published table back, in either layout, as plain rows.
//!
//! A flat run writes `<table>.parquet`; a run with a state writes
//! `<table>/day=YYYY-MM-DD/part-N.parquet`, whose files leave the `day`
//! column out because the path holds it. Both become the same [`Rows`]
//! here, the partition's day added back as a column, so the charts never
//! ask which layout they read.
//!
//! Trade-off: rows are held as small tagged values rather than Arrow
//! arrays. Published tables are aggregates (a row per day and path at
//! most), so the copy is cheap, and every chart then reads one simple
//! type; a column of a type the report does not know reads as null
//! instead of stopping the report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::ReportError;
use crate::output::hive::{DAY_KEY, partition_dir};

/// One cell of a published table.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A text cell.
    Str(String),
    /// An integer cell (any width).
    Int(i64),
    /// A floating-point cell.
    Float(f64),
    /// A boolean cell.
    Bool(bool),
    /// A date, in days since 1970-01-01.
    Day(i32),
    /// A timestamp, in seconds since 1970-01-01 UTC.
    Time(i64),
    /// A null, or a type the report does not read.
    Null,
}

impl Value {
    /// The cell as a number (integers, floats, days and times), if it is one.
    pub fn num(&self) -> Option<f64> {
        match *self {
            Value::Int(v) | Value::Time(v) => Some(v as f64),
            Value::Day(v) => Some(f64::from(v)),
            Value::Float(v) => Some(v),
            _ => None,
        }
    }
}

/// The rows of one table, each a column name → cell map.
pub type Rows = Vec<BTreeMap<String, Value>>;

/// The rows of `table` in the output `out`, from whichever layout it has;
/// `None` when the run published no such table.
pub fn read(out: &Path, table: &str) -> Result<Option<Rows>, ReportError> {
    let flat = out.join(format!("{table}.parquet"));
    if flat.is_file() {
        return read_file(&flat, None).map(Some);
    }
    let dir = out.join(table);
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut rows = Rows::new();
    for (day, part_dir) in partitions(&dir, table)? {
        for file in list(&part_dir)? {
            let is_part = file
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("part-") && n.ends_with(".parquet"));
            if is_part {
                rows.extend(read_file(&file, Some(day))?);
            }
        }
    }
    Ok(Some(rows))
}

/// The `day=` partition directories of a table directory, with their days.
fn partitions(dir: &Path, table: &str) -> Result<Vec<(i32, PathBuf)>, ReportError> {
    let mut parts = Vec::new();
    for path in list(dir)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some((DAY_KEY, day)) = partition_dir(table, name) {
            parts.push((day, path));
        }
    }
    Ok(parts)
}

/// The entries of a directory, sorted so the report is the same each time.
fn list(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let unreadable = |source| ReportError::Unreadable {
        path: dir.to_path_buf(),
        message: format!("{source}"),
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        paths.push(entry.map_err(unreadable)?.path());
    }
    paths.sort();
    Ok(paths)
}

/// Every row of one Parquet file; `day` is the partition's, added as the
/// `day` column.
fn read_file(path: &Path, day: Option<i32>) -> Result<Rows, ReportError> {
    let bad = |message: String| ReportError::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| bad(e.to_string()))?;
    let mut rows = Rows::new();
    for batch in reader {
        let batch = batch.map_err(|e| bad(e.to_string()))?;
        let schema = batch.schema();
        let first = rows.len();
        rows.resize_with(first + batch.num_rows(), BTreeMap::new);
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            for (i, row) in rows[first..].iter_mut().enumerate() {
                row.insert(field.name().clone(), cell(column, i));
            }
        }
        if let Some(day) = day {
            for row in &mut rows[first..] {
                row.insert(DAY_KEY.to_string(), Value::Day(day));
            }
        }
    }
    Ok(rows)
}

/// The cell at `i` of a column.
fn cell(column: &ArrayRef, i: usize) -> Value {
    if column.is_null(i) {
        return Value::Null;
    }
    match column.data_type() {
        DataType::Utf8 => Value::Str(column.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Value::Str(column.as_string::<i64>().value(i).to_string()),
        DataType::Int64 => Value::Int(column.as_primitive::<Int64Type>().value(i)),
        DataType::Int32 => Value::Int(i64::from(column.as_primitive::<Int32Type>().value(i))),
        DataType::Float64 => Value::Float(column.as_primitive::<Float64Type>().value(i)),
        DataType::Boolean => Value::Bool(column.as_boolean().value(i)),
        DataType::Date32 => Value::Day(column.as_primitive::<Date32Type>().value(i)),
        DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, _) => Value::Time(
            column
                .as_primitive::<TimestampMicrosecondType>()
                .value(i)
                .div_euclid(1_000_000),
        ),
        _ => Value::Null,
    }
}
