//! The privacy boundary: everything that turns a [`RawRecord`] into a
//! [`VeiledRecord`].
//!
//! This folder is the whole privacy story; a reviewer can check it by
//! reading this module and the definition of [`VeiledRecord`]:
//!
//! - the client (address or host name) is canonicalised ([`ip`]) and
//!   replaced by a keyed BLAKE3 pseudonym ([`pseudonym`], [`key`]) whose
//!   subkey rotates per epoch;
//! - ident and authuser are dropped;
//! - paths lose query strings and id-like segments; referrers keep only
//!   their host ([`url`]);
//! - user agents become a coarse class ([`agent`]).
//!
//! [`VeiledRecord`] has no field that can hold a raw identifier: text
//! fields are [`Label`]s, which only this module can create, and the client
//! is a [`Pseudonym`]. Aggregators accept nothing else.

pub mod agent;
pub mod ip;
pub mod key;
pub mod pseudonym;
pub mod url;

use std::borrow::Cow;
use std::sync::Arc;

use crate::formats::{RawRecord, Request};
use agent::ClientClass;
use ip::Generalize;
use key::Key;
use pseudonym::{Domain, Epoch, Pseudonym, Pseudonymizer};

/// Site label of inputs that carry no virtual host and got no `--site`.
pub const DEFAULT_SITE: &str = "(default)";

/// A text value that went through a privacy reduction. Only the privacy
/// module can create one, so any `Label` in an aggregate is known to be
/// safe to publish as far as identifiers go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label<'a>(Cow<'a, str>);

impl<'a> Label<'a> {
    pub(in crate::privacy) fn new(text: Cow<'a, str>) -> Self {
        Label(text)
    }

    /// A fixed label (such as `(direct)`), safe by construction.
    pub(in crate::privacy) const fn fixed(text: &'static str) -> Self {
        Label(Cow::Borrowed(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, for interning.
    pub fn into_cow(self) -> Cow<'a, str> {
        self.0
    }
}

/// A log record after the privacy stage: what aggregation may see.
#[derive(Debug, Clone)]
pub struct VeiledRecord<'a> {
    /// Event time, Unix seconds UTC (aggregates bucket it to the hour or day).
    pub time: i64,
    /// Site: virtual host or the configured label.
    pub site: Label<'a>,
    /// Keyed pseudonym of the client.
    pub visitor: Pseudonym,
    /// Request path without query string, id-like segments masked.
    pub path: Label<'a>,
    /// HTTP status.
    pub status: u16,
    /// Response bytes.
    pub bytes: u64,
    /// Host of the referrer, or `(direct)`.
    pub referrer_host: Label<'a>,
    /// Browser family, OS family, device class and bot flag.
    pub client: ClientClass,
}

/// Settings of the privacy stage.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VeilConfig {
    /// Subkey rotation period.
    pub epoch: Epoch,
    /// Address generalisation before hashing.
    pub generalize: Generalize,
    /// Site label for inputs without a virtual host.
    pub default_site: String,
}

impl Default for VeilConfig {
    fn default() -> Self {
        VeilConfig {
            epoch: Epoch::Day,
            generalize: Generalize::default(),
            default_site: DEFAULT_SITE.to_string(),
        }
    }
}

/// The privacy stage, shared by all workers.
#[derive(Debug)]
pub struct Veil {
    key: Arc<Key>,
    config: VeilConfig,
}

impl Veil {
    /// A veil using `key` and `config`.
    pub fn new(key: Arc<Key>, config: VeilConfig) -> Self {
        Veil { key, config }
    }

    /// The settings in force.
    pub fn config(&self) -> &VeilConfig {
        &self.config
    }

    /// A per-worker handle with its own caches.
    pub fn worker(&self) -> VeilWorker<'_> {
        VeilWorker {
            veil: self,
            clients: Pseudonymizer::new(self.key.clone(), Domain::WEB_CLIENT, self.config.epoch),
            last_agent: Vec::new(),
            last_class: ClientClass::NONE,
        }
    }
}

/// One worker's view of the [`Veil`]: caches that must not be shared
/// between threads.
#[derive(Debug)]
pub struct VeilWorker<'v> {
    veil: &'v Veil,
    clients: Pseudonymizer,
    // Consecutive lines usually come from one client with one agent, so
    // the previous agent's class is worth remembering.
    last_agent: Vec<u8>,
    last_class: ClientClass,
}

impl<'v> VeilWorker<'v> {
    fn classify(&mut self, agent: Option<&[u8]>) -> ClientClass {
        let Some(agent) = agent else {
            return ClientClass::NONE;
        };
        if agent != self.last_agent.as_slice() {
            self.last_class = agent::classify(agent);
            self.last_agent.clear();
            self.last_agent.extend_from_slice(agent);
        }
        self.last_class
    }

    /// Applies the privacy policy to one record.
    pub fn apply<'a>(&mut self, raw: &RawRecord<'a>) -> VeiledRecord<'a>
    where
        'v: 'a,
    {
        let config: &'v VeilConfig = &self.veil.config;
        let canonical = ip::canonical_client(raw.client, config.generalize);
        let visitor = self.clients.pseudonym(raw.time, canonical.as_bytes());
        let path = match raw.request {
            Request::Http { target, .. } => Label::new(url::clean_path(target)),
            Request::Empty => Label::fixed("(empty request)"),
            Request::Missing => Label::fixed("(no request)"),
            Request::Invalid => Label::fixed("(invalid request)"),
        };
        let site = match raw.vhost {
            Some(v) => Label::new(url::clean_host(v)),
            None => Label::new(Cow::Borrowed(config.default_site.as_str())),
        };
        VeiledRecord {
            time: raw.time,
            site,
            visitor,
            path,
            status: raw.status,
            bytes: raw.bytes,
            referrer_host: Label::new(url::referrer_host(raw.referer)),
            client: self.classify(raw.user_agent),
        }
    }
}
