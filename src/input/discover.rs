//! Finding input files.
//!
//! Directories are walked recursively in name order, so two runs over the
//! same tree read files in the same order. Hidden entries (a name starting
//! with `.`) are skipped inside directories, but a hidden path named
//! explicitly is read. Symbolic links are followed; a directory reached
//! twice (a link loop, or two links to one place) is read once, and a file
//! reached twice is read once. Inside directories, files that are plainly
//! not logs (documentation, scripts, Parquet outputs: see
//! [`NOT_LOG_EXTENSIONS`]) are passed over and listed as ignored, so a log
//! directory with a README in it still reads cleanly; a file named
//! explicitly is always read. Compression is recognised by magic bytes,
//! not by extension, because rotation schemes name files freely
//! (`access.log.2.gz`, `access.log-20260301`).
//!
//! Inputs inside the run's output directory are never read: they are a
//! previous run's outputs, and reading them back would count tables as log
//! lines. They are still listed as ignored, with the reason, so that every
//! path a user named appears in the manifest; one the user named (or
//! reached through a named directory that is itself inside the output)
//! makes the run incomplete, since the user asked for it to be read
//! ([`Discovery::set_aside_output`]).
//!
//! [`within_run`] says whether a path lies inside a run's inputs or output,
//! comparing resolved paths (links and `..` followed), so a key file or a
//! run log cannot slip into the logs or the published tables through a
//! relative path or a link.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How an input is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// Plain text.
    #[default]
    None,
    /// gzip (one or more members).
    Gzip,
    /// Zstandard (one or more frames).
    Zstd,
    /// bzip2 (one or more streams, as `pbzip2` writes).
    Bzip2,
}

impl Compression {
    /// Name for the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
        }
    }

    /// Recognises compression from the first bytes of a file.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if matches!(head, [b'B', b'Z', b'h', b'1'..=b'9', ..]) {
            // `BZh` and the block size digit: three letters alone may
            // also start a plain text file.
            Compression::Bzip2
        } else {
            Compression::None
        }
    }
}

/// Extensions of files that are never logs, ignored inside directories.
pub const NOT_LOG_EXTENSIONS: &[&str] = &[
    "md", "markdown", "rst", "py", "sh", "parquet", "toml", "pdf",
];

fn plainly_not_a_log(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| NOT_LOG_EXTENSIONS.iter().any(|n| n.eq_ignore_ascii_case(e)))
}

/// One input file, and how much of it to read.
///
/// Discovery reads every file whole; a nightly run that keeps a ledger of
/// what it read sets [`Source::skip_bytes`] and [`Source::skip_lines`]
/// from it, so only content appended since is parsed. Offsets are in the
/// stream the pipeline reads (decompressed, unwrapped), and the format is
/// still detected from the file's head.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// Path as reached from the user's arguments.
    pub path: PathBuf,
    /// Size on disk.
    pub size: u64,
    /// Compression, from magic bytes.
    pub compression: Compression,
    /// Bytes of the (decompressed) content already read by an earlier
    /// run: lines before it are neither parsed nor counted. Always at a
    /// line start (where an earlier run stopped).
    pub skip_bytes: u64,
    /// Lines in those bytes, so that line numbers stay the file's own.
    pub skip_lines: u64,
    /// Read only lines that end in a newline: a last line without one is
    /// left for the next run, since the server may still be writing it.
    /// Meant for files still being appended to; a compressed, rotated file
    /// is final, and its last line is read whether it ends or not.
    pub whole_lines: bool,
}

impl Source {
    /// A source read whole, from its start.
    pub fn new(path: PathBuf, size: u64, compression: Compression) -> Self {
        Source {
            path,
            size,
            compression,
            ..Source::default()
        }
    }
}

/// A path that yielded nothing. The path stays with the operator: the
/// manifest lists it by id only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PathProblem {
    /// The path.
    pub path: PathBuf,
    /// What went wrong (never the path itself).
    pub message: String,
}

