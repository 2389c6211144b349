//! Resumed reads: a source read from where a ledger says an earlier run
//! stopped parses only the lines after it, with the format of its head
//! and the file's own line numbers, and says where it stopped.

use std::fs;
use std::io::Write;
use std::path::Path;

use super::read_sources;
use crate::RunConfig;
use crate::input::Compression;
use crate::input::discover::discover;
use crate::output::manifest::InputReport;
use crate::state::ledger::Ledger;

/// Day numbers for the ledger.
const DAY: i32 = 20_000;

fn line(i: usize) -> String {
    format!(
        "203.0.113.{} - - [10/Oct/2026:13:{:02}:36 +0000] \"GET /page/{i} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0\"\n",
        i % 200,
        i % 60,
        100 + i
    )
}

fn lines(range: std::ops::Range<usize>) -> String {
    range.map(line).collect()
}

fn append(path: &Path, text: &str) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text).unwrap();
    enc.finish().unwrap()
}

/// Small chunks, so that resumed reads start and stop inside chunks.
fn config() -> RunConfig {
    let mut cfg = RunConfig::new(Vec::new(), "unused");
    cfg.chunk_bytes = 300;
    cfg
}

/// One night: plans the file with the ledger, reads what is new and
/// records it. Returns the report, or `None` when the file was done.
fn night(ledger: &mut Ledger, path: &Path) -> Option<InputReport> {
    let mut source = discover(&[path.to_path_buf()]).sources.remove(0);
    let resume = ledger.plan(&source).unwrap();
    if resume.done {
        ledger
            .record(&source, &resume.fingerprint, &resume.unread_span(), DAY)
            .unwrap();
        return None;
    }
    resume.apply(&mut source);
    let report = read_sources(&config(), std::slice::from_ref(&source), 2).remove(0);
    assert_eq!(report.error, None);
    ledger
        .record(&source, &resume.fingerprint, &report.span, DAY)
        .unwrap();
    Some(report)
}

#[test]
fn appended_lines_are_read_from_where_the_last_run_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let mut ledger = Ledger::default();
    append(&log, &lines(0..7));
    let first = night(&mut ledger, &log).unwrap();
    assert_eq!((first.lines, first.parsed), (7, 7));
    assert_eq!(first.span.start_byte, 0);
    assert_eq!(first.span.end_line, 7);
    let len = fs::metadata(&log).unwrap().len();
    assert_eq!(first.span.end_byte, len);

    append(&log, &lines(7..12));
    let second = night(&mut ledger, &log).unwrap();
    assert_eq!((second.lines, second.parsed), (5, 5));
    assert_eq!((second.span.start_byte, second.span.start_line), (len, 7));
    assert_eq!(second.span.end_line, 12);
    // Nothing new: not read at all.
    assert!(night(&mut ledger, &log).is_none());
}

#[test]
fn a_rotated_file_is_read_from_where_it_stopped_and_its_successor_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (log, one, two) = (
        dir.path().join("access.log"),
        dir.path().join("access.log.1"),
        dir.path().join("access.log.2.gz"),
    );
    let mut ledger = Ledger::default();
    append(&log, &lines(0..6));
    night(&mut ledger, &log).unwrap();
    // logrotate renames; the server writes to the renamed file until it
    // reopens its log, then to a new one.
    fs::rename(&log, &one).unwrap();
    append(&one, &lines(6..8));
    append(&log, &lines(100..103));
    let old = night(&mut ledger, &one).unwrap();
    assert_eq!(
        (old.parsed, old.span.start_line, old.span.end_line),
        (2, 6, 8)
    );
    let new = night(&mut ledger, &log).unwrap();
    assert_eq!((new.parsed, new.span.start_byte), (3, 0));

    // The next rotation compresses `.1`: the same content, not read again,
    // first recognised by decompressing it, then by its identity on disk.
    let content = fs::read(&one).unwrap();
    fs::write(&two, gzip(&content)).unwrap();
    fs::remove_file(&one).unwrap();
    assert!(night(&mut ledger, &two).is_none());
    assert!(night(&mut ledger, &two).is_none());
}

#[test]
fn a_compressed_file_that_grew_is_decompressed_past_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("access.log.gz");
    let mut ledger = Ledger::default();
    fs::write(&gz, gzip(lines(0..9).as_bytes())).unwrap();
    assert_eq!(night(&mut ledger, &gz).unwrap().parsed, 9);
    // Rewritten with more (a new member would do the same).
    fs::write(&gz, gzip(lines(0..13).as_bytes())).unwrap();
    let more = night(&mut ledger, &gz).unwrap();
    assert_eq!((more.lines, more.parsed), (4, 4));
    assert_eq!((more.span.start_line, more.span.end_line), (9, 13));
    assert_eq!(more.compression, Compression::Gzip.as_str());
}

#[test]
fn a_copytruncate_restart_is_read_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let mut ledger = Ledger::default();
    append(&log, &lines(0..60));
    night(&mut ledger, &log).unwrap();
    // Truncated, then fewer lines than were read.
    fs::write(&log, lines(200..203)).unwrap();
    let shorter = night(&mut ledger, &log).unwrap();
    assert_eq!((shorter.parsed, shorter.span.start_byte), (3, 0));
    // Truncated again, then more bytes than the first night read, with
    // the same first block: the block before that night's end differs.
    let rewritten = lines(0..45) + &lines(300..330);
    assert!(lines(0..45).len() as u64 > crate::state::ledger::BLOCK);
    assert!(rewritten.len() > lines(0..60).len());
    fs::write(&log, rewritten).unwrap();
    let longer = night(&mut ledger, &log).unwrap();
    assert_eq!((longer.parsed, longer.span.start_byte), (75, 0));
}

