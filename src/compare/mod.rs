//! Two average tables side by side (the paper's `compare_2_avgs.py`): per stage, the ratio B / A
//! of every label both tables have, and the mean ratio over them.
//!
//! Where `compare_2_avgs.py` differs on purpose: it pairs the two tables' labels by position
//! (after keeping the common ones when their counts differ), so two tables in different orders
//! are compared wrongly; here they are paired by label (or by model name, as figures 10, 11 and
//! 13 pair them), and labels in one table only are named. A missing value or a zero in A stops
//! the script (`TypeError`, `ZeroDivisionError`); here that label is left out of the stage's
//! mean and said why. The numbers are the script's: `value2 / value1`, and the mean as it sums
//! them (left to right, divided by the count).

pub mod output;

use std::path::{Path, PathBuf};

use crate::parse::Stage;
use crate::recipe::labels;
use crate::stats;
use crate::table::{Comparison, ComparisonFileError, AVERAGE_FILE};

/// The stages `compare_2_avgs.py` compares, in its order.
pub const SCRIPT_STAGES: [Stage; 9] = [
    Stage::TokenizerInit,
    Stage::ModelInit,
    Stage::LoadWeights,
    Stage::DynamoTransformTime,
    Stage::GraphCompileCached,
    Stage::KvCacheProfiling,
    Stage::GraphCapturing,
    Stage::TotalTime,
    Stage::ActualTotalTime,
];

/// How the runs of the two tables are paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchBy {
    /// The same log name.
    Label,
    /// The same model name (`extract_model_name`), as the paper's figures 10, 11 and 13 pair
    /// parts whose runs are named differently (`qwen-14b` / `qwen-14b_max_model_len_16752`).
    Model,
}

impl MatchBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchBy::Label => "label",
            MatchBy::Model => "model",
        }
    }
}

/// One average table and where it came from.
#[derive(Debug, Clone)]
pub struct Side {
    pub path: PathBuf,
    pub table: Comparison,
    /// The table's `note` (a fake engine's or a synthetic model's tables say so).
    pub note: Option<String>,
}

/// Why a label has no ratio for a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    NoValueInA,
    NoValueInB,
    ZeroInA,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::NoValueInA => "no value in A",
            Problem::NoValueInB => "no value in B",
            Problem::ZeroInA => "A is 0, so there is no ratio",
        }
    }
}

/// One label of one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    /// B's label (the same unless paired by model).
    pub b_label: String,
    /// `extract_model_name` of the label, where it has a `model_`.
    pub model_name: Option<String>,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// B / A, or why not.
    pub ratio: Result<f64, Problem>,
}

/// One stage: its rows and their mean ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct StageRatios {
    pub stage: Stage,
    pub rows: Vec<Row>,
    /// `compare_2_avgs.py`'s "Avg Speedup": the ratios summed in order, over their count.
    pub mean: Option<f64>,
    /// Standard error of the mean (`scipy.stats.sem`), as the paper's figure 10 draws it.
    pub stderr: Option<f64>,
    /// Ratios the mean is over.
    pub count: usize,
}

/// The whole comparison.
#[derive(Debug, Clone)]
pub struct Report {
    pub a: Side,
    pub b: Side,
    pub by: MatchBy,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    pub stages: Vec<StageRatios>,
}

/// Tables that cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("`{}` does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("`{}` holds no {AVERAGE_FILE}; its parts {} do: compare two of them (e.g. `repro compare {example}`)", path.display(), parts.join(", "))]
    InParts {
        path: PathBuf,
        parts: Vec<String>,
        example: String,
    },
    #[error("`{}` holds no {AVERAGE_FILE}: give the file, or a folder that `repro table` or `repro figure` wrote it into", path.display())]
    NoTable { path: PathBuf },
    #[error(transparent)]
    File(#[from] ComparisonFileError),
    #[error("`{}`: label `{label}` has no `model_` in it, so it has no model name: compare by label", path.display())]
    NoModelName { path: PathBuf, label: String },
    #[error("`{}`: labels `{first}` and `{second}` are both model `{model}`: compare by label", path.display())]
    SameModel {
        path: PathBuf,
        model: String,
        first: String,
        second: String,
    },
    #[error("no label is in both tables (A has {a}, B has {b}){hint}")]
    NothingInCommon {
        a: usize,
        b: usize,
        hint: &'static str,
    },
}

