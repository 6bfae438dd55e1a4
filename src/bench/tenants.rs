//! Running a tenants benchmark: each tenant alone first (its solo runs, one-server benchmark runs
//! of `runner`), then each shared run — every server started (under MPS where asked), all
//! healthy or the run fails naming the one that is not, the loads at once (each after its
//! `start_after`), every server stopped whatever happens (one dying stops the others' loads; the
//! records so far are kept in `<label>.failed/`), then per-tenant results and the aggregate.
//!
//! Layout of a shared run (format 1): `<results>/bench-<name>/<label>/{<tenant>.records.jsonl,
//! <tenant>.summary.json, <tenant>.cdf.json, <tenant>.server.log, aggregate.json, config.json,
//! cpu.json, gpu.json, run.json}` (+ `mps-control.log`, `mps.control.log` under MPS); the solo runs are
//! ordinary runs beside it (`solo-<tenant>[_<params>]/`), and `tenants.csv` beside them has a
//! row per tenant of every complete shared run.

use std::path::Path;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde::Serialize;

use super::aggregate::{aggregate, Aggregate, TenantResult, FORMAT};
use super::context::{Context, Http};
use super::error::BenchError;
use super::event::{Event, Finished};
use super::files::{self, Samplers};
use super::metrics::{self, Summary};
use super::mps::{MpsDaemon, MpsDirs, MpsRecord};
use super::runner::{self, Launch};
use super::schedule::{self, BenchJob, Manifest, Staged};
use super::server::{self, ServerError};
use super::startup;
use super::together::{self, Inputs, Loaded};
use super::workload;
use crate::artifacts::key::TaskKey;
use crate::artifacts::FileRecord;
use crate::plan::tenants::{SharedTask, TenantsPlan};
use crate::recipe::bench::{BenchRecipe, ServerKind};
use crate::recipe::tenants::{Sharing, TenantRun};
use crate::run::child::{Background, Ended};
use crate::run::folder::{drive_error, FolderState, FolderStatus, FolderTask};
use crate::run::Interrupt;

/// The file every complete shared run has.
pub const REQUIRED: [&str; 1] = ["aggregate.json"];

/// How long the MPS control daemon may take to make its control pipe.
const MPS_READY: Duration = Duration::from_secs(30);

/// Whether a shared run is done, and if not why.
pub fn state(task: &SharedTask) -> FolderState {
    schedule::state::<SharedJob>(task)
}

/// A tenant in `run.json`.
#[derive(Debug, Serialize)]
struct TenantManifest {
    name: String,
    model: String,
    server_kind: ServerKind,
    command: Option<Vec<String>>,
    env: IndexMap<String, String>,
    base_url: String,
    health_path: Option<&'static str>,
    healthy_after_s: Option<f64>,
    load_started_s: Option<f64>,
    server_stop: Option<Ended>,
    requests: u64,
}

/// `run.json` of a shared run.
#[derive(Debug, Serialize)]
pub struct SharedManifest {
    format: u32,
    benchmark: String,
    label: String,
    key: TaskKey,
    status: FolderStatus,
    error: Option<String>,
    /// The tenant that failed the run, where one did.
    failed_tenant: Option<String>,
    params: IndexMap<String, crate::recipe::Scalar>,
    sharing: Sharing,
    tenants: Vec<TenantManifest>,
    mps: Option<MpsRecord>,
    started_unix_s: f64,
    wall_s: f64,
    host: String,
    /// The machine: CPU, GPUs, memory, OS and kernel.
    machine: crate::artifacts::manifest::Host,
    repro_version: &'static str,
    files: Option<Vec<FileRecord>>,
}

impl Manifest for SharedManifest {
    fn close(&mut self, wall_s: f64, failure: Option<&BenchError>) {
        self.wall_s = wall_s;
        (self.status, self.error) = schedule::status_of(failure);
        self.failed_tenant = failure.and_then(|e| e.failed_tenant()).map(str::to_string);
    }

