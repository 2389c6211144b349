//! Canonical forms of client identifiers, computed before hashing.
//!
//! One client must give one pseudonym however it was written: `192.0.2.1`,
//! `::ffff:192.0.2.1`, `[2001:db8::1]:443`, `2001:DB8:0::1`, `fe80::1%eth0`
//! and `Host.Example.EDU.` are each reduced to one byte string. Each form
//! carries a tag byte so an IPv4 address can never collide with a 4-byte
//! host name.
//!
//! Optional generalisation (a prefix length per family) zeroes host bits
//! *before* hashing, as GoAccess's `--anonymize-ip` and Google Analytics do;
//! visitors are then counted per network, not per address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest canonical form: tag + 253-byte host name (+ slack), plus room
/// for the client class when visitors are identified by address and agent.
const MAX_LEN: usize = 320;
const MAX_HOST: usize = 257;

/// A canonical client identifier, ready to hash. Stack-allocated so the hot
/// path does not allocate.
#[derive(Clone)]
pub struct Canonical {
    buf: [u8; MAX_LEN],
    len: usize,
}

impl Canonical {
    /// The bytes to hash.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Appends `bytes` (truncated if the buffer is full).
    pub fn append(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(MAX_LEN - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    fn from_parts(tag: u8, body: &[u8]) -> Canonical {
        let mut buf = [0u8; MAX_LEN];
        // Host names are at most 253 bytes; longer client fields are cut.
        let len = body.len().min(MAX_HOST);
        buf[0] = tag;
        buf[1..=len].copy_from_slice(&body[..len]);
        Canonical { buf, len: len + 1 }
    }
}

/// Prefix lengths applied before hashing (32 and 128 keep full addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Generalize {
    /// IPv4 prefix length, 0–32.
    pub v4_prefix: u8,
    /// IPv6 prefix length, 0–128.
    pub v6_prefix: u8,
}

impl Default for Generalize {
    fn default() -> Self {
        Generalize {
            v4_prefix: 32,
            v6_prefix: 128,
        }
    }
}

/// Parses a client field as an IP address, tolerating brackets, a port and
/// a zone id. `None` for anything that is not an address (host names).
pub fn parse_ip(raw: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = dotted_quad(raw) {
        return Some(IpAddr::V4(v4));
    }
    let mut s = std::str::from_utf8(raw).ok()?;
    if let Some(inner) = s.strip_prefix('[') {
        // `[v6]` or `[v6]:port`
        let end = inner.find(']')?;
        s = &inner[..end];
    } else if s.bytes().filter(|&c| c == b':').count() == 1 {
        // `a.b.c.d:port`: a single colon cannot be IPv6.
        s = &s[..s.find(':')?];
    }
    if let Some(p) = s.find('%') {
        s = &s[..p];
    }
    match s.parse::<IpAddr>().ok()? {
        IpAddr::V6(v6) => Some(match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        }),
        v4 => Some(v4),
    }
}

