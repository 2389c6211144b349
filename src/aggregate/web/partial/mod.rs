//! A web aggregate as private partials: per day, every row's additive
//! measures and its distinct visitor pseudonyms (with each one's requests
//! to the row when the aggregate counts them), and every visitor's
//! sessions, with text in place of label ids.
//!
//! This is the aggregate state before disclosure control, so that nights
//! of a rotating log merge exactly: distinct visitors of a row are the
//! union of the nights' pseudonyms, sessions coalesce across the nights'
//! intervals, counters add. It holds pseudonyms, so it is personal data
//! and lives only in the private state (`crate::state`), never in
//! published outputs.
//!
//! Export and import are the whole interface: [`WebAggregate::export`]
//! splits an aggregate by day, [`WebAggregate::import`] adds a day's
//! partial into an aggregate (which is a merge when it already holds that
//! day). [`DayPartial::canonical`] sorts a partial so that an aggregate
//! built from it does not depend on how the data arrived: rows are
//! inserted in one order, so disclosure control's tie-breaks (which
//! follow row order) give the same tables whether a day came in one run
//! or seven.
//!
//! Per-visitor request counts travel only where an aggregate counts them
//! (the differential-privacy mode, [`WebAggregate::counting`]): the k mode
//! needs distinct visitors only, and its partials stay exactly what they
//! were. A counted partial imported into a counting aggregate adds each
//! visitor's requests to the ones already there, so nights merge exactly
//! for counts too; imported into a plain aggregate, counts are dropped.

use std::collections::{BTreeMap, HashMap};

use foldhash::fast::RandomState;

use crate::privacy::agent::ClientClass;
use crate::privacy::request::{Method, Protocol};
use crate::privacy::{ClassId, Labels, Renumbering};
use crate::time::{self, Calendar};

use super::super::group::{Count, Counters, Group, VisitorId};
use super::super::quantiles::Sketch;
use super::super::sessions::Interval;
use super::{Page, Str, Traffic, WebAggregate};

/// Which web group a partial row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PartialTable {
    /// Hourly traffic (`web_traffic`).
    Traffic,
    /// Hourly on-campus visitors (the campus split of `web_traffic`).
    Campus,
    /// Pages per day (`web_pages`).
    Pages,
    /// Status codes per day (`web_status`).
    Status,
    /// Referring hosts per day (`web_referrers`).
    Referrers,
    /// Client classes per day (`web_clients`).
    Clients,
    /// Search terms per day (`web_search_terms`).
    Search,
    /// Browser families with their major versions per day
    /// (`web_browser_versions`).
    Versions,
}

impl PartialTable {
    /// Every group, in the order partials list them.
    pub const ALL: [PartialTable; 8] = [
        PartialTable::Traffic,
        PartialTable::Campus,
        PartialTable::Pages,
        PartialTable::Status,
        PartialTable::Referrers,
        PartialTable::Clients,
        PartialTable::Search,
        PartialTable::Versions,
    ];

    /// The name stored in the partial's `table` column.
    pub fn as_str(self) -> &'static str {
        match self {
            PartialTable::Traffic => "traffic",
            PartialTable::Campus => "campus",
            PartialTable::Pages => "pages",
            PartialTable::Status => "status",
            PartialTable::Referrers => "referrers",
            PartialTable::Clients => "clients",
            PartialTable::Search => "search",
            PartialTable::Versions => "versions",
        }
    }

    /// The group of a stored name.
    pub fn from_name(name: &str) -> Option<PartialTable> {
        PartialTable::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// A row's additive measures; each group uses the ones it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measures {
    /// Requests.
    pub requests: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Responses with status ≥ 400 (pages).
    pub errors: u64,
    /// Responses with status 404 (pages).
    pub not_found: u64,
    /// Requests from crawlers and scripted clients (traffic, pages).
    pub bot_requests: u64,
    /// Requests by status class 1xx..5xx (traffic, pages).
    pub classes: [u64; 5],
    /// Requests from campus networks (traffic).
    pub on_campus: u64,
    /// Response times (traffic, pages).
    pub latency: Sketch,
    /// Requests by method family: GET, POST, HEAD, other (traffic).
    pub methods: [u64; Method::COUNT],
    /// Requests by protocol family: HTTP/1, 2, 3 (traffic).
    pub protocols: [u64; Protocol::COUNT],
}

