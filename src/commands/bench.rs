//! `repro bench`: run serving benchmarks; `repro __mock-server`: the mock server they test with.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use repro::bench::capacity::{self, CapacityEvent};
use repro::bench::prefill;
use repro::bench::runner;
use repro::bench::{BenchError, Context, Event};
use repro::env::EnvSpec;
use repro::figures;
use repro::plan::bench::BenchTask;
use repro::plan::prepare::{steps_for, Need, PrepareRequest, Prepared, Step, StepState};
use repro::recipe::bench::BenchRecipe;
use repro::recipe::bench::{Arrival, ServerKind};
use repro::recipe::benchmark::Benchmark;
use repro::run::folder::FolderState;
use repro::run::Interrupt;

use super::Output;
use crate::cli::{BenchArgs, MockServerArgs, ServerGuardArgs};

fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}", x * 1000.0))
        .unwrap_or_else(|| "-".into())
}

/// A benchmark to run: its name, recipe and planned runs.
pub(super) struct Planned {
    pub name: String,
    pub recipe: BenchRecipe,
    pub tasks: Vec<BenchTask>,
}

/// What `repro bench` was asked, resolved once: the recipes and their plans, where runs go.
struct Settings {
    benchmarks: Vec<Planned>,
    /// Benchmarks of several tenants (`[[tenant]]`s).
    tenants: Vec<super::tenants::PlannedTenants>,
    /// Offline benchmarks (`kind = "offline"`).
    offline: Vec<super::offline::PlannedOffline>,
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
        let mut tenants = Vec::new();
        let mut offline = Vec::new();
        for word in names {
            let (name, benchmark) = repro::recipe::benchmark::load_named(&dir, &word)?;
            let recipe = match benchmark {
                Benchmark::Serve(recipe) => recipe,
                Benchmark::Tenants(recipe) => {
                    tenants.push(super::tenants::PlannedTenants::new(
                        name,
                        recipe,
                        &args.results,
                    ));
                    continue;
                }
                Benchmark::Offline(recipe) => {
                    offline.push(super::offline::PlannedOffline::new(
                        name,
                        recipe,
                        &args.results,
                    ));
                    continue;
                }
            };
            let tasks = repro::plan::bench::plan(&name, &recipe, &args.results);
            benchmarks.push(Planned {
                name,
                recipe,
                tasks,
            });
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
        Ok(Settings {
            benchmarks,
            tenants,
            offline,
            ctx,
        })
    }
}

