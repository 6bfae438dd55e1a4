//! The startup stages the paper times, in the order of its JSON files.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::num::Num;

/// One stage of vLLM's startup, named as in `compare_logs.py`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stage {
    #[serde(rename = "detect_platform")]
    DetectPlatform,
    #[serde(rename = "llm_imports")]
    LlmImports,
    #[serde(rename = "get_model_info")]
    GetModelInfo,
    #[serde(rename = "worker_init")]
    WorkerInit,
    #[serde(rename = "framework_bootstrap")]
    FrameworkBootstrap,
    #[serde(rename = "load_weights")]
    LoadWeights,
    #[serde(rename = "model_init")]
    ModelInit,
    #[serde(rename = "model_loading")]
    ModelLoading,
    #[serde(rename = "dynamo_transform_time")]
    DynamoTransformTime,
    #[serde(rename = "graph_compile_general_shape")]
    GraphCompileGeneralShape,
    #[serde(rename = "graph_compile_cached")]
    GraphCompileCached,
    #[serde(rename = "torch.compile")]
    TorchCompile,
    #[serde(rename = "kv_cache_profiling")]
    KvCacheProfiling,
    #[serde(rename = "graph_capturing")]
    GraphCapturing,
    #[serde(rename = "init_engine")]
    InitEngine,
    #[serde(rename = "tokenizer_init")]
    TokenizerInit,
    #[serde(rename = "total_time")]
    TotalTime,
    #[serde(rename = "actual_total_time")]
    ActualTotalTime,
}

impl Stage {
    pub const COUNT: usize = 18;

    /// `custom_order` of `compare_logs.py`: the key order of every JSON file.
    pub const ALL: [Stage; Stage::COUNT] = [
        Stage::DetectPlatform,
        Stage::LlmImports,
        Stage::GetModelInfo,
        Stage::WorkerInit,
        Stage::FrameworkBootstrap,
        Stage::LoadWeights,
        Stage::ModelInit,
        Stage::ModelLoading,
        Stage::DynamoTransformTime,
        Stage::GraphCompileGeneralShape,
        Stage::GraphCompileCached,
        Stage::TorchCompile,
        Stage::KvCacheProfiling,
        Stage::GraphCapturing,
        Stage::InitEngine,
        Stage::TokenizerInit,
        Stage::TotalTime,
        Stage::ActualTotalTime,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Stage::DetectPlatform => "detect_platform",
            Stage::LlmImports => "llm_imports",
            Stage::GetModelInfo => "get_model_info",
            Stage::WorkerInit => "worker_init",
            Stage::FrameworkBootstrap => "framework_bootstrap",
            Stage::LoadWeights => "load_weights",
            Stage::ModelInit => "model_init",
            Stage::ModelLoading => "model_loading",
            Stage::DynamoTransformTime => "dynamo_transform_time",
            Stage::GraphCompileGeneralShape => "graph_compile_general_shape",
            Stage::GraphCompileCached => "graph_compile_cached",
            Stage::TorchCompile => "torch.compile",
            Stage::KvCacheProfiling => "kv_cache_profiling",
            Stage::GraphCapturing => "graph_capturing",
            Stage::InitEngine => "init_engine",
            Stage::TokenizerInit => "tokenizer_init",
            Stage::TotalTime => "total_time",
            Stage::ActualTotalTime => "actual_total_time",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The name is not one of the 18 stage keys.
#[derive(Debug, thiserror::Error)]
#[error("unknown stage `{0}` (known: detect_platform, llm_imports, …, actual_total_time)")]
pub struct UnknownStage(pub String);

impl FromStr for Stage {
    type Err = UnknownStage;
    fn from_str(s: &str) -> Result<Stage, UnknownStage> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.key() == s)
            .ok_or_else(|| UnknownStage(s.to_string()))
    }
}

/// One value per stage; `None` where the log does not say (the paper's `None`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageTimings {
    values: [Option<Num>; Stage::COUNT],
}

impl StageTimings {
    pub fn get(&self, stage: Stage) -> Option<Num> {
        self.values[stage.index()]
    }

    pub fn set(&mut self, stage: Stage, value: Option<Num>) {
        self.values[stage.index()] = value;
    }

    /// Every stage with its value, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (Stage, Option<Num>)> + '_ {
        Stage::ALL.into_iter().map(|stage| (stage, self.get(stage)))
    }
}

impl Serialize for StageTimings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(Stage::COUNT))?;
        for (stage, value) in self.iter() {
            map.serialize_entry(stage.key(), &value)?;
        }
        map.end()
    }
}
