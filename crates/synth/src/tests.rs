//! Whole-output tests: determinism, exact counts, edge configs, and the shape
//! of a run (timing, clients, statuses, referrers) checked through a strict
//! hand-written Combined parser that shares no code with the generator.

use super::*;
use crate::clock::MONTHS;
use std::collections::HashSet;

fn run(cfg: &GenConfig) -> (Vec<u8>, GenStats) {
    let mut out = Vec::new();
    let stats = generate(cfg, &mut out).expect("writing to a Vec cannot fail");
    (out, stats)
}

fn lines(out: &[u8]) -> impl Iterator<Item = &[u8]> {
    out.split(|&b| b == b'\n')
        .take(out.iter().filter(|&&b| b == b'\n').count())
}

struct Parsed<'a> {
    ip: &'a [u8],
    t: i64,
    path: &'a [u8],
    status: u16,
    referer: &'a [u8],
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// A strict hand-split of `%h %l %u [%t] "%r" %>s %b "%{Referer}i" "%{User-agent}i"`.
fn parse(line: &[u8]) -> Option<Parsed<'_>> {
    let sp = line.iter().position(|&b| b == b' ')?;
    let ip = &line[..sp];
    let addr: std::net::IpAddr = std::str::from_utf8(ip).ok()?.parse().ok()?;
    if addr.to_string().as_bytes() != ip {
        return None;
    }
    let rest = line[sp..].strip_prefix(b" - ")?;
    let sp = rest.iter().position(|&b| b == b' ')?;
    if sp == 0 {
        return None;
    }
    let rest = rest[sp..].strip_prefix(b" [")?;
    if rest.len() < 27 || rest[26] != b']' {
        return None;
    }
    let d = &rest[..26];
    if d[2] != b'/'
        || d[6] != b'/'
        || d[11] != b':'
        || d[14] != b':'
        || d[17] != b':'
        || &d[20..] != b" +0000"
    {
        return None;
    }
    let day = num(&d[..2])?;
    let month = MONTHS.iter().position(|m| &d[3..6] == m.as_slice())? as i64 + 1;
    let year = num(&d[7..11])?;
    let (h, mi, s) = (num(&d[12..14])?, num(&d[15..17])?, num(&d[18..20])?);
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let t = days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + s;
    let rest = rest[27..].strip_prefix(b" \"")?;
    let q = rest.iter().position(|&b| b == b'"')?;
    let mut parts = rest[..q].split(|&b| b == b' ');
    let method = parts.next()?;
    let path = parts.next()?;
    let proto = parts.next()?;
    if parts.next().is_some()
        || !matches!(method, b"GET" | b"POST" | b"HEAD")
        || !path.starts_with(b"/")
        || !matches!(proto, b"HTTP/1.0" | b"HTTP/1.1" | b"HTTP/2.0")
    {
        return None;
    }
    let rest = rest[q..].strip_prefix(b"\" ")?;
    let status = num(rest.get(..3)?)? as u16;
    if !(100..600).contains(&status) {
        return None;
    }
    let rest = rest[3..].strip_prefix(b" ")?;
    let sp = rest.iter().position(|&b| b == b' ')?;
    let bytes = &rest[..sp];
    if bytes != b"-" && num(bytes).is_none() {
        return None;
    }
    if status == 304 && bytes != b"-" {
        return None;
    }
    let rest = rest[sp..].strip_prefix(b" \"")?;
    let q = rest.iter().position(|&b| b == b'"')?;
    let referer = &rest[..q];
    let ua = rest[q..].strip_prefix(b"\" \"")?.strip_suffix(b"\"")?;
    if ua.is_empty() || ua.contains(&b'"') || referer.is_empty() {
        return None;
    }
    Some(Parsed {
        ip,
        t,
        path,
        status,
        referer,
    })
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = run(&GenConfig::new(20_000, 7));
    let b = run(&GenConfig::new(20_000, 7));
    let c = run(&GenConfig::new(20_000, 8));
    assert_eq!(a, b);
    assert_ne!(a.0, c.0);
}

