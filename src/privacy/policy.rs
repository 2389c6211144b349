//! The privacy policy: a TOML file (`--policy FILE`) whose every setting has
//! a default that keeps the institution's promises.
//!
//! Unknown keys are errors, not warnings: a misspelt `k = 3` under the wrong
//! table must not silently leave the default in force, or worse, appear to
//! have been applied. `logveil policy init` writes [`DEFAULT_POLICY_TOML`],
//! a commented copy of the defaults (a test keeps it equal to
//! [`Policy::default`]); `logveil policy show` prints the effective policy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::disclosure::dp::noise::Mechanism;
use super::ip::{Cidr, Generalize};
use super::pseudonym::Epoch;

/// Below this `k`, a policy must say `allow_small_k = true`.
pub const MIN_SAFE_K: u64 = 5;

/// Why a policy was refused. Messages name the file and the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy file {path}: {source}")]
    Read {
        /// The policy file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("policy file {path} is not valid: {message}")]
    Parse {
        /// The policy file.
        path: PathBuf,
        /// What the TOML parser said (with line and column).
        message: String,
    },
    /// A value is out of range or contradicts another.
    #[error("policy setting {setting}: {message}")]
    Invalid {
        /// The setting, as `table.key`.
        setting: String,
        /// What is wrong and what to do.
        message: String,
    },
}

/// Key rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct KeysPolicy {
    /// How often pseudonym subkeys rotate: `day`, `week`, `month` or `never`.
    pub epoch: Epoch,
}

/// Address generalisation before hashing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct IpPolicy {
    /// IPv4 prefix length kept before hashing (32 = whole address).
    pub ipv4_prefix: u8,
    /// IPv6 prefix length kept before hashing (128 = whole address).
    pub ipv6_prefix: u8,
    /// GoAccess `--anonymize-level` preset 1–3; overrides the prefixes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymize_level: Option<u8>,
}

impl Default for IpPolicy {
    fn default() -> Self {
        IpPolicy {
            ipv4_prefix: 32,
            ipv6_prefix: 128,
            anonymize_level: None,
        }
    }
}

impl IpPolicy {
    /// The prefixes in force, after applying a preset.
    pub fn generalize(&self) -> Generalize {
        // GoAccess masks 8/16/24 bits of IPv4 and 64/80/96 of IPv6.
        match self.anonymize_level {
            Some(1) => Generalize {
                v4_prefix: 24,
                v6_prefix: 64,
            },
            Some(2) => Generalize {
                v4_prefix: 16,
                v6_prefix: 48,
            },
            Some(3) => Generalize {
                v4_prefix: 8,
                v6_prefix: 32,
            },
            _ => Generalize {
                v4_prefix: self.ipv4_prefix,
                v6_prefix: self.ipv6_prefix,
            },
        }
    }
}

/// What counts as one visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum VisitorIdentity {
    /// The client address alone.
    #[default]
    #[serde(rename = "ip")]
    Ip,
    /// The address and the reduced agent (browser, OS, device), as GoAccess
    /// and Plausible count visitors behind shared addresses.
    #[serde(rename = "ip+agent")]
    IpAgent,
}

/// Visitor identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct VisitorPolicy {
    /// `ip` or `ip+agent`.
    pub identity: VisitorIdentity,
}

/// Path reduction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct PathPolicy {
    /// Query parameters whose values are kept (all others are dropped with
    /// the query string). Empty: no query string survives.
    pub query_allow: Vec<String>,
    /// Replace id-like segments with `{id}`.
    pub mask_ids: bool,
    /// Route templates (`/courses/{}/syllabus`): a path matching one is
    /// written as the template, `{}` matching any one segment.
    pub routes: Vec<String>,
}

impl Default for PathPolicy {
    fn default() -> Self {
        PathPolicy {
            query_allow: Vec::new(),
            mask_ids: true,
            routes: Vec::new(),
        }
    }
}

