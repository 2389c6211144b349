//! Format auto-detection.
//!
//! Detection looks at content, never at file names: rotated and renamed
//! logs keep their format but lose their extension. Every known format
//! parses a sample of the first records and is scored by the fields it
//! explains, not by the lines it accepts: a loose format that accepts a
//! line while leaving its quoted fields unread (`common` on a combined
//! line) scores less than a richer one that rejects a few damaged lines.
//! [`FORMATS`]' order breaks ties and near-ties in favour of the more
//! specific format. The trade-off: a file where most lines carry fewer
//! fields than a few others is read with the smaller layout.
//!
//! A file may change layout part way (an operator adds a field; logs of
//! two servers are concatenated), so detection is also asked again inside
//! a file. [`Watch`] follows a chunk's parse outcomes; when a quarter of a
//! window of lines is rejected, detection runs on the rejected lines, and a
//! format that reads most of them becomes the chunk's second format: it
//! reads again the rejected lines kept so far, and from then on every line
//! the first format rejects. The first format keeps every line it reads,
//! so a looser format found on damaged lines never demotes the others
//! (`common` taking combined lines and losing their agents). A file where
//! nothing fits is read with [`NO_FORMAT`], which rejects every line as
//! `no_format` (so every line is still counted) and is replaced by the
//! first format detection finds in it. Attempts that find nothing back
//! off exponentially, so a file of junk costs a few detections per chunk,
//! and a clean file costs a counter per line.
use super::{FORMATS, LogFormat, ParseContext};

/// Inputs read whole rather than line by line, recognised by content
/// before line-format detection.
#[derive(Clone, Copy)]
pub enum Whole {
    /// Zoom data (an export, API JSON or webhooks).
    Zoom(&'static dyn super::zoom::ZoomReader),
    /// A W3C extended log, steered by its `#Fields:` headers.
    W3c,
    /// A CSV log whose header line names its columns.
    Csv,
}

/// The whole-document reader for an input's first bytes, if it needs one.
/// Zoom data is always recognised; a W3C log only when the user did not
/// force a line format (`line_format_forced`), which then replaces it.
/// The one place this decision is made, for runs and `logveil detect` alike.
pub fn whole_document(head: &[u8], line_format_forced: bool) -> Option<Whole> {
    if let Some(reader) = super::zoom::detect(head) {
        return Some(Whole::Zoom(reader));
    }
    if line_format_forced {
        return None;
    }
    if super::w3c::sniff(head) {
        return Some(Whole::W3c);
    }
    super::json_lines::csv::sniff(head).then_some(Whole::Csv)
}

/// How many non-skipped lines detection samples.
pub const SAMPLE_LINES: usize = 200;

/// Below this share of sampled lines parsed, no format is chosen.
pub const MIN_PARSE_RATE: f64 = 0.5;

/// What detection decided for one input.
#[derive(Debug, Clone, Copy)]
pub struct Detection {
    /// The chosen format, `None` when nothing parsed well enough.
    pub format: Option<&'static dyn LogFormat>,
    /// The best candidate even when below the threshold (for messages).
    pub best: Option<&'static dyn LogFormat>,
    /// Lines sampled (blank and comment lines not counted).
    pub sampled: usize,
    /// Lines of the sample the best candidate parsed.
    pub parsed: usize,
}

impl Detection {
    /// Share of the sample the best candidate parsed (1.0 for an empty sample).
    pub fn parse_rate(&self) -> f64 {
        if self.sampled == 0 {
            1.0
        } else {
            self.parsed as f64 / self.sampled as f64
        }
    }
}

/// The first [`SAMPLE_LINES`] record lines of `head` (skipping blanks and
/// comments). A final line without terminator is included only when `head`
/// is the whole input, since otherwise it may be cut.
fn sample_lines(head: &[u8], complete: bool) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut rest = head;
    while lines.len() < SAMPLE_LINES && !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(p) => (&rest[..p], &rest[p + 1..]),
            None if complete => (rest, &b""[..]),
            None => break,
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if super::default_skip(line).is_none() {
            lines.push(line);
        }
        rest = next;
    }
    lines
}

