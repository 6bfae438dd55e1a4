//! `repro status`: what is on disk for each task of a plan, judged by bytes — made here, made on
//! another machine and merged, present but made by nobody repro knows (the paper's published
//! data, a hand-copied log), failed, or missing. Keys are not judged (the engine, models or
//! patches of whoever looks may differ from whoever ran): this reports what is there.

use std::path::Path;

use super::{EngineKind, Phase, Task};
use crate::artifacts::manifest::{Manifest, RunStatus};
use crate::artifacts::origins::Origins;

/// What is on disk for one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// A run's log, accounted for by its manifest, made on this machine.
    MadeHere {
        engine: EngineKind,
        synthetic: bool,
    },
    /// A run's log, accounted for by its manifest, made on another machine (merged).
    MergedFrom {
        host: String,
        engine: EngineKind,
        synthetic: bool,
    },
    /// A log no manifest accounts for; `from` is where a merge brought it from.
    NotMadeHere {
        from: Option<String>,
    },
    /// The last attempt did not succeed (and left no log in the paper's glob).
    Failed(RunStatus),
    Missing,
}

impl Presence {
    pub fn is_present(&self) -> bool {
        matches!(
            self,
            Presence::MadeHere { .. } | Presence::MergedFrom { .. } | Presence::NotMadeHere { .. }
        )
    }

    /// A short word for `-v` listings.
    pub fn word(&self) -> &'static str {
        match self {
            Presence::MadeHere { .. } => "made here",
            Presence::MergedFrom { .. } => "merged",
            Presence::NotMadeHere { .. } => "not made here",
            Presence::Failed(_) => "failed",
            Presence::Missing => "missing",
        }
    }

    /// Where it came from, for grouping: `made here (fake engine)`, `merged from n2`,
    /// `not made here (merged from published.tar.zst)`.
    pub fn origin(&self) -> Option<String> {
        let kind = |engine: &EngineKind, synthetic: &bool| match (engine, synthetic) {
            (EngineKind::Fake, _) => " (fake engine)",
            (EngineKind::Real, true) => " (synthetic model)",
            (EngineKind::Real, false) => "",
        };
        match self {
            Presence::MadeHere { engine, synthetic } => {
                Some(format!("made here{}", kind(engine, synthetic)))
            }
            Presence::MergedFrom {
                host,
                engine,
                synthetic,
            } => Some(format!("merged from {host}{}", kind(engine, synthetic))),
            Presence::NotMadeHere { from: Some(from) } => {
                Some(format!("not made by repro (merged from `{from}`)"))
            }
            Presence::NotMadeHere { from: None } => Some("not made by repro".into()),
            Presence::Failed(_) | Presence::Missing => None,
        }
    }
}

/// What is on disk for `task`; `here` is this machine's name, `results` the folder `origins`
/// describes.
pub fn presence(task: &Task, here: &str, origins: &Origins, results: &Path) -> Presence {
    let log = &task.paths.log;
    let manifest = Manifest::read(&task.paths.manifest()).ok().flatten();
    let log_present = log.is_file();
    let intact = manifest
        .as_ref()
        .filter(|m| m.status == RunStatus::Ok)
        .filter(|m| m.accounts_for(task.paths.run_dir(), task.paths.log_name()));
    match (intact, log_present) {
        (Some(m), true) => {
            let engine = m.key_inputs.engine();
            let synthetic = m.key_inputs.synthetic();
            if m.host.name == here {
                Presence::MadeHere { engine, synthetic }
            } else {
                Presence::MergedFrom {
                    host: m.host.name.clone(),
                    engine,
                    synthetic,
                }
            }
        }
        (_, true) => {
            let rel = log.strip_prefix(results).unwrap_or(log);
            let from = crate::artifacts::hash_file(log)
                .ok()
                .and_then(|hash| origins.of(rel, &hash).map(|o| o.from.clone()));
            Presence::NotMadeHere { from }
        }
        (_, false) => match manifest {
            Some(m) if m.status != RunStatus::Ok => Presence::Failed(m.status),
            _ => Presence::Missing,
        },
    }
}

/// The phases a plan's present data covers: whether the warm-up is there, and which timed
/// iterations.
pub fn phases_present(tasks: &[(Task, Presence)]) -> (bool, Vec<u32>) {
    let mut warmup = false;
    let mut iterations = Vec::new();
    for (task, _) in tasks.iter().filter(|(_, p)| p.is_present()) {
        match task.phase() {
            Phase::Warmup => warmup = true,
            Phase::Iteration(i) => iterations.push(i),
        }
    }
    iterations.sort_unstable();
    iterations.dedup();
    (warmup, iterations)
}
