//! A run's dealings with its private state: what to read, what was read,
//! and whether the state fits the run.
//!
//! Before the run, the ledger plans each source (`Reads::plan`): content
//! read before is skipped, appended content is read from where the last
//! run stopped. After it, the ledger notes how far each input was read
//! (`Reads::record`), before the state is committed, so a run that fails
//! notes nothing and the next one reads the same lines again. The
//! settings hash binds the state to the settings its partials were made
//! under; the output's manifest names the state generation it was
//! published from, so an output that lags its state is brought up to
//! date.

use std::path::{Path, PathBuf};

use super::RunConfig;
use crate::error::Error;
use crate::input::discover::{Source, resolve, within_run};
use crate::output::manifest::{DaysReport, InputReport};
use crate::state::StateDir;
use crate::state::ledger::{Fingerprint, Resume};
use crate::time;

/// What the manifest says of Zoom inputs in a run with a state.
const ZOOM_NOT_KEPT: &str = "Zoom documents are not kept in the private state yet: a run with a state publishes no Zoom tables; run Zoom exports without a state";

/// A hash of the settings that shape private partials: partials made
/// under others cannot be merged with this run's.
pub(super) fn settings_hash(cfg: &RunConfig) -> String {
    SettingsShape::of(cfg).hash(&cfg.veil.policy)
}

/// The settings that shape private partials, besides the policy: what a
/// directory of partials records in clear so that a publish can rebuild
/// its settings hash from the policy it is given.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct SettingsShape {
    /// Site label for inputs without a virtual host (`None`: the default).
    pub default_site: Option<String>,
    /// Zone of log times that carry none.
    pub local_timezone: String,
    /// The calendar of days, hours and sessions.
    pub report_timezone: String,
}

impl SettingsShape {
    /// The shape a run's configuration gives.
    pub fn of(cfg: &RunConfig) -> SettingsShape {
        SettingsShape {
            default_site: cfg.veil.default_site.clone(),
            local_timezone: cfg.local_zone.name().to_string(),
            report_timezone: cfg.calendar.name().to_string(),
        }
    }

    /// The settings hash of this shape under `policy` (the session gap
    /// comes from the policy).
    pub fn hash(&self, policy: &crate::privacy::policy::Policy) -> String {
        let mut policy_value = serde_json::to_value(policy).unwrap_or_default();
        // Of the differential-privacy settings, partials depend only on
        // whether they count requests per visitor: ε, shares and bounds
        // apply when a day is released, and may change between nights.
        // Without the mode, the key is absent, as in states made before it.
        if let Some(map) = policy_value.as_object_mut() {
            map.remove("dp");
            if policy.dp.enabled {
                map.insert("dp_counting".into(), true.into());
            }
        }
        let settings = serde_json::json!({
            "policy": policy_value,
            "default_site": self.default_site,
            "local_timezone": self.local_timezone,
            "session_gap": i64::from(policy.sessions.gap_minutes) * 60,
            "report_timezone": self.report_timezone,
        });
        blake3::hash(settings.to_string().as_bytes()).to_hex()[..32].to_string()
    }
}

/// Refuses a state directory that overlaps the output or an input. Inside
/// the output (or holding it) one of the two would be swapped away with
/// the other, and where foreign files are adopted the state's pseudonyms
/// would be published; inside an input, the next run would read the
/// state's own files as logs.
pub(super) fn check_state_location(
    state: &Path,
    inputs: &[PathBuf],
    out: &Path,
) -> Result<(), Error> {
    let at = resolve(state);
    let overlap = match within_run(state, inputs.iter().map(PathBuf::as_path), out) {
        Some(within) => Some(format!("lies inside {within}")),
        None if resolve(out).starts_with(&at) => {
            Some(format!("holds the output directory {}", out.display()))
        }
        None => inputs
            .iter()
            .find(|input| resolve(input).starts_with(&at))
            .map(|input| format!("holds the input {}", input.display())),
    };
    match overlap {
        None => Ok(()),
        Some(overlap) => Err(Error::State {
            path: state.to_path_buf(),
            message: format!(
                "{overlap}; keep the state apart from the logs and the outputs, in a private \
                 place of its own (it holds pseudonyms: personal data)"
            ),
        }),
    }
}

