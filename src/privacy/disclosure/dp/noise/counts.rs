//! Noisy people counts with partition selection ([`ThresholdCounts`]): the measurement that
//! decides which rows are published at all, so its threshold costs a δ (the parent module's doc
//! gives the accounting, corrected one threshold step lower for opendp/opendp#2922). Calibrated
//! here on its own: Laplace directly, the Gaussian by trying splits of δ between the threshold
//! and the conversion of ρ. A table's Gaussian counts are calibrated jointly with its sums in
//! `table` instead, which reuses the Gaussian measurement builder and the threshold search below.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use opendp::combinators::{make_fix_delta, make_zCDP_to_approxDP};
use opendp::core::Measurement;
use opendp::domains::{AtomDomain, MapDomain};
use opendp::measurements::{make_gaussian_threshold, make_laplace_threshold};
use opendp::measures::{Approximate, MaxDivergence, ZeroConcentratedDivergence};
use opendp::metrics::{AbsoluteDistance, L01InfDistance, L02InfDistance};

use super::calibrate::{
    calibrate_scale, calibrate_sigma, check_delta, check_epsilon, l1_bound, l2_bound,
};
use super::{DpError, Mechanism};

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
    pub(super) mechanism: Mechanism,
    pub(super) scale: f64,
    pub(super) threshold: u64,
    pub(super) epsilon: f64,
    pub(super) delta: f64,
}

impl ThresholdCounts {
    /// The Laplace measurement: [`with`](Self::with) and [`Mechanism::Laplace`].
    pub fn new(max_rows: u32, per_row: u64, epsilon: f64, delta: f64) -> Result<Self, DpError> {
        Self::with(Mechanism::Laplace, max_rows, per_row, epsilon, delta)
    }

    /// Each person changes at most `max_rows` rows (l0), each by at most `per_row` (l∞).
    /// Calibrates the noise scale and the smallest threshold so that the release spends at most
    /// (`epsilon`, `delta`) per OpenDP's privacy maps (corrected for opendp/opendp#2922; for the
    /// Gaussian, δ split between threshold and noise as the [module doc](super) says). Refuses
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
    /// (ε, δ), each <= what was asked. δ is the corrected figure ([module doc](super)); for the
    /// Gaussian it is the whole δ asked (what the threshold leaves, the conversion of ρ uses).
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
pub(super) type CountBounds = (u32, u64, u64);

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
/// keeps the lowest threshold (ties: smaller σ). See the [module doc](super).
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
pub(super) fn smallest_threshold(
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

pub(super) fn count_measurement(scale: f64, threshold: u64) -> Result<CountMeasurement, DpError> {
    Ok(make_laplace_threshold(
        MapDomain::new(AtomDomain::default(), AtomDomain::default()),
        L01InfDistance::default(),
        scale,
        threshold,
        None,
    )?)
}

pub(super) fn gauss_count_measurement(
    sigma: f64,
    threshold: u64,
) -> Result<GaussCountMeasurement, DpError> {
    Ok(make_gaussian_threshold(
        MapDomain::new(AtomDomain::default(), AtomDomain::default()),
        L02InfDistance::default(),
        sigma,
        threshold,
        None,
    )?)
}
