//! Checking claims against a results folder: the figure's data there, its chart model, the
//! computation, the tolerance — and what kind of data it was, which decides what may be said.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::figures::{self, Loader};
use crate::project::Project;
use crate::reproduce::Engine;

use super::{compute, origin, Claim, ClaimsError, DataOrigin};

/// What checking one claim found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Outcome {
    /// The value was computed; `holds`: it is within the claim's tolerance.
    Measured { value: f64, holds: bool },
    /// The figure's data is not in the results folder.
    NoData {
        /// The folder (or file) that is missing.
        missing: PathBuf,
        /// The command that makes it.
        hint: String,
    },
    /// The data is there but the value cannot be had from it.
    CannotCheck { why: String },
}

/// A claim and what checking it found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checked {
    pub claim: Claim,
    pub outcome: Outcome,
    /// The kind of data the figure's folder holds, where it holds any.
    pub data: Option<DataOrigin>,
    /// What the figure's computation noted (logs left out, incomplete logs, …).
    pub notes: Vec<String>,
}

/// The one-word answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Supported,
    NotSupported,
    /// Checked on fake-engine data: never supported or not.
    Simulated,
    /// Checked on a synthetic model: never supported or not.
    Synthetic,
    NoData,
    CannotCheck,
}

impl Verdict {
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::NotSupported => "NOT supported",
            Verdict::Simulated => "checked on simulated data",
            Verdict::Synthetic => "checked on a synthetic model",
            Verdict::NoData => "no data here",
            Verdict::CannotCheck => "cannot check",
        }
    }
}

impl Checked {
    pub fn verdict(&self) -> Verdict {
        match (&self.outcome, &self.data) {
            (Outcome::NoData { .. }, _) => Verdict::NoData,
            (Outcome::CannotCheck { .. }, _) => Verdict::CannotCheck,
            (Outcome::Measured { .. }, Some(DataOrigin::Simulated)) => Verdict::Simulated,
            (Outcome::Measured { .. }, Some(DataOrigin::Synthetic)) => Verdict::Synthetic,
            (Outcome::Measured { holds: true, .. }, _) => Verdict::Supported,
            (Outcome::Measured { holds: false, .. }, _) => Verdict::NotSupported,
        }
    }

    /// The measured value as it reads (`0.97`, `87.0%`), where there is one.
    pub fn measured_text(&self) -> Option<String> {
        match self.outcome {
            Outcome::Measured { value, .. } => Some(self.claim.compute.unit().format(value)),
            _ => None,
        }
    }

    pub fn paper_text(&self) -> String {
        self.claim.compute.unit().format(self.claim.paper)
    }

    /// The supporting values (`≥ 0.90`).
    pub fn needs_text(&self) -> String {
        self.claim
            .holds
            .describe(self.claim.paper, self.claim.compute.unit())
    }

    /// A line on what was found: the values, or what is missing, or why it cannot be checked.
    pub fn detail(&self) -> String {
        match &self.outcome {
            Outcome::Measured { holds, .. } => {
                let measured = self.measured_text().unwrap_or_default();
                let within = match (self.verdict(), holds) {
                    (Verdict::Simulated | Verdict::Synthetic, true) => ", within range",
                    (Verdict::Simulated | Verdict::Synthetic, false) => ", out of range",
                    _ => "",
                };
                format!(
                    "{measured} (paper {}; needs {}{within})",
                    self.paper_text(),
                    self.needs_text()
                )
            }
            Outcome::NoData { missing, hint } => {
                format!("no `{}` (`{hint}` makes it)", missing.display())
            }
            Outcome::CannotCheck { why } => why.clone(),
        }
    }
}

/// Check every claim against `results`. Each figure's tables are computed once.
pub fn check_all(
    claims: &[Claim],
    project: &Project,
    results: &Path,
) -> Result<Vec<Checked>, ClaimsError> {
    let models = project.models()?;
    let mut loader = Loader::new(&models);
    let mut checked = Vec::with_capacity(claims.len());
    for claim in claims {
        checked.push(check_one(claim, project, results, &mut loader)?);
    }
    Ok(checked)
}

