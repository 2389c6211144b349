//! The privacy stage for Zoom data.
//!
//! A participant row carries up to two identities: its e-mail and its
//! display name, normalised ([`canonical_name`]) so that "Lee Kim (Host)",
//! "lee  kim" and "Lee Kim’s iPhone" are one name. Each is hashed under its
//! own Zoom subkey, so Zoom pseudonyms can never be compared with web
//! pseudonyms. The row's provisional person is its e-mail pseudonym, else
//! its name pseudonym, else its user id's; `aggregate::zoom_people` later
//! joins identities seen together on a row into one person, on pseudonyms
//! only. Normalisation errs towards merging: two people who share a
//! normalised name count as one, which undercounts (withholds more) rather
//! than letting one person pass for two.
//!
//! A meeting pseudonym names one occurrence (Zoom's occurrence uuid, else id
//! and start: `Participation::occurrence_key`), so weekly sessions of one
//! meeting id stay apart however long the key epoch. When sensitive hosts
//! are configured, a meeting whose host e-mail is not known is marked
//! sensitive too (`host_unknown`): it cannot be shown not to be one.
//!
//! Names, topics, phone numbers, device identifiers, internal addresses
//! and free-text leave reasons never leave the reader. The affiliation is
//! derived from the e-mail domain *before* hashing, through the policy's
//! domain map. Sign-in addresses are hashed under their own subkey.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use unicode_normalization::UnicodeNormalization;

use super::ip::{Generalize, canonical_client, parse_ip};
use super::key::Key;
use super::policy::ZoomPolicy;
use super::pseudonym::{Domain, Epoch, IdKind, Pseudonym, Pseudonymizer, Source};
use crate::formats::zoom::{Participation, SignIn};

/// Affiliation of a participant without e-mail.
pub const UNKNOWN: &str = "unknown";
/// Affiliation of an e-mail outside the domain map.
pub const EXTERNAL: &str = "external";

/// How many kinds of identifier there are: [`slot`]'s range.
const KINDS: usize = 6;

/// The slot of a kind of identifier among [`ZoomKeys`]' pseudonymizers
/// (a match, so that a new kind cannot go without one).
fn slot(kind: IdKind) -> usize {
    match kind {
        IdKind::Client => 0,
        IdKind::Email => 1,
        IdKind::Name => 2,
        IdKind::UserId => 3,
        IdKind::Meeting => 4,
        IdKind::Network => 5,
    }
}

/// A participant session after the privacy stage.
#[derive(Debug, Clone, PartialEq)]
pub struct VeiledParticipation<'v> {
    /// Meeting pseudonym.
    pub meeting: Pseudonym,
    /// Whether the meeting is held to `sensitive_k` (or excluded): its host
    /// is a listed sensitive host, or sensitive hosts are listed and its
    /// host is not known.
    pub sensitive: bool,
    /// Whether `sensitive` holds only because the host is not known: such
    /// a meeting is held to `sensitive_k`, never excluded outright.
    pub host_unknown: bool,
    /// Meeting start, if the data has it.
    pub meeting_start: Option<i64>,
    /// Meeting end, if the data has it.
    pub meeting_end: Option<i64>,
    /// Participant pseudonym: provisional (e-mail, else name, else id)
    /// until `aggregate::zoom_people` sets it to the person's.
    pub person: Pseudonym,
    /// Pseudonym of the row's e-mail, if it has one.
    pub email_id: Option<Pseudonym>,
    /// Pseudonym of the row's normalised display name, if it has one.
    pub name_id: Option<Pseudonym>,
    /// Tag of the key epoch all of the row's pseudonyms are made in (its
    /// meeting's anchor's): identities of different tags are never one
    /// identifier, so `aggregate::zoom_people` joins them epoch by epoch.
    pub epoch: u16,
    /// Affiliation label from the policy's domain map (borrowed from the
    /// veil: a row costs no allocation for it).
    pub affiliation: &'v str,
    /// Guest flag (false when unknown).
    pub guest: bool,
    /// Join time.
    pub join: Option<i64>,
    /// Leave time.
    pub leave: Option<i64>,
    /// Minutes, when the data has no join/leave times.
    pub minutes: Option<f64>,
    /// Device class, or `unknown`.
    pub device: Cow<'static, str>,
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
    /// Tag of the key epoch `user` is made in (the event's).
    pub epoch: u16,
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
    // Shared pseudonymizers for the locking methods; workers bring their
    // own ([`ZoomKeys`]) so threads do not queue on this lock per row.
    pseudonymizers: Mutex<ZoomKeys>,
}

