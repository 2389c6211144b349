//! The constant tables: agents, crawler networks, IPv6 prefixes, users,
//! referrers, tracking parameters, scanner probes and the words pages are
//! named from.
//!
//! Real strings with hand-set weights rather than generated ones: the default
//! workload should look like a real log to a person reading it and to the
//! agent classifier. The `wide` knobs generate strings instead when a
//! benchmark needs more distinct ones than a table can hold.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Browser,
    Crawler,
    /// Scripts, API clients, uptime monitors.
    Tool,
    /// Vulnerability scanners probing for well-known files.
    Scanner,
}

const GOOGLEBOT_MOBILE: &str = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.7680.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BINGBOT: &str = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36";
pub(crate) const UPTIME_ROBOT: &str =
    "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)";

/// Agents of the most popular clients, in rank order: real logs are usually
/// topped by a NAT gateway full of browsers and the big search crawlers.
pub(crate) const TOP_AGENTS: [&str; 4] = [CHROME_WIN, GOOGLEBOT, BINGBOT, GOOGLEBOT_MOBILE];

/// `(kind, weight among clients, network of the operator or 0, agent)`.
/// Weights are per client; crawlers get more lines per client than they
/// have weight because the top ranks are crawlers too.
#[rustfmt::skip]
pub(crate) const AGENTS: &[(Kind, u32, u8, &str)] = &[
    (Kind::Browser, 120, 0, CHROME_WIN),
    (Kind::Browser, 60, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36"),
    (Kind::Browser, 18, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/144.0.0.0 Safari/537.36"),
    (Kind::Browser, 45, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36"),
    (Kind::Browser, 18, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36"),
    (Kind::Browser, 12, 0, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36"),
    (Kind::Browser, 5, 0, "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36"),
    (Kind::Browser, 90, 0, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Mobile Safari/537.36"),
    (Kind::Browser, 40, 0, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Mobile Safari/537.36"),
    (Kind::Browser, 10, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/146.0.7680.40 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 35, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36 Edg/146.0.0.0"),
    (Kind::Browser, 12, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36 Edg/145.0.0.0"),
    (Kind::Browser, 18, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:149.0) Gecko/20100101 Firefox/149.0"),
    (Kind::Browser, 9, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:148.0) Gecko/20100101 Firefox/148.0"),
    (Kind::Browser, 6, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:149.0) Gecko/20100101 Firefox/149.0"),
    (Kind::Browser, 8, 0, "Mozilla/5.0 (X11; Linux x86_64; rv:149.0) Gecko/20100101 Firefox/149.0"),
    (Kind::Browser, 4, 0, "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:148.0) Gecko/20100101 Firefox/148.0"),
    (Kind::Browser, 4, 0, "Mozilla/5.0 (Android 15; Mobile; rv:149.0) Gecko/149.0 Firefox/149.0"),
    (Kind::Browser, 30, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Safari/605.1.15"),
    (Kind::Browser, 10, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.2 Safari/605.1.15"),
    (Kind::Browser, 70, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 25, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.2 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 15, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 8, 0, "Mozilla/5.0 (iPad; CPU OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 10, 0, "Mozilla/5.0 (Linux; Android 15; SAMSUNG SM-S931B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/29.0 Chrome/136.0.0.0 Mobile Safari/537.36"),
    (Kind::Browser, 4, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36 OPR/130.0.0.0"),
    (Kind::Browser, 2, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/144.0.0.0 YaBrowser/26.2.0.0 Safari/537.36"),
    (Kind::Browser, 3, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/520.0.0.38.101;FBBV/712345678;FBDV/iPhone16,2;FBMD/iPhone;FBSN/iOS;FBSV/18.7;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/5]"),
    (Kind::Browser, 3, 0, "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/145.0.0.0 Mobile Safari/537.36 Instagram 380.0.0.41.92 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 8; shiba; shiba; en_US; 712345678)"),
    (Kind::Browser, 3, 0, "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36"),
    (Kind::Crawler, 40, 1, GOOGLEBOT_MOBILE),
    (Kind::Crawler, 28, 1, GOOGLEBOT),
    (Kind::Crawler, 20, 2, BINGBOT),
    (Kind::Crawler, 16, 3, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot"),
    (Kind::Crawler, 6, 3, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; +https://openai.com/searchbot"),
    (Kind::Crawler, 6, 3, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot"),
    (Kind::Crawler, 12, 4, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)"),
    (Kind::Crawler, 6, 5, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"),
    (Kind::Crawler, 8, 6, "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"),
    (Kind::Crawler, 4, 9, "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"),
    (Kind::Crawler, 4, 0, "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)"),
    (Kind::Crawler, 14, 7, "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"),
    (Kind::Crawler, 10, 8, "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)"),
    (Kind::Crawler, 6, 0, "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot) Chrome/119.0.6045.214 Safari/537.36"),
    (Kind::Crawler, 4, 0, "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
    (Kind::Crawler, 2, 0, "Twitterbot/1.0"),
    (Kind::Tool, 17, 0, UPTIME_ROBOT),
    (Kind::Tool, 42, 0, "curl/8.12.1"),
    (Kind::Tool, 17, 0, "curl/7.81.0"),
    (Kind::Tool, 34, 0, "python-requests/2.32.3"),
    (Kind::Tool, 8, 0, "python-httpx/0.28.1"),
    (Kind::Tool, 25, 0, "Go-http-client/1.1"),
    (Kind::Tool, 8, 0, "Wget/1.25.0"),
    (Kind::Tool, 17, 0, "okhttp/4.12.0"),
    (Kind::Tool, 8, 0, "axios/1.8.4"),
    (Kind::Tool, 8, 0, "Java/17.0.14"),
    (Kind::Tool, 8, 0, "-"),
    (Kind::Scanner, 2, 0, "Mozilla/5.0 zgrab/0.x"),
    (Kind::Scanner, 1, 0, "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)"),
    (Kind::Scanner, 2, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36"),
    (Kind::Scanner, 1, 0, "Mozilla/5.0 (l9scan/2.0.; +https://leakix.net)"),
    (Kind::Scanner, 1, 0, "python-requests/2.31.0"),
];

/// Address blocks of crawler operators, `(a, b, c_lo, c_hi)`: they crawl
/// from their own networks, which is what reverse-DNS checks rely on.
pub(crate) const BOT_NETS: [(u8, u8, u8, u8); 10] = [
    (0, 0, 0, 0),
    (66, 249, 64, 79),
    (40, 77, 167, 167),
    (20, 171, 206, 207),
    (216, 73, 216, 216),
    (17, 241, 208, 255),
    (5, 255, 231, 231),
    (54, 36, 148, 149),
    (85, 208, 96, 99),
    (116, 179, 32, 37),
];

/// First two groups of IPv6 prefixes of large ISPs and clouds.
pub(crate) const V6_PREFIXES: [[u16; 2]; 16] = [
    [0x2a01, 0x04f8],
    [0x2a02, 0x8070],
    [0x2a02, 0x810d],
    [0x2003, 0x00e6],
    [0x2600, 0x1700],
    [0x2601, 0x0646],
    [0x2603, 0x7000],
    [0x2607, 0xfb90],
    [0x2a00, 0x23c5],
    [0x2a01, 0xcb00],
    [0x2a01, 0x0e0a],
    [0x2409, 0x8a28],
    [0x2405, 0x0201],
    [0x2001, 0x16b8],
    [0x2804, 0x014c],
    [0x2600, 0x1f18],
];

pub(crate) const USERS: [&str; 12] = [
    "jsmith",
    "m.keller",
    "anna",
    "admin",
    "lwang",
    "editor",
    "k.nakamura",
    "student42",
    "pmartin",
    "r.okafor",
    "webmaster",
    "sgarcia",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefKind {
    Search,
    Social,
    Other,
}

/// External referrers of entry pages, `(kind, weight, text)`. Search engines
/// send only their origin nowadays, hence the bare hosts.
#[rustfmt::skip]
pub(crate) const REFERRERS: &[(RefKind, u32, &str)] = &[
    (RefKind::Search, 300, "https://www.google.com/"),
    (RefKind::Search, 40, "https://www.google.de/"),
    (RefKind::Search, 25, "https://www.google.co.uk/"),
    (RefKind::Search, 50, "https://www.bing.com/"),
    (RefKind::Search, 30, "https://duckduckgo.com/"),
    (RefKind::Search, 10, "https://www.ecosia.org/"),
    (RefKind::Search, 8, "https://search.yahoo.com/"),
    (RefKind::Search, 6, "https://yandex.ru/"),
    (RefKind::Search, 5, "https://search.brave.com/"),
    (RefKind::Social, 30, "https://l.facebook.com/"),
    (RefKind::Social, 12, "https://www.facebook.com/"),
    (RefKind::Social, 20, "https://t.co/"),
    (RefKind::Social, 18, "https://www.linkedin.com/"),
    (RefKind::Social, 14, "https://www.reddit.com/"),
    (RefKind::Social, 8, "https://news.ycombinator.com/"),
    (RefKind::Social, 10, "https://l.instagram.com/"),
    (RefKind::Social, 6, "https://bsky.app/"),
    (RefKind::Social, 4, "https://mastodon.social/"),
    (RefKind::Social, 8, "android-app://com.google.android.gm/"),
    (RefKind::Other, 25, "https://en.wikipedia.org/"),
    (RefKind::Other, 10, "https://de.wikipedia.org/"),
    (RefKind::Other, 12, "https://github.com/"),
    (RefKind::Other, 15, "https://chatgpt.com/"),
    (RefKind::Other, 5, "https://www.perplexity.ai/"),
    (RefKind::Other, 8, "https://scholar.google.com/"),
    (RefKind::Other, 8, "https://www.youtube.com/"),
    (RefKind::Other, 6, "https://www.example.com/links/partners"),
];

pub(crate) const UTM: [&str; 5] = [
    "?utm_source=newsletter&utm_medium=email&utm_campaign=2026-03",
    "?utm_source=facebook&utm_medium=social&utm_campaign=open-day",
    "?utm_source=linkedin&utm_medium=social",
    "?utm_source=twitter&utm_medium=social",
    "?utm_source=bluesky&utm_medium=social",
];

/// Paths vulnerability scanners try, with the status this site answers.
#[rustfmt::skip]
pub(crate) const PROBES: &[(&str, u16)] = &[
    ("/wp-login.php", 404), ("/xmlrpc.php", 404), ("/wp-admin/setup-config.php", 404),
    ("/wp-content/plugins/revslider/temp/update_extract/revslider/", 404),
    ("/wp-includes/wlwmanifest.xml", 404), ("/.env", 404), ("/.env.production", 404),
    ("/api/.env", 404), ("/laravel/.env", 404), ("/.git/config", 403), ("/.git/HEAD", 403),
    ("/.htaccess", 403), ("/server-status", 403), ("/.aws/credentials", 404), ("/config.json", 404),
    ("/phpmyadmin/", 404), ("/pma/", 404), ("/admin/", 404), ("/administrator/", 404),
    ("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 404),
    ("/cgi-bin/luci/;stok=/locale", 404), ("/boaform/admin/formLogin", 404), ("/actuator/env", 404),
    ("/.DS_Store", 404), ("/backup.zip", 404), ("/db.sql", 404), ("/owa/auth/logon.aspx", 404),
    ("/HNAP1/", 404), ("/solr/admin/info/system?wt=json", 404), ("/sftp-config.json", 404),
    ("/.vscode/sftp.json", 404), ("/docker-compose.yml", 404), ("/telescope/requests", 404),
    ("/geoserver/web/", 404), ("/remote/login?lang=en", 404), ("/.well-known/security.txt", 404),
];

#[rustfmt::skip]
pub(crate) const WORDS: &[&str] = &[
    "climate", "research", "student", "campus", "library", "energy", "data", "science", "health",
    "award", "grant", "lecture", "semester", "exam", "robotics", "quantum", "history", "music",
    "festival", "alumni", "startup", "water", "city", "future", "digital", "learning", "language",
    "network", "security", "privacy", "open", "day", "spring", "summer", "winter", "new", "study",
    "report", "team", "project", "center", "lab", "ocean", "forest", "genome", "cancer", "brain",
    "sleep", "food", "sport", "rowing", "art", "exhibition", "theatre", "film", "book", "poetry",
    "math", "physics", "chemistry", "biology", "economics", "law", "policy", "election", "europe",
    "africa", "asia", "solar", "wind", "battery", "hydrogen", "ai", "machine", "model", "ethics",
    "robot", "space", "mars", "satellite", "telescope", "galaxy", "bridge", "housing", "transport",
    "bike", "train", "mental", "wellbeing", "scholarship", "tuition", "visa", "international",
    "partnership", "conference", "workshop", "seminar", "keynote", "prize", "medal", "record",
    "breakthrough", "discovery", "fossil", "bee", "bird", "river", "coral", "arctic", "glacier",
    "drought", "flood", "storm", "vaccine", "microbes", "soil", "coffee", "chess", "choir",
];

#[rustfmt::skip]
pub(crate) const FIRST: &[&str] = &[
    "anna", "ben", "clara", "david", "elena", "farid", "grace", "hiro", "ines", "jonas", "kemal",
    "lena", "mateo", "nadia", "oscar", "priya", "quentin", "rosa", "samir", "tara", "ulrich",
    "vera", "wei", "yusuf", "zoe", "amara", "bruno", "chloe", "dmitri", "eva",
];

#[rustfmt::skip]
pub(crate) const LAST: &[&str] = &[
    "schmidt", "nguyen", "garcia", "mueller", "rossi", "kowalski", "okafor", "tanaka", "silva",
    "johansson", "dubois", "novak", "hansen", "patel", "kim", "fischer", "moreau", "costa",
    "yilmaz", "andersen", "weber", "lopez", "ivanova", "becker", "santos", "wagner", "chen",
    "murphy", "haddad", "berg",
];

pub(crate) const DEPTS: [&str; 12] = [
    "cs", "ma", "ph", "ch", "bi", "ec", "hi", "la", "mu", "ee", "me", "ps",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        assert!(
            TOP_AGENTS
                .iter()
                .all(|ua| AGENTS.iter().any(|a| a.3 == *ua))
        );
        assert!((50..80).contains(&AGENTS.len()));
        for text in AGENTS
            .iter()
            .map(|a| a.3)
            .chain(REFERRERS.iter().map(|r| r.2))
        {
            assert!(
                !text.is_empty() && !text.contains(['"', '\\', '\n']),
                "{text}"
            );
        }
        for (path, _) in PROBES {
            assert!(
                path.starts_with('/') && !path.contains([' ', '"']),
                "{path}"
            );
        }
    }
}