/// Networks and sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct NetworkPolicy {
    /// Proxies whose forwarded-for entries are trusted (CIDRs).
    pub trusted_proxies: Vec<Cidr>,
    /// Networks whose clients count as on campus (CIDRs). The flag is
    /// computed from the raw address in memory and never stored with it.
    pub on_campus: Vec<Cidr>,
    /// Canonical site name → other names it is logged under.
    pub site_aliases: BTreeMap<String, Vec<String>>,
}

/// Small-group suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct SuppressionPolicy {
    /// Minimum distinct pseudonyms for a row keyed by a people-derived
    /// category to be published.
    pub k: u64,
    /// Per-table overrides of `k`.
    pub tables: BTreeMap<String, u64>,
    /// Must be true for any `k` below 5.
    pub allow_small_k: bool,
    /// A second threshold against injection: a web row also needs this
    /// many distinct client networks (IPv4 /24, IPv6 /48). 0 is off.
    pub k_networks: u64,
    /// Tables written exact, without disclosure control, for the operator's
    /// own diagnosis (e.g. `web_traffic` by the hour). Marked internal in
    /// the manifest and in the file's metadata: never to be published.
    pub internal_tables: Vec<String>,
}

impl Default for SuppressionPolicy {
    fn default() -> Self {
        SuppressionPolicy {
            k: 10,
            tables: BTreeMap::new(),
            allow_small_k: false,
            k_networks: 0,
            internal_tables: Vec::new(),
        }
    }
}

impl SuppressionPolicy {
    /// The threshold for `table` (1 for an internal table: every row).
    pub fn k_for(&self, table: &str) -> u64 {
        if self.is_internal(table) {
            return 1;
        }
        self.tables.get(table).copied().unwrap_or(self.k)
    }

    /// Whether `table` is written exact, for the operator only.
    pub fn is_internal(&self, table: &str) -> bool {
        self.internal_tables.iter().any(|t| t == table)
    }
}

/// Site search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct SearchPolicy {
    /// Paths of search endpoints.
    pub endpoints: Vec<String>,
    /// Query parameters holding the search terms.
    pub params: Vec<String>,
    /// Longest term kept, in characters.
    pub max_length: usize,
}

impl Default for SearchPolicy {
    fn default() -> Self {
        SearchPolicy {
            endpoints: vec!["/search".to_string()],
            params: vec!["q".to_string(), "query".to_string()],
            max_length: 64,
        }
    }
}

/// Sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct SessionPolicy {
    /// Inactivity that ends a session, in minutes.
    pub gap_minutes: u32,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { gap_minutes: 30 }
    }
}

/// The request classes of `web_pages.class` and of page views in
/// `web_sessions` (see `privacy::request_class`). Each list replaces its
/// default when given. Rules apply in order: api, feed, static, download;
/// a path no rule claims is a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ClassPolicy {
    /// Path prefixes of programmatic endpoints.
    pub api_prefixes: Vec<String>,
    /// File extensions of programmatic endpoints.
    pub api_extensions: Vec<String>,
    /// Path prefixes of feeds and sitemaps.
    pub feed_prefixes: Vec<String>,
    /// File extensions of feeds and sitemaps.
    pub feed_extensions: Vec<String>,
    /// Path prefixes of assets (styles, scripts, images, fonts, media).
    pub static_prefixes: Vec<String>,
    /// File extensions of assets.
    pub static_extensions: Vec<String>,
    /// File extensions of downloads (documents, archives, installers).
    pub download_extensions: Vec<String>,
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for ClassPolicy {
    fn default() -> Self {
        ClassPolicy {
            api_prefixes: strings(&["/api/", "/graphql", "/wp-json/", "/rest/", "/v1/", "/v2/"]),
            api_extensions: strings(&["json"]),
            feed_prefixes: strings(&["/feed", "/rss", "/atom"]),
            feed_extensions: strings(&["rss", "atom", "xml"]),
            static_prefixes: Vec::new(),
            static_extensions: strings(&[
                "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp",
                "avif", "bmp", "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "ogg",
                "wav", "m4a",
            ]),
            download_extensions: strings(&[
                "pdf", "zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "doc", "docx", "xls", "xlsx",
                "ppt", "pptx", "odt", "ods", "odp", "csv", "epub", "iso", "dmg", "exe", "msi",
                "deb", "rpm",
            ]),
        }
    }
}

