//! W3C extended log files (IIS), driven by their `#Fields:` headers.
//!
//! `#Fields: date time s-ip cs-method cs-uri-stem …` names the columns of
//! the lines that follow, and a file may change its fields mid-way (IIS
//! writes a new header when the configuration changes or the service
//! restarts). A [`W3cFields`] is compiled per header; the pipeline cuts a
//! file at its `#Fields:` lines and parses each segment with its own
//! columns. Values are separated by single spaces; IIS writes spaces inside
//! values as `+` and empty values as `-`. Times are UTC, as IIS logs them by
//! default; `time-taken` is in milliseconds.

use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request, Skip};
use crate::time;

/// Prefix of the header that names the columns.
pub const FIELDS: &[u8] = b"#Fields:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Date,
    Time,
    Client,
    User,
    Method,
    Stem,
    Query,
    Status,
    Bytes,
    Referer,
    UserAgent,
    Host,
    Site,
    Protocol,
    TimeTaken,
    XForwardedFor,
    Other,
}

/// The columns of one `#Fields:` header.
#[derive(Debug, Clone)]
pub struct W3cFields {
    cols: Vec<Col>,
}

impl W3cFields {
    /// Compiles a `#Fields:` line; `None` if it is not one or lacks the
    /// columns every record needs (a client and a time).
    pub fn from_header(line: &[u8]) -> Option<W3cFields> {
        let rest = line.strip_prefix(FIELDS)?;
        let text = std::str::from_utf8(rest).ok()?;
        let cols: Vec<Col> = text
            .split_ascii_whitespace()
            .map(|f| match f.to_ascii_lowercase().as_str() {
                "date" => Col::Date,
                "time" => Col::Time,
                "c-ip" => Col::Client,
                "cs-username" => Col::User,
                "cs-method" => Col::Method,
                "cs-uri-stem" => Col::Stem,
                "cs-uri-query" => Col::Query,
                "sc-status" => Col::Status,
                "sc-bytes" => Col::Bytes,
                "cs(referer)" => Col::Referer,
                "cs(user-agent)" => Col::UserAgent,
                "cs-host" | "cs(host)" => Col::Host,
                "s-sitename" => Col::Site,
                "cs-version" => Col::Protocol,
                "time-taken" => Col::TimeTaken,
                "cs(x-forwarded-for)" | "x-forwarded-for" => Col::XForwardedFor,
                _ => Col::Other,
            })
            .collect();
        let has = |c| cols.contains(&c);
        (has(Col::Client) && has(Col::Time)).then_some(W3cFields { cols })
    }
}

fn dash(v: &[u8]) -> Option<&[u8]> {
    (v != b"-" && !v.is_empty()).then_some(v)
}

fn digits(v: &[u8]) -> Option<u64> {
    (!v.is_empty() && v.len() <= 19 && v.iter().all(u8::is_ascii_digit))
        .then(|| v.iter().fold(0u64, |a, &c| a * 10 + u64::from(c - b'0')))
}

/// `YYYY-MM-DD` and `HH:MM:SS` (UTC) to Unix seconds.
fn timestamp(date: &[u8], clock: &[u8]) -> Option<i64> {
    let d = std::str::from_utf8(date).ok()?;
    let mut p = d.split('-');
    let (y, m, day): (i64, u32, u32) = (
        p.next()?.parse().ok()?,
        p.next()?.parse().ok()?,
        p.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&m) || day == 0 || day > time::days_in_month(y, m) {
        return None;
    }
    let c = std::str::from_utf8(clock).ok()?;
    let mut t = c.split(':');
    let (h, mi): (i64, i64) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    let s: i64 = t
        .next()
        .map_or(Some(0), |x| x.split('.').next()?.parse().ok())?;
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(time::days_from_civil(y, m, day) * time::DAY + h * time::HOUR + mi * 60 + s)
}

