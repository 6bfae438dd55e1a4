//! Figure 17: predicted vs measured startup latency of the held-out models.

use crate::config::models::Models;
use crate::predict::Predictor;
use crate::recipe::plot::PredictorBars;
use crate::table::Comparison;

use super::FigureError;

#[derive(Debug, Clone, PartialEq)]
pub struct PredictorBarsData {
    /// Printed model names.
    pub models: Vec<String>,
    pub predicted: Vec<f64>,
    pub truth: Vec<f64>,
    pub rmse: f64,
    pub ylabel: String,
}

pub fn predictor_bars(
    spec: &PredictorBars,
    average: &Comparison,
    models: &Models,
) -> Result<PredictorBarsData, FigureError> {
    let predictor = Predictor::train(
        average,
        models,
        &spec.ignore_for_training,
        spec.fix_graph_capture_feature,
    )?;
    let validation: Vec<String> = spec.validation.keys().cloned().collect();
    let results = predictor.validate(average, models, &validation)?;
    let squares: Vec<f64> = results
        .iter()
        .map(|r| (r.truth - r.predicted).powi(2))
        .collect();
    let rmse = crate::stats::mean(&squares).unwrap_or(0.0).sqrt();
    Ok(PredictorBarsData {
        models: results
            .iter()
            .map(|r| spec.validation[r.model.as_str()].clone())
            .collect(),
        predicted: results.iter().map(|r| r.predicted).collect(),
        truth: results.iter().map(|r| r.truth).collect(),
        rmse,
        ylabel: spec.ylabel.clone(),
    })
}
