//! Opening inputs and cutting them into newline-aligned chunks.
//!
//! Plain files are planned as newline-aligned byte ranges (a few small
//! reads at the boundaries), and each worker reads its range with one
//! positioned read into a buffer it reuses. Compressed files (gzip, zstd,
//! bzip2, recognised by magic bytes) stream through their decompressor
//! into owned buffers of about the same size, ending at a line boundary
//! (the partial last line is carried to the next buffer).
//!
//! Memory is bounded whatever the input: a line longer than
//! [`Limits::max_line`] is never held. The planner ends a chunk where such
//! a line starts and plans the line as a [`Piece::TooLong`] that nobody
//! reads; the stream chunker skips its bytes through a small scratch
//! buffer and reports its range in [`OwnedChunk::too_long`]. So a chunk
//! holds at most the chunk size plus one maximal line, and the skipped
//! line is still counted (rejected as `too_long`) and numbered. A
//! compressed input whose output passes [`MAX_RATIO`] times the
//! compressed bytes read (past [`RATIO_GRACE_BYTES`]) is stopped with an
//! error: real logs compress 10 to 30 times, a bomb thousands of times.
//!
//! Two wrappings are undone on the way, each decided once from the first
//! 64 KiB rather than per line, so other files pay one small read or one
//! copy of their first 64 KiB. Old Mac files end their lines in a lone CR
//! (CRs and no LF): their CRs become LFs ([`LineEnds`]). Docker's
//! json-file driver wraps each line as `{"log":…,"stream":…,"time":…}`:
//! such a file is read as the stream of its `log` strings
//! ([`DockerLog`]), one line per Docker line, so detection and the
//! parsers see the server's own lines.
//!
//! Trade-off: a memory map would save one copy per byte (about 2% of a
//! run), but its pages count as resident memory until unmapped, so a
//! 1 GB log would cost 1 GB of RSS, and a file truncated by log rotation
//! while mapped kills the process with `SIGBUS`. Positioned reads keep
//! memory at one buffer per thread and turn a shrinking file into an
//! ordinary read error. Zoom documents, which are read whole, are read
//! into memory with ordinary reads ([`read_document`], at most
//! [`MAX_DOCUMENT_BYTES`]); W3C logs stream through [`StreamChunks`]. No
//! input is memory-mapped.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::discover::{Compression, Source};

/// Default chunk size: large enough to amortise per-chunk merging, small
/// enough that two cores get many chunks from one file.
pub const DEFAULT_CHUNK_BYTES: usize = 4 << 20;

/// Default longest line, in bytes without its line end: 1 MiB, far past
/// any real access log line (servers cap theirs at 8 to 64 KiB).
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Largest document read whole (a Zoom export): 1 GiB. Real exports are
/// a few MB; a larger file is refused rather than risk the memory.
pub const MAX_DOCUMENT_BYTES: u64 = 1 << 30;

/// Decompressed bytes per compressed byte beyond which a compressed input
/// is stopped as a decompression bomb. Real logs compress 10 to 30 times
/// (gzip's own ceiling is about 1030, reached only by runs of one byte).
pub const MAX_RATIO: u64 = 1000;

/// Decompressed bytes always allowed before [`MAX_RATIO`] is checked, so
/// a small, highly repetitive file is never stopped.
pub const RATIO_GRACE_BYTES: u64 = 64 << 20;

/// Limits on reading one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line held, in bytes without its line end; longer lines are
    /// skipped unread and rejected as too long.
    pub max_line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// An opened input.
pub enum Opened {
    /// A plain file and its length when opened.
    Plain(File, u64),
    /// An empty plain file.
    Empty,
    /// A decompressing or unwrapping stream.
    Stream(Box<dyn Read + Send>),
}

/// Opens a source with the default [`Limits`].
pub fn open(source: &Source) -> io::Result<Opened> {
    open_with(source, Limits::default())
}

/// Opens a source according to its compression, line ends and wrapping.
pub fn open_with(source: &Source, limits: Limits) -> io::Result<Opened> {
    let file = File::open(&source.path)?;
    let max_line = limits.max_line;
    let compressed = Arc::new(AtomicU64::new(0));
    let counted = Counted {
        inner: file,
        count: Arc::clone(&compressed),
    };
    let decoder: Box<dyn Read + Send> = match source.compression {
        Compression::None => {
            let file = counted.inner;
            let len = file.metadata()?.len();
            if len == 0 {
                return Ok(Opened::Empty);
            }
            let head = read_head(&file, LINE_END_PROBE)?;
            if lone_cr(&head) {
                let ends = LineEnds::translating(file);
                return Ok(Opened::Stream(Box::new(DockerLog::new(ends, max_line))));
            }
            if docker_head(&head) {
                return Ok(Opened::Stream(Box::new(DockerLog::new(file, max_line))));
            }
            return Ok(Opened::Plain(file, len));
        }
        // The guard counts compressed bytes as they enter this buffer, so
        // its size bounds how far a bomb runs past the limit: 64 KiB of
        // gzip at its ~1030:1 ceiling is 64 MiB of output.
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            64 << 10,
            counted,
        ))),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(counted)?),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(counted)),
    };
    let guarded = RatioGuard {
        inner: decoder,
        compressed,
        out: 0,
        tripped: false,
    };
    Ok(Opened::Stream(Box::new(DockerLog::new(
        LineEnds::new(guarded),
        max_line,
    ))))
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A decompressor's output, stopped once it passes [`MAX_RATIO`] times
/// the compressed bytes read so far. The bytes of the read that passed it
/// are still served; the next read is the error.
struct RatioGuard<R> {
    inner: R,
    compressed: Arc<AtomicU64>,
    out: u64,
    tripped: bool,
}

