//! The private state of nightly runs: what was read, and the days'
//! aggregates before disclosure control.
//!
//! ```text
//! <state>/                      mode 0700: personal data (pseudonyms)
//!   state.json                  format, key fingerprint, settings hash,
//!                               retention, generation
//!   ledger.json                 what each input's content was read up to (ledger.rs)
//!   partials/day=YYYY-MM-DD/    one day's private partial (partials.rs)
//!     rows.parquet  sessions.parquet
//!   dp/                         differential privacy only (budget.rs):
//!     budget.json               every day's spends, never expired
//!     releases/day=YYYY-MM-DD.json  that day's stored releases
//! ```
//!
//! A run with a state reads only what the ledger says is new, folds it
//! into the partials of the days it touches (a merge: counters add,
//! visitor sets unite, sessions coalesce), and re-publishes exactly those
//! days from the merged partials, so the published tables never depend on
//! how the lines were split between nights. Nothing is computed from
//! published tables. Retention deletes old partials, never the budget.
//!
//! The state is replaced as a whole, like the output (`output::commit`):
//! the new ledger, `state.json` and the touched days' partials are written
//! to a staging directory, untouched days are hard-linked into it, and one
//! swap publishes it. The state is committed before the output, and each
//! state commit has a new random generation that the output's manifest
//! records: an output that names another generation (a run killed between
//! the two commits, or a new output directory) gets every stored day. Partials are
//! made under one key and one set of settings (policy, sessions, site and
//! time-zone defaults): a run with others refuses the state rather than
//! mixing them.

pub mod budget;
pub mod ledger;
pub mod partials;

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aggregate::web::partial::DayPartial;
use crate::error::Error;
use crate::output::commit::{OutputDir, PublishOptions};
use crate::time;
use ledger::Ledger;

/// The state's own description of itself.
const STATE_FILE: &str = "state.json";

/// The ledger's file.
const LEDGER_FILE: &str = "ledger.json";

/// The partials' directory.
const PARTIALS_DIR: &str = "partials";

/// What `state.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Meta {
    /// Always "logveil state".
    what: String,
    /// [`partials::FORMAT_VERSION`] of the partials.
    format: u32,
    /// Fingerprint of the key the pseudonyms were made with.
    key_fingerprint: String,
    /// Hash of the settings that shape partials.
    settings: String,
    /// Partials of days before this one were deleted (retention): data
    /// for them can no longer be merged exactly and is refused.
    expired_before: Option<String>,
    /// A random id of this state, new at every commit. The output's
    /// manifest records the generation it was published from; when it
    /// names another one (a run stopped between the two commits, or a new
    /// output directory), every stored day is published again.
    generation: String,
}

/// How a run treats its state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StateOptions {
    /// The state directory.
    pub dir: PathBuf,
    /// Keep partials of this many days, counted back from the newest day
    /// they hold (not the clock, so a run over old logs keeps what it
    /// reads; days after tomorrow do not count, so a line dated in the
    /// future expires nothing); `None` keeps every day.
    pub keep_days: Option<u32>,
    /// Wait for another run holding the state's lock.
    pub wait: bool,
}

impl StateOptions {
    /// A state in `dir`, every day kept.
    pub fn new(dir: impl Into<PathBuf>) -> StateOptions {
        StateOptions {
            dir: dir.into(),
            keep_days: None,
            wait: false,
        }
    }
}

/// An open state: the current one to read, the next one being written.
#[derive(Debug)]
pub struct StateDir {
    dir: OutputDir,
    meta: Meta,
    ledger: Ledger,
    keep_days: Option<u32>,
    // Days with a partial in the current state.
    stored: BTreeSet<i32>,
    // Days whose partial this run writes.
    written: std::sync::Mutex<BTreeSet<i32>>,
    // The differential-privacy budget, read and recorded.
    budget: budget::Budget,
}

