//! A bounded per-worker memo from raw field bytes to what the veil made of
//! them.
//!
//! Log fields repeat heavily (one client sends dozens of requests with one
//! user agent; a site has a few thousand paths), so the veil remembers, per
//! worker, the result for each raw value it has seen: looking up a hash is
//! several times cheaper than classifying an agent, cleaning a path or
//! computing a keyed BLAKE3 hash.
//!
//! The keys are raw identifiers. They live only in this worker's memory,
//! are never written anywhere, and are dropped with the worker. When a
//! cache reaches its capacity it is emptied rather than evicted entry by
//! entry: a scan-resistant policy is not worth its bookkeeping here, since
//! a miss only costs recomputation and every hit gives exactly what
//! recomputation would.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

/// Makes room in `table` for `additional` more entries; when it is full,
/// it is rebuilt from `in_order` (every entry with its hash, in the order
/// their keys are stored) into a table twice as large.
///
/// For tables whose entries only point at keys stored elsewhere (label
/// text; the session table's visitors now have an index of their own,
/// `aggregate/sessions/index.rs`). hashbrown's own growth rehashes slot by
/// slot, that is in random order of the keys, so once the keys outgrow the
/// cache each entry costs a cache miss to rehash; read in storage order,
/// the keys stream from memory instead (4% of a run with a million
/// visitors, when they used it).
/// `rehash` is handed to the table's inserts but not called, since the new
/// table is made large enough.
pub(crate) fn make_room<T, I>(
    table: &mut HashTable<T>,
    additional: usize,
    in_order: impl FnOnce() -> I,
    rehash: impl Fn(&T) -> u64,
) where
    I: Iterator<Item = (u64, T)>,
{
    let (len, capacity) = (table.len(), table.capacity());
    if capacity - len >= additional {
        return;
    }
    let mut grown = HashTable::with_capacity((len + additional).max(capacity * 2));
    for (hash, entry) in in_order() {
        grown.insert_unique(hash, entry, &rehash);
    }
    *table = grown;
}

/// Bytes of a key kept inside its table entry.
const INLINE: usize = 22;

/// Where a key's bytes are: in the entry itself (client addresses and other
/// short values, so a lookup touches one cache line), or in the memo's
/// arena, one contiguous buffer, so that no key is a separate allocation to
/// make on a miss and free on a clear.
#[derive(Clone, Copy)]
enum Key {
    Inline { len: u8, bytes: [u8; INLINE] },
    Arena { start: u32, len: u32 },
}

#[derive(Clone, Copy)]
struct Entry<V> {
    hash: u64,
    key: Key,
    value: V,
}

impl Key {
    fn bytes<'a>(&'a self, arena: &'a [u8]) -> &'a [u8] {
        match self {
            Key::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Key::Arena { start, len } => {
                let start = *start as usize;
                arena.get(start..start + *len as usize).unwrap_or_default()
            }
        }
    }
}

/// How one memo fared over a run: enough to size it by measurement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemoStats {
    /// Lookups answered from the memo.
    pub hits: u64,
    /// Lookups that had to compute the value.
    pub misses: u64,
    /// Times the memo was full and emptied.
    pub clears: u64,
    /// Most entries it may hold (per thread).
    pub capacity: u64,
}

impl MemoStats {
    /// Adds another worker's counts (capacities are per worker, so the
    /// larger is kept).
    pub fn add(&mut self, other: MemoStats) {
        self.hits += other.hits;
        self.misses += other.misses;
        self.clears += other.clears;
        self.capacity = self.capacity.max(other.capacity);
    }
}

/// Raw bytes → `V`, holding at most `capacity` entries.
pub(super) struct Memo<V> {
    table: HashTable<Entry<V>>,
    arena: Vec<u8>,
    hasher: RandomState,
    capacity: usize,
    stats: MemoStats,
    // Hits since the table was last emptied.
    fill_hits: u64,
    // Lookups still to skip, and how many the next rest skips.
    resting: usize,
    rest: usize,
}

/// A fill of the table that earned fewer hits than its capacity divided by
/// this was not worth its lookups.
const WORTH: usize = 16;

/// The longest rest, in fills of the table.
const MAX_REST: usize = 16;

// Keys are raw identifiers: a memo is never printed, only sized.
impl<V> std::fmt::Debug for Memo<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Memo({} entries)", self.table.len())
    }
}

