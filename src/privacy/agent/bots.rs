//! Bot knowledge of the agent classifier: crawler and HTTP-client words,
//! and the signs that give away an automated client which names no known
//! crawler.
//!
//! Lists of crawler names age fast (crawler-user-agents adds dozens a
//! year) and never cover the long tail of monitors, link checkers and
//! in-house scripts. So besides a short vocabulary this module reads how an
//! agent is *built*, which changes far more slowly than who sends it:
//!
//! * **Automation vocabulary.** Crawlers describe their job in their name:
//!   `…bot`, `…crawler`, `…spider`, but also `…monitor`, `uptime`,
//!   `…checker`, `…scanner`, `…fetcher`, `…validator`, `…archive`,
//!   `…preview`, `…scraper`, `…synthetic`, `…agent`, RSS readers, and HTTP
//!   libraries (a word containing `http`, such as `HttpClient`, `http_get`,
//!   `CyotekHTTP`; a bare `HTTP` is not one). A Google product token
//!   (`Google-Site-Verification`, `AdsBot-Google`) is automated, and so is
//!   an AI agent's user-triggered fetcher (`ChatGPT-User`, `Manus-User`).
//! * **Contact details.** Browsers never carry an e-mail address
//!   (`support@bugsnag.com`), a domain name (`PrintFriendly.com`,
//!   `brokenlinkcheck.com/1.2`, `scope3.com`), or a URL inside a comment or
//!   after a `+` (`(+http://…)`). A URL in the product list of an app
//!   (`S3 Browser 8.6.7 https://s3browser.com`) is not a crawler's mark.
//! * **Nothing human.** A person's agent names a browser, an operating
//!   system, a device or a phone platform. An agent made only of product
//!   tokens (`Uptime-Kuma/1.23.16`, `newspaper/0.1`, `Zabbix`,
//!   `Mozilla/5.0 (compatible; Attracta)`) is automated, unless a word says
//!   it is a person's app after all: `…Browser`, a J2ME profile (`MIDP`,
//!   `CLDC`), a Japanese carrier, an app runtime (`CFNetwork`, `Darwin`,
//!   `Dalvik`).
//!
//! The signs are gathered during the classifier's one pass (one call per
//! separator byte and per word the main lexicon does not know) and weighed
//! at the end: a crawler family or a mark decides at once, the absence of
//! anything human only when the agent shows no browser, OS or device.
//! Like the rest of the classifier: no allocation, no regex, no panics.
//!
//! `Java` is a special case: the runtime of feature phones and applets
//! says so too (`Java/ASVM/1.1 Profile/MIDP-2.1`), so it counts as a
//! scripted client only in agents that show no browser, phone or J2ME
//! word.

use super::{OTHER_BOT, Token};

