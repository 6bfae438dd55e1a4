//! Running a plan: each task not yet done becomes a child process (the engine harness, or the
//! fake engine), its log staged and renamed into place when complete, its manifest (with the
//! hash of every file the run made) written after; failures are kept out of the paper's glob
//! and do not stop the others. A file in a run's way that is not simulated data of this folder
//! is kept under `replaced/`, never overwritten. Progress goes to the shared stream
//! ([`crate::progress`]); the CLI draws it. The tables are the caller's next step (`table`), not the runner's.

pub mod child;
pub mod evict;
pub mod executor;
pub mod fake;
pub mod folder;
pub mod guard;
mod job_env;
pub mod signals;
pub mod slurm;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;

use crate::artifacts::layout::FAILED_DIR;
use crate::artifacts::machine::Disk;
use crate::artifacts::manifest::{
    self, EvictionRecord, Exit, Host, Manifest, RunStatus, SamplerKind, SamplerRecord,
    MANIFEST_SCHEMA,
};
use crate::artifacts::replaced::Replaced;
use crate::artifacts::stage::Staged;
use crate::artifacts::FileRecord;
use crate::env::harness;
use crate::plan::{EngineKind, Plan, Task, TaskState};
use crate::progress::{Event, Progress};
use crate::recipe::matrix::CacheState;
use crate::samplers::{self, cpu::CpuSampler, gpu::GpuSampler};
pub use child::{ChildOutcome, ChildSpec, Ending, Interrupt, Stopped, DEFAULT_GRACE};
pub use executor::{Executor, Local};
use job_env::{compile_cache_dir, harness_env, task_env};

/// How to start the engine.
#[derive(Debug, Clone)]
pub enum Engine {
    /// `<python> engine_harness.py <args>`, one Python per vLLM version.
    Real {
        pythons: HashMap<String, PathBuf>,
        harness: harness::HarnessFiles,
        /// The repro executable, to run the engine under `repro __server-guard`: vLLM's engine
        /// core is a grandchild that the kernel's death signal would not reach.
        guard: Option<PathBuf>,
    },
    /// `<repro> __fake-engine <args>`; `project` is where it reads `models.toml`.
    Fake { exe: PathBuf, project: PathBuf },
}

impl Engine {
    pub fn kind(&self) -> EngineKind {
        match self {
            Engine::Real { .. } => EngineKind::Real,
            Engine::Fake { .. } => EngineKind::Fake,
        }
    }
}

/// Settings of a run that do not change what a run produces.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub fail_fast: bool,
    /// Overrides the recipe's per-run timeout.
    pub timeout: Option<Duration>,
    pub grace: Duration,
    /// Also write /proc/sys/vm/drop_caches before cold runs.
    pub drop_caches: bool,
}

pub use crate::progress::Silent;

/// How one task went.
#[derive(Debug, Clone)]
pub struct TaskResult {
    pub status: RunStatus,
    pub wall: Duration,
    /// Where its log is now.
    pub log: PathBuf,
    pub error: Option<String>,
    /// The last lines of its log, for the failure summary.
    pub tail: Vec<String>,
}

/// What a whole run did.
#[derive(Debug, Default)]
pub struct Summary {
    pub skipped: usize,
    /// Of the skipped: logs present that this folder's runs did not make (kept, not rerun).
    pub foreign: usize,
    pub ok: usize,
    pub failed: Vec<(Task, TaskResult)>,
    /// The run that was stopped by Ctrl-C, if one was (not a failure: rerun to resume).
    pub interrupted_run: Option<(Task, TaskResult)>,
    pub interrupted: bool,
    pub not_started: usize,
    /// Files that were in the way of a run, kept under `replaced/`.
    pub replaced: Vec<PathBuf>,
}

/// An error that stops the whole run (the results folder cannot be written).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot write `{}`: {}", path.display(), crate::sys::problem(source, path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no Python for vLLM {version}: run `repro env setup --vllm {version}`, or pass --python PATH")]
    NoPython { version: String },
}

crate::io_adapter!(fn io_error -> RunError);

