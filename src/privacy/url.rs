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

/// Path label of a request whose target is not a path.
pub const INVALID_REQUEST: &str = "(invalid request)";
/// Longest path kept, in bytes; longer ones are cut and marked.
pub const MAX_PATH: usize = 512;

// Alphabets a byte can belong to, for `is_id_like`. `DIGIT` must be 1
// (it is added up).
const DIGIT: u8 = 1;
// Hex digits, dots and colons: what an address is spelled with.
const ADDRESS: u8 = 2;
// Hex digits and dashes: UUIDs, object ids, hashes.
const HEX_ID: u8 = 4;
// Letters, digits and `-_=+`: long mixed tokens.
const TOKEN: u8 = 8;
// `@` and `%`, which may start an e-mail address.
const MAIL: u8 = 16;
// Dots and colons, without which no address is written.
const SEPARATOR: u8 = 32;

const BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut k = 0;
        if b.is_ascii_digit() {
            k |= DIGIT;
        }
        if b.is_ascii_hexdigit() || b == b'.' || b == b':' {
            k |= ADDRESS;
        }
        if b.is_ascii_hexdigit() || b == b'-' {
            k |= HEX_ID;
        }
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'+') {
            k |= TOKEN;
        }
        if b == b'@' || b == b'%' {
            k |= MAIL;
        }
        if b == b'.' || b == b':' {
            k |= SEPARATOR;
        }
        t[c] = k;
        c += 1;
    }
    t
};

/// Whether a path segment looks like an identifier rather than a page name.
///
/// One pass over the bytes gathers what every rule needs: this runs on
/// each segment of every distinct target, and on logs whose targets are
/// mostly distinct the six scans it once made took 8% of a run.
pub fn is_id_like(seg: &[u8]) -> bool {
    if seg.is_empty() {
        return false;
    }
    // Which alphabets every byte so far belongs to, and which any byte
    // does (see `BYTE_CLASS`), through one table lookup per byte.
    let (mut digits, mut all, mut any) = (0usize, u8::MAX, 0u8);
    for (i, &c) in seg.iter().enumerate() {
        let class = BYTE_CLASS[usize::from(c)];
        // An e-mail address, raw or percent-encoded.
        if class & MAIL != 0 && (c == b'@' || seg.get(i + 1..i + 3) == Some(b"40")) {
            return true;
        }
        digits += usize::from(class & DIGIT);
        all &= class;
        any |= class;
    }
    let (hex, token) = (all & HEX_ID != 0, all & TOKEN != 0);
    // The full parse only for what could be an address.
    if all & ADDRESS != 0 && any & SEPARATOR != 0 && super::ip::parse_ip(seg).is_some() {
        return true;
    }
    if digits == seg.len() {
        // Years (2026) and small numbers (page 3) stay; longer runs are ids.
        return seg.len() >= 5;
    }
    if hex && seg.len() >= 16 && digits > 0 {
        return true; // UUIDs, object ids, hashes
    }
    // Long mixed tokens (base64, session ids): many digits among letters.
    seg.len() >= 20 && digits >= 4 && token
}

/// How request paths are reduced; from the policy's `[paths]` table.
#[derive(Debug, Clone)]
pub struct PathRules {
    /// Replace id-like segments with `{id}`.
    pub mask_ids: bool,
    /// Query parameters whose values survive (masked if id-like).
    pub query_allow: Vec<String>,
    /// Route templates; `{}` matches any one segment.
    pub routes: Vec<String>,
}

impl Default for PathRules {
    fn default() -> Self {
        PathRules {
            mask_ids: true,
            query_allow: Vec::new(),
            routes: Vec::new(),
        }
    }
}

impl PathRules {
    /// The first route template matching `path`, segment by segment.
    fn route_for(&self, path: &[u8]) -> Option<&str> {
        self.routes.iter().map(String::as_str).find(|route| {
            let mut want = route.as_bytes().split(|c| *c == b'/');
            let mut have = path.split(|c| *c == b'/');
            loop {
                match (want.next(), have.next()) {
                    (None, None) => return true,
                    (Some(w), Some(h)) if w == b"{}" || w == h => {}
                    _ => return false,
                }
            }
        })
    }

    fn masks(&self, seg: &[u8]) -> bool {
        self.mask_ids && is_id_like(seg)
    }
}

