//! Collecting the identifiers of a set of inputs, each with the input file
//! and line where it was first seen.
//!
//! Inputs are read as a run reads them (discovery, decompression, format
//! detection), so clients and users are found by position; every line is
//! also read as text, so addresses and e-mails anywhere (forwarded-for
//! chains, query strings, referrers, unparseable lines) are collected too.
//! Only strict forms are taken from the text (see [`Mode::Collect`]): a log
//! line is full of numbers, and taking each for an address would make
//! every count in the outputs a finding.
//!
//! Identifiers are kept in canonical form ([`Key`]); [`super::forms`] reads
//! the outputs back to the same keys. The origin (input and line) is what
//! lets an operator check a finding without the report printing the value.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::forms::{self, Form, Key, Mode};
use crate::formats::{ParseContext, RawRecord, detect};
use crate::input::discover;
use crate::input::read::{self, Opened, StreamChunks};
use crate::privacy::ip::parse_ip;

/// Kinds of identifier, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdKind {
    /// An IPv4 address (any form).
    Ipv4,
    /// An IPv6 address (any form).
    Ipv6,
    /// A client written as a host name.
    Hostname,
    /// An authenticated user name (`%u`) or ident value (`%l`).
    Authuser,
    /// An e-mail address.
    Email,
}

impl IdKind {
    /// Name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Ipv4 => "ipv4",
            IdKind::Ipv6 => "ipv6",
            IdKind::Hostname => "hostname",
            IdKind::Authuser => "authuser",
            IdKind::Email => "email",
        }
    }

    /// The kind of a canonical key.
    pub fn of(key: &Key) -> IdKind {
        match key {
            Key::V4(_) => IdKind::Ipv4,
            Key::V6(_) => IdKind::Ipv6,
            Key::Email(_) => IdKind::Email,
            Key::Host(_) => IdKind::Hostname,
            Key::User(_) => IdKind::Authuser,
        }
    }
}

/// Where an identifier was first seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Origin {
    /// Index into [`Identifiers::input_paths`].
    pub input: usize,
    /// 1-based line number in that input (after decompression).
    pub line: u64,
}

/// The identifiers of a set of inputs, in canonical form.
#[derive(Debug, Default, Clone)]
pub struct Identifiers {
    keys: HashMap<Key, Origin>,
    inputs: Vec<PathBuf>,
    unreadable: Vec<(PathBuf, String)>,
}

/// User names shorter than this are not collected: a name of one or two
/// characters would match half the words of any output, and is not
/// distinguishing enough to single anyone out.
const MIN_USER_CHARS: usize = 3;

fn looks_like_email(t: &str) -> bool {
    t.split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
}

impl Identifiers {
    /// Number of distinct identifiers.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Inputs read, in the order origins index them.
    pub fn input_paths(&self) -> &[PathBuf] {
        &self.inputs
    }

    /// Inputs that could not be read to the end: their identifiers may be
    /// missing, so an audit against them cannot be called clean.
    pub fn unreadable(&self) -> &[(PathBuf, String)] {
        &self.unreadable
    }

    /// Where `key` was first seen, if it is an input identifier.
    pub fn origin(&self, key: &Key) -> Option<Origin> {
        self.keys.get(key).copied()
    }

    fn add(&mut self, key: Key, origin: Origin) {
        if let Key::User(u) = &key
            && (u.chars().count() < MIN_USER_CHARS || &**u == "-")
        {
            return;
        }
        self.keys.entry(key).or_insert(origin);
    }

    fn add_client(&mut self, client: &[u8], origin: Origin) {
        match parse_ip(client) {
            Some(IpAddr::V4(v4)) => self.add(Key::V4(v4.into()), origin),
            Some(IpAddr::V6(v6)) => self.add(Key::V6(v6.into()), origin),
            None => {
                let host = String::from_utf8_lossy(client);
                let host = host.trim_end_matches('.');
                if host.is_empty() || host == "-" {
                    return;
                }
                self.add(Key::Host(host.to_lowercase().into()), origin);
                // A host name that spells its address (`ip-198-51-100-23…`)
                // makes that address an identifier of the line too.
                forms::candidates(host, Mode::Scan, &mut |k, f, _| {
                    if matches!(k, Key::V4(_)) && matches!(f, Form::Dotted | Form::Dashed) {
                        self.add(k, origin);
                    }
                });
            }
        }
    }

