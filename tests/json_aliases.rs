//! JSON access logs read by key aliases: one fixture per producer family,
//! each written from that producer's documentation (addresses from the
//! documentation ranges), and the real JSON files of `../shared/corpus/`
//! when that folder exists.
//!
//! Fixtures (in `tests/fixtures/json_aliases/`, beside `formats/`, whose
//! table in `tests/doc_fixtures.rs` expects every skipped line to be blank
//! or a comment):
//! - `matomo_nginx.json`: the nginx `log_format` that Matomo's log
//!   analytics README documents for its `nginx_json` importer format
//!   (`ip`, `host`, `path` with the query, `status` as a string, `length`,
//!   `generation_time_milli`, `date` as `$time_iso8601`); line 4 planted
//!   with a status that is no number.
//! - `zeek_http.json`: Zeek `http.log` with `LogAscii::use_json` (field
//!   names from Zeek's `HTTP::Info`; `ts` as epoch seconds, and as ISO
//!   8601 with `JSON::TS_ISO8601`); line 3 a transaction without a reply.
//! - `envoy_istio.json`: Istio's JSON access-log layout for Envoy
//!   (`start_time`, `method`, `path`, `response_code`, `bytes_sent`,
//!   `duration` in milliseconds, `downstream_remote_address` with a port).
//! - `ecs_nginx.json`: Elastic Common Schema nested fields (`source.ip`,
//!   `client.ip`, `http.request.method`, `url.original`, `url.path`,
//!   `http.response.status_code`, `event.duration` in nanoseconds).
//! - `gcp_http_request.json`: a Google Cloud `LogEntry` with its
//!   `httpRequest` object (`requestUrl` a whole URL, `responseSize` an
//!   int64 as a string, `latency` as `"0.042s"`).
//! - `generic_aliases.json`: one line per remaining alias family (epoch
//!   milliseconds, nanoseconds as a string and microseconds; W3C field
//!   names; a CLF time; a zone-less time; a binary probe as the request);
//!   line 7 planted with a `-` status.
//! - `traefik_username.json`: Traefik JSON with `ClientUsername` set, a
//!   logrus `time` without a zone, and `StartLocal` with an offset.

mod common;

use std::collections::BTreeSet;

use common::{assert_exit, ip_forms, leaks_in_output_dir, leaks_in_printed, no_suppression, run};
use logveil::formats::json_lines::JsonLines;
use logveil::formats::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request, Skip};

/// 2026-03-28T12:00:00Z.
const T0: i64 = 1_774_699_200;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/json_aliases")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn lines(data: &[u8]) -> Vec<&[u8]> {
    data.split(|c| *c == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

/// What the format makes of each line: skipped, parsed or rejected.
#[derive(Debug)]
enum Outcome<'a> {
    Skipped(Skip),
    Parsed(RawRecord<'a>),
    Rejected(Reject),
}

fn read<'a>(data: &'a [u8], cx: &mut ParseContext) -> Vec<Outcome<'a>> {
    lines(data)
        .into_iter()
        .map(|l| match JsonLines.skip(l) {
            Some(s) => Outcome::Skipped(s),
            None => match JsonLines.parse(l, cx) {
                Ok(r) => Outcome::Parsed(r),
                Err(e) => Outcome::Rejected(e),
            },
        })
        .collect()
}

fn records<'a>(outcomes: &[Outcome<'a>]) -> Vec<RawRecord<'a>> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Parsed(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn rejects(outcomes: &[Outcome<'_>]) -> Vec<(usize, Reject)> {
    outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match o {
            Outcome::Rejected(r) => Some((i + 1, *r)),
            _ => None,
        })
        .collect()
}

fn text(v: Option<&[u8]>) -> Option<&str> {
    v.map(|v| std::str::from_utf8(v).expect("utf-8 fixture"))
}

fn http<'a>(method: &'a str, target: &'a str, protocol: &'a str) -> Request<'a> {
    Request::Http {
        method: method.as_bytes(),
        target: target.as_bytes(),
        protocol: protocol.as_bytes(),
    }
}

/// The fields most tests compare, as text.
fn summary<'a>(r: &RawRecord<'a>) -> (&'a str, i64, u16, u64) {
    (
        std::str::from_utf8(r.client).expect("utf-8 client"),
        r.time,
        r.status,
        r.bytes,
    )
}

