//! Private partials as a unit of work between machines: `partial` folds
//! inputs into the days' partials of the private state (issue 14) and
//! writes them, unpublished; `publish` merges any number of such
//! directories exactly and publishes them as a run with a state would.
//!
//! ```text
//! <dir>/                          mode 0700: personal data (pseudonyms)
//!   _partials.json                format, key fingerprint, settings hash and
//!                                 settings, days, the run's manifest (input
//!                                 ids, lines, rejects by reason; no paths)
//!   partials/day=YYYY-MM-DD/      one day's canonical partial (state/partials.rs)
//!     rows.parquet  sessions.parquet
//! ```
//!
//! The directory is written like the state: into a staging directory of
//! an [`OutputDir`], swapped in at once. Each day is written canonical
//! (merged from the run's lanes, then sorted), the same form a state
//! stores.
//!
//! A publish reads the days of every directory (a state directory's
//! partials too), refuses a set made under several keys, formats or
//! settings, and hands `days::merge_and_publish` a store whose stored
//! partial of a day is the exact merge of the shards' partials of that day
//! (counters add, visitor sets unite, sessions coalesce). From there the
//! path is the one of a night with nothing new: the day is published from
//! its canonical partial alone, so the tables are byte-identical to one run
//! with a state over all the lines, however they were split between
//! shards. Only the settings hash is stored for the policy (the policy
//! may hold people's addresses), so a publish is given the policy and
//! checks it against the hash; the other settings are recorded in clear.
//!
//! Trade-offs: a shard directory is read without its lock, so a state
//! that a nightly run is replacing at the same time may be read half old,
//! half new; publish from states that no run is writing. A day is read
//! from every shard into memory at once, one day per thread, as a state
//! run does; a day that outgrows one machine needs its merge elsewhere
//! (Spark) before a publish.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Deserialize;

use super::days::{self, DayStore};
use super::nightly::SettingsShape;
use crate::aggregate::web::WebAggregate;
use crate::aggregate::web::partial::DayPartial;
use crate::error::Error;
use crate::input::discover::resolve;
use crate::output::commit::{Kind, OutputDir, PublishOptions};
use crate::output::hive::HiveDir;
use crate::output::manifest::{DaysReport, Manifest, TableReport};
use crate::output::table::Table;
use crate::privacy::key::Key;
use crate::privacy::policy::Policy;
use crate::privacy::{Labels, Renumbering};
use crate::state::budget::StoredRelease;
use crate::state::partials as files;
use crate::time::{self, Calendar};

/// The manifest of a directory of partials.
pub const PARTIALS_MANIFEST: &str = "_partials.json";

/// Its `what`.
const WHAT: &str = "logveil partials";

/// The partials' directory, as in a state.
const PARTIALS_DIR: &str = "partials";

/// A state's own description (`state/mod.rs`), read for its key and
/// settings.
const STATE_FILE: &str = "state.json";

/// What the manifest of a partial run says of Zoom inputs.
pub(super) const ZOOM_NOT_KEPT: &str = "Zoom documents are not kept in private partials yet: this run wrote no Zoom data; run Zoom exports through `run` without partials";

/// The files a directory of partials holds: its manifest, and the
/// partials' day directories with their Parquet files.
fn partials_own(rel: &Path, is_dir: bool) -> bool {
    let parts: Option<Vec<&str>> = rel.iter().map(|p| p.to_str()).collect();
    let day = |name: &str| files::day_of_dir_name(name).is_some();
    match (parts.as_deref(), is_dir) {
        (Some([PARTIALS_MANIFEST]), false) | (Some([PARTIALS_DIR]), true) => true,
        (Some([PARTIALS_DIR, d]), true) => day(d),
        (Some([PARTIALS_DIR, d, f]), false) => {
            day(d) && (*f == files::ROWS_FILE || *f == files::SESSIONS_FILE)
        }
        _ => false,
    }
}

