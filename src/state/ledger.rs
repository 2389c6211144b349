//! The ledger of what nightly runs read, so that each run reads only what
//! is new in a log directory that logrotate turns over.
//!
//! An input is known by its content, not its name: `access.log` becomes
//! `access.log.1` and then `access.log.2.gz` without changing a byte of
//! what it says. An entry remembers that some content was read up to a
//! byte (`read_to`, in the decompressed, unwrapped stream the pipeline
//! reads) by a hash of its first [`BLOCK`] bytes and a hash of the block
//! of up to [`BLOCK`] bytes that ends at `read_to`. A source matches an
//! entry when both blocks are found at their places in it: reading then
//! resumes at `read_to`, and a source whose content ends there is not read
//! at all. Several entries can match one source (a file that grew over
//! several nights); the furthest wins. A source that matches none is new
//! content and is read from its start: so is a copytruncate restart,
//! whose file is shorter, or holds other bytes at the old `read_to`.
//!
//! Trade-offs. Only two blocks are compared, so content changed in the
//! middle of a file without changing its head or the block before
//! `read_to` goes unnoticed; logs are appended, not edited, and comparing
//! everything would mean reading everything every night. Hashes are plain
//! BLAKE3, not keyed: the state directory is private, and the hashes of
//! two 4 KiB blocks do not give the lines back. Matching a compressed
//! file means decompressing it up to `read_to`; to spare that every night
//! for rotated archives, an entry read to the end also keeps the file's
//! device, inode, size and modification time, and a file with exactly
//! those is skipped unopened (the fast path). Recording an entry whose
//! blocks the plan did not already see reads them again: two positioned
//! reads for a plain file, a decompression up to `read_to` for a stream.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::input::Source;
use crate::input::read::{self, Opened};
use crate::output::manifest::ReadSpan;

/// Bytes hashed at the head of the content and before `read_to`.
pub const BLOCK: u64 = 4 << 10;

/// The version of the ledger's file format.
const VERSION: u32 = 1;

/// Bytes decompressed at a time while looking for the blocks.
const READ_BYTES: usize = 64 << 10;

/// A file's identity on disk, for the fast path: same device, inode, size
/// and modification time as when it was read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl FileId {
    fn of(meta: &fs::Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        }
    }
}

/// Content read up to a byte, known by two hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Mark {
    /// Bytes read, from the start of the content.
    read_to: u64,
    /// Lines in those bytes.
    lines: u64,
    /// BLAKE3 (hex) of the first `min(read_to, BLOCK)` bytes.
    head: String,
    /// BLAKE3 (hex) of the `min(read_to, BLOCK)` bytes ending at `read_to`.
    tail: String,
}

/// One thing the ledger knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    mark: Mark,
    /// The file's identity when its content was read to its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<FileId>,
    /// The last day (days since 1970-01-01) a run saw this content.
    seen: i32,
}

/// The ledger's file.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    version: u32,
    entries: Vec<Entry>,
}

/// What the ledger knows of the inputs' content: which content was read
/// up to where. Load it before a run, [`Ledger::plan`] each source, and
/// after a run that read them, [`Ledger::record`] each and save it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    entries: Vec<Entry>,
}

/// What [`Ledger::plan`] learnt about a source, for [`Ledger::record`]:
/// its identity on disk and the entry it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    file: FileId,
    matched: Option<Mark>,
}

/// Where to start reading a source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resume {
    /// Bytes of the (decompressed) content already read: 0 for new
    /// content.
    pub skip_bytes: u64,
    /// Lines in those bytes.
    pub skip_lines: u64,
    /// The content was read to its end already: nothing to read.
    pub done: bool,
    /// What to give [`Ledger::record`] after the run.
    pub fingerprint: Fingerprint,
}

impl Resume {
    /// Sets where `source` is read from. A plain file may still be being
    /// written, so its last line is read only once it ends in a newline;
    /// a compressed file is final and is read to its end.
    pub fn apply(&self, source: &mut Source) {
        source.skip_bytes = self.skip_bytes;
        source.skip_lines = self.skip_lines;
        source.whole_lines = source.compression == crate::input::Compression::None;
    }

    /// The span a run would report for a source it did not read because
    /// it was done: for [`Ledger::record`], which then only marks it seen.
    pub fn unread_span(&self) -> ReadSpan {
        ReadSpan {
            start_byte: self.skip_bytes,
            start_line: self.skip_lines,
            end_byte: self.skip_bytes,
            end_line: self.skip_lines,
            to_end: self.done,
        }
    }
}

fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Bytes hashed at each end of content read up to `read_to`.
fn block_len(read_to: u64) -> u64 {
    read_to.min(BLOCK)
}

