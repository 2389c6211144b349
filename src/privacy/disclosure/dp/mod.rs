//! Differential privacy: the optional release mode beside `k`.
//!
//! The k rule keeps one visitor from being read off a row, but it makes
//! no promise about what a visitor's presence changes. This mode does:
//! every published number of a release day is the output of an OpenDP
//! measurement ([`noise`]) whose privacy loss for any one person is at
//! most (ε, δ) for that day. The privacy unit is one person, a client
//! pseudonym of one key epoch (a day by default), so a day's release is
//! about that day's people and days compose: ε adds up over the days an
//! analyst reads.
//!
//! A table's release for one day ([`release`]):
//!
//! 1. **Bound.** Each person keeps at most `max_rows` of the day's rows
//!    and counts at most `max_requests` requests in each. The rows kept
//!    are, first, those an earlier release published ([`Published`]),
//!    fewest published visitors first, then those the person made the
//!    most requests to, ties broken at random. The choice reads only the
//!    person's own rows and what is public already, so one person still
//!    changes at most `max_rows` rows by at most the bounds (what keeps
//!    the bound a bound); what it drops is counted for the manifest.
//!    Requests without a client address ([`super::NOBODY`]) cannot be
//!    bounded by person and are dropped.
//! 2. **Select and count.** The bounded people count of every row with
//!    anyone in it goes through OpenDP's threshold measurement: noise is
//!    added and only rows whose noisy count reaches the threshold are
//!    released. A row that one person alone made is published with
//!    probability at most δ, so even the set of published keys is
//!    private.
//! 3. **Sum.** The bounded requests of the released rows get their own
//!    noise (the rows are public by then).
//! 4. **Post-process.** Requests are raised to at least the noisy people
//!    count (everyone counted made a request). Nothing else is adjusted:
//!    rows do not add up to any total, and there is no `(other)` row.
//!
//! Trade-offs. Bounding loses the long tail of heavy visitors (crawlers
//! that read every page add to only `max_rows` of them), and the
//! threshold hides rows of a few dozen people; both are the price of a
//! guarantee that holds whatever an attacker knows or injects. Where a
//! person must drop rows, dropping the ones no release has published
//! loses least: a contribution to a page that will not pass the
//! threshold is noise anyway, while one to a page that does lowers that
//! page's bias. Among published pages, one visitor more matters most to
//! the smallest: a page of 5,000 visitors that loses a few heavy readers
//! is still within a percent. Which pages pass, and how big they are, is
//! known only from earlier releases, which are public and already paid
//! for; today's counts of other people would cost budget (and break the
//! bound's proof) to use. The visitors past `max_rows` are mostly people
//! whose page views fetch many assets, not only crawlers.

pub mod noise;
#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, OnceLock, PoisonError};

use noise::{DpError, Mechanism, NoisySums, ThresholdCounts};

use super::NOBODY;

/// A table's rows with each person's requests in them: what the
/// differential-privacy mode releases from.
///
/// Like [`super::Rows`], people are dense ids grouped by row; beside each
/// person is the number of requests they made to the row.
#[derive(Debug, Clone)]
pub struct Contributions<K> {
    keys: Vec<K>,
    // Row `r`'s people are `people[starts[r]..starts[r + 1]]`, and their
    // requests the same range of `requests`.
    starts: Vec<usize>,
    people: Vec<u32>,
    requests: Vec<u32>,
}

impl<K> Contributions<K> {
    /// Rows from their keys, where each row's entries start, and the
    /// entries' people and requests (of equal length).
    pub fn new(keys: Vec<K>, starts: Vec<usize>, people: Vec<u32>, requests: Vec<u32>) -> Self {
        Contributions {
            keys,
            starts,
            people,
            requests,
        }
    }