/// One row of one group, before disclosure control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialRow {
    /// The group.
    pub table: PartialTable,
    /// The instant the row's hour starts (traffic, campus), or its day's
    /// number times 86,400 (the others), Unix seconds.
    pub time: i64,
    /// The site.
    pub site: String,
    /// The path, referring host or search term of the row, if its group
    /// has one.
    pub label: Option<String>,
    /// The status code (status).
    pub status: Option<u16>,
    /// The client class (clients).
    pub class: Option<ClientClass>,
    /// Additive measures.
    pub measures: Measures,
    /// Distinct visitor pseudonyms of the row, ascending.
    pub visitors: Vec<u64>,
    /// Each visitor's requests to the row, parallel to `visitors`, when
    /// the aggregate counted them; empty otherwise (the k mode).
    pub requests: Vec<u32>,
}

impl PartialRow {
    /// Sorts the visitors ascending, their requests with them.
    fn sort_visitors(&mut self) {
        // Without one count per visitor (a plain partial) there is
        // nothing to carry along.
        if self.requests.len() != self.visitors.len() {
            self.visitors.sort_unstable();
            return;
        }
        // Most rows have a visitor or two, and rows mostly come from their
        // groups in visitor order: pairing them up for a sort cost
        // allocations per row for nothing (visible in a DP run's profile).
        if self.visitors.windows(2).all(|w| w[0] < w[1]) {
            return;
        }
        let mut both: Vec<(u64, u32)> = self
            .visitors
            .iter()
            .copied()
            .zip(self.requests.iter().copied())
            .collect();
        both.sort_unstable();
        let slots = self.visitors.iter_mut().zip(&mut self.requests);
        for ((v, r), (to_v, to_r)) in both.into_iter().zip(slots) {
            (*to_v, *to_r) = (v, r);
        }
    }

    /// What canonical order sorts rows by: group, then key.
    fn sort_key(
        &self,
    ) -> (
        PartialTable,
        i64,
        &str,
        Option<&str>,
        Option<u16>,
        Option<ClientClass>,
    ) {
        (
            self.table,
            self.time,
            &self.site,
            self.label.as_deref(),
            self.status,
            self.class,
        )
    }
}

/// One session of one visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRow<S> {
    /// The site.
    pub site: S,
    /// The visitor's pseudonym.
    pub visitor: u64,
    /// The visitor's network pseudonym, when the policy's network
    /// threshold is on.
    pub network: Option<u64>,
    /// The session.
    pub interval: Interval,
}

/// One day of a web aggregate, in the private partial form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayPartial {
    /// Days since 1970-01-01 (UTC).
    pub day: i32,
    /// Every group's rows of the day.
    pub rows: Vec<PartialRow>,
    /// Every session of the day.
    pub sessions: Vec<SessionRow<String>>,
}

impl DayPartial {
    /// An empty partial of `day`.
    pub fn new(day: i32) -> DayPartial {
        DayPartial {
            day,
            ..DayPartial::default()
        }
    }

    /// Sorts rows and sessions into the one order partials are stored and
    /// imported in.
    pub fn canonical(mut self) -> DayPartial {
        self.rows
            .sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        for r in &mut self.rows {
            r.sort_visitors();
        }
        self.sessions.sort_by(|a, b| {
            (&a.site, a.visitor, a.interval.first).cmp(&(&b.site, b.visitor, b.interval.first))
        });
        self
    }

    /// Whether some row carries its visitors' requests (the partial of a
    /// counting aggregate).
    pub fn is_counted(&self) -> bool {
        self.rows.iter().any(|r| !r.requests.is_empty())
    }

    /// The rows of each group, in order.
    pub(super) fn rows_by_table(&self) -> BTreeMap<PartialTable, Vec<&PartialRow>> {
        let mut by_table: BTreeMap<PartialTable, Vec<&PartialRow>> = BTreeMap::new();
        for r in &self.rows {
            by_table.entry(r.table).or_default().push(r);
        }
        by_table
    }

