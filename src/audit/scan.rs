//! Scanning an output directory for identifiers.
//!
//! Every entry under the directory is examined, hidden ones included: its
//! name (every file and directory), then its content. Parquet files (by
//! magic bytes, whatever their name) are read through Arrow, and every
//! value of every column is examined down to the leaves of lists, maps and
//! structs; dictionary values are examined once and reported at each row
//! that uses them (or with no row, when no row does: the bytes are in the
//! file all the same). Row-group statistics, key-value metadata, field
//! metadata, Arrow field names and Parquet schema names are examined too.
//! Any other file is decoded ([`super::decode`]) and read as text, line by
//! line.
//!
//! Trade-offs. Numbers are examined only where an address could be one
//! (32- and 64-bit integer columns and statistics, read as an integer
//! address); floats, dates and small integers cannot spell one. A column
//! of a type the audit does not know, a file it cannot open, and a
//! symbolic link to a directory (not followed, so a link cannot make the
//! audit loop or leave the directory) all make the audit not clean, since
//! what was not read cannot be vouched for. The page index is not read:
//! its bounds are values of the column, which are read themselves.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::statistics::Statistics;

use super::AuditReport;
use super::decode::{self, Decoded};
use super::forms::{self, Form, Key, Mode};
use super::identifiers::{IdKind, Identifiers};

/// One place where an input identifier was found. It says where, what kind
/// and where the inputs have it, never which identifier it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// File or directory, relative to the output directory.
    pub file: String,
    /// Table (the Parquet file's stem, or the table directory of a Hive
    /// partition `<table>/day=…/part-N.parquet`), for Parquet files.
    pub table: Option<String>,
    /// What part of the file: `file name`, `value`, `statistics of row
    /// group N`, `key-value metadata`, `field metadata`, `field name`,
    /// `schema name`, `created by`, `text`.
    pub place: String,
    /// Column path (`a.b` inside structs), where the place has one.
    pub column: Option<String>,
    /// 0-based row of a Parquet value (`None` for a dictionary value no
    /// row uses).
    pub row: Option<u64>,
    /// 1-based line of a text file.
    pub line: Option<u64>,
    /// Layers undone to read the text (`gzip`, `UTF-16LE`,
    /// `percent-decoded`…), outermost first.
    pub via: Vec<String>,
    /// Kind of identifier.
    pub kind: IdKind,
    /// How it was written.
    pub form: Form,
    /// The input where the identifier was first seen.
    pub input: PathBuf,
    /// 1-based line of that input.
    pub input_line: u64,
    #[serde(skip)]
    key: Key,
}

impl std::fmt::Display for Finding {
    /// `file: place, table, column, row or line, via: kind (form) as in
    /// input:line`, without the identifier.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.place)?;
        if let Some(t) = &self.table {
            write!(f, ", table {t}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        match (self.row, self.line) {
            (Some(r), _) => write!(f, ", row {r}")?,
            (None, Some(l)) => write!(f, ", line {l}")?,
            (None, None) if self.place == "value" => write!(f, ", a dictionary value no row uses")?,
            (None, None) => {}
        }
        if !self.via.is_empty() {
            write!(f, ", via {}", self.via.join(", "))?;
        }
        write!(
            f,
            ": {} ({}) as in {}:{}",
            self.kind.as_str(),
            self.form.as_str(),
            self.input.display(),
            self.input_line
        )
    }
}

impl Finding {
    /// The identifier itself. Only for `--reveal`: whoever reads it must
    /// hold the logs anyway.
    pub fn reveal(&self) -> String {
        self.key.reveal()
    }
}

/// Where in a file a piece of text came from; completed with a row or
/// line when a hit is recorded.
#[derive(Clone, Default)]
struct Loc {
    file: String,
    table: Option<String>,
    place: String,
    column: Option<String>,
    via: Vec<&'static str>,
}

