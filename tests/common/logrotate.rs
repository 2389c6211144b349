//! A small deterministic web server under logrotate, for the nightly-run
//! tests (issue 14).
//!
//! The server appends Combined Log Format lines to `access.log` in one
//! directory; logrotate rotates it daily at 06:25 local time (Debian's
//! `cron.daily` slot) with `rotate 14`, `compress` and `delaycompress`, so
//! `access.log.1` stays plain and `access.log.2.gz` onwards are gzip. One
//! rotation uses `copytruncate` (the file is copied to `.1` and truncated in
//! place, keeping its inode) instead of a rename. The nightly run happens at
//! 02:00 local, when `access.log` holds the end of yesterday and the start of
//! today and `.1` the day before: every night the ledger has to tell read
//! bytes from new ones across renames, compression and the truncation.
//!
//! Trade-offs: the traffic is a toy (a few hundred returning visitors from
//! the documentation address ranges, a dozen pages, a handful of agents),
//! chosen to be small enough for a debug binary to read eight times in a
//! test and varied enough that tables have rows above the default k. One
//! SplitMix64 stream drives it, so the bytes are a pure function of the
//! seed, never of the clock. Times advance by at least one second per line,
//! so every line is unique and the union of files can be checked as a set.
//! A copy and a truncation happen at one instant here; a real
//! `copytruncate` can lose the lines written between the two, which is
//! logrotate's documented caveat and nothing a reader can recover.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Timelike};

/// The server's local offset: +01:00 (the lines carry `+0100`).
pub const OFFSET_SECONDS: i32 = 3600;
/// Local time of the nightly run.
pub const RUN_AT: (u32, u32) = (2, 0);
/// Local time of the daily rotation.
pub const ROTATE_AT: (u32, u32) = (6, 25);
/// logrotate's `rotate 14`: rotated files kept.
pub const ROTATE_KEEP: usize = 14;
/// The rotation just before this night's run uses `copytruncate`.
pub const COPYTRUNCATE_NIGHT: u32 = 4;
/// The name the server writes to.
pub const LOG: &str = "access.log";

/// The server's local time zone.
pub fn zone() -> FixedOffset {
    FixedOffset::east_opt(OFFSET_SECONDS).expect("a valid offset")
}

/// The local time `days` after the simulation's first midnight
/// (2026-03-01 00:00 +01:00), at `hour:minute`.
pub fn local(days: u32, hour: u32, minute: u32) -> DateTime<FixedOffset> {
    let date = NaiveDate::from_ymd_opt(2026, 3, 1).expect("a valid date")
        + Duration::days(i64::from(days));
    let naive = date.and_hms_opt(hour, minute, 0).expect("a valid time");
    zone()
        .from_local_datetime(&naive)
        .single()
        .expect("a fixed offset has no gaps")
}

/// What happens at an [`Event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The nightly `logveil run` (nights count from 1).
    Run(u32),
    /// logrotate's daily rotation.
    Rotate {
        /// Copy and truncate `access.log` instead of renaming it.
        copytruncate: bool,
    },
}

/// One step of the schedule, at a local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// When it happens; the server has written every line before it.
    pub at: DateTime<FixedOffset>,
    /// What happens.
    pub step: Step,
}

/// The schedule of `count` nights, in time order: the server starts at
/// 2026-03-01 00:00 local; every day at 06:25 logrotate rotates (the one
/// before night [`COPYTRUNCATE_NIGHT`] by copytruncate), and night `n` runs
/// at 02:00 on day `n`. The schedule ends with the run of night `count`.
pub fn nights(count: u32) -> Vec<Event> {
    let mut events = Vec::new();
    for day in 0..count {
        if day > 0 {
            events.push(Event {
                at: local(day, RUN_AT.0, RUN_AT.1),
                step: Step::Run(day),
            });
        }
        events.push(Event {
            at: local(day, ROTATE_AT.0, ROTATE_AT.1),
            step: Step::Rotate {
                copytruncate: day + 1 == COPYTRUNCATE_NIGHT,
            },
        });
    }
    events.push(Event {
        at: local(count, RUN_AT.0, RUN_AT.1),
        step: Step::Run(count),
    });
    events
}

/// Plays `events` on `server`: before each event the server writes every
/// line up to its time; rotations rotate; runs call `on_run(night, server)`.
pub fn play(server: &mut Server, events: &[Event], mut on_run: impl FnMut(u32, &mut Server)) {
    for event in events {
        server.write_until(event.at);
        match event.step {
            Step::Rotate { copytruncate } => server.rotate(copytruncate),
            Step::Run(night) => on_run(night, server),
        }
    }
}

/// A web server writing `access.log` in one directory under logrotate.
pub struct Server {
    dir: PathBuf,
    traffic: Traffic,
    /// The next line, generated but not yet due.
    pending: (DateTime<FixedOffset>, String),
    written: Vec<u8>,
    lines: usize,
    keep: usize,
}

