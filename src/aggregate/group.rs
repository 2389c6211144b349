//! A mergeable group-by with exact distinct-visitor counts.

use std::collections::HashMap;
use std::hash::Hash;

use foldhash::fast::RandomState;

use crate::privacy::pseudonym::Pseudonym;

/// Per-row counters that can be merged.
pub trait Counters: Default + Clone {
    /// Adds `other` into `self`.
    fn merge(&mut self, other: &Self);
}

/// A plain request counter.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub u64);

impl Counters for Count {
    fn merge(&mut self, other: &Self) {
        self.0 += other.0;
    }
}

/// Rows keyed by `K`, each with counters `C` and a set of visitors.
#[derive(Debug, Clone)]
pub struct Group<K, C> {
    index: HashMap<K, u32, RandomState>,
    keys: Vec<K>,
    counters: Vec<C>,
    // (row, pseudonym) pairs; duplicates allowed until `compact`.
    pairs: Vec<(u32, u64)>,
    compacted_len: usize,
}

impl<K, C> Default for Group<K, C> {
    fn default() -> Self {
        Group {
            index: HashMap::default(),
            keys: Vec::new(),
            counters: Vec::new(),
            pairs: Vec::new(),
            compacted_len: 0,
        }
    }
}

/// One finished row: key, counters, distinct visitors.
pub type Row<K, C> = (K, C, u64);

impl<K: Copy + Hash + Eq, C: Counters> Group<K, C> {
    /// The row of `key` (created if new) and its counters.
    pub fn row(&mut self, key: K) -> (u32, &mut C) {
        let id = match self.index.get(&key) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
                self.index.insert(key, id);
                self.keys.push(key);
                self.counters.push(C::default());
                id
            }
        };
        let idx = (id as usize).min(self.counters.len() - 1);
        (id, &mut self.counters[idx])
    }

    /// Records that `visitor` contributed to row `row`.
    pub fn visit(&mut self, row: u32, visitor: Pseudonym) {
        // Runs of lines from one visitor to one row are common; skipping
        // the repeat keeps the pair vector small without a hash set.
        if self.pairs.last() != Some(&(row, visitor.value())) {
            self.pairs.push((row, visitor.value()));
        }
    }

    /// Sorts and deduplicates the visitor pairs.
    pub fn compact(&mut self) {
        self.pairs.sort_unstable();
        self.pairs.dedup();
        self.compacted_len = self.pairs.len();
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the group has no rows.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Converts the keys with `f` (used to make chunk-local string ids
    /// global), keeping counters and pairs.
    pub fn map_keys<K2: Copy + Hash + Eq>(self, f: impl Fn(K) -> K2) -> Group<K2, C> {
        let mut out = Group::<K2, C>::default();
        let mut remap = Vec::with_capacity(self.keys.len());
        for (key, counters) in self.keys.into_iter().zip(self.counters) {
            let (id, c) = out.row(f(key));
            c.merge(&counters);
            remap.push(id);
        }
        out.pairs = self
            .pairs
            .into_iter()
            .map(|(r, v)| (remap[r as usize], v))
            .collect();
        out.compact();
        out
    }

    /// Adds every row of `other` (same key space) into `self`.
    pub fn merge(&mut self, other: Group<K, C>) {
        let mut remap = Vec::with_capacity(other.keys.len());
        for (key, counters) in other.keys.into_iter().zip(other.counters) {
            let (id, c) = self.row(key);
            c.merge(&counters);
            remap.push(id);
        }
        self.pairs
            .extend(other.pairs.into_iter().map(|(r, v)| (remap[r as usize], v)));
        // Amortised: compact only when duplicates may have doubled the
        // vector, so merging stays linear overall.
        if self.pairs.len() > 2 * self.compacted_len.max(1 << 16) {
            self.compact();
        }
    }

    /// Finished rows with exact distinct visitor counts, in no order.
    pub fn finish(mut self) -> Vec<Row<K, C>> {
        self.compact();
        let mut distinct = vec![0u64; self.keys.len()];
        for &(row, _) in &self.pairs {
            if let Some(d) = distinct.get_mut(row as usize) {
                *d += 1;
            }
        }
        self.keys
            .into_iter()
            .zip(self.counters)
            .zip(distinct)
            .map(|((k, c), d)| (k, c, d))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(g: &mut Group<u8, Count>, key: u8, visitor: u64) {
        let (row, c) = g.row(key);
        c.0 += 1;
        g.visit(row, Pseudonym::for_tests(visitor));
    }

    fn sorted(g: Group<u8, Count>) -> Vec<(u8, u64, u64)> {
        let mut rows: Vec<_> = g
            .finish()
            .into_iter()
            .map(|(k, c, d)| (k, c.0, d))
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn distinct_counts_survive_merges_and_key_maps() {
        let mut a = Group::default();
        add(&mut a, 1, 10);
        add(&mut a, 1, 10);
        add(&mut a, 1, 11);
        add(&mut a, 2, 10);
        let mut b = Group::default();
        add(&mut b, 1, 11);
        add(&mut b, 1, 12);
        add(&mut b, 3, 10);
        // Keys of b are "local ids": shift them and back to test map_keys.
        let b = b.map_keys(|k| k + 100).map_keys(|k| k - 100);
        a.merge(b);
        assert_eq!(sorted(a), vec![(1, 5, 3), (2, 1, 1), (3, 1, 1)]);
    }
}
