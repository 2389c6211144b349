//! Access logs relayed through syslog: nginx `access_log syslog:…`,
//! Apache piped to `logger`, HAProxy's `option httplog clf`, rsyslog or
//! journald forwarding. Each line carries a syslog header before the
//! access-log line itself:
//!
//! - RFC 3164 (BSD): `[<PRI>]Mmm dd hh:mm:ss host tag[pid]: message`, where
//!   rsyslog may write an RFC 3339 time instead of `Mmm dd hh:mm:ss`;
//! - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD message`, with
//!   structured data `-` or one `[…]` element.
//!
//! The header is cut off and the message parsed as JSON lines when it is
//! an object, else as Combined, or as Common when it ends after the byte
//! count. Times come from the
//! access-log line, not from the syslog header (which is when the line was
//! relayed, in a zone the header may not name).

use super::{LogFormat, ParseContext, RawRecord, Reject, combined, fields, json_lines};

/// An access log behind a syslog header.
#[derive(Debug, Clone, Copy, Default)]
pub struct Syslog;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The message of a syslog line, `None` if the line has no syslog header.
pub fn message(line: &[u8]) -> Option<&[u8]> {
    let (rfc5424, rest) = match line.strip_prefix(b"<") {
        Some(pri) => {
            let end = pri.iter().position(|c| !c.is_ascii_digit())?;
            if !(1..=3).contains(&end) || pri.get(end) != Some(&b'>') {
                return None;
            }
            let rest = &pri[end + 1..];
            match rest.strip_prefix(b"1 ") {
                Some(after) => (true, after),
                None => (false, rest),
            }
        }
        None => (false, line),
    };
    if rfc5424 {
        // TIMESTAMP HOST APP PROCID MSGID, then structured data.
        let mut rest = rest;
        for _ in 0..5 {
            rest = fields::word(rest)?.1;
        }
        let rest = match rest.strip_prefix(b"- ") {
            Some(after) => after,
            None if rest.starts_with(b"[") => {
                let end = memchr::memmem::find(rest, b"] ")?;
                &rest[end + 2..]
            }
            None => return None,
        };
        // An optional UTF-8 byte order mark before the message.
        return Some(rest.strip_prefix(b"\xef\xbb\xbf").unwrap_or(rest));
    }
    // RFC 3164: `Mmm dd hh:mm:ss ` or an RFC 3339 stamp, then host and tag.
    let rest = match rest.get(..3) {
        Some(m) if MONTHS.iter().any(|month| month.as_slice() == m) => {
            let stamp = rest.get(..16)?;
            let clock = stamp.get(7..15)?;
            let well_formed = stamp[3] == b' '
                && stamp[15] == b' '
                && clock[2] == b':'
                && clock[5] == b':'
                && clock
                    .iter()
                    .enumerate()
                    .all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit());
            if !well_formed {
                return None;
            }
            &rest[16..]
        }
        Some(d) if d.iter().all(u8::is_ascii_digit) && rest.get(4) == Some(&b'-') => {
            fields::word(rest)?.1
        }
        _ => return None,
    };
    let (_host, rest) = fields::word(rest)?;
    // The tag ends at the first colon: `nginx:`, `haproxy[4242]:`.
    let colon = rest.iter().position(|&c| c == b':')?;
    let tag = &rest[..colon];
    let plausible_tag = !tag.is_empty()
        && tag.len() <= 64
        && tag.iter().all(|&c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/' | b'[' | b']')
        });
    if !plausible_tag {
        return None;
    }
    let msg = &rest[colon + 1..];
    Some(msg.strip_prefix(b" ").unwrap_or(msg))
}

