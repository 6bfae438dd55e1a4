//! What kind of data a folder holds, as far as it decides what a claim checked on it means:
//! simulated (the fake engine), a synthetic model, runs repro measured (and where), or data
//! repro did not make (the paper's published logs, and where a merge brought them from).

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use crate::artifacts::inventory::Inventory;
use crate::artifacts::origins::Origins;

/// The kind of a folder's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataOrigin {
    /// Fake-engine runs (`--engine fake`): simulated timings.
    Simulated,
    /// Real runs of random-weight models (`repro models synth`).
    Synthetic,
    /// Runs repro measured, on these machines; `foreign_from` is where data repro did not make
    /// beside them came from (empty where there is none).
    Measured {
        hosts: Vec<String>,
        foreign_from: Vec<String>,
    },
    /// Only data no manifest accounts for (the paper's published data, a hand copy), merged
    /// from these sources (`None`: no record of where it came from).
    NotMadeByRepro { from: Vec<Option<String>> },
}

impl DataOrigin {
    /// Whether a claim checked on this data can be called supported or not: never on simulated
    /// or synthetic data.
    pub fn is_measurement(&self) -> bool {
        matches!(
            self,
            DataOrigin::Measured { .. } | DataOrigin::NotMadeByRepro { .. }
        )
    }

    /// `not made by repro (merged from `published.tar.zst`)`, `measured by repro on n1, n2`.
    pub fn describe(&self) -> String {
        let from = |sources: &[Option<String>]| {
            sources
                .iter()
                .map(|s| match s {
                    Some(s) => format!("merged from `{s}`"),
                    None => "no record of its source".to_string(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        match self {
            DataOrigin::Simulated => "simulated (fake engine)".into(),
            DataOrigin::Synthetic => "synthetic model (random weights)".into(),
            DataOrigin::Measured {
                hosts,
                foreign_from,
            } => {
                let mut text = format!("measured by repro on {}", hosts.join(", "));
                if !foreign_from.is_empty() {
                    text.push_str(&format!(
                        ", beside data not made by repro ({})",
                        foreign_from.join("; ")
                    ));
                }
                text
            }
            DataOrigin::NotMadeByRepro { from: sources } => {
                format!("not made by repro ({})", from(sources))
            }
        }
    }
}

/// The origin of the data under `dir`, a folder of `results` (whose merge record says where
/// foreign files came from). `None` where the folder holds no data at all.
pub fn origin(dir: &Path, results: &Path) -> Option<DataOrigin> {
    let provenance = crate::table::provenance(dir);
    if provenance.fake_engine {
        return Some(DataOrigin::Simulated);
    }
    if provenance.synthetic_model {
        return Some(DataOrigin::Synthetic);
    }
    let inventory = Inventory::scan(dir);
    let hosts: BTreeSet<String> = inventory
        .runs
        .iter()
        .filter(|r| r.is_intact())
        .map(|r| r.manifest.host.name.clone())
        .collect();
    let origins = Origins::read(results);
    let sources: BTreeSet<Option<String>> = inventory
        .foreign
        .iter()
        .map(|path| {
            let rel = path.strip_prefix(results).unwrap_or(path);
            crate::artifacts::hash_file(path)
                .ok()
                .and_then(|hash| origins.of(rel, &hash).map(|o| o.from.clone()))
        })
        .collect();
    match (hosts.is_empty(), sources.is_empty()) {
        (true, true) => None,
        (true, false) => Some(DataOrigin::NotMadeByRepro {
            from: sources.into_iter().collect(),
        }),
        (false, _) => Some(DataOrigin::Measured {
            hosts: hosts.into_iter().collect(),
            foreign_from: sources
                .into_iter()
                .map(|s| {
                    s.map_or("no record of its source".into(), |s| {
                        format!("merged from `{s}`")
                    })
                })
                .collect(),
        }),
    }
}
