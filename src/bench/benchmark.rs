//! Running a planned benchmark of any kind: the one entry the command calls. A one-server
//! benchmark runs its matrix (then fits its prefill profile where asked) or its capacity
//! search; an offline one its harness runs; a tenants one its solo and shared runs — each kind
//! through the one scheduler, reporting through one event stream.

use std::path::{Path, PathBuf};

use super::capacity::{self, CapacityFile};
use super::capacity_search::{self, CapacityEvent};
use super::context::Context;
use super::error::BenchError;
use super::event::Event;
use super::prefill::{self, PrefillFile};
use crate::artifacts::layout::bench_dir;
use crate::artifacts::lock::{LockError, ResultsLock};
use crate::plan::benchmark::{Planned, PlannedKind};

/// What running a benchmark gave.
#[derive(Debug, Default)]
pub struct Ran {
    /// Runs that failed (for a capacity search, the configurations whose probe failed).
    pub failed: usize,
    /// A capacity search's `capacity.json`.
    pub capacity: Option<CapacityFile>,
    /// A prefill profile's `prefill.json`, where its runs gave one.
    pub prefill: Option<PrefillFile>,
    /// What the command should say: each repeated point's metrics that vary above the
    /// threshold, by name.
    pub warnings: Vec<String>,
}

/// Run what `planned` has not done before (all of it with `ctx.force`).
pub fn run(
    planned: &Planned,
    ctx: &Context,
    on_event: &mut dyn FnMut(Event),
    on_capacity: &mut dyn FnMut(CapacityEvent),
) -> Result<Ran, BenchError> {
    let name = &planned.name;
    match &planned.kind {
        PlannedKind::Serve { recipe, tasks } => {
            if let Some(spec) = &recipe.capacity {
                let file = capacity_search::search(name, recipe, spec, ctx, on_event, on_capacity)?;
                let failed = file
                    .configs
                    .iter()
                    .filter(|c| c.stop == capacity::Stop::ProbeFailed)
                    .count();
                return Ok(Ran {
                    failed,
                    capacity: Some(file),
                    ..Ran::default()
                });
            }
            let (failed, warnings) =
                super::runner::run_benchmark(name, recipe, tasks, ctx, on_event)?;
            let prefill = match &recipe.prefill_profile {
                Some(p) => {
                    let bench = bench_dir(&ctx.results, name);
                    prefill::write_profiles(&bench, name, p.degree as usize, tasks)?
                }
                None => None,
            };
            Ok(Ran {
                failed,
                capacity: None,
                prefill,
                warnings,
            })
        }
        PlannedKind::Offline { recipe, tasks } => Ok(Ran {
            failed: super::offline::run_offline(name, recipe, tasks, ctx, on_event)?,
            ..Ran::default()
        }),
        PlannedKind::Tenants { plan, .. } => Ok(Ran {
            failed: super::tenants::run_tenants(name, plan, ctx, on_event)?,
            ..Ran::default()
        }),
    }
}

/// Why the results folder could not be held for benchmarks.
#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cleaning `{}`", dir.display())]
    Clean {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The results folder held for the benchmarks' runs: one repro at a time in it, so the
/// leftovers of an interrupted run in each benchmark's folder are ours to remove, and are.
pub fn hold_results(results: &Path, benchmarks: &[Planned]) -> Result<ResultsLock, HoldError> {
    let lock = crate::artifacts::lock::lock(results)?;
    for planned in benchmarks {
        let dir = bench_dir(results, &planned.name);
        crate::artifacts::stage::remove_leftovers(&dir)
            .map_err(|source| HoldError::Clean { dir, source })?;
    }
    Ok(lock)
}
