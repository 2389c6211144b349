//! Envoy's default access-log format:
//!
//! ```text
//! [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
//! %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//! %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
//! "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"
//! ```
//!
//! The layout has no downstream address. The client is the first address
//! of `X-Forwarded-For` (the originating client, as proxies append), and
//! the chain is kept as the forwarded-for field; a request without the
//! header cannot be told from any other and is rejected as `bad_client`.
//! A TCP proxy writes the same layout with `"- - -"` for the request and
//! code 0: a connection, not a request, skipped as an event.
//!
//! Envoy writes what it is configured to, and deployments extend the
//! default: Istio inserts `%RESPONSE_CODE_DETAILS%
//! %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%"`
//! after the flags and appends cluster and address fields. So the line is
//! read as a list of bare and quoted fields, and the five quoted header
//! fields are found as the first run of five quoted fields after the
//! request, with the four counters just before them; anything after is
//! ignored. The trade-off: a custom layout with five quoted fields in a row
//! elsewhere would be misread, but then the counters before them must still
//! be numbers, which catches most such layouts.

use super::fields::{dash_none, digits, plausible_client, quoted};
use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request, Skip};

/// Envoy default access log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Envoy;

/// Fields read after the request; the default has 11, Istio's 20.
const MAX_FIELDS: usize = 32;

/// The quoted header fields, from `X-Forwarded-For` to the upstream host.
const QUOTED_RUN: usize = 5;

/// Counters before the quoted run: received, sent, duration, upstream time.
const COUNTERS: usize = 4;

/// One field after the request.
#[derive(Clone, Copy)]
enum Item<'a> {
    Bare(&'a [u8]),
    Quoted(&'a [u8]),
}

/// `[START_TIME] "request"` and what follows, or why not. One word of
/// capitals may lead: Ambassador (Emissary-ingress) writes Envoy's default
/// layout behind `ACCESS `.
fn head(line: &[u8]) -> Result<(i64, &[u8], &[u8]), Reject> {
    let line = match memchr::memchr(b' ', line) {
        Some(p) if p > 0 && p <= 16 && line[..p].iter().all(u8::is_ascii_uppercase) => {
            &line[p + 1..]
        }
        _ => line,
    };
    let rest = line.strip_prefix(b"[").ok_or(Reject::Malformed)?;
    let close = memchr::memchr(b']', rest).ok_or(Reject::Truncated)?;
    let text = std::str::from_utf8(&rest[..close]).map_err(|_| Reject::BadTimestamp)?;
    let time = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|_| Reject::BadTimestamp)?
        .timestamp();
    let rest = rest[close + 1..]
        .strip_prefix(b" ")
        .ok_or(Reject::Truncated)?;
    if !rest.starts_with(b"\"") {
        return Err(Reject::Malformed);
    }
    let (after, request) = quoted(rest).map_err(|_| Reject::UnterminatedQuote)?;
    Ok((time, request, after))
}

