//! The privacy boundary: everything that turns a [`RawRecord`] into a
//! [`VeiledRecord`].
//!
//! This folder is the whole privacy story; a reviewer can check it by
//! reading this module and the definition of [`VeiledRecord`]:
//!
//! - every setting comes from the [`policy`] file, whose defaults keep the
//!   institution's promises;
//! - the client (address or host name, or the right-most untrusted
//!   forwarded-for address behind a trusted proxy) is canonicalised ([`ip`])
//!   and replaced by a keyed BLAKE3 pseudonym ([`pseudonym`], [`key`]) whose
//!   subkey rotates per epoch; the on-campus flag is derived here too;
//! - ident and authuser are dropped;
//! - paths lose query strings and id-like segments; referrers keep only
//!   their host ([`url`]); search terms are cleaned and redacted ([`search`]);
//! - user agents become a coarse class ([`agent`]).
//!
//! Disclosure control ([`disclosure`]) runs later, when tables are built,
//! because it needs whole groups; its rule lives here with the rest of the
//! privacy story, and every table goes through it.
//!
//! [`VeiledRecord`] has no field that can hold a raw identifier: text
//! fields are [`LabelId`]s, which only this module can create, and the client
//! is a [`Pseudonym`]. Aggregators accept nothing else.

pub mod agent;
pub(crate) mod cache;
pub use cache::MemoStats;
pub mod disclosure;
pub mod ip;
pub mod key;
pub mod labels;
pub mod policy;
pub mod pseudonym;
pub mod request;
pub mod request_class;
pub mod search;
pub mod url;
pub mod zoom;

use crate::time::Calendar;
use std::collections::HashMap;
use std::sync::Arc;

use crate::formats::{RawRecord, Request};
use agent::ClientClass;
use cache::Memo;
use ip::Generalize;
use key::Key;
pub use labels::{ClassId, LabelId, Labels, Renumbering};
use policy::{Policy, VisitorIdentity};
use pseudonym::{Domain, Pseudonym, Pseudonymizer};
use request::{Method, Protocol};
use request_class::{RequestClass, RequestClasses};
use search::SearchRules;
use url::PathRules;

/// Site label of inputs that carry no virtual host and got no `--site`.
pub const DEFAULT_SITE: &str = "(default)";

/// A log record after the privacy stage: what aggregation may see.
///
/// Text fields are [`LabelId`]s into the worker's [`Labels`], which only
/// the privacy stage can fill; the client is a [`Pseudonym`].
#[derive(Debug, Clone, Copy)]
pub struct VeiledRecord {
    /// Event time, Unix seconds UTC (aggregates bucket it to the hour or day).
    pub time: i64,
    /// Site: virtual host or the configured label.
    pub site: LabelId,
    /// Keyed pseudonym of the client.
    pub visitor: Pseudonym,
    /// Request path without query string, id-like segments masked.
    pub path: LabelId,
    /// HTTP status.
    pub status: u16,
    /// Response bytes.
    pub bytes: u64,
    /// Host of the referrer, or `(direct)`.
    pub referrer_host: LabelId,
    /// Browser family, OS family, device class and bot flag.
    pub client: ClassId,
    /// Whether the client is a crawler or a scripted HTTP client (the bot
    /// flag of `client`, at hand for counting automated requests).
    pub is_bot: bool,
    /// The browser family and its major version as one label
    /// (`Chrome/120`), when the agent is a browser that states one.
    pub browser_version: Option<LabelId>,
    /// The request class of the path (page, static, …), by the policy's
    /// rules.
    pub class: RequestClass,
    /// The method family.
    pub method: Method,
    /// The protocol family.
    pub protocol: Protocol,
    /// The cleaned site-search term, for requests to a search endpoint.
    pub search_term: Option<LabelId>,
    /// Whether the client address is in a configured campus network. Derived
    /// from the raw address here; the address itself goes no further.
    pub on_campus: bool,
    /// Pseudonym of the client's network (IPv4 /24, IPv6 /48), when the
    /// policy's network threshold is on.
    pub network: Option<Pseudonym>,
    /// Time taken to serve the request, in microseconds, when logged.
    pub duration_us: Option<u64>,
}

