//! Figure 14: one group of bars per model, one bar per load format: mean ± stderr (ddof = 1)
//! over the iterations. The figure's `plot.py` picks runs by substring (`"llama2-13b" in
//! label`); repro picks them by the exact values of their parameters, so that a sweep's
//! `max-num-seqs = 16` bar never averages in the `160` runs.

use std::collections::HashMap;

use crate::recipe::plot::GroupedBars;
use crate::stats;
use crate::table::Comparison;

use super::labels;
use super::FigureError;

/// matplotlib's default colour cycle, one colour per series.
pub const SERIES_COLORS: [&str; 4] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text: `.replace("_", " ").title()`.
    pub name: String,
    pub color: String,
    /// Per group; `None` where no run matched.
    pub means: Vec<Option<f64>>,
    pub stderrs: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupedBarsData {
    /// Tick text per group: `.title()`.
    pub groups: Vec<String>,
    pub series: Vec<Series>,
    pub ylabel: String,
}

/// A run's parameters as text (`model` already its source model for a tensorizer copy), by the
/// run's log name as the tables label it (`output_model_yi-6b_load-format_safetensors.txt`).
pub type RunParams = HashMap<String, HashMap<String, String>>;

pub fn grouped_bars(
    spec: &GroupedBars,
    iterations: &[(String, &Comparison)],
    params: &RunParams,
) -> Result<GroupedBarsData, FigureError> {
    if iterations.is_empty() {
        return Err(FigureError::NoIterations);
    }
    let value_of = |label: &str, key: &str| params.get(label).and_then(|p| p.get(key));
    let mut series = Vec::new();
    for (s, method) in spec.series.iter().enumerate() {
        let mut means = Vec::new();
        let mut stderrs = Vec::new();
        for group in spec.groups.keys() {
            let mut values = Vec::new();
            for (_, table) in iterations {
                for (i, label) in table.labels.iter().enumerate() {
                    let in_group = value_of(label, &spec.group_by) == Some(group);
                    if in_group && value_of(label, &spec.series_by) == Some(method) {
                        if let Some(v) = table.value(spec.metric, i) {
                            values.push(v.as_f64());
                        }
                    }
                }
            }
            means.push(stats::mean(&values));
            stderrs.push(stats::sem(&values));
        }
        series.push(Series {
            name: labels::py_title(&method.replace('_', " ")),
            color: SERIES_COLORS[s % SERIES_COLORS.len()].to_string(),
            means,
            stderrs,
        });
    }
    if series.iter().all(|s| s.means.iter().all(Option::is_none)) {
        return Err(FigureError::NoData(format!(
            "no run has {} in {:?} together with {} in {:?}",
            spec.group_by,
            spec.groups.keys().collect::<Vec<_>>(),
            spec.series_by,
            spec.series
        )));
    }
    Ok(GroupedBarsData {
        groups: spec.groups.values().map(|g| labels::py_title(g)).collect(),
        series,
        ylabel: spec.ylabel.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Stage;
    use crate::table::Comparison;

    fn table(rows: &[(&str, f64)]) -> Comparison {
        let json = serde_json::json!({
            "labels": rows.iter().map(|(l, _)| l).collect::<Vec<_>>(),
            "data": { "model_loading": rows.iter().map(|(_, v)| v).collect::<Vec<_>>() },
        });
        Comparison::from_json(
            std::path::Path::new("t.json"),
            &serde_json::to_vec(&json).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn runs_are_picked_by_exact_values_not_substrings() {
        let spec = GroupedBars {
            metric: Stage::ModelLoading,
            group_by: "model".into(),
            groups: [("qwen-4b".to_string(), "qwen-4b".to_string())].into(),
            series_by: "max-num-seqs".into(),
            series: vec!["16".into(), "160".into()],
            ylabel: "s".into(),
        };
        let a = "output_model_qwen-4b_max-num-seqs_16.txt";
        let b = "output_model_qwen-4b_max-num-seqs_160.txt";
        let params: RunParams = [
            (a, [("model", "qwen-4b"), ("max-num-seqs", "16")]),
            (b, [("model", "qwen-4b"), ("max-num-seqs", "160")]),
        ]
        .into_iter()
        .map(|(l, p)| {
            (
                l.to_string(),
                p.into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        })
        .collect();
        let t = table(&[(a, 1.0), (b, 10.0)]);
        let data = grouped_bars(&spec, &[("1".into(), &t)], &params).unwrap();
        assert_eq!(data.series[0].means, [Some(1.0)]);
        assert_eq!(data.series[1].means, [Some(10.0)]);
    }
}