impl Loc {
    fn with(&self, place: &str, column: Option<String>) -> Loc {
        Loc {
            place: place.to_string(),
            column,
            ..self.clone()
        }
    }
}

/// An input identifier met in a piece of text.
struct Hit {
    key: Key,
    form: Form,
    decoded: u8,
}

struct Collector<'a> {
    ids: &'a Identifiers,
    findings: BTreeSet<Finding>,
}

impl Collector<'_> {
    /// The input identifiers in `text`, each once (in its least-decoded
    /// reading).
    fn hits(&self, text: &str) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        forms::candidates(text, Mode::Scan, &mut |key, form, decoded| {
            if self.ids.origin(&key).is_none() {
                return;
            }
            if let (Key::User(name), Form::PartOfWord) = (&key, form)
                && !forms::is_distinctive_user(name)
            {
                return;
            }
            if !hits.iter().any(|h| h.key == key) {
                hits.push(Hit { key, form, decoded });
            }
        });
        hits
    }

    fn key_hit(&self, key: Option<Key>, form: Form) -> Vec<Hit> {
        key.filter(|k| self.ids.origin(k).is_some())
            .map(|key| Hit {
                key,
                form,
                decoded: 0,
            })
            .into_iter()
            .collect()
    }

    fn record(&mut self, loc: &Loc, row: Option<u64>, line: Option<u64>, hits: &[Hit]) {
        for h in hits {
            let Some(origin) = self.ids.origin(&h.key) else {
                continue;
            };
            let mut via: Vec<String> = loc.via.iter().map(|s| s.to_string()).collect();
            match h.decoded {
                0 => {}
                1 => via.push("percent-decoded".into()),
                _ => via.push("percent-decoded twice".into()),
            }
            self.findings.insert(Finding {
                file: loc.file.clone(),
                table: loc.table.clone(),
                place: loc.place.clone(),
                column: loc.column.clone(),
                row,
                line,
                via,
                kind: IdKind::of(&h.key),
                form: h.form,
                input: self.ids.input_path(origin).to_path_buf(),
                input_line: origin.line,
                key: h.key.clone(),
            });
        }
    }

    fn text(&mut self, loc: &Loc, text: &str) {
        let hits = self.hits(text);
        self.record(loc, None, None, &hits);
    }
}

/// Which top-level rows each element of an array belongs to.
#[derive(Clone, Copy)]
enum Rows<'a> {
    /// Element `i` is row `first + i`.
    From(u64),
    /// Element `i` is in the rows listed (none: an unused dictionary value).
    Each(&'a [Vec<u64>]),
}

impl Rows<'_> {
    fn each(self, i: usize, f: &mut dyn FnMut(Option<u64>)) {
        match self {
            Rows::From(first) => f(Some(first + i as u64)),
            Rows::Each(rows) => match rows.get(i) {
                Some(r) if !r.is_empty() => r.iter().for_each(|&r| f(Some(r))),
                _ => f(None),
            },
        }
    }

    /// The rows of a child array whose elements `range` belong to parent
    /// element `parent`, for each `(parent, range)`.
    fn children(
        self,
        len: usize,
        ranges: impl Iterator<Item = (usize, std::ops::Range<usize>)>,
    ) -> Vec<Vec<u64>> {
        let mut out = vec![Vec::new(); len];
        for (parent, range) in ranges {
            self.each(parent, &mut |row| {
                if let Some(row) = row {
                    for j in range.clone() {
                        if let Some(v) = out.get_mut(j) {
                            v.push(row);
                        }
                    }
                }
            });
        }
        out
    }
}

