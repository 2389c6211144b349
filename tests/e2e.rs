//! End to end: the binary on `sample-logs/`, checked against counts that a
//! deliberately different reference (a regex, chrono's timestamp parser and
//! std's address parser) computes from the same files.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::Path;

use common::{Cell, clf_sample_files, no_suppression, read_input, read_rows, run, sample_logs};
use regex::bytes::Regex;

/// What the reference makes of one parsed line.
struct RefLine {
    site: String,
    time: i64,
    client: String,
    status: i64,
    bytes: i64,
    referer: Option<String>,
    agent: Option<String>,
    request: String,
}

impl RefLine {
    /// Whether the line is a page view: not an asset, download, API call
    /// or feed of the samples (by the documented default classes), and not from
    /// one of the samples' crawlers and scripts.
    fn page_view(&self) -> bool {
        let target = self.request.split(' ').nth(1).unwrap_or("");
        let path = target.split('?').next().unwrap_or("");
        let ext = path.rsplit('/').next().and_then(|l| l.rsplit_once('.'));
        let asset = ext.is_some_and(|(_, e)| {
            let not_pages = [
                "js", "css", "svg", "woff2", "webp", "ico", "png", "xml", "rss",
            ];
            let downloads = ["xlsx", "pdf", "csv"];
            not_pages.contains(&e) || downloads.contains(&e)
        });
        let agent = self.agent.as_deref().unwrap_or("").to_ascii_lowercase();
        // Crawlers name themselves; scripts send product tokens with no
        // platform comment.
        let bot = ["bot", "sqlmap"].iter().any(|b| agent.contains(b))
            || (!agent.is_empty() && !agent.contains('('));
        !target.is_empty() && !asset && !path.starts_with("/api/") && !bot
    }
}

const Q: &str = r#""((?:[^"\\]|\\.)*)""#;

