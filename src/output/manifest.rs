//! `_manifest.json`: what a run read, decided and wrote; and the run log,
//! its operator-only companion.
//!
//! The manifest is written last, into the same staging directory as the
//! tables, and published with them in one swap, so it always describes
//! the tables beside it. Published with them, it holds
//! counts, reasons and locations (input id, line, byte offset) — never the
//! text of a line, never an input path, never an identifier from the
//! policy — and the key's fingerprint, never the key. For every input,
//! `lines = parsed + rejected + skipped`.
//!
//! Input paths carry identifiers (Zoom names an export after its meeting
//! id; others hold user names or addresses), so the manifest names every
//! input, problem and ignored file by a keyed id of its resolved path
//! (`Key::path_id`): stable across runs with one key file, meaningless
//! without it. The [`RunLog`] maps those ids back to paths for the
//! operator; it is personal data, written with mode 0600 and never inside
//! the output directory. Policy lists of people (`zoom.sensitive_hosts`)
//! are published as a count and a keyed fingerprint ([`PublishedPolicy`]):
//! a reader sees that the list changed, not who is on it. The other policy
//! settings are published as they are: network ranges (trusted proxies,
//! campus networks) are the institution's, not a person's; site aliases
//! are the operator's own site names; e-mail domains in `affiliations` are
//! organisations.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::output::table::{Disclosed, TableDp};
use crate::privacy::key::{Key, KeyMode};
use crate::privacy::policy::Policy;

/// File name of the manifest in the output directory.
pub const MANIFEST_FILE: &str = "_manifest.json";

/// The whole manifest.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Manifest {
    /// Always `logveil`.
    pub tool: &'static str,
    /// Version of logveil that wrote the outputs.
    pub version: &'static str,
    /// False when an input could not be read completely or lines were rejected.
    pub complete: bool,
    /// The key in use (never the key itself).
    pub key: KeyInfo,
    /// Settings in force.
    pub settings: Settings,
    /// One entry per input file, in processing order.
    pub inputs: Vec<InputReport>,
    /// Paths that could not be listed or opened at all.
    pub problems: Vec<Problem>,
    /// Files inside input directories passed over as plainly not logs
    /// (documentation, scripts, Parquet).
    pub ignored: Vec<Ignored>,
    /// Sums over inputs.
    pub totals: Totals,
    /// Wall-clock seconds of the run.
    pub elapsed_seconds: f64,
    /// Lines read per second of wall-clock time.
    pub lines_per_second: f64,
    /// Where the wall-clock time went.
    pub stages: Stages,
    /// Tables written.
    pub tables: Vec<TableReport>,
    /// What the distinct counts (`visitors`, `searchers`) mean under the
    /// key epoch in force.
    pub distinct_counts: String,
    /// The release mode of every table: `k` (small groups folded, exact
    /// counts) or `dp` (differential privacy: noisy counts, each table's
    /// budget in its entry and file metadata).
    pub release: &'static str,
    /// With a private state: the days this run published and the set holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<DaysReport>,
}

/// The days of a day-partitioned output (a run with a private state).
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct DaysReport {
    /// Days this run re-published (`YYYY-MM-DD`), from the merged
    /// partials: the days its new lines touched, and days an interrupted
    /// run merged but did not publish.
    pub published: Vec<String>,
    /// Every day the output holds after this run.
    pub held: Vec<String>,
    /// The private state's generation these tables were published from.
    pub state_generation: String,
    /// Requests of days whose partials retention had deleted: left out,
    /// since they can no longer be merged exactly.
    pub expired_requests: u64,
    /// Days whose partials retention deleted in this run (their
    /// published tables stay).
    pub expired_days: Vec<String>,
    /// Inputs the ledger knew were read to their end: not read again.
    pub unchanged_inputs: usize,
    /// Web tables are kept in the state; Zoom documents are not yet, so a
    /// run with a state publishes no Zoom tables and says so here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The weekly and monthly tables: which the key epoch allows, or why
    /// there are none.
    pub periods: PeriodsReport,
}

