//! The OpenDP layer of the differential-privacy mode: the only place noise is drawn.
//!
//! Two measurements, both built once per table and release and then invoked on every row, each
//! with a choice of noise ([`Mechanism`]):
//!
//! - [`ThresholdCounts`]: noisy people counts with partition selection, OpenDP's
//!   `make_laplace_threshold` (discrete Laplace) or `make_gaussian_threshold` (discrete Gaussian)
//!   over a map `row index -> bounded count`. A row is released only when its noisy count reaches
//!   a threshold, so the *set* of published rows is private too, at the price of a δ: the
//!   probability that a row only one visitor could have created shows up at all.
//! - [`NoisySums`]: noisy sums of rows already selected (their keys are public by then), OpenDP's
//!   `make_laplace` or `make_gaussian` over a vector of integers.
//!
//! Laplace or Gaussian. A person counts in up to `max_rows` rows (l0), at most `per_row` in each
//! (l∞). Laplace noise grows with the L1 norm of that change, `max_rows · per_row`; Gaussian noise
//! with the L2 norm, `√max_rows · per_row`. With many rows per person the Gaussian needs much
//! less noise and a much lower threshold (about half at `max_rows` = 15), at the price of a δ
//! spent on the noise itself too, not only on the threshold. With one or two rows per person and
//! small ε, Laplace wins.
//!
//! Calibration uses OpenDP's own privacy maps, never a formula of ours alone: formulas only give
//! starting points. Laplace: the scale starts from sensitivity / ε and is nudged up by ulps until
//! the map agrees; the threshold is the smallest one whose δ, per the map, is within budget.
//! Gaussian: OpenDP's maps give ρ (zero-concentrated DP) for the noise and a δ for the threshold;
//! `make_zCDP_to_approxDP` turns ρ into a privacy profile (ε as a function of δ) and
//! `make_fix_delta` reads ε off it at the δ the threshold leaves over. The table's δ is split
//! between the threshold and that conversion: each of nine splits (10% .. 90% to the threshold) is
//! calibrated (σ searched so the profile's ε at the conversion's share is within the asked ε,
//! then the smallest threshold within the threshold's share) and the one with the lowest
//! threshold is kept (ties: smaller σ). Whatever δ the threshold leaves unused goes to the
//! conversion, so the final ε, read from `make_fix_delta` at the whole δ, is at most the asked.
//!
//! A table spends its budget on both measurements. Under Laplace their ε add (pure DP composes
//! by adding, and OpenDP's Laplace sums spend no δ), so `people_share` of ε goes to the counts,
//! the rest to the sums, and all of δ to the threshold ([`TableNoise`]). Under the Gaussian both
//! measurements are zero-concentrated, and ρ composes more tightly than (ε, δ): converting each
//! part's ρ to (ε, δ) and adding pays the conversion's slack twice, converting the sum once pays
//! it once. So the table's two Gaussian measurements are calibrated jointly: the counts' map gives
//! (ρ_c, δ_thr) (`Approximate<ZeroConcentratedDivergence>`), the sums' map ρ_s (lifted to
//! `(ρ_s, 0)` by `make_approximate`); OpenDP's composition rule for that measure
//! (`CompositionMeasure::compose`, the map of `make_composition`: ρ's add, δ's add) gives
//! (ρ_c + ρ_s, δ_thr); that is converted once (`ConcentratedMeasure::convert`, the map of
//! `make_zCDP_to_approxDP`) and ε read at the whole δ (`FixDeltaMeasure::fix_delta`, the map of
//! `make_fix_delta`: the profile is read at δ - δ_thr). `make_composition` itself needs one input
//! domain and metric for every part, and ours differ (a map of counts under `L02InfDistance`, a
//! vector of sums under `L2Distance`), hence its map's three steps called directly. The sums run
//! after the counts on the rows they selected: an adaptive sequential composition, which
//! OpenDP's rule for approximate zCDP allows (`Composability::Sequential` for every adaptivity).
//! `people_share` then splits ρ, not ε: σ_c and σ_s are set so that ρ_c = share · ρ and
//! ρ_s = (1 - share) · ρ. The search is the one above over nineteen splits of δ (5% .. 95% to the
//! threshold), one common scale for both σ's, then a search that lowers σ_c (and σ_s with it)
//! at the best threshold as far as the whole δ allows.
//!
//! OpenDP's threshold maps take (l0, lp, l∞) = (rows one person changes, L1 or L2 change, change
//! per row), tighten lp to at most the bound l0 and l∞ imply (l0·l∞ for L1, √l0·l∞ for L2) and
//! l∞ to at most lp, and spend δ = 1 - (1 - δ₁)^l0 where δ₁ bounds the chance that one row of
//! count l∞ passes. We pass l1 = l0·l∞ for both: the Gaussian map tightens it to √l0·l∞ itself.
//! The f64 rounding floors δ near 1.1e-16·l0: smaller budgets are refused
//! ([`DpError::DeltaTooSmall`]).
//!
//! **OpenDP 0.16 under-reports δ by one step of the threshold** (opendp/opendp#2922): its
//! threshold function keeps counts `>= threshold`, while its privacy map bounds the probability
//! of noise strictly *above* `threshold - l∞`, leaving out the mass exactly at the threshold. We
//! therefore account δ with the map of the same noise at `threshold - 1` (that is exactly the
//! event "noisy count ≥ threshold"), and release with `threshold`. With ε = 1 the uncorrected
//! figure would be about e¹ ≈ 2.7 times too small. The Gaussian threshold has the same flaw: the
//! release keeps `>= threshold` (the same generic function), and its map bounds
//! P(Z > threshold - l∞) by the continuous tail P(N ≥ threshold - l∞), which by CKS20
//! Proposition 25 bounds the discrete P(Z ≥ threshold - l∞ + 1) only. The same correction applies
//! and is applied; the tests measure the gap: OpenDP's figure is 1.3 to 2.8 times below the
//! exact chance of a count of 1 passing at the thresholds they build.
//!
//! Carrier types: counts are `u64` in and out (noisy counts below zero cannot pass a threshold of
//! at least 2, and a noisy count above `u64::MAX` saturates to it); sums are `i64` (a sum above
//! `i64::MAX` is clamped to it before noise, which can only lower sensitivity, and a noisy result
//! beyond the range saturates). Sampling is exact: OpenDP converts to big integers and draws with
//! big-rational arithmetic (CKS20), so nothing leaks through floating-point gaps.
//!
//! Randomness: this crate builds OpenDP without the `use-openssl` feature, so OpenDP draws from
//! `rand::thread_rng`, a CSPRNG seeded from the operating system. There is no seed to fix:
//! repeating a release must be done by storing its output, and the tests are statistical.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use opendp::combinators::{
    CompositionMeasure, ConcentratedMeasure, FixDeltaMeasure, make_approximate, make_fix_delta,
    make_zCDP_to_approxDP,
};
use opendp::core::Measurement;
use opendp::domains::{AtomDomain, MapDomain, VectorDomain};
use opendp::measurements::{
    make_gaussian, make_gaussian_threshold, make_laplace, make_laplace_threshold,
};
use opendp::measures::{
    Approximate, MaxDivergence, PrivacyProfile, SmoothedMaxDivergence, ZeroConcentratedDivergence,
};
use opendp::metrics::{AbsoluteDistance, L1Distance, L01InfDistance, L2Distance, L02InfDistance};
use opendp::traits::{InfCast, InfMul, InfSqrt, InfSub};