    /// Requests of the day (from the traffic rows).
    pub fn requests(&self) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.table == PartialTable::Traffic)
            .map(|r| r.measures.requests)
            .sum()
    }
}

/// Counters that round-trip through [`Measures`].
trait Stored: Counters {
    fn store(&self) -> Measures;
    fn load(m: &Measures) -> Self;
}

impl Stored for Traffic {
    fn store(&self) -> Measures {
        Measures {
            requests: self.requests,
            bytes: self.bytes,
            classes: self.classes,
            on_campus: self.on_campus,
            latency: self.latency.clone(),
            bot_requests: self.bot_requests,
            methods: self.methods,
            protocols: self.protocols,
            ..Measures::default()
        }
    }

    fn load(m: &Measures) -> Self {
        Traffic {
            requests: m.requests,
            bytes: m.bytes,
            classes: m.classes,
            on_campus: m.on_campus,
            latency: m.latency.clone(),
            bot_requests: m.bot_requests,
            methods: m.methods,
            protocols: m.protocols,
        }
    }
}

impl Stored for Page {
    fn store(&self) -> Measures {
        Measures {
            requests: self.requests,
            bytes: self.bytes,
            errors: self.errors,
            not_found: self.not_found,
            classes: self.classes,
            bot_requests: self.bot_requests,
            latency: self.latency.clone(),
            ..Measures::default()
        }
    }

    fn load(m: &Measures) -> Self {
        Page {
            requests: m.requests,
            bytes: m.bytes,
            errors: m.errors,
            not_found: m.not_found,
            classes: m.classes,
            bot_requests: m.bot_requests,
            latency: m.latency.clone(),
        }
    }
}

impl Stored for Count {
    fn store(&self) -> Measures {
        Measures {
            requests: self.0,
            ..Measures::default()
        }
    }

    fn load(m: &Measures) -> Self {
        Count(m.requests)
    }
}

/// What a row's key says besides its group.
struct KeyParts {
    time: i64,
    site: Str,
    label: Option<Str>,
    status: Option<u16>,
    class: Option<ClassId>,
}

/// A group's key, taken apart for storing and put together on import.
trait StoredKey: Copy + std::hash::Hash + Eq {
    fn parts(self) -> KeyParts;
    fn from_parts(p: &KeyParts) -> Option<Self>;
}

fn day_start(day: i32) -> i64 {
    i64::from(day) * time::DAY
}

impl StoredKey for (i64, Str) {
    fn parts(self) -> KeyParts {
        KeyParts {
            time: self.0,
            site: self.1,
            label: None,
            status: None,
            class: None,
        }
    }

    fn from_parts(p: &KeyParts) -> Option<Self> {
        Some((p.time, p.site))
    }
}

impl StoredKey for (i32, Str, Str) {
    fn parts(self) -> KeyParts {
        KeyParts {
            time: day_start(self.0),
            site: self.1,
            label: Some(self.2),
            status: None,
            class: None,
        }
    }

    fn from_parts(p: &KeyParts) -> Option<Self> {
        Some((time::date32(p.time), p.site, p.label?))
    }
}

impl StoredKey for (i32, Str, u16) {
    fn parts(self) -> KeyParts {
        KeyParts {
            time: day_start(self.0),
            site: self.1,
            label: None,
            status: Some(self.2),
            class: None,
        }
    }

    fn from_parts(p: &KeyParts) -> Option<Self> {
        Some((time::date32(p.time), p.site, p.status?))
    }
}

impl StoredKey for (i32, Str, ClassId) {
    fn parts(self) -> KeyParts {
        KeyParts {
            time: day_start(self.0),
            site: self.1,
            label: None,
            status: None,
            class: Some(self.2),
        }
    }

    fn from_parts(p: &KeyParts) -> Option<Self> {
        Some((time::date32(p.time), p.site, p.class?))
    }
}

/// Records a visitor's network pseudonym when the visitor is new (its id
/// the next one), as `WebAggregate::add` does: `networks` is indexed by
/// visitor id.
pub(super) fn note_network(networks: &mut Vec<u64>, id: VisitorId, network: Option<u64>) {
    if id as usize == networks.len()
        && let Some(n) = network
    {
        networks.push(n);
    }
}

