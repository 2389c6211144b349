//! The differential-privacy budget ledger: what each release day has
//! spent, and the noisy values it released, kept in the private state.
//!
//! ```text
//! <state>/dp/budget.json                    every day's spends, never expired
//! <state>/dp/releases/day=YYYY-MM-DD.json   that day's stored release of each table
//! ```
//!
//! A fresh release of a table for a day is recorded with
//! [`StateDir::dp_record`] (a day's tables at once with
//! [`StateDir::dp_record_day`]): its (ε, δ) is added to the day's spends, and
//! refused when the day's ε would pass the ceiling; its rows are kept so
//! that publishing the day again can publish them unchanged
//! ([`StateDir::dp_stored`]) instead of fresh noise an analyst could
//! average away. Both go into the next state, so a run that fails before
//! its commit spends nothing and leaves the stored releases as they were.
//!
//! Trade-offs. The ledger outlives retention: partials are deleted after
//! `keep_days`, but a day's spend must stay known for as long as its
//! release may be published again (a lost ledger would let a day be
//! released afresh with its whole budget), and its stored rows are what
//! such a republication reads. Both are small beside the partials: a
//! day's released rows are those above the noise threshold. A recorded
//! day's file is rewritten in the staging directory at each record (read
//! back, the tables put in, written out and synced; a run records each
//! day's tables in one call, so once per day) rather than kept in memory until
//! the commit, so that a run over a year of logs holds one day's rows at
//! a time; untouched days are hard-linked into the next state. The ceiling
//! is checked with a relative slack of 1e-9, so that shares written as
//! decimals (0.1 + 0.2) are not refused for their rounding; that is far
//! below any ε that means something.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use super::{StateDir, state_err, write_private};
use crate::error::Error;
use crate::privacy::disclosure::dp::{DpNote, DpRow};
use crate::time;

/// The ledger's directory in the state.
pub(super) const DP_DIR: &str = "dp";

/// Every day's spends, in [`DP_DIR`].
const BUDGET_FILE: &str = "budget.json";

/// The days' stored releases, in [`DP_DIR`].
const RELEASES_DIR: &str = "releases";

/// The version of both file formats.
const VERSION: u32 = 1;

/// Relative slack of the ceiling check, for the rounding of sums.
const SLACK: f64 = 1e-9;

/// One table's release of one day, as stored: published again unchanged
/// when the day is re-published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRelease {
    /// What the release spent and how it was made.
    pub note: DpNote,
    /// The released rows.
    pub rows: Vec<DpRow>,
}

/// One spend of budget: a fresh release of one table for one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spend {
    /// The table released.
    pub table: String,
    /// ε spent.
    pub epsilon: f64,
    /// δ spent.
    pub delta: f64,
    /// The generation of the state commit that recorded it (empty until
    /// this run's state is committed).
    pub generation: String,
    /// When it was recorded (UTC, RFC 3339).
    pub at: String,
    /// The day had a release of this table already: this one replaced it
    /// with fresh noise, spending its budget again.
    #[serde(default)]
    pub replaced: bool,
}

/// What this run released of one day, for the manifest.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DaySpend {
    /// The day (days since 1970-01-01).
    pub day: i32,
    /// Tables released with fresh noise this run, in the order recorded.
    pub fresh: Vec<String>,
    /// Those of them that replaced an earlier release of the day.
    pub replaced: Vec<String>,
    /// ε the day has spent in all, this run included.
    pub epsilon: f64,
    /// δ the day has spent in all, this run included.
    pub delta: f64,
}

/// `budget.json`.
#[derive(Debug, Serialize, Deserialize)]
struct BudgetFile {
    version: u32,
    days: Vec<DayEntry>,
}

/// One day of `budget.json`.
#[derive(Debug, Serialize, Deserialize)]
struct DayEntry {
    /// `YYYY-MM-DD`.
    day: String,
    spends: Vec<Spend>,
}

/// `releases/day=YYYY-MM-DD.json`.
#[derive(Debug, Serialize, Deserialize)]
struct ReleasesFile {
    version: u32,
    /// `YYYY-MM-DD`, again, so a file renamed by hand is caught.
    day: String,
    tables: BTreeMap<String, StoredRelease>,
}

/// The budget of an open state: what committed runs spent and stored,
/// and what this run records.
#[derive(Debug, Default)]
pub(super) struct Budget {
    /// Spends of the current state, by day.
    committed: BTreeMap<i32, Vec<Spend>>,
    /// Days with a releases file in the current state.
    stored: BTreeSet<i32>,
    run: Mutex<Run>,
}