impl Collector<'_> {
    fn emit(&mut self, loc: &Loc, rows: Rows, i: usize, hits: &[Hit]) {
        if hits.is_empty() {
            return;
        }
        rows.each(i, &mut |row| self.record(loc, row, None, hits));
    }

    fn bytes_value(&mut self, loc: &Loc, rows: Rows, i: usize, b: &[u8]) {
        let mut hits = self.hits(&String::from_utf8_lossy(b));
        hits.extend(self.key_hit(forms::bytes_value(b), Form::Bytes));
        self.emit(loc, rows, i, &hits);
    }

    fn integer(&mut self, loc: &Loc, rows: Rows, i: usize, v: i128) {
        let hits = self.key_hit(forms::integer_value(v), Form::Integer);
        self.emit(loc, rows, i, &hits);
    }

    /// Examines every element of `array` (a column, or part of one).
    fn array(&mut self, loc: &Loc, array: &dyn Array, rows: Rows) -> Result<(), String> {
        let valid = |i: usize| array.is_valid(i);
        match array.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                for i in (0..array.len()).filter(|&i| valid(i)) {
                    let s = match array.data_type() {
                        DataType::Utf8 => array.as_string::<i32>().value(i),
                        DataType::LargeUtf8 => array.as_string::<i64>().value(i),
                        _ => array.as_string_view().value(i),
                    };
                    let hits = self.hits(s);
                    self.emit(loc, rows, i, &hits);
                }
            }
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => {
                for i in (0..array.len()).filter(|&i| valid(i)) {
                    let b = match array.data_type() {
                        DataType::Binary => array.as_binary::<i32>().value(i),
                        DataType::LargeBinary => array.as_binary::<i64>().value(i),
                        DataType::BinaryView => array.as_binary_view().value(i),
                        _ => array.as_fixed_size_binary().value(i),
                    };
                    self.bytes_value(loc, rows, i, b);
                }
            }
            DataType::Int32 | DataType::Int64 | DataType::UInt32 | DataType::UInt64 => {
                for i in (0..array.len()).filter(|&i| valid(i)) {
                    let v = match array.data_type() {
                        DataType::Int32 => i128::from(array.as_primitive::<Int32Type>().value(i)),
                        DataType::Int64 => i128::from(array.as_primitive::<Int64Type>().value(i)),
                        DataType::UInt32 => i128::from(array.as_primitive::<UInt32Type>().value(i)),
                        _ => i128::from(array.as_primitive::<UInt64Type>().value(i)),
                    };
                    self.integer(loc, rows, i, v);
                }
            }
            // Too small or not integral: cannot spell an address or name.
            DataType::Null
            | DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::UInt8
            | DataType::UInt16
            | DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Date32
            | DataType::Date64
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Timestamp(_, _)
            | DataType::Duration(_)
            | DataType::Interval(_)
            | DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _) => {}
            DataType::List(f) => {
                let list = array.as_list::<i32>();
                let o = list.value_offsets();
                let ranges = (0..list.len()).map(|i| (i, o[i] as usize..o[i + 1] as usize));
                self.child(loc, f, list.values(), rows, ranges)?;
            }
            DataType::LargeList(f) => {
                let list = array.as_list::<i64>();
                let o = list.value_offsets();
                let ranges = (0..list.len()).map(|i| (i, o[i] as usize..o[i + 1] as usize));
                self.child(loc, f, list.values(), rows, ranges)?;
            }
            DataType::FixedSizeList(f, _) => {
                let list = array.as_fixed_size_list();
                let ranges = (0..list.len()).map(|i| {
                    let start = list.value_offset_at(i);
                    (i, start..start + list.value_length() as usize)
                });
                self.child(loc, f, list.values(), rows, ranges)?;
            }
            DataType::Map(f, _) => {
                let map = array.as_map();
                let o = map.value_offsets();
                let ranges = (0..map.len()).map(|i| (i, o[i] as usize..o[i + 1] as usize));
                let entries: ArrayRef = std::sync::Arc::new(map.entries().clone());
                self.child(loc, f, &entries, rows, ranges)?;
            }
            DataType::Struct(fields) => {
                let s = array.as_struct();
                for (f, column) in fields.iter().zip(s.columns()) {
                    let inner = loc.with(&loc.place, Some(path(loc, f)));
                    self.array(&inner, column.as_ref(), rows)?;
                }
            }
            DataType::Dictionary(_, _) => {
                let dict = array.as_any_dictionary();
                let values = dict.values();
                let keys = dict.normalized_keys();
                let ranges = keys
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| dict.keys().is_valid(i))
                    .map(|(i, &k)| (i, k..k + 1));
                let value_rows = rows.children(values.len(), ranges);
                self.array(loc, values.as_ref(), Rows::Each(&value_rows))?;
            }
            other => {
                return Err(format!(
                    "column {} has type {other}, which the audit does not read",
                    loc.column.as_deref().unwrap_or("?")
                ));
            }
        }
        Ok(())
    }

    fn child(
        &mut self,
        loc: &Loc,
        field: &Field,
        values: &ArrayRef,
        rows: Rows,
        ranges: impl Iterator<Item = (usize, std::ops::Range<usize>)>,
    ) -> Result<(), String> {
        let child_rows = rows.children(values.len(), ranges);
        let inner = loc.with(&loc.place, Some(path(loc, field)));
        self.array(&inner, values.as_ref(), Rows::Each(&child_rows))
    }

    /// Field names and field metadata, nested fields included.
    fn field(&mut self, loc: &Loc, parent: Option<&str>, f: &Field) {
        let column = match parent {
            Some(p) => format!("{p}.{}", f.name()),
            None => f.name().clone(),
        };
        self.text(&loc.with("field name", Some(column.clone())), f.name());
        for (k, v) in f.metadata() {
            self.text(
                &loc.with("field metadata", Some(column.clone())),
                &format!("{k}\n{v}"),
            );
        }
        let children: Vec<&Field> = match f.data_type() {
            DataType::List(c)
            | DataType::LargeList(c)
            | DataType::ListView(c)
            | DataType::LargeListView(c)
            | DataType::FixedSizeList(c, _)
            | DataType::Map(c, _) => vec![c.as_ref()],
            DataType::Struct(fs) => fs.iter().map(|f| f.as_ref()).collect(),
            _ => Vec::new(),
        };
        for c in children {
            self.field(loc, Some(&column), c);
        }
    }
}

