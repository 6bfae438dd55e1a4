//! `repro bench dataset`: an oracle dataset — prompts from a file run offline through a model by
//! the offline harness, written as JSON Lines of `{input, output_len, output_tokens}`.

use std::process::ExitCode;

use anyhow::Context as _;
use repro::bench::dataset;
use repro::bench::harness::{Harness, OfflineError};
use repro::bench::Context;
use repro::env::EnvSpec;

use super::Output;
use crate::cli::DatasetArgs;

/// The python that runs the harness: `--python`, else the vLLM environment's, which must be
/// set up.
fn python_of(
    args: &DatasetArgs,
    device: repro::config::machines::Device,
    cache: &std::path::Path,
) -> anyhow::Result<std::path::PathBuf> {
    if let Some(p) = &args.python {
        return Ok(repro::sys::absolute(p));
    }
    let spec = EnvSpec::new(args.vllm.clone(), device);
    let python = spec.python(cache);
    anyhow::ensure!(
        python.is_file(),
        "no vLLM environment at `{}`: set it up with `repro env setup --vllm {}{}`",
        spec.dir(cache).display(),
        args.vllm,
        if device == repro::config::machines::Device::Cpu {
            " --device cpu"
        } else {
            ""
        }
    );
    Ok(python)
}

/// What was written, and how long the engine took.
fn print_written(
    entries: &[dataset::OracleEntry],
    out: &std::path::Path,
    result: &repro::bench::harness::HarnessResult,
) {
    let tokens: u64 = entries.iter().map(|e| e.output_tokens).sum();
    println!(
        "wrote {} records to {} (output tokens: mean {:.1}; engine start {:.1} s, generation {:.1} s)",
        entries.len(),
        out.display(),
        tokens as f64 / entries.len().max(1) as f64,
        result.engine_init_s.unwrap_or(0.0),
        result.elapsed_s.unwrap_or(0.0)
    );
}

/// A work folder for the harness beside the dataset to be written (made with its parents).
fn work_dir(out: &std::path::Path) -> anyhow::Result<tempfile::TempDir> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot make `{}`", parent.display()))?;
    tempfile::Builder::new()
        .prefix(".repro-dataset-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot make a work folder in `{}`", parent.display()))
}

pub fn run(args: DatasetArgs, out: Output) -> anyhow::Result<ExitCode> {
    let mut prompts = dataset::read_prompts(&args.prompts)?;
    if let Some(limit) = args.limit {
        prompts.truncate(limit);
    }
    let engine_args = args
        .engine_args
        .iter()
        .map(|a| {
            dataset::engine_arg(a)
                .with_context(|| format!("`--engine-arg {a}`: expected KEY=VALUE"))
        })
        .collect::<anyhow::Result<_>>()?;
    let device = args.device.into();
    let ctx = Context {
        project_root: out.project.root.clone(),
        cache: repro::env::cache_dir(&out.project.root),
        models_dir: args.models_dir.clone(),
        results: std::path::PathBuf::from("."),
        force: false,
        interrupt: super::interrupt::install()?,
        guard: std::env::current_exe().ok(),
        client_slowdown: std::time::Duration::ZERO,
    };
    let python = python_of(&args, device, &ctx.cache)?;
    let model = ctx.model_path(&args.model);
    let request = dataset::request(&prompts, model, &args.model, args.max_tokens, engine_args);
    let work = work_dir(&args.out)?;
    if !out.quiet {
        eprintln!(
            "dataset: {} prompts through {} (at most {} tokens each), offline",
            prompts.len(),
            args.model,
            args.max_tokens
        );
    }
    let env = indexmap::IndexMap::new();
    let harness = Harness {
        python,
        cache: &ctx.cache,
        vllm: &args.vllm,
        device,
        env: &env,
        timeout: args.timeout,
        guard: ctx.guard.as_deref(),
    };
    let result = match harness.run(&request, work.path(), &ctx.interrupt) {
        Err(OfflineError::Interrupted) => {
            eprintln!("interrupted: no dataset written");
            return Ok(ExitCode::from(repro::exit::INTERRUPTED));
        }
        Err(e @ OfflineError::Write(_)) => return Err(e.into()),
        Err(e) => {
            let kept = work.keep();
            anyhow::bail!(
                "{e}\n(the harness's files are kept in `{}`)",
                kept.display()
            );
        }
        Ok(result) => result,
    };
    anyhow::ensure!(
        result.requests.len() == prompts.len(),
        "the harness answered {} of {} prompts (its files: `{}`)",
        result.requests.len(),
        prompts.len(),
        work.keep().display()
    );
    let entries = dataset::entries(&prompts, &result.requests);
    repro::artifacts::atomic_write(&args.out, dataset::to_jsonl(&entries).as_bytes())
        .with_context(|| format!("cannot write `{}`", args.out.display()))?;
    print_written(&entries, &args.out, &result);
    Ok(ExitCode::SUCCESS)
}
