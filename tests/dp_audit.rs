//! Statistical tests of the differential-privacy release of `web_pages`
//! (issue 20), through the library's public API: logs are veiled and
//! aggregated as the pipeline does, then released by
//! `WebAggregate::into_dp_releases` many times over. Each release draws
//! fresh OpenDP noise (there is no seed to fix), so the tests are
//! statistical: every check is a Chernoff bound chosen so that a correct
//! mechanism fails a test with probability below 1e-6, and each says how.
//!
//! - [`empirical_privacy_audit`]: two neighbouring logs, with and without
//!   a victim who reads one rare page and one common page. The rare page
//!   is published no more often than δ allows, and every outcome bucket
//!   of the common page's visitor count has P_A <= e^ε P_B + δ both ways.
//!   The same audit must reject a broken mechanism (negative control).
//! - [`rare_page_rate_matches_delta`]: at a δ large enough to measure,
//!   the rare page's publication rate is within δ and equals the exact
//!   discrete-Laplace tail at the reported threshold and scale.
//! - [`one_heavy_visitor_moves_values_only_within_the_bounds`]: a visitor
//!   with 10,000 requests over 500 pages changes at most `max_rows`
//!   pages, each by at most one visitor and `max_requests` requests.
//! - [`bounding_keeps_each_persons_top_rows`]: the bounding itself, on
//!   the release engine with noise too small to ever show.
//!
//! The Chernoff (Kullback-Leibler) bound used throughout: for
//! X ~ Binomial(n, p) and k/n >= p, P(X >= k) <= exp(-n KL(k/n || p)),
//! and the same below p. It is exact, not asymptotic, and much tighter
//! than Hoeffding's for small probabilities.
//!
//! Cost (debug build, 2 cores): a release of these logs takes about
//! 8 ms, of which OpenDP's calibration in `TableMechanism::new` is about
//! 5 ms, so the sample sizes below are what fits in CI time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use logveil::aggregate::web::WebAggregate;
use logveil::aggregate::web::dp::DpRelease;
use logveil::formats::{RawRecord, Request};
use logveil::privacy::disclosure::dp::noise::Mechanism;
use logveil::privacy::disclosure::dp::{
    Bounds, Contributions, DpNote, Dropped, TableMechanism, release,
};
use logveil::privacy::key::{Key, KeyMode};
use logveil::privacy::policy::{DpTablePolicy, Policy};
use logveil::privacy::{Labels, Veil, VeilConfig};

/// The whole file's budget for a false failure is 1e-6 per test; each
/// test splits it over its checks (union bound).
const FALSE_FAILURE: f64 = 1e-6;

/// Midnight (UTC) of the one day every log is about.
const DAY0: i64 = 19_800 * 86_400;

/// One visitor reading one page some number of times: (visitor, path,
/// requests).
type Read = (u32, String, u32);

/// A veil shared by the logs of a test, so a visitor of both logs has the
/// same pseudonym in each (as in two runs with one key).
fn veil() -> Veil {
    let key = Key::generate(KeyMode::Ephemeral).expect("a key");
    Veil::new(Arc::new(key), VeilConfig::default())
}

/// The counting aggregate of `reads`, all on one day, and its labels.
/// Visitor `v` is the address 10.v2.v1.v0 (the default policy keeps whole
/// addresses, so each is its own person).
fn aggregate(veil: &Veil, reads: &[Read]) -> (WebAggregate, Labels) {
    let mut worker = veil.worker();
    let mut agg = WebAggregate::new(1800).counting();
    let mut t = 0i64;
    for (who, path, n) in reads {
        let client = format!("10.{}.{}.{}", who >> 16 & 255, who >> 8 & 255, who & 255);
        for _ in 0..*n {
            t += 1;
            let raw = RawRecord {
                client: client.as_bytes(),
                user: None,
                // Spread over the day, never past it.
                time: DAY0 + (t * 37) % 86_000,
                request: Request::Http {
                    method: b"GET",
                    target: path.as_bytes(),
                    protocol: b"HTTP/1.1",
                },
                status: 200,
                bytes: 1000,
                referer: None,
                user_agent: Some(b"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Firefox/120.0"),
                vhost: None,
                forwarded_for: None,
                duration_us: None,
            };
            agg.add(worker.apply(&raw));
        }
    }
    (agg, worker.into_labels())
}

