//! Reductions of URLs and host names: request paths, referrers, sites.
//!
//! - Paths lose their query string, fragment and `;` parameters (where
//!   `jsessionid` and the like live), and id-like segments become `{id}`:
//!   long digit runs, UUIDs, long hex tokens and anything with an `@`.
//!   Most paths need none of this and are passed through borrowed.
//! - Referrers are reduced to their host: the rest of a referring URL can
//!   carry search terms, e-mail addresses and session tokens. A host that is
//!   an IP literal is itself an identifier and becomes `(ip address)`.
//! - Sites (virtual hosts) are lower-cased host names; the same IP rule
//!   applies.
//!
//! All functions return valid UTF-8 (invalid bytes become U+FFFD) because
//! Parquet strings must be UTF-8.

use std::borrow::Cow;

/// Label of a request with no referrer.
pub const DIRECT: &str = "(direct)";
/// Label of a referrer or site that is not a URL or host name.
pub const INVALID: &str = "(invalid)";
/// Label of a host written as an IP address.
pub const IP_HOST: &str = "(ip address)";
/// Longest path kept, in bytes; longer ones are cut and marked.
pub const MAX_PATH: usize = 512;

/// Whether a path segment looks like an identifier rather than a page name.
pub fn is_id_like(seg: &[u8]) -> bool {
    if seg.is_empty() {
        return false;
    }
    if seg.contains(&b'@') || seg.windows(3).any(|w| w.eq_ignore_ascii_case(b"%40")) {
        return true;
    }
    // Only hex digits, dots and colons can spell an address; checking that
    // first keeps the full parse off the common path.
    let address_alphabet = seg
        .iter()
        .all(|c| c.is_ascii_hexdigit() || *c == b'.' || *c == b':');
    if address_alphabet && super::ip::parse_ip(seg).is_some() {
        return true;
    }
    let digits = seg.iter().filter(|c| c.is_ascii_digit()).count();
    if digits == seg.len() {
        // Years (2026) and small numbers (page 3) stay; longer runs are ids.
        return seg.len() >= 5;
    }
    let hex = seg.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-');
    if hex && seg.len() >= 16 && digits > 0 {
        return true; // UUIDs, object ids, hashes
    }
    // Long mixed tokens (base64, session ids): many digits among letters.
    seg.len() >= 20
        && digits >= 4
        && seg
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'=' | b'+'))
}

/// The path of a request target without query, fragment or parameters,
/// with id-like segments masked.
pub fn clean_path(target: &[u8]) -> Cow<'_, str> {
    // Absolute-form targets (proxies): drop scheme and host.
    let mut path = target;
    if let Some(p) = memchr::memmem::find(path, b"://") {
        let after = &path[p + 3..];
        path = match memchr::memchr(b'/', after) {
            Some(s) => &after[s..],
            None => b"/",
        };
    }
    let end = memchr::memchr3(b'?', b'#', b';', path).unwrap_or(path.len());
    let mut path = &path[..end];
    let truncated = path.len() > MAX_PATH;
    if truncated {
        path = &path[..MAX_PATH];
    }
    let masked = path.split(|c| *c == b'/').any(is_id_like);
    if !masked && !truncated {
        return String::from_utf8_lossy(path);
    }
    let mut out = Vec::with_capacity(path.len() + 4);
    for (i, seg) in path.split(|c| *c == b'/').enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        if is_id_like(seg) {
            out.extend_from_slice(b"{id}");
        } else {
            out.extend_from_slice(seg);
        }
    }
    if truncated {
        out.extend_from_slice("…".as_bytes());
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// A host name reduced to lower case without port or trailing dot, or a
/// fixed label when it is an address or not a host name at all.
pub fn clean_host(host: &[u8]) -> Cow<'_, str> {
    let host = host.strip_suffix(b".").unwrap_or(host);
    if host.is_empty() {
        return Cow::Borrowed(INVALID);
    }
    if host.starts_with(b"[") || super::ip::parse_ip(host).is_some() {
        return Cow::Borrowed(IP_HOST);
    }
    // Strip a port.
    let host = match memchr::memrchr(b':', host) {
        Some(p) if host[p + 1..].iter().all(u8::is_ascii_digit) => &host[..p],
        _ => host,
    };
    if host.is_empty()
        || host.len() > 253
        || !host
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
    {
        return Cow::Borrowed(INVALID);
    }
    if super::ip::parse_ip(host).is_some() {
        return Cow::Borrowed(IP_HOST);
    }
    if host.iter().any(u8::is_ascii_uppercase) {
        return Cow::Owned(String::from_utf8_lossy(host).to_ascii_lowercase());
    }
    // Validated as ASCII above.
    String::from_utf8_lossy(host)
}

