//! Detection per region: a file whose layout changes part way is read
//! with each region's format, a file where nothing fits still counts every
//! line, and the manifest says which lines each format read. Runs through
//! the library with small chunks, so regions cross chunk boundaries, and
//! with the default chunk size, so they change inside one chunk.

use logveil::output::manifest::{InputReport, Region};
use logveil::{RunConfig, run};

fn combined(i: usize) -> String {
    format!(
        r#"192.0.2.{} - - [10/Oct/2024:13:{:02}:36 +0000] "GET /a{} HTTP/1.1" 200 {i} "-" "curl/8.0""#,
        i % 200,
        i % 60,
        i % 7
    )
}

fn json(i: usize) -> String {
    format!(
        r#"{{"remote_addr":"198.51.100.{}","time":"2024-10-10T14:00:{:02}Z","request":"GET /b{} HTTP/1.1","status":200,"bytes":5}}"#,
        i % 200,
        i % 60,
        i % 5
    )
}

/// nginx combined, then the same with a third identity field and a
/// trailing `"$http_x_forwarded_for"`, as an operator's edit leaves a log.
fn three_dashes(i: usize) -> String {
    format!(
        r#"192.0.2.{} - - - [10/Oct/2024:15:{:02}:36 +0000] "GET /c HTTP/1.1" 404 1 "-" "curl/8.0" "-""#,
        i % 200,
        i % 60
    )
}

fn junk(i: usize) -> String {
    format!("kernel: eth0 link state changed {i} times")
}

/// Runs one file made of `parts` (blocks of lines) and returns its report.
fn read(parts: &[Vec<String>], chunk_bytes: Option<usize>) -> InputReport {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let text: String = parts.iter().flatten().map(|l| format!("{l}\n")).collect();
    std::fs::write(&log, text).unwrap();
    let mut cfg = RunConfig::new(vec![log], dir.path().join("out")).threads(Some(2));
    if let Some(bytes) = chunk_bytes {
        cfg = cfg.chunk_bytes(bytes);
    }
    let report = run(&cfg).unwrap();
    report.manifest.inputs.into_iter().next().unwrap()
}

fn block(n: usize, line: fn(usize) -> String) -> Vec<String> {
    (0..n).map(line).collect()
}

fn accounted(r: &InputReport) {
    assert_eq!(r.lines, r.parsed + r.rejected + r.skipped, "{r:?}");
    let in_regions: u64 = r.regions.iter().map(|g| g.lines).sum();
    if !r.regions.is_empty() {
        assert_eq!(in_regions, r.lines, "{:?}", r.regions);
    }
}

fn formats(regions: &[Region]) -> Vec<(&str, u64, u64)> {
    regions
        .iter()
        .map(|g| (g.format, g.first_line, g.lines))
        .collect()
}

#[test]
fn a_layout_change_inside_a_file_is_read_by_each_format() {
    let parts = [block(300, combined), block(700, json), block(300, combined)];
    for chunk in [None, Some(4096), Some(20_000)] {
        let r = read(&parts, chunk);
        accounted(&r);
        assert_eq!((r.parsed, r.rejected), (1300, 0), "chunk {chunk:?}: {r:?}");
        assert_eq!(
            formats(&r.regions),
            [
                ("combined", 1, 300),
                ("json", 301, 700),
                ("combined", 1001, 300)
            ],
            "chunk {chunk:?} {:?}",
            r.reject_locations
        );
        assert_eq!(r.format, Some("combined"));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }
}

#[test]
fn a_file_whose_start_fits_nothing_is_read_from_where_a_format_fits() {
    let parts = [block(500, junk), block(300, combined)];
    for chunk in [None, Some(4096)] {
        let r = read(&parts, chunk);
        accounted(&r);
        assert_eq!(r.parsed, 300, "chunk {chunk:?}: {r:?}");
        assert_eq!(r.rejected_by_reason.get("no_format"), Some(&500));
        assert_eq!(
            formats(&r.regions),
            [("none", 1, 500), ("combined", 501, 300)]
        );
        assert_eq!(r.format, Some("combined"));
        assert!(r.error.is_none(), "{:?}", r.error);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("500 lines fit no known format")),
            "{:?}",
            r.warnings
        );
    }
}

#[test]
fn a_file_where_nothing_fits_counts_every_line() {
    let r = read(&[block(5000, junk), vec![String::new(); 3]], Some(8192));
    accounted(&r);
    assert_eq!(r.lines, 5003);
    assert_eq!((r.parsed, r.skipped), (0, 3));
    assert_eq!(r.rejected_by_reason.get("no_format"), Some(&5000));
    assert_eq!(r.format, None);
    assert!(r.regions.is_empty(), "one region, none: {:?}", r.regions);
    let error = r.error.as_deref().unwrap_or_default();
    assert!(error.contains("no known format fits"), "{error}");
    assert!(error.contains("5003 lines are counted"), "{error}");
}

#[test]
fn an_operators_edit_of_the_layout_loses_nothing() {
    // The issue's case: 88 lines of combined, then every later line with
    // three dashes and a forwarded-for field; 44% of the first 200 lines
    // were combined and the whole file was dropped.
    let r = read(&[block(88, combined), block(2083, three_dashes)], None);
    accounted(&r);
    assert_eq!((r.parsed, r.rejected), (2171, 0), "{r:?}");
}

#[test]
fn a_high_share_of_rejected_lines_is_a_warning() {
    let broken = |i: usize| combined(i).replace(" +0000]", " +0000");
    let mut lines = block(400, combined);
    for (i, l) in lines.iter_mut().enumerate() {
        if i % 5 == 0 {
            *l = broken(i);
        }
    }
    let r = read(&[lines], None);
    accounted(&r);
    assert_eq!(r.rejected, 80);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("80 of 400 record lines (20%) were rejected")),
        "{:?}",
        r.warnings
    );
    // A log with the odd broken line gets none.
    let mut lines = block(400, combined);
    lines[7] = broken(7);
    let r = read(&[lines], None);
    assert_eq!(r.rejected, 1);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn a_named_format_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let text: String = [block(100, combined), block(300, json)]
        .iter()
        .flatten()
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&log, text).unwrap();
    let cfg = RunConfig::new(vec![log], dir.path().join("out")).format(Some("combined".into()));
    let r = run(&cfg).unwrap().manifest.inputs.remove(0);
    assert_eq!((r.parsed, r.rejected), (100, 300));
    assert!(r.regions.is_empty());
}
