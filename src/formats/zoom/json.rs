//! Zoom's JSON data: REST API pages and webhook events.
//!
//! - `GET /v2/report/activities`: an object with `activity_logs[]` → sign-ins,
//!   or its entries one per line (NDJSON, as log shippers store them);
//! - Dashboard and Report participant data: a page with `participants[]`, a
//!   bare array, or a single participant object → participations. Device
//!   identifiers, internal addresses, locations and free-text leave reasons
//!   are never read;
//! - webhook NDJSON, one event per line: `*.participant_joined` and
//!   `*.participant_left` are paired per meeting and participant into
//!   sessions; other events are valid lines that carry no attendance and
//!   are skipped, not rejected. Old payloads (no `event_ts`, `email` or
//!   `participant_uuid`, numeric or string ids, `account_id` outside the
//!   payload) are read the same way. `user.signed_in` and `user.signed_out`
//!   are sign-ins, read like the activities report's entries (the account's
//!   e-mail, `date_time`, client type and version; Zoom's user id is not
//!   read, since the e-mail already names the account); other `user.*`
//!   events are account management, skipped like the rest.
//!
//! In a JSON document each participant or activity object counts as one
//! "line" of the manifest's accounting; in NDJSON each physical line does,
//! except a line holding a whole page, whose entries count one each (as
//! they would in a document), so every record has its own line.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::{Participation, SignIn, ZoomOptions, ZoomRead, ZoomReader, ZoomRecord, strip_bom};
use crate::formats::{Reject, Skip};

/// Reader of Zoom API JSON documents.
#[derive(Debug, Clone, Copy, Default)]
pub struct ZoomApiJson;

/// Reader of Zoom webhook events, one JSON object per line.
#[derive(Debug, Clone, Copy, Default)]
pub struct ZoomWebhooks;

/// A string field, whether the JSON holds a string or a number.
fn field(v: &Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match v.get(n)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(x) => Some(x.to_string()),
        _ => None,
    })
}

fn participant(v: &Value, options: &ZoomOptions) -> Result<Option<Participation>, Reject> {
    if !v.is_object() {
        return Err(Reject::Malformed);
    }
    if field(v, &["status"]).as_deref() == Some("in_waiting_room") {
        return Ok(None);
    }
    let time = |names: &[&str]| -> Result<Option<i64>, Reject> {
        match field(v, names) {
            None => Ok(None),
            Some(t) => options.time.parse(&t).map(Some).ok_or(Reject::BadTimestamp),
        }
    };
    let join = time(&["join_time"])?;
    let leave = time(&["leave_time"])?;
    let email = field(v, &["email", "user_email"]);
    // The Dashboard marks the host by role; its e-mail is then the
    // meeting's host e-mail, which sensitive hosts are recognised by.
    let host_email = (email.as_deref().map(Arc::from))
        .filter(|_| field(v, &["role"]).is_some_and(|r| r.eq_ignore_ascii_case("host")));
    let p = Participation {
        host_email,
        email,
        name: field(v, &["user_name", "name"]),
        user_id: field(
            v,
            &[
                "participant_user_id",
                "user_id",
                "id",
                "registrant_id",
                "participant_uuid",
            ],
        ),
        join,
        leave,
        minutes: v
            .get("duration")
            .and_then(Value::as_f64)
            .filter(|_| join.is_none())
            .map(|s| s / 60.0),
        device: field(v, &["device"]),
        ..Participation::default()
    };
    if p.email.is_none() && p.name.is_none() && p.user_id.is_none() {
        return Err(Reject::Malformed);
    }
    Ok(Some(p))
}

/// A sign-in from an activities entry (`time`, `type`) or a webhook's
/// object (`date_time`, with the kind from the event's name, `kind`).
fn signin(v: &Value, options: &ZoomOptions, kind: Option<&str>) -> Result<SignIn, Reject> {
    let time = field(v, &["time", "date_time"]).ok_or(Reject::Truncated)?;
    Ok(SignIn {
        email: field(v, &["email"]),
        time: options.time.parse(&time).ok_or(Reject::BadTimestamp)?,
        kind: kind.map_or_else(|| field(v, &["type"]).unwrap_or_default(), str::to_string),
        ip: field(v, &["ip_address"]),
        client_type: field(v, &["client_type"]),
        version: field(v, &["version"]),
    })
}