/// The period tables of a day-partitioned output.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct PeriodsReport {
    /// The grains published (`week`, `month`), as the key epoch allows:
    /// distinct visitors over a period are exact only where pseudonyms
    /// stay the same over it.
    pub grains: Vec<&'static str>,
    /// What the period tables count, or why there are none.
    pub note: String,
    /// Periods this run re-published, as their partition names
    /// (`week=YYYY-MM-DD`, `month=YYYY-MM-01`).
    pub published: Vec<String>,
    /// Periods touched by this run but not re-published because
    /// retention deleted the partials of some of their days: their
    /// published tables, if any, stay as they were and lack this run's
    /// data.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

/// Where a run's time went. The first three are wall-clock seconds and add
/// up to about `elapsed_seconds` (the rest is discovery, key loading and
/// the manifest); `write_seconds` is part of `tables_seconds`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[non_exhaustive]
pub struct Stages {
    /// Reading, detecting, parsing, veiling and folding every input.
    pub read_seconds: f64,
    /// Joining the threads' label tables and Zoom records.
    pub merge_seconds: f64,
    /// Merging the threads' visitors, then per table (tables in parallel):
    /// merging the threads' rows, counting, suppression, sorting, encoding
    /// and writing.
    pub tables_seconds: f64,
    /// Time spent encoding and writing Parquet files, summed over the
    /// tables. Tables are written in parallel with each other and with
    /// the building of others, so this can exceed its share of the wall
    /// clock.
    pub write_seconds: f64,
    /// How the privacy stage's memos of raw field values fared, summed
    /// over the threads: hits, misses, times a full memo was emptied, and
    /// its capacity per thread.
    pub memos: crate::privacy::VeilMemoStats,
}

/// Key mode and fingerprint.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct KeyInfo {
    /// `file` or `ephemeral`.
    pub mode: KeyMode,
    /// 16 hex digits derived from the key under a separate context.
    pub fingerprint: String,
    /// What the mode means for linking pseudonyms across runs.
    pub note: &'static str,
}

/// Run settings that affect the outputs.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Settings {
    /// Forced format name, or `auto`.
    pub format: String,
    /// Site label for inputs without a virtual host.
    pub default_site: String,
    /// Worker threads.
    pub threads: usize,
    /// Target chunk size in bytes.
    pub chunk_bytes: usize,
    /// The largest share of an input's record lines that may be rejected
    /// in a run that exits 0.
    pub max_reject_rate: f64,
    /// The privacy policy in force, every setting spelled out except lists
    /// of people, which are summarised.
    pub policy: PublishedPolicy,
    /// Time zone assumed for Zoom CSV exports.
    pub zoom_timezone: String,
    /// Time zone of web-log times that carry none (W3C `date-local` and
    /// `time-local`, Caddy's `wall` formats).
    pub local_timezone: String,
    /// The calendar of days, hours, sessions and key epochs (IANA name;
    /// `UTC` unless a report time zone was set).
    pub report_timezone: String,
    /// Day/month order assumed for Zoom CSV dates (`mdy` or `dmy`).
    pub zoom_date_order: &'static str,
}

/// Where a rejected line is; its text is never recorded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Location {
    /// 1-based line number in the (decompressed) input.
    pub line: u64,
    /// Byte offset of the line's start in the (decompressed) input.
    pub byte_offset: u64,
    /// Reason name.
    pub reason: &'static str,
}

/// How the format was chosen.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DetectionReport {
    /// True when `--format` forced it.
    pub forced: bool,
    /// Record lines sampled.
    pub sampled: usize,
    /// Sampled lines the chosen (or best) format parsed.
    pub parsed: usize,
    /// `parsed / sampled`.
    pub parse_rate: f64,
    /// Best candidate when none was good enough.
    pub best_candidate: Option<&'static str>,
}

