//! Collecting the identifiers of a set of inputs, in every textual form an
//! output could carry them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;

use crate::formats::{ParseContext, detect};
use crate::input::discover;
use crate::input::read::{self, Opened, StreamChunks};
use crate::privacy::ip::parse_ip;

/// Kinds of identifier, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// An IPv4 address (any form).
    Ipv4,
    /// An IPv6 address (any form).
    Ipv6,
    /// A client written as a host name.
    HostName,
    /// An authenticated user name.
    User,
    /// An e-mail address.
    Email,
}

impl IdKind {
    /// Name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Ipv4 => "IPv4 address",
            IdKind::Ipv6 => "IPv6 address",
            IdKind::HostName => "client host name",
            IdKind::User => "user name",
            IdKind::Email => "e-mail address",
        }
    }
}

/// Identifier forms, lower-cased, with their kind.
#[derive(Debug, Default, Clone)]
pub struct Identifiers {
    forms: HashMap<String, IdKind>,
    inputs: usize,
}

/// Characters that end a token when scanning text for identifiers: anything
/// that cannot be part of an address, host name, user name or e-mail.
pub fn is_separator(c: char) -> bool {
    !(c.is_alphanumeric() || matches!(c, '.' | ':' | '@' | '%' | '-' | '_' | '+' | '[' | ']'))
}

fn ip_forms(ip: IpAddr) -> Vec<(String, IdKind)> {
    match ip {
        IpAddr::V4(v4) => vec![
            (v4.to_string(), IdKind::Ipv4),
            (format!("::ffff:{v4}"), IdKind::Ipv4),
            // std prints a mapped address dotted; the hex spelling is
            // what other tools (and `inet6` columns) write.
            {
                let [a, b, c, d] = v4.octets();
                let hex = format!(
                    "::ffff:{:x}:{:x}",
                    u16::from_be_bytes([a, b]),
                    u16::from_be_bytes([c, d])
                );
                (hex, IdKind::Ipv4)
            },
            (format!("0:0:0:0:0:ffff:{v4}"), IdKind::Ipv4),
        ],
        IpAddr::V6(v6) => {
            let expanded = v6
                .segments()
                .iter()
                .map(|s| format!("{s:04x}"))
                .collect::<Vec<_>>()
                .join(":");
            let plain = v6
                .segments()
                .iter()
                .map(|s| format!("{s:x}"))
                .collect::<Vec<_>>()
                .join(":");
            vec![
                (v6.to_string(), IdKind::Ipv6),
                (expanded, IdKind::Ipv6),
                (plain, IdKind::Ipv6),
            ]
        }
    }
}

fn looks_like_email(t: &str) -> bool {
    match t.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        }
        None => false,
    }
}

impl Identifiers {
    /// Number of distinct forms.
    pub fn len(&self) -> usize {
        self.forms.len()
    }

    /// Whether nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Inputs read.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The kind of identifier `token` is, if it is one (case-insensitive).
    pub fn lookup(&self, token: &str) -> Option<IdKind> {
        if token.is_empty() {
            return None;
        }
        self.forms.get(&token.to_lowercase()).copied()
    }

    fn add(&mut self, form: String, kind: IdKind) {
        // A user name of one or two characters would match half the words
        // of any output; such names are not distinguishing enough to find.
        if form.chars().count() >= 3 && form != "-" {
            self.forms.entry(form.to_lowercase()).or_insert(kind);
        }
    }

