//! Accumulators for the web tables.
//!
//! One [`WebAggregate`] per worker, keyed by the [`LabelId`]s of that
//! worker's [`Labels`]. [`WebAggregate::into_tables`] merges the other
//! workers' aggregates in, renumbering their labels and visitors, and
//! builds the tables, rows sorted by their text keys so output order never
//! depends on thread timing.

use std::collections::HashMap;
use std::hash::Hash;

use foldhash::fast::RandomState;

use crate::output::schema::{self, TableSpec};
use crate::output::table::{Suppressed, Table, Values};
use crate::privacy::policy::{SessionPolicy, SuppressionPolicy};
use crate::privacy::{ClassId, LabelId, Labels, Renumbering, VeiledRecord};
use crate::time;

use super::columns::{days, float64, int64, sorted, utf8};
use super::group::{Count, Counters, Group, Row, VisitorId};
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

/// Key text of the row that folds small groups.
pub const OTHER: &str = "(other)";

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
        }
    }

    /// Adds one veiled record.
    pub fn add(&mut self, r: VeiledRecord) {
        let (site, path, referrer) = (r.site, r.path, r.referrer_host);
        let day = time::date32(r.time);
        // Every row below has the site in its key, so the visitor's id per
        // (site, pseudonym) from the session table counts exactly.
        let visitor = self.sessions.add(site, r.visitor.value(), r.time);

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

        self.status.row((day, site, r.status)).1.0 += 1;

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
    /// Rows are sorted by their text keys, so output order never depends
    /// on thread timing, and small-group suppression is applied to the
    /// tables keyed by people-derived categories (paths, referrers, client
    /// classes).
    ///
    /// Only the visitors are merged up front, since every group needs the
    /// others' visitor ids in this worker's numbering. After that, each
    /// table is merged, counted, suppressed, sorted and written on its own
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
        } = self;
        let other = labels.other();
        let other_class = labels.other_class();
        let (labels, maps, emit) = (&labels, maps.as_slice(), &emit);
        let k_of = |spec: &TableSpec| suppression.k_for(spec.name);
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
                let group = gather(referrers, other_referrers, maps, site_label);
                let (rows, s) = by_label(group, by_label_of(&schema::WEB_REFERRERS));
                let table = label_count_table(&schema::WEB_REFERRERS, &rows, labels);
                *referrers_slot = Some(emit(table.map(|t| t.with_suppression(s))));
            });
            scope.spawn(move |_| {
                let rows = sorted(session_rows(&sessions), |k| (k.0, text(k.1)));
                // Freeing every visitor's sessions takes a while: here,
                // not after the last table.
                drop(sessions);
                *sessions_slot = Some(emit(sessions_table(&rows, labels)));
            });
            scope.spawn(|_| {
                let hour_site = |ids: &Renumbering, (h, site): (i64, Str)| (h, ids.label(site));
                let campus: HashMap<(i64, Str), u64, RandomState> =
                    gather(campus_visitors, other_campus, maps, hour_site)
                        .finish()
                        .into_iter()
                        .map(|(k, _, d)| (k, d))
                        .collect();
                let group = gather(traffic, other_traffic, maps, hour_site);
                let rows = sorted(group.finish(), |k| (k.0, text(k.1)));
                *traffic_slot = Some(emit(traffic_table(&rows, &campus, labels)));
            });
            scope.spawn(|_| {
                let group = gather(clients, other_clients, maps, |ids, (d, site, c)| {
                    (d, ids.label(site), ids.class(c))
                });
                let spec = &schema::WEB_CLIENTS;
                let (rows, s) =
                    group.suppress(k_of(spec), |k| (k.0, k.1), |k| (k.0, k.1, other_class));
                let class = |id: ClassId| labels.class_of(id);
                let rows = sorted(rows, |k| (k.0, text(k.1), class(k.2)));
                *clients_slot = Some(emit(
                    clients_table(&rows, labels).map(|t| t.with_suppression(s)),
                ));
            });
            scope.spawn(|_| {
                let group = gather(search, other_search, maps, site_label);
                let (rows, s) = by_label(group, by_label_of(&schema::WEB_SEARCH_TERMS));
                let table = label_count_table(&schema::WEB_SEARCH_TERMS, &rows, labels);
                *search_slot = Some(emit(table.map(|t| t.with_suppression(s))));
            });
            scope.spawn(|_| {
                let group = gather(status, other_status, maps, |ids, (d, site, st)| {
                    (d, ids.label(site), st)
                });
                let rows = sorted(group.finish(), |k| (k.0, text(k.1), k.2));
                *status_slot = Some(emit(status_table(&rows, labels)));
            });
            let group = gather(pages, other_pages, maps, site_label);
            let (rows, s) = by_label(group, by_label_of(&schema::WEB_PAGES));
            *pages_slot = Some(emit(
                pages_table(&rows, labels).map(|t| t.with_suppression(s)),
            ));
        });
        slots.into_iter().flatten().collect()
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

