//! String interning for the Zoom tables' keys.
//!
//! Each text key (affiliation, device, client type, version…) is hashed once into a
//! `u32`, so the per-table maps hash only small integer tuples. Strings may
//! be borrowed (`Cow::Borrowed`) from the records they come from. (Web
//! tables use the privacy stage's `Labels` instead: their ids are handed
//! out by the veil itself, see `privacy::labels`.)

use std::borrow::Cow;
use std::collections::HashMap;

use foldhash::fast::RandomState;

/// Maps strings to dense ids and back.
#[derive(Debug, Default, Clone)]
pub struct Interner<'a> {
    ids: HashMap<Cow<'a, str>, u32, RandomState>,
    strings: Vec<Cow<'a, str>>,
}

impl<'a> Interner<'a> {
    /// The id of `s`, adding it if new.
    pub fn intern(&mut self, s: Cow<'a, str>) -> u32 {
        if let Some(&id) = self.ids.get(s.as_ref()) {
            return id;
        }
        let id = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.strings.push(s.clone());
        self.ids.insert(s, id);
        id
    }

    /// The string of an id handed out by this interner.
    pub fn get(&self, id: u32) -> &str {
        self.strings.get(id as usize).map_or("", |s| s.as_ref())
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether no string was interned.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Every string, in id order.
    pub fn strings(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(|s| s.as_ref())
    }

    /// Ids in `self` of every string of `other`, indexed by `other`'s ids.
    pub fn absorb(&mut self, other: &Interner<'_>) -> Vec<u32> {
        other
            .strings()
            .map(|s| match self.ids.get(s) {
                Some(&id) => id,
                None => self.intern(Cow::Owned(s.to_owned())),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_and_stable() {
        let mut i = Interner::default();
        assert_eq!(i.intern("a".into()), 0);
        assert_eq!(i.intern("b".into()), 1);
        assert_eq!(i.intern(Cow::Owned("a".to_string())), 0);
        assert_eq!(i.get(1), "b");
        let mut j = Interner::default();
        j.intern("b".into());
        assert_eq!(j.absorb(&i), vec![1, 0]);
    }
}
