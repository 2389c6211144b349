//! Plain files: planned as newline-aligned ranges (a few small positioned
//! reads at the boundaries) that workers read with one positioned read
//! each; a line longer than the limit is planned as a piece nobody reads.

use std::fs::File;
use std::io;
use std::ops::Range;

use super::MAX_DOCUMENT_BYTES;

/// Ranges of about `target` bytes covering `data`, each ending just after
/// a newline (the last one may end without).
pub fn chunk_ranges(data: &[u8], target: usize) -> Vec<Range<usize>> {
    let target = target.max(1);
    let mut ranges = Vec::with_capacity(data.len() / target + 1);
    let mut start = 0;
    while start < data.len() {
        let probe = start.saturating_add(target).min(data.len());
        let end = match memchr::memchr(b'\n', &data[probe..]) {
            Some(p) => probe + p + 1,
            None => data.len(),
        };
        // `probe` may itself sit right after a newline; that is fine.
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// Reads the first `len` bytes of a plain file whole, with ordinary reads:
/// a file that shrank since gives fewer bytes (the caller compares), never
/// a crash. Files over [`MAX_DOCUMENT_BYTES`] are refused.
pub fn read_document(file: &File, len: u64) -> io::Result<Vec<u8>> {
    if len > MAX_DOCUMENT_BYTES {
        return Err(io::Error::other(format!(
            "{len} bytes is more than the {MAX_DOCUMENT_BYTES} bytes a document read whole may have"
        )));
    }
    // Fits: at most MAX_DOCUMENT_BYTES.
    let mut data = vec![0; len as usize];
    let n = fill_at(file, &mut data, 0)?;
    data.truncate(n);
    Ok(data)
}

/// One positioned read; may return fewer bytes than asked.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(file, buf, offset)
    }
}

/// Fills `buf` from `offset`, stopping early only at end of file; returns
/// the bytes read.
fn fill_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match read_at(file, &mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// The first `max` bytes of a file (fewer if it is shorter).
pub fn read_head(file: &File, max: usize) -> io::Result<Vec<u8>> {
    read_span(file, 0, max)
}

/// `len` bytes of a file from `offset` (fewer if it ends first, as a file
/// truncated meanwhile does), by positioned reads.
pub fn read_span(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    append_span(file, offset, len, &mut buf)?;
    Ok(buf)
}

/// [`read_span`] appended to `buf`, whose room is reused: a reader going
/// through a file span by span then allocates (and the kernel maps and
/// zeroes) its buffer once, not once a span. Returns the bytes appended.
pub fn append_span(file: &File, offset: u64, len: usize, buf: &mut Vec<u8>) -> io::Result<usize> {
    let old = buf.len();
    buf.resize(old + len, 0);
    let n = fill_at(file, &mut buf[old..], offset);
    buf.truncate(old + *n.as_ref().unwrap_or(&0));
    n
}

/// A piece of a plain file's reading plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Whole lines, to read and parse (the last may end without newline).
    Lines(Range<u64>),
    /// One line longer than the limit, never read: its bytes, without the
    /// newline that ends it.
    TooLong(Range<u64>),
}

/// Where a forward scan for a newline stopped.
enum Scan {
    /// At a newline, at this offset.
    Newline(u64),
    /// At the end of the file (or of the planned length).
    End,
    /// At the scan's limit, with no newline before it.
    Limit,
}

/// Scans `file` from `from` up to `until` (and at most `len`) for a
/// newline, `window` bytes at a time.
fn scan_newline(
    file: &File,
    from: u64,
    until: u64,
    len: u64,
    window: &mut [u8],
) -> io::Result<Scan> {
    let mut at = from;
    let stop = until.min(len);
    while at < stop {
        let want = window
            .len()
            .min(usize::try_from(stop - at).unwrap_or(usize::MAX));
        let n = fill_at(file, &mut window[..want], at)?;
        if n == 0 {
            return Ok(Scan::End);
        }
        if let Some(p) = memchr::memchr(b'\n', &window[..n]) {
            return Ok(Scan::Newline(at + p as u64));
        }
        at += n as u64;
    }
    Ok(if stop >= len { Scan::End } else { Scan::Limit })
}