#[test]
fn matomo_nginx_json_layout() {
    let data = fixture("matomo_nginx.json");
    let out = read(&data, &mut ParseContext::default());
    assert_eq!(rejects(&out), [(4, Reject::BadStatus)]);
    let r = records(&out);
    assert_eq!(r.len(), 3);
    assert_eq!(summary(&r[0]), ("192.0.2.41", T0 + 1 - 7200, 200, 5321));
    assert_eq!(r[0].request, http("", "/news/?page=2&utm_source=feed", ""));
    assert_eq!(text(r[0].vhost), Some("www.example.edu"));
    assert_eq!(text(r[0].referer), Some("https://www.example.edu/"));
    assert_eq!(r[0].duration_us, Some(12_500));
    assert!(text(r[0].user_agent).is_some_and(|a| a.contains("Firefox")));
    assert_eq!(summary(&r[1]), ("2001:db8::41", T0 + 2 - 7200, 404, 153));
    assert_eq!((r[1].referer, r[1].duration_us), (None, Some(400)));
    assert_eq!(summary(&r[2]), ("198.51.100.41", T0 + 3 - 7200, 304, 0));
    assert_eq!(r[2].referer, None);
}

#[test]
fn zeek_http_json() {
    let data = fixture("zeek_http.json");
    let out = read(&data, &mut ParseContext::default());
    assert!(rejects(&out).is_empty());
    let r = records(&out);
    assert_eq!(summary(&r[0]), ("192.0.2.51", T0 + 1, 200, 3735));
    assert_eq!(r[0].request, http("GET", "/index.html?lang=en", ""));
    assert_eq!(text(r[0].vhost), Some("www.example.edu"));
    assert_eq!(text(r[0].user_agent), Some("curl/8.5.0"));
    assert_eq!(summary(&r[1]), ("2001:db8::51", T0 + 2, 302, 0));
    assert_eq!(text(r[1].user), Some("jdoe"));
    assert_eq!(text(r[1].referer), Some("http://www.example.edu/"));
    // No reply seen: no status, so no response rather than a made-up 200.
    assert_eq!(summary(&r[2]), ("198.51.100.51", T0 + 3, NO_RESPONSE, 0));
}

#[test]
fn envoy_istio_json() {
    let data = fixture("envoy_istio.json");
    let out = read(&data, &mut ParseContext::default());
    let r = records(&out);
    assert_eq!(r.len(), 2);
    assert_eq!(summary(&r[0]), ("192.0.2.61:51234", T0 + 1, 200, 1532));
    assert_eq!(
        r[0].request,
        http("GET", "/api/v1/items?limit=10", "HTTP/1.1")
    );
    assert_eq!(text(r[0].vhost), Some("api.example.edu"));
    assert_eq!(text(r[0].forwarded_for), Some("192.0.2.61"));
    // Envoy's `%DURATION%` is milliseconds, not Caddy's seconds.
    assert_eq!(r[0].duration_us, Some(12_000));
    assert_eq!(summary(&r[1]), ("[2001:db8::61]:40000", T0 + 2, 503, 91));
    assert_eq!(
        (r[1].forwarded_for, r[1].duration_us),
        (None, Some(3_000_000))
    );
}

#[test]
fn elastic_common_schema() {
    let data = fixture("ecs_nginx.json");
    let out = read(&data, &mut ParseContext::default());
    let r = records(&out);
    assert_eq!(r.len(), 2);
    assert_eq!(summary(&r[0]), ("192.0.2.71", T0 + 1, 200, 2048));
    assert_eq!(r[0].request, http("GET", "/courses/?term=spring", ""));
    assert_eq!(text(r[0].vhost), Some("www.example.edu"));
    assert_eq!(text(r[0].referer), Some("https://www.example.edu/"));
    assert!(text(r[0].user_agent).is_some_and(|a| a.starts_with("Mozilla/5.0 (Mac")));
    assert_eq!(r[0].duration_us, Some(2500));
    assert_eq!(summary(&r[1]), ("2001:db8::71", T0 + 2, 404, 0));
    assert_eq!(r[1].request, http("HEAD", "/robots.txt", ""));
    assert_eq!(text(r[1].user), Some("jdoe"));
}

#[test]
fn google_cloud_http_request() {
    let data = fixture("gcp_http_request.json");
    let out = read(&data, &mut ParseContext::default());
    let r = records(&out);
    assert_eq!(r.len(), 2);
    assert_eq!(summary(&r[0]), ("198.51.100.81", T0 + 1, 200, 4096));
    // A whole URL becomes the path it names.
    assert_eq!(
        r[0].request,
        http("GET", "/library/hours?day=mon", "HTTP/1.1")
    );
    assert_eq!(r[0].duration_us, Some(42_000));
    assert_eq!(summary(&r[1]), ("2001:db8::81", T0 + 2, 500, 0));
    assert_eq!(r[1].duration_us, Some(1_500_000));
}

