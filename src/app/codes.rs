//! `bsaudit codes`: explain status codes from the table.

use crate::config::CodesConfig;
use crate::error::Error;
use crate::render;

use super::{Outcome, write_stdout};

pub(super) fn run(c: CodesConfig) -> Result<Outcome, Error> {
    let rows = if c.codes.is_empty() {
        c.table.rows().iter().collect()
    } else {
        let mut rows = Vec::new();
        let mut unknown = Vec::new();
        for &code in &c.codes {
            match c.table.get(code) {
                Some(r) => rows.push(r),
                None => unknown.push(code),
            }
        }
        if !unknown.is_empty() {
            // Print what is known, then fail on the rest.
            write_stdout(|out| render::codes::write(&rows, c.format, out))?;
            let list: Vec<String> = unknown
                .iter()
                .map(|&u| format!("{u} (class by range: {})", crate::codes::Class::by_range(u)))
                .collect();
            return Err(Error::Usage(format!(
                "not in the code table: {}",
                list.join(", ")
            )));
        }
        rows
    };
    write_stdout(|out| render::codes::write(&rows, c.format, out))?;
    Ok(Outcome::Clean)
}