/// Settings of the privacy stage.
#[derive(Debug, Clone, Default)]
pub struct VeilConfig {
    /// The privacy policy in force.
    pub policy: Policy,
    /// Site label for inputs without a virtual host (`None`: `(default)`).
    pub default_site: Option<String>,
}

/// The privacy stage, shared by all workers.
#[derive(Debug)]
pub struct Veil {
    key: Arc<Key>,
    config: VeilConfig,
    default_site: String,
    generalize: Generalize,
    paths: PathRules,
    search: SearchRules,
    // Lower-cased alias → canonical site name.
    aliases: HashMap<String, String>,
    // Whose days the key epochs follow.
    calendar: Calendar,
    classes: RequestClasses,
}

impl Veil {
    /// Key epochs (a new pseudonym every day, week or month) that follow
    /// the days of `calendar` rather than UTC's, so they agree with the
    /// report's days.
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// A veil using `key` and `config`.
    pub fn new(key: Arc<Key>, config: VeilConfig) -> Self {
        let policy = &config.policy;
        let aliases = policy
            .network
            .site_aliases
            .iter()
            .flat_map(|(site, names)| {
                names
                    .iter()
                    .map(move |n| (n.to_ascii_lowercase(), site.clone()))
            })
            .collect();
        Veil {
            key,
            calendar: Calendar::UTC,
            classes: RequestClasses::new(&policy.classes),
            default_site: config
                .default_site
                .clone()
                .unwrap_or_else(|| DEFAULT_SITE.to_string()),
            generalize: policy.ip.generalize(),
            paths: PathRules {
                mask_ids: policy.paths.mask_ids,
                query_allow: policy.paths.query_allow.clone(),
                routes: policy.paths.routes.clone(),
            },
            search: SearchRules {
                endpoints: policy.search.endpoints.clone(),
                params: policy.search.params.clone(),
                max_length: policy.search.max_length,
            },
            aliases,
            config,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &VeilConfig {
        &self.config
    }

    /// The site label of inputs without a virtual host.
    pub fn default_site(&self) -> &str {
        &self.default_site
    }

    /// The address generalisation in force.
    pub fn generalize(&self) -> Generalize {
        self.generalize
    }

    /// The client a request came from: the connecting address, or, when
    /// that is a trusted proxy, the right-most untrusted address of the
    /// forwarded-for chain (entries to its left may be forged by the
    /// client). An unparseable entry ends the walk at the last good hop.
    fn real_client<'a>(&self, raw: &RawRecord<'a>) -> &'a [u8] {
        let proxies = &self.config.policy.network.trusted_proxies;
        let trusted =
            |a: &[u8]| ip::parse_ip(a).is_some_and(|ip| proxies.iter().any(|p| p.contains(ip)));
        let (Some(chain), false) = (raw.forwarded_for, proxies.is_empty()) else {
            return raw.client;
        };
        if !trusted(raw.client) {
            return raw.client;
        }
        let mut client = raw.client;
        for hop in chain.rsplit(|c| *c == b',').map(<[u8]>::trim_ascii) {
            if ip::parse_ip(hop).is_none() {
                break;
            }
            client = hop;
            if !trusted(hop) {
                break;
            }
        }
        client
    }

    fn on_campus(&self, client: &[u8]) -> bool {
        let networks = &self.config.policy.network.on_campus;
        // Parsing again is only paid when campus networks are configured.
        !networks.is_empty()
            && ip::parse_ip(client).is_some_and(|a| networks.iter().any(|n| n.contains(a)))
    }

    /// A per-worker handle with its own caches and label table.
    pub fn worker(&self) -> VeilWorker<'_> {
        let mut labels = Labels::default();
        let default_site = labels.intern(&self.default_site);
        let no_referrer = labels.intern(&url::referrer_host(None));
        let no_agent = labels.class(ClientClass::NONE);
        VeilWorker {
            veil: self,
            clients: Pseudonymizer::new(
                self.key.clone(),
                Domain::WEB_CLIENT,
                self.config.policy.keys.epoch,
            )
            .with_calendar(self.calendar),
            networks: (self.config.policy.suppression.k_networks > 0).then(|| {
                Pseudonymizer::new(
                    self.key.clone(),
                    Domain::WEB_NETWORK,
                    self.config.policy.keys.epoch,
                )
                .with_calendar(self.calendar)
            }),
            labels,
            default_site,
            no_referrer,
            no_agent,
            // Sized by the hit rates the manifest reports (`stages.memos`)
            // against peak memory. On 1M-line logs: four times the target
            // memo halved its misses with 137k distinct targets but saved
            // only 4% of the run, and cost 56 MiB with a million targets
            // (the keys are kept); a larger client memo bought nothing,
            // since each key epoch misses anyway. Tables grow as filled.
            agents: Memo::new(1 << 15),
            addresses: Memo::new(1 << 16),
            targets: Memo::new(1 << 16),
            referers: Memo::new(1 << 15),
            hosts: Memo::new(1 << 10),
        }
    }
}