/// What happens to meetings of sensitive hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SensitiveAction {
    /// Left out of every Zoom table.
    #[default]
    Exclude,
    /// Kept, but a meeting row needs `sensitive_k` participants.
    RaiseK,
}

/// Zoom identities and meetings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ZoomPolicy {
    /// E-mail domain → affiliation label; a domain also matches its
    /// subdomains, and the longest match wins. Others are `external`;
    /// participants without e-mail are `unknown`.
    pub affiliations: BTreeMap<String, String>,
    /// Host e-mails whose meetings are sensitive (health services, …).
    pub sensitive_hosts: Vec<String>,
    /// `exclude` (default) or `raise_k`.
    pub sensitive: SensitiveAction,
    /// Participants a sensitive meeting needs under `raise_k`.
    pub sensitive_k: u64,
}

impl Default for ZoomPolicy {
    fn default() -> Self {
        ZoomPolicy {
            affiliations: BTreeMap::new(),
            sensitive_hosts: Vec::new(),
            sensitive: SensitiveAction::Exclude,
            sensitive_k: 20,
        }
    }
}

/// What a re-release of a day already in the budget ledger does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Republish {
    /// Publish the stored noisy values unchanged (late data is left out):
    /// spends nothing.
    #[default]
    Reuse,
    /// Release the day again with fresh noise over all its data, spending
    /// its budget again (within the ceiling).
    Spend,
}

/// One table's part of a differential-privacy release.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DpTablePolicy {
    /// Share of the day's ε and δ spent on this table.
    pub share: f64,
    /// Rows one person counts in, per day.
    pub max_rows: u32,
    /// Requests one person counts for in one row.
    pub max_requests: u32,
    /// This table's noise, when not the release's `mechanism`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<Mechanism>,
}

impl DpTablePolicy {
    /// A table's settings, with the release's mechanism.
    pub const fn new(share: f64, max_rows: u32, max_requests: u32) -> Self {
        DpTablePolicy {
            share,
            max_rows,
            max_requests,
            mechanism: None,
        }
    }

    /// The same with its own mechanism.
    pub const fn with_mechanism(mut self, mechanism: Mechanism) -> Self {
        self.mechanism = Some(mechanism);
        self
    }
}

/// The tables a differential-privacy release can publish, by the name of
/// the k-mode table they replace.
pub const DP_TABLES: [&str; 7] = [
    "web_pages",
    "web_traffic",
    "web_referrers",
    "web_clients",
    "web_search_terms",
    "web_status",
    "web_browser_versions",
];

/// The differential-privacy release mode (off by default: k is the
/// default mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct DpPolicy {
    /// Release every web table under (ε, δ)-differential privacy instead
    /// of the k rule.
    pub enabled: bool,
    /// ε per release day, split between the tables.
    pub epsilon: f64,
    /// δ per release day, split like ε.
    pub delta: f64,
    /// Share of a table's budget spent on people counts (and the choice
    /// of published rows); the rest goes to requests. Under Laplace noise
    /// the share is of ε; under Gaussian noise both measurements are in
    /// zero-concentrated DP, the share is of ρ, and their sum is converted
    /// to (ε, δ) once.
    pub people_share: f64,
    /// The noise: Laplace, or Gaussian (less noise when a visitor
    /// counts in many rows of a table).
    #[serde(default)]
    pub mechanism: Mechanism,
    /// What publishing a day again does.
    pub republish: Republish,
    /// Hold the newest day of the state back until a later day has data:
    /// a release is final, and a night run sees only the start of today.
    pub hold_newest_day: bool,
    /// How many earlier days' releases a visitor past a table's
    /// `max_rows` prefers rows from: rows published then are kept first
    /// (0: choose by the visitor's own requests only).
    pub prefer_published_days: u32,
    /// The most ε the ledger lets one day spend over all its releases
    /// (unset: twice `epsilon`, one release and one re-release).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_epsilon_per_day: Option<f64>,
    /// The tables released, with their shares and bounds (a listed set
    /// replaces the default one).
    pub tables: BTreeMap<String, DpTablePolicy>,
}

