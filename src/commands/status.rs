//! `repro status`: per figure and split part, what is on disk — by origin (made here, merged
//! from another machine, not made by repro: the paper's published data), by the iterations the
//! runs were made with — and what failed or is missing.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use repro::artifacts::origins::Origins;
use repro::plan::status::{machine_kinds, plan_on_disk, presence, summary_line, Presence};
use repro::plan::Task;

use super::Output;
use crate::cli::StatusArgs;

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
            let kinds = machine_kinds(&tasks);
            let several = if kinds.len() > 1 {
                " (several kinds)"
            } else {
                ""
            };
            for kind in &kinds {
                let _ = writeln!(text, "{:<16} on{several}: {kind}", "");
            }
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
            if let Some(note) = repro::run::slurm::job_note(&plan.groups[0].dir) {
                let _ = writeln!(text, "{:<16} {note}", "");
            }
        }
    }
    // A closed pipe (`repro status | head`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}
