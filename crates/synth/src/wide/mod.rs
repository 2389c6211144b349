//! Cardinality knobs: how many distinct clients, request targets, agents and
//! referrers a generated log holds, when the caller asks for a number.
//!
//! The default generator draws clients and pages from fixed Zipf laws, so
//! its cardinalities follow from the line count and nothing else. A
//! benchmark matrix needs to set them. Each knob is a [`Fresh`] schedule:
//! ids are introduced one by one at the pace that reaches the asked number
//! by the last line, and every draw that does not need a new id picks one
//! already seen from a Zipf-like law over them, so the early, popular ids
//! keep most of the traffic as in real logs. Distinct counts land on the
//! asked number as long as there are enough draws (sessions for clients and
//! agents, requests for targets, visit entries for referrers); the client
//! knob cuts visits short and the target knob takes over site-wide assets
//! when they fall behind, so even one client or target per line is
//! reachable. Referrers top out near the number of visits from elsewhere
//! (about a seventh of the lines).
//!
//! Trade-off: arrival of new ids is linear in the line position (no "launch
//! day" spikes), and a knob left unset draws nothing from the random
//! stream, which is what keeps the default output byte-identical.

pub(crate) mod agents;
pub(crate) mod paths;

use crate::rng::{Rng, Zipf};

/// A population of ids that grows on a schedule to `want` distinct ones.
#[derive(Clone, Debug)]
pub(crate) struct Fresh {
    want: u64,
    seen: u64,
    s: f64,
    zipf: Zipf,
}

impl Fresh {
    /// `want` distinct ids (at least one); repeat draws follow a power law of
    /// exponent `s` over the ids seen so far.
    pub(crate) fn new(want: u64, s: f64) -> Self {
        Self {
            want: want.max(1),
            seen: 0,
            s,
            zipf: Zipf::new(1, s),
        }
    }

    /// Distinct ids that should exist once a share `frac` of the file is written.
    pub(crate) fn due(&self, frac: f64) -> u64 {
        ((self.want as f64 * frac).ceil() as u64).min(self.want)
    }

    /// Distinct ids handed out so far.
    pub(crate) fn seen(&self) -> u64 {
        self.seen
    }

    /// Next id: a new one while behind the schedule, else a popular old one.
    pub(crate) fn draw(&mut self, rng: &mut Rng, frac: f64) -> u64 {
        if self.seen == 0 || self.seen < self.due(frac) {
            self.seen += 1;
            return self.seen - 1;
        }
        if self.zipf.n != self.seen {
            self.zipf = Zipf::new(self.seen, self.s);
        }
        self.zipf.sample(rng)
    }
}

/// The knobs a config turned on, with the share of the file written so far.
pub(crate) struct Wide {
    pub(crate) clients: Option<Fresh>,
    pub(crate) targets: Option<Fresh>,
    pub(crate) agents: Option<Fresh>,
    pub(crate) referrers: Option<Fresh>,
    pub(crate) ipv6_share: f64,
    /// Share of the lines written, in `(0, 1]`, updated before each line.
    pub(crate) frac: f64,
    /// Separates one seed's catalogue strings from another's.
    pub(crate) key: u64,
}

impl Wide {
    pub(crate) fn new(cfg: &super::GenConfig, key: u64) -> Self {
        // Exponents as the default laws use them: clients 0.9, pages 0.95.
        Self {
            clients: cfg.clients.map(|n| Fresh::new(n, 0.9)),
            targets: cfg.targets.map(|n| Fresh::new(n, 0.95)),
            agents: cfg.agents.map(|n| Fresh::new(n, 1.0)),
            referrers: cfg.referrers.map(|n| Fresh::new(n, 1.0)),
            ipv6_share: if cfg.ipv6_share.is_nan() {
                0.0
            } else {
                cfg.ipv6_share.clamp(0.0, 1.0)
            },
            frac: 0.0,
            key,
        }
    }

    /// Whether the client schedule is far enough behind that the visit in
    /// progress should end so a new client can arrive.
    pub(crate) fn clients_behind(&self, slack: u64) -> bool {
        self.clients
            .as_ref()
            .is_some_and(|f| f.seen() + slack < f.due(self.frac))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn fresh_reaches_the_asked_number_and_repeats_the_early_ids() {
        let mut f = Fresh::new(1000, 0.9);
        let mut rng = Rng::new(3);
        let draws = 20_000;
        let mut seen = HashSet::new();
        let mut first_ten = 0;
        for i in 0..draws {
            let id = f.draw(&mut rng, (i + 1) as f64 / draws as f64);
            first_ten += u32::from(id < 10);
            seen.insert(id);
        }
        assert_eq!(seen.len(), 1000);
        assert!(
            first_ten > draws / 10,
            "popular ids are drawn often: {first_ten}"
        );
    }
}
