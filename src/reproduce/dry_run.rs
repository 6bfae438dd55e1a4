//! `repro figure --dry-run`: the clashes, the preparation steps, the estimate and what the
//! runs need, and every plan with its tasks' states.

use std::io::Write;

use crate::plan::prepare::{self as prepare_plan, StepState};
use crate::project::Project;

use super::figure::{clash_way_out, part_name, total, Figures, States};

/// The dry run's text, written as it is made (a 100,000-task plan's text is 10 MB).
pub fn write_dry_run(
    out: &mut dyn Write,
    figures: &Figures<'_>,
    verbose: bool,
) -> std::io::Result<()> {
    let request = figures.request;
    for clash in figures.clashes {
        writeln!(out, "stops here: {clash}: {}", clash_way_out(request.force))?;
    }
    write!(out, "{}", super::prepare::explain(figures.steps))?;
    let states: Vec<States> = figures
        .plans
        .iter()
        .map(|p| p.states(request.force))
        .collect();
    let estimates = request.estimate(figures.models, figures.plans, &states);
    writeln!(out, "estimate: {}", total(&estimates).describe())?;
    write!(out, "{}", needs(figures))?;
    for ((plan, states), (estimate, _)) in figures.plans.iter().zip(&states).zip(&estimates) {
        crate::plan::explain::write_explanation(out, plan, states, &request.results, verbose)?;
        if estimate.runs > 0 && figures.plans.len() > 1 {
            writeln!(out, "  estimate: {}", estimate.describe())?;
        }
    }
    Ok(())
}

/// What the plans need before they can run, beside the time: the disk of the models and
/// environments not here yet, and which machine each split part belongs to.
fn needs(figures: &Figures<'_>) -> String {
    let mut text = String::new();
    let mut download_gb = 0.0;
    let mut envs = 0;
    for step in figures
        .steps
        .iter()
        .filter(|s| !matches!(s.state, StepState::Done(_)))
    {
        match &step.step {
            prepare_plan::Step::Fetch { model } => {
                // bf16 weights: two bytes a parameter.
                download_gb += figures.models.get(model).map_or(0.0, |m| m.size * 2.0);
            }
            prepare_plan::Step::Env(_) => envs += 1,
            _ => {}
        }
    }
    if download_gb > 0.0 || envs > 0 {
        text += &format!(
            "disk: about {download_gb:.0} GB of models to download, {envs} environment(s) to set up (about 7 GB each); the rest is here\n"
        );
    }
    if let Ok(machines) = Project::new(&figures.request.project_root).machines() {
        for plan in figures
            .plans
            .iter()
            .filter(|p| p.groups.iter().any(|g| g.part.is_some()))
        {
            let part = part_name(plan);
            if let Some((name, m)) = machines.runner_of(&part) {
                let gpu = m.gpu.as_deref().unwrap_or("no GPU");
                text += &format!(
                    "machine: {part} runs on {name} ({}, {gpu})\n",
                    m.description
                );
            }
        }
    }
    text
}
