//! The web tables of a differential-privacy release.
//!
//! The same groups as the k mode, counted per (row, visitor)
//! ([`WebAggregate::counting`]), go through [`dp::release`] instead of the
//! folding rule: visitors become people (one per pseudonym of the day,
//! whatever the site), each table is bounded and released with its share
//! of the day's budget, and the released rows are turned into text-keyed
//! [`DpRow`]s. Those rows are what the budget ledger keeps, so a stored
//! release and a fresh one become a table through the same
//! [`dp_table`].
//!
//! A release has two steps: [`WebAggregate::into_dp_inputs`] gathers each
//! table's contributions with their keys as text (the costly part, which
//! reads only the day's own data, so days run it in parallel), and
//! [`release_inputs`] bounds and releases them given what earlier days
//! published (cheap, and in day order).
//!
//! Only the tables the policy lists are released; sessions, the campus
//! split, bytes, status classes and latencies are not (each would need a
//! share of the budget, and sessions a bound on their own).

use std::collections::BTreeMap;
use std::hash::Hash;

use rayon::prelude::*;

use crate::output::schema::{self, ColumnType, TableSpec};
use crate::output::table::{Table, Values};
use crate::privacy::disclosure::dp::noise::DpError;
use crate::privacy::disclosure::dp::{
    self, Bounds, Contributions, DpNote, DpRow, Published, TableMechanism,
};
use crate::privacy::policy::{DpPolicy, DpTablePolicy, Policy};
use crate::privacy::request_class::RequestClasses;
use crate::privacy::{Labels, Renumbering};

use super::super::group::{Counters, Group};
use super::partitions::people;
use super::{Day, Str, WebAggregate, gather};

/// One table's release: its rows (sorted as the table is) and what it
/// spent.
#[derive(Debug, Clone)]
pub struct DpRelease {
    /// The table.
    pub spec: &'static TableSpec,
    /// Released rows, in the table's order.
    pub rows: Vec<DpRow>,
    /// What the release spent and dropped.
    pub note: DpNote,
}

impl WebAggregate {
    /// This (empty) aggregate as a differential-privacy run reads lines
    /// or a day's partial into it: the groups of the tables `dp` releases count each
    /// visitor's requests per row ([`WebAggregate::counting`]); the
    /// others keep their rows' counters but no visitors
    /// ([`Group::without_visitors`]). Nothing is published from those,
    /// and their pairs were a tenth of the run's work. Their partials
    /// then hold no visitors, so a table added to the policy later counts
    /// people only from the data read after it was added.
    pub fn counting_released(self, dp: &DpPolicy) -> Self {
        let listed = |spec: &TableSpec| dp.tables.contains_key(spec.name);
        fn pick<K, C>(listed: bool) -> Group<K, C> {
            match listed {
                true => Group::counting(),
                false => Group::without_visitors(),
            }
        }
        WebAggregate {
            traffic: pick(listed(&schema::DP_TRAFFIC)),
            campus_visitors: Group::without_visitors(),
            pages: pick(listed(&schema::DP_PAGES)),
            status: pick(listed(&schema::DP_STATUS)),
            referrers: pick(listed(&schema::DP_REFERRERS)),
            clients: pick(listed(&schema::DP_CLIENTS)),
            search: pick(listed(&schema::DP_SEARCH_TERMS)),
            versions: pick(listed(&schema::DP_BROWSER_VERSIONS)),
            ..self
        }
    }

    /// Merges the other workers' aggregates into this one (as
    /// [`WebAggregate::into_tables`] does) and releases the tables the
    /// policy's `[dp]` lists, each day under its share of the day's
    /// budget. The aggregates should be [`WebAggregate::counting`]; a
    /// plain one counts each visitor once per row.
    pub fn into_dp_releases(
        self,
        others: Vec<(WebAggregate, Renumbering)>,
        labels: &Labels,
        policy: &Policy,
    ) -> Result<Vec<DpRelease>, DpError> {
        self.into_dp_releases_of(others, labels, policy, &BTreeMap::new(), |_| true)
    }