/// The average table a path names: the file, or the one in a folder.
pub fn locate(path: &Path) -> Result<PathBuf, CompareError> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if !path.is_dir() {
        return Err(CompareError::Missing {
            path: path.to_path_buf(),
        });
    }
    let file = path.join(AVERAGE_FILE);
    if file.is_file() {
        return Ok(file);
    }
    let mut parts: Vec<String> = std::fs::read_dir(path)
        .map_err(|source| ComparisonFileError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .filter_map(Result::ok)
        .filter(|e| e.path().join(AVERAGE_FILE).is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    parts.sort();
    match parts.as_slice() {
        [] => Err(CompareError::NoTable {
            path: path.to_path_buf(),
        }),
        [first, rest @ ..] => {
            let second = rest.first().unwrap_or(first);
            let example = format!(
                "{} {}",
                path.join(first).display(),
                path.join(second).display()
            );
            Err(CompareError::InParts {
                path: path.to_path_buf(),
                parts,
                example,
            })
        }
    }
}

/// Read the average table a path names.
pub fn read_side(path: &Path) -> Result<Side, CompareError> {
    #[derive(serde::Deserialize)]
    struct Note {
        note: Option<String>,
    }
    let file = locate(path)?;
    let table = Comparison::read(&file)?;
    // The note is optional and the table already parsed: an unreadable note is no note.
    let note = std::fs::read(&file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Note>(&bytes).ok())
        .and_then(|n| n.note);
    Ok(Side {
        path: file,
        table,
        note,
    })
}

/// The key a label is paired by.
fn pairing_keys(side: &Side, by: MatchBy) -> Result<Vec<&str>, CompareError> {
    let keys: Vec<&str> = match by {
        MatchBy::Label => side.table.labels.iter().map(String::as_str).collect(),
        MatchBy::Model => side
            .table
            .labels
            .iter()
            .map(|label| {
                labels::model_name(label).map_err(|_| CompareError::NoModelName {
                    path: side.path.clone(),
                    label: label.clone(),
                })
            })
            .collect::<Result<_, _>>()?,
    };
    for (i, key) in keys.iter().enumerate() {
        if let Some(j) = keys[..i].iter().position(|k| k == key) {
            return Err(CompareError::SameModel {
                path: side.path.clone(),
                model: key.to_string(),
                first: side.table.labels[j].clone(),
                second: side.table.labels[i].clone(),
            });
        }
    }
    Ok(keys)
}

/// Compare two average tables, stage by stage, in A's label order.
pub fn compare(a: Side, b: Side, stages: &[Stage], by: MatchBy) -> Result<Report, CompareError> {
    let a_keys = pairing_keys(&a, by)?;
    let b_keys = pairing_keys(&b, by)?;
    let pairs: Vec<(usize, usize)> = a_keys
        .iter()
        .enumerate()
        .filter_map(|(i, key)| b_keys.iter().position(|k| k == key).map(|j| (i, j)))
        .collect();
    let only_in_a = (0..a_keys.len())
        .filter(|i| !pairs.iter().any(|(p, _)| p == i))
        .map(|i| a.table.labels[i].clone())
        .collect();
    let only_in_b = (0..b_keys.len())
        .filter(|j| !pairs.iter().any(|(_, q)| q == j))
        .map(|j| b.table.labels[j].clone())
        .collect();
    if pairs.is_empty() {
        return Err(CompareError::NothingInCommon {
            a: a_keys.len(),
            b: b_keys.len(),
            hint: match by {
                MatchBy::Label => ": if their runs are named differently, try --by model",
                MatchBy::Model => "",
            },
        });
    }
    let stages = stages
        .iter()
        .map(|&stage| stage_ratios(&a.table, &b.table, &pairs, stage))
        .collect();
    Ok(Report {
        a,
        b,
        by,
        only_in_a,
        only_in_b,
        stages,
    })
}

fn stage_ratios(
    a: &Comparison,
    b: &Comparison,
    pairs: &[(usize, usize)],
    stage: Stage,
) -> StageRatios {
    let rows: Vec<Row> = pairs
        .iter()
        .map(|&(i, j)| {
            let label = a.labels[i].clone();
            let va = a.value(stage, i).map(|n| n.as_f64());
            let vb = b.value(stage, j).map(|n| n.as_f64());
            let ratio = match (va, vb) {
                (None, _) => Err(Problem::NoValueInA),
                (_, None) => Err(Problem::NoValueInB),
                (Some(0.0), _) => Err(Problem::ZeroInA),
                (Some(x), Some(y)) => Ok(y / x),
            };
            Row {
                model_name: labels::model_name(&label).ok().map(str::to_string),
                label,
                b_label: b.labels[j].clone(),
                a: va,
                b: vb,
                ratio,
            }
        })
        .collect();
    let ratios: Vec<f64> = rows.iter().filter_map(|r| r.ratio.ok()).collect();
    // `sum_speedup += speedup` from 0, then `/ len`: the script's order of additions.
    let mean = (!ratios.is_empty())
        .then(|| ratios.iter().fold(0.0, |sum, r| sum + r) / ratios.len() as f64);
    StageRatios {
        stage,
        rows,
        mean,
        stderr: stats::sem(&ratios),
        count: ratios.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::Num;
    use crate::parse::StageTimings;

    fn side(name: &str, rows: &[(&str, Option<f64>)]) -> Side {
        let mut table = Comparison::default();
        for (label, v) in rows {
            let mut row = StageTimings::default();
            row.set(Stage::LoadWeights, v.map(Num::Float));
            table.push(format!("output_model_{label}.txt"), row);
        }
        Side {
            path: PathBuf::from(name),
            table,
            note: None,
        }
    }

    #[test]
    fn ratios_pair_by_label_in_any_order() {
        let a = side(
            "a",
            &[
                ("x", Some(2.0)),
                ("y", Some(0.0)),
                ("z", Some(1.0)),
                ("w", None),
            ],
        );
        let b = side(
            "b",
            &[
                ("z", Some(3.0)),
                ("x", Some(1.0)),
                ("y", Some(5.0)),
                ("w", Some(1.0)),
                ("v", Some(1.0)),
            ],
        );
        let report = compare(a, b, &[Stage::LoadWeights], MatchBy::Label).unwrap();
        let stage = &report.stages[0];
        let ratios: Vec<_> = stage.rows.iter().map(|r| r.ratio).collect();
        assert_eq!(
            ratios,
            [
                Ok(0.5),
                Err(Problem::ZeroInA),
                Ok(3.0),
                Err(Problem::NoValueInA)
            ]
        );
        assert_eq!(stage.mean, Some(1.75));
        assert_eq!(stage.count, 2);
        assert_eq!(report.only_in_b, ["output_model_v.txt"]);
        assert!(report.only_in_a.is_empty());
    }

    #[test]
    fn pairing_by_model_joins_differently_named_runs() {
        let a = side("a", &[("qwen-14b_max_model_len_16752", Some(2.0))]);
        let b = side("b", &[("qwen-14b", Some(3.0))]);
        let err = compare(a.clone(), b.clone(), &[Stage::LoadWeights], MatchBy::Label).unwrap_err();
        assert!(err.to_string().contains("try --by model"), "{err}");
        let report = compare(a, b, &[Stage::LoadWeights], MatchBy::Model).unwrap();
        assert_eq!(report.stages[0].rows[0].ratio, Ok(1.5));
        assert_eq!(
            report.stages[0].rows[0].b_label,
            "output_model_qwen-14b.txt"
        );
        let twice = side("a", &[("m_a", Some(1.0)), ("m_b", Some(1.0))]);
        let err = compare(twice.clone(), twice, &[Stage::LoadWeights], MatchBy::Model).unwrap_err();
        assert!(err.to_string().contains("are both model `m`"), "{err}");
    }
}
