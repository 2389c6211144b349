//! A sorted list of distinct pseudonyms that finds a pseudonym's rank in
//! about one memory read, for `zoom_identities`, which ranks each key
//! epoch's identities (all of a run's millions, in a run of one epoch) and
//! looks each row's up.

use rayon::prelude::*;

use crate::privacy::pseudonym::Pseudonym;

/// A sorted list of distinct pseudonyms with the rank of each found in
/// about one memory read: pseudonyms are keyed hashes, uniform over 64
/// bits, so an index of where each value of their top bits starts leaves a
/// handful to search, where a binary search over the whole list misses the
/// cache at nearly every step. The index costs about one `u32` per four
/// pseudonyms.
#[derive(Debug, Default)]
pub(super) struct PseudonymIndex {
    ids: Vec<Pseudonym>,
    starts: Vec<u32>,
    shift: u32,
}

impl PseudonymIndex {
    /// The index of `ids`, sorted and deduplicated here.
    pub(super) fn new(ids: Vec<Pseudonym>) -> Self {
        // Millions of ids (a run of one key epoch) are sorted on the run's
        // threads instead: bucketing them is serial, and misses the cache
        // as a sort does.
        let mut ids = if ids.len() < 1 << 20 {
            bucket_sort(ids)
        } else {
            let mut ids = ids;
            ids.par_sort_unstable();
            ids
        };
        ids.dedup();
        ids.shrink_to_fit();
        let (starts, shift) = bucket_starts(&ids);
        PseudonymIndex { ids, starts, shift }
    }

    /// The rank of `p` among the pseudonyms, if it is one of them.
    pub(super) fn rank(&self, p: Pseudonym) -> Option<usize> {
        self.position(p).ok()
    }

    /// What `binary_search` over the sorted pseudonyms gives: buckets are
    /// contiguous and in order, so a place within `p`'s is its place in all.
    pub(super) fn position(&self, p: Pseudonym) -> Result<usize, usize> {
        let b = bucket(p.value(), self.shift);
        let (lo, hi) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        self.ids[lo..hi]
            .binary_search(&p)
            .map(|i| lo + i)
            .map_err(|i| lo + i)
    }

    /// The pseudonym of rank `i`.
    pub(super) fn get(&self, i: usize) -> Option<Pseudonym> {
        self.ids.get(i).copied()
    }

    /// How many pseudonyms there are.
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// The bucket of a pseudonym's value: its top `64 - shift` bits.
fn bucket(value: u64, shift: u32) -> usize {
    value.checked_shr(shift).unwrap_or(0) as usize
}

/// Where each bucket of `ids` starts once they are sorted, the buckets of
/// their values' top bits, about four ids a bucket (at most 2^22 buckets,
/// 16 MiB), and the shift that finds a value's bucket.
fn bucket_starts(ids: &[Pseudonym]) -> (Vec<u32>, u32) {
    let bits = (usize::BITS - (ids.len() / 4).leading_zeros()).min(22);
    let shift = 64 - bits;
    let mut starts = vec![0u32; (1usize << bits) + 1];
    for id in ids {
        starts[bucket(id.value(), shift) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    (starts, shift)
}

/// `ids` sorted: each placed in the bucket of its value's top bits, then
/// each bucket sorted. Pseudonyms are uniform, so a bucket holds a
/// handful, where sorting the whole list compared each id some twenty
/// times, missing the cache at most of them once it outgrows it.
fn bucket_sort(ids: Vec<Pseudonym>) -> Vec<Pseudonym> {
    let (starts, shift) = bucket_starts(&ids);
    let mut placed = vec![Pseudonym::UNKNOWN; ids.len()];
    let mut next = starts.clone();
    for id in ids {
        let at = &mut next[bucket(id.value(), shift)];
        placed[*at as usize] = id;
        *at += 1;
    }
    for run in starts.windows(2) {
        placed[run[0] as usize..run[1] as usize].sort_unstable();
    }
    placed
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::privacy::key::{Key, KeyMode};
    use crate::privacy::pseudonym::{Domain, Epoch, Pseudonymizer};

    #[test]
    fn the_index_places_every_pseudonym_as_a_binary_search_does() {
        let key = Arc::new(Key::generate(KeyMode::Ephemeral).unwrap());
        let mut pseudonyms = Pseudonymizer::new(key, Domain::WEB_CLIENT, Epoch::Never);
        let mut of = |s: String| pseudonyms.pseudonym(0, s.as_bytes());
        for n in [0usize, 1, 3, 50, 5000] {
            let ids: Vec<Pseudonym> = (0..n).map(|i| of(format!("P{i}"))).collect();
            // Each id twice, the second ones in reverse: duplicates go.
            let twice: Vec<Pseudonym> = ids.iter().chain(ids.iter().rev()).copied().collect();
            let index = PseudonymIndex::new(twice);
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted.dedup();
            let others: Vec<Pseudonym> = (0..100).map(|i| of(format!("Q{i}"))).collect();
            for p in ids.iter().chain(&others).copied() {
                assert_eq!(index.position(p), sorted.binary_search(&p), "n={n}");
            }
            assert_eq!(index.len(), sorted.len());
        }
    }
}