/// Crawler families, tools and scripted HTTP clients, by lowercased word;
/// the classifier asks here for words its own lexicon does not know.
pub(super) fn lexicon(word: &[u8]) -> Option<Token> {
    use Token::*;
    Some(match word {
        // Crawler families. Several words map to one family where the
        // operator uses several agents for one crawler.
        b"googlebot" => Bot("Googlebot"),
        b"bingbot" | b"bingpreview" => Bot("Bingbot"),
        b"ahrefsbot" | b"ahrefssiteaudit" => Bot("AhrefsBot"),
        b"semrushbot" => Bot("SemrushBot"),
        b"gptbot" => Bot("GPTBot"),
        b"chatgpt-user" => Bot("ChatGPT-User"),
        b"oai-searchbot" => Bot("OAI-SearchBot"),
        b"claudebot" | b"claude-web" | b"claude-user" | b"claude-searchbot" | b"anthropic-ai" => {
            Bot("ClaudeBot")
        }
        b"perplexitybot" | b"perplexity-user" => Bot("PerplexityBot"),
        b"applebot" => Bot("Applebot"),
        b"yandexbot" => Bot("YandexBot"),
        b"baiduspider" => Bot("Baiduspider"),
        b"duckduckbot" => Bot("DuckDuckBot"),
        b"facebookexternalhit" | b"facebookcatalog" => Bot("facebookexternalhit"),
        b"meta-externalagent" | b"meta-externalfetcher" | b"meta-externalads" => {
            Bot("meta-externalagent")
        }
        b"bytespider" => Bot("Bytespider"),
        b"amazonbot" => Bot("Amazonbot"),
        b"ccbot" => Bot("CCBot"),
        b"petalbot" => Bot("PetalBot"),
        b"mj12bot" => Bot("MJ12bot"),
        b"dotbot" => Bot("DotBot"),
        b"dataforseobot" => Bot("DataForSeoBot"),
        b"seznambot" => Bot("SeznamBot"),
        b"twitterbot" => Bot("Twitterbot"),
        b"linkedinbot" => Bot("LinkedInBot"),
        b"slackbot" => Bot("Slackbot"),
        b"discordbot" => Bot("Discordbot"),
        b"telegrambot" => Bot("TelegramBot"),
        b"whatsapp" => Bot("WhatsApp"),
        b"slurp" => Bot("Yahoo! Slurp"),
        // Crawler software and scanners whose names say nothing of their
        // job: the open-source crawlers and the common vulnerability and
        // port scanners.
        b"googleother"
        | b"google-inspectiontool"
        | b"mediapartners-google"
        | b"nutch"
        | b"heritrix"
        | b"larbin"
        | b"binlar"
        | b"colly"
        | b"httrack"
        | b"newspaper"
        | b"zgrab"
        | b"nikto"
        | b"masscan"
        | b"nmap"
        | b"zmeu"
        | b"openvas"
        | b"acunetix"
        | b"sqlmap"
        | b"nuclei"
        | b"w3c" => Bot(OTHER_BOT),

        // Scripted HTTP clients.
        b"curl" | b"libcurl" => Client("curl"),
        b"wget" | b"wget2" => Client("Wget"),
        b"python-requests" => Client("python-requests"),
        b"python-urllib" => Client("Python-urllib"),
        b"python-httpx" => Client("python-httpx"),
        b"aiohttp" => Client("aiohttp"),
        b"go-http-client" => Client("Go-http-client"),
        b"java" => Client(JAVA),
        b"apache-httpclient" => Client("Apache-HttpClient"),
        b"okhttp" => Client("okhttp"),
        b"axios" => Client("axios"),
        b"node-fetch" | b"undici" => Client("node-fetch"),
        b"libwww-perl" | b"lwp-trivial" => Client("libwww-perl"),
        b"postmanruntime" => Client("PostmanRuntime"),

        _ => return None,
    })
}

/// The Java runtime's client label; see the module doc for why it yields.
const JAVA: &str = "Java";

/// What the bytes of an agent say about automation, gathered in one pass.
#[derive(Default)]
pub(super) struct Signs {
    /// Depth of `(` comments, saturating: a URL inside one is a contact.
    depth: u8,
    /// A crawler mark was seen: the agent is a bot whatever else it says.
    mark: bool,
    /// A weaker sign was seen (a job word, a domain, an e-mail address, a
    /// URL in a comment, a library): the agent is a bot unless it shows a
    /// handset, because apps on phones carry such words too.
    hint: bool,
    /// A word the lexicons do not know, of three or more bytes and
    /// starting with a letter: a product name.
    product: bool,
    /// A word only people's agents carry (see the module doc).
    human: bool,
    /// Inside a URL (from `://` to the next blank, `;` or bracket), whose
    /// path words say nothing about the client.
    url: bool,
}

impl Signs {
    /// Records the separator byte `agent[at]` (not a word byte).
    #[inline]
    pub(super) fn separator(&mut self, agent: &[u8], at: usize) {
        match agent[at] {
            b'(' => {
                self.depth = self.depth.saturating_add(1);
                self.url = false;
            }
            b')' => {
                self.depth = self.depth.saturating_sub(1);
                self.url = false;
            }
            b' ' | b';' | b'[' | b']' => self.url = false,
            // `name@host`: an e-mail address.
            b'@' => self.hint |= is_email(agent, at),
            _ => {}
        }
    }

