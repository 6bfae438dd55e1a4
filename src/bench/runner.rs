//! Running a benchmark: per run of its matrix, start the server, wait until it is healthy,
//! drive the load, stop the server, and write the results. A run is a [`FolderJob`] of the
//! runner's folder driver (`run::folder`): staged in a temporary folder, recorded in `run.json`
//! with the hash of every file, renamed into place only when complete, kept as `<label>.failed/`
//! when not; a finished run (its key matches and its files are the recorded ones) is skipped.
//! Its server is a background child of the runner's (`run::child::Background`).
//!
//! Layout (format 1): `<results>/bench-<name>/<label>/{records.jsonl, summary.json, server.log,
//! run.json, cdf.json, cpu.json, gpu.json}`; `curves.json` / `curves.csv` beside the runs hold
//! the latency–throughput points of the runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use indexmap::IndexMap;
use serde::Serialize;

use super::client::Target;
use super::curves;
use super::load::{self, Plan};
use super::loadcheck;
use super::metrics::{self, Offered, Summary};
use super::record::RequestRecord;
use super::server::{self, ServerError};
use super::startup;
use super::workload::{self, WorkloadError};
use crate::artifacts::key::TaskKey;
use crate::artifacts::replaced::Replaced;
use crate::artifacts::FileRecord;
use crate::env::EnvSpec;
use crate::plan::bench::BenchTask;
use crate::recipe::bench::{Arrival, BenchRecipe, BenchRun, ServerKind};
use crate::recipe::matrix::{CacheState, CACHE_PARAM};
use crate::run::child::{Background, BackgroundSpec, Ended};
use crate::run::folder::{
    self, drive_error, DriveError, Driven, FolderJob, FolderState, FolderStatus, JobOutcome,
};
use crate::run::Interrupt;

/// Version of the files a run writes.
pub const FORMAT: u32 = 1;

/// The files a complete run has.
pub const REQUIRED: [&str; 2] = ["summary.json", "records.jsonl"];

/// Where a benchmark runs and what it may reuse.
#[derive(Debug, Clone)]
pub struct Context {
    /// Relative paths in recipes (prompt files, traces) are taken from here.
    pub project_root: PathBuf,
    /// Holds `envs/` (and, from older setups, `models/`).
    pub cache: PathBuf,
    /// Where models of models.toml live (`<models_dir>/<name>`), as for figures.
    pub models_dir: PathBuf,
    pub results: PathBuf,
    pub force: bool,
    /// Ctrl-C: stop sending, stop the server, keep nothing of the current run.
    pub interrupt: Interrupt,
    /// The repro executable, to run servers under `repro __server-guard` (see `run::guard`).
    pub guard: Option<PathBuf>,
    /// Keep the open loop's sender busy this long before each send (a starved client, for
    /// testing the load generator's self-check); zero normally.
    pub client_slowdown: Duration,
}

/// What happened to one run, for the CLI to show.
#[derive(Debug)]
pub enum Event<'a> {
    Skipped {
        label: &'a str,
    },
    Starting {
        label: &'a str,
        command: Option<&'a [String]>,
    },
    Healthy {
        label: &'a str,
        after: Duration,
        path: &'a str,
    },
    Loading {
        label: &'a str,
        requests: u64,
    },
    Finished {
        label: &'a str,
        summary: &'a Summary,
        dir: &'a Path,
    },
    Failed {
        label: &'a str,
        error: &'a BenchError,
        kept: Option<&'a Path>,
    },
}

