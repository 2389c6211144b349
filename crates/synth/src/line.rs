//! The generator state and the text of one line, well-formed or malformed.
//!
//! [`Gen`] interleaves a few open sessions (mostly continuing the one it
//! wrote last, so consecutive lines usually share a client) and writes each
//! request as a Combined line into one reused buffer. A malformed line is
//! cut out of a well-formed one using the field positions recorded while
//! writing it, so broken lines look like real breakage (truncation, missing
//! fields, bad dates) rather than random bytes — except the deliberate
//! garbage lines (a TLS handshake, an error-log line, printable noise).

use crate::clock::{DateCache, MONTHS, civil_from_days};
use crate::rng::{Rng, Zipf, mix};
use crate::session::{Method, Query, Ref, Req, Session, Target};
use crate::site::Site;
use crate::vocab::{PROBES, REFERRERS, UTM, WORDS};
use crate::wide::{self, Wide};
use crate::write::{push_clock, push_padded, push_token, push_u64, push2};
use crate::{FLUSH_AT, GenConfig};

/// Origin used in internal referrers.
const SITE: &[u8] = b"https://www.example.org";
/// Sessions open at the same time; lines interleave between them.
const SLOTS: usize = 4;
/// Chance that the next line continues the session that wrote the last one.
const STAY: f64 = 0.72;

/// Where the fields of the line just written sit in the buffer, so that a
/// malformed variant can be cut out of a well-formed line.
pub(crate) struct Fields {
    start: usize,
    date_open: usize,
    date_close: usize,
    req_open: usize,
    req_close: usize,
    bytes_end: usize,
    ua_open: usize,
    ua_close: usize,
}

pub(crate) struct Gen {
    site: Site,
    pub(crate) rng: Rng,
    key: u64,
    clients: Zipf,
    slots: Vec<Session>,
    cur: usize,
    date: DateCache,
    pub(crate) buf: Vec<u8>,
    pub(crate) wide: Wide,
}

impl Gen {
    pub(crate) fn new(cfg: &GenConfig) -> Self {
        let population = (cfg.lines / 20).clamp(1_000, 2_000_000);
        Self {
            site: Site::new(cfg.seed),
            rng: Rng::new(mix(cfg.seed ^ 0x6c0e_7e11_0000_0002)),
            key: mix(cfg.seed ^ 0xc11e_0000_0000_0003),
            clients: Zipf::new(population, 0.9),
            slots: (0..SLOTS).map(|_| Session::new()).collect(),
            cur: 0,
            date: DateCache::new(),
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            wide: Wide::new(cfg, mix(cfg.seed ^ 0x01de_0000_0000_0004)),
        }
    }

    /// Next request of one of the open sessions, opening a new one when a
    /// session runs out.
    fn next_request(&mut self) -> Req {
        if !self.rng.chance(STAY) {
            self.cur = self.rng.index(SLOTS);
        }
        let s = &mut self.slots[self.cur];
        if self.wide.clients_behind(SLOTS as u64) {
            s.active = false;
        }
        loop {
            if !s.active {
                let id = match &mut self.wide.clients {
                    Some(f) => f.draw(&mut self.rng, self.wide.frac),
                    None => self.clients.sample(&mut self.rng),
                };
                s.start(id, self.key, &self.site, &mut self.rng, &mut self.wide);
            }
            if let Some(r) = s.next(&self.site, &mut self.rng) {
                return r;
            }
            s.active = false;
        }
    }

