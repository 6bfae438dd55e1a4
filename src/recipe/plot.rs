//! What a figure draws (`[[plot]]` of a recipe): the chart kind and its parameters, the same
//! choices the paper's `plot.py` files hard-code.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::config::models::Fact;
use crate::parse::Stage;

/// One figure of the paper, drawn from a recipe's data. (Unknown keys are caught by the chart
/// kind's own struct: `deny_unknown_fields` does not combine with `flatten`.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlotSpec {
    /// The paper's figure number (`"7"`).
    pub figure: String,
    /// File name of the PDF (`figure7.pdf`).
    pub output: String,
    #[serde(flatten)]
    pub chart: Chart,
}

/// The chart kinds of the paper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Chart {
    /// Figure 1: startup time per vLLM version, one bar each (`iterations/output_<ver>.txt`).
    VersionBars(VersionBars),
    /// Figure 2: one stacked bar of the stages, CPU-dominant ones hatched.
    StackedStages(StackedStages),
    /// Figures 3–9, 15: mean bar per model with stderr, inset regression and Pearson r.
    RegressionBars(RegressionBars),
    /// Figures 10, 11, 13: per-stage ratio of two split parts, mean over models ± stderr.
    SpeedupBars(SpeedupBars),
    /// Figure 12: per-core CPU usage over time.
    CpuHeatmap(CpuHeatmap),
    /// Figure 14: grouped bars per model and load format.
    GroupedBars(GroupedBars),
    /// Figure 17: predicted vs measured startup time of held-out models.
    PredictorBars(PredictorBars),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionBars {
    /// Release month of each version, in version order (`"Feb 24"`).
    pub release_dates: Vec<String>,
    pub xlabel: String,
    pub ylabel: String,
}

/// CPU- or GPU-dominant (figure 2's hatching).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resource {
    #[serde(rename = "CPU")]
    Cpu,
    #[serde(rename = "GPU")]
    Gpu,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackedStep {
    pub label: String,
    pub stage: Stage,
    pub resource: Resource,
    /// `#RRGGBB`
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackedStages {
    pub ylabel: String,
    /// Bottom to top.
    pub steps: Vec<StackedStep>,
}

/// What the x value of a model is (the paper's `metric2` / `func`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XValue {
    /// A fact of `models.toml`.
    Fact(Fact),
    /// Number of CUDA graph batch sizes of the run (`cuda-graph-sizes_N` in the label):
    /// `len([1, 2, 4] + range(8, N + 1, 8))` (figure 9).
    BatchSizes,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressionBars {
    pub metric: Stage,
    pub x: XValue,
    /// Model name (as in the run label) → name printed; only these are drawn.
    pub models: IndexMap<String, String>,
    #[serde(default)]
    pub xlabel: String,
    pub ylabel: String,
    pub inset_xlabel: String,
    pub inset_ylabel: String,
    pub ylim_multiplier: f64,
    /// Printed names left out of the regression line and the Pearson r.
    #[serde(default)]
    pub exclude_from_fit: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeedupBars {
    /// The split part everything is normalised to, and the other one.
    pub base: String,
    pub compared: String,
    pub ylabel: String,
    /// Stage → bar label, in bar order; the `actual_total_time` bar is drawn grey.
    pub steps: IndexMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuHeatmap {
    /// Samples file in the figure folder: a list of per-core usage lists (percent).
    pub samples: String,
    /// Seconds between samples.
    pub interval_s: f64,
    pub xlabel: String,
    pub ylabel: String,
    pub colorbar_label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupedBars {
    pub metric: Stage,
    /// The run parameter whose value puts a run in a group (`model`; a model's tensorizer copy
    /// counts as the model it was made from).
    #[serde(default = "model_param")]
    pub group_by: String,
    /// The groups in order: a value of `group_by` → its tick text (`llama2-13b-hf` →
    /// `llama2-13b`, printed title-cased). A run belongs to a group only when its value is
    /// exactly that: `16` never takes in `160`.
    pub groups: IndexMap<String, String>,
    /// The run parameter whose value picks a run's bar within its group (`load-format`).
    pub series_by: String,
    /// Values of `series_by`, one bar per group each (`safetensors`).
    pub series: Vec<String>,
    pub ylabel: String,
}

fn model_param() -> String {
    "model".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictorBars {
    /// Models left out of training (the paper's `--ignore_models`).
    pub ignore_for_training: Vec<String>,
    /// Held-out models drawn, name → printed name.
    pub validation: IndexMap<String, String>,
    pub ylabel: String,
    /// The paper trains the graph-capturing regression on `size × 67` and queries it with
    /// `size`; the published figure has that. `true` queries with `size × 67` too.
    #[serde(default)]
    pub fix_graph_capture_feature: bool,
}
