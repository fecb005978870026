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

/// The service that owns a range of status codes, for codes the table does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RangeOwner {
    /// The owning service, or `HTTP` for the ordinary ranges.
    pub owner: &'static str,
    /// Lowest code of the range.
    pub lo: u32,
    /// Highest code of the range.
    pub hi: u32,
    /// What makes the attribution less than certain; empty when nothing does.
    pub note: &'static str,
}

/// Ranges by owner, first match wins. The special ranges are the documented ones
/// (`status-codes.md`); newer releases give 820-899 to SHARDNODE, so PROXY keeps 800-819.
const RANGES: [RangeOwner; 8] = [
    RangeOwner {
        owner: "ACCESS",
        lo: 550,
        hi: 599,
        note: "",
    },
    RangeOwner {
        owner: "BLOBNODE",
        lo: 600,
        hi: 699,
        note: "",
    },
    RangeOwner {
        owner: "SCHEDULER",
        lo: 700,
        hi: 799,
        note: "",
    },
    RangeOwner {
        owner: "PROXY",
        lo: 800,
        hi: 819,
        note: "",
    },
    RangeOwner {
        owner: "SHARDNODE",
        lo: 820,
        hi: 899,
        note: "newer releases; PROXY's in older ones",
    },
    RangeOwner {
        owner: "CLUSTERMGR",
        lo: 900,
        hi: 999,
        note: "",
    },
    RangeOwner {
        owner: "HTTP",
        lo: 400,
        hi: 499,
        note: "client errors",
    },
    RangeOwner {
        owner: "HTTP",
        lo: 100,
        hi: 549,
        note: "",
    },
];

/// Who owns the range a code falls in, if anyone.
pub fn range_owner(code: u32) -> Option<RangeOwner> {
    RANGES.into_iter().find(|r| (r.lo..=r.hi).contains(&code))
}

/// An argument of `bsaudit codes` that found no row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeProblem {
    /// Neither a code nor a spec such as `6xx`.
    NotACode(String),
    /// A code the table does not hold.
    Unknown {
        /// The code.
        code: u32,
        /// Its class by number.
        class: Class,
        /// Who owns its range.
        range: Option<RangeOwner>,
    },
    /// A spec (`1xx`, `560-569`) that no row of the table matches.
    EmptySpec(String),
}

impl fmt::Display for CodeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodeProblem::NotACode(arg) => write!(
                f,
                "{arg:?} is not a status code (examples: 613, 6xx, 500-599)"
            ),
            CodeProblem::Unknown {
                code,
                class,
                range: Some(r),
            } => {
                write!(
                    f,
                    "{code}: not in the code table; {} range ({}-{}",
                    r.owner, r.lo, r.hi
                )?;
                if !r.note.is_empty() {
                    write!(f, ", {}", r.note)?;
                }
                write!(f, "), class {class}")
            }
            CodeProblem::Unknown {
                code,
                class,
                range: None,
            } => write!(
                f,
                "{code}: not in the code table and in no service's range; class {class} by its number"
            ),
            CodeProblem::EmptySpec(spec) => write!(f, "{spec}: no code in the table matches"),
        }
    }
}

/// The rows `bsaudit codes ARGS` prints and the arguments that found none.
#[derive(Debug)]
pub struct Selection<'t> {
    /// Rows in argument order (a spec's rows by code), each once.
    pub rows: Vec<&'t CodeInfo>,
    /// Arguments that found no row, in argument order.
    pub problems: Vec<CodeProblem>,
}