    /// Records `agent[start..end]`, a word the classifier's lexicon does
    /// not know; `lower` is it lowercased, if it fits the lookup buffer.
    #[inline]
    pub(super) fn word(&mut self, agent: &[u8], start: usize, end: usize, lower: Option<&[u8]>) {
        // Version numbers: most words of most agents, and never a sign, so
        // they are done with before the call below.
        if agent[start..end].iter().all(u8::is_ascii_digit) {
            return;
        }
        self.read(agent, start, end, lower);
    }

    /// [`Signs::word`] for a word that is not a plain number.
    #[inline(never)]
    fn read(&mut self, agent: &[u8], start: usize, end: usize, lower: Option<&[u8]>) {
        let word = &agent[start..end];
        let Some(&first) = word.first() else { return };
        // Build ids: only a glued crawler word (`360Spider`) or an Apple
        // build id matters.
        if !first.is_ascii_alphabetic() {
            self.note(automated(word));
            self.human |= !self.url && model_number(word);
            return;
        }
        if !self.mark {
            self.note(automated(word));
        }
        if !self.mark {
            let mark = self.contact(agent, start, end, lower);
            self.note(mark);
        }
        if word.len() >= 3 {
            self.product = true;
        }
        if !self.human && !self.url {
            self.human = human(word);
        }
    }

    fn note(&mut self, mark: Mark) {
        match mark {
            Mark::Strong => self.mark = true,
            Mark::Weak => self.hint = true,
            Mark::None => {}
        }
    }

    /// A URL after `+` (strong), or in a comment, or a domain name (weak).
    fn contact(&mut self, agent: &[u8], start: usize, end: usize, lower: Option<&[u8]>) -> Mark {
        let Some(lower) = lower else {
            return Mark::None;
        };
        let after = &agent[end..];
        if matches!(lower, b"http" | b"https") && after.starts_with(b"://") {
            self.url = true;
            return if start > 0 && agent[start - 1] == b'+' {
                Mark::Strong
            } else if self.depth > 0 {
                Mark::Weak
            } else {
                Mark::None
            };
        }
        // `name.tld` followed by the end of the token: the word is a
        // top-level domain glued to a name by a dot.
        let domain = start >= 2
            && agent[start - 1] == b'.'
            && agent[start - 2].is_ascii_alphanumeric()
            && !after
                .first()
                .is_some_and(|&b| b == b'.' || b == b'-' || b == b'_')
            && matches!(
                lower,
                b"com"
                    | b"net"
                    | b"org"
                    | b"io"
                    | b"ai"
                    | b"co"
                    | b"de"
                    | b"fr"
                    | b"ru"
                    | b"nu"
                    | b"uk"
                    | b"info"
                    | b"biz"
                    | b"jp"
            );
        if domain { Mark::Weak } else { Mark::None }
    }

    /// Whether the agent is automated. `platform` says whether it named a
    /// browser, an operating system or a device hint; `handheld` whether
    /// that was a phone or tablet (Android, iOS, `Mobile`, `Tablet`).
    pub(super) fn is_bot(&self, platform: bool, handheld: bool) -> bool {
        self.mark
            || (self.hint && !handheld && !self.human)
            || (self.product && !self.human && !platform)
    }

    /// Whether a scripted client the agent names is what it is. `people`
    /// says whether it also names a browser or a phone.
    pub(super) fn client_counts(&self, client: &str, people: bool) -> bool {
        client != JAVA || !(people || self.human)
    }
}

/// How strongly a word or a contact detail marks an automated client.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Mark {
    None,
    /// A job word or a contact detail: yields to a handset.
    Weak,
    /// A crawler word: decides alone.
    Strong,
}

