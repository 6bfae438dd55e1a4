//! Start-up studies over many runs: every run's start-up read from its log (the ledger of
//! `parse::ledger`, any vLLM version) or from a benchmark's `summary.json` (a server's
//! `startup`), runs grouped by what they ran, per group and phase the median and spread
//! ([`group`]), two sets of runs compared with a noise test ([`compare`]), and a timeline
//! picture of a run or of a group's median ([`picture`]). `docs/startup.md` is the user's
//! side of it (the JSON, the test).
//!
//! Where it reads: logs (`output_*.txt`, `*.log`), folders of the paper's layout
//! (`<folder>/{uncached,iterations/<i>}/output_<label>.txt`), trees of them, and benchmark
//! folders (`bench-<name>/<run>/summary.json`).

mod collect;
pub mod compare;
pub mod group;
mod paper;
pub mod picture;
pub mod trend;

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Serialize;

use crate::parse::ledger::Timeline;

pub use collect::{collect, Collected};
pub use group::{groups, Group, PhaseStats, Tag};

/// The version of the JSON `repro startup` writes (`schema_version`); see `docs/startup.md`.
pub const SCHEMA_VERSION: u32 = 1;

/// The phase of the silences no log line and no stage accounts for, summed per run.
pub const UNACCOUNTED: &str = "unaccounted_s";
/// A server's spawn → its health endpoint answered (repro's clock).
pub const HEALTHY: &str = "spawn_to_healthy_s";
/// A server's spawn → the first token of the first request (repro's clock).
pub const FIRST_TOKEN: &str = "spawn_to_first_token_s";

/// Paths that give no runs at all.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("`{}` does not exist", .0.display())]
    Missing(PathBuf),
    #[error("`{}` holds no vLLM log and no benchmark summary (looked for output_*.txt, *.log and summary.json files)", .0.display())]
    NoRuns(PathBuf),
    #[error("no run in {what} could be read (every file was refused; see the warnings)")]
    NothingRead { what: String },
}

/// The state of vLLM's compile caches when a run started: from repro's `cache` param
/// (`cache_cold` / `cache_warm` in the label), else from the log (it compiled graphs: cold; it
/// loaded them from the cache: warm); unknown where neither says (torch.compile off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cache {
    /// Empty caches: torch.compile compiles.
    Cold,
    /// Caches an earlier run filled: the compiled graphs are loaded.
    Warm,
}

impl Cache {
    pub fn as_str(self) -> &'static str {
        match self {
            Cache::Cold => "cold",
            Cache::Warm => "warm",
        }
    }
}

/// Where a run's configuration field was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadFrom {
    /// The log's file name (its label), or repro's manifest of the run.
    Layout,
    /// The log itself (the engine's banner, its compile lines).
    Log,
}

/// What a run ran: the fields its group is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Config {
    /// The folder its layout sits in (`results/figure-7`, `results/bench-cpu-cache`), or the
    /// log's own folder for a log outside any layout.
    pub experiment: String,
    /// The run's parameters: `output_<label>.txt`'s label, or a benchmark run's folder.
    pub label: String,
    /// The paper's `uncached/` run: the first of its config, with the caches the machine had
    /// (the weights not yet in the page cache, as figures 9 and 10 show), kept apart from the
    /// `iterations/` that follow it.
    pub uncached: bool,
    pub model: Option<String>,
    pub vllm: Option<String>,
    pub cache: Option<Cache>,
    pub loader: Option<String>,
}

/// What a phase's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseSource {
    /// A duration vLLM printed.
    Printed,
    /// Derived from the log's timestamps (`startup_s`, a V0 `init_engine_s`).
    Derived,
    /// The silences no line and no stage accounts for ([`UNACCOUNTED`]).
    Gaps,
    /// Timed by repro around the server it started ([`HEALTHY`], [`FIRST_TOKEN`]).
    Server,
}

/// One run's start-up, in seconds per phase.
#[derive(Debug, Clone, Serialize)]
pub struct RunPhases {
    /// The log, or the benchmark run's `summary.json`.
    pub source: PathBuf,
    pub config: Config,
    /// Where `cache` was read (`null` where it is unknown).
    pub cache_from: Option<ReadFrom>,
    /// Its bytes are one of the paper's published logs (`data/published.tar.zst`).
    pub paper: bool,
    /// The log reached engine ready with no traceback after it.
    pub complete: bool,
    /// Phase → seconds, in start-up order.
    pub phases: IndexMap<String, (f64, PhaseSource)>,
    /// The ledger's time line of the run (the log's last run); not in the JSON.
    #[serde(skip)]
    pub timeline: Option<Timeline>,
}

/// The short name of a phase (`load_weights_s` → `load_weights`).
pub fn short(phase: &str) -> &str {
    phase.strip_suffix("_s").unwrap_or(phase)
}

/// Seconds as the tables print them.
pub fn secs(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}
