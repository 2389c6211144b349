//! Hostile files and file systems: a line of hundreds of MB, a
//! decompression bomb, bzip2 and Docker json-file inputs. Each runs the
//! built binary and checks the manifest: every line counted, too-long
//! lines rejected as `too_long` on their own line number, and the lines
//! after them numbered right. Where memory is the point, the child's peak
//! resident memory (`VmHWM`, a high-water mark, so a late sample sees the
//! peak) is sampled from `/proc` while it runs; on systems without `/proc`
//! that check is skipped.
//!
//! The big inputs are sparse files (`set_len`: hundreds of MB on disk for
//! free) or compressed repetitions, so the tests stay fast.

mod common;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{logveil, no_suppression, reject_locations};
use serde_json::Value;

/// A combined-log line with documentation addresses and made-up values.
fn combined(n: u32) -> String {
    format!(
        "192.0.2.{} - - [10/Oct/2025:13:55:{:02} +0000] \"GET /page{n} HTTP/1.1\" 200 {} \"http://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n",
        n % 250 + 1,
        n % 60,
        100 + n
    )
}

/// Runs `logveil run <input> --out <dir>/out` with exact counts and
/// `extra`; returns the exit code, the input's manifest entry and the
/// highest `VmHWM` seen in KiB (0 when `/proc` cannot tell).
fn run_one(input: &Path, dir: &Path, extra: &[&str]) -> (Option<i32>, Value, u64) {
    let out = tempfile::tempdir_in(dir).unwrap();
    let out = out.path();
    let mut child = logveil()
        .arg("run")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["--policy", &no_suppression(dir), "-j", "2", "--quiet"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run logveil");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).expect("manifest"))
            .unwrap();
    let input = manifest["inputs"][0].clone();
    (status.code(), input, peak_kib)
}

fn count(input: &Value, key: &str) -> u64 {
    input[key].as_u64().unwrap_or(0)
}

/// Lines add up: every line parsed, rejected or skipped.
fn assert_accounted(input: &Value) {
    assert_eq!(
        count(input, "lines"),
        count(input, "parsed") + count(input, "rejected") + count(input, "skipped"),
        "{input:#}"
    );
}

/// Peak memory stays far below the line that was skipped (old code held
/// it whole: `bytes` of buffer at least).
fn assert_peak_below(peak_kib: u64, bytes: u64) {
    if peak_kib == 0 {
        eprintln!("no /proc: peak memory not checked");
        return;
    }
    eprintln!("peak resident memory: {} MiB", peak_kib / 1024);
    assert!(
        peak_kib * 1024 < bytes,
        "peak {} MiB for a {} MiB line",
        peak_kib / 1024,
        bytes >> 20
    );
}

#[test]
fn a_line_of_hundreds_of_megabytes_is_rejected_unread_and_later_lines_keep_their_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let huge: u64 = 400 << 20;
    let mut f = File::create(&path).unwrap();
    f.write_all(combined(1).as_bytes()).unwrap();
    f.write_all(combined(2).as_bytes()).unwrap();
    let start = f.metadata().unwrap().len();
    // A sparse run of NUL bytes: one line of 400 MiB, free on disk.
    f.set_len(start + huge).unwrap();
    drop(f);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"\nthis line is no log line\n").unwrap();
    for n in 3..20 {
        f.write_all(combined(n).as_bytes()).unwrap();
    }
    drop(f);

    // No rejected line allowed, so the one too long makes the run partial.
    let (code, input, peak) = run_one(&path, dir.path(), &["--max-reject-rate", "0"]);
    assert_accounted(&input);
    assert_eq!(count(&input, "lines"), 2 + 1 + 1 + 17, "{input:#}");
    assert_eq!(count(&input, "parsed"), 19, "{input:#}");
    assert_eq!(input["rejected_by_reason"]["too_long"], 1, "{input:#}");
    let locations = reject_locations(&input);
    assert_eq!(locations[0], (3, "too_long".to_string()), "{input:#}");
    assert_eq!(locations[1].0, 4, "the line after the long one: {input:#}");
    assert_eq!(input["format"], "combined", "{input:#}");
    // Outputs written, some lines failed.
    assert_eq!(code, Some(2));
    assert_peak_below(peak, huge / 2);
}

#[test]
fn the_line_limit_is_a_setting_and_applies_to_lines_inside_a_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let mut text = String::new();
    for n in 0..10 {
        text.push_str(&combined(n));
    }
    // A request target of 300 bytes: an ordinary line, but past a
    // 200-byte limit.
    text.push_str(&combined(10).replace("/page10", &format!("/{}", "a".repeat(300))));
    text.push_str(&combined(11));
    std::fs::write(&path, &text).unwrap();

    let (_, input, _) = run_one(&path, dir.path(), &[]);
    assert_eq!(count(&input, "parsed"), 12, "{input:#}");

    let (_, input, _) = run_one(&path, dir.path(), &["--max-line-bytes", "200"]);
    assert_accounted(&input);
    assert_eq!(count(&input, "parsed"), 11, "{input:#}");
    assert_eq!(
        reject_locations(&input),
        vec![(11, "too_long".to_string())],
        "{input:#}"
    );
}

