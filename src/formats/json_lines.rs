//! JSON access logs, one object per line: nginx `escape=json` formats,
//! Caddy v2 `http.log.access`, Cloudflare Logpush `http_requests`, Traefik.
//!
//! Each line is scanned once, without building a tree: every leaf value is
//! recorded as `(dotted key path, raw bytes)` borrowed from the line, so
//! `request.headers.User-Agent` (Caddy) and `ClientRequestUserAgent`
//! (Cloudflare) are both a lookup away and nothing is copied. String values
//! keep their JSON escapes, as quoted CLF fields keep theirs. Each field is
//! looked up under the names the producers use, in order; numbers that
//! arrive as strings are accepted. Time is RFC 3339 or ISO 8601, Unix
//! seconds (with a fraction), or Unix nanoseconds.

use super::{LogFormat, ParseContext, RawRecord, Reject, Request};

/// JSON-lines access logs.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

/// Leaves of one object: (path, raw value).
type Leaves<'a> = Vec<(Vec<&'a [u8]>, &'a [u8])>;

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    /// A string's raw contents (escapes intact), after its opening quote.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return self.s.get(start..self.i - 1);
                }
                _ => self.i += 1,
            }
        }
        None
    }

    fn value(
        &mut self,
        path: &mut Vec<&'a [u8]>,
        out: &mut Leaves<'a>,
        depth: usize,
    ) -> Option<()> {
        if depth > 16 {
            return None;
        }
        self.ws();
        match *self.s.get(self.i)? {
            b'"' => {
                self.i += 1;
                let v = self.string()?;
                out.push((path.clone(), v));
            }
            b'{' => {
                self.i += 1;
                loop {
                    self.ws();
                    match *self.s.get(self.i)? {
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        b',' => self.i += 1,
                        b'"' => {
                            self.i += 1;
                            let key = self.string()?;
                            self.ws();
                            (self.s.get(self.i)? == &b':').then_some(())?;
                            self.i += 1;
                            path.push(key);
                            self.value(path, out, depth + 1)?;
                            path.pop();
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                // Header values are arrays (`"User-Agent": ["…"]`): the
                // first element stands for the field.
                self.i += 1;
                let mut first = true;
                loop {
                    self.ws();
                    match *self.s.get(self.i)? {
                        b']' => {
                            self.i += 1;
                            break;
                        }
                        b',' => self.i += 1,
                        _ if first => {
                            first = false;
                            self.value(path, out, depth + 1)?;
                        }
                        _ => {
                            let mut ignore = Vec::new();
                            self.value(path, &mut ignore, depth + 1)?;
                        }
                    }
                }
            }
            _ => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
                out.push((path.clone(), &self.s[start..self.i]));
            }
        }
        Some(())
    }
}

/// The leaves of a JSON object line, or `None` if it is not one.
fn leaves(line: &[u8]) -> Option<Leaves<'_>> {
    let mut sc = Scanner { s: line, i: 0 };
    sc.ws();
    (sc.s.get(sc.i) == Some(&b'{')).then_some(())?;
    let mut out = Vec::new();
    sc.value(&mut Vec::new(), &mut out, 0)?;
    sc.ws();
    (sc.i == line.len()).then_some(out)
}

/// Whether a leaf's path is the dotted `name`, ignoring case.
fn path_is(path: &[&[u8]], name: &str) -> bool {
    let mut parts = name.split('.');
    path.iter().all(|p| {
        parts
            .next()
            .is_some_and(|n| n.as_bytes().eq_ignore_ascii_case(p))
    }) && parts.next().is_none()
}

fn find<'a>(leaves: &Leaves<'a>, names: &[&str]) -> Option<&'a [u8]> {
    names.iter().find_map(|name| {
        leaves
            .iter()
            .find(|(path, _)| path_is(path, name))
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty() && *v != b"-" && *v != b"null")
    })
}

