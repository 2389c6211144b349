//! The end of a run with a private state: merge into the days' partials,
//! publish those days.
//!
//! The lanes' aggregates are exported as partials, split by day. Each day
//! this run touched (and each day an interrupted run merged but did not
//! publish) is then, one after another: read from the state, merged with
//! the new data in a fresh aggregate, written back in canonical order,
//! and published from an aggregate built from that canonical partial
//! alone. Publishing from the canonical form is what makes the tables of
//! seven nights byte-identical to one run over the same lines: the rows
//! reach disclosure control in one order, whatever order the lines came
//! in. Days are merged and published in parallel, a batch of as many days
//! as threads at a time, in order (each day's tables are again built in
//! parallel); memory holds about two days' aggregates per thread. Under
//! differential privacy the batch's days are merged in parallel and then
//! released one after another, in day order, so that each day's release
//! can prefer the rows the days before it published. A batch finishes
//! (its periods fed, its days released) beside the merge of the next, so
//! that sequential part does not leave the other threads idle.
//!
//! The store of the days is a [`DayStore`]: the private state, or the
//! shards of a publish (`partials.rs`), whose stored partial of a day is
//! the merge of every shard's; a publish then runs the path of a night
//! with nothing new.
//!
//! When the key epoch allows period tables (`periods`), every day of a
//! touched week or month is fed, in order, to that period's aggregate:
//! the re-published days as merged, the others as stored.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use crate::aggregate::web::WebAggregate;
use crate::aggregate::web::dp::{DpInput, calibrate, dp_table, release_inputs};
use crate::aggregate::web::partial::DayPartial;
use crate::error::Error;
use crate::output::manifest::PeriodsReport;
use crate::output::schema::dp_spec;
use crate::output::table::Table;
use crate::privacy::disclosure::dp::Published;
use crate::privacy::disclosure::dp::noise::DpError;
use crate::privacy::policy::{Policy, Republish};
use crate::privacy::pseudonym::Epoch;
use crate::privacy::{Labels, Renumbering};
use crate::state::StateDir;
use crate::state::budget::StoredRelease;
use crate::time::Calendar;

use super::periods;

/// Where the days' partials are kept between runs: the private state, or
/// (for a publish of partial directories) shards read as they stand.
pub(super) trait DayStore: Sync {
    /// Every day with a stored partial.
    fn stored_days(&self) -> &BTreeSet<i32>;
    /// The stored partial of `day`, canonical, if there is one.
    fn read_day(&self, day: i32) -> Result<Option<DayPartial>, Error>;
    /// Keeps the merged partial of a day (from any thread).
    fn write_day(&self, part: &DayPartial) -> Result<(), Error>;
    /// The first day whose data can still be merged.
    fn expired_before(&self) -> Option<i32>;
    /// Whether the budget ledger holds any release of `day`.
    fn dp_released(&self, day: i32) -> bool;
    /// The budget ledger's releases of `day`, by table.
    fn dp_stored(&self, day: i32) -> Result<BTreeMap<String, StoredRelease>, Error>;
    /// Records a day's fresh releases in the budget ledger, by table,
    /// refused past the ceiling of ε per day.
    fn dp_record(
        &self,
        day: i32,
        releases: Vec<(String, StoredRelease)>,
        ceiling: f64,
    ) -> Result<(), Error>;
}

impl DayStore for StateDir {
    fn stored_days(&self) -> &BTreeSet<i32> {
        StateDir::stored_days(self)
    }
    fn read_day(&self, day: i32) -> Result<Option<DayPartial>, Error> {
        StateDir::read_day(self, day)
    }
    fn write_day(&self, part: &DayPartial) -> Result<(), Error> {
        StateDir::write_day(self, part)
    }
    fn expired_before(&self) -> Option<i32> {
        StateDir::expired_before(self)
    }
    fn dp_released(&self, day: i32) -> bool {
        StateDir::dp_spent(self, day).0 > 0.0
    }
    fn dp_stored(&self, day: i32) -> Result<BTreeMap<String, StoredRelease>, Error> {
        StateDir::dp_stored_day(self, day)
    }
    fn dp_record(
        &self,
        day: i32,
        releases: Vec<(String, StoredRelease)>,
        ceiling: f64,
    ) -> Result<(), Error> {
        StateDir::dp_record_day(self, day, releases, ceiling)
    }
}

