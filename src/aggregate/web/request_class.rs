//! The request class of a published path: `page`, `static`, `download`,
//! `api`, `feed`, or `other` for the reserved labels.
//!
//! A class is a function of the cleaned path alone, so it is computed when
//! the pages table is written, from the published text: it adds a column,
//! not rows, and cannot split a row below k. The rules are fixed defaults
//! (file extensions and well-known prefixes) that fit most sites; a site
//! whose pages end in `.json` or whose assets live under extension-less
//! paths will see them in the wrong class, which the column's docs say.
//! Requests from crawlers and scripted clients are a client property, not
//! a path's: they are counted in `bot_requests` beside the class.

/// Extensions of style, script, image, font and media assets.
const STATIC: &[&str] = &[
    "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "bmp",
    "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "ogg", "wav", "m4a",
];

/// Extensions of files people download rather than read as a page.
const DOWNLOAD: &[&str] = &[
    "pdf", "zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "doc", "docx", "xls", "xlsx", "ppt",
    "pptx", "odt", "ods", "odp", "csv", "epub", "iso", "dmg", "exe", "msi", "deb", "rpm",
];

/// Path prefixes of programmatic endpoints.
const API_PREFIXES: &[&str] = &["/api/", "/graphql", "/wp-json/", "/rest/", "/v1/", "/v2/"];

/// Path prefixes and extensions of feeds and sitemaps.
const FEED_PREFIXES: &[&str] = &["/feed", "/rss", "/atom"];
const FEED: &[&str] = &["rss", "atom", "xml"];

/// The class of a published path.
pub fn of(path: &str) -> &'static str {
    // `(other)`, `(invalid request)`, … are no path.
    if path.starts_with('(') {
        return "other";
    }
    let lower = path.to_ascii_lowercase();
    let last = lower.rsplit('/').next().unwrap_or("");
    let ext = last.rsplit_once('.').map(|(_, e)| e);
    let has = |list: &[&str]| ext.is_some_and(|e| list.contains(&e));
    if API_PREFIXES.iter().any(|p| lower.starts_with(p)) || has(&["json"]) {
        "api"
    } else if FEED_PREFIXES.iter().any(|p| lower.starts_with(p)) || has(FEED) {
        "feed"
    } else if has(STATIC) {
        "static"
    } else if has(DOWNLOAD) {
        "download"
    } else {
        "page"
    }
}

#[cfg(test)]
mod tests {
    use super::of;

    #[test]
    fn paths_fall_in_their_classes() {
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
            assert_eq!(of(path), class, "{path}");
        }
    }
}
