//! `comparison_results.json`: one column per log of a run folder (`compare_logs.py`), and its
//! average over iterations (`avg_comparison_results.json`, same shape).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::cache::{ParseCache, Parsed};
use crate::num::Num;
use crate::parse::{self, ParseError, Stage, StageTimings};

/// One log read and parsed, through the cache where there is one.
fn parse_checked(path: &Path, cache: Option<&ParseCache>) -> Result<Parsed, ParseError> {
    let Some(cache) = cache else {
        return parse::parse_file_checked(path);
    };
    let bytes = std::fs::read(path).map_err(|source| ParseError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let hash = super::cache::hash_of(&bytes);
    if let Some(parsed) = cache.get(&hash) {
        return Ok(parsed);
    }
    let parsed = parse::parse_bytes_checked(path, &bytes)?;
    cache.put(hash, &parsed);
    Ok(parsed)
}

/// A log that did not get to the end of the engine's start-up (cut, or crashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    /// Its label in the table (the log's file name).
    pub label: String,
    /// Why, as the ledger says (`crashed during start-up at line 8 (…)`).
    pub reason: String,
}

/// Labels (log file names) and, per label, its stage timings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    pub labels: Vec<String>,
    pub rows: Vec<StageTimings>,
}

/// The file as the paper writes it: `{"labels": [...], "data": {stage: [value per label]}}`,
/// plus a `note` where repro has something to say (synthetic models).
#[derive(Serialize, Deserialize)]
struct ComparisonFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    labels: Vec<String>,
    data: BTreeMap<Stage, Vec<Option<Num>>>,
}

/// A comparison file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ComparisonFileError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is not a comparison file: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("`{}`: stage `{stage}` has {found} values for {labels} labels", path.display())]
    Length {
        path: PathBuf,
        stage: Stage,
        found: usize,
        labels: usize,
    },
}

impl Comparison {
    pub fn value(&self, stage: Stage, index: usize) -> Option<Num> {
        self.rows[index].get(stage)
    }

    /// The column of one stage, one value per label.
    pub fn column(&self, stage: Stage) -> Vec<Option<Num>> {
        self.rows.iter().map(|row| row.get(stage)).collect()
    }

    pub fn index_of(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    pub fn push(&mut self, label: String, row: StageTimings) {
        self.labels.push(label);
        self.rows.push(row);
    }

    /// `compare_logs.py` on these logs, in the given order: a log that cannot be parsed is left
    /// out (the paper prints "Error parsing" and goes on) and returned beside the result, and
    /// so is every log that was cut or crashed before the engine was up (it stays in, with the
    /// partial numbers the paper's parser gives it).
    pub fn from_logs(paths: &[PathBuf]) -> (Comparison, Vec<ParseError>, Vec<Incomplete>) {
        Comparison::from_logs_cached(paths, None)
    }

    /// [`Comparison::from_logs`], each log's parse taken from `cache` where it holds it.
    pub fn from_logs_cached(
        paths: &[PathBuf],
        cache: Option<&ParseCache>,
    ) -> (Comparison, Vec<ParseError>, Vec<Incomplete>) {
        let mut comparison = Comparison::default();
        let mut skipped = Vec::new();
        let mut incomplete = Vec::new();
        for path in paths {
            match parse_checked(path, cache) {
                Ok((log, completeness)) => {
                    let label = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if !completeness.complete {
                        incomplete.push(Incomplete {
                            label: label.clone(),
                            reason: completeness.reason,
                        });
                    }
                    comparison.push(label, log.stages);
                }
                Err(e) => skipped.push(e),
            }
        }
        (comparison, skipped, incomplete)
    }

    /// The bytes of the paper's JSON file.
    pub fn to_json(&self) -> Vec<u8> {
        self.to_json_noted(None)
    }

    /// The paper's JSON file with a `note` first, where there is one.
    pub fn to_json_noted(&self, note: Option<&str>) -> Vec<u8> {
        let data = Stage::ALL
            .iter()
            .map(|&stage| (stage, self.column(stage)))
            .collect();
        let file = ComparisonFile {
            note: note.map(str::to_string),
            labels: self.labels.clone(),
            data,
        };
        super::pyjson::to_python_json(&file)
    }

    pub fn from_json(path: &Path, bytes: &[u8]) -> Result<Comparison, ComparisonFileError> {
        let file: ComparisonFile =
            serde_json::from_slice(bytes).map_err(|source| ComparisonFileError::Json {
                path: path.to_path_buf(),
                source,
            })?;
        let mut rows = vec![StageTimings::default(); file.labels.len()];
        for (stage, values) in file.data {
            if values.len() != file.labels.len() {
                return Err(ComparisonFileError::Length {
                    path: path.to_path_buf(),
                    stage,
                    found: values.len(),
                    labels: file.labels.len(),
                });
            }
            for (row, value) in rows.iter_mut().zip(values) {
                row.set(stage, value);
            }
        }
        Ok(Comparison {
            labels: file.labels,
            rows,
        })
    }

    pub fn read(path: &Path) -> Result<Comparison, ComparisonFileError> {
        let bytes = std::fs::read(path).map_err(|source| ComparisonFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Comparison::from_json(path, &bytes)
    }
}