/// The child's command and environment for a task.
fn job(
    task: &Task,
    engine: &Engine,
    attempt: u32,
    timeout: Duration,
    grace: Duration,
) -> Result<ChildSpec, RunError> {
    let mut env = task_env(task, attempt);
    let mut launched = match engine {
        Engine::Real {
            pythons,
            harness,
            guard,
        } => {
            let python = pythons.get(&*task.vllm).ok_or_else(|| RunError::NoPython {
                version: task.vllm.to_string(),
            })?;
            env.extend(harness_env(task, harness, attempt));
            let script = vec![harness.harness.clone().into_os_string()];
            guard::Launched::of(guard.as_deref(), grace, python.clone(), script)
        }
        Engine::Fake { exe, project } => {
            env.push((
                "REPRO_PROJECT".into(),
                crate::sys::absolute(project).to_string_lossy().into_owned(),
            ));
            guard::Launched::of(None, grace, exe.clone(), ["__fake-engine".into()])
        }
    };
    launched
        .args
        .extend(task.config.engine_args.iter().map(Into::into));
    Ok(ChildSpec {
        program: launched.program,
        args: launched.args,
        env,
        timeout,
        grace,
        stderr: Some(task.paths.stderr_log()),
        death_signal: launched.death_signal,
    })
}

/// The attempt number of a task's next run: one more than the last run of the same key.
fn next_attempt(task: &Task, previous: Option<&Manifest>) -> u32 {
    previous
        .filter(|m| m.task_key == task.key.0)
        .map_or(1, |m| m.attempt + 1)
}

/// Samplers started beside a run.
struct Samplers {
    cpu: Option<Result<CpuSampler, String>>,
    gpu: Result<GpuSampler, String>,
}

fn start_samplers(task: &Task) -> Samplers {
    Samplers {
        cpu: task
            .paths
            .cpu_samples
            .as_ref()
            .map(|_| CpuSampler::start(samplers::INTERVAL).map_err(|e| e.to_string())),
        gpu: GpuSampler::start(samplers::INTERVAL),
    }
}

/// Stop the samplers and write their files; what each did goes into the manifest.
fn finish_samplers(task: &Task, samplers: Samplers) -> Result<Vec<SamplerRecord>, RunError> {
    let rel = |p: &Path| {
        p.strip_prefix(task.paths.run_dir())
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let mut records = Vec::new();
    if let (Some(sampler), Some(path)) = (samplers.cpu, &task.paths.cpu_samples) {
        records.push(match sampler {
            Ok(sampler) => {
                let samples = sampler.stop();
                crate::artifacts::atomic_write(path, &samples.to_json()).map_err(io_error(path))?;
                SamplerRecord {
                    kind: SamplerKind::Cpu,
                    file: Some(rel(path)),
                    status: "ok".into(),
                }
            }
            Err(why) => SamplerRecord {
                kind: SamplerKind::Cpu,
                file: None,
                status: why,
            },
        });
    }
    let path = &task.paths.gpu_samples();
    records.push(match samplers.gpu {
        Ok(sampler) => {
            let json = serde_json::to_vec(&sampler.stop()).expect("samples serialise");
            crate::artifacts::atomic_write(path, &json).map_err(io_error(path))?;
            SamplerRecord {
                kind: SamplerKind::Gpu,
                file: Some(rel(path)),
                status: "ok".into(),
            }
        }
        Err(why) => SamplerRecord {
            kind: SamplerKind::Gpu,
            file: None,
            status: why,
        },
    });
    Ok(records)
}

/// What stays the same for every task of a run.
struct Context<'a> {
    engine: &'a Engine,
    options: &'a RunOptions,
    timeout: Duration,
    host: Host,
    /// Per vLLM version: the Python and PyTorch of its environment.
    software: HashMap<String, (Option<String>, Option<String>)>,
    /// Per model folder, its disk: looked up once, not once a run.
    disks: std::sync::Mutex<HashMap<PathBuf, Option<Disk>>>,
}

impl<'a> Context<'a> {
    /// The context of a run of `plan`: its timeout, and this host as the manifests record it.
    fn of(plan: &Plan, engine: &'a Engine, options: &'a RunOptions) -> Self {
        Context {
            engine,
            options,
            timeout: options.timeout.unwrap_or(plan.timeout),
            host: Host::here(),
            software: software_of(engine),
            disks: Default::default(),
        }
    }

    /// This host as `task`'s manifest records it: with the disk its model is read from and
    /// the Python and PyTorch of its environment.
    fn host_of(&self, task: &Task) -> Host {
        let mut host = self.host.clone();
        if let Some(machine) = &mut host.machine {
            machine.model_disk = task.config.model_dir.as_deref().and_then(|dir| {
                let mut disks = self.disks.lock().unwrap_or_else(|e| e.into_inner());
                disks
                    .entry(dir.to_path_buf())
                    .or_insert_with(|| Disk::of(dir))
                    .clone()
            });
            if let Some((python, torch)) = self.software.get(&*task.vllm) {
                (machine.python, machine.torch) = (python.clone(), torch.clone());
            }
        }
        host
    }
}

