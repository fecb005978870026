//! Fitting the terminal report to a width: tables whose columns have a priority (the least
//! important are dropped first, long text is shortened with `…`, a cell never wraps), prose
//! wrapped at word boundaries, and the colour switch. The decisions are pure functions of
//! their inputs so tests can pin a width; `config` reads the terminal and the environment.

use anstyle::{AnsiColor, Style};
use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};
use unicode_width::UnicodeWidthStr;

use crate::codes::Class;

/// No borders, one rule under the header: dense rows that still scan well.
const HOUSE_STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─'));

/// Narrowest a shortened cell gets (with its `…`).
const MIN_SHRUNK: usize = 6;

/// Columns dropped at this rank or later go only after the free text was shortened to
/// [`SOFT_SHRUNK`]: a shortened message still says more than a missing share.
pub const LATE_DROP: u8 = 5;

/// How far free text is shortened before the [`LATE_DROP`] columns go.
const SOFT_SHRUNK: usize = 16;

/// How the terminal report is laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Columns to fit in; `None` lays everything out at full width (output that is not a
    /// terminal, unless `--width` says otherwise).
    pub width: Option<usize>,
    /// Keep every column even when the table is wider than `width`.
    pub wide: bool,
    /// Leave the codes' descriptions out of "What they mean" (messages and hints stay).
    pub brief: bool,
    /// Write ANSI colour codes.
    pub color: bool,
}

/// Below this width the descriptions are left out unless `--wide` asks for everything.
pub const BRIEF_BELOW: usize = 100;

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorWhen {
    /// Colour when writing to a terminal and `NO_COLOR` is unset (and `TERM` is not `dumb`).
    Auto,
    /// Always colour, even into a pipe.
    Always,
    /// Never colour.
    Never,
}

impl Layout {
    /// Decides the layout from the options and what was found about the output: `width` is
    /// `--width`, else the terminal's width (`None` when not a terminal); `no_color` is
    /// whether `NO_COLOR` is set to something non-empty; `dumb` whether `TERM=dumb`.
    pub fn decide(
        width: Option<usize>,
        wide: bool,
        brief: bool,
        color: ColorWhen,
        is_terminal: bool,
        no_color: bool,
        dumb: bool,
    ) -> Layout {
        let brief = brief || (!wide && width.is_some_and(|w| w < BRIEF_BELOW));
        let color = match color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => is_terminal && !no_color && !dumb,
        };
        Layout {
            width,
            wide,
            brief,
            color,
        }
    }

    /// The width tables must fit in: none with `--wide` or without a known width.
    pub fn fit_width(&self) -> Option<usize> {
        if self.wide { None } else { self.width }
    }

    /// The style of a line about a code of `class`, when colour is on.
    pub fn class_style(&self, class: Option<Class>) -> Option<Style> {
        if !self.color {
            return None;
        }
        match class? {
            Class::Server => Some(AnsiColor::Red.on_default()),
            Class::Client => Some(AnsiColor::Yellow.on_default()),
            Class::Benign => Some(Style::new().dimmed()),
            Class::Ok => None,
        }
    }
}

/// `line` in `style` (and reset after it), or as it is without a style.
pub fn paint(line: &str, style: Option<Style>) -> String {
    match style {
        Some(s) => format!("{}{line}{}", s.render(), s.render_reset()),
        None => line.to_string(),
    }
}

/// One column of a fitted table.
#[derive(Clone, Debug)]
pub struct Column {
    /// Its header.
    pub header: String,
    /// A shorter header for narrow terminals.
    pub short: Option<&'static str>,
    /// Right-aligned (numbers).
    pub right: bool,
    /// When narrow terminals drop it: lower goes first; `None` is never dropped.
    pub drop: Option<u8>,
    /// Its cells may be shortened with `…` (free text such as messages and paths).
    pub shrink: bool,
}

impl Column {
    /// A column that is always kept and never shortened.
    pub fn keep(header: &str, right: bool) -> Column {
        Column {
            header: header.to_string(),
            short: None,
            right,
            drop: None,
            shrink: false,
        }
    }
}

