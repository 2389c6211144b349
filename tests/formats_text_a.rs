//! The Squid, Envoy, uWSGI and Gandi readers beyond their documented
//! fixtures (`tests/doc_fixtures.rs` runs those through the binary):
//! every field of every fixture line, Envoy's TCP proxy records skipped as
//! events through the binary, the new readers taking no line of any other
//! fixture (so detection cannot hand them another server's file), GoAccess's
//! `SQUID` name, and the real logs of `../shared/corpus/` when that folder
//! exists (never copied into the repository: they hold real addresses).

mod common;

use std::path::Path;

use common::{assert_exit, logveil, no_suppression, run};
use logveil::formats::{
    LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request, envoy::Envoy, presets,
    squid::Squid, uwsgi::Uwsgi,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::root().join("tests/fixtures/formats").join(name)).expect("fixture")
}

/// Lines without terminators; a last line without newline counts.
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    data.split(|&c| c == b'\n').collect()
}

fn parse_all<'a>(format: &dyn LogFormat, data: &'a [u8]) -> Vec<Result<RawRecord<'a>, Reject>> {
    let mut cx = ParseContext::default();
    lines(data)
        .into_iter()
        .map(|l| format.parse(l, &mut cx))
        .collect()
}

fn text(b: Option<&[u8]>) -> Option<&str> {
    b.map(|b| std::str::from_utf8(b).expect("utf-8"))
}

fn target<'a>(r: &RawRecord<'a>) -> &'a [u8] {
    match r.request {
        Request::Http { target, .. } => target,
        _ => b"",
    }
}

#[test]
fn squid_fixture_fields() {
    let data = fixture("squid.log");
    let got = parse_all(&Squid, &data);
    // (client, status, bytes, user, site, duration µs)
    type Want = (
        &'static str,
        u16,
        u64,
        Option<&'static str>,
        Option<&'static str>,
        u64,
    );
    let want: [Want; 5] = [
        (
            "192.0.2.142",
            200,
            1722,
            None,
            Some("www.example.com"),
            19_000,
        ),
        (
            "192.0.2.142",
            304,
            176,
            None,
            Some("www.example.com"),
            6_000,
        ),
        (
            "192.0.2.14",
            200,
            19763,
            Some("jdoe@example.com"),
            Some("mail.example.com:443"),
            5_006_000,
        ),
        ("192.0.2.15", 407, 3941, None, Some("www.example.org"), 0),
        (
            "2001:db8::15",
            NO_RESPONSE,
            0,
            None,
            Some("www.example.net"),
            1_200_000,
        ),
    ];
    for (n, w) in want.iter().enumerate() {
        let r = got[n].as_ref().expect("parses");
        let have = (
            std::str::from_utf8(r.client).unwrap(),
            r.status,
            r.bytes,
            text(r.user),
            text(r.vhost),
            r.duration_us.unwrap_or(u64::MAX),
        );
        assert_eq!(&have, w, "line {}", n + 1);
        // No peer address is kept anywhere.
        assert!(r.forwarded_for.is_none() && r.referer.is_none());
    }
    assert_eq!(got[0].as_ref().unwrap().time, 955_682_882);
    assert_eq!(target(got[2].as_ref().unwrap()), b"mail.example.com:443");
    assert_eq!(got[5].as_ref().map(|_| ()), Err(&Reject::BadStatus));
}

