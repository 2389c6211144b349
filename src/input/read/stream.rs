//! Streams (decompressed or unwrapped inputs, W3C logs): cut into owned,
//! newline-aligned chunks, the partial last line carried to the next one;
//! a line longer than the limit is skipped through a small scratch buffer.

use std::io::{self, Read};
use std::ops::Range;

use super::DEFAULT_MAX_LINE_BYTES;

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
    whole_lines: bool,
}

/// Room read past a chunk's target for the rest of its last line, and the
/// size of the reads that skip a too-long line.
pub(super) const TAIL: usize = 64 << 10;

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
            whole_lines: false,
        }
    }

    /// Leaves out a last line without newline: the stream ends after its
    /// last newline (the file may still be being written).
    pub fn whole_lines(mut self, whole_lines: bool) -> Self {
        self.whole_lines = whole_lines;
        self
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
                    let len = if self.whole_lines {
                        line_start
                    } else {
                        buf.len()
                    };
                    if len == 0 {
                        return None;
                    }
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
