//! Accumulators for the web tables.
//!
//! One [`WebAggregate`] per worker, keyed by the [`LabelId`]s of that
//! worker's [`Labels`]. [`WebAggregate::into_tables`] merges the other
//! workers' aggregates in, renumbering their labels and visitors, and
//! builds the tables, rows sorted by their text keys so output order never
//! depends on thread timing. Every table passes disclosure control on the
//! way: `partitions` applies the run's decision about days and sites and
//! the folding rule, `tables` lays out the columns.

pub mod dp;
pub mod partial;
mod partitions;
mod tables;

use std::hash::Hash;

use crate::output::schema::{self, TableSpec};
use crate::output::table::Table;
use crate::privacy::disclosure::{Admission, Counters, Disclosed};
use crate::privacy::policy::{Policy, SessionPolicy};
use crate::privacy::request::{Method, Protocol};
use crate::privacy::request_class::{RequestClass, RequestClasses};
use crate::privacy::{ClassId, LabelId, Labels, Renumbering, VeiledRecord};
use crate::time::Calendar;

use super::group::{Count, Group, VisitorId};
use super::quantiles::Sketch;
use super::sessions::Sessions;
use partitions::{Partitions, by_label, fold_day, network_ids};
use tables::{
    OTHER_STATUS, clients_table, label_count_table, pages_table, session_rows, sessions_table,
    status_table, traffic_table, versions_table,
};

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
    /// Requests from crawlers and scripted clients.
    pub bot_requests: u64,
    /// Requests by method family (GET, POST, HEAD, other; see
    /// [`Method`]).
    pub methods: [u64; Method::COUNT],
    /// Requests by known protocol family (HTTP/1, 2, 3; see
    /// [`Protocol`]).
    pub protocols: [u64; Protocol::COUNT],
}

/// Adds `b` into `a`, element by element.
fn add_each<const N: usize>(a: &mut [u64; N], b: &[u64; N]) {
    for (a, b) in a.iter_mut().zip(b) {
        *a += b;
    }
}

impl Counters for Traffic {
    fn merge(&mut self, o: &Self) {
        self.requests += o.requests;
        self.bytes = self.bytes.saturating_add(o.bytes);
        add_each(&mut self.classes, &o.classes);
        self.on_campus += o.on_campus;
        self.latency.merge(&o.latency);
        self.bot_requests += o.bot_requests;
        add_each(&mut self.methods, &o.methods);
        add_each(&mut self.protocols, &o.protocols);
    }
}

/// Counters of a `web_pages` row.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Page {
    /// Requests.
    pub requests: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Responses with status ≥ 400.
    pub errors: u64,
    /// Responses with status 404, the page's "not found".
    pub not_found: u64,
    /// Requests by status class 1xx..5xx (index 0 = 1xx).
    pub classes: [u64; 5],
    /// Requests from crawlers and scripted clients.
    pub bot_requests: u64,
    /// Response times, where the format logs them.
    pub latency: Sketch,
}

impl Counters for Page {
    fn merge(&mut self, o: &Self) {
        self.requests += o.requests;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.errors += o.errors;
        self.not_found += o.not_found;
        self.bot_requests += o.bot_requests;
        add_each(&mut self.classes, &o.classes);
        self.latency.merge(&o.latency);
    }
}

