//! Zoom sign-ins from the two JSON shapes besides the report's page: the
//! activities report's entries one per line, and `user.signed_in` /
//! `user.signed_out` webhooks. Both must fill `zoom_signins` the way the
//! portal CSV and the API page do.
//!
//! Fixtures (in `tests/fixtures/zoom/`, invented people, documentation
//! addresses; the identity-leak test of `tests/zoom.rs` runs them too):
//! - `activities_lines.ndjson`: the 15 entries of `activities.json`, one
//!   object per line, as log shippers store `GET /v2/report/activities`.
//! - `webhooks_user_signin.ndjson`: Zoom's `user.*` webhook events in the
//!   shape of its event reference (`event`, `event_ts`, `payload.account_id`,
//!   `payload.object` with `id`, `client_type`, `date_time`, `email`,
//!   `login_type`, `version`): 3 sign-ins and 2 sign-outs of two people,
//!   and 3 account-management events (`user.created`, `user.updated`,
//!   `user.presence_status_updated`) that no table counts.

mod common;

use std::path::{Path, PathBuf};

use common::{Row, read_rows, run};

fn fixture(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/zoom").join(name)
}

/// Runs one fixture with no suppression; returns the output directory's
/// parent and the manifest's one input.
fn run_fixture(name: &str) -> (tempfile::TempDir, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[suppression]\nk = 1\nallow_small_k = true\n").unwrap();
    let out = dir.path().join("out");
    let r = run(
        &[&fixture(name)],
        &out,
        &["-q", "--policy", policy.to_str().unwrap()],
    );
    assert_eq!(
        r.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let input = m["inputs"][0].clone();
    (dir, input)
}

fn signins(dir: &Path) -> Vec<Row> {
    read_rows(&dir.join("out/zoom_signins.parquet"))
}

fn count(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

#[test]
fn activities_one_per_line_give_the_same_table_as_the_page() {
    let (page, _) = run_fixture("activities.json");
    let (lines, input) = run_fixture("activities_lines.ndjson");
    assert_eq!(input["format"], "zoom_api_json");
    assert_eq!((count(&input["lines"]), count(&input["parsed"])), (15, 15));
    assert!(!signins(lines.path()).is_empty());
    assert_eq!(
        std::fs::read(page.path().join("out/zoom_signins.parquet")).unwrap(),
        std::fs::read(lines.path().join("out/zoom_signins.parquet")).unwrap(),
        "the same entries, paged or one per line, are the same events"
    );
}

#[test]
fn user_sign_in_webhooks_fill_the_sign_in_table() {
    let (dir, input) = run_fixture("webhooks_user_signin.ndjson");
    assert_eq!(input["format"], "zoom_webhooks");
    assert_eq!(
        (
            count(&input["lines"]),
            count(&input["parsed"]),
            count(&input["rejected"]),
            count(&input["skipped_by_reason"]["event"]),
        ),
        (8, 5, 0, 3)
    );
    let rows = signins(dir.path());
    let events = |kind: &str| -> i64 {
        rows.iter()
            .filter(|r| r["type"].str() == kind)
            .map(|r| r["events"].int())
            .sum()
    };
    assert_eq!((events("sign in"), events("sign out")), (3, 2));
    // Webhooks carry no address; two people signed in on one day.
    assert!(rows.iter().all(|r| r["networks"].int() == 0));
    let users_in: i64 = rows
        .iter()
        .filter(|r| r["type"].str() == "sign in")
        .map(|r| r["users"].int())
        .sum();
    assert_eq!(users_in, 3, "one user per (client type, version) row");
    assert!(
        rows.iter().all(|r| r["version_major"].str() != "unknown"),
        "every event names its version"
    );
}
