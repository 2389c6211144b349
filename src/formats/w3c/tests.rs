//! Unit tests of the W3C reader: dialects, directives, chunk splitting.

use super::*;

const HEADER: &[u8] = b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

/// The columns of the Advanced Logging log in the Matomo log-analytics
/// issue 43 (local times, quoted client, agent, referrer and host).
const ADVANCED: &[u8] = b"#Fields:  date-local time-local s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs(Host) sc-status sc-substatus sc-win32-status TimeTakenMS";

fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
    time::days_from_civil(y, mo, d) * time::DAY + h * time::HOUR + mi * 60 + s
}

fn parse<'a>(f: &W3cFields, line: &'a [u8]) -> Result<RawRecord<'a>, Reject> {
    f.parse(line, &mut ParseContext::default())
}

#[test]
fn iis_default_fields() {
    let f = W3cFields::from_header(HEADER).unwrap();
    assert_eq!(f.dialect(), Dialect::Standard);
    let line = b"2026-03-28 10:00:05 10.0.0.5 GET /default.aspx id=42 443 - 198.51.100.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://www.google.com/ 200 0 0 31";
    let r = parse(&f, line).unwrap();
    assert_eq!(r.client, b"198.51.100.7");
    assert_eq!(r.time, at(2026, 3, 28, 10, 0, 5));
    assert_eq!(
        r.request,
        Request::Http {
            method: b"GET",
            target: b"/default.aspx",
            protocol: b""
        }
    );
    assert_eq!((r.status, r.duration_us, r.user), (200, Some(31_000), None));
    assert_eq!(r.referer, Some(&b"https://www.google.com/"[..]));
    assert_eq!(
        parse(&f, b"2026-03-28 10:00:05 10.0.0.5 GET"),
        Err(Reject::Truncated)
    );
    assert_eq!(
        parse(
            &f,
            b"2026-02-30 10:00:05 10.0.0.5 GET / - 443 - 1.2.3.4 - - 200 0 0 1"
        ),
        Err(Reject::BadTimestamp)
    );
    assert_eq!(
        f.skip(b"#Software: Microsoft Internet Information Services 10.0"),
        Some(Skip::Header)
    );
}

#[test]
fn standard_iis_does_not_read_quotes() {
    // IIS writes an agent's own quotes as they came; a value that
    // starts with one is still one space-separated value.
    let f = W3cFields::from_header(HEADER).unwrap();
    let line = b"2026-03-28 10:00:05 10.0.0.5 GET / - 443 - 198.51.100.7 \"curl/8.0 - 200 0 0 31";
    assert_eq!(
        parse(&f, line).unwrap().user_agent,
        Some(&b"\"curl/8.0"[..])
    );
}

#[test]
fn cloudfront_tab_separated() {
    let f = W3cFields::from_header(b"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken").unwrap();
    let line = b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0)\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001";
    let r = parse(&f, line).unwrap();
    assert_eq!(
        (r.client, r.status, r.bytes, r.duration_us),
        (&b"192.0.2.100"[..], 200, 392, Some(1000))
    );
    assert_eq!(r.vhost, Some(&b"d111111abcdef8.cloudfront.net"[..]));
    let mut tail = line.to_vec();
    tail.push(b'\t');
    assert!(f.parse(&tail, &mut ParseContext::default()).is_ok());
    tail.extend_from_slice(b"x");
    assert_eq!(
        f.parse(&tail, &mut ParseContext::default()),
        Err(Reject::Malformed)
    );
    // `000`: the viewer closed the connection before the response.
    let gone = b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t000\t-\t-\t-\t-\tError\tx\td111111abcdef8.cloudfront.net\thttps\t23\t0.001";
    let r = f.parse(gone, &mut ParseContext::default()).unwrap();
    assert_eq!(r.status, NO_RESPONSE);
    let bad = b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t42\t-\t-\t-\t-\tError\tx\td111111abcdef8.cloudfront.net\thttps\t23\t0.001";
    assert_eq!(
        f.parse(bad, &mut ParseContext::default()),
        Err(Reject::BadStatus)
    );
}

#[test]
fn headers_are_found_and_required_columns_checked() {
    let data = b"#Software: IIS\n#Fields: date time c-ip\n2026-03-28 10:00:00 1.2.3.4\n#Fields: date time c-ip sc-status\n";
    assert!(sniff(data));
    assert_eq!(header_offsets(data).len(), 2);
    assert!(W3cFields::from_header(b"#Fields: date cs-method").is_none());
    assert!(W3cFields::from_header(b"#Fields: date-local c-ip").is_none());
    assert!(W3cFields::from_header(b"#Fields: date-local time-local cs-method").is_none());
    assert!(!sniff(
        b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1"
    ));
}

