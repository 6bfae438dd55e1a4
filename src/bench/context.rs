//! Where a benchmark runs and what its runs share: the folders, the flags of the command, and
//! the load generator's async runtime and HTTP client (made once per command, for every kind
//! of run).

use std::path::PathBuf;
use std::time::Duration;

use super::error::BenchError;
use crate::run::Interrupt;

/// Where a benchmark runs and what it may reuse.
#[derive(Debug, Clone)]
pub struct Context {
    /// Relative paths in recipes (prompt files, traces) are taken from here.
    pub project_root: PathBuf,
    /// Holds `envs/` (and, from older setups, `models/`).
    pub cache: PathBuf,
    /// Where models of models.toml live (`<models_dir>/<name>`), as for figures.
    pub models_dir: PathBuf,
    pub results: PathBuf,
    pub force: bool,
    /// Ctrl-C: stop sending, stop the server, keep nothing of the current run.
    pub interrupt: Interrupt,
    /// The repro executable, to run servers under `repro __server-guard` (see `run::guard`).
    pub guard: Option<PathBuf>,
    /// Keep the open loop's sender busy this long before each send (a starved client, for
    /// testing the load generator's self-check); zero normally.
    pub client_slowdown: Duration,
}

impl Context {
    /// Where vLLM finds `model`: the models folder (where `repro bench` prepares models.toml's
    /// models), a folder of an older setup, a path; else a hub id, which vLLM downloads itself.
    /// A folder is named absolute: the server may work in a folder of its own.
    pub fn model_path(&self, model: &str) -> String {
        let models = self.models_dir.join(model);
        let legacy = self.cache.join("models").join(model);
        let in_project = self.project_root.join(model);
        let found = [models, legacy, in_project]
            .into_iter()
            .find(|d| d.is_dir());
        match found {
            Some(dir) => crate::sys::absolute(&dir).display().to_string(),
            None => model.to_string(),
        }
    }
}

/// Worker threads of the load generator's async runtime.
pub const RUNTIME_WORKERS: usize = 2;

/// The load generator's async runtime and HTTP client.
pub struct Http {
    pub rt: tokio::runtime::Runtime,
    pub client: reqwest::Client,
}

impl Http {
    pub fn new() -> Result<Http, BenchError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_WORKERS)
            .enable_all()
            .build()
            .map_err(|e| BenchError::Runtime(e.to_string()))?;
        // reqwest is built with `rustls-no-provider` (see models/hub.rs): install ring's, as
        // there.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(usize::MAX)
            .build()
            .map_err(|e| BenchError::Runtime(e.to_string()))?;
        Ok(Http { rt, client })
    }
}

/// Cores the load generator can use: its runtime's workers and the sending thread, at most the
/// machine's.
pub fn client_cores() -> f64 {
    let machine = std::thread::available_parallelism().map_or(1, |n| n.get());
    machine.min(RUNTIME_WORKERS + 1) as f64
}
