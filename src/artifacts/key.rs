//! A run's key: the blake3 hash of the JSON of everything that decides its output (as `just`'s
//! cache key). Change any input and a stored run is stale. The inputs are stored in each run's
//! manifest, so `--dry-run -v` can show what changed; the planner, the runner and the manifests
//! all use these types.
//!
//! The JSON's field order is part of the key: [`KeyInputs`]'s `Serialize` lists the fields once,
//! in that order (a test pins it), and reads them from one struct, [`ConfigKey`], shared by
//! every task of a config without copying.

use std::fmt;

use indexmap::IndexMap;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

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

/// The inputs of a key that every task of one config shares (all but the vLLM version and the
/// phase). To add an input: a field here, and its line in [`KeyInputs`]'s `Serialize`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigKey {
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
    /// The profiling patches' hash (filled in once patches are applied by repro).
    pub patch_hash: Option<String>,
    pub engine: EngineKind,
    /// GPU, or vLLM's CPU build.
    #[serde(default)]
    pub device: Device,
    pub evict_page_cache: bool,
    pub sample_cpu: bool,
}

/// Everything that decides a run's output; its JSON is hashed into the [`TaskKey`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KeyInputs {
    pub schema: u32,
    pub vllm: String,
    pub phase: Phase,
    #[serde(flatten)]
    pub config: ConfigKey,
}

/// The JSON that is hashed, borrowed from a task's shared config (no copy per task).
pub struct KeyView<'a> {
    pub config: &'a ConfigKey,
    pub vllm: &'a str,
    pub phase: Phase,
}

impl Serialize for KeyView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The one place the order is written down: it is part of every stored key.
        let c = self.config;
        let mut st = s.serialize_struct("KeyInputs", 14)?;
        st.serialize_field("schema", &KEY_SCHEMA)?;
        st.serialize_field("figure", &c.figure)?;
        st.serialize_field("part", &c.part)?;
        st.serialize_field("label", &c.label)?;
        st.serialize_field("params", &c.params)?;
        st.serialize_field("env", &c.env)?;
        st.serialize_field("model", &c.model)?;
        st.serialize_field("vllm", self.vllm)?;
        st.serialize_field("patch_hash", &c.patch_hash)?;
        st.serialize_field("engine", &c.engine)?;
        st.serialize_field("device", &c.device)?;
        st.serialize_field("phase", &self.phase)?;
        st.serialize_field("evict_page_cache", &c.evict_page_cache)?;
        st.serialize_field("sample_cpu", &c.sample_cpu)?;
        st.end()
    }
}

impl KeyView<'_> {
    /// blake3 of the JSON, hashed in one piece (many small updates are slower).
    pub fn key(&self) -> TaskKey {
        let mut json = Vec::with_capacity(1024);
        serde_json::to_writer(&mut json, self).expect("key inputs serialise");
        TaskKey(blake3::hash(&json).to_hex().to_string())
    }
}

impl Serialize for KeyInputs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(s)
    }
}

impl KeyInputs {
    fn view(&self) -> KeyView<'_> {
        KeyView {
            config: &self.config,
            vllm: &self.vllm,
            phase: self.phase,
        }
    }

    /// The canonical JSON that is hashed.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("key inputs serialise")
    }

    pub fn key(&self) -> TaskKey {
        self.view().key()
    }

    pub fn engine(&self) -> EngineKind {
        self.config.engine
    }

    /// Whether the run loaded a random-weight model.
    pub fn synthetic(&self) -> bool {
        self.config.model.as_ref().is_some_and(|m| m.synthetic)
    }
}

/// The hex blake3 hash of a run's inputs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskKey(pub String);

impl TaskKey {
    /// The key of any serialisable inputs, cut to `digits` hex digits (a benchmark run's key
    /// is 16).
    pub fn of(inputs: &impl Serialize, digits: usize) -> TaskKey {
        let json = serde_json::to_vec(inputs).expect("key inputs serialise");
        let hex = blake3::hash(&json).to_hex();
        TaskKey(hex[..digits.min(hex.len())].to_string())
    }

    /// The first 12 hex digits, for people.
    pub fn short(&self) -> &str {
        &self.0[..12.min(self.0.len())]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ConfigKey {
        ConfigKey {
            figure: "figure-2".into(),
            part: None,
            label: "model_x".into(),
            params: [("model".to_string(), Scalar::Str("x".into()))].into(),
            env: Default::default(),
            model: None,
            patch_hash: None,
            engine: EngineKind::Fake,
            device: Default::default(),
            evict_page_cache: false,
            sample_cpu: false,
        }
    }

    /// The JSON of a key, field for field: stored runs stay done only while it is unchanged.
    #[test]
    fn the_key_is_the_hash_of_this_exact_json() {
        let inputs = KeyInputs {
            schema: KEY_SCHEMA,
            vllm: "0.10.1.1".into(),
            phase: Phase::Iteration(1),
            config: config(),
        };
        let json = inputs.to_json();
        assert_eq!(
            json,
            r#"{"schema":1,"figure":"figure-2","part":null,"label":"model_x","params":{"model":"x"},"env":{},"model":null,"vllm":"0.10.1.1","patch_hash":null,"engine":"fake","device":"gpu","phase":{"iteration":1},"evict_page_cache":false,"sample_cpu":false}"#
        );
        assert_eq!(
            inputs.key().0,
            blake3::hash(json.as_bytes()).to_hex().to_string()
        );
        // What a manifest stores reads back as it was.
        let back: KeyInputs = serde_json::from_str(&json).unwrap();
        assert_eq!(back, inputs);
    }
}