impl<V: Copy> Memo<V> {
    /// An empty memo that holds at most `capacity` entries.
    pub(super) fn new(capacity: usize) -> Self {
        Memo {
            table: HashTable::new(),
            arena: Vec::new(),
            hasher: RandomState::default(),
            capacity: capacity.max(1),
            stats: MemoStats {
                capacity: capacity.max(1) as u64,
                ..MemoStats::default()
            },
            fill_hits: 0,
            resting: 0,
            rest: capacity.max(1),
        }
    }

    /// Its hit and miss counts so far.
    pub(super) fn stats(&self) -> MemoStats {
        self.stats
    }

    /// The remembered value for `raw`, or `make()` remembered.
    pub(super) fn get_or_insert_with(&mut self, raw: &[u8], make: impl FnOnce() -> V) -> V {
        self.get_current_or_insert_with(raw, |_| true, make)
    }

    /// The remembered value for `raw` if `current` accepts it, else
    /// `make()`, remembered in place of the stale one: one hash and one
    /// probe either way (values that expire, such as a client's pseudonym
    /// of an earlier key epoch).
    pub(super) fn get_current_or_insert_with(
        &mut self,
        raw: &[u8],
        current: impl FnOnce(&V) -> bool,
        make: impl FnOnce() -> V,
    ) -> V {
        if self.resting > 0 {
            self.resting -= 1;
            self.stats.misses += 1;
            return make();
        }
        let hash = self.hasher.hash_one(raw);
        let Memo {
            table,
            arena,
            stats,
            fill_hits,
            ..
        } = self;
        if let Some(e) = table.find_mut(hash, |e| e.hash == hash && e.key.bytes(arena) == raw) {
            if current(&e.value) {
                stats.hits += 1;
                *fill_hits += 1;
                return e.value;
            }
            stats.misses += 1;
            e.value = make();
            return e.value;
        }
        stats.misses += 1;
        let value = make();
        self.insert_new(hash, raw, value);
        value
    }

    /// When a full table is emptied: if that fill earned almost no hits
    /// (every value new, as with a million clients that each send a
    /// request or two), lookups are skipped for a while and values
    /// computed directly, since a miss costs a probe and an insert, one or
    /// two cache misses each, on top of the computation. Each useless fill
    /// doubles the next rest, up to `MAX_REST` fills; a useful one resets
    /// it. Values never depend on the memo, so neither does any output;
    /// skipped lookups count as misses.
    fn pause_if_useless(&mut self) {
        if self.fill_hits < (self.capacity / WORTH) as u64 {
            self.resting = self.rest;
            self.rest = self.rest.saturating_mul(2).min(self.capacity * MAX_REST);
        } else {
            self.rest = self.capacity;
        }
        self.fill_hits = 0;
    }

    /// Whether a fill that has reached `len` entries is already sure to be
    /// useless: checked when the table is a quarter full and again at each
    /// doubling after, so a memo of a million single-request clients stops
    /// after a quarter of each fill instead of paying a probe and an
    /// insert for every line of it (3% of such a run). Tables of fewer
    /// than 1,024 entries are judged when full.
    fn hopeless(&self, len: usize) -> bool {
        len >= (self.capacity / 4).max(1 << 10)
            && len.is_power_of_two()
            && self.fill_hits < (len / WORTH) as u64
    }

