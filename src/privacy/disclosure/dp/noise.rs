//! The OpenDP layer of the differential-privacy mode: the only place noise is drawn.
//!
//! Two measurements, both built once per table and release and then invoked on every row:
//!
//! - [`ThresholdCounts`]: noisy people counts with partition selection, OpenDP's
//!   `make_laplace_threshold` (discrete Laplace) over a map `row index -> bounded count`. A row is
//!   released only when its noisy count reaches a threshold, so the *set* of published rows is
//!   private too, at the price of a δ: the probability that a row only one visitor could have
//!   created shows up at all.
//! - [`NoisySums`]: noisy sums of rows already selected (their keys are public by then), OpenDP's
//!   `make_laplace` over a vector of integers.
//!
//! Calibration uses OpenDP's own privacy maps, never a formula of ours alone: the scale starts
//! from the Laplace formula (sensitivity / ε) and is nudged up by ulps until the map agrees; the
//! threshold is the smallest one whose δ, per the map, is within budget.
//!
//! OpenDP's threshold map takes (l0, l1, l∞) = (rows one person changes, total change, change
//! per row), tightens l1 to min(l1, l0·l∞) and l∞ to min(l∞, l1), spends ε = l1 / scale, and
//! δ = 1 - (1 - δ₁)^l0 where δ₁ bounds the chance that one row of count l∞ passes. Its f64
//! rounding floors δ near 1.1e-16·l0: smaller budgets are refused ([`DpError::DeltaTooSmall`]).
//!
//! **OpenDP 0.16 under-reports δ by one step of the threshold** (opendp/opendp#2922): its
//! threshold function keeps counts `>= threshold`, while its privacy map bounds the probability
//! of noise strictly *above* `threshold - l∞`, leaving out the mass exactly at the threshold. We
//! therefore account δ with the map of the same noise at `threshold - 1` (that is exactly the
//! event "noisy count ≥ threshold"), and release with `threshold`. With ε = 1 the uncorrected
//! figure would be about e¹ ≈ 2.7 times too small.
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

use std::collections::HashMap;

use opendp::core::Measurement;
use opendp::domains::{AtomDomain, MapDomain, VectorDomain};
use opendp::measurements::{make_laplace, make_laplace_threshold};
use opendp::measures::{Approximate, MaxDivergence};
use opendp::metrics::{AbsoluteDistance, L1Distance, L01InfDistance};

#[cfg(test)]
mod tests;

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

type CountMeasurement = Measurement<
    MapDomain<AtomDomain<u32>, AtomDomain<u64>>,
    L01InfDistance<AbsoluteDistance<u64>>,
    Approximate<MaxDivergence>,
    HashMap<u32, u64>,
>;

type SumMeasurement =
    Measurement<VectorDomain<AtomDomain<i64>>, L1Distance<u64>, MaxDivergence, Vec<i64>>;

/// Noisy people counts with partition selection: a row is released only when its noisy count
/// reaches a threshold. OpenDP's `make_laplace_threshold` (discrete Laplace) over a map of
/// integer counts, input metric `L01InfDistance<AbsoluteDistance<u64>>`, output measure
/// `Approximate<MaxDivergence>`. Built once per table and release (calibration evaluates the
/// map some 40 times, about 1 ms), reused for every partition.
///
/// It keeps the calibrated parameters, not OpenDP's `Measurement`: that holds `Arc<dyn Fn>`
/// without `Send`/`Sync`, so rebuilding it in each [`release`](Self::release) (about 0.7 µs)
/// is what lets this type be shared across threads. Pass all rows of a table in one call.
#[derive(Debug, Clone)]
pub struct ThresholdCounts {
    scale: f64,
    threshold: u64,
    epsilon: f64,
    delta: f64,
}

impl ThresholdCounts {
    /// Each person changes at most `max_rows` rows (l0), each by at most `per_row` (l∞;
    /// l1 = max_rows * per_row). Calibrates the noise scale to spend `epsilon` and the smallest
    /// threshold that keeps δ <= `delta`, per OpenDP's privacy map (corrected for
    /// opendp/opendp#2922, see the module doc). Refuses epsilon <= 0, delta <= 0 or >= 1,
    /// max_rows == 0, per_row == 0 and non-finite values.
    pub fn new(max_rows: u32, per_row: u64, epsilon: f64, delta: f64) -> Result<Self, DpError> {
        check_epsilon(epsilon)?;
        if !(delta.is_finite() && delta > 0.0 && delta < 1.0) {
            return Err(bad("delta", "finite, > 0 and < 1", delta));
        }
        if max_rows == 0 {
            return Err(bad("max_rows", "at least 1", max_rows));
        }
        if per_row == 0 {
            return Err(bad("per_row", "at least 1", per_row));
        }
        let l1 = u64::from(max_rows)
            .checked_mul(per_row)
            .ok_or(DpError::BoundsOverflow { max_rows, per_row })?;
        let d_in = (max_rows, l1, per_row);

        // ε does not depend on the threshold; any legal one (>= l∞) serves to read it.
        let (scale, epsilon) = calibrate_scale(l1, epsilon, |scale| {
            Ok(count_measurement(scale, per_row)?.map(&d_in)?.0)
        })?;

        // The δ of releasing at `t` is the map's δ at `t - 1` (opendp/opendp#2922). Find the
        // smallest `below = t - 1 >= l∞` within budget: exponential search, then bisection.
        let delta_at = |below: u64| -> Result<f64, DpError> {
            Ok(count_measurement(scale, below)?.map(&d_in)?.1)
        };
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
        let spent_delta = delta_at(passes)?;
        let threshold = passes.checked_add(1).ok_or_else(too_small)?;
        Ok(ThresholdCounts {
            scale,
            threshold,
            epsilon,
            delta: spent_delta,
        })
    }