#[test]
fn envoy_fixture_fields() {
    let data = fixture("envoy.log");
    let got = parse_all(&Envoy, &data);
    // (client, forwarded-for, status, bytes sent, site, agent, duration µs)
    type Want = (
        &'static str,
        &'static str,
        u16,
        u64,
        Option<&'static str>,
        Option<&'static str>,
        Option<u64>,
    );
    let want: [Want; 4] = [
        (
            "203.0.113.28",
            "203.0.113.28",
            204,
            0,
            Some("locations"),
            Some("nsq2http"),
            Some(226_000),
        ),
        (
            "203.0.113.5",
            "203.0.113.5, 198.51.100.1",
            200,
            43,
            Some("www.example.com"),
            Some("curl/7.59.0"),
            Some(217_000),
        ),
        (
            "2001:db8::7",
            "2001:db8::7",
            503,
            19,
            Some("www.example.com"),
            Some("Mozilla/5.0 (X11; Linux x86_64)"),
            Some(0),
        ),
        (
            "203.0.113.6",
            "203.0.113.6",
            418,
            135,
            Some("httpbin.example.com:8000"),
            Some("curl/7.73.0-DEV"),
            Some(4_000),
        ),
    ];
    for (n, w) in want.iter().enumerate() {
        let r = got[n].as_ref().expect("parses");
        let have = (
            std::str::from_utf8(r.client).unwrap(),
            text(r.forwarded_for).unwrap(),
            r.status,
            r.bytes,
            text(r.vhost),
            text(r.user_agent),
            r.duration_us,
        );
        assert_eq!(&have, w, "line {}", n + 1);
    }
    assert_eq!(
        got[1].as_ref().unwrap().request,
        Request::Http {
            method: b"GET",
            target: b"/ip",
            protocol: b"HTTP/1.1"
        }
    );
    assert_eq!(got[4].as_ref().map(|_| ()), Err(&Reject::BadClient));
}

#[test]
fn uwsgi_fixture_fields() {
    let data = fixture("uwsgi.log");
    let got = parse_all(&Uwsgi, &data);
    // (client, user, method, target, protocol, status, bytes, duration µs)
    type Want = (
        &'static str,
        Option<&'static str>,
        &'static str,
        &'static str,
        u16,
        u64,
        u64,
    );
    let want: [Want; 4] = [
        ("203.0.113.5", None, "GET", "/path", 200, 123, 4_000),
        (
            "203.0.113.5",
            Some("lmartin"),
            "POST",
            "/api/items",
            201,
            57,
            31_000,
        ),
        ("2001:db8::5", None, "GET", "/static/app.css", 304, 0, 68),
        ("198.51.100.40", None, "GET", "/favicon.ico", 404, 21, 0),
    ];
    for (n, w) in want.iter().enumerate() {
        let r = got[n].as_ref().expect("parses");
        let Request::Http {
            method,
            target,
            protocol,
        } = r.request
        else {
            panic!("line {}: not a request", n + 1)
        };
        assert_eq!(protocol, b"HTTP/1.1");
        let have = (
            std::str::from_utf8(r.client).unwrap(),
            text(r.user),
            std::str::from_utf8(method).unwrap(),
            std::str::from_utf8(target).unwrap(),
            r.status,
            r.bytes,
            r.duration_us.unwrap_or(u64::MAX),
        );
        assert_eq!(&have, w, "line {}", n + 1);
    }
    // 2016-03-06 22:56:30, read as UTC (the run's default zone).
    assert_eq!(got[3].as_ref().unwrap().time, 1_457_304_990);
    assert_eq!(got[4].as_ref().map(|_| ()), Err(&Reject::BadTimestamp));
}

#[test]
fn gandi_fixture_fields() {
    let data = fixture("gandi.log");
    let got = parse_all(&presets::GANDI, &data);
    let r = got[1].as_ref().expect("parses");
    assert_eq!(
        (
            r.client,
            text(r.user),
            text(r.vhost),
            text(r.referer),
            r.status,
            r.duration_us
        ),
        (
            &b"192.0.2.5"[..],
            Some("rsmith"),
            Some("www.example.com"),
            Some("https://www.example.com/"),
            200,
            Some(2_000_000)
        )
    );
    // The last line has no newline and is still read.
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].as_ref().map(|_| ()), Err(&Reject::Malformed));
}

#[test]
fn envoy_tcp_proxy_records_are_skipped_as_events() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("envoy.log");
    // A TCP proxy record (Envoy's layout with `"- - -"` and code 0) before
    // an HTTP request, as Envoy writes them to one file.
    std::fs::write(
        &log,
        concat!(
            r#"[2019-04-06T06:20:05.972Z] "- - -" 0 UF,URX 0 0 0 - "-" "-" "-" "-" "192.0.2.9:9200""#,
            "\n",
            r#"[2019-04-06T06:20:06.100Z] "GET /ip HTTP/1.1" 200 - 0 43 5 4 "203.0.113.5" "curl/7.59.0" "c62ec130-6dee-4f3b-a52b-4f0d1312d89d" "www.example.com" "192.0.2.80:80""#,
            "\n"
        ),
    )
    .unwrap();
    let detect = logveil().arg("detect").arg(&log).output().unwrap();
    assert_exit(&detect, 0);
    assert!(String::from_utf8_lossy(&detect.stdout).contains(": envoy ("));
    let out = tmp.path().join("out");
    let policy = no_suppression(tmp.path());
    let r = run(&[&log], &out, &["--policy", &policy, "-j", "1"]);
    assert_exit(&r, 0);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let input = &manifest["inputs"][0];
    assert_eq!(input["format"], "envoy");
    assert_eq!(
        (&input["lines"], &input["parsed"], &input["skipped"]),
        (&2.into(), &1.into(), &1.into())
    );
    assert_eq!(input["skipped_by_reason"]["event"], 1);
}

