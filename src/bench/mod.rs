//! Serving benchmarks (`benchmarks/<name>.toml`): start an LLM server (or use one by URL), load
//! it with a seeded workload, and measure what its users feel — TTFT, TPOT, ITL, E2E latency,
//! throughput and goodput against SLOs — keeping every request's raw record.
//!
//! recipe (toml) → workload (requests + send times) → server (child process group) → load
//! (async HTTP/SSE client) → records → metrics (summary) → curves (plot data).

pub mod client;
pub mod curves;
pub mod load;
pub mod metrics;
pub mod mock;
pub mod recipe;
pub mod record;
pub mod runner;
pub mod server;
pub mod startup;
pub mod workload;

pub use recipe::{BenchRecipe, BenchRecipeError, BenchRun};
pub use runner::{run_benchmark, BenchError, Context, Event, RunState};
