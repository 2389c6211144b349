//! Sessions: runs of one visitor's requests separated by less than an
//! inactivity gap (30 minutes by default).
//!
//! Exact under any arrival order: each visitor keeps a sorted list of
//! disjoint intervals `(first, last, requests)`, each summarising events
//! whose consecutive gaps are all within the limit. Adding an event, or
//! merging two lists from different chunks or files, coalesces intervals
//! that come within the gap of each other. A session boundary is exactly a
//! gap larger than the limit in the sorted union of events, so the result
//! does not depend on how the events were split. Memory is one interval
//! per session, not per request.
//!
//! Pseudonyms rotate with the key epoch, so a visit that crosses midnight
//! UTC (with daily rotation) is two visitors and two sessions: by design,
//! sessions never link a person across epochs.

use std::collections::HashMap;

use foldhash::fast::RandomState;

/// One session (or part of one, until merged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Time of the first request, Unix seconds.
    pub first: i64,
    /// Time of the last request.
    pub last: i64,
    /// Requests in the session.
    pub requests: u64,
}

/// Adds `new` to a sorted list of disjoint intervals, coalescing any that
/// come within `gap` seconds of it.
fn insert(list: &mut Vec<Interval>, mut new: Interval, gap: i64) {
    // First interval that could touch `new`: the one whose end is within gap.
    let start = list.partition_point(|i| i.last.saturating_add(gap) < new.first);
    let mut end = start;
    while end < list.len() && list[end].first <= new.last.saturating_add(gap) {
        let i = list[end];
        new.first = new.first.min(i.first);
        new.last = new.last.max(i.last);
        new.requests += i.requests;
        end += 1;
    }
    list.splice(start..end, [new]);
}

/// Sessions per (site, visitor), mergeable.
#[derive(Debug, Clone, Default)]
pub struct Sessions<S> {
    gap: i64,
    // (site, visitor) → index into `lists`, which holds the key again so
    // the lists can be read in order, without probing the map.
    index: HashMap<(S, u64), u32, RandomState>,
    lists: Vec<((S, u64), Vec<Interval>)>,
    // The previous request's (site, visitor) and list: consecutive lines
    // often come from one visitor.
    last: Option<((S, u64), u32)>,
}

impl<S: Copy + std::hash::Hash + Eq> Sessions<S> {
    /// Sessions ending after `gap_seconds` of inactivity.
    pub fn new(gap_seconds: i64) -> Self {
        Sessions {
            gap: gap_seconds,
            index: HashMap::default(),
            lists: Vec::new(),
            last: None,
        }
    }

    /// The inactivity gap, in seconds.
    pub fn gap(&self) -> i64 {
        self.gap
    }

    fn list(&mut self, key: (S, u64)) -> &mut Vec<Interval> {
        let at = match self.last {
            Some((k, at)) if k == key => at,
            _ => {
                let next = u32::try_from(self.lists.len()).unwrap_or(u32::MAX);
                let at = *self.index.entry(key).or_insert(next);
                if at == next {
                    self.lists.push((key, Vec::new()));
                }
                self.last = Some((key, at));
                at
            }
        };
        let last = self.lists.len().saturating_sub(1);
        &mut self.lists[(at as usize).min(last)].1
    }

    /// Records one request.
    pub fn add(&mut self, site: S, visitor: u64, time: i64) {
        let gap = self.gap;
        let list = self.list((site, visitor));
        // Requests mostly arrive in order: extend the last session cheaply.
        if let Some(last) = list.last_mut()
            && time >= last.last
            && time - last.last <= gap
        {
            last.last = time;
            last.requests += 1;
            return;
        }
        insert(
            list,
            Interval {
                first: time,
                last: time,
                requests: 1,
            },
            gap,
        );
    }

    /// Merges `other`, mapping its site keys with `f`.
    pub fn merge<S2>(&mut self, other: Sessions<S2>, f: impl Fn(S2) -> S) {
        let gap = self.gap;
        // Most of another worker's visitors are new here (workers read
        // different stretches of time): make room once.
        self.index.reserve(other.lists.len());
        self.lists.reserve(other.lists.len());
        for ((site, visitor), list) in other.into_lists() {
            let mine = self.list((f(site), visitor));
            if mine.is_empty() {
                *mine = list;
                continue;
            }
            for i in list {
                insert(mine, i, gap);
            }
        }
    }
}

impl<S> Sessions<S> {
    fn into_lists(self) -> impl Iterator<Item = ((S, u64), Vec<Interval>)> {
        self.lists.into_iter()
    }

    /// Every visitor with its site and its sessions, sorted by time.
    pub fn into_visitors(self) -> impl Iterator<Item = (S, u64, Vec<Interval>)> {
        self.into_lists().map(|((s, v), list)| (s, v, list))
    }

    /// Every session with its site and visitor.
    pub fn into_sessions(self) -> impl Iterator<Item = (S, u64, Interval)>
    where
        S: Copy,
    {
        self.into_lists()
            .flat_map(|((s, v), list)| list.into_iter().map(move |i| (s, v, i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(events: &[(u64, i64)], gap: i64) -> Vec<(u64, i64, i64, u64)> {
        let mut s = Sessions::new(gap);
        for &(v, t) in events {
            s.add(0u8, v, t);
        }
        let mut out: Vec<_> = s
            .into_sessions()
            .map(|(_, v, i)| (v, i.first, i.last, i.requests))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn gaps_split_sessions() {
        let got = sessions(&[(1, 0), (1, 100), (1, 1900), (1, 5000), (2, 50)], 1800);
        assert_eq!(
            got,
            vec![(1, 0, 1900, 3), (1, 5000, 5000, 1), (2, 50, 50, 1)]
        );
    }

    #[test]
    fn a_late_event_joins_two_sessions() {
        // 0 and 3000 are apart; 1500 arrives last and bridges them.
        let got = sessions(&[(1, 0), (1, 3000), (1, 1500)], 1800);
        assert_eq!(got, vec![(1, 0, 3000, 3)]);
    }

    proptest::proptest! {
        /// Any order, any split into parts merged in any order, gives the
        /// sessions of the sorted events.
        #[test]
        fn order_and_splitting_do_not_matter(
            mut events in proptest::collection::vec((0u64..3, 0i64..20_000), 1..60),
            cut in 0usize..60,
            gap in 1i64..3000,
        ) {
            let expected = {
                let mut sorted = events.clone();
                sorted.sort();
                let mut out = Vec::new();
                for &(v, t) in &sorted {
                    match out.last_mut() {
                        Some((lv, _, last, n)) if *lv == v && t - *last <= gap => {
                            *last = t;
                            *n += 1;
                        }
                        _ => out.push((v, t, t, 1u64)),
                    }
                }
                out.sort();
                out
            };
            events.reverse();
            let cut = cut.min(events.len());
            let (a, b) = events.split_at(cut);
            let mut left = Sessions::new(gap);
            for &(v, t) in a {
                left.add(0u8, v, t);
            }
            let mut right = Sessions::new(gap);
            for &(v, t) in b {
                right.add(1u8, v, t);
            }
            right.merge(left, |_| 1u8);
            let mut got: Vec<_> = right.into_sessions().map(|(_, v, i)| (v, i.first, i.last, i.requests)).collect();
            got.sort();
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
