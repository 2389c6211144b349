//! W3C extended log files (IIS, IIS Advanced Logging, CloudFront), driven by
//! their `#Fields:` headers.
//!
//! `#Fields: date time s-ip cs-method cs-uri-stem …` names the columns of
//! the lines that follow, and a file may change its fields mid-way (IIS
//! writes a new header when the configuration changes or the service
//! restarts). A [`W3cFields`] is compiled per header; the pipeline cuts a
//! file at its `#Fields:` lines ([`segments`]) and parses each segment with
//! its own columns.
//!
//! Two dialects share the scheme:
//!
//! - IIS's own logging and CloudFront separate values by single spaces (tabs
//!   for CloudFront) and never quote: IIS writes spaces inside values as
//!   `+`, empty values as `-`.
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
//! the manifest says so for the input.
//! `time-taken` is in milliseconds (CloudFront: seconds with a fraction);
//! `TimeTakenMS` is always milliseconds and preferred when both are logged.

use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request, Skip};
use crate::time;

/// Prefix of the header that names the columns.
pub const FIELDS: &[u8] = b"#Fields:";

/// Prefix of the directive that names the program that wrote the log.
pub const SOFTWARE: &[u8] = b"#Software:";

/// What `logveil formats` says of this reader.
pub const DESCRIPTION: &str = "W3C extended, columns from each #Fields: header";

/// The producers this reader knows, with what sets each apart, for
/// `logveil formats`.
pub const PRODUCERS: &[(&str, &str)] = &[
    (
        "IIS",
        "space-separated, `+` for spaces inside values, times UTC",
    ),
    ("CloudFront", "tab-separated, `time-taken` in seconds"),
    (
        "IIS Advanced Logging",
        "string values in double quotes; date-local/time-local, BeginRequest-UTC, TimeTakenMS",
    ),
];

/// The conventions a segment is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// IIS's own logging and CloudFront: values never quoted.
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
pub const LOCAL_TIME_NOTE: &str = "times read from date-local/time-local, the server's clock in a zone the log does not name, in settings.local_timezone (UTC unless --local-timezone names another)";

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
    TimeTakenMs,
    XForwardedFor,
}

/// Number of [`Col`] variants.
const SLOTS: usize = 21;

/// Where a record's time comes from, chosen once per header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    /// `date` and `time`, UTC. A header with `time` alone keeps this, and
    /// its lines are rejected for want of a date, as they always were.
    Utc,
    /// One `YYYY-MM-DD HH:MM:SS` value, UTC.
    Stamp(Col),
    /// `date-local` and `time-local`.
    Local,
}

/// The columns of one `#Fields:` header.
#[derive(Debug, Clone)]
pub struct W3cFields {
    cols: Vec<Option<Col>>,
    dialect: Dialect,
    clock: Clock,
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
        "cs-username" => Col::User,
        "cs-method" => Col::Method,
        "cs-uri-stem" => Col::Stem,
        "cs-uri-query" => Col::Query,
        "sc-status" => Col::Status,
        "sc-bytes" => Col::Bytes,
        "cs(referer)" => Col::Referer,
        "cs(user-agent)" => Col::UserAgent,
        "cs-host" | "cs(host)" | "host" => Col::Host,
        "s-sitename" => Col::Site,
        "cs-version" | "protocol-version" => Col::Protocol,
        "time-taken" => Col::TimeTaken,
        "timetakenms" => Col::TimeTakenMs,
        "cs(x-forwarded-for)" | "x-forwarded-for" => Col::XForwardedFor,
        _ => return None,
    })
}

impl W3cFields {
    /// Compiles a `#Fields:` line; `None` if it is not one or lacks the
    /// columns every record needs (a client and a time). The dialect is
    /// told from the field names alone; [`segments`] also reads the
    /// `#Software:` line.
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

