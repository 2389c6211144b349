//! Checks shared by the targets that parse lines (`parse_line`,
//! `documents`): how the pipeline's lanes split a chunk into lines, and
//! the contracts every parsed record keeps.
#![allow(dead_code)]

use logveil::formats::{NO_RESPONSE, RawRecord, Request};

/// `inner` is a sub-slice of `outer`. An empty slice may point anywhere
/// (`Request::parse` returns a static `b""` for a missing protocol).
pub fn within(outer: &[u8], inner: &[u8]) -> bool {
    if inner.is_empty() {
        return true;
    }
    let o = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    o.start <= i.start && i.end <= o.end
}

/// Protocol names a reader may write for a version it read elsewhere.
const BUILT_PROTOCOLS: &[&[u8]] = &[b"HTTP/1.0", b"HTTP/1.1", b"HTTP/2.0", b"HTTP/3"];

/// A parsed record keeps the `RawRecord` contract: its fields are
/// sub-slices of the line (no copies; a protocol may be a
/// known name built from a version column), an HTTP request names a target, and
/// the status is three digits or `NO_RESPONSE` (a request the client
/// abandoned).
pub fn check_record(line: &[u8], rec: &RawRecord<'_>) {
    assert!(
        within(line, rec.client),
        "client not borrowed from the line"
    );
    for f in [
        rec.user,
        rec.referer,
        rec.user_agent,
        rec.vhost,
        rec.forwarded_for,
    ]
    .into_iter()
    .flatten()
    {
        assert!(within(line, f), "field not borrowed from the line");
    }
    if let Request::Http {
        method,
        target,
        protocol,
    } = rec.request
    {
        // The method may be empty: a layout that logs only the target
        // (Matomo's nginx JSON, W3C without `cs-method`) does not name one.
        assert!(!target.is_empty());
        assert!(within(line, method) && within(line, target));
        // A reader may build the protocol from a version column (Zeek
        // logs `1.1`, and its reader writes `HTTP/1.1`): then it is one of
        // these constants, never other bytes.
        assert!(
            within(line, protocol) || BUILT_PROTOCOLS.contains(&protocol),
            "protocol {:?} neither from the line nor a known name",
            String::from_utf8_lossy(protocol)
        );
    }
    assert!(
        rec.status == NO_RESPONSE || (100..=999).contains(&rec.status),
        "status {}",
        rec.status
    );
}

/// Splits like `Lane::chunk` in `pipeline::lanes`: on `\n`, one `\r`
/// stripped, a final line without terminator included.
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0usize;
    std::iter::from_fn(move || {
        if start >= data.len() {
            return None;
        }
        let end = memchr_nl(&data[start..]).map_or(data.len(), |p| start + p);
        let raw = &data[start..end];
        start = end + 1;
        Some(raw.strip_suffix(b"\r").unwrap_or(raw))
    })
}

pub fn memchr_nl(s: &[u8]) -> Option<usize> {
    s.iter().position(|&c| c == b'\n')
}
