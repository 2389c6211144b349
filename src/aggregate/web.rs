//! Accumulators for the web tables.
//!
//! One [`WebAggregate`] per worker, keyed by the [`LabelId`]s of that
//! worker's [`Labels`]. [`WebAggregate::into_tables`] merges the other
//! workers' aggregates in, renumbering their labels and visitors, and
//! builds the tables, rows sorted by their text keys so output order never
//! depends on thread timing.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::output::schema::{self, TableSpec};
use crate::output::table::{Table, Values};
use crate::privacy::disclosure::{Admission, Counters, Disclosed, Row, Rows};
use crate::privacy::policy::{SessionPolicy, SuppressionPolicy};
use crate::privacy::{ClassId, LabelId, Labels, Renumbering, VeiledRecord};
use crate::time;

use super::columns::{days, float64, int64, sorted, utf8};
use super::group::{Count, Group, VisitorId};
use super::quantiles::Sketch;
use super::sessions::Sessions;

/// Counters of a `web_traffic` row.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Traffic {
    /// Requests.
    pub requests: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Requests by status class 1xx..5xx (index 0 = 1xx).
    pub classes: [u64; 5],
    /// Requests from campus networks.
    pub on_campus: u64,
    /// Response times, where the format logs them.
    pub latency: Sketch,
}

impl Counters for Traffic {
    fn merge(&mut self, o: &Self) {
        self.requests += o.requests;
        self.bytes = self.bytes.saturating_add(o.bytes);
        for (a, b) in self.classes.iter_mut().zip(o.classes) {
            *a += b;
        }
        self.on_campus += o.on_campus;
        self.latency.merge(&o.latency);
    }
}

/// Counters of a `web_pages` row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Requests.
    pub requests: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Responses with status ≥ 400.
    pub errors: u64,
}

impl Counters for Page {
    fn merge(&mut self, o: &Self) {
        self.requests += o.requests;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.errors += o.errors;
    }
}

pub use crate::privacy::labels::OTHER;

type Day = i32;
type Str = LabelId;

/// All web accumulators of one worker or run.
#[derive(Debug, Clone)]
pub struct WebAggregate {
    traffic: Group<(i64, Str), Traffic>,
    campus_visitors: Group<(i64, Str), Count>,
    pages: Group<(Day, Str, Str), Page>,
    status: Group<(Day, Str, u16), Count>,
    referrers: Group<(Day, Str, Str), Count>,
    clients: Group<(Day, Str, ClassId), Count>,
    search: Group<(Day, Str, Str), Count>,
    sessions: Sessions<Str>,
    // Each visitor's network pseudonym, by visitor id, when the veil gives
    // them (the policy's network threshold is on).
    networks: Vec<u64>,
}

impl Default for WebAggregate {
    /// An empty aggregate with the default session gap.
    fn default() -> Self {
        WebAggregate::new(i64::from(SessionPolicy::default().gap_minutes) * 60)
    }
}

impl WebAggregate {
    /// An empty aggregate whose sessions end after `session_gap` seconds
    /// of inactivity.
    pub fn new(session_gap: i64) -> Self {
        WebAggregate {
            traffic: Group::default(),
            campus_visitors: Group::default(),
            pages: Group::default(),
            status: Group::default(),
            referrers: Group::default(),
            clients: Group::default(),
            search: Group::default(),
            sessions: Sessions::new(session_gap),
            networks: Vec::new(),
        }
    }

    /// Adds one veiled record.
    pub fn add(&mut self, r: VeiledRecord) {
        let (site, path, referrer) = (r.site, r.path, r.referrer_host);
        let day = time::date32(r.time);
        // Every row below has the site in its key, so the visitor's id per
        // (site, pseudonym) from the session table counts exactly.
        let visitor = self.sessions.add(site, r.visitor.value(), r.time);
        if let Some(n) = r.network
            && visitor as usize == self.networks.len()
        {
            self.networks.push(n.value());
        }

        let (row, t) = self.traffic.row((time::hour_of(r.time), site));
        t.requests += 1;
        t.bytes = t.bytes.saturating_add(r.bytes);
        if let Some(c) = t
            .classes
            .get_mut(usize::from(r.status / 100).wrapping_sub(1))
        {
            *c += 1;
        }
        t.on_campus += u64::from(r.on_campus);
        if let Some(d) = r.duration_us {
            t.latency.add(d);
        }
        self.traffic.visit(row, visitor);
        if r.on_campus {
            let (row, c) = self.campus_visitors.row((time::hour_of(r.time), site));
            c.0 += 1;
            self.campus_visitors.visit(row, visitor);
        }

        let (row, p) = self.pages.row((day, site, path));
        p.requests += 1;
        p.bytes = p.bytes.saturating_add(r.bytes);
        p.errors += u64::from(r.status >= 400);
        self.pages.visit(row, visitor);

        let (row, c) = self.status.row((day, site, r.status));
        c.0 += 1;
        self.status.visit(row, visitor);

        let (row, c) = self.referrers.row((day, site, referrer));
        c.0 += 1;
        self.referrers.visit(row, visitor);

        let (row, c) = self.clients.row((day, site, r.client));
        c.0 += 1;
        self.clients.visit(row, visitor);

        if let Some(term) = r.search_term {
            let (row, c) = self.search.row((day, site, term));
            c.0 += 1;
            self.search.visit(row, visitor);
        }
    }

