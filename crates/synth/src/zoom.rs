//! Synthetic Zoom "Meeting and webinar history" exports, for benchmarks of
//! the Zoom path (`logveil gen --zoom`).
//!
//! Meetings of 2–150 people, each person joining one to three times
//! (rejoins overlap now and then), guests without e-mail and dial-in users,
//! on working-day hours, written exactly as the flattened export lays them
//! out: meeting columns repeated on every participant row, ids with spaces,
//! `-` for unknowns, a blank line between meetings. All names and addresses
//! are invented from counters.

use std::io::{self, Write};

use crate::GenStats;
use crate::rng::Rng;

const HEADER: &str = "Topic,Type,ID,Host name,Host email,Start time,End time,Participants,Duration (minutes),Total participant minutes,Department,Group,Source,Unique viewers,Max concurrent views,Creation time,Name (original name),Email,Join time,Leave time,Duration (minutes),Guest,Recording disclaimer response,In waiting room";

const DOMAINS: &[&str] = &[
    "example.edu",
    "example.edu",
    "example.edu",
    "hms.example.edu",
    "med.example.edu",
    "partner.org",
    "gmail.com",
];

/// `MM/DD/YYYY hh:mm:ss AM` in UTC, as a US-locale export writes it.
fn us_time(unix: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp(unix, 0) else {
        return "-".to_string();
    };
    t.format("%m/%d/%Y %I:%M:%S %p").to_string()
}

/// Writes a history export with `rows` participant rows.
pub fn generate<W: Write>(rows: u64, seed: u64, out: &mut W) -> io::Result<GenStats> {
    let mut rng = Rng::new(seed ^ 0x5A00_u64);
    let people = (rows / 10).clamp(200, 500_000);
    let mut bytes = 0u64;
    let mut write = |s: &str, out: &mut W| -> io::Result<()> {
        bytes += s.len() as u64 + 2;
        out.write_all(s.as_bytes())?;
        out.write_all(b"\r\n")
    };
    write(&format!("\u{feff}{HEADER}"), out)?;
    let start_day = 1_772_323_200i64; // 2026-03-01T00:00:00Z
    let mut written = 0u64;
    let mut meeting = 0u64;
    while written < rows {
        meeting += 1;
        let spread = u64::from(rng.range(3, 149));
        let size = 2 + rng.below(spread);
        let day = start_day + i64::from(rng.range(0, 59)) * 86_400;
        let start = day + i64::from(rng.range(13, 22)) * 3600 + i64::from(rng.range(0, 3)) * 900;
        let length = i64::from(rng.range(20, 120)) * 60;
        let end = start + length;
        let id = 90_000_000_000 + meeting * 7_919 % 9_000_000_000;
        let id = format!(
            "{} {} {}",
            id / 100_000_000,
            id / 10_000 % 10_000,
            id % 10_000
        );
        let host = rng.below(people);
        let topic = if rng.chance(0.2) {
            format!(
                "\"Course {}, section {}\"",
                rng.range(100, 499),
                rng.range(1, 9)
            )
        } else {
            format!("Team meeting {meeting}")
        };
        let meeting_cols = format!(
            "{topic},Meeting,{id},Host {host},host{host}@example.edu,{},{},{size},{},-,-,-,-,-,-,-",
            us_time(start),
            us_time(end),
            length / 60
        );
        for _ in 0..size {
            if written >= rows {
                break;
            }
            let person = rng.below(people);
            let (name, email, guest) = match rng.below(20) {
                0 => (
                    format!("Call-in User_{}", rng.range(1, 99)),
                    String::new(),
                    "Yes",
                ),
                1 | 2 => (format!("Guest {person}"), String::new(), "Yes"),
                _ => (
                    format!("Person {person}"),
                    format!("p{person}@{}", DOMAINS[rng.index(DOMAINS.len())]),
                    "No",
                ),
            };
            let sessions = 1 + rng.geometric(0.25, 2);
            let mut t = start + i64::from(rng.range(0, 10)) * 60;
            for _ in 0..sessions {
                if written >= rows || t >= end {
                    break;
                }
                let leave = (t + i64::from(rng.range(5, 90)) * 60).min(end);
                write(
                    &format!(
                        "{meeting_cols},{name},{email},{},{},{},{guest},-,No",
                        us_time(t),
                        us_time(leave),
                        (leave - t) / 60
                    ),
                    out,
                )?;
                written += 1;
                // A rejoin starts a little before or after the last leave.
                t = leave + i64::from(rng.range(0, 10)) * 60 - 120;
            }
        }
        write("", out)?;
    }
    Ok(GenStats {
        lines: written,
        malformed: 0,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading the rows back with logveil's Zoom reader is tested in the
    /// main package (`tests/synth_roundtrip.rs`), which sees both crates.
    #[test]
    fn counts_are_exact_and_same_seed_same_bytes() {
        let mut out = Vec::new();
        let stats = generate(2_000, 3, &mut out).unwrap();
        assert_eq!(stats.lines, 2_000);
        assert_eq!(stats.bytes, out.len() as u64);
        let rows = out.iter().filter(|&&b| b == b'\n').count();
        assert!(
            rows > 2_000,
            "header lines plus 2,000 rows, got {rows} lines"
        );
        let mut again = Vec::new();
        generate(2_000, 3, &mut again).unwrap();
        assert_eq!(out, again);
        let mut other = Vec::new();
        generate(2_000, 4, &mut other).unwrap();
        assert_ne!(out, other);
    }
}