impl Eq for DpPolicy {}

impl Default for DpPolicy {
    fn default() -> Self {
        // Measured on the 1M-line benchmark (benches/dp_utility.py): pages
        // take most of the day, with Gaussian noise since a visitor counts
        // in up to 15 of them; referrers and client classes, where a
        // visitor counts in one or two rows, are cheaper under Laplace.
        // Hourly traffic, whose visitors span many hours, needs more
        // budget than a tenth to publish anything at modest traffic, so it
        // is not in the default set.
        let tables = [
            (
                "web_pages",
                DpTablePolicy::new(0.8, 15, 5).with_mechanism(Mechanism::Gaussian),
            ),
            ("web_referrers", DpTablePolicy::new(0.1, 2, 10)),
            ("web_clients", DpTablePolicy::new(0.1, 1, 20)),
        ];
        DpPolicy {
            enabled: false,
            epsilon: 1.0,
            delta: 1e-5,
            people_share: 0.9,
            mechanism: Mechanism::Laplace,
            republish: Republish::Reuse,
            hold_newest_day: true,
            prefer_published_days: 7,
            max_epsilon_per_day: None,
            tables: tables
                .into_iter()
                .map(|(n, t)| (n.to_string(), t))
                .collect(),
        }
    }
}

impl DpPolicy {
    /// The most ε one day may spend: `max_epsilon_per_day`, or twice
    /// `epsilon`.
    pub fn ceiling(&self) -> f64 {
        self.max_epsilon_per_day.unwrap_or(2.0 * self.epsilon)
    }

    /// Checks the settings.
    fn validate(&self) -> Result<(), PolicyError> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.epsilon) {
            return Err(invalid("dp.epsilon", "must be a number above 0"));
        }
        if !(positive(self.delta) && self.delta < 1e-3) {
            return Err(invalid(
                "dp.delta",
                "must be above 0 and below 0.001: δ is the chance the guarantee fails",
            ));
        }
        if !(positive(self.people_share) && self.people_share < 1.0) {
            return Err(invalid("dp.people_share", "must be between 0 and 1"));
        }
        if self.prefer_published_days > 366 {
            return Err(invalid("dp.prefer_published_days", "must be 0–366"));
        }
        let ceiling = self.ceiling();
        if !(ceiling.is_finite() && ceiling >= self.epsilon) {
            return Err(invalid(
                "dp.max_epsilon_per_day",
                "must be at least dp.epsilon, or no day could be released",
            ));
        }
        let mut total = 0.0;
        for (name, t) in &self.tables {
            let setting = format!("dp.tables.{name}");
            if !DP_TABLES.contains(&name.as_str()) {
                return Err(invalid(
                    &setting,
                    format!(
                        "no table releases under differential privacy; choose from {DP_TABLES:?}"
                    ),
                ));
            }
            if !positive(t.share) {
                return Err(invalid(&setting, "share must be above 0"));
            }
            if t.max_rows == 0 || t.max_requests == 0 {
                return Err(invalid(
                    &setting,
                    "max_rows and max_requests must be at least 1",
                ));
            }
            total += t.share;
        }
        if self.tables.is_empty() {
            return Err(invalid("dp.tables", "must name at least one table"));
        }
        if total > 1.0 + 1e-9 {
            return Err(invalid(
                "dp.tables",
                format!(
                    "shares add up to {total}: they split one day's budget and must not exceed 1"
                ),
            ));
        }
        Ok(())
    }
}

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Policy {
    /// Key rotation.
    pub keys: KeysPolicy,
    /// Address generalisation.
    pub ip: IpPolicy,
    /// Visitor identity.
    pub visitors: VisitorPolicy,
    /// Path reduction.
    pub paths: PathPolicy,
    /// Networks and sites.
    pub network: NetworkPolicy,
    /// Small-group suppression.
    pub suppression: SuppressionPolicy,
    /// Site search.
    pub search: SearchPolicy,
    /// Sessions.
    pub sessions: SessionPolicy,
    /// Request classes.
    pub classes: ClassPolicy,
    /// Zoom identities and meetings.
    pub zoom: ZoomPolicy,
    /// The differential-privacy release mode.
    pub dp: DpPolicy,
}