    /// The same rows under new keys, `f` of the old ones.
    pub fn map_keys<L>(self, f: impl FnMut(&K) -> L) -> Contributions<L> {
        Contributions {
            keys: self.keys.iter().map(f).collect(),
            starts: self.starts,
            people: self.people,
            requests: self.requests,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key of row `r`.
    pub fn key(&self, r: u32) -> &K {
        &self.keys[r as usize]
    }

    /// The people of row `r` and their requests.
    pub fn row(&self, r: u32) -> (&[u32], &[u32]) {
        let r = r as usize;
        match (self.starts.get(r), self.starts.get(r + 1)) {
            (Some(&a), Some(&b)) => (
                self.people.get(a..b).unwrap_or(&[]),
                self.requests.get(a..b).unwrap_or(&[]),
            ),
            _ => (&[], &[]),
        }
    }
}

/// How much one person may add to one table on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Rows a person counts in, at most.
    pub max_rows: u32,
    /// Requests a person counts for in one row, at most.
    pub max_requests: u32,
}

/// A table's measurements, built once and used for every day.
#[derive(Debug, Clone)]
pub struct TableMechanism {
    bounds: Bounds,
    counts: ThresholdCounts,
    sums: NoisySums,
    /// Both together (composed in zCDP under the Gaussian).
    spent: (f64, f64),
}

impl TableMechanism {
    /// The measurements that spend `epsilon` and `delta` a day on a table
    /// under `bounds` with `mechanism`'s noise ([`noise::TableNoise`]):
    /// under Laplace `people_share` of `epsilon` on the people counts
    /// with their threshold, the rest on requests, and all of `delta` on
    /// the threshold; under the Gaussian both calibrated together in
    /// zero-concentrated DP, `people_share` of ρ on the people counts.
    pub fn new(
        bounds: Bounds,
        epsilon: f64,
        delta: f64,
        people_share: f64,
        mechanism: Mechanism,
    ) -> Result<Self, DpError> {
        let noise::TableNoise {
            counts,
            sums,
            spent,
        } = noise::TableNoise::new(
            mechanism,
            bounds.max_rows,
            u64::from(bounds.max_requests),
            epsilon,
            delta,
            people_share,
        )?;
        Ok(TableMechanism {
            bounds,
            counts,
            sums,
            spent,
        })
    }

    /// [`TableMechanism::new`], calibrated once per process for each set
    /// of parameters. Calibration searches OpenDP's privacy maps (about
    /// 25 ms for the Gaussian), and a run with a state releases every day
    /// of every table with the same parameters.
    pub fn cached(
        bounds: Bounds,
        epsilon: f64,
        delta: f64,
        people_share: f64,
        mechanism: Mechanism,
    ) -> Result<Self, DpError> {
        type Key = (u32, u32, u64, u64, u64, Mechanism);
        static CALIBRATED: OnceLock<Mutex<HashMap<Key, TableMechanism>>> = OnceLock::new();
        let key = (
            bounds.max_rows,
            bounds.max_requests,
            epsilon.to_bits(),
            delta.to_bits(),
            people_share.to_bits(),
            mechanism,
        );
        let cache = CALIBRATED.get_or_init(Default::default);
        let lock = || cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(m) = lock().get(&key) {
            return Ok(m.clone());
        }
        let m = TableMechanism::new(bounds, epsilon, delta, people_share, mechanism)?;
        lock().insert(key, m.clone());
        Ok(m)
    }

    /// What one day's release spends, from OpenDP's privacy maps: (ε, δ).
    pub fn spent(&self) -> (f64, f64) {
        self.spent
    }

    /// The noise both measurements add.
    pub fn mechanism(&self) -> Mechanism {
        self.counts.mechanism()
    }

    /// The noise scales of the people counts and of the requests.
    pub fn scales(&self) -> (f64, f64) {
        (self.counts.scale(), self.sums.scale())
    }

    /// The threshold a row's noisy people count must reach.
    pub fn threshold(&self) -> u64 {
        self.counts.threshold()
    }

    /// The contribution bounds.
    pub fn bounds(&self) -> Bounds {
        self.bounds
    }
}

/// One released row: key, noisy people, noisy requests.
pub type Released<K> = (K, u64, u64);

/// What bounding dropped from one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dropped {
    /// (person, row) contributions beyond `max_rows`.
    pub rows: u64,
    /// Requests not counted: beyond `max_requests` in a row, in rows
    /// beyond `max_rows`, or without a client address.
    pub requests: u64,
}

impl Dropped {
    fn add(&mut self, o: Dropped) {
        self.rows += o.rows;
        self.requests += o.requests;
    }
}