#[test]
fn the_new_readers_take_no_line_of_another_servers_fixture() {
    let ours = ["squid.log", "envoy.log", "uwsgi.log", "gandi.log"];
    let readers: [&dyn LogFormat; 4] = [&Squid, &Envoy, &Uwsgi, &presets::GANDI];
    let dir = common::root().join("tests/fixtures/formats");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "SOURCES.md" {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        for reader in readers {
            let own = ours
                .iter()
                .position(|o| *o == name)
                .is_some_and(|i| readers[i].name() == reader.name());
            if own {
                continue;
            }
            let mut cx = ParseContext::default();
            for line in lines(&data) {
                assert!(
                    reader.parse(line, &mut cx).is_err(),
                    "{} reads a line of {name}",
                    reader.name()
                );
                assert!(
                    reader
                        .skip(line)
                        .is_none_or(|_| logveil::formats::default_skip(line).is_some()),
                    "{} skips a line of {name}",
                    reader.name()
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 20, "only {checked} fixtures");
}

#[test]
fn goaccess_squid_name_reads_squid() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let policy = no_suppression(tmp.path());
    let log = common::root().join("tests/fixtures/formats/squid.log");
    let r = run(
        &[&log],
        &out,
        &["--policy", &policy, "--goaccess-format", "SQUID", "-j", "1"],
    );
    assert_exit(&r, 2);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["inputs"][0]["format"], "squid");
    assert_eq!(manifest["inputs"][0]["parsed"], 5);
}

/// A file of `../shared/corpus/` by its number prefix, when the folder is
/// there.
fn corpus(number: &str) -> Option<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let entry = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(number))?;
    std::fs::read(entry.path()).ok()
}

#[test]
fn real_logs_parse_with_their_fields() {
    let Some(squid) = corpus("36_") else {
        println!("skipped: ../shared/corpus is not there");
        return;
    };
    // No final newline; every user name is e-mail-like and lands in `user`.
    assert!(!squid.ends_with(b"\n"));
    let got = parse_all(&Squid, &squid);
    assert_eq!(got.len(), 3);
    for r in &got {
        let r = r.as_ref().expect("parses");
        assert!(r.user.is_some_and(|u| u.contains(&b'@')));
        assert!(r.vhost.is_some());
    }
    if let Some(squid) = corpus("35_") {
        let got = parse_all(&Squid, &squid);
        assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 100);
        let connects = got
            .iter()
            .flatten()
            .filter(|r| {
                matches!(
                    r.request,
                    Request::Http {
                        method: b"CONNECT",
                        ..
                    }
                )
            })
            .count();
        assert!(connects > 0);
    }
    if let Some(envoy) = corpus("37_") {
        let lines = lines(&envoy);
        assert_eq!(lines.len(), 2);
        let skipped = lines.iter().filter(|l| Envoy.skip(l).is_some()).count();
        let parsed = lines
            .iter()
            .filter(|l| Envoy.skip(l).is_none())
            .filter(|l| Envoy.parse(l, &mut ParseContext::default()).is_ok())
            .count();
        assert_eq!((skipped, parsed), (1, 1));
    }
    if let Some(uwsgi) = corpus("39_") {
        let got = parse_all(&Uwsgi, &uwsgi);
        assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 19);
        // One request is timed in microseconds.
        assert!(got.iter().flatten().any(|r| r.duration_us == Some(68)));
    }
    if let Some(gandi) = corpus("17_") {
        let got = parse_all(&presets::GANDI, &gandi);
        assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 2);
        assert!(got.iter().flatten().all(|r| r.duration_us == Some(0)));
    }
}
