//! Command-line definitions (clap derive). Kept apart from `main.rs` so the
//! argument surface can be read in one place; beside them, what the binary
//! shows while a run goes ([`progress`]) and when it ends ([`summary`]).

pub mod progress;
pub mod summary;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  complete: every input read; no input rejected more than --max-reject-rate
     of its record lines (rejects are still counted in _manifest.json)
  2  outputs written, but an input could not be read, decompressed or
     recognised, or passed --max-reject-rate (see _manifest.json)
  1  nothing published, previous outputs untouched: bad arguments, no input,
     no input gave a record, key refused, output locked, not writable or
     holding other files";

/// Privacy-safe access-log analytics: logs in, keyed-pseudonymised
/// aggregate Parquet tables out.
#[derive(Debug, Parser)]
#[command(name = "logveil", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read logs and write aggregate Parquet tables and _manifest.json.
    #[command(after_help = EXIT_CODES)]
    Run(Box<RunArgs>),
    /// Read logs into private per-day partials (the aggregates before
    /// disclosure control, with pseudonyms) in --out, 0700, publishing
    /// nothing; `logveil publish` merges and publishes them. Takes the
    /// options of `run` but --state and --keep-days; needs --key-file.
    #[command(after_help = EXIT_CODES)]
    Partial(Box<RunArgs>),
    /// Merge directories of private partials (from `logveil partial`, or
    /// states) exactly and publish their days as `run --state` would.
    Publish(PublishArgs),
    /// Write a new random 32-byte key file (mode 0600).
    Keygen {
        /// Where to write the key; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Write a synthetic Combined log (or, with --zoom, a Zoom meeting
    /// history export) for benchmarks and tests.
    Gen {
        /// Write a Zoom "Meeting and webinar history" CSV instead; --lines
        /// counts participant rows.
        #[arg(long)]
        zoom: bool,
        /// Number of lines.
        #[arg(long, default_value_t = 1_000_000)]
        lines: u64,
        /// Random seed: the same seed gives the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (`-` for standard output); an existing file is
        /// refused unless --force.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
        /// Shape of the generated web log (benchmark matrix knobs).
        #[command(flatten)]
        shape: GenShape,
    },
    /// Prove that no identifier of the inputs appears in an output
    /// directory: file and directory names, every Parquet value (all
    /// column types, nested ones included), statistic, metadata entry and
    /// schema name, and every other file as text (gzip, zstd and UTF-16
    /// decoded).
    ///
    /// Identifiers are client addresses and host names, authusers and
    /// ident values, and every IP address or e-mail anywhere in an input
    /// line. Addresses are found in any spelling (with a port, zero-padded,
    /// dashed as in `ip-198-51-100-23.example.net`, inside `….nip.io`,
    /// reversed `….in-addr.arpa`, as one integer or hex number, IPv6
    /// compressed, full, upper case, bracketed or zoned); e-mails after
    /// `mailto:` and percent-encoded once or twice. User names match as
    /// whole words; inside a word only when distinctive (six characters or
    /// more, or holding a digit).
    ///
    /// Each finding (on standard output, one `LEAK` line each) names the
    /// file, place, table, column and row (or line), the kind and form of
    /// the identifier, and the input file and line that hold it, never the
    /// identifier itself unless --reveal is given.
    #[command(
        after_help = "Exit codes:\n  0  clean: no input identifier found, every file read\n  3  identifiers found or files unreadable: the report says where\n  1  the audit could not run (no inputs, unreadable directory)"
    )]
    Audit {
        /// Output directory of a run.
        #[arg(value_name = "OUTDIR")]
        out: PathBuf,
        /// The logs that run read (files or directories).
        #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
        inputs: Vec<PathBuf>,
        /// Also print each identifier found. Only for someone who holds the
        /// logs anyway: the report then is personal data.
        #[arg(long)]
        reveal: bool,
    },
    /// Show or write the privacy policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Show, per file, the format detection would choose, its parse rate on
    /// the sampled lines, and why the others failed (reasons, never text).
    Detect {
        /// Log files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// List the built-in log formats.
    Formats,
    /// Print the schema of every output table as Markdown.
    Schema,
    /// Write a static HTML page with charts of an output's published
    /// tables and its run's accounting (no script, nothing loaded from the
    /// network; it opens from a file).
    Report {
        /// Output directory of a run (flat or day-partitioned).
        #[arg(value_name = "OUTDIR")]
        out: PathBuf,
        /// Where to write the page; an existing file is replaced.
        #[arg(long, value_name = "FILE")]
        html: PathBuf,
    },
}

