//! The status-code table: what each code means, who owns it, and how bad it is.
//!
//! The table is data (`table.tsv`, embedded at build time), one row per code, sorted by code.
//! Users extend or override it with `--code-table FILE` in the same format. A code missing
//! from the table is still counted; its class then follows the HTTP ranges.

use std::fmt;

use serde::Serialize;

/// The embedded table.
const BUILTIN: &str = include_str!("table.tsv");

/// The header line every table file starts with (after comments).
const HEADER: &str = "code\towner\tclass\torigin\tmessage\tdescription\thint";

/// How a code counts in error totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Success (below 400).
    Ok,
    /// Not a fault although not a success (SCHEDULER 700 "nothing to do").
    Benign,
    /// The caller's side (400-499).
    Client,
    /// The service's side (500 and up, every BlobStore special code).
    Server,
}

impl Class {
    /// The class a code has by its number alone.
    pub fn by_range(code: u32) -> Class {
        match code {
            0..=399 => Class::Ok,
            400..=499 => Class::Client,
            _ => Class::Server,
        }
    }

    /// Client and server codes are errors; ok and benign are not.
    pub fn is_error(self) -> bool {
        matches!(self, Class::Client | Class::Server)
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Ok => "ok",
            Class::Benign => "benign",
            Class::Client => "client",
            Class::Server => "server",
        }
    }

    fn parse(s: &str) -> Option<Class> {
        Some(match s {
            "ok" => Class::Ok,
            "benign" => Class::Benign,
            "client" => Class::Client,
            "server" => Class::Server,
            _ => return None,
        })
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a row's facts come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The documented special-code table.
    Seed,
    /// Codes added by later CubeFS releases.
    Newer,
    /// Codes that later releases removed, kept for logs from old clusters.
    Older,
    /// Ordinary HTTP codes (and BlobStore's 499 and 597 use of them).
    Http,
    /// A row from the user's `--code-table` file.
    User,
}

impl Origin {
    fn parse(s: &str) -> Option<Origin> {
        Some(match s {
            "seed" => Origin::Seed,
            "newer" => Origin::Newer,
            "older" => Origin::Older,
            "http" => Origin::Http,
            "user" => Origin::User,
            _ => return None,
        })
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Seed => "seed",
            Origin::Newer => "newer",
            Origin::Older => "older",
            Origin::Http => "http",
            Origin::User => "user",
        }
    }
}

/// The class of every code, for the hot path: an array for codes below 1000, the table for
/// the rest.
#[derive(Clone, Debug)]
pub struct ClassMap {
    small: Vec<Class>,
    big: Vec<(u32, Class)>,
}

impl Default for ClassMap {
    /// Classes by range only, as for an empty table.
    fn default() -> Self {
        ClassMap {
            small: (0..SMALL_CODES).map(Class::by_range).collect(),
            big: Vec::new(),
        }
    }
}

/// Codes below this get an array slot in [`ClassMap`].
const SMALL_CODES: u32 = 1000;

impl ClassMap {
    /// The class of a code.
    #[inline]
    pub fn class_of(&self, code: u32) -> Class {
        match self.small.get(code as usize) {
            Some(&c) => c,
            None => self
                .big
                .binary_search_by_key(&code, |&(c, _)| c)
                .map_or_else(|_| Class::by_range(code), |at| self.big[at].1),
        }
    }
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CodeInfo {
    /// The status code.
    pub code: u32,
    /// The service that defines it, or `HTTP`.
    pub owner: String,
    /// How it counts.
    pub class: Class,
    /// Where the row comes from.
    pub origin: Origin,
    /// The exact error string the service returns.
    pub message: String,
    /// What it means, for an on-call engineer.
    pub description: String,
    /// What to check next.
    pub hint: String,
}

/// A table file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}:{line}: {problem}")]
pub struct TableError {
    source_name: String,
    line: usize,
    problem: String,
}

/// The code table: rows sorted by code, at most one per code.
#[derive(Clone, Debug)]
pub struct CodeTable {
    rows: Vec<CodeInfo>,
}

impl CodeTable {
    /// The table embedded in the binary.
    pub fn builtin() -> Result<CodeTable, TableError> {
        let rows = parse_table(BUILTIN, "embedded code table")?;
        Ok(CodeTable { rows })
    }

    /// Adds rows from a user file; a row for a code already present replaces it.
    pub fn extend_from(&mut self, text: &str, source_name: &str) -> Result<usize, TableError> {
        let extra = parse_table(text, source_name)?;
        let n = extra.len();
        for row in extra {
            match self.rows.binary_search_by_key(&row.code, |r| r.code) {
                Ok(at) => self.rows[at] = row,
                Err(at) => self.rows.insert(at, row),
            }
        }
        Ok(n)
    }

    /// The row for a code.
    pub fn get(&self, code: u32) -> Option<&CodeInfo> {
        self.rows
            .binary_search_by_key(&code, |r| r.code)
            .ok()
            .map(|at| &self.rows[at])
    }

    /// The class of a code: the table's if it has the code, else by range.
    pub fn class_of(&self, code: u32) -> Class {
        self.get(code)
            .map_or_else(|| Class::by_range(code), |r| r.class)
    }

    /// Every row, by code.
    pub fn rows(&self) -> &[CodeInfo] {
        &self.rows
    }