    fn record_files(&mut self, files: Vec<FileRecord>) {
        self.files = Some(files);
    }
}

/// What a complete shared run gives the caller: each tenant's summary, and the aggregate.
pub struct SharedResults {
    pub summaries: Vec<(String, Summary)>,
    pub aggregate: Aggregate,
}

/// A tenants benchmark's shared runs, as the scheduler drives them.
pub struct SharedJob<'a> {
    pub name: &'a str,
    pub plan: &'a TenantsPlan,
    pub ctx: &'a Context,
    pub http: &'a Http,
}

/// One shared run under way.
struct Shared<'a> {
    plan: &'a TenantsPlan,
    task: &'a SharedTask,
    ctx: &'a Context,
    http: &'a Http,
    on_event: &'a mut dyn FnMut(Event),
}

fn tenant_error(tenant: &str) -> impl FnOnce(BenchError) -> BenchError + '_ {
    move |e| match e {
        // Ctrl-C and the results folder are no tenant's.
        BenchError::Interrupted | BenchError::Drive(_) => e,
        e => BenchError::Tenant {
            tenant: tenant.to_string(),
            source: Box::new(e),
        },
    }
}

impl BenchJob for SharedJob<'_> {
    type Task = SharedTask;
    type Manifest = SharedManifest;
    type Done = SharedResults;
    const REQUIRED: &'static [&'static str] = &REQUIRED;

    fn folder(task: &SharedTask) -> &FolderTask {
        &task.folder
    }

    fn manifest(&self, task: &SharedTask) -> SharedManifest {
        let run = &task.run;
        let mut params = IndexMap::new();
        params.insert(
            crate::recipe::tenants::SHARING_KEY.to_string(),
            crate::recipe::Scalar::Str(run.sharing.name().into()),
        );
        if let Some(first) = run.tenants.first() {
            params.extend(first.run.params.clone());
        }
        SharedManifest {
            format: FORMAT,
            benchmark: self.name.to_string(),
            label: task.folder.label.clone(),
            key: task.folder.key.clone(),
            status: FolderStatus::Complete,
            error: None,
            failed_tenant: None,
            params,
            sharing: run.sharing,
            tenants: run
                .tenants
                .iter()
                .enumerate()
                .map(|(i, t)| TenantManifest {
                    name: t.name.clone(),
                    model: t.run.model.clone(),
                    server_kind: self.plan.tenant_recipes[i].server.kind,
                    command: None,
                    env: IndexMap::new(),
                    base_url: String::new(),
                    health_path: None,
                    healthy_after_s: None,
                    load_started_s: None,
                    server_stop: None,
                    requests: t.run.workload.requests,
                })
                .collect(),
            mps: None,
            started_unix_s: crate::sys::unix_now(),
            wall_s: 0.0,
            host: crate::sys::hostname(),
            machine: crate::artifacts::manifest::Host::here(),
            repro_version: env!("CARGO_PKG_VERSION"),
            files: None,
        }
    }

    fn run(
        &mut self,
        task: &SharedTask,
        staged: Staged<'_>,
        manifest: &mut SharedManifest,
    ) -> Result<SharedResults, BenchError> {
        let mut shared = Shared {
            plan: self.plan,
            task,
            ctx: self.ctx,
            http: self.http,
            on_event: staged.on_event,
        };
        shared.serve_and_load(staged.staging, staged.interrupt, manifest)
    }

    fn finished(done: &SharedResults) -> Finished<'_> {
        Finished::Shared {
            tenants: &done.summaries,
            aggregate: &done.aggregate,
        }
    }
}

