//! Every built-in format against lines taken from its server's own
//! documentation (`tests/fixtures/formats/`, sources in `SOURCES.md`):
//! detection names the expected format, every well-formed line parses, the
//! planted malformed lines and only they are rejected, the counts reach
//! the tables, and no address, user name or e-mail of a fixture appears in
//! anything a run writes or prints.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use common::{
    Cell, assert_exit, ip_forms, leaks_in, leaks_in_output_dir, leaks_in_printed, logveil,
    no_suppression, read_rows, run,
};
use regex::bytes::Regex;

struct Fixture {
    file: &'static str,
    /// The format detection must choose.
    format: &'static str,
    /// Planted malformed lines: (1-based line, reject reason).
    rejected: &'static [(u64, &'static str)],
    /// Requests per status in `web_status`, summed over days and sites.
    statuses: &'static [(i64, i64)],
    /// Whether the format carries a response time.
    latency: bool,
    /// Identifiers the address and e-mail scan does not find.
    names: &'static [&'static str],
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        file: "common.log",
        format: "common",
        rejected: &[(7, "unterminated_quote"), (8, "bad_timestamp")],
        statuses: &[(200, 3), (304, 1), (400, 1), (404, 1)],
        latency: false,
        names: &["frank", "client-7.example.com"],
    },
    Fixture {
        file: "apache_combined.log",
        format: "combined",
        rejected: &[(7, "unterminated_quote"), (8, "bad_status")],
        statuses: &[(200, 3), (302, 1), (304, 1), (400, 1)],
        latency: false,
        names: &["frank", "jdoe%40example.com"],
    },
    Fixture {
        file: "vhost_combined.log",
        format: "vhost_combined",
        rejected: &[(5, "bad_vhost")],
        statuses: &[(200, 3), (301, 1)],
        latency: false,
        names: &["frank"],
    },
    Fixture {
        file: "combined_xff.log",
        format: "combined",
        rejected: &[(4, "bad_client"), (5, "bad_client")],
        statuses: &[(200, 3)],
        latency: false,
        names: &[],
    },
    Fixture {
        file: "nginx_main.log",
        format: "combined",
        rejected: &[(7, "bad_timestamp")],
        statuses: &[(200, 2), (204, 1), (400, 1), (401, 1), (404, 1)],
        latency: false,
        names: &["akoenig"],
    },
    Fixture {
        file: "ingress_nginx.log",
        format: "ingress_nginx",
        rejected: &[(7, "truncated")],
        statuses: &[(200, 3), (201, 1), (308, 1), (503, 1)],
        latency: true,
        names: &["bmiller"],
    },
    Fixture {
        file: "caddy_v1.log",
        format: "common",
        rejected: &[(6, "bad_status")],
        statuses: &[(200, 4), (404, 1)],
        latency: false,
        names: &["cjordan"],
    },
    Fixture {
        file: "caddy_v0_common.log",
        format: "common",
        rejected: &[(5, "truncated")],
        statuses: &[(200, 1), (302, 1), (304, 1), (404, 1)],
        latency: false,
        names: &[],
    },
    Fixture {
        file: "nginx_extended.log",
        format: "combined",
        rejected: &[(11, "malformed")],
        statuses: &[(200, 4), (301, 1), (400, 2), (404, 2), (408, 1)],
        latency: false,
        names: &["ginger"],
    },
    Fixture {
        file: "morgan_combined.log",
        format: "combined",
        rejected: &[(6, "truncated")],
        statuses: &[(0, 1), (200, 2), (201, 1), (304, 1)],
        latency: false,
        names: &["dpatel"],
    },
    Fixture {
        file: "morgan_default.log",
        format: "morgan_default",
        rejected: &[(6, "bad_timestamp")],
        statuses: &[(0, 1), (200, 2), (201, 1), (304, 1)],
        latency: false,
        names: &["ewright"],
    },
    Fixture {
        file: "traefik_clf.log",
        format: "combined",
        rejected: &[(5, "malformed")],
        statuses: &[(0, 1), (200, 1), (201, 1), (502, 1)],
        latency: false,
        names: &[],
    },
    Fixture {
        file: "haproxy.log",
        format: "haproxy",
        rejected: &[(12, "bad_status"), (13, "truncated")],
        statuses: &[
            (0, 1),
            (200, 5),
            (301, 1),
            (400, 1),
            (408, 1),
            (502, 1),
            (503, 1),
        ],
        latency: true,
        names: &[],
    },
    Fixture {
        file: "iis.log",
        format: "w3c",
        rejected: &[(8, "truncated"), (16, "truncated"), (17, "bad_timestamp")],
        statuses: &[(200, 3), (302, 1), (304, 1), (500, 1)],
        latency: true,
        names: &[r"EXAMPLE\jdoe"],
    },
    Fixture {
        file: "iis_headerless.log",
        format: "iis",
        rejected: &[],
        statuses: &[(200, 4), (404, 2)],
        latency: true,
        names: &[r"EXAMPLE\pnovak"],
    },
    Fixture {
        file: "syslog.log",
        format: "syslog",
        rejected: &[(8, "unterminated_quote")],
        statuses: &[(200, 3), (304, 1), (401, 1), (404, 1), (500, 1)],
        latency: false,
        names: &["frank"],
    },
    Fixture {
        file: "iis_advanced.log",
        format: "w3c",
        rejected: &[(12, "unterminated_quote")],
        statuses: &[(200, 6), (301, 1), (302, 1), (304, 1), (404, 1), (500, 1)],
        latency: true,
        names: &["mkowalski", "rtanaka", "A1B2C3D4E5F6"],
    },
    Fixture {
        file: "cloudfront.log",
        format: "w3c",
        rejected: &[(14, "truncated")],
        statuses: &[(0, 1), (200, 5), (502, 3)],
        latency: true,
        names: &[],
    },
    Fixture {
        file: "alb.log",
        format: "aws_alb",
        rejected: &[(10, "unterminated_quote")],
        statuses: &[(101, 2), (200, 4), (403, 1), (502, 1), (504, 1)],
        latency: true,
        names: &[],
    },
    Fixture {
        file: "elb_classic.log",
        format: "aws_elb",
        rejected: &[(7, "truncated")],
        statuses: &[(0, 2), (200, 3), (503, 1)],
        latency: true,
        names: &[],
    },
    Fixture {
        file: "nginx_escape_json.json",
        format: "json",
        rejected: &[(7, "truncated")],
        statuses: &[(200, 2), (201, 1), (304, 1), (400, 1), (401, 1)],
        latency: true,
        names: &["frank"],
    },
    Fixture {
        file: "caddy_v2.json",
        format: "json",
        rejected: &[(8, "truncated")],
        statuses: &[(200, 5), (302, 1), (404, 1)],
        latency: true,
        names: &["gsanchez"],
    },
    Fixture {
        file: "cloudflare.json",
        format: "json",
        rejected: &[(8, "truncated")],
        statuses: &[(200, 5), (403, 1), (502, 1)],
        latency: true,
        names: &[],
    },
    Fixture {
        file: "traefik.json",
        format: "json",
        rejected: &[(6, "truncated")],
        statuses: &[(200, 3), (308, 1), (502, 1)],
        latency: true,
        names: &["hwilson"],
    },
    Fixture {
        file: "squid.log",
        format: "squid",
        rejected: &[(6, "bad_status")],
        statuses: &[(0, 1), (200, 2), (304, 1), (407, 1)],
        latency: true,
        names: &[],
    },
    Fixture {
        file: "envoy.log",
        format: "envoy",
        rejected: &[(5, "bad_client")],
        statuses: &[(200, 1), (204, 1), (418, 1), (503, 1)],
        latency: true,
        names: &[],
    },
    Fixture {
        file: "uwsgi.log",
        format: "uwsgi",
        rejected: &[(5, "bad_timestamp")],
        statuses: &[(200, 1), (201, 1), (304, 1), (404, 1)],
        latency: true,
        names: &["lmartin"],
    },
    Fixture {
        file: "gandi.log",
        format: "gandi",
        rejected: &[(4, "malformed")],
        statuses: &[(200, 1), (301, 1), (404, 1)],
        latency: true,
        names: &["rsmith"],
    },
    Fixture {
        file: "haproxy_host.log",
        format: "haproxy",
        rejected: &[(5, "malformed")],
        // The 302 of line 2 names no client: its row describes no one and
        // folds, and the site's 200 row (one person) joins it to reach k.
        statuses: &[(-1, 3), (200, 1), (404, 1)],
        latency: true,
        names: &[],
    },
    Fixture {
        file: "s3.log",
        format: "s3",
        rejected: &[(7, "bad_client"), (8, "unterminated_quote")],
        statuses: &[(200, 4), (304, 1), (404, 1)],
        latency: true,
        names: &[
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
            "arn:aws:iam::123456789012:user/alice",
        ],
    },
    Fixture {
        file: "zeek_http.log",
        format: "zeek_http",
        rejected: &[(14, "bad_timestamp"), (15, "truncated")],
        statuses: &[(0, 1), (200, 2), (201, 1), (304, 1)],
        latency: false,
        names: &["bwhite"],
    },
];

