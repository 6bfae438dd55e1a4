//! `repro status`: per figure and split part, which runs exist (done, failed, missing) and on
//! which machines they ran (from their manifests).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use repro::artifacts::manifest::RunStatus;
use repro::plan::{self, EngineKind, PlanRequest};

use super::Output;
use crate::cli::StatusArgs;

pub fn run(args: StatusArgs, out: Output) -> anyhow::Result<ExitCode> {
    let models = out.project.models()?;
    let models_dir = std::path::PathBuf::from("models");
    let mut text = String::new();
    for id in repro::recipe::builtin_ids() {
        let recipe = out.project.recipe(id)?;
        let parts: Vec<Option<u32>> = match &recipe.split {
            None => vec![None],
            Some(split) => split.parts.iter().map(|p| Some(p.index)).collect(),
        };
        for part in parts {
            let request = PlanRequest {
                recipe: &recipe,
                models: &models,
                results: &args.results,
                part,
                engine: EngineKind::Real,
                iterations: None,
                models_dir: &models_dir,
                patch_hash: None,
                device: Default::default(),
                only_models: &[],
                cpu_kv_cache_gib: 4,
            };
            let plan = plan::plan(&request)?;
            let (mut done, mut failed, mut missing) = (0, 0, 0);
            let mut hosts = BTreeSet::new();
            for task in &plan.tasks {
                // Status does not judge keys (the engine or models may differ): it reports
                // what is on disk.
                let manifest = repro::artifacts::manifest::Manifest::read(&task.paths.manifest())
                    .ok()
                    .flatten();
                let state = match &manifest {
                    Some(m) if m.status == RunStatus::Ok && task.paths.log.is_file() => {
                        done += 1;
                        "done"
                    }
                    Some(m) if m.status != RunStatus::Ok => {
                        failed += 1;
                        m.status.as_str()
                    }
                    _ => {
                        missing += 1;
                        "missing"
                    }
                };
                if let Some(m) = &manifest {
                    hosts.insert(m.host.name.clone());
                }
                if out.verbose {
                    let rel = task
                        .paths
                        .log
                        .strip_prefix(&args.results)
                        .unwrap_or(&task.paths.log);
                    let host = manifest.as_ref().map_or("-", |m| m.host.name.as_str());
                    let _ = writeln!(text, "  {state:<11} {:<10} {}", host, rel.display());
                }
            }
            let name = match plan.groups[0].part {
                Some(_) => format!(
                    "{}/{}",
                    plan.figure,
                    plan.tasks
                        .first()
                        .and_then(|t| t.config.part.clone())
                        .unwrap_or_default()
                ),
                None => plan.figure.clone(),
            };
            let hosts = if hosts.is_empty() {
                String::new()
            } else {
                format!("  on {}", hosts.into_iter().collect::<Vec<_>>().join(", "))
            };
            let _ = writeln!(
                text,
                "{name:<16} {done:>3} done, {failed:>3} failed, {missing:>3} missing of {}{hosts}",
                plan.tasks.len()
            );
        }
    }
    // A closed pipe (`repro status | head`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}