/// A DP policy releasing `web_pages` only, with the whole day's budget.
fn policy(epsilon: f64, delta: f64, people_share: f64, max_rows: u32, max_requests: u32) -> Policy {
    let mut policy = Policy::default();
    policy.dp.mechanism = Mechanism::Laplace;
    policy.dp.enabled = true;
    policy.dp.epsilon = epsilon;
    policy.dp.delta = delta;
    policy.dp.people_share = people_share;
    policy.dp.max_epsilon_per_day = Some(epsilon);
    policy.dp.tables.clear();
    policy.dp.tables.insert(
        "web_pages".into(),
        DpTablePolicy::new(1.0, max_rows, max_requests),
    );
    policy
}

/// One fresh release of `web_pages` from (a copy of) `agg`.
fn release_pages(agg: &WebAggregate, labels: &Labels, policy: &Policy) -> DpRelease {
    let mut out = agg
        .clone()
        .into_dp_releases(Vec::new(), labels, policy)
        .expect("a release");
    assert_eq!(out.len(), 1, "only web_pages is listed");
    let pages = out.remove(0);
    assert_eq!(pages.spec.name, "web_pages");
    pages
}

/// The released (visitors, requests) of `path`, if published.
fn published(r: &DpRelease, path: &str) -> Option<(u64, u64)> {
    r.rows
        .iter()
        .find(|row| row.key.first().map(String::as_str) == Some(path))
        .map(|row| (row.visitors, row.requests))
}

// ---------------------------------------------------------------------
// Statistics: Chernoff bounds.

/// KL(p || q) of two Bernoulli distributions, with 0 ln 0 = 0.
fn kl(p: f64, q: f64) -> f64 {
    let term = |x: f64, y: f64| if x <= 0.0 { 0.0 } else { x * (x / y).ln() };
    term(p, q) + term(1.0 - p, 1.0 - q)
}

/// Upper confidence bound on p after `k` successes in `n` trials: the
/// largest q >= k/n with n KL(k/n || q) <= ln(1/alpha). By the Chernoff
/// bound, p exceeds it with probability at most `alpha`.
fn upper(k: u64, n: u64, alpha: f64) -> f64 {
    kl_bound(k, n, alpha, 1.0)
}

/// Lower confidence bound on p: the smallest q <= k/n with
/// n KL(k/n || q) <= ln(1/alpha). p is below it with probability at most
/// `alpha`.
fn lower(k: u64, n: u64, alpha: f64) -> f64 {
    kl_bound(k, n, alpha, 0.0)
}

/// The q between k/n and `end` (0 or 1) farthest from k/n with
/// n KL(k/n || q) <= ln(1/alpha), by bisection (KL grows away from k/n).
fn kl_bound(k: u64, n: u64, alpha: f64, end: f64) -> f64 {
    let (p, budget) = (k as f64 / n as f64, (1.0 / alpha).ln());
    // `near` stays within the budget, `far` past it.
    let (mut near, mut far) = (p, end);
    for _ in 0..100 {
        let mid = (near + far) / 2.0;
        if n as f64 * kl(p, mid) <= budget {
            near = mid;
        } else {
            far = mid;
        }
    }
    far
}

/// `x` such that the means of two samples of `n` independent discrete
/// Laplace noises of `scale` (P(Z = z) ∝ exp(-|z| / scale), OpenDP's
/// definition) differ by `x` or more with probability at most `alpha`.
///
/// Chernoff: the difference is a sum of 2n such noises (the noise is
/// symmetric) over n, so P(|D| >= x) <= 2 exp(2n ln M(t) - n t x) for
/// every 0 < t < 1/scale, with M(t) = (1-a)² / ((1 - a e^t)(1 - a e^-t)),
/// a = e^(-1/scale), the noise's moment generating function. The best t
/// on a fine grid gives x.
fn mean_tolerance(scale: f64, n: u64, alpha: f64) -> f64 {
    let a = (-1.0 / scale).exp();
    let n = n as f64;
    let ln_m =
        |t: f64| 2.0 * (1.0 - a).ln() - (1.0 - a * t.exp()).ln() - (1.0 - a * (-t).exp()).ln();
    (1..1000)
        .map(|i| f64::from(i) / 1000.0 / scale)
        .map(|t| (2.0 * n * ln_m(t) + (2.0 / alpha).ln()) / (n * t))
        .fold(f64::INFINITY, f64::min)
}