/// A run that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("the environment `{}` has no python: set it up with `repro env setup --vllm {vllm}{}`", env.display(), if *cpu { " --device cpu" } else { "" })]
    NoEnv {
        env: PathBuf,
        vllm: String,
        cpu: bool,
    },
    #[error("the API key variable `{0}` named by `server.api_key_env` is not set")]
    NoApiKey(String),
    #[error("the server died during the run ({status}); {failed} of {requests} requests did not succeed; the end of `{}`:\n{tail}", log.display())]
    ServerDied {
        status: String,
        failed: usize,
        requests: usize,
        log: PathBuf,
        tail: String,
    },
    #[error(transparent)]
    Drive(#[from] DriveError),
    #[error("cannot start the async runtime or HTTP client: {0}")]
    Runtime(String),
    #[error("`capacity.prefill` names `{name}`, whose prefill profile `{}` is not there: run `repro bench {name}` first", path.display())]
    NoPrefillProfile { name: String, path: PathBuf },
    #[error("interrupted")]
    Interrupted,
    /// One tenant of a tenants run (`bench::tenants`).
    #[error("tenant `{tenant}`: {source}")]
    Tenant {
        tenant: String,
        source: Box<BenchError>,
    },
    #[error(transparent)]
    Mps(#[from] super::mps::MpsError),
    #[error(transparent)]
    Offline(#[from] super::offline::OfflineError),
}

/// The folder of a benchmark's results.
pub fn bench_dir(results: &Path, name: &str) -> PathBuf {
    results.join(format!("bench-{name}"))
}

/// Whether a planned run is done, and if not why.
pub fn state(task: &BenchTask) -> FolderState {
    folder::state(&task.folder, &REQUIRED)
}

/// What serves a run: the command to start (if any), its environment and the model path.
#[derive(Debug, Clone, Serialize)]
pub struct Launch {
    /// `None` for a `url` server.
    pub argv: Option<Vec<String>>,
    pub env: IndexMap<String, String>,
    pub base_url: String,
}

/// The environment variables that place a server's compile caches, and their folders.
const CACHE_VARS: [(&str, &str); 2] = [
    ("VLLM_CACHE_ROOT", "vllm"),
    ("TORCHINDUCTOR_CACHE_DIR", "inductor"),
];

/// In a warm run's caches: a server started with them and became healthy.
const WARMED: &str = ".repro-warmed";

/// A run's compile caches, where the matrix sweeps `cache`.
pub enum Caches {
    /// A cold run's own: a fresh, empty folder, removed when dropped (however the run ends).
    Cold(tempfile::TempDir),
    /// A warm run's, shared by every run of the same server configuration (the same benchmark,
    /// server and params but `cache`).
    Warm(PathBuf),
}

impl Caches {
    pub fn dir(&self) -> &Path {
        match self {
            Caches::Cold(dir) => dir.path(),
            Caches::Warm(dir) => dir,
        }
    }
}

/// The compile caches of a run of benchmark `name` (none where the matrix does not sweep
/// `cache`), under `<cache>/compile-caches/`.
pub fn compile_caches(
    ctx: &Context,
    name: &str,
    recipe: &BenchRecipe,
    run: &BenchRun,
) -> std::io::Result<Option<Caches>> {
    let base = ctx.cache.join("compile-caches");
    Ok(Some(match run.cache {
        None => return Ok(None),
        Some(CacheState::Cold) => {
            std::fs::create_dir_all(&base)?;
            Caches::Cold(
                tempfile::Builder::new()
                    .prefix(&format!("bench-cold-{name}-{}-", run.label))
                    .tempdir_in(&base)?,
            )
        }
        Some(CacheState::Warm) => {
            let params: Vec<_> = run
                .params
                .iter()
                .filter(|(k, _)| *k != CACHE_PARAM)
                .collect();
            let config =
                serde_json::to_string(&(name, &recipe.server, params)).expect("plain data");
            Caches::Warm(base.join(format!(
                "bench-warm-{}",
                &blake3::hash(config.as_bytes()).to_hex()[..16]
            )))
        }
    }))
}

/// How a run's server is started (`port` fills `{port}`; the dry run shows `{port}`).
pub fn launch(
    recipe: &BenchRecipe,
    run: &BenchRun,
    ctx: &Context,
    port: Option<u16>,
) -> Result<Launch, BenchError> {
    let s = &recipe.server;
    let port_text = port.map_or("{port}".to_string(), |p| p.to_string());
    // `{repro}`: this repro executable (a shipped recipe's mock servers).
    let repro = ctx.guard.as_ref().map(|p| p.display().to_string());
    let fill = |text: &str| {
        let text = text.replace("{port}", &port_text);
        match &repro {
            Some(exe) => text.replace("{repro}", exe),
            None => text,
        }
    };
    match s.kind {
        ServerKind::Url => Ok(Launch {
            argv: None,
            env: IndexMap::new(),
            base_url: s
                .url
                .clone()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
        }),
        ServerKind::Command => {
            let mut argv: Vec<String> = s.command.iter().map(|a| fill(a)).collect();
            argv.extend(run.server_args.iter().cloned());
            Ok(Launch {
                argv: Some(argv),
                env: s.env.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
                base_url: format!("http://127.0.0.1:{port_text}"),
            })
        }
        ServerKind::Vllm => {
            let spec = EnvSpec::new(s.vllm.clone().unwrap_or_default(), s.device);
            let python = spec.python(&ctx.cache);
            let model_path = model_path(ctx, &run.model);
            let mut argv = vec![
                python.display().to_string(),
                "-m".into(),
                "vllm.entrypoints.openai.api_server".into(),
                "--model".into(),
                model_path,
                "--served-model-name".into(),
                run.model.clone(),
                "--host".into(),
                "127.0.0.1".into(),
                "--port".into(),
                port_text.clone(),
            ];
            argv.extend(s.args.iter().map(|a| fill(a)));
            argv.extend(run.server_args.iter().cloned());
            Ok(Launch {
                argv: Some(argv),
                env: s.env.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
                base_url: format!("http://127.0.0.1:{port_text}"),
            })
        }
    }
}

/// Where vLLM finds `model`: the models folder (where `repro bench` prepares models.toml's
/// models), a folder of an older setup, a path; else a hub id, which vLLM downloads itself.
/// A folder is named absolute: the server may work in a folder of its own.
pub fn model_path(ctx: &Context, model: &str) -> String {
    let models = ctx.models_dir.join(model);
    let legacy = ctx.cache.join("models").join(model);
    let in_project = ctx.project_root.join(model);
    let found = [models, legacy, in_project]
        .into_iter()
        .find(|d| d.is_dir());
    if let Some(dir) = found {
        crate::sys::absolute(&dir).display().to_string()
    } else {
        model.to_string()
    }
}

/// `run.json`: how a run went.
#[derive(Debug, Serialize)]
struct RunManifest {
    format: u32,
    benchmark: String,
    label: String,
    key: TaskKey,
    /// `complete`, or why not.
    status: FolderStatus,
    error: Option<String>,
    params: IndexMap<String, crate::recipe::Scalar>,
    model: String,
    server_kind: ServerKind,
    /// The command that started the server (no secrets: the API key is never in it).
    command: Option<Vec<String>>,
    /// Environment added to the server's (the recipe's `server.env`).
    env: IndexMap<String, String>,
    base_url: String,
    health_path: Option<&'static str>,
    healthy_after_s: Option<f64>,
    server_stop: Option<Ended>,
    started_unix_s: f64,
    wall_s: f64,
    requests: u64,
    host: String,
    repro_version: &'static str,
    /// Every file of the run's folder, with its hash.
    files: Option<Vec<FileRecord>>,
}

/// One run of a benchmark, as the folder driver runs it.
struct BenchJob<'a> {
    name: &'a str,
    recipe: &'a BenchRecipe,
    run: &'a BenchRun,
    key: &'a TaskKey,
    ctx: &'a Context,
    rt: &'a tokio::runtime::Runtime,
    client: &'a reqwest::Client,
    on_event: &'a mut dyn FnMut(Event),
    /// The summary of a complete run, for the event after it is in place.
    summary: Option<Summary>,
}

impl FolderJob for BenchJob<'_> {
    type Manifest = RunManifest;
    type Error = BenchError;

    fn run(
        &mut self,
        staging: &Path,
        interrupt: &Interrupt,
    ) -> Result<JobOutcome<RunManifest, BenchError>, DriveError> {
        let wall = Instant::now();
        let mut manifest = self.manifest();
        let outcome = self.serve_and_load(staging, interrupt, &mut manifest);
        manifest.wall_s = wall.elapsed().as_secs_f64();
        Ok(match outcome {
            Ok(summary) => {
                self.summary = Some(summary);
                JobOutcome::Complete(manifest)
            }
            Err(BenchError::Interrupted) => JobOutcome::Interrupted,
            Err(BenchError::Drive(e)) => return Err(e),
            Err(error) => {
                manifest.status = match &error {
                    BenchError::Server(_) => FolderStatus::NotHealthy,
                    BenchError::ServerDied { .. } => FolderStatus::ServerDied,
                    _ => FolderStatus::Failed,
                };
                manifest.error = Some(error.to_string());
                JobOutcome::Failed(manifest, error)
            }
        })
    }

    fn record_files(manifest: &mut RunManifest, files: Vec<FileRecord>) {
        manifest.files = Some(files);
    }
}

