//! A mergeable group-by with exact distinct-visitor counts.
//!
//! Each row's visitors are kept as `(row, visitor id)` pairs packed into
//! one `u64` (row in the high half), appended as records arrive and sorted
//! and deduplicated when they have grown by half. Visitor ids are dense
//! per worker ([`VisitorId`]), so a pair takes 8 bytes where a pair with
//! the 64-bit pseudonym took 16 with padding: the pairs are most of a
//! run's memory, and sorting `u64`s is also faster than sorting tuples.

use std::collections::HashMap;
use std::hash::Hash;

use foldhash::fast::RandomState;

use crate::output::table::Suppressed;
use crate::privacy::pseudonym::Pseudonym;

/// A visitor's id within one worker: dense, in order of first appearance
/// (see [`super::sessions`], which hands them out). Two workers' ids for
/// one visitor differ, so merging renumbers them.
pub type VisitorId = u32;

/// Packs a pair so that sorting the `u64`s sorts by row, then visitor.
fn pack(row: u32, visitor: VisitorId) -> u64 {
    (u64::from(row) << 32) | u64::from(visitor)
}

fn row_of(pair: u64) -> u32 {
    (pair >> 32) as u32
}

fn visitor_of(pair: u64) -> VisitorId {
    pair as u32
}

/// Dense ids for pseudonyms, where no session table hands them out (the
/// Zoom tables, built from whole documents at the end of a run).
#[derive(Debug, Default)]
pub struct DenseIds(HashMap<u64, VisitorId, RandomState>);

impl DenseIds {
    /// The id of `p`, given on first sight.
    pub fn id(&mut self, p: Pseudonym) -> VisitorId {
        let next = VisitorId::try_from(self.0.len()).unwrap_or(VisitorId::MAX);
        *self.0.entry(p.value()).or_insert(next)
    }
}

/// Pairs bucketed by row, for counting distinct visitors per row without
/// sorting.
///
/// Rows and visitor ids are both dense small integers, so the pairs are
/// bucketed by row with a counting sort (two linear passes), and each
/// bucket is scanned against one array of "last row that counted this
/// visitor", which fits in cache for any realistic number of visitors. On
/// the pages table of the benchmark log (730,000 pairs) that takes 3.6 ms
/// on one thread, where bucketing and then sorting every bucket took
/// 5.5 ms on two; and it leaves the other thread free to build other
/// tables.
struct Buckets {
    starts: Vec<usize>,
    visitors: Vec<VisitorId>,
    visitor_ids: usize,
}

impl Buckets {
    /// Buckets `pairs` (iterated twice) into `rows` rows; `None` if a row
    /// is out of range or the visitor ids are too sparse for an array.
    fn new(pairs: impl Iterator<Item = (u32, VisitorId)> + Clone, rows: usize) -> Option<Self> {
        let mut starts = vec![0usize; rows + 1];
        let (mut len, mut visitor_ids) = (0usize, 0usize);
        for (row, v) in pairs.clone() {
            *starts.get_mut(row as usize + 1)? += 1;
            visitor_ids = visitor_ids.max(v as usize + 1);
            len += 1;
        }
        // Past 2³² visitors a worker's ids saturate; an array as large as
        // the ids would then be wasteful.
        if visitor_ids > len.max(1 << 20) {
            return None;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut visitors: Vec<VisitorId> = vec![0; len];
        let mut next = starts.clone();
        for (row, v) in pairs {
            let at = &mut next[row as usize];
            visitors[*at] = v;
            *at += 1;
        }
        Some(Buckets {
            starts,
            visitors,
            visitor_ids,
        })
    }

    /// Distinct visitors per row; `each` sees every distinct pair, rows in
    /// order.
    fn distinct(&self, mut each: impl FnMut(u32, VisitorId)) -> Vec<u64> {
        let mut distinct = vec![0u64; self.starts.len().saturating_sub(1)];
        // `u32::MAX` is no row: rows are below `starts.len()` here.
        let mut last_row = vec![u32::MAX; self.visitor_ids];
        for (row, w) in self.starts.windows(2).enumerate() {
            let row32 = row as u32;
            for &v in &self.visitors[w[0]..w[1]] {
                let last = &mut last_row[v as usize];
                if *last != row32 {
                    *last = row32;
                    distinct[row] += 1;
                    each(row32, v);
                }
            }
        }
        distinct
    }
}

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
    // Packed (row, visitor) pairs; duplicates allowed until `compact`.
    pairs: Vec<u64>,
    compacted_len: usize,
    // The last key looked up and its row: consecutive lines mostly share
    // their hour, day and site.
    last: Option<(K, u32)>,
    // Recently pushed pairs, one per slot chosen by a hash of the pair. A
    // pair equal to its slot's is a repeat and is not pushed again; a
    // repeat that was evicted is pushed and removed by `compact`, so the
    // filter saves work without ever changing a count.
    recent: Box<[u64]>,
}