#[test]
fn every_other_alias_family() {
    let data = fixture("generic_aliases.json");
    let mut cx = ParseContext::default();
    let out = read(&data, &mut cx);
    assert_eq!(rejects(&out), [(7, Reject::BadStatus)]);
    let r = records(&out);
    let got: Vec<_> = r.iter().map(summary).collect();
    assert_eq!(
        got,
        [
            ("192.0.2.91", T0 + 1, 200, 100),
            ("192.0.2.92", T0 + 2, 201, 55),
            ("192.0.2.93", T0 + 3, 200, 7),
            ("192.0.2.94", T0 + 4, 204, 0),
            ("192.0.2.95", T0 + 5, 200, 12),
            ("192.0.2.96", T0 + 6, 400, 0),
        ]
    );
    assert_eq!(r[0].request, http("GET", "/a?x=1", ""));
    assert_eq!(r[1].request, http("GET", "/b", "HTTP/1.1"));
    assert_eq!(text(r[1].referer), Some("https://www.example.edu/b"));
    assert_eq!(r[2].request, http("GET", "/c", ""));
    assert_eq!(
        (text(r[2].user), text(r[2].user_agent), r[2].duration_us),
        (Some("jdoe"), Some("Wget/1.21"), Some(15_000))
    );
    assert_eq!(r[3].request, http("DELETE", "/d/1", ""));
    assert_eq!(text(r[4].user_agent), Some("curl/8.5.0"));
    assert_eq!(r[5].request, Request::Invalid);
    // Only line 5's time carried no zone.
    assert_eq!(cx.zoneless_times, 1);
}

/// `docker compose logs` output of Caddy (runtime messages from Caddy's
/// "How Logging Works" page and its start-up, around two
/// `http.log.access` entries), inline because its skipped lines are
/// events, not blanks or comments.
const CADDY_COMPOSE: &str = r#"caddy  | {"level":"info","ts":1774699200.3152757,"msg":"using config from file","file":"/etc/caddy/Caddyfile"}
caddy  | {"level":"info","ts":1774699200.316192,"logger":"admin","msg":"admin endpoint started","address":"localhost:2019","enforce_origin":false,"origins":["//[::1]:2019","//127.0.0.1:2019","//localhost:2019"]}
caddy  | {"level":"info","ts":1774699200.3163323,"logger":"http.log","msg":"server running","name":"srv0","protocols":["h1","h2","h3"]}
caddy  | {"level":"info","ts":1774699201.6153953,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"192.0.2.101","remote_port":"46628","client_ip":"192.0.2.101","proto":"HTTP/1.1","method":"GET","host":"localhost","uri":"/","headers":{"User-Agent":["curl/8.5.0"],"Accept":["*/*"]}},"bytes_read":0,"user_id":"","duration":0.000929675,"size":612,"status":200,"resp_headers":{"Server":["Caddy"]}}
caddy  | {"level":"info","ts":1774699202.1,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"192.0.2.102","remote_port":"37882","client_ip":"192.0.2.102","proto":"HTTP/1.1","method":"GET","host":"localhost","uri":"/index.html","headers":{"User-Agent":["Mozilla/5.0"]}},"bytes_read":0,"user_id":"","duration":0.0011,"size":612,"status":304,"resp_headers":{}}
caddy  | {"level":"warn","ts":1774699203.8274047,"msg":"exiting; byeee!! 👋","signal":"SIGTERM"}
"#;

#[test]
fn caddy_behind_docker_compose_skips_its_runtime_messages() {
    let data = CADDY_COMPOSE.as_bytes();
    let out = read(data, &mut ParseContext::default());
    let skipped = out
        .iter()
        .filter(|o| matches!(o, Outcome::Skipped(Skip::Event)))
        .count();
    assert_eq!((skipped, rejects(&out).len()), (4, 0));
    let r = records(&out);
    assert_eq!(summary(&r[0]), ("192.0.2.101", T0 + 1, 200, 612));
    assert_eq!(r[0].request, http("GET", "/", "HTTP/1.1"));
    assert_eq!(r[0].duration_us, Some(929));
    assert_eq!(summary(&r[1]), ("192.0.2.102", T0 + 2, 304, 612));
}