/// How a word the lexicons do not know marks an automated client (see
/// the module doc).
///
/// One pass dispatching on the byte at each position, instead of a
/// substring search per marker, because it runs on most words of every
/// agent. Case is folded with `| 0x20`, which is exact on word bytes
/// (`[A-Za-z0-9_-]`: digits and `-` have the bit set already, `_` becomes
/// DEL and matches no marker) and cheaper than `to_ascii_lowercase`.
pub(super) fn automated(word: &[u8]) -> Mark {
    let has = |at: usize, marker: &[u8]| {
        word.get(at..at + marker.len())
            .is_some_and(|w| w.iter().zip(marker).all(|(&w, &m)| w | 0x20 == m))
    };
    let len = word.len();
    // A Google product token, or an AI agent's user-triggered fetcher.
    if has(0, b"google-") {
        return Mark::Strong;
    }
    let strong = |at: usize| match word[at] | 0x20 {
        // `Cubot` is a phone brand, not a crawler.
        b'b' => has(at, b"bot") && !(at >= 2 && has(at - 2, b"cu")),
        b'c' => has(at, b"crawl"),
        b's' => has(at, b"spider") || has(at, b"slurp"),
        b'h' => has(at, b"headless"),
        b'l' => has(at, b"lighthouse"),
        _ => false,
    };
    let weak = |at: usize| match word[at] | 0x20 {
        b'c' => has(at, b"check"),
        b's' => {
            // `aws-sdk-java`, `ibm-cos-sdk-java`: a cloud SDK calling an API.
            has(at, b"sdk")
                || has(at, b"scan")
                || has(at, b"scrap")
                || has(at, b"synthetic")
                || has(at, b"selenium")
                || has(at, b"survey")
        }
        // `AdsBot-Google`, `APIs-Google`: weak, as apps name their Google
        // build (`clientidbase=android-google`). `Manus-User`, an AI
        // agent's user-triggered fetcher: weak, as Android build tags end
        // the same way (`htc_runnymede-user`).
        b'-' => (at + 7 == len && has(at, b"-google")) || (at + 5 == len && has(at, b"-user")),
        b'h' => {
            has(at, b"hook")
                // A library's name (`HttpClient`, `http_get`): `http` with
                // more to the word. A bare `HTTP` is a protocol name.
                || (has(at, b"http") && len > 5)
        }
        b'm' => has(at, b"monitor"),
        b'u' => has(at, b"uptime"),
        b'f' => has(at, b"fetch") || has(at, b"favicon"),
        b'v' => has(at, b"validat") || has(at, b"verif"),
        b'a' => {
            has(at, b"archiv")
                || has(at, b"audit")
                || has(at, b"analyz")
                // `ips-agent`, `UGAResearchAgent`: glued to a name, unlike
                // `HTC Agent` or a pasted `User-Agent:` header.
                || (at > 0 && has(at, b"agent") && !(at >= 5 && has(at - 5, b"user")))
        }
        b'p' => {
            // Not a browser's `DeveloperPreview` release channel.
            (has(at, b"preview") && !(at >= 9 && has(at - 9, b"developer")))
                || has(at, b"proxy")
                || has(at, b"probe")
                || has(at, b"parser")
                || has(at, b"playwright")
                || has(at, b"puppeteer")
                || has(at, b"phantomjs")
        }
        b'r' => has(at, b"rss") || has(at, b"research"),
        b'i' => has(at, b"index"),
        b'o' => has(at, b"optimiz"),
        b'e' => has(at, b"extractor"),
        _ => false,
    };
    let mut mark = Mark::None;
    for at in 0..len {
        if strong(at) {
            return Mark::Strong;
        }
        if mark == Mark::None && weak(at) {
            mark = Mark::Weak;
        }
    }
    mark
}

/// Whether the `@` at `agent[at]` is inside an e-mail address: a name
/// before it, and a host name with a dot after it.
fn is_email(agent: &[u8], at: usize) -> bool {
    let name = at > 0 && agent[at - 1].is_ascii_alphanumeric();
    let host = agent.get(at + 1..).unwrap_or_default();
    let label = host
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
        .count();
    name && label > 0
        && host[0].is_ascii_alphabetic()
        && host.get(label) == Some(&b'.')
        && host.get(label + 1).is_some_and(u8::is_ascii_alphabetic)
}

