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
//! in. Days are merged and published in parallel, each on its own task
//! (whose tables are again built in parallel); memory holds about one
//! day's aggregate per thread.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use crate::aggregate::web::WebAggregate;
use crate::aggregate::web::partial::DayPartial;
use crate::error::Error;
use crate::output::table::Table;
use crate::privacy::policy::SuppressionPolicy;
use crate::privacy::{Labels, Renumbering};
use crate::state::StateDir;
use crate::time::Calendar;

/// What merging and publishing the days did.
#[derive(Debug, Default)]
pub(super) struct Days<R> {
    /// Days published, in order.
    pub published: BTreeSet<i32>,
    /// What the emitter returned for each table of each day.
    pub tables: Vec<R>,
    /// Requests of days whose partials retention deleted: they cannot be
    /// merged exactly, so they were left out.
    pub expired_requests: u64,
}

/// Merges the run's aggregates into the state's partials and publishes
/// every touched day, plus `also` (days merged before but not published).
/// `emit` receives each day's tables.
pub(super) fn merge_and_publish<R: Send>(
    state: &StateDir,
    (web, others, labels): (WebAggregate, Vec<(WebAggregate, Renumbering)>, Labels),
    also: &BTreeSet<i32>,
    (gap, calendar): (i64, Calendar),
    suppression: &SuppressionPolicy,
    emit: impl Fn(i32, Result<Table, String>) -> R + Sync,
) -> Result<Days<R>, Error> {
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
    let mut out = Days {
        published: BTreeSet::new(),
        tables: Vec::new(),
        expired_requests: 0,
    };
    if let Some(first) = state.expired_before() {
        let late: Vec<i32> = new.range(..first).map(|(&d, _)| d).collect();
        for day in late {
            if let Some(parts) = new.remove(&day) {
                out.expired_requests += parts.iter().map(DayPartial::requests).sum::<u64>();
            }
        }
    }
    let days: BTreeSet<i32> = new
        .keys()
        .copied()
        .chain(
            also.iter()
                .copied()
                .filter(|d| state.stored_days().contains(d)),
        )
        .collect();
    // Days are independent: each merges and publishes on its own task
    // (a nightly run has one or two; a first run over old logs, many).
    let mut work: Vec<(i32, Vec<DayPartial>)> = days
        .into_iter()
        .map(|d| (d, new.remove(&d).unwrap_or_default()))
        .collect();
    drop(new);
    let shape = (gap, calendar);
    let tables = std::mem::take(&mut work)
        .into_par_iter()
        .map(|(day, parts)| {
            let emit = |t| emit(day, t);
            publish_day(state, day, parts, shape, suppression, emit)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    for (day, t) in tables {
        out.published.insert(day);
        out.tables.extend(t);
    }
    Ok(out)
}

/// Merges a day's new partials into its stored one, writes the result to
/// the state and publishes the day from it.
fn publish_day<R: Send>(
    state: &StateDir,
    day: i32,
    parts: Vec<DayPartial>,
    (gap, calendar): (i64, Calendar),
    suppression: &SuppressionPolicy,
    emit: impl Fn(Result<Table, String>) -> R + Sync,
) -> Result<(i32, Vec<R>), Error> {
    let fresh = || {
        (
            WebAggregate::with_calendar(gap, calendar),
            Labels::default(),
        )
    };
    let merged = match (state.read_day(day)?, parts.is_empty()) {
        // Nothing new: the stored partial is already canonical.
        (Some(stored), true) => stored,
        (stored, _) => {
            let (mut aggregate, mut labels) = fresh();
            for part in stored.iter().chain(&parts) {
                aggregate.import(&mut labels, part);
            }
            drop(parts);
            let merged = aggregate
                .export(&labels, &Renumbering::default())
                .remove(&day)
                .unwrap_or_else(|| DayPartial::new(day))
                .canonical();
            state.write_day(&merged)?;
            merged
        }
    };
    let (mut aggregate, mut labels) = fresh();
    aggregate.import(&mut labels, &merged);
    drop(merged);
    Ok((
        day,
        aggregate.into_tables(Vec::new(), labels, suppression, emit),
    ))
}
