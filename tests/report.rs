//! `logveil report`: the HTML page of a published output. It must be one
//! self-contained page (no script, nothing fetched), draw every chart with
//! marks, escape labels from the tables, show no input identifier, read
//! both output layouts, and render in a real browser (headless Chromium,
//! when installed; required under CI, where `.ci/run` installs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_exit, keygen, logveil, run, sample_logs};

/// The colour of every bar (`report::charts::BAR_SVG`): a chart's frame
/// and grid are drawn in other colours, so this counts drawn marks.
const BAR: &str = logveil::report::charts::BAR_SVG;

/// The charts of the web tables, which every run on web logs publishes.
const WEB_CHARTS: [&str; 10] = [
    "traffic",
    "pages",
    "status",
    "clients-browser",
    "clients-os",
    "clients-device",
    "clients-is-bot",
    "referrers",
    "search-terms",
    "sessions",
];

/// The charts of the Zoom tables.
const ZOOM_CHARTS: [&str; 4] = [
    "zoom-minutes",
    "zoom-affiliation",
    "zoom-device",
    "zoom-concurrency",
];

/// Runs `logveil report <out> --html <html>`.
fn report(out: &Path, html: &Path) -> Output {
    logveil()
        .arg("report")
        .arg(out)
        .arg("--html")
        .arg(html)
        .output()
        .expect("run logveil report")
}

/// The report of `out`, written to `<dir>/report.html`, as text.
fn page_of(out: &Path, dir: &Path) -> (PathBuf, String) {
    let html = dir.join("report.html");
    assert_exit(&report(out, &html), 0);
    let text = std::fs::read_to_string(&html).unwrap();
    (html, text)
}

/// The markup of the `<figure>` with `id`, if the page has it.
fn figure<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let start = page.find(&format!("<figure class=\"chart\" id=\"{id}\">"))?;
    let len = page[start..].find("</figure>")?;
    Some(&page[start..start + len])
}

/// Asserts the chart `id` is an SVG with at least `min` bars drawn, and
/// returns how many it has.
fn assert_drawn(page: &str, id: &str, min: usize) -> usize {
    let fig = figure(page, id).unwrap_or_else(|| panic!("no chart {id}"));
    assert_eq!(fig.matches("<svg").count(), 1, "chart {id}: {fig}");
    let marks = fig.matches(BAR).count();
    assert!(marks >= min, "chart {id} has {marks} bars: {fig}");
    marks
}

/// Asserts the page is whole, has no script and loads nothing.
fn assert_self_contained(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..100]);
    assert!(page.trim_end().ends_with("</html>"));
    assert_eq!(page.matches("<html").count(), 1);
    let lower = page.to_ascii_lowercase();
    for banned in [
        "<script", "src=", "href=", "url(", "@import", "<link", "<iframe", "<object", "<embed",
    ] {
        assert!(!lower.contains(banned), "the page holds {banned}");
    }
    // The one kind of URL allowed is the SVG namespace, which nothing loads.
    let without_ns = lower.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_ns.contains("http:") && !without_ns.contains("https:"));
    assert!(!without_ns.contains("//cdn") && !without_ns.contains("xlink"));
    assert!(lower.contains("content-security-policy") && lower.contains("default-src 'none'"));
}

#[test]
fn the_samples_report_is_one_self_contained_page_with_every_chart_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(&[&sample_logs()], &out, &["--quiet"]);
    let pages = tmp.path().join("pages");
    std::fs::create_dir(&pages).unwrap();
    let (_, page) = page_of(&out, &pages);
    assert_self_contained(&page);
    for id in WEB_CHARTS.iter().chain(&ZOOM_CHARTS) {
        assert_drawn(&page, id, 1);
    }
    assert_eq!(
        page.matches("<svg").count(),
        WEB_CHARTS.len() + ZOOM_CHARTS.len()
    );
    // The traffic chart has a bar per hour of the samples' days.
    assert!(assert_drawn(&page, "traffic", 24) >= 24);

    // The accounting is the manifest's.
    let manifest = common::read_json(&out.join("_manifest.json"));
    let totals = &manifest["totals"];
    for key in ["lines", "parsed", "rejected"] {
        let row = format!("<tr><td>{key}</td><td>{}</td></tr>", totals[key]);
        assert!(page.contains(&row), "no {row}");
    }
    assert!(page.contains("<td>unterminated_quote</td>"));
    assert!(page.contains("<td>web_pages</td>"));
    assert!(page.contains("<td>zoom_meetings</td>"));
}

#[test]
fn the_report_holds_no_input_identifier() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(&[&sample_logs()], &out, &["--quiet"]);
    let pages = tmp.path().join("pages");
    std::fs::create_dir(&pages).unwrap();
    let (html, page) = page_of(&out, &pages);
    let audit = |dir: &Path| common::audit(dir, &sample_logs(), &[]);
    assert_exit(&audit(&pages), 0);

    // The audit does read the page: an address planted in it is found.
    let log = std::fs::read(sample_logs().join("apache/access.log")).unwrap();
    let first = log.split(|b| *b == b' ').next().unwrap();
    let address = String::from_utf8_lossy(first).into_owned();
    assert!(address.parse::<std::net::IpAddr>().is_ok(), "{address}");
    std::fs::write(&html, page.replace("</body>", &format!("{address}</body>"))).unwrap();
    assert_exit(&audit(&pages), 3);
}

