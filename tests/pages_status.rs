//! "404s by page" and "top human pages" are one query each: `web_pages`
//! carries each path's status classes, its `not_found` count, its request
//! class and its requests from bots; `web_traffic` its bot requests.

mod common;

use common::{read_rows, run};

#[test]
fn pages_carry_their_status_classes() {
    let dir = tempfile::tempdir().unwrap();
    let policy = common::no_suppression(dir.path());
    let mut lines = String::new();
    let statuses = [200, 204, 404, 404, 404, 301, 500, 403, 200];
    for (i, status) in statuses.iter().enumerate() {
        // Three of the nine from a crawler, the rest from a browser.
        let agent = match i % 3 {
            0 => "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            _ => "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        };
        lines.push_str(&format!(
            "192.0.2.{i} - - [02/Mar/2026:10:{i:02}:00 +0000] \"GET /old-page HTTP/1.1\" {status} 10 \"-\" \"{agent}\"\n"
        ));
    }
    lines.push_str("192.0.2.60 - - [02/Mar/2026:11:00:00 +0000] \"GET /css/site.css HTTP/1.1\" 200 10 \"-\" \"curl/8.0\"\n");
    lines.push_str("192.0.2.50 - - [02/Mar/2026:11:00:00 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"curl/8.0\"\n");
    let log = dir.path().join("access.log");
    std::fs::write(&log, lines).unwrap();
    let out = dir.path().join("out");
    common::assert_exit(&run(&[&log], &out, &["--policy", &policy, "-q"]), 0);
    let rows = read_rows(&out.join("web_pages.parquet"));
    let page = rows
        .iter()
        .find(|r| r["path"].str() == "/old-page")
        .expect("the page's row");
    let n = |c: &str| page[c].int();
    assert_eq!(n("requests"), 9);
    assert_eq!(n("not_found"), 3);
    assert_eq!(n("errors"), 5);
    assert_eq!(
        (
            n("status_2xx"),
            n("status_3xx"),
            n("status_4xx"),
            n("status_5xx")
        ),
        (3, 1, 4, 1)
    );
    assert_eq!(page["class"].str(), "page");
    assert_eq!(n("bot_requests"), 3);
    let class_of = |path: &str| {
        let row = rows.iter().find(|r| r["path"].str() == path).unwrap();
        (row["class"].str().to_string(), row["bot_requests"].int())
    };
    assert_eq!(class_of("/css/site.css"), ("static".to_string(), 1));
    assert_eq!(class_of("/"), ("page".to_string(), 1));
    // The traffic table's bot requests add up to the pages'.
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let bots: i64 = traffic.iter().map(|r| r["bot_requests"].int()).sum();
    assert_eq!(bots, 5);
}

/// A day of one path served in known times, with several methods and
/// protocols, read with an Apache `LogFormat` that logs `%D`.
fn timed_log(dir: &std::path::Path) -> std::path::PathBuf {
    let mut lines = String::new();
    // Twenty visitors ask for /slow in 5..=100 ms, over HTTP/1.1 and HTTP/2.
    for i in 1..=20u32 {
        let proto = if i % 2 == 0 { "HTTP/2.0" } else { "HTTP/1.1" };
        lines.push_str(&format!(
            "192.0.2.{i} - - [02/Mar/2026:10:{i:02}:00 +0000] \"GET /slow {proto}\" 200 10 {}\n",
            i * 5_000
        ));
    }
    lines.push_str(
        "192.0.2.120 - - [02/Mar/2026:10:30:00 +0000] \"POST /api/items HTTP/1.1\" 201 10 500\n",
    );
    lines
        .push_str("192.0.2.121 - - [02/Mar/2026:10:31:00 +0000] \"HEAD /slow HTTP/3\" 200 0 700\n");
    lines.push_str(
        "192.0.2.122 - - [02/Mar/2026:10:32:00 +0000] \"OPTIONS /assets/logo HTTP/1.1\" 204 0 900\n",
    );
    let log = dir.join("access.log");
    std::fs::write(&log, lines).unwrap();
    log
}

const TIMED_FORMAT: &str = "%h %l %u %t \"%r\" %>s %b %D";

#[test]
fn pages_carry_their_response_times_and_traffic_its_methods_and_protocols() {
    let dir = tempfile::tempdir().unwrap();
    let policy = common::no_suppression(dir.path());
    let log = timed_log(dir.path());
    let out = dir.path().join("out");
    let args = ["--policy", &policy, "--log-format", TIMED_FORMAT, "-q"];
    common::assert_exit(&run(&[&log], &out, &args), 0);
    let pages = read_rows(&out.join("web_pages.parquet"));
    let slow = pages.iter().find(|r| r["path"].str() == "/slow").unwrap();
    // 21 times: 0.7 ms and 5, 10, …, 100 ms; the sketch is within 1%.
    let near = |got: f64, want: f64| (got - want).abs() <= want * 0.011;
    let p50 = slow["latency_p50_ms"].float();
    let p95 = slow["latency_p95_ms"].float();
    assert!(near(p50, 50.0), "median {p50}");
    assert!(near(p95, 95.0), "p95 {p95}");
    let api = pages
        .iter()
        .find(|r| r["path"].str() == "/api/items")
        .unwrap();
    assert!(near(api["latency_p50_ms"].float(), 0.5));

    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let sum = |c: &str| traffic.iter().map(|r| r[c].int()).sum::<i64>();
    assert_eq!(
        [
            sum("get_requests"),
            sum("post_requests"),
            sum("head_requests"),
            sum("other_method_requests")
        ],
        [20, 1, 1, 1]
    );
    assert_eq!(
        [
            sum("http1_requests"),
            sum("http2_requests"),
            sum("http3_requests")
        ],
        [12, 10, 1]
    );
}

#[test]
fn a_policy_sets_the_request_classes() {
    let dir = tempfile::tempdir().unwrap();
    let log = timed_log(dir.path());
    let policy = dir.path().join("classes.toml");
    std::fs::write(
        &policy,
        "[suppression]\nk = 1\nallow_small_k = true\n\n[classes]\nstatic_prefixes = [\"/assets/\"]\napi_prefixes = []\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let args = [
        "--policy",
        policy.to_str().unwrap(),
        "--log-format",
        TIMED_FORMAT,
        "-q",
    ];
    common::assert_exit(&run(&[&log], &out, &args), 0);
    let pages = read_rows(&out.join("web_pages.parquet"));
    let class = |path: &str| {
        let row = pages.iter().find(|r| r["path"].str() == path).unwrap();
        row["class"].str().to_string()
    };
    assert_eq!(class("/assets/logo"), "static");
    assert_eq!(class("/api/items"), "page");
    // Page views follow the same rules: the POST to /api/items is now a
    // page, the OPTIONS to /assets/logo is not.
    let sessions = read_rows(&out.join("web_sessions.parquet"));
    let views: i64 = sessions.iter().map(|r| r["page_views"].int()).sum();
    assert_eq!(views, 22);
}
