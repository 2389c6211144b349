//! Amazon S3 server access logs: one space-separated record per request,
//!
//! ```text
//! bucket_owner bucket [time] remote_ip requester request_id operation key
//!   "request_uri" http_status error_code bytes_sent object_size total_time
//!   turn_around_time "referer" "user_agent" version_id host_id sig_version
//!   cipher_suite auth_type host_header tls_version access_point_arn acl_required …
//! ```
//!
//! Logs written before 2017 end after `version_id` (18 fields), and AWS
//! appends fields over time, so everything after the user agent is
//! optional and unknown trailing fields are ignored. Any field may be `-`.
//!
//! Privacy: the bucket owner and the requester are canonical user ids or
//! IAM ARNs, that is identifiers. The requester becomes the record's user
//! (veiled); the owner, request id and host id are dropped. The object key
//! is not read (the request URI carries the same path). The site is the
//! `Host` header when logged, else the bucket. `total_time` is in
//! milliseconds.
//!
//! Trade-off: a record with remote IP `-` (S3's own lifecycle actions,
//! which are no client's request) is rejected as `bad_client` rather than
//! counted under a made-up client.

use super::fields::{
    bracketed, dash_none, field, number, plausible_client, quoted, spaces, strip_port, token,
};
use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request};
use crate::time;

/// Amazon S3 server access log.
#[derive(Debug, Clone, Copy, Default)]
pub struct S3;

/// The fields between the user agent and the `Host` header: `version_id
/// host_id sig_version cipher_suite auth_type`.
const BEFORE_HOST_HEADER: usize = 5;

/// The next space-separated token, after the separating spaces.
fn next(i: &[u8], reason: Reject) -> Result<(&[u8], &[u8]), Reject> {
    let (i, ()) = field(i, spaces, Reject::Truncated)?;
    field(i, token, reason)
}

/// The next quoted field, after the separating spaces.
fn next_quoted(i: &[u8]) -> Result<(&[u8], &[u8]), Reject> {
    let (i, ()) = field(i, spaces, Reject::Truncated)?;
    match quoted(i) {
        Ok(ok) => Ok(ok),
        Err(_) if i.starts_with(b"\"") => Err(Reject::UnterminatedQuote),
        Err(_) => Err(Reject::Malformed),
    }
}

