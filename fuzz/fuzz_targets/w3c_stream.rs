//! A W3C extended log read as a stream: `w3c::Layout::split` cuts each
//! chunk where a `#Fields:`, `#Date:` or `#Software:` directive changes the
//! columns, and carries the directives in force from one chunk to the
//! next. The pipeline (`read_w3c` in `pipeline/sources.rs`) reads every
//! W3C file this way, in chunks whose size depends on the machine and the
//! file, so the records must not depend on where the chunks were cut.
//!
//! The input's first byte picks a chunk size in lines (1 to 16); the rest
//! is the document. It is read once as one chunk and once cut into chunks
//! of that many whole lines (the pipeline's chunks are newline-aligned).
//! Both readings must give the same records, line for line: each line's
//! `skip`, and its `parse` result, under the columns then in force. Lines
//! before the first usable header wait, as in the pipeline, and are read
//! with the first columns once there are some.
//!
//! Also checked: the pieces of a chunk cover it contiguously, in order,
//! none empty; and a parsed record's client, time and status are what
//! `check` in `parse_line` asserts for every other format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logveil::formats::w3c::{Layout, W3cFields};
use logveil::formats::{LogFormat, NO_RESPONSE, ParseContext, Reject, Skip};

/// What one line became, in a form that can be compared across readings.
/// The record is kept as its `Debug` text: the fields borrow from the line
/// in either reading (different buffers), so their bytes are what counts.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Skipped(Skip),
    Parsed(String),
    Rejected(Reject),
}

/// Reads the lines of one piece with `fields`, appending `(line number,
/// outcome)`; `first` is the piece's first line number in the document.
fn read_piece(fields: &W3cFields, data: &[u8], first: usize, out: &mut Vec<(usize, Outcome)>) {
    let mut cx = ParseContext::default();
    // `split` pieces hold whole lines; a final `\n` ends the last one
    // rather than starting an empty one.
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    for (i, line) in body.split(|c| *c == b'\n').enumerate() {
        let outcome = if let Some(why) = fields.skip(line) {
            Outcome::Skipped(why)
        } else {
            match fields.parse(line, &mut cx) {
                Ok(r) => {
                    assert!(
                        r.status == NO_RESPONSE || (100..=999).contains(&r.status),
                        "status {}",
                        r.status
                    );
                    let _ = logveil::time::rfc3339(r.time);
                    Outcome::Parsed(format!("{r:?}"))
                }
                Err(e) => Outcome::Rejected(e),
            }
        };
        out.push((first + i, outcome));
    }
}

/// Reads `chunks` (consecutive, newline-aligned pieces of one document) as
/// the pipeline does.
fn read(chunks: &[&[u8]]) -> Vec<(usize, Outcome)> {
    let mut layout = Layout::default();
    let mut out = Vec::new();
    let mut waiting: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut line = 0usize;
    // The columns of the first usable header, for the lines before it.
    let mut first: Option<W3cFields> = None;
    for chunk in chunks {
        let pieces = layout.split(chunk);
        let mut at = 0;
        for piece in pieces {
            assert_eq!(piece.range.start, at, "pieces not contiguous");
            assert!(piece.range.start < piece.range.end, "empty piece");
            at = piece.range.end;
            let data = &chunk[piece.range];
            match piece.fields {
                Some(f) => {
                    read_piece(&f, data, line, &mut out);
                    first.get_or_insert(f);
                }
                None => waiting.push((line, data.to_vec())),
            }
            line += memchr_count(data);
        }
        assert_eq!(at, chunk.len(), "pieces do not cover the chunk");
    }
    if let Some(first) = &first {
        for (line, data) in &waiting {
            read_piece(first, data, *line, &mut out);
        }
    }
    out.sort_by_key(|(l, _)| *l);
    out
}

fn memchr_count(data: &[u8]) -> usize {
    data.iter().filter(|&&c| c == b'\n').count()
}

fuzz_target!(|input: &[u8]| {
    let Some((&pick, doc)) = input.split_first() else {
        return;
    };
    let per_chunk = usize::from(pick % 16) + 1;
    let whole = read(&[doc]);
    let lines: Vec<&[u8]> = doc.split_inclusive(|c| *c == b'\n').collect();
    let chunks: Vec<Vec<u8>> = lines.chunks(per_chunk).map(|c| c.concat()).collect();
    let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
    let cut = read(&chunks);
    assert!(
        whole == cut,
        "{per_chunk} lines a chunk reads differently:\n{whole:?}\n{cut:?}"
    );
});
