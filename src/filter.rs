//! Which records a command keeps: services, code specs, a time window, APIs, hosts, trace ids
//! and a minimum duration.
//!
//! Built once from the command line (see `config`); checked for every record, so the checks
//! are plain comparisons without allocation (the API check writes into a scratch buffer the
//! caller keeps).

use crate::scan::Record;

/// A status-code selector: `613`, `6xx`, `500-599`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeSpec {
    /// Lowest code matched.
    pub lo: u32,
    /// Highest code matched.
    pub hi: u32,
}

impl CodeSpec {
    /// Parses `613`, `6xx` (also `6XX`, `61x`) or `500-599`.
    pub fn parse(spec: &str) -> Result<CodeSpec, String> {
        let bad = || format!("invalid code spec {spec:?}: expected 613, 6xx or 500-599");
        let s = spec.trim();
        if let Some((lo, hi)) = s.split_once('-') {
            let lo: u32 = lo.trim().parse().map_err(|_| bad())?;
            let hi: u32 = hi.trim().parse().map_err(|_| bad())?;
            if lo > hi {
                return Err(format!("invalid code range {spec:?}: {lo} is above {hi}"));
            }
            return Ok(CodeSpec { lo, hi });
        }
        let wild = s
            .bytes()
            .rev()
            .take_while(|b| matches!(b, b'x' | b'X'))
            .count();
        let digits = &s[..s.len() - wild];
        if digits.is_empty() || s.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let base: u32 = digits.parse().map_err(|_| bad())?;
        let scale = 10u32.pow(wild as u32);
        Ok(CodeSpec {
            lo: base * scale,
            hi: base * scale + scale - 1,
        })
    }

    /// Whether `code` is selected.
    pub fn matches(&self, code: u32) -> bool {
        (self.lo..=self.hi).contains(&code)
    }
}

/// The record filter. The default keeps everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Service names to keep (ASCII case-insensitive); empty keeps all.
    pub services: Vec<Vec<u8>>,
    /// Code specs to keep; empty keeps all.
    pub codes: Vec<CodeSpec>,
    /// Keep records starting at or after this time (ns).
    pub since_ns: Option<i64>,
    /// Keep records starting before this time (ns).
    pub until_ns: Option<i64>,
    /// API templates to keep; empty keeps all.
    pub apis: Vec<Vec<u8>>,
    /// Hosts to keep (the `host` dimension); empty keeps all.
    pub hosts: Vec<Vec<u8>>,
    /// Trace ids to keep; empty keeps all.
    pub traces: Vec<Vec<u8>>,
    /// Keep requests that took at least this long (us).
    pub min_duration_us: Option<u64>,
}

impl Filter {
    /// Whether a record is kept. `scratch` is reused for the API template.
    #[inline]
    pub fn keeps(&self, rec: &Record<'_>, scratch: &mut Vec<u8>) -> bool {
        (self.services.is_empty()
            || self
                .services
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&rec.service)))
            && (self.codes.is_empty() || self.codes.iter().any(|c| c.matches(rec.code)))
            && self.since_ns.is_none_or(|t| rec.start_ns >= t)
            && self.until_ns.is_none_or(|t| rec.start_ns < t)
            && self.min_duration_us.is_none_or(|d| rec.duration_us >= d)
            && (self.hosts.is_empty() || {
                let host = crate::dims::host(rec);
                let host = host.as_deref().unwrap_or(b"-");
                self.hosts.iter().any(|h| h[..] == *host)
            })
            && (self.traces.is_empty()
                || rec
                    .trace_id()
                    .is_some_and(|id| self.traces.iter().any(|t| t[..] == *id)))
            && (self.apis.is_empty() || {
                crate::dims::api_template(&rec.path, scratch);
                self.apis.iter().any(|a| a[..] == scratch[..])
            })
    }

    /// Whether no record can be dropped.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
            && self.codes.is_empty()
            && self.since_ns.is_none()
            && self.until_ns.is_none()
            && self.apis.is_empty()
            && self.hosts.is_empty()
            && self.traces.is_empty()
            && self.min_duration_us.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_specs() {
        assert_eq!(CodeSpec::parse("613"), Ok(CodeSpec { lo: 613, hi: 613 }));
        assert_eq!(CodeSpec::parse("6xx"), Ok(CodeSpec { lo: 600, hi: 699 }));
        assert_eq!(CodeSpec::parse("61X"), Ok(CodeSpec { lo: 610, hi: 619 }));
        assert_eq!(
            CodeSpec::parse("500-599"),
            Ok(CodeSpec { lo: 500, hi: 599 })
        );
        for bad in [
            "",
            "x",
            "xx",
            "6x3",
            "abc",
            "599-500",
            "1-",
            "-5",
            "1234567890",
        ] {
            assert!(CodeSpec::parse(bad).is_err(), "{bad:?}");
        }
        let spec = CodeSpec::parse("5xx").expect("valid");
        assert!(spec.matches(500) && spec.matches(599) && !spec.matches(600));
    }
}
