//! What a run prints when it ends: the per-input warnings and the summary
//! table on stderr, all from the manifest (so no path), and the number
//! formats both this and the progress display use.

use logveil::RunReport;

/// `812`, `41.2 k`, `4.1 M`.
pub fn short_count(n: u64) -> String {
    match n {
        n if n < 1000 => n.to_string(),
        n if n < 1_000_000 => format!("{:.1} k", n as f64 / 1e3),
        n => format!("{:.1} M", n as f64 / 1e6),
    }
}

/// `n` and `noun`, plural unless `n` is 1.
fn counted(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}

/// Prints the per-input warnings and the summary table of a finished run.
pub fn summarize(report: &RunReport) {
    let m = &report.manifest;
    let t = &m.totals;
    eprintln!(
        "logveil: {}, {}: {} parsed, {} rejected, {} skipped in {:.2} s ({:.0} lines/s)",
        counted(t.inputs as u64, "input"),
        counted(t.lines, "line"),
        t.parsed,
        t.rejected,
        t.skipped,
        m.elapsed_seconds,
        m.lines_per_second
    );
    // Paths come from the run log: the operator sees them here, the
    // published manifest has only ids.
    let log = &report.run_log;
    for p in &log.problems {
        eprintln!(
            "logveil: warning: {}: {}",
            p.path.display(),
            p.entry.message
        );
    }
    // Other ignored files are listed in the manifest only: the user did
    // not name them.
    for i in &log.ignored {
        if i.entry.reason == logveil::input::discover::NAMED_IN_OUTPUT {
            eprintln!("logveil: warning: {}: {}", i.path.display(), i.entry.reason);
        }
    }
    for logged in &log.inputs {
        let (path, input) = (logged.path.display(), &logged.entry);
        if let Some(err) = &input.error {
            eprintln!("logveil: warning: {path}: {err}");
        }
        for warning in &input.warnings {
            eprintln!("logveil: warning: {path}: {warning}");
        }
        for note in &input.notes {
            eprintln!("logveil: note: {path}: {note}");
        }
        if input.rejected > 0 {
            let reasons: Vec<String> = input
                .rejected_by_reason
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            let first: Vec<String> = input
                .reject_locations
                .iter()
                .take(5)
                .map(|l| format!("line {}", l.line))
                .collect();
            eprintln!(
                "logveil: {path}: {} {} rejected ({}); first at {}",
                input.rejected,
                if input.rejected == 1 { "line" } else { "lines" },
                reasons.join(", "),
                first.join(", ")
            );
        }
    }
    print_summary_table(m);
    let Some(out_dir) = report
        .manifest_path
        .as_deref()
        .and_then(std::path::Path::parent)
        .map(|p| p.display().to_string())
    else {
        return;
    };
    match &m.days {
        // Day partitions: one line per run, not per table and day.
        Some(days) => {
            let rows: u64 = m.tables.iter().map(|t| t.rows as u64).sum();
            let span = match (days.published.first(), days.published.last()) {
                (Some(a), Some(b)) if a != b => format!(" ({a} to {b})"),
                (Some(a), _) => format!(" ({a})"),
                _ => String::new(),
            };
            eprintln!(
                "logveil: re-published {}{span}: {} in {} files; {} held in {}",
                counted(days.published.len() as u64, "day"),
                counted(rows, "row"),
                m.tables.len(),
                counted(days.held.len() as u64, "day"),
                out_dir
            );
            if days.unchanged_inputs > 0 {
                eprintln!(
                    "logveil: {} read to the end before, not read again",
                    counted(days.unchanged_inputs as u64, "input")
                );
            }
            if days.expired_requests > 0 {
                eprintln!(
                    "logveil: {} left out: their days' partials were deleted by --keep-days",
                    counted(days.expired_requests, "request")
                );
            }
            if let Some(note) = &days.note {
                eprintln!("logveil: {note}");
            }
        }
        None => {
            let tables: Vec<String> = m
                .tables
                .iter()
                .map(|t| format!("{} ({})", t.name, counted(t.rows as u64, "row")))
                .collect();
            eprintln!("logveil: wrote {} to {}", tables.join(", "), out_dir);
        }
    }
    eprintln!(
        "logveil: key fingerprint {} ({} key)",
        m.key.fingerprint,
        m.key.mode.as_str()
    );
}