// ---------------------------------------------------------------------
// The audit.

/// A release's outcome for the audited page: its noisy visitor count, or
/// `None` when it was not published.
type Outcome = Option<u64>;

/// Outcome buckets: "not published", two open tails and `inner` buckets
/// of `width` from `from`.
#[derive(Debug, Clone, Copy)]
struct Buckets {
    from: u64,
    width: u64,
    inner: u64,
}

impl Buckets {
    fn count(&self) -> usize {
        self.inner as usize + 3
    }

    fn of(&self, o: Outcome) -> usize {
        match o {
            None => 0,
            Some(v) if v < self.from => 1,
            Some(v) => 2 + ((v - self.from) / self.width).min(self.inner) as usize,
        }
    }

    fn name(&self, b: usize) -> String {
        match b {
            0 => "not published".into(),
            1 => format!("< {}", self.from),
            b if b as u64 == self.inner + 2 => {
                format!(">= {}", self.from + self.inner * self.width)
            }
            b => {
                let lo = self.from + (b as u64 - 2) * self.width;
                format!("[{lo}, {})", lo + self.width)
            }
        }
    }
}

/// What an audit measured.
#[derive(Debug)]
struct AuditReport {
    /// One line per bucket: counts, estimates and bounds.
    table: Vec<String>,
    /// Largest |ln(p̂_A / p̂_B)| over buckets with at least 30 outcomes in
    /// each sample: a point estimate of the privacy loss seen.
    loss_seen: f64,
    /// A lower bound, at the audit's confidence, on the ε the mechanism
    /// spends: max over buckets of ln((L_x - δ) / U_y).
    epsilon_lower: f64,
}

/// Audits (ε, δ) on the outcomes of two neighbouring inputs: for every
/// bucket, P_A <= e^ε P_B + δ and P_B <= e^ε P_A + δ, where each
/// probability is replaced by its Chernoff confidence bound (the lower one
/// on the left, the upper one on the right). Every one of the 4 × buckets
/// one-sided bounds holds with probability 1 - `alpha` / (4 × buckets),
/// so a mechanism that is (ε, δ)-DP fails with probability at most
/// `alpha`. Fails (Err, with the table) when some bucket violates it.
fn audit(
    a: &[Outcome],
    b: &[Outcome],
    buckets: Buckets,
    epsilon: f64,
    delta: f64,
    alpha: f64,
) -> Result<AuditReport, String> {
    let tally = |s: &[Outcome]| {
        let mut c = vec![0u64; buckets.count()];
        for &o in s {
            c[buckets.of(o)] += 1;
        }
        c
    };
    let (ca, cb) = (tally(a), tally(b));
    let (na, nb) = (a.len() as u64, b.len() as u64);
    let each = alpha / (4 * buckets.count()) as f64;
    let mut report = AuditReport {
        table: Vec::new(),
        loss_seen: 0.0,
        epsilon_lower: 0.0,
    };
    let mut violations = Vec::new();
    for i in 0..buckets.count() {
        let (la, ua) = (lower(ca[i], na, each), upper(ca[i], na, each));
        let (lb, ub) = (lower(cb[i], nb, each), upper(cb[i], nb, each));
        let (pa, pb) = (ca[i] as f64 / na as f64, cb[i] as f64 / nb as f64);
        let ratio = if ca[i] >= 30 && cb[i] >= 30 {
            let r = pa / pb;
            report.loss_seen = report.loss_seen.max(r.ln().abs());
            format!("{r:.3}")
        } else {
            "-".into()
        };
        for (l, u) in [(la, ub), (lb, ua)] {
            if l > delta {
                report.epsilon_lower = report.epsilon_lower.max(((l - delta) / u).ln());
            }
        }
        report.table.push(format!(
            "{:>14}: A {:>5} ({la:.4}..{ua:.4})  B {:>5} ({lb:.4}..{ub:.4})  p̂A/p̂B {ratio}",
            buckets.name(i),
            ca[i],
            cb[i],
        ));
        let bound = epsilon.exp();
        if la > bound * ub + delta || lb > bound * ua + delta {
            violations.push(buckets.name(i));
        }
    }
    if violations.is_empty() {
        Ok(report)
    } else {
        Err(format!(
            "buckets {violations:?} break (ε = {epsilon}, δ = {delta:e}):\n{}",
            report.table.join("\n")
        ))
    }
}

