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
    let lines = sample_lines(head, complete);
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
            for line in &lines {
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
}
