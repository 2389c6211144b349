//! The ledger of nightly runs through the library's API, over simulated
//! nights of logrotate (renames, delayed compression, copytruncate,
//! lines still being written): every line written is read exactly once,
//! and the ledger survives being saved and loaded between nights.
//!
//! Reading itself is the pipeline's (tested with it); here each night
//! "reads" what the plan says with a few lines of its own, as a caller of
//! `Ledger::plan` and `Ledger::record` would get it from the run's report.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use logveil::input::discover::discover;
use logveil::output::manifest::ReadSpan;
use logveil::state::ledger::Ledger;

fn gzip_file(from: &Path, to: &Path) {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&fs::read(from).unwrap()).unwrap();
    fs::write(to, enc.finish().unwrap()).unwrap();
    fs::remove_file(from).unwrap();
}

fn append(path: &Path, text: &str) {
    fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// A web server writing numbered lines, long enough that a night's file
/// is several hashed blocks.
struct Server {
    next: usize,
}

impl Server {
    fn lines(&mut self, n: usize) -> String {
        let mut out = String::new();
        for _ in 0..n {
            out += &format!(
                "198.51.100.{} - - [10/Oct/2026:13:55:36 +0000] \"GET /line/{:06} HTTP/1.1\" 200 512\n",
                self.next % 250,
                self.next
            );
            self.next += 1;
        }
        out
    }
}

/// One night: every file of `dir` planned, read from where the ledger
/// says (only whole lines of plain files), recorded; the ledger is loaded
/// before and saved after, as a nightly run does. Returns the lines read.
fn night(dir: &Path, state: &Path, day: i32) -> Vec<String> {
    let mut ledger = Ledger::load(state).unwrap();
    let mut read = Vec::new();
    for mut source in discover(&[dir.to_path_buf()]).sources {
        let resume = ledger.plan(&source).unwrap();
        if resume.done {
            ledger
                .record(&source, &resume.fingerprint, &resume.unread_span(), day)
                .unwrap();
            continue;
        }
        resume.apply(&mut source);
        let all = common::read_input(&source.path);
        let from = source.skip_bytes as usize;
        let mut end = all.len();
        if source.whole_lines {
            end = all[..end]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(from, |p| p + 1)
                .max(from);
        }
        let text = String::from_utf8(all[from..end].to_vec()).unwrap();
        let got: Vec<String> = text.lines().map(str::to_string).collect();
        let mut span = ReadSpan::default();
        span.start_byte = source.skip_bytes;
        span.start_line = source.skip_lines;
        span.end_byte = end as u64;
        span.end_line = source.skip_lines + got.len() as u64;
        span.to_end = end == all.len();
        ledger
            .record(&source, &resume.fingerprint, &span, day)
            .unwrap();
        read.extend(got);
    }
    ledger.save(state).unwrap();
    read
}

/// How many times each line occurs.
fn count(lines: &[String]) -> BTreeMap<&str, usize> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for l in lines {
        *m.entry(l.as_str()).or_default() += 1;
    }
    m
}

/// logrotate with `delaycompress`: `.N.gz` shifted up, `.1` compressed
/// to `.2.gz`, the live log renamed to `.1`.
fn rotate(dir: &Path) {
    rotate_archives(dir);
    fs::rename(dir.join("access.log"), dir.join("access.log.1")).unwrap();
}

/// logrotate with `copytruncate`: the live log copied to `.1` and
/// truncated in place.
fn copytruncate(dir: &Path) {
    let log = dir.join("access.log");
    rotate_archives(dir);
    fs::copy(&log, dir.join("access.log.1")).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
}

/// The archives' part of a rotation: `.N.gz` shifted up, and `.1`, if
/// there is one, compressed to `.2.gz`.
fn rotate_archives(dir: &Path) {
    for n in (2..=9).rev() {
        let from = dir.join(format!("access.log.{n}.gz"));
        if from.exists() {
            fs::rename(&from, dir.join(format!("access.log.{}.gz", n + 1))).unwrap();
        }
    }
    if dir.join("access.log.1").exists() {
        gzip_file(&dir.join("access.log.1"), &dir.join("access.log.2.gz"));
    }
}

