//! What the appendix says, read from the project: each paper figure's parts with their runs,
//! machines, models and estimated time; the models and environments to prepare, with their disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::config::machines::{Device, Machines};
use crate::config::Models;
use crate::env::setup::EnvManifest;
use crate::env::EnvSpec;
use crate::estimate::{Estimator, PlanEstimate};
use crate::plan::{EngineKind, PlanRequest};
use crate::project::{NamedRecipe, Project};

use super::AppendixError;

/// A vLLM environment's disk, GB (the figure dry run's "about 7 GB each"): the CPU build of
/// 0.10.1.1 measured 7.2 GB here (`du -sh`, 2026-12-07), beside its 3.4 GB wheelhouse.
pub const ENV_GB: f64 = 7.0;

/// One part of a figure's runs (the whole figure where it is not split).
#[derive(Debug, Clone)]
pub struct PartFacts {
    /// `gpu1`, or `None` for a figure without a split.
    pub name: Option<String>,
    /// What the recipe says the part is (`n2: L40S`).
    pub description: Option<String>,
    /// `n2 (L40S, AMD EPYC 9354 (32C))`, from machines.toml.
    pub machine: Option<String>,
    pub command: String,
    /// Its page cache is evicted before each run (cold SSD loads).
    pub cold: bool,
    pub estimate: PlanEstimate,
}

/// One recipe of the paper and the figures it draws.
#[derive(Debug, Clone)]
pub struct FigureFacts {
    pub recipe: String,
    pub title: String,
    pub folder: String,
    /// The paper's figures its `[[plot]]`s draw, with their files (`10` → `figure10.pdf`).
    pub plots: Vec<(String, String)>,
    pub parts: Vec<PartFacts>,
    pub vllm: Vec<String>,
    pub models: BTreeSet<String>,
}

impl FigureFacts {
    pub fn estimate(&self) -> PlanEstimate {
        let mut total = PlanEstimate::default();
        for part in &self.parts {
            total.add(&part.estimate);
        }
        total
    }
}

/// An environment the figures need, and what is known of its set-up here.
#[derive(Debug, Clone)]
pub struct EnvFacts {
    pub vllm: String,
    /// Its GPU build and vLLM's CPU build, where set up on this machine.
    pub here: Vec<EnvHere>,
}

/// An environment set up on this machine.
#[derive(Debug, Clone)]
pub struct EnvHere {
    /// `vLLM 0.10.1.1`, `vLLM 0.10.1.1 (CPU build)`.
    pub what: String,
    /// The set-up's own time, seconds, where its manifest recorded it.
    pub setup_s: Option<f64>,
    /// `Python 3.11.7, PyTorch 2.6.0`.
    pub installed: String,
}

/// Everything the figures need, from the recipes and models.toml.
#[derive(Debug, Clone)]
pub struct Facts {
    pub figures: Vec<FigureFacts>,
    /// Model → (Hugging Face repo @ revision, parameters in billions).
    pub models: BTreeMap<String, (String, f64)>,
    pub envs: Vec<EnvFacts>,
}

impl Facts {
    /// bf16 weights: two bytes a parameter.
    pub fn models_gb(&self) -> f64 {
        self.models.values().map(|(_, size)| size * 2.0).sum()
    }

    pub fn estimate(&self) -> PlanEstimate {
        let mut total = PlanEstimate::default();
        for figure in &self.figures {
            total.add(&figure.estimate());
        }
        total
    }
}

/// Where to look: the results folder (its past runs sharpen the estimates), the models and
/// the environments.
pub struct Places<'a> {
    pub project: &'a Project,
    pub results: &'a Path,
    pub models_dir: &'a Path,
    pub cache: &'a Path,
}

/// The facts of every recipe the paper's figures come from.
pub fn gather(places: &Places<'_>) -> Result<Facts, AppendixError> {
    let models = places.project.models()?;
    let machines = places.project.machines().unwrap_or_default();
    let estimator = Estimator::new(places.results, &models);
    let mut figures = Vec::new();
    for id in crate::recipe::builtin_ids() {
        let named = places.project.named_recipe(id)?;
        figures.push(figure(&named, &models, &machines, &estimator, places)?);
    }
    let mut used = BTreeMap::new();
    for name in figures.iter().flat_map(|f| &f.models) {
        if let Some(m) = models.get(name) {
            used.insert(
                name.clone(),
                (format!("{} @ {}", m.repo, m.revision), m.size),
            );
        }
    }
    let mut versions: Vec<&String> = figures.iter().flat_map(|f| &f.vllm).collect();
    versions.sort_by_key(|v| crate::env::releases::version_order(v));
    versions.dedup();
    let envs = versions
        .into_iter()
        .map(|v| env_facts(v, places.cache))
        .collect();
    Ok(Facts {
        figures,
        models: used,
        envs,
    })
}

