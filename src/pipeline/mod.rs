//! Wires the stages together and owns the threading.
//!
//! ```text
//! discover ─▶ one task per source: open ─▶ detect ─▶ chunks
//!   each chunk, on any thread: lines ─▶ parse ─▶ veil ─▶ fold into that thread's lane
//!   lanes ─▶ merge once ─▶ tables ─▶ sink ─▶ manifest ─▶ commit
//! ```
//!
//! The output is prepared (locked, checked, a staging directory made)
//! before any input is read, so a run that cannot publish fails at once;
//! and it is published only when some input gave a record, so a run that
//! read nothing usable leaves the previous outputs untouched.
//!
//! Every source is a task in one rayon scope, so a directory of files
//! keeps all threads busy. A plain file is planned as newline-aligned
//! ranges that the threads read and fold in parallel. A compressed file is
//! decompressed by its task (deflate and zstd streams cannot be split),
//! which hands each decompressed chunk to whichever thread is free, so one
//! large `.gz` still uses every core for parsing, and several decompress
//! at once. Chunks fold into per-thread lanes (`lanes.rs`) that live for
//! the whole run; at the end, their labels and visitors are merged, then
//! each table merges, counts and writes on its own task.
//!
//! Line numbers of rejected lines are resolved after the fact: a chunk
//! counts its own lines, and the prefix sum of the chunk counts places each
//! rejection in its file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rayon::prelude::*;

mod accounting;
mod config;
mod days;
mod lanes;
mod nightly;
mod partials;
mod periods;
mod publish;
mod sources;
mod zoom;

pub use config::{DEFAULT_MAX_REJECT_RATE, FormatString, KeySource, RunConfig};
pub use partials::{PARTIALS_MANIFEST, PublishConfig, PublishReport, publish};

use crate::error::Error;
use crate::input::discover;
use crate::input::discover::{resolve, within_run};
use crate::output::hive::HiveDir;
use crate::output::manifest::{
    Ignored, InputReport, KeyInfo, Manifest, Problem, PublishedPolicy, RUN_LOG_NOTE, RunLog,
    Settings, Stages, TableReport, Totals, WithPath,
};
use crate::output::sink::ParquetDir;
use crate::output::table::Table;
use crate::privacy::Veil;
use crate::privacy::key::{Key, KeyMode};
use crate::privacy::pseudonym::Epoch;
use crate::privacy::zoom::ZoomVeil;
use crate::state::StateDir;
use accounting::fill_line_counts;
use lanes::{Lanes, Merged};
use nightly::{Reads, published_generation, settings_hash};
use publish::Output;
use sources::{Shared, process_source};

/// Live counters a caller can poll to show progress.
///
/// Bytes are those of the files on disk: a compressed file counts the
/// compressed bytes its decoder consumed, so the share read moves evenly
/// over a set of rotated `.gz` files. With a state, the total is what the
/// run will read (a plain file from where the last run stopped, a
/// compressed one whole), not the inputs' whole size.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Progress {
    /// Bytes of input on disk that the run will read.
    pub bytes_total: AtomicU64,
    /// Bytes of input on disk read so far (compressed bytes consumed, for
    /// compressed files).
    pub bytes_done: AtomicU64,
    /// Lines read so far.
    pub lines: AtomicU64,
    /// Inputs the run will read.
    pub files_total: AtomicU64,
    /// Inputs whose reading has started.
    pub files_started: AtomicU64,
    // The file name (no directory) of the input started last; for the
    // operator's own terminal only, never written to an output.
    current: Mutex<String>,
}

impl Progress {
    /// The file name (without its directory) of the input whose reading
    /// started last; empty before the first. Meant for the operator's
    /// terminal only: it is a path component, never part of an output.
    pub fn current_file(&self) -> String {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records that reading `path` starts.
    pub(crate) fn start_file(&self, path: &Path) {
        self.files_started.fetch_add(1, Ordering::Relaxed);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = name;
    }
}

/// Whether everything was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Completion {
    /// Every input was read, and no input's share of rejected record
    /// lines passed the configured maximum (exit code 0).
    Complete,
    /// Outputs were published, but an input could not be read,
    /// decompressed or recognised, or passed the share of rejected lines
    /// (exit code 2).
    Partial,
    /// No input gave a single record: nothing was published and the
    /// previous outputs are as they were (exit code 1).
    Unusable,
}