    /// [`WebAggregate::into_dp_releases`] of the listed tables that
    /// `wanted` (given a table's name) accepts: a day whose stored
    /// release is published again draws no noise for it. `published`
    /// holds, by table name, the rows earlier releases published, which
    /// people past a table's `max_rows` keep first.
    pub fn into_dp_releases_of(
        self,
        others: Vec<(WebAggregate, Renumbering)>,
        labels: &Labels,
        policy: &Policy,
        published: &BTreeMap<String, Published>,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Vec<DpRelease>, DpError> {
        let inputs = self.into_dp_inputs(others, labels, policy, wanted)?;
        release_inputs(inputs, published)
    }

    /// The first step of [`WebAggregate::into_dp_releases_of`]: merges
    /// the aggregates and gathers each wanted table's contributions, keys
    /// as text, with the table's calibrated measurements. Reads nothing
    /// but this data, so it may run for several days at once.
    pub fn into_dp_inputs(
        self,
        others: Vec<(WebAggregate, Renumbering)>,
        labels: &Labels,
        policy: &Policy,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Vec<DpInput>, DpError> {
        let (this, parts, maps) = self.absorb(others);
        let cal = this.sessions.calendar();
        let person = people(&this.sessions);
        let classes = RequestClasses::new(&policy.classes);
        let text = |id: Str| labels.get(id).to_string();
        let site_label =
            |ids: &Renumbering, (d, site, l): (Day, Str, Str)| (d, ids.label(site), ids.label(l));
        let plan = Plan {
            dp: &policy.dp,
            person: &person,
            wanted: &wanted,
        };
        let maps = maps.as_slice();
        let day = |k: &(Day, Str, Str)| k.0;
        let mut out = Vec::new();
        let mut each = |r: Option<Result<DpInput, DpError>>| out.extend(r);
        each(plan.table(
            &schema::DP_TRAFFIC,
            || {
                let hour_site = |ids: &Renumbering, (h, site): (i64, Str)| (h, ids.label(site));
                gather(this.traffic, parts.traffic, maps, hour_site)
            },
            |&(h, _)| cal.day(h),
            |&(h, site)| (h, text(site), vec![]),
        ));
        each(plan.table(
            &schema::DP_PAGES,
            || gather(this.pages, parts.pages, maps, site_label),
            day,
            |&(d, site, path)| {
                let p = labels.get(path);
                (
                    i64::from(d),
                    text(site),
                    vec![p.to_string(), classes.of(p).as_str().to_string()],
                )
            },
        ));
        each(plan.table(
            &schema::DP_STATUS,
            || {
                gather(this.status, parts.status, maps, |ids, (d, site, st)| {
                    (d, ids.label(site), st)
                })
            },
            |k| k.0,
            |&(d, site, st)| (i64::from(d), text(site), vec![st.to_string()]),
        ));
        let label_row = |&(d, site, l): &(Day, Str, Str)| (i64::from(d), text(site), vec![text(l)]);
        each(plan.table(
            &schema::DP_REFERRERS,
            || gather(this.referrers, parts.referrers, maps, site_label),
            day,
            label_row,
        ));
        each(plan.table(
            &schema::DP_CLIENTS,
            || {
                gather(this.clients, parts.clients, maps, |ids, (d, site, c)| {
                    (d, ids.label(site), ids.class(c))
                })
            },
            |k| k.0,
            |&(d, site, c)| {
                let c = labels.class_of(c);
                let key = [
                    c.browser,
                    c.os,
                    c.device,
                    if c.is_bot { "true" } else { "false" },
                ];
                (i64::from(d), text(site), key.map(str::to_string).to_vec())
            },
        ));
        each(plan.table(
            &schema::DP_SEARCH_TERMS,
            || gather(this.search, parts.search, maps, site_label),
            day,
            label_row,
        ));
        each(plan.table(
            &schema::DP_BROWSER_VERSIONS,
            || gather(this.versions, parts.versions, maps, site_label),
            day,
            |&(d, site, v)| {
                let v = labels.get(v);
                let (family, major) = v.rsplit_once('/').unwrap_or((v, ""));
                (
                    i64::from(d),
                    text(site),
                    vec![family.to_string(), major.to_string()],
                )
            },
        ));
        out.into_iter().collect()
    }
}

/// A table's key as text: its day, its time (the day again, or the Unix
/// second its hour starts), its site and its other key columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextKey {
    day: Day,
    time: i64,
    site: String,
    key: Vec<String>,
}

/// A table ready for release: its contributions, keyed by text, and its
/// calibrated measurements.
#[derive(Debug, Clone)]
pub struct DpInput {
    spec: &'static TableSpec,
    mechanism: TableMechanism,
    rows: Contributions<TextKey>,
}

/// Bounds and releases each table of `inputs` (one day's, or days in
/// order), each person past a table's `max_rows` keeping first the rows
/// `published` holds for it.
pub fn release_inputs(
    inputs: Vec<DpInput>,
    published: &BTreeMap<String, Published>,
) -> Result<Vec<DpRelease>, DpError> {
    let salt = salt();
    inputs
        .into_iter()
        .map(|input| {
            let DpInput {
                spec,
                mechanism,
                rows,
            } = input;
            let rank = ranks(published.get(spec.name), &rows);
            let rank = |r: u32| rank.get(r as usize).copied().unwrap_or(u64::MAX);
            let day = |k: &TextKey| k.day;
            let (released, dropped) = dp::release(&rows, day, rank, &mechanism, salt)?;
            let note = DpNote::of(&mechanism, dropped);
            let mut rows: Vec<DpRow> = released
                .into_iter()
                .map(|(k, visitors, requests)| DpRow {
                    day: k.day,
                    time: k.time,
                    site: k.site,
                    key: k.key,
                    visitors,
                    requests,
                    visitors_scale: note.visitors_scale,
                    requests_scale: note.requests_scale,
                })
                .collect();
            sort_rows(&mut rows);
            Ok(DpRelease { spec, rows, note })
        })
        .collect()
}

/// Where each row comes in a person's choice ([`Published::rank`]), by
/// row index (empty when no earlier release of the table published
/// anything).
fn ranks(published: Option<&Published>, rows: &Contributions<TextKey>) -> Vec<u64> {
    let Some(published) = published.filter(|p| !p.is_empty()) else {
        return Vec::new();
    };
    (0..rows.len() as u32)
        .map(|r| {
            let k = rows.key(r);
            published.rank(&k.site, &k.key)
        })
        .collect()
}

/// What every table's input shares.
struct Plan<'a> {
    dp: &'a DpPolicy,
    person: &'a [u32],
    wanted: &'a dyn Fn(&str) -> bool,
}