    /// The classes of all codes, for lookups per record.
    pub fn class_map(&self) -> ClassMap {
        ClassMap {
            small: (0..SMALL_CODES).map(|c| self.class_of(c)).collect(),
            big: self
                .rows
                .iter()
                .filter(|r| r.code >= SMALL_CODES)
                .map(|r| (r.code, r.class))
                .collect(),
        }
    }
}

fn parse_table(text: &str, source_name: &str) -> Result<Vec<CodeInfo>, TableError> {
    let err = |line: usize, problem: String| TableError {
        source_name: source_name.to_string(),
        line,
        problem,
    };
    let mut rows: Vec<CodeInfo> = Vec::new();
    let mut seen_header = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if !seen_header {
            if line != HEADER {
                return Err(err(n, format!("expected the header line {HEADER:?}")));
            }
            seen_header = true;
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [code, owner, class, origin, message, description, hint] = cols[..] else {
            return Err(err(
                n,
                format!("expected 7 TAB-separated columns, found {}", cols.len()),
            ));
        };
        let code: u32 = code
            .trim()
            .parse()
            .map_err(|_| err(n, format!("code {code:?} is not a number")))?;
        let class = Class::parse(class.trim()).ok_or_else(|| {
            err(
                n,
                format!("class {class:?} is not ok, benign, client or server"),
            )
        })?;
        let origin = Origin::parse(origin.trim()).ok_or_else(|| {
            err(
                n,
                format!("origin {origin:?} is not seed, newer, older, http or user"),
            )
        })?;
        if owner.trim().is_empty() || message.trim().is_empty() {
            return Err(err(n, "owner and message may not be empty".to_string()));
        }
        if rows.iter().any(|r| r.code == code) {
            return Err(err(n, format!("code {code} appears twice")));
        }
        rows.push(CodeInfo {
            code,
            owner: owner.trim().to_string(),
            class,
            origin,
            message: message.to_string(),
            description: description.trim().to_string(),
            hint: hint.trim().to_string(),
        });
    }
    if !seen_header {
        return Err(err(0, format!("no header line {HEADER:?}")));
    }
    rows.sort_by_key(|r| r.code);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> CodeTable {
        CodeTable::builtin().expect("embedded table parses")
    }

    #[test]
    fn builtin_is_sorted_and_unique_as_written() {
        // parse_table sorts; the file itself must already be in order so that diffs stay
        // readable and a duplicate cannot hide.
        let codes: Vec<u32> = BUILTIN
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && *l != HEADER)
            .map(|l| {
                l.split('\t')
                    .next()
                    .unwrap_or("")
                    .parse()
                    .expect("numeric code")
            })
            .collect();
        assert!(
            codes.windows(2).all(|w| w[0] < w[1]),
            "table.tsv must be sorted and unique"
        );
        assert_eq!(codes.len(), builtin().rows().len());
    }

    #[test]
    fn every_seed_code_is_present_with_its_exact_message() {
        let table = builtin();
        let seed = include_str!("seed.tsv");
        let mut n = 0;
        for line in seed.lines().filter(|l| !l.starts_with('#')) {
            let [code, owner, message] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("bad seed line {line:?}");
            };
            let code: u32 = code.parse().expect("seed code");
            let row = table
                .get(code)
                .unwrap_or_else(|| panic!("seed code {code} missing"));
            assert_eq!(row.message, message, "message of {code}");
            assert_eq!(row.owner, owner, "owner of {code}");
            assert_eq!(row.origin, Origin::Seed, "origin of {code}");
            n += 1;
        }
        assert_eq!(n, 71);
    }

    #[test]
    fn classes_follow_the_rule() {
        for row in builtin().rows() {
            let expected = if row.code == 700 {
                Class::Benign
            } else {
                Class::by_range(row.code)
            };
            assert_eq!(row.class, expected, "class of {}", row.code);
            assert!(!row.description.is_empty(), "description of {}", row.code);
        }
    }

    #[test]
    fn special_and_http_codes_are_known() {
        let table = builtin();
        for code in [
            200, 206, 400, 404, 429, 499, 500, 502, 503, 504, 597, 613, 700, 701,
        ] {
            assert!(table.get(code).is_some(), "{code}");
        }
        assert_eq!(table.class_of(700), Class::Benign);
        assert_eq!(table.class_of(499), Class::Client);
        assert_eq!(table.class_of(12345), Class::Server);
        assert_eq!(table.class_of(302), Class::Ok);
    }

    #[test]
    fn class_map_agrees_with_table() {
        let mut table = builtin();
        let user = format!("{HEADER}\n4321\tX\tbenign\tuser\tm\td\th\n");
        table.extend_from(&user, "u").expect("parses");
        let map = table.class_map();
        for code in (0..1200).chain([4321, 12345, u32::MAX]) {
            assert_eq!(map.class_of(code), table.class_of(code), "{code}");
        }
    }

    #[test]
    fn user_rows_extend_and_override() {
        let mut table = builtin();
        let user = format!(
            "# mine\n{HEADER}\n613\tBLOBNODE\tserver\tuser\tdisk is broken\tours\tcheck it\n\
             1234\tWORKER\tclient\tuser\tcustom\tcustom code\t\n"
        );
        assert_eq!(table.extend_from(&user, "user.tsv").expect("parses"), 2);
        assert_eq!(table.get(613).map(|r| r.description.as_str()), Some("ours"));
        assert_eq!(table.get(1234).map(|r| r.class), Some(Class::Client));
        assert!(table.rows().windows(2).all(|w| w[0].code < w[1].code));
    }

    #[test]
    fn bad_tables_say_where() {
        let mut table = builtin();
        let e = table
            .extend_from(&format!("{HEADER}\n613\tX\tbad\tuser\tm\td\th\n"), "t.tsv")
            .expect_err("bad class");
        assert_eq!(
            e.to_string(),
            "t.tsv:2: class \"bad\" is not ok, benign, client or server"
        );
        assert!(table.extend_from("613\tX\n", "t.tsv").is_err());
        assert!(
            table
                .extend_from(&format!("{HEADER}\n1\t2\n"), "t.tsv")
                .is_err()
        );
    }
}
