//! Zoom readers end to end, on fixtures written from the format
//! descriptions with invented people (`tests/fixtures/zoom/README.md`).
//! The expected numbers are the fixture author's, computed by a separate
//! implementation (Python, `zoneinfo`) and cross-checked by a second script.

mod common;

use std::path::{Path, PathBuf};

use common::{Row, exposed_text, read_rows, run};

fn fixture(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/zoom").join(name)
}

/// Runs one fixture with no suppression and New York export times.
fn run_fixture(name: &str, extra: &[&str], policy: &str) -> (tempfile::TempDir, serde_json::Value) {
    run_inputs(
        &[&fixture(name)],
        extra,
        &format!("[suppression]\nk = 1\nallow_small_k = true\n{policy}"),
    )
}

/// Runs `inputs` under the policy text `policy` with New York export times;
/// the run's output is under `out` in the returned directory.
fn run_inputs(
    inputs: &[&Path],
    extra: &[&str],
    policy: &str,
) -> (tempfile::TempDir, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.toml");
    std::fs::write(&p, policy).unwrap();
    let out = dir.path().join("out");
    let run_log = dir.path().join("run-log.json");
    let mut args = vec![
        "-q",
        "--zoom-timezone",
        "America/New_York",
        "--policy",
        p.to_str().unwrap(),
        "--run-log",
        run_log.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let r = run(inputs, &out, &args);
    // 1 only when no input gave a record: then nothing is published, and
    // the inputs' reports are in the run log (the same entries as the
    // manifest's, with paths).
    let report = match r.status.code() {
        Some(0 | 2) => out.join("_manifest.json"),
        Some(1) if !out.exists() => run_log,
        _ => panic!("{inputs:?}: {}", String::from_utf8_lossy(&r.stderr)),
    };
    let m = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    (dir, m)
}

/// Runs one document given as text under the policy text `policy`.
fn run_text(name: &str, text: &str, policy: &str) -> (tempfile::TempDir, serde_json::Value) {
    let input = tempfile::tempdir().unwrap();
    let path = input.path().join(name);
    std::fs::write(&path, text).unwrap();
    run_inputs(&[&path], &[], policy)
}

fn table(dir: &tempfile::TempDir, name: &str) -> Vec<Row> {
    read_rows(&dir.path().join("out").join(format!("{name}.parquet")))
}

/// (unique participants, sessions, participant minutes to 0.01) per meeting,
/// sorted.
fn meetings(dir: &tempfile::TempDir) -> Vec<(i64, i64, i64)> {
    let mut m: Vec<_> = table(dir, "zoom_meetings")
        .iter()
        .map(|r| {
            (
                r["unique_participants"].int(),
                r["sessions"].int(),
                (r["participant_minutes"].float() * 100.0).round() as i64,
            )
        })
        .collect();
    m.sort();
    m
}

fn peak(dir: &tempfile::TempDir) -> i64 {
    table(dir, "zoom_concurrency")
        .iter()
        .map(|r| r["peak_concurrent"].int())
        .max()
        .unwrap_or(0)
}

/// File, extra arguments, people, sessions, participant-minutes × 100, peak.
type Case = (&'static str, &'static [&'static str], i64, i64, i64, i64);

#[test]
fn participants_exports_in_every_header_variant() {
    let cases: &[Case] = &[
        ("participants_2023_meeting_block.csv", &[], 9, 12, 49148, 9),
        ("participants_2020_attentiveness.csv", &[], 5, 6, 29695, 5),
        ("participants_guest.csv", &[], 5, 6, 25233, 5),
        // Crosses the spring-forward change of 2022-03-13.
        ("participants_consent.csv", &[], 6, 6, 17437, 4),
        // Waiting-room rows are not attendance.
        ("participants_guest_waiting.csv", &[], 3, 3, 13345, 2),
        (
            "participants_uk.csv",
            &["--zoom-date-order", "dmy"],
            4,
            5,
            26600,
            4,
        ),
        ("participants_resaved.csv", &[], 5, 6, 76300, 4),
        ("dashboard_participants.json", &[], 9, 12, 49148, 9),
        ("report_participants.json", &[], 8, 9, 37678, 7),
        ("report_participant_single.json", &[], 1, 1, 5877, 1),
    ];
    for &(file, extra, people, sessions, minutes, want_peak) in cases {
        let (dir, m) = run_fixture(file, extra, "");
        assert!(
            m["inputs"][0]["format"]
                .as_str()
                .unwrap()
                .starts_with("zoom"),
            "{file}"
        );
        assert_eq!(meetings(&dir), vec![(people, sessions, minutes)], "{file}");
        assert_eq!(peak(&dir), want_peak, "{file}");
        let i = &m["inputs"][0];
        let n = |k: &str| i[k].as_u64().unwrap();
        assert_eq!(
            n("lines"),
            n("parsed") + n("rejected") + n("skipped"),
            "{file}"
        );
    }
}

#[test]
fn history_export_webhooks_and_unique_users() {
    let (dir, _) = run_fixture("history_export.csv", &[], "");
    assert_eq!(meetings(&dir), vec![(3, 3, 11018), (7, 8, 34620)]);
    let (dir, m) = run_fixture("webhooks.ndjson", &[], "");
    assert_eq!(
        meetings(&dir),
        vec![(1, 1, 4545), (1, 1, 5933), (4, 4, 21982)]
    );
    let input = &m["inputs"][0];
    assert_eq!(input["rejected"], 1, "the malformed line");
    assert_eq!(input["reject_locations"][0]["line"], 9);
    assert!(
        input["skipped_by_reason"]["event"].as_u64().unwrap() >= 4,
        "other events are skipped"
    );
    let (dir, _) = run_fixture("participants_unique_users.csv", &[], "");
    assert_eq!(meetings(&dir), vec![(9, 9, 50100)]);
}

#[test]
fn a_uk_export_read_as_us_is_refused_not_guessed() {
    let (dir, m) = run_fixture("participants_uk.csv", &[], "");
    assert!(m["inputs"][0]["rejected"].as_u64().unwrap() > 0);
    assert!(
        m["inputs"][0]["rejected_by_reason"]["bad_timestamp"]
            .as_u64()
            .unwrap()
            > 0
    );
    // A day > 12 cannot pass as a month: here every row has one, so no
    // meeting is published at all (exit 1, nothing usable).
    assert!(
        !dir.path().join("out").exists(),
        "a day > 12 passed as a month"
    );
}

#[test]
fn signin_csv_and_activities_json_give_the_same_table() {
    let (a, _) = run_fixture("signins.csv", &[], "");
    let (b, _) = run_fixture("activities.json", &[], "");
    let events: i64 = table(&a, "zoom_signins")
        .iter()
        .map(|r| r["events"].int())
        .sum();
    assert_eq!(events, 15);
    assert!(
        table(&a, "zoom_signins")
            .iter()
            .all(|r| r["networks"].int() <= r["events"].int())
    );
    assert_eq!(
        std::fs::read(a.path().join("out/zoom_signins.parquet")).unwrap(),
        std::fs::read(b.path().join("out/zoom_signins.parquet")).unwrap(),
        "US local times in the CSV and UTC in the JSON are the same events"
    );
}

#[test]
fn sensitive_hosts_are_excluded_or_held_to_a_higher_k() {
    let sensitive = "[zoom]\nsensitive_hosts = [\"counseling@health.example.edu\"]\n";
    let (dir, _) = run_fixture("participants_guest_waiting.csv", &[], sensitive);
    assert!(table(&dir, "zoom_meetings").is_empty());
    assert!(table(&dir, "zoom_attendance").is_empty());
    let (dir, _) = run_fixture("history_export.csv", &[], sensitive);
    assert_eq!(
        meetings(&dir),
        vec![(7, 8, 34620)],
        "only the webinar remains"
    );
    let raise = format!("{sensitive}sensitive = \"raise_k\"\nsensitive_k = 3\n");
    let (dir, _) = run_fixture("history_export.csv", &[], &raise);
    assert_eq!(
        meetings(&dir).len(),
        2,
        "3 participants meet sensitive_k = 3"
    );
    let raise = format!("{sensitive}sensitive = \"raise_k\"\nsensitive_k = 4\n");
    let (dir, _) = run_fixture("history_export.csv", &[], &raise);
    assert_eq!(meetings(&dir).len(), 1);
}

#[test]
fn a_csv_that_is_not_zoom_is_not_read_as_zoom() {
    let (_, m) = run_fixture("not_zoom.csv", &[], "");
    assert!(m["inputs"][0]["format"].is_null());
    assert!(
        m["inputs"][0]["error"]
            .as_str()
            .unwrap()
            .contains("no known format")
    );
}

/// E-mails, display names and ids of every fixture.
fn zoom_identifiers(files: &[PathBuf]) -> Vec<String> {
    let email = regex::Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").unwrap();
    let mut ids = Vec::new();
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        ids.extend(email.find_iter(&text).map(|m| m.as_str().to_lowercase()));
        if f.extension().is_some_and(|e| e == "csv") {
            let mut lines = text.lines();
            while let Some(header) = lines.next() {
                if header.contains("Name (Original Name)")
                    || header.contains("Name (original name)")
                {
                    let col = header
                        .split(',')
                        .position(|h| h.to_lowercase().starts_with("name (original"));
                    for row in lines.by_ref().take_while(|l| !l.trim().is_empty()) {
                        if let Some(name) = col.and_then(|c| row.split(',').nth(c)) {
                            ids.push(name.trim_matches('"').to_string());
                        }
                    }
                }
            }
        } else {
            for v in text
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .chain(serde_json::from_str(&text).ok())
            {
                collect_json(&v, &mut ids);
            }
        }
    }
    ids.retain(|i| i.len() >= 4 && !i.starts_with('-'));
    ids.sort();
    ids.dedup();
    ids
}

fn collect_json(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                let identifying = [
                    "user_name",
                    "name",
                    "email",
                    "user_email",
                    "user_id",
                    "participant_user_id",
                    "registrant_id",
                    "participant_uuid",
                    "ip_address",
                    "pc_name",
                    "mac_addr",
                    "harddisk_id",
                    "phone_number",
                    "uuid",
                    "id",
                    "host_id",
                    "customer_key",
                ];
                match x {
                    serde_json::Value::String(s) if identifying.contains(&k.as_str()) => {
                        out.push(s.clone())
                    }
                    serde_json::Value::Number(n) if k == "id" => out.push(n.to_string()),
                    _ => collect_json(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_json(x, out)),
        _ => {}
    }
}

#[test]
fn no_zoom_identity_reaches_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(common::root().join("tests/fixtures/zoom"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "csv" || e == "json" || e == "ndjson")
        })
        .collect();
    inputs.extend(common::zoom_sample_files());
    inputs.sort();
    let ids = zoom_identifiers(&inputs);
    assert!(
        ids.iter().any(|i| i == "counseling@health.example.edu"),
        "collection works"
    );
    assert!(ids.len() > 50, "only {} identifiers", ids.len());
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let r = run(&refs, &out, &["--zoom-timezone", "America/New_York"]);
    let mut findings = Vec::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let texts = if path.extension().is_some_and(|e| e == "parquet") {
            exposed_text(&path)
        } else {
            vec![("text".to_string(), std::fs::read_to_string(&path).unwrap())]
        };
        for (place, text) in texts {
            let lower = text.to_lowercase();
            findings.extend(
                ids.iter()
                    .filter(|i| lower.contains(&i.to_lowercase()))
                    .map(|_| format!("{}: {place}", path.display())),
            );
        }
    }
    let stderr = String::from_utf8_lossy(&r.stderr).to_lowercase();
    findings.extend(
        ids.iter()
            .filter(|i| stderr.contains(&i.to_lowercase()))
            .map(|_| "stderr".to_string()),
    );
    findings.sort();
    findings.dedup();
    assert!(
        findings.is_empty(),
        "Zoom identities leaked in: {findings:?}"
    );
}

