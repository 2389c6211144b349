//! The run's partitions (day and site) and how each web table goes through
//! them: decided once from the sessions, applied to every table before it
//! folds or buckets its own rows, so no table publishes a partition that
//! another withholds.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::privacy::Labels;
use crate::privacy::disclosure::{Admission, Counters, Disclosed, NOBODY, Row, Rows};
use crate::privacy::pseudonym::Pseudonym;
use crate::time::Calendar;

use super::super::columns::sorted;
use super::super::sessions::Sessions;
use super::{Day, Str};

/// How a run's day-and-site partitions are published, shared by every web
/// table.
pub(super) struct Partitions<'a> {
    pub(super) sites: &'a Admission<(Day, Str)>,
    // Visitor id → person, where small sites fold together and one person
    // may be a visitor of several.
    pub(super) person: Option<&'a [u32]>,
    // Person → network, and the networks a row needs.
    pub(super) networks: Option<(Arc<[u32]>, u64)>,
    // The calendar of the days, to find an hour's day.
    pub(super) calendar: Calendar,
}

/// Each visitor's person: one dense id per pseudonym, whatever the site
/// (a visitor is a site and a pseudonym), and [`NOBODY`] for visitors
/// without a client address.
pub(super) fn people(sessions: &Sessions<Str>) -> Vec<u32> {
    let unknown = Pseudonym::UNKNOWN.value();
    let mut ids: HashMap<u64, u32, RandomState> = HashMap::default();
    sessions
        .visitors()
        .map(|(_, p, _)| {
            if p == unknown {
                return NOBODY;
            }
            let next = ids.len() as u32;
            *ids.entry(p).or_insert(next)
        })
        .collect()
}

/// Each visitor's id, once for each day it has a session on, with its
/// site.
fn visitor_days(sessions: &Sessions<Str>) -> impl Iterator<Item = (usize, Day, Str)> + '_ {
    let cal = sessions.calendar();
    sessions
        .visitors()
        .enumerate()
        .flat_map(move |(id, (site, _, list))| {
            // A visitor's sessions are sorted by time, so its days come
            // in order.
            let mut last = None;
            list.iter().filter_map(move |s| {
                let day = cal.day(s.first);
                (last != Some(day)).then(|| {
                    last = Some(day);
                    (id, day, site)
                })
            })
        })
}

impl Partitions<'_> {
    /// Decides the partitions from the day's visitors per site: a site with
    /// fewer than `k` on a day folds into `other_site`, withheld when that
    /// is still below `k`. Returns the visitor → person map when sites fold
    /// together (a visitor is per site and pseudonym; a person is per
    /// pseudonym).
    pub(super) fn decide(
        sessions: &Sessions<Str>,
        k: u64,
        other_site: Str,
    ) -> (Admission<(Day, Str)>, Option<Vec<u32>>) {
        let rows = |person: Option<&[u32]>| {
            let mut days: HashMap<(Day, Str), Vec<u32>, RandomState> = HashMap::default();
            for (id, day, site) in visitor_days(sessions) {
                let who = person.map_or(id as u32, |p| p[id]);
                days.entry((day, site)).or_default().push(who);
            }
            Rows::from_sets(days.into_iter().map(|(k, v)| (k, (), v)))
        };
        // Visitors with no client address are nobody (see `NOBODY`): with
        // any of them, every table maps visitors to people.
        let unknown = Pseudonym::UNKNOWN.value();
        let nobody: Option<Vec<u32>> =
            sessions.visitors().any(|(_, p, _)| p == unknown).then(|| {
                let ids = sessions.visitors().enumerate();
                ids.map(|(id, (_, p, _))| if p == unknown { NOBODY } else { id as u32 })
                    .collect()
            });
        // Without them each visitor is a distinct person of its site and
        // day, so counting settles the usual case (no small site) without
        // collecting and sorting an id per visitor and day: on a log with
        // a million visitors that was a serial pause at the end of a run.
        if nobody.is_none() {
            let mut counts: HashMap<(Day, Str), u64, RandomState> = HashMap::default();
            for (_, day, site) in visitor_days(sessions) {
                *counts.entry((day, site)).or_default() += 1;
            }
            if counts.values().all(|&n| n >= k) {
                return (Admission::all(), None);
            }
        }
        let by_site = rows(nobody.as_deref());
        // A visitor is a (site, pseudonym): one person on two sites is two
        // visitors. That only matters on a day where a small site folds
        // together with another (a second small one, or an `(other site)`
        // partition already there); elsewhere visitors count people.
        let mut folding: HashMap<Day, usize, RandomState> = HashMap::default();
        for r in 0..by_site.len() as u32 {
            let (day, site) = *by_site.key(r);
            if by_site.distinct(r) < k || site == other_site {
                *folding.entry(day).or_default() += 1;
            }
        }
        let small = (0..by_site.len() as u32).any(|r| by_site.distinct(r) < k);
        if !small {
            return (Admission::all(), nobody);
        }
        if folding.values().all(|&n| n < 2) {
            return (
                Admission::decide(by_site, k, |&(d, _)| (d, other_site)),
                nobody,
            );
        }
        let person = people(sessions);
        let admission = Admission::decide(rows(Some(&person)), k, |&(d, _)| (d, other_site));
        (admission, Some(person))
    }

    /// `rows` keyed by day and site first, with every partition renamed or
    /// dropped as decided.
    pub(super) fn by_day<K: Copy + Hash + Eq + DaySite, C: Counters>(
        &self,
        rows: Rows<K, C>,
    ) -> Admitted<K, C> {
        self.admit(rows, |k| {
            let (day, site) = k.day_site();
            self.sites.get((day, site)).map(|(_, s)| k.with_site(s))
        })
    }

    /// The same for rows keyed by hour and site.
    pub(super) fn by_hour<C: Counters>(
        &self,
        rows: Rows<(i64, Str), C>,
    ) -> Admitted<(i64, Str), C> {
        self.admit(rows, |&(h, site)| {
            self.sites
                .get((self.calendar.day(h), site))
                .map(|(_, s)| (h, s))
        })
    }

    fn admit<K: Copy + Hash + Eq, C: Counters>(
        &self,
        rows: Rows<K, C>,
        f: impl Fn(&K) -> Option<K>,
    ) -> Admitted<K, C> {
        let rows_in = rows.len();
        let rows = match &self.networks {
            Some((n, k)) => rows.with_networks(n.clone(), *k),
            None => rows,
        };
        let (rows, dropped) = if self.sites.is_identity() {
            (rows, 0)
        } else {
            rows.rekey(f)
        };
        Admitted {
            rows,
            rows_in,
            dropped,
            partitions: self.sites.withheld,
        }
    }
}