#[cfg(test)]
mod tests;

/// Which noise a release adds. Laplace noise grows with the L1 norm of one person's change
/// (`max_rows · per_row`), Gaussian noise with its L2 norm (`√max_rows · per_row`): the
/// Gaussian pays off when a person may count in many rows (module doc).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// OpenDP's discrete Laplace: pure ε for the noise, δ only for the threshold.
    #[default]
    Laplace,
    /// OpenDP's discrete Gaussian: zero-concentrated DP converted to (ε, δ), so the noise spends
    /// part of δ too.
    Gaussian,
}

/// Why a DP measurement could not be built or run (wraps OpenDP's error text; no CLI flag names).
#[derive(Debug, thiserror::Error)]
pub enum DpError {
    /// A privacy parameter or contribution bound is out of its valid range.
    #[error("{name} must be {expected}, got {value}")]
    Parameter {
        /// Which parameter (epsilon, delta, max_rows, ...).
        name: &'static str,
        /// The valid range, in words.
        expected: &'static str,
        /// The value given.
        value: String,
    },
    /// `max_rows * per_row` does not fit in 64 bits.
    #[error("contribution bounds overflow: {max_rows} rows of at most {per_row} each")]
    BoundsOverflow {
        /// Rows one person may change.
        max_rows: u32,
        /// How much one person may change one row.
        per_row: u64,
    },
    /// No threshold reaches the asked δ: OpenDP's accounting rounds in f64 and cannot certify
    /// a δ much below about 1e-16 times the number of rows one person may change.
    #[error("delta {0:e} is too small for OpenDP's accounting to certify at these bounds")]
    DeltaTooSmall(f64),
    /// A row index appears twice in one release, which would break the sensitivity bound.
    #[error("row {0} is given twice in one release")]
    DuplicateRow(u32),
    /// OpenDP refused to build or run a measurement.
    #[error("OpenDP: {0}")]
    OpenDp(String),
}

impl From<opendp::error::Error> for DpError {
    fn from(e: opendp::error::Error) -> Self {
        // OpenDP's Display shows only the variant; the message says what went wrong.
        match e.message {
            Some(message) => DpError::OpenDp(format!("{:?}: {message}", e.variant)),
            None => DpError::OpenDp(format!("{:?}", e.variant)),
        }
    }
}

type CountDomain = MapDomain<AtomDomain<u32>, AtomDomain<u64>>;

type CountMeasurement = Measurement<
    CountDomain,
    L01InfDistance<AbsoluteDistance<u64>>,
    Approximate<MaxDivergence>,
    HashMap<u32, u64>,
>;

type GaussCountMeasurement = Measurement<
    CountDomain,
    L02InfDistance<AbsoluteDistance<u64>>,
    Approximate<ZeroConcentratedDivergence>,
    HashMap<u32, u64>,
>;

type SumDomain = VectorDomain<AtomDomain<i64>>;

type SumMeasurement = Measurement<SumDomain, L1Distance<u64>, MaxDivergence, Vec<i64>>;

type GaussSumMeasurement =
    Measurement<SumDomain, L2Distance<f64>, ZeroConcentratedDivergence, Vec<i64>>;

/// Noisy people counts with partition selection: a row is released only when its noisy count
/// reaches a threshold. OpenDP's `make_laplace_threshold` (discrete Laplace, input metric
/// `L01InfDistance<AbsoluteDistance<u64>>`, output `Approximate<MaxDivergence>`) or
/// `make_gaussian_threshold` (discrete Gaussian, `L02InfDistance<AbsoluteDistance<u64>>`,
/// `Approximate<ZeroConcentratedDivergence>`, accounted in (ε, δ) through
/// `make_zCDP_to_approxDP` and `make_fix_delta`) over a map of integer counts. Built once per
/// table and release (calibration evaluates the maps some 40 times for Laplace, about 1 ms, and
/// some dozens for each of the Gaussian's splits of δ), reused for every partition.
///
/// It keeps the calibrated parameters, not OpenDP's `Measurement`: that holds `Arc<dyn Fn>`
/// without `Send`/`Sync`, so rebuilding it in each [`release`](Self::release) (about 0.7 µs)
/// is what lets this type be shared across threads. Pass all rows of a table in one call.
#[derive(Debug, Clone)]
pub struct ThresholdCounts {
    mechanism: Mechanism,
    scale: f64,
    threshold: u64,
    epsilon: f64,
    delta: f64,
}

