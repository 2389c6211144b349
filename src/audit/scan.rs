//! Scanning an output directory for identifiers.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::AuditReport;
use super::identifiers::{IdKind, Identifiers, is_separator};

/// One place where identifiers were found. It says where and what kind,
/// never which identifier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Finding {
    /// File in the output directory.
    pub file: String,
    /// Where in the file: `column path (values)`, `column path (statistics)`,
    /// `metadata`, `field names`, `file name`, `text`.
    pub place: String,
    /// Kind of identifier.
    pub kind: IdKind,
    /// How many occurrences.
    pub count: usize,
}

/// Collects findings, counting per (file, place, kind).
#[derive(Default)]
struct Collector {
    counts: BTreeMap<(String, String, IdKind), usize>,
}

impl Collector {
    fn text(&mut self, ids: &Identifiers, file: &str, place: &str, text: &str) {
        for token in text.split(is_separator) {
            let trimmed = token.trim_matches(|c| matches!(c, '.' | ':' | '-' | '[' | ']'));
            // Whole tokens catch addresses and host names; their parts
            // catch a user name glued into a larger word (`report-jsmith`).
            let parts = trimmed.split(['-', '.', '_']);
            let found = [token, trimmed]
                .into_iter()
                .chain(parts)
                .find_map(|t| ids.lookup(t));
            if let Some(kind) = found {
                *self
                    .counts
                    .entry((file.to_string(), place.to_string(), kind))
                    .or_default() += 1;
            }
        }
    }

    fn findings(self) -> Vec<Finding> {
        self.counts
            .into_iter()
            .map(|((file, place, kind), count)| Finding {
                file,
                place,
                kind,
                count,
            })
            .collect()
    }
}

fn scan_parquet(
    path: &Path,
    name: &str,
    ids: &Identifiers,
    c: &mut Collector,
) -> Result<(), String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| e.to_string())?;
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    for (k, v) in schema.metadata() {
        c.text(ids, name, "metadata", &format!("{k} {v}"));
    }
    for f in schema.fields() {
        c.text(ids, name, "field names", f.name());
        for (k, v) in f.metadata() {
            c.text(
                ids,
                name,
                &format!("column {} (metadata)", f.name()),
                &format!("{k} {v}"),
            );
        }
    }
    let fm = meta.file_metadata();
    for kv in fm.key_value_metadata().into_iter().flatten() {
        c.text(
            ids,
            name,
            "metadata",
            &format!("{} {}", kv.key, kv.value.as_deref().unwrap_or("")),
        );
    }
    if let Some(by) = fm.created_by() {
        c.text(ids, name, "metadata", by);
    }
    for rg in meta.row_groups() {
        for col in rg.columns() {
            if let Some(s) = col.statistics() {
                for b in [s.min_bytes_opt(), s.max_bytes_opt()].into_iter().flatten() {
                    let place = format!("column {} (statistics)", col.column_path().string());
                    c.text(ids, name, &place, &String::from_utf8_lossy(b));
                }
            }
        }
    }
    let reader = builder.build().map_err(|e| e.to_string())?;
    for batch in reader {
        let batch = batch.map_err(|e| e.to_string())?;
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            let place = format!("column {} (values)", field.name());
            match array.data_type() {
                DataType::Utf8 => {
                    let strings = array.as_string::<i32>();
                    for i in 0..strings.len() {
                        if strings.is_valid(i) {
                            c.text(ids, name, &place, strings.value(i));
                        }
                    }
                }
                DataType::LargeUtf8 => {
                    let strings = array.as_string::<i64>();
                    for i in 0..strings.len() {
                        if strings.is_valid(i) {
                            c.text(ids, name, &place, strings.value(i));
                        }
                    }
                }
                // Numbers, dates and booleans cannot spell an identifier's
                // text; binary columns are not written by logveil, but an
                // unexpected one is read as text rather than trusted.
                DataType::Binary => {
                    let bytes = array.as_binary::<i32>();
                    for i in 0..bytes.len() {
                        if bytes.is_valid(i) {
                            c.text(ids, name, &place, &String::from_utf8_lossy(bytes.value(i)));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Scans every file of `dir` (recursively, hidden ones included).
pub fn scan_dir(dir: &Path, ids: &Identifiers) -> Result<AuditReport, crate::Error> {
    let mut report = AuditReport::default();
    let mut c = Collector::default();
    let mut stack = vec![dir.to_path_buf()];
    let io = |path: &Path, source| crate::Error::Output {
        path: path.to_path_buf(),
        source,
    };
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)
            .map_err(|e| io(&d, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            c.text(ids, &name, "file name", &name);
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            report.files += 1;
            let result = if name.ends_with(".parquet") {
                scan_parquet(&path, &name, ids, &mut c)
            } else {
                std::fs::read(&path)
                    .map(|bytes| c.text(ids, &name, "text", &String::from_utf8_lossy(&bytes)))
                    .map_err(|e| e.to_string())
            };
            if let Err(message) = result {
                report.unreadable.push((path, message));
            }
        }
    }
    report.findings = c.findings();
    Ok(report)
}
