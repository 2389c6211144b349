//! The table set as an attacker sees it: they hold every published table
//! (not the key, not the logs) and can send requests of their own. Each
//! test builds a small log for one scenario of the disclosure-control
//! issue, runs the binary with the default policy (k = 10), and checks
//! both the rule (every row has k people, a day's tables add up) and that
//! the scenario's secret cannot be read off the tables.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use common::{Row, read_rows, run};
use proptest::prelude::*;

const AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

/// A web log being written: one request per call.
#[derive(Default)]
struct Log(String);

impl Log {
    /// A request at `hh:mm` on 2026-03-28 (or `day` days later).
    fn get(
        &mut self,
        client: &str,
        day: u32,
        hm: (u32, u32),
        target: &str,
        status: u16,
        bytes: u64,
    ) {
        writeln!(
            self.0,
            r#"{client} - - [{:02}/Mar/2026:{:02}:{:02}:00 +0000] "GET {target} HTTP/1.1" {status} {bytes} "-" "{AGENT}""#,
            28 + day,
            hm.0,
            hm.1,
        )
        .unwrap();
    }

    fn write(&self, dir: &Path) -> std::path::PathBuf {
        let p = dir.join("access.log");
        std::fs::write(&p, &self.0).unwrap();
        p
    }
}

/// The people column of each table, where a row's people are counted.
const PEOPLE: &[(&str, &str)] = &[
    ("web_traffic", "visitors"),
    ("web_pages", "visitors"),
    ("web_status", "visitors"),
    ("web_referrers", "visitors"),
    ("web_clients", "visitors"),
    ("web_search_terms", "searchers"),
    ("web_sessions", "visitors"),
];

/// Runs the default policy over `log` and returns every web table's rows.
fn publish(dir: &Path, log: &Log) -> BTreeMap<&'static str, Vec<Row>> {
    publish_file(dir, &log.write(dir))
}

/// Runs the default policy over the log file `input` and returns every web
/// table's rows.
fn publish_file(dir: &Path, input: &Path) -> BTreeMap<&'static str, Vec<Row>> {
    let out = dir.join("out");
    let r = run(&[input], &out, &["-q"]);
    assert!(matches!(r.status.code(), Some(0 | 2)), "{r:?}");
    PEOPLE
        .iter()
        .map(|(t, _)| (*t, read_rows(&out.join(format!("{t}.parquet")))))
        .collect()
}

fn day_of(r: &Row) -> i64 {
    r.get("day")
        .map_or_else(|| r["hour"].int() / 86_400_000_000, |d| d.int())
}

/// The rule, on every table: no row below k people; each day and site's
/// requests are the same in every table that covers all requests; bytes
/// and errors agree between traffic and pages.
fn assert_rule(tables: &BTreeMap<&'static str, Vec<Row>>, k: i64) {
    for (table, col) in PEOPLE {
        for r in &tables[table] {
            assert!(
                r[*col].int() >= k,
                "{table}: a row of {} {col}",
                r[*col].int()
            );
        }
    }
    let sums = |table: &str, col: &str| {
        let mut m: BTreeMap<(i64, String), i64> = BTreeMap::new();
        for r in &tables[table] {
            *m.entry((day_of(r), r["site"].str().to_string()))
                .or_default() += r[col].int();
        }
        m
    };
    let requests = sums("web_traffic", "requests");
    for table in [
        "web_pages",
        "web_status",
        "web_referrers",
        "web_clients",
        "web_sessions",
    ] {
        assert_eq!(
            sums(table, "requests"),
            requests,
            "{table} adds up differently"
        );
    }
    assert_eq!(sums("web_pages", "bytes"), sums("web_traffic", "bytes"));
    let mut errors = sums("web_traffic", "status_4xx");
    for (k, v) in sums("web_traffic", "status_5xx") {
        *errors.entry(k).or_default() += v;
    }
    assert_eq!(sums("web_pages", "errors"), errors);
}

fn crowd(log: &mut Log, n: u32, hm: (u32, u32), target: &str) {
    for i in 0..n {
        log.get(&format!("198.51.100.{}", i + 1), 0, hm, target, 200, 1000);
    }
}

