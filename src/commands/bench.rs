//! `repro bench`: run serving benchmarks; `repro __mock-server`: the mock server they test with.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use repro::bench::recipe::{self, Arrival, ServerKind};
use repro::bench::runner::{self, RunState};
use repro::bench::{BenchError, BenchRecipe, Context, Event};
use repro::env::EnvSpec;
use repro::plan::prepare::{steps_for, Need, PrepareRequest, Prepared, Step, StepState};

use super::Output;
use crate::cli::{BenchArgs, MockServerArgs, ServerGuardArgs};

/// First Ctrl-C: stop sending, stop the server gracefully, keep finished runs. Second: kill the
/// servers' process groups at once and exit with 130.
fn install_interrupt() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let presses = Arc::new(AtomicUsize::new(0));
    let f = flag.clone();
    let result = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            eprintln!(
                "interrupted: stopping the load and the server (Ctrl-C again to kill at once)"
            );
            f.store(true, Ordering::SeqCst);
        } else {
            repro::bench::server::kill_all_now();
            std::process::exit(repro::exit::INTERRUPTED.into());
        }
    });
    if let Err(e) = result {
        eprintln!(
            "warning: cannot handle Ctrl-C ({e}); an interrupt will not stop servers gracefully"
        );
    }
    flag
}

fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}", x * 1000.0))
        .unwrap_or_else(|| "-".into())
}

pub fn run(args: BenchArgs, out: Output) -> anyhow::Result<ExitCode> {
    let dir = out.project.root.join("benchmarks");
    let names = if args.name == "all" {
        recipe::available(&dir)
    } else {
        vec![args.name.clone()]
    };
    let mut recipes = Vec::new();
    for name in &names {
        recipes.push((name.clone(), BenchRecipe::load(&dir, name)?));
    }
    let ctx = Context {
        project_root: out.project.root.clone(),
        cache: repro::env::cache_dir(&out.project.root),
        models_dir: args.models_dir.clone(),
        results: args.results.clone(),
        force: args.force,
        interrupted: Arc::new(AtomicBool::new(false)),
        guard: std::env::current_exe().ok(),
    };
    let models = out.project.models()?;
    let steps = preparation(&recipes, &models, &ctx, &out)?;
    if args.dry_run {
        print!("{}", super::prepare::explain(&steps));
        for (name, recipe) in &recipes {
            dry_run(name, recipe, &ctx, &out)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    prepare(&steps, &models, &ctx, &args, &out)?;
    let ctx = Context {
        interrupted: install_interrupt(),
        ..ctx
    };
    let mut failed = 0;
    let mut rows = Vec::new();
    for (name, recipe) in &recipes {
        if !out.quiet {
            eprintln!("bench {name}: {}", recipe.title);
        }
        let mut on_event = |event: Event| match event {
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
        };
        match runner::run_benchmark(name, recipe, &ctx, &mut on_event) {
            Ok(n) => failed += n,
            Err(BenchError::Interrupted) => {
                eprintln!(
                    "interrupted: finished runs are kept; `repro bench {}` resumes",
                    args.name
                );
                return Ok(ExitCode::from(repro::exit::INTERRUPTED));
            }
            Err(e) => return Err(e).with_context(|| format!("benchmark `{name}`")),
        }
    }
    if !rows.is_empty() {
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
        for r in &rows {
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
        println!("(latencies in ms; rate = achieved requests/s sent; goodput = requests/s meeting the SLOs)");
    }
    if failed > 0 {
        eprintln!("{failed} run(s) failed; rerun to redo them");
        return Ok(ExitCode::from(repro::exit::RUNS_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}

/// What the `vllm` servers of the recipes need before they can start: their environments and
/// their models of models.toml (other servers bring their own).
fn preparation(
    recipes: &[(String, BenchRecipe)],
    models: &repro::config::Models,
    ctx: &Context,
    out: &Output,
) -> anyhow::Result<Vec<Prepared>> {
    let mut needs = Vec::new();
    for (_, recipe) in recipes {
        let server = &recipe.server;
        if server.kind != ServerKind::Vllm {
            continue;
        }
        let env = EnvSpec::new(server.vllm.clone().unwrap_or_default(), server.device);
        for run in recipe.runs() {
            needs.push(Need {
                env: env.clone(),
                repro_env: true,
                model: models.contains(&run.model).then(|| run.model.clone()),
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

/// Do the steps not done before any server starts; with `--no-prepare`, stop and say how.
fn prepare(
    steps: &[Prepared],
    models: &repro::config::Models,
    ctx: &Context,
    args: &BenchArgs,
    out: &Output,
) -> anyhow::Result<()> {
    let todo: Vec<&Prepared> = steps
        .iter()
        .filter(|s| !matches!(s.state, StepState::Done(_)))
        .collect();
    if todo.is_empty() {
        return Ok(());
    }
    if args.no_prepare {
        let lines: Vec<String> = todo
            .iter()
            .map(|s| format!("  {}: {}", s.step, command_for(&s.step, &ctx.models_dir)))
            .collect();
        anyhow::bail!(
            "the servers need what is not here, and --no-prepare says not to make it (no server was started):\n{}",
            lines.join("\n")
        );
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

fn dry_run(name: &str, recipe: &BenchRecipe, ctx: &Context, out: &Output) -> anyhow::Result<()> {
    println!("bench {name}: {}", recipe.title);
    let bench = runner::bench_dir(&ctx.results, name);
    for run in recipe.runs() {
        let key = runner::run_key(recipe, &run);
        let state = match runner::state(&bench.join(&run.label), &key) {
            RunState::Done if ctx.force => "done, would rerun (--force)",
            RunState::Done => "done, skipped",
            RunState::Missing => "would run",
            RunState::Stale => "would rerun: the recipe changed since",
            RunState::FailedBefore => "would rerun: the last attempt failed",
        };
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
        let launch = runner::launch(recipe, &run, ctx, None)?;
        match &launch.argv {
            Some(argv) => println!("    server: {}", argv.join(" ")),
            None => println!("    server: {} (not started by repro)", launch.base_url),
        }
        if out.verbose {
            println!("    key: {key}");
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
    };
    repro::bench::mock::serve(opts, |addr| {
        println!("listening on {addr}");
        let _ = std::io::stdout().flush();
    })
    .context("mock server")?;
    Ok(ExitCode::SUCCESS)
}

pub fn server_guard(args: ServerGuardArgs) -> anyhow::Result<ExitCode> {
    let code = repro::bench::server::guard(&args.command, Duration::from_millis(args.grace_ms))
        .with_context(|| format!("cannot run `{}`", args.command.join(" ")))?;
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}