/// The Python and PyTorch versions of each environment the engine runs, from their manifests.
fn software_of(engine: &Engine) -> HashMap<String, (Option<String>, Option<String>)> {
    let Engine::Real { pythons, .. } = engine else {
        return HashMap::new();
    };
    pythons
        .iter()
        .map(|(vllm, python)| {
            let env = crate::env::setup::EnvManifest::of_python(python);
            let versions = env.map_or((None, None), |m| {
                let torch = m.package_version("torch").map(str::to_string);
                (Some(m.python_version().to_string()), torch)
            });
            (vllm.clone(), versions)
        })
        .collect()
}

impl Summary {
    /// Count a finished run by how it went; its status back.
    fn count(&mut self, task: &Task, result: TaskResult) -> RunStatus {
        let status = result.status;
        match status {
            RunStatus::Ok => self.ok += 1,
            RunStatus::Interrupted => self.interrupted_run = Some((task.clone(), result)),
            _ => self.failed.push((task.clone(), result)),
        }
        status
    }
}

/// Make way for a task's run: a log already where the run will put its own is kept under
/// `replaced/` (with its manifest), unless it is a fake-engine run made by this folder's
/// manifest — simulated data the same command makes again. Real measurements and data repro
/// did not make are never overwritten.
fn make_way(
    task: &Task,
    previous: Option<&Manifest>,
    replaced: &mut Replaced,
) -> Result<(), RunError> {
    let log = &task.paths.log;
    if !log.is_file() {
        return Ok(());
    }
    let regenerable = previous.is_some_and(|m| {
        m.key_inputs.engine() == EngineKind::Fake
            && m.accounts_for(task.paths.run_dir(), task.paths.log_name())
    });
    if regenerable {
        return Ok(());
    }
    replaced.keep(log).map_err(io_error(log))?;
    let manifest = task.paths.manifest();
    if manifest.is_file() {
        replaced.copy(&manifest).map_err(io_error(&manifest))?;
    }
    Ok(())
}

/// The records of the files a run made, relative to its run folder: the log (where it ended
/// up), its stderr, the samplers' files.
fn made_files(
    task: &Task,
    log: &Path,
    samplers: &[SamplerRecord],
) -> Result<Vec<FileRecord>, RunError> {
    let run_dir = &task.paths.run_dir();
    let rel = |p: &Path| {
        p.strip_prefix(run_dir)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let mut names = vec![rel(log)];
    if task.paths.stderr_log().is_file() {
        names.push(rel(&task.paths.stderr_log()));
    }
    names.extend(samplers.iter().filter_map(|s| s.file.clone()));
    names
        .iter()
        .map(|name| FileRecord::of(run_dir, name).map_err(io_error(&run_dir.join(name))))
        .collect()
}

/// After a successful run, the logs of its earlier failed attempts are history, not results.
fn clear_failed_attempts(task: &Task) {
    let failed = task.paths.failed_log();
    let _ = std::fs::remove_file(&failed);
    let _ =
        std::fs::remove_file(failed.with_file_name(format!("{}.previous", task.paths.log_name())));
    if let Some(dir) = failed.parent() {
        // Only when empty: other runs of the folder may have failed too.
        let _ = std::fs::remove_dir(dir);
    }
}

/// What runs a task's child, and where its lines and Ctrl-C come from.
struct Runner<'a> {
    executor: &'a mut dyn Executor,
    progress: &'a dyn Progress,
    interrupt: &'a Interrupt,
}

