//! A static HTML report of a published output: charts of its tables and
//! the run's accounting, in one self-contained page.
//!
//! The report reads only what a run published: the Parquet tables (flat or
//! day-partitioned, see [`tables`]) and `_manifest.json`. It never opens a
//! state or an input, so it cannot show anything the tables do not: every
//! number on the page went through disclosure control when it was
//! published. Sums over rows are of additive columns only (requests,
//! searches, sessions, minutes); distinct counts are never added up.
//!
//! The page has no script and loads nothing: charts are inline SVG drawn
//! by `plotters` ([`charts`]), styles are inline, and a Content Security
//! Policy forbids any fetch, so it opens from a file or a mail attachment
//! alike. Every text from a table or the manifest is HTML-escaped here or
//! by plotters' SVG backend.
//!
//! Trade-off: charts are fixed pictures (no hover, no zoom), the price of a
//! page without JavaScript; the tables behind them are one query away.

pub mod charts;
pub mod tables;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use charts::Grain;
use tables::{Rows, Value};

use crate::output::manifest::MANIFEST_FILE;

/// How many rows a ranked chart shows.
const TOP: usize = 15;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The directory has no manifest, so it is no output of a run.
    #[error(
        "not a logveil output: {dir} has no {MANIFEST_FILE}; give the output directory a \
         logveil run wrote"
    )]
    NotAnOutput {
        /// The directory given.
        dir: PathBuf,
    },
    /// A file of the output could not be read or decoded.
    #[error(
        "cannot read {path}: {message}; the output may be damaged or from another version: \
         run logveil again to publish it anew"
    )]
    Unreadable {
        /// The file or directory concerned.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A chart could not be drawn.
    #[error("cannot draw the chart {chart:?}: {message}")]
    Chart {
        /// The chart's title.
        chart: String,
        /// What plotters said.
        message: String,
    },
}

/// The report page of the output directory `out`, as HTML.
pub fn render(out: &Path) -> Result<String, ReportError> {
    let manifest_path = out.join(MANIFEST_FILE);
    if !manifest_path.is_file() {
        return Err(ReportError::NotAnOutput {
            dir: out.to_path_buf(),
        });
    }
    let unreadable = |message: String| ReportError::Unreadable {
        path: manifest_path.clone(),
        message,
    };
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| unreadable(e.to_string()))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;

    let mut body = String::new();
    let mut web = String::new();
    charts_of_web(out, &mut web)?;
    let mut zoom = String::new();
    charts_of_zoom(out, &mut zoom)?;
    if !web.is_empty() {
        section(&mut body, "Web traffic", &web);
    }
    if !zoom.is_empty() {
        section(&mut body, "Zoom", &zoom);
    }
    if web.is_empty() && zoom.is_empty() {
        body.push_str("<p class=\"note\">This output holds no table the report charts.</p>\n");
    }
    section(&mut body, "The run's accounting", &accounting(&manifest));
    Ok(page(&manifest, &body))
}

