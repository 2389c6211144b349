//! The key names under which JSON access logs put each field.
//!
//! Producers do not share a schema, so a field is recognised by any of the
//! names that servers, proxies, log shippers and documented `log_format`
//! layouts use, not by guessing the producer first: an object is read if it
//! has a client-address key and a time key under any of those names. Names
//! are matched on the whole key path (keys joined by `.`), ignoring case,
//! except where the case is what tells producers apart. A name is listed
//! under one field only, and earlier names win: the list puts the more
//! precise of two names first (`body_bytes_sent` before `bytes_sent`,
//! Traefik's `DownstreamStatus` before its `OriginStatus`, a request's
//! start before the time the line was written).
//!
//! The trade-off is that an unknown producer whose `host` or `status` means
//! something else is misread rather than refused; the names here are the
//! ones access logs use for these meanings.

/// The fields of an access record that JSON keys name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Client,
    Time,
    /// A whole request line, `GET /a?b HTTP/1.1`.
    RequestLine,
    Method,
    /// The request target: a path, with or without its query, or a whole URL.
    Target,
    Protocol,
    Status,
    Bytes,
    Referer,
    UserAgent,
    Vhost,
    ForwardedFor,
    /// The authenticated user: dropped by the veil, but recognised so that
    /// it is never read as anything else.
    User,
    Duration(Unit),
}

/// How many [`Field`]s there are, for per-field arrays.
pub(super) const FIELDS: usize = 14;

impl Field {
    /// Position in per-field arrays.
    pub fn index(self) -> usize {
        match self {
            Field::Client => 0,
            Field::Time => 1,
            Field::RequestLine => 2,
            Field::Method => 3,
            Field::Target => 4,
            Field::Protocol => 5,
            Field::Status => 6,
            Field::Bytes => 7,
            Field::Referer => 8,
            Field::UserAgent => 9,
            Field::Vhost => 10,
            Field::ForwardedFor => 11,
            Field::User => 12,
            Field::Duration(_) => 13,
        }
    }
}

/// The unit a duration key is documented in: the unit comes with the
/// name, since guessing it from the size of the number misreads every
/// sub-millisecond nanosecond count as seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Seconds,
    Millis,
    Micros,
    Nanos,
    /// Caddy's `duration`: seconds as a float, or whole nanoseconds with
    /// `duration_format nano`. Envoy and Istio layouts use the same name
    /// for whole milliseconds (`%DURATION%`), told apart by their other
    /// keys (see [`ENVOY_MARKERS`]).
    SecondsOrNanos,
    /// Go's duration text or Google Cloud's `"0.042s"`: a number with a
    /// unit suffix.
    Suffixed,
}

/// One recognised name: the field, the dotted key path, and whether the
/// case must match too.
pub(super) struct Alias {
    pub field: Field,
    pub name: &'static str,
    pub case_sensitive: bool,
}

const fn a(field: Field, name: &'static str) -> Alias {
    Alias {
        field,
        name,
        case_sensitive: false,
    }
}

const fn exact(field: Field, name: &'static str) -> Alias {
    Alias {
        field,
        name,
        case_sensitive: true,
    }
}

use Field::*;

