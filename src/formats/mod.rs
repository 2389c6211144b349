//! Log formats: one file per format, all behind the [`LogFormat`] trait.
//!
//! A format turns one line (without its line terminator) into a
//! [`RawRecord`] that borrows slices of the input: no allocation, no copy.
//! `RawRecord` is the only type in the crate that holds raw identifiers; it
//! never leaves the parse → veil step of one line (see `privacy`).
//!
//! To add a format: write `formats/<name>.rs` with a unit struct that
//! implements [`LogFormat`], list it in [`FORMATS`] (order is the
//! detection tie-break: more specific formats first), and add a sample file
//! under `sample-logs/`.

pub mod combined;
pub mod common;
pub mod detect;
pub mod envoy;
pub mod fields;
pub mod haproxy;
pub mod iis;
pub mod json_lines;
pub mod logformat;
pub mod presets;
pub mod s3;
pub mod squid;
pub mod syslog;
pub mod uwsgi;
pub mod vhost_combined;
pub mod w3c;
pub mod zeek;
pub mod zoom;

use crate::time::TimeCache;

/// One parsed access-log line, borrowing from the input buffer.
///
/// Fields hold the bytes as logged, escapes included; the privacy stage
/// decides what survives. Fields a format does not carry are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord<'a> {
    /// The client as logged: an IP address (v4, v6, mapped, maybe with a
    /// port or brackets) or a host name. Always an identifier.
    pub client: &'a [u8],
    /// The authenticated user (`%u`), `None` for `-`. An identifier.
    pub user: Option<&'a [u8]>,
    /// Event time, Unix seconds, UTC.
    pub time: i64,
    /// The request line, split.
    pub request: Request<'a>,
    /// Final HTTP status; [`NO_RESPONSE`] when none was sent.
    pub status: u16,
    /// Response bytes; `-` is 0.
    pub bytes: u64,
    /// `Referer` header, `None` for `-`.
    pub referer: Option<&'a [u8]>,
    /// `User-Agent` header, `None` for `-`.
    pub user_agent: Option<&'a [u8]>,
    /// Virtual host, without port, as logged.
    pub vhost: Option<&'a [u8]>,
    /// `X-Forwarded-For` chain as logged (`client, proxy1, proxy2`), when
    /// the format carries one. Every address in it is an identifier.
    pub forwarded_for: Option<&'a [u8]>,
    /// Time taken to serve the request, in microseconds, when the format
    /// carries it (`%D`, `%T`, `$request_time`).
    pub duration_us: Option<u64>,
}

/// The status of a request that got no response: the client went away
/// first. Servers log it as `-` (morgan, Traefik's CLF), `000` (CloudFront)
/// or `-1` (HAProxy); the request still happened and is counted.
pub const NO_RESPONSE: u16 = 0;

/// The request line of a log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// `METHOD target [PROTOCOL]`.
    Http {
        /// Request method, e.g. `GET`.
        method: &'a [u8],
        /// Request target: path with query string, as logged.
        target: &'a [u8],
        /// Protocol, e.g. `HTTP/1.1`; empty for HTTP/0.9 requests.
        protocol: &'a [u8],
    },
    /// `""`: the client sent nothing (connection opened and closed).
    Empty,
    /// `-`: no request was read, e.g. status 408.
    Missing,
    /// Anything else: TLS handshakes on a plain port, binary probes.
    Invalid,
}

impl<'a> Request<'a> {
    /// Splits a request line as logged (escapes intact).
    pub fn parse(line: &'a [u8]) -> Self {
        match line {
            b"" => return Request::Empty,
            b"-" => return Request::Missing,
            _ => {}
        }
        let Some(sp) = memchr::memchr(b' ', line) else {
            return Request::Invalid;
        };
        let method = &line[..sp];
        // A dash for the method: no request line was read (ELB TCP
        // listeners log `"- - - "`).
        if method == b"-" {
            return Request::Missing;
        }
        if method.is_empty()
            || method.len() > 24
            || !method
                .iter()
                .all(|c| c.is_ascii_alphabetic() || *c == b'-' || *c == b'_')
        {
            return Request::Invalid;
        }
        let rest = &line[sp + 1..];
        // The target may itself contain spaces (unencoded, from broken
        // clients), so the protocol is whatever follows the last space,
        // and only when it looks like one.
        let (target, protocol) = match memchr::memrchr(b' ', rest) {
            Some(p) if rest[p + 1..].starts_with(b"HTTP/") => (&rest[..p], &rest[p + 1..]),
            _ => (rest, &b""[..]),
        };
        if target.is_empty() {
            return Request::Invalid;
        }
        Request::Http {
            method,
            target,
            protocol,
        }
    }
}

