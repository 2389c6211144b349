//! Field parsers shared by the Apache/nginx family of formats, written with
//! nom 8 over `&[u8]`.
//!
//! Each parser is a small nom function; [`clf_core`] sequences them for the
//! `%h %l %u %t "%r" %>s %b` core that Common, Combined and vhost_combined
//! share, mapping each failure to the [`Reject`] reason of the field that
//! failed, so the manifest can say *why* lines were refused.
//!
//! Three readers, cheapest first: a straight scan for the usual shape, the
//! field-by-field parser that names a rejection, and (only for lines whose
//! fields before the time are not `%h %l %u`) the tolerant `prefix` reader
//! for a leading host, 0-3 identity fields and proxy chains. Ordinary lines
//! never reach the last two.

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{take_till, take_till1, take_while_m_n, take_while1},
    character::complete::{char, u64 as dec_u64},
    combinator::value,
    sequence::delimited,
};

use super::{NO_RESPONSE, ParseContext, RawRecord, Reject, Request};
use crate::time;

mod prefix;

/// A run of non-space bytes.
pub fn token(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_till1(|c| c == b' ').parse(i)
}

/// One or more spaces (some rewriters double them).
pub fn spaces(i: &[u8]) -> IResult<&[u8], ()> {
    value((), take_while1(|c| c == b' ')).parse(i)
}

/// `[...]`, returning the inside.
pub fn bracketed(i: &[u8]) -> IResult<&[u8], &[u8]> {
    delimited(char('['), take_till(|c| c == b']'), char(']')).parse(i)
}

/// `"..."` with backslash escapes (`\"`, `\\`, `\xNN`), returning the
/// inside with escapes intact. Apache escapes quotes and non-printable
/// bytes this way; nginx writes `\x22` for a quote, which needs nothing
/// special.
pub fn quoted(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let fail = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Char));
    let body = i.strip_prefix(b"\"").ok_or_else(fail)?;
    let mut pos = 0;
    while let Some(off) = memchr::memchr2(b'"', b'\\', &body[pos..]) {
        let at = pos + off;
        if body[at] == b'"' {
            return Ok((&body[at + 1..], &body[..at]));
        }
        // Skip the escaped byte, whatever it is.
        pos = at + 2;
        if pos > body.len() {
            break;
        }
    }
    Err(fail())
}

/// A three-digit HTTP status.
pub fn status(i: &[u8]) -> IResult<&[u8], u16> {
    let (rest, d) = take_while_m_n(3, 3, |c: u8| c.is_ascii_digit()).parse(i)?;
    let n = d
        .iter()
        .fold(0u16, |acc, &c| acc * 10 + u16::from(c - b'0'));
    Ok((rest, n))
}

/// A byte count: digits, or `-` for none.
pub fn size(i: &[u8]) -> IResult<&[u8], u64> {
    alt((value(0, char('-')), dec_u64)).parse(i)
}

/// `Some(field)` unless the field is `-`.
pub fn dash_none(field: &[u8]) -> Option<&[u8]> {
    (field != b"-" && !field.is_empty()).then_some(field)
}

/// A field that is all digits (a count, a duration), `None` for anything
/// else, `-` included: unlike [`size`], a missing value is not zero.
pub fn digits(v: &[u8]) -> Option<u64> {
    if v.starts_with(b"+") {
        return None;
    }
    number(v)
}

/// A whole field of decimal digits (a leading `+`, as HAProxy's
/// `logasap` writes, allowed), or `None`. Callers map `-` themselves.
pub fn number(v: &[u8]) -> Option<u64> {
    let v = v.strip_prefix(b"+").unwrap_or(v);
    (!v.is_empty() && v.len() <= 19 && v.iter().all(u8::is_ascii_digit))
        .then(|| v.iter().fold(0u64, |a, &c| a * 10 + u64::from(c - b'0')))
}

/// Runs one field parser, naming the reason if it fails. Running out of
/// line counts as truncation whatever the field, because that is what a
/// cut-off write looks like.
pub fn field<'a, T>(
    input: &'a [u8],
    parser: impl Fn(&'a [u8]) -> IResult<&'a [u8], T>,
    reason: Reject,
) -> Result<(&'a [u8], T), Reject> {
    if input.is_empty() {
        return Err(Reject::Truncated);
    }
    parser(input).map_err(|_| reason)
}

/// Client addresses and host names use a small alphabet; anything else
/// (binary garbage, a shifted field) is not a client.
pub(crate) fn plausible_client(c: &[u8]) -> bool {
    // `-` is no client: a layout that logs `$http_x_forwarded_for` in its
    // place writes it when the header is missing. Taken as a host name it
    // made every such request one visitor; the format-string and W3C
    // readers reject it too.
    c != b"-" && c.len() <= 255 && c.iter().all(|&b| CLIENT_BYTES[usize::from(b)])
}