impl ThresholdCounts {
    /// The Laplace measurement: [`with`](Self::with) and [`Mechanism::Laplace`].
    pub fn new(max_rows: u32, per_row: u64, epsilon: f64, delta: f64) -> Result<Self, DpError> {
        Self::with(Mechanism::Laplace, max_rows, per_row, epsilon, delta)
    }

    /// Each person changes at most `max_rows` rows (l0), each by at most `per_row` (l∞).
    /// Calibrates the noise scale and the smallest threshold so that the release spends at most
    /// (`epsilon`, `delta`) per OpenDP's privacy maps (corrected for opendp/opendp#2922; for the
    /// Gaussian, δ split between threshold and noise as the module doc says). Refuses
    /// epsilon <= 0, delta <= 0 or >= 1, max_rows == 0, per_row == 0 and non-finite values.
    pub fn with(
        mechanism: Mechanism,
        max_rows: u32,
        per_row: u64,
        epsilon: f64,
        delta: f64,
    ) -> Result<Self, DpError> {
        check_epsilon(epsilon)?;
        check_delta(delta)?;
        let l1 = l1_bound(max_rows, per_row)?;
        let d_in = (max_rows, l1, per_row);
        match mechanism {
            Mechanism::Laplace => laplace_counts(d_in, epsilon, delta),
            Mechanism::Gaussian => gaussian_counts(d_in, epsilon, delta),
        }
    }

    /// The noise it adds.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The noise scale: for Laplace as OpenDP defines it, P(Z = z) ∝ exp(-|z| / scale); for the
    /// Gaussian σ, P(Z = z) ∝ exp(-z² / 2σ²).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The threshold a noisy count must reach (>=) to be released.
    pub fn threshold(&self) -> u64 {
        self.threshold
    }

    /// What the measurement spends for the bounds it was built for, from OpenDP's maps:
    /// (ε, δ), each <= what was asked. δ is the corrected figure (module doc); for the Gaussian
    /// it is the whole δ asked (what the threshold leaves, the conversion of ρ uses).
    pub fn spent(&self) -> (f64, f64) {
        (self.epsilon, self.delta)
    }

    /// Releases `counts` (row index -> exact bounded count): the rows whose noisy count reaches
    /// the threshold, with their noisy counts, sorted by row index.
    ///
    /// Candidates are the rows someone contributed to: rows with count 0 are skipped, never
    /// offered to selection (a row nobody contributed to is not a candidate, and offering every
    /// possible row would publish pure-noise rows at rate ≈ δ each). Counts must already be
    /// bounded (per row <= `per_row`, per person <= `max_rows` rows) by the caller; this function
    /// cannot check that. A row index given twice is refused.
    ///
    /// Exact samplers cost microseconds a row, and a day of pages has thousands of candidates,
    /// so the rows are released in chunks on rayon's threads. That is the same mechanism: each
    /// row's noise is drawn independently and compared with the threshold on its own, so the
    /// chunks' outputs together have exactly the distribution of one invocation over all rows.
    pub fn release(&self, counts: &[(u32, u64)]) -> Result<Vec<(u32, u64)>, DpError> {
        const CHUNK: usize = 512;
        let mut seen = HashSet::with_capacity(counts.len());
        for &(row, count) in counts {
            if count != 0 && !seen.insert(row) {
                return Err(DpError::DuplicateRow(row));
            }
        }
        let released = counts
            .par_chunks(CHUNK)
            .map(|chunk| {
                let input: HashMap<u32, u64> =
                    chunk.iter().copied().filter(|&(_, c)| c != 0).collect();
                Ok(match self.mechanism {
                    Mechanism::Laplace => {
                        count_measurement(self.scale, self.threshold)?.invoke(&input)?
                    }
                    Mechanism::Gaussian => {
                        gauss_count_measurement(self.scale, self.threshold)?.invoke(&input)?
                    }
                })
            })
            .collect::<Result<Vec<_>, DpError>>()?;
        let mut out: Vec<(u32, u64)> = released.into_iter().flatten().collect();
        out.sort_unstable_by_key(|&(row, _)| row);
        Ok(out)
    }
}

/// (l0, l1, l∞) of one person's change to a table of counts.
type CountBounds = (u32, u64, u64);

fn laplace_counts(d_in: CountBounds, epsilon: f64, delta: f64) -> Result<ThresholdCounts, DpError> {
    let (_, l1, per_row) = d_in;
    // ε does not depend on the threshold; any legal one (>= l∞) serves to read it.
    let (scale, epsilon) = calibrate_scale(l1, epsilon, |scale| {
        Ok(count_measurement(scale, per_row)?.map(&d_in)?.0)
    })?;
    let (threshold, spent_delta) = smallest_threshold(per_row, delta, |below| {
        Ok(count_measurement(scale, below)?.map(&d_in)?.1)
    })?;
    Ok(ThresholdCounts {
        mechanism: Mechanism::Laplace,
        scale,
        threshold,
        epsilon,
        delta: spent_delta,
    })
}

