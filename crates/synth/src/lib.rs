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
//!
//! Layout, from the bottom up: `rng` (the random stream and the laws drawn
//! from it), `clock` (line position to second, date text), `write` (number
//! and address formatting), `vocab` (the constant tables), `site` (the
//! synthetic site built from the seed), `session` (one client's visit as a
//! queue of requests), `line` (the generator state and the text of a line,
//! well-formed or not), `wide` (the cardinality knobs) and `zoom` (the Zoom
//! export). This file holds only the public entry points.

mod clock;
mod line;
mod rng;
mod session;
mod site;
mod vocab;
mod wide;
mod write;
pub mod zoom;

#[cfg(test)]
mod tests;

use std::io::{self, Write};

use clock::Timeline;
use line::Gen;

/// 2026-03-01T00:00:00Z.
pub(crate) const DEFAULT_START: i64 = 1_772_323_200;
/// Output is handed to the writer in chunks of about this size, so an
/// unbuffered writer (a bare `File`) does not cost a syscall per line.
pub(crate) const FLUSH_AT: usize = 128 * 1024;

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
