//! The parameter checks and calibration searches every measurement shares: validating (ε, δ)
//! and contribution bounds, the L1 and L2 norms of one person's change, and the searches for the
//! smallest noise OpenDP's maps accept (`calibrate_scale` for Laplace, `calibrate_sigma` and
//! `narrow` for the Gaussian, `short_sigma` for a σ the sampler handles faster). The searches
//! take the maps as closures and build no measurement themselves, which keeps this the lowest
//! stage: the measurements call into it, never the other way round. The trade-off is time: a
//! formula only gives the starting point, and every figure returned is one a map agreed to, at
//! the price of some dozens of map evaluations per calibration.

use opendp::traits::{InfCast, InfMul, InfSqrt};

use super::DpError;

pub(super) fn check_epsilon(epsilon: f64) -> Result<(), DpError> {
    if epsilon.is_finite() && epsilon > 0.0 {
        Ok(())
    } else {
        Err(bad("epsilon", "finite and > 0", epsilon))
    }
}

pub(super) fn check_delta(delta: f64) -> Result<(), DpError> {
    if delta.is_finite() && delta > 0.0 && delta < 1.0 {
        Ok(())
    } else {
        Err(bad("delta", "finite, > 0 and < 1", delta))
    }
}

pub(super) fn bad(name: &'static str, expected: &'static str, value: impl ToString) -> DpError {
    DpError::Parameter {
        name,
        expected,
        value: value.to_string(),
    }
}

/// Refuses bounds of zero rows or zero per row.
pub(super) fn check_bounds(max_rows: u32, per_row: u64) -> Result<(), DpError> {
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
pub(super) fn l1_bound(max_rows: u32, per_row: u64) -> Result<u64, DpError> {
    check_bounds(max_rows, per_row)?;
    u64::from(max_rows)
        .checked_mul(per_row)
        .ok_or(DpError::BoundsOverflow { max_rows, per_row })
}

/// √max_rows · per_row, rounded up (OpenDP's outward-rounding arithmetic): the L2 norm of one
/// person's change.
pub(super) fn l2_bound(max_rows: u32, per_row: u64) -> Result<f64, DpError> {
    let per_row = f64::inf_cast(per_row)?;
    Ok(f64::from(max_rows).inf_sqrt()?.inf_mul(&per_row)?)
}

/// The scale for `sensitivity / epsilon`, nudged up by ulps until OpenDP's map (`spend`, ε for
/// a scale) agrees it spends at most `epsilon` (the f64 division may round down; the map rounds
/// its exact rational up). Returns (scale, spent ε).
pub(super) fn calibrate_scale(
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
pub(super) fn calibrate_sigma(
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
pub(super) fn narrow(
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

/// `sigma` rounded up to 24 significant bits. OpenDP's exact discrete Gaussian sampler computes
/// in rationals with σ as given: a float's full 53-bit mantissa makes σ² a two-word fraction, and
/// every sample about a fifth slower (measured: 4.2 against 3.5 µs at σ ≈ 21), while a 24-bit σ
/// keeps σ² within one word. The change is below one part in ten million, always more noise
/// (so never more spent than calibrated), rounding is monotone (so calibration still finds the
/// smallest fitting σ on this grid), and every figure is read from OpenDP's maps at this σ.
pub(super) fn short_sigma(sigma: f64) -> f64 {
    if !(sigma.is_normal() && sigma > 0.0) {
        return sigma;
    }
    // A power of two: division and multiplication by it are exact.
    let unit = 2f64.powi(sigma.log2().floor() as i32 - 23);
    let rounded = (sigma / unit).ceil() * unit;
    if rounded.is_finite() { rounded } else { sigma }
}
