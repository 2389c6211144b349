//! Throughput of User-Agent classification, the per-line hot spot of the
//! pipeline. The mix roughly follows a public site's access log: mostly
//! Chromium and Safari, a tail of other browsers, and a large share of
//! crawlers and scripted clients.
//!
//! `cargo bench --bench agent`; divan reports time per call of the benched
//! closure and items per second, where one item is one agent.

// Its own unit test is not run here, which leaves that test's import unused.
#[allow(unused_imports)]
#[path = "../tests/common/agents.rs"]
mod agents;

use std::collections::BTreeSet;

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use logveil::privacy::agent::{ClientClass, classify};

fn main() {
    divan::main();
}

const MIX: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
    "Mozilla/5.0 (compatible; SomeNewCrawler/0.3)",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "-",
];

/// The realistic mix: one iteration classifies every agent once.
#[divan::bench]
fn mix(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(MIX.len()))
        .bench(|| classify_all(black_box(MIX)));
}

/// The commonest single agent, a desktop Chrome: the full-length scan that
/// finds no crawler and so reads every word.
#[divan::bench]
fn chrome_desktop(bencher: Bencher) {
    let agent = MIX[0].as_bytes();
    bencher
        .counter(ItemsCount::new(1usize))
        .bench(|| classify(black_box(agent)));
}

/// Every distinct agent of the reference suites (`../shared/agents`, read
/// where it lies; the bench is empty where it is absent): the cost per
/// distinct agent, which is what the pipeline pays, since it classifies
/// each distinct agent once. Must stay within 2 µs.
#[divan::bench]
fn suites_distinct(bencher: Bencher) {
    let distinct = suite_agents();
    let refs: Vec<&str> = distinct.iter().map(String::as_str).collect();
    bencher
        .counter(ItemsCount::new(refs.len()))
        .bench(|| classify_all(black_box(&refs)));
}

fn suite_agents() -> BTreeSet<String> {
    let Some(dir) = agents::dir() else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    for file in [
        "uap-core/test_ua.yaml",
        "uap-core/firefox_user_agent_strings.yaml",
        "uap-core/test_os.yaml",
        "uap-core/test_device.yaml",
    ] {
        out.extend(agents::uap_cases(&dir, file).into_iter().map(|c| c.agent));
    }
    out.extend(agents::crawler_instances(&dir).into_iter().map(|(a, _)| a));
    out
}

fn classify_all(agents: &[&str]) -> usize {
    // Folding the results keeps the optimiser from discarding the calls.
    agents
        .iter()
        .map(|a| classify(a.as_bytes()))
        .filter(|c: &ClientClass| c.is_bot)
        .count()
}