/// Why a file was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ignore {
    /// Inside an input directory, with one of [`NOT_LOG_EXTENSIONS`].
    NotALog,
    /// Inside the output directory, found in an input directory that holds
    /// it: a previous run's output.
    InOutput,
    /// Inside the output directory, and named as an input (itself, or a
    /// directory holding it that is inside the output too).
    NamedInOutput,
}

/// The reason [`Ignore::NamedInOutput`] gives, for callers that warn
/// about it.
pub const NAMED_IN_OUTPUT: &str = "named as an input but inside the output directory: not read, since a run never reads outputs as inputs";

impl Ignore {
    /// The reason as the manifest states it; it names the file's
    /// extension at most, never the path.
    pub fn reason(self, path: &Path) -> String {
        match self {
            Ignore::NotALog => {
                // The extension is one of `NOT_LOG_EXTENSIONS`, never input text.
                let ext = path
                    .extension()
                    .map(|e| e.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default();
                format!("not a log: a .{ext} file inside an input directory")
            }
            Ignore::InOutput => {
                "inside the output directory: a previous run's output, not read".to_string()
            }
            Ignore::NamedInOutput => NAMED_IN_OUTPUT.to_string(),
        }
    }

    /// Whether passing the file over leaves the run incomplete: the user
    /// named it, so its lines were expected.
    pub fn fails_run(self) -> bool {
        self == Ignore::NamedInOutput
    }
}

/// A file passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ignored {
    /// Path as reached from the user's arguments.
    pub path: PathBuf,
    /// Why.
    pub why: Ignore,
}

/// The result of discovery: inputs to read and paths that failed.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Discovery {
    /// Files to read, in order.
    pub sources: Vec<Source>,
    /// Paths that could not be read or listed.
    pub problems: Vec<PathProblem>,
    /// Files passed over, with the reason.
    pub ignored: Vec<Ignored>,
}

impl Discovery {
    /// Moves the sources inside the output directory `out` to the ignored
    /// files: a file under a path of `named` (the user's arguments) that is
    /// itself inside `out` as [`Ignore::NamedInOutput`], any other as
    /// [`Ignore::InOutput`]. Paths are compared resolved, so a link or a
    /// `..` into the output directory is caught.
    pub fn set_aside_output(&mut self, named: &[PathBuf], out: &Path) {
        let out = resolve(out);
        let named_inside: Vec<&PathBuf> = named
            .iter()
            .filter(|p| resolve(p).starts_with(&out))
            .collect();
        let (inside, outside): (Vec<Source>, Vec<Source>) = std::mem::take(&mut self.sources)
            .into_iter()
            .partition(|s| resolve(&s.path).starts_with(&out));
        self.sources = outside;
        for s in inside {
            let why = if named_inside.iter().any(|n| s.path.starts_with(n)) {
                Ignore::NamedInOutput
            } else {
                Ignore::InOutput
            };
            self.ignored.push(Ignored { path: s.path, why });
        }
    }
}

struct Walker {
    seen_dirs: HashSet<(u64, u64)>,
    seen_files: HashSet<(u64, u64)>,
    out: Discovery,
}

impl Walker {
    fn problem(&mut self, path: &Path, message: String) {
        self.out.problems.push(PathProblem {
            path: path.to_path_buf(),
            message,
        });
    }