#[test]
fn counts_are_exact_and_every_other_line_is_combined() {
    for (n, ratio) in [(50_000, 0.01), (10_000, 0.001), (1_234, 0.5), (3, 0.0)] {
        let cfg = GenConfig {
            malformed_ratio: ratio,
            ..GenConfig::new(n, 11)
        };
        let (out, stats) = run(&cfg);
        assert_eq!(stats.lines, n);
        assert_eq!(stats.bytes, out.len() as u64);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count() as u64, n);
        assert_eq!(out.last(), Some(&b'\n'));
        assert_eq!(stats.malformed, (n as f64 * ratio).round() as u64);
        let rejected = lines(&out).filter(|l| parse(l).is_none()).count() as u64;
        assert_eq!(rejected, stats.malformed, "ratio {ratio}");
    }
}

#[test]
fn edge_configs() {
    let (out, stats) = run(&GenConfig::new(0, 1));
    assert!(out.is_empty());
    assert_eq!(stats, GenStats::default());

    let all_bad = GenConfig {
        malformed_ratio: 1.0,
        ..GenConfig::new(500, 2)
    };
    let (out, stats) = run(&all_bad);
    assert_eq!(stats.malformed, 500);
    assert!(lines(&out).all(|l| parse(l).is_none()));

    let weird = GenConfig {
        days: 0,
        malformed_ratio: f64::NAN,
        start: -86_400 * 365 * 3000,
        ..GenConfig::new(2_000, 3)
    };
    let (out, stats) = run(&weird);
    assert_eq!((stats.lines, stats.malformed), (2_000, 0));
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 2_000);

    let long = GenConfig {
        days: u32::MAX,
        ..GenConfig::new(1_000, 4)
    };
    assert_eq!(run(&long).1.lines, 1_000);
}

#[test]
fn realistic_shape() {
    let cfg = GenConfig::new(100_000, 42);
    let (out, stats) = run(&cfg);
    let avg = stats.bytes as f64 / stats.lines as f64;
    assert!((180.0..=280.0).contains(&avg), "average line length {avg}");

    let parsed: Vec<Parsed> = lines(&out).filter_map(parse).collect();
    let n = parsed.len() as f64;
    assert_eq!(parsed.len() as u64, stats.lines - stats.malformed);

    let end = cfg.start + i64::from(cfg.days) * 86_400;
    let mut last = cfg.start;
    for p in &parsed {
        assert!(p.t >= last && p.t < end, "time went from {last} to {}", p.t);
        last = p.t;
    }
    let shared = parsed.windows(2).filter(|w| w[0].t == w[1].t).count() as f64;
    assert!(
        shared / n > 0.3,
        "lines sharing a second with the previous: {}",
        shared / n
    );

    // Busy afternoons, quiet nights.
    let hour = |p: &Parsed| (p.t - cfg.start).rem_euclid(86_400) / 3600;
    let afternoon = parsed
        .iter()
        .filter(|p| (13..17).contains(&hour(p)))
        .count() as f64;
    let night = parsed.iter().filter(|p| (1..5).contains(&hour(p))).count() as f64;
    assert!(
        afternoon > 4.0 * night,
        "afternoon {afternoon} vs night {night}"
    );

    let clients: HashSet<&[u8]> = parsed.iter().map(|p| p.ip).collect();
    assert!(
        (1_500..=5_000).contains(&clients.len()),
        "{} distinct clients",
        clients.len()
    );
    let v6 = clients.iter().filter(|ip| ip.contains(&b':')).count() as f64;
    let v6_share = v6 / clients.len() as f64;
    assert!((0.05..0.15).contains(&v6_share), "IPv6 share {v6_share}");

    let same = parsed.windows(2).filter(|w| w[0].ip == w[1].ip).count() as f64;
    assert!(
        same / n > 0.4,
        "same client as the previous line: {}",
        same / n
    );

    let share = |f: &dyn Fn(&Parsed) -> bool| parsed.iter().filter(|p| f(p)).count() as f64 / n;
    let ok = share(&|p| p.status == 200);
    assert!((0.8..0.9).contains(&ok), "200 share {ok}");
    for status in [301, 302, 304, 403, 404, 500, 503] {
        assert!(share(&|p| p.status == status) > 0.0, "no {status}");
    }
    let no_ref = share(&|p| p.referer == b"-");
    assert!((0.3..0.5).contains(&no_ref), "no-referrer share {no_ref}");
    let queries = share(&|p| p.path.contains(&b'?'));
    assert!((0.03..0.08).contains(&queries), "query share {queries}");
}
