//! An offline benchmark (`kind = "offline"` in `benchmarks/<name>.toml`): vLLM's `LLM.generate`
//! run by repro's harness in a vLLM environment, no server — latency mode (one batch generated
//! `iterations` times after `warmup` untimed ones) or throughput mode (every request of a
//! seeded set of prompts in one call). Matrix keys that name an offline knob (`batch_size`,
//! `input_len`, `output_len`, `requests`, `iterations`) or the `model` override the recipe's;
//! any other key is an engine argument of `vllm.LLM` (`scheduling-policy = ["fcfs",
//! "priority"]` → `scheduling_policy="fcfs"`).

use std::path::Path;
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::config::machines::Device;
use crate::config::{ConfigError, Seg};
use crate::recipe::bench::PromptSpec;
use crate::recipe::matrix::{expand, Combination, Params, Scalar};

/// Matrix keys that set an offline knob rather than an engine argument.
pub const OFFLINE_KEYS: [&str; 5] = [
    "batch_size",
    "input_len",
    "output_len",
    "requests",
    "iterations",
];

/// The one kind this recipe is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfflineKind {
    Offline,
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One batch, timed `iterations` times: latency percentiles.
    Latency,
    /// A set of requests in one call: requests/s, input and output tokens/s.
    Throughput,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Latency => "latency",
            Mode::Throughput => "throughput",
        }
    }
}

/// What generates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// vLLM's `LLM.generate`.
    #[default]
    Vllm,
    /// A plain Hugging Face `transformers` `generate` baseline (unbatched in throughput mode),
    /// in the same environment; of `args`, only `dtype` is used.
    Transformers,
}

/// The engine of an offline benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSpec {
    /// The environment's vLLM version (`repro env setup`).
    pub vllm: String,
    #[serde(default)]
    pub device: Device,
    /// A model of models.toml (in the models folder), a path, or a Hugging Face id.
    pub model: String,
    #[serde(default)]
    pub backend: Backend,
    /// Keyword arguments of `vllm.LLM` (`max_model_len = 1024`).
    #[serde(default)]
    pub args: IndexMap<String, Scalar>,
    /// Environment of the harness.
    #[serde(default)]
    pub env: IndexMap<String, String>,
    /// A python with vLLM other than repro's environment (relative to the project); then no
    /// environment is set up.
    #[serde(default)]
    pub python: Option<std::path::PathBuf>,
    /// The whole run (engine start-up included) may take this long.
    #[serde(default = "thirty_minutes", with = "humantime_serde")]
    pub timeout: Duration,
}

/// What the harness runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineSpec {
    pub mode: Mode,
    /// Latency: prompts in the batch.
    #[serde(default)]
    pub batch_size: Option<u64>,
    /// Latency: random token ids per prompt.
    #[serde(default)]
    pub input_len: Option<u64>,
    /// Tokens generated per prompt (end-of-sequence ignored unless `ignore_eos = false`); in
    /// throughput mode, a dataset's own output lengths are used where it is not set.
    #[serde(default)]
    pub output_len: Option<u64>,
    /// Latency: untimed generations first.
    #[serde(default = "one")]
    pub warmup: u32,
    /// Latency: timed generations.
    #[serde(default = "ten")]
    pub iterations: u32,
    /// Throughput: how many prompts.
    #[serde(default)]
    pub requests: Option<u64>,
    /// Throughput: where prompts come from (as a serving workload's `prompt`).
    #[serde(default)]
    pub prompt: Option<PromptSpec>,
    #[serde(default)]
    pub seed: u64,
    #[serde(default = "yes")]
    pub ignore_eos: bool,
}

fn thirty_minutes() -> Duration {
    Duration::from_secs(1800)
}
fn one() -> u32 {
    1
}
fn ten() -> u32 {
    10
}
fn yes() -> bool {
    true
}

/// An offline benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineRecipe {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub kind: OfflineKind,
    pub engine: EngineSpec,
    pub offline: OfflineSpec,
    #[serde(default)]
    pub matrix: Params,
}

/// One run of the matrix, every value resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfflineRun {
    pub label: String,
    pub params: IndexMap<String, Scalar>,
    pub model: String,
    pub offline: OfflineSpec,
    /// The recipe's engine arguments with the matrix's over them, as `vllm.LLM`'s keywords.
    pub engine_args: IndexMap<String, Scalar>,
}