    /// Splits a line into its values, keeping the first value of each
    /// column this reader uses. Nothing is allocated.
    fn values<'a>(&self, line: &'a [u8]) -> Result<[Option<&'a [u8]>; SLOTS], Reject> {
        let mut out = [None; SLOTS];
        let mut n = 0;
        let mut keep = |n: usize, v: &'a [u8]| {
            if let Some(Some(c)) = self.cols.get(n) {
                out[*c as usize].get_or_insert(v);
            }
        };
        match self.dialect {
            Dialect::Standard => {
                // IIS separates values with spaces; CloudFront (same header
                // scheme) with tabs.
                let sep = if memchr::memchr(b'\t', line).is_some() {
                    b'\t'
                } else {
                    b' '
                };
                // CloudFront's documented example log ends a record with a
                // stray tab: an empty value past the last column is not a
                // column.
                let line = match line.strip_suffix(&[sep]) {
                    Some(cut) if line.split(|c| *c == sep).count() == self.cols.len() + 1 => cut,
                    _ => line,
                };
                for v in line.split(|c| *c == sep) {
                    keep(n, v);
                    n += 1;
                }
            }
            Dialect::AdvancedLogging => {
                let mut at = Some(0);
                while let Some(start) = at {
                    let stamp = matches!(self.cols.get(n), Some(Some(Col::BeginUtc | Col::EndUtc)));
                    let (v, next) = quoted_value(line, start, stamp)?;
                    keep(n, v);
                    n += 1;
                    at = next;
                }
            }
        }
        match n.cmp(&self.cols.len()) {
            std::cmp::Ordering::Less => Err(Reject::Truncated),
            std::cmp::Ordering::Greater => Err(Reject::Malformed),
            std::cmp::Ordering::Equal => Ok(out),
        }
    }
}

/// The value of an Advanced Logging line that starts at `start` (quotes
/// removed, a doubled quote inside left as written) and where the next
/// value starts, `None` after the last. `stamp`: the column holds a date
/// and time, which an unquoted value writes as two words.
fn quoted_value(line: &[u8], start: usize, stamp: bool) -> Result<(&[u8], Option<usize>), Reject> {
    let rest = line.get(start..).unwrap_or_default();
    if let Some(inner) = rest.strip_prefix(b"\"") {
        let mut from = 0;
        loop {
            let close = from
                + memchr::memchr(b'"', inner.get(from..).unwrap_or_default())
                    .ok_or(Reject::UnterminatedQuote)?;
            match inner.get(close + 1) {
                Some(b'"') => from = close + 2,
                None => return Ok((&inner[..close], None)),
                Some(b' ') => return Ok((&inner[..close], Some(start + close + 3))),
                Some(_) => return Err(Reject::Malformed),
            }
        }
    }
    let word_end =
        |from: usize| memchr::memchr(b' ', &line[from..]).map_or(line.len(), |p| from + p);
    let mut end = word_end(start);
    if stamp && end < line.len() && is_date(&line[start..end]) {
        end = word_end(end + 1);
    }
    Ok((&line[start..end], (end < line.len()).then_some(end + 1)))
}

fn is_date(v: &[u8]) -> bool {
    v.len() == 10 && v[4] == b'-' && v[7] == b'-'
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

/// `YYYY-MM-DD` and `HH:MM:SS[.fff]` to Unix seconds, the clock read as UTC.
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

/// One `YYYY-MM-DD HH:MM:SS[.fff]` value (`T` between, a final `Z`
/// accepted), UTC.
fn date_time(v: &[u8]) -> Option<i64> {
    if v.len() < 16 || !matches!(v[10], b' ' | b'T') {
        return None;
    }
    let clock = v[11..].strip_suffix(b"Z").unwrap_or(&v[11..]);
    timestamp(&v[..10], clock)
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
        let client = get(Col::Client).and_then(dash).ok_or(Reject::BadClient)?;
        let time = match self.clock {
            Clock::Utc => timestamp(
                get(Col::Date).ok_or(Reject::BadTimestamp)?,
                get(Col::Time).ok_or(Reject::BadTimestamp)?,
            ),
            Clock::Stamp(c) => date_time(get(c).ok_or(Reject::BadTimestamp)?),
            Clock::Local => timestamp(
                get(Col::DateLocal).ok_or(Reject::BadTimestamp)?,
                get(Col::TimeLocal).ok_or(Reject::BadTimestamp)?,
            )
            .and_then(|wall| cx.local.to_utc(wall)),
        }
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
        let duration_us = match get(Col::TimeTakenMs) {
            Some(ms) => duration_us(ms, 1e3),
            // IIS: whole milliseconds; CloudFront: seconds with a fraction.
            None => get(Col::TimeTaken).and_then(|t| duration_us(t, 1e6)),
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
            duration_us,
        })
    }
}

/// Whether a buffer looks like a W3C extended log (a `#Fields:` line, or the
/// `#Software`/`#Version` directives IIS writes first).
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(SOFTWARE)
        || head.starts_with(b"#Version:")
        || head.starts_with(FIELDS)
        || memchr::memmem::find(head, b"\n#Fields:").is_some()
}

