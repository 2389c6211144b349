//! Calendar arithmetic and the fixed-layout timestamp parser.
//!
//! `chrono::DateTime::parse_from_str` costs about 230 ns per call, more than
//! splitting a whole log line. Access logs write one fixed layout
//! (`10/Oct/2000:13:55:36 -0700`), so it is parsed by position here in about
//! 15 ns, and [`TimeCache`] skips even that when neighbouring lines share a
//! second, which they usually do. Times are Unix seconds in UTC throughout
//! the pipeline; days and hours are derived by integer division.

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Seconds in an hour.
pub const HOUR: i64 = 3_600;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), valid for every year an i32 holds.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Number of days in `month` of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// The UTC day (days since the epoch) of a Unix time.
pub fn day_of(unix: i64) -> i64 {
    unix.div_euclid(DAY)
}

/// The UTC day of a Unix time as Parquet's `DATE`: days since the epoch in
/// an `i32`, saturating for times far outside any real log.
pub fn date32(unix: i64) -> i32 {
    day_of(unix).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// The start of the UTC hour containing a Unix time.
pub fn hour_of(unix: i64) -> i64 {
    unix - unix.rem_euclid(HOUR)
}

/// Days since 0001-01-01 (chrono's count) of 1970-01-01.
const EPOCH_FROM_CE: i32 = 719_163;

/// A date32 day (days since 1970-01-01) as `YYYY-MM-DD`, as Hive
/// partitions, the private state and the manifest name days; `None` outside
/// the years 0001–9999, whose names would not read back in that form.
pub fn format_day(day: i32) -> Option<String> {
    let date = chrono::NaiveDate::from_num_days_from_ce_opt(day.checked_add(EPOCH_FROM_CE)?)?;
    (1..=9999)
        .contains(&chrono::Datelike::year(&date))
        .then(|| date.format("%Y-%m-%d").to_string())
}

/// The day of a `YYYY-MM-DD` text, exactly as [`format_day`] writes it
/// (no other spelling, so a name maps to one day and back).
pub fn parse_day(text: &str) -> Option<i32> {
    if text.len() != 10 {
        return None;
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let day = chrono::Datelike::num_days_from_ce(&date).checked_sub(EPOCH_FROM_CE)?;
    (format_day(day)? == text).then_some(day)
}

/// RFC 3339 text of a Unix time, for the manifest.
pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "(out of range)".to_string())
}

