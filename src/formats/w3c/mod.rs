//! W3C extended log files (IIS, IIS Advanced Logging, IIS FTP, CloudFront
//! web and RTMP, Incapsula, Oracle Web Cache), driven by their `#Fields:`
//! headers.
//!
//! `#Fields: date time s-ip cs-method cs-uri-stem …` names the columns of
//! the lines that follow, and a file may change its fields mid-way (IIS
//! writes a new header when the configuration changes or the service
//! restarts). A [`W3cFields`] is compiled per header; the pipeline reads a
//! file in order, and [`Layout`] cuts each chunk where a directive changes
//! the columns (see `directives`); `values` splits a line into its
//! values.
//!
//! Two dialects share the scheme:
//!
//! - IIS's own logging and CloudFront separate values by single spaces (tabs
//!   for CloudFront) and mostly do not quote: IIS writes spaces inside
//!   values as `+`, empty values as `-`. Producers that copied the scheme
//!   are looser, and a line is read tolerantly when it is not plain: runs
//!   of spaces as one separator (Oracle Web Cache, CloudFront's RTMP
//!   example), and values in double quotes that keep their spaces (IIS 6's
//!   `cs(Cookie)`, Incapsula, which quotes every value).
//! - The IIS Advanced Logging module (an IIS 7 extension, `#Software: IIS
//!   Advanced Logging Module`) surrounds string values with double quotes,
//!   so they keep their spaces: `"Mozilla/5.0 (Windows NT 6.1; WOW64)"`. An
//!   empty value is `-` or `""`. It has field names of its own
//!   (`date-local`, `time-local`, `BeginRequest-UTC`, `EndRequest-UTC`,
//!   `TimeTakenMS`), and its times carry milliseconds (`17:00:00.363`).
//!   A segment is read in this dialect when the last `#Software:` line
//!   before its header names the module, or when the header uses one of
//!   those field names. Its documentation does not say how a quote inside a
//!   value is written: a doubled `""` is taken as a literal quote, as in
//!   CSV, and any other quote that does not end a value rejects the line
//!   rather than shifting the columns after it.
//!
//! Times: `date` and `time` are UTC (IIS logs UTC by default; the Advanced
//! Logging module lists `Date-UTC`/`Time-UTC` beside `Date-Local`/
//! `Time-Local`, and its files' `date time` agree with their UTC
//! `#Start-Date:`), then `BeginRequest-UTC`, then `EndRequest-UTC`. The
//! module's documentation shows no value of the last two: both
//! `2014-11-18 00:00:00.128` (quoted, or as two unquoted words) and
//! `2014-11-18T00:00:00.128Z` are read. `date-local` and `time-local`
//! are the server's wall clock, and the log does not say its zone: they are
//! used only when a header has no UTC time, read in `--local-timezone`
//! (UTC unless given, and then off by the server's offset from UTC), and
//! the manifest says so for the input. A header with `time` and no date
//! (IIS's FTP service) takes the day from the last `#Date:` directive.
//! `time-taken` is in milliseconds (CloudFront: seconds with a fraction);
//! `TimeTakenMS` is always milliseconds and preferred when both are logged.
//!
//! Records that are not HTTP requests are still records: CloudFront RTMP
//! events (`x-event` as the method) and FTP commands (`[2]USER`, the
//! session prefix dropped). FTP's `USER` and `ACCT` carry a user name in
//! `cs-uri-stem`, which goes to the user field, and `PASS` a password (an
//! e-mail address for anonymous logins), which is dropped: neither is a
//! path. A `c-ip` that is `-` (the Advanced Logging module when the
//! address was not known) is kept as an unknown client, as HAProxy's `-`
//! is; one that holds a proxy chain (`203.0.113.7, 10.0.0.1`, written by a
//! module configured to log the forwarded address) is split like a CLF
//! chain: the right-most address is the client, the rest its
//! forwarded-for chain.

mod directives;
mod values;