impl BenchJob<'_> {
    fn manifest(&self) -> RunManifest {
        RunManifest {
            format: FORMAT,
            benchmark: self.name.to_string(),
            label: self.run.label.clone(),
            key: self.key.clone(),
            status: FolderStatus::Complete,
            error: None,
            params: self.run.params.clone(),
            model: self.run.model.clone(),
            server_kind: self.recipe.server.kind,
            command: None,
            env: IndexMap::new(),
            base_url: String::new(),
            health_path: None,
            healthy_after_s: None,
            server_stop: None,
            started_unix_s: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            wall_s: 0.0,
            requests: self.run.workload.requests,
            host: crate::sys::hostname(),
            repro_version: env!("CARGO_PKG_VERSION"),
            files: None,
        }
    }

    /// Start the server (unless it is a URL's), wait until it is healthy, drive the load, stop
    /// the server, write the results into `staging`.
    fn serve_and_load(
        &mut self,
        staging: &Path,
        interrupt: &Interrupt,
        manifest: &mut RunManifest,
    ) -> Result<Summary, BenchError> {
        let (recipe, run, ctx) = (self.recipe, self.run, self.ctx);
        let w = &run.workload;
        let requests = workload::requests(w, &ctx.project_root)?;
        let times = workload::schedule(w, &ctx.project_root)?;
        let api_key = match &recipe.server.api_key_env {
            Some(var) => Some(std::env::var(var).map_err(|_| BenchError::NoApiKey(var.clone()))?),
            None => None,
        };
        let port = match recipe.server.kind {
            ServerKind::Url => None,
            _ => Some(server::free_port().map_err(drive_error(staging))?),
        };
        let mut launch = launch(recipe, run, ctx, port)?;
        let caches = compile_caches(ctx, self.name, recipe, run)
            .map_err(drive_error(&ctx.cache.join("compile-caches")))?;
        if let Some(caches) = &caches {
            let dir = caches.dir();
            for (var, sub) in CACHE_VARS {
                launch
                    .env
                    .insert(var.into(), dir.join(sub).display().to_string());
            }
            if matches!(caches, Caches::Warm(_)) && !dir.join(WARMED).is_file() {
                self.warm_up(&launch, staging, api_key.as_deref(), interrupt)?;
                write(
                    dir,
                    WARMED,
                    b"a server started with these caches and became healthy\n",
                )?;
            }
        }
        manifest.command = launch.argv.clone();
        manifest.env = launch.env.clone();
        manifest.base_url = launch.base_url.clone();
        (self.on_event)(Event::Starting {
            label: &run.label,
            command: launch.argv.as_deref(),
        });
        let log = staging.join("server.log");
        let spawned = Instant::now();
        let mut server = self.start_server(&launch, &log)?;
        let health_started = Instant::now();
        let healthy = self.rt.block_on(server::wait_healthy(
            self.client,
            &launch.base_url,
            api_key.as_deref(),
            recipe.server.health_timeout,
            server.as_mut(),
            interrupt,
        ));
        let health_path = match healthy {
            Ok(path) => path,
            Err(error) => {
                manifest.server_stop = server.as_mut().map(Background::stop);
                return Err(match error {
                    ServerError::Interrupted => BenchError::Interrupted,
                    error => BenchError::Server(error),
                });
            }
        };
        let healthy_after = server.is_some().then(|| spawned.elapsed());
        manifest.health_path = Some(health_path);
        manifest.healthy_after_s = Some(health_started.elapsed().as_secs_f64());
        (self.on_event)(Event::Healthy {
            label: &run.label,
            after: health_started.elapsed(),
            path: health_path,
        });
        (self.on_event)(Event::Loading {
            label: &run.label,
            requests: w.requests,
        });
        let target = Target {
            base_url: launch.base_url.clone(),
            endpoint: w.endpoint,
            model: run.model.clone(),
            ignore_eos: w.ignore_eos,
            api_key: api_key.map(super::client::ApiKey),
            timeout: w.request_timeout,
            send_priority: super::client::schedules_by_priority(launch.argv.as_deref()),
        };
        let (plan, offered) = load_plan(w, times.as_deref());
        let cpu_sampler = crate::samplers::cpu::CpuSampler::start(crate::samplers::INTERVAL);
        let gpu_sampler = crate::samplers::gpu::GpuSampler::start(crate::samplers::INTERVAL);
        let measured = startup::Measured {
            healthy_after,
            load_started_after: server.is_some().then(|| spawned.elapsed()),
        };
        let (cpu_before, load_started) = (loadcheck::ClientUse::process_cpu_s(), Instant::now());
        let records = load::run_with(
            self.rt,
            self.client,
            &target,
            requests,
            &plan,
            w.max_duration,
            interrupt,
            &load::Limits {
                slowdown: ctx.client_slowdown,
                max_in_flight: recipe.capacity.as_ref().and_then(|c| c.max_in_flight),
            },
        );
        let usage = loadcheck::ClientUse {
            cpu_s: loadcheck::ClientUse::process_cpu_s() - cpu_before,
            wall_s: load_started.elapsed().as_secs_f64(),
            cores: client_cores(),
            sockets: loadcheck::ClientUse::open_sockets(),
        };
        let samples = (cpu_samples(cpu_sampler), gpu_samples(gpu_sampler));
        let died = server.as_mut().and_then(|s| s.exited());
        manifest.server_stop = server.as_mut().map(Background::stop);
        if interrupt.count() > 0 {
            return Err(BenchError::Interrupted);
        }
        let mut summary = metrics::summarize(&records, metrics::Slo::of(&recipe.slo), offered);
        summary.client = Some(loadcheck::check(&records, &summary, Some(usage)));
        // The server has stopped: its log is whole.
        summary.startup = Some(startup::startup(
            measured,
            Some(health_path),
            &records,
            launch.argv.is_some().then_some(log.as_path()),
        ));
        write_results(staging, &records, &summary, &samples)?;
        if let Some(status) = died {
            return Err(BenchError::ServerDied {
                status,
                failed: records.len() - summary.outcomes["ok"],
                requests: records.len(),
                log: self
                    .ctx
                    .results
                    .join(format!("bench-{}", self.name))
                    .join(format!("{}.failed", run.label))
                    .join("server.log"),
                tail: server::tail(&log, 15),
            });
        }
        Ok(summary)
    }

    /// Start the server once and stop it when healthy, so that its compile caches are filled
    /// before the run that is measured (its log: `warmup-server.log`).
    fn warm_up(
        &mut self,
        launch: &Launch,
        staging: &Path,
        api_key: Option<&str>,
        interrupt: &Interrupt,
    ) -> Result<(), BenchError> {
        let label = format!(
            "{} (warm-up start, filling the compile caches)",
            self.run.label
        );
        (self.on_event)(Event::Starting {
            label: &label,
            command: launch.argv.as_deref(),
        });
        let mut server = self.start_server(launch, &staging.join("warmup-server.log"))?;
        let healthy = self.rt.block_on(server::wait_healthy(
            self.client,
            &launch.base_url,
            api_key,
            self.recipe.server.health_timeout,
            server.as_mut(),
            interrupt,
        ));
        if let Some(server) = server.as_mut() {
            server.stop();
        }
        match healthy {
            Ok(_) => Ok(()),
            Err(ServerError::Interrupted) => Err(BenchError::Interrupted),
            Err(error) => Err(BenchError::Server(error)),
        }
    }

    /// The server as a background child, or `None` for a server by URL.
    fn start_server(&self, launch: &Launch, log: &Path) -> Result<Option<Background>, BenchError> {
        let Some(argv) = &launch.argv else {
            return Ok(None);
        };
        let server = &self.recipe.server;
        if server.kind == ServerKind::Vllm && !Path::new(&argv[0]).is_file() {
            let vllm = server.vllm.clone().unwrap_or_default();
            return Err(BenchError::NoEnv {
                env: EnvSpec::new(vllm.clone(), server.device).dir(&self.ctx.cache),
                vllm,
                cpu: server.device == crate::config::machines::Device::Cpu,
            });
        }
        let spec = BackgroundSpec {
            program: &argv[0],
            args: &argv[1..],
            env: &launch.env,
            log,
            grace: server.stop_grace,
            guard: self.ctx.guard.as_deref(),
        };
        Ok(Some(Background::spawn(&spec).map_err(ServerError::from)?))
    }
}

