//! The S3 server access, Zeek http.log and HAProxy host-field readers on
//! their documented fixtures (`tests/fixtures/formats/`, sources in
//! `SOURCES.md`): the fields each line gives, where identifiers go (the
//! requester and the basic-auth user to `user`, never to a published
//! field), and that detection picks each reader for its own files and for
//! no other format's.

use logveil::formats::{self, LogFormat, NO_RESPONSE, ParseContext, RawRecord, Request, detect};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    std::fs::read(path.join(name)).unwrap()
}

/// Line `n` (1-based) of a fixture.
fn line(data: &[u8], n: usize) -> &[u8] {
    data.split(|c| *c == b'\n').nth(n - 1).unwrap()
}

fn format(name: &str) -> &'static dyn LogFormat {
    formats::by_name(name).unwrap()
}

fn parse<'a>(name: &str, line: &'a [u8]) -> RawRecord<'a> {
    format(name)
        .parse(line, &mut ParseContext::default())
        .unwrap_or_else(|r| panic!("{name}: {r:?} on {}", String::from_utf8_lossy(line)))
}

fn detected(data: &[u8]) -> Option<&'static str> {
    detect::detect(data, true).format.map(|f| f.name())
}

#[test]
fn s3_requester_is_the_user_and_the_site_is_the_host_header_or_bucket() {
    let data = fixture("s3.log");
    let put = parse("s3", line(&data, 4));
    assert_eq!(put.client, b"198.51.100.23");
    assert_eq!(put.user, Some(&b"arn:aws:iam::123456789012:user/alice"[..]));
    assert_eq!(
        put.vhost,
        Some(&b"amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com"[..])
    );
    assert_eq!(
        (put.status, put.bytes, put.duration_us),
        (200, 0, Some(41_754_000))
    );
    assert_eq!(
        put.request,
        Request::Http {
            method: b"PUT",
            target: b"/amzn-s3-demo-bucket1/s3-dg.pdf",
            protocol: b"HTTP/1.1"
        }
    );
    // The legacy layout: no host header, so the bucket; the owner id is
    // nowhere in the record.
    let legacy = parse("s3", line(&data, 5));
    assert_eq!(
        (legacy.client, legacy.user, legacy.vhost),
        (&b"2001:db8::7"[..], None, Some(&b"www.example.com"[..]))
    );
    assert_eq!(legacy.referer, Some(&b"https://www.example.com/about/"[..]));
    // `+0100`: an hour before UTC.
    let day = logveil::time::days_from_civil(2019, 2, 7) * logveil::time::DAY;
    assert_eq!(legacy.time, day + 8 * 3600 + 15 * 60 + 2);
    let head = parse("s3", line(&data, 6));
    assert_eq!((head.status, head.duration_us), (304, None));
}

#[test]
fn zeek_columns_by_default_order() {
    let data = fixture("zeek_http.log");
    let first = parse("zeek_http", line(&data, 9));
    assert_eq!(
        (first.client, first.time, first.status, first.bytes),
        (&b"192.0.2.10"[..], 1_709_632_800, 200, 4871)
    );
    assert_eq!(first.vhost, Some(&b"www.example.com"[..]));
    let post = parse("zeek_http", line(&data, 11));
    assert_eq!(post.user, Some(&b"bwhite"[..]));
    assert_eq!(post.vhost, Some(&b"api.example.com"[..]));
    assert_eq!(
        post.request,
        Request::Http {
            method: b"POST",
            target: b"/v1/items?draft=1",
            protocol: b"HTTP/1.1"
        }
    );
    let unanswered = parse("zeek_http", line(&data, 12));
    assert_eq!((unanswered.status, unanswered.bytes), (NO_RESPONSE, 0));
    let v6 = parse("zeek_http", line(&data, 13));
    assert_eq!(
        (v6.client, v6.user_agent, v6.status),
        (&b"2001:db8::20"[..], None, 200)
    );
    assert!(matches!(
        v6.request,
        Request::Http {
            protocol: b"HTTP/1.0",
            ..
        }
    ));
    // The directives are comments to the reader.
    assert!(format("zeek_http").skip(line(&data, 7)).is_some());
}

#[test]
fn haproxy_host_field_and_unknown_client() {
    let data = fixture("haproxy_host.log");
    let r = parse("haproxy", line(&data, 1));
    assert_eq!(
        (r.client, r.vhost, r.status, r.bytes),
        (&b"-"[..], Some(&b"www.example.com"[..]), 200, 512)
    );
    let r = parse("haproxy", line(&data, 3));
    assert_eq!(
        (r.client, r.vhost),
        (&b"192.0.2.50"[..], Some(&b"api.example.com"[..]))
    );
    // An address where the host goes is not the site.
    let r = parse("haproxy", line(&data, 4));
    assert_eq!((r.client, r.vhost), (&b"2001:db8::50"[..], None));
}

#[test]
fn detection_picks_each_reader_for_its_files_only() {
    for (file, name) in [
        ("s3.log", "s3"),
        ("zeek_http.log", "zeek_http"),
        ("haproxy_host.log", "haproxy"),
        ("haproxy.log", "haproxy"),
        ("alb.log", "aws_alb"),
        ("elb_classic.log", "aws_elb"),
        ("apache_combined.log", "combined"),
        ("common.log", "common"),
        ("caddy_v2.json", "json"),
    ] {
        assert_eq!(detected(&fixture(file)), Some(name), "{file}");
    }
    // Zeek's JSON form stays with the JSON reader.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/json_aliases");
    let zeek_json = std::fs::read(path.join("zeek_http.json")).unwrap();
    assert_eq!(detected(&zeek_json), Some("json"));
}