/// The Gaussian threshold: tries nine splits of δ between threshold and the conversion of ρ and
/// keeps the lowest threshold (ties: smaller σ). See the module doc.
fn gaussian_counts(
    d_in: CountBounds,
    epsilon: f64,
    delta: f64,
) -> Result<ThresholdCounts, DpError> {
    let (max_rows, _, per_row) = d_in;
    let l2 = l2_bound(max_rows, per_row)?;
    let mut best: Option<(u64, f64)> = None;
    let mut last_error = None;
    for tenths in 1..10u32 {
        let to_threshold = delta * f64::from(tenths) / 10.0;
        let to_noise = delta - to_threshold;
        // The profile's ε does not depend on the threshold; any legal one (>= l∞) serves.
        // ε at δ <= asked iff δ at ε <= δ (privacy profiles decrease); the profile's δ is
        // one evaluation where its ε is a bisection over δ, so this is what σ is searched on.
        let sigma = calibrate_sigma(l2, epsilon, to_noise, |sigma| {
            let m = make_zCDP_to_approxDP(gauss_count_measurement(sigma, per_row)?)?;
            Ok(m.map(&d_in)?.0.delta(epsilon)?)
        });
        let sigma = match sigma {
            Ok(sigma) => sigma,
            Err(e) => {
                last_error = Some(e);
                continue;
            }
        };
        match smallest_threshold(per_row, to_threshold, |below| {
            Ok(gauss_count_measurement(sigma, below)?.map(&d_in)?.1)
        }) {
            Ok((threshold, _)) => {
                if best.is_none_or(|best| (threshold, sigma) < best) {
                    best = Some((threshold, sigma));
                }
            }
            Err(e) => last_error = Some(e),
        }
    }
    let Some((threshold, sigma)) = best else {
        return Err(last_error.unwrap_or(DpError::DeltaTooSmall(delta)));
    };
    // The guarantee, read off OpenDP at the whole δ: the threshold's δ at `threshold - 1`
    // (opendp/opendp#2922), the rest of δ for converting ρ.
    let below = threshold - 1;
    let accounted = make_fix_delta(
        &make_zCDP_to_approxDP(gauss_count_measurement(sigma, below)?)?,
        delta,
    )?;
    let (spent_epsilon, spent_delta) = accounted.map(&d_in)?;
    if !(spent_epsilon <= epsilon && spent_delta <= delta) {
        return Err(DpError::OpenDp(format!(
            "the calibrated Gaussian threshold spends ({spent_epsilon}, {spent_delta}), \
             more than ({epsilon}, {delta})"
        )));
    }
    Ok(ThresholdCounts {
        mechanism: Mechanism::Gaussian,
        scale: sigma,
        threshold,
        epsilon: spent_epsilon,
        delta: spent_delta,
    })
}

/// The smallest threshold `t > l∞` whose δ is within `delta`, where `delta_at(t - 1)` is the δ
/// of releasing at `t` (opendp/opendp#2922: the map's δ one step lower) and decreases in its
/// argument. Exponential search, then bisection. Returns (t, δ of releasing at t).
fn smallest_threshold(
    per_row: u64,
    delta: f64,
    delta_at: impl Fn(u64) -> Result<f64, DpError>,
) -> Result<(u64, f64), DpError> {
    let too_small = || DpError::DeltaTooSmall(delta);
    let (mut fails, mut passes) = (None, per_row);
    let mut step = 1u64;
    while delta_at(passes)? > delta {
        fails = Some(passes);
        passes = per_row.checked_add(step).ok_or_else(too_small)?;
        step = step.checked_mul(2).ok_or_else(too_small)?;
    }
    if let Some(mut fails) = fails {
        while passes - fails > 1 {
            let mid = fails + (passes - fails) / 2;
            if delta_at(mid)? > delta {
                fails = mid;
            } else {
                passes = mid;
            }
        }
    }
    let spent = delta_at(passes)?;
    Ok((passes.checked_add(1).ok_or_else(too_small)?, spent))
}

fn count_measurement(scale: f64, threshold: u64) -> Result<CountMeasurement, DpError> {
    Ok(make_laplace_threshold(
        MapDomain::new(AtomDomain::default(), AtomDomain::default()),
        L01InfDistance::default(),
        scale,
        threshold,
        None,
    )?)
}

fn gauss_count_measurement(sigma: f64, threshold: u64) -> Result<GaussCountMeasurement, DpError> {
    Ok(make_gaussian_threshold(
        MapDomain::new(AtomDomain::default(), AtomDomain::default()),
        L02InfDistance::default(),
        sigma,
        threshold,
        None,
    )?)
}

/// Noisy sums of rows already selected (public keys): OpenDP's `make_laplace` over a vector of
/// integers (`i64`) with `L1Distance<u64>`, `MaxDivergence`, or `make_gaussian` with
/// `L2Distance<f64>`, `ZeroConcentratedDivergence`, accounted in (ε, δ) through
/// `make_zCDP_to_approxDP` and `make_fix_delta`. Like [`ThresholdCounts`], it keeps the
/// calibrated scale and rebuilds OpenDP's measurement per release, so it is `Send + Sync`.
#[derive(Debug, Clone)]
pub struct NoisySums {
    mechanism: Mechanism,
    scale: f64,
    epsilon: f64,
    delta: f64,
}

impl NoisySums {
    /// The Laplace sums for `l1`, how much one person can change the whole vector (max_rows *
    /// max per row). Spends `epsilon` (at most; exactly as OpenDP's map reports it). Refuses
    /// l1 == 0 and epsilon <= 0 or non-finite.
    pub fn new(l1: u64, epsilon: f64) -> Result<Self, DpError> {
        check_epsilon(epsilon)?;
        if l1 == 0 {
            return Err(bad("l1", "at least 1", l1));
        }
        let (scale, epsilon) =
            calibrate_scale(l1, epsilon, |scale| Ok(sum_measurement(scale)?.map(&l1)?))?;
        Ok(NoisySums {
            mechanism: Mechanism::Laplace,
            scale,
            epsilon,
            delta: 0.0,
        })
    }

