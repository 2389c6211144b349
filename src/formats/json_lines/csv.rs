//! CSV and TSV access logs whose first line names the columns: Cloudflare
//! Logpush with `output_type: csv` and its documented header (a
//! `batch_prefix` of the field names, `ClientIP,ClientRequestHost,…`), and
//! any other CSV whose header uses names the JSON reader knows.
//!
//! The header's names are looked up in the JSON reader's alias table
//! (`aliases`), so a field means the same in either shape, and each row is
//! assembled by the JSON reader's own code: only the splitting differs.
//! Cloudflare quotes strings and leaves numbers bare (`"192.0.2.1",1506702504433000200`);
//! a doubled `""` or a `\"` inside quotes is part of the value, kept as
//! logged, like escapes in other formats.
//!
//! A header is a batch prefix, so files that join several batches repeat
//! it: a line equal to the header is skipped as a header. The columns come
//! from the first header only; a later header naming other columns is
//! rejected with the lines after it (the trade-off for reading lines in
//! parallel chunks, which cannot see the header before them).

use super::aliases::{ALIASES, Field, candidates};
use super::values::time_of;
use super::{Fields, record, status};
use crate::formats::{LogFormat, ParseContext, RawRecord, Reject, Skip, default_skip};

/// The name `logveil formats` lists and the manifest writes.
pub const NAME: &str = "csv";

/// What `logveil formats` says of this reader.
pub const DESCRIPTION: &str = "CSV or TSV with a header line of field names (Cloudflare Logpush csv), columns by the JSON key aliases";

/// Most columns a header may have: Cloudflare's widest dataset has about 80.
const MAX_COLUMNS: usize = 512;

/// The columns of one CSV log, from its header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLayout {
    /// `,` or a tab.
    delimiter: u8,
    /// The header as written, to recognise its repeats.
    header: Vec<u8>,
    /// Per column, the position in [`ALIASES`] of the name it carries.
    columns: Vec<Option<usize>>,
}

/// A line without its terminator's carriage return.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Whether a header cell is a field name rather than a value.
fn is_name(cell: &[u8]) -> bool {
    cell.first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_' || *c == b'@')
        && cell
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-@()".contains(c))
}

/// The position in [`ALIASES`] of the name a whole header cell spells.
fn alias_of(cell: &[u8]) -> Option<usize> {
    let cell = std::str::from_utf8(cell).ok()?;
    candidates(cell.as_bytes()).iter().copied().find(|&i| {
        let name = ALIASES[i].name;
        if ALIASES[i].case_sensitive {
            name == cell
        } else {
            name.eq_ignore_ascii_case(cell)
        }
    })
}

impl CsvLayout {
    /// The layout a header line names, if every cell is a name and the
    /// names include a client and a time: what makes it an access log.
    pub fn from_header(line: &[u8]) -> Option<CsvLayout> {
        let line = strip_cr(line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line));
        let delimiter = if line.contains(&b',') {
            b','
        } else if line.contains(&b'\t') {
            b'\t'
        } else {
            return None;
        };
        let mut columns = Vec::new();
        for cell in line.split(|c| *c == delimiter) {
            let cell = cell.trim_ascii();
            let cell = cell
                .strip_prefix(b"\"")
                .and_then(|c| c.strip_suffix(b"\""))
                .unwrap_or(cell);
            if !is_name(cell) || columns.len() == MAX_COLUMNS {
                return None;
            }
            columns.push(alias_of(cell));
        }
        let has = |field: Field| columns.iter().flatten().any(|&i| ALIASES[i].field == field);
        (has(Field::Client) && has(Field::Time)).then(|| CsvLayout {
            delimiter,
            header: line.to_vec(),
            columns,
        })
    }

    /// The layout of a document: the header on its first non-blank line.
    pub fn of(data: &[u8]) -> Option<CsvLayout> {
        let first = data
            .split(|c| *c == b'\n')
            .find(|l| !l.trim_ascii().is_empty())?;
        CsvLayout::from_header(first)
    }

    /// Splits a row into `cells`, one per column, each without its quotes.
    fn cells<'a>(&self, line: &'a [u8], cells: &mut Vec<&'a [u8]>) -> Result<(), Reject> {
        let mut rest = line;
        loop {
            if cells.len() == self.columns.len() {
                return Err(Reject::Malformed);
            }
            let (cell, next) = if let Some(body) = rest.strip_prefix(b"\"") {
                let end = closing_quote(body).ok_or(Reject::UnterminatedQuote)?;
                let after = &body[end + 1..];
                match after.first() {
                    None => (&body[..end], None),
                    Some(c) if *c == self.delimiter => (&body[..end], Some(&after[1..])),
                    Some(_) => return Err(Reject::Malformed),
                }
            } else {
                match memchr::memchr(self.delimiter, rest) {
                    Some(p) => (&rest[..p], Some(&rest[p + 1..])),
                    None => (rest, None),
                }
            };
            cells.push(cell);
            match next {
                Some(n) => rest = n,
                None => break,
            }
        }
        if cells.len() < self.columns.len() {
            return Err(Reject::Truncated);
        }
        Ok(())
    }
}

