//! The paper's tables: `comparison_results.json` per run folder and
//! `avg_comparison_results.json` per figure or split part, from the raw logs.
//!
//! A figure folder holds one or more *groups*: a folder with an `iterations/` inside (the figure
//! folder itself, or a split part such as `gpu0`, `cpu1`, `case0`). Each group has run folders
//! (`uncached/`, `iterations/<i>/`) full of `output_model_*` logs.

pub mod average;
pub mod collate;
pub mod comparison;
pub mod pyjson;
pub mod stats;

use std::path::{Path, PathBuf};

pub use average::{average, reorder, AverageWarning};
pub use comparison::{Comparison, ComparisonFileError};

use crate::artifacts::atomic_write;
use crate::parse::ParseError;

pub const COMPARISON_FILE: &str = "comparison_results.json";
pub const AVERAGE_FILE: &str = "avg_comparison_results.json";
/// The paper's shell glob for a run folder's logs.
pub const LOG_PREFIX: &str = "output_model_";

/// Where a run folder's table came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Recomputed from the logs in the folder.
    Logs,
    /// No logs there: the existing `comparison_results.json` was read as is.
    File,
}

/// One run folder and its table.
#[derive(Debug)]
pub struct RunTable {
    pub dir: PathBuf,
    /// `uncached`, or the iteration's folder name.
    pub name: String,
    pub is_warmup: bool,
    pub comparison: Comparison,
    pub source: Source,
    /// Logs that could not be parsed, left out as the paper leaves them out.
    pub skipped: Vec<ParseError>,
}

/// A group (a figure or one split part) with its runs and their average.
#[derive(Debug)]
pub struct GroupTable {
    pub dir: PathBuf,
    pub runs: Vec<RunTable>,
    pub average: Option<Comparison>,
    pub warnings: Vec<AverageWarning>,
    /// Some run was made from a synthetic model (its manifest says): the tables say so too.
    pub synthetic: bool,
}

/// What the tables of synthetic runs carry beside the paper's keys (the paper's scripts read
/// only `labels` and `data`, so the file stays readable by them).
pub const SYNTHETIC_NOTE: &str =
    "made from SYNTHETIC models (random weights, `repro models synth`): not the paper's numbers";

/// Whether any run under `dir` was made from a synthetic model, per the run manifests
/// (`manifests/*.json`, `key_inputs.model.synthetic`).
pub fn has_synthetic_runs(dir: &Path) -> bool {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file()
                && e.path()
                    .parent()
                    .and_then(|p| p.file_name())
                    .is_some_and(|n| n == "manifests")
        })
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .any(|e| {
            std::fs::read(e.path())
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some_and(|m| {
                    m["key_inputs"]["model"]["synthetic"] == serde_json::Value::Bool(true)
                })
        })
}

impl GroupTable {
    pub fn iterations(&self) -> impl Iterator<Item = &RunTable> {
        self.runs.iter().filter(|run| !run.is_warmup)
    }
}

/// Something in a results folder that stops its table from being made.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    File(#[from] ComparisonFileError),
    #[error("`{}`: {source}", dir.display())]
    Average {
        dir: PathBuf,
        source: average::AverageError,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TableError + '_ {
    move |source| TableError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The `output_model_*` logs of a run folder, in the paper's glob order.
pub fn run_logs(dir: &Path) -> Result<Vec<PathBuf>, TableError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(LOG_PREFIX) && entry.file_type().map_err(io_error(dir))?.is_file() {
            names.push(name);
        }
    }
    collate::sort(&mut names);
    Ok(names.into_iter().map(|name| dir.join(name)).collect())
}

/// The table of one run folder: from its logs, else from its existing file.
pub fn run_table(
    dir: &Path,
    name: String,
    is_warmup: bool,
) -> Result<Option<RunTable>, TableError> {
    let logs = run_logs(dir)?;
    if logs.is_empty() {
        let file = dir.join(COMPARISON_FILE);
        if !file.is_file() {
            return Ok(None);
        }
        let comparison = Comparison::read(&file)?;
        return Ok(Some(RunTable {
            dir: dir.to_path_buf(),
            name,
            is_warmup,
            comparison,
            source: Source::File,
            skipped: vec![],
        }));
    }
    let (comparison, skipped) = Comparison::from_logs(&logs);
    Ok(Some(RunTable {
        dir: dir.to_path_buf(),
        name,
        is_warmup,
        comparison,
        source: Source::Logs,
        skipped,
    }))
}

fn subdirectories(dir: &Path) -> Result<Vec<(String, PathBuf)>, TableError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        if entry.file_type().map_err(io_error(dir))?.is_dir() {
            out.push((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ));
        }
    }
    out.sort();
    Ok(out)
}

/// Compute the tables of one group; `label_order` (the recipe's run order) orders the average.
pub fn group_table(dir: &Path, label_order: Option<&[String]>) -> Result<GroupTable, TableError> {
    let mut runs = Vec::new();
    let uncached = dir.join("uncached");
    if uncached.is_dir() {
        runs.extend(run_table(&uncached, "uncached".into(), true)?);
    }
    for (name, path) in subdirectories(&dir.join("iterations"))? {
        runs.extend(run_table(&path, name, false)?);
    }
    let iterations: Vec<(String, Comparison)> = runs
        .iter()
        .filter(|run| !run.is_warmup)
        .map(|run| (run.name.clone(), run.comparison.clone()))
        .collect();
    let (average, warnings) = if iterations.is_empty() {
        (None, vec![])
    } else {
        let (avg, warnings) = average(&iterations).map_err(|source| TableError::Average {
            dir: dir.to_path_buf(),
            source,
        })?;
        (
            Some(label_order.map_or_else(|| avg.clone(), |order| reorder(&avg, order))),
            warnings,
        )
    };
    Ok(GroupTable {
        dir: dir.to_path_buf(),
        runs,
        average,
        warnings,
        synthetic: has_synthetic_runs(dir),
    })
}

/// The groups under a figure folder: the folder itself or its direct subfolders (split parts)
/// that hold an `iterations/` folder with run folders in it.
pub fn find_groups(figure_dir: &Path) -> Result<Vec<PathBuf>, TableError> {
    let has_runs = |dir: &Path| -> Result<bool, TableError> {
        let iterations = dir.join("iterations");
        Ok(iterations.is_dir() && !subdirectories(&iterations)?.is_empty())
    };
    let mut groups = Vec::new();
    if has_runs(figure_dir)? {
        groups.push(figure_dir.to_path_buf());
    }
    for (_, path) in subdirectories(figure_dir)? {
        if has_runs(&path)? {
            groups.push(path);
        }
    }
    Ok(groups)
}

fn note(group: &GroupTable) -> Option<&'static str> {
    group.synthetic.then_some(SYNTHETIC_NOTE)
}

/// Write a group's tables into its folders: every run folder's table that came from logs, and
/// the average. Each file is replaced atomically.
pub fn write_group(group: &GroupTable) -> Result<Vec<PathBuf>, TableError> {
    let mut written = Vec::new();
    for run in group
        .runs
        .iter()
        .filter(|run| run.source == Source::Logs && !run.comparison.labels.is_empty())
    {
        let path = run.dir.join(COMPARISON_FILE);
        atomic_write(&path, &run.comparison.to_json_noted(note(group))).map_err(io_error(&path))?;
        written.push(path);
    }
    if let Some(avg) = &group.average {
        let path = group.dir.join(AVERAGE_FILE);
        atomic_write(&path, &avg.to_json_noted(note(group))).map_err(io_error(&path))?;
        written.push(path);
    }
    Ok(written)
}