/// Cores the load generator can use: its runtime's workers and the sending thread, at most the
/// machine's.
fn client_cores() -> f64 {
    let machine = std::thread::available_parallelism().map_or(1, |n| n.get());
    machine.min(RUNTIME_WORKERS + 1) as f64
}

/// Worker threads of the load generator's async runtime.
const RUNTIME_WORKERS: usize = 2;

/// A results file that cannot be written or read back, as a run's error.
pub fn drive_error_of(path: &Path, e: std::io::Error) -> BenchError {
    BenchError::Drive(drive_error(path)(e))
}

/// How the load is offered: open loop at the schedule's times, or closed at a concurrency.
pub(crate) fn load_plan(
    w: &crate::recipe::bench::WorkloadSpec,
    times: Option<&[f64]>,
) -> (Plan, Offered) {
    match times {
        Some(times) => (
            Plan::Open(times.to_vec()),
            Offered {
                target_rate: match w.arrival {
                    Arrival::Trace => {
                        let span = times.last().copied().unwrap_or(0.0);
                        (span > 0.0).then(|| (times.len() - 1) as f64 / span)
                    }
                    _ => w.rate,
                },
                concurrency: None,
            },
        ),
        None => (
            Plan::Closed {
                concurrency: w.concurrency.unwrap_or(1),
            },
            Offered {
                target_rate: None,
                concurrency: w.concurrency,
            },
        ),
    }
}