/// Where producers put the status.
const STATUS: &[&str] = &[
    "status",
    "EdgeResponseStatus",
    "DownstreamStatus",
    "OriginStatus",
    "response_status",
];

fn number(v: &[u8]) -> Option<f64> {
    std::str::from_utf8(v)
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

/// What the manifest says of an input whose times carried no zone, beside
/// W3C's [`super::w3c::LOCAL_TIME_NOTE`].
pub const ZONELESS_TIME_NOTE: &str = "times logged without a zone (Caddy `wall` time formats), the server's clock in a zone the log does not name, read in settings.local_timezone (UTC unless --local-timezone names another)";

/// RFC 3339 or ISO 8601, CLF, Unix seconds (with fraction), milliseconds or
/// nanoseconds, or Caddy's `wall` formats, which carry no zone.
fn time_of(v: &[u8], cx: &mut ParseContext) -> Option<i64> {
    if let Some(t) = cx.time.get(v, crate::time::parse_clf) {
        return Some(t);
    }
    if let Ok(text) = std::str::from_utf8(v) {
        // RFC 3339, or ISO 8601 with a `+hhmm` offset (Caddy's `iso8601`
        // time format with `time_local`).
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text)
            .or_else(|_| chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        {
            return Some(t.timestamp());
        }
        // `wall`, `wall_milli`, `wall_nano`: `2006/01/02 15:04:05[.000]`,
        // the server's clock in a zone the log does not name. Read in
        // `--local-timezone` (UTC unless given), as W3C `-local` times
        // are, and counted for the manifest's note; rejecting them lost
        // every line of such a log.
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y/%m/%d %H:%M:%S%.f") {
            cx.zoneless_times += 1;
            return cx.local.to_utc(t.and_utc().timestamp());
        }
    }
    let n = number(v)?;
    // Seconds until year 5138; beyond that milliseconds, then nanoseconds.
    let seconds = if n < 1e11 {
        n
    } else if n < 1e14 {
        n / 1e3
    } else {
        n / 1e9
    };
    (seconds >= 0.0).then_some(seconds as i64)
}

/// The unit a producer documents for its duration field.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Seconds,
    Millis,
    Nanos,
    /// Caddy: seconds as a float, or whole nanoseconds with
    /// `duration_format nano`.
    SecondsOrNanos,
}

/// Duration fields by exact name, since the case tells producers apart:
/// Traefik's `Duration` is nanoseconds, Caddy's `duration` seconds.
const DURATIONS: &[(&str, Unit)] = &[
    ("request_time", Unit::Seconds),            // nginx
    ("duration", Unit::SecondsOrNanos),         // Caddy
    ("Duration", Unit::Nanos),                  // Traefik
    ("OriginResponseDurationMs", Unit::Millis), // Cloudflare
    ("OriginResponseTime", Unit::Nanos),        // Cloudflare, deprecated
];

/// The response time in microseconds, in the unit of the field it came
/// from: guessing the unit from the size of the number misread every
/// sub-millisecond nanosecond count as seconds.
fn duration_us(leaves: &Leaves<'_>) -> Option<u64> {
    DURATIONS.iter().find_map(|&(key, unit)| {
        let raw = leaves
            .iter()
            .find(|(path, _)| path.len() == 1 && path[0] == key.as_bytes())
            .map(|(_, v)| *v)?;
        let d = number(raw).filter(|d| *d >= 0.0)?;
        let whole = !raw.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
        let us = match unit {
            Unit::Seconds => d * 1e6,
            Unit::Millis => d * 1e3,
            Unit::Nanos => d / 1e3,
            Unit::SecondsOrNanos if whole => d / 1e3,
            Unit::SecondsOrNanos => d * 1e6,
        };
        Some(us as u64)
    })
}

