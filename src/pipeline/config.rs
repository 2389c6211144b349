//! What a run is asked to do: inputs, output, formats, policy, key and
//! threads, set through [`RunConfig`]'s builder methods. Nothing here
//! reads a file; checks that need the file system happen when the run
//! starts, so a configuration can be built and cloned freely.

use std::path::PathBuf;
use std::sync::Arc;

use super::Progress;
use crate::error::Error;
use crate::formats::logformat::ApacheFormat;
use crate::formats::zoom::{ZoomOptions, ZoomTime};
use crate::formats::{self, LogFormat};
use crate::input::read;
use crate::output::commit::PublishOptions;
use crate::privacy::VeilConfig;
use crate::privacy::policy::Policy;
use crate::state::StateOptions;
use crate::time::Calendar;

/// A web log layout given as a format string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatString {
    /// An Apache `LogFormat` string.
    Apache(String),
    /// An nginx `log_format` body.
    Nginx(String),
    /// A GoAccess `--log-format` (or predefined name) with its date and
    /// time formats.
    GoAccess {
        /// The log format.
        format: String,
        /// `--date-format` (strftime).
        date: String,
        /// `--time-format` (strftime).
        time: String,
    },
}

impl FormatString {
    pub(super) fn compile(&self) -> Result<ApacheFormat, crate::formats::logformat::FormatError> {
        match self {
            FormatString::Apache(s) => ApacheFormat::compile(s),
            FormatString::Nginx(s) => ApacheFormat::compile_nginx(s),
            FormatString::GoAccess { format, date, time } => {
                ApacheFormat::compile_goaccess(format, date, time)
            }
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            FormatString::Apache(s) => format!("apache:{s}"),
            FormatString::Nginx(s) => format!("nginx:{s}"),
            FormatString::GoAccess { format, date, time } => {
                format!("goaccess:{format} (date {date}, time {time})")
            }
        }
    }
}

/// Where the run's key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// A key file written by `logveil keygen`.
    File(PathBuf),
    /// A random key for this run only.
    Ephemeral,
}

/// Everything a run needs. Build with [`RunConfig::new`] and the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunConfig {
    pub(super) inputs: Vec<PathBuf>,
    pub(super) out: PathBuf,
    pub(super) format: Option<String>,
    pub(super) format_string: Option<FormatString>,
    pub(super) veil: VeilConfig,
    pub(super) threads: Option<usize>,
    pub(super) key: KeySource,
    pub(super) chunk_bytes: usize,
    pub(super) max_line_bytes: usize,
    pub(super) max_reject_locations: usize,
    pub(super) progress: Option<Arc<Progress>>,
    pub(super) zoom: ZoomOptions,
    pub(super) local_zone: chrono_tz::Tz,
    pub(super) run_log: Option<PathBuf>,
    pub(super) publish: PublishOptions,
    pub(super) max_reject_rate: f64,
    pub(super) state: Option<StateOptions>,
    pub(super) calendar: Calendar,
    pub(super) partials: bool,
}

/// The default of [`RunConfig::max_reject_rate`]: one record line in ten.
/// Every real log has the odd broken line (a write cut at rotation, a
/// probe sending garbage), and in a small file one such line is a large
/// share (1 of 19 in the README's Zoom webhook sample, 1.2–5.3% in the
/// others), so a tighter default would fail ordinary nightly runs and exit
/// codes would stop meaning anything. A wrong format or a damaged file
/// rejects far more than one line in ten. It is also the share above which
/// an input's report warns of many rejects, so the warning and exit 2 agree.
pub const DEFAULT_MAX_REJECT_RATE: f64 = 0.1;

impl RunConfig {
    /// A run over `inputs` (files or directories) writing into `out`, with
    /// defaults: auto-detected formats, all cores, an ephemeral key.
    pub fn new(inputs: Vec<PathBuf>, out: impl Into<PathBuf>) -> Self {
        RunConfig {
            inputs,
            out: out.into(),
            format: None,
            format_string: None,
            veil: VeilConfig::default(),
            threads: None,
            key: KeySource::Ephemeral,
            chunk_bytes: read::DEFAULT_CHUNK_BYTES,
            max_line_bytes: read::DEFAULT_MAX_LINE_BYTES,
            max_reject_locations: 100,
            progress: None,
            zoom: ZoomOptions {
                time: ZoomTime::default(),
            },
            local_zone: chrono_tz::Tz::UTC,
            run_log: None,
            publish: PublishOptions::default(),
            max_reject_rate: DEFAULT_MAX_REJECT_RATE,
            state: None,
            calendar: Calendar::UTC,
            partials: false,
        }
    }

    /// Where to write the operator's run log (input paths by id), if
    /// anywhere. It must lie outside the inputs and the output.
    pub fn run_log(mut self, path: Option<PathBuf>) -> Self {
        self.run_log = path;
        self
    }

    /// Forces a format by name instead of detecting it per file.
    pub fn format(mut self, name: Option<String>) -> Self {
        self.format = name;
        self
    }

    /// A format string (Apache, nginx or GoAccess) to compile and use for
    /// every web log instead of detection.
    pub fn format_string(mut self, format: Option<FormatString>) -> Self {
        self.format_string = format;
        self
    }

    /// Labels inputs that carry no virtual host.
    pub fn site(mut self, site: Option<String>) -> Self {
        if site.is_some() {
            self.veil.default_site = site;
        }
        self
    }

