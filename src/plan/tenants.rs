//! A tenants benchmark → its runs as tasks: each tenant's solo runs (one-server benchmark runs,
//! keyed as those are, under `bench-<name>/solo-<tenant>…/`) first, then the shared runs, each
//! keyed over every tenant's server and run, the sharing and the timing of the loads.

use std::path::Path;

use serde::Serialize;

use crate::artifacts::key::TaskKey;
use crate::artifacts::layout::FolderTask;
use crate::plan::bench::BenchTask;
use crate::recipe::bench::{BenchRecipe, ServerSpec, SloSpec};
use crate::recipe::tenants::{SharedRun, TenantsRecipe};

/// The version of a shared run's files, part of its key.
pub const TENANTS_FORMAT: u32 = 1;

/// One shared run.
#[derive(Debug, Clone)]
pub struct SharedTask {
    pub run: SharedRun,
    pub folder: FolderTask,
}

/// Everything a tenants benchmark runs.
#[derive(Debug, Clone)]
pub struct TenantsPlan {
    /// Each tenant as a one-server benchmark (its solo runs are that recipe's runs).
    pub tenant_recipes: Vec<BenchRecipe>,
    /// Per tenant, its solo runs (empty with `solo = false`).
    pub solo: Vec<Vec<BenchTask>>,
    pub shared: Vec<SharedTask>,
    /// The MPS control program.
    pub mps_control: String,
}

#[derive(Serialize)]
struct Key<'a> {
    format: u32,
    servers: Vec<&'a ServerSpec>,
    slos: Vec<&'a SloSpec>,
    run: &'a SharedRun,
    mps_control: &'a str,
}

/// Every run of tenants benchmark `name`, with its folder under `results`.
pub fn plan(name: &str, recipe: &TenantsRecipe, results: &Path) -> TenantsPlan {
    let dir = crate::artifacts::layout::bench_dir(results, name);
    let tenant_recipes: Vec<BenchRecipe> = (0..recipe.tenants.len())
        .map(|i| recipe.tenant_recipe(i))
        .collect();
    let solo = (0..recipe.tenants.len())
        .map(|i| {
            recipe
                .solo_runs(i)
                .into_iter()
                .map(|run| BenchTask {
                    folder: FolderTask {
                        label: run.label.clone(),
                        key: super::bench::key(&tenant_recipes[i], &run),
                        dir: dir.join(&run.label),
                    },
                    run,
                    point: None,
                })
                .collect()
        })
        .collect();
    let shared = recipe
        .runs()
        .into_iter()
        .map(|run| {
            let key = Key {
                format: TENANTS_FORMAT,
                servers: tenant_recipes.iter().map(|r| &r.server).collect(),
                slos: tenant_recipes.iter().map(|r| &r.slo).collect(),
                run: &run,
                mps_control: &recipe.mps_control,
            };
            SharedTask {
                folder: FolderTask {
                    label: run.label.clone(),
                    key: TaskKey::of(&key, 16),
                    dir: dir.join(&run.label),
                },
                run,
            }
        })
        .collect();
    TenantsPlan {
        tenant_recipes,
        solo,
        shared,
        mps_control: recipe.mps_control.clone(),
    }
}
