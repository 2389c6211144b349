//! The classifier against hand-picked agents of every family it names,
//! and the properties its callers rely on.

use super::*;

/// (agent, browser, os, device, is_bot)
const CASES: &[(&str, &str, &str, &str, bool)] = &[
    // Desktop browsers.
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        "Windows",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        "macOS",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        "Linux",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        "ChromeOS",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
        "Edge",
        "Windows",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
        "Edge",
        "macOS",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox",
        "Windows",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox",
        "macOS",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox",
        "Linux",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (X11; FreeBSD amd64; rv:109.0) Gecko/20100101 Firefox/115.0",
        "Firefox",
        "FreeBSD",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "Safari",
        "macOS",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
        "Opera",
        "Windows",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36",
        "Yandex",
        "Windows",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "Internet Explorer",
        "Windows",
        "desktop",
        false,
    ),
    (
        "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
        "Internet Explorer",
        "Windows",
        "desktop",
        false,
    ),
    // Apple mobile.
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Safari",
        "iOS",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        "Chrome",
        "iOS",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
        "Firefox",
        "iOS",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/124.2478.50 Mobile/15E148 Safari/605.1.15",
        "Edge",
        "iOS",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1",
        "Safari",
        "iPadOS",
        "tablet",
        false,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        "Chrome",
        "iPadOS",
        "tablet",
        false,
    ),
    // iPadOS 13+ Safari requests desktop sites with a Mac agent: it is
    // indistinguishable from a Mac and documented as macOS/desktop.
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "Safari",
        "macOS",
        "desktop",
        false,
    ),
    // In-app browser without a Safari word.
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/458.0.0.38.108;FBBV/584410436]",
        "In-app",
        "iOS",
        "mobile",
        false,
    ),
    // Android.
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "Chrome",
        "Android",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Chrome",
        "Android",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        "Android",
        "tablet",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "Samsung Internet",
        "Android",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X706B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36",
        "Samsung Internet",
        "Android",
        "tablet",
        false,
    ),
    (
        "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
        "Firefox",
        "Android",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
        "Firefox",
        "Android",
        "tablet",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64",
        "Edge",
        "Android",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 OPR/81.1.4292.78824",
        "Opera",
        "Android",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; U; Android 10; en-US; RMX1911 Build/QKQ1.200209.002) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UCBrowser/13.4.0.1306 Mobile Safari/537.36",
        "UC Browser",
        "Android",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; U; Android 4.0.3; de-ch; HTC Sensation Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
        "Other",
        "Android",
        "mobile",
        false,
    ),
    (
        "Dalvik/2.1.0 (Linux; U; Android 13; SM-A135F Build/TP1A.220624.014)",
        "In-app",
        "Android",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 11; CUBOT_X50) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "Chrome",
        "Android",
        "mobile",
        false,
    ),
    // TVs.
    (
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
        "Samsung Internet",
        "Tizen",
        "other",
        false,
    ),
    // Crawlers.
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/124.0.6367.118 Safari/537.36",
        "Googlebot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot",
        "Other",
        "bot",
        true,
    ),
    ("Googlebot-Image/1.0", "Googlebot", "Other", "bot", true),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        "Bingbot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "AhrefsBot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
        "SemrushBot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "GPTBot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "ClaudeBot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Applebot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "YandexBot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Baiduspider",
        "Other",
        "bot",
        true,
    ),
    (
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "DuckDuckBot",
        "Other",
        "bot",
        true,
    ),
    (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "facebookexternalhit",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
        "Yahoo! Slurp",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)",
        "Other bot",
        "Other",
        "bot",
        true,
    ),
    // Generic markers.
    (
        "Mozilla/5.0 (compatible; SomeNewCrawler/0.3)",
        "Other bot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; Example/1.0; +https://example.com/about)",
        "Other bot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36",
        "Other bot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
        "Other bot",
        "Other",
        "bot",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; 360Spider)",
        "Other bot",
        "Other",
        "bot",
        true,
    ),
    // Scripted clients.
    ("curl/8.5.0", "curl", "Other", "other", true),
    ("Wget/1.21.4", "Wget", "Other", "other", true),
    ("Wget/1.21.2 (linux-gnu)", "Wget", "Linux", "other", true),
    (
        "python-requests/2.31.0",
        "python-requests",
        "Other",
        "other",
        true,
    ),
    (
        "Go-http-client/1.1",
        "Go-http-client",
        "Other",
        "other",
        true,
    ),
    (
        "Go-http-client/2.0",
        "Go-http-client",
        "Other",
        "other",
        true,
    ),
    ("Java/17.0.10", "Java", "Other", "other", true),
    (
        "Apache-HttpClient/4.5.14 (Java/17.0.10)",
        "Apache-HttpClient",
        "Other",
        "other",
        true,
    ),
    ("okhttp/4.12.0", "okhttp", "Other", "other", true),
    ("axios/1.6.8", "axios", "Other", "other", true),
    (
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        "node-fetch",
        "Other",
        "other",
        true,
    ),
    ("node-fetch", "node-fetch", "Other", "other", true),
    // Native apps and their web views.
    (
        "Weather/2.4 CFNetwork/1490.0.4 Darwin/23.2.0",
        "In-app",
        "iOS",
        "mobile",
        false,
    ),
    (
        "Notes-iPad/7.1 CFNetwork/1240.0.4 Darwin/20.5.0",
        "In-app",
        "iPadOS",
        "tablet",
        false,
    ),
    (
        "Sync/3.1 CFNetwork/1335.0.3 Darwin/21.6.0 (x86_64)",
        "In-app",
        "macOS",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "In-app",
        "iOS",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 12; Pixel 5 Build/SP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/110.0.0.0 Mobile Safari/537.36",
        "In-app",
        "Android",
        "mobile",
        false,
    ),
    // Self-named Chromium and Gecko browsers.
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Vivaldi/6.5",
        "Vivaldi",
        "Windows",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0 SeaMonkey/2.53.18",
        "SeaMonkey",
        "Linux",
        "desktop",
        false,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0 Version/16.0 Safari/605.1.15",
        "Chrome",
        "iOS",
        "mobile",
        false,
    ),
    // Phones, tablets and appliances that name no common OS.
    (
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)",
        "Internet Explorer",
        "Windows Phone",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Mobile; LYF/F300B; Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
        "Firefox",
        "KaiOS",
        "mobile",
        false,
    ),
    (
        "BlackBerry9700/5.0.0.351 Profile/MIDP-2.1 Configuration/CLDC-1.1 VendorID/123",
        "Other",
        "BlackBerry",
        "mobile",
        false,
    ),
    (
        "Nokia2720/2.0 Profile/MIDP-2.1 Configuration/CLDC-1.1",
        "Other",
        "Other",
        "mobile",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; U; Android 4.1.2; en-us; GT-P5210 Build/JZO54K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
        "Other",
        "Android",
        "tablet",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.3.1 like Chrome/120.0.6099.230 Safari/537.36",
        "Silk",
        "Android",
        "tablet",
        false,
    ),
    (
        "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.128 Safari/537.36 WebAppManager",
        "Chrome",
        "webOS",
        "other",
        false,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; Quest 3) AppleWebKit/537.36 (KHTML, like Gecko) OculusBrowser/31.0 Chrome/120.0 VR Safari/537.36",
        "Chrome",
        "Android",
        "other",
        false,
    ),
    // Log-quoting escapes.
    (
        r#"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \"Chrome/124.0.0.0\" Safari/537.36"#,
        "Chrome",
        "Windows",
        "desktop",
        false,
    ),
    (
        r"Mozilla/5.0 (Linux; Android 12; \xE5\x8D\x8E\xE4\xB8\xBA) AppleWebKit/537.36 (KHTML, like Gecko)\xC2\xA0Chrome/120.0.0.0 Mobile Safari/537.36",
        "Chrome",
        "Android",
        "mobile",
        false,
    ),
    // Junk.
    ("Mozilla/5.0", "Other", "Other", "other", false),
    // A lone product name, with nothing of a browser or device, is a
    // script's (see `bots`).
    ("something", "Other bot", "Other", "bot", true),
];

