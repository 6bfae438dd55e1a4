//! `repro bench`: run serving benchmarks of every kind (one server, offline, tenants) through
//! the library's one entry (`bench::benchmark::run`); `repro __mock-server`: the mock server
//! they test with. What it prints is in `print` (its dry run is
//! `repro::bench::dry_run`), what it prepares in `needs`.

mod import;
mod needs;
mod print;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use repro::artifacts::layout::bench_dir;
use repro::bench::{BenchError, Context};
use repro::plan::benchmark::{Planned, PlannedKind};
use repro::run::Interrupt;

use super::Output;
use crate::cli::{BenchArgs, MockServerArgs, ServerGuardArgs};
use print::Printer;

/// What `repro bench` was asked, resolved once: the recipes and their plans, where runs go.
struct Settings {
    benchmarks: Vec<Planned>,
    ctx: Context,
}

impl Settings {
    fn resolve(args: &BenchArgs, out: &Output) -> anyhow::Result<Settings> {
        let dir = out.project.root.join("benchmarks");
        let name = args.name.clone().unwrap_or_default();
        let names = if name == "all" {
            repro::recipe::benchmark::available(&dir)
        } else {
            vec![name]
        };
        let mut benchmarks = Vec::new();
        for word in names {
            let (name, mut benchmark) = repro::recipe::benchmark::load_named(&dir, &word)?;
            // `--repeats`: every point of a one-server matrix (a search picks its own points).
            if let (Some(n), repro::recipe::benchmark::Benchmark::Serve(r)) =
                (args.repeats, &mut benchmark)
            {
                if r.capacity.is_none() && r.prefill_profile.is_none() {
                    r.workload.repeats = Some(n);
                }
            }
            benchmarks.push(repro::plan::benchmark::plan(name, benchmark, &args.results));
        }
        let ctx = Context {
            project_root: out.project.root.clone(),
            cache: repro::env::cache_dir(&out.project.root),
            models_dir: args.models_dir.clone(),
            results: args.results.clone(),
            force: args.force,
            interrupt: Interrupt::default(),
            guard: std::env::current_exe().ok(),
            client_slowdown: Duration::from_millis(args.client_slowdown_ms),
        };
        Ok(Settings { benchmarks, ctx })
    }
}

/// The kinds in the order they run: every one-server benchmark, then the offline ones, then
/// the tenants ones (and their dry runs: one-server, tenants, offline).
fn in_order<'a>(benchmarks: &'a [Planned], order: &[Kind]) -> Vec<&'a Planned> {
    order
        .iter()
        .flat_map(|k| benchmarks.iter().filter(move |p| Kind::of(p) == *k))
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Serve,
    Offline,
    Tenants,
}

impl Kind {
    fn of(planned: &Planned) -> Kind {
        match planned.kind {
            PlannedKind::Serve { .. } => Kind::Serve,
            PlannedKind::Offline { .. } => Kind::Offline,
            PlannedKind::Tenants { .. } => Kind::Tenants,
        }
    }
}