#[test]
fn labels_from_the_tables_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("hostile.log");
    let mut text = String::new();
    // Twelve visitors (k = 10) ask for a page and search for a term that
    // are markup, so both are published.
    for i in 0..12 {
        for (path, referrer) in [
            ("/a<script>alert(1)</script>", "-"),
            ("/search?q=%3Cscript%3Ealert(2)%3C%2Fscript%3E", "-"),
            ("/x", "https://e\"onmouseover=alert(3)\".example/"),
        ] {
            text.push_str(&format!(
                "192.0.2.{i} - - [30/Mar/2026:10:{i:02}:00 +0000] \"GET {path} HTTP/1.1\" 200 5 \
                 \"{referrer}\" \"Mozilla/5.0 <img onerror=alert(4)>\"\n"
            ));
        }
    }
    std::fs::write(&log, text).unwrap();
    let out = tmp.path().join("out");
    assert_exit(&run(&[&log], &out, &["--quiet"]), 0);
    let (_, page) = page_of(&out, tmp.path());
    assert_self_contained(&page);
    assert!(!page.contains("<script") && !page.contains("<img"));
    assert!(
        page.contains("/a&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the hostile path is not on the page"
    );
    assert!(
        page.contains("&lt;script&gt;alert(2)&lt;/script&gt;"),
        "the hostile search term is not on the page"
    );
}

#[test]
fn a_day_partitioned_output_is_read_with_its_days_from_the_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("k.key");
    keygen(&key);
    let out = tmp.path().join("out");
    let state = tmp.path().join("state");
    let r = run(
        &[&sample_logs()],
        &out,
        &[
            "--quiet",
            "--state",
            state.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
        ],
    );
    assert!(out.join("web_sessions").is_dir(), "{r:?}");
    assert!(!out.join("web_sessions.parquet").exists());
    let (_, page) = page_of(&out, tmp.path());
    assert_self_contained(&page);
    for id in WEB_CHARTS {
        assert_drawn(&page, id, 1);
    }
    // The files leave `day` out: a bar per day means it came from the path.
    let days = std::fs::read_dir(out.join("web_sessions")).unwrap().count();
    assert!(days >= 2);
    assert_eq!(assert_drawn(&page, "sessions", 1), days);
    for entry in std::fs::read_dir(out.join("web_sessions")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let day = name.strip_prefix("day=").unwrap();
        assert!(
            page.contains(&format!("<tr><td>{day}</td>")),
            "no row of {day}"
        );
    }
    assert!(page.contains("Days published:"));
    // The manifest lists a table once per partition; the page adds them up.
    assert_eq!(page.matches("<td>web_sessions</td>").count(), 1);
}

#[test]
fn a_directory_that_is_no_output_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("r.html");
    let r = report(tmp.path(), &html);
    assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("not a logveil output"), "{err}");
    assert!(err.contains(&tmp.path().display().to_string()), "{err}");
    assert!(!html.exists());

    // A damaged manifest names the file.
    std::fs::write(tmp.path().join("_manifest.json"), "{not json").unwrap();
    let r = report(tmp.path(), &html);
    assert_exit(&r, 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("_manifest.json"), "{err}");
}

/// Whether `chromium` runs here; under CI it must (`.ci/run` installs it).
fn chromium_available() -> bool {
    let found = std::process::Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (see .ci/run)"
        );
        eprintln!("SKIPPED: chromium not found; `apt-get install chromium` to run this test");
    }
    found
}

/// Runs headless Chromium on `url` with `args`; returns (stdout, stderr).
fn chromium(profile: &Path, url: &str, args: &[&str]) -> (String, String) {
    let o = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium");
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "chromium failed: {stderr}");
    (stdout, stderr)
}

#[test]
fn the_report_renders_in_headless_chromium_without_console_errors() {
    if !chromium_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(&[&sample_logs()], &out, &["--quiet"]);
    let (html, _) = page_of(&out, tmp.path());
    let url = format!("file://{}", html.display());
    let profile = tmp.path().join("profile");

    let (dom, log) = chromium(&profile, &url, &["--dump-dom"]);
    for bad in [
        "Uncaught",
        "ERROR:CONSOLE",
        "Content Security Policy",
        "Refused to",
    ] {
        assert!(!log.contains(bad), "console: {bad}: {log}");
    }
    // The browser parsed every chart as SVG with its bars.
    for id in WEB_CHARTS.iter().chain(&ZOOM_CHARTS) {
        assert_drawn(&dom, id, 1);
    }
    assert!(dom.contains("<h1>logveil report</h1>"));

    let shot = std::env::temp_dir().join("logveil-report.png");
    let _ = std::fs::remove_file(&shot);
    let (_, log) = chromium(
        &profile,
        &url,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
        ],
    );
    assert!(
        !log.contains("Uncaught") && !log.contains("ERROR:CONSOLE"),
        "{log}"
    );
    let png = std::fs::read(&shot).expect("chromium wrote no screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    eprintln!("screenshot: {}", shot.display());
}