/// The fields after the request, up to [`MAX_FIELDS`], and how many.
fn items(mut rest: &[u8]) -> Result<([Item<'_>; MAX_FIELDS], usize), Reject> {
    let mut out = [Item::Bare(b""); MAX_FIELDS];
    let mut n = 0;
    while n < MAX_FIELDS {
        rest = rest.trim_ascii_start();
        if rest.is_empty() {
            break;
        }
        if rest[0] == b'"' {
            let (after, inner) = quoted(rest).map_err(|_| Reject::UnterminatedQuote)?;
            out[n] = Item::Quoted(inner);
            rest = after;
        } else {
            let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
            out[n] = Item::Bare(&rest[..end]);
            rest = &rest[end..];
        }
        n += 1;
    }
    Ok((out, n))
}

/// The first address of an `X-Forwarded-For` chain.
fn first_hop(chain: &[u8]) -> Option<&[u8]> {
    let hop = chain.split(|c| *c == b',').next()?.trim_ascii();
    plausible_client(hop).then_some(hop)
}

impl LogFormat for Envoy {
    fn name(&self) -> &'static str {
        "envoy"
    }

    fn description(&self) -> &'static str {
        "Envoy default access log (client from X-Forwarded-For; TCP proxy records skipped)"
    }

    fn skip(&self, line: &[u8]) -> Option<Skip> {
        if let Some(skip) = super::default_skip(line) {
            return Some(skip);
        }
        // A TCP proxy's connection record: the HTTP fields are all `-`.
        match head(line) {
            Ok((_, b"- - -", rest)) if rest.starts_with(b" 0 ") => Some(Skip::Event),
            _ => None,
        }
    }

    fn parse<'a>(&self, line: &'a [u8], _cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let (time, request, rest) = head(line)?;
        let (items, n) = items(rest)?;
        let items = &items[..n];
        let bare = |i: usize| match items.get(i) {
            Some(Item::Bare(v)) => Ok(*v),
            Some(Item::Quoted(_)) => Err(Reject::Malformed),
            None => Err(Reject::Truncated),
        };
        let status = match digits(bare(0)?) {
            Some(0) => NO_RESPONSE,
            Some(s) if (100..1000).contains(&s) => s as u16,
            _ => return Err(Reject::BadStatus),
        };
        let _flags = bare(1)?;
        let run = (2 + COUNTERS..n)
            .find(|&g| {
                items
                    .get(g..g + QUOTED_RUN)
                    .is_some_and(|r| r.iter().all(|i| matches!(i, Item::Quoted(_))))
            })
            .ok_or(if n < 2 + COUNTERS + QUOTED_RUN {
                Reject::Truncated
            } else {
                Reject::Malformed
            })?;
        let bytes = digits(bare(run - 3)?).ok_or(Reject::BadBytes)?;
        let duration = bare(run - 2)?;
        let header = |k: usize| match items[run + k] {
            Item::Quoted(v) => dash_none(v),
            Item::Bare(_) => None,
        };
        let chain = header(0).ok_or(Reject::BadClient)?;
        let client = first_hop(chain).ok_or(Reject::BadClient)?;
        Ok(RawRecord {
            client,
            user: None,
            time,
            request: Request::parse(request),
            status,
            bytes,
            referer: None,
            user_agent: header(1),
            vhost: header(3),
            forwarded_for: Some(chain),
            duration_us: digits(duration).map(|ms| ms.saturating_mul(1000)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTTP: &str = r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "203.0.113.7, 10.0.0.2" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "198.51.100.2:9000""#;

    fn parse(line: &str) -> Result<RawRecord<'_>, Reject> {
        Envoy.parse(line.as_bytes(), &mut ParseContext::default())
    }

    #[test]
    fn ambassadors_access_prefix() {
        let line = format!("ACCESS {HTTP}");
        assert_eq!(parse(&line).map(|r| r.status), Ok(204));
        assert_eq!(
            parse(&format!("access {HTTP}")).map(|_| ()),
            Err(Reject::Malformed)
        );
    }

    #[test]
    fn documented_layout() {
        let r = parse(HTTP).unwrap();
        assert_eq!(
            (r.client, r.time, r.status, r.bytes, r.duration_us),
            (&b"203.0.113.7"[..], 1_460_751_420, 204, 0, Some(226_000))
        );
        assert_eq!(r.forwarded_for, Some(&b"203.0.113.7, 10.0.0.2"[..]));
        assert_eq!(r.user_agent, Some(&b"nsq2http"[..]));
        assert_eq!(r.vhost, Some(&b"locations"[..]));
        assert_eq!(
            r.request,
            Request::Http {
                method: b"POST",
                target: b"/api/v1/locations",
                protocol: b"HTTP/2"
            }
        );
        assert_eq!(Envoy.skip(HTTP.as_bytes()), None);
    }

    #[test]
    fn istio_fields_in_the_middle_and_trailing_fields() {
        let line = r#"[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "192.0.2.10" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "127.0.0.1:80" inbound|8000|| 127.0.0.1:41854 10.44.1.27:80 10.44.1.23:37652 outbound_.8000_._.httpbin.foo.svc.cluster.local default"#;
        let r = parse(line).unwrap();
        assert_eq!(
            (r.client, r.status, r.bytes, r.duration_us),
            (&b"192.0.2.10"[..], 418, 135, Some(4000))
        );
        assert_eq!(r.vhost, Some(&b"httpbin:8000"[..]));
    }

    #[test]
    fn tcp_records_are_skipped_and_requests_without_a_client_rejected() {
        let tcp = r#"[2016-04-15T20:17:00.310Z] "- - -" 0 UF,URX 0 0 0 - "-" "-" "-" "-" "198.51.100.2:9200""#;
        assert_eq!(Envoy.skip(tcp.as_bytes()), Some(Skip::Event));
        let no_xff = HTTP.replace(r#""203.0.113.7, 10.0.0.2""#, r#""-""#);
        assert_eq!(parse(&no_xff).map(|_| ()), Err(Reject::BadClient));
        assert_eq!(Envoy.skip(no_xff.as_bytes()), None);
        assert_eq!(Envoy.skip(b""), Some(Skip::Blank));
    }

    #[test]
    fn rejections() {
        for (from, to, why) in [
            (
                "2016-04-15T20:17:00.310Z",
                "2016-04-31T20:17:00Z",
                Reject::BadTimestamp,
            ),
            (" 204 ", " 20x ", Reject::BadStatus),
            (" 154 0 ", " 154 x ", Reject::BadBytes),
            (r#" "nsq2http" "#, r#" nsq2http "#, Reject::Malformed),
            (r#""198.51.100.2:9000""#, "", Reject::Truncated),
            (
                r#""198.51.100.2:9000""#,
                r#""198.51.100.2:9000"#,
                Reject::UnterminatedQuote,
            ),
        ] {
            let line = HTTP.replacen(from, to, 1);
            assert_eq!(parse(&line).map(|_| ()), Err(why), "{line}");
        }
        assert_eq!(parse("").map(|_| ()), Err(Reject::Malformed));
        assert_eq!(
            parse(r#"[2016-04-15T20:17:00.310Z] "GET / HTTP/1.1"#).map(|_| ()),
            Err(Reject::UnterminatedQuote)
        );
    }
}