#[test]
fn a_last_line_without_newline_waits_for_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let mut ledger = Ledger::default();
    let partial = line(4);
    let (begun, rest) = partial.split_at(30);
    append(&log, &(lines(0..4) + begun));
    let first = night(&mut ledger, &log).unwrap();
    assert_eq!((first.lines, first.parsed, first.rejected), (4, 4, 0));
    assert_eq!(first.span.end_byte, lines(0..4).len() as u64);
    assert!(!first.span.to_end);
    // Still not ended: nothing to read, and nothing rejected.
    let again = night(&mut ledger, &log).unwrap();
    assert_eq!((again.lines, again.rejected), (0, 0));
    append(&log, &(rest.to_string() + &line(5)));
    let second = night(&mut ledger, &log).unwrap();
    assert_eq!((second.lines, second.parsed, second.rejected), (2, 2, 0));
    assert_eq!(second.span.end_line, 6);
}

#[test]
fn rejected_lines_after_the_resume_point_keep_their_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let mut ledger = Ledger::default();
    append(&log, &lines(0..10));
    night(&mut ledger, &log).unwrap();
    let at = fs::metadata(&log).unwrap().len();
    append(&log, &(line(10) + "this is no log line\n" + &line(11)));
    let report = night(&mut ledger, &log).unwrap();
    assert_eq!((report.parsed, report.rejected), (2, 1));
    let loc = &report.reject_locations[0];
    assert_eq!(loc.line, 12);
    assert_eq!(loc.byte_offset, at + line(10).len() as u64);
}

#[test]
fn a_w3c_log_resumed_past_its_header_still_reads_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex261010.log");
    let header = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
                  #Date: 2026-10-10 00:00:00\n#Fields: date time s-ip cs-method cs-uri-stem \
                  cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status \
                  sc-substatus sc-win32-status time-taken\n";
    let record = |i: usize| {
        format!(
            "2026-10-10 10:{:02}:00 192.0.2.1 GET /p{i} - 443 - 198.51.100.{i} Mozilla/5.0 - 200 0 0 15\n",
            i % 60
        )
    };
    let mut ledger = Ledger::default();
    append(&log, &(header.to_string() + &record(1) + &record(2)));
    let first = night(&mut ledger, &log).unwrap();
    assert_eq!((first.format, first.parsed), (Some("w3c"), 2));
    append(
        &log,
        &(record(3) + &record(4) + "not a record\n" + &record(5)),
    );
    let second = night(&mut ledger, &log).unwrap();
    assert_eq!(second.format, Some("w3c"));
    assert_eq!((second.parsed, second.rejected), (3, 1));
    // Four directives, two records, then the new lines.
    assert_eq!(second.span.start_line, 6);
    assert_eq!(second.reject_locations[0].line, 9);
}

#[test]
fn a_lone_cr_file_resumes_in_the_stream_it_is_read_as() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mac.log");
    let mut ledger = Ledger::default();
    let cr = |text: String| text.replace('\n', "\r");
    append(&log, &cr(lines(0..3)));
    assert_eq!(night(&mut ledger, &log).unwrap().parsed, 3);
    append(&log, &cr(lines(3..5)));
    let more = night(&mut ledger, &log).unwrap();
    assert_eq!((more.parsed, more.span.start_line), (2, 3));
}

#[test]
fn a_resume_point_past_the_end_of_a_plain_file_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    fs::write(&log, lines(0..2)).unwrap();
    let mut source = discover(&[log]).sources.remove(0);
    source.skip_bytes = 10_000;
    source.skip_lines = 50;
    let report = read_sources(&config(), &[source], 1).remove(0);
    assert!(report.error.is_some());
    assert_eq!(report.lines, 0);
}

#[test]
fn a_csv_log_resumed_past_its_header_reads_its_rows_by_it_plain_or_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let header = "ClientIP,ClientRequestHost,ClientRequestMethod,ClientRequestURI,\
                  EdgeStartTimestamp,EdgeResponseStatus,EdgeResponseBytes,\
                  ClientRequestUserAgent,ClientRequestReferer\n";
    let row = |i: usize| {
        format!(
            "\"198.51.100.{i}\",\"example.org\",\"GET\",\"/r{i}\",{},200,10,\"Mozilla/5.0\",\"\"\n",
            (1_774_699_200 + i as i64) * 1_000_000_000
        )
    };
    let rows = |r: std::ops::Range<usize>| r.map(row).collect::<String>();
    let plain = dir.path().join("logpush.csv");
    let gz = dir.path().join("logpush.csv.gz");
    let mut ledger = Ledger::default();
    append(&plain, &(header.to_string() + &rows(0..4)));
    // Other rows: the same content would be known already.
    fs::write(&gz, gzip((header.to_string() + &rows(10..14)).as_bytes())).unwrap();
    for path in [&plain, &gz] {
        let first = night(&mut ledger, path).unwrap();
        assert_eq!((first.format, first.parsed), (Some("csv"), 4));
    }
    append(&plain, &rows(4..7));
    fs::write(&gz, gzip((header.to_string() + &rows(10..17)).as_bytes())).unwrap();
    for path in [&plain, &gz] {
        let more = night(&mut ledger, path).unwrap();
        assert_eq!(
            (more.format, more.parsed, more.rejected),
            (Some("csv"), 3, 0)
        );
        assert_eq!((more.span.start_line, more.span.end_line), (5, 8));
    }
}