/// The bytes of [`plausible_client`], as a table: this runs on every line.
static CLIENT_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'.' | b':' | b'-' | b'_' | b'[' | b']' | b'%');
        b += 1;
    }
    t
};

/// A client field that always ends in `:port` (load balancers, HAProxy)
/// without the port. The port must go here, where the layout says it is
/// there: an unbracketed IPv6 address with a port (`2001:db8::1:3100`) is
/// itself a valid, different address.
pub fn strip_port(client: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', client) {
        Some(p)
            if (2..=6).contains(&(client.len() - p))
                && client[p + 1..].iter().all(u8::is_ascii_digit) =>
        {
            &client[..p]
        }
        _ => client,
    }
}

/// After the last field: end of line, or more fields after a space (nginx
/// `"$http_x_forwarded_for"` and the like are accepted and ignored).
pub fn end_or_trailing(rest: &[u8]) -> Result<(), Reject> {
    match rest.first() {
        None | Some(b' ') | Some(b'\t') => Ok(()),
        Some(_) => Err(Reject::Malformed),
    }
}

/// Parses `%h %l %u %t "%r" %>s %b`, returning what follows.
///
/// Almost every line is written by the server exactly to its layout, so a
/// straight scan for that shape is tried first; any line it does not take
/// (extra spaces, a proxy chain, a `-` status, a damaged field) goes
/// through the field-by-field parser, which also names the reason for a
/// rejection. Both give the same record for every line the scan takes (a
/// property test checks this).
pub fn clf_core<'a>(
    line: &'a [u8],
    cx: &mut ParseContext,
) -> Result<(&'a [u8], RawRecord<'a>), Reject> {
    match clf_scan(line, cx) {
        Some(ok) => Ok(ok),
        None => clf_fields(line, cx),
    }
}

/// The next space-terminated, non-empty token and what follows the space.
/// (These tokens are a few bytes long: a plain loop beats `memchr`'s setup.)
#[inline]
pub(crate) fn word(i: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = i.iter().position(|&c| c == b' ')?;
    (sp > 0).then(|| (&i[..sp], &i[sp + 1..]))
}

/// The straight scan of a well-formed CLF core (see [`clf_core`]).
fn clf_scan<'a>(line: &'a [u8], cx: &mut ParseContext) -> Option<(&'a [u8], RawRecord<'a>)> {
    let (client, i) = word(line)?;
    if !plausible_client(client) {
        return None;
    }
    let (_ident, i) = word(i)?;
    let (user, i) = word(i)?;
    // `[dd/Mon/yyyy:hh:mm:ss +zzzz] `
    if i.first() != Some(&b'[') || i.get(27) != Some(&b']') || i.get(28) != Some(&b' ') {
        return None;
    }
    let when = cx.time.get(i.get(1..27)?, time::parse_clf)?;
    let (i, request) = quoted(i.get(29..)?).ok()?;
    let i = i.strip_prefix(b" ")?;
    let code = i.get(..3)?;
    if !code.iter().all(u8::is_ascii_digit) || i.get(3) != Some(&b' ') {
        return None;
    }
    let code = code
        .iter()
        .fold(0u16, |acc, &c| acc * 10 + u16::from(c - b'0'));
    if code < 100 {
        return None;
    }
    let i = i.get(4..)?;
    let end = memchr::memchr2(b' ', b'\t', i).unwrap_or(i.len());
    let (size, rest) = i.split_at(end);
    let bytes = match size {
        b"-" => 0,
        _ if !size.is_empty() && size.len() <= 19 && size.iter().all(u8::is_ascii_digit) => size
            .iter()
            .fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0')),
        _ => return None,
    };
    let core = Core {
        client,
        user,
        time: when,
        request,
        status: code,
        bytes,
    };
    Some((rest, core.record(None, None)))
}

/// The fields of the CLF core, as both parsers find them.
struct Core<'a> {
    client: &'a [u8],
    user: &'a [u8],
    time: i64,
    request: &'a [u8],
    status: u16,
    bytes: u64,
}

impl<'a> Core<'a> {
    /// The record, with what the core does not carry left empty.
    fn record(self, forwarded_for: Option<&'a [u8]>, vhost: Option<&'a [u8]>) -> RawRecord<'a> {
        RawRecord {
            client: self.client,
            user: dash_none(self.user),
            time: self.time,
            request: Request::parse(self.request),
            status: self.status,
            bytes: self.bytes,
            referer: None,
            user_agent: None,
            vhost,
            forwarded_for,
            duration_us: None,
        }
    }
}

