//! uWSGI's default request log line:
//!
//! ```text
//! [pid: %(pid)|app: %(app)|req: %(req)/%(worker req)] %(addr) (%(user)) {%(vars) vars in %(pktsize) bytes}
//!   [%(ctime)] %(method) %(uri) => generated %(rsize) bytes in %(msecs) msecs (%(proto) %(status))
//!   %(headers) headers in %(hsize) bytes (%(switches) switches on core %(core))
//! ```
//!
//! The time is `ctime` (`Thu Jan 10 12:00:00 2019`, the day not always
//! padded) in the server's local time with no zone: it is read in the
//! run's local zone and counted as zoneless, like Caddy's wall times. The
//! response time is in `msecs`, or `micros` when uWSGI runs with
//! `--log-micros`. `%(user)` is `REMOTE_USER`, usually empty; it goes to
//! `user`, which is veiled. The URI is logged raw and may hold spaces, so
//! the request ends at ` => generated `, not at a space. What follows the
//! status (header counts, switches, core) is ignored.

use super::fields::{dash_none, digits, plausible_client};
use super::{LogFormat, ParseContext, RawRecord, Reject, Request};
use crate::time;

/// uWSGI default request log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Uwsgi;

/// `Thu Jan 10 12:00:00 2019` as a wall-clock reading, in Unix seconds as
/// if it were UTC.
fn ctime(v: &[u8]) -> Option<i64> {
    let mut parts = v.split(|c| *c == b' ').filter(|p| !p.is_empty());
    let (_weekday, month, day, clock, year) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || month.len() != 3 || !(1..=2).contains(&day.len()) {
        return None;
    }
    if clock.len() != 8 || year.len() != 4 {
        return None;
    }
    // Laid out as a CLF time at UTC, whose parser checks every part.
    let mut clf = *b"00/Jan/0000:00:00:00 +0000";
    clf[2 - day.len()..2].copy_from_slice(day);
    clf[3..6].copy_from_slice(month);
    clf[7..11].copy_from_slice(year);
    clf[12..20].copy_from_slice(clock);
    time::parse_clf(&clf)
}

/// The text after `open` up to `close`, and what follows `close`.
fn between<'a>(v: &'a [u8], open: &[u8], close: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let v = v.strip_prefix(open)?;
    let end = memchr::memmem::find(v, close)?;
    Some((&v[..end], &v[end + close.len()..]))
}

/// The next space-separated word and what follows it.
fn word(v: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = memchr::memchr(b' ', v)?;
    Some((&v[..end], &v[end + 1..]))
}