/// A plain `a.b.c.d`, most clients' spelling, read without the checks for
/// brackets, ports and zones: `None` for anything else, including what
/// the standard parser rejects (a part with a leading zero, above 255).
fn dotted_quad(raw: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = raw.split(|&c| c == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let mut n: u16 = 0;
        for &c in part {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u16::from(c - b'0');
        }
        *octet = u8::try_from(n).ok()?;
    }
    match parts.next() {
        Some(_) => None,
        None => Some(Ipv4Addr::from(octets)),
    }
}

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare
/// address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside the network (IPv4-mapped addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => mask_v4(n, self.prefix) == mask_v4(a, self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => mask_v6(n, self.prefix) == mask_v6(a, self.prefix),
            (IpAddr::V4(_), IpAddr::V6(a)) => a
                .to_ipv4_mapped()
                .is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr.trim().parse().map_err(|_| {
            format!("{s:?} is not an address or network (expected e.g. 10.0.0.0/8)")
        })?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: prefix length must be 0–{max}"))?,
        };
        Ok(Cidr { network, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl serde::Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn mask_v4(ip: Ipv4Addr, prefix: u8) -> [u8; 4] {
    let bits = u32::from(ip);
    let mask = if prefix >= 32 {
        u32::MAX
    } else {
        !(u32::MAX >> prefix)
    };
    (bits & mask).to_be_bytes()
}

fn mask_v6(ip: Ipv6Addr, prefix: u8) -> [u8; 16] {
    let bits = u128::from(ip);
    let mask = if prefix >= 128 {
        u128::MAX
    } else {
        !(u128::MAX >> prefix)
    };
    (bits & mask).to_be_bytes()
}

/// Canonicalises a client field: an address (generalised as configured) or
/// a lower-cased host name without trailing dot.
pub fn canonical_client(raw: &[u8], generalize: Generalize) -> Canonical {
    match parse_ip(raw) {
        Some(IpAddr::V4(v4)) => Canonical::from_parts(4, &mask_v4(v4, generalize.v4_prefix)),
        Some(IpAddr::V6(v6)) => Canonical::from_parts(6, &mask_v6(v6, generalize.v6_prefix)),
        None => {
            let host = raw.strip_suffix(b".").unwrap_or(raw);
            let mut c = Canonical::from_parts(b'h', host);
            c.buf[1..c.len].make_ascii_lowercase();
            c
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The quick reading of `a.b.c.d` accepts exactly what the standard
        /// parser accepts among such strings, with the same address.
        #[test]
        fn dotted_quad_reads_what_the_standard_parser_reads(
            s in "[0-9.]{0,18}|(0|00|[0-9]{1,4})(\\.(0|0[0-9]|[0-9]{1,4})){3}"
        ) {
            proptest::prop_assert_eq!(dotted_quad(s.as_bytes()), s.parse::<Ipv4Addr>().ok());
        }
    }

    fn same(a: &str, b: &str) -> bool {
        let g = Generalize::default();
        canonical_client(a.as_bytes(), g).as_bytes() == canonical_client(b.as_bytes(), g).as_bytes()
    }

    #[test]
    fn one_client_many_spellings() {
        assert!(same("192.0.2.1", "::ffff:192.0.2.1"));
        assert!(same("192.0.2.1", "::FFFF:192.0.2.1"));
        assert!(same("192.0.2.1", "192.0.2.1:51234"));
        assert!(same("192.0.2.1", "[::ffff:192.0.2.1]:443"));
        assert!(same("2001:db8::1", "2001:DB8:0:0:0:0:0:1"));
        assert!(same("2001:db8::1", "[2001:db8::1]:8443"));
        assert!(same("fe80::1", "fe80::1%eth0"));
        assert!(same("Host.Example.EDU.", "host.example.edu"));
        assert!(!same("192.0.2.1", "192.0.2.2"));
        assert!(!same("192.0.2.1", "2001:db8::1"));
    }

    #[test]
    fn tags_keep_families_apart() {
        // 'abcd' as a host name must not equal 97.98.99.100.
        assert!(!same("abcd", "97.98.99.100"));
    }

    #[test]
    fn generalisation_zeroes_host_bits() {
        let g = Generalize {
            v4_prefix: 24,
            v6_prefix: 48,
        };
        let c = |s: &str| canonical_client(s.as_bytes(), g).as_bytes().to_vec();
        assert_eq!(c("192.0.2.1"), c("192.0.2.254"));
        assert_ne!(c("192.0.2.1"), c("192.0.3.1"));
        assert_eq!(c("2001:db8:1:2::1"), c("2001:db8:1:ffff::9"));
        assert_ne!(c("2001:db8:1::1"), c("2001:db8:2::1"));
        let zero = Generalize {
            v4_prefix: 0,
            v6_prefix: 0,
        };
        assert_eq!(
            canonical_client(b"1.2.3.4", zero).as_bytes(),
            canonical_client(b"5.6.7.8", zero).as_bytes()
        );
    }

    #[test]
    fn cidrs() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains("10.200.1.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        let host: Cidr = "192.0.2.7".parse().unwrap();
        assert_eq!(host.to_string(), "192.0.2.7/32");
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("campus".parse::<Cidr>().is_err());
    }

    #[test]
    fn not_addresses() {
        assert_eq!(parse_ip(b"crawl.googlebot.com"), None);
        assert_eq!(parse_ip(b"120.000.000"), None);
        assert_eq!(parse_ip(b"\xff"), None);
        assert_eq!(parse_ip(b"[::1"), None);
        let long = vec![b'a'; 1000];
        assert_eq!(
            canonical_client(&long, Generalize::default())
                .as_bytes()
                .len(),
            MAX_HOST + 1
        );
    }
}
