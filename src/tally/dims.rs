//! Groups by the user's `--by` dimensions, keyed by interned parts.

use crate::dims::{Dim, DimKey, NONE};

use super::group::GroupStats;
use super::intern::{GroupTable, Interner};

/// Groups by the user's `--by` dimensions, with the interners their string values need.
#[derive(Clone, Debug, Default)]
pub struct DimTally {
    /// The dimensions, as given (empty in an identity tally that has seen no record).
    pub dims: Vec<Dim>,
    /// Method names.
    pub methods: Interner,
    /// API templates.
    pub apis: Interner,
    /// Hosts.
    pub hosts: Interner,
    /// Stats per key.
    pub groups: GroupTable<DimKey>,
    /// Records of keys that did not fit under `--max-groups`.
    pub other: GroupStats,
    /// Scratch space for API templates (not data).
    pub(crate) scratch: Vec<u8>,
}

impl DimTally {
    /// The string of an interned part (service, method, api, host), or the number (code,
    /// disk, vuid), or the bucket start (bucket) of a key part, for output.
    pub fn part_name(&self, dim: Dim, part: u64, services: &Interner, bucket_ns: i64) -> String {
        let name = |i: &Interner| String::from_utf8_lossy(i.name(part as u32)).into_owned();
        match dim {
            Dim::Service => name(services),
            Dim::Method => name(&self.methods),
            Dim::Api => name(&self.apis),
            Dim::Host => name(&self.hosts),
            Dim::Code => part.to_string(),
            Dim::Disk | Dim::Vuid if part == NONE => "-".to_string(),
            Dim::Disk | Dim::Vuid => part.to_string(),
            Dim::Bucket => crate::time::rfc3339((part as i64).saturating_mul(bucket_ns)),
        }
    }

    pub(crate) fn merge(&mut self, mut other: DimTally, services: &[u32], cap: usize) {
        if self.dims.is_empty() {
            self.dims = std::mem::take(&mut other.dims);
        }
        let methods = self.methods.absorb(&other.methods);
        let apis = self.apis.absorb(&other.apis);
        let hosts = self.hosts.absorb(&other.hosts);
        for (key, stats) in &other.groups {
            let mut key = *key;
            for (part, dim) in key.0.iter_mut().zip(&self.dims) {
                let remap = match dim {
                    Dim::Service => services,
                    Dim::Method => &methods,
                    Dim::Api => &apis,
                    Dim::Host => &hosts,
                    _ => continue,
                };
                *part = u64::from(remap[*part as usize]);
            }
            match self.groups.get_or_insert_capped(key, cap) {
                Some(mine) => *mine += stats,
                None => self.other += stats,
            }
        }
        self.other += &other.other;
    }
}