/// The run's aggregates (the first lane's, the others' with their visitor
/// renumbering) split into partials by day.
pub(super) fn export_days(
    (web, others, labels): (WebAggregate, Vec<(WebAggregate, Renumbering)>, Labels),
) -> BTreeMap<i32, Vec<DayPartial>> {
    let mut new: BTreeMap<i32, Vec<DayPartial>> = BTreeMap::new();
    let mut add = |aggregate: WebAggregate, ids: &Renumbering| {
        for (day, part) in aggregate.export(&labels, ids) {
            new.entry(day).or_default().push(part);
        }
    };
    add(web, &Renumbering::default());
    for (aggregate, ids) in others {
        add(aggregate, &ids);
    }
    new
}

/// One day's partials merged exactly (counters add, visitors unite,
/// sessions coalesce) into one canonical partial.
pub(super) fn merge_parts<'a>(
    day: i32,
    parts: impl IntoIterator<Item = &'a DayPartial> + Clone,
    (gap, calendar): (i64, Calendar),
) -> DayPartial {
    // Counting when the parts count requests per visitor, which then add.
    let mut aggregate = WebAggregate::with_calendar(gap, calendar).counting_for(parts.clone());
    let mut labels = Labels::default();
    for part in parts {
        aggregate.import(&mut labels, part);
    }
    aggregate
        .export(&labels, &Renumbering::default())
        .remove(&day)
        .unwrap_or_else(|| DayPartial::new(day))
        .canonical()
}

/// What merging and publishing the days did.
#[derive(Debug, Default)]
pub(super) struct Days<R> {
    /// Days published, in order.
    pub published: BTreeSet<i32>,
    /// What the emitter returned for each table of each day and period.
    pub tables: Vec<R>,
    /// The period tables.
    pub periods: PeriodsReport,
    /// Requests of days whose partials retention deleted: they cannot be
    /// merged exactly, so they were left out.
    pub expired_requests: u64,
}

