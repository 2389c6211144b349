//! The web tables' columns, built from disclosed rows, and the day's
//! sessions as rows for disclosure control.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use crate::output::schema::{self, TableSpec};
use crate::output::table::{Table, Values};
use crate::privacy::disclosure::{Counters, Row, Rows};
use crate::privacy::{ClassId, Labels};

use super::super::columns::{days, float64, int64, utf8};
use super::super::group::Count;
use super::super::sessions::Sessions;
use super::{Day, Page, Str, Traffic, request_class};

/// The status code of the row that small status groups fold into; written
/// as null.
pub(super) const OTHER_STATUS: u16 = u16::MAX;

/// A disclosed traffic row: key (the bucket's first hour), counters,
/// visitors, the hours it spans, and the on-campus requests and visitors
/// where publishing that split is safe.
pub(super) type TrafficRow = ((i64, Str), Traffic, u64, i64, Option<(u64, u64)>);

pub(super) fn traffic_table(rows: &[TrafficRow], labels: &Labels) -> Result<Table, String> {
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
            int64(rows, |r| r.1.bot_requests),
            opt(|c| c.0),
            opt(|c| c.1),
            latency(0.50),
            latency(0.95),
            latency(0.99),
        ],
    )
}

pub(super) fn pages_table(
    rows: &[Row<(Day, Str, Str), Page>],
    labels: &Labels,
) -> Result<Table, String> {
    Table::new(
        &schema::WEB_PAGES,
        vec![
            days(rows, |k| k.0),
            utf8(rows, |r| labels.get(r.0.1)),
            utf8(rows, |r| labels.get(r.0.2)),
            utf8(rows, |r| request_class::of(labels.get(r.0.2))),
            int64(rows, |r| r.1.requests),
            int64(rows, |r| r.2),
            int64(rows, |r| r.1.bytes),
            int64(rows, |r| r.1.errors),
            int64(rows, |r| r.1.not_found),
            int64(rows, |r| r.1.classes[1]),
            int64(rows, |r| r.1.classes[2]),
            int64(rows, |r| r.1.classes[3]),
            int64(rows, |r| r.1.classes[4]),
            int64(rows, |r| r.1.bot_requests),
        ],
    )
}

pub(super) fn status_table(
    rows: &[Row<(Day, Str, u16), Count>],
    labels: &Labels,
) -> Result<Table, String> {
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

pub(super) fn clients_table(
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

pub(super) fn sessions_table(
    rows: &[Row<(Day, Str), DaySessions>],
    labels: &Labels,
) -> Result<Table, String> {
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
pub(super) fn label_count_table(
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
pub(super) struct DaySessions {
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
pub(super) fn session_rows(
    sessions: &Sessions<Str>,
    person: Option<&[u32]>,
) -> Rows<(Day, Str), DaySessions> {
    let mut groups: HashMap<(Day, Str), (DaySessions, Vec<u32>), RandomState> = HashMap::default();
    for (id, (site, _, list)) in sessions.visitors().enumerate() {
        let who = person.and_then(|p| p.get(id).copied()).unwrap_or(id as u32);
        // One visitor's sessions come sorted by time, so the days they
        // start on come in order: the visitor counts once per (day, site).
        let mut counted = None;
        for s in list.iter() {
            let day = sessions.calendar().day(s.first);
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