/// The path of a request target without fragment or `;` parameters, with
/// id-like segments masked and only allowed query parameters kept.
pub fn clean_path<'a>(target: &'a [u8], rules: &'a PathRules) -> Cow<'a, str> {
    // Absolute-form targets (proxies): drop scheme and host. Only a target
    // that is not already a path can be one, and only before its query: a
    // `?next=https://…` parameter names another page, not this one.
    let mut path = target;
    if !path.starts_with(b"/") {
        let head = &path[..memchr::memchr2(b'?', b'#', path).unwrap_or(path.len())];
        if let Some(p) = memchr::memmem::find(head, b"://") {
            let after = &path[p + 3..];
            path = match memchr::memchr3(b'/', b'?', b'#', after) {
                Some(s) if after[s] == b'/' => &after[s..],
                _ => b"/",
            };
        }
    }
    // Labels the tool reserves, such as `(other)`, can never come from
    // input: a target that is not a path is not a page.
    if !path.starts_with(b"/") {
        return Cow::Borrowed(INVALID_REQUEST);
    }
    let query = memchr::memchr(b'?', path).map(|q| {
        let rest = &path[q + 1..];
        &rest[..memchr::memchr(b'#', rest).unwrap_or(rest.len())]
    });
    let end = memchr::memchr3(b'?', b'#', b';', path).unwrap_or(path.len());
    let mut path = &path[..end];
    if let Some(route) = rules.route_for(path) {
        return Cow::Borrowed(route);
    }
    let truncated = path.len() > MAX_PATH;
    if truncated {
        path = &path[..MAX_PATH];
    }
    let kept_query = match query {
        Some(q) if !rules.query_allow.is_empty() => allowed_params(q, rules),
        _ => Vec::new(),
    };
    // One pass over the segments; a copy starts at the first masked one.
    let mut masked: Option<Vec<u8>> = None;
    let mut start = 0;
    for (i, seg) in path.split(|c| *c == b'/').enumerate() {
        if i > 0
            && let Some(out) = masked.as_mut()
        {
            out.push(b'/');
        }
        if rules.masks(seg) {
            // `start` is where this segment begins, after its slash.
            let out = masked.get_or_insert_with(|| {
                let mut out = Vec::with_capacity(path.len() + 4);
                out.extend_from_slice(&path[..start]);
                out
            });
            out.extend_from_slice(b"{id}");
        } else if let Some(out) = masked.as_mut() {
            out.extend_from_slice(seg);
        }
        start += seg.len() + 1;
    }
    if masked.is_none() && !truncated && kept_query.is_empty() {
        return String::from_utf8_lossy(path);
    }
    let mut out = masked.unwrap_or_else(|| path.to_vec());
    if truncated {
        out.extend_from_slice("…".as_bytes());
    }
    out.extend_from_slice(&kept_query);
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// The part of a request target that [`clean_path`] reads under `rules`:
/// all of it when some query parameters are kept, else what comes before
/// the query or fragment. The veil's memo keys on this, so the pages of a
/// site that differ only in their query (tracking tags, session ids,
/// cache busters) are cleaned once, and a lookup hashes less.
pub fn path_key<'a>(target: &'a [u8], rules: &PathRules) -> &'a [u8] {
    if !rules.query_allow.is_empty() {
        return target;
    }
    &target[..memchr::memchr2(b'?', b'#', target).unwrap_or(target.len())]
}

/// `?name=value&…` of the allowed parameters of a query, in their order;
/// values that look like identifiers are masked even when allowed.
fn allowed_params(query: &[u8], rules: &PathRules) -> Vec<u8> {
    let mut out = Vec::new();
    for pair in query.split(|c| *c == b'&') {
        let (name, value) = match memchr::memchr(b'=', pair) {
            Some(e) => (&pair[..e], Some(&pair[e + 1..])),
            None => (pair, None),
        };
        if !rules.query_allow.iter().any(|a| a.as_bytes() == name) {
            continue;
        }
        out.push(if out.is_empty() { b'?' } else { b'&' });
        out.extend_from_slice(name);
        if let Some(v) = value {
            out.push(b'=');
            // Values are short; an id-like one (or one containing an
            // address or e-mail) is masked whatever the allow-list says.
            if is_id_like(v) || v.split(|c| matches!(c, b'+' | b' ' | b',')).any(is_id_like) {
                out.extend_from_slice(b"{id}");
            } else {
                out.extend_from_slice(v);
            }
        }
    }
    out
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

/// `raw` with its `%XX` escapes decoded, and `+` read as a space where
/// `plus_is_space` (query strings). Borrowed when nothing was decoded; a
/// `%` not followed by two hex digits stays as it is.
pub fn percent_decode(raw: &[u8], plus_is_space: bool) -> Cow<'_, [u8]> {
    let hex = |i: usize| raw.get(i).and_then(|c| (*c as char).to_digit(16));
    let mut out = Vec::with_capacity(raw.len());
    let mut changed = false;
    let mut i = 0;
    while i < raw.len() {
        let escape = (raw[i] == b'%')
            .then(|| hex(i + 1).zip(hex(i + 2)))
            .flatten();
        match (raw[i], escape) {
            (b'+', _) if plus_is_space => {
                out.push(b' ');
                changed = true;
            }
            (_, Some((h, l))) => {
                out.push((h * 16 + l) as u8);
                changed = true;
                i += 2;
            }
            (c, None) => out.push(c),
        }
        i += 1;
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    }
}

