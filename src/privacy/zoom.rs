//! The privacy stage for Zoom data.
//!
//! A participant is identified by e-mail when there is one, else by display
//! name (without a trailing ` (Host)` / ` (Co-host)`), else by id; each kind
//! is hashed under its own Zoom subkey, so Zoom pseudonyms can never be
//! compared with web pseudonyms. Meeting ids become pseudonyms too. Names,
//! topics, phone numbers, device identifiers, internal addresses and
//! free-text leave reasons never leave the reader. The affiliation is
//! derived from the e-mail domain *before* hashing, through the policy's
//! domain map. Sign-in addresses are hashed under their own subkey.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::ip::{Generalize, canonical_client, parse_ip};
use super::key::Key;
use super::policy::ZoomPolicy;
use super::pseudonym::{Domain, Epoch, IdKind, Pseudonym, Pseudonymizer, Source};
use crate::formats::zoom::{Participation, SignIn};

/// Affiliation of a participant without e-mail.
pub const UNKNOWN: &str = "unknown";
/// Affiliation of an e-mail outside the domain map.
pub const EXTERNAL: &str = "external";

/// A participant session after the privacy stage.
#[derive(Debug, Clone, PartialEq)]
pub struct VeiledParticipation {
    /// Meeting pseudonym.
    pub meeting: Pseudonym,
    /// Whether the meeting's host is listed as sensitive.
    pub sensitive: bool,
    /// Meeting start, if the data has it.
    pub meeting_start: Option<i64>,
    /// Meeting end, if the data has it.
    pub meeting_end: Option<i64>,
    /// Participant pseudonym.
    pub person: Pseudonym,
    /// Affiliation label from the policy's domain map.
    pub affiliation: String,
    /// Guest flag (false when unknown).
    pub guest: bool,
    /// Join time.
    pub join: Option<i64>,
    /// Leave time.
    pub leave: Option<i64>,
    /// Minutes, when the data has no join/leave times.
    pub minutes: Option<f64>,
    /// Device class, or `unknown`.
    pub device: String,
}

/// A sign-in event after the privacy stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VeiledSignIn {
    /// Event time.
    pub time: i64,
    /// `sign in`, `sign out` or `(other)`.
    pub kind: &'static str,
    /// Client type as a short label.
    pub client_type: String,
    /// Major version (`5`), or `unknown`.
    pub version_major: String,
    /// Account pseudonym.
    pub user: Pseudonym,
    /// Pseudonym of the network address, when it was a valid address.
    pub network: Option<Pseudonym>,
}

/// The Zoom privacy stage.
#[derive(Debug)]
pub struct ZoomVeil {
    key: Arc<Key>,
    epoch: Epoch,
    generalize: Generalize,
    // Domain suffixes, longest first.
    affiliations: Vec<(String, String)>,
    sensitive_hosts: Vec<String>,
    // One pseudonymizer per identifier kind, each caching its current
    // epoch's subkey: deriving a subkey per row would dominate the run.
    pseudonymizers: Mutex<HashMap<IdKind, Pseudonymizer>>,
}

fn domain(kind: IdKind) -> Domain {
    Domain {
        source: Source::Zoom,
        kind,
    }
}

/// A display name without Zoom's role suffixes, case-folded.
pub fn canonical_name(name: &str) -> String {
    let mut n = name.trim();
    for suffix in [" (Host)", " (Co-host)", " (host)", " (co-host)"] {
        if let Some(stripped) = n.strip_suffix(suffix) {
            n = stripped.trim_end();
        }
    }
    n.to_lowercase()
}

/// Short client label: the part a person would recognise, bounded in length.
fn label(raw: Option<&str>) -> String {
    match raw.map(str::trim).filter(|s| !s.is_empty() && *s != "-") {
        None => UNKNOWN.to_string(),
        // Free text never goes out: a label is letters, digits and a few
        // separators, at most 24 characters.
        Some(s)
            if s.len() <= 24
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')) =>
        {
            s.to_string()
        }
        Some(_) => "(other)".to_string(),
    }
}