    /// Sums a person changes in at most `max_rows` entries, each by at most `per_row`: L1
    /// sensitivity `max_rows · per_row` for Laplace, L2 sensitivity `√max_rows · per_row` for
    /// the Gaussian. Laplace spends `epsilon` and no δ (`delta` is ignored); the Gaussian's σ is
    /// calibrated (`calibrate_sigma`) so that OpenDP's ε at `delta` is at most `epsilon`. Refuses
    /// max_rows == 0, per_row == 0, epsilon <= 0 or non-finite, and for the Gaussian delta
    /// outside (0, 1).
    pub fn with(
        mechanism: Mechanism,
        max_rows: u32,
        per_row: u64,
        epsilon: f64,
        delta: f64,
    ) -> Result<Self, DpError> {
        check_epsilon(epsilon)?;
        check_bounds(max_rows, per_row)?;
        if mechanism == Mechanism::Laplace {
            return Self::new(l1_bound(max_rows, per_row)?, epsilon);
        }
        check_delta(delta)?;
        let l2 = l2_bound(max_rows, per_row)?;
        let profile = |sigma: f64| {
            Ok::<_, DpError>(make_zCDP_to_approxDP(gauss_sum_measurement(sigma)?)?.map(&l2)?)
        };
        // As for the threshold: search on the profile's δ at ε, one evaluation each.
        let sigma = calibrate_sigma(l2, epsilon, delta, |sigma| {
            Ok(profile(sigma)?.delta(epsilon)?)
        })?;
        let (spent_epsilon, spent_delta) = make_fix_delta(
            &make_zCDP_to_approxDP(gauss_sum_measurement(sigma)?)?,
            delta,
        )?
        .map(&l2)?;
        if !(spent_epsilon <= epsilon && spent_delta <= delta) {
            return Err(DpError::OpenDp(format!(
                "the calibrated Gaussian sums spend ({spent_epsilon}, {spent_delta}), \
                 more than ({epsilon}, {delta})"
            )));
        }
        let (epsilon, delta) = (spent_epsilon, spent_delta);
        Ok(NoisySums {
            mechanism,
            scale: sigma,
            epsilon,
            delta,
        })
    }

    /// The noise it adds.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The noise scale: the discrete Laplace's scale (as OpenDP defines it) or the discrete
    /// Gaussian's σ.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The (ε, δ) this measurement spends, from OpenDP's maps (δ = 0 for Laplace).
    pub fn spent(&self) -> (f64, f64) {
        (self.epsilon, self.delta)
    }

    /// One noisy value per input value, same order. Values may come out negative:
    /// rounding and clamping are the caller's post-processing. Inputs above `i64::MAX` are
    /// clamped to it first.
    pub fn release(&self, values: &[u64]) -> Result<Vec<i64>, DpError> {
        let input: Vec<i64> = values
            .iter()
            .map(|&v| i64::try_from(v).unwrap_or(i64::MAX))
            .collect();
        Ok(match self.mechanism {
            Mechanism::Laplace => sum_measurement(self.scale)?.invoke(&input)?,
            Mechanism::Gaussian => gauss_sum_measurement(self.scale)?.invoke(&input)?,
        })
    }
}

/// A table's two measurements, calibrated together for one budget: the people counts with their
/// threshold and the requests' sums, and what they spend together (module doc).
#[derive(Debug, Clone)]
pub struct TableNoise {
    /// The people counts and the threshold.
    pub counts: ThresholdCounts,
    /// The requests of the selected rows.
    pub sums: NoisySums,
    /// What both spend together, from OpenDP's maps: (ε, δ), each <= what was asked.
    pub spent: (f64, f64),
}

impl TableNoise {
    /// The measurements of a table where one person counts in at most `max_rows` rows, once in
    /// each row's people count and with at most `max_requests` in each row's requests, spending
    /// at most (`epsilon`, `delta`) together. Laplace: `people_share` of ε to the counts, the
    /// rest to the sums, all of δ to the threshold, ε's added. Gaussian: calibrated jointly in
    /// zero-concentrated DP, `people_share` of ρ to the counts, the rest to the sums, converted
    /// to (ε, δ) once. Refuses `people_share` outside (0, 1) and what the parts refuse.
    pub fn new(
        mechanism: Mechanism,
        max_rows: u32,
        max_requests: u64,
        epsilon: f64,
        delta: f64,
        people_share: f64,
    ) -> Result<Self, DpError> {
        if !(people_share > 0.0 && people_share < 1.0) {
            return Err(bad("people_share", "> 0 and < 1", people_share));
        }
        match mechanism {
            Mechanism::Laplace => {
                let counts = ThresholdCounts::new(max_rows, 1, epsilon * people_share, delta)?;
                let sums = NoisySums::with(
                    mechanism,
                    max_rows,
                    max_requests,
                    epsilon * (1.0 - people_share),
                    0.0,
                )?;
                let ((e, d), (sum_e, sum_d)) = (counts.spent(), sums.spent());
                Ok(TableNoise {
                    counts,
                    sums,
                    spent: (e + sum_e, d + sum_d),
                })
            }
            Mechanism::Gaussian => {
                check_epsilon(epsilon)?;
                check_delta(delta)?;
                check_bounds(max_rows, max_requests)?;
                JointGaussian::new(max_rows, max_requests, people_share)?.calibrate(epsilon, delta)
            }
        }
    }
}

/// The Gaussian counts and sums of one table, both scaled by one factor `t`:
/// σ_c = t · l2_c / √share and σ_s = t · l2_s / √(1 - share), so that ρ_c ≈ share / 2t² and
/// ρ_s ≈ (1 - share) / 2t² (the maps give the exact figures) and ρ ≈ 1 / 2t².
struct JointGaussian {
    /// (l0, l1, l∞) of one person's change to the counts.
    d_in: CountBounds,
    /// L2 norm of one person's change to the sums.
    l2_sums: f64,
    /// l2_c / √share.
    counts_unit: f64,
    /// l2_s / √(1 - share).
    sums_unit: f64,
}

impl JointGaussian {
    fn new(max_rows: u32, max_requests: u64, share: f64) -> Result<Self, DpError> {
        let l2_counts = l2_bound(max_rows, 1)?;
        let l2_sums = l2_bound(max_rows, max_requests)?;
        Ok(JointGaussian {
            d_in: (max_rows, l1_bound(max_rows, 1)?, 1),
            l2_sums,
            counts_unit: l2_counts / share.sqrt(),
            sums_unit: l2_sums / (1.0 - share).sqrt(),
        })
    }

