//! `repro bench` for an offline benchmark (`kind = "offline"`): what it needs, its dry run, its
//! run and the table it prints.

use std::path::Path;

use repro::bench::offline::{self, OfflineEvent, OfflineSummary, OfflineTask};
use repro::bench::runner::{BenchError, Context};
use repro::env::EnvSpec;
use repro::plan::prepare::Need;
use repro::recipe::offline::OfflineRecipe;

use super::Output;

/// An offline benchmark to run.
pub(super) struct PlannedOffline {
    pub name: String,
    pub recipe: OfflineRecipe,
    pub tasks: Vec<OfflineTask>,
}

impl PlannedOffline {
    pub fn new(name: String, recipe: OfflineRecipe, results: &Path) -> PlannedOffline {
        let tasks = offline::plan(&name, &recipe, results);
        PlannedOffline {
            name,
            recipe,
            tasks,
        }
    }

    /// Its environment and the models of models.toml its runs use.
    pub fn needs(&self, models: &repro::config::Models) -> Vec<Need> {
        let engine = &self.recipe.engine;
        let env = EnvSpec::new(engine.vllm.clone(), engine.device);
        self.tasks
            .iter()
            .map(|t| Need {
                env: env.clone(),
                repro_env: engine.python.is_none(),
                model: models.contains(&t.run.model).then(|| t.run.model.clone()),
            })
            .collect()
    }

    pub fn dry_run(&self, ctx: &Context, out: &Output) -> anyhow::Result<()> {
        println!("bench {}: {}", self.name, self.recipe.title);
        let python = offline::python_of(&self.recipe, ctx);
        for task in &self.tasks {
            let state = super::bench::state_words(offline::state(task), ctx.force);
            println!("  {}: {state}", task.folder.label);
            let request = offline::request(&self.recipe, &task.run, ctx)?;
            let what = match request.mode {
                repro::recipe::offline::Mode::Latency => format!(
                    "latency: a batch of {} × {} tokens → {} tokens, {} warm-up + {} timed",
                    request.batch_size.unwrap_or(0),
                    request.input_len.unwrap_or(0),
                    request.output_len.unwrap_or(0),
                    request.warmup,
                    request.iterations
                ),
                repro::recipe::offline::Mode::Throughput => format!(
                    "throughput: {} prompts in one LLM.generate",
                    request.requests.as_ref().map_or(0, |r| r.len())
                ),
            };
            println!("    {what}");
            let args: Vec<String> = request
                .engine_args
                .iter()
                .map(|(k, v)| format!("{k}={}", v.python_str()))
                .collect();
            let engine = match request.backend {
                repro::recipe::offline::Backend::Vllm => "LLM",
                repro::recipe::offline::Backend::Transformers => "transformers",
            };
            println!(
                "    {} offline_harness.py: {engine}(model={}, {})",
                python.display(),
                request.model,
                args.join(", ")
            );
            if out.verbose {
                println!("    key: {}", task.folder.key);
            }
        }
        Ok(())
    }

    /// Run it; returns how many runs failed.
    pub fn run(&self, ctx: &Context, out: &Output) -> Result<usize, BenchError> {
        if !out.quiet {
            eprintln!("bench {}: {}", self.name, self.recipe.title);
        }
        let mut rows = Vec::new();
        let failed =
            offline::run_offline(&self.name, &self.recipe, &self.tasks, ctx, &mut |event| {
                match event {
                    OfflineEvent::Skipped { label } if !out.quiet => {
                        eprintln!("  {label}: done before, skipped (--force to rerun)")
                    }
                    OfflineEvent::Starting { label } if !out.quiet => {
                        eprintln!("  {label}: running LLM.generate in the harness")
                    }
                    OfflineEvent::Finished {
                        label,
                        summary,
                        dir,
                    } => {
                        if !out.quiet {
                            eprintln!("  {label}: done → {}", dir.display());
                        }
                        rows.push(row(&self.name, label, summary));
                    }
                    OfflineEvent::Failed { label, error, kept } => {
                        eprintln!("  {label}: FAILED: {error}");
                        if let Some(kept) = kept {
                            eprintln!("  {label}: kept for inspection in {}", kept.display());
                        }
                    }
                    _ => {}
                }
            })?;
        if !rows.is_empty() {
            println!("{:<48} {:>10} {:>40}", "run", "mode", "result");
            for r in &rows {
                println!("{r}");
            }
        }
        Ok(failed)
    }
}

fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}", x * 1000.0))
        .unwrap_or_else(|| "-".into())
}

/// A run's line of the table.
fn row(name: &str, label: &str, s: &OfflineSummary) -> String {
    let result = match (&s.latency, &s.throughput) {
        (Some(l), _) => format!(
            "latency p50 {} ms, p99 {} ms, {:.1} tok/s",
            ms(l.percentiles_s.get("50").copied()),
            ms(l.percentiles_s.get("99").copied()),
            l.output_tokens_per_s
        ),
        (None, Some(t)) => format!(
            "{:.2} req/s, {:.1} in tok/s, {:.1} out tok/s",
            t.requests_per_s, t.input_tokens_per_s, t.output_tokens_per_s
        ),
        (None, None) => "-".into(),
    };
    format!(
        "{:<48} {:>10} {:>40}",
        format!("{name}/{label}"),
        s.mode.name(),
        result
    )
}
