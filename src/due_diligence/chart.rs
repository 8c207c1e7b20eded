//! A small bar chart of a contract's open and overdue cases over time, drawn on the server as
//! inline SVG (no script, no external chart service). A pure function from a series to an SVG
//! string: every text in it is escaped here, so a page may include the result as it is.

use std::fmt::Write;

/// One point of the series: the cases open and overdue at the end of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// The period's label on the horizontal axis (a date).
    pub label: String,
    pub open: i64,
    pub overdue: i64,
}

/// The chart's words, in the viewer's language.
#[derive(Debug, Clone)]
pub struct Words<'a> {
    /// The id prefix of the title and description (unique in the page).
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub open: &'a str,
    pub overdue: &'a str,
    /// The vertical axis's label (a number of cases).
    pub y_axis: &'a str,
}

const WIDTH: i64 = 640;
const HEIGHT: i64 = 240;
const LEFT: i64 = 48;
const RIGHT: i64 = 12;
const TOP: i64 = 28;
const BOTTOM: i64 = 40;

/// Text made safe inside SVG (element content and attribute values).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The chart of `bars`: for each period an "open" bar and an "overdue" bar beside it, a legend
/// naming both in words (the colours are not the only cue: the bars also differ in pattern of
/// placement and each carries its own <title> with the figure), axis labels, and a <title> and
/// <desc> the image is labelled by.
pub fn svg(bars: &[Bar], words: &Words) -> String {
    let id = escape(words.id);
    let max = bars
        .iter()
        .map(|b| b.open.max(b.overdue))
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / (bars.len().max(1) as i64);
    let bar_w = ((slot - 4) / 2).max(1);
    let y = |v: i64| TOP + plot_h - v * plot_h / max;
    let mut s = String::new();
    // `write!` to a String cannot fail.
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" class="chart">"#
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(words.title),
        escape(words.desc)
    );
    // Legend.
    let _ = write!(
        s,
        r##"<g class="legend"><rect x="{LEFT}" y="6" width="12" height="12" fill="#1d5fa8"/><text x="{}" y="16" font-size="12">{}</text><rect x="{}" y="6" width="12" height="12" fill="#b3261e"/><text x="{}" y="16" font-size="12">{}</text></g>"##,
        LEFT + 16,
        escape(words.open),
        LEFT + 120,
        LEFT + 136,
        escape(words.overdue)
    );
    // Axes: zero and the highest figure on the vertical one, with its label.
    let _ = write!(
        s,
        r##"<g class="axes" stroke="#555"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}"/><line x1="{LEFT}" y1="{}" x2="{}" y2="{}"/></g>"##,
        TOP + plot_h,
        TOP + plot_h,
        LEFT + plot_w,
        TOP + plot_h
    );
    let _ = write!(
        s,
        r#"<g class="y-axis" font-size="11" text-anchor="end"><text x="{}" y="{}">0</text><text x="{}" y="{}">{max}</text><text x="12" y="{}" transform="rotate(-90 12 {})" text-anchor="middle">{}</text></g>"#,
        LEFT - 4,
        TOP + plot_h + 4,
        LEFT - 4,
        TOP + 4,
        TOP + plot_h / 2,
        TOP + plot_h / 2,
        escape(words.y_axis)
    );
    // Bars, and every other period's label (all of them when few) so that they do not overlap.
    let every = if bars.len() > 8 { 2 } else { 1 };
    s.push_str(r#"<g class="bars">"#);
    for (i, b) in bars.iter().enumerate() {
        let x = LEFT + i as i64 * slot + 2;
        for (class, value, fill, dx, word) in [
            ("open", b.open, "#1d5fa8", 0, words.open),
            ("overdue", b.overdue, "#b3261e", bar_w, words.overdue),
        ] {
            let top = y(value.max(0));
            let _ = write!(
                s,
                r#"<rect class="bar {class}" x="{}" y="{top}" width="{bar_w}" height="{}" fill="{fill}"><title>{}: {} {value}</title></rect>"#,
                x + dx,
                TOP + plot_h - top,
                escape(&b.label),
                escape(word)
            );
        }
        if i % every == 0 || i + 1 == bars.len() {
            let _ = write!(
                s,
                r#"<text class="x-label" x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>"#,
                x + bar_w,
                TOP + plot_h + 14,
                escape(&b.label)
            );
        }
    }
    s.push_str("</g></svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words<'a>(title: &'a str) -> Words<'a> {
        Words {
            id: "cases-chart",
            title,
            desc: "Open and overdue cases per week",
            open: "Open",
            overdue: "Overdue",
            y_axis: "Cases",
        }
    }

    #[test]
    fn one_pair_of_bars_per_point_scaled_to_the_highest() {
        let bars: Vec<Bar> = (0..5)
            .map(|i| Bar {
                label: format!("2026-05-{:02}", i + 1),
                open: i,
                overdue: i / 2,
            })
            .collect();
        let svg = svg(&bars, &words("Cases over time"));
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-labelledby="cases-chart-title cases-chart-desc""#));
        assert!(svg.contains(r#"<title id="cases-chart-title">Cases over time</title>"#));
        assert!(svg.contains(r#"<desc id="cases-chart-desc">"#));
        assert_eq!(svg.matches(r#"class="bar open""#).count(), 5);
        assert_eq!(svg.matches(r#"class="bar overdue""#).count(), 5);
        assert_eq!(svg.matches(r#"class="x-label""#).count(), 5);
        // The highest figure (4) is the top of the vertical axis; a bar of 4 fills the plot.
        assert!(svg.contains(">4</text>"));
        let full = format!(r#"y="{TOP}" width="#);
        assert_eq!(svg.matches(&full).count(), 1, "{svg}");
        assert!(svg.contains("2026-05-05: Open 4"));
    }

    #[test]
    fn text_is_escaped() {
        let bars = [Bar {
            label: "<b>\"x\"&".into(),
            open: 1,
            overdue: 0,
        }];
        let svg = svg(&bars, &words("A & B <script>alert(1)</script>"));
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("A &amp; B &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("&lt;b&gt;&quot;x&quot;&amp;"));
    }

    #[test]
    fn an_empty_series_draws_axes_without_bars() {
        let svg = svg(&[], &words("Nothing"));
        assert_eq!(svg.matches("class=\"bar ").count(), 0);
        assert!(svg.contains(r#"role="img""#));
    }
}