    /// (σ_c, σ_s) at scale factor `t`, each rounded up to 24 significant bits
    /// ([`short_sigma`]).
    fn sigmas(&self, t: f64) -> (f64, f64) {
        (
            short_sigma(t * self.counts_unit),
            short_sigma(t * self.sums_unit),
        )
    }

    /// The composition at `t` with the counts released at `threshold`, as approximate zCDP
    /// converted to (ε, δ): the privacy profile of ρ_c + ρ_s and the threshold's δ, both from
    /// OpenDP's maps (the threshold's read at `threshold - 1`, opendp/opendp#2922).
    fn profile(&self, t: f64, threshold: u64) -> Result<(PrivacyProfile, f64), DpError> {
        let (sigma_c, sigma_s) = self.sigmas(t);
        let below = threshold.saturating_sub(1).max(self.d_in.2);
        let counts = gauss_count_measurement(sigma_c, below)?.map(&self.d_in)?;
        let sums = make_approximate(gauss_sum_measurement(sigma_s)?)?.map(&self.l2_sums)?;
        let composed = Approximate(ZeroConcentratedDivergence).compose(vec![counts, sums])?;
        Ok(Approximate::<ZeroConcentratedDivergence>::convert(
            composed,
        )?)
    }

    /// How far the composition at `t`, the counts released at `threshold`, is from spending at
    /// most `epsilon` at `delta`, for [`narrow`]: ln of the profile's δ at ε over what the
    /// threshold leaves of δ (> 0: it does not fit; infinite when the threshold takes all of δ).
    /// One evaluation of the profile, where reading its ε is a bisection.
    fn gap(&self, t: f64, threshold: u64, epsilon: f64, delta: f64) -> Result<f64, DpError> {
        let (profile, threshold_delta) = self.profile(t, threshold)?;
        let left = delta.neg_inf_sub(&threshold_delta)?;
        if left <= 0.0 {
            return Ok(f64::INFINITY);
        }
        Ok(profile.delta(epsilon)?.ln() - left.ln())
    }

    /// (ε, δ) spent at `t` with the counts released at `threshold`, read at the whole `delta`.
    fn spent(&self, t: f64, threshold: u64, delta: f64) -> Result<(f64, f64), DpError> {
        let profile = self.profile(t, threshold)?;
        Ok(Approximate(SmoothedMaxDivergence).fix_delta(&profile, delta)?)
    }

    fn calibrate(&self, epsilon: f64, delta: f64) -> Result<TableNoise, DpError> {
        // Splits of δ: for each, the smallest t whose ρ converts within ε at the conversion's
        // share (the threshold is irrelevant to ρ: the smallest legal one, l∞ + 1, serves),
        // then the smallest threshold within the threshold's share at that σ_c.
        let lowest = self.d_in.2 + 1;
        let mut best: Option<(u64, f64)> = None;
        let mut last_error = None;
        for twentieths in 1..20u32 {
            let to_threshold = delta * f64::from(twentieths) / 20.0;
            let to_noise = delta - to_threshold;
            let t = calibrate_sigma(1.0, epsilon, to_noise, |t| {
                Ok(self.profile(t, lowest)?.0.delta(epsilon)?)
            });
            let found = t.and_then(|t| {
                let sigma_c = self.sigmas(t).0;
                let (threshold, _) = smallest_threshold(self.d_in.2, to_threshold, |below| {
                    Ok(gauss_count_measurement(sigma_c, below)?.map(&self.d_in)?.1)
                })?;
                Ok((threshold, t))
            });
            match found {
                // σ_c grows with t: the lexicographic order is (threshold, σ_c).
                Ok(candidate) => {
                    if best.is_none_or(|best| candidate < best) {
                        best = Some(candidate);
                    }
                }
                Err(e) => last_error = Some(e),
            }
        }
        let Some((threshold, fitting)) = best else {
            return Err(last_error.unwrap_or(DpError::DeltaTooSmall(delta)));
        };
        // The split left part of δ unused (the threshold is an integer): lower t at this
        // threshold until the whole δ is used. Below `floor` (all of δ to the conversion) nothing
        // fits; between, narrow down, `t` being a fitting value.
        let floor = calibrate_sigma(1.0, epsilon, delta, |t| {
            Ok(self.profile(t, lowest)?.0.delta(epsilon)?)
        })?;
        let gap = |t| self.gap(t, threshold, epsilon, delta);
        let g_floor = gap(floor)?;
        let t = match g_floor <= 0.0 {
            true => floor,
            false => narrow((floor, g_floor), (fitting, gap(fitting)?), gap)?,
        };
        let (spent_epsilon, spent_delta) = self.spent(t, threshold, delta)?;
        if !(spent_epsilon <= epsilon && spent_delta <= delta) {
            return Err(DpError::OpenDp(format!(
                "the calibrated Gaussian table spends ({spent_epsilon}, {spent_delta}), \
                 more than ({epsilon}, {delta})"
            )));
        }
        let (sigma_c, sigma_s) = self.sigmas(t);
        // Each part's own figure, were it released alone, read at the whole δ: what its
        // `spent` promises. The table's guarantee is the joint one.
        let counts_alone = make_fix_delta(
            &make_zCDP_to_approxDP(gauss_count_measurement(sigma_c, threshold - 1)?)?,
            delta,
        )?
        .map(&self.d_in)?;
        let sums_alone = make_fix_delta(
            &make_zCDP_to_approxDP(gauss_sum_measurement(sigma_s)?)?,
            delta,
        )?
        .map(&self.l2_sums)?;
        Ok(TableNoise {
            counts: ThresholdCounts {
                mechanism: Mechanism::Gaussian,
                scale: sigma_c,
                threshold,
                epsilon: counts_alone.0,
                delta: counts_alone.1,
            },
            sums: NoisySums {
                mechanism: Mechanism::Gaussian,
                scale: sigma_s,
                epsilon: sums_alone.0,
                delta: sums_alone.1,
            },
            spent: (spent_epsilon, spent_delta),
        })
    }
}

