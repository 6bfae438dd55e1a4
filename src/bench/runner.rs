//! Running a benchmark: per run of its matrix, start the server, wait until it is healthy,
//! drive the load, stop the server, and write the results — all into a temporary folder that is
//! renamed into place only when complete. A finished run (its folder exists and its key matches
//! the recipe) is skipped; an interrupted one left only a temporary folder and is redone.
//!
//! Layout (format 1): `<results>/bench-<name>/<label>/{records.jsonl, summary.json, server.log,
//! run.json, cdf.json, cpu.json}`; a run that failed is kept for inspection as `<label>.failed/` and redone next time;
//! `curves.json` / `curves.csv` beside the runs hold the latency–throughput points of the runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use indexmap::IndexMap;
use serde::Serialize;

use super::client::Target;
use super::curves;
use super::load::{self, Plan};
use super::metrics::{self, Offered, Summary};
use super::recipe::{Arrival, BenchRecipe, BenchRun, ServerKind};
use super::record::RequestRecord;
use super::server::{self, Server, ServerError, Stopped};
use super::startup;
use super::workload::{self, WorkloadError};
use crate::env::EnvSpec;

/// Version of the files a run writes.
pub const FORMAT: u32 = 1;

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
    /// Set by Ctrl-C: stop sending, stop the server, keep nothing of the current run.
    pub interrupted: Arc<AtomicBool>,
    /// The repro executable, to run servers under `repro __server-guard` (see `server`).
    pub guard: Option<PathBuf>,
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
    #[error("cannot write `{}`: {}", path.display(), crate::sys::problem(source, path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime or HTTP client: {0}")]
    Runtime(String),
    #[error("interrupted")]
    Interrupted,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BenchError + '_ {
    move |source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The identity of a run's results: everything that decides them.
#[derive(Serialize)]
struct Key<'a> {
    format: u32,
    server: &'a super::recipe::ServerSpec,
    run: &'a BenchRun,
    slo: &'a super::recipe::SloSpec,
}

pub fn run_key(recipe: &BenchRecipe, run: &BenchRun) -> String {
    let key = Key {
        format: FORMAT,
        server: &recipe.server,
        run,
        slo: &recipe.slo,
    };
    let json = serde_json::to_vec(&key).expect("a key serialises");
    blake3::hash(&json).to_hex()[..16].to_string()
}

/// Whether a run's results are there, and if not why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    Done,
    Missing,
    /// Results exist from a different recipe (its key changed).
    Stale,
    /// The last attempt failed (kept as `<label>.failed/`).
    FailedBefore,
}

/// The folder of a benchmark's results.
pub fn bench_dir(results: &Path, name: &str) -> PathBuf {
    results.join(format!("bench-{name}"))
}

pub fn state(dir: &Path, key: &str) -> RunState {
    let run_json = dir.join("run.json");
    if dir.join("summary.json").is_file() && dir.join("records.jsonl").is_file() {
        let recorded = std::fs::read(&run_json)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["key"].as_str().map(str::to_string));
        return if recorded.as_deref() == Some(key) {
            RunState::Done
        } else {
            RunState::Stale
        };
    }
    let failed = dir.with_file_name(format!(
        "{}.failed",
        dir.file_name().unwrap_or_default().to_string_lossy()
    ));
    if failed.is_dir() {
        RunState::FailedBefore
    } else {
        RunState::Missing
    }
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
    let fill = |text: &str| text.replace("{port}", &port_text);
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
            // The models folder (where `repro bench` prepares models.toml's models), a folder
            // of an older setup, a path; else a hub id, which vLLM downloads itself.
            let models = ctx.models_dir.join(&run.model);
            let legacy = ctx.cache.join("models").join(&run.model);
            let model_path = if models.is_dir() {
                models.display().to_string()
            } else if legacy.is_dir() {
                legacy.display().to_string()
            } else if ctx.project_root.join(&run.model).is_dir() {
                ctx.project_root.join(&run.model).display().to_string()
            } else {
                run.model.clone()
            };
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
struct RunManifest<'a> {
    format: u32,
    benchmark: &'a str,
    label: &'a str,
    key: &'a str,
    /// `complete`, or why not.
    status: &'a str,
    error: Option<String>,
    params: &'a IndexMap<String, crate::recipe::Scalar>,
    model: &'a str,
    server_kind: ServerKind,
    /// The command that started the server (no secrets: the API key is never in it).
    command: Option<&'a [String]>,
    /// Environment added to the server's (the recipe's `server.env`).
    env: &'a IndexMap<String, String>,
    base_url: &'a str,
    health_path: Option<&'a str>,
    healthy_after_s: Option<f64>,
    server_stop: Option<Stopped>,
    started_unix_s: f64,
    wall_s: f64,
    requests: u64,
    host: String,
    repro_version: &'static str,
}

