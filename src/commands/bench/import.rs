//! `repro bench import FILE…`: other tools' result files as runs of repro's layout.

use std::process::ExitCode;

use repro::bench::import::{import, ImportSpec};

use super::super::Output;
use crate::cli::BenchImportArgs;

pub fn run(args: BenchImportArgs, out: Output) -> anyhow::Result<ExitCode> {
    let runs = import(&ImportSpec {
        files: &args.files,
        results: &args.results,
        name: args.name.as_deref(),
        force: args.force,
    })?;
    if !out.quiet {
        for run in &runs {
            let what = if run.detailed {
                "records and summary"
            } else {
                "summary only (no per-request lists: --save-detailed)"
            };
            println!(
                "{} ({}): {}/{} ok, {what} → {}",
                run.source.display(),
                run.tool.name(),
                run.ok,
                run.requests,
                run.dir.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