/// Byte offsets where each line that starts with `prefix` starts, in order.
fn line_starts(data: &[u8], prefix: &[u8]) -> Vec<usize> {
    let mut needle = Vec::with_capacity(prefix.len() + 1);
    needle.push(b'\n');
    needle.extend_from_slice(prefix);
    let mut offsets: Vec<usize> = memchr::memmem::find_iter(data, &needle)
        .map(|p| p + 1)
        .collect();
    if data.starts_with(prefix) {
        offsets.insert(0, 0);
    }
    offsets
}

/// Byte offsets where each `#Fields:` line starts, in order.
pub fn header_offsets(data: &[u8]) -> Vec<usize> {
    line_starts(data, FIELDS)
}

/// The line that starts at `start`, without its terminator.
fn line_at(data: &[u8], start: usize) -> &[u8] {
    let rest = data.get(start..).unwrap_or_default();
    let line = memchr::memchr(b'\n', rest).map_or(rest, |p| &rest[..p]);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// One `#Fields:` header of a file and the columns compiled from it.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Byte offset of the `#Fields:` line; its segment runs to the next.
    pub start: usize,
    /// The columns, `None` when the header lacks a client or a time.
    pub fields: Option<W3cFields>,
}

/// Every `#Fields:` header of `data`, in order, each compiled in the
/// dialect of the last `#Software:` line before it (IIS writes one with
/// every header block, so concatenated files keep their own).
pub fn segments(data: &[u8]) -> Vec<Segment> {
    let software = line_starts(data, SOFTWARE);
    header_offsets(data)
        .into_iter()
        .map(|start| {
            let before = software.partition_point(|&s| s < start);
            let advanced = before
                .checked_sub(1)
                .and_then(|i| software.get(i))
                .is_some_and(|&s| {
                    line_at(data, s)
                        .windows(16)
                        .any(|w| w.eq_ignore_ascii_case(b"advanced logging"))
                });
            Segment {
                start,
                fields: W3cFields::compile(line_at(data, start), advanced),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &[u8] = b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

    /// The columns of the Advanced Logging log in the Matomo log-analytics
    /// issue 43 (local times, quoted client, agent, referrer and host).
    const ADVANCED: &[u8] = b"#Fields:  date-local time-local s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs(Host) sc-status sc-substatus sc-win32-status TimeTakenMS";

    fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
        time::days_from_civil(y, mo, d) * time::DAY + h * time::HOUR + mi * 60 + s
    }

    fn parse<'a>(f: &W3cFields, line: &'a [u8]) -> Result<RawRecord<'a>, Reject> {
        f.parse(line, &mut ParseContext::default())
    }

    #[test]
    fn iis_default_fields() {
        let f = W3cFields::from_header(HEADER).unwrap();
        assert_eq!(f.dialect(), Dialect::Standard);
        let line = b"2026-03-28 10:00:05 10.0.0.5 GET /default.aspx id=42 443 - 198.51.100.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://www.google.com/ 200 0 0 31";
        let r = parse(&f, line).unwrap();
        assert_eq!(r.client, b"198.51.100.7");
        assert_eq!(r.time, at(2026, 3, 28, 10, 0, 5));
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
            parse(&f, b"2026-03-28 10:00:05 10.0.0.5 GET"),
            Err(Reject::Truncated)
        );
        assert_eq!(
            parse(
                &f,
                b"2026-02-30 10:00:05 10.0.0.5 GET / - 443 - 1.2.3.4 - - 200 0 0 1"
            ),
            Err(Reject::BadTimestamp)
        );
        assert_eq!(
            f.skip(b"#Software: Microsoft Internet Information Services 10.0"),
            Some(Skip::Header)
        );
    }

    #[test]
    fn standard_iis_does_not_read_quotes() {
        // IIS writes an agent's own quotes as they came; a value that
        // starts with one is still one space-separated value.
        let f = W3cFields::from_header(HEADER).unwrap();
        let line =
            b"2026-03-28 10:00:05 10.0.0.5 GET / - 443 - 198.51.100.7 \"curl/8.0 - 200 0 0 31";
        assert_eq!(
            parse(&f, line).unwrap().user_agent,
            Some(&b"\"curl/8.0"[..])
        );
    }

    #[test]
    fn cloudfront_tab_separated() {
        let f = W3cFields::from_header(b"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken").unwrap();
        let line = b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0)\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001";
        let r = parse(&f, line).unwrap();
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
        assert!(W3cFields::from_header(b"#Fields: date-local c-ip").is_none());
        assert!(W3cFields::from_header(b"#Fields: date-local time-local cs-method").is_none());
        assert!(!sniff(
            b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1"
        ));
    }

    #[test]
    fn advanced_logging_quoted_values_keep_their_spaces() {
        let f = W3cFields::from_header(ADVANCED).unwrap();
        assert_eq!(f.dialect(), Dialect::AdvancedLogging);
        assert!(f.local_time());
        let line = b"2014-11-17 17:00:00.363 192.0.2.140 GET /Products/X/_Images/ico_print.gif - 80 - \"198.51.100.93\" \"Mozilla/5.0 (Linux; Android 4.4.4; SM-G900V Build/KTU84P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/39.0.2171.59 Mobile Safari/537.36\" \"http://example.com/Search/SearchResults.pg?informationRecipient.languageCode.c=en\" \"xzy.example.com\" 200 0 0 109";
        let r = parse(&f, line).unwrap();
        assert_eq!(r.client, b"198.51.100.93");
        assert_eq!(
            r.user_agent,
            Some(&b"Mozilla/5.0 (Linux; Android 4.4.4; SM-G900V Build/KTU84P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/39.0.2171.59 Mobile Safari/537.36"[..])
        );
        assert_eq!(
            r.referer,
            Some(&b"http://example.com/Search/SearchResults.pg?informationRecipient.languageCode.c=en"[..])
        );
        assert_eq!(r.vhost, Some(&b"xzy.example.com"[..]));
        // The server's wall clock, read as if UTC.
        assert_eq!(r.time, at(2014, 11, 17, 17, 0, 0));
        assert_eq!((r.status, r.duration_us), (200, Some(109_000)));
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/Products/X/_Images/ico_print.gif",
                protocol: b""
            }
        );
    }

    #[test]
    fn advanced_logging_empty_values() {
        let f = W3cFields::from_header(ADVANCED).unwrap();
        // `-` unquoted, `""` quoted, and `"-"`: all empty.
        let line = b"2014-11-17 17:00:00.660 192.0.2.140 GET /Topic/hw43061 - 80 \"\" \"203.0.113.72\" \"\" - \"-\" 302 0 0 0";
        let r = parse(&f, line).unwrap();
        assert_eq!(r.client, b"203.0.113.72");
        assert_eq!(
            (r.user, r.user_agent, r.referer, r.vhost),
            (None, None, None, None)
        );
        assert_eq!((r.status, r.duration_us), (302, Some(0)));
        // An empty quoted value as the last one.
        let f = W3cFields::from_header(b"#Fields: date time c-ip cs(User-Agent)").unwrap();
        let f = W3cFields {
            dialect: Dialect::AdvancedLogging,
            ..f
        };
        let r = parse(&f, b"2014-11-18 00:00:00 \"192.0.2.1\" \"\"").unwrap();
        assert_eq!((r.client, r.user_agent), (&b"192.0.2.1"[..], None));
        // A quoted empty client is no client.
        assert_eq!(
            parse(&f, b"2014-11-18 00:00:00 \"\" \"x\""),
            Err(Reject::BadClient)
        );
    }

    #[test]
    fn advanced_logging_bad_quotes_are_rejected() {
        let f = W3cFields::from_header(ADVANCED).unwrap();
        let head = b"2014-11-17 17:00:00.675 192.0.2.140 GET /hello/world/6,681965 - 80 - \"203.0.113.174\" ";
        let with = |rest: &[u8]| [&head[..], rest].concat();
        // The line was cut inside the agent.
        assert_eq!(
            parse(&f, &with(b"\"Mozilla/4.0 (compatible; MSIE 7.0")),
            Err(Reject::UnterminatedQuote)
        );
        // A quote inside a value that is not doubled.
        assert_eq!(
            parse(
                &f,
                &with(b"\"Mozilla/4.0 \"compatible\" x\" - \"h.example.com\" 404 0 0 359")
            ),
            Err(Reject::Malformed)
        );
        // Cut after a whole value.
        assert_eq!(
            parse(&f, &with(b"\"Mozilla/4.0\" -")),
            Err(Reject::Truncated)
        );
        // A doubled quote is part of the value, as written.
        let doubled = with(b"\"Bot \"\"x\"\" 1.0\" - \"h.example.com\" 404 0 0 359");
        let r = parse(&f, &doubled).unwrap();
        assert_eq!(r.user_agent, Some(&b"Bot \"\"x\"\" 1.0"[..]));
        assert_eq!(r.status, 404);
    }

    #[test]
    fn advanced_logging_prefers_utc_fields() {
        // The module's default log definition logs `date`/`time` (UTC) as
        // well as `time-local`: UTC wins.
        let f = W3cFields::from_header(b"#Fields: date time cs-uri-stem c-ip cs-username cs(User-Agent) time-local TimeTakenMS sc-status").unwrap();
        assert!(!f.local_time());
        let r = parse(
            &f,
            b"2014-11-18 00:00:00.363 /a \"192.0.2.7\" \"EXAMPLE\\jdoe\" \"Mozilla/5.0 (Windows NT 6.1; WOW64)\" 17:00:00.363 15 200",
        )
        .unwrap();
        assert_eq!(r.time, at(2014, 11, 18, 0, 0, 0));
        assert_eq!(r.user, Some(&b"EXAMPLE\\jdoe"[..]));
        assert_eq!(r.duration_us, Some(15_000));
        // Without `date`/`time`: BeginRequest-UTC, quoted or not.
        let f = W3cFields::from_header(
            b"#Fields: BeginRequest-UTC date-local time-local c-ip sc-status",
        )
        .unwrap();
        assert!(!f.local_time());
        for line in [
            &b"\"2014-11-18 00:00:01.100\" 2014-11-17 17:00:01.100 192.0.2.7 200"[..],
            b"2014-11-18 00:00:01.100 2014-11-17 17:00:01.100 192.0.2.7 200",
            b"2014-11-18T00:00:01.100Z 2014-11-17 17:00:01.100 192.0.2.7 200",
        ] {
            let r = parse(&f, line).unwrap();
            assert_eq!(
                (r.time, r.client),
                (at(2014, 11, 18, 0, 0, 1), &b"192.0.2.7"[..])
            );
        }
        assert_eq!(
            parse(&f, b"\"2014-11-18\" 2014-11-17 17:00:01 192.0.2.7 200"),
            Err(Reject::BadTimestamp)
        );
    }

    #[test]
    fn software_line_sets_the_dialect_of_each_segment() {
        // An Advanced Logging file with the standard names (Matomo issue
        // 261), then plain IIS after a restart.
        let data = b"#Software: IIS Advanced Logging Module\r\n#Version: 1.0\r\n#Start-Date: 2014-04-10 12:40:24.191\r\n\
#Fields:  date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n\
2014-04-10 12:40:24.190 - GET /Common/shop/cart.asp - 80 - 192.0.2.1 \"Mozilla/5.0 (Windows NT 6.2; WOW64) AppleWebKit/537.36\" 200 0 0 2036\r\n\
#Software: Microsoft Internet Information Services 7.5\r\n#Version: 1.0\r\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n\
2014-04-10 12:41:08 10.0.0.1 GET /images/a.js - 443 - 192.0.2.1 Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10.9) 200 0 0 44\r\n";
        let segs = segments(data);
        let dialects: Vec<Dialect> = segs
            .iter()
            .map(|s| s.fields.as_ref().unwrap().dialect())
            .collect();
        assert_eq!(dialects, [Dialect::AdvancedLogging, Dialect::Standard]);
        let line = |i: usize| {
            let s = segs[i].start;
            line_at(data, s + line_at(data, s).len() + 2)
        };
        let advanced = segs[0].fields.as_ref().unwrap();
        let standard = segs[1].fields.as_ref().unwrap();
        let r = parse(advanced, line(0)).unwrap();
        assert_eq!(
            (r.time, r.duration_us),
            (at(2014, 4, 10, 12, 40, 24), Some(2_036_000))
        );
        assert_eq!(
            r.user_agent,
            Some(&b"Mozilla/5.0 (Windows NT 6.2; WOW64) AppleWebKit/537.36"[..])
        );
        assert_eq!(
            parse(standard, line(1)).unwrap().user_agent,
            Some(&b"Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10.9)"[..])
        );
        // Read as plain IIS, the quoted agent's spaces make extra values.
        assert_eq!(parse(standard, line(0)), Err(Reject::Malformed));
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            quote_heavy in proptest::collection::vec(
                proptest::sample::select(&b"\"\" -a0:.T"[..]), 0..80),
        ) {
            let mut doc = b"#Software: IIS Advanced Logging Module\n".to_vec();
            doc.extend_from_slice(ADVANCED);
            doc.push(b'\n');
            doc.extend_from_slice(&quote_heavy);
            doc.push(b'\n');
            doc.extend_from_slice(b"#Fields: BeginRequest-UTC c-ip\n");
            doc.extend_from_slice(&quote_heavy);
            doc.push(b'\n');
            for input in [&data[..], &doc] {
                for seg in segments(input) {
                    let Some(f) = seg.fields else { continue };
                    for line in input.split(|b| *b == b'\n') {
                        let _ = parse(&f, line);
                    }
                }
            }
        }
    }
}