/// Why the sampled lines that `format` could not parse failed, counted
/// by reason (never the lines themselves).
pub fn failure_reasons(
    format: &dyn LogFormat,
    head: &[u8],
    complete: bool,
) -> Vec<(super::Reject, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    let mut cx = ParseContext::default();
    for line in sample_lines(head, complete) {
        if let Err(r) = format.parse(line, &mut cx) {
            *counts.entry(r).or_insert(0) += 1;
        }
    }
    counts.into_iter().collect()
}

/// How far below the best candidate (in lines, or in fields explained) a
/// more specific format may be and still be chosen: a little slack, so one
/// odd line does not decide for a looser format.
fn tolerance(best: usize) -> usize {
    (best / 50).max(1)
}

/// Fields every record has: client, time, request, status and bytes.
const CORE_FIELDS: usize = 5;

/// How many fields a record explains: the core plus every optional field
/// the line filled in.
fn fields_explained(rec: &super::RawRecord<'_>) -> usize {
    let optional = [
        rec.user.is_some(),
        rec.referer.is_some(),
        rec.user_agent.is_some(),
        rec.vhost.is_some(),
        rec.forwarded_for.is_some(),
        rec.duration_us.is_some(),
    ];
    CORE_FIELDS + optional.iter().filter(|&&b| b).count()
}

/// A format's score on one line: the fields it explains, less those its
/// layout expects and the line lacks (the second value, `true` when none
/// are lacking); `None` when it rejects the line. Only `combined` accepts
/// lines short of its layout (it takes a common line as a record without
/// referrer and agent), so only it is asked.
fn line_score(format: &dyn LogFormat, line: &[u8], cx: &mut ParseContext) -> Option<(usize, bool)> {
    if format.name() == super::combined::Combined.name() {
        let (rec, missing) = super::combined::parse_counting(line, cx).ok()?;
        return Some((fields_explained(&rec).saturating_sub(missing), missing == 0));
    }
    format
        .parse(line, cx)
        .ok()
        .map(|rec| (fields_explained(&rec), true))
}

/// How one candidate did on the sample.
#[derive(Clone, Copy)]
struct Candidate {
    format: &'static dyn LogFormat,
    /// Fields explained, summed over the lines.
    score: usize,
    /// Lines parsed.
    parsed: usize,
    /// Lines parsed with every field of the layout present.
    whole: usize,
}

/// Detects the format of an input from its first bytes. `complete` says
/// whether `head` is the entire input.
pub fn detect(head: &[u8], complete: bool) -> Detection {
    detect_lines(&sample_lines(head, complete))
}

/// Detection on sampled record lines.
fn detect_lines(lines: &[&[u8]]) -> Detection {
    let candidates: Vec<Candidate> = FORMATS
        .iter()
        .map(|&format| {
            let mut cx = ParseContext::default();
            let mut c = Candidate {
                format,
                score: 0,
                parsed: 0,
                whole: 0,
            };
            for line in lines {
                // A line the format itself passes over (a server's own
                // message among JSON access records) is no failure of it.
                if format.skip(line).is_some() {
                    c.parsed += 1;
                    continue;
                }
                if let Some((score, whole)) = line_score(format, line, &mut cx) {
                    c.score += score;
                    c.parsed += 1;
                    c.whole += usize::from(whole);
                }
            }
            c
        })
        .collect();
    let top_score = candidates.iter().map(|c| c.score).max().unwrap_or(0);
    let top_whole = candidates.iter().map(|c| c.whole).max().unwrap_or(0);
    // The earliest (most specific) format within the slack of the best one
    // by fields explained, or by lines it reads whole: the first keeps a
    // looser format from winning on damaged lines it half reads, the second
    // keeps a few damaged lines of a small sample from deciding.
    let best = candidates.iter().copied().find(|c| {
        (c.score > 0 || top_score == 0)
            && (c.score + tolerance(top_score) >= top_score
                || (c.whole > 0 && c.whole + tolerance(top_whole) >= top_whole))
    });
    let (best_format, parsed) = match best {
        Some(c) => (Some(c.format), c.parsed),
        None => (None, 0),
    };
    let mut detection = Detection {
        format: None,
        best: best_format,
        sampled: lines.len(),
        parsed,
    };
    if lines.is_empty() {
        // Nothing to judge (empty, or only comments): the most common
        // format is as good as any, and counts the skipped lines.
        detection.format = Some(&super::combined::Combined);
        detection.best = detection.format;
    } else if parsed > 0 && detection.parse_rate() >= MIN_PARSE_RATE {
        detection.format = best_format;
    }
    detection
}

