//! Wrappings undone on the way in, each decided once from an input's first
//! bytes: old Mac line ends (lone CRs become LFs, [`LineEnds`]) and
//! Docker's json-file records (read as the stream of their `log` strings,
//! [`DockerLog`]). [`Replay`] serves the bytes read ahead to decide.

use std::borrow::Cow;
use std::io::{self, Read};

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
pub(super) const UNWRAP_BLOCK: usize = 64 << 10;

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
