//! Charts for any experiment, where its recipe draws none (`[[plot]]`): one stacked bar of
//! the stages per run (figure 2's stages and colours, one bar per run of the average), and for
//! each parameter the recipe sweeps, the main stages against its values — a line chart where
//! the values are numbers, grouped bars where they are words.

use std::collections::HashMap;

use crate::parse::Stage;
use crate::recipe::{Combination, Recipe, Scalar};
use crate::stats;
use crate::table::Comparison;

use super::bench::{LineChartData, Series as Line};
use super::grouped::{GroupedBarsData, Series as Bars, SERIES_COLORS};
use super::FigureError;

/// The stages stacked, bottom to top, with figure 2's labels and colours.
pub const STACKED: [(Stage, &str, &str); 11] = [
    (Stage::DetectPlatform, "Detect Platform", "#4477AA"),
    (Stage::LlmImports, "LLM Imports", "#66CCEE"),
    (Stage::GetModelInfo, "Get Model Info", "#CCBB44"),
    (Stage::WorkerInit, "Worker Initialization", "#44AA99"),
    (Stage::TokenizerInit, "Tokenizer Initialization", "#117733"),
    (Stage::ModelInit, "Model Initialization", "#999933"),
    (Stage::LoadWeights, "Loading Weights", "#CC6677"),
    (
        Stage::DynamoTransformTime,
        "Dynamo Transformation",
        "#882255",
    ),
    (Stage::GraphCompileCached, "Load Compiled Graphs", "#332288"),
    (Stage::KvCacheProfiling, "KV Cache Profiling", "#AA4499"),
    (Stage::GraphCapturing, "Graph Capturing", "#EE7733"),
];

/// The stages drawn against a swept parameter.
pub const AGAINST: [(Stage, &str); 5] = [
    (Stage::ActualTotalTime, "Total Time"),
    (Stage::ModelLoading, "Model Loading"),
    (Stage::TorchCompile, "torch.compile"),
    (Stage::KvCacheProfiling, "KV Cache Profiling"),
    (Stage::GraphCapturing, "Graph Capturing"),
];

/// One stacked bar per run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStagesData {
    pub title: String,
    /// Tick text per run.
    pub runs: Vec<String>,
    /// Per stage (bottom to top): label, colour, value per run (0 where the run has none).
    pub stages: Vec<(String, String, Vec<f64>)>,
    /// The average's `actual_total_time` per run, written above its bar.
    pub totals: Vec<Option<f64>>,
    pub ylabel: String,
}

/// The stacked stages of every run of an average table.
pub fn run_stages(
    title: &str,
    average: &Comparison,
    ticks: &[String],
) -> Result<RunStagesData, FigureError> {
    if average.labels.is_empty() {
        return Err(FigureError::NoData("the average has no run".into()));
    }
    let stages = STACKED
        .iter()
        .map(|(stage, label, color)| {
            let values = (0..average.labels.len())
                .map(|i| average.value(*stage, i).map_or(0.0, |v| v.as_f64()))
                .collect();
            (label.to_string(), color.to_string(), values)
        })
        .collect();
    let totals = (0..average.labels.len())
        .map(|i| average.value(Stage::ActualTotalTime, i).map(|v| v.as_f64()))
        .collect();
    Ok(RunStagesData {
        title: title.to_string(),
        runs: ticks.to_vec(),
        stages,
        totals,
        ylabel: "Time (s)".into(),
    })
}

/// The parameters whose value differs between runs of a part, in the recipe's order, with
/// their values in the order they first appear. The model is not one: it is what a run is.
pub fn swept_params(recipe: &Recipe, part: Option<u32>) -> Vec<(String, Vec<Scalar>)> {
    let mut values: indexmap::IndexMap<String, Vec<Scalar>> = indexmap::IndexMap::new();
    for combination in recipe.combinations(part) {
        for (key, value) in &combination.params {
            let seen = values.entry(key.clone()).or_default();
            if !seen.contains(value) {
                seen.push(value.clone());
            }
        }
    }
    values
        .into_iter()
        .filter(|(key, seen)| key != "model" && seen.len() > 1)
        .collect()
}