/// Per-core busy %, 10 Hz, during the load (figure 12's sampler); unavailable is a value.
pub(crate) fn cpu_samples(
    sampler: Result<crate::samplers::cpu::CpuSampler, impl std::fmt::Display>,
) -> serde_json::Value {
    match sampler {
        Ok(sampler) => {
            let samples = sampler.stop();
            serde_json::json!({
                "source": "/proc/stat",
                "interval_s": crate::samplers::INTERVAL.as_secs_f64(),
                "per_core_percent": samples.samples,
                "sampler_cpu_s": samples.thread_cpu.as_secs_f64(),
            })
        }
        Err(unavailable) => {
            serde_json::json!({"source": "/proc/stat", "unavailable": unavailable.to_string()})
        }
    }
}

/// GPU memory and utilisation during the load (NVML); without a driver, the reason.
pub(crate) fn gpu_samples(
    sampler: Result<crate::samplers::gpu::GpuSampler, String>,
) -> serde_json::Value {
    gpu_json(&sampler.map(|s| s.stop()))
}

/// `gpu.json`: the samples, or why there are none.
pub(crate) fn gpu_json(
    samples: &Result<Vec<crate::samplers::gpu::GpuSample>, String>,
) -> serde_json::Value {
    match samples {
        Ok(samples) => serde_json::json!({
            "source": "nvml",
            "interval_s": crate::samplers::INTERVAL.as_secs_f64(),
            "samples": samples,
        }),
        Err(unavailable) => serde_json::json!({"source": "nvml", "unavailable": unavailable}),
    }
}