pub fn run(args: BenchArgs, out: Output) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(crate::cli::BenchCommand::Dataset(dataset)) => {
            return super::dataset::run(dataset, out)
        }
        Some(crate::cli::BenchCommand::Import(import)) => return import::run(import, out),
        None => {}
    }
    let Settings { benchmarks, ctx } = Settings::resolve(&args, &out)?;
    if let Some(code) = run_on(&args, &out, &benchmarks)? {
        return Ok(code);
    }
    let models = out.project.models()?;
    let steps = needs::preparation(&benchmarks, &models, &ctx, &out)?;
    if args.dry_run {
        print!("{}", repro::reproduce::prepare::explain(&steps));
        for planned in in_order(&benchmarks, &[Kind::Serve, Kind::Tenants, Kind::Offline]) {
            dry_run(planned, &ctx, &out)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    needs::refuse_unprepared(&steps, &ctx, &args)?;
    let _lock = repro::bench::benchmark::hold_results(&args.results, &benchmarks)?;
    needs::prepare(&steps, &models, &ctx, &out)?;
    let ctx = Context {
        interrupt: super::interrupt::install()?,
        ..ctx
    };
    let mut failed = 0;
    let mut printer = Printer::new(&out);
    for planned in in_order(&benchmarks, &[Kind::Serve, Kind::Offline, Kind::Tenants]) {
        if !out.quiet {
            eprintln!("bench {}: {}", planned.name, planned.title());
        }
        let outcome = run_one(planned, &ctx, &out, &mut printer);
        if let Some(code) = tally(outcome, &planned.name, &args, &mut failed)? {
            return Ok(code);
        }
        printer.benchmark_done();
        let bench = repro::artifacts::layout::bench_dir(&ctx.results, &planned.name);
        if let Some(sweep) = repro::bench::pareto::read(&bench) {
            for line in repro::bench::pareto::knee_lines(&sweep) {
                println!("bench {}: {line}", planned.name);
            }
        }
        for line in repro::bench::metrics::turn_lines(&bench) {
            println!("bench {}: {line}", planned.name);
        }
    }
    printer.print_rows();
    if failed > 0 {
        eprintln!("{failed} run(s) failed; rerun to redo them");
        return Ok(ExitCode::from(repro::exit::RUNS_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}

fn dry_run(planned: &Planned, ctx: &Context, out: &Output) -> anyhow::Result<()> {
    print!(
        "{}",
        repro::bench::dry_run::dry_run(planned, ctx, out.verbose)?
    );
    Ok(())
}

/// One benchmark through the library; its charts drawn beside its JSON. Returns how many of
/// its runs (or searches) failed.
fn run_one(
    planned: &Planned,
    ctx: &Context,
    out: &Output,
    printer: &mut Printer,
) -> Result<usize, BenchError> {
    let name = &planned.name;
    let ran = repro::bench::benchmark::run(
        planned,
        ctx,
        &mut |event| printer.event(event, name),
        &mut |event| print::capacity_event(&event, out.quiet),
    )?;
    let bench = bench_dir(&ctx.results, name);
    for warning in &ran.warnings {
        eprintln!("warning: {warning}");
    }
    for warning in repro::render::draw::beside(&bench, name) {
        eprintln!("warning: {warning}");
    }
    if ran.capacity.is_some() && !out.quiet {
        eprintln!("  capacity → {}", bench.join("capacity.json").display());
    }
    if let Some(file) = &ran.prefill {
        if !out.quiet {
            print::prefill_fits(file, &bench);
        }
    }
    Ok(ran.failed)
}

/// `--on MACHINE`: `Ok(None)` where the benchmark runs here (a local machine, a dry run), else
/// what submitting it to the machine's Slurm partition gave.
fn run_on(
    args: &BenchArgs,
    out: &Output,
    benchmarks: &[Planned],
) -> anyhow::Result<Option<ExitCode>> {
    let Some(name) = &args.on else {
        return Ok(None);
    };
    let machine = super::on::machine(out, name)?;
    let [bench] = benchmarks else {
        anyhow::bail!("--on submits one benchmark at a time: pass its name, not `all`");
    };
    let target = super::on::Target {
        part: format!("bench-{}", bench.name),
        dir: bench_dir(&args.results, &bench.name),
        dry_run: args.dry_run,
        wait: args.wait,
    };
    super::on::submit(name, &machine, &target, out)
}

/// Count a benchmark's failed runs into `failed`; an interrupt ends the command (its finished
/// runs are kept), any other error names the benchmark.
fn tally(
    outcome: Result<usize, BenchError>,
    name: &str,
    args: &BenchArgs,
    failed: &mut usize,
) -> anyhow::Result<Option<ExitCode>> {
    match outcome {
        Ok(n) => {
            *failed += n;
            Ok(None)
        }
        Err(BenchError::Interrupted) => {
            eprintln!(
                "interrupted: finished runs are kept; `repro bench {}` resumes",
                args.name.as_deref().unwrap_or_default()
            );
            Ok(Some(ExitCode::from(repro::exit::INTERRUPTED)))
        }
        Err(e) => Err(e).with_context(|| format!("benchmark `{name}`")),
    }
}

pub fn mock_server(args: MockServerArgs) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let opts = repro::bench::mock::MockOptions {
        port: args.port,
        ttft: Duration::from_millis(args.ttft_ms),
        gap: Duration::from_millis(args.gap_ms),
        fail_rate: args.fail_rate,
        cut_rate: args.cut_rate,
        die_after: args.die_after,
        unhealthy: args.unhealthy,
        startup_delay: Duration::from_millis(args.startup_delay_ms),
        seed: args.seed,
        lifetime: Duration::from_secs(args.lifetime_s),
        threads: args.threads,
        slots: args.slots,
        prefill_per_token: Duration::from_micros(args.prefill_us_per_token),
        prefix_cache: args.prefix_cache,
    };
    repro::bench::mock::serve(opts, |addr| {
        println!("listening on {addr}");
        let _ = std::io::stdout().flush();
    })
    .context("mock server")?;
    Ok(ExitCode::SUCCESS)
}

pub fn server_guard(args: ServerGuardArgs) -> anyhow::Result<ExitCode> {
    let code = repro::run::guard::guard(&args.command, Duration::from_millis(args.grace_ms))
        .with_context(|| format!("cannot run `{}`", args.command.join(" ")))?;
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}