/// Reasons named in the summary's `rejected` row; the rest are summed.
const TOP_REASONS: usize = 3;

/// The run's accounting as label and value rows, for the table at the
/// end of a run: what was read, what became of it, and what disclosure
/// control left out. Everything in it is from the manifest (no path).
fn summary_rows(m: &logveil::output::manifest::Manifest) -> Vec<(&'static str, String)> {
    let t = &m.totals;
    let mut rows = Vec::new();
    let failed = match t.inputs_failed {
        0 => String::new(),
        n => format!(" ({n} failed)"),
    };
    rows.push(("inputs", format!("{}{failed}", grouped(t.inputs as u64))));
    rows.push(("lines", grouped(t.lines)));
    let share = |n: u64| match t.lines {
        0 => String::new(),
        all => format!(" ({:.1}%)", n as f64 * 100.0 / all as f64),
    };
    rows.push((
        "parsed",
        format!("{}{}", grouped(t.parsed), share(t.parsed)),
    ));
    let mut reasons: std::collections::BTreeMap<&str, u64> = Default::default();
    for input in &m.inputs {
        for (reason, n) in &input.rejected_by_reason {
            *reasons.entry(reason).or_default() += n;
        }
    }
    let mut reasons: Vec<(&str, u64)> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut named: Vec<String> = reasons
        .iter()
        .take(TOP_REASONS)
        .map(|(r, n)| format!("{} {r}", grouped(*n)))
        .collect();
    let rest: u64 = reasons.iter().skip(TOP_REASONS).map(|r| r.1).sum();
    if rest > 0 {
        named.push(format!("{} other", grouped(rest)));
    }
    let rejected = match named.is_empty() {
        true => format!("{}{}", grouped(t.rejected), share(t.rejected)),
        false => format!(
            "{}{}: {}",
            grouped(t.rejected),
            share(t.rejected),
            named.join(", ")
        ),
    };
    rows.push(("rejected", rejected));
    if t.skipped > 0 {
        rows.push(("skipped", grouped(t.skipped)));
    }
    // Day-partitioned sets list a file per table and day.
    let unit = match m.days {
        Some(_) => "file",
        None => "table",
    };
    let table_rows: u64 = m.tables.iter().map(|t| t.rows as u64).sum();
    rows.push((
        "tables",
        format!(
            "{}, {}",
            counted(m.tables.len() as u64, unit),
            counted_grouped(table_rows, "row")
        ),
    ));
    // Internal tables are exact by request: nothing folded there.
    let disclosed = m
        .tables
        .iter()
        .filter_map(|t| t.suppression.as_ref())
        .filter(|s| !s.internal);
    let (mut folded, mut withheld, mut tables) = (0u64, 0u64, 0u64);
    for s in disclosed {
        folded += s.rows_folded as u64;
        withheld += s.rows_withheld as u64;
        tables += u64::from(s.rows_folded + s.rows_withheld > 0);
    }
    if tables > 0 {
        let withheld = match withheld {
            0 => String::new(),
            n => format!(", {} withheld (days or sites below k)", grouped(n)),
        };
        rows.push((
            "disclosure",
            format!(
                "{} folded into (other){withheld}, in {}",
                counted_grouped(folded, "row"),
                counted(tables, unit)
            ),
        ));
    }
    rows.push((
        "time",
        format!(
            "{:.2} s, {}",
            m.elapsed_seconds,
            per_second(m.lines_per_second)
        ),
    ));
    rows
}

/// Prints the summary table, its labels aligned.
fn print_summary_table(m: &logveil::output::manifest::Manifest) {
    let rows = summary_rows(m);
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    eprintln!("logveil: summary");
    for (label, value) in rows {
        eprintln!("  {label:<width$}  {value}");
    }
}

/// `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// [`counted`], its number grouped.
fn counted_grouped(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{} {noun}s", grouped(n)),
    }
}

/// `1.02 M lines/s`, or `9.8 k lines/s` below a million.
pub fn per_second(rate: f64) -> String {
    match rate {
        r if r >= 1e6 => format!("{:.2} M lines/s", r / 1e6),
        r => format!("{:.1} k lines/s", r / 1e3),
    }
}
