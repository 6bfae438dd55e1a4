//! Running an offline benchmark: per run of its matrix, repro's harness
//! (`python/offline_harness.py`, shipped in the binary) in the vLLM environment's python, given
//! a JSON request and answering in JSON; repro makes the prompts (the same seeded prompts as a
//! serving workload) and the summary. A run is a [`FolderJob`] of `run::folder`, as a serving
//! run is: staged, recorded, renamed into place when complete, kept as `<label>.failed/`.
//!
//! Layout (format 1): `<results>/bench-<name>/<label>/{request.json, result.json, offline.json,
//! harness.log, cpu.json, gpu.json, run.json}`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::metrics::Dist;
use super::runner::{self, BenchError, Context};
use crate::artifacts::key::TaskKey;
use crate::artifacts::replaced::Replaced;
use crate::artifacts::FileRecord;
use crate::env::EnvSpec;
use crate::recipe::offline::{Mode, OfflineRecipe, OfflineRun};
use crate::recipe::Scalar;
use crate::run::child::{ChildSpec, Ending, Stopped};
use crate::run::folder::{
    self, drive_error, DriveError, Driven, FolderJob, FolderState, FolderStatus, FolderTask,
    JobOutcome,
};
use crate::run::Interrupt;

/// Version of the files a run writes.
pub const FORMAT: u32 = 1;

/// The files a complete run has.
pub const REQUIRED: [&str; 2] = ["offline.json", "result.json"];

/// An offline run that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("the environment `{}` has no python: set it up with `repro env setup --vllm {vllm}{}`", env.display(), if *cpu { " --device cpu" } else { "" })]
    NoEnv {
        env: PathBuf,
        vllm: String,
        cpu: bool,
    },
    #[error("cannot write the harness into the cache: {0}")]
    Assets(std::io::Error),
    #[error("cannot start the harness: {0}")]
    Start(#[from] crate::run::child::ChildError),
    #[error("the harness did not finish within {}s; the end of `{}`:\n{tail}", timeout.as_secs(), log.display())]
    TimedOut {
        timeout: Duration,
        log: PathBuf,
        tail: String,
    },
    #[error("the harness failed ({ending}); the end of `{}`:\n{tail}", log.display())]
    Failed {
        ending: String,
        log: PathBuf,
        tail: String,
    },
    #[error("the harness's result `{}` is missing or malformed: {message}", path.display())]
    Result { path: PathBuf, message: String },
}

/// One prompt of a throughput request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptLine {
    pub prompt: String,
    pub output_len: u64,
    pub priority: Option<i64>,
}

/// `request.json`: what the harness is asked.
#[derive(Debug, Clone, Serialize)]
pub struct HarnessRequest {
    pub mode: Mode,
    pub backend: crate::recipe::offline::Backend,
    /// A local path or a hub id.
    pub model: String,
    pub served_name: String,
    pub engine_args: IndexMap<String, Scalar>,
    pub seed: u64,
    pub ignore_eos: bool,
    pub batch_size: Option<u64>,
    pub input_len: Option<u64>,
    pub output_len: Option<u64>,
    pub warmup: u32,
    pub iterations: u32,
    pub requests: Option<Vec<PromptLine>>,
    /// Whether the answers' text comes back (an oracle dataset keeps it).
    pub keep_text: bool,
}

/// One answer of a throughput run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub text: Option<String>,
}

/// `result.json`: what the harness answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarnessResult {
    pub mode: Mode,
    /// What generated, with its version (`vllm 0.10.1.1`, `transformers 4.55.0`).
    #[serde(default)]
    pub backend: Option<String>,
    #[serde(default)]
    pub vllm_version: Option<String>,
    #[serde(default)]
    pub engine_init_s: Option<f64>,
    #[serde(default)]
    pub warmup_s: Vec<f64>,
    #[serde(default)]
    pub latencies_s: Vec<f64>,
    #[serde(default)]
    pub elapsed_s: Option<f64>,
    #[serde(default)]
    pub requests: Vec<Answer>,
}

/// Latency mode's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub batch_size: u64,
    pub input_len: u64,
    pub output_len: u64,
    pub warmup: u32,
    pub iterations: u32,
    /// One generation of the whole batch, seconds.
    pub latency_s: Dist,
    /// `benchmark_latency.py`'s percentiles (10, 25, 50, 75, 90, 99).
    pub percentiles_s: IndexMap<String, f64>,
    pub warmup_s: Vec<f64>,
    /// batch_size × output_len / mean latency.
    pub output_tokens_per_s: f64,
}

/// Throughput mode's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThroughputSummary {
    pub requests: usize,
    pub elapsed_s: f64,
    pub requests_per_s: f64,
    pub input_tokens_per_s: f64,
    pub output_tokens_per_s: f64,
    pub total_tokens_per_s: f64,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
}

