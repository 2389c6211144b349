//! Sessions: runs of one visitor's requests separated by less than an
//! inactivity gap (30 minutes by default). Also the worker's table of
//! visitors, whose dense ids the groups count in place of pseudonyms.
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
//! Sessions end at midnight (of the run's calendar: UTC unless a report
//! time zone is set), whatever the key epoch, so a day's
//! sessions account for exactly that day's requests and visitors and the
//! session table adds up with the day's other tables (disclosure control
//! relies on that). With daily rotation a visit across midnight is two
//! visitors anyway: sessions never link a person across epochs.
//!
//! Memory per visitor is the point of the layout, since a week of a busy
//! site has millions of them: the key (16 bytes) beside its sessions, one
//! interval held inline (most visitors have one session a day, so no
//! allocation), in one entry (56 bytes), and an 8-byte slot in an index
//! (`index`, at most 3/4 full) that finds the entry through the id instead
//! of storing the key twice: about 70 bytes, under half a map of keys to
//! vectors. Key and sessions share a cache line because every request
//! reads both: on logs with more visitors than the cache holds, that is one
//! memory stall per request less than keeping them in two vectors, and the
//! index slot's stall is hidden by prefetching it a line ahead
//! ([`Sessions::prefetch`]).
//! Every visitor gets a dense `u32` id in arrival order; the groups store
//! `(row, id)` pairs of 8 bytes instead of `(row, pseudonym)` pairs of 16.
//! Since every grouped row has a site in its key, a visitor per
//! `(site, pseudonym)` counts exactly what a visitor per pseudonym would.

use std::hash::{BuildHasher, Hash};

use foldhash::fast::RandomState;
use rayon::prelude::*;

use super::group::VisitorId;
use crate::time::Calendar;

mod index;

use index::Index;

/// Whether two times fall on one day of the calendar.
fn same_day(cal: Calendar, a: i64, b: i64) -> bool {
    cal.day(a) == cal.day(b)
}

/// One session (or part of one, until merged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Time of the first request, Unix seconds.
    pub first: i64,
    /// Time of the last request.
    pub last: i64,
    /// Requests in the session.
    pub requests: u64,
    /// Page views in the session: requests the caller counts as pages
    /// (`web_sessions` counts requests of class page from clients that
    /// are not bots).
    pub pages: u64,
}

impl Interval {
    fn at(time: i64, page: bool) -> Self {
        Interval {
            first: time,
            last: time,
            requests: 1,
            pages: u64::from(page),
        }
    }

    /// Whether the two come within `gap` seconds of each other on one
    /// day. Sessions end at midnight, so a day's sessions hold exactly
    /// that day's requests and visitors, as its other tables do.
    fn touches(&self, other: &Interval, gap: i64, cal: Calendar) -> bool {
        same_day(cal, self.first, other.first)
            && self.last.saturating_add(gap) >= other.first
            && other.last.saturating_add(gap) >= self.first
    }

    fn absorb(&mut self, other: &Interval) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.requests += other.requests;
        self.pages += other.pages;
    }
}

/// Adds `new` to a sorted list of disjoint intervals, coalescing any that
/// come within `gap` seconds of it.
fn insert(list: &mut Vec<Interval>, mut new: Interval, gap: i64, cal: Calendar) {
    // First interval that could touch `new`: the one whose end is within gap.
    // Intervals of earlier days sort first and never touch it.
    let day = cal.day(new.first);
    let start =
        list.partition_point(|i| i.last.saturating_add(gap) < new.first || cal.day(i.first) < day);
    let mut end = start;
    while end < list.len()
        && list[end].first <= new.last.saturating_add(gap)
        && same_day(cal, list[end].first, new.first)
    {
        new.absorb(&list[end]);
        end += 1;
    }
    list.splice(start..end, [new]);
}

/// One visitor's sessions: inline while there is one.
#[derive(Debug, Clone)]
enum List {
    One(Interval),
    Many(Vec<Interval>),
}

impl List {
    fn last_mut(&mut self) -> Option<&mut Interval> {
        match self {
            List::One(i) => Some(i),
            List::Many(v) => v.last_mut(),
        }
    }

    fn as_slice(&self) -> &[Interval] {
        match self {
            List::One(i) => std::slice::from_ref(i),
            List::Many(v) => v,
        }
    }