/// Every value of every Zoom table for a small export, worked out by hand.
#[test]
fn attendance_concurrency_and_meetings_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("participants.csv");
    std::fs::write(
        &csv,
        "\u{feff}Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants,\r\n\
         932 5001 3841,\"Lab, weekly\",01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,host@example.edu,60,5,\r\n\
         \r\n\
         Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,In Waiting Room\r\n\
         Ana Ruiz (Host),host@example.edu,01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,60,No,No\r\n\
         Lee Kim,lee@example.edu,01/26/2023 03:05:00 PM,01/26/2023 03:30:00 PM,25,No,No\r\n\
         Lee Kim,lee@example.edu,01/26/2023 03:20:00 PM,01/26/2023 03:50:00 PM,30,No,No\r\n\
         Phone Guest,,01/26/2023 03:10:00 PM,01/26/2023 03:20:00 PM,10,Yes,No\r\n\
         Kai Ito,kai@partner.org,01/26/2023 03:40:00 PM,01/26/2023 04:10:00 PM,30,No,No\r\n\
         Waiting,,01/26/2023 02:55:00 PM,01/26/2023 03:00:00 PM,5,Yes,Yes\r\n",
    )
    .unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[suppression]\nk = 1\nallow_small_k = true\n[zoom.affiliations]\n\"example.edu\" = \"Example\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let r = run(
        &[&csv],
        &out,
        &[
            "-q",
            "--zoom-timezone",
            "America/New_York",
            "--policy",
            policy.to_str().unwrap(),
        ],
    );
    assert_eq!(r.status.code(), Some(0));
    let rows = |t: &str| read_rows(&out.join(format!("{t}.parquet")));
    // 15:00 EST is 20:00 UTC; 2023-01-26 is day 19383.
    let h20 = 1_674_763_200_000_000;
    let m = rows("zoom_meetings");
    assert_eq!(m.len(), 1);
    let m = &m[0];
    assert_eq!(
        (
            m["day"].int(),
            m["start_hour"].int(),
            m["duration_minutes"].int()
        ),
        (19_383, h20, 60)
    );
    assert_eq!(
        (
            m["sessions"].int(),
            m["unique_participants"].int(),
            m["guests"].int()
        ),
        (5, 4, 1)
    );
    // 60 + 45 (Lee's overlapping sessions) + 10 + 30; median of 10, 30, 45, 60.
    assert_eq!(
        (
            m["participant_minutes"].float(),
            m["median_minutes_per_participant"].float()
        ),
        (145.0, 37.5)
    );
    let att: Vec<(String, i64, i64, f64)> = rows("zoom_attendance")
        .iter()
        .map(|r| {
            (
                r["affiliation"].str().to_string(),
                r["sessions"].int(),
                r["users"].int(),
                r["minutes"].float(),
            )
        })
        .collect();
    assert_eq!(
        att,
        vec![
            ("Example".to_string(), 3, 2, 105.0),
            ("external".to_string(), 1, 1, 30.0),
            ("unknown".to_string(), 1, 1, 10.0),
        ]
    );
    let conc: Vec<(i64, i64, i64, i64)> = rows("zoom_concurrency")
        .iter()
        .map(|r| {
            (
                r["hour"].int(),
                r["peak_concurrent"].int(),
                r["joins"].int(),
                r["leaves"].int(),
            )
        })
        .collect();
    assert_eq!(conc, vec![(h20, 3, 5, 3), (h20 + 3_600_000_000, 2, 0, 2)]);
}

