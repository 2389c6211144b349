//! `_manifest.json`: what a run read, decided and wrote.
//!
//! Written last, atomically, so its presence means the tables beside it are
//! complete. It holds counts, reasons and locations (file, line, byte
//! offset) — never the text of a line — and the key's fingerprint, never
//! the key. For every input, `lines = parsed + rejected + skipped`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::output::table::Disclosed;
use crate::privacy::key::KeyMode;
use crate::privacy::policy::Policy;

/// File name of the manifest in the output directory.
pub const MANIFEST_FILE: &str = "_manifest.json";

/// The whole manifest.
#[derive(Debug, Clone, Serialize)]
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
    pub ignored: Vec<PathBuf>,
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
}

/// Where a run's time went. The first three are wall-clock seconds and add
/// up to about `elapsed_seconds` (the rest is discovery, key loading and
/// the manifest); `write_seconds` is part of `tables_seconds`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
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
}

/// Key mode and fingerprint.
#[derive(Debug, Clone, Serialize)]
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
pub struct Settings {
    /// Forced format name, or `auto`.
    pub format: String,
    /// Site label for inputs without a virtual host.
    pub default_site: String,
    /// Worker threads.
    pub threads: usize,
    /// Target chunk size in bytes.
    pub chunk_bytes: usize,
    /// The privacy policy in force, every setting spelled out.
    pub policy: Policy,
    /// Time zone assumed for Zoom CSV exports.
    pub zoom_timezone: String,
    /// Time zone of web-log times that carry none (W3C `date-local` and
    /// `time-local`, Caddy's `wall` formats).
    pub local_timezone: String,
    /// Day/month order assumed for Zoom CSV dates (`mdy` or `dmy`).
    pub zoom_date_order: &'static str,
}

/// Where a rejected line is; its text is never recorded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
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
pub struct InputReport {
    /// Path as discovered.
    pub path: PathBuf,
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
}

/// A path that yielded nothing.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The path.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

/// Sums over all inputs.
#[derive(Debug, Clone, Serialize, Default)]
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
}

impl Manifest {
    /// Writes the manifest to `<dir>/_manifest.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, Error> {
        let final_path = dir.join(MANIFEST_FILE);
        let tmp = dir.join(format!(".{MANIFEST_FILE}.tmp"));
        let io = |path: &Path, source| Error::Output {
            path: path.to_path_buf(),
            source,
        };
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Encode {
            table: MANIFEST_FILE.to_string(),
            message: e.to_string(),
        })?;
        text.push('\n');
        std::fs::write(&tmp, text).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &final_path).map_err(|e| io(&final_path, e))?;
        Ok(final_path)
    }
}
