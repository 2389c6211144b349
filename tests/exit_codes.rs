//! Exit codes a scheduler can act on (issue 14, item 5): 0 when every
//! input was read and none rejected more than `--max-reject-rate` of its
//! record lines; 2 when an input could not be read, decompressed or
//! recognised, or passed that share; 1 when nothing usable was read, and
//! then the previous outputs are untouched. An output holding files
//! logveil did not write is refused unless `--force`.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;

const GOOD: &str = r#"198.51.100.23 - - [28/Mar/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 512 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0""#;
const BAD: &str = r#"198.51.100.23 - - [28/Mar/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 512 "https://example.com/ "Mozilla"#;

/// A log of `good` parseable lines and `bad` broken ones, interleaved.
fn log(dir: &Path, name: &str, good: usize, bad: usize) -> PathBuf {
    let p = dir.join(name);
    let n = good + bad;
    let mut lines = vec![GOOD; n];
    for j in 0..bad {
        lines[j * (n / bad)] = BAD;
    }
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

fn run(dir: &Path, inputs: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let policy = common::no_suppression(dir);
    let mut args = vec!["-q", "--policy", &policy];
    args.extend_from_slice(extra);
    common::run(inputs, out, &args)
}

fn rejected(out: &Path) -> u64 {
    common::read_json(&out.join("_manifest.json"))["totals"]["rejected"]
        .as_u64()
        .unwrap()
}

/// Every entry of a directory: name → (bytes of a file, inode, mtime).
fn state(dir: &Path) -> BTreeMap<String, (Vec<u8>, u64, i64)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                (
                    if m.is_dir() {
                        Vec::new()
                    } else {
                        std::fs::read(e.path()).unwrap()
                    },
                    m.ino(),
                    m.mtime_nsec(),
                ),
            )
        })
        .collect()
}

#[test]
fn clean_input_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = run(dir.path(), &[&log(dir.path(), "a.log", 50, 0)], &out, &[]);
    common::assert_exit(&r, 0);
    assert_eq!(rejected(&out), 0);
    assert_eq!(
        common::read_json(&out.join("_manifest.json"))["complete"],
        true
    );
}

#[test]
fn a_few_bad_lines_exit_0_and_are_still_counted_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = log(dir.path(), "a.log", 97, 3);
    let r = run(dir.path(), &[&input], &out, &[]);
    common::assert_exit(&r, 0);
    assert_eq!(rejected(&out), 3);
    let m = common::read_json(&out.join("_manifest.json"));
    // The manifest stays strict: not every line was read.
    assert_eq!(m["complete"], false);
    assert_eq!(m["settings"]["max_reject_rate"], 0.1);
    assert_eq!(
        m["inputs"][0]["reject_locations"].as_array().unwrap().len(),
        3
    );
    // The same lines under a stricter limit: 2, outputs written.
    let out2 = dir.path().join("out2");
    let r = run(dir.path(), &[&input], &out2, &["--max-reject-rate", "0.01"]);
    common::assert_exit(&r, 2);
    assert_eq!(rejected(&out2), 3);
    let m = common::read_json(&out2.join("_manifest.json"));
    let warnings = m["inputs"][0]["warnings"].to_string();
    assert!(
        warnings.contains("a complete run allows, so the run is partial (exit code 2)"),
        "{warnings}"
    );
}

#[test]
fn many_bad_lines_exit_2_with_outputs_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let clean = log(dir.path(), "clean.log", 100, 0);
    let broken = log(dir.path(), "broken.log", 70, 30);
    let r = run(dir.path(), &[&clean, &broken], &out, &[]);
    common::assert_exit(&r, 2);
    assert_eq!(rejected(&out), 30);
    assert!(out.join("web_pages.parquet").exists());
}

#[test]
fn a_bad_share_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = log(dir.path(), "a.log", 5, 0);
    for bad in ["1.5", "-0.1", "ten"] {
        let r = run(
            dir.path(),
            &[&input],
            &dir.path().join("o"),
            &["--max-reject-rate", bad],
        );
        common::assert_exit(&r, 1);
    }
}

