//! `logveil audit`: proves, for an output directory, that no identifier of
//! the inputs appears anywhere a reader of the outputs can look.
//!
//! [`identifiers`] re-reads the inputs (with the same discovery, readers and
//! formats as a run) and collects every client address or host name, every
//! authuser, and every IP address or e-mail address anywhere in a line
//! (forwarded-for chains, query strings, referrers), in all their textual
//! forms. [`scan`] then reads every decoded Parquet value, column statistic,
//! key-value and field metadata, field name, file name and the manifest,
//! and looks for those forms token by token.
//!
//! A finding names the file, the place (table and column) and the kind of
//! identifier — never the identifier itself, since the report is output too.

pub mod identifiers;
pub mod scan;

use std::path::{Path, PathBuf};

pub use identifiers::{IdKind, Identifiers};
pub use scan::Finding;

/// What an audit found.
#[derive(Debug, Clone, Default)]
pub struct AuditReport {
    /// Inputs read to collect identifiers.
    pub inputs: usize,
    /// Distinct identifier forms collected.
    pub identifiers: usize,
    /// Files of the output directory examined.
    pub files: usize,
    /// Places where an identifier was found.
    pub findings: Vec<Finding>,
    /// Files that could not be examined (an unreadable file is not clean).
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
    report.inputs = ids.inputs();
    report.identifiers = ids.len();
    Ok(report)
}