/// The web tables' charts, each only when its table was published.
fn charts_of_web(out: &Path, html: &mut String) -> Result<(), ReportError> {
    if let Some(rows) = tables::read(out, "web_traffic")? {
        // A bucket of quiet hours is spread evenly over its hours, so the
        // sites' buckets add up hour by hour without overlapping bars.
        let mut per_hour: BTreeMap<i64, f64> = BTreeMap::new();
        for row in &rows {
            let (Some(Value::Time(at)), Some(requests)) = (row.get("hour"), num(row, "requests"))
            else {
                continue;
            };
            let hours = num(row, "hours").unwrap_or(1.0).clamp(1.0, 24.0 * 366.0) as i64;
            for h in 0..hours {
                *per_hour.entry(at.saturating_add(h * 3600)).or_default() +=
                    requests / hours as f64;
            }
        }
        let spans: Vec<_> = per_hour.into_iter().map(|(t, v)| (t, 3600, v)).collect();
        figure(html, "traffic", "Requests per hour", &rows, || {
            charts::timeline(
                "Requests per hour (UTC; quiet-hour buckets spread evenly)",
                "requests per hour",
                Grain::Hour,
                &spans,
            )
        })?;
    }
    ranked_figure(
        html,
        out,
        "web_pages",
        "pages",
        "Top pages",
        "path",
        "requests",
    )?;
    ranked_figure(
        html,
        out,
        "web_status",
        "status",
        "Status codes",
        "status",
        "requests",
    )?;
    for (column, title) in [
        ("browser", "Browsers"),
        ("os", "Operating systems"),
        ("device", "Devices"),
        ("is_bot", "Bots and people"),
    ] {
        let id = format!("clients-{}", column.replace('_', "-"));
        ranked_figure(html, out, "web_clients", &id, title, column, "requests")?;
    }
    ranked_figure(
        html,
        out,
        "web_referrers",
        "referrers",
        "Referring hosts",
        "referrer_host",
        "requests",
    )?;
    ranked_figure(
        html,
        out,
        "web_search_terms",
        "search-terms",
        "Site-search terms",
        "term",
        "searches",
    )?;
    if let Some(rows) = tables::read(out, "web_sessions")? {
        let spans = per_day(&rows, "sessions");
        figure(html, "sessions", "Sessions per day", &rows, || {
            charts::timeline("Sessions per day", "sessions", Grain::Day, &spans)
        })?;
        sessions_table(html, &rows);
    }
    Ok(())
}

/// The most recent days of `web_sessions` as published, one row per day
/// and site: averages and rates are per site and cannot be added up.
fn sessions_table(html: &mut String, rows: &Rows) {
    const ROWS_SHOWN: usize = 62;
    let cell = |row: &BTreeMap<String, Value>, column: &str| match row.get(column) {
        Some(Value::Str(s)) => s.clone(),
        Some(Value::Day(d)) => crate::time::format_day(*d).unwrap_or_default(),
        Some(Value::Float(f)) if column == "bounce_rate" => format!("{:.1}%", f * 100.0),
        Some(Value::Float(f)) => format!("{f:.1}"),
        Some(Value::Int(i)) => i.to_string(),
        _ => "–".to_string(),
    };
    let mut sorted: Vec<&BTreeMap<String, Value>> = rows.iter().collect();
    sorted.sort_by_key(|row| {
        std::cmp::Reverse(row.get("day").and_then(Value::num).map(|d| d as i64))
    });
    let columns = [
        "day",
        "site",
        "sessions",
        "visitors",
        "human_sessions",
        "pages_per_session",
        "median_session_seconds",
        "bounce_rate",
    ];
    let body: Vec<Vec<String>> = sorted
        .iter()
        .take(ROWS_SHOWN)
        .map(|row| columns.iter().map(|c| cell(row, c)).collect())
        .collect();
    let header: Vec<String> = columns.iter().map(|c| c.replace('_', " ")).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let caption = match rows.len() > ROWS_SHOWN {
        true => format!("Sessions, newest {ROWS_SHOWN} rows (requests, not page views)"),
        false => "Sessions (requests, not page views)".to_string(),
    };
    table(html, &caption, &header, &body);
}