/// The manifest of a directory of partials, as written and read.
#[derive(Debug, serde::Serialize, Deserialize)]
struct PartialsMeta {
    /// Always [`WHAT`].
    what: String,
    /// [`files::FORMAT_VERSION`].
    format: u32,
    /// Fingerprint of the key the pseudonyms were made with.
    key_fingerprint: String,
    /// Hash of the settings that shape partials, as a state records it.
    settings_hash: String,
    /// Those settings in clear, but for the policy.
    settings: SettingsShape,
    /// The days held.
    days: Vec<String>,
    /// The run's manifest: input ids, lines, rejects by reason, the
    /// policy as published.
    run: serde_json::Value,
}

/// A directory of partials being written by a run. Dropped without a
/// commit, it leaves the directory as it was.
#[derive(Debug)]
pub(super) struct PartialsDir {
    dir: OutputDir,
    settings: SettingsShape,
    settings_hash: String,
    shape: (i64, Calendar),
    days: std::sync::Mutex<BTreeSet<i32>>,
}

impl PartialsDir {
    /// Locks and checks `out` and prepares its replacement (mode 0700),
    /// before any input is read.
    pub fn prepare(
        out: &Path,
        opts: PublishOptions,
        (settings, settings_hash): (SettingsShape, String),
        shape: (i64, Calendar),
    ) -> Result<PartialsDir, Error> {
        let opts = PublishOptions {
            kind: Kind::Custom(partials_own),
            private: true,
            ..opts
        };
        Ok(PartialsDir {
            dir: OutputDir::prepare(out, opts)?,
            settings,
            settings_hash,
            shape,
            days: Default::default(),
        })
    }

    /// Writes the run's aggregates as one canonical partial per day, the
    /// days in parallel (on the current rayon pool); gives the days.
    pub fn write(
        &self,
        aggregates: (WebAggregate, Vec<(WebAggregate, Renumbering)>, Labels),
    ) -> Result<BTreeSet<i32>, Error> {
        let parts = days::export_days(aggregates);
        let written = parts
            .into_par_iter()
            .map(|(day, parts)| {
                let merged = days::merge_parts(day, &parts, self.shape);
                drop(parts);
                let dir = self
                    .dir
                    .staging()
                    .join(PARTIALS_DIR)
                    .join(files::day_dir_name(day));
                files::write_day(&dir, &merged).map(|()| day)
            })
            .collect::<Result<BTreeSet<i32>, Error>>()?;
        self.days
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(&written);
        Ok(written)
    }

    /// Writes the manifest (the run's, inside the partials' own) and
    /// swaps the directory in; returns the manifest's path.
    pub fn commit(self, manifest: &Manifest) -> Result<PathBuf, Error> {
        let days = self
            .days
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let meta = PartialsMeta {
            what: WHAT.to_string(),
            format: files::FORMAT_VERSION,
            key_fingerprint: manifest.key.fingerprint.clone(),
            settings_hash: self.settings_hash,
            settings: self.settings,
            days: days.into_iter().filter_map(time::format_day).collect(),
            run: serde_json::to_value(manifest).unwrap_or_default(),
        };
        let path = self.dir.staging().join(PARTIALS_MANIFEST);
        crate::state::write_private(&path, &meta)?;
        Ok(self.dir.commit()?.join(PARTIALS_MANIFEST))
    }
}

/// The days report of a run that wrote partials.
pub(super) fn days_report(days: &BTreeSet<i32>, zoom_left: bool) -> DaysReport {
    DaysReport {
        published: days.iter().copied().filter_map(time::format_day).collect(),
        note: zoom_left.then(|| ZOOM_NOT_KEPT.to_string()),
        ..DaysReport::default()
    }
}