/// The run's files: records, summary, CDFs, samples.
fn write_results(
    dir: &Path,
    records: &[RequestRecord],
    summary: &Summary,
    (cpu, gpu): &(serde_json::Value, serde_json::Value),
) -> Result<(), BenchError> {
    let mut lines = Vec::new();
    for r in records {
        serde_json::to_writer(&mut lines, r).expect("a record serialises");
        lines.write_all(b"\n").expect("writing to memory");
    }
    write(dir, "records.jsonl", &lines)?;
    write(dir, "summary.json", pretty(summary).as_bytes())?;
    let classes = metrics::by_priority(records, summary.slo);
    if !classes.is_empty() {
        write(dir, "priority.json", pretty(&classes).as_bytes())?;
    }
    write(
        dir,
        "cdf.json",
        pretty(&curves::run_cdfs(records)).as_bytes(),
    )?;
    for (name, samples) in [("cpu.json", cpu), ("gpu.json", gpu)] {
        let text = serde_json::to_string(samples).expect("samples serialise") + "\n";
        write(dir, name, text.as_bytes())?;
    }
    Ok(())
}

/// Pretty JSON with a final newline.
pub(crate) fn pretty(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("results serialise") + "\n"
}

pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), BenchError> {
    let path = dir.join(name);
    crate::artifacts::atomic_write(&path, bytes).map_err(|e| drive_error(&path)(e).into())
}