impl<R: Read> Read for RatioGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.tripped {
            let compressed = self.compressed.load(Ordering::Relaxed);
            return Err(io::Error::other(format!(
                "decompression stopped: {} bytes came out of {compressed} compressed bytes, \
                 more than {MAX_RATIO} to 1 (a decompression bomb, not a log)",
                self.out
            )));
        }
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let compressed = self.compressed.load(Ordering::Relaxed);
        if self.out > RATIO_GRACE_BYTES && self.out > compressed.saturating_mul(MAX_RATIO) {
            self.tripped = true;
        }
        Ok(n)
    }
}

/// How many first bytes decide whether a file's lines end in lone CRs or
/// are Docker json-file records: enough to hold a few lines of any log.
pub const LINE_END_PROBE: usize = 64 << 10;

/// Whether the first bytes of an input end their lines in lone CRs (old
/// Mac style): CRs and no LF at all. A CRLF file has LFs and is read as
/// any other.
pub fn lone_cr(head: &[u8]) -> bool {
    memchr::memchr(b'\n', head).is_none() && memchr::memchr(b'\r', head).is_some()
}

/// A stream whose first bytes were read ahead to judge it: serves them,
/// then an error met while reading them, then the rest.
struct Replay<R> {
    inner: R,
    probed: bool,
    head: Vec<u8>,
    served: usize,
    error: Option<io::Error>,
}

impl<R: Read> Replay<R> {
    fn new(inner: R) -> Self {
        Replay {
            inner,
            probed: false,
            head: Vec::new(),
            served: 0,
            error: None,
        }
    }

    /// The first [`LINE_END_PROBE`] bytes (fewer at the end or an error).
    fn head(&mut self) -> &[u8] {
        if !self.probed {
            self.probed = true;
            let mut head = vec![0; LINE_END_PROBE];
            let mut n = 0;
            while n < head.len() {
                match self.inner.read(&mut head[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.error = Some(e);
                        break;
                    }
                }
            }
            head.truncate(n);
            self.head = head;
        }
        &self.head[self.served..]
    }
}

impl<R: Read> Read for Replay<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let head = self.head();
        if !head.is_empty() {
            let n = buf.len().min(head.len());
            buf[..n].copy_from_slice(&head[..n]);
            self.served += n;
            if self.served == self.head.len() {
                self.head = Vec::new();
                self.served = 0;
            }
            return Ok(n);
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.inner.read(buf)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ends {
    /// The first bytes are yet to be seen.
    Probe,
    /// Lone CRs: each becomes an LF.
    Translate,
    /// Ordinary line ends: bytes pass unchanged.
    Pass,
}

/// A stream whose lone-CR line ends become LFs, when its first
/// [`LINE_END_PROBE`] bytes show it uses them; otherwise the bytes pass
/// unchanged.
pub struct LineEnds<R> {
    src: Replay<R>,
    state: Ends,
}

impl<R: Read> LineEnds<R> {
    /// Wraps `inner`; its line ends are judged on the first read.
    pub fn new(inner: R) -> Self {
        LineEnds {
            src: Replay::new(inner),
            state: Ends::Probe,
        }
    }

    /// Wraps `inner`, already known to end its lines in lone CRs.
    pub fn translating(inner: R) -> Self {
        LineEnds {
            src: Replay::new(inner),
            state: Ends::Translate,
        }
    }
}

fn cr_to_lf(bytes: &mut [u8]) {
    for b in bytes {
        if *b == b'\r' {
            *b = b'\n';
        }
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.state == Ends::Probe {
            self.state = if lone_cr(self.src.head()) {
                Ends::Translate
            } else {
                Ends::Pass
            };
        }
        let n = self.src.read(buf)?;
        if self.state == Ends::Translate {
            cr_to_lf(&mut buf[..n]);
        }
        Ok(n)
    }
}

/// One line of Docker's json-file log driver (`log`), or of a shipper
/// that keeps its shape (Filebeat and Kubernetes call it `message`).
#[derive(serde::Deserialize)]
struct DockerLine<'a> {
    #[serde(borrow, alias = "message")]
    log: Cow<'a, str>,
    #[serde(borrow)]
    stream: Cow<'a, str>,
    #[expect(dead_code, reason = "required so that only Docker lines match")]
    time: serde::de::IgnoredAny,
    /// Metadata the driver or a shipper adds (`attrs`, `kubernetes`).
    #[serde(flatten)]
    extra: std::collections::BTreeMap<String, serde_json::Value>,
}

