//! Day-partitioned outputs in Hive layout, re-published one day at a time.
//!
//! With a private state, a nightly run re-publishes only the days its new
//! lines touched. Each table is then a directory of one file per UTC day,
//! `<out>/<table>/day=YYYY-MM-DD/part-0.parquet`, beside the run's
//! `<out>/_manifest.json`: DuckDB (`hive_partitioning`), Spark,
//! pandas/pyarrow (`partitioning="hive"`) and Power BI (Parquet folder)
//! read each table directory as one dataset, and give the `day` column
//! back from the path, so the files leave it out.
//!
//! A run writes the partitions of the days it re-publishes into the
//! staging directory of an [`OutputDir`]; at commit, every partition of
//! the published set whose day is not re-published is carried over as a
//! hard link (nothing is copied, and untouched days keep their bytes and
//! inodes), then the manifest is written last and the directory swapped
//! in whole. Readers therefore see the old set or the new one, as with the
//! flat layout. Re-publishing a day replaces all of that day's partitions
//! in every table: a table with no rows that day has no partition then,
//! rather than an empty file (an empty file has no schema some readers
//! accept, and a missing one reads as no rows).
//!
//! Period tables (`<table>_weekly/week=YYYY-MM-DD/part-0.parquet`,
//! `<table>_monthly/month=YYYY-MM-01/…`, see `schema::Grain`) are
//! partitions of the same kind, keyed by their period's first day: a
//! period re-published replaces its partitions, the others are carried
//! over. Their directories are named apart from the daily tables', so a
//! reader pointed at `web_pages/` never sees weekly rows.
//!
//! Trade-off: the swap still exchanges the whole directory, so each
//! commit rebuilds the tree of links (one per published day and table);
//! that is cheap next to writing any table, and it keeps one protocol for
//! both layouts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::commit::{Kind, OutputDir, PublishOptions};
use super::manifest::{MANIFEST_FILE, Manifest, TableReport};
use super::parquet::write_table_without;
use super::schema::partition_key;
use super::table::{Table, Values};
use crate::error::Error;

/// The partition key, and the column the partition files leave out.
pub const DAY_KEY: &str = "day";

/// File name of a partition's one file.
pub const PART_FILE: &str = "part-0.parquet";

pub use crate::time::{format_day, parse_day};

