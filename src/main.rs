//! The `logveil` binary: parses arguments, calls the library, prints a
//! summary and maps the outcome to an exit code. All real work is in the
//! library; this file only talks to the user.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command, PolicyCommand, ProgressMode, PublishArgs, RunArgs};
use logveil::formats::presets::{GoAccessPreset, goaccess_predefined};
use logveil::formats::zoom::ZoomTime;
use logveil::pipeline::{FormatString, KeySource, Progress};
use logveil::privacy::key::{Key, KeyMode};
use logveil::privacy::policy::{DEFAULT_POLICY_TOML, Policy};
use logveil::{Completion, RunConfig, RunReport};

fn main() -> ExitCode {
    // clap exits with 2 on usage errors, which here means "partial run":
    // map them to 1 (nothing usable) and keep 0 for --help and --version.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("logveil: error: {}", report(&e));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes on one line. The library's messages already
/// quote their cause (so they read whole wherever they are shown), and a
/// cause already quoted is not repeated.
fn report(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !msg.contains(&cause) {
            msg.push_str(": ");
            msg.push_str(&cause);
        }
    }
    msg
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run(*args, false),
        Command::Partial(args) => run(*args, true),
        Command::Publish(args) => publish(args),
        Command::Keygen { out } => {
            let key = Key::generate(KeyMode::File)?;
            key.write_new(&out)?;
            eprintln!(
                "logveil: wrote a new key to {} (mode 0600, fingerprint {}). Keep it apart from the outputs; \
                 anyone holding it can recompute pseudonyms.",
                out.display(),
                key.fingerprint()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen {
            zoom,
            lines,
            seed,
            out,
            force,
            shape,
        } => {
            let write = |w: &mut dyn Write| -> std::io::Result<logveil_synth::GenStats> {
                let mut w = std::io::BufWriter::with_capacity(1 << 20, w);
                let s = if zoom {
                    logveil_synth::zoom::generate(lines, seed, &mut w)?
                } else {
                    logveil_synth::generate(&gen_config(lines, seed, &shape), &mut w)?
                };
                w.flush()?;
                Ok(s)
            };
            let stats = if out.as_os_str() == "-" {
                write(&mut std::io::stdout().lock())?
            } else {
                // A log named by mistake is not overwritten.
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(force)
                    .create_new(!force)
                    .open(&out)
                    .with_context(|| match out.exists() && !force {
                        true => format!("{} exists; pass --force to overwrite it", out.display()),
                        false => format!("cannot create {}", out.display()),
                    })?;
                write(&mut file).with_context(|| format!("cannot write {}", out.display()))?
            };
            eprintln!(
                "logveil: wrote {} lines ({} malformed on purpose), {} bytes",
                stats.lines, stats.malformed, stats.bytes
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            out,
            inputs,
            reveal,
        } => {
            let report = logveil::audit::audit(&out, &inputs)?;
            for f in &report.findings {
                if reveal {
                    println!("LEAK {f}: {}", f.reveal());
                } else {
                    println!("LEAK {f}");
                }
            }
            for (path, message) in &report.unreadable {
                println!("UNREADABLE {}: {message}", path.display());
            }
            eprintln!(
                "logveil: audit of {}: {} identifiers from {} inputs, {} files examined: {}",
                out.display(),
                report.identifiers,
                report.inputs,
                report.files,
                if report.clean() { "clean" } else { "NOT clean" }
            );
            Ok(if report.clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            })
        }
        Command::Policy(PolicyCommand::Show { policy }) => {
            let policy = load_policy(policy.as_deref())?;
            print!("{}", policy.to_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy(PolicyCommand::Init { out: None }) => {
            print!("{DEFAULT_POLICY_TOML}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy(PolicyCommand::Init { out: Some(path) }) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .with_context(|| {
                    format!(
                        "cannot create {} (an existing file is never overwritten)",
                        path.display()
                    )
                })?;
            file.write_all(DEFAULT_POLICY_TOML.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("logveil: wrote the default policy to {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Detect { paths } => detect(&paths),
        Command::Report { out, html } => write_report(&out, &html),
        Command::Formats => {
            for f in logveil::formats::FORMATS {
                println!("{:<16} {}", f.name(), f.description());
            }
            println!(
                "{:<16} {}:",
                logveil::formats::W3C_NAME,
                logveil::formats::w3c::DESCRIPTION
            );
            for (producer, how) in logveil::formats::w3c::PRODUCERS {
                println!("{:<16}   {producer}: {how}", "");
            }
            println!(
                "{:<16} {}",
                logveil::formats::json_lines::csv::NAME,
                logveil::formats::json_lines::csv::DESCRIPTION
            );
            for r in logveil::formats::zoom::READERS {
                println!(
                    "{:<16} Zoom data, recognised by its header or JSON shape",
                    r.name()
                );
            }
            println!(
                "\nOr describe your own: --log-format (Apache LogFormat) or --nginx-format (nginx log_format)."
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            print!("{}", logveil::output::schema::markdown());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `logveil report`: the page of `out` written to `html`. The page is
/// written beside its final name and renamed, so a page open in a browser
/// is never seen half-written.
fn write_report(out: &std::path::Path, html: &std::path::Path) -> anyhow::Result<ExitCode> {
    let page = logveil::report::render(out).map_err(logveil::Error::from)?;
    let mut tmp = html.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, page.as_bytes())
        .and_then(|()| std::fs::rename(&tmp, html))
        .with_context(|| {
            let _ = std::fs::remove_file(&tmp);
            format!(
                "cannot write the report to {}; name a file in a writable directory",
                html.display()
            )
        })?;
    eprintln!(
        "logveil: wrote the report of {} to {}",
        out.display(),
        html.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn load_policy(path: Option<&std::path::Path>) -> anyhow::Result<Policy> {
    Ok(match path {
        Some(p) => Policy::from_file(p)?,
        None => Policy::default(),
    })
}

/// `run`, or with `partials` the `partial` command (the same reading,
/// private partials written instead of tables).
fn run(args: RunArgs, partials: bool) -> anyhow::Result<ExitCode> {
    if partials && (args.state.is_some() || args.keep_days.is_some()) {
        anyhow::bail!(
            "`logveil partial` keeps no state: drop --state and --keep-days (partials are merged \
             and published by `logveil publish`)"
        );
    }
    let mut policy = load_policy(args.policy.as_deref())?;
    for cidr in &args.trusted_proxies {
        let net = cidr
            .trim()
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--trusted-proxies: {e}"))?;
        policy.network.trusted_proxies.push(net);
    }
    let key = match &args.key_file {
        Some(p) => KeySource::File(p.clone()),
        None => KeySource::Ephemeral,
    };
    let zoom_time = ZoomTime {
        zone: logveil::time::zone_from_name(&args.zoom_timezone, "--zoom-timezone")
            .map_err(anyhow::Error::msg)?,
        day_first: args.zoom_date_order == "dmy",
    };
    let mut format = args.format;
    let format_string = match (args.log_format, args.nginx_format, args.goaccess_format) {
        (Some(f), None, None) => Some(FormatString::Apache(f)),
        (None, Some(f), None) => Some(FormatString::Nginx(f)),
        (None, None, Some(goaccess)) => match goaccess_predefined(&goaccess) {
            // A predefined name logveil reads with a reader of its own: the
            // same as naming that reader (clap keeps --format out).
            Some(GoAccessPreset::Named(name)) => {
                format = Some(name.to_string());
                None
            }
            Some(GoAccessPreset::Unsupported(why)) => {
                anyhow::bail!("--goaccess-format {goaccess}: {why}")
            }
            Some(GoAccessPreset::Compiled) | None => Some(FormatString::GoAccess {
                format: goaccess,
                date: args.date_format,
                time: args.time_format,
            }),
        },
        (None, None, None) => None,
        _ => anyhow::bail!("give only one of --log-format, --nginx-format and --goaccess-format"),
    };
    let progress = Arc::new(Progress::default());
    let cfg = RunConfig::new(args.paths, &args.out)
        .format(format)
        .format_string(format_string)
        .site(args.site)
        .policy(policy)
        .zoom_time(zoom_time)
        .local_timezone(
            logveil::time::zone_from_name(&args.local_timezone, "--local-timezone")
                .map_err(anyhow::Error::msg)?,
        )
        .report_timezone(
            logveil::time::zone_from_name(&args.report_timezone, "--report-timezone")
                .map_err(anyhow::Error::msg)?,
        )
        .threads(args.threads.map(usize::from))
        .max_line_bytes(usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX))
        .key(key)
        .run_log(args.run_log.clone())
        .wait_for_lock(args.wait)
        .adopt_foreign_files(args.force)
        .max_reject_rate(args.max_reject_rate)
        .state(args.state.clone().map(|dir| {
            let mut state = logveil::state::StateOptions::new(dir);
            state.keep_days = args.keep_days;
            state.wait = args.wait;
            state
        }))
        .write_partials(partials)
        .progress(progress.clone());
    // Every argument is checked before anything is said about the key, so
    // a mistyped option gets its error alone.
    cfg.validate().map_err(with_flag_hint)?;
    if args.key_file.is_none() && !args.quiet {
        eprintln!(
            "logveil: no key file given (--key-file or LOGVEIL_KEY_FILE): using an ephemeral random key. \
             Pseudonyms from this run cannot be linked to any other run; create a key with `logveil keygen --out FILE`."
        );
    }

    let display = ProgressDisplay::choose(args.progress, args.quiet);
    let done = std::sync::atomic::AtomicBool::new(false);
    let report = std::thread::scope(|scope| {
        if display != ProgressDisplay::Nothing {
            scope.spawn(|| show_progress(&progress, &done, display));
        }
        let r = logveil::run(&cfg);
        done.store(true, Ordering::Relaxed);
        r
    })
    .map_err(with_flag_hint)?;
    if !args.quiet {
        summarize(&report);
        if let Some(path) = &args.run_log {
            eprintln!(
                "logveil: run log written to {} (input paths: personal data, keep it private)",
                path.display()
            );
        }
    }
    Ok(match report.completion {
        Completion::Complete => ExitCode::SUCCESS,
        Completion::Partial => ExitCode::from(2),
        _ => {
            eprintln!(
                "logveil: error: nothing usable was read (no input gave a record); nothing was \
                 published and {} was left as it was",
                args.out.display()
            );
            ExitCode::from(1)
        }
    })
}

/// `logveil publish`: merge directories of partials and publish them.
fn publish(args: PublishArgs) -> anyhow::Result<ExitCode> {
    let zone = |name: &Option<String>, flag: &str| {
        name.as_deref()
            .map(|n| logveil::time::zone_from_name(n, flag))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let cfg = logveil::pipeline::PublishConfig::new(args.partials, &args.out)
        .policy(load_policy(args.policy.as_deref())?)
        .key_file(args.key_file)
        .report_timezone(zone(&args.report_timezone, "--report-timezone")?)
        .local_timezone(zone(&args.local_timezone, "--local-timezone")?)
        .site(args.site)
        .threads(args.threads.map(usize::from))
        .wait_for_lock(args.wait)
        .adopt_foreign_files(args.force);
    let report = logveil::pipeline::publish(&cfg).map_err(|e| match e {
        logveil::Error::Partials { .. } => anyhow::anyhow!(
            "{e} (directories are numbered in the order given; settings are --policy, \
             --report-timezone, --local-timezone and --site)"
        ),
        e => with_flag_hint(e),
    })?;
    if !args.quiet {
        eprintln!(
            "logveil: published {} day(s), {} table file(s); manifest {}",
            report.days,
            report.tables,
            report.manifest_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Library errors name files, not flags: say which flag gave the file.
fn with_flag_hint(e: logveil::Error) -> anyhow::Error {
    use logveil::privacy::key::KeyError;
    let hint = match &e {
        logveil::Error::Key(KeyError::Exposed { .. }) => {
            " (the key file named by --key-file or LOGVEIL_KEY_FILE)"
        }
        logveil::Error::Key(KeyError::Weak { .. } | KeyError::Malformed { .. }) => {
            " (the key file named by --key-file or LOGVEIL_KEY_FILE; \
             `logveil keygen --out FILE` writes a new one)"
        }
        logveil::Error::ConflictingFormats => {
            " (--format, --log-format, --nginx-format, --goaccess-format)"
        }
        logveil::Error::RunLogExposed { .. } => {
            " (--run-log must lie outside the inputs and --out)"
        }
        logveil::Error::Locked { .. } => " (--wait waits for it)",
        logveil::Error::StateNeedsKey => " (--key-file or LOGVEIL_KEY_FILE)",
        logveil::Error::State { .. } => " (the directory named by --state)",
        logveil::Error::ForeignFiles { .. } => {
            " (--force carries them into the new set; or choose another --out)"
        }
        _ => return e.into(),
    };
    anyhow::anyhow!("{e}{hint}")
}

/// What shows progress on stderr during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProgressDisplay {
    /// A one-line bar fitted to the terminal's width.
    Bar,
    /// A heartbeat line every [`heartbeat_interval`], for cron logs.
    Heartbeat,
    /// Nothing.
    Nothing,
}

impl ProgressDisplay {
    /// `auto` draws a bar only on a terminal: redirected to a file, a
    /// redrawn line would fill it with carriage returns.
    fn choose(mode: ProgressMode, quiet: bool) -> Self {
        match (mode, quiet) {
            (_, true) | (ProgressMode::None, _) => ProgressDisplay::Nothing,
            (ProgressMode::Plain, _) => ProgressDisplay::Heartbeat,
            (ProgressMode::Bar, _) => ProgressDisplay::Bar,
            (ProgressMode::Auto, _) if std::io::stderr().is_terminal() => ProgressDisplay::Bar,
            (ProgressMode::Auto, _) => ProgressDisplay::Nothing,
        }
    }
}

/// Time between two heartbeat lines: 5 s, or what the undocumented
/// `LOGVEIL_PROGRESS_INTERVAL_MS` says (tests need short runs to beat).
fn heartbeat_interval() -> Duration {
    std::env::var("LOGVEIL_PROGRESS_INTERVAL_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(5), |ms| {
            Duration::from_millis(ms.max(10))
        })
}

/// Shows the run's progress until `done`.
fn show_progress(p: &Progress, done: &std::sync::atomic::AtomicBool, display: ProgressDisplay) {
    let start = std::time::Instant::now();
    // Short naps, so the display stops as soon as the run ends.
    let nap = Duration::from_millis(100);
    match display {
        ProgressDisplay::Nothing => {}
        ProgressDisplay::Heartbeat => {
            let every = heartbeat_interval();
            let mut next = every;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(nap.min(every));
                if start.elapsed() >= next && !done.load(Ordering::Relaxed) {
                    eprintln!("logveil: {}", Snapshot::take(p, start).heartbeat());
                    next += every;
                }
            }
        }
        ProgressDisplay::Bar => {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(1),
                indicatif::ProgressDrawTarget::stderr_with_hz(4),
            );
            let style = indicatif::ProgressStyle::with_template("{prefix} [{wide_bar}] {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            let mut tick = Duration::ZERO;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(nap);
                tick += nap;
                if tick < Duration::from_millis(250) {
                    continue;
                }
                tick = Duration::ZERO;
                let snap = Snapshot::take(p, start);
                let width = usize::from(console::Term::stderr().size().1);
                let (prefix, message) = snap.bar_text(width);
                bar.set_length(snap.total.max(1));
                bar.set_position(snap.done.min(snap.total));
                bar.set_prefix(prefix);
                bar.set_message(message);
            }
            bar.finish_and_clear();
        }
    }
}

/// The progress counters at one moment, and how to say them.
struct Snapshot {
    done: u64,
    total: u64,
    lines: u64,
    seconds: f64,
    file: u64,
    files: u64,
    name: String,
}

/// Columns the bar keeps for itself, brackets included, and the
/// prefix before it (`100%`).
const BAR_MIN: usize = 12;
const PREFIX: usize = 4;

impl Snapshot {
    fn take(p: &Progress, start: std::time::Instant) -> Self {
        let files = p.files_total.load(Ordering::Relaxed);
        Snapshot {
            done: p.bytes_done.load(Ordering::Relaxed),
            total: p.bytes_total.load(Ordering::Relaxed),
            lines: p.lines.load(Ordering::Relaxed),
            seconds: start.elapsed().as_secs_f64().max(1e-3),
            file: p.files_started.load(Ordering::Relaxed).min(files),
            files,
            name: p.current_file(),
        }
    }

    fn percent(&self) -> u64 {
        match self.total {
            0 => 0,
            t => (self.done.min(t) as u128 * 100 / t as u128) as u64,
        }
    }

    /// `1.2/2.8 GiB`: both in the total's unit.
    fn bytes(&self) -> String {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut unit = 0;
        while unit + 1 < UNITS.len() && self.total >= 1024u64.pow(unit as u32 + 1) {
            unit += 1;
        }
        let scale = 1024f64.powi(unit as i32);
        let (done, total) = (self.done.min(self.total) as f64, self.total as f64);
        match unit {
            0 => format!("{done}/{total} B"),
            _ => format!("{:.1}/{:.1} {}", done / scale, total / scale, UNITS[unit]),
        }
    }

    fn rate(&self) -> String {
        per_second(self.lines as f64 / self.seconds)
    }

    /// Time left at the run's average speed so far over bytes on disk;
    /// `--:--` before anything was read.
    fn eta(&self) -> String {
        if self.done == 0 {
            return "--:--".to_string();
        }
        let left = self.total.saturating_sub(self.done) as f64;
        let secs = (self.seconds * left / self.done as f64).round() as u64;
        match secs {
            s if s >= 3600 => format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
            s => format!("{:02}:{:02}", s / 60, s % 60),
        }
    }

    /// `43% 1.2/2.8 GiB, 4.1 M lines, 1.02 M lines/s, ETA 00:41, file
    /// 3/14`: no file name, since cron logs are kept and passed around.
    fn heartbeat(&self) -> String {
        format!(
            "{}% {}, {} lines, {}, ETA {}, file {}/{}",
            self.percent(),
            self.bytes(),
            short_count(self.lines),
            self.rate(),
            self.eta(),
            self.file,
            self.files
        )
    }

    /// The bar's prefix and message for a terminal `width` columns wide:
    /// the parts that fit, most useful first (ETA, bytes, file, rate),
    /// the file name shortened in its middle to what is left, so the line
    /// never wraps (one column is left free: some terminals wrap on the
    /// last one).
    fn bar_text(&self, width: usize) -> (String, String) {
        let prefix = format!("{:>3}%", self.percent());
        let budget = width.saturating_sub(PREFIX + 1 + BAR_MIN + 1 + 1);
        let eta = format!("ETA {}", self.eta());
        let bytes = self.bytes();
        let rate = self.rate();
        let file = format!("{}/{}", self.file, self.files);
        // Greedy, by importance; shown in reading order after.
        let by_importance = [&eta, &bytes, &file, &rate];
        let mut keep = [false; 4];
        let mut used = 0;
        for (i, part) in by_importance.into_iter().enumerate() {
            let cost = part.chars().count() + usize::from(used > 0) * 2;
            if used + cost <= budget {
                keep[i] = true;
                used += cost;
            }
        }
        let [eta_fits, bytes_fit, file_fits, rate_fits] = keep;
        let mut parts: Vec<String> = Vec::new();
        if bytes_fit {
            parts.push(bytes);
        }
        if rate_fits {
            parts.push(rate);
        }
        if eta_fits {
            parts.push(eta);
        }
        if file_fits {
            // The name takes what is left, after a space.
            let room = budget.saturating_sub(used + 1);
            match shorten(&printable(&self.name), room) {
                name if name.is_empty() => parts.push(file),
                name => parts.push(format!("{file} {name}")),
            }
        }
        (prefix, parts.join("  "))
    }
}

/// A file name as the terminal may show it: control characters (which
/// could move the cursor or clear the screen) become `?`.
fn printable(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `s` in at most `max` characters, its middle replaced by `…` (a
/// rotated log's name differs at its end); empty when fewer than 6 fit.
fn shorten(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    if max < 6 {
        return String::new();
    }
    let tail = (max - 1) / 2;
    let head = max - 1 - tail;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// `812`, `41.2 k`, `4.1 M`.
fn short_count(n: u64) -> String {
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

fn summarize(report: &RunReport) {
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
fn per_second(rate: f64) -> String {
    match rate {
        r if r >= 1e6 => format!("{:.2} M lines/s", r / 1e6),
        r => format!("{:.1} k lines/s", r / 1e3),
    }
}

/// `logveil detect`: the same detection a run uses, explained per file.
fn detect(paths: &[std::path::PathBuf]) -> anyhow::Result<ExitCode> {
    use logveil::formats::detect;
    use logveil::input::read::{self, Opened, StreamChunks};
    let discovery = logveil::input::discover(paths);
    if discovery.sources.is_empty() {
        anyhow::bail!("no input files found; give log files or directories that contain them");
    }
    let mut all_fit = true;
    for source in &discovery.sources {
        let name = source.path.display();
        let head = match read::open(source) {
            Err(e) => {
                println!("{name}: cannot open: {e}");
                all_fit = false;
                continue;
            }
            Ok(Opened::Empty) => {
                println!("{name}: empty");
                continue;
            }
            Ok(Opened::Plain(file, _)) => match read::read_head(&file, 256 << 10) {
                Ok(head) => head,
                Err(e) => {
                    println!("{name}: cannot read: {e}");
                    all_fit = false;
                    continue;
                }
            },
            Ok(Opened::Stream(r)) => StreamChunks::new(r, 256 << 10)
                .next()
                .and_then(Result::ok)
                .map(|c| c.data)
                .unwrap_or_default(),
        };
        // The same decision a run makes (no line format is forced here).
        let whole = detect::whole_document(&head, false);
        if let Some(detect::Whole::Zoom(reader)) = whole {
            println!("{name}: {} (Zoom, recognised by its header)", reader.name());
            continue;
        }
        if let Some(detect::Whole::Csv) = whole {
            println!("{name}: csv (columns from its header line)");
            continue;
        }
        if let Some(detect::Whole::W3c) = whole {
            use logveil::formats::w3c;
            // As in a run: the first #Fields: header defines the columns.
            let segments = w3c::segments(&head);
            // Judge the first segment only: later ones have their own columns.
            let first_segment = &head[..segments.get(1).map_or(head.len(), |s| s.start)];
            match segments.first().and_then(|s| s.fields.as_ref()) {
                Some(f) => {
                    let failures = detect::failure_reasons(f, first_segment, false);
                    let failed: usize = failures.iter().map(|(_, n)| n).sum();
                    let dialect = match f.dialect() {
                        w3c::Dialect::Standard => String::new(),
                        d => format!(", {}", d.name()),
                    };
                    println!(
                        "{name}: w3c{dialect} (columns from its #Fields: headers; {failed} sampled line(s) rejected)"
                    );
                    if f.local_time() {
                        println!("    {}", w3c::LOCAL_TIME_NOTE);
                    }
                    for (reason, n) in failures {
                        println!("    {n} sampled line(s) rejected: {}", reason.as_str());
                    }
                }
                None => {
                    all_fit = false;
                    println!(
                        "{name}: W3C log without a usable #Fields: header (it needs a time and c-ip)"
                    );
                }
            }
            continue;
        }
        let d = detect::detect(&head, false);
        match (d.format, d.best) {
            (Some(f), _) => {
                println!(
                    "{name}: {} ({} of {} sampled lines parse, {:.1}%)",
                    f.name(),
                    d.parsed,
                    d.sampled,
                    d.parse_rate() * 100.0
                );
                for (reason, n) in detect::failure_reasons(f, &head, false) {
                    println!("    {n} sampled line(s) rejected: {}", reason.as_str());
                }
            }
            (None, best) => {
                all_fit = false;
                println!(
                    "{name}: no known format fits (best: {} parsing {} of {} sampled lines). \
                     Give the server's LogFormat with --log-format or its log_format with --nginx-format",
                    best.map_or("none", |b| b.name()),
                    d.parsed,
                    d.sampled
                );
            }
        }
    }
    Ok(if all_fit {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The generator's config from `gen`'s flags: unset knobs keep the defaults,
/// so `gen --lines N --seed S` writes the same bytes as before the knobs.
fn gen_config(lines: u64, seed: u64, shape: &cli::GenShape) -> logveil_synth::GenConfig {
    let mut cfg = logveil_synth::GenConfig::new(lines, seed);
    cfg.clients = shape.clients;
    cfg.targets = shape.targets;
    cfg.agents = shape.agents;
    cfg.referrers = shape.referrers;
    if let Some(share) = shape.ipv6_share {
        cfg.ipv6_share = share;
    }
    if let Some(days) = shape.days {
        cfg.days = days;
    }
    cfg
}
