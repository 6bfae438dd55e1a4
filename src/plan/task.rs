//! A task: one run of the engine, with the key that says whether its artifact is still valid.
//!
//! The key is the blake3 hash of the JSON of [`KeyInputs`], a struct of everything that decides
//! the run's output (as `just`'s cache key). Change any of it and the stored run is stale.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::artifacts::layout::RunPaths;
use crate::config::machines::Device;
use crate::recipe::Scalar;

/// Bump when the meaning of a key field changes: every stored run becomes stale.
pub const KEY_SCHEMA: u32 = 1;

/// Which engine runs a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// vLLM in a Python environment, through the engine harness.
    Real,
    /// `repro __fake-engine`: a realistic vLLM log without Python or a GPU.
    Fake,
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Real => "real",
            EngineKind::Fake => "fake",
        })
    }
}

/// Which run of a config: the warm-up (kept as `uncached/`) or a timed iteration (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Warmup,
    Iteration(u32),
}

impl Phase {
    /// The value of `REPRO_ITERATION` for the child: `warmup` or the iteration number.
    pub fn env_value(self) -> String {
        match self {
            Phase::Warmup => "warmup".into(),
            Phase::Iteration(i) => i.to_string(),
        }
    }
}

/// The model a run loads, as far as it decides the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRef {
    pub name: String,
    pub repo: String,
    pub revision: String,
    /// Random weights made by `repro models synth`: never the paper's model.
    #[serde(default)]
    pub synthetic: bool,
}

/// Everything that decides a run's output; its JSON is hashed into the [`TaskKey`]. Stored in
/// each manifest, so `--dry-run -v` can show what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyInputs {
    pub schema: u32,
    /// The recipe's results folder (`figure-10`).
    pub figure: String,
    /// The split part (machine role or case), `gpu1`.
    pub part: Option<String>,
    pub label: String,
    /// The recipe entry's params, in label order.
    pub params: IndexMap<String, Scalar>,
    /// The recipe's environment.
    pub env: IndexMap<String, String>,
    pub model: Option<ModelRef>,
    pub vllm: String,
    /// The profiling patches' hash (filled in once patches are applied by repro).
    pub patch_hash: Option<String>,
    pub engine: EngineKind,
    /// GPU, or vLLM's CPU build.
    #[serde(default)]
    pub device: Device,
    pub phase: Phase,
    pub evict_page_cache: bool,
    pub sample_cpu: bool,
}

/// [`KeyInputs`] borrowed from a task: the same fields in the same order, so the same JSON,
/// without copying a config's params into each of its tasks.
#[derive(Serialize)]
struct KeyRef<'a> {
    schema: u32,
    figure: &'a str,
    part: Option<&'a str>,
    label: &'a str,
    params: &'a IndexMap<String, Scalar>,
    env: &'a IndexMap<String, String>,
    model: Option<&'a ModelRef>,
    vllm: &'a str,
    patch_hash: Option<&'a str>,
    engine: EngineKind,
    device: Device,
    phase: Phase,
    evict_page_cache: bool,
    sample_cpu: bool,
}

impl KeyRef<'_> {
    /// blake3 of the JSON, hashed in one piece (many small updates are slower).
    fn key(&self) -> TaskKey {
        let mut json = Vec::with_capacity(1024);
        serde_json::to_writer(&mut json, self).expect("key inputs serialise");
        TaskKey(blake3::hash(&json).to_hex().to_string())
    }
}

/// The hex blake3 hash of a task's [`KeyInputs`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskKey(pub String);

impl TaskKey {
    /// The first 12 hex digits, for people.
    pub fn short(&self) -> &str {
        &self.0[..12.min(self.0.len())]
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl KeyInputs {
    /// The canonical JSON that is hashed (struct field order is fixed, maps keep their order).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("key inputs serialise")
    }

    pub fn key(&self) -> TaskKey {
        KeyRef {
            schema: self.schema,
            figure: &self.figure,
            part: self.part.as_deref(),
            label: &self.label,
            params: &self.params,
            env: &self.env,
            model: self.model.as_ref(),
            vllm: &self.vllm,
            patch_hash: self.patch_hash.as_deref(),
            engine: self.engine,
            device: self.device,
            phase: self.phase,
            evict_page_cache: self.evict_page_cache,
            sample_cpu: self.sample_cpu,
        }
        .key()
    }
}

/// What the tasks of one config share (every phase and version of it).
#[derive(Debug, Clone)]
pub struct ConfigInputs {
    pub figure: String,
    pub part: Option<String>,
    pub label: String,
    pub params: IndexMap<String, Scalar>,
    pub env: IndexMap<String, String>,
    pub model: Option<ModelRef>,
    pub patch_hash: Option<String>,
    pub engine: EngineKind,
    pub device: Device,
    pub evict_page_cache: bool,
    pub sample_cpu: bool,
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
        let key = KeyRef {
            schema: KEY_SCHEMA,
            figure: &config.figure,
            part: config.part.as_deref(),
            label: &config.label,
            params: &config.params,
            env: &config.env,
            model: config.model.as_ref(),
            vllm: &vllm,
            patch_hash: config.patch_hash.as_deref(),
            engine: config.engine,
            device: config.device,
            phase,
            evict_page_cache: config.evict_page_cache,
            sample_cpu: config.sample_cpu,
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
        let c = &*self.config;
        KeyInputs {
            schema: KEY_SCHEMA,
            figure: c.figure.clone(),
            part: c.part.clone(),
            label: c.label.clone(),
            params: c.params.clone(),
            env: c.env.clone(),
            model: c.model.clone(),
            vllm: self.vllm.to_string(),
            patch_hash: c.patch_hash.clone(),
            engine: c.engine,
            device: c.device,
            phase: self.phase,
            evict_page_cache: c.evict_page_cache,
            sample_cpu: c.sample_cpu,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn label(&self) -> &str {
        &self.config.label
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_key_is_the_hash_of_the_json() {
        let plan_inputs = super::KeyInputs {
            schema: super::KEY_SCHEMA,
            figure: "figure-2".into(),
            part: None,
            label: "model_x".into(),
            params: Default::default(),
            env: Default::default(),
            model: None,
            vllm: "0.10.1.1".into(),
            patch_hash: None,
            engine: super::EngineKind::Fake,
            device: Default::default(),
            phase: super::Phase::Iteration(1),
            evict_page_cache: false,
            sample_cpu: false,
        };
        let json = plan_inputs.to_json();
        assert!(
            json.starts_with(r#"{"schema":1,"figure":"figure-2","#),
            "{json}"
        );
        assert_eq!(
            plan_inputs.key().0,
            blake3::hash(json.as_bytes()).to_hex().to_string()
        );
    }
}
