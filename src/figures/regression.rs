//! Figures 3–9 and 15: `draw()` of the paper's `utils.py` — one bar per run (mean ± stderr over
//! the iterations), sorted by model size then by the x value, an inset scatter with the
//! least-squares line and the Pearson r of the points not excluded.

use crate::config::models::{Fact, Models};
use crate::recipe::plot::{RegressionBars, XValue};
use crate::stats;
use crate::table::Comparison;

use super::labels::{self, CBF_COLORS};
use super::FigureError;

/// One bar: a run of the first iteration that names a model of the recipe's map.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The run label (`output_model_qwen-4b.txt`).
    pub run: String,
    /// Printed model name (`Qwen-4B`).
    pub label: String,
    /// The x tick text (`Qwen-4B`, `Yi-6B (1120)`, or `10` for batch sizes).
    pub tick: String,
    pub x_value: f64,
    pub mean: f64,
    /// `scipy.stats.sem` over iterations; `None` with a single iteration.
    pub stderr: Option<f64>,
    pub color: String,
    /// Taken into the regression line and the Pearson r.
    pub in_fit: bool,
}

pub use crate::stats::{least_squares, pearson, Fit};

#[derive(Debug, Clone, PartialEq)]
pub struct RegressionBarsData {
    pub bars: Vec<Bar>,
    pub fit: Option<Fit>,
    pub pcc: Option<f64>,
    pub xlabel: String,
    pub ylabel: String,
    pub inset_xlabel: String,
    pub inset_ylabel: String,
    /// `max(mean + stderr)`: what the annotation rule compares bar heights with.
    pub top: f64,
    /// Top of the y axis: `top · ylim_multiplier`.
    pub ymax: f64,
    /// Degrees the x tick labels are turned (30, or 0 for batch-size ticks).
    pub tick_rotation: f64,
    /// Iterations a bar's run has no value in (a failed run): its mean is over the others.
    pub missing: Vec<String>,
}

/// A run of one iteration that the figure draws, with what it is sorted by.
struct Run<'a> {
    label: &'a str,
    model: &'a str,
    size: f64,
    x: f64,
}

/// The x value of a run: a fact of its model, or its number of CUDA graph batch sizes.
fn x_value(
    spec: &RegressionBars,
    label: &str,
    model: &str,
    models: &Models,
) -> Result<f64, FigureError> {
    match spec.x {
        XValue::Fact(fact) => models
            .get(model)
            .map(|m| m.fact(fact))
            .ok_or_else(|| FigureError::UnknownModel(model.to_string())),
        XValue::BatchSizes => {
            Ok(labels::num_of_batch_sizes(labels::cuda_graph_sizes(label)?) as f64)
        }
    }
}

/// The runs of one iteration in the paper's bar order. Python sorts all labels by model size,
/// then by x (both stable) and drops models not in the map; dropping first gives the same order.
fn ordered_runs<'a>(
    spec: &RegressionBars,
    comparison: &'a Comparison,
    models: &Models,
) -> Result<Vec<Run<'a>>, FigureError> {
    let mut runs = Vec::new();
    for label in &comparison.labels {
        let model = labels::model_name(label)?;
        if !spec.models.contains_key(model) {
            continue;
        }
        runs.push(Run {
            label,
            model,
            size: labels::model_size(label)?,
            x: x_value(spec, label, model, models)?,
        });
    }
    runs.sort_by(|a, b| a.size.total_cmp(&b.size));
    runs.sort_by(|a, b| a.x.total_cmp(&b.x));
    Ok(runs)
}

/// The tick text of a bar, by `draw`'s rules.
fn tick(spec: &RegressionBars, label: &str, x: f64) -> String {
    match spec.x {
        XValue::BatchSizes if spec.metric != crate::parse::Stage::KvCacheProfiling => {
            labels::py_number(x)
        }
        XValue::Fact(Fact::Size) => label.to_string(),
        _ => format!("{label} ({})", labels::py_number(x)),
    }
}