/// Run one task: evict, sample, run, stage the log, record the manifest.
fn run_task(
    ctx: &Context<'_>,
    task: &Task,
    estimate: Option<f64>,
    previous: Option<&Manifest>,
    replaced: &mut Replaced,
    runner: &mut Runner<'_>,
) -> Result<TaskResult, RunError> {
    let paths = &task.paths;
    let attempt = next_attempt(task, previous);
    make_way(task, previous, replaced)?;
    let started = manifest::now_rfc3339();
    let spec = job(task, ctx.engine, attempt, ctx.timeout, ctx.options.grace)?;
    let log_name = paths
        .log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staged = Staged::new(paths.run_dir(), &log_name).map_err(io_error(&paths.run_dir()))?;

    let (eviction, mut error) = evict_first(ctx, task);
    let (outcome, samplers) = if error.is_none() {
        let (outcome, records) = run_sampled(ctx, task, attempt, &spec, &staged, runner)?;
        // A child that could not be run has no outcome: why not is the run's error.
        (outcome.map_err(|why| error = Some(why)).ok(), records)
    } else {
        (None, vec![])
    };

    let status = status_of(outcome.as_ref());
    if let (Some(o), None) = (&outcome, &error) {
        error = why_not_ok(status, o.ending, ctx.timeout);
    }
    let log = put_log(task, staged, status, &log_name)?;
    let wall = outcome.as_ref().map_or(Duration::ZERO, |o| o.wall);
    let exit = exit_of(outcome.as_ref().map(|o| o.ending));
    let files = made_files(task, &log, &samplers)?;
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA,
        status,
        task_key: task.key.0.clone(),
        key_inputs: task.inputs(),
        attempt,
        log: log
            .strip_prefix(paths.run_dir())
            .unwrap_or(&log)
            .to_string_lossy()
            .into_owned(),
        command: runner.executor.command_line(&spec),
        env: spec.env.iter().cloned().collect::<IndexMap<_, _>>(),
        exit,
        wall_s: wall.as_secs_f64(),
        estimate_s: estimate,
        started,
        ended: manifest::now_rfc3339(),
        host: ctx.host_of(task),
        vllm: task.vllm.to_string(),
        patch_hash: task.config.key.patch_hash.clone(),
        repro_version: env!("CARGO_PKG_VERSION").into(),
        samplers,
        eviction,
        error: error.clone(),
        files: Some(files),
    };
    manifest
        .write(&paths.manifest())
        .map_err(io_error(&paths.manifest()))?;
    Ok(TaskResult {
        status,
        wall,
        tail: failure_tail(task, status, &log),
        log,
        error,
    })
}

/// Run the task's child into its staged log, the samplers beside it: how it went (or why it
/// could not be run) and the samplers' records. A cold run's compile caches go after it.
fn run_sampled(
    ctx: &Context<'_>,
    task: &Task,
    attempt: u32,
    spec: &ChildSpec,
    staged: &Staged,
    runner: &mut Runner<'_>,
) -> Result<(Result<ChildOutcome, String>, Vec<SamplerRecord>), RunError> {
    let samplers = start_samplers(task);
    let log = staged.file().try_clone().map_err(io_error(staged.path()))?;
    let progress = runner.progress;
    let mut on_line = |line: &str| progress.event(Event::RunLine(line));
    let outcome = runner
        .executor
        .run(spec, log, &mut on_line, runner.interrupt);
    let records = finish_samplers(task, samplers)?;
    drop_cold_caches(ctx, task, attempt);
    Ok((outcome.map_err(|e| e.to_string()), records))
}

/// The last lines of a run that is not ok, for the failure summary (none for an ok one).
fn failure_tail(task: &Task, status: RunStatus, log: &Path) -> Vec<String> {
    if status == RunStatus::Ok {
        return vec![];
    }
    // A Python traceback lands on stderr; the log shows how far the engine got.
    let mut lines = crate::artifacts::tail_lines(log, 4);
    lines.extend(crate::artifacts::tail_lines(&task.paths.stderr_log(), 8));
    lines
}

/// Evict the model's files from the page cache where the task asks: the record, or why not.
fn evict_first(ctx: &Context<'_>, task: &Task) -> (Option<EvictionRecord>, Option<String>) {
    let evict_dir = task.config.model_dir.as_ref().filter(|dir| {
        // The fake engine reads no model files: without a model folder there is nothing to evict.
        task.config.key.evict_page_cache && (ctx.engine.kind() != EngineKind::Fake || dir.exists())
    });
    match evict_dir.map(|dir| evict::evict(dir, ctx.options.drop_caches)) {
        None => (None, None),
        Some(Ok(record)) => (Some(record), None),
        Some(Err(e)) => (None, Some(format!("page-cache eviction: {e}"))),
    }
}