/// `offline.json`: a run's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineSummary {
    pub format: u32,
    pub mode: Mode,
    pub backend: Option<String>,
    pub vllm_version: Option<String>,
    /// `vllm.LLM(...)`'s construction, seconds (the harness's clock).
    pub engine_init_s: Option<f64>,
    pub latency: Option<LatencySummary>,
    pub throughput: Option<ThroughputSummary>,
    pub definitions: IndexMap<String, String>,
}

/// The summary of a harness's result: pure arithmetic.
pub fn summarize(run: &OfflineRun, result: &HarnessResult) -> OfflineSummary {
    let o = &run.offline;
    let latency = (result.mode == Mode::Latency).then(|| {
        let mut sorted = result.latencies_s.clone();
        sorted.sort_by(f64::total_cmp);
        let percentiles_s = [10, 25, 50, 75, 90, 99]
            .iter()
            .filter_map(|p| {
                super::metrics::percentile_sorted(&sorted, *p as f64).map(|v| (p.to_string(), v))
            })
            .collect();
        let dist = Dist::of(result.latencies_s.clone());
        let tokens = (o.batch_size.unwrap_or(0) * o.output_len.unwrap_or(0)) as f64;
        LatencySummary {
            batch_size: o.batch_size.unwrap_or(0),
            input_len: o.input_len.unwrap_or(0),
            output_len: o.output_len.unwrap_or(0),
            warmup: o.warmup,
            iterations: o.iterations,
            output_tokens_per_s: dist.mean.filter(|m| *m > 0.0).map_or(0.0, |m| tokens / m),
            latency_s: dist,
            percentiles_s,
            warmup_s: result.warmup_s.clone(),
        }
    });
    let throughput = (result.mode == Mode::Throughput).then(|| {
        let elapsed = result.elapsed_s.unwrap_or(0.0);
        let per_s = |x: f64| if elapsed > 0.0 { x / elapsed } else { 0.0 };
        let prompt: u64 = result.requests.iter().map(|a| a.prompt_tokens).sum();
        let output: u64 = result.requests.iter().map(|a| a.output_tokens).sum();
        ThroughputSummary {
            requests: result.requests.len(),
            elapsed_s: elapsed,
            requests_per_s: per_s(result.requests.len() as f64),
            input_tokens_per_s: per_s(prompt as f64),
            output_tokens_per_s: per_s(output as f64),
            total_tokens_per_s: per_s((prompt + output) as f64),
            prompt_tokens: prompt,
            output_tokens: output,
        }
    });
    let definitions: IndexMap<String, String> = [
        ("latency_s", "one LLM.generate of the whole batch (random token ids of input_len, max_tokens = output_len), seconds, after `warmup` untimed ones"),
        ("percentiles", "linear interpolation between nearest ranks (numpy default)"),
        ("elapsed_s", "one LLM.generate of every request, from the call to its return, seconds"),
        ("throughput", "requests, prompt tokens, output tokens (each as the engine counted them) / elapsed_s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    OfflineSummary {
        format: FORMAT,
        mode: result.mode,
        backend: result.backend.clone(),
        vllm_version: result.vllm_version.clone(),
        engine_init_s: result.engine_init_s,
        latency,
        throughput,
        definitions,
    }
}

/// Where and how the harness runs.
pub struct Harness<'a> {
    pub python: PathBuf,
    pub cache: &'a Path,
    pub vllm: &'a str,
    pub device: crate::config::machines::Device,
    pub env: &'a IndexMap<String, String>,
    pub timeout: Duration,
    pub guard: Option<&'a Path>,
}

