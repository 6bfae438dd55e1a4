//! `repro models fetch|list|verify`

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{bail, Context};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use repro::config::machines::Device;
use repro::config::Models;
use repro::models::fetch::{self, Fetched};
use repro::models::hub::Hub;
use repro::models::synth::{self, Synthesized};
use repro::models::tensorize::{self, CopyState, Tensorized};
use repro::models::{self, Presence};
use repro::progress::{Event, Progress};

use super::Output;
use crate::cli::{ModelsAction, ModelsArgs};

/// Progress bars on stderr, one per model, when stderr is a terminal.
pub(super) struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
    enabled: bool,
}

impl Bars {
    pub(super) fn new(out: &Output) -> Bars {
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

impl Progress for Bars {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::DownloadStarted { name, files, bytes } => self.started(name, files, bytes),
            Event::Downloaded { name, bytes } => self.with_bar(name, |bar| bar.inc(bytes)),
            Event::DownloadFinished { name } => self.with_bar(name, ProgressBar::finish),
            _ => {}
        }
    }
}

impl Bars {
    fn started(&self, name: &str, files: usize, bytes: u64) {
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
}

pub(super) fn human_bytes(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}

fn names(models: &Models, requested: &[String], all: bool) -> anyhow::Result<Vec<String>> {
    if all {
        return Ok(models
            .models
            .iter()
            .filter(|(_, m)| !m.synthetic_only())
            .map(|(name, _)| name.clone())
            .collect());
    }
    if requested.is_empty() {
        bail!("name the models to fetch (see `repro models list`), or pass --all");
    }
    for name in requested {
        if !models.models.contains_key(name) {
            if models.tensorized.contains_key(name) {
                bail!("`{name}` is made locally (`repro models tensorize`), not downloaded");
            }
            bail!(repro::models::ModelError::unknown(name, models));
        }
        if models.models[name].synthetic_only() {
            bail!("`{name}` is not on any hub: make it with `repro models synth {name}`");
        }
    }
    Ok(requested.to_vec())
}

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
                None => env_of(&settings.cache, &vllm, device)?,
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
            // A mistyped name is said before anything else is looked for.
            if let Some(name) = names
                .iter()
                .find(|n| *n != "all" && !settings.models.models.contains_key(*n))
            {
                bail!(repro::models::ModelError::unknown(name, &settings.models));
            }
            let python = match python {
                Some(p) => p,
                None => env_python(&settings.cache)?,
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
    let names = names(&s.models, requested, all)?;
    let hub = Hub::from_env()?;
    let bars = Bars::new(&s.out);
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
        let state =
            match models::presence(&dir).with_context(|| format!("reading `{}`", dir.display()))? {
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
                    models::Origin::Synthetic { .. } | models::Origin::Tensorized { .. } => {
                        format!("present, {}", human_bytes(m.total_size()))
                    }
                },
            };
        println!(
            "{name:<30} {:<45} {state}",
            format!("{}@{}", model.repo, model.revision)
        );
    }
    for (name, copy) in &s.models.tensorized {
        let state = copy_state(&s.models_dir, name, &copy.from)?;
        println!(
            "{name:<30} {:<45} {state}",
            format!("tensorizer copy of {}", copy.from)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The Python of the environment of vLLM `vllm` on `device`, which must be set up.
fn env_of(
    cache: &std::path::Path,
    vllm: &str,
    device: Device,
) -> anyhow::Result<std::path::PathBuf> {
    let spec = repro::env::EnvSpec::new(vllm, device);
    let python = spec.python(cache);
    if !python.is_file() {
        bail!(
            "no environment for vLLM {vllm} at `{}`: run `repro env setup --vllm {vllm}{}`, or pass --python",
            spec.dir(cache).display(),
            if device == Device::Cpu { " --device cpu" } else { "" }
        );
    }
    Ok(python)
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
    for (name, from) in tensorize_targets(&s.models, r.names)? {
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
    let names: Vec<String> = if names.iter().any(|n| n == "all") {
        s.models.models.keys().cloned().collect()
    } else {
        names.to_vec()
    };
    for name in &names {
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
    let names: Vec<String> = if names.is_empty() {
        s.models
            .models
            .keys()
            .chain(s.models.tensorized.keys())
            .filter(|n| s.models_dir.join(n).join(models::MANIFEST).is_file())
            .cloned()
            .collect()
    } else {
        names
    };
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

/// The interpreter of a repro environment that has torch: the CPU one, else the paper's GPU one.
fn env_python(cache: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    for spec in [
        repro::env::EnvSpec::new(repro::env::PAPER_VLLM, Device::Cpu),
        repro::env::EnvSpec::new(repro::env::PAPER_VLLM, Device::Gpu),
    ] {
        if spec.is_set_up(cache) {
            return Ok(spec.python(cache));
        }
    }
    bail!("no vLLM environment to make models in: run `repro env setup --device cpu` first, or pass --python")
}

/// `(copy, source)` for each name: a copy of models.toml `[tensorized.*]`, the model one is made
/// from, or `all`.
fn tensorize_targets(models: &Models, names: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut targets: Vec<(String, String)> = Vec::new();
    for name in names {
        let found: Vec<(String, String)> = models
            .tensorized
            .iter()
            .filter(|(copy, t)| name == "all" || *copy == name || &t.from == name)
            .map(|(copy, t)| (copy.clone(), t.from.clone()))
            .collect();
        if found.is_empty() {
            let known: Vec<&str> = models.tensorized.keys().map(String::as_str).collect();
            bail!(
                "`{name}` has no tensorizer copy in models.toml (add `[tensorized.{name}-tensorized]` with `from = \"{name}\"`; known copies: {})",
                known.join(", ")
            );
        }
        for target in found {
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
    }
    Ok(targets)
}

/// What `list` says of a tensorizer copy.
fn copy_state(models_dir: &std::path::Path, name: &str, from: &str) -> anyhow::Result<String> {
    let source_dir = models_dir.join(from);
    let Some(source) = models::ModelManifest::read(&source_dir)? else {
        return Ok(format!(
            "missing (fetch `{from}` first, then `repro models tensorize {name}`)"
        ));
    };
    let dir = models_dir.join(name);
    Ok(match tensorize::copy_state(&dir, &source)? {
        CopyState::Current => {
            let m = models::ModelManifest::read(&dir)?.expect("a current copy has a manifest");
            format!(
                "{}present, {}",
                if m.is_synthetic() { "SYNTHETIC, " } else { "" },
                human_bytes(m.total_size())
            )
        }
        CopyState::Missing => format!("missing (`repro models tensorize {name}`)"),
        CopyState::Stale => {
            format!("stale: `{from}` changed since (`repro models tensorize {name}`)")
        }
        CopyState::Foreign(problem) => problem,
    })
}