/// The format of a file in which no known format fits: every record line
/// is rejected as [`Reject::NoFormat`](super::Reject::NoFormat), blank lines
/// and comments are skipped as usual.
#[derive(Debug, Clone, Copy)]
pub struct NoFormat;

/// The one [`NoFormat`].
pub static NO_FORMAT: NoFormat = NoFormat;

impl LogFormat for NoFormat {
    fn name(&self) -> &'static str {
        "none"
    }

    fn description(&self) -> &'static str {
        "no known format fits: every line is counted as rejected"
    }

    fn parse<'a>(
        &self,
        _line: &'a [u8],
        _cx: &mut ParseContext,
    ) -> Result<super::RawRecord<'a>, super::Reject> {
        Err(super::Reject::NoFormat)
    }
}

/// Record lines per window of [`Watch`].
const WINDOW: u32 = 64;

/// A window with at least this many rejected record lines asks detection
/// again: a quarter, so a region that the current format half reads is
/// still looked at, while a file with the odd broken line never is.
const WINDOW_REJECTS: u32 = WINDOW / 4;

/// A chunk's last window is judged only from this many record lines on.
const MIN_LAST_WINDOW: u32 = 8;

/// The longest wait, in windows, between attempts that found nothing.
const MAX_BACKOFF: u32 = 1 << 10;

/// A rejected line that a format taking over may read again.
#[derive(Debug, Clone, Copy)]
pub struct Pending {
    /// Byte range of the line in the chunk, without its terminator.
    pub range: (usize, usize),
    /// Its line number in the chunk (1-based).
    pub line: u64,
    /// Why it was rejected.
    pub reason: super::Reject,
}

/// The most rejected lines a [`Watch`] keeps for reading again; past it
/// the oldest half is dropped, so a long region that nothing reads costs
/// bounded memory and only its oldest lines stay rejected.
const MAX_PENDING: usize = 4096;

/// Follows the parse outcomes of one chunk's lines and says when the
/// format should be looked for again (see the module docs).
#[derive(Debug)]
pub struct Watch {
    enabled: bool,
    seen: u32,
    rejected: u32,
    // Rejected lines since the format last read a window well, so a format
    // that takes over reads again what the waits between attempts let by.
    pending: Vec<Pending>,
    // Where this window's rejected lines start in `pending`.
    window_start: usize,
    wait: u32,
    backoff: u32,
}

/// What a window that asks detection again hands over.
#[derive(Debug)]
pub struct Attempt<'w> {
    /// This window's rejected lines: detection's sample.
    pub sample: &'w [Pending],
    /// Every rejected line kept since the formats last read well, to be
    /// read again by a format that takes over.
    pub pending: &'w [Pending],
}

impl Watch {
    /// A watch for a chunk; a disabled one (a format the user named, or a
    /// document whose headers set the layout) never asks.
    pub fn new(enabled: bool) -> Watch {
        Watch {
            enabled,
            seen: 0,
            rejected: 0,
            pending: Vec::new(),
            window_start: 0,
            wait: 0,
            backoff: 1,
        }
    }

    /// A record line was parsed. Returns whether the window is complete
    /// (call [`Watch::window_end`] then).
    #[inline]
    pub fn parsed(&mut self) -> bool {
        self.seen += 1;
        self.seen == WINDOW
    }

