//! `--log-format`: an Apache LogFormat string compiled once and used for
//! every web log.

mod common;

use std::path::Path;

use common::{logveil, read_rows, run, sample_logs};

const COMBINED: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;

const WEB_TABLES: [&str; 6] = [
    "web_traffic",
    "web_pages",
    "web_status",
    "web_referrers",
    "web_clients",
    "web_sessions",
];

/// Runs `input` once with detection and once with `format_args`, under one
/// key, asserts both exit alike and the given tables are byte-identical,
/// and returns the second run's manifest.
fn same_tables_as_detection(
    input: &Path,
    format_args: &[&str],
    tables: &[&str],
) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    common::keygen(&key);
    let key = key.to_str().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let detected = run(&[input], &a, &["-q", "--key-file", key]);
    let mut args = vec!["-q", "--key-file", key];
    args.extend_from_slice(format_args);
    let given = run(&[input], &b, &args);
    assert_eq!(
        detected.status.code(),
        given.status.code(),
        "{}",
        String::from_utf8_lossy(&given.stderr)
    );
    for table in tables {
        let file = format!("{table}.parquet");
        assert_eq!(
            std::fs::read(a.join(&file)).unwrap(),
            std::fs::read(b.join(&file)).unwrap(),
            "{table}"
        );
    }
    serde_json::from_slice(&std::fs::read(b.join("_manifest.json")).unwrap()).unwrap()
}

#[test]
fn the_combined_string_gives_the_same_tables_as_the_built_in_parser() {
    let m = same_tables_as_detection(
        &sample_logs().join("apache"),
        &["--log-format", COMBINED],
        &WEB_TABLES,
    );
    assert_eq!(m["inputs"][0]["format"], "apache_logformat");
    assert!(
        m["settings"]["format"]
            .as_str()
            .unwrap()
            .starts_with("apache:%h")
    );
    assert_eq!(m["complete"], false, "the samples hold malformed lines");
}

#[test]
fn a_custom_layout_with_split_request_and_durations() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("custom.log");
    let mut text = String::new();
    for i in 0..30 {
        text.push_str(&format!(
            "www.example.edu 198.51.100.{i} [28/Mar/2026:10:{:02}:00 +0000] \"GET /courses/{} HTTP/2.0\" 200 {} {} \"-\"\n",
            i % 60,
            if i % 2 == 0 { "a" } else { "b?x=1" },
            100 + i,
            1500 + i
        ));
    }
    std::fs::write(&log, text).unwrap();
    let out = dir.path().join("out");
    let policy = common::no_suppression(dir.path());
    let fmt = r#"%v %a %t "%m %U%q %H" %>s %B %D "%{X-Forwarded-For}i""#;
    let r = run(
        &[&log],
        &out,
        &["-q", "--log-format", fmt, "--policy", &policy],
    );
    common::assert_exit(&r, 0);
    let pages = read_rows(&out.join("web_pages.parquet"));
    let paths: Vec<(&str, &str, i64)> = pages
        .iter()
        .map(|r| (r["site"].str(), r["path"].str(), r["requests"].int()))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("www.example.edu", "/courses/a", 15),
            ("www.example.edu", "/courses/b", 15)
        ]
    );
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    assert_eq!(traffic[0]["bytes"].int(), (100..130).sum::<i64>());
    // %D is 1500..1529 µs: the p50 is the 15th value, 1514 µs, within 1%.
    let p50 = traffic[0]["latency_p50_ms"].float();
    assert!((p50 - 1.514).abs() <= 0.01 * 1.514, "p50 {p50}");
    let p99 = traffic[0]["latency_p99_ms"].float();
    assert!((p99 - 1.528).abs() <= 0.01 * 1.528, "p99 {p99}");
}

#[test]
fn bad_format_strings_are_refused_naming_the_directive() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &[&sample_logs()],
        &dir.path().join("o"),
        &["--log-format", "%h %t %Z"],
    );
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("%Z") && err.contains("position 6"), "{err}");
    let both = logveil()
        .args([
            "run",
            "x",
            "--out",
            "y",
            "--format",
            "combined",
            "--log-format",
            "%h %t",
        ])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(1));
}

#[test]
fn the_nginx_main_format_gives_the_same_tables_as_detection() {
    let nginx = sample_logs().join("nginx");
    let main = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#;
    let m = same_tables_as_detection(&nginx, &["--nginx-format", main], &WEB_TABLES);
    assert_eq!(m["inputs"][0]["format"], "nginx_log_format");
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &[&nginx],
        &dir.path().join("c"),
        &["--nginx-format", "$remote_addr $time_local $nope"],
    );
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("$nope"));
}

