//! `avg_results.py`: the mean of each stage over the iterations, then the sums recomputed from
//! the averaged sub-steps so that the stacked stages add up to the totals.

use crate::num::Num;
use crate::parse::{Stage, StageTimings};

use super::comparison::Comparison;
use crate::stats;

/// Something about the iterations that the user should know; the average is still made.
#[derive(Debug, Clone, PartialEq)]
pub enum AverageWarning {
    /// An iteration lacks a label that another has (a run failed or was skipped there).
    MissingLabel { iteration: String, label: String },
}

impl std::fmt::Display for AverageWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AverageWarning::MissingLabel { iteration, label } => {
                write!(
                    f,
                    "iteration {iteration} has no `{label}`: its mean is over fewer runs"
                )
            }
        }
    }
}

/// A comparison file whose `total_time` is missing where `actual_total_time` is not.
#[derive(Debug, thiserror::Error)]
#[error("iteration {iteration}, `{label}`: actual_total_time without total_time")]
pub struct AverageError {
    pub iteration: String,
    pub label: String,
}

/// Python's `sum_up_keys`: `0 + v + …` over the values present.
fn sum_present(row: &StageTimings, stages: &[Stage]) -> Num {
    stages
        .iter()
        .filter_map(|&stage| row.get(stage))
        .fold(Num::ZERO, |total, v| total + v)
}

/// Average the iterations, given as `(directory name, comparison)` in any order: they are taken
/// in the paper's order (`sorted(os.listdir(...))`), and values are matched by label, not by
/// position, so a run missing from one iteration does not shift the others.
pub fn average(
    iterations: &[(String, Comparison)],
) -> Result<(Comparison, Vec<AverageWarning>), AverageError> {
    let mut ordered: Vec<&(String, Comparison)> = iterations.iter().collect();
    ordered.sort_by(|a, b| a.0.cmp(&b.0));

    let mut labels: Vec<String> = Vec::new();
    for (_, comparison) in &ordered {
        for label in &comparison.labels {
            if !labels.contains(label) {
                labels.push(label.clone());
            }
        }
    }

    let mut warnings = Vec::new();
    let mut result = Comparison::default();
    for label in &labels {
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); Stage::COUNT];
        for (iteration, comparison) in &ordered {
            let Some(index) = comparison.index_of(label) else {
                warnings.push(AverageWarning::MissingLabel {
                    iteration: iteration.clone(),
                    label: label.clone(),
                });
                continue;
            };
            for (slot, stage) in Stage::ALL.iter().enumerate() {
                let Some(mut value) = comparison.value(*stage, index) else {
                    continue;
                };
                // The paper averages the time outside the stages, then adds it back below.
                if *stage == Stage::ActualTotalTime {
                    let total =
                        comparison
                            .value(Stage::TotalTime, index)
                            .ok_or_else(|| AverageError {
                                iteration: iteration.clone(),
                                label: label.clone(),
                            })?;
                    value = value - total;
                }
                samples[slot].push(value.as_f64());
            }
        }
        let mut row = StageTimings::default();
        for (slot, stage) in Stage::ALL.iter().enumerate() {
            row.set(*stage, stats::mean(&samples[slot]).map(Num::Float));
        }
        recompute_sums(&mut row);
        result.push(label.clone(), row);
    }
    Ok((result, warnings))
}

fn recompute_sums(row: &mut StageTimings) {
    use Stage::*;
    let bootstrap = sum_present(row, &[DetectPlatform, LlmImports, GetModelInfo, WorkerInit]);
    let loading = sum_present(row, &[LoadWeights, ModelInit]);
    let compile = sum_present(row, &[DynamoTransformTime, GraphCompileGeneralShape]);
    let init_engine =
        compile + sum_present(row, &[KvCacheProfiling, GraphCompileCached, GraphCapturing]);
    let total = bootstrap + loading + init_engine + sum_present(row, &[TokenizerInit]);
    let actual = total + sum_present(row, &[ActualTotalTime]);
    row.set(FrameworkBootstrap, Some(bootstrap));
    row.set(ModelLoading, Some(loading));
    row.set(TorchCompile, Some(compile));
    row.set(InitEngine, Some(init_engine));
    row.set(TotalTime, Some(total));
    row.set(ActualTotalTime, Some(actual));
}

/// Put labels in `order` (the recipe's run order); labels it does not name keep their place
/// after those it does.
pub fn reorder(comparison: &Comparison, order: &[String]) -> Comparison {
    let mut indices: Vec<usize> = (0..comparison.labels.len()).collect();
    indices.sort_by_key(|&i| {
        order
            .iter()
            .position(|l| *l == comparison.labels[i])
            .unwrap_or(usize::MAX)
    });
    let mut out = Comparison::default();
    for i in indices {
        out.push(comparison.labels[i].clone(), comparison.rows[i].clone());
    }
    out
}
