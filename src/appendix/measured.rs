//! With `--results`: what was measured where — per figure and part, the machines its runs
//! recorded (hardware, disk, software), how many runs and how long — and the claims' verdicts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::doc::{Block, Section};
use super::AppendixError;
use crate::estimate::human_duration;
use crate::project::Project;
use crate::report::{PartProvenance, Report};

/// What a results folder holds, read once.
pub struct Measured {
    pub report: Report,
    /// The runs and the data files repro did not make that the figures' folders hold.
    pub logs: usize,
}

/// Read `results`: the figures tabled and drawn, the claims checked (the report's own walk).
pub fn gather(project: &Project, results: &Path) -> Result<Measured, AppendixError> {
    let report = crate::report::gather(project, results)?;
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut logs = 0;
    for part in report.sections.iter().flat_map(|s| &s.parts) {
        if seen.insert(part.dir.clone()) {
            logs += part.runs_ok + part.foreign;
        }
    }
    Ok(Measured { report, logs })
}

/// One row per figure and part: where its data was measured.
pub fn section(measured: &Measured, results: &Path) -> Section {
    let mut s = Section::new(format!(
        "What was measured where (`{}`)",
        super::shown(results)
    ));
    s.para("From each run's manifest: the machine's name, CPU, GPUs with driver and CUDA, CPUs, memory, OS and kernel, the disk the model was read from, Python and PyTorch. Data repro did not make (the paper's published logs) has no manifest and says so.");
    let mut rows = vec![];
    for section in &measured.report.sections {
        for part in &section.parts {
            rows.push(part_row(&section.heading, part));
        }
        if let Some(note) = crate::report::machine_kinds_note(&section.parts) {
            s.field(&section.heading, note);
        }
    }
    s.blocks.push(Block::Table(
        vec![
            "figure".into(),
            "part".into(),
            "runs".into(),
            "machine".into(),
            "hardware".into(),
            "model disk, software".into(),
        ],
        rows,
    ));
    let verdicts = measured
        .report
        .claims
        .iter()
        .map(|c| vec![c.claim.id.clone(), c.verdict().text().into(), c.detail()])
        .collect();
    s.sub("The claims on these results");
    s.blocks.push(Block::Table(
        vec!["claim".into(), "verdict".into(), "found".into()],
        verdicts,
    ));
    s
}

fn part_row(heading: &str, part: &PartProvenance) -> Vec<String> {
    let join = |values: &[String]| match values.is_empty() {
        true => "–".to_string(),
        false => values.join("; "),
    };
    let runs = match (part.present, part.recorded()) {
        (false, _) => "no data".to_string(),
        (true, false) => format!(
            "{} data files repro did not make (no manifest)",
            part.foreign
        ),
        (true, true) => format!(
            "{} ok, {} failed, {} over all attempts; engine {}{}",
            part.runs_ok,
            part.failed.len(),
            human_duration(part.wall_s),
            join(&part.engines),
            match part.foreign {
                0 => String::new(),
                n => format!("; {n} data files repro did not make"),
            }
        ),
    };
    vec![
        heading.to_string(),
        part.name.clone(),
        runs,
        join(&part.hosts),
        join(&part.machines),
        join(&part.software),
    ]
}