impl ZoomVeil {
    /// A Zoom veil under `key`.
    pub fn new(key: Arc<Key>, epoch: Epoch, generalize: Generalize, policy: &ZoomPolicy) -> Self {
        let mut affiliations: Vec<(String, String)> = policy
            .affiliations
            .iter()
            .map(|(d, l)| (d.trim().to_lowercase(), l.clone()))
            .collect();
        affiliations.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        ZoomVeil {
            key,
            epoch,
            generalize,
            affiliations,
            sensitive_hosts: policy
                .sensitive_hosts
                .iter()
                .map(|h| h.trim().to_lowercase())
                .collect(),
            pseudonymizers: Mutex::new(HashMap::new()),
        }
    }

    fn pseudonym(&self, kind: IdKind, time: i64, bytes: &[u8]) -> Pseudonym {
        // A poisoned lock only means another thread panicked mid-insert;
        // the map is still a valid cache.
        let mut map = self
            .pseudonymizers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(kind)
            .or_insert_with(|| Pseudonymizer::new(self.key.clone(), domain(kind), self.epoch))
            .pseudonym(time, bytes)
    }

    /// The affiliation of an e-mail address.
    pub fn affiliation(&self, email: Option<&str>) -> String {
        let Some(domain) = email
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.trim().to_lowercase())
        else {
            return UNKNOWN.to_string();
        };
        self.affiliations
            .iter()
            .find(|(d, _)| domain == *d || domain.ends_with(&format!(".{d}")))
            .map_or_else(|| EXTERNAL.to_string(), |(_, l)| l.clone())
    }

    /// Veils one participation. `anchor` is the time that selects the key
    /// epoch for every pseudonym of the meeting (its start), so one person
    /// keeps one pseudonym through a meeting that crosses midnight.
    /// `source_key` names the meeting when the data has no meeting id.
    ///
    /// `host` is the meeting's host e-mail when known (from the export's
    /// host column or the row marked `(Host)`), to recognise sensitive hosts.
    pub fn participation(
        &self,
        p: &Participation,
        anchor: i64,
        host: Option<&str>,
        source_key: &str,
    ) -> Option<VeiledParticipation> {
        let email = p
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| e.contains('@'));
        let person = if let Some(e) = &email {
            self.pseudonym(IdKind::Email, anchor, e.as_bytes())
        } else if let Some(n) = p
            .name
            .as_deref()
            .map(canonical_name)
            .filter(|n| !n.is_empty())
        {
            self.pseudonym(IdKind::Name, anchor, n.as_bytes())
        } else {
            let id = p
                .user_id
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty())?;
            self.pseudonym(IdKind::UserId, anchor, id.as_bytes())
        };
        let meeting_bytes = match &p.meeting_id {
            Some(id) => format!("id:{id}"),
            None => format!("source:{source_key}"),
        };
        let sensitive = host.is_some_and(|h| {
            self.sensitive_hosts
                .iter()
                .any(|s| s.eq_ignore_ascii_case(h.trim()))
        });
        Some(VeiledParticipation {
            meeting: self.pseudonym(IdKind::Meeting, anchor, meeting_bytes.as_bytes()),
            sensitive,
            meeting_start: p.meeting_start,
            meeting_end: p.meeting_end,
            person,
            affiliation: self.affiliation(email.as_deref()),
            guest: p.guest.unwrap_or(false),
            join: p.join,
            leave: p.leave,
            minutes: p.minutes,
            device: label(p.device.as_deref()),
        })
    }

    /// Veils one sign-in event.
    pub fn signin(&self, s: &SignIn) -> VeiledSignIn {
        let email = s
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .unwrap_or_default();
        let kind = match s.kind.trim().to_lowercase().as_str() {
            "sign in" | "signin" | "sign_in" => "sign in",
            "sign out" | "signout" | "sign_out" => "sign out",
            _ => "(other)",
        };
        let network =
            s.ip.as_deref()
                .filter(|ip| parse_ip(ip.as_bytes()).is_some())
                .map(|ip| {
                    self.pseudonym(
                        IdKind::Client,
                        s.time,
                        canonical_client(ip.as_bytes(), self.generalize).as_bytes(),
                    )
                });
        let version_major = s
            .version
            .as_deref()
            .and_then(|v| v.trim().split('.').next())
            .filter(|m| !m.is_empty() && m.len() <= 4 && m.chars().all(|c| c.is_ascii_digit()))
            .map_or_else(|| UNKNOWN.to_string(), str::to_string);
        VeiledSignIn {
            time: s.time,
            kind,
            client_type: label(s.client_type.as_deref()),
            version_major,
            user: self.pseudonym(IdKind::Email, s.time, email.as_bytes()),
            network,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::key::KeyMode;

    fn veil(policy: ZoomPolicy) -> ZoomVeil {
        let key = Arc::new(Key::generate(KeyMode::Ephemeral).unwrap());
        ZoomVeil::new(key, Epoch::Day, Generalize::default(), &policy)
    }

    fn person(email: Option<&str>, name: Option<&str>) -> Participation {
        Participation {
            meeting_id: Some("93250013841".into()),
            email: email.map(str::to_string),
            name: name.map(str::to_string),
            join: Some(0),
            leave: Some(60),
            ..Participation::default()
        }
    }

    #[test]
    fn identity_prefers_email_then_name_without_role() {
        let v = veil(ZoomPolicy::default());
        let by_mail = |e, n| v.participation(&person(e, n), 0, None, "f").unwrap().person;
        assert_eq!(
            by_mail(Some("Ana@Example.edu"), Some("Ana")),
            by_mail(Some("ana@example.edu"), Some("Dr. Ruiz"))
        );
        assert_eq!(
            by_mail(None, Some("Ana Ruiz (Host)")),
            by_mail(None, Some("ana ruiz"))
        );
        assert_eq!(
            by_mail(None, Some("Ana Ruiz (Co-host)")),
            by_mail(None, Some("Ana Ruiz"))
        );
        // An e-mail and a name never share a pseudonym space.
        assert_ne!(
            by_mail(Some("ana@x.edu"), None),
            by_mail(None, Some("ana@x.edu"))
        );
        assert!(v.participation(&person(None, None), 0, None, "f").is_none());
    }

    #[test]
    fn affiliations_match_subdomains_longest_first() {
        let mut p = ZoomPolicy::default();
        p.affiliations
            .insert("example.edu".into(), "Example".into());
        p.affiliations
            .insert("hms.example.edu".into(), "HMS".into());
        let v = veil(p);
        assert_eq!(v.affiliation(Some("a@hms.example.edu")), "HMS");
        assert_eq!(v.affiliation(Some("a@dept.hms.example.edu")), "HMS");
        assert_eq!(v.affiliation(Some("a@med.example.edu")), "Example");
        assert_eq!(v.affiliation(Some("a@notexample.edu")), EXTERNAL);
        assert_eq!(v.affiliation(None), UNKNOWN);
    }

    #[test]
    fn signins_keep_no_raw_values() {
        let v = veil(ZoomPolicy::default());
        let s = v.signin(&SignIn {
            email: Some("kim@example.edu".into()),
            time: 0,
            kind: "Sign in".into(),
            ip: Some("120.000.000".into()),
            client_type: Some("Browser".into()),
            version: Some("5.9.1.2581".into()),
        });
        assert_eq!(
            (s.kind, s.client_type.as_str(), s.version_major.as_str()),
            ("sign in", "Browser", "5")
        );
        assert_eq!(s.network, None, "an invalid address is no network");
        assert_eq!(label(Some("Jane's iPad with a very long name")), "(other)");
    }
}