/// What a publish of partial directories is asked to do. Build with
/// [`PublishConfig::new`] and the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PublishConfig {
    partials: Vec<PathBuf>,
    out: PathBuf,
    policy: Policy,
    key: Option<PathBuf>,
    default_site: Option<Option<String>>,
    local_zone: Option<chrono_tz::Tz>,
    report_zone: Option<chrono_tz::Tz>,
    publish: PublishOptions,
    threads: Option<usize>,
}

impl PublishConfig {
    /// A publish of the directories `partials` (written by a partial run,
    /// or states) into `out`, under the default policy.
    pub fn new(partials: Vec<PathBuf>, out: impl Into<PathBuf>) -> PublishConfig {
        PublishConfig {
            partials,
            out: out.into(),
            policy: Policy::default(),
            key: None,
            default_site: None,
            local_zone: None,
            report_zone: None,
            publish: PublishOptions::default(),
            threads: None,
        }
    }

    /// The policy the partials were made under (checked against their
    /// settings hash); its disclosure control is applied.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The key file the partials were made with, checked against their
    /// fingerprint (needed only to publish state directories alone).
    pub fn key_file(mut self, key: Option<PathBuf>) -> Self {
        self.key = key;
        self
    }

    /// The report time zone the partials were made with; by default the
    /// one a partial directory records (UTC for states alone).
    pub fn report_timezone(mut self, zone: Option<chrono_tz::Tz>) -> Self {
        self.report_zone = zone;
        self
    }

    /// The zone of zone-less log times the partials were made with (part
    /// of their settings); by default the one a partial directory records.
    pub fn local_timezone(mut self, zone: Option<chrono_tz::Tz>) -> Self {
        self.local_zone = zone;
        self
    }

    /// The default site the partials were made with; by default the one
    /// a partial directory records.
    pub fn site(mut self, site: Option<String>) -> Self {
        if site.is_some() {
            self.default_site = Some(site);
        }
        self
    }

    /// Worker threads (`None`: one per core).
    pub fn threads(mut self, threads: Option<usize>) -> Self {
        self.threads = threads;
        self
    }

    /// Whether to wait for another run holding the output's lock.
    pub fn wait_for_lock(mut self, wait: bool) -> Self {
        self.publish.wait = wait;
        self
    }

    /// Whether to accept an output holding files logveil did not write.
    pub fn adopt_foreign_files(mut self, adopt: bool) -> Self {
        self.publish.adopt_foreign = adopt;
        self
    }
}

/// What a publish did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PublishReport {
    /// The published manifest.
    pub manifest: serde_json::Value,
    /// Where it is.
    pub manifest_path: PathBuf,
    /// Days published.
    pub days: usize,
    /// Table files written (days and periods).
    pub tables: usize,
}

fn refuse(message: impl Into<String>) -> Error {
    Error::Partials {
        message: message.into(),
    }
}

/// One directory given to a publish.
struct Shard {
    /// Its manifest, for a directory a partial run wrote; `None` for a
    /// state.
    meta: Option<PartialsMeta>,
    format: u32,
    key_fingerprint: String,
    settings_hash: String,
    days: Vec<(i32, PathBuf)>,
}

/// What `state.json` says that a publish needs.
#[derive(Deserialize)]
struct StateMeta {
    format: u32,
    key_fingerprint: String,
    settings: String,
}