/// The last newline in `lo..hi` of `file`, read backwards.
fn last_newline(file: &File, lo: u64, hi: u64, window: &mut [u8]) -> io::Result<Option<u64>> {
    let mut end = hi;
    while end > lo {
        let want = window
            .len()
            .min(usize::try_from(end - lo).unwrap_or(usize::MAX));
        let start = end - want as u64;
        let n = fill_at(file, &mut window[..want], start)?;
        if let Some(p) = memchr::memrchr(b'\n', &window[..n]) {
            return Ok(Some(start + p as u64));
        }
        end = start;
    }
    Ok(None)
}

/// A plan covering the first `len` bytes of `file`: ranges of about
/// `target` bytes of whole lines, each ending just after a newline (the
/// last may end without), and between them the lines longer than
/// `max_line`, which no range holds. So no range is longer than `target`
/// plus `max_line` plus one. Found with small reads at each boundary: a
/// page is enough for nearly every line, and the planning is serial
/// (64 KiB reads took 2 ms of a 1M-line file's 0.22 s on two threads).
pub fn plan_chunks(
    file: &File,
    len: u64,
    target: usize,
    max_line: usize,
) -> io::Result<Vec<Piece>> {
    plan_chunks_from(file, 0, len, target, max_line)
}

/// [`plan_chunks`] from byte `from` (a line start) on: an earlier run
/// read the bytes before, and they are not read again.
pub fn plan_chunks_from(
    file: &File,
    from: u64,
    len: u64,
    target: usize,
    max_line: usize,
) -> io::Result<Vec<Piece>> {
    let target = target.max(1) as u64;
    let max_line = max_line as u64;
    let mut window = vec![0u8; 4 << 10];
    let mut long_window = Vec::new();
    let mut pieces = Vec::with_capacity((len.saturating_sub(from) / target) as usize + 1);
    let mut start = from;
    while start < len {
        let probe = start.saturating_add(target).min(len);
        let limit = probe.saturating_add(max_line).saturating_add(1);
        match scan_newline(file, probe, limit, len, &mut window)? {
            Scan::Newline(nl) => {
                pieces.push(Piece::Lines(start..nl + 1));
                start = nl + 1;
            }
            Scan::End => {
                pieces.push(Piece::Lines(start..len));
                start = len;
            }
            Scan::Limit => {
                // The line holding `probe` is longer than the limit: the
                // range ends where it starts, and it is planned alone.
                long_window.resize(64 << 10, 0);
                let line_start =
                    last_newline(file, start, probe, &mut long_window)?.map_or(start, |nl| nl + 1);
                if line_start > start {
                    pieces.push(Piece::Lines(start..line_start));
                }
                let (end, next) = match scan_newline(file, limit, u64::MAX, len, &mut long_window)?
                {
                    Scan::Newline(nl) => (nl, nl + 1),
                    Scan::End | Scan::Limit => (len, len),
                };
                pieces.push(Piece::TooLong(line_start..end));
                start = next;
            }
        }
    }
    Ok(pieces)
}

/// Where the whole lines of `from..len` of `file` end: just after its
/// last newline, or `from` when it holds none. A last line without
/// newline may still be being written.
pub fn whole_lines_end(file: &File, from: u64, len: u64) -> io::Result<u64> {
    let mut window = vec![0u8; 64 << 10];
    Ok(last_newline(file, from, len, &mut window)?.map_or(from, |nl| nl + 1))
}

/// Reads `range` of `file` into `buf` (grown as needed, never shrunk) and
/// returns the filled part's length. A file that shrank since it was
/// planned is an error, not a short chunk.
pub fn read_range(file: &File, range: Range<u64>, buf: &mut Vec<u8>) -> io::Result<usize> {
    let want = usize::try_from(range.end.saturating_sub(range.start))
        .map_err(|_| io::Error::other("chunk larger than the address space"))?;
    if buf.len() < want {
        buf.resize(want, 0);
    }
    let n = fill_at(file, &mut buf[..want], range.start)?;
    if n < want {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the file shrank while being read (ended at byte {})",
                range.start + n as u64
            ),
        ));
    }
    Ok(want)
}