// ---------------------------------------------------------------------
// The neighbouring logs.

const COMMON: &str = "/common";
const RARE: &str = "/rare";
const VICTIM: u32 = 100_000;

/// The base population: 400 visitors. Every second one reads the common
/// page three times (so it is always among their two most read rows and
/// survives `max_rows = 2`); each also reads one to five of twenty other
/// pages once or twice.
fn base() -> Vec<Read> {
    let mut reads = Vec::new();
    for v in 0..400u32 {
        if v % 2 == 0 {
            reads.push((v, COMMON.to_string(), 3));
        }
        for j in 0..=v % 5 {
            reads.push((v, format!("/p{}", (v * 7 + j * 3) % 20), 1 + (v + j) % 2));
        }
    }
    reads
}

/// The victim: the rare page (nobody else's) three times, the common page
/// once.
fn victim() -> Vec<Read> {
    vec![
        (VICTIM, RARE.to_string(), 3),
        (VICTIM, COMMON.to_string(), 1),
    ]
}

/// Releases `agg` `n` times: the common page's outcomes, how often the
/// rare page was published, and the last release's note.
fn outcomes(
    agg: &WebAggregate,
    labels: &Labels,
    policy: &Policy,
    n: usize,
) -> (Vec<Outcome>, u64, DpNote) {
    let mut common = Vec::with_capacity(n);
    let mut rare = 0;
    let mut note = DpNote::default();
    for _ in 0..n {
        let r = release_pages(agg, labels, policy);
        common.push(published(&r, COMMON).map(|(v, _)| v));
        rare += u64::from(published(&r, RARE).is_some());
        note = r.note;
    }
    (common, rare, note)
}

/// Empirical (ε, δ) audit of the common page's visitor count and of the
/// rare page's publication, on neighbouring logs A (base + victim) and B
/// (base).
///
/// Configuration: ε = 1, δ = 1e-5 (the defaults), `web_pages` with the
/// whole budget, and bounds `max_rows = 2`, `max_requests = 5`. Two rows
/// is what the victim uses, so nothing of theirs is dropped (the worst
/// case), and a small `max_rows` gives a small noise scale (2 / 0.9 ≈
/// 2.2): the victim's one visitor then moves the common page's count by
/// about half a scale, a privacy loss of about 0.45 on this page alone,
/// which the buckets can see. (At the default `max_rows = 15` the scale
/// is 17 and the common page's count is mostly under the threshold; the
/// loss on one page would be 0.06, invisible to any sample CI can afford.)
///
/// Samples: 2,000 releases of each log (about 35 s of a debug build).
#[test]
fn empirical_privacy_audit() {
    audit_neighbours(Mechanism::Laplace);
}

/// The same audit under Gaussian noise, the default of `web_pages`.
#[test]
fn empirical_privacy_audit_gaussian() {
    audit_neighbours(Mechanism::Gaussian);
}

