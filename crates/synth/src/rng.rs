//! The random stream and the laws drawn from it.
//!
//! One SplitMix64 stream drives the whole generator, so output is a pure
//! function of the config; owning the algorithm (rather than using a crate)
//! keeps the bytes stable across dependency updates. The Zipf law is the
//! continuous power-law inverse CDF — one `powf` per draw, no tables — at
//! the price of slightly under-weighting the very first ranks compared to a
//! discrete Zipf, which a benchmark does not notice.

/// SplitMix64: tiny, fast, and good enough for synthetic data; owning it
/// keeps the output independent of any crate's or std's algorithm choices.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is far below
    /// anything a benchmark could notice). `n` must be non-zero.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(u64::from(hi - lo) + 1) as u32
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Number of successes before the first failure, capped.
    pub(crate) fn geometric(&mut self, p_continue: f64, cap: u32) -> u32 {
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
pub(crate) struct Zipf {
    pub(crate) n: u64,
    /// `(n + 1)^(1 - s) - 1`, or `ln(n + 1)` when `s == 1`.
    a: f64,
    /// `1 / (1 - s)`, or zero when `s == 1`.
    inv: f64,
}

impl Zipf {
    pub(crate) fn new(n: u64, s: f64) -> Self {
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

    pub(crate) fn sample(&self, rng: &mut Rng) -> u64 {
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
pub(crate) struct Weighted {
    cum: Vec<u64>,
}

impl Weighted {
    pub(crate) fn new(weights: impl Iterator<Item = u32>) -> Self {
        let mut total = 0u64;
        let cum = weights
            .map(|w| {
                total += u64::from(w);
                total
            })
            .collect();
        Self { cum }
    }

    pub(crate) fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.cum.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let r = rng.below(total);
        self.cum.partition_point(|&c| c <= r)
    }
}

pub(crate) fn log_uniform(rng: &mut Rng, lo: u32, hi: u32) -> u32 {
    let (lo, hi) = (f64::from(lo).ln(), f64::from(hi).ln());
    (lo + rng.f64() * (hi - lo)).exp() as u32
}

pub(crate) fn pick<'a>(rng: &mut Rng, list: &[&'a str]) -> &'a str {
    list[rng.index(list.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn zipf_stays_in_range_and_is_skewed() {
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