    fn visit(&mut self, path: &Path, named: bool) {
        // `metadata` follows links: a link to a file is that file.
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return self.problem(path, format!("cannot read: {e}")),
        };
        let id = (meta.dev(), meta.ino());
        if meta.is_dir() {
            if !self.seen_dirs.insert(id) {
                return; // a loop or a second link to a directory already read
            }
            let entries = match fs::read_dir(path) {
                Ok(e) => e,
                Err(e) => return self.problem(path, format!("cannot list directory: {e}")),
            };
            let mut children: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .filter(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
                .map(|e| e.path())
                .collect();
            children.sort();
            for child in children {
                self.visit(&child, false);
            }
        } else if meta.is_file() {
            if !named && plainly_not_a_log(path) {
                self.out.ignored.push(Ignored {
                    path: path.to_path_buf(),
                    why: Ignore::NotALog,
                });
                return;
            }
            if !self.seen_files.insert(id) {
                return;
            }
            let mut head = [0u8; 4];
            let n = fs::File::open(path)
                .and_then(|mut f| read_up_to(&mut f, &mut head))
                .unwrap_or(0);
            self.out.sources.push(Source::new(
                path.to_path_buf(),
                meta.len(),
                Compression::sniff(&head[..n]),
            ));
        } else {
            self.problem(path, "not a regular file or directory; skipped".to_string());
        }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Lists the files under `paths` (files or directories), in a stable order.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut walker = Walker {
        seen_dirs: HashSet::new(),
        seen_files: HashSet::new(),
        out: Discovery::default(),
    };
    for p in paths {
        walker.visit(p, true);
    }
    walker.out
}

/// `path` with links and `..` resolved as far as it exists: the longest
/// existing ancestor is canonicalized and the rest appended, so an output
/// directory the run has yet to create still compares correctly.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    loop {
        if let Ok(mut resolved) = existing.canonicalize() {
            resolved.extend(missing.iter().rev());
            return resolved;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name);
                existing = parent;
            }
            // Nothing of it exists (or it ends in `..`): compare as given.
            _ => return absolute,
        }
    }
}

/// Where a path lies within a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Within {
    /// Inside (or equal to) this input file or directory.
    Input(PathBuf),
    /// Inside the output directory.
    Output(PathBuf),
}

impl std::fmt::Display for Within {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Within::Input(p) => write!(f, "the input {}", p.display()),
            Within::Output(p) => write!(f, "the output directory {}", p.display()),
        }
    }
}

