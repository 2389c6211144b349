//! The request class of a cleaned path: `page`, `static`, `download`,
//! `api`, `feed`, or `other` for the reserved labels (`(other)`,
//! `(invalid request)`, …).
//!
//! A class is a function of the cleaned path alone (never of the query
//! or the client), so it adds a column to `web_pages` rather than rows,
//! and cannot split a row below k. The veil computes it once per distinct
//! request target (the target memo keeps it), so that sessions can count
//! page views, and the pages table computes it again from the published
//! text with the same rules.
//!
//! The rules are the policy's `[classes]` lists, with defaults that fit
//! most sites: well-known API and feed prefixes, and file extensions.
//! They are checked in a fixed order (api, feed, static, download, page)
//! so a `/api/…/logo.png` is an API call and a `/feed.xml` a feed. A site
//! whose pages end in `.json`, or whose assets live under extension-less
//! paths, lists its own prefixes. The lists are few and short, so a linear
//! scan over them per distinct target costs less than building a matcher.
//! Requests from crawlers and scripted clients are a client property, not
//! a path's: tables count them in `bot_requests` beside the class.

use crate::privacy::policy::ClassPolicy;

/// What kind of resource a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum RequestClass {
    /// A document a person reads: everything no other rule claims.
    #[default]
    Page,
    /// Styles, scripts, images, fonts and media that pages load.
    Static,
    /// Files people download rather than read (documents, archives).
    Download,
    /// Programmatic endpoints.
    Api,
    /// Feeds and sitemaps.
    Feed,
    /// No path: the reserved labels of folded or unreadable requests.
    Other,
}

impl RequestClass {
    /// The label published in `web_pages.class`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestClass::Page => "page",
            RequestClass::Static => "static",
            RequestClass::Download => "download",
            RequestClass::Api => "api",
            RequestClass::Feed => "feed",
            RequestClass::Other => "other",
        }
    }
}

/// The policy's class rules, lowercased and ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestClasses {
    api_prefixes: Vec<String>,
    api_extensions: Vec<String>,
    feed_prefixes: Vec<String>,
    feed_extensions: Vec<String>,
    static_prefixes: Vec<String>,
    static_extensions: Vec<String>,
    download_extensions: Vec<String>,
}

impl Default for RequestClasses {
    /// The rules of the default policy.
    fn default() -> Self {
        RequestClasses::new(&ClassPolicy::default())
    }
}

impl RequestClasses {
    /// The rules of a policy's `[classes]` section. Matching is ASCII
    /// case-insensitive; an extension may be given with or without its dot.
    pub fn new(policy: &ClassPolicy) -> RequestClasses {
        let lower = |list: &[String]| -> Vec<String> {
            list.iter().map(|s| s.to_ascii_lowercase()).collect()
        };
        let extensions = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|s| s.trim_start_matches('.').to_ascii_lowercase())
                .collect()
        };
        RequestClasses {
            api_prefixes: lower(&policy.api_prefixes),
            api_extensions: extensions(&policy.api_extensions),
            feed_prefixes: lower(&policy.feed_prefixes),
            feed_extensions: extensions(&policy.feed_extensions),
            static_prefixes: lower(&policy.static_prefixes),
            static_extensions: extensions(&policy.static_extensions),
            download_extensions: extensions(&policy.download_extensions),
        }
    }

    /// The class of a cleaned path (or of a reserved label, `other`).
    pub fn of(&self, path: &str) -> RequestClass {
        // `(other)`, `(invalid request)`, … are no path.
        if path.starts_with('(') {
            return RequestClass::Other;
        }
        // The rules are lowercase, so comparing without case matches what
        // a lowercased copy of the path would, without making one (this
        // runs on every distinct target).
        let path = path.as_bytes();
        let last = path.rsplit(|&c| c == b'/').next().unwrap_or_default();
        let ext = last
            .iter()
            .rposition(|&c| c == b'.')
            .map(|i| &last[i + 1..]);
        let has = |list: &[String]| {
            ext.is_some_and(|e| list.iter().any(|x| x.as_bytes().eq_ignore_ascii_case(e)))
        };
        let under = |list: &[String]| {
            list.iter().any(|p| {
                path.get(..p.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes()))
            })
        };
        if under(&self.api_prefixes) || has(&self.api_extensions) {
            RequestClass::Api
        } else if under(&self.feed_prefixes) || has(&self.feed_extensions) {
            RequestClass::Feed
        } else if under(&self.static_prefixes) || has(&self.static_extensions) {
            RequestClass::Static
        } else if has(&self.download_extensions) {
            RequestClass::Download
        } else {
            RequestClass::Page
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RequestClass, RequestClasses};
    use crate::privacy::policy::ClassPolicy;

    #[test]
    fn paths_fall_in_their_classes() {
        let rules = RequestClasses::default();
        for (path, class) in [
            ("/", "page"),
            ("/about/team", "page"),
            ("/index.html", "page"),
            ("/news.php", "page"),
            ("/static/css/site.css", "static"),
            ("/img/Logo.PNG", "static"),
            ("/fonts/x.woff2", "static"),
            ("/files/report-2025.pdf", "download"),
            ("/api/v1/items/{id}", "api"),
            ("/wp-json/wp/v2/posts", "api"),
            ("/data.json", "api"),
            ("/feed/", "feed"),
            ("/sitemap.xml", "feed"),
            ("(other)", "other"),
            ("(invalid request)", "other"),
            ("/dir.with.dots/page", "page"),
        ] {
            assert_eq!(rules.of(path).as_str(), class, "{path}");
        }
    }

    #[test]
    fn a_policy_replaces_the_lists() {
        // A site whose assets are served from extension-less paths and
        // whose pages end in `.json`.
        let policy = ClassPolicy {
            static_prefixes: vec!["/Assets/".to_string()],
            api_extensions: vec![],
            download_extensions: vec![".ICS".to_string()],
            ..ClassPolicy::default()
        };
        let rules = RequestClasses::new(&policy);
        assert_eq!(rules.of("/assets/logo"), RequestClass::Static);
        assert_eq!(rules.of("/data.json"), RequestClass::Page);
        assert_eq!(rules.of("/cal/term.ics"), RequestClass::Download);
        assert_eq!(rules.of("/files/report.pdf"), RequestClass::Page);
        // Prefixes and extensions match whatever the case of the path,
        // including one shorter than a prefix and non-ASCII text.
        assert_eq!(rules.of("/ASSETS/Logo"), RequestClass::Static);
        assert_eq!(rules.of("/Cal/Term.IcS"), RequestClass::Download);
        assert_eq!(rules.of("/Asset"), RequestClass::Page);
        assert_eq!(rules.of("/Ässets/x.ics"), RequestClass::Download);
        assert_eq!(rules.of("/x.ICS/"), RequestClass::Page);
    }
}
