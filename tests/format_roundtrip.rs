//! Property test: random records written with a format string parse back
//! to the same values, through the compiled format and the built-in preset.

use logveil::formats::logformat::ApacheFormat;
use logveil::formats::{LogFormat, ParseContext, Request, combined::Combined};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Rec {
    client: String,
    user: Option<String>,
    day: u32,
    hour: u32,
    offset_minutes: i32,
    method: &'static str,
    path: String,
    status: u16,
    bytes: Option<u64>,
    referer: Option<String>,
    agent: Option<String>,
}

fn rec() -> impl Strategy<Value = Rec> {
    let client = prop_oneof![
        (1u8..=223, any::<u8>(), any::<u8>(), 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        any::<[u16; 8]>().prop_map(|s| std::net::Ipv6Addr::from(s).to_string()),
    ];
    let text = "[a-zA-Z0-9 ./;:()_-]{0,40}";
    (
        (
            client,
            proptest::option::of("[a-z]{3,8}"),
            1u32..=28,
            0u32..24,
            -720i32..=840,
        ),
        (
            prop_oneof![Just("GET"), Just("POST"), Just("HEAD")],
            "/[a-z0-9/._-]{0,30}",
            100u16..=599,
            proptest::option::of(0u64..10_000_000),
        ),
        (proptest::option::of(text), proptest::option::of(text)),
    )
        .prop_map(
            |((client, user, day, hour, off), (method, path, status, bytes), (referer, agent))| {
                Rec {
                    client,
                    user,
                    day,
                    hour,
                    offset_minutes: off - off % 15,
                    method,
                    path,
                    status,
                    bytes,
                    referer: referer.filter(|r| !r.is_empty() && r != "-"),
                    agent: agent
                        .filter(|a| !a.is_empty() && a != "-")
                        .map(|a| a.replace('"', "\\\"")),
                }
            },
        )
}

fn clf_time(r: &Rec) -> (String, i64) {
    let sign = if r.offset_minutes < 0 { '-' } else { '+' };
    let off = r.offset_minutes.abs();
    let text = format!(
        "{:02}/Mar/2026:{:02}:17:09 {sign}{:02}{:02}",
        r.day,
        r.hour,
        off / 60,
        off % 60
    );
    let local = chrono::NaiveDate::from_ymd_opt(2026, 3, r.day)
        .unwrap()
        .and_hms_opt(r.hour, 17, 9)
        .unwrap();
    (
        text,
        local.and_utc().timestamp() - i64::from(r.offset_minutes) * 60,
    )
}

fn combined_line(r: &Rec, trailing: &str) -> String {
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    format!(
        "{} - {} [{}] \"{} {} HTTP/1.1\" {} {} \"{}\" \"{}\"{trailing}",
        r.client,
        dash(&r.user),
        clf_time(r).0,
        r.method,
        r.path,
        r.status,
        r.bytes.map_or("-".into(), |b| b.to_string()),
        dash(&r.referer),
        dash(&r.agent)
    )
}

fn check(format: &dyn LogFormat, line: &str, r: &Rec) -> Result<(), TestCaseError> {
    let got = format.parse(line.as_bytes(), &mut ParseContext::default());
    prop_assert!(got.is_ok(), "{} refused {line:?}: {got:?}", format.name());
    let got = got.unwrap();
    prop_assert_eq!(got.client, r.client.as_bytes());
    prop_assert_eq!(got.user, r.user.as_deref().map(str::as_bytes));
    prop_assert_eq!(got.time, clf_time(r).1);
    prop_assert_eq!(got.status, r.status);
    prop_assert_eq!(got.bytes, r.bytes.unwrap_or(0));
    prop_assert_eq!(
        got.request,
        Request::Http {
            method: r.method.as_bytes(),
            target: r.path.as_bytes(),
            protocol: b"HTTP/1.1"
        }
    );
    prop_assert_eq!(got.referer, r.referer.as_deref().map(str::as_bytes));
    prop_assert_eq!(got.user_agent, r.agent.as_deref().map(str::as_bytes));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn combined_records_round_trip(r in rec()) {
        let apache = ApacheFormat::compile(r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#).unwrap();
        let line = combined_line(&r, "");
        check(&apache, &line, &r)?;
        check(&Combined, &line, &r)?;
    }

    #[test]
    fn nginx_main_with_forwarded_for_round_trips(r in rec(), xff in "(-|[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3})") {
        let nginx = ApacheFormat::compile_nginx(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#,
        ).unwrap();
        let line = combined_line(&r, &format!(" \"{xff}\""));
        check(&nginx, &line, &r)?;
        check(&Combined, &line, &r)?;
        let got = nginx.parse(line.as_bytes(), &mut ParseContext::default()).unwrap();
        prop_assert_eq!(got.forwarded_for, (xff != "-").then_some(xff.as_bytes()));
    }
}