/// Whether a bare object is an activities entry rather than a participant:
/// it has the entry's `time` and `type` and no participant's join time.
fn is_activity(v: &Value) -> bool {
    v.get("time").is_some() && v.get("type").is_some() && v.get("join_time").is_none()
}

/// Whether an activity's `type` is one the report writes (`Sign in`,
/// `Sign out`), in the spellings the sign-in table reads.
fn signin_type(v: &Value) -> bool {
    field(v, &["type"]).is_some_and(|t| {
        let t: String = t.chars().filter(|c| !matches!(c, ' ' | '_')).collect();
        t.eq_ignore_ascii_case("signin") || t.eq_ignore_ascii_case("signout")
    })
}

/// The entries of one JSON value: a page's `activity_logs[]` (all
/// sign-ins) or `participants[]`, a bare array, or the value itself. Each
/// entry says whether it is a sign-in.
fn entries(doc: &Value) -> Vec<(&Value, bool)> {
    if let Some(logs) = doc.get("activity_logs").and_then(Value::as_array) {
        return logs.iter().map(|v| (v, true)).collect();
    }
    let items: Vec<&Value> = match (doc, doc.get("participants")) {
        (_, Some(Value::Array(a))) => a.iter().collect(),
        (Value::Array(a), _) => a.iter().collect(),
        (v, _) => vec![v],
    };
    items.into_iter().map(|v| (v, is_activity(v))).collect()
}

/// Reads one entry into `out`, as its line `line`.
fn read_entry(v: &Value, signin_entry: bool, line: u64, options: &ZoomOptions, out: &mut ZoomRead) {
    out.lines += 1;
    let read = if signin_entry {
        signin(v, options, None).map(|s| Some(ZoomRecord::SignIn(s)))
    } else {
        participant(v, options).map(|p| p.map(ZoomRecord::Participation))
    };
    match read {
        Ok(Some(r)) => out.records.push((line, r)),
        Ok(None) => out.skip(Skip::WaitingRoom),
        Err(r) => out.rejected.push((line, r)),
    }
}

/// The first non-blank line of `data`, as JSON, if it is one whole value.
fn first_line_value(data: &[u8]) -> Option<Value> {
    let first = data
        .split(|c| *c == b'\n')
        .find(|l| !l.trim_ascii().is_empty())?;
    serde_json::from_slice(first).ok()
}

impl ZoomReader for ZoomApiJson {
    fn name(&self) -> &'static str {
        "zoom_api_json"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = strip_bom(head).trim_ascii_start();
        let starts = matches!(head.first(), Some(b'{' | b'['));
        let has = |k: &[u8]| memchr::memmem::find(head, k).is_some();
        // A webhook line also starts with '{'; it has an "event" field.
        if !starts || has(b"\"event\"") {
            return false;
        }
        if has(b"\"activity_logs\"") || has(b"\"participants\"") || has(b"\"join_time\"") {
            return true;
        }
        // Activities one per line: only the report's own sign-in types
        // claim a line, so a JSON access log with a `type` key stays a
        // web log.
        first_line_value(head).is_some_and(|v| is_activity(&v) && signin_type(&v))
    }

    fn read(&self, data: &[u8], options: &ZoomOptions, _source_key: &str) -> ZoomRead {
        let mut out = ZoomRead::default();
        let body = strip_bom(data);
        let error = match serde_json::from_slice::<Value>(body) {
            Ok(doc) => {
                for (i, (v, s)) in entries(&doc).into_iter().enumerate() {
                    read_entry(v, s, i as u64 + 1, options, &mut out);
                }
                return out;
            }
            Err(e) => e,
        };
        // Not one document: NDJSON when its first line is a whole value,
        // else a broken document, which no line of can be trusted.
        if first_line_value(body).is_none() {
            out.lines = 1;
            out.rejected.push((error.line() as u64, Reject::Malformed));
            return out;
        }
        let body = body.strip_suffix(b"\n").unwrap_or(body);
        for (i, line) in body.split(|c| *c == b'\n').enumerate() {
            let n = i as u64 + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                out.lines += 1;
                out.skip(Skip::Blank);
                continue;
            }
            let Ok(doc) = serde_json::from_slice::<Value>(line) else {
                out.lines += 1;
                out.rejected.push((n, Reject::Malformed));
                continue;
            };
            let entries = entries(&doc);
            if entries.is_empty() {
                // An empty page: a line, but no entry.
                out.lines += 1;
                out.skip(Skip::Header);
            }
            for (v, s) in entries {
                read_entry(v, s, n, options, &mut out);
            }
        }
        out
    }
}

