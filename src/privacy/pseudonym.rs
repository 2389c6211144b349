//! Keyed pseudonyms with domain separation and epoch rotation.
//!
//! `pseudonym = first 8 bytes of keyed_blake3(subkey, canonical identifier)`
//! where `subkey = derive_key(context(source, kind), key ‖ epoch)`.
//!
//! - The context string separates sources and identifier kinds, so a web
//!   visitor's pseudonym can never be joined to a Zoom identity, nor an
//!   IP pseudonym to an e-mail pseudonym, even under the same key.
//! - The epoch (by default the UTC day of the event) rotates the subkey, so
//!   two days' pseudonyms are unlinkable; distinct counts over longer
//!   windows are therefore upper bounds, and are labelled so.
//! - 64-bit pseudonyms are for counting inside one run, never published: the
//!   chance that two of a million visitors collide is about 3 × 10⁻⁸.
//!
//! A plain (unkeyed) hash of an IPv4 address is reversed by trying all 2³²
//! addresses in minutes; nothing here hashes without the key.

use std::sync::Arc;

use super::key::Key;
use crate::time::{self, Calendar};

/// A pseudonym: an opaque 64-bit value, only meaningful within one subkey.
///
/// Only the privacy module creates them (the field is private), so a value
/// of this type is always a keyed hash, never an address in disguise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym(u64);

impl Pseudonym {
    /// The visitor of requests logged without a client (`-`): one value
    /// for all of them, which the tables count as nobody (a keyed hash is
    /// 0 with probability 2^-64).
    pub const UNKNOWN: Pseudonym = Pseudonym(0);

    /// The value, for counting distinct pseudonyms.
    pub fn value(self) -> u64 {
        self.0
    }
}

/// Which system an identifier comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Web-server access logs.
    Web,
    /// Zoom reports, API data and webhooks.
    Zoom,
}

/// What kind of identifier is hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// A client address or host name.
    Client,
    /// An e-mail address.
    Email,
    /// A display name.
    Name,
    /// A user, participant or registrant id.
    UserId,
    /// A meeting id.
    Meeting,
    /// A client's network (IPv4 /24, IPv6 /48), for the network threshold.
    Network,
}

/// One (source, kind) pair: a separate pseudonym space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Domain {
    /// The source system.
    pub source: Source,
    /// The identifier kind.
    pub kind: IdKind,
}

impl Domain {
    /// Web client addresses.
    pub const WEB_CLIENT: Domain = Domain {
        source: Source::Web,
        kind: IdKind::Client,
    };

    /// Web client networks.
    pub const WEB_NETWORK: Domain = Domain {
        source: Source::Web,
        kind: IdKind::Network,
    };

    /// The BLAKE3 `derive_key` context. Hard-coded strings, as BLAKE3
    /// requires: changing one changes every pseudonym of that domain.
    fn context(self) -> &'static str {
        use IdKind::*;
        use Source::*;
        match (self.source, self.kind) {
            (Web, Client) => "logveil 2026-11 web client pseudonym v1",
            (Web, Email) => "logveil 2026-11 web email pseudonym v1",
            (Web, Name) => "logveil 2026-11 web name pseudonym v1",
            (Web, UserId) => "logveil 2026-11 web user-id pseudonym v1",
            (Web, Meeting) => "logveil 2026-11 web meeting pseudonym v1",
            (Zoom, Client) => "logveil 2026-11 zoom client pseudonym v1",
            (Zoom, Email) => "logveil 2026-11 zoom email pseudonym v1",
            (Zoom, Name) => "logveil 2026-11 zoom name pseudonym v1",
            (Zoom, UserId) => "logveil 2026-11 zoom user-id pseudonym v1",
            (Zoom, Meeting) => "logveil 2026-11 zoom meeting pseudonym v1",
            (Web, Network) => "logveil 2026-12 web network pseudonym v1",
            (Zoom, Network) => "logveil 2026-12 zoom network pseudonym v1",
        }
    }
}

/// How often subkeys rotate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Epoch {
    /// A new subkey every UTC day (the default).
    #[default]
    Day,
    /// Every ISO week (Monday to Sunday, UTC).
    Week,
    /// Every calendar month (UTC).
    Month,
    /// Never: pseudonyms are stable for as long as the key is.
    Never,
}

impl Epoch {
    /// The epoch index of a Unix time, tagged by granularity so that, say,
    /// day 3 and month 3 never share a subkey.
    pub fn index(self, unix: i64) -> (u8, i64) {
        let day = time::day_of(unix);
        match self {
            // 1970-01-01 was a Thursday: shift so weeks start on Monday.
            Epoch::Day => (b'd', day),
            Epoch::Week => (b'w', (day + 3).div_euclid(7)),
            Epoch::Month => {
                let (y, m) = year_month(day);
                (b'm', y * 12 + i64::from(m) - 1)
            }
            Epoch::Never => (b'n', 0),
        }
    }

    /// Name used in the manifest and policy.
    pub fn as_str(self) -> &'static str {
        match self {
            Epoch::Day => "day",
            Epoch::Week => "week",
            Epoch::Month => "month",
            Epoch::Never => "never",
        }
    }
}

/// (year, month) of a day number (inverse of `days_from_civil`).
fn year_month(day: i64) -> (i64, u32) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