    /// Adds `raw`, known to be absent, under its `hash`.
    fn insert_new(&mut self, hash: u64, raw: &[u8], value: V) {
        // The arena is addressed with `u32`s: a memo that would outgrow
        // them starts over, like a full one.
        let len = self.table.len();
        if len >= self.capacity
            || self.arena.len() + raw.len() > u32::MAX as usize
            || self.hopeless(len)
        {
            self.stats.clears += 1;
            self.table.clear();
            self.arena.clear();
            self.pause_if_useless();
        }
        let key = match u8::try_from(raw.len()) {
            Ok(len) if raw.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..raw.len()].copy_from_slice(raw);
                Key::Inline { len, bytes }
            }
            _ => {
                let start = self.arena.len() as u32;
                self.arena.extend_from_slice(raw);
                Key::Arena {
                    start,
                    len: raw.len() as u32,
                }
            }
        };
        self.table
            .insert_unique(hash, Entry { hash, key, value }, |e| e.hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_stays_bounded() {
        let mut m = Memo::new(2);
        assert_eq!(m.get_or_insert_with(b"a", || 1), 1);
        assert_eq!(m.get_or_insert_with(b"b", || 2), 2);
        assert_eq!(m.get_or_insert_with(b"a", || 9), 1);
        m.get_or_insert_with(b"c", || 3);
        assert!(m.table.len() <= 2);
        assert_eq!(m.get_or_insert_with(b"c", || 9), 3);
        // Short keys live inline, long ones in the arena; both are found,
        // and a stale value is replaced in place.
        let mut m = Memo::new(10);
        let long = [7u8; 100];
        m.get_or_insert_with(&long, || 9);
        m.get_or_insert_with(&long[..99], || 8);
        assert_eq!(m.get_or_insert_with(&long, || 0), 9);
        assert_eq!(m.get_or_insert_with(&long[..99], || 0), 8);
        assert_eq!(m.get_or_insert_with(b"", || 1), 1);
        assert_eq!(m.get_current_or_insert_with(b"", |&v| v == 2, || 2), 2);
        assert_eq!(m.get_current_or_insert_with(&long, |&v| v > 9, || 10), 10);
        assert_eq!(m.get_or_insert_with(b"", || 0), 2);
        assert_eq!(m.get_or_insert_with(&long, || 0), 10);
        assert_eq!(format!("{m:?}"), "Memo(3 entries)");
    }

    #[test]
    fn a_memo_that_only_misses_rests_and_values_stay_right() {
        let cap = 64;
        let mut m = Memo::new(cap);
        let key = |i: usize| i.to_le_bytes();
        // A fill of distinct keys earns no hit: once full, the memo rests
        // for `cap` lookups, which compute even a repeated key.
        for i in 0..=cap {
            assert_eq!(m.get_or_insert_with(&key(i), || i), i);
        }
        let before = m.stats();
        for _ in 0..cap {
            assert_eq!(m.get_or_insert_with(&key(cap), || cap), cap);
        }
        assert_eq!(m.stats().hits, before.hits);
        assert_eq!(m.stats().misses, before.misses + cap as u64);
        // After the rest it remembers again.
        m.get_or_insert_with(&key(1), || 1);
        assert_eq!(m.get_or_insert_with(&key(1), || 0), 1);
        assert_eq!(m.stats().hits, before.hits + 1);
    }

    #[test]
    fn a_useless_fill_stops_at_a_quarter_of_a_large_memo() {
        let cap = 1 << 14;
        let mut m = Memo::new(cap);
        // Distinct keys: no hit by the time the table is a quarter full,
        // so the next insert empties it and the memo rests.
        for i in 0..=cap / 4 {
            assert_eq!(m.get_or_insert_with(&i.to_le_bytes(), || i), i);
        }
        assert_eq!(m.stats().clears, 1);
        let before = m.stats();
        assert_eq!(m.get_or_insert_with(&0usize.to_le_bytes(), || 7), 7);
        assert_eq!(m.stats().misses, before.misses + 1);
        // A fill that hits often enough is not cut short.
        let mut m = Memo::new(cap);
        for i in 0..cap / 2 {
            for _ in 0..2 {
                assert_eq!(m.get_or_insert_with(&i.to_le_bytes(), || i), i);
            }
        }
        assert_eq!(m.stats().clears, 0);
    }

    #[test]
    fn a_memo_that_earns_hits_never_rests() {
        let cap = 64;
        let mut m = Memo::new(cap);
        for i in 0..10 * cap {
            // Each key asked twice in a row: half the lookups hit.
            for _ in 0..2 {
                assert_eq!(m.get_or_insert_with(&i.to_le_bytes(), || i), i);
            }
        }
        let s = m.stats();
        assert_eq!((s.hits, s.misses), (10 * cap as u64, 10 * cap as u64));
        assert!(s.clears >= 9);
    }

    #[test]
    fn counts_hits_misses_and_clears() {
        let mut m = Memo::new(2);
        for key in [&b"a"[..], b"a", b"b", b"c", b"c", b"a"] {
            m.get_or_insert_with(key, || key.len());
        }
        // a miss, a hit, b miss, c miss (full: emptied), c hit, a miss.
        let s = m.stats();
        assert_eq!((s.hits, s.misses, s.clears, s.capacity), (2, 4, 1, 2));
        // A stale value is a miss.
        m.get_current_or_insert_with(b"a", |_| false, || 7);
        let mut total = MemoStats::default();
        total.add(m.stats());
        total.add(m.stats());
        assert_eq!((total.hits, total.misses, total.capacity), (4, 10, 2));
    }
}
