//! Recipe → tasks. Planning reads the recipe and `models.toml` only; whether a task is done is
//! a separate step ([`Plan::states`]) that reads manifests, and running is another module.
//!
//! Tasks are listed in the paper's order, which is also their dependency order: the warm-up
//! pass over every config, then iteration 1 over every config, and so on (figure 1: per vLLM
//! version, warm-up then timed run). The executor runs them in that order, one at a time — runs
//! are timed, so they must not overlap on a machine.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

use crate::config::machines::Device;

use super::task::{ConfigInputs, Task};
use crate::artifacts::key::{ConfigKey, EngineKind, ModelRef, Phase};
use crate::artifacts::layout::{self, RunPaths};
use crate::artifacts::manifest::Manifest;
use crate::config::Models;
use crate::env::setup::cpu_build;
use crate::recipe::model::{self, ModelSource};
use crate::recipe::{Combination, Layout, Recipe};

mod state;
pub use state::{task_state, Foreign, Reason, TaskState};

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    pub recipe: &'a Recipe,
    pub models: &'a Models,
    pub results: &'a Path,
    /// The split part to run (`--gpu 1`), for a split recipe.
    pub part: Option<u32>,
    pub engine: EngineKind,
    /// Overrides the recipe's number of timed iterations.
    pub iterations: Option<u32>,
    /// Where models live: `<models_dir>/<model>`.
    pub models_dir: &'a Path,
    pub patch_hash: Option<String>,
    /// GPU, or vLLM's CPU build.
    pub device: Device,
    /// Only the runs of these models (`--model`); empty: all of them.
    pub only_models: &'a [String],
    /// Only the runs of these vLLM versions (`--vllm`); empty: all of them.
    pub only_vllm: &'a [String],
    /// `VLLM_CPU_KVCACHE_SPACE` (GiB) for runs on vLLM's CPU build.
    pub cpu_kv_cache_gib: u32,
}

/// A folder whose runs are tabled together (a figure, or one split part).
#[derive(Debug, Clone)]
pub struct Group {
    pub dir: PathBuf,
    pub part: Option<u32>,
    pub layout: Layout,
    /// The averaged table's label order, where the recipe fixes one.
    pub label_order: Option<Vec<String>>,
}

/// Every task of a recipe (or of one split part).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The results folder the tasks write under.
    pub results: PathBuf,
    pub figure: String,
    pub title: String,
    pub tasks: Vec<Task>,
    pub groups: Vec<Group>,
    pub timeout: Duration,
    pub evict_page_cache: bool,
}

/// A recipe that cannot be planned as asked.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("`{figure}` is split by {kind} into parts {available}: pass --{kind} <I> to pick the part this machine runs")]
    NeedsPart {
        figure: String,
        kind: &'static str,
        available: String,
    },
    #[error("`{figure}` has no {kind} part {index} (its parts: {available})")]
    UnknownPart {
        figure: String,
        kind: &'static str,
        index: u32,
        available: String,
    },
    #[error("`{figure}` is not split, so it has no part {index}: leave out the part flag")]
    NotSplit { figure: String, index: u32 },
    #[error("`{figure}`: model `{model}` is not in models.toml{did_you_mean} (add it there, or fix the recipe)")]
    UnknownModel {
        figure: String,
        model: String,
        did_you_mean: String,
    },
    #[error("`{figure}` evicts the page cache before each run, but model `{model}` is a hub id whose files the engine finds itself: add it to models.toml (its `repo`) or give its local folder")]
    CannotEvict { figure: String, model: String },
    #[error("`{figure}` has no run of model `{model}`{did_you_mean} (its models: {available})")]
    ModelNotInRecipe {
        figure: String,
        model: String,
        available: String,
        did_you_mean: String,
    },
    #[error("`{figure}` has no run of vLLM {version} (its versions: {available})")]
    VersionNotInRecipe {
        figure: String,
        version: String,
        available: String,
    },
}

