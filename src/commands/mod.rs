//! One file per subcommand: arguments → library calls → output.

mod parse;
mod table;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// How the user asked the output to look.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub quiet: bool,
    pub verbose: bool,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let out = Output {
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    match cli.command {
        Command::Parse(args) => parse::run(args, out),
        Command::Table(args) => table::run(args, out),
    }
}

/// The figure folders a `<figure|all>` argument names under a results folder: `(name, path)`.
/// `all` lists every `figure-*` folder present; a single figure must exist.
pub fn figure_folders(
    results: &std::path::Path,
    figure: &str,
) -> anyhow::Result<Vec<(String, std::path::PathBuf)>> {
    use anyhow::bail;
    if !results.is_dir() {
        bail!(
            "results folder `{}` does not exist (pass --results DIR)",
            results.display()
        );
    }
    if figure == "all" {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(results)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_prefix("figure-") {
                if entry.file_type()?.is_dir() {
                    found.push((id.to_string(), entry.path()));
                }
            }
        }
        found.sort_by(|a, b| repro::table::collate::compare(&a.0, &b.0));
        return Ok(found);
    }
    let folder = repro::figures::data_folder(figure)?;
    let path = results.join(&folder);
    if !path.is_dir() {
        bail!(
            "`{}` does not exist: no data for figure {figure} in `{}`",
            path.display(),
            results.display()
        );
    }
    Ok(vec![(
        folder.trim_start_matches("figure-").to_string(),
        path,
    )])
}

/// The order of a figure's averaged labels, where its recipe says so.
pub fn label_order(_folder_id: &str) -> Option<Vec<String>> {
    None
}