    /// Number of rows across the tables (for diagnostics).
    pub fn rows(&self) -> usize {
        self.traffic.len()
            + self.pages.len()
            + self.status.len()
            + self.referrers.len()
            + self.clients.len()
    }

    /// Merges the other workers' aggregates into this one and builds the
    /// finished tables, handing each to `emit` (which encodes and writes
    /// it) on the task that built it. `others` pairs each aggregate with
    /// the renumbering of its ids into `labels` (from [`Labels::absorb`]).
    /// Returns what `emit` returned, in table order.
    ///
    /// Every table goes through disclosure control
    /// ([`crate::privacy::disclosure`]): the day's partitions (site and
    /// day) are decided once from the sessions, then each table folds or
    /// buckets its own rows. Rows are sorted by their text keys, so output
    /// order never depends on thread timing.
    ///
    /// Only the visitors are merged up front, since every group needs the
    /// others' visitor ids in this worker's numbering. After that, each
    /// table is merged, counted, disclosed, sorted and written on its own
    /// task: with a barrier between those steps, one thread sat idle behind
    /// the largest table at each of them.
    pub fn into_tables<R: Send>(
        mut self,
        others: Vec<(WebAggregate, Renumbering)>,
        mut labels: Labels,
        suppression: &SuppressionPolicy,
        emit: impl Fn(Result<Table, String>) -> R + Sync,
    ) -> Vec<R> {
        let mut parts = Others::default();
        let mut maps = Vec::with_capacity(others.len());
        for (other, ids) in others {
            let visitors = self.sessions.merge(other.sessions, |id| ids.label(id));
            // Visitors new to this worker got the next ids, in order.
            for (&new, &n) in visitors.iter().zip(&other.networks) {
                if new as usize == self.networks.len() {
                    self.networks.push(n);
                }
            }
            parts.traffic.push(other.traffic);
            parts.campus_visitors.push(other.campus_visitors);
            parts.pages.push(other.pages);
            parts.status.push(other.status);
            parts.referrers.push(other.referrers);
            parts.clients.push(other.clients);
            parts.search.push(other.search);
            maps.push((ids, visitors));
        }
        let WebAggregate {
            traffic,
            campus_visitors,
            pages,
            status,
            referrers,
            clients,
            search,
            sessions,
            networks,
        } = self;
        let other = labels.other();
        let other_class = labels.other_class();
        let other_site = labels.other_site();
        let (sites, person) = Partitions::decide(&sessions, suppression.k, other_site);
        let networks = network_ids(&networks, person.as_deref());
        let parts_of = Partitions {
            sites: &sites,
            person: person.as_deref(),
            networks: networks.map(|n| (n, suppression.k_networks)),
        };
        // Tables the policy asks for exact skip every partition decision.
        let all = Admission::all();
        let exact = Partitions {
            sites: &all,
            person: parts_of.person,
            networks: None,
        };
        let (labels, maps, emit) = (&labels, maps.as_slice(), &emit);
        let partitions = |spec: &TableSpec| match suppression.is_internal(spec.name) {
            true => &exact,
            false => &parts_of,
        };
        let k_of = |spec: &TableSpec| suppression.k_for(spec.name);
        let emit = |spec: &TableSpec, table: Result<Table, String>, s: Disclosed| {
            let s = Disclosed {
                internal: suppression.is_internal(spec.name),
                ..s
            };
            emit(table.map(|t| t.with_suppression(s)))
        };
        let text = |id: Str| labels.get(id);
        let site_label =
            |ids: &Renumbering, (d, site, l): (Day, Str, Str)| (d, ids.label(site), ids.label(l));
        let by_label_of = |spec: &TableSpec| (k_of(spec), labels, other);
        let mut slots: [Option<R>; 7] = std::array::from_fn(|_| None);
        let [
            traffic_slot,
            pages_slot,
            status_slot,
            referrers_slot,
            clients_slot,
            search_slot,
            sessions_slot,
        ] = &mut slots;
        let Others {
            traffic: other_traffic,
            campus_visitors: other_campus,
            pages: other_pages,
            status: other_status,
            referrers: other_referrers,
            clients: other_clients,
            search: other_search,
        } = parts;
        // The pages table takes as long as the others together: this
        // thread builds it at once, and the others are spawned, largest
        // first, for the other threads to steal (and this one to take
        // when done).
        rayon::scope(|scope| {
            scope.spawn(|_| {
                let spec = &schema::WEB_REFERRERS;
                let group = gather(referrers, other_referrers, maps, site_label);
                let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
                let (rows, s) = by_label(rows, by_label_of(spec));
                *referrers_slot = Some(emit(spec, label_count_table(spec, &rows, labels), s));
            });
            scope.spawn(move |_| {
                let spec = &schema::WEB_SESSIONS;
                let rows = partitions(spec).by_day(session_rows(&sessions, parts_of.person));
                // Freeing every visitor's sessions takes a while: here,
                // not after the last table.
                drop(sessions);
                let (rows, s) = fold_day(rows, k_of(spec), |k| *k);
                let rows = sorted(rows, |k| (k.0, text(k.1)));
                *sessions_slot = Some(emit(spec, sessions_table(&rows, labels), s));
            });
            scope.spawn(|_| {
                let spec = &schema::WEB_TRAFFIC;
                let hour_site = |ids: &Renumbering, (h, site): (i64, Str)| (h, ids.label(site));
                let campus = gather(campus_visitors, other_campus, maps, hour_site);
                let campus = partitions(spec).by_hour(campus.into_rows(parts_of.person));
                let group = gather(traffic, other_traffic, maps, hour_site);
                let a = partitions(spec).by_hour(group.into_rows(parts_of.person));
                let k = k_of(spec);
                let (rows, plans, s) =
                    a.rows
                        .buckets(k, |&(h, site)| (time::date32(h), site), |k| k.0);
                let s = s.admitted(a.rows_in, a.dropped, a.partitions);
                let mut campus = campus.rows.lookup();
                let mut rows: Vec<_> = rows
                    .into_iter()
                    .zip(plans)
                    .map(|((key, t, visitors, hours), plan)| {
                        let on = campus.combine(&plan).1;
                        // A split of the row's people into two groups is
                        // published only when both have k people (or none).
                        let small = |n: u64| n > 0 && n < k;
                        let campus = (!small(on) && !small(visitors - on.min(visitors)))
                            .then_some((t.on_campus, on));
                        (key, t, visitors, hours, campus)
                    })
                    .collect();
                rows.sort_by_cached_key(|r| (r.0.0, text(r.0.1)));
                *traffic_slot = Some(emit(spec, traffic_table(&rows, labels), s));
            });
            scope.spawn(|_| {
                let spec = &schema::WEB_CLIENTS;
                let group = gather(clients, other_clients, maps, |ids, (d, site, c)| {
                    (d, ids.label(site), ids.class(c))
                });
                let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
                let (rows, s) = fold_day(rows, k_of(spec), |k| (k.0, k.1, other_class));
                let class = |id: ClassId| labels.class_of(id);
                let rows = sorted(rows, |k| (k.0, text(k.1), class(k.2)));
                *clients_slot = Some(emit(spec, clients_table(&rows, labels), s));
            });
            scope.spawn(|_| {
                let spec = &schema::WEB_SEARCH_TERMS;
                let group = gather(search, other_search, maps, site_label);
                let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
                let (rows, s) = by_label(rows, by_label_of(spec));
                *search_slot = Some(emit(spec, label_count_table(spec, &rows, labels), s));
            });
            scope.spawn(|_| {
                let spec = &schema::WEB_STATUS;
                let group = gather(status, other_status, maps, |ids, (d, site, st)| {
                    (d, ids.label(site), st)
                });
                let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
                let (rows, s) = fold_day(rows, k_of(spec), |k| (k.0, k.1, OTHER_STATUS));
                let rows = sorted(rows, |k| (k.0, text(k.1), k.2));
                *status_slot = Some(emit(spec, status_table(&rows, labels), s));
            });
            let spec = &schema::WEB_PAGES;
            let group = gather(pages, other_pages, maps, site_label);
            let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
            let (rows, s) = by_label(rows, by_label_of(spec));
            *pages_slot = Some(emit(spec, pages_table(&rows, labels), s));
        });
        slots.into_iter().flatten().collect()
    }
}

