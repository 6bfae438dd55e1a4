//! `repro models fetch|list|verify`

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{bail, Context};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use repro::config::Models;
use repro::models::fetch::{self, Fetched, Reporter};
use repro::models::hub::Hub;
use repro::models::synth::{self, Synthesized};
use repro::models::{self, Presence};

use super::Output;
use crate::cli::{ModelsAction, ModelsArgs};

/// Progress bars on stderr, one per model, when stderr is a terminal.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
    enabled: bool,
}

impl Bars {
    fn new(out: &Output) -> Bars {
        let enabled = !out.quiet
            && std::io::stderr().is_terminal()
            && std::env::var_os("REPRO_NO_PROGRESS").is_none();
        Bars {
            multi: MultiProgress::new(),
            bars: Mutex::new(vec![]),
            enabled,
        }
    }

    fn with_bar(&self, name: &str, f: impl FnOnce(&ProgressBar)) {
        if let Ok(bars) = self.bars.lock() {
            if let Some((_, bar)) = bars.iter().find(|(n, _)| n == name) {
                f(bar);
            }
        }
    }
}

impl Reporter for Bars {
    fn model_started(&self, name: &str, files: usize, bytes: u64) {
        if !self.enabled {
            eprintln!("{name}: {files} files, {}", human_bytes(bytes));
            return;
        }
        let bar = self.multi.add(ProgressBar::new(bytes));
        let style = ProgressStyle::with_template(
            "{prefix:>24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(name.to_string());
        if let Ok(mut bars) = self.bars.lock() {
            bars.push((name.to_string(), bar));
        }
    }

    fn bytes(&self, name: &str, n: u64) {
        self.with_bar(name, |bar| bar.inc(n));
    }

    fn model_finished(&self, name: &str) {
        self.with_bar(name, ProgressBar::finish);
    }
}

fn human_bytes(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}

fn names(models: &Models, requested: &[String], all: bool) -> anyhow::Result<Vec<String>> {
    if all {
        return Ok(models.models.keys().cloned().collect());
    }
    if requested.is_empty() {
        bail!("name the models to fetch (see `repro models list`), or pass --all");
    }
    for name in requested {
        if !models.models.contains_key(name) {
            if models.tensorized.contains_key(name) {
                bail!("`{name}` is made locally (`repro models tensorize`), not downloaded");
            }
            bail!(repro::models::ModelError::Unknown(name.clone()));
        }
    }
    Ok(requested.to_vec())
}

pub fn run(args: ModelsArgs, out: Output) -> anyhow::Result<ExitCode> {
    let models = out.project.models()?;
    match args.action {
        ModelsAction::Fetch {
            names: requested,
            all,
            parallel,
        } => {
            let names = names(&models, &requested, all)?;
            let hub = Hub::from_env()?;
            let bars = Bars::new(&out);
            let mut failed = 0;
            for name in &names {
                let model = &models.models[name];
                let dir = args.models_dir.join(name);
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
                        eprintln!("  (partial files are kept in `{}`; run the same command again to resume)", dir.join(models::PARTIAL_DIR).display());
                        failed += 1;
                    }
                }
            }
            Ok(if failed > 0 {
                ExitCode::from(repro::exit::FAILURE)
            } else {
                ExitCode::SUCCESS
            })
        }
        ModelsAction::List => {
            for (name, model) in &models.models {
                let dir = args.models_dir.join(name);
                let state = match models::presence(&dir)
                    .with_context(|| format!("reading `{}`", dir.display()))?
                {
                    Presence::Absent => "missing".to_string(),
                    Presence::Incomplete => "incomplete (fetch again to resume)".to_string(),
                    Presence::Present(m) if m.is_synthetic() => {
                        format!("SYNTHETIC, {}", human_bytes(m.total_size()))
                    }
                    Presence::Present(m) => match &m.origin {
                        models::Origin::Hub { commit, .. } => format!(
                            "present, {} at {}",
                            human_bytes(m.total_size()),
                            &commit[..commit.len().min(12)]
                        ),
                        models::Origin::Synthetic { .. } => unreachable!("handled above"),
                    },
                };
                println!(
                    "{name:<30} {:<45} {state}",
                    format!("{}@{}", model.repo, model.revision)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsAction::Synth {
            names,
            layers,
            force,
            python,
        } => {
            let cache = repro::env::cache_dir(&out.project.root);
            let python = match python {
                Some(p) => p,
                None => env_python(&cache)?,
            };
            let names: Vec<String> = if names.iter().any(|n| n == "all") {
                models.models.keys().cloned().collect()
            } else {
                names
            };
            for name in &names {
                let model = models
                    .models
                    .get(name)
                    .ok_or_else(|| repro::models::ModelError::Unknown(name.clone()))?;
                let dir = args.models_dir.join(name);
                if !out.quiet {
                    eprintln!(
                        "{name}: making a random-weight {} ({} of {} layers)…",
                        model.architecture,
                        layers.unwrap_or(model.layers),
                        model.layers
                    );
                }
                match synth::synthesize(&python, &cache, name, model, layers, &dir, force)? {
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
        ModelsAction::Verify { names } => {
            let names: Vec<String> = if names.is_empty() {
                models
                    .models
                    .keys()
                    .filter(|n| args.models_dir.join(n).join(models::MANIFEST).is_file())
                    .cloned()
                    .collect()
            } else {
                names
            };
            let mut bad = 0;
            for name in &names {
                let problems = models::verify(&args.models_dir.join(name))?;
                if problems.is_empty() {
                    println!("{name}: ok");
                } else {
                    bad += 1;
                    for p in problems {
                        println!("{name}: {p}");
                    }
                }
            }
            Ok(if bad > 0 {
                ExitCode::from(repro::exit::FAILURE)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// The interpreter of a repro environment that has torch: the CPU one, else the paper's GPU one.
fn env_python(cache: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    use repro::config::machines::Device;
    for spec in [
        repro::env::EnvSpec::new("0.10.1.1", Device::Cpu),
        repro::env::EnvSpec::new("0.10.1.1", Device::Gpu),
    ] {
        let python = spec.python(cache);
        if python.is_file() {
            return Ok(python);
        }
    }
    bail!("no vLLM environment to make models in: run `repro env setup --device cpu` first, or pass --python")
}