/// Remove temporary folders of this label left by processes that are gone.
fn clean_stale_tmp(bench: &Path, label: &str) {
    let prefix = format!(".tmp-{label}-");
    let Ok(entries) = std::fs::read_dir(bench) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
        if !alive || pid as u32 == std::process::id() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Every run of a benchmark; returns how many runs failed. Stops early when interrupted.
pub fn run_benchmark(
    name: &str,
    recipe: &BenchRecipe,
    ctx: &Context,
    on_event: &mut dyn FnMut(Event),
) -> Result<usize, BenchError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
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
    let bench = bench_dir(&ctx.results, name);
    let mut failed = 0;
    for run in recipe.runs() {
        if ctx.interrupted.load(Ordering::SeqCst) {
            return Err(BenchError::Interrupted);
        }
        let key = run_key(recipe, &run);
        let dir = bench.join(&run.label);
        if !ctx.force && state(&dir, &key) == RunState::Done {
            on_event(Event::Skipped { label: &run.label });
            continue;
        }
        match one_run(name, recipe, &run, &key, ctx, &rt, &client, on_event) {
            Ok(()) => {}
            Err(BenchError::Interrupted) => return Err(BenchError::Interrupted),
            Err(error) => {
                failed += 1;
                let kept = bench.join(format!("{}.failed", run.label));
                let kept = kept.is_dir().then_some(kept);
                on_event(Event::Failed {
                    label: &run.label,
                    error: &error,
                    kept: kept.as_deref(),
                });
            }
        }
    }
    write_curves(&bench, recipe)?;
    Ok(failed)
}

