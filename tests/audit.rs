//! `logveil audit`: clean on real outputs, and catching planted leaks in
//! each place a leak could hide, without ever printing the identifier.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow_array::{RecordBatch, StringArray};
use common::{logveil, run, sample_logs};

fn audit(out: &Path) -> std::process::Output {
    logveil()
        .arg("audit")
        .arg(out)
        .arg("--inputs")
        .arg(sample_logs())
        .output()
        .unwrap()
}

fn write_parquet(path: &Path, column: &str, values: Vec<&str>) {
    let batch =
        RecordBatch::try_from_iter([(column, Arc::new(StringArray::from(values)) as _)]).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn real_outputs_are_clean() {
    let out = tempfile::tempdir().unwrap();
    run(&[&sample_logs()], out.path(), &["-q"]);
    let r = audit(out.path());
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(String::from_utf8_lossy(&r.stderr).contains("clean"));
}

#[test]
fn planted_leaks_are_found_and_reported_without_the_identifier() {
    let out = tempfile::tempdir().unwrap();
    run(&[&sample_logs()], out.path(), &["-q"]);
    // Identifiers that are in sample-logs/: a mapped client, a host-name
    // client, an authuser, an e-mail from a query string.
    let planted = [
        ("web_pages_leak.parquet", "path", "/x/::ffff:203.0.113.9"),
        (
            "hosts.parquet",
            "referrer_host",
            "crawl-66-249-66-1.googlebot.com",
        ),
    ];
    for (file, column, value) in planted {
        write_parquet(&out.path().join(file), column, vec!["/fine", value]);
    }
    let manifest = out.path().join("_manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen(
            "\"tool\"",
            "\"note\": \"jane.doe%40example.edu\", \"tool\"",
            1,
        ),
    )
    .unwrap();
    std::fs::write(out.path().join("report-jsmith.txt"), "nothing inside").unwrap();

    let r = audit(out.path());
    assert_eq!(r.status.code(), Some(3));
    let report = String::from_utf8_lossy(&r.stdout);
    for expected in [
        "web_pages_leak.parquet: column path (values)",
        "web_pages_leak.parquet: column path (statistics)",
        "hosts.parquet: column referrer_host (values)",
        "_manifest.json: text",
        "report-jsmith.txt: file name",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    for secret in ["203.0.113.9", "googlebot.com", "jane.doe", "jsmith"] {
        let without_file_names = report.replace("report-jsmith.txt", "");
        assert!(
            !without_file_names.contains(secret),
            "the report repeats an identifier:\n{report}"
        );
    }
}