/// A cold run's compile caches are its own: what it compiled goes with it.
fn drop_cold_caches(ctx: &Context<'_>, task: &Task, attempt: u32) {
    if let (Some(CacheState::Cold), Engine::Real { harness, .. }) =
        (task.combination_cache(), ctx.engine)
    {
        if let Some(dir) = compile_cache_dir(task, &harness.cache, attempt) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// How a run ended, from its child's outcome (none: it never started).
fn status_of(outcome: Option<&ChildOutcome>) -> RunStatus {
    match outcome {
        Some(o) if o.succeeded() => RunStatus::Ok,
        Some(o) if o.stopped == Stopped::TimedOut => RunStatus::TimedOut,
        Some(o) if o.stopped == Stopped::Interrupted => RunStatus::Interrupted,
        _ => RunStatus::Failed,
    }
}

/// Why a run that started is not ok, in words.
fn why_not_ok(status: RunStatus, ending: Ending, timeout: Duration) -> Option<String> {
    match (status, ending) {
        (RunStatus::Ok, _) => None,
        (RunStatus::TimedOut, _) => Some(format!("timed out after {timeout:?}")),
        (RunStatus::Interrupted, _) => Some("stopped by Ctrl-C".into()),
        (_, Ending::Exited(code)) => Some(format!("exited with code {code}")),
        (_, Ending::Signaled(sig)) => Some(format!("killed by signal {sig}")),
    }
}

/// Rename the staged log into place: the run's log when ok, else its `failed/` copy (an older
/// log in the glob, which no longer matches the manifest about to be written, goes there too).
fn put_log(
    task: &Task,
    staged: Staged,
    status: RunStatus,
    log_name: &str,
) -> Result<PathBuf, RunError> {
    let paths = &task.paths;
    if status == RunStatus::Ok {
        staged.commit(&paths.log).map_err(io_error(&paths.log))?;
        clear_failed_attempts(task);
        return Ok(paths.log.clone());
    }
    if paths.log.is_file() {
        let previous = paths
            .run_dir()
            .join(FAILED_DIR)
            .join(format!("{log_name}.previous"));
        crate::artifacts::stage::move_into_place(&paths.log, &previous)
            .map_err(io_error(&paths.log))?;
    }
    staged
        .commit(&paths.failed_log())
        .map_err(io_error(&paths.failed_log()))?;
    Ok(paths.failed_log())
}

/// The child's exit as the manifest records it.
fn exit_of(ending: Option<Ending>) -> Exit {
    match ending {
        Some(Ending::Exited(code)) => Exit {
            code: Some(code),
            signal: None,
        },
        Some(Ending::Signaled(sig)) => Exit {
            code: None,
            signal: Some(sig),
        },
        None => Exit {
            code: None,
            signal: None,
        },
    }
}

/// A plan to run: each task's state (read once) and estimated wall time.
#[derive(Clone, Copy)]
pub struct PlanRun<'a> {
    pub plan: &'a Plan,
    pub states: &'a [(TaskState, Option<Box<Manifest>>)],
    pub estimates: &'a [Option<f64>],
}

/// Run every task of `plan` that is not done (per `states`), recording each one's estimate
/// (`estimates`, by task) beside its wall time. Stops early on Ctrl-C (and on the first
/// failure with `fail_fast`).
pub fn execute(
    run: &PlanRun<'_>,
    engine: &Engine,
    options: &RunOptions,
    executor: &mut dyn Executor,
    progress: &dyn Progress,
    interrupt: &Interrupt,
) -> Result<Summary, RunError> {
    let PlanRun {
        plan,
        states,
        estimates,
    } = *run;
    let ctx = Context::of(plan, engine, options);
    let mut runner = Runner {
        executor,
        progress,
        interrupt,
    };
    let mut summary = Summary::default();
    let to_run: Vec<usize> = (0..plan.tasks.len())
        .filter(|i| states[*i].0.runs())
        .collect();
    summary.skipped = plan.tasks.len() - to_run.len();
    summary.foreign = states
        .iter()
        .filter(|(s, _)| matches!(s, TaskState::Foreign(_)))
        .count();
    let mut replaced = Replaced::new(&plan.results);
    for (position, &index) in to_run.iter().enumerate() {
        if interrupt.count() > 0 {
            summary.interrupted = true;
            summary.not_started = to_run.len() - position;
            break;
        }
        let task = &plan.tasks[index];
        let previous = states[index].1.as_deref();
        progress.event(Event::RunStarted {
            position: position + 1,
            total: to_run.len(),
            what: &task.describe(),
            attempt: next_attempt(task, previous),
        });
        let result = run_task(
            &ctx,
            task,
            estimates.get(index).copied().flatten(),
            previous,
            &mut replaced,
            &mut runner,
        );
        summary.replaced = replaced.kept().to_vec();
        let result = result?;
        progress.event(Event::RunFinished {
            ok: result.status == RunStatus::Ok,
            status: result.status.as_str(),
            error: result.error.as_deref(),
            wall: result.wall,
        });
        let status = summary.count(task, result);
        if status == RunStatus::Interrupted || interrupt.count() > 0 {
            summary.interrupted = true;
            summary.not_started = to_run.len() - position - 1;
            break;
        }
        if options.fail_fast && status != RunStatus::Ok {
            summary.not_started = to_run.len() - position - 1;
            break;
        }
    }
    Ok(summary)
}