/// `%h %l %u ` (the client possibly a bare proxy chain), returning the
/// rest from the `[` of the time.
fn strict_prefix(line: &[u8]) -> Result<(&[u8], prefix::Prefix<'_>), Reject> {
    let (mut i, mut client) = field(line, token, Reject::BadClient)?;
    // A proxy chain logged in place of the client (`10.0.0.2, 10.0.0.1,
    // 85.181.35.98 - - […]`): the right-most address is the connecting
    // one, the rest is the forwarded-for chain the privacy stage walks.
    let mut chain: Option<&[u8]> = None;
    let mut hops = 0;
    while let Some(head) = client.strip_suffix(b",") {
        hops += 1;
        if hops > 32 || !plausible_client(head) {
            return Err(Reject::BadClient);
        }
        let (rest, ()) = field(i, spaces, Reject::Malformed)?;
        let (rest, next) = field(rest, token, Reject::BadClient)?;
        let chain_end = next.as_ptr() as usize - line.as_ptr() as usize;
        chain = line
            .get(..chain_end)
            .map(|c| c.trim_ascii_end().strip_suffix(b",").unwrap_or(c));
        i = rest;
        client = next;
    }
    if !plausible_client(client) {
        return Err(Reject::BadClient);
    }
    let (i, ()) = field(i, spaces, Reject::Malformed)?;
    let (i, _ident) = field(i, token, Reject::Malformed)?;
    let (i, ()) = field(i, spaces, Reject::Malformed)?;
    let (i, user) = field(i, token, Reject::Malformed)?;
    let (i, ()) = field(i, spaces, Reject::Malformed)?;
    if !i.starts_with(b"[") {
        return Err(Reject::Malformed);
    }
    let who = prefix::Prefix {
        host: None,
        client,
        chain,
        user,
    };
    Ok((i, who))
}

/// The field-by-field parse of the CLF core, for lines the scan refused.
/// Fields before the time that are not `%h %l %u` are read by the tolerant
/// [`prefix`] reader; when it too refuses the line, the strict reader's
/// reason stands.
fn clf_fields<'a>(
    line: &'a [u8],
    cx: &mut ParseContext,
) -> Result<(&'a [u8], RawRecord<'a>), Reject> {
    let (i, who) = match strict_prefix(line) {
        Ok(ok) => ok,
        Err(reason) => prefix::read(line).ok_or(reason)?,
    };
    let (i, ts) = match bracketed(i) {
        Ok(ok) => ok,
        Err(_) if !i.starts_with(b"[") => return Err(Reject::Malformed),
        Err(_) => return Err(Reject::Truncated),
    };
    let when = cx
        .time
        .get(ts, time::parse_clf)
        .ok_or(Reject::BadTimestamp)?;
    let (i, ()) = field(i, spaces, Reject::Malformed)?;
    let (i, request) = match quoted(i) {
        Ok(ok) => ok,
        Err(_) if i.starts_with(b"\"") => return Err(Reject::UnterminatedQuote),
        Err(_) if i.is_empty() => return Err(Reject::Truncated),
        Err(_) => return Err(Reject::Malformed),
    };
    let (i, ()) = field(i, spaces, Reject::Malformed)?;
    let (i, code) = match i.strip_prefix(b"-").filter(|rest| rest.starts_with(b" ")) {
        Some(rest) => (rest, NO_RESPONSE),
        None => {
            let (i, code) = field(i, status, Reject::BadStatus)?;
            if !(100..=999).contains(&code) || i.first().is_some_and(|c| *c != b' ') {
                return Err(Reject::BadStatus);
            }
            (i, code)
        }
    };
    let (i, ()) = field(i, spaces, Reject::Malformed)?;
    let (i, bytes) = field(i, size, Reject::BadBytes)?;
    if i.first().is_some_and(|c| *c != b' ' && *c != b'\t') {
        return Err(Reject::BadBytes);
    }
    let core = Core {
        client: who.client,
        user: who.user,
        time: when,
        request,
        status: code,
        bytes,
    };
    Ok((i, core.record(who.chain, who.host)))
}