impl LogFormat for Syslog {
    fn name(&self) -> &'static str {
        "syslog"
    }

    fn description(&self) -> &'static str {
        "an access log relayed through syslog (RFC 3164 or 5424 header), then combined, common or JSON lines"
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let body = message(line).ok_or(Reject::Malformed)?;
        if body.starts_with(b"{") {
            return json_lines::JsonLines.parse(body, cx);
        }
        // A Common line ends after its byte count; anything longer must be
        // Combined, so a Combined line with a broken agent is rejected (with
        // Combined's reason), not counted as Common.
        combined::Combined
            .parse(body, cx)
            .or_else(|reason| match fields::clf_core(body, cx) {
                Ok((b"", record)) => Ok(record),
                _ => Err(reason),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLF: &str =
        r#"192.0.2.1 - - [28/Mar/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8""#;

    #[test]
    fn headers_are_cut() {
        for header in [
            // nginx `access_log syslog:server=…` (RFC 3164 with priority).
            "<190>Mar 28 10:00:00 web1 nginx: ",
            // A single-digit day is padded with a space.
            "<190>Mar  8 10:00:00 web1 nginx: ",
            // Without priority, as a file written by rsyslog.
            "Mar 28 10:00:00 web1 nginx: ",
            // rsyslog's high-precision time, and a tag with a pid.
            "2026-03-28T10:00:00.123456+01:00 web1 httpd[812]: ",
            // RFC 5424, no structured data, and with an element.
            "<165>1 2026-03-28T10:00:00.003Z web1 nginx - - - ",
            r#"<165>1 2026-03-28T10:00:00Z web1 nginx 812 access [origin ip="192.0.2.9"] "#,
        ] {
            let line = format!("{header}{CLF}");
            assert_eq!(message(line.as_bytes()), Some(CLF.as_bytes()), "{header}");
            let r = Syslog
                .parse(line.as_bytes(), &mut ParseContext::default())
                .unwrap();
            assert_eq!((r.client, r.status), (&b"192.0.2.1"[..], 200));
        }
    }

    #[test]
    fn lines_without_a_header_are_not_taken() {
        for line in [
            CLF,
            "Mar 28 10:00:00 web1",
            "<999999>Mar 28 10:00:00 web1 nginx: x",
            "Mar 28 10:00 web1 nginx: x",
            "Mar 28 10:00:00 web1 a tag with spaces: x",
            "",
        ] {
            assert_eq!(message(line.as_bytes()), None, "{line}");
        }
        assert_eq!(
            Syslog.parse(CLF.as_bytes(), &mut ParseContext::default()),
            Err(Reject::Malformed)
        );
    }

    #[test]
    fn common_and_json_messages_and_haproxy_clf() {
        let cx = &mut ParseContext::default();
        let common = br#"<190>Mar 28 10:00:00 web1 apache: 192.0.2.1 - frank [28/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 7"#;
        assert_eq!(Syslog.parse(common, cx).unwrap().bytes, 7);
        let json = br#"<190>Mar 28 10:00:00 web1 nginx: {"remote_addr":"192.0.2.1","time_iso8601":"2026-03-28T10:00:00+00:00","request":"GET / HTTP/1.1","status":"404","body_bytes_sent":"0"}"#;
        assert_eq!(Syslog.parse(json, cx).unwrap().status, 404);
        // HAProxy `option httplog clf`, from its configuration manual.
        let clf = br#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2 - - [06/Feb/2009:12:14:14 +0100] "GET /index.html HTTP/1.1" 200 2750 "" "" 33317 655 http-in static srv1 10 0 30 69 109 ---- 1 1 1 1 0 0 0 "" "" "" """#;
        let r = Syslog.parse(clf, cx).unwrap();
        assert_eq!((r.client, r.status, r.bytes), (&b"10.0.1.2"[..], 200, 2750));
        // A broken access line keeps Combined's reason.
        let broken = br#"<190>Mar 28 10:00:00 web1 nginx: 192.0.2.1 - - [28/Mar/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512 "http://a"#;
        assert_eq!(Syslog.parse(broken, cx), Err(Reject::UnterminatedQuote));
    }
}