impl CodeTable {
    /// The rows for `bsaudit codes` arguments: codes (`613`) and specs (`6xx`, `610-619`).
    /// No argument selects the whole table. A bad argument never hides the good ones.
    pub fn select<'t>(&'t self, args: &[String]) -> Selection<'t> {
        if args.is_empty() {
            return Selection {
                rows: self.rows.iter().collect(),
                problems: Vec::new(),
            };
        }
        let mut rows: Vec<&CodeInfo> = Vec::new();
        let mut problems = Vec::new();
        // Rows are unique by code, so a code already taken is that row.
        let push = |rows: &mut Vec<&'t CodeInfo>, row: &'t CodeInfo| {
            if !rows.iter().any(|r| r.code == row.code) {
                rows.push(row);
            }
        };
        for arg in args {
            let text = arg.trim();
            let Ok(spec) = crate::filter::CodeSpec::parse(text) else {
                problems.push(CodeProblem::NotACode(arg.clone()));
                continue;
            };
            if spec.lo == spec.hi && !text.contains('-') {
                match self.get(spec.lo) {
                    Some(row) => push(&mut rows, row),
                    None => problems.push(CodeProblem::Unknown {
                        code: spec.lo,
                        class: Class::by_range(spec.lo),
                        range: range_owner(spec.lo),
                    }),
                }
                continue;
            }
            let matched: Vec<&CodeInfo> =
                self.rows.iter().filter(|r| spec.matches(r.code)).collect();
            if matched.is_empty() {
                problems.push(CodeProblem::EmptySpec(text.to_string()));
            }
            for row in matched {
                push(&mut rows, row);
            }
        }
        Selection { rows, problems }
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

    #[test]
    fn ranges_have_owners() {
        let owner = |c| range_owner(c).map(|r| r.owner);
        assert_eq!(owner(999), Some("CLUSTERMGR"));
        assert_eq!(owner(900), Some("CLUSTERMGR"));
        assert_eq!(owner(599), Some("ACCESS"));
        assert_eq!(owner(698), Some("BLOBNODE"));
        assert_eq!(owner(799), Some("SCHEDULER"));
        assert_eq!(owner(810), Some("PROXY"));
        assert_eq!(owner(850), Some("SHARDNODE"));
        assert_eq!(owner(450), Some("HTTP"));
        assert_eq!(owner(1234), None);
        assert_eq!(owner(42), None);
        // Every row of the table in a service's range is owned by that service (or, for
        // 820-899, by SHARDNODE), except the HTTP codes BlobStore reuses (597).
        for row in builtin().rows() {
            if let Some(r) = range_owner(row.code)
                && r.owner != "HTTP"
                && row.origin != Origin::Http
            {
                assert_eq!(row.owner, r.owner, "owner of {}", row.code);
            }
        }
    }

    #[test]
    fn selection_keeps_the_good_and_names_the_bad() {
        let table = builtin();
        let args: Vec<String> = ["613", "abc", "999", "613", "1xx", "4321", "46x"]
            .map(String::from)
            .to_vec();
        let sel = table.select(&args);
        let codes: Vec<u32> = sel.rows.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            [613, 466, 467, 468],
            "each row once, in argument order"
        );
        assert_eq!(
            sel.problems,
            [
                CodeProblem::NotACode("abc".to_string()),
                CodeProblem::Unknown {
                    code: 999,
                    class: Class::Server,
                    range: range_owner(999),
                },
                CodeProblem::EmptySpec("1xx".to_string()),
                CodeProblem::Unknown {
                    code: 4321,
                    class: Class::Server,
                    range: None,
                },
            ]
        );
        assert_eq!(
            sel.problems[1].to_string(),
            "999: not in the code table; CLUSTERMGR range (900-999), class server"
        );
        assert_eq!(
            table.select(&[]).rows.len(),
            table.rows().len(),
            "no argument: the whole table"
        );
    }

    #[test]
    fn newer_access_codes() {
        let table = builtin();
        let row = |c| table.get(c).expect("present");
        assert_eq!(row(467).message, "access call shard node fail");
        assert_eq!(row(468).message, "connection refused");
        assert!(row(404).description.contains("shard not found"));
        for c in [466, 467, 468] {
            assert_eq!(row(c).owner, "ACCESS");
            assert_eq!(row(c).origin, Origin::Newer);
        }
    }
}