#[test]
fn a_cut_archive_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    log(&logs, "access.log", 20, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..3000 {
        writeln!(gz, "{GOOD}").unwrap();
    }
    let full = gz.finish().unwrap();
    std::fs::write(logs.join("access.log.2.gz"), &full[..full.len() / 2]).unwrap();
    let out = dir.path().join("out");
    let r = run(dir.path(), &[&logs], &out, &[]);
    common::assert_exit(&r, 2);
    let m = common::read_json(&out.join("_manifest.json"));
    assert_eq!(m["totals"]["inputs_failed"], 1);
}

/// Runs once to make a previous set, then the given inputs; the second
/// run must exit 1 and leave the previous set exactly as it was.
fn nothing_usable_leaves_previous_outputs(inputs: &dyn Fn(&Path) -> PathBuf) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    common::assert_exit(
        &run(dir.path(), &[&log(dir.path(), "a.log", 10, 0)], &out, &[]),
        0,
    );
    let before = state(&out);
    let input = inputs(dir.path());
    let r = run(dir.path(), &[&input], &out, &[]);
    common::assert_exit(&r, 1);
    assert_eq!(state(&out), before, "previous outputs changed");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.contains(".logveil-tmp-")),
        "{names:?}"
    );
    String::from_utf8_lossy(&r.stderr).into_owned()
}

#[test]
fn an_empty_file_exits_1_and_leaves_the_previous_outputs() {
    let err = nothing_usable_leaves_previous_outputs(&|dir| {
        let p = dir.join("access.log");
        std::fs::write(&p, "").unwrap();
        p
    });
    assert!(err.contains("nothing usable"), "{err}");
}

#[test]
fn a_directory_of_non_logs_exits_1_and_leaves_the_previous_outputs() {
    nothing_usable_leaves_previous_outputs(&|dir| {
        let d = dir.join("not-logs");
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("README.md"), "# Notes\n\nNothing to see.\n").unwrap();
        std::fs::write(d.join("run.sh"), "#!/bin/sh\necho hi\n").unwrap();
        std::fs::write(
            d.join("letter.txt"),
            "Dear team,\nthe meeting moves to Tuesday.\nRegards\n".repeat(20),
        )
        .unwrap();
        d
    });
}

#[test]
fn foreign_files_in_the_output_are_refused_unless_forced_then_carried_over() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = log(dir.path(), "a.log", 10, 0);
    common::assert_exit(&run(dir.path(), &[&input], &out, &[]), 0);
    std::fs::write(out.join("notes.txt"), "the analyst's notes").unwrap();
    std::fs::create_dir(out.join("charts")).unwrap();
    std::fs::write(out.join("charts/week.png"), [1u8, 2, 3]).unwrap();
    let before = state(&out);

    let r = run(dir.path(), &[&input], &out, &[]);
    common::assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("charts") && err.contains("notes.txt"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(state(&out), before);

    let notes_inode = std::fs::metadata(out.join("notes.txt")).unwrap().ino();
    let r = run(dir.path(), &[&input], &out, &["--force"]);
    common::assert_exit(&r, 0);
    // Unchanged: the same file, not a copy.
    assert_eq!(
        std::fs::read(out.join("notes.txt")).unwrap(),
        b"the analyst's notes"
    );
    assert_eq!(
        std::fs::metadata(out.join("notes.txt")).unwrap().ino(),
        notes_inode
    );
    assert_eq!(
        std::fs::read(out.join("charts/week.png")).unwrap(),
        [1, 2, 3]
    );
    assert_ne!(
        std::fs::read(out.join("_manifest.json")).unwrap(),
        before["_manifest.json"].0,
        "a new set was published"
    );
}

#[test]
fn leftover_temp_files_of_older_versions_are_not_foreign() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = log(dir.path(), "a.log", 10, 0);
    common::assert_exit(&run(dir.path(), &[&input], &out, &[]), 0);
    std::fs::write(out.join(".web_pages.parquet.tmp"), "torn").unwrap();
    common::assert_exit(&run(dir.path(), &[&input], &out, &[]), 0);
    assert!(!out.join(".web_pages.parquet.tmp").exists());
}

#[test]
fn an_output_that_cannot_be_written_fails_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let input = log(dir.path(), "a.log", 10, 0);
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    // Under a regular file, and a regular file itself.
    for out in [file.join("out"), file.clone()] {
        let r = run(dir.path(), &[&input], &out, &[]);
        common::assert_exit(&r, 1);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("cannot write to output"), "{err}");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}