impl LogFormat for Uwsgi {
    fn name(&self) -> &'static str {
        "uwsgi"
    }

    fn description(&self) -> &'static str {
        "uWSGI default request log ([pid: …|app: …|req: …] addr (user) {vars} [ctime] METHOD URI => generated …)"
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let (_worker, rest) = between(line, b"[pid: ", b"] ").ok_or(Reject::Malformed)?;
        let (client, rest) = word(rest).ok_or(Reject::Truncated)?;
        if !plausible_client(client) {
            return Err(Reject::BadClient);
        }
        let (user, rest) = between(rest, b"(", b") ").ok_or(Reject::Malformed)?;
        let (_vars, rest) = between(rest, b"{", b"} ").ok_or(Reject::Malformed)?;
        let (when, rest) = between(rest, b"[", b"] ").ok_or(Reject::Malformed)?;
        let wall = cx.time.get(when, ctime).ok_or(Reject::BadTimestamp)?;
        cx.zoneless_times += 1;
        let time = cx.local.to_utc(wall).ok_or(Reject::BadTimestamp)?;
        let split = memchr::memmem::find(rest, b" => generated ").ok_or(Reject::Truncated)?;
        let request = &rest[..split];
        let rest = &rest[split + b" => generated ".len()..];
        let (size, rest) = word(rest).ok_or(Reject::Truncated)?;
        let bytes = digits(size).ok_or(Reject::BadBytes)?;
        let rest = rest.strip_prefix(b"bytes in ").ok_or(Reject::Malformed)?;
        let (took, rest) = word(rest).ok_or(Reject::Truncated)?;
        let (unit, rest) = word(rest).ok_or(Reject::Truncated)?;
        let per_us = match unit {
            b"msecs" => 1000,
            b"micros" => 1,
            _ => return Err(Reject::Malformed),
        };
        let (proto_status, _) = between(rest, b"(", b")").ok_or(Reject::Truncated)?;
        let (protocol, status) = word(proto_status).ok_or(Reject::BadStatus)?;
        let status = digits(status)
            .filter(|s| (100..1000).contains(s))
            .ok_or(Reject::BadStatus)? as u16;
        let request = match Request::parse(request) {
            // The protocol is logged apart from the request.
            Request::Http { method, target, .. } => Request::Http {
                method,
                target,
                protocol,
            },
            other => other,
        };
        Ok(RawRecord {
            client,
            user: dash_none(user),
            time,
            request,
            status,
            bytes,
            referer: None,
            user_agent: None,
            vhost: None,
            forwarded_for: None,
            duration_us: digits(took).map(|t| t.saturating_mul(per_us)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "[pid: 1|app: 0|req: 1/1] 203.0.113.5 () {34 vars in 512 bytes} [Thu Jan 10 12:00:00 2019] GET /path?q=1 => generated 123 bytes in 4 msecs (HTTP/1.1 200) 2 headers in 79 bytes (1 switches on core 0)";

    fn parse(line: &str) -> Result<RawRecord<'_>, Reject> {
        Uwsgi.parse(line.as_bytes(), &mut ParseContext::default())
    }

    #[test]
    fn documented_line() {
        let mut cx = ParseContext::default();
        let r = Uwsgi.parse(LINE.as_bytes(), &mut cx).unwrap();
        assert_eq!(
            (r.client, r.user, r.status, r.bytes, r.duration_us),
            (&b"203.0.113.5"[..], None, 200, 123, Some(4000))
        );
        assert_eq!(
            r.time,
            time::days_from_civil(2019, 1, 10) * time::DAY + 12 * 3600
        );
        assert_eq!(cx.zoneless_times, 1);
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/path?q=1",
                protocol: b"HTTP/1.1"
            }
        );
    }

    #[test]
    fn users_unpadded_days_micros_and_spaces_in_the_uri() {
        let line = LINE
            .replace("()", "(jdoe)")
            .replace("Thu Jan 10", "Sun Mar 6")
            .replace("4 msecs", "68 micros")
            .replace("/path?q=1", "/a b");
        let r = parse(&line).unwrap();
        assert_eq!(r.user, Some(&b"jdoe"[..]));
        assert_eq!(r.duration_us, Some(68));
        assert_eq!(
            r.time,
            time::days_from_civil(2019, 3, 6) * time::DAY + 12 * 3600
        );
        assert!(matches!(
            r.request,
            Request::Http {
                target: b"/a b",
                ..
            }
        ));
        // The zone the run reads local times in applies.
        let mut cx = ParseContext {
            local: time::LocalZone::new(chrono_tz::Tz::Europe__Paris),
            ..ParseContext::default()
        };
        let r = Uwsgi.parse(LINE.as_bytes(), &mut cx).unwrap();
        assert_eq!(
            r.time,
            time::days_from_civil(2019, 1, 10) * time::DAY + 11 * 3600
        );
    }

    #[test]
    fn rejections() {
        for (from, to, why) in [
            ("[pid: 1", "[pod: 1", Reject::Malformed),
            ("203.0.113.5", "\"x\"", Reject::BadClient),
            ("Thu Jan 10", "Thu Jan 32", Reject::BadTimestamp),
            ("12:00:00 2019", "12:00 2019", Reject::BadTimestamp),
            (" => generated", " -> generated", Reject::Truncated),
            ("123 bytes", "12x bytes", Reject::BadBytes),
            ("4 msecs", "4 hours", Reject::Malformed),
            ("HTTP/1.1 200", "HTTP/1.1 2000", Reject::BadStatus),
        ] {
            let line = LINE.replacen(from, to, 1);
            assert_eq!(parse(&line).map(|_| ()), Err(why), "{line}");
        }
        assert_eq!(parse("").map(|_| ()), Err(Reject::Malformed));
        assert_eq!(
            parse(&LINE[..LINE.find(" => ").unwrap_or(0)]).map(|_| ()),
            Err(Reject::Truncated)
        );
    }
}