#[test]
fn json_lines_are_detected_beside_text_logs() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let mut json = String::new();
    for i in 0..20 {
        json.push_str(&format!(
            "{{\"time_iso8601\":\"2026-03-28T10:{i:02}:00+00:00\",\"remote_addr\":\"192.0.2.{i}\",\"request\":\"GET /j HTTP/1.1\",\"status\":\"200\",\"body_bytes_sent\":\"10\",\"request_time\":\"0.0{:02}\",\"http_user_agent\":\"curl/8\"}}\n",
            10 + i
        ));
    }
    std::fs::write(logs.join("access.json"), json).unwrap();
    std::fs::write(
        logs.join("access.log"),
        "192.0.2.99 - - [28/Mar/2026:10:00:00 +0000] \"GET /c HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let policy = common::no_suppression(dir.path());
    let r = run(&[&logs], &out, &["-q", "--policy", &policy]);
    common::assert_exit(&r, 0);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let formats: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, vec!["json", "combined"]);
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    assert_eq!(traffic[0]["requests"].int(), 21);
    // request_time 10..29 ms on the 20 JSON lines (the text line has
    // none): the value at rank 9 is 19 ms, answered within 1%.
    let p50 = traffic[0]["latency_p50_ms"].float();
    assert!((p50 - 19.0).abs() <= 0.19, "p50 {p50}");
}

#[test]
fn iis_w3c_logs_follow_their_fields_headers_even_when_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::from(
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-03-28 10:00:00\r\n\
         #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n",
    );
    for i in 0..10 {
        log.push_str(&format!(
            "2026-03-28 10:00:{i:02} 10.0.0.5 GET /default.aspx q={i} 443 - 198.51.100.{i} Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 {}\r\n",
            20 + i
        ));
    }
    log.push_str("2026-03-28 10:00:59 10.0.0.5 GET\r\n"); // line 15: truncated
    // The service restarts with other fields, in another order.
    log.push_str("#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time c-ip cs-host cs-method cs-uri-stem sc-status sc-bytes time-taken\r\n");
    for i in 0..5 {
        log.push_str(&format!(
            "2026-03-28 11:00:0{i} 203.0.113.{i} intranet.example.edu POST /api/save 201 {} 5\r\n",
            100 * i
        ));
    }
    let plain = dir.path().join("u_ex260328.log");
    std::fs::write(&plain, &log).unwrap();
    let policy = common::no_suppression(dir.path());
    let out = dir.path().join("out");
    let r = run(&[&plain], &out, &["-q", "--policy", &policy]);
    // One truncated line in 16 is under the default --max-reject-rate.
    assert_eq!(r.status.code(), Some(0), "one truncated line");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let input = &m["inputs"][0];
    assert_eq!(input["format"], "w3c");
    assert_eq!(
        (
            input["lines"].as_u64(),
            input["parsed"].as_u64(),
            input["rejected"].as_u64()
        ),
        (Some(22), Some(15), Some(1))
    );
    assert_eq!(input["skipped_by_reason"]["header"], 6);
    assert_eq!(input["reject_locations"][0]["line"], 15);
    let pages = read_rows(&out.join("web_pages.parquet"));
    let got: Vec<(&str, &str, i64)> = pages
        .iter()
        .map(|r| (r["site"].str(), r["path"].str(), r["requests"].int()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("(default)", "/default.aspx", 10),
            ("intranet.example.edu", "/api/save", 5)
        ]
    );
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let ten = traffic
        .iter()
        .find(|r| r["site"].str() == "(default)")
        .unwrap();
    // time-taken 20..29 ms: the median (rank 4) is 24 ms.
    assert!((ten["latency_p50_ms"].float() - 24.0).abs() <= 0.24);
    // The same file compressed gives the same tables.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, log.as_bytes()).unwrap();
    let zipped = dir.path().join("z").join("u_ex260328.log.gz");
    std::fs::create_dir(zipped.parent().unwrap()).unwrap();
    std::fs::write(&zipped, gz.finish().unwrap()).unwrap();
    let out2 = dir.path().join("out2");
    run(&[&zipped], &out2, &["-q", "--policy", &policy]);
    for t in ["web_pages", "web_status", "web_traffic"] {
        let f = format!("{t}.parquet");
        assert_eq!(
            std::fs::read(out.join(&f)).unwrap(),
            std::fs::read(out2.join(&f)).unwrap(),
            "{t}"
        );
    }
}

#[test]
fn goaccess_combined_gives_the_same_tables_on_utc_logs() {
    // GoAccess reads times as logged, ignoring the zone; the nginx samples
    // are logged in UTC, so the tables must match detection exactly.
    let m = same_tables_as_detection(
        &sample_logs().join("nginx"),
        &["--goaccess-format", "COMBINED"],
        &WEB_TABLES,
    );
    assert_eq!(m["inputs"][0]["format"], "goaccess");
}
