//! Browser, OS and device labels of the agent classifier, scored on
//! uap-core's public test suites (`../shared/agents/uap-core`, read where
//! they lie; the tests skip when the folder is absent).
//!
//! uap-core's families are finer than logveil's labels, so each suite is
//! scored through an explicit table below that maps a reference family to
//! the logveil labels that count as right. Families the table does not map
//! (a browser logveil has no word for, a device model that names no class)
//! are not scored but counted and printed, so a gap in the vocabulary shows
//! instead of hiding in a guess. Bots are scored by `tests/agent_bots.rs`.
//!
//! Set `AGENT_LABELS_MISSES=1` to print every scored agent that misses.

mod common;

use std::collections::BTreeMap;

use common::agents::{Case, dir, uap_cases};
use logveil::privacy::agent::{ClientClass, browser_major, classify};

/// The logveil browser labels a uap-core browser family counts as.
fn browser_label(family: &str) -> Option<&'static [&'static str]> {
    Some(match family {
        "Firefox"
        | "Firefox Beta"
        | "Firefox iOS"
        | "Firefox Mobile"
        | "Firefox Alpha"
        | "Firefox (Shiretoko)"
        | "Firefox (Minefield)"
        | "Firefox (Namoroka)"
        | "Firefox (BonEcho)"
        | "Firefox (GranParadiso)" => &["Firefox"],
        "Chrome" | "Chrome Mobile" | "Chrome Mobile iOS" | "Chromium" => &["Chrome"],
        "Safari" | "Mobile Safari" => &["Safari"],
        "IE" | "IE Mobile" => &["Internet Explorer"],
        "Edge" | "Edge Mobile" => &["Edge"],
        "Opera" | "Opera Mini" | "Opera Mobile" | "Opera Tablet" | "Opera GX" | "Opera Touch"
        | "Opera Neon" | "Opera Coast" => &["Opera"],
        "UC Browser" => &["UC Browser"],
        "Yandex Browser" => &["Yandex"],
        "Samsung Internet" => &["Samsung Internet"],
        "Brave" => &["Brave"],
        "Vivaldi" => &["Vivaldi"],
        "SeaMonkey" => &["SeaMonkey"],
        "Amazon Silk" => &["Silk"],
        // In-app browsers: a web view inside a social or messaging app.
        "Facebook"
        | "Facebook Messenger"
        | "Instagram"
        | "WeChat Browser"
        | "Pinterest"
        | "Twitter"
        | "TikTok"
        | "Snapchat"
        | "LINE"
        | "Mobile Safari UI/WKWebView"
        | "Chrome Mobile WebView" => &["In-app"],
        _ => return None,
    })
}

/// The logveil OS labels a uap-core OS family counts as.
fn os_label(family: &str) -> Option<&'static [&'static str]> {
    Some(match family {
        // uap-core calls iPadOS iOS too.
        "iOS" => &["iOS", "iPadOS"],
        "Mac OS X" | "Mac OS" => &["macOS"],
        "Windows" => &["Windows"],
        "Windows Phone" | "Windows Mobile" => &["Windows Phone"],
        "Android" => &["Android"],
        "Linux" | "Ubuntu" | "Debian" | "Gentoo" | "Red Hat" | "Mandriva" | "Fedora" => &["Linux"],
        "Chrome OS" => &["ChromeOS"],
        "FreeBSD" => &["FreeBSD"],
        "OpenBSD" | "NetBSD" => &["BSD"],
        "KaiOS" => &["KaiOS"],
        "BlackBerry OS" | "BlackBerry Tablet OS" => &["BlackBerry"],
        "Symbian OS" | "Symbian^3" | "Symbian^3 Anna" | "Symbian^3 Belle" => &["Symbian"],
        "Tizen" => &["Tizen"],
        "webOS" | "Web0S" => &["webOS"],
        "tvOS" | "ATV OS X" => &["tvOS"],
        "WatchOS" => &["watchOS"],
        "HarmonyOS" => &["HarmonyOS"],
        _ => return None,
    })
}

/// The logveil device class a uap-core device family names, if it names one.
/// Most families are device models (`HTC One X`), which name no class;
/// these are the ones that do, by their name or by a maker's naming scheme.
fn device_label(family: &str) -> Option<&'static str> {
    let starts = |p: &str| family.starts_with(p);
    Some(match family {
        "Spider" => "bot",
        "iPhone" | "iPod" | "Generic Smartphone" | "Generic Feature Phone" => "mobile",
        "iPad" | "Generic Tablet" => "tablet",
        "Mac" => "desktop",
        // TVs, set-top boxes and consoles.
        "HbbTV" | "NetCast.TV" | "NetCast.Media" | "Inettv" | "Generic Inettv" | "Chromecast"
        | "Roku" | "AppleTV" | "WebTV" => "other",
        _ if starts("PlayStation") || starts("Nintendo") || starts("Xbox") => "other",
        _ if starts("Lumia") || starts("Nokia Lumia") => "mobile",
        // BlackBerry's phones; the PlayBook is its tablet.
        _ if starts("BlackBerry") && !family.contains("Playbook") => "mobile",
        _ if starts("Kindle") => "tablet",
        _ if family.ends_with("MI PAD") => "tablet",
        // Samsung's tablet model series (Galaxy Tab and Note tablets).
        _ if starts("Samsung SM-T") || starts("Samsung SM-P") || starts("Samsung GT-P") => "tablet",
        _ => return None,
    })
}