/// A tick per run: the values of the parameters that differ between runs (`qwen-4b, 16`), or
/// the log's name without `output_` and `.txt` where the recipe does not know the run.
pub fn run_ticks(average: &Comparison, combinations: &[Combination]) -> Vec<String> {
    let by_log: HashMap<String, &Combination> =
        combinations.iter().map(|c| (c.log_name(), c)).collect();
    let varying: Vec<&String> = combinations
        .first()
        .map(|first| {
            first
                .params
                .keys()
                .filter(|k| {
                    combinations
                        .iter()
                        .any(|c| c.params.get(*k) != first.params.get(*k))
                })
                .collect()
        })
        .unwrap_or_default();
    average
        .labels
        .iter()
        .map(|label| match by_log.get(label) {
            Some(c) if !varying.is_empty() => varying
                .iter()
                .filter_map(|k| c.params.get(*k).map(Scalar::python_str))
                .collect::<Vec<_>>()
                .join(", "),
            _ => label
                .strip_prefix("output_")
                .and_then(|l| l.strip_suffix(".txt"))
                .unwrap_or(label)
                .to_string(),
        })
        .collect()
}

/// The runs split by model, where they are of several: a chart against a parameter draws one
/// model's runs (start-up times of a 0.5B and a 4B model are not averaged into one point).
/// One group named `None` where every run is of one model (or none names one).
pub fn by_model(combinations: &[Combination]) -> Vec<(Option<String>, Vec<Combination>)> {
    let mut groups: Vec<(Option<String>, Vec<Combination>)> = Vec::new();
    for c in combinations {
        let model = c.params.get("model").map(Scalar::python_str);
        match groups.iter_mut().find(|(m, _)| *m == model) {
            Some((_, runs)) => runs.push(c.clone()),
            None => groups.push((model, vec![c.clone()])),
        }
    }
    if groups.len() == 1 {
        groups[0].0 = None;
    }
    groups
}

/// A chart of the main stages against one swept parameter: each point the mean over the runs
/// with that value (over the other parameters' values, where they vary too; pass one model's
/// runs, [`by_model`], so that models are not averaged together).
pub enum ParamChart {
    Lines(LineChartData),
    Bars(GroupedBarsData),
}

/// The average's rows of the runs of `combinations` whose `param` is `value`.
fn rows_with(
    param: &str,
    value: &Scalar,
    average: &Comparison,
    combinations: &[Combination],
) -> Vec<usize> {
    let by_log: HashMap<String, &Combination> =
        combinations.iter().map(|c| (c.log_name(), c)).collect();
    average
        .labels
        .iter()
        .enumerate()
        .filter(|(_, l)| by_log.get(*l).and_then(|c| c.params.get(param)) == Some(value))
        .map(|(i, _)| i)
        .collect()
}

/// The values of `param` that no run of `combinations` in the average has: a sweep run in part
/// (one model of two, `--model`), whose chart draws the values that have runs and names these.
pub fn values_without_runs(
    param: &str,
    values: &[Scalar],
    average: &Comparison,
    combinations: &[Combination],
) -> Vec<Scalar> {
    values
        .iter()
        .filter(|v| rows_with(param, v, average, combinations).is_empty())
        .cloned()
        .collect()
}

