//! What happens to the runs of a benchmark of any kind, as the scheduler and the runs report
//! it: one stream, which the command line draws.

use std::path::Path;
use std::time::Duration;

use super::aggregate::Aggregate;
use super::error::BenchError;
use super::harness::OfflineSummary;
use super::metrics::Summary;

/// What happened to one run (or, in a tenants run, `<run>/<tenant>`'s server).
#[derive(Debug)]
pub enum Event<'a> {
    /// Done before with the same key; not rerun.
    Skipped {
        label: &'a str,
    },
    /// A server starts: its command (`None` for a server by URL).
    Starting {
        label: &'a str,
        command: Option<&'a [String]>,
    },
    /// An offline run's harness starts.
    Harness {
        label: &'a str,
    },
    Healthy {
        label: &'a str,
        after: Duration,
        path: &'a str,
    },
    Loading {
        label: &'a str,
        requests: u64,
    },
    /// Complete, in place at `dir`.
    Finished {
        label: &'a str,
        result: Finished<'a>,
        dir: &'a Path,
    },
    /// Failed; what it wrote is kept at `kept`.
    Failed {
        label: &'a str,
        error: &'a BenchError,
        kept: Option<&'a Path>,
    },
}

/// What a complete run gives, by its kind.
#[derive(Debug, Clone, Copy)]
pub enum Finished<'a> {
    /// A one-server run (a point of a matrix, a capacity probe, a tenant's solo run).
    Serve(&'a Summary),
    Offline(&'a OfflineSummary),
    /// A shared run: each tenant's summary, and the aggregate.
    Shared {
        tenants: &'a [(String, Summary)],
        aggregate: &'a Aggregate,
    },
}