fn month_from_abbrev(m: &[u8]) -> Option<u32> {
    // Case-insensitive: some servers and log rewriters upper-case months.
    let key = [
        m.first()?.to_ascii_lowercase(),
        m.get(1)?.to_ascii_lowercase(),
        m.get(2)?.to_ascii_lowercase(),
    ];
    let n = match &key {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    };
    Some(n)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Parses `dd/Mon/yyyy:HH:MM:SS ±hhmm` (the `%t` of Apache and
/// `$time_local` of nginx) into Unix seconds. Impossible dates (31/Feb,
/// hour 24) are refused rather than normalised, because they mean the line
/// is corrupt. A second of 60 is accepted as a leap second.
pub fn parse_clf(ts: &[u8]) -> Option<i64> {
    // Fixed positions; `get` keeps a short input from panicking.
    if ts.len() != 26
        || ts.get(2) != Some(&b'/')
        || ts.get(6) != Some(&b'/')
        || ts.get(11) != Some(&b':')
        || ts.get(14) != Some(&b':')
        || ts.get(17) != Some(&b':')
        || ts.get(20) != Some(&b' ')
    {
        return None;
    }
    let day = digits(ts.get(0..2)?)?;
    let month = month_from_abbrev(ts.get(3..6)?)?;
    let year = i64::from(digits(ts.get(7..11)?)?);
    let hour = i64::from(digits(ts.get(12..14)?)?);
    let min = i64::from(digits(ts.get(15..17)?)?);
    let sec = i64::from(digits(ts.get(18..20)?)?);
    let sign = match ts.get(21)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let off_h = i64::from(digits(ts.get(22..24)?)?);
    let off_m = i64::from(digits(ts.get(24..26)?)?);
    if day == 0 || day > days_in_month(year, month) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    if off_h > 23 || off_m > 59 {
        return None;
    }
    let local = days_from_civil(year, month, day) * DAY + hour * HOUR + min * 60 + sec;
    Some(local - sign * (off_h * HOUR + off_m * 60))
}

/// Remembers the last timestamp text and its value.
///
/// Busy logs write many lines per second, so most lines repeat the previous
/// line's timestamp byte for byte; comparing 26 bytes is far cheaper than
/// parsing them.
#[derive(Debug, Default, Clone)]
pub struct TimeCache {
    text: [u8; 32],
    len: usize,
    value: i64,
}

impl TimeCache {
    /// Parses `ts` with `parse`, reusing the previous result when the text
    /// is unchanged.
    pub fn get(&mut self, ts: &[u8], parse: impl FnOnce(&[u8]) -> Option<i64>) -> Option<i64> {
        // CLF and ISO stamps have fixed lengths; comparing as arrays lets
        // the compiler inline the comparison instead of calling `bcmp`.
        let same = match (ts.len(), self.len) {
            (26, 26) => <[u8; 26]>::try_from(ts).ok() == self.text[..26].try_into().ok(),
            (n, len) => len != 0 && n == len && self.text.get(..len) == Some(ts),
        };
        if same {
            return Some(self.value);
        }
        let value = parse(ts)?;
        if ts.len() <= self.text.len() {
            self.text[..ts.len()].copy_from_slice(ts);
            self.len = ts.len();
            self.value = value;
        }
        Some(value)
    }
}

/// Unix seconds of a wall-clock reading in `zone`. In the hour repeated
/// when clocks go back, the first; in the hour skipped when they go
/// forward (a reading that cannot exist there), as if the change had not
/// happened yet.
pub fn localize(zone: chrono_tz::Tz, naive: chrono::NaiveDateTime) -> Option<i64> {
    use chrono::{LocalResult, TimeZone};
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(first, _) => Some(first.timestamp()),
        LocalResult::None => zone
            .from_local_datetime(&(naive - chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.timestamp() + 3600),
    }
}

/// The zone named `name` (IANA), or an error naming what it is for: the
/// binary passes its flag, the library a plain description, since library
/// errors must read right for embedders who have no flags.
pub fn zone_from_name(name: &str, option: &str) -> Result<chrono_tz::Tz, String> {
    name.parse::<chrono_tz::Tz>().map_err(|_| {
        format!("unknown time zone {name:?} for {option}; use an IANA name such as America/New_York or UTC")
    })
}

/// The calendar that days, hours, sessions and key epochs follow: UTC by
/// default, or a report time zone, so that a site at −05:00 gets its own
/// days rather than UTC's (which would give it a partial eighth day in a
/// week of logs).
///
/// Times stay Unix seconds everywhere; only the day and the hour a time
/// falls in depend on the calendar. An hour row is keyed by the instant
/// its local hour starts, so zones with half-hour offsets get whole local
/// hours. The offset is looked up per call (a `chrono-tz` search): the
/// default UTC calendar costs nothing, and a zone only a few lookups per
/// line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Calendar {
    // `None` is UTC: no lookup at all.
    zone: Option<chrono_tz::Tz>,
}

impl Calendar {
    /// Days and hours of UTC.
    pub const UTC: Calendar = Calendar { zone: None };

    /// The calendar of `zone`.
    pub fn new(zone: chrono_tz::Tz) -> Calendar {
        Calendar {
            zone: (zone != chrono_tz::Tz::UTC).then_some(zone),
        }
    }

    /// The zone's IANA name.
    pub fn name(self) -> &'static str {
        self.zone.map_or("UTC", |z| z.name())
    }

    /// Seconds east of UTC at `unix`.
    fn offset(self, unix: i64) -> i64 {
        use chrono::{Offset, TimeZone};
        let Some(zone) = self.zone else {
            return 0;
        };
        chrono::DateTime::from_timestamp(unix, 0).map_or(0, |t| {
            i64::from(
                zone.offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        })
    }

    /// The local reading of `unix`, as Unix seconds of that reading in UTC
    /// (so [`day_of`] of it is the local day).
    pub fn wall(self, unix: i64) -> i64 {
        unix.saturating_add(self.offset(unix))
    }

    /// The local day of `unix`, as Parquet's `DATE`.
    pub fn day(self, unix: i64) -> i32 {
        date32(self.wall(unix))
    }

    /// The local day of `unix` and the instant its local hour started,
    /// from one zone lookup (every web record needs both).
    pub fn day_and_hour(self, unix: i64) -> (i32, i64) {
        let wall = self.wall(unix);
        (date32(wall), unix - wall.rem_euclid(HOUR))
    }
}

/// The zone of web-log times that carry none (W3C `date-local` and
/// `time-local`, Caddy's `wall` formats): `--local-timezone`, UTC unless
/// given. Parsers read such a time as if it were UTC and hand it here.
///
/// The offset of the last local hour is remembered: lines come in time
/// order, and a zone lookup costs far more than a line's other fields.
/// An hour is remembered only when its first and last second have the same
/// offset, so the hours around a clock change are always looked up.
#[derive(Debug, Clone, Copy)]
pub struct LocalZone {
    zone: chrono_tz::Tz,
    // (local hour, offset in seconds east of UTC) of the last lookup.
    hour: Option<(i64, i64)>,
}

impl Default for LocalZone {
    fn default() -> Self {
        LocalZone::new(chrono_tz::Tz::UTC)
    }
}

impl LocalZone {
    /// Times read in `zone`.
    pub fn new(zone: chrono_tz::Tz) -> Self {
        LocalZone { zone, hour: None }
    }

    /// The zone.
    pub fn zone(&self) -> chrono_tz::Tz {
        self.zone
    }

    /// Unix seconds of a local reading given as if it were UTC.
    pub fn to_utc(&mut self, wall: i64) -> Option<i64> {
        if self.zone == chrono_tz::Tz::UTC {
            return Some(wall);
        }
        let hour = wall.div_euclid(HOUR);
        if let Some((h, offset)) = self.hour
            && h == hour
        {
            return Some(wall - offset);
        }
        let offset_at = |w: i64| {
            let naive = chrono::DateTime::from_timestamp(w, 0)?.naive_utc();
            localize(self.zone, naive).map(|t| w - t)
        };
        let offset = offset_at(wall)?;
        if offset_at(hour * HOUR) == Some(offset)
            && offset_at(hour * HOUR + HOUR - 1) == Some(offset)
        {
            self.hour = Some((hour, offset));
        }
        Some(wall - offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calendar_gives_local_days_and_whole_local_hours() {
        let utc = |y: i64, m: u32, d: u32, h: i64, min: i64| {
            days_from_civil(y, m, d) * DAY + h * HOUR + min * 60
        };
        let march = |d| days_from_civil(2026, 3, d) as i32;
        // UTC costs nothing and changes nothing.
        let t = utc(2026, 3, 3, 4, 10);
        assert_eq!(Calendar::UTC.day(t), march(3));
        assert_eq!(Calendar::UTC.day_and_hour(t).1, utc(2026, 3, 3, 4, 0));
        assert_eq!(Calendar::new(chrono_tz::Tz::UTC), Calendar::UTC);
        // New York: 04:10 UTC is 23:10 the day before.
        let ny = Calendar::new(chrono_tz::America::New_York);
        assert_eq!(ny.day(t), march(2));
        assert_eq!(ny.day_and_hour(t).1, utc(2026, 3, 3, 4, 0));
        // The day the clocks go forward (2026-03-08) has 23 hours: local
        // midnight of the 9th is 04:00 UTC, not 05:00.
        assert_eq!(ny.day(utc(2026, 3, 9, 3, 59)), march(8));
        assert_eq!(ny.day(utc(2026, 3, 9, 4, 0)), march(9));
        // India is +05:30: a local hour starts at half past a UTC hour.
        let india = Calendar::new(chrono_tz::Asia::Kolkata);
        assert_eq!(
            india.day_and_hour(utc(2026, 3, 3, 4, 10)),
            (march(3), utc(2026, 3, 3, 3, 30))
        );
        assert_eq!(india.day(utc(2026, 3, 2, 18, 30)), march(3));
        assert_eq!(india.name(), "Asia/Kolkata");
    }

    #[test]
    fn local_zone_matches_a_lookup_for_every_reading_across_clock_changes() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let utc_of = |y: i64, mo: u32, d: u32, h: i64, mi: i64| {
            days_from_civil(y, mo, d) * DAY + h * HOUR + mi * 60
        };
        let mut zone = LocalZone::new(berlin);
        for (local, utc) in [
            // Winter (+1), summer (+2).
            ((2026, 1, 15, 12, 0), (2026, 1, 15, 11, 0)),
            ((2026, 7, 15, 12, 0), (2026, 7, 15, 10, 0)),
            // 02:30 on 29 March 2026 does not exist: read as 01:30 + 1 h (CET).
            ((2026, 3, 29, 2, 30), (2026, 3, 29, 1, 30)),
            // 02:30 on 25 October 2026 happens twice: the first (CEST).
            ((2026, 10, 25, 2, 30), (2026, 10, 25, 0, 30)),
        ] {
            let at = |(y, mo, d, h, mi)| utc_of(y, mo, d, h, mi);
            assert_eq!(zone.to_utc(at(local)), Some(at(utc)), "{local:?}");
        }
        // Every 7 minutes over both changes, in order (the remembered hour
        // in use): the same as a fresh lookup of each reading.
        for (start, end) in [
            (utc_of(2026, 3, 28, 22, 0), utc_of(2026, 3, 29, 5, 0)),
            (utc_of(2026, 10, 24, 22, 0), utc_of(2026, 10, 25, 5, 0)),
        ] {
            let mut remembering = LocalZone::new(berlin);
            for wall in (start..end).step_by(7 * 60) {
                let fresh = LocalZone::new(berlin).to_utc(wall);
                assert_eq!(remembering.to_utc(wall), fresh, "{}", rfc3339(wall));
            }
        }
        assert_eq!(LocalZone::default().to_utc(12_345), Some(12_345));
    }

    #[test]
    fn apache_doc_example_with_negative_offset() {
        // 2000-10-10 13:55:36 -0700 is 20:55:36 UTC.
        assert_eq!(parse_clf(b"10/Oct/2000:13:55:36 -0700"), Some(971_211_336));
    }

    #[test]
    fn offsets_in_both_directions_and_half_hours() {
        let utc = parse_clf(b"01/Jan/2026:00:00:00 +0000").unwrap();
        assert_eq!(utc, 1_767_225_600);
        assert_eq!(parse_clf(b"01/Jan/2026:05:30:00 +0530"), Some(utc));
        assert_eq!(parse_clf(b"31/Dec/2025:14:00:00 -1000"), Some(utc));
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(parse_clf(b"31/Feb/2026:10:00:00 +0000"), None);
        assert_eq!(parse_clf(b"29/Feb/2026:10:00:00 +0000"), None);
        assert!(parse_clf(b"29/Feb/2024:10:00:00 +0000").is_some());
        assert_eq!(parse_clf(b"10/Oct/2000:24:00:00 +0000"), None);
        assert_eq!(parse_clf(b"10/Foo/2000:13:55:36 -0700"), None);
        assert_eq!(parse_clf(b"10/Oct/2000:13:55:36 0700"), None);
        assert_eq!(parse_clf(b"10/Oct/2000:13:55:3"), None);
        assert_eq!(parse_clf(b""), None);
    }

    #[test]
    fn days_from_civil_matches_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn hour_and_day_buckets_handle_negative_times() {
        assert_eq!(day_of(-1), -1);
        assert_eq!(hour_of(-1), -3600);
        assert_eq!(hour_of(7199), 3600);
    }

    #[test]
    fn cache_returns_same_values_as_parsing() {
        let mut cache = TimeCache::default();
        let a = b"10/Oct/2000:13:55:36 -0700";
        let b = b"10/Oct/2000:13:55:37 -0700";
        assert_eq!(cache.get(a, parse_clf), parse_clf(a));
        assert_eq!(cache.get(a, |_| None), parse_clf(a));
        assert_eq!(cache.get(b, parse_clf), parse_clf(b));
        assert_eq!(cache.get(b"garbage", parse_clf), None);
        assert_eq!(cache.get(b, |_| None), parse_clf(b));
    }
}