/// Every name, grouped by field; within a field, earlier names win.
pub(super) static ALIASES: &[Alias] = &[
    // The client. nginx, Matomo's documented nginx layout (`ip`), Caddy
    // (`request.remote_ip`, the peer, before `request.client_ip`, which a
    // trusted-proxies setting derives from forwarded headers the veil
    // reads itself), Cloudflare, Traefik (`ClientHost`, then `ClientAddr`
    // with a port), Zeek (`id.orig_h`), IIS field names, Envoy / Istio
    // (`downstream_remote_address`, with a port), ECS, Google Cloud.
    a(Client, "remote_addr"),
    a(Client, "request.remote_ip"),
    a(Client, "request.client_ip"),
    a(Client, "remote_ip"),
    a(Client, "client_ip"),
    a(Client, "ClientIP"),
    a(Client, "ClientHost"),
    a(Client, "ClientAddr"),
    a(Client, "client_addr"),
    a(Client, "c-ip"),
    a(Client, "id.orig_h"),
    a(Client, "src_ip"),
    a(Client, "source.ip"),
    a(Client, "client.ip"),
    a(Client, "client.address"),
    a(Client, "http.client_ip"),
    a(Client, "httpRequest.remoteIp"),
    a(Client, "downstream_remote_address"),
    a(Client, "ip"),
    a(Client, "client"),
    // The time. A request's start before the time the line was written
    // (Traefik's logrus `time`, Docker's `time`), which comes later.
    a(Time, "StartUTC"),
    // Traefik's start in the server's zone, with its offset: before
    // logrus's `time`, which may carry no zone.
    a(Time, "StartLocal"),
    a(Time, "EdgeStartTimestamp"),
    a(Time, "start_time"),
    a(Time, "StartTime"),
    a(Time, "time_iso8601"),
    a(Time, "time_local"),
    a(Time, "timestamp"),
    a(Time, "@timestamp"),
    a(Time, "ts"),
    a(Time, "date"),
    a(Time, "datetime"),
    a(Time, "time"),
    a(Time, "msec"),
    // The request: one line, or its parts.
    a(RequestLine, "request"),
    a(RequestLine, "request_line"),
    a(Method, "request_method"),
    a(Method, "request.method"),
    a(Method, "method"),
    a(Method, "ClientRequestMethod"),
    a(Method, "RequestMethod"),
    a(Method, "http.request.method"),
    a(Method, "httpRequest.requestMethod"),
    a(Method, "cs-method"),
    a(Method, "verb"),
    // Names that carry the query string before those that may not.
    a(Target, "request_uri"),
    a(Target, "request.uri"),
    a(Target, "ClientRequestURI"),
    a(Target, "RequestPath"),
    a(Target, "url.original"),
    a(Target, "httpRequest.requestUrl"),
    a(Target, "uri"),
    a(Target, "path"),
    a(Target, "url"),
    a(Target, "ClientRequestPath"),
    a(Target, "request_path"),
    a(Target, "url.path"),
    a(Target, "cs-uri-stem"),
    a(Protocol, "server_protocol"),
    a(Protocol, "request.proto"),
    a(Protocol, "protocol"),
    a(Protocol, "ClientRequestProtocol"),
    a(Protocol, "RequestProtocol"),
    a(Protocol, "httpRequest.protocol"),
    // The status the client got: Traefik's `DownstreamStatus` before its
    // `OriginStatus`, Cloudflare's edge status before its origin's.
    a(Status, "status"),
    a(Status, "status_code"),
    a(Status, "EdgeResponseStatus"),
    a(Status, "DownstreamStatus"),
    a(Status, "response_code"),
    a(Status, "resp.status"),
    a(Status, "response_status"),
    a(Status, "http.response.status_code"),
    a(Status, "httpRequest.status"),
    a(Status, "sc-status"),
    a(Status, "OriginStatus"),
    // Bytes sent: the body before the body with headers.
    a(Bytes, "body_bytes_sent"),
    a(Bytes, "bytes_sent"),
    a(Bytes, "size"),
    a(Bytes, "length"),
    a(Bytes, "resp_body_len"),
    a(Bytes, "response_body_len"),
    a(Bytes, "DownstreamContentSize"),
    a(Bytes, "EdgeResponseBytes"),
    a(Bytes, "http.response.body.bytes"),
    a(Bytes, "httpRequest.responseSize"),
    a(Bytes, "sc-bytes"),
    a(Bytes, "bytes"),
    a(Referer, "http_referer"),
    a(Referer, "referer"),
    a(Referer, "referrer"),
    a(Referer, "http_referrer"),
    a(Referer, "request.headers.Referer"),
    a(Referer, "ClientRequestReferer"),
    a(Referer, "request_Referer"),
    a(Referer, "http.request.referrer"),
    a(Referer, "httpRequest.referer"),
    a(Referer, "cs(Referer)"),
    a(UserAgent, "http_user_agent"),
    a(UserAgent, "user_agent"),
    a(UserAgent, "user-agent"),
    a(UserAgent, "useragent"),
    a(UserAgent, "request.headers.User-Agent"),
    a(UserAgent, "ClientRequestUserAgent"),
    a(UserAgent, "request_User-Agent"),
    a(UserAgent, "user_agent.original"),
    a(UserAgent, "httpRequest.userAgent"),
    a(UserAgent, "cs(User-Agent)"),
    a(UserAgent, "agent"),
    a(Vhost, "host"),
    a(Vhost, "server_name"),
    a(Vhost, "request.host"),
    a(Vhost, "ClientRequestHost"),
    a(Vhost, "RequestHost"),
    a(Vhost, "http_host"),
    a(Vhost, "authority"),
    a(Vhost, "url.domain"),
    a(Vhost, "cs-host"),
    a(Vhost, "vhost"),
    a(ForwardedFor, "http_x_forwarded_for"),
    a(ForwardedFor, "x_forwarded_for"),
    a(ForwardedFor, "x-forwarded-for"),
    a(ForwardedFor, "request.headers.X-Forwarded-For"),
    a(ForwardedFor, "request_X-Forwarded-For"),
    a(User, "remote_user"),
    a(User, "user_id"),
    a(User, "ClientUsername"),
    a(User, "ClientRequestUser"),
    a(User, "username"),
    a(User, "user.name"),
    a(User, "cs-username"),
    // Durations, each in its documented unit. The case tells Traefik's
    // `Duration` (nanoseconds) from Caddy's `duration`.
    a(Duration(Unit::Seconds), "request_time"),
    exact(Duration(Unit::SecondsOrNanos), "duration"),
    exact(Duration(Unit::Nanos), "Duration"),
    a(Duration(Unit::Millis), "generation_time_milli"),
    a(Duration(Unit::Millis), "OriginResponseDurationMs"),
    a(Duration(Unit::Nanos), "OriginResponseTime"),
    a(Duration(Unit::Millis), "duration_ms"),
    a(Duration(Unit::Millis), "time_taken"),
    a(Duration(Unit::Millis), "time-taken"),
    a(Duration(Unit::Micros), "duration_us"),
    a(Duration(Unit::Nanos), "event.duration"),
    a(Duration(Unit::Suffixed), "httpRequest.latency"),
];