fn invalid(setting: &str, message: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        setting: setting.to_string(),
        message: message.into(),
    }
}

impl Policy {
    /// Parses and validates policy text; `path` is only used in messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| PolicyError::Parse {
            path: path.to_path_buf(),
            message: format!("\n  {}", e.to_string().trim_end().replace('\n', "\n  ")),
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Reads, parses and validates a policy file.
    pub fn from_file(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Policy::from_toml(&text, path)
    }

    /// The policy as TOML, for `logveil policy show`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render policy: {e}\n"))
    }

    /// Checks ranges and combinations serde cannot express.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.ip.ipv4_prefix > 32 {
            return Err(invalid("ip.ipv4_prefix", "must be 0–32"));
        }
        if self.ip.ipv6_prefix > 128 {
            return Err(invalid("ip.ipv6_prefix", "must be 0–128"));
        }
        if let Some(level) = self.ip.anonymize_level {
            if !(1..=3).contains(&level) {
                return Err(invalid(
                    "ip.anonymize_level",
                    "must be 1, 2 or 3 (as GoAccess)",
                ));
            }
            if self.ip.ipv4_prefix != 32 || self.ip.ipv6_prefix != 128 {
                return Err(invalid(
                    "ip.anonymize_level",
                    "set either anonymize_level or ipv4_prefix/ipv6_prefix, not both",
                ));
            }
        }
        let s = &self.suppression;
        let smallest = s.tables.values().copied().chain([s.k]).min().unwrap_or(s.k);
        if smallest == 0 {
            return Err(invalid("suppression.k", "must be at least 1"));
        }
        if smallest < MIN_SAFE_K && !s.allow_small_k {
            return Err(invalid(
                "suppression.k",
                format!(
                    "{smallest} is below {MIN_SAFE_K}: groups that small identify people; \
                     set suppression.allow_small_k = true if that is really intended"
                ),
            ));
        }
        if s.k_networks > s.k {
            return Err(invalid(
                "suppression.k_networks",
                "must not exceed suppression.k: a row of k people has at most k networks",
            ));
        }
        for name in s.tables.keys().chain(&s.internal_tables) {
            if !crate::output::schema::ALL_TABLES
                .iter()
                .any(|t| t.name == name)
            {
                return Err(invalid(
                    &format!("suppression.tables.{name}"),
                    "no such table",
                ));
            }
        }
        if self.zoom.sensitive_k < self.suppression.k {
            return Err(invalid(
                "zoom.sensitive_k",
                "must be at least suppression.k: sensitive meetings need more protection, not less",
            ));
        }
        if self.sessions.gap_minutes == 0 {
            return Err(invalid("sessions.gap_minutes", "must be at least 1"));
        }
        if self.search.max_length == 0 {
            return Err(invalid("search.max_length", "must be at least 1"));
        }
        let c = &self.classes;
        for p in [&c.api_prefixes, &c.feed_prefixes, &c.static_prefixes]
            .into_iter()
            .flatten()
        {
            if !p.starts_with('/') {
                return Err(invalid(
                    "classes",
                    format!("prefix {p:?} must start with '/'"),
                ));
            }
        }
        for r in &self.paths.routes {
            if !r.starts_with('/') {
                return Err(invalid(
                    "paths.routes",
                    format!("route {r:?} must start with '/'"),
                ));
            }
        }
        self.dp.validate()
    }
}

/// What `logveil policy init` writes: the defaults, explained. Parsing it
/// gives exactly [`Policy::default`] (tested).
pub const DEFAULT_POLICY_TOML: &str = r#"# logveil privacy policy. Every value below is the default; delete what
# you do not change. Unknown keys are refused. See PRIVACY.md.

[keys]
# How often pseudonym subkeys rotate: "day", "week", "month" or "never".
# Daily rows count a returning visitor once per day in any sum. With a
# state (nightly runs), "week" or "month" (or "never") adds weekly or
# monthly tables that count each visitor once per period; "day" makes that
# impossible by design.
epoch = "day"