fn dir() -> PathBuf {
    common::root().join("tests/fixtures/formats")
}

/// A fixed key: the outputs are then the same on every run, so the scan of
/// raw Parquet bytes for short identifiers cannot fail by coincidence on
/// one run and pass on the next.
fn key_file(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("key");
    std::fs::write(
        &p,
        "cba4606db212afa24c1b03b1b30acb3d7565d4a7d7af1e221d22ee13f8a7807f\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

/// Lines as the pipeline sees them: split at `\n`, without a `\r`.
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    data.split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

/// Blank lines and `#` directives are skipped, not parsed.
fn is_record(line: &[u8]) -> bool {
    line.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|c| *c != b'#')
}

/// The addresses and e-mail addresses in a fixture, found by pattern and
/// independently of logveil's parsers, plus the fixture's listed names.
fn identifiers(data: &[u8], names: &[&str]) -> BTreeSet<String> {
    let ipv4 = Regex::new(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}").unwrap();
    let ipv6 = Regex::new(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:[0-9.]{7,15})?").unwrap();
    let email = Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").unwrap();
    let mut ids = BTreeSet::new();
    for m in ipv4.find_iter(data).chain(ipv6.find_iter(data)) {
        if let Ok(ip) = String::from_utf8_lossy(m.as_bytes()).parse::<IpAddr>() {
            ids.extend(ip_forms(ip));
        }
    }
    for m in email.find_iter(data) {
        ids.insert(String::from_utf8_lossy(m.as_bytes()).into_owned());
    }
    ids.extend(names.iter().map(|n| n.to_string()));
    ids
}

fn check(f: &Fixture) {
    let path = dir().join(f.file);
    let data = std::fs::read(&path).unwrap();
    let all = lines(&data);
    let records = all.iter().filter(|l| is_record(l)).count() as u64;
    for &(line, _) in f.rejected {
        let text = all.get(line as usize - 1).copied().unwrap_or_default();
        assert!(is_record(text), "{}: line {line} is not a record", f.file);
    }
    let parsed = records - f.rejected.len() as u64;
    let ids = identifiers(&data, f.names);
    assert!(
        ids.iter().any(|id| id.parse::<IpAddr>().is_ok()),
        "{}: no address collected",
        f.file
    );
    for name in f.names {
        let needle = name.as_bytes();
        assert!(
            data.windows(needle.len()).any(|w| w == needle),
            "{}: {name} is not in the fixture",
            f.file
        );
    }

    let detect = logveil().arg("detect").arg(&path).output().unwrap();
    assert_exit(&detect, 0);
    let said = String::from_utf8_lossy(&detect.stdout).into_owned();
    // `w3c (…` or, for a dialect, `w3c, IIS Advanced Logging (…`.
    let expected = format!("{}: {}", path.display(), f.format);
    assert!(
        said.strip_prefix(&expected)
            .is_some_and(|rest| rest.starts_with(" (") || rest.starts_with(", ")),
        "{}: detect said {said}",
        f.file
    );

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let policy = no_suppression(tmp.path());
    let key = key_file(tmp.path());
    let key = key.to_str().unwrap();
    let r = run(
        &[&path],
        &out,
        // No rejected line allowed: every planted one makes the run partial.
        &[
            "--policy",
            &policy,
            "--key-file",
            key,
            "-j",
            "1",
            "--max-reject-rate",
            "0",
        ],
    );
    assert_exit(&r, if f.rejected.is_empty() { 0 } else { 2 });

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let input = &manifest["inputs"][0];
    assert_eq!(input["format"], f.format, "{}", f.file);
    assert_eq!(input["lines"], all.len() as u64, "{}", f.file);
    assert_eq!(input["parsed"], parsed, "{}", f.file);
    assert_eq!(input["skipped"], all.len() as u64 - records, "{}", f.file);
    let got: BTreeSet<(u64, String)> = common::reject_locations(input).into_iter().collect();
    let want: BTreeSet<(u64, String)> = f
        .rejected
        .iter()
        .map(|&(l, reason)| (l, reason.to_string()))
        .collect();
    assert_eq!(got, want, "{}: rejected lines", f.file);

    let traffic = read_rows(&out.join("web_traffic.parquet"));
    let requests: i64 = traffic.iter().map(|row| row["requests"].int()).sum();
    assert_eq!(requests, parsed as i64, "{}: web_traffic requests", f.file);
    let timed = traffic
        .iter()
        .filter(|row| row["latency_p50_ms"] != Cell::Null)
        .count();
    assert_eq!(timed > 0, f.latency, "{}: latency columns", f.file);

    let per_status = common::requests_per_status(&out);
    let want: BTreeMap<i64, i64> = f.statuses.iter().copied().collect();
    assert_eq!(per_status, want, "{}: requests per status", f.file);

    let mut found = leaks_in_output_dir(&ids, &out);
    for output in [&r, &detect] {
        found.extend(leaks_in_printed(&ids, output));
    }
    // Report where, not what: the failure message is itself output.
    assert!(
        found.is_empty(),
        "{}: identifiers found in outputs, in {found:?}",
        f.file
    );
}

macro_rules! fixture_tests {
    ($($name:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $name() {
                let f = FIXTURES.iter().find(|f| f.file == $file).expect("in FIXTURES");
                check(f);
            }
        )*

        /// Every fixture in the table has a test of its own.
        const TESTED: &[&str] = &[$($file),*];
    };
}

fixture_tests! {
    apache_common => "common.log",
    apache_combined => "apache_combined.log",
    apache_vhost_combined => "vhost_combined.log",
    forwarded_for_in_place_of_the_client => "combined_xff.log",
    nginx_main => "nginx_main.log",
    ingress_nginx => "ingress_nginx.log",
    caddy_v1_common => "caddy_v1.log",
    caddy_v0_common => "caddy_v0_common.log",
    nginx_extended_layouts => "nginx_extended.log",
    morgan_combined => "morgan_combined.log",
    morgan_default => "morgan_default.log",
    traefik_common_log_format => "traefik_clf.log",
    haproxy_httplog => "haproxy.log",
    access_lines_relayed_through_syslog => "syslog.log",
    iis_w3c => "iis.log",
    iis_without_its_header => "iis_headerless.log",
    iis_advanced_logging => "iis_advanced.log",
    cloudfront_w3c => "cloudfront.log",
    aws_alb => "alb.log",
    aws_classic_elb => "elb_classic.log",
    nginx_escape_json => "nginx_escape_json.json",
    caddy_v2_json => "caddy_v2.json",
    cloudflare_logpush => "cloudflare.json",
    traefik_json => "traefik.json",
    squid_native => "squid.log",
    envoy_default => "envoy.log",
    uwsgi_request_log => "uwsgi.log",
    gandi_simple_hosting => "gandi.log",
    haproxy_custom_host_field => "haproxy_host.log",
    s3_server_access => "s3.log",
    zeek_http_tsv => "zeek_http.log",
}

#[test]
fn every_format_has_a_fixture_and_every_fixture_a_source() {
    let files: BTreeSet<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SOURCES.md" && !n.starts_with('.'))
        .collect();
    let listed: BTreeSet<String> = FIXTURES.iter().map(|f| f.file.to_string()).collect();
    assert_eq!(files, listed, "fixture files and FIXTURES differ");
    let tested: BTreeSet<String> = TESTED.iter().map(|f| f.to_string()).collect();
    assert_eq!(tested, listed, "a fixture without its test");

    let sources = std::fs::read_to_string(dir().join("SOURCES.md")).unwrap();
    for f in FIXTURES {
        assert!(
            sources.contains(&format!("`{}`", f.file)),
            "{} has no entry in SOURCES.md",
            f.file
        );
    }

    // The line formats and the W3C reader; Zoom inputs have their own tests.
    let covered: BTreeSet<&str> = FIXTURES.iter().map(|f| f.format).collect();
    for name in logveil::formats::FORMATS
        .iter()
        .map(|f| f.name())
        .chain(["w3c"])
    {
        assert!(covered.contains(name), "no documented fixture for {name}");
    }
}

#[test]
fn the_leak_scan_finds_what_it_looks_for() {
    let data = b"192.0.2.1 - jdoe [10/Oct/2000:13:55:36 -0700] \"GET /?m=a.b@example.com HTTP/1.0\" 200 1 2001:db8::1";
    let ids = identifiers(data, &["jdoe"]);
    for id in [
        "192.0.2.1",
        "::ffff:192.0.2.1",
        "2001:db8::1",
        "2001:0db8:0000:0000:0000:0000:0000:0001",
        "a.b@example.com",
        "jdoe",
    ] {
        assert!(ids.contains(id), "{id} not collected");
    }
    assert_eq!(leaks_in(&ids, "x", "path /a/2001:db8::1/b").len(), 1);
    assert!(leaks_in(&ids, "x", "path /a/b").is_empty());
}
