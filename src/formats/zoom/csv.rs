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
        self.fields.get(i).map_or("", |f| f.trim())
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

impl<'a> Records<'a> {
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
        if let Some(end) = unquoted_line(&data[self.pos..]) {
            // Most records hold no quote: split at every comma, the line
            // checked as UTF-8 once rather than each short field on its
            // own, which cost more than finding the separators.
            let line = &data[self.pos..self.pos + end];
            match std::str::from_utf8(line) {
                Ok(s) => {
                    // Cut at the byte offsets of commas; a comma is ASCII,
                    // so every cut is on a character boundary.
                    let mut from = 0;
                    commas(line, |at| {
                        fields.push(Cow::Borrowed(s.get(from..at).unwrap_or_default()));
                        from = at + 1;
                    });
                    fields.push(Cow::Borrowed(s.get(from..).unwrap_or_default()));
                }
                Err(_) => fields.extend(line.split(|&c| c == b',').map(text)),
            }
            self.pos += end;
            self.pos += match (data.get(self.pos), data.get(self.pos + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\r' | b'\n'), _) => 1,
                _ => 0,
            };
            record.line = start_line;
            record.lines = 1;
            self.line += 1;
            return true;
        }
        loop {
            // One field.
            if data.get(self.pos) == Some(&b'"') {
                let mut value = Vec::new();
                self.pos += 1;
                while self.pos < data.len() {
                    match data[self.pos] {
                        b'"' if data.get(self.pos + 1) == Some(&b'"') => {
                            value.push(b'"');
                            self.pos += 2;
                        }
                        b'"' => {
                            self.pos += 1;
                            break;
                        }
                        b'\n' => {
                            self.line += 1;
                            value.push(b'\n');
                            self.pos += 1;
                        }
                        c => {
                            value.push(c);
                            self.pos += 1;
                        }
                    }
                }
                // Anything between the closing quote and the separator.
                let end = memchr::memchr3(b',', b'\n', b'\r', &data[self.pos..])
                    .map_or(data.len(), |p| self.pos + p);
                value.extend_from_slice(&data[self.pos..end]);
                self.pos = end;
                fields.push(Cow::Owned(match String::from_utf8(value) {
                    Ok(v) => v,
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                }));
            } else {
                let end = memchr::memchr3(b',', b'\n', b'\r', &data[self.pos..])
                    .map_or(data.len(), |p| self.pos + p);
                fields.push(text(&data[self.pos..end]));
                self.pos = end;
            }
            match data.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\r') if data.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    break;
                }
                Some(b'\r' | b'\n') => {
                    self.pos += 1;
                    break;
                }
                _ => break,
            }
        }
        record.line = start_line;
        record.lines = self.line - start_line + 1;
        self.line += 1;
        true
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
