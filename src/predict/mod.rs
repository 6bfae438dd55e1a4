//! Figure 17: the paper's startup-latency predictor (`predictor/train_predictor.py`,
//! `create_test_data.py`, `run_predictor.py`). One ordinary least-squares line per stage on one
//! model fact, a constant (the mean) for model_init and framework_bootstrap, trained on the
//! averaged runs minus the ignored models, and evaluated on held-out models against their
//! measured `actual_total_time`.

use crate::config::models::{Fact, Models};
use crate::parse::Stage;
use crate::recipe::labels;
use crate::table::Comparison;

/// A predictor that cannot be trained or used.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    #[error("model `{0}` is not in models.toml: its size, tokenizer size and compiled graph size are needed")]
    UnknownModel(String),
    #[error("run label `{0}` has no `model_<name>` in it")]
    Label(String),
    #[error("stage `{stage}` ({feature:?}): no training model has a value")]
    Untrainable { stage: Stage, feature: Fact },
    #[error("no training model has a value for `{0}`")]
    NoConstant(Stage),
    #[error("held-out model `{0}` has no run in the average")]
    MissingValidation(String),
    #[error("held-out model `{model}` has no `actual_total_time`")]
    NoTruth { model: String },
}

/// `y = slope · x + intercept`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub slope: f64,
    pub intercept: f64,
}

/// `LinearRegression().fit(x, y)` on one feature: centre both, slope = Sxy / Sxx. Where all x
/// are equal (or there is one point) sklearn's least-norm solution is slope 0 through the mean.
pub fn ols(xs: &[f64], ys: &[f64]) -> Option<Line> {
    if let Some(fit) = crate::stats::least_squares(xs, ys) {
        return Some(Line {
            slope: fit.slope,
            intercept: fit.intercept,
        });
    }
    let intercept = crate::stats::mean(ys)?;
    (xs.len() == ys.len()).then_some(Line {
        slope: 0.0,
        intercept,
    })
}

/// The stage regressions, in `run_predictor.py`'s order (the order predictions are added).
pub const LINEAR: [(Stage, Fact); 6] = [
    (Stage::LoadWeights, Fact::Size),
    (Stage::DynamoTransformTime, Fact::CompiledGraphSizes),
    (Stage::GraphCompileCached, Fact::CompiledGraphSizes),
    (Stage::KvCacheProfiling, Fact::Size),
    (Stage::GraphCapturing, Fact::Size),
    (Stage::TokenizerInit, Fact::TokenizerSize),
];

/// The paper trains graph capturing on `size × 67` (67 batch sizes), and queries it with
/// `size × batch_size` where `batch_size = 1`.
pub const GRAPH_CAPTURE_TRAIN_FACTOR: f64 = 67.0;

/// The trained predictor.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictor {
    pub lines: Vec<(Stage, Fact, Line)>,
    pub model_init: f64,
    pub framework_bootstrap: f64,
    /// Query graph capturing with `size × 67` (the fix) instead of `size` (the paper).
    pub fix_graph_capture_feature: bool,
}

/// One held-out model: prediction and measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub model: String,
    pub predicted: f64,
    pub truth: f64,
}

/// Runs of the average as `(model name, index)`.
fn runs(average: &Comparison) -> Result<Vec<(&str, usize)>, PredictError> {
    average
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            labels::model_name(l)
                .map(|n| (n, i))
                .map_err(|_| PredictError::Label(l.clone()))
        })
        .collect()
}

/// `sum(v) / len(v)` in Python's order.
fn python_mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().fold(0.0, |a, b| a + b) / values.len() as f64)
}

impl Predictor {
    /// `train_predictor.py` on the average, leaving out the `ignore` models. A training model
    /// without a value for a stage is left out of that stage's fit (the paper would crash).
    pub fn train(
        average: &Comparison,
        models: &Models,
        ignore: &[String],
        fix_graph_capture_feature: bool,
    ) -> Result<Predictor, PredictError> {
        let training: Vec<(&str, usize)> = runs(average)?
            .into_iter()
            .filter(|(name, _)| !ignore.iter().any(|i| i == name))
            .collect();
        let mut lines = Vec::new();
        for (stage, fact) in LINEAR {
            let mut xs = Vec::new();
            let mut ys = Vec::new();
            for &(name, i) in &training {
                let model = models
                    .get(name)
                    .ok_or_else(|| PredictError::UnknownModel(name.to_string()))?;
                let Some(y) = average.value(stage, i) else {
                    continue;
                };
                let mut x = model.fact(fact);
                if stage == Stage::GraphCapturing {
                    x *= GRAPH_CAPTURE_TRAIN_FACTOR;
                }
                xs.push(x);
                ys.push(y.as_f64());
            }
            let line = ols(&xs, &ys).ok_or(PredictError::Untrainable {
                stage,
                feature: fact,
            })?;
            lines.push((stage, fact, line));
        }
        let constant = |stage: Stage| {
            let values: Vec<f64> = training
                .iter()
                .filter_map(|&(_, i)| average.value(stage, i).map(|v| v.as_f64()))
                .collect();
            python_mean(&values).ok_or(PredictError::NoConstant(stage))
        };
        Ok(Predictor {
            lines,
            model_init: constant(Stage::ModelInit)?,
            framework_bootstrap: constant(Stage::FrameworkBootstrap)?,
            fix_graph_capture_feature,
        })
    }