fn path(loc: &Loc, f: &Field) -> String {
    match &loc.column {
        Some(p) => format!("{p}.{}", f.name()),
        None => f.name().clone(),
    }
}

/// The key-value metadata entry Arrow stores its schema in: base64 of what
/// the reader decodes into field names and metadata, which are examined
/// as such (base64 text would only give chance matches).
const ARROW_SCHEMA_KEY: &str = "ARROW:schema";

fn scan_parquet(path: &Path, loc: &Loc, c: &mut Collector) -> Result<(), String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| e.to_string())?;
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    let fm = meta.file_metadata();
    for kv in fm.key_value_metadata().into_iter().flatten() {
        let value = match kv.key.as_str() {
            ARROW_SCHEMA_KEY => "",
            _ => kv.value.as_deref().unwrap_or(""),
        };
        c.text(
            &loc.with("key-value metadata", None),
            &format!("{}\n{value}", kv.key),
        );
    }
    for (k, v) in schema.metadata() {
        c.text(&loc.with("schema metadata", None), &format!("{k}\n{v}"));
    }
    if let Some(by) = fm.created_by() {
        c.text(&loc.with("created by", None), by);
    }
    for f in schema.fields() {
        c.field(loc, None, f);
    }
    let descr = fm.schema_descr();
    c.text(&loc.with("schema name", None), descr.root_schema().name());
    for col in descr.columns() {
        let column = col.path().string();
        for part in col.path().parts() {
            c.text(&loc.with("schema name", Some(column.clone())), part);
        }
    }
    for (g, rg) in meta.row_groups().iter().enumerate() {
        let place = format!("statistics of row group {g}");
        for col in rg.columns() {
            let Some(stats) = col.statistics() else {
                continue;
            };
            let at = loc.with(&place, Some(col.column_path().string()));
            // A bound is text to read and, as raw bytes, maybe an address.
            let bytes_hits = |b: &[u8]| {
                let mut h = c.hits(&String::from_utf8_lossy(b));
                h.extend(c.key_hit(forms::bytes_value(b), Form::Bytes));
                h
            };
            let hits = match stats {
                Statistics::ByteArray(s) => [s.min_opt(), s.max_opt()]
                    .into_iter()
                    .flatten()
                    .flat_map(|b| bytes_hits(b.data()))
                    .collect(),
                Statistics::FixedLenByteArray(s) => [s.min_opt(), s.max_opt()]
                    .into_iter()
                    .flatten()
                    .flat_map(|b| bytes_hits(b.data()))
                    .collect(),
                Statistics::Int32(s) => [s.min_opt(), s.max_opt()]
                    .into_iter()
                    .flatten()
                    .flat_map(|v| c.key_hit(forms::integer_value(i128::from(*v)), Form::Integer))
                    .collect(),
                Statistics::Int64(s) => [s.min_opt(), s.max_opt()]
                    .into_iter()
                    .flatten()
                    .flat_map(|v| c.key_hit(forms::integer_value(i128::from(*v)), Form::Integer))
                    .collect(),
                _ => Vec::new(),
            };
            c.record(&at, None, None, &hits);
        }
    }
    let reader = builder.build().map_err(|e| e.to_string())?;
    let mut first_row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| e.to_string())?;
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            let at = loc.with("value", Some(field.name().clone()));
            c.array(&at, array.as_ref(), Rows::From(first_row))?;
        }
        first_row += batch.num_rows() as u64;
    }
    Ok(())
}

