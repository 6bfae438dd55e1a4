//! `repro bench dataset`: an oracle dataset — prompts from a file run offline through a model by
//! the offline harness, written as JSON Lines of `{input, output_len, output_tokens}`.

use std::process::ExitCode;

use anyhow::Context as _;
use repro::bench::dataset;
use repro::bench::harness::{Harness, HarnessRequest, OfflineError, PromptLine};
use repro::bench::Context;
use repro::env::EnvSpec;
use repro::recipe::offline::Mode;
use repro::recipe::Scalar;

use super::Output;
use crate::cli::DatasetArgs;

/// `KEY=VALUE` as a keyword argument: an integer, a number, true/false, else a string.
fn engine_arg(text: &str) -> anyhow::Result<(String, Scalar)> {
    let (key, value) = text
        .split_once('=')
        .with_context(|| format!("`--engine-arg {text}`: expected KEY=VALUE"))?;
    let value = if let Ok(i) = value.parse::<i64>() {
        Scalar::Int(i)
    } else if let Ok(f) = value.parse::<f64>() {
        Scalar::Float(f)
    } else if let Ok(b) = value.parse::<bool>() {
        Scalar::Bool(b)
    } else {
        Scalar::Str(value.to_string())
    };
    Ok((key.replace('-', "_"), value))
}

pub fn run(args: DatasetArgs, out: Output) -> anyhow::Result<ExitCode> {
    let mut prompts = dataset::read_prompts(&args.prompts)?;
    if let Some(limit) = args.limit {
        prompts.truncate(limit);
    }
    let engine_args = args
        .engine_args
        .iter()
        .map(|a| engine_arg(a))
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
    let spec = EnvSpec::new(args.vllm.clone(), device);
    let python = match &args.python {
        Some(p) => repro::sys::absolute(p),
        None => {
            let python = spec.python(&ctx.cache);
            anyhow::ensure!(
                python.is_file(),
                "no vLLM environment at `{}`: set it up with `repro env setup --vllm {}{}`",
                spec.dir(&ctx.cache).display(),
                args.vllm,
                if device == repro::config::machines::Device::Cpu {
                    " --device cpu"
                } else {
                    ""
                }
            );
            python
        }
    };
    let request = HarnessRequest {
        mode: Mode::Throughput,
        backend: repro::recipe::offline::Backend::Vllm,
        model: ctx.model_path(&args.model),
        served_name: args.model.clone(),
        engine_args,
        seed: 0,
        // The oracle is the model's own answer: it stops where it would.
        ignore_eos: false,
        batch_size: None,
        input_len: None,
        output_len: None,
        warmup: 0,
        iterations: 0,
        requests: Some(
            prompts
                .iter()
                .map(|p| PromptLine {
                    prompt: p.clone(),
                    output_len: args.max_tokens,
                    priority: None,
                })
                .collect(),
        ),
        keep_text: false,
    };
    let parent = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot make `{}`", parent.display()))?;
    let work = tempfile::Builder::new()
        .prefix(".repro-dataset-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot make a work folder in `{}`", parent.display()))?;
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
    let tokens: u64 = entries.iter().map(|e| e.output_tokens).sum();
    println!(
        "wrote {} records to {} (output tokens: mean {:.1}; engine start {:.1} s, generation {:.1} s)",
        entries.len(),
        args.out.display(),
        tokens as f64 / entries.len().max(1) as f64,
        result.engine_init_s.unwrap_or(0.0),
        result.elapsed_s.unwrap_or(0.0)
    );
    Ok(ExitCode::SUCCESS)
}