#[test]
fn traefik_username_and_times() {
    let data = fixture("traefik_username.json");
    let mut cx = ParseContext::default();
    let out = read(&data, &mut cx);
    let r = records(&out);
    assert_eq!(r.len(), 2);
    // The request's start, not the zone-less time the line was written.
    assert_eq!(summary(&r[0]), ("192.0.2.111", T0 + 1, 200, 15));
    assert_eq!(text(r[0].user), Some("jdoe"));
    assert_eq!(r[0].duration_us, Some(10_002_425));
    assert_eq!(
        r[0].request,
        http("GET", "/my/app/auth?id=1234", "HTTP/1.1")
    );
    // `StartLocal` with its offset when `StartUTC` is dropped; `-` is no user.
    assert_eq!(summary(&r[1]), ("192.0.2.112", T0 + 2, 401, 0));
    assert_eq!((r[1].user, r[1].duration_us), (None, Some(81)));
    assert_eq!(cx.zoneless_times, 0);
}

#[test]
fn each_fixture_is_detected_as_json() {
    for name in [
        "matomo_nginx.json",
        "zeek_http.json",
        "envoy_istio.json",
        "ecs_nginx.json",
        "gcp_http_request.json",
        "generic_aliases.json",
        "traefik_username.json",
    ] {
        let d = logveil::formats::detect::detect(&fixture(name), true);
        assert_eq!(d.format.map(|f| f.name()), Some("json"), "{name}");
    }
}

/// A file of `../shared/corpus/` (real logs, never copied into the repo)
/// by its number, when the folder is there.
fn corpus(number: &str) -> Option<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let entry = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(number))?;
    std::fs::read(entry.path()).ok()
}

#[test]
fn real_json_logs_parse_fully() {
    // (file number, records, runtime messages skipped), from the corpus's
    // `expected.tsv`.
    for (number, want, skipped) in [
        ("41_", 2, 0),
        ("43_", 1, 0),
        ("44_", 3, 0),
        ("45_", 4, 35),
        ("46_", 15, 0),
    ] {
        let Some(data) = corpus(number) else {
            eprintln!("../shared/corpus not found: skipping {number}");
            return;
        };
        let out = read(&data, &mut ParseContext::default());
        assert_eq!(rejects(&out), [], "{number}");
        assert_eq!(records(&out).len(), want, "{number}");
        let skips = out
            .iter()
            .filter(|o| matches!(o, Outcome::Skipped(Skip::Event)))
            .count();
        assert_eq!(skips, skipped, "{number}");
    }
    // An Envoy text line inside Docker's json-file wrapper is not read:
    // it is rejected for want of a client, never skipped as a message.
    if let Some(data) = corpus("38_") {
        let out = read(&data, &mut ParseContext::default());
        assert_eq!(rejects(&out), [(1, Reject::BadClient)]);
    }
}

/// Every fixture, with its (parsed, rejected) line counts.
const FIXTURES: &[(&str, u64, u64)] = &[
    ("matomo_nginx.json", 3, 1),
    ("zeek_http.json", 3, 0),
    ("envoy_istio.json", 2, 0),
    ("ecs_nginx.json", 2, 0),
    ("gcp_http_request.json", 2, 0),
    ("generic_aliases.json", 6, 1),
    ("traefik_username.json", 2, 0),
];

/// The addresses of a fixture in every form an output could show them,
/// with or without a port or brackets, found without logveil's parsers.
fn addresses(data: &[u8]) -> BTreeSet<String> {
    let text = String::from_utf8_lossy(data);
    text.split(|c: char| !(c.is_ascii_hexdigit() || matches!(c, ':' | '.' | '[' | ']')))
        .filter_map(|t| {
            t.parse::<std::net::IpAddr>()
                .ok()
                .or_else(|| t.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        })
        .flat_map(ip_forms)
        .collect()
}

#[test]
fn runs_detect_count_and_leak_nothing() {
    for &(name, parsed, rejected) in FIXTURES {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/json_aliases")
            .join(name);
        let tmp = tempfile::tempdir().expect("temp dir");
        let out = tmp.path().join("out");
        let policy = no_suppression(tmp.path());
        let r = run(&[&path], &out, &["--policy", &policy, "-j", "1"]);
        assert_exit(&r, if rejected == 0 { 0 } else { 2 });
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).expect("manifest"))
                .expect("manifest JSON");
        let input = &manifest["inputs"][0];
        assert_eq!(input["format"], "json", "{name}");
        assert_eq!(input["parsed"], parsed, "{name}");
        assert_eq!(input["rejected"], rejected, "{name}");

        let data = fixture(name);
        let mut ids = addresses(&data);
        assert!(ids.len() >= 2, "{name}: no addresses collected");
        ids.insert("jdoe".to_string());
        let mut found = leaks_in_output_dir(&ids, &out);
        found.extend(leaks_in_printed(&ids, &r));
        // Where, not what: the failure message is itself output.
        let places: Vec<&str> = found.iter().map(|(place, _)| place.as_str()).collect();
        assert!(places.is_empty(), "{name}: identifiers found in {places:?}");
    }
}
