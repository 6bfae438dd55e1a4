//! The paper's figures: which experiment's data each one draws, and the numbers each draws —
//! per chart kind, the computation of the paper's `plot.py` as a pure function from tables (and
//! models.toml) to a chart model that `render` turns into a picture.

pub mod bench;
pub mod bench_folder;
pub mod default;
pub mod grouped;
pub mod heatmap;
pub mod labels;
pub mod load;
pub mod offline;
pub mod predictor;
pub mod regression;
pub mod speedup;
pub mod stacked;
pub mod versions;

use std::path::PathBuf;

pub use grouped::GroupedBarsData;
pub use heatmap::CpuHeatmapData;
pub use load::{missing_data, Built, Loader};
pub use predictor::PredictorBarsData;
pub use regression::RegressionBarsData;
pub use speedup::SpeedupBarsData;
pub use stacked::StackedStagesData;
pub use versions::VersionBarsData;

pub use crate::recipe::paper::{data_folder, recipe_id, FigureId, UnknownFigure, ALL, REST};

/// What one figure draws.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartData {
    VersionBars(VersionBarsData),
    StackedStages(StackedStagesData),
    RegressionBars(RegressionBarsData),
    SpeedupBars(SpeedupBarsData),
    CpuHeatmap(CpuHeatmapData),
    GroupedBars(GroupedBarsData),
    PredictorBars(PredictorBarsData),
    /// Any experiment: one stacked bar of the stages per run.
    RunStages(default::RunStagesData),
    /// Any experiment: the main stages against a swept numeric parameter.
    Lines(bench::LineChartData),
    /// A serving sweep's tokens/s per user against per device, its frontier and knees.
    Pareto(bench::ParetoChartData),
}

/// A figure whose numbers cannot be computed from the data present.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    #[error("run label `{label}`: {why}")]
    Label { label: String, why: String },
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is not {what}: {source}", path.display())]
    Json {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("`{}`: {why}", path.display())]
    Log { path: PathBuf, why: String },
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    #[error(transparent)]
    Predict(#[from] crate::predict::PredictError),
    #[error("model `{0}` is not in models.toml")]
    UnknownModel(String),
    #[error("no iteration has a table (expected `iterations/<i>/` with `output_model_*` logs)")]
    NoIterations,
    #[error("no run of the models the figure draws ({})", models.join(", "))]
    NoModels { models: Vec<String> },
    #[error("{iteration}: `{label}` has no `{stage}`")]
    MissingValue {
        iteration: String,
        label: String,
        stage: String,
    },
    #[error("{0}")]
    NoData(String),
    #[error("the plot spec: {0}")]
    Spec(String),
}

impl From<crate::recipe::labels::LabelError> for FigureError {
    fn from(e: crate::recipe::labels::LabelError) -> Self {
        FigureError::Label {
            label: e.label,
            why: e.why,
        }
    }
}

impl ChartData {
    /// One line with the numbers a reader checks first (printed under `-v`).
    pub fn summary(&self) -> String {
        let values = |v: &mut dyn Iterator<Item = (String, f64)>| {
            v.map(|(l, x)| format!("{l}: {x:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            ChartData::VersionBars(d) => {
                values(&mut d.bars.iter().map(|b| (b.version.clone(), b.value)))
            }
            ChartData::StackedStages(d) => d.total_text.clone(),
            ChartData::RegressionBars(d) => format!(
                "{}; PCC = {}",
                values(&mut d.bars.iter().map(|b| (b.tick.clone(), b.mean))),
                d.pcc.map_or("n/a".to_string(), |r| format!("{r:.2}"))
            ),
            ChartData::SpeedupBars(d) => {
                values(&mut d.bars.iter().map(|b| (b.label.clone(), b.mean)))
            }
            ChartData::CpuHeatmap(d) => format!(
                "{} samples × {} cores over {:.1} s",
                d.samples.len(),
                d.cores,
                d.duration()
            ),
            ChartData::GroupedBars(d) => d
                .series
                .iter()
                .map(|s| {
                    let means = d.groups.iter().zip(&s.means).map(|(g, m)| {
                        format!("{g} {}", m.map_or("-".to_string(), |m| format!("{m:.2}")))
                    });
                    format!("{}: {}", s.name, means.collect::<Vec<_>>().join(", "))
                })
                .collect::<Vec<_>>()
                .join("; "),
            ChartData::RunStages(d) => values(
                &mut d
                    .runs
                    .iter()
                    .zip(&d.totals)
                    .map(|(r, t)| (r.clone(), t.unwrap_or(0.0))),
            ),
            ChartData::Lines(d) => d
                .series
                .iter()
                .map(|s| {
                    let points = s.points.iter().map(|(x, y)| format!("{x}: {y:.2}"));
                    format!("{}: {}", s.label, points.collect::<Vec<_>>().join(", "))
                })
                .collect::<Vec<_>>()
                .join("; "),
            ChartData::Pareto(d) => {
                let mut words: Vec<String> = d
                    .pareto
                    .points
                    .iter()
                    .map(|p| {
                        format!(
                            "{} {:.2}/{:.2}",
                            p.label, p.tokens_per_user, p.tokens_per_device
                        )
                    })
                    .collect();
                words.extend(crate::bench::pareto::knee_lines(&d.pareto));
                words.join("; ")
            }
            ChartData::PredictorBars(d) => format!(
                "{}; RMSE {:.2} s",
                d.models
                    .iter()
                    .zip(d.predicted.iter().zip(&d.truth))
                    .map(|(m, (p, t))| format!("{m} {p:.2}/{t:.2}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                d.rmse
            ),
        }
    }
}