[ip]
# Prefix kept before hashing; 32 and 128 keep whole addresses. Visitors
# are then counted per network rather than per address.
ipv4_prefix = 32
ipv6_prefix = 128
# Or a GoAccess --anonymize-level preset instead of the prefixes:
# 1 = /24 and /64, 2 = /16 and /48, 3 = /8 and /32.
# anonymize_level = 1

[visitors]
# "ip", or "ip+agent" (address plus browser/OS/device class, as GoAccess
# and Plausible count visitors behind shared addresses).
identity = "ip"

[paths]
# Query strings are dropped. List parameters whose values may be kept.
query_allow = []
# Replace id-like path segments (5+ digit runs, UUIDs, long hex or token
# strings, e-mail- or IP-like segments) with {id}.
mask_ids = true
# Route templates: "{}" matches one segment, e.g. "/courses/{}/syllabus".
routes = []

[network]
# Proxies (CIDRs) whose X-Forwarded-For entries are trusted.
trusted_proxies = []
# Networks (CIDRs) whose clients count as on campus. The flag is derived
# in memory; addresses are never stored.
on_campus = []

[network.site_aliases]
# "www.example.edu" = ["example.edu", "www2.example.edu"]

[suppression]
# A row keyed by a path, referrer, client family or search term is published
# only with at least k distinct visitors; smaller rows fold into "(other)".
k = 10
# k below 5 is refused unless this is true.
allow_small_k = false
# Against injection: an attacker who sends k - 1 requests of their own from
# one network lifts a row holding one real visitor to k. With k_networks = 3,
# a web row also needs 3 distinct client networks (IPv4 /24, IPv6 /48);
# rows of campus NAT or one office fold more often. 0 turns it off.
k_networks = 0
# Tables written exact, with no disclosure control, for your own server
# diagnosis (e.g. ["web_traffic"] for every hour on its own). They are
# marked internal in the manifest and in the file: never publish them.
internal_tables = []

[suppression.tables]
# Per-table k, e.g. web_pages = 20

[search]
# Search endpoints and the parameters that carry the terms.
endpoints = ["/search"]
params = ["q", "query"]
# Longest term kept, in characters.
max_length = 64

[sessions]
# Inactivity that ends a session, in minutes.
gap_minutes = 30

