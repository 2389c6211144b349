//! The tolerant CLF reader, record by record: the layouts servers actually
//! write (a leading host, 0-3 identity fields, proxy chains before the
//! client, junk requests, an agent cut at the end of the line), the
//! detection preference for the format that explains more fields, and the
//! real logs of `../shared/corpus/` when that folder exists.

use std::path::{Path, PathBuf};

use logveil::formats::{
    LogFormat, ParseContext, RawRecord, Reject, Request, combined::Combined, common::Common,
    default_skip, detect,
};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(name);
    std::fs::read(path).expect("fixture")
}

fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = data.split(|&c| c == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn text(b: Option<&[u8]>) -> Option<&str> {
    b.map(|b| std::str::from_utf8(b).expect("utf-8"))
}

/// What one line of a fixture must give: client, vhost, forwarded-for,
/// user, agent.
type Want = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn nginx_extended_layouts_give_the_right_fields() {
    let data = fixture("nginx_extended.log");
    let want: [Want; 10] = [
        ("192.0.2.10", None, None, None, None),
        (
            "198.51.100.20",
            None,
            None,
            None,
            Some("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"),
        ),
        (
            "203.0.113.30",
            Some("www.example.edu"),
            None,
            Some("ginger"),
            Some("curl/8.5.0"),
        ),
        ("192.0.2.40", Some("www.example.edu"), None, None, None),
        ("192.0.2.50", None, None, None, Some("Wget/1.21.4")),
        ("192.0.2.51", None, Some("198.51.100.99"), None, None),
        (
            "198.51.100.185",
            Some("www.example.edu"),
            Some("192.0.2.60, 198.51.100.61, 203.0.113.62"),
            None,
            Some("Amazon CloudFront"),
        ),
        (
            "198.51.100.121",
            Some("www.example.edu"),
            Some("2001:0db8:0000:0000:0000:0000:0:8000, 192.0.2.17"),
            None,
            Some("facebookexternalhit/1.1"),
        ),
        (
            "192.0.2.70",
            Some("www.example.edu"),
            None,
            None,
            Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWeb"),
        ),
        ("192.0.2.80", None, None, None, Some("curl/8.5.0")),
    ];
    let all = lines(&data);
    assert_eq!(all.len(), want.len() + 1);
    let cx = &mut ParseContext::default();
    for (n, (line, want)) in all.iter().zip(want).enumerate() {
        let r = Combined
            .parse(line, cx)
            .unwrap_or_else(|e| panic!("line {}: {e:?}", n + 1));
        let got = (
            text(Some(r.client)).unwrap_or_default(),
            text(r.vhost),
            text(r.forwarded_for),
            text(r.user),
            text(r.user_agent),
        );
        assert_eq!(got, want, "line {}", n + 1);
        // Every line was written on 28 March 2026 between 10:00 and 10:01.
        assert!(
            (1_774_692_000..1_774_692_060).contains(&r.time),
            "line {}",
            n + 1
        );
    }
    // Four identity fields fit no layout.
    assert_eq!(Combined.parse(all[10], cx), Err(Reject::Malformed));
}

#[test]
fn junk_empty_and_missing_requests_are_records() {
    let data = fixture("nginx_extended.log");
    let all = lines(&data);
    let cx = &mut ParseContext::default();
    let request = |n: usize, cx: &mut ParseContext| Combined.parse(all[n], cx).map(|r| r.request);
    assert_eq!(request(0, cx), Ok(Request::Invalid));
    assert_eq!(request(3, cx), Ok(Request::Empty));
    assert_eq!(request(5, cx), Ok(Request::Missing));
}

#[test]
fn caddy_v0_common_has_one_identity_field() {
    let data = fixture("caddy_v0_common.log");
    let all = lines(&data);
    let cx = &mut ParseContext::default();
    let clients: Vec<_> = all[..4]
        .iter()
        .map(|l| {
            let r = Common.parse(l, cx).expect("parses");
            assert_eq!(r.user, None);
            String::from_utf8_lossy(r.client).into_owned()
        })
        .collect();
    assert_eq!(
        clients,
        ["2001:db8::1", "192.0.2.5", "198.51.100.6", "203.0.113.7"]
    );
    assert_eq!(Common.parse(all[4], cx), Err(Reject::Truncated));
    assert_eq!(
        detect::detect(&data, true).format.map(|f| f.name()),
        Some("common")
    );
}

const GOOD: &str = r#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 2326 "https://www.example.edu/" "Mozilla/5.0 (X11; Linux x86_64)""#;

/// 200 lines, every 29th changed (7 of them) by `damage`.
fn log_with(damage: impl Fn(&str) -> String) -> String {
    (0..200)
        .map(|n| {
            if n % 29 == 0 {
                damage(GOOD)
            } else {
                GOOD.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect()
}

#[test]
fn damaged_tails_do_not_demote_combined_to_common() {
    // The issue's fault case: the agent's closing quote removed on 7 lines.
    let log = log_with(|l| l[..l.len() - 1].to_string());
    let d = detect::detect(log.as_bytes(), true);
    assert_eq!(d.format.map(|f| f.name()), Some("combined"));
    assert_eq!(d.parsed, 200);
    // Damage `combined` cannot read (the referrer's closing quote): it still
    // wins over `common`, which would read every line but lose every agent.
    let log = log_with(|l| l.replacen(r#"/" "#, "/ ", 1));
    let d = detect::detect(log.as_bytes(), true);
    assert_eq!(d.format.map(|f| f.name()), Some("combined"));
    assert_eq!(d.parsed, 193);
}

#[test]
fn pure_common_logs_stay_common() {
    let line = r#"192.0.2.1 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#;
    let log = format!("{line}\n").repeat(20);
    assert_eq!(
        detect::detect(log.as_bytes(), true)
            .format
            .map(|f| f.name()),
        Some("common")
    );
}

/// The fields the CLF core gives, which every reader of the family must
/// agree on.
fn core<'a>(r: &RawRecord<'a>) -> (&'a [u8], Option<&'a [u8]>, i64, Request<'a>, u16, u64) {
    (r.client, r.user, r.time, r.request, r.status, r.bytes)
}

fn damaged_extended_line() -> impl Strategy<Value = Vec<u8>> {
    let seeds: [&[u8]; 5] = [
        br#" 192.0.2.10 - - [28/Mar/2026:10:00:00 +0000] "\x16\x03" 400 157 "-" "-" 80"#,
        br#"_ 198.51.100.20 - jo [28/Mar/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 612 "-" "x""#,
        br#"192.0.2.50 - - - [28/Mar/2026:10:00:04 +0000] "GET /a HTTP/1.1" 404 153 "-" "W" "-""#,
        br#"h:80 "192.0.2.60, 198.51.100.61" 198.51.100.185 - - [28/Mar/2026:10:00:06 +0000] "-" 408 0"#,
        br#"::1 - [31/Aug/2015:15:59:14 +0100] "GET / HTTP/1.1" 200 8422 "-" "Mozilla/5.0 (X11"#,
    ];
    (
        0..seeds.len(),
        prop::collection::vec(
            (
                0usize..120,
                prop::sample::select(b" -[]\",_:0123456789/\\".to_vec()),
                0u8..3,
            ),
            0..5,
        ),
    )
        .prop_map(move |(seed, edits)| {
            let mut line = seeds[seed].to_vec();
            for (at, byte, op) in edits {
                let at = at % (line.len() + 1);
                match op {
                    0 if at < line.len() => line[at] = byte,
                    1 => line.insert(at, byte),
                    _ => line.truncate(at),
                }
            }
            line
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    /// No panic on damaged extended lines, and wherever both `common` and
    /// `combined` read one, they read the same client, user, time,
    /// request, status, bytes and host.
    #[test]
    fn common_and_combined_agree_on_the_core(line in damaged_extended_line()) {
        let a = Common.parse(&line, &mut ParseContext::default());
        let b = Combined.parse(&line, &mut ParseContext::default());
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert_eq!(core(&a), core(&b));
            prop_assert_eq!(a.vhost, b.vhost);
        }
    }
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.join("expected.tsv").is_file().then_some(dir)
}

/// Parsed records of a plain (uncompressed) log, with the format detection
/// chooses from its first lines.
fn parse_with_detection(data: &[u8]) -> (Option<&'static str>, usize) {
    let Some(format) = detect::detect(data, true).format else {
        return (None, 0);
    };
    let cx = &mut ParseContext::default();
    let parsed = data
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| default_skip(l).is_none())
        .filter(|l| format.parse(l, cx).is_ok())
        .count();
    (Some(format.name()), parsed)
}

#[test]
fn real_clf_family_logs_parse_fully() {
    let Some(dir) = corpus() else {
        eprintln!("../shared/corpus not present: skipped");
        return;
    };
    let expected = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let prefixes = [
        "04_", "05_", "06_", "07_", "08_", "09_", "10_", "12_", "13_", "14_", "42_",
    ];
    let mut checked = 0;
    for row in expected.lines().skip(1) {
        let mut cols = row.split('\t');
        let (Some(file), Some(_), Some(records)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        if !prefixes.iter().any(|p| file.starts_with(p)) {
            continue;
        }
        let records: usize = records.parse().expect("record count");
        let data = std::fs::read(dir.join(file)).expect("corpus file");
        let (format, parsed) = parse_with_detection(&data);
        // Report the file and counts only: the corpus holds real addresses.
        assert!(format.is_some(), "{file}: no format detected");
        assert_eq!(parsed, records, "{file}: parsed with {format:?}");
        checked += 1;
    }
    assert_eq!(checked, prefixes.len(), "a corpus file is missing");
}
