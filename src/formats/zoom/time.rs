//! Zoom times: the layouts exports use, in the exporting account's zone.
//!
//! CSV exports write local times without a zone (`05/30/2026 05:52:14 PM`,
//! UK accounts `30/05/2026 17:52`, spreadsheets `5/30/2026 17:52`); the
//! zone and the day/month order are options, because only the person who
//! exported the file knows them. An impossible date under the configured
//! order (month 13) is refused, not guessed. API and webhook times are ISO
//! 8601 with `Z` or an offset and need no options.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;

/// How to read zone-less Zoom times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoomTime {
    /// The exporting account's time zone.
    pub zone: Tz,
    /// `DD/MM/YYYY` instead of `MM/DD/YYYY`.
    pub day_first: bool,
}

impl Default for ZoomTime {
    fn default() -> Self {
        ZoomTime {
            zone: Tz::UTC,
            day_first: false,
        }
    }
}

impl ZoomTime {
    /// Parses an IANA zone name (`America/New_York`), with a message saying
    /// the zone was for Zoom times on failure (the binary names its flag).
    pub fn zone_from_name(name: &str) -> Result<Tz, String> {
        crate::time::zone_from_name(name, "Zoom times")
    }

    /// Unix seconds of a Zoom time, or `None` if it is not one.
    pub fn parse(&self, text: &str) -> Option<i64> {
        if let Some(n) = Numbers::fixed(text.as_bytes()) {
            return self.at(n);
        }
        let t = text.trim().trim_matches('"').trim();
        if t.is_empty() || t == "-" {
            return None;
        }
        if t.as_bytes().get(4) == Some(&b'-') {
            return DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|d| d.timestamp())
                .or_else(|| {
                    // `2026-05-30 17:52:14` (no zone): local.
                    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
                        .ok()
                        .and_then(|n| self.localize(n))
                });
        }
        let (date, rest) = t.split_once([' ', 'T'])?;
        let mut parts = date.split('/');
        let a: u32 = parts.next()?.trim().parse().ok()?;
        let b: u32 = parts.next()?.trim().parse().ok()?;
        let year: i32 = parts.next()?.trim().parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        let rest = rest.trim();
        let (clock, meridiem) = match rest.rsplit_once(' ') {
            Some((c, m)) if m.eq_ignore_ascii_case("AM") || m.eq_ignore_ascii_case("PM") => {
                (c.trim(), Some(m))
            }
            _ => (rest, None),
        };
        let mut hms = clock.split(':');
        let hour: u32 = hms.next()?.parse().ok()?;
        let minute: u32 = hms.next()?.parse().ok()?;
        let second: u32 = match hms.next() {
            Some(s) => s.parse().ok()?,
            None => 0,
        };
        self.at(Numbers {
            a,
            b,
            year,
            hour,
            minute,
            second,
            pm: meridiem.map(|m| m.eq_ignore_ascii_case("PM")),
        })
    }

    /// The time the numbers of a text name, if they name one.
    fn at(&self, n: Numbers) -> Option<i64> {
        let Numbers {
            a,
            b,
            year,
            mut hour,
            minute,
            second,
            pm,
        } = n;
        let (month, day) = if self.day_first { (b, a) } else { (a, b) };
        let date = NaiveDate::from_ymd_opt(year, month, day)?;
        if let Some(pm) = pm {
            if hour == 0 || hour > 12 {
                return None;
            }
            hour %= 12;
            if pm {
                hour += 12;
            }
        }
        let time = NaiveTime::from_hms_opt(hour, minute, second)?;
        self.localize(date.and_time(time))
    }

    fn localize(&self, naive: NaiveDateTime) -> Option<i64> {
        crate::time::localize(self.zone, naive)
    }
}

/// The numbers of a zone-less time: the date's (`a/b/year`, in the
/// configured order) and the clock's (12-hour when `pm` is given).
struct Numbers {
    a: u32,
    b: u32,
    year: i32,
    hour: u32,
    minute: u32,
    second: u32,
    pm: Option<bool>,
}

