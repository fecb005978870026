//! Malformed lines kept for `--invalid-lines`, within a byte cap.

use std::ops::AddAssign;

use crate::scan::LinePos;

/// Most bytes of invalid lines kept for `--invalid-lines`; beyond this they are only counted.
pub const INVALID_BYTES_CAP: usize = 256 << 20;

/// One malformed line kept for a closer look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidLine {
    /// Where it is.
    pub pos: LinePos,
    /// The malformed reason, or `incomplete_tail`.
    pub reason: &'static str,
    /// The line as read, without its LF.
    pub raw: Vec<u8>,
}

/// Invalid lines kept so far, within [`INVALID_BYTES_CAP`].
#[derive(Clone, Debug, Default)]
pub struct InvalidLines {
    /// The lines, in no particular order.
    pub lines: Vec<InvalidLine>,
    /// Bytes held.
    pub bytes: usize,
    /// Lines not kept because of the cap.
    pub dropped: u64,
}

impl InvalidLines {
    pub(crate) fn push(&mut self, line: InvalidLine) {
        if self.bytes + line.raw.len() > INVALID_BYTES_CAP {
            self.dropped += 1;
        } else {
            self.bytes += line.raw.len();
            self.lines.push(line);
        }
    }
}

impl AddAssign<InvalidLines> for InvalidLines {
    fn add_assign(&mut self, other: InvalidLines) {
        self.dropped += other.dropped;
        for line in other.lines {
            self.push(line);
        }
    }
}
