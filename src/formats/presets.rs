//! Named formats that are a fixed format string: compiled once, on first
//! use, by the same compiler as `--log-format`.
//!
//! A preset earns its place when a server's default layout is not one of
//! the hand-written CLF parsers: Node/Express `morgan`'s `default` writes an
//! RFC 1123 date, AWS Application Load Balancers write ISO times, a
//! `client:port` and timings in seconds. The layouts follow each producer's
//! documentation; trailing fields a preset does not name are ignored.

use std::sync::LazyLock;

use super::logformat::ApacheFormat;
use super::{LogFormat, ParseContext, RawRecord, Reject};

/// A named, compiled format string.
pub struct Preset {
    name: &'static str,
    description: &'static str,
    compiled: &'static LazyLock<ApacheFormat>,
    /// The client field is always `address:port` (load balancers).
    client_with_port: bool,
}

impl LogFormat for Preset {
    fn name(&self) -> &'static str {
        self.name
    }

    fn description(&self) -> &'static str {
        self.description
    }

    fn parse<'a>(&self, line: &'a [u8], cx: &mut ParseContext) -> Result<RawRecord<'a>, Reject> {
        let mut record = self.compiled.parse(line, cx)?;
        if self.client_with_port {
            record.client = super::fields::strip_port(record.client);
        }
        Ok(record)
    }
}

/// morgan's `default`: `:remote-addr - :remote-user [:date] ":method :url
/// HTTP/:http-version" :status :res[content-length] ":referrer"
/// ":user-agent"`, `:date` in RFC 1123 (`Tue, 10 Oct 2000 13:55:36 GMT`).
const MORGAN_DEFAULT_FORMAT: &str =
    r#"%h - %u [%{%a, %d %b %Y %H:%M:%S GMT}t] "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;

/// AWS ALB access log: `type time elb client:port target:port
/// request_processing_time target_processing_time response_processing_time
/// elb_status_code target_status_code received_bytes sent_bytes "request"
/// "user_agent" …`; the target processing time is the response time.
const AWS_ALB_FORMAT: &str = r#"%{type}e %{%Y-%m-%dT%H:%M:%S%.fZ}t %{elb}e %a %{target}e %{rpt}e %T %{spt}e %>s %{target_status}e %I %b "%r" "%{User-Agent}i""#;

/// AWS Classic Load Balancer (ELB) access log: `timestamp elb client:port
/// backend:port request_processing_time backend_processing_time
/// response_processing_time elb_status_code backend_status_code
/// received_bytes sent_bytes "request" "user_agent" ssl_cipher
/// ssl_protocol`; the backend processing time is the response time. TCP and
/// SSL listeners log `-` statuses and a `"- - - "` request.
const AWS_ELB_FORMAT: &str = r#"%{%Y-%m-%dT%H:%M:%S%.fZ}t %{elb}e %a %{backend}e %{rpt}e %T %{spt}e %>s %{backend_status}e %I %b "%r" "%{User-Agent}i""#;

/// Gandi Simple Hosting's virtual-host log: combined after the virtual
/// host, with the seconds taken in parentheses between time and request
/// (`www.example.com 192.0.2.1 - - [time] (0 s) "GET / HTTP/1.1" …`).
const GANDI_FORMAT: &str = r#"%v %h %l %u %t (%T s) "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;

/// Kubernetes ingress-nginx's default `upstreaminfo` log format.
const INGRESS_NGINX_FORMAT: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;

fn compile(source: &str) -> ApacheFormat {
    // The strings are constants covered by this module's tests; a failure
    // here is a bug in them, not in any input.
    ApacheFormat::compile(source).unwrap_or_else(|e| panic!("preset format does not compile: {e}"))
}

static INGRESS_NGINX_COMPILED: LazyLock<ApacheFormat> = LazyLock::new(|| {
    // A constant covered by this module's tests, as for `compile`.
    ApacheFormat::compile_nginx(INGRESS_NGINX_FORMAT)
        .unwrap_or_else(|e| panic!("preset format does not compile: {e}"))
});
static MORGAN_DEFAULT_COMPILED: LazyLock<ApacheFormat> =
    LazyLock::new(|| compile(MORGAN_DEFAULT_FORMAT));
static AWS_ALB_COMPILED: LazyLock<ApacheFormat> = LazyLock::new(|| compile(AWS_ALB_FORMAT));
static AWS_ELB_COMPILED: LazyLock<ApacheFormat> = LazyLock::new(|| compile(AWS_ELB_FORMAT));
static GANDI_COMPILED: LazyLock<ApacheFormat> = LazyLock::new(|| compile(GANDI_FORMAT));

/// Kubernetes ingress-nginx `upstreaminfo`.
pub static INGRESS_NGINX: Preset = Preset {
    name: "ingress_nginx",
    description: "Kubernetes ingress-nginx upstreaminfo (combined + request time and upstreams)",
    compiled: &INGRESS_NGINX_COMPILED,
    client_with_port: false,
};

