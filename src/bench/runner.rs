//! A one-server benchmark's runs: per point of its matrix, start the server, wait until it is
//! healthy, drive the load, stop the server, and write the results. Each run is a
//! [`BenchJob`] of the one scheduler (`bench::schedule`), which stages, records and places it;
//! its server is a background child of the runner's (`run::child::Background`).
//!
//! Layout (format 1): `<results>/bench-<name>/<label>/{records.jsonl, summary.json, server.log,
//! run.json, cdf.json, cpu.json, gpu.json}`; `curves.json` / `curves.csv` beside the runs hold
//! the latency–throughput points of the runs.

use std::path::Path;
use std::time::Instant;

use indexmap::IndexMap;
use serde::Serialize;

use super::caches::{compile_caches, Caches, CACHE_VARS, WARMED};
use super::client::{ApiKey, Target};
use super::context::{client_cores, Context, Http};
use super::curves;
use super::error::BenchError;
use super::event::{Event, Finished};
use super::files::{self, Samplers};
use super::load::{self, Plan};
use super::loadcheck;
use super::metrics::{self, Offered, Summary};
use super::pareto;
use super::record::RequestRecord;
use super::schedule::{self, BenchJob, Manifest, Staged};
use super::server::{self, ServerError};
use super::startup;
use super::workload;
use crate::artifacts::key::TaskKey;
use crate::artifacts::FileRecord;
use crate::env::EnvSpec;
use crate::plan::bench::BenchTask;
use crate::recipe::bench::{Arrival, BenchRecipe, BenchRun, ServerKind, ServerSpec};
use crate::run::child::{Background, BackgroundSpec, Ended};
use crate::run::folder::{drive_error, FolderState, FolderStatus, FolderTask};
use crate::run::Interrupt;

/// Version of the files a run writes.
pub const FORMAT: u32 = 1;

/// The files a complete run has.
pub const REQUIRED: [&str; 2] = ["summary.json", "records.jsonl"];

/// Whether a planned run is done, and if not why.
pub fn state(task: &BenchTask) -> FolderState {
    schedule::state::<ServeJob>(task)
}

/// What serves a run: the command to start (if any), its environment and the model path.
#[derive(Debug, Clone, Serialize)]
pub struct Launch {
    /// `None` for a `url` server.
    pub argv: Option<Vec<String>>,
    pub env: IndexMap<String, String>,
    pub base_url: String,
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
            let model_path = ctx.model_path(&run.model);
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

/// `run.json`: how a run went.
#[derive(Debug, Serialize)]
pub struct RunManifest {
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
    /// The machine: CPU, GPUs, memory, OS and kernel.
    machine: crate::artifacts::manifest::Host,
    repro_version: &'static str,
    /// Every file of the run's folder, with its hash.
    files: Option<Vec<FileRecord>>,
}

impl Manifest for RunManifest {
    fn close(&mut self, wall_s: f64, failure: Option<&BenchError>) {
        self.wall_s = wall_s;
        (self.status, self.error) = schedule::status_of(failure);
    }

    fn record_files(&mut self, files: Vec<FileRecord>) {
        self.files = Some(files);
    }
}

/// A one-server benchmark's runs, as the scheduler drives them.
pub struct ServeJob<'a> {
    pub name: &'a str,
    pub recipe: &'a BenchRecipe,
    pub ctx: &'a Context,
    pub http: &'a Http,
}

impl BenchJob for ServeJob<'_> {
    type Task = BenchTask;
    type Manifest = RunManifest;
    type Done = Summary;
    const REQUIRED: &'static [&'static str] = &REQUIRED;

    fn folder(task: &BenchTask) -> &FolderTask {
        &task.folder
    }

    fn label(task: &BenchTask) -> &str {
        &task.run.label
    }

    fn manifest(&self, task: &BenchTask) -> RunManifest {
        RunManifest {
            format: FORMAT,
            benchmark: self.name.to_string(),
            label: task.run.label.clone(),
            key: task.folder.key.clone(),
            status: FolderStatus::Complete,
            error: None,
            params: task.run.params.clone(),
            model: task.run.model.clone(),
            server_kind: self.recipe.server.kind,
            command: None,
            env: IndexMap::new(),
            base_url: String::new(),
            health_path: None,
            healthy_after_s: None,
            server_stop: None,
            started_unix_s: crate::sys::unix_now(),
            wall_s: 0.0,
            requests: task.run.workload.requests,
            host: crate::sys::hostname(),
            machine: crate::artifacts::manifest::Host::here(),
            repro_version: env!("CARGO_PKG_VERSION"),
            files: None,
        }
    }

    fn run(
        &mut self,
        task: &BenchTask,
        staged: Staged<'_>,
        manifest: &mut RunManifest,
    ) -> Result<Summary, BenchError> {
        self.serve_and_load(task, staged, manifest)
    }

    fn finished(summary: &Summary) -> Finished<'_> {
        Finished::Serve(summary)
    }
}

