//! Request targets and external referrers from a catalogue as large as asked.
//!
//! The default site has a few thousand pages; logs of shops, APIs and media
//! sites have hundreds of thousands of distinct targets, many of them long,
//! carrying ids and query strings. Each id here is rendered by a template
//! chosen by hash (articles, product pages with filters, REST calls with
//! UUIDs, resized media, searches, documentation, user pages) and every
//! template writes the id itself, so distinct ids give distinct strings.

use crate::rng::mix;
use crate::vocab::{FIRST, LAST, WORDS};
use crate::write::push_u64;

fn word(h: u64, shift: u32) -> &'static [u8] {
    WORDS[((h >> shift) % WORDS.len() as u64) as usize].as_bytes()
}

fn push_hex(buf: &mut Vec<u8>, n: u64, digits: u32) {
    for i in (0..digits).rev() {
        buf.push(b"0123456789abcdef"[((n >> (4 * i)) & 15) as usize]);
    }
}

/// Appends the path and query of target `id`.
pub(crate) fn push_target(buf: &mut Vec<u8>, id: u64, key: u64) {
    let h = mix(id ^ key ^ 0x7a79_0000_0000_0002);
    match h % 16 {
        0..4 => {
            buf.extend_from_slice(b"/news/");
            push_u64(buf, 2019 + (h >> 8) % 8);
            buf.push(b'/');
            let m = 1 + (h >> 12) % 12;
            if m < 10 {
                buf.push(b'0');
            }
            push_u64(buf, m);
            buf.push(b'/');
            for s in [16, 24, 32] {
                buf.extend_from_slice(word(h, s));
                buf.push(b'-');
            }
            push_u64(buf, id);
        }
        4..7 => {
            buf.extend_from_slice(b"/shop/");
            buf.extend_from_slice(word(h, 8));
            buf.push(b'/');
            buf.extend_from_slice(word(h, 16));
            buf.push(b'-');
            buf.extend_from_slice(word(h, 24));
            buf.extend_from_slice(b"-p");
            push_u64(buf, id);
            if (h >> 40).is_multiple_of(3) {
                buf.extend_from_slice(b"?color=");
                buf.extend_from_slice(word(h, 44));
                buf.extend_from_slice(b"&size=");
                push_u64(buf, 36 + (h >> 50) % 12);
                buf.extend_from_slice(b"&utm_source=newsletter&utm_medium=email");
            }
        }
        7..10 => {
            buf.extend_from_slice(b"/api/v2/accounts/");
            push_u64(buf, id);
            buf.extend_from_slice(b"/orders/");
            let u = mix(h);
            push_hex(buf, u >> 32, 8);
            buf.push(b'-');
            push_hex(buf, u >> 16, 4);
            buf.extend_from_slice(b"-4");
            push_hex(buf, u, 3);
            buf.push(b'-');
            push_hex(buf, 0x8000 | (h >> 8) & 0x3fff, 4);
            buf.push(b'-');
            push_hex(buf, mix(u), 12);
            if (h >> 40).is_multiple_of(2) {
                buf.extend_from_slice(b"?include=items,shipping&fields=id,total,status,created_at");
            }
        }
        10..12 => {
            buf.extend_from_slice(b"/media/");
            push_u64(buf, 2020 + (h >> 8) % 7);
            buf.push(b'/');
            push_hex(buf, mix(id), 16);
            let (w, ext): (u64, &[u8]) = match (h >> 20) % 3 {
                0 => (320, b"webp"),
                1 => (640, b"jpg"),
                _ => (1280, b"avif"),
            };
            buf.push(b'-');
            push_u64(buf, w);
            buf.push(b'x');
            push_u64(buf, w * 9 / 16);
            buf.push(b'.');
            buf.extend_from_slice(ext);
        }
        12..14 => {
            buf.extend_from_slice(b"/search?q=");
            buf.extend_from_slice(word(h, 8));
            buf.push(b'+');
            buf.extend_from_slice(word(h, 16));
            buf.extend_from_slice(b"&page=");
            push_u64(buf, 1 + (h >> 24) % 5);
            buf.extend_from_slice(b"&sid=");
            push_u64(buf, id);
        }
        14 => {
            buf.extend_from_slice(b"/docs/v");
            push_u64(buf, 1 + (h >> 8) % 4);
            buf.extend_from_slice(b"/reference/");
            buf.extend_from_slice(word(h, 16));
            buf.push(b'/');
            buf.extend_from_slice(word(h, 24));
            buf.extend_from_slice(b"-section-");
            push_u64(buf, id);
        }
        _ => {
            buf.extend_from_slice(b"/u/");
            buf.extend_from_slice(FIRST[((h >> 8) % FIRST.len() as u64) as usize].as_bytes());
            buf.push(b'.');
            buf.extend_from_slice(LAST[((h >> 16) % LAST.len() as u64) as usize].as_bytes());
            push_u64(buf, id);
            buf.extend_from_slice(b"/posts?page=");
            push_u64(buf, 1 + (h >> 24) % 9);
            buf.extend_from_slice(b"&sort=new");
        }
    }
}

