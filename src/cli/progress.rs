//! The run's progress on stderr: a bar fitted to the terminal (drawn by
//! `indicatif`), a heartbeat line for cron and systemd logs, or nothing.
//! The counters come from the library's [`Progress`]; this module only
//! says them, and never a path but the file being read, made printable.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::time::Duration;

use logveil::pipeline::Progress;

use super::ProgressMode;
use super::summary::{per_second, short_count};

/// What shows progress on stderr during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressDisplay {
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
    pub fn choose(mode: ProgressMode, quiet: bool) -> Self {
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
pub fn show_progress(p: &Progress, done: &std::sync::atomic::AtomicBool, display: ProgressDisplay) {
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
