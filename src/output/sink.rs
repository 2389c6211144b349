//! Where a run's tables and manifest go: the [`Sink`] seam.
//!
//! The pipeline hands each finished table to a sink and, at the end, the
//! manifest; the sink decides how they are stored and when they become
//! visible. [`ParquetDir`] is the one sink today: a directory of Parquet
//! files published all-or-nothing through [`OutputDir`]. Tables arrive
//! from several threads at once (each table is built and written by its
//! own task), so [`Sink::table`] takes `&self` and sinks are `Sync`; the
//! trade-off is that a sink must keep per-table work independent, which
//! one file per table gives for free.

use std::path::PathBuf;

use super::commit::{OutputDir, PublishOptions};
use super::manifest::{MANIFEST_FILE, Manifest, TableReport};
use super::parquet::write_table;
use super::table::Table;
use crate::error::Error;

/// Receives a run's tables, then its manifest, which publishes them.
pub trait Sink: Sync {
    /// Stores one table (called from any thread, once per table) and says
    /// what was stored.
    fn table(&self, table: &Table) -> Result<TableReport, Error>;

    /// Stores the manifest and makes the whole set visible at once;
    /// returns where the manifest can be read. A sink dropped without
    /// this leaves the previous outputs as they were.
    fn commit(self, manifest: &Manifest) -> Result<PathBuf, Error>
    where
        Self: Sized;
}

/// A directory of Parquet tables and `_manifest.json`, replaced as a whole.
#[derive(Debug)]
pub struct ParquetDir {
    dir: OutputDir,
}

impl ParquetDir {
    /// Locks and checks the output directory and prepares its replacement
    /// (see [`OutputDir::prepare`]); nothing visible changes until
    /// [`Sink::commit`].
    pub fn prepare(out: &std::path::Path, opts: PublishOptions) -> Result<ParquetDir, Error> {
        Ok(ParquetDir {
            dir: OutputDir::prepare(out, opts)?,
        })
    }
}

impl Sink for ParquetDir {
    fn table(&self, table: &Table) -> Result<TableReport, Error> {
        let path = write_table(self.dir.staging(), table)?;
        Ok(TableReport {
            name: table.spec.name,
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            rows: table.rows(),
            suppression: table.suppression,
            dp: table.dp.clone(),
        })
    }

    fn commit(self, manifest: &Manifest) -> Result<PathBuf, Error> {
        manifest.write(self.dir.staging())?;
        Ok(self.dir.commit()?.join(MANIFEST_FILE))
    }
}
