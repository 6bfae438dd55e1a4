//! Fake and real never mix: before a plan runs, its figure folder is checked for data of the
//! other kind (real runs or data repro did not make, for the fake engine; fake-engine runs, for
//! the real one). Mixed, a figure would average simulated timings with measurements, and a
//! FAKE ENGINE stamp would land on real data.

use std::path::PathBuf;

use super::Plan;
use crate::artifacts::inventory::{Inventory, Mix};

/// A plan whose figure folder holds data of the other kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    /// The figure folder (`results/figure-2`).
    pub folder: PathBuf,
    pub engine: super::EngineKind,
    pub mix: Mix,
}

impl std::fmt::Display for Clash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` holds {} ({} file{}, e.g. `{}`), which {} runs must not be mixed with",
            self.folder.display(),
            self.mix.other,
            self.mix.count,
            if self.mix.count == 1 { "" } else { "s" },
            self.mix.example.display(),
            self.engine,
        )
    }
}

/// The clash of `plan`'s figure folder with its engine, if any.
pub fn clash(plan: &Plan) -> Option<Clash> {
    let folder = plan.results.join(&plan.figure);
    let engine = plan.tasks.first()?.config.key.engine;
    let mix = Inventory::scan(&folder).mixes_with(engine)?;
    Some(Clash {
        folder,
        engine,
        mix,
    })
}