    fn add(&mut self, new: Interval, gap: i64, cal: Calendar) {
        match self {
            List::One(i) if i.touches(&new, gap, cal) => i.absorb(&new),
            List::One(i) => {
                let (a, b) = if new.first < i.first {
                    (new, *i)
                } else {
                    (*i, new)
                };
                *self = List::Many(vec![a, b]);
            }
            List::Many(v) => insert(v, new, gap, cal),
        }
    }
}

/// Sessions per (site, visitor), mergeable.
#[derive(Debug, Clone, Default)]
pub struct Sessions<S> {
    gap: i64,
    calendar: Calendar,
    hasher: RandomState,
    // Ids, found by hashing the key of the entry they point to.
    index: Index,
    // By id: each visitor's key and sessions.
    entries: Vec<((S, u64), List)>,
    // The previous request's (site, visitor) and id: consecutive lines
    // often come from one visitor.
    last: Option<((S, u64), VisitorId)>,
}

impl<S: Copy + Hash + Eq> Sessions<S> {
    /// Sessions ending after `gap_seconds` of inactivity, and at UTC
    /// midnight.
    pub fn new(gap_seconds: i64) -> Self {
        Sessions::with_calendar(gap_seconds, Calendar::UTC)
    }

    /// Sessions ending after `gap_seconds` of inactivity, and at midnight
    /// of `calendar`.
    pub fn with_calendar(gap_seconds: i64, calendar: Calendar) -> Self {
        Sessions {
            gap: gap_seconds,
            calendar,
            hasher: RandomState::default(),
            index: Index::default(),
            entries: Vec::new(),
            last: None,
        }
    }

    /// The inactivity gap, in seconds.
    pub fn gap(&self) -> i64 {
        self.gap
    }

    /// The calendar whose midnights end sessions.
    pub fn calendar(&self) -> Calendar {
        self.calendar
    }

    /// Number of visitors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no visitor was seen.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds `list` as the sessions of `key`, or into them if the visitor
    /// is known; returns the visitor's id.
    fn put(&mut self, key: (S, u64), list: List) -> VisitorId {
        if let Some((k, id)) = self.last
            && k == key
        {
            self.extend(id, list);
            return id;
        }
        self.make_room(1);
        let (hash, found) = self.lookup(&key);
        let id = match found {
            Ok(id) => {
                self.extend(id, list);
                id
            }
            Err(at) => {
                let Some(id) = self.next_id() else {
                    self.extend(VisitorId::MAX, list);
                    return VisitorId::MAX;
                };
                self.index.insert_at(at, hash, id);
                self.entries.push((key, list));
                id
            }
        };
        self.last = Some((key, id));
        id
    }

    /// Asks for the index slot of `(site, visitor)` to be brought into the
    /// cache, for an [`Sessions::add`] of it a little later: on logs with
    /// more visitors than the cache holds, that lookup then finds its slot
    /// there instead of waiting on memory. A table that fits in the cache
    /// is not worth the hashing, and is left alone.
    pub fn prefetch(&self, site: S, visitor: u64) {
        if self.index.is_large() {
            self.index.prefetch(self.hasher.hash_one((site, visitor)));
        }
    }

    /// Makes room in the index for `additional` more visitors, and
    /// rebuilds it (from the entries, in id order) if a merge left it
    /// empty.
    fn make_room(&mut self, additional: usize) {
        // The index holds every entry or, after a merge, none.
        if self.index.len() == self.entries.len() {
            return self.index.reserve(additional);
        }
        let hasher = &self.hasher;
        // Ids past `VisitorId::MAX - 1` were never handed out (see `put`).
        let hashes: Vec<u64> = self
            .entries
            .iter()
            .take(VisitorId::MAX as usize)
            .map(|(key, _)| hasher.hash_one(key))
            .collect();
        self.index.rebuild(&hashes, additional);
    }

    fn extend(&mut self, id: VisitorId, list: List) {
        let (gap, cal) = (self.gap, self.calendar);
        let at = (id as usize).min(self.entries.len().saturating_sub(1));
        let Some((_, mine)) = self.entries.get_mut(at) else {
            return;
        };
        // Requests mostly arrive in order: extend the last session cheaply.
        if let (List::One(new), Some(last)) = (&list, mine.last_mut())
            && new.first >= last.last
            && new.first - last.last <= gap
            && same_day(cal, new.first, last.first)
        {
            last.last = new.last;
            last.requests += new.requests;
            last.pages += new.pages;
            return;
        }
        for &i in list.as_slice() {
            mine.add(i, gap, cal);
        }
    }

