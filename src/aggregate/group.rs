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

pub use crate::privacy::disclosure::Counters;
use crate::privacy::disclosure::Rows;
use crate::privacy::disclosure::dp::Contributions;
use crate::privacy::pseudonym::Pseudonym;

/// A visitor's id within one worker: dense, in order of first appearance
/// (see [`super::sessions`], which hands them out). Two workers' ids for
/// one visitor differ, so merging renumbers them.
pub type VisitorId = u32;

/// Packs a pair so that sorting the `u64`s sorts by row, then visitor.
fn pack(row: u32, visitor: VisitorId) -> u64 {
    (u64::from(row) << 32) | u64::from(visitor)
}

/// Whether sorting `pairs` would remove under a tenth of them, judged
/// from a sample: the pairs whose hash falls in one 64th of the range,
/// every copy of them, so the sample's share of repeats estimates the
/// whole vector's (within a percent or two at the sizes a compaction
/// sees). Too small a sample says no, and the sort runs as before. The
/// hash is not the repeat filter's, whose slots must not decide what is
/// sampled.
fn few_repeats(pairs: &[u64]) -> bool {
    let mut sample: Vec<u64> = pairs
        .iter()
        .copied()
        .filter(|&p| p.wrapping_mul(0xd6e8_feb8_6659_fd93) >> 58 == 0)
        .collect();
    let n = sample.len();
    if n < 1 << 10 {
        return false;
    }
    sample.sort_unstable();
    sample.dedup();
    (n - sample.len()) * 10 < n
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
    // Whether the last compaction found few repeats: the next one then
    // waits longer (see `make_room`).
    sparse: bool,
    // The length at which a compaction was last found not worth its sort
    // and skipped (0 after one that ran): the next one waits from there.
    skipped_at: usize,
    // The last key looked up and its row: consecutive lines mostly share
    // their hour, day and site.
    last: Option<(K, u32)>,
    // Recently pushed pairs, one per slot chosen by a hash of the pair. A
    // pair equal to its slot's is a repeat and is not pushed again; a
    // repeat that was evicted is pushed and removed by `compact`, so the
    // filter saves work without ever changing a count.
    recent: Box<[u64]>,
    // Requests per pair, when the group counts them (see `counting`).
    tally: Option<Tally>,
    // Whether visits are recorded at all (see `without_visitors`).
    tracks: bool,
}

/// Requests per pair, for the differential-privacy mode, which bounds how
/// many of one person's requests a row counts: `counts[i]` is the number
/// of times `pairs[i]` was visited. A pair in the repeat filter is not
/// pushed until it leaves it: `held[slot]` counts its visits meanwhile,
/// so a repeat adds to a counter in the filter's own small arrays, not to
/// one somewhere in `counts` (a cache miss per request). The k mode needs
/// only distinct pairs and does without both (they would take a third
/// more memory).
#[derive(Debug, Clone)]
struct Tally {
    counts: Vec<u32>,
    held: Box<[u32]>,
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
            sparse: false,
            skipped_at: 0,
            last: None,
            recent: vec![EMPTY; RECENT].into_boxed_slice(),
            tally: None,
            tracks: true,
        }
    }
}

impl<K, C> Group<K, C> {
    /// Pushes the pairs a counting group's filter holds, and empties it.
    fn flush(&mut self) {
        let Some(t) = &mut self.tally else {
            return;
        };
        for (seen, held) in self.recent.iter_mut().zip(t.held.iter_mut()) {
            if *seen != EMPTY {
                self.pairs.push(*seen);
                t.counts.push(*held);
            }
            (*seen, *held) = (EMPTY, 0);
        }
    }

    /// An empty group that also counts each (row, visitor) pair's visits,
    /// for [`Group::into_contributions`].
    pub fn counting() -> Self {
        Group {
            tally: Some(Tally {
                counts: Vec::new(),
                held: vec![0; RECENT].into_boxed_slice(),
            }),
            ..Group::default()
        }
    }