pub fn param_chart(
    title: &str,
    param: &str,
    values: &[Scalar],
    average: &Comparison,
    combinations: &[Combination],
) -> Result<ParamChart, FigureError> {
    let rows_of = |value: &Scalar| rows_with(param, value, average, combinations);
    let mean_of = |stage: Stage, value: &Scalar| {
        let samples: Vec<f64> = rows_of(value)
            .into_iter()
            .filter_map(|i| average.value(stage, i).map(|v| v.as_f64()))
            .collect();
        stats::mean(&samples)
    };
    if values.iter().all(|v| rows_of(v).is_empty()) {
        return Err(FigureError::NoData(format!(
            "no run of the average has a value of `{param}`"
        )));
    }
    let numeric: Option<Vec<f64>> = values.iter().map(Scalar::as_f64).collect();
    match numeric {
        Some(xs) => {
            let series = AGAINST
                .iter()
                .map(|(stage, label)| Line {
                    label: label.to_string(),
                    points: xs
                        .iter()
                        .zip(values)
                        .filter_map(|(x, v)| mean_of(*stage, v).map(|y| (*x, y)))
                        .collect(),
                    bars: vec![],
                })
                .filter(|s| !s.points.is_empty())
                .collect();
            Ok(ParamChart::Lines(LineChartData {
                title: title.to_string(),
                xlabel: param.to_string(),
                ylabel: "Time (s)".into(),
                series,
                ymax: None,
            }))
        }
        None => {
            let series = AGAINST
                .iter()
                .enumerate()
                .map(|(i, (stage, label))| Bars {
                    name: label.to_string(),
                    color: SERIES_COLORS[i % SERIES_COLORS.len()].to_string(),
                    means: values.iter().map(|v| mean_of(*stage, v)).collect(),
                    stderrs: vec![None; values.len()],
                })
                .collect();
            Ok(ParamChart::Bars(GroupedBarsData {
                groups: values.iter().map(Scalar::python_str).collect(),
                series,
                ylabel: "Time (s)".into(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Project;

    const SWEEP: &str = r#"
title = "t"
[run]
vllm = "0.10.1.1"
iterations = 1
default_params = { max-num-seqs = [16, 160], load-format = ["safetensors", "tensorizer"] }
configs = [{ model = "qwen-4b" }]
"#;

    fn table(rows: &[(String, f64)]) -> Comparison {
        let json = serde_json::json!({
            "labels": rows.iter().map(|(l, _)| l).collect::<Vec<_>>(),
            "data": { "actual_total_time": rows.iter().map(|(_, v)| v).collect::<Vec<_>>() },
        });
        Comparison::from_json(
            std::path::Path::new("t"),
            &serde_json::to_vec(&json).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn each_swept_parameter_gets_a_chart_of_exact_values() {
        let models = Project::new("/nonexistent").models().unwrap();
        let recipe =
            Recipe::parse(std::path::Path::new("my-sweep.toml"), SWEEP, Some(&models)).unwrap();
        assert_eq!(recipe.folder, "my-sweep");
        let swept = swept_params(&recipe, None);
        let names: Vec<&str> = swept.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["max-num-seqs", "load-format"]);
        let combinations = recipe.combinations(None);
        let rows: Vec<(String, f64)> = combinations
            .iter()
            .zip([1.0, 3.0, 10.0, 30.0])
            .map(|(c, v)| (c.log_name(), v))
            .collect();
        let average = table(&rows);
        let ticks = run_ticks(&average, &combinations);
        assert_eq!(ticks[0], "16, safetensors");
        let ParamChart::Lines(lines) =
            param_chart("t", "max-num-seqs", &swept[0].1, &average, &combinations).unwrap()
        else {
            panic!("numbers give lines")
        };
        // 16: the mean of 1 and 3; 160 never mixes in.
        assert_eq!(lines.series[0].points, [(16.0, 2.0), (160.0, 20.0)]);
        let ParamChart::Bars(bars) =
            param_chart("t", "load-format", &swept[1].1, &average, &combinations).unwrap()
        else {
            panic!("words give bars")
        };
        assert_eq!(bars.groups, ["safetensors", "tensorizer"]);
        assert_eq!(bars.series[0].means, [Some(5.5), Some(16.5)]);
    }

    #[test]
    fn runs_of_several_models_are_charted_per_model() {
        let models = Project::new("/nonexistent").models().unwrap();
        let two = SWEEP.replace(
            r#"configs = [{ model = "qwen-4b" }]"#,
            r#"configs = [{ model = "qwen-0.5b" }, { model = "qwen-4b" }]"#,
        );
        let recipe =
            Recipe::parse(std::path::Path::new("my-sweep.toml"), &two, Some(&models)).unwrap();
        let combinations = recipe.combinations(None);
        let groups = by_model(&combinations);
        let names: Vec<Option<&str>> = groups.iter().map(|(m, _)| m.as_deref()).collect();
        assert_eq!(names, [Some("qwen-0.5b"), Some("qwen-4b")]);
        assert!(groups.iter().all(|(_, runs)| runs.len() == 4));
        // 0.5B: 1 and 3 at 16; 4B: 100 and 300 at 16: never 101 / 2.
        let rows: Vec<(String, f64)> = combinations
            .iter()
            .zip([1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0])
            .map(|(c, v)| (c.log_name(), v))
            .collect();
        let average = table(&rows);
        let values = &swept_params(&recipe, None)[0].1;
        let ParamChart::Lines(big) =
            param_chart("t", "max-num-seqs", values, &average, &groups[1].1).unwrap()
        else {
            panic!("numbers give lines")
        };
        assert_eq!(big.series[0].points, [(16.0, 200.0), (160.0, 2000.0)]);
        let one = recipe.combinations(None)[..4].to_vec();
        assert_eq!(
            by_model(&one)[0].0,
            None,
            "one model: one chart, named as before"
        );
    }
}
