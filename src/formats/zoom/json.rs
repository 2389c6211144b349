//! Zoom's JSON data: REST API pages and webhook events.
//!
//! - `GET /v2/report/activities`: an object with `activity_logs[]` → sign-ins;
//! - Dashboard and Report participant data: a page with `participants[]`, a
//!   bare array, or a single participant object → participations. Device
//!   identifiers, internal addresses, locations and free-text leave reasons
//!   are never read;
//! - webhook NDJSON, one event per line: `*.participant_joined` and
//!   `*.participant_left` are paired per meeting and participant into
//!   sessions; other events are valid lines that carry no attendance and
//!   are skipped, not rejected. Old payloads (no `event_ts`, `email` or
//!   `participant_uuid`, numeric or string ids, `account_id` outside the
//!   payload) are read the same way.
//!
//! In a JSON document each participant or activity object counts as one
//! "line" of the manifest's accounting; in NDJSON each physical line does.

use std::collections::HashMap;

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
    let host_email = email
        .clone()
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

fn signin(v: &Value, options: &ZoomOptions) -> Result<SignIn, Reject> {
    let time = field(v, &["time"]).ok_or(Reject::Truncated)?;
    Ok(SignIn {
        email: field(v, &["email"]),
        time: options.time.parse(&time).ok_or(Reject::BadTimestamp)?,
        kind: field(v, &["type"]).unwrap_or_default(),
        ip: field(v, &["ip_address"]),
        client_type: field(v, &["client_type"]),
        version: field(v, &["version"]),
    })
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
        starts
            && !has(b"\"event\"")
            && (has(b"\"activity_logs\"") || has(b"\"participants\"") || has(b"\"join_time\""))
    }

    fn read(&self, data: &[u8], options: &ZoomOptions, _source_key: &str) -> ZoomRead {
        let mut out = ZoomRead::default();
        let doc: Value = match serde_json::from_slice(strip_bom(data)) {
            Ok(v) => v,
            Err(e) => {
                out.lines = 1;
                out.rejected.push((e.line() as u64, Reject::Malformed));
                return out;
            }
        };
        if let Some(logs) = doc.get("activity_logs").and_then(Value::as_array) {
            for (i, v) in logs.iter().enumerate() {
                out.lines += 1;
                match signin(v, options) {
                    Ok(s) => out.records.push((i as u64 + 1, ZoomRecord::SignIn(s))),
                    Err(r) => out.rejected.push((i as u64 + 1, r)),
                }
            }
            return out;
        }
        let items: Vec<&Value> = match (&doc, doc.get("participants")) {
            (_, Some(Value::Array(a))) => a.iter().collect(),
            (Value::Array(a), _) => a.iter().collect(),
            (v, _) => vec![v],
        };
        for (i, v) in items.into_iter().enumerate() {
            out.lines += 1;
            match participant(v, options) {
                Ok(Some(p)) => out
                    .records
                    .push((i as u64 + 1, ZoomRecord::Participation(p))),
                Ok(None) => out.skip(Skip::WaitingRoom),
                Err(r) => out.rejected.push((i as u64 + 1, r)),
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

fn webhook(v: &Value, options: &ZoomOptions) -> Result<Option<Event>, Reject> {
    let name = field(v, &["event"]).ok_or(Reject::Malformed)?;
    let joined = match name.rsplit_once('.').map(|(_, n)| n) {
        Some("participant_joined") => true,
        Some("participant_left") => false,
        _ => return Ok(None),
    };
    let object = v.pointer("/payload/object").ok_or(Reject::Truncated)?;
    let who = object.get("participant").ok_or(Reject::Truncated)?;
    let at =
        field(who, &[if joined { "join_time" } else { "leave_time" }]).ok_or(Reject::Truncated)?;
    let time = options.time.parse(&at).ok_or(Reject::BadTimestamp)?;
    let mut p = participant(who, options)?.ok_or(Reject::Malformed)?;
    p.join = None;
    p.leave = None;
    p.meeting_id = field(object, &["id"]);
    p.meeting_start = field(object, &["start_time"]).and_then(|t| options.time.parse(&t));
    p.occurrence = field(object, &["uuid"]);
    // The key pairing a leave with its join: the most specific id present.
    let person = field(who, &["participant_uuid", "id", "user_id"])
        .or_else(|| p.email.clone())
        .or_else(|| p.name.clone())
        .unwrap_or_default();
    // Pairing is by occurrence uuid or meeting id only: a leave event may
    // lack the start time its join carried.
    let meeting = p.occurrence.clone().or_else(|| p.meeting_id.clone());
    Ok(Some(Event {
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
                Ok(Some(mut e)) => {
                    e.line = n;
                    events.push(e);
                }
                Ok(None) => out.skip(Skip::Event),
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
}
