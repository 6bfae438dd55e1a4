//! A task: one run of the engine, with the key that says whether its artifact is still valid
//! (the key's inputs and hashing are in `artifacts::key`, shared with the manifests).

use std::path::PathBuf;
use std::sync::Arc;

use crate::artifacts::key::{ConfigKey, KeyInputs, KeyView, Phase, TaskKey, KEY_SCHEMA};
use crate::artifacts::layout::RunPaths;

/// What the tasks of one config share (every phase and version of it).
#[derive(Debug, Clone)]
pub struct ConfigInputs {
    /// The inputs of its tasks' keys.
    pub key: ConfigKey,
    /// The engine's arguments, with the model's local path.
    pub engine_args: Vec<String>,
    /// The model's folder, where the run loads one (evicted from the page cache for cold runs).
    pub model_dir: Option<PathBuf>,
}

/// One run to do (or skip): its key, where its artifacts go, and how to start it.
#[derive(Debug, Clone)]
pub struct Task {
    pub config: Arc<ConfigInputs>,
    pub vllm: Arc<str>,
    pub phase: Phase,
    pub key: TaskKey,
    pub paths: RunPaths,
    /// Index of its group in [`super::Plan::groups`].
    pub group: usize,
}

impl Task {
    pub fn new(
        config: Arc<ConfigInputs>,
        vllm: Arc<str>,
        phase: Phase,
        paths: RunPaths,
        group: usize,
    ) -> Task {
        let key = KeyView {
            config: &config.key,
            vllm: &vllm,
            phase,
        }
        .key();
        Task {
            config,
            vllm,
            phase,
            key,
            paths,
            group,
        }
    }

    /// The owned inputs of its key (for its manifest, and `--dry-run -v`).
    pub fn inputs(&self) -> KeyInputs {
        KeyInputs {
            schema: KEY_SCHEMA,
            vllm: self.vllm.to_string(),
            phase: self.phase,
            config: self.config.key.clone(),
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn label(&self) -> &str {
        &self.config.key.label
    }

    /// The task as people read it: `figure-9 iteration 1 model_llama2-7b-hf_cuda-graph-sizes_56`;
    /// a run of another vLLM than the paper's says which (`figure-1 warm-up vLLM 0.3.1 …`), since
    /// figure 1's runs differ only in that.
    pub fn describe(&self) -> String {
        let k = &self.config.key;
        let part = k
            .part
            .as_deref()
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        let phase = match self.phase {
            Phase::Warmup => "warm-up".to_string(),
            Phase::Iteration(i) => format!("iteration {i}"),
        };
        let vllm = if &*self.vllm == crate::env::PAPER_VLLM {
            String::new()
        } else {
            format!("vLLM {} ", self.vllm)
        };
        format!("{}{part} {phase} {vllm}{}", k.figure, k.label)
    }

    /// The state of the compile caches the run starts with, where its recipe sweeps `cache`.
    pub fn combination_cache(&self) -> Option<crate::recipe::matrix::CacheState> {
        use crate::recipe::matrix::{CacheState, CACHE_PARAM};
        match self.config.key.params.get(CACHE_PARAM) {
            Some(crate::recipe::Scalar::Str(s)) if s == "cold" => Some(CacheState::Cold),
            Some(crate::recipe::Scalar::Str(s)) if s == "warm" => Some(CacheState::Warm),
            _ => None,
        }
    }
}
