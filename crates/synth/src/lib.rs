//! Synthetic Apache/nginx "Combined" access logs for benchmarks and tests.
//!
//! `logveil gen` has to produce input that loads the pipeline the way real
//! traffic does, without anyone's real addresses in it. The parts that caches
//! and hash tables react to are modelled with some care; everything else is a
//! cheap approximation:
//!
//! * **Clients.** A population of `max(1000, lines / 20)` (at most 2,000,000)
//!   clients is drawn with a Zipf-like law (exponent 0.9), so a few addresses
//!   (a campus NAT, the big search crawlers) are very hot and most appear in a
//!   single visit; about two thirds of the population shows up at all. A
//!   client's address (10% IPv6), user agent and protocol are derived by
//!   hashing its rank, so they are stable without storing a table of two
//!   million clients.
//! * **Bursts.** Each draw of a client opens a *session*: a browser fetches a
//!   page, then its stylesheet, scripts and images, then maybe another page; a
//!   crawler walks a few pages; a scanner fires a volley of probes. A handful of
//!   sessions are open at once and the generator mostly keeps writing the one it
//!   wrote last, so consecutive lines usually share a client, as they do in real
//!   logs — the property that makes per-thread caches pay off.
//! * **Time.** Lines are spread over `days` with a diurnal and weekly profile.
//!   Line `i` is placed at the inverse CDF of `(i + u) / lines`, which keeps
//!   timestamps non-decreasing and the line budget exact without a second pass;
//!   lines are placed in small clumps so that several share a second.
//! * **Cost.** One SplitMix64 stream drives everything (no global state, no
//!   clock, no hash-map iteration order), so output is a pure function of the
//!   config. The Zipf draws use the continuous power-law inverse CDF — one
//!   `powf`, no tables — which under-weights the very first ranks a little
//!   compared to a discrete Zipf; that is fine for a benchmark. Lines are
//!   formatted by hand into one reused buffer that is handed to the writer in
//!   large chunks, so the hot path does not allocate.
//!
//! What is *not* modelled: consistency between requests beyond a session (a
//! page's size does not change with time, a "returning" visitor is a coin
//! toss), and any particular real site. The output is a plausible workload,
//! not a statistical twin of one.
//!
//! This is a crate of its own, not a module of `logveil`, so that the
//! library's public surface is what an embedder needs: only the `logveil`
//! binary (`gen`) and the benchmarks use it. It depends on nothing of
//! `logveil`; the test that reads generated files back with logveil's
//! readers lives in the main package (`tests/synth_roundtrip.rs`).

mod wide;
pub mod zoom;

use std::io::{self, Write};

use wide::Wide;

/// 2026-03-01T00:00:00Z.
const DEFAULT_START: i64 = 1_772_323_200;
/// Origin used in internal referrers.
const SITE: &[u8] = b"https://www.example.org";
/// Sessions open at the same time; lines interleave between them.
const SLOTS: usize = 4;
/// Chance that the next line continues the session that wrote the last one.
const STAY: f64 = 0.72;
/// Output is handed to the writer in chunks of about this size, so an
/// unbuffered writer (a bare `File`) does not cost a syscall per line.
const FLUSH_AT: usize = 128 * 1024;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Number of lines to write, malformed ones included.
    pub lines: u64,
    /// Seed of the generator; equal configs produce equal bytes.
    pub seed: u64,
    /// Unix seconds (UTC) of the first day's midnight; default 2026-03-01T00:00:00Z.
    ///
    /// The diurnal profile is laid out relative to this instant, so a start
    /// that is not a midnight shifts the busy hours with it.
    pub start: i64,
    /// Days the traffic is spread over (default 7). Zero is treated as one.
    pub days: u32,
    /// Share of lines that are deliberately malformed (default 0.001).
    ///
    /// The number of malformed lines is exactly `round(lines * ratio)`; values
    /// outside `0..=1` are clamped and NaN counts as zero.
    pub malformed_ratio: f64,
    /// Distinct clients to produce (default `None`: the population follows
    /// the line count, about `lines / 30` seen). When set, clients arrive at a
    /// steady pace until this many have been seen, and visits are cut short
    /// if there are not enough of them, so up to one client per line works.
    pub clients: Option<u64>,
    /// Distinct request targets to produce (default `None`: the built-in
    /// site). When set, every page, API call, search and page image is drawn
    /// from a catalogue of long, id-bearing and query-string paths of this
    /// size; the site-wide assets, feeds and scanner probes stay as they are.
    pub targets: Option<u64>,
    /// Distinct browser agents to produce (default `None`: a table of real
    /// strings). When set, each browser visit draws its agent from this many
    /// generated Chrome/Edge/Android/iOS strings; crawlers and tools keep
    /// their own.
    pub agents: Option<u64>,
    /// Distinct external referrers of entry pages (default `None`: a table
    /// of 27). Only browser visits have one, so at most about one line in
    /// eight gets a new one; internal referrers (this site's pages) come on
    /// top.
    pub referrers: Option<u64>,
    /// Share of clients (outside crawler networks and the top four) with an
    /// IPv6 address (default 0.10); clamped to `0..=1`, NaN counts as zero.
    pub ipv6_share: f64,
}

impl Default for GenConfig {
    /// One million lines (the usual benchmark size) over the week from
    /// 2026-03-01, seed 0, one malformed line in a thousand.
    fn default() -> Self {
        Self {
            lines: 1_000_000,
            seed: 0,
            start: DEFAULT_START,
            days: 7,
            malformed_ratio: 0.001,
            clients: None,
            targets: None,
            agents: None,
            referrers: None,
            ipv6_share: 0.10,
        }
    }
}

impl GenConfig {
    /// `lines` lines from `seed`, every other field at its default.
    pub fn new(lines: u64, seed: u64) -> Self {
        Self {
            lines,
            seed,
            ..Self::default()
        }
    }
}

/// Totals of what was written, so tests can check a run against them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Lines written, each terminated by `\n`.
    pub lines: u64,
    /// How many of those lines are deliberately malformed.
    pub malformed: u64,
    /// Bytes written, newlines included.
    pub bytes: u64,
}