impl Harness<'_> {
    /// Run the harness on `request` in `dir` (its `request.json`, `result.json`, `harness.log`).
    pub fn run(
        &self,
        request: &HarnessRequest,
        dir: &Path,
        interrupt: &Interrupt,
    ) -> Result<Result<HarnessResult, OfflineError>, BenchError> {
        // Absolute: the harness is a child process, which may change its folder.
        let request_path = crate::sys::absolute(&dir.join("request.json"));
        let result_path = crate::sys::absolute(&dir.join("result.json"));
        runner::write(dir, "request.json", runner::pretty(request).as_bytes())?;
        let files = crate::assets::install(self.cache, &[crate::assets::OFFLINE_HARNESS])
            .map_err(OfflineError::Assets);
        let files = match files {
            Ok(f) => f,
            Err(e) => return Ok(Err(e)),
        };
        let script = vec![
            files
                .join(crate::assets::OFFLINE_HARNESS.0)
                .into_os_string(),
            request_path.into_os_string(),
            result_path.clone().into_os_string(),
        ];
        let grace = Duration::from_secs(10);
        let (program, args) = match self.guard {
            Some(exe) => crate::run::guard::command_line(exe, grace, self.python.clone(), script),
            None => (self.python.clone().into_os_string(), script),
        };
        // One value per variable: the recipe's over repro's defaults for the engine.
        let mut env: IndexMap<String, String> =
            crate::env::harness::engine_env(self.cache, self.vllm, self.device, 4)
                .into_iter()
                .collect();
        env.extend(self.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let env: Vec<(String, String)> = env.into_iter().collect();
        let spec = ChildSpec {
            program,
            args,
            env,
            timeout: self.timeout,
            grace,
            stderr: None,
            death_signal: match self.guard {
                Some(_) => libc::SIGTERM,
                None => libc::SIGKILL,
            },
        };
        let log_path = dir.join("harness.log");
        let log = std::fs::File::create(&log_path).map_err(drive_error(&log_path))?;
        let outcome = match crate::run::child::run(&spec, log, &mut |_| {}, interrupt) {
            Ok(o) => o,
            Err(e) => return Ok(Err(e.into())),
        };
        let tail = || crate::artifacts::tail_lines(&log_path, 20).join("\n");
        match outcome.stopped {
            Stopped::Interrupted => return Err(BenchError::Interrupted),
            Stopped::TimedOut => {
                return Ok(Err(OfflineError::TimedOut {
                    timeout: self.timeout,
                    log: log_path.clone(),
                    tail: tail(),
                }))
            }
            Stopped::No => {}
        }
        if outcome.ending != Ending::Exited(0) {
            return Ok(Err(OfflineError::Failed {
                ending: match outcome.ending {
                    Ending::Exited(c) => format!("exit status {c}"),
                    Ending::Signaled(s) => format!("signal {s}"),
                },
                log: log_path.clone(),
                tail: tail(),
            }));
        }
        let parsed = std::fs::read(&result_path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<HarnessResult>(&b).map_err(|e| e.to_string()));
        Ok(match parsed {
            Ok(r) if r.mode != request.mode => Err(OfflineError::Result {
                path: result_path,
                message: format!(
                    "it answers {} mode, {} was asked",
                    r.mode.name(),
                    request.mode.name()
                ),
            }),
            Ok(r) => Ok(r),
            Err(message) => Err(OfflineError::Result {
                path: result_path,
                message,
            }),
        })
    }
}

/// One run of an offline benchmark.
#[derive(Debug, Clone)]
pub struct OfflineTask {
    pub run: OfflineRun,
    pub folder: FolderTask,
}

#[derive(Serialize)]
struct Key<'a> {
    format: u32,
    engine: &'a crate::recipe::offline::EngineSpec,
    run: &'a OfflineRun,
}