fn sum_measurement(scale: f64) -> Result<SumMeasurement, DpError> {
    Ok(make_laplace(
        VectorDomain::new(AtomDomain::default()),
        L1Distance::default(),
        scale,
        None,
    )?)
}

fn gauss_sum_measurement(sigma: f64) -> Result<GaussSumMeasurement, DpError> {
    Ok(make_gaussian(
        VectorDomain::new(AtomDomain::default()),
        L2Distance::default(),
        sigma,
        None,
    )?)
}

/// `sigma` rounded up to 24 significant bits. OpenDP's exact discrete Gaussian sampler computes
/// in rationals with σ as given: a float's full 53-bit mantissa makes σ² a two-word fraction, and
/// every sample about a fifth slower (measured: 4.2 against 3.5 µs at σ ≈ 21), while a 24-bit σ
/// keeps σ² within one word. The change is below one part in ten million, always more noise
/// (so never more spent than calibrated), rounding is monotone (so calibration still finds the
/// smallest fitting σ on this grid), and every figure is read from OpenDP's maps at this σ.
fn short_sigma(sigma: f64) -> f64 {
    if !(sigma.is_normal() && sigma > 0.0) {
        return sigma;
    }
    // A power of two: division and multiplication by it are exact.
    let unit = 2f64.powi(sigma.log2().floor() as i32 - 23);
    let rounded = (sigma / unit).ceil() * unit;
    if rounded.is_finite() { rounded } else { sigma }
}

/// Refuses bounds of zero rows or zero per row.
fn check_bounds(max_rows: u32, per_row: u64) -> Result<(), DpError> {
    if max_rows == 0 {
        return Err(bad("max_rows", "at least 1", max_rows));
    }
    if per_row == 0 {
        return Err(bad("per_row", "at least 1", per_row));
    }
    Ok(())
}

/// The L1 bound of a person who changes at most `max_rows` rows by at
/// most `per_row` each; refuses zero bounds and an overflow.
fn l1_bound(max_rows: u32, per_row: u64) -> Result<u64, DpError> {
    check_bounds(max_rows, per_row)?;
    u64::from(max_rows)
        .checked_mul(per_row)
        .ok_or(DpError::BoundsOverflow { max_rows, per_row })
}

/// √max_rows · per_row, rounded up (OpenDP's outward-rounding arithmetic): the L2 norm of one
/// person's change.
fn l2_bound(max_rows: u32, per_row: u64) -> Result<f64, DpError> {
    let per_row = f64::inf_cast(per_row)?;
    Ok(f64::from(max_rows).inf_sqrt()?.inf_mul(&per_row)?)
}

/// Half-width of a two-sided interval that holds the true (bounded) value with probability at
/// least `level`, for a discrete Laplace with this `scale`: the smallest integer `w` with
/// P(|Z| <= w) >= `level`. So the `level` interval is `noisy ± half_width(scale, level)`.
///
/// For P(Z = z) ∝ a^|z| with a = exp(-1/scale), P(|Z| > w) = 2 a^(w+1) / (1 + a).
/// Returns 0 for scale 0 or level <= 0, infinity for level >= 1, NaN for a NaN or negative
/// scale or a NaN level.
pub fn half_width(scale: f64, level: f64) -> f64 {
    half_width_for(Mechanism::Laplace, scale, level)
}

/// [`half_width`] for either mechanism: the smallest integer `w` with P(|Z| <= w) >= `level`
/// for the discrete Laplace of this scale or the discrete Gaussian of this σ.
///
/// The Gaussian has no closed form: the probabilities are summed exactly in f64 (about 10 σ
/// terms). Beyond σ = 10⁶ the discrete Gaussian is a normal distribution to far better than
/// one unit, so the width is the one at 10⁶ scaled by σ / 10⁶. Same edge cases as
/// [`half_width`].
pub fn half_width_for(mechanism: Mechanism, scale: f64, level: f64) -> f64 {
    if scale.is_nan() || scale < 0.0 || level.is_nan() {
        return f64::NAN;
    }
    if level >= 1.0 || scale == f64::INFINITY {
        return f64::INFINITY;
    }
    if scale == 0.0 || level <= 0.0 {
        return 0.0;
    }
    match mechanism {
        Mechanism::Laplace => {
            let a = (-1.0 / scale).exp();
            // w + 1 >= scale * ln(2 / ((1 - level) (1 + a)))
            let need = scale * (std::f64::consts::LN_2 - (-level).ln_1p() - a.ln_1p());
            (need - 1.0).ceil().max(0.0)
        }
        Mechanism::Gaussian => {
            const EXACT_UP_TO: f64 = 1e6;
            if scale > EXACT_UP_TO {
                let w = gaussian_half_width(EXACT_UP_TO, level);
                return (w * (scale / EXACT_UP_TO)).ceil();
            }
            gaussian_half_width(scale, level)
        }
    }
}

/// The smallest w with P(|Z| <= w) >= level for the discrete Gaussian of σ = `sigma` (finite,
/// > 0), by summing exp(-z² / 2σ²) over z.
fn gaussian_half_width(sigma: f64, level: f64) -> f64 {
    let weight = |z: f64| (-(z / sigma).powi(2) / 2.0).exp();
    // Terms beyond 40 σ are below e^-800: nothing in f64.
    let mut total = 1.0;
    let mut z = 1.0;
    loop {
        let w = weight(z);
        if w < total * 1e-18 {
            break;
        }
        total += 2.0 * w;
        z += 1.0;
    }
    let last = z;
    let target = level * total;
    let (mut covered, mut w) = (1.0, 0.0);
    // Rounding in the sums can leave `covered` a hair below `target` at the end: stop there.
    while covered < target && w < last {
        w += 1.0;
        covered += 2.0 * weight(w);
    }
    w
}

fn check_epsilon(epsilon: f64) -> Result<(), DpError> {
    if epsilon.is_finite() && epsilon > 0.0 {
        Ok(())
    } else {
        Err(bad("epsilon", "finite and > 0", epsilon))
    }
}