/// Parses ` "%{Referer}i" "%{User-Agent}i"` after the core, filling them
/// in. An agent without its closing quote at the end of the line is kept.
pub fn referer_agent<'a>(rest: &'a [u8], rec: &mut RawRecord<'a>) -> Result<&'a [u8], Reject> {
    let quoted_field = |i: &'a [u8]| -> Result<(&'a [u8], &'a [u8]), Reject> {
        match quoted(i) {
            Ok(ok) => Ok(ok),
            Err(_) if i.starts_with(b"\"") => Err(Reject::UnterminatedQuote),
            Err(_) if i.is_empty() => Err(Reject::Truncated),
            Err(_) => Err(Reject::Malformed),
        }
    };
    let (i, ()) = field(rest, spaces, Reject::Malformed)?;
    let (i, referer) = quoted_field(i)?;
    let (i, ()) = field(i, spaces, Reject::Malformed)?;
    let (i, agent) = match i.strip_prefix(b"\"") {
        // No closing quote: the server cut the line inside the agent (a
        // length limit, a full disk). GoAccess keeps such lines; the agent
        // is what was written of it, and nothing can follow.
        Some(body) if quoted(i).is_err() => (&b""[..], body),
        _ => quoted_field(i)?,
    };
    rec.referer = dash_none(referer);
    rec.user_agent = dash_none(agent);
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_handles_escapes() {
        assert_eq!(quoted(br#""a b" x"#), Ok((&b" x"[..], &b"a b"[..])));
        assert_eq!(
            quoted(br#""say \"hi\"" x"#),
            Ok((&b" x"[..], &br#"say \"hi\""#[..]))
        );
        assert_eq!(quoted(br#""a\\" x"#), Ok((&b" x"[..], &br"a\\"[..])));
        assert_eq!(quoted(br#""""#), Ok((&b""[..], &b""[..])));
        assert!(quoted(br#""open"#).is_err());
        assert!(quoted(br#""ends in escape\"#).is_err());
        assert!(quoted(b"no quote").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// Wherever the straight scan takes a line, the field-by-field
        /// parser gives the same record and the same rest.
        #[test]
        fn the_scan_agrees_with_the_field_parser(
            seed in 0usize..3,
            edits in proptest::collection::vec((0usize..90, proptest::sample::select(
                b" -[]\"\\,\t0123456789/:+Mx".to_vec()), 0u8..3), 0..4),
        ) {
            let seeds: [&[u8]; 3] = [
                br#"192.0.2.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a?b=c HTTP/1.1" 200 2326 "-" "x""#,
                br#"2001:db8::1 - - [29/Feb/2024:23:59:59 +0000] "GET / HTTP/1.1" 404 - rest"#,
                br#"host.example - - [01/Jan/2026:00:00:00 +0100] "" 408 0"#,
            ];
            let mut line = seeds[seed].to_vec();
            for (at, byte, op) in edits {
                let at = at % (line.len() + 1);
                match op {
                    0 if at < line.len() => line[at] = byte,
                    1 => line.insert(at, byte),
                    _ => line.truncate(at),
                }
            }
            if let Some(scanned) = clf_scan(&line, &mut ParseContext::default()) {
                let fielded = clf_fields(&line, &mut ParseContext::default());
                proptest::prop_assert_eq!(Ok(scanned), fielded);
            }
        }
    }

    #[test]
    fn the_scan_takes_ordinary_lines() {
        let line =
            br#"192.0.2.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 2326 "-" "x""#;
        assert!(clf_scan(line, &mut ParseContext::default()).is_some());
        for odd in [
            &br#"192.0.2.1  - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#[..],
            br#"10.0.0.2, 192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#,
            br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" - 0"#,
        ] {
            assert!(clf_scan(odd, &mut ParseContext::default()).is_none());
            assert!(clf_core(odd, &mut ParseContext::default()).is_ok());
        }
        // Edge cases of each field: both parsers agree on all of them.
        for edge in [
            &br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 099 1"#[..],
            br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 99999999999999999999"#,
            br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 18446744073709551615"#,
            b"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 12\tx",
            br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 -5"#,
            br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 "#,
            br#"192.0.2.1 - - [10/Oct]2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#,
            br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700]"GET / HTTP/1.1" 200 1"#,
            br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 2000 1"#,
            br#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1x"#,
            br#"bad!client - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#,
        ] {
            assert_eq!(
                clf_core(edge, &mut ParseContext::default()),
                clf_fields(edge, &mut ParseContext::default()),
                "{}",
                String::from_utf8_lossy(edge)
            );
        }
    }

    #[test]
    fn ports_are_cut_where_the_layout_has_one() {
        for (with, without) in [
            ("192.0.2.1:443", "192.0.2.1"),
            ("2001:db8::1:3100", "2001:db8::1"),
            ("[2001:db8::1]:8443", "[2001:db8::1]"),
            ("192.0.2.1", "192.0.2.1"),
            ("host.example:x", "host.example:x"),
            ("2001:db8::1:123456", "2001:db8::1:123456"),
        ] {
            assert_eq!(strip_port(with.as_bytes()), without.as_bytes(), "{with}");
        }
    }

    #[test]
    fn status_and_size() {
        assert_eq!(status(b"404 x"), Ok((&b" x"[..], 404)));
        assert!(status(b"40x").is_err());
        assert_eq!(size(b"- x"), Ok((&b" x"[..], 0)));
        assert_eq!(size(b"1234"), Ok((&b""[..], 1234)));
        assert!(size(b"x").is_err());
    }
}
