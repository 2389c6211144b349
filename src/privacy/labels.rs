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
//!
//! Client classes are interned the same way ([`ClassId`]), so the clients
//! table is keyed by a small integer instead of three strings.
//!
//! The text lives in one buffer, and the index finds a label through
//! where its text is rather than holding a second copy: a label costs no
//! allocation of its own, so absorbing another worker's table and freeing
//! one at the end of a run are a few large operations, not tens of
//! thousands of small ones.

use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use super::agent::ClientClass;

/// Key text of the row that small groups fold into.
pub const OTHER: &str = "(other)";

/// Site label of the partition that small sites of a day fold into, and of
/// host names that look like an address or an e-mail.
pub const OTHER_SITE: &str = "(other site)";

/// An index into a [`Labels`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabelId(u32);

impl LabelId {
    /// The id as an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An index into a [`Labels`] table's client classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(u32);

impl ClassId {
    /// The id as an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Text and client classes that passed the privacy stage, interned.
#[derive(Debug, Default, Clone)]
pub struct Labels {
    hasher: RandomState,
    // Ids, found by hashing the text they name, with where that text is:
    // a probe reads the text straight from the buffer, where going through
    // `ends` cost one more cache miss per lookup on logs with many paths.
    index: HashTable<Slot>,
    // Every label's text, one after another; `ends[i]` is where label `i`
    // ends.
    text: String,
    ends: Vec<usize>,
    class_ids: HashMap<ClientClass, ClassId, RandomState>,
    classes: Vec<ClientClass>,
}

/// How to renumber another table's ids into this one's.
#[derive(Debug, Clone, Default)]
pub struct Renumbering {
    labels: Vec<LabelId>,
    classes: Vec<ClassId>,
}

impl Renumbering {
    /// The new id of a label (unchanged if unknown).
    pub fn label(&self, id: LabelId) -> LabelId {
        self.labels.get(id.index()).copied().unwrap_or(id)
    }

    /// The new id of a client class (unchanged if unknown).
    pub fn class(&self, id: ClassId) -> ClassId {
        self.classes.get(id.index()).copied().unwrap_or(id)
    }
}

/// A label's entry in the index.
#[derive(Debug, Clone, Copy)]
struct Slot {
    id: LabelId,
    start: usize,
    len: usize,
}

impl Slot {
    /// Whether its text in the buffer `all` is `text`. Lengths first: a
    /// label of another length is told apart without reading the buffer.
    fn holds(self, all: &str, text: &str) -> bool {
        self.len == text.len()
            && all.as_bytes().get(self.start..self.start + self.len) == Some(text.as_bytes())
    }

    /// Its text in the buffer `all`.
    fn text(self, all: &str) -> Option<&str> {
        all.get(self.start..self.start + self.len)
    }
}

/// The text of label `id` in a table's buffer (empty for a foreign id).
fn label<'a>(text: &'a str, ends: &[usize], id: LabelId) -> &'a str {
    let i = id.index();
    let Some(&end) = ends.get(i) else {
        return "";
    };
    let start = i
        .checked_sub(1)
        .and_then(|p| ends.get(p))
        .copied()
        .unwrap_or(0);
    text.get(start..end).unwrap_or("")
}