/// No suppression beyond `k`, with small k allowed.
fn k_policy(k: u64, rest: &str) -> String {
    format!("[suppression]\nk = {k}\nallow_small_k = true\n{rest}")
}

/// A participants export with its meeting block: five people, each once
/// with an e-mail and once name-only from another device, written the ways
/// Zoom and people write names.
const DOUBLE_IDENTITIES: &str = "\u{feff}Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants,\r\n\
    932 5001 3841,Reading group,01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,lee.kim@example.edu,60,10,\r\n\
    \r\n\
    Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n\
    Lee Kim (Host),lee.kim@example.edu,01/26/2023 03:00:00 PM,01/26/2023 03:20:00 PM,20,No\r\n\
    Lee Kim's iPhone,,01/26/2023 03:25:00 PM,01/26/2023 04:00:00 PM,35,Yes\r\n\
    Ana Ruiz,ana.ruiz@example.edu,01/26/2023 03:01:00 PM,01/26/2023 03:30:00 PM,29,No\r\n\
    Ana Ruiz\u{2019}s iPad,,01/26/2023 03:31:00 PM,01/26/2023 03:59:00 PM,28,Yes\r\n\
    Bo Chen,bo.chen@example.edu,01/26/2023 03:02:00 PM,01/26/2023 03:10:00 PM,8,No\r\n\
    BO  CHEN (Guest),,01/26/2023 03:12:00 PM,01/26/2023 03:50:00 PM,38,Yes\r\n\
    Dara Whitfield (she/her),dara@example.org,01/26/2023 03:03:00 PM,01/26/2023 03:40:00 PM,37,No\r\n\
    Dara Whitfield - Android,,01/26/2023 03:41:00 PM,01/26/2023 03:55:00 PM,14,Yes\r\n\
    Kai Ito,kai.ito@partner.org,01/26/2023 03:04:00 PM,01/26/2023 03:14:00 PM,10,No\r\n\
    \u{ff2b}ai Ito's Galaxy S21,,01/26/2023 03:15:00 PM,01/26/2023 03:45:00 PM,30,Yes\r\n";