fn reference_regex(path: &Path) -> Regex {
    let core = format!(r#"([^ ]+) [^ ]+ ([^ ]+) \[([^\]]+)\] {Q} ([1-9][0-9][0-9]) ([0-9]+|-)"#);
    let dir = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    let pattern = match dir {
        "common" => format!("^{core}()()$"),
        "vhost" => format!(r#"^([^ ]+):[0-9]+ {core} {Q} {Q}$"#),
        _ => format!(r#"^{core} {Q} {Q}(?: .*)?$"#),
    };
    Regex::new(&pattern).unwrap()
}

fn canonical_client(c: &str) -> String {
    match c.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        Ok(v4) => v4.to_string(),
        Err(_) => c.to_ascii_lowercase(),
    }
}

/// Reference parse of every sample file: (parsed lines, lines, skipped).
fn reference() -> (Vec<RefLine>, u64, u64) {
    let mut out = Vec::new();
    let (mut lines, mut skipped) = (0, 0);
    for path in clf_sample_files() {
        let re = reference_regex(&path);
        let vhost = path.parent().unwrap().ends_with("vhost");
        let data = read_input(&path);
        // A final newline ends the last line; it does not start another.
        let body = data.strip_suffix(b"\n").unwrap_or(&data);
        for line in body.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            lines += 1;
            if line.iter().all(u8::is_ascii_whitespace) || line.trim_ascii_start().starts_with(b"#")
            {
                skipped += 1;
                continue;
            }
            let Some(c) = re.captures(line) else { continue };
            let g = |i: usize| String::from_utf8_lossy(&c[i]).into_owned();
            let off = usize::from(vhost);
            let Ok(t) = chrono::DateTime::parse_from_str(&g(3 + off), "%d/%b/%Y:%H:%M:%S %z")
            else {
                continue;
            };
            let dash = |s: String| (s != "-" && !s.is_empty()).then_some(s);
            out.push(RefLine {
                site: if vhost {
                    g(1).to_ascii_lowercase()
                } else {
                    "(default)".into()
                },
                time: t.timestamp(),
                client: canonical_client(&g(1 + off)),
                status: g(5 + off).parse().unwrap(),
                bytes: g(6 + off).parse().unwrap_or(0),
                request: g(4 + off),
                referer: c
                    .get(7 + off)
                    .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
                    .and_then(dash),
                agent: c
                    .get(8 + off)
                    .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
                    .and_then(dash),
            });
        }
    }
    (out, lines, skipped)
}

/// Sessions of one day and site, as the reference counts them.
#[derive(Default)]
struct RefSessions {
    sessions: i64,
    visitors: BTreeSet<String>,
    durations: Vec<i64>,
    requests: i64,
    human: i64,
    page_views: i64,
    bounces: i64,
}

/// Per hour and site: requests, bytes, clients, status classes 2xx..5xx.
type TrafficTotals = (i64, i64, BTreeSet<String>, [i64; 4]);

#[test]
fn sample_logs_tables_match_an_independent_count() {
    let dir = tempfile::tempdir().unwrap();
    let policy = no_suppression(dir.path());
    // Exactly the files the reference recounts.
    let files = clf_sample_files();
    let inputs: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let run_log = dir.path().join("run-log.json");
    let result = run(
        &inputs,
        &dir.path().join("o"),
        &["--policy", &policy, "--run-log", run_log.to_str().unwrap()],
    );
    let out = dir.path().join("o");
    // The samples hold deliberately malformed lines, fewer than the
    // default --max-reject-rate allows: exit code 0.
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (reference, ref_lines, ref_skipped) = reference();
    assert!(
        reference.len() > 1500,
        "reference parsed only {}",
        reference.len()
    );

    // Manifest totals.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    // Web inputs against the reference (Zoom samples have their own tests);
    // the run log has each input's report with its path.
    let run_log = common::read_json(&run_log);
    let web: Vec<&serde_json::Value> = run_log["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            let p = i["path"].as_str().unwrap();
            !p.contains("/zoom/") && !p.contains("/formats/")
        })
        .collect();
    let sum = |k: &str| web.iter().map(|i| i[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("lines"), ref_lines);
    assert_eq!(sum("parsed"), reference.len() as u64);
    assert_eq!(sum("skipped"), ref_skipped);
    assert_eq!(
        sum("rejected"),
        ref_lines - ref_skipped - reference.len() as u64
    );
    assert_eq!(web.len(), clf_sample_files().len());
    assert_eq!(manifest["totals"]["inputs"], clf_sample_files().len());
    // Every parsed request asks the client memo once, and repeats hit it.
    let memo = |m: &str, k: &str| manifest["stages"]["memos"][m][k].as_u64().unwrap();
    let parsed: u64 = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["parsed"].as_u64().unwrap())
        .sum();
    assert_eq!(memo("clients", "hits") + memo("clients", "misses"), parsed);
    assert!(memo("clients", "hits") > memo("clients", "misses"));
    assert!(memo("targets", "capacity") > 0);
    for input in manifest["inputs"].as_array().unwrap() {
        let n = |k: &str| input[k].as_u64().unwrap();
        assert_eq!(
            n("lines"),
            n("parsed") + n("rejected") + n("skipped"),
            "{input}"
        );
        assert!(input["format"].is_string(), "{input}");
    }

    // web_traffic: requests, bytes and distinct clients per hour and site.
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let mut expected: BTreeMap<(i64, String), TrafficTotals> = BTreeMap::new();
    for r in &reference {
        let hour = r.time.div_euclid(3600) * 3600 * 1_000_000;
        let e = expected.entry((hour, r.site.clone())).or_default();
        e.0 += 1;
        e.1 += r.bytes;
        e.2.insert(r.client.clone());
        if (200..600).contains(&r.status) {
            e.3[(r.status / 100 - 2) as usize] += 1;
        }
    }
    let expected: BTreeMap<_, _> = expected
        .into_iter()
        .map(|(k, (req, bytes, clients, classes))| (k, (req, bytes, clients.len() as i64, classes)))
        .collect();
    let got: BTreeMap<_, _> = traffic
        .iter()
        .map(|r| {
            let classes =
                ["status_2xx", "status_3xx", "status_4xx", "status_5xx"].map(|c| r[c].int());
            let key = (r["hour"].int(), r["site"].str().to_string());
            (
                key,
                (
                    r["requests"].int(),
                    r["bytes"].int(),
                    r["visitors"].int(),
                    classes,
                ),
            )
        })
        .collect();
    assert_eq!(got, expected);

    // web_status: requests per day, site and status.
    let status = read_rows(&out.join("web_status.parquet"));
    let mut expected: BTreeMap<(i64, String, i64), i64> = BTreeMap::new();
    for r in &reference {
        *expected
            .entry((r.time.div_euclid(86_400), r.site.clone(), r.status))
            .or_default() += 1;
    }
    let got: BTreeMap<_, _> = status
        .iter()
        .map(|r| {
            (
                (
                    r["day"].int(),
                    r["site"].str().to_string(),
                    r["status"].int(),
                ),
                r["requests"].int(),
            )
        })
        .collect();
    assert_eq!(got, expected);

    // web_pages: per day and site, requests and bytes add up; errors are
    // the responses >= 400.
    let pages = read_rows(&out.join("web_pages.parquet"));
    let mut expected: BTreeMap<(i64, String), (i64, i64, i64)> = BTreeMap::new();
    for r in &reference {
        let e = expected
            .entry((r.time.div_euclid(86_400), r.site.clone()))
            .or_default();
        e.0 += 1;
        e.1 += r.bytes;
        e.2 += i64::from(r.status >= 400);
    }
    let mut got: BTreeMap<(i64, String), (i64, i64, i64)> = BTreeMap::new();
    for r in &pages {
        let e = got
            .entry((r["day"].int(), r["site"].str().to_string()))
            .or_default();
        e.0 += r["requests"].int();
        e.1 += r["bytes"].int();
        e.2 += r["errors"].int();
        assert!(!r["path"].str().contains('?'), "query string kept");
    }
    assert_eq!(got, expected);

    // web_referrers: direct requests and distinct direct visitors per day.
    let referrers = read_rows(&out.join("web_referrers.parquet"));
    let mut expected: BTreeMap<i64, (i64, BTreeSet<String>)> = BTreeMap::new();
    for r in reference
        .iter()
        .filter(|r| r.referer.is_none() && r.site == "(default)")
    {
        let e = expected.entry(r.time.div_euclid(86_400)).or_default();
        e.0 += 1;
        e.1.insert(r.client.clone());
    }
    let expected: BTreeMap<i64, (i64, i64)> = expected
        .into_iter()
        .map(|(d, (n, v))| (d, (n, v.len() as i64)))
        .collect();
    let got: BTreeMap<i64, (i64, i64)> = referrers
        .iter()
        .filter(|r| r["referrer_host"].str() == "(direct)" && r["site"].str() == "(default)")
        .map(|r| (r["day"].int(), (r["requests"].int(), r["visitors"].int())))
        .collect();
    assert_eq!(got, expected);

    // web_clients: Googlebot requests per day, and totals.
    let clients = read_rows(&out.join("web_clients.parquet"));
    let mut expected: HashMap<i64, i64> = HashMap::new();
    for r in &reference {
        if r.agent.as_deref().is_some_and(|a| a.contains("Googlebot")) {
            *expected.entry(r.time.div_euclid(86_400)).or_default() += 1;
        }
    }
    let mut got: HashMap<i64, i64> = HashMap::new();
    let mut total = 0;
    for r in &clients {
        total += r["requests"].int();
        if r["browser"].str() == "Googlebot" {
            assert_eq!(r["is_bot"], Cell::Bool(true));
            *got.entry(r["day"].int()).or_default() += r["requests"].int();
        }
    }
    assert!(!expected.is_empty(), "samples should contain Googlebot");
    assert_eq!(got, expected);
    assert_eq!(total, reference.len() as i64);

    // web_sessions: a visitor is a client on one UTC day (daily pseudonym
    // rotation); sessions split at gaps over 30 minutes.
    let sessions = read_rows(&out.join("web_sessions.parquet"));
    let mut times: BTreeMap<(String, String, i64), Vec<(i64, bool)>> = BTreeMap::new();
    for r in &reference {
        times
            .entry((r.site.clone(), r.client.clone(), r.time.div_euclid(86_400)))
            .or_default()
            .push((r.time, r.page_view()));
    }
    let mut expected: BTreeMap<(i64, String), RefSessions> = BTreeMap::new();
    for ((site, client, _), mut ts) in times {
        ts.sort();
        let mut start = 0;
        for i in 1..=ts.len() {
            if i == ts.len() || ts[i].0 - ts[i - 1].0 > 1800 {
                let e = expected
                    .entry((ts[start].0.div_euclid(86_400), site.clone()))
                    .or_default();
                e.sessions += 1;
                e.visitors.insert(client.clone());
                e.durations.push(ts[i - 1].0 - ts[start].0);
                e.requests += (i - start) as i64;
                let pages = ts[start..i].iter().filter(|t| t.1).count() as i64;
                e.human += i64::from(pages > 0);
                e.page_views += pages;
                e.bounces += i64::from(pages == 1);
                start = i;
            }
        }
    }
    assert_eq!(sessions.len(), expected.len());
    for row in &sessions {
        let key = (row["day"].int(), row["site"].str().to_string());
        let RefSessions {
            sessions: n,
            visitors,
            mut durations,
            requests,
            human,
            page_views,
            bounces,
        } = expected.remove(&key).unwrap();
        assert_eq!(row["sessions"].int(), n, "{key:?}");
        assert_eq!(row["visitors"].int(), visitors.len() as i64, "{key:?}");
        durations.sort();
        let mean = durations.iter().sum::<i64>() as f64 / n as f64;
        let m = durations.len();
        let median = if m % 2 == 1 {
            durations[m / 2] as f64
        } else {
            (durations[m / 2 - 1] + durations[m / 2]) as f64 / 2.0
        };
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(row["avg_session_seconds"].float(), mean), "{key:?}");
        assert!(
            close(row["median_session_seconds"].float(), median),
            "{key:?}"
        );
        assert!(
            close(
                row["requests_per_session"].float(),
                requests as f64 / n as f64
            ),
            "{key:?}"
        );
        // k = 1: the human split is always published.
        assert_eq!(row["human_sessions"].int(), human, "{key:?}");
        assert_eq!(row["page_views"].int(), page_views, "{key:?}");
        let per = |x: i64| x as f64 / human.max(1) as f64;
        assert!(
            close(row["pages_per_session"].float(), per(page_views)),
            "{key:?}"
        );
        assert!(close(row["bounce_rate"].float(), per(bounces)), "{key:?}");
    }
}