/// Whether a cleaned host name carries what looks like an identifier: an
/// IPv4 address written into it (`198.51.100.23.nip.io`,
/// `ip-198-51-100-23.example.net`), or a run of five or more digits (an
/// account, phone or ticket number). Such names are never published as a
/// site.
pub fn host_identifying(host: &str) -> bool {
    let runs: Vec<&str> = host.split(['.', '-', '_']).collect();
    let octet = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|c| c.is_ascii_digit());
    let address = runs.windows(4).any(|w| w.iter().all(|s| octet(s)));
    let long_number = host
        .as_bytes()
        .split(|c| !c.is_ascii_digit())
        .any(|run| run.len() >= 5);
    address || long_number
}

/// The part of a referring URL that [`referrer_host`] reads: scheme and
/// authority, without path, query or fragment. The veil's memo keys on
/// this, so one entry serves every page of a referring site (a referrer
/// memo keyed on whole URLs missed on nearly every line of a log with
/// many referring pages).
pub fn referrer_origin(r: &[u8]) -> &[u8] {
    match memchr::memmem::find(r, b"://") {
        Some(p) => {
            let rest = &r[p + 3..];
            &r[..p + 3 + memchr::memchr3(b'/', b'?', b'#', rest).unwrap_or(rest.len())]
        }
        None => r,
    }
}