#[test]
fn real_agents() {
    let mut failures = Vec::new();
    for &(agent, browser, os, device, is_bot) in CASES {
        let want = ClientClass {
            browser,
            os,
            device,
            is_bot,
        };
        let got = classify(agent.as_bytes());
        if got != want {
            failures.push(format!("{agent}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(CASES.len() >= 40);
}

#[test]
fn missing_agents_are_none() {
    for agent in [&b""[..], b"-", b" ", b" - ", b"\t-\t"] {
        assert_eq!(classify(agent), ClientClass::NONE, "{agent:?}");
    }
    // A lone `-` only counts as missing when it is the whole field.
    assert_eq!(classify(b"--").browser, "Other");
}

#[test]
fn garbage_and_invalid_utf8() {
    let want = ClientClass {
        browser: "Other",
        os: "Other",
        device: "other",
        is_bot: false,
    };
    for agent in [
        &b"\xff\xfe\x00\x01"[..],
        b"\x80\x80\x80",
        b"\\",
        b"\\x",
        b"\\x4",
        b"\\xZZ",
        b"\\\\\\\"",
        b"((((;;;;))))",
        b"\x00",
    ] {
        assert_eq!(classify(agent), want, "{agent:?}");
    }
    // Invalid UTF-8 around valid tokens does not hide them.
    let c = classify(b"\xffMozilla/5.0 (Windows NT 10.0)\xfe Firefox/125.0\xff");
    assert_eq!((c.browser, c.os), ("Firefox", "Windows"));
}

#[test]
fn case_does_not_matter() {
    for &(agent, ..) in CASES {
        let upper = agent.to_ascii_uppercase();
        let lower = agent.to_ascii_lowercase();
        let want = classify(agent.as_bytes());
        assert_eq!(classify(upper.as_bytes()), want, "{upper}");
        assert_eq!(classify(lower.as_bytes()), want, "{lower}");
    }
}

#[test]
fn labels_come_from_the_closed_sets() {
    let bot_or_client = |c: &ClientClass| c.is_bot;
    for &(agent, ..) in CASES {
        let c = classify(agent.as_bytes());
        assert!(OSES.contains(&c.os) || c.os == OTHER, "{c:?}");
        assert!(["desktop", "mobile", "tablet", "bot", "other"].contains(&c.device));
        assert!(bot_or_client(&c) || BROWSERS.contains(&c.browser) || c.browser == OTHER);
    }
}

#[test]
fn lexicon_words_fit_the_lookup_buffer() {
    // A lexicon key longer than MAX_WORD, or with a non-word byte, would
    // silently never match; these are the longest and hyphenated ones.
    for word in [
        &b"google-inspectiontool"[..],
        b"mediapartners-google",
        b"facebookexternalhit",
        b"meta-externalfetcher",
    ] {
        assert!(word.len() <= MAX_WORD);
        assert!(word.iter().all(|&b| WORD_BYTE[usize::from(b)]));
        assert!(lexicon(word).is_some());
    }
}

#[test]
fn long_agents_and_long_words() {
    let mut agent = b"Mozilla/5.0 (Windows NT 10.0) ".repeat(200);
    agent.extend_from_slice(b"Firefox/125.0");
    assert_eq!(classify(&agent).browser, "Firefox");

    let mut long_word = vec![b'a'; 10_000];
    long_word.extend_from_slice(b"crawler");
    assert_eq!(classify(&long_word).browser, "Other bot");
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[test]
fn pseudo_random_bytes_never_panic() {
    // Fragments that steer random input through escapes, the lexicon,
    // the hyphen fallback and the generic markers.
    const PIECES: &[&[u8]] = &[
        b"\\",
        b"\\x",
        b"\\xE2",
        b"\\\"",
        b"-",
        b"_",
        b"bot",
        b"cu",
        b"crawl",
        b"http",
        b"Chrome",
        b"Safari",
        b"Android",
        b"Mobile",
        b"iPad",
        b"googlebot-",
        b"linux-",
        b"curl",
        b" ",
        b"/",
        b";",
        b"(",
        b"\xff",
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut buf = Vec::with_capacity(512);
    for _ in 0..50_000 {
        buf.clear();
        let len = (rng.next() % 96) as usize;
        while buf.len() < len {
            let r = rng.next();
            if r.is_multiple_of(3) {
                let piece = PIECES[(r >> 8) as usize % PIECES.len()];
                buf.extend_from_slice(piece);
            } else {
                buf.push((r >> 16) as u8);
            }
        }
        let c = classify(&buf);
        assert!(!c.browser.is_empty() && !c.os.is_empty() && !c.device.is_empty());
        if c.device == "bot" {
            assert!(c.is_bot && c.os == OTHER, "{c:?}");
        }
    }
}