#[test]
fn advanced_logging_quoted_values_keep_their_spaces() {
    let f = W3cFields::from_header(ADVANCED).unwrap();
    assert_eq!(f.dialect(), Dialect::AdvancedLogging);
    assert!(f.local_time());
    let line = b"2014-11-17 17:00:00.363 192.0.2.140 GET /Products/X/_Images/ico_print.gif - 80 - \"198.51.100.93\" \"Mozilla/5.0 (Linux; Android 4.4.4; SM-G900V Build/KTU84P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/39.0.2171.59 Mobile Safari/537.36\" \"http://example.com/Search/SearchResults.pg?informationRecipient.languageCode.c=en\" \"xzy.example.com\" 200 0 0 109";
    let r = parse(&f, line).unwrap();
    assert_eq!(r.client, b"198.51.100.93");
    assert_eq!(
        r.user_agent,
        Some(&b"Mozilla/5.0 (Linux; Android 4.4.4; SM-G900V Build/KTU84P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/39.0.2171.59 Mobile Safari/537.36"[..])
    );
    assert_eq!(
        r.referer,
        Some(
            &b"http://example.com/Search/SearchResults.pg?informationRecipient.languageCode.c=en"[..]
        )
    );
    assert_eq!(r.vhost, Some(&b"xzy.example.com"[..]));
    // The server's wall clock, read as if UTC.
    assert_eq!(r.time, at(2014, 11, 17, 17, 0, 0));
    assert_eq!((r.status, r.duration_us), (200, Some(109_000)));
    assert_eq!(
        r.request,
        Request::Http {
            method: b"GET",
            target: b"/Products/X/_Images/ico_print.gif",
            protocol: b""
        }
    );
}

#[test]
fn advanced_logging_empty_values() {
    let f = W3cFields::from_header(ADVANCED).unwrap();
    // `-` unquoted, `""` quoted, and `"-"`: all empty.
    let line = b"2014-11-17 17:00:00.660 192.0.2.140 GET /Topic/hw43061 - 80 \"\" \"203.0.113.72\" \"\" - \"-\" 302 0 0 0";
    let r = parse(&f, line).unwrap();
    assert_eq!(r.client, b"203.0.113.72");
    assert_eq!(
        (r.user, r.user_agent, r.referer, r.vhost),
        (None, None, None, None)
    );
    assert_eq!((r.status, r.duration_us), (302, Some(0)));
    // An empty quoted value as the last one.
    let f = W3cFields::from_header(b"#Fields: date time c-ip cs(User-Agent)").unwrap();
    let f = W3cFields {
        dialect: Dialect::AdvancedLogging,
        ..f
    };
    let r = parse(&f, b"2014-11-18 00:00:00 \"192.0.2.1\" \"\"").unwrap();
    assert_eq!((r.client, r.user_agent), (&b"192.0.2.1"[..], None));
    // A quoted empty client, or `-`, is an unknown client, not a lost
    // request (the module writes `-` when it had no address).
    for line in [
        &b"2014-11-18 00:00:00 \"\" \"x\""[..],
        b"2014-11-18 00:00:00 - \"x\"",
    ] {
        assert_eq!(parse(&f, line).unwrap().client, b"-");
    }
}

#[test]
fn advanced_logging_bad_quotes_are_rejected() {
    let f = W3cFields::from_header(ADVANCED).unwrap();
    let head =
        b"2014-11-17 17:00:00.675 192.0.2.140 GET /hello/world/6,681965 - 80 - \"203.0.113.174\" ";
    let with = |rest: &[u8]| [&head[..], rest].concat();
    // The line was cut inside the agent.
    assert_eq!(
        parse(&f, &with(b"\"Mozilla/4.0 (compatible; MSIE 7.0")),
        Err(Reject::UnterminatedQuote)
    );
    // A quote inside a value that is not doubled.
    assert_eq!(
        parse(
            &f,
            &with(b"\"Mozilla/4.0 \"compatible\" x\" - \"h.example.com\" 404 0 0 359")
        ),
        Err(Reject::Malformed)
    );
    // Cut after a whole value.
    assert_eq!(
        parse(&f, &with(b"\"Mozilla/4.0\" -")),
        Err(Reject::Truncated)
    );
    // A doubled quote is part of the value, as written.
    let doubled = with(b"\"Bot \"\"x\"\" 1.0\" - \"h.example.com\" 404 0 0 359");
    let r = parse(&f, &doubled).unwrap();
    assert_eq!(r.user_agent, Some(&b"Bot \"\"x\"\" 1.0"[..]));
    assert_eq!(r.status, 404);
}