    fn add_user(&mut self, user: &[u8], origin: Origin) {
        let name = String::from_utf8_lossy(user);
        if looks_like_email(&name) {
            self.add(Key::Email(name.to_lowercase().into()), origin);
        }
        self.add(Key::User(name.to_lowercase().into()), origin);
    }

    /// Adds every identifier of one line: the parsed client and user (when
    /// the line parsed), the ident field of a CLF-shaped line, and every
    /// strict address or e-mail in its text.
    pub fn add_line(&mut self, line: &[u8], record: Option<&RawRecord>, origin: Origin) {
        let (client, user) = match record {
            Some(r) => (Some(r.client), r.user),
            None => (None, None),
        };
        if let Some(c) = client {
            self.add_client(c, origin);
            // Formats such as `%h %v %u` (OVH's) put the virtual host where
            // CLF has the ident; a site name is not a person.
            if let Some(ident) = clf_ident(line, c)
                && record.and_then(|r| r.vhost) != Some(ident)
                && !looks_like_domain(ident)
            {
                self.add_user(ident, origin);
            }
        }
        if let Some(u) = user {
            self.add_user(u, origin);
        }
        let text = String::from_utf8_lossy(line);
        forms::candidates(&text, Mode::Collect, &mut |k, _, _| self.add(k, origin));
    }

    /// Collects the identifiers of every input under `paths`.
    pub fn collect(paths: &[PathBuf]) -> Result<Identifiers, crate::Error> {
        let discovery = discover(paths);
        if discovery.sources.is_empty() {
            let listed: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(crate::Error::NoInput(listed.join(", ")));
        }
        let mut ids = Identifiers::default();
        for problem in &discovery.problems {
            ids.unreadable
                .push((problem.path.clone(), problem.message.clone()));
        }
        for source in &discovery.sources {
            let input = ids.inputs.len();
            ids.inputs.push(source.path.clone());
            if let Err(e) = ids.read_source(source, input) {
                ids.unreadable.push((source.path.clone(), e.to_string()));
            }
        }
        Ok(ids)
    }

    fn read_source(&mut self, source: &discover::Source, input: usize) -> std::io::Result<()> {
        let reader: Box<dyn std::io::Read> = match read::open(source)? {
            Opened::Empty => return Ok(()),
            Opened::Plain(file, _) => Box::new(file),
            Opened::Stream(reader) => reader,
        };
        let mut line = 1;
        for chunk in StreamChunks::new(reader, read::DEFAULT_CHUNK_BYTES) {
            let chunk = chunk?;
            if !chunk.data.is_empty() {
                line = self.add_text(&chunk.data, input, line);
            }
            // A line too long to hold is never read, but still numbered.
            line += u64::from(chunk.too_long.is_some());
        }
        Ok(())
    }

    /// Adds the identifiers of a buffer of whole lines, the first of which
    /// is line `first`; returns the number of the line after the buffer.
    fn add_text(&mut self, data: &[u8], input: usize, first: u64) -> u64 {
        let format = detect::detect(data, true).format;
        let mut cx = ParseContext::default();
        let mut line = first;
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        for raw_line in data.split(|b| *b == b'\n') {
            let text = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
            let parsed = format.and_then(|f| f.parse(text, &mut cx).ok());
            self.add_line(text, parsed.as_ref(), Origin { input, line });
            line += 1;
        }
        line
    }

    /// The input path of an origin, for reports.
    pub fn input_path(&self, origin: Origin) -> &Path {
        self.inputs
            .get(origin.input)
            .map_or(Path::new("?"), PathBuf::as_path)
    }
}