fn part_name(recipe: &Recipe, part: Option<u32>) -> Option<String> {
    let split = recipe.split.as_ref()?;
    part.map(|index| split.part_name(index))
}

/// Check the part flag against the recipe's split.
fn check_part(recipe: &Recipe, part: Option<u32>) -> Result<(), PlanError> {
    let figure = recipe.folder.clone();
    match (&recipe.split, part) {
        (None, None) => Ok(()),
        (None, Some(index)) => Err(PlanError::NotSplit { figure, index }),
        (Some(split), index) => {
            let available = split
                .parts
                .iter()
                .map(|p| p.index.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let kind = split.kind.as_str();
            match index {
                None => Err(PlanError::NeedsPart {
                    figure,
                    kind,
                    available,
                }),
                Some(index) if split.part(index).is_none() => Err(PlanError::UnknownPart {
                    figure,
                    kind,
                    index,
                    available,
                }),
                Some(_) => Ok(()),
            }
        }
    }
}

/// The phases of a recipe, in run order.
fn phases(recipe: &Recipe, iterations: Option<u32>) -> Vec<Phase> {
    let mut phases = Vec::new();
    if recipe.run.warmup {
        phases.push(Phase::Warmup);
    }
    let n = iterations.unwrap_or(recipe.run.iterations);
    phases.extend((1..=n).map(Phase::Iteration));
    phases
}

/// Where a run's log goes, by layout.
fn run_paths(
    layout: Layout,
    group: &Path,
    phase: Phase,
    version: &str,
    combination: &Combination,
    sample_cpu: bool,
) -> RunPaths {
    let (run_dir, log_name) = match layout {
        Layout::Paper => (layout::paper_run_dir(group, phase), combination.log_name()),
        Layout::Versions => layout::versions_run(group, phase, version),
        Layout::Releases => (
            layout::paper_run_dir(&layout::release_dir(group, version), phase),
            combination.log_name(),
        ),
        Layout::Flat => (
            group.to_path_buf(),
            layout::flat_log_name(combination.model().map_or("output", model::basename), phase),
        ),
    };
    let cpu = sample_cpu.then(|| match (layout, phase) {
        // The paper kept the timed run's samples as `cpu_usage.json` beside its log.
        (Layout::Flat, Phase::Iteration(1)) => run_dir.join(layout::CPU_USAGE_FILE),
        _ => RunPaths::default_cpu_samples(&run_dir, &log_name),
    });
    RunPaths::new(run_dir, &log_name, cpu)
}

/// Whether the runs load a synthetic model (`repro models synth`): every run made from one says
/// so. A model not there yet is as preparation will make it — synthetic only where no hub has
/// it — so the key is the same before and after it is made.
fn is_synthetic(req: &PlanRequest<'_>, name: &str, info: &crate::config::Model) -> bool {
    let present = |name: &str| match crate::models::ModelManifest::read(&req.models_dir.join(name))
    {
        Ok(Some(m)) => Some(m.is_synthetic()),
        _ => None,
    };
    // A tensorizer copy is made from its source: synthetic where that is.
    let source = req
        .models
        .tensorized
        .get(name)
        .map(|copy| copy.from.as_str());
    present(name)
        .or_else(|| source.and_then(present))
        .unwrap_or_else(|| info.synthetic_only())
}

/// Keep the runs of the models asked for (`--model`), each of which the recipe must have; a
/// model's tensorizer copy (figure 14) goes with it.
fn only_models(
    recipe: &Recipe,
    models: &Models,
    combinations: Vec<Combination>,
    wanted: &[String],
) -> Result<Vec<Combination>, PlanError> {
    if wanted.is_empty() {
        return Ok(combinations);
    }
    let is_wanted = |model: &str| {
        wanted.iter().any(|w| w == model)
            || models
                .tensorized
                .get(model)
                .is_some_and(|copy| wanted.contains(&copy.from))
    };
    let available: Vec<&str> = combinations.iter().filter_map(Combination::model).collect();
    if let Some(missing) = wanted.iter().find(|w| !available.contains(&w.as_str())) {
        let mut names: Vec<&str> = available.clone();
        names.dedup();
        return Err(PlanError::ModelNotInRecipe {
            figure: recipe.folder.clone(),
            model: missing.clone(),
            available: names.join(", "),
            did_you_mean: crate::suggest::did_you_mean(missing, names.iter().copied()),
        });
    }
    Ok(combinations
        .into_iter()
        .filter(|c| c.model().is_some_and(is_wanted))
        .collect())
}

/// The recipe's vLLM versions that were asked for (`--vllm`), each of which it must have.
fn only_vllm<'r>(recipe: &'r Recipe, wanted: &[String]) -> Result<Vec<&'r str>, PlanError> {
    let versions = recipe.run.vllm.list();
    if let Some(missing) = wanted.iter().find(|w| !versions.contains(&w.as_str())) {
        return Err(PlanError::VersionNotInRecipe {
            figure: recipe.folder.clone(),
            version: missing.clone(),
            available: versions.join(", "),
        });
    }
    Ok(versions
        .into_iter()
        .filter(|v| wanted.is_empty() || wanted.iter().any(|w| w == v))
        .collect())
}

