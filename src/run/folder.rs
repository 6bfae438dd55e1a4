//! Runs whose results are a folder of files (a serving benchmark's run; next, an offline run or
//! a set of tenants): one driver for them all. A kind of run is a [`FolderJob`]: it fills a
//! staging folder and says how it went; the driver stages, records the manifest (`run.json`,
//! with the hash of every file), renames the folder into place when complete — an older result
//! in the way is kept under `replaced/` — or keeps it as `<label>.failed/` when not, and
//! deletes it when interrupted. Whether a run is done is read back the same way for all kinds.
//!
//! To add a kind of run: a module with a type that implements [`FolderJob`], planned as a
//! [`FolderTask`] (its key over everything that decides its output).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Interrupt;
use crate::artifacts::key::TaskKey;
use crate::artifacts::replaced::Replaced;
use crate::artifacts::stage::StagedDir;
use crate::artifacts::FileRecord;

/// The manifest's file name in a run's folder.
pub const RUN_JSON: &str = "run.json";

// What a folder run is lives with the results' layout (the planner makes them too).
pub use crate::artifacts::layout::FolderTask;

/// How a run went, as its manifest says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderStatus {
    Complete,
    /// The server never answered its health check.
    NotHealthy,
    /// The server died during the load.
    ServerDied,
    /// Any other failure of the run.
    Failed,
}

/// What every folder run's manifest holds, whatever else its kind writes there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recorded {
    pub key: TaskKey,
    pub status: FolderStatus,
    /// The files of the folder with their hashes; absent in folders of an older repro.
    #[serde(default)]
    pub files: Option<Vec<FileRecord>>,
}

/// Whether a folder run is done, and if not why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderState {
    Done,
    Missing,
    /// Its results exist from other inputs (the recipe changed).
    Stale,
    /// Its files are not the ones the run recorded (edited or damaged).
    Changed(String),
    /// The last attempt failed (kept as `<label>.failed/`).
    FailedBefore,
}

impl FolderState {
    /// What a dry run says of a run in this state (`force`: done runs are rerun).
    pub fn words(&self, force: bool) -> String {
        match self {
            FolderState::Done if force => "done, would rerun (--force)".to_string(),
            FolderState::Done => "done, skipped".to_string(),
            FolderState::Missing => "would run".to_string(),
            FolderState::Stale => "would rerun: the recipe changed since".to_string(),
            FolderState::Changed(file) => {
                format!("would rerun: `{file}` is not the file the run made")
            }
            FolderState::FailedBefore => "would rerun: the last attempt failed".to_string(),
        }
    }
}

/// The state of a task from its folder; `required` are the files a complete run has.
pub fn state(task: &FolderTask, required: &[&str]) -> FolderState {
    let recorded = std::fs::read(task.dir.join(RUN_JSON))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Recorded>(&bytes).ok());
    let complete = required.iter().all(|f| task.dir.join(f).is_file());
    match recorded {
        Some(r) if complete && r.status == FolderStatus::Complete => {
            if r.key != task.key {
                return FolderState::Stale;
            }
            let changed = r.files.iter().flatten().find(|f| !f.matches(&task.dir));
            match changed {
                Some(f) => FolderState::Changed(f.path.clone()),
                None => FolderState::Done,
            }
        }
        Some(_) if complete => FolderState::Stale,
        _ if task.failed_dir().is_dir() => FolderState::FailedBefore,
        _ => FolderState::Missing,
    }
}

/// How a job's run went.
pub enum JobOutcome<M, E> {
    /// Its files are in the staging folder; `M` is its manifest.
    Complete(M),
    /// It did not finish; what it wrote is kept for inspection with its manifest.
    Failed(M, E),
    /// Ctrl-C: nothing of it is kept.
    Interrupted,
}

/// A kind of run that fills a folder.
pub trait FolderJob {
    /// Its manifest (`run.json`): [`Recorded`]'s fields and its own.
    type Manifest: Serialize;
    type Error;

    /// Do the run, writing its files into `staging`.
    fn run(
        &mut self,
        staging: &Path,
        interrupt: &Interrupt,
    ) -> Result<JobOutcome<Self::Manifest, Self::Error>, DriveError>;

    /// Where the manifest records the files (set by the driver before it is written).
    fn record_files(manifest: &mut Self::Manifest, files: Vec<FileRecord>);
}

/// The results folder could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{}`: {}", path.display(), crate::sys::problem(source, path))]
pub struct DriveError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

pub fn drive_error(path: &Path) -> impl FnOnce(std::io::Error) -> DriveError + '_ {
    move |source| DriveError {
        path: path.to_path_buf(),
        source,
    }
}

/// What the driver did with a job's run.
pub enum Driven<E> {
    /// In place at the task's folder.
    Complete,
    /// Kept at `<label>.failed/`.
    Failed(E),
    Interrupted,
}

