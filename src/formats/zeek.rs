//! Zeek's (formerly Bro's) `http.log` in its default tab-separated form:
//!
//! ```text
//! #fields ts uid id.orig_h id.orig_p id.resp_h id.resp_p trans_depth method host
//!   uri referrer version user_agent [origin] request_body_len response_body_len
//!   status_code status_msg info_code info_msg tags username password …
//! ```
//!
//! A [`LogFormat`] is a stateless line parser, so the `#fields` header is
//! not read: its `#` lines are skipped as comments and each record is read
//! in Zeek's documented default column order, checked by shape (epoch
//! time, connection uid, addresses and ports, counts). Zeek 3 added
//! `origin` after `user_agent`; the two layouts are told apart by whether
//! the column there is a count. The trade-off: an http.log whose columns
//! were reordered or cut by a custom logging filter is rejected, not
//! misread; and Bro 2.1 and older, without `version`, are not read.
//!
//! `ts` is Unix seconds with a fraction. `-` marks an unset field and
//! `(empty)` an empty one; a `-` status means no response was seen
//! (counted, as [`NO_RESPONSE`]). `host` is the site and
//! `response_body_len` the bytes. `username` (HTTP basic authentication) is
//! the record's user, veiled; `password` and `proxied` (header values that
//! may hold addresses) are never read. Zeek logs no duration per request.

use super::fields::{number, plausible_client, strip_port};
use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request};

/// Zeek http.log, tab-separated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Zeek;

/// Columns of the default layout up to `user_agent`.
const USER_AGENT: usize = 12;

/// Columns from `status_code` to `username`: `status_msg info_code
/// info_msg tags` lie between.
const STATUS_TO_USERNAME: usize = 5;

/// The most columns looked at; the rest of the line is not split.
const MAX_COLUMNS: usize = 24;

/// `-` (unset) and `(empty)` are no value.
fn value(v: &[u8]) -> Option<&[u8]> {
    (!matches!(v, b"-" | b"(empty)" | b"")).then_some(v)
}

/// Unix seconds from `ts` (`1320279566.452687`).
fn epoch(ts: &[u8]) -> Option<i64> {
    let (whole, frac) = match memchr::memchr(b'.', ts) {
        Some(p) => (&ts[..p], &ts[p + 1..]),
        None => (ts, &b""[..]),
    };
    if !frac.iter().all(u8::is_ascii_digit) || whole.len() > 12 {
        return None;
    }
    number(whole).and_then(|s| i64::try_from(s).ok())
}

/// The protocol of `version` as a request line writes it.
fn protocol(version: &[u8]) -> &'static [u8] {
    match version {
        b"1.1" => b"HTTP/1.1",
        b"1.0" => b"HTTP/1.0",
        b"2" | b"2.0" => b"HTTP/2.0",
        b"3" | b"3.0" => b"HTTP/3",
        _ => b"",
    }
}

/// A version column: `-` or digits and dots (`1.1`).
fn is_version(v: &[u8]) -> bool {
    v == b"-" || (!v.is_empty() && v.iter().all(|c| c.is_ascii_digit() || *c == b'.'))
}

