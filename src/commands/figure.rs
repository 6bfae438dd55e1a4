//! `repro figure <recipe|all>`: plan a recipe's runs once, print the plan (`--dry-run`) or
//! prepare what they need and run what is not done, then write the tables.
//!
//! The arguments are resolved once into [`Settings`]; the plans are made once, with the keys
//! the runs will have after preparation (the patches the environment will carry, the models as
//! they will be), and each task's state is read once, under the results lock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::artifacts::derived::Policy;
use repro::artifacts::manifest::Manifest;
use repro::config::machines::Device;
use repro::config::Models;
use repro::env::harness;
use repro::env::setup::{self, EnvManifest};
use repro::env::EnvSpec;
use repro::estimate::{Estimator, PlanEstimate};
use repro::exit;
use repro::plan::guard::Clash;
use repro::plan::prepare::{self, PrepareRequest, Prepared, StepState};
use repro::plan::{self, EngineKind, Plan, PlanRequest, TaskState};
use repro::project::Project;
use repro::recipe::Layout;
use repro::recipe::{Recipe, SplitKind};
use repro::run::Summary;
use repro::run::{self, Engine, Local, RunOptions, DEFAULT_GRACE};
use repro::table::WriteReport;

use super::progress::Progress;
use super::Output;
use crate::cli::{EngineArg, FigureArgs};

/// What `repro figure` was asked, resolved once from the command line and the project.
struct Settings {
    /// `(name, recipe)`: one, or every recipe for `all`.
    recipes: Vec<(String, Recipe)>,
    all: bool,
    /// `--gpu I`, `--cpu I`, `--case I`.
    part: Option<(SplitKind, u32)>,
    engine: EngineKind,
    device: Device,
    results: PathBuf,
    models_dir: PathBuf,
    iterations: Option<u32>,
    only_models: Vec<String>,
    /// `--vllm`: only the runs of these versions.
    only_vllm: Vec<String>,
    /// `VLLM_CPU_KVCACHE_SPACE` for vLLM's CPU build.
    kv_cache_gib: u32,
    /// `--python`: the runs use it instead of repro's environments.
    python: Option<PathBuf>,
    /// Set up environments and make models first (not `--no-prepare`; the real engine only).
    prepare: bool,
    force: bool,
    run: RunOptions,
    project_root: PathBuf,
    cache: PathBuf,
}

impl Settings {
    fn resolve(args: &FigureArgs, out: &Output) -> anyhow::Result<Settings> {
        let word = &args.figure;
        let target = out
            .project
            .target(word)
            .with_context(|| format!("loading the recipe `{word}`"))?;
        let named = match target {
            repro::project::Target::All => out.project.all_recipes()?,
            repro::project::Target::Recipe(named) => vec![*named],
            repro::project::Target::Folder(dir) => anyhow::bail!(
                "`{}` is a folder of results, not a recipe: `repro figure` runs a recipe; `repro table {word}` and `repro render {word} --out DIR` read a folder",
                dir.display()
            ),
        };
        let engine = match args.engine {
            EngineArg::Real => EngineKind::Real,
            EngineArg::Fake => EngineKind::Fake,
        };
        Ok(Settings {
            recipes: named.into_iter().map(|n| (n.name, n.recipe)).collect(),
            all: args.figure == "all",
            part: args
                .gpu
                .map(|i| (SplitKind::Gpu, i))
                .or(args.cpu.map(|i| (SplitKind::Cpu, i)))
                .or(args.case.map(|i| (SplitKind::Case, i))),
            engine,
            device: args.device.into(),
            results: args.results.clone(),
            models_dir: args.models_dir.clone(),
            iterations: args.iterations,
            only_models: args.models.clone(),
            only_vllm: args.vllm.clone(),
            kv_cache_gib: kv_cache_gib(args, out)?,
            python: args.python.clone(),
            prepare: engine == EngineKind::Real && !args.no_prepare,
            force: args.force,
            run: RunOptions {
                fail_fast: args.fail_fast,
                timeout: args.timeout,
                grace: DEFAULT_GRACE,
                drop_caches: args.drop_caches,
            },
            project_root: out.project.root.clone(),
            cache: repro::env::cache_dir(&out.project.root),
        })
    }