/// Display width of a line.
pub fn width_of(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Lays out `rows` under `columns` so that no line is wider than `width`: first with shorter
/// headers, then without the droppable columns (lowest `drop` first), then with the
/// shrinkable cells shortened. Without a width everything is kept at full width. Returns
/// the table's lines: the header, the rule, then one line per row (a cell never wraps).
pub fn fit(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> Vec<String> {
    let mut keep: Vec<bool> = vec![true; columns.len()];
    let mut cells: Vec<Vec<String>> = rows.to_vec();
    let Some(width) = width else {
        return render(columns, &cells, &keep, false);
    };
    let fits = |lines: &[String]| lines.iter().all(|l| width_of(l) <= width);
    let lines = render(columns, &cells, &keep, false);
    if fits(&lines) {
        return lines;
    }
    let lines = render(columns, &cells, &keep, true);
    if fits(&lines) {
        return lines;
    }
    let mut order: Vec<(u8, usize)> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.drop.map(|d| (d, i)))
        .collect();
    order.sort();
    let mut shrunk_softly = false;
    for (rank, i) in order {
        // Before dropping the columns that matter more, shorten the free text a little.
        if rank >= LATE_DROP && !shrunk_softly {
            shrunk_softly = true;
            if let Some(lines) = shrink(columns, &mut cells, &keep, width, SOFT_SHRUNK) {
                return lines;
            }
        }
        keep[i] = false;
        let lines = render(columns, &cells, &keep, true);
        if fits(&lines) {
            return lines;
        }
    }
    shrink(columns, &mut cells, &keep, width, MIN_SHRUNK)
        .unwrap_or_else(|| render(columns, &cells, &keep, true))
}

/// Shortens the widest shrinkable column by the excess, repeatedly, down to `floor` columns:
/// the fitted lines, or `None` when they still do not fit.
fn shrink(
    columns: &[Column],
    cells: &mut [Vec<String>],
    keep: &[bool],
    width: usize,
    floor: usize,
) -> Option<Vec<String>> {
    loop {
        let lines = render(columns, cells, keep, true);
        let longest = lines.iter().map(|l| width_of(l)).max().unwrap_or(0);
        if longest <= width {
            return Some(lines);
        }
        let (cur, i) = (0..columns.len())
            .filter(|&i| keep[i] && columns[i].shrink)
            .map(|i| (cells.iter().map(|r| cell_width(r, i)).max().unwrap_or(0), i))
            .max()?;
        if cur <= floor {
            return None;
        }
        let target = cur.saturating_sub(longest - width).max(floor);
        for row in cells.iter_mut() {
            if let Some(c) = row.get_mut(i) {
                *c = shorten(c, target);
            }
        }
    }
}

fn cell_width(row: &[String], i: usize) -> usize {
    row.get(i).map_or(0, |c| width_of(c))
}

/// `s` cut to at most `max` columns, ending in `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if width_of(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

fn render(columns: &[Column], rows: &[Vec<String>], keep: &[bool], short: bool) -> Vec<String> {
    let kept: Vec<usize> = (0..columns.len()).filter(|&i| keep[i]).collect();
    let mut t = Table::new();
    t.load_style(HOUSE_STYLE)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(kept.iter().map(|&i| {
            let c = &columns[i];
            match (short, c.short) {
                (true, Some(s)) => s.to_string(),
                _ => c.header.clone(),
            }
        }));
    for (n, &i) in kept.iter().enumerate() {
        if columns[i].right
            && let Some(col) = t.column_mut(n)
        {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    for row in rows {
        t.add_row(
            kept.iter()
                .map(|&i| row.get(i).cloned().unwrap_or_default()),
        );
    }
    t.trim_fmt().lines().map(str::to_string).collect()
}

/// `text` wrapped at spaces into lines of at most `width` columns: the first starts with
/// `first`, the rest with `rest`. Words are never cut, except a single word longer than a
/// whole line (a long path), which is split where it must be. Without a width, or when it
/// fits, the text comes back as one line unchanged.
pub fn wrap(text: &str, first: &str, rest: &str, width: Option<usize>) -> Vec<String> {
    let whole = format!("{first}{text}");
    let Some(width) = width else {
        return vec![whole];
    };
    if width_of(&whole) <= width {
        return vec![whole];
    }
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    // Runs of spaces between words are kept within a line (samples use two as a separator).
    let mut gap = 0;
    for word in text.split(' ') {
        if word.is_empty() {
            gap += 1;
            continue;
        }
        let sep = if empty { 0 } else { gap + 1 };
        gap = 0;
        if width_of(&line) + sep + width_of(word) <= width {
            line.extend(std::iter::repeat_n(' ', sep));
            line.push_str(word);
            empty = false;
            continue;
        }
        if !empty {
            lines.push(std::mem::replace(&mut line, rest.to_string()));
        }
        // A word longer than a whole line: split it where it must be.
        let mut word = word;
        let room = |line: &str| width.saturating_sub(width_of(line)).max(1);
        while width_of(word) > room(&line) {
            let cut = split_at_width(word, room(&line));
            line.push_str(&word[..cut]);
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            word = &word[cut..];
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        lines.push(line);
    }
    lines
}

/// The byte index where `s` reaches `cols` display columns (at least one character).
fn split_at_width(s: &str, cols: usize) -> usize {
    let mut w = 0;
    for (i, c) in s.char_indices() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > cols && i > 0 {
            return i;
        }
        w += cw;
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Column> {
        vec![
            Column::keep("#", true),
            Column {
                header: "message".into(),
                short: None,
                right: false,
                drop: None,
                shrink: true,
            },
            Column {
                header: "first seen".into(),
                short: Some("first"),
                right: false,
                drop: Some(1),
                shrink: false,
            },
            Column {
                header: "trend".into(),
                short: None,
                right: false,
                drop: Some(0),
                shrink: false,
            },
        ]
    }

    fn rows() -> Vec<Vec<String>> {
        vec![vec![
            "1".into(),
            "a fairly long message about a disk".into(),
            "10:42:02".into(),
            "▁▂▃▄▅▆▇█".into(),
        ]]
    }

    #[test]
    fn full_width_without_a_width() {
        let lines = fit(&cols(), &rows(), None);
        assert!(lines[0].contains("first seen") && lines[0].contains("trend"));
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn drops_the_least_important_first_then_shortens() {
        let full = fit(&cols(), &rows(), None);
        let w = width_of(&full[2]);
        let lines = fit(&cols(), &rows(), Some(w - 3));
        assert!(!lines[0].contains("trend"), "{lines:?}");
        assert!(lines[0].contains("first"), "{lines:?}");
        let lines = fit(&cols(), &rows(), Some(24));
        assert!(lines.iter().all(|l| width_of(l) <= 24), "{lines:?}");
        assert!(lines[2].contains('…'), "{lines:?}");
        assert_eq!(lines.len(), 3, "one line per row: {lines:?}");
    }

    #[test]
    fn wraps_at_words() {
        let text = "The disk is marked broken; IO to it fails and its data must be rebuilt.";
        let lines = wrap(text, "     ", "     ", Some(30));
        assert!(lines.iter().all(|l| width_of(l) <= 30), "{lines:?}");
        let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        assert_eq!(words, text.split(' ').collect::<Vec<_>>(), "no word cut");
        assert_eq!(wrap("short", "  ", "  ", Some(30)), ["  short"]);
        assert_eq!(wrap(text, "", "", None), [text]);
        let long = wrap(
            "see /a/very/long/path/that/is/longer/than/a/line x",
            "",
            "  ",
            Some(12),
        );
        assert!(lines.iter().all(|l| width_of(l) <= 30), "{long:?}");
        assert!(long.iter().all(|l| width_of(l) <= 12), "{long:?}");
    }

    #[test]
    fn colour_decision() {
        let d = |c, tty, no, dumb| Layout::decide(None, false, false, c, tty, no, dumb).color;
        assert!(d(ColorWhen::Auto, true, false, false));
        assert!(!d(ColorWhen::Auto, false, false, false), "not a terminal");
        assert!(!d(ColorWhen::Auto, true, true, false), "NO_COLOR");
        assert!(!d(ColorWhen::Auto, true, false, true), "TERM=dumb");
        assert!(d(ColorWhen::Always, false, true, false), "asked for");
        assert!(!d(ColorWhen::Never, true, false, false));
        let narrow = Layout::decide(Some(80), false, false, ColorWhen::Never, true, false, false);
        assert!(narrow.brief);
        let wide = Layout::decide(Some(80), true, false, ColorWhen::Never, true, false, false);
        assert!(!wide.brief && wide.fit_width().is_none());
        let l = Layout {
            color: true,
            ..Layout::default()
        };
        assert_eq!(
            paint("x", l.class_style(Some(Class::Server))),
            "\u{1b}[31mx\u{1b}[0m"
        );
        assert_eq!(
            paint("x", Layout::default().class_style(Some(Class::Server))),
            "x"
        );
    }

    proptest::proptest! {
        /// Wrapped text never passes the width and loses or reorders nothing but spaces.
        #[test]
        fn wrap_keeps_every_character(
            words in proptest::collection::vec("[a-zµ/▂]{1,30}", 0..20),
            width in 8usize..60,
        ) {
            let text = words.join(" ");
            let lines = wrap(&text, "  ", "    ", Some(width));
            for l in &lines {
                proptest::prop_assert!(width_of(l) <= width, "{l:?}");
            }
            let kept: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let want: String = text.chars().filter(|c| *c != ' ').collect();
            proptest::prop_assert_eq!(kept, want);
        }

        /// A fitted table has one line per row, none wider than the width when it can fit.
        #[test]
        fn fit_never_wraps(msgs in proptest::collection::vec("[a-z ]{1,40}", 1..8), width in 30usize..120) {
            let rows: Vec<Vec<String>> = msgs
                .iter()
                .enumerate()
                .map(|(i, m)| vec![i.to_string(), m.clone(), "10:42:02".into(), "▁▂▃".into()])
                .collect();
            let lines = fit(&cols(), &rows, Some(width));
            proptest::prop_assert_eq!(lines.len(), rows.len() + 2);
            for l in &lines {
                proptest::prop_assert!(width_of(l) <= width, "{l:?}");
            }
        }
    }
}
