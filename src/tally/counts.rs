//! Line accounting: where every input line went, plus the span of kept records.

use std::ops::AddAssign;

use crate::error::Malformed;

/// Where every input line went, plus bytes and the time span of kept records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputCounts {
    /// Lines read (LF-terminated, plus unterminated tails).
    pub lines: u64,
    /// Records kept by the filters.
    pub records: u64,
    /// Records dropped by `--service`, `--code` or the time window.
    pub filtered_out: u64,
    /// Blank lines.
    pub empty_lines: u64,
    /// Malformed lines by reason, indexed by [`Malformed::index`].
    pub malformed: [u64; Malformed::ALL.len()],
    /// Lines over the line limit, skipped unparsed.
    pub oversized: u64,
    /// Unterminated last lines that are not records.
    pub incomplete_tail: u64,
    /// Earliest start time of a kept record (ns), `i64::MAX` when none.
    pub first_ns: i64,
    /// Latest start time of a kept record (ns), `i64::MIN` when none.
    pub last_ns: i64,
    /// Latest start time of any record, kept or filtered out (ns): where relative windows
    /// are measured from.
    pub newest_any_ns: i64,
}

impl Default for InputCounts {
    fn default() -> Self {
        InputCounts {
            lines: 0,
            records: 0,
            filtered_out: 0,
            empty_lines: 0,
            malformed: [0; Malformed::ALL.len()],
            oversized: 0,
            incomplete_tail: 0,
            first_ns: i64::MAX,
            last_ns: i64::MIN,
            newest_any_ns: i64::MIN,
        }
    }
}

impl InputCounts {
    /// All malformed lines.
    pub fn malformed_total(&self) -> u64 {
        self.malformed.iter().sum()
    }

    /// The sum of every bucket; equals `lines` when every line is accounted for.
    pub fn accounted(&self) -> u64 {
        self.records
            + self.filtered_out
            + self.empty_lines
            + self.malformed_total()
            + self.oversized
            + self.incomplete_tail
    }
}

impl AddAssign<&InputCounts> for InputCounts {
    fn add_assign(&mut self, o: &InputCounts) {
        self.lines += o.lines;
        self.records += o.records;
        self.filtered_out += o.filtered_out;
        self.empty_lines += o.empty_lines;
        for (a, b) in self.malformed.iter_mut().zip(o.malformed) {
            *a += b;
        }
        self.oversized += o.oversized;
        self.incomplete_tail += o.incomplete_tail;
        self.first_ns = self.first_ns.min(o.first_ns);
        self.last_ns = self.last_ns.max(o.last_ns);
        self.newest_any_ns = self.newest_any_ns.max(o.newest_any_ns);
    }
}