/// The Zoom tables' charts, each only when its table was published.
fn charts_of_zoom(out: &Path, html: &mut String) -> Result<(), ReportError> {
    if let Some(rows) = tables::read(out, "zoom_attendance")? {
        let spans = per_day(&rows, "minutes");
        figure(
            html,
            "zoom-minutes",
            "Participant minutes per day",
            &rows,
            || {
                charts::timeline(
                    "Zoom participant minutes per day",
                    "minutes",
                    Grain::Day,
                    &spans,
                )
            },
        )?;
    }
    ranked_figure(
        html,
        out,
        "zoom_attendance",
        "zoom-affiliation",
        "Zoom join sessions by affiliation",
        "affiliation",
        "sessions",
    )?;
    ranked_figure(
        html,
        out,
        "zoom_attendance",
        "zoom-device",
        "Zoom join sessions by device",
        "device",
        "sessions",
    )?;
    if let Some(rows) = tables::read(out, "zoom_concurrency")? {
        let spans: Vec<_> = rows
            .iter()
            .filter_map(|row| {
                let Some(Value::Time(at)) = row.get("hour") else {
                    return None;
                };
                let hours = num(row, "hours").unwrap_or(1.0).max(1.0) as i64;
                Some((
                    *at,
                    hours.saturating_mul(3600),
                    num(row, "peak_concurrent")?,
                ))
            })
            .collect();
        figure(
            html,
            "zoom-concurrency",
            "Peak concurrent participants",
            &rows,
            || {
                charts::timeline(
                    "Zoom: most participants at once, per hour (UTC)",
                    "participants",
                    Grain::Hour,
                    &spans,
                )
            },
        )?;
    }
    Ok(())
}

/// A ranked chart of `table`'s `value` summed by `key`, when the table
/// was published.
fn ranked_figure(
    html: &mut String,
    out: &Path,
    table: &str,
    id: &str,
    title: &str,
    key: &str,
    value: &str,
) -> Result<(), ReportError> {
    let Some(rows) = tables::read(out, table)? else {
        return Ok(());
    };
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for row in &rows {
        let label = match row.get(key) {
            Some(Value::Str(s)) => s.clone(),
            Some(Value::Int(i)) => i.to_string(),
            Some(Value::Bool(true)) => "bot".to_string(),
            Some(Value::Bool(false)) => "not a bot (or folded)".to_string(),
            _ => "(other)".to_string(),
        };
        *sums.entry(label).or_default() += num(row, value).unwrap_or(0.0);
    }
    let mut items: Vec<(String, f64)> = sums.into_iter().collect();
    items.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let shown = items.len().min(TOP);
    let more = items.len() - shown;
    items.truncate(TOP);
    let title = match more {
        0 => format!("{title} ({value})"),
        _ => format!("{title} ({value}; top {TOP}, {more} more in the table)"),
    };
    figure(html, id, &title, &rows, || {
        charts::ranked(&title, value, &items)
    })
}

/// `column` summed per day (the `day` column), as day-wide spans.
fn per_day(rows: &Rows, column: &str) -> Vec<(i64, i64, f64)> {
    let mut sums: BTreeMap<i32, f64> = BTreeMap::new();
    for row in rows {
        if let (Some(Value::Day(day)), Some(v)) = (row.get("day"), num(row, column)) {
            *sums.entry(*day).or_default() += v;
        }
    }
    sums.into_iter()
        .map(|(day, v)| (i64::from(day) * 86_400, 86_400, v))
        .collect()
}

/// A number cell of a row.
fn num(row: &BTreeMap<String, Value>, column: &str) -> Option<f64> {
    row.get(column).and_then(Value::num)
}

/// A chart in its `<figure>`, or a note when its table has no rows.
fn figure(
    html: &mut String,
    id: &str,
    title: &str,
    rows: &Rows,
    draw: impl FnOnce() -> Result<String, ReportError>,
) -> Result<(), ReportError> {
    let _ = write!(html, "<figure class=\"chart\" id=\"{}\">", escape(id));
    if rows.is_empty() {
        let _ = write!(
            html,
            "<figcaption>{}</figcaption><p class=\"note\">No rows published (too few people \
             for disclosure control, or none in the logs).</p>",
            escape(title)
        );
    } else {
        html.push_str(&draw()?);
    }
    html.push_str("</figure>\n");
    Ok(())
}

/// A titled `<section>`.
fn section(body: &mut String, title: &str, content: &str) {
    let _ = write!(
        body,
        "<section><h2>{}</h2>\n{content}</section>\n",
        escape(title)
    );
}