/// The audit of [`empirical_privacy_audit`] under `mechanism`.
fn audit_neighbours(mechanism: Mechanism) {
    const N: usize = 2_000;
    let veil = veil();
    let b_reads = base();
    let a_reads: Vec<Read> = b_reads.iter().cloned().chain(victim()).collect();
    let (agg_a, labels_a) = aggregate(&veil, &a_reads);
    let (agg_b, labels_b) = aggregate(&veil, &b_reads);
    let mut policy = policy(1.0, 1e-5, 0.9, 2, 5);
    policy.dp.mechanism = mechanism;

    let (a, rare_a, note) = outcomes(&agg_a, &labels_a, &policy, N);
    let (b, rare_b, _) = outcomes(&agg_b, &labels_b, &policy, N);
    assert_eq!(rare_b, 0, "nobody reads the rare page in log B");
    assert!(
        note.epsilon <= 1.0 && note.delta <= 1e-5,
        "spent what was asked: {note:?}"
    );

    // Half the budget for the rare page, half for the buckets.
    let alpha = FALSE_FAILURE / 2.0;

    // The rare page: one person, count 1. It is published with
    // probability at most δ (in fact δ / max_rows: δ is spread over the
    // rows one person touches). With N δ ≈ 0.01 it is almost never seen;
    // the check is that the count seen is consistent with a rate <= δ:
    // the Chernoff lower confidence bound on the rate stays <= δ, which
    // fails for a correct mechanism with probability <= alpha (at δ spent
    // ≈ 6.5e-6 it allows at most 3 publications in 2,000, where a
    // threshold of 0 would publish all 2,000). `rare_page_rate_matches_delta`
    // measures the rate itself at a δ large enough to see.
    let rate_lower = lower(rare_a, N as u64, alpha);
    let allowed = (0..=N as u64)
        .take_while(|&k| lower(k, N as u64, alpha) <= note.delta)
        .last()
        .unwrap_or(0);
    eprintln!(
        "rare page: published {rare_a} of {N} (δ spent {:e}, threshold {}; at most {allowed} allowed)",
        note.delta, note.threshold
    );
    assert!(
        rate_lower <= note.delta,
        "the rare page was published {rare_a} times in {N}: more than δ = {:e} allows",
        note.delta
    );

    // The common page: true counts 200 (B) and 201 (A), always above the
    // threshold (about 28). Buckets of width ceil(scale) = 3 from 185 to
    // 218, plus the tails and "not published"; 14 buckets in all.
    let truth = a_reads
        .iter()
        .filter(|(v, p, _)| p == COMMON && *v != VICTIM)
        .count() as u64;
    let width = note.visitors_scale.ceil() as u64;
    let buckets = Buckets {
        from: truth - 5 * width,
        width,
        inner: 11,
    };
    let report = audit(&a, &b, buckets, note.epsilon, note.delta, alpha)
        .unwrap_or_else(|e| panic!("the audit failed:\n{e}"));
    eprintln!(
        "common page, {N} releases each:\n{}",
        report.table.join("\n")
    );
    eprintln!(
        "largest |ln(p̂A/p̂B)| {:.3} (expected about 1 / scale = {:.3}); ε >= {:.3} at confidence 1 - {alpha:e}",
        report.loss_seen,
        1.0 / note.visitors_scale,
        report.epsilon_lower
    );

    // Negative control: the same audit must reject a mechanism that leaks.
    // Twenty victims instead of one (A's published counts moved up by 19,
    // as if the victim counted 20 times) is a loss of about 19 / 2.2 ≈ 8.6,
    // far past ε = 1. The top bucket (>= 218) then holds about 80% of the
    // shifted outcomes (lower bound near 0.75) and about 2e-4 of B's
    // (upper bound near 0.01, times e: 0.03), so a miss would need some
    // thirty standard deviations of sampling error: it cannot happen.
    let leaky: Vec<Outcome> = a.iter().map(|o| o.map(|v| v + 19)).collect();
    let rejected = audit(&leaky, &b, buckets, note.epsilon, note.delta, alpha);
    assert!(
        rejected.is_err(),
        "the audit passed a mechanism with a privacy loss near 8.6:\n{}",
        rejected.map(|r| r.table.join("\n")).unwrap_or_default()
    );
    // How small a leak this sample size can see (reported, not asserted).
    let seen = (1..=19)
        .find(|&shift| {
            let leaky: Vec<Outcome> = a.iter().map(|o| o.map(|v| v + shift)).collect();
            audit(&leaky, &b, buckets, note.epsilon, note.delta, alpha).is_err()
        })
        .unwrap_or(0);
    eprintln!(
        "negative control: rejected at 20 victims; the smallest shift rejected is {seen} visitors ({} victims)",
        seen + 1
    );
}

