//! The two faces of a `bsaudit top` frame: one NDJSON line (`bsaudit.top/v1`), and the
//! full-screen terminal view drawn with ratatui.
//!
//! The view has a header (window, files, read rate, how changes are noticed), a sparkline of
//! lines read per interval, the services (rate, error rate, latency in the window, totals
//! since the start), the top groups of the window with their meanings, codes first seen
//! after the start marked NEW, and a footer with the line accounting, the latest file events
//! and the keys. Every value from the logs is escaped before it reaches the terminal.

use std::collections::VecDeque;
use std::io::{self, Write};

use ratatui::Frame as Screen;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table, Wrap};

use crate::top::{Frame, GroupRow, ServiceRow};

use super::{human_bytes, human_us, percent, sanitize};

/// Writes the frame as one JSON line.
pub fn ndjson(frame: &Frame, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, frame).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Lines read per frame, newest last, for the sparkline.
#[derive(Debug, Default)]
pub struct History {
    lines: VecDeque<u64>,
}

impl History {
    /// Most frames remembered (wider than any terminal line of bars).
    const MAX: usize = 512;

    /// Remembers what `frame` read; the first frame's look (the files as they were, or the
    /// seed of `--last`) is not an interval and would flatten every later bar.
    pub fn push(&mut self, frame: &Frame) {
        if frame.frame == 0 {
            return;
        }
        if self.lines.len() == Self::MAX {
            self.lines.pop_front();
        }
        self.lines.push_back(frame.read.lines);
    }

    /// The newest `width` values.
    fn last(&self, width: usize) -> Vec<u64> {
        let skip = self.lines.len().saturating_sub(width);
        self.lines.iter().skip(skip).copied().collect()
    }
}

/// Draws the view of `frame`.
pub fn draw(f: &mut Screen, frame: &Frame, history: &History) {
    let area = f.area();
    let services = frame.window.services.len().clamp(1, 8) as u16 + 3;
    let [head, spark, svc, groups, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(3),
        Constraint::Length(services),
        Constraint::Min(4),
        Constraint::Length(5),
    ])
    .areas(area);
    f.render_widget(header(frame), head);
    let width = spark.width.saturating_sub(2) as usize;
    let bars = history.last(width);
    f.render_widget(
        Sparkline::default()
            .block(Block::bordered().title(" lines read per interval "))
            .data(&bars)
            .style(Style::default().fg(Color::Cyan)),
        spark,
    );
    f.render_widget(service_table(&frame.window.services, frame), svc);
    f.render_widget(group_table(frame, groups), groups);
    f.render_widget(footer(frame), foot);
}

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

fn header(frame: &Frame) -> Paragraph<'static> {
    let w = &frame.window;
    let first = Line::from(vec![
        Span::styled("bsaudit top", bold().fg(Color::Cyan)),
        Span::raw(format!(
            "  window {}  {} .. {}  ·  {} records in it{}",
            human_secs(w.seconds),
            super::short_time(&w.start),
            super::short_time(&w.end),
            thousands(w.records),
            if w.exact { "" } else { " (groups capped)" }
        )),
    ]);
    let second = Line::from(format!(
        "{} files followed ({})  ·  read {}/s  ·  {} of lines being written  ·  frame {}",
        frame.files.followed,
        frame.files.watch,
        human_bytes(frame.read.bytes_per_s as u64),
        human_bytes(frame.files.pending_bytes),
        frame.frame
    ));
    Paragraph::new(vec![first, second])
}

fn service_table(rows: &[ServiceRow], frame: &Frame) -> Table<'static> {
    let head = Row::new(
        [
            "SERVICE",
            "REQ/S",
            "ERR RATE",
            "P50",
            "P99",
            "MAX",
            "TOTAL REQ",
            "TOTAL ERR",
        ]
        .map(|h| Cell::from(h).style(bold())),
    );
    let body = rows.iter().map(|r| {
        let err = Cell::from(percent(r.error_rate)).style(if r.errors > 0 {
            Style::default().fg(Color::Red)
        } else {
            Style::default()
        });
        Row::new(vec![
            Cell::from(sanitize(&r.service)),
            Cell::from(rate(r.requests_per_s)),
            err,
            Cell::from(human_us(r.p50_us)),
            Cell::from(human_us(r.p99_us)),
            Cell::from(human_us(r.max_us)),
            Cell::from(thousands(r.total_requests)),
            Cell::from(thousands(r.total_errors)),
        ])
    });
    Table::new(
        body,
        [
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(13),
            Constraint::Length(11),
        ],
    )
    .header(head)
    .block(Block::bordered().title(format!(
        " services: window rates and latency, totals since {} ",
        frame
            .totals
            .first
            .as_deref()
            .map_or_else(|| "the start".to_string(), super::short_time)
    )))
}

