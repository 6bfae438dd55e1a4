//! `repro figure <recipe|all>`: resolve the arguments, plan the recipes' runs once, then print
//! the plan (`--dry-run`), submit it (`--on`), or run it (`repro::reproduce::figure`) and say
//! what happened.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use repro::config::machines::Device;
use repro::estimate::PlanEstimate;
use repro::exit;
use repro::plan::guard::Clash;
use repro::plan::{self, EngineKind, Plan};
use repro::recipe::SplitKind;
use repro::reproduce::figure::{self as figures, FigureRequest, Figures, Reporter};
use repro::run::{self, RunOptions, Summary, DEFAULT_GRACE};
use repro::table::WriteReport;

use super::Output;
use crate::cli::{EngineArg, FigureArgs};
use repro::progress::bars::DownloadBars;
use repro::progress::terminal::Terminal;

/// What `repro figure` was asked, resolved once from the command line and the project.
fn request(args: &FigureArgs, out: &Output) -> anyhow::Result<FigureRequest> {
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
    Ok(FigureRequest {
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

pub fn run(args: FigureArgs, out: Output) -> anyhow::Result<ExitCode> {
    let request = request(&args, &out)?;
    let models = out.project.models()?;
    let plans = request.plans(&models, &mut |id, split| {
        if !out.quiet {
            eprintln!("{id}: skipped ({split})");
        }
    })?;
    if let Some(code) = super::on::run(&args, &out, &plans)? {
        return Ok(code);
    }
    let clashes: Vec<Clash> = plans.iter().filter_map(plan::guard::clash).collect();
    let steps = request.preparation(&models, &plans)?;
    let figures = Figures {
        request: &request,
        models: &models,
        plans: &plans,
        clashes: &clashes,
        steps: &steps,
    };
    if args.dry_run {
        // A closed pipe (`… --dry-run | head`) is not an error: the rest is not printed.
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        let _ = repro::reproduce::dry_run::write_dry_run(&mut stdout, &figures, out.verbose)
            .and_then(|()| std::io::Write::flush(&mut stdout));
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe().context("finding the repro binary")?;
    let reporter = Printed {
        out: &out,
        progress: Terminal::new(out.quiet, out.verbose),
        bars: DownloadBars::new(out.quiet),
    };
    let outcome = figures::run_figures(
        &figures,
        exe,
        || repro::run::signals::install(super::interrupt::first_press),
        &reporter,
    );
    reporter.progress.finish();
    let outcome = outcome?;
    report_failures(&outcome.failed);
    if outcome.interrupted {
        eprintln!("interrupted: finished runs are kept; rerun the same command to resume");
        return Ok(ExitCode::from(exit::INTERRUPTED));
    }
    if !outcome.failed.is_empty() {
        return Ok(ExitCode::from(exit::RUNS_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}

/// A figure run's reports, printed.
struct Printed<'a> {
    out: &'a Output,
    progress: Terminal,
    bars: DownloadBars,
}

impl Reporter for Printed<'_> {
    fn progress(&self) -> &dyn repro::progress::Progress {
        &self.progress
    }

    fn downloads(&self) -> &dyn repro::progress::Progress {
        &self.bars
    }

    fn estimate(&self, total: &PlanEstimate) {
        if !self.out.quiet {
            eprintln!("estimate: {}", total.describe());
        }
    }

    fn moved_aside(&self, clash: &Clash, kept: &Path) {
        // Said even with -q: the user's data moved.
        eprintln!(
            "note: --force: moved `{}` ({}) to `{}`",
            clash.folder.display(),
            clash.mix.other,
            kept.display()
        );
    }

    fn removed_leftovers(&self, count: usize) {
        if self.out.verbose {
            eprintln!("removed {count} unfinished files of an interrupted run");
        }
    }

    fn warning(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    fn plan_done(&self, plan: &Plan, summary: &Summary, tables: &WriteReport) {
        self.progress.finish();
        if !self.out.quiet {
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
