//! Rows with their people, and the three operations of the rule: rename
//! partitions ([`Rows::rekey`]), fold small rows ([`Rows::fold`]) and merge
//! quiet hours ([`Rows::buckets`]).
//!
//! People are dense `u32` ids grouped by row (compressed sparse rows), so
//! a table of a million rows costs two vectors, and the union of any set
//! of rows is counted against one array of "last union that saw this
//! person" without sorting or hashing.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::{BucketRow, Disclosed, Row};

/// Per-row counters that can be merged (requests, bytes, …): they add up,
/// so a folded row is the sum of what it took in.
pub trait Counters: Default + Clone {
    /// Adds `other` into `self`.
    fn merge(&mut self, other: &Self);
}

impl Counters for () {
    fn merge(&mut self, _: &Self) {}
}

/// A table's rows before disclosure control.
#[derive(Debug, Clone)]
pub struct Rows<K, C> {
    keys: Vec<K>,
    counters: Vec<C>,
    // Row `r`'s people are `people[starts[r]..starts[r + 1]]`, distinct.
    starts: Vec<usize>,
    people: Vec<u32>,
    // One past the largest person id.
    persons: usize,
    // The network of each person, and how many distinct networks a row
    // needs besides its people (0: no network threshold).
    networks: Option<Arc<[u32]>>,
    k_networks: u64,
    // Whether every row's people are in increasing order, which proves
    // them distinct: a row alone then has as many people as ids.
    increasing: bool,
}

/// Counts distinct people over sets of rows, reusing one array.
pub(super) struct Union {
    seen: Vec<u32>,
    round: u32,
    // The same for networks, when rows have them.
    nets: Vec<u32>,
}

impl Union {
    /// Distinct people of `members` (rows of `rows`).
    pub(super) fn count<K, C>(&mut self, rows: &Rows<K, C>, members: &[u32]) -> u64 {
        let mut n = 0;
        self.each(rows, members, |_| n += 1);
        n
    }

    /// Distinct people and distinct networks of `members` (networks are
    /// `u64::MAX` when the rows carry none).
    fn count_both<K, C>(&mut self, rows: &Rows<K, C>, members: &[u32]) -> (u64, u64) {
        let Some(networks) = rows.networks.clone() else {
            return (self.count(rows, members), u64::MAX);
        };
        let (mut people, mut nets) = (0, 0);
        let mut found = Vec::new();
        self.each(rows, members, |p| {
            people += 1;
            found.push(networks.get(p as usize).copied().unwrap_or(u32::MAX));
        });
        let round = self.round;
        for n in found {
            if let Some(s) = self.nets.get_mut(n as usize)
                && *s != round
            {
                *s = round;
                nets += 1;
            }
        }
        (people, nets)
    }

    /// Calls `f` once for each distinct person of `members`.
    fn each<K, C>(&mut self, rows: &Rows<K, C>, members: &[u32], mut f: impl FnMut(u32)) {
        self.round = self.round.wrapping_add(1);
        if self.round == u32::MAX {
            self.seen.fill(0);
            self.nets.fill(0);
            self.round = 1;
        }
        for &r in members {
            for &p in rows.people(r) {
                if let Some(s) = self.seen.get_mut(p as usize)
                    && *s != self.round
                {
                    *s = self.round;
                    f(p);
                }
            }
        }
    }
}

impl<K, C> Rows<K, C> {
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

    /// The people of row `r`.
    pub fn people(&self, r: u32) -> &[u32] {
        let r = r as usize;
        match (self.starts.get(r), self.starts.get(r + 1)) {
            (Some(&a), Some(&b)) => self.people.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Distinct people of row `r`.
    pub fn distinct(&self, r: u32) -> u64 {
        self.people(r).len() as u64
    }
}

/// Rows found by key (see [`Rows::lookup`]).
pub struct Lookup<'a, K, C> {
    rows: &'a Rows<K, C>,
    index: HashMap<K, u32, RandomState>,
    union: Union,
}

impl<K: Copy + Hash + Eq, C: Counters> Lookup<'_, K, C> {
    /// The merged counters and distinct people of the rows keyed by `keys`
    /// (keys without a row add nothing).
    pub fn combine(&mut self, keys: &[K]) -> (C, u64) {
        let members: Vec<u32> = keys
            .iter()
            .filter_map(|k| self.index.get(k).copied())
            .collect();
        self.rows.combine(&members, &mut self.union)
    }
}

