//! The session table's index: from the hash of a visitor's key to the
//! visitor's dense id, by open addressing with linear probing.
//!
//! hashbrown's table served here until logs where nearly every line is a
//! new visitor (a million clients in a million lines). Past the cache,
//! every line then paid a memory stall on its probe, and every doubling a
//! stall for each id moved. This table differs in the two ways that
//! matter there:
//! - a caller can prefetch a key's slot ahead of the lookup
//!   ([`Index::prefetch`]), a line before it is needed;
//! - a key's home slot is the top bits of its hash, so slots lie in
//!   (nearly) the order of their hashes, and a slot keeps the hash's top 32
//!   bits beside the id: doubling reads the old slots front to back and
//!   writes the new ones front to back, without reading a key.
//!
//! A slot is a `u64`: those 32 hash bits above the id, all ones when
//! empty (ids stop below `u32::MAX`). Empty is not zero on purpose: a
//! zeroed table comes from the kernel's shared zero page, so each page
//! faulted twice, on the first read and again on the first write, and the
//! second fault stalled the other threads to flush their TLBs.
//!
//! Probing compares the stored bits before asking the caller to compare
//! keys, so a key is read only for a likely match. The table keeps at most
//! 3/4 of its slots full (an unsuccessful probe then reads a few slots,
//! within one or two cache lines), and has at most 2³² slots, so the home
//! is always a prefix of the stored bits. There are no removals: the table
//! only grows, or is emptied whole.

/// Marks an empty slot (a full one's low half is an id, below `u32::MAX`).
const EMPTY: u64 = u64::MAX;

/// log₂ of the smallest table.
const MIN_BITS: u32 = 4;

/// log₂ of the slots of a table too large for a core's L2 cache (a
/// table of 2¹⁷ slots is 1 MiB).
const LARGE_BITS: u32 = 17;

/// Dense ids by hash; the keys themselves live with the caller.
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    slots: Vec<u64>,
    len: usize,
    // log₂ of `slots.len()`; 0 while there are no slots.
    bits: u32,
}

