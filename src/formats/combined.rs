//! Combined Log Format, the Apache and nginx default:
//! `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`.
//!
//! Anything after the user agent is accepted and ignored, which covers
//! nginx configurations that append `"$http_x_forwarded_for"`, a request
//! id, a port or timings. (Reading those fields is the job of the custom
//! format-string parser, not of this preset.)
//!
//! A line that ends right after the byte count (a server that writes the
//! common layout for some requests, as Jetty's NCSA log can) is a record
//! without referrer and agent rather than a reject: losing the request
//! would cost more than the two fields. Detection still prefers `common`
//! for a file of such lines, through [`parse_counting`].

use super::{LogFormat, ParseContext, RawRecord, Reject, fields};

/// Combined Log Format, with optional trailing fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct Combined;

impl LogFormat for Combined {
    fn name(&self) -> &'static str {
        "combined"
    }

    fn description(&self) -> &'static str {
        r#"Apache/nginx combined: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" [trailing fields ignored]"#
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        parse_counting(line, cx).map(|(rec, _)| rec)
    }
}

/// Parses a line as [`Combined`] does, also saying how many of the
/// layout's fields the line lacks (2 for a line that ends after the byte
/// count, else 0), so detection can score the format by the fields it
/// actually explains.
pub fn parse_counting<'a>(
    line: &'a [u8],
    cx: &mut ParseContext,
) -> Result<(RawRecord<'a>, usize), Reject> {
    let (rest, mut rec) = fields::clf_core(line, cx)?;
    if rest.trim_ascii().is_empty() {
        return Ok((rec, 2));
    }
    let rest = fields::referer_agent(rest, &mut rec)?;
    fields::end_or_trailing(rest)?;
    if rec.forwarded_for.is_none() {
        rec.forwarded_for = forwarded_for(rest);
    }
    Ok((rec, 0))
}

/// nginx's common extension appends `"$http_x_forwarded_for"` as the first
/// trailing field: a quoted list of addresses. Anything else there is
/// ignored.
fn forwarded_for(rest: &[u8]) -> Option<&[u8]> {
    let (_, field) = fields::quoted(rest.trim_ascii_start()).ok()?;
    let field = fields::dash_none(field)?;
    let looks_like_addresses = field
        .iter()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b',' | b' ' | b'[' | b']'));
    looks_like_addresses.then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Request;

    fn parse(line: &[u8]) -> Result<RawRecord<'_>, Reject> {
        Combined.parse(line, &mut ParseContext::default())
    }

    #[test]
    fn apache_doc_example() {
        let r = parse(br#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#).unwrap();
        assert_eq!(r.referer, Some(&b"http://www.example.com/start.html"[..]));
        assert_eq!(
            r.user_agent,
            Some(&b"Mozilla/4.08 [en] (Win98; I ;Nav)"[..])
        );
    }

    #[test]
    fn ipv6_and_mapped_clients() {
        for client in [
            "2001:db8::1",
            "::ffff:192.0.2.1",
            "[2001:db8::2]",
            "fe80::1%eth0",
        ] {
            let line = format!(
                r#"{client} - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#
            );
            let r = parse(line.as_bytes()).unwrap();
            assert_eq!(r.client, client.as_bytes());
            assert_eq!(r.referer, None);
            assert_eq!(r.user_agent, None);
        }
    }

    #[test]
    fn escaped_quotes_and_hex_escapes() {
        let r = parse(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /a\"b HTTP/1.1" 200 1 "-" "Mozilla/5.0 \"quoted\" \xe2\x80\x94 x""#).unwrap();
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: br#"/a\"b"#,
                protocol: b"HTTP/1.1"
            }
        );
        assert_eq!(
            r.user_agent,
            Some(&br#"Mozilla/5.0 \"quoted\" \xe2\x80\x94 x"#[..])
        );
    }

    #[test]
    fn garbage_empty_and_missing_requests_are_records() {
        let probe = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" 400 - "-" "-""#;
        assert_eq!(parse(probe).unwrap().request, Request::Invalid);
        let empty = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "" 400 0 "-" "-""#;
        assert_eq!(parse(empty).unwrap().request, Request::Empty);
        let timeout = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "-" 408 - "-" "-""#;
        let r = parse(timeout).unwrap();
        assert_eq!(r.request, Request::Missing);
        assert_eq!(r.status, 408);
    }

    #[test]
    fn a_request_without_response_is_kept() {
        // morgan writes `-` for the status and size when the client went
        // away before the response was sent.
        let r = parse(br#"::ffff:192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] "GET /slow HTTP/1.1" - - "-" "curl/8""#).unwrap();
        assert_eq!((r.status, r.bytes), (crate::formats::NO_RESPONSE, 0));
        assert_eq!(
            parse(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" -- 1 "-" "-""#),
            Err(Reject::BadStatus)
        );
    }

    #[test]
    fn trailing_fields_are_ignored() {
        let r = parse(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.5.0" "203.0.113.7, 10.0.0.1" 0.004 rid=abc"#).unwrap();
        assert_eq!(r.user_agent, Some(&b"curl/8.5.0"[..]));
        assert_eq!(r.forwarded_for, Some(&b"203.0.113.7, 10.0.0.1"[..]));
        let r = parse(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.5.0" "-""#).unwrap();
        assert_eq!(r.forwarded_for, None);
        assert_eq!(
            parse(
                br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "a"junk"#
            ),
            Err(Reject::Malformed)
        );
    }

    #[test]
    fn proxy_chain_prefixes() {
        let r = parse(br#"10.0.0.2, 10.0.0.1, 85.181.35.98 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#).unwrap();
        assert_eq!(r.client, b"85.181.35.98");
        assert_eq!(r.forwarded_for, Some(&b"10.0.0.2, 10.0.0.1"[..]));
        assert_eq!(r.time, 971_186_136);
        // A chain that ends in no address shifts every later field.
        assert!(
            parse(br#"10.0.0.2, - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#)
                .is_err()
        );
        assert!(parse(b"a, b, c, d").is_err());
    }

    #[test]
    fn common_lines_are_records_without_referer_and_agent() {
        let line = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1"#;
        let (r, missing) = parse_counting(line, &mut ParseContext::default()).unwrap();
        assert_eq!((r.referer, r.user_agent, missing), (None, None, 2));
        // Cut inside the referrer: still a reject.
        assert_eq!(
            parse(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "http"#),
            Err(Reject::UnterminatedQuote)
        );
        assert_eq!(
            parse(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-""#),
            Err(Reject::Truncated)
        );
    }

    #[test]
    fn an_agent_cut_at_the_end_of_the_line_is_kept() {
        let r = parse(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux"#).unwrap();
        assert_eq!(r.user_agent, Some(&b"Mozilla/5.0 (X11; Linux"[..]));
        let r = parse(
            br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "ends in \"#,
        )
        .unwrap();
        assert_eq!(r.user_agent, Some(&br"ends in \"[..]));
    }
}
