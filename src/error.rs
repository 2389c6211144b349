//! The library's error type.
//!
//! Errors name the file they concern and say what the user can do about it.
//! They never carry the text of a log line: a line may hold an IP address or
//! a user name, and errors end up on terminals and in CI logs.

use std::path::PathBuf;

use crate::privacy::key::KeyError;

/// Everything that can stop a run as a whole. Problems with single lines or
/// single files are not errors: they are counted in the run's report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key could not be loaded or created.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A report of an output could not be made.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// None of the given paths yielded a readable file.
    #[error("no input files found in {0}; give log files or directories that contain them")]
    NoInput(String),
    /// `--format` named a format logveil does not know.
    #[error("unknown format {name:?}; known formats: {known}")]
    UnknownFormat {
        /// The name as given.
        name: String,
        /// Comma-separated list of known names.
        known: String,
    },
    /// `--log-format` or `--nginx-format` could not be compiled.
    #[error("format string: {0}")]
    Format(#[from] crate::formats::logformat::FormatError),
    /// `--format` and a format string were both given.
    #[error(
        "give only one format: a named format, an Apache LogFormat, an nginx log_format \
         or a GoAccess log-format"
    )]
    ConflictingFormats,
    /// The output directory could not be created or written.
    #[error(
        "cannot write to output {path}: {source}; name a directory that is new or that \
         logveil wrote, in a writable place"
    )]
    Output {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A state needs pseudonyms that stay the same from run to run.
    #[error(
        "a private state needs a key file: pseudonyms of a key that is random for each run \
         cannot be merged with the next run's; create one with `logveil keygen` and give it"
    )]
    StateNeedsKey,
    /// The private state directory cannot be read, written or used for
    /// this run.
    #[error("state {path}: {message}")]
    State {
        /// The state directory or the file in it concerned.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Directories of private partials cannot be written, read or merged
    /// together (another key, other settings, another format). Names
    /// the directories by their position among those given.
    #[error("partials: {message}")]
    Partials {
        /// What is wrong and what to do.
        message: String,
    },
    /// Encoding a table as Parquet failed.
    #[error("cannot encode table {table} as Parquet: {message}")]
    Encode {
        /// The table being written.
        table: String,
        /// What the encoder said.
        message: String,
    },
    /// The run log would land where logs are read or tables published.
    #[error(
        "the run log {path} is inside {within}; it lists input paths, which are personal \
         data: write it where only the operator reads it, outside the inputs and the outputs"
    )]
    RunLogExposed {
        /// The run log's path.
        path: PathBuf,
        /// The input or output it is inside.
        within: crate::input::discover::Within,
    },
    /// The thread pool could not be created.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// The number requested.
        threads: usize,
        /// What rayon said.
        message: String,
    },
    /// Another run holds the output's lock.
    #[error(
        "another logveil run{} is writing {out} (it holds the lock {lock}); wait for it to \
         finish, or ask this run to wait for the lock",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Locked {
        /// The output directory.
        out: PathBuf,
        /// The lock file beside it.
        lock: PathBuf,
        /// The other run's process id, as it wrote it into the lock file.
        pid: Option<u32>,
    },
    /// The output directory holds files logveil did not write.
    #[error(
        "the output {out} holds {count} file(s) logveil did not write ({names}); logveil \
         replaces its output directory as a whole, so give it an empty or new directory, or \
         allow it to carry those files into the new set unchanged"
    )]
    ForeignFiles {
        /// The output directory.
        out: PathBuf,
        /// How many entries are foreign.
        count: usize,
        /// The first few of their names.
        names: String,
    },
    /// The ledger of what earlier runs read could not be read or written.
    #[error(
        "cannot use the ledger {path}: {source}; the state directory must be readable and \
         writable by the user who runs logveil"
    )]
    Ledger {
        /// The ledger file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The differential-privacy mode was asked for without a state.
    #[error(
        "the policy's differential-privacy mode needs a private state directory: its budget \
         ledger is kept there, so that publishing a day again releases the stored noisy values \
         instead of fresh noise that averaging would take away; run with a state directory"
    )]
    DpNeedsState,
    /// A differential-privacy release could not be made or would exceed
    /// the budget.
    #[error("differential privacy: {message}")]
    Dp {
        /// What went wrong, and what to do.
        message: String,
    },
    /// The ledger's file is damaged.
    #[error(
        "the ledger {path} is damaged ({message}); restore it from a backup of the state \
         directory, or start a new state and read the logs again (a state without its ledger \
         would read every input again and count it twice)"
    )]
    LedgerDamaged {
        /// The ledger file.
        path: PathBuf,
        /// What is wrong with it (never its content).
        message: String,
    },
}
