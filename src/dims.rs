//! Grouping dimensions (`--by`): what each is, how its value is read from a record, and the
//! fixed-size key a group is stored under.
//!
//! Values that are strings (service, method, api, host) are interned per tally, so a key is a
//! few integers and grouping by them never allocates per line. The rules are in
//! `docs/semantics.md`.

use memchr::memmem;

use crate::scan::Record;

/// Most dimensions in one `--by`.
pub const MAX_DIMS: usize = 8;

/// The key part for "this record has no such value" (no disk id in the path, say).
pub const NONE: u64 = u64::MAX;

/// One grouping dimension.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Dim {
    /// Module name up to `@`.
    Service,
    /// Status code.
    Code,
    /// Request method.
    Method,
    /// Path template: `/shard/get/diskid/12/...` -> `shard.get`.
    Api,
    /// Serving node: `module@host:port`, else the request's `Host` header.
    Host,
    /// The number after `diskid` in the path.
    Disk,
    /// The number after `vuid` in the path.
    Vuid,
    /// Start of the time bucket.
    Bucket,
    /// The `api` label of CubeFS's own metrics: lower-case service, `.`, the first path
    /// segment (`access.put`, `blobnode.shard`); see [`cubefs_api`].
    #[serde(rename = "cubefs_api")]
    CubefsApi,
}

impl Dim {
    /// Every dimension, in documentation order.
    pub const ALL: [Dim; 9] = [
        Dim::Service,
        Dim::Code,
        Dim::Method,
        Dim::Api,
        Dim::Host,
        Dim::Disk,
        Dim::Vuid,
        Dim::Bucket,
        Dim::CubefsApi,
    ];

    /// The name used on the command line and as the JSON field.
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Service => "service",
            Dim::Code => "code",
            Dim::Method => "method",
            Dim::Api => "api",
            Dim::Host => "host",
            Dim::Disk => "disk",
            Dim::Vuid => "vuid",
            Dim::Bucket => "bucket",
            Dim::CubefsApi => "cubefs_api",
        }
    }

    fn parse(name: &str) -> Option<Dim> {
        Dim::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// A validated `--by` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dims {
    list: Vec<Dim>,
}

impl Dims {
    /// The default grouping: service, code.
    pub fn default_pair() -> Dims {
        Dims {
            list: vec![Dim::Service, Dim::Code],
        }
    }

    /// Dimensions from a list (as recorded in a summary); the same checks as [`Dims::parse`].
    pub fn from_list(list: &[Dim]) -> Result<Dims, String> {
        let names: Vec<&str> = list.iter().map(|d| d.as_str()).collect();
        Dims::parse(&names.join(","))
    }

    /// Parses `service,code,disk`: known names, each once, at least one.
    pub fn parse(spec: &str) -> Result<Dims, String> {
        let mut list = Vec::new();
        for name in spec.split(',').filter(|n| !n.trim().is_empty()) {
            let dim = Dim::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Dim::ALL.iter().map(|d| d.as_str()).collect();
                format!(
                    "unknown dimension {name:?} in --by (known: {})",
                    known.join(", ")
                )
            })?;
            if list.contains(&dim) {
                return Err(format!("dimension {:?} given twice in --by", dim.as_str()));
            }
            list.push(dim);
        }
        if list.is_empty() {
            return Err("--by needs at least one dimension".to_string());
        }
        Ok(Dims { list })
    }

    /// The dimensions in order.
    pub fn list(&self) -> &[Dim] {
        &self.list
    }

    /// Whether this is exactly service, code (the table every report keeps anyway).
    pub fn is_default_pair(&self) -> bool {
        self.list == [Dim::Service, Dim::Code]
    }

    /// Whether `dim` is among them.
    pub fn has(&self, dim: Dim) -> bool {
        self.list.contains(&dim)
    }
}

/// A group key: one part per dimension, in `--by` order; unused parts are 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DimKey(pub [u64; MAX_DIMS]);

