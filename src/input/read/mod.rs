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
//!
//! Progress is measured in bytes of the file on disk, not of its
//! decompressed stream: [`open_counted`] hands back a [`Consumed`] handle
//! that counts the bytes the decoder has taken from the file (read ahead
//! by at most one buffer), so a progress bar over on-disk sizes reaches
//! its end when the last compressed byte is consumed, not at a third of
//! the run. Plain files are read in ranges, which their reader counts.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::discover::{Compression, Source};

mod plain;
mod stream;
#[cfg(test)]
mod tests;
mod wrappings;

pub use plain::{
    Piece, append_span, chunk_ranges, plan_chunks, plan_chunks_from, read_document, read_head,
    read_range, read_span, whole_lines_end,
};
pub use stream::{OwnedChunk, StreamChunks};
pub use wrappings::{DockerLog, LINE_END_PROBE, LineEnds, docker_head, lone_cr};

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
    open_counted(source, limits).map(|(opened, _)| opened)
}

/// Bytes of a file on disk that a stream opened by [`open_counted`] has
/// consumed so far; a plain file's count stays 0 (its ranges are read by
/// position, and counted by whoever reads them).
#[derive(Debug, Clone, Default)]
pub struct Consumed(Arc<AtomicU64>);

impl Consumed {
    /// Bytes consumed so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Like [`open_with`], with a handle on the bytes of the file on disk
/// that the returned stream has consumed.
pub fn open_counted(source: &Source, limits: Limits) -> io::Result<(Opened, Consumed)> {
    let file = File::open(&source.path)?;
    let max_line = limits.max_line;
    let compressed = Arc::new(AtomicU64::new(0));
    let consumed = Consumed(Arc::clone(&compressed));
    let counted = Counted {
        inner: file,
        count: Arc::clone(&compressed),
    };
    let decoder: Box<dyn Read + Send> = match source.compression {
        Compression::None => {
            let len = counted.inner.metadata()?.len();
            if len == 0 {
                return Ok((Opened::Empty, consumed));
            }
            let head = read_head(&counted.inner, LINE_END_PROBE)?;
            let opened = if lone_cr(&head) {
                let ends = LineEnds::translating(counted);
                Opened::Stream(Box::new(DockerLog::new(ends, max_line)))
            } else if docker_head(&head) {
                Opened::Stream(Box::new(DockerLog::new(counted, max_line)))
            } else {
                Opened::Plain(counted.inner, len)
            };
            return Ok((opened, consumed));
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
    let stream = DockerLog::new(LineEnds::new(guarded), max_line);
    Ok((Opened::Stream(Box::new(stream)), consumed))
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