impl Plan<'_> {
    /// Gathers the table `spec` if the policy lists it and the caller
    /// wants it: `group` gives its merged rows, `day` a key's day, `row` a
    /// key's time, site and other key columns as text.
    fn table<K: Copy + Hash + Eq, C: Counters>(
        &self,
        spec: &'static TableSpec,
        group: impl FnOnce() -> super::super::group::Group<K, C>,
        day: impl Fn(&K) -> Day,
        row: impl Fn(&K) -> (i64, String, Vec<String>),
    ) -> Option<Result<DpInput, DpError>> {
        let t = self.dp.tables.get(spec.name)?;
        if !(self.wanted)(spec.name) {
            return None;
        }
        Some((|| {
            let mechanism = table_mechanism(self.dp, t)?;
            let rows = group().into_contributions(Some(self.person)).map_keys(|k| {
                let (time, site, key) = row(k);
                TextKey {
                    day: day(k),
                    time,
                    site,
                    key,
                }
            });
            Ok(DpInput {
                spec,
                mechanism,
                rows,
            })
        })())
    }
}

/// The calibrated measurements of the table `t` configures
/// ([`TableMechanism::cached`]: once per process).
fn table_mechanism(dp: &DpPolicy, t: &DpTablePolicy) -> Result<TableMechanism, DpError> {
    let bounds = Bounds {
        max_rows: t.max_rows,
        max_requests: t.max_requests,
    };
    TableMechanism::cached(
        bounds,
        dp.epsilon * t.share,
        dp.delta * t.share,
        dp.people_share,
        t.mechanism.unwrap_or(dp.mechanism),
    )
}