fn group_table(frame: &Frame, area: Rect) -> Table<'static> {
    let extra = match frame.grouping {
        crate::top::Grouping::ServiceCode => None,
        crate::top::Grouping::ServiceApiCode => Some("API"),
        crate::top::Grouping::ServiceHostCode => Some("HOST"),
    };
    let mut titles = vec!["SERVICE"];
    titles.extend(extra);
    titles.extend(["CODE", "CLASS", "COUNT", "/S", "P99", "TOTAL", "MEANING"]);
    let head = Row::new(titles.into_iter().map(|h| Cell::from(h).style(bold())));
    let body = frame
        .window
        .groups
        .iter()
        .map(|g| group_row(g, extra.is_some()));
    let mut widths = vec![Constraint::Length(11)];
    if extra.is_some() {
        widths.push(Constraint::Length(if area.width > 140 { 30 } else { 20 }));
    }
    widths.extend([
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(11),
        Constraint::Min(20),
    ]);
    let what = if frame.all_codes {
        "every code"
    } else {
        "errors"
    };
    Table::new(body, widths).header(head).block(
        Block::bordered().title(format!(
            " {what} by {} in the window (NEW: a code its service had not returned for a window before) ",
            frame.grouping.as_str()
        )),
    )
}

fn group_row(g: &GroupRow, extra: bool) -> Row<'static> {
    let class_style = match g.class.as_str() {
        "server" => Style::default().fg(Color::Red),
        "client" => Style::default().fg(Color::Yellow),
        _ => Style::default().fg(Color::Green),
    };
    let mut code = vec![Span::raw(g.code.to_string())];
    if g.new {
        code.push(Span::styled(
            " NEW",
            bold().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    let mut cells = vec![Cell::from(sanitize(&g.service))];
    if extra {
        let v = g.api.as_deref().or(g.host.as_deref()).unwrap_or("-");
        cells.push(Cell::from(sanitize(v)));
    }
    let meaning = match (&g.message, &g.meaning) {
        (Some(m), Some(d)) if !m.is_empty() => format!("{m}: {d}"),
        (_, Some(d)) => d.clone(),
        _ => "(not in the code table)".to_string(),
    };
    cells.extend([
        Cell::from(Line::from(code)),
        Cell::from(g.class.clone()).style(class_style),
        Cell::from(thousands(g.count)),
        Cell::from(rate(g.per_s)),
        Cell::from(human_us(g.p99_us)),
        Cell::from(thousands(g.total)),
        Cell::from(sanitize(&meaning)),
    ]);
    let row = Row::new(cells);
    if g.new { row.style(bold()) } else { row }
}

fn footer(frame: &Frame) -> Paragraph<'static> {
    let t = &frame.totals;
    let malformed: u64 = t.malformed.values().sum();
    let mut lines = vec![Line::from(format!(
        "since the start: {} lines = {} records + {} filtered out + {} empty + {} malformed + {} \
         oversized + {} tails  ·  {} errors  ·  {}",
        thousands(t.lines),
        thousands(t.records),
        thousands(t.filtered_out),
        thousands(t.empty_lines),
        thousands(malformed),
        thousands(t.oversized),
        thousands(t.incomplete_tail),
        thousands(t.errors),
        human_bytes(t.bytes),
    ))];
    for e in frame.files.events.iter().rev().take(2) {
        lines.push(Line::styled(
            sanitize(e),
            Style::default().fg(Color::Magenta),
        ));
    }
    lines.push(Line::from(vec![
        Span::styled(" q ", bold().bg(Color::DarkGray)),
        Span::raw(" quit  "),
        Span::styled(" g ", bold().bg(Color::DarkGray)),
        Span::raw(format!(" grouping ({})  ", frame.grouping.as_str())),
        Span::styled(" a ", bold().bg(Color::DarkGray)),
        Span::raw(if frame.all_codes {
            " errors only"
        } else {
            " every code"
        }),
    ]));
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(Block::default())
}

/// `1234567` -> `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A rate with the digits it needs: `1234`, `12.3`, `0.17`.
fn rate(per_s: f64) -> String {
    if per_s >= 100.0 {
        format!("{per_s:.0}")
    } else if per_s >= 10.0 {
        format!("{per_s:.1}")
    } else {
        format!("{per_s:.2}")
    }
}

/// `300` -> `5m`, `90` -> `90s`.
fn human_secs(s: f64) -> String {
    let s = s.round() as u64;
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(human_secs(300.0), "5m");
        assert_eq!(human_secs(90.0), "90s");
        assert_eq!(human_secs(7200.0), "2h");
        assert_eq!(rate(1234.4), "1234");
        assert_eq!(rate(12.34), "12.3");
        assert_eq!(rate(0.174), "0.17");
    }
}