    /// Appends one well-formed line (without its newline) at second `t`, or
    /// with a broken date when `bad_date` is set.
    pub(crate) fn line(&mut self, t: i64, bad_date: Option<u64>) -> Fields {
        let req = self.next_request();
        let Self {
            site,
            rng,
            slots,
            cur,
            date,
            buf,
            wide,
            ..
        } = self;
        let s = &mut slots[*cur];
        let start = buf.len();
        buf.extend_from_slice(&s.ip);
        buf.extend_from_slice(b" - ");
        buf.extend_from_slice(s.user.unwrap_or("-").as_bytes());
        buf.extend_from_slice(b" [");
        let date_open = buf.len() - 1;
        match bad_date {
            None => buf.extend_from_slice(date.get(t)),
            Some(v) => push_bad_date(buf, date.get(t), v, rng),
        }
        let date_close = buf.len();
        buf.extend_from_slice(b"] \"");
        let req_open = buf.len() - 1;
        buf.extend_from_slice(match req.method {
            Method::Get => b"GET ",
            Method::Post => b"POST ",
            Method::Head => b"HEAD ",
        });
        let path_start = buf.len();
        let size = push_target(buf, site, req.target);
        push_query(buf, req.query);
        // Behind schedule, even site-wide assets give way to catalogue
        // targets: near one distinct target per line is reachable.
        if let Some(f) = &mut wide.targets
            && (is_page_like(site, req.target) || f.seen() < f.due(wide.frac))
        {
            buf.truncate(path_start);
            let id = f.draw(rng, wide.frac);
            wide::paths::push_target(buf, id, wide.key);
        }
        let path_end = buf.len();
        buf.push(b' ');
        buf.extend_from_slice(s.proto);
        let req_close = buf.len();
        buf.extend_from_slice(b"\" ");

        let status = if req.status != 0 {
            req.status
        } else {
            natural_status(req.target, rng)
        };
        push_u64(buf, u64::from(status));
        buf.push(b' ');
        // `%b` logs "-" when no body was sent.
        let body = match status {
            _ if req.method == Method::Head => 0,
            200 => match req.target {
                // Dynamic responses vary a little from one request to the next.
                Target::Page(_) | Target::Search | Target::ApiList => {
                    size + rng.below(size / 16 + 1)
                }
                _ => size,
            },
            301 | 302 => 228 + (path_end - path_start) as u64,
            403 => 199 + (path_end - path_start) as u64,
            404 if matches!(req.target, Target::ApiItem(_)) => 37,
            404 => u64::from(site.size_404),
            500 => 531,
            503 => 299,
            _ => 0,
        };
        if body == 0 {
            buf.push(b'-');
        } else {
            push_u64(buf, body);
        }
        let bytes_end = buf.len();

        buf.extend_from_slice(b" \"");
        match req.referer {
            Ref::Current if !s.cur_url.is_empty() => {
                buf.extend_from_slice(SITE);
                buf.extend_from_slice(&s.cur_url);
            }
            Ref::Css => {
                buf.extend_from_slice(SITE);
                buf.extend_from_slice(site.statics[site.css as usize].path.as_bytes());
            }
            Ref::Ext(i) => buf.extend_from_slice(REFERRERS[usize::from(i)].2.as_bytes()),
            Ref::Wide(id) => wide::paths::push_referrer(buf, id, wide.key),
            Ref::None | Ref::Current => buf.push(b'-'),
        }
        buf.extend_from_slice(b"\" \"");
        let ua_open = buf.len() - 1;
        if s.ua_own.is_empty() {
            buf.extend_from_slice(s.ua.as_bytes());
        } else {
            buf.extend_from_slice(&s.ua_own);
        }
        let ua_close = buf.len();
        buf.push(b'"');

        if matches!(req.target, Target::Page(_) | Target::Search) {
            s.cur_url.clear();
            s.cur_url.extend_from_slice(&buf[path_start..path_end]);
        }
        Fields {
            start,
            date_open,
            date_close,
            req_open,
            req_close,
            bytes_end,
            ua_open,
            ua_close,
        }
    }

    /// Appends one line that a strict Combined parser must reject.
    pub(crate) fn malformed_line(&mut self, t: i64) {
        match self.rng.below(4) {
            // Truncated mid-field, as when a writer dies or a disk fills up.
            0 => {
                let f = self.line(t, None);
                let (open, close) = match self.rng.below(3) {
                    0 => (f.date_open, f.date_close),
                    1 => (f.req_open, f.req_close),
                    _ => (f.ua_open, f.ua_close),
                };
                let cut = open + 1 + self.rng.index(close - open);
                self.buf.truncate(cut.min(close));
            }
            1 => self.garbage_line(t),
            2 => {
                let v = self.rng.next_u64();
                self.line(t, Some(v));
            }
            // A field missing, as from a misconfigured LogFormat.
            _ => {
                let f = self.line(t, None);
                let range = match self.rng.below(3) {
                    0 => f.date_open - 1..f.date_close + 1,
                    1 => f.req_close + 1..f.bytes_end,
                    _ => f.req_open..f.req_close + 2,
                };
                debug_assert!(range.start >= f.start);
                self.buf.drain(range);
            }
        }
    }

