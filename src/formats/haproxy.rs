//! HAProxy's HTTP log format (`option httplog`), with or without the
//! syslog prefix:
//!
//! ```text
//! Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in
//!   static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"
//! ```
//!
//! The accept date carries milliseconds and no zone: HAProxy logs its
//! host's local time, taken here as UTC (set the host to UTC, as is usual
//! for servers, or shift the results). The total time `Ta` (the last of the
//! five timers, in milliseconds) is the response time; `-1` timers (aborted
//! requests) leave it unknown. Captured headers in braces are skipped.
//!
//! Custom `log-format`s that keep this layout but add one field before the
//! timers (commonly the `Host` header, `%[capture.req.hdr(0)]`) are read
//! too: that field is the site when it is a host name, else dropped.
//!
//! A client logged as `-` (HAProxy writes `-` for `%ci` when it has no
//! source address for the stream) is still a request and is counted. Every such request is veiled as the one client
//! `-`, so visitors are undercounted, never overcounted: disclosure
//! control stays on the safe side, and requests, bytes and pages stay
//! exact. Rejecting them would lose whole files of such a frontend.

use super::fields::{number, plausible_client, strip_port, token};
use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request, Skip, default_skip};
use crate::time;

/// HAProxy HTTP log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Haproxy;

/// `dd/Mon/yyyy:HH:MM:SS.mmm` as UTC.
fn accept_date(v: &[u8]) -> Option<i64> {
    let (whole, _ms) = v.split_at(v.iter().position(|c| *c == b'.').unwrap_or(v.len()));
    // Reuse the CLF parser by giving it the zone HAProxy leaves out.
    let mut buf = [0u8; 26];
    if whole.len() != 20 {
        return None;
    }
    buf[..20].copy_from_slice(whole);
    buf[20..].copy_from_slice(b" +0000");
    time::parse_clf(&buf)
}

/// `Tq/Tw/Tc/Tr/Tt` (HTTP) or `Tw/Tc/Tt` (TCP): milliseconds, `-1` for a
/// step not reached, `+` before the total under `option logasap`.
fn is_timers(v: &[u8]) -> bool {
    let parts = v.split(|c| *c == b'/');
    (3..=5).contains(&parts.clone().count())
        && parts
            .map(|t| t.strip_prefix(b"-").unwrap_or(t))
            .all(|t| number(t).is_some())
}

/// A field that is a DNS name (with an optional port), not an address.
fn host_name(v: &[u8]) -> Option<&[u8]> {
    let host = strip_port(v);
    let tld = host.rsplit(|c| *c == b'.').next()?;
    (plausible_client(host) && !host.contains(&b':') && tld.iter().any(u8::is_ascii_alphabetic))
        .then_some(host)
}

/// The message after a syslog prefix up to `haproxy[pid]: `, if the line
/// has one.
fn tagged_body(line: &[u8]) -> Option<&[u8]> {
    let p = memchr::memmem::find(line, b"]: ")?;
    memchr::memmem::find(&line[..p], b"haproxy[")?;
    Some(line[p + 3..].trim_ascii_end())
}