/// Writes `cfg.lines` lines to `out`. Deterministic: the same config gives the same bytes.
///
/// Output reaches `out` in chunks of roughly 128 KiB and `out` is flushed at
/// the end, so a `BufWriter` around it is optional. On an I/O error the
/// lines already handed over stay written and the error is returned.
pub fn generate<W: Write>(cfg: &GenConfig, out: &mut W) -> io::Result<GenStats> {
    let mut stats = GenStats::default();
    let lines = cfg.lines;
    let ratio = if cfg.malformed_ratio.is_nan() {
        0.0
    } else {
        cfg.malformed_ratio.clamp(0.0, 1.0)
    };
    // Selection sampling (Knuth's algorithm S): exactly this many malformed
    // lines, at random places, decided in one pass.
    let mut malformed_left = ((lines as f64 * ratio).round() as u64).min(lines);
    let mut g = Gen::new(cfg);
    let mut clock = Timeline::new(cfg.start, cfg.days, lines);
    let mut clump_left = 0u64;
    let mut t = cfg.start;

    for i in 0..lines {
        g.wide.frac = (i + 1) as f64 / lines as f64;
        if clump_left == 0 {
            // A clump of lines shares one instant: real traffic is bursty,
            // and this is what puts several lines into one second.
            let k = (1 + u64::from(g.rng.geometric(0.55, 7))).min(lines - i);
            t = clock.at(i as f64 + g.rng.f64() * k as f64);
            clump_left = k;
        }
        clump_left -= 1;

        let left = lines - i;
        let malformed = malformed_left > 0
            && (malformed_left >= left || g.rng.f64() * (left as f64) < malformed_left as f64);
        if malformed {
            malformed_left -= 1;
            stats.malformed += 1;
            g.malformed_line(t);
        } else {
            g.line(t, None);
        }
        g.buf.push(b'\n');
        stats.lines += 1;

        if g.buf.len() >= FLUSH_AT {
            out.write_all(&g.buf)?;
            stats.bytes += g.buf.len() as u64;
            g.buf.clear();
        }
    }
    out.write_all(&g.buf)?;
    stats.bytes += g.buf.len() as u64;
    out.flush()?;
    Ok(stats)
}

// ---------------------------------------------------------------------------
// Randomness

/// SplitMix64: tiny, fast, and good enough for synthetic data; owning it
/// keeps the output independent of any crate's or std's algorithm choices.
#[derive(Clone, Debug)]
struct Rng(u64);

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is far below
    /// anything a benchmark could notice). `n` must be non-zero.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(u64::from(hi - lo) + 1) as u32
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Number of successes before the first failure, capped.
    fn geometric(&mut self, p_continue: f64, cap: u32) -> u32 {
        let mut n = 0;
        while n < cap && self.chance(p_continue) {
            n += 1;
        }
        n
    }
}

/// Zipf-like ranks in `0..n` via the inverse CDF of a continuous power law
/// on `[1, n + 1)`: one `powf` per draw and no table, at the price of giving
/// the top ranks slightly less weight than a discrete Zipf would.
#[derive(Clone, Debug)]
struct Zipf {
    n: u64,
    /// `(n + 1)^(1 - s) - 1`, or `ln(n + 1)` when `s == 1`.
    a: f64,
    /// `1 / (1 - s)`, or zero when `s == 1`.
    inv: f64,
}

impl Zipf {
    fn new(n: u64, s: f64) -> Self {
        let n = n.max(1);
        let top = n as f64 + 1.0;
        if (s - 1.0).abs() < 1e-9 {
            Self {
                n,
                a: top.ln(),
                inv: 0.0,
            }
        } else {
            Self {
                n,
                a: top.powf(1.0 - s) - 1.0,
                inv: 1.0 / (1.0 - s),
            }
        }
    }

    fn sample(&self, rng: &mut Rng) -> u64 {
        let u = rng.f64();
        let x = if self.inv == 0.0 {
            (u * self.a).exp()
        } else {
            (1.0 + u * self.a).powf(self.inv)
        };
        (x as u64).saturating_sub(1).min(self.n - 1)
    }
}

/// Discrete distribution over table rows by integer weight.
#[derive(Clone, Debug)]
struct Weighted {
    cum: Vec<u64>,
}

impl Weighted {
    fn new(weights: impl Iterator<Item = u32>) -> Self {
        let mut total = 0u64;
        let cum = weights
            .map(|w| {
                total += u64::from(w);
                total
            })
            .collect();
        Self { cum }
    }

    fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.cum.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let r = rng.below(total);
        self.cum.partition_point(|&c| c <= r)
    }
}

// ---------------------------------------------------------------------------
// Time

/// Relative traffic per UTC hour: quiet nights, busy afternoons.
const HOURLY: [f64; 24] = [
    0.30, 0.22, 0.17, 0.14, 0.13, 0.15, 0.24, 0.40, 0.58, 0.72, 0.80, 0.85, 0.88, 0.94, 1.00, 1.00,
    0.96, 0.88, 0.80, 0.77, 0.74, 0.66, 0.54, 0.42,
];
/// Relative traffic per weekday, Monday first.
const WEEKDAY: [f64; 7] = [1.0, 1.0, 0.98, 0.97, 0.90, 0.68, 0.72];

/// Maps a line position to a second, following the diurnal profile.
///
/// The cumulative weight is periodic by the week, so a position is located
/// in O(log) without tables proportional to `days`, which is a `u32`.
struct Timeline {
    start: i64,
    end: i64,
    first_weekday: usize,
    /// Cumulative weight of the minutes of a weekday-neutral day; 1441 entries.
    minute_cum: Vec<f64>,
    /// Cumulative weight of the seven days starting at `start`.
    week_cum: [f64; 8],
    /// Weight per unit of line position.
    scale: f64,
    last: i64,
}

impl Timeline {
    fn new(start: i64, days: u32, lines: u64) -> Self {
        let days = u64::from(days.max(1));
        let mut minute_cum = Vec::with_capacity(1441);
        minute_cum.push(0.0);
        let mut acc = 0.0;
        for m in 0..1440 {
            let (h, f) = (m / 60, (m % 60) as f64 / 60.0);
            acc += HOURLY[h] * (1.0 - f) + HOURLY[(h + 1) % 24] * f;
            minute_cum.push(acc);
        }
        let first_weekday = (start.div_euclid(86_400) + 3).rem_euclid(7) as usize;
        let mut week_cum = [0.0; 8];
        for k in 0..7 {
            week_cum[k + 1] = week_cum[k] + WEEKDAY[(first_weekday + k) % 7] * acc;
        }
        let total = (days / 7) as f64 * week_cum[7] + week_cum[(days % 7) as usize];
        // `days * 86_400` is below 2^49 for any u32, so the cast is lossless.
        let end = start.saturating_add((days * 86_400 - 1) as i64);
        Self {
            start,
            end,
            first_weekday,
            minute_cum,
            week_cum,
            scale: total / lines.max(1) as f64,
            last: start,
        }
    }

    /// Second of line position `pos` (in `0..lines`); never earlier than the
    /// previous answer, so float rounding cannot make time run backwards.
    fn at(&mut self, pos: f64) -> i64 {
        let target = (pos * self.scale).max(0.0);
        let week_total = self.week_cum[7];
        let week = (target / week_total).floor();
        let mut rem = (target - week * week_total).max(0.0);
        let k = self.week_cum[1..].partition_point(|&c| c <= rem).min(6);
        rem -= self.week_cum[k];
        let day_total = self.minute_cum[1440];
        let within = (rem / WEEKDAY[(self.first_weekday + k) % 7]).clamp(0.0, day_total);
        let m = self.minute_cum[1..]
            .partition_point(|&c| c <= within)
            .min(1439);
        let span = self.minute_cum[m + 1] - self.minute_cum[m];
        let sec = (((within - self.minute_cum[m]) / span) * 60.0) as i64;
        let day = (week as i64).saturating_mul(7).saturating_add(k as i64);
        let t = self
            .start
            .saturating_add(day.saturating_mul(86_400))
            .saturating_add(m as i64 * 60 + sec.clamp(0, 59));
        let t = t.max(self.last).min(self.end);
        self.last = t;
        t
    }
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The `%d/%b/%Y:%H:%M:%S +0000` text of the current second, rebuilt only
/// when the second changes (several lines share one).
struct DateCache {
    sec: Option<i64>,
    text: Vec<u8>,
}

impl DateCache {
    fn new() -> Self {
        Self {
            sec: None,
            text: Vec::with_capacity(32),
        }
    }

