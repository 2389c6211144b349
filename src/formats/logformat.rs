//! Apache `LogFormat` strings and nginx `log_format` bodies, compiled once
//! into a line parser.
//!
//! `--log-format '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D'`
//! is turned into a list of literals and fields; parsing a line walks that
//! list once, matching literals and cutting fields at the next literal —
//! no regex per line. A field between double quotes is read with the same
//! escape-aware scanner as the presets, so `\"` inside a user agent does not
//! end it. Directives that carry nothing logveil uses (ports, process ids,
//! other headers, environment variables) are parsed and skipped; unknown
//! ones are an error naming the directive.

use super::fields::{dash_none, quoted};
use super::{LogFormat, NO_RESPONSE, ParseContext, RawRecord, Reject, Request};
use crate::time;

/// A `LogFormat` string that cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// A directive logveil does not know.
    #[error(
        "unknown directive {directive} at position {position} of the log format; see `logveil formats` for the supported ones"
    )]
    UnknownDirective {
        /// The directive as written, e.g. `%Z`.
        directive: String,
        /// Byte position in the format string.
        position: usize,
    },
    /// A `%{` without its `}`, or a `%` at the end.
    #[error("incomplete directive at position {0} of the log format")]
    Incomplete(usize),
    /// The format has no client field (`%h`, `%a`) or no time (`%t`).
    #[error("the log format has no {0}; logveil needs a client address (%h or %a) and a time (%t)")]
    Missing(&'static str),
    /// Two fields with nothing between them cannot be told apart.
    #[error("fields {0} and {1} follow each other without a separator; they cannot be split")]
    Adjacent(String, String),
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Client,
    User,
    /// `%t`: `[dd/Mon/yyyy:HH:MM:SS ±zzzz]`, brackets included.
    TimeClf,
    /// nginx `$time_local`: the same without brackets.
    TimeClfBare,
    /// nginx `$time_iso8601`.
    TimeIso,
    /// nginx `$msec`: seconds with a millisecond fraction.
    TimeEpochFraction,
    /// `%{sec}t`, `%{msec}t`, `%{usec}t`.
    TimeEpoch(u32),
    /// `%{strftime}t`.
    TimeCustom(String),
    Request,
    /// nginx `$request_uri`: path and query together.
    Target,
    /// GoAccess `%d`: the date part, read with the date format.
    Date,
    /// GoAccess `%t`: the time part, read with the time format.
    Clock,
    /// GoAccess `%x`: date and time in one, read with both formats.
    DateTime,
    /// GoAccess `%~`: any run of spaces.
    Spaces,
    Method,
    Path,
    Query,
    Protocol,
    Status,
    Bytes,
    Referer,
    UserAgent,
    ForwardedFor,
    Vhost,
    /// `%D` (µs), `%T` (s), `%{ms}T` …: scale to microseconds.
    Duration(u64),
    /// Parsed and ignored.
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Lit(Vec<u8>),
    Field(Field, String),
}

/// A compiled Apache `LogFormat`, nginx `log_format` or GoAccess
/// `--log-format`.
#[derive(Debug, Clone)]
pub struct ApacheFormat {
    source: String,
    tokens: Vec<Token>,
    name: &'static str,
    /// GoAccess date and time formats (strftime), for `%d`, `%t`, `%x`.
    date_time: Option<(String, String)>,
}

/// GoAccess's predefined `--log-format` names.
pub fn goaccess_preset(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_uppercase().as_str() {
        "COMBINED" => r#"%h %^[%d:%t %^] "%r" %s %b "%R" "%u""#,
        "VCOMBINED" => r#"%v:%^ %h %^[%d:%t %^] "%r" %s %b "%R" "%u""#,
        "COMMON" => r#"%h %^[%d:%t %^] "%r" %s %b"#,
        "VCOMMON" => r#"%v:%^ %h %^[%d:%t %^] "%r" %s %b"#,
        _ => return None,
    })
}