/// `logveil policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the effective policy (the defaults, or FILE validated and
    /// completed with defaults).
    Show {
        /// Policy file to check and show.
        #[arg(long, env = "LOGVEIL_POLICY", value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Write a commented policy file holding every default.
    Init {
        /// Where to write it (default: standard output); never overwrites.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Arguments of `logveil run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Log files or directories (read recursively; hidden entries skipped).
    /// Plain, gzip and zstd files are recognised by content.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output directory for the tables and _manifest.json (created if
    /// missing). It is replaced as a whole, atomically: readers see the
    /// previous set or the new one, never a mix.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// Private state directory for nightly runs (created 0700). It holds
    /// a ledger of what was read and each day's aggregates before
    /// disclosure control, so a run reads only what is new, merges it
    /// into the days it touches and re-publishes those days exactly; with
    /// it, --out is day-partitioned (`<table>/day=YYYY-MM-DD/`). It holds
    /// pseudonyms: personal data, back it up with the key, never publish
    /// it. Needs --key-file.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// With --state: keep the partials of this many days, counted back
    /// from the newest day they hold (days after tomorrow, from a wrong
    /// clock, do not count); older ones are deleted, and lines that arrive
    /// later for those days are counted and left out.
    #[arg(long, value_name = "DAYS", requires = "state",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_days: Option<u32>,

    /// Wait for another run writing the same --out to finish instead of
    /// refusing at once.
    #[arg(long)]
    pub wait: bool,

    /// Accept an --out holding files logveil did not write: they are
    /// carried into the new set unchanged (hard links).
    #[arg(long)]
    pub force: bool,

    /// Largest share of an input's record lines (parsed + rejected) that
    /// may be rejected in a run that exits 0; above it the run exits 2.
    /// 0 makes any rejected line exit 2. The default, one in ten, tolerates
    /// the odd broken line of a small file and catches a wrong format.
    #[arg(long, default_value_t = logveil::pipeline::DEFAULT_MAX_REJECT_RATE,
          value_name = "SHARE", value_parser = parse_share)]
    pub max_reject_rate: f64,

    /// Force a line format instead of detecting it per file (see `logveil
    /// formats`). The document readers (w3c, zoom_*) read each file by its
    /// own header, as detection does, so naming one forces nothing.
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,

    /// Apache `LogFormat` string of the web logs, as in the server's config
    /// (`'%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D'`),
    /// compiled once instead of detection.
    #[arg(long, value_name = "LOGFORMAT", conflicts_with_all = ["format", "nginx_format"])]
    pub log_format: Option<String>,

    /// nginx `log_format` body of the web logs (`'$remote_addr - $remote_user
    /// [$time_local] "$request" $status $body_bytes_sent …'`), compiled once
    /// instead of detection.
    #[arg(long, value_name = "LOG_FORMAT", conflicts_with = "format")]
    pub nginx_format: Option<String>,

    /// GoAccess `--log-format` of the web logs (its specifiers, or a
    /// predefined name: COMBINED, VCOMBINED, COMMON, VCOMMON, W3C,
    /// CLOUDFRONT, AWSELB, AWSALB, CADDY, TRAEFIKCLF), compiled once or
    /// mapped to the logveil reader of that layout.
    #[arg(long, value_name = "FORMAT", conflicts_with_all = ["format", "log_format", "nginx_format"])]
    pub goaccess_format: Option<String>,

    /// Date format (strftime) for --goaccess-format's `%d`.
    #[arg(long, default_value = "%d/%b/%Y", value_name = "STRFTIME")]
    pub date_format: String,

    /// Time format (strftime) for --goaccess-format's `%t`.
    #[arg(long, default_value = "%H:%M:%S", value_name = "STRFTIME")]
    pub time_format: String,

    /// Site label for logs that carry no virtual host.
    #[arg(long, value_name = "NAME")]
    pub site: Option<String>,

    /// Longest line read, in bytes (line end not counted). A longer line is
    /// skipped without being held in memory and counted as rejected
    /// (`too_long`).
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES",
          value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    pub max_line_bytes: u64,

    /// Worker threads [default: number of cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Secret key file (from `logveil keygen`); without one an ephemeral
    /// key is used and pseudonyms cannot be linked across runs.
    #[arg(long, env = "LOGVEIL_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// Privacy policy file (TOML; see `logveil policy init`). Without one
    /// the defaults apply: daily key rotation, whole addresses, k = 10.
    #[arg(long, env = "LOGVEIL_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Proxies whose forwarded-for entries are trusted (CIDRs, comma
    /// separated); the right-most untrusted address of a chain is the
    /// client. Adds to the policy's `network.trusted_proxies`.
    #[arg(long, value_name = "CIDR,...", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Time zone of Zoom CSV exports (IANA name; their times carry none).
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub zoom_timezone: String,

    /// Time zone of web-log times that carry none: IIS Advanced Logging's
    /// date-local/time-local, Caddy's `wall` time formats (IANA name).
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub local_timezone: String,

    /// Calendar of the tables (IANA name): the days and hours rows are
    /// grouped by, the midnights that end sessions, and the days, weeks or
    /// months after which pseudonyms rotate. A site at −05:00 reporting
    /// in UTC would see its evenings on the next day.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub report_timezone: String,

    /// Day/month order of Zoom CSV dates: `mdy` (US, default) or `dmy`
    /// (UK-locale accounts). Dates impossible in that order are rejected.
    #[arg(long, default_value = "mdy", value_parser = ["mdy", "dmy"], value_name = "ORDER")]
    pub zoom_date_order: String,

    /// Also write the operator's run log to FILE (JSON, mode 0600): the
    /// input paths behind the manifest's input ids, with each input's
    /// report. Paths name people and meetings, so the run log is personal
    /// data: it must lie outside the inputs and --out, and is never
    /// published.
    #[arg(long, value_name = "FILE")]
    pub run_log: Option<std::path::PathBuf>,

    /// No progress display and no summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,

    /// Progress on stderr: `auto` (a bar when stderr is a terminal,
    /// nothing otherwise), `bar`, `plain` (a line every few seconds, for
    /// cron logs) or `none`. `-q` implies `none`.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto, value_name = "MODE")]
    pub progress: ProgressMode,
}