/// The host of a referring URL, `(direct)` when there is none.
pub fn referrer_host(referer: Option<&[u8]>) -> Cow<'_, str> {
    let Some(r) = referer else {
        return Cow::Borrowed(DIRECT);
    };
    let Some(p) = memchr::memmem::find(r, b"://") else {
        return Cow::Borrowed(INVALID);
    };
    let scheme = &r[..p];
    if scheme.is_empty()
        || !scheme
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return Cow::Borrowed(INVALID);
    }
    let rest = &r[p + 3..];
    let authority = &rest[..memchr::memchr3(b'/', b'?', b'#', rest).unwrap_or(rest.len())];
    // Drop `user:password@`: credentials are never kept.
    let host = match memchr::memrchr(b'@', authority) {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    clean_host(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_queries_and_ids() {
        assert_eq!(clean_path(b"/search?q=secret"), "/search");
        assert_eq!(clean_path(b"/a;jsessionid=ABC123?x"), "/a");
        assert_eq!(clean_path(b"/page#frag"), "/page");
        assert_eq!(clean_path(b"/news/2026/03/spring"), "/news/2026/03/spring");
        assert_eq!(clean_path(b"/api/v1/courses/48213"), "/api/v1/courses/{id}");
        assert_eq!(
            clean_path(b"/people/profile/8f14e45f-ceea-467f-a0e6-4b1e2c9d8a11/edit"),
            "/people/profile/{id}/edit"
        );
        assert_eq!(clean_path(b"/u/jane.doe@example.edu"), "/u/{id}");
        assert_eq!(clean_path(b"/u/jane.doe%40example.edu/x"), "/u/{id}/x");
        assert_eq!(clean_path(b"/ping/192.0.2.1"), "/ping/{id}");
        assert_eq!(clean_path(b"/ping/::1/x"), "/ping/{id}/x");
        assert_eq!(clean_path(b"/cafe/2026"), "/cafe/2026");
        assert_eq!(clean_path(b"http://proxy.example/x?y"), "/x");
        assert_eq!(clean_path(b"/static/app.3f9c2.js"), "/static/app.3f9c2.js");
        assert!(matches!(clean_path(b"/plain/page"), Cow::Borrowed(_)));
        let long = format!("/{}", "a".repeat(2000));
        assert!(clean_path(long.as_bytes()).len() <= MAX_PATH + 3);
        assert_eq!(clean_path(b"/\xff"), "/\u{fffd}");
    }

    #[test]
    fn referrers_reduce_to_hosts() {
        assert_eq!(referrer_host(None), DIRECT);
        assert_eq!(
            referrer_host(Some(b"https://www.Google.com/search?q=x")),
            "www.google.com"
        );
        assert_eq!(
            referrer_host(Some(b"https://user:pw@host.example:8443/p")),
            "host.example"
        );
        assert_eq!(
            referrer_host(Some(b"android-app://com.google.android.gm/")),
            "com.google.android.gm"
        );
        assert_eq!(referrer_host(Some(b"http://192.0.2.7/admin")), IP_HOST);
        assert_eq!(referrer_host(Some(b"http://[2001:db8::1]:80/")), IP_HOST);
        assert_eq!(referrer_host(Some(b"http://10.0.0.1:8080/")), IP_HOST);
        assert_eq!(referrer_host(Some(b"not a url")), INVALID);
        assert_eq!(referrer_host(Some(b"https://bad host/")), INVALID);
        assert_eq!(referrer_host(Some(b"https:///x")), INVALID);
    }

    #[test]
    fn hosts() {
        assert_eq!(clean_host(b"WWW.Example.EDU"), "www.example.edu");
        assert_eq!(clean_host(b"example.edu."), "example.edu");
        assert_eq!(clean_host(b"192.0.2.1"), IP_HOST);
        assert_eq!(clean_host(b"[::1]"), IP_HOST);
        assert_eq!(clean_host(b"a b"), INVALID);
    }
}