/// The model a run loads and the folder its files are in: an entry of models.toml (its local
/// copy under `models_dir`), or a folder or hub id of the recipe, loaded as given (a hub id's
/// files are the engine's to find, so they cannot be evicted from the page cache).
fn resolve_model(
    req: &PlanRequest<'_>,
    combination: &Combination,
    evict: bool,
) -> Result<(Option<ModelRef>, Option<PathBuf>), PlanError> {
    let Some(value) = combination.model() else {
        return Ok((None, None));
    };
    let unknown = || PlanError::UnknownModel {
        figure: req.recipe.folder.clone(),
        model: value.to_string(),
        did_you_mean: crate::suggest::did_you_mean(
            value,
            req.models
                .models
                .keys()
                .chain(req.models.tensorized.keys())
                .map(String::as_str),
        ),
    };
    match model::source(req.models, value).ok_or_else(unknown)? {
        ModelSource::Entry(name) => {
            let info = req.models.get(name).ok_or_else(unknown)?;
            // The engine is handed this folder: absolute, whatever folder it works in.
            let dir = crate::sys::absolute(&req.models_dir.join(name));
            let model_ref = ModelRef {
                name: name.to_string(),
                repo: info.repo.clone(),
                revision: info.revision.clone(),
                synthetic: is_synthetic(req, name, info),
            };
            Ok((Some(model_ref), Some(dir)))
        }
        ModelSource::Path(path) => Ok((None, Some(PathBuf::from(path)))),
        ModelSource::Hub(id) if evict => Err(PlanError::CannotEvict {
            figure: req.recipe.folder.clone(),
            model: id.to_string(),
        }),
        ModelSource::Hub(_) => Ok((None, None)),
    }
}