/// A Docker record: its stream is the container's stdout or stderr, and
/// any key besides the three is an object of metadata, never a field of
/// an application's own JSON log.
fn docker_line(line: &[u8]) -> Option<DockerLine<'_>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let d: DockerLine<'_> = serde_json::from_slice(line).ok()?;
    let stdio = matches!(&*d.stream, "stdout" | "stderr");
    (stdio && d.extra.values().all(serde_json::Value::is_object)).then_some(d)
}

/// Whether the first bytes of an input are Docker json-file records: the
/// first non-blank line is an object with a string `log` (or `message`),
/// `stream` (`stdout` or `stderr`) and `time`, and no other key but
/// objects of metadata.
pub fn docker_head(head: &[u8]) -> bool {
    head.split(|b| *b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .is_some_and(|l| docker_line(l).is_some())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrapping {
    Probe,
    Docker,
    Pass,
}

/// Bytes taken from the wrapped stream at a time when unwrapping.
const UNWRAP_BLOCK: usize = 64 << 10;

/// A stream of Docker json-file records read as the stream of their `log`
/// strings, when its first non-blank line is one ([`docker_head`]);
/// otherwise the bytes pass unchanged.
///
/// Each Docker line gives exactly one line (its `log` without the final
/// newline, any other line break in it made a space), so line counts and
/// numbers stay those of the file. A line that is not a Docker record
/// passes unchanged, to be rejected by the format. A line longer than the
/// limit passes unchanged without being held, for the chunker to skip.
pub struct DockerLog<R> {
    src: Replay<R>,
    state: Wrapping,
    max_line: usize,
    /// The start of a line whose end is yet to come.
    pending: Vec<u8>,
    /// Inside a too-long line, passed through until its end.
    passing: bool,
    block: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
    error: Option<io::Error>,
}

impl<R: Read> DockerLog<R> {
    /// Wraps `inner`; whether it is a Docker log is judged on the first
    /// read. Lines past `max_line` bytes are passed through unread.
    pub fn new(inner: R, max_line: usize) -> Self {
        DockerLog {
            src: Replay::new(inner),
            state: Wrapping::Probe,
            max_line,
            pending: Vec::new(),
            passing: false,
            block: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            eof: false,
            error: None,
        }
    }

    /// Appends the unwrapped form of one whole line (without its LF).
    fn unwrap_line(out: &mut Vec<u8>, line: &[u8]) {
        match docker_line(line) {
            Some(d) => {
                let log = d.log.as_bytes();
                let log = log.strip_suffix(b"\n").unwrap_or(log);
                let log = log.strip_suffix(b"\r").unwrap_or(log);
                let at = out.len();
                out.extend_from_slice(log);
                // One Docker line stays one line.
                for b in &mut out[at..] {
                    if *b == b'\n' || *b == b'\r' {
                        *b = b' ';
                    }
                }
            }
            None => out.extend_from_slice(line),
        }
        out.push(b'\n');
    }

    /// Unwraps the lines of `data`, keeping a partial last line pending.
    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let Some(p) = memchr::memchr(b'\n', data) else {
                if self.passing {
                    self.out.extend_from_slice(data);
                } else {
                    self.pending.extend_from_slice(data);
                    if self.pending.len() > self.max_line {
                        self.out.append(&mut self.pending);
                        self.passing = true;
                    }
                }
                return;
            };
            let line = &data[..p];
            if self.passing {
                self.out.extend_from_slice(line);
                self.out.push(b'\n');
                self.passing = false;
            } else if self.pending.is_empty() {
                Self::unwrap_line(&mut self.out, line);
            } else {
                self.pending.extend_from_slice(line);
                Self::unwrap_line(&mut self.out, &self.pending);
                self.pending.clear();
            }
            data = &data[p + 1..];
        }
    }

    /// The pending partial line, at the end of the stream or an error.
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            Self::unwrap_line(&mut self.out, &line);
        }
    }
}