/// Rows of a table keyed by day, site and a label, with rows of fewer than
/// `k` visitors folded into `other`, sorted by their text.
fn by_label<C: Counters>(
    group: Group<(Day, Str, Str), C>,
    (k, labels, other): (u64, &Labels, Str),
) -> (LabelRows<C>, Suppressed) {
    let (rows, s) = group.suppress(k, |k| (k.0, k.1), |k| (k.0, k.1, other));
    (sorted(rows, |k| (k.0, labels.get(k.1), labels.get(k.2))), s)
}

fn traffic_table(
    rows: &[Row<(i64, Str), Traffic>],
    campus: &HashMap<(i64, Str), u64, RandomState>,
    labels: &Labels,
) -> Result<Table, String> {
    let hours = Values::Timestamp(
        rows.iter()
            .map(|r| r.0.0.saturating_mul(1_000_000))
            .collect(),
    );
    Table::new(
        &schema::WEB_TRAFFIC,
        vec![
            hours,
            utf8(rows, |r| labels.get(r.0.1)),
            int64(rows, |r| r.1.requests),
            int64(rows, |r| r.1.bytes),
            int64(rows, |r| r.2),
            int64(rows, |r| r.1.classes[1]),
            int64(rows, |r| r.1.classes[2]),
            int64(rows, |r| r.1.classes[3]),
            int64(rows, |r| r.1.classes[4]),
            int64(rows, |r| r.1.on_campus),
            int64(rows, |r| campus.get(&r.0).copied().unwrap_or(0)),
            latency(rows, 0.50),
            latency(rows, 0.95),
            latency(rows, 0.99),
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
            Values::Int32(rows.iter().map(|r| i32::from(r.0.2)).collect()),
            int64(rows, |r| r.1.0),
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

/// Sessions grouped by the day of their first request and site, with the
/// number of distinct visitors per group.
fn session_rows(sessions: &Sessions<Str>) -> Vec<Row<(Day, Str), DaySessions>> {
    let mut groups: HashMap<(Day, Str), (DaySessions, u64), RandomState> = HashMap::default();
    for (site, _, list) in sessions.visitors() {
        // One visitor's sessions come sorted by time, so the days they
        // start on come in order: the visitor counts once per (day, site)
        // without a set of visitors.
        let mut counted = None;
        for s in list.iter() {
            let day = time::date32(s.first);
            let (g, visitors) = groups.entry((day, site)).or_default();
            g.sessions += 1;
            g.requests += s.requests;
            g.single += u64::from(s.requests == 1);
            g.durations.push(s.last - s.first);
            if counted != Some(day) {
                *visitors += 1;
                counted = Some(day);
            }
        }
    }
    groups.into_iter().map(|(k, (g, v))| (k, g, v)).collect()
}

/// A latency quantile column in milliseconds, null for rows without times.
fn latency(rows: &[Row<(i64, Str), Traffic>], q: f64) -> Values {
    Values::OptFloat64(
        rows.iter()
            .map(|r| r.1.latency.quantile(q).map(|us| us / 1000.0))
            .collect(),
    )
}
