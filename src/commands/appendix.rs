//! `repro appendix [--results DIR] [--out FILE] [--format md|tex]`: the artifact appendix.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use repro::appendix::{self, Format, Request};

use super::Output;
use crate::cli::{AppendixArgs, AppendixFormat};

pub fn run(args: AppendixArgs, out: Output) -> anyhow::Result<ExitCode> {
    if let Some(results) = &args.results {
        super::existing_results(results)?;
    }
    let request = Request {
        project: &out.project,
        results: args.results.clone().unwrap_or_else(|| "results".into()),
        measured: args.results.is_some(),
        models_dir: args.models_dir,
        cache: repro::env::cache_dir(&out.project.root),
    };
    let doc = appendix::write(&request).context("writing the appendix")?;
    let text = doc.write(match args.format {
        AppendixFormat::Md => Format::Markdown,
        AppendixFormat::Tex => Format::Tex,
    });
    match &args.out {
        Some(path) => {
            repro::artifacts::atomic_write(path, text.as_bytes())
                .with_context(|| format!("writing `{}`", path.display()))?;
            if !out.quiet {
                println!(
                    "wrote {} ({} KiB)",
                    path.display(),
                    text.len().div_ceil(1024)
                );
            }
        }
        // A closed pipe (`repro appendix | head`) is not an error.
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    Ok(ExitCode::SUCCESS)
}
