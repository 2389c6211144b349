//! Site-search terms, cleaned so they can be counted without being
//! associated with anyone.
//!
//! A term is taken only from a configured endpoint and parameter
//! (`/search?q=`), URL-decoded, NFKC-normalised (so full-width and
//! compatibility forms count together), lower-cased, whitespace-collapsed
//! and capped in length. A term that looks like it identifies someone — an
//! e-mail address, a phone number, an IP address, a long number, an id —
//! becomes `(redacted)` as a whole: people search for themselves and for
//! each other, and half a redacted term can still identify.
//!
//! Terms reach only `web_search_terms`, whose rows need k distinct searchers
//! and which has no key shared with any other table.

use unicode_normalization::UnicodeNormalization;

use super::ip::parse_ip;
use super::url::{is_id_like, percent_decode};

/// The term published in place of an identifying one.
pub const REDACTED: &str = "(redacted)";

/// Where search terms come from; from the policy's `[search]` table.
#[derive(Debug, Clone)]
pub struct SearchRules {
    /// Paths of search endpoints (exact match, query excluded).
    pub endpoints: Vec<String>,
    /// Parameters holding the terms; the first present one is used.
    pub params: Vec<String>,
    /// Longest term kept, in characters.
    pub max_length: usize,
}

/// Whether a cleaned term could identify a person or a record.
pub fn identifying(term: &str) -> bool {
    if term.contains('@') {
        return true;
    }
    // Phone numbers: seven or more digits among phone punctuation.
    let digits = term.chars().filter(char::is_ascii_digit).count();
    let phone_like = term
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/'));
    if digits >= 7 && phone_like {
        return true;
    }
    term.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/'))
        .any(|token| {
            let t = token.trim_matches(|c: char| !c.is_alphanumeric());
            parse_ip(t.as_bytes()).is_some()
                || is_id_like(t.as_bytes())
                || t.chars().filter(char::is_ascii_digit).count() >= 5
        })
}

impl SearchRules {
    /// The query of `target` when its path is a search endpoint: the only
    /// targets [`SearchRules::term`] reads a term from.
    pub fn query<'a>(&self, target: &'a [u8]) -> Option<&'a [u8]> {
        let q = memchr::memchr(b'?', target)?;
        let path = &target[..q];
        self.endpoints
            .iter()
            .any(|e| e.as_bytes() == path)
            .then(|| &target[q + 1..])
    }

    /// The cleaned term of a request target, if it is a search.
    pub fn term(&self, target: &[u8]) -> Option<String> {
        let query = self.query(target)?;
        let query = &query[..memchr::memchr(b'#', query).unwrap_or(query.len())];
        let raw = self.params.iter().find_map(|p| {
            query.split(|c| *c == b'&').find_map(|pair| {
                let (name, value) = pair.split_at(memchr::memchr(b'=', pair)?);
                (name == p.as_bytes()).then(|| &value[1..])
            })
        })?;
        let decoded = percent_decode(raw, true);
        let text = String::from_utf8_lossy(&decoded);
        // NFKC leaves ASCII as it is, and most terms are ASCII.
        let normalised: String = match text.is_ascii() {
            true => text.to_ascii_lowercase(),
            false => text.nfkc().collect::<String>().to_lowercase(),
        };
        let term = normalised.split_whitespace().collect::<Vec<_>>().join(" ");
        if term.is_empty() {
            return None;
        }
        // A parenthesised term could collide with a label the tool
        // reserves (`(other)`), which input must never produce.
        if identifying(&term) || (term.starts_with('(') && term.ends_with(')')) {
            return Some(REDACTED.to_string());
        }
        Some(term.chars().take(self.max_length).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The ASCII shortcut of `term` normalises as NFKC would.
        #[test]
        fn ascii_needs_no_nfkc(s in "[\\x00-\\x7f]{0,40}") {
            proptest::prop_assert_eq!(s.nfkc().collect::<String>().to_lowercase(), s.to_ascii_lowercase());
        }
    }

    fn rules() -> SearchRules {
        SearchRules {
            endpoints: vec!["/search".into()],
            params: vec!["q".into(), "query".into()],
            max_length: 20,
        }
    }

    #[test]
    fn terms_are_decoded_normalised_and_capped() {
        let r = rules();
        assert_eq!(
            r.term(b"/search?q=Financial+Aid&page=2").as_deref(),
            Some("financial aid")
        );
        assert_eq!(
            r.term(b"/search?page=2&query=%20%20Library%20%20Hours")
                .as_deref(),
            Some("library hours")
        );
        // Full-width letters (NFKC) and case fold together.
        assert_eq!(
            r.term("/search?q=ＣＡＦＥ".as_bytes()).as_deref(),
            Some("cafe")
        );
        assert_eq!(
            r.term(b"/search?q=a+very+long+search+term+indeed")
                .as_deref(),
            Some("a very long search t")
        );
        assert_eq!(r.term(b"/search?q=").as_deref(), None);
        assert_eq!(r.term(b"/search?x=1").as_deref(), None);
        assert_eq!(r.term(b"/other?q=x").as_deref(), None);
        assert_eq!(r.term(b"/search/q=x").as_deref(), None);
        assert_eq!(r.term(b"/search?q=%ZZ").as_deref(), Some("%zz"));
    }

    #[test]
    fn identifying_terms_are_redacted_whole() {
        let r = rules();
        for q in [
            "jane.doe%40example.edu",
            "contact+jane.doe@example.edu+office",
            "617-555-0123",
            "%2B1+(617)+555+0123",
            "192.0.2.14",
            "student+12345678",
            "8f14e45f-ceea-467f-a0e6-4b1e2c9d8a11",
        ] {
            let target = format!("/search?q={q}");
            assert_eq!(r.term(target.as_bytes()).as_deref(), Some(REDACTED), "{q}");
        }
        assert_eq!(r.term(b"/search?q=cs+101").as_deref(), Some("cs 101"));
        assert_eq!(
            r.term(b"/search?q=2026+calendar").as_deref(),
            Some("2026 calendar")
        );
    }
}