/// The index of a status's class in `classes` counters (1xx → 0), if it
/// has one (0, "no response", has none).
fn status_class(status: u16) -> Option<usize> {
    usize::from(status / 100).checked_sub(1).filter(|&c| c < 5)
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
    versions: Group<(Day, Str, Str), Count>,
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
    /// of inactivity, with UTC days.
    pub fn new(session_gap: i64) -> Self {
        WebAggregate::with_calendar(session_gap, Calendar::UTC)
    }

    /// An empty aggregate whose days, hours and sessions follow `calendar`.
    pub fn with_calendar(session_gap: i64, calendar: Calendar) -> Self {
        WebAggregate {
            traffic: Group::default(),
            campus_visitors: Group::default(),
            pages: Group::default(),
            status: Group::default(),
            referrers: Group::default(),
            clients: Group::default(),
            search: Group::default(),
            versions: Group::default(),
            sessions: Sessions::with_calendar(session_gap, calendar),
            networks: Vec::new(),
        }
    }

    /// This (empty) aggregate, counting each visitor's requests per row
    /// as the differential-privacy mode needs ([`Group::counting`]); the
    /// k mode does without, which saves memory.
    pub fn counting(self) -> Self {
        WebAggregate {
            traffic: Group::counting(),
            campus_visitors: Group::counting(),
            pages: Group::counting(),
            status: Group::counting(),
            referrers: Group::counting(),
            clients: Group::counting(),
            search: Group::counting(),
            versions: Group::counting(),
            ..self
        }
    }

    /// Whether this aggregate counts requests per visitor and row.
    pub fn is_counting(&self) -> bool {
        self.pages.is_counting()
    }

    /// Adds one veiled record.
    pub fn add(&mut self, r: VeiledRecord) {
        let (site, path, referrer) = (r.site, r.path, r.referrer_host);
        let cal = self.sessions.calendar();
        let (day, hour) = cal.day_and_hour(r.time);
        // Every row below has the site in its key, so the visitor's id per
        // (site, pseudonym) from the session table counts exactly.
        // A page view is a person reading a page: what bounce and pages
        // per session are about (assets and crawlers would drown them).
        let page_view = r.class == RequestClass::Page && !r.is_bot;
        let visitor = self
            .sessions
            .add(site, r.visitor.value(), r.time, page_view);
        if let Some(n) = r.network
            && visitor as usize == self.networks.len()
        {
            self.networks.push(n.value());
        }

        let (row, t) = self.traffic.row((hour, site));
        t.requests += 1;
        t.bytes = t.bytes.saturating_add(r.bytes);
        if let Some(c) = status_class(r.status).and_then(|c| t.classes.get_mut(c)) {
            *c += 1;
        }
        t.on_campus += u64::from(r.on_campus);
        t.bot_requests += u64::from(r.is_bot);
        t.methods[r.method.index()] += 1;
        if let Some(p) = r.protocol.index() {
            t.protocols[p] += 1;
        }
        // Both the hour's and the page's sketch take the value.
        let latency = r.duration_us.map(Sketch::bucket);
        if let Some(b) = latency {
            t.latency.add_bucket(b);
        }
        self.traffic.visit(row, visitor);
        if r.on_campus {
            let (row, c) = self.campus_visitors.row((hour, site));
            c.0 += 1;
            self.campus_visitors.visit(row, visitor);
        }

        let (row, p) = self.pages.row((day, site, path));
        p.requests += 1;
        p.bytes = p.bytes.saturating_add(r.bytes);
        p.errors += u64::from(r.status >= 400);
        p.not_found += u64::from(r.status == 404);
        p.bot_requests += u64::from(r.is_bot);
        if let Some(c) = status_class(r.status).and_then(|c| p.classes.get_mut(c)) {
            *c += 1;
        }
        if let Some(b) = latency {
            p.latency.add_bucket(b);
        }
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

        if let Some(version) = r.browser_version {
            let (row, c) = self.versions.row((day, site, version));
            c.0 += 1;
            self.versions.visit(row, visitor);
        }
    }

    /// Readies what adding `r` will touch first, for an
    /// [`WebAggregate::add`] of it after the record before it: its
    /// visitor's slot in the session table (see [`Sessions::prefetch`]).
    pub fn prefetch(&self, r: &VeiledRecord) {
        self.sessions.prefetch(r.site, r.visitor.value());
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
        self,
        others: Vec<(WebAggregate, Renumbering)>,
        mut labels: Labels,
        policy: &Policy,
        emit: impl Fn(Result<Table, String>) -> R + Sync,
    ) -> Vec<R> {
        let suppression = &policy.suppression;
        let classes = RequestClasses::new(&policy.classes);
        let (this, parts, maps) = self.absorb(others);
        let WebAggregate {
            traffic,
            campus_visitors,
            pages,
            status,
            referrers,
            clients,
            search,
            versions,
            sessions,
            networks,
        } = this;
        let other = labels.other();
        let cal = sessions.calendar();
        let other_class = labels.other_class();
        let other_site = labels.other_site();
        let (sites, person) = Partitions::decide(&sessions, suppression.k, other_site);
        let networks = network_ids(&networks, person.as_deref());
        let parts_of = Partitions {
            sites: &sites,
            person: person.as_deref(),
            networks: networks.map(|n| (n, suppression.k_networks)),
            calendar: cal,
        };
        // Tables the policy asks for exact skip every partition decision.
        let all = Admission::all();
        let exact = Partitions {
            sites: &all,
            person: parts_of.person,
            networks: None,
            calendar: cal,
        };
        let (labels, maps, emit) = (&labels, maps.as_slice(), &emit);
        let partitions = |spec: &TableSpec| match suppression.is_internal(spec.name) {
            true => &exact,
            false => &parts_of,
        };
        let k_of = |spec: &TableSpec| suppression.k_for(spec.name);
        let emit =
            |table: Result<Table, String>, s: Disclosed| emit(table.map(|t| t.with_suppression(s)));
        let text = |id: Str| labels.get(id);
        let site_label =
            |ids: &Renumbering, (d, site, l): (Day, Str, Str)| (d, ids.label(site), ids.label(l));
        let by_label_of = |spec: &TableSpec| (k_of(spec), labels, other);
        let mut slots: [Option<R>; 8] = std::array::from_fn(|_| None);
        let [
            traffic_slot,
            pages_slot,
            status_slot,
            referrers_slot,
            clients_slot,
            search_slot,
            sessions_slot,
            versions_slot,
        ] = &mut slots;
        let Others {
            traffic: other_traffic,
            campus_visitors: other_campus,
            pages: other_pages,
            status: other_status,
            referrers: other_referrers,
            clients: other_clients,
            search: other_search,
            versions: other_versions,
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
                *referrers_slot = Some(emit(label_count_table(spec, &rows, labels), s));
            });
            scope.spawn(move |_| {
                let spec = &schema::WEB_SESSIONS;
                let rows = partitions(spec).by_day(session_rows(&sessions, parts_of.person));
                // Freeing every visitor's sessions takes a while: here,
                // not after the last table.
                drop(sessions);
                let (rows, s) = fold_day(rows, k_of(spec), |k| *k, |k| (k.0, text(k.1)));
                *sessions_slot = Some(emit(sessions_table(&rows, labels, k_of(spec)), s));
            });
            scope.spawn(|_| {
                let spec = &schema::WEB_TRAFFIC;
                let hour_site = |ids: &Renumbering, (h, site): (i64, Str)| (h, ids.label(site));
                let campus = gather(campus_visitors, other_campus, maps, hour_site);
                let campus = partitions(spec).by_hour(campus.into_rows(parts_of.person));
                let group = gather(traffic, other_traffic, maps, hour_site);
                let a = partitions(spec).by_hour(group.into_rows(parts_of.person));
                let k = k_of(spec);
                let (rows, plans, s) = a.rows.buckets(k, |&(h, site)| (cal.day(h), site), |k| k.0);
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
                *traffic_slot = Some(emit(traffic_table(&rows, labels), s));
            });
            scope.spawn(|_| {
                let spec = &schema::WEB_CLIENTS;
                let group = gather(clients, other_clients, maps, |ids, (d, site, c)| {
                    (d, ids.label(site), ids.class(c))
                });
                let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
                let class = |id: ClassId| labels.class_of(id);
                let (rows, s) = fold_day(
                    rows,
                    k_of(spec),
                    |k| (k.0, k.1, other_class),
                    |k| (k.0, text(k.1), class(k.2)),
                );
                *clients_slot = Some(emit(clients_table(&rows, labels), s));
            });
            scope.spawn(|_| {
                let spec = &schema::WEB_SEARCH_TERMS;
                let group = gather(search, other_search, maps, site_label);
                let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
                let (rows, s) = by_label(rows, by_label_of(spec));
                *search_slot = Some(emit(label_count_table(spec, &rows, labels), s));
            });
            scope.spawn(|_| {
                let spec = &schema::WEB_BROWSER_VERSIONS;
                let group = gather(versions, other_versions, maps, site_label);
                let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
                let (rows, s) = by_label(rows, by_label_of(spec));
                *versions_slot = Some(emit(versions_table(&rows, labels), s));
            });
            scope.spawn(|_| {
                let spec = &schema::WEB_STATUS;
                let group = gather(status, other_status, maps, |ids, (d, site, st)| {
                    (d, ids.label(site), st)
                });
                let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
                let (rows, s) = fold_day(
                    rows,
                    k_of(spec),
                    |k| (k.0, k.1, OTHER_STATUS),
                    |k| (k.0, text(k.1), k.2),
                );
                *status_slot = Some(emit(status_table(&rows, labels), s));
            });
            let spec = &schema::WEB_PAGES;
            let group = gather(pages, other_pages, maps, site_label);
            let rows = partitions(spec).by_day(group.into_rows(parts_of.person));
            let (rows, s) = by_label(rows, by_label_of(spec));
            *pages_slot = Some(emit(pages_table(&rows, labels, &classes), s));
        });
        slots.into_iter().flatten().collect()
    }
}

impl WebAggregate {
    /// Merges the other workers' visitors into this aggregate (each
    /// group needs them in this worker's numbering) and sets their groups
    /// aside, with each worker's label renumbering and visitor map, for
    /// [`gather`].
    fn absorb(
        mut self,
        others: Vec<(WebAggregate, Renumbering)>,
    ) -> (WebAggregate, Others, Vec<(Renumbering, Vec<VisitorId>)>) {
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
            parts.versions.push(other.versions);
            maps.push((ids, visitors));
        }
        (self, parts, maps)
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
    versions: Vec<Group<(Day, Str, Str), Count>>,
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
