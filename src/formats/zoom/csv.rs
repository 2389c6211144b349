//! A small RFC 4180 record splitter that keeps line numbers.
//!
//! Zoom exports are plain CSV (quoted fields, `""` escapes, CRLF), but the
//! manifest needs every physical line accounted for, and the exports mix
//! sections (a meeting block, blank lines, a participant table) that a
//! general CSV reader would flatten. Fields are returned unquoted; a record
//! whose quote is never closed runs to the end of the data.

use std::borrow::Cow;

/// One CSV record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record<'a> {
    /// First physical line of the record (1-based).
    pub line: u64,
    /// Physical lines the record spans (a quoted field may hold newlines).
    pub lines: u64,
    /// Fields, unquoted; empty for a blank line.
    pub fields: Vec<Cow<'a, str>>,
}

impl Record<'_> {
    /// Whether the line was blank (or held only separators).
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }

    /// Field `i`, trimmed, or `""`.
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |f| trim(f))
    }
}

/// `field` without white space around it, as `str::trim` gives it: a
/// field that starts and ends with a visible ASCII character (nearly every
/// field) is returned at once, where the Unicode trim cost a few percent of
/// reading an export.
pub fn trim(field: &str) -> &str {
    match field.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => field,
        [only] if only.is_ascii_graphic() => field,
        _ => field.trim(),
    }
}

/// `bytes` as text: borrowed when valid UTF-8, which the validator checks
/// much faster than the lossy decoder walks it; replacement characters
/// only otherwise.
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The length of the line `rest` starts with, up to its `\r` or `\n` (or
/// the end), if no quote comes before that: such a line is one record
/// whose fields are exactly the pieces between its commas, as the general
/// loop would read them (a quote anywhere sends the record there, since
/// one opening a field changes what ends it).
fn unquoted_line(rest: &[u8]) -> Option<usize> {
    match memchr::memchr3(b'\n', b'\r', b'"', rest) {
        Some(at) if rest.get(at) == Some(&b'"') => None,
        Some(at) => Some(at),
        None => Some(rest.len()),
    }
}

/// The length of the line ending `rest` starts with: `\r\n`, a lone `\r`
/// or `\n`, or none at the end of the data.
fn line_ending(rest: &[u8]) -> usize {
    match rest {
        [b'\r', b'\n', ..] => 2,
        [b'\r' | b'\n', ..] => 1,
        _ => 0,
    }
}

/// Calls `f` with the offset of every comma in `bytes`, in order, eight
/// bytes at a time: fields are short, so a search call per field (as
/// `memchr_iter` makes) costs more than the search itself.
fn commas(bytes: &[u8], mut f: impl FnMut(usize)) {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let y = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes) ^ COMMAS;
        // The top bit of each byte of `y` that is zero, exactly: a byte's
        // low seven bits plus 0x7f stay within the byte, so nothing
        // carries into the next, and a byte is zero only if that sum,
        // its own top bit and the mask's bits leave its top bit clear.
        let mut hits = !(((y & LOW) + LOW) | y | LOW);
        while hits != 0 {
            f(base + (hits.trailing_zeros() / 8) as usize);
            hits &= hits - 1;
        }
        base += 8;
    }
    for (i, &c) in chunks.remainder().iter().enumerate() {
        if c == b',' {
            f(base + i);
        }
    }
}

/// Splits `data` (BOM already stripped) into records, lazily.
pub fn records(data: &[u8]) -> Records<'_> {
    records_from(data, 1)
}

/// Splits `data`, a part of a document that starts at a record boundary
/// on line `line`, into records numbered from there.
pub fn records_from(data: &[u8], line: u64) -> Records<'_> {
    Records { data, pos: 0, line }
}

/// Iterator over the records of a buffer.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
}

impl Records<'_> {
    /// Where the next record starts, in bytes from the start of the data:
    /// after a record, the end of its line ending.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The line the next record starts on.
    pub fn line(&self) -> u64 {
        self.line
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        let mut record = Record {
            line: 0,
            lines: 0,
            fields: Vec::new(),
        };
        self.next_into(&mut record).then_some(record)
    }
}