/// One pseudonymizer per identifier kind, each caching its current epoch's
/// subkey: deriving a subkey per row would dominate the run. A worker
/// thread keeps its own and passes it to [`ZoomVeil::participation_in`].
///
/// It also remembers, in this worker's memory only, what repeats from row
/// to row: each raw display name's canonical form (two NFKC passes, the
/// dearest step of a row, for a name met again in every meeting its person
/// attends) and the last meeting's pseudonym (every row of a meeting names
/// it). The raw names are never written anywhere; the memo is emptied when
/// full, as a miss only costs recomputation.
#[derive(Debug, Default)]
pub struct ZoomKeys {
    // One slot per identifier kind ([`slot`]): looked up two or
    // three times a row, where a SipHash map lookup cost more than the
    // slot's use.
    pseudonymizers: [Option<Pseudonymizer>; KINDS],
    names: NameMemo,
    // The canonical form of the row's name, when it is ASCII.
    name: String,
    meeting: Option<LastMeeting>,
}

/// The last meeting pseudonym a worker computed and what it was computed
/// from, compared field by field: its text (`occurrence_key`, or the
/// source) is then formatted only when the meeting changes.
#[derive(Debug)]
struct LastMeeting {
    anchor: i64,
    occurrence: Option<String>,
    id: Option<Arc<str>>,
    start: Option<i64>,
    source: String,
    pseudonym: Pseudonym,
}

impl LastMeeting {
    fn is_of(&self, p: &Participation, anchor: i64, source: &str) -> bool {
        self.anchor == anchor
            && self.start == p.meeting_start
            && self.id == p.meeting_id
            && self.occurrence == p.occurrence
            && self.source == source
    }
}

/// Raw display names and their canonical forms.
type NameMemo = hashbrown::HashMap<String, Box<str>, foldhash::fast::RandomState>;

/// Distinct raw names a worker remembers before starting over: a few MiB.
const NAME_MEMO: usize = 1 << 16;

/// The canonical form of `name`: an ASCII name computed into `scratch`
/// (cheaper than a memo lookup, and most names are ASCII), any other
/// remembered in `names`.
fn canonical_in<'a>(names: &'a mut NameMemo, scratch: &'a mut String, name: &str) -> &'a str {
    if name.is_ascii() {
        canonical_ascii(name, scratch);
        return scratch;
    }
    if names.len() >= NAME_MEMO && !names.contains_key(name) {
        names.clear();
    }
    // One lookup finds the name or its slot, where a hit once cost two.
    names
        .entry_ref(name)
        .or_insert_with(|| canonical_name(name).into_boxed_str())
}

/// Whether `c` is white space as `char::is_whitespace` says, for ASCII.
fn ascii_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t'..=b'\r')
}

