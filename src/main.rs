//! The `logveil` binary: parses arguments, calls the library, prints a
//! summary and maps the outcome to an exit code. All real work is in the
//! library; this file only talks to the user.

mod cli;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use clap::Parser;

use cli::progress::{ProgressDisplay, show_progress};
use cli::summary::summarize;
use cli::{Cli, Command, PolicyCommand, PublishArgs, RunArgs};
use logveil::formats::presets::{GoAccessPreset, goaccess_predefined};
use logveil::formats::zoom::ZoomTime;
use logveil::pipeline::{FormatString, KeySource, Progress};
use logveil::privacy::key::{Key, KeyMode};
use logveil::privacy::policy::{DEFAULT_POLICY_TOML, Policy};
use logveil::{Completion, RunConfig};

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