/// The host of a referring URL, `(direct)` when there is none.
pub fn referrer_host(referer: Option<&[u8]>) -> Cow<'_, str> {
    let Some(r) = referer else {
        return Cow::Borrowed(DIRECT);
    };
    let r = referrer_origin(r);
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
    fn hosts_carrying_addresses_or_numbers_are_identifying() {
        for host in [
            "198.51.100.23.nip.io",
            "ip-198-51-100-23.example.net",
            "198-51-100-23.dyn.example",
            "u123456.people.example.edu",
        ] {
            assert!(host_identifying(host), "{host}");
        }
        for host in [
            "www.example.edu",
            "hr-case-4711.intranet.example.edu",
            "web2.example.org",
        ] {
            assert!(!host_identifying(host), "{host}");
        }
    }

    #[test]
    fn a_target_that_is_not_a_path_is_an_invalid_request() {
        let rules = PathRules::default();
        for t in [&b"(other)"[..], b"*", b"(redacted)", b"http://example.com"] {
            let want = if t.starts_with(b"http") {
                "/"
            } else {
                INVALID_REQUEST
            };
            assert_eq!(super::clean_path(t, &rules), want);
        }
    }

    fn clean_path(target: &[u8]) -> Cow<'_, str> {
        static RULES: std::sync::LazyLock<PathRules> = std::sync::LazyLock::new(PathRules::default);
        super::clean_path(target, &RULES)
    }

    #[test]
    fn allowed_query_parameters_routes_and_unmasked_mode() {
        let rules = PathRules {
            mask_ids: true,
            query_allow: vec!["page".into(), "lang".into()],
            routes: vec!["/courses/{}/syllabus".into()],
        };
        assert_eq!(
            super::clean_path(b"/news?page=2&user=jdoe&lang=de", &rules),
            "/news?page=2&lang=de"
        );
        assert_eq!(super::clean_path(b"/news?user=jdoe", &rules), "/news");
        assert_eq!(
            super::clean_path(b"/news?page=jane%40x.edu", &rules),
            "/news?page={id}"
        );
        assert_eq!(
            super::clean_path(b"/courses/cs-101/syllabus?x=1", &rules),
            "/courses/{}/syllabus"
        );
        assert_eq!(
            super::clean_path(b"/courses/cs-101/other", &rules),
            "/courses/cs-101/other"
        );
        let raw = PathRules {
            mask_ids: false,
            ..PathRules::default()
        };
        assert_eq!(
            super::clean_path(b"/api/v1/courses/48213?x", &raw),
            "/api/v1/courses/48213"
        );
    }

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

    /// The rules as they were first written, one scan each: the one-pass
    /// version must agree with them on any bytes.
    fn is_id_like_by_scans(seg: &[u8]) -> bool {
        if seg.is_empty() {
            return false;
        }
        if seg.contains(&b'@') || seg.windows(3).any(|w| w.eq_ignore_ascii_case(b"%40")) {
            return true;
        }
        let address_alphabet = seg
            .iter()
            .all(|c| c.is_ascii_hexdigit() || *c == b'.' || *c == b':');
        if address_alphabet && crate::privacy::ip::parse_ip(seg).is_some() {
            return true;
        }
        let digits = seg.iter().filter(|c| c.is_ascii_digit()).count();
        if digits == seg.len() {
            return seg.len() >= 5;
        }
        let hex = seg.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-');
        if hex && seg.len() >= 16 && digits > 0 {
            return true;
        }
        seg.len() >= 20
            && digits >= 4
            && seg
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'=' | b'+'))
    }

    proptest::proptest! {
        #[test]
        fn one_pass_id_rules_agree_with_the_scans(
            seg in proptest::collection::vec(
                proptest::sample::select(b"0123456789abcdefABCDEFxyz.:-_=+%@/ ".to_vec()),
                0..40,
            )
        ) {
            proptest::prop_assert_eq!(is_id_like(&seg), is_id_like_by_scans(&seg));
        }
    }

    #[test]
    fn ids_of_every_kind_are_masked() {
        for seg in [
            &b"jane%40example.edu"[..],
            b"8f14e45f-ceea-467f-a0e6-4b1e2c9d8a11",
            b"192.0.2.1",
            b"::1",
            b"48213",
            b"dGhpcyBpcyBhIHNlc3Npb24gaWQ2NzE5",
        ] {
            assert!(is_id_like(seg), "{}", String::from_utf8_lossy(seg));
            assert!(is_id_like_by_scans(seg));
        }
        for seg in [&b"2026"[..], b"news", b"app.3f9c2.js", b"cafe", b"deadbeef"] {
            assert!(!is_id_like(seg), "{}", String::from_utf8_lossy(seg));
        }
    }

    #[test]
    fn a_url_in_the_query_is_not_an_absolute_form_target() {
        assert_eq!(clean_path(b"/login?next=https://evil.example/x"), "/login");
        assert_eq!(clean_path(b"/go#https://evil.example/x"), "/go");
        assert_eq!(clean_path(b"http://proxy.example?next=/x"), "/");
        assert_eq!(clean_path(b"http://proxy.example"), "/");
    }

    /// The memo keys must hold everything the cleaning reads: cleaning
    /// the key gives what cleaning the whole value gives.
    #[test]
    fn memo_keys_keep_what_the_cleaning_reads() {
        let plain = PathRules::default();
        let kept = PathRules {
            query_allow: vec!["lang".into()],
            ..PathRules::default()
        };
        for target in [
            &b"/a/b?session=4f3a9c&x=1"[..],
            b"/a/12345#frag?x",
            b"/a;jsessionid=1?x",
            b"/login?next=https://evil.example/x",
            b"http://proxy.example/p/q?r=s",
            b"http://proxy.example?next=/x",
            b"/p?lang=fr&id=9",
            b"?x",
            b"",
        ] {
            for rules in [&plain, &kept] {
                assert_eq!(
                    super::clean_path(path_key(target, rules), rules),
                    super::clean_path(target, rules),
                    "{}",
                    String::from_utf8_lossy(target)
                );
            }
        }
        assert_eq!(path_key(b"/a?b", &plain), b"/a");
        assert_eq!(path_key(b"/a?b", &kept), b"/a?b");
        for r in [
            &b"https://www.example.org/news/1?utm_source=x#top"[..],
            b"https://user:pw@Example.ORG:8443?q",
            b"android-app://com.example.app/path",
            b"not a url",
            b"https://",
            b"://x/y",
        ] {
            assert_eq!(
                referrer_host(Some(referrer_origin(r))),
                referrer_host(Some(r))
            );
        }
        assert_eq!(
            referrer_origin(b"https://www.example.org/news/1?x"),
            b"https://www.example.org"
        );
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