const HOSTS: [&str; 8] = [
    "https://www.google.com/search?q=",
    "https://www.bing.com/search?q=",
    "https://duckduckgo.com/?q=",
    "https://www.reddit.com/r/",
    "https://news.ycombinator.com/item?id=",
    "https://forum.",
    "https://blog.",
    "https://t.me/s/",
];

/// Appends the external referrer of id `id`: searches with their query,
/// threads and posts on forums and blogs.
pub(crate) fn push_referrer(buf: &mut Vec<u8>, id: u64, key: u64) {
    let h = mix(id ^ key ^ 0x7ef0_0000_0000_0003);
    let i = ((h >> 4) % HOSTS.len() as u64) as usize;
    buf.extend_from_slice(HOSTS[i].as_bytes());
    match i {
        0..3 => {
            buf.extend_from_slice(word(h, 16));
            buf.push(b'+');
            buf.extend_from_slice(word(h, 24));
            buf.extend_from_slice(b"+");
            push_u64(buf, id);
        }
        3 => {
            buf.extend_from_slice(word(h, 16));
            buf.extend_from_slice(b"/comments/");
            push_hex(buf, id, 7);
            buf.push(b'/');
            buf.extend_from_slice(word(h, 24));
            buf.push(b'_');
            buf.extend_from_slice(word(h, 32));
            buf.push(b'/');
        }
        4 => push_u64(buf, 40_000_000 + id),
        5 | 6 => {
            buf.extend_from_slice(word(h, 16));
            buf.extend_from_slice(b".example.net/");
            buf.extend_from_slice(if i == 5 { b"t/".as_slice() } else { b"posts/" });
            buf.extend_from_slice(word(h, 24));
            buf.push(b'-');
            buf.extend_from_slice(word(h, 32));
            buf.push(b'/');
            push_u64(buf, id);
        }
        _ => {
            buf.extend_from_slice(word(h, 16));
            buf.push(b'/');
            push_u64(buf, id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_id_gets_its_own_target_and_referrer() {
        let (mut targets, mut refs) = (HashSet::new(), HashSet::new());
        let mut buf = Vec::new();
        for id in 0..50_000 {
            buf.clear();
            push_target(&mut buf, id, 1);
            assert!(buf.starts_with(b"/") && !buf.contains(&b' ') && !buf.contains(&b'"'));
            targets.insert(buf.clone());
            buf.clear();
            push_referrer(&mut buf, id, 1);
            assert!(!buf.contains(&b' ') && !buf.contains(&b'"'));
            refs.insert(buf.clone());
        }
        assert_eq!(targets.len(), 50_000);
        assert_eq!(refs.len(), 50_000);
    }
}