    /// The part of `recipe` to plan; `None` in the outer option skips the recipe (`all` only).
    fn part_of(&self, recipe: &Recipe) -> anyhow::Result<Option<Option<u32>>> {
        match (&recipe.split, self.part) {
            (None, None) => Ok(Some(None)),
            (None, Some(_)) if self.all => Ok(Some(None)),
            // The planner says the figure is not split.
            (None, Some((_, index))) => Ok(Some(Some(index))),
            (Some(split), Some((kind, index))) if split.kind == kind => Ok(Some(Some(index))),
            (Some(_), _) if self.all => Ok(None),
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

    /// How a split recipe is run, and where each part runs (machines.toml):
    /// `split by gpu; pass --gpu <I> to run a part: --gpu 0 on n1, --gpu 1 on n2`.
    fn split_parts(&self, recipe: &Recipe) -> String {
        let Some(split) = &recipe.split else {
            return "not split".into();
        };
        let kind = split.kind.as_str();
        let mut text = format!("split by {kind}; pass --{kind} <I> to run a part");
        let Ok(machines) = Project::new(&self.project_root).machines() else {
            return text;
        };
        let parts: Vec<String> = split
            .parts
            .iter()
            .map(|part| {
                let name = format!("{}/{kind}{}", recipe.folder, part.index);
                match machines.runner_of(&name) {
                    Some((machine, _)) => format!("--{kind} {} on {machine}", part.index),
                    None => format!("--{kind} {}", part.index),
                }
            })
            .collect();
        text += &format!(": {}", parts.join(", "));
        text
    }

    /// Every recipe's plan, made once: the keys are those the runs will have once the
    /// environments are set up (their patches) and the models are there.
    fn plans(&self, models: &Models, quiet: bool) -> anyhow::Result<Vec<Plan>> {
        let mut plans = Vec::new();
        for (id, recipe) in &self.recipes {
            let Some(part) = self.part_of(recipe)? else {
                if !quiet {
                    eprintln!("{id}: skipped ({})", self.split_parts(recipe));
                }
                continue;
            };
            let request = PlanRequest {
                recipe,
                models,
                results: &self.results,
                part,
                engine: self.engine,
                iterations: self.iterations,
                models_dir: &self.models_dir,
                patch_hash: self.patch_hash(recipe),
                device: self.device,
                only_models: &self.only_models,
                only_vllm: &self.only_vllm,
                cpu_kv_cache_gib: self.kv_cache_gib,
            };
            plans.push(plan::plan(&request).with_context(|| format!("planning `{id}`"))?);
        }
        Ok(plans)
    }

    /// The hash of the profiling patches of the environment the runs use — as it is, or as
    /// `env setup` will make it where it is missing or was made from an older recipe — so a
    /// run made before the patches changed is stale.
    fn patch_hash(&self, recipe: &Recipe) -> Option<String> {
        if self.engine != EngineKind::Real || self.python.is_some() {
            return None;
        }
        let [version] = recipe.run.vllm.list()[..] else {
            return None;
        };
        let spec = EnvSpec::new(version, self.device);
        let manifest = EnvManifest::read(&spec.dir(&self.cache));
        let current = manifest.as_ref().is_some_and(|m| {
            setup::recipe_id(&spec, &self.project_root)
                .is_ok_and(|recipe| setup::is_current(m, &spec, &recipe))
        });
        match manifest {
            Some(m) if current || !self.prepare => m.patch_hash,
            _ if self.prepare => repro::patch::PatchSet::load(&self.project_root, version)
                .ok()
                .map(|set| set.hash()),
            _ => None,
        }
    }

    /// The preparation steps the plans need (none with the fake engine, or `--no-prepare`).
    fn preparation(&self, models: &Models, plans: &[Plan]) -> anyhow::Result<Vec<Prepared>> {
        if !self.prepare {
            return Ok(vec![]);
        }
        Ok(prepare::steps(&PrepareRequest {
            plans,
            models,
            models_dir: &self.models_dir,
            cache: &self.cache,
            project_root: &self.project_root,
            device: self.device,
            envs: self.python.is_none(),
            model_files: true,
        })?)
    }

    /// The Python of each vLLM version the runs to make need: `--python`, else the environment
    /// `repro env setup` made. A missing one is an error before any run; versions of tasks that
    /// are done (or kept) need none.
    fn pythons(
        &self,
        plans: &[Plan],
        states: &[States],
    ) -> anyhow::Result<HashMap<String, PathBuf>> {
        let mut found = HashMap::new();
        let to_run = plans.iter().zip(states).flat_map(|(plan, states)| {
            plan.tasks
                .iter()
                .zip(states)
                .filter(|(_, (state, _))| state.runs())
                .map(|(task, _)| task)
        });
        for task in to_run {
            let version = &*task.vllm;
            if found.contains_key(version) {
                continue;
            }
            let python = match &self.python {
                Some(python) => repro::sys::absolute(python),
                None => EnvSpec::new(version, self.device).python(&self.cache),
            };
            if !python.exists() {
                bail!(
                    "no Python for vLLM {version} (looked for `{}`): run `repro env setup --vllm {version}{}`, or pass --python PATH (or try --engine fake)",
                    python.display(),
                    if self.device == Device::Cpu { " --device cpu" } else { "" }
                );
            }
            found.insert(version.to_string(), python);
        }
        Ok(found)
    }

    fn engine(&self, plans: &[Plan], states: &[States]) -> anyhow::Result<Engine> {
        let root = std::path::absolute(&self.project_root)
            .with_context(|| format!("resolving `{}`", self.project_root.display()))?;
        let exe = std::env::current_exe().context("finding the repro binary")?;
        Ok(match self.engine {
            EngineKind::Fake => Engine::Fake { exe, project: root },
            EngineKind::Real => {
                let cache = repro::env::cache_dir(&root);
                let harness = harness::install(&cache).with_context(|| {
                    format!("writing the engine harness under `{}`", cache.display())
                })?;
                Engine::Real {
                    pythons: self.pythons(plans, states)?,
                    harness,
                    guard: Some(exe),
                }
            }
        })
    }
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

/// Each task's state, read once per plan.
type States = Vec<(TaskState, Option<Box<Manifest>>)>;

pub fn run(args: FigureArgs, out: Output) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(&args, &out)?;
    let models = out.project.models()?;
    let plans = settings.plans(&models, out.quiet)?;
    if let Some(code) = super::on::run(&args, &out, &plans)? {
        return Ok(code);
    }
    let clashes: Vec<Clash> = plans.iter().filter_map(plan::guard::clash).collect();
    let steps = settings.preparation(&models, &plans)?;
    if args.dry_run {
        print_dry_run(&settings, &models, &plans, &clashes, &steps, out.verbose);
        return Ok(ExitCode::SUCCESS);
    }
    if !clashes.is_empty() && !settings.force {
        let lines: Vec<String> = clashes.iter().map(|c| format!("  {c}")).collect();
        bail!(
            "fake-engine runs and real data are never mixed in one figure, and nothing ran:\n{}\n{}",
            lines.join("\n"),
            clash_way_out(false)
        );
    }
    let _lock = repro::artifacts::lock::lock(&settings.results)?;
    set_aside_clashes(&clashes, &settings.results)?;
    let states: Vec<States> = plans.iter().map(|p| p.states(settings.force)).collect();
    let to_run = states.iter().flatten().any(|(s, _)| s.runs());
    let estimates = estimate(&settings, &models, &plans, &states);
    if !out.quiet && to_run {
        eprintln!("estimate: {}", total(&estimates).describe());
    }
    if to_run && settings.engine == EngineKind::Real && settings.python.is_none() {
        super::prepare::check_gpu(settings.device)?;
    }
    if to_run && steps.iter().any(|s| !matches!(s.state, StepState::Done(_))) {
        let inputs = super::prepare::Inputs {
            models: &models,
            models_dir: &settings.models_dir,
            cache: settings.cache.clone(),
            kv_cache_gib: settings.kv_cache_gib,
            python: settings.python.clone(),
        };
        super::prepare::run(&steps, &inputs, &out)?;
    }
    let engine = settings.engine(&plans, &states)?;
    remove_leftovers(&plans, &settings.results, out.verbose)?;
    let interrupt = super::interrupt::install()?;
    let progress = Progress::new(out.quiet, out.verbose);
    let mut failed = Vec::new();
    let mut interrupted = false;
    for ((plan, states), (_, estimates)) in plans.iter().zip(&states).zip(&estimates) {
        let summary = run::execute(
            &run::PlanRun {
                plan,
                states,
                estimates,
            },
            &engine,
            &settings.run,
            &mut Local,
            &progress,
            &interrupt,
        )?;
        progress.finish();
        let tables = write_tables(plan)?;
        report_plan(plan, &summary, &tables, out.quiet);
        failed.extend(summary.failed);
        if summary.interrupted {
            interrupted = true;
            break;
        }
        if settings.run.fail_fast && !failed.is_empty() {
            break;
        }
    }
    report_failures(&failed);
    if interrupted {
        eprintln!("interrupted: finished runs are kept; rerun the same command to resume");
        return Ok(ExitCode::from(exit::INTERRUPTED));
    }
    if !failed.is_empty() {
        return Ok(ExitCode::from(exit::RUNS_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}

/// Each plan's runs estimated: the plan's total, and each task's (`None` where it is done).
fn estimate(
    settings: &Settings,
    models: &Models,
    plans: &[Plan],
    states: &[States],
) -> Vec<(PlanEstimate, Vec<Option<f64>>)> {
    let estimator = Estimator::new(&settings.results, models);
    plans
        .iter()
        .zip(states)
        .map(|(plan, states)| {
            let runs: Vec<bool> = states.iter().map(|(s, _)| s.runs()).collect();
            estimator.plan(plan, &runs, models)
        })
        .collect()
}

fn total(estimates: &[(PlanEstimate, Vec<Option<f64>>)]) -> PlanEstimate {
    let mut total = PlanEstimate::default();
    for (plan, _) in estimates {
        total.add(plan);
    }
    total
}

/// What the plans need before they can run, beside the time: the disk of the models and
/// environments not here yet, and which machine each split part belongs to.
fn needs(settings: &Settings, models: &Models, plans: &[Plan], steps: &[Prepared]) -> String {
    let mut text = String::new();
    let mut download_gb = 0.0;
    let mut envs = 0;
    for step in steps
        .iter()
        .filter(|s| !matches!(s.state, StepState::Done(_)))
    {
        match &step.step {
            prepare::Step::Fetch { model } => {
                // bf16 weights: two bytes a parameter.
                download_gb += models.get(model).map_or(0.0, |m| m.size * 2.0);
            }
            prepare::Step::Env(_) => envs += 1,
            _ => {}
        }
    }
    if download_gb > 0.0 || envs > 0 {
        text += &format!(
            "disk: about {download_gb:.0} GB of models to download, {envs} environment(s) to set up (about 7 GB each); the rest is here\n"
        );
    }
    if let Ok(machines) = Project::new(&settings.project_root).machines() {
        for plan in plans
            .iter()
            .filter(|p| p.groups.iter().any(|g| g.part.is_some()))
        {
            let part = super::on::part_name(plan);
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

/// `--dry-run`: the clashes, the preparation steps, the estimate and what the runs need, and
/// every plan with its tasks' states.
fn print_dry_run(
    settings: &Settings,
    models: &Models,
    plans: &[Plan],
    clashes: &[Clash],
    steps: &[Prepared],
    verbose: bool,
) {
    // Printed as it is made (a 100,000-task plan's text is 10 MB); a closed pipe
    // (`… --dry-run | head`) is not an error: the rest is not printed.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let _ = write_dry_run(&mut out, settings, models, plans, clashes, steps, verbose)
        .and_then(|()| std::io::Write::flush(&mut out));
}

fn write_dry_run(
    out: &mut dyn std::io::Write,
    settings: &Settings,
    models: &Models,
    plans: &[Plan],
    clashes: &[Clash],
    steps: &[Prepared],
    verbose: bool,
) -> std::io::Result<()> {
    for clash in clashes {
        writeln!(
            out,
            "stops here: {clash}: {}",
            clash_way_out(settings.force)
        )?;
    }
    write!(out, "{}", super::prepare::explain(steps))?;
    let states: Vec<States> = plans.iter().map(|p| p.states(settings.force)).collect();
    let estimates = estimate(settings, models, plans, &states);
    writeln!(out, "estimate: {}", total(&estimates).describe())?;
    write!(out, "{}", needs(settings, models, plans, steps))?;
    for ((plan, states), (estimate, _)) in plans.iter().zip(&states).zip(&estimates) {
        plan::explain::write_explanation(out, plan, states, &settings.results, verbose)?;
        if estimate.runs > 0 && plans.len() > 1 {
            writeln!(out, "  estimate: {}", estimate.describe())?;
        }
    }
    Ok(())
}

/// Delete what killed runs left; safe while we hold the lock.
fn remove_leftovers(plans: &[Plan], results: &Path, verbose: bool) -> anyhow::Result<()> {
    for plan in plans {
        let folder = results.join(&plan.figure);
        let removed = repro::artifacts::stage::remove_leftovers(&folder)
            .with_context(|| format!("cleaning `{}`", folder.display()))?;
        if verbose && !removed.is_empty() {
            eprintln!(
                "removed {} unfinished files of an interrupted run",
                removed.len()
            );
        }
    }
    Ok(())
}

/// What a plan's run did: its summary line, what was kept aside, an interrupted run.
fn report_plan(plan: &Plan, summary: &Summary, tables: &WriteReport, quiet: bool) {
    if !quiet {
        print_summary(plan, summary, tables);
    }
    for path in &summary.replaced {
        eprintln!("note: kept what was in a run's way: `{}`", path.display());
    }
    if let Some((task, result)) = &summary.interrupted_run {
        eprintln!(
            "interrupted: {} was stopped (its partial log: {})",
            task.describe(),
            result.log.display()
        );
    }
}

/// The runs that did not succeed, each with the end of its log.
fn report_failures(failed: &[(plan::Task, run::TaskResult)]) {
    if failed.is_empty() {
        return;
    }
    eprintln!("error: {} run(s) did not succeed:", failed.len());
    for (task, result) in failed {
        eprintln!(
            "  {}: {} (log: {})",
            task.describe(),
            result.error.as_deref().unwrap_or(result.status.as_str()),
            result.log.display()
        );
        for line in &result.tail {
            eprintln!("    | {line}");
        }
    }
    eprintln!("rerun the same command to retry them; finished runs are kept");
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