/// Everything known about one input.
#[derive(Debug, Clone, Serialize, Default)]
#[non_exhaustive]
pub struct InputReport {
    /// Keyed id of the input's path; the run log maps it to the path.
    pub id: String,
    /// Size on disk.
    pub bytes: u64,
    /// Bytes after decompression.
    pub decompressed_bytes: u64,
    /// `none`, `gzip` or `zstd`.
    pub compression: &'static str,
    /// Format used; `None` when the file was not processed.
    pub format: Option<&'static str>,
    /// The producer's conventions, when the format reads several and these
    /// are not the usual ones (`w3c`: `IIS Advanced Logging`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<&'static str>,
    /// Choices the input left open and how they were made (a time zone
    /// the log does not name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<&'static str>,
    /// How the format was chosen.
    pub detection: Option<DetectionReport>,
    /// When the layout changed inside the file: each run of lines read with
    /// one format (`none` where no known format fits), in file order.
    /// Absent when one format read the whole file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Region>,
    /// Lines read (a final line without newline counts).
    pub lines: u64,
    /// Lines that became records.
    pub parsed: u64,
    /// Lines refused, total.
    pub rejected: u64,
    /// Lines refused, by reason.
    pub rejected_by_reason: BTreeMap<&'static str, u64>,
    /// Lines skipped without error (blank, comment), total.
    pub skipped: u64,
    /// Lines skipped, by reason.
    pub skipped_by_reason: BTreeMap<&'static str, u64>,
    /// The first rejected lines' locations (see `reject_locations_omitted`).
    pub reject_locations: Vec<Location>,
    /// Rejected lines beyond the recorded locations.
    pub reject_locations_omitted: u64,
    /// Earliest event time (RFC 3339, UTC).
    pub first_event: Option<String>,
    /// Latest event time (RFC 3339, UTC).
    pub last_event: Option<String>,
    /// Why the input could not be read completely, if so.
    pub error: Option<String>,
    /// What the operator should look at although the input was read: a
    /// high share of rejected lines, lines no format fits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Where reading started and stopped, for a ledger of nightly runs;
    /// published only for a resumed read (one that did not start at the
    /// input's first byte), so one-shot manifests stay as they were.
    #[serde(skip_serializing_if = "ReadSpan::from_start")]
    pub span: ReadSpan,
}

/// The part of an input's (decompressed) content a run read: lines from
/// `start_line + 1`, bytes from `start_byte` to `end_byte`. Line-based
/// inputs only; a document read whole spans all of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReadSpan {
    /// Byte where reading started (an earlier run read the bytes before).
    pub start_byte: u64,
    /// Lines before `start_byte`.
    pub start_line: u64,
    /// Byte where reading stopped: the content read is `..end_byte`.
    pub end_byte: u64,
    /// Lines in `..end_byte`: `start_line` plus the lines read.
    pub end_line: u64,
    /// Whether `end_byte` is the end of the content: nothing was left
    /// unread (no last line without newline held back, no read error).
    pub to_end: bool,
}

impl ReadSpan {
    /// Whether reading started at the input's first byte.
    pub fn from_start(&self) -> bool {
        self.start_byte == 0
    }
}

/// A run of lines of one input read with one format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Region {
    /// The format's name; `none` when no known format fits these lines.
    pub format: &'static str,
    /// Its first line (1-based).
    pub first_line: u64,
    /// How many lines it spans.
    pub lines: u64,
}

/// A path that yielded nothing.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Problem {
    /// Keyed id of the path; the run log maps it to the path.
    pub id: String,
    /// What went wrong.
    pub message: String,
}

/// A file passed over as plainly not a log.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Ignored {
    /// Keyed id of the path; the run log maps it to the path.
    pub id: String,
    /// Why it was passed over.
    pub reason: String,
}

/// The policy as published: every setting as in force, except
/// `zoom.sensitive_hosts`, which becomes `{"count", "fingerprint"}`: how
/// many distinct hosts (trimmed, lower-cased, as they are matched) and a
/// keyed fingerprint of the set.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct PublishedPolicy(serde_json::Value);

impl PublishedPolicy {
    /// Summarises `policy`'s lists of people under `key`.
    pub fn new(policy: &Policy, key: &Key) -> PublishedPolicy {
        // Through a JSON value, so settings added to the policy later are
        // published without a second list of fields to keep in step.
        let mut value = serde_json::to_value(policy).unwrap_or_default();
        if let Some(hosts) = value.pointer_mut("/zoom/sensitive_hosts") {
            // Matched trimmed and case-blind (`privacy::zoom`).
            let mut normalized: Vec<String> = policy
                .zoom
                .sensitive_hosts
                .iter()
                .map(|h| h.trim().to_lowercase())
                .collect();
            normalized.sort_unstable();
            normalized.dedup();
            *hosts = serde_json::json!({
                "count": normalized.len(),
                "fingerprint": key.list_fingerprint(normalized.iter().map(String::as_str)),
            });
        }
        PublishedPolicy(value)
    }

