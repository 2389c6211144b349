//! The report's two kinds of chart, drawn with `plotters` as inline SVG.
//!
//! [`ranked`] draws labelled horizontal bars (top pages, statuses,
//! clients, referrers, search terms); [`timeline`] draws bars over time,
//! each as wide as the span its row covers. Time bars rather than lines:
//! quiet hours are published as buckets of several hours, and a bar as
//! wide as its bucket shows that honestly where a line would invent the
//! hours in between.
//!
//! Trade-off: the SVG backend writes text as `<text>` elements for the
//! browser to set in its own sans-serif, so no font is bundled or read;
//! plotters only estimates text widths, which is why label areas are
//! sized from the longest label here. plotters escapes every text it
//! writes into the SVG, labels from the tables included.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::ReportError;

/// Width of every chart, in pixels (the page scales it down on narrow
/// screens).
const WIDTH: u32 = 960;

/// The colour of every bar: a test and the browser check look for it to
/// tell drawn marks from the chart's frame.
pub const BAR: RGBColor = RGBColor(0x4c, 0x72, 0xb0);

/// The colour of [`BAR`] as the SVG writes it.
pub const BAR_SVG: &str = "#4C72B0";

/// The colour of the light grid lines.
const GRID: RGBColor = RGBColor(0xee, 0xee, 0xee);

/// Longest label shown in full; longer ones are cut with an ellipsis.
const LABEL_CHARS: usize = 48;

/// A chart error, named by the chart's title.
fn failed(title: &str) -> impl Fn(String) -> ReportError + '_ {
    move |message| ReportError::Chart {
        chart: title.to_string(),
        message,
    }
}

/// Horizontal bars, one per `(label, value)`, the first at the top.
pub fn ranked(title: &str, unit: &str, items: &[(String, f64)]) -> Result<String, ReportError> {
    let n = items.len().max(1);
    let labels: Vec<String> = items.iter().map(|(l, _)| shorten(l)).collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let label_px = (longest as u32 * 7 + 16).clamp(60, 380);
    let height = (80 + 24 * n as u32).max(160);
    let max = items.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let mut svg = String::new();
    draw(&mut svg, (WIDTH, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(label_px)
            .build_cartesian_2d(0.0..nice_max(max), (0..n).into_segmented())
            .map_err(|e| e.to_string())?;
        let label_of = |v: &SegmentValue<usize>| match v {
            // Rows count up from the bottom; the first item is the top row.
            SegmentValue::CenterOf(row) | SegmentValue::Exact(row) => n
                .checked_sub(row + 1)
                .and_then(|i| labels.get(i))
                .cloned()
                .unwrap_or_default(),
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label_of)
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .light_line_style(GRID)
            .x_label_formatter(&|v| number(*v))
            .x_desc(unit)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(items.iter().enumerate().map(|(i, (_, v))| {
                let row = n - 1 - i;
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(row)),
                        (*v, SegmentValue::Exact(row + 1)),
                    ],
                    BAR.filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                bar
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
    .map_err(failed(title))?;
    Ok(svg)
}

/// Whether a timeline's axis labels show hours or only days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// Rows are hours (or buckets of hours).
    Hour,
    /// Rows are days.
    Day,
}

/// Bars over time: each `(start, seconds, value)` (start in seconds since
/// 1970 UTC) is a bar from `start` to `start + seconds`.
pub fn timeline(
    title: &str,
    unit: &str,
    grain: Grain,
    spans: &[(i64, i64, f64)],
) -> Result<String, ReportError> {
    let start = spans.iter().map(|s| s.0).min().unwrap_or(0) as f64;
    let end = spans
        .iter()
        .map(|s| s.0.saturating_add(s.1))
        .max()
        .unwrap_or(0) as f64;
    let end = if end > start { end } else { start + 3600.0 };
    let max = spans.iter().map(|s| s.2).fold(0.0, f64::max);
    let mut svg = String::new();
    draw(&mut svg, (WIDTH, 340), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(start..end, 0.0..nice_max(max))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|t| when(*t, grain))
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .light_line_style(GRID)
            .y_label_formatter(&|v| number(*v))
            .y_desc(unit)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(spans.iter().map(|&(at, secs, v)| {
                let mut bar = Rectangle::new(
                    [(at as f64, 0.0), (at.saturating_add(secs) as f64, v)],
                    BAR.filled(),
                );
                // Days get a visible gap; hours sit side by side.
                let gap = if grain == Grain::Day { 6 } else { 1 };
                bar.set_margin(0, 0, gap, gap);
                bar
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
    .map_err(failed(title))?;
    Ok(svg)
}

/// Runs `paint` on a white SVG canvas of `size` written into `svg`.
fn draw(
    svg: &mut String,
    size: (u32, u32),
    paint: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> Result<(), String>,
) -> Result<(), String> {
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    paint(&root)?;
    root.present().map_err(|e| e.to_string())
}

/// An axis end a little above the largest value, never zero (a range of
/// zero width has no scale).
fn nice_max(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.08
    } else {
        1.0
    }
}

/// A label cut to [`LABEL_CHARS`] characters.
fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_string();
    }
    let mut cut: String = label.chars().take(LABEL_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// A number for an axis: whole numbers as they are, large ones with k/M.
pub fn number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A time axis label (UTC, as the tables' times are).
fn when(t: f64, grain: Grain) -> String {
    let format = match grain {
        Grain::Hour => "%m-%d %H:%M",
        Grain::Day => "%Y-%m-%d",
    };
    chrono::DateTime::from_timestamp(t as i64, 0)
        .map(|d| d.format(format).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranked_bars_are_drawn_and_labels_escaped() {
        let items = vec![
            ("<script>alert(1)</script>".to_string(), 12.0),
            ("/".to_string(), 5.0),
        ];
        let svg = ranked("Top", "requests", &items).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches(BAR_SVG).count(), 2, "{svg}");
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
    }

    #[test]
    fn timeline_draws_a_bar_per_span_even_when_empty_or_flat() {
        let svg = timeline(
            "T",
            "req/h",
            Grain::Hour,
            &[(0, 3600, 3.0), (3600, 7200, 0.5)],
        )
        .unwrap();
        assert_eq!(svg.matches(BAR_SVG).count(), 2, "{svg}");
        assert!(timeline("T", "x", Grain::Day, &[]).is_ok());
        assert!(ranked("T", "x", &[("a".into(), 0.0)]).is_ok());
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(shorten(&"a".repeat(100)).chars().count(), LABEL_CHARS);
        assert_eq!(number(12345.0), "12k");
        assert_eq!(number(7.0), "7");
    }
}