impl LogFormat for Zeek {
    fn name(&self) -> &'static str {
        "zeek_http"
    }

    fn description(&self) -> &'static str {
        "Zeek (Bro) http.log, tab-separated, default columns"
    }

    fn parse<'a>(&self, line: &'a [u8], _cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let mut cols = [&b""[..]; MAX_COLUMNS];
        let mut n = 0;
        for c in line.splitn(MAX_COLUMNS, |c| *c == b'\t') {
            cols[n] = c;
            n += 1;
        }
        if n < 2 || memchr::memchr(b'\t', line).is_none() {
            return Err(Reject::Malformed);
        }
        let time = epoch(cols[0]).ok_or(Reject::BadTimestamp)?;
        // Connection uids are `C` and base62.
        let uid = cols[1];
        if !uid.starts_with(b"C") || !uid.iter().all(u8::is_ascii_alphanumeric) {
            return Err(Reject::Malformed);
        }
        if n <= USER_AGENT + 3 {
            return Err(Reject::Truncated);
        }
        let [client, orig_p, server, resp_p, depth] = [cols[2], cols[3], cols[4], cols[5], cols[6]];
        if !plausible_client(client) {
            return Err(Reject::BadClient);
        }
        if !plausible_client(server)
            || [orig_p, resp_p, depth].iter().any(|v| number(v).is_none())
            || !is_version(cols[11])
        {
            return Err(Reject::Malformed);
        }
        // `request_body_len response_body_len status_code`, after an
        // `origin` column in Zeek 3 and later.
        let counts = if number(cols[USER_AGENT + 1]).is_some() {
            USER_AGENT + 1
        } else {
            USER_AGENT + 2
        };
        if counts + 2 >= n {
            return Err(Reject::Truncated);
        }
        let bytes = number(cols[counts + 1]).ok_or(Reject::BadBytes)?;
        let status = match cols[counts + 2] {
            b"-" => NO_RESPONSE,
            s => number(s)
                .filter(|s| (100..1000).contains(s))
                .ok_or(Reject::BadStatus)? as u16,
        };
        let username = counts + 2 + STATUS_TO_USERNAME;
        let user = (username < n).then(|| value(cols[username])).flatten();
        let request = match (value(cols[7]), value(cols[9])) {
            (None, _) => Request::Missing,
            (Some(method), Some(target)) => Request::Http {
                method,
                target,
                protocol: protocol(cols[11]),
            },
            (Some(_), None) => Request::Invalid,
        };
        Ok(RawRecord {
            client,
            user,
            time,
            request,
            status,
            bytes,
            referer: value(cols[10]),
            user_agent: value(cols[USER_AGENT]),
            vhost: value(cols[8]).map(strip_port),
            forwarded_for: None,
            duration_us: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<RawRecord<'_>, Reject> {
        Zeek.parse(line.as_bytes(), &mut ParseContext::default())
    }

    fn tsv(cols: &[&str]) -> String {
        cols.join("\t")
    }

    const BRO_25: &[&str] = &[
        "1320279566.452687",
        "CwFs1P2UcUdlSxD2La",
        "192.0.2.76",
        "52026",
        "198.51.100.19",
        "80",
        "1",
        "GET",
        "www.example.com",
        "/a?b=1",
        "-",
        "1.1",
        "Mozilla/5.0",
        "0",
        "109978",
        "200",
        "OK",
        "-",
        "-",
        "(empty)",
        "-",
        "-",
        "-",
        "-",
    ];

    #[test]
    fn default_columns_with_and_without_origin() {
        let line = tsv(BRO_25);
        let r = parse(&line).unwrap();
        assert_eq!(
            (r.client, r.time, r.status, r.bytes),
            (&b"192.0.2.76"[..], 1_320_279_566, 200, 109_978)
        );
        assert_eq!(
            (r.vhost, r.referer, r.user),
            (Some(&b"www.example.com"[..]), None, None)
        );
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/a?b=1",
                protocol: b"HTTP/1.1"
            }
        );
        let mut zeek3 = BRO_25.to_vec();
        zeek3.insert(13, "https://www.example.com");
        zeek3[21] = "alice";
        let line = tsv(&zeek3);
        let r = parse(&line).unwrap();
        assert_eq!(
            (r.status, r.bytes, r.user),
            (200, 109_978, Some(&b"alice"[..]))
        );
    }

    #[test]
    fn no_response_and_damaged_lines() {
        let mut cols = BRO_25.to_vec();
        cols[15] = "-";
        cols[14] = "0";
        assert_eq!(parse(&tsv(&cols)).unwrap().status, NO_RESPONSE);
        let mut cols = BRO_25.to_vec();
        cols[0] = "2011-11-03";
        assert_eq!(parse(&tsv(&cols)), Err(Reject::BadTimestamp));
        assert_eq!(parse(&tsv(&BRO_25[..12])), Err(Reject::Truncated));
        let mut cols = BRO_25.to_vec();
        cols[2] = "not an address";
        assert_eq!(parse(&tsv(&cols)), Err(Reject::BadClient));
        assert_eq!(parse("#fields\tts\tuid"), Err(Reject::BadTimestamp));
    }
}