    /// `predict_total_time`: the stage lines summed in order, then the two constants.
    pub fn predict(&self, model: &crate::config::models::Model) -> f64 {
        let mut total = 0.0;
        for (stage, fact, line) in &self.lines {
            let mut x = model.fact(*fact);
            if *stage == Stage::GraphCapturing && self.fix_graph_capture_feature {
                x *= GRAPH_CAPTURE_TRAIN_FACTOR;
            }
            total += line.slope * x + line.intercept;
        }
        total + self.model_init + self.framework_bootstrap
    }

    /// Predictions for the held-out models, in the average's run order (`create_test_data.py`).
    pub fn validate(
        &self,
        average: &Comparison,
        models: &Models,
        validation: &[String],
    ) -> Result<Vec<Prediction>, PredictError> {
        let runs = runs(average)?;
        for name in validation {
            if !runs.iter().any(|(n, _)| n == name) {
                return Err(PredictError::MissingValidation(name.clone()));
            }
        }
        let mut out = Vec::new();
        for (name, i) in runs {
            if !validation.iter().any(|v| v == name) {
                continue;
            }
            let model = models
                .get(name)
                .ok_or_else(|| PredictError::UnknownModel(name.to_string()))?;
            let truth =
                average
                    .value(Stage::ActualTotalTime, i)
                    .ok_or_else(|| PredictError::NoTruth {
                        model: name.to_string(),
                    })?;
            out.push(Prediction {
                model: name.to_string(),
                predicted: self.predict(model),
                truth: truth.as_f64(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ols_matches_hand_computation() {
        // x̄ = 2, ȳ = 13/3; Sxy = (−1)(2 − 13/3) + (1)(7 − 13/3) = 5; Sxx = 2.
        let line = ols(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0]).unwrap();
        assert!((line.slope - 2.5).abs() < 1e-12);
        assert!((line.intercept + 2.0 / 3.0).abs() < 1e-12);
        // A perfect line is recovered.
        let line = ols(&[0.5, 7.0, 14.0], &[1.1, 2.4, 3.8]).unwrap();
        assert!((line.slope - 0.2).abs() < 1e-12);
        assert!((line.intercept - 1.0).abs() < 1e-12);
        assert_eq!(python_mean(&[1.0, 2.0, 4.0]), Some(7.0 / 3.0));
    }

    fn average(rows: &[(&str, [f64; 4])]) -> Comparison {
        use crate::num::Num;
        let mut c = Comparison::default();
        for (name, [lw, gc, other, truth]) in rows {
            let mut row = crate::parse::StageTimings::default();
            for stage in Stage::ALL {
                row.set(stage, Some(Num::Float(*other)));
            }
            row.set(Stage::LoadWeights, Some(Num::Float(*lw)));
            row.set(Stage::GraphCapturing, Some(Num::Float(*gc)));
            row.set(Stage::ActualTotalTime, Some(Num::Float(*truth)));
            c.push(format!("output_model_{name}.txt"), row);
        }
        c
    }

    #[test]
    fn graph_capture_quirk_and_its_fix() {
        let models = Models::parse(
            std::path::Path::new("models.toml"),
            crate::project::MODELS_TOML,
        )
        .unwrap();
        // load_weights = size, graph_capturing = 2·size, every other stage 1.0.
        let avg = average(&[
            ("qwen-0.5b", [0.5, 1.0, 1.0, 0.0]),
            ("qwen-4b", [4.0, 8.0, 1.0, 0.0]),
            ("qwen-7b", [7.0, 14.0, 1.0, 0.0]),
            ("llama3-3b", [3.0, 6.0, 1.0, 42.0]),
            ("gemma-7b", [99.0, 99.0, 99.0, 0.0]),
        ]);
        let ignore = vec!["llama3-3b".to_string(), "gemma-7b".to_string()];
        let paper = Predictor::train(&avg, &models, &ignore, false).unwrap();
        // Four constant stages (1.0 each, tokenizer sizes all equal → slope 0) + load_weights 3
        // + graph capturing trained on 67·size, queried with size: 2·3/67 + both constants 1.0.
        let want = 4.0 + 3.0 + 2.0 * 3.0 / 67.0 + 2.0;
        let got = paper
            .validate(&avg, &models, &["llama3-3b".into()])
            .unwrap();
        assert_eq!(got.len(), 1);
        assert!((got[0].predicted - want).abs() < 1e-9, "{got:?}");
        assert_eq!(got[0].truth, 42.0);
        let fixed = Predictor::train(&avg, &models, &ignore, true).unwrap();
        let got = fixed.predict(models.get("llama3-3b").unwrap());
        assert!((got - (4.0 + 3.0 + 6.0 + 2.0)).abs() < 1e-9);
        assert!(paper
            .validate(&avg, &models, &["mistral-7b".into()])
            .is_err());
    }
}