/// [`canonical_name`] of an ASCII `name`, into `out`, without allocating:
/// NFKC leaves ASCII as it is and no ASCII letter folds to more than
/// one, so the steps are lowercasing, the backtick as an apostrophe,
/// white space collapsed, then the same suffixes stripped.
fn canonical_ascii(name: &str, out: &mut String) {
    out.clear();
    for word in name
        .split(|c: char| c.is_ascii() && ascii_space(c as u8))
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        // Copied and lowercased as a whole: pushed a char at a time, each
        // byte was encoded as UTF-8 on its own.
        let start = out.len();
        out.push_str(word);
        if let Some(w) = out.get_mut(start..) {
            w.make_ascii_lowercase();
        }
        if word.contains('`') {
            let fixed = out.split_off(start).replace('`', "'");
            out.push_str(&fixed);
        }
    }
    let mut n = out.as_str();
    while let Some(shorter) = strip_once(n) {
        n = shorter;
    }
    let keep = n.len();
    out.truncate(keep);
}

fn domain(kind: IdKind) -> Domain {
    Domain {
        source: Source::Zoom,
        kind,
    }
}

/// Markers Zoom appends to a display name for a role or for the viewer,
/// case-folded.
const ROLE_MARKERS: &[&str] = &[
    "(host)",
    "(co-host)",
    "(cohost)",
    "(guest)",
    "(me)",
    "(host, me)",
    "(co-host, me)",
];

/// Words that name a device after a possessive ("Lee Kim's iPhone") or
/// after Zoom's " - " ("Lee Kim - iPad"), case-folded. Generous on purpose:
/// a name wrongly cut only merges people, which undercounts.
const DEVICES: &[&str] = &[
    "iphone",
    "ipad",
    "ipod",
    "android",
    "galaxy",
    "samsung",
    "macbook",
    "imac",
    "mac",
    "pixel",
    "phone",
    "mobile",
    "laptop",
    "pc",
    "computer",
    "desktop",
    "tablet",
    "chromebook",
    "surface",
];

/// Whether `tail` starts with a device word ("iPhone 13", "pixel7").
fn names_device(tail: &str) -> bool {
    let word = tail
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches(|c: char| !c.is_alphanumeric());
    DEVICES.iter().any(|d| {
        word.strip_prefix(d)
            .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
    })
}

/// `name` without one trailing pronoun note ("jane doe (she/her)").
fn strip_pronouns(name: &str) -> Option<&str> {
    let inner = name.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let note = &inner[open + 1..];
    (note.contains('/')
        && note
            .chars()
            .all(|c| c.is_alphabetic() || c == '/' || c == ' '))
    .then(|| &name[..open])
}

/// `name` without one trailing device suffix: `'s <device>…`, `s' <device>…`
/// or ` - <device>…`.
fn strip_device(name: &str) -> Option<&str> {
    // Most names hold neither an apostrophe nor a dash: one byte scan
    // spares building three substring searchers.
    memchr::memchr2(b'\'', b'-', name.as_bytes())?;
    if let Some(at) = name.rfind("'s ")
        && names_device(&name[at + 3..])
    {
        return Some(&name[..at]);
    }
    if let Some(at) = name.rfind("s' ")
        && names_device(&name[at + 3..])
    {
        return Some(&name[..at + 1]);
    }
    let at = name.rfind(" - ")?;
    names_device(&name[at + 3..]).then(|| &name[..at])
}

/// One trailing role marker, pronoun note or device suffix removed.
fn strip_once(name: &str) -> Option<&str> {
    ROLE_MARKERS
        .iter()
        .find_map(|m| name.strip_suffix(m))
        .or_else(|| strip_pronouns(name))
        .or_else(|| strip_device(name))
        .map(str::trim_end)
}

/// A display name as one person's handle: Unicode NFKC, case-folded,
/// apostrophes unified, whitespace collapsed, and trailing role markers
/// (` (Host)`, ` (Co-host)`, ` (Guest)`, `(Me)`), pronoun notes
/// (` (she/her)`) and device suffixes (`'s iPhone`, `'s Galaxy S21`,
/// ` - iPad`, …) removed, repeatedly. Empty when nothing is left.
pub fn canonical_name(name: &str) -> String {
    let folded: String = name
        .nfkc()
        .filter(|c| !matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}'))
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '\u{2032}' | '`' | '\u{00b4}' => '\'',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    // `to_lowercase` is not full case folding; these are the folds that
    // names meet.
    let folded = folded.replace('ß', "ss").replace('ς', "σ");
    let collapsed = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut n = collapsed.as_str();
    while let Some(shorter) = strip_once(n) {
        n = shorter;
    }
    n.nfkc().collect()
}