    fn garbage_line(&mut self, t: i64) {
        let (rng, buf) = (&mut self.rng, &mut self.buf);
        match rng.below(3) {
            // A TLS handshake sent to the plain-HTTP port ends up as binary.
            0 => {
                buf.extend_from_slice(&[0x16, 0x03, 0x01]);
                for _ in 0..rng.range(20, 120) {
                    let b = rng.below(256) as u8;
                    buf.push(if b == b'\n' || b == b'\r' { 0xff } else { b });
                }
            }
            // An error-log line in the access log.
            1 => {
                let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
                let s = t.rem_euclid(86_400) as u32;
                push_padded(buf, y.unsigned_abs(), 4);
                buf.push(b'/');
                push2(buf, mo);
                buf.push(b'/');
                push2(buf, d);
                buf.push(b' ');
                push_clock(buf, s);
                buf.extend_from_slice(b" [error] ");
                let pid = rng.range(1000, 40_000);
                push_u64(buf, u64::from(pid));
                buf.push(b'#');
                push_u64(buf, u64::from(pid));
                buf.extend_from_slice(b": *");
                push_u64(buf, rng.below(10_000_000));
                buf.extend_from_slice(
                    b" upstream timed out (110: Connection timed out) while reading response header from upstream",
                );
            }
            // Printable noise.
            _ => {
                for _ in 0..rng.range(10, 200) {
                    buf.push(b' ' + rng.below(95) as u8);
                }
            }
        }
    }
}

/// A timestamp no strict `%d/%b/%Y:%H:%M:%S %z` parser accepts.
fn push_bad_date(buf: &mut Vec<u8>, good: &[u8], v: u64, rng: &mut Rng) {
    let start = buf.len();
    let n = good.len();
    match v % 6 {
        0 => {
            buf.extend_from_slice(good);
            let bad: [&[u8; 3]; 4] = [b"Foo", b"Mrz", b"Dez", b"13_"];
            buf[start + 3..start + 6].copy_from_slice(bad[rng.index(4)]);
        }
        1 => {
            buf.extend_from_slice(good);
            let d = if rng.chance(0.3) {
                0
            } else {
                rng.range(32, 39)
            };
            buf[start..start + 2].copy_from_slice(&[b'0' + (d / 10) as u8, b'0' + (d % 10) as u8]);
        }
        2 => {
            buf.extend_from_slice(good);
            let h = rng.range(24, 29);
            let at = start + n - 14;
            buf[at..at + 2].copy_from_slice(&[b'0' + (h / 10) as u8, b'0' + (h % 10) as u8]);
        }
        3 => {
            buf.extend_from_slice(good);
            let m = rng.range(61, 99);
            let at = start + n - if rng.chance(0.5) { 11 } else { 8 };
            buf[at..at + 2].copy_from_slice(&[b'0' + (m / 10) as u8, b'0' + (m % 10) as u8]);
        }
        // ISO 8601 instead of the CLF date.
        4 => {
            let dm = &good[..n - 15];
            let month = MONTHS
                .iter()
                .position(|m| &dm[3..6] == m.as_slice())
                .unwrap_or(0) as u32;
            buf.extend_from_slice(&dm[7..]);
            buf.push(b'-');
            push2(buf, month + 1);
            buf.push(b'-');
            buf.extend_from_slice(&dm[..2]);
            buf.push(b'T');
            buf.extend_from_slice(&good[n - 14..n - 6]);
            buf.push(b'Z');
        }
        _ => {}
    }
}