/// One webhook join or leave, before pairing.
struct Event {
    line: u64,
    joined: bool,
    time: i64,
    meeting: Option<String>,
    person: String,
    participation: Participation,
}

/// What one webhook line carries.
enum Hook {
    /// A join or leave, to be paired into a session.
    Attendance(Event),
    /// A sign-in or sign-out.
    SignIn(SignIn),
    /// Any other event: valid, but nothing any table counts.
    Other,
}

fn webhook(v: &Value, options: &ZoomOptions) -> Result<Hook, Reject> {
    let name = field(v, &["event"]).ok_or(Reject::Malformed)?;
    let joined = match name.rsplit_once('.') {
        Some((_, "participant_joined")) => true,
        Some((_, "participant_left")) => false,
        Some(("user", "signed_in" | "signed_out")) => {
            let object = v.pointer("/payload/object").ok_or(Reject::Truncated)?;
            // The kind as the activities report writes it.
            let kind = if name.ends_with("_in") {
                "Sign in"
            } else {
                "Sign out"
            };
            return signin(object, options, Some(kind)).map(Hook::SignIn);
        }
        _ => return Ok(Hook::Other),
    };
    let object = v.pointer("/payload/object").ok_or(Reject::Truncated)?;
    let who = object.get("participant").ok_or(Reject::Truncated)?;
    let at =
        field(who, &[if joined { "join_time" } else { "leave_time" }]).ok_or(Reject::Truncated)?;
    let time = options.time.parse(&at).ok_or(Reject::BadTimestamp)?;
    let mut p = participant(who, options)?.ok_or(Reject::Malformed)?;
    p.join = None;
    p.leave = None;
    p.meeting_id = field(object, &["id"]).map(Arc::from);
    p.meeting_start = field(object, &["start_time"]).and_then(|t| options.time.parse(&t));
    p.occurrence = field(object, &["uuid"]);
    // The key pairing a leave with its join: the most specific id present.
    let person = field(who, &["participant_uuid", "id", "user_id"])
        .or_else(|| p.email.clone())
        .or_else(|| p.name.clone())
        .unwrap_or_default();
    // Pairing is by occurrence uuid or meeting id only: a leave event may
    // lack the start time its join carried.
    let meeting = (p.occurrence.clone()).or_else(|| p.meeting_id.as_deref().map(String::from));
    Ok(Hook::Attendance(Event {
        line: 0,
        joined,
        time,
        meeting,
        person,
        participation: p,
    }))
}