fn state_err(path: &Path, message: impl Into<String>) -> Error {
    Error::State {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

impl StateDir {
    /// Locks the state directory (created 0700 if new), reads what it
    /// holds and checks it was made with this key and these settings.
    pub fn open(
        opts: &StateOptions,
        key_fingerprint: &str,
        settings: &str,
    ) -> Result<StateDir, Error> {
        let publish = PublishOptions {
            wait: opts.wait,
            ..PublishOptions::state()
        };
        let dir = OutputDir::prepare(&opts.dir, publish).map_err(|e| match e {
            // The output's message would offer to adopt them, which a state
            // never does: its files are all logveil's own.
            Error::ForeignFiles { out, count, names } => state_err(
                &out,
                format!(
                    "holds {count} file(s) logveil did not write ({names}); the state is \
                     replaced as a whole by every run, so keep other files (the key, backups) \
                     outside it, or give a new directory"
                ),
            ),
            e => e,
        })?;
        let current = dir.path().to_path_buf();
        let meta_path = current.join(STATE_FILE);
        let ledger_path = current.join(LEDGER_FILE);
        let exists = |path: &Path| fs::symlink_metadata(path).is_ok();
        let meta = match fs::read(&meta_path) {
            // Every commit writes both: a ledger lost alone would have every
            // log read again and counted twice.
            Ok(_) if !exists(&ledger_path) => {
                return Err(state_err(
                    &ledger_path,
                    "is missing, so every log would be read again and counted twice; restore \
                     the state from a backup, or start a new state and read the logs again",
                ));
            }
            Ok(bytes) => serde_json::from_slice::<Meta>(&bytes).map_err(|e| {
                state_err(
                    &meta_path,
                    format!(
                        "cannot be read ({e}); restore the state from a backup or start a new one"
                    ),
                )
            })?,
            // Without it, nothing says which key and settings a ledger or
            // partials left here were made under.
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && (exists(&ledger_path)
                        || exists(&current.join(PARTIALS_DIR))
                        || exists(&current.join(budget::DP_DIR))) =>
            {
                return Err(state_err(
                    &meta_path,
                    "is missing, yet the state holds a ledger or partials made under an unknown \
                     key and settings; restore the state from a backup, or start a new one",
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Meta {
                what: "logveil state".to_string(),
                format: partials::FORMAT_VERSION,
                key_fingerprint: key_fingerprint.to_string(),
                settings: settings.to_string(),
                expired_before: None,
                generation: String::new(),
            },
            Err(e) => return Err(state_err(&meta_path, format!("cannot be read ({e})"))),
        };
        if meta.format != partials::FORMAT_VERSION {
            return Err(state_err(
                &current,
                format!(
                    "holds partials of format {}, this logveil reads format {}; use the version that made it, or start a new state",
                    meta.format,
                    partials::FORMAT_VERSION
                ),
            ));
        }
        if meta.key_fingerprint != key_fingerprint {
            return Err(state_err(
                &current,
                "was made with another key; its pseudonyms cannot be merged with this key's. \
                 Use the key it was made with, or start a new state",
            ));
        }
        if meta.settings != settings {
            return Err(state_err(
                &current,
                "was made under other settings (policy, session gap, default site or time zone); \
                 merging would mix two rules. Run with the settings it was made with, or start \
                 a new state and read the logs again",
            ));
        }
        let ledger = Ledger::load(&ledger_path)?;
        let stored = partials::list_days(&current.join(PARTIALS_DIR))?
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        let budget = budget::Budget::load(&current)?;
        Ok(StateDir {
            dir,
            meta,
            ledger,
            keep_days: opts.keep_days,
            stored,
            written: Default::default(),
            budget,
        })
    }

    /// The ledger of what was read.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The ledger, to record what this run read.
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }

    /// The first day whose data can still be merged: partials before it
    /// were deleted by retention.
    pub fn expired_before(&self) -> Option<i32> {
        self.meta
            .expired_before
            .as_deref()
            .and_then(time::parse_day)
    }

    /// Whether an output published from `generation` (from its
    /// manifest) holds every stored day as the state has it.
    pub fn is_published(&self, generation: Option<&str>) -> bool {
        !self.meta.generation.is_empty() && generation == Some(self.meta.generation.as_str())
    }

    /// Every day with a partial in the current state.
    pub fn stored_days(&self) -> &BTreeSet<i32> {
        &self.stored
    }

    /// The stored partial of `day`, if there is one.
    pub fn read_day(&self, day: i32) -> Result<Option<DayPartial>, Error> {
        if !self.stored.contains(&day) {
            return Ok(None);
        }
        let dir = self
            .dir
            .path()
            .join(PARTIALS_DIR)
            .join(partials::day_dir_name(day));
        partials::read_day(&dir, day).map(Some)
    }

    /// Writes the merged partial of a day into the next state (from any
    /// thread).
    pub fn write_day(&self, part: &DayPartial) -> Result<(), Error> {
        let dir = self
            .dir
            .staging()
            .join(PARTIALS_DIR)
            .join(partials::day_dir_name(part.day));
        partials::write_day(&dir, part)?;
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(part.day);
        Ok(())
    }

    /// The days retention keeps once this run's days are in: the newest
    /// `keep_days` days counted back from the newest day held that is not
    /// after tomorrow. Later days (a line dated in the future, from a wrong
    /// clock or a damaged line) are kept but do not count: otherwise one
    /// such line would expire every real day and have the real days' lines
    /// refused for years.
    fn first_kept(&self, days: &BTreeSet<i32>, today: i32) -> Option<i32> {
        let keep = i32::try_from(self.keep_days?).unwrap_or(i32::MAX);
        let newest = *days
            .range(..=today.saturating_add(1))
            .next_back()
            .or(days.last())?;
        Some(newest.saturating_sub(keep.saturating_sub(1)))
    }

    /// Publishes the next state: the written days, every other stored day
    /// that retention keeps (hard-linked), the ledger, the budget (the
    /// days' releases recorded this run, the others hard-linked), and
    /// `state.json` with a new generation.
    pub fn commit(mut self) -> Result<StateCommit, Error> {
        let written = std::mem::take(
            &mut *self
                .written
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let all: BTreeSet<i32> = self.stored.union(&written).copied().collect();
        let first_kept = self.first_kept(&all, today());
        let expired: Vec<i32> = all
            .iter()
            .copied()
            .filter(|&d| first_kept.is_some_and(|f| d < f))
            .collect();
        let keep_stored = |day: i32| !written.contains(&day) && !expired.contains(&day);
        let budget = &self.budget;
        self.dir.carry_over(|rel| {
            let mut parts = rel.iter().filter_map(|p| p.to_str());
            match (parts.next(), parts.next()) {
                (Some(PARTIALS_DIR), Some(day)) => {
                    partials::day_of_dir_name(day).is_some_and(keep_stored)
                }
                _ => budget.carries(rel),
            }
        })?;
        for &day in &expired {
            // A day written this run and expired at once (an old log read
            // late) is not kept either.
            let dir = self
                .dir
                .staging()
                .join(PARTIALS_DIR)
                .join(partials::day_dir_name(day));
            if dir.exists() {
                fs::remove_dir_all(&dir).map_err(|e| Error::Output {
                    path: dir.clone(),
                    source: e,
                })?;
            }
        }
        if let Some(first) = first_kept
            && self.expired_before().is_none_or(|e| e < first)
            && !expired.is_empty()
        {
            self.meta.expired_before = Some(time::format_day(first).unwrap_or_default());
        }
        self.meta.generation = new_generation()?;
        let staging = self.dir.staging().to_path_buf();
        self.ledger.save(&staging.join(LEDGER_FILE))?;
        self.budget.save(&staging, &self.meta.generation)?;
        write_private(&staging.join(STATE_FILE), &self.meta)?;
        self.dir.commit()?;
        Ok(StateCommit {
            generation: self.meta.generation,
            expired,
        })
    }
}

/// What a state commit did.
#[derive(Debug)]
#[non_exhaustive]
pub struct StateCommit {
    /// The new state's generation, which the output's manifest records
    /// when it publishes the days this state merged.
    pub generation: String,
    /// Days whose partials retention deleted.
    pub expired: Vec<i32>,
}

/// Today (UTC), as days since 1970-01-01, by the system clock.
pub(crate) fn today() -> i32 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    time::date32(now)
}

/// A fresh random generation id.
fn new_generation() -> Result<String, Error> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| Error::Output {
        path: PathBuf::from(STATE_FILE),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `value` as JSON into a new 0600 file, synced.
pub(crate) fn write_private(path: &Path, value: &impl Serialize) -> Result<(), Error> {
    let io = |e| Error::Output {
        path: path.to_path_buf(),
        source: e,
    };
    let text = serde_json::to_vec_pretty(value).map_err(|e| io(e.into()))?;
    crate::output::commit::step();
    let mut file = crate::output::manifest::create_private(path)?;
    file.write_all(&text).map_err(io)?;
    file.sync_all().map_err(io)
}