/// Why a line was rejected. The name is what the manifest counts under;
/// the line's text is never kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Reject {
    /// The line ended before all the format's fields were seen.
    Truncated,
    /// The client field is not an address or host name.
    BadClient,
    /// The virtual-host field is malformed.
    BadVhost,
    /// The timestamp is missing, malformed or an impossible date.
    BadTimestamp,
    /// A quoted field has no closing quote.
    UnterminatedQuote,
    /// The status is not a three-digit number.
    BadStatus,
    /// The byte count is not a number or `-`.
    BadBytes,
    /// A separator or field is not where the format puts it.
    Malformed,
    /// No known format reads the line or the region of the file around it
    /// (counted so a file that fits nothing still accounts for its lines).
    NoFormat,
    /// Longer than the run's maximum line length: skipped unread.
    TooLong,
}

impl Reject {
    /// Every reason, in manifest order.
    pub const ALL: [Reject; 10] = [
        Reject::Truncated,
        Reject::BadClient,
        Reject::BadVhost,
        Reject::BadTimestamp,
        Reject::UnterminatedQuote,
        Reject::BadStatus,
        Reject::BadBytes,
        Reject::Malformed,
        Reject::NoFormat,
        Reject::TooLong,
    ];

    /// Stable snake_case name used in the manifest and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::Truncated => "truncated",
            Reject::BadClient => "bad_client",
            Reject::BadVhost => "bad_vhost",
            Reject::BadTimestamp => "bad_timestamp",
            Reject::UnterminatedQuote => "unterminated_quote",
            Reject::BadStatus => "bad_status",
            Reject::BadBytes => "bad_bytes",
            Reject::Malformed => "malformed",
            Reject::NoFormat => "no_format",
            Reject::TooLong => "too_long",
        }
    }

    /// Position in [`Reject::ALL`], for counting in arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Why a line was skipped without being an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Skip {
    /// Empty or whitespace only.
    Blank,
    /// A `#` comment.
    Comment,
    /// A header line or a section of a structured export (Zoom's meeting
    /// block, CSV headers).
    Header,
    /// A valid event that carries no data for any table (webhook events
    /// other than joins and leaves).
    Event,
    /// A participant row for time spent in the waiting room, not the meeting.
    WaitingRoom,
    /// A webhook leave event that closed a session already recorded at its
    /// join.
    PairedLeave,
}

impl Skip {
    /// Every reason, in manifest order.
    pub const ALL: [Skip; 6] = [
        Skip::Blank,
        Skip::Comment,
        Skip::Header,
        Skip::Event,
        Skip::WaitingRoom,
        Skip::PairedLeave,
    ];

    /// Stable snake_case name used in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Blank => "blank",
            Skip::Comment => "comment",
            Skip::Header => "header",
            Skip::Event => "event",
            Skip::WaitingRoom => "waiting_room",
            Skip::PairedLeave => "paired_leave",
        }
    }

    /// Position in [`Skip::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Per-thread state a parser may use to avoid repeated work; one per chunk
/// worker, never shared.
#[derive(Debug, Default)]
pub struct ParseContext {
    /// Cache of the last parsed timestamp.
    pub time: TimeCache,
    /// Records whose time carried no zone (Caddy's `wall` time formats),
    /// counted so the manifest can say so.
    pub zoneless_times: u64,
    /// The zone such times, and W3C `-local` ones, are read in.
    pub local: crate::time::LocalZone,
}

/// A log format: a stateless line parser.
pub trait LogFormat: Send + Sync {
    /// Short name, as accepted by `--format` and written in the manifest.
    fn name(&self) -> &'static str;

    /// One-line description for `--help` and docs.
    fn description(&self) -> &'static str;

    /// Lines that are not records but not errors either. The default skips
    /// blank lines and `#` comments.
    fn skip(&self, line: &[u8]) -> Option<Skip> {
        default_skip(line)
    }

    /// Parses one line, without its terminator.
    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject>;
}

impl std::fmt::Debug for dyn LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Blank lines and `#` comments.
pub fn default_skip(line: &[u8]) -> Option<Skip> {
    match line.iter().position(|c| !c.is_ascii_whitespace()) {
        None => Some(Skip::Blank),
        Some(p) if line[p] == b'#' => Some(Skip::Comment),
        Some(_) => None,
    }
}