    /// Adds every identifier of one line.
    pub fn add_line(&mut self, line: &[u8], client: Option<&[u8]>, user: Option<&[u8]>) {
        if let Some(c) = client {
            match parse_ip(c) {
                Some(ip) => ip_forms(ip).into_iter().for_each(|(f, k)| self.add(f, k)),
                None => {
                    let host = String::from_utf8_lossy(c).trim_end_matches('.').to_string();
                    self.add(host, IdKind::HostName);
                }
            }
        }
        if let Some(u) = user {
            let name = String::from_utf8_lossy(u).into_owned();
            if looks_like_email(&name) {
                self.add(name.replace('@', "%40"), IdKind::Email);
            }
            self.add(name, IdKind::User);
        }
        let text = String::from_utf8_lossy(line);
        for token in text.split(is_separator) {
            let token = token.trim_matches(|c| matches!(c, '.' | ':' | '-' | '[' | ']'));
            if token.len() < 3 {
                continue;
            }
            if let Some(ip) = parse_ip(token.as_bytes()) {
                ip_forms(ip).into_iter().for_each(|(f, k)| self.add(f, k));
                continue;
            }
            let decoded = token
                .replace("%40", "@")
                .replace("%40".to_uppercase().as_str(), "@");
            if looks_like_email(&decoded) {
                self.add(decoded.replace('@', "%40"), IdKind::Email);
                self.add(decoded, IdKind::Email);
            }
        }
    }

    /// Collects the identifiers of every input under `paths`, reading them
    /// as a run would (discovery, decompression, format detection).
    pub fn collect(paths: &[PathBuf]) -> Result<Identifiers, crate::Error> {
        let discovery = discover(paths);
        if discovery.sources.is_empty() {
            let listed: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(crate::Error::NoInput(listed.join(", ")));
        }
        let mut ids = Identifiers::default();
        for source in &discovery.sources {
            ids.inputs += 1;
            let Ok(opened) = read::open(source) else {
                continue;
            };
            let reader: Box<dyn std::io::Read> = match opened {
                Opened::Empty => continue,
                Opened::Plain(file, _) => Box::new(file),
                Opened::Stream(reader) => reader,
            };
            for chunk in StreamChunks::new(reader, read::DEFAULT_CHUNK_BYTES).map_while(Result::ok)
            {
                ids.add_text(&chunk.data);
            }
        }
        Ok(ids)
    }

    /// Adds the identifiers of a buffer of whole lines. Lines are parsed
    /// with the format detected on the buffer, so clients and users are
    /// found by position; every line is also scanned token by token, so
    /// unparseable lines still contribute their addresses.
    fn add_text(&mut self, data: &[u8]) {
        let format = detect::detect(data, true).format;
        let mut cx = ParseContext::default();
        for raw_line in data.split(|b| *b == b'\n') {
            let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
            let parsed = format.and_then(|f| f.parse(line, &mut cx).ok());
            let (client, user) = match &parsed {
                Some(r) => (Some(r.client), r.user),
                None => (None, None),
            };
            self.add_line(line, client, user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_addresses_users_and_emails() {
        let mut ids = Identifiers::default();
        ids.add_line(
            br#"192.0.2.1 - jdoe [10/Oct/2000:13:55:36 -0700] "GET /r?email=jane.doe%40example.edu HTTP/1.1" 200 1 "-" "-" "2001:db8::7, 10.0.0.1""#,
            Some(b"192.0.2.1"),
            Some(b"jdoe"),
        );
        for (form, kind) in [
            ("192.0.2.1", IdKind::Ipv4),
            ("::ffff:192.0.2.1", IdKind::Ipv4),
            ("::ffff:c000:201", IdKind::Ipv4),
            ("jdoe", IdKind::User),
            ("jane.doe@example.edu", IdKind::Email),
            ("jane.doe%40example.edu", IdKind::Email),
            ("2001:db8::7", IdKind::Ipv6),
            ("2001:0db8:0000:0000:0000:0000:0000:0007", IdKind::Ipv6),
            ("10.0.0.1", IdKind::Ipv4),
        ] {
            assert_eq!(ids.lookup(form), Some(kind), "{form}");
        }
        assert_eq!(ids.lookup("JDOE"), Some(IdKind::User));
        assert_eq!(ids.lookup("GET"), None);
        assert_eq!(ids.lookup("2000"), None);
    }
}