pub use directives::{
    FIELDS, Layout, Piece, SOFTWARE, Segment, header_offsets, line_at, segments, sniff,
};

use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request, Skip};
use crate::time;

/// What `logveil formats` says of this reader.
pub const DESCRIPTION: &str = "W3C extended, columns from each #Fields: header";

/// The producers this reader knows, with what sets each apart, for
/// `logveil formats`.
pub const PRODUCERS: &[(&str, &str)] = &[
    (
        "IIS",
        "space-separated, `+` for spaces inside values, times UTC; FTP logs take the day from #Date:",
    ),
    (
        "CloudFront",
        "tab-separated, `time-taken` in seconds; RTMP events as records",
    ),
    (
        "IIS Advanced Logging",
        "string values in double quotes; date-local/time-local, BeginRequest-UTC, TimeTakenMS",
    ),
    ("Incapsula", "every value in double quotes"),
    ("Oracle Web Cache", "columns separated by runs of spaces"),
];

/// The conventions a segment is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// IIS's own logging and CloudFront: values mostly unquoted.
    Standard,
    /// The IIS Advanced Logging module: string values in double quotes.
    AdvancedLogging,
}

impl Dialect {
    /// Name shown in the manifest and by `logveil detect`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Standard => "W3C extended",
            Dialect::AdvancedLogging => "IIS Advanced Logging",
        }
    }
}

/// What the manifest says of an input whose times came from
/// `date-local`/`time-local`.
pub const LOCAL_TIME_NOTE: &str = "times read from date-local/time-local, the server's clock in a zone the log does not name, in settings.local_timezone (UTC unless the run was given another)";

/// Columns this reader uses; a slot each in a parsed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Date,
    Time,
    DateLocal,
    TimeLocal,
    BeginUtc,
    EndUtc,
    Client,
    User,
    Method,
    Event,
    Stem,
    Uri,
    Query,
    Status,
    Bytes,
    Referer,
    UserAgent,
    Host,
    Site,
    Protocol,
    TimeTaken,
    TimeTakenMs,
    XForwardedFor,
}

/// Number of [`Col`] variants.
const SLOTS: usize = 23;

/// The values of one line, by [`Col`].
type Values<'a> = [Option<&'a [u8]>; SLOTS];

/// Where a record's time comes from, chosen once per header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    /// `date` and `time`, UTC; a header with `time` alone takes the day
    /// from the last `#Date:` directive, and without one its lines are
    /// rejected for want of a date.
    Utc,
    /// One `YYYY-MM-DD HH:MM:SS` value, UTC.
    Stamp(Col),
    /// `date-local` and `time-local`.
    Local,
}

/// The columns of one `#Fields:` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct W3cFields {
    cols: Vec<Option<Col>>,
    dialect: Dialect,
    clock: Clock,
    /// Unix seconds of the day named by the last `#Date:` directive, for
    /// headers with a time and no date.
    day: Option<i64>,
}

fn column(name: &str) -> Option<Col> {
    Some(match name.to_ascii_lowercase().as_str() {
        "date" | "date-utc" => Col::Date,
        "time" | "time-utc" => Col::Time,
        "date-local" => Col::DateLocal,
        "time-local" => Col::TimeLocal,
        "beginrequest-utc" => Col::BeginUtc,
        "endrequest-utc" => Col::EndUtc,
        "c-ip" => Col::Client,
        // Oracle Web Cache: the authenticated user.
        "cs-username" | "c-auth-id" => Col::User,
        "cs-method" => Col::Method,
        // CloudFront RTMP: `connect`, `play`, `stop`…
        "x-event" => Col::Event,
        "cs-uri-stem" => Col::Stem,
        // The whole target (Oracle), or host and target without a scheme
        // (Incapsula).
        "cs-uri" => Col::Uri,
        "cs-uri-query" => Col::Query,
        "sc-status" => Col::Status,
        "sc-bytes" | "bytes" => Col::Bytes,
        "cs(referer)" | "cs(referrer)" | "c-referrer" => Col::Referer,
        "cs(user-agent)" | "c-user-agent" => Col::UserAgent,
        "cs-host" | "cs(host)" | "host" => Col::Host,
        "s-sitename" => Col::Site,
        "cs-version" | "protocol-version" => Col::Protocol,
        "time-taken" => Col::TimeTaken,
        "timetakenms" => Col::TimeTakenMs,
        "cs(x-forwarded-for)" | "x-forwarded-for" | "s-xff" => Col::XForwardedFor,
        _ => return None,
    })
}