/// The status code of the row that small status groups fold into; written
/// as null.
const OTHER_STATUS: u16 = u16::MAX;

/// How a run's day-and-site partitions are published, shared by every web
/// table.
struct Partitions<'a> {
    sites: &'a Admission<(Day, Str)>,
    // Visitor id → person, where small sites fold together and one person
    // may be a visitor of several.
    person: Option<&'a [u32]>,
    // Person → network, and the networks a row needs.
    networks: Option<(Arc<[u32]>, u64)>,
}

impl Partitions<'_> {
    /// Decides the partitions from the day's visitors per site: a site with
    /// fewer than `k` on a day folds into `other_site`, withheld when that
    /// is still below `k`. Returns the visitor → person map when sites fold
    /// together (a visitor is per site and pseudonym; a person is per
    /// pseudonym).
    fn decide(
        sessions: &Sessions<Str>,
        k: u64,
        other_site: Str,
    ) -> (Admission<(Day, Str)>, Option<Vec<u32>>) {
        let rows = |person: Option<&[u32]>| {
            let mut days: HashMap<(Day, Str), Vec<u32>, RandomState> = HashMap::default();
            for (id, (site, _, list)) in sessions.visitors().enumerate() {
                let who = person.map_or(id as u32, |p| p[id]);
                let mut last = None;
                for s in list {
                    let day = time::date32(s.first);
                    if last != Some(day) {
                        days.entry((day, site)).or_default().push(who);
                        last = Some(day);
                    }
                }
            }
            Rows::from_sets(days.into_iter().map(|(k, v)| (k, (), v)))
        };
        let by_site = rows(None);
        let small_sites = (0..by_site.len() as u32).any(|r| by_site.distinct(r) < k);
        if !small_sites {
            return (Admission::all(), None);
        }
        let mut ids: HashMap<u64, u32, RandomState> = HashMap::default();
        let person: Vec<u32> = sessions
            .visitors()
            .map(|(_, p, _)| {
                let next = ids.len() as u32;
                *ids.entry(p).or_insert(next)
            })
            .collect();
        let admission = Admission::decide(rows(Some(&person)), k, |&(d, _)| (d, other_site));
        (admission, Some(person))
    }

    /// `rows` keyed by day and site first, with every partition renamed or
    /// dropped as decided.
    fn by_day<K: Copy + Hash + Eq + DaySite, C: Counters>(
        &self,
        rows: Rows<K, C>,
    ) -> Admitted<K, C> {
        self.admit(rows, |k| {
            let (day, site) = k.day_site();
            self.sites.get((day, site)).map(|(_, s)| k.with_site(s))
        })
    }

    /// The same for rows keyed by hour and site.
    fn by_hour<C: Counters>(&self, rows: Rows<(i64, Str), C>) -> Admitted<(i64, Str), C> {
        self.admit(rows, |&(h, site)| {
            self.sites.get((time::date32(h), site)).map(|(_, s)| (h, s))
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
struct Admitted<K, C> {
    rows: Rows<K, C>,
    rows_in: usize,
    dropped: usize,
    partitions: usize,
}

/// Dense network ids by person (by visitor where `person` is `None`), from
/// each visitor's network pseudonym; `None` when there are none.
fn network_ids(networks: &[u64], person: Option<&[u32]>) -> Option<Arc<[u32]>> {
    if networks.is_empty() {
        return None;
    }
    let mut dense: HashMap<u64, u32, RandomState> = HashMap::default();
    let persons = person.map_or(networks.len(), |p| {
        p.iter().max().map_or(0, |&m| m as usize + 1)
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
trait DaySite {
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

/// The other workers' groups, table by table.
#[derive(Default)]
struct Others {
    traffic: Vec<Group<(i64, Str), Traffic>>,
    campus_visitors: Vec<Group<(i64, Str), Count>>,
    pages: Vec<Group<(Day, Str, Str), Page>>,
    status: Vec<Group<(Day, Str, u16), Count>>,
    referrers: Vec<Group<(Day, Str, Str), Count>>,
    clients: Vec<Group<(Day, Str, ClassId), Count>>,
    search: Vec<Group<(Day, Str, Str), Count>>,
}

/// `base` with the other workers' groups merged in, their keys renumbered
/// by `key` and their visitors by the maps from the session merge.
fn gather<K: Copy + Hash + Eq, C: Counters>(
    mut base: Group<K, C>,
    others: Vec<Group<K, C>>,
    maps: &[(Renumbering, Vec<VisitorId>)],
    key: impl Fn(&Renumbering, K) -> K,
) -> Group<K, C> {
    for (group, (ids, visitors)) in others.into_iter().zip(maps) {
        base.merge_mapped(group, |k| key(ids, k), visitors);
    }
    base
}

/// Finished rows of a table keyed by day, site and a label.
type LabelRows<C> = Vec<Row<(Day, Str, Str), C>>;

/// Rows of a table keyed by day, site and a label, disclosed by the folding
/// rule into `other`, sorted by their text.
fn by_label<C: Counters>(
    rows: Admitted<(Day, Str, Str), C>,
    (k, labels, other): (u64, &Labels, Str),
) -> (LabelRows<C>, Disclosed) {
    let (rows, s) = fold_day(rows, k, |k| (k.0, k.1, other));
    (sorted(rows, |k| (k.0, labels.get(k.1), labels.get(k.2))), s)
}

/// The folding rule over a table keyed by day and site first, one
/// threshold for every row, with what the partition decision did before.
fn fold_day<K: Copy + Hash + Eq + DaySite, C: Counters>(
    a: Admitted<K, C>,
    k: u64,
    other: impl Fn(&K) -> K,
) -> (Vec<Row<K, C>>, Disclosed) {
    let (rows, s) = a.rows.fold(k, |key| key.day_site(), other, |_| k);
    (rows, s.admitted(a.rows_in, a.dropped, a.partitions))
}

/// A disclosed traffic row: key (the bucket's first hour), counters,
/// visitors, the hours it spans, and the on-campus requests and visitors
/// where publishing that split is safe.
type TrafficRow = ((i64, Str), Traffic, u64, i64, Option<(u64, u64)>);

fn traffic_table(rows: &[TrafficRow], labels: &Labels) -> Result<Table, String> {
    let hours = Values::Timestamp(
        rows.iter()
            .map(|r| r.0.0.saturating_mul(1_000_000))
            .collect(),
    );
    let opt = |f: fn(&(u64, u64)) -> u64| {
        Values::OptInt64(
            rows.iter()
                .map(|r| {
                    r.4.as_ref()
                        .map(|c| i64::try_from(f(c)).unwrap_or(i64::MAX))
                })
                .collect(),
        )
    };
    let latency = |q: f64| {
        Values::OptFloat64(
            rows.iter()
                .map(|r| r.1.latency.quantile(q).map(|us| us / 1000.0))
                .collect(),
        )
    };
    Table::new(
        &schema::WEB_TRAFFIC,
        vec![
            hours,
            Values::Int32(rows.iter().map(|r| r.3.clamp(0, 24) as i32).collect()),
            utf8(rows, |r| labels.get(r.0.1)),
            int64(rows, |r| r.1.requests),
            int64(rows, |r| r.1.bytes),
            int64(rows, |r| r.2),
            int64(rows, |r| r.1.classes[1]),
            int64(rows, |r| r.1.classes[2]),
            int64(rows, |r| r.1.classes[3]),
            int64(rows, |r| r.1.classes[4]),
            opt(|c| c.0),
            opt(|c| c.1),
            latency(0.50),
            latency(0.95),
            latency(0.99),
        ],
    )
}

fn pages_table(rows: &[Row<(Day, Str, Str), Page>], labels: &Labels) -> Result<Table, String> {
    Table::new(
        &schema::WEB_PAGES,
        vec![
            days(rows, |k| k.0),
            utf8(rows, |r| labels.get(r.0.1)),
            utf8(rows, |r| labels.get(r.0.2)),
            int64(rows, |r| r.1.requests),
            int64(rows, |r| r.2),
            int64(rows, |r| r.1.bytes),
            int64(rows, |r| r.1.errors),
        ],
    )
}

fn status_table(rows: &[Row<(Day, Str, u16), Count>], labels: &Labels) -> Result<Table, String> {
    Table::new(
        &schema::WEB_STATUS,
        vec![
            days(rows, |k| k.0),
            utf8(rows, |r| labels.get(r.0.1)),
            Values::OptInt32(
                rows.iter()
                    .map(|r| (r.0.2 != OTHER_STATUS).then_some(i32::from(r.0.2)))
                    .collect(),
            ),
            int64(rows, |r| r.1.0),
            int64(rows, |r| r.2),
        ],
    )
}

fn clients_table(
    rows: &[Row<(Day, Str, ClassId), Count>],
    labels: &Labels,
) -> Result<Table, String> {
    let class = |id: ClassId| labels.class_of(id);
    Table::new(
        &schema::WEB_CLIENTS,
        vec![
            days(rows, |k| k.0),
            utf8(rows, |r| labels.get(r.0.1)),
            utf8(rows, |r| class(r.0.2).browser),
            utf8(rows, |r| class(r.0.2).os),
            utf8(rows, |r| class(r.0.2).device),
            Values::Bool(rows.iter().map(|r| class(r.0.2).is_bot).collect()),
            int64(rows, |r| r.1.0),
            int64(rows, |r| r.2),
        ],
    )
}

fn sessions_table(rows: &[Row<(Day, Str), DaySessions>], labels: &Labels) -> Result<Table, String> {
    Table::new(
        &schema::WEB_SESSIONS,
        vec![
            days(rows, |k| k.0),
            utf8(rows, |r| labels.get(r.0.1)),
            int64(rows, |r| r.1.sessions),
            int64(rows, |r| r.2),
            int64(rows, |r| r.1.requests),
            float64(rows, |r| r.1.mean_seconds()),
            float64(rows, |r| r.1.median_seconds()),
            float64(rows, |r| r.1.requests_per_session()),
            float64(rows, |r| r.1.bounce_rate()),
        ],
    )
}

/// A table of (day, site, label, requests, distinct visitors) rows, the
/// layout `web_referrers` and `web_search_terms` share.
fn label_count_table(
    spec: &'static TableSpec,
    rows: &[Row<(Day, Str, Str), Count>],
    labels: &Labels,
) -> Result<Table, String> {
    Table::new(
        spec,
        vec![
            days(rows, |k| k.0),
            utf8(rows, |r| labels.get(r.0.1)),
            utf8(rows, |r| labels.get(r.0.2)),
            int64(rows, |r| r.1.0),
            int64(rows, |r| r.2),
        ],
    )
}

/// Sessions of one day and site.
#[derive(Debug, Default, Clone)]
struct DaySessions {
    sessions: u64,
    requests: u64,
    single: u64,
    durations: Vec<i64>,
}

impl DaySessions {
    fn mean_seconds(&self) -> f64 {
        let total: i64 = self.durations.iter().sum();
        total as f64 / self.sessions.max(1) as f64
    }

    fn median_seconds(&self) -> f64 {
        let mut d = self.durations.clone();
        let n = d.len();
        if n == 0 {
            return 0.0;
        }
        // Selection, not a sort: everything left of the middle is no larger.
        let (below, &mut high, _) = d.select_nth_unstable(n / 2);
        match below.iter().max() {
            Some(&low) if n.is_multiple_of(2) => (low + high) as f64 / 2.0,
            _ => high as f64,
        }
    }

    fn requests_per_session(&self) -> f64 {
        self.requests as f64 / self.sessions.max(1) as f64
    }

    fn bounce_rate(&self) -> f64 {
        self.single as f64 / self.sessions.max(1) as f64
    }
}

impl Counters for DaySessions {
    fn merge(&mut self, o: &Self) {
        self.sessions += o.sessions;
        self.requests += o.requests;
        self.single += o.single;
        self.durations.extend_from_slice(&o.durations);
    }
}

/// Sessions grouped by day and site (sessions end at midnight, so each
/// lies in one day), with the people of each group.
fn session_rows(sessions: &Sessions<Str>, person: Option<&[u32]>) -> Rows<(Day, Str), DaySessions> {
    let mut groups: HashMap<(Day, Str), (DaySessions, Vec<u32>), RandomState> = HashMap::default();
    for (id, (site, _, list)) in sessions.visitors().enumerate() {
        let who = person.and_then(|p| p.get(id).copied()).unwrap_or(id as u32);
        // One visitor's sessions come sorted by time, so the days they
        // start on come in order: the visitor counts once per (day, site).
        let mut counted = None;
        for s in list.iter() {
            let day = time::date32(s.first);
            let (g, people) = groups.entry((day, site)).or_default();
            g.sessions += 1;
            g.requests += s.requests;
            g.single += u64::from(s.requests == 1);
            g.durations.push(s.last - s.first);
            if counted != Some(day) {
                people.push(who);
                counted = Some(day);
            }
        }
    }
    Rows::from_sets(groups.into_iter().map(|(k, (g, p))| (k, g, p)))
}
