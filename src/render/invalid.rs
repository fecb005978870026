//! The `--invalid-lines` file: every malformed line as `path:line: reason: text`, in input
//! order. The text is written byte for byte, so the file can be grepped or fed back.

use std::io::{self, Write};

use crate::input::discover::Discovery;
use crate::tally::Tally;

/// Writes the invalid lines kept in `tally`.
pub fn write(tally: &Tally, found: &Discovery, out: &mut dyn Write) -> io::Result<()> {
    let index = tally.line_index();
    let mut lines: Vec<_> = tally.invalid.lines.iter().collect();
    lines.sort_by_key(|l| l.pos);
    for l in lines {
        let path = found
            .files
            .get(l.pos.file as usize)
            .map_or("?", |f| f.display.as_str());
        write!(out, "{path}:{}: {}: ", index.line_number(l.pos), l.reason)?;
        out.write_all(&l.raw)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