/// The content of a source as the pipeline reads it (decompressed,
/// unwrapped), read forward for the blocks asked, in order of their ends.
enum Content {
    Empty,
    Plain(File, u64),
    Stream {
        reader: Box<dyn Read + Send>,
        /// Bytes of the stream from `start` on, as far as read.
        buf: Vec<u8>,
        start: u64,
        eof: bool,
    },
}

impl Content {
    fn open(source: &Source) -> io::Result<Content> {
        Ok(match read::open(source)? {
            Opened::Empty => Content::Empty,
            Opened::Plain(file, len) => Content::Plain(file, len),
            Opened::Stream(reader) => Content::Stream {
                reader,
                buf: Vec::new(),
                start: 0,
                eof: false,
            },
        })
    }

    /// The bytes `from..to`, or `None` when the content ends before `to`.
    /// For a stream, bytes before `from` are forgotten, so later calls
    /// must not ask for them.
    fn block(&mut self, from: u64, to: u64) -> io::Result<Option<Vec<u8>>> {
        match self {
            Content::Empty => Ok((to == 0).then(Vec::new)),
            Content::Plain(file, len) => {
                if to > *len {
                    return Ok(None);
                }
                let mut buf = Vec::new();
                let n = read::read_range(file, from..to, &mut buf)?;
                buf.truncate(n);
                Ok(Some(buf))
            }
            Content::Stream {
                reader,
                buf,
                start,
                eof,
            } => {
                let mut scratch = vec![0u8; READ_BYTES];
                while *start + (buf.len() as u64) < to && !*eof {
                    match reader.read(&mut scratch) {
                        Ok(0) => *eof = true,
                        Ok(n) => buf.extend_from_slice(&scratch[..n]),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                    // Only bytes from `from` on are asked for again.
                    let stale = usize::try_from(from.saturating_sub(*start))
                        .unwrap_or(usize::MAX)
                        .min(buf.len());
                    buf.drain(..stale);
                    *start += stale as u64;
                }
                if *start + (buf.len() as u64) < to || from < *start {
                    return Ok(None);
                }
                // Both fit: `to - start` is at most `buf.len()`.
                let (a, b) = ((from - *start) as usize, (to - *start) as usize);
                Ok(Some(buf[a..b].to_vec()))
            }
        }
    }

    /// The first [`BLOCK`] bytes, or all of a shorter content.
    fn head(&mut self) -> io::Result<Vec<u8>> {
        if let Some(b) = self.block(0, BLOCK)? {
            return Ok(b);
        }
        Ok(match self {
            Content::Empty => Vec::new(),
            Content::Plain(file, len) => read::read_head(file, block_len(*len) as usize)?,
            // Ended before a block: nothing was forgotten.
            Content::Stream { buf, .. } => buf.clone(),
        })
    }

    /// Whether the content goes on past byte `at`.
    fn longer_than(&mut self, at: u64) -> io::Result<bool> {
        if let Content::Plain(_, len) = self {
            return Ok(*len > at);
        }
        Ok(self.block(at, at + 1)?.is_some())
    }
}

impl Ledger {
    /// Reads the ledger at `path`; a missing file is an empty ledger (the
    /// first run).
    pub fn load(path: &Path) -> Result<Ledger, Error> {
        let text = match fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Ledger::default()),
            Err(source) => {
                return Err(Error::Ledger {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let corrupt = |message: String| Error::LedgerDamaged {
            path: path.to_path_buf(),
            message,
        };
        let stored: Stored = serde_json::from_slice(&text).map_err(|e| corrupt(e.to_string()))?;
        if stored.version != VERSION {
            return Err(corrupt(format!(
                "format version {}, this logveil reads version {VERSION}",
                stored.version
            )));
        }
        Ok(Ledger {
            entries: stored.entries,
        })
    }

    /// Writes the ledger to `path` atomically: a private (0600) temporary
    /// file beside it, synced, renamed over it, and the directory synced,
    /// so a crash leaves the old ledger or the new one, never a mix.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let failed = |source| Error::Ledger {
            path: path.to_path_buf(),
            source,
        };
        let stored = Stored {
            version: VERSION,
            entries: self.entries.clone(),
        };
        let text = serde_json::to_vec_pretty(&stored).map_err(|e| failed(io::Error::other(e)))?;
        let temp = temp_path(path);
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            fs::rename(&temp, path)?;
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            File::open(dir)?.sync_all()
        };
        write().map_err(|e| {
            // A temporary file left behind would only be clutter.
            let _ = fs::remove_file(&temp);
            failed(e)
        })
    }