fn goaccess_specifier(letter: char) -> Option<Field> {
    Some(match letter {
        'h' => Field::Client,
        'e' => Field::User,
        'd' => Field::Date,
        't' => Field::Clock,
        'x' => Field::DateTime,
        'v' => Field::Vhost,
        'r' => Field::Request,
        'm' => Field::Method,
        'U' => Field::Target,
        'q' => Field::Query,
        'H' => Field::Protocol,
        's' => Field::Status,
        'b' => Field::Bytes,
        'R' => Field::Referer,
        'u' => Field::UserAgent,
        'L' => Field::Duration(1_000),
        'T' => Field::Duration(1_000_000),
        'D' => Field::Duration(1),
        'n' => Field::Duration(0),
        '~' => Field::Spaces,
        '^' | 'C' | 'K' | 'k' | 'M' => Field::Skip,
        _ => return None,
    })
}

/// The field of an nginx variable; `None` for an unknown one.
fn nginx_variable(name: &str) -> Option<Field> {
    Some(match name {
        "remote_addr" | "realip_remote_addr" => Field::Client,
        "remote_user" => Field::User,
        "time_local" => Field::TimeClfBare,
        "time_iso8601" => Field::TimeIso,
        "msec" => Field::TimeEpochFraction,
        "request" => Field::Request,
        "request_method" => Field::Method,
        "request_uri" => Field::Target,
        "uri" | "document_uri" => Field::Path,
        "args" | "query_string" => Field::Query,
        "server_protocol" => Field::Protocol,
        "status" => Field::Status,
        "body_bytes_sent" | "bytes_sent" => Field::Bytes,
        "http_referer" => Field::Referer,
        "http_user_agent" => Field::UserAgent,
        "http_x_forwarded_for" | "proxy_add_x_forwarded_for" => Field::ForwardedFor,
        "host" | "server_name" | "http_host" => Field::Vhost,
        "request_time" => Field::Duration(1_000_000),
        "remote_port"
        | "server_addr"
        | "server_port"
        | "connection"
        | "connection_requests"
        | "pid"
        | "pipe"
        | "request_length"
        | "request_id"
        | "scheme"
        | "https"
        | "gzip_ratio"
        | "hostname"
        | "nginx_version"
        | "status_text"
        | "content_type"
        | "content_length"
        | "req_id"
        | "namespace"
        | "ingress_name"
        | "service_name"
        | "service_port" => Field::Skip,
        n if [
            "http_",
            "sent_http_",
            "cookie_",
            "arg_",
            "upstream_",
            "ssl_",
            "proxy_",
            "geoip_",
            "realip_",
            "sent_trailer_",
        ]
        .iter()
        .any(|p| n.starts_with(p)) =>
        {
            Field::Skip
        }
        _ => return None,
    })
}

fn directive(letter: char, arg: Option<&str>) -> Option<Field> {
    let arg_lower = arg.map(str::to_ascii_lowercase);
    Some(match (letter, arg_lower.as_deref()) {
        ('h' | 'a', None | Some("c")) => Field::Client,
        ('u', None) => Field::User,
        ('l', None) => Field::Skip,
        ('t', None) => Field::TimeClf,
        ('t', Some(a)) => {
            let a = a.trim_start_matches("begin:").trim_start_matches("end:");
            match a {
                "sec" => Field::TimeEpoch(1),
                "msec" => Field::TimeEpoch(1_000),
                "usec" => Field::TimeEpoch(1_000_000),
                _ => Field::TimeCustom(
                    arg.unwrap_or_default()
                        .trim_start_matches("begin:")
                        .trim_start_matches("end:")
                        .to_string(),
                ),
            }
        }
        ('r', None) => Field::Request,
        ('m', None) => Field::Method,
        ('U', None) => Field::Path,
        ('q', None) => Field::Query,
        ('H', None) => Field::Protocol,
        ('s', None) => Field::Status,
        ('b' | 'B' | 'O', None) => Field::Bytes,
        ('I' | 'S', None) => Field::Skip,
        ('i', Some("referer") | Some("referrer")) => Field::Referer,
        ('i', Some("user-agent")) => Field::UserAgent,
        ('i', Some("x-forwarded-for")) => Field::ForwardedFor,
        ('i' | 'o' | 'e' | 'n' | 'C' | 'x' | '^', Some(_)) => Field::Skip,
        ('v' | 'V', None) => Field::Vhost,
        ('D', None) => Field::Duration(1),
        ('T', None | Some("s")) => Field::Duration(1_000_000),
        ('T', Some("ms")) => Field::Duration(1_000),
        ('T', Some("us")) => Field::Duration(1),
        ('p' | 'P', _) | ('A' | 'f' | 'k' | 'L' | 'R' | 'X', None) => Field::Skip,
        _ => return None,
    })
}