/// Whether a target is site content that `GenConfig::targets` replaces by
/// catalogue paths: everything but the site-wide assets (the first statics),
/// fixed files and scanner probes.
fn is_page_like(site: &Site, target: Target) -> bool {
    match target {
        Target::Page(_)
        | Target::NoSlash(_)
        | Target::ApiItem(_)
        | Target::ApiList
        | Target::Search => true,
        Target::Static(i) => i > site.touch_icon,
        Target::Fixed(..) | Target::Probe(_) => false,
    }
}

/// Writes the path; returns the size of a full 200 response.
fn push_target(buf: &mut Vec<u8>, site: &Site, target: Target) -> u64 {
    match target {
        Target::Page(i) => {
            let p = &site.pages[i as usize];
            buf.extend_from_slice(p.path.as_bytes());
            u64::from(p.size)
        }
        Target::NoSlash(i) => {
            let p = &site.pages[i as usize];
            buf.extend_from_slice(p.path.trim_end_matches('/').as_bytes());
            0
        }
        Target::Static(i) => {
            let s = &site.statics[i as usize];
            buf.extend_from_slice(s.path.as_bytes());
            u64::from(s.size)
        }
        Target::ApiItem(rank) => {
            buf.extend_from_slice(b"/api/v1/items/");
            // Spread popular items over the id space instead of 1, 2, 3...
            let h = mix(u64::from(rank) ^ 0xa11);
            push_u64(buf, 10_000 + h % 90_000);
            300 + (h >> 32) % 3_700
        }
        Target::ApiList => {
            buf.extend_from_slice(b"/api/v1/items");
            18_000
        }
        Target::Search => {
            buf.extend_from_slice(b"/search");
            14_000
        }
        Target::Fixed(path, size) => {
            buf.extend_from_slice(path.as_bytes());
            u64::from(size)
        }
        Target::Probe(i) => {
            buf.extend_from_slice(PROBES[usize::from(i)].0.as_bytes());
            0
        }
    }
}

fn push_query(buf: &mut Vec<u8>, q: Query) {
    match q {
        Query::None => {}
        Query::PageNo(n) => {
            buf.extend_from_slice(b"?page=");
            push_u64(buf, u64::from(n));
        }
        Query::Search { a, b, page } => {
            buf.extend_from_slice(b"?q=");
            buf.extend_from_slice(WORDS[usize::from(a)].as_bytes());
            buf.push(b'+');
            buf.extend_from_slice(WORDS[usize::from(b)].as_bytes());
            if page > 1 {
                buf.extend_from_slice(b"&page=");
                push_u64(buf, u64::from(page));
            }
        }
        Query::Utm(i) => buf.extend_from_slice(UTM[usize::from(i)].as_bytes()),
        Query::Click { google, seed } => {
            if google {
                buf.extend_from_slice(b"?gclid=Cj0KCQjw");
                push_token(buf, seed, 60);
                buf.extend_from_slice(b"_BwE");
            } else {
                buf.extend_from_slice(b"?fbclid=IwAR");
                push_token(buf, seed, 46);
            }
        }
        Query::ApiList { page, sort } => {
            buf.extend_from_slice(b"?page=");
            push_u64(buf, u64::from(page));
            buf.extend_from_slice(
                [
                    &b"&sort=price"[..],
                    b"&sort=-updated",
                    b"&sort=name&per_page=50",
                ][usize::from(sort) % 3],
            );
        }
    }
}

/// Status of a request the plan left open: mostly 200, with the occasional
/// broken link or server hiccup.
fn natural_status(target: Target, rng: &mut Rng) -> u16 {
    match target {
        Target::Page(_) | Target::Search => {
            let r = rng.f64();
            if r < 0.006 {
                404
            } else if r < 0.0075 {
                500
            } else if r < 0.0085 {
                503
            } else {
                200
            }
        }
        Target::NoSlash(_) => 301,
        Target::ApiItem(_) if rng.chance(0.02) => 404,
        Target::ApiItem(_) | Target::ApiList | Target::Static(_) | Target::Fixed(..) => 200,
        Target::Probe(i) => PROBES[usize::from(i)].1,
    }
}
