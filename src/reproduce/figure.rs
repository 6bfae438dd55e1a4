//! `repro figure`'s operation: a figure recipe's runs planned once (with the keys they will
//! have after preparation: the patches the environment will carry, the models as they will
//! be), their preparation done, what is not done run under the results lock, and the tables
//! written. The command resolves its arguments into a [`FigureRequest`] and prints what a
//! [`Reporter`] is told.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::artifacts::derived::Policy;
use crate::artifacts::lock::LockError;
use crate::artifacts::manifest::Manifest;
use crate::config::machines::Device;
use crate::config::Models;
use crate::env::harness;
use crate::env::setup::{self, EnvManifest};
use crate::env::EnvSpec;
use crate::estimate::{Estimator, PlanEstimate};
use crate::models::ModelError;
use crate::plan::guard::Clash;
use crate::plan::prepare::{self as prepare_plan, PrepareRequest, Prepared, StepState};
use crate::plan::{self, EngineKind, Plan, PlanError, PlanRequest, TaskState};
use crate::progress::Progress;
use crate::project::Project;
use crate::recipe::{Layout, Recipe, SplitKind};
use crate::run::{self, Engine, Interrupt, Local, RunError, RunOptions, Summary};
use crate::table::{TableError, WriteReport};

use super::prepare::{self, PrepareError};