/// This run's records.
#[derive(Debug, Default)]
struct Run {
    /// Spends recorded (or being recorded) by day.
    spends: BTreeMap<i32, Vec<Spend>>,
    /// Each recorded day's file in the staging directory, locked while it
    /// is rewritten or read; `true` once written.
    files: BTreeMap<i32, Arc<Mutex<bool>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A number as the messages show it: one to six decimals, so a sum's
/// rounding (1.9000000000000001) does not show.
fn show(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0');
    if text.ends_with('.') {
        format!("{text}0")
    } else {
        text.to_string()
    }
}

fn day_name(day: i32) -> Option<String> {
    time::format_day(day)
}

fn releases_file_name(name: &str) -> String {
    format!("day={name}.json")
}

fn day_of_releases_file(file: &str) -> Option<i32> {
    time::parse_day(file.strip_prefix("day=")?.strip_suffix(".json")?)
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Output {
        path: path.to_path_buf(),
        source,
    }
}

fn damaged(path: &Path, what: impl std::fmt::Display) -> Error {
    state_err(
        path,
        format!(
            "cannot be read ({what}); it is part of the differential-privacy budget ledger \
             (what each day spent and released), which cannot be rebuilt from the logs: restore \
             the state directory from a backup"
        ),
    )
}

/// Reads a releases file, checking it is the day its name says.
fn read_releases(path: &Path, day: i32) -> Result<BTreeMap<String, StoredRelease>, Error> {
    let bytes = fs::read(path).map_err(|e| damaged(path, e))?;
    let file: ReleasesFile = serde_json::from_slice(&bytes).map_err(|e| damaged(path, e))?;
    if file.version != VERSION {
        return Err(damaged(
            path,
            format!(
                "format version {}, this logveil reads version {VERSION}",
                file.version
            ),
        ));
    }
    if time::parse_day(&file.day) != Some(day) {
        return Err(damaged(path, "it holds another day than its name says"));
    }
    Ok(file.tables)
}

impl Budget {
    /// Reads the ledger of the state in `current`; no `dp` directory is
    /// an empty ledger (a state only ever released under k).
    pub(super) fn load(current: &Path) -> Result<Budget, Error> {
        let dp = current.join(DP_DIR);
        let releases = dp.join(RELEASES_DIR);
        let mut stored = BTreeSet::new();
        match fs::read_dir(&releases) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry.map_err(io_err(&releases))?;
                    if let Some(day) = entry.file_name().to_str().and_then(day_of_releases_file) {
                        stored.insert(day);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&releases)(e)),
        }
        let path = dp.join(BUDGET_FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && stored.is_empty() => {
                return Ok(Budget::default());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(state_err(
                    &path,
                    "is missing, yet the state holds stored differential-privacy releases: what \
                     their days spent is unknown, and releasing them again could pass the ceiling; \
                     restore the state directory from a backup",
                ));
            }
            Err(e) => return Err(damaged(&path, e)),
        };
        let file: BudgetFile = serde_json::from_slice(&bytes).map_err(|e| damaged(&path, e))?;
        if file.version != VERSION {
            return Err(damaged(
                &path,
                format!(
                    "format version {}, this logveil reads version {VERSION}",
                    file.version
                ),
            ));
        }
        let mut committed: BTreeMap<i32, Vec<Spend>> = BTreeMap::new();
        for entry in file.days {
            let day = time::parse_day(&entry.day)
                .ok_or_else(|| damaged(&path, format!("{:?} is not a day", entry.day)))?;
            // A negative spend would lower what a day has spent.
            if let Some(s) = entry.spends.iter().find(|s| {
                !(s.epsilon.is_finite() && s.epsilon >= 0.0 && s.delta.is_finite()) || s.delta < 0.0
            }) {
                return Err(damaged(
                    &path,
                    format!("a spend of {} on {} is not a budget", s.table, entry.day),
                ));
            }
            committed.entry(day).or_default().extend(entry.spends);
        }
        Ok(Budget {
            committed,
            stored,
            run: Mutex::default(),
        })
    }

    /// (ε, δ) spent by `day` in the current state and in `run`.
    fn spent_in(&self, run: &Run, day: i32) -> (f64, f64) {
        self.committed
            .get(&day)
            .into_iter()
            .chain(run.spends.get(&day))
            .flatten()
            .fold((0.0, 0.0), |(e, d), s| (e + s.epsilon, d + s.delta))
    }

    /// Whether `day` had a release of `table` before this one.
    fn released_before(&self, run: &Run, day: i32, table: &str) -> bool {
        self.committed
            .get(&day)
            .into_iter()
            .chain(run.spends.get(&day))
            .flatten()
            .any(|s| s.table == table)
    }

    /// Whether the state file at `rel` (relative to the state) is a stored
    /// day's releases that this run did not write: those are carried into
    /// the next state unchanged.
    pub(super) fn carries(&self, rel: &Path) -> bool {
        let mut parts = rel.iter().filter_map(|p| p.to_str());
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(DP_DIR), Some(RELEASES_DIR), Some(file), None) => {
                day_of_releases_file(file).is_some_and(|day| {
                    // A day whose record failed to write keeps its file.
                    lock(&self.run).files.get(&day).is_none_or(|w| !*lock(w))
                })
            }
            _ => false,
        }
    }

    /// Writes `budget.json` into the staging directory, this run's spends
    /// stamped with `generation`; nothing when no day has spent anything,
    /// so a state only ever released under k has no `dp` directory.
    pub(super) fn save(&self, staging: &Path, generation: &str) -> Result<(), Error> {
        let run = lock(&self.run);
        let mut days: BTreeMap<i32, Vec<Spend>> = self.committed.clone();
        for (&day, spends) in &run.spends {
            days.entry(day)
                .or_default()
                .extend(spends.iter().map(|s| Spend {
                    generation: generation.to_string(),
                    ..s.clone()
                }));
        }
        if days.values().all(Vec::is_empty) {
            return Ok(());
        }
        let file = BudgetFile {
            version: VERSION,
            days: days
                .into_iter()
                .filter_map(|(day, spends)| {
                    Some(DayEntry {
                        day: day_name(day)?,
                        spends,
                    })
                })
                .collect(),
        };
        let dir = staging.join(DP_DIR);
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        write_private(&dir.join(BUDGET_FILE), &file)
    }
}