/// A record that is one line without a quote, as [`Records::plain_line`]
/// finds it: its bytes without the line ending, and where the record after
/// it starts.
#[derive(Debug, Clone, Copy)]
pub struct PlainLine<'a> {
    /// The line, without its ending.
    pub bytes: &'a [u8],
    /// Where the next record starts, in bytes from the start of the data.
    pub next: usize,
}

impl<'a> PlainLine<'a> {
    /// Field `i` as [`Record::get`] gives it once the line is split, or
    /// `None` when that field is not valid UTF-8 (the splitter would
    /// decode it lossily). Finds only the commas up to field `i`.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let mut rest = self.bytes;
        for _ in 0..i {
            match memchr::memchr(b',', rest) {
                Some(at) => rest = &rest[at + 1..],
                None => return Some(""),
            }
        }
        let end = memchr::memchr(b',', rest).unwrap_or(rest.len());
        std::str::from_utf8(&rest[..end]).ok().map(trim)
    }
}

impl<'a> Records<'a> {
    /// The next record, if it is one line without a quote, left unread:
    /// a caller that needs only a few of its fields reads them from the
    /// bytes and moves on with [`Records::pass`], where splitting every
    /// field and checking the whole line cost most of reading it.
    pub fn plain_line(&self) -> Option<PlainLine<'a>> {
        let data = self.data;
        let rest = data.get(self.pos..).filter(|r| !r.is_empty())?;
        let end = unquoted_line(rest)?;
        Some(PlainLine {
            bytes: &rest[..end],
            next: self.pos + end + line_ending(&rest[end..]),
        })
    }

    /// Moves past a record [`Records::plain_line`] gave, as reading it
    /// would.
    pub fn pass(&mut self, line: PlainLine<'_>) {
        self.pos = line.next;
        self.line += 1;
    }

    /// Reads the next record into `record`, reusing its field vector (one
    /// allocation a document instead of one a row); false at the end.
    pub fn next_into(&mut self, record: &mut Record<'a>) -> bool {
        let data = self.data;
        if self.pos >= data.len() {
            return false;
        }
        let start_line = self.line;
        let fields = &mut record.fields;
        fields.clear();
        loop {
            if let Some(end) = unquoted_line(&data[self.pos..]) {
                // The rest of the record holds no quote (most records hold
                // none at all): split at every comma.
                split_plain(&data[self.pos..self.pos + end], fields);
                self.pos += end;
                self.pos += line_ending(&data[self.pos..]);
                break;
            }
            // One field, before a quote that comes later in the line, or
            // quoted.
            if data.get(self.pos) == Some(&b'"') {
                fields.push(self.quoted());
            } else {
                let end = memchr::memchr3(b',', b'\n', b'\r', &data[self.pos..])
                    .map_or(data.len(), |p| self.pos + p);
                fields.push(text(&data[self.pos..end]));
                self.pos = end;
            }
            match data.get(self.pos) {
                Some(b',') => self.pos += 1,
                _ => {
                    self.pos += line_ending(&data[self.pos..]);
                    break;
                }
            }
        }
        record.line = start_line;
        record.lines = self.line - start_line + 1;
        self.line += 1;
        true
    }

    /// The quoted field at the reading position, unquoted, with anything
    /// between its closing quote and the separator; the position moves to
    /// that separator. Borrowed when it holds no `""` escape and nothing
    /// follows the closing quote (a quoted topic, typically), where copying
    /// it byte by byte cost most of reading such a record.
    fn quoted(&mut self) -> Cow<'a, str> {
        let data = self.data;
        let mut value: Vec<u8> = Vec::new();
        // The start of the run of bytes not yet copied into `value`.
        let mut from = self.pos + 1;
        let mut at = from;
        let close = loop {
            match memchr::memchr2(b'"', b'\n', &data[at..]) {
                // A quote never closed runs to the end of the data.
                None => break data.len(),
                Some(p) if data[at + p] == b'\n' => {
                    self.line += 1;
                    at += p + 1;
                }
                Some(p) if data.get(at + p + 1) == Some(&b'"') => {
                    // An escaped quote: the run up to and with one quote.
                    value.extend_from_slice(&data[from..=at + p]);
                    at += p + 2;
                    from = at;
                }
                Some(p) => break at + p,
            }
        };
        self.pos = (close + 1).min(data.len());
        // Anything between the closing quote and the separator.
        let end = memchr::memchr3(b',', b'\n', b'\r', &data[self.pos..])
            .map_or(data.len(), |p| self.pos + p);
        let tail = &data[self.pos..end];
        self.pos = end;
        if value.is_empty() && tail.is_empty() {
            return text(&data[from..close]);
        }
        value.extend_from_slice(&data[from..close]);
        value.extend_from_slice(tail);
        match String::from_utf8(value) {
            Ok(v) => Cow::Owned(v),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }
    }
}

