//! Number, address and token formatting without `format!`.
//!
//! Every line goes through these, so they write straight into the reused
//! output buffer instead of allocating a `String` per field; the price is a
//! few hand-written digit loops, checked against std's text by the tests.

use crate::rng::Rng;

pub(crate) fn push_u64(b: &mut Vec<u8>, n: u64) {
    push_padded(b, n, 1);
}

pub(crate) fn push_padded(b: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in (tmp.len() - i)..width {
        b.push(b'0');
    }
    b.extend_from_slice(&tmp[i..]);
}

pub(crate) fn push2(b: &mut Vec<u8>, n: u32) {
    b.push(b'0' + (n / 10 % 10) as u8);
    b.push(b'0' + (n % 10) as u8);
}

/// `HH:MM:SS` of a second of the day, as access and error logs write it.
pub(crate) fn push_clock(b: &mut Vec<u8>, second_of_day: u32) {
    push2(b, second_of_day / 3600);
    b.push(b':');
    push2(b, second_of_day / 60 % 60);
    b.push(b':');
    push2(b, second_of_day % 60);
}

fn push_hex(b: &mut Vec<u8>, n: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let d = (n >> shift) & 0xf;
        if d != 0 || started || shift == 0 {
            started = true;
            b.push(HEX[d as usize]);
        }
    }
}

pub(crate) fn push_ipv4(b: &mut Vec<u8>, o: [u8; 4]) {
    for (i, x) in o.into_iter().enumerate() {
        if i > 0 {
            b.push(b'.');
        }
        push_u64(b, u64::from(x));
    }
}

/// RFC 5952 text: lowercase, no leading zeros, the longest run (leftmost on
/// a tie) of two or more zero groups written as `::`.
pub(crate) fn push_ipv6(b: &mut Vec<u8>, g: [u16; 8]) {
    let (mut best, mut best_len) = (8, 0);
    let mut i = 0;
    while i < 8 {
        if g[i] == 0 {
            let s = i;
            while i < 8 && g[i] == 0 {
                i += 1;
            }
            if i - s > best_len {
                (best, best_len) = (s, i - s);
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        (best, best_len) = (8, 0);
    }
    let mut i = 0;
    while i < 8 {
        if i == best {
            b.extend_from_slice(b"::");
            i += best_len;
            continue;
        }
        if i > 0 && i != best + best_len {
            b.push(b':');
        }
        push_hex(b, g[i]);
        i += 1;
    }
}

/// URL-safe token such as the click ids ad platforms append.
pub(crate) fn push_token(b: &mut Vec<u8>, seed: u64, len: usize) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut r = Rng::new(seed);
    let mut bits = 0u64;
    for i in 0..len {
        if i % 10 == 0 {
            bits = r.next_u64();
        }
        b.push(ALPHABET[(bits & 63) as usize]);
        bits >>= 6;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::session::ipv6;

    #[test]
    fn ipv6_text_is_canonical() {
        let mut rng = Rng::new(9);
        for i in 0..20_000 {
            let mut g = ipv6(&mut rng);
            // Force zero runs of every shape.
            for (k, x) in g.iter_mut().enumerate() {
                if (i >> k) & 1 == 1 && k > 0 {
                    *x = 0;
                }
            }
            let mut b = Vec::new();
            push_ipv6(&mut b, g);
            let std = std::net::Ipv6Addr::from(g).to_string();
            assert_eq!(std::str::from_utf8(&b), Ok(std.as_str()));
        }
    }
}
