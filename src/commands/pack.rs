//! `repro pack`

use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::archive;

use super::Output;
use crate::cli::PackArgs;

pub fn run(args: PackArgs, out: Output) -> anyhow::Result<ExitCode> {
    super::existing_results(&args.results)?;
    let folders = if args.figure.is_empty() {
        None
    } else {
        let mut folders = Vec::new();
        for figure in &args.figure {
            let folder = out.project.named_recipe(figure)?.recipe.folder;
            if !args.results.join(&folder).is_dir() {
                bail!(
                    "no data for figure {figure}: `{}` does not exist",
                    args.results.join(&folder).display()
                );
            }
            if !folders.contains(&folder) {
                folders.push(folder);
            }
        }
        Some(folders)
    };
    let output = args
        .output
        .unwrap_or_else(|| format!("{}-results.tar.zst", repro::sys::hostname()).into());
    let report = archive::pack(&args.results, folders.as_deref(), &output, args.force)
        .with_context(|| format!("packing `{}`", args.results.display()))?;
    if !out.quiet {
        println!(
            "wrote {} ({} files, {} bytes of results)",
            report.archive.display(),
            report.files,
            report.bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}