#[test]
fn a_quiet_hour_does_not_show_one_visitor() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::default();
    crowd(&mut log, 30, (10, 0), "/");
    crowd(&mut log, 30, (15, 0), "/news");
    // The victim, alone at 02:00, with an error.
    for m in 0..4 {
        log.get("203.0.113.9", 0, (2, m), "/health/appointments", 404, 777);
    }
    let tables = publish(dir.path(), &log);
    assert_rule(&tables, 10);
    // The 02:00 hour is not a row of its own: its 4 requests are inside a
    // bucket of at least 10 visitors.
    let traffic = &tables["web_traffic"];
    assert!(traffic.iter().all(|r| r["requests"].int() != 4));
    let first = &traffic[0];
    assert!(first["hours"].int() > 1, "02:00 merged with later hours");
    assert!(
        tables["web_pages"]
            .iter()
            .all(|r| !r["path"].str().contains("health"))
    );
    // The status table does not give the victim's 404s on their own row.
    assert!(
        tables["web_status"]
            .iter()
            .all(|r| r["status"] != common::Cell::Int(404))
    );
}

#[test]
fn subtraction_across_tables_gives_no_small_group() {
    // 30 visitors read / and /news; one reads two sensitive pages. Total
    // minus the published pages must be a published row of >= k visitors,
    // never the one visitor's 5 requests.
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::default();
    crowd(&mut log, 30, (9, 0), "/");
    crowd(&mut log, 30, (9, 30), "/news");
    for m in 0..3 {
        log.get("203.0.113.9", 0, (9, 40 + m), "/sensitive/a", 200, 5000);
    }
    for m in 0..2 {
        log.get("203.0.113.9", 0, (9, 50 + m), "/sensitive/b", 500, 5000);
    }
    let tables = publish(dir.path(), &log);
    assert_rule(&tables, 10);
    let total: i64 = tables["web_traffic"]
        .iter()
        .map(|r| r["requests"].int())
        .sum();
    assert_eq!(total, 65);
    // The day's requests minus every published path but (other) is the
    // (other) row, which is published and has >= k visitors.
    let pages = &tables["web_pages"];
    let named: i64 = pages
        .iter()
        .filter(|r| r["path"].str() != "(other)")
        .map(|r| r["requests"].int())
        .sum();
    let other = pages.iter().find(|r| r["path"].str() == "(other)").unwrap();
    assert_eq!(total - named, other["requests"].int());
    assert!(other["visitors"].int() >= 10);
    assert_ne!(total - named, 5, "the victim's requests are recoverable");
}

#[test]
fn host_names_are_published_only_as_sites_of_k_visitors() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    let mut vhost = |host: &str, client: &str| {
        writeln!(
            text,
            r#"{host}:443 {client} - - [28/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 10 "-" "{AGENT}""#
        )
        .unwrap();
    };
    for i in 0..20 {
        vhost("www.example.edu", &format!("198.51.100.{i}"));
    }
    vhost("jsmith.people.example.edu", "198.51.100.50");
    vhost("hr-case-4711.intranet.example.edu", "198.51.100.51");
    vhost("198.51.100.23.nip.io", "198.51.100.23");
    vhost("ip-198-51-100-24.example.net", "198.51.100.24");
    let input = dir.path().join("other_vhosts_access.log");
    std::fs::write(&input, &text).unwrap();
    let out = dir.path().join("out");
    let r = run(&[&input], &out, &["-q"]);
    assert_eq!(r.status.code(), Some(0), "{r:?}");
    let sites: Vec<String> = read_rows(&out.join("web_traffic.parquet"))
        .iter()
        .map(|r| r["site"].str().to_string())
        .collect();
    // Four one-visitor hosts fold into (other site), which has 4 visitors:
    // withheld. Only the real site publishes.
    assert_eq!(sites, vec!["www.example.edu"]);
    for entry in std::fs::read_dir(&out).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for host in ["jsmith", "hr-case-4711", "nip.io", "198-51-100-24"] {
            assert!(!text.contains(host), "{host} published");
        }
    }
}