[classes]
# The request class of each path (web_pages.class; page views in
# web_sessions count "page" requests of clients that are not bots). Rules
# apply in this order, and a path no rule claims is a "page". Each list
# replaces its default.
api_prefixes = ["/api/", "/graphql", "/wp-json/", "/rest/", "/v1/", "/v2/"]
api_extensions = ["json"]
feed_prefixes = ["/feed", "/rss", "/atom"]
feed_extensions = ["rss", "atom", "xml"]
static_prefixes = []
static_extensions = ["css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "bmp", "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "ogg", "wav", "m4a"]
download_extensions = ["pdf", "zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "csv", "epub", "iso", "dmg", "exe", "msi", "deb", "rpm"]

[zoom]
# Hosts (e-mails) whose meetings are sensitive, e.g. health services.
sensitive_hosts = []
# "exclude" them from every Zoom table, or "raise_k": publish a sensitive
# meeting only with at least sensitive_k participants.
sensitive = "exclude"
sensitive_k = 20
# Meetings whose host e-mail is unknown are held to sensitive_k whenever
# sensitive_hosts is non-empty (never excluded outright).

[zoom.affiliations]
# E-mail domain = label; subdomains match too, the longest domain wins.
# Others are "external"; participants without e-mail are "unknown".
# "hms.example.edu" = "HMS"
# "example.edu" = "Example"

[dp]
# Differential privacy instead of k: every published number is noisy and
# a row is published only when its noisy visitor count passes a threshold,
# so one visitor's presence changes what anyone can learn by at most a
# factor e^epsilon (except with probability delta). Needs a state
# directory, which keeps the budget ledger. See PRIVACY.md.
enabled = false
# Budget per release day. One visitor of one day is the unit; a month of
# daily releases adds up to 30 * epsilon for someone seen every day.
epsilon = 1.0
delta = 1e-5
# Share of each table's epsilon for visitor counts (the rest: requests);
# under gaussian noise, the share of its rho (zero-concentrated DP).
people_share = 0.9
# The noise: "laplace", or "gaussian" (its noise grows with the square
# root of max_rows instead of max_rows, so tables where a visitor counts
# in many rows get lower thresholds; it spends part of delta on the noise).
mechanism = "laplace"
# Publishing a day again: "reuse" the stored noisy values (late data is
# left out), or "spend" new budget on a fresh release of the whole day.
republish = "reuse"
# Release a day only once a later day has data: a nightly run sees only
# the first hours of today, and a release is final under "reuse".
hold_newest_day = true
# A visitor who counts in more than a table's max_rows rows keeps first
# the rows the releases of this many earlier days published (public
# already, so the choice reads nobody else's data), then the rows they
# requested most. 0: own requests only.
prefer_published_days = 7
# The ledger refuses a release that would take a day past this much
# epsilon (default: twice epsilon, so one re-release with "spend").
# max_epsilon_per_day = 2.0

# Tables released, with their share of the day's budget, per-visitor
# bounds (rows a visitor counts in per day, requests counted per row) and,
# optionally, their own mechanism. Listing tables here replaces this set;
# web_traffic (hourly), web_search_terms, web_status and
# web_browser_versions can be added.
[dp.tables.web_pages]
share = 0.8
max_rows = 15
max_requests = 5
mechanism = "gaussian"

[dp.tables.web_referrers]
share = 0.1
max_rows = 2
max_requests = 10

[dp.tables.web_clients]
share = 0.1
max_rows = 1
max_requests = 20
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::from_toml(text, Path::new("test.toml"))
    }

    #[test]
    fn the_commented_default_is_the_default() {
        assert_eq!(parse(DEFAULT_POLICY_TOML).unwrap(), Policy::default());
        assert_eq!(parse("").unwrap(), Policy::default());
    }

    #[test]
    fn show_round_trips() {
        let mut p = Policy::default();
        p.suppression.tables.insert("web_pages".into(), 20);
        p.network.on_campus.push("10.0.0.0/8".parse().unwrap());
        assert_eq!(parse(&p.to_toml()).unwrap(), p);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let err = parse("[suppresion]\nk = 3\n").unwrap_err().to_string();
        assert!(err.contains("suppresion"), "{err}");
        let err = parse("[suppression]\nkk = 3\n").unwrap_err().to_string();
        assert!(err.contains("kk"), "{err}");
    }

    #[test]
    fn small_k_needs_consent() {
        assert!(
            parse("[suppression]\nk = 3\n")
                .unwrap_err()
                .to_string()
                .contains("allow_small_k")
        );
        assert!(parse("[suppression]\nk = 3\nallow_small_k = true\n").is_ok());
        assert!(parse("[suppression.tables]\nweb_pages = 2\n").is_err());
        assert!(parse("[suppression]\nk = 0\nallow_small_k = true\n").is_err());
        assert!(parse("[suppression.tables]\nno_such = 20\n").is_err());
    }

    #[test]
    fn presets_match_goaccess() {
        let p = parse("[ip]\nanonymize_level = 2\n").unwrap();
        assert_eq!(
            p.ip.generalize(),
            Generalize {
                v4_prefix: 16,
                v6_prefix: 48
            }
        );
        assert!(parse("[ip]\nanonymize_level = 4\n").is_err());
        assert!(parse("[ip]\nanonymize_level = 1\nipv4_prefix = 24\n").is_err());
        assert!(parse("[ip]\nipv4_prefix = 33\n").is_err());
    }

    #[test]
    fn epochs_and_identities_parse() {
        let p = parse("[keys]\nepoch = \"week\"\n[visitors]\nidentity = \"ip+agent\"\n").unwrap();
        assert_eq!(p.keys.epoch, Epoch::Week);
        assert_eq!(p.visitors.identity, VisitorIdentity::IpAgent);
        assert!(parse("[keys]\nepoch = \"fortnight\"\n").is_err());
    }
}