fn check_delta(delta: f64) -> Result<(), DpError> {
    if delta.is_finite() && delta > 0.0 && delta < 1.0 {
        Ok(())
    } else {
        Err(bad("delta", "finite, > 0 and < 1", delta))
    }
}

fn bad(name: &'static str, expected: &'static str, value: impl ToString) -> DpError {
    DpError::Parameter {
        name,
        expected,
        value: value.to_string(),
    }
}

/// The scale for `sensitivity / epsilon`, nudged up by ulps until OpenDP's map (`spend`, ε for
/// a scale) agrees it spends at most `epsilon` (the f64 division may round down; the map rounds
/// its exact rational up). Returns (scale, spent ε).
fn calibrate_scale(
    sensitivity: u64,
    epsilon: f64,
    spend: impl Fn(f64) -> Result<f64, DpError>,
) -> Result<(f64, f64), DpError> {
    let mut scale = sensitivity as f64 / epsilon;
    // A handful of ulps absorbs both roundings; more means something else is wrong.
    for _ in 0..16 {
        if !scale.is_finite() {
            break;
        }
        let spent = spend(scale)?;
        if spent <= epsilon {
            return Ok((scale, spent));
        }
        scale = scale.next_up();
    }
    Err(DpError::OpenDp(format!(
        "no noise scale found that spends at most epsilon {epsilon} for sensitivity {sensitivity}"
    )))
}

/// The smallest σ (to a relative 2e-9) whose Gaussian noise spends at most `epsilon` at `delta` by
/// OpenDP's maps: `delta_at(σ)` is the δ it spends at `epsilon`, which falls as σ grows. Starts
/// from the textbook conversion ρ ≈ (√(ln(1/δ) + ε) - √ln(1/δ))², σ ≈ `l2` / √(2ρ), brackets by
/// doubling or halving, then narrows the bracket on ln δ ([`narrow`]), which is smooth in σ: a
/// calibration runs this for every split of δ.
fn calibrate_sigma(
    l2: f64,
    epsilon: f64,
    delta: f64,
    delta_at: impl Fn(f64) -> Result<f64, DpError>,
) -> Result<f64, DpError> {
    let log = -delta.ln();
    let rho = ((log + epsilon).sqrt() - log.sqrt()).powi(2);
    let guess = l2 / (2.0 * rho).sqrt();
    let fails_to = || {
        DpError::OpenDp(format!(
            "no Gaussian noise found that spends at most epsilon {epsilon} at delta {delta}"
        ))
    };
    if !(guess.is_finite() && guess > 0.0) {
        return Err(fails_to());
    }
    // ln δ(σ) - ln δ: positive where σ does not fit.
    let gap = |sigma: f64| Ok::<_, DpError>(delta_at(sigma)?.ln() - delta.ln());
    let (mut lo, mut hi) = (guess, guess);
    let mut g_hi = gap(hi)?;
    let mut bracketed = false;
    for _ in 0..64 {
        if g_hi <= 0.0 {
            bracketed = true;
            break;
        }
        (lo, hi) = (hi, hi * 2.0);
        g_hi = gap(hi)?;
    }
    if !bracketed {
        return Err(fails_to());
    }
    let mut g_lo: f64;
    if lo == hi {
        // The guess fits: halve until something does not.
        loop {
            lo /= 2.0;
            if lo < hi * 1e-6 {
                return Err(fails_to());
            }
            g_lo = gap(lo)?;
            if g_lo > 0.0 {
                break;
            }
            (hi, g_hi) = (lo, g_lo);
        }
    } else {
        g_lo = gap(lo)?;
    }
    narrow((lo, g_lo), (hi, g_hi), gap)
}

/// The smallest fitting point between `lo`, which does not fit, and `hi`, which does, to a
/// relative 1e-9 (plus that much as a margin): `gap(x)` is > 0 where `x` does not fit, <= 0
/// where it does, and falls smoothly with `x` (a log of δ against the δ allowed); `g_lo` and
/// `g_hi` are its values at the ends.
///
/// Interpolates `gap` between the ends (regula falsi, with the Illinois rule so both ends move):
/// a handful of evaluations where bisection takes thirty. A step that fails to halve the
/// bracket is followed by a bisection, so it never takes more than twice bisection's steps, and
/// a value interpolation cannot use (infinite, NaN) falls back to bisection too.
fn narrow(
    (mut lo, mut g_lo): (f64, f64),
    (mut hi, mut g_hi): (f64, f64),
    gap: impl Fn(f64) -> Result<f64, DpError>,
) -> Result<f64, DpError> {
    // Which end the last step moved (Illinois: an end left twice has its value halved), and
    // whether the next step must bisect.
    let (mut moved_hi, mut moved_lo, mut bisect) = (0u32, 0u32, false);
    while hi / lo > 1.0 + 1e-9 {
        let width = hi - lo;
        let interpolated = hi - g_hi * width / (g_hi - g_lo);
        let mid = match bisect || !(interpolated > lo && interpolated < hi) {
            true => lo + width / 2.0,
            false => interpolated,
        };
        let g = gap(mid)?;
        if g <= 0.0 {
            (hi, g_hi) = (mid, g);
            (moved_hi, moved_lo) = (moved_hi + 1, 0);
            if moved_hi >= 2 {
                g_lo /= 2.0;
            }
        } else {
            (lo, g_lo) = (mid, g);
            (moved_hi, moved_lo) = (0, moved_lo + 1);
            if moved_lo >= 2 {
                g_hi /= 2.0;
            }
        }
        bisect = hi - lo > width / 2.0;
    }
    // Interpolation can land on the boundary to the last bit, where OpenDP's two readings of a
    // profile (δ at ε, searched here, and ε at δ, which the callers check) may disagree by an
    // ulp: the tolerance is kept as a margin.
    Ok(hi * (1.0 + 1e-9))
}