impl LogFormat for Haproxy {
    fn name(&self) -> &'static str {
        "haproxy"
    }

    fn description(&self) -> &'static str {
        "HAProxy HTTP log (option httplog), with or without syslog prefix"
    }

    /// HAProxy's own messages in its log (`Proxy www started.`, `Server
    /// app/web1 is DOWN`, a connection that failed before any request:
    /// `…: SSL handshake failure`) are events, not requests. Only lines
    /// behind a `haproxy[pid]: ` tag are judged, so no other log's lines
    /// are taken for them.
    fn skip(&self, line: &[u8]) -> Option<Skip> {
        default_skip(line).or_else(|| {
            let body = tagged_body(line)?;
            let first = body.split(|c| *c == b' ').next().unwrap_or_default();
            let request_like = first.contains(&b':') || first == b"-";
            let failed_connection = body.ends_with(b"SSL handshake failure")
                || body.ends_with(b"Connection error during SSL handshake");
            (!request_like || failed_connection).then_some(Skip::Event)
        })
    }

    fn parse<'a>(&self, line: &'a [u8], _cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let body = tagged_body(line).unwrap_or(line);
        let mut parts = body.splitn(12, |c| *c == b' ');
        let mut next = |r: Reject| parts.next().filter(|p| !p.is_empty()).ok_or(r);
        let client = next(Reject::BadClient)?;
        let date = next(Reject::Truncated)?;
        let time = date
            .strip_prefix(b"[")
            .and_then(|d| d.strip_suffix(b"]"))
            .and_then(accept_date)
            .ok_or(Reject::BadTimestamp)?;
        let _frontend = next(Reject::Truncated)?;
        let _backend = next(Reject::Truncated)?;
        let mut timers = next(Reject::Truncated)?;
        let mut vhost = None;
        if !is_timers(timers) {
            // One field of a custom `log-format` before the timers, in
            // practice the captured `Host` header: the site when it is a
            // host name, dropped otherwise (it may be anything, an address
            // included, and the site is published as written).
            vhost = host_name(timers);
            timers = next(Reject::Truncated)?;
            if !is_timers(timers) {
                return Err(Reject::Malformed);
            }
        }
        let status = match next(Reject::Truncated)? {
            b"-1" => NO_RESPONSE,
            s => number(s)
                .filter(|s| (100..1000).contains(s))
                .ok_or(Reject::BadStatus)? as u16,
        };
        let bytes = number(next(Reject::Truncated)?).ok_or(Reject::BadBytes)?;
        let rest = parts.last().ok_or(Reject::Truncated)?;
        // The request is the last field, after any `{captures}`, and the
        // only one with quotes: HAProxy writes a quote inside it as `#22`,
        // so it lies between the last two. syslog-ng escapes both as `\"`.
        let end = memchr::memrchr(b'"', rest).ok_or(Reject::Truncated)?;
        let start = memchr::memrchr(b'"', &rest[..end]).ok_or(Reject::Truncated)?;
        let request = &rest[start + 1..end];
        let request = request.strip_suffix(b"\\").unwrap_or(request);
        if token(client).is_err() || client.len() > 255 {
            return Err(Reject::BadClient);
        }
        // `%ci:%cp`: always with the port.
        let client = strip_port(client);
        let total = timers.rsplit(|c| *c == b'/').next().and_then(number);
        Ok(RawRecord {
            client,
            user: None,
            time,
            request: Request::parse(request),
            status,
            bytes,
            referer: None,
            user_agent: None,
            vhost,
            forwarded_for: None,
            duration_us: total.map(|ms| ms.saturating_mul(1000)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[u8]) -> Result<RawRecord<'_>, Reject> {
        Haproxy.parse(line, &mut ParseContext::default())
    }

    #[test]
    fn documented_example_with_and_without_syslog_prefix() {
        let line = br#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
        let r = parse(line).unwrap();
        assert_eq!(
            (r.client, r.status, r.bytes, r.duration_us),
            (&b"10.0.1.2"[..], 200, 2750, Some(109_000))
        );
        assert_eq!(
            r.time,
            time::days_from_civil(2009, 2, 6) * time::DAY + 12 * 3600 + 14 * 60 + 14
        );
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/index.html",
                protocol: b"HTTP/1.1"
            }
        );
        let bare = br#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/-1 502 +204 - - SH-- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#;
        let r = parse(bare).unwrap();
        assert_eq!((r.status, r.bytes, r.duration_us), (502, 204, None));
        // The client never completed its request: status `-1`, request `""`.
        let aborted = br#"haproxy[18113]: 127.0.0.1:34548 [15/Oct/2003:15:18:55.798] px-http px-http/<NOSRV> -1/-1/-1/-1/8490 -1 0 - - CR-- 2/2/2/0/0 0/0 """#;
        let r = parse(aborted).unwrap();
        assert_eq!(
            (r.status, r.request, r.duration_us),
            (NO_RESPONSE, Request::Empty, Some(8_490_000))
        );
        assert_eq!(
            parse(b"10.0.1.2:1 [06/Feb/2009:12:14:14.655] a b"),
            Err(Reject::Truncated)
        );
        // syslog-ng escapes the request's quotes; the manual says to undo it.
        let escaped = br#"haproxy[41488]: 192.0.2.82:3655 [11/Dec/2019:11:57:09.001] fe~ be/web1 0/0/0/9/10 200 880 - - ---- 4/4/2/1/0 0/0 \"GET /status HTTP/1.1\""#;
        assert_eq!(
            parse(escaped).unwrap().request,
            Request::Http {
                method: b"GET",
                target: b"/status",
                protocol: b"HTTP/1.1"
            }
        );
        // `%ci:%cp` with an IPv6 client: the port is cut.
        let v6 = br#"2001:db8::5:40112 [11/Dec/2019:11:57:09.001] fe~ be/web1 0/0/0/9/10 200 880 - - ---- 4/4/2/1/0 0/0 "GET /status HTTP/1.1""#;
        assert_eq!(parse(v6).unwrap().client, b"2001:db8::5");
        // A custom log-format with the Host header before the timers, and
        // a client HAProxy did not know.
        let host = br#"May 22 02:22:22 lb haproxy[5089]: -:41234 [22/May/2021:02:22:22.222] www-https~ app/node2 www.example.com:443 0/0/0/18/18 200 512 - - ---- 2/2/0/0/0 0/0 "OPTIONS /api/ HTTP/1.1""#;
        let r = parse(host).unwrap();
        assert_eq!(
            (r.client, r.vhost, r.status, r.bytes, r.duration_us),
            (
                &b"-"[..],
                Some(&b"www.example.com"[..]),
                200,
                512,
                Some(18_000)
            )
        );
        // An address in that place is not published as a site.
        let addr = br#"192.0.2.9:41234 [22/May/2021:02:22:22.222] fe be/s 198.51.100.4 0/0/0/18/18 200 512 - - ---- 2/2/0/0/0 0/0 "GET / HTTP/1.1""#;
        assert_eq!(parse(addr).unwrap().vhost, None);
        let two = br#"192.0.2.9:41234 [22/May/2021:02:22:22.222] fe be/s a.example b.example 0/0/0/18/18 200 512 - - ---- 2/2/0/0/0 0/0 "GET / HTTP/1.1""#;
        assert_eq!(parse(two), Err(Reject::Malformed));
        let open = br#"192.0.2.82:3655 [11/Dec/2019:11:57:09.001] fe~ be/web1 0/0/0/9/10 200 880 - - ---- 4/4/2/1/0 0/0 "GET /status HTTP/1.1"#;
        assert_eq!(parse(open), Err(Reject::Truncated));
        assert_eq!(parse(br#"10.0.1.2:1 [31/Feb/2009:12:14:14.655] a b 1/2/3/4/5 200 1 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#), Err(Reject::BadTimestamp));
    }

    #[test]
    fn haproxys_own_messages_are_events() {
        for line in [
            "Feb 25 16:19:40 lb haproxy[1]: Proxy www started.   ",
            "Feb 25 16:19:40 lb haproxy[1]: Server app/web1 is DOWN, reason: Layer4 timeout.",
            "Feb 25 16:19:41 lb haproxy[7]: 192.0.2.9:53321 [25/Feb/2019:16:19:41.001] fe-https/1: SSL handshake failure",
        ] {
            assert_eq!(Haproxy.skip(line.as_bytes()), Some(Skip::Event), "{line}");
        }
        let request = br#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
        assert_eq!(Haproxy.skip(request), None);
        // Untagged lines are never judged as HAProxy's messages.
        assert_eq!(Haproxy.skip(b"Proxy www started."), None);
    }
}