    /// The privacy policy (defaults: [`Policy::default`]).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.veil.policy = policy;
        self
    }

    /// Settings of the privacy stage.
    pub fn veil(mut self, veil: VeilConfig) -> Self {
        self.veil = veil;
        self
    }

    /// Worker threads (`None`: one per core).
    pub fn threads(mut self, threads: Option<usize>) -> Self {
        self.threads = threads;
        self
    }

    /// The key to pseudonymise with.
    pub fn key(mut self, key: KeySource) -> Self {
        self.key = key;
        self
    }

    /// Target chunk size (mostly for tests and benchmarks).
    pub fn chunk_bytes(mut self, bytes: usize) -> Self {
        self.chunk_bytes = bytes.max(1);
        self
    }

    /// The longest line read, in bytes without its line end (default
    /// [`read::DEFAULT_MAX_LINE_BYTES`]); a longer line is skipped without
    /// being held in memory and rejected as `too_long`.
    pub fn max_line_bytes(mut self, bytes: usize) -> Self {
        self.max_line_bytes = bytes.max(1);
        self
    }

    /// How many rejected-line locations the manifest keeps per input.
    pub fn max_reject_locations(mut self, n: usize) -> Self {
        self.max_reject_locations = n;
        self
    }

    pub(super) fn session_gap(&self) -> i64 {
        i64::from(self.veil.policy.sessions.gap_minutes) * 60
    }

    /// The zone of web-log times that carry none (W3C `date-local` and
    /// `time-local`, Caddy's `wall` formats); UTC unless set.
    pub fn local_timezone(mut self, zone: chrono_tz::Tz) -> Self {
        self.local_zone = zone;
        self
    }

    /// How to read zone-less Zoom times (zone, day/month order).
    pub fn zoom_time(mut self, time: ZoomTime) -> Self {
        self.zoom.time = time;
        self
    }

    /// Counters to update while running.
    pub fn progress(mut self, progress: Arc<Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Whether to wait for another run that holds the output's lock
    /// (default: refuse at once).
    pub fn wait_for_lock(mut self, wait: bool) -> Self {
        self.publish.wait = wait;
        self
    }

    /// Whether to accept an output directory that holds files logveil did
    /// not write; they are carried into the new set unchanged (default:
    /// refuse such a directory).
    pub fn adopt_foreign_files(mut self, adopt: bool) -> Self {
        self.publish.adopt_foreign = adopt;
        self
    }

    /// The largest share of an input's record lines (parsed + rejected)
    /// that may be rejected in a complete run (default
    /// [`DEFAULT_MAX_REJECT_RATE`]). Clamped to 0..=1; 0 makes any
    /// rejected line leave the run partial.
    pub fn max_reject_rate(mut self, rate: f64) -> Self {
        self.max_reject_rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self
    }

    /// The calendar of the tables' days and hours, sessions and key
    /// epochs: UTC unless set, or a report time zone.
    pub fn report_timezone(mut self, zone: chrono_tz::Tz) -> Self {
        self.calendar = Calendar::new(zone);
        self
    }

    /// Checks what can be checked before a run: the format names and
    /// strings, a state's need for a key file, where the run log goes. A
    /// run checks the same first; this lets a caller fail before saying
    /// anything else.
    pub fn validate(&self) -> Result<(), Error> {
        let compiled = self.compiled_format()?;
        self.forced_format(compiled.as_ref())?;
        if (self.state.is_some() || self.partials) && self.key == KeySource::Ephemeral {
            return Err(Error::StateNeedsKey);
        }
        if self.partials && self.state.is_some() {
            return Err(Error::Partials {
                message: "a run that writes private partials keeps no state; give one or the \
                          other"
                    .to_string(),
            });
        }
        super::check_run_log(self)
    }

    /// The compiled format string, if one was given.
    pub(super) fn compiled_format(&self) -> Result<Option<ApacheFormat>, Error> {
        Ok(match &self.format_string {
            Some(f) => Some(f.compile()?),
            None => None,
        })
    }

    /// The line format the run forces, if any: the compiled format string
    /// or a named line format. A named document reader forces nothing,
    /// since those files are always read by their own headers.
    pub(super) fn forced_format<'a>(
        &self,
        compiled: Option<&'a ApacheFormat>,
    ) -> Result<Option<&'a dyn LogFormat>, Error> {
        Ok(match (&self.format, compiled) {
            (Some(_), Some(_)) => return Err(Error::ConflictingFormats),
            (None, Some(c)) => Some(c),
            (None, None) => None,
            (Some(name), None) => match formats::lookup(name) {
                Some(formats::Named::Line(f)) => Some(f),
                Some(formats::Named::Document(_)) => None,
                None => {
                    return Err(Error::UnknownFormat {
                        name: name.clone(),
                        known: formats::known_names(),
                    });
                }
            },
        })
    }

    /// Keep a private state (see [`crate::state`]): read only what is
    /// new, merge it into the days it touches and publish those days,
    /// day-partitioned. Needs a key file.
    pub fn state(mut self, state: Option<StateOptions>) -> Self {
        self.state = state;
        self
    }

    /// Write the days' private partials (see [`crate::pipeline::publish`])
    /// into the output instead of publishing tables: the aggregates before
    /// disclosure control, to be merged with other machines' and
    /// published later. Needs a key file; keeps no state.
    pub fn write_partials(mut self, partials: bool) -> Self {
        self.partials = partials;
        self
    }
}
