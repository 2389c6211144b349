//! Reading raw JSON values as numbers, times, durations and request
//! targets.
//!
//! Producers disagree on types as much as on names: a status may be `200`
//! or `"200"`, a time a CLF string, RFC 3339, ISO 8601 with a `+hhmm`
//! offset, or epoch seconds, milliseconds, microseconds or nanoseconds as a
//! number or a string. Each reader accepts every such form and decides by
//! the value itself, never by which producer wrote it.

use super::super::ParseContext;
use super::aliases::Unit;

/// A number, quoted or not; `None` for anything else, NaN and infinities.
pub(super) fn number(v: &[u8]) -> Option<f64> {
    std::str::from_utf8(v)
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

/// Date-times without a zone: Caddy's `wall` formats
/// (`2006/01/02 15:04:05[.000]`), and ISO 8601 without an offset (as
/// logrus writes `time` when no zone is configured).
const ZONELESS: &[&str] = &[
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
];

/// Unix seconds from a time value: CLF, RFC 3339 or ISO 8601 with an
/// offset, a zone-less date-time (read in the configured local zone and
/// counted, as W3C `-local` times are), or an epoch number whose
/// magnitude gives its unit.
pub(super) fn time_of(v: &[u8], cx: &mut ParseContext) -> Option<i64> {
    if let Some(t) = cx.time.get(v, crate::time::parse_clf) {
        return Some(t);
    }
    if let Ok(text) = std::str::from_utf8(v) {
        // RFC 3339, or ISO 8601 with a `+hhmm` offset (Caddy's `iso8601`
        // time format with `time_local`).
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text)
            .or_else(|_| chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        {
            return Some(t.timestamp());
        }
        // Rejecting zone-less times lost every line of such a log; reading
        // them in `--local-timezone` (UTC unless given) and saying so in
        // the manifest keeps them.
        if let Some(t) = ZONELESS
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        {
            cx.zoneless_times += 1;
            return cx.local.to_utc(t.and_utc().timestamp());
        }
    }
    epoch_seconds(number(v)?)
}

/// An epoch number in seconds, milliseconds, microseconds or nanoseconds,
/// told apart by magnitude: each unit's plausible range (years 1973 to
/// 5138) lies far from the others'.
pub(super) fn epoch_seconds(n: f64) -> Option<i64> {
    let seconds = if n < 1e11 {
        n
    } else if n < 1e14 {
        n / 1e3
    } else if n < 1e17 {
        n / 1e6
    } else {
        n / 1e9
    };
    (seconds >= 0.0).then_some(seconds as i64)
}

/// A duration value in microseconds, read in `unit`. `envoy` says the
/// object is an Envoy or Istio layout, whose `duration` is milliseconds.
pub(super) fn duration_us(raw: &[u8], unit: Unit, envoy: bool) -> Option<u64> {
    if unit == Unit::Suffixed {
        return suffixed_us(raw);
    }
    let d = number(raw).filter(|d| *d >= 0.0)?;
    let whole = !raw.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
    let us = match unit {
        Unit::Seconds => d * 1e6,
        Unit::Millis => d * 1e3,
        Unit::Micros => d,
        Unit::Nanos => d / 1e3,
        Unit::SecondsOrNanos if envoy => d * 1e3,
        Unit::SecondsOrNanos if whole => d / 1e3,
        Unit::SecondsOrNanos => d * 1e6,
        Unit::Suffixed => return None,
    };
    Some(us as u64)
}

/// `"0.042s"`, `"6.31ms"`, `"250µs"`, `"120ns"`: one number with one unit
/// suffix (Go's compound forms such as `1m2s` are not used by access logs
/// and are refused).
fn suffixed_us(raw: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(raw).ok()?.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (n, suffix) = text.split_at(split);
    let n: f64 = n.parse().ok().filter(|x: &f64| x.is_finite())?;
    let scale = match suffix {
        "s" => 1e6,
        "ms" => 1e3,
        "us" | "µs" => 1.0,
        "ns" => 1e-3,
        _ => return None,
    };
    Some((n * scale) as u64)
}

/// The origin-form part of a target logged as an absolute URL
/// (`https://host/a?b` → `/a?b`, `https://host` → the URL unchanged), so
/// it reads as the path it names; anything else is returned as it is.
pub(super) fn origin_form(target: &[u8]) -> &[u8] {
    let Some(scheme_end) = memchr::memmem::find(target, b"://") else {
        return target;
    };
    let scheme = &target[..scheme_end];
    if scheme.is_empty() || !scheme.iter().all(u8::is_ascii_alphabetic) {
        return target;
    }
    let authority = scheme_end + 3;
    match target[authority..]
        .iter()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
    {
        Some(p) if target[authority + p] == b'/' => &target[authority + p..],
        _ => target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_by_magnitude() {
        let t = 1_712_790_000;
        for n in [
            1_712_790_000.5,
            1_712_790_000_500.0,
            1_712_790_000_500_000.0,
            1_712_790_000_500_000_000.0,
        ] {
            assert_eq!(epoch_seconds(n), Some(t), "{n}");
        }
        assert_eq!(epoch_seconds(-1.0), None);
    }

    #[test]
    fn times_in_every_form() {
        let mut cx = ParseContext::default();
        let t = 1_646_865_004;
        for v in [
            "09/Mar/2022:23:30:04 +0100",
            "2022-03-09T23:30:04+01:00",
            "2022-03-09T22:30:04.518Z",
            "2022-03-09T23:30:04.518+0100",
            "1646865004",
            "1646865004518",
            "1646865004.518",
        ] {
            assert_eq!(time_of(v.as_bytes(), &mut cx), Some(t), "{v}");
        }
        assert_eq!(cx.zoneless_times, 0);
        assert_eq!(time_of(b"2022-03-09T22:30:04", &mut cx), Some(t));
        assert_eq!(time_of(b"2022-03-09 22:30:04.5", &mut cx), Some(t));
        assert_eq!(cx.zoneless_times, 2);
        for bad in ["yesterday", "2022-13-09T22:30:04Z", "", "-5"] {
            assert_eq!(time_of(bad.as_bytes(), &mut cx), None, "{bad}");
        }
    }

    #[test]
    fn durations_with_units() {
        assert_eq!(duration_us(b"0.004", Unit::Seconds, false), Some(4000));
        assert_eq!(duration_us(b"12.5", Unit::Millis, false), Some(12_500));
        assert_eq!(duration_us(b"48210", Unit::Nanos, false), Some(48));
        assert_eq!(duration_us(b"7", Unit::Micros, false), Some(7));
        assert_eq!(duration_us(b"12", Unit::SecondsOrNanos, true), Some(12_000));
        assert_eq!(
            duration_us(b"0.5", Unit::SecondsOrNanos, false),
            Some(500_000)
        );
        assert_eq!(duration_us(b"0.042s", Unit::Suffixed, false), Some(42_000));
        assert_eq!(duration_us(b"6.31ms", Unit::Suffixed, false), Some(6310));
        assert_eq!(
            duration_us("250µs".as_bytes(), Unit::Suffixed, false),
            Some(250)
        );
        assert_eq!(duration_us(b"1m2s", Unit::Suffixed, false), None);
        assert_eq!(duration_us(b"s", Unit::Suffixed, false), None);
        assert_eq!(duration_us(b"-1", Unit::Nanos, false), None);
    }

    #[test]
    fn absolute_urls_become_paths() {
        assert_eq!(origin_form(b"https://h.example/a?b=1"), b"/a?b=1");
        assert_eq!(origin_form(b"http://h.example"), b"http://h.example");
        assert_eq!(origin_form(b"http://h.example?x"), b"http://h.example?x");
        assert_eq!(origin_form(b"/a?u=http://x/y"), b"/a?u=http://x/y");
        assert_eq!(origin_form(b"://x/y"), b"://x/y");
    }
}