/// Write `curves.json` and `curves.csv` from the complete runs of the folder.
pub fn write_curves(bench: &Path, recipe: &BenchRecipe) -> Result<(), BenchError> {
    let mut points = Vec::new();
    for run in recipe.runs() {
        let path = bench.join(&run.label).join("summary.json");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(summary) = serde_json::from_slice::<Summary>(&bytes) else {
            continue;
        };
        points.push(curves::point(&run.label, &summary));
    }
    if points.is_empty() {
        return Ok(());
    }
    let json = bench.join("curves.json");
    let text = serde_json::to_string_pretty(&points).expect("points serialise") + "\n";
    write_file(&json, text.as_bytes()).map_err(io_err(&json))?;
    let csv = bench.join("curves.csv");
    write_file(&csv, curves::to_csv(&points).as_bytes()).map_err(io_err(&csv))?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn one_run(
    name: &str,
    recipe: &BenchRecipe,
    run: &BenchRun,
    key: &str,
    ctx: &Context,
    rt: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    on_event: &mut dyn FnMut(Event),
) -> Result<(), BenchError> {
    let bench = bench_dir(&ctx.results, name);
    std::fs::create_dir_all(&bench).map_err(io_err(&bench))?;
    clean_stale_tmp(&bench, &run.label);
    let started_unix_s = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let wall = Instant::now();
    let w = &run.workload;
    let requests = workload::requests(w, &ctx.project_root)?;
    let times = workload::schedule(w, &ctx.project_root)?;
    let api_key = match &recipe.server.api_key_env {
        Some(var) => Some(std::env::var(var).map_err(|_| BenchError::NoApiKey(var.clone()))?),
        None => None,
    };
    let port = match recipe.server.kind {
        ServerKind::Url => None,
        _ => Some(server::free_port().map_err(io_err(&bench))?),
    };
    let tmp = bench.join(format!(".tmp-{}-{}", run.label, std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    let launch = launch(recipe, run, ctx, port)?;
    on_event(Event::Starting {
        label: &run.label,
        command: launch.argv.as_deref(),
    });
    let log = tmp.join("server.log");
    let spawned = Instant::now();
    let mut server = match &launch.argv {
        Some(argv) => {
            if recipe.server.kind == ServerKind::Vllm && !Path::new(&argv[0]).is_file() {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(BenchError::NoEnv {
                    env: EnvSpec::new(
                        recipe.server.vllm.clone().unwrap_or_default(),
                        recipe.server.device,
                    )
                    .dir(&ctx.cache),
                    vllm: recipe.server.vllm.clone().unwrap_or_default(),
                    cpu: recipe.server.device == crate::config::machines::Device::Cpu,
                });
            }
            match Server::spawn(
                &argv[0],
                &argv[1..],
                &launch.env,
                &log,
                recipe.server.stop_grace,
                ctx.guard.as_deref(),
            ) {
                Ok(server) => Some(server),
                Err(error) => {
                    let _ = std::fs::remove_dir_all(&tmp);
                    return Err(error.into());
                }
            }
        }
        None => None,
    };
    let mut manifest = RunManifest {
        format: FORMAT,
        benchmark: name,
        label: &run.label,
        key,
        status: "complete",
        error: None,
        params: &run.params,
        model: &run.model,
        server_kind: recipe.server.kind,
        command: launch.argv.as_deref(),
        env: &launch.env,
        base_url: &launch.base_url,
        health_path: None,
        healthy_after_s: None,
        server_stop: None,
        started_unix_s,
        wall_s: 0.0,
        requests: w.requests,
        host: crate::sys::hostname(),
        repro_version: env!("CARGO_PKG_VERSION"),
    };
    let health_started = Instant::now();
    let healthy = rt.block_on(server::wait_healthy(
        client,
        &launch.base_url,
        api_key.as_deref(),
        recipe.server.health_timeout,
        server.as_mut(),
        &ctx.interrupted,
    ));
    let health_path = match healthy {
        Ok(path) => path,
        Err(error) => {
            if let Some(s) = server.as_mut() {
                manifest.server_stop = Some(s.stop());
            }
            if matches!(error, ServerError::Interrupted) {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(BenchError::Interrupted);
            }
            let error = BenchError::Server(error);
            manifest.status = "not_healthy";
            manifest.error = Some(error.to_string());
            manifest.wall_s = wall.elapsed().as_secs_f64();
            keep_failed(&tmp, &bench, &run.label, &manifest);
            return Err(error);
        }
    };
    manifest.health_path = Some(health_path);
    manifest.healthy_after_s = Some(health_started.elapsed().as_secs_f64());
    let mut measured = startup::Measured {
        healthy_after: server.is_some().then(|| spawned.elapsed()),
        load_started_after: None,
    };
    on_event(Event::Healthy {
        label: &run.label,
        after: health_started.elapsed(),
        path: health_path,
    });
    on_event(Event::Loading {
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
    };
    let (plan, offered) = match (&times, w.arrival) {
        (Some(times), arrival) => (
            Plan::Open(times.clone()),
            Offered {
                target_rate: match arrival {
                    Arrival::Trace => {
                        let span = times.last().copied().unwrap_or(0.0);
                        (span > 0.0).then(|| (times.len() - 1) as f64 / span)
                    }
                    _ => w.rate,
                },
                concurrency: None,
            },
        ),
        (None, _) => (
            Plan::Closed {
                concurrency: w.concurrency.unwrap_or(1),
            },
            Offered {
                target_rate: None,
                concurrency: w.concurrency,
            },
        ),
    };
    let sampler = crate::samplers::cpu::CpuSampler::start(crate::samplers::INTERVAL);
    let gpu_sampler = crate::samplers::gpu::GpuSampler::start(crate::samplers::INTERVAL);
    measured.load_started_after = server.is_some().then(|| spawned.elapsed());
    let records = load::run(
        rt,
        client,
        &target,
        requests,
        &plan,
        w.max_duration,
        &ctx.interrupted,
    );
    // Per-core busy %, 10 Hz, during the load (figure 12's sampler); unavailable is a value.
    let cpu = match sampler {
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
    };
    // GPU memory and utilisation during the load (NVML); without a driver, the reason.
    let gpu = match gpu_sampler {
        Ok(sampler) => {
            serde_json::json!({"source": "nvml", "interval_s": crate::samplers::INTERVAL.as_secs_f64(), "samples": sampler.stop()})
        }
        Err(unavailable) => serde_json::json!({"source": "nvml", "unavailable": unavailable}),
    };
    let died = server.as_mut().and_then(|s| s.exited());
    if let Some(s) = server.as_mut() {
        manifest.server_stop = Some(s.stop());
    }
    if ctx.interrupted.load(Ordering::SeqCst) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(BenchError::Interrupted);
    }
    let mut summary = metrics::summarize(&records, recipe.slo.seconds(), offered);
    // The server has stopped: its log is whole.
    summary.startup = Some(startup::startup(
        measured,
        Some(health_path),
        &records,
        launch.argv.is_some().then_some(log.as_path()),
    ));
    write_records(&tmp.join("records.jsonl"), &records)?;
    let summary_path = tmp.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).expect("summary serialises") + "\n";
    write_file(&summary_path, text.as_bytes()).map_err(io_err(&summary_path))?;
    let cdf_path = tmp.join("cdf.json");
    let text =
        serde_json::to_string_pretty(&curves::run_cdfs(&records)).expect("cdfs serialise") + "\n";
    write_file(&cdf_path, text.as_bytes()).map_err(io_err(&cdf_path))?;
    for (name, samples) in [("cpu.json", &cpu), ("gpu.json", &gpu)] {
        let path = tmp.join(name);
        let text = serde_json::to_string(samples).expect("samples serialise") + "\n";
        write_file(&path, text.as_bytes()).map_err(io_err(&path))?;
    }
    manifest.wall_s = wall.elapsed().as_secs_f64();
    if let Some(status) = died {
        let error = BenchError::ServerDied {
            status,
            failed: records.len() - summary.outcomes["ok"],
            requests: records.len(),
            log: bench
                .join(format!("{}.failed", run.label))
                .join("server.log"),
            tail: server::tail(&log, 15),
        };
        manifest.status = "server_died";
        manifest.error = Some(error.to_string());
        keep_failed(&tmp, &bench, &run.label, &manifest);
        return Err(error);
    }
    write_manifest(&tmp, &manifest)?;
    let dir = bench.join(&run.label);
    if dir.exists() {
        let old = bench.join(format!(".old-{}-{}", run.label, std::process::id()));
        std::fs::rename(&dir, &old).map_err(io_err(&dir))?;
        let _ = std::fs::remove_dir_all(&old);
    }
    std::fs::rename(&tmp, &dir).map_err(io_err(&dir))?;
    let _ = std::fs::remove_dir_all(bench.join(format!("{}.failed", run.label)));
    if let Ok(d) = std::fs::File::open(&bench) {
        let _ = d.sync_all();
    }
    on_event(Event::Finished {
        label: &run.label,
        summary: &summary,
        dir: &dir,
    });
    Ok(())
}

/// Write a result file atomically, with the umask's permissions as every other file.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::artifacts::atomic_write(path, bytes)
}

fn write_records(path: &Path, records: &[RequestRecord]) -> Result<(), BenchError> {
    let mut text = Vec::new();
    for r in records {
        serde_json::to_writer(&mut text, r).expect("a record serialises");
        text.write_all(b"\n").expect("writing to memory");
    }
    write_file(path, &text).map_err(io_err(path))
}

fn write_manifest(dir: &Path, manifest: &RunManifest) -> Result<(), BenchError> {
    let path = dir.join("run.json");
    let text = serde_json::to_string_pretty(manifest).expect("manifest serialises") + "\n";
    write_file(&path, text.as_bytes()).map_err(io_err(&path))
}

/// Keep a failed run's folder as `<label>.failed/` (replacing an older one).
fn keep_failed(tmp: &Path, bench: &Path, label: &str, manifest: &RunManifest) {
    let _ = write_manifest(tmp, manifest);
    let failed = bench.join(format!("{label}.failed"));
    let _ = std::fs::remove_dir_all(&failed);
    if std::fs::rename(tmp, &failed).is_err() {
        let _ = std::fs::remove_dir_all(tmp);
    }
}