impl LogFormat for W3cFields {
    fn name(&self) -> &'static str {
        "w3c"
    }

    fn description(&self) -> &'static str {
        "W3C extended / IIS, columns from each #Fields: header"
    }

    fn skip(&self, line: &[u8]) -> Option<Skip> {
        match super::default_skip(line) {
            Some(Skip::Comment) => Some(Skip::Header),
            other => other,
        }
    }

    fn parse<'a>(&self, line: &'a [u8], _cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        // IIS separates values with spaces; CloudFront (same header
        // scheme) with tabs.
        let sep = if memchr::memchr(b'\t', line).is_some() {
            b'\t'
        } else {
            b' '
        };
        let mut values: Vec<&[u8]> = line.split(|c| *c == sep).collect();
        // CloudFront's documented example log ends a record with a stray
        // tab: an empty value past the last column is not a column.
        if values.len() == self.cols.len() + 1 && values.last().is_some_and(|v| v.is_empty()) {
            values.pop();
        }
        if values.len() < self.cols.len() {
            return Err(Reject::Truncated);
        }
        if values.len() > self.cols.len() {
            return Err(Reject::Malformed);
        }
        let get = |c: Col| self.cols.iter().position(|x| *x == c).map(|i| values[i]);
        let client = get(Col::Client).and_then(dash).ok_or(Reject::BadClient)?;
        let date = get(Col::Date).ok_or(Reject::BadTimestamp)?;
        let time = timestamp(date, get(Col::Time).ok_or(Reject::BadTimestamp)?)
            .ok_or(Reject::BadTimestamp)?;
        let status = match get(Col::Status).map(digits) {
            Some(Some(0)) => NO_RESPONSE,
            Some(Some(s)) if (100..1000).contains(&s) => s as u16,
            Some(_) => return Err(Reject::BadStatus),
            None => 200,
        };
        let bytes = match get(Col::Bytes).and_then(dash) {
            Some(b) => digits(b).ok_or(Reject::BadBytes)?,
            None => 0,
        };
        let request = match get(Col::Stem).and_then(dash) {
            // The query is a separate column; the path alone is what is kept.
            Some(stem) => Request::Http {
                method: get(Col::Method).and_then(dash).unwrap_or(b""),
                target: stem,
                protocol: get(Col::Protocol).and_then(dash).unwrap_or(b""),
            },
            None => Request::Missing,
        };
        Ok(RawRecord {
            client,
            user: get(Col::User).and_then(dash),
            time,
            request,
            status,
            bytes,
            referer: get(Col::Referer).and_then(dash),
            user_agent: get(Col::UserAgent).and_then(dash),
            vhost: get(Col::Host).or(get(Col::Site)).and_then(dash),
            forwarded_for: get(Col::XForwardedFor).and_then(dash),
            // IIS: whole milliseconds; CloudFront: seconds with a fraction.
            duration_us: get(Col::TimeTaken).and_then(|t| match digits(t) {
                Some(ms) => Some(ms.saturating_mul(1000)),
                None => std::str::from_utf8(t)
                    .ok()?
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s >= 0.0)
                    .map(|s| (s * 1e6) as u64),
            }),
        })
    }
}

/// Whether a buffer looks like a W3C extended log (a `#Fields:` line, or the
/// `#Software`/`#Version` directives IIS writes first).
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(b"#Software:")
        || head.starts_with(b"#Version:")
        || head.starts_with(FIELDS)
        || memchr::memmem::find(head, b"\n#Fields:").is_some()
}

/// Byte offsets where each `#Fields:` line starts, in order.
pub fn header_offsets(data: &[u8]) -> Vec<usize> {
    let mut offsets: Vec<usize> = memchr::memmem::find_iter(data, b"\n#Fields:")
        .map(|p| p + 1)
        .collect();
    if data.starts_with(FIELDS) {
        offsets.insert(0, 0);
    }
    offsets
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &[u8] = b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

    #[test]
    fn iis_default_fields() {
        let f = W3cFields::from_header(HEADER).unwrap();
        let line = b"2026-03-28 10:00:05 10.0.0.5 GET /default.aspx id=42 443 - 198.51.100.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://www.google.com/ 200 0 0 31";
        let r = f.parse(line, &mut ParseContext::default()).unwrap();
        assert_eq!(r.client, b"198.51.100.7");
        assert_eq!(
            r.time,
            time::days_from_civil(2026, 3, 28) * time::DAY + 10 * 3600 + 5
        );
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
            f.parse(
                b"2026-03-28 10:00:05 10.0.0.5 GET",
                &mut ParseContext::default()
            ),
            Err(Reject::Truncated)
        );
        assert_eq!(
            f.parse(
                b"2026-02-30 10:00:05 10.0.0.5 GET / - 443 - 1.2.3.4 - - 200 0 0 1",
                &mut ParseContext::default()
            ),
            Err(Reject::BadTimestamp)
        );
        assert_eq!(
            f.skip(b"#Software: Microsoft Internet Information Services 10.0"),
            Some(Skip::Header)
        );
    }

    #[test]
    fn cloudfront_tab_separated() {
        let f = W3cFields::from_header(b"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken").unwrap();
        let line = b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0)\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001";
        let r = f.parse(line, &mut ParseContext::default()).unwrap();
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
        assert!(!sniff(
            b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1"
        ));
    }
}
