//! The directives of a W3C document (`#Software:`, `#Date:`, `#Fields:`)
//! and the columns they put in force, read in file order.
//!
//! A document is read as a stream of newline-aligned chunks, never whole:
//! [`Layout`] carries what the directives so far said from one chunk to
//! the next, and cuts each chunk into [`Piece`]s where a directive changes
//! the columns, so a chunk may hold several headers. Only lines that start
//! with `#` are looked at, found with one `memchr` pass for `\n#`, so a
//! chunk without directives costs one scan. [`segments`] gives the same
//! reading of a buffer at once, for `logveil detect`.

use std::ops::Range;

use super::{W3cFields, day_start};

/// Prefix of the header that names the columns.
pub const FIELDS: &[u8] = b"#Fields:";

/// Prefix of the directive that names the program that wrote the log.
pub const SOFTWARE: &[u8] = b"#Software:";

/// Prefix of the directive that dates the lines after it.
const DATE: &[u8] = b"#Date:";

/// Whether a buffer looks like a W3C extended log (a `#Fields:` line, or the
/// `#Software`/`#Version` directives IIS writes first).
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(SOFTWARE)
        || head.starts_with(b"#Version:")
        || head.starts_with(FIELDS)
        || memchr::memmem::find(head, b"\n#Fields:").is_some()
}

/// Byte offsets where each line that starts with `prefix` starts, in order.
fn line_starts(data: &[u8], prefix: &[u8]) -> Vec<usize> {
    let mut needle = Vec::with_capacity(prefix.len() + 1);
    needle.push(b'\n');
    needle.extend_from_slice(prefix);
    let mut offsets: Vec<usize> = memchr::memmem::find_iter(data, &needle)
        .map(|p| p + 1)
        .collect();
    if data.starts_with(prefix) {
        offsets.insert(0, 0);
    }
    offsets
}

/// Byte offsets where each `#Fields:` line starts, in order.
pub fn header_offsets(data: &[u8]) -> Vec<usize> {
    line_starts(data, FIELDS)
}

/// The line that starts at `start`, without its terminator.
pub fn line_at(data: &[u8], start: usize) -> &[u8] {
    let rest = data.get(start..).unwrap_or_default();
    let line = memchr::memchr(b'\n', rest).map_or(rest, |p| &rest[..p]);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// What the directives read so far put in force.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The last `#Software:` line names the Advanced Logging module.
    advanced: bool,
    /// The day of the last `#Date:` line.
    day: Option<i64>,
    /// The columns of the last usable `#Fields:` header.
    fields: Option<W3cFields>,
}

/// A run of whole lines of a chunk, read with one set of columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Where the lines are in the chunk.
    pub range: Range<usize>,
    /// The columns in force; `None` before the first usable header.
    pub fields: Option<W3cFields>,
}

impl Layout {
    /// The columns in force.
    pub fn fields(&self) -> Option<&W3cFields> {
        self.fields.as_ref()
    }

    /// Reads one directive line. Returns the compiled header when it is a
    /// `#Fields:` line (`Some(None)` when that header is unusable, which
    /// leaves the columns in force as they were).
    fn directive(&mut self, line: &[u8]) -> Option<Option<W3cFields>> {
        if line.starts_with(SOFTWARE) {
            self.advanced = line
                .windows(16)
                .any(|w| w.eq_ignore_ascii_case(b"advanced logging"));
        } else if let Some(rest) = line.strip_prefix(DATE) {
            // `#Date: 2000-10-09 16:44:49`; other spellings (Incapsula's
            // `28/Jun/2017 07:28:59`) date nothing.
            let rest = rest.trim_ascii_start();
            self.day = rest.get(..10).and_then(day_start);
            if let Some(f) = self.fields.as_mut().filter(|f| f.needs_day()) {
                f.day = self.day;
            }
        } else if line.starts_with(FIELDS) {
            let mut compiled = W3cFields::compile(line, self.advanced);
            if let Some(f) = compiled.as_mut().filter(|f| f.needs_day()) {
                f.day = self.day;
            }
            if compiled.is_some() {
                self.fields.clone_from(&compiled);
            }
            return Some(compiled);
        }
        None
    }

    /// Cuts `chunk` (whole lines) where a directive changes the columns;
    /// the directive line starts the piece it governs. Reads every
    /// directive of the chunk.
    pub fn split(&mut self, chunk: &[u8]) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut start = 0;
        for at in line_starts(chunk, b"#") {
            let before = self.fields.clone();
            self.directive(line_at(chunk, at));
            if self.fields != before {
                if at > start {
                    pieces.push(Piece {
                        range: start..at,
                        fields: before,
                    });
                }
                start = at;
            }
        }
        if start < chunk.len() {
            pieces.push(Piece {
                range: start..chunk.len(),
                fields: self.fields.clone(),
            });
        }
        pieces
    }
}

/// One `#Fields:` header of a file and the columns compiled from it.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Byte offset of the `#Fields:` line; its segment runs to the next.
    pub start: usize,
    /// The columns, `None` when the header lacks a client or a time.
    pub fields: Option<W3cFields>,
}

/// Every `#Fields:` header of `data`, in order, each compiled with the
/// directives before it: the dialect of the last `#Software:` line (IIS
/// writes one with every header block, so concatenated files keep their
/// own) and the day of the last `#Date:` line.
pub fn segments(data: &[u8]) -> Vec<Segment> {
    let mut layout = Layout::default();
    line_starts(data, b"#")
        .into_iter()
        .filter_map(|start| {
            layout
                .directive(line_at(data, start))
                .map(|fields| Segment { start, fields })
        })
        .collect()
}