/// Short client label: the part a person would recognise, bounded in length.
fn label(raw: Option<&str>) -> Cow<'static, str> {
    match raw.map(str::trim).filter(|s| !s.is_empty() && *s != "-") {
        None => Cow::Borrowed(UNKNOWN),
        // Free text never goes out: a label is letters, digits and a few
        // separators, at most 24 characters.
        Some(s)
            if s.len() <= 24
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')) =>
        {
            Cow::Owned(s.to_string())
        }
        Some(_) => Cow::Borrowed("(other)"),
    }
}

/// `text` lowercased, borrowed when it already is: ASCII without capitals
/// (what e-mail addresses nearly always are) lowercases to itself.
fn lowercase(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.to_lowercase())
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
            pseudonymizers: Mutex::new(ZoomKeys::default()),
        }
    }

    fn pseudonym(&self, keys: &mut ZoomKeys, kind: IdKind, time: i64, bytes: &[u8]) -> Pseudonym {
        self.pseudonym_in(&mut keys.pseudonymizers, kind, time, bytes)
    }

    fn pseudonym_in(
        &self,
        pseudonymizers: &mut [Option<Pseudonymizer>; KINDS],
        kind: IdKind,
        time: i64,
        bytes: &[u8],
    ) -> Pseudonym {
        Self::pseudonymizer(&self.key, self.epoch, pseudonymizers, kind).pseudonym(time, bytes)
    }

    /// The pseudonymizer of `kind`, made on first use.
    fn pseudonymizer<'k>(
        key: &Arc<Key>,
        epoch: Epoch,
        pseudonymizers: &'k mut [Option<Pseudonymizer>; KINDS],
        kind: IdKind,
    ) -> &'k mut Pseudonymizer {
        pseudonymizers[slot(kind)]
            .get_or_insert_with(|| Pseudonymizer::new(key.clone(), domain(kind), epoch))
    }

    /// The tag of the key epoch of pseudonyms made at `time`: the same for
    /// every kind, as the veil's pseudonymizers all rotate together.
    fn epoch_tag(&self, keys: &mut ZoomKeys, time: i64) -> u16 {
        Self::pseudonymizer(
            &self.key,
            self.epoch,
            &mut keys.pseudonymizers,
            IdKind::Email,
        )
        .epoch_tag(time)
    }

    fn shared_keys(&self) -> std::sync::MutexGuard<'_, ZoomKeys> {
        // A poisoned lock only means another thread panicked mid-insert;
        // the map is still a valid cache.
        self.pseudonymizers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a meeting's host changes what its rows become: only when
    /// the policy lists sensitive hosts.
    pub fn reads_hosts(&self) -> bool {
        !self.sensitive_hosts.is_empty()
    }

    /// The affiliation of an e-mail address.
    pub fn affiliation(&self, email: Option<&str>) -> &str {
        let Some(domain) = email
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| lowercase(d.trim()))
        else {
            return UNKNOWN;
        };
        self.affiliations
            .iter()
            .find(|(d, _)| {
                domain
                    .strip_suffix(d.as_str())
                    .is_some_and(|head| head.is_empty() || head.ends_with('.'))
            })
            .map_or(EXTERNAL, |(_, l)| l.as_str())
    }

    /// Veils one participation. `anchor` is the time that selects the key
    /// epoch for every pseudonym of the meeting (its start), so one person
    /// keeps one pseudonym through a meeting that crosses midnight.
    /// `source_key` names the meeting when the data has no meeting id.
    ///
    /// `host` is the meeting's host e-mail when known (from the export's
    /// host column, the Dashboard's host role, or the row marked `(Host)`
    /// when it has an e-mail), to recognise sensitive hosts. A `(Host)`
    /// name alone identifies no e-mail, so such a meeting's host is unknown.
    pub fn participation(
        &self,
        p: &Participation,
        anchor: i64,
        host: Option<&str>,
        source_key: &str,
    ) -> Option<VeiledParticipation<'_>> {
        self.participation_in(&mut self.shared_keys(), p, anchor, host, source_key)
    }

    /// [`ZoomVeil::participation`] with a worker's own pseudonymizers.
    pub fn participation_in(
        &self,
        keys: &mut ZoomKeys,
        p: &Participation,
        anchor: i64,
        host: Option<&str>,
        source_key: &str,
    ) -> Option<VeiledParticipation<'_>> {
        let email = p
            .email
            .as_deref()
            .map(|e| lowercase(e.trim()))
            .filter(|e| e.contains('@'));
        let email_id = email
            .as_deref()
            .map(|e| self.pseudonym(keys, IdKind::Email, anchor, e.as_bytes()));
        let name_id = p.name.as_deref().and_then(|raw| {
            let n = canonical_in(&mut keys.names, &mut keys.name, raw);
            (!n.is_empty()).then(|| {
                self.pseudonym_in(&mut keys.pseudonymizers, IdKind::Name, anchor, n.as_bytes())
            })
        });
        let person = match email_id.or(name_id) {
            Some(person) => person,
            None => {
                let id = p
                    .user_id
                    .as_deref()
                    .map(str::trim)
                    .filter(|i| !i.is_empty())?;
                self.pseudonym(keys, IdKind::UserId, anchor, id.as_bytes())
            }
        };
        let host = host.map(str::trim).filter(|h| !h.is_empty());
        let host_unknown = host.is_none() && !self.sensitive_hosts.is_empty();
        let sensitive = host_unknown
            || host.is_some_and(|h| {
                self.sensitive_hosts
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(h))
            });
        let meeting = match &keys.meeting {
            Some(last) if last.is_of(p, anchor, source_key) => last.pseudonym,
            _ => {
                let text = p
                    .occurrence_key()
                    .unwrap_or_else(|| format!("source:{source_key}"));
                let pseudonym = self.pseudonym(keys, IdKind::Meeting, anchor, text.as_bytes());
                keys.meeting = Some(LastMeeting {
                    anchor,
                    occurrence: p.occurrence.clone(),
                    id: p.meeting_id.clone(),
                    start: p.meeting_start,
                    source: source_key.to_string(),
                    pseudonym,
                });
                pseudonym
            }
        };
        Some(VeiledParticipation {
            meeting,
            sensitive,
            host_unknown,
            meeting_start: p.meeting_start,
            meeting_end: p.meeting_end,
            person,
            email_id,
            name_id,
            epoch: self.epoch_tag(keys, anchor),
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
        self.signin_in(&mut self.shared_keys(), s)
    }

    /// [`ZoomVeil::signin`] with a worker's own pseudonymizers.
    pub fn signin_in(&self, keys: &mut ZoomKeys, s: &SignIn) -> VeiledSignIn {
        let email = s
            .email
            .as_deref()
            .map(|e| lowercase(e.trim()))
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
                        keys,
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
            client_type: label(s.client_type.as_deref()).into_owned(),
            version_major,
            user: self.pseudonym(keys, IdKind::Email, s.time, email.as_bytes()),
            epoch: self.epoch_tag(keys, s.time),
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
    fn a_row_carries_its_email_and_its_normalised_name() {
        let v = veil(ZoomPolicy::default());
        let with_mail = v
            .participation(
                &person(Some("lee@example.edu"), Some("Lee Kim")),
                0,
                None,
                "f",
            )
            .unwrap();
        let phone = v
            .participation(&person(None, Some("Lee Kim’s iPhone")), 0, None, "f")
            .unwrap();
        assert_eq!(with_mail.person, with_mail.email_id.unwrap());
        assert_eq!(with_mail.name_id, phone.name_id);
        assert_eq!(phone.person, phone.name_id.unwrap());
        assert_eq!(phone.email_id, None);
        // A role marker is no handle on a person.
        assert!(
            v.participation(&person(None, Some(" (Host)")), 0, None, "f")
                .is_none()
        );
    }

    proptest::proptest! {
        // Any text is a possible display name: normalising never panics,
        // and a normalised name is its own normal form, so a name already
        // cut is never cut again.
        #[test]
        fn normalising_is_total_and_idempotent(name in "(\\PC|'s |\\(Host\\)| - |iPhone){0,12}") {
            let once = canonical_name(&name);
            proptest::prop_assert_eq!(canonical_name(&once), once);
        }

        // The ASCII path gives what the Unicode one gives, white space of
        // every ASCII kind, backticks, role, pronoun and device suffixes
        // included.
        #[test]
        fn ascii_names_normalise_as_any_other(
            name in r"([ -~]|[\t\n\x0b\x0c\r]|`s |'s |s' |\(Host\)|\(he/him\)| - |iPhone 13|IPAD){0,12}"
        ) {
            let mut out = String::from("stale");
            canonical_ascii(&name, &mut out);
            proptest::prop_assert_eq!(out, canonical_name(&name));
        }
    }

    #[test]
    fn meetings_are_occurrences() {
        let v = veil(ZoomPolicy::default());
        let at = |start: Option<i64>, uuid: Option<&str>| {
            let mut p = person(Some("a@example.edu"), None);
            p.meeting_start = start;
            p.occurrence = uuid.map(str::to_string);
            v.participation(&p, 0, None, "f").unwrap().meeting
        };
        assert_ne!(at(Some(0), None), at(Some(7 * 86_400), None));
        assert_eq!(at(Some(0), None), at(Some(0), None));
        assert_ne!(at(Some(0), Some("u1")), at(Some(0), Some("u2")));
        assert_eq!(at(Some(0), Some("u1")), at(Some(7 * 86_400), Some("u1")));
    }

    #[test]
    fn an_unknown_host_is_sensitive_only_when_sensitive_hosts_are_listed() {
        let plain = veil(ZoomPolicy::default());
        let row = person(Some("a@example.edu"), None);
        let p = plain.participation(&row, 0, None, "f").unwrap();
        assert!(!p.sensitive && !p.host_unknown);
        let v = veil(ZoomPolicy {
            sensitive_hosts: vec!["Counseling@Health.example.edu".into()],
            ..ZoomPolicy::default()
        });
        let p = v.participation(&row, 0, None, "f").unwrap();
        assert!(p.sensitive && p.host_unknown);
        let p = v.participation(&row, 0, Some(" "), "f").unwrap();
        assert!(p.sensitive && p.host_unknown, "a blank host is no host");
        let p = v
            .participation(&row, 0, Some("counseling@health.example.edu"), "f")
            .unwrap();
        assert!(p.sensitive && !p.host_unknown);
        let p = v
            .participation(&row, 0, Some("lab@example.edu"), "f")
            .unwrap();
        assert!(!p.sensitive && !p.host_unknown);
    }

    #[test]
    fn lowercase_borrows_only_what_lowercases_to_itself() {
        for t in [
            "lee@example.edu",
            "Lee@Example.EDU",
            "ǅ@x",
            "ΣΑΣ@x",
            "é@x",
            "",
            "a b",
        ] {
            assert_eq!(lowercase(t), t.to_lowercase(), "{t}");
            assert_eq!(
                matches!(lowercase(t), Cow::Borrowed(_)),
                t.is_ascii() && t == t.to_lowercase()
            );
        }
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
        assert_eq!(v.affiliation(Some("a@Dept.HMS.Example.edu ")), "HMS");
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