    /// Where to start reading `source`: from its start (new content),
    /// from where an earlier run stopped (appended content), or not at
    /// all ([`Resume::done`]: read to its end already).
    pub fn plan(&self, source: &Source) -> io::Result<Resume> {
        let file = FileId::of(&fs::metadata(&source.path)?);
        // The fast path: the very file an earlier run read to its end.
        if let Some(e) = self
            .entries
            .iter()
            .filter(|e| e.file == Some(file))
            .max_by_key(|e| e.mark.read_to)
        {
            return Ok(Resume {
                skip_bytes: e.mark.read_to,
                skip_lines: e.mark.lines,
                done: true,
                fingerprint: Fingerprint {
                    file,
                    matched: Some(e.mark.clone()),
                },
            });
        }
        let mut content = Content::open(source)?;
        let head = content.head()?;
        let mut candidates: Vec<&Mark> = self
            .entries
            .iter()
            .map(|e| &e.mark)
            .filter(|m| {
                let n = block_len(m.read_to) as usize;
                m.read_to > 0 && head.len() >= n && hash(&head[..n]) == m.head
            })
            .collect();
        candidates.sort_by_key(|m| m.read_to);
        candidates.dedup_by(|a, b| a.read_to == b.read_to && a.tail == b.tail);
        let mut best = None;
        for m in candidates {
            match content.block(m.read_to - block_len(m.read_to), m.read_to)? {
                Some(b) if hash(&b) == m.tail => best = Some(m),
                Some(_) => {}
                // Shorter than this entry, so than all later ones.
                None => break,
            }
        }
        Ok(match best {
            None => Resume {
                skip_bytes: 0,
                skip_lines: 0,
                done: false,
                fingerprint: Fingerprint {
                    file,
                    matched: None,
                },
            },
            Some(m) => Resume {
                skip_bytes: m.read_to,
                skip_lines: m.lines,
                // Content that cannot be read past the match (a cut-off
                // archive) is still the content read before: resume there,
                // and let the run report the damage again, rather than
                // forget the match and read it all a second time.
                done: content.longer_than(m.read_to).is_ok_and(|more| !more),
                fingerprint: Fingerprint {
                    file,
                    matched: Some(m.clone()),
                },
            },
        })
    }

    /// Notes that a run read `source`'s content up to `span.end_byte`
    /// (`span.end_line` lines), on `day` (days since 1970-01-01). The
    /// blocks the plan saw are reused; others are read from the source,
    /// so call it before the source changes again (right after the run).
    /// A source read to its end (`span.to_end`) also keeps its identity on
    /// disk for the fast path.
    pub fn record(
        &mut self,
        source: &Source,
        fingerprint: &Fingerprint,
        span: &ReadSpan,
        day: i32,
    ) -> io::Result<()> {
        let read_to = span.end_byte;
        if read_to == 0 {
            // Nothing read: no content to know it by.
            return Ok(());
        }
        let mark = match &fingerprint.matched {
            Some(m) if m.read_to == read_to => Mark {
                lines: span.end_line,
                ..m.clone()
            },
            _ => {
                let n = block_len(read_to);
                let mut content = Content::open(source)?;
                let shrank = || {
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the input is now shorter than the {read_to} bytes read"),
                    )
                };
                let head = content.block(0, n)?.ok_or_else(shrank)?;
                let tail = content.block(read_to - n, read_to)?.ok_or_else(shrank)?;
                Mark {
                    read_to,
                    lines: span.end_line,
                    head: hash(&head),
                    tail: hash(&tail),
                }
            }
        };
        let file = span.to_end.then_some(fingerprint.file);
        if file.is_some() {
            // One identity, one content: an older entry of this file no
            // longer describes it.
            for e in &mut self.entries {
                if e.file == file {
                    e.file = None;
                }
            }
        }
        let same = |e: &&mut Entry| {
            e.mark.read_to == mark.read_to && e.mark.head == mark.head && e.mark.tail == mark.tail
        };
        match self.entries.iter_mut().find(same) {
            Some(e) => {
                e.mark.lines = mark.lines;
                e.seen = e.seen.max(day);
                e.file = file.or(e.file);
            }
            None => self.entries.push(Entry {
                mark,
                file,
                seen: day,
            }),
        }
        Ok(())
    }

    /// Forgets entries no run has seen in the `keep_days` days up to
    /// `today` (days since 1970-01-01); returns how many. Content older
    /// than that is gone from the log directory too, or would be read
    /// again in full if it came back.
    pub fn forget_unseen(&mut self, today: i32, keep_days: u32) -> usize {
        let before = self.entries.len();
        let oldest = i64::from(today) - i64::from(keep_days);
        self.entries.retain(|e| i64::from(e.seen) >= oldest);
        before - self.entries.len()
    }

    /// How many entries the ledger holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the ledger holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A temporary name beside `path`, unique to this process and moment, so
/// two runs (or a killed run's leftover) never share one.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    path.with_file_name(format!(".{name}.{}-{nanos}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests;