impl W3cFields {
    /// Compiles a `#Fields:` line; `None` if it is not one or lacks the
    /// columns every record needs (a client and a time). The dialect is
    /// told from the field names alone; [`Layout`] also reads the
    /// `#Software:` and `#Date:` lines.
    pub fn from_header(line: &[u8]) -> Option<W3cFields> {
        W3cFields::compile(line, false)
    }

    fn compile(line: &[u8], advanced_software: bool) -> Option<W3cFields> {
        let rest = line.strip_prefix(FIELDS)?;
        let text = std::str::from_utf8(rest).ok()?;
        let cols: Vec<Option<Col>> = text.split_ascii_whitespace().map(column).collect();
        let has = |c| cols.contains(&Some(c));
        // Only the Advanced Logging module writes these; a file that lost
        // its `#Software:` line is still recognised by them.
        let advanced_names = [
            Col::DateLocal,
            Col::TimeLocal,
            Col::BeginUtc,
            Col::EndUtc,
            Col::TimeTakenMs,
        ]
        .into_iter()
        .any(has);
        let clock = if has(Col::Date) && has(Col::Time) {
            Clock::Utc
        } else if has(Col::BeginUtc) {
            Clock::Stamp(Col::BeginUtc)
        } else if has(Col::EndUtc) {
            Clock::Stamp(Col::EndUtc)
        } else if has(Col::DateLocal) && has(Col::TimeLocal) {
            Clock::Local
        } else if has(Col::Time) {
            Clock::Utc
        } else {
            return None;
        };
        has(Col::Client).then_some(W3cFields {
            cols,
            dialect: if advanced_software || advanced_names {
                Dialect::AdvancedLogging
            } else {
                Dialect::Standard
            },
            clock,
            day: None,
        })
    }

    /// The conventions this segment is read with.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Whether record times come from `date-local`/`time-local` (read as
    /// if UTC; see [`LOCAL_TIME_NOTE`]).
    pub fn local_time(&self) -> bool {
        self.clock == Clock::Local
    }

    /// How many values a line of this header has.
    pub fn columns(&self) -> usize {
        self.cols.len()
    }

    /// Whether lines take their day from a `#Date:` directive.
    fn needs_day(&self) -> bool {
        self.clock == Clock::Utc && !self.cols.contains(&Some(Col::Date))
    }

    /// Splits a line into its values, keeping the first value of each
    /// column this reader uses. Nothing is allocated.
    fn values<'a>(&self, line: &'a [u8]) -> Result<Values<'a>, Reject> {
        values::split(self, line)
    }
}

fn dash(v: &[u8]) -> Option<&[u8]> {
    (v != b"-" && !v.is_empty()).then_some(v)
}

fn digits(v: &[u8]) -> Option<u64> {
    (!v.is_empty() && v.len() <= 19 && v.iter().all(u8::is_ascii_digit))
        .then(|| v.iter().fold(0u64, |a, &c| a * 10 + u64::from(c - b'0')))
}

/// A logged duration in microseconds: whole numbers are milliseconds, and
/// a number with a fraction counts `fraction_us` microseconds a unit
/// (`TimeTakenMS`: milliseconds; IIS `time-taken` is whole milliseconds,
/// CloudFront's is seconds with a fraction).
fn duration_us(v: &[u8], fraction_us: f64) -> Option<u64> {
    match digits(v) {
        Some(ms) => Some(ms.saturating_mul(1000)),
        None => std::str::from_utf8(v)
            .ok()?
            .parse::<f64>()
            .ok()
            .filter(|x| *x >= 0.0)
            .map(|x| (x * fraction_us) as u64),
    }
}

