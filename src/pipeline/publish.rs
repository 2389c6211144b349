//! Where a run publishes: a directory of tables, or day partitions.
//!
//! A one-shot run writes one file per table through the flat
//! [`ParquetDir`] sink. A run with a private state re-publishes the days it
//! touched, one file per table and day, through [`HiveDir`], which carries
//! the other days over. Both are prepared before any input is read and
//! commit all-or-nothing (`output::commit`); this only picks one.

use std::path::PathBuf;

use crate::error::Error;
use crate::output::hive::HiveDir;
use crate::output::manifest::{Manifest, TableReport};
use crate::output::sink::{ParquetDir, Sink};
use crate::output::table::Table;
use crate::time;

/// Where a run publishes: one directory of tables, or day partitions
/// (with a state).
pub(super) enum Output {
    /// One file per table.
    Flat(ParquetDir),
    /// One file per table and day.
    Days(HiveDir),
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
        }
    }
}
