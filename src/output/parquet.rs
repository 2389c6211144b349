//! Durable, reproducible Parquet files.
//!
//! A table is written straight to `<name>.parquet` (or a partition's
//! `part-0.parquet`, without the column its path holds) in a directory no
//! reader sees yet (the staging directory of `commit`), then synced: the
//! swap of the whole directory, not a rename per file, is what makes a
//! set of tables appear at once. Settings are fixed (zstd, page
//! statistics, a `created_by` without build details) so the same table
//! gives the same bytes on every run.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use parquet::file::metadata::KeyValue;

use super::table::Table;

/// File metadata key of a table written exact for the operator.
pub const INTERNAL_KEY: &str = "logveil.internal";

/// File metadata key of the release mode (`dp` for differential
/// privacy; absent in the k mode).
pub const RELEASE_KEY: &str = "logveil.release";

/// File metadata key of a differential-privacy release's budget, bounds
/// and noise scales (JSON).
pub const DP_KEY: &str = "logveil.dp";

/// What that key says.
pub const INTERNAL_NOTE: &str =
    "exact counts without disclosure control, for the operator's diagnosis only: do not publish";
use crate::error::Error;

/// Writes and syncs `table` as `<dir>/<name>.parquet`, returning the path.
/// `dir` must be private to the run: a crash can leave a partial file.
pub fn write_table(dir: &Path, table: &Table) -> Result<PathBuf, Error> {
    let path = dir.join(format!("{}.parquet", table.spec.name));
    write_table_without(&path, table, &[])?;
    Ok(path)
}

/// Writes and syncs `table` as the new file `path`, leaving out the
/// columns named in `without` (a partition's key, which its path holds).
/// The other columns keep their order, types and descriptions; nothing is
/// copied to leave one out. As for [`write_table`], `path` must be private
/// to the run.
pub fn write_table_without(path: &Path, table: &Table, without: &[&str]) -> Result<(), Error> {
    let name = table.spec.name;
    let encode = |message: String| Error::Encode {
        table: name.to_string(),
        message,
    };

    let batch = table.to_record_batch().map_err(|e| encode(e.to_string()))?;
    let keep: Vec<usize> = (table.spec.columns.iter().enumerate())
        .filter(|(_, c)| !without.contains(&c.name))
        .map(|(i, _)| i)
        .collect();
    let batch = batch.project(&keep).map_err(|e| encode(e.to_string()))?;
    let mut metadata = Vec::new();
    if table.suppression.is_some_and(|s| s.internal) {
        metadata.push(KeyValue::new(
            INTERNAL_KEY.to_string(),
            INTERNAL_NOTE.to_string(),
        ));
    }
    // A release under differential privacy says so in every file, with
    // its budget and noise scales, so a file read alone is not taken for
    // exact counts.
    if let Some(dp) = &table.dp {
        metadata.push(KeyValue::new(RELEASE_KEY.to_string(), "dp".to_string()));
        let note = serde_json::to_string(dp).unwrap_or_default();
        metadata.push(KeyValue::new(DP_KEY.to_string(), note));
    }
    let metadata = (!metadata.is_empty()).then_some(metadata);
    write_batch(path, &batch, metadata, name)
}

/// Writes and syncs `batch` as the new file `path` with the fixed settings
/// (the private state's partials too). `what` names the data in encoding
/// errors.
pub(crate) fn write_batch(
    path: &Path,
    batch: &RecordBatch,
    metadata: Option<Vec<KeyValue>>,
    what: &str,
) -> Result<(), Error> {
    let encode = |message: String| Error::Encode {
        table: what.to_string(),
        message,
    };
    let io = |source| Error::Output {
        path: path.to_path_buf(),
        source,
    };
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).map_err(|e| encode(e.to_string()))?,
        ))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_created_by(format!("logveil {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(metadata)
        .build();
    super::commit::step();
    let file = File::create(path).map_err(io)?;
    let mut writer = ArrowWriter::try_new(
        BufWriter::new(file),
        Arc::new(batch.schema().as_ref().clone()),
        Some(props),
    )
    .map_err(|e| encode(e.to_string()))?;
    writer.write(batch).map_err(|e| encode(e.to_string()))?;
    let buffered = writer.into_inner().map_err(|e| encode(e.to_string()))?;
    let file = buffered.into_inner().map_err(|e| io(e.into_error()))?;
    super::commit::step();
    file.sync_all().map_err(io)
}
