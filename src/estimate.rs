//! How long the runs of a plan will take, before anything runs, and on what the guess rests —
//! always said, in this order of trust:
//!
//! 1. this machine's own past runs of the same run (label, engine, device), else of the same
//!    model: the manifests under the results folder record each run's wall time;
//! 2. the paper's published start-up time of the model on its H100 NVL (`data/paper-h100-
//!    average.json`: figure 10's first part; the paper finds the GPU barely matters);
//! 3. the paper's own predictor (figure 17) trained on that table, from the model's facts;
//! 4. for the fake engine, its simulated durations sped up; for vLLM's CPU build, repro's own
//!    measurements of it (docs/cpu-engine.md).
//!
//! Each run's estimate is recorded in its manifest beside its actual time, so the next estimate
//! of the same run rests on what it really took.

use std::collections::HashMap;
use std::path::Path;

use crate::artifacts::key::EngineKind;
use crate::artifacts::manifest::{Manifest, RunStatus};
use crate::config::machines::Device;
use crate::config::Models;
use crate::predict::Predictor;
use crate::table::Comparison;

use crate::plan::{Plan, Task};

/// The paper's averaged start-up stages on its H100 NVL (figure 10, part gpu0).
const PAPER_H100: &str = include_str!("../data/paper-h100-average.json");

/// A fake-engine run with its sleeps at the default speed-up, plus the runner's share.
const FAKE_RUN_S: f64 = 0.06;

/// A cold start of vLLM's CPU build on a shallow synthetic model, as measured here
/// (docs/cpu-engine.md: 26–114 s).
const CPU_RUN_S: f64 = 60.0;

/// What an estimate rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Basis {
    /// This machine's past runs of the same run.
    PastRuns,
    /// This machine's past runs of the same model (other parameters).
    PastModel,
    /// The paper's published time of this model on its H100 NVL.
    Paper,
    /// The paper's predictor, from the model's facts.
    Predictor,
    /// The fake engine's simulated durations, sped up.
    Fake,
    /// repro's own measurements of vLLM's CPU build.
    CpuMeasured,
}

impl Basis {
    pub fn describe(self) -> &'static str {
        match self {
            Basis::PastRuns => "this machine's past runs of it",
            Basis::PastModel => "this machine's past runs of the model",
            Basis::Paper => "the paper's published time on its H100 NVL",
            Basis::Predictor => "the paper's predictor (figure 17) from the model's facts",
            Basis::Fake => "the fake engine's simulated time",
            Basis::CpuMeasured => "repro's measurements of vLLM's CPU build (docs/cpu-engine.md)",
        }
    }
}

/// One run's expected wall time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub seconds: f64,
    pub basis: Basis,
}

/// The runs of a plan that will run, estimated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanEstimate {
    pub runs: usize,
    pub seconds: f64,
    /// How many runs each basis estimated, in order of trust.
    pub by_basis: Vec<(Basis, usize)>,
}

