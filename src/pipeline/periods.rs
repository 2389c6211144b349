//! Weekly and monthly tables of a run with a private state: exact
//! distinct visitors per period, rebuilt from the private partials of all
//! of the period's days whenever one of them is re-published.
//!
//! Which grains exist follows the key epoch, since a visitor counts once
//! in a period only if they keep one pseudonym over it: a `week` epoch
//! gives weekly tables, `month` monthly ones, `never` both, and a daily
//! epoch none, by design (its pseudonyms rotate every day, so no
//! computation could tell a returning visitor from a new one). A weekly
//! table under a monthly epoch is not offered either: a week across two
//! months would count its returning visitors twice.
//!
//! A period is rebuilt only when every one of its days' partials can
//! still be in the state: one starting before retention's first kept day
//! is left as published, and listed in the manifest. The days are fed
//! in order, one at a time (see `days::merge_and_publish`), so a period's
//! tables never depend on which nights brought its data; memory holds one
//! period aggregate per grain.

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::web::partial::{DayPartial, PeriodAggregate};
use crate::output::manifest::PeriodsReport;
use crate::output::schema::Grain;
use crate::output::table::Table;
use crate::privacy::Labels;
use crate::privacy::policy::Policy;
use crate::privacy::pseudonym::Epoch;
use crate::time;

/// The grains whose distinct counts the key epoch makes exact.
pub(super) fn grains(epoch: Epoch) -> &'static [Grain] {
    match epoch {
        Epoch::Day => &[],
        Epoch::Week => &[Grain::Week],
        Epoch::Month => &[Grain::Month],
        Epoch::Never => &Grain::ALL,
    }
}

/// What the manifest says of the period tables under `epoch`.
pub(super) fn note(epoch: Epoch) -> String {
    match epoch {
        Epoch::Day => "no weekly or monthly tables: pseudonyms rotate every day (key epoch `day`), so distinct visitors over a longer period cannot be counted, by design; a sum of daily rows counts a returning visitor once per day. A key epoch of `week`, `month` or `never` (policy `[keys] epoch`) allows them, at the cost of linking a visitor's days within that period".to_string(),
        Epoch::Week => "weekly tables (`*_weekly`, partitions `week=` of ISO weeks starting on Monday): exact distinct visitors per week, since pseudonyms rotate every week; no monthly tables, since a month spans several weeks' pseudonyms".to_string(),
        Epoch::Month => "monthly tables (`*_monthly`, partitions `month=`): exact distinct visitors per calendar month, since pseudonyms rotate every month; no weekly tables, since a week can span two months' pseudonyms".to_string(),
        Epoch::Never => "weekly and monthly tables (`*_weekly`, `*_monthly`): exact distinct visitors per ISO week and per calendar month, since pseudonyms never rotate".to_string(),
    }
}

/// The key epoch whose index names a grain's periods.
fn epoch_of(grain: Grain) -> Epoch {
    match grain {
        Grain::Week => Epoch::Week,
        Grain::Month => Epoch::Month,
    }
}

/// First day of the period of `grain` that holds `day`.
pub(super) fn start_of(grain: Grain, day: i32) -> i32 {
    let (_, index) = epoch_of(grain).index(i64::from(day) * time::DAY);
    let start = match grain {
        // Week `i` starts on day 7i − 3 (1970-01-01 was a Thursday).
        Grain::Week => index * 7 - 3,
        Grain::Month => {
            let month = u32::try_from(index.rem_euclid(12) + 1).unwrap_or(1);
            time::days_from_civil(index.div_euclid(12), month, 1)
        }
    };
    i32::try_from(start).unwrap_or(day)
}

/// First day after the period of `grain` starting on `start`.
fn end_of(grain: Grain, start: i32) -> i32 {
    match grain {
        Grain::Week => start.saturating_add(7),
        // 31 days after a month's first day is in the next month.
        Grain::Month => start_of(grain, start.saturating_add(31)),
    }
}

/// The partition name of a period: `week=YYYY-MM-DD` or `month=YYYY-MM-01`.
fn name(grain: Grain, start: i32) -> String {
    let day = time::format_day(start).unwrap_or_else(|| start.to_string());
    format!("{}={day}", grain.key())
}

/// The periods a run rebuilds, and the ones it cannot.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Periods whose days' partials are all in the state.
    rebuilt: BTreeSet<(Grain, i32)>,
    /// Periods with a day before retention's first kept day.
    incomplete: BTreeSet<(Grain, i32)>,
}

impl Plan {
    /// The periods of `epoch`'s grains that hold a day of `touched`.
    pub fn new(epoch: Epoch, touched: &BTreeSet<i32>, expired_before: Option<i32>) -> Plan {
        let mut plan = Plan::default();
        for &grain in grains(epoch) {
            for &day in touched {
                let start = start_of(grain, day);
                match expired_before.is_some_and(|first| start < first) {
                    true => plan.incomplete.insert((grain, start)),
                    false => plan.rebuilt.insert((grain, start)),
                };
            }
        }
        plan
    }

    /// The days of `stored` that fall in a period to rebuild.
    pub fn days_needed(&self, stored: &BTreeSet<i32>) -> BTreeSet<i32> {
        let mut days = BTreeSet::new();
        for &(grain, start) in &self.rebuilt {
            days.extend(stored.range(start..end_of(grain, start)).copied());
        }
        days
    }
}