/// `draw()` on the per-iteration tables, given as `(iteration, table)` in iteration order.
pub fn regression_bars(
    spec: &RegressionBars,
    iterations: &[(String, &Comparison)],
    models: &Models,
) -> Result<RegressionBarsData, FigureError> {
    let (_, first) = iterations.first().ok_or(FigureError::NoIterations)?;
    let runs = ordered_runs(spec, first, models)?;
    if runs.is_empty() {
        return Err(FigureError::NoModels {
            models: spec.models.keys().cloned().collect(),
        });
    }
    let few_models = spec.models.len() < 2;
    let mut bars = Vec::with_capacity(runs.len());
    let mut missing = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let mut samples = Vec::new();
        for (iteration, table) in iterations {
            let value = table
                .index_of(run.label)
                .and_then(|index| table.value(spec.metric, index));
            match value {
                Some(v) => samples.push(v.as_f64()),
                None => missing.push(format!(
                    "iteration {iteration}: `{}` has no `{}`; its bar is the mean of the others",
                    run.label,
                    spec.metric.key()
                )),
            }
        }
        if samples.is_empty() {
            return Err(FigureError::MissingValue {
                iteration: "every iteration".into(),
                label: run.label.to_string(),
                stage: spec.metric.key().to_string(),
            });
        }
        let label = spec.models[run.model].clone();
        let color = if few_models {
            CBF_COLORS[i % CBF_COLORS.len()]
        } else {
            labels::model_color(run.model, i)
        };
        bars.push(Bar {
            run: run.label.to_string(),
            tick: tick(spec, &label, run.x),
            in_fit: !spec.exclude_from_fit.contains(&label),
            label,
            x_value: run.x,
            mean: stats::mean(&samples).unwrap_or(0.0),
            stderr: stats::sem(&samples),
            color: color.to_string(),
        });
    }
    let (fx, fy): (Vec<f64>, Vec<f64>) = bars
        .iter()
        .filter(|b| b.in_fit)
        .map(|b| (b.x_value, b.mean))
        .unzip();
    let top = bars
        .iter()
        .map(|b| b.mean + b.stderr.unwrap_or(0.0))
        .fold(0.0, f64::max);
    let rotate_ticks = !matches!(spec.x, XValue::BatchSizes)
        || spec.metric == crate::parse::Stage::KvCacheProfiling;
    Ok(RegressionBarsData {
        fit: least_squares(&fx, &fy),
        pcc: pearson(&fx, &fy),
        bars,
        xlabel: spec.xlabel.clone(),
        ylabel: spec.ylabel.clone(),
        inset_xlabel: spec.inset_xlabel.clone(),
        inset_ylabel: spec.inset_ylabel.clone(),
        top,
        ymax: top * spec.ylim_multiplier,
        tick_rotation: if rotate_ticks { 30.0 } else { 0.0 },
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_by_hand() {
        // x̄ = 2, ȳ = 13/3, Sxy = 5, Sxx = 2 → slope 2.5, intercept 13/3 − 5.
        let fit = least_squares(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0]).unwrap();
        assert!((fit.slope - 2.5).abs() < 1e-12);
        assert!((fit.intercept - (13.0 / 3.0 - 5.0)).abs() < 1e-12);
        assert!(least_squares(&[1.0], &[1.0]).is_none());
        assert!(least_squares(&[2.0, 2.0], &[1.0, 3.0]).is_none());
    }

    #[test]
    fn pearson_by_hand() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
        // x = (1,2,3), y = (1,3,2): r = 1/2.
        assert!((pearson(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]).unwrap() - 0.5).abs() < 1e-12);
    }

    use crate::config::models::Models;
    use crate::num::Num;
    use crate::parse::{Stage, StageTimings};

    fn models() -> Models {
        Models::parse(
            std::path::Path::new("models.toml"),
            crate::project::MODELS_TOML,
        )
        .unwrap()
    }

    fn table(runs: &[(&str, f64)]) -> Comparison {
        let mut c = Comparison::default();
        for (label, v) in runs {
            let mut row = StageTimings::default();
            row.set(Stage::LoadWeights, Some(Num::Float(*v)));
            c.push(format!("output_model_{label}.txt"), row);
        }
        c
    }

    fn spec(x: XValue, models: &[(&str, &str)]) -> RegressionBars {
        RegressionBars {
            metric: Stage::LoadWeights,
            x,
            models: models
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            xlabel: String::new(),
            ylabel: "y".into(),
            inset_xlabel: "x".into(),
            inset_ylabel: "y".into(),
            ylim_multiplier: 1.5,
            exclude_from_fit: vec!["Yi-6B".into()],
        }
    }

    #[test]
    fn bars_sort_by_x_then_size_and_keep_only_mapped_models() {
        let spec = spec(
            XValue::Fact(Fact::CompiledGraphSizes),
            &[
                ("yi-6b", "Yi-6B"),
                ("qwen-4b", "Qwen-4B"),
                ("llama3-3b", "Llama3-3B"),
            ],
        );
        // compiled graph sizes: llama3-3b 979, yi-6b 1120, qwen-4b 1261; falcon-7b not mapped.
        let it1 = table(&[
            ("qwen-4b", 2.0),
            ("falcon-7b", 9.0),
            ("yi-6b", 1.0),
            ("llama3-3b", 3.0),
        ]);
        let it2 = table(&[("yi-6b", 2.0), ("qwen-4b", 4.0), ("llama3-3b", 3.0)]);
        let iterations = [("1".to_string(), &it1), ("2".to_string(), &it2)];
        let data = regression_bars(&spec, &iterations, &models()).unwrap();
        let ticks: Vec<&str> = data.bars.iter().map(|b| b.tick.as_str()).collect();
        assert_eq!(ticks, ["Llama3-3B (979)", "Yi-6B (1120)", "Qwen-4B (1261)"]);
        let means: Vec<f64> = data.bars.iter().map(|b| b.mean).collect();
        assert_eq!(means, [3.0, 1.5, 3.0]);
        assert_eq!(data.bars[1].stderr, Some(0.5));
        assert!(!data.bars[1].in_fit);
        // color_map: llama3-3b is the 9th model, qwen-4b the 3rd.
        assert_eq!(data.bars[0].color, "#882255");
        assert_eq!(data.bars[2].color, "#228833");
        assert_eq!(data.top, 3.0 + data.bars[2].stderr.unwrap());
        assert_eq!(data.ymax, data.top * 1.5);
        // Fit over Llama3-3B and Qwen-4B only: a flat line.
        assert_eq!(data.fit.unwrap().slope, 0.0);
        assert_eq!(data.pcc, None);
    }

    #[test]
    fn batch_size_ticks_are_numbers_and_colours_follow_the_palette() {
        let spec = spec(XValue::BatchSizes, &[("llama2-7b-hf", "Llama2-7B")]);
        let it = table(&[
            ("llama2-7b-hf_cuda-graph-sizes_136", 1.0),
            ("llama2-7b-hf_cuda-graph-sizes_1", 0.3),
            ("llama2-7b-hf_cuda-graph-sizes_56", 0.5),
        ]);
        let data = regression_bars(&spec, &[("1".to_string(), &it)], &models()).unwrap();
        let ticks: Vec<&str> = data.bars.iter().map(|b| b.tick.as_str()).collect();
        assert_eq!(ticks, ["3", "10", "20"]);
        assert_eq!(data.tick_rotation, 0.0);
        let colors: Vec<&str> = data.bars.iter().map(|b| b.color.as_str()).collect();
        assert_eq!(colors, &CBF_COLORS[..3]);
        assert_eq!(data.bars[0].stderr, None);
    }

    #[test]
    fn a_run_missing_from_an_iteration_is_averaged_over_the_others() {
        let spec = spec(
            XValue::Fact(Fact::Size),
            &[("qwen-4b", "Qwen-4B"), ("yi-6b", "Yi-6B")],
        );
        let it1 = table(&[("qwen-4b", 2.0), ("yi-6b", 1.0)]);
        let it2 = table(&[("yi-6b", 3.0)]);
        let iterations = [("1".to_string(), &it1), ("2".to_string(), &it2)];
        let data = regression_bars(&spec, &iterations, &models()).unwrap();
        assert_eq!(data.bars[0].tick, "Qwen-4B");
        assert_eq!((data.bars[0].mean, data.bars[0].stderr), (2.0, None));
        assert_eq!(data.bars[1].mean, 2.0);
        assert_eq!(data.missing.len(), 1);
        assert!(data.missing[0].starts_with("iteration 2: `output_model_qwen-4b.txt`"));
    }
}
