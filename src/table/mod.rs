//! The paper's tables: `comparison_results.json` per run folder and
//! `avg_comparison_results.json` per figure or split part, from the raw logs.
//!
//! A figure folder holds one or more *groups*: a folder with an `iterations/` inside (the figure
//! folder itself, or a split part such as `gpu0`, `cpu1`, `case0`). Each group has run folders
//! (`uncached/`, `iterations/<i>/`) full of `output_model_*` logs.

pub mod average;
pub mod cache;
pub mod collate;
pub mod comparison;
pub mod folders;
pub mod pyjson;

use std::path::{Path, PathBuf};

pub use average::{average, reorder, AverageWarning};
pub use cache::{ParseCache, ParseCaches};
pub use comparison::{Comparison, ComparisonFileError};

use crate::artifacts::derived::{self, Policy};
use crate::artifacts::inventory::Inventory;
use crate::artifacts::key::EngineKind;
use crate::parse::ParseError;

pub use crate::artifacts::layout::{AVERAGE_FILE, COMPARISON_FILE};
/// A run folder's logs: `output_*`. The paper's `fix_comparisons.sh` globs `output_model_*`,
/// which leaves out the runs of a sweep whose first parameter is not `model`
/// (`output_max-num-seqs_16_model_x.txt`); on the paper's folders, which hold no other
/// `output_*` logs, the two are the same.
pub const LOG_PREFIX: &str = "output_";
/// The log of a run without parameters.
const BARE_LOG: &str = "output.txt";

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
    /// Logs cut or crashed before the engine was up: in the table with partial numbers, and
    /// named in its note.
    pub incomplete: Vec<comparison::Incomplete>,
}

/// A group (a figure or one split part) with its runs and their average.
#[derive(Debug)]
pub struct GroupTable {
    pub dir: PathBuf,
    pub runs: Vec<RunTable>,
    pub average: Option<Comparison>,
    pub warnings: Vec<AverageWarning>,
    /// Whether its runs are not measurements of the paper's models (the manifests say); the
    /// tables say so too.
    pub provenance: Provenance,
}

/// What a set of runs is, as far as it decides whether its numbers can stand for the paper's,
/// judged by bytes: a run counts only while its manifest accounts for its files, and a log no
/// manifest accounts for (the paper's published data, a merged folder) counts as real data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// Some run loaded a random-weight model made by `repro models synth`.
    pub synthetic_model: bool,
    /// Some run was the fake engine's (`--engine fake`): simulated timings.
    pub fake_engine: bool,
    /// A fake-engine log and a real one (a real run's, or data repro did not make), where both
    /// are there: such a folder is never tabled or drawn.
    pub mixed: Option<(PathBuf, PathBuf)>,
}

impl Provenance {
    /// The warning tables and figures carry (the paper's scripts read only `labels` and `data`
    /// of a table, so the file stays readable by them); `None` for real runs of real models.
    pub fn note(&self) -> Option<&'static str> {
        match (self.fake_engine, self.synthetic_model) {
            (true, _) => Some("FAKE ENGINE (`--engine fake`): simulated timings, not measurements"),
            (false, true) => {
                Some("SYNTHETIC MODEL (random weights, `repro models synth`): not the paper's data")
            }
            (false, false) => None,
        }
    }
}

