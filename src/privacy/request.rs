//! What a request line says besides its target: the method and the
//! protocol, reduced to a few fixed families.
//!
//! Methods and protocol strings are client-chosen text (a scanner can
//! send any token as a method), so they are never published as logged:
//! each maps to one of a handful of labels, like the client classes, and
//! the tables count requests per label in columns of `web_traffic`.

/// The method family of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Method {
    /// `GET`.
    #[default]
    Get,
    /// `POST`.
    Post,
    /// `HEAD`.
    Head,
    /// Any other method, or none (an empty or unreadable request line).
    Other,
}

impl Method {
    /// The family of a logged method (ASCII case-insensitive).
    pub fn of(method: &[u8]) -> Method {
        if method.eq_ignore_ascii_case(b"GET") {
            Method::Get
        } else if method.eq_ignore_ascii_case(b"POST") {
            Method::Post
        } else if method.eq_ignore_ascii_case(b"HEAD") {
            Method::Head
        } else {
            Method::Other
        }
    }

    /// The index of the family in counters of [`Method::COUNT`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Number of families.
    pub const COUNT: usize = 4;
}

/// The protocol family of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// HTTP/0.9, 1.0 and 1.1.
    Http1,
    /// HTTP/2.
    Http2,
    /// HTTP/3.
    Http3,
    /// Not logged, or not HTTP.
    #[default]
    Unknown,
}

impl Protocol {
    /// The family of a logged protocol: `HTTP/1.1`, `HTTP/2.0`, `h2`,
    /// `HTTP/3`, …; an empty protocol is an HTTP/0.9 request.
    pub fn of(protocol: &[u8]) -> Protocol {
        let p = protocol.trim_ascii();
        if p.is_empty() {
            return Protocol::Http1;
        }
        let version = match p.get(..5) {
            Some(head) if head.eq_ignore_ascii_case(b"HTTP/") => &p[5..],
            _ => match p {
                [b'h' | b'H', rest @ ..] => rest,
                _ => return Protocol::Unknown,
            },
        };
        match version.first() {
            Some(b'0' | b'1') => Protocol::Http1,
            Some(b'2') => Protocol::Http2,
            Some(b'3') => Protocol::Http3,
            _ => Protocol::Unknown,
        }
    }

    /// The index of a known family (`Unknown` has none).
    pub fn index(self) -> Option<usize> {
        match self {
            Protocol::Http1 => Some(0),
            Protocol::Http2 => Some(1),
            Protocol::Http3 => Some(2),
            Protocol::Unknown => None,
        }
    }

    /// Number of known families.
    pub const COUNT: usize = 3;
}

#[cfg(test)]
mod tests {
    use super::{Method, Protocol};

    #[test]
    fn methods_fall_in_families() {
        assert_eq!(Method::of(b"GET"), Method::Get);
        assert_eq!(Method::of(b"get"), Method::Get);
        assert_eq!(Method::of(b"POST"), Method::Post);
        assert_eq!(Method::of(b"HEAD"), Method::Head);
        assert_eq!(Method::of(b"PROPFIND"), Method::Other);
        assert_eq!(Method::of(b"\x16\x03\x01"), Method::Other);
    }

    #[test]
    fn protocols_fall_in_families() {
        for (p, want) in [
            (&b"HTTP/1.1"[..], Protocol::Http1),
            (b"HTTP/1.0", Protocol::Http1),
            (b"", Protocol::Http1),
            (b"HTTP/2.0", Protocol::Http2),
            (b"HTTP/2", Protocol::Http2),
            (b"h2", Protocol::Http2),
            (b"HTTP/3", Protocol::Http3),
            (b"h3", Protocol::Http3),
            (b"SSH-2.0", Protocol::Unknown),
            (b"HTTP/", Protocol::Unknown),
            (b"-", Protocol::Unknown),
        ] {
            assert_eq!(Protocol::of(p), want, "{:?}", String::from_utf8_lossy(p));
        }
    }
}