#[test]
fn input_cannot_produce_the_fold_label() {
    // Ten attacker addresses request the literal target `(other)`: it must
    // not become a path row that the fold merges with.
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::default();
    crowd(&mut log, 30, (9, 0), "/");
    for i in 0..10 {
        log.get(&format!("192.0.2.{i}"), 0, (9, 5), "(other)", 404, 0);
    }
    log.get("203.0.113.9", 0, (9, 40), "/secret", 200, 1);
    let tables = publish(dir.path(), &log);
    assert_rule(&tables, 10);
    let pages = &tables["web_pages"];
    // The CLF reader rejects a target that is not a path; any reader that
    // accepts one labels it `(invalid request)` (a unit test of the veil
    // checks that), so at most one row is keyed `(other)`: the fold's.
    assert!(
        pages
            .iter()
            .filter(|r| r["path"].str() == "(other)")
            .count()
            <= 1
    );
    assert!(pages.iter().all(|r| r["path"].str() != "/secret"));
    // The victim's page folds with the smallest published row, so (other)
    // is never the victim alone.
    let other = pages.iter().find(|r| r["path"].str() == "(other)").unwrap();
    assert!(other["visitors"].int() >= 10);
}

#[test]
fn an_on_campus_split_that_would_describe_few_people_is_null() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::default();
    crowd(&mut log, 20, (9, 0), "/");
    log.get("192.0.2.7", 0, (9, 10), "/", 200, 1);
    let policy = dir.path().join("campus.toml");
    std::fs::write(&policy, "[network]\non_campus = [\"192.0.2.0/24\"]\n").unwrap();
    let input = log.write(dir.path());
    let out = dir.path().join("out");
    let r = run(
        &[&input],
        &out,
        &["-q", "--policy", policy.to_str().unwrap()],
    );
    assert_eq!(r.status.code(), Some(0));
    let traffic = common::read_table(&out.join("web_traffic.parquet"));
    assert_eq!(traffic["visitors"][0].int(), 21);
    // One visitor on campus: the split would give their requests.
    assert!(traffic["requests_on_campus"][0].is_null());
    assert!(traffic["visitors_on_campus"][0].is_null());
}

#[test]
fn a_human_session_split_that_would_describe_few_people_is_null() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::default();
    crowd(&mut log, 20, (9, 0), "/");
    // One visitor who only fetched assets: the other side of the split.
    for minute in [5, 6, 7] {
        log.get("192.0.2.7", 0, (9, minute), "/style.css", 200, 1);
    }
    let sessions = publish(dir.path(), &log)["web_sessions"].clone();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["visitors"].int(), 21);
    // Sessions minus human sessions would count that one visitor's.
    for column in [
        "human_sessions",
        "page_views",
        "pages_per_session",
        "bounce_rate",
    ] {
        assert!(sessions[0][column].is_null(), "{column} published");
    }

    // With k such visitors, both sides describe k people: published.
    for i in 0..10 {
        log.get(
            &format!("192.0.2.{}", 20 + i),
            0,
            (9, 30),
            "/app.js",
            200,
            1,
        );
    }
    let sessions = publish(dir.path(), &log)["web_sessions"].clone();
    assert_eq!(sessions[0]["human_sessions"].int(), 20);
    assert_eq!(sessions[0]["page_views"].int(), 20);
    assert_eq!(sessions[0]["bounce_rate"].float(), 1.0);
}

