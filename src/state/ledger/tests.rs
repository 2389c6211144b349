//! Unit tests of the ledger: its file (load, save, damage), matching by
//! content, the fast path and retention.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::*;
use crate::input::Compression;

fn source(path: &Path) -> Source {
    let meta = fs::metadata(path).unwrap();
    let head = fs::read(path).unwrap();
    Source::new(
        path.to_path_buf(),
        meta.len(),
        Compression::sniff(&head[..head.len().min(4)]),
    )
}

fn span(end_byte: u64, end_line: u64, to_end: bool) -> ReadSpan {
    ReadSpan {
        end_byte,
        end_line,
        to_end,
        ..ReadSpan::default()
    }
}

/// Plans `path`, then records it as read to its end on `day`.
fn read_whole(ledger: &mut Ledger, path: &Path, day: i32) -> Resume {
    let s = source(path);
    let resume = ledger.plan(&s).unwrap();
    let len = content(path).len() as u64;
    ledger
        .record(&s, &resume.fingerprint, &span(len, len / 10, true), day)
        .unwrap();
    resume
}

/// The content of `path`, decompressed when it is gzip.
fn content(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let raw = fs::read(path).unwrap();
    if Compression::sniff(&raw) != Compression::Gzip {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gzip(text: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text).unwrap();
    enc.finish().unwrap()
}

/// Ten-byte lines, numbered.
fn text(lines: std::ops::Range<usize>) -> Vec<u8> {
    lines
        .flat_map(|i| format!("line {i:04}\n").into_bytes())
        .collect()
}

#[test]
fn a_missing_ledger_is_empty_and_a_saved_one_reads_back_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.json");
    let mut ledger = Ledger::load(&path).unwrap();
    assert!(ledger.is_empty());
    let log = dir.path().join("a.log");
    fs::write(&log, text(0..3)).unwrap();
    read_whole(&mut ledger, &log, 1);
    ledger.save(&path).unwrap();
    assert_eq!(Ledger::load(&path).unwrap(), ledger);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Saved again over itself, with no temporary file left beside it.
    ledger.save(&path).unwrap();
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn a_damaged_ledger_is_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.json");
    fs::write(&path, "{\"version\": 1, \"entries\": [{\"read_to\"").unwrap();
    let e = Ledger::load(&path).unwrap_err();
    assert!(matches!(e, Error::LedgerDamaged { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("damaged"), "{message}");
    assert!(message.contains("restore it from a backup"), "{message}");
    assert!(message.contains("start a new state"), "{message}");

    fs::write(&path, "{\"version\": 9, \"entries\": []}").unwrap();
    let message = Ledger::load(&path).unwrap_err().to_string();
    assert!(message.contains("version 9"), "{message}");
}

#[test]
fn appended_content_resumes_and_unchanged_content_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let mut ledger = Ledger::default();
    fs::write(&log, text(0..3)).unwrap();
    let first = read_whole(&mut ledger, &log, 1);
    assert_eq!((first.skip_bytes, first.done), (0, false));
    let again = ledger.plan(&source(&log)).unwrap();
    assert_eq!(
        (again.skip_bytes, again.skip_lines, again.done),
        (30, 3, true)
    );
    fs::write(&log, text(0..5)).unwrap();
    let grown = ledger.plan(&source(&log)).unwrap();
    assert_eq!(
        (grown.skip_bytes, grown.skip_lines, grown.done),
        (30, 3, false)
    );
}

#[test]
fn of_several_matching_entries_the_furthest_wins() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let mut ledger = Ledger::default();
    // Past a block, so head and tail are different blocks.
    for end in [500, 800, 1000] {
        fs::write(&log, text(0..end)).unwrap();
        read_whole(&mut ledger, &log, 1);
    }
    assert_eq!(ledger.len(), 3);
    fs::write(&log, text(0..1200)).unwrap();
    let r = ledger.plan(&source(&log)).unwrap();
    assert_eq!((r.skip_bytes, r.done), (10_000, false));
    // A copy of the middle night's content is that night's.
    let copy = dir.path().join("copy.log");
    fs::write(&copy, text(0..800)).unwrap();
    let r = ledger.plan(&source(&copy)).unwrap();
    assert_eq!((r.skip_bytes, r.done), (8_000, true));
}