    /// The noise scale (of the discrete Laplace distribution, as OpenDP defines it:
    /// P(Z = z) ∝ exp(-|z| / scale)).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The threshold a noisy count must reach (>=) to be released.
    pub fn threshold(&self) -> u64 {
        self.threshold
    }

    /// What the measurement spends for the bounds it was built for, from OpenDP's map:
    /// (ε, δ), each <= what was asked. δ is the corrected figure (module doc).
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
    pub fn release(&self, counts: &[(u32, u64)]) -> Result<Vec<(u32, u64)>, DpError> {
        let mut input = HashMap::with_capacity(counts.len());
        for &(row, count) in counts {
            if count != 0 && input.insert(row, count).is_some() {
                return Err(DpError::DuplicateRow(row));
            }
        }
        let measurement = count_measurement(self.scale, self.threshold)?;
        let mut out: Vec<(u32, u64)> = measurement.invoke(&input)?.into_iter().collect();
        out.sort_unstable_by_key(|&(row, _)| row);
        Ok(out)
    }
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

/// Noisy sums of rows already selected (public keys): OpenDP's `make_laplace` over a vector of
/// integers (`i64`) with `L1Distance<u64>`, `MaxDivergence`. Like [`ThresholdCounts`], it keeps
/// the calibrated scale and rebuilds OpenDP's measurement per release, so it is `Send + Sync`.
#[derive(Debug, Clone)]
pub struct NoisySums {
    scale: f64,
    epsilon: f64,
}

impl NoisySums {
    /// `l1`: how much one person can change the whole vector (max_rows * max per row).
    /// Spends `epsilon` (at most; exactly as OpenDP's map reports it). Refuses l1 == 0 and
    /// epsilon <= 0 or non-finite.
    pub fn new(l1: u64, epsilon: f64) -> Result<Self, DpError> {
        check_epsilon(epsilon)?;
        if l1 == 0 {
            return Err(bad("l1", "at least 1", l1));
        }
        let (scale, epsilon) =
            calibrate_scale(l1, epsilon, |scale| Ok(sum_measurement(scale)?.map(&l1)?))?;
        Ok(NoisySums { scale, epsilon })
    }

    /// The noise scale of the discrete Laplace distribution (as OpenDP defines it).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The ε this measurement spends, from OpenDP's map.
    pub fn spent(&self) -> f64 {
        self.epsilon
    }

    /// One noisy value per input value, same order. Values may come out negative:
    /// rounding and clamping are the caller's post-processing. Inputs above `i64::MAX` are
    /// clamped to it first.
    pub fn release(&self, values: &[u64]) -> Result<Vec<i64>, DpError> {
        let input: Vec<i64> = values
            .iter()
            .map(|&v| i64::try_from(v).unwrap_or(i64::MAX))
            .collect();
        Ok(sum_measurement(self.scale)?.invoke(&input)?)
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

/// Half-width of a two-sided interval that holds the true (bounded) value with probability at
/// least `level`, for a discrete Laplace with this `scale`: the smallest integer `w` with
/// P(|Z| <= w) >= `level`. So the `level` interval is `noisy ± half_width(scale, level)`.
///
/// For P(Z = z) ∝ a^|z| with a = exp(-1/scale), P(|Z| > w) = 2 a^(w+1) / (1 + a).
/// Returns 0 for scale 0 or level <= 0, infinity for level >= 1, NaN for a NaN or negative
/// scale or a NaN level.
pub fn half_width(scale: f64, level: f64) -> f64 {
    if scale.is_nan() || scale < 0.0 || level.is_nan() {
        return f64::NAN;
    }
    if level >= 1.0 || scale == f64::INFINITY {
        return f64::INFINITY;
    }
    if scale == 0.0 || level <= 0.0 {
        return 0.0;
    }
    let a = (-1.0 / scale).exp();
    // w + 1 >= scale * ln(2 / ((1 - level) (1 + a)))
    let need = scale * (std::f64::consts::LN_2 - (-level).ln_1p() - a.ln_1p());
    (need - 1.0).ceil().max(0.0)
}

fn check_epsilon(epsilon: f64) -> Result<(), DpError> {
    if epsilon.is_finite() && epsilon > 0.0 {
        Ok(())
    } else {
        Err(bad("epsilon", "finite and > 0", epsilon))
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