/// Slots of the repeat filter (8 bytes each), a power of two.
const RECENT_BITS: u32 = 10;
const RECENT: usize = 1 << RECENT_BITS;

/// What an unused slot of the repeat filter holds. It is also a possible
/// pair (row and visitor both at their limit), so it is never taken for
/// a repeat.
const EMPTY: u64 = u64::MAX;

impl<K, C> Default for Group<K, C> {
    fn default() -> Self {
        Group {
            index: HashMap::default(),
            keys: Vec::new(),
            counters: Vec::new(),
            pairs: Vec::new(),
            compacted_len: 0,
            last: None,
            recent: vec![EMPTY; RECENT].into_boxed_slice(),
        }
    }
}

/// One finished row: key, counters, distinct visitors.
pub type Row<K, C> = (K, C, u64);

impl<K: Copy + Hash + Eq, C: Counters> Group<K, C> {
    /// The row of `key` (created if new) and its counters.
    pub fn row(&mut self, key: K) -> (u32, &mut C) {
        let id = match self.last {
            Some((last, id)) if last == key => id,
            _ => {
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
                self.last = Some((key, id));
                id
            }
        };
        let idx = (id as usize).min(self.counters.len() - 1);
        (id, &mut self.counters[idx])
    }

    /// Records that `visitor` contributed to row `row`.
    pub fn visit(&mut self, row: u32, visitor: VisitorId) {
        // One visitor's requests repeat rows (same hour, page, referrer),
        // so most pairs are caught here and never stored or sorted.
        let pair = pack(row, visitor);
        // Fibonacci hashing: the top bits of the product mix every bit of
        // the pair.
        let slot = (pair.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - RECENT_BITS)) as usize;
        if let Some(seen) = self.recent.get_mut(slot) {
            if *seen == pair && pair != EMPTY {
                return;
            }
            *seen = pair;
        }
        if self.pairs.len() == self.pairs.capacity() {
            self.make_room();
        }
        self.pairs.push(pair);
    }

    /// Compacts once duplicates may have grown the vector by half since the
    /// last compaction, so memory stays within 1.5 times the distinct pairs
    /// (twice cost a third more memory on a log that repeats its visitors)
    /// and the sorting cost is amortised over the pushes. The vector grows
    /// to exactly that limit: `Vec`'s doubling would leave up to half of a
    /// twice larger allocation unused, and the pairs are most of a run's
    /// memory.
    fn make_room(&mut self) {
        let limit = |compacted: usize| compacted.max(1 << 16) * 3 / 2;
        if self.pairs.len() >= limit(self.compacted_len) {
            self.compact();
        }
        let room = limit(self.compacted_len).saturating_sub(self.pairs.len());
        self.pairs.reserve_exact(room.max(1));
    }

    /// Sorts and deduplicates the visitor pairs.
    pub fn compact(&mut self) {
        // The front is sorted since the last compaction: sort the tail, and
        // the stable sort then only merges the two runs (linear).
        let tail = self.compacted_len.min(self.pairs.len());
        self.pairs[tail..].sort_unstable();
        self.pairs.sort();
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

    /// Adds every row of `other` into `self`, converting its keys with `f`
    /// (another worker's label ids into this one's) and its visitor ids
    /// through `visitors` (indexed by `other`'s ids).
    pub fn merge_mapped<K2>(
        &mut self,
        other: Group<K2, C>,
        f: impl Fn(K2) -> K,
        visitors: &[VisitorId],
    ) {
        self.index.reserve(other.keys.len());
        self.pairs.reserve_exact(other.pairs.len());
        let mut remap = Vec::with_capacity(other.keys.len());
        for (key, counters) in other.keys.into_iter().zip(other.counters) {
            let (id, c) = self.row(f(key));
            c.merge(&counters);
            remap.push(id);
        }
        // Not compacted here: merging happens once per worker at the end
        // of a run, and the table counts its pairs once, when it is built.
        self.pairs.extend(other.pairs.into_iter().map(|p| {
            let row = remap.get(row_of(p) as usize).copied().unwrap_or(u32::MAX);
            let v = visitor_of(p);
            pack(row, visitors.get(v as usize).copied().unwrap_or(v))
        }));
    }

    /// Deduplicates the pairs, leaving them grouped by row, and returns
    /// where each row's pairs start: row `r`'s distinct visitors are
    /// `pairs[starts[r]..starts[r + 1]]`. For the end of a run.
    fn distinct_per_row(&mut self) -> Vec<usize> {
        let rows = self.keys.len();
        let pairs = self.pairs.iter().map(|&p| (row_of(p), visitor_of(p)));
        let mut starts = vec![0usize; rows + 1];
        match Buckets::new(pairs, rows) {
            Some(buckets) => {
                self.pairs.clear();
                let distinct = buckets.distinct(|row, v| self.pairs.push(pack(row, v)));
                for (r, d) in distinct.into_iter().enumerate() {
                    starts[r + 1] = starts[r] + d as usize;
                }
                // Grouped by row but not sorted within rows: nothing is
                // known sorted for `compact`.
                self.compacted_len = 0;
            }
            None => {
                self.pairs.sort_unstable();
                self.pairs.dedup();
                self.compacted_len = self.pairs.len();
                // Pairs of rows past `rows` (not reachable through `row`)
                // sort last and are left out.
                for r in 0..rows {
                    let next = r as u32 + 1;
                    starts[r + 1] = self.pairs.partition_point(|&p| row_of(p) < next);
                }
            }
        }
        starts
    }

    /// Small-group suppression: within each partition (rows with the same
    /// `partition(key)`), rows with fewer than `k` distinct visitors are
    /// folded into one row keyed `other(key)`, which is itself dropped when
    /// it has fewer than `k` distinct visitors. `other` must map every key
    /// of a partition to one key of that partition, and that key to itself.
    ///
    /// A partition never hides exactly one of several rows: if only one is
    /// small, the smallest publishable row is folded in with it, so no
    /// hidden row equals "partition total minus published rows".
    ///
    /// Returns the finished rows (as [`Group::finish`] would) and what was
    /// suppressed.
    pub fn suppress<P: Hash + Eq>(
        mut self,
        k: u64,
        partition: impl Fn(&K) -> P,
        other: impl Fn(&K) -> K,
    ) -> (Vec<Row<K, C>>, Suppressed) {
        let starts = self.distinct_per_row();
        let rows = self.keys.len();
        let distinct = |r: usize| (starts[r + 1] - starts[r]) as u64;
        let mut parts: HashMap<P, Vec<u32>, RandomState> = HashMap::default();
        for (i, key) in self.keys.iter().enumerate() {
            parts.entry(partition(key)).or_default().push(i as u32);
        }
        let mut folded = vec![false; rows];
        for rows in parts.values_mut() {
            let mut small: Vec<u32> = rows
                .iter()
                .copied()
                .filter(|&r| distinct(r as usize) < k)
                .collect();
            if small.len() == 1 && rows.len() > 1 {
                // Complementary suppression: also fold the smallest other row.
                if let Some(&next) = rows
                    .iter()
                    .filter(|&&r| distinct(r as usize) >= k)
                    .min_by_key(|&&r| (distinct(r as usize), r))
                {
                    small.push(next);
                }
            }
            for r in small {
                folded[r as usize] = true;
            }
        }
        let mut stats = Suppressed {
            k,
            rows_folded: folded.iter().filter(|f| **f).count(),
            ..Suppressed::default()
        };
        // Where each folded row goes: the row of its `other` key, which is
        // an existing row when a row already has that key (then it gathers
        // too), or a new one after the existing rows.
        let mut new_rows: HashMap<K, usize, RandomState> = HashMap::default();
        let mut sources: Vec<(usize, usize)> = Vec::new();
        for i in (0..rows).filter(|&i| folded[i]) {
            let key = other(&self.keys[i]);
            let to = match self.index.get(&key) {
                Some(&id) => id as usize,
                None => {
                    let next = rows + new_rows.len();
                    *new_rows.entry(key).or_insert(next)
                }
            };
            sources.push((to, i));
        }
        let mut new_keys: Vec<(usize, K)> = new_rows.into_iter().map(|(k, id)| (id, k)).collect();
        new_keys.sort_unstable_by_key(|&(id, _)| id);
        self.keys.extend(new_keys.into_iter().map(|(_, k)| k));
        self.counters.resize(self.keys.len(), C::default());
        // A gathering row keeps its own visitors too, unless it was folded
        // (into itself) and so is among the sources already.
        let mut gathers = vec![false; self.keys.len()];
        for &(to, _) in &sources {
            gathers[to] = true;
        }
        for to in 0..rows {
            if gathers[to] && !folded[to] {
                sources.push((to, to));
            }
        }
        sources.sort_unstable();
        let mut out_distinct: Vec<u64> = (0..self.keys.len())
            .map(|r| if r < rows { distinct(r) } else { 0 })
            .collect();
        for run in sources.chunk_by(|a, b| a.0 == b.0) {
            let to = run[0].0;
            let mut visitors: Vec<VisitorId> = run
                .iter()
                .flat_map(|&(_, from)| &self.pairs[starts[from]..starts[from + 1]])
                .map(|&p| visitor_of(p))
                .collect();
            visitors.sort_unstable();
            visitors.dedup();
            out_distinct[to] = visitors.len() as u64;
            for &(_, from) in run {
                if from != to {
                    let c = std::mem::take(&mut self.counters[from]);
                    self.counters[to].merge(&c);
                }
            }
        }
        // Published: rows not folded away, and gathering rows of at least
        // k visitors.
        let mut published = vec![false; self.keys.len()];
        for (r, p) in published.iter_mut().enumerate() {
            let kept = r >= rows || !folded[r] || gathers[r];
            *p = kept && (!gathers[r] || out_distinct[r] >= k);
            if gathers[r] {
                if *p {
                    stats.other_rows_published += 1;
                } else {
                    stats.other_rows_withheld += 1;
                }
            }
        }
        let rows = self
            .keys
            .into_iter()
            .zip(self.counters)
            .zip(out_distinct)
            .zip(published)
            .filter(|(_, p)| *p)
            .map(|(((key, c), d), _)| (key, c, d))
            .collect();
        (rows, stats)
    }

    /// Finished rows with exact distinct visitor counts, in no order.
    pub fn finish(mut self) -> Vec<Row<K, C>> {
        let starts = self.distinct_per_row();
        let distinct = starts.windows(2).map(|w| (w[1] - w[0]) as u64);
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

    fn add(g: &mut Group<u8, Count>, key: u8, visitor: VisitorId) {
        let (row, c) = g.row(key);
        c.0 += 1;
        g.visit(row, visitor);
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
        // b's ids are its own: its visitors 0, 1, 2 are a's 11, 12 and 10.
        let mut b = Group::default();
        add(&mut b, 1, 0);
        add(&mut b, 1, 1);
        add(&mut b, 3, 2);
        // Keys of b are "local ids": shift them and back to test the key map.
        let mut shifted = Group::default();
        shifted.merge_mapped(b, |k: u8| k + 100, &[0, 1, 2]);
        a.merge_mapped(shifted, |k| k - 100, &[11, 12, 10]);
        assert_eq!(sorted(a), vec![(1, 5, 3), (2, 1, 1), (3, 1, 1)]);
    }

    #[test]
    fn sparse_visitor_ids_count_the_same() {
        // Saturated ids (a worker past 2³² visitors) take the sorting path.
        let rows = |ids: &[VisitorId]| {
            let mut g = Group::default();
            for &v in ids {
                add(&mut g, 1, v);
                add(&mut g, 2, v / 2);
            }
            sorted(g)
        };
        let dense = rows(&[4, 5, 4, 7]);
        let sparse = rows(&[u32::MAX - 3, u32::MAX - 2, u32::MAX - 3, u32::MAX]);
        assert_eq!(dense, vec![(1, 4, 3), (2, 4, 2)]);
        assert_eq!(sparse, dense);
    }

    /// Builds a group of (partition, row) keys with the given visitor sets.
    fn group_of(rows: &[(u8, u8, Vec<VisitorId>)]) -> Group<(u8, u8), Count> {
        let mut g: Group<(u8, u8), Count> = Group::default();
        for (part, row, visitors) in rows {
            for v in visitors {
                let (id, c) = g.row((*part, *row));
                c.0 += 1;
                g.visit(id, *v);
            }
        }
        g
    }

    const OTHER: u8 = 255;

    #[test]
    fn nine_visitors_fold_ten_publish() {
        let nine: Vec<VisitorId> = (0..9).collect();
        let ten: Vec<VisitorId> = (100..110).collect();
        let many: Vec<VisitorId> = (200..230).collect();
        let g = group_of(&[(0, 1, nine), (0, 2, ten), (0, 3, many)]);
        let (s, stats) = g.suppress(10, |k| k.0, |k| (k.0, OTHER));
        let rows: Vec<_> = {
            let mut r: Vec<_> = s.into_iter().map(|(k, c, d)| (k.1, c.0, d)).collect();
            r.sort();
            r
        };
        // Row 1 (9 visitors) is small; alone it would be recoverable from
        // the total, so row 2 (the smallest publishable) folds with it.
        assert_eq!(rows, vec![(3, 30, 30), (OTHER, 19, 19)]);
        assert_eq!(stats.rows_folded, 2);
        assert_eq!(stats.other_rows_published, 1);
    }

    #[test]
    fn one_visitor_with_a_thousand_hits_is_still_one_visitor() {
        let heavy = vec![7u32; 1000];
        let g = group_of(&[
            (0, 1, heavy),
            (0, 2, (100..112).collect()),
            (0, 3, (20..40).collect()),
        ]);
        let (s, stats) = g.suppress(10, |k| k.0, |k| (k.0, OTHER));
        let rows = s;
        assert!(
            rows.iter().all(|(k, _, _)| k.1 != 1),
            "the heavy row must not publish"
        );
        // Folded with row 2 (12 visitors): the other row has 13 >= 10.
        assert!(
            rows.iter()
                .any(|(k, c, d)| k.1 == OTHER && c.0 == 1012 && *d == 13)
        );
        assert_eq!(stats.rows_folded, 2);
    }

    #[test]
    fn a_row_already_keyed_like_the_other_row_gathers_the_folded_ones() {
        let g = group_of(&[
            (0, 1, (0..3).collect()),
            (0, 2, (100..120).collect()),
            (0, OTHER, (200..208).collect()),
        ]);
        let (rows, stats) = g.suppress(10, |k| k.0, |k| (k.0, OTHER));
        let mut rows: Vec<_> = rows.into_iter().map(|(k, c, d)| (k.1, c.0, d)).collect();
        rows.sort();
        assert_eq!(rows, vec![(2, 20, 20), (OTHER, 11, 11)]);
        assert_eq!(
            (
                stats.rows_folded,
                stats.other_rows_published,
                stats.other_rows_withheld
            ),
            (2, 1, 0)
        );
    }

    proptest::proptest! {
        /// Whatever the rows, after suppression: every published row has at
        /// least k visitors; each partition hides no row, or at least two,
        /// or is a single row; and published plus hidden counts are the
        /// whole, so the hidden part is never exactly one cell.
        #[test]
        fn no_published_total_reveals_a_suppressed_cell(
            rows in proptest::collection::vec(
                (0u8..3, 0u8..12, proptest::collection::vec(0u32..40, 1..25)),
                1..30,
            ),
            k in 1u64..15,
        ) {
            let g = group_of(&rows);
            let before = g.clone().finish();
            let (after, stats) = g.suppress(k, |key| key.0, |key| (key.0, OTHER));
            for (key, _, d) in &after {
                proptest::prop_assert!(*d >= k, "row {key:?} published with {d} < {k}");
            }
            for part in 0u8..3 {
                let orig: Vec<_> = before.iter().filter(|r| r.0.0 == part).collect();
                let published: Vec<_> = after.iter().filter(|r| r.0.0 == part && r.0.1 != OTHER).collect();
                let hidden: Vec<_> = orig
                    .iter()
                    .filter(|o| !published.iter().any(|p| p.0 == o.0))
                    .collect();
                proptest::prop_assert!(
                    hidden.is_empty() || hidden.len() >= 2 || orig.len() == 1,
                    "partition {part}: exactly one of {} rows hidden",
                    orig.len()
                );
                // Published rows are unchanged; the other row is exactly the hidden ones.
                for p in &published {
                    let o = orig.iter().find(|o| o.0 == p.0).unwrap();
                    proptest::prop_assert_eq!((o.1.0, o.2), (p.1.0, p.2));
                }
                if let Some(other) = after.iter().find(|r| r.0 == (part, OTHER)) {
                    let hidden_hits: u64 = hidden.iter().map(|h| h.1.0).sum();
                    proptest::prop_assert_eq!(other.1.0, hidden_hits);
                }
            }
            proptest::prop_assert_eq!(
                stats.rows_folded,
                before.len() - after.iter().filter(|r| r.0.1 != OTHER).count()
            );
        }
    }
}