/// Whether a word only appears in people's agents: a browser or
/// phone-platform word the main lexicon has no family for, a phone maker,
/// or a device model number (`KU450`, `GT-S5230`, `Nokia6131`: letters and
/// at least two digits in one word; crawler names rarely carry digits, and
/// their versions stand apart after a `/`). ASCII case-insensitive, and
/// read on the raw word because model words often exceed the lookup
/// buffer (`SAMSUNG-SGH-F490-VODAFONE`).
fn human(word: &[u8]) -> bool {
    const STEMS: &[&[u8]] = &[
        // Phone platforms, runtimes and carriers.
        b"midp",
        b"cldc",
        b"j2me",
        b"mmp",
        b"docomo",
        b"kddi",
        b"softbank",
        b"vodafone",
        b"j-phone",
        b"obigo",
        b"netfront",
        b"teleca",
        b"openwave",
        b"symbian",
        b"series60",
        b"s60",
        b"blackberry",
        b"cfnetwork",
        b"darwin",
        b"dalvik",
        b"tizen",
        b"kaios",
        b"webos",
        b"maemo",
        b"sailfish",
        b"roku",
        b"wince",
        b"android",
        b"iphone",
        b"ipad",
        b"ios",
        b"watchos",
        b"tvos",
        b"apple",
        // Desktop systems and text-mode browsers the main lexicon has no
        // family for.
        b"openbsd",
        b"netbsd",
        b"sunos",
        b"solaris",
        b"haiku",
        b"beos",
        b"amiga",
        b"morphos",
        b"konqueror",
        b"elinks",
        b"lynx",
        b"w3m",
        // Phone makers, as feature phones start their agents with them.
        b"nokia",
        b"samsung",
        b"lg",
        b"mot",
        b"htc",
        b"sonyericsson",
        b"sie-",
        b"alcatel",
        b"huawei",
        b"zte",
        b"lenovo",
        b"pantech",
        b"amoi",
        b"asus",
        b"sharp",
        b"sanyo",
        b"philips",
        b"sagem",
        b"panasonic",
        b"kyocera",
        b"kwc",
        b"audiovox",
        b"benq",
    ];
    // The first byte sorts out nearly every stem before a comparison.
    let first = word.first().map_or(0, u8::to_ascii_lowercase);
    let stem = |s: &&[u8]| {
        s.first() == Some(&first)
            && word
                .get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
    };
    if STEMS.iter().any(stem) || word.windows(7).any(|w| w.eq_ignore_ascii_case(b"browser")) {
        return true;
    }
    model_number(word)
}

/// Whether a word looks like a device model or an Apple build id. A model
/// starts with a letter, holds at least two digits, is at most twelve
/// bytes long, and is neither a
/// CPU architecture (`i686`, `amd64`) nor a hexadecimal hash or id
/// (`c006e452`), which crawlers and desktop agents carry. A build id is
/// digits, letters, digits (`15G1004`, `12F69`), unlike a version with a
/// suffix (`180B`, `0-RC1`).
fn model_number(word: &[u8]) -> bool {
    const ARCHES: &[&[u8]] = &[
        b"i386", b"i486", b"i586", b"i686", b"amd64", b"arm64", b"armv7l", b"armv8l", b"aarch64",
        b"ppc64", b"ppc64le", b"mips64", b"s390x",
    ];
    let Some((&first, _)) = word.split_first() else {
        return false;
    };
    let digits = word.iter().filter(|b| b.is_ascii_digit()).count();
    if first.is_ascii_digit() {
        return word.iter().all(u8::is_ascii_alphanumeric)
            && word.iter().any(u8::is_ascii_alphabetic)
            && word.last().is_some_and(u8::is_ascii_digit);
    }
    let hash = word.len() >= 7 && word.iter().all(u8::is_ascii_hexdigit);
    // Models are short; long runs of digits are ids (`v1090987875435`).
    word.len() <= 12
        && first.is_ascii_alphabetic()
        && digits >= 2
        && !hash
        && !ARCHES.iter().any(|a| word.eq_ignore_ascii_case(a))
}

#[cfg(test)]
mod tests {
    use super::super::classify;