/// Releases a table, one day at a time: the released rows (in no
/// particular order) and what bounding dropped. `day_of` gives a row's
/// day (the unit the bounds and the budget are per); `rank` orders the
/// rows (by index) a person past `max_rows` keeps first, lowest first
/// (from [`Published::rank`]: never anything read from today's data);
/// `salt` breaks ties between a person's equally used rows.
pub fn release<K: Clone, D: Ord + Copy>(
    rows: &Contributions<K>,
    day_of: impl Fn(&K) -> D,
    rank: impl Fn(u32) -> u64,
    mechanism: &TableMechanism,
    salt: u64,
) -> Result<(Vec<Released<K>>, Dropped), DpError> {
    let mut days: BTreeMap<D, Vec<u32>> = BTreeMap::new();
    for r in 0..rows.len() as u32 {
        days.entry(day_of(rows.key(r))).or_default().push(r);
    }
    let mut out = Vec::new();
    let mut dropped = Dropped::default();
    // Bounded people and requests by row, reset after each day.
    let mut tally = vec![(0u64, 0u64); rows.len()];
    for members in days.values() {
        let choice = Choice {
            bounds: mechanism.bounds,
            rank: &rank,
            salt,
        };
        dropped.add(bound(rows, members, &choice, &mut tally));
        let counts: Vec<(u32, u64)> = members
            .iter()
            .filter_map(|&r| {
                let people = tally.get(r as usize)?.0;
                (people > 0).then_some((r, people))
            })
            .collect();
        let chosen = mechanism.counts.release(&counts)?;
        let sums: Vec<u64> = chosen
            .iter()
            .map(|&(r, _)| tally.get(r as usize).map_or(0, |t| t.1))
            .collect();
        let noisy = mechanism.sums.release(&sums)?;
        for (&(r, people), requests) in chosen.iter().zip(noisy) {
            let requests = u64::try_from(requests).unwrap_or(0).max(people);
            out.push((rows.key(r).clone(), people, requests));
        }
        for &r in members {
            if let Some(t) = tally.get_mut(r as usize) {
                *t = (0, 0);
            }
        }
    }
    Ok((out, dropped))
}

/// How a person past the bounds chooses the rows they keep.
struct Choice<'a, P> {
    bounds: Bounds,
    /// Rows to keep first, lowest first ([`Published::rank`]).
    rank: &'a P,
    /// Breaks the remaining ties.
    salt: u64,
}

/// Bounds one day's rows (`members`): each person keeps `max_rows` rows,
/// lowest rank first, then those they made the most requests to, each
/// counting at most `max_requests`. Adds the bounded people and requests
/// of each row into `tally` (indexed by row) and returns what was
/// dropped.
fn bound<K, P: Fn(u32) -> u64>(
    rows: &Contributions<K>,
    members: &[u32],
    choice: &Choice<'_, P>,
    tally: &mut [(u64, u64)],
) -> Dropped {
    let (bounds, salt) = (choice.bounds, choice.salt);
    // (person, requests, row), bucketed by person with a counting sort:
    // people are dense ids, and most keep every row they have, so only
    // those past the bound need their rows sorted.
    let mut entries: Vec<(u32, u32, u32)> = Vec::new();
    let mut dropped = Dropped::default();
    let mut persons = 0usize;
    for &r in members {
        let (people, requests) = rows.row(r);
        for (&p, &n) in people.iter().zip(requests) {
            if p == NOBODY {
                dropped.requests += u64::from(n);
                continue;
            }
            persons = persons.max(p as usize + 1);
            entries.push((p, n, r));
        }
    }
    let by_person = bucket_by_person(&entries, persons);
    let mut kept = Vec::new();
    for window in by_person.starts.windows(2) {
        let mine = by_person.entries.get(window[0]..window[1]).unwrap_or(&[]);
        kept.clear();
        kept.extend_from_slice(mine);
        if kept.len() > bounds.max_rows as usize {
            // Published before (fewest visitors first), then most
            // requests, then at random.
            kept.sort_unstable_by_key(|&(p, n, r)| ((choice.rank)(r), Reverse(n), mix(salt, p, r)));
            for &(_, n, _) in &kept[bounds.max_rows as usize..] {
                dropped.rows += 1;
                dropped.requests += u64::from(n);
            }
            kept.truncate(bounds.max_rows as usize);
        }
        for &(_, n, r) in &kept {
            let counted = n.min(bounds.max_requests);
            dropped.requests += u64::from(n - counted);
            if let Some(t) = tally.get_mut(r as usize) {
                t.0 += 1;
                t.1 += u64::from(counted);
            }
        }
    }
    dropped
}

/// Entries grouped by person: person `p`'s are
/// `entries[starts[p]..starts[p + 1]]`.
struct ByPerson {
    starts: Vec<usize>,
    entries: Vec<(u32, u32, u32)>,
}

