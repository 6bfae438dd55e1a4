//! Figure 2: the averaged stages of one run stacked into one bar, CPU-dominant ones hatched.

use crate::recipe::plot::{Resource, StackedStages};
use crate::table::Comparison;

use super::FigureError;

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub label: String,
    pub value: f64,
    /// Sum of the segments below.
    pub bottom: f64,
    pub color: String,
    /// CPU-dominant: drawn with the `////` hatch.
    pub hatched: bool,
    /// `f"{t:.2f}s"` where `t >= 0.5`, else nothing.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StackedStagesData {
    pub segments: Vec<Segment>,
    pub total: f64,
    /// `Total: X.XXs`
    pub total_text: String,
    pub ylabel: String,
    /// Stages the average has no value for, drawn as 0.
    pub missing: Vec<String>,
}

/// The first run of the average, as `plot.py` reads `[0]` of each stage.
pub fn stacked_stages(
    spec: &StackedStages,
    average: &Comparison,
) -> Result<StackedStagesData, FigureError> {
    if average.labels.is_empty() {
        return Err(FigureError::NoData("the average has no run".into()));
    }
    let mut segments = Vec::with_capacity(spec.steps.len());
    let mut missing = Vec::new();
    let mut bottom = 0.0;
    for step in &spec.steps {
        let value = match average.value(step.stage, 0) {
            Some(v) => v.as_f64(),
            None => {
                missing.push(step.stage.key().to_string());
                0.0
            }
        };
        segments.push(Segment {
            label: step.label.clone(),
            value,
            bottom,
            color: step.color.clone(),
            hatched: step.resource == Resource::Cpu,
            text: (value >= 0.5).then(|| format!("{value:.2}s")),
        });
        bottom += value;
    }
    Ok(StackedStagesData {
        segments,
        total: bottom,
        total_text: format!("Total: {bottom:.2}s"),
        ylabel: spec.ylabel.clone(),
        missing,
    })
}