impl Shared<'_> {
    fn event_label(&self, tenant: &str) -> String {
        format!("{}/{tenant}", self.task.folder.label)
    }

    /// `config.json`: the run as configured — the sharing, and per tenant its server, its
    /// resolved run and its timing — kept with the results.
    fn write_config(&self, staging: &Path) -> Result<(), BenchError> {
        let run = &self.task.run;
        let tenants: Vec<serde_json::Value> = run
            .tenants
            .iter()
            .enumerate()
            .map(|(i, t)| {
                serde_json::json!({
                    "name": t.name,
                    "server": self.plan.tenant_recipes[i].server,
                    "slo": self.plan.tenant_recipes[i].slo,
                    "run": t.run,
                    "start_after_s": t.start_after.as_secs_f64(),
                    "mps_thread_percentage": t.mps_thread_percentage,
                    "solo_label": t.solo_label,
                })
            })
            .collect();
        let config = serde_json::json!({
            "label": run.label,
            "sharing": run.sharing,
            "mps_control": self.plan.mps_control,
            "tenants": tenants,
        });
        Ok(files::write(
            staging,
            "config.json",
            files::pretty(&config).as_bytes(),
        )?)
    }

    /// The workloads of every tenant, before anything starts (a bad prompt file fails here).
    fn inputs(&self) -> Result<Vec<Inputs>, BenchError> {
        let root = &self.ctx.project_root;
        self.task
            .run
            .tenants
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let made = || -> Result<Inputs, BenchError> {
                    let w = &t.run.workload;
                    Ok(Inputs {
                        requests: workload::requests(w, root)?,
                        times: workload::schedule(w, root)?,
                        api_key: runner::api_key(&self.plan.tenant_recipes[i].server)?,
                    })
                };
                made().map_err(tenant_error(&t.name))
            })
            .collect()
    }

    /// Start tenant `i`'s server (its log in `staging`).
    fn start(
        &mut self,
        i: usize,
        staging: &Path,
        mps: Option<&MpsDaemon>,
        manifest: &mut SharedManifest,
    ) -> Result<(Launch, Background, Instant), BenchError> {
        let t = &self.task.run.tenants[i];
        let recipe: &BenchRecipe = &self.plan.tenant_recipes[i];
        let port = server::free_port().map_err(drive_error(staging))?;
        let mut launch = runner::launch(recipe, &t.run, self.ctx, Some(port))?;
        if let Some(mps) = mps {
            launch.env.extend(mps.dirs.env());
            if let Some(p) = t.mps_thread_percentage {
                launch
                    .env
                    .insert("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE".into(), p.to_string());
            }
        }
        let m = &mut manifest.tenants[i];
        m.command = launch.argv.clone();
        m.env = launch.env.clone();
        m.base_url = launch.base_url.clone();
        let label = self.event_label(&t.name);
        (self.on_event)(Event::Starting {
            label: &label,
            command: launch.argv.as_deref(),
        });
        let log = staging.join(format!("{}.server.log", t.name));
        let spawned = Instant::now();
        let child = runner::start_server(&recipe.server, &launch, &log, self.ctx)?
            .expect("a tenant's server is started by repro: the recipe refuses a url");
        Ok((launch, child, spawned))
    }

    fn serve_and_load(
        &mut self,
        staging: &Path,
        interrupt: &Interrupt,
        manifest: &mut SharedManifest,
    ) -> Result<SharedResults, BenchError> {
        self.write_config(staging)?;
        let inputs = self.inputs()?;
        let run = &self.task.run;
        let mut mps = match run.sharing {
            Sharing::None => None,
            Sharing::Mps => Some(MpsDaemon::start(
                &self.plan.mps_control,
                MpsDirs::for_results(&self.ctx.results),
                &staging.join("mps-control.log"),
                self.ctx.guard.as_deref(),
                MPS_READY,
            )?),
        };
        // Servers stop before the daemon whatever happens below: a daemon is quit after its
        // clients (and dropped after them should this return early).
        let mut started: Vec<(Launch, Background, Instant)> = Vec::new();
        let result =
            self.start_and_load(staging, interrupt, manifest, inputs, &mut mps, &mut started);
        for (i, (_, server, _)) in started.iter_mut().enumerate() {
            manifest.tenants[i].server_stop = Some(server.stop());
        }
        if let Some(mps) = mps.as_mut() {
            manifest.mps = Some(mps.stop(Some(&staging.join("mps.control.log"))));
        }
        let loaded = result?;
        if interrupt.count() > 0 {
            return Err(BenchError::Interrupted);
        }
        self.results(staging, manifest, &started, loaded)
    }

    /// Start every server, wait until all are healthy, run the loads at once.
    fn start_and_load(
        &mut self,
        staging: &Path,
        interrupt: &Interrupt,
        manifest: &mut SharedManifest,
        inputs: Vec<Inputs>,
        mps: &mut Option<MpsDaemon>,
        started: &mut Vec<(Launch, Background, Instant)>,
    ) -> Result<Loaded, BenchError> {
        let tenants = &self.task.run.tenants;
        for (i, t) in tenants.iter().enumerate() {
            if interrupt.count() > 0 {
                return Err(BenchError::Interrupted);
            }
            let one = self
                .start(i, staging, mps.as_ref(), manifest)
                .map_err(tenant_error(&t.name))?;
            started.push(one);
        }
        self.wait_all_healthy(interrupt, manifest, &inputs, started)?;
        if let Some(mps) = mps.as_mut() {
            self.check_attached(mps)?;
        }
        for t in tenants {
            let label = self.event_label(&t.name);
            (self.on_event)(Event::Loading {
                label: &label,
                requests: t.run.workload.requests,
            });
        }
        let samplers = Samplers::start();
        let loaded = together::run(self.http, tenants, inputs, started, interrupt);
        let sampled = samplers.stop();
        sampled.write(staging)?;
        for (i, start) in loaded.starts.iter().enumerate() {
            manifest.tenants[i].load_started_s = Some((*start - loaded.t0).as_secs_f64());
        }
        Ok(Loaded {
            gpu: sampled.gpu.unwrap_or_default(),
            ..loaded
        })
    }

    /// Wait until every tenant's server is healthy (the first that is not fails the run, by
    /// name), noting when each answered.
    fn wait_all_healthy(
        &mut self,
        interrupt: &Interrupt,
        manifest: &mut SharedManifest,
        inputs: &[Inputs],
        started: &mut [(Launch, Background, Instant)],
    ) -> Result<(), BenchError> {
        let tenants = &self.task.run.tenants;
        let health_started = Instant::now();
        let waits: Vec<_> = started
            .iter_mut()
            .zip(inputs)
            .enumerate()
            .map(|(i, ((launch, server, _), input))| {
                let timeout = self.plan.tenant_recipes[i].server.health_timeout;
                let client = &self.http.client;
                let url = launch.base_url.clone();
                let key = input.api_key.clone();
                async move {
                    server::wait_healthy(
                        client,
                        &url,
                        key.as_deref(),
                        timeout,
                        Some(server),
                        interrupt,
                    )
                    .await
                    // When this one answered: the others may take longer.
                    .map(|path| (path, Instant::now()))
                }
            })
            .collect();
        let healthy = self.http.rt.block_on(together::all_ok(waits));
        let paths = match healthy {
            Ok(paths) => paths,
            Err((_, ServerError::Interrupted)) => return Err(BenchError::Interrupted),
            Err((i, error)) => {
                return Err(tenant_error(&tenants[i].name)(BenchError::Server(error)))
            }
        };
        for (i, (path, at)) in paths.iter().enumerate() {
            let m = &mut manifest.tenants[i];
            m.health_path = Some(path);
            m.healthy_after_s = Some((*at - started[i].2).as_secs_f64());
            let label = self.event_label(&tenants[i].name);
            (self.on_event)(Event::Healthy {
                label: &label,
                after: *at - health_started,
                path,
            });
        }
        Ok(())
    }

    /// Under MPS, the servers on the GPU must have attached to the daemon: a vLLM server made
    /// its CUDA context while starting, which under MPS made an MPS server. None means the
    /// servers bypassed the daemon.
    fn check_attached(&self, mps: &mut MpsDaemon) -> Result<(), BenchError> {
        mps.note_servers();
        let on_gpu = self.plan.tenant_recipes.iter().any(|r| {
            r.server.kind == ServerKind::Vllm
                && r.server.device == crate::config::machines::Device::Gpu
        });
        if on_gpu && !super::mps::any_server(mps.record.servers.as_deref()) {
            let answer = mps.record.servers.clone();
            return Err(BenchError::Mps(super::mps::MpsError::NotAttached {
                answer: answer.unwrap_or_else(|| "no answer".into()),
            }));
        }
        Ok(())
    }

    /// Per-tenant files and the aggregate; the first tenant whose server died fails the run
    /// (after everything is written).
    fn results(
        &mut self,
        staging: &Path,
        manifest: &SharedManifest,
        started: &[(Launch, Background, Instant)],
        loaded: Loaded,
    ) -> Result<SharedResults, BenchError> {
        let tenants = &self.task.run.tenants;
        let Loaded {
            t0,
            records,
            offered,
            starts,
            died,
            gpu,
        } = loaded;
        let mut summaries = Vec::new();
        for (i, t) in tenants.iter().enumerate() {
            let load_started_after = starts[i] - started[i].2;
            let summary = self.tenant_summary(
                i,
                staging,
                manifest,
                &records[i],
                offered[i],
                load_started_after,
            );
            let prefix = format!("{}.", t.name);
            runner::write_server_results(staging, &prefix, &records[i], &summary)?;
            summaries.push((t.name.clone(), summary));
        }
        let starts_s: Vec<f64> = starts.iter().map(|s| (*s - t0).as_secs_f64()).collect();
        let aggregate = self.aggregate(&records, &summaries, &starts_s, started, &gpu);
        files::write(
            staging,
            "aggregate.json",
            files::pretty(&aggregate).as_bytes(),
        )?;
        if let Some((i, status)) = died
            .iter()
            .enumerate()
            .find_map(|(i, d)| d.clone().map(|d| (i, d)))
        {
            let name = &tenants[i].name;
            let ok = summaries[i].1.outcomes["ok"];
            let log = staging.join(format!("{name}.server.log"));
            return Err(tenant_error(name)(BenchError::ServerDied {
                status,
                failed: records[i].len() - ok,
                requests: records[i].len(),
                log: self
                    .task
                    .folder
                    .failed_dir()
                    .join(format!("{name}.server.log")),
                tail: server::tail(&log, 15),
            }));
        }
        Ok(SharedResults {
            summaries,
            aggregate,
        })
    }

    /// Tenant `i`'s summary, with its server's start-up (its log in `staging` is whole: the
    /// servers have stopped).
    fn tenant_summary(
        &self,
        i: usize,
        staging: &Path,
        manifest: &SharedManifest,
        records: &[crate::bench::record::RequestRecord],
        offered: metrics::Offered,
        load_started_after: Duration,
    ) -> Summary {
        let recipe = &self.plan.tenant_recipes[i];
        let mut summary = metrics::summarize(records, metrics::Slo::of(&recipe.slo), offered);
        let m = &manifest.tenants[i];
        let log = staging.join(format!("{}.server.log", self.task.run.tenants[i].name));
        summary.startup = Some(startup::startup(
            startup::Measured {
                healthy_after: m.healthy_after_s.map(Duration::from_secs_f64),
                load_started_after: Some(load_started_after),
            },
            m.health_path,
            records,
            Some(&log),
        ));
        summary
    }

    /// The aggregate of the tenants' results (each beside its solo run, where complete), with
    /// each server group's GPU use.
    fn aggregate(
        &self,
        records: &[Vec<crate::bench::record::RequestRecord>],
        summaries: &[(String, Summary)],
        load_started_s: &[f64],
        started: &[(Launch, Background, Instant)],
        gpu: &[crate::samplers::gpu::GpuSample],
    ) -> Aggregate {
        let tenants = &self.task.run.tenants;
        let solos: Vec<Option<Summary>> = tenants.iter().map(|t| self.solo_summary(t)).collect();
        let results: Vec<TenantResult<'_>> = tenants
            .iter()
            .enumerate()
            .map(|(i, t)| TenantResult {
                name: &t.name,
                model: &t.run.model,
                load_started_s: load_started_s[i],
                records: &records[i],
                summary: &summaries[i].1,
                solo: solos[i].as_ref().map(|s| (t.solo_label.as_str(), s)),
            })
            .collect();
        let mut aggregate = aggregate(self.task.run.sharing, &results);
        let groups: Vec<(String, i32)> = tenants
            .iter()
            .zip(started)
            .map(|(t, (_, server, _))| (t.name.clone(), server.pgid()))
            .collect();
        aggregate.gpu = crate::samplers::gpu::usage(gpu, &groups);
        aggregate
    }

    /// The summary of a tenant's solo run, where that run is complete.
    fn solo_summary(&self, t: &TenantRun) -> Option<Summary> {
        let task = self
            .plan
            .solo
            .iter()
            .flatten()
            .find(|task| task.folder.label == t.solo_label)?;
        if runner::state(task) != FolderState::Done {
            return None;
        }
        let bytes = std::fs::read(task.folder.dir.join("summary.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// Every run of a tenants benchmark: the solo runs, then the shared ones; returns how many
/// failed.
pub fn run_tenants(
    name: &str,
    plan: &TenantsPlan,
    ctx: &Context,
    on_event: &mut dyn FnMut(Event),
) -> Result<usize, BenchError> {
    let http = Http::new()?;
    let mut failed = 0;
    for (recipe, tasks) in plan.tenant_recipes.iter().zip(&plan.solo) {
        failed += runner::run_tasks(name, recipe, tasks, ctx, &http, on_event)?;
    }
    let bench = crate::artifacts::layout::bench_dir(&ctx.results, name);
    let solo: Vec<_> = plan.solo.iter().flatten().cloned().collect();
    if !solo.is_empty() {
        runner::write_curves(&bench, &solo)?;
    }
    let mut job = SharedJob {
        name,
        plan,
        ctx,
        http: &http,
    };
    failed += schedule::run(&mut job, &plan.shared, ctx, on_event)?;
    write_table(&bench, plan)?;
    Ok(failed)
}

/// `tenants.csv`: one row per tenant of every complete shared run.
fn write_table(bench: &Path, plan: &TenantsPlan) -> Result<(), BenchError> {
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
    let mut csv = String::from("run,sharing,tenant,model,ok,requests,request_throughput,output_throughput,ttft_p50_s,e2e_mean_s,completion_s,solo_e2e_mean_s,slowdown,throughput_ratio,device_request_throughput,device_output_throughput\n");
    let mut rows = 0;
    for task in &plan.shared {
        if state(task) != FolderState::Done {
            continue;
        }
        let path = task.folder.dir.join("aggregate.json");
        let Some(a) = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Aggregate>(&b).ok())
        else {
            continue;
        };
        for t in &a.tenants {
            rows += 1;
            csv.push_str(&format!(
                "{},{},{},{},{},{},{:.6},{:.6},{},{},{:.6},{},{},{},{:.6},{:.6}\n",
                task.folder.label,
                a.sharing.name(),
                t.name,
                t.model,
                t.ok,
                t.requests,
                t.request_throughput,
                t.output_throughput,
                opt(t.ttft_p50),
                opt(t.e2e_mean),
                t.completion_s,
                opt(t.solo.as_ref().and_then(|s| s.e2e_mean)),
                opt(t.slowdown),
                opt(t.throughput_ratio),
                a.device_request_throughput,
                a.device_output_throughput,
            ));
        }
    }
    if rows > 0 {
        files::write(bench, "tenants.csv", csv.as_bytes())?;
    }
    Ok(())
}