/// Merges the run's aggregates into the state's partials and publishes
/// every touched day, plus `also` (days merged before but not published),
/// and the periods of those days that `epoch` allows. `emit` receives
/// each day's tables, and each period's with the period's first day.
pub(super) fn merge_and_publish<R: Send>(
    state: &impl DayStore,
    aggregates: (WebAggregate, Vec<(WebAggregate, Renumbering)>, Labels),
    also: &BTreeSet<i32>,
    (gap, calendar, epoch): (i64, Calendar, Epoch),
    policy: &Policy,
    emit: impl Fn(i32, Result<Table, String>) -> R + Sync,
) -> Result<Days<R>, Error> {
    // Exporting runs on one thread: the differential-privacy mode's
    // noise is calibrated beside it (an error surfaces again, with its
    // table, at the first release).
    let (mut new, _) = rayon::join(
        || export_days(aggregates),
        || policy.dp.enabled.then(|| calibrate(&policy.dp)),
    );
    let mut out = Days {
        published: BTreeSet::new(),
        tables: Vec::new(),
        expired_requests: 0,
        periods: PeriodsReport::default(),
    };
    if let Some(first) = state.expired_before() {
        let late: Vec<i32> = new.range(..first).map(|(&d, _)| d).collect();
        for day in late {
            if let Some(parts) = new.remove(&day) {
                out.expired_requests += parts.iter().map(DayPartial::requests).sum::<u64>();
            }
        }
    }
    // Under differential privacy, a stored day that has no release yet
    // (held back as the newest, or refused) is released as soon as it can.
    let unreleased = state
        .stored_days()
        .iter()
        .copied()
        .filter(|&d| policy.dp.enabled && !state.dp_released(d));
    let days: BTreeSet<i32> = new
        .keys()
        .copied()
        .chain(
            also.iter()
                .copied()
                .filter(|d| state.stored_days().contains(d)),
        )
        .chain(unreleased)
        .collect();
    // Period tables count visitors over weeks and months under k; the
    // differential-privacy mode releases days only.
    let epoch = match policy.dp.enabled {
        true => Epoch::Day,
        false => epoch,
    };
    let plan = periods::Plan::new(epoch, &days, state.expired_before());
    let others = plan.days_needed(state.stored_days());
    let mut periods = periods::Builder::new(plan, policy);
    // Every day in order: the re-published ones with their new partials,
    // the others only for their periods.
    let all: Vec<(i32, Option<Vec<DayPartial>>)> = others
        .union(&days)
        .map(|&d| {
            let parts = days
                .contains(&d)
                .then(|| new.remove(&d).unwrap_or_default());
            (d, parts)
        })
        .collect();
    drop(new);
    let shape = (gap, calendar);
    // Under differential privacy a release is final (it is published
    // again unchanged), so the newest day, which a later night may still
    // add to, is merged but not released until a later day has data.
    let held = (policy.dp.enabled && policy.dp.hold_newest_day)
        .then(|| state.stored_days().iter().chain(&days).max().copied())
        .flatten();
    let mut all = all.into_iter().peekable();
    let batch = rayon::current_num_threads().max(1);
    // Each batch of days is merged (and published under k, readied under
    // differential privacy) in parallel while the batch before it
    // finishes beside it: its periods fed and, under differential
    // privacy, its days released one after another, which would
    // otherwise leave all threads but one idle.
    let mut pending: Vec<Merged<R>> = Vec::new();
    while all.peek().is_some() || !pending.is_empty() {
        let work: Vec<_> = all.by_ref().take(batch).collect();
        let finishing = std::mem::take(&mut pending);
        let (finished, merged) = rayon::join(
            || -> Result<(), Error> {
                for (day, merged, publication) in finishing {
                    if let Some(merged) = merged {
                        periods.feed(&merged, &emit, &mut out.tables);
                    }
                    let tables = match publication {
                        None => continue,
                        Some(Publication::Tables(tables)) => tables,
                        // In day order, after the days before it: a day's
                        // release may prefer rows those days published.
                        Some(Publication::Dp(ready)) => {
                            dp_day(state, day, ready, policy, |t| emit(day, t))?
                        }
                    };
                    out.published.insert(day);
                    out.tables.extend(tables);
                }
                Ok(())
            },
            || {
                work.into_par_iter()
                    .map(|(day, parts)| match parts {
                        // A day of a touched period, not re-published itself.
                        None => Ok((day, state.read_day(day)?, None)),
                        Some(parts) if held == Some(day) => {
                            Ok((day, Some(merge_day(state, day, parts, shape)?), None))
                        }
                        Some(parts) => {
                            let emit = |t| emit(day, t);
                            let (merged, tables) =
                                publish_day(state, day, parts, shape, policy, emit)?;
                            Ok((day, Some(merged), Some(tables)))
                        }
                    })
                    .collect::<Result<Vec<_>, Error>>()
            },
        );
        finished?;
        pending = merged?;
    }
    out.periods = periods.finish(epoch, &emit, &mut out.tables);
    Ok(out)
}

/// A day merged in a batch: its merged partial (for its periods) and its
/// publication, when it is published.
type Merged<R> = (i32, Option<DayPartial>, Option<Publication<R>>);

/// Merges a day's new partials into its stored one and writes the result
/// to the state (nothing is written when nothing is new).
fn merge_day(
    state: &impl DayStore,
    day: i32,
    parts: Vec<DayPartial>,
    shape: (i64, Calendar),
) -> Result<DayPartial, Error> {
    Ok(match (state.read_day(day)?, parts.is_empty()) {
        // Nothing new: the stored partial is already canonical.
        (Some(stored), true) => stored,
        (stored, _) => {
            let merged = merge_parts(day, stored.iter().chain(&parts), shape);
            drop(parts);
            state.write_day(&merged)?;
            merged
        }
    })
}

/// A day's publication: its tables under k, or under differential
/// privacy what to release once the days before it are released
/// ([`dp_day`]).
enum Publication<R> {
    Tables(Vec<R>),
    Dp(DpDay),
}

/// A day ready for its differential-privacy release: its fresh tables'
/// inputs and its stored releases to publish again.
struct DpDay {
    fresh: Vec<DpInput>,
    stored: BTreeMap<String, StoredRelease>,
}

