//! CSV access logs by their header line: Cloudflare Logpush with
//! `output_type: csv` and its documented header (a `batch_prefix` holding
//! the field names), read with the JSON reader's key aliases.
//!
//! Fixture `tests/fixtures/json_aliases/cloudflare_logpush.csv`, written
//! from Cloudflare's "Log Output Options" page (csv with header: quoted
//! strings, bare numbers, `EdgeStartTimestamp` in the default `unixnano`)
//! and its `http_requests` field names, with documentation addresses and
//! example.com hosts: two batches, so the header repeats after a blank
//! line; line 10 is planted with a row cut after four fields.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{Row, assert_exit, ip_forms, leaks_in_output_dir, no_suppression, read_rows, run};

fn fixture() -> std::path::PathBuf {
    common::root().join("tests/fixtures/json_aliases/cloudflare_logpush.csv")
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap()
}

#[test]
fn a_logpush_csv_is_detected_counted_and_leaks_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let policy = no_suppression(tmp.path());
    let r = run(&[&fixture()], &out, &["--policy", &policy]);
    assert_exit(&r, 2);
    let m = manifest(&out);
    let input = &m["inputs"][0];
    assert_eq!(input["format"], "csv");
    assert_eq!(
        (
            &input["lines"],
            &input["parsed"],
            &input["rejected"],
            &input["skipped_by_reason"]["header"],
            &input["skipped_by_reason"]["blank"],
        ),
        (&10.into(), &6.into(), &1.into(), &2.into(), &1.into())
    );
    assert_eq!(
        common::reject_locations(input),
        vec![(10, "truncated".into())]
    );
    let pages: BTreeSet<String> = read_rows(&out.join("web_pages.parquet"))
        .iter()
        .map(|r| r["path"].str().to_string())
        .collect();
    assert!(
        pages.contains("/missing") && pages.contains("/v1/items"),
        "{pages:?}"
    );
    let statuses: i64 = read_rows(&out.join("web_status.parquet"))
        .iter()
        .map(|r| r["requests"].int())
        .sum();
    assert_eq!(statuses, 6);

    let text = std::fs::read_to_string(fixture()).unwrap();
    let ids: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.split(',').next())
        .filter_map(|c| c.trim_matches('"').parse::<std::net::IpAddr>().ok())
        .flat_map(ip_forms)
        .collect();
    assert!(ids.len() >= 6, "addresses collected: {}", ids.len());
    let found = leaks_in_output_dir(&ids, &out);
    let places: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert!(places.is_empty(), "addresses found in {places:?}");
}

/// One request in both shapes: (client, host, method, URI, seconds after
/// 2026-03-28T12:00:00Z, status, bytes, agent, referrer).
type Request = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    u16,
    u64,
    &'static str,
    &'static str,
);

const REQUESTS: &[Request] = &[
    (
        "192.0.2.40",
        "www.example.com",
        "GET",
        "/news/2026?page=2",
        1,
        200,
        7000,
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "https://search.example.net/?q=news",
    ),
    (
        "2001:db8::40",
        "www.example.com",
        "GET",
        "/news/2026",
        90,
        304,
        0,
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "",
    ),
    (
        "198.51.100.40",
        "shop.example.com",
        "POST",
        "/cart",
        4000,
        500,
        12,
        "curl/8.5.0",
        "",
    ),
];

#[test]
fn a_csv_row_gives_the_tables_its_json_twin_gives() {
    let t0: i64 = 1_774_699_200;
    let header = "ClientIP,ClientRequestHost,ClientRequestMethod,ClientRequestURI,EdgeStartTimestamp,EdgeResponseStatus,EdgeResponseBytes,ClientRequestUserAgent,ClientRequestReferer";
    let mut csv = format!("{header}\n");
    let mut json = String::new();
    for &(ip, host, method, uri, s, status, bytes, ua, referer) in REQUESTS {
        let ns = (t0 + s) * 1_000_000_000;
        csv += &format!(
            "\"{ip}\",\"{host}\",\"{method}\",\"{uri}\",{ns},{status},{bytes},\"{ua}\",\"{referer}\"\n"
        );
        json += &serde_json::json!({
            "ClientIP": ip, "ClientRequestHost": host, "ClientRequestMethod": method,
            "ClientRequestURI": uri, "EdgeStartTimestamp": ns, "EdgeResponseStatus": status,
            "EdgeResponseBytes": bytes, "ClientRequestUserAgent": ua, "ClientRequestReferer": referer,
        })
        .to_string();
        json.push('\n');
    }
    let tmp = tempfile::tempdir().unwrap();
    let policy = no_suppression(tmp.path());
    let tables = |name: &str, text: &str| -> Vec<(String, Vec<Row>)> {
        let input = tmp.path().join(name);
        std::fs::write(&input, text).unwrap();
        let out = tmp.path().join(format!("out-{name}"));
        let r = run(&[&input], &out, &["--policy", &policy]);
        assert_exit(&r, 0);
        assert_eq!(manifest(&out)["inputs"][0]["parsed"], REQUESTS.len());
        [
            "web_traffic",
            "web_pages",
            "web_status",
            "web_referrers",
            "web_clients",
            "web_sessions",
        ]
        .iter()
        .map(|t| {
            let rows = read_rows(&out.join(format!("{t}.parquet")));
            assert!(!rows.is_empty(), "{name}: {t} is empty");
            (t.to_string(), rows)
        })
        .collect()
    };
    assert_eq!(tables("logpush.csv", &csv), tables("logpush.json", &json));
}
