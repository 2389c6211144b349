//! Library errors and messages name no CLI flag: an embedder has no flags,
//! so the binary (`main.rs` and `cli/`) adds the flag to the messages it prints. Checked
//! on the messages themselves, on the binary's output, and by a scan of the
//! library's string literals so that a new message cannot slip one in.

mod common;

use std::path::Path;

use logveil::formats::zoom::ZoomTime;
use logveil::formats::{json_lines, w3c};

/// Flags written in library string literals on purpose, each with why.
const ALLOWED: &[(&str, &str)] = &[
    // GoAccess's own option, in a comment of the policy template.
    ("privacy/policy.rs", "--anonymize-level"),
    // A column description, mirrored word for word by README's tables;
    // rewording it is a documentation change of its own.
    ("output/schema.rs", "--site"),
];

/// `--` followed by a lower-case letter: how a long flag starts.
fn flags(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    for i in 0..b.len().saturating_sub(2) {
        if b[i] == b'-' && b[i + 1] == b'-' && b[i + 2].is_ascii_lowercase() {
            let end = b[i + 2..]
                .iter()
                .position(|c| !(c.is_ascii_lowercase() || *c == b'-'))
                .map_or(b.len(), |p| i + 2 + p);
            found.push(text[i..end].to_string());
        }
    }
    found
}

#[test]
fn messages_name_no_flag() {
    let zone = ZoomTime::zone_from_name("Mars/Olympus").unwrap_err();
    for text in [
        logveil::Error::ConflictingFormats.to_string(),
        w3c::LOCAL_TIME_NOTE.to_string(),
        json_lines::ZONELESS_TIME_NOTE.to_string(),
        zone,
    ] {
        assert_eq!(flags(&text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn library_string_literals_name_no_flag() {
    let src = common::root().join("src");
    let mut stack = vec![src.clone()];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            // The binary's own files, where flags belong.
            if path.extension().is_none_or(|e| e != "rs")
                || rel == "main.rs"
                || rel.starts_with("cli/")
            {
                continue;
            }
            scan(&path, &rel, &mut found);
        }
    }
    assert!(found.is_empty(), "flags in library strings: {found:#?}");
}

/// Records flags on lines that are not comments (doc comments may name
/// flags: they document the binary too).
fn scan(path: &Path, rel: &str, found: &mut Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for flag in flags(line) {
            if !ALLOWED.contains(&(rel, flag.as_str())) {
                found.push(format!("{rel}:{}: {flag}", n + 1));
            }
        }
    }
}

#[test]
fn the_binary_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(
        &log,
        "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n",
    )
    .unwrap();
    let r = common::logveil()
        .arg("run")
        .arg(&log)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(["--zoom-timezone", "Mars/Olympus", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("--zoom-timezone") && err.contains("IANA"),
        "{err}"
    );
}
