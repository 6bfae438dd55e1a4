//! An offline benchmark's runs: per point of its matrix, repro's harness (`bench::harness`)
//! in the vLLM environment's python, given a JSON request and answering in JSON; repro makes
//! the prompts (the same seeded prompts as a serving workload) and the summary. Each run is a
//! [`BenchJob`] of the one scheduler (`bench::schedule`), as a serving run is.
//!
//! Layout (format 1): `<results>/bench-<name>/<label>/{request.json, result.json, offline.json,
//! harness.log, cpu.json, gpu.json, run.json}`.

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Serialize;

use super::context::Context;
use super::error::BenchError;
use super::event::{Event, Finished};
use super::files::{self, Samplers};
use super::harness::{Harness, HarnessRequest, OfflineError, OfflineSummary, PromptLine, FORMAT};
use super::schedule::{self, BenchJob, Manifest, Staged};
use super::workload::{self, WorkloadError};
use crate::artifacts::key::TaskKey;
use crate::artifacts::FileRecord;
use crate::env::EnvSpec;
use crate::plan::offline::OfflineTask;
use crate::recipe::offline::{Mode, OfflineRecipe, OfflineRun};
use crate::recipe::Scalar;
use crate::run::folder::{FolderState, FolderStatus, FolderTask};

/// The files a complete run has.
pub const REQUIRED: [&str; 2] = ["offline.json", "result.json"];

/// Whether a planned run is done, and if not why.
pub fn state(task: &OfflineTask) -> FolderState {
    schedule::state::<OfflineJob>(task)
}

