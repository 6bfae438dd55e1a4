//! Serving benchmarks (`benchmarks/<name>.toml`): start an LLM server (or use one by URL), load
//! it with a seeded workload, and measure what its users feel — TTFT, TPOT, ITL, E2E latency,
//! throughput and goodput against SLOs — keeping every request's raw record.
//!
//! recipe (`recipe::bench`) → plan (`plan::bench`: a task per run, keyed) → workload (requests
//! and send times) → server (a background child of `run::child`) → load (async HTTP/SSE
//! client) → records → metrics (summary) → curves (plot data); each run driven by
//! `run::folder`.

pub mod capacity;
pub mod client;
pub mod curves;
pub mod dataset;
pub mod deadline;
pub mod load;
pub mod loadcheck;
pub mod metrics;
pub mod mock;
pub mod mps;
pub mod offline;
pub mod prefill;
pub mod record;
pub mod runner;
pub mod server;
pub mod startup;
pub mod tenants;
pub mod tools;
pub mod workload;

pub use runner::{run_benchmark, BenchError, Context, Event};