impl Server {
    /// A server logging into `dir` (created if missing) from 2026-03-01
    /// 00:00 local, with traffic drawn from `seed`; `rotate 14`.
    pub fn new(dir: &Path, seed: u64) -> Server {
        Server::with_rotate(dir, seed, ROTATE_KEEP)
    }

    /// As [`Server::new`] with logrotate's `rotate keep` (at least 1).
    pub fn with_rotate(dir: &Path, seed: u64, keep: usize) -> Server {
        assert!(keep >= 1, "rotate 0 keeps nothing to read");
        fs::create_dir_all(dir).unwrap();
        File::create(dir.join(LOG)).unwrap();
        let mut traffic = Traffic::new(seed, local(0, 0, 0));
        let pending = traffic.next_line();
        Server {
            dir: dir.to_path_buf(),
            traffic,
            pending,
            written: Vec::new(),
            lines: 0,
            keep,
        }
    }

    /// The log directory (what a nightly run reads).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends to `access.log` every line timed before `until`; returns how
    /// many.
    pub fn write_until(&mut self, until: DateTime<FixedOffset>) -> usize {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.dir.join(LOG))
            .unwrap();
        let mut out = BufWriter::new(file);
        let mut count = 0;
        while self.pending.0 < until {
            let (_, line) = std::mem::replace(&mut self.pending, self.traffic.next_line());
            out.write_all(line.as_bytes()).unwrap();
            self.written.extend_from_slice(line.as_bytes());
            count += 1;
        }
        out.flush().unwrap();
        self.lines += count;
        count
    }

    /// logrotate's daily rotation with `compress` and `delaycompress`: the
    /// oldest file beyond `rotate` goes, `.N.gz` become `.N+1.gz`, the old
    /// `.1` is compressed to `.2.gz`, and `access.log` becomes `.1` — by
    /// rename (a new empty `access.log` is created, as `create` does) or,
    /// with `copytruncate`, by copying it and truncating it in place.
    pub fn rotate(&mut self, copytruncate: bool) {
        let path = |n: usize| self.rotated(n);
        let _ = fs::remove_file(path(self.keep));
        for n in (2..self.keep).rev() {
            if path(n).exists() {
                fs::rename(path(n), path(n + 1)).unwrap();
            }
        }
        let one = path(1);
        if one.exists() {
            if self.keep >= 2 {
                gzip(&one, &path(2));
            }
            fs::remove_file(&one).unwrap();
        }
        let log = self.dir.join(LOG);
        if copytruncate {
            fs::copy(&log, &one).unwrap();
            OpenOptions::new()
                .write(true)
                .open(&log)
                .unwrap()
                .set_len(0)
                .unwrap();
        } else {
            fs::rename(&log, &one).unwrap();
            File::create(&log).unwrap();
        }
    }

    /// The path of rotated file `n` (`access.log.1`, `access.log.2.gz`, …).
    pub fn rotated(&self, n: usize) -> PathBuf {
        match n {
            0 => self.dir.join(LOG),
            1 => self.dir.join(format!("{LOG}.1")),
            n => self.dir.join(format!("{LOG}.{n}.gz")),
        }
    }

    /// The log files present, newest first (`access.log`, `.1`, `.2.gz`, …),
    /// as logrotate leaves them.
    pub fn files(&self) -> Vec<PathBuf> {
        (0..=self.keep)
            .map(|n| self.rotated(n))
            .filter(|p| p.exists())
            .collect()
    }

    /// The names in the log directory, sorted the way `ls -v` shows them.
    pub fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort_by_key(|name| {
            let rest = name.strip_prefix(LOG).unwrap_or(name);
            let number: String = rest.chars().filter(char::is_ascii_digit).collect();
            (number.parse::<usize>().unwrap_or(0), name.clone())
        });
        names
    }

    /// Every line written so far, in order (what one run over all the logs
    /// at once reads).
    pub fn all_lines(&self) -> &[u8] {
        &self.written
    }

    /// How many lines were written so far.
    pub fn lines_written(&self) -> usize {
        self.lines
    }

    /// Writes [`Server::all_lines`] into one plain file at `path`.
    pub fn write_all_lines(&self, path: &Path) {
        fs::write(path, &self.written).unwrap();
    }
}

/// gzip as logrotate runs it: the original name in the header, time 0 so
/// the bytes do not depend on the clock.
fn gzip(from: &Path, to: &Path) {
    let name = from.file_name().unwrap().to_string_lossy().into_owned();
    let mut encoder = flate2::GzBuilder::new()
        .filename(name)
        .mtime(0)
        .write(File::create(to).unwrap(), flate2::Compression::default());
    encoder.write_all(&fs::read(from).unwrap()).unwrap();
    encoder.finish().unwrap().sync_all().unwrap();
}