/// The bits of a hash a slot keeps.
fn tag(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// The slot of `id` under `hash`.
fn full(hash: u64, id: u32) -> u64 {
    u64::from(tag(hash)) << 32 | u64::from(id)
}

impl Index {
    /// Number of ids held.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Drops every id and the slots' memory.
    pub(super) fn clear(&mut self) {
        *self = Index::default();
    }

    fn home(&self, tag: u32) -> usize {
        match self.bits {
            0 => 0,
            bits => (tag >> (32 - bits)) as usize,
        }
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// Whether the table is past what a core's own caches hold, so that
    /// a lookup is likely to wait on memory unless prefetched.
    pub(super) fn is_large(&self) -> bool {
        self.bits >= LARGE_BITS
    }

    /// Asks the processor to bring the slot where a lookup of `hash`
    /// starts into the cache: issued while the caller does other work (a
    /// log line ahead), the lookup finds it there instead of waiting on
    /// memory.
    pub(super) fn prefetch(&self, hash: u64) {
        if let Some(slot) = self.slots.get(self.home(tag(hash))) {
            prefetch(slot);
        }
    }

    /// The id stored under `hash` that `is_key` accepts, or else the
    /// empty slot where it would go (for [`Index::insert_at`], valid until
    /// the table changes). Needs a table with room (see [`Index::reserve`]).
    pub(super) fn find(&self, hash: u64, is_key: impl Fn(u32) -> bool) -> Result<u32, usize> {
        self.probe(tag(hash), is_key)
    }

    /// Walks the slots from the home of `tag` to the first that holds an
    /// id with these bits that `is_key` accepts (`Ok`), or to the first
    /// empty one (`Err`, its position).
    fn probe(&self, tag: u32, is_key: impl Fn(u32) -> bool) -> Result<u32, usize> {
        let mask = self.mask();
        let mut at = self.home(tag);
        // An empty slot ends every probe: the table is never full (the
        // bound only guards a table that reached 2³² slots and filled).
        for _ in 0..self.slots.len() {
            let Some(&slot) = self.slots.get(at) else {
                break;
            };
            if slot == EMPTY {
                return Err(at);
            }
            let id = slot as u32;
            if (slot >> 32) as u32 == tag && is_key(id) {
                return Ok(id);
            }
            at = (at + 1) & mask;
        }
        Err(usize::MAX)
    }

    /// Stores `id` under `hash` in the empty slot `at` that
    /// [`Index::find`] returned (a position that is not an empty slot is
    /// ignored). `id` must be below `u32::MAX`.
    pub(super) fn insert_at(&mut self, at: usize, hash: u64, id: u32) {
        if let Some(slot) = self.slots.get_mut(at)
            && *slot == EMPTY
            && id < u32::MAX
        {
            *slot = full(hash, id);
            self.len += 1;
        }
    }

    /// Grows the table, if need be, so that `additional` more ids keep it
    /// at most 3/4 full.
    pub(super) fn reserve(&mut self, additional: usize) {
        let wanted = self.len.saturating_add(additional);
        if wanted <= self.slots.len() / 4 * 3 && !self.slots.is_empty() {
            return;
        }
        let mut bits = self.bits.max(MIN_BITS);
        while (1usize << bits) / 4 * 3 < wanted && bits < 32 {
            bits += 1;
        }
        let old = std::mem::replace(self, Index::with_bits(bits));
        for slot in old.slots.into_iter().filter(|&s| s != EMPTY) {
            self.put_slot(slot);
        }
    }

    /// Empties the table and fills it from `hashes`, each one's position
    /// its id, with room for `additional` more.
    pub(super) fn rebuild(&mut self, hashes: &[u64], additional: usize) {
        self.clear();
        self.reserve(hashes.len().saturating_add(additional));
        // Ids come in order, their slots in random order: each slot is
        // prefetched this many ids before it is written.
        const AHEAD: usize = 16;
        for (id, &hash) in (0..u32::MAX).zip(hashes) {
            if let Some(&next) = hashes.get(id as usize + AHEAD) {
                self.prefetch(next);
            }
            self.put_slot(full(hash, id));
        }
    }

    fn with_bits(bits: u32) -> Self {
        Index {
            slots: vec![EMPTY; 1 << bits],
            len: 0,
            bits,
        }
    }

    /// Puts a full slot in the first empty one from its home.
    fn put_slot(&mut self, slot: u64) {
        if let Err(at) = self.probe((slot >> 32) as u32, |_| false)
            && let Some(s) = self.slots.get_mut(at)
        {
            *s = slot;
            self.len += 1;
        }
    }
}

/// A hint to load `value`'s cache line; never faults, never blocks.
#[inline]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it reads nothing into the
    // program, cannot fault, and `value` is a valid reference anyway.
    // (`_mm_prefetch` needs SSE, which every x86-64 processor has.)
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hash whose top 32 bits are `top` (the part the table uses).
    fn hash(top: u32, low: u32) -> u64 {
        u64::from(top) << 32 | u64::from(low)
    }

    /// Looks `key` up among `keys` (ids are positions), inserting it if
    /// absent; returns its id.
    fn get_or_insert(index: &mut Index, keys: &mut Vec<u64>, key: u64, h: u64) -> u32 {
        index.reserve(1);
        match index.find(h, |id| keys.get(id as usize) == Some(&key)) {
            Ok(id) => id,
            Err(at) => {
                let id = keys.len() as u32;
                index.insert_at(at, h, id);
                keys.push(key);
                id
            }
        }
    }

    #[test]
    fn colliding_hashes_and_growth_keep_every_id() {
        let mut index = Index::default();
        let mut keys = Vec::new();
        // Many keys share their top bits (one home, then one tag), others
        // wrap around the end of the table.
        let hashes: Vec<u64> = (0..3000u32)
            .map(|i| match i % 3 {
                0 => hash(7, i),
                1 => hash(u32::MAX - (i % 5), i),
                _ => hash(i.wrapping_mul(0x9e37_79b9), i),
            })
            .collect();
        for (i, &h) in hashes.iter().enumerate() {
            assert_eq!(get_or_insert(&mut index, &mut keys, i as u64, h), i as u32);
        }
        assert_eq!(index.len(), 3000);
        assert!(index.len() <= index.slots.len() / 4 * 3);
        for (i, &h) in hashes.iter().enumerate() {
            assert_eq!(get_or_insert(&mut index, &mut keys, i as u64, h), i as u32);
            assert_eq!(index.find(h, |id| id == i as u32), Ok(i as u32));
        }
        // A key not there is not found, even under a stored hash.
        assert!(index.find(hashes[0], |_| false).is_err());
        // Rebuilt from the hashes in id order, it answers the same.
        let mut rebuilt = Index::default();
        rebuilt.rebuild(&hashes, 10);
        for (i, &h) in hashes.iter().enumerate() {
            assert_eq!(rebuilt.find(h, |id| id == i as u32), Ok(i as u32));
        }
        assert_eq!(rebuilt.len(), 3000);
        rebuilt.clear();
        assert_eq!(rebuilt.len(), 0);
        rebuilt.reserve(1);
        assert!(rebuilt.find(hashes[0], |_| true).is_err());
    }
}
