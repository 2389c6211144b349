//! A week's or a month's web aggregate, built from its days' private
//! partials, and its tables through the same disclosure control as the
//! daily ones.
//!
//! Distinct visitors over a period are exact only when a visitor keeps
//! one pseudonym for the whole period, which the key epoch decides (the
//! caller publishes a grain only under an epoch that spans it). Then the
//! union of the days' pseudonyms per row is the period's distinct count.
//!
//! Each day's rows join the period's rows keyed by the period's first
//! day. Hourly traffic is not wanted at this grain: its rows become one
//! row per site and period (requests, visitors), and the days' sessions
//! are counted into it (a session lies within one day, so the period's
//! sessions are the sum of its days'). Disclosure control decides sites
//! per period from every visitor of the period, which is why each
//! visitor is kept once per period here (in place of their sessions):
//! the daily partition decision, fed this, decides per period.
//!
//! Trade-off: the tables reuse the daily tables' builders and then take
//! the period's declaration, whose columns are the same but for the
//! name of the first; a policy's per-table `k` for a daily table applies
//! to its period forms, but `internal_tables` does not (a period table is
//! always disclosure-controlled).

use std::collections::{BTreeMap, HashMap};

use foldhash::fast::RandomState;

use crate::output::schema::{self, PeriodTables, TableSpec};
use crate::output::table::Table;
use crate::privacy::disclosure::{Counters, Disclosed};
use crate::privacy::policy::Policy;
use crate::privacy::request_class::RequestClasses;
use crate::privacy::{ClassId, Labels};
use crate::time;

use super::super::super::columns::{days, int64, utf8};
use super::super::super::group::{Count, Group, VisitorId};
use super::super::super::sessions::Sessions;
use super::super::partitions::{Partitions, by_label, fold_day, network_ids};
use super::super::tables::{clients_table, label_count_table, pages_table};
use super::super::{Day, Page, Str};
use super::{DayPartial, PartialTable, import_group_at, note_network};

/// Counters of a period's row per site.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct SiteCounts {
    requests: u64,
    sessions: u64,
}

impl Counters for SiteCounts {
    fn merge(&mut self, o: &Self) {
        self.requests += o.requests;
        self.sessions += o.sessions;
    }
}

/// The web rows of one or more periods, keyed by each period's first day.
#[derive(Debug, Clone)]
pub struct PeriodAggregate {
    sites: Group<(Day, Str), SiteCounts>,
    pages: Group<(Day, Str, Str), Page>,
    referrers: Group<(Day, Str, Str), Count>,
    clients: Group<(Day, Str, ClassId), Count>,
    search: Group<(Day, Str, Str), Count>,
    // One entry per visitor and period, at the period's first instant:
    // what the partition decision counts.
    visitors: Sessions<Str>,
    // Each visitor's network pseudonym, by visitor id, where the
    // partials have them.
    networks: Vec<u64>,
}

impl Default for PeriodAggregate {
    fn default() -> Self {
        PeriodAggregate {
            sites: Group::default(),
            pages: Group::default(),
            referrers: Group::default(),
            clients: Group::default(),
            search: Group::default(),
            visitors: Sessions::new(0),
            networks: Vec::new(),
        }
    }
}

impl PeriodAggregate {
    /// An empty period aggregate.
    pub fn new() -> Self {
        PeriodAggregate::default()
    }

    /// Adds a day's partial into the period starting on `start` (days
    /// since 1970-01-01), interning its text into `labels`. Import the
    /// days in order, each in canonical form, for tables that do not
    /// depend on how the data arrived.
    pub fn import(&mut self, labels: &mut Labels, part: &DayPartial, start: i32) {
        let at = i64::from(start) * time::DAY;
        // Per visitor: their network and how many sessions they had.
        let mut seen: BTreeMap<(Str, u64), (Option<u64>, u64)> = BTreeMap::new();
        for s in &part.sessions {
            let site = labels.restore(&s.site);
            let entry = seen.entry((site, s.visitor)).or_default();
            entry.0 = entry.0.or(s.network);
            entry.1 += 1;
        }
        let mut visitor_id: HashMap<(Str, u64), VisitorId, RandomState> = HashMap::default();
        let mut sessions: BTreeMap<Str, u64> = BTreeMap::new();
        for ((site, visitor), (network, n)) in seen {
            let id = self.visitors.add(site, visitor, at, false);
            note_network(&mut self.networks, id, network);
            visitor_id.insert((site, visitor), id);
            *sessions.entry(site).or_default() += n;
        }
        let v = &visitor_id;
        for (table, rows) in part.rows_by_table() {
            match table {
                PartialTable::Traffic => {
                    for r in rows {
                        let site = labels.restore(&r.site);
                        let (row, c) = self.sites.row((start, site));
                        c.requests += r.measures.requests;
                        for p in &r.visitors {
                            if let Some(&id) = v.get(&(site, *p)) {
                                self.sites.visit(row, id);
                            }
                        }
                    }
                }
                PartialTable::Pages => import_group_at(&mut self.pages, &rows, labels, v, Some(at)),
                PartialTable::Referrers => {
                    import_group_at(&mut self.referrers, &rows, labels, v, Some(at));
                }
                PartialTable::Clients => {
                    import_group_at(&mut self.clients, &rows, labels, v, Some(at));
                }
                PartialTable::Search => {
                    import_group_at(&mut self.search, &rows, labels, v, Some(at));
                }
                // Hourly and status rows have no period form.
                // Hourly campus splits, statuses and browser versions have
                // no period tables.
                PartialTable::Campus | PartialTable::Status | PartialTable::Versions => {}
            }
        }
        for (site, n) in sessions {
            self.sites.row((start, site)).1.sessions += n;
        }
    }