impl LogFormat for S3 {
    fn name(&self) -> &'static str {
        "s3"
    }

    fn description(&self) -> &'static str {
        "Amazon S3 server access log (18-field legacy and current layouts)"
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let (i, _owner) = field(line, token, Reject::Malformed)?;
        let (i, bucket) = next(i, Reject::BadVhost)?;
        let (i, ()) = field(i, spaces, Reject::Truncated)?;
        let (i, ts) = match bracketed(i) {
            Ok(ok) => ok,
            Err(_) if i.starts_with(b"[") => return Err(Reject::Truncated),
            Err(_) => return Err(Reject::Malformed),
        };
        let time = cx
            .time
            .get(ts, time::parse_clf)
            .ok_or(Reject::BadTimestamp)?;
        let (i, client) = next(i, Reject::BadClient)?;
        if !plausible_client(client) {
            return Err(Reject::BadClient);
        }
        let (i, requester) = next(i, Reject::Malformed)?;
        let (i, _request_id) = next(i, Reject::Malformed)?;
        let (i, operation) = next(i, Reject::Malformed)?;
        // `REST.GET.OBJECT`, `WEBSITE.GET.OBJECT`, `S3.EXPIRE.OBJECT`: a
        // dotted upper-case name, which tells these lines from others.
        if !operation.contains(&b'.')
            || !operation
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || b"._-".contains(c))
        {
            return Err(Reject::Malformed);
        }
        let (i, _key) = next(i, Reject::Malformed)?;
        let (i, request) = next_quoted(i)?;
        let (i, status) = next(i, Reject::BadStatus)?;
        let status = match status {
            b"-" => NO_RESPONSE,
            s => number(s)
                .filter(|s| (100..1000).contains(s))
                .ok_or(Reject::BadStatus)? as u16,
        };
        let (i, _error_code) = next(i, Reject::Malformed)?;
        let (i, bytes) = next(i, Reject::BadBytes)?;
        let bytes = match bytes {
            b"-" => 0,
            b => number(b).ok_or(Reject::BadBytes)?,
        };
        let (i, _object_size) = next(i, Reject::Malformed)?;
        let (i, total_ms) = next(i, Reject::Malformed)?;
        let (i, _turn_around) = next(i, Reject::Malformed)?;
        let (i, referer) = next_quoted(i)?;
        let (mut i, user_agent) = next_quoted(i)?;
        let mut host_header = None;
        for n in 0..=BEFORE_HOST_HEADER {
            match next(i, Reject::Malformed) {
                Ok((rest, value)) => {
                    i = rest;
                    if n == BEFORE_HOST_HEADER {
                        host_header = dash_none(value);
                    }
                }
                // The line ends early: an older layout.
                Err(Reject::Truncated) if i.trim_ascii().is_empty() => break,
                Err(r) => return Err(r),
            }
        }
        Ok(RawRecord {
            client,
            user: dash_none(requester),
            time,
            request: Request::parse(request),
            status,
            bytes,
            referer: dash_none(referer),
            user_agent: dash_none(user_agent),
            vhost: host_header.or(dash_none(bucket)).map(strip_port),
            forwarded_for: None,
            duration_us: number(total_ms).map(|ms| ms.saturating_mul(1000)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[u8]) -> Result<RawRecord<'_>, Reject> {
        S3.parse(line, &mut ParseContext::default())
    }

    const CURRENT: &[u8] = br#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1"#;

    #[test]
    fn documented_current_layout() {
        let r = parse(CURRENT).unwrap();
        assert_eq!(r.client, b"192.0.2.3");
        assert_eq!(
            r.user,
            Some(&b"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"[..])
        );
        assert_eq!(r.time, time::days_from_civil(2019, 2, 6) * time::DAY + 38);
        assert_eq!((r.status, r.bytes, r.duration_us), (200, 113, Some(7_000)));
        assert_eq!(
            r.vhost,
            Some(&b"amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com"[..])
        );
        assert_eq!(
            (r.referer, r.user_agent),
            (None, Some(&b"S3Console/0.4"[..]))
        );
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/amzn-s3-demo-bucket1?versioning",
                protocol: b"HTTP/1.1"
            }
        );
    }

    #[test]
    fn legacy_layout_takes_the_bucket_as_site() {
        let line = br#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be example-bucket [05/Oct/2012:15:24:46 +0000] 198.51.100.7 - CE74FF983317B326 REST.GET.OBJECT img/a.jpg "GET /example-bucket/img/a.jpg HTTP/1.1" 200 - 9515 9515 42 41 "http://www.example.com/" "Mozilla/5.0" -"#;
        let r = parse(line).unwrap();
        assert_eq!((r.client, r.user), (&b"198.51.100.7"[..], None));
        assert_eq!(r.vhost, Some(&b"example-bucket"[..]));
        assert_eq!(r.referer, Some(&b"http://www.example.com/"[..]));
        assert_eq!((r.bytes, r.duration_us), (9515, Some(42_000)));
        // Older still: nothing after the agent.
        let short = &line[..line.len() - 2];
        assert_eq!(parse(short).unwrap().vhost, Some(&b"example-bucket"[..]));
    }

    #[test]
    fn damaged_lines_are_rejected_with_a_reason() {
        let text = std::str::from_utf8(CURRENT).unwrap();
        let cases = [
            (text.replace("192.0.2.3 ", "- "), Reject::BadClient),
            (text.replace("06/Feb", "31/Feb"), Reject::BadTimestamp),
            (text.replace(" 200 ", " 2x0 "), Reject::BadStatus),
            (text.replace(" 113 ", " 11x "), Reject::BadBytes),
            (
                text[..text.find("HTTP/1.1").unwrap()].to_string(),
                Reject::UnterminatedQuote,
            ),
            (
                text[..text.find(" 200").unwrap()].to_string(),
                Reject::Truncated,
            ),
            (
                text.replace("REST.GET.VERSIONING", "rest"),
                Reject::Malformed,
            ),
        ];
        for (line, reason) in cases {
            assert_eq!(parse(line.as_bytes()), Err(reason), "{line}");
        }
    }
}
