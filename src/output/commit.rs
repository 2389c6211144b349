//! Publishing the output directory all-or-nothing.
//!
//! BI tools point at the output directory itself, so it must stay a real
//! directory whose files are the tables, and a reader must never see new
//! tables beside an old manifest. A run therefore never writes into it:
//!
//! 1. `prepare`, before any input is read: take an exclusive `flock` on
//!    `.<name>.logveil-lock` beside the output (held until the run ends; a
//!    second run refuses at once, naming the holder's pid, or waits),
//!    remove what killed runs left, refuse an output holding files logveil
//!    did not write, and create the staging directory
//!    `.<name>.logveil-tmp-<pid>-<random>` in the same parent (so on the
//!    same file system). Creating it proves the parent is writable.
//! 2. The sink writes and fsyncs every table and the manifest there.
//! 3. `commit`: fsync the staging directory, swap it with the output in
//!    one `renameat2(RENAME_EXCHANGE)` (a plain `rename` on the first run),
//!    fsync the parent, then delete the previous set.
//!
//! Readers see the old directory or the new one, each complete with its
//! manifest. A crash before the swap leaves the old set and a stale staging
//! directory; after it, the new set and the old one under the staging
//! name. Either way the next run deletes the leftovers under the lock.
//!
//! Where the file system or kernel lacks `RENAME_EXCHANGE` (EINVAL,
//! ENOSYS), the swap is two renames: the output aside to
//! `.<name>.logveil-old-…`, then the staging directory in. Between the two
//! the output does not exist (never a mix); a crash in that window leaves
//! it aside, and the next run renames it back before anything else.
//!
//! The same protocol serves two kinds of directory ([`Kind`]): the
//! published tables (flat `<table>.parquet`, or Hive-partitioned
//! `<table>/day=YYYY-MM-DD/part-N.parquet`, with `_manifest.json`) and the
//! private state (`ledger.json`, `state.json`, `partials/…`), which is
//! created mode 0700 since it holds pseudonyms. The kind decides which
//! files count as logveil's own; anything else is foreign and refused
//! unless adopted. A new set may keep files of the published one
//! ([`OutputDir::carry_over`]) as hard links, so re-publishing a few days
//! of a long history costs those days only, and the old set can still be
//! deleted whole after the swap.
//!
//! Test hooks, compiled always (an environment lookup once per run, an
//! atomic increment per step): [`ABORT_ENV`]` = N` aborts the process
//! (as `kill -9` would end it) at the Nth file operation of the publishing,
//! and [`NO_EXCHANGE_ENV`] forces the two-rename fallback, so the kill
//! tests cover both paths on any kernel.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::manifest::MANIFEST_FILE;
use super::schema::ALL_TABLES;
use crate::error::Error;

/// Test hook: abort the process at this (1-based) file operation of the
/// publishing. For kill tests only.
pub const ABORT_ENV: &str = "LOGVEIL_TEST_ABORT_AT";

/// Test hook: when set, swap with two renames as where `RENAME_EXCHANGE`
/// is missing. For kill tests only.
pub const NO_EXCHANGE_ENV: &str = "LOGVEIL_TEST_NO_EXCHANGE";

/// Marks one file operation of the publishing; aborts the process when it
/// is the one [`ABORT_ENV`] names. Called before the operation, so the
/// operation numbered N is the first one not done.
pub(crate) fn step() {
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    static DONE: AtomicU64 = AtomicU64::new(0);
    let at = AT.get_or_init(|| {
        std::env::var(ABORT_ENV)
            .ok()
            .and_then(|v| v.trim().parse().ok())
    });
    if let Some(at) = *at
        && DONE.fetch_add(1, Ordering::SeqCst) + 1 == at
    {
        std::process::abort();
    }
}

/// What a directory replaced through [`OutputDir`] holds, which decides
/// the files that count as logveil's own (everything else is foreign).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum Kind {
    /// Published tables: `_manifest.json`, flat `<table>.parquet`, and
    /// Hive partitions `<table>/day=YYYY-MM-DD/part-N.parquet`, for the
    /// tables of [`ALL_TABLES`].
    #[default]
    Tables,
    /// The private state: `ledger.json`, `state.json`, and under
    /// `partials/` directories named `key=value` holding `.parquet` or
    /// `.arrow` files.
    State,
    /// Decided by the caller: called with a path relative to the
    /// directory and whether it is a directory (a directory that is not
    /// owned is foreign as a whole; an owned one is looked into).
    Custom(fn(&Path, bool) -> bool),
}

