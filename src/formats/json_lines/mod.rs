//! JSON access logs, one object per line, recognised by key aliases rather
//! than by producer: nginx `escape=json` layouts (any key names), Caddy v2
//! `http.log.access`, Cloudflare Logpush, Traefik, Zeek `http.log`,
//! Envoy / Istio JSON layouts, Elastic Common Schema, Google Cloud's
//! `httpRequest`.
//!
//! Any object with a client-address key and a time key is a record; the
//! names each field may go by are in `aliases`. A line is scanned once
//! into borrowed leaves (`scan`) and each leaf's key is looked up in an
//! index of the alias names, so a record costs one pass over its line and
//! no copy. Values are read by what they are, not by who wrote them
//! (`values`): numbers may arrive as strings, times in any of the common
//! textual or epoch forms.
//!
//! Objects with no client but a logging library's `level` or `logger` key
//! are a server's own messages (Caddy's start-up and shutdown lines among
//! its access lines) and are skipped as events rather than rejected. A
//! `docker compose logs` prefix (`caddy  | {…}`) before the object is
//! allowed. Not read: a text access line wrapped in another JSON object
//! (Docker's json-file driver around Envoy's default text format); such a
//! line has no client key and is rejected as `bad_client`.
//!
//! CSV logs whose header line names the columns (Cloudflare Logpush's csv
//! output) are read by the same names and assembled by the same code, in
//! [`csv`].
//!
//! A query string given under its own key (nginx `$args`, ECS
//! `url.query`) cannot be joined to a path given without it, since a
//! record only borrows from its line: such a record keeps the path alone.

mod aliases;
pub mod csv;
mod scan;
mod values;

use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request, Skip};
use aliases::{ALIASES, ENVOY_MARKERS, FIELDS, Field, MESSAGE_MARKERS};
use scan::Object;
use values::{duration_us, number, origin_form, time_of};

/// JSON-lines access logs.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

/// What the manifest says of an input whose times carried no zone, beside
/// W3C's [`super::w3c::LOCAL_TIME_NOTE`].
pub const ZONELESS_TIME_NOTE: &str = "times logged without a zone (Caddy `wall` time formats, ISO 8601 without an offset), the server's clock in a zone the log does not name, read in settings.local_timezone (UTC unless the run was given another)";

/// A value that stands for "not logged".
fn absent(v: &[u8]) -> bool {
    v.is_empty() || v == b"-" || v == b"null"
}

/// Each field's best value in one object, and what else the parse needs
/// to know about the object.
struct Fields<'a> {
    /// Per field: the winning alias's position in [`ALIASES`] and its value.
    best: [Option<(usize, &'a [u8])>; FIELDS],
    /// A status key was present, even if its value was absent.
    has_status: bool,
    /// An Envoy or Istio key: `duration` is milliseconds.
    envoy: bool,
    /// A logging library's key: the object may be a server message.
    message: bool,
    /// The unit of the winning duration.
    unit: Option<aliases::Unit>,
}

impl<'a> Fields<'a> {
    /// No field seen yet.
    fn empty() -> Self {
        Fields {
            best: [None; FIELDS],
            has_status: false,
            envoy: false,
            message: false,
            unit: None,
        }
    }

    /// Offers `value` under the name at `rank` in [`ALIASES`]: it wins its
    /// field unless absent or a better-ranked name already gave a value.
    fn offer(&mut self, rank: usize, value: &'a [u8]) {
        let alias = &ALIASES[rank];
        let slot = &mut self.best[alias.field.index()];
        if alias.field == Field::Status {
            self.has_status = true;
        }
        if absent(value) || slot.is_some_and(|(r, _)| r < rank) {
            return;
        }
        *slot = Some((rank, value));
        if let Field::Duration(unit) = alias.field {
            self.unit = Some(unit);
        }
    }

    /// Classifies every leaf by one walk over the alias table.
    fn of(obj: &Object<'a>) -> Self {
        let mut f = Fields::empty();
        let root_key = |node: u32, names: &[&str]| {
            obj.nodes
                .get(node as usize)
                .filter(|n| n.parent.is_none())
                .is_some_and(|n| names.iter().any(|m| m.as_bytes() == n.key))
        };
        for &(node, value) in &obj.leaves {
            f.envoy |= root_key(node, ENVOY_MARKERS);
            f.message |= root_key(node, MESSAGE_MARKERS);
            if let Some(&rank) = obj
                .nodes
                .get(node as usize)
                .map_or(&[][..], |n| aliases::candidates(n.key))
                .iter()
                .find(|&&i| {
                    let x = &ALIASES[i];
                    obj.path_is(node, x.name.as_bytes(), x.case_sensitive)
                })
            {
                f.offer(rank, value);
            }
        }
        f
    }

    fn get(&self, field: Field) -> Option<&'a [u8]> {
        self.best[field.index()].map(|(_, v)| v)
    }
}

