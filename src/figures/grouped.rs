//! Figure 14: one group of bars per model, one bar per load format: mean ± stderr (ddof = 1)
//! over the iterations, runs matched by substring as the figure's `plot.py` does.

use crate::recipe::plot::GroupedBars;
use crate::table::{stats, Comparison};

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

pub fn grouped_bars(
    spec: &GroupedBars,
    iterations: &[(String, &Comparison)],
) -> Result<GroupedBarsData, FigureError> {
    if iterations.is_empty() {
        return Err(FigureError::NoIterations);
    }
    let mut series = Vec::new();
    for (s, method) in spec.series.iter().enumerate() {
        let mut means = Vec::new();
        let mut stderrs = Vec::new();
        for group in &spec.groups {
            let mut values = Vec::new();
            for (_, table) in iterations {
                for (i, label) in table.labels.iter().enumerate() {
                    if label.contains(group.as_str()) && label.contains(method.as_str()) {
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
            "no run label contains one of {:?} together with one of {:?}",
            spec.groups, spec.series
        )));
    }
    Ok(GroupedBarsData {
        groups: spec.groups.iter().map(|g| labels::py_title(g)).collect(),
        series,
        ylabel: spec.ylabel.clone(),
    })
}
