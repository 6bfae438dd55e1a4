//! `repro status`: what is on disk for each task of a plan, judged by bytes — made here, made on
//! another machine and merged, present but made by nobody repro knows (the paper's published
//! data, a hand-copied log), failed, or missing. Keys are not judged (the engine, models or
//! patches of whoever looks may differ from whoever ran): this reports what is there.

use std::path::Path;

use indexmap::IndexMap;

use super::{EngineKind, Phase, Plan, Task};
use crate::artifacts::manifest::{Manifest, RunStatus};
use crate::artifacts::origins::Origins;
use crate::recipe::Recipe;

/// What is on disk for one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// A run's log, accounted for by its manifest, made on this machine.
    MadeHere {
        engine: EngineKind,
        synthetic: bool,
    },
    /// A run's log, accounted for by its manifest, made on another machine (merged).
    MergedFrom {
        host: String,
        engine: EngineKind,
        synthetic: bool,
    },
    /// A log no manifest accounts for; `from` is where a merge brought it from.
    NotMadeHere {
        from: Option<String>,
    },
    /// The last attempt did not succeed (and left no log in the paper's glob).
    Failed(RunStatus),
    Missing,
}

impl Presence {
    pub fn is_present(&self) -> bool {
        matches!(
            self,
            Presence::MadeHere { .. } | Presence::MergedFrom { .. } | Presence::NotMadeHere { .. }
        )
    }

    /// A short word for `-v` listings.
    pub fn word(&self) -> &'static str {
        match self {
            Presence::MadeHere { .. } => "made here",
            Presence::MergedFrom { .. } => "merged",
            Presence::NotMadeHere { .. } => "not made here",
            Presence::Failed(_) => "failed",
            Presence::Missing => "missing",
        }
    }

    /// Where it came from, for grouping: `made here (fake engine)`, `merged from n2`,
    /// `not made here (merged from published.tar.zst)`.
    pub fn origin(&self) -> Option<String> {
        let kind = |engine: &EngineKind, synthetic: &bool| match (engine, synthetic) {
            (EngineKind::Fake, _) => " (fake engine)",
            (EngineKind::Real, true) => " (synthetic model)",
            (EngineKind::Real, false) => "",
        };
        match self {
            Presence::MadeHere { engine, synthetic } => {
                Some(format!("made here{}", kind(engine, synthetic)))
            }
            Presence::MergedFrom {
                host,
                engine,
                synthetic,
            } => Some(format!("merged from {host}{}", kind(engine, synthetic))),
            Presence::NotMadeHere { from: Some(from) } => {
                Some(format!("not made by repro (merged from `{from}`)"))
            }
            Presence::NotMadeHere { from: None } => Some("not made by repro".into()),
            Presence::Failed(_) | Presence::Missing => None,
        }
    }
}

/// What is on disk for `task`; `here` is this machine's name, `results` the folder `origins`
/// describes.
pub fn presence(task: &Task, here: &str, origins: &Origins, results: &Path) -> Presence {
    let log = &task.paths.log;
    let manifest = Manifest::read(&task.paths.manifest()).ok().flatten();
    let log_present = log.is_file();
    let intact = manifest
        .as_ref()
        .filter(|m| m.status == RunStatus::Ok)
        .filter(|m| m.accounts_for(task.paths.run_dir(), task.paths.log_name()));
    match (intact, log_present) {
        (Some(m), true) => {
            let engine = m.key_inputs.engine();
            let synthetic = m.key_inputs.synthetic();
            if m.host.name == here {
                Presence::MadeHere { engine, synthetic }
            } else {
                Presence::MergedFrom {
                    host: m.host.name.clone(),
                    engine,
                    synthetic,
                }
            }
        }
        (_, true) => {
            let rel = log.strip_prefix(results).unwrap_or(log);
            let from = crate::artifacts::hash_file(log)
                .ok()
                .and_then(|hash| origins.of(rel, &hash).map(|o| o.from.clone()));
            Presence::NotMadeHere { from }
        }
        (_, false) => match manifest {
            Some(m) if m.status != RunStatus::Ok => Presence::Failed(m.status),
            _ => Presence::Missing,
        },
    }
}

/// Each kind of machine the present runs with a manifest ran on ([`Host::kind`](crate::artifacts::manifest::Host::kind)), in order.
pub fn machine_kinds(tasks: &[(Task, Presence)]) -> Vec<String> {
    let kinds: std::collections::BTreeSet<String> = tasks
        .iter()
        .filter(|(_, p)| matches!(p, Presence::MadeHere { .. } | Presence::MergedFrom { .. }))
        .filter_map(|(t, _)| Manifest::read(&t.paths.manifest()).ok().flatten())
        .map(|m| m.host.kind())
        .collect();
    kinds.into_iter().collect()
}

