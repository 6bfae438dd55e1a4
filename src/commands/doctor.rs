//! `repro doctor`: one line per check (ok / warn / missing, and what to do), or `--json`.
//! It reports; it fails only when the report cannot be written.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use repro::doctor::{self, Inputs};

use super::Output;
use crate::cli::DoctorArgs;

pub fn run(args: DoctorArgs, out: Output) -> anyhow::Result<ExitCode> {
    let inputs = Inputs {
        cache: repro::env::cache_dir(&out.project.root),
        project: out.project,
        models_dir: args.models_dir,
        results_dir: args.results,
        machine: args.machine,
    };
    let report = doctor::run(&inputs);
    let mut text = if args.json {
        serde_json::to_string_pretty(&report).context("writing the report as JSON")? + "\n"
    } else {
        let mut text = format!("repro doctor on `{}`\n", report.host);
        for c in &report.checks {
            text += &format!(
                "{:<8} {:<21} {}",
                c.level.as_str(),
                c.check.as_str(),
                c.detail
            );
            if let Some(hint) = &c.hint {
                text += &format!(" (hint: {hint})");
            }
            text += "\n";
        }
        text
    };
    if !args.json && out.quiet {
        text.clear();
    }
    // A closed pipe (`repro doctor | head`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}
