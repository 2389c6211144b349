//! Squid's native `access.log` (`logformat squid`, the default):
//!
//! ```text
//! %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
//! 1286536308.779    180 192.0.2.14 TCP_MISS/200 1128 GET http://example.com/ - HIER_DIRECT/198.51.100.7 text/html
//! ```
//!
//! Time is Unix seconds with milliseconds (the millisecond is dropped, as
//! every format keeps whole seconds); the elapsed time is in milliseconds
//! and right-aligned, so fields are split at runs of spaces. The status is
//! the part of `TCP_MISS/200` after the slash; `000` (no reply, an aborted
//! or ICP transaction) is [`NO_RESPONSE`]. The user field (`%[un`: proxy
//! authentication, ident or an external helper) is a user name, often an
//! e-mail address, and goes to `user`, which is veiled.
//!
//! A proxy logs absolute URLs, so the site a request was for is the host
//! of its URL, which becomes the virtual host (a user name or password in
//! the URL is left out). `CONNECT` logs `host:port` instead of a URL: the
//! host is the site, and the target, being no path, counts under
//! `(invalid request)`. The trade-off: a forward proxy's "sites" are the
//! places its users went, many of them visited by few people, so most fold
//! into `(other site)` under disclosure control; a reverse proxy's are the
//! operator's own. The peer address after the hierarchy code is the
//! upstream server's, not a person's, and is not kept; nor is the content
//! type, or any `log_mime_hdrs` headers after it.

use super::fields::{dash_none, digits, plausible_client};
use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request};

/// Squid native access log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Squid;

/// `seconds.milliseconds` as whole seconds.
fn epoch(v: &[u8]) -> Option<i64> {
    let dot = memchr::memchr(b'.', v)?;
    let (secs, frac) = (&v[..dot], &v[dot + 1..]);
    // Twelve digits reach the year 33658: anything longer is no time.
    if secs.len() > 12 || frac.is_empty() || frac.len() > 9 {
        return None;
    }
    digits(frac)?;
    i64::try_from(digits(secs)?).ok()
}

/// `TCP_MISS/200`: the status after the slash.
fn status(v: &[u8]) -> Result<u16, Reject> {
    let slash = memchr::memrchr(b'/', v).ok_or(Reject::BadStatus)?;
    let (tag, code) = (&v[..slash], &v[slash + 1..]);
    let tag_ok = !tag.is_empty()
        && tag
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_');
    if !tag_ok || code.len() != 3 {
        return Err(Reject::BadStatus);
    }
    match digits(code) {
        Some(0) => Ok(NO_RESPONSE),
        Some(n) if n >= 100 => Ok(n as u16),
        _ => Err(Reject::BadStatus),
    }
}

/// The host (with any port) a proxied request went to: the authority of
/// an absolute URL without its user information, or a `CONNECT` target's
/// `host:port`; `None` for anything else.
fn url_host<'a>(method: &[u8], url: &'a [u8]) -> Option<&'a [u8]> {
    let authority = match memchr::memmem::find(url, b"://") {
        Some(p) => {
            let rest = &url[p + 3..];
            &rest[..memchr::memchr3(b'/', b'?', b'#', rest).unwrap_or(rest.len())]
        }
        None if method == b"CONNECT" => url,
        None => return None,
    };
    let host = match memchr::memrchr(b'@', authority) {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    dash_none(host)
}