/// The phases a plan's present data covers: whether the warm-up is there, and which timed
/// iterations.
pub fn phases_present(tasks: &[(Task, Presence)]) -> (bool, Vec<u32>) {
    let mut warmup = false;
    let mut iterations = Vec::new();
    for (task, _) in tasks.iter().filter(|(_, p)| p.is_present()) {
        match task.phase() {
            Phase::Warmup => warmup = true,
            Phase::Iteration(i) => iterations.push(i),
        }
    }
    iterations.sort_unstable();
    iterations.dedup();
    (warmup, iterations)
}

/// The most timed iterations looked for beyond the recipe's (a folder made with
/// `--iterations N` for a large N).
const MAX_ITERATIONS: u32 = 1000;

/// The plan of a part with as many timed iterations as the recipe has, or as the folder holds
/// where a run was made with more (`--iterations N`).
pub fn plan_on_disk(
    recipe: &Recipe,
    models: &crate::config::Models,
    results: &std::path::Path,
    part: Option<u32>,
) -> Result<Plan, super::PlanError> {
    let models_dir = std::path::PathBuf::from("models");
    let plan_with = |iterations: u32| {
        super::plan(&super::PlanRequest {
            recipe,
            models,
            results,
            part,
            engine: EngineKind::Real,
            iterations: Some(iterations),
            models_dir: &models_dir,
            patch_hash: None,
            device: Default::default(),
            only_models: &[],
            only_vllm: &[],
            cpu_kv_cache_gib: 4,
        })
    };
    let mut iterations = recipe.run.iterations.max(1);
    let mut plan = plan_with(iterations)?;
    while iterations < MAX_ITERATIONS {
        let more = plan_with(iterations + 1)?;
        let extra_present = more
            .tasks
            .iter()
            .filter(|t| t.phase() == Phase::Iteration(iterations + 1))
            .any(|t| t.paths.log.is_file() || t.paths.manifest().is_file());
        if !extra_present {
            break;
        }
        iterations += 1;
        plan = more;
    }
    Ok(plan)
}

/// `1–5`, `1`, `1, 3–4`.
fn ranges(numbers: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let start = numbers[i];
        let mut end = start;
        while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
            i += 1;
            end = numbers[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// One line per part: how much is there, made with which iterations, from where.
pub fn summary_line(recipe: &Recipe, tasks: &[(Task, Presence)]) -> String {
    let (warmup, iterations) = phases_present(tasks);
    if !warmup && iterations.is_empty() {
        let failed = tasks
            .iter()
            .filter(|(_, p)| matches!(p, Presence::Failed(_)))
            .count();
        let failed = match failed {
            0 => String::new(),
            n => format!("; {n} failed"),
        };
        return format!("nothing present ({} runs planned){failed}", tasks.len());
    }
    // The last iteration anything was made for (a failed run counts: it was attempted).
    let last = tasks
        .iter()
        .filter(|(_, p)| *p != Presence::Missing)
        .filter_map(|(t, _)| match t.phase() {
            Phase::Iteration(i) => Some(i),
            Phase::Warmup => None,
        })
        .max()
        .unwrap_or(0);
    // The runs of the phases the data was made with: every config's warm-up (where the recipe
    // has one) and iterations 1..=last.
    let counted: Vec<&(Task, Presence)> = tasks
        .iter()
        .filter(|(t, _)| match t.phase() {
            Phase::Warmup => true,
            Phase::Iteration(i) => i <= last,
        })
        .collect();
    let present = counted.iter().filter(|(_, p)| p.is_present()).count();
    let mut origins: IndexMap<String, usize> = IndexMap::new();
    let (mut failed, mut missing) = (0, 0);
    for (_, presence) in &counted {
        match presence {
            Presence::Failed(_) => failed += 1,
            Presence::Missing => missing += 1,
            p => *origins.entry(p.origin().unwrap_or_default()).or_default() += 1,
        }
    }
    let mut phases = Vec::new();
    if warmup {
        phases.push("warm-up".to_string());
    }
    match iterations.len() {
        0 => {}
        1 => phases.push(format!("iteration {}", iterations[0])),
        _ => phases.push(format!("iterations {}", ranges(&iterations))),
    }
    let recipe_has = recipe.run.iterations;
    let of_recipe = if last < recipe_has {
        format!("; the recipe has {recipe_has}")
    } else {
        String::new()
    };
    let mut line = format!(
        "{present} of {} present ({}{of_recipe}): {}",
        counted.len(),
        phases.join(" + "),
        origins
            .iter()
            .map(|(origin, n)| format!("{n} {origin}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if failed > 0 {
        line += &format!("; {failed} failed");
    }
    if missing > 0 {
        line += &format!("; {missing} missing");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::ranges;

    #[test]
    fn runs_of_numbers_are_written_as_ranges() {
        assert_eq!(ranges(&[]), "");
        assert_eq!(ranges(&[1]), "1");
        assert_eq!(ranges(&[1, 2, 3, 4, 5]), "1–5");
        assert_eq!(ranges(&[1, 3, 4]), "1, 3–4");
        assert_eq!(ranges(&[2, 4, 6, 7, 9]), "2, 4, 6–7, 9");
    }
}