/// What a finished run produced.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunReport {
    /// The manifest (as published, unless the run was
    /// [`Completion::Unusable`]).
    pub manifest: Manifest,
    /// The operator's view: the manifest's entries with their paths
    /// (written to the configured run log path, if any).
    pub run_log: RunLog,
    /// Whether the run was complete.
    pub completion: Completion,
    /// Where the published manifest is; `None` when nothing was published.
    pub manifest_path: Option<PathBuf>,
}

/// Labels distinct counts for the key epoch: exact within a row; a sum
/// over rows counts a returning visitor once per row (so once per day over
/// daily rows, whatever the epoch); only the period tables of a run with a
/// state count them once per week or month, where the epoch allows.
fn distinct_counts_note(epoch: Epoch) -> String {
    const ROWS: &str = "exact distinct pseudonyms per row (rows span an hour or a day); a sum over rows counts a returning visitor once per row, so a sum of daily rows over a week counts them once per day";
    match epoch {
        Epoch::Day => format!(
            "{ROWS}; pseudonyms rotate every day, so distinct visitors over a week or month cannot be counted at all, by design"
        ),
        Epoch::Week | Epoch::Month => format!(
            "{ROWS}; pseudonyms rotate every {0}, so with a private state the {1} tables (`*_{1}`) count each visitor once per {0}; over windows longer than a {0} a returning visitor counts once per {0} at best",
            epoch.as_str(),
            match epoch {
                Epoch::Week => "weekly",
                _ => "monthly",
            }
        ),
        Epoch::Never => format!(
            "{ROWS}; pseudonyms never rotate, so with a private state the weekly and monthly tables (`*_weekly`, `*_monthly`) count each visitor once per week or month, and counts can be compared across runs with the same key"
        ),
    }
}

/// Loads the key, refusing a key file inside an input or the output.
fn load_key(cfg: &RunConfig) -> Result<Key, Error> {
    Ok(match &cfg.key {
        KeySource::File(path) => {
            Key::check_location(path, cfg.inputs.iter().map(PathBuf::as_path), &cfg.out)?;
            Key::from_file(path)?
        }
        KeySource::Ephemeral => Key::generate(KeyMode::Ephemeral)?,
    })
}

/// Refuses a run log where the next run would read it as a log or where
/// it would be published with the tables.
pub(super) fn check_run_log(cfg: &RunConfig) -> Result<(), Error> {
    let Some(path) = &cfg.run_log else {
        return Ok(());
    };
    match within_run(path, cfg.inputs.iter().map(PathBuf::as_path), &cfg.out) {
        Some(within) => Err(Error::RunLogExposed {
            path: path.clone(),
            within,
        }),
        None => Ok(()),
    }
}

