//! Reading the User-Agent reference suites of `../shared/agents/` (see its
//! `PROVENANCE.md`): uap-core's YAML test cases and the crawler list's
//! real crawler agents. The suites are read where they lie, never copied
//! into the repository; [`dir`] is `None` where they are absent, and
//! callers skip.
//!
//! uap-core's YAML is a flat list of mappings of plain or quoted scalars,
//! so a line reader does, without a YAML dependency in the test build.
//! Self-contained (no other test helper), so a benchmark can include it
//! with `#[path]`.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The suites' folder, `../shared/agents` beside the repository, if present.
pub fn dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/agents");
    d.join("PROVENANCE.md").is_file().then_some(d)
}

/// One uap-core test case: the agent and its expected fields (`family`,
/// `major`, `brand`, `model`, …; an empty field is absent).
#[derive(Debug, Clone)]
pub struct Case {
    /// The User-Agent string.
    pub agent: String,
    /// The expected fields, by name.
    pub fields: BTreeMap<String, String>,
}

impl Case {
    /// The expected `family`, or "" when the case has none.
    pub fn family(&self) -> &str {
        self.fields.get("family").map_or("", String::as_str)
    }
}

/// The cases of one uap-core file under `dir`, e.g. `uap-core/test_os.yaml`.
pub fn uap_cases(dir: &Path, file: &str) -> Vec<Case> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    parse_cases(&text)
}

/// The cases of a uap-core YAML text.
pub fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("- user_agent_string:") {
            cases.push(Case {
                agent: scalar(rest.trim()),
                fields: BTreeMap::new(),
            });
        } else if let (Some(case), Some((key, value))) = (cases.last_mut(), trimmed.split_once(':'))
            && !key.is_empty()
            && !key.contains(' ')
        {
            let value = scalar(value.trim());
            if !value.is_empty() {
                case.fields.insert(key.to_string(), value);
            }
        }
    }
    cases
}

/// A YAML scalar: `'…'` with `''` for a quote, `"…"` with backslash
/// escapes, or plain text.
fn scalar(s: &str) -> String {
    if let Some(inner) = s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else if let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        }
        out
    } else {
        s.to_string()
    }
}

/// Every real crawler agent of the crawler list (`instances`), with the
/// pattern that names its crawler.
pub fn crawler_instances(dir: &Path) -> Vec<(String, String)> {
    let path = dir.join("crawler-user-agents/crawler-user-agents.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let list: Vec<serde_json::Value> = serde_json::from_str(&text).expect("crawler list is JSON");
    let mut out = Vec::new();
    for entry in &list {
        let pattern = entry["pattern"].as_str().unwrap_or("").to_string();
        for agent in entry["instances"].as_array().into_iter().flatten() {
            if let Some(agent) = agent.as_str() {
                out.push((agent.to_string(), pattern.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parse_cases;

    #[test]
    fn quoted_and_plain_scalars_read_back() {
        let cases = parse_cases(
            "test_cases:\n  - user_agent_string: 'It''s/1.0'\n    family: 'X'\n    major:\n\n  - user_agent_string: \"A \\\"b\\\"\"\n    family: Plain\n",
        );
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].agent, "It's/1.0");
        assert_eq!(cases[0].family(), "X");
        assert!(!cases[0].fields.contains_key("major"));
        assert_eq!(cases[1].agent, "A \"b\"");
        assert_eq!(cases[1].family(), "Plain");
    }
}
