//! Browser user agents built from templates, one distinct string per id.
//!
//! Real logs hold thousands of agents because versions, devices and in-app
//! browsers multiply; a fixed table cannot sweep from a hundred to a hundred
//! thousand. Each id picks an engine/OS/device template by hash and writes a
//! version whose last two fields encode the id, so two ids never give the
//! same string (the distinct count is the asked one) while the strings keep
//! the shapes parsers and classifiers see in the wild. Firefox and desktop
//! Safari are left out: their real strings carry too few varying fields to
//! make many distinct ones without inventing a format.

use crate::rng::mix;
use crate::write::push_u64;

#[rustfmt::skip]
const ANDROID_DEVICES: &[&str] = &[
    "K", "SM-S918B", "SM-A546B", "SM-G991B", "SM-A155F", "Pixel 7", "Pixel 8 Pro", "Pixel 6a",
    "2201117TG", "23049PCD8G", "M2101K6G", "CPH2451", "CPH2609", "V2202", "moto g54 5G",
    "motorola edge 40", "RMX3771", "ASUS_AI2302", "NE2213", "TECNO KI5k", "Infinix X6833B",
];

const WINDOWS: [&str; 3] = [
    "Windows NT 10.0; Win64; x64",
    "Windows NT 10.0; WOW64",
    "Windows NT 6.1; Win64; x64",
];

const MACS: [&str; 2] = [
    "Macintosh; Intel Mac OS X 10_15_7",
    "Macintosh; Intel Mac OS X 14_7_4",
];

/// Splits an id into two version fields: a build number in a plausible
/// range and a patch number that grows with the id.
fn build_patch(id: u64) -> (u64, u64) {
    (6000 + id % 2000, id / 2000)
}

/// Appends the agent of `id`; returns whether it is a mobile browser.
pub(crate) fn push(buf: &mut Vec<u8>, id: u64, key: u64) -> bool {
    let h = mix(id ^ key ^ 0xa9e7_0000_0000_0001);
    let major = 120 + (h >> 8) % 27;
    let (build, patch) = build_patch(id);
    let chrome = |buf: &mut Vec<u8>| {
        buf.extend_from_slice(b"Chrome/");
        push_u64(buf, major);
        buf.extend_from_slice(b".0.");
        push_u64(buf, build);
        buf.push(b'.');
        push_u64(buf, patch);
    };
    let pick = |list: &[&'static str], shift: u32| -> &'static str {
        list[((h >> shift) % list.len() as u64) as usize]
    };
    match h % 100 {
        // Chrome and Edge on Windows, Chrome on macOS and Linux.
        0..45 => {
            buf.extend_from_slice(b"Mozilla/5.0 (");
            buf.extend_from_slice(
                match h % 100 {
                    0..28 => pick(&WINDOWS, 20),
                    28..40 => pick(&MACS, 20),
                    _ => "X11; Linux x86_64",
                }
                .as_bytes(),
            );
            buf.extend_from_slice(b") AppleWebKit/537.36 (KHTML, like Gecko) ");
            chrome(buf);
            buf.extend_from_slice(b" Safari/537.36");
            if (h >> 30).is_multiple_of(5) {
                buf.extend_from_slice(b" Edg/");
                push_u64(buf, major);
                buf.extend_from_slice(b".0.");
                push_u64(buf, 3000 + (h >> 40) % 500);
                buf.extend_from_slice(b".");
                push_u64(buf, (h >> 48) % 100);
            }
            false
        }
        // Chrome, Samsung Internet and WebViews on Android phones.
        45..80 => {
            buf.extend_from_slice(b"Mozilla/5.0 (Linux; Android ");
            push_u64(buf, 10 + (h >> 12) % 6);
            buf.extend_from_slice(b"; ");
            buf.extend_from_slice(pick(ANDROID_DEVICES, 24).as_bytes());
            let webview = (h >> 36).is_multiple_of(4);
            if webview {
                buf.extend_from_slice(b"; wv");
            }
            buf.extend_from_slice(b") AppleWebKit/537.36 (KHTML, like Gecko) ");
            if webview {
                buf.extend_from_slice(b"Version/4.0 ");
            } else if (h >> 40).is_multiple_of(5) {
                buf.extend_from_slice(b"SamsungBrowser/");
                push_u64(buf, 24 + (h >> 44) % 6);
                buf.extend_from_slice(b".0 ");
            }
            chrome(buf);
            buf.extend_from_slice(b" Mobile Safari/537.36");
            true
        }
        // Safari and in-app browsers on iOS: the app's build carries the id.
        _ => {
            let ipad = (h >> 16).is_multiple_of(8);
            buf.extend_from_slice(if ipad {
                b"Mozilla/5.0 (iPad; CPU OS ".as_slice()
            } else {
                b"Mozilla/5.0 (iPhone; CPU iPhone OS "
            });
            let os = 16 + (h >> 20) % 3;
            push_u64(buf, os);
            buf.push(b'_');
            push_u64(buf, (h >> 24) % 8);
            buf.extend_from_slice(b" like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ");
            match (h >> 28) % 3 {
                0 => {
                    buf.extend_from_slice(b"CriOS/");
                    push_u64(buf, major);
                    buf.extend_from_slice(b".0.");
                    push_u64(buf, build);
                    buf.push(b'.');
                    push_u64(buf, patch);
                    buf.extend_from_slice(b" Mobile/15E148 Safari/604.1");
                }
                1 => {
                    buf.extend_from_slice(b"Mobile/15E148 [FBAN/FBIOS;FBAV/");
                    push_app_version(buf, 480 + (h >> 32) % 50, build % 100, id);
                    buf.extend_from_slice(b";FBBV/");
                    push_u64(buf, 600_000_000 + (h >> 24) % 99_999_999);
                    buf.extend_from_slice(b";FBDV/iPhone16,2;FBMD/iPhone;FBSN/iOS;FBSV/");
                    push_u64(buf, os);
                    buf.extend_from_slice(b".0;FBSS/3;FBLC/en_US;FBOP/5]");
                }
                _ => {
                    buf.extend_from_slice(b"Mobile/15E148 Instagram ");
                    push_app_version(buf, 300 + (h >> 32) % 90, build % 100, id);
                    buf.extend_from_slice(b" (iPhone15,3; iOS ");
                    push_u64(buf, os);
                    buf.extend_from_slice(b"_0; en_US; en; scale=3.00; 1290x2796; 6123456)");
                }
            }
            !ipad
        }
    }
}

/// An in-app agent's version, `major.0.0.build.id`, as Facebook's and
/// Instagram's iOS apps write theirs.
fn push_app_version(buf: &mut Vec<u8>, major: u64, build: u64, id: u64) {
    push_u64(buf, major);
    buf.extend_from_slice(b".0.0.");
    push_u64(buf, build);
    buf.push(b'.');
    push_u64(buf, id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_id_gets_its_own_agent() {
        let mut set = HashSet::new();
        let mut buf = Vec::new();
        for id in 0..50_000 {
            buf.clear();
            push(&mut buf, id, 7);
            assert!(buf.starts_with(b"Mozilla/5.0 ("));
            assert!(!buf.contains(&b'"'));
            set.insert(buf.clone());
        }
        assert_eq!(set.len(), 50_000);
    }
}
