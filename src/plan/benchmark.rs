//! A benchmark recipe of any kind → its plan: the runs it has (a one-server matrix, an offline
//! matrix, a tenants benchmark's solo and shared runs), and what they need prepared (the vLLM
//! environments and the models of models.toml).

use std::path::Path;

use super::bench::BenchTask;
use super::offline::OfflineTask;
use super::prepare::Need;
use super::tenants::TenantsPlan;
use crate::config::Models;
use crate::env::EnvSpec;
use crate::recipe::bench::{BenchRecipe, ServerKind};
use crate::recipe::benchmark::Benchmark;
use crate::recipe::offline::OfflineRecipe;
use crate::recipe::tenants::TenantsRecipe;

/// A benchmark to run: its name and its planned runs.
#[derive(Debug, Clone)]
pub struct Planned {
    pub name: String,
    pub kind: PlannedKind,
}

/// The runs of each kind of benchmark.
#[derive(Debug, Clone)]
pub enum PlannedKind {
    /// One server: its matrix's runs (or a capacity search over its configurations).
    Serve {
        recipe: Box<BenchRecipe>,
        tasks: Vec<BenchTask>,
    },
    /// `LLM.generate` in the harness, no server.
    Offline {
        recipe: Box<OfflineRecipe>,
        tasks: Vec<OfflineTask>,
    },
    /// Several servers at once.
    Tenants {
        recipe: Box<TenantsRecipe>,
        plan: TenantsPlan,
    },
}

/// Plan benchmark `name` with its results under `results`.
pub fn plan(name: String, benchmark: Benchmark, results: &Path) -> Planned {
    let kind = match benchmark {
        Benchmark::Serve(recipe) => PlannedKind::Serve {
            tasks: super::bench::plan(&name, &recipe, results),
            recipe: Box::new(recipe),
        },
        Benchmark::Offline(recipe) => PlannedKind::Offline {
            tasks: super::offline::plan(&name, &recipe, results),
            recipe: Box::new(recipe),
        },
        Benchmark::Tenants(recipe) => PlannedKind::Tenants {
            plan: super::tenants::plan(&name, &recipe, results),
            recipe: Box::new(recipe),
        },
    };
    Planned { name, kind }
}

impl Planned {
    /// The recipe's title.
    pub fn title(&self) -> &str {
        match &self.kind {
            PlannedKind::Serve { recipe, .. } => &recipe.title,
            PlannedKind::Offline { recipe, .. } => &recipe.title,
            PlannedKind::Tenants { recipe, .. } => &recipe.title,
        }
    }

    /// What its runs need before they start: the environments of its `vllm` servers and
    /// harnesses, and the models of models.toml they use (other servers bring their own).
    pub fn needs(&self, models: &Models) -> Vec<Need> {
        let need = |env: &EnvSpec, repro_env: bool, model: &str| Need {
            env: env.clone(),
            repro_env,
            model: models.contains(model).then(|| model.to_string()),
        };
        match &self.kind {
            PlannedKind::Serve { recipe, tasks } => match vllm_env(recipe) {
                Some(env) => tasks
                    .iter()
                    .map(|t| need(&env, true, &t.run.model))
                    .collect(),
                None => vec![],
            },
            PlannedKind::Offline { recipe, tasks } => {
                let engine = &recipe.engine;
                let env = EnvSpec::new(engine.vllm.clone(), engine.device);
                tasks
                    .iter()
                    .map(|t| need(&env, engine.python.is_none(), &t.run.model))
                    .collect()
            }
            PlannedKind::Tenants { plan, .. } => {
                let mut needs = Vec::new();
                for (i, recipe) in plan.tenant_recipes.iter().enumerate() {
                    let Some(env) = vllm_env(recipe) else {
                        continue;
                    };
                    let shared = plan.shared.iter().map(|t| &t.run.tenants[i].run);
                    // Its solo runs too: with `together = false` they are all it runs.
                    for run in shared.chain(plan.solo[i].iter().map(|t| &t.run)) {
                        needs.push(need(&env, true, &run.model));
                    }
                }
                needs
            }
        }
    }
}

/// The environment of a `vllm` server.
fn vllm_env(recipe: &BenchRecipe) -> Option<EnvSpec> {
    let server = &recipe.server;
    (server.kind == ServerKind::Vllm)
        .then(|| EnvSpec::new(server.vllm.clone().unwrap_or_default(), server.device))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Models {
        Models::parse(Path::new("models.toml"), crate::project::MODELS_TOML).unwrap()
    }

    #[test]
    fn a_vllm_server_needs_its_env_and_its_models_a_command_server_nothing() {
        let text = "title = \"t\"\n[server]\nkind = \"vllm\"\nvllm = \"0.10.1.1\"\ndevice = \"cpu\"\nmodel = \"qwen-0.5b\"\n[workload]\narrival = \"closed\"\nconcurrency = 1\nrequests = 2\nprompt = { kind = \"synthetic\", len = { dist = \"fixed\", value = 4 } }\noutput_len = { dist = \"fixed\", value = 2 }\n";
        let benchmark = Benchmark::parse(Path::new("b.toml"), text).unwrap();
        let planned = plan("b".into(), benchmark, Path::new("results"));
        let needs = planned.needs(&models());
        assert_eq!(needs.len(), 1);
        assert_eq!(needs[0].env.vllm, "0.10.1.1");
        assert!(needs[0].repro_env);
        assert_eq!(needs[0].model.as_deref(), Some("qwen-0.5b"));
        assert_eq!(planned.title(), "t");

        let text = text.replace("kind = \"vllm\"", "kind = \"command\"\ncommand = [\"x\"]");
        let benchmark = Benchmark::parse(Path::new("b.toml"), &text).unwrap();
        let planned = plan("b".into(), benchmark, Path::new("results"));
        assert!(planned.needs(&models()).is_empty());
    }
}