    /// Records one request, a page view if `page`, and returns the
    /// visitor's id.
    pub fn add(&mut self, site: S, visitor: u64, time: i64, page: bool) -> VisitorId {
        self.put((site, visitor), List::One(Interval::at(time, page)))
    }

    /// Adds sessions read back from a private partial and returns the
    /// visitor's id. The intervals need not be disjoint: a partial merged
    /// by another tool (Spark: a union of the shards' sessions) may hold
    /// sessions of one visitor that overlap or lie within the gap, and they
    /// coalesce here as any others do. An empty list only hands out the id.
    pub fn add_intervals(&mut self, site: S, visitor: u64, intervals: &[Interval]) -> VisitorId {
        let (gap, cal) = (self.gap, self.calendar);
        let list = match intervals {
            [first, rest @ ..] => {
                let mut list = List::One(*first);
                for &i in rest {
                    list.add(i, gap, cal);
                }
                list
            }
            [] => List::Many(Vec::new()),
        };
        self.put((site, visitor), list)
    }

    /// Merges `other`, mapping its site keys with `f`. Returns the new id
    /// of each of `other`'s visitors, indexed by its old id; visitors new
    /// here get the next ids, in `other`'s order.
    ///
    /// A merge is a run's last step, when every worker's share of a
    /// million visitors meets one thread: so `other`'s visitors are looked
    /// up on all threads at once, and the new ones are appended without
    /// entering the index, which is left empty and rebuilt in id order by
    /// the next `put` or merge if any comes (see `make_room`). Growing and
    /// filling it here took most of the merge on logs with many visitors,
    /// for lookups that mostly never follow.
    pub fn merge<S2: Copy + Send + Sync>(
        &mut self,
        other: Sessions<S2>,
        f: impl Fn(S2) -> S + Sync,
    ) -> Vec<VisitorId>
    where
        S: Send + Sync,
    {
        self.make_room(0);
        let found: Vec<Option<VisitorId>> = {
            let this = &*self;
            other
                .entries
                .par_iter()
                .with_min_len(1 << 12)
                .map(|&((site, visitor), _)| this.find(&(f(site), visitor)))
                .collect()
        };
        self.entries
            .reserve(found.iter().filter(|f| f.is_none()).count());
        let ids = other
            .entries
            .into_iter()
            .zip(found)
            .map(|(((site, visitor), list), found)| match found {
                Some(id) => {
                    self.extend(id, list);
                    id
                }
                None => match self.next_id() {
                    Some(id) => {
                        self.entries.push(((f(site), visitor), list));
                        id
                    }
                    None => {
                        self.extend(VisitorId::MAX, list);
                        VisitorId::MAX
                    }
                },
            })
            .collect();
        self.index.clear();
        self.last = None;
        ids
    }

    /// The id of `key`, if it is in the index.
    fn find(&self, key: &(S, u64)) -> Option<VisitorId> {
        self.lookup(key).1.ok()
    }

    /// The hash of `key`, and its id in the index or else the empty slot
    /// where it would go (see [`Index::find`]).
    fn lookup(&self, key: &(S, u64)) -> (u64, Result<VisitorId, usize>) {
        let hash = self.hasher.hash_one(key);
        let entries = &self.entries;
        let found = self.index.find(hash, |id| {
            entries.get(id as usize).is_some_and(|(k, _)| k == key)
        });
        (hash, found)
    }

    /// The id a new visitor gets, or `None` past 2³² - 1 visitors in one
    /// worker, where ids would wrap: the last one then absorbs the rest
    /// rather than panicking.
    fn next_id(&self) -> Option<VisitorId> {
        VisitorId::try_from(self.entries.len())
            .ok()
            .filter(|&id| id < VisitorId::MAX)
    }
}

impl<S: Copy> Sessions<S> {
    /// Every visitor with its site and its sessions, sorted by time.
    pub fn visitors(&self) -> impl Iterator<Item = (S, u64, &[Interval])> {
        self.entries
            .iter()
            .map(|((s, v), list)| (*s, *v, list.as_slice()))
    }