impl Labels {
    /// The id of `text`, adding it if new. Only the privacy stage may add
    /// text, so this is not public.
    pub(in crate::privacy) fn intern(&mut self, text: &str) -> LabelId {
        let (all, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        // Rebuilt from the text in label order when full: with a million
        // distinct paths, a rehash in slot order missed the cache on each.
        super::cache::make_room(
            &mut self.index,
            1,
            || {
                let starts = std::iter::once(0).chain(ends.iter().copied());
                (0..=u32::MAX)
                    .zip(starts.zip(ends))
                    .map(|(id, (start, &end))| {
                        let text = all.get(start..end).unwrap_or("");
                        let slot = Slot {
                            id: LabelId(id),
                            start,
                            len: end - start,
                        };
                        (hasher.hash_one(text), slot)
                    })
            },
            |slot| hasher.hash_one(slot.text(all).unwrap_or("")),
        );
        let hash = self.hasher.hash_one(text);
        let (all, hasher) = (&self.text, &self.hasher);
        let found = self.index.entry(
            hash,
            |slot| slot.holds(all, text),
            |slot| hasher.hash_one(slot.text(all).unwrap_or("")),
        );
        match found {
            Entry::Occupied(e) => e.get().id,
            Entry::Vacant(e) => {
                let id = LabelId(u32::try_from(self.ends.len()).unwrap_or(u32::MAX));
                e.insert(Slot {
                    id,
                    start: self.text.len(),
                    len: text.len(),
                });
                self.text.push_str(text);
                self.ends.push(self.text.len());
                id
            }
        }
    }

    /// The id of a client class, adding it if new.
    pub(in crate::privacy) fn class(&mut self, class: ClientClass) -> ClassId {
        if let Some(&id) = self.class_ids.get(&class) {
            return id;
        }
        let id = ClassId(u32::try_from(self.classes.len()).unwrap_or(u32::MAX));
        self.classes.push(class);
        self.class_ids.insert(class, id);
        id
    }

    /// The id of text read back from the private state. The state holds
    /// only labels that passed the veil on an earlier run (under the same
    /// policy, which the state records), so this is the one way besides the
    /// veil to make an id, and it is crate-private for that reason.
    pub(crate) fn restore(&mut self, text: &str) -> LabelId {
        self.intern(text)
    }

    /// The id of a client class read back from the private state.
    pub(crate) fn restore_class(&mut self, class: ClientClass) -> ClassId {
        self.class(class)
    }

    /// The class that small client groups are folded into.
    pub fn other_class(&mut self) -> ClassId {
        self.class(ClientClass::OTHER)
    }

    /// The client class of an id handed out by this table (the class of a
    /// missing agent for a foreign id).
    pub fn class_of(&self, id: ClassId) -> ClientClass {
        self.classes
            .get(id.index())
            .copied()
            .unwrap_or(ClientClass::NONE)
    }

    /// The id of the row that small groups are folded into (`(other)`).
    pub fn other(&mut self) -> LabelId {
        self.intern(OTHER)
    }

    /// The id of the site partition that small sites fold into.
    pub fn other_site(&mut self) -> LabelId {
        self.intern(OTHER_SITE)
    }

    /// The text of an id handed out by this table (empty for a foreign id).
    pub fn get(&self, id: LabelId) -> &str {
        label(&self.text, &self.ends, id)
    }

    /// Number of distinct labels.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Adds every label and class of `other`; returns how `other`'s ids
    /// map to `self`'s.
    pub fn absorb(&mut self, other: &Labels) -> Renumbering {
        Renumbering {
            labels: (0..other.ends.len())
                .map(|i| self.intern(label(&other.text, &other.ends, LabelId(i as u32))))
                .collect(),
            classes: other.classes.iter().map(|&c| self.class(c)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_survive_the_index_growing_many_times() {
        let mut l = Labels::default();
        let text = |i: u32| format!("/p/{}", i.wrapping_mul(2_654_435_761));
        let ids: Vec<LabelId> = (0..5000).map(|i| l.intern(&text(i))).collect();
        assert_eq!(ids, (0..5000).map(LabelId).collect::<Vec<_>>());
        for i in (0..5000).rev() {
            assert_eq!(l.intern(&text(i)), LabelId(i));
            assert_eq!(l.get(LabelId(i)), text(i));
        }
        assert_eq!(l.intern(""), LabelId(5000));
        assert_eq!(l.intern(""), LabelId(5000));
    }

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
        let bot = a.class(ClientClass::OTHER);
        let none = b.class(ClientClass::NONE);
        let map = b.absorb(&a);
        assert_eq!(b.get(map.label(x)), "/x");
        assert_eq!(b.get(map.label(y)), "/y");
        assert_eq!(b.len(), 2);
        assert_eq!(b.class_of(map.class(bot)), ClientClass::OTHER);
        assert_eq!(b.class_of(none), ClientClass::NONE);
        assert_ne!(map.class(bot), none);
    }
}