pub fn run(args: BenchArgs, out: Output) -> anyhow::Result<ExitCode> {
    if let Some(crate::cli::BenchCommand::Dataset(dataset)) = args.command {
        return super::dataset::run(dataset, out);
    }
    let Settings {
        benchmarks,
        tenants,
        offline,
        ctx,
    } = Settings::resolve(&args, &out)?;
    if let Some(code) = run_on(&args, &out, &benchmarks, &tenants, &offline)? {
        return Ok(code);
    }
    let models = out.project.models()?;
    // What the tenants' servers and the offline harnesses need, beside the servers'.
    let mut needs: Vec<Need> = tenants.iter().flat_map(|t| t.needs(&models)).collect();
    needs.extend(offline.iter().flat_map(|o| o.needs(&models)));
    let steps = preparation(&benchmarks, needs, &models, &ctx, &out)?;
    if args.dry_run {
        print!("{}", super::prepare::explain(&steps));
        for planned in &benchmarks {
            dry_run(planned, &ctx, &out)?;
        }
        for planned in &tenants {
            planned.dry_run(&ctx, &out)?;
        }
        for planned in &offline {
            planned.dry_run(&ctx, &out)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    refuse_unprepared(&steps, &ctx, &args)?;
    // One repro at a time in a results folder: leftovers of an interrupted run are then ours
    // to remove.
    let _lock = repro::artifacts::lock::lock(&args.results)?;
    remove_leftovers(&args.results, names(&benchmarks, &tenants, &offline))?;
    prepare(&steps, &models, &ctx, &out)?;
    let ctx = Context {
        interrupt: super::interrupt::install()?,
        ..ctx
    };
    let mut failed = 0;
    let mut rows = Vec::new();
    for planned in &benchmarks {
        if !out.quiet {
            eprintln!("bench {}: {}", planned.name, planned.recipe.title);
        }
        let outcome = one_server(planned, &ctx, &out, &mut rows);
        if let Some(code) = tally(outcome, &planned.name, &args, &mut failed)? {
            return Ok(code);
        }
    }
    for planned in &offline {
        let outcome = planned.run(&ctx, &out);
        if let Some(code) = tally(outcome, &planned.name, &args, &mut failed)? {
            return Ok(code);
        }
    }
    for planned in &tenants {
        let outcome = planned.run(&ctx, &out, &mut rows);
        if let Some(code) = tally(outcome, &planned.name, &args, &mut failed)? {
            return Ok(code);
        }
    }
    print_rows(&rows);
    if failed > 0 {
        eprintln!("{failed} run(s) failed; rerun to redo them");
        return Ok(ExitCode::from(repro::exit::RUNS_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--on MACHINE`: `Ok(None)` where the benchmark runs here (a local machine, a dry run), else
/// what submitting it to the machine's Slurm partition gave.
fn run_on(
    args: &BenchArgs,
    out: &Output,
    benchmarks: &[Planned],
    tenants: &[super::tenants::PlannedTenants],
    offline: &[super::offline::PlannedOffline],
) -> anyhow::Result<Option<ExitCode>> {
    let Some(name) = &args.on else {
        return Ok(None);
    };
    let machine = super::on::machine(out, name)?;
    let [bench] = names(benchmarks, tenants, offline)[..] else {
        anyhow::bail!("--on submits one benchmark at a time: pass its name, not `all`");
    };
    let target = super::on::Target {
        part: format!("bench-{bench}"),
        dir: runner::bench_dir(&args.results, bench),
        dry_run: args.dry_run,
        wait: args.wait,
    };
    super::on::submit(name, &machine, &target, out)
}

/// The names of the benchmarks of every kind this command runs.
fn names<'a>(
    benchmarks: &'a [Planned],
    tenants: &'a [super::tenants::PlannedTenants],
    offline: &'a [super::offline::PlannedOffline],
) -> Vec<&'a String> {
    (benchmarks.iter().map(|b| &b.name))
        .chain(tenants.iter().map(|t| &t.name))
        .chain(offline.iter().map(|o| &o.name))
        .collect()
}

/// Leftovers of an interrupted run in each benchmark's folder: removed (the results lock is
/// held, so they are no other repro's).
fn remove_leftovers(results: &std::path::Path, names: Vec<&String>) -> anyhow::Result<()> {
    for name in names {
        let dir = runner::bench_dir(results, name);
        repro::artifacts::stage::remove_leftovers(&dir)
            .with_context(|| format!("cleaning `{}`", dir.display()))?;
    }
    Ok(())
}

/// A one-server benchmark: its matrix's runs, or its capacity search; then its prefill
/// profile where it asks for one. Returns how many runs (or searches) failed.
fn one_server(
    planned: &Planned,
    ctx: &Context,
    out: &Output,
    rows: &mut Vec<Row>,
) -> Result<usize, BenchError> {
    let Planned {
        name,
        recipe,
        tasks,
    } = planned;
    let mut on_event = |event: Event| report(event, name, out, rows);
    let bench = runner::bench_dir(&ctx.results, name);
    if let Some(spec) = &recipe.capacity {
        let mut on_capacity = |event: CapacityEvent| capacity_event(&event, out.quiet);
        let file = capacity::search(name, recipe, spec, ctx, &mut on_event, &mut on_capacity)?;
        draw_beside(
            &bench,
            "capacity.svg",
            &figures::bench::capacity_chart(&file),
        );
        if !out.quiet {
            eprintln!("  capacity → {}", bench.join("capacity.json").display());
        }
        return Ok(file
            .configs
            .iter()
            .filter(|c| c.stop == capacity::Stop::ProbeFailed)
            .count());
    }
    let failed = runner::run_benchmark(name, recipe, tasks, ctx, &mut on_event)?;
    if let Some(p) = &recipe.prefill_profile {
        let file = prefill::write_profiles(&bench, name, p.degree as usize, tasks)?;
        if let Some(file) = &file {
            draw_beside(&bench, "prefill.svg", &figures::bench::prefill_chart(file));
            if !out.quiet {
                print_prefill_fits(file, &bench);
            }
        }
    }
    Ok(failed)
}

/// Each configuration's fitted prefill time, as a formula in the prompt's tokens.
fn print_prefill_fits(file: &prefill::PrefillFile, bench: &std::path::Path) {
    for c in &file.configs {
        let Some(fit) = &c.fit else { continue };
        let terms: Vec<String> = fit
            .coefficients
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{:.4e}·n^{i}", k))
            .collect();
        eprintln!(
            "  {}: prefill ≈ {} s (n prompt tokens; rmse {:.2} ms over {} lengths) → {}",
            c.config,
            terms.join(" + "),
            fit.rmse * 1000.0,
            c.points.len(),
            bench.join("prefill.json").display()
        );
    }
}

/// The closing table: a row per run of this command.
fn print_rows(rows: &[Row]) {
    if rows.is_empty() {
        return;
    }
    println!(
        "{:<32} {:>9} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "run",
        "ok/total",
        "rate",
        "req/s",
        "ttft p50",
        "ttft p99",
        "tpot p50",
        "tpot p99",
        "goodput"
    );
    for r in rows {
        println!(
            "{:<32} {:>9} {:>8} {:>8.2} {:>9} {:>9} {:>9} {:>9} {:>8.2}",
            r.0,
            format!("{}/{}", r.1, r.2),
            r.3.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into()),
            r.4,
            r.5,
            r.6,
            r.7,
            r.8,
            r.9
        );
    }
    println!(
        "(latencies in ms; rate = achieved requests/s sent; goodput = requests/s meeting the SLOs)"
    );
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

/// A chart beside the JSON it is drawn from, in a benchmark's folder (`repro render` draws it too):
/// a chart that cannot be drawn or written is said, and the results stand.
fn draw_beside(dir: &std::path::Path, file: &str, chart: &impl repro::render::Render) {
    let path = dir.join(file);
    let written = repro::render::render_with_banner(chart, repro::render::Format::Svg, None)
        .map_err(|e| e.to_string())
        .and_then(|svg| repro::artifacts::atomic_write(&path, &svg).map_err(|e| e.to_string()));
    if let Err(e) = written {
        eprintln!("warning: `{}` not drawn: {e}", path.display());
    }
}

/// A capacity search's progress, on stderr.
fn capacity_event(event: &CapacityEvent, quiet: bool) {
    match event {
        CapacityEvent::Config { config } if !quiet => {
            eprintln!("  capacity search of `{config}`")
        }
        CapacityEvent::Probed { config, probe } if !quiet => {
            let mut words = format!(
                "  {config} {} req/s: {:.1}% meet the goal → {}",
                probe.rate,
                probe.score * 100.0,
                if probe.passed { "passes" } else { "fails" }
            );
            if let Some(why) = &probe.saturated {
                words.push_str(&format!("; over-saturated: {why}"));
            }
            if let Some(why) = &probe.invalid {
                words.push_str(&format!("; INVALID, the client was the limit: {why}"));
            }
            eprintln!("{words}");
        }
        CapacityEvent::Done { result } => {
            let found = match (result.capacity_rps, result.failing_rps) {
                (Some(c), Some(f)) => format!("{c} req/s (fails at {f})"),
                (Some(c), None) => format!("at least {c} req/s"),
                (None, Some(f)) => format!("below {f} req/s"),
                (None, None) => "unknown".to_string(),
            };
            eprintln!(
                "  {}: capacity {found} after {} probes; stopped: {}",
                result.config,
                result.probes.len(),
                result.stop_words
            );
        }
        _ => {}
    }
}

/// A row of the table printed at the end: one complete run.
pub(super) type Row = (
    String,
    usize,
    usize,
    Option<f64>,
    f64,
    String,
    String,
    String,
    String,
    f64,
);

/// Show what happened to a run of benchmark `name`; a complete run adds its row.
pub(super) fn report(event: Event, name: &str, out: &Output, rows: &mut Vec<Row>) {
    match event {
        Event::Skipped { label } if !out.quiet => {
            eprintln!("  {label}: done before, skipped (--force to rerun)")
        }
        Event::Starting { label, command } if !out.quiet => match command {
            Some(argv) if out.verbose => eprintln!("  {label}: starting `{}`", argv.join(" ")),
            Some(_) => eprintln!("  {label}: starting the server"),
            None => eprintln!("  {label}: using the server by URL"),
        },
        Event::Healthy { label, after, path } if !out.quiet => {
            eprintln!(
                "  {label}: healthy after {:.1}s ({path})",
                after.as_secs_f64()
            )
        }
        Event::Loading { label, requests } if !out.quiet => {
            eprintln!("  {label}: sending {requests} requests")
        }
        Event::Finished {
            label,
            summary,
            dir,
        } => {
            if !out.quiet {
                eprintln!("  {label}: done → {}", dir.display());
                if let Some(startup) = &summary.startup {
                    eprintln!("  {label}: start-up: {}", startup_words(startup));
                }
            }
            rows.push((
                format!("{name}/{label}"),
                summary.outcomes["ok"],
                summary.requests,
                summary.arrivals.achieved_rate,
                summary.request_throughput,
                ms(summary.ttft.p50),
                ms(summary.ttft.p99),
                ms(summary.tpot.p50),
                ms(summary.tpot.p99),
                summary.goodput,
            ));
        }
        Event::Failed { label, error, kept } => {
            eprintln!("  {label}: FAILED: {error}");
            if let Some(kept) = kept {
                eprintln!("  {label}: kept for inspection in {}", kept.display());
            }
        }
        _ => {}
    }
}

/// What the `vllm` servers of the recipes need before they can start: their environments and
/// their models of models.toml (other servers bring their own).
fn preparation(
    benchmarks: &[Planned],
    mut needs: Vec<Need>,
    models: &repro::config::Models,
    ctx: &Context,
    out: &Output,
) -> anyhow::Result<Vec<Prepared>> {
    for planned in benchmarks {
        let server = &planned.recipe.server;
        if server.kind != ServerKind::Vllm {
            continue;
        }
        let env = EnvSpec::new(server.vllm.clone().unwrap_or_default(), server.device);
        for task in &planned.tasks {
            needs.push(Need {
                env: env.clone(),
                repro_env: true,
                model: models
                    .contains(&task.run.model)
                    .then(|| task.run.model.clone()),
            });
        }
    }
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
fn refuse_unprepared(steps: &[Prepared], ctx: &Context, args: &BenchArgs) -> anyhow::Result<()> {
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
fn prepare(
    steps: &[Prepared],
    models: &repro::config::Models,
    ctx: &Context,
    out: &Output,
) -> anyhow::Result<()> {
    if steps.iter().all(|s| matches!(s.state, StepState::Done(_))) {
        return Ok(());
    }
    let inputs = super::prepare::Inputs {
        models,
        models_dir: &ctx.models_dir,
        cache: ctx.cache.clone(),
        kv_cache_gib: 4,
        python: None,
    };
    super::prepare::run(steps, &inputs, out)
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

fn dry_run(planned: &Planned, ctx: &Context, out: &Output) -> anyhow::Result<()> {
    println!("bench {}: {}", planned.name, planned.recipe.title);
    dry_run_tasks(planned, ctx, out)
}

/// What a dry run says of a run in this state.
pub(super) fn state_words(state: FolderState, force: bool) -> String {
    match state {
        FolderState::Done if force => "done, would rerun (--force)".to_string(),
        FolderState::Done => "done, skipped".to_string(),
        FolderState::Missing => "would run".to_string(),
        FolderState::Stale => "would rerun: the recipe changed since".to_string(),
        FolderState::Changed(file) => {
            format!("would rerun: `{file}` is not the file the run made")
        }
        FolderState::FailedBefore => "would rerun: the last attempt failed".to_string(),
    }
}

/// Each run of a one-server benchmark: its state, workload and server command.
pub(super) fn dry_run_tasks(planned: &Planned, ctx: &Context, out: &Output) -> anyhow::Result<()> {
    let recipe = &planned.recipe;
    if let Some(spec) = &recipe.capacity {
        println!(
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
            let dir = capacity::config_dir(&ctx.results, &planned.name, &config.label);
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
                    let task =
                        capacity::probe_task(recipe, &ctx.results, &planned.name, &config, rate);
                    runner::state(&task) == FolderState::Done
                })
                .count();
            println!(
                "  {}: {done} probe(s) done before (reused, not rerun){}",
                config.label,
                match rates.len() - done {
                    0 => String::new(),
                    n => format!("; {n} other probe folder(s) would be redone"),
                }
            );
        }
        return Ok(());
    }
    for task in &planned.tasks {
        let run = &task.run;
        let state = state_words(runner::state(task), ctx.force);
        println!("  {}: {state}", run.label);
        let w = &run.workload;
        let arrival = match w.arrival {
            Arrival::Closed => format!("closed loop, concurrency {}", w.concurrency.unwrap_or(1)),
            Arrival::Poisson => format!("poisson at {} req/s", w.rate.unwrap_or(0.0)),
            Arrival::Gamma => format!(
                "gamma at {} req/s, burstiness {}",
                w.rate.unwrap_or(0.0),
                w.burstiness.unwrap_or(1.0)
            ),
            Arrival::Trace => format!(
                "trace {}",
                w.trace
                    .as_deref()
                    .unwrap_or(std::path::Path::new(""))
                    .display()
            ),
        };
        println!(
            "    {} requests to {} ({arrival}), seed {}",
            w.requests,
            w.endpoint.path(),
            w.seed
        );
        let launch = runner::launch(recipe, run, ctx, None)?;
        match &launch.argv {
            Some(argv) => println!("    server: {}", argv.join(" ")),
            None => println!("    server: {} (not started by repro)", launch.base_url),
        }
        if out.verbose {
            println!("    key: {}", task.folder.key);
        }
    }
    Ok(())
}

/// `healthy 41.2 s after spawn, first token at 41.3 s; its log: model loading 2.1 s, …`.
fn startup_words(s: &repro::bench::startup::Startup) -> String {
    let mut parts = Vec::new();
    if let Some(h) = s.spawn_to_healthy_s {
        parts.push(format!("healthy {h:.1} s after spawn"));
    }
    if let Some(t) = s.spawn_to_first_token_s {
        parts.push(format!("first token at {t:.1} s"));
    }
    let mut text = parts.join(", ");
    let logged: Vec<String> = [
        ("model loading", "model_loading_s"),
        ("torch.compile", "torch_compile_s"),
        ("graph capture", "graph_capture_s"),
        ("init engine", "init_engine_s"),
    ]
    .iter()
    .filter_map(|(name, key)| s.ledger_value(key).map(|v| format!("{name} {v:.1} s")))
    .collect();
    match (&s.ledger_error, logged.is_empty()) {
        (Some(error), _) => text.push_str(&format!("; its log: {error}")),
        (None, false) => text.push_str(&format!("; its log: {}", logged.join(", "))),
        (None, true) => {}
    }
    text
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