    fn get(&mut self, t: i64) -> &[u8] {
        if self.sec != Some(t) {
            self.sec = Some(t);
            let b = &mut self.text;
            b.clear();
            let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
            let s = t.rem_euclid(86_400) as u32;
            push2(b, d);
            b.push(b'/');
            b.extend_from_slice(MONTHS[mo as usize - 1]);
            b.push(b'/');
            if y < 0 {
                b.push(b'-');
            }
            push_padded(b, y.unsigned_abs(), 4);
            b.push(b':');
            push2(b, s / 3600);
            b.push(b':');
            push2(b, s / 60 % 60);
            b.push(b':');
            push2(b, s % 60);
            b.extend_from_slice(b" +0000");
        }
        &self.text
    }
}

// ---------------------------------------------------------------------------
// Number formatting without `format!`

fn push_u64(b: &mut Vec<u8>, n: u64) {
    push_padded(b, n, 1);
}

fn push_padded(b: &mut Vec<u8>, mut n: u64, width: usize) {
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

fn push2(b: &mut Vec<u8>, n: u32) {
    b.push(b'0' + (n / 10 % 10) as u8);
    b.push(b'0' + (n % 10) as u8);
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

fn push_ipv4(b: &mut Vec<u8>, o: [u8; 4]) {
    for (i, x) in o.into_iter().enumerate() {
        if i > 0 {
            b.push(b'.');
        }
        push_u64(b, u64::from(x));
    }
}

/// RFC 5952 text: lowercase, no leading zeros, the longest run (leftmost on
/// a tie) of two or more zero groups written as `::`.
fn push_ipv6(b: &mut Vec<u8>, g: [u16; 8]) {
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
fn push_token(b: &mut Vec<u8>, seed: u64, len: usize) {
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

// ---------------------------------------------------------------------------
// Static tables

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Browser,
    Crawler,
    /// Scripts, API clients, uptime monitors.
    Tool,
    /// Vulnerability scanners probing for well-known files.
    Scanner,
}

const GOOGLEBOT_MOBILE: &str = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.7680.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BINGBOT: &str = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36";
const UPTIME_ROBOT: &str = "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)";

/// Agents of the most popular clients, in rank order: real logs are usually
/// topped by a NAT gateway full of browsers and the big search crawlers.
const TOP_AGENTS: [&str; 4] = [CHROME_WIN, GOOGLEBOT, BINGBOT, GOOGLEBOT_MOBILE];

/// `(kind, weight among clients, network of the operator or 0, agent)`.
/// Weights are per client; crawlers get more lines per client than they
/// have weight because the top ranks are crawlers too.
#[rustfmt::skip]
const AGENTS: &[(Kind, u32, u8, &str)] = &[
    (Kind::Browser, 120, 0, CHROME_WIN),
    (Kind::Browser, 60, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36"),
    (Kind::Browser, 18, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/144.0.0.0 Safari/537.36"),
    (Kind::Browser, 45, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36"),
    (Kind::Browser, 18, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36"),
    (Kind::Browser, 12, 0, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36"),
    (Kind::Browser, 5, 0, "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36"),
    (Kind::Browser, 90, 0, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Mobile Safari/537.36"),
    (Kind::Browser, 40, 0, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Mobile Safari/537.36"),
    (Kind::Browser, 10, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/146.0.7680.40 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 35, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36 Edg/146.0.0.0"),
    (Kind::Browser, 12, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36 Edg/145.0.0.0"),
    (Kind::Browser, 18, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:149.0) Gecko/20100101 Firefox/149.0"),
    (Kind::Browser, 9, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:148.0) Gecko/20100101 Firefox/148.0"),
    (Kind::Browser, 6, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:149.0) Gecko/20100101 Firefox/149.0"),
    (Kind::Browser, 8, 0, "Mozilla/5.0 (X11; Linux x86_64; rv:149.0) Gecko/20100101 Firefox/149.0"),
    (Kind::Browser, 4, 0, "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:148.0) Gecko/20100101 Firefox/148.0"),
    (Kind::Browser, 4, 0, "Mozilla/5.0 (Android 15; Mobile; rv:149.0) Gecko/149.0 Firefox/149.0"),
    (Kind::Browser, 30, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Safari/605.1.15"),
    (Kind::Browser, 10, 0, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.2 Safari/605.1.15"),
    (Kind::Browser, 70, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 25, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.2 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 15, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 8, 0, "Mozilla/5.0 (iPad; CPU OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Mobile/15E148 Safari/604.1"),
    (Kind::Browser, 10, 0, "Mozilla/5.0 (Linux; Android 15; SAMSUNG SM-S931B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/29.0 Chrome/136.0.0.0 Mobile Safari/537.36"),
    (Kind::Browser, 4, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36 OPR/130.0.0.0"),
    (Kind::Browser, 2, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/144.0.0.0 YaBrowser/26.2.0.0 Safari/537.36"),
    (Kind::Browser, 3, 0, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/520.0.0.38.101;FBBV/712345678;FBDV/iPhone16,2;FBMD/iPhone;FBSN/iOS;FBSV/18.7;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/5]"),
    (Kind::Browser, 3, 0, "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/145.0.0.0 Mobile Safari/537.36 Instagram 380.0.0.41.92 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 8; shiba; shiba; en_US; 712345678)"),
    (Kind::Browser, 3, 0, "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36"),
    (Kind::Crawler, 40, 1, GOOGLEBOT_MOBILE),
    (Kind::Crawler, 28, 1, GOOGLEBOT),
    (Kind::Crawler, 20, 2, BINGBOT),
    (Kind::Crawler, 16, 3, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot"),
    (Kind::Crawler, 6, 3, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; +https://openai.com/searchbot"),
    (Kind::Crawler, 6, 3, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot"),
    (Kind::Crawler, 12, 4, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)"),
    (Kind::Crawler, 6, 5, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"),
    (Kind::Crawler, 8, 6, "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"),
    (Kind::Crawler, 4, 9, "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"),
    (Kind::Crawler, 4, 0, "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)"),
    (Kind::Crawler, 14, 7, "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"),
    (Kind::Crawler, 10, 8, "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)"),
    (Kind::Crawler, 6, 0, "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)"),
    (Kind::Crawler, 4, 0, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot) Chrome/119.0.6045.214 Safari/537.36"),
    (Kind::Crawler, 4, 0, "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
    (Kind::Crawler, 2, 0, "Twitterbot/1.0"),
    (Kind::Tool, 17, 0, UPTIME_ROBOT),
    (Kind::Tool, 42, 0, "curl/8.12.1"),
    (Kind::Tool, 17, 0, "curl/7.81.0"),
    (Kind::Tool, 34, 0, "python-requests/2.32.3"),
    (Kind::Tool, 8, 0, "python-httpx/0.28.1"),
    (Kind::Tool, 25, 0, "Go-http-client/1.1"),
    (Kind::Tool, 8, 0, "Wget/1.25.0"),
    (Kind::Tool, 17, 0, "okhttp/4.12.0"),
    (Kind::Tool, 8, 0, "axios/1.8.4"),
    (Kind::Tool, 8, 0, "Java/17.0.14"),
    (Kind::Tool, 8, 0, "-"),
    (Kind::Scanner, 2, 0, "Mozilla/5.0 zgrab/0.x"),
    (Kind::Scanner, 1, 0, "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)"),
    (Kind::Scanner, 2, 0, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36"),
    (Kind::Scanner, 1, 0, "Mozilla/5.0 (l9scan/2.0.; +https://leakix.net)"),
    (Kind::Scanner, 1, 0, "python-requests/2.31.0"),
];

/// Address blocks of crawler operators, `(a, b, c_lo, c_hi)`: they crawl
/// from their own networks, which is what reverse-DNS checks rely on.
const BOT_NETS: [(u8, u8, u8, u8); 10] = [
    (0, 0, 0, 0),
    (66, 249, 64, 79),
    (40, 77, 167, 167),
    (20, 171, 206, 207),
    (216, 73, 216, 216),
    (17, 241, 208, 255),
    (5, 255, 231, 231),
    (54, 36, 148, 149),
    (85, 208, 96, 99),
    (116, 179, 32, 37),
];

/// First two groups of IPv6 prefixes of large ISPs and clouds.
const V6_PREFIXES: [[u16; 2]; 16] = [
    [0x2a01, 0x04f8],
    [0x2a02, 0x8070],
    [0x2a02, 0x810d],
    [0x2003, 0x00e6],
    [0x2600, 0x1700],
    [0x2601, 0x0646],
    [0x2603, 0x7000],
    [0x2607, 0xfb90],
    [0x2a00, 0x23c5],
    [0x2a01, 0xcb00],
    [0x2a01, 0x0e0a],
    [0x2409, 0x8a28],
    [0x2405, 0x0201],
    [0x2001, 0x16b8],
    [0x2804, 0x014c],
    [0x2600, 0x1f18],
];

const USERS: [&str; 12] = [
    "jsmith",
    "m.keller",
    "anna",
    "admin",
    "lwang",
    "editor",
    "k.nakamura",
    "student42",
    "pmartin",
    "r.okafor",
    "webmaster",
    "sgarcia",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefKind {
    Search,
    Social,
    Other,
}

/// External referrers of entry pages, `(kind, weight, text)`. Search engines
/// send only their origin nowadays, hence the bare hosts.
#[rustfmt::skip]
const REFERRERS: &[(RefKind, u32, &str)] = &[
    (RefKind::Search, 300, "https://www.google.com/"),
    (RefKind::Search, 40, "https://www.google.de/"),
    (RefKind::Search, 25, "https://www.google.co.uk/"),
    (RefKind::Search, 50, "https://www.bing.com/"),
    (RefKind::Search, 30, "https://duckduckgo.com/"),
    (RefKind::Search, 10, "https://www.ecosia.org/"),
    (RefKind::Search, 8, "https://search.yahoo.com/"),
    (RefKind::Search, 6, "https://yandex.ru/"),
    (RefKind::Search, 5, "https://search.brave.com/"),
    (RefKind::Social, 30, "https://l.facebook.com/"),
    (RefKind::Social, 12, "https://www.facebook.com/"),
    (RefKind::Social, 20, "https://t.co/"),
    (RefKind::Social, 18, "https://www.linkedin.com/"),
    (RefKind::Social, 14, "https://www.reddit.com/"),
    (RefKind::Social, 8, "https://news.ycombinator.com/"),
    (RefKind::Social, 10, "https://l.instagram.com/"),
    (RefKind::Social, 6, "https://bsky.app/"),
    (RefKind::Social, 4, "https://mastodon.social/"),
    (RefKind::Social, 8, "android-app://com.google.android.gm/"),
    (RefKind::Other, 25, "https://en.wikipedia.org/"),
    (RefKind::Other, 10, "https://de.wikipedia.org/"),
    (RefKind::Other, 12, "https://github.com/"),
    (RefKind::Other, 15, "https://chatgpt.com/"),
    (RefKind::Other, 5, "https://www.perplexity.ai/"),
    (RefKind::Other, 8, "https://scholar.google.com/"),
    (RefKind::Other, 8, "https://www.youtube.com/"),
    (RefKind::Other, 6, "https://www.example.com/links/partners"),
];

const UTM: [&str; 5] = [
    "?utm_source=newsletter&utm_medium=email&utm_campaign=2026-03",
    "?utm_source=facebook&utm_medium=social&utm_campaign=open-day",
    "?utm_source=linkedin&utm_medium=social",
    "?utm_source=twitter&utm_medium=social",
    "?utm_source=bluesky&utm_medium=social",
];

/// Paths vulnerability scanners try, with the status this site answers.
#[rustfmt::skip]
const PROBES: &[(&str, u16)] = &[
    ("/wp-login.php", 404), ("/xmlrpc.php", 404), ("/wp-admin/setup-config.php", 404),
    ("/wp-content/plugins/revslider/temp/update_extract/revslider/", 404),
    ("/wp-includes/wlwmanifest.xml", 404), ("/.env", 404), ("/.env.production", 404),
    ("/api/.env", 404), ("/laravel/.env", 404), ("/.git/config", 403), ("/.git/HEAD", 403),
    ("/.htaccess", 403), ("/server-status", 403), ("/.aws/credentials", 404), ("/config.json", 404),
    ("/phpmyadmin/", 404), ("/pma/", 404), ("/admin/", 404), ("/administrator/", 404),
    ("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 404),
    ("/cgi-bin/luci/;stok=/locale", 404), ("/boaform/admin/formLogin", 404), ("/actuator/env", 404),
    ("/.DS_Store", 404), ("/backup.zip", 404), ("/db.sql", 404), ("/owa/auth/logon.aspx", 404),
    ("/HNAP1/", 404), ("/solr/admin/info/system?wt=json", 404), ("/sftp-config.json", 404),
    ("/.vscode/sftp.json", 404), ("/docker-compose.yml", 404), ("/telescope/requests", 404),
    ("/geoserver/web/", 404), ("/remote/login?lang=en", 404), ("/.well-known/security.txt", 404),
];

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "climate", "research", "student", "campus", "library", "energy", "data", "science", "health",
    "award", "grant", "lecture", "semester", "exam", "robotics", "quantum", "history", "music",
    "festival", "alumni", "startup", "water", "city", "future", "digital", "learning", "language",
    "network", "security", "privacy", "open", "day", "spring", "summer", "winter", "new", "study",
    "report", "team", "project", "center", "lab", "ocean", "forest", "genome", "cancer", "brain",
    "sleep", "food", "sport", "rowing", "art", "exhibition", "theatre", "film", "book", "poetry",
    "math", "physics", "chemistry", "biology", "economics", "law", "policy", "election", "europe",
    "africa", "asia", "solar", "wind", "battery", "hydrogen", "ai", "machine", "model", "ethics",
    "robot", "space", "mars", "satellite", "telescope", "galaxy", "bridge", "housing", "transport",
    "bike", "train", "mental", "wellbeing", "scholarship", "tuition", "visa", "international",
    "partnership", "conference", "workshop", "seminar", "keynote", "prize", "medal", "record",
    "breakthrough", "discovery", "fossil", "bee", "bird", "river", "coral", "arctic", "glacier",
    "drought", "flood", "storm", "vaccine", "microbes", "soil", "coffee", "chess", "choir",
];

#[rustfmt::skip]
const FIRST: &[&str] = &[
    "anna", "ben", "clara", "david", "elena", "farid", "grace", "hiro", "ines", "jonas", "kemal",
    "lena", "mateo", "nadia", "oscar", "priya", "quentin", "rosa", "samir", "tara", "ulrich",
    "vera", "wei", "yusuf", "zoe", "amara", "bruno", "chloe", "dmitri", "eva",
];

#[rustfmt::skip]
const LAST: &[&str] = &[
    "schmidt", "nguyen", "garcia", "mueller", "rossi", "kowalski", "okafor", "tanaka", "silva",
    "johansson", "dubois", "novak", "hansen", "patel", "kim", "fischer", "moreau", "costa",
    "yilmaz", "andersen", "weber", "lopez", "ivanova", "becker", "santos", "wagner", "chen",
    "murphy", "haddad", "berg",
];

const DEPTS: [&str; 12] = [
    "cs", "ma", "ph", "ch", "bi", "ec", "hi", "la", "mu", "ee", "me", "ps",
];

// ---------------------------------------------------------------------------
// The site

#[derive(Clone, Debug)]
struct Page {
    path: Box<str>,
    size: u32,
    /// Page-specific images: `statics[img..img + n_img]`.
    img: u32,
    n_img: u8,
    /// Ends in `/`, so a request without the slash earns a 301.
    section: bool,
    /// Where a POST to this page redirects, if it has a form.
    form_next: Option<u32>,
}

#[derive(Clone, Debug)]
struct Static {
    path: Box<str>,
    size: u32,
}

/// The synthetic site: a few thousand pages with their assets, built from
/// the seed once per run (this is the only place that allocates per item).
struct Site {
    pages: Vec<Page>,
    statics: Vec<Static>,
    css: u32,
    js_app: u32,
    font: u32,
    logo: u32,
    favicon: u32,
    touch_icon: u32,
    size_404: u32,
    popular: Zipf,
    /// Crawlers walk the whole site, so their page popularity is flat.
    crawl: Zipf,
    items: Zipf,
    agents: Weighted,
    top_agents: [usize; TOP_AGENTS.len()],
    mobile: Vec<bool>,
    referrers: Weighted,
}

fn log_uniform(rng: &mut Rng, lo: u32, hi: u32) -> u32 {
    let (lo, hi) = (f64::from(lo).ln(), f64::from(hi).ln());
    (lo + rng.f64() * (hi - lo)).exp() as u32
}

fn pick<'a>(rng: &mut Rng, list: &[&'a str]) -> &'a str {
    list[rng.index(list.len())]
}

fn slug(rng: &mut Rng, words: u32) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push('-');
        }
        s.push_str(pick(rng, WORDS));
    }
    s
}

impl Site {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(mix(seed ^ 0x5173_e5e1_7e00_0001));
        let mut statics: Vec<Static> = Vec::new();
        let add_static = |statics: &mut Vec<Static>, path: String, size: u32| {
            statics.push(Static {
                path: path.into(),
                size,
            });
            (statics.len() - 1) as u32
        };
        let hash5 = |rng: &mut Rng| format!("{:05x}", rng.below(1 << 20));
        let css = add_static(
            &mut statics,
            format!("/static/css/main.{}.css", hash5(&mut rng)),
            log_uniform(&mut rng, 30_000, 120_000),
        );
        let js_app = add_static(
            &mut statics,
            format!("/static/js/app.{}.js", hash5(&mut rng)),
            log_uniform(&mut rng, 150_000, 600_000),
        );
        let font = add_static(
            &mut statics,
            "/static/fonts/inter-var.woff2".into(),
            log_uniform(&mut rng, 48_000, 110_000),
        );
        let logo = add_static(
            &mut statics,
            "/static/img/logo.svg".into(),
            log_uniform(&mut rng, 3_000, 12_000),
        );
        let favicon = add_static(
            &mut statics,
            "/favicon.ico".into(),
            log_uniform(&mut rng, 1_150, 15_086),
        );
        let touch_icon = add_static(&mut statics, "/apple-touch-icon.png".into(), 0);

        let mut fixed: Vec<(String, bool)> = [
            "/",
            "/news/",
            "/courses/",
            "/events/",
            "/about/",
            "/admissions/",
            "/people/",
            "/library/",
            "/research/",
            "/contact/",
            "/login",
            "/blog/",
            "/about/jobs/",
            "/about/campus-map/",
            "/admissions/international/",
            "/library/opening-hours",
            "/privacy",
            "/imprint",
        ]
        .iter()
        .map(|p| (p.to_string(), false))
        .collect();
        let mut rest: Vec<(String, bool)> = Vec::new();
        for _ in 0..1200 {
            // Two years of archive up to the default start month.
            let y = 2024 + rng.below(3);
            let m = 1 + rng.below(if y == 2026 { 3 } else { 12 });
            let words = rng.range(2, 4);
            rest.push((format!("/news/{y}/{m:02}/{}", slug(&mut rng, words)), true));
        }
        for _ in 0..120 {
            let course = format!(
                "/courses/{}-{}",
                pick(&mut rng, &DEPTS),
                rng.range(101, 499)
            );
            rest.push((format!("{course}/"), false));
            rest.push((format!("{course}/syllabus"), false));
            rest.push((format!("{course}/schedule"), false));
            for _ in 0..rng.below(4) {
                let sub = match rng.below(3) {
                    0 => format!("{course}/lectures/week-{}", rng.range(1, 14)),
                    1 => format!("{course}/assignments/hw{}", rng.range(1, 10)),
                    _ => format!(
                        "{course}/exams/{}",
                        if rng.chance(0.5) { "midterm" } else { "final" }
                    ),
                };
                rest.push((sub, false));
            }
        }
        for _ in 0..300 {
            rest.push((
                format!("/people/{}-{}", pick(&mut rng, FIRST), pick(&mut rng, LAST)),
                true,
            ));
        }
        for _ in 0..200 {
            let words = rng.range(2, 4);
            rest.push((format!("/events/2026/{}", slug(&mut rng, words)), true));
        }
        for _ in 0..300 {
            let words = rng.range(2, 4);
            rest.push((
                format!("/blog/{}/{}", 2023 + rng.below(4), slug(&mut rng, words)),
                true,
            ));
        }
        for _ in 0..60 {
            rest.push((
                format!(
                    "/research/{}-{}/",
                    pick(&mut rng, WORDS),
                    pick(&mut rng, WORDS)
                ),
                true,
            ));
        }
        for w in WORDS.iter().take(60) {
            rest.push((format!("/blog/tag/{w}/"), false));
        }
        rest.sort();
        rest.dedup_by(|a, b| a.0 == b.0);
        // Popularity rank is the index: the fixed hub pages first, then the
        // rest in random order.
        for i in (1..rest.len()).rev() {
            let j = rng.index(i + 1);
            rest.swap(i, j);
        }
        fixed.append(&mut rest);
        let account = fixed.len() as u32;
        fixed.push(("/account/".into(), false));
        let thanks = fixed.len() as u32;
        fixed.push(("/contact/thanks".into(), false));

        let mut pages = Vec::with_capacity(fixed.len());
        for (path, with_images) in fixed {
            let img = statics.len() as u32;
            let mut n_img = 0u8;
            if with_images {
                // `/images/<section>/<first words of the slug>-<k>.jpg`
                let mut segs = path.trim_matches('/').split('/');
                let section = segs.next().unwrap_or("misc");
                let last = segs.next_back().unwrap_or("img");
                let stem: Vec<&str> = last.split('-').take(2).collect();
                let stem = stem.join("-");
                n_img = rng.range(0, 2) as u8;
                for k in 0..n_img {
                    let ext = if rng.chance(0.3) { "webp" } else { "jpg" };
                    let size = log_uniform(&mut rng, 15_000, 900_000);
                    add_static(
                        &mut statics,
                        format!("/images/{section}/{stem}-{k}.{ext}"),
                        size,
                    );
                }
            }
            let form_next = match path.as_str() {
                "/login" => Some(account),
                "/contact/" => Some(thanks),
                _ => None,
            };
            pages.push(Page {
                section: path.ends_with('/') && path.len() > 1,
                size: log_uniform(&mut rng, 9_000, 95_000),
                path: path.into(),
                img,
                n_img,
                form_next,
            });
        }
        let n = pages.len() as u64;
        let top_agents = TOP_AGENTS.map(|ua| AGENTS.iter().position(|a| a.3 == ua).unwrap_or(0));
        Self {
            css,
            js_app,
            font,
            logo,
            favicon,
            touch_icon,
            size_404: log_uniform(&mut rng, 4_000, 6_000),
            // Exclude the two redirect targets from free navigation.
            popular: Zipf::new(n - 2, 0.95),
            crawl: Zipf::new(n - 2, 0.35),
            items: Zipf::new(60_000, 1.1),
            agents: Weighted::new(AGENTS.iter().map(|a| a.1)),
            top_agents,
            mobile: AGENTS
                .iter()
                .map(|a| a.3.contains("Mobile") || a.3.contains("iPad"))
                .collect(),
            referrers: Weighted::new(REFERRERS.iter().map(|r| r.1)),
            pages,
            statics,
        }
    }
}

// ---------------------------------------------------------------------------
// Requests and sessions

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Head,
}

#[derive(Clone, Copy, Debug)]
enum Target {
    Page(u32),
    /// A section page without its trailing slash.
    NoSlash(u32),
    Static(u32),
    ApiItem(u32),
    ApiList,
    Search,
    Fixed(&'static str, u32),
    Probe(u16),
}

#[derive(Clone, Copy, Debug)]
enum Query {
    None,
    PageNo(u16),
    Search {
        a: u16,
        b: u16,
        page: u16,
    },
    Utm(u8),
    /// `?fbclid=` (`google == false`) or `?gclid=` with a token from `seed`.
    Click {
        google: bool,
        seed: u64,
    },
    ApiList {
        page: u16,
        sort: u8,
    },
}

#[derive(Clone, Copy, Debug)]
enum Ref {
    None,
    /// The page the session is on.
    Current,
    /// The stylesheet (fonts are requested by it).
    Css,
    Ext(u16),
    /// A referrer of the generated catalogue (`GenConfig::referrers`).
    Wide(u64),
}

#[derive(Clone, Copy, Debug)]
struct Req {
    method: Method,
    target: Target,
    query: Query,
    referer: Ref,
    /// Planned status; 0 lets the target decide when the line is written.
    status: u16,
}

impl Req {
    fn get(target: Target, referer: Ref) -> Self {
        Self {
            method: Method::Get,
            target,
            query: Query::None,
            referer,
            status: 0,
        }
    }

    fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

/// One client's visit. The slot's buffers are reused by the next visit.
struct Session {
    active: bool,
    kind: Kind,
    ua: &'static str,
    /// A generated agent, which replaces `ua` when not empty.
    ua_own: Vec<u8>,
    mobile: bool,
    proto: &'static [u8],
    user: Option<&'static str>,
    ip: Vec<u8>,
    returning: bool,
    entry: Ref,
    first: bool,
    pages_left: u32,
    last_page: u32,
    queue: Vec<Req>,
    head: usize,
    /// Path and query of the page being viewed, for referrers.
    cur_url: Vec<u8>,
}

impl Session {
    fn new() -> Self {
        Self {
            active: false,
            kind: Kind::Browser,
            ua: "-",
            ua_own: Vec::new(),
            mobile: false,
            proto: b"HTTP/1.1",
            user: None,
            ip: Vec::with_capacity(40),
            returning: false,
            entry: Ref::None,
            first: true,
            pages_left: 0,
            last_page: 0,
            queue: Vec::with_capacity(16),
            head: 0,
            cur_url: Vec::with_capacity(128),
        }
    }

    /// Opens a visit by client `id`. Everything about the client comes from
    /// hashing the id, so the same client looks the same in every visit;
    /// the visit itself draws from the main stream.
    fn start(&mut self, id: u64, key: u64, site: &Site, rng: &mut Rng, wide: &mut Wide) {
        let mut h = Rng::new(mix(key ^ mix(id.wrapping_add(1))));
        let agent = match site.top_agents.get(id as usize) {
            Some(&a) => a,
            None => site.agents.pick(&mut h),
        };
        let (kind, _, net, ua) = AGENTS[agent];
        self.kind = kind;
        self.ua = ua;
        self.mobile = site.mobile[agent];
        self.ua_own.clear();
        if kind == Kind::Browser
            && let Some(f) = &mut wide.agents
        {
            let a = f.draw(rng, wide.frac);
            self.mobile = wide::agents::push(&mut self.ua_own, a, wide.key);
        }
        self.ip.clear();
        // Crawler networks hold a few thousand addresses; past the first
        // clients of a large population they would merge clients.
        if net != 0 && (wide.clients.is_none() || id < 20_000) {
            let (a, b, lo, hi) = BOT_NETS[usize::from(net)];
            let c = h.range(u32::from(lo), u32::from(hi)) as u8;
            push_ipv4(&mut self.ip, [a, b, c, h.range(1, 254) as u8]);
        } else if h.chance(wide.ipv6_share) && id >= TOP_AGENTS.len() as u64 {
            // The top clients stand for NAT gateways and crawler fleets,
            // which are still mostly IPv4.
            push_ipv6(&mut self.ip, ipv6(&mut h));
        } else {
            push_ipv4(&mut self.ip, ipv4(&mut h));
        }
        self.proto = match kind {
            Kind::Browser if h.chance(0.75) => b"HTTP/2.0",
            Kind::Crawler if h.chance(0.3) => b"HTTP/2.0",
            Kind::Tool | Kind::Scanner if h.chance(0.15) => b"HTTP/1.0",
            _ => b"HTTP/1.1",
        };
        self.user = if kind == Kind::Browser && h.chance(0.015) {
            Some(pick(&mut h, &USERS))
        } else {
            None
        };

        self.returning = rng.chance(0.55);
        self.entry = match &mut wide.referrers {
            None if rng.chance(0.42) => Ref::None,
            None => Ref::Ext(site.referrers.pick(rng) as u16),
            // Only browsers send a referrer: do not spend ids on others.
            Some(_) if kind != Kind::Browser => Ref::None,
            // Behind schedule, direct visits give way to referred ones.
            Some(f) if f.seen() < f.due(wide.frac) || !rng.chance(0.42) => {
                Ref::Wide(f.draw(rng, wide.frac))
            }
            Some(_) => Ref::None,
        };
        self.pages_left = match kind {
            Kind::Browser => 1 + rng.geometric(0.5, 11),
            Kind::Crawler => 1 + rng.geometric(0.75, 19),
            Kind::Tool => 1 + rng.geometric(0.75, 29),
            Kind::Scanner => rng.range(3, 14),
        };
        self.first = true;
        self.queue.clear();
        self.head = 0;
        self.cur_url.clear();
        self.active = true;
    }

    fn next(&mut self, site: &Site, rng: &mut Rng) -> Option<Req> {
        loop {
            if let Some(&r) = self.queue.get(self.head) {
                self.head += 1;
                return Some(r);
            }
            if self.pages_left == 0 {
                return None;
            }
            self.pages_left -= 1;
            self.queue.clear();
            self.head = 0;
            match self.kind {
                Kind::Browser => self.plan_browser(site, rng),
                Kind::Crawler => self.plan_crawler(site, rng),
                Kind::Tool => self.plan_tool(site, rng),
                Kind::Scanner => self.plan_scanner(rng),
            }
            self.first = false;
        }
    }

    /// A page view: the page, then whatever the browser does not have cached.
    fn plan_browser(&mut self, site: &Site, rng: &mut Rng) {
        let referer = if self.first { self.entry } else { Ref::Current };
        if rng.chance(0.06) {
            let page = if rng.chance(0.25) {
                rng.range(2, 6) as u16
            } else {
                1
            };
            let query = Query::Search {
                a: rng.index(WORDS.len()) as u16,
                b: rng.index(WORDS.len()) as u16,
                page,
            };
            self.queue.push(Req {
                query,
                ..Req::get(Target::Search, referer)
            });
        } else {
            let p = if self.first || rng.chance(0.7) {
                site.popular.sample(rng) as u32
            } else {
                // Related content sits next to each other in the catalogue.
                ((u64::from(self.last_page) + 1 + rng.below(6)) % site.popular.n) as u32
            };
            self.last_page = p;
            let page = &site.pages[p as usize];
            let mut query = Query::None;
            if self.first {
                query = entry_query(self.entry, rng);
            } else if page.section && rng.chance(0.2) {
                query = Query::PageNo(rng.range(2, 9) as u16);
            }
            if page.section && rng.chance(0.04) {
                self.queue
                    .push(Req::get(Target::NoSlash(p), referer).with_status(301));
            }
            self.queue.push(Req {
                query,
                ..Req::get(Target::Page(p), referer)
            });
            if self.first {
                self.plan_site_assets(site, rng);
            }
            for k in 0..u32::from(page.n_img) {
                // Lazy loading skips images the visitor never scrolls to.
                if !self.returning && (k == 0 || rng.chance(0.6)) {
                    self.queue
                        .push(Req::get(Target::Static(page.img + k), Ref::Current));
                } else if rng.chance(0.25) {
                    self.queue.push(
                        Req::get(Target::Static(page.img + k), Ref::Current).with_status(304),
                    );
                }
            }
            if rng.chance(0.05) {
                let item = site.items.sample(rng) as u32;
                self.queue
                    .push(Req::get(Target::ApiItem(item), Ref::Current));
            }
            if let Some(next) = page.form_next
                && rng.chance(0.3)
            {
                let status = if rng.chance(0.85) { 302 } else { 200 };
                self.queue.push(Req {
                    method: Method::Post,
                    ..Req::get(Target::Page(p), Ref::Current).with_status(status)
                });
                if status == 302 {
                    self.queue.push(Req::get(Target::Page(next), Ref::Current));
                }
            }
            return;
        }
        if self.first {
            self.plan_site_assets(site, rng);
        }
    }

    fn plan_site_assets(&mut self, site: &Site, rng: &mut Rng) {
        let status = if self.returning {
            // Mostly served from the browser cache without asking.
            if !rng.chance(0.35) {
                return;
            }
            304
        } else {
            0
        };
        for s in [site.css, site.js_app] {
            self.queue
                .push(Req::get(Target::Static(s), Ref::Current).with_status(status));
        }
        if !self.returning {
            if rng.chance(0.5) {
                // Fonts are requested by the stylesheet, hence its referrer.
                self.queue
                    .push(Req::get(Target::Static(site.font), Ref::Css));
            }
            self.queue
                .push(Req::get(Target::Static(site.logo), Ref::Current));
            if rng.chance(0.4) {
                self.queue
                    .push(Req::get(Target::Static(site.favicon), Ref::Current));
            }
            if self.mobile && rng.chance(0.3) {
                self.queue
                    .push(Req::get(Target::Static(site.touch_icon), Ref::None).with_status(404));
            }
        }
    }

    fn plan_crawler(&mut self, site: &Site, rng: &mut Rng) {
        if self.first && rng.chance(0.3) {
            self.queue
                .push(Req::get(Target::Fixed("/robots.txt", 412), Ref::None));
        }
        if rng.chance(0.03) {
            self.queue
                .push(Req::get(Target::Fixed("/sitemap.xml", 183_221), Ref::None));
        }
        let p = site.crawl.sample(rng) as u32;
        let page = &site.pages[p as usize];
        let roll = rng.f64();
        if page.section && roll < 0.05 {
            self.queue
                .push(Req::get(Target::NoSlash(p), Ref::None).with_status(301));
        }
        let status = if roll > 0.97 {
            404
        } else if roll > 0.87 {
            304
        } else {
            0
        };
        // Crawlers follow pagination links a lot.
        let query = if page.section && rng.chance(0.4) {
            Query::PageNo(rng.range(2, 40) as u16)
        } else {
            Query::None
        };
        self.queue.push(Req {
            query,
            ..Req::get(Target::Page(p), Ref::None).with_status(status)
        });
        if page.n_img > 0 && rng.chance(0.1) {
            self.queue
                .push(Req::get(Target::Static(page.img), Ref::None));
        }
    }

    fn plan_tool(&mut self, site: &Site, rng: &mut Rng) {
        let roll = if self.ua == UPTIME_ROBOT {
            0
        } else {
            rng.below(100)
        };
        let req = match roll {
            // Uptime checks.
            0..20 => Req {
                method: Method::Head,
                ..Req::get(Target::Page(0), Ref::None)
            },
            20..65 => Req::get(Target::ApiItem(site.items.sample(rng) as u32), Ref::None),
            65..80 => Req {
                query: Query::ApiList {
                    page: rng.range(1, 20) as u16,
                    sort: rng.below(3) as u8,
                },
                ..Req::get(Target::ApiList, Ref::None)
            },
            80..90 => {
                let r = Req::get(Target::Fixed("/feed.xml", 48_310), Ref::None);
                if rng.chance(0.3) {
                    r.with_status(304)
                } else {
                    r
                }
            }
            90..95 => Req {
                method: Method::Post,
                ..Req::get(Target::ApiList, Ref::None).with_status(403)
            },
            _ => Req::get(Target::Page(site.crawl.sample(rng) as u32), Ref::None),
        };
        self.queue.push(req);
    }

    fn plan_scanner(&mut self, rng: &mut Rng) {
        if self.first && rng.chance(0.4) {
            self.queue.push(Req::get(Target::Page(0), Ref::None));
        }
        let i = rng.index(PROBES.len());
        let method = if PROBES[i].0.ends_with(".php") && rng.chance(0.5) {
            Method::Post
        } else {
            Method::Get
        };
        self.queue.push(Req {
            method,
            ..Req::get(Target::Probe(i as u16), Ref::None)
        });
    }
}

/// Tracking parameters that arrive with the first page of a visit.
fn entry_query(entry: Ref, rng: &mut Rng) -> Query {
    let Ref::Ext(i) = entry else {
        // Direct visits: typed or bookmarked, a few from a newsletter.
        return if rng.chance(0.06) {
            Query::Utm(0)
        } else {
            Query::None
        };
    };
    let (kind, _, url) = REFERRERS[usize::from(i)];
    match kind {
        RefKind::Social if rng.chance(0.5) => {
            if url.contains("facebook") && rng.chance(0.5) {
                Query::Utm(1)
            } else if url.contains("facebook") || url.contains("instagram") {
                Query::Click {
                    google: false,
                    seed: rng.next_u64(),
                }
            } else if url.contains("linkedin") {
                Query::Utm(2)
            } else if url.contains("t.co") {
                Query::Utm(3)
            } else if url.contains("bsky") {
                Query::Utm(4)
            } else {
                Query::None
            }
        }
        RefKind::Search if rng.chance(0.05) => Query::Click {
            google: true,
            seed: rng.next_u64(),
        },
        _ => Query::None,
    }
}

/// A public-looking IPv4 address: no private, loopback, link-local,
/// CGNAT, documentation, benchmarking or multicast space.
fn ipv4(h: &mut Rng) -> [u8; 4] {
    loop {
        let a = h.range(1, 223) as u8;
        let b = h.below(256) as u8;
        let public = match a {
            10 | 127 => false,
            100 => !(64..128).contains(&b),
            169 => b != 254,
            172 => !(16..32).contains(&b),
            192 => b != 168 && b != 0,
            198 => !(18..20).contains(&b) && b != 51,
            203 => b != 0,
            _ => true,
        };
        if public {
            return [a, b, h.below(256) as u8, h.range(1, 254) as u8];
        }
    }
}

fn ipv6(h: &mut Rng) -> [u16; 8] {
    let [p0, p1] = V6_PREFIXES[h.index(V6_PREFIXES.len())];
    let mut g = [
        p0,
        p1,
        h.below(0x1_0000) as u16,
        h.below(0x100) as u16,
        0,
        0,
        0,
        0,
    ];
    match h.below(20) {
        // Servers and static assignments: a small interface id.
        0..5 => g[7] = 1 + h.below(0x200) as u16,
        // EUI-64 from a MAC address.
        5..9 => {
            g[4] = h.below(0x1_0000) as u16 & !0x0100;
            g[5] = (h.below(0x100) as u16) << 8 | 0x00ff;
            g[6] = 0xfe00 | h.below(0x100) as u16;
            g[7] = h.below(0x1_0000) as u16;
        }
        // Privacy extensions: random.
        _ => {
            for x in &mut g[4..] {
                *x = h.below(0x1_0000) as u16;
            }
        }
    }
    g
}

// ---------------------------------------------------------------------------
// Writing lines

/// Where the fields of the line just written sit in the buffer, so that a
/// malformed variant can be cut out of a well-formed line.
struct Fields {
    start: usize,
    date_open: usize,
    date_close: usize,
    req_open: usize,
    req_close: usize,
    bytes_end: usize,
    ua_open: usize,
    ua_close: usize,
}

struct Gen {
    site: Site,
    rng: Rng,
    key: u64,
    clients: Zipf,
    slots: Vec<Session>,
    cur: usize,
    date: DateCache,
    buf: Vec<u8>,
    wide: Wide,
}

impl Gen {
    fn new(cfg: &GenConfig) -> Self {
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
    fn line(&mut self, t: i64, bad_date: Option<u64>) -> Fields {
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
    fn malformed_line(&mut self, t: i64) {
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
                push2(buf, s / 3600);
                buf.push(b':');
                push2(buf, s / 60 % 60);
                buf.push(b':');
                push2(buf, s % 60);
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

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn dates_render_like_apache() {
        let mut d = DateCache::new();
        assert_eq!(d.get(DEFAULT_START), b"01/Mar/2026:00:00:00 +0000");
        assert_eq!(d.get(0), b"01/Jan/1970:00:00:00 +0000");
        assert_eq!(d.get(951_868_799), b"29/Feb/2000:23:59:59 +0000");
        assert_eq!(d.get(-1), b"31/Dec/1969:23:59:59 +0000");
    }

    #[test]
    fn tables_are_consistent() {
        assert!(
            TOP_AGENTS
                .iter()
                .all(|ua| AGENTS.iter().any(|a| a.3 == *ua))
        );
        assert!((50..80).contains(&AGENTS.len()));
        for text in AGENTS
            .iter()
            .map(|a| a.3)
            .chain(REFERRERS.iter().map(|r| r.2))
        {
            assert!(
                !text.is_empty() && !text.contains(['"', '\\', '\n']),
                "{text}"
            );
        }
        for (path, _) in PROBES {
            assert!(
                path.starts_with('/') && !path.contains([' ', '"']),
                "{path}"
            );
        }
    }

    #[test]
    fn zipf_stays_in_range_and_is_skewed() {
        let mut rng = Rng::new(5);
        for s in [0.35, 0.95, 1.0, 1.1] {
            let z = Zipf::new(1_000, s);
            let mut top = 0;
            for _ in 0..10_000 {
                let r = z.sample(&mut rng);
                assert!(r < 1_000);
                top += usize::from(r < 10);
            }
            assert!(top > 100, "s = {s}: {top} draws in the top 1%");
        }
    }
}
