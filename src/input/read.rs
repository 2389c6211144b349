//! Opening inputs and cutting them into newline-aligned chunks.
//!
//! Plain files are memory-mapped and split into ranges; every chunk is a
//! borrowed slice of the map, so parsing never copies the input. Compressed
//! files stream through their decompressor into owned buffers of about the
//! same size, ending at a line boundary (the partial last line is carried
//! to the next buffer).
//!
//! Trade-off: a memory map of a file that another process truncates while
//! we read it can fault; logs being rotated are renamed, not truncated, and
//! the speed (no copy, no read syscalls) is worth it. Use a pipe through
//! `cat` for files that are truncated in place.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::ops::Range;

use super::discover::{Compression, Source};

/// Default chunk size: large enough to amortise per-chunk merging, small
/// enough that two cores get many chunks from one file.
pub const DEFAULT_CHUNK_BYTES: usize = 4 << 20;

/// An opened input.
pub enum Opened {
    /// A plain file, mapped.
    Mapped(memmap2::Mmap),
    /// An empty plain file (which cannot be mapped).
    Empty,
    /// A decompressing stream.
    Stream(Box<dyn Read + Send>),
}

/// Opens a source according to its compression.
pub fn open(source: &Source) -> io::Result<Opened> {
    let file = File::open(&source.path)?;
    match source.compression {
        Compression::None => {
            if file.metadata()?.len() == 0 {
                return Ok(Opened::Empty);
            }
            // SAFETY: the map is read-only and private to this process. A
            // concurrent truncation of the file could fault (see module doc).
            let map = unsafe { memmap2::Mmap::map(&file)? };
            Ok(Opened::Mapped(map))
        }
        Compression::Gzip => Ok(Opened::Stream(Box::new(flate2::read::MultiGzDecoder::new(
            BufReader::with_capacity(256 << 10, file),
        )))),
        Compression::Zstd => Ok(Opened::Stream(Box::new(zstd::stream::read::Decoder::new(
            file,
        )?))),
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

/// An owned chunk of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedChunk {
    /// Whole lines (the last chunk may end without newline).
    pub data: Vec<u8>,
    /// Offset of `data[0]` in the decompressed stream.
    pub offset: u64,
}

/// Iterates a stream as newline-aligned chunks. A read error ends the
/// iteration after yielding what was read before it (including a partial
/// last line), then the error.
pub struct StreamChunks<R> {
    reader: R,
    target: usize,
    carry: Vec<u8>,
    offset: u64,
    error: Option<io::Error>,
    done: bool,
}

impl<R: Read> StreamChunks<R> {
    /// Chunks of about `target` bytes from `reader`.
    pub fn new(reader: R, target: usize) -> Self {
        StreamChunks {
            reader,
            target: target.max(1),
            carry: Vec::new(),
            offset: 0,
            error: None,
            done: false,
        }
    }

    fn emit(&mut self, mut data: Vec<u8>, split_at: usize) -> OwnedChunk {
        self.carry = data.split_off(split_at);
        let chunk = OwnedChunk {
            offset: self.offset,
            data,
        };
        self.offset += chunk.data.len() as u64;
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
        let mut scanned = 0; // bytes of buf known to hold no newline
        loop {
            if buf.len() >= self.target {
                if let Some(p) = memchr::memrchr(b'\n', &buf[scanned..]) {
                    return Some(Ok(self.emit(buf, scanned + p + 1)));
                }
                scanned = buf.len();
            }
            let old = buf.len();
            let want = self.target.max(64 << 10);
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
                Ok(n) => buf.truncate(old + n),
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
}