impl LogFormat for Squid {
    fn name(&self) -> &'static str {
        "squid"
    }

    fn description(&self) -> &'static str {
        "Squid native access.log (time.ms elapsed client action/code size method URL user hierarchy/peer type)"
    }

    fn parse<'a>(&self, line: &'a [u8], _cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let mut fields = line.split(|c| *c == b' ').filter(|f| !f.is_empty());
        let mut next = || fields.next().ok_or(Reject::Truncated);
        let time = epoch(next()?).ok_or(Reject::BadTimestamp)?;
        let elapsed = next()?;
        let client = next()?;
        let status = status(next()?)?;
        let bytes = digits(next()?).ok_or(Reject::BadBytes)?;
        let method = next()?;
        let url = next()?;
        let user = next()?;
        let hierarchy = next()?;
        let _content_type = next()?;
        if !plausible_client(client) {
            return Err(Reject::BadClient);
        }
        // `%Sh/%<a`: a code, then the peer (`-` when none).
        if !hierarchy.contains(&b'/') {
            return Err(Reject::Malformed);
        }
        // Method and URL are one space apart: read together they are a
        // request line, with the method checked as everywhere else.
        let start = method.as_ptr() as usize - line.as_ptr() as usize;
        let end = url.as_ptr() as usize - line.as_ptr() as usize + url.len();
        let request = Request::parse(line.get(start..end).ok_or(Reject::Malformed)?);
        Ok(RawRecord {
            client,
            user: dash_none(user),
            time,
            request,
            status,
            bytes,
            referer: None,
            user_agent: None,
            vhost: url_host(method, url),
            forwarded_for: None,
            // An elapsed time that is no number drops the duration only.
            duration_us: digits(elapsed).map(|ms| ms.saturating_mul(1000)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[u8]) -> Result<RawRecord<'_>, Reject> {
        Squid.parse(line, &mut ParseContext::default())
    }

    #[test]
    fn documented_line() {
        let r = parse(b"1286536308.779    180 192.0.2.14 TCP_MISS/200 1128 GET http://www.example.com/a?b=c - HIER_DIRECT/198.51.100.7 text/html").unwrap();
        assert_eq!(
            (r.client, r.time, r.status, r.bytes, r.duration_us),
            (&b"192.0.2.14"[..], 1_286_536_308, 200, 1128, Some(180_000))
        );
        assert_eq!(r.user, None);
        assert_eq!(r.vhost, Some(&b"www.example.com"[..]));
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"http://www.example.com/a?b=c",
                protocol: b""
            }
        );
    }

    #[test]
    fn connect_users_and_no_reply() {
        let r = parse(b"1286536309.001   5006 192.0.2.14 TCP_TUNNEL/200 19763 CONNECT mail.example.com:443 jdoe%40example.com HIER_DIRECT/198.51.100.8 -").unwrap();
        assert_eq!(r.vhost, Some(&b"mail.example.com:443"[..]));
        assert_eq!(r.user, Some(&b"jdoe%40example.com"[..]));
        let r = parse(b"1286536310.000      0 192.0.2.14 NONE/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -").unwrap();
        assert_eq!((r.status, r.vhost), (NO_RESPONSE, None));
        // User information in a URL never reaches the site.
        let r = parse(b"1286536310.000 1 192.0.2.14 TCP_MISS/200 1 GET ftp://jdoe:secret@ftp.example.com/f - DIRECT/198.51.100.9 -").unwrap();
        assert_eq!(r.vhost, Some(&b"ftp.example.com"[..]));
    }

    #[test]
    fn rejections() {
        let ok = "1286536308.779 180 192.0.2.14 TCP_MISS/200 1128 GET http://example.com/ - DIRECT/198.51.100.7 text/html";
        assert!(parse(ok.as_bytes()).is_ok());
        for (from, to, why) in [
            ("1286536308.779", "1286536308", Reject::BadTimestamp),
            ("1286536308.779", "99999999999999.1", Reject::BadTimestamp),
            ("TCP_MISS/200", "TCP_MISS/20", Reject::BadStatus),
            ("TCP_MISS/200", "tcp_miss/200", Reject::BadStatus),
            (" 1128 ", " 11x8 ", Reject::BadBytes),
            ("192.0.2.14", "\"quoted\"", Reject::BadClient),
            ("DIRECT/198.51.100.7", "DIRECT", Reject::Malformed),
            (" text/html", "", Reject::Truncated),
        ] {
            let line = ok.replacen(from, to, 1);
            assert_eq!(parse(line.as_bytes()).map(|_| ()), Err(why), "{line}");
        }
        assert_eq!(parse(b"").map(|_| ()), Err(Reject::Truncated));
    }
}
