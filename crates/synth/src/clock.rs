//! Time: where a line falls in the run, and the text of its timestamp.
//!
//! [`Timeline`] maps a line position to a second through a diurnal and
//! weekly profile, periodic by the week so that no table grows with the
//! number of days. [`DateCache`] renders the Apache date by hand and only
//! when the second changes, since several lines share one. Both use UTC
//! only: the generated logs always say `+0000`.

use crate::write::{push_clock, push_padded, push2};

/// Relative traffic per UTC hour: quiet nights, busy afternoons.
const HOURLY: [f64; 24] = [
    0.30, 0.22, 0.17, 0.14, 0.13, 0.15, 0.24, 0.40, 0.58, 0.72, 0.80, 0.85, 0.88, 0.94, 1.00, 1.00,
    0.96, 0.88, 0.80, 0.77, 0.74, 0.66, 0.54, 0.42,
];
/// Relative traffic per weekday, Monday first.
const WEEKDAY: [f64; 7] = [1.0, 1.0, 0.98, 0.97, 0.90, 0.68, 0.72];

/// Maps a line position to a second, following the diurnal profile.
///
/// The cumulative weight is periodic by the week, so a position is located
/// in O(log) without tables proportional to `days`, which is a `u32`.
pub(crate) struct Timeline {
    start: i64,
    end: i64,
    first_weekday: usize,
    /// Cumulative weight of the minutes of a weekday-neutral day; 1441 entries.
    minute_cum: Vec<f64>,
    /// Cumulative weight of the seven days starting at `start`.
    week_cum: [f64; 8],
    /// Weight per unit of line position.
    scale: f64,
    last: i64,
}

impl Timeline {
    pub(crate) fn new(start: i64, days: u32, lines: u64) -> Self {
        let days = u64::from(days.max(1));
        let mut minute_cum = Vec::with_capacity(1441);
        minute_cum.push(0.0);
        let mut acc = 0.0;
        for m in 0..1440 {
            let (h, f) = (m / 60, (m % 60) as f64 / 60.0);
            acc += HOURLY[h] * (1.0 - f) + HOURLY[(h + 1) % 24] * f;
            minute_cum.push(acc);
        }
        let first_weekday = (start.div_euclid(86_400) + 3).rem_euclid(7) as usize;
        let mut week_cum = [0.0; 8];
        for k in 0..7 {
            week_cum[k + 1] = week_cum[k] + WEEKDAY[(first_weekday + k) % 7] * acc;
        }
        let total = (days / 7) as f64 * week_cum[7] + week_cum[(days % 7) as usize];
        // `days * 86_400` is below 2^49 for any u32, so the cast is lossless.
        let end = start.saturating_add((days * 86_400 - 1) as i64);
        Self {
            start,
            end,
            first_weekday,
            minute_cum,
            week_cum,
            scale: total / lines.max(1) as f64,
            last: start,
        }
    }

    /// Second of line position `pos` (in `0..lines`); never earlier than the
    /// previous answer, so float rounding cannot make time run backwards.
    pub(crate) fn at(&mut self, pos: f64) -> i64 {
        let target = (pos * self.scale).max(0.0);
        let week_total = self.week_cum[7];
        let week = (target / week_total).floor();
        let mut rem = (target - week * week_total).max(0.0);
        let k = self.week_cum[1..].partition_point(|&c| c <= rem).min(6);
        rem -= self.week_cum[k];
        let day_total = self.minute_cum[1440];
        let within = (rem / WEEKDAY[(self.first_weekday + k) % 7]).clamp(0.0, day_total);
        let m = self.minute_cum[1..]
            .partition_point(|&c| c <= within)
            .min(1439);
        let span = self.minute_cum[m + 1] - self.minute_cum[m];
        let sec = (((within - self.minute_cum[m]) / span) * 60.0) as i64;
        let day = (week as i64).saturating_mul(7).saturating_add(k as i64);
        let t = self
            .start
            .saturating_add(day.saturating_mul(86_400))
            .saturating_add(m as i64 * 60 + sec.clamp(0, 59));
        let t = t.max(self.last).min(self.end);
        self.last = t;
        t
    }
}

pub(crate) const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The `%d/%b/%Y:%H:%M:%S +0000` text of the current second, rebuilt only
/// when the second changes (several lines share one).
pub(crate) struct DateCache {
    sec: Option<i64>,
    text: Vec<u8>,
}

impl DateCache {
    pub(crate) fn new() -> Self {
        Self {
            sec: None,
            text: Vec::with_capacity(32),
        }
    }

    pub(crate) fn get(&mut self, t: i64) -> &[u8] {
        if self.sec != Some(t) {
            self.sec = Some(t);
            let b = &mut self.text;
            b.clear();
            let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
            let s = t.rem_euclid(86_400) as u32;
            push2(b, d);
            b.push(b'/');
            b.extend_from_slice(MONTHS[mo as usize - 1]);
            b.push(b'/');
            if y < 0 {
                b.push(b'-');
            }
            push_padded(b, y.unsigned_abs(), 4);
            b.push(b':');
            push_clock(b, s);
            b.extend_from_slice(b" +0000");
        }
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_START;

    #[test]
    pub(crate) fn dates_render_like_apache() {
        let mut d = DateCache::new();
        assert_eq!(d.get(DEFAULT_START), b"01/Mar/2026:00:00:00 +0000");
        assert_eq!(d.get(0), b"01/Jan/1970:00:00:00 +0000");
        assert_eq!(d.get(951_868_799), b"29/Feb/2000:23:59:59 +0000");
        assert_eq!(d.get(-1), b"31/Dec/1969:23:59:59 +0000");
    }
}