impl ApacheFormat {
    /// Compiles a GoAccess `--log-format` (or one of its predefined names),
    /// with its `--date-format` and `--time-format`. Like GoAccess, times
    /// are read as logged; without a zone in them they are taken as UTC.
    pub fn compile_goaccess(
        format: &str,
        date_format: &str,
        time_format: &str,
    ) -> Result<ApacheFormat, FormatError> {
        let source = goaccess_preset(format).unwrap_or(format);
        let mut tokens: Vec<Token> = Vec::new();
        let mut lit = Vec::new();
        let mut chars = source.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\\' && chars.peek().is_some_and(|(_, n)| *n == '"') {
                // `\"` in a GoAccess format is a plain quote.
                lit.push(b'"');
                chars.next();
                continue;
            }
            if c != '%' {
                let mut buf = [0u8; 4];
                lit.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            let (_, letter) = chars.next().ok_or(FormatError::Incomplete(i))?;
            let field =
                goaccess_specifier(letter).ok_or_else(|| FormatError::UnknownDirective {
                    directive: format!("%{letter}"),
                    position: i,
                })?;
            push_field(&mut tokens, &mut lit, field, format!("%{letter}"), "", "")?;
        }
        let mut compiled = finish_with(
            source,
            tokens,
            lit,
            "goaccess",
            &[Field::Date, Field::Clock, Field::DateTime],
        )?;
        compiled.date_time = Some((date_format.to_string(), time_format.to_string()));
        Ok(compiled)
    }

    /// Compiles an nginx `log_format` body (the quoted string(s) after the
    /// format's name, joined).
    pub fn compile_nginx(source: &str) -> Result<ApacheFormat, FormatError> {
        compile_template(
            source,
            b'$',
            ("$uri", "$args"),
            "nginx_log_format",
            |start| {
                let i = start + 1;
                let (name, end) = if source.as_bytes().get(i) == Some(&b'{') {
                    braced(source, i, start)?
                } else {
                    let end = source[i..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(source.len(), |e| e + i);
                    (&source[i..end], end)
                };
                if name.is_empty() {
                    return Err(FormatError::Incomplete(start));
                }
                let field = nginx_variable(name).ok_or_else(|| FormatError::UnknownDirective {
                    directive: format!("${name}"),
                    position: start,
                })?;
                Ok(Directive::Field(field, end))
            },
        )
    }

    /// Compiles a `LogFormat` string.
    pub fn compile(source: &str) -> Result<ApacheFormat, FormatError> {
        let bytes = source.as_bytes();
        compile_template(source, b'%', ("%U", "%q"), "apache_logformat", |start| {
            let mut i = start + 1;
            if bytes.get(i) == Some(&b'%') {
                return Ok(Directive::Literal(b'%', i + 1));
            }
            // Conditions (`!200,304`, `400,501`) and `<`/`>` are accepted
            // and ignored: they change when Apache logs, not the layout.
            while i < bytes.len()
                && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'!' | b',' | b'<' | b'>'))
            {
                i += 1;
            }
            let arg = if bytes.get(i) == Some(&b'{') {
                let (a, after) = braced(source, i, start)?;
                i = after;
                Some(a)
            } else {
                None
            };
            let letter = source[i..]
                .chars()
                .next()
                .ok_or(FormatError::Incomplete(start))?;
            i += letter.len_utf8();
            let field = directive(letter, arg).ok_or_else(|| FormatError::UnknownDirective {
                directive: source[start..i].to_string(),
                position: start,
            })?;
            Ok(Directive::Field(field, i))
        })
    }

    /// The format string as given.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// What a dialect's directive reader makes of the text at a sigil.