/// How each of a worker's memos fared (see `cache`), for the manifest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct VeilMemoStats {
    /// Client addresses (one entry per address and key epoch).
    pub clients: MemoStats,
    /// User agents.
    pub agents: MemoStats,
    /// Request targets.
    pub targets: MemoStats,
    /// Referrers.
    pub referrers: MemoStats,
    /// Virtual hosts.
    pub hosts: MemoStats,
}

impl VeilMemoStats {
    /// Adds another worker's counts.
    pub fn add(&mut self, o: VeilMemoStats) {
        self.clients.add(o.clients);
        self.agents.add(o.agents);
        self.targets.add(o.targets);
        self.referrers.add(o.referrers);
        self.hosts.add(o.hosts);
    }
}

/// What the veil remembers of one client address: its pseudonym is valid
/// for one key epoch and, under `ip+agent` visitors, one client class.
#[derive(Debug, Clone, Copy)]
struct Client {
    // The epoch index; its granularity is fixed for the run.
    epoch: i64,
    class: Option<ClassId>,
    visitor: Pseudonym,
    on_campus: bool,
    network: Option<Pseudonym>,
}

/// What the veil remembers of one User-Agent.
#[derive(Debug, Clone, Copy)]
struct Agent {
    class: ClassId,
    // The browser family and its major version, for browsers that state one.
    version: Option<LabelId>,
}

/// What the veil remembers of one request target.
#[derive(Debug, Clone, Copy)]
struct Target {
    path: LabelId,
    class: RequestClass,
    search_term: Option<LabelId>,
}

/// One worker's view of the [`Veil`]: its label table and the memos that
/// make repeated field values cheap (see `cache`). Not shared between
/// threads; a worker lives for the whole run, so its memos stay warm
/// across chunks and files.
#[derive(Debug)]
pub struct VeilWorker<'v> {
    veil: &'v Veil,
    clients: Pseudonymizer,
    // Present when the policy's network threshold is on.
    networks: Option<Pseudonymizer>,
    labels: Labels,
    default_site: LabelId,
    no_referrer: LabelId,
    no_agent: ClassId,
    agents: Memo<Agent>,
    addresses: Memo<Client>,
    targets: Memo<Target>,
    referers: Memo<LabelId>,
    hosts: Memo<LabelId>,
}

