//! A W3C log truncated while it is read (copytruncate rotation) ends the
//! input early with the lines read before it kept; it used to be
//! memory-mapped whole, and touching a page past the new end killed the
//! process with `SIGBUS` and no outputs.
//!
//! The file is truncated as soon as the process has it open (or mapped),
//! while the first of its chunks is still being parsed: one thread and a
//! file several batches of chunks long leave that window wide in a debug
//! build. Trade-off: a few seconds and some 24 MB of temporary disk.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Whether process `pid` has `path` open or mapped.
fn holds(pid: u32, path: &Path) -> (bool, bool) {
    let target = std::fs::canonicalize(path).unwrap();
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(Result::ok)
                .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l == target))
        })
        .unwrap_or(false);
    let mapped = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .is_ok_and(|m| m.contains(target.to_str().unwrap()));
    (open, mapped)
}

#[test]
fn a_w3c_log_truncated_while_read_keeps_what_was_read() {
    if !Path::new("/proc/self/maps").exists() {
        eprintln!("skipped: needs /proc");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex240314.log");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
    writeln!(w, "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2024-03-14 00:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r").unwrap();
    let mut written = 0u64;
    let mut lines = 0u64;
    while written < 24 << 20 {
        let n = lines % 250;
        let line = format!(
            "2024-03-14 {:02}:{:02}:{:02} 192.0.2.10 GET /page/{n} - 443 - 198.51.100.{n} Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36 https://www.example.com/ 200 0 0 {n}\r\n",
            (lines / 3600) % 24,
            (lines / 60) % 60,
            lines % 60
        );
        w.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        lines += 1;
    }
    w.flush().unwrap();
    drop(w);

    let out = dir.path().join("out");
    let mut child = common::logveil()
        .args(["run", "-j", "1", "--out"])
        .arg(&out)
        .arg(&log)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut opened_at = None;
    loop {
        let (open, mapped) = holds(child.id(), &log);
        if open && opened_at.is_none() {
            opened_at = Some(Instant::now());
        }
        // Mapped: truncate at once; streamed: shortly after opening (an
        // optimized build reads the whole file in about 0.1 s).
        let shortly = Duration::from_millis(if cfg!(debug_assertions) { 150 } else { 5 });
        if mapped || opened_at.is_some_and(|t| t.elapsed() > shortly) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the run never opened its input"
        );
        if child.try_wait().unwrap().is_some() {
            panic!("the run ended before the file could be truncated");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.code().is_some(),
        "killed by a signal ({status:?}) instead of ending the input early"
    );
    let m = common::read_json(&out.join("_manifest.json"));
    let input = &m["inputs"][0];
    let n = |k: &str| input[k].as_u64().unwrap();
    assert_eq!(input["format"], "w3c");
    assert!(n("parsed") > 0, "what was read before the cut is kept");
    assert!(
        n("parsed") < lines,
        "the cut was seen: {} of {lines} lines",
        n("parsed")
    );
    assert_eq!(n("lines"), n("parsed") + n("rejected") + n("skipped"));
}
