//! `repro appendix`: the artifact appendix committees ask for (the ACM / cTuning check-list
//! MLSys uses; SC's set-up, execution and analysis times; EuroSys' commands and resources per
//! claim), written from what repro knows — the recipes, models.toml, machines.toml, claims.toml,
//! the estimates (each naming its source), this machine's `doctor` checks and, with a results
//! folder, what was measured where and the claims' verdicts. Nothing in it is typed by hand but
//! the field names and what the project's files say.

pub mod doc;
mod facts;
mod measured;

use std::path::{Path, PathBuf};
use std::time::Instant;

use doc::{Block, Section};
pub use doc::{Doc, Format};
pub use facts::{Facts, ENV_GB};

use crate::claims::{self, Checked};
use crate::estimate::human_duration;
use crate::project::Project;

/// What the appendix is written from.
pub struct Request<'a> {
    pub project: &'a Project,
    /// The results folder: its past runs sharpen the estimates.
    pub results: PathBuf,
    /// Also say what was measured there, on which machine, and the claims' verdicts.
    pub measured: bool,
    pub models_dir: PathBuf,
    pub cache: PathBuf,
}

/// What stops an appendix from being written.
#[derive(Debug, thiserror::Error)]
pub enum AppendixError {
    #[error(transparent)]
    Recipe(#[from] crate::recipe::RecipeError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Claims(#[from] claims::ClaimsError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error("cannot plan recipe `{recipe}`: {source}")]
    Plan {
        recipe: String,
        source: crate::plan::PlanError,
    },
}

/// The appendix, every field filled from the project (and the results folder).
pub fn write(request: &Request<'_>) -> Result<Doc, AppendixError> {
    let places = facts::Places {
        project: request.project,
        results: &request.results,
        models_dir: &request.models_dir,
        cache: &request.cache,
    };
    let facts = facts::gather(&places)?;
    let claims = claims::load(request.project)?;
    let started = Instant::now();
    let measured = match request.measured {
        true => Some(measured::gather(request.project, &request.results)?),
        false => None,
    };
    // Checking the claims tables and draws every figure: the analysis, timed here.
    let analysis_s = started.elapsed().as_secs_f64();
    let doctor = crate::doctor::run(&crate::doctor::Inputs {
        project: request.project.clone(),
        models_dir: request.models_dir.clone(),
        results_dir: request.results.clone(),
        cache: request.cache.clone(),
        machine: None,
    });
    let mut sections = vec![
        checklist(&facts, measured.as_ref().map(|m| (m, analysis_s))),
        paper_machines(&request.project.machines()?),
        this_machine(&doctor),
        kick_the_tires(),
        experiments(&facts),
        claims_section(
            &facts,
            &claims,
            &request.results,
            measured.as_ref().map(|m| &m.report.claims[..]),
        ),
    ];
    if let Some(m) = &measured {
        sections.push(measured::section(m, &request.results));
    }
    Ok(Doc {
        title: format!(
            "Artifact Appendix: Breaking the Ice — Analyzing Cold Start Latency in vLLM (written by repro {})",
            env!("CARGO_PKG_VERSION")
        ),
        sections,
    })
}

/// The meta-information check-list, field by field.
fn checklist(facts: &Facts, measured: Option<(&measured::Measured, f64)>) -> Section {
    let mut s = Section::new("Artifact check-list (meta-information)");
    s.field("Algorithm", "vLLM's start-up split into stages, timed from the engine's own log (the paper's `profile_log.py`), averaged over iterations (`compare_logs.py`, `avg_results.py`); a linear start-up predictor from model facts (figure 17)");
    s.field("Program", program(facts));
    s.field("Model", models(facts));
    s.field(
        "Data set",
        "none beyond the models: start-up is measured on each model's own weights",
    );
    s.field("Run-time environment", runtime(facts));
    s.field("Hardware", hardware(facts));
    s.field("Run-time state", run_time_state(facts));
    s.field("Execution", "`repro figure all` on the reference machine, each split part with `repro figure N --gpu I` (or `--cpu I`, `--case I`) on its machine, `repro pack` there and `repro merge` here; then `repro render all` and `repro claims` (commands per figure below)");
    s.field("Metrics", format!("seconds per start-up stage ({}); the claims' shares, ratios and Pearson r computed from them", stage_keys()));
    s.field("Output", outputs(facts));
    s.field(
        "Experiments",
        format!(
            "{} recipes drawing {} figures, {} runs (below)",
            facts.figures.len(),
            facts.figures.iter().map(|f| f.plots.len()).sum::<usize>(),
            facts.estimate().runs
        ),
    );
    s.field("How much disk space required (approximately)?", disk(facts));
    s.field(
        "How much time is needed to prepare workflow (approximately)?",
        preparation(facts),
    );
    s.field(
        "How much time is needed to complete experiments (approximately)?",
        facts.estimate().describe(),
    );
    s.field(
        "How much time is needed to analyse the results (approximately)?",
        analysis(facts, measured),
    );
    s.field(
        "Publicly available?",
        format!(
            "yes: repro {} and its recipes; the models from the Hugging Face hub",
            env!("CARGO_PKG_VERSION")
        ),
    );
    s.field(
        "Code licenses (if publicly available)?",
        env!("CARGO_PKG_LICENSE"),
    );
    s.field(
        "Data licenses (if publicly available)?",
        "each model's own, on its Hugging Face page (the repositories under Model)",
    );
    s.field("Workflow framework used?", "repro (recipe → plan → run → artifacts → table → render; resumable, every run with a manifest)");
    s.field("Archived (provide DOI)?", "not recorded by repro");
    s
}

fn program(facts: &Facts) -> String {
    let versions: Vec<&str> = facts.envs.iter().map(|e| e.vllm.as_str()).collect();
    let pins = crate::env::releases::pins(crate::env::PAPER_VLLM).unwrap_or(&[]);
    format!(
        "repro {} (Rust, `cargo build --release`); vLLM {} from PyPI, one environment each (`repro env setup`); the paper's release {} with {}",
        env!("CARGO_PKG_VERSION"),
        versions.join(", "),
        crate::env::PAPER_VLLM,
        pins.join(", ")
    )
}

fn models(facts: &Facts) -> String {
    let list: Vec<String> = facts
        .models
        .iter()
        .map(|(name, (repo, size))| format!("{name} (`{repo}`, {size}B)"))
        .collect();
    format!(
        "{} models of models.toml, about {:.0} GB of bf16 weights: {}",
        facts.models.len(),
        facts.models_gb(),
        list.join(", ")
    )
}

fn runtime(facts: &Facts) -> String {
    let here: Vec<String> = facts
        .envs
        .iter()
        .flat_map(|e| &e.here)
        .map(|h| format!("{}: {}", h.what, h.installed))
        .collect();
    let installed = match here.is_empty() {
        true => "none set up on this machine yet".to_string(),
        false => format!("set up here: {}", here.join("; ")),
    };
    format!("Linux with NVIDIA's driver; a Python virtual environment per vLLM version, made by `repro env setup` ({installed})")
}

fn hardware(facts: &Facts) -> String {
    let mut parts = vec![];
    for figure in &facts.figures {
        for part in figure.parts.iter().filter(|p| p.name.is_some()) {
            let on = part.machine.as_deref().unwrap_or("a machine of its own");
            parts.push(format!(
                "{}/{} on {on}",
                figure.folder,
                part.name.as_deref().unwrap_or_default()
            ));
        }
    }
    format!(
        "NVIDIA GPUs (the machines of machines.toml below); every figure runs on the reference machine but the split parts: {}",
        parts.join(", ")
    )
}

fn run_time_state(facts: &Facts) -> String {
    let cold: Vec<String> = facts
        .figures
        .iter()
        .flat_map(|f| {
            f.parts
                .iter()
                .filter(|p| p.cold)
                .map(move |p| format!("{}/{}", f.folder, p.name.as_deref().unwrap_or_default()))
        })
        .collect();
    format!(
        "each run a fresh process; torch.compile's cache per run kind under repro's cache (warm and cold runs); the model's pages evicted from the page cache before each run of {} (cold SSD loads; `repro doctor` checks the rights)",
        cold.join(", ")
    )
}

fn stage_keys() -> String {
    let keys: Vec<&str> = crate::parse::Stage::ALL.iter().map(|s| s.key()).collect();
    keys.join(", ")
}

fn outputs(facts: &Facts) -> String {
    let files: Vec<&str> = facts
        .figures
        .iter()
        .flat_map(|f| f.plots.iter().map(|(_, file)| file.as_str()))
        .collect();
    format!(
        "per figure folder the paper's tables (`comparison_results.json`, `avg_comparison_results.json`) and every run's log and manifest; the figures {}",
        files.join(", ")
    )
}

fn disk(facts: &Facts) -> String {
    let envs = facts.envs.len() as f64 * ENV_GB;
    format!(
        "about {:.0} GB: {:.0} GB of models (bf16, two bytes a parameter), {} environments of about {ENV_GB:.0} GB ({envs:.0} GB), and the results (logs of tens of KB a run)",
        facts.models_gb() + envs,
        facts.models_gb(),
        facts.envs.len()
    )
}

fn preparation(facts: &Facts) -> String {
    let measured: Vec<String> = facts
        .envs
        .iter()
        .flat_map(|e| &e.here)
        .filter_map(|h| {
            h.setup_s
                .map(|s| format!("{} took {}", h.what, human_duration(s)))
        })
        .collect();
    let envs = match measured.is_empty() {
        true => "not set up on this machine, so not measured here".to_string(),
        false => format!("measured here: {}", measured.join(", ")),
    };
    format!(
        "{} environments (`repro env setup`; {envs}) and {:.0} GB of model downloads (`repro models fetch`; at 100 MB/s about {})",
        facts.envs.len(),
        facts.models_gb(),
        human_duration(facts.models_gb() * 1e9 / 100e6)
    )
}

fn analysis(facts: &Facts, measured: Option<(&measured::Measured, f64)>) -> String {
    let command = "`repro table all`, `repro render all`, `repro claims`";
    match measured {
        Some((m, seconds)) => format!(
            "{command}: measured here while writing this appendix, {} for the {} runs and data files of the results folder",
            human_seconds(seconds),
            m.logs
        ),
        None => format!(
            "{command}: seconds ({} runs' logs; pass --results to time it on a results folder)",
            facts.estimate().runs
        ),
    }
}

fn human_seconds(seconds: f64) -> String {
    match seconds < 10.0 {
        true => format!("{seconds:.2} s"),
        false => human_duration(seconds),
    }
}

/// The machines of machines.toml, and the split parts each runs.
fn paper_machines(machines: &crate::config::machines::Machines) -> Section {
    let mut s = Section::new("Hardware: the machines of machines.toml");
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".into());
    let rows = machines
        .machines
        .iter()
        .map(|(name, m)| {
            let runs = match m.runs.is_empty() {
                true => "the unsplit figures, where asked".to_string(),
                false => m.runs.join(", "),
            };
            vec![
                format!("{name} ({})", m.description),
                dash(&m.cpu),
                dash(&m.gpu),
                dash(&m.dram),
                dash(&m.disk),
                dash(&m.os),
                runs,
            ]
        })
        .collect();
    let header = [
        "machine",
        "CPU",
        "GPU",
        "memory",
        "disk",
        "OS and software",
        "runs",
    ];
    s.blocks.push(Block::Table(
        header.iter().map(|h| h.to_string()).collect(),
        rows,
    ));
    s
}

/// This machine, as `repro doctor` sees it.
fn this_machine(report: &crate::doctor::Report) -> Section {
    let mut s = Section::new(format!(
        "Hardware and software on this machine (`repro doctor` on `{}`)",
        report.host
    ));
    let rows = report
        .checks
        .iter()
        .map(|c| {
            let detail = match &c.hint {
                Some(hint) => format!("{} — {hint}", c.detail),
                None => c.detail.clone(),
            };
            vec![c.check.as_str().into(), c.level.as_str().into(), detail]
        })
        .collect();
    s.blocks.push(Block::Table(
        vec!["check".into(), "state".into(), "detail".into()],
        rows,
    ));
    s
}

/// The evaluator's first half hour.
fn kick_the_tires() -> Section {
    let mut s = Section::new("Getting started (kick the tires)");
    s.para("One command checks every path an evaluator uses, each step the real repro binary in a folder of its own, without a GPU:");
    s.blocks
        .push(Block::Commands(vec!["repro kick-the-tires".into()]));
    let steps: Vec<Vec<String>> = crate::kick::check_names()
        .enumerate()
        .map(|(i, what)| vec![(i + 1).to_string(), what.to_string()])
        .collect();
    s.blocks
        .push(Block::Table(vec!["step".into(), "checks".into()], steps));
    s
}

/// Each figure's parts: where they run, how many runs, how long.
fn experiments(facts: &Facts) -> Section {
    let mut s = Section::new("Experiments: commands, machines and time per figure");
    s.para("Times are estimates before any run, each naming its source: this machine's past runs where the results folder has them, else the paper's published time of the model on its H100 NVL, else the paper's predictor.");
    let mut rows = vec![];
    for figure in &facts.figures {
        let plots: Vec<&str> = figure.plots.iter().map(|(f, _)| f.as_str()).collect();
        for part in &figure.parts {
            rows.push(vec![
                plots.join(", "),
                format!("`{}`", part.command),
                part.machine
                    .clone()
                    .or(part.description.clone())
                    .unwrap_or_else(|| "the reference machine".into()),
                part.estimate.describe(),
            ]);
        }
    }
    s.blocks.push(Block::Table(
        vec![
            "figures".into(),
            "command".into(),
            "machine".into(),
            "runs and time".into(),
        ],
        rows,
    ));
    s.field("In all", facts.estimate().describe());
    s
}

/// Per claim of claims.toml: the commands that check it, their time and resources, and with a
/// results folder its verdict.
fn claims_section(
    facts: &Facts,
    claims: &[claims::Claim],
    results: &Path,
    checked: Option<&[Checked]>,
) -> Section {
    let mut s = Section::new("Claims: what checks each, how long it takes, on what");
    for claim in claims {
        let Some(figure) = facts.figures.iter().find(|f| f.recipe == claim.recipe) else {
            continue;
        };
        s.sub(format!("{} (figure {})", claim.id, claim.figure));
        s.para(claim.claim.clone());
        let mut commands: Vec<String> = figure.parts.iter().map(|p| p.command.clone()).collect();
        commands.push(format!("repro claims --results {}", shown(results)));
        s.blocks.push(Block::Commands(commands));
        let machines: Vec<String> = figure
            .parts
            .iter()
            .map(|p| {
                p.machine
                    .clone()
                    .unwrap_or_else(|| "the reference machine".into())
            })
            .collect();
        s.field(
            "Time and resources",
            format!(
                "{}; on {}",
                figure.estimate().describe(),
                dedup(machines).join(" and ")
            ),
        );
        let needs = claim.holds.describe(claim.paper, claim.compute.unit());
        s.field(
            "Expected",
            format!(
                "{} (paper {}; {})",
                needs,
                claim.compute.unit().format(claim.paper),
                claim.source
            ),
        );
        if let Some(c) = checked.and_then(|all| all.iter().find(|c| c.claim.id == claim.id)) {
            s.field(
                "Verdict here",
                format!("{}: {}", c.verdict().text(), c.detail()),
            );
        }
    }
    s
}

fn dedup(mut items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.clone()));
    items
}

/// The results folder's path as the appendix names it.
pub fn shown(path: &Path) -> String {
    path.display().to_string()
}
