//! The textual forms an identifier can take, read back to one canonical key.
//!
//! Rather than spelling every identifier in every form it could be written
//! in (a list that is never complete: ports, zones, padding, case, nested
//! encodings), text is read the other way round: every piece that could be
//! an address or e-mail is parsed into a canonical [`Key`] (an IPv4 address
//! as a `u32`, an IPv6 address as a `u128`, names lower-cased), and the key
//! is looked up among the inputs' identifiers. So `198.051.100.023`,
//! `ip-198-51-100-23.example.net`, `23.100.51.198.in-addr.arpa`,
//! `3325256727` and `0xC6336417` all meet the same key, and an IPv6
//! address matches however it is compressed, cased, bracketed or zoned.
//!
//! Trade-offs. Addresses and e-mails are matched wherever they appear,
//! inside any word, because their shape is already distinctive; the loose
//! forms (integer, bare hex) can meet an unrelated number by chance, which
//! is why every finding says which form matched and where the input had
//! it. User names are often ordinary words (`anna`, `admin`), so they match
//! only as a whole word (letters, digits, `.`, `_`, `-`); a part of a word
//! (`report-jsmith`) matches only for names that are distinctive, of six
//! characters or more or holding a digit. Text is also read once and twice
//! percent-decoded, which finds `%40` and `%2540` e-mails and `%25` zones.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::privacy::url::percent_decode;

/// An identifier in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// An IPv4 address (IPv4-mapped IPv6 addresses included).
    V4(u32),
    /// An IPv6 address.
    V6(u128),
    /// An e-mail address, lower-cased.
    Email(Box<str>),
    /// A client host name, lower-cased, without a trailing dot.
    Host(Box<str>),
    /// A user name (authuser or ident), lower-cased.
    User(Box<str>),
}

impl Key {
    /// The identifier as text, for `--reveal` only.
    pub fn reveal(&self) -> String {
        match self {
            Key::V4(v) => Ipv4Addr::from(*v).to_string(),
            Key::V6(v) => Ipv6Addr::from(*v).to_string(),
            Key::Email(s) | Key::Host(s) | Key::User(s) => s.to_string(),
        }
    }
}

/// How a key was written where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// `a.b.c.d`, maybe with a port or inside a longer name (`….nip.io`).
    Dotted,
    /// `a.b.c.d` with zero-padded octets (`198.051.100.023`).
    ZeroPadded,
    /// `a-b-c-d` (or `a_b_c_d`), as in `ip-198-51-100-23.example.net`.
    Dashed,
    /// `d.c.b.a.in-addr.arpa`.
    Reversed,
    /// The address as one decimal number.
    Integer,
    /// The address as one hexadecimal number (`0xC6336417`, `c6336417`).
    Hex,
    /// An IPv4 address written as an IPv4-mapped IPv6 address.
    Mapped,
    /// An IPv6 address in any spelling (compressed, full, upper case,
    /// bracketed, with a port or zone).
    Ipv6Text,
    /// The raw 4 or 16 bytes of an address in a binary value.
    Bytes,
    /// An e-mail address (also after `mailto:`).
    Email,
    /// A whole host name, or a host name ending a longer one.
    HostName,
    /// A whole word.
    Word,
    /// Part of a word, for distinctive user names.
    PartOfWord,
}

impl Form {
    /// Name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Dotted => "dotted",
            Form::ZeroPadded => "zero-padded",
            Form::Dashed => "dashed",
            Form::Reversed => "reversed in-addr.arpa",
            Form::Integer => "integer",
            Form::Hex => "hex",
            Form::Mapped => "IPv4-mapped IPv6",
            Form::Ipv6Text => "IPv6 text",
            Form::Bytes => "raw bytes",
            Form::Email => "e-mail",
            Form::HostName => "host name",
            Form::Word => "whole word",
            Form::PartOfWord => "part of a word",
        }
    }
}

/// Which forms a reader extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Inputs: only the strict forms a log writes (dotted and IPv6
    /// addresses, whole e-mails), so that numbers in a log line are not
    /// taken for addresses.
    Collect,
    /// Outputs: every form, looked up against what was collected.
    Scan,
}

/// Characters that end a token: anything that cannot be part of an
/// address (with port, brackets or zone), host name, user name or e-mail.
fn is_separator(c: char) -> bool {
    !(c.is_alphanumeric() || matches!(c, '.' | ':' | '@' | '%' | '-' | '_' | '+' | '[' | ']'))
}