/// Longest key a name can end with; a longer key is no alias.
const MAX_KEY: usize = 48;

/// Positions in [`ALIASES`] by every key a name can end with, lowercased:
/// `id.orig_h` is found from a flat key `id.orig_h` and from `orig_h`
/// nested under `id`. Looking a leaf's key up here instead of trying every
/// name kept the JSON reader as fast as it was with four producers.
static BY_KEY: std::sync::LazyLock<
    hashbrown::HashMap<Vec<u8>, Vec<usize>, foldhash::fast::FixedState>,
> = std::sync::LazyLock::new(|| {
    let mut map: hashbrown::HashMap<Vec<u8>, Vec<usize>, _> =
        hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::default());
    for (i, alias) in ALIASES.iter().enumerate() {
        let name = alias.name.to_ascii_lowercase();
        let starts = std::iter::once(0).chain(name.match_indices('.').map(|(p, _)| p + 1));
        for start in starts {
            map.entry(name.as_bytes()[start..].to_vec())
                .or_default()
                .push(i);
        }
    }
    map
});

/// The names that may match a leaf whose own key is `key`, best first.
pub(super) fn candidates(key: &[u8]) -> &'static [usize] {
    if key.len() > MAX_KEY {
        return &[];
    }
    let mut buf = [0u8; MAX_KEY];
    let lower = &mut buf[..key.len()];
    lower.copy_from_slice(key);
    lower.make_ascii_lowercase();
    BY_KEY.get(&lower[..]).map_or(&[], Vec::as_slice)
}

/// Keys only Envoy and Istio access-log layouts have; with one of them,
/// `duration` is Envoy's `%DURATION%` in milliseconds.
pub(super) const ENVOY_MARKERS: &[&str] = &[
    "downstream_remote_address",
    "upstream_cluster",
    "response_flags",
    "upstream_host",
];

/// Keys of structured application logs (zap, logrus, pino, bunyan):
/// a line with one of these and no client is a server message, not a
/// request.
pub(super) const MESSAGE_MARKERS: &[&str] = &["level", "logger"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_listed_once_and_indices_are_dense() {
        for (i, x) in ALIASES.iter().enumerate() {
            for y in &ALIASES[i + 1..] {
                let same = if x.case_sensitive && y.case_sensitive {
                    x.name == y.name
                } else {
                    x.name.eq_ignore_ascii_case(y.name)
                };
                assert!(!same, "{} listed twice", x.name);
            }
            assert!(x.field.index() < FIELDS);
        }
        assert!(ALIASES.iter().all(|x| x.name.len() <= MAX_KEY));
        assert_eq!(candidates(b"ORIG_H"), candidates(b"id.orig_h"));
        assert_eq!(candidates(b"User-Agent").len(), 2);
        assert!(candidates(&[b'a'; 100]).is_empty());
        let mut seen = [false; FIELDS];
        for x in ALIASES {
            seen[x.field.index()] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
