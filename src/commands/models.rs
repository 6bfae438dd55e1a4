//! `repro models fetch|list|verify`

use std::process::ExitCode;

use repro::config::machines::Device;
use repro::config::Models;
use repro::models::fetch::{self, Fetched};
use repro::models::hub::Hub;
use repro::models::synth::{self, Synthesized};
use repro::models::tensorize::{self, Tensorized};
use repro::models::{self, choose};
use repro::progress::bars::{human_bytes, DownloadBars};

use super::Output;
use crate::cli::{ModelsAction, ModelsArgs};

/// What every `repro models` action needs, resolved once.
struct Settings {
    models: Models,
    models_dir: std::path::PathBuf,
    cache: std::path::PathBuf,
    out: Output,
}

pub fn run(args: ModelsArgs, out: Output) -> anyhow::Result<ExitCode> {
    let settings = Settings {
        models: out.project.models()?,
        models_dir: args.models_dir,
        cache: repro::env::cache_dir(&out.project.root),
        out,
    };
    match args.action {
        ModelsAction::Fetch {
            names,
            all,
            parallel,
        } => fetch(&settings, &names, all, parallel),
        ModelsAction::List => list(&settings),
        ModelsAction::Tensorize {
            names,
            force,
            device,
            vllm,
            python,
            kv_cache_gib,
        } => {
            let device = device.into();
            let python = match python {
                Some(p) => p,
                None => choose::env_of(&settings.cache, &vllm, device)?,
            };
            let request = TensorizeRequest {
                names: &names,
                force,
                device,
                vllm: &vllm,
                python: &python,
                kv_cache_gib,
            };
            tensorize_copies(&settings, &request)
        }
        ModelsAction::Synth {
            names,
            layers,
            force,
            python,
        } => {
            let names = choose::to_synthesize(&settings.models, &names)?;
            let python = match python {
                Some(p) => p,
                None => choose::torch_python(&settings.cache)?,
            };
            synthesize(&settings, &names, layers, force, &python)
        }
        ModelsAction::Verify { names } => verify(&settings, names),
    }
}

fn status(failed: usize) -> ExitCode {
    if failed > 0 {
        ExitCode::from(repro::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}

/// `repro models fetch`: each model downloaded, resumed where a download was cut.
fn fetch(
    s: &Settings,
    requested: &[String],
    all: bool,
    parallel: usize,
) -> anyhow::Result<ExitCode> {
    let names = choose::to_fetch(&s.models, requested, all)?;
    let hub = Hub::from_env()?;
    let bars = DownloadBars::new(s.out.quiet);
    let mut failed = 0;
    for name in &names {
        let model = &s.models.models[name];
        let dir = s.models_dir.join(name);
        match fetch::fetch_model(&hub, name, model, &dir, parallel, &bars) {
            Ok(Fetched::AlreadyPresent) => println!(
                "{name}: already present ({}@{})",
                model.repo, model.revision
            ),
            Ok(Fetched::Downloaded { files, bytes }) => println!(
                "{name}: {files} files, {} in `{}`",
                human_bytes(bytes),
                dir.display()
            ),
            Err(e) => {
                eprintln!("error: {name}: {e}");
                eprintln!(
                    "  (partial files are kept in `{}`; run the same command again to resume)",
                    dir.join(models::PARTIAL_DIR).display()
                );
                failed += 1;
            }
        }
    }
    Ok(status(failed))
}

/// `repro models list`: every model and copy, present or not.
fn list(s: &Settings) -> anyhow::Result<ExitCode> {
    for (name, model) in &s.models.models {
        let dir = s.models_dir.join(name);
        let state = choose::model_state(&dir, human_bytes)?;
        println!(
            "{name:<30} {:<45} {state}",
            format!("{}@{}", model.repo, model.revision)
        );
    }
    for (name, copy) in &s.models.tensorized {
        let state = choose::copy_state(&s.models_dir, name, &copy.from, human_bytes)?;
        println!(
            "{name:<30} {:<45} {state}",
            format!("tensorizer copy of {}", copy.from)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What `repro models tensorize` was asked.
struct TensorizeRequest<'a> {
    names: &'a [String],
    force: bool,
    device: Device,
    vllm: &'a str,
    python: &'a std::path::Path,
    kv_cache_gib: u32,
}

/// `repro models tensorize`: each copy made (again, where its source changed).
fn tensorize_copies(s: &Settings, r: &TensorizeRequest<'_>) -> anyhow::Result<ExitCode> {
    for (name, from) in choose::to_tensorize(&s.models, r.names)? {
        let job = tensorize::Job {
            python: r.python,
            cache: &s.cache,
            models_dir: &s.models_dir,
            name: &name,
            from: &from,
            vllm: r.vllm,
            device: r.device,
            kv_cache_gib: r.kv_cache_gib,
            force: r.force,
        };
        if !s.out.quiet {
            eprintln!(
                "{name}: loading `{from}` with vLLM {} and serializing it (log: `{}`)…",
                r.vllm,
                tensorize::log_path(&s.cache, &name).display()
            );
        }
        match tensorize::tensorize(&job)? {
            Tensorized::AlreadyPresent => {
                println!("{name}: already made from the present `{from}`")
            }
            Tensorized::Made { bytes, took } => println!(
                "{name}: {} in `{}` ({:.0}s)",
                human_bytes(bytes),
                s.models_dir.join(&name).display(),
                took.as_secs_f64()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `repro models synth`: random-weight models of models.toml shapes.
fn synthesize(
    s: &Settings,
    names: &[String],
    layers: Option<u32>,
    force: bool,
    python: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    for name in names {
        let model = s
            .models
            .models
            .get(name)
            .ok_or_else(|| repro::models::ModelError::unknown(name, &s.models))?;
        let dir = s.models_dir.join(name);
        if !s.out.quiet {
            eprintln!(
                "{name}: making a random-weight {} ({} of {} layers)…",
                model.architecture,
                layers.unwrap_or(model.layers),
                model.layers
            );
        }
        match synth::synthesize(python, &s.cache, name, model, layers, &dir, force)? {
            Synthesized::AlreadyPresent { layers } => {
                println!("{name}: synthetic model with {layers} layers already present")
            }
            Synthesized::Made { layers, bytes } => println!(
                "{name}: SYNTHETIC model, {layers} layers, {} in `{}`",
                human_bytes(bytes),
                dir.display()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `repro models verify`: every present model's files against its manifest.
fn verify(s: &Settings, names: Vec<String>) -> anyhow::Result<ExitCode> {
    let names = choose::to_verify(&s.models, &s.models_dir, names);
    let mut bad = 0;
    for name in &names {
        let problems = models::verify(&s.models_dir.join(name))?;
        if problems.is_empty() {
            println!("{name}: ok");
        } else {
            bad += 1;
            for p in problems {
                println!("{name}: {p}");
            }
        }
    }
    Ok(status(bad))
}