/// The record's time: the best time key, or when its value is no time
/// (Traefik's logrus `time` in a form no reader knows), the next.
fn time(obj: &Object<'_>, fields: &Fields<'_>, cx: &mut ParseContext) -> Result<i64, Reject> {
    let first = fields.get(Field::Time).ok_or(Reject::BadTimestamp)?;
    if let Some(t) = time_of(first, cx) {
        return Ok(t);
    }
    let mut others: Vec<(usize, &[u8])> = obj
        .leaves
        .iter()
        .filter(|(_, v)| !absent(v) && *v != first)
        .filter_map(|&(node, v)| {
            let key = obj.nodes.get(node as usize)?.key;
            aliases::candidates(key)
                .iter()
                .copied()
                .find(|&i| {
                    let x = &ALIASES[i];
                    x.field == Field::Time && obj.path_is(node, x.name.as_bytes(), x.case_sensitive)
                })
                .map(|rank| (rank, v))
        })
        .collect();
    others.sort_unstable_by_key(|&(rank, _)| rank);
    others
        .into_iter()
        .find_map(|(_, v)| time_of(v, cx))
        .ok_or(Reject::BadTimestamp)
}

/// The request, from one request line or from its parts. A target without
/// a method (Matomo's documented nginx layout logs only `$request_uri`)
/// keeps an empty method, as W3C logs without `cs-method` do.
fn request<'a>(fields: &Fields<'a>) -> Request<'a> {
    let line = fields.get(Field::RequestLine);
    if let Some(r) = line.filter(|r| r.contains(&b' ')) {
        return Request::parse(r);
    }
    match fields.get(Field::Target).map(origin_form) {
        Some(target) => Request::Http {
            method: fields.get(Field::Method).unwrap_or(b""),
            target,
            protocol: fields.get(Field::Protocol).unwrap_or(b""),
        },
        // A request value that is no request line (a binary probe) and no
        // parts to read instead.
        None => line.map_or(Request::Missing, Request::parse),
    }
}

/// The status, coerced from a string when quoted. A log whose fields
/// leave the status out (a Cloudflare job without `EdgeResponseStatus`)
/// counts the request as answered, as W3C and `--log-format` layouts
/// without one do; Zeek leaves it out when no reply was seen.
fn status(fields: &Fields<'_>, zeek: bool) -> Result<u16, Reject> {
    match fields.get(Field::Status) {
        Some(s) => number(s)
            .filter(|s| (100.0..1000.0).contains(s))
            .map(|s| s as u16)
            .ok_or(Reject::BadStatus),
        None if fields.has_status => Err(Reject::BadStatus),
        None if zeek => Ok(NO_RESPONSE),
        None => Ok(200),
    }
}

/// The record the fields describe, once its client, time and status are
/// known: the one assembly for every reader that names fields by alias.
fn record<'a>(fields: &Fields<'a>, client: &'a [u8], time: i64, status: u16) -> RawRecord<'a> {
    let bytes = fields
        .get(Field::Bytes)
        .and_then(number)
        .map_or(0, |b| b.max(0.0) as u64);
    let duration_us = fields
        .get(Field::Duration(aliases::Unit::Seconds))
        .zip(fields.unit)
        .and_then(|(raw, unit)| duration_us(raw, unit, fields.envoy));
    RawRecord {
        client,
        user: fields.get(Field::User),
        time,
        request: request(fields),
        status,
        bytes,
        referer: fields.get(Field::Referer),
        user_agent: fields.get(Field::UserAgent),
        vhost: fields.get(Field::Vhost),
        forwarded_for: fields.get(Field::ForwardedFor),
        duration_us,
    }
}

/// Zeek's `http.log`: its connection tuple names the client.
fn zeek(obj: &Object<'_>) -> bool {
    obj.leaves
        .iter()
        .any(|&(n, _)| obj.path_is(n, b"id.orig_h", true))
}

impl LogFormat for JsonLines {
    fn name(&self) -> &'static str {
        "json"
    }

    fn description(&self) -> &'static str {
        "JSON lines by key aliases: nginx escape=json, Caddy v2, Cloudflare Logpush, Traefik, Zeek, Envoy, ECS"
    }

    fn skip(&self, line: &[u8]) -> Option<Skip> {
        if let Some(s) = super::default_skip(line) {
            return Some(s);
        }
        // Only objects with a logging library's keys can be messages; the
        // cheap byte test spares every other line a second scan.
        if ![&b"\"level\""[..], b"\"logger\""]
            .iter()
            .any(|m| memchr::memmem::find(line, m).is_some())
        {
            return None;
        }
        let obj = scan::object(line)?;
        let fields = Fields::of(&obj);
        (fields.message && fields.get(Field::Client).is_none()).then_some(Skip::Event)
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let obj = scan::object(line).ok_or(match scan::object_start(line) {
            Some(_) => Reject::Truncated,
            None => Reject::Malformed,
        })?;
        let fields = Fields::of(&obj);
        let client = fields.get(Field::Client).ok_or(Reject::BadClient)?;
        let time = time(&obj, &fields, cx)?;
        let status = status(&fields, zeek(&obj))?;
        Ok(record(&fields, client, time, status))
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
