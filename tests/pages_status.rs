//! "404s by page" is one query: `web_pages` carries each path's status
//! classes and its `not_found` count, which add up to its requests.

mod common;

use common::{read_rows, run};

#[test]
fn pages_carry_their_status_classes() {
    let dir = tempfile::tempdir().unwrap();
    let policy = common::no_suppression(dir.path());
    let mut lines = String::new();
    let statuses = [200, 204, 404, 404, 404, 301, 500, 403, 200];
    for (i, status) in statuses.iter().enumerate() {
        lines.push_str(&format!(
            "192.0.2.{i} - - [02/Mar/2026:10:{i:02}:00 +0000] \"GET /old-page HTTP/1.1\" {status} 10 \"-\" \"curl/8.0\"\n"
        ));
    }
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
}
