//! `--format html`: one self-contained incident page for `report` and `timeline`.
//!
//! Everything is inline: the CSS in a `<style>`, the charts as SVG drawn here, no script, no
//! font, no image, and a Content-Security-Policy meta that forbids every load (`default-src
//! 'none'`), so the file can be mailed or attached and opened anywhere, JavaScript or not.
//! Every byte that came from a log goes through [`esc`] (control bytes shown as escapes by
//! the crate's one escaper, then the five HTML metacharacters as entities).
//!
//! The page grows with what it shows, never with the records behind it: at most
//! [`DETAIL_GROUPS`] groups get a card with a latency chart (every shown group still gets a
//! table row), a chart has at most [`CHART_COLUMNS`] columns and [`CHART_SERIES`] lines, a
//! latency chart has [`LATENCY_EDGES_US`]`.len()` bars, and a group has at most
//! `SAMPLES_PER_GROUP` samples. Colours come with dash patterns and numbered labels, so a
//! greyscale print still tells the lines apart.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{ReportRenderer, human_bytes, human_us, percent};
use crate::dims::Dim;
use crate::histogram::Histogram;
use crate::report::{GroupReport, InputHealth, Report};
use crate::time::rfc3339;
use crate::timeline::TimelineView;

/// Most columns of a time chart; more buckets are summed into columns of equal width.
pub const CHART_COLUMNS: usize = 240;

/// Most lines in a time chart (the top groups or series).
pub const CHART_SERIES: usize = 6;

/// Most groups given a detail card (meaning, latency chart, samples); the rest of the shown
/// groups keep their table row.
pub const DETAIL_GROUPS: usize = 50;

/// Lower edges of the latency chart's bars, in µs (the last bar is open-ended).
pub const LATENCY_EDGES_US: [u64; 20] = [
    0,
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
];

/// Most group (or series) rows in a table; `--format csv` lists every one.
pub const TABLE_GROUPS: usize = 500;

/// The policy: nothing loads, inline style only, images only from `data:`.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// Line colours (Okabe-Ito, safe for colour blindness), paired with [`DASHES`].
const COLOURS: [&str; CHART_SERIES] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
];

/// Dash patterns of the lines: each line differs in pattern as well as colour.
const DASHES: [&str; CHART_SERIES] = ["", "9 4", "2 3", "12 3 2 3", "5 5", "1 5"];

/// The page for `report`; `command` is the command line shown in the header.
#[derive(Clone, Debug, Default)]
pub struct HtmlRenderer {
    /// The command line that made the report, as the user would retype it.
    pub command: String,
}

impl ReportRenderer for HtmlRenderer {
    fn report(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(report_page(report, &self.command).as_bytes())
    }
}

/// Text for HTML, in an element or a quoted attribute: control and bidi characters shown as
/// escapes ([`crate::escape::text`]), then `& < > " '` as entities.
pub fn esc(s: &str) -> Cow<'_, str> {
    let shown = crate::escape::text(s);
    if !shown.contains(['&', '<', '>', '"', '\'']) {
        return shown;
    }
    let mut out = String::with_capacity(shown.len() + 16);
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Most characters of one value from the logs shown (a path, a trace id, a service name): a
/// longer one is cut with `…`, so that the page's size does not depend on line lengths.
pub const MAX_TEXT: usize = 200;

/// `s` cut to [`MAX_TEXT`] characters, with `…` when it was longer.
pub fn clip(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => Cow::Owned(format!("{}…", &s[..at])),
        None => Cow::Borrowed(s),
    }
}

/// A value from the logs for the page: clipped ([`clip`]) and escaped ([`esc`]).
pub fn text(s: &str) -> Cow<'_, str> {
    Cow::Owned(esc(&clip(s)).into_owned())
}

/// A command line from its arguments, each quoted for a POSIX shell when it needs it.
pub fn command_line<I: IntoIterator<Item = String>>(args: I) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c);
    args.into_iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(safe) {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line of a time chart: a label, counts per bucket and the bucket of its onset.
#[derive(Clone, Debug)]
pub struct ChartSeries {
    /// What the line is (already plain text; escaped when drawn).
    pub label: String,
    /// Counts per bucket.
    pub values: Vec<u64>,
    /// Bucket index where the series rose, if it did.
    pub onset: Option<usize>,
}

/// A time chart: what is counted, bucket start times and the lines.
#[derive(Clone, Debug)]
pub struct TimeChart<'a> {
    /// Id prefix for the chart's elements (unique in the page).
    pub id: &'a str,
    /// What a value counts (`errors`, `requests`).
    pub unit: &'a str,
    /// Start of every bucket, RFC 3339 (one per value of each series).
    pub times: Vec<String>,
    /// Bucket size in seconds.
    pub bucket_seconds: f64,
    /// The lines, at most [`CHART_SERIES`] are drawn.
    pub series: Vec<ChartSeries>,
}

/// Sums `values` into columns of `per` buckets.
fn to_columns(values: &[u64], per: usize) -> Vec<u64> {
    values.chunks(per.max(1)).map(|c| c.iter().sum()).collect()
}

/// `HH:MM` of an RFC 3339 time (the whole text if it is short).
fn clock(t: &str) -> &str {
    t.get(11..16).unwrap_or(t)
}

/// `2025-11-24 10:42:00` of an RFC 3339 time.
fn short(t: &str) -> String {
    super::short_time(t)
}

fn seconds_text(s: f64) -> String {
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{}h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{}min", s / 60.0)
    } else {
        format!("{s}s")
    }
}