/// Visitors in the population (a few hundred, most of them returning).
const VISITORS: u64 = 400;
/// Sessions open at once; the next line mostly continues one of them.
const OPEN: usize = 4;

const PAGES: &[&str] = &[
    "/",
    "/about",
    "/blog/",
    "/blog/rotating-logs",
    "/blog/privacy-by-design",
    "/docs/install",
    "/docs/nightly-runs",
    "/contact",
    "/search?q=parquet",
];
const ASSETS: &[&str] = &["/static/site.css", "/static/app.js", "/favicon.ico"];
const EXTERNAL: &[&str] = &[
    "https://duckduckgo.com/",
    "https://www.bing.com/search?q=log+privacy",
    "https://news.example.net/item/42",
    "https://social.example.com/@someone",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
];
const SITE: &str = "https://www.example.org";

/// The deterministic traffic behind a [`Server`].
struct Traffic {
    rng: SplitMix64,
    now: DateTime<FixedOffset>,
    open: [u64; OPEN],
    /// The last page of each visitor, for internal referrers.
    last_page: Vec<Option<usize>>,
}

impl Traffic {
    fn new(seed: u64, start: DateTime<FixedOffset>) -> Traffic {
        let mut rng = SplitMix64(seed);
        let open = std::array::from_fn(|_| rng.below(VISITORS));
        Traffic {
            rng,
            now: start,
            open,
            last_page: vec![None; VISITORS as usize],
        }
    }

    /// The next line and its time: at least a second after the previous
    /// one, quieter at night.
    fn next_line(&mut self) -> (DateTime<FixedOffset>, String) {
        let mean = if self.now.hour() < 7 { 60 } else { 20 };
        self.now += Duration::seconds(1 + self.rng.below(2 * mean) as i64);
        let slot = self.rng.below(OPEN as u64) as usize;
        if self.rng.below(100) < 35 {
            // A new session, skewed towards the low ranks so that the same
            // visitors come back day after day.
            let r = self.rng.below(VISITORS);
            self.open[slot] = self.rng.below(r + 1);
        }
        let visitor = self.open[slot];
        let line = self.format(visitor);
        (self.now, line)
    }

    fn format(&mut self, visitor: u64) -> String {
        let previous = self.last_page[visitor as usize];
        let roll = self.rng.below(100);
        let (method, path, status, bytes, referrer) = if roll < 3 {
            (
                "GET",
                "/wp-login.php".to_string(),
                404,
                153,
                "-".to_string(),
            )
        } else if roll < 5 {
            ("GET", "/blog".to_string(), 301, 0, "-".to_string())
        } else if roll < 30 && previous.is_some() {
            let asset = ASSETS[self.rng.below(ASSETS.len() as u64) as usize];
            let status = if self.rng.below(3) == 0 { 304 } else { 200 };
            let bytes = if status == 304 {
                0
            } else {
                800 + 97 * asset.len() as u64
            };
            let from = format!("{SITE}{}", PAGES[previous.unwrap_or(0)]);
            ("GET", asset.to_string(), status, bytes, from)
        } else {
            let page = self.rng.below(PAGES.len() as u64) as usize;
            let referrer = match previous {
                Some(p) if self.rng.below(2) == 0 => format!("{SITE}{}", PAGES[p]),
                _ if self.rng.below(3) == 0 => {
                    EXTERNAL[self.rng.below(EXTERNAL.len() as u64) as usize].to_string()
                }
                _ => "-".to_string(),
            };
            self.last_page[visitor as usize] = Some(page);
            let status = if self.rng.below(200) == 0 { 500 } else { 200 };
            let method = if PAGES[page] == "/contact" && self.rng.below(4) == 0 {
                "POST"
            } else {
                "GET"
            };
            let bytes = 2_000 + 131 * page as u64 + self.rng.below(400);
            (method, PAGES[page].to_string(), status, bytes, referrer)
        };
        format!(
            "{} - - [{}] \"{method} {path} HTTP/1.1\" {status} {bytes} \"{referrer}\" \"{}\"\n",
            address(visitor),
            self.now.format("%d/%b/%Y:%H:%M:%S %z"),
            AGENTS[(visitor % AGENTS.len() as u64) as usize],
        )
    }
}

/// Visitor `v`'s address, from the documentation ranges only: 192.0.2.0/24,
/// 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32.
pub fn address(v: u64) -> String {
    let host = v / 4 + 1;
    match v % 4 {
        0 => format!("192.0.2.{host}"),
        1 => format!("198.51.100.{host}"),
        2 => format!("203.0.113.{host}"),
        _ => format!("2001:db8:{:x}::{:x}", v % 7, host),
    }
}

/// SplitMix64: tiny, seedable, and the same on every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`); the modulo bias is irrelevant here.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