    /// A record line was rejected. Returns whether the window is complete.
    #[inline]
    pub fn rejected(&mut self, pending: Pending) -> bool {
        self.seen += 1;
        self.rejected += 1;
        if self.enabled {
            if self.pending.len() == MAX_PENDING {
                self.pending.drain(..MAX_PENDING / 2);
                self.window_start = self.window_start.saturating_sub(MAX_PENDING / 2);
            }
            self.pending.push(pending);
        }
        self.seen == WINDOW
    }

    /// Ends a window. Returns what to try when this window should ask
    /// detection again (then call [`Watch::attempted`]), `None` otherwise.
    pub fn window_end(&mut self) -> Option<Attempt<'_>> {
        self.close(WINDOW_REJECTS)
    }

    /// Ends the chunk's last window, which may be short: a chunk smaller
    /// than a window (a small file, the tail of a large one) is judged by
    /// the same share of rejected lines, once it has a few.
    pub fn chunk_end(&mut self) -> Option<Attempt<'_>> {
        if self.seen < MIN_LAST_WINDOW {
            return None;
        }
        let share = (u64::from(self.seen) * u64::from(WINDOW_REJECTS)).div_ceil(u64::from(WINDOW));
        self.close(u32::try_from(share).unwrap_or(WINDOW_REJECTS))
    }

    fn close(&mut self, rejects_due: u32) -> Option<Attempt<'_>> {
        let due = self.enabled && self.rejected >= rejects_due;
        self.seen = 0;
        self.rejected = 0;
        if !due {
            // The format reads this region: its rejects are broken lines.
            self.pending.clear();
            self.window_start = 0;
            return None;
        }
        if self.wait > 0 {
            self.wait -= 1;
            self.window_start = self.pending.len();
            return None;
        }
        let sample = self.pending.get(self.window_start..)?;
        let sample = &sample[sample.len().saturating_sub(SAMPLE_LINES)..];
        Some(Attempt {
            sample,
            pending: &self.pending,
        })
    }

    /// Records the outcome of an attempt: a switch starts afresh, a failure
    /// waits twice as long as the last one before asking again.
    pub fn attempted(&mut self, switched: bool) {
        if switched {
            self.backoff = 1;
            self.wait = 0;
            self.pending.clear();
        } else {
            self.wait = self.backoff;
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        }
        self.window_start = self.pending.len();
    }
}

/// Fewer rejected lines than this say nothing about another layout.
const MIN_REJECTED_SAMPLE: usize = 4;

