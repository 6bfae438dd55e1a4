//! `repro report --results DIR --out DIR [--name FILE]`: one self-contained HTML page.

use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::report::{self, Level};

use super::Output;
use crate::cli::ReportArgs;

pub fn run(args: ReportArgs, out: Output) -> anyhow::Result<ExitCode> {
    super::existing_results(&args.results)?;
    let name = std::path::Path::new(&args.name);
    if name.components().count() != 1 || name.extension().is_none_or(|e| e != "html") {
        bail!(
            "`--name {}`: give a file name ending in `.html`, without a folder (the folder is --out)",
            args.name
        );
    }
    let report = report::gather(&out.project, &args.results).context("reading the results")?;
    let html = report::html::page(&report);
    let path = args.out.join(name);
    if args.out.is_file() {
        bail!("`{}` is a file: --out takes a folder", args.out.display());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("making `{}`", args.out.display()))?;
    repro::artifacts::atomic_write(&path, html.as_bytes())
        .with_context(|| format!("writing `{}`", path.display()))?;
    if !out.quiet {
        for (level, text, same) in report::grouped_warnings(&report.warnings) {
            if level == Level::Warning {
                let abouts: Vec<&str> = same.iter().map(|w| w.about.as_str()).collect();
                eprintln!("warning: {}: {text}", abouts.join(", "));
            }
        }
        let drawn = report
            .sections
            .iter()
            .filter(|s| matches!(s.chart, report::ChartState::Drawn { .. }))
            .count();
        println!(
            "wrote {} ({} KiB): {drawn} of {} figures drawn, {} claims, {} warning(s)",
            path.display(),
            html.len().div_ceil(1024),
            report.sections.len(),
            report.claims.len(),
            report
                .warnings
                .iter()
                .filter(|w| w.level == Level::Warning)
                .count()
        );
    }
    Ok(ExitCode::SUCCESS)
}