/// Every run of a benchmark (its plan); returns how many runs failed. Stops early when
/// interrupted.
pub fn run_benchmark(
    name: &str,
    recipe: &BenchRecipe,
    tasks: &[BenchTask],
    ctx: &Context,
    on_event: &mut dyn FnMut(Event),
) -> Result<usize, BenchError> {
    let failed = run_tasks(name, recipe, tasks, ctx, on_event)?;
    write_curves(&bench_dir(&ctx.results, name), tasks)?;
    Ok(failed)
}

/// Run the tasks not done before (all with `force`); returns how many failed. Writes no curves
/// (a capacity search runs its probes one at a time through this).
pub fn run_tasks(
    name: &str,
    recipe: &BenchRecipe,
    tasks: &[BenchTask],
    ctx: &Context,
    on_event: &mut dyn FnMut(Event),
) -> Result<usize, BenchError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(RUNTIME_WORKERS)
        .enable_all()
        .build()
        .map_err(|e| BenchError::Runtime(e.to_string()))?;
    // reqwest is built with `rustls-no-provider` (see models/hub.rs): install ring's, as there.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(usize::MAX)
        .build()
        .map_err(|e| BenchError::Runtime(e.to_string()))?;
    let mut replaced = Replaced::new(&ctx.results);
    let mut failed = 0;
    for task in tasks {
        if ctx.interrupt.count() > 0 {
            return Err(BenchError::Interrupted);
        }
        let label = &task.run.label;
        if !ctx.force && state(task) == FolderState::Done {
            on_event(Event::Skipped { label });
            continue;
        }
        let mut job = BenchJob {
            name,
            recipe,
            run: &task.run,
            key: &task.folder.key,
            ctx,
            rt: &rt,
            client: &client,
            on_event: &mut *on_event,
            summary: None,
        };
        let driven = folder::drive(&mut job, &task.folder, &mut replaced, &ctx.interrupt)?;
        let summary = job.summary.take();
        match driven {
            Driven::Complete => {
                let summary = summary.expect("a complete run has a summary");
                on_event(Event::Finished {
                    label,
                    summary: &summary,
                    dir: &task.folder.dir,
                });
            }
            Driven::Interrupted => return Err(BenchError::Interrupted),
            Driven::Failed(error) => {
                failed += 1;
                let kept = task.folder.failed_dir();
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

/// Write `curves.json` and `curves.csv` from the complete runs of the folder.
pub fn write_curves(bench: &Path, tasks: &[BenchTask]) -> Result<(), BenchError> {
    let mut points = Vec::new();
    for task in tasks {
        let path = task.folder.dir.join("summary.json");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(summary) = serde_json::from_slice::<Summary>(&bytes) else {
            continue;
        };
        // The client, not the server, was the limit: the point says nothing of the server.
        if summary.client.as_ref().is_some_and(|c| !c.valid) {
            continue;
        }
        points.push(curves::point(&task.run.label, &summary));
    }
    if points.is_empty() {
        return Ok(());
    }
    let text = serde_json::to_string_pretty(&points).expect("points serialise") + "\n";
    write(bench, "curves.json", text.as_bytes())?;
    write(bench, "curves.csv", curves::to_csv(&points).as_bytes())?;
    Ok(())
}
