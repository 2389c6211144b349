//! The fields before `[time]` of a CLF line that is not laid out as
//! `%h %l %u`: what servers write when an operator extends the layout.
//!
//! Read only after the strict reader refused a line, so ordinary lines never
//! pay for it and the strict reader keeps naming the reason of real
//! rejections. The shapes taken, all seen in real logs:
//!
//! - 0 to 3 identity fields instead of 2 (Caddy 0.x `{remote} - [{when}]`,
//!   nginx layouts with an extra `- ` before the time);
//! - a leading host field (`$host $remote_addr - $remote_user`), which may
//!   be empty (the line starts with a space), `_`, a name or an address,
//!   with or without a port;
//! - a proxy chain before the client, quoted (`"a, b, c" client`) or bare
//!   (`a, b client`, or `a, b, client` where the last hop is the client).
//!
//! The trade-off is ambiguity: `a b - - [` could be a host and a client or a
//! client with three identity fields. A second field of `-` decides for
//! the latter (identd is almost never answered; an address always is);
//! otherwise the first field is the host. A host with a single identity
//! field (`host client user [`) reads as a plain `%h %l %u` line: the strict
//! reader takes it first.

use super::plausible_client;

/// At most this many space-separated groups before the time: a host, a
/// client (possibly after a chain) and three identity fields.
const MAX_GROUPS: usize = 6;

/// At most this many hops in a proxy chain, so a hostile line costs little.
const MAX_HOPS: usize = 32;

/// Who sent a line, as read from the fields before `[time]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Prefix<'a> {
    /// The host the request was for, without its port; `None` when the
    /// layout has none or the server logged none (empty, `_`, `-`).
    pub host: Option<&'a [u8]>,
    /// The connecting client.
    pub client: &'a [u8],
    /// The forwarded-for chain logged before the client, as logged.
    pub chain: Option<&'a [u8]>,
    /// The `%u` field (`-` when the layout has none).
    pub user: &'a [u8],
}