/// The format that reads `rejected`, lines the formats in use could not
/// read, if one reads most of them and is none of `in_use`. A format that
/// also reads `read_well`, a line the first format read, is a looser
/// reading of the same layout (`common` of a combined log's damaged
/// lines), not another layout, and is not proposed.
pub fn reads_rejected(
    rejected: &[&[u8]],
    in_use: &[&dyn LogFormat],
    read_well: Option<&[u8]>,
) -> Option<&'static dyn LogFormat> {
    if rejected.len() < MIN_REJECTED_SAMPLE {
        return None;
    }
    let next = detect_lines(rejected).format?;
    if in_use.iter().any(|f| f.name() == next.name()) {
        return None;
    }
    let looser = read_well.is_some_and(|l| next.parse(l, &mut ParseContext::default()).is_ok());
    (!looser).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMON: &str = r#"1.2.3.4 - bob [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#;
    const COMBINED: &str =
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "curl/8""#;
    const VHOST: &str = r#"www.example.edu:443 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "curl/8""#;

    fn name(text: &str) -> Option<&'static str> {
        detect(text.as_bytes(), true).format.map(|f| f.name())
    }

    #[test]
    fn picks_the_most_specific_format_that_parses() {
        assert_eq!(name(&format!("{COMMON}\n{COMMON}\n")), Some("common"));
        assert_eq!(name(&format!("{COMBINED}\n{COMBINED}\n")), Some("combined"));
        assert_eq!(
            name(&format!("{VHOST}\n{VHOST}\r\n")),
            Some("vhost_combined")
        );
    }

    #[test]
    fn a_few_bad_lines_do_not_change_the_choice() {
        let text = format!("# comment\n\n{COMBINED}\ngarbage\n{COMBINED}\n{COMBINED}\n");
        let d = detect(text.as_bytes(), true);
        assert_eq!(d.format.map(|f| f.name()), Some("combined"));
        assert_eq!(d.sampled, 4);
        assert_eq!(d.parsed, 3);
    }

    #[test]
    fn one_broken_tail_does_not_demote_a_specific_format() {
        // The referrer's closing quote is missing: `combined` rejects the
        // line, `common` (which ignores what follows the size) accepts it.
        let broken = COMBINED.replacen(r#""-" "#, r#""http://a.example/ "#, 1);
        let text = format!("{COMBINED}\n{broken}\n{COMBINED}\n");
        let d = detect(text.as_bytes(), true);
        assert_eq!(d.format.map(|f| f.name()), Some("combined"));
        assert_eq!((d.sampled, d.parsed), (3, 2));
        // Many more lines that only the looser format reads still decide.
        let text = format!("{COMBINED}\n{}", format!("{COMMON}\n").repeat(5));
        assert_eq!(name(&text), Some("common"));
        // A format that reads nothing is never chosen for its order.
        assert_eq!(name(&format!("{COMMON}\n")), Some("common"));
    }

    #[test]
    fn fields_explained_outweigh_lines_accepted() {
        // 7 of 200 lines damaged inside the referrer: by parse rate alone
        // `common` (200 of 200) beat `combined` (193) and every agent was
        // lost; by fields explained `combined` wins.
        let agent = r#""https://www.example.edu/" "Mozilla/5.0 (X11; Linux x86_64)""#;
        let good = COMBINED.replace(r#""-" "curl/8""#, agent);
        let bad = good.replacen(r#"/" "#, r#"/ "#, 1);
        let text: String = (0..200)
            .map(|n| if n % 29 == 0 { &bad } else { &good })
            .map(|l| format!("{l}\n"))
            .collect();
        let d = detect(text.as_bytes(), true);
        assert_eq!(d.format.map(|f| f.name()), Some("combined"));
        assert_eq!((d.sampled, d.parsed), (200, 193));
        // Agents cut at the end of the line are read, not rejected.
        let cut = &good[..good.len() - 1];
        let text = format!("{good}\n{cut}\n{good}\n");
        let d = detect(text.as_bytes(), true);
        assert_eq!(d.format.map(|f| f.name()), Some("combined"));
        assert_eq!((d.sampled, d.parsed), (3, 3));
    }

    #[test]
    fn a_few_common_lines_among_combined_ones_are_combined() {
        // Jetty's NCSA log writes some requests without referrer and agent.
        let text = format!("{COMMON}\n{}", format!("{COMBINED}\n").repeat(4));
        let d = detect(text.as_bytes(), true);
        assert_eq!(d.format.map(|f| f.name()), Some("combined"));
        assert_eq!(d.parsed, 5);
    }

    #[test]
    fn extended_layouts_are_combined() {
        for line in [
            r#" 192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01" 400 150 "-" "-" 80"#,
            r#"_ 192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 9 "-" "curl/8" 443"#,
            r#"192.0.2.1 - - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 9 "-" "curl/8" "-""#,
        ] {
            assert_eq!(
                name(&format!("{line}\n{line}\n")),
                Some("combined"),
                "{line}"
            );
        }
        let caddy = r#"2001:db8::1 - [31/Aug/2015:15:59:14 +0100] "GET / HTTP/1.1" 200 8422"#;
        assert_eq!(name(&format!("{caddy}\n{caddy}\n")), Some("common"));
    }

    #[test]
    fn unknown_content_is_not_forced_into_a_format() {
        let d = detect(b"{\"json\": 1}\n{\"json\": 2}\n", true);
        assert!(d.format.is_none());
        assert_eq!(d.parse_rate(), 0.0);
    }

    #[test]
    fn cut_last_line_is_not_sampled_unless_complete() {
        let text = format!("{COMBINED}\n{}", &COMBINED[..20]);
        assert_eq!(detect(text.as_bytes(), false).sampled, 1);
        assert_eq!(detect(text.as_bytes(), true).sampled, 2);
    }

    fn reject(w: &mut Watch, line: u64) -> bool {
        w.rejected(Pending {
            range: (0, 0),
            line,
            reason: super::super::Reject::Malformed,
        })
    }

    #[test]
    fn a_watch_asks_only_about_mostly_rejected_windows_and_backs_off() {
        // The odd broken line: never asks.
        let mut w = Watch::new(true);
        for i in 0..WINDOW {
            let done = if i % 8 == 0 {
                reject(&mut w, i.into())
            } else {
                w.parsed()
            };
            assert_eq!(done, i + 1 == WINDOW);
        }
        assert!(w.window_end().is_none());
        // A window a quarter rejected asks, with its rejects as the sample.
        for i in 0..WINDOW {
            if i < WINDOW_REJECTS {
                reject(&mut w, i.into())
            } else {
                w.parsed()
            };
        }
        let a = w.window_end().expect("asks");
        assert_eq!(a.sample.len(), WINDOW_REJECTS as usize);
        w.attempted(false);
        // Found nothing: the next window waits, the one after asks again
        // with every reject kept since, and then it waits twice as long.
        let mut asked = Vec::new();
        for window in 0..6 {
            for i in 0..WINDOW {
                reject(&mut w, u64::from(window * WINDOW + i));
            }
            let a = w.window_end();
            asked.push(a.as_ref().map(|a| (a.sample.len(), a.pending.len())));
            if a.is_some() {
                w.attempted(false);
            }
        }
        let w64 = WINDOW as usize;
        let q = WINDOW_REJECTS as usize;
        assert_eq!(
            asked,
            [
                None,
                Some((w64, q + 2 * w64)),
                None,
                None,
                Some((w64, q + 5 * w64)),
                None
            ]
        );
        // Disabled (a named format): never asks, keeps nothing.
        let mut w = Watch::new(false);
        for i in 0..WINDOW {
            reject(&mut w, i.into());
        }
        assert!(w.window_end().is_none());
    }

    #[test]
    fn rejected_lines_are_judged_by_themselves() {
        let json = br#"{"remote_addr":"192.0.2.1","time":"2024-10-10T14:00:00Z","request":"GET / HTTP/1.1","status":200,"bytes":5}"#;
        let lines: Vec<&[u8]> = vec![json; 20];
        let combined: &dyn LogFormat = &super::super::combined::Combined;
        assert_eq!(
            reads_rejected(&lines, &[combined], Some(COMBINED.as_bytes())).map(|f| f.name()),
            Some("json")
        );
        // A format in use is never proposed again, nor is one for junk,
        // nor one for too few lines.
        let json_format = reads_rejected(&lines, &[combined], None).unwrap();
        assert!(reads_rejected(&lines, &[combined, json_format], None).is_none());
        assert!(reads_rejected(&[&b"junk"[..]; 20], &[combined], None).is_none());
        assert!(reads_rejected(&lines[..3], &[combined], None).is_none());
        // Damaged combined lines that `common` reads: a looser reading of
        // the same layout, not another one.
        let damaged = COMBINED.replacen(r#""-" "#, r#""http://a.example/ "#, 1);
        let damaged: Vec<&[u8]> = vec![damaged.as_bytes(); 10];
        assert_eq!(
            reads_rejected(&damaged, &[combined], None).map(|f| f.name()),
            Some("common"),
            "without a line read well to compare"
        );
        assert!(
            reads_rejected(&damaged, &[combined], Some(COMBINED.as_bytes())).is_none(),
            "common reads the good line too"
        );
    }
}
