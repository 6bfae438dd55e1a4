//! The preparation steps of `repro figure` (environments, downloads, tensorizer copies): listed
//! by `--dry-run`, done before the first run otherwise.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use repro::config::machines::Device;
use repro::config::Models;
use repro::env::setup::{self, SetupOptions};
use repro::models::fetch;
use repro::models::hub::Hub;
use repro::models::tensorize;
use repro::plan::prepare::{Prepared, Step, StepState};

use super::models::Bars;
use super::Output;

/// What the steps need to know beyond themselves.
pub struct Inputs<'a> {
    pub models: &'a Models,
    pub models_dir: &'a Path,
    pub cache: PathBuf,
    pub kv_cache_gib: u32,
    /// `--python`: runs, and so tensorizer copies, use it instead of repro's environment.
    pub python: Option<PathBuf>,
}

/// The `--dry-run` lines of the steps (nothing when there are none).
pub fn explain(steps: &[Prepared]) -> String {
    if steps.is_empty() {
        return String::new();
    }
    let todo = steps
        .iter()
        .filter(|s| !matches!(s.state, StepState::Done(_)))
        .count();
    let mut text = format!(
        "prepare: {} steps, {} done, {todo} to do\n",
        steps.len(),
        steps.len() - todo
    );
    for prepared in steps {
        let _ = match &prepared.state {
            StepState::Done(what) => writeln!(text, "  done      {}  ({what})", prepared.step),
            StepState::Todo(why) => writeln!(text, "  will do   {}  ({why})", prepared.step),
            StepState::Impossible(why) => writeln!(text, "  cannot    {}  ({why})", prepared.step),
        };
    }
    text
}

/// Do the steps not done, in order; the first failure stops (what was done stays done).
pub fn run(steps: &[Prepared], ctx: &Inputs, out: &Output) -> anyhow::Result<()> {
    let impossible: Vec<String> = steps
        .iter()
        .filter_map(|s| match &s.state {
            StepState::Impossible(why) => Some(format!("  {}: {why}", s.step)),
            _ => None,
        })
        .collect();
    if !impossible.is_empty() {
        anyhow::bail!(
            "the runs need what cannot be prepared here (nothing was changed):\n{}\n(--model picks fewer runs, --vllm fewer versions; --python PATH brings your own environment)",
            impossible.join("\n")
        );
    }
    let todo: Vec<&Step> = steps
        .iter()
        .filter(|s| matches!(s.state, StepState::Todo(_)))
        .map(|s| &s.step)
        .collect();
    if todo.is_empty() {
        return Ok(());
    }
    let _lock = repro::artifacts::lock::lock(ctx.models_dir)?;
    for (index, step) in todo.iter().enumerate() {
        if !out.quiet {
            eprintln!("prepare [{}/{}] {step}", index + 1, todo.len());
        }
        do_step(step, ctx, out).with_context(|| {
            format!("preparing {step} (nothing of the figure ran; rerun to go on from here)")
        })?;
    }
    Ok(())
}

fn do_step(step: &Step, ctx: &Inputs, out: &Output) -> anyhow::Result<()> {
    match step {
        Step::Env(spec) => {
            let options = SetupOptions {
                cache: ctx.cache.clone(),
                project_root: out.project.root.clone(),
                base_python: "python3".into(),
                find_links: vec![],
                offline: false,
            };
            let progress = super::progress::Progress::new(out.quiet, out.verbose);
            let done = setup::setup(spec, &options, &progress);
            progress.finish();
            done?;
        }
        Step::Fetch { model } => {
            let entry = ctx
                .models
                .models
                .get(model)
                .ok_or_else(|| repro::models::ModelError::unknown(model, ctx.models))?;
            let dir = ctx.models_dir.join(model);
            fetch::fetch_model(&Hub::from_env()?, model, entry, &dir, 4, &Bars::new(out))
                .with_context(|| {
                    format!(
                        "partial files are kept in `{}` for the next try",
                        dir.join(repro::models::PARTIAL_DIR).display()
                    )
                })?;
        }
        Step::Synth { model, env } => {
            let entry = ctx
                .models
                .models
                .get(model)
                .ok_or_else(|| repro::models::ModelError::unknown(model, ctx.models))?;
            let python = ctx.python.clone().unwrap_or_else(|| env.python(&ctx.cache));
            let dir = ctx.models_dir.join(model);
            repro::models::synth::synthesize(&python, &ctx.cache, model, entry, None, &dir, false)?;
        }
        Step::Tensorize { name, from, env } => {
            let python = ctx.python.clone().unwrap_or_else(|| env.python(&ctx.cache));
            if !out.quiet {
                eprintln!(
                    "  loading `{from}` with vLLM {} (log: `{}`)",
                    env.vllm,
                    tensorize::log_path(&ctx.cache, name).display()
                );
            }
            let job = tensorize::Job {
                python: &python,
                cache: &ctx.cache,
                models_dir: ctx.models_dir,
                name,
                from,
                vllm: &env.vllm,
                device: env.device,
                kv_cache_gib: ctx.kv_cache_gib,
                force: false,
            };
            tensorize::tensorize(&job)?;
        }
    }
    Ok(())
}

/// A real run on the GPU needs one: say so before anything is set up or downloaded.
pub fn check_gpu(device: Device) -> anyhow::Result<()> {
    if device != Device::Gpu {
        return Ok(());
    }
    match repro::samplers::gpu::inventory() {
        repro::samplers::gpu::GpuInventory::Available { devices, .. } if !devices.is_empty() => {
            Ok(())
        }
        repro::samplers::gpu::GpuInventory::Available { .. } => anyhow::bail!(
            "no NVIDIA GPU is visible here (check CUDA_VISIBLE_DEVICES): run on a GPU machine (--on MACHINE), with vLLM's CPU build (--device cpu), or with --engine fake"
        ),
        repro::samplers::gpu::GpuInventory::Unavailable(why) => anyhow::bail!(
            "this machine has no usable NVIDIA GPU ({}): run on a GPU machine (--on MACHINE), with vLLM's CPU build (--device cpu), or with --engine fake",
            why.trim_start_matches("unavailable: ")
        ),
    }
}
