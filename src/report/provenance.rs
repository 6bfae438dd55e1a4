//! Where a part's data came from, from its run manifests (`manifests/*.json`): machines, CPU,
//! GPU, vLLM, patches, models and revisions, engine, repro version, wall times — and what no
//! manifest accounts for (the paper's published data, and where a merge brought it from).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::artifacts::inventory::Inventory;
use crate::artifacts::manifest::{FilesCheck, Manifest, RunStatus};
use crate::artifacts::origins::Origins;
use crate::config::machines::Device;
use crate::plan::{EngineKind, Phase};

/// A run that did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedRun {
    /// The log of the attempt (under `failed/`).
    pub log: PathBuf,
    pub status: RunStatus,
    pub error: Option<String>,
}

/// The provenance of one part (a split part's folder, or a figure's whole folder).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartProvenance {
    /// `gpu1`, or the figure folder's name for a figure without parts.
    pub name: String,
    pub dir: PathBuf,
    /// What the recipe says the part is (`n2: L40S`).
    pub description: Option<String>,
    /// The machine `machines.toml` gives this part (`n2 (L40S, AMD EPYC 9354 (32C))`).
    pub assigned: Option<String>,
    pub present: bool,
    /// Successful runs whose files are still the ones they made.
    pub runs_ok: usize,
    pub failed: Vec<FailedRun>,
    /// Runs whose files changed or went missing after they ran (their logs count as foreign).
    pub changed: Vec<PathBuf>,
    /// Manifests that could not be read.
    pub unreadable: Vec<PathBuf>,
    pub hosts: Vec<String>,
    pub cpus: Vec<String>,
    /// GPU names, or `none (…)` where the machine had none.
    pub gpus: Vec<String>,
    /// `GPU` or `CPU (vLLM's CPU build)`.
    pub devices: Vec<String>,
    /// Each kind of machine the runs ran on: CPU, GPUs and what the manifest recorded of the
    /// rest (`AMD EPYC 9354 · 1 × NVIDIA H100 NVL, driver 580.82.07, CUDA 12.8 · 64 CPUs, …`).
    pub machines: Vec<String>,
    /// The model disks and software the runs recorded (`model disk nvme0n1 (xfs, solid-state);
    /// Python 3.11.2, PyTorch 2.7.1`).
    pub software: Vec<String>,
    pub vllm: Vec<String>,
    /// `none applied by repro` where a run recorded no patch hash.
    pub patches: Vec<String>,
    /// `qwen-4b @ main`, with `(synthetic)` for a random-weight model.
    pub models: Vec<String>,
    /// `real`, `fake (simulated)`.
    pub engines: Vec<String>,
    pub repro_versions: Vec<String>,
    /// Data files no manifest accounts for, and where they came from.
    pub foreign: usize,
    pub foreign_from: Vec<String>,
    /// The sum of the runs' wall times (every attempt recorded), seconds.
    pub wall_s: f64,
    /// The most timed iterations a run was made with.
    pub iterations: u32,
}

impl PartProvenance {
    /// Whether any run manifest describes the part's data.
    pub fn recorded(&self) -> bool {
        self.runs_ok + self.failed.len() + self.changed.len() > 0
    }
}

/// What the manifests under `dir` (a part of `results`) say.
pub fn part(name: &str, dir: &Path, results: &Path, description: Option<String>) -> PartProvenance {
    let mut p = PartProvenance {
        name: name.to_string(),
        dir: dir.to_path_buf(),
        description,
        present: dir.is_dir(),
        ..PartProvenance::default()
    };
    if !p.present {
        return p;
    }
    let inventory = Inventory::scan(dir);
    let rel = |path: &Path| path.strip_prefix(results).unwrap_or(path).to_path_buf();
    let mut sets = Sets::default();
    for run in &inventory.runs {
        let m = &run.manifest;
        p.wall_s += m.wall_s;
        if let Phase::Iteration(i) = m.key_inputs.phase {
            p.iterations = p.iterations.max(i);
        }
        if m.status != RunStatus::Ok {
            p.failed.push(FailedRun {
                log: run.run_dir.join(&m.log),
                status: m.status,
                error: m.error.clone(),
            });
            continue;
        }
        if let FilesCheck::Missing(file) | FilesCheck::Changed(file) = &run.check {
            p.changed.push(run.run_dir.join(file));
            continue;
        }
        p.runs_ok += 1;
        sets.add(m);
    }
    p.failed.sort_by(|a, b| a.log.cmp(&b.log));
    p.unreadable = inventory.unreadable.clone();
    let origins = Origins::read(results);
    let mut from = BTreeSet::new();
    for path in &inventory.foreign {
        let source = crate::artifacts::hash_file(path)
            .ok()
            .and_then(|hash| origins.of(&rel(path), &hash).map(|o| o.from.clone()));
        from.insert(match source {
            Some(s) => format!("merged from `{s}`"),
            None => "no record of its source".to_string(),
        });
    }
    p.foreign = inventory.foreign.len();
    p.foreign_from = from.into_iter().collect();
    sets.fill(&mut p);
    p
}

/// The distinct values seen across a part's runs.
#[derive(Default)]
struct Sets {
    hosts: BTreeSet<String>,
    cpus: BTreeSet<String>,
    gpus: BTreeSet<String>,
    devices: BTreeSet<String>,
    machines: BTreeSet<String>,
    software: BTreeSet<String>,
    vllm: BTreeSet<String>,
    patches: BTreeSet<String>,
    models: BTreeSet<String>,
    engines: BTreeSet<String>,
    repro: BTreeSet<String>,
}

impl Sets {
    fn add(&mut self, m: &Manifest) {
        self.hosts.insert(m.host.name.clone());
        if let Some(cpu) = &m.host.cpu_model {
            self.cpus.insert(cpu.clone());
        }
        self.gpus.insert(m.host.gpu.describe());
        self.machines.insert(m.host.kind());
        if let Some(software) = m.host.software() {
            self.software.insert(software);
        }
        self.devices.insert(
            match m.key_inputs.config.device {
                Device::Gpu => "GPU build of vLLM",
                Device::Cpu => "vLLM's CPU build",
            }
            .to_string(),
        );
        self.vllm.insert(m.vllm.clone());
        self.patches.insert(match &m.patch_hash {
            Some(hash) => hash.chars().take(12).collect(),
            None => "none recorded".into(),
        });
        if let Some(model) = &m.key_inputs.config.model {
            let synthetic = if model.synthetic { " (synthetic)" } else { "" };
            self.models
                .insert(format!("{} @ {}{synthetic}", model.name, model.revision));
        }
        self.engines.insert(
            match m.key_inputs.engine() {
                EngineKind::Real => "real",
                EngineKind::Fake => "fake (simulated)",
            }
            .to_string(),
        );
        self.repro.insert(m.repro_version.clone());
    }

    fn fill(self, p: &mut PartProvenance) {
        p.hosts = self.hosts.into_iter().collect();
        p.cpus = self.cpus.into_iter().collect();
        p.gpus = self.gpus.into_iter().collect();
        p.devices = self.devices.into_iter().collect();
        p.machines = self.machines.into_iter().collect();
        p.software = self.software.into_iter().collect();
        p.vllm = self.vllm.into_iter().collect();
        p.vllm
            .sort_by_key(|v| crate::env::releases::version_order(v));
        p.patches = self.patches.into_iter().collect();
        p.models = self.models.into_iter().collect();
        p.engines = self.engines.into_iter().collect();
        p.repro_versions = self.repro.into_iter().collect();
    }
}