/// Calls `found` for every candidate key in `text`, with the form it was
/// written in and how many rounds of percent-decoding revealed it (0, 1
/// or 2). In [`Mode::Scan`] user names and host names are produced too;
/// the caller keeps the candidates that are known identifiers.
pub fn candidates(text: &str, mode: Mode, found: &mut dyn FnMut(Key, Form, u8)) {
    let mut layer = Cow::Borrowed(text);
    for decoded in 0..=2u8 {
        if decoded > 0 {
            // The privacy stage's own decoder, `+` kept: a text output
            // holds `%40` for `@`, and a `+` is not a space there.
            match percent_decode(layer.as_bytes(), false) {
                Cow::Owned(next) => layer = Cow::Owned(String::from_utf8_lossy(&next).into_owned()),
                Cow::Borrowed(_) => break,
            }
        }
        for token in layer.split(is_separator).filter(|t| !t.is_empty()) {
            token_candidates(token, mode, &mut |k, f| found(k, f, decoded));
        }
        if mode == Mode::Scan {
            words(&layer, &mut |k, f| found(k, f, decoded));
        }
    }
}

fn token_candidates(token: &str, mode: Mode, found: &mut dyn FnMut(Key, Form)) {
    if token.contains('@') {
        emails(token, mode, found);
    }
    if token.contains(':') {
        ipv6(token, mode, found);
    }
    for piece in token.split([':', '@', '%', '[', ']', '+']) {
        ipv4(piece, mode, found);
        if mode == Mode::Scan {
            host(piece, found);
        }
    }
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '+' | '-' | '\'')
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// E-mails around each `@`. Collecting takes the longest reading; scanning
/// also tries shorter local parts and domains cut at a separator, so a
/// known address glued to other text (`x.jane@example.edu.tld`) is found.
fn emails(token: &str, mode: Mode, found: &mut dyn FnMut(Key, Form)) {
    for (at, _) in token.match_indices('@') {
        let before = &token[..at];
        let after = &token[at + 1..];
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_local_char(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let local = before[start..].trim_start_matches(['.', '-', '+']);
        let end = after
            .char_indices()
            .find(|(_, c)| !is_domain_char(*c))
            .map_or(after.len(), |(i, _)| i);
        let domain = after[..end].trim_end_matches(['.', '-']);
        if local.is_empty() || !domain.contains('.') {
            continue;
        }
        let mut emit = |l: &str, d: &str| {
            let e = format!("{l}@{d}").to_lowercase();
            found(Key::Email(e.into()), Form::Email);
        };
        if mode == Mode::Collect {
            emit(local, domain);
            continue;
        }
        let locals = std::iter::once(local).chain(
            local
                .match_indices(['.', '_', '+', '-'])
                .map(|(i, _)| &local[i + 1..])
                .filter(|l| !l.is_empty()),
        );
        for l in locals {
            let domains = domain
                .match_indices('.')
                .map(|(i, _)| &domain[..i])
                .filter(|d| d.contains('.'))
                .chain(std::iter::once(domain));
            for d in domains {
                emit(l, d);
            }
        }
    }
}

/// IPv6 addresses: runs of hex digits, colons and dots, which brackets,
/// ports after `]`, and `%zone` suffixes end.
fn ipv6(token: &str, mode: Mode, found: &mut dyn FnMut(Key, Form)) {
    let is_v6_char = |c: char| c.is_ascii_hexdigit() || c == ':' || c == '.';
    for run in token.split(|c| !is_v6_char(c)) {
        let run = run.trim_end_matches('.');
        if run.matches(':').count() < 2 {
            continue;
        }
        let mut parse = |s: &str| match s.parse::<Ipv6Addr>() {
            Ok(a) => {
                match a.to_ipv4_mapped() {
                    Some(v4) => found(Key::V4(v4.into()), Form::Mapped),
                    None => found(Key::V6(a.into()), Form::Ipv6Text),
                }
                true
            }
            Err(_) => false,
        };
        parse(run);
        // `v6:port` without brackets is ambiguous; when scanning, the
        // address without a last group that reads as a port is tried too,
        // so a port written that way still meets the address.
        if mode == Mode::Scan
            && let Some((head, port)) = run.rsplit_once(':')
            && !head.ends_with(':')
            && (head.contains("::") || head.matches(':').count() == 7)
            && (1..=5).contains(&port.len())
            && port.bytes().all(|b| b.is_ascii_digit())
        {
            parse(head);
        }
    }
}

/// One octet written in decimal, and whether it was zero-padded.
fn octet(s: &str) -> Option<(u8, bool)> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u16 = s.parse().ok()?;
    Some((u8::try_from(v).ok()?, s.len() > 1 && s.starts_with('0')))
}