/// A row's visitor ids as pseudonyms (`pseudonyms` indexed by id), with
/// their requests beside them when the group counted them (`counts`
/// parallel to `visitors`).
fn pseudonyms_of(
    visitors: &[VisitorId],
    counts: Option<&[u32]>,
    pseudonyms: &[u64],
) -> (Vec<u64>, Vec<u32>) {
    let mut out = (Vec::with_capacity(visitors.len()), Vec::new());
    for (i, &v) in visitors.iter().enumerate() {
        // An id without a pseudonym has no session, so no partial could
        // name it: left out, with its count.
        let Some(&p) = pseudonyms.get(v as usize) else {
            continue;
        };
        out.0.push(p);
        if let Some(c) = counts {
            out.1.push(c.get(i).copied().unwrap_or(1));
        }
    }
    out
}

/// Exports one group's rows into the days' partials.
fn export_group<K: StoredKey, C: Stored>(
    group: &mut Group<K, C>,
    table: PartialTable,
    (labels, ids): (&Labels, &Renumbering),
    (pseudonyms, cal): (&[u64], Calendar),
    days: &mut BTreeMap<i32, DayPartial>,
) {
    group.for_each_row_counted(|&key, counters, visitors, counts| {
        let p = key.parts();
        // Hour rows hold the instant their hour starts, whose day is the
        // calendar's; day rows hold their day's number.
        let day = match table {
            PartialTable::Traffic | PartialTable::Campus => cal.day(p.time),
            _ => time::date32(p.time),
        };
        let (visitors, requests) = pseudonyms_of(visitors, counts, pseudonyms);
        let row = PartialRow {
            table,
            time: p.time,
            site: labels.get(ids.label(p.site)).to_string(),
            label: p.label.map(|l| labels.get(ids.label(l)).to_string()),
            status: p.status,
            class: p.class.map(|c| labels.class_of(ids.class(c))),
            measures: counters.store(),
            visitors,
            requests,
        };
        days.entry(day)
            .or_insert_with(|| DayPartial::new(day))
            .rows
            .push(row);
    });
}

/// Imports rows of one group into it.
fn import_group<K: StoredKey, C: Stored>(
    group: &mut Group<K, C>,
    rows: &[&PartialRow],
    labels: &mut Labels,
    visitor_id: &HashMap<(Str, u64), VisitorId, RandomState>,
) {
    import_group_at(group, rows, labels, visitor_id, None);
}

/// [`import_group`], every row's time replaced by `at` when given (a
/// period's start, for rows gathered over a period).
fn import_group_at<K: StoredKey, C: Stored>(
    group: &mut Group<K, C>,
    rows: &[&PartialRow],
    labels: &mut Labels,
    visitor_id: &HashMap<(Str, u64), VisitorId, RandomState>,
    at: Option<i64>,
) {
    for r in rows {
        let site = labels.restore(&r.site);
        let parts = KeyParts {
            time: at.unwrap_or(r.time),
            site,
            label: r.label.as_deref().map(|l| labels.restore(l)),
            status: r.status,
            class: r.class.map(|c| labels.restore_class(c)),
        };
        // A row whose group needs a part it lacks was not written by
        // this version: skipped rather than guessed.
        let Some(key) = K::from_parts(&parts) else {
            continue;
        };
        let (row, c) = group.row(key);
        c.merge(&C::load(&r.measures));
        let counting = group.is_counting();
        for (i, v) in r.visitors.iter().enumerate() {
            let Some(&id) = visitor_id.get(&(site, *v)) else {
                continue;
            };
            if counting {
                // A partial of a plain aggregate counted no requests: one
                // each, as the visitor made at least that.
                group.visit_n(row, id, r.requests.get(i).copied().unwrap_or(1));
            } else {
                group.visit(row, id);
            }
        }
    }
}