#[test]
fn same_input_and_key_give_identical_bytes_across_threads_and_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    common::keygen(&key);
    let key_arg = key.to_str().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    run(
        &[&sample_logs()],
        &a,
        &["--key-file", key_arg, "--threads", "1", "-q"],
    );
    run(
        &[&sample_logs()],
        &b,
        &["--key-file", key_arg, "--threads", "2", "-q"],
    );
    // Tiny chunks through the library: many merges must not change a byte,
    // nor more lanes than cores (three other lanes merged into the first).
    let tiny_chunks = |out: &std::path::Path, threads: usize| {
        let cfg = logveil::RunConfig::new(vec![sample_logs()], out)
            .key(logveil::pipeline::KeySource::File(key.clone()))
            .chunk_bytes(700)
            .threads(Some(threads));
        logveil::run(&cfg).unwrap();
    };
    let (c, d) = (dir.path().join("c"), dir.path().join("d"));
    tiny_chunks(&c, 2);
    tiny_chunks(&d, 4);
    for table in [
        "web_traffic",
        "web_pages",
        "web_status",
        "web_referrers",
        "web_clients",
        "web_search_terms",
        "web_sessions",
    ] {
        let file = format!("{table}.parquet");
        let fa = std::fs::read(a.join(&file)).unwrap();
        assert_eq!(
            fa,
            std::fs::read(b.join(&file)).unwrap(),
            "{table}: threads changed the bytes"
        );
        assert_eq!(
            fa,
            std::fs::read(c.join(&file)).unwrap(),
            "{table}: chunking changed the bytes"
        );
        assert_eq!(
            fa,
            std::fs::read(d.join(&file)).unwrap(),
            "{table}: four lanes changed the bytes"
        );
    }
    // Counts and reject locations (resolved from per-chunk line counts) do
    // not depend on threads or chunking either.
    let inputs = |dir: &std::path::Path| {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("_manifest.json")).unwrap()).unwrap();
        m["inputs"].clone()
    };
    assert_eq!(inputs(&a), inputs(&b));
    assert_eq!(inputs(&a), inputs(&c));
    assert_eq!(inputs(&a), inputs(&d));
}

