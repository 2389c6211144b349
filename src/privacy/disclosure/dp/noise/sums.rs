//! Noisy sums of rows already selected ([`NoisySums`]): their keys are public by then, so there
//! is no threshold and no δ for selection. Laplace spends pure ε; the Gaussian is calibrated
//! here on its own so that OpenDP's ε at the asked δ is within ε, or jointly with a table's
//! counts in `table`, which reuses the Gaussian measurement builder below.

use opendp::combinators::{make_fix_delta, make_zCDP_to_approxDP};
use opendp::core::Measurement;
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::{make_gaussian, make_laplace};
use opendp::measures::{MaxDivergence, ZeroConcentratedDivergence};
use opendp::metrics::{L1Distance, L2Distance};

use super::calibrate::{
    bad, calibrate_scale, calibrate_sigma, check_bounds, check_delta, check_epsilon, l1_bound,
    l2_bound,
};
use super::{DpError, Mechanism};

type SumDomain = VectorDomain<AtomDomain<i64>>;

type SumMeasurement = Measurement<SumDomain, L1Distance<u64>, MaxDivergence, Vec<i64>>;

type GaussSumMeasurement =
    Measurement<SumDomain, L2Distance<f64>, ZeroConcentratedDivergence, Vec<i64>>;

/// Noisy sums of rows already selected (public keys): OpenDP's `make_laplace` over a vector of
/// integers (`i64`) with `L1Distance<u64>`, `MaxDivergence`, or `make_gaussian` with
/// `L2Distance<f64>`, `ZeroConcentratedDivergence`, accounted in (ε, δ) through
/// `make_zCDP_to_approxDP` and `make_fix_delta`. Like [`ThresholdCounts`](super::ThresholdCounts),
/// it keeps the calibrated scale and rebuilds OpenDP's measurement per release, so it is
/// `Send + Sync`.
#[derive(Debug, Clone)]
pub struct NoisySums {
    pub(super) mechanism: Mechanism,
    pub(super) scale: f64,
    pub(super) epsilon: f64,
    pub(super) delta: f64,
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

fn sum_measurement(scale: f64) -> Result<SumMeasurement, DpError> {
    Ok(make_laplace(
        VectorDomain::new(AtomDomain::default()),
        L1Distance::default(),
        scale,
        None,
    )?)
}

pub(super) fn gauss_sum_measurement(sigma: f64) -> Result<GaussSumMeasurement, DpError> {
    Ok(make_gaussian(
        VectorDomain::new(AtomDomain::default()),
        L2Distance::default(),
        sigma,
        None,
    )?)
}
