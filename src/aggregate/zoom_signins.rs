//! The Zoom sign-ins table: events, people and networks per day, event
//! kind, client type and major version.

use crate::output::schema;
use crate::output::table::Table;
use crate::privacy::labels::OTHER;
use crate::privacy::policy::Policy;
use crate::privacy::zoom::VeiledSignIn;
use crate::time;

use super::columns::{days, int64, sorted, utf8};
use super::group::{Counters, DenseIds, Group};
use super::intern::Interner;

/// Counters of a sign-in row: events and the network pseudonyms seen.
#[derive(Debug, Default, Clone)]
struct SignInCounts {
    events: u64,
    networks: Vec<u64>,
}

impl Counters for SignInCounts {
    fn merge(&mut self, o: &Self) {
        self.events += o.events;
        self.networks.extend_from_slice(&o.networks);
    }
}

/// The sign-ins table of `signins`, sorted by time and user.
pub(super) fn signin_table(signins: &[VeiledSignIn], policy: &Policy) -> Result<Table, String> {
    let mut strings = Interner::default();
    let other = strings.intern(OTHER.into());
    type Key = (i32, u32, u32, u32);
    let mut group: Group<Key, SignInCounts> = Group::default();
    let mut ids = DenseIds::default();
    for s in signins {
        let key = (
            time::date32(s.time),
            strings.intern(s.kind.into()),
            strings.intern(s.client_type.clone().into()),
            strings.intern(s.version_major.clone().into()),
        );
        let (row, c) = group.row(key);
        c.events += 1;
        c.networks.extend(s.network.map(|n| n.value()));
        group.visit(row, ids.id(s.user));
    }
    let k = policy.suppression.k_for(schema::ZOOM_SIGNINS.name);
    let order =
        |k: &(i32, u32, u32, u32)| (k.0, strings.get(k.1), strings.get(k.2), strings.get(k.3));
    let (group, stats) = group.into_rows(None).fold(
        k,
        |key| key.0,
        |key| (key.0, other, other, other),
        |_| k,
        order,
    );
    let rows = sorted(group, order);
    let networks = |c: &SignInCounts| {
        let mut n = c.networks.clone();
        n.sort_unstable();
        n.dedup();
        n.len() as u64
    };
    Ok(Table::new(
        &schema::ZOOM_SIGNINS,
        vec![
            days(&rows, |k| k.0),
            utf8(&rows, |r| strings.get(r.0.1)),
            utf8(&rows, |r| strings.get(r.0.2)),
            utf8(&rows, |r| strings.get(r.0.3)),
            int64(&rows, |r| r.1.events),
            int64(&rows, |r| r.2),
            int64(&rows, |r| networks(&r.1)),
        ],
    )?
    .with_suppression(stats))
}