/// A partition: its key (`day`, `week` or `month`) and first day.
type Partition = (&'static str, i32);

/// The partition directory name `<key>=<day>` of a table's directory, if
/// `dir` is one: the key must be the table's (see
/// `schema::partition_key`).
pub fn partition_dir(table: &str, dir: &str) -> Option<Partition> {
    let key = partition_key(table)?;
    let day = dir
        .strip_prefix(key)?
        .strip_prefix('=')
        .and_then(parse_day)?;
    Some((key, day))
}

/// The partition of a partition file's path relative to the output
/// (`<table>/<key>=YYYY-MM-DD/part-N.parquet`, for a known table), or
/// `None` for any other path.
fn partition_of(rel: &Path) -> Option<Partition> {
    let parts: Option<Vec<&str>> = rel.iter().map(|p| p.to_str()).collect();
    match parts?.as_slice() {
        [table, dir, file] => {
            let part = file.starts_with("part-") && file.ends_with(".parquet");
            part.then(|| partition_dir(table, dir)).flatten()
        }
        _ => None,
    }
}

/// The day of a daily partition file's path relative to the output
/// (`<table>/day=YYYY-MM-DD/part-N.parquet`, for a known table), or
/// `None` for any other path (a period table's partition included).
pub fn partition_day(rel: &Path) -> Option<i32> {
    partition_of(rel).and_then(|(key, day)| (key == DAY_KEY).then_some(day))
}

/// Whether a commit carries the published file `rel` over: a partition
/// not replaced. Flat tables of a one-shot run are not carried, so a set
/// never mixes the two layouts.
fn keep(rel: &Path, replaced: &BTreeSet<Partition>) -> bool {
    partition_of(rel).is_some_and(|p| !replaced.contains(&p))
}

/// An output directory of day-partitioned tables being re-published.
/// Dropped without a commit, it leaves the output as it was.
#[derive(Debug)]
pub struct HiveDir {
    dir: OutputDir,
    /// Partitions (days and periods) the new set replaces.
    replaced: Mutex<BTreeSet<Partition>>,
    /// Partitions written, by table and day.
    written: Mutex<BTreeSet<(&'static str, i32)>>,
}

fn encode_err(table: &str, message: String) -> Error {
    Error::Encode {
        table: table.to_string(),
        message,
    }
}

impl HiveDir {
    /// Locks and checks the output directory and prepares its replacement
    /// (see [`OutputDir::prepare`]; the options' kind is always
    /// [`Kind::Tables`]). Nothing visible changes until a commit.
    pub fn prepare(out: &Path, opts: PublishOptions) -> Result<HiveDir, Error> {
        let opts = PublishOptions {
            kind: Kind::Tables,
            ..opts
        };
        Ok(HiveDir {
            dir: OutputDir::prepare(out, opts)?,
            replaced: Mutex::new(BTreeSet::new()),
            written: Mutex::new(BTreeSet::new()),
        })
    }

    /// The output directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The days the published set has at least one partition of.
    pub fn published_days(&self) -> Result<BTreeSet<i32>, Error> {
        Ok(self
            .dir
            .published_files()?
            .iter()
            .filter_map(|rel| partition_day(rel))
            .collect())
    }

    /// Marks days as re-published: none of their partitions in the
    /// published set survives the commit, whatever this run writes for
    /// them (a day with no rows left in any table disappears). Days given
    /// to [`HiveDir::table_for_day`] are marked without this.
    pub fn replace_days(&self, days: &[i32]) {
        self.replaced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(days.iter().map(|&d| (DAY_KEY, d)));
    }

    /// Writes `table`, whose rows all belong to `day`, as that day's
    /// partition `<table>/day=YYYY-MM-DD/part-0.parquet` of the new set,
    /// without its `day` column if it has one; marks the day re-published.
    /// For a period table, `day` is the period's first day and the
    /// partition `<table>/week=…/` or `<table>/month=…/`, without that
    /// column; the period is marked re-published.
    /// A table without rows writes nothing and returns `None`. Callable
    /// from several threads at once, once per table and partition.
    pub fn table_for_day(&self, day: i32, table: &Table) -> Result<Option<TableReport>, Error> {
        let name = table.spec.name;
        let key = partition_key(name)
            .ok_or_else(|| encode_err(name, "not a table of the output".to_string()))?;
        let dir_name = format_day(day)
            .map(|d| format!("{key}={d}"))
            .ok_or_else(|| encode_err(name, format!("day {day} is outside the years 0001–9999")))?;
        let mut without: Vec<&str> = Vec::new();
        for (spec, values) in table.spec.columns.iter().zip(&table.columns) {
            if spec.name != key {
                continue;
            }
            if let Values::Date(days) = values {
                if let Some(other) = days.iter().find(|&&d| d != day) {
                    let other = format_day(*other).unwrap_or_else(|| other.to_string());
                    return Err(encode_err(
                        name,
                        format!("a row of day {other} in the partition of {dir_name}"),
                    ));
                }
                without.push(key);
            }
        }
        self.replaced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((key, day));
        if table.rows() == 0 {
            return Ok(None);
        }
        if !self
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((name, day))
        {
            return Err(encode_err(name, format!("{dir_name} written twice")));
        }
        let rel = Path::new(name).join(&dir_name).join(PART_FILE);
        let dir = self.dir.staging().join(name).join(&dir_name);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Output {
            path: dir.clone(),
            source,
        })?;
        write_table_without(&self.dir.staging().join(&rel), table, &without)?;
        Ok(Some(TableReport {
            name,
            file: rel.to_string_lossy().into_owned(),
            rows: table.rows(),
            suppression: table.suppression,
            dp: table.dp.clone(),
        }))
    }

    /// The days the set will hold once committed: the published days not
    /// re-published, and the days this run wrote a partition of.
    pub fn days_after_commit(&self) -> Result<BTreeSet<i32>, Error> {
        let replaced = self.replaced.lock().unwrap_or_else(PoisonError::into_inner);
        let mut days: BTreeSet<i32> = self
            .published_days()?
            .into_iter()
            .filter(|&d| !replaced.contains(&(DAY_KEY, d)))
            .collect();
        days.extend(
            self.written
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .filter(|&&(name, _)| partition_key(name) == Some(DAY_KEY))
                .map(|&(_, d)| d),
        );
        Ok(days)
    }

    /// The partitions of the published set that the commit will carry
    /// over, relative to the output and sorted: those of days not
    /// re-published (so far). For a manifest that lists every file of the
    /// new set; call it once all days are marked.
    pub fn kept_partitions(&self) -> Result<Vec<PathBuf>, Error> {
        let replaced = self.replaced.lock().unwrap_or_else(PoisonError::into_inner);
        let mut files = self.dir.published_files()?;
        files.retain(|rel| keep(rel, &replaced));
        Ok(files)
    }

    /// Carries the partitions of the days not re-published over, writes
    /// the manifest last, and publishes the new set at once; returns the
    /// manifest's path.
    pub fn commit(self, manifest: &Manifest) -> Result<PathBuf, Error> {
        self.commit_with(|staging| manifest.write(staging))
    }

    /// As [`HiveDir::commit`], with the manifest written by
    /// `write_manifest` into the directory it is given (returning the
    /// file's path there), for a manifest of another shape.
    pub fn commit_with(
        self,
        write_manifest: impl FnOnce(&Path) -> Result<PathBuf, Error>,
    ) -> Result<PathBuf, Error> {
        let replaced = self
            .replaced
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        self.dir.carry_over(|rel| keep(rel, &replaced))?;
        let written = write_manifest(self.dir.staging())?;
        let name = written
            .file_name()
            .map_or_else(|| MANIFEST_FILE.into(), |n| n.to_os_string());
        Ok(self.dir.commit()?.join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_format_and_parse_one_way_only() {
        assert_eq!(format_day(0).as_deref(), Some("1970-01-01"));
        assert_eq!(format_day(20_540).as_deref(), Some("2026-03-28"));
        assert_eq!(format_day(-1).as_deref(), Some("1969-12-31"));
        for d in [-719_162, -1, 0, 20_540, 2_932_896] {
            assert_eq!(parse_day(&format_day(d).unwrap()), Some(d));
        }
        // Outside 0001–9999, no name.
        assert_eq!(format_day(-719_163), None);
        assert_eq!(format_day(2_932_897), None);
        assert_eq!(format_day(i32::MAX), None);
        assert_eq!(format_day(i32::MIN), None);
        for bad in [
            "2026-3-28",
            "2026-02-30",
            "2026-03-28 ",
            "+2026-03-28",
            "26-03-2028",
            "",
            "0000-01-01",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn partition_paths_name_a_table_a_day_and_a_part() {
        let day = |p: &str| partition_day(Path::new(p));
        assert_eq!(day("web_pages/day=2026-03-28/part-0.parquet"), Some(20_540));
        assert_eq!(day("web_traffic/day=1970-01-01/part-12.parquet"), Some(0));
        assert_eq!(day("nope/day=2026-03-28/part-0.parquet"), None);
        assert_eq!(day("web_pages/day=2026-13-28/part-0.parquet"), None);
        assert_eq!(day("web_pages/hour=2026-03-28/part-0.parquet"), None);
        assert_eq!(day("web_pages/day=2026-03-28/notes.txt"), None);
        assert_eq!(day("web_pages.parquet"), None);
        assert_eq!(day("_manifest.json"), None);
        // Period partitions are not days, and take only their own key.
        assert_eq!(day("web_pages_weekly/week=2026-03-23/part-0.parquet"), None);
        let of = |p: &str| partition_of(Path::new(p));
        assert_eq!(
            of("web_pages_weekly/week=2026-03-23/part-0.parquet"),
            Some(("week", 20_535))
        );
        assert_eq!(
            of("web_sites_monthly/month=2026-03-01/part-0.parquet"),
            Some(("month", 20_513))
        );
        assert_eq!(of("web_pages_weekly/day=2026-03-23/part-0.parquet"), None);
        assert_eq!(of("web_pages/week=2026-03-23/part-0.parquet"), None);
        assert_eq!(of("web_pages_monthly/week=2026-03-23/part-0.parquet"), None);
    }
}