impl ZoomReader for ZoomWebhooks {
    fn name(&self) -> &'static str {
        "zoom_webhooks"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = strip_bom(head).trim_ascii_start();
        let first = &head[..memchr::memchr(b'\n', head).unwrap_or(head.len())];
        serde_json::from_slice::<Value>(first)
            .ok()
            .is_some_and(|v| {
                v.get("event").is_some_and(Value::is_string) && v.get("payload").is_some()
            })
    }

    fn read(&self, data: &[u8], options: &ZoomOptions, _source_key: &str) -> ZoomRead {
        let mut out = ZoomRead::default();
        let mut events = Vec::new();
        let mut signins = Vec::new();
        let body = strip_bom(data);
        let body = body.strip_suffix(b"\n").unwrap_or(body);
        for (i, line) in body.split(|c| *c == b'\n').enumerate() {
            let n = i as u64 + 1;
            out.lines += 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                out.skip(Skip::Blank);
                continue;
            }
            match serde_json::from_slice::<Value>(line)
                .map_err(|_| Reject::Malformed)
                .and_then(|v| webhook(&v, options))
            {
                Ok(Hook::Attendance(mut e)) => {
                    e.line = n;
                    events.push(e);
                }
                Ok(Hook::SignIn(s)) => signins.push((n, ZoomRecord::SignIn(s))),
                Ok(Hook::Other) => out.skip(Skip::Event),
                Err(r) => out.rejected.push((n, r)),
            }
        }
        // Pair each leave with the earliest open join of the same person in
        // the same meeting; events may arrive out of order.
        events.sort_by_key(|e| (e.time, !e.joined));
        let mut open: HashMap<(Option<String>, String), Vec<usize>> = HashMap::new();
        let mut sessions: Vec<(u64, Participation)> = Vec::new();
        for e in events {
            let key = (e.meeting.clone(), e.person.clone());
            if e.joined {
                let mut p = e.participation;
                p.join = Some(e.time);
                open.entry(key).or_default().push(sessions.len());
                sessions.push((e.line, p));
            } else if let Some(i) = open
                .get_mut(&key)
                .and_then(|v| (!v.is_empty()).then(|| v.remove(0)))
            {
                sessions[i].1.leave = Some(e.time);
                // The leave line is part of a session recorded at its join.
                out.skip(Skip::PairedLeave);
            } else {
                // A leave whose join is not in the data: a session with an
                // unknown start, counted but without minutes.
                let mut p = e.participation;
                p.leave = Some(e.time);
                sessions.push((e.line, p));
            }
        }
        out.records = sessions
            .into_iter()
            .map(|(l, p)| (l, ZoomRecord::Participation(p)))
            .chain(signins)
            .collect();
        out.records.sort_by_key(|(l, _)| *l);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::zoom::test_support::{people, utc};

    #[test]
    fn activities_page() {
        let doc = br#"{"from":"2026-05-01","activity_logs":[{"email":"kim@example.edu","time":"2026-05-30T17:52:14Z","type":"Sign in","ip_address":"192.0.2.4","client_type":"Browser","version":"5.9.1.2581"},{"email":"x@example.edu","time":"nope","type":"Sign out"}]}"#;
        assert!(ZoomApiJson.sniff(doc));
        let r = ZoomApiJson.read(doc, &utc(), "f");
        assert_eq!((r.lines, r.records.len(), r.rejected.len()), (2, 1, 1));
    }

    /// A sign-in as (line, kind, time, e-mail, address).
    type Seen<'a> = (u64, &'a str, i64, Option<&'a str>, Option<&'a str>);

    /// The sign-ins of a read.
    fn signins(r: &ZoomRead) -> Vec<Seen<'_>> {
        r.records
            .iter()
            .filter_map(|(l, r)| match r {
                ZoomRecord::SignIn(s) => Some((
                    *l,
                    s.kind.as_str(),
                    s.time,
                    s.email.as_deref(),
                    s.ip.as_deref(),
                )),
                ZoomRecord::Participation(_) => None,
            })
            .collect()
    }

    #[test]
    fn activities_one_per_line() {
        let lines = [
            r#"{"client_type":"Browser","email":"kim@example.edu","ip_address":"192.0.2.4","time":"2026-05-30T17:52:14Z","type":"Sign in","version":"5.9.1.2581"}"#,
            r#"{"email":"lee@example.edu","time":"2026-05-30T18:00:00Z","type":"Sign out"}"#,
            "",
            r#"{"email":"x@example.edu","time":"nope","type":"Sign in"}"#,
            "{broken",
            r#"{"activity_logs":[{"email":"a@example.edu","time":"2026-05-30T19:00:00Z","type":"Sign in"},{"email":"b@example.edu","time":"2026-05-30T19:01:00Z","type":"Sign out"}]}"#,
            r#"{"activity_logs":[]}"#,
        ];
        let data = lines.join("\r\n");
        assert!(ZoomApiJson.sniff(data.as_bytes()));
        let r = ZoomApiJson.read(data.as_bytes(), &utc(), "f");
        assert_eq!(
            signins(&r),
            vec![
                (
                    1,
                    "Sign in",
                    1_780_163_534,
                    Some("kim@example.edu"),
                    Some("192.0.2.4")
                ),
                (2, "Sign out", 1_780_164_000, Some("lee@example.edu"), None),
                (6, "Sign in", 1_780_167_600, Some("a@example.edu"), None),
                (6, "Sign out", 1_780_167_660, Some("b@example.edu"), None),
            ]
        );
        assert_eq!(
            r.rejected,
            vec![(4, Reject::BadTimestamp), (5, Reject::Malformed)]
        );
        let skipped: u64 = r.skipped.iter().sum();
        assert_eq!(
            r.lines,
            r.records.len() as u64 + r.rejected.len() as u64 + skipped
        );
        // One entry alone is one document, and still a sign-in.
        let one = ZoomApiJson.read(lines[1].as_bytes(), &utc(), "f");
        assert_eq!(signins(&one).len(), 1);
        // A broken document is one malformed line, not a file of lines.
        let broken = ZoomApiJson.read(b"{\n\"activity_logs\": [\n", &utc(), "f");
        assert_eq!((broken.lines, broken.rejected.len()), (1, 1));
    }

    #[test]
    fn only_sign_in_types_claim_a_json_line() {
        assert!(ZoomApiJson.sniff(
            br#"{"email":"a@example.edu","time":"2026-05-30T19:00:00Z","type":"sign_out"}"#
        ));
        // A JSON access log with `time` and `type` keys stays a web log.
        assert!(!ZoomApiJson.sniff(
            br#"{"time":"2026-05-30T19:00:00Z","type":"access","remote_addr":"192.0.2.1","request":"GET / HTTP/1.1","status":200}"#
        ));
        assert!(!ZoomApiJson.sniff(br#"{"time":"2026-05-30T19:00:00Z","type":"Sign in""#));
    }

    #[test]
    fn user_sign_in_webhooks_are_sign_ins_and_other_user_events_are_skipped() {
        let lines = [
            r#"{"event":"user.created","payload":{"account_id":"a1","operator":"admin@example.edu","creation_type":"create","object":{"id":"u7","first_name":"Kim","last_name":"Lee","email":"kim@example.edu","type":1}}}"#,
            r#"{"event":"user.signed_in","event_ts":1780163534000,"payload":{"account_id":"a1","object":{"id":"u7","client_type":"mac","date_time":"2026-05-30T17:52:14Z","email":"kim@example.edu","login_type":100,"version":"6.0.2.33403"}}}"#,
            r#"{"event":"user.signed_out","event_ts":1780164000000,"payload":{"account_id":"a1","object":{"id":"u7","client_type":"mac","date_time":"2026-05-30T18:00:00Z","email":"kim@example.edu","login_type":100,"version":"6.0.2.33403"}}}"#,
            r#"{"event":"user.signed_in","payload":{"account_id":"a1","object":{"id":"u8","email":"x@example.edu"}}}"#,
            r#"{"event":"user.presence_status_updated","payload":{"account_id":"a1","object":{"id":"u7","email":"kim@example.edu","presence_status":"Away","date_time":"2026-05-30T18:01:00Z"}}}"#,
        ];
        let data = lines.join("\n");
        assert!(ZoomWebhooks.sniff(data.as_bytes()));
        let r = ZoomWebhooks.read(data.as_bytes(), &utc(), "f");
        assert_eq!(
            signins(&r),
            vec![
                (2, "Sign in", 1_780_163_534, Some("kim@example.edu"), None),
                (3, "Sign out", 1_780_164_000, Some("kim@example.edu"), None),
            ]
        );
        let ZoomRecord::SignIn(s) = &r.records[0].1 else {
            panic!("a sign-in")
        };
        assert_eq!(
            (s.client_type.as_deref(), s.version.as_deref()),
            (Some("mac"), Some("6.0.2.33403"))
        );
        assert_eq!(r.rejected, vec![(4, Reject::Truncated)], "no time");
        assert_eq!(r.skipped[Skip::Event.index()], 2);
    }

    #[test]
    fn participants_page_array_and_single_object() {
        let page = br#"{"page_count":1,"participants":[{"id":"","user_name":"Guest 1","join_time":"2026-05-30T17:00:00Z","leave_time":"2026-05-30T17:30:00Z","ip_address":"120.000.000","device":"WIN"},{"user_name":"W","status":"in_waiting_room","join_time":"2026-05-30T16:55:00Z","leave_time":"2026-05-30T17:00:00Z"}]}"#;
        let r = ZoomApiJson.read(page, &utc(), "f");
        assert_eq!(people(&r)[0].device.as_deref(), Some("WIN"));
        assert_eq!(r.skipped[Skip::WaitingRoom.index()], 1);
        let array = br#"[{"id":"u1","name":"Ana","user_email":"ana@example.edu","join_time":"2026-05-30T17:00:00Z","leave_time":"2026-05-30T17:00:00Z","duration":0}]"#;
        assert!(ZoomApiJson.sniff(array));
        assert_eq!(
            people(&ZoomApiJson.read(array, &utc(), "f"))[0]
                .email
                .as_deref(),
            Some("ana@example.edu")
        );
        let roles = br#"[{"user_name":"Ana","email":"ana@example.edu","role":"host","join_time":"2026-05-30T17:00:00Z","leave_time":"2026-05-30T17:10:00Z"},{"user_name":"Bo","email":"bo@example.edu","role":"cohost","join_time":"2026-05-30T17:00:00Z","leave_time":"2026-05-30T17:10:00Z"}]"#;
        let read = ZoomApiJson.read(roles, &utc(), "f");
        let hosts: Vec<_> = people(&read)
            .iter()
            .map(|p| p.host_email.as_deref())
            .collect();
        assert_eq!(
            hosts,
            vec![Some("ana@example.edu"), None],
            "the host role names the host"
        );
        let single = br#"{"id":"u1","name":"Ana","join_time":"2026-05-30T17:00:00Z","leave_time":"2026-05-30T17:10:00Z"}"#;
        assert_eq!(people(&ZoomApiJson.read(single, &utc(), "f")).len(), 1);
        assert!(!ZoomApiJson.sniff(b"{\"event\":\"meeting.started\",\"payload\":{}}"));
    }

    #[test]
    fn webhooks_pair_joins_and_leaves_and_skip_other_events() {
        let lines = [
            r#"{"event":"meeting.participant_left","event_ts":2,"payload":{"object":{"id":93250013841,"uuid":"m1","participant":{"user_name":"Ana","participant_uuid":"p1","leave_time":"2026-05-30T18:00:00Z","leave_reason":"left"}}}}"#,
            r#"{"event":"meeting.participant_joined","event_ts":1,"payload":{"object":{"id":"93250013841","uuid":"m1","participant":{"user_name":"Ana","participant_uuid":"p1","email":"ana@example.edu","join_time":"2026-05-30T17:00:00Z"}}}}"#,
            r#"{"event":"meeting.started","payload":{"object":{"id":"1"}}}"#,
            r#"{"event":"webinar.participant_joined","payload":{"account_id":"a","object":{"id":7,"participant":{"user_name":"Bo","id":"u2","join_time":"2026-05-30T17:05:00Z"}}}}"#,
            "{not json",
            "",
        ];
        let data = lines.join("\n");
        assert!(ZoomWebhooks.sniff(data.as_bytes()));
        let r = ZoomWebhooks.read(data.as_bytes(), &utc(), "f");
        let p = people(&r);
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].join, p[0].leave),
            (Some(1_780_160_400), Some(1_780_164_000))
        );
        assert_eq!(p[0].meeting_id.as_deref(), Some("93250013841"));
        assert_eq!(p[0].occurrence_key().as_deref(), Some("uuid:m1"));
        assert_eq!(p[1].occurrence_key().as_deref(), Some("id:7"));
        assert_eq!(p[1].leave, None, "Bo's leave is not in the data");
        assert_eq!(r.rejected, vec![(5, Reject::Malformed)]);
        let skipped: u64 = r.skipped.iter().sum();
        assert_eq!(
            r.lines,
            r.records.len() as u64 + r.rejected.len() as u64 + skipped
        );
    }

    proptest::proptest! {
        /// Damaged activities and webhooks, one per line, never panic, and
        /// every line is accounted for.
        #[test]
        fn damaged_json_never_panics(
            edits in proptest::collection::vec((0usize..400, proptest::prelude::any::<u8>(), 0..3u8), 0..10),
        ) {
            let mut data = concat!(
                r#"{"email":"a@example.edu","time":"2026-05-30T19:00:00Z","type":"Sign in","ip_address":"192.0.2.1"}"#, "\n",
                r#"{"event":"user.signed_in","payload":{"object":{"email":"a@example.edu","date_time":"2026-05-30T19:00:00Z"}}}"#, "\n",
                r#"{"activity_logs":[{"email":"b@example.edu","time":"2026-05-30T19:01:00Z","type":"Sign out"}]}"#, "\n",
            ).as_bytes().to_vec();
            for (at, byte, op) in edits {
                if data.is_empty() {
                    break;
                }
                let i = at % data.len();
                match op {
                    0 => data[i] = byte,
                    1 => data.insert(i, byte),
                    _ => data.truncate(i),
                }
            }
            for reader in [&ZoomApiJson as &dyn ZoomReader, &ZoomWebhooks] {
                let _ = reader.sniff(&data);
                let r = reader.read(&data, &utc(), "f");
                let skipped: u64 = r.skipped.iter().sum();
                proptest::prop_assert_eq!(
                    r.lines,
                    r.records.len() as u64 + r.rejected.len() as u64 + skipped
                );
            }
        }
    }
}
