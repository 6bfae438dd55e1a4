//! The steps before the runs: the vLLM environments the runs use, the models they load, and
//! the tensorizer copies figure 14 loads. They belong to the task graph: `--dry-run` lists them
//! with the runs, and `repro figure` does those not done before its first run.
//!
//! Each step is idempotent in its own module (an environment with a manifest, a model with a
//! complete manifest, a copy made from the present source); this module only says which are
//! needed, in dependency order: environments, then downloads, then copies.

use std::fmt;
use std::path::Path;

use crate::config::machines::Device;
use crate::config::Models;
use crate::env::setup::{self, EnvManifest};
use crate::env::EnvSpec;
use crate::models::tensorize::{self, CopyState};
use crate::models::{self, ModelError, ModelManifest, Presence};

use super::graph::Plan;

/// One preparation step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `repro env setup --vllm V [--device cpu]`.
    Env(EnvSpec),
    /// `repro models fetch NAME`.
    Fetch { model: String },
    /// `repro models tensorize NAME` (in the environment `env`).
    Tensorize {
        name: String,
        from: String,
        env: EnvSpec,
    },
    /// `repro models synth NAME`: a shape of models.toml that no hub has (made in `env`).
    Synth { model: String, env: EnvSpec },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Env(spec) => write!(
                f,
                "environment vLLM {}{}",
                spec.vllm,
                if spec.device == Device::Cpu {
                    " (CPU build)"
                } else {
                    ""
                }
            ),
            Step::Fetch { model } => write!(f, "model {model}"),
            Step::Tensorize { name, from, .. } => {
                write!(f, "model {name} (tensorizer copy of {from})")
            }
            Step::Synth { model, .. } => write!(f, "model {model} (synthetic, random weights)"),
        }
    }
}

/// Whether a step is done (and what is there) or must run (and why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    Done(String),
    Todo(String),
    /// Cannot be done here, and why: the runs that need it cannot run.
    Impossible(String),
}

/// A step and its state.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub step: Step,
    pub state: StepState,
}

/// What the runs of some plans need.
#[derive(Debug, Clone)]
pub struct PrepareRequest<'a> {
    pub plans: &'a [Plan],
    pub models: &'a Models,
    pub models_dir: &'a Path,
    pub cache: &'a Path,
    /// Where the project's patches are (part of an environment's recipe).
    pub project_root: &'a Path,
    pub device: Device,
    /// Runs use repro's environments (not `--python`, not the fake engine).
    pub envs: bool,
    /// Runs load models (the real engine).
    pub model_files: bool,
}

/// What one run needs made before it: the environment it runs in, the model it loads (a name
/// of models.toml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub env: EnvSpec,
    /// Whether the environment is repro's (not `--python`).
    pub repro_env: bool,
    pub model: Option<String>,
}

/// Every step the plans need, done or not, in the order they must run.
pub fn steps(req: &PrepareRequest) -> Result<Vec<Prepared>, ModelError> {
    let needs: Vec<Need> = req
        .plans
        .iter()
        .flat_map(|p| &p.tasks)
        .map(|task| Need {
            env: EnvSpec::new(&*task.vllm, req.device),
            repro_env: req.envs,
            model: task
                .config
                .key
                .model
                .as_ref()
                .filter(|_| req.model_files)
                .map(|m| m.name.clone()),
        })
        .collect();
    steps_for(&needs, req)
}