/// The rare page's publication rate, at a δ large enough to measure in CI.
///
/// Configuration: ε = 1, δ = 0.05, `max_rows = 1`. At δ = 1e-5 a rate of
/// δ would need millions of releases to see; at 0.05 a few thousand
/// measure it. (δ = 0.05 is far above what the policy file accepts, below
/// 1e-3, but the release engine takes it: this is a test of the
/// mechanism, not a setting to use.) With `max_rows = 1` the victim's one
/// kept row is the rare page (three requests against one) and the whole
/// δ is on it, so its rate should be δ itself: OpenDP's threshold keeps
/// noisy counts >= T, and the count 1 passes when the discrete Laplace
/// noise is >= T - 1, which has probability a^(T-1) / (1 + a) with
/// a = e^(-1/scale). That is the δ the engine reports (it corrects
/// OpenDP 0.16's map, which counts only noise strictly above T - 1 and
/// would report e^0.9 ≈ 2.5 times less: opendp/opendp#2922).
///
/// Checks, at false-failure probability 1e-6 in all (Chernoff):
/// the rate is within δ (one-sided, the guarantee), and it is the exact
/// tail above (two-sided, which catches a threshold one off either way:
/// each step multiplies the rate by about 2.5). Samples: 3,000 releases
/// (about 15 s in a debug build): the rate, about 0.048, gives about 143
/// publications, and counts from 85 to 211 pass; a rate 2.5 times lower
/// (58 expected, 3.6 standard deviations below 85) or higher (350) fails.
#[test]
fn rare_page_rate_matches_delta() {
    const N: u64 = 3_000;
    let veil = veil();
    let reads: Vec<Read> = base().into_iter().chain(victim()).collect();
    let (agg, labels) = aggregate(&veil, &reads);
    let policy = policy(1.0, 0.05, 0.9, 1, 5);
    let (_, seen, note) = outcomes(&agg, &labels, &policy, N as usize);
    let a = (-1.0 / note.visitors_scale).exp();
    let exact = a.powi(note.threshold as i32 - 1) / (1.0 + a);
    let alpha = FALSE_FAILURE / 3.0;
    let (lo, hi) = (lower(seen, N, alpha), upper(seen, N, alpha));
    eprintln!(
        "rare page at δ = 0.05, max_rows 1: published {seen} of {N} = {:.4}; \
         δ spent {:.4}, exact rate {exact:.4} (threshold {}, scale {:.3}); rate in {lo:.4}..{hi:.4}",
        seen as f64 / N as f64,
        note.delta,
        note.threshold,
        note.visitors_scale
    );
    assert!(
        lo <= note.delta,
        "published {seen} times in {N}: more than δ = {} allows",
        note.delta
    );
    assert!(
        lo <= exact && exact <= hi,
        "published {seen} times in {N}, but the exact rate is {exact}"
    );
}

/// What bounding drops of `reads`, computed here independently: per
/// person, the `max_rows` rows with the most requests are kept, each
/// counting at most `max_requests`.
fn expected_dropped(reads: &[Read], bounds: Bounds) -> Dropped {
    let mut by_person: BTreeMap<u32, BTreeMap<&str, u64>> = BTreeMap::new();
    for (v, p, n) in reads {
        *by_person.entry(*v).or_default().entry(p).or_default() += u64::from(*n);
    }
    let mut d = Dropped::default();
    for rows in by_person.values() {
        let mut n: Vec<u64> = rows.values().copied().collect();
        n.sort_unstable_by(|x, y| y.cmp(x));
        for (i, &n) in n.iter().enumerate() {
            if i < bounds.max_rows as usize {
                d.requests += n.saturating_sub(u64::from(bounds.max_requests));
            } else {
                d.rows += 1;
                d.requests += n;
            }
        }
    }
    d
}