fn quad(parts: &[&str]) -> Option<(u32, bool)> {
    let mut v = 0u32;
    let mut padded = false;
    for p in parts {
        let (o, pad) = octet(p)?;
        v = v << 8 | u32::from(o);
        padded |= pad;
    }
    Some((v, padded))
}

/// The smallest integer read as an address: below it (`0.x.y.z`) the
/// integer and hex forms would match every small number.
const MIN_INTEGER_ADDRESS: u64 = 1 << 24;

/// IPv4 addresses in one host-like piece (no `:`, `@`, brackets).
fn ipv4(piece: &str, mode: Mode, found: &mut dyn FnMut(Key, Form)) {
    let labels: Vec<&str> = piece.split('.').collect();
    for (i, w) in labels.windows(4).enumerate() {
        let Some((v, padded)) = quad(w) else { continue };
        if mode == Mode::Collect {
            if !padded {
                found(Key::V4(v), Form::Dotted);
            }
            continue;
        }
        found(
            Key::V4(v),
            if padded {
                Form::ZeroPadded
            } else {
                Form::Dotted
            },
        );
        if labels
            .get(i + 4)
            .is_some_and(|l| l.eq_ignore_ascii_case("in-addr"))
        {
            found(Key::V4(v.swap_bytes()), Form::Reversed);
        }
    }
    if mode == Mode::Collect {
        return;
    }
    for label in &labels {
        let parts: Vec<&str> = label.split(['-', '_']).collect();
        for w in parts.windows(4) {
            if let Some((v, _)) = quad(w) {
                found(Key::V4(v), Form::Dashed);
            }
        }
        for part in parts {
            if let Some((v, form)) = integer_address(part) {
                found(Key::V4(v), form);
            }
        }
    }
}

/// An address written as one decimal or hexadecimal number.
fn integer_address(s: &str) -> Option<(u32, Form)> {
    let (v, form) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || h.len() > 8 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        (u64::from_str_radix(h, 16).ok()?, Form::Hex)
    } else if (8..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        (s.parse().ok()?, Form::Integer)
    } else if s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        (u64::from_str_radix(s, 16).ok()?, Form::Hex)
    } else {
        return None;
    };
    let v = u32::try_from(v).ok()?;
    (u64::from(v) >= MIN_INTEGER_ADDRESS).then_some((v, form))
}

/// A number column's value as an IPv4 address, when it is in range.
pub fn integer_value(v: i128) -> Option<Key> {
    let v = u32::try_from(v).ok()?;
    (u64::from(v) >= MIN_INTEGER_ADDRESS).then_some(Key::V4(v))
}

/// The raw bytes of an address, when `b` is 4 or 16 bytes long.
pub fn bytes_value(b: &[u8]) -> Option<Key> {
    match b.len() {
        4 => Some(Key::V4(u32::from_be_bytes(b.try_into().ok()?))),
        16 => {
            let a = Ipv6Addr::from(u128::from_be_bytes(b.try_into().ok()?));
            Some(match a.to_ipv4_mapped() {
                Some(v4) => Key::V4(v4.into()),
                None => Key::V6(a.into()),
            })
        }
        _ => None,
    }
}

/// Host names: the whole piece and every name it ends with.
fn host(piece: &str, found: &mut dyn FnMut(Key, Form)) {
    let name = piece.trim_matches(['.', '-', '_']).to_lowercase();
    if name.is_empty() {
        return;
    }
    let suffixes = name.match_indices('.').map(|(i, _)| &name[i + 1..]);
    for s in std::iter::once(name.as_str()).chain(suffixes) {
        // A single label is a host name only when it is the whole piece.
        if s.len() == name.len() || s.contains('.') {
            found(Key::Host(s.into()), Form::HostName);
        }
    }
}

/// Whether a user name is distinctive enough to be looked for inside
/// longer words.
pub fn is_distinctive_user(name: &str) -> bool {
    name.chars().count() >= 6 || name.chars().any(|c| c.is_ascii_digit())
}