/// Expand a recipe into its tasks.
pub fn plan(req: &PlanRequest<'_>) -> Result<Plan, PlanError> {
    let recipe = req.recipe;
    check_part(recipe, req.part)?;
    let part = part_name(recipe, req.part);
    let evict = req
        .part
        .and_then(|i| recipe.split.as_ref()?.part(i))
        .is_some_and(|p| p.evict_page_cache);
    let group_dir = layout::group_dir(req.results, &recipe.folder, part.as_deref());
    let group = Group {
        dir: group_dir.clone(),
        part: req.part,
        layout: recipe.run.layout,
        label_order: recipe.label_order(req.part),
    };
    let env = run_env(req);
    let combinations = only_models(
        recipe,
        req.models,
        recipe.combinations(req.part),
        req.only_models,
    )?;
    // Resolve each combination once; its tasks share the result.
    let mut models_of = Vec::with_capacity(combinations.len());
    for combination in &combinations {
        models_of.push(resolve_model(req, combination, evict)?);
    }
    let configs_of = Configs {
        req,
        combinations: &combinations,
        models_of: &models_of,
        part: &part,
        evict,
    };
    let configs = configs_of.with(&env);

    let phases = phases(recipe, req.iterations);
    let versions = only_vllm(recipe, req.only_vllm)?;
    let mut tasks = Vec::with_capacity(versions.len() * phases.len() * combinations.len());
    for &version in &versions {
        let vllm: Arc<str> = Arc::from(version);
        // A CPU build that runs only with some setting (0.9.0: the V0 engine) gets it.
        let overrides = match req.device {
            Device::Cpu => cpu_build(version).map_or(&[][..], |b| b.engine_env),
            Device::Gpu => &[],
        };
        let version_configs = if overrides.is_empty() {
            configs.clone()
        } else {
            let mut env = env.clone();
            for (k, v) in overrides {
                env.insert(k.to_string(), v.to_string());
            }
            configs_of.with(&env)
        };
        for &phase in &phases {
            for (combination, config) in combinations.iter().zip(&version_configs) {
                let paths = run_paths(
                    recipe.run.layout,
                    &group_dir,
                    phase,
                    version,
                    combination,
                    recipe.run.sample_cpu,
                );
                tasks.push(Task::new(config.clone(), vllm.clone(), phase, paths, 0));
            }
        }
    }
    // Each release's folder is a group of the paper's layout of its own (its tables).
    let groups = match recipe.run.layout {
        Layout::Releases => versions
            .iter()
            .map(|v| Group {
                dir: layout::release_dir(&group.dir, v),
                layout: Layout::Paper,
                ..group.clone()
            })
            .collect(),
        _ => vec![group],
    };
    Ok(Plan {
        results: req.results.to_path_buf(),
        figure: recipe.folder.clone(),
        title: recipe.title.clone(),
        tasks,
        groups,
        timeout: recipe.run.timeout,
        evict_page_cache: evict,
    })
}

/// The environment of every run: the recipe's, and on vLLM's CPU build its KV cache's size.
fn run_env(req: &PlanRequest<'_>) -> IndexMap<String, String> {
    let mut env: IndexMap<String, String> = req
        .recipe
        .run
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.python_str()))
        .collect();
    if req.device == Device::Cpu {
        // vLLM's CPU build allocates its KV cache up front, in whole GiB.
        env.insert(
            "VLLM_CPU_KVCACHE_SPACE".into(),
            req.cpu_kv_cache_gib.to_string(),
        );
    }
    env
}

/// What a plan's configurations share, to make their inputs under an environment.
struct Configs<'a> {
    req: &'a PlanRequest<'a>,
    combinations: &'a [Combination],
    /// Each combination's model, resolved once.
    models_of: &'a [(Option<ModelRef>, Option<PathBuf>)],
    part: &'a Option<String>,
    evict: bool,
}

impl Configs<'_> {
    /// Every configuration's inputs under `env`.
    fn with(&self, env: &IndexMap<String, String>) -> Vec<Arc<ConfigInputs>> {
        self.combinations
            .iter()
            .zip(self.models_of)
            .map(|(combination, (model, model_dir))| {
                // An entry of models.toml is loaded from its local copy; anything else as given.
                let local_copy = model.as_ref().and(model_dir.as_ref());
                let engine_args =
                    combination.engine_args(local_copy.map(|dir| dir.to_string_lossy()).as_deref());
                Arc::new(ConfigInputs {
                    key: ConfigKey {
                        figure: self.req.recipe.folder.clone(),
                        part: self.part.clone(),
                        label: combination.label(),
                        params: combination.params.clone(),
                        env: env.clone(),
                        model: model.clone(),
                        patch_hash: self.req.patch_hash.clone(),
                        engine: self.req.engine,
                        device: self.req.device,
                        evict_page_cache: self.evict,
                        sample_cpu: self.req.recipe.run.sample_cpu,
                    },
                    engine_args,
                    model_dir: model_dir.clone(),
                })
            })
            .collect()
    }
}