enum Directive {
    /// A field, and where its directive ends.
    Field(Field, usize),
    /// A literal byte (`%%`), and where its escape ends.
    Literal(u8, usize),
}

/// Compiles a format string whose directives start with `sigil`: text
/// between them is literal, and `directive(at)` reads the directive at
/// byte `at`. `path_query` names the path and query directives that may
/// stand side by side (`%U%q`).
fn compile_template(
    source: &str,
    sigil: u8,
    path_query: (&str, &str),
    name: &'static str,
    mut directive: impl FnMut(usize) -> Result<Directive, FormatError>,
) -> Result<ApacheFormat, FormatError> {
    let bytes = source.as_bytes();
    let mut tokens: Vec<Token> = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != sigil {
            lit.push(bytes[i]);
            i += 1;
            continue;
        }
        match directive(i)? {
            Directive::Literal(b, end) => {
                lit.push(b);
                i = end;
            }
            Directive::Field(field, end) => {
                push_field(
                    &mut tokens,
                    &mut lit,
                    field,
                    source[i..end].to_string(),
                    path_query.0,
                    path_query.1,
                )?;
                i = end;
            }
        }
    }
    finish(source, tokens, lit, name)
}

/// The argument of `%{…}` or `${…}` whose `{` is at `open`, and the
/// position after its `}`; `directive` is where the directive began, for
/// the error.
fn braced(source: &str, open: usize, directive: usize) -> Result<(&str, usize), FormatError> {
    let close = source[open..]
        .find('}')
        .ok_or(FormatError::Incomplete(directive))?
        + open;
    Ok((&source[open + 1..close], close + 1))
}

/// Appends a field after any pending literal. Two fields with nothing
/// between them cannot be split, except a path followed by its query
/// (`%U%q`, `$uri$args`: the query starts at `?`) and anything after
/// GoAccess's `%~`, which ends where the spaces do.
fn push_field(
    tokens: &mut Vec<Token>,
    lit: &mut Vec<u8>,
    field: Field,
    text: String,
    path: &str,
    query: &str,
) -> Result<(), FormatError> {
    if !lit.is_empty() {
        tokens.push(Token::Lit(std::mem::take(lit)));
    } else if let Some(Token::Field(prev_field, prev)) = tokens.last()
        && !(prev == path && text == query)
        && *prev_field != Field::Spaces
    {
        return Err(FormatError::Adjacent(prev.clone(), text));
    }
    tokens.push(Token::Field(field, text));
    Ok(())
}

/// Checks a token list has what every record needs.
fn finish(
    source: &str,
    tokens: Vec<Token>,
    lit: Vec<u8>,
    name: &'static str,
) -> Result<ApacheFormat, FormatError> {
    finish_with(source, tokens, lit, name, &[])
}

/// [`finish`], counting `extra_times` as time fields too.
fn finish_with(
    source: &str,
    mut tokens: Vec<Token>,
    lit: Vec<u8>,
    name: &'static str,
    extra_times: &[Field],
) -> Result<ApacheFormat, FormatError> {
    if !lit.is_empty() {
        tokens.push(Token::Lit(lit));
    }
    let has = |f: &dyn Fn(&Field) -> bool| {
        tokens
            .iter()
            .any(|t| matches!(t, Token::Field(x, _) if f(x)))
    };
    if !has(&|f| *f == Field::Client) {
        return Err(FormatError::Missing("client address"));
    }
    let timed = |f: &Field| {
        matches!(
            f,
            Field::TimeClf
                | Field::TimeClfBare
                | Field::TimeIso
                | Field::TimeEpoch(_)
                | Field::TimeEpochFraction
                | Field::TimeCustom(_)
        )
    };
    if !has(&timed) && !has(&|f| extra_times.contains(f)) {
        return Err(FormatError::Missing("time"));
    }
    Ok(ApacheFormat {
        source: source.to_string(),
        tokens,
        name,
        date_time: None,
    })
}

/// A time read with a strftime pattern: with its zone if the pattern has
/// one, else as UTC.
fn local_time(value: &[u8], pattern: &str) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?;
    chrono::DateTime::parse_from_str(text, pattern)
        .map(|t| t.timestamp())
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, pattern).map(|t| t.and_utc().timestamp())
        })
        .ok()
}