    /// Builds the period tables of `tables` through disclosure control,
    /// handing each to `emit`; returns what `emit` returned, in the order
    /// sites, pages, referrers, clients, search terms.
    pub fn into_tables<R>(
        self,
        mut labels: Labels,
        tables: PeriodTables,
        policy: &Policy,
        emit: impl Fn(Result<Table, String>) -> R,
    ) -> Vec<R> {
        let suppression = &policy.suppression;
        let classes = RequestClasses::new(&policy.classes);
        let other = labels.other();
        let other_class = labels.other_class();
        let other_site = labels.other_site();
        let (sites, person) = Partitions::decide(&self.visitors, suppression.k, other_site);
        let networks = network_ids(&self.networks, person.as_deref());
        let parts = Partitions {
            sites: &sites,
            person: person.as_deref(),
            networks: networks.map(|n| (n, suppression.k_networks)),
            // Period rows are keyed by day numbers, already of the report's
            // calendar; the visitors' instants are those days' UTC
            // midnights, so UTC reads them back.
            calendar: self.visitors.calendar(),
        };
        // The daily table's threshold, never the exact one of an internal
        // table: period tables are always for publishing.
        let k = |daily: &TableSpec| {
            let k = suppression.tables.get(daily.name).copied();
            k.unwrap_or(suppression.k)
        };
        let labels = &labels;
        let text = |id: Str| labels.get(id);
        let emit = |table: Result<Table, String>, spec: &'static TableSpec, s: Disclosed| {
            let table = table.and_then(|t| Table::new(spec, t.columns));
            emit(table.map(|t| t.with_suppression(s)))
        };
        let mut out = Vec::with_capacity(5);

        let rows = parts.by_day(self.sites.into_rows(parts.person));
        let (rows, s) = fold_day(rows, k(&schema::WEB_SESSIONS), |k| *k, |k| (k.0, text(k.1)));
        let table = Table::new(
            tables.sites,
            vec![
                days(&rows, |k| k.0),
                utf8(&rows, |r| labels.get(r.0.1)),
                int64(&rows, |r| r.1.requests),
                int64(&rows, |r| r.2),
                int64(&rows, |r| r.1.sessions),
            ],
        );
        out.push(emit(table, tables.sites, s));

        let rows = parts.by_day(self.pages.into_rows(parts.person));
        let (rows, s) = by_label(rows, (k(&schema::WEB_PAGES), labels, other));
        out.push(emit(pages_table(&rows, labels, &classes), tables.pages, s));

        let rows = parts.by_day(self.referrers.into_rows(parts.person));
        let (rows, s) = by_label(rows, (k(&schema::WEB_REFERRERS), labels, other));
        let table = label_count_table(tables.referrers, &rows, labels);
        out.push(emit(table, tables.referrers, s));

        let rows = parts.by_day(self.clients.into_rows(parts.person));
        let class = |id: ClassId| labels.class_of(id);
        let (rows, s) = fold_day(
            rows,
            k(&schema::WEB_CLIENTS),
            |k| (k.0, k.1, other_class),
            |k| (k.0, text(k.1), class(k.2)),
        );
        out.push(emit(clients_table(&rows, labels), tables.clients, s));

        let rows = parts.by_day(self.search.into_rows(parts.person));
        let (rows, s) = by_label(rows, (k(&schema::WEB_SEARCH_TERMS), labels, other));
        let table = label_count_table(tables.search, &rows, labels);
        out.push(emit(table, tables.search, s));
        out
    }
}