/// The SVG of a time chart: one polyline per series (colour, dash pattern and a numbered
/// label at its peak), a dashed vertical mark at each onset, axes with counts and times,
/// and a `<title>` tooltip per series, per onset and per non-empty column.
pub fn time_chart(chart: &TimeChart) -> String {
    const W: f64 = 900.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 56.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 22.0;
    const BOTTOM: f64 = 34.0;
    let buckets = chart.times.len();
    let per = buckets.div_ceil(CHART_COLUMNS).max(1);
    let series: Vec<&ChartSeries> = chart.series.iter().take(CHART_SERIES).collect();
    let cols: Vec<Vec<u64>> = series.iter().map(|s| to_columns(&s.values, per)).collect();
    let n = buckets.div_ceil(per).max(1);
    let max = cols.iter().flatten().copied().max().unwrap_or(0).max(1);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let step = if n > 1 { plot_w / (n - 1) as f64 } else { 0.0 };
    let x = |c: usize| LEFT + if n > 1 { c as f64 * step } else { plot_w / 2.0 };
    let y = |v: u64| TOP + plot_h - v as f64 / max as f64 * plot_h;
    let column_text = seconds_text(chart.bucket_seconds * per as f64);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart time\" id=\"{id}\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-labelledby=\"{id}-t\"><title id=\"{id}-t\">{unit} per {column_text} for {k} \
         series, {start} to {end}</title>",
        id = chart.id,
        unit = chart.unit,
        k = series.len(),
        start = esc(chart.times.first().map_or("", |t| t.as_str())),
        end = esc(chart.times.last().map_or("", |t| t.as_str())),
    );
    // Axes and grid: 0, half and the peak.
    let _ = write!(
        s,
        "<g class=\"axis\"><line x1=\"{LEFT}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{b}\"/>",
        b = TOP + plot_h,
        r = W - RIGHT
    );
    for v in [0, max / 2, max] {
        if v == max / 2 && (v == 0 || v == max) {
            continue;
        }
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{r}\" y2=\"{yy:.1}\"/>\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{v}</text>",
            yy = y(v),
            r = W - RIGHT,
            tx = LEFT - 6.0,
            ty = y(v) + 4.0
        );
    }
    let ticks = [0, n / 2, n - 1];
    for (k, &c) in ticks.iter().enumerate() {
        if k == 1 && (c == 0 || c == n - 1) {
            continue;
        }
        let Some(t) = chart.times.get(c * per) else {
            continue;
        };
        let anchor = match k {
            0 => "start",
            1 => "middle",
            _ => "end",
        };
        let _ = write!(
            s,
            "<text x=\"{xx:.1}\" y=\"{ty}\" text-anchor=\"{anchor}\">{label}</text>",
            xx = x(c),
            ty = H - 12.0,
            label = esc(clock(t))
        );
    }
    let _ = write!(
        s,
        "<text x=\"{LEFT}\" y=\"12\" class=\"unit\">{} per {column_text}</text></g>",
        chart.unit
    );
    // Hover columns: one transparent band per non-empty column with every line's count.
    s.push_str("<g class=\"hover\">");
    for c in 0..n {
        if cols.iter().all(|v| v.get(c).copied().unwrap_or(0) == 0) {
            continue;
        }
        let t = chart.times.get(c * per).map_or("", |t| t.as_str());
        let counts: Vec<String> = series
            .iter()
            .zip(&cols)
            .map(|(se, v)| format!("{}: {}", esc(&se.label), v.get(c).copied().unwrap_or(0)))
            .collect();
        let band = step.max(2.0);
        let _ = write!(
            s,
            "<rect x=\"{bx:.1}\" y=\"{TOP}\" width=\"{band:.1}\" height=\"{plot_h}\">\
             <title>{when} (+{column_text}): {counts}</title></rect>",
            bx = (x(c) - band / 2.0).max(0.0),
            when = esc(&short(t)),
            counts = counts.join("; ")
        );
    }
    s.push_str("</g>");
    for (i, (se, v)) in series.iter().zip(&cols).enumerate() {
        let total: u64 = se.values.iter().sum();
        let points: Vec<String> = v
            .iter()
            .enumerate()
            .map(|(c, &n)| format!("{:.1},{:.1}", x(c), y(n)))
            .collect();
        let dash = if DASHES[i].is_empty() {
            String::new()
        } else {
            format!(" stroke-dasharray=\"{}\"", DASHES[i])
        };
        let _ = write!(
            s,
            "<g class=\"series\" data-series=\"{k}\"><title>{k}. {label}: {total} {unit}</title>\
             <polyline points=\"{pts}\" fill=\"none\" stroke=\"{col}\" stroke-width=\"2\"{dash}/>",
            k = i + 1,
            label = esc(&se.label),
            unit = chart.unit,
            pts = points.join(" "),
            col = COLOURS[i]
        );
        // The number of the line at its peak, in a white disc.
        if let Some((pc, &pv)) = v.iter().enumerate().max_by_key(|(c, n)| (**n, n_rev(*c)))
            && pv > 0
        {
            let _ = write!(
                s,
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"8\" fill=\"#fff\" stroke=\"{col}\" \
                 stroke-width=\"2\"/><text class=\"num\" x=\"{cx:.1}\" y=\"{ty:.1}\" \
                 text-anchor=\"middle\">{k}</text>",
                cx = x(pc),
                cy = y(pv),
                ty = y(pv) + 4.0,
                col = COLOURS[i],
                k = i + 1
            );
        }
        s.push_str("</g>");
        if let Some(o) = se.onset.filter(|&o| o < buckets) {
            let c = o / per;
            let t = chart.times.get(o).map_or("", |t| t.as_str());
            let _ = write!(
                s,
                "<g class=\"onset\" data-series=\"{k}\"><title>onset of {k}. {label}: {when}</title>\
                 <line x1=\"{ox:.1}\" y1=\"{TOP}\" x2=\"{ox:.1}\" y2=\"{b}\" stroke=\"{col}\" \
                 stroke-dasharray=\"3 3\"/><text x=\"{tx:.1}\" y=\"{ty:.1}\" fill=\"{col}\">\
                 ▼{k}</text></g>",
                k = i + 1,
                label = esc(&se.label),
                when = esc(&short(t)),
                ox = x(c),
                b = TOP + plot_h,
                col = COLOURS[i],
                tx = x(c) + 2.0,
                ty = TOP + 11.0 + i as f64 * 12.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Ties at the peak go to the earliest column.
fn n_rev(c: usize) -> std::cmp::Reverse<usize> {
    std::cmp::Reverse(c)
}

/// The legend of a time chart: a table of the lines with their pattern, total and onset.
pub fn chart_legend(chart: &TimeChart) -> String {
    let mut s = String::from(
        "<table class=\"legend\"><caption>Lines of the chart</caption><thead><tr>\
         <th scope=\"col\">line</th><th scope=\"col\">series</th>\
         <th scope=\"col\" class=\"n\">total</th><th scope=\"col\" class=\"n\">peak</th>\
         <th scope=\"col\">onset</th></tr></thead><tbody>",
    );
    for (i, se) in chart.series.iter().take(CHART_SERIES).enumerate() {
        let dash = if DASHES[i].is_empty() {
            String::new()
        } else {
            format!(" stroke-dasharray=\"{}\"", DASHES[i])
        };
        let onset = se
            .onset
            .and_then(|o| chart.times.get(o))
            .map_or_else(|| "–".to_string(), |t| esc(&short(t)).into_owned());
        let _ = write!(
            s,
            "<tr><td><svg width=\"46\" height=\"14\" viewBox=\"0 0 46 14\" aria-hidden=\"true\">\
             <line x1=\"2\" y1=\"7\" x2=\"44\" y2=\"7\" stroke=\"{col}\" stroke-width=\"2\"{dash}/>\
             </svg> {k}</td><td>{label}</td><td class=\"n\">{total}</td><td class=\"n\">{peak}</td>\
             <td>{onset}</td></tr>",
            col = COLOURS[i],
            k = i + 1,
            label = esc(&se.label),
            total = se.values.iter().sum::<u64>(),
            peak = se.values.iter().copied().max().unwrap_or(0),
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// Counts of a histogram (values in µs) in the bars of [`LATENCY_EDGES_US`]. A histogram
/// bucket (about 1% wide) is placed by its largest value, so a value on an edge lands in the
/// bar that starts there; a bucket that straddles an edge counts to the upper bar.
pub fn latency_bins(h: &Histogram) -> [u64; LATENCY_EDGES_US.len()] {
    let mut bins = [0u64; LATENCY_EDGES_US.len()];
    for (index, n) in h.buckets() {
        let v = Histogram::bucket_lower_bound(index + 1).saturating_sub(1);
        let bin = LATENCY_EDGES_US
            .partition_point(|&e| e <= v)
            .saturating_sub(1);
        bins[bin] += n;
    }
    bins
}

fn edge_text(us: u64) -> String {
    match us {
        0..=999 => format!("{us}µs"),
        1_000..=999_999 => format!("{}ms", us / 1_000),
        _ => format!("{}s", us / 1_000_000),
    }
}

/// A small bar chart of a latency distribution on fixed log-spaced bins (the same for every
/// group, so charts compare), with p50 and p99 marked and a tooltip per bar.
pub fn latency_chart(h: &Histogram, p50: u64, p99: u64) -> String {
    const BAR: f64 = 14.0;
    const H: f64 = 70.0;
    const TOP: f64 = 14.0;
    let bins = latency_bins(h);
    let max = bins.iter().copied().max().unwrap_or(0).max(1);
    let w = BAR * bins.len() as f64;
    let bin_of = |v: u64| {
        LATENCY_EDGES_US
            .partition_point(|&e| e <= v)
            .saturating_sub(1)
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart latency\" viewBox=\"0 0 {vw} {vh}\" width=\"{vw}\" height=\"{vh}\" \
         role=\"img\"><title>Latency distribution of {count} requests: p50 {p50t}, p99 {p99t}\
         </title>",
        vw = w + 2.0,
        vh = H + TOP + 16.0,
        count = h.count(),
        p50t = human_us(p50),
        p99t = human_us(p99)
    );
    for (i, &n) in bins.iter().enumerate() {
        let lo = edge_text(LATENCY_EDGES_US[i]);
        let range = match LATENCY_EDGES_US.get(i + 1) {
            Some(&hi) => format!("{lo}–{}", edge_text(hi)),
            None => format!("≥ {lo}"),
        };
        let bh = if n == 0 {
            0.0
        } else {
            (n as f64 / max as f64 * H).max(1.5)
        };
        let _ = write!(
            s,
            "<rect class=\"bin\" x=\"{bx:.1}\" y=\"{by:.1}\" width=\"{bw}\" height=\"{bh:.1}\">\
             <title>{range}: {n}</title></rect>",
            bx = i as f64 * BAR + 1.0,
            by = TOP + H - bh,
            bw = BAR - 2.0,
        );
    }
    let _ = write!(
        s,
        "<line class=\"base\" x1=\"0\" y1=\"{b}\" x2=\"{w}\" y2=\"{b}\"/>",
        b = TOP + H
    );
    let marks: Vec<(&str, usize)> = if bin_of(p50) == bin_of(p99) {
        vec![("p50 p99", bin_of(p50))]
    } else {
        vec![("p50", bin_of(p50)), ("p99", bin_of(p99))]
    };
    let adjacent = bin_of(p99) == bin_of(p50) + 1;
    for (label, bin) in marks {
        let mx = bin as f64 * BAR + BAR / 2.0;
        // Labels of neighbouring bars lean apart so that they do not overlap.
        let anchor = if adjacent {
            if label == "p50" { "end" } else { "start" }
        } else if bin < 2 {
            "start"
        } else if bin + 2 >= bins.len() {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            s,
            "<line class=\"q\" x1=\"{mx:.1}\" y1=\"{t}\" x2=\"{mx:.1}\" y2=\"{b}\"/>\
             <text x=\"{mx:.1}\" y=\"10\" text-anchor=\"{anchor}\">{label}</text>",
            t = TOP - 2.0,
            b = TOP + H
        );
    }
    for i in [0, 4, 10, 16] {
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{tx:.1}\" y=\"{ty}\">{}</text>",
            edge_text(LATENCY_EDGES_US[i]),
            tx = i as f64 * BAR,
            ty = TOP + H + 12.0
        );
    }
    s.push_str("</svg>");
    s
}

/// A small horizontal bar for a table cell: `fraction` of the full width (clamped to 0..1),
/// with the exact figure as its tooltip; the figure is also printed beside it in the cell.
pub fn cell_bar(fraction: f64, tooltip: &str) -> String {
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    format!(
        "<svg class=\"bar\" width=\"60\" height=\"10\" viewBox=\"0 0 60 10\" role=\"img\">\
         <title>{}</title><rect class=\"track\" width=\"60\" height=\"10\"/>\
         <rect class=\"fill\" width=\"{:.1}\" height=\"10\"/></svg>",
        esc(tooltip),
        f * 60.0
    )
}

/// A latency's bar on a log scale up to `max` µs (latencies span orders of magnitude).
fn log_fraction(v: u64, max: u64) -> f64 {
    if max == 0 {
        0.0
    } else {
        ((v as f64) + 1.0).ln() / ((max as f64) + 1.0).ln()
    }
}

const STYLE: &str = "\
:root{color-scheme:light;--fg:#1a1a1a;--muted:#555;--line:#ccc;--bg:#fff;--band:#f4f4f4}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1180px;padding:16px 24px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid var(--fg);padding-bottom:2px}
h3{font-size:15px;margin:0 0 6px}
code,.mono{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace;font-size:12.5px}
.meta{color:var(--muted);margin:2px 0}.meta code{color:var(--fg);word-break:break-all}
nav a{margin-right:14px}
table{border-collapse:collapse;margin:6px 0 10px}
caption{text-align:left;color:var(--muted);font-size:12.5px;padding-bottom:3px}
th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{border-bottom:2px solid var(--fg);white-space:nowrap}
tbody tr:nth-child(even){background:var(--band)}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{vertical-align:middle;margin-left:6px}.bar .track{fill:#e6e6e6}.bar .fill{fill:#444}
.badge{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;border:1px solid}
.server{background:#fde2e2;border-color:#a40000;color:#700}
.client{background:#fff3d6;border-color:#8a6100;color:#5a3f00}
.ok,.benign{background:#e5f3e8;border-color:#2a6b35;color:#1d4a25}
.server::before{content:'\\25A0 '}.client::before{content:'\\25B2 '}.ok::before,.benign::before{content:'\\25CB '}
.status-ok{border-left:6px solid #2a6b35;padding:4px 10px;background:#e5f3e8}
.status-bad{border-left:6px double #a40000;padding:4px 10px;background:#fde2e2}
.chart{font-size:11px;fill:var(--fg)}
.chart.time{width:100%;height:auto;border:1px solid var(--line);background:#fff}
.axis line{stroke:#333}.axis .grid{stroke:#ddd;stroke-dasharray:2 2}.axis .unit{fill:var(--muted)}
.hover rect{fill:transparent}.hover rect:hover{fill:rgba(0,0,0,.06)}
.num{font-weight:700;font-size:11px}
.onset text{font-weight:700}
.latency .bin{fill:#5a5a5a}.latency .bin:hover{fill:#0072B2}.latency .base{stroke:#333}
.latency .q{stroke:#000;stroke-dasharray:2 2}.latency .tick{fill:var(--muted);font-size:10px}
.groups{width:100%}.t{white-space:nowrap}
.health{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.card{border:1px solid var(--line);border-radius:4px;padding:10px 14px;margin:10px 0;break-inside:avoid}
.card .cols{display:flex;flex-wrap:wrap;gap:18px}.card .cols>div{flex:1 1 320px}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
.card dt{color:var(--muted)}.card dd{margin:0}
.samples{width:100%}.samples td{font-size:12.5px;overflow-wrap:anywhere}.samples td.t{overflow-wrap:normal}
.legend td{white-space:nowrap}
footer{margin-top:32px;color:var(--muted);font-size:12px}
@media print{body{max-width:none;padding:0}nav,.hover{display:none}.card{break-inside:avoid}}
";

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"bsaudit {version}\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        version = env!("CARGO_PKG_VERSION"),
        title = esc(title)
    );
}

fn range_text(h: &InputHealth) -> String {
    match (h.first_seen, h.last_seen) {
        (Some(a), Some(b)) => format!(
            "<time datetime=\"{a}\">{a}</time> to <time datetime=\"{b}\">{b}</time>",
            a = rfc3339(a),
            b = rfc3339(b)
        ),
        _ => "no records".to_string(),
    }
}

fn header(out: &mut String, heading: &str, command: &str, h: &InputHealth, extra: &str) {
    let _ = write!(
        out,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">Command: <code>{}</code></p>\n\
         <p class=\"meta\">Records from {}{extra}</p>\n</header>\n",
        esc(heading),
        if command.is_empty() {
            Cow::Borrowed("(not recorded)")
        } else {
            esc(command)
        },
        range_text(h)
    );
}

fn nav(out: &mut String, links: &[(&str, &str)]) {
    out.push_str("<nav aria-label=\"Sections\">");
    for (id, text) in links {
        let _ = write!(out, "<a href=\"#{id}\">{text}</a>");
    }
    out.push_str("</nav>\n");
}

/// The input health section: the verdict, every count, malformed lines by reason and each
/// file not read in full.
fn health(out: &mut String, h: &InputHealth) {
    out.push_str("<section id=\"health\">\n<h2>Input health</h2>\n");
    let not_full = h.files_skipped + h.files_partial + h.files_vanished + h.files_replaced;
    if h.incomplete() {
        let _ = writeln!(
            out,
            "<p class=\"status-bad\"><strong>Incomplete input:</strong> {} of the files listed \
             were not read in full; the numbers below undercount.</p>",
            h.problems.len().max(not_full as usize)
        );
    } else {
        out.push_str(
            "<p class=\"status-ok\"><strong>Complete:</strong> every file listed was read in \
             full.</p>\n",
        );
    }
    out.push_str(
        "<div class=\"health\">\
         <table><caption>Files</caption><tbody>\n",
    );
    let rows: [(&str, String); 16] = [
        ("files read", h.files.to_string()),
        ("bytes scanned", human_bytes(h.bytes)),
        ("files skipped", h.files_skipped.to_string()),
        ("files partial", h.files_partial.to_string()),
        ("files vanished", h.files_vanished.to_string()),
        ("files replaced", h.files_replaced.to_string()),
        ("files moved", h.files_moved.to_string()),
        (
            "files outside the window",
            h.files_outside_window.to_string(),
        ),
        ("files ignored", h.files_ignored.to_string()),
        ("lines", h.lines.to_string()),
        ("records kept", h.records.to_string()),
        ("filtered out", h.filtered_out.to_string()),
        ("empty lines", h.empty_lines.to_string()),
        ("malformed lines", h.malformed.total.to_string()),
        ("oversized lines", h.oversized.to_string()),
        ("incomplete last lines", h.incomplete_tail.to_string()),
    ];
    // Files in one table, lines in the next, side by side.
    for (label, value) in rows {
        if label == "lines" {
            out.push_str("</tbody></table>\n<table><caption>Lines</caption><tbody>\n");
        }
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{label}</th><td class=\"n\">{value}</td></tr>"
        );
    }
    out.push_str(
        "</tbody></table>\n<table><caption>Malformed lines by reason</caption><thead><tr>\
         <th scope=\"col\">reason</th><th scope=\"col\" class=\"n\">lines</th></tr></thead>\
         <tbody>\n",
    );
    for (reason, n) in &h.malformed.by_reason {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{n}</td></tr>",
            esc(reason)
        );
    }
    out.push_str("</tbody></table></div>\n");
    if !h.problems.is_empty() {
        out.push_str(
            "<table><caption>Files not read in full</caption><thead><tr><th scope=\"col\">\
             file</th><th scope=\"col\">what</th><th scope=\"col\">detail</th></tr></thead>\
             <tbody>\n",
        );
        for p in &h.problems {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
                text(&super::problem_path(p)),
                esc(&p.kind),
                esc(&p.message)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
}

fn services(out: &mut String, r: &Report) {
    out.push_str("<section id=\"services\">\n<h2>Services</h2>\n");
    let max_rate = r
        .services
        .iter()
        .map(|s| s.error_rate)
        .fold(0.0f64, f64::max);
    let max_lat = r
        .services
        .iter()
        .map(|s| s.latency_us.max)
        .max()
        .unwrap_or(0);
    out.push_str(
        "<table class=\"services\"><caption>Most errors first. Error-rate bars are relative \
         to the highest rate; latency bars are on a log scale up to the slowest request.\
         </caption><thead><tr><th scope=\"col\">service</th><th scope=\"col\" class=\"n\">\
         requests</th><th scope=\"col\" class=\"n\">errors</th><th scope=\"col\">error rate\
         </th><th scope=\"col\">p50</th><th scope=\"col\">p99</th><th scope=\"col\">max</th>\
         </tr></thead><tbody>\n",
    );
    for s in r.services.iter().take(TABLE_GROUPS) {
        let name = text(&s.service);
        let rate = percent(s.error_rate);
        let lat = |label: &str, v: u64| {
            format!(
                "<td class=\"n\">{}{}</td>",
                human_us(v),
                cell_bar(
                    log_fraction(v, max_lat),
                    &format!("{} {label} {}", s.service, human_us(v))
                )
            )
        };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{name}</th><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{rate}{}</td>{}{}{}</tr>",
            s.requests,
            s.errors,
            cell_bar(
                if max_rate > 0.0 {
                    s.error_rate / max_rate
                } else {
                    0.0
                },
                &format!("{} error rate {rate}", s.service)
            ),
            lat("p50", s.latency_us.p50),
            lat("p99", s.latency_us.p99),
            lat("max", s.latency_us.max),
        );
    }
    out.push_str("</tbody></table>\n");
    if r.services.len() > TABLE_GROUPS {
        let _ = writeln!(
            out,
            "<p>{} more services are not in this page.</p>",
            r.services.len() - TABLE_GROUPS
        );
    }
    out.push_str("</section>\n");
}

fn group_label(r: &Report, g: &GroupReport) -> String {
    r.by.iter()
        .map(|&d| match d {
            Dim::Service | Dim::Code => g.value(d),
            _ => format!("{}={}", d.as_str(), g.value(d)),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn report_chart(r: &Report) -> Option<TimeChart<'static>> {
    let span = r.span?;
    let series: Vec<ChartSeries> = r
        .groups
        .iter()
        .filter(|g| !g.series.is_empty())
        .take(CHART_SERIES)
        .map(|g| ChartSeries {
            label: clip(&group_label(r, g)).into_owned(),
            values: g.series.clone(),
            onset: g.onset.and_then(|t| {
                usize::try_from(t.saturating_sub(span.start_ns(0)) / span.bucket_ns.max(1)).ok()
            }),
        })
        .collect();
    if series.is_empty() {
        return None;
    }
    Some(TimeChart {
        id: "errors-chart",
        unit: "records",
        times: (0..span.len).map(|i| rfc3339(span.start_ns(i))).collect(),
        bucket_seconds: span.bucket_ns as f64 / 1e9,
        series,
    })
}

fn class_badge(c: Option<crate::codes::Class>) -> String {
    match c {
        Some(c) => format!("<span class=\"badge {c}\">{c}</span>"),
        None => String::new(),
    }
}

/// The day of a time, when the whole input lies in that one UTC day.
fn one_day(h: &InputHealth) -> Option<String> {
    let day = |t: i64| rfc3339(t).get(..10).map(str::to_string);
    let (a, b) = (day(h.first_seen?)?, day(h.last_seen?)?);
    (a == b).then_some(a)
}

fn groups(out: &mut String, r: &Report) {
    let has_code = r.by.contains(&Dim::Code);
    let day = one_day(&r.input);
    // Within one day the time of day is enough; the caption names the day.
    let time = |t: i64| {
        let full = short(&rfc3339(t));
        match &day {
            Some(_) => full.get(11..).unwrap_or(&full).to_string(),
            None => full,
        }
    };
    let _ = write!(
        out,
        "<section id=\"groups\">\n<h2>Top groups by {}</h2>\n<p>{} of {} groups, by count.{}</p>\n",
        esc(&super::by_text(&r.by)),
        r.groups.len(),
        r.groups_total,
        if r.groups_folded > 0 {
            format!(
                " {} records of smaller groups are counted as “other”.",
                r.groups_folded
            )
        } else {
            String::new()
        }
    );
    let _ = write!(
        out,
        "<table class=\"groups\"><caption>Ranked groups; times in UTC{}</caption><thead><tr>\
         <th scope=\"col\" class=\"n\">#</th>",
        day.as_ref()
            .map_or_else(String::new, |d| format!(" on {d}"))
    );
    for d in &r.by {
        let _ = write!(out, "<th scope=\"col\">{}</th>", d.as_str());
    }
    out.push_str(
        "<th scope=\"col\" class=\"n\">count</th><th scope=\"col\" class=\"n\">share</th>",
    );
    if has_code {
        out.push_str("<th scope=\"col\">class</th><th scope=\"col\">message</th>");
    }
    out.push_str(
        "<th scope=\"col\" class=\"n\">p50</th><th scope=\"col\" class=\"n\">p99</th>\
         <th scope=\"col\" class=\"n\">max</th><th scope=\"col\">first seen</th>\
         <th scope=\"col\">last seen</th><th scope=\"col\">onset</th></tr></thead><tbody>\n",
    );
    for (i, g) in r.groups.iter().take(TABLE_GROUPS).enumerate() {
        let k = i + 1;
        let _ = write!(
            out,
            "<tr class=\"group\" id=\"group-row-{k}\"><th scope=\"row\" class=\"n\">{}</th>",
            if i < DETAIL_GROUPS {
                format!("<a href=\"#group-{k}\">{k}</a>")
            } else {
                k.to_string()
            }
        );
        for &d in &r.by {
            let _ = write!(out, "<td>{}</td>", text(&g.value(d)));
        }
        let _ = write!(
            out,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
            g.count,
            percent(g.share)
        );
        if has_code {
            let _ = write!(
                out,
                "<td>{}</td><td>{}</td>",
                class_badge(g.class),
                g.meaning
                    .as_ref()
                    .map_or(Cow::Borrowed("unknown"), |m| esc(&m.message))
            );
        }
        let _ = writeln!(
            out,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td></tr>",
            human_us(g.latency_us.p50),
            human_us(g.latency_us.p99),
            human_us(g.latency_us.max),
            time(g.first_seen),
            time(g.last_seen),
            g.onset.map_or_else(|| "–".to_string(), time)
        );
    }
    out.push_str("</tbody></table>\n");
    if r.groups.len() > TABLE_GROUPS {
        let _ = writeln!(
            out,
            "<p>{} more groups are not in this page: --format csv lists every one.</p>",
            r.groups.len() - TABLE_GROUPS
        );
    }
    for (i, g) in r.groups.iter().take(DETAIL_GROUPS).enumerate() {
        card(out, r, i + 1, g);
    }
    if r.groups.len() > DETAIL_GROUPS {
        let _ = writeln!(
            out,
            "<p>Groups after #{DETAIL_GROUPS} are in the table only.</p>"
        );
    }
    out.push_str("</section>\n");
}

fn card(out: &mut String, r: &Report, k: usize, g: &GroupReport) {
    let _ = write!(
        out,
        "<article class=\"card group-card\" id=\"group-{k}\">\n<h3>{k}. {}{} {}</h3>\n\
         <div class=\"cols\"><div><dl>",
        text(&group_label(r, g)),
        g.meaning
            .as_ref()
            .map_or_else(String::new, |m| format!(" “{}”", esc(&m.message))),
        class_badge(g.class)
    );
    match &g.meaning {
        Some(m) => {
            let _ = write!(
                out,
                "<dt>meaning</dt><dd>{}</dd><dt>check</dt><dd>{}</dd><dt>defined by</dt>\
                 <dd>{} ({})</dd>",
                esc(&m.description),
                if m.hint.is_empty() {
                    Cow::Borrowed("–")
                } else {
                    esc(&m.hint)
                },
                esc(&m.owner),
                m.origin.as_str()
            );
        }
        None if r.by.contains(&Dim::Code) => {
            out.push_str("<dt>meaning</dt><dd>not in the code table</dd>");
        }
        None => {}
    }
    let _ = writeln!(
        out,
        "<dt>records</dt><dd>{} ({} of the service)</dd><dt>seen</dt><dd>{} to {}</dd>\
         <dt>rising since</dt><dd>{}</dd><dt>response bytes</dt><dd>{}</dd></dl></div>",
        g.count,
        percent(g.share),
        short(&rfc3339(g.first_seen)),
        short(&rfc3339(g.last_seen)),
        g.onset.map_or_else(
            || "no onset (steady, or there from the start)".to_string(),
            |t| short(&rfc3339(t))
        ),
        human_bytes(g.resp_bytes)
    );
    let l = &g.latency_us;
    let _ = writeln!(
        out,
        "<div><table class=\"quantiles\"><caption>Latency</caption><thead><tr>\
         <th scope=\"col\">p50</th><th scope=\"col\">p90</th><th scope=\"col\">p99</th>\
         <th scope=\"col\">max</th><th scope=\"col\">mean</th></tr></thead><tbody><tr>\
         <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td class=\"n\">{}</td></tr></tbody></table>{}</div></div>",
        human_us(l.p50),
        human_us(l.p90),
        human_us(l.p99),
        human_us(l.max),
        human_us(l.mean.round() as u64),
        latency_chart(&g.histogram, l.p50, l.p99)
    );
    if !g.samples.is_empty() {
        out.push_str(
            "<table class=\"samples\"><caption>Earliest requests</caption><thead><tr>\
             <th scope=\"col\">trace id</th><th scope=\"col\">time</th><th scope=\"col\">\
             method</th><th scope=\"col\">path</th><th scope=\"col\">file:line</th></tr>\
             </thead><tbody>\n",
        );
        for s in &g.samples {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono t\">{}</td><td class=\"mono t\">{}</td><td>{}</td>\
                 <td class=\"mono\">{}</td><td class=\"mono\">{}:{}</td></tr>",
                s.trace_id.as_deref().map_or(Cow::Borrowed("–"), text),
                rfc3339(s.time),
                text(&s.method),
                text(&s.path),
                esc(&super::sample_file(s)),
                s.line
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</article>\n");
}

fn timeline_section(out: &mut String, id: &str, heading: &str, chart: Option<&TimeChart>) {
    let _ = write!(out, "<section id=\"{id}\">\n<h2>{heading}</h2>\n");
    match chart {
        Some(c) if c.series.len() == 1 && c.series.iter().all(|s| s.onset.is_none()) => {
            let _ = writeln!(
                out,
                "<figure>{}<figcaption>{}: {} in all, peak {} in one bucket. Hover a column \
                 for the counts.</figcaption></figure>",
                time_chart(c),
                esc(&c.series[0].label),
                c.series[0].values.iter().sum::<u64>(),
                c.series[0].values.iter().copied().max().unwrap_or(0)
            );
        }
        Some(c) => {
            let _ = write!(
                out,
                "<figure>{}<figcaption>Each line is numbered at its peak and drawn in its own \
                 colour and dash pattern; ▼ and a dashed vertical line mark where a line's \
                 rate rose (its onset). Hover a column for the counts.</figcaption></figure>\n{}\n",
                time_chart(c),
                chart_legend(c)
            );
        }
        None => out.push_str("<p>No time series: no records with a time, or the span is too long for per-bucket counts.</p>\n"),
    }
    out.push_str("</section>\n");
}

fn footer(out: &mut String, schema: &str) {
    let _ = write!(
        out,
        "<footer>Made by bsaudit {} ({schema}); a self-contained page: no scripts, fonts or \
         network loads.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
}

/// The whole report page.
pub fn report_page(r: &Report, command: &str) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let range = match (r.input.first_seen, r.input.last_seen) {
        (Some(a), Some(b)) => format!(": {} to {}", short(&rfc3339(a)), short(&rfc3339(b))),
        _ => String::new(),
    };
    head(&mut out, &format!("bsaudit report{range} UTC"));
    let chart = report_chart(r);
    let bucket = r
        .span
        .map(|s| format!("; buckets of {}", seconds_text(s.bucket_ns as f64 / 1e9)))
        .unwrap_or_default();
    header(
        &mut out,
        "BlobStore audit report",
        command,
        &r.input,
        &format!("{bucket}; {}", esc(&super::input_summary(&r.input))),
    );
    nav(
        &mut out,
        &[
            ("health", "Input health"),
            ("services", "Services"),
            ("timeline", "Errors over time"),
            ("groups", "Top groups"),
        ],
    );
    health(&mut out, &r.input);
    services(&mut out, r);
    timeline_section(
        &mut out,
        "timeline",
        "Records per bucket for the top groups",
        chart.as_ref(),
    );
    groups(&mut out, r);
    if !r.fail_on.is_empty() {
        out.push_str("<section id=\"fail-on\">\n<h2>--fail-on rules</h2>\n<ul>\n");
        for line in super::fail_on::lines(&r.fail_on) {
            let line = line.strip_prefix("bsaudit: ").unwrap_or(&line);
            let _ = writeln!(out, "<li><code>{}</code></li>", esc(line));
        }
        out.push_str("</ul>\n</section>\n");
    }
    footer(&mut out, crate::report::SCHEMA);
    out
}

/// Writes the report page.
pub fn report(r: &Report, command: &str, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(report_page(r, command).as_bytes())
}

fn series_label(s: &crate::timeline::SeriesView) -> String {
    match s.code {
        Some(code) => format!("{} {code}", s.service),
        None => s.service.clone(),
    }
}

/// The whole timeline page: input health, a chart of the traffic, a chart of errors for the
/// busiest series with their onsets, and a table of the series.
pub fn timeline_page(view: &TimelineView, h: &InputHealth, command: &str) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let range = match (h.first_seen, h.last_seen) {
        (Some(a), Some(b)) => format!(": {} to {}", short(&rfc3339(a)), short(&rfc3339(b))),
        _ => String::new(),
    };
    head(&mut out, &format!("bsaudit timeline{range} UTC"));
    header(
        &mut out,
        "BlobStore audit timeline",
        command,
        h,
        &format!(
            "; {} buckets of {}; {}",
            view.buckets,
            seconds_text(view.bucket_seconds),
            esc(&super::input_summary(h))
        ),
    );
    nav(
        &mut out,
        &[
            ("health", "Input health"),
            ("traffic", "Requests"),
            ("timeline", "Errors over time"),
            ("series", "Series"),
        ],
    );
    health(&mut out, h);
    let times: Vec<String> = view
        .series
        .first()
        .map(|s| s.points.iter().map(|p| p.t.clone()).collect())
        .unwrap_or_default();
    let traffic = (!view.total.is_empty()).then(|| TimeChart {
        id: "traffic-chart",
        unit: "requests",
        times: times.clone(),
        bucket_seconds: view.bucket_seconds,
        series: vec![ChartSeries {
            label: "all requests".to_string(),
            values: view.total.clone(),
            onset: None,
        }],
    });
    timeline_section(&mut out, "traffic", "Requests per bucket", traffic.as_ref());
    let with_errors: Vec<_> = view.series.iter().filter(|s| s.errors > 0).collect();
    let shown = if view.top == 0 {
        with_errors.len()
    } else {
        view.top.min(with_errors.len())
    }
    .min(TABLE_GROUPS);
    let errors_of = |s: &crate::timeline::SeriesView| -> Vec<u64> {
        s.points.iter().map(|p| p.errors).collect()
    };
    let chart_series: Vec<ChartSeries> = with_errors
        .iter()
        .take(shown.min(CHART_SERIES))
        .map(|s| {
            let values = errors_of(s);
            ChartSeries {
                label: clip(&series_label(s)).into_owned(),
                onset: crate::report::trend::onset(&values),
                values,
            }
        })
        .collect();
    let errors = (!chart_series.is_empty()).then(|| TimeChart {
        id: "errors-chart",
        unit: "errors",
        times: times.clone(),
        bucket_seconds: view.bucket_seconds,
        series: chart_series,
    });
    timeline_section(
        &mut out,
        "timeline",
        "Errors per bucket for the busiest series",
        errors.as_ref(),
    );
    out.push_str(
        "<section id=\"series\">\n<h2>Series</h2>\n<table class=\"groups\"><caption>Every \
         series with errors, most errors first; onset by the report's rule</caption><thead>\
         <tr><th scope=\"col\" class=\"n\">#</th><th scope=\"col\">service</th>\
         <th scope=\"col\">code</th><th scope=\"col\">class</th><th scope=\"col\" class=\"n\">\
         requests</th><th scope=\"col\" class=\"n\">errors</th><th scope=\"col\" class=\"n\">\
         peak errors</th><th scope=\"col\">onset</th></tr></thead><tbody>\n",
    );
    for (i, s) in with_errors.iter().take(shown).enumerate() {
        let values = errors_of(s);
        let onset = crate::report::trend::onset(&values)
            .and_then(|o| s.points.get(o))
            .map_or_else(|| "–".to_string(), |p| esc(&short(&p.t)).into_owned());
        let _ = writeln!(
            out,
            "<tr class=\"group\" id=\"group-row-{k}\"><th scope=\"row\" class=\"n\">{k}</th>\
             <td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{onset}</td></tr>",
            text(&s.service),
            s.code.map(|c| c.to_string()).unwrap_or_default(),
            class_badge(s.class),
            s.requests,
            s.errors,
            values.iter().copied().max().unwrap_or(0),
            k = i + 1
        );
    }
    out.push_str("</tbody></table>\n");
    let without = view.series.len() - with_errors.len();
    if shown < with_errors.len() || without > 0 {
        let _ = writeln!(
            out,
            "<p>{} more series with errors not listed (--top 0 lists up to {TABLE_GROUPS}); \
             {without} series without errors; --format csv has every series.</p>",
            with_errors.len() - shown
        );
    }
    out.push_str("</section>\n");
    footer(&mut out, crate::timeline::SCHEMA);
    out
}

/// Writes the timeline page.
pub fn timeline(
    view: &TimelineView,
    h: &InputHealth,
    command: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    out.write_all(timeline_page(view, h, command).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_control_bytes() {
        assert_eq!(esc("plain /x/y"), "plain /x/y");
        assert_eq!(
            esc("<script>alert('x')</script>&\"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;q&quot;"
        );
        assert_eq!(esc("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(esc("bidi\u{202e}x"), "bidi\\u{202e}x");
        // Escaping twice changes nothing more than once for text without metacharacters.
        assert_eq!(esc(&esc("a\tb")), "a\\tb");
    }

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let args = [
            "bsaudit",
            "report",
            "--fail-on",
            "error_rate>1%",
            "a b",
            "it's",
        ];
        assert_eq!(
            command_line(args.map(String::from)),
            "bsaudit report --fail-on 'error_rate>1%' 'a b' 'it'\\''s'"
        );
        assert_eq!(command_line([String::new()]), "''");
    }

    #[test]
    fn latency_bins_sum_to_the_count_and_land_in_their_bar() {
        let mut h = Histogram::default();
        for v in [50, 150, 150, 3_000, 2_000_000, 500_000_000] {
            h.record(v);
        }
        let bins = latency_bins(&h);
        assert_eq!(bins.iter().sum::<u64>(), h.count());
        assert_eq!(bins[0], 1, "below 100µs");
        assert_eq!(bins[1], 2, "100-200µs");
        assert_eq!(bins[5], 1, "2-5ms");
        assert_eq!(bins[14], 1, "2-5s");
        assert_eq!(bins[19], 1, "100s and over");
        let svg = latency_chart(&h, 150, 2_000_000);
        assert_eq!(
            svg.matches("<rect class=\"bin\"").count(),
            LATENCY_EDGES_US.len()
        );
        assert!(svg.contains("<title>100µs–200µs: 2</title>"), "{svg}");
        assert!(svg.contains(">p50<") && svg.contains(">p99<"));
    }

    fn chart(series: Vec<ChartSeries>, buckets: usize) -> TimeChart<'static> {
        TimeChart {
            id: "c",
            unit: "errors",
            times: (0..buckets)
                .map(|i| rfc3339(1_764_000_000_000_000_000 + i as i64 * 60_000_000_000))
                .collect(),
            bucket_seconds: 60.0,
            series,
        }
    }

    #[test]
    fn time_chart_draws_lines_onsets_and_escaped_labels() {
        let c = chart(
            vec![
                ChartSeries {
                    label: "EVIL<b>\u{1b} 613".to_string(),
                    values: vec![0, 0, 5, 9],
                    onset: Some(2),
                },
                ChartSeries {
                    label: "ACCESS 500".to_string(),
                    values: vec![1, 0, 0, 1],
                    onset: None,
                },
            ],
            4,
        );
        let svg = time_chart(&c);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("class=\"onset\"").count(), 1);
        assert!(
            svg.contains("onset of 1. EVIL&lt;b&gt;\\x1b 613: 2025-11-24 16:02:00"),
            "{svg}"
        );
        assert!(!svg.contains("<b>"));
        // The first line peaks at the last column, at the full height (y = TOP).
        assert!(svg.contains("<circle cx=\"884.0\" cy=\"22.0\""), "{svg}");
        // Three non-empty columns get a tooltip band.
        assert_eq!(svg.matches("<rect x=").count(), 3);
        let legend = chart_legend(&c);
        assert!(legend.contains("<td class=\"n\">14</td><td class=\"n\">9</td>"));
    }

    #[test]
    fn time_chart_is_bounded_in_columns_and_lines() {
        let many: Vec<ChartSeries> = (0..10)
            .map(|i| ChartSeries {
                label: format!("S{i}"),
                values: vec![1; 10_000],
                onset: None,
            })
            .collect();
        let svg = time_chart(&chart(many, 10_000));
        assert_eq!(svg.matches("<polyline").count(), CHART_SERIES);
        let points = svg
            .split("points=\"")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .unwrap_or("");
        assert!(
            points.split(' ').count() <= CHART_COLUMNS,
            "{}",
            points.len()
        );
        // 10 000 buckets of 1 in 240-column chunks of 42: the peak column holds 42.
        assert!(svg.contains(">42</text>"), "the peak on the axis");
    }

    #[test]
    fn long_log_values_are_clipped() {
        let long = "é".repeat(MAX_TEXT + 5);
        let shown = text(&long);
        assert_eq!(shown.chars().count(), MAX_TEXT + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(text("<a>"), "&lt;a&gt;");
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn cell_bars_clamp() {
        assert!(cell_bar(2.0, "x").contains("width=\"60.0\""));
        assert!(cell_bar(f64::NAN, "x").contains("width=\"0.0\""));
        assert!(cell_bar(0.5, "a<b").contains("<title>a&lt;b</title>"));
        assert!((log_fraction(999, 999) - 1.0).abs() < 1e-9);
        assert_eq!(log_fraction(5, 0), 0.0);
    }
}
