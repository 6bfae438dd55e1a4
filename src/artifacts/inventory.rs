//! What a folder of results holds, judged by bytes: the runs whose manifests account for their
//! files (made by repro, here or on another machine), and the data files that no manifest
//! accounts for — *foreign* data: the paper's published logs, a merged folder without
//! manifests, a hand-copied log. Fake-engine runs and real data must never be mixed in one
//! figure; this is what tells them apart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::derived::TABLES_RECORD;
use super::key::EngineKind;
use super::layout::{
    AVERAGE_FILE, COMPARISON_FILE, CPU_USAGE_FILE, FAILED_DIR, MANIFEST_DIR, SAMPLES_DIR,
    TEMP_PREFIX,
};
use super::manifest::{FilesCheck, Manifest, RunStatus};
use super::replaced::REPLACED_DIR;

/// A run manifest found in the folder.
#[derive(Debug, Clone)]
pub struct RunEntry {
    /// The run folder (the manifest is in its `manifests/`).
    pub run_dir: PathBuf,
    pub manifest: Manifest,
    pub check: FilesCheck,
}

impl RunEntry {
    /// A successful run whose files are still the ones it made.
    pub fn is_intact(&self) -> bool {
        self.manifest.status == RunStatus::Ok
            && matches!(self.check, FilesCheck::Match | FilesCheck::Unrecorded)
    }
}

/// The runs and the foreign data files under a folder.
#[derive(Debug, Default)]
pub struct Inventory {
    pub runs: Vec<RunEntry>,
    /// Data files (logs, CPU samples) no intact manifest accounts for, sorted.
    pub foreign: Vec<PathBuf>,
    /// Manifests that could not be read (named, not trusted).
    pub unreadable: Vec<PathBuf>,
}

/// Files that hold measurements: logs (`*.txt` in every layout of the paper's) and figure 12's
/// CPU samples. Tables are derived from logs; anything else (a README, the paper's `env.json`
/// and `plot.py`, PDFs) is not data a run could be mixed with.
fn is_data(name: &str) -> bool {
    !name.starts_with(TEMP_PREFIX)
        && !name.starts_with(".repro")
        && name != COMPARISON_FILE
        && name != AVERAGE_FILE
        && (name.ends_with(".txt") || name == CPU_USAGE_FILE)
}

/// Folders whose files belong to runs (manifests, failed attempts, samples) or to nobody's data.
fn is_bookkeeping_dir(name: &str) -> bool {
    [MANIFEST_DIR, FAILED_DIR, SAMPLES_DIR, REPLACED_DIR].contains(&name) || name.starts_with('.')
}

impl Inventory {
    /// Scan `dir` (a figure folder or any part of a results tree). A missing folder is empty.
    pub fn scan(dir: &Path) -> Inventory {
        let mut inventory = Inventory::default();
        let mut data = Vec::new();
        let walk = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !e.file_type().is_dir()
                    || !is_bookkeeping_dir(&e.file_name().to_string_lossy())
                    || e.file_name() == MANIFEST_DIR
            })
            .filter_map(Result::ok);
        for entry in walk.filter(|e| e.file_type().is_file()) {
            let name = entry.file_name().to_string_lossy();
            let parent = entry.path().parent().unwrap_or(dir);
            let in_manifests = parent.file_name().is_some_and(|n| n == MANIFEST_DIR);
            if in_manifests {
                if name.ends_with(".json") && name != TABLES_RECORD {
                    inventory.read_manifest(entry.path());
                }
            } else if is_data(&name) {
                data.push(entry.into_path());
            }
        }
        let mut accounted: HashMap<&Path, Vec<&RunEntry>> = HashMap::new();
        for run in inventory.runs.iter().filter(|r| r.is_intact()) {
            accounted.entry(&run.run_dir).or_default().push(run);
        }
        let mut foreign: Vec<PathBuf> = data
            .into_iter()
            .filter(|path| {
                let run_dir = path.parent().unwrap_or(dir);
                let rel = path.file_name().map(|n| n.to_string_lossy().into_owned());
                let runs = accounted
                    .get(run_dir)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                !rel.is_some_and(|rel| runs.iter().any(|r| r.manifest.accounts_for(run_dir, &rel)))
            })
            .collect();
        foreign.sort();
        inventory.foreign = foreign;
        inventory
    }

    fn read_manifest(&mut self, path: &Path) {
        let run_dir = path
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."))
            .to_path_buf();
        match Manifest::read(path) {
            Ok(Some(manifest)) => {
                let check = manifest.check_files(&run_dir);
                self.runs.push(RunEntry {
                    run_dir,
                    manifest,
                    check,
                });
            }
            Ok(None) => {}
            Err(_) => self.unreadable.push(path.to_path_buf()),
        }
    }

    /// Intact runs of the given engine.
    pub fn intact(&self, engine: EngineKind) -> impl Iterator<Item = &RunEntry> {
        self.runs
            .iter()
            .filter(move |r| r.is_intact() && r.manifest.key_inputs.engine() == engine)
    }

    /// What the folder holds that a run of `engine` must not be mixed with: real runs or
    /// foreign data for the fake engine, fake runs for the real one. One example path and the
    /// count, `None` where nothing.
    pub fn mixes_with(&self, engine: EngineKind) -> Option<Mix> {
        match engine {
            EngineKind::Fake => {
                let real: Vec<PathBuf> = self
                    .intact(EngineKind::Real)
                    .map(|r| r.run_dir.join(&r.manifest.log))
                    .chain(self.foreign.iter().cloned())
                    .collect();
                let example = real.first()?.clone();
                Some(Mix {
                    other: "real data",
                    count: real.len(),
                    example,
                })
            }
            EngineKind::Real => {
                let fake: Vec<&RunEntry> = self.intact(EngineKind::Fake).collect();
                let example = fake.first()?;
                Some(Mix {
                    other: "fake-engine runs",
                    count: fake.len(),
                    example: example.run_dir.join(&example.manifest.log),
                })
            }
        }
    }
}

/// Data of the other kind found in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    /// `real data` or `fake-engine runs`.
    pub other: &'static str,
    pub count: usize,
    pub example: PathBuf,
}