impl WebAggregate {
    /// This aggregate, split by UTC day into private partials: text for
    /// label ids (its ids renumbered by `ids` into `labels`; an empty
    /// [`Renumbering`] when they already point there), pseudonyms for
    /// visitor ids. Unsorted; see [`DayPartial::canonical`].
    pub fn export(mut self, labels: &Labels, ids: &Renumbering) -> BTreeMap<i32, DayPartial> {
        let mut days = BTreeMap::new();
        let cal = self.sessions.calendar();
        let pseudonyms: Vec<u64> = self.sessions.visitors().map(|(_, v, _)| v).collect();
        for (id, (site, visitor, intervals)) in self.sessions.visitors().enumerate() {
            let network = self.networks.get(id).copied();
            let site = labels.get(ids.label(site));
            for &interval in intervals {
                let day = cal.day(interval.first);
                days.entry(day)
                    .or_insert_with(|| DayPartial::new(day))
                    .sessions
                    .push(SessionRow {
                        site: site.to_string(),
                        visitor,
                        network,
                        interval,
                    });
            }
        }
        let d = &mut days;
        let p = (pseudonyms.as_slice(), cal);
        let labels = (labels, ids);
        export_group(&mut self.traffic, PartialTable::Traffic, labels, p, d);
        export_group(
            &mut self.campus_visitors,
            PartialTable::Campus,
            labels,
            p,
            d,
        );
        export_group(&mut self.pages, PartialTable::Pages, labels, p, d);
        export_group(&mut self.status, PartialTable::Status, labels, p, d);
        export_group(&mut self.referrers, PartialTable::Referrers, labels, p, d);
        export_group(&mut self.clients, PartialTable::Clients, labels, p, d);
        export_group(&mut self.search, PartialTable::Search, labels, p, d);
        export_group(&mut self.versions, PartialTable::Versions, labels, p, d);
        days
    }

    /// This (empty) aggregate, counting when any of `parts` carries its
    /// visitors' requests ([`DayPartial::is_counted`]), so that importing
    /// them keeps the counts; plain otherwise, as the k mode's partials
    /// need.
    pub fn counting_for<'a>(self, parts: impl IntoIterator<Item = &'a DayPartial>) -> Self {
        if parts.into_iter().any(DayPartial::is_counted) {
            self.counting()
        } else {
            self
        }
    }

    /// Adds a day's partial into this aggregate, interning its text into
    /// `labels`: counters add, visitors join their rows, sessions
    /// coalesce with the ones already here. Into a counting aggregate,
    /// each visitor's requests add to the row's.
    pub fn import(&mut self, labels: &mut Labels, part: &DayPartial) {
        let mut visitor_id: HashMap<(Str, u64), VisitorId, RandomState> = HashMap::default();
        // One visitor's sessions arrive together in a canonical partial;
        // gathered here so that any order imports the same.
        let mut sessions: BTreeMap<(Str, u64), (Option<u64>, Vec<Interval>)> = BTreeMap::new();
        for s in &part.sessions {
            let site = labels.restore(&s.site);
            let entry = sessions.entry((site, s.visitor)).or_default();
            entry.0 = entry.0.or(s.network);
            entry.1.push(s.interval);
        }
        for ((site, visitor), (network, mut intervals)) in sessions {
            intervals.sort_by_key(|i| i.first);
            let id = self.sessions.add_intervals(site, visitor, &intervals);
            note_network(&mut self.networks, id, network);
            visitor_id.insert((site, visitor), id);
        }
        for (table, rows) in part.rows_by_table() {
            let v = &visitor_id;
            match table {
                PartialTable::Traffic => import_group(&mut self.traffic, &rows, labels, v),
                PartialTable::Campus => import_group(&mut self.campus_visitors, &rows, labels, v),
                PartialTable::Pages => import_group(&mut self.pages, &rows, labels, v),
                PartialTable::Status => import_group(&mut self.status, &rows, labels, v),
                PartialTable::Referrers => import_group(&mut self.referrers, &rows, labels, v),
                PartialTable::Clients => import_group(&mut self.clients, &rows, labels, v),
                PartialTable::Search => import_group(&mut self.search, &rows, labels, v),
                PartialTable::Versions => import_group(&mut self.versions, &rows, labels, v),
            }
        }
    }
}

mod period;

pub use period::PeriodAggregate;

#[cfg(test)]
mod tests;
