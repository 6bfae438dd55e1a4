//! The one scheduler of benchmark runs. Every kind of run — a server's point of a matrix (and
//! so each capacity probe and prefill point), an offline harness's, a shared run of tenants —
//! is a [`BenchJob`]: it names its task's folder, makes its manifest, does the run and says
//! what a complete run gives. This loop does the rest for all of them, once: skip what is done,
//! stop on Ctrl-C, drive each run through `run::folder` (staged, recorded, renamed into place
//! or kept as `<label>.failed/`), map its outcome and report it as an [`Event`].
//!
//! A new kind of run is a module with a type that implements [`BenchJob`] (and its task,
//! planned in `plan/`).

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::context::Context;
use super::error::BenchError;
use super::event::{Event, Finished};
use crate::artifacts::replaced::Replaced;
use crate::artifacts::FileRecord;
use crate::run::folder::{
    self, DriveError, Driven, FolderJob, FolderState, FolderStatus, FolderTask, JobOutcome,
};
use crate::run::Interrupt;

/// A kind of benchmark run.
pub trait BenchJob {
    /// One planned run of this kind.
    type Task;
    /// Its `run.json`.
    type Manifest: Manifest;
    /// What a complete run gives the caller.
    type Done;
    /// The files every complete run of this kind has.
    const REQUIRED: &'static [&'static str];

    fn folder(task: &Self::Task) -> &FolderTask;

    /// The run's name in events: its folder's, unless the kind says otherwise (a repeat of a
    /// point: `rate_2.0/repeat_1`).
    fn label(task: &Self::Task) -> &str {
        &Self::folder(task).label
    }

    /// The manifest as the run begins: what is known of it before it starts.
    fn manifest(&self, task: &Self::Task) -> Self::Manifest;

    /// Do the run, its files into `staging`, noting in `manifest` what it learns on the way.
    fn run(
        &mut self,
        task: &Self::Task,
        run: Staged<'_>,
        manifest: &mut Self::Manifest,
    ) -> Result<Self::Done, BenchError>;

    /// What the event of a complete run carries.
    fn finished(done: &Self::Done) -> Finished<'_>;
}

/// Where one run writes and what it reports to.
pub struct Staged<'a> {
    pub staging: &'a Path,
    pub interrupt: &'a Interrupt,
    pub on_event: &'a mut dyn FnMut(Event),
}

/// A run's `run.json`, as the scheduler completes it.
pub trait Manifest: Serialize {
    /// The run ended after `wall_s`; `failure` says why it did not complete, where it did not.
    fn close(&mut self, wall_s: f64, failure: Option<&BenchError>);
    /// Every file of its folder, with its hash.
    fn record_files(&mut self, files: Vec<FileRecord>);
}

/// What a manifest's `status` and `error` say of a run that ended so.
pub fn status_of(failure: Option<&BenchError>) -> (FolderStatus, Option<String>) {
    match failure {
        None => (FolderStatus::Complete, None),
        Some(e) => (e.folder_status(), Some(e.to_string())),
    }
}

/// Whether a planned run is done, and if not why.
pub fn state<J: BenchJob>(task: &J::Task) -> FolderState {
    folder::state(J::folder(task), J::REQUIRED)
}

/// Run the tasks not done before (all of them with `force`), in order; returns how many
/// failed. Ctrl-C ends it with `BenchError::Interrupted` (the runs finished before stay).
pub fn run<J: BenchJob>(
    job: &mut J,
    tasks: &[J::Task],
    ctx: &Context,
    on_event: &mut dyn FnMut(Event),
) -> Result<usize, BenchError> {
    let mut replaced = Replaced::new(&ctx.results);
    let mut failed = 0;
    for task in tasks {
        if ctx.interrupt.count() > 0 {
            return Err(BenchError::Interrupted);
        }
        let folder = J::folder(task);
        let label = J::label(task);
        if !ctx.force && state::<J>(task) == FolderState::Done {
            on_event(Event::Skipped { label });
            continue;
        }
        let mut one = One {
            job: &mut *job,
            task,
            on_event: &mut *on_event,
            done: None,
        };
        let driven = folder::drive(&mut one, folder, &mut replaced, &ctx.interrupt)?;
        let done = one.done.take();
        match driven {
            Driven::Complete => {
                let done = done.expect("a complete run gives its results");
                on_event(Event::Finished {
                    label,
                    result: J::finished(&done),
                    dir: &folder.dir,
                });
            }
            Driven::Interrupted => return Err(BenchError::Interrupted),
            Driven::Failed(error) => {
                failed += 1;
                let kept = folder.failed_dir();
                on_event(Event::Failed {
                    label,
                    error: &error,
                    kept: kept.is_dir().then_some(kept.as_path()),
                });
            }
        }
    }
    Ok(failed)
}

/// One run of a job, as the folder driver runs it.
struct One<'a, J: BenchJob> {
    job: &'a mut J,
    task: &'a J::Task,
    on_event: &'a mut dyn FnMut(Event),
    /// What the run gave, for the event after it is in place.
    done: Option<J::Done>,
}

impl<J: BenchJob> FolderJob for One<'_, J> {
    type Manifest = J::Manifest;
    type Error = BenchError;

    fn run(
        &mut self,
        staging: &Path,
        interrupt: &Interrupt,
    ) -> Result<JobOutcome<J::Manifest, BenchError>, DriveError> {
        let wall = Instant::now();
        let mut manifest = self.job.manifest(self.task);
        let staged = Staged {
            staging,
            interrupt,
            on_event: &mut *self.on_event,
        };
        let outcome = self.job.run(self.task, staged, &mut manifest);
        let wall_s = wall.elapsed().as_secs_f64();
        Ok(match outcome {
            Ok(done) => {
                manifest.close(wall_s, None);
                self.done = Some(done);
                JobOutcome::Complete(manifest)
            }
            Err(BenchError::Interrupted) => JobOutcome::Interrupted,
            Err(BenchError::Drive(e)) => return Err(e),
            Err(error) => {
                manifest.close(wall_s, Some(&error));
                JobOutcome::Failed(manifest, error)
            }
        })
    }

    fn record_files(manifest: &mut J::Manifest, files: Vec<FileRecord>) {
        manifest.record_files(files);
    }
}