/// Writes the API template of `path` into `out` (cleared first): the leading segments up to
/// the first one that is all digits or is followed by an all-digit segment, at most four,
/// joined by `.`; `-` when there are none.
pub fn api_template(path: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut segments = path
        .split(|&b| b == b'/')
        .filter(|s| !s.is_empty())
        .peekable();
    let mut kept = 0;
    while let Some(seg) = segments.next() {
        let next_is_id = segments.peek().is_some_and(|n| all_digits(n));
        if kept == 4 || all_digits(seg) || next_is_id {
            break;
        }
        if kept > 0 {
            out.push(b'.');
        }
        out.extend_from_slice(seg);
        kept += 1;
    }
    if kept == 0 {
        out.push(b'-');
    }
}

/// Writes the `api` label CubeFS's audit-log metrics give a request into `out` (cleared
/// first), as `apiWithParams` in `blobstore/common/rpc/auditlog` forms it at its default
/// depth: `unknown.unknown` without a service or method; else the lower-case service, `.`,
/// and the lower-case first path segment, joined to the second by `-` when the first is
/// `admin` or `v` and digits (`/v1/x` -> `v1-x`); `v2-tune` takes every later segment,
/// joined by `.`; a segment that is empty or has a byte other than `[A-Za-z0-9_-]` is
/// `unknown`. The service is the module up to `@`, where CubeFS takes the whole module.
pub fn cubefs_api(service: &[u8], method: &[u8], path: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if service.is_empty() || method.is_empty() {
        out.extend_from_slice(b"unknown.unknown");
        return;
    }
    out.extend(service.iter().map(u8::to_ascii_lowercase));
    out.push(b'.');
    let mut fields = path.split(|&b| b == b'/');
    let (Some(_), Some(first)) = (fields.next(), fields.next()) else {
        out.extend_from_slice(b"unknown");
        return;
    };
    let lower = |s: &[u8]| s.to_ascii_lowercase();
    let mut api = lower(first);
    let versioned = api.len() > 1 && api[0] == b'v' && api[1..].iter().all(u8::is_ascii_digit);
    let mut rest = fields.clone();
    if (versioned || api == b"admin")
        && let Some(second) = rest.next().filter(|s| !s.is_empty())
    {
        api.push(b'-');
        api.extend(lower(second));
        fields = rest;
    }
    if api == b"v2-tune" {
        out.extend_from_slice(b"v2-tune.");
        for (i, f) in fields.enumerate() {
            if i > 0 {
                out.push(b'.');
            }
            out.extend(lower(f));
        }
        return;
    }
    let valid = !api.is_empty()
        && api
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        out.extend_from_slice(&api);
    } else {
        out.extend_from_slice(b"unknown");
    }
}

fn all_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// The all-digit segment after the segment `name` in `path` (`diskid` -> `233`), as a number.
pub fn path_id(path: &[u8], name: &[u8]) -> Option<u64> {
    let mut from = 0;
    // Look for "/name/" as whole segments, then read the next segment.
    let finder = memmem::Finder::new(name);
    while let Some(at) = finder.find(&path[from..]) {
        let start = from + at;
        let end = start + name.len();
        from = end;
        let whole = (start == 0 || path[start - 1] == b'/') && path.get(end) == Some(&b'/');
        if !whole {
            continue;
        }
        let rest = &path[end + 1..];
        let seg = rest.split(|&b| b == b'/').next().unwrap_or(rest);
        if all_digits(seg) && seg.len() <= 19 {
            return std::str::from_utf8(seg).ok()?.parse().ok();
        }
        return None;
    }
    None
}