/// The run's accounting from its manifest: totals, rejections and skips by
/// reason, inputs by format, and per table rows folded and withheld.
fn accounting(m: &serde_json::Value) -> String {
    let mut html = String::new();
    let totals = &m["totals"];
    let total_rows: Vec<(String, String)> = [
        "inputs",
        "inputs_failed",
        "bytes",
        "lines",
        "parsed",
        "rejected",
        "skipped",
    ]
    .iter()
    .filter_map(|k| Some((k.replace('_', " "), totals.get(*k)?.to_string())))
    .collect();
    table(&mut html, "Totals", &["", "count"], &pairs(&total_rows));

    let inputs = m["inputs"].as_array().cloned().unwrap_or_default();
    for (field, title) in [
        ("rejected_by_reason", "Lines rejected, by reason"),
        ("skipped_by_reason", "Lines skipped, by reason"),
    ] {
        let mut sums: BTreeMap<String, u64> = BTreeMap::new();
        for input in &inputs {
            for (reason, n) in input[field].as_object().into_iter().flatten() {
                *sums.entry(reason.clone()).or_default() += n.as_u64().unwrap_or(0);
            }
        }
        if sums.is_empty() {
            let _ = writeln!(html, "<p>{}: none.</p>", escape(title));
        } else {
            let rows: Vec<_> = sums.into_iter().map(|(r, n)| (r, n.to_string())).collect();
            table(&mut html, title, &["reason", "lines"], &pairs(&rows));
        }
    }

    let mut formats: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for input in &inputs {
        let format = input["format"].as_str().unwrap_or("(none)").to_string();
        let e = formats.entry(format).or_default();
        e.0 += 1;
        e.1 += input["lines"].as_u64().unwrap_or(0);
        e.2 += input["parsed"].as_u64().unwrap_or(0);
    }
    let rows: Vec<Vec<String>> = formats
        .into_iter()
        .map(|(f, (n, l, p))| vec![f, n.to_string(), l.to_string(), p.to_string()])
        .collect();
    table(
        &mut html,
        "Inputs by format",
        &["format", "inputs", "lines", "parsed"],
        &rows,
    );

    // A day-partitioned run lists a table once per partition it wrote.
    let columns = [
        "rows_in",
        "rows_folded",
        "rows_bucketed",
        "rows_withheld",
        "partitions_withheld",
    ];
    let mut per_table: BTreeMap<String, (u64, u64, Vec<u64>)> = BTreeMap::new();
    for t in m["tables"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap_or("?").to_string();
        let e = per_table
            .entry(name)
            .or_insert_with(|| (0, 0, vec![0; columns.len()]));
        e.0 += t["rows"].as_u64().unwrap_or(0);
        let s = &t["suppression"];
        e.1 = e.1.max(s["k"].as_u64().unwrap_or(0));
        for (sum, c) in e.2.iter_mut().zip(columns) {
            *sum += s[c].as_u64().unwrap_or(0);
        }
    }
    let rows: Vec<Vec<String>> = per_table
        .into_iter()
        .map(|(name, (rows, k, sums))| {
            let mut r = vec![name, rows.to_string(), k.to_string()];
            r.extend(sums.iter().map(u64::to_string));
            r
        })
        .collect();
    let mut header = vec!["table", "rows published", "k"];
    header.extend(columns.iter().map(|c| c.strip_prefix("rows_").unwrap_or(c)));
    table(
        &mut html,
        "Tables written by this run, with disclosure control",
        &header,
        &rows,
    );
    if let Some(days) = m["days"]["published"].as_array() {
        let first = days.first().and_then(|d| d.as_str()).unwrap_or("");
        let last = days.last().and_then(|d| d.as_str()).unwrap_or("");
        let _ = writeln!(
            html,
            "<p>Days published: {} ({} to {}).</p>",
            days.len(),
            escape(first),
            escape(last)
        );
    }
    html
}