/// A period being gathered.
struct Open {
    start: i32,
    aggregate: PeriodAggregate,
    labels: Labels,
}

/// Gathers the days of the planned periods, fed in order, and publishes
/// each period once its last day has passed.
pub(super) struct Builder<'a> {
    plan: Plan,
    policy: &'a Policy,
    open: BTreeMap<Grain, Open>,
    published: Vec<(Grain, i32)>,
}

impl<'a> Builder<'a> {
    /// A builder of the periods of `plan`.
    pub fn new(plan: Plan, policy: &'a Policy) -> Builder<'a> {
        Builder {
            plan,
            policy,
            open: BTreeMap::new(),
            published: Vec::new(),
        }
    }

    /// Adds a day's canonical partial to its periods that are rebuilt;
    /// days must come in ascending order. A period the day leaves behind
    /// is published through `emit` (called with the period's first day),
    /// whose results are pushed onto `out`.
    pub fn feed<R>(
        &mut self,
        part: &DayPartial,
        emit: &impl Fn(i32, Result<Table, String>) -> R,
        out: &mut Vec<R>,
    ) {
        for &(grain, start) in &self.plan.rebuilt {
            if start_of(grain, part.day) != start {
                continue;
            }
            if self.open.get(&grain).is_some_and(|o| o.start != start)
                && let Some(done) = self.open.remove(&grain)
            {
                self.published.push((grain, done.start));
                out.extend(publish(grain, done, self.policy, emit));
            }
            let open = self.open.entry(grain).or_insert_with(|| Open {
                start,
                aggregate: PeriodAggregate::new(),
                labels: Labels::default(),
            });
            open.aggregate.import(&mut open.labels, part, start);
        }
    }

    /// Publishes the periods still open; says what was published and what
    /// could not be.
    pub fn finish<R>(
        mut self,
        epoch: Epoch,
        emit: &impl Fn(i32, Result<Table, String>) -> R,
        out: &mut Vec<R>,
    ) -> PeriodsReport {
        for (grain, open) in std::mem::take(&mut self.open) {
            self.published.push((grain, open.start));
            out.extend(publish(grain, open, self.policy, emit));
        }
        self.published.sort();
        let names = |set: &mut dyn Iterator<Item = &(Grain, i32)>| -> Vec<String> {
            set.map(|&(g, s)| name(g, s)).collect()
        };
        PeriodsReport {
            grains: grains(epoch).iter().map(|g| g.key()).collect(),
            note: note(epoch),
            published: names(&mut self.published.iter()),
            incomplete: names(&mut self.plan.incomplete.iter()),
        }
    }
}

/// The tables of one gathered period.
fn publish<R>(
    grain: Grain,
    open: Open,
    policy: &Policy,
    emit: &impl Fn(i32, Result<Table, String>) -> R,
) -> Vec<R> {
    let start = open.start;
    open.aggregate
        .into_tables(open.labels, grain.tables(), policy, |t| emit(start, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_monday_and_on_the_first() {
        let day = |s: &str| time::parse_day(s).unwrap();
        // 2026-03-23 is a Monday.
        for d in ["2026-03-23", "2026-03-25", "2026-03-29"] {
            assert_eq!(start_of(Grain::Week, day(d)), day("2026-03-23"), "{d}");
        }
        assert_eq!(start_of(Grain::Week, day("2026-03-30")), day("2026-03-30"));
        assert_eq!(start_of(Grain::Week, day("1970-01-01")), day("1969-12-29"));
        assert_eq!(start_of(Grain::Month, day("2024-02-29")), day("2024-02-01"));
        assert_eq!(start_of(Grain::Month, day("1969-12-31")), day("1969-12-01"));
        assert_eq!(end_of(Grain::Month, day("2024-02-01")), day("2024-03-01"));
        assert_eq!(end_of(Grain::Month, day("2026-01-01")), day("2026-02-01"));
        assert_eq!(end_of(Grain::Week, day("2026-03-23")), day("2026-03-30"));
        assert_eq!(name(Grain::Month, day("2026-03-01")), "month=2026-03-01");
    }

    #[test]
    fn the_epoch_decides_the_grains_and_retention_the_complete_periods() {
        let day = |s: &str| time::parse_day(s).unwrap();
        assert!(grains(Epoch::Day).is_empty());
        assert_eq!(grains(Epoch::Never), &Grain::ALL);
        let touched = BTreeSet::from([day("2026-03-24"), day("2026-03-31")]);
        let plan = Plan::new(Epoch::Week, &touched, Some(day("2026-03-25")));
        assert_eq!(
            plan.incomplete,
            BTreeSet::from([(Grain::Week, day("2026-03-23"))])
        );
        assert_eq!(
            plan.rebuilt,
            BTreeSet::from([(Grain::Week, day("2026-03-30"))])
        );
        let stored: BTreeSet<i32> = (day("2026-03-20")..day("2026-04-10")).collect();
        let needed = plan.days_needed(&stored);
        assert_eq!(needed, (day("2026-03-30")..day("2026-04-06")).collect());
        assert!(Plan::new(Epoch::Day, &touched, None).rebuilt.is_empty());
    }
}