impl LogFormat for JsonLines {
    fn name(&self) -> &'static str {
        "json"
    }

    fn description(&self) -> &'static str {
        "JSON lines: nginx escape=json, Caddy v2, Cloudflare Logpush, Traefik"
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let l = leaves(line).ok_or(if line.trim_ascii_start().starts_with(b"{") {
            Reject::Truncated
        } else {
            Reject::Malformed
        })?;
        let client = find(
            &l,
            &[
                "remote_addr",
                "request.remote_ip",
                "request.client_ip",
                "remote_ip",
                "client_ip",
                "ClientIP",
                "ClientHost",
                "ClientAddr",
                "ip",
            ],
        )
        .ok_or(Reject::BadClient)?;
        let when = find(
            &l,
            &[
                "time_iso8601",
                "time_local",
                "ts",
                "timestamp",
                "time",
                "EdgeStartTimestamp",
                "StartUTC",
                "@timestamp",
            ],
        )
        .ok_or(Reject::BadTimestamp)?;
        let time = time_of(when, cx).ok_or(Reject::BadTimestamp)?;
        let carries_status = l
            .iter()
            .any(|(path, _)| STATUS.iter().any(|name| path_is(path, name)));
        let status = match find(&l, STATUS) {
            Some(s) => number(s)
                .filter(|s| (100.0..1000.0).contains(s))
                .ok_or(Reject::BadStatus)? as u16,
            None if carries_status => return Err(Reject::BadStatus),
            // A log whose fields leave the status out (a Cloudflare job
            // without EdgeResponseStatus) counts the request as answered,
            // as W3C and `--log-format` layouts without one do.
            None => 200,
        };
        let bytes = find(
            &l,
            &[
                "body_bytes_sent",
                "bytes_sent",
                "size",
                "EdgeResponseBytes",
                "DownstreamContentSize",
                "bytes",
            ],
        )
        .and_then(number)
        .map_or(0, |b| b.max(0.0) as u64);
        let request = match find(&l, &["request"]) {
            Some(r) if r.contains(&b' ') => Request::parse(r),
            _ => match find(
                &l,
                &[
                    "request_uri",
                    "request.uri",
                    "uri",
                    "ClientRequestURI",
                    "RequestPath",
                    "path",
                ],
            ) {
                Some(target) => Request::Http {
                    method: find(
                        &l,
                        &[
                            "request_method",
                            "request.method",
                            "method",
                            "ClientRequestMethod",
                            "RequestMethod",
                        ],
                    )
                    .unwrap_or(b""),
                    target,
                    protocol: find(
                        &l,
                        &[
                            "server_protocol",
                            "request.proto",
                            "protocol",
                            "ClientRequestProtocol",
                            "RequestProtocol",
                        ],
                    )
                    .unwrap_or(b""),
                },
                None => Request::Missing,
            },
        };
        let duration_us = duration_us(&l);
        Ok(RawRecord {
            client,
            user: find(&l, &["remote_user", "user_id", "ClientRequestUser"]),
            time,
            request,
            status,
            bytes,
            referer: find(
                &l,
                &[
                    "http_referer",
                    "referer",
                    "request.headers.Referer",
                    "ClientRequestReferer",
                    "request_Referer",
                ],
            ),
            user_agent: find(
                &l,
                &[
                    "http_user_agent",
                    "user_agent",
                    "request.headers.User-Agent",
                    "ClientRequestUserAgent",
                    "request_User-Agent",
                ],
            ),
            vhost: find(
                &l,
                &[
                    "host",
                    "server_name",
                    "request.host",
                    "ClientRequestHost",
                    "RequestHost",
                    "http_host",
                ],
            ),
            forwarded_for: find(
                &l,
                &[
                    "http_x_forwarded_for",
                    "request.headers.X-Forwarded-For",
                    "request_X-Forwarded-For",
                ],
            ),
            duration_us,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<RawRecord<'_>, Reject> {
        JsonLines.parse(line.as_bytes(), &mut ParseContext::default())
    }

    #[test]
    fn nginx_escape_json() {
        let r = parse(r#"{"time_local":"10/Oct/2000:13:55:36 -0700","remote_addr":"192.0.2.1","remote_user":"","request":"GET /a?b=1 HTTP/1.1","status": "200","body_bytes_sent":"512","request_time":"0.004","http_referrer":"","http_referer":"https://x.example/","http_user_agent":"curl/8 \"q\"","http_x_forwarded_for":"-"}"#).unwrap();
        assert_eq!(
            (r.client, r.time, r.status, r.bytes),
            (&b"192.0.2.1"[..], 971_211_336, 200, 512)
        );
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/a?b=1",
                protocol: b"HTTP/1.1"
            }
        );
        assert_eq!(r.user_agent, Some(&br#"curl/8 \"q\""#[..]));
        assert_eq!(r.duration_us, Some(4000));
        assert_eq!(r.user, None);
        assert_eq!(r.forwarded_for, None);
    }

    #[test]
    fn caddy_v2_access_log() {
        let r = parse(r#"{"level":"info","ts":971211336.123,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"2001:db8::1","remote_port":"5678","proto":"HTTP/2.0","method":"GET","host":"www.example.edu","uri":"/news?page=2","headers":{"User-Agent":["Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"],"Referer":["https://www.google.com/"]}},"bytes_read":0,"user_id":"","duration":0.0012,"size":5120,"status":200}"#).unwrap();
        assert_eq!(
            (r.client, r.time, r.status, r.bytes),
            (&b"2001:db8::1"[..], 971_211_336, 200, 5120)
        );
        assert_eq!(r.vhost, Some(&b"www.example.edu"[..]));
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/news?page=2",
                protocol: b"HTTP/2.0"
            }
        );
        assert_eq!(
            r.user_agent,
            Some(&b"Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"[..])
        );
        assert_eq!(r.referer, Some(&b"https://www.google.com/"[..]));
        assert_eq!(r.duration_us, Some(1200));
        // `time_format iso8601` with `time_local`: the offset has no colon.
        let local = parse(r#"{"ts":"2022-03-09T23:30:04.518+0100","request":{"remote_ip":"192.0.2.1","method":"GET","uri":"/"},"status":200}"#).unwrap();
        assert_eq!(local.time, 1_646_865_004);
        assert_eq!(
            parse(r#"{"ts":"2022-03-09T23:30:04.518+01","request":{"remote_ip":"192.0.2.1"},"status":200}"#).unwrap_err(),
            Reject::BadTimestamp
        );
    }

    #[test]
    fn caddy_wall_times_are_read_as_utc_and_counted() {
        let mut cx = ParseContext::default();
        for (ts, want) in [
            ("2022/03/09 23:30:04", 1_646_868_604),
            ("2022/03/09 23:30:04.518", 1_646_868_604),
            ("2022/03/09 23:30:04.518123456", 1_646_868_604),
        ] {
            let line = format!(
                r#"{{"ts":"{ts}","request":{{"remote_ip":"192.0.2.1","method":"GET","uri":"/"}},"status":200}}"#
            );
            assert_eq!(
                JsonLines.parse(line.as_bytes(), &mut cx).unwrap().time,
                want
            );
        }
        assert_eq!(cx.zoneless_times, 3);
        // A zone-less time that is no date is still rejected.
        let bad =
            r#"{"ts":"2022/13/09 23:30:04","request":{"remote_ip":"192.0.2.1"},"status":200}"#;
        assert_eq!(
            JsonLines.parse(bad.as_bytes(), &mut cx).unwrap_err(),
            Reject::BadTimestamp
        );
    }

    #[test]
    fn cloudflare_and_traefik() {
        let cf = parse(r#"{"ClientIP":"198.51.100.7","ClientRequestHost":"www.example.edu","ClientRequestMethod":"POST","ClientRequestURI":"/login","ClientRequestProtocol":"HTTP/1.1","ClientRequestUserAgent":"curl/8","ClientRequestReferer":"","EdgeResponseBytes":321,"EdgeResponseStatus":302,"EdgeStartTimestamp":"2000-10-10T20:55:36Z"}"#).unwrap();
        assert_eq!(
            (cf.client, cf.time, cf.status, cf.bytes),
            (&b"198.51.100.7"[..], 971_211_336, 302, 321)
        );
        let nanos = parse(r#"{"ClientIP":"198.51.100.7","ClientRequestURI":"/","EdgeResponseStatus":200,"EdgeStartTimestamp":971211336000000000}"#).unwrap();
        assert_eq!(nanos.time, 971_211_336);
        // The documented Logpush output example selects no status field.
        let bare = parse(r#"{"ClientIP":"198.51.100.7","EdgeStartTimestamp":1506702504433000200,"RayID":"3a6050bcbe121a87"}"#).unwrap();
        assert_eq!((bare.status, bare.request), (200, Request::Missing));
        assert_eq!(
            parse(r#"{"ClientIP":"198.51.100.7","EdgeStartTimestamp":1506702504,"EdgeResponseStatus":null}"#).unwrap_err(),
            Reject::BadStatus
        );
        let tr = parse(r#"{"ClientAddr":"203.0.113.5:41234","ClientHost":"203.0.113.5","DownstreamContentSize":99,"DownstreamStatus":404,"Duration":1500000,"RequestHost":"api.example.edu","RequestMethod":"GET","RequestPath":"/v1/x","RequestProtocol":"HTTP/1.1","StartUTC":"2000-10-10T20:55:36.5Z","request_User-Agent":"Go-http-client/1.1"}"#).unwrap();
        assert_eq!(
            (tr.client, tr.status, tr.bytes, tr.duration_us),
            (&b"203.0.113.5"[..], 404, 99, Some(1500))
        );
    }

    #[test]
    fn durations_are_read_in_each_producers_unit() {
        let us = |line: &str| parse(line).unwrap().duration_us;
        let base =
            r#""ClientHost":"192.0.2.1","StartUTC":"2000-10-10T20:55:36Z","DownstreamStatus":308"#;
        // Traefik: always nanoseconds, however small.
        assert_eq!(us(&format!("{{{base},\"Duration\":48210}}")), Some(48));
        // Cloudflare: nanoseconds, or milliseconds in the newer field.
        assert_eq!(
            us(&format!("{{{base},\"OriginResponseTime\":452000}}")),
            Some(452)
        );
        assert_eq!(
            us(&format!("{{{base},\"OriginResponseDurationMs\":37}}")),
            Some(37_000)
        );
        // Caddy: float seconds, or integer nanoseconds (`duration_format nano`).
        assert_eq!(
            us(&format!("{{{base},\"duration\":0.000929675}}")),
            Some(929)
        );
        assert_eq!(us(&format!("{{{base},\"duration\":929675}}")), Some(929));
        // nginx: `$request_time` in seconds, often as a string.
        assert_eq!(
            us(&format!("{{{base},\"request_time\":\"2\"}}")),
            Some(2_000_000)
        );
        // Caddy's `duration_format string` and negative values are no duration.
        assert_eq!(us(&format!("{{{base},\"duration\":\"6.31ms\"}}")), None);
        assert_eq!(us(&format!("{{{base},\"Duration\":-1}}")), None);
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(
            parse(r#"{"remote_addr":"1.2.3.4","status":200"#).unwrap_err(),
            Reject::Truncated
        );
        assert_eq!(
            parse(r#"{"status":200,"time":"2000-10-10T20:55:36Z"}"#).unwrap_err(),
            Reject::BadClient
        );
        assert_eq!(
            parse(r#"{"remote_addr":"1.2.3.4","time":"yesterday","status":200}"#).unwrap_err(),
            Reject::BadTimestamp
        );
        assert_eq!(
            parse(r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#)
                .unwrap_err(),
            Reject::Malformed
        );
        let deep = format!("{}{}", "{\"a\":".repeat(100), "1");
        assert!(parse(&deep).is_err());
    }
}