    /// An empty group that keeps its rows' counters but no visitors:
    /// visits are ignored, and every row counts nobody. For the groups of
    /// tables a release never publishes, whose pairs would cost work and
    /// memory for nothing.
    pub fn without_visitors() -> Self {
        Group {
            tracks: false,
            ..Group::default()
        }
    }
}

/// One finished row: key, counters, distinct visitors.
pub use crate::privacy::disclosure::Row;

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

    /// Records that `visitor` made `n` requests to row `row` (a partial's
    /// pair, imported): the pair is pushed whole, past the repeat filter.
    /// A group that does not count keeps only the pair.
    pub fn visit_n(&mut self, row: u32, visitor: VisitorId, n: u32) {
        if self.tracks {
            self.push(pack(row, visitor), n);
        }
    }

    /// Records that `visitor` contributed to row `row`.
    pub fn visit(&mut self, row: u32, visitor: VisitorId) {
        if !self.tracks {
            return;
        }
        // One visitor's requests repeat rows (same hour, page, referrer),
        // so most pairs are caught here and never stored or sorted.
        let pair = pack(row, visitor);
        // Fibonacci hashing: the top bits of the product mix every bit of
        // the pair.
        let slot = (pair.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - RECENT_BITS)) as usize;
        if self.tally.is_some() {
            return self.visit_counted(pair, slot);
        }
        if let Some(seen) = self.recent.get_mut(slot) {
            if *seen == pair && pair != EMPTY {
                return;
            }
            *seen = pair;
        }
        self.push(pair, 1);
    }

    /// [`Group::visit`] of a counting group: the filter holds the pair and
    /// counts its visits; the pair it displaces is pushed with its count.
    fn visit_counted(&mut self, pair: u64, slot: usize) {
        let (Some(seen), Some(held)) = (
            self.recent.get_mut(slot),
            self.tally.as_mut().and_then(|t| t.held.get_mut(slot)),
        ) else {
            return self.push(pair, 1);
        };
        if pair == EMPTY {
            return self.push(pair, 1);
        }
        if *seen == pair {
            *held = held.saturating_add(1);
            return;
        }
        let (old, n) = (*seen, *held);
        (*seen, *held) = (pair, 1);
        if old != EMPTY {
            self.push(old, n);
        }
    }

    /// Pushes a pair with `n` visits (the count only kept when counting).
    fn push(&mut self, pair: u64, n: u32) {
        if self.pairs.len() == self.pairs.capacity() {
            self.make_room();
        }
        if let Some(t) = &mut self.tally {
            t.counts.push(n);
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
    ///
    /// When the last compaction removed under a tenth of what it sorted,
    /// the pairs are nearly all distinct already (a million visitors with a
    /// request or two each): sorting them again at every half only costs
    /// time (3% of such a run), so the next compaction waits until the
    /// vector has quadrupled. Memory still follows the distinct pairs,
    /// since there are few repeats to hold, and one compaction that finds
    /// many of them brings back the tighter limit.
    ///
    /// Before sorting, a sample tells whether the sort would remove a
    /// tenth ([`few_repeats`]); if not, it is skipped and the vector
    /// waits as after a sparse compaction. The fixed limits made that sort
    /// happen whatever the data: on two threads each worker sorted its
    /// share at the same sizes as one worker did, and the run with a
    /// million visitors spent twice as long in sorts that removed nothing.
    fn make_room(&mut self) {
        let limit = |from: usize, sparse: bool| match sparse {
            true => from.max(1 << 16) * 4,
            false => from.max(1 << 16) * 3 / 2,
        };
        let from = |g: &Self| g.compacted_len.max(g.skipped_at);
        if self.pairs.len() >= limit(from(self), self.sparse) {
            if few_repeats(&self.pairs) {
                self.sparse = true;
                self.skipped_at = self.pairs.len();
            } else {
                let sorted = self.pairs.len();
                self.compact();
                self.sparse = self.compacted_len > sorted - sorted / 10;
                self.skipped_at = 0;
            }
        }
        let room = limit(from(self), self.sparse).saturating_sub(self.pairs.len());
        self.pairs.reserve_exact(room.max(1));
    }

    /// Sorts and deduplicates the visitor pairs.
    pub fn compact(&mut self) {
        if self.tally.is_some() {
            if self.distinct_counted().is_none()
                && let Some(t) = &mut self.tally
            {
                Self::compact_counted(&mut self.pairs, t);
            }
            self.compacted_len = self.pairs.len();
            return;
        }
        // The front is sorted since the last compaction: sort the tail, and
        // the stable sort then only merges the two runs (linear).
        let tail = self.compacted_len.min(self.pairs.len());
        self.pairs[tail..].sort_unstable();
        self.pairs.sort();
        self.pairs.dedup();
        self.compacted_len = self.pairs.len();
    }

    /// A counting group's pairs made distinct without sorting, as
    /// [`Buckets`] does for plain ones: bucketed by row (a counting sort),
    /// then each bucket's repeats found through a "last row that saw this
    /// visitor" array, their counts added to the first one's. Leaves the
    /// pairs grouped by row (not sorted within rows) and returns where
    /// each row's start; `None` when the visitor ids are too sparse for
    /// the arrays (the sorting path then does it). Pairs of rows past the
    /// group's (not reachable through `row`) are left out.
    fn distinct_counted(&mut self) -> Option<Vec<usize>> {
        self.flush();
        let rows = self.keys.len();
        let t = self.tally.as_mut()?;
        let mut starts = vec![0usize; rows + 1];
        let mut visitor_ids = 0usize;
        for &p in &self.pairs {
            if let Some(s) = starts.get_mut(row_of(p) as usize + 1) {
                *s += 1;
                visitor_ids = visitor_ids.max(visitor_of(p) as usize + 1);
            }
        }
        if visitor_ids > self.pairs.len().max(1 << 20) {
            return None;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let kept = starts[rows];
        let (mut visitors, mut counts) = (vec![0u32; kept], vec![0u32; kept]);
        let mut next = starts.clone();
        for (&p, &c) in self.pairs.iter().zip(&t.counts) {
            if let Some(at) = next.get_mut(row_of(p) as usize)
                && let (Some(v), Some(n)) = (visitors.get_mut(*at), counts.get_mut(*at))
            {
                (*v, *n) = (visitor_of(p), c);
                *at += 1;
            }
        }
        let mut last_row = vec![u32::MAX; visitor_ids];
        let mut place = vec![0usize; visitor_ids];
        let (mut pairs, mut sums) = (Vec::with_capacity(kept), Vec::with_capacity(kept));
        let mut out_starts = vec![0usize; rows + 1];
        for r in 0..rows {
            let row = r as u32;
            for i in starts[r]..starts[r + 1] {
                let v = visitors[i] as usize;
                if last_row[v] != row {
                    (last_row[v], place[v]) = (row, sums.len());
                    pairs.push(pack(row, visitors[i]));
                    sums.push(counts[i]);
                } else if let Some(n) = sums.get_mut(place[v]) {
                    *n = u32::saturating_add(*n, counts[i]);
                }
            }
            out_starts[r + 1] = pairs.len();
        }
        self.pairs = pairs;
        t.counts = sums;
        // Distinct, grouped by row, not sorted within rows.
        self.compacted_len = self.pairs.len();
        Some(out_starts)
    }

    /// Sorts pairs with their counts and adds up the counts of equal
    /// pairs: the path of visitor ids too sparse for `distinct_counted`'s
    /// arrays (a worker past 2³² visitors), so plain rather than fast.
    fn compact_counted(pairs: &mut Vec<u64>, t: &mut Tally) {
        let mut both: Vec<(u64, u32)> = (pairs.iter().copied())
            .zip(t.counts.iter().copied())
            .collect();
        both.sort_unstable_by_key(|&(p, _)| p);
        pairs.clear();
        t.counts.clear();
        for (p, c) in both {
            match (pairs.last(), t.counts.last_mut()) {
                (Some(&last), Some(n)) if last == p => *n = n.saturating_add(c),
                _ => {
                    pairs.push(p);
                    t.counts.push(c);
                }
            }
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the group counts each pair's visits ([`Group::counting`]).
    pub fn is_counting(&self) -> bool {
        self.tally.is_some()
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
        mut other: Group<K2, C>,
        f: impl Fn(K2) -> K,
        visitors: &[VisitorId],
    ) {
        // The other group's filter may hold pairs not pushed yet.
        other.flush();
        self.index.reserve(other.keys.len());
        self.pairs.reserve_exact(other.pairs.len());
        let mut remap = Vec::with_capacity(other.keys.len());
        for (key, counters) in other.keys.into_iter().zip(other.counters) {
            let (id, c) = self.row(f(key));
            c.merge(&counters);
            remap.push(id);
        }
        if !self.tracks {
            return;
        }
        // Not compacted here: merging happens once per worker at the end
        // of a run, and the table counts its pairs once, when it is built.
        if let Some(t) = &mut self.tally {
            let counts = other.tally.map(|o| o.counts);
            let n = other.pairs.len();
            match counts {
                Some(c) if c.len() == n => t.counts.extend(c),
                _ => t.counts.extend(std::iter::repeat_n(1, n)),
            }
        }
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
        // Counts travel with their pairs, which bucketing would lose.
        let buckets = match self.tally {
            Some(_) => {
                if let Some(starts) = self.distinct_counted() {
                    return starts;
                }
                None
            }
            None => Buckets::new(pairs, rows),
        };
        match buckets {
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
                self.compact();
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

    /// Hands every row, with its counters and distinct visitor ids, to
    /// `each`, in row order; the group stays usable. For saving a run's
    /// aggregate as private partials.
    pub fn for_each_row(&mut self, mut each: impl FnMut(&K, &C, &[VisitorId])) {
        self.for_each_row_counted(|key, counters, visitors, _| each(key, counters, visitors));
    }

    /// [`Group::for_each_row`] with each visitor's requests to the row
    /// beside the visitors (`None` when the group does not count them).
    pub fn for_each_row_counted(
        &mut self,
        mut each: impl FnMut(&K, &C, &[VisitorId], Option<&[u32]>),
    ) {
        let starts = self.distinct_per_row();
        let mut visitors = Vec::new();
        for (r, (key, counters)) in self.keys.iter().zip(&self.counters).enumerate() {
            visitors.clear();
            let range = starts[r]..starts[r + 1];
            let pairs = self.pairs.get(range.clone()).unwrap_or(&[]);
            visitors.extend(pairs.iter().map(|&p| visitor_of(p)));
            let counts = self.tally.as_ref().and_then(|t| t.counts.get(range));
            each(key, counters, &visitors, counts);
        }
    }

    /// The rows with their people, for disclosure control: each row's
    /// distinct visitors, mapped to people through `person` (indexed by
    /// visitor id) where visitors of several sites may be one person.
    pub fn into_rows(mut self, person: Option<&[u32]>) -> Rows<K, C> {
        let starts = self.distinct_per_row();
        let people = self.people(person);
        Rows::new(self.keys, self.counters, starts, people)
    }

    /// The person of every pair, through `person` (indexed by visitor id;
    /// the visitor itself without it).
    fn people(&self, person: Option<&[u32]>) -> Vec<u32> {
        self.pairs
            .iter()
            .map(|&p| {
                let v = visitor_of(p);
                person.and_then(|m| m.get(v as usize).copied()).unwrap_or(v)
            })
            .collect()
    }

    /// The rows with each person's requests in them, for the
    /// differential-privacy mode: like [`Group::into_rows`], with the
    /// number of times each pair was visited (1 for every pair of a group
    /// that was not [`Group::counting`]).
    pub fn into_contributions(mut self, person: Option<&[u32]>) -> Contributions<K> {
        let starts = self.distinct_per_row();
        let people = self.people(person);
        let requests = match self.tally {
            Some(t) if t.counts.len() == self.pairs.len() => t.counts,
            _ => vec![1; self.pairs.len()],
        };
        Contributions::new(self.keys, starts, people, requests)
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
    fn a_sample_tells_whether_sorting_would_remove_a_tenth() {
        let distinct: Vec<u64> = (0..200_000u64)
            .map(|i| pack((i % 7) as u32, i as u32))
            .collect();
        assert!(few_repeats(&distinct));
        // A fifth of the pairs repeat earlier ones.
        let mut repeats = distinct.clone();
        repeats.extend_from_slice(&distinct[..50_000]);
        assert!(!few_repeats(&repeats));
        // Too few to sample: sort.
        assert!(!few_repeats(&distinct[..1000]));
        // The groups count the same either way (a million distinct pairs
        // with every compaction skipped, then a tenth repeated).
        let mut g: Group<u32, Count> = Group::default();
        for v in 0..1_000_000u32 {
            let (row, _) = g.row(v % 3);
            g.visit(row, v);
        }
        for v in (0..1_000_000u32).step_by(10) {
            let (row, _) = g.row(v % 3);
            g.visit(row, v);
        }
        let mut people = 0;
        g.for_each_row(|_, _, visitors| people += visitors.len());
        assert_eq!(people, 1_000_000);
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

    /// Each pair's visits, from `into_contributions`, as sorted
    /// (key, visitor, requests).
    fn counted(g: Group<u8, Count>) -> Vec<(u8, u32, u32)> {
        let c = g.into_contributions(None);
        let mut out = Vec::new();
        for r in 0..c.len() as u32 {
            let (people, requests) = c.row(r);
            for (&p, &n) in people.iter().zip(requests) {
                out.push((*c.key(r), p, n));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_counting_group_counts_every_visit_through_filter_compaction_and_merges() {
        // Enough pairs to compact several times and to evict repeats from
        // the filter, so counts cross every path.
        let mut a = Group::counting();
        let mut expected = std::collections::BTreeMap::new();
        for i in 0..300_000u32 {
            let (key, visitor) = ((i % 7) as u8, (i * 7919) % 40_000);
            add(&mut a, key, visitor);
            *expected.entry((key, visitor)).or_insert(0u32) += 1;
        }
        let mut b = Group::counting();
        add(&mut b, 1, 0);
        add(&mut b, 1, 0);
        add(&mut b, 9, 1);
        // b's visitors 0 and 1 are a's 5 and 40,000.
        a.merge_mapped(b, |k| k, &[5, 40_000]);
        *expected.entry((1, 5)).or_insert(0) += 2;
        *expected.entry((9, 40_000)).or_insert(0) += 1;
        let want: Vec<_> = expected.into_iter().map(|((k, v), n)| (k, v, n)).collect();
        assert_eq!(counted(a), want);
    }

    #[test]
    fn a_plain_group_gives_one_request_per_pair() {
        let mut g = Group::default();
        add(&mut g, 1, 3);
        add(&mut g, 1, 3);
        let (row, _) = g.row(2);
        g.visit_n(row, 4, 7);
        assert_eq!(counted(g), vec![(1, 3, 1), (2, 4, 1)]);
        let mut g = Group::counting();
        g.row(2);
        g.visit_n(0, 4, 7);
        g.visit_n(0, 4, 2);
        assert_eq!(counted(g), vec![(2, 4, 9)]);
    }

    #[test]
    fn sparse_visitor_ids_are_counted_the_same() {
        // Ids near the top take the sorting path instead of the arrays.
        let counted_with = |offset: u32| {
            let mut g = Group::counting();
            for i in 0..200_000u32 {
                add(&mut g, (i % 5) as u8, offset + (i * 7919) % 30_000);
            }
            counted(g)
                .into_iter()
                .map(|(k, v, n)| (k, v - offset, n))
                .collect::<Vec<_>>()
        };
        assert_eq!(counted_with(u32::MAX - 40_000), counted_with(0));
    }
}