/// One suite's score: scored agents, right ones, and the unmapped families.
#[derive(Default)]
struct Score {
    scored: usize,
    right: usize,
    unmapped: BTreeMap<String, usize>,
}

impl Score {
    fn percent(&self) -> f64 {
        100.0 * self.right as f64 / self.scored.max(1) as f64
    }

    fn report(&self, name: &str) {
        let unmapped: usize = self.unmapped.values().sum();
        println!(
            "{name:<8} {:>5} scored {:>6.1}%  ({} agents in {} unmapped families)",
            self.scored,
            self.percent(),
            unmapped,
            self.unmapped.len()
        );
    }

    fn print_unmapped(&self, name: &str) {
        let mut by_count: Vec<_> = self.unmapped.iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = by_count
            .iter()
            .take(60)
            .map(|(f, n)| format!("{f} ({n})"))
            .collect();
        println!("{name} families not mapped (top 60): {}", list.join(", "));
    }
}

/// Scores `cases` with `expected` (the accepted labels of a reference
/// family) against `got` (the label logveil gives).
fn score(
    cases: &[Case],
    name: &str,
    expected: impl Fn(&str) -> Option<Vec<&'static str>>,
    got: impl Fn(&ClientClass) -> &'static str,
) -> Score {
    let verbose = std::env::var_os("AGENT_LABELS_MISSES").is_some();
    let mut s = Score::default();
    for case in cases {
        let family = case.family();
        let Some(want) = expected(family) else {
            *s.unmapped.entry(family.to_string()).or_default() += 1;
            continue;
        };
        s.scored += 1;
        let class = classify(case.agent.as_bytes());
        if want.contains(&got(&class)) {
            s.right += 1;
        } else if verbose {
            println!(
                "MISS {name}: want {want:?} got {:?} ({family}) {}",
                got(&class),
                case.agent
            );
        }
    }
    s
}

fn browser_cases(dir: &std::path::Path) -> Vec<Case> {
    let mut cases = uap_cases(dir, "uap-core/test_ua.yaml");
    cases.extend(uap_cases(dir, "uap-core/firefox_user_agent_strings.yaml"));
    cases
}

#[test]
fn labels_score_on_the_uap_core_suites() {
    let Some(dir) = dir() else {
        println!("SKIPPED: ../shared/agents is absent");
        return;
    };
    let browser = score(
        &browser_cases(&dir),
        "browser",
        |f| browser_label(f).map(<[_]>::to_vec),
        |c| c.browser,
    );
    let os = score(
        &uap_cases(&dir, "uap-core/test_os.yaml"),
        "os",
        |f| os_label(f).map(<[_]>::to_vec),
        |c| c.os,
    );
    let device = score(
        &uap_cases(&dir, "uap-core/test_device.yaml"),
        "device",
        |f| device_label(f).map(|d| vec![d]),
        |c| c.device,
    );
    println!("label    agents  right");
    browser.report("browser");
    os.report("os");
    device.report("device");
    browser.print_unmapped("browser");
    os.print_unmapped("os");
    device.print_unmapped("device");
    assert!(browser.scored >= 300 && os.scored >= 300 && device.scored >= 500);
    assert!(
        browser.percent() >= 97.0,
        "browser {:.1}%",
        browser.percent()
    );
    assert!(os.percent() >= 97.0, "os {:.1}%", os.percent());
    assert!(device.percent() >= 93.0, "device {:.1}%", device.percent());
}

#[test]
fn browser_major_agrees_with_uap_core() {
    let Some(dir) = dir() else {
        println!("SKIPPED: ../shared/agents is absent");
        return;
    };
    let verbose = std::env::var_os("AGENT_LABELS_MISSES").is_some();
    let (mut scored, mut right) = (0usize, 0usize);
    for case in browser_cases(&dir) {
        let (Some(want), Some(labels)) = (case.fields.get("major"), browser_label(case.family()))
        else {
            continue;
        };
        let class = classify(case.agent.as_bytes());
        // Only where the family was recognised (a version of the wrong
        // browser is a label miss, scored above) and has a version of its
        // own (an in-app web view's is the app's, which is not published).
        if !labels.contains(&class.browser) || class.browser == "In-app" {
            continue;
        }
        scored += 1;
        let got = browser_major(case.agent.as_bytes(), &class);
        if got.map(|m| m.to_string()).as_deref() == Some(want.as_str()) {
            right += 1;
        } else if verbose {
            println!("MISS major: want {want} got {got:?} {}", case.agent);
        }
    }
    let percent = 100.0 * right as f64 / scored.max(1) as f64;
    println!("major    {scored:>5} scored {percent:>6.1}%");
    assert!(scored >= 250, "{scored}");
    assert!(percent >= 95.0, "major {percent:.1}%");
}
