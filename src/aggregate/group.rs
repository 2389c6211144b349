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
        // of a run, and the tables sort once, on every thread.
        self.pairs.extend(other.pairs.into_iter().map(|p| {
            let row = remap.get(row_of(p) as usize).copied().unwrap_or(u32::MAX);
            let v = visitor_of(p);
            pack(row, visitors.get(v as usize).copied().unwrap_or(v))
        }));
    }

    /// Deduplicates the pairs and counts each row's distinct visitors,
    /// leaving the pairs grouped by row. For the end of a run.
    fn distinct_per_row(&mut self) -> Vec<u64> {
        let pairs = self.pairs.iter().map(|&p| (row_of(p), visitor_of(p)));
        let Some(buckets) = Buckets::new(pairs, self.keys.len()) else {
            self.pairs.sort_unstable();
            self.pairs.dedup();
            self.compacted_len = self.pairs.len();
            let mut distinct = vec![0u64; self.keys.len()];
            for &p in &self.pairs {
                if let Some(d) = distinct.get_mut(row_of(p) as usize) {
                    *d += 1;
                }
            }
            return distinct;
        };
        self.pairs.clear();
        let distinct = buckets.distinct(|row, v| self.pairs.push(pack(row, v)));
        // Grouped by row but not sorted within rows: nothing is known
        // sorted for `compact`.
        self.compacted_len = 0;
        distinct
    }

    /// Small-group suppression: within each partition (rows with the same
    /// `partition(key)`), rows with fewer than `k` distinct visitors are
    /// folded into one row keyed `other(key)`, which is itself dropped when
    /// it has fewer than `k` distinct visitors.
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
        let distinct = self.distinct_per_row();
        let mut parts: HashMap<P, Vec<u32>, RandomState> = HashMap::default();
        for (i, key) in self.keys.iter().enumerate() {
            parts.entry(partition(key)).or_default().push(i as u32);
        }
        // Destination of every row: itself, or its partition's other row.
        let mut folded = vec![false; self.keys.len()];
        for rows in parts.values_mut() {
            let mut small: Vec<u32> = rows
                .iter()
                .copied()
                .filter(|&r| distinct[r as usize] < k)
                .collect();
            if small.len() == 1 && rows.len() > 1 {
                // Complementary suppression: also fold the smallest other row.
                if let Some(&next) = rows
                    .iter()
                    .filter(|&&r| distinct[r as usize] >= k)
                    .min_by_key(|&&r| (distinct[r as usize], r))
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
        // Rows after folding: published rows and the other rows.
        let mut out = Group::<K, C>::default();
        let mut remap = Vec::with_capacity(self.keys.len());
        for (i, (key, counters)) in self.keys.iter().zip(&self.counters).enumerate() {
            let target = if folded[i] { other(key) } else { *key };
            let (id, c) = out.row(target);
            c.merge(counters);
            remap.push(id);
        }
        // A row that is one unfolded row keeps its count; only rows that
        // gathered folded rows (or, in a name collision, several rows)
        // need the union of their visitors, so only their pairs are
        // sorted again.
        let mut sources = vec![0u32; out.keys.len()];
        let mut is_other = vec![false; out.keys.len()];
        for (i, &id) in remap.iter().enumerate() {
            sources[id as usize] += 1;
            is_other[id as usize] |= folded[i];
        }
        let union = |id: u32| is_other[id as usize] || sources[id as usize] > 1;
        let mut out_distinct = vec![0u64; out.keys.len()];
        for (i, &id) in remap.iter().enumerate() {
            if !union(id) {
                out_distinct[id as usize] = distinct[i];
            }
        }
        let gathered = self
            .pairs
            .iter()
            .map(|&p| (remap[row_of(p) as usize], visitor_of(p)))
            .filter(|&(row, _)| union(row));
        match Buckets::new(gathered.clone(), out.keys.len()) {
            Some(buckets) => {
                for (d, n) in out_distinct.iter_mut().zip(buckets.distinct(|_, _| {})) {
                    *d += n;
                }
            }
            None => {
                let mut gathered: Vec<u64> = gathered.map(|(r, v)| pack(r, v)).collect();
                gathered.sort_unstable();
                gathered.dedup();
                for &p in &gathered {
                    out_distinct[row_of(p) as usize] += 1;
                }
            }
        }
        // Other rows below k are withheld.
        let keep = |id: usize| !is_other[id] || out_distinct[id] >= k;
        stats.other_rows_published = (0..out.keys.len())
            .filter(|&i| is_other[i] && keep(i))
            .count();
        stats.other_rows_withheld = (0..out.keys.len())
            .filter(|&i| is_other[i] && !keep(i))
            .count();
        let rows = out
            .keys
            .into_iter()
            .zip(out.counters)
            .zip(&out_distinct)
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, ((key, c), &d))| (key, c, d))
            .collect();
        (rows, stats)
    }

    /// Finished rows with exact distinct visitor counts, in no order.
    pub fn finish(mut self) -> Vec<Row<K, C>> {
        let distinct = self.distinct_per_row();
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