/// Every built-in format, most specific first: detection prefers the
/// earlier of two formats that parse a sample equally well.
pub static FORMATS: &[&dyn LogFormat] = &[
    &vhost_combined::VhostCombined,
    &presets::GANDI,
    // Before `combined`, which would also take its lines (ignoring the
    // trailing fields) but lose the request time.
    &presets::INGRESS_NGINX,
    &combined::Combined,
    &common::Common,
    &json_lines::JsonLines,
    &presets::MORGAN_DEFAULT,
    &presets::AWS_ALB,
    &presets::AWS_ELB,
    &haproxy::Haproxy,
    &squid::Squid,
    &envoy::Envoy,
    &uwsgi::Uwsgi,
    &s3::S3,
    &zeek::Zeek,
    // IIS lines whose `#Fields:` header was stripped: only lines of
    // IIS's default layouts, with addresses where IIS puts them.
    &iis::HeaderlessIis,
    // Last: it takes only lines behind a syslog header, which no format
    // above takes (HAProxy's own lines are HAProxy's).
    &syslog::Syslog,
];

/// Looks a line format up by its name.
pub fn by_name(name: &str) -> Option<&'static dyn LogFormat> {
    FORMATS.iter().copied().find(|f| f.name() == name)
}

/// The name of the W3C extended reader, as listed and in the manifest.
pub const W3C_NAME: &str = "w3c";

/// What a format name selects.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Named {
    /// A line format: every line of every web log is read with it.
    Line(&'static dyn LogFormat),
    /// A reader of whole documents that carry their own layout (W3C
    /// `#Fields:` headers, Zoom exports and webhooks). Detection already
    /// recognises each such file by its header and reads it with this
    /// reader, so naming one forces no line format on the other files.
    Document(&'static str),
}

/// Names of the whole-document readers, in listing order.
fn document_names() -> impl Iterator<Item = &'static str> {
    [W3C_NAME, json_lines::csv::NAME]
        .into_iter()
        .chain(zoom::READERS.iter().map(|r| r.name()))
}

/// Looks up any name `logveil formats` lists: a line format or a
/// whole-document reader.
pub fn lookup(name: &str) -> Option<Named> {
    if let Some(f) = by_name(name) {
        return Some(Named::Line(f));
    }
    document_names().find(|n| *n == name).map(Named::Document)
}

/// Comma-separated names of every format and document reader, for
/// messages.
pub fn known_names() -> String {
    FORMATS
        .iter()
        .map(|f| f.name())
        .chain(document_names())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        assert_eq!(
            Request::parse(b"GET /a?b=c HTTP/1.1"),
            Request::Http {
                method: b"GET",
                target: b"/a?b=c",
                protocol: b"HTTP/1.1"
            }
        );
        assert_eq!(
            Request::parse(b"GET /a b HTTP/1.0"),
            Request::Http {
                method: b"GET",
                target: b"/a b",
                protocol: b"HTTP/1.0"
            }
        );
        assert_eq!(
            Request::parse(b"GET /old"),
            Request::Http {
                method: b"GET",
                target: b"/old",
                protocol: b""
            }
        );
        assert_eq!(Request::parse(b""), Request::Empty);
        assert_eq!(Request::parse(b"-"), Request::Missing);
        assert_eq!(Request::parse(b"- - - "), Request::Missing);
        assert_eq!(
            Request::parse(br"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
            Request::Invalid
        );
        assert_eq!(Request::parse(b"GET "), Request::Invalid);
        assert_eq!(Request::parse(b"\xff\xfe /x HTTP/1.1"), Request::Invalid);
    }

    #[test]
    fn skips() {
        assert_eq!(default_skip(b""), Some(Skip::Blank));
        assert_eq!(default_skip(b"  \t"), Some(Skip::Blank));
        assert_eq!(default_skip(b"  # note"), Some(Skip::Comment));
        assert_eq!(default_skip(b"1.2.3.4 - -"), None);
    }

    #[test]
    fn every_listed_name_is_looked_up() {
        for f in FORMATS {
            assert!(matches!(lookup(f.name()), Some(Named::Line(g)) if g.name() == f.name()));
        }
        // `logveil formats` lists these besides the line formats.
        for name in ["w3c", "csv", "zoom_csv", "zoom_webhooks", "zoom_api_json"] {
            assert!(
                matches!(lookup(name), Some(Named::Document(n)) if n == name),
                "{name}"
            );
            assert!(known_names().split(", ").any(|n| n == name), "{name}");
        }
        assert!(lookup("W3C").is_none(), "names are exact, as listed");
        assert!(lookup("nope").is_none());
    }

    #[test]
    fn reasons_index_matches_all() {
        for (i, r) in Reject::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
        for (i, s) in Skip::ALL.iter().enumerate() {
            assert_eq!(s.index(), i);
        }
    }
}
