//! Input health: what was read and where every line went, for every command's output.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Malformed;
use crate::summary::InputSummary;

/// Input health: files, lines and where each line went.
#[derive(Clone, Debug, Serialize)]
pub struct InputHealth {
    /// Files read (fully or in part).
    pub files: u64,
    /// Files or paths that could not be read at all.
    pub files_skipped: u64,
    /// Files read only in part (truncated or corrupt compressed data, read errors).
    pub files_partial: u64,
    /// Files deleted between listing and opening.
    pub files_vanished: u64,
    /// Files not read because their path named another file when it was opened.
    pub files_replaced: u64,
    /// Files read in full whose path no longer named them afterwards.
    pub files_moved: u64,
    /// Files not read because they were last written before `--since`.
    pub files_outside_window: u64,
    /// Walked files passed over: not audit logs by name, links, second paths to one file.
    pub files_ignored: u64,
    /// Bytes of log text scanned (after decompression).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Records kept by the filters.
    pub records: u64,
    /// Records dropped by the filters.
    pub filtered_out: u64,
    /// Blank lines.
    pub empty_lines: u64,
    /// Lines that are not records, by reason.
    pub malformed: MalformedCounts,
    /// Lines over `--max-line`, skipped.
    pub oversized: u64,
    /// Unterminated last lines that are not records (being written, or cut).
    pub incomplete_tail: u64,
    /// Earliest kept record (ns).
    #[serde(serialize_with = "super::times::opt_ns")]
    pub first_seen: Option<i64>,
    /// Latest kept record (ns).
    #[serde(serialize_with = "super::times::opt_ns")]
    pub last_seen: Option<i64>,
    /// Per-file problems, by node and path.
    pub problems: Vec<Problem>,
}

/// Malformed lines by reason.
#[derive(Clone, Debug, Serialize)]
pub struct MalformedCounts {
    /// All malformed lines.
    pub total: u64,
    /// Every reason, including those with 0.
    pub by_reason: BTreeMap<&'static str, u64>,
}

/// A file that was not read in full.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Node it is on, when the input covers more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The path as the user would type it.
    pub path: String,
    /// `skipped`, `partial`, `shrunk`, `vanished`, `replaced` or `moved`.
    pub kind: String,
    /// What happened.
    pub message: String,
}

impl InputHealth {
    /// The health of a summary's input; `multi_node` names the node of each problem.
    pub fn of(i: &InputSummary, multi_node: bool) -> InputHealth {
        InputHealth {
            files: i.files,
            files_skipped: i.files_skipped,
            files_partial: i.files_partial,
            files_vanished: i.files_vanished,
            files_replaced: i.files_replaced,
            files_moved: i.files_moved,
            files_outside_window: i.files_outside_window,
            files_ignored: i.files_ignored,
            bytes: i.bytes,
            lines: i.lines,
            records: i.records,
            filtered_out: i.filtered_out,
            empty_lines: i.empty_lines,
            malformed: MalformedCounts {
                total: i.malformed_total(),
                by_reason: Malformed::ALL
                    .iter()
                    .map(|m| (m.as_str(), i.malformed.get(m).copied().unwrap_or(0)))
                    .collect(),
            },
            oversized: i.oversized,
            incomplete_tail: i.incomplete_tail,
            first_seen: i.first_ns,
            last_seen: i.last_ns,
            problems: i
                .problems
                .iter()
                .map(|p| Problem {
                    node: multi_node.then(|| p.source.node.clone()),
                    path: p.source.path.clone(),
                    kind: p.kind.clone(),
                    message: p.message.clone(),
                })
                .collect(),
        }
    }

    /// Whether some input was not read in full: any problem listed (skipped, partial,
    /// shrunk, vanished, replaced, moved; files passed over as outside the window are not
    /// problems).
    pub fn incomplete(&self) -> bool {
        !self.problems.is_empty()
    }
}