/// Computes pseudonyms in one domain. Cheap to create; holds a cache of the
/// current epoch's subkey, so create one per worker, not per line.
#[derive(Debug, Clone)]
pub struct Pseudonymizer {
    key: Arc<Key>,
    domain: Domain,
    epoch: Epoch,
    calendar: Calendar,
    current: Option<((u8, i64), [u8; 32])>,
}

impl Pseudonymizer {
    /// A pseudonymizer for `domain` rotating every `epoch`.
    pub fn new(key: Arc<Key>, domain: Domain, epoch: Epoch) -> Self {
        Pseudonymizer {
            key,
            domain,
            epoch,
            calendar: Calendar::UTC,
            current: None,
        }
    }

    /// Epochs that follow the days of `calendar` instead of UTC's.
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// The key epoch of an event at Unix time `unix`, on this
    /// pseudonymizer's calendar: pseudonyms change exactly when it does.
    pub(crate) fn epoch_of(&self, unix: i64) -> (u8, i64) {
        self.epoch.index(self.calendar.wall(unix))
    }

    /// A 16-bit tag of the key epoch of an event at Unix time `unix`: two
    /// pseudonyms made at times of different tags are under different
    /// subkeys, so they never stand for one identifier. (Equal tags need
    /// not be one epoch: the tag wraps every 65,536 epochs.)
    pub fn epoch_tag(&self, unix: i64) -> u16 {
        // Truncated on purpose: a tag only has to differ where epochs do
        // nearby, and one pseudonymizer's epochs are all of one kind.
        self.epoch_of(unix).1 as u16
    }

    fn subkey(&mut self, unix: i64) -> [u8; 32] {
        let index = self.epoch_of(unix);
        match self.current {
            Some((i, k)) if i == index => k,
            _ => {
                let mut material = [0u8; 9];
                material[0] = index.0;
                material[1..].copy_from_slice(&index.1.to_le_bytes());
                let k = self.key.derive(self.domain.context(), &material);
                self.current = Some((index, k));
                k
            }
        }
    }

    /// The pseudonym of `canonical` (already canonicalised bytes) for an
    /// event at Unix time `unix`.
    pub fn pseudonym(&mut self, unix: i64, canonical: &[u8]) -> Pseudonym {
        let subkey = self.subkey(unix);
        let hash = blake3::keyed_hash(&subkey, canonical);
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        Pseudonym(u64::from_le_bytes(first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::key::KeyMode;
    use crate::time::{DAY, days_from_civil};

    fn key() -> Arc<Key> {
        Arc::new(Key::generate(KeyMode::Ephemeral).unwrap())
    }

    #[test]
    fn same_input_same_epoch_same_pseudonym() {
        let mut p = Pseudonymizer::new(key(), Domain::WEB_CLIENT, Epoch::Day);
        let t = 1_767_225_600;
        assert_eq!(p.pseudonym(t, b"x"), p.pseudonym(t + 3600, b"x"));
        assert_ne!(p.pseudonym(t, b"x"), p.pseudonym(t, b"y"));
    }

    #[test]
    fn days_rotate_and_domains_separate() {
        let k = key();
        let mut day = Pseudonymizer::new(k.clone(), Domain::WEB_CLIENT, Epoch::Day);
        let mut never = Pseudonymizer::new(k.clone(), Domain::WEB_CLIENT, Epoch::Never);
        let zoom = Domain {
            source: Source::Zoom,
            kind: IdKind::Client,
        };
        let mut other = Pseudonymizer::new(k, zoom, Epoch::Day);
        let t = 1_767_225_600;
        assert_ne!(day.pseudonym(t, b"x"), day.pseudonym(t + DAY, b"x"));
        assert_eq!(
            never.pseudonym(t, b"x"),
            never.pseudonym(t + 400 * DAY, b"x")
        );
        assert_ne!(day.pseudonym(t, b"x"), other.pseudonym(t, b"x"));
    }

    #[test]
    fn different_keys_differ() {
        let mut a = Pseudonymizer::new(key(), Domain::WEB_CLIENT, Epoch::Day);
        let mut b = Pseudonymizer::new(key(), Domain::WEB_CLIENT, Epoch::Day);
        assert_ne!(a.pseudonym(0, b"x"), b.pseudonym(0, b"x"));
    }

    #[test]
    fn epoch_boundaries() {
        let monday = days_from_civil(2026, 3, 30) * DAY;
        let sunday = monday - 1;
        assert_ne!(Epoch::Week.index(monday), Epoch::Week.index(sunday));
        assert_eq!(
            Epoch::Week.index(monday),
            Epoch::Week.index(monday + 6 * DAY)
        );
        let mar31 = days_from_civil(2026, 3, 31) * DAY;
        assert_eq!(
            Epoch::Month.index(mar31),
            Epoch::Month.index(mar31 - 20 * DAY)
        );
        assert_ne!(Epoch::Month.index(mar31), Epoch::Month.index(mar31 + DAY));
        for d in [-800_000i64, -1, 0, 59, 60, 11_017, 20_000, 2_932_896] {
            let (y, m) = year_month(d);
            assert!(days_from_civil(y, m, 1) <= d && d < days_from_civil(y, m, 1) + 31);
        }
    }
}