/// Node/Express morgan `default`.
pub static MORGAN_DEFAULT: Preset = Preset {
    name: "morgan_default",
    description: "Node/Express morgan `default`: combined with an RFC 1123 date",
    compiled: &MORGAN_DEFAULT_COMPILED,
    client_with_port: false,
};

/// AWS Application Load Balancer.
pub static AWS_ALB: Preset = Preset {
    name: "aws_alb",
    description: "AWS Application Load Balancer access log",
    compiled: &AWS_ALB_COMPILED,
    client_with_port: true,
};

/// AWS Classic Load Balancer.
pub static AWS_ELB: Preset = Preset {
    name: "aws_elb",
    description: "AWS Classic Load Balancer (ELB) access log",
    compiled: &AWS_ELB_COMPILED,
    client_with_port: true,
};

/// Gandi Simple Hosting.
pub static GANDI: Preset = Preset {
    name: "gandi",
    description: "Gandi Simple Hosting: virtual host, then combined with the seconds taken as `(N s)`",
    compiled: &GANDI_COMPILED,
    client_with_port: false,
};

/// What one of GoAccess's predefined `--log-format` names becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoAccessPreset {
    /// A format string that the GoAccess compiler knows by this name
    /// ([`super::logformat::goaccess_preset`]).
    Compiled,
    /// A logveil reader of the same logs, by a name [`super::lookup`] takes.
    /// Its parser reads what GoAccess's string does and more (the whole
    /// header-driven W3C layout, ALB and ELB ports and timings, Caddy's
    /// JSON keys).
    Named(&'static str),
    /// A layout logveil has no reader for; the text says what it reads.
    Unsupported(&'static str),
}

/// Maps one of GoAccess's predefined names (any case) to what logveil
/// reads it with; `None` for a name GoAccess does not predefine, which is
/// then a format string of its own.
pub fn goaccess_predefined(name: &str) -> Option<GoAccessPreset> {
    use GoAccessPreset::{Compiled, Named, Unsupported};
    const NONE_YET: &str =
        "no logveil reader for this layout yet; `logveil formats` lists what it reads";
    Some(match name.to_ascii_uppercase().as_str() {
        "COMBINED" | "VCOMBINED" | "COMMON" | "VCOMMON" => Compiled,
        // CloudFront's standard logs are W3C extended, with a #Fields: line.
        "W3C" | "CLOUDFRONT" => Named(super::W3C_NAME),
        "AWSELB" => Named("aws_elb"),
        "AWSALB" => Named("aws_alb"),
        "CADDY" => Named("json"),
        // Traefik's CLF is combined followed by fields combined ignores.
        "TRAEFIKCLF" => Named("combined"),
        "SQUID" => Named("squid"),
        "AWSS3" => Named("s3"),
        "CLOUDSTORAGE" => Unsupported(NONE_YET),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Request;

    #[test]
    fn presets_compile_and_parse_their_documented_examples() {
        let mut cx = ParseContext::default();
        let r = MORGAN_DEFAULT
            .parse(br#"::1 - - [Tue, 10 Oct 2000 20:55:36 GMT] "GET / HTTP/1.1" 304 - "-" "Mozilla/5.0""#, &mut cx)
            .unwrap();
        assert_eq!(
            (r.client, r.time, r.status),
            (&b"::1"[..], 971_211_336, 304)
        );
        // morgan's `:status` is `-` when no response was sent.
        let r = MORGAN_DEFAULT
            .parse(
                br#"::1 - - [Tue, 10 Oct 2000 20:55:36 GMT] "GET /slow HTTP/1.1" - - "-" "curl/8""#,
                &mut cx,
            )
            .unwrap();
        assert_eq!(r.status, crate::formats::NO_RESPONSE);
        // The example from the ALB documentation.
        let alb = br#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;
        let r = AWS_ALB.parse(alb, &mut cx).unwrap();
        assert_eq!(
            (r.client, r.status, r.bytes, r.duration_us),
            (&b"192.168.131.39"[..], 200, 366, Some(1000))
        );
        assert_eq!(r.time, 1_530_570_180);
        // An IPv6 client is written without brackets: its port is cut, so
        // one client on two ports is one address.
        let v6 = |port: &str| {
            let line = String::from_utf8_lossy(alb)
                .replace("192.168.131.39:2817", &format!("2001:db8::7:{port}"));
            AWS_ALB
                .parse(line.as_bytes(), &mut ParseContext::default())
                .map(|r| r.client.to_vec())
        };
        assert_eq!(v6("2817"), Ok(b"2001:db8::7".to_vec()));
        assert_eq!(v6("51000"), v6("2817"));
        assert_eq!(
            r.request,
            Request::Http {
                method: b"GET",
                target: b"http://www.example.com:80/",
                protocol: b"HTTP/1.1"
            }
        );
        // ingress-nginx, with upstream lists that hold ", " and " : ".
        let ingress = br#"192.168.1.1 - - [28/Mar/2026:10:00:00 +0000] "GET /api?x=1 HTTP/1.1" 200 512 "-" "curl/8" 123 0.004 [default-api-80] [] 10.244.0.5:8080, 10.244.0.6:8080 : 10.244.0.7:8080 512, 0 : 12 0.004, 0.002 : 0.001 200, 502 : 200 a1b2c3d4e5f6"#;
        let r = INGRESS_NGINX.parse(ingress, &mut cx).unwrap();
        assert_eq!(
            (r.client, r.status, r.bytes, r.duration_us),
            (&b"192.168.1.1"[..], 200, 512, Some(4000))
        );
        // The examples from the Classic Load Balancer documentation: HTTP,
        // and a TCP listener, which logs no status and no request line.
        let http = br#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
        let r = AWS_ELB.parse(http, &mut cx).unwrap();
        assert_eq!(
            (r.client, r.status, r.bytes, r.duration_us, r.time),
            (&b"192.168.131.39"[..], 200, 29, Some(1048), 1_431_560_383)
        );
        let tcp = br#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#;
        let r = AWS_ELB.parse(tcp, &mut cx).unwrap();
        assert_eq!(
            (r.status, r.request, r.user_agent),
            (crate::formats::NO_RESPONSE, Request::Missing, None)
        );
        assert!(AWS_ALB.parse(http, &mut cx).is_err());
        assert!(AWS_ELB.parse(alb, &mut cx).is_err());
        // An error line: processing times of -1 drop the duration only.
        let err = br#"http 2018-07-02T22:23:00.186641Z app/lb/5 192.168.131.39:2817 - -1 -1 -1 502 - 34 366 "GET http://x/ HTTP/1.1" "curl/7""#;
        let r = AWS_ALB.parse(err, &mut cx).unwrap();
        assert_eq!((r.status, r.duration_us), (502, None));
    }

    #[test]
    fn gandi_reads_the_seconds_between_time_and_request() {
        let line = br#"www.example.com 192.0.2.1 - jdoe [10/Feb/2012:16:42:07 -0500] (2 s) "GET /a HTTP/1.1" 301 368 "-" "Mozilla/5.0""#;
        let r = GANDI.parse(line, &mut ParseContext::default()).unwrap();
        assert_eq!(
            (r.client, r.user, r.vhost, r.status, r.bytes),
            (
                &b"192.0.2.1"[..],
                Some(&b"jdoe"[..]),
                Some(&b"www.example.com"[..]),
                301,
                368
            )
        );
        assert_eq!((r.time, r.duration_us), (1_328_910_127, Some(2_000_000)));
        // Without the parenthesis it is another layout.
        let vhost = br#"www.example.com 192.0.2.1 - - [10/Feb/2012:16:42:07 -0500] "GET / HTTP/1.1" 200 1 "-" "-""#;
        assert!(GANDI.parse(vhost, &mut ParseContext::default()).is_err());
    }

    #[test]
    fn goaccess_names_map_to_what_reads_them() {
        use super::super::{Named, logformat::goaccess_preset, lookup};
        use GoAccessPreset as G;
        for name in ["COMBINED", "VCOMBINED", "COMMON", "VCOMMON", "combined"] {
            assert_eq!(goaccess_predefined(name), Some(G::Compiled), "{name}");
            assert!(goaccess_preset(name).is_some(), "{name} compiles");
        }
        let named = [
            ("W3C", "w3c"),
            ("CLOUDFRONT", "w3c"),
            ("AWSELB", "aws_elb"),
            ("AWSALB", "aws_alb"),
            ("CADDY", "json"),
            ("TRAEFIKCLF", "combined"),
            ("traefikclf", "combined"),
            ("SQUID", "squid"),
            ("AWSS3", "s3"),
        ];
        for (goaccess, ours) in named {
            assert_eq!(goaccess_predefined(goaccess), Some(G::Named(ours)));
            assert!(lookup(ours).is_some(), "{ours} is a format name");
        }
        assert!(matches!(lookup("aws_elb"), Some(Named::Line(_))));
        for name in ["CLOUDSTORAGE", "cloudstorage"] {
            assert!(
                matches!(goaccess_predefined(name), Some(G::Unsupported(why)) if why.contains("logveil formats"))
            );
        }
        assert_eq!(goaccess_predefined("%h %^[%d:%t %^] \"%r\" %s %b"), None);
        // Traefik CLF, from its documentation: combined reads it whole.
        let traefik = br#"192.168.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 200 2326 "-" "curl/8" 1 "web@docker" "http://10.0.0.2:80" 3ms"#;
        let r = crate::formats::combined::Combined
            .parse(traefik, &mut ParseContext::default())
            .unwrap();
        assert_eq!((r.status, r.bytes), (200, 2326));
    }
}