impl Numbers {
    /// The numbers of a time in the layout most exports write,
    /// `MM/DD/YYYY HH:MM:SS AM` (or `PM`), read by position: those the
    /// general reading finds in such a text (it starts with a digit and
    /// ends with `M`, so there is nothing to trim), without splitting it.
    fn fixed(t: &[u8]) -> Option<Numbers> {
        let [
            a0,
            a1,
            b'/',
            b0,
            b1,
            b'/',
            y0,
            y1,
            y2,
            y3,
            b' ',
            h0,
            h1,
            b':',
            m0,
            m1,
            b':',
            s0,
            s1,
            b' ',
            half,
            b'M' | b'm',
        ] = *t
        else {
            return None;
        };
        let pm = match half.to_ascii_uppercase() {
            b'P' => true,
            b'A' => false,
            _ => return None,
        };
        let n = |digits: &[u8]| {
            digits.iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        Some(Numbers {
            a: n(&[a0, a1])?,
            b: n(&[b0, b1])?,
            year: i32::try_from(n(&[y0, y1, y2, y3])?).ok()?,
            hour: n(&[h0, h1])?,
            minute: n(&[m0, m1])?,
            second: n(&[s0, s1])?,
            pm: Some(pm),
        })
    }
}

/// Bytes of a time text a [`TimeMemo`] keeps; longer texts are parsed
/// each time (Zoom's layouts are 16 to 25 bytes).
const MEMO_TEXT: usize = 32;

/// Slots of a [`TimeMemo`]: a few meetings' worth of distinct times.
const MEMO_SLOTS: usize = 512;

/// A remembered parse: the text's length and bytes, and what it gave.
type Slot = (u8, [u8; MEMO_TEXT], Option<i64>);

/// A reader's memory of the times it parsed last, keyed by their exact
/// text: a history export writes its meeting's start and end on every
/// participant row, and joins and leaves cluster on a meeting's minutes,
/// so most parses repeat one a few rows back. Direct-mapped: a slot holds
/// the last text that hashed to it, so a lookup is one hash and one
/// comparison, and every hit gives what parsing would.
#[derive(Clone)]
pub struct TimeMemo {
    slots: Vec<Option<Slot>>,
    hasher: foldhash::fast::FixedState,
}

impl Default for TimeMemo {
    fn default() -> Self {
        TimeMemo {
            slots: vec![None; MEMO_SLOTS],
            hasher: foldhash::fast::FixedState::default(),
        }
    }
}

impl std::fmt::Debug for TimeMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TimeMemo")
    }
}

