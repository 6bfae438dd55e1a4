//! `repro compare A B`: two average tables, per stage the ratio B / A (`compare_2_avgs.py`).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::compare::{self, output, MatchBy, SCRIPT_STAGES};
use repro::parse::Stage;
use repro::render::{self, Format};

use super::Output;
use crate::cli::{CompareArgs, CompareBy};

pub fn run(args: CompareArgs, out: Output) -> anyhow::Result<ExitCode> {
    let stages = stages(&args.stages)?;
    let format = args.out.as_deref().map(chart_format).transpose()?;
    let by = match args.by {
        CompareBy::Label => MatchBy::Label,
        CompareBy::Model => MatchBy::Model,
    };
    let a = compare::read_side(&args.a)?;
    let b = compare::read_side(&args.b)?;
    let report = compare::compare(a, b, &stages, by)?;
    for warning in output::warnings(&report) {
        eprintln!("warning: {warning}");
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        stdout.write_all(&output::json(&report))?;
    } else if args.csv {
        stdout.write_all(output::csv(&report).as_bytes())?;
    } else {
        stdout.write_all(output::text(&report, out.verbose).as_bytes())?;
    }
    if let (Some(path), Some(format)) = (&args.out, format) {
        let chart = output::chart(&report);
        if chart.bars.is_empty() {
            bail!(
                "no stage has a ratio to draw, so `{}` is not written",
                path.display()
            );
        }
        let notes: Vec<&str> = [&report.a.note, &report.b.note]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let banner = (!notes.is_empty()).then(|| notes.join(" / "));
        let bytes = render::render_with_banner(&chart, format, banner.as_deref())
            .with_context(|| format!("drawing `{}`", path.display()))?;
        repro::artifacts::atomic_write(path, &bytes)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        if !out.quiet {
            eprintln!("wrote `{}`", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The stages asked for: compare_2_avgs.py's nine by default, `all` for every stage.
fn stages(asked: &[String]) -> anyhow::Result<Vec<Stage>> {
    if asked.is_empty() {
        return Ok(SCRIPT_STAGES.to_vec());
    }
    if asked.iter().any(|s| s == "all") {
        return Ok(Stage::ALL.to_vec());
    }
    asked
        .iter()
        .map(|name| {
            name.parse().map_err(|_| {
                let known: Vec<&str> = Stage::ALL.iter().map(|s| s.key()).collect();
                anyhow::anyhow!(
                    "--stage `{name}` is not a stage: use one of {}, or `all`",
                    known.join(", ")
                )
            })
        })
        .collect()
}

fn chart_format(path: &Path) -> anyhow::Result<Format> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("pdf") => Ok(Format::Pdf),
        Some("svg") => Ok(Format::Svg),
        _ => bail!(
            "--out `{}`: the chart is a .pdf or an .svg file",
            path.display()
        ),
    }
}