    /// The published value.
    pub fn value(&self) -> &serde_json::Value {
        &self.0
    }
}

/// Sums over all inputs.
#[derive(Debug, Clone, Serialize, Default)]
#[non_exhaustive]
pub struct Totals {
    /// Input files processed.
    pub inputs: usize,
    /// Inputs that were unreadable, corrupt or of unknown format.
    pub inputs_failed: usize,
    /// Bytes read from disk.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Lines parsed.
    pub parsed: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Lines skipped.
    pub skipped: u64,
}

/// One table written.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TableReport {
    /// Table name.
    pub name: &'static str,
    /// File name in the output directory.
    pub file: String,
    /// Row count.
    pub rows: usize,
    /// Small-group suppression applied, for tables keyed by people-derived
    /// categories.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Disclosed>,
    /// The differential-privacy release, in that mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dp: Option<TableDp>,
}

/// An entry of the manifest with the path its id stands for.
#[derive(Debug, Clone, Serialize)]
pub struct WithPath<T> {
    /// The path as reached from the run's arguments.
    pub path: PathBuf,
    /// The manifest's entry (with its id).
    #[serde(flatten)]
    pub entry: T,
}

/// What the run log says about itself, at its top.
pub const RUN_LOG_NOTE: &str = "operator only: personal data. Input paths name people, \
    addresses and meeting ids; keep this file with the logs, never with the published outputs";

/// The operator's report of a run: the manifest's ids with their paths.
/// Personal data: it stays with the logs and is never published.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct RunLog {
    /// [`RUN_LOG_NOTE`].
    pub note: &'static str,
    /// Version of logveil that wrote it.
    pub version: &'static str,
    /// The output directory whose manifest the ids belong to.
    pub output: PathBuf,
    /// Fingerprint of the key the ids were made with.
    pub key_fingerprint: String,
    /// Every input with its report, in the manifest's order.
    pub inputs: Vec<WithPath<InputReport>>,
    /// Paths that could not be listed or opened.
    pub problems: Vec<WithPath<Problem>>,
    /// Files passed over, with the reason.
    pub ignored: Vec<WithPath<Ignored>>,
}

/// Creates (or empties) a file only its owner may read (mode 0600, an
/// earlier file's mode tightened before anything is written to it): the
/// run log and the private state's own files.
pub(crate) fn create_private(path: &Path) -> Result<std::fs::File, Error> {
    let io = |source| Error::Output {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    // `mode` applies only to a new file.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io)?;
    Ok(file)
}

impl RunLog {
    /// Creates (or empties) the run log file with mode 0600, at the start
    /// of a run, so an unwritable path fails before the work is done. An
    /// earlier file's mode is tightened before anything is written to it.
    pub fn create(path: &Path) -> Result<std::fs::File, Error> {
        create_private(path)
    }

    /// Writes the run log as JSON into a file from [`RunLog::create`];
    /// `path` names it in errors.
    pub fn write(&self, file: std::fs::File, path: &Path) -> Result<(), Error> {
        let io = |source| Error::Output {
            path: path.to_path_buf(),
            source,
        };
        let mut w = std::io::BufWriter::new(file);
        serde_json::to_writer_pretty(&mut w, self).map_err(|e| io(e.into()))?;
        w.write_all(b"\n").map_err(io)?;
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)
    }
}

impl Manifest {
    /// Writes and syncs the manifest as `<dir>/_manifest.json`. `dir` is
    /// the staging directory of a sink: the manifest becomes visible with
    /// the tables it lists, when the directory is swapped in.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, Error> {
        let path = dir.join(MANIFEST_FILE);
        let io = |source| Error::Output {
            path: path.clone(),
            source,
        };
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Encode {
            table: MANIFEST_FILE.to_string(),
            message: e.to_string(),
        })?;
        text.push('\n');
        super::commit::step();
        let mut file = std::fs::File::create(&path).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        super::commit::step();
        file.sync_all().map_err(io)?;
        Ok(path)
    }
}