#[test]
fn rejected_lines_are_located_by_line_number_and_reason() {
    // Positions written down by the fixture's author (sample-logs/README.md).
    let out = tempfile::tempdir().unwrap();
    let log_dir = tempfile::tempdir().unwrap();
    let run_log = log_dir.path().join("run-log.json");
    run(
        &[&sample_logs()],
        out.path(),
        &["-q", "--run-log", run_log.to_str().unwrap()],
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("_manifest.json")).unwrap()).unwrap();
    let run_log = common::read_json(&run_log);
    let locations = |suffix: &str| -> Vec<(u64, String)> {
        common::reject_locations(&common::manifest_input(&manifest, &run_log, suffix))
    };
    let want = |v: &[(u64, &str)]| {
        v.iter()
            .map(|(l, r)| (*l, r.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        locations("apache/access.log"),
        want(&[
            (16, "unterminated_quote"),
            (55, "bad_client"),
            (119, "bad_timestamp"),
            (226, "bad_status")
        ])
    );
    // CRLF endings and a last line without newline.
    assert_eq!(
        locations("common/access_log"),
        want(&[
            (33, "unterminated_quote"),
            (106, "bad_status"),
            (115, "bad_timestamp"),
            (279, "bad_client")
        ])
    );
    // Decompressed line numbers inside a .gz and a .zst.
    assert_eq!(
        locations("access.log.2.gz"),
        want(&[(76, "unterminated_quote"), (134, "bad_timestamp")])
    );
    assert_eq!(
        locations("access.log.1.zst"),
        want(&[(115, "unterminated_quote"), (124, "bad_timestamp")])
    );
    // Ignored files: by id and reason in the manifest, by path in the run log.
    let readme = run_log["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["path"].as_str().unwrap().ends_with("README.md"))
        .unwrap_or_else(|| panic!("{}", run_log["ignored"]));
    assert!(
        manifest["ignored"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["id"] == readme["id"] && v["reason"] == readme["reason"]),
        "{}",
        manifest["ignored"]
    );
}