#[test]
fn five_people_under_two_identities_each_count_as_five() {
    // Ten identities, five people: k = 10 must withhold the meeting and
    // every attendance row.
    let (dir, _) = run_text("double.csv", DOUBLE_IDENTITIES, &k_policy(10, ""));
    assert!(
        table(&dir, "zoom_meetings").is_empty(),
        "five people pass as ten"
    );
    assert!(table(&dir, "zoom_attendance").is_empty());
    // Where five may publish, the row says five.
    let (dir, _) = run_text("double.csv", DOUBLE_IDENTITIES, &k_policy(5, ""));
    let m = table(&dir, "zoom_meetings");
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0]["unique_participants"].int(), m[0]["sessions"].int()),
        (5, 10)
    );
    assert_eq!(
        m[0]["guests"].int(),
        5,
        "each person joined once as a guest"
    );
}

#[test]
fn display_names_are_normalised_before_pseudonymising() {
    use logveil::privacy::zoom::canonical_name;
    let same: &[(&str, &str)] = &[
        ("Lee Kim (Host)", "lee kim"),
        ("Lee Kim (Co-host)", "lee kim"),
        ("Lee Kim (Guest)", "lee kim"),
        ("Lee Kim(Me)", "lee kim"),
        ("Lee Kim (Host, me)", "lee kim"),
        ("  LEE   KIM\t", "lee kim"),
        ("Lee Kim's iPhone", "lee kim"),
        ("Lee Kim\u{2019}s iPhone", "lee kim"),
        ("Lee Kim's iPad (Host)", "lee kim"),
        ("Lee Kim's Android", "lee kim"),
        ("Lee Kim's Galaxy S21 Ultra", "lee kim"),
        ("Lee Kim's MacBook Pro", "lee kim"),
        ("Lee Kim's Pixel 7", "lee kim"),
        ("Lee Kim's phone", "lee kim"),
        ("Lee Kim's laptop", "lee kim"),
        ("Lee Kim's PC", "lee kim"),
        ("Lee Kim - iPhone", "lee kim"),
        ("James' iPhone", "james"),
        ("Jane Doe (she/her)", "jane doe"),
        ("\u{ff2c}ee \u{ff2b}im", "lee kim"),
        ("Stra\u{df}e", "strasse"),
        ("Lee\u{200b} Kim", "lee kim"),
        // Only a device after the possessive goes.
        ("Lee Kim's Office", "lee kim's office"),
        ("Lee - Kim", "lee - kim"),
        ("iPhone", "iphone"),
        ("(Host)", ""),
    ];
    let wrong: Vec<String> = same
        .iter()
        .filter(|(raw, want)| canonical_name(raw) != *want)
        .map(|(raw, want)| format!("{raw:?} gave {:?}, not {want:?}", canonical_name(raw)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A participants export without meeting block, whose host is marked only
/// by `(Host)` after a name: four people.
const HOST_MARKED_BY_NAME: &str = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n\
    Counseling Team (Host),,01/26/2023 03:00:00 PM,01/26/2023 04:00:00 PM,60,No\r\n\
    Lee Kim,lee@example.edu,01/26/2023 03:05:00 PM,01/26/2023 03:30:00 PM,25,No\r\n\
    Ana Ruiz,ana@example.edu,01/26/2023 03:06:00 PM,01/26/2023 03:50:00 PM,44,No\r\n\
    Bo Chen,,01/26/2023 03:10:00 PM,01/26/2023 03:20:00 PM,10,Yes\r\n";

#[test]
fn a_meeting_whose_host_is_unknown_is_held_to_sensitive_k() {
    let sensitive = "[zoom]\nsensitive_hosts = [\"counseling@health.example.edu\"]\n";
    let published = |text: &str, zoom: &str| {
        let (dir, _) = run_text("p.csv", text, &k_policy(1, zoom));
        table(&dir, "zoom_meetings").len()
    };
    assert_eq!(published(HOST_MARKED_BY_NAME, ""), 1, "no sensitive hosts");
    for action in ["raise_k", "exclude"] {
        let zoom = |k: u64| format!("{sensitive}sensitive = \"{action}\"\nsensitive_k = {k}\n");
        assert_eq!(
            published(HOST_MARKED_BY_NAME, &zoom(5)),
            0,
            "{action}: 4 people < sensitive_k 5"
        );
        assert_eq!(
            published(HOST_MARKED_BY_NAME, &zoom(4)),
            1,
            "{action}: held to sensitive_k, not excluded"
        );
        // A `(Host)` row with an e-mail names the host: not a sensitive one.
        let known = HOST_MARKED_BY_NAME.replace(
            "Counseling Team (Host),,",
            "Lab Lead (Host),lab@example.edu,",
        );
        assert_eq!(published(&known, &zoom(5)), 1, "{action}: a known host");
        // … or the sensitive one, excluded or held as configured.
        let care = HOST_MARKED_BY_NAME.replace(
            "Counseling Team (Host),,",
            "Counseling Team (Host),counseling@health.example.edu,",
        );
        assert_eq!(published(&care, &zoom(4)), usize::from(action == "raise_k"));
    }
    // The Dashboard API names its host by role: 9 people, host Ana.
    let dashboard = |host: &str| {
        let zoom = format!("[zoom]\nsensitive_hosts = [\"{host}\"]\nsensitive_k = 20\n");
        let (dir, _) = run_fixture("dashboard_participants.json", &[], &zoom);
        table(&dir, "zoom_meetings").len()
    };
    assert_eq!(dashboard("counseling@health.example.edu"), 1);
    assert_eq!(dashboard("ana.ruiz@med.example.edu"), 0);
}

#[test]
fn weekly_occurrences_of_one_meeting_id_are_separate_meetings() {
    let never = k_policy(1, "[keys]\nepoch = \"never\"\n");
    let header = "Topic,Type,ID,Host name,Host email,Start time,End time,Participants,Duration (minutes),Total participant minutes,Department,Group,Source,Unique viewers,Max concurrent views,Creation time,Name (original name),Email,Join time,Leave time,Duration (minutes),Guest,Recording disclaimer response,In waiting room\n";
    let row = |day: &str, name: &str, email: &str| {
        format!(
            "Seminar,Meeting,932 5001 3841,Ana Ruiz,host@example.edu,{day} 03:00:00 PM,{day} 04:00:00 PM,3,60,90,-,-,-,-,-,-,{name},{email},{day} 03:05:00 PM,{day} 03:35:00 PM,30,No,-,No\n"
        )
    };
    let history = [
        header.to_string(),
        row("01/26/2023", "Lee Kim", "lee@example.edu"),
        row("01/26/2023", "Ana Ruiz", "ana@example.edu"),
        "\n".to_string(),
        row("02/02/2023", "Lee Kim", "lee@example.edu"),
        row("02/02/2023", "Bo Chen", "bo@example.edu"),
        row("02/02/2023", "Kai Ito", "kai@example.edu"),
    ]
    .concat();
    let (dir, _) = run_text("history.csv", &history, &never);
    assert_eq!(meetings(&dir), vec![(2, 2, 6000), (3, 3, 9000)]);
    let days: Vec<i64> = table(&dir, "zoom_meetings")
        .iter()
        .map(|r| r["day"].int())
        .collect();
    assert_eq!(days, vec![19_383, 19_390]);

    // Webhooks name an occurrence by its uuid, even when the scheduled
    // start is the same.
    let event = |uuid: &str, who: &str, joined: bool, at: &str| {
        let (kind, time) = if joined {
            ("joined", "join_time")
        } else {
            ("left", "leave_time")
        };
        format!(
            r#"{{"event":"meeting.participant_{kind}","payload":{{"object":{{"id":"85746352910","uuid":"{uuid}","start_time":"2026-05-05T17:00:00Z","participant":{{"user_name":"{who}","email":"{who}@example.edu","{time}":"{at}"}}}}}}}}"#
        ) + "\n"
    };
    let hooks = [
        event("occ1==", "lee", true, "2026-05-05T17:00:00Z"),
        event("occ1==", "lee", false, "2026-05-05T17:30:00Z"),
        event("occ2==", "lee", true, "2026-05-12T17:00:00Z"),
        event("occ2==", "ana", true, "2026-05-12T17:00:00Z"),
        event("occ2==", "lee", false, "2026-05-12T17:30:00Z"),
        event("occ2==", "ana", false, "2026-05-12T17:30:00Z"),
    ]
    .concat();
    let (dir, _) = run_text("hooks.ndjson", &hooks, &never);
    assert_eq!(meetings(&dir), vec![(1, 1, 3000), (2, 2, 6000)]);
}

#[test]
fn a_session_spanning_centuries_is_a_bad_timestamp_not_attendance() {
    // A join year mistyped as 0226 (found by fuzzing): counted, the session
    // spanned 1,800 years of hours and took about a minute for one line.
    let text = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n\
                A,a@example.edu,02/10/0226 01:55:00 PM,02/10/2026 03:05:12 PM,71\n\
                B,b@example.edu,02/10/2026 01:55:00 PM,02/10/2026 03:05:12 PM,71\n";
    let (dir, m) = run_text(
        "participants_123.csv",
        text,
        "[suppression]\nk = 1\nallow_small_k = true\n",
    );
    let input = &m["inputs"][0];
    assert_eq!(input["parsed"], 1, "{input}");
    assert_eq!(input["rejected_by_reason"]["bad_timestamp"], 1, "{input}");
    assert!(table(&dir, "zoom_concurrency").len() <= 3);
}
