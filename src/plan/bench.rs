//! A benchmark recipe → its runs as tasks: one per point of its matrix, each with the key over
//! everything that decides its results (the server, the run's workload and matrix values, the
//! SLOs, the results format) and its folder under `bench-<name>/`.

use std::path::Path;

use serde::Serialize;

use crate::artifacts::key::TaskKey;
use crate::artifacts::layout::FolderTask;
use crate::recipe::bench::{BenchRecipe, BenchRun, ServerSpec, SloSpec};

/// The version of a benchmark run's files, part of its key.
pub const BENCH_FORMAT: u32 = 1;

/// Hex digits of a benchmark run's key.
const KEY_DIGITS: usize = 16;

/// One run of a benchmark.
#[derive(Debug, Clone)]
pub struct BenchTask {
    pub run: BenchRun,
    pub folder: FolderTask,
}

/// The identity of a run's results: everything that decides them.
#[derive(Serialize)]
struct Key<'a> {
    format: u32,
    server: &'a ServerSpec,
    run: &'a BenchRun,
    slo: &'a SloSpec,
}

/// The key of one run of `recipe`.
pub fn key(recipe: &BenchRecipe, run: &BenchRun) -> TaskKey {
    let key = Key {
        format: BENCH_FORMAT,
        server: &recipe.server,
        run,
        slo: &recipe.slo,
    };
    TaskKey::of(&key, KEY_DIGITS)
}

/// Every run of benchmark `name`, in the matrix's order, with its folder under `results`.
pub fn plan(name: &str, recipe: &BenchRecipe, results: &Path) -> Vec<BenchTask> {
    let dir = crate::artifacts::layout::bench_dir(results, name);
    recipe
        .runs()
        .into_iter()
        .map(|run| BenchTask {
            folder: FolderTask {
                label: run.label.clone(),
                key: key(recipe, &run),
                dir: dir.join(&run.label),
            },
            run,
        })
        .collect()
}