#[test]
fn seven_nights_of_logrotate_read_every_line_exactly_once() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("logs");
    fs::create_dir(&dir).unwrap();
    let state = root.path().join("ledger.json");
    let log = dir.join("access.log");
    let mut server = Server { next: 0 };
    let mut written = Vec::new();
    let mut read = Vec::new();
    let write = |path: &Path, text: String, written: &mut Vec<String>| {
        written.extend(text.lines().map(str::to_string));
        append(path, &text);
    };

    // Night 1: a first day of lines, the last still being written.
    write(&log, server.lines(120), &mut written);
    append(
        &log,
        "198.51.100.7 - - [10/Oct/2026:23:59:59 +0000] \"GET /line/",
    );
    read.extend(night(&dir, &state, 1));
    assert_eq!(read.len(), 120, "the unended line waits");

    // Night 2: the line ends, more are appended (no rotation).
    append(&log, "partial HTTP/1.1\" 200 512\n");
    written.push(
        "198.51.100.7 - - [10/Oct/2026:23:59:59 +0000] \"GET /line/partial HTTP/1.1\" 200 512"
            .to_string(),
    );
    write(&log, server.lines(80), &mut written);
    let n2 = night(&dir, &state, 2);
    assert_eq!(n2.len(), 81);
    read.extend(n2);

    // Night 3: rotated; the server wrote to the renamed file before it
    // reopened its log, then to the new one.
    write(&log, server.lines(30), &mut written);
    rotate(&dir);
    write(&dir.join("access.log.1"), server.lines(5), &mut written);
    write(&log, server.lines(90), &mut written);
    let n3 = night(&dir, &state, 3);
    assert_eq!(n3.len(), 125);
    read.extend(n3);

    // Night 4: rotated again: `.1` compressed to `.2.gz` (read whole
    // already: recognised by content), the live log to `.1`.
    write(&log, server.lines(40), &mut written);
    rotate(&dir);
    write(&log, server.lines(70), &mut written);
    let n4 = night(&dir, &state, 4);
    assert_eq!(n4.len(), 110);
    read.extend(n4);

    // Night 5: nothing changed but the archives age: nothing is read
    // (`.2.gz` now by the fast path).
    let n5 = night(&dir, &state, 5);
    assert!(n5.is_empty(), "{n5:?}");

    // Night 6: copytruncate: the live log's unread tail is found in the
    // copy, and the truncated log, written anew, is read from its start.
    write(&log, server.lines(25), &mut written);
    copytruncate(&dir);
    write(&log, server.lines(15), &mut written);
    let n6 = night(&dir, &state, 6);
    assert_eq!(n6.len(), 40);
    read.extend(n6);

    // Night 7: appends and a rotation.
    write(&log, server.lines(60), &mut written);
    rotate(&dir);
    write(&log, server.lines(10), &mut written);
    read.extend(night(&dir, &state, 7));

    assert_eq!(read.len(), written.len());
    assert_eq!(count(&read), count(&written));

    // Retention: entries of content gone from the directory go.
    let mut ledger = Ledger::load(&state).unwrap();
    let before = ledger.len();
    assert!(ledger.forget_unseen(7, 0) > 0);
    assert!(ledger.len() < before);
}

#[test]
fn a_damaged_ledger_stops_the_night_with_a_message_that_names_it() {
    let root = tempfile::tempdir().unwrap();
    let state = root.path().join("ledger.json");
    fs::write(&state, b"\x00\x01 not json").unwrap();
    let message = Ledger::load(&state).unwrap_err().to_string();
    assert!(message.contains(&state.display().to_string()), "{message}");
    assert!(message.contains("damaged"), "{message}");
}