#[test]
fn injection_from_one_network_is_blunted_by_the_network_threshold() {
    // Nine attacker addresses in one /24 plus the victim make a sensitive
    // page reach k = 10. That is the known limit of a k threshold; with
    // k_networks = 3 the page needs three networks and folds.
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::default();
    for i in 0..40 {
        log.get(&format!("198.51.{i}.1"), 0, (9, 0), "/", 200, 1);
    }
    for i in 0..9 {
        log.get(
            &format!("192.0.2.{}", 10 + i),
            0,
            (9, 5),
            "/clinic/intake",
            200,
            1,
        );
    }
    log.get("203.0.113.9", 0, (9, 6), "/clinic/intake", 200, 1);
    let input = log.write(dir.path());
    let published = |policy: &str| {
        let file = dir.path().join("p.toml");
        std::fs::write(&file, policy).unwrap();
        let out = dir.path().join("out");
        let r = run(&[&input], &out, &["-q", "--policy", file.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(0), "{r:?}");
        read_rows(&out.join("web_pages.parquet"))
            .iter()
            .any(|r| r["path"].str() == "/clinic/intake")
    };
    assert!(published(""), "k alone publishes the injected row");
    assert!(!published("[suppression]\nk_networks = 3\n"));
}

/// A Zoom history export: one row per (meeting, participant, session).
fn zoom_history(meetings: &[(&str, &str, u32, (u32, u32))]) -> String {
    let mut out = String::from(
        "Topic,Type,ID,Host name,Host email,Start time,End time,Participants,Duration (minutes),Total participant minutes,Department,Group,Source,Unique viewers,Max concurrent views,Creation time,Name (original name),Email,Join time,Leave time,Duration (minutes),Guest,Recording disclaimer response,In waiting room\n",
    );
    for (topic, id, people, (from, to)) in meetings {
        let t = |h: u32| {
            format!(
                "\"03/03/2026 {:02}:{:02}:00 {}\"",
                (h / 60 + 11) % 12 + 1,
                h % 60,
                if h < 720 { "AM" } else { "PM" }
            )
        };
        for p in 0..*people {
            writeln!(
                out,
                "{topic},Meeting,{id},Host,host{id}@example.edu,{},{},{people},60,60,Dept,Group,Zoom,-,-,\"02/20/2026 04:12:55 PM\",Person {id} {p},p{p}.{id}@example.edu,{},{},30,No,-,No",
                t(*from),
                t(*to),
                t(*from),
                t(*to),
            )
            .unwrap();
        }
    }
    out
}

#[test]
fn a_small_night_call_shows_in_no_zoom_table() {
    // A lecture of 20, a seminar of 10, and a two-person call at 02:00.
    // The call is below k: it folds into the day's (other) meeting (with
    // the seminar, to reach k) and never reaches the concurrency table.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("history.csv");
    std::fs::write(
        &input,
        zoom_history(&[
            ("Lecture", "111 111 1111", 20, (600, 660)),
            ("Seminar", "222 222 2222", 10, (840, 900)),
            ("Call", "333 333 3333", 2, (120, 150)),
        ]),
    )
    .unwrap();
    let out = dir.path().join("out");
    let r = run(&[&input], &out, &["-q"]);
    assert_eq!(r.status.code(), Some(0), "{r:?}");
    let meetings = read_rows(&out.join("zoom_meetings.parquet"));
    let mut people: Vec<(String, i64)> = meetings
        .iter()
        .map(|r| {
            (
                r["meeting"].str().to_string(),
                r["unique_participants"].int(),
            )
        })
        .collect();
    people.sort_by_key(|p| p.1);
    assert_eq!(people.len(), 2, "{people:?}");
    assert_eq!((people[0].0.as_str(), people[0].1), ("(other)", 12));
    assert_eq!(people[1].1, 20);
    let concurrency = read_rows(&out.join("zoom_concurrency.parquet"));
    let two_am = 1_772_496_000 + 2 * 3600; // 2026-03-03T02:00:00Z
    let covers = |r: &Row, t: i64| {
        let start = r["hour"].int() / 1_000_000;
        start <= t && t < start + r["hours"].int() * 3600
    };
    // The times are read as UTC: the lecture's 10:00 is published.
    assert!(concurrency.iter().any(|r| covers(r, two_am + 8 * 3600)));
    for r in &concurrency {
        assert!(!covers(r, two_am), "02:00 is published: {r:?}");
        assert!(r["participants"].int() >= 10);
        assert!(r["peak_concurrent"].int() >= 20, "only the lecture counts");
    }
    // Meetings and attendance add up to the same day.
    let sessions = |t: &str| -> i64 {
        read_rows(&out.join(format!("{t}.parquet")))
            .iter()
            .map(|r| r["sessions"].int())
            .sum()
    };
    assert_eq!(sessions("zoom_meetings"), 32);
    assert_eq!(sessions("zoom_attendance"), 32);
}

#[test]
fn exact_hours_for_the_operator_are_marked_internal() {
    // The operator asks for exact hourly traffic: the quiet 02:00 hour is
    // then a row of its own, and the file and manifest say it is internal.
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::default();
    crowd(&mut log, 30, (10, 0), "/");
    log.get("203.0.113.9", 0, (2, 0), "/", 200, 1);
    let input = log.write(dir.path());
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[suppression]\ninternal_tables = [\"web_traffic\"]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let r = run(
        &[&input],
        &out,
        &["-q", "--policy", policy.to_str().unwrap()],
    );
    assert_eq!(r.status.code(), Some(0));
    let traffic = read_rows(&out.join("web_traffic.parquet"));
    assert_eq!(traffic.len(), 2);
    assert_eq!(traffic[0]["visitors"].int(), 1);
    let meta = common::exposed_text(&out.join("web_traffic.parquet"));
    assert!(meta.iter().any(|(_, v)| v.starts_with("logveil.internal=")));
    let pages = common::exposed_text(&out.join("web_pages.parquet"));
    assert!(
        !pages
            .iter()
            .any(|(_, v)| v.starts_with("logveil.internal="))
    );
    let m = common::read_json(&out.join("_manifest.json"));
    let table = |name: &str| {
        m["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["suppression"]["internal"]
            .clone()
    };
    assert_eq!(table("web_traffic"), true);
    assert!(table("web_pages").is_null());
    // The other tables still obey the rule.
    assert!(
        read_rows(&out.join("web_pages.parquet"))
            .iter()
            .all(|r| r["visitors"].int() >= 10)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random small logs: a few days, sites of a handful of visitors, quiet
    /// hours, rare pages and errors. Whatever comes out obeys the rule:
    /// no row of any table below k, and every table of a day and site adds
    /// up to the same requests, bytes and errors, so no difference of
    /// published numbers isolates a group that was not published.
    #[test]
    fn random_small_logs_publish_nothing_below_k(
        requests in proptest::collection::vec(
            (0u32..40, 0u32..2, 0u32..24, 0usize..6, 0usize..4),
            20..300,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::default();
        let paths = ["/", "/news", "/a", "/b", "/rare/x", "/search?q=term"];
        let statuses = [200, 200, 404, 500];
        for (client, day, hour, path, status) in requests {
            log.get(
                &format!("198.51.{}.{}", client % 3, client),
                day,
                (hour, client % 60),
                paths[path],
                statuses[status],
                u64::from(client) * 10,
            );
        }
        let tables = publish(dir.path(), &log);
        assert_rule(&tables, 10);
    }
}

#[test]
fn requests_without_a_client_address_count_nobody() {
    // A W3C log where some requests have no client (`c-ip` `-`). Eight
    // people and the victim read /secret, and the victim's requests are
    // also logged without an address: counted as a tenth visitor, the
    // row would reach k = 10 while describing nine people.
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::from(
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status sc-bytes cs(User-Agent)\n",
    );
    let mut line = |client: &str, m: u32, path: &str| {
        writeln!(
            log,
            "2026-03-28 09:{m:02}:00 {client} GET {path} 200 1000 Mozilla/5.0+(X11;+Linux+x86_64)"
        )
        .unwrap();
    };
    for i in 1..=30 {
        line(&format!("198.51.100.{i}"), 0, "/");
    }
    for i in 1..=8 {
        line(&format!("192.0.2.{i}"), 10, "/secret");
    }
    line("203.0.113.9", 20, "/secret");
    for m in 21..24 {
        line("-", m, "/secret");
    }
    let input = dir.path().join("u_ex260328.log");
    std::fs::write(&input, log).unwrap();
    let tables = publish_file(dir.path(), &input);
    assert_rule(&tables, 10);
    // Every request is still counted.
    let total: i64 = tables["web_traffic"]
        .iter()
        .map(|r| r["requests"].int())
        .sum();
    assert_eq!(total, 42);
    assert!(
        tables["web_pages"]
            .iter()
            .all(|r| r["path"].str() != "/secret"),
        "/secret published with its unknown client counted as a person"
    );
    // The day's visitors are the 39 people with an address.
    let visitors: i64 = tables["web_sessions"]
        .iter()
        .map(|r| r["visitors"].int())
        .sum();
    assert_eq!(visitors, 39);
}