/// The host dimension of a record: `module@host:port`, else the `Host` request header (an
/// empty value counts as absent).
pub fn host<'r>(rec: &'r Record<'_>) -> Option<std::borrow::Cow<'r, [u8]>> {
    match rec.module_host.as_deref().filter(|h| !h.is_empty()) {
        Some(h) => Some(std::borrow::Cow::Borrowed(h)),
        None => rec.req_host().filter(|h| !h.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(path: &str) -> String {
        let mut out = Vec::new();
        api_template(path.as_bytes(), &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn api_templates() {
        assert_eq!(
            api("/shard/get/diskid/12/vuid/94489280515/bid/801788"),
            "shard.get"
        );
        assert_eq!(api("/volume/get"), "volume.get");
        assert_eq!(api("/chunk/stat/diskid/1/vuid/2"), "chunk.stat");
        assert_eq!(api("/stat"), "stat");
        assert_eq!(api("/"), "-");
        assert_eq!(api(""), "-");
        assert_eq!(api("/a/b/c/d/e/f"), "a.b.c.d");
        assert_eq!(api("/123/x"), "-");
        assert_eq!(api("/shard/list/diskid/1/vuid/2/startbid/0"), "shard.list");
        assert_eq!(api("//disk//stat/"), "disk.stat");
    }

    fn capi(service: &str, method: &str, path: &str) -> String {
        let mut out = Vec::new();
        cubefs_api(
            service.as_bytes(),
            method.as_bytes(),
            path.as_bytes(),
            &mut out,
        );
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn cubefs_apis() {
        assert_eq!(capi("ACCESS", "PUT", "/put"), "access.put");
        assert_eq!(
            capi("BLOBNODE", "GET", "/shard/get/diskid/12/vuid/9/bid/8"),
            "blobnode.shard"
        );
        assert_eq!(capi("PROXY", "POST", "/V1/Alloc/x"), "proxy.v1-alloc");
        assert_eq!(
            capi("CLUSTERMGR", "GET", "/admin/stat"),
            "clustermgr.admin-stat"
        );
        assert_eq!(capi("CLUSTERMGR", "GET", "/admin/"), "clustermgr.admin");
        assert_eq!(capi("CLUSTERMGR", "GET", "/admin"), "clustermgr.admin");
        assert_eq!(capi("X", "GET", "/v2/tune/a/B"), "x.v2-tune.a.b");
        assert_eq!(capi("ACCESS", "GET", "/"), "access.unknown");
        assert_eq!(capi("ACCESS", "GET", ""), "access.unknown");
        assert_eq!(capi("ACCESS", "GET", "put"), "access.unknown");
        assert_eq!(capi("ACCESS", "GET", "/a.b/c"), "access.unknown");
        assert_eq!(capi("ACCESS", "GET", "/v/x"), "access.v");
        assert_eq!(capi("ACCESS", "", "/put"), "unknown.unknown");
        assert_eq!(capi("", "GET", "/put"), "unknown.unknown");
    }

    #[test]
    fn path_ids() {
        let p = b"/shard/get/diskid/233/vuid/94489280515/bid/801788";
        assert_eq!(path_id(p, b"diskid"), Some(233));
        assert_eq!(path_id(p, b"vuid"), Some(94_489_280_515));
        assert_eq!(path_id(b"/disk/stat/diskid/7", b"diskid"), Some(7));
        assert_eq!(path_id(b"/volume/get", b"diskid"), None);
        assert_eq!(path_id(b"/x/mydiskid/5", b"diskid"), None);
        assert_eq!(path_id(b"/x/diskid/abc", b"diskid"), None);
        assert_eq!(path_id(b"/x/diskidz/5/diskid/6", b"diskid"), Some(6));
    }

    #[test]
    fn dims_parse() {
        assert!(
            Dims::parse("service,code")
                .expect("valid")
                .is_default_pair()
        );
        let d = Dims::parse("disk, API ,bucket").expect("valid");
        assert_eq!(d.list(), [Dim::Disk, Dim::Api, Dim::Bucket]);
        assert!(Dims::parse("disk,disk").is_err());
        assert!(Dims::parse("rack").is_err());
        assert!(Dims::parse("").is_err());
    }
}