/// One space-separated group before the time.
#[derive(Debug, Clone, Copy)]
enum Group<'a> {
    /// A plain field.
    Token(&'a [u8]),
    /// A comma-separated list of hops: a quoted one (its inside) or a bare
    /// one (from the first hop to the last).
    Chain(&'a [u8]),
}

/// Reads the fields before the time, returning the rest from its `[`.
/// `None` when they fit none of the shapes above.
pub(super) fn read(line: &[u8]) -> Option<(&[u8], Prefix<'_>)> {
    let empty_host = line.first() == Some(&b' ');
    let mut i = line.trim_ascii_start();
    let mut groups = [Group::Token(b""); MAX_GROUPS];
    let mut n = 0;
    while !starts_time(i) {
        if n == MAX_GROUPS {
            return None;
        }
        let (group, rest) = group(i, n, empty_host)?;
        groups[n] = group;
        n += 1;
        // A field is always followed by a space: the time comes last.
        i = rest.strip_prefix(b" ")?.trim_ascii_start();
    }
    let prefix = interpret(&groups[..n], empty_host)?;
    Some((i, prefix))
}

/// Whether `i` starts the bracketed time (`[10/Oct/2000:13:55:36 -0700]`),
/// not a bracketed IPv6 client (`[2001:db8::1]`).
fn starts_time(i: &[u8]) -> bool {
    i.first() == Some(&b'[')
        && i.iter()
            .skip(1)
            .take_while(|&&c| c != b']')
            .any(|&c| c == b'/' || c == b' ')
}

/// The group at the start of `i` (the `n`th), and what follows it. Chains
/// are looked for only where a client can be (first or second group, or
/// first after an empty host), so a quote or comma in an identity field
/// never swallows the time.
fn group(i: &[u8], n: usize, empty_host: bool) -> Option<(Group<'_>, &[u8])> {
    let chain_allowed = n == 0 || (n == 1 && !empty_host);
    if i.first() == Some(&b'"') {
        let (rest, body) = super::quoted(i).ok()?;
        return (chain_allowed && hops(body).is_some()).then_some((Group::Chain(body), rest));
    }
    let end = memchr::memchr(b' ', i).unwrap_or(i.len());
    if !chain_allowed || !i[..end].ends_with(b",") {
        return Some((Group::Token(&i[..end]), &i[end..]));
    }
    // A bare list: `a, b, c`, each comma followed by spaces.
    let mut end = end;
    for _ in 0..MAX_HOPS {
        let next = i[end..].trim_ascii_start();
        let at = i.len() - next.len();
        let len = memchr::memchr(b' ', next).unwrap_or(next.len());
        if len == 0 {
            return None;
        }
        end = at + len;
        if !next[..len].ends_with(b",") {
            let body = &i[..end];
            return hops(body).map(|_| (Group::Chain(body), &i[end..]));
        }
    }
    None
}

/// The hops of a chain, if every one is a plausible address or name.
fn hops(chain: &[u8]) -> Option<usize> {
    let mut count = 0;
    for hop in chain.split(|&c| c == b',') {
        count += 1;
        if count > MAX_HOPS || !plausible_client(hop.trim_ascii()) {
            return None;
        }
    }
    Some(count)
}

/// Assigns the groups to host, chain, client and identity fields.
fn interpret<'a>(groups: &[Group<'a>], empty_host: bool) -> Option<Prefix<'a>> {
    let token = |g: &Group<'a>| match *g {
        Group::Token(t) => Some(t),
        Group::Chain(_) => None,
    };
    let chain_at = groups.iter().position(|g| matches!(g, Group::Chain(_)));
    let (host, chain, client, idents) = match chain_at {
        Some(at) => {
            let Group::Chain(chain) = groups[at] else {
                return None;
            };
            let host = match (at, empty_host) {
                (0, true) => Some(&b""[..]),
                (0, false) => None,
                (1, false) => Some(token(&groups[0])?),
                _ => return None,
            };
            let after = &groups[at + 1..];
            let next = after.first().and_then(token);
            match next {
                // `chain client ident user`: the chain is what the client
                // forwarded.
                Some(client) if after.len() >= 3 && client != b"-" => {
                    (host, Some(chain), client, &after[1..])
                }
                // `a, b, client ident user`: the last hop is the client.
                _ => {
                    let comma = memchr::memrchr(b',', chain)?;
                    let client = chain[comma + 1..].trim_ascii();
                    (host, Some(chain[..comma].trim_ascii()), client, after)
                }
            }
        }
        None => {
            let first = token(groups.first()?)?;
            let second = groups.get(1).and_then(token);
            match (groups.len(), empty_host) {
                (1..=4, true) => (Some(&b""[..]), None, first, &groups[1..]),
                (1..=3, false) => (None, None, first, &groups[1..]),
                (4, false) if second == Some(b"-") => (None, None, first, &groups[1..]),
                (4..=5, false) => (Some(first), None, second?, &groups[2..]),
                _ => return None,
            }
        }
    };
    if idents.len() > 3 || !plausible_client(client) {
        return None;
    }
    if let Some(h) = host
        && !(h.is_empty() || plausible_client(h) || h == b"-")
    {
        return None;
    }
    // `%l %u` are the first two; a third is the operator's addition.
    let user = match idents.len() {
        0 => &b"-"[..],
        1 => token(&idents[0])?,
        _ => token(&idents[1])?,
    };
    for g in idents {
        token(g)?;
    }
    Some(Prefix {
        host: host
            .and_then(without_port)
            .filter(|h| *h != b"_" && *h != b"-"),
        client,
        chain,
        user,
    })
}