/// Whether `s` reads as a domain name (`www.example.com`): dotted, ending
/// in a label of letters. Identd answers are login names, so such a value in
/// the ident place is a virtual host logged by a format detection took for
/// CLF; the trade-off is that an ident like `j.smith` is not collected.
fn looks_like_domain(s: &[u8]) -> bool {
    s.rsplit(|b| *b == b'.').next().is_some_and(|tld| {
        tld.len() >= 2 && tld.len() < s.len() && tld.iter().all(u8::is_ascii_alphabetic)
    })
}

/// The ident field (`%l`) of a line in Common Log Format shape: the second
/// field, when the first is the parsed client and the fourth opens the
/// time. Records carry no ident, and it is an identifier like `%u`.
fn clf_ident<'a>(line: &'a [u8], client: &[u8]) -> Option<&'a [u8]> {
    let mut fields = line.split(|b| *b == b' ');
    if fields.next()? != client {
        return None;
    }
    let ident = fields.next()?;
    let _user = fields.next()?;
    let time = fields.next()?;
    (time.starts_with(b"[") && ident != b"-").then_some(ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Origin = Origin { input: 0, line: 7 };

    fn record<'a>(
        client: &'a [u8],
        user: Option<&'a [u8]>,
        vhost: Option<&'a [u8]>,
    ) -> RawRecord<'a> {
        RawRecord {
            client,
            user,
            time: 0,
            request: crate::formats::Request::Missing,
            status: 200,
            bytes: 0,
            referer: None,
            user_agent: None,
            vhost,
            forwarded_for: None,
            duration_us: None,
        }
    }

    #[test]
    fn clients_users_idents_and_text() {
        let mut ids = Identifiers::default();
        ids.add_line(
            br#"192.0.2.1 ident1 jdoe [10/Oct/2000:13:55:36 -0700] "GET /r?email=jane.doe%40example.edu HTTP/1.1" 200 1 "-" "-" "2001:db8::7, 10.0.0.1""#,
            Some(&record(b"192.0.2.1", Some(b"jdoe"), None)),
            AT,
        );
        let host = record(b"ip-198-51-100-23.Example.NET.", None, None);
        ids.add_line(b"x", Some(&host), AT);
        for key in [
            Key::V4(0xC000_0201),
            Key::User("jdoe".into()),
            Key::User("ident1".into()),
            Key::Email("jane.doe@example.edu".into()),
            Key::V6("2001:db8::7".parse::<std::net::Ipv6Addr>().unwrap().into()),
            Key::V4(0x0A00_0001),
            Key::Host("ip-198-51-100-23.example.net".into()),
            Key::V4(0xC633_6417),
        ] {
            assert_eq!(ids.origin(&key), Some(AT), "{key:?}");
        }
        assert_eq!(ids.origin(&Key::User("get".into())), None);
        assert_eq!(ids.len(), 8);
    }

    #[test]
    fn a_virtual_host_in_the_ident_place_is_not_a_user() {
        let mut ids = Identifiers::default();
        let line = b"192.0.2.1 www.example.com theuser [10/Feb/2012:16:42:07 -0500] \"GET / HTTP/1.1\" 301 368";
        for vhost in [Some(&b"www.example.com"[..]), None] {
            let r = record(b"192.0.2.1", Some(b"theuser"), vhost);
            ids.add_line(line, Some(&r), AT);
        }
        assert_eq!(ids.origin(&Key::User("www.example.com".into())), None);
        assert_eq!(ids.origin(&Key::User("theuser".into())), Some(AT));
    }

    #[test]
    fn line_numbers_continue_across_buffers() {
        let mut ids = Identifiers::default();
        let next = ids.add_text(b"a\nb\n", 0, 1);
        assert_eq!(next, 3);
        ids.add_text(b"x\nmail bob@example.org\n", 0, next);
        assert_eq!(
            ids.origin(&Key::Email("bob@example.org".into())),
            Some(Origin { input: 0, line: 4 })
        );
    }
}
