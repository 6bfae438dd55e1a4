//! `repro status`: per figure and split part, what is on disk — by origin (made here, merged
//! from another machine, not made by repro: the paper's published data), by the iterations the
//! runs were made with — and what failed or is missing.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use indexmap::IndexMap;
use repro::artifacts::origins::Origins;
use repro::plan::status::{phases_present, presence, Presence};
use repro::plan::{self, EngineKind, Phase, Plan, PlanRequest, Task};
use repro::recipe::Recipe;

use super::Output;
use crate::cli::StatusArgs;

/// The most timed iterations looked for beyond the recipe's (a folder made with
/// `--iterations N` for a large N).
const MAX_ITERATIONS: u32 = 1000;

pub fn run(args: StatusArgs, out: Output) -> anyhow::Result<ExitCode> {
    super::existing_results(&args.results)?;
    let models = out.project.models()?;
    let origins = Origins::read(&args.results);
    let here = repro::sys::hostname();
    let mut text = String::new();
    let recipes = match &args.recipe {
        Some(word) => vec![out.project.named_recipe(word)?],
        None => out.project.all_recipes()?,
    };
    for named in recipes {
        let recipe = named.recipe;
        let parts: Vec<Option<u32>> = match &recipe.split {
            None => vec![None],
            Some(split) => split.parts.iter().map(|p| Some(p.index)).collect(),
        };
        for part in parts {
            let plan = plan_on_disk(&recipe, &models, &args.results, part)?;
            let tasks: Vec<(Task, Presence)> = plan
                .tasks
                .iter()
                .map(|t| (t.clone(), presence(t, &here, &origins, &args.results)))
                .collect();
            let _ = writeln!(
                text,
                "{:<16} {}",
                repro::reproduce::figure::part_name(&plan),
                summary_line(&recipe, &tasks)
            );
            if out.verbose {
                for (task, presence) in &tasks {
                    let rel = task
                        .paths
                        .log
                        .strip_prefix(&args.results)
                        .unwrap_or(&task.paths.log);
                    let origin = presence.origin().unwrap_or_default();
                    let _ = writeln!(
                        text,
                        "  {:<13} {}  {origin}",
                        presence.word(),
                        rel.display()
                    );
                }
            }
            if let Some(note) = super::on::job_note(&plan.groups[0].dir) {
                let _ = writeln!(text, "{:<16} {note}", "");
            }
        }
    }
    // A closed pipe (`repro status | head`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}

/// The plan of a part with as many timed iterations as the recipe has, or as the folder holds
/// where a run was made with more (`--iterations N`).
fn plan_on_disk(
    recipe: &Recipe,
    models: &repro::config::Models,
    results: &std::path::Path,
    part: Option<u32>,
) -> anyhow::Result<Plan> {
    let models_dir = std::path::PathBuf::from("models");
    let plan_with = |iterations: u32| {
        plan::plan(&PlanRequest {
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
fn summary_line(recipe: &Recipe, tasks: &[(Task, Presence)]) -> String {
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