/// Arguments of `logveil publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Directories written by `logveil partial` (or states), all made with
    /// one key and the same settings.
    #[arg(required = true, value_name = "DIR")]
    pub partials: Vec<PathBuf>,

    /// Output directory, day-partitioned as with `run --state`.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// The key file the partials were made with (checked against their
    /// fingerprint; needed only for states alone).
    #[arg(long, env = "LOGVEIL_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// The policy the partials were made with (checked against their
    /// settings hash); its disclosure control is applied.
    #[arg(long, env = "LOGVEIL_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// The --report-timezone the partials were made with [default: the
    /// one they record].
    #[arg(long, value_name = "ZONE")]
    pub report_timezone: Option<String>,

    /// The --local-timezone the partials were made with [default: the
    /// one they record].
    #[arg(long, value_name = "ZONE")]
    pub local_timezone: Option<String>,

    /// The --site the partials were made with [default: the one they
    /// record].
    #[arg(long, value_name = "NAME")]
    pub site: Option<String>,

    /// Worker threads [default: number of cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Wait for another run writing the same --out to finish.
    #[arg(long)]
    pub wait: bool,

    /// Accept an --out holding files logveil did not write.
    #[arg(long)]
    pub force: bool,

    /// Say nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How progress is shown (`--progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, nothing otherwise.
    Auto,
    /// A bar, sized to the terminal.
    Bar,
    /// A heartbeat line every few seconds.
    Plain,
    /// Nothing.
    None,
}

/// A share between 0 and 1.
fn parse_share(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a share between 0 and 1 (0.01 = 1%)")),
    }
}

/// Cardinality knobs of `logveil gen`; unset ones keep the default output.
#[derive(Args, Debug, Clone, Default)]
pub struct GenShape {
    /// Distinct client addresses to produce (default: follows --lines).
    #[arg(long, value_name = "N")]
    pub clients: Option<u64>,
    /// Distinct request targets (long, id-bearing and query-string paths).
    #[arg(long, value_name = "N")]
    pub targets: Option<u64>,
    /// Distinct browser user agents, generated from templates.
    #[arg(long, value_name = "N")]
    pub agents: Option<u64>,
    /// Distinct external referrers of entry pages.
    #[arg(long, value_name = "N")]
    pub referrers: Option<u64>,
    /// Share of clients with an IPv6 address, 0 to 1 (default 0.10).
    #[arg(long, value_name = "SHARE")]
    pub ipv6_share: Option<f64>,
    /// Days the traffic is spread over (default 7).
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
}