/// A host name without its `:port`; `None` when nothing is left. An
/// unbracketed IPv6 address has several colons and no port.
fn without_port(host: &[u8]) -> Option<&[u8]> {
    let host = match memchr::memrchr(b':', host) {
        Some(p) if memchr::memchr(b':', &host[..p]).is_none() || host[..p].ends_with(b"]") => {
            let port = &host[p + 1..];
            if port.is_empty() || port.iter().all(u8::is_ascii_digit) {
                &host[..p]
            } else {
                host
            }
        }
        _ => host,
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIME: &str = "[10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1";

    fn who(prefix: &str) -> Option<(Option<String>, String, Option<String>, String)> {
        let line = format!("{prefix}{TIME}");
        let (rest, p) = read(line.as_bytes())?;
        assert!(rest.starts_with(b"[10/Oct"));
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Some((p.host.map(s), s(p.client), p.chain.map(s), s(p.user)))
    }

    fn some(
        host: Option<&str>,
        client: &str,
        chain: Option<&str>,
        user: &str,
    ) -> Option<(Option<String>, String, Option<String>, String)> {
        Some((
            host.map(String::from),
            client.into(),
            chain.map(String::from),
            user.into(),
        ))
    }

    #[test]
    fn identity_fields_from_none_to_three() {
        assert_eq!(who("192.0.2.1 "), some(None, "192.0.2.1", None, "-"));
        assert_eq!(who("::1 - "), some(None, "::1", None, "-"));
        assert_eq!(who("::1 jo "), some(None, "::1", None, "jo"));
        assert_eq!(
            who("192.0.2.1 - jo - "),
            some(None, "192.0.2.1", None, "jo")
        );
        assert_eq!(who("192.0.2.1 - - - - "), None);
    }

    #[test]
    fn leading_hosts() {
        assert_eq!(who(" 192.0.2.1 - - "), some(None, "192.0.2.1", None, "-"));
        assert_eq!(
            who("_ 192.0.2.1 - jo "),
            some(None, "192.0.2.1", None, "jo")
        );
        assert_eq!(
            who("www.example.edu:8080 192.0.2.1 - - "),
            some(Some("www.example.edu"), "192.0.2.1", None, "-")
        );
        assert_eq!(
            who("198.51.100.7 localhost - - "),
            some(Some("198.51.100.7"), "localhost", None, "-")
        );
        assert_eq!(
            who("2001:db8::5 2001:db8::6 - - - "),
            some(Some("2001:db8::5"), "2001:db8::6", None, "-")
        );
        assert_eq!(who("a b c d e f "), None);
        assert_eq!(who("h!st 192.0.2.1 - - "), None);
    }

    #[test]
    fn proxy_chains() {
        assert_eq!(
            who(r#"www.example.edu:80 "192.0.2.9, 198.51.100.1, 203.0.113.1" 10.2.1.185 - - "#),
            some(
                Some("www.example.edu"),
                "10.2.1.185",
                Some("192.0.2.9, 198.51.100.1, 203.0.113.1"),
                "-"
            )
        );
        assert_eq!(
            who("www.example.edu 10.0.0.2, 10.0.0.1, 192.0.2.1 - - "),
            some(
                Some("www.example.edu"),
                "192.0.2.1",
                Some("10.0.0.2, 10.0.0.1"),
                "-"
            )
        );
        assert_eq!(
            who("203.0.113.4 2001:0db8:0000:0000:0000:0000:0:8000, 10.0.0.17 10.2.2.121 - - "),
            some(
                Some("203.0.113.4"),
                "10.2.2.121",
                Some("2001:0db8:0000:0000:0000:0000:0:8000, 10.0.0.17"),
                "-"
            )
        );
        assert_eq!(who(r#""a b" 192.0.2.1 - - "#), None);
        assert_eq!(who("-, 192.0.2.1 - - "), None);
    }

    #[test]
    fn bracketed_ipv6_is_no_time() {
        assert!(starts_time(b"[10/Oct/2000:13:55:36 -0700]"));
        assert!(!starts_time(b"[2001:db8::1] - -"));
        assert_eq!(
            who("[2001:db8::1] - "),
            some(None, "[2001:db8::1]", None, "-")
        );
    }
}
