//! Error kinds: the reasons a line is not a record, and the errors that end a run.
//!
//! A malformed line is data, never an error: it is counted under a [`Malformed`] reason and
//! the scan goes on. [`Error`] is for what stops a command (bad arguments, nothing readable,
//! a failing stdout) and carries the exit code the binary maps it to.

use serde::{Deserialize, Serialize};

/// Why a non-empty line is not a record. The order is the order of the checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Malformed {
    /// Neither `REQ<TAB>` in the line nor a JSON object.
    NoReq,
    /// Not 12 or 14 TAB-separated fields after `REQ`.
    FieldCount,
    /// The status code is not 1 to 9 ASCII digits.
    BadCode,
    /// Start time, response length or duration is not a number.
    BadNumber,
    /// A line starting with `{` that is not a valid JSON object.
    BadJson,
    /// The line holds NUL bytes (a crashed writer's padding, or junk).
    Binary,
}

impl Malformed {
    /// Every reason, in report order.
    pub const ALL: [Malformed; 6] = [
        Malformed::NoReq,
        Malformed::FieldCount,
        Malformed::BadCode,
        Malformed::BadNumber,
        Malformed::BadJson,
        Malformed::Binary,
    ];

    /// The name used in JSON, CSV and on stderr.
    pub fn as_str(self) -> &'static str {
        match self {
            Malformed::NoReq => "no_req",
            Malformed::FieldCount => "field_count",
            Malformed::BadCode => "bad_code",
            Malformed::BadNumber => "bad_number",
            Malformed::BadJson => "bad_json",
            Malformed::Binary => "binary",
        }
    }

    /// A dense index, for per-reason counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What ends a command. Each kind maps to one exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments or options: exit 2.
    #[error("{0}")]
    Usage(String),
    /// No input could be read, or none of it was an audit record: exit 2.
    #[error("{0}")]
    NoInput(String),
    /// A file bsaudit itself writes or needs (a summary, `--invalid-lines`, worker threads)
    /// could not be made: exit 2.
    #[error("{0}")]
    Io(String),
    /// Writing the output failed (other than a closed pipe): exit 2.
    #[error("cannot write output: {0}")]
    Output(#[source] std::io::Error),
    /// The output pipe was closed by the reader (`| head`): a quiet success.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    /// Wraps an output error, telling a closed pipe apart from a real failure.
    pub fn from_output(err: std::io::Error) -> Error {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Output(err)
        }
    }
}