impl StateDir {
    /// ε and δ a day has spent so far, over every commit and this run's
    /// records.
    pub fn dp_spent(&self, day: i32) -> (f64, f64) {
        let run = lock(&self.budget.run);
        self.budget.spent_in(&run, day)
    }

    /// The stored release of (`day`, `table`), if any: this run's record
    /// when it made one, else the current state's. Callable from any
    /// thread.
    pub fn dp_stored(&self, day: i32, table: &str) -> Result<Option<StoredRelease>, Error> {
        Ok(self.dp_stored_day(day)?.remove(table))
    }

    /// Every stored release of `day`, by table (as [`StateDir::dp_stored`]).
    pub fn dp_stored_day(&self, day: i32) -> Result<BTreeMap<String, StoredRelease>, Error> {
        let Some(name) = day_name(day) else {
            return Ok(BTreeMap::new());
        };
        let rel = Path::new(DP_DIR)
            .join(RELEASES_DIR)
            .join(releases_file_name(&name));
        let slot = lock(&self.budget.run).files.get(&day).cloned();
        let (path, _guard) = match &slot {
            Some(slot) => {
                let written = lock(slot);
                if *written {
                    (self.dir.staging().join(&rel), Some(written))
                } else {
                    // A record whose write failed: the state's file stands.
                    (self.dir.path().join(&rel), Some(written))
                }
            }
            None => (self.dir.path().join(&rel), None),
        };
        let in_state = slot.is_some() || self.budget.stored.contains(&day);
        if !in_state || !path.exists() {
            return Ok(BTreeMap::new());
        }
        read_releases(&path, day)
    }

    /// Records a fresh release of `table` for `day`: its spend
    /// (`release.note`), checked against `ceiling` (the most ε a day may
    /// spend) atomically with other threads' records for the same day,
    /// and its rows, written into the next state at commit. Errors when
    /// the ceiling would be passed, and nothing is recorded then.
    pub fn dp_record(
        &self,
        day: i32,
        table: &str,
        release: StoredRelease,
        ceiling: f64,
    ) -> Result<(), Error> {
        self.dp_record_day(day, vec![(table.to_string(), release)], ceiling)
    }