impl<R: Read> Read for DockerLog<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.state == Wrapping::Probe {
            self.state = if docker_head(self.src.head()) {
                Wrapping::Docker
            } else {
                Wrapping::Pass
            };
        }
        if self.state == Wrapping::Pass {
            return self.src.read(buf);
        }
        loop {
            if self.out_pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_pos);
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if let Some(e) = self.error.take() {
                return Err(e);
            }
            if self.eof {
                return Ok(0);
            }
            self.out.clear();
            self.out_pos = 0;
            let mut block = std::mem::take(&mut self.block);
            block.resize(UNWRAP_BLOCK, 0);
            match self.src.read(&mut block) {
                Ok(0) => {
                    self.eof = true;
                    self.flush();
                }
                Ok(n) => self.feed(&block[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.flush();
                    self.error = Some(e);
                }
            }
            self.block = block;
        }
    }
}

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
    let mut buf = vec![0; max];
    let n = fill_at(file, &mut buf, 0)?;
    buf.truncate(n);
    Ok(buf)
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
    let target = target.max(1) as u64;
    let max_line = max_line as u64;
    let mut window = vec![0u8; 4 << 10];
    let mut long_window = Vec::new();
    let mut pieces = Vec::with_capacity((len / target) as usize + 1);
    let mut start = 0;
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

/// An owned chunk of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedChunk {
    /// Whole lines (the last chunk may end without newline).
    pub data: Vec<u8>,
    /// Offset of `data[0]` in the decompressed stream.
    pub offset: u64,
    /// A line longer than the limit that followed `data` and was skipped
    /// unread: its bytes in the decompressed stream, without its newline.
    pub too_long: Option<Range<u64>>,
    /// Offset in the decompressed stream just past this chunk (and past
    /// its skipped line, newline included when there was one).
    pub end: u64,
}

/// Iterates a stream as newline-aligned chunks. A read error ends the
/// iteration after yielding what was read before it (including a partial
/// last line), then the error. Lines longer than the limit
/// ([`DEFAULT_MAX_LINE_BYTES`] unless [`StreamChunks::max_line`] says
/// otherwise) are skipped without being held and reported in
/// [`OwnedChunk::too_long`].
pub struct StreamChunks<R> {
    reader: R,
    target: usize,
    max_line: usize,
    carry: Vec<u8>,
    offset: u64,
    error: Option<io::Error>,
    done: bool,
}

/// Room read past a chunk's target for the rest of its last line, and the
/// size of the reads that skip a too-long line.
const TAIL: usize = 64 << 10;

impl<R: Read> StreamChunks<R> {
    /// Chunks of about `target` bytes from `reader`.
    pub fn new(reader: R, target: usize) -> Self {
        StreamChunks {
            reader,
            target: target.max(1),
            max_line: DEFAULT_MAX_LINE_BYTES,
            carry: Vec::new(),
            offset: 0,
            error: None,
            done: false,
        }
    }

    /// Sets the longest line held, in bytes without its newline.
    pub fn max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    fn emit(&mut self, mut data: Vec<u8>, split_at: usize) -> OwnedChunk {
        self.carry = data.split_off(split_at);
        let end = self.offset + data.len() as u64;
        let chunk = OwnedChunk {
            offset: self.offset,
            data,
            too_long: None,
            end,
        };
        self.offset = end;
        chunk
    }

    /// Emits the whole lines of `data` before `line_start` and skips the
    /// too-long line that starts there, reading on to its newline through
    /// a small scratch buffer.
    fn cut(&mut self, mut data: Vec<u8>, line_start: usize) -> OwnedChunk {
        let held = (data.len() - line_start) as u64;
        data.truncate(line_start);
        let long_start = self.offset + line_start as u64;
        let mut skipped = held;
        let mut newline = false;
        let mut scratch = vec![0u8; TAIL];
        loop {
            match self.reader.read(&mut scratch) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(n) => match memchr::memchr(b'\n', &scratch[..n]) {
                    Some(p) => {
                        skipped += p as u64;
                        self.carry = scratch[p + 1..n].to_vec();
                        newline = true;
                        break;
                    }
                    None => skipped += n as u64,
                },
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    break;
                }
            }
        }
        let too_long = long_start..long_start + skipped;
        let end = too_long.end + u64::from(newline);
        let chunk = OwnedChunk {
            offset: self.offset,
            data,
            too_long: Some(too_long),
            end,
        };
        self.offset = end;
        chunk
    }
}

