//! Splitting a W3C line into its values.
//!
//! IIS's own lines are plain: single spaces (CloudFront: tabs) between
//! values that hold neither. Those keep the one fast split they always had,
//! and so read exactly as before. A space-separated line that holds a
//! quote or two spaces in a row is read tolerantly: runs of spaces are one
//! separator, and a value that starts with a quote and whose closing quote
//! ends it keeps its spaces, without the quotes. The trade-off: when the
//! tolerant reading does not give the header's count of values but the
//! plain split does (an agent that itself starts with a quote, as IIS logs
//! it), the plain split wins, so no line that read before is lost.
//!
//! The Advanced Logging dialect quotes strictly and is read by
//! [`quoted_value`], which rejects a stray quote rather than shift the
//! columns after it.

use super::{Col, Dialect, Reject, SLOTS, Values, W3cFields};

/// Splits `line` by the columns and dialect of `fields`.
pub(super) fn split<'a>(fields: &W3cFields, line: &'a [u8]) -> Result<Values<'a>, Reject> {
    let (out, n) = match fields.dialect {
        Dialect::Standard => standard(fields, line),
        Dialect::AdvancedLogging => advanced(fields, line)?,
    };
    match n.cmp(&fields.cols.len()) {
        std::cmp::Ordering::Less => Err(Reject::Truncated),
        std::cmp::Ordering::Greater => Err(Reject::Malformed),
        std::cmp::Ordering::Equal => Ok(out),
    }
}

/// Collects values into their slots, the first value of a column winning.
struct Collect<'f, 'a> {
    fields: &'f W3cFields,
    out: Values<'a>,
    n: usize,
}

impl<'f, 'a> Collect<'f, 'a> {
    fn new(fields: &'f W3cFields) -> Self {
        Collect {
            fields,
            out: [None; SLOTS],
            n: 0,
        }
    }

    fn keep(&mut self, v: &'a [u8]) {
        if let Some(Some(c)) = self.fields.cols.get(self.n) {
            self.out[*c as usize].get_or_insert(v);
        }
        self.n += 1;
    }

    /// Whether the column about to be read holds a date and a time, which
    /// an unquoted value writes as two words.
    fn stamp_next(&self) -> bool {
        matches!(
            self.fields.cols.get(self.n),
            Some(Some(Col::BeginUtc | Col::EndUtc))
        )
    }

    fn done(self) -> (Values<'a>, usize) {
        (self.out, self.n)
    }
}

fn standard<'a>(fields: &W3cFields, line: &'a [u8]) -> (Values<'a>, usize) {
    // IIS separates values with spaces; CloudFront (same header scheme)
    // with tabs.
    // One scan finds both a tab and a quote (the hot path of a plain IIS
    // line scans it once here and once to split it).
    let (tab, quote) = match memchr::memchr2(b'\t', b'"', line) {
        None => (false, false),
        Some(p) if line[p] == b'\t' => (true, false),
        Some(p) => (memchr::memchr(b'\t', &line[p + 1..]).is_some(), true),
    };
    if tab {
        return plain(fields, line, b'\t').values;
    }
    let strict = plain(fields, line, b' ');
    // Neither quotes nor runs of spaces: the plain split is the reading.
    if !quote && !strict.run_of_spaces {
        return strict.values;
    }
    let loose = tolerant(fields, line);
    if loose.1 == fields.cols.len() || strict.values.1 != fields.cols.len() {
        loose
    } else {
        strict.values
    }
}

/// A plain split, and whether it met two separators in a row inside the
/// line (a run of spaces, which the tolerant reading takes as one).
struct Plain<'a> {
    values: (Values<'a>, usize),
    run_of_spaces: bool,
}

/// One value between each two separators.
fn plain<'a>(fields: &W3cFields, line: &'a [u8], sep: u8) -> Plain<'a> {
    // An empty value that is neither the first nor the last: two
    // separators in a row inside the line.
    let mut run_of_spaces = false;
    let mut empty_before = false;
    let mut c = Collect::new(fields);
    for (i, v) in line.split(|c| *c == sep).enumerate() {
        run_of_spaces |= empty_before;
        empty_before = v.is_empty() && i > 0;
        c.keep(v);
    }
    let (values, mut n) = c.done();
    // CloudFront's documented example log ends a record with a stray tab:
    // an empty value past the last column is not a column (and was kept
    // in no slot, since the layout has no column there).
    if empty_before && n == fields.cols.len() + 1 {
        n -= 1;
    }
    Plain {
        values: (values, n),
        run_of_spaces,
    }
}

/// Runs of spaces between values; a value in quotes keeps its spaces.
fn tolerant<'a>(fields: &W3cFields, line: &'a [u8]) -> (Values<'a>, usize) {
    let mut c = Collect::new(fields);
    let mut at = 0;
    let skip_spaces = |mut i: usize| {
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    };
    at = skip_spaces(at);
    while at < line.len() {
        let word_end = memchr::memchr(b' ', &line[at..]).map_or(line.len(), |p| at + p);
        let (value, end) = match quoted_end(line, at) {
            Some(close) => (&line[at + 1..close], close + 1),
            None => (&line[at..word_end], word_end),
        };
        c.keep(value);
        at = skip_spaces(end);
    }
    c.done()
}

/// Where the closing quote of a value that opens with one at `start` is:
/// the first quote followed by a space or the end of the line.
fn quoted_end(line: &[u8], start: usize) -> Option<usize> {
    if line.get(start) != Some(&b'"') {
        return None;
    }
    let mut from = start + 1;
    loop {
        let close = from + memchr::memchr(b'"', line.get(from..)?)?;
        match line.get(close + 1) {
            None | Some(b' ') => return Some(close),
            Some(_) => from = close + 1,
        }
    }
}

fn advanced<'a>(fields: &W3cFields, line: &'a [u8]) -> Result<(Values<'a>, usize), Reject> {
    let mut c = Collect::new(fields);
    let mut at = Some(0);
    while let Some(start) = at {
        let (v, next) = quoted_value(line, start, c.stamp_next())?;
        c.keep(v);
        at = next;
    }
    Ok(c.done())
}

/// The value of an Advanced Logging line that starts at `start` (quotes
/// removed, a doubled quote inside left as written) and where the next
/// value starts, `None` after the last. `stamp`: the column holds a date
/// and time, which an unquoted value writes as two words.
fn quoted_value(line: &[u8], start: usize, stamp: bool) -> Result<(&[u8], Option<usize>), Reject> {
    let rest = line.get(start..).unwrap_or_default();
    if let Some(inner) = rest.strip_prefix(b"\"") {
        let mut from = 0;
        loop {
            let close = from
                + memchr::memchr(b'"', inner.get(from..).unwrap_or_default())
                    .ok_or(Reject::UnterminatedQuote)?;
            match inner.get(close + 1) {
                Some(b'"') => from = close + 2,
                None => return Ok((&inner[..close], None)),
                Some(b' ') => return Ok((&inner[..close], Some(start + close + 3))),
                Some(_) => return Err(Reject::Malformed),
            }
        }
    }
    let word_end =
        |from: usize| memchr::memchr(b' ', &line[from..]).map_or(line.len(), |p| from + p);
    let mut end = word_end(start);
    if stamp && end < line.len() && is_date(&line[start..end]) {
        end = word_end(end + 1);
    }
    Ok((&line[start..end], (end < line.len()).then_some(end + 1)))
}

fn is_date(v: &[u8]) -> bool {
    v.len() == 10 && v[4] == b'-' && v[7] == b'-'
}
