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

/// Where a recipe's `[[plot]]` tables are wrong, with the span of the field at fault and a
/// message that names it. serde's `flatten` (which `PlotSpec` needs for its `kind`) buffers a
/// table and loses the spans of its fields, so an error would point at `[[plot]]` itself; here
/// each table's chart kind is deserialized straight from the TOML, spans intact.
pub fn diagnose(text: &str) -> Option<(std::ops::Range<usize>, String)> {
    use serde::de::Deserialize as _;
    use toml::de::{DeValue, ValueDeserializer};

    let root = toml::de::DeTable::parse(text).ok()?;
    let plots = root.get_ref().get("plot")?;
    let DeValue::Array(plots) = plots.get_ref() else {
        return Some((
            plots.span(),
            "`plot` must be an array of tables: `[[plot]]`".into(),
        ));
    };
    for (index, plot) in plots.iter().enumerate() {
        let DeValue::Table(table) = plot.get_ref() else {
            return Some((plot.span(), format!("plot {}: not a table", index + 1)));
        };
        let field_of = |span: &std::ops::Range<usize>| {
            table
                .iter()
                .find(|(key, value)| {
                    let (k, v) = (key.span(), value.span());
                    (k.start <= span.start && span.end <= k.end)
                        || (v.start <= span.start && span.end <= v.end)
                })
                .map(|(key, _)| key.get_ref().to_string())
        };
        let at = |span: std::ops::Range<usize>, message: &str| {
            let field = field_of(&span).map_or(String::new(), |f| format!(", field `{f}`"));
            Some((
                span,
                format!("[[plot]] number {}{field}: {message}", index + 1),
            ))
        };
        for required in ["figure", "output", "kind"] {
            if table.get(required).is_none() {
                return at(plot.span(), &format!("missing field `{required}`"));
            }
        }
        let kind = table.get("kind").expect("checked");
        let Some(kind_name) = kind.get_ref().as_str() else {
            return at(kind.span(), "`kind` must be a string");
        };
        let mut rest = table.clone();
        for key in ["figure", "output", "kind"] {
            rest.remove(key);
        }
        let value = toml::Spanned::new(plot.span(), DeValue::Table(rest));
        let deserializer = || ValueDeserializer::from(value.clone());
        let result = match kind_name {
            "version_bars" => VersionBars::deserialize(deserializer()).map(drop),
            "stacked_stages" => StackedStages::deserialize(deserializer()).map(drop),
            "regression_bars" => RegressionBars::deserialize(deserializer()).map(drop),
            "speedup_bars" => SpeedupBars::deserialize(deserializer()).map(drop),
            "cpu_heatmap" => CpuHeatmap::deserialize(deserializer()).map(drop),
            "grouped_bars" => GroupedBars::deserialize(deserializer()).map(drop),
            "predictor_bars" => PredictorBars::deserialize(deserializer()).map(drop),
            other => {
                return at(
                    kind.span(),
                    &format!("unknown kind `{other}`: expected one of version_bars, stacked_stages, regression_bars, speedup_bars, cpu_heatmap, grouped_bars, predictor_bars"),
                )
            }
        };
        if let Err(e) = result {
            let span = e.span().unwrap_or(plot.span());
            return at(span, e.message().trim_end());
        }
    }
    None
}
