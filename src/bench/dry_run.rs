//! `repro bench --dry-run`: per benchmark, each run's state, workload and the command that
//! would serve it — nothing started, nothing written.

use std::fmt::Write as _;
use std::path::Path;

use super::context::Context;
use super::error::BenchError;
use super::{capacity, runner};
use crate::plan::bench::BenchTask;
use crate::plan::benchmark::{Planned, PlannedKind};
use crate::plan::offline::OfflineTask;
use crate::plan::tenants::TenantsPlan;
use crate::recipe::bench::{Arrival, BenchRecipe};
use crate::recipe::offline::{Backend, Mode, OfflineRecipe};
use crate::run::folder::FolderState;

/// A benchmark's dry run: its title, then its runs (`verbose`: with their keys).
pub fn dry_run(planned: &Planned, ctx: &Context, verbose: bool) -> Result<String, BenchError> {
    let name = &planned.name;
    let mut text = format!("bench {name}: {}\n", planned.title());
    match &planned.kind {
        PlannedKind::Serve { recipe, tasks } => {
            serve(&mut text, name, recipe, tasks, ctx, verbose)?
        }
        PlannedKind::Offline { recipe, tasks } => offline(&mut text, recipe, tasks, ctx, verbose)?,
        PlannedKind::Tenants { plan, .. } => tenants(&mut text, name, plan, ctx, verbose)?,
    }
    Ok(text)
}

/// Each run of a one-server benchmark (its state, workload and server command), or its
/// capacity search's configurations.
fn serve(
    text: &mut String,
    name: &str,
    recipe: &BenchRecipe,
    tasks: &[BenchTask],
    ctx: &Context,
    verbose: bool,
) -> Result<(), BenchError> {
    if recipe.capacity.is_some() {
        capacity_search(text, name, recipe, ctx);
        return Ok(());
    }
    for task in tasks {
        let run = &task.run;
        let _ = writeln!(
            text,
            "  {}: {}",
            run.label,
            runner::state(task).words(ctx.force)
        );
        let w = &run.workload;
        let _ = writeln!(
            text,
            "    {} to {} ({}), seed {}",
            what_is_sent(w),
            w.endpoint.path(),
            arrival_words(w),
            w.seed
        );
        let launch = runner::launch(recipe, run, ctx, None)?;
        let _ = match &launch.argv {
            Some(argv) => writeln!(text, "    server: {}", argv.join(" ")),
            None => writeln!(
                text,
                "    server: {} (not started by repro)",
                launch.base_url
            ),
        };
        if verbose {
            let _ = writeln!(text, "    key: {}", task.folder.key);
        }
    }
    Ok(())
}

/// How a workload's requests arrive, in words.
fn arrival_words(w: &crate::recipe::bench::WorkloadSpec) -> String {
    match w.arrival {
        Arrival::Closed => format!("closed loop, concurrency {}", w.concurrency.unwrap_or(1)),
        Arrival::Poisson => format!("poisson at {} req/s", w.rate.unwrap_or(0.0)),
        Arrival::Gamma => format!(
            "gamma at {} req/s, burstiness {}",
            w.rate.unwrap_or(0.0),
            w.burstiness.unwrap_or(1.0)
        ),
        Arrival::Trace => format!(
            "trace {}",
            w.trace.as_deref().unwrap_or(Path::new("")).display()
        ),
    }
}

/// A capacity search: its bounds and goal, and per configuration the probes done before.
fn capacity_search(text: &mut String, name: &str, recipe: &BenchRecipe, ctx: &Context) {
    let Some(spec) = &recipe.capacity else {
        return;
    };
    let _ = writeln!(
        text,
        "  capacity search, {} to {} req/s from {} (×{} then bisection to {}%, at most {} probes per configuration): {}",
        spec.min_rate,
        spec.max_rate,
        spec.start_rate.unwrap_or(spec.min_rate),
        spec.growth,
        spec.precision * 100.0,
        spec.max_probes,
        capacity::goal_words(spec)
    );
    for config in recipe.runs() {
        let dir = capacity::config_dir(&ctx.results, name, &config.label);
        // Each probe folder's rate is in its name; done means its key is this recipe's.
        let rates: Vec<f64> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_prefix("rate_")?.parse().ok())
            .collect();
        let done = rates
            .iter()
            .filter(|&&rate| {
                let task = capacity::probe_task(recipe, &ctx.results, name, &config, rate);
                runner::state(&task) == FolderState::Done
            })
            .count();
        let _ = writeln!(
            text,
            "  {}: {done} probe(s) done before (reused, not rerun){}",
            config.label,
            match rates.len() - done {
                0 => String::new(),
                n => format!("; {n} other probe folder(s) would be redone"),
            }
        );
    }
}