/// Two-column rows.
fn pairs(rows: &[(String, String)]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|(a, b)| vec![a.clone(), b.clone()])
        .collect()
}

/// An HTML table, every cell escaped.
fn table(html: &mut String, caption: &str, header: &[&str], rows: &[Vec<String>]) {
    let _ = write!(html, "<table><caption>{}</caption><tr>", escape(caption));
    for h in header {
        let _ = write!(html, "<th>{}</th>", escape(h));
    }
    html.push_str("</tr>\n");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            let _ = write!(html, "<td>{}</td>", escape(cell));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
}

/// The whole page around `body`.
fn page(m: &serde_json::Value, body: &str) -> String {
    let version = m["version"].as_str().unwrap_or("?");
    let complete = match m["complete"].as_bool() {
        Some(true) => "complete: every input read",
        Some(false) => "partial: an input could not be read or passed the reject rate",
        None => "completeness unknown",
    };
    let key = m["key"]["mode"].as_str().unwrap_or("?");
    let rule = match m["release"].as_str() {
        Some("dp") => {
            "Every number here is from the published tables, released under differential \
             privacy: each is noisy (its scale is in the table; ±3 scales hold the true value \
             95% of the time), each visitor counts in a bounded number of rows, and rows below \
             a noisy threshold are not published, so totals can be below the logs'."
        }
        _ => {
            "Every number here is from the published tables, after disclosure control: small \
             groups are folded into <code>(other)</code> or withheld, so totals can be below \
             the logs'."
        }
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>logveil report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>logveil report</h1>\n<p class=\"meta\">Published by logveil {} ({}; {} key). \
         {rule}</p>\n{body}</body>\n</html>\n",
        escape(version),
        escape(complete),
        escape(key),
    )
}

/// The page's styles.
const STYLE: &str = "body{font-family:sans-serif;margin:1.5em auto;max-width:1000px;\
    padding:0 1em;color:#222}h2{border-bottom:1px solid #ccc;padding-bottom:.2em}\
    figure{margin:1em 0}svg{max-width:100%;height:auto}\
    table{border-collapse:collapse;margin:1em 0}caption{text-align:left;font-weight:bold;\
    padding:.3em 0}td,th{border:1px solid #ddd;padding:.2em .6em;text-align:right}\
    td:first-child,th:first-child{text-align:left}.note,.meta{color:#555}";

/// `text` safe in HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_directory_without_manifest_is_refused_by_name() {
        let dir = std::env::temp_dir();
        let e = render(&dir.join("logveil-no-such-output")).unwrap_err();
        assert!(e.to_string().contains("not a logveil output"), "{e}");
        assert!(e.to_string().contains("logveil-no-such-output"), "{e}");
    }

    #[test]
    fn accounting_escapes_and_sums_partitions() {
        let m = serde_json::json!({
            "totals": {"inputs": 2, "lines": 10},
            "inputs": [
                {"format": "<b>", "lines": 4, "parsed": 3, "rejected_by_reason": {"bad_status": 1}},
                {"format": "<b>", "lines": 6, "parsed": 6, "rejected_by_reason": {"bad_status": 2}}
            ],
            "tables": [
                {"name": "web_pages", "rows": 3, "suppression": {"k": 10, "rows_folded": 4}},
                {"name": "web_pages", "rows": 2, "suppression": {"k": 10, "rows_folded": 1}}
            ]
        });
        let html = accounting(&m);
        assert!(html.contains("<td>bad_status</td><td>3</td>"), "{html}");
        assert!(
            html.contains("<td>web_pages</td><td>5</td><td>10</td><td>0</td><td>5</td>"),
            "{html}"
        );
        assert!(
            html.contains("&lt;b&gt;") && !html.contains("<b>"),
            "{html}"
        );
    }
}
