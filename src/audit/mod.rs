//! `logveil audit`: proves, for an output directory, that no identifier of
//! the inputs appears anywhere a reader of the outputs can look.
//!
//! [`identifiers`] re-reads the inputs (with the same discovery, readers and
//! formats as a run) and collects every client address or host name, every
//! authuser and ident value, and every IP address or e-mail address anywhere
//! in a line, each with the input file and line where it was first seen.
//! [`scan`] then reads every file and directory name, every decoded Parquet
//! value (all column types, nested ones included), statistic, metadata
//! entry and schema name, and every other file as text after undoing gzip,
//! zstd and UTF-16 ([`decode`]). [`forms`] reads what it finds back to
//! canonical identifiers, so an address is found in any of its spellings.
//!
//! A finding names the file, table, column and row (or line), the kind of
//! identifier, the form it was written in, and the input file and line
//! that hold it, so an operator can check it against the logs. The
//! identifier itself is never in a finding's report; [`Finding::reveal`]
//! gives it to a caller who asks explicitly (the CLI's `--reveal`).
//!
//! Trade-off: a finding is a place where an input identifier *can be read*,
//! not proof that one was copied. Loose forms (an address as an integer,
//! a distinctive user name inside a word) can meet unrelated text by
//! chance; the form and input line in each finding let the operator judge,
//! and the audit prefers that to missing a real leak.

pub mod decode;
pub mod forms;
pub mod identifiers;
pub mod scan;

use std::path::{Path, PathBuf};

pub use identifiers::{IdKind, Identifiers};
pub use scan::Finding;

/// What an audit found.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AuditReport {
    /// Inputs read to collect identifiers.
    pub inputs: usize,
    /// Distinct identifiers collected.
    pub identifiers: usize,
    /// Files of the output directory examined.
    pub files: usize,
    /// Places where an identifier was found.
    pub findings: Vec<Finding>,
    /// Inputs and output files that could not be read (an unread file is
    /// not clean, and an unread input may hide identifiers).
    pub unreadable: Vec<(PathBuf, String)>,
}

impl AuditReport {
    /// True when nothing was found and everything could be read.
    pub fn clean(&self) -> bool {
        self.findings.is_empty() && self.unreadable.is_empty()
    }
}

/// Audits `out_dir` against the identifiers of `inputs`.
pub fn audit(out_dir: &Path, inputs: &[PathBuf]) -> Result<AuditReport, crate::Error> {
    let ids = Identifiers::collect(inputs)?;
    let mut report = scan::scan_dir(out_dir, &ids)?;
    report.inputs = ids.input_paths().len();
    report.identifiers = ids.len();
    report
        .unreadable
        .splice(0..0, ids.unreadable().iter().cloned());
    Ok(report)
}