/// Why a figure's runs could not be planned, prepared or run.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    #[error("planning `{id}`")]
    Plan {
        id: String,
        #[source]
        source: PlanError,
    },
    #[error("`{folder}` is split by {split}, not by {asked}: pass --{split} <I>")]
    WrongSplit {
        folder: String,
        split: &'static str,
        asked: &'static str,
    },
    #[error(transparent)]
    Models(#[from] ModelError),
    #[error(
        "fake-engine runs and real data are never mixed in one figure, and nothing ran:\n{}\n{}",
        .0.iter().map(|c| format!("  {c}")).collect::<Vec<_>>().join("\n"),
        clash_way_out(false)
    )]
    Clashes(Vec<Clash>),
    #[error("no Python for vLLM {version} (looked for `{}`): run `repro env setup --vllm {version}{}`, or pass --python PATH (or try --engine fake)", python.display(), if *device == Device::Cpu { " --device cpu" } else { "" })]
    NoPython {
        version: String,
        python: PathBuf,
        device: Device,
    },
    #[error("no NVIDIA GPU is visible here (check CUDA_VISIBLE_DEVICES): run on a GPU machine (--on MACHINE), with vLLM's CPU build (--device cpu), or with --engine fake")]
    NoGpuVisible,
    #[error("this machine has no usable NVIDIA GPU ({0}): run on a GPU machine (--on MACHINE), with vLLM's CPU build (--device cpu), or with --engine fake")]
    NoGpu(String),
    #[error("resolving `{}`", path.display())]
    Resolve {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the engine harness under `{}`", cache.display())]
    Harness {
        cache: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cleaning `{}`", folder.display())]
    Clean {
        folder: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("moving `{}` aside", folder.display())]
    MoveAside {
        folder: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("installing the Ctrl-C handler")]
    Interrupt(#[source] ctrlc::Error),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// What `repro figure` was asked, resolved from the command line and the project.
pub struct FigureRequest {
    /// `(name, recipe)`: one, or every recipe for `all`.
    pub recipes: Vec<(String, Recipe)>,
    pub all: bool,
    /// `--gpu I`, `--cpu I`, `--case I`.
    pub part: Option<(SplitKind, u32)>,
    pub engine: EngineKind,
    pub device: Device,
    pub results: PathBuf,
    pub models_dir: PathBuf,
    pub iterations: Option<u32>,
    pub only_models: Vec<String>,
    /// `--vllm`: only the runs of these versions.
    pub only_vllm: Vec<String>,
    /// `VLLM_CPU_KVCACHE_SPACE` for vLLM's CPU build.
    pub kv_cache_gib: u32,
    /// `--python`: the runs use it instead of repro's environments.
    pub python: Option<PathBuf>,
    /// Set up environments and make models first (not `--no-prepare`; the real engine only).
    pub prepare: bool,
    pub force: bool,
    pub run: RunOptions,
    pub project_root: PathBuf,
    pub cache: PathBuf,
}

/// Each task's state, read once per plan.
pub type States = Vec<(TaskState, Option<Box<Manifest>>)>;

/// Each plan's estimate: the plan's total, and each task's (`None` where it is done).
pub type Estimates = Vec<(PlanEstimate, Vec<Option<f64>>)>;

impl FigureRequest {
    /// The part of `recipe` to plan; `None` in the outer option skips the recipe (`all` only).
    fn part_of(&self, recipe: &Recipe) -> Result<Option<Option<u32>>, FigureError> {
        match (&recipe.split, self.part) {
            (None, None) => Ok(Some(None)),
            (None, Some(_)) if self.all => Ok(Some(None)),
            // The planner says the figure is not split.
            (None, Some((_, index))) => Ok(Some(Some(index))),
            (Some(split), Some((kind, index))) if split.kind == kind => Ok(Some(Some(index))),
            (Some(_), _) if self.all => Ok(None),
            (Some(split), Some((kind, _))) => Err(FigureError::WrongSplit {
                folder: recipe.folder.clone(),
                split: split.kind.as_str(),
                asked: kind.as_str(),
            }),
            (Some(_), None) => Ok(Some(None)),
        }
    }

    /// How a split recipe is run, and where each part runs (machines.toml):
    /// `split by gpu; pass --gpu <I> to run a part: --gpu 0 on n1, --gpu 1 on n2`.
    pub fn split_parts(&self, recipe: &Recipe) -> String {
        let Some(split) = &recipe.split else {
            return "not split".into();
        };
        let kind = split.kind.as_str();
        let mut text = format!("split by {kind}; pass --{kind} <I> to run a part");
        let Ok(machines) = Project::new(&self.project_root).machines() else {
            return text;
        };
        let parts: Vec<String> = split
            .parts
            .iter()
            .map(|part| {
                let name = format!("{}/{kind}{}", recipe.folder, part.index);
                match machines.runner_of(&name) {
                    Some((machine, _)) => format!("--{kind} {} on {machine}", part.index),
                    None => format!("--{kind} {}", part.index),
                }
            })
            .collect();
        text += &format!(": {}", parts.join(", "));
        text
    }

    /// Every recipe's plan, made once: the keys are those the runs will have once the
    /// environments are set up (their patches) and the models are there. A recipe this part
    /// does not belong to (`all` only) is passed to `skipped` with how it is split.
    pub fn plans(
        &self,
        models: &Models,
        skipped: &mut dyn FnMut(&str, String),
    ) -> Result<Vec<Plan>, FigureError> {
        let mut plans = Vec::new();
        for (id, recipe) in &self.recipes {
            let Some(part) = self.part_of(recipe)? else {
                skipped(id, self.split_parts(recipe));
                continue;
            };
            let request = PlanRequest {
                recipe,
                models,
                results: &self.results,
                part,
                engine: self.engine,
                iterations: self.iterations,
                models_dir: &self.models_dir,
                patch_hash: self.patch_hash(recipe),
                device: self.device,
                only_models: &self.only_models,
                only_vllm: &self.only_vllm,
                cpu_kv_cache_gib: self.kv_cache_gib,
            };
            let plan = plan::plan(&request).map_err(|source| FigureError::Plan {
                id: id.clone(),
                source,
            })?;
            plans.push(plan);
        }
        Ok(plans)
    }

    /// The hash of the profiling patches of the environment the runs use — as it is, or as
    /// `env setup` will make it where it is missing or was made from an older recipe — so a
    /// run made before the patches changed is stale.
    fn patch_hash(&self, recipe: &Recipe) -> Option<String> {
        if self.engine != EngineKind::Real || self.python.is_some() {
            return None;
        }
        let [version] = recipe.run.vllm.list()[..] else {
            return None;
        };
        let spec = EnvSpec::new(version, self.device);
        let manifest = EnvManifest::read(&spec.dir(&self.cache));
        let current = manifest.as_ref().is_some_and(|m| {
            setup::recipe_id(&spec, &self.project_root)
                .is_ok_and(|recipe| setup::is_current(m, &spec, &recipe))
        });
        match manifest {
            Some(m) if current || !self.prepare => m.patch_hash,
            _ if self.prepare => crate::patch::PatchSet::load(&self.project_root, version)
                .ok()
                .map(|set| set.hash()),
            _ => None,
        }
    }

    /// The preparation steps the plans need (none with the fake engine, or `--no-prepare`).
    pub fn preparation(
        &self,
        models: &Models,
        plans: &[Plan],
    ) -> Result<Vec<Prepared>, FigureError> {
        if !self.prepare {
            return Ok(vec![]);
        }
        Ok(prepare_plan::steps(&PrepareRequest {
            plans,
            models,
            models_dir: &self.models_dir,
            cache: &self.cache,
            project_root: &self.project_root,
            device: self.device,
            envs: self.python.is_none(),
            model_files: true,
        })?)
    }

    /// The Python of each vLLM version the runs to make need: `--python`, else the environment
    /// `repro env setup` made. A missing one is an error before any run; versions of tasks that
    /// are done (or kept) need none.
    fn pythons(
        &self,
        plans: &[Plan],
        states: &[States],
    ) -> Result<HashMap<String, PathBuf>, FigureError> {
        let mut found = HashMap::new();
        let to_run = plans.iter().zip(states).flat_map(|(plan, states)| {
            plan.tasks
                .iter()
                .zip(states)
                .filter(|(_, (state, _))| state.runs())
                .map(|(task, _)| task)
        });
        for task in to_run {
            let version = &*task.vllm;
            if found.contains_key(version) {
                continue;
            }
            let python = match &self.python {
                Some(python) => crate::sys::absolute(python),
                None => EnvSpec::new(version, self.device).python(&self.cache),
            };
            if !python.exists() {
                return Err(FigureError::NoPython {
                    version: version.to_string(),
                    python,
                    device: self.device,
                });
            }
            found.insert(version.to_string(), python);
        }
        Ok(found)
    }

    /// The engine the runs use; `exe` is repro's own binary (the fake engine, the guard).
    fn engine(
        &self,
        plans: &[Plan],
        states: &[States],
        exe: PathBuf,
    ) -> Result<Engine, FigureError> {
        let root =
            std::path::absolute(&self.project_root).map_err(|source| FigureError::Resolve {
                path: self.project_root.clone(),
                source,
            })?;
        Ok(match self.engine {
            EngineKind::Fake => Engine::Fake { exe, project: root },
            EngineKind::Real => {
                let cache = crate::env::cache_dir(&root);
                let harness = harness::install(&cache)
                    .map_err(|source| FigureError::Harness { cache, source })?;
                Engine::Real {
                    pythons: self.pythons(plans, states)?,
                    harness,
                    guard: Some(exe),
                }
            }
        })
    }

    /// Each plan's runs estimated: the plan's total, and each task's (`None` where it is done).
    pub fn estimate(&self, models: &Models, plans: &[Plan], states: &[States]) -> Estimates {
        let estimator = Estimator::new(&self.results, models);
        plans
            .iter()
            .zip(states)
            .map(|(plan, states)| {
                let runs: Vec<bool> = states.iter().map(|(s, _)| s.runs()).collect();
                estimator.plan(plan, &runs, models)
            })
            .collect()
    }
}

/// The sum of the plans' estimates.
pub fn total(estimates: &Estimates) -> PlanEstimate {
    let mut total = PlanEstimate::default();
    for (plan, _) in estimates {
        total.add(plan);
    }
    total
}

/// `figure-10/gpu1` for a split part, `figure-2` otherwise.
pub fn part_name(plan: &Plan) -> String {
    match plan.tasks.first().and_then(|t| t.config.key.part.clone()) {
        Some(part) if plan.groups.first().is_some_and(|g| g.part.is_some()) => {
            format!("{}/{part}", plan.figure)
        }
        _ => plan.figure.clone(),
    }
}

/// How to get past a fake/real clash.
pub fn clash_way_out(forced: bool) -> &'static str {
    if forced {
        "--force moves that folder to `replaced/` first, then runs"
    } else {
        "hint: use another results folder (`--results DIR`), or pass --force to move that folder to `<results>/replaced/` (nothing is deleted) and run"
    }
}

/// A real run on the GPU needs one: said before anything is set up or downloaded.
pub fn check_gpu(device: Device) -> Result<(), FigureError> {
    use crate::samplers::gpu::{inventory, GpuInventory};
    if device != Device::Gpu {
        return Ok(());
    }
    match inventory() {
        GpuInventory::Available { devices, .. } if !devices.is_empty() => Ok(()),
        GpuInventory::Available { .. } => Err(FigureError::NoGpuVisible),
        GpuInventory::Unavailable(why) => Err(FigureError::NoGpu(
            why.trim_start_matches("unavailable: ").to_string(),
        )),
    }
}

/// What a figure run tells the one who started it, as it happens.
pub trait Reporter {
    /// The runs' progress (and the environments' set-up steps).
    fn progress(&self) -> &dyn Progress;
    /// The models' downloads.
    fn downloads(&self) -> &dyn Progress;
    /// The estimate of the runs to make, before the first.
    fn estimate(&self, total: &PlanEstimate);
    /// `--force` over a clash moved a folder of the other kind of data aside.
    fn moved_aside(&self, clash: &Clash, kept: &Path);
    /// What killed runs left was removed (`count` files).
    fn removed_leftovers(&self, count: usize);
    /// A table is partial, or one repro did not write was kept.
    fn warning(&self, text: &str);
    /// A plan's runs ended, and its tables were written.
    fn plan_done(&self, plan: &Plan, summary: &Summary, tables: &WriteReport);
}

/// How the runs ended.
#[derive(Default)]
pub struct Outcome {
    pub failed: Vec<(plan::Task, run::TaskResult)>,
    pub interrupted: bool,
}

/// The plans to run, as planned and prepared by a [`FigureRequest`].
pub struct Figures<'a> {
    pub request: &'a FigureRequest,
    pub models: &'a Models,
    pub plans: &'a [Plan],
    pub clashes: &'a [Clash],
    pub steps: &'a [Prepared],
}

/// Run what is not done of every plan, under the results lock: clashes moved aside
/// (`--force`), the preparation done, leftovers of killed runs removed, each plan's runs made
/// and its tables written. `exe` is repro's own binary; Ctrl-C is caught from the first run on
/// (`catch_interrupt`: until then it ends repro, the preparation included).
pub fn run_figures(
    figures: &Figures<'_>,
    exe: PathBuf,
    catch_interrupt: impl FnOnce() -> Result<Interrupt, ctrlc::Error>,
    reporter: &dyn Reporter,
) -> Result<Outcome, FigureError> {
    let request = figures.request;
    if !figures.clashes.is_empty() && !request.force {
        return Err(FigureError::Clashes(figures.clashes.to_vec()));
    }
    let _lock = crate::artifacts::lock::lock(&request.results)?;
    set_aside_clashes(figures.clashes, &request.results, reporter)?;
    let states: Vec<States> = figures
        .plans
        .iter()
        .map(|p| p.states(request.force))
        .collect();
    let estimates = request.estimate(figures.models, figures.plans, &states);
    if states.iter().flatten().any(|(s, _)| s.runs()) {
        reporter.estimate(&total(&estimates));
        prepare_to_run(figures, reporter)?;
    }
    let engine = request.engine(figures.plans, &states, exe)?;
    remove_leftovers(figures.plans, &request.results, reporter)?;
    let interrupt = catch_interrupt().map_err(FigureError::Interrupt)?;
    let mut outcome = Outcome::default();
    for ((plan, states), (_, estimates)) in figures.plans.iter().zip(&states).zip(&estimates) {
        let plan_run = run::PlanRun {
            plan,
            states,
            estimates,
        };
        let summary = run::execute(
            &plan_run,
            &engine,
            &request.run,
            &mut Local,
            reporter.progress(),
            &interrupt,
        )?;
        let tables = write_tables(plan, reporter)?;
        reporter.plan_done(plan, &summary, &tables);
        outcome.failed.extend(summary.failed);
        if summary.interrupted {
            outcome.interrupted = true;
            break;
        }
        if request.run.fail_fast && !outcome.failed.is_empty() {
            break;
        }
    }
    Ok(outcome)
}

/// Before the first run: a GPU where the real engine needs one, and the preparation steps
/// not done yet.
fn prepare_to_run(figures: &Figures<'_>, reporter: &dyn Reporter) -> Result<(), FigureError> {
    let request = figures.request;
    if request.engine == EngineKind::Real && request.python.is_none() {
        check_gpu(request.device)?;
    }
    if figures
        .steps
        .iter()
        .all(|s| matches!(s.state, StepState::Done(_)))
    {
        return Ok(());
    }
    let inputs = prepare::Inputs {
        models: figures.models,
        models_dir: &request.models_dir,
        cache: request.cache.clone(),
        kv_cache_gib: request.kv_cache_gib,
        python: request.python.clone(),
        project_root: request.project_root.clone(),
    };
    prepare::run(
        figures.steps,
        &inputs,
        reporter.progress(),
        reporter.downloads(),
    )?;
    Ok(())
}

/// Delete what killed runs left; safe while we hold the lock.
fn remove_leftovers(
    plans: &[Plan],
    results: &Path,
    reporter: &dyn Reporter,
) -> Result<(), FigureError> {
    for plan in plans {
        let folder = results.join(&plan.figure);
        let removed = crate::artifacts::stage::remove_leftovers(&folder)
            .map_err(|source| FigureError::Clean { folder, source })?;
        if !removed.is_empty() {
            reporter.removed_leftovers(removed.len());
        }
    }
    Ok(())
}

/// `--force` over a clash: each figure folder of the other kind is moved under `replaced/`, so
/// the figure is made from one kind of data only.
fn set_aside_clashes(
    clashes: &[Clash],
    results: &Path,
    reporter: &dyn Reporter,
) -> Result<(), FigureError> {
    if clashes.is_empty() {
        return Ok(());
    }
    let mut replaced = crate::artifacts::replaced::Replaced::new(results);
    for clash in clashes {
        let kept = replaced
            .keep(&clash.folder)
            .map_err(|source| FigureError::MoveAside {
                folder: clash.folder.clone(),
                source,
            })?;
        reporter.moved_aside(clash, &kept);
    }
    Ok(())
}

/// The paper's `compare_logs.py` + `avg_results.py` for each group of the plan that has run
/// folders; tables repro did not write are left as they are (and named).
fn write_tables(plan: &Plan, reporter: &dyn Reporter) -> Result<WriteReport, FigureError> {
    let mut report = WriteReport::default();
    for group in plan.groups.iter().filter(|g| g.layout == Layout::Paper) {
        let has_runs = std::fs::read_dir(group.dir.join("iterations"))
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        if !has_runs {
            continue;
        }
        let table = crate::table::group_table(&group.dir, group.label_order.as_deref())?;
        for run in &table.runs {
            for log in &run.incomplete {
                reporter.warning(&format!(
                    "`{}` is incomplete ({}): its numbers are partial, and its tables say so",
                    run.dir.join(&log.label).display(),
                    log.reason
                ));
            }
        }
        let mut policy = Policy {
            replace_foreign: None,
        };
        report.extend(crate::table::write_group(&table, &mut policy)?);
    }
    for path in &report.kept_foreign {
        reporter.warning(&format!(
            "kept `{}`: it holds a table repro did not write, other than the one its logs give (`repro table --force` replaces it, keeping the old file under `replaced/`)",
            path.display()
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request for `recipes` (built-in ids) in an empty project and results folder.
    fn request(root: &Path, ids: &[&str], part: Option<(SplitKind, u32)>) -> FigureRequest {
        let project = Project::new(root);
        FigureRequest {
            recipes: ids
                .iter()
                .map(|id| {
                    let named = project.named_recipe(id).unwrap();
                    (named.name, named.recipe)
                })
                .collect(),
            all: ids.len() > 1,
            part,
            engine: EngineKind::Fake,
            device: Device::Gpu,
            results: root.join("results"),
            models_dir: root.join("models"),
            iterations: Some(1),
            only_models: vec![],
            only_vllm: vec![],
            kv_cache_gib: 4,
            python: None,
            prepare: false,
            force: false,
            run: RunOptions {
                fail_fast: false,
                timeout: None,
                grace: crate::run::DEFAULT_GRACE,
                drop_caches: false,
            },
            project_root: root.to_path_buf(),
            cache: root.join(".cache"),
        }
    }

    #[test]
    fn a_split_recipe_takes_its_own_kind_of_part_and_all_skips_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let models = Project::new(dir.path()).models().unwrap();
        let wrong = request(dir.path(), &["10"], Some((SplitKind::Case, 0)));
        let e = wrong
            .plans(&models, &mut |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("is split by gpu, not by case: pass --gpu <I>"),
            "{e}"
        );
        let gpu1 = request(dir.path(), &["10"], Some((SplitKind::Gpu, 1)));
        let plans = gpu1.plans(&models, &mut |_, _| {}).unwrap();
        assert_eq!(part_name(&plans[0]), "figure-10/gpu1");
        let mut skipped = Vec::new();
        let all = request(dir.path(), &["2", "13"], Some((SplitKind::Gpu, 1)));
        let plans = all
            .plans(&models, &mut |id, why| skipped.push(format!("{id}: {why}")))
            .unwrap();
        assert_eq!(plans.len(), 1);
        assert_eq!(part_name(&plans[0]), "figure-2");
        assert_eq!(skipped.len(), 1);
        assert!(
            skipped[0].starts_with("13: split by case; pass --case <I> to run a part"),
            "{skipped:?}"
        );
    }

    #[test]
    fn the_fake_engine_needs_no_preparation_and_estimates_every_run() {
        let dir = tempfile::tempdir().unwrap();
        let models = Project::new(dir.path()).models().unwrap();
        let request = request(dir.path(), &["2"], None);
        let plans = request.plans(&models, &mut |_, _| {}).unwrap();
        assert!(request.preparation(&models, &plans).unwrap().is_empty());
        let states: Vec<States> = plans.iter().map(|p| p.states(false)).collect();
        let estimates = request.estimate(&models, &plans, &states);
        assert_eq!(total(&estimates).runs, plans[0].tasks.len());
        assert!(clash_way_out(true).starts_with("--force moves"));
        assert!(clash_way_out(false).starts_with("hint: use another results folder"));
    }

    #[test]
    fn a_missing_python_is_named_before_any_run() {
        let dir = tempfile::tempdir().unwrap();
        let models = Project::new(dir.path()).models().unwrap();
        let mut request = request(dir.path(), &["2"], None);
        request.device = Device::Cpu;
        request.python = Some(dir.path().join("no-python"));
        let plans = request.plans(&models, &mut |_, _| {}).unwrap();
        let states: Vec<States> = plans.iter().map(|p| p.states(false)).collect();
        let e = request.pythons(&plans, &states).unwrap_err().to_string();
        assert!(e.contains("no Python for vLLM"), "{e}");
        assert!(e.contains("--device cpu"), "{e}");
    }
}
