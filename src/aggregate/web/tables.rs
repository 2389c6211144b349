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
use super::{Day, Page, Str, Traffic};
use crate::aggregate::quantiles::Sketch;
use crate::privacy::request_class::RequestClasses;

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
    let latency = |q: f64| latency_ms(rows, |r| &r.1.latency, q);
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
            int64(rows, |r| r.1.methods[0]),
            int64(rows, |r| r.1.methods[1]),
            int64(rows, |r| r.1.methods[2]),
            int64(rows, |r| r.1.methods[3]),
            int64(rows, |r| r.1.protocols[0]),
            int64(rows, |r| r.1.protocols[1]),
            int64(rows, |r| r.1.protocols[2]),
            opt(|c| c.0),
            opt(|c| c.1),
            latency(0.50),
            latency(0.95),
            latency(0.99),
        ],
    )
}

/// A quantile of each row's response-time sketch, in milliseconds (null
/// where the row has no times).
fn latency_ms<R>(rows: &[R], sketch: impl Fn(&R) -> &Sketch, q: f64) -> Values {
    Values::OptFloat64(
        rows.iter()
            .map(|r| sketch(r).quantile(q).map(|us| us / 1000.0))
            .collect(),
    )
}

pub(super) fn pages_table(
    rows: &[Row<(Day, Str, Str), Page>],
    labels: &Labels,
    classes: &RequestClasses,
) -> Result<Table, String> {
    Table::new(
        &schema::WEB_PAGES,
        vec![
            days(rows, |k| k.0),
            utf8(rows, |r| labels.get(r.0.1)),
            utf8(rows, |r| labels.get(r.0.2)),
            utf8(rows, |r| classes.of(labels.get(r.0.2)).as_str()),
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
            latency_ms(rows, |r| &r.1.latency, 0.50),
            latency_ms(rows, |r| &r.1.latency, 0.95),
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

/// The sessions table; `k` decides whether a row's split into human and
/// other sessions may be published.
pub(super) fn sessions_table(
    rows: &[Row<(Day, Str), DaySessions>],
    labels: &Labels,
    k: u64,
) -> Result<Table, String> {
    let human: Vec<Option<&DaySessions>> = rows
        .iter()
        .map(|r| r.1.human_split_safe(k).then_some(&r.1))
        .collect();
    let opt_int = |f: fn(&DaySessions) -> u64| {
        Values::OptInt64(
            human
                .iter()
                .map(|h| h.map(|h| i64::try_from(f(h)).unwrap_or(i64::MAX)))
                .collect(),
        )
    };
    let opt_float =
        |f: fn(&DaySessions) -> f64| Values::OptFloat64(human.iter().map(|h| h.map(f)).collect());
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
            opt_int(|h| h.human),
            opt_int(|h| h.page_views),
            opt_float(DaySessions::pages_per_session),
            opt_float(DaySessions::bounce_rate),
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

/// The browser versions table: each label is a family and its major
/// version (`Chrome/120`, as the veil makes them), published as two
/// columns; the folded row is `(other)` with no version.
pub(super) fn versions_table(
    rows: &[Row<(Day, Str, Str), Count>],
    labels: &Labels,
) -> Result<Table, String> {
    let (families, majors): (Vec<&str>, Vec<Option<i32>>) = rows
        .iter()
        .map(|r| {
            let text = labels.get(r.0.2);
            match text.rsplit_once('/') {
                Some((family, major)) => (family, major.parse::<i32>().ok()),
                None => (text, None),
            }
        })
        .unzip();
    Table::new(
        &schema::WEB_BROWSER_VERSIONS,
        vec![
            days(rows, |k| k.0),
            utf8(rows, |r| labels.get(r.0.1)),
            utf8(&families, |f| *f),
            Values::OptInt32(majors),
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
    durations: Vec<i64>,
    /// Sessions with a page view, their page views, and those of them
    /// with one page view.
    human: u64,
    page_views: u64,
    bounces: u64,
    /// People with a human session, and people with another session
    /// (either may repeat; counted distinct when published).
    human_people: Vec<u32>,
    other_people: Vec<u32>,
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

    fn pages_per_session(&self) -> f64 {
        self.page_views as f64 / self.human.max(1) as f64
    }

    fn bounce_rate(&self) -> f64 {
        self.bounces as f64 / self.human.max(1) as f64
    }

    /// Whether the human/other split describes groups of k people or
    /// none: the rule of the campus split in `web_traffic`.
    fn human_split_safe(&self, k: u64) -> bool {
        let distinct = |people: &[u32]| {
            let mut p = people.to_vec();
            p.sort_unstable();
            p.dedup();
            p.len() as u64
        };
        let small = |n: u64| n > 0 && n < k;
        !small(distinct(&self.human_people)) && !small(distinct(&self.other_people))
    }
}

impl Counters for DaySessions {
    fn merge(&mut self, o: &Self) {
        self.sessions += o.sessions;
        self.requests += o.requests;
        self.durations.extend_from_slice(&o.durations);
        self.human += o.human;
        self.page_views += o.page_views;
        self.bounces += o.bounces;
        self.human_people.extend_from_slice(&o.human_people);
        self.other_people.extend_from_slice(&o.other_people);
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
            g.durations.push(s.last - s.first);
            if s.pages > 0 {
                g.human += 1;
                g.page_views += s.pages;
                g.bounces += u64::from(s.pages == 1);
                g.human_people.push(who);
            } else {
                g.other_people.push(who);
            }
            if counted != Some(day) {
                people.push(who);
                counted = Some(day);
            }
        }
    }
    Rows::from_sets(groups.into_iter().map(|(k, (g, p))| (k, g, p)))
}
