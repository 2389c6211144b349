//! Disclosure control: the one rule every published row passes.
//!
//! Pseudonyms keep identities out of the tables; this module keeps
//! *individuals* out of them. Whoever holds every published table must
//! learn nothing about fewer than `k` people (PRIVACY.md, requirement 9).
//! Every table builder hands its rows here as [`Rows`]: keys, additive
//! counters, and each row's set of people (dense person ids, never
//! pseudonyms). What comes back is only what may be published:
//!
//! - [`Rows::fold`]: within a partition (day and site, or day), rows below
//!   `k` people fold into one `(other)` row; if that row is still below
//!   `k`, the smallest published rows join it until it reaches `k`; a
//!   partition whose people are fewer than `k` in all is withheld. So every
//!   published row has at least `k` people, and a partition's rows always
//!   add up to its whole: total minus published rows is a published row.
//! - [`Rows::buckets`]: time series keep their shape. Adjacent quiet hours
//!   of one partition merge into one bucket until it reaches `k`; a quiet
//!   tail joins the last bucket; a partition below `k` is withheld.
//! - [`Rows::rekey`]: partitions themselves are decided once for every
//!   table ([`Admission`]): a site with fewer than `k` visitors on a day
//!   folds into `(other site)`, withheld when that is still below `k`, so
//!   no table publishes a partition another withholds.
//!
//! Trade-offs. The rule is about people, not requests: one person's
//! thousand requests never make a row publishable. Folding needs each
//! row's whole set of people, so it runs once, at the end of a run, on
//! exact sets (sketches would leak membership). Counters are additive and
//! never dropped inside a published partition, which is what keeps the
//! tables consistent with each other; the cost is that the `(other)` row
//! can grow to take in a few published-sized rows on thin days. An
//! attacker who injects `k − 1` people of their own can still single out
//! one more; a second threshold on networks blunts that and is left to the
//! policy.

pub mod dp;
mod rows;

pub use rows::{Counters, Lookup, NOBODY, Rows};

use std::collections::HashMap;
use std::hash::Hash;

use foldhash::fast::RandomState;

/// What disclosure control did to one table, for the manifest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Disclosed {
    /// The threshold applied (distinct people).
    pub k: u64,
    /// Rows before disclosure control.
    pub rows_in: usize,
    /// Rows folded into `(other)` rows (small ones, and the published-sized
    /// ones that lifted an `(other)` row to `k`).
    pub rows_folded: usize,
    /// `(other)` rows published.
    pub other_rows_published: usize,
    /// Hourly rows merged into multi-hour buckets.
    pub rows_bucketed: usize,
    /// Partitions (day and site, or day) withheld whole, below `k`: those
    /// the run withheld from every table, and those of this table alone.
    pub partitions_withheld: usize,
    /// Rows of those partitions.
    pub rows_withheld: usize,
    /// Written exact for the operator at the policy's request: no
    /// disclosure control, not for publication.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

impl Disclosed {
    /// Adds what the partition decision did to the table before it folded
    /// its rows: `rows_in` rows came in, `dropped` of them in withheld
    /// partitions, and `partitions` partitions were withheld run-wide.
    pub fn admitted(mut self, rows_in: usize, dropped: usize, partitions: usize) -> Self {
        self.rows_in = rows_in;
        self.rows_withheld += dropped;
        self.partitions_withheld += partitions;
        self
    }
}

/// How every table's partitions are published: a partition keyed `P` is
/// published as itself, renamed (a small site folded into `(other site)`),
/// or withheld. Decided once, from the day's people per site, and applied
/// to every table before it folds its own rows, so no table publishes a
/// partition that another withholds.
#[derive(Debug, Clone)]
pub struct Admission<P> {
    map: HashMap<P, Option<P>, RandomState>,
    identity: bool,
    /// Partitions withheld from every table.
    pub withheld: usize,
    /// Partitions renamed into a shared one.
    pub folded: usize,
}

impl<P: Copy + Hash + Eq> Admission<P> {
    /// Decides from `rows` (one row per partition with its people):
    /// partitions below `k` are renamed by `other` and merge; a merged
    /// partition still below `k`, or a partition below `k` that `other`
    /// maps to itself, is withheld.
    pub fn decide<C: Counters>(rows: Rows<P, C>, k: u64, other: impl Fn(&P) -> P) -> Self {
        let mut map: HashMap<P, Option<P>, RandomState> = HashMap::default();
        let mut union = rows.union();
        let small: Vec<u32> = (0..rows.len() as u32)
            .filter(|&r| !rows.enough(&mut union, &[r], k))
            .collect();
        let mut merged: HashMap<P, Vec<u32>, RandomState> = HashMap::default();
        for &r in &small {
            merged.entry(other(rows.key(r))).or_default().push(r);
        }
        let (mut withheld, mut folded) = (0, 0);
        for (to, members) in &merged {
            // A partition already keyed like the shared one joins it.
            let mut all = members.clone();
            if let Some(own) = rows.find(to)
                && !all.contains(&own)
            {
                all.push(own);
            }
            let publish = rows.enough(&mut union, &all, k);
            for &r in &all {
                let from = *rows.key(r);
                if publish {
                    folded += usize::from(from != *to);
                } else {
                    withheld += 1;
                }
                map.insert(from, publish.then_some(*to));
            }
        }
        Admission {
            identity: map.is_empty(),
            map,
            withheld,
            folded,
        }
    }

    /// Every partition published as itself.
    pub fn all() -> Self {
        Admission {
            map: HashMap::default(),
            identity: true,
            withheld: 0,
            folded: 0,
        }
    }

    /// Whether every partition publishes as itself (nothing to rekey).
    pub fn is_identity(&self) -> bool {
        self.identity
    }

    /// What partition `p` publishes as; `None` when it is withheld.
    pub fn get(&self, p: P) -> Option<P> {
        match self.map.get(&p) {
            Some(to) => *to,
            None => Some(p),
        }
    }
}

/// A finished row: key, counters, distinct people.
pub type Row<K, C> = (K, C, u64);

/// A finished time-series row: key (at the bucket's first hour), counters,
/// distinct people, and the hours the bucket spans.
pub type BucketRow<K, C> = (K, C, u64, i64);

#[cfg(test)]
mod tests;
