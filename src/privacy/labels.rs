//! The table of published text: every string that went through a privacy
//! reduction (cleaned paths, referrer hosts, site names, search terms),
//! each stored once and referred to by a [`LabelId`].
//!
//! A worker's [`super::VeilWorker`] owns one `Labels` and hands out ids
//! into it, so aggregation keys are small integers and a path seen a
//! million times is cleaned and stored once. Only this module creates ids,
//! so an id in an aggregate always names text that passed the veil.
//! Workers' tables are joined with [`Labels::absorb`], which returns how to
//! renumber the other table's ids.

use std::collections::HashMap;

use foldhash::fast::RandomState;

/// An index into a [`Labels`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabelId(u32);

impl LabelId {
    /// The id as an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Text that passed the privacy stage, interned.
#[derive(Debug, Default, Clone)]
pub struct Labels {
    ids: HashMap<Box<str>, LabelId, RandomState>,
    strings: Vec<Box<str>>,
}

impl Labels {
    /// The id of `text`, adding it if new. Only the privacy stage may add
    /// text, so this is not public.
    pub(in crate::privacy) fn intern(&mut self, text: &str) -> LabelId {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = LabelId(u32::try_from(self.strings.len()).unwrap_or(u32::MAX));
        self.strings.push(text.into());
        self.ids.insert(text.into(), id);
        id
    }

    /// The id of the row that small groups are folded into (`(other)`).
    pub fn other(&mut self) -> LabelId {
        self.intern(crate::aggregate::web::OTHER)
    }

    /// The text of an id handed out by this table (empty for a foreign id).
    pub fn get(&self, id: LabelId) -> &str {
        self.strings.get(id.index()).map_or("", |s| s)
    }

    /// Number of distinct labels.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Adds every label of `other`; returns, indexed by `other`'s ids, the
    /// ids the same texts have in `self`.
    pub fn absorb(&mut self, other: &Labels) -> Vec<LabelId> {
        other.strings.iter().map(|s| self.intern(s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_stable_and_remappable() {
        let mut a = Labels::default();
        let x = a.intern("/x");
        let y = a.intern("/y");
        assert_eq!((x.index(), y.index()), (0, 1));
        assert_eq!(a.intern("/x"), x);
        assert_eq!(a.get(y), "/y");
        let mut b = Labels::default();
        b.intern("/y");
        let map = b.absorb(&a);
        assert_eq!(map.len(), 2);
        assert_eq!(b.get(map[x.index()]), "/x");
        assert_eq!(b.get(map[y.index()]), "/y");
        assert_eq!(b.len(), 2);
    }
}