impl Kind {
    /// Whether logveil writes the entry at `rel` (relative to the
    /// directory) in a directory of this kind.
    pub fn owns(self, rel: &Path, is_dir: bool) -> bool {
        let parts: Option<Vec<&str>> = rel.iter().map(OsStr::to_str).collect();
        let Some(parts) = parts else {
            return false;
        };
        match self {
            Kind::Tables => tables_own(&parts, is_dir),
            Kind::State => state_owns(&parts, is_dir),
            Kind::Custom(owns) => owns(rel, is_dir),
        }
    }
}

/// [`Kind::Tables`]: the flat names, or the Hive layout (daily tables
/// under `day=`, period tables under `week=` or `month=`).
fn tables_own(parts: &[&str], is_dir: bool) -> bool {
    let table = |name: &str| super::schema::partition_key(name).is_some();
    let key = |t: &str, d: &str| super::hive::partition_dir(t, d).is_some();
    let part = |name: &str| {
        name.strip_prefix("part-")
            .and_then(|n| n.strip_suffix(".parquet"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match (parts, is_dir) {
        ([name], false) => is_own(OsStr::new(name)),
        ([t], true) => table(t),
        ([t, d], true) => key(t, d),
        ([t, d, p], false) => key(t, d) && part(p),
        _ => false,
    }
}

/// [`Kind::State`]: the ledger, the state file, the partials and the
/// differential-privacy budget (`dp/`).
fn state_owns(parts: &[&str], is_dir: bool) -> bool {
    let key = |name: &str| {
        name.split_once('=')
            .is_some_and(|(k, v)| !k.is_empty() && !v.is_empty())
    };
    match (parts, is_dir) {
        (["ledger.json" | "state.json"], false) | (["partials"], true) => true,
        (["dp"] | ["dp", "releases"], true) | (["dp", "budget.json"], false) => true,
        (["dp", "releases", file], false) => file
            .strip_suffix(".json")
            .is_some_and(|name| name.starts_with("day=") && key(name)),
        (["partials", dirs @ ..], true) => dirs.iter().all(|d| key(d)),
        (["partials", dirs @ .., file], false) => {
            !dirs.is_empty()
                && dirs.iter().all(|d| key(d))
                && (file.ends_with(".parquet") || file.ends_with(".arrow"))
        }
        _ => false,
    }
}

/// How to treat another run and an output that holds other files.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct PublishOptions {
    /// Wait for another run holding the lock instead of refusing.
    pub wait: bool,
    /// Accept an output holding files logveil did not write, and carry
    /// them into the new set unchanged (hard links: nothing is copied or
    /// lost).
    pub adopt_foreign: bool,
    /// What the directory holds (which files are logveil's own).
    pub kind: Kind,
    /// Create the new set with mode 0700 whatever the old one had: for a
    /// directory of personal data. [`PublishOptions::state`] sets it.
    pub private: bool,
}

impl PublishOptions {
    /// Options for the private state directory: [`Kind::State`], mode
    /// 0700, refusing foreign files and another run.
    pub fn state() -> PublishOptions {
        PublishOptions {
            kind: Kind::State,
            private: true,
            ..PublishOptions::default()
        }
    }
}

/// An output directory being replaced: the lock, and the staging
/// directory the new set is written into. Dropped without
/// [`OutputDir::commit`], it removes the staging directory and leaves the
/// output as it was.
#[derive(Debug)]
pub struct OutputDir {
    out: PathBuf,
    parent: PathBuf,
    name: OsString,
    staging: PathBuf,
    // Relative to the output, each at the outermost level not owned.
    foreign: Vec<PathBuf>,
    // Held for the run: the lock is the open file description.
    _lock: File,
    done: bool,
}

/// `.<name><suffix>`, a sibling name of the output's.
fn sibling(name: &OsStr, suffix: &str) -> OsString {
    let mut s = OsString::from(".");
    s.push(name);
    s.push(suffix);
    s
}

fn output_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Random hex, so two runs (or a run and a killed one's leftovers with a
/// reused pid) never share a temp name.
fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    // Uniqueness, not secrecy: the pid alone still separates live runs.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether logveil writes a file of this name into an output directory:
/// the tables, the manifest, and the temp names of versions that wrote
/// in place.
fn is_own(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    if name == MANIFEST_FILE || name == format!(".{MANIFEST_FILE}.tmp") {
        return true;
    }
    ALL_TABLES.iter().any(|t| {
        name.strip_suffix(".parquet") == Some(t.name)
            || name.strip_suffix(".parquet.tmp") == Some(&format!(".{}", t.name))
    })
}

/// Makes the directory's entries (creations, renames) durable.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(output_err(dir))
}

/// Makes every directory under `dir` durable, deepest first, so a nested
/// layout survives a crash as a flat one does. Symbolic links are not
/// followed.
fn sync_tree(dir: &Path) -> Result<(), Error> {
    for entry in fs::read_dir(dir).map_err(output_err(dir))? {
        let entry = entry.map_err(output_err(dir))?;
        if entry.file_type().map_err(output_err(dir))?.is_dir() {
            sync_tree(&entry.path())?;
        }
    }
    sync_dir(dir)
}

/// Collects, relative to `root`, the entries under `root/rel` that `kind`
/// does not own: a foreign directory as a whole, an owned one looked into.
fn find_foreign(root: &Path, rel: &Path, kind: Kind, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let dir = root.join(rel);
    for entry in fs::read_dir(&dir).map_err(output_err(&dir))? {
        let entry = entry.map_err(output_err(&dir))?;
        let path = rel.join(entry.file_name());
        // A link to a directory is not looked through.
        let is_dir = entry.file_type().map_err(output_err(&dir))?.is_dir();
        if !kind.owns(&path, is_dir) {
            out.push(path);
        } else if is_dir {
            find_foreign(root, &path, kind, out)?;
        }
    }
    Ok(())
}

/// Collects, relative to `root`, the regular files under `root/rel`.
fn regular_files(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let dir = root.join(rel);
    for entry in fs::read_dir(&dir).map_err(output_err(&dir))? {
        let entry = entry.map_err(output_err(&dir))?;
        let path = rel.join(entry.file_name());
        let ty = entry.file_type().map_err(output_err(&dir))?;
        if ty.is_dir() {
            regular_files(root, &path, out)?;
        } else if ty.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Hard-links `src` at `dst`; where the file system cannot link (another
/// device, links not allowed or too many), copies it and syncs the copy,
/// since unlike a link its bytes are new.
fn link_or_copy(src: &Path, dst: &Path) -> Result<(), Error> {
    match fs::hard_link(src, dst) {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EXDEV | libc::EPERM | libc::EMLINK | libc::EOPNOTSUPP | libc::ENOSYS)
            ) =>
        {
            copy_synced(src, dst)
        }
        Err(e) => Err(output_err(dst)(e)),
    }
}

/// Copies `src` to a new file `dst` with its permissions, and syncs it.
fn copy_synced(src: &Path, dst: &Path) -> Result<(), Error> {
    let mut from = File::open(src).map_err(output_err(src))?;
    let mode = from
        .metadata()
        .map_err(output_err(src))?
        .permissions()
        .mode();
    let mut to = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode & 0o777)
        .open(dst)
        .map_err(output_err(dst))?;
    io::copy(&mut from, &mut to).map_err(output_err(dst))?;
    to.sync_all().map_err(output_err(dst))
}

fn flock(file: &File, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock on a descriptor this `File` owns.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// How long a lock found held is tried again before the run is refused.
///
/// A lock is an `flock` on an open file, and a process that another thread
/// spawns holds a copy of every descriptor until it execs (a `CLOEXEC`
/// descriptor included). A lock released just before may then stay held
/// for a moment by a child that has nothing to do with logveil: an
/// embedding service that spawns processes, or a test harness (seen once
/// in CI, between two commits of one test). A real concurrent run holds it
/// far longer than this.
const LOCK_RETRY: std::time::Duration = std::time::Duration::from_millis(250);

/// Takes the lock of `file` without waiting, trying again for
/// [`LOCK_RETRY`] while it is held; `Ok(false)` if it still is.
fn try_lock(file: &File) -> io::Result<bool> {
    let start = std::time::Instant::now();
    loop {
        match flock(file, libc::LOCK_EX | libc::LOCK_NB) {
            Ok(()) => return Ok(true),
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            Err(_) if start.elapsed() >= LOCK_RETRY => return Ok(false),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
}

/// Takes the run lock, refusing or waiting when another run holds it, and
/// writes this run's pid into it for the next one to name.
fn take_lock(path: &Path, out: &Path, wait: bool) -> Result<File, Error> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(path)
        .map_err(output_err(path))?;
    if !try_lock(&file).map_err(output_err(path))? {
        if !wait {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(Error::Locked {
                out: out.to_path_buf(),
                lock: path.to_path_buf(),
                pid: text.trim().parse().ok(),
            });
        }
        flock(&file, libc::LOCK_EX).map_err(output_err(path))?;
    }
    file.set_len(0)
        .and_then(|()| file.write_all(format!("{}\n", std::process::id()).as_bytes()))
        .map_err(output_err(path))?;
    Ok(file)
}

/// Where the output is, as a parent directory and a name. A path without
/// a name of its own (`.`, `..`) or a symbolic link is resolved, so the
/// swap replaces the directory the user means and keeps a link pointing
/// at it.
fn locate(out: &Path) -> Result<(PathBuf, OsString), Error> {
    let is_link = fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
    let path = if out.file_name().is_none() || is_link {
        fs::canonicalize(out).map_err(output_err(out))?
    } else {
        out.to_path_buf()
    };
    let Some(name) = path.file_name() else {
        return Err(Error::Output {
            path: path.clone(),
            source: io::Error::other("the file system root cannot be an output directory"),
        });
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_os_string()))
}

impl OutputDir {
    /// Locks `out`, cleans what killed runs left, checks its contents and
    /// creates the staging directory: everything that can fail about the
    /// output, before any input is read.
    pub fn prepare(out: &Path, opts: PublishOptions) -> Result<OutputDir, Error> {
        let (parent, name) = locate(out)?;
        fs::create_dir_all(&parent).map_err(output_err(&parent))?;
        let final_path = parent.join(&name);
        let lock_path = parent.join(sibling(&name, ".logveil-lock"));
        let lock = take_lock(&lock_path, &final_path, opts.wait)?;
        clean_stale(&parent, &name, &final_path)?;

        let existing = match fs::metadata(&final_path) {
            Ok(m) if m.is_dir() => Some(m),
            Ok(_) => {
                return Err(Error::Output {
                    path: final_path,
                    source: io::Error::other("exists and is not a directory"),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(output_err(&final_path)(e)),
        };
        let mut foreign = Vec::new();
        if existing.is_some() {
            find_foreign(&final_path, Path::new(""), opts.kind, &mut foreign)?;
            foreign.sort();
        }
        if !foreign.is_empty() && !opts.adopt_foreign {
            return Err(Error::ForeignFiles {
                out: final_path,
                count: foreign.len(),
                names: foreign
                    .iter()
                    .take(5)
                    .map(|n| n.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let staging = parent.join(sibling(
            &name,
            &format!(".logveil-tmp-{}-{}", std::process::id(), random_suffix()),
        ));
        fs::DirBuilder::new()
            .mode(if opts.private { 0o700 } else { 0o755 })
            .create(&staging)
            .map_err(output_err(&staging))?;
        let dir = OutputDir {
            out: final_path,
            parent,
            name,
            staging,
            foreign,
            _lock: lock,
            done: false,
        };
        // A private set is 0700 whatever the umask or the old set said;
        // otherwise the new set keeps the permissions the operator gave
        // the old one.
        let mode = if opts.private {
            Some(fs::Permissions::from_mode(0o700))
        } else {
            existing.map(|m| m.permissions())
        };
        if let Some(mode) = mode {
            fs::set_permissions(&dir.staging, mode).map_err(output_err(&dir.staging))?;
        }
        Ok(dir)
    }

    /// The directory the new set is written into.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// The output directory.
    pub fn path(&self) -> &Path {
        &self.out
    }

    /// The regular files of the published set, relative to the output and
    /// sorted (symbolic links and special files left out); none when
    /// nothing is published yet. Stable for the run: the lock keeps other
    /// runs from publishing.
    pub fn published_files(&self) -> Result<Vec<PathBuf>, Error> {
        let mut files = Vec::new();
        if fs::symlink_metadata(&self.out).is_ok_and(|m| m.is_dir()) {
            regular_files(&self.out, Path::new(""), &mut files)?;
        }
        files.sort();
        Ok(files)
    }

    /// Keeps files of the published set in the new one: every regular
    /// file of the output whose path relative to it satisfies `keep` gets
    /// the same relative path under the staging directory (directories
    /// created as needed), as a hard link, or a copy where the file
    /// system refuses the link. Symbolic links and other special files
    /// are never carried. Returns the relative paths carried, sorted; none
    /// when nothing is published yet.
    ///
    /// A file the new set already holds at that path is an error: the
    /// caller's `keep` must leave out what it writes anew.
    pub fn carry_over(&self, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, Error> {
        let mut files = self.published_files()?;
        files.retain(|rel| keep(rel));
        for rel in &files {
            if let Some(parent) = rel.parent() {
                self.make_dirs(parent)?;
            }
            step();
            link_or_copy(&self.out.join(rel), &self.staging.join(rel))?;
        }
        Ok(files)
    }

    /// Creates `rel` and its missing ancestors under the staging
    /// directory, each with the permissions of its namesake in the output
    /// (or the default, where there is none).
    fn make_dirs(&self, rel: &Path) -> Result<(), Error> {
        let mut at = PathBuf::new();
        for part in rel.iter() {
            at.push(part);
            let dst = self.staging.join(&at);
            match fs::create_dir(&dst) {
                Ok(()) => {
                    if let Ok(m) = fs::metadata(self.out.join(&at)) {
                        fs::set_permissions(&dst, m.permissions()).map_err(output_err(&dst))?;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(output_err(&dst)(e)),
            }
        }
        Ok(())
    }

    /// Publishes the staging directory as the output, durably, and removes
    /// the previous set. Returns the output's path.
    pub fn commit(mut self) -> Result<PathBuf, Error> {
        self.carry_foreign()?;
        step();
        sync_tree(&self.staging)?;
        let old = self.swap()?;
        // From here the new set is the output; a failure below leaves it.
        self.done = true;
        step();
        sync_dir(&self.parent)?;
        if let Some(old) = old {
            step();
            // Best effort: what stays is hidden and removed by the next run.
            let _ = fs::remove_dir_all(old);
        }
        Ok(self.out.clone())
    }

    /// Hard-links the files logveil did not write into the new set
    /// (directories rebuilt, links recreated), so they survive the swap
    /// unchanged and the old set can still be deleted whole.
    fn carry_foreign(&self) -> Result<(), Error> {
        for rel in &self.foreign {
            if let Some(parent) = rel.parent() {
                self.make_dirs(parent)?;
            }
            step();
            link_tree(&self.out.join(rel), &self.staging.join(rel))?;
        }
        Ok(())
    }

    /// Puts the staging directory in the output's place; returns where the
    /// previous set now is, if there was one.
    fn swap(&self) -> Result<Option<PathBuf>, Error> {
        step();
        if !fs::exists(&self.out).map_err(output_err(&self.out))? {
            fs::rename(&self.staging, &self.out).map_err(output_err(&self.out))?;
            return Ok(None);
        }
        if std::env::var_os(NO_EXCHANGE_ENV).is_none() {
            match exchange(&self.staging, &self.out) {
                Ok(()) => return Ok(Some(self.staging.clone())),
                Err(e) if !exchange_unsupported(&e) => return Err(output_err(&self.out)(e)),
                Err(_) => {}
            }
        }
        let aside = self.parent.join(sibling(
            &self.name,
            &format!(".logveil-old-{}-{}", std::process::id(), random_suffix()),
        ));
        fs::rename(&self.out, &aside).map_err(output_err(&self.out))?;
        step();
        if let Err(e) = fs::rename(&self.staging, &self.out) {
            // Put the previous set back rather than leave no output.
            let _ = fs::rename(&aside, &self.out);
            return Err(output_err(&self.out)(e));
        }
        Ok(Some(aside))
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

fn exchange_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

/// Swaps two paths atomically (Linux `renameat2(RENAME_EXCHANGE)`), by
/// system call number so an older C library does not matter.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: two valid NUL-terminated paths relative to the working
    // directory; the call reads them only.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

/// Rebuilds `src` at `dst` with hard links to its files.
fn link_tree(src: &Path, dst: &Path) -> Result<(), Error> {
    let meta = fs::symlink_metadata(src).map_err(output_err(src))?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(src).map_err(output_err(src))?;
        std::os::unix::fs::symlink(target, dst).map_err(output_err(dst))
    } else if meta.is_dir() {
        fs::create_dir(dst).map_err(output_err(dst))?;
        fs::set_permissions(dst, meta.permissions()).map_err(output_err(dst))?;
        for entry in fs::read_dir(src).map_err(output_err(src))? {
            let entry = entry.map_err(output_err(src))?;
            link_tree(&entry.path(), &dst.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        fs::hard_link(src, dst).map_err(output_err(dst))
    }
}

/// Removes the staging directories of killed runs and, when a two-rename
/// swap was killed between its renames, puts the previous set back.
/// Called under the lock, so nothing found here is in use.
fn clean_stale(parent: &Path, name: &OsStr, out: &Path) -> Result<(), Error> {
    let tmp = sibling(name, ".logveil-tmp-");
    let old = sibling(name, ".logveil-old-");
    let mut asides = Vec::new();
    for entry in fs::read_dir(parent).map_err(output_err(parent))? {
        let entry = entry.map_err(output_err(parent))?;
        let n = entry.file_name();
        let bytes = n.as_encoded_bytes();
        if bytes.starts_with(tmp.as_encoded_bytes()) {
            fs::remove_dir_all(entry.path()).map_err(output_err(&entry.path()))?;
        } else if bytes.starts_with(old.as_encoded_bytes()) {
            asides.push(entry.path());
        }
    }
    if !asides.is_empty() && !fs::exists(out).map_err(output_err(out))? {
        // One two-rename swap runs at a time, so at most one set is aside
        // without a successor.
        if let Some(previous) = asides.pop() {
            fs::rename(&previous, out).map_err(output_err(out))?;
            sync_dir(parent)?;
        }
    }
    for aside in asides {
        fs::remove_dir_all(&aside).map_err(output_err(&aside))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_names_are_tables_manifest_and_old_temps() {
        for n in [
            "_manifest.json",
            "._manifest.json.tmp",
            "web_pages.parquet",
            ".web_pages.parquet.tmp",
        ] {
            assert!(is_own(OsStr::new(n)), "{n}");
        }
        for n in ["notes.txt", "web_pages.csv", "x.parquet", ".web_pages.tmp"] {
            assert!(!is_own(OsStr::new(n)), "{n}");
        }
    }

    #[test]
    fn the_tables_kind_owns_the_flat_and_the_hive_layout() {
        let owns = |p: &str, dir: bool| Kind::Tables.owns(Path::new(p), dir);
        assert!(owns("web_pages.parquet", false));
        assert!(owns("_manifest.json", false));
        assert!(owns("web_pages", true));
        assert!(owns("web_pages/day=2026-03-28", true));
        assert!(owns("web_pages/day=2026-03-28/part-0.parquet", false));
        assert!(owns("zoom_signins/day=1999-12-31/part-17.parquet", false));
        for (p, dir) in [
            ("notes", true),
            ("web_pages", false),
            ("web_pages.parquet", true),
            ("web_pages/day=2026-02-30", true),
            ("web_pages/hour=2026-03-28", true),
            ("web_pages/day=2026-03-28/part-0.parquet", true),
            ("web_pages/day=2026-03-28/part-.parquet", false),
            ("web_pages/day=2026-03-28/part-0.csv", false),
            ("web_pages/day=2026-03-28/x/part-0.parquet", false),
            ("web_pages/part-0.parquet", false),
            ("ledger.json", false),
        ] {
            assert!(!owns(p, dir), "{p} {dir}");
        }
    }

    #[test]
    fn the_state_kind_owns_the_ledger_and_the_partials() {
        let owns = |p: &str, dir: bool| Kind::State.owns(Path::new(p), dir);
        assert!(owns("ledger.json", false));
        assert!(owns("state.json", false));
        assert!(owns("partials", true));
        assert!(owns("partials/day=2026-03-28", true));
        assert!(owns("partials/day=2026-03-28/web.parquet", false));
        assert!(owns("partials/epoch=2026-W13/web.arrow", false));
        assert!(owns("dp", true));
        assert!(owns("dp/budget.json", false));
        assert!(owns("dp/releases/day=2026-03-28.json", false));
        for (p, dir) in [
            ("ledger.json", true),
            ("partials", false),
            ("partials/web.parquet", false),
            ("partials/misc", true),
            ("partials/day=2026-03-28/notes.txt", false),
            ("_manifest.json", false),
            ("web_pages.parquet", false),
            ("dp/notes.txt", false),
            ("dp/releases/day=2026-03-28.txt", false),
        ] {
            assert!(!owns(p, dir), "{p} {dir}");
        }
        let custom = Kind::Custom(|p, dir| !dir && p == Path::new("x"));
        assert!(custom.owns(Path::new("x"), false));
        assert!(!custom.owns(Path::new("y"), false));
    }

    #[test]
    fn a_copy_where_links_fail_keeps_bytes_and_mode() {
        let base = std::env::temp_dir().join(format!("logveil-commit-{}", random_suffix()));
        fs::create_dir_all(&base).unwrap();
        let (src, dst) = (base.join("a"), base.join("b"));
        fs::write(&src, "bytes").unwrap();
        fs::set_permissions(&src, fs::Permissions::from_mode(0o640)).unwrap();
        copy_synced(&src, &dst).unwrap();
        assert_eq!(fs::read(&dst).unwrap(), b"bytes");
        assert_eq!(
            fs::metadata(&dst).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // Never over an existing file.
        assert!(copy_synced(&src, &dst).is_err());
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_dropped_run_leaves_the_output_as_it_was() {
        let base = std::env::temp_dir().join(format!("logveil-commit-{}", random_suffix()));
        let out = base.join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join(MANIFEST_FILE), "old").unwrap();
        let dir = OutputDir::prepare(&out, PublishOptions::default()).unwrap();
        fs::write(dir.staging().join(MANIFEST_FILE), "new").unwrap();
        drop(dir);
        assert_eq!(fs::read_to_string(out.join(MANIFEST_FILE)).unwrap(), "old");
        let dir = OutputDir::prepare(&out, PublishOptions::default()).unwrap();
        fs::write(dir.staging().join(MANIFEST_FILE), "new").unwrap();
        assert_eq!(dir.commit().unwrap(), out);
        assert_eq!(fs::read_to_string(out.join(MANIFEST_FILE)).unwrap(), "new");
        // Only the output and the lock file remain.
        assert_eq!(fs::read_dir(&base).unwrap().count(), 2);
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_lock_held_for_a_moment_by_a_copied_descriptor_is_taken_after_it() {
        let base = std::env::temp_dir().join(format!("logveil-commit-{}", random_suffix()));
        let out = base.join("out");
        let first = OutputDir::prepare(&out, PublishOptions::default()).unwrap();
        // What a process spawned meanwhile holds until it execs: a copy of
        // the lock's descriptor, sharing its lock.
        let copy = first._lock.try_clone().unwrap();
        drop(first);
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(copy);
        });
        OutputDir::prepare(&out, PublishOptions::default()).unwrap();
        release.join().unwrap();
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_second_run_is_refused_while_the_first_holds_the_lock() {
        let base = std::env::temp_dir().join(format!("logveil-commit-{}", random_suffix()));
        let out = base.join("out");
        let first = OutputDir::prepare(&out, PublishOptions::default()).unwrap();
        match OutputDir::prepare(&out, PublishOptions::default()) {
            Err(Error::Locked { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(first);
        OutputDir::prepare(&out, PublishOptions::default()).unwrap();
        fs::remove_dir_all(&base).unwrap();
    }
}