/// Every run of offline benchmark `name`, with its folder under `results`.
pub fn plan(name: &str, recipe: &OfflineRecipe, results: &Path) -> Vec<OfflineTask> {
    let dir = runner::bench_dir(results, name);
    recipe
        .runs()
        .into_iter()
        .map(|run| OfflineTask {
            folder: FolderTask {
                label: run.label.clone(),
                key: TaskKey::of(
                    &Key {
                        format: FORMAT,
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

/// Whether a planned run is done, and if not why.
pub fn state(task: &OfflineTask) -> FolderState {
    folder::state(&task.folder, &REQUIRED)
}

/// The harness's request for a run: its prompts made from the recipe (throughput mode).
pub fn request(
    recipe: &OfflineRecipe,
    run: &OfflineRun,
    ctx: &Context,
) -> Result<HarnessRequest, super::workload::WorkloadError> {
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
            let made = super::workload::requests(&w, &ctx.project_root)?;
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
        model: runner::model_path(ctx, &run.model),
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
struct OfflineManifest {
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
    repro_version: &'static str,
    files: Option<Vec<FileRecord>>,
}

struct OfflineJob<'a> {
    name: &'a str,
    recipe: &'a OfflineRecipe,
    task: &'a OfflineTask,
    ctx: &'a Context,
    summary: Option<OfflineSummary>,
}

impl FolderJob for OfflineJob<'_> {
    type Manifest = OfflineManifest;
    type Error = BenchError;

    fn run(
        &mut self,
        staging: &Path,
        interrupt: &Interrupt,
    ) -> Result<JobOutcome<OfflineManifest, BenchError>, DriveError> {
        let wall = Instant::now();
        let engine = &self.recipe.engine;
        let spec = EnvSpec::new(engine.vllm.clone(), engine.device);
        let mut manifest = OfflineManifest {
            format: FORMAT,
            benchmark: self.name.to_string(),
            label: self.task.folder.label.clone(),
            key: self.task.folder.key.clone(),
            status: FolderStatus::Complete,
            error: None,
            params: self.task.run.params.clone(),
            model: self.task.run.model.clone(),
            mode: self.task.run.offline.mode,
            engine_args: self.task.run.engine_args.clone(),
            python: python_of(self.recipe, self.ctx),
            env: engine.env.clone(),
            started_unix_s: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            wall_s: 0.0,
            host: crate::sys::hostname(),
            repro_version: env!("CARGO_PKG_VERSION"),
            files: None,
        };
        let outcome = self.harness(staging, interrupt, &spec);
        manifest.wall_s = wall.elapsed().as_secs_f64();
        Ok(match outcome {
            Ok(summary) => {
                self.summary = Some(summary);
                JobOutcome::Complete(manifest)
            }
            Err(BenchError::Interrupted) => JobOutcome::Interrupted,
            Err(BenchError::Drive(e)) => return Err(e),
            Err(error) => {
                manifest.status = FolderStatus::Failed;
                manifest.error = Some(error.to_string());
                JobOutcome::Failed(manifest, error)
            }
        })
    }

    fn record_files(manifest: &mut OfflineManifest, files: Vec<FileRecord>) {
        manifest.files = Some(files);
    }
}

impl OfflineJob<'_> {
    fn harness(
        &mut self,
        staging: &Path,
        interrupt: &Interrupt,
        spec: &EnvSpec,
    ) -> Result<OfflineSummary, BenchError> {
        let engine = &self.recipe.engine;
        let python = python_of(self.recipe, self.ctx);
        if engine.python.is_none() && !python.is_file() {
            return Err(OfflineError::NoEnv {
                env: spec.dir(&self.ctx.cache),
                vllm: engine.vllm.clone(),
                cpu: engine.device == crate::config::machines::Device::Cpu,
            }
            .into());
        }
        let request = request(self.recipe, &self.task.run, self.ctx)?;
        let harness = Harness {
            python,
            cache: &self.ctx.cache,
            vllm: &engine.vllm,
            device: engine.device,
            env: &engine.env,
            timeout: engine.timeout,
            guard: self.ctx.guard.as_deref(),
        };
        let cpu = crate::samplers::cpu::CpuSampler::start(crate::samplers::INTERVAL);
        let gpu = crate::samplers::gpu::GpuSampler::start(crate::samplers::INTERVAL);
        let result = harness.run(&request, staging, interrupt);
        let samples = (runner::cpu_samples(cpu), runner::gpu_samples(gpu));
        for (name, samples) in [("cpu.json", &samples.0), ("gpu.json", &samples.1)] {
            let text = serde_json::to_string(samples).expect("samples serialise") + "\n";
            runner::write(staging, name, text.as_bytes())?;
        }
        let result = result??;
        let summary = summarize(&self.task.run, &result);
        runner::write(staging, "offline.json", runner::pretty(&summary).as_bytes())?;
        Ok(summary)
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

/// What happened to one offline run, for the CLI to show.
pub enum OfflineEvent<'a> {
    Skipped {
        label: &'a str,
    },
    Starting {
        label: &'a str,
    },
    Finished {
        label: &'a str,
        summary: &'a OfflineSummary,
        dir: &'a Path,
    },
    Failed {
        label: &'a str,
        error: &'a BenchError,
        kept: Option<&'a Path>,
    },
}

/// Every run of an offline benchmark; returns how many failed.
pub fn run_offline(
    name: &str,
    recipe: &OfflineRecipe,
    tasks: &[OfflineTask],
    ctx: &Context,
    on_event: &mut dyn FnMut(OfflineEvent),
) -> Result<usize, BenchError> {
    let mut replaced = Replaced::new(&ctx.results);
    let mut failed = 0;
    for task in tasks {
        if ctx.interrupt.count() > 0 {
            return Err(BenchError::Interrupted);
        }
        let label = &task.folder.label;
        if !ctx.force && state(task) == FolderState::Done {
            on_event(OfflineEvent::Skipped { label });
            continue;
        }
        on_event(OfflineEvent::Starting { label });
        let mut job = OfflineJob {
            name,
            recipe,
            task,
            ctx,
            summary: None,
        };
        match folder::drive(&mut job, &task.folder, &mut replaced, &ctx.interrupt)? {
            Driven::Complete => {
                let summary = job.summary.take().expect("a complete run has a summary");
                on_event(OfflineEvent::Finished {
                    label,
                    summary: &summary,
                    dir: &task.folder.dir,
                });
            }
            Driven::Interrupted => return Err(BenchError::Interrupted),
            Driven::Failed(error) => {
                failed += 1;
                let kept = task.folder.failed_dir();
                on_event(OfflineEvent::Failed {
                    label,
                    error: &error,
                    kept: kept.is_dir().then_some(kept.as_path()),
                });
            }
        }
    }
    Ok(failed)
}