/// Calibrates the measurements of every table the policy lists, in
/// parallel, so that the days' releases find them ready: a run can do
/// this while it does something else that leaves threads idle.
pub fn calibrate(dp: &DpPolicy) -> Result<(), DpError> {
    dp.tables
        .par_iter()
        .try_for_each(|(_, t)| table_mechanism(dp, t).map(drop))
}

/// Sorts rows into a table's order: time, site, then the other keys.
pub fn sort_rows(rows: &mut [DpRow]) {
    rows.sort_unstable_by(|a, b| (a.time, &a.site, &a.key).cmp(&(b.time, &b.site, &b.key)));
}

/// A random salt for a release's tie-breaks.
fn salt() -> u64 {
    let mut b = [0u8; 8];
    // Without entropy the ties are broken the same way every time, which
    // biases nothing: the choice never depends on other people's data.
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b)
}

/// The table of `rows` (sorted) in the columns of `spec`, one of
/// [`schema::DP_TABLES`]: time, site, the key columns parsed from their
/// text by type, then visitors, requests and their scales.
pub fn dp_table(spec: &'static TableSpec, rows: &[DpRow]) -> Result<Table, String> {
    let keys = spec.columns.len().saturating_sub(6);
    let mut columns = Vec::with_capacity(spec.columns.len());
    for (i, c) in spec.columns.iter().enumerate() {
        let values = match i {
            0 => match c.ty {
                ColumnType::Timestamp => Values::Timestamp(
                    rows.iter()
                        .map(|r| r.time.saturating_mul(1_000_000))
                        .collect(),
                ),
                _ => Values::Date(rows.iter().map(|r| r.day).collect()),
            },
            1 => Values::Utf8(rows.iter().map(|r| r.site.clone()).collect()),
            i if i < 2 + keys => {
                fn text(r: &DpRow, i: usize) -> &str {
                    r.key.get(i).map_or("", String::as_str)
                }
                let j = i - 2;
                let text = |r| text(r, j);
                match c.ty {
                    ColumnType::Bool => {
                        Values::Bool(rows.iter().map(|r| text(r) == "true").collect())
                    }
                    ColumnType::OptInt32 => {
                        Values::OptInt32(rows.iter().map(|r| text(r).parse().ok()).collect())
                    }
                    _ => Values::Utf8(rows.iter().map(|r| text(r).to_string()).collect()),
                }
            }
            i if i == 2 + keys => {
                Values::Int64(rows.iter().map(|r| saturate(r.visitors)).collect())
            }
            i if i == 3 + keys => {
                Values::Int64(rows.iter().map(|r| saturate(r.requests)).collect())
            }
            i if i == 4 + keys => Values::Float64(rows.iter().map(|r| r.visitors_scale).collect()),
            _ => Values::Float64(rows.iter().map(|r| r.requests_scale).collect()),
        };
        columns.push(values);
    }
    Table::new(spec, columns)
}

fn saturate(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dp_spec_takes_rows_of_its_shape() {
        for spec in schema::DP_TABLES {
            let keys = spec.columns.len() - 6;
            let row = DpRow {
                day: 20_000,
                time: 20_000,
                site: "example.org".into(),
                key: vec!["1".into(); keys],
                visitors: 12,
                requests: 30,
                visitors_scale: 2.5,
                requests_scale: 9.0,
            };
            let table = dp_table(spec, &[row.clone(), row]).expect(spec.name);
            assert_eq!(table.rows(), 2);
        }
    }
}
