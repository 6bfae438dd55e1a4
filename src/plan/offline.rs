//! An offline benchmark recipe → its runs as tasks: one per point of its matrix, each keyed
//! over the engine and the run (and the results' format), its folder under `bench-<name>/`.

use std::path::Path;

use serde::Serialize;

use crate::artifacts::key::TaskKey;
use crate::artifacts::layout::FolderTask;
use crate::recipe::offline::{EngineSpec, OfflineRecipe, OfflineRun};

/// The version of an offline run's files, part of its key.
pub const OFFLINE_FORMAT: u32 = 1;

/// One run of an offline benchmark.
#[derive(Debug, Clone)]
pub struct OfflineTask {
    pub run: OfflineRun,
    pub folder: FolderTask,
}

#[derive(Serialize)]
struct Key<'a> {
    format: u32,
    engine: &'a EngineSpec,
    run: &'a OfflineRun,
}

/// Every run of offline benchmark `name`, with its folder under `results`.
pub fn plan(name: &str, recipe: &OfflineRecipe, results: &Path) -> Vec<OfflineTask> {
    let dir = crate::artifacts::layout::bench_dir(results, name);
    recipe
        .runs()
        .into_iter()
        .map(|run| OfflineTask {
            folder: FolderTask {
                label: run.label.clone(),
                key: TaskKey::of(
                    &Key {
                        format: OFFLINE_FORMAT,
                        engine: &recipe.engine,
                        run: &run,
                    },
                    16,
                ),
                dir: dir.join(&run.label),
            },
            run,
        })
        .collect()
}
