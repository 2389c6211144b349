//! Accumulators for the web tables.
//!
//! One [`WebAggregate`] per chunk borrows its strings from the chunk;
//! [`WebAggregate::into_owned`] detaches it, and [`WebAggregate::merge`]
//! folds detached aggregates together. [`WebAggregate::into_tables`] sorts
//! rows by their text keys, so output order never depends on thread timing.

use crate::output::schema;
use crate::output::table::{Table, Values};
use crate::privacy::VeiledRecord;
use crate::privacy::agent::ClientClass;
use crate::time;

use super::group::{Count, Counters, Group, Row};
use super::intern::Interner;

/// Counters of a `web_traffic` row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    /// Requests.
    pub requests: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Requests by status class 1xx..5xx (index 0 = 1xx).
    pub classes: [u64; 5],
}

impl Counters for Traffic {
    fn merge(&mut self, o: &Self) {
        self.requests += o.requests;
        self.bytes += o.bytes;
        for (a, b) in self.classes.iter_mut().zip(o.classes) {
            *a += b;
        }
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
        self.bytes += o.bytes;
        self.errors += o.errors;
    }
}

type Day = i32;
type Str = u32;

/// All web accumulators of one chunk, worker or run.
#[derive(Debug, Default, Clone)]
pub struct WebAggregate<'a> {
    strings: Interner<'a>,
    traffic: Group<(i64, Str), Traffic>,
    pages: Group<(Day, Str, Str), Page>,
    status: Group<(Day, Str, u16), Count>,
    referrers: Group<(Day, Str, Str), Count>,
    clients: Group<(Day, Str, ClientClass), Count>,
}

fn saturating_day(unix: i64) -> Day {
    time::day_of(unix).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as Day
}

impl<'a> WebAggregate<'a> {
    /// Adds one veiled record.
    pub fn add(&mut self, r: VeiledRecord<'a>) {
        let site = self.strings.intern(r.site.into_cow());
        let path = self.strings.intern(r.path.into_cow());
        let referrer = self.strings.intern(r.referrer_host.into_cow());
        let day = saturating_day(r.time);
        let visitor = r.visitor;

        let (row, t) = self.traffic.row((time::hour_of(r.time), site));
        t.requests += 1;
        t.bytes += r.bytes;
        if let Some(c) = t
            .classes
            .get_mut(usize::from(r.status / 100).wrapping_sub(1))
        {
            *c += 1;
        }
        self.traffic.visit(row, visitor);

        let (row, p) = self.pages.row((day, site, path));
        p.requests += 1;
        p.bytes += r.bytes;
        p.errors += u64::from(r.status >= 400);
        self.pages.visit(row, visitor);

        self.status.row((day, site, r.status)).1.0 += 1;

        let (row, c) = self.referrers.row((day, site, referrer));
        c.0 += 1;
        self.referrers.visit(row, visitor);

        let (row, c) = self.clients.row((day, site, r.client));
        c.0 += 1;
        self.clients.visit(row, visitor);
    }

    /// Detaches the aggregate from the input buffer.
    pub fn into_owned(self) -> WebAggregate<'static> {
        let mut owned = WebAggregate::default();
        owned.merge(self);
        owned
    }

    /// Number of rows across the tables (for diagnostics).
    pub fn rows(&self) -> usize {
        self.traffic.len()
            + self.pages.len()
            + self.status.len()
            + self.referrers.len()
            + self.clients.len()
    }
}