    /// Invented agents of each shape the module doc names; the reference
    /// suites are scored in `tests/agent_bots.rs`.
    const BOTS: &[&str] = &[
        // Nothing human: product tokens only.
        "Zorblax/3.2",
        "Zorblax",
        "quux_1.4.2 ops at quux dot example",
        "Mozilla/5.0 (compatible; Quux)",
        // Job words, also inside a browser's agent.
        "Acme-Uptime/2.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0; acme-agent) Gecko/20100101 Firefox/120.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 LinkChecker by Acme",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 AcmeSynthetics/2.0",
        "acme-sdk-python/1.2 Linux/6.1",
        "AcmeHttpLib/0.9",
        "Google-Widget-Fetch",
        // Contact details.
        "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 sitepeek.io/1.0",
        "Mozilla/5.0 (compatible; Foo/1.0; ops@foo.example)",
        "Foo/1.0 (+https://foo.example/about)",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36 (compatible; Foo/1.0; +https://foo.example/about)",
        // A hash or a long id is not a device model.
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 AcmeMonitor (5f3a9c0d2b)",
        // A scripted client, and Java without a phone.
        "Java/17.0.2",
        "Acme/1.0 Java/11.0.2 (Linux)",
    ];

    const PEOPLE: &[&str] = &[
        // An app's agent that names its home page in the product list.
        "Bucket Browser 3.1 https://bucket.example",
        // J2ME phones say Java next to their profile.
        "LG-X100/V10a Obigo/Q7.3 MMS/LG-MMS-V1.0/1.2 Java/ASVM/1.1 Profile/MIDP-2.1 Configuration/CLDC-1.1",
        "Mozilla/5.0 (Java; U; en-us; acme-x2) UCBrowser8.3.0.154/69/444/UCWEB Mobile",
        // Feature phones and device models.
        "Nokia2700c/1.0",
        "SAMSUNG-SGH-X480-ORANGEFRANCE",
        "MOT-Z9/08.00 MIB/2.2.1",
        // Phone apps, even with a domain, an address or a job word.
        "weather.de/3.1 (Android 12) samsung/SM-A536B",
        "Podcasts/1.0 CFNetwork/1400 Darwin/22.0.0",
        "AcmeRSS/2.0 (iPhone; iOS 17.2; Scale/3.00)",
        "FooApp/4.1 (Android 13; me@foo.example)",
        "Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/440.0.0.0;]",
        // Browsers with words that are no marks: a protocol name, a pasted
        // header name, a release channel, a locale with `@`.
        "Acme/2.0 (Linux; Android 11; HTTP proxy-free) Mobile",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0 User-Agent",
        "Mozilla/5.0 (Windows NT 10.0; rv:121.0) Gecko/20100101 FirefoxDeveloperPreview/121.0",
        "Mozilla/5.0 (X11; Linux i686; th-TH@calendar=buddhist) Gecko/20100101 Firefox/115.0",
        "Mozilla/5.0 (X11; OpenBSD amd64) AppleWebKit/537.36 (KHTML, like Gecko) Konqueror/5.0",
        "Mozilla/5.0",
    ];

    #[test]
    fn automated_shapes_are_bots() {
        for agent in BOTS {
            let c = classify(agent.as_bytes());
            assert!(c.is_bot, "{agent}: {c:?}");
            // Crawlers claim no platform; scripted clients keep theirs.
            assert!(c.device == "other" || c.os == "Other", "{agent}: {c:?}");
        }
    }

    #[test]
    fn people_shapes_are_not() {
        for agent in PEOPLE {
            let c = classify(agent.as_bytes());
            assert!(!c.is_bot, "{agent}: {c:?}");
        }
    }

    #[test]
    fn labels_stay_coarse() {
        // Rule-found bots never get a name of their own: the label set is
        // the lexicon's families plus `Other bot`.
        assert_eq!(classify(b"Zorblax/3.2").browser, "Other bot");
        assert_eq!(classify(b"Zorblax/3.2").device, "bot");
        assert_eq!(classify(b"Java/17.0.2").browser, "Java");
        assert_eq!(classify(b"Java/17.0.2").device, "other");
        assert_eq!(classify(b"anthropic-ai").browser, "ClaudeBot");
    }
}
