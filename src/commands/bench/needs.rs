//! What `repro bench`'s servers and harnesses need before they start (environments, models),
//! made before any server starts — or, with `--no-prepare`, refused with the commands that
//! make it.

use repro::bench::Context;
use repro::plan::benchmark::{Planned, PlannedKind};
use repro::plan::prepare::{steps_for, Need, PrepareRequest, Prepared, Step, StepState};

use crate::cli::BenchArgs;
use crate::commands::Output;

/// The kinds in the order their needs are listed (as they always were).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Serve,
    Tenants,
    Offline,
}

impl Order {
    fn of(planned: &Planned) -> Order {
        match planned.kind {
            PlannedKind::Serve { .. } => Order::Serve,
            PlannedKind::Tenants { .. } => Order::Tenants,
            PlannedKind::Offline { .. } => Order::Offline,
        }
    }
}

/// What the benchmarks need before they can start, done or not: their environments and their
/// models of models.toml (listed tenants first, then offline, then one-server benchmarks).
pub fn preparation(
    benchmarks: &[Planned],
    models: &repro::config::Models,
    ctx: &Context,
    out: &Output,
) -> anyhow::Result<Vec<Prepared>> {
    let order = [Order::Tenants, Order::Offline, Order::Serve];
    let needs: Vec<Need> = order
        .iter()
        .flat_map(|o| benchmarks.iter().filter(move |p| Order::of(p) == *o))
        .flat_map(|p| p.needs(models))
        .collect();
    let request = PrepareRequest {
        plans: &[],
        models,
        models_dir: &ctx.models_dir,
        cache: &ctx.cache,
        project_root: &out.project.root,
        device: Default::default(),
        envs: true,
        model_files: true,
    };
    Ok(steps_for(&needs, &request)?)
}

/// With `--no-prepare`, what is missing stops the benchmark before anything is written, with
/// the commands that make it.
pub fn refuse_unprepared(
    steps: &[Prepared],
    ctx: &Context,
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let todo: Vec<&Prepared> = steps
        .iter()
        .filter(|s| !matches!(s.state, StepState::Done(_)))
        .collect();
    if !todo.is_empty() && args.no_prepare {
        let lines: Vec<String> = todo
            .iter()
            .map(|s| format!("  {}: {}", s.step, command_for(&s.step, &ctx.models_dir)))
            .collect();
        anyhow::bail!(
            "the servers need what is not here, and --no-prepare says not to make it (no server was started):\n{}",
            lines.join("\n")
        );
    }
    Ok(())
}

/// Do the steps not done before any server starts.
pub fn prepare(
    steps: &[Prepared],
    models: &repro::config::Models,
    ctx: &Context,
    out: &Output,
) -> anyhow::Result<()> {
    if steps.iter().all(|s| matches!(s.state, StepState::Done(_))) {
        return Ok(());
    }
    let inputs = repro::reproduce::prepare::Inputs {
        models,
        models_dir: &ctx.models_dir,
        cache: ctx.cache.clone(),
        kv_cache_gib: 4,
        python: None,
        project_root: out.project.root.clone(),
    };
    let progress = repro::progress::terminal::Terminal::new(out.quiet, out.verbose);
    let bars = repro::progress::bars::DownloadBars::new(out.quiet);
    let done = repro::reproduce::prepare::run(steps, &inputs, &progress, &bars);
    progress.finish();
    Ok(done?)
}

/// The command that makes a step by hand.
fn command_for(step: &Step, models_dir: &std::path::Path) -> String {
    let dir = match models_dir.to_str() {
        Some("models") => String::new(),
        _ => format!(" --models-dir {}", models_dir.display()),
    };
    match step {
        Step::Env(spec) => format!(
            "`repro env setup --vllm {}{}`",
            spec.vllm,
            if spec.device == repro::config::machines::Device::Cpu {
                " --device cpu"
            } else {
                ""
            }
        ),
        Step::Fetch { model } => format!("`repro models fetch {model}{dir}`"),
        Step::Synth { model, .. } => format!("`repro models synth {model}{dir}`"),
        Step::Tensorize { name, .. } => format!("`repro models tensorize {name}{dir}`"),
    }
}
