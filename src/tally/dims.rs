//! Groups by the user's `--by` dimensions, keyed by interned parts.

use crate::dims::{Dim, DimKey, NONE};
use crate::summary::{Key, Part};

use super::group::GroupStats;
use super::intern::{GroupTable, Interner};
use super::spill::Run;

/// Groups by the user's `--by` dimensions, with the interners their string values need.
#[derive(Clone, Debug, Default)]
pub struct DimTally {
    /// The dimensions, as given (empty in an identity tally that has seen no record).
    pub dims: Vec<Dim>,
    /// Method names.
    pub methods: Interner,
    /// API templates and CubeFS API names.
    pub apis: Interner,
    /// Hosts.
    pub hosts: Interner,
    /// Stats per key.
    pub groups: GroupTable<DimKey>,
    /// Records of keys that did not fit under `--max-groups`.
    pub other: GroupStats,
    /// Groups written to disk when memory held too many (see [`super::spill`]).
    pub runs: Vec<Run>,
    /// Spill when more groups than this are held; 0 = never.
    pub spill_at: usize,
    /// Spill when the groups held take more than about this many bytes (big groups grow
    /// per-bucket counts and histogram pages without adding keys); 0 = never.
    pub spill_bytes: usize,
    /// Records counted since the size was last estimated.
    pub(crate) since_check: u32,
    /// Spilling failed (a full or read-only temporary directory): groups stay in memory,
    /// exact still, and the reason is kept for a warning.
    pub spill_error: Option<String>,
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
            Dim::Api | Dim::CubefsApi => name(&self.apis),
            Dim::Host => name(&self.hosts),
            Dim::Code => part.to_string(),
            Dim::Disk | Dim::Vuid if part == NONE => "-".to_string(),
            Dim::Disk | Dim::Vuid => part.to_string(),
            Dim::Bucket => crate::time::rfc3339((part as i64).saturating_mul(bucket_ns)),
        }
    }

    /// A key as values: interned strings resolved, `-` for a missing disk or vuid, bucket
    /// indices and numbers as numbers.
    pub fn resolve(&self, key: &DimKey, services: &Interner) -> Key {
        self.dims
            .iter()
            .zip(&key.0)
            .map(|(&dim, &part)| match dim {
                Dim::Code | Dim::Bucket => Part::Num(part),
                Dim::Disk | Dim::Vuid if part == NONE => Part::Text("-".to_string()),
                Dim::Disk | Dim::Vuid => Part::Num(part),
                _ => Part::Text(self.part_name(dim, part, services, 1)),
            })
            .collect()
    }

    /// Every group held in memory, resolved and sorted by key, leaving the table empty.
    pub fn take_sorted(&mut self, services: &Interner) -> Vec<(Key, GroupStats)> {
        self.take_sorted_with_ids(services)
            .into_iter()
            .map(|(k, _, g)| (k, g))
            .collect()
    }

    fn take_sorted_with_ids(&mut self, services: &Interner) -> Vec<(Key, DimKey, GroupStats)> {
        let table = std::mem::take(&mut self.groups);
        let mut entries: Vec<(Key, DimKey, GroupStats)> = table
            .into_entries()
            .into_iter()
            .map(|(k, g)| (self.resolve(&k, services), k, g))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    /// Writes the groups held in memory to a run when there are more than `spill_at`.
    pub(crate) fn spill_if_full(&mut self, services: &Interner) {
        if self.spill_error.is_some() || self.groups.is_empty() {
            return;
        }
        let many = self.spill_at > 0 && self.groups.len() >= self.spill_at;
        let big = || {
            self.spill_bytes > 0
                && self
                    .groups
                    .values()
                    .map(GroupStats::heap_bytes)
                    .sum::<usize>()
                    >= self.spill_bytes
        };
        if !many && !big() {
            return;
        }
        let entries = self.take_sorted_with_ids(services);
        let written = {
            let view: Vec<(&Key, &GroupStats)> = entries.iter().map(|(k, _, g)| (k, g)).collect();
            super::spill::write_run(&view)
        };
        match written {
            Ok(run) => {
                self.runs.push(run);
                // A failed compaction leaves the runs as they were: still exact.
                if let Err(e) = self.compact_runs() {
                    self.spill_error.get_or_insert(e.to_string());
                }
            }
            Err(e) => {
                // Keep counting in memory: exact, only bigger.
                self.spill_error = Some(e.to_string());
                for (_, id, stats) in entries {
                    *self.groups.get_or_insert(id) = stats;
                }
            }
        }
    }

    /// Merges the runs into one when there are too many.
    fn compact_runs(&mut self) -> std::io::Result<()> {
        if self.runs.len() > super::spill::MAX_RUNS {
            let one = super::spill::compact(&self.runs)?;
            self.runs = vec![one];
        }
        Ok(())
    }

    pub(crate) fn merge(&mut self, mut other: DimTally, services: &[u32], cap: usize) {
        if self.dims.is_empty() {
            self.dims = std::mem::take(&mut other.dims);
        }
        self.runs.append(&mut other.runs);
        if let Err(e) = self.compact_runs() {
            self.spill_error.get_or_insert(e.to_string());
        }
        self.spill_at = self.spill_at.max(other.spill_at);
        self.spill_bytes = self.spill_bytes.max(other.spill_bytes);
        if self.spill_error.is_none() {
            self.spill_error = other.spill_error.take();
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
                    Dim::Api | Dim::CubefsApi => &apis,
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
