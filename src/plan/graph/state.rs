//! Whether a task is done: its state read from its manifest and the bytes of its files, apart
//! from planning (which reads no manifest).

use crate::artifacts::manifest::{FilesCheck, Manifest, RunStatus};
use crate::plan::task::Task;

/// Whether a task needs to run, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskState {
    Done,
    /// Its log is there but no manifest of this folder accounts for those bytes (published or
    /// merged data, a hand-copied log): kept, and not run unless forced.
    Foreign(Foreign),
    Run(Reason),
}

impl TaskState {
    /// Whether the runner runs it.
    pub fn runs(&self) -> bool {
        matches!(self, TaskState::Run(_))
    }
}

/// Why a present log is not this folder's run.
#[derive(Debug, Clone, PartialEq)]
pub enum Foreign {
    /// No manifest beside it.
    NoManifest,
    /// Its manifest recorded other bytes (the log was replaced after the run, e.g. by a merge).
    NotTheRecordedBytes,
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Foreign::NoManifest => "present, not made here",
            Foreign::NotTheRecordedBytes => {
                "present, not made here (its manifest recorded other bytes)"
            }
        })
    }
}

/// Why a task runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// No manifest: never ran, or was interrupted before it finished.
    NoArtifact,
    /// Its manifest says it ended that way.
    FailedBefore(RunStatus),
    /// Its inputs changed since it ran: the stored key differs.
    ChangedInput {
        stored: String,
    },
    /// The manifest says ok but the log is gone.
    LogMissing,
    /// A file the run made (a sampler's, its stderr) is gone or holds other bytes.
    FilesChanged(String),
    /// The manifest cannot be read.
    BadManifest(String),
    Forced,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::NoArtifact => f.write_str("no artifact"),
            Reason::FailedBefore(status) => write!(f, "{} before", status.as_str()),
            Reason::ChangedInput { stored } => write!(
                f,
                "changed input (stored key {})",
                &stored[..12.min(stored.len())]
            ),
            Reason::LogMissing => f.write_str("log missing"),
            Reason::FilesChanged(file) => write!(f, "`{file}` is not the file the run made"),
            Reason::BadManifest(e) => write!(f, "unreadable manifest: {e}"),
            Reason::Forced => f.write_str("--force"),
        }
    }
}

/// A task's state from its manifest and the bytes of its files.
/// The manifest comes boxed: a plan of 100,000 tasks keeps one (or none) per task, and a
/// manifest inline would make every entry ~1 KB (96 MB for that plan).
pub fn task_state(task: &Task, force: bool) -> (TaskState, Option<Box<Manifest>>) {
    let log_present = task.paths.log.is_file();
    let manifest = match Manifest::read(&task.paths.manifest()) {
        Ok(m) => m,
        Err(_) if log_present && !force => {
            return (TaskState::Foreign(Foreign::NoManifest), None);
        }
        Err(e) => return (TaskState::Run(Reason::BadManifest(e.to_string())), None),
    };
    let run_dir = &task.paths.run_dir();
    let state = match &manifest {
        _ if force => TaskState::Run(Reason::Forced),
        None if log_present => TaskState::Foreign(Foreign::NoManifest),
        None => TaskState::Run(Reason::NoArtifact),
        Some(m) if log_present && !m.accounts_for(run_dir, task.paths.log_name()) => {
            TaskState::Foreign(Foreign::NotTheRecordedBytes)
        }
        Some(m) if m.status != RunStatus::Ok => TaskState::Run(Reason::FailedBefore(m.status)),
        Some(m) if m.task_key != task.key.0 => TaskState::Run(Reason::ChangedInput {
            stored: m.task_key.clone(),
        }),
        Some(_) if !log_present => TaskState::Run(Reason::LogMissing),
        Some(m) => match m.check_files(run_dir) {
            FilesCheck::Match | FilesCheck::Unrecorded => TaskState::Done,
            FilesCheck::Missing(file) | FilesCheck::Changed(file) => {
                TaskState::Run(Reason::FilesChanged(file))
            }
        },
    };
    (state, manifest.map(Box::new))
}