impl WebAggregate<'static> {
    /// Folds `other` (borrowed from a chunk or owned) into `self`.
    pub fn merge(&mut self, other: WebAggregate<'_>) {
        let ids = self.strings.absorb(&other.strings);
        let s = |id: Str| ids.get(id as usize).copied().unwrap_or(id);
        self.traffic
            .merge(other.traffic.map_keys(|(h, site)| (h, s(site))));
        self.pages
            .merge(other.pages.map_keys(|(d, site, p)| (d, s(site), s(p))));
        self.status
            .merge(other.status.map_keys(|(d, site, st)| (d, s(site), st)));
        self.referrers
            .merge(other.referrers.map_keys(|(d, site, r)| (d, s(site), s(r))));
        self.clients
            .merge(other.clients.map_keys(|(d, site, c)| (d, s(site), c)));
    }

    /// The finished tables, rows sorted by their text keys.
    pub fn into_tables(self) -> Result<Vec<Table>, String> {
        let strings = self.strings;
        let st = |id: Str| strings.get(id).to_string();
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);

        let mut traffic = self.traffic.finish();
        traffic.sort_by(|a, b| (a.0.0, strings.get(a.0.1)).cmp(&(b.0.0, strings.get(b.0.1))));
        let traffic = Table::new(
            &schema::WEB_TRAFFIC,
            vec![
                Values::Timestamp(
                    traffic
                        .iter()
                        .map(|r| r.0.0.saturating_mul(1_000_000))
                        .collect(),
                ),
                Values::Utf8(traffic.iter().map(|r| st(r.0.1)).collect()),
                Values::Int64(traffic.iter().map(|r| count(r.1.requests)).collect()),
                Values::Int64(traffic.iter().map(|r| count(r.1.bytes)).collect()),
                Values::Int64(traffic.iter().map(|r| count(r.2)).collect()),
                Values::Int64(traffic.iter().map(|r| count(r.1.classes[1])).collect()),
                Values::Int64(traffic.iter().map(|r| count(r.1.classes[2])).collect()),
                Values::Int64(traffic.iter().map(|r| count(r.1.classes[3])).collect()),
                Values::Int64(traffic.iter().map(|r| count(r.1.classes[4])).collect()),
            ],
        )?;

        let mut pages = self.pages.finish();
        pages.sort_by(|a, b| {
            (a.0.0, strings.get(a.0.1), strings.get(a.0.2)).cmp(&(
                b.0.0,
                strings.get(b.0.1),
                strings.get(b.0.2),
            ))
        });
        let pages = Table::new(
            &schema::WEB_PAGES,
            vec![
                Values::Date(pages.iter().map(|r| r.0.0).collect()),
                Values::Utf8(pages.iter().map(|r| st(r.0.1)).collect()),
                Values::Utf8(pages.iter().map(|r| st(r.0.2)).collect()),
                Values::Int64(pages.iter().map(|r| count(r.1.requests)).collect()),
                Values::Int64(pages.iter().map(|r| count(r.2)).collect()),
                Values::Int64(pages.iter().map(|r| count(r.1.bytes)).collect()),
                Values::Int64(pages.iter().map(|r| count(r.1.errors)).collect()),
            ],
        )?;

        let mut status = self.status.finish();
        status.sort_by(|a, b| {
            (a.0.0, strings.get(a.0.1), a.0.2).cmp(&(b.0.0, strings.get(b.0.1), b.0.2))
        });
        let status = Table::new(
            &schema::WEB_STATUS,
            vec![
                Values::Date(status.iter().map(|r| r.0.0).collect()),
                Values::Utf8(status.iter().map(|r| st(r.0.1)).collect()),
                Values::Int32(status.iter().map(|r| i32::from(r.0.2)).collect()),
                Values::Int64(status.iter().map(|r| count(r.1.0)).collect()),
            ],
        )?;

        let mut referrers = self.referrers.finish();
        referrers.sort_by(|a, b| {
            (a.0.0, strings.get(a.0.1), strings.get(a.0.2)).cmp(&(
                b.0.0,
                strings.get(b.0.1),
                strings.get(b.0.2),
            ))
        });
        let referrers = Table::new(
            &schema::WEB_REFERRERS,
            vec![
                Values::Date(referrers.iter().map(|r| r.0.0).collect()),
                Values::Utf8(referrers.iter().map(|r| st(r.0.1)).collect()),
                Values::Utf8(referrers.iter().map(|r| st(r.0.2)).collect()),
                Values::Int64(referrers.iter().map(|r| count(r.1.0)).collect()),
                Values::Int64(referrers.iter().map(|r| count(r.2)).collect()),
            ],
        )?;

        let mut clients: Vec<Row<(Day, Str, ClientClass), Count>> = self.clients.finish();
        clients.sort_by(|a, b| {
            (a.0.0, strings.get(a.0.1), a.0.2).cmp(&(b.0.0, strings.get(b.0.1), b.0.2))
        });
        let clients = Table::new(
            &schema::WEB_CLIENTS,
            vec![
                Values::Date(clients.iter().map(|r| r.0.0).collect()),
                Values::Utf8(clients.iter().map(|r| st(r.0.1)).collect()),
                Values::Utf8(clients.iter().map(|r| r.0.2.browser.to_string()).collect()),
                Values::Utf8(clients.iter().map(|r| r.0.2.os.to_string()).collect()),
                Values::Utf8(clients.iter().map(|r| r.0.2.device.to_string()).collect()),
                Values::Bool(clients.iter().map(|r| r.0.2.is_bot).collect()),
                Values::Int64(clients.iter().map(|r| count(r.1.0)).collect()),
                Values::Int64(clients.iter().map(|r| count(r.2)).collect()),
            ],
        )?;

        Ok(vec![traffic, pages, status, referrers, clients])
    }
}
