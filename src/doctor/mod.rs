//! `repro doctor`: what this machine has for running the paper's experiments, and what it lacks.
//! Every check gives a [`Check`] (ok / warn / missing, a detail and a hint); none of them fails,
//! so a machine without a GPU, Slurm or Python still gets a full report.

pub mod cpu_engine;
pub mod project;
pub mod system;

use std::path::PathBuf;

use serde::Serialize;

use crate::project::Project;

/// Version of `repro doctor --json`'s output.
pub const REPORT_SCHEMA: u32 = 1;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    /// Works, but with a caveat (or only for some figures).
    Warn,
    /// Not there: what needs it cannot run here.
    Missing,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Missing => "missing",
        }
    }
}

/// What was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    Gpus,
    CudaVisibleDevices,
    DiskModels,
    DiskResults,
    PageCache,
    DropCaches,
    Python,
    Envs,
    CpuEngine,
    Slurm,
    Machine,
}

impl CheckId {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Gpus => "gpus",
            CheckId::CudaVisibleDevices => "cuda_visible_devices",
            CheckId::DiskModels => "disk_models",
            CheckId::DiskResults => "disk_results",
            CheckId::PageCache => "page_cache",
            CheckId::DropCaches => "drop_caches",
            CheckId::Python => "python",
            CheckId::Envs => "envs",
            CheckId::CpuEngine => "cpu_engine",
            CheckId::Slurm => "slurm",
            CheckId::Machine => "machine",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub check: CheckId,
    pub level: Level,
    pub detail: String,
    /// The next step, where there is one.
    pub hint: Option<String>,
}

impl Check {
    pub fn new(check: CheckId, level: Level, detail: impl Into<String>) -> Check {
        Check {
            check,
            level,
            detail: detail.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Check {
        self.hint = Some(hint.into());
        self
    }
}

/// Where to look.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub project: Project,
    pub models_dir: PathBuf,
    pub results_dir: PathBuf,
    /// `repro env`'s cache (`$REPRO_CACHE` or `<project>/.cache`).
    pub cache: PathBuf,
    /// The machine of machines.toml this is; `None` matches the hostname.
    pub machine: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: u32,
    pub host: String,
    pub checks: Vec<Check>,
}

/// Run every check.
pub fn run(inputs: &Inputs) -> Report {
    let gpu = crate::samplers::gpu::inventory();
    let has_gpu = matches!(&gpu, crate::samplers::gpu::GpuInventory::Available { devices, .. } if !devices.is_empty());
    let mut checks = vec![
        system::gpus(&gpu),
        system::cuda_visible_devices(std::env::var("CUDA_VISIBLE_DEVICES").ok().as_deref()),
    ];
    checks.push(project::disk_models(inputs));
    checks.push(system::disk_results(&inputs.results_dir));
    checks.push(system::page_cache(&[
        inputs.models_dir.clone(),
        inputs.cache.clone(),
    ]));
    checks.push(system::drop_caches());
    checks.push(system::python());
    checks.push(project::envs(inputs));
    checks.push(cpu_engine::check(&cpu_engine::probe()));
    checks.push(system::slurm());
    checks.push(project::machine(inputs, has_gpu, &system::hostname()));
    Report {
        schema: REPORT_SCHEMA,
        host: system::hostname(),
        checks,
    }
}