impl Plan {
    /// Each task's state, in task order.
    pub fn states(&self, force: bool) -> Vec<(TaskState, Option<Box<Manifest>>)> {
        self.tasks.iter().map(|t| task_state(t, force)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Project;

    fn recipe(text: &str) -> Recipe {
        let models = Project::new("/nonexistent").models().unwrap();
        Recipe::parse(Path::new("t.toml"), text, Some(&models)).unwrap()
    }

    fn request<'a>(recipe: &'a Recipe, models: &'a Models) -> PlanRequest<'a> {
        PlanRequest {
            recipe,
            models,
            results: Path::new("r"),
            part: None,
            engine: EngineKind::Fake,
            iterations: None,
            models_dir: Path::new("models"),
            patch_hash: None,
            device: Device::Gpu,
            only_models: &[],
            only_vllm: &[],
            cpu_kv_cache_gib: 4,
        }
    }

    const FIG9: &str = r#"
title = "t"
folder = "figure-9"
[run]
vllm = "0.10.1.1"
iterations = 2
default_params = { cuda-graph-sizes = [1, 56] }
configs = [{ model = "llama2-7b-hf" }]
"#;

    #[test]
    fn the_versions_asked_for_are_the_only_ones_planned() {
        let models = Project::new("/nonexistent").models().unwrap();
        let recipe = recipe(
            r#"
title = "t"
folder = "figure-1"
[run]
vllm = ["0.8.0", "0.9.0", "0.10.0"]
layout = "versions"
iterations = 1
configs = [{ model = "opt-6.7b" }]
"#,
        );
        let wanted = ["0.10.0".to_string(), "0.9.0".to_string()];
        let req = PlanRequest {
            only_vllm: &wanted,
            ..request(&recipe, &models)
        };
        let planned = plan(&req).unwrap();
        let versions: Vec<&str> = planned.tasks.iter().map(|t| &*t.vllm).collect();
        // The recipe's order, not the command line's; a warm-up and a timed run each.
        assert_eq!(versions, ["0.9.0", "0.9.0", "0.10.0", "0.10.0"]);
        // On the CPU, 0.9.0's build runs its V0 engine whatever the recipe says.
        let on_cpu = plan(&PlanRequest {
            device: Device::Cpu,
            ..req.clone()
        })
        .unwrap();
        let v1 = |i: usize| on_cpu.tasks[i].config.key.env.get("VLLM_USE_V1").cloned();
        assert_eq!(v1(0).as_deref(), Some("0"));
        assert_eq!(v1(2), None);
        assert_ne!(on_cpu.tasks[0].key, planned.tasks[0].key);
        let unknown = ["0.10.1.1".to_string()];
        let err = plan(&PlanRequest {
            only_vllm: &unknown,
            ..request(&recipe, &models)
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`figure-1` has no run of vLLM 0.10.1.1 (its versions: 0.8.0, 0.9.0, 0.10.0)"
        );
    }

    #[test]
    fn each_release_of_a_releases_recipe_is_a_group_of_its_own() {
        let models = Project::new("/nonexistent").models().unwrap();
        let recipe = recipe(
            r#"
title = "t"
folder = "study"
[run]
vllm = ["0.9.0", "0.10.0"]
layout = "releases"
iterations = 1
default_params = { cache = ["cold", "warm"] }
configs = [{ model = "qwen-0.5b" }]
"#,
        );
        let planned = plan(&request(&recipe, &models)).unwrap();
        let logs: Vec<String> = planned
            .tasks
            .iter()
            .map(|t| t.paths.log.display().to_string())
            .collect();
        assert_eq!(logs.len(), 8);
        assert_eq!(
            logs[0],
            "r/study/vllm-0.9.0/uncached/output_model_qwen-0.5b_cache_cold.txt"
        );
        assert_eq!(
            logs[7],
            "r/study/vllm-0.10.0/iterations/1/output_model_qwen-0.5b_cache_warm.txt"
        );
        let groups: Vec<(String, Layout)> = planned
            .groups
            .iter()
            .map(|g| (g.dir.display().to_string(), g.layout))
            .collect();
        assert_eq!(
            groups,
            [
                ("r/study/vllm-0.9.0".to_string(), Layout::Paper),
                ("r/study/vllm-0.10.0".to_string(), Layout::Paper)
            ]
        );
    }

    #[test]
    fn tasks_follow_the_paper_order_with_distinct_stable_keys() {
        let models = Project::new("/nonexistent").models().unwrap();
        let recipe = recipe(FIG9);
        let plan = plan(&request(&recipe, &models)).unwrap();
        let logs: Vec<String> = plan
            .tasks
            .iter()
            .map(|t| t.paths.log.display().to_string())
            .collect();
        assert_eq!(
            logs,
            [
                "r/figure-9/uncached/output_model_llama2-7b-hf_cuda-graph-sizes_1.txt",
                "r/figure-9/uncached/output_model_llama2-7b-hf_cuda-graph-sizes_56.txt",
                "r/figure-9/iterations/1/output_model_llama2-7b-hf_cuda-graph-sizes_1.txt",
                "r/figure-9/iterations/1/output_model_llama2-7b-hf_cuda-graph-sizes_56.txt",
                "r/figure-9/iterations/2/output_model_llama2-7b-hf_cuda-graph-sizes_1.txt",
                "r/figure-9/iterations/2/output_model_llama2-7b-hf_cuda-graph-sizes_56.txt",
            ]
        );
        let keys: std::collections::HashSet<_> = plan.tasks.iter().map(|t| &t.key).collect();
        assert_eq!(keys.len(), plan.tasks.len());
        let again = super::plan(&request(&recipe, &models)).unwrap();
        assert_eq!(again.tasks[3].key, plan.tasks[3].key);
        // The borrowed view hashed at planning and the owned inputs stored in manifests agree.
        assert_eq!(plan.tasks[3].inputs().key(), plan.tasks[3].key);
        // The model's folder is handed to the engine absolute (it may work in another folder).
        let model = std::path::absolute("models/llama2-7b-hf").unwrap();
        assert_eq!(
            plan.tasks[0].config.engine_args,
            [
                "--model",
                model.to_str().unwrap(),
                "--cuda-graph-sizes",
                "1"
            ]
        );
        let mut real = request(&recipe, &models);
        real.engine = EngineKind::Real;
        assert_ne!(super::plan(&real).unwrap().tasks[0].key, plan.tasks[0].key);
    }

    /// Planning speed: 100,000 tasks from one big sweep.
    /// `cargo test --release --lib plan_100k -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn plan_100k_tasks() {
        let a: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let b: Vec<String> = (0..200).map(|i| format!("\"v{i}\"")).collect();
        let text = format!(
            "title = \"big\"\nfolder = \"figure-big\"\n[run]\nvllm = \"0.10.1.1\"\nwarmup = false\niterations = 5\nenv = {{ VLLM_USE_V1 = \"1\" }}\ndefault_params = {{ max-num-seqs = [{}], tag = [{}] }}\nconfigs = [{{ model = \"qwen-4b\" }}]\n",
            a.join(", "),
            b.join(", ")
        );
        let models = Project::new("/nonexistent").models().unwrap();
        let recipe = recipe(&text);
        for _ in 0..3 {
            let cpu = crate::samplers::thread_cpu_time();
            let start = std::time::Instant::now();
            let plan = plan(&request(&recipe, &models)).unwrap();
            let took = start.elapsed();
            let cpu = crate::samplers::thread_cpu_time() - cpu;
            assert_eq!(plan.tasks.len(), 100_000);
            println!(
                "planned {} tasks in {:.3} s wall, {:.3} s CPU ({:.2} µs CPU a task)",
                plan.tasks.len(),
                took.as_secs_f64(),
                cpu.as_secs_f64(),
                cpu.as_secs_f64() * 1e6 / plan.tasks.len() as f64
            );
        }
    }
}