/// The state generation the published output came from, if it says.
pub(super) fn published_generation(out: &Path) -> Option<String> {
    let text = std::fs::read(out.join(crate::output::manifest::MANIFEST_FILE)).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&text).ok()?;
    Some(
        value
            .pointer("/days/state_generation")?
            .as_str()?
            .to_string(),
    )
}

/// What merging into the state gave, for the manifest.
pub(super) struct Merged {
    /// Days published.
    pub published: std::collections::BTreeSet<i32>,
    /// Requests of days retention had deleted.
    pub expired_requests: u64,
    /// Whether Zoom records were read (they are not kept in the state).
    pub zoom_left: bool,
    /// The period tables.
    pub periods: crate::output::manifest::PeriodsReport,
}

/// The run's sources with what the ledger says of them: the ones to read
/// (resuming where an earlier run stopped) with their fingerprints, and
/// the ones read to their end before, which stay out of the run.
#[derive(Default)]
pub(super) struct Reads {
    /// The sources to read, in order.
    pub sources: Vec<Source>,
    /// Each source's fingerprint, for the ledger (`None`: the ledger
    /// could not look at it, and the run's own read says why).
    plans: Vec<Option<Fingerprint>>,
    /// Sources read to their end by earlier runs.
    pub unchanged: Vec<(Source, Resume)>,
}

impl Reads {
    /// Every source read from its start (no state).
    pub fn all(sources: Vec<Source>) -> Reads {
        Reads {
            sources,
            ..Reads::default()
        }
    }

    /// Plans each source's read from the ledger.
    pub fn plan(state: &StateDir, sources: Vec<Source>) -> Reads {
        let mut reads = Reads::default();
        for mut source in sources {
            match state.ledger().plan(&source) {
                Ok(r) if r.done => reads.unchanged.push((source, r)),
                Ok(r) => {
                    r.apply(&mut source);
                    reads.plans.push(Some(r.fingerprint));
                    reads.sources.push(source);
                }
                Err(_) => {
                    reads.plans.push(None);
                    reads.sources.push(source);
                }
            }
        }
        reads
    }

    /// Notes what was read in the ledger and commits the state; says
    /// what the manifest should of the days.
    pub fn commit(
        &self,
        mut state: StateDir,
        keep_days: Option<u32>,
        inputs: &[InputReport],
        days: Merged,
    ) -> Result<DaysReport, Error> {
        self.record(&mut state, keep_days, inputs)?;
        let commit = state.commit()?;
        let names = |days: &mut dyn Iterator<Item = i32>| -> Vec<String> {
            days.filter_map(time::format_day).collect()
        };
        Ok(DaysReport {
            published: names(&mut days.published.iter().copied()),
            state_generation: commit.generation,
            expired_requests: days.expired_requests,
            expired_days: names(&mut commit.expired.iter().copied()),
            unchanged_inputs: self.unchanged.len(),
            note: days.zoom_left.then(|| ZOOM_NOT_KEPT.to_string()),
            periods: days.periods,
            ..DaysReport::default()
        })
    }

    fn record(
        &self,
        state: &mut StateDir,
        keep_days: Option<u32>,
        inputs: &[InputReport],
    ) -> Result<(), Error> {
        let (sources, plans, unchanged) = (&self.sources, &self.plans, &self.unchanged);
        let today = crate::state::today();
        let ledger = state.ledger_mut();
        let failed = |source: &Source, e: std::io::Error| Error::State {
            path: source.path.clone(),
            message: format!(
                "cannot note how far this input was read ({e}); nothing was published, and the next run reads it again"
            ),
        };
        // An input that failed part-way (a cut-off archive) is noted up to
        // where its lines were read: they are in the partials now, and the
        // next run must not merge them again.
        for ((source, plan), report) in sources.iter().zip(plans).zip(inputs) {
            let zoom = report.format.is_some_and(|f| f.starts_with("zoom"));
            if let (Some(fp), false) = (plan, zoom) {
                ledger
                    .record(source, fp, &report.span, today)
                    .map_err(|e| failed(source, e))?;
            }
        }
        for (source, resume) in unchanged {
            ledger
                .record(source, &resume.fingerprint, &resume.unread_span(), today)
                .map_err(|e| failed(source, e))?;
        }
        if let Some(keep) = keep_days {
            ledger.forget_unseen(today, keep);
        }
        Ok(())
    }
}
