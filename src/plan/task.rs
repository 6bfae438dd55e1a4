//! A task: one run of the engine, with the key that says whether its artifact is still valid.
//!
//! The key is the blake3 hash of the JSON of [`KeyInputs`], a struct of everything that decides
//! the run's output (as `just`'s cache key). Change any of it and the stored run is stale.

use std::fmt;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::artifacts::layout::RunPaths;
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
}

/// Everything that decides a run's output; its JSON is hashed into the [`TaskKey`].
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
    pub phase: Phase,
    pub evict_page_cache: bool,
    pub sample_cpu: bool,
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

    /// blake3 of [`KeyInputs::to_json`], streamed into the hasher (planning makes many keys).
    pub fn key(&self) -> TaskKey {
        let mut hasher = blake3::Hasher::new();
        serde_json::to_writer(&mut hasher, self).expect("key inputs serialise");
        TaskKey(hasher.finalize().to_hex().to_string())
    }
}

/// One run to do (or skip): its key, where its artifacts go, and how to start it.
#[derive(Debug, Clone)]
pub struct Task {
    pub inputs: KeyInputs,
    pub key: TaskKey,
    pub paths: RunPaths,
    /// Index of its group in [`super::Plan::groups`].
    pub group: usize,
    /// The engine's arguments, with the model's local path.
    pub engine_args: Vec<String>,
    /// The model's folder, where the run loads one (evicted from the page cache for cold runs).
    pub model_dir: Option<PathBuf>,
}

impl Task {
    pub fn phase(&self) -> Phase {
        self.inputs.phase
    }

    pub fn label(&self) -> &str {
        &self.inputs.label
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
