//! Serving benchmarks (`benchmarks/<name>.toml`): start an LLM server (or use one by URL), load
//! it with a seeded workload, and measure what its users feel — TTFT, TPOT, ITL, E2E latency,
//! throughput and goodput against SLOs — keeping every request's raw record.
//!
//! recipe (`recipe::bench`) → plan (`plan::bench`, `plan::offline`, `plan::tenants`: a task per
//! run, keyed) → workload (requests and send times) → server (a background child of
//! `run::child`) → load (async HTTP/SSE client) → records → metrics (summary) → curves (plot
//! data). Every kind of run — a server's (`runner`, and through it `capacity`'s probes and
//! `prefill`'s points), an offline harness's (`offline`), a shared run of tenants (`tenants`) —
//! is a job of the one scheduler (`schedule`), reporting through one event stream (`event`).
//!
//! Below the runners, shared by all: `context` (folders, flags, the HTTP client), `error`,
//! `event`, `files`, `measures`, `harness`, `aggregate`.

pub mod aggregate;
pub mod aiperf_format;
pub mod benchmark;
pub mod caches;
pub mod capacity;
pub mod capacity_search;
pub mod client;
pub mod context;
pub mod conversation;
pub mod curves;
pub mod dataset;
pub mod deadline;
pub mod dry_run;
pub mod error;
pub mod event;
pub mod files;
pub mod guidellm_format;
pub mod harness;
pub mod import;
pub mod load;
pub mod loadcheck;
pub mod measures;
pub mod metrics;
pub mod mock;
pub mod mps;
pub mod offline;
pub mod pareto;
pub mod prefill;
pub mod record;
pub mod repeats;
pub mod runner;
pub mod schedule;
pub mod server;
pub mod startup;
pub mod tenants;
pub mod together;
pub mod tools;
pub mod turns;
pub mod vllm_format;
pub mod workload;

pub use context::Context;
pub use error::BenchError;
pub use event::{Event, Finished};
pub use runner::run_benchmark;
