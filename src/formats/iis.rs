//! IIS W3C logs that lost their directives: no `#Fields:` line says the
//! columns, so they are taken from IIS's documented default field sets,
//! told apart by their count of space-separated values.
//!
//! Log shippers and rotation scripts often strip the `#` directive block;
//! what remains are bare lines in one of the layouts IIS writes unless
//! configured otherwise:
//!
//! - the default of IIS 7 and later (15 fields: `date time s-ip cs-method
//!   cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent)
//!   cs(Referer) sc-status sc-substatus sc-win32-status time-taken`),
//! - every W3C field IIS offers (22 fields, adding `s-sitename
//!   s-computername cs-version cs(Cookie) cs-host sc-bytes cs-bytes`),
//!
//! each also with the custom `X-Forwarded-For` field IIS 8.5+ appends last
//! when a proxy sits in front. The lines are read by the W3C reader with
//! those columns. Trade-off: a file logged with any other field selection
//! is not recognised here (it needs its `#Fields:` line); in exchange a
//! line is taken only when its count matches a layout, its date and time
//! are IIS's, its `c-ip` and `s-ip` are addresses and its method a word,
//! so no other format's lines are read as IIS.

use std::net::IpAddr;
use std::sync::LazyLock;

use super::w3c::W3cFields;
use super::{LogFormat, ParseContext, RawRecord, Reject, Request};

/// IIS's default fields (IIS 7 and later).
const DEFAULT: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

/// Every W3C field IIS offers, in the order it writes them.
const ALL: &str = "date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken";

/// The layouts, each with the position of its `s-ip`.
static LAYOUTS: LazyLock<Vec<(W3cFields, usize)>> = LazyLock::new(|| {
    let mut layouts = Vec::new();
    for (fields, server_ip) in [(DEFAULT, 2), (ALL, 4)] {
        for tail in ["", " X-Forwarded-For"] {
            let header = format!("#Fields: {fields}{tail}");
            if let Some(f) = W3cFields::from_header(header.as_bytes()) {
                layouts.push((f, server_ip));
            }
        }
    }
    layouts
});

/// IIS W3C lines without their `#Fields:` header.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderlessIis;

fn address(v: &[u8]) -> bool {
    std::str::from_utf8(v).is_ok_and(|s| s.parse::<IpAddr>().is_ok())
}

impl LogFormat for HeaderlessIis {
    fn name(&self) -> &'static str {
        "iis"
    }

    fn description(&self) -> &'static str {
        "IIS W3C without #Fields: header: the default or full field set, with or without X-Forwarded-For"
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        // IIS writes `+` for spaces and never quotes: anything else is
        // another format's line.
        if memchr::memchr2(b'"', b'\t', line).is_some() {
            return Err(Reject::Malformed);
        }
        let count = memchr::memchr_iter(b' ', line).count() + 1;
        let (fields, server_ip) = LAYOUTS
            .iter()
            .find(|(f, _)| f.columns() == count)
            .ok_or(Reject::Malformed)?;
        let server = line
            .split(|c| *c == b' ')
            .nth(*server_ip)
            .unwrap_or_default();
        if !address(server) {
            return Err(Reject::Malformed);
        }
        let rec = fields.parse(line, cx)?;
        if !address(rec.client) {
            return Err(Reject::BadClient);
        }
        match rec.request {
            Request::Http { method, .. } if method.iter().all(u8::is_ascii_alphabetic) => Ok(rec),
            _ => Err(Reject::Malformed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<RawRecord<'_>, Reject> {
        HeaderlessIis.parse(line.as_bytes(), &mut ParseContext::default())
    }

    /// The example of Microsoft's "W3C Logging" page, on a default layout.
    const DEFAULT_LINE: &str = "2024-05-02 17:42:15 192.0.2.10 GET /default.htm - 80 - 198.51.100.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 15";

    #[test]
    fn default_fields_with_and_without_forwarded_for() {
        let r = parse(DEFAULT_LINE).unwrap();
        assert_eq!(
            (r.client, r.status, r.duration_us, r.forwarded_for),
            (&b"198.51.100.7"[..], 200, Some(15_000), None)
        );
        let xff = format!("{DEFAULT_LINE} 203.0.113.9");
        let r = parse(&xff).unwrap();
        assert_eq!(r.client, b"198.51.100.7");
        assert_eq!(r.forwarded_for, Some(&b"203.0.113.9"[..]));
    }

    #[test]
    fn all_fields_with_forwarded_for() {
        let line = "2024-05-02 17:42:15 W3SVC1 WEB01 192.0.2.10 GET /a.png w=1 443 - 198.51.100.7 HTTP/1.1 Mozilla/5.0 a=1;+b=2 https://www.example.com/ www.example.com 404 0 2 1437 534 0 203.0.113.9";
        let r = parse(line).unwrap();
        assert_eq!(r.client, b"198.51.100.7");
        assert_eq!(r.vhost, Some(&b"www.example.com"[..]));
        assert_eq!((r.status, r.bytes), (404, 1437));
        assert_eq!(r.forwarded_for, Some(&b"203.0.113.9"[..]));
    }

    #[test]
    fn other_lines_are_not_iis() {
        for line in [
            r#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "curl/8""#,
            // A right count, but no address where IIS puts the server's.
            "2024-05-02 17:42:15 host GET /default.htm - 80 - 198.51.100.7 x - 200 0 0 15",
            // Or the client's.
            "2024-05-02 17:42:15 192.0.2.10 GET /default.htm - 80 - client x - 200 0 0 15",
            "2024-05-02 17:42:15 192.0.2.10 GET /default.htm - 80 - 198.51.100.7 x - 200 0 0",
        ] {
            assert!(parse(line).is_err(), "{line}");
        }
    }
}