/// A table's rows after the run's partition decision, with what it did.
pub(super) struct Admitted<K, C> {
    pub(super) rows: Rows<K, C>,
    pub(super) rows_in: usize,
    pub(super) dropped: usize,
    pub(super) partitions: usize,
}

/// Dense network ids by person (by visitor where `person` is `None`), from
/// each visitor's network pseudonym; `None` when there are none.
pub(super) fn network_ids(networks: &[u64], person: Option<&[u32]>) -> Option<Arc<[u32]>> {
    if networks.is_empty() {
        return None;
    }
    let mut dense: HashMap<u64, u32, RandomState> = HashMap::default();
    let persons = person.map_or(networks.len(), |p| {
        let most = p.iter().filter(|&&m| m != NOBODY).max();
        most.map_or(0, |&m| m as usize + 1)
    });
    let mut by_person = vec![u32::MAX; persons];
    for (v, &n) in networks.iter().enumerate() {
        let next = dense.len() as u32;
        let id = *dense.entry(n).or_insert(next);
        let p = person.map_or(v, |p| p.get(v).map_or(usize::MAX, |&p| p as usize));
        if let Some(slot) = by_person.get_mut(p) {
            *slot = id;
        }
    }
    Some(by_person.into())
}

/// Keys that start with a day and a site.
pub(super) trait DaySite {
    fn day_site(&self) -> (Day, Str);
    fn with_site(self, site: Str) -> Self;
}

impl DaySite for (Day, Str) {
    fn day_site(&self) -> (Day, Str) {
        *self
    }
    fn with_site(self, site: Str) -> Self {
        (self.0, site)
    }
}

impl<T: Copy> DaySite for (Day, Str, T) {
    fn day_site(&self) -> (Day, Str) {
        (self.0, self.1)
    }
    fn with_site(self, site: Str) -> Self {
        (self.0, site, self.2)
    }
}

/// Finished rows of a table keyed by day, site and a label.
pub(super) type LabelRows<C> = Vec<Row<(Day, Str, Str), C>>;

/// Rows of a table keyed by day, site and a label, disclosed by the folding
/// rule into `other`, sorted by their text.
pub(super) fn by_label<C: Counters>(
    rows: Admitted<(Day, Str, Str), C>,
    (k, labels, other): (u64, &Labels, Str),
) -> (LabelRows<C>, Disclosed) {
    fold_day(
        rows,
        k,
        |k| (k.0, k.1, other),
        |k| (k.0, labels.get(k.1), labels.get(k.2)),
    )
}

/// The folding rule over a table keyed by day and site first, one
/// threshold for every row, with what the partition decision did before;
/// the rows come back sorted by `order`, which also breaks the rule's ties
/// (so it must follow published text, not label ids).
pub(super) fn fold_day<K: Copy + Hash + Eq + DaySite, C: Counters, T: Ord>(
    a: Admitted<K, C>,
    k: u64,
    other: impl Fn(&K) -> K,
    order: impl Fn(&K) -> T,
) -> (Vec<Row<K, C>>, Disclosed) {
    let (rows, s) = a.rows.fold(k, |key| key.day_site(), other, |_| k, &order);
    (
        sorted(rows, order),
        s.admitted(a.rows_in, a.dropped, a.partitions),
    )
}
