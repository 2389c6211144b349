//! The major version of an agent's browser, as the agent states it.
//!
//! [`ClientClass`] holds no version on purpose (see the module above); this
//! is the one number a published table may add beside the family, under
//! the same k-anonymity as every other row. It is read only for the family
//! the classifier already chose, from that family's own product token
//! (`Chrome/120` → 120, `Version/17` for Safari, `MSIE 10.0` or `rv:11`
//! for Internet Explorer), so the number always belongs to the label next
//! to it: a Brave agent's `Chrome/…` is never read as Brave's version.
//!
//! Tokens are searched case-insensitively, only at a word start (so `Edg`
//! does not match inside `Edge`'s neighbours, nor `Chrome` inside
//! `HeadlessChrome`), in the order listed for the family: the first token
//! present decides. No allocation, no panics, time linear in the agent per
//! token tried (a family has at most four).

use super::ClientClass;

/// The major version of `class`'s browser family as `agent` states it.
///
/// `None` for bots and scripted clients, for `Other`, `In-app` and the
/// `(none)` class, and when the family's token is absent or carries no
/// number that fits a `u16`. `agent` is the raw header, as given to
/// [`classify`](super::classify).
pub fn browser_major(agent: &[u8], class: &ClientClass) -> Option<u16> {
    if class.is_bot {
        return None;
    }
    tokens(class.browser)?
        .iter()
        .find_map(|token| number_after(agent, token))
}

/// The product tokens that carry a family's version, in the order tried.
fn tokens(browser: &str) -> Option<&'static [&'static [u8]]> {
    Some(match browser {
        "Chrome" => &[b"chrome", b"crios", b"chromium"],
        "Firefox" => &[b"firefox", b"fxios"],
        // Safari states its own version in `Version/`; `Safari/605.1.15` is
        // the WebKit build.
        "Safari" => &[b"version"],
        "Edge" => &[b"edg", b"edge", b"edga", b"edgios"],
        // Opera 15+ says `OPR/` (GX `OPX/`, Touch `OPT/`); Presto-era Opera
        // says `Opera/9.80` and its real version in `Version/`.
        "Opera" => &[
            b"opr",
            b"opios",
            b"opx",
            b"opt",
            b"coast",
            b"opera mini",
            b"version",
            b"opera",
        ],
        "Samsung Internet" => &[b"samsungbrowser"],
        "Yandex" => &[b"yabrowser", b"yasearchbrowser"],
        "UC Browser" => &[
            b"ucbrowser",
            b"ucweb",
            b"ucmobile",
            b"ubrowser",
            b"uc browser",
        ],
        // IE 11 dropped `MSIE` for `Trident/7.0; rv:11.0`.
        "Internet Explorer" => &[b"msie", b"rv"],
        "Brave" => &[b"brave"],
        "Vivaldi" => &[b"vivaldi"],
        "SeaMonkey" => &[b"seamonkey"],
        "Silk" => &[b"silk"],
        _ => return None,
    })
}

/// The number after the first word-initial occurrence of `token` in
/// `agent` that is followed by at most one separator (`/`, space, `:`)
/// and a digit.
fn number_after(agent: &[u8], token: &[u8]) -> Option<u16> {
    let n = token.len();
    (0..agent.len().saturating_sub(n - 1)).find_map(|at| {
        let starts_word = at == 0 || !agent[at - 1].is_ascii_alphanumeric();
        let matches = agent[at..at + n].eq_ignore_ascii_case(token);
        if !(starts_word && matches) {
            return None;
        }
        let mut rest = &agent[at + n..];
        if let [b'/' | b' ' | b':', tail @ ..] = rest {
            rest = tail;
        }
        parse_major(rest)
    })
}

/// The leading decimal number of `digits`, if there is one and it fits.
fn parse_major(digits: &[u8]) -> Option<u16> {
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 || len > 5 {
        return None;
    }
    digits[..len].iter().try_fold(0u16, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u16::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use super::*;

    fn major(agent: &str) -> Option<u16> {
        browser_major(agent.as_bytes(), &classify(agent.as_bytes()))
    }

    #[test]
    fn each_family_reads_its_own_token() {
        for (agent, want) in [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                Some(120),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
                Some(124),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
                Some(125),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/126.0 Mobile/15E148 Safari/605.1.15",
                Some(126),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
                Some(17),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
                Some(124),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
                Some(110),
            ),
            (
                "Opera/9.80 (Windows NT 6.1; U; en) Presto/2.10.289 Version/12.02",
                Some(12),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
                Some(24),
            ),
            (
                "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)",
                Some(10),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
                Some(11),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Vivaldi/6.5",
                Some(6),
            ),
        ] {
            assert_eq!(major(agent), want, "{agent}");
        }
    }

    #[test]
    fn no_version_where_there_is_no_browser() {
        for agent in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "curl/8.5.0",
            "-",
            "something",
            "Weather/2.4 CFNetwork/1490.0.4 Darwin/23.2.0",
            // Safari without `Version/` states no version of its own.
            "Mozilla/5.0 (iPhone; CPU iPhone OS 6_0 like Mac OS X) AppleWebKit/536.26 (KHTML, like Gecko) Mobile/10A403 Safari/8536.25",
        ] {
            assert_eq!(major(agent), None, "{agent}");
        }
    }

    #[test]
    fn unparsable_numbers_give_none() {
        let chrome = classify(b"Chrome/1 Safari/1");
        assert_eq!(chrome.browser, "Chrome");
        for agent in [
            &b"Chrome/"[..],
            b"Chrome/x",
            b"Chrome/99999999",
            b"Chrome/70000",
            b"Chrome",
            b"HeadlessChrome/120",
            b"\xffChrome\xff",
            b"",
        ] {
            assert_eq!(browser_major(agent, &chrome), None, "{agent:?}");
        }
        assert_eq!(browser_major(b"chrome/65535", &chrome), Some(65535));
    }
}