/// User names: whole words, and their parts (which the caller keeps only
/// for distinctive names).
fn words(text: &str, found: &mut dyn FnMut(Key, Form)) {
    let is_word_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-');
    for word in text.split(|c| !is_word_char(c)) {
        let word = word.trim_matches(['.', '_', '-']);
        if word.is_empty() {
            continue;
        }
        let lower = word.to_lowercase();
        found(Key::User(lower.as_str().into()), Form::Word);
        if lower.contains(['.', '_', '-']) {
            for part in lower.split(['.', '_', '-']).filter(|p| !p.is_empty()) {
                found(Key::User(part.into()), Form::PartOfWord);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Vec<(Key, Form, u8)> {
        let mut v = Vec::new();
        candidates(text, Mode::Scan, &mut |k, f, d| v.push((k, f, d)));
        v
    }

    fn has(text: &str, key: &Key, form: Form) -> bool {
        scan(text).iter().any(|(k, f, _)| k == key && *f == form)
    }

    const V4: Key = Key::V4(0xC633_6417); // 198.51.100.23

    #[test]
    fn ipv4_forms_meet_one_key() {
        for (text, form) in [
            ("198.51.100.23", Form::Dotted),
            ("198.51.100.23:8080", Form::Dotted),
            ("198.51.100.23.nip.io", Form::Dotted),
            ("app.198.51.100.23.sslip.io", Form::Dotted),
            ("198.051.100.023", Form::ZeroPadded),
            ("ip-198-51-100-23.example.net", Form::Dashed),
            ("198-51-100-23.dyn.example", Form::Dashed),
            ("23.100.51.198.in-addr.arpa", Form::Reversed),
            ("id=3325256727", Form::Integer),
            ("0xC6336417", Form::Hex),
            ("c6336417", Form::Hex),
            ("::ffff:198.51.100.23", Form::Mapped),
            ("[::FFFF:C633:6417]:443", Form::Mapped),
        ] {
            assert!(has(text, &V4, form), "{text}: {:?}", scan(text));
        }
        // A mapped address does not also read as `::ffff` plus a port.
        assert!(
            !scan("::ffff:198.51.100.23")
                .iter()
                .any(|(k, _, _)| *k == Key::V6(0xffff))
        );
    }

    #[test]
    fn ipv6_forms_meet_one_key() {
        let key = Key::V6("2001:db8::7".parse::<Ipv6Addr>().unwrap().into());
        for text in [
            "2001:db8::7",
            "2001:DB8::7",
            "2001:0db8:0000:0000:0000:0000:0000:0007",
            "[2001:db8::7]:443",
            "http://[2001:db8::7]/x",
            "2001:db8::7%eth0",
            "2001:db8::7%25eth0",
            "2001:db8::7:8080",
        ] {
            assert!(has(text, &key, Form::Ipv6Text), "{text}: {:?}", scan(text));
        }
    }

    #[test]
    fn email_forms_meet_one_key() {
        let key = Key::Email("jane.doe@example.edu".into());
        for (text, decoded) in [
            ("Jane.Doe@Example.EDU", 0),
            ("mailto:jane.doe@example.edu", 0),
            ("/r?to=jane.doe%40example.edu&x=1", 1),
            ("/r?to=jane.doe%2540example.edu", 2),
            ("x.jane.doe@example.edu.", 0),
        ] {
            assert!(
                scan(text)
                    .iter()
                    .any(|(k, _, d)| *k == key && *d == decoded),
                "{text}: {:?}",
                scan(text)
            );
        }
    }

    #[test]
    fn collecting_takes_only_strict_forms() {
        let mut v = Vec::new();
        candidates(
            "GET /2024/3325256727?ip=198.051.100.023&m=jane%40example.edu a-1-2-3-4",
            Mode::Collect,
            &mut |k, f, _| v.push((k, f)),
        );
        assert_eq!(
            v,
            vec![(Key::Email("jane@example.edu".into()), Form::Email)]
        );
    }

    #[test]
    fn user_words_and_parts() {
        let v = scan("/people/anna-weber");
        assert!(v.contains(&(Key::User("anna-weber".into()), Form::Word, 0)));
        assert!(v.contains(&(Key::User("anna".into()), Form::PartOfWord, 0)));
        assert!(!v.contains(&(Key::User("anna".into()), Form::Word, 0)));
        assert!(is_distinctive_user("jsmith") && is_distinctive_user("ab1"));
        assert!(!is_distinctive_user("anna"));
    }

    #[test]
    fn small_numbers_are_not_addresses() {
        assert_eq!(integer_address("12345678"), None);
        assert_eq!(integer_address("0x10"), None);
        assert_eq!(integer_value(4_294_967_296), None);
        assert_eq!(integer_value(3_325_256_727), Some(V4));
    }
}
