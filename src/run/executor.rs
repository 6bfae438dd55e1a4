//! Where a job runs. Local child processes now; a Slurm executor (`srun` inside an allocation)
//! fits the same trait: it gets the same job and streams the same output.

use std::fs::File;

use super::child::{self, ChildError, ChildOutcome, ChildSpec, Interrupt};

/// Runs one job to its end, its merged output into `log`, each line to `on_line`.
pub trait Executor {
    fn run(
        &mut self,
        job: &ChildSpec,
        log: File,
        on_line: &mut dyn FnMut(&str),
        interrupt: &Interrupt,
    ) -> Result<ChildOutcome, ChildError>;

    /// The command line as recorded in the manifest.
    fn command_line(&self, job: &ChildSpec) -> Vec<String> {
        std::iter::once(&job.program)
            .chain(&job.args)
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }
}

/// Child processes on this machine.
#[derive(Debug, Default)]
pub struct Local;

impl Executor for Local {
    fn run(
        &mut self,
        job: &ChildSpec,
        log: File,
        on_line: &mut dyn FnMut(&str),
        interrupt: &Interrupt,
    ) -> Result<ChildOutcome, ChildError> {
        child::run(job, log, on_line, interrupt)
    }
}
