//! Common Log Format: `%h %l %u %t "%r" %>s %b`.
//!
//! The NCSA format Apache calls `common`. Fields after `%b` are ignored, so
//! forcing `--format common` on richer logs still works (losing referrer and
//! agent); detection scores formats by the fields they explain, so a richer
//! format wins even when it rejects a few lines this one accepts. The fields
//! before the time may take the shapes servers write besides `%h %l %u`
//! (one identity field as in Caddy 0.x, a leading host; see
//! `fields::clf_core`).

use super::{LogFormat, ParseContext, RawRecord, Reject, fields};

/// Common Log Format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Common;

impl LogFormat for Common {
    fn name(&self) -> &'static str {
        "common"
    }

    fn description(&self) -> &'static str {
        r#"NCSA Common Log Format: %h %l %u %t "%r" %>s %b"#
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let (rest, rec) = fields::clf_core(line, cx)?;
        fields::end_or_trailing(rest)?;
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Request;

    fn parse(line: &[u8]) -> Result<RawRecord<'_>, Reject> {
        Common.parse(line, &mut ParseContext::default())
    }

    #[test]
    fn apache_doc_example() {
        let r = parse(br#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#)
            .unwrap();
        assert_eq!(r.client, b"127.0.0.1");
        assert_eq!(r.user, Some(&b"frank"[..]));
        assert_eq!(r.time, 971_211_336);
        assert_eq!(r.status, 200);
        assert_eq!(r.bytes, 2326);
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/apache_pb.gif",
                protocol: b"HTTP/1.0"
            }
        );
        assert_eq!(r.referer, None);
    }

    #[test]
    fn host_name_client_and_dash_bytes() {
        let r = parse(br#"crawl-66-249-66-1.googlebot.com - - [10/Oct/2000:13:55:36 +0000] "HEAD / HTTP/1.1" 304 -"#)
            .unwrap();
        assert_eq!(r.client, b"crawl-66-249-66-1.googlebot.com");
        assert_eq!(r.user, None);
        assert_eq!(r.bytes, 0);
    }

    #[test]
    fn rejects_name_the_field() {
        let ok = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5"#;
        assert!(parse(ok).is_ok());
        let cases: &[(&[u8], Reject)] = &[
            (
                br#"1.2.3.4 - - [31/Feb/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5"#,
                Reject::BadTimestamp,
            ),
            (
                br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" OK 5"#,
                Reject::BadStatus,
            ),
            (
                br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 2000 5"#,
                Reject::BadStatus,
            ),
            (
                br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5x"#,
                Reject::BadBytes,
            ),
            (
                br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HT"#,
                Reject::UnterminatedQuote,
            ),
            (br#"1.2.3.4 - - [10/Oct/2000:13:5"#, Reject::Truncated),
            (b"1.2.3.4 - -", Reject::Truncated),
            (b"\xff\xfe\x00garbage here", Reject::BadClient),
            // A forwarded-for header logged as the client, missing: no client.
            (
                br#"- - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5"#,
                Reject::BadClient,
            ),
            (
                br#"-, 1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5"#,
                Reject::BadClient,
            ),
        ];
        for &(line, reason) in cases {
            assert_eq!(
                parse(line),
                Err(reason),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }
}