fn check_one(
    claim: &Claim,
    project: &Project,
    results: &Path,
    loader: &mut Loader<'_>,
) -> Result<Checked, ClaimsError> {
    let named = project.named_recipe(&claim.recipe)?;
    let recipe = &named.recipe;
    let spec = recipe
        .plots
        .iter()
        .find(|p| p.figure == claim.figure)
        .expect("checked when the claims were parsed");
    let dir = results.join(&recipe.folder);
    let done = |outcome, data, notes| Checked {
        claim: claim.clone(),
        outcome,
        data,
        notes,
    };
    let whole = crate::reproduce::run_steps(&named, &Default::default(), Engine::Real)
        .into_iter()
        .map(|s| s.command)
        .collect::<Vec<_>>()
        .join(" and ");
    if !dir.is_dir() {
        let hint = whole;
        return Ok(done(Outcome::NoData { missing: dir, hint }, None, vec![]));
    }
    if let Some(missing) = figures::missing_data(spec, &dir) {
        let path = PathBuf::from(missing.trim_start_matches("no `").trim_end_matches('`'));
        let part = path
            .strip_prefix(&dir)
            .ok()
            .and_then(|rel| rel.components().next())
            .and_then(|c| c.as_os_str().to_str().map(str::to_string));
        let hint = part
            .and_then(|p| crate::reproduce::part_command(&named, &p))
            .unwrap_or(whole);
        return Ok(done(
            Outcome::NoData {
                missing: path,
                hint,
            },
            origin(&dir, results),
            vec![],
        ));
    }
    if let Some((fake, real)) = crate::table::provenance(&dir).mixed {
        let why = format!(
            "`{}` mixes fake-engine runs (e.g. `{}`) with real data (e.g. `{}`)",
            dir.display(),
            fake.display(),
            real.display()
        );
        return Ok(done(Outcome::CannotCheck { why }, None, vec![]));
    }
    let data = origin(&dir, results);
    let built = match loader.build(recipe, spec, &dir) {
        Ok(built) => built,
        Err(error) => {
            let notes = loader.take_notes();
            let why = format!("figure {}: {error}", claim.figure);
            return Ok(done(Outcome::CannotCheck { why }, data, notes));
        }
    };
    let outcome = match compute::value(&claim.compute, spec, &built.data) {
        Ok(value) => Outcome::Measured {
            value,
            holds: claim.holds.holds(value, claim.paper),
        },
        Err(why) => Outcome::CannotCheck { why },
    };
    Ok(done(outcome, data, built.notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{Computation, Tolerance};

    fn checked(outcome: Outcome, data: Option<DataOrigin>) -> Checked {
        Checked {
            claim: Claim {
                id: "x".into(),
                figure: "12".into(),
                claim: String::new(),
                source: String::new(),
                compute: Computation::BusyCores,
                paper: 1.5,
                holds: Tolerance::AtMost(2.0),
                recipe: "12".into(),
            },
            outcome,
            data,
            notes: vec![],
        }
    }

    #[test]
    fn only_measurements_of_real_models_are_judged() {
        let holds = || Outcome::Measured {
            value: 1.0,
            holds: true,
        };
        let measured = DataOrigin::Measured {
            hosts: vec!["n1".into()],
            foreign_from: vec![],
        };
        assert_eq!(
            checked(holds(), Some(measured.clone())).verdict(),
            Verdict::Supported
        );
        let published = DataOrigin::NotMadeByRepro { from: vec![None] };
        assert_eq!(
            checked(holds(), Some(published)).verdict(),
            Verdict::Supported
        );
        let simulated = checked(holds(), Some(DataOrigin::Simulated));
        assert_eq!(simulated.verdict(), Verdict::Simulated);
        assert!(
            simulated.detail().ends_with("within range)"),
            "{}",
            simulated.detail()
        );
        assert_eq!(
            checked(holds(), Some(DataOrigin::Synthetic)).verdict(),
            Verdict::Synthetic
        );
        let fails = Outcome::Measured {
            value: 3.0,
            holds: false,
        };
        let not = checked(fails, Some(measured));
        assert_eq!(not.verdict(), Verdict::NotSupported);
        assert_eq!(
            not.detail(),
            "3.00 cores (paper 1.50 cores; needs ≤ 2.00 cores)"
        );
    }
}
