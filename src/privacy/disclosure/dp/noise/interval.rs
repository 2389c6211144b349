//! Confidence intervals for released values: how far a noisy count or sum may lie from the true
//! (bounded) one at a given probability, for either noise. Arithmetic on the noise's
//! distribution only, no OpenDP call: the discrete Laplace has a closed form, the discrete
//! Gaussian is summed term by term up to σ = 10⁶ and scaled beyond, where it is a normal
//! distribution to far better than one unit.

use super::Mechanism;

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