impl<R: Read> Iterator for StreamChunks<R> {
    type Item = io::Result<OwnedChunk>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.error.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        let mut buf = std::mem::take(&mut self.carry);
        // Room for the chunk and the rest of its last line, allocated once:
        // decoders return a few hundred KiB per call, and asking each time
        // for a whole chunk's worth zeroed megabytes per call and doubled
        // the buffers' capacity.
        buf.reserve_exact((self.target + TAIL).saturating_sub(buf.len()));
        // Where the last, unended line of `buf` starts.
        let mut line_start = memchr::memrchr(b'\n', &buf).map_or(0, |p| p + 1);
        loop {
            if buf.len() >= self.target && line_start > 0 {
                return Some(Ok(self.emit(buf, line_start)));
            }
            if buf.len() - line_start > self.max_line {
                return Some(Ok(self.cut(buf, line_start)));
            }
            let old = buf.len();
            let want = self.target.saturating_sub(old).max(TAIL);
            buf.resize(old + want, 0);
            match self.reader.read(&mut buf[old..]) {
                Ok(0) => {
                    buf.truncate(old);
                    self.done = true;
                    if buf.is_empty() {
                        return None;
                    }
                    let len = buf.len();
                    return Some(Ok(self.emit(buf, len)));
                }
                Ok(n) => {
                    buf.truncate(old + n);
                    if let Some(p) = memchr::memrchr(b'\n', &buf[old..]) {
                        line_start = old + p + 1;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(old),
                Err(e) => {
                    buf.truncate(old);
                    self.error = Some(e);
                    if buf.is_empty() {
                        return self.next();
                    }
                    let len = buf.len();
                    return Some(Ok(self.emit(buf, len)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(chunks: &[Vec<u8>]) -> Vec<u8> {
        chunks.concat()
    }

    #[test]
    fn ranges_cover_and_align() {
        let data = b"aaa\nbb\ncccc\nd";
        for target in [1, 2, 3, 5, 100] {
            let r = chunk_ranges(data, target);
            assert_eq!(r.first().unwrap().start, 0);
            assert_eq!(r.last().unwrap().end, data.len());
            for w in r.windows(2) {
                assert_eq!(w[0].end, w[1].start);
                assert_eq!(data[w[0].end - 1], b'\n');
            }
        }
        assert!(chunk_ranges(b"", 10).is_empty());
    }

    #[test]
    fn planned_file_chunks_match_slice_chunks() {
        let data: Vec<u8> = (0..3000)
            .flat_map(|i| format!("line {i} {}\n", "x".repeat(i % 97)).into_bytes())
            .chain(*b"no newline at the end")
            .collect();
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &data).unwrap();
        let len = data.len() as u64;
        for target in [1, 50, 4096, 100_000, 1 << 20] {
            let planned: Vec<Range<u64>> = plan_chunks(&file, len, target, usize::MAX)
                .unwrap()
                .into_iter()
                .map(|p| match p {
                    Piece::Lines(r) => r,
                    Piece::TooLong(r) => panic!("no line is too long: {r:?}"),
                })
                .collect();
            let sliced: Vec<Range<u64>> = chunk_ranges(&data, target)
                .into_iter()
                .map(|r| r.start as u64..r.end as u64)
                .collect();
            assert_eq!(planned, sliced, "target {target}");
            let mut buf = Vec::new();
            let mut joined = Vec::new();
            for r in planned {
                let n = read_range(&file, r, &mut buf).unwrap();
                joined.extend_from_slice(&buf[..n]);
            }
            assert_eq!(joined, data);
        }
        // A file that shrank after planning is an error, not a short chunk.
        file.set_len(10).unwrap();
        let err = read_range(&file, 0..20, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("shrank"));
    }

    #[test]
    fn stream_chunks_align_and_keep_everything() {
        let data: Vec<u8> = (0..5000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        for target in [1, 7, 100, 4096, 1 << 20] {
            let chunks: Vec<OwnedChunk> = StreamChunks::new(&data[..], target)
                .map(Result::unwrap)
                .collect();
            let mut offset = 0;
            for c in &chunks {
                assert_eq!(c.offset, offset);
                assert_eq!(c.data.last(), Some(&b'\n'));
                offset += c.data.len() as u64;
            }
            assert_eq!(
                join(&chunks.into_iter().map(|c| c.data).collect::<Vec<_>>()),
                data
            );
        }
    }

    struct Failing<'a>(&'a [u8]);
    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut off"));
            }
            let n = buf.len().min(self.0.len()).min(3);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn read_error_keeps_what_was_read() {
        let items: Vec<_> = StreamChunks::new(Failing(b"one\ntwo\nthr"), 4).collect();
        let data: Vec<u8> = items
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .flat_map(|c| c.data.clone())
            .collect();
        assert_eq!(data, b"one\ntwo\nthr");
        assert!(items.last().unwrap().is_err());
    }

    fn read_all(mut r: impl Read) -> Vec<u8> {
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        v
    }

    #[test]
    fn lone_cr_line_ends_become_lines_and_others_pass() {
        assert_eq!(read_all(LineEnds::new(&b"a\rb\r\rc"[..])), b"a\nb\n\nc");
        // CRLF and LF files are untouched, CRs inside lines included.
        let crlf = b"a\r\nb\r\n";
        assert_eq!(read_all(LineEnds::new(&crlf[..])), crlf);
        assert_eq!(read_all(LineEnds::new(&b"a\rx\nb\n"[..])), b"a\rx\nb\n");
        // Decided once: past the probe, a CR is translated in a lone-CR
        // stream however the reads fall, and kept in an LF one.
        let mut long: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i}\r").into_bytes())
            .collect();
        let want: Vec<u8> = long
            .iter()
            .map(|&b| if b == b'\r' { b'\n' } else { b })
            .collect();
        let got = read_all(LineEnds::new(Trickle {
            data: &long,
            step: 1000,
        }));
        assert_eq!(got, want);
        long[10] = b'\n';
        assert_eq!(read_all(LineEnds::new(&long[..])), long);
        assert!(lone_cr(b"a\rb") && !lone_cr(b"a\r\nb") && !lone_cr(b"ab"));
    }

    #[test]
    fn a_probe_cut_by_an_error_keeps_its_bytes() {
        let mut r = LineEnds::new(Failing(b"one\rtwo\r"));
        let mut got = Vec::new();
        let err = r.read_to_end(&mut got).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(got, b"one\ntwo\n");
    }

    #[test]
    fn plain_lone_cr_files_open_as_translated_streams() {
        let dir = tempfile::tempdir().unwrap();
        let source = |name: &str, data: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, data).unwrap();
            Source {
                path,
                size: data.len() as u64,
                compression: Compression::None,
            }
        };
        match open(&source("mac.log", b"a\rb\r")).unwrap() {
            Opened::Stream(r) => assert_eq!(read_all(r), b"a\nb\n"),
            _ => panic!("a lone-CR file is a stream"),
        }
        assert!(matches!(
            open(&source("dos.log", b"a\r\nb\r\n")).unwrap(),
            Opened::Plain(_, 6)
        ));
    }

    /// A decoder-like reader: at most `step` bytes a call.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.data.len()).min(self.step);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn stream_buffers_stay_one_chunk_large_whatever_the_read_size() {
        let data: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i} {}\n", "y".repeat(i % 200)).into_bytes())
            .collect();
        let target = 100 << 10;
        let chunks: Vec<_> = StreamChunks::new(
            Trickle {
                data: &data,
                step: 5000,
            },
            target,
        )
        .map(Result::unwrap)
        .collect();
        assert!(chunks.len() > 10);
        for c in &chunks {
            assert!(
                c.data.capacity() <= target + (64 << 10),
                "a {} byte chunk holds {} bytes",
                c.data.len(),
                c.data.capacity()
            );
        }
        let joined: Vec<u8> = chunks.into_iter().flat_map(|c| c.data).collect();
        assert_eq!(joined, data);
    }