impl Shard {
    /// Reads the directory at `position` (1-based, for messages).
    fn read(dir: &Path, position: usize) -> Result<Shard, Error> {
        let damaged = |file: &str, e: &dyn std::fmt::Display| {
            refuse(format!(
                "directory {position}: its {file} cannot be read ({e}); give directories written \
                 by `logveil partial` or a state"
            ))
        };
        let days = files::list_days(&dir.join(PARTIALS_DIR))?;
        if let Ok(bytes) = std::fs::read(dir.join(PARTIALS_MANIFEST)) {
            let meta: PartialsMeta =
                serde_json::from_slice(&bytes).map_err(|e| damaged(PARTIALS_MANIFEST, &e))?;
            if meta.what != WHAT {
                return Err(damaged(PARTIALS_MANIFEST, &"not a manifest of partials"));
            }
            return Ok(Shard {
                format: meta.format,
                key_fingerprint: meta.key_fingerprint.clone(),
                settings_hash: meta.settings_hash.clone(),
                meta: Some(meta),
                days,
            });
        }
        match std::fs::read(dir.join(STATE_FILE)) {
            Ok(bytes) => {
                let state: StateMeta =
                    serde_json::from_slice(&bytes).map_err(|e| damaged(STATE_FILE, &e))?;
                Ok(Shard {
                    meta: None,
                    format: state.format,
                    key_fingerprint: state.key_fingerprint,
                    settings_hash: state.settings,
                    days,
                })
            }
            Err(_) => Err(refuse(format!(
                "directory {position} holds neither {PARTIALS_MANIFEST} nor {STATE_FILE}: give \
                 directories written by `logveil partial`, or states"
            ))),
        }
    }
}

/// Refuses a set of shards that cannot be merged: another format, key or
/// settings than the first one's.
fn check_alike(shards: &[Shard]) -> Result<(), Error> {
    let Some(first) = shards.first() else {
        return Err(Error::NoInput("no directory of partials given".to_string()));
    };
    for (i, shard) in shards.iter().enumerate() {
        let position = i + 1;
        if shard.format != files::FORMAT_VERSION {
            return Err(refuse(format!(
                "directory {position} holds partials of format {}, this logveil reads format {}; \
                 use the version that made them",
                shard.format,
                files::FORMAT_VERSION
            )));
        }
        if shard.key_fingerprint != first.key_fingerprint {
            return Err(refuse(format!(
                "directories 1 and {position} were made with different keys; their pseudonyms \
                 cannot be merged. Make every partial with one key"
            )));
        }
        if shard.settings_hash != first.settings_hash {
            return Err(refuse(format!(
                "directories 1 and {position} were made under different settings (policy, \
                 session gap, default site or time zones); merging would mix two rules. Make \
                 every partial with the same settings"
            )));
        }
    }
    Ok(())
}

/// The shards as a store of days: the stored partial of a day is the
/// exact merge of every shard's partial of that day.
struct Shards {
    days: BTreeMap<i32, Vec<PathBuf>>,
    stored: BTreeSet<i32>,
    shape: (i64, Calendar),
}

impl DayStore for Shards {
    fn stored_days(&self) -> &BTreeSet<i32> {
        &self.stored
    }

    fn read_day(&self, day: i32) -> Result<Option<DayPartial>, Error> {
        let Some(dirs) = self.days.get(&day) else {
            return Ok(None);
        };
        let parts = dirs
            .iter()
            .map(|dir| files::read_day(dir, day))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Some(days::merge_parts(day, &parts, self.shape)))
    }

    fn dp_released(&self, _day: i32) -> bool {
        false
    }

    fn dp_stored(&self, _day: i32) -> Result<BTreeMap<String, StoredRelease>, Error> {
        Ok(BTreeMap::new())
    }

    fn dp_record(
        &self,
        _day: i32,
        _releases: Vec<(String, StoredRelease)>,
        _ceiling: f64,
    ) -> Result<(), Error> {
        // A publish keeps no state, so it has no ledger to record a
        // release in: releasing would spend budget nobody accounts for.
        Err(Error::Dp {
            message: "a publish of partial directories keeps no state, so it has no budget \
                      ledger to record a release in; publish differential-privacy days from a \
                      run with a state directory"
                .into(),
        })
    }

    fn write_day(&self, _part: &DayPartial) -> Result<(), Error> {
        // Shards are read, never written: a publish keeps no state.
        Ok(())
    }

    fn expired_before(&self) -> Option<i32> {
        None
    }
}