#[test]
fn other_content_under_the_same_name_is_read_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let mut ledger = Ledger::default();
    fs::write(&log, text(0..1000)).unwrap();
    read_whole(&mut ledger, &log, 1);
    // Shorter than what was read.
    fs::write(&log, text(0..999)).unwrap();
    assert_eq!(ledger.plan(&source(&log)).unwrap().skip_bytes, 0);
    // As long, the same head, one byte changed just before the old end.
    let mut changed = text(0..1200);
    changed[9_995] = b'X';
    fs::write(&log, &changed).unwrap();
    assert_eq!(ledger.plan(&source(&log)).unwrap().skip_bytes, 0);
    // A different head.
    let mut changed = text(0..1200);
    changed[3] = b'X';
    fs::write(&log, &changed).unwrap();
    assert_eq!(ledger.plan(&source(&log)).unwrap().skip_bytes, 0);
}

#[test]
fn compressed_content_matches_what_was_read_plain() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("access.log.1");
    let gz = dir.path().join("access.log.2.gz");
    let mut ledger = Ledger::default();
    fs::write(&plain, text(0..2000)).unwrap();
    read_whole(&mut ledger, &plain, 1);
    fs::write(&gz, gzip(&text(0..2000))).unwrap();
    let r = ledger.plan(&source(&gz)).unwrap();
    assert_eq!((r.skip_bytes, r.skip_lines, r.done), (20_000, 2_000, true));
    // Compressed with more lines than were read: resumes inside it.
    fs::write(&gz, gzip(&text(0..2100))).unwrap();
    let r = ledger.plan(&source(&gz)).unwrap();
    assert_eq!((r.skip_bytes, r.done), (20_000, false));
}

#[test]
fn the_fast_path_skips_an_unchanged_file_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("access.log.2.gz");
    let mut ledger = Ledger::default();
    fs::write(&gz, gzip(&text(0..300))).unwrap();
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    fs::File::options()
        .write(true)
        .open(&gz)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    read_whole(&mut ledger, &gz, 1);
    // Same inode, size and modification time, other bytes: were it
    // decompressed, it would not match (it is not even gzip any more).
    let len = fs::metadata(&gz).unwrap().len() as usize;
    fs::write(&gz, vec![b'x'; len]).unwrap();
    let f = fs::File::options().write(true).open(&gz).unwrap();
    f.set_modified(mtime).unwrap();
    let r = ledger.plan(&source(&gz)).unwrap();
    assert_eq!((r.skip_bytes, r.done), (3_000, true));
    // Touched: no longer the same file on disk, so it is read by content.
    f.set_modified(mtime + Duration::from_secs(1)).unwrap();
    let r = ledger.plan(&source(&gz)).unwrap();
    assert_eq!((r.skip_bytes, r.done), (0, false));
}

#[test]
fn a_read_that_stopped_before_the_end_gives_no_fast_path() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let mut ledger = Ledger::default();
    fs::write(&log, b"line 0000\nline 00").unwrap();
    let s = source(&log);
    let resume = ledger.plan(&s).unwrap();
    ledger
        .record(&s, &resume.fingerprint, &span(10, 1, false), 1)
        .unwrap();
    let r = ledger.plan(&s).unwrap();
    assert_eq!((r.skip_bytes, r.skip_lines, r.done), (10, 1, false));
    assert!(ledger.entries.iter().all(|e| e.file.is_none()));
}

#[test]
fn entries_not_seen_within_the_retention_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::default();
    for (name, day) in [("a.log", 10), ("b.log", 15), ("c.log", 20)] {
        let log = dir.path().join(name);
        fs::write(&log, format!("{name}\n")).unwrap();
        read_whole(&mut ledger, &log, day);
    }
    // Seen again on day 21: kept.
    read_whole(&mut ledger, &dir.path().join("a.log"), 21);
    assert_eq!(ledger.forget_unseen(22, 5), 1);
    assert_eq!(ledger.len(), 2);
    assert_eq!(ledger.forget_unseen(22, 0), 2);
    assert!(ledger.is_empty());
}

#[test]
fn an_empty_or_vanished_source_is_planned_without_harm() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("empty.log");
    fs::write(&log, b"").unwrap();
    let mut ledger = Ledger::default();
    let s = source(&log);
    let r = ledger.plan(&s).unwrap();
    assert_eq!((r.skip_bytes, r.done), (0, false));
    ledger
        .record(&s, &r.fingerprint, &span(0, 0, true), 1)
        .unwrap();
    assert!(ledger.is_empty());
    fs::remove_file(&log).unwrap();
    assert!(ledger.plan(&s).is_err());
}