impl VeilWorker<'_> {
    /// The labels this worker's records refer to.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// How the worker's memos fared so far.
    pub fn memo_stats(&self) -> VeilMemoStats {
        VeilMemoStats {
            clients: self.addresses.stats(),
            agents: self.agents.stats(),
            targets: self.targets.stats(),
            referrers: self.referers.stats(),
            hosts: self.hosts.stats(),
        }
    }

    /// Gives up the label table (the worker's records are all aggregated).
    pub fn into_labels(self) -> Labels {
        self.labels
    }

    fn classify(&mut self, agent: Option<&[u8]>) -> Agent {
        let Some(raw) = agent else {
            return Agent {
                class: self.no_agent,
                version: None,
            };
        };
        let labels = &mut self.labels;
        self.agents.get_or_insert_with(raw, || {
            let class = agent::classify(raw);
            // Family and major version as one label, split again when
            // published: `Chrome/120`. Family names hold no `/`.
            let version = agent::browser_major(raw, &class)
                .map(|major| labels.intern(&format!("{}/{major}", class.browser)));
            Agent {
                class: labels.class(class),
                version,
            }
        })
    }

    fn client(&mut self, address: &[u8], time: i64, agent: ClassId) -> Client {
        let veil = self.veil;
        let by_agent = veil.config.policy.visitors.identity == VisitorIdentity::IpAgent;
        // The pseudonymizer's own epoch, so the memo rotates exactly when
        // the pseudonyms do (a UTC epoch here once handed a client the
        // previous local day's pseudonym between local and UTC midnight).
        let epoch = self.clients.epoch_of(time).1;
        let class = by_agent.then_some(agent);
        let (labels, clients, networks) = (&self.labels, &mut self.clients, &mut self.networks);
        // One probe: an entry of an earlier epoch (or class) is replaced
        // where it stands.
        self.addresses.get_current_or_insert_with(
            address,
            |c| c.epoch == epoch && c.class == class,
            || {
                let mut canonical = ip::canonical_client(address, veil.generalize);
                if by_agent {
                    // Two people behind one address with different browsers
                    // count as two visitors; the class, not the raw agent, is
                    // hashed.
                    let c = labels.class_of(agent);
                    for part in [c.browser, c.os, c.device] {
                        canonical.append(&[0xff]);
                        canonical.append(part.as_bytes());
                    }
                }
                // No address was logged: no one to name, and no one to count.
                let unknown = address == b"-";
                Client {
                    epoch,
                    class,
                    visitor: match unknown {
                        true => Pseudonym::UNKNOWN,
                        false => clients.pseudonym(time, canonical.as_bytes()),
                    },
                    network: networks.as_mut().map(|n| {
                        let net = ip::Generalize {
                            v4_prefix: veil.generalize.v4_prefix.min(24),
                            v6_prefix: veil.generalize.v6_prefix.min(48),
                        };
                        n.pseudonym(time, ip::canonical_client(address, net).as_bytes())
                    }),
                    on_campus: veil.on_campus(address),
                }
            },
        )
    }

    fn target(&mut self, target: &[u8]) -> Target {
        let (veil, labels) = (self.veil, &mut self.labels);
        // Keyed on what the cleaning reads, so targets that differ only in
        // a query nobody keeps share an entry; a search keeps its query.
        let key = match veil.search.query(target) {
            Some(_) => target,
            None => url::path_key(target, &veil.paths),
        };
        self.targets.get_or_insert_with(key, || {
            let path = url::clean_path(key, &veil.paths);
            Target {
                class: veil.classes.of(&path),
                path: labels.intern(&path),
                search_term: veil.search.term(key).map(|t| labels.intern(&t)),
            }
        })
    }

    fn referrer(&mut self, referer: Option<&[u8]>) -> LabelId {
        let Some(raw) = referer else {
            return self.no_referrer;
        };
        let labels = &mut self.labels;
        let origin = url::referrer_origin(raw);
        self.referers
            .get_or_insert_with(origin, || labels.intern(&url::referrer_host(Some(origin))))
    }

    fn site(&mut self, vhost: Option<&[u8]>) -> LabelId {
        let Some(v) = vhost else {
            return self.default_site;
        };
        let (veil, labels) = (self.veil, &mut self.labels);
        self.hosts.get_or_insert_with(v, || {
            let host = url::clean_host(v);
            match veil.aliases.get(host.as_ref()) {
                Some(canonical) => labels.intern(canonical),
                // Not a name (an address, an e-mail, junk) or a name that
                // carries an identifier: never published as a site.
                None if host.starts_with('(') || url::host_identifying(&host) => {
                    labels.other_site()
                }
                None => labels.intern(&host),
            }
        })
    }

    /// Applies the privacy policy to one record.
    pub fn apply(&mut self, raw: &RawRecord<'_>) -> VeiledRecord {
        let Agent {
            class: agent,
            version: browser_version,
        } = self.classify(raw.user_agent);
        let client = self.client(self.veil.real_client(raw), raw.time, agent);
        let (path, class, search_term, method, protocol) = match raw.request {
            Request::Http {
                method,
                target,
                protocol,
            } => {
                let t = self.target(target);
                let (m, p) = (Method::of(method), Protocol::of(protocol));
                (t.path, t.class, t.search_term, m, p)
            }
            unread => {
                let label = match unread {
                    Request::Empty => "(empty request)",
                    Request::Missing => "(no request)",
                    _ => url::INVALID_REQUEST,
                };
                let path = self.labels.intern(label);
                (
                    path,
                    RequestClass::Other,
                    None,
                    Method::Other,
                    Protocol::Unknown,
                )
            }
        };
        VeiledRecord {
            time: raw.time,
            site: self.site(raw.vhost),
            visitor: client.visitor,
            path,
            status: raw.status,
            bytes: raw.bytes,
            referrer_host: self.referrer(raw.referer),
            client: agent,
            is_bot: self.labels.class_of(agent).is_bot,
            browser_version,
            class,
            method,
            protocol,
            search_term,
            on_campus: client.on_campus,
            network: client.network,
            duration_us: raw.duration_us,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{
        LogFormat, ParseContext, combined::Combined, vhost_combined::VhostCombined,
    };
    use key::KeyMode;

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

    fn veil(policy: Policy) -> Veil {
        let key = Arc::new(Key::generate(KeyMode::Ephemeral).unwrap());
        Veil::new(
            key,
            VeilConfig {
                policy,
                default_site: None,
            },
        )
    }

    fn line(client: &str, agent: &str) -> String {
        format!(
            r#"{client} - - [28/Mar/2026:10:00:00 +0000] "GET /x HTTP/1.1" 200 1 "-" "{agent}""#
        )
    }

    fn visitor(veil: &Veil, client: &str, agent: &str) -> Pseudonym {
        let text = line(client, agent);
        let raw = Combined
            .parse(text.as_bytes(), &mut ParseContext::default())
            .unwrap();
        veil.worker().apply(&raw).visitor
    }

    #[test]
    fn mapped_and_plain_ipv4_are_one_visitor() {
        let v = veil(Policy::default());
        assert_eq!(
            visitor(&v, "192.0.2.1", CHROME),
            visitor(&v, "::ffff:192.0.2.1", CHROME)
        );
        assert_ne!(
            visitor(&v, "192.0.2.1", CHROME),
            visitor(&v, "192.0.2.2", CHROME)
        );
    }

    #[test]
    fn ip_plus_agent_splits_browsers_behind_one_address() {
        let by_ip = veil(Policy::default());
        assert_eq!(
            visitor(&by_ip, "192.0.2.1", CHROME),
            visitor(&by_ip, "192.0.2.1", FIREFOX)
        );
        let mut policy = Policy::default();
        policy.visitors.identity = VisitorIdentity::IpAgent;
        let by_agent = veil(policy);
        assert_ne!(
            visitor(&by_agent, "192.0.2.1", CHROME),
            visitor(&by_agent, "192.0.2.1", FIREFOX)
        );
        // Agent versions within one class are the same visitor.
        let chrome_older = CHROME.replace("124.0.0.0", "123.0.0.0");
        assert_eq!(
            visitor(&by_agent, "192.0.2.1", CHROME),
            visitor(&by_agent, "192.0.2.1", &chrome_older)
        );
    }

    #[test]
    fn the_previous_client_memo_never_changes_a_pseudonym() {
        let mut policy = Policy::default();
        policy.visitors.identity = VisitorIdentity::IpAgent;
        let v = veil(policy);
        let mut worker = v.worker();
        let mut one = |client: &str, agent: &str, time: &str| {
            let text =
                format!(r#"{client} - - [{time} +0000] "GET /x HTTP/1.1" 200 1 "-" "{agent}""#);
            let raw = Combined
                .parse(text.as_bytes(), &mut ParseContext::default())
                .unwrap();
            worker.apply(&raw).visitor
        };
        let a = one("192.0.2.1", CHROME, "28/Mar/2026:10:00:00");
        let b = one("192.0.2.1", FIREFOX, "28/Mar/2026:10:00:01");
        let c = one("192.0.2.1", CHROME, "28/Mar/2026:10:00:02");
        let d = one("192.0.2.1", CHROME, "29/Mar/2026:10:00:00");
        assert_ne!(
            a, b,
            "another browser behind the address is another visitor"
        );
        assert_eq!(a, c);
        assert_ne!(c, d, "a new day is a new key epoch");
        // Same answers as a fresh worker for every line.
        assert_eq!(a, visitor(&v, "192.0.2.1", CHROME));
        assert_eq!(b, visitor(&v, "192.0.2.1", FIREFOX));
    }

    #[test]
    fn targets_that_differ_in_a_dropped_query_share_a_memo_entry() {
        let v = veil(Policy::default());
        let mut worker = v.worker();
        let mut one = |target: &str, referer: &str| {
            let text = format!(
                r#"192.0.2.1 - - [28/Mar/2026:10:00:00 +0000] "GET {target} HTTP/1.1" 200 1 "{referer}" "{CHROME}""#
            );
            let raw = Combined
                .parse(text.as_bytes(), &mut ParseContext::default())
                .unwrap();
            let r = worker.apply(&raw);
            (r.path, r.search_term, r.referrer_host)
        };
        let a = one("/news?utm_source=a", "https://www.example.org/a?x=1");
        let b = one("/news?utm_source=b", "https://www.example.org/b");
        let s1 = one("/search?q=rust", "-");
        let s2 = one("/search?q=duckdb", "-");
        assert_eq!(a, b);
        assert_ne!(s1.1, s2.1, "a search keeps its query, and its term");
        let memos = worker.memo_stats();
        assert_eq!((memos.targets.hits, memos.targets.misses), (1, 3));
        assert_eq!((memos.referrers.hits, memos.referrers.misses), (1, 1));
        assert_eq!((memos.clients.hits, memos.clients.misses), (3, 1));
        assert_eq!(worker.labels().get(a.0), "/news");
        assert_eq!(worker.labels().get(a.2), "www.example.org");
    }

    #[test]
    fn generalisation_merges_a_network() {
        let mut policy = Policy::default();
        policy.ip.anonymize_level = Some(1);
        let v = veil(policy);
        assert_eq!(
            visitor(&v, "192.0.2.1", CHROME),
            visitor(&v, "192.0.2.200", CHROME)
        );
        assert_ne!(
            visitor(&v, "192.0.2.1", CHROME),
            visitor(&v, "192.0.3.1", CHROME)
        );
    }

    #[test]
    fn site_aliases_fold_into_the_canonical_name() {
        let mut policy = Policy::default();
        policy.network.site_aliases.insert(
            "www.example.edu".into(),
            vec!["Example.EDU".into(), "www2.example.edu".into()],
        );
        let v = veil(policy);
        let mut worker = v.worker();
        for (vhost, want) in [
            ("example.edu", "www.example.edu"),
            ("WWW2.example.edu", "www.example.edu"),
            ("library.example.edu", "library.example.edu"),
        ] {
            let text = format!("{vhost}:443 {}", line("192.0.2.1", CHROME));
            let raw = VhostCombined
                .parse(text.as_bytes(), &mut ParseContext::default())
                .unwrap();
            let site = worker.apply(&raw).site;
            assert_eq!(worker.labels().get(site), want);
        }
    }
}

#[cfg(test)]
mod proxy_tests {
    use super::*;
    use crate::formats::{LogFormat, ParseContext, combined::Combined};
    use key::KeyMode;

    fn visitor_of(veil: &Veil, client: &str, xff: &str) -> Pseudonym {
        let text = format!(
            r#"{client} - - [28/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8" "{xff}""#
        );
        let raw = Combined
            .parse(text.as_bytes(), &mut ParseContext::default())
            .unwrap();
        veil.worker().apply(&raw).visitor
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let mut policy = Policy::default();
        policy.network.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
        let key = Arc::new(Key::generate(KeyMode::Ephemeral).unwrap());
        let v = Veil::new(
            key,
            VeilConfig {
                policy,
                default_site: None,
            },
        );
        let direct = visitor_of(&v, "85.181.35.98", "-");
        // Behind two trusted proxies: the real client is found.
        assert_eq!(visitor_of(&v, "10.0.0.1", "85.181.35.98, 10.0.0.2"), direct);
        // A client-forged entry to the left of the real one is ignored.
        assert_eq!(visitor_of(&v, "10.0.0.1", "1.2.3.4, 85.181.35.98"), direct);
        // An untrusted connecting address is the client, whatever it claims.
        assert_eq!(visitor_of(&v, "85.181.35.98", "203.0.113.5"), direct);
        // Garbage in the chain stops at the last good hop (the proxy).
        assert_eq!(
            visitor_of(&v, "10.0.0.1", "unknown"),
            visitor_of(&v, "10.0.0.1", "-")
        );
    }
}