/// One visitor with 10,000 requests over 500 pages moves the released
/// values only within the bounds.
///
/// Logs: a base population of 300 visitors reading four to eight of 20
/// common pages, two to seven times each (so `max_requests` = 5 clips
/// some, `max_rows` = 15 none); the heavy visitor reads those 20 pages 400
/// to 419 times each (8,190 requests) and 480 pages of their own 3 or 4
/// times (1,810). Bounds are the defaults (15 rows, 5 requests): the
/// heavy visitor keeps the 15 common pages they read most (the bound
/// chooses by their own requests; the counts differ, so there are no
/// random ties) and counts 5 requests in each.
///
/// ε is 60 (people_share 0.5) on purpose: the bounds do not depend on ε,
/// and small noise (scales 0.5 for visitors, 2.5 for requests) lets a
/// change of a single visitor show in the mean of 200 releases (about 4 s
/// in a debug build). The common pages have some 90 visitors and twice as
/// many requests or more, over a hundred scales above the threshold (about
/// 8) and above the clamp of requests to at least visitors, so every
/// common page is published with exactly count + noise in every release
/// (the chance otherwise is below e^-40).
///
/// Checks (false failure <= 1e-6 in all: 20 pages × 2 measures, each
/// Chernoff bound on the difference of two means at 1e-6 / 40):
/// - each page's mean visitors differ by at most 1, and its mean requests
///   by at most `max_requests`, plus the noise tolerance;
/// - the pages whose mean visitors moved beyond the tolerance are exactly
///   the heavy visitor's 15 most read (a change of 1 against a tolerance
///   of about 0.37, so a row bound that let more rows through would show);
/// - `DpNote.dropped` grows by exactly the heavy visitor's dropped rows
///   (485) and requests (10,000 - 15 × 5).
#[test]
fn one_heavy_visitor_moves_values_only_within_the_bounds() {
    const N: u64 = 200;
    const HEAVY: u32 = 200_000;
    let bounds = Bounds {
        max_rows: 15,
        max_requests: 5,
    };
    let mut base = Vec::new();
    for v in 0..300u32 {
        for j in 0..4 + v % 5 {
            base.push((v, format!("/c{}", (v + j * 7) % 20), 2 + (v + j) % 6));
        }
    }
    let mut heavy: Vec<Read> = (0..20u32)
        .map(|j| (HEAVY, format!("/c{j}"), 400 + j))
        .collect();
    heavy.extend((0..480u32).map(|j| (HEAVY, format!("/own{j}"), if j < 370 { 4 } else { 3 })));
    assert_eq!(heavy.iter().map(|r| r.2).sum::<u32>(), 10_000);
    assert_eq!(heavy.len(), 500);
    let with: Vec<Read> = base.iter().cloned().chain(heavy.iter().cloned()).collect();

    let veil = veil();
    let (agg_with, labels_with) = aggregate(&veil, &with);
    let (agg_base, labels_base) = aggregate(&veil, &base);
    let policy = policy(60.0, 1e-5, 0.5, bounds.max_rows, bounds.max_requests);

    // Mean released (visitors, requests) per page over N releases; a page
    // left out of a release counts 0 there.
    let means = |agg: &WebAggregate, labels: &Labels| {
        let mut sums: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        let mut note = DpNote::default();
        for _ in 0..N {
            let r = release_pages(agg, labels, &policy);
            for row in &r.rows {
                let s = sums.entry(row.key[0].clone()).or_default();
                s.0 += row.visitors as f64 / N as f64;
                s.1 += row.requests as f64 / N as f64;
            }
            note = r.note;
        }
        (sums, note)
    };
    let (m_with, note_with) = means(&agg_with, &labels_with);
    let (m_base, note_base) = means(&agg_base, &labels_base);

    // Bounding is deterministic: the notes say exactly what it dropped.
    assert_eq!(note_base.dropped, expected_dropped(&base, bounds));
    assert_eq!(note_with.dropped, expected_dropped(&with, bounds));
    assert_eq!(
        note_with.dropped.rows - note_base.dropped.rows,
        500 - u64::from(bounds.max_rows)
    );
    assert_eq!(
        note_with.dropped.requests - note_base.dropped.requests,
        10_000 - u64::from(bounds.max_rows * bounds.max_requests)
    );

    let alpha = FALSE_FAILURE / 40.0;
    let tol_v = mean_tolerance(note_with.visitors_scale, N, alpha);
    let tol_r = mean_tolerance(note_with.requests_scale, N, alpha);
    let pages: BTreeSet<&String> = m_with.keys().chain(m_base.keys()).collect();
    assert!(
        pages.iter().all(|p| p.starts_with("/c")),
        "only the common pages pass the threshold: {pages:?}"
    );
    let mut moved = BTreeSet::new();
    let mut report = Vec::new();
    for p in &pages {
        let (vw, rw) = m_with.get(*p).copied().unwrap_or_default();
        let (vb, rb) = m_base.get(*p).copied().unwrap_or_default();
        let (dv, dr) = (vw - vb, rw - rb);
        report.push(format!("{p}: Δvisitors {dv:+.3}, Δrequests {dr:+.2}"));
        assert!(
            dv.abs() <= 1.0 + tol_v,
            "{p}: mean visitors moved by {dv} (bound 1 + tolerance {tol_v})"
        );
        assert!(
            dr.abs() <= f64::from(bounds.max_requests) + tol_r,
            "{p}: mean requests moved by {dr} (bound {} + tolerance {tol_r})",
            bounds.max_requests
        );
        if dv.abs() > tol_v {
            moved.insert(p.to_string());
        }
    }
    eprintln!(
        "heavy visitor, {N} releases each (tolerances: visitors {tol_v:.3}, requests {tol_r:.3}):\n{}",
        report.join("\n")
    );
    assert!(moved.len() <= bounds.max_rows as usize, "moved: {moved:?}");
    let top: BTreeSet<String> = (5..20).map(|j| format!("/c{j}")).collect();
    assert_eq!(
        moved, top,
        "the heavy visitor counts in their 15 most read pages"
    );
}