/// An offline benchmark: each run's state, what it asks the harness, the engine it builds.
fn offline(
    text: &mut String,
    recipe: &OfflineRecipe,
    tasks: &[OfflineTask],
    ctx: &Context,
    verbose: bool,
) -> Result<(), BenchError> {
    use super::offline;
    let python = offline::python_of(recipe, ctx);
    for task in tasks {
        let state = offline::state(task).words(ctx.force);
        let _ = writeln!(text, "  {}: {state}", task.folder.label);
        let request = offline::request(recipe, &task.run, ctx)?;
        let what = match request.mode {
            Mode::Latency => format!(
                "latency: a batch of {} × {} tokens → {} tokens, {} warm-up + {} timed",
                request.batch_size.unwrap_or(0),
                request.input_len.unwrap_or(0),
                request.output_len.unwrap_or(0),
                request.warmup,
                request.iterations
            ),
            Mode::Throughput => format!(
                "throughput: {} prompts in one LLM.generate",
                request.requests.as_ref().map_or(0, |r| r.len())
            ),
        };
        let _ = writeln!(text, "    {what}");
        let args: Vec<String> = request
            .engine_args
            .iter()
            .map(|(k, v)| format!("{k}={}", v.python_str()))
            .collect();
        let engine = match request.backend {
            Backend::Vllm => "LLM",
            Backend::Transformers => "transformers",
        };
        let _ = writeln!(
            text,
            "    {} offline_harness.py: {engine}(model={}, {})",
            python.display(),
            request.model,
            args.join(", ")
        );
        if verbose {
            let _ = writeln!(text, "    key: {}", task.folder.key);
        }
    }
    Ok(())
}

/// A tenants benchmark: its solo runs as one-server runs, then each shared run's tenants.
fn tenants(
    text: &mut String,
    name: &str,
    plan: &TenantsPlan,
    ctx: &Context,
    verbose: bool,
) -> Result<(), BenchError> {
    for (recipe, tasks) in plan.tenant_recipes.iter().zip(&plan.solo) {
        if !tasks.is_empty() {
            serve(text, name, recipe, tasks, ctx, verbose)?;
        }
    }
    for task in &plan.shared {
        let state = super::tenants::state(task).words(ctx.force);
        let _ = writeln!(
            text,
            "  {}: {state} — {} tenants at once, sharing {}",
            task.folder.label,
            task.run.tenants.len(),
            task.run.sharing.name()
        );
        for (i, t) in task.run.tenants.iter().enumerate() {
            let launch = runner::launch(&plan.tenant_recipes[i], &t.run, ctx, None)?;
            let w = &t.run.workload;
            let _ = writeln!(
                text,
                "    {}: {} requests from {:.1}s; server: {}",
                t.name,
                w.requests,
                t.start_after.as_secs_f64(),
                launch.argv.unwrap_or_default().join(" ")
            );
            if let Some(p) = t.mps_thread_percentage {
                let _ = writeln!(
                    text,
                    "      CUDA_MPS_ACTIVE_THREAD_PERCENTAGE={p} under MPS"
                );
            }
        }
        if verbose {
            let _ = writeln!(text, "    key: {}", task.folder.key);
        }
    }
    Ok(())
}

/// `40 requests`, or `12 conversations of 6 turns (300ms thinking)`.
fn what_is_sent(w: &crate::recipe::bench::WorkloadSpec) -> String {
    let Some(c) = &w.conversation else {
        return format!("{} requests", w.requests);
    };
    let turns = match (&c.turns, &c.file) {
        (Some(crate::recipe::bench::LenDist::Fixed { value }), _) => format!("{value} turns"),
        (Some(_), None) => "drawn turns".to_string(),
        (_, Some(file)) => format!("the turns of {}", file.display()),
        (None, None) => "turns".to_string(),
    };
    let think = c.think_time.map_or(String::new(), |t| {
        format!(" ({} thinking)", humantime::format_duration(t))
    });
    format!("{} conversations of {turns}{think}", w.requests)
}
