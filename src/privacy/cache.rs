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

use std::collections::HashMap;

use foldhash::fast::RandomState;

/// Raw bytes → `V`, holding at most `capacity` entries.
#[derive(Debug, Clone)]
pub(super) struct Memo<V> {
    map: HashMap<Box<[u8]>, V, RandomState>,
    capacity: usize,
}

impl<V: Copy> Memo<V> {
    /// An empty memo that holds at most `capacity` entries.
    pub(super) fn new(capacity: usize) -> Self {
        Memo {
            map: HashMap::default(),
            capacity: capacity.max(1),
        }
    }

    /// The remembered value for `raw`.
    #[inline]
    pub(super) fn get(&self, raw: &[u8]) -> Option<V> {
        self.map.get(raw).copied()
    }

    /// Remembers `value` for `raw`, emptying the memo first when it is full.
    pub(super) fn insert(&mut self, raw: &[u8], value: V) {
        if self.map.len() >= self.capacity {
            self.map.clear();
        }
        self.map.insert(raw.into(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_stays_bounded() {
        let mut m = Memo::new(2);
        m.insert(b"a", 1);
        m.insert(b"b", 2);
        assert_eq!(
            (m.get(b"a"), m.get(b"b"), m.get(b"c")),
            (Some(1), Some(2), None)
        );
        m.insert(b"c", 3);
        assert!(m.map.len() <= 2);
        assert_eq!(m.get(b"c"), Some(3));
    }
}