/// Every step `needs` call for, done or not, in the order they must run: environments, then
/// downloads (or synthetic models, for shapes no hub has), then tensorizer copies.
pub fn steps_for(needs: &[Need], req: &PrepareRequest) -> Result<Vec<Prepared>, ModelError> {
    let mut envs: Vec<EnvSpec> = Vec::new();
    let mut fetches: Vec<(String, EnvSpec)> = Vec::new();
    let mut copies: Vec<(String, String, EnvSpec)> = Vec::new();
    for need in needs {
        let spec = need.env.clone();
        if need.repro_env && !envs.contains(&spec) {
            envs.push(spec.clone());
        }
        let Some(model) = &need.model else {
            continue;
        };
        let source = match req.models.tensorized.get(model) {
            Some(copy) => {
                let target = (model.clone(), copy.from.clone(), spec.clone());
                if !copies.contains(&target) {
                    copies.push(target);
                }
                &copy.from
            }
            None => model,
        };
        if !fetches.iter().any(|(m, _)| m == source) {
            fetches.push((source.clone(), spec));
        }
    }
    let mut steps = Vec::new();
    for spec in envs {
        let state = env_state(&spec, req.cache, req.project_root);
        steps.push(Prepared {
            step: Step::Env(spec),
            state,
        });
    }
    for (model, env) in fetches {
        let state = fetch_state(req, &model)?;
        let synthetic_only = req
            .models
            .models
            .get(&model)
            .is_some_and(|m| m.synthetic_only());
        let step = if synthetic_only {
            Step::Synth { model, env }
        } else {
            Step::Fetch { model }
        };
        steps.push(Prepared { step, state });
    }
    for (name, from, env) in copies {
        let state = copy_state(req.models_dir, &name, &from)?;
        steps.push(Prepared {
            step: Step::Tensorize { name, from, env },
            state,
        });
    }
    Ok(steps)
}

fn env_state(spec: &EnvSpec, cache: &Path, project_root: &Path) -> StepState {
    let dir = spec.dir(cache);
    let recipe = match setup::recipe_id(spec, project_root) {
        Ok(recipe) => recipe,
        Err(e) => return StepState::Impossible(e.to_string()),
    };
    match EnvManifest::read(&dir) {
        Some(m) if !setup::is_current(&m, spec, &recipe) => {
            StepState::Todo("made from an older setup recipe: made again".into())
        }
        Some(m) => StepState::Done(format!(
            "`{}`, {} packages{}",
            dir.display(),
            m.packages.len(),
            m.patch_hash
                .map(|h| format!(", patches {h}"))
                .unwrap_or_default()
        )),
        None if dir.exists() => StepState::Todo("its setup did not finish: redo it".into()),
        None => StepState::Todo(format!("not set up: `{}`", dir.display())),
    }
}

fn fetch_state(req: &PrepareRequest, name: &str) -> Result<StepState, ModelError> {
    let dir = req.models_dir.join(name);
    let model = req
        .models
        .models
        .get(name)
        .ok_or_else(|| ModelError::unknown(name, req.models))?;
    Ok(match models::presence(&dir)? {
        Presence::Present(m) => StepState::Done(format!(
            "`{}`{}",
            dir.display(),
            if m.is_synthetic() { ", SYNTHETIC" } else { "" }
        )),
        Presence::Incomplete => StepState::Todo(format!(
            "incomplete: resume the download of {}@{}",
            model.repo, model.revision
        )),
        Presence::Absent if model.synthetic_only() => StepState::Todo(format!(
            "missing, and on no hub: made locally with random weights (`repro models synth {name}`)"
        )),
        Presence::Absent => StepState::Todo(format!(
            "missing: download {}@{} ({}B parameters)",
            model.repo, model.revision, model.size
        )),
    })
}

fn copy_state(models_dir: &Path, name: &str, from: &str) -> Result<StepState, ModelError> {
    let Some(source) = ModelManifest::read(&models_dir.join(from))? else {
        return Ok(StepState::Todo(format!(
            "missing: made from `{from}` once it is there"
        )));
    };
    let dir = models_dir.join(name);
    Ok(match tensorize::copy_state(&dir, &source)? {
        CopyState::Current => StepState::Done(format!("`{}`", dir.display())),
        CopyState::Missing => StepState::Todo(format!("missing: made from `{from}`")),
        CopyState::Stale => {
            StepState::Todo(format!("`{from}` changed since it was made: made again"))
        }
        CopyState::Foreign(problem) => StepState::Todo(problem),
    })
}