/// `YYYY-MM-DD` to the Unix seconds of its midnight.
fn day_start(date: &[u8]) -> Option<i64> {
    let d = std::str::from_utf8(date).ok()?;
    let mut p = d.split('-');
    let (y, m, day): (i64, u32, u32) = (
        p.next()?.parse().ok()?,
        p.next()?.parse().ok()?,
        p.next()?.parse().ok()?,
    );
    if p.next().is_some() || !(1..=12).contains(&m) || day == 0 || day > time::days_in_month(y, m) {
        return None;
    }
    Some(time::days_from_civil(y, m, day) * time::DAY)
}

/// `HH:MM[:SS[.fff]]` to seconds since midnight.
fn clock_seconds(clock: &[u8]) -> Option<i64> {
    let c = std::str::from_utf8(clock).ok()?;
    let mut t = c.split(':');
    let (h, mi): (i64, i64) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    let s: i64 = t
        .next()
        .map_or(Some(0), |x| x.split('.').next()?.parse().ok())?;
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(h * time::HOUR + mi * 60 + s)
}

/// `YYYY-MM-DD` and `HH:MM:SS[.fff]` to Unix seconds, the clock read as UTC.
fn timestamp(date: &[u8], clock: &[u8]) -> Option<i64> {
    Some(day_start(date)? + clock_seconds(clock)?)
}

/// One `YYYY-MM-DD HH:MM:SS[.fff]` value (`T` between, a final `Z`
/// accepted), UTC.
fn date_time(v: &[u8]) -> Option<i64> {
    if v.len() < 16 || !matches!(v[10], b' ' | b'T') {
        return None;
    }
    let clock = v[11..].strip_suffix(b"Z").unwrap_or(&v[11..]);
    timestamp(&v[..10], clock)
}

/// The client and the forwarded-for chain of a `c-ip` value: a chain
/// (`203.0.113.7, 10.0.0.1`) gives its right-most address as the client
/// and the rest as the chain; `-` or nothing is an unknown client.
fn client_and_chain(v: Option<&[u8]>) -> (&[u8], Option<&[u8]>) {
    let Some(v) = v.and_then(dash) else {
        return (b"-", None);
    };
    match memchr::memrchr(b',', v) {
        Some(p) => {
            let chain = v[..p].trim_ascii();
            (v[p + 1..].trim_ascii(), dash(chain))
        }
        None => (v, None),
    }
}

/// An FTP command without IIS's `[session]` prefix (`[2]USER` → `USER`),
/// and whether there was one.
fn ftp_command(method: &[u8]) -> (&[u8], bool) {
    if let Some(rest) = method.strip_prefix(b"[")
        && let Some(p) = memchr::memchr(b']', rest)
        && p > 0
        && rest[..p].iter().all(u8::is_ascii_digit)
    {
        return (&rest[p + 1..], true);
    }
    (method, false)
}

/// What a line's request and user are, from its method and target
/// columns.
fn request_and_user<'a>(get: impl Fn(Col) -> Option<&'a [u8]>) -> (Request<'a>, Option<&'a [u8]>) {
    let user = get(Col::User).and_then(dash);
    let method = get(Col::Method).or(get(Col::Event)).and_then(dash);
    let (method, _) = ftp_command(method.unwrap_or(b""));
    let protocol = get(Col::Protocol).and_then(dash).unwrap_or(b"");
    // FTP logins: the stem holds a user name or a password, never a path.
    if method.eq_ignore_ascii_case(b"USER") || method.eq_ignore_ascii_case(b"ACCT") {
        return (Request::Missing, user.or(get(Col::Stem).and_then(dash)));
    }
    if method.eq_ignore_ascii_case(b"PASS") {
        return (Request::Missing, user);
    }
    let target = match (get(Col::Stem).and_then(dash), get(Col::Uri).and_then(dash)) {
        (Some(stem), _) => Some(stem),
        (None, Some(uri)) => Some(uri_target(uri).1),
        (None, None) => None,
    };
    let request = match target {
        // The query is a separate column; the path alone is what is kept.
        Some(target) => Request::Http {
            method,
            target,
            protocol,
        },
        None => Request::Missing,
    };
    (request, user)
}

