//! Accumulators for the web tables.
//!
//! One [`WebAggregate`] per worker, keyed by the [`LabelId`]s of that
//! worker's [`Labels`]; [`WebAggregate::merge`] folds another worker's
//! aggregate in, renumbering its labels. [`WebAggregate::into_tables`]
//! sorts rows by their text keys, so output order never depends on thread
//! timing.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use crate::output::schema::{self, TableSpec};
use crate::output::table::{Suppressed, Table, Values};
use crate::privacy::policy::{SessionPolicy, SuppressionPolicy};
use crate::privacy::{ClassId, LabelId, Labels, Renumbering, VeiledRecord};
use crate::time;

use super::columns::{days, float64, int64, sorted, utf8};
use super::group::{Count, Counters, Group, Row};
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

    /// Folds `other` into `self`; `ids` maps `other`'s label and class
    /// ids to `self`'s (from [`Labels::absorb`]).
    pub fn merge(&mut self, other: WebAggregate, ids: &Renumbering) {
        let s = |id: Str| ids.label(id);
        let WebAggregate {
            traffic,
            campus_visitors,
            pages,
            status,
            referrers,
            clients,
            search,
            sessions,
        } = other;
        // Visitors first: the groups need their new ids.
        let v = self.sessions.merge(sessions, s);
        let v = v.as_slice();
        // The tables are independent: merge them on every thread, the two
        // largest first and last (see `into_tables`).
        rayon::scope(|scope| {
            scope.spawn(|_| {
                self.pages
                    .merge_mapped(pages, |(d, site, p)| (d, s(site), s(p)), v)
            });
            scope.spawn(|_| {
                self.traffic
                    .merge_mapped(traffic, |(h, site)| (h, s(site)), v)
            });
            scope.spawn(|_| {
                self.campus_visitors
                    .merge_mapped(campus_visitors, |(h, site)| (h, s(site)), v)
            });
            scope.spawn(|_| {
                self.status
                    .merge_mapped(status, |(d, site, st)| (d, s(site), st), v)
            });
            scope.spawn(|_| {
                self.referrers
                    .merge_mapped(referrers, |(d, site, r)| (d, s(site), s(r)), v)
            });
            scope.spawn(|_| {
                self.clients
                    .merge_mapped(clients, |(d, site, c)| (d, s(site), ids.class(c)), v)
            });
            scope.spawn(|_| {
                self.search
                    .merge_mapped(search, |(d, site, t)| (d, s(site), s(t)), v)
            });
        });
    }

    /// The finished tables, rows sorted by their text keys, with
    /// small-group suppression applied to the tables keyed by
    /// people-derived categories (paths, referrers, client classes).
    /// `labels` is the table the aggregate's label ids refer to.
    pub fn into_tables(
        self,
        mut labels: Labels,
        suppression: &SuppressionPolicy,
    ) -> Result<Vec<Table>, String> {
        let other = labels.other();
        let other_class = labels.other_class();
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
        let labels = &labels;
        let text = |id: Str| labels.get(id);
        let class = |id: ClassId| labels.class_of(id);
        let k_of = |spec: &TableSpec| suppression.k_for(spec.name);
        let suppressed = |spec: &TableSpec| (k_of(spec), labels, other);
        // Each table's rows are independent: count, suppress and sort them
        // on every thread. (Every slot is filled before the scope ends.)
        let (mut sessions_rows, mut pages_rows, mut referrers_rows, mut clients_rows) =
            (None, None, None, None);
        let (mut search_rows, mut traffic_rows, mut campus_rows, mut status_rows) =
            (None, None, None, None);
        // The two largest tasks are spawned first and last: another thread
        // steals the oldest task while this one starts on the newest, so
        // both start at once and the small ones fill in around them.
        rayon::scope(|scope| {
            scope.spawn(|_| {
                pages_rows = Some(by_label(pages, suppressed(&schema::WEB_PAGES)));
            });
            scope.spawn(|_| {
                referrers_rows = Some(by_label(referrers, suppressed(&schema::WEB_REFERRERS)));
            });
            scope.spawn(|_| {
                search_rows = Some(by_label(search, suppressed(&schema::WEB_SEARCH_TERMS)));
            });
            scope.spawn(|_| {
                let (rows, s) = clients.suppress(
                    k_of(&schema::WEB_CLIENTS),
                    |k| (k.0, k.1),
                    |k| (k.0, k.1, other_class),
                );
                clients_rows = Some((sorted(rows, |k| (k.0, text(k.1), class(k.2))), s));
            });
            scope.spawn(|_| traffic_rows = Some(sorted(traffic.finish(), |k| (k.0, text(k.1)))));
            scope.spawn(|_| {
                campus_rows = Some(
                    campus_visitors
                        .finish()
                        .into_iter()
                        .map(|(k, _, d)| (k, d))
                        .collect::<HashMap<(i64, Str), u64, RandomState>>(),
                );
            });
            scope.spawn(|_| {
                status_rows = Some(sorted(status.finish(), |k| (k.0, text(k.1), k.2)));
            });
            scope.spawn(|_| {
                sessions_rows = Some(sorted(session_rows(&sessions), |k| (k.0, text(k.1))));
            });
        });
        let (sessions, traffic, campus, status) = (
            sessions_rows.unwrap_or_default(),
            traffic_rows.unwrap_or_default(),
            campus_rows.unwrap_or_default(),
            status_rows.unwrap_or_default(),
        );
        let (pages, pages_s) = pages_rows.unwrap_or_default();
        let (referrers, referrers_s) = referrers_rows.unwrap_or_default();
        let (clients, clients_s) = clients_rows.unwrap_or_default();
        let (search, search_s) = search_rows.unwrap_or_default();

        let hours = Values::Timestamp(
            traffic
                .iter()
                .map(|r| r.0.0.saturating_mul(1_000_000))
                .collect(),
        );
        Ok(vec![
            Table::new(
                &schema::WEB_TRAFFIC,
                vec![
                    hours,
                    utf8(&traffic, |r| text(r.0.1)),
                    int64(&traffic, |r| r.1.requests),
                    int64(&traffic, |r| r.1.bytes),
                    int64(&traffic, |r| r.2),
                    int64(&traffic, |r| r.1.classes[1]),
                    int64(&traffic, |r| r.1.classes[2]),
                    int64(&traffic, |r| r.1.classes[3]),
                    int64(&traffic, |r| r.1.classes[4]),
                    int64(&traffic, |r| r.1.on_campus),
                    int64(&traffic, |r| campus.get(&r.0).copied().unwrap_or(0)),
                    latency(&traffic, 0.50),
                    latency(&traffic, 0.95),
                    latency(&traffic, 0.99),
                ],
            )?,
            Table::new(
                &schema::WEB_PAGES,
                vec![
                    days(&pages, |k| k.0),
                    utf8(&pages, |r| text(r.0.1)),
                    utf8(&pages, |r| text(r.0.2)),
                    int64(&pages, |r| r.1.requests),
                    int64(&pages, |r| r.2),
                    int64(&pages, |r| r.1.bytes),
                    int64(&pages, |r| r.1.errors),
                ],
            )?
            .with_suppression(pages_s),
            Table::new(
                &schema::WEB_STATUS,
                vec![
                    days(&status, |k| k.0),
                    utf8(&status, |r| text(r.0.1)),
                    Values::Int32(status.iter().map(|r| i32::from(r.0.2)).collect()),
                    int64(&status, |r| r.1.0),
                ],
            )?,
            label_count_table(&schema::WEB_REFERRERS, &referrers, labels)?
                .with_suppression(referrers_s),
            Table::new(
                &schema::WEB_CLIENTS,
                vec![
                    days(&clients, |k| k.0),
                    utf8(&clients, |r| text(r.0.1)),
                    utf8(&clients, |r| class(r.0.2).browser),
                    utf8(&clients, |r| class(r.0.2).os),
                    utf8(&clients, |r| class(r.0.2).device),
                    Values::Bool(clients.iter().map(|r| class(r.0.2).is_bot).collect()),
                    int64(&clients, |r| r.1.0),
                    int64(&clients, |r| r.2),
                ],
            )?
            .with_suppression(clients_s),
            label_count_table(&schema::WEB_SEARCH_TERMS, &search, labels)?
                .with_suppression(search_s),
            Table::new(
                &schema::WEB_SESSIONS,
                vec![
                    days(&sessions, |k| k.0),
                    utf8(&sessions, |r| text(r.0.1)),
                    int64(&sessions, |r| r.1.sessions),
                    int64(&sessions, |r| r.2),
                    float64(&sessions, |r| r.1.mean_seconds()),
                    float64(&sessions, |r| r.1.median_seconds()),
                    float64(&sessions, |r| r.1.requests_per_session()),
                    float64(&sessions, |r| r.1.bounce_rate()),
                ],
            )?,
        ])
    }
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
