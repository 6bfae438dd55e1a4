//! `repro bench` for a benchmark of several tenants: what it needs, its dry run, its run and
//! what it prints (per tenant, the rows of `bench`'s table; per shared run, its aggregate).

use std::path::Path;

use repro::bench::runner::{self, BenchError, Context, Event};
use repro::bench::tenants::{self, Aggregate};
use repro::env::EnvSpec;
use repro::plan::prepare::Need;
use repro::plan::tenants::TenantsPlan;
use repro::recipe::bench::ServerKind;
use repro::recipe::tenants::TenantsRecipe;

use super::bench::{report, Row};
use super::Output;

/// A tenants benchmark to run.
pub(super) struct PlannedTenants {
    pub name: String,
    pub recipe: TenantsRecipe,
    pub plan: TenantsPlan,
}

impl PlannedTenants {
    pub fn new(name: String, recipe: TenantsRecipe, results: &Path) -> PlannedTenants {
        let plan = repro::plan::tenants::plan(&name, &recipe, results);
        PlannedTenants { name, recipe, plan }
    }

    /// The environments and models its `vllm` servers need.
    pub fn needs(&self, models: &repro::config::Models) -> Vec<Need> {
        let mut needs = Vec::new();
        for (i, recipe) in self.plan.tenant_recipes.iter().enumerate() {
            let server = &recipe.server;
            if server.kind != ServerKind::Vllm {
                continue;
            }
            let env = EnvSpec::new(server.vllm.clone().unwrap_or_default(), server.device);
            let shared = self.plan.shared.iter().map(|t| &t.run.tenants[i].run);
            // Its solo runs too: with `together = false` they are all it runs.
            for run in shared.chain(self.plan.solo[i].iter().map(|t| &t.run)) {
                needs.push(Need {
                    env: env.clone(),
                    repro_env: true,
                    model: models.contains(&run.model).then(|| run.model.clone()),
                });
            }
        }
        needs
    }

    pub fn dry_run(&self, ctx: &Context, out: &Output) -> anyhow::Result<()> {
        println!("bench {}: {}", self.name, self.recipe.title);
        for (recipe, tasks) in self.plan.tenant_recipes.iter().zip(&self.plan.solo) {
            if tasks.is_empty() {
                continue;
            }
            let planned = super::bench::Planned {
                name: self.name.clone(),
                recipe: recipe.clone(),
                tasks: tasks.clone(),
            };
            super::bench::dry_run_tasks(&planned, ctx, out)?;
        }
        for task in &self.plan.shared {
            let state = super::bench::state_words(tenants::state(task), ctx.force);
            println!(
                "  {}: {state} — {} tenants at once, sharing {}",
                task.folder.label,
                task.run.tenants.len(),
                task.run.sharing.name()
            );
            for (i, t) in task.run.tenants.iter().enumerate() {
                let launch = runner::launch(&self.plan.tenant_recipes[i], &t.run, ctx, None)?;
                let w = &t.run.workload;
                println!(
                    "    {}: {} requests from {:.1}s; server: {}",
                    t.name,
                    w.requests,
                    t.start_after.as_secs_f64(),
                    launch.argv.unwrap_or_default().join(" ")
                );
                if let Some(p) = t.mps_thread_percentage {
                    println!("      CUDA_MPS_ACTIVE_THREAD_PERCENTAGE={p} under MPS");
                }
            }
            if out.verbose {
                println!("    key: {}", task.folder.key);
            }
        }
        Ok(())
    }

    /// Run it; returns how many runs failed.
    pub fn run(
        &self,
        ctx: &Context,
        out: &Output,
        rows: &mut Vec<Row>,
    ) -> Result<usize, BenchError> {
        if !out.quiet {
            eprintln!("bench {}: {}", self.name, self.recipe.title);
        }
        let mut aggregates: Vec<(String, Aggregate)> = Vec::new();
        let failed = tenants::run_tenants(
            &self.name,
            &self.plan,
            ctx,
            &mut |event: Event| report(event, &self.name, out, rows),
            &mut |label, aggregate| aggregates.push((label.to_string(), aggregate.clone())),
        )?;
        for (label, a) in &aggregates {
            println!("{}", aggregate_words(&self.name, label, a));
        }
        Ok(failed)
    }
}

fn opt(v: Option<f64>, scale: f64, digits: usize) -> String {
    v.map(|x| format!("{:.digits$}", x * scale))
        .unwrap_or_else(|| "-".into())
}

/// The aggregate of a shared run, as printed.
fn aggregate_words(name: &str, label: &str, a: &Aggregate) -> String {
    let mut text = format!(
        "{name}/{label} (sharing {}): device throughput {:.2} req/s, {:.1} output tok/s over {:.2} s; slowest tenant {}\n",
        a.sharing.name(),
        a.device_request_throughput,
        a.device_output_throughput,
        a.longest_completion_s,
        a.slowest_tenant.as_deref().unwrap_or("-"),
    );
    text.push_str(&format!(
        "  {:<12} {:>9} {:>9} {:>10} {:>10} {:>10} {:>9}\n",
        "tenant", "ok/total", "req/s", "e2e mean", "solo e2e", "slowdown", "tok/s ×"
    ));
    for t in &a.tenants {
        text.push_str(&format!(
            "  {:<12} {:>9} {:>9.2} {:>10} {:>10} {:>10} {:>9}\n",
            t.name,
            format!("{}/{}", t.ok, t.requests),
            t.request_throughput,
            opt(t.e2e_mean, 1000.0, 1),
            opt(t.solo.as_ref().and_then(|s| s.e2e_mean), 1000.0, 1),
            opt(t.slowdown, 1.0, 2),
            opt(t.throughput_ratio, 1.0, 2),
        ));
    }
    text.push_str("  (e2e in ms; slowdown = mean E2E shared / alone; tok/s × = output tokens/s shared / alone)");
    text
}
