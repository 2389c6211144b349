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
//!
//! Layout, lowest stage first: `calibrate` (parameter checks and the searches on OpenDP's maps),
//! `counts` ([`ThresholdCounts`]) and `sums` ([`NoisySums`]), each calibrated alone, `table`
//! ([`TableNoise`]: both calibrated together for one budget), and `interval` ([`half_width`],
//! [`half_width_for`]), which no measurement needs. This file holds what they all share:
//! [`Mechanism`] and [`DpError`].

mod calibrate;
mod counts;
mod interval;
mod sums;
mod table;

pub use counts::ThresholdCounts;
pub use interval::{half_width, half_width_for};
pub use sums::NoisySums;
pub use table::TableNoise;

#[cfg(test)]
mod tests;
// The unit tests (`use super::*`) also check the builders and bounds behind the public types,
// against OpenDP's maps read directly.
#[cfg(test)]
use {
    calibrate::{l2_bound, short_sigma},
    counts::{CountBounds, count_measurement, gauss_count_measurement},
    opendp::combinators::{
        CompositionMeasure, ConcentratedMeasure, FixDeltaMeasure, make_fix_delta,
        make_zCDP_to_approxDP,
    },
    opendp::measures::{Approximate, SmoothedMaxDivergence, ZeroConcentratedDivergence},
    sums::gauss_sum_measurement,
};

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