/// Run `job` for `task`: staged beside its folder, recorded, then renamed into place (complete)
/// or kept as `<label>.failed/` (not); an older complete folder in the way is kept in
/// `replaced`.
pub fn drive<J: FolderJob>(
    job: &mut J,
    task: &FolderTask,
    replaced: &mut Replaced,
    interrupt: &Interrupt,
) -> Result<Driven<J::Error>, DriveError> {
    let parent = task.dir.parent().unwrap_or(Path::new("."));
    let staged = StagedDir::new(parent, &task.label).map_err(drive_error(parent))?;
    let (mut manifest, error) = match job.run(staged.path(), interrupt)? {
        JobOutcome::Interrupted => return Ok(Driven::Interrupted),
        JobOutcome::Complete(m) => (m, None),
        JobOutcome::Failed(m, e) => (m, Some(e)),
    };
    J::record_files(&mut manifest, hash_files(staged.path())?);
    write_manifest(staged.path(), &manifest)?;
    match error {
        None => {
            let mut keep = |old: &Path| replaced.keep(old).map(drop);
            staged
                .commit(&task.dir, Some(&mut keep))
                .map_err(drive_error(&task.dir))?;
            let _ = std::fs::remove_dir_all(task.failed_dir());
            Ok(Driven::Complete)
        }
        Some(error) => {
            // The last failed attempt is history: the new one replaces it.
            staged
                .commit(&task.failed_dir(), None)
                .map_err(drive_error(&task.failed_dir()))?;
            Ok(Driven::Failed(error))
        }
    }
}

/// Every file of a folder (not its manifest), sorted, with its hash.
fn hash_files(dir: &Path) -> Result<Vec<FileRecord>, DriveError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(drive_error(dir))? {
        let entry = entry.map_err(drive_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != RUN_JSON && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    names
        .iter()
        .map(|n| FileRecord::of(dir, n).map_err(drive_error(&dir.join(n))))
        .collect()
}

fn write_manifest(dir: &Path, manifest: &impl Serialize) -> Result<(), DriveError> {
    let path = dir.join(RUN_JSON);
    let text = serde_json::to_string_pretty(manifest).expect("a manifest serialises") + "\n";
    crate::artifacts::atomic_write(&path, text.as_bytes()).map_err(drive_error(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_says_what_becomes_of_each_state() {
        assert_eq!(FolderState::Done.words(false), "done, skipped");
        assert_eq!(FolderState::Done.words(true), "done, would rerun (--force)");
        assert_eq!(FolderState::Missing.words(true), "would run");
        assert_eq!(
            FolderState::Changed("summary.json".into()).words(false),
            "would rerun: `summary.json` is not the file the run made"
        );
        assert!(FolderState::FailedBefore
            .words(false)
            .contains("last attempt failed"));
        assert!(FolderState::Stale.words(false).contains("recipe changed"));
    }

    /// A kind of run for the test: writes one file, then succeeds or fails as told.
    struct Echo {
        fail: bool,
    }

    #[derive(Serialize)]
    struct EchoManifest {
        key: TaskKey,
        status: FolderStatus,
        files: Option<Vec<FileRecord>>,
    }

    impl FolderJob for Echo {
        type Manifest = EchoManifest;
        type Error = String;
        fn run(
            &mut self,
            staging: &Path,
            _: &Interrupt,
        ) -> Result<JobOutcome<EchoManifest, String>, DriveError> {
            std::fs::write(staging.join("out.txt"), "hello").unwrap();
            let manifest = |status| EchoManifest {
                key: TaskKey("k".into()),
                status,
                files: None,
            };
            Ok(match self.fail {
                false => JobOutcome::Complete(manifest(FolderStatus::Complete)),
                true => JobOutcome::Failed(manifest(FolderStatus::Failed), "no".into()),
            })
        }
        fn record_files(manifest: &mut EchoManifest, files: Vec<FileRecord>) {
            manifest.files = Some(files);
        }
    }

    #[test]
    fn a_job_is_staged_recorded_and_moved_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let task = FolderTask {
            label: "run".into(),
            key: TaskKey("k".into()),
            dir: dir.path().join("bench-x/run"),
        };
        let mut replaced = Replaced::new(dir.path());
        let interrupt = Interrupt::default();
        assert_eq!(state(&task, &["out.txt"]), FolderState::Missing);
        let driven = drive(&mut Echo { fail: true }, &task, &mut replaced, &interrupt).unwrap();
        assert!(matches!(driven, Driven::Failed(_)));
        assert_eq!(state(&task, &["out.txt"]), FolderState::FailedBefore);
        drive(&mut Echo { fail: false }, &task, &mut replaced, &interrupt).unwrap();
        assert_eq!(state(&task, &["out.txt"]), FolderState::Done);
        assert!(!task.failed_dir().exists(), "the failed attempt is gone");
        // Bytes bound to the manifest: an edit makes the run not done.
        std::fs::write(task.dir.join("out.txt"), "edited").unwrap();
        assert_eq!(
            state(&task, &["out.txt"]),
            FolderState::Changed("out.txt".into())
        );
        // A rerun keeps the older folder.
        drive(&mut Echo { fail: false }, &task, &mut replaced, &interrupt).unwrap();
        assert_eq!(replaced.kept().len(), 1);
        let other = FolderTask {
            key: TaskKey("other".into()),
            ..task.clone()
        };
        assert_eq!(state(&other, &["out.txt"]), FolderState::Stale);
    }
}