/// Splits a line that holds no quote at every comma into `fields`, the
/// line checked as UTF-8 once rather than each short field on its own,
/// which cost more than finding the separators.
fn split_plain<'a>(line: &'a [u8], fields: &mut Vec<Cow<'a, str>>) {
    match std::str::from_utf8(line) {
        Ok(s) => {
            // Cut at the byte offsets of commas; a comma is ASCII, so every
            // cut is on a character boundary.
            let mut from = 0;
            commas(line, |at| {
                fields.push(Cow::Borrowed(s.get(from..at).unwrap_or_default()));
                from = at + 1;
            });
            fields.push(Cow::Borrowed(s.get(from..).unwrap_or_default()));
        }
        Err(_) => fields.extend(line.split(|&c| c == b',').map(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_blank_lines_crlf_and_positions() {
        let data = b"a,\"b,c\",\"say \"\"hi\"\"\"\r\n\r\nx,y,\r\n\"multi\nline\",z\nlast";
        let r: Vec<_> = records(data).collect();
        let f = |i: usize| r[i].fields.iter().map(|c| c.as_ref()).collect::<Vec<_>>();
        assert_eq!(f(0), vec!["a", "b,c", "say \"hi\""]);
        assert!(r[1].is_blank());
        assert_eq!(f(2), vec!["x", "y", ""]);
        assert_eq!(f(3), vec!["multi\nline", "z"]);
        assert_eq!((r[3].line, r[3].lines), (4, 2));
        assert_eq!((r[4].line, f(4)), (6, vec!["last"]));
        let total: u64 = r.iter().map(|x| x.lines).sum();
        assert_eq!(total, 6);
    }

    #[test]
    fn lines_without_quotes_split_as_the_general_reader_does() {
        let data = b"a,,b\rc\r\n\xffx,y\n\n,\nq,\"r\"\nend,";
        let r: Vec<_> = records(data).collect();
        let f = |i: usize| r[i].fields.iter().map(|c| c.as_ref()).collect::<Vec<_>>();
        assert_eq!(f(0), vec!["a", "", "b"]);
        assert_eq!(f(1), vec!["c"]);
        assert_eq!(f(2), vec!["\u{fffd}x", "y"]);
        assert_eq!(f(3), vec![""]);
        assert_eq!(f(4), vec!["", ""]);
        assert_eq!(f(5), vec!["q", "r"]);
        assert_eq!(f(6), vec!["end", ""]);
        let lines: Vec<u64> = r.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn plain_lines_read_and_pass_as_records_do() {
        let data = b"a, b ,,c\r\n\xff,\xe2\x80\x83x\xe2\x80\x83,\xff\ry,\"q\"\n\nlast,";
        let mut plain = records(data);
        let mut whole = records(data);
        let mut record = Record::default();
        let mut seen = 0;
        while whole.next_into(&mut record) {
            match plain.plain_line() {
                Some(line) => {
                    for i in 0..6 {
                        // Fields that decode cleanly read as the record's.
                        if let Some(f) = line.get(i) {
                            assert_eq!(f, record.get(i), "line {} field {i}", record.line);
                        }
                    }
                    plain.pass(line);
                    seen += 1;
                }
                None => assert!(plain.next_into(&mut Record::default())),
            }
            assert_eq!(
                (plain.offset(), plain.line()),
                (whole.offset(), whole.line())
            );
        }
        assert!(plain.plain_line().is_none());
        assert_eq!(seen, 4, "the line with a quote is not plain");
        let second = records(data).nth(1).unwrap();
        let line = {
            let mut r = records(data);
            r.next();
            r.plain_line().unwrap()
        };
        assert_eq!(line.get(0), None, "invalid UTF-8 is left to the reader");
        assert_eq!((line.get(1), second.get(1)), (Some("x"), "x"));
    }

    /// The splitter as first written, a byte at a time: records as
    /// (line, lines, fields).
    fn byte_at_a_time(data: &[u8]) -> Vec<(u64, u64, Vec<String>)> {
        let (mut pos, mut line, mut out) = (0, 1u64, Vec::new());
        while pos < data.len() {
            let start = line;
            let mut fields = Vec::new();
            loop {
                let mut value = Vec::new();
                if data.get(pos) == Some(&b'"') {
                    pos += 1;
                    while pos < data.len() {
                        match data[pos] {
                            b'"' if data.get(pos + 1) == Some(&b'"') => {
                                value.push(b'"');
                                pos += 2;
                            }
                            b'"' => {
                                pos += 1;
                                break;
                            }
                            c => {
                                line += u64::from(c == b'\n');
                                value.push(c);
                                pos += 1;
                            }
                        }
                    }
                }
                while pos < data.len() && !b",\r\n".contains(&data[pos]) {
                    value.push(data[pos]);
                    pos += 1;
                }
                fields.push(String::from_utf8_lossy(&value).into_owned());
                match data.get(pos) {
                    Some(b',') => pos += 1,
                    Some(b'\r') if data.get(pos + 1) == Some(&b'\n') => {
                        pos += 2;
                        break;
                    }
                    Some(b'\r' | b'\n') => {
                        pos += 1;
                        break;
                    }
                    _ => break,
                }
            }
            out.push((start, line - start + 1, fields));
            line += 1;
        }
        out
    }

    #[test]
    fn every_short_text_splits_as_a_byte_at_a_time() {
        // Every string of up to six of these bytes, and longer mixes.
        let alphabet: &[u8] = b"a,\"\n\r\xff";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..6 {
            let longer: Vec<Vec<u8>> = texts
                .iter()
                .filter(|t| t.len() == texts.last().map_or(0, Vec::len))
                .flat_map(|t| {
                    alphabet.iter().map(move |&c| {
                        let mut t = t.clone();
                        t.push(c);
                        t
                    })
                })
                .collect();
            texts.extend(longer);
        }
        texts.push(b"x,\"a \"\"b\"\" c\"tail,\"multi\nline\r\n\",\"\"\r\nz,\"\"\"\"\n".to_vec());
        for t in &texts {
            let got: Vec<_> = records(t)
                .map(|r| {
                    let f = r.fields.iter().map(|f| f.to_string()).collect();
                    (r.line, r.lines, f)
                })
                .collect();
            assert_eq!(got, byte_at_a_time(t), "{:?}", String::from_utf8_lossy(t));
        }
    }

    #[test]
    fn trim_trims_as_str_trim_does() {
        for t in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{2003}a",
            "a\u{2003}",
            "\u{85}",
            "é",
            "a b",
            "\t-\r",
        ] {
            assert_eq!(trim(t), t.trim(), "{t:?}");
        }
    }

    #[test]
    fn commas_are_found_in_words_and_in_the_tail() {
        let mut line: Vec<u8> = (0u8..=255).filter(|&c| c != b',').collect();
        for at in [0, 7, 8, 9, 63, 64, 100, 250, 253] {
            line.insert(at, b',');
        }
        for end in 0..line.len() {
            let mut found = Vec::new();
            commas(&line[..end], |at| found.push(at));
            let want: Vec<usize> = memchr::memchr_iter(b',', &line[..end]).collect();
            assert_eq!(found, want, "{end}");
        }
    }

    #[test]
    fn unterminated_quote_does_not_panic() {
        assert_eq!(records(b"a,\"open\nstill").count(), 1);
        assert_eq!(records(b"\"").count(), 1);
        assert_eq!(records(b"").count(), 0);
    }
}
