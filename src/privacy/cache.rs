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

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use foldhash::fast::RandomState;

/// Bytes of a key kept inside its table entry.
const INLINE: usize = 22;

/// A memo key. Client addresses and other short values are stored in the
/// table entry itself, so a lookup touches one cache line instead of two.
#[derive(Clone)]
enum Key {
    Inline { len: u8, bytes: [u8; INLINE] },
    Boxed(Box<[u8]>),
}

impl Key {
    fn new(raw: &[u8]) -> Key {
        let mut bytes = [0; INLINE];
        match (bytes.get_mut(..raw.len()), u8::try_from(raw.len())) {
            (Some(inline), Ok(len)) => {
                inline.copy_from_slice(raw);
                Key::Inline { len, bytes }
            }
            _ => Key::Boxed(raw.into()),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Key::Boxed(b) => b,
        }
    }
}

// A key hashes and compares as its bytes, so the map can be searched with
// a plain `&[u8]`.
impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Key {}

impl std::fmt::Debug for Key {
    // Keys are raw identifiers: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({} bytes)", self.as_slice().len())
    }
}

/// Raw bytes → `V`, holding at most `capacity` entries.
#[derive(Debug, Clone)]
pub(super) struct Memo<V> {
    map: HashMap<Key, V, RandomState>,
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
        self.map.insert(Key::new(raw), value);
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
        // Short keys live inline, long ones boxed; both are found.
        let long = [7u8; 100];
        m.insert(&long, 9);
        assert_eq!((m.get(&long), m.get(&long[..99])), (Some(9), None));
        assert_eq!(m.get(b""), None);
        m.insert(b"", 1);
        assert_eq!(m.get(b""), Some(1));
        assert_eq!(format!("{:?}", Key::new(b"192.0.2.1")), "Key(9 bytes)");
    }
}