/// The provenance of the runs under `dir` (a group or a whole figure folder).
pub fn provenance(dir: &Path) -> Provenance {
    let inventory = Inventory::scan(dir);
    let intact = || inventory.runs.iter().filter(|r| r.is_intact());
    let fake = inventory.intact(EngineKind::Fake).next();
    let real = inventory.mixes_with(EngineKind::Fake);
    Provenance {
        synthetic_model: intact().any(|r| r.manifest.key_inputs.synthetic()),
        fake_engine: fake.is_some(),
        mixed: fake
            .zip(real)
            .map(|(f, r)| (f.run_dir.join(&f.manifest.log), r.example)),
    }
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
    #[error("`{}` mixes fake-engine runs (e.g. `{}`) with real data (e.g. `{}`): its numbers would average the two; keep them in separate results folders (`--results`), or rerun the figure with `--force` to replace the other kind (its files are kept under `replaced/`)", dir.display(), fake.display(), real.display())]
    Mixed {
        dir: PathBuf,
        fake: PathBuf,
        real: PathBuf,
    },
    #[error("cannot write `{}`: {}", path.display(), crate::sys::problem(source, path))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

crate::io_adapter!(fn io_error -> TableError);

/// The `output_*` logs of a run folder, in the paper's glob order.
pub fn run_logs(dir: &Path) -> Result<Vec<PathBuf>, TableError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_log = name.starts_with(LOG_PREFIX) || name == BARE_LOG;
        if is_log && entry.file_type().map_err(io_error(dir))?.is_file() {
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
    cache: Option<&ParseCache>,
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
            incomplete: vec![],
        }));
    }
    let (comparison, skipped, incomplete) = Comparison::from_logs_cached(&logs, cache);
    Ok(Some(RunTable {
        dir: dir.to_path_buf(),
        name,
        is_warmup,
        comparison,
        source: Source::Logs,
        skipped,
        incomplete,
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
    group_table_cached(dir, label_order, None)
}

/// [`group_table`], the logs' parses taken from `cache` where it holds them (the same tables).
pub fn group_table_cached(
    dir: &Path,
    label_order: Option<&[String]>,
    cache: Option<&ParseCache>,
) -> Result<GroupTable, TableError> {
    let mut runs = Vec::new();
    let uncached = dir.join("uncached");
    if uncached.is_dir() {
        runs.extend(run_table(&uncached, "uncached".into(), true, cache)?);
    }
    for (name, path) in subdirectories(&dir.join("iterations"))? {
        runs.extend(run_table(&path, name, false, cache)?);
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
    let provenance = provenance(dir);
    if let Some((fake, real)) = &provenance.mixed {
        return Err(TableError::Mixed {
            dir: dir.to_path_buf(),
            fake: fake.clone(),
            real: real.clone(),
        });
    }
    Ok(GroupTable {
        dir: dir.to_path_buf(),
        runs,
        average,
        warnings,
        provenance,
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

/// The folders in the paper's layout under a folder (a lab's tree of experiments, as the paper's
/// own `experiments/`), at any depth, and the folders that hold logs outside that layout.
#[derive(Debug, Default)]
pub struct LayoutTree {
    /// Each a figure folder for [`find_groups`] (runs of its own, or split parts), sorted.
    pub folders: Vec<PathBuf>,
    /// Folders with `output_*` logs but no `iterations/<i>/` around them, and why.
    pub odd: Vec<(PathBuf, &'static str)>,
}

/// Walk `root` for folders in the paper's layout; a found folder is not looked into further.
/// repro's own folders (`replaced/`, dot-folders) are skipped.
pub fn layout_folders(root: &Path) -> Result<LayoutTree, TableError> {
    let mut tree = LayoutTree::default();
    walk_layout(root, &mut tree)?;
    Ok(tree)
}

fn walk_layout(dir: &Path, tree: &mut LayoutTree) -> Result<(), TableError> {
    // A folder with runs of its own, or whose runs are in split parts (`gpu0/`, `case1/`): a
    // figure folder. Subfolders with runs under other names are experiments of their own.
    let groups = find_groups(dir)?;
    let is_part = |g: &PathBuf| {
        g.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(crate::recipe::SplitKind::is_part_name)
    };
    if groups.iter().any(|g| g == dir) || (!groups.is_empty() && groups.iter().all(is_part)) {
        tree.folders.push(dir.to_path_buf());
        return Ok(());
    }
    if !run_logs(dir)?.is_empty() {
        tree.odd.push((
            dir.to_path_buf(),
            "holds output_* logs outside the paper's layout (`<folder>/iterations/<i>/output_*.txt`)",
        ));
    }
    for (name, path) in subdirectories(dir)? {
        // Not into a run's folders (logs right in `iterations/` are figure 1's layout, one per
        // vLLM version, which the paper's scripts do not table either), nor repro's own.
        let own = name.starts_with('.') || name == "replaced";
        if own || name == "iterations" || name == "uncached" {
            continue;
        }
        walk_layout(&path, tree)?;
    }
    Ok(())
}

/// What writing a group's tables did.
#[derive(Debug, Default)]
pub struct WriteReport {
    /// Files written with new bytes.
    pub written: Vec<PathBuf>,
    /// Files that already held the bytes computed.
    pub unchanged: usize,
    /// Files left as they are: they hold other bytes that repro did not write (the paper's
    /// own tables, a hand edit). `--force` replaces them.
    pub kept_foreign: Vec<PathBuf>,
    /// Forced: where the foreign bytes that were replaced are kept.
    pub replaced: Vec<PathBuf>,
}

impl WriteReport {
    fn add(&mut self, path: PathBuf, outcome: derived::Written) {
        match outcome {
            derived::Written::Written => self.written.push(path),
            derived::Written::Unchanged => self.unchanged += 1,
            derived::Written::KeptForeign => self.kept_foreign.push(path),
            derived::Written::ReplacedForeign { kept } => {
                self.written.push(path);
                self.replaced.push(kept);
            }
        }
    }

    pub fn extend(&mut self, other: WriteReport) {
        self.written.extend(other.written);
        self.unchanged += other.unchanged;
        self.kept_foreign.extend(other.kept_foreign);
        self.replaced.extend(other.replaced);
    }
}

/// Write a group's tables into its folders: every run folder's table that came from logs, and
/// the average. Each file is replaced atomically, and only where that replaces bytes repro
/// wrote (or `policy` says to replace foreign ones, keeping them). A fake or synthetic table
/// says so in its `note`; the logs that were cut or crashed are named in the folder's table
/// record (`manifests/tables.json`), so that the file itself stays the paper's bytes.
pub fn write_group(group: &GroupTable, policy: &mut Policy<'_>) -> Result<WriteReport, TableError> {
    let provenance = group.provenance.note();
    let mut report = WriteReport::default();
    let mut write = |dir: &Path, name: &str, bytes: Vec<u8>, note: Option<String>| {
        let outcome =
            derived::write(dir, name, &bytes, note.as_deref(), policy).map_err(|source| {
                TableError::Write {
                    path: dir.join(name),
                    source,
                }
            })?;
        report.add(dir.join(name), outcome);
        Ok::<(), TableError>(())
    };
    for run in group
        .runs
        .iter()
        .filter(|run| run.source == Source::Logs && !run.comparison.labels.is_empty())
    {
        let bytes = run.comparison.to_json_noted(provenance);
        let logs: Vec<String> = run
            .incomplete
            .iter()
            .map(|i| format!("{} ({})", i.label, i.reason))
            .collect();
        write(&run.dir, COMPARISON_FILE, bytes, incomplete_note(&logs))?;
    }
    if let Some(avg) = &group.average {
        let logs: Vec<String> = group
            .iterations()
            .flat_map(|run| {
                run.incomplete
                    .iter()
                    .map(move |i| format!("{}/{} ({})", run.name, i.label, i.reason))
            })
            .collect();
        let bytes = avg.to_json_noted(provenance);
        write(&group.dir, AVERAGE_FILE, bytes, incomplete_note(&logs))?;
    }
    Ok(report)
}

/// The record's note of a table some of whose logs were cut or crashed.
fn incomplete_note(logs: &[String]) -> Option<String> {
    (!logs.is_empty()).then(|| {
        format!(
            "INCOMPLETE LOGS, their numbers are partial: {}",
            logs.join("; ")
        )
    })
}
