//! Apache `vhost_combined`: `%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i"
//! "%{User-Agent}i"`, the default of Debian's `other_vhosts_access.log`.
//!
//! The `%v:%p` prefix is split at its last colon so IPv6 literals in
//! brackets survive; the port must be numeric, which is what tells this
//! format apart from a Combined line whose client is an IPv6 address.

use super::{LogFormat, ParseContext, RawRecord, Reject, fields};

/// Apache vhost_combined.
#[derive(Debug, Clone, Copy, Default)]
pub struct VhostCombined;

impl LogFormat for VhostCombined {
    fn name(&self) -> &'static str {
        "vhost_combined"
    }

    fn description(&self) -> &'static str {
        r#"Apache vhost_combined: %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let (rest, vhost_port) = fields::field(line, fields::token, Reject::BadVhost)?;
        let colon = memchr::memrchr(b':', vhost_port).ok_or(Reject::BadVhost)?;
        let (host, port) = (&vhost_port[..colon], &vhost_port[colon + 1..]);
        if host.is_empty() || port.is_empty() || !port.iter().all(u8::is_ascii_digit) {
            return Err(Reject::BadVhost);
        }
        let (rest, ()) = fields::field(rest, fields::spaces, Reject::Malformed)?;
        let (rest, mut rec) = fields::clf_core(rest, cx)?;
        let rest = fields::referer_agent(rest, &mut rec)?;
        fields::end_or_trailing(rest)?;
        rec.vhost = Some(host);
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[u8]) -> Result<RawRecord<'_>, Reject> {
        VhostCombined.parse(line, &mut ParseContext::default())
    }

    #[test]
    fn vhost_and_port_are_split() {
        let r = parse(br#"www.example.edu:443 192.0.2.1 - - [10/Oct/2000:13:55:36 +0200] "GET / HTTP/1.1" 200 10 "-" "-""#).unwrap();
        assert_eq!(r.vhost, Some(&b"www.example.edu"[..]));
        assert_eq!(r.client, b"192.0.2.1");
        let r = parse(br#"[2001:db8::1]:80 2001:db8::2 - - [10/Oct/2000:13:55:36 +0200] "GET / HTTP/1.1" 200 10 "-" "-""#).unwrap();
        assert_eq!(r.vhost, Some(&b"[2001:db8::1]"[..]));
    }

    #[test]
    fn combined_lines_are_not_vhost() {
        assert!(
            parse(br#"192.0.2.1 - - [10/Oct/2000:13:55:36 +0200] "GET / HTTP/1.1" 200 10 "-" "-""#)
                .is_err()
        );
        assert!(
            parse(
                br#"2001:db8::1 - - [10/Oct/2000:13:55:36 +0200] "GET / HTTP/1.1" 200 10 "-" "-""#
            )
            .is_err()
        );
    }
}