/// `parts` compressed as one gzip member each.
fn gzip_members(parts: &[&[u8]]) -> Vec<u8> {
    let mut all = Vec::new();
    for p in parts {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(p).unwrap();
        all.extend(enc.finish().unwrap());
    }
    all
}

#[test]
fn a_compressed_line_past_the_limit_is_skipped_in_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log.gz");
    // 3 MiB of varied bytes without a newline: it compresses only a few
    // times, so the ratio guard stays out of it.
    let mut long = Vec::with_capacity(3 << 20);
    let mut x: u32 = 12345;
    while long.len() < 3 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        long.push(b'a' + (x >> 16) as u8 % 26);
    }
    long.push(b'\n');
    let head: String = (0..5).map(combined).collect();
    let tail: String = (5..9).map(combined).collect();
    let gz = gzip_members(&[head.as_bytes(), &long, b"not a log line\n", tail.as_bytes()]);
    std::fs::write(&path, gz).unwrap();

    let (code, input, _) = run_one(&path, dir.path(), &[]);
    assert_accounted(&input);
    assert_eq!(count(&input, "lines"), 11, "{input:#}");
    assert_eq!(count(&input, "parsed"), 9, "{input:#}");
    let locations = reject_locations(&input);
    assert_eq!(locations[0], (6, "too_long".to_string()), "{input:#}");
    assert_eq!(locations[1].0, 7, "{input:#}");
    assert_eq!(code, Some(2));
}

#[test]
fn a_decompression_bomb_is_stopped_early_and_the_lines_before_it_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log.bz2");
    let lines: String = (0..20).map(combined).collect();
    // 16 MiB of zeros compress to a few dozen bytes in bzip2; forty
    // streams of them would be 640 MiB of one line.
    let zeros = {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        enc.write_all(&vec![0u8; 16 << 20]).unwrap();
        enc.finish().unwrap()
    };
    let mut bomb = {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        enc.write_all(lines.as_bytes()).unwrap();
        enc.finish().unwrap()
    };
    for _ in 0..40 {
        bomb.extend_from_slice(&zeros);
    }
    std::fs::write(&path, &bomb).unwrap();

    let started = std::time::Instant::now();
    let (code, input, peak) = run_one(&path, dir.path(), &[]);
    eprintln!("bomb stopped after {:?}", started.elapsed());
    assert_accounted(&input);
    assert_eq!(count(&input, "parsed"), 20, "{input:#}");
    let error = input["error"].as_str().unwrap_or_default();
    assert!(error.contains("decompression bomb"), "{input:#}");
    // Stopped soon after the grace: far from the 640 MiB it would give.
    assert!(count(&input, "decompressed_bytes") < 100 << 20, "{input:#}");
    assert_ne!(code, Some(0), "a stopped input leaves the run incomplete");
    assert_peak_below(peak, 64 << 20);
}

#[test]
fn bzip2_logs_are_read_across_streams() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log.1");
    // Two streams, as pbzip2 writes them.
    let mut bz = Vec::new();
    for part in [0..3, 3..7] {
        let text: String = part.map(combined).collect();
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        bz.extend(enc.finish().unwrap());
    }
    std::fs::write(&path, bz).unwrap();
    let (code, input, _) = run_one(&path, dir.path(), &[]);
    assert_eq!(code, Some(0), "{input:#}");
    assert_eq!(input["compression"], "bzip2");
    assert_eq!(input["format"], "combined");
    assert_eq!(count(&input, "parsed"), 7, "{input:#}");
}

/// A Docker json-file line, as the driver documents it, around `line`.
fn docker(line: &str, second: u32) -> String {
    let log = serde_json::to_string(line).unwrap();
    format!(
        "{{\"log\":{log},\"stream\":\"stdout\",\"time\":\"2025-10-10T13:55:{second:02}.000000001Z\"}}\n"
    )
}

#[test]
fn docker_json_file_logs_are_read_as_the_lines_they_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("container-json.log");
    let mut text = String::new();
    for n in 0..8 {
        text.push_str(&docker(&combined(n), n));
    }
    text.push_str(&docker("a message that is no access line\n", 9));
    std::fs::write(&path, &text).unwrap();
    let (_, input, _) = run_one(&path, dir.path(), &[]);
    assert_accounted(&input);
    assert_eq!(input["format"], "combined", "{input:#}");
    assert_eq!(
        count(&input, "lines"),
        9,
        "one line per Docker line: {input:#}"
    );
    assert_eq!(count(&input, "parsed"), 8, "{input:#}");
    assert_eq!(reject_locations(&input)[0].0, 9, "{input:#}");

    // Compressed (rotated) Docker logs are unwrapped too.
    let gz_path = dir.path().join("container-json.log.1.gz");
    std::fs::write(&gz_path, gzip_members(&[text.as_bytes()])).unwrap();
    std::fs::remove_file(&path).unwrap();
    let (_, input, _) = run_one(&gz_path, dir.path(), &[]);
    assert_eq!(count(&input, "parsed"), 8, "{input:#}");
}