/// Merges the directories of partials of `cfg` exactly and publishes
/// every day they hold (and the periods the key epoch allows) into a
/// day-partitioned output, as a run with a state over the same lines
/// would.
pub fn publish(cfg: &PublishConfig) -> Result<PublishReport, Error> {
    let started = Instant::now();
    let shards = cfg
        .partials
        .iter()
        .enumerate()
        .map(|(i, dir)| Shard::read(dir, i + 1))
        .collect::<Result<Vec<_>, Error>>()?;
    check_alike(&shards)?;
    let first = &shards[0];
    let key = match &cfg.key {
        Some(path) => {
            Key::check_location(path, cfg.partials.iter().map(PathBuf::as_path), &cfg.out)?;
            let key = Key::from_file(path)?;
            if key.fingerprint() != first.key_fingerprint {
                return Err(refuse(
                    "the key file is not the key the partials were made with",
                ));
            }
            Some(key)
        }
        None => None,
    };
    let recorded = shards.iter().find_map(|s| s.meta.as_ref());
    let settings = {
        let mut s = recorded.map_or_else(
            || SettingsShape {
                default_site: None,
                local_timezone: "UTC".to_string(),
                report_timezone: "UTC".to_string(),
            },
            |m| m.settings.clone(),
        );
        if let Some(site) = &cfg.default_site {
            s.default_site.clone_from(site);
        }
        if let Some(zone) = cfg.local_zone {
            s.local_timezone = zone.name().to_string();
        }
        if let Some(zone) = cfg.report_zone {
            s.report_timezone = zone.name().to_string();
        }
        s
    };
    if settings.hash(&cfg.policy) != first.settings_hash {
        return Err(refuse(
            "the partials were made under other settings than this publish's (policy, session \
             gap, default site or time zones); give the policy they were made with",
        ));
    }
    let zone =
        time::zone_from_name(&settings.report_timezone, "the report time zone").map_err(refuse)?;
    let calendar = Calendar::new(zone);
    let gap = i64::from(cfg.policy.sessions.gap_minutes) * 60;
    let published_policy = match (&key, recorded) {
        (Some(key), _) => crate::output::manifest::PublishedPolicy::new(&cfg.policy, key)
            .value()
            .clone(),
        (None, Some(meta)) => meta.run["settings"]["policy"].clone(),
        (None, None) => {
            return Err(refuse(
                "state directories alone are published with the key file they were made with \
                 (the manifest fingerprints the policy's lists with it)",
            ));
        }
    };
    let out = resolve(&cfg.out);
    for (i, dir) in cfg.partials.iter().enumerate() {
        let dir = resolve(dir);
        if out.starts_with(&dir) || dir.starts_with(&out) {
            return Err(refuse(format!(
                "directory {} and the output lie one inside the other; publish into a place of \
                 its own, away from the partials (they hold pseudonyms)",
                i + 1
            )));
        }
    }
    let hive = HiveDir::prepare(&cfg.out, cfg.publish)?;
    let mut by_day: BTreeMap<i32, Vec<PathBuf>> = BTreeMap::new();
    for shard in &shards {
        for (day, dir) in &shard.days {
            by_day.entry(*day).or_default().push(dir.clone());
        }
    }
    let store = Shards {
        stored: by_day.keys().copied().collect(),
        days: by_day,
        shape: (gap, calendar),
    };
    let pool = super::thread_pool(cfg.threads)?;
    let threads = pool.current_num_threads();
    let epoch = cfg.policy.keys.epoch;
    let emit = |day: i32, table: Result<Table, String>| {
        let table = super::publish::prepared(table, &cfg.policy)?;
        hive.table_for_day(day, &table)
    };
    let empty = (
        WebAggregate::with_calendar(gap, calendar),
        Vec::new(),
        Labels::default(),
    );
    let merged = pool.install(|| {
        days::merge_and_publish(
            &store,
            empty,
            &store.stored,
            (gap, calendar, epoch),
            &cfg.policy,
            emit,
        )
    })?;
    let published: Vec<i32> = merged.published.iter().copied().collect();
    hive.replace_days(&published);
    let tables: Vec<TableReport> = merged
        .tables
        .into_iter()
        .filter_map(Result::transpose)
        .collect::<Result<_, Error>>()?;
    let held = hive.days_after_commit()?;
    let names = |days: &mut dyn Iterator<Item = i32>| -> Vec<String> {
        days.filter_map(time::format_day).collect()
    };
    let days = DaysReport {
        published: names(&mut published.iter().copied()),
        held: names(&mut held.into_iter()),
        periods: merged.periods,
        ..DaysReport::default()
    };
    let manifest = publish_manifest(
        &shards,
        (&first.key_fingerprint, published_policy, &settings, threads),
        &tables,
        days,
        (epoch, started.elapsed().as_secs_f64()),
    );
    let manifest_path = hive.commit_with(|staging| {
        let path = staging.join(crate::output::manifest::MANIFEST_FILE);
        crate::state::write_private(&path, &manifest)?;
        Ok(path)
    })?;
    Ok(PublishReport {
        manifest,
        manifest_path,
        days: published.len(),
        tables: tables.len(),
    })
}