/// The API key the recipe's server wants, from the variable it names.
pub(crate) fn api_key(server: &ServerSpec) -> Result<Option<String>, BenchError> {
    match &server.api_key_env {
        Some(var) => Ok(Some(
            std::env::var(var).map_err(|_| BenchError::NoApiKey(var.clone()))?,
        )),
        None => Ok(None),
    }
}

/// The server of `launch` as a background child logging to `log`, or `None` for a server by
/// URL; a `vllm` server whose environment is not set up is refused with the command that
/// sets it up.
pub(crate) fn start_server(
    server: &ServerSpec,
    launch: &Launch,
    log: &Path,
    ctx: &Context,
) -> Result<Option<Background>, BenchError> {
    let Some(argv) = &launch.argv else {
        return Ok(None);
    };
    if server.kind == ServerKind::Vllm && !Path::new(&argv[0]).is_file() {
        let vllm = server.vllm.clone().unwrap_or_default();
        return Err(BenchError::NoEnv {
            env: EnvSpec::new(vllm.clone(), server.device).dir(&ctx.cache),
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
        guard: ctx.guard.as_deref(),
    };
    Ok(Some(Background::spawn(&spec).map_err(ServerError::from)?))
}

/// What the load gave: the records, how the client fared, the samples taken meanwhile.
struct Loaded {
    records: Vec<RequestRecord>,
    usage: loadcheck::ClientUse,
    samples: files::Sampled,
    offered: Offered,
}

impl ServeJob<'_> {
    /// Start the server (unless it is a URL's), wait until it is healthy, drive the load, stop
    /// the server, write the results into the staging folder.
    fn serve_and_load(
        &self,
        task: &BenchTask,
        staged: Staged<'_>,
        manifest: &mut RunManifest,
    ) -> Result<Summary, BenchError> {
        let Staged {
            staging,
            interrupt,
            on_event,
        } = staged;
        let (run, ctx) = (&task.run, self.ctx);
        let requests = match &run.workload.conversation {
            Some(spec) => Work::Conversations(super::conversation::conversations(
                &run.workload,
                spec,
                &ctx.project_root,
            )?),
            None => Work::Requests(workload::requests(&run.workload, &ctx.project_root)?),
        };
        let times = workload::schedule(&run.workload, &ctx.project_root)?;
        let api_key = api_key(&self.recipe.server)?;
        // The caches live as long as the run: a cold run's are removed when dropped.
        let (launch, _caches) =
            self.launch_with_caches(run, staging, api_key.as_deref(), interrupt, on_event)?;
        manifest.command = launch.argv.clone();
        manifest.env = launch.env.clone();
        manifest.base_url = launch.base_url.clone();
        on_event(Event::Starting {
            label: &run.label,
            command: launch.argv.as_deref(),
        });
        let log = staging.join("server.log");
        let spawned = Instant::now();
        let mut server = start_server(&self.recipe.server, &launch, &log, ctx)?;
        let health_started = Instant::now();
        let healthy = self.wait_healthy(&launch, api_key.as_deref(), server.as_mut(), interrupt);
        let health_path = match healthy {
            Ok(path) => path,
            Err(error) => {
                manifest.server_stop = server.as_mut().map(Background::stop);
                return Err(error);
            }
        };
        let healthy_after = server.is_some().then(|| spawned.elapsed());
        manifest.health_path = Some(health_path);
        manifest.healthy_after_s = Some(health_started.elapsed().as_secs_f64());
        on_event(Event::Healthy {
            label: &run.label,
            after: health_started.elapsed(),
            path: health_path,
        });
        on_event(Event::Loading {
            label: &run.label,
            requests: requests.sends(),
        });
        let measured = startup::Measured {
            healthy_after,
            load_started_after: server.is_some().then(|| spawned.elapsed()),
        };
        let target = self.target(run, &launch, api_key);
        let loaded = self.load(run, &target, requests, times.as_deref(), interrupt);
        let died = server.as_mut().and_then(|s| s.exited());
        manifest.server_stop = server.as_mut().map(Background::stop);
        if interrupt.count() > 0 {
            return Err(BenchError::Interrupted);
        }
        let logged = launch.argv.is_some().then_some(log.as_path());
        let summary = self.summary(&loaded, measured, health_path, logged);
        write_results(staging, &loaded.records, &summary, &loaded.samples)?;
        let info = vllm_info(run, &loaded, &summary, manifest.started_unix_s);
        let vllm = super::vllm_format::to_file(&loaded.records, &summary, &info);
        files::write(
            staging,
            super::vllm_format::FILE,
            files::pretty(&vllm).as_bytes(),
        )?;
        if let Some(status) = died {
            let records = &loaded.records;
            return Err(BenchError::ServerDied {
                status,
                failed: records.len() - summary.outcomes["ok"],
                requests: records.len(),
                log: task.folder.failed_dir().join("server.log"),
                tail: server::tail(&log, 15),
            });
        }
        Ok(summary)
    }

    /// The run's summary: its metrics, the client's self-check, the server's start-up (from
    /// its log, whole now that it has stopped).
    fn summary(
        &self,
        loaded: &Loaded,
        measured: startup::Measured,
        health_path: &'static str,
        log: Option<&Path>,
    ) -> Summary {
        let records = &loaded.records;
        let slo = metrics::Slo::of(&self.recipe.slo);
        let mut summary = metrics::summarize(records, slo, loaded.offered);
        let check = loadcheck::check(records, &summary.arrivals, Some(loaded.usage));
        summary.client = Some(check);
        summary.startup = Some(startup::startup(measured, Some(health_path), records, log));
        summary
    }

    /// How the run's server starts, with its compile caches where the matrix sweeps them (a
    /// warm run's filled first by a warm-up start).
    fn launch_with_caches(
        &self,
        run: &BenchRun,
        staging: &Path,
        api_key: Option<&str>,
        interrupt: &Interrupt,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<(Launch, Option<Caches>), BenchError> {
        let ctx = self.ctx;
        let port = match self.recipe.server.kind {
            ServerKind::Url => None,
            _ => Some(server::free_port().map_err(drive_error(staging))?),
        };
        let mut launch = launch(self.recipe, run, ctx, port)?;
        let caches = compile_caches(ctx, self.name, self.recipe, run)
            .map_err(drive_error(&ctx.cache.join("compile-caches")))?;
        if let Some(caches) = &caches {
            let dir = caches.dir();
            for (var, sub) in CACHE_VARS {
                launch
                    .env
                    .insert(var.into(), dir.join(sub).display().to_string());
            }
            if matches!(caches, Caches::Warm(_)) && !dir.join(WARMED).is_file() {
                let label = format!("{} (warm-up start, filling the compile caches)", run.label);
                on_event(Event::Starting {
                    label: &label,
                    command: launch.argv.as_deref(),
                });
                self.warm_up(&launch, staging, api_key, interrupt)?;
                files::write(
                    dir,
                    WARMED,
                    b"a server started with these caches and became healthy\n",
                )?;
            }
        }
        Ok((launch, caches))
    }

    /// Wait until the server answers its health check; the path that answered.
    fn wait_healthy(
        &self,
        launch: &Launch,
        api_key: Option<&str>,
        server: Option<&mut Background>,
        interrupt: &Interrupt,
    ) -> Result<&'static str, BenchError> {
        let healthy = self.http.rt.block_on(server::wait_healthy(
            &self.http.client,
            &launch.base_url,
            api_key,
            self.recipe.server.health_timeout,
            server,
            interrupt,
        ));
        healthy.map_err(|error| match error {
            ServerError::Interrupted => BenchError::Interrupted,
            error => BenchError::Server(error),
        })
    }

    /// Start the server once and stop it when healthy, so that its compile caches are filled
    /// before the run that is measured (its log: `warmup-server.log`).
    fn warm_up(
        &self,
        launch: &Launch,
        staging: &Path,
        api_key: Option<&str>,
        interrupt: &Interrupt,
    ) -> Result<(), BenchError> {
        let log = staging.join("warmup-server.log");
        let mut server = start_server(&self.recipe.server, launch, &log, self.ctx)?;
        let healthy = self.wait_healthy(launch, api_key, server.as_mut(), interrupt);
        if let Some(server) = server.as_mut() {
            server.stop();
        }
        healthy.map(drop)
    }

    /// Where and how the load's requests go.
    fn target(&self, run: &BenchRun, launch: &Launch, api_key: Option<String>) -> Target {
        let w = &run.workload;
        Target {
            base_url: launch.base_url.clone(),
            endpoint: w.endpoint,
            model: run.model.clone(),
            ignore_eos: w.ignore_eos,
            api_key: api_key.map(ApiKey),
            timeout: w.request_timeout,
            send_priority: super::client::schedules_by_priority(launch.argv.as_deref()),
        }
    }

    /// Drive the load, sampling the machine and measuring the client meanwhile.
    fn load(
        &self,
        run: &BenchRun,
        target: &Target,
        work: Work,
        times: Option<&[f64]>,
        interrupt: &Interrupt,
    ) -> Loaded {
        let w = &run.workload;
        let (plan, offered) = load_plan(w, times);
        let samplers = Samplers::start();
        let (cpu_before, load_started) = (loadcheck::ClientUse::process_cpu_s(), Instant::now());
        let load = load::Load {
            rt: &self.http.rt,
            client: &self.http.client,
            target,
            max_duration: w.max_duration,
            interrupt,
            limits: load::Limits {
                slowdown: self.ctx.client_slowdown,
                max_in_flight: self.recipe.capacity.as_ref().and_then(|c| c.max_in_flight),
            },
        };
        let records = match work {
            Work::Requests(requests) => load::run_with(&load, requests, &plan),
            Work::Conversations(convs) => {
                let think = w.conversation.as_ref().and_then(|c| c.think_time);
                super::conversation::run(&load, convs, &plan, think.unwrap_or_default())
            }
        };
        let usage = loadcheck::ClientUse {
            cpu_s: loadcheck::ClientUse::process_cpu_s() - cpu_before,
            wall_s: load_started.elapsed().as_secs_f64(),
            cores: client_cores(),
            sockets: loadcheck::ClientUse::open_sockets(),
        };
        Loaded {
            records,
            usage,
            samples: samplers.stop(),
            offered,
        }
    }
}

/// What a run sends: independent requests, or conversations of turns.
enum Work {
    Requests(Vec<workload::Request>),
    Conversations(Vec<super::conversation::Conversation>),
}

impl Work {
    /// Requests to send: every turn of every conversation.
    fn sends(&self) -> u64 {
        match self {
            Work::Requests(r) => r.len() as u64,
            Work::Conversations(c) => c.iter().map(|c| c.turns.len() as u64).sum(),
        }
    }
}

/// The setup keys of a run's `vllm-bench.json`, as `vllm bench serve` names them.
fn vllm_info(
    run: &BenchRun,
    loaded: &Loaded,
    summary: &Summary,
    started_unix_s: f64,
) -> super::vllm_format::RunInfo {
    let w = &run.workload;
    super::vllm_format::RunInfo {
        date: super::vllm_format::date_of(started_unix_s),
        backend: match w.endpoint {
            crate::recipe::bench::Endpoint::Completions => "openai",
            crate::recipe::bench::Endpoint::Chat => "openai-chat",
        }
        .into(),
        label: run.label.clone(),
        model: run.model.clone(),
        num_prompts: loaded.records.len(),
        request_rate: loaded.offered.target_rate,
        burstiness: match w.arrival {
            Arrival::Gamma => w.burstiness.unwrap_or(1.0),
            _ => 1.0,
        },
        max_concurrency: loaded.offered.concurrency,
        slo: summary.slo,
    }
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

/// A server's results under `prefix` (`""` for a one-server run, `<tenant>.` for a tenant of a
/// shared run): records, summary, requests by priority class, CDFs.
pub(crate) fn write_server_results(
    dir: &Path,
    prefix: &str,
    records: &[RequestRecord],
    summary: &Summary,
) -> Result<(), BenchError> {
    files::write(
        dir,
        &format!("{prefix}records.jsonl"),
        &files::records_jsonl(records),
    )?;
    files::write(
        dir,
        &format!("{prefix}summary.json"),
        files::pretty(summary).as_bytes(),
    )?;
    let classes = metrics::by_priority(records, summary.slo);
    if !classes.is_empty() {
        let name = format!("{prefix}priority.json");
        files::write(dir, &name, files::pretty(&classes).as_bytes())?;
    }
    let cdfs = curves::run_cdfs(records);
    files::write(
        dir,
        &format!("{prefix}cdf.json"),
        files::pretty(&cdfs).as_bytes(),
    )?;
    Ok(())
}

/// The run's files: records, summary, CDFs, samples.
fn write_results(
    dir: &Path,
    records: &[RequestRecord],
    summary: &Summary,
    samples: &files::Sampled,
) -> Result<(), BenchError> {
    write_server_results(dir, "", records, summary)?;
    samples.write(dir)?;
    Ok(())
}

/// Every run of a benchmark (its plan), then its repeated points' summaries and its curves;
/// returns how many runs failed, and the warnings of the repeated points (a metric varying
/// more than `repeats::CV_THRESHOLD`). Stops early when interrupted.
pub fn run_benchmark(
    name: &str,
    recipe: &BenchRecipe,
    tasks: &[BenchTask],
    ctx: &Context,
    on_event: &mut dyn FnMut(Event),
) -> Result<(usize, Vec<String>), BenchError> {
    let http = Http::new()?;
    let mut warnings = super::repeats::make_room(tasks, &ctx.results)?;
    let failed = run_tasks(name, recipe, tasks, ctx, &http, on_event)?;
    warnings.extend(super::repeats::write_points(tasks)?);
    let bench = crate::artifacts::layout::bench_dir(&ctx.results, name);
    write_curves(&bench, tasks)?;
    Ok((failed, warnings))
}

/// Run the tasks not done before (all with `force`); returns how many failed. Writes no curves
/// (a capacity search runs its probes one at a time through this).
pub fn run_tasks(
    name: &str,
    recipe: &BenchRecipe,
    tasks: &[BenchTask],
    ctx: &Context,
    http: &Http,
    on_event: &mut dyn FnMut(Event),
) -> Result<usize, BenchError> {
    let mut job = ServeJob {
        name,
        recipe,
        ctx,
        http,
    };
    schedule::run(&mut job, tasks, ctx, on_event)
}

/// Write `curves.json` and `curves.csv` from the complete runs of the folder, and
/// `pareto.json` (the sweep's frontier and knees) where two or more runs make a sweep.
pub fn write_curves(bench: &Path, tasks: &[BenchTask]) -> Result<(), BenchError> {
    let mut points = Vec::new();
    let mut sweep = Vec::new();
    // A repeated point is one point: its summary over the repeats, once.
    let mut seen = std::collections::HashSet::new();
    for task in tasks {
        let (label, dir) = match &task.point {
            Some(p) => (&p.label, &p.dir),
            None => (&task.run.label, &task.folder.dir),
        };
        if !seen.insert(dir) {
            continue;
        }
        let path = dir.join("summary.json");
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
        points.push(curves::point(label, &summary));
        let params: indexmap::IndexMap<String, serde_json::Value> = task
            .run
            .params
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    serde_json::to_value(v).expect("a scalar serialises"),
                )
            })
            .collect();
        sweep.push((label.as_str(), params, summary));
    }
    if points.is_empty() {
        return Ok(());
    }
    let text = serde_json::to_string_pretty(&points).expect("points serialise") + "\n";
    files::write(bench, "curves.json", text.as_bytes())?;
    files::write(bench, "curves.csv", curves::to_csv(&points).as_bytes())?;
    let runs: Vec<pareto::SweepRun<'_>> = sweep
        .iter()
        .map(|(label, params, summary)| pareto::SweepRun {
            label,
            params,
            summary,
        })
        .collect();
    if let Some(p) = pareto::pareto(&runs) {
        let text = serde_json::to_string_pretty(&p).expect("the sweep serialises") + "\n";
        files::write(bench, pareto::PARETO_FILE, text.as_bytes())?;
    }
    Ok(())
}
