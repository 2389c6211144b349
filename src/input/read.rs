//! Opening inputs and cutting them into newline-aligned chunks.
//!
//! Plain files are planned as newline-aligned byte ranges (a few small
//! reads at the boundaries), and each worker reads its range with one
//! positioned read into a buffer it reuses. Compressed files stream
//! through their decompressor into owned buffers of about the same size,
//! ending at a line boundary (the partial last line is carried to the next
//! buffer).
//!
//! Old Mac files end their lines in a lone CR. Whether a file does is
//! decided once, from its first 64 KiB (CRs and no LF), not per line: such
//! a file is read as a stream whose CRs become LFs, so everything after
//! this module sees ordinary lines, and every other file pays one small
//! read (plain) or one copy of its first 64 KiB (compressed).
//!
//! Trade-off: a memory map would save one copy per byte (about 2% of a
//! run), but its pages count as resident memory until unmapped, so a
//! 1 GB log would cost 1 GB of RSS, and a file truncated by log rotation
//! while mapped kills the process with `SIGBUS`. Positioned reads keep
//! memory at one buffer per thread and turn a shrinking file into an
//! ordinary read error. W3C logs stream through [`StreamChunks`]; only
//! documents that are read whole (Zoom exports) are still mapped.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::ops::Range;

use super::discover::{Compression, Source};

/// Default chunk size: large enough to amortise per-chunk merging, small
/// enough that two cores get many chunks from one file.
pub const DEFAULT_CHUNK_BYTES: usize = 4 << 20;

/// An opened input.
pub enum Opened {
    /// A plain file and its length when opened.
    Plain(File, u64),
    /// An empty plain file.
    Empty,
    /// A decompressing stream.
    Stream(Box<dyn Read + Send>),
}

/// Opens a source according to its compression and line ends.
pub fn open(source: &Source) -> io::Result<Opened> {
    let file = File::open(&source.path)?;
    match source.compression {
        Compression::None => {
            let len = file.metadata()?.len();
            if len == 0 {
                return Ok(Opened::Empty);
            }
            if lone_cr(&read_head(&file, LINE_END_PROBE)?) {
                return Ok(Opened::Stream(Box::new(LineEnds {
                    state: Ends::Translate,
                    ..LineEnds::new(file)
                })));
            }
            Ok(Opened::Plain(file, len))
        }
        Compression::Gzip => Ok(Opened::Stream(Box::new(LineEnds::new(
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(256 << 10, file)),
        )))),
        Compression::Zstd => Ok(Opened::Stream(Box::new(LineEnds::new(
            zstd::stream::read::Decoder::new(file)?,
        )))),
    }
}

/// How many first bytes decide whether a file's lines end in lone CRs:
/// enough to hold a few lines of any log.
pub const LINE_END_PROBE: usize = 64 << 10;

/// Whether the first bytes of an input end their lines in lone CRs (old
/// Mac style): CRs and no LF at all. A CRLF file has LFs and is read as
/// any other.
pub fn lone_cr(head: &[u8]) -> bool {
    memchr::memchr(b'\n', head).is_none() && memchr::memchr(b'\r', head).is_some()
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
    inner: R,
    state: Ends,
    /// The probed bytes, served before reading on.
    head: Vec<u8>,
    served: usize,
    /// A read error met while probing, returned after the bytes before it.
    error: Option<io::Error>,
}

impl<R: Read> LineEnds<R> {
    /// Wraps `inner`; its line ends are judged on the first read.
    pub fn new(inner: R) -> Self {
        LineEnds {
            inner,
            state: Ends::Probe,
            head: Vec::new(),
            served: 0,
            error: None,
        }
    }

    fn probe(&mut self) {
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
        self.state = if lone_cr(&head) {
            cr_to_lf(&mut head);
            Ends::Translate
        } else {
            Ends::Pass
        };
        self.head = head;
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
            self.probe();
        }
        if self.served < self.head.len() {
            let n = buf.len().min(self.head.len() - self.served);
            buf[..n].copy_from_slice(&self.head[self.served..self.served + n]);
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
        let n = self.inner.read(buf)?;
        if self.state == Ends::Translate {
            cr_to_lf(&mut buf[..n]);
        }
        Ok(n)
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

/// Maps a plain file whole, for documents that are read whole.
pub fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and private to this process; a file
    // truncated underneath it is the documented risk (see the module
    // comment), accepted only for documents that must be read whole.
    unsafe { memmap2::Mmap::map(file) }
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

/// Ranges of about `target` bytes covering the first `len` bytes of
/// `file`, each ending just after a newline (the last one may end
/// without), found with small reads at each boundary: a page is enough
/// for nearly every line, and the planning is serial (64 KiB reads took
/// 2 ms of a 1M-line file's 0.22 s on two threads).
pub fn plan_chunks(file: &File, len: u64, target: usize) -> io::Result<Vec<Range<u64>>> {
    let target = target.max(1) as u64;
    let mut window = vec![0u8; 4 << 10];
    let mut ranges = Vec::with_capacity((len / target) as usize + 1);
    let mut start = 0;
    while start < len {
        let mut probe = start.saturating_add(target).min(len);
        let end = loop {
            if probe >= len {
                break len;
            }
            let want = window.len().min((len - probe) as usize);
            let n = fill_at(file, &mut window[..want], probe)?;
            if n == 0 {
                break len;
            }
            if let Some(p) = memchr::memchr(b'\n', &window[..n]) {
                break probe + p as u64 + 1;
            }
            probe += n as u64;
        };
        ranges.push(start..end);
        start = end;
    }
    Ok(ranges)
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
        // Room for the chunk and the rest of its last line, allocated once:
        // decoders return a few hundred KiB per call, and asking each time
        // for a whole chunk's worth zeroed megabytes per call and doubled
        // the buffers' capacity.
        const TAIL: usize = 64 << 10;
        buf.reserve_exact((self.target + TAIL).saturating_sub(buf.len()));
        let mut scanned = 0; // bytes of buf known to hold no newline
        loop {
            if buf.len() >= self.target {
                if let Some(p) = memchr::memrchr(b'\n', &buf[scanned..]) {
                    return Some(Ok(self.emit(buf, scanned + p + 1)));
                }
                scanned = buf.len();
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
    fn planned_file_chunks_match_slice_chunks() {
        let data: Vec<u8> = (0..3000)
            .flat_map(|i| format!("line {i} {}\n", "x".repeat(i % 97)).into_bytes())
            .chain(*b"no newline at the end")
            .collect();
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &data).unwrap();
        let len = data.len() as u64;
        for target in [1, 50, 4096, 100_000, 1 << 20] {
            let planned = plan_chunks(&file, len, target).unwrap();
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
}
