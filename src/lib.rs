//! bsaudit reads CubeFS BlobStore audit logs and tells an on-call engineer which services are
//! failing, with which status codes, what each code means, since when and how slow.
//!
//! The data flows one way:
//!
//! ```text
//! paths -> input::discover -> input::source -> engine (windows, streams; rayon)
//!       -> scan (memchr lines and fields -> Record) -> tally (per task, merged)
//!       -> report (rank, annotate from codes) -> render (table, json, csv, markdown)
//! ```
//!
//! - [`input::discover`] walks directories, orders rotated files, drops duplicates.
//! - [`input::source`] maps closed files in windows, streams live and compressed ones.
//! - [`scan`] classifies every line: record, empty, malformed by reason, oversized, tail.
//! - [`tally`] counts per (service, code) with mergeable histograms; merges with `+=`.
//! - [`report`] is the serialisable result model; [`render`] lays it out.
//! - [`codes`] is the embedded status-code table.
//! - [`stats`] holds the tests and verdicts of `diff` (rates, latency, q-values).
//! - [`follow`] and [`top`] are the live view: new bytes by file identity, a running summary.
//! - [`escape`] shows control bytes from the logs as escapes in every human format.
//!
//! The exact line rules are in `docs/semantics.md`.

pub mod app;
pub mod cli;
pub mod codes;
pub mod config;
pub mod diagnose;
pub mod diff;
pub mod dims;
pub mod engine;
pub mod error;
pub mod escape;
pub mod exit;
pub mod export;
pub mod fail_on;
pub mod filter;
pub mod follow;
pub mod histogram;
pub mod hops;
pub mod input;
pub mod metrics;
pub mod output;
pub mod render;
pub mod report;
pub mod scan;
pub mod state;
pub mod stats;
pub mod summary;
pub mod tally;
pub mod time;
pub mod timeline;
pub mod top;
pub mod trace;
pub mod tracelog;