/// Whether `path` is inside the output directory or inside (or equal to)
/// one of the inputs, after resolving links on both sides.
pub fn within_run<'a>(
    path: &Path,
    inputs: impl IntoIterator<Item = &'a Path>,
    out: &Path,
) -> Option<Within> {
    let path = resolve(path);
    if path.starts_with(resolve(out)) {
        return Some(Within::Output(out.to_path_buf()));
    }
    inputs
        .into_iter()
        .find(|input| path.starts_with(resolve(input)))
        .map(|input| Within::Input(input.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_skips_hidden_survives_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/sub")).unwrap();
        fs::write(root.join("b/sub/z.log"), "x\n").unwrap();
        fs::write(root.join("b/a.log"), "x\n").unwrap();
        fs::write(root.join("a.log.2.gz"), [0x1f, 0x8b, 8, 0]).unwrap();
        fs::write(root.join(".hidden.log"), "x\n").unwrap();
        fs::write(root.join("README.md"), "x\n").unwrap();
        fs::create_dir(root.join(".git")).unwrap();
        fs::write(root.join(".git/config"), "x\n").unwrap();
        std::os::unix::fs::symlink(root, root.join("b/sub/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("b/a.log"), root.join("c-link.log")).unwrap();

        let d = discover(&[root.to_path_buf()]);
        let names: Vec<_> = d
            .sources
            .iter()
            .map(|s| {
                s.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, vec!["a.log.2.gz", "b/a.log", "b/sub/z.log"]);
        assert_eq!(d.sources[0].compression, Compression::Gzip);
        assert_eq!(d.sources[1].compression, Compression::None);
        assert!(d.problems.is_empty());
        assert_eq!(
            d.ignored,
            vec![Ignored {
                path: root.join("README.md"),
                why: Ignore::NotALog
            }]
        );
        assert_eq!(
            Ignore::NotALog.reason(&root.join("README.md")),
            "not a log: a .md file inside an input directory"
        );

        // An explicitly named hidden file is read; a missing path is a problem.
        let d = discover(&[
            root.join(".hidden.log"),
            root.join("README.md"),
            root.join("missing"),
        ]);
        assert_eq!(d.sources.len(), 2);
        assert_eq!(d.problems.len(), 1);
    }

    #[test]
    fn within_run_resolves_links_relative_paths_and_missing_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("logs/sub")).unwrap();
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::write(root.join("logs/sub/k"), "x").unwrap();
        fs::write(root.join("etc/k"), "x").unwrap();
        std::os::unix::fs::symlink(root.join("logs"), root.join("link")).unwrap();
        let out = root.join("out/not/yet");
        let logs = root.join("logs");
        let inputs = [logs.as_path()];
        assert_eq!(
            within_run(&root.join("link/sub/k"), inputs, &out),
            Some(Within::Input(logs.clone()))
        );
        assert_eq!(
            within_run(&root.join("logs/sub/../sub/k"), inputs, &out),
            Some(Within::Input(logs.clone()))
        );
        assert_eq!(within_run(&root.join("etc/k"), inputs, &out), None);
        // An output directory that does not exist yet, reached through a link.
        let via_link = root.join("link/sub/new-out");
        assert_eq!(
            within_run(&root.join("logs/sub/new-out/run.json"), [], &via_link),
            Some(Within::Output(via_link.clone()))
        );
        // A file given as an input contains itself.
        let file = root.join("etc/k");
        assert_eq!(
            within_run(&file, [file.as_path()], &out),
            Some(Within::Input(file.clone()))
        );
        // A sibling with a common name prefix is not inside.
        fs::write(root.join("logs2"), "x").unwrap();
        assert_eq!(within_run(&root.join("logs2"), inputs, &out), None);
    }

    #[test]
    fn inputs_inside_the_output_are_set_aside_and_named_ones_fail_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("par");
        fs::create_dir_all(out.join("logs")).unwrap();
        fs::create_dir_all(root.join("logs")).unwrap();
        fs::write(out.join("logs/a.log"), "x\n").unwrap();
        fs::write(out.join("_manifest.json"), "{}\n").unwrap();
        fs::write(root.join("logs/clean.log"), "x\n").unwrap();
        std::os::unix::fs::symlink(out.join("logs/a.log"), root.join("link.log")).unwrap();

        // Named: the file itself, through a link, or its directory.
        let named = vec![
            out.join("logs/a.log"),
            root.join("logs/clean.log"),
            root.join("link.log"),
        ];
        let mut d = discover(&named);
        // The link is the same file as the first: read (or not) once.
        assert_eq!(d.sources.len(), 2);
        d.set_aside_output(&named, &out);
        assert_eq!(d.sources.len(), 1);
        assert_eq!(d.sources[0].path, root.join("logs/clean.log"));
        assert_eq!(
            d.ignored,
            vec![Ignored {
                path: out.join("logs/a.log"),
                why: Ignore::NamedInOutput
            }]
        );
        assert!(Ignore::NamedInOutput.fails_run());
        assert!(
            Ignore::NamedInOutput
                .reason(&d.ignored[0].path)
                .contains("inside the output directory")
        );
        let named = vec![out.join("logs")];
        let mut d = discover(&named);
        d.set_aside_output(&named, &out);
        assert!(d.sources.is_empty());
        assert_eq!(d.ignored[0].why, Ignore::NamedInOutput);

        // An input directory that holds the output: its files there are a
        // previous run's, passed over without failing the run.
        fs::remove_file(root.join("link.log")).unwrap();
        let named = vec![root.to_path_buf()];
        let mut d = discover(&named);
        d.set_aside_output(&named, &out);
        let whys: Vec<_> = d.ignored.iter().map(|i| (i.path.clone(), i.why)).collect();
        assert_eq!(
            whys,
            vec![
                (out.join("_manifest.json"), Ignore::InOutput),
                (out.join("logs/a.log"), Ignore::InOutput),
            ]
        );
        assert!(!Ignore::InOutput.fails_run());
        assert_eq!(d.sources.len(), 1);
    }
}