/// A `cs-uri` value split into the host it may start with (Incapsula logs
/// `www.example.com/page.php`, no scheme) and the target.
fn uri_target(uri: &[u8]) -> (Option<&[u8]>, &[u8]) {
    if uri.starts_with(b"/") || memchr::memmem::find(uri, b"://").is_some() {
        return (None, uri);
    }
    match memchr::memchr(b'/', uri) {
        Some(p) if p > 0 => (Some(&uri[..p]), &uri[p..]),
        _ => (None, uri),
    }
}

impl LogFormat for W3cFields {
    fn name(&self) -> &'static str {
        "w3c"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn skip(&self, line: &[u8]) -> Option<Skip> {
        match super::default_skip(line) {
            Some(Skip::Comment) => Some(Skip::Header),
            other => other,
        }
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let values = self.values(line)?;
        let get = |c: Col| values[c as usize];
        let (client, chain) = client_and_chain(get(Col::Client));
        let time = match self.clock {
            Clock::Utc => match get(Col::Date) {
                Some(date) => timestamp(date, get(Col::Time).ok_or(Reject::BadTimestamp)?),
                None => self
                    .day
                    .zip(get(Col::Time).and_then(clock_seconds))
                    .map(|(d, s)| d + s),
            },
            Clock::Stamp(c) => date_time(get(c).ok_or(Reject::BadTimestamp)?),
            Clock::Local => timestamp(
                get(Col::DateLocal).ok_or(Reject::BadTimestamp)?,
                get(Col::TimeLocal).ok_or(Reject::BadTimestamp)?,
            )
            .and_then(|wall| cx.local.to_utc(wall)),
        }
        .ok_or(Reject::BadTimestamp)?;
        let status = match get(Col::Status) {
            // A header without the column: every line was answered.
            None => 200,
            // `-` or nothing: the request ended before a response
            // (Incapsula's closed connections).
            Some(s) => match dash(s).map(digits) {
                None | Some(Some(0)) => NO_RESPONSE,
                Some(Some(s)) if (100..1000).contains(&s) => s as u16,
                Some(_) => return Err(Reject::BadStatus),
            },
        };
        let bytes = match get(Col::Bytes).and_then(dash) {
            Some(b) => digits(b).ok_or(Reject::BadBytes)?,
            None => 0,
        };
        let (request, user) = request_and_user(get);
        let duration_us = match get(Col::TimeTakenMs) {
            Some(ms) => duration_us(ms, 1e3),
            // IIS: whole milliseconds; CloudFront: seconds with a fraction.
            None => get(Col::TimeTaken).and_then(|t| duration_us(t, 1e6)),
        };
        let uri_host = get(Col::Uri).and_then(dash).and_then(|u| uri_target(u).0);
        Ok(RawRecord {
            client,
            user,
            time,
            request,
            status,
            bytes,
            referer: get(Col::Referer).and_then(dash),
            user_agent: get(Col::UserAgent).and_then(dash),
            // A `-` host is no host: the site name is not asked then.
            vhost: match get(Col::Host) {
                Some(h) => dash(h),
                None => uri_host.or(get(Col::Site).and_then(dash)),
            },
            forwarded_for: get(Col::XForwardedFor).and_then(dash).or(chain),
            duration_us,
        })
    }
}

#[cfg(test)]
mod tests;