/// Past runs of this machine, by what they ran.
#[derive(Debug, Default)]
pub struct Estimator {
    /// `(engine, device, label)` → wall times of successful runs.
    runs: HashMap<(EngineKind, Device, String), Vec<f64>>,
    /// `(engine, device, model)` → wall times.
    models: HashMap<(EngineKind, Device, String), Vec<f64>>,
    /// Model → the paper's `actual_total_time` on its H100 NVL.
    paper: HashMap<String, f64>,
    predictor: Option<Predictor>,
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

impl Estimator {
    /// What this machine has run under `results`, and the paper's times.
    pub fn new(results: &Path, models: &Models) -> Estimator {
        let mut estimator = Estimator::default();
        let here = crate::sys::hostname();
        let manifests = walkdir::WalkDir::new(results)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_type().is_file()
                    && e.path().extension().is_some_and(|x| x == "json")
                    && e.path()
                        .parent()
                        .and_then(|p| p.file_name())
                        .is_some_and(|n| n == crate::artifacts::layout::MANIFEST_DIR)
            });
        for entry in manifests {
            let Ok(Some(m)) = Manifest::read(entry.path()) else {
                continue;
            };
            if m.status != RunStatus::Ok || m.host.name != here {
                continue;
            }
            let k = &m.key_inputs.config;
            let run = (k.engine, k.device, k.label.clone());
            estimator.runs.entry(run).or_default().push(m.wall_s);
            if let Some(model) = &k.model {
                let key = (k.engine, k.device, model.name.clone());
                estimator.models.entry(key).or_default().push(m.wall_s);
            }
        }
        if let Ok(average) =
            Comparison::from_json(Path::new("paper-h100-average.json"), PAPER_H100.as_bytes())
        {
            for (i, label) in average.labels.iter().enumerate() {
                let Ok(model) = crate::recipe::labels::model_name(label) else {
                    continue;
                };
                if let Some(v) = average.value(crate::parse::Stage::ActualTotalTime, i) {
                    estimator.paper.insert(model.to_string(), v.as_f64());
                }
            }
            estimator.predictor = Predictor::train(&average, models, &[], false).ok();
        }
        estimator
    }

    /// The estimate of one task.
    pub fn task(&self, task: &Task, models: &Models) -> Estimate {
        let k = &task.config.key;
        let past = |map: &HashMap<(EngineKind, Device, String), Vec<f64>>, what: &str| {
            map.get(&(k.engine, k.device, what.to_string()))
                .map(|v| mean(v))
        };
        if let Some(seconds) = past(&self.runs, &k.label) {
            return Estimate {
                seconds,
                basis: Basis::PastRuns,
            };
        }
        let model = k.model.as_ref().map(|m| m.name.as_str());
        if let Some(seconds) = model.and_then(|m| past(&self.models, m)) {
            return Estimate {
                seconds,
                basis: Basis::PastModel,
            };
        }
        match (k.engine, k.device) {
            (EngineKind::Fake, _) => Estimate {
                seconds: FAKE_RUN_S,
                basis: Basis::Fake,
            },
            (EngineKind::Real, Device::Cpu) => Estimate {
                seconds: CPU_RUN_S,
                basis: Basis::CpuMeasured,
            },
            (EngineKind::Real, Device::Gpu) => {
                // A tensorizer copy starts as its source model does.
                let source = model.map(|m| {
                    models
                        .tensorized
                        .get(m)
                        .map_or(m, |copy| copy.from.as_str())
                });
                if let Some(&seconds) = source.and_then(|m| self.paper.get(m)) {
                    return Estimate {
                        seconds,
                        basis: Basis::Paper,
                    };
                }
                let predicted = source
                    .and_then(|m| models.get(m))
                    .zip(self.predictor.as_ref())
                    .map(|(m, p)| p.predict(m));
                Estimate {
                    seconds: predicted.unwrap_or(CPU_RUN_S / 2.0).max(1.0),
                    basis: Basis::Predictor,
                }
            }
        }
    }

    /// The runs of `plan` that `runs` says will run, estimated together.
    pub fn plan(
        &self,
        plan: &Plan,
        runs: &[bool],
        models: &Models,
    ) -> (PlanEstimate, Vec<Option<f64>>) {
        let mut estimate = PlanEstimate::default();
        let mut per_task = Vec::with_capacity(plan.tasks.len());
        let mut counts: HashMap<Basis, usize> = HashMap::new();
        for (task, &will_run) in plan.tasks.iter().zip(runs) {
            if !will_run {
                per_task.push(None);
                continue;
            }
            let e = self.task(task, models);
            estimate.runs += 1;
            estimate.seconds += e.seconds;
            *counts.entry(e.basis).or_default() += 1;
            per_task.push(Some(e.seconds));
        }
        let mut by_basis: Vec<(Basis, usize)> = counts.into_iter().collect();
        by_basis.sort();
        estimate.by_basis = by_basis;
        (estimate, per_task)
    }
}

/// `1 h 05 min`, `4 min 10 s`, `12 s`.
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

impl PlanEstimate {
    /// `14 runs, about 2 min 10 s (12 from this machine's past runs of it, 2 from …)`.
    pub fn describe(&self) -> String {
        if self.runs == 0 {
            return "nothing to run".into();
        }
        let parts: Vec<String> = self
            .by_basis
            .iter()
            .map(|(basis, n)| format!("{n} from {}", basis.describe()))
            .collect();
        format!(
            "{} run{}, about {} ({})",
            self.runs,
            if self.runs == 1 { "" } else { "s" },
            human_duration(self.seconds),
            parts.join("; ")
        )
    }

    pub fn add(&mut self, other: &PlanEstimate) {
        self.runs += other.runs;
        self.seconds += other.seconds;
        for (basis, n) in &other.by_basis {
            match self.by_basis.iter_mut().find(|(b, _)| b == basis) {
                Some((_, m)) => *m += n,
                None => self.by_basis.push((*basis, *n)),
            }
        }
        self.by_basis.sort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_papers_table_and_predictor_are_built_in() {
        let models = crate::project::Project::new("/nonexistent")
            .models()
            .unwrap();
        let e = Estimator::new(Path::new("/nonexistent"), &models);
        assert!(
            (e.paper["qwen-4b"] - 27.1).abs() < 0.1,
            "{:?}",
            e.paper.get("qwen-4b")
        );
        let predictor = e.predictor.as_ref().expect("trains on the paper's table");
        let opt = predictor.predict(models.get("opt-6.7b").unwrap());
        assert!(opt > 10.0 && opt < 60.0, "{opt}");
        assert_eq!(human_duration(130.0), "2 min 10 s");
        assert_eq!(human_duration(3900.0), "1 h 05 min");
    }
}