/// The person id of requests that name no client (HAProxy's `-:port`, a
/// W3C `c-ip` of `-`): they are counted, but describe nobody, so they never
/// help a row reach k. Without it, one person logged both with and without
/// an address would count twice.
pub const NOBODY: u32 = u32::MAX;

/// `starts` and `people` with every [`NOBODY`] taken out.
fn without_nobody(starts: Vec<usize>, people: Vec<u32>) -> (Vec<usize>, Vec<u32>) {
    if !people.contains(&NOBODY) {
        return (starts, people);
    }
    let mut kept = Vec::with_capacity(people.len());
    let mut new_starts = Vec::with_capacity(starts.len());
    for w in starts.windows(2) {
        new_starts.push(kept.len());
        let row = people.get(w[0]..w[1]).unwrap_or_default();
        kept.extend(row.iter().copied().filter(|&p| p != NOBODY));
    }
    new_starts.push(kept.len());
    (new_starts, kept)
}

impl<K: Copy + Hash + Eq, C: Counters> Rows<K, C> {
    /// Rows from their parts: `people[starts[r]..starts[r + 1]]` are row
    /// `r`'s people, which must be distinct within the row. [`NOBODY`]
    /// counts no one and is dropped.
    pub fn new(keys: Vec<K>, counters: Vec<C>, starts: Vec<usize>, people: Vec<u32>) -> Self {
        let (starts, people) = without_nobody(starts, people);
        let persons = people.iter().max().map_or(0, |&p| p as usize + 1);
        let mut starts = starts;
        // Malformed parts (a bug upstream) must not index out of range.
        starts.resize(keys.len() + 1, people.len());
        for s in &mut starts {
            *s = (*s).min(people.len());
        }
        let increasing = starts.windows(2).all(|w| {
            people
                .get(w[0]..w[1])
                .is_none_or(|row| row.windows(2).all(|p| p[0] < p[1]))
        });
        Rows {
            keys,
            counters,
            starts,
            people,
            persons,
            networks: None,
            k_networks: 0,
            increasing,
        }
    }

    /// The same rows where a row also needs `k_networks` distinct
    /// networks, `networks[p]` being person `p`'s network (a dense id).
    pub fn with_networks(mut self, networks: Arc<[u32]>, k_networks: u64) -> Self {
        if k_networks > 0 {
            self.networks = Some(networks);
            self.k_networks = k_networks;
        }
        self
    }

    /// Whether `members` together have `need` people and the networks the
    /// rows need.
    pub(super) fn enough(&self, union: &mut Union, members: &[u32], need: u64) -> bool {
        // Most checks are of one row, and most rows have no network
        // threshold: their people are counted without touching the union's
        // array, person by person all over memory.
        if let [r] = members
            && self.increasing
            && self.k_networks == 0
        {
            return self.distinct(*r) >= need;
        }
        let (people, nets) = union.count_both(self, members);
        people >= need && nets >= self.k_networks
    }

    /// Rows from `(key, counters, people)` triples; duplicate people in a
    /// row are dropped.
    pub fn from_sets(sets: impl IntoIterator<Item = (K, C, Vec<u32>)>) -> Self {
        let (mut keys, mut counters, mut starts, mut people) =
            (Vec::new(), Vec::new(), vec![0], Vec::new());
        for (k, c, mut p) in sets {
            p.sort_unstable();
            p.dedup();
            keys.push(k);
            counters.push(c);
            people.extend(p);
            starts.push(people.len());
        }
        Rows::new(keys, counters, starts, people)
    }

    /// The row keyed `key`, if any (a linear search: for rare look-ups).
    pub fn find(&self, key: &K) -> Option<u32> {
        self.keys.iter().position(|k| k == key).map(|r| r as u32)
    }

