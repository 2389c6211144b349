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
            let mut layout = Layout::default();
            for piece in layout.split(input) {
                let Some(f) = piece.fields else { continue };
                for line in input[piece.range].split(|b| *b == b'\n') {
                    let _ = parse(&f, line);
                }
            }
            for seg in segments(input) {
                let Some(f) = seg.fields else { continue };
                for line in input.split(|b| *b == b'\n') {
                    let _ = parse(&f, line);
                }
            }
        }
    }
}

#[test]
fn quoted_values_and_runs_of_spaces_in_standard_lines() {
    // Incapsula quotes every value, empty ones as `""`; `cs-uri` starts
    // with the host; `s-xff` is the forwarded-for chain.
    let f = W3cFields::from_header(b"#Fields: date time c-ip cs(User-Agent) cs-uri cs(Referrer) cs-method cs-uri-query sc-status s-xff").unwrap();
    assert_eq!(f.dialect(), Dialect::Standard);
    let line = br#""2024-03-14" "08:58:01" "198.51.100.23" "Mozilla/5.0 (X11; Linux x86_64)" "www.example.com/library/hours.html" "" "GET" "lang=en" "200" "203.0.113.9""#;
    let r = parse(&f, line).unwrap();
    assert_eq!(r.time, at(2024, 3, 14, 8, 58, 1));
    assert_eq!(r.client, b"198.51.100.23");
    assert_eq!(r.user_agent, Some(&b"Mozilla/5.0 (X11; Linux x86_64)"[..]));
    assert_eq!(r.vhost, Some(&b"www.example.com"[..]));
    assert_eq!(
        r.request,
        Request::Http {
            method: b"GET",
            target: b"/library/hours.html",
            protocol: b""
        }
    );
    assert_eq!((r.referer, r.status), (None, 200));
    assert_eq!(r.forwarded_for, Some(&b"203.0.113.9"[..]));
    // A closed connection: no status.
    let closed =
        br#""2024-03-14" "08:58:01" "198.51.100.23" "x" "www.example.com/" "" "GET" "" "" """#;
    assert_eq!(parse(&f, closed).unwrap().status, NO_RESPONSE);

    // Oracle Web Cache: runs of spaces, a user in `c-auth-id`, the whole
    // target in `cs-uri`, `bytes`.
    let f = W3cFields::from_header(b"#Fields:  c-ip  c-dns  c-auth-id  date  time  cs-method  cs-uri  sc-status  bytes  cs(Cookie)  cs(Referrer)  time-taken  cs(User-Agent)").unwrap();
    let line = br#"192.0.2.55      client-55.example.net      kwalczak      2024-03-14     00:00:18      GET      /images/logo.gif?v=2    200     350    "a=b; c=d"         "http://www.example.com/"      3708      "Mozilla/4.5 [en] (WinNT; I)""#;
    let r = parse(&f, line).unwrap();
    assert_eq!(
        (r.client, r.user),
        (&b"192.0.2.55"[..], Some(&b"kwalczak"[..]))
    );
    assert_eq!((r.status, r.bytes), (200, 350));
    assert_eq!(r.user_agent, Some(&b"Mozilla/4.5 [en] (WinNT; I)"[..]));
    assert!(matches!(r.request, Request::Http { target, .. } if target == b"/images/logo.gif?v=2"));

    // IIS 6: one quoted cookie with spaces among plain values.
    let f = W3cFields::from_header(
        b"#Fields: date time c-ip cs(User-Agent) cs(Cookie) cs(Referer) sc-status",
    )
    .unwrap();
    let line = br#"2024-03-14 10:00:13 198.51.100.12 Mozilla/5.0+(X11) "a=1; b=(none)|c" - 200"#;
    let r = parse(&f, line).unwrap();
    assert_eq!((r.status, r.referer), (200, None));
    // Plain lines read as before: a stray quote stays part of its value,
    // and an unclosed quoted value does not swallow the columns after it.
    let line = br#"2024-03-14 10:00:13 198.51.100.12 "Bot"/1.0 - - 200"#;
    assert_eq!(
        parse(&f, line).unwrap().user_agent,
        Some(&br#""Bot"/1.0"#[..])
    );
    let line = br#"2024-03-14 10:00:13 198.51.100.12 "Bot - x" 200"#;
    assert_eq!(parse(&f, line).unwrap().user_agent, Some(&br#""Bot"#[..]));
    let line = br#"2024-03-14 10:00:13 198.51.100.12 "Bot 1" 200"#;
    assert_eq!(parse(&f, line), Err(Reject::Truncated));
}

#[test]
fn ftp_commands_take_the_day_from_the_date_directive() {
    let doc = b"#Software: Microsoft Internet Information Services 6.0\n#Date: 2024-03-14 16:44:49\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n";
    let mut layout = Layout::default();
    layout.split(doc);
    let f = layout.fields().unwrap().clone();
    let r = parse(&f, b"16:45:02 192.0.2.31 [1]sent /pub/readme.txt 226").unwrap();
    assert_eq!(r.time, at(2024, 3, 14, 16, 45, 2));
    assert_eq!(
        r.request,
        Request::Http {
            method: b"sent",
            target: b"/pub/readme.txt",
            protocol: b""
        }
    );
    assert_eq!(r.status, 226);
    // A user name goes to the user field, a password nowhere.
    let r = parse(&f, b"16:44:49 192.0.2.31 [1]USER hgarcia 331").unwrap();
    assert_eq!(
        (r.request, r.user),
        (Request::Missing, Some(&b"hgarcia"[..]))
    );
    let r = parse(&f, b"16:44:50 192.0.2.31 [1]PASS visitor@example.com 230").unwrap();
    assert_eq!((r.request, r.user), (Request::Missing, None));
    // Without a #Date: there is no day.
    let bare =
        W3cFields::from_header(b"#Fields: time c-ip cs-method cs-uri-stem sc-status").unwrap();
    assert_eq!(
        parse(&bare, b"16:45:02 192.0.2.31 [1]sent /a 226"),
        Err(Reject::BadTimestamp)
    );
}

#[test]
fn rtmp_events_are_records() {
    let f = W3cFields::from_header(b"#Fields: date time x-edge-location c-ip x-event sc-bytes x-cf-status x-cf-client-id cs-uri-stem cs-uri-query c-referrer x-page-url c-user-agent x-sname x-sname-query x-file-ext x-sid").unwrap();
    let line = b"2024-03-14\t23:51:21\tSEA4\t192.0.2.147\tplay\t3914\tOK\tbfd8\trtmp://s5c39gqb8ow64r.cloudfront.net/cfx/st\tkey=value\thttp://player.example.com/player.swf\thttp://www.example.com/video.html\tLNX%2010,0,32,18\tmyvideo\tp=2&q=4\tflv\t1";
    let r = parse(&f, line).unwrap();
    assert!(matches!(
        r.request,
        Request::Http {
            method: b"play",
            ..
        }
    ));
    assert_eq!((r.status, r.bytes), (200, 3914));
    assert_eq!(
        r.referer,
        Some(&b"http://player.example.com/player.swf"[..])
    );
    assert_eq!(r.user_agent, Some(&b"LNX%2010,0,32,18"[..]));
    // The documentation's example as pasted: three spaces between values.
    let spaced = line
        .split(|c| *c == b'\t')
        .collect::<Vec<_>>()
        .join(&b"   "[..]);
    assert_eq!(parse(&f, &spaced).unwrap().time, r.time);
}

#[test]
fn a_chain_in_c_ip_gives_the_client_and_its_forwarded_for() {
    let f = W3cFields::from_header(ADVANCED).unwrap();
    let line = br#"2024-03-14 17:00:00.675 192.0.2.140 GET /hello/c - 80 - "198.51.100.174, 10.20.30.40" "Mozilla/5.0" - "www.example.com" 404 " not found: moved " 0 359"#;
    let r = parse(&f, line).unwrap();
    assert_eq!(r.client, b"10.20.30.40");
    assert_eq!(r.forwarded_for, Some(&b"198.51.100.174"[..]));
    assert_eq!(r.status, 404);
}

#[test]
fn chunks_are_cut_where_the_columns_change() {
    let doc = b"#Software: IIS\n#Fields: date time c-ip\n2024-03-14 10:00:00 192.0.2.1\n#Fields: date time c-ip sc-status\n2024-03-14 10:00:01 192.0.2.2 404\n#Software: IIS\n#Fields: date time c-ip sc-status\n2024-03-14 10:00:02 192.0.2.3 200\n#Date: 2024-03-15 00:00:00\n#Fields: time c-ip\n10:00:03 192.0.2.4\n#Date: 2024-03-16 00:00:00\n10:00:04 192.0.2.5\n";
    // Read at once, or in chunks of any size cut at lines: the same
    // records, each read with the columns in force.
    let lines: Vec<&[u8]> = doc.split_inclusive(|c| *c == b'\n').collect();
    for per_chunk in 1..=lines.len() {
        let mut layout = Layout::default();
        let mut got = Vec::new();
        let mut pieces = 0;
        for chunk in lines.chunks(per_chunk) {
            let chunk = chunk.concat();
            for piece in layout.split(&chunk) {
                pieces += 1;
                let Some(f) = piece.fields else { continue };
                for line in chunk[piece.range].split(|c| *c == b'\n') {
                    if f.skip(line).is_none() {
                        let r = parse(&f, line).unwrap();
                        got.push((r.time, r.status));
                    }
                }
            }
        }
        assert_eq!(
            got,
            [
                (at(2024, 3, 14, 10, 0, 0), 200),
                (at(2024, 3, 14, 10, 0, 1), 404),
                (at(2024, 3, 14, 10, 0, 2), 200),
                (at(2024, 3, 15, 10, 0, 3), 200),
                (at(2024, 3, 16, 10, 0, 4), 200),
            ],
            "{per_chunk} lines a chunk"
        );
        // The same header again does not cut.
        if per_chunk == lines.len() {
            assert_eq!(pieces, 5);
        }
    }
}