/// Merges a day's new partials into its stored one, writes the result to
/// the state and publishes the day from it (under differential privacy,
/// readies it for release); gives the merged partial back for the day's
/// periods.
fn publish_day<R: Send>(
    state: &impl DayStore,
    day: i32,
    parts: Vec<DayPartial>,
    (gap, calendar): (i64, Calendar),
    policy: &Policy,
    emit: impl Fn(Result<Table, String>) -> R + Sync,
) -> Result<(DayPartial, Publication<R>), Error> {
    let merged = merge_day(state, day, parts, (gap, calendar))?;
    let mut aggregate = WebAggregate::with_calendar(gap, calendar);
    let mut labels = Labels::default();
    if policy.dp.enabled {
        // Only the released tables' visitors are needed: the others'
        // (in partials stored before a table left the policy) are skipped.
        aggregate = aggregate.counting_released(&policy.dp);
        aggregate.import(&mut labels, &merged);
        let ready = dp_ready(state, day, aggregate, &labels, policy)?;
        return Ok((merged, Publication::Dp(ready)));
    }
    aggregate.import(&mut labels, &merged);
    let tables = aggregate.into_tables(Vec::new(), labels, policy, emit);
    Ok((merged, Publication::Tables(tables)))
}

/// Readies one day for its differential-privacy release: the tables the
/// policy lists, gathered from the day's aggregate, except those whose
/// release the ledger holds when the policy says to publish that again
/// unchanged (then no new noise is drawn, so no rerun can be averaged).
fn dp_ready(
    state: &impl DayStore,
    day: i32,
    aggregate: WebAggregate,
    labels: &Labels,
    policy: &Policy,
) -> Result<DpDay, Error> {
    let mut stored = match policy.dp.republish {
        Republish::Reuse => state.dp_stored(day)?,
        Republish::Spend => BTreeMap::new(),
    };
    stored.retain(|name, _| policy.dp.tables.contains_key(name));
    let fresh = aggregate
        .into_dp_inputs(Vec::new(), labels, policy, |name| {
            !stored.contains_key(name)
        })
        .map_err(dp_err)?;
    Ok(DpDay { fresh, stored })
}

/// Publishes one day under differential privacy, after the days before
/// it: releases its fresh tables, letting people past a table's bound
/// prefer rows earlier days published, records them in the budget
/// ledger, and publishes its stored releases again.
fn dp_day<R: Send>(
    state: &impl DayStore,
    day: i32,
    DpDay { fresh, stored }: DpDay,
    policy: &Policy,
    emit: impl Fn(Result<Table, String>) -> R + Sync,
) -> Result<Vec<R>, Error> {
    let published = published_before(state, day, policy)?;
    let fresh = release_inputs(fresh, &published).map_err(dp_err)?;
    // The tables are built before the ledger takes the rows, so they
    // are not copied; a refused record publishes none of them.
    let mut tables = Vec::with_capacity(fresh.len());
    let mut releases = Vec::with_capacity(fresh.len());
    for fresh in fresh {
        tables
            .push(dp_table(fresh.spec, &fresh.rows).map(|t| t.with_dp(fresh.note.clone(), false)));
        let release = StoredRelease {
            note: fresh.note,
            rows: fresh.rows,
        };
        releases.push((fresh.spec.name.to_string(), release));
    }
    state.dp_record(day, releases, policy.dp.ceiling())?;
    let mut out = Vec::with_capacity(tables.len() + stored.len());
    out.extend(tables.into_iter().map(&emit));
    for (name, release) in stored {
        let table = dp_spec(&name)
            .ok_or_else(|| format!("{name}: no table releases under differential privacy"))
            .and_then(|spec| dp_table(spec, &release.rows));
        out.push(emit(table.map(|t| t.with_dp(release.note, true))));
    }
    Ok(out)
}

fn dp_err(e: DpError) -> Error {
    Error::Dp {
        message: e.to_string(),
    }
}

/// The rows each table's releases of the `prefer_published_days` days
/// before `day` published, as the ledger holds them (this run's releases
/// of earlier days included): public already, so a day's release may let
/// its visitors prefer them.
fn published_before(
    state: &impl DayStore,
    day: i32,
    policy: &Policy,
) -> Result<BTreeMap<String, Published>, Error> {
    let mut published: BTreeMap<String, Published> = BTreeMap::new();
    let back = i32::try_from(policy.dp.prefer_published_days).unwrap_or(i32::MAX);
    for earlier in day.saturating_sub(back)..day {
        for (name, release) in state.dp_stored(earlier)? {
            published.entry(name).or_default().extend(&release.rows);
        }
    }
    Ok(published)
}