    /// A log with lines of every length around `max`, some far longer.
    fn long_line_log(max: usize) -> Vec<u8> {
        let mut data = Vec::new();
        for i in 0..400 {
            let len = match i % 9 {
                0 => max + 1,
                3 => max,
                5 => 5 * max + i,
                7 => max - 1,
                _ => i % 50,
            };
            data.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, len));
            data.push(b'\n');
        }
        data.extend_from_slice(&vec![b'z'; 3 * max]); // unended, too long
        data
    }

    /// Lines as (offset, length without LF).
    type Lines = Vec<(u64, usize)>;

    /// Lines of `data`.
    fn lines_of(data: &[u8]) -> Lines {
        let mut out = Vec::new();
        let mut start = 0;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |p| start + p);
            out.push((start as u64, end - start));
            start = end + 1;
        }
        out
    }

    /// The lines a reader holds and the ones it skipped, as (offset, length).
    fn held_and_skipped(
        data: &[u8],
        pieces: impl Iterator<Item = (u64, Vec<u8>, Option<Range<u64>>)>,
    ) -> (Lines, Lines) {
        let (mut held, mut skipped) = (Vec::new(), Vec::new());
        for (offset, bytes, long) in pieces {
            assert_eq!(
                &data[offset as usize..offset as usize + bytes.len()],
                &bytes[..]
            );
            held.extend(lines_of(&bytes).into_iter().map(|(o, l)| (o + offset, l)));
            if let Some(r) = long {
                skipped.push((r.start, (r.end - r.start) as usize));
            }
        }
        (held, skipped)
    }

    #[test]
    fn plans_leave_too_long_lines_unread_and_cap_every_range() {
        let max = 1000;
        let data = long_line_log(max);
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &data).unwrap();
        for target in [1, 700, 3000, 50_000] {
            let pieces = plan_chunks(&file, data.len() as u64, target, max).unwrap();
            let mut next = 0;
            let mut parts = Vec::new();
            for p in pieces {
                match p {
                    Piece::Lines(r) => {
                        assert_eq!(r.start, next);
                        assert!(r.end - r.start <= (target + max + 1) as u64, "{r:?}");
                        next = r.end;
                        parts.push((
                            r.start,
                            data[r.start as usize..r.end as usize].to_vec(),
                            None,
                        ));
                    }
                    Piece::TooLong(r) => {
                        assert_eq!(r.start, next);
                        next = (r.end + 1).min(data.len() as u64);
                        parts.push((r.start, Vec::new(), Some(r)));
                    }
                }
            }
            assert_eq!(next, data.len() as u64);
            let (held, skipped) = held_and_skipped(&data, parts.into_iter());
            // Every line is held or skipped, once; only long ones skipped.
            let mut all: Vec<_> = held.iter().chain(&skipped).copied().collect();
            all.sort_unstable();
            assert_eq!(all, lines_of(&data), "target {target}");
            assert!(skipped.iter().all(|&(_, l)| l > max));
            assert!(!skipped.is_empty());
        }
    }

    #[test]
    fn stream_chunks_skip_too_long_lines_without_holding_them() {
        let max = 1000;
        let data = long_line_log(max);
        for (target, step) in [(1, 7), (700, 300), (3000, 5000), (50_000, 100_000)] {
            let chunks: Vec<OwnedChunk> = StreamChunks::new(Trickle { data: &data, step }, target)
                .max_line(max)
                .map(Result::unwrap)
                .collect();
            let mut next = 0;
            for c in &chunks {
                assert_eq!(c.offset, next);
                assert!(
                    c.data.capacity() <= 2 * (target + max + TAIL),
                    "{}",
                    c.data.capacity()
                );
                next = c.end;
            }
            let parts = chunks.into_iter().map(|c| (c.offset, c.data, c.too_long));
            let (held, skipped) = held_and_skipped(&data, parts);
            let mut all: Vec<_> = held.iter().chain(&skipped).copied().collect();
            all.sort_unstable();
            assert_eq!(all, lines_of(&data), "target {target}");
            assert!(skipped.iter().all(|&(_, l)| l > max));
            // A line is skipped when it passes the limit before its end
            // is read; with small reads, every line five times the limit
            // does. (Longer lines held whole are the lanes' to reject.)
            if step < max {
                assert!(skipped.len() >= 400 / 9, "{}", skipped.len());
            }
        }
    }

    #[test]
    fn a_too_long_line_cut_by_an_error_is_reported_then_the_error() {
        let mut data = b"one\n".to_vec();
        data.extend(vec![b'x'; 100]);
        let items: Vec<_> = StreamChunks::new(Failing(&data), 4).max_line(10).collect();
        let first = items[0].as_ref().unwrap();
        assert_eq!(first.data, b"one\n");
        let long = items.iter().find_map(|i| i.as_ref().ok()?.too_long.clone());
        assert_eq!(long, Some(4..104));
        assert!(items.last().unwrap().is_err());
    }

    #[test]
    fn docker_json_file_lines_are_read_as_their_log_strings() {
        let docker = concat!(
            "{\"log\":\"192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] \\\"GET / HTTP/1.1\\\" 200 5\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00.1Z\"}\n",
            "\n",
            "not json at all\n",
            "{\"log\":\"two\\r\\nlines\\u0041\\n\",\"stream\":\"stderr\",\"time\":\"2026-01-01T00:00:01Z\"}\n",
            "{\"log\":\"no newline at the end\",\"stream\":\"stdout\",\"time\":\"x\"}",
        );
        assert!(docker_head(docker.as_bytes()));
        let want = "192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5\n\nnot json at all\ntwo  linesA\nno newline at the end\n";
        for step in [1, 3, 100, 1 << 20] {
            let got = read_all(DockerLog::new(
                Trickle {
                    data: docker.as_bytes(),
                    step,
                },
                1 << 20,
            ));
            assert_eq!(String::from_utf8(got).unwrap(), want, "step {step}");
        }
        // A shipper's `message` with metadata objects reads the same.
        let k8s = b"{\"message\":\"m\\n\",\"stream\":\"stderr\",\"time\":\"t\",\"kubernetes\":{\"pod\":{}}}\n";
        assert_eq!(read_all(DockerLog::new(&k8s[..], 1 << 20)), b"m\n");
        // Other JSON lines, and any other file, pass unchanged.
        for other in [
            &b"{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"t\",\"level\":\"info\"}\n"[..],
            b"{\"log\":\"x\",\"stream\":\"app\",\"time\":\"t\"}\n",
            b"{\"log\":\"x\",\"message\":\"y\",\"stream\":\"stdout\",\"time\":\"t\"}\n",
            b"{\"log\":\"x\",\"time\":\"t\"}\n",
            b"192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5\n",
        ] {
            assert!(!docker_head(other));
            assert_eq!(read_all(DockerLog::new(other, 1 << 20)), other);
        }
    }

    #[test]
    fn a_too_long_docker_line_passes_unheld_for_the_chunker() {
        let mut data = b"{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n".to_vec();
        let long = format!(
            "{{\"log\":\"{}\",\"stream\":\"stdout\",\"time\":\"t\"}}",
            "b".repeat(3 * UNWRAP_BLOCK)
        );
        data.extend_from_slice(long.as_bytes());
        data.extend_from_slice(b"\n{\"log\":\"c\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n");
        // Read a few bytes at a time, as a decoder may: the long line
        // passes the limit before its end is seen.
        let src = Trickle {
            data: &data,
            step: 7,
        };
        let chunks: Vec<OwnedChunk> = StreamChunks::new(DockerLog::new(src, 100), 10)
            .max_line(100)
            .map(Result::unwrap)
            .collect();
        let held: Vec<u8> = chunks.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(String::from_utf8_lossy(&held), "a\nc\n");
        let skipped: Vec<_> = chunks.iter().filter_map(|c| c.too_long.clone()).collect();
        assert_eq!(skipped, vec![2..2 + long.len() as u64]);
    }

    #[test]
    fn the_ratio_guard_stops_a_bomb_and_spares_ordinary_output() {
        let guard = |out: u64, compressed: u64| RatioGuard {
            inner: io::repeat(b'0').take(out),
            compressed: Arc::new(AtomicU64::new(compressed)),
            out: 0,
            tripped: false,
        };
        // Within the grace, any ratio; past it, up to MAX_RATIO to one.
        assert_eq!(
            io::copy(&mut guard(RATIO_GRACE_BYTES, 1), &mut io::sink()).unwrap(),
            RATIO_GRACE_BYTES
        );
        let ok = 2 * RATIO_GRACE_BYTES;
        assert_eq!(
            io::copy(&mut guard(ok, ok.div_ceil(MAX_RATIO)), &mut io::sink()).unwrap(),
            ok
        );
        let mut bomb = guard(u64::MAX, ok / MAX_RATIO);
        let err = io::copy(&mut bomb, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("decompression bomb"), "{err}");
        assert!(bomb.out <= ok + (64 << 10));
    }

    fn bzip2_of(parts: &[&[u8]]) -> Vec<u8> {
        let mut all = Vec::new();
        for p in parts {
            let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            std::io::Write::write_all(&mut enc, p).unwrap();
            all.extend(enc.finish().unwrap());
        }
        all
    }

    #[test]
    fn bzip2_inputs_are_sniffed_and_read_whole_across_streams() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log.bz2");
        // Two streams, as pbzip2 writes: both must be read.
        let bz = bzip2_of(&[b"first line\n", b"second line\n"]);
        std::fs::write(&path, &bz).unwrap();
        assert_eq!(Compression::sniff(&bz), Compression::Bzip2);
        assert_eq!(Compression::sniff(b"BZh is a word"), Compression::None);
        let source = Source {
            path,
            size: bz.len() as u64,
            compression: Compression::Bzip2,
        };
        match open(&source).unwrap() {
            Opened::Stream(r) => assert_eq!(read_all(r), b"first line\nsecond line\n"),
            _ => panic!("a bzip2 file is a stream"),
        }
    }

    #[test]
    fn documents_are_read_not_mapped_and_a_shrunk_one_is_a_short_read() {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, b"a,b\n1,2\n").unwrap();
        assert_eq!(read_document(&file, 8).unwrap(), b"a,b\n1,2\n");
        file.set_len(4).unwrap();
        assert_eq!(read_document(&file, 8).unwrap(), b"a,b\n");
        let err = read_document(&file, MAX_DOCUMENT_BYTES + 1).unwrap_err();
        assert!(err.to_string().contains("read whole"), "{err}");
    }

    /// Bytes rich in what the readers look at: line ends, quotes, JSON.
    fn tricky_bytes() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just(b"\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n".to_vec()),
            Just(b"\"\\u00".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..40),
        ];
        proptest::collection::vec(piece, 0..30).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1500))]

        /// Whatever the bytes, limit and read sizes: every line is held
        /// or skipped exactly once, only lines past the limit are
        /// skipped, and no chunk outgrows the target plus one line.
        #[test]
        fn stream_chunks_account_for_every_line(
            data in tricky_bytes(),
            target in 1usize..64,
            max in 1usize..48,
            step in 1usize..40,
        ) {
            let chunks: Vec<OwnedChunk> = StreamChunks::new(Trickle { data: &data, step }, target)
                .max_line(max)
                .map(Result::unwrap)
                .collect();
            let mut next = 0;
            for c in &chunks {
                proptest::prop_assert_eq!(c.offset, next);
                proptest::prop_assert!(c.data.len() <= target + max + step);
                next = c.end;
            }
            proptest::prop_assert_eq!(next, data.len() as u64);
            let parts = chunks.into_iter().map(|c| (c.offset, c.data, c.too_long));
            let (held, skipped) = held_and_skipped(&data, parts);
            let mut all: Vec<_> = held.iter().chain(&skipped).copied().collect();
            all.sort_unstable();
            proptest::prop_assert_eq!(all, lines_of(&data));
            proptest::prop_assert!(skipped.iter().all(|&(_, l)| l > max));
        }

        /// Unwrapping never panics and keeps one line per line.
        #[test]
        fn docker_unwrapping_keeps_one_line_per_line(
            data in tricky_bytes(),
            docker in proptest::bool::ANY,
            max in 1usize..200,
            step in 1usize..40,
        ) {
            let mut input = Vec::new();
            if docker {
                input.extend_from_slice(b"{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n");
            }
            input.extend_from_slice(&data);
            let out = read_all(DockerLog::new(Trickle { data: &input, step }, max));
            proptest::prop_assert_eq!(lines_of(&out).len(), lines_of(&input).len());
        }
    }
}