/// Runs the whole pipeline: reads, veils and aggregates every input, writes
/// the tables and the manifest.
pub fn run(cfg: &RunConfig) -> Result<RunReport, Error> {
    let started = Instant::now();
    cfg.validate()?;
    let compiled = cfg.compiled_format()?;
    let forced = cfg.forced_format(compiled.as_ref())?;
    let key = Arc::new(load_key(cfg)?);
    let mut state = match &cfg.state {
        // Without a state there is no budget ledger, and a rerun would
        // release fresh noise that averaging takes away.
        None if cfg.veil.policy.dp.enabled && !cfg.partials => return Err(Error::DpNeedsState),
        None => None,
        Some(opts) => {
            if cfg.key == KeySource::Ephemeral {
                return Err(Error::StateNeedsKey);
            }
            nightly::check_state_location(&opts.dir, &cfg.inputs, &cfg.out)?;
            Some(StateDir::open(
                opts,
                &key.fingerprint(),
                &settings_hash(cfg),
            )?)
        }
    };
    // Before any input is read: a run that could not publish fails now.
    let sink = match state {
        _ if cfg.partials => Output::Partials(partials::PartialsDir::prepare(
            &cfg.out,
            cfg.publish,
            (nightly::SettingsShape::of(cfg), settings_hash(cfg)),
            (cfg.session_gap(), cfg.calendar),
        )?),
        None => Output::Flat(ParquetDir::prepare(&cfg.out, cfg.publish)?),
        Some(_) => Output::Days(HiveDir::prepare(&cfg.out, cfg.publish)?),
    };
    let mut discovery = discover(&cfg.inputs);
    // Outputs are never inputs; a named one is listed and fails the run.
    discovery.set_aside_output(&cfg.inputs, &cfg.out);
    let sources = std::mem::take(&mut discovery.sources);
    // A link inside an input directory can still lead to the key.
    if let KeySource::File(path) = &cfg.key {
        Key::check_location(path, sources.iter().map(|s| s.path.as_path()), &cfg.out)?;
    }
    if sources.is_empty() {
        let listed: Vec<String> = cfg.inputs.iter().map(|p| p.display().to_string()).collect();
        // Say why, when a named path could not be read at all: the user
        // named these paths, so they may appear in the message.
        let why: Vec<String> = discovery
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.path.display(), p.message))
            .collect();
        let listed = match why.is_empty() {
            true => listed.join(", "),
            false => format!("{} ({})", listed.join(", "), why.join("; ")),
        };
        return Err(Error::NoInput(listed));
    }
    // With a state, only content the ledger has not seen is read; inputs
    // read to their end before stay out of the run.
    let reads = match &state {
        None => Reads::all(sources),
        Some(state) => Reads::plan(state, sources),
    };
    let sources = &reads.sources;
    // Outputs name inputs by a keyed id of the resolved path, so a path
    // spelled differently on another run keeps its id.
    let path_id = |path: &Path| key.path_id(&resolve(path));
    let ids: Vec<String> = sources.iter().map(|s| path_id(&s.path)).collect();
    // Opened now, so a path that cannot be written fails before the work.
    let run_log_file = cfg.run_log.as_deref().map(RunLog::create).transpose()?;
    if let Some(p) = &cfg.progress {
        let total = sources.iter().map(sources::bytes_to_read).sum();
        p.bytes_total.store(total, Ordering::Relaxed);
        p.files_total.store(sources.len() as u64, Ordering::Relaxed);
    }
    let pool = thread_pool(cfg.threads)?;
    let threads = pool.current_num_threads();
    let veil = Veil::new(key.clone(), cfg.veil.clone()).with_calendar(cfg.calendar);
    let policy = &cfg.veil.policy;
    let zveil = ZoomVeil::new(
        key.clone(),
        policy.keys.epoch,
        veil.generalize(),
        &policy.zoom,
    );
    let gap = (cfg.session_gap(), cfg.calendar);
    let lanes = Lanes::new(
        &veil,
        threads,
        cfg.local_zone,
        gap,
        cfg.max_reject_locations,
        cfg.max_line_bytes,
        cfg.progress.as_deref(),
    );
    let lanes = match cfg.veil.policy.dp.enabled {
        true => lanes.counting(&cfg.veil.policy.dp),
        false => lanes,
    };
    let slots: Vec<Mutex<InputReport>> = sources
        .iter()
        .map(|_| Mutex::new(InputReport::default()))
        .collect();
    let mut stages = Stages::default();
    let mut stage = Instant::now();
    let mut lap = |into: &mut f64| {
        *into = stage.elapsed().as_secs_f64();
        stage = Instant::now();
    };
    // The end of the run uses the pool too: merging, sorting and encoding
    // are split by table.
    let (mut inputs, table_reports, days) = pool.install(|| -> Result<_, Error> {
        {
            let shared = Shared {
                cfg,
                forced,
                zveil: &zveil,
                lanes: &lanes,
                in_flight: AtomicUsize::new(0),
                max_in_flight: 2 * threads,
            };
            rayon::scope(|scope| {
                for (i, ((source, slot), id)) in sources.iter().zip(&slots).zip(&ids).enumerate() {
                    let shared = &shared;
                    scope.spawn(move |scope| {
                        let report = process_source(scope, shared, i, source, id.clone());
                        *slot.lock().unwrap_or_else(PoisonError::into_inner) = report;
                    });
                }
            });
        }
        lap(&mut stages.read_seconds);
        let Merged {
            labels,
            web,
            other_web,
            zoom,
            mut outcomes,
            memos,
        } = lanes.merge();
        stages.memos = memos;
        lap(&mut stages.merge_seconds);
        let mut inputs: Vec<InputReport> = slots
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
            .collect();
        fill_line_counts(&mut inputs, &mut outcomes, cfg.max_reject_locations);
        // Nothing is published from a run that read nothing: the tables
        // would only replace the previous ones with empty ones. With a
        // state, a night with nothing new is not that: it publishes the
        // set as it stands (and any days a stopped run left unpublished).
        let nothing_new =
            state.is_some() && inputs.iter().all(|r| r.lines == 0 && r.error.is_none());
        if !inputs.iter().any(|r| r.parsed > 0) && !nothing_new {
            return Ok((inputs, None, None));
        }

        // Each table is written by the task that built it, while the
        // others are still being built.
        let write_nanos = AtomicU64::new(0);
        let emit = |day: Option<i32>,
                    table: Result<Table, String>|
         -> Result<Option<TableReport>, Error> {
            let table = publish::prepared(table, &cfg.veil.policy)?;
            let started = Instant::now();
            let report = sink.table(day, &table)?;
            let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            write_nanos.fetch_add(nanos, Ordering::Relaxed);
            Ok(report)
        };
        let policy = &cfg.veil.policy;
        // Partials are written, not published: no table, no disclosure.
        if let Output::Partials(dir) = &sink {
            let days = nightly::Merged {
                published: dir.write((web, other_web, labels))?,
                expired_requests: 0,
                zoom_left: !zoom.is_empty(),
                periods: Default::default(),
            };
            lap(&mut stages.tables_seconds);
            return Ok((inputs, Some(Vec::new()), Some(days)));
        }
        if let (Some(state), Output::Days(hive)) = (&state, &sink) {
            let also = match state.is_published(published_generation(&cfg.out).as_deref()) {
                true => Default::default(),
                false => state.stored_days().clone(),
            };
            let days = days::merge_and_publish(
                state,
                (web, other_web, labels),
                &also,
                (gap.0, gap.1, policy.keys.epoch),
                policy,
                |day, table| emit(Some(day), table),
            )?;
            let published: Vec<i32> = days.published.iter().copied().collect();
            hive.replace_days(&published);
            let reports = days.tables.into_iter().filter_map(Result::transpose);
            let table_reports = reports.collect::<Result<Vec<_>, Error>>()?;
            lap(&mut stages.tables_seconds);
            stages.write_seconds = write_nanos.into_inner() as f64 / 1e9;
            let days = nightly::Merged {
                published: days.published,
                expired_requests: days.expired_requests,
                zoom_left: !zoom.is_empty(),
                periods: days.periods,
            };
            return Ok((inputs, Some(table_reports), Some(days)));
        }
        let (web, zoom) = rayon::join(
            || web.into_tables(other_web, labels, policy, |t| emit(None, t)),
            || match zoom.into_tables(policy) {
                Ok(tables) => tables.into_par_iter().map(|t| emit(None, Ok(t))).collect(),
                Err(message) => vec![emit(None, Err(format!("Zoom tables: {message}")))],
            },
        );
        let table_reports = web
            .into_iter()
            .chain(zoom)
            .filter_map(Result::transpose)
            .collect::<Result<Vec<_>, Error>>()?;
        lap(&mut stages.tables_seconds);
        stages.write_seconds = write_nanos.into_inner() as f64 / 1e9;
        Ok((inputs, Some(table_reports), None))
    })?;
    let usable = table_reports.is_some();
    // With a state, the ledger notes what was read and the state is
    // committed, before the output (see `crate::state`).
    let days_report = match (state.take(), days, usable) {
        (Some(st), Some(days), true) => {
            let keep_days = cfg.state.as_ref().and_then(|s| s.keep_days);
            Some(reads.commit(st, keep_days, &inputs, days)?)
        }
        (None, Some(days), true) => Some(partials::days_report(&days.published, days.zoom_left)),
        _ => None,
    };
    let mut over_limit = false;
    for r in &mut inputs {
        over_limit |= accounting::reject_share(r, cfg.max_reject_rate);
    }

    let mut totals = Totals::default();
    for r in &inputs {
        totals.inputs += 1;
        totals.inputs_failed += usize::from(r.error.is_some());
        totals.bytes += r.bytes;
        totals.lines += r.lines;
        totals.parsed += r.parsed;
        totals.rejected += r.rejected;
        totals.skipped += r.skipped;
    }
    let problems: Vec<WithPath<Problem>> = discovery
        .problems
        .into_iter()
        .map(|p| WithPath {
            entry: Problem {
                id: path_id(&p.path),
                message: p.message,
            },
            path: p.path,
        })
        .collect();
    let named_ignored = discovery.ignored.iter().any(|i| i.why.fails_run());
    let ignored: Vec<WithPath<Ignored>> = discovery
        .ignored
        .into_iter()
        .map(|i| WithPath {
            entry: Ignored {
                id: path_id(&i.path),
                reason: i.why.reason(&i.path),
            },
            path: i.path,
        })
        .collect();
    let read_all = problems.is_empty() && !named_ignored && totals.inputs_failed == 0;
    // The manifest's `complete` stays strict (not one line rejected); the
    // run's outcome tolerates the configured share of rejects.
    let complete = read_all && totals.rejected == 0;
    let zoom_left = days_report.as_ref().is_some_and(|d| d.note.is_some());
    let completion = if !usable {
        Completion::Unusable
    } else if read_all && !over_limit && !zoom_left {
        Completion::Complete
    } else {
        Completion::Partial
    };
    let elapsed = started.elapsed().as_secs_f64();
    let lines_per_second = if elapsed > 0.0 {
        totals.lines as f64 / elapsed
    } else {
        0.0
    };
    let mut manifest = Manifest {
        tool: "logveil",
        version: env!("CARGO_PKG_VERSION"),
        complete,
        key: KeyInfo {
            mode: key.mode(),
            fingerprint: key.fingerprint(),
            note: match key.mode() {
                KeyMode::File => {
                    "pseudonyms are stable for this key and can be linked across runs that use it"
                }
                KeyMode::Ephemeral => {
                    "ephemeral key: random for this run and discarded; pseudonyms cannot be linked to any other run"
                }
            },
        },
        settings: Settings {
            format: match (&cfg.format, &cfg.format_string) {
                (_, Some(f)) => f.describe(),
                (Some(name), None) => name.clone(),
                (None, None) => "auto".to_string(),
            },
            default_site: veil.default_site().to_string(),
            threads,
            chunk_bytes: cfg.chunk_bytes,
            max_reject_rate: cfg.max_reject_rate,
            policy: PublishedPolicy::new(&cfg.veil.policy, &key),
            zoom_timezone: cfg.zoom.time.zone.name().to_string(),
            local_timezone: cfg.local_zone.name().to_string(),
            report_timezone: cfg.calendar.name().to_string(),
            zoom_date_order: if cfg.zoom.time.day_first {
                "dmy"
            } else {
                "mdy"
            },
        },
        inputs: inputs.clone(),
        problems: problems.iter().map(|p| p.entry.clone()).collect(),
        ignored: ignored.iter().map(|i| i.entry.clone()).collect(),
        totals,
        elapsed_seconds: elapsed,
        lines_per_second,
        stages,
        tables: table_reports.unwrap_or_default(),
        distinct_counts: distinct_counts_note(cfg.veil.policy.keys.epoch),
        release: match cfg.veil.policy.dp.enabled {
            true => "dp",
            false => "k",
        },
        days: days_report,
    };
    let run_log = RunLog {
        note: RUN_LOG_NOTE,
        version: env!("CARGO_PKG_VERSION"),
        output: cfg.out.clone(),
        key_fingerprint: key.fingerprint(),
        inputs: sources
            .iter()
            .zip(inputs)
            .map(|(s, entry)| WithPath {
                path: s.path.clone(),
                entry,
            })
            .collect(),
        problems,
        ignored,
    };
    // Before the manifest, which marks the run finished: a run log that
    // cannot be written fails the run.
    if let (Some(file), Some(path)) = (run_log_file, &cfg.run_log) {
        run_log.write(file, path)?;
    }
    // Dropped unused, the sink removes its staging directory and the
    // previous outputs stay.
    let manifest_path = if usable {
        Some(sink.commit(&mut manifest)?)
    } else {
        None
    };
    Ok(RunReport {
        run_log,
        completion,
        manifest,
        manifest_path,
    })
}

/// The run's worker pool: `threads` threads, or one per core.
fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Error> {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("logveil-{i}"))
        .build()
        .map_err(|e| Error::Threads {
            threads,
            message: e.to_string(),
        })
}