/// Groups `entries` (person first) by person, with a counting sort over
/// the `persons` ids.
fn bucket_by_person(entries: &[(u32, u32, u32)], persons: usize) -> ByPerson {
    let mut starts = vec![0usize; persons + 1];
    for e in entries {
        if let Some(s) = starts.get_mut(e.0 as usize + 1) {
            *s += 1;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut next = starts.clone();
    let mut out = vec![(0, 0, 0); entries.len()];
    for &e in entries {
        if let Some(at) = next.get_mut(e.0 as usize)
            && let Some(slot) = out.get_mut(*at)
        {
            *slot = e;
            *at += 1;
        }
    }
    ByPerson {
        starts,
        entries: out,
    }
}

/// A hash of a (person, row) pair under `salt`, for random tie-breaks.
fn mix(salt: u64, person: u32, row: u32) -> u64 {
    let x = salt ^ (u64::from(person) << 32 | u64::from(row));
    // splitmix64's finaliser: every input bit moves every output bit.
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The rows earlier releases of a table published, by their text, with
/// their published visitors: what a person past `max_rows` keeps first
/// ([`release`]). Only published rows may go in; anything else would
/// make one person's choice depend on other people's data.
///
/// Rows are held by a 64-bit hash of their site and keys: a collision
/// could only make a person prefer a row by mistake, which changes
/// utility, never the bounds.
#[derive(Debug, Clone, Default)]
pub struct Published {
    rows: HashMap<u64, u64>,
}

impl Published {
    /// Adds the rows of a release; a row published before takes the
    /// visitors of the release added last.
    pub fn extend<'a>(&mut self, rows: impl IntoIterator<Item = &'a DpRow>) {
        self.rows.extend(
            rows.into_iter()
                .map(|r| (Published::hash(&r.site, &r.key), r.visitors)),
        );
    }

    /// Where a row of `site` with `key` comes in a person's choice:
    /// published rows first, fewest published visitors first (one
    /// visitor more changes a small row's figure most), then every row
    /// never published.
    pub fn rank(&self, site: &str, key: &[String]) -> u64 {
        self.rows
            .get(&Published::hash(site, key))
            .map_or(u64::MAX, |&v| v.min(u64::MAX - 1))
    }

    /// Whether nothing was published.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn hash(site: &str, key: &[String]) -> u64 {
        // SipHash with fixed keys: the same row hashes the same in every
        // run, so a rerun prefers the same rows.
        let mut h = DefaultHasher::new();
        (site, key).hash(&mut h);
        h.finish()
    }
}

/// One released row with its keys as text: what a table is built from,
/// and what the budget ledger keeps so that a day can be published again
/// without fresh noise.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DpRow {
    /// The row's day (days since 1970-01-01 in the report calendar): the
    /// unit of the budget.
    pub day: i32,
    /// The row's time: its day again, or the Unix second its hour starts.
    pub time: i64,
    /// The site.
    pub site: String,
    /// The table's other key columns, as text, in column order.
    pub key: Vec<String>,
    /// Noisy visitors.
    pub visitors: u64,
    /// Noisy requests.
    pub requests: u64,
    /// Noise scale of `visitors`.
    pub visitors_scale: f64,
    /// Noise scale of `requests`.
    pub requests_scale: f64,
}

/// What a table's release did and spent, for the manifest and the
/// files' metadata.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DpNote {
    /// The noise: its scales are a discrete Laplace's or a discrete
    /// Gaussian's σ.
    pub mechanism: Mechanism,
    /// ε spent per release day (from OpenDP's privacy maps).
    pub epsilon: f64,
    /// δ spent per release day.
    pub delta: f64,
    /// The noisy visitor count a row needed to be published.
    pub threshold: u64,
    /// Rows one visitor counted in per day, at most.
    pub max_rows: u32,
    /// Requests one visitor counted for per row, at most.
    pub max_requests: u32,
    /// Noise scale of the visitor counts.
    pub visitors_scale: f64,
    /// Noise scale of the requests.
    pub requests_scale: f64,
    /// What the bounds dropped.
    pub dropped: Dropped,
}

impl DpNote {
    /// The note of a table released by `m`, with what its bounds dropped.
    pub fn of(m: &TableMechanism, dropped: Dropped) -> DpNote {
        let (epsilon, delta) = m.spent();
        let (visitors_scale, requests_scale) = m.scales();
        DpNote {
            mechanism: m.mechanism(),
            epsilon,
            delta,
            threshold: m.threshold(),
            max_rows: m.bounds.max_rows,
            max_requests: m.bounds.max_requests,
            visitors_scale,
            requests_scale,
            dropped,
        }
    }
}