    /// A counter of distinct people over sets of these rows.
    pub(super) fn union(&self) -> Union {
        let nets = self.networks.as_ref().map_or(0, |n| {
            n.iter()
                .filter(|&&n| n != u32::MAX)
                .max()
                .map_or(0, |&m| m as usize + 1)
        });
        Union {
            seen: vec![0; self.persons],
            round: 0,
            nets: vec![0; nets],
        }
    }

    /// The merged counters and the distinct people of `members`.
    pub(super) fn combine(&self, members: &[u32], union: &mut Union) -> (C, u64) {
        let mut c = C::default();
        for &r in members {
            c.merge(&self.counters[r as usize]);
        }
        (c, union.count(self, members))
    }

    /// Finds rows by key, to combine the rows of this table that another
    /// table's buckets hold.
    pub fn lookup(&self) -> Lookup<'_, K, C> {
        Lookup {
            rows: self,
            index: self
                .keys
                .iter()
                .enumerate()
                .map(|(r, k)| (*k, r as u32))
                .collect(),
            union: self.union(),
        }
    }

    /// Renames every row's key with `f` (`None` drops the row) and merges
    /// rows that end up with one key: counters add, people unite. Returns
    /// the rows and how many were dropped.
    pub fn rekey(self, f: impl Fn(&K) -> Option<K>) -> (Self, usize) {
        let mut index: HashMap<K, u32, RandomState> = HashMap::default();
        let mut keys = Vec::new();
        let mut members: Vec<Vec<u32>> = Vec::new();
        for (r, k) in self.keys.iter().enumerate() {
            let Some(new) = f(k) else { continue };
            let id = *index.entry(new).or_insert_with(|| {
                keys.push(new);
                members.push(Vec::new());
                (keys.len() - 1) as u32
            });
            members[id as usize].push(r as u32);
        }
        let dropped = self.keys.len() - members.iter().map(Vec::len).sum::<usize>();
        let mut union = self.union();
        let mut counters = Vec::with_capacity(keys.len());
        let (mut starts, mut people) = (vec![0], Vec::with_capacity(self.people.len()));
        for m in &members {
            let mut c = C::default();
            for &r in m {
                c.merge(&self.counters[r as usize]);
            }
            counters.push(c);
            union.each(&self, m, |p| people.push(p));
            starts.push(people.len());
        }
        let rows = Rows {
            keys,
            counters,
            starts,
            people,
            persons: self.persons,
            networks: self.networks.clone(),
            k_networks: self.k_networks,
            // Distinct, but in the order the union met them.
            increasing: false,
        };
        (rows, dropped)
    }

    /// The rows of each partition, in row order, partitions in order of
    /// first appearance.
    fn partitions<P: Hash + Eq>(&self, partition: impl Fn(&K) -> P) -> Vec<Vec<u32>> {
        let mut index: HashMap<P, usize, RandomState> = HashMap::default();
        let mut parts: Vec<Vec<u32>> = Vec::new();
        for (r, k) in self.keys.iter().enumerate() {
            let next = parts.len();
            let i = *index.entry(partition(k)).or_insert(next);
            if i == next {
                parts.push(Vec::new());
            }
            parts[i].push(r as u32);
        }
        parts
    }

    /// The folding rule. Within each partition (rows with one
    /// `partition(key)`), rows with fewer people than `need(key)` (at
    /// least `k`) fold into one row keyed `other(key)`; if that row is
    /// below the largest need among what it holds, the smallest remaining
    /// rows (fewest people, then first by `order`) join it until it is
    /// not; if even the whole partition is below, the partition is
    /// withheld. A row already keyed `other(key)` folds in too. `other`
    /// must map a partition's keys to one key of that partition.
    ///
    /// `order` breaks ties between rows of equal size. It must not depend
    /// on row numbers or label ids, which follow the order threads happened
    /// to read lines in: two runs over the same lines once folded a
    /// different one of two equal rows.
    pub fn fold<P: Hash + Eq, T: Ord>(
        self,
        k: u64,
        partition: impl Fn(&K) -> P,
        other: impl Fn(&K) -> K,
        need: impl Fn(&K) -> u64,
        order: impl Fn(&K) -> T,
    ) -> (Vec<Row<K, C>>, Disclosed) {
        let mut stats = Disclosed {
            k,
            rows_in: self.len(),
            ..Disclosed::default()
        };
        let need = |r: u32| need(self.key(r)).max(k);
        let mut union = self.union();
        let mut out = Vec::with_capacity(self.len());
        for rows in self.partitions(partition) {
            let Some(&first) = rows.first() else { continue };
            let other_key = other(self.key(first));
            let (mut folded, mut kept): (Vec<u32>, Vec<u32>) = rows
                .iter()
                .partition(|&&r| !self.enough(&mut union, &[r], need(r)));
            // A row already keyed like the fold joins it, if there is one.
            if !folded.is_empty()
                && let Some(at) = kept.iter().position(|&r| *self.key(r) == other_key)
            {
                folded.push(kept.remove(at));
            }
            if !folded.is_empty() {
                kept.sort_by_cached_key(|&r| (self.distinct(r), order(self.key(r))));
                kept.reverse();
                let mut needed = folded.iter().map(|&r| need(r)).max().unwrap_or(k);
                while !self.enough(&mut union, &folded, needed) {
                    let Some(next) = kept.pop() else { break };
                    needed = needed.max(need(next));
                    folded.push(next);
                }
                if kept.is_empty() && !self.enough(&mut union, &folded, needed) {
                    stats.partitions_withheld += 1;
                    stats.rows_withheld += rows.len();
                    continue;
                }
                let (c, d) = self.combine(&folded, &mut union);
                stats.rows_folded += folded
                    .iter()
                    .filter(|&&r| *self.key(r) != other_key)
                    .count();
                stats.other_rows_published += 1;
                out.push((other_key, c, d));
            }
            for r in kept {
                out.push((
                    *self.key(r),
                    self.counters[r as usize].clone(),
                    self.distinct(r),
                ));
            }
        }
        (out, stats)
    }

    /// The time-series rule. Within each partition, rows are taken in
    /// order of `hour(key)` (Unix seconds of the hour), and adjacent ones
    /// merge into a bucket until it has `k` people; a tail below `k` joins
    /// the last bucket; a partition below `k` is withheld. A bucket is keyed
    /// `at(first key)` and spans from its first hour to the end of its
    /// last. Also returns each bucket's member rows, for side tables
    /// bucketed alike.
    pub fn buckets<P: Hash + Eq>(
        self,
        k: u64,
        partition: impl Fn(&K) -> P,
        hour: impl Fn(&K) -> i64,
    ) -> (Vec<BucketRow<K, C>>, Vec<Vec<K>>, Disclosed) {
        let mut stats = Disclosed {
            k,
            rows_in: self.len(),
            ..Disclosed::default()
        };
        let mut union = self.union();
        let (mut out, mut plans) = (Vec::new(), Vec::new());
        for mut rows in self.partitions(partition) {
            rows.sort_by_key(|&r| hour(self.key(r)));
            let mut buckets: Vec<Vec<u32>> = Vec::new();
            let mut open: Vec<u32> = Vec::new();
            for r in rows.iter().copied() {
                open.push(r);
                if self.enough(&mut union, &open, k) {
                    buckets.push(std::mem::take(&mut open));
                }
            }
            match buckets.last_mut() {
                Some(last) => last.append(&mut open),
                None => {
                    stats.partitions_withheld += 1;
                    stats.rows_withheld += rows.len();
                    continue;
                }
            }
            for members in buckets {
                let (first, last) = (members[0], members[members.len() - 1]);
                let (start, end) = (hour(self.key(first)), hour(self.key(last)));
                stats.rows_bucketed += usize::from(members.len() > 1) * members.len();
                let (c, d) = self.combine(&members, &mut union);
                out.push((*self.key(first), c, d, (end - start) / 3600 + 1));
                plans.push(members.iter().map(|&r| *self.key(r)).collect());
            }
        }
        (out, plans, stats)
    }
}