fn number(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |a, &c| {
        c.is_ascii_digit().then(|| a * 10 + u64::from(c - b'0'))
    })
}

/// A decimal duration such as `0.004` (seconds) scaled to microseconds.
fn duration(v: &[u8], scale: u64) -> Option<u64> {
    let text = std::str::from_utf8(v).ok()?;
    let value: f64 = text.parse().ok()?;
    // Scale 0 marks nanoseconds (GoAccess `%n`).
    let (value, scale) = if scale == 0 {
        (value / 1000.0, 1)
    } else {
        (value, scale)
    };
    (value.is_finite() && value >= 0.0).then_some((value * scale as f64) as u64)
}

impl LogFormat for ApacheFormat {
    fn name(&self) -> &'static str {
        self.name
    }

    fn description(&self) -> &'static str {
        "an Apache LogFormat or nginx log_format string given for the run"
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let mut rec = RawRecord {
            client: b"",
            user: None,
            time: 0,
            request: Request::Missing,
            status: 0,
            bytes: 0,
            referer: None,
            user_agent: None,
            vhost: None,
            forwarded_for: None,
            duration_us: None,
        };
        let mut method: Option<&[u8]> = None;
        let mut path: Option<&[u8]> = None;
        let mut query: &[u8] = b"";
        let mut protocol: &[u8] = b"";
        let (mut date, mut clock): (Option<&[u8]>, Option<&[u8]>) = (None, None);
        let (mut have_time, mut have_status) = (false, false);
        let mut rest = line;
        for (k, token) in self.tokens.iter().enumerate() {
            let field = match token {
                Token::Lit(l) => {
                    rest = rest.strip_prefix(l.as_slice()).ok_or(if rest.is_empty() {
                        Reject::Truncated
                    } else {
                        Reject::Malformed
                    })?;
                    continue;
                }
                Token::Field(f, _) => f,
            };
            let next = self.tokens.get(k + 1);
            // A field that fills a pair of quotes is read with the
            // escape-aware scanner; one sharing them (`"%m %U %H"`) is not.
            let quoted_field = k > 0
                && matches!(&self.tokens[k - 1], Token::Lit(l) if l.ends_with(b"\""))
                && matches!(next, Some(Token::Lit(l)) if l.starts_with(b"\""));
            let value: &[u8] = if quoted_field {
                // `"` was consumed by the literal; put it back for the scanner.
                let start = line.len() - rest.len() - 1;
                let (after, inner) =
                    quoted(&line[start..]).map_err(|_| Reject::UnterminatedQuote)?;
                // The closing quote belongs to the next literal.
                rest = &line[line.len() - after.len() - 1..];
                inner
            } else if *field == Field::DateTime {
                // The value holds as many spaces as the date-time pattern.
                let spaces = self.date_time.as_ref().map_or(0, |(d, t)| {
                    d.matches(' ').count() + t.matches(' ').count() + 1
                });
                let mut end = 0;
                for _ in 0..spaces {
                    end += memchr::memchr(b' ', &rest[end..]).ok_or(Reject::Truncated)? + 1;
                }
                end += match next {
                    Some(Token::Lit(l)) => memchr::memmem::find(&rest[end..], &l[..l.len().min(1)])
                        .ok_or(Reject::Truncated)?,
                    _ => rest.len() - end,
                };
                let v = &rest[..end];
                rest = &rest[end..];
                v
            } else if *field == Field::Spaces {
                let n = rest.iter().take_while(|c| **c == b' ').count();
                let v = &rest[..n];
                rest = &rest[n..];
                v
            } else if *field == Field::TimeClf {
                let end = memchr::memchr(b']', rest).ok_or(Reject::Truncated)?;
                let v = &rest[..=end];
                rest = &rest[end + 1..];
                v
            } else if *field == Field::Path && matches!(next, Some(Token::Field(Field::Query, _))) {
                let end = rest
                    .iter()
                    .position(|c| matches!(c, b'?' | b' ' | b'"'))
                    .unwrap_or(rest.len());
                let v = &rest[..end];
                rest = &rest[end..];
                v
            } else {
                let mut end = match next {
                    Some(Token::Lit(l)) => {
                        memchr::memmem::find(rest, &l[..l.len().min(1)]).ok_or(Reject::Truncated)?
                    }
                    _ => rest.len(),
                };
                // nginx writes lists inside one field (`$upstream_addr`:
                // `10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80`): a value ending
                // in `,` or followed by ` : ` goes on to the next separator.
                if let Some(Token::Lit(l)) = next
                    && l.first() == Some(&b' ')
                {
                    while end < rest.len()
                        && (rest[..end].ends_with(b",") || rest[end..].starts_with(b" : "))
                    {
                        let from = if rest[end..].starts_with(b" : ") {
                            end + 3
                        } else {
                            end + 1
                        };
                        end = match memchr::memchr(b' ', rest.get(from..).unwrap_or(b"")) {
                            Some(p) => from + p,
                            None => rest.len(),
                        };
                    }
                }
                let v = &rest[..end];
                rest = &rest[end..];
                v
            };
            match field {
                Field::Client => rec.client = value,
                Field::User => rec.user = dash_none(value),
                Field::TimeClf => {
                    let inner = value
                        .strip_prefix(b"[")
                        .and_then(|v| v.strip_suffix(b"]"))
                        .ok_or(Reject::BadTimestamp)?;
                    rec.time = cx
                        .time
                        .get(inner, time::parse_clf)
                        .ok_or(Reject::BadTimestamp)?;
                    have_time = true;
                }
                Field::TimeClfBare => {
                    rec.time = cx
                        .time
                        .get(value, time::parse_clf)
                        .ok_or(Reject::BadTimestamp)?;
                    have_time = true;
                }
                Field::TimeIso => {
                    let text = std::str::from_utf8(value).map_err(|_| Reject::BadTimestamp)?;
                    rec.time = chrono::DateTime::parse_from_rfc3339(text)
                        .map_err(|_| Reject::BadTimestamp)?
                        .timestamp();
                    have_time = true;
                }
                Field::TimeEpochFraction => {
                    let whole = value.split(|c| *c == b'.').next().unwrap_or(value);
                    rec.time = number(whole).ok_or(Reject::BadTimestamp)? as i64;
                    have_time = true;
                }
                Field::Target => path = Some(value),
                Field::Date => date = Some(value),
                Field::Clock => clock = Some(value),
                Field::DateTime => {
                    let (d, t) = self.date_time.as_ref().ok_or(Reject::BadTimestamp)?;
                    rec.time =
                        local_time(value, &format!("{d} {t}")).ok_or(Reject::BadTimestamp)?;
                    have_time = true;
                }
                Field::Spaces => {}
                Field::TimeEpoch(per_second) => {
                    rec.time = (number(value).ok_or(Reject::BadTimestamp)? / u64::from(*per_second))
                        as i64;
                    have_time = true;
                }
                Field::TimeCustom(pattern) => {
                    let text = std::str::from_utf8(value).map_err(|_| Reject::BadTimestamp)?;
                    rec.time = chrono::DateTime::parse_from_str(text, pattern)
                        .map(|t| t.timestamp())
                        .or_else(|_| {
                            chrono::NaiveDateTime::parse_from_str(text, pattern)
                                .map(|t| t.and_utc().timestamp())
                        })
                        .map_err(|_| Reject::BadTimestamp)?;
                    have_time = true;
                }
                Field::Request => rec.request = Request::parse(value),
                Field::Method => method = Some(value),
                Field::Path => path = Some(value),
                Field::Query => query = value,
                Field::Protocol => protocol = value,
                Field::Status => {
                    rec.status = if value == b"-" {
                        NO_RESPONSE
                    } else {
                        number(value)
                            .filter(|s| (100..=999).contains(s))
                            .ok_or(Reject::BadStatus)? as u16
                    };
                    have_status = true;
                }
                Field::Bytes => {
                    rec.bytes = if value == b"-" {
                        0
                    } else {
                        number(value).ok_or(Reject::BadBytes)?
                    }
                }
                Field::Referer => rec.referer = dash_none(value),
                Field::UserAgent => rec.user_agent = dash_none(value),
                Field::ForwardedFor => rec.forwarded_for = dash_none(value),
                Field::Vhost => rec.vhost = dash_none(value),
                // Optional information: a `-` or `-1` (ALB's "no response")
                // drops the duration, not the line.
                Field::Duration(scale) => rec.duration_us = duration(value, *scale),
                Field::Skip => {}
            }
        }
        if let (Some(d), Some(c), Some((df, tf))) = (date, clock, &self.date_time) {
            let text = [d, b" ", c].concat();
            rec.time = local_time(&text, &format!("{df} {tf}")).ok_or(Reject::BadTimestamp)?;
            have_time = true;
        }
        if rec.client.is_empty() || rec.client == b"-" {
            return Err(Reject::BadClient);
        }
        if !have_time {
            return Err(Reject::BadTimestamp);
        }
        if !have_status {
            rec.status = 200;
        }
        if let Some(p) = path {
            // A format may log the target without the method.
            let m = method.unwrap_or(b"");
            // The path and query sit side by side in the line (`%U%q`).
            let target = if query.is_empty() {
                p
            } else {
                let start = p.as_ptr() as usize - line.as_ptr() as usize;
                let end = query.as_ptr() as usize - line.as_ptr() as usize + query.len();
                line.get(start..end).unwrap_or(p)
            };
            rec.request = Request::Http {
                method: m,
                target,
                protocol,
            };
        }
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::combined::Combined;

    const COMBINED: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;

    fn parse<'a>(f: &ApacheFormat, line: &'a [u8]) -> Result<RawRecord<'a>, Reject> {
        f.parse(line, &mut ParseContext::default())
    }

    #[test]
    fn the_combined_format_string_parses_like_the_preset() {
        let f = ApacheFormat::compile(COMBINED).unwrap();
        for line in [
            &br#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#[..],
            br#"::ffff:192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a\"b HTTP/1.1" 404 - "-" "Mozilla \"q\" \xe2""#,
            br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "\x16\x03\x01" 400 - "-" "-""#,
            br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "" 408 - "-" "-""#,
        ] {
            let mut cx = ParseContext::default();
            assert_eq!(parse(&f, line), Combined.parse(line, &mut cx), "{}", String::from_utf8_lossy(line));
        }
        assert_eq!(
            parse(
                &f,
                b"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200"
            ),
            Err(Reject::Truncated)
        );
        assert_eq!(
            parse(
                &f,
                br#"1.2.3.4 - - [31/Feb/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#
            ),
            Err(Reject::BadTimestamp)
        );
    }

    #[test]
    fn split_request_fields_durations_vhost_and_custom_times() {
        let f = ApacheFormat::compile(
            r#"%v %a %{%Y-%m-%dT%H:%M:%S%z}t "%m %U%q %H" %>s %O %D %{X-Forwarded-For}i"#,
        )
        .unwrap();
        let r = parse(&f, br#"www.example.edu 192.0.2.1 2000-10-10T13:55:36-0700 "GET /search?q=x HTTP/1.1" 200 512 1234 203.0.113.9"#).unwrap();
        assert_eq!(r.time, 971_211_336);
        assert_eq!(r.vhost, Some(&b"www.example.edu"[..]));
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/search?q=x",
                protocol: b"HTTP/1.1"
            }
        );
        assert_eq!(r.forwarded_for, Some(&b"203.0.113.9"[..]));
        assert_eq!(r.duration_us, Some(1234));
        let f = ApacheFormat::compile("%h %{sec}t %s").unwrap();
        assert_eq!(
            parse(&f, b"192.0.2.1 971211336 304").unwrap().time,
            971_211_336
        );
    }

    #[test]
    fn compile_errors_name_the_problem() {
        let e = ApacheFormat::compile("%h %t %Z").unwrap_err();
        assert_eq!(
            e,
            FormatError::UnknownDirective {
                directive: "%Z".into(),
                position: 6
            }
        );
        assert!(e.to_string().contains("%Z"));
        assert!(matches!(
            ApacheFormat::compile("%h %t %{Referer"),
            Err(FormatError::Incomplete(6))
        ));
        assert!(matches!(
            ApacheFormat::compile("%u %t"),
            Err(FormatError::Missing(_))
        ));
        assert!(matches!(
            ApacheFormat::compile("%h%u %t"),
            Err(FormatError::Adjacent(..))
        ));
        assert!(
            ApacheFormat::compile("%h %l %u %t \"%r\" %>s %b %% %!200,304{Foo}i %{remote}p")
                .is_ok()
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        let f = ApacheFormat::compile(COMBINED).unwrap();
        let mut x = 12345u64;
        for n in 0..3000 {
            let len = n % 120;
            let line: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b" \"[]-/:0123456789abcGET\\"[(x % 24) as usize]
                })
                .collect();
            let _ = parse(&f, &line);
        }
    }

    #[test]
    fn nginx_formats() {
        let main = ApacheFormat::compile_nginx(r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#).unwrap();
        let line = br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a?b=1 HTTP/1.1" 200 12 "-" "curl/8" "203.0.113.7, 10.0.0.1""#;
        let r = parse(&main, line).unwrap();
        let mut cx = ParseContext::default();
        assert_eq!(r, Combined.parse(line, &mut cx).unwrap());
        let custom = ApacheFormat::compile_nginx("$remote_addr [$time_iso8601] ${request_method} $request_uri $status $bytes_sent $request_time $host $upstream_response_time").unwrap();
        let r = parse(&custom, b"2001:db8::1 [2000-10-10T13:55:36-07:00] POST /api/x?y=2 201 77 0.004 www.example.edu 0.003, 0.001").unwrap();
        assert_eq!(r.time, 971_211_336);
        assert_eq!(
            r.request,
            Request::Http {
                method: b"POST",
                target: b"/api/x?y=2",
                protocol: b""
            }
        );
        assert_eq!(
            (r.status, r.bytes, r.vhost),
            (201, 77, Some(&b"www.example.edu"[..]))
        );
        let msec = ApacheFormat::compile_nginx("$msec $remote_addr $request_uri").unwrap();
        assert_eq!(
            parse(&msec, b"971211336.123 192.0.2.1 /x").unwrap().time,
            971_211_336
        );
        let e = ApacheFormat::compile_nginx("$remote_addr $time_local $bogus").unwrap_err();
        assert_eq!(
            e,
            FormatError::UnknownDirective {
                directive: "$bogus".into(),
                position: 25
            }
        );
        assert_eq!(main.name(), "nginx_log_format");
    }

    #[test]
    fn goaccess_formats() {
        let f = ApacheFormat::compile_goaccess("COMBINED", "%d/%b/%Y", "%H:%M:%S").unwrap();
        let line =
            br#"192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl/8""#;
        let r = parse(&f, line).unwrap();
        let mut cx = ParseContext::default();
        assert_eq!(r, Combined.parse(line, &mut cx).unwrap());
        let custom =
            ApacheFormat::compile_goaccess(r#"%x %h %m %U %s %b %L %~%^"#, "%Y-%m-%d", "%H:%M:%S")
                .unwrap();
        let r = parse(
            &custom,
            b"2000-10-10 20:55:36 192.0.2.1 GET /x?y=1 204 0 15   tail",
        )
        .unwrap();
        assert_eq!(
            (r.time, r.status, r.duration_us),
            (971_211_336, 204, Some(15_000))
        );
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"/x?y=1",
                protocol: b""
            }
        );
        let quoted =
            ApacheFormat::compile_goaccess(r#"%h [%d:%t] \"%r\" %s"#, "%d/%b/%Y", "%H:%M:%S")
                .unwrap();
        assert!(
            parse(
                &quoted,
                br#"192.0.2.1 [10/Oct/2000:13:55:36] "GET / HTTP/1.1" 200"#
            )
            .is_ok()
        );
        assert!(matches!(
            ApacheFormat::compile_goaccess("%h %Q %d", "%d", "%t"),
            Err(FormatError::UnknownDirective { .. })
        ));
    }
}
