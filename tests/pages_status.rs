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