fn figure(
    named: &NamedRecipe,
    models: &Models,
    machines: &Machines,
    estimator: &Estimator,
    places: &Places<'_>,
) -> Result<FigureFacts, AppendixError> {
    let recipe = &named.recipe;
    let parts: Vec<Option<u32>> = match &recipe.split {
        None => vec![None],
        Some(split) => split.parts.iter().map(|p| Some(p.index)).collect(),
    };
    let mut facts = FigureFacts {
        recipe: named.name.clone(),
        title: recipe.title.clone(),
        folder: recipe.folder.clone(),
        plots: recipe
            .plots
            .iter()
            .map(|p| (p.figure.clone(), p.output.clone()))
            .collect(),
        parts: vec![],
        vllm: recipe
            .run
            .vllm
            .list()
            .iter()
            .map(|v| v.to_string())
            .collect(),
        models: BTreeSet::new(),
    };
    for part in parts {
        let plan = crate::plan::plan(&PlanRequest {
            recipe,
            models,
            results: places.results,
            part,
            engine: EngineKind::Real,
            iterations: None,
            models_dir: places.models_dir,
            patch_hash: None,
            device: Default::default(),
            only_models: &[],
            only_vllm: &[],
            cpu_kv_cache_gib: 4,
        })
        .map_err(|source| AppendixError::Plan {
            recipe: named.name.clone(),
            source,
        })?;
        let runs = vec![true; plan.tasks.len()];
        let (estimate, _) = estimator.plan(&plan, &runs, models);
        for task in &plan.tasks {
            if let Some(model) = &task.config.key.model {
                facts.models.insert(model.name.clone());
            }
        }
        let mut facts_of_part = part_facts(named, part, machines, estimate);
        facts_of_part.command += &results_flag(places.results);
        facts.parts.push(facts_of_part);
    }
    Ok(facts)
}

fn part_facts(
    named: &NamedRecipe,
    part: Option<u32>,
    machines: &Machines,
    estimate: PlanEstimate,
) -> PartFacts {
    let command = crate::reproduce::figure_command(named, part, crate::reproduce::Engine::Real);
    let (Some(split), Some(index)) = (&named.recipe.split, part) else {
        return PartFacts {
            name: None,
            description: None,
            machine: None,
            command,
            cold: false,
            estimate,
        };
    };
    let name = split.part_name(index);
    let spec = split.part(index);
    let machine = machines.runner_text(&format!("{}/{name}", named.recipe.folder));
    PartFacts {
        name: Some(name),
        description: spec.map(|p| p.description.clone()),
        machine,
        command,
        cold: spec.is_some_and(|p| p.evict_page_cache),
        estimate,
    }
}

/// ` --results DIR` where the results folder is not repro's default `results`.
pub fn results_flag(results: &Path) -> String {
    match results == Path::new("results") {
        true => String::new(),
        false => format!(" --results {}", results.display()),
    }
}

fn env_facts(vllm: &str, cache: &Path) -> EnvFacts {
    let builds = [(Device::Gpu, ""), (Device::Cpu, " (CPU build)")];
    let here = builds
        .into_iter()
        .filter_map(|(device, build)| {
            let manifest = EnvManifest::read(&EnvSpec::new(vllm, device).dir(cache))?;
            let torch = manifest.package_version("torch").unwrap_or("not installed");
            Some(EnvHere {
                what: format!("vLLM {vllm}{build}"),
                setup_s: manifest.setup_s,
                installed: format!("Python {}, PyTorch {torch}", manifest.python_version()),
            })
        })
        .collect();
    EnvFacts {
        vllm: vllm.to_string(),
        here,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_papers_recipes_give_parts_models_and_estimates() {
        let project = Project::new("/nonexistent");
        let facts = gather(&Places {
            project: &project,
            results: Path::new("results"),
            models_dir: Path::new("/nonexistent/models"),
            cache: Path::new("/nonexistent/cache"),
        })
        .unwrap();
        let ten = facts.figures.iter().find(|f| f.recipe == "10").unwrap();
        assert_eq!(ten.parts.len(), 2);
        assert_eq!(ten.parts[1].command, "repro figure 10 --gpu 1");
        assert!(ten.parts[1]
            .machine
            .as_deref()
            .unwrap()
            .starts_with("n2 (L40S"));
        assert!(ten.estimate().runs > 0 && ten.estimate().seconds > 0.0);
        assert!(facts.models.contains_key("qwen-4b"));
        assert!(facts.models_gb() > 100.0);
        // Figure 1 times ten releases, each in an environment of its own, oldest first.
        let versions: Vec<&str> = facts.envs.iter().map(|e| e.vllm.as_str()).collect();
        assert_eq!(versions.first(), Some(&"0.3.1"));
        assert_eq!(versions.last(), Some(&"0.11.0"));
        assert!(facts.envs.iter().all(|e| e.here.is_empty()));
        assert_eq!(results_flag(Path::new("results")), "");
        assert_eq!(results_flag(Path::new("cpu")), " --results cpu");
    }
}
