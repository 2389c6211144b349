//! Where a run publishes: a directory of tables, or day partitions.
//!
//! A one-shot run writes one file per table through the flat
//! [`ParquetDir`] sink. A run with a private state re-publishes the days it
//! touched, one file per table and day, through [`HiveDir`], which carries
//! the other days over. Both are prepared before any input is read and
//! commit all-or-nothing (`output::commit`); this only picks one. A run
//! that writes private partials (`partials.rs`) publishes no table: its
//! directory of partials is the third kind of output.

use std::path::PathBuf;

use crate::error::Error;
use crate::output::hive::HiveDir;
use crate::output::manifest::{Manifest, TableReport};
use crate::output::sink::{ParquetDir, Sink};
use crate::output::table::Table;
use crate::privacy::policy::Policy;
use crate::time;

use super::partials::PartialsDir;

/// A built table as it is written: an aggregate's failure becomes an
/// error, and tables the policy asks for exact say so, in the manifest
/// and in the file's metadata.
pub(super) fn prepared(table: Result<Table, String>, policy: &Policy) -> Result<Table, Error> {
    let mut table = table.map_err(|message| Error::Encode {
        table: "(aggregate)".to_string(),
        message,
    })?;
    if let Some(s) = table.suppression.as_mut() {
        s.internal = policy.suppression.is_internal(table.spec.name);
    }
    Ok(table)
}

/// Where a run publishes: one directory of tables, or day partitions
/// (with a state).
pub(super) enum Output {
    /// One file per table.
    Flat(ParquetDir),
    /// One file per table and day.
    Days(HiveDir),
    /// No tables: the days' private partials.
    Partials(PartialsDir),
}

impl Output {
    /// Writes a table (of `day`, for day partitions); `None` when there
    /// was nothing to write.
    pub(super) fn table(
        &self,
        day: Option<i32>,
        table: &Table,
    ) -> Result<Option<TableReport>, Error> {
        match (self, day) {
            (Output::Flat(dir), _) => dir.table(table).map(Some),
            (Output::Days(hive), Some(day)) => hive.table_for_day(day, table),
            (Output::Days(_), None) => Err(Error::Encode {
                table: table.spec.name.to_string(),
                message: "a day-partitioned output needs each table's day".to_string(),
            }),
            (Output::Partials(_), _) => Err(Error::Encode {
                table: table.spec.name.to_string(),
                message: "a directory of partials holds no tables".to_string(),
            }),
        }
    }

    /// Publishes the set with its manifest (for day partitions, after
    /// noting the days the new set holds).
    pub(super) fn commit(self, manifest: &mut Manifest) -> Result<PathBuf, Error> {
        match self {
            Output::Flat(dir) => dir.commit(manifest),
            Output::Days(hive) => {
                if let Some(days) = manifest.days.as_mut() {
                    days.held = hive
                        .days_after_commit()?
                        .into_iter()
                        .filter_map(time::format_day)
                        .collect();
                }
                hive.commit(manifest)
            }
            Output::Partials(dir) => dir.commit(manifest),
        }
    }
}