/// The position of the quote that closes a quoted value, `body` starting
/// after the opening one: a doubled `""` and a `\"` are inside the value.
fn closing_quote(body: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(p) = memchr::memchr2(b'"', b'\\', &body[i..]) {
        let at = i + p;
        match body[at] {
            b'\\' => i = at + 2,
            _ if body.get(at + 1) == Some(&b'"') => i = at + 2,
            _ => return Some(at),
        }
        if i > body.len() {
            return None;
        }
    }
    None
}

/// Whether the first line of `head` is a CSV header this reader takes.
pub fn sniff(head: &[u8]) -> bool {
    CsvLayout::of(head).is_some()
}

impl LogFormat for CsvLayout {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn skip(&self, line: &[u8]) -> Option<Skip> {
        default_skip(line).or_else(|| {
            let line = strip_cr(line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line));
            (line == self.header.as_slice()).then_some(Skip::Header)
        })
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let line = strip_cr(line);
        let mut cells = Vec::with_capacity(self.columns.len());
        self.cells(line, &mut cells)?;
        let mut fields = Fields::empty();
        for (rank, cell) in self.columns.iter().zip(cells) {
            if let Some(rank) = rank {
                fields.offer(*rank, cell);
            }
        }
        let client = fields.get(Field::Client).ok_or(Reject::BadClient)?;
        let time = fields
            .get(Field::Time)
            .and_then(|t| time_of(t, cx))
            .ok_or(Reject::BadTimestamp)?;
        let status = status(&fields, false)?;
        Ok(record(&fields, client, time, status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Request;

    const HEADER: &str = "ClientIP,ClientRequestHost,ClientRequestMethod,ClientRequestURI,EdgeStartTimestamp,EdgeResponseStatus,EdgeResponseBytes,ClientRequestUserAgent,ClientRequestReferer,RayID";

    fn layout() -> CsvLayout {
        CsvLayout::from_header(HEADER.as_bytes()).unwrap()
    }

    #[test]
    fn a_cloudflare_row_reads_as_its_json_twin() {
        let row = br#""198.51.100.7","www.example.com","POST","/login?next=%2F",1506702504433000200,302,321,"Mozilla/5.0 (X11; Linux x86_64) ""quoted""","https://www.example.com/","3a6050bcbe121a87""#;
        let r = layout().parse(row, &mut ParseContext::default()).unwrap();
        assert_eq!(r.client, b"198.51.100.7");
        assert_eq!(r.time, 1_506_702_504);
        assert_eq!(
            r.request,
            Request::Http {
                method: b"POST",
                target: b"/login?next=%2F",
                protocol: b""
            }
        );
        assert_eq!((r.status, r.bytes), (302, 321));
        assert_eq!(r.vhost, Some(&b"www.example.com"[..]));
        assert_eq!(
            r.user_agent,
            Some(&br#"Mozilla/5.0 (X11; Linux x86_64) ""quoted"""#[..])
        );
        assert_eq!(r.referer, Some(&b"https://www.example.com/"[..]));
    }

    #[test]
    fn headers_tabs_and_repeats() {
        assert!(sniff(format!("\u{feff}{HEADER}\r\n").as_bytes()));
        let tsv = CsvLayout::from_header(b"ClientIP\tEdgeStartTimestamp\tRayID").unwrap();
        let r = tsv
            .parse(
                b"\"192.0.2.9\"\t2017-09-29T16:28:24Z\t\"3a6050bcbe121a87\"",
                &mut ParseContext::default(),
            )
            .unwrap();
        assert_eq!((r.time, r.status), (1_506_702_504, 200));
        assert_eq!(
            tsv.skip(b"ClientIP\tEdgeStartTimestamp\tRayID\r"),
            Some(Skip::Header)
        );
        assert_eq!(tsv.skip(b""), Some(Skip::Blank));
        // Not headers: no time, no client, values, another format's line.
        assert!(CsvLayout::from_header(b"ClientIP,RayID").is_none());
        assert!(CsvLayout::from_header(b"EdgeStartTimestamp,RayID").is_none());
        assert!(CsvLayout::from_header(b"\"192.0.2.1\",1506702504433000200").is_none());
        assert!(!sniff(
            b"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a,b HTTP/1.0\" 200 1\n"
        ));
        assert!(!sniff(
            b"{\"ClientIP\":\"192.0.2.1\",\"EdgeStartTimestamp\":1}\n"
        ));
    }

    #[test]
    fn damaged_rows_are_rejected_by_reason() {
        let l = layout();
        let mut cx = ParseContext::default();
        let short = br#""198.51.100.7","www.example.com","GET","/",1506702504433000200"#;
        assert_eq!(l.parse(short, &mut cx), Err(Reject::Truncated));
        let long = br#""192.0.2.1","h","GET","/",1,200,1,"ua","-","r",extra"#;
        assert_eq!(l.parse(long, &mut cx), Err(Reject::Malformed));
        let open =
            br#""198.51.100.7","www.example.com","GET","/",1506702504433000200,200,1,"curl/8"#;
        assert_eq!(l.parse(open, &mut cx), Err(Reject::UnterminatedQuote));
        let stray = br#""198.51.100.7"x,"h","GET","/",1,200,1,"ua","-","r""#;
        assert_eq!(l.parse(stray, &mut cx), Err(Reject::Malformed));
        let no_time = br#""198.51.100.7","h","GET","/",,200,1,"ua","-","r""#;
        assert_eq!(l.parse(no_time, &mut cx), Err(Reject::BadTimestamp));
        let no_client = br#""","h","GET","/",1506702504433000200,200,1,"ua","-","r""#;
        assert_eq!(l.parse(no_client, &mut cx), Err(Reject::BadClient));
        let bad_status = br#""192.0.2.1","h","GET","/",1506702504433000200,"x",1,"ua","-","r""#;
        assert_eq!(l.parse(bad_status, &mut cx), Err(Reject::BadStatus));
        // A trailing backslash escape at the end of a line does not panic.
        assert!(l.parse(br#""192.0.2.1\"#, &mut cx).is_err());
    }

    proptest::proptest! {
        /// Rows with random damage, and random headers, never panic.
        #[test]
        fn damaged_rows_never_panic(
            edits in proptest::collection::vec((0usize..200, proptest::prelude::any::<u8>(), 0..3u8), 0..8),
            header in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
        ) {
            let mut row = br#""198.51.100.7","www.example.com","GET","/a?b=""c""",1506702504433000200,200,1,"ua \"q\"","-","r""#.to_vec();
            for (at, byte, op) in edits {
                if row.is_empty() {
                    break;
                }
                let i = at % row.len();
                match op {
                    0 => row[i] = byte,
                    1 => row.insert(i, byte),
                    _ => row.truncate(i),
                }
            }
            let l = layout();
            let _ = l.skip(&row);
            let _ = l.parse(&row, &mut ParseContext::default());
            if let Some(h) = CsvLayout::from_header(&header) {
                let _ = h.parse(&row, &mut ParseContext::default());
            }
        }
    }
}