/// The manifest of a publish: the shape of a run's, with the inputs,
/// problems and totals of every partial run, and which directories they
/// came from.
fn publish_manifest(
    shards: &[Shard],
    (fingerprint, policy, settings, threads): (&str, serde_json::Value, &SettingsShape, usize),
    tables: &[TableReport],
    days: DaysReport,
    (epoch, elapsed): (crate::privacy::pseudonym::Epoch, f64),
) -> serde_json::Value {
    use serde_json::{Value, json};
    let runs: Vec<&Value> = shards
        .iter()
        .filter_map(|s| s.meta.as_ref().map(|m| &m.run))
        .collect();
    let concat = |field: &str| -> Vec<Value> {
        runs.iter()
            .filter_map(|r| r[field].as_array())
            .flatten()
            .cloned()
            .collect()
    };
    let mut totals = serde_json::Map::new();
    for run in &runs {
        for (name, value) in run["totals"].as_object().into_iter().flatten() {
            let sum = totals.get(name).and_then(Value::as_u64).unwrap_or(0);
            totals.insert(name.clone(), json!(sum + value.as_u64().unwrap_or(0)));
        }
    }
    // A partial run's settings (its default site as labelled, the format
    // it read), with this publish's threads and policy.
    let mut settings_json = runs.first().map_or_else(
        || json!({ "default_site": settings.default_site }),
        |r| r["settings"].clone(),
    );
    if let Some(object) = settings_json.as_object_mut() {
        object.insert("threads".into(), json!(threads));
        object.insert("policy".into(), policy);
        object.insert("local_timezone".into(), json!(settings.local_timezone));
        object.insert("report_timezone".into(), json!(settings.report_timezone));
    }
    let sources: Vec<Value> = shards
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "position": i + 1,
                "kind": if s.meta.is_some() { "partials" } else { "state" },
                "inputs": s.meta.as_ref().map(|m| m.run["inputs"].as_array().map_or(0, Vec::len)),
                "days": s.days.len(),
            })
        })
        .collect();
    json!({
        "tool": "logveil",
        "version": env!("CARGO_PKG_VERSION"),
        "complete": runs.iter().all(|r| r["complete"].as_bool() == Some(true))
            && shards.iter().all(|s| s.meta.is_some()),
        "key": {
            "mode": "file",
            "fingerprint": fingerprint,
            "note": "pseudonyms are stable for this key and can be linked across runs that use it",
        },
        "settings": settings_json,
        "inputs": concat("inputs"),
        "problems": concat("problems"),
        "ignored": concat("ignored"),
        "totals": totals,
        "elapsed_seconds": elapsed,
        "tables": tables,
        "distinct_counts": super::distinct_counts_note(epoch),
        "days": days,
        "partials": sources,
    })
}
