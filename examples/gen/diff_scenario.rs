//! The `--scenario` data of gen-auditlog, for `bsaudit diff`: a known incident, and the same
//! traffic without it.
//!
//! The records span about one day from 2025-11-24T00:00:00Z; the onset is at 60% of that day,
//! [`ONSET_100NS`] = 2025-11-24T14:24:00Z. Every request that *starts* at or after the onset is
//! subject to the incident, none that starts before:
//!
//! - BLOBNODE: 15% of all its requests fail with 613 "disk is broken" on disk [`BROKEN_DISK`]
//!   (the requests that address a disk, 93% of BLOBNODE's, are taken with probability
//!   15/93 and re-addressed to that disk; their durations are kept);
//! - ACCESS: every request takes 3 times as long ([`ACCESS_SLOWDOWN`], clamped at the
//!   generator's 120 s), and 3% of them fail with 500.
//!
//! `calm` is the same data without the incident: it is byte for byte the output without
//! `--scenario`, plus the `scenario.tsv` that tells where the onset would be. With the same
//! seed the two scenarios have the same traffic: every record keeps its time, service and
//! operation, and the main generator's random stream is not touched (the incident draws from
//! its own), so records before the onset are identical and after it differ only in code, disk,
//! reply and duration (and, since replies change length, the `--size` cap may end the two a
//! record or two apart). `expected.tsv` counts the records as written, so it stays exact.
//!
//! Lines stay in the order of the undisturbed end times, so a slowed ACCESS request may be
//! written a little before a request that ended earlier; real writers are only roughly ordered
//! too, and bsaudit does not rely on order.

use super::{DAY_100NS, DAY_START_100NS, Op, Rng};

/// Which data to write around the onset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// From the onset: BLOBNODE 613 on disk 233 (15% of BLOBNODE), ACCESS 500 (3%), ACCESS
    /// latency x3.
    Incident,
    /// The same traffic without the incident (the output without --scenario).
    Calm,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Incident => "incident",
            Scenario::Calm => "calm",
        }
    }
}

/// Start of the incident (record start times, 100 ns units): 60% of the day.
pub const ONSET_100NS: u64 = DAY_START_100NS + (DAY_100NS as u64) / 10 * 6;
/// The onset as RFC 3339 (the day starts at 2025-11-24T00:00:00Z; 0.6 day = 14:24:00).
pub const ONSET_RFC3339: &str = "2025-11-24T14:24:00Z";
/// The disk that breaks.
pub const BROKEN_DISK: u64 = 233;
/// Share of all BLOBNODE requests that fail with 613 after the onset, per million.
pub const BLOBNODE_613_PPM: u64 = 150_000;
/// Share of disk-addressed BLOBNODE requests taken for it, per million: 15% / 93%.
const DISK_OPS_613_PPM: u64 = 161_290;
/// Share of ACCESS requests that fail with 500 after the onset, per million.
pub const ACCESS_500_PPM: u64 = 30_000;
/// How much slower ACCESS gets after the onset.
pub const ACCESS_SLOWDOWN: u64 = 3;
/// The generator's largest duration, microseconds.
const MAX_DURATION_US: u64 = 120_000_000;

/// What the incident does to one record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hit {
    /// Replace the status code with this one (its reply becomes an error reply).
    pub code: Option<u32>,
    /// Address this disk instead of the drawn one.
    pub disk: Option<u64>,
    /// Multiply the duration by this (1 = unchanged).
    pub slowdown: u64,
}

impl Hit {
    /// The duration after the slowdown.
    pub fn duration(&self, dur_us: u64) -> u64 {
        if self.slowdown <= 1 {
            dur_us
        } else {
            dur_us.saturating_mul(self.slowdown).min(MAX_DURATION_US)
        }
    }
}

/// The incident's state: off, or on with its own random stream.
#[derive(Clone, Debug)]
pub struct Incident {
    rng: Option<Rng>,
}

impl Incident {
    /// No incident (no scenario, or `calm`).
    pub fn off() -> Self {
        Incident { rng: None }
    }

    /// The incident of `scenario` for `seed` (off unless it is `incident`).
    pub fn new(scenario: Option<Scenario>, seed: u64) -> Self {
        match scenario {
            Some(Scenario::Incident) => Incident {
                // A stream of its own, so the main one is the same with or without it.
                rng: Some(Rng::new(seed ^ 0xd1ff_5ce4_a410_0613)),
            },
            _ => Incident::off(),
        }
    }

    /// What happens to a request of `service` doing `op` that starts at `start` (100 ns).
    pub fn at(&mut self, service: &str, op: Op, start: u64) -> Hit {
        let unchanged = Hit {
            code: None,
            disk: None,
            slowdown: 1,
        };
        let Some(rng) = self.rng.as_mut() else {
            return unchanged;
        };
        if start < ONSET_100NS {
            return unchanged;
        }
        match service {
            "BLOBNODE" if addresses_disk(op) && rng.below(1_000_000) < DISK_OPS_613_PPM => Hit {
                code: Some(613),
                disk: Some(BROKEN_DISK),
                slowdown: 1,
            },
            "ACCESS" => Hit {
                code: (rng.below(1_000_000) < ACCESS_500_PPM).then_some(500),
                disk: None,
                slowdown: ACCESS_SLOWDOWN,
            },
            _ => unchanged,
        }
    }
}

/// BLOBNODE operations whose path names a disk (all but `/stat`).
fn addresses_disk(op: Op) -> bool {
    matches!(
        op,
        Op::BnShardGet | Op::BnShardPut | Op::BnMarkDelete | Op::BnDelete | Op::BnChunkStat
    )
}

/// The `scenario.tsv` written beside `expected.tsv`: what was generated and where the onset
/// is, for splitting the data into baseline and incident.
pub fn describe(scenario: Scenario) -> String {
    let incident = scenario == Scenario::Incident;
    let mut out = String::from("key\tvalue\n");
    out.push_str(&format!("scenario\t{}\n", scenario.name()));
    out.push_str(&format!("onset\t{ONSET_RFC3339}\n"));
    out.push_str(&format!("onset_100ns\t{ONSET_100NS}\n"));
    if incident {
        out.push_str(&format!("broken_disk\t{BROKEN_DISK}\n"));
        out.push_str(&format!("blobnode_613_ppm\t{BLOBNODE_613_PPM}\n"));
        out.push_str(&format!("access_500_ppm\t{ACCESS_500_PPM}\n"));
        out.push_str(&format!("access_slowdown\t{ACCESS_SLOWDOWN}\n"));
    }
    out
}
