//! A table's two measurements calibrated together for one budget ([`TableNoise`]). Under
//! Laplace their ε's add, so each part is calibrated on its own share. Under the Gaussian both
//! are zero-concentrated and calibrated jointly (`JointGaussian`): their ρ's are composed and
//! converted to (ε, δ) once, which pays the conversion's slack once instead of twice, at the
//! price of a search over splits of δ and a common scale for both σ's (the parent module's doc
//! gives each step). The highest stage: it builds on the counts, the sums and the calibration
//! searches, and only the parent module re-exports it.

use opendp::combinators::{
    CompositionMeasure, ConcentratedMeasure, FixDeltaMeasure, make_approximate, make_fix_delta,
    make_zCDP_to_approxDP,
};
use opendp::measures::{
    Approximate, PrivacyProfile, SmoothedMaxDivergence, ZeroConcentratedDivergence,
};
use opendp::traits::InfSub;

use super::calibrate::{
    bad, calibrate_sigma, check_bounds, check_delta, check_epsilon, l1_bound, l2_bound, narrow,
    short_sigma,
};
use super::counts::{CountBounds, ThresholdCounts, gauss_count_measurement, smallest_threshold};
use super::sums::{NoisySums, gauss_sum_measurement};
use super::{DpError, Mechanism};

/// A table's two measurements, calibrated together for one budget: the people counts with their
/// threshold and the requests' sums, and what they spend together ([module doc](super)).
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