    /// Records fresh releases of several tables for `day` at once, as
    /// [`StateDir::dp_record`] does one: the day's file is written once,
    /// not once per table (each write is synced). Errors when any table
    /// would pass the ceiling, and nothing of this call is recorded then.
    pub fn dp_record_day(
        &self,
        day: i32,
        releases: Vec<(String, StoredRelease)>,
        ceiling: f64,
    ) -> Result<(), Error> {
        if releases.is_empty() {
            return Ok(());
        }
        let state = self.dir.path();
        let name = day_name(day).ok_or_else(|| {
            state_err(
                state,
                format!("day {day} (days since 1970-01-01) is outside the years 0001 to 9999"),
            )
        })?;
        let slot = {
            let mut run = lock(&self.budget.run);
            for (reserved, (table, release)) in releases.iter().enumerate() {
                let (epsilon, delta) = (release.note.epsilon, release.note.delta);
                let (spent, _) = self.budget.spent_in(&run, day);
                let again = self.budget.released_before(&run, day, table);
                let total = spent + epsilon;
                // Written so that NaN anywhere refuses.
                let within = epsilon >= 0.0 && delta >= 0.0 && total <= ceiling * (1.0 + SLACK);
                if !within {
                    if let Some(spends) = run.spends.get_mut(&day) {
                        spends.truncate(spends.len().saturating_sub(reserved));
                    }
                    return Err(state_err(
                        state,
                        format!(
                            "day {name} has spent ε = {} of its ceiling {}; releasing {table}{} \
                             (ε = {}) would exceed it: publish the stored release (republish = \
                             \"reuse\") or raise dp.max_epsilon_per_day",
                            show(spent),
                            show(ceiling),
                            if again { " again" } else { "" },
                            show(epsilon),
                        ),
                    ));
                }
                run.spends.entry(day).or_default().push(Spend {
                    table: table.clone(),
                    epsilon,
                    delta,
                    generation: String::new(),
                    at: time::rfc3339(now()),
                    replaced: again,
                });
            }
            Arc::clone(run.files.entry(day).or_default())
        };
        let spent: Vec<(String, u64)> = releases
            .iter()
            .map(|(table, release)| (table.clone(), release.note.epsilon.to_bits()))
            .collect();
        let written = self.write_releases(&slot, day, &name, releases);
        if written.is_err() {
            // Nothing recorded: take the reservations back (other threads
            // may have recorded the day's other tables since).
            let mut run = lock(&self.budget.run);
            if let Some(spends) = run.spends.get_mut(&day) {
                for (table, epsilon) in &spent {
                    if let Some(i) = spends
                        .iter()
                        .rposition(|s| &s.table == table && s.epsilon.to_bits() == *epsilon)
                    {
                        spends.remove(i);
                    }
                }
            }
        }
        written
    }

    /// Puts the tables' releases into the day's file in the staging
    /// directory, beside the day's other tables (from this run's file, or
    /// the state's).
    fn write_releases(
        &self,
        slot: &Mutex<bool>,
        day: i32,
        name: &str,
        releases: Vec<(String, StoredRelease)>,
    ) -> Result<(), Error> {
        let mut written = lock(slot);
        let rel = Path::new(DP_DIR)
            .join(RELEASES_DIR)
            .join(releases_file_name(name));
        let staged = self.dir.staging().join(&rel);
        let mut tables = if *written {
            read_releases(&staged, day)?
        } else if self.budget.stored.contains(&day) {
            read_releases(&self.dir.path().join(&rel), day)?
        } else {
            BTreeMap::new()
        };
        tables.extend(releases);
        if let Some(dir) = staged.parent() {
            fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        write_private(
            &staged,
            &ReleasesFile {
                version: VERSION,
                day: name.to_string(),
                tables,
            },
        )?;
        *written = true;
        Ok(())
    }

    /// What this run released, by day: the tables released fresh, and
    /// the day's whole spend after this run.
    pub fn dp_summary(&self) -> Vec<DaySpend> {
        let run = lock(&self.budget.run);
        run.spends
            .iter()
            .filter(|(_, spends)| !spends.is_empty())
            .map(|(&day, spends)| {
                let (epsilon, delta) = self.budget.spent_in(&run, day);
                DaySpend {
                    day,
                    fresh: spends.iter().map(|s| s.table.clone()).collect(),
                    replaced: spends
                        .iter()
                        .filter(|s| s.replaced)
                        .map(|s| s.table.clone())
                        .collect(),
                    epsilon,
                    delta,
                }
            })
            .collect()
    }
}

/// Now, in Unix seconds.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