/// The harness's request for a run: its prompts made from the recipe (throughput mode).
pub fn request(
    recipe: &OfflineRecipe,
    run: &OfflineRun,
    ctx: &Context,
) -> Result<HarnessRequest, WorkloadError> {
    let recipe_backend = recipe.engine.backend;
    let o = &run.offline;
    let requests = match (o.mode, &o.prompt) {
        (Mode::Throughput, Some(prompt)) => {
            // The prompts a serving workload of these values would send (its defaults for the
            // rest): offline and online runs of one seed see the same prompts.
            let w: crate::recipe::bench::WorkloadSpec = serde_json::from_value(serde_json::json!({
                "arrival": "closed",
                "concurrency": 1,
                "requests": o.requests.unwrap_or(0),
                "prompt": prompt,
                "output_len": o.output_len.map(|value| serde_json::json!({"dist": "fixed", "value": value})),
                "seed": o.seed,
                "ignore_eos": o.ignore_eos,
            }))
            .expect("a workload of known fields");
            let made = workload::requests(&w, &ctx.project_root)?;
            Some(
                made.into_iter()
                    .map(|r| PromptLine {
                        prompt: r.prompt,
                        output_len: r.max_tokens,
                        priority: None,
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    Ok(HarnessRequest {
        mode: o.mode,
        backend: recipe_backend,
        model: ctx.model_path(&run.model),
        served_name: run.model.clone(),
        engine_args: run.engine_args.clone(),
        seed: o.seed,
        ignore_eos: o.ignore_eos,
        batch_size: o.batch_size,
        input_len: o.input_len,
        output_len: o.output_len,
        warmup: o.warmup,
        iterations: o.iterations,
        requests,
        keep_text: false,
    })
}

/// `run.json` of an offline run.
#[derive(Debug, Serialize)]
pub struct OfflineManifest {
    format: u32,
    benchmark: String,
    label: String,
    key: TaskKey,
    status: FolderStatus,
    error: Option<String>,
    params: IndexMap<String, Scalar>,
    model: String,
    mode: Mode,
    engine_args: IndexMap<String, Scalar>,
    python: PathBuf,
    env: IndexMap<String, String>,
    started_unix_s: f64,
    wall_s: f64,
    host: String,
    /// The machine: CPU, GPUs, memory, OS and kernel.
    machine: crate::artifacts::manifest::Host,
    repro_version: &'static str,
    files: Option<Vec<FileRecord>>,
}

impl Manifest for OfflineManifest {
    fn close(&mut self, wall_s: f64, failure: Option<&BenchError>) {
        self.wall_s = wall_s;
        (self.status, self.error) = schedule::status_of(failure);
    }

    fn record_files(&mut self, files: Vec<FileRecord>) {
        self.files = Some(files);
    }
}

/// An offline benchmark's runs, as the scheduler drives them.
pub struct OfflineJob<'a> {
    pub name: &'a str,
    pub recipe: &'a OfflineRecipe,
    pub ctx: &'a Context,
}

impl BenchJob for OfflineJob<'_> {
    type Task = OfflineTask;
    type Manifest = OfflineManifest;
    type Done = OfflineSummary;
    const REQUIRED: &'static [&'static str] = &REQUIRED;

    fn folder(task: &OfflineTask) -> &FolderTask {
        &task.folder
    }

    fn manifest(&self, task: &OfflineTask) -> OfflineManifest {
        OfflineManifest {
            format: FORMAT,
            benchmark: self.name.to_string(),
            label: task.folder.label.clone(),
            key: task.folder.key.clone(),
            status: FolderStatus::Complete,
            error: None,
            params: task.run.params.clone(),
            model: task.run.model.clone(),
            mode: task.run.offline.mode,
            engine_args: task.run.engine_args.clone(),
            python: python_of(self.recipe, self.ctx),
            env: self.recipe.engine.env.clone(),
            started_unix_s: crate::sys::unix_now(),
            wall_s: 0.0,
            host: crate::sys::hostname(),
            machine: crate::artifacts::manifest::Host::here(),
            repro_version: env!("CARGO_PKG_VERSION"),
            files: None,
        }
    }

    /// The harness on the run's request, in the staging folder; its summary.
    fn run(
        &mut self,
        task: &OfflineTask,
        staged: Staged<'_>,
        _: &mut OfflineManifest,
    ) -> Result<OfflineSummary, BenchError> {
        (staged.on_event)(Event::Harness {
            label: &task.folder.label,
        });
        let engine = &self.recipe.engine;
        let python = python_of(self.recipe, self.ctx);
        if engine.python.is_none() && !python.is_file() {
            return Err(OfflineError::NoEnv {
                env: EnvSpec::new(engine.vllm.clone(), engine.device).dir(&self.ctx.cache),
                vllm: engine.vllm.clone(),
                cpu: engine.device == crate::config::machines::Device::Cpu,
            }
            .into());
        }
        let request = request(self.recipe, &task.run, self.ctx)?;
        let harness = Harness {
            python,
            cache: &self.ctx.cache,
            vllm: &engine.vllm,
            device: engine.device,
            env: &engine.env,
            timeout: engine.timeout,
            guard: self.ctx.guard.as_deref(),
        };
        let samplers = Samplers::start();
        let result = harness.run(&request, staged.staging, staged.interrupt);
        samplers.stop().write(staged.staging)?;
        let summary = super::harness::summarize(&task.run, &result?);
        files::write(
            staged.staging,
            "offline.json",
            files::pretty(&summary).as_bytes(),
        )?;
        Ok(summary)
    }

    fn finished(summary: &OfflineSummary) -> Finished<'_> {
        Finished::Offline(summary)
    }
}

/// The python that runs the harness: the recipe's, else its environment's.
pub fn python_of(recipe: &OfflineRecipe, ctx: &Context) -> PathBuf {
    let engine = &recipe.engine;
    match &engine.python {
        Some(python) => crate::sys::absolute(&ctx.project_root.join(python)),
        None => EnvSpec::new(engine.vllm.clone(), engine.device).python(&ctx.cache),
    }
}

/// Every run of an offline benchmark; returns how many failed.
pub fn run_offline(
    name: &str,
    recipe: &OfflineRecipe,
    tasks: &[OfflineTask],
    ctx: &Context,
    on_event: &mut dyn FnMut(Event),
) -> Result<usize, BenchError> {
    let mut job = OfflineJob { name, recipe, ctx };
    schedule::run(&mut job, tasks, ctx, on_event)
}