impl TimeMemo {
    /// [`ZoomTime::parse`] of `text` under `time`, remembered. A memo
    /// serves one `ZoomTime` (a reader's options do not change mid-read).
    pub fn parse(&mut self, time: &ZoomTime, text: &str) -> Option<i64> {
        let bytes = text.as_bytes();
        if bytes.len() > MEMO_TEXT {
            return time.parse(text);
        }
        use std::hash::BuildHasher;
        let slot = (self.hasher.hash_one(bytes) as usize) % MEMO_SLOTS;
        if let Some((len, key, value)) = &self.slots[slot]
            && key[..usize::from(*len)] == *bytes
        {
            return *value;
        }
        let value = time.parse(text);
        let mut key = [0u8; MEMO_TEXT];
        key[..bytes.len()].copy_from_slice(bytes);
        // At most MEMO_TEXT, so it fits a byte.
        self.slots[slot] = Some((bytes.len() as u8, key, value));
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny() -> ZoomTime {
        ZoomTime {
            zone: ZoomTime::zone_from_name("America/New_York").unwrap(),
            day_first: false,
        }
    }

    #[test]
    fn the_fixed_layout_reads_as_the_general_reading_does() {
        let uk = ZoomTime {
            day_first: true,
            ..ny()
        };
        for text in [
            "01/26/2023 03:43:42 PM",
            "01/26/2023 03:43:42 am",
            "01/26/2023 12:00:00 AM",
            "01/26/2023 12:30:00 PM",
            "01/26/2023 00:30:00 PM",
            "01/26/2023 13:30:00 PM",
            "13/26/2023 03:43:42 PM",
            "02/30/2023 03:43:42 PM",
            "03/12/2023 02:30:00 AM",
            "11/05/2023 01:30:00 AM",
            "01/26/0226 03:43:42 PM",
            "01/26/2023 03:60:00 PM",
            "01/2x/2023 03:43:42 PM",
            "01/26/2023 03:43:42 XM",
        ] {
            assert!(text.len() == 22, "{text}");
            // Padded, the text takes the general reading.
            let padded = format!(" {text} ");
            assert_eq!(Numbers::fixed(padded.as_bytes()).map(|_| ()), None);
            for zone in [ny(), uk, ZoomTime::default()] {
                assert_eq!(zone.parse(text), zone.parse(&padded), "{text}");
            }
        }
    }

    #[test]
    fn layouts_zoom_writes() {
        // 2023-01-26 15:43:42 EST = 20:43:42 UTC.
        let want = 1_674_765_822;
        assert_eq!(ny().parse("01/26/2023 03:43:42 PM"), Some(want));
        assert_eq!(ny().parse("\"01/26/2023 03:43:42 PM\""), Some(want));
        assert_eq!(ny().parse("1/26/2023 15:43:42"), Some(want));
        assert_eq!(ny().parse("1/26/2023 15:43"), Some(want - 42));
        let uk = ZoomTime {
            day_first: true,
            ..ny()
        };
        assert_eq!(uk.parse("26/01/2023 15:43"), Some(want - 42));
        assert_eq!(ny().parse("2023-01-26T20:43:42Z"), Some(want));
        assert_eq!(ny().parse("2023-01-26T15:43:42-05:00"), Some(want));
        assert_eq!(
            ny().parse("01/26/2023 12:00:00 AM"),
            ny().parse("01/26/2023 00:00:00")
        );
        assert_eq!(
            ny().parse("01/26/2023 12:30:00 PM"),
            ny().parse("01/26/2023 12:30:00")
        );
    }

    #[test]
    fn impossible_dates_are_refused_not_guessed() {
        // Day first in a US-order file: month 26.
        assert_eq!(ny().parse("26/01/2023 15:43"), None);
        assert_eq!(ny().parse("02/30/2023 10:00"), None);
        assert_eq!(ny().parse("01/26/2023 13:00 PM"), None);
        assert_eq!(ny().parse("-"), None);
        assert_eq!(ny().parse(""), None);
        assert_eq!(ny().parse("yesterday"), None);
    }

    #[test]
    fn daylight_saving_edges_and_zones() {
        // Summer: EDT is UTC-4.
        assert_eq!(ny().parse("05/30/2026 05:52:14 PM"), Some(1_780_177_934));
        // 2026-03-08 02:30 does not exist in New York; read as 03:30 EDT.
        assert_eq!(
            ny().parse("03/08/2026 02:30"),
            ny().parse("03/08/2026 03:30")
        );
        let err = ZoomTime::zone_from_name("Mars/Olympus").unwrap_err();
        assert!(err.contains("Zoom times") && err.contains("IANA"), "{err}");
        assert!(!err.contains("--"), "library errors name no flag: {err}");
        assert_eq!(ZoomTime::default().parse("01/01/1970 00:00"), Some(0));
    }

    #[test]
    fn a_memo_gives_what_parsing_gives_through_collisions() {
        // More distinct texts than slots, each met twice, and one too
        // long to keep: every answer equals a fresh parse.
        let t = ny();
        let mut memo = TimeMemo::default();
        let texts: Vec<String> = (0..2000)
            .map(|i| {
                format!(
                    "01/{:02}/2026 {:02}:{:02}:00 PM",
                    i % 31 + 1,
                    i % 12 + 1,
                    i % 60
                )
            })
            .chain([
                "13/45/2026 03:00:00 PM".into(),
                format!("{}01/26/2026 03:00 PM", " ".repeat(40)),
            ])
            .collect();
        for text in texts.iter().chain(&texts) {
            assert_eq!(memo.parse(&t, text), t.parse(text), "{text}");
        }
    }
}