impl OfflineRecipe {
    pub fn parse(path: &Path, text: &str) -> Result<OfflineRecipe, ConfigError> {
        let recipe: OfflineRecipe = crate::config::from_toml(path, text)?;
        // At the key, else at its table where the key is missing.
        let at = |keys: &[&str], message: String| {
            let mut segs: Vec<Seg<'_>> = keys.iter().map(|k| Seg::Key(k)).collect();
            if crate::config::span(text, &segs).is_none() {
                segs.truncate(1);
            }
            crate::config::error_at(path, text, &segs, message)
        };
        for run in recipe.runs() {
            let o = &run.offline;
            fn place<'k>(matrix: &Params, key: &'k str) -> [&'k str; 2] {
                match matrix.contains_key(key) {
                    true => ["matrix", key],
                    false => ["offline", key],
                }
            }
            let positive = |key: &str, v: Option<u64>| match v {
                Some(n) if n >= 1 => Ok(()),
                _ => Err(at(
                    &place(&recipe.matrix, key),
                    format!(
                        "run `{}`: {} mode needs `{key}` ≥ 1 (in [offline] or [matrix])",
                        run.label,
                        o.mode.name()
                    ),
                )),
            };
            match o.mode {
                Mode::Latency => {
                    positive("batch_size", o.batch_size)?;
                    positive("input_len", o.input_len)?;
                    positive("output_len", o.output_len)?;
                    if o.iterations == 0 {
                        return Err(at(
                            &place(&recipe.matrix, "iterations"),
                            "`iterations` must be ≥ 1".into(),
                        ));
                    }
                }
                Mode::Throughput => {
                    positive("requests", o.requests)?;
                    match &o.prompt {
                        None => {
                            return Err(at(
                                &["offline"],
                                "throughput mode needs `prompt = { kind = \"synthetic\" | \"file\" | \"dataset\", … }`".into(),
                            ))
                        }
                        Some(PromptSpec::Dataset { .. }) => {}
                        Some(_) => positive("output_len", o.output_len)?,
                    }
                }
            }
        }
        Ok(recipe)
    }

    /// Every run of the matrix, in order.
    pub fn runs(&self) -> Vec<OfflineRun> {
        expand(&self.matrix, &Params::new())
            .into_iter()
            .map(|c| self.resolve(c))
            .collect()
    }

    fn resolve(&self, combination: Combination) -> OfflineRun {
        let mut offline = self.offline.clone();
        let mut model = self.engine.model.clone();
        let mut engine_args = self.engine.args.clone();
        let as_u64 = |s: &Scalar| match s {
            Scalar::Int(i) if *i >= 0 => Some(*i as u64),
            _ => None,
        };
        for (key, value) in &combination.params {
            match key.as_str() {
                "batch_size" => offline.batch_size = as_u64(value),
                "input_len" => offline.input_len = as_u64(value),
                "output_len" => offline.output_len = as_u64(value),
                "requests" => offline.requests = as_u64(value),
                "iterations" => offline.iterations = as_u64(value).unwrap_or(0) as u32,
                "model" => model = value.python_str(),
                _ => {
                    engine_args.insert(key.replace('-', "_"), value.clone());
                }
            }
        }
        let label = if combination.params.is_empty() {
            "default".to_string()
        } else {
            combination.label()
        };
        OfflineRun {
            label,
            params: combination.params,
            model,
            offline,
            engine_args,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
title = "o"
kind = "offline"
[engine]
vllm = "0.10.1.1"
device = "cpu"
model = "tiny-llama"
args = { max_model_len = 1024, dtype = "bfloat16" }
[offline]
mode = "latency"
batch_size = 4
input_len = 16
output_len = 8
iterations = 3
[matrix]
scheduling-policy = ["fcfs", "priority"]
batch_size = [1, 4]
"#;

    #[test]
    fn matrix_keys_are_knobs_or_engine_arguments() {
        let r = OfflineRecipe::parse(Path::new("o.toml"), BASE).unwrap();
        let runs = r.runs();
        let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "scheduling-policy_fcfs_batch_size_1",
                "scheduling-policy_fcfs_batch_size_4",
                "scheduling-policy_priority_batch_size_1",
                "scheduling-policy_priority_batch_size_4"
            ]
        );
        assert_eq!(runs[2].offline.batch_size, Some(1));
        assert_eq!(
            runs[2].engine_args.get("scheduling_policy"),
            Some(&Scalar::Str("priority".into()))
        );
        assert_eq!(
            runs[2].engine_args.get("max_model_len"),
            Some(&Scalar::Int(1024))
        );
    }

    #[test]
    fn each_mode_names_what_it_lacks() {
        let text = BASE.replace("input_len = 16\n", "");
        let err = OfflineRecipe::parse(Path::new("o.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("latency mode needs `input_len` ≥ 1") && err.contains("o.toml:"),
            "{err}"
        );
        let text = BASE.replace("mode = \"latency\"", "mode = \"throughput\"");
        let err = OfflineRecipe::parse(Path::new("o.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("throughput mode needs `requests` ≥ 1"),
            "{err}"
        );
        let text = BASE.replace("kind = \"offline\"", "kind = \"online\"");
        let err = OfflineRecipe::parse(Path::new("o.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("o.toml:3"), "{err}");
    }
}