#[test]
fn advanced_logging_prefers_utc_fields() {
    // The module's default log definition logs `date`/`time` (UTC) as
    // well as `time-local`: UTC wins.
    let f = W3cFields::from_header(b"#Fields: date time cs-uri-stem c-ip cs-username cs(User-Agent) time-local TimeTakenMS sc-status").unwrap();
    assert!(!f.local_time());
    let r = parse(
        &f,
        b"2014-11-18 00:00:00.363 /a \"192.0.2.7\" \"EXAMPLE\\jdoe\" \"Mozilla/5.0 (Windows NT 6.1; WOW64)\" 17:00:00.363 15 200",
    )
    .unwrap();
    assert_eq!(r.time, at(2014, 11, 18, 0, 0, 0));
    assert_eq!(r.user, Some(&b"EXAMPLE\\jdoe"[..]));
    assert_eq!(r.duration_us, Some(15_000));
    // Without `date`/`time`: BeginRequest-UTC, quoted or not.
    let f =
        W3cFields::from_header(b"#Fields: BeginRequest-UTC date-local time-local c-ip sc-status")
            .unwrap();
    assert!(!f.local_time());
    for line in [
        &b"\"2014-11-18 00:00:01.100\" 2014-11-17 17:00:01.100 192.0.2.7 200"[..],
        b"2014-11-18 00:00:01.100 2014-11-17 17:00:01.100 192.0.2.7 200",
        b"2014-11-18T00:00:01.100Z 2014-11-17 17:00:01.100 192.0.2.7 200",
    ] {
        let r = parse(&f, line).unwrap();
        assert_eq!(
            (r.time, r.client),
            (at(2014, 11, 18, 0, 0, 1), &b"192.0.2.7"[..])
        );
    }
    assert_eq!(
        parse(&f, b"\"2014-11-18\" 2014-11-17 17:00:01 192.0.2.7 200"),
        Err(Reject::BadTimestamp)
    );
}

#[test]
fn software_line_sets_the_dialect_of_each_segment() {
    // An Advanced Logging file with the standard names (Matomo issue
    // 261), then plain IIS after a restart.
    let data = b"#Software: IIS Advanced Logging Module\r\n#Version: 1.0\r\n#Start-Date: 2014-04-10 12:40:24.191\r\n\
#Fields:  date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n\
2014-04-10 12:40:24.190 - GET /Common/shop/cart.asp - 80 - 192.0.2.1 \"Mozilla/5.0 (Windows NT 6.2; WOW64) AppleWebKit/537.36\" 200 0 0 2036\r\n\
#Software: Microsoft Internet Information Services 7.5\r\n#Version: 1.0\r\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n\
2014-04-10 12:41:08 10.0.0.1 GET /images/a.js - 443 - 192.0.2.1 Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10.9) 200 0 0 44\r\n";
    let segs = segments(data);
    let dialects: Vec<Dialect> = segs
        .iter()
        .map(|s| s.fields.as_ref().unwrap().dialect())
        .collect();
    assert_eq!(dialects, [Dialect::AdvancedLogging, Dialect::Standard]);
    let line = |i: usize| {
        let s = segs[i].start;
        line_at(data, s + line_at(data, s).len() + 2)
    };
    let advanced = segs[0].fields.as_ref().unwrap();
    let standard = segs[1].fields.as_ref().unwrap();
    let r = parse(advanced, line(0)).unwrap();
    assert_eq!(
        (r.time, r.duration_us),
        (at(2014, 4, 10, 12, 40, 24), Some(2_036_000))
    );
    assert_eq!(
        r.user_agent,
        Some(&b"Mozilla/5.0 (Windows NT 6.2; WOW64) AppleWebKit/537.36"[..])
    );
    assert_eq!(
        parse(standard, line(1)).unwrap().user_agent,
        Some(&b"Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10.9)"[..])
    );
    // Plain IIS reads a quoted value whole too (IIS 6 quotes cookies).
    assert_eq!(
        parse(standard, line(0)).unwrap().user_agent,
        parse(advanced, line(0)).unwrap().user_agent
    );
}

proptest::proptest! {
    #[test]
    fn no_input_panics(
        data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        quote_heavy in proptest::collection::vec(
            proptest::sample::select(&b"\"\" -a0:.T"[..]), 0..80),
    ) {
        let mut doc = b"#Software: IIS Advanced Logging Module\n".to_vec();
        doc.extend_from_slice(ADVANCED);
        doc.push(b'\n');
        doc.extend_from_slice(&quote_heavy);
        doc.push(b'\n');
        doc.extend_from_slice(b"#Fields: BeginRequest-UTC c-ip\n");
        doc.extend_from_slice(&quote_heavy);
        doc.push(b'\n');
        for input in [&data[..], &doc] {
            for seg in segments(input) {
                let Some(f) = seg.fields else { continue };
                for line in input.split(|b| *b == b'\n') {
                    let _ = parse(&f, line);
                }
            }
        }
    }
}
