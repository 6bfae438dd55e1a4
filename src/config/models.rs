//! `models.toml`: model name → Hugging Face repo, revision and the architecture facts the
//! figures and the predictor use (the paper's `models_config.json`).

use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{ConfigError, Seg};

/// A mixture-of-experts model's experts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    pub n_experts: u32,
    pub n_active_experts: u32,
    /// Active parameters, in billions.
    pub active_size: f64,
}

/// One model of the paper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// `owner/name` on the Hugging Face hub.
    pub repo: String,
    /// A branch, tag or commit hash.
    #[serde(default = "main_revision")]
    pub revision: String,
    /// The name the figures print (`Qwen-MoE-14.3B`).
    pub display: String,
    /// The `architectures[0]` of its config.json (`Qwen2ForCausalLM`).
    pub architecture: String,
    /// The `model_type` of its config.json (`qwen2`).
    pub model_type: String,
    /// Parameters, in billions.
    pub size: f64,
    pub layers: u32,
    pub num_key_value_heads: u32,
    pub num_attention_heads: u32,
    pub hidden_size: u32,
    pub ffn_dim: u32,
    pub vocab_size: u32,
    /// MB of its tokenizer.json.
    pub tokenizer_size: f64,
    /// KB of the graphs torch.compile stores for it.
    pub compiled_graph_sizes: f64,
    #[serde(default)]
    pub moe: Option<Moe>,
}

fn main_revision() -> String {
    "main".to_string()
}

/// A tensorizer copy of another model, made locally (figure 14).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tensorized {
    pub from: String,
}

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Models {
    pub models: IndexMap<String, Model>,
    #[serde(default)]
    pub tensorized: IndexMap<String, Tensorized>,
}

/// A numeric fact of a model, by its `models_config.json` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    Size,
    Layers,
    VocabSize,
    TokenizerSize,
    CompiledGraphSizes,
}

impl Model {
    /// A shape only made locally (`repo = "none/…"` in models.toml): nothing to download.
    pub fn synthetic_only(&self) -> bool {
        self.repo.starts_with("none/")
    }

    pub fn fact(&self, fact: Fact) -> f64 {
        match fact {
            Fact::Size => self.size,
            Fact::Layers => self.layers as f64,
            Fact::VocabSize => self.vocab_size as f64,
            Fact::TokenizerSize => self.tokenizer_size,
            Fact::CompiledGraphSizes => self.compiled_graph_sizes,
        }
    }
}

impl Models {
    pub fn load(path: &Path) -> Result<Models, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Models::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Models, ConfigError> {
        let models: Models = super::from_toml(path, text)?;
        for (name, t) in &models.tensorized {
            if !models.models.contains_key(&t.from) {
                let at = [Seg::Key("tensorized"), Seg::Key(name), Seg::Key("from")];
                return Err(super::error_at(
                    path,
                    text,
                    &at,
                    format!(
                        "tensorized model `{name}` is made from `{}`, which is not in [models]",
                        t.from
                    ),
                ));
            }
        }
        Ok(models)
    }

    /// The model, or for a tensorized copy the model it was made from.
    pub fn get(&self, name: &str) -> Option<&Model> {
        self.models.get(name).or_else(|| {
            self.tensorized
                .get(name)
                .and_then(|t| self.models.get(&t.from))
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.models.contains_key(name) || self.tensorized.contains_key(name)
    }
}