    /// Every session with its site and visitor.
    pub fn sessions(&self) -> impl Iterator<Item = (S, u64, Interval)> {
        self.visitors()
            .flat_map(|(s, v, list)| list.iter().map(move |&i| (s, v, i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(events: &[(u64, i64)], gap: i64) -> Vec<(u64, i64, i64, u64)> {
        let mut s = Sessions::new(gap);
        for &(v, t) in events {
            s.add(0u8, v, t, false);
        }
        let mut out: Vec<_> = s
            .sessions()
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

    #[test]
    fn ids_are_dense_and_merging_maps_them() {
        let mut a = Sessions::new(1800);
        assert_eq!(a.add(0u8, 70, 0, false), 0);
        assert_eq!(a.add(0u8, 71, 10, false), 1);
        assert_eq!(a.add(0u8, 70, 20, false), 0);
        // Another site is another visitor.
        assert_eq!(a.add(1u8, 70, 30, false), 2);
        let mut b = Sessions::new(1800);
        assert_eq!(b.add(0u8, 71, 5000, false), 0);
        assert_eq!(b.add(0u8, 72, 40, false), 1);
        assert_eq!(a.merge(b, |s| s), vec![1, 3]);
        let got: Vec<_> = a.visitors().map(|(s, v, l)| (s, v, l.len())).collect();
        assert_eq!(got, vec![(0, 70, 1), (0, 71, 2), (1, 70, 1), (0, 72, 1)]);
        // A merge leaves the index empty: what comes after it rebuilds it.
        assert_eq!(a.add(0u8, 72, 50, false), 3);
        assert_eq!(a.add(0u8, 73, 60, false), 4);
        let mut c = Sessions::new(1800);
        c.add(0u8, 74, 0, false);
        c.add(0u8, 71, 9000, false);
        assert_eq!(a.merge(c, |s| s), vec![5, 1]);
        let mut d = Sessions::new(1800);
        d.add(0u8, 74, 9000, false);
        assert_eq!(a.merge(d, |s| s), vec![5]);
        assert_eq!(a.len(), 6);
    }

    #[test]
    fn ids_survive_the_index_growing_many_times() {
        // Visitors in a scrambled order, each seen twice, across many
        // rebuilds of the index; then merged into a table of its own size.
        let n: u64 = 5000;
        let scrambled = |i: u64| (i * 7919) % n;
        let mut a = Sessions::new(1800);
        for i in 0..n {
            assert_eq!(a.add(0u8, scrambled(i), 0, false), i as VisitorId);
        }
        for i in 0..n {
            assert_eq!(a.add(0u8, scrambled(i), 10, false), i as VisitorId);
        }
        let mut b = Sessions::new(1800);
        for i in 0..2 * n {
            b.add(0u8, i, 20, false);
        }
        let ids = a.merge(b, |s| s);
        let expected: Vec<VisitorId> = (0..2 * n)
            .map(|v| match v < n {
                true => (0..n).position(|i| scrambled(i) == v).unwrap_or(0) as VisitorId,
                false => v as VisitorId,
            })
            .collect();
        assert_eq!(ids, expected);
        assert_eq!(a.len(), 2 * n as usize);
    }

    proptest::proptest! {
        /// Any order, any split into parts merged in any order, gives the
        /// sessions of the sorted events.
        #[test]
        fn order_and_splitting_do_not_matter(
            mut events in proptest::collection::vec((0u64..3, 0i64..20_000, proptest::bool::ANY), 1..60),
            cut in 0usize..60,
            gap in 1i64..3000,
        ) {
            let expected = {
                let mut sorted = events.clone();
                sorted.sort();
                let mut out = Vec::new();
                for &(v, t, page) in &sorted {
                    let page = u64::from(page);
                    match out.last_mut() {
                        Some((lv, _, last, n, p)) if *lv == v && t - *last <= gap => {
                            *last = t;
                            *n += 1;
                            *p += page;
                        }
                        _ => out.push((v, t, t, 1u64, page)),
                    }
                }
                out.sort();
                out
            };
            events.reverse();
            let cut = cut.min(events.len());
            let (a, b) = events.split_at(cut);
            let mut left = Sessions::new(gap);
            for &(v, t, page) in a {
                left.add(0u8, v, t, page);
            }
            let mut right = Sessions::new(gap);
            for &(v, t, page) in b {
                right.add(1u8, v, t, page);
            }
            right.merge(left, |_| 1u8);
            let mut got: Vec<_> = right
                .sessions()
                .map(|(_, v, i)| (v, i.first, i.last, i.requests, i.pages))
                .collect();
            got.sort();
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