/// Examines one file's content.
fn scan_file(path: &Path, loc: &mut Loc, c: &mut Collector) -> Result<(), String> {
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(|e| e.to_string())?;
    if magic[..n] == *b"PAR1" {
        // A Hive partition's table is its top directory, not `part-0`.
        let rel = Path::new(&loc.file);
        loc.table = match crate::output::hive::partition_day(rel) {
            Some(_) => rel.iter().next(),
            None => rel.file_stem(),
        }
        .map(|s| s.to_string_lossy().into_owned());
        return scan_parquet(path, loc, c);
    }
    let mut bytes = magic[..n].to_vec();
    file.take(decode::MAX_DECODED_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    match decode::decode(bytes)? {
        Decoded::Parquet => Err("a Parquet file inside a compressed file is not examined".into()),
        Decoded::Text(text, via) => {
            let at = Loc {
                place: "text".into(),
                via,
                ..loc.clone()
            };
            for (i, line) in text.lines().enumerate() {
                let hits = c.hits(line);
                c.record(&at, None, Some(i as u64 + 1), &hits);
            }
            Ok(())
        }
    }
}

/// Scans every file of `dir` (recursively, hidden ones included).
pub fn scan_dir(dir: &Path, ids: &Identifiers) -> Result<AuditReport, crate::Error> {
    let mut report = AuditReport::default();
    let mut c = Collector {
        ids,
        findings: BTreeSet::new(),
    };
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
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            let mut loc = Loc {
                file: rel,
                ..Loc::default()
            };
            let own_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            c.text(&loc.with("file name", None), &own_name);
            let link = std::fs::symlink_metadata(&path).map(|m| m.file_type().is_symlink());
            if path.is_dir() {
                if matches!(link, Ok(true)) {
                    report.unreadable.push((
                        path,
                        "symbolic link to a directory, not followed".to_string(),
                    ));
                } else {
                    stack.push(path);
                }
                continue;
            }
            report.files += 1;
            if let Err(message) = scan_file(&path, &mut loc, &mut c) {
                report.unreadable.push((path, message));
            }
        }
    }
    report.findings = c.findings.into_iter().collect();
    Ok(report)
}