/// The bounding itself, on the release engine: one person's rows with
/// requests 1, 9, 4, 6, 2, 8, 3 under `max_rows = 3` keep the rows of 9,
/// 8 and 6 requests, each counting `max_requests = 5`. Four other people
/// read each row once (and nothing else, so nothing of theirs is
/// dropped), so every row (of at least 4 people) reaches the
/// threshold (3: OpenDP's smallest for these bounds). ε = 1e6
/// makes the noise scales about 1e-5, so noise is 0 except with
/// probability about e^-100000: the release is the bounded counts exactly.
#[test]
fn bounding_keeps_each_persons_top_rows() {
    let person0 = [1u32, 9, 4, 6, 2, 8, 3];
    let (mut starts, mut people, mut requests) = (vec![0], Vec::new(), Vec::new());
    for (r, n) in (0u32..).zip(person0) {
        let others = 1 + 4 * r;
        people.extend([0, others, others + 1, others + 2, others + 3]);
        requests.extend([n, 1, 1, 1, 1]);
        starts.push(people.len());
    }
    let rows = Contributions::new((0..7u32).collect(), starts, people, requests);
    let bounds = Bounds {
        max_rows: 3,
        max_requests: 5,
    };
    let m = TableMechanism::new(bounds, 1e6, 1e-5, 0.5, Mechanism::Laplace).expect("a mechanism");
    assert!(m.threshold() <= 4, "threshold {}", m.threshold());
    for salt in 0..20 {
        let (mut out, dropped) = release(&rows, |_| 0, |_| u64::MAX, &m, salt).expect("a release");
        out.sort_unstable();
        let expected: Vec<(u32, u64, u64)> = (0..7u32)
            .map(|r| match r {
                1 | 3 | 5 => (r, 5, 4 + 5),
                _ => (r, 4, 4),
            })
            .collect();
        assert_eq!(out, expected, "salt {salt}");
        assert_eq!(
            dropped,
            Dropped {
                rows: 4,
                // 1 + 4 + 2 + 3 in the rows dropped, 4 + 3 + 1 above 5.
                requests: 10 + 8,
            }
        );
    }
}
