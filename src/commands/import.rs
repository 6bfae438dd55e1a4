//! `repro import ENV_JSON [-o RECIPE.toml]`: the paper's env.json as a recipe.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::recipe::env_json::{self, ImportOptions};

use super::Output;
use crate::cli::ImportArgs;

pub fn run(args: ImportArgs, out: Output) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.env_json)
        .with_context(|| format!("cannot read `{}`", args.env_json.display()))?;
    let models = out.project.models()?;
    let folder = match &args.folder {
        Some(folder) => folder.clone(),
        None => default_folder(&args)?,
    };
    if folder.is_empty() || folder == "." || folder == ".." || folder.contains(['/', '\\']) {
        bail!("`{folder}` cannot be a results folder's name: pass --folder NAME (a plain name)");
    }
    let options = ImportOptions {
        title: args
            .title
            .clone()
            .unwrap_or_else(|| format!("Imported from {}", args.env_json.display())),
        folder,
        vllm: args.vllm.clone(),
        recipe_path: args.output.clone().unwrap_or_else(|| "<stdout>".into()),
    };
    let imported = env_json::import(&args.env_json, &text, &models, &options)?;
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(path) = &args.output {
        if path.exists() && !args.force {
            bail!(
                "`{}` exists: pass --force to replace it, or -o another file",
                path.display()
            );
        }
        repro::artifacts::atomic_write(path, imported.text.as_bytes())
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        if !out.quiet {
            eprintln!(
                "wrote `{}`: {} runs, each logged as run_test.py names it",
                path.display(),
                imported.log_names.len()
            );
            eprintln!("{}", next_step(path));
        }
    }
    if args.runs {
        for name in &imported.log_names {
            println!("{name}");
        }
    } else if args.output.is_none() {
        print!("{}", imported.text);
    }
    Ok(ExitCode::SUCCESS)
}

/// The -o file's name, else the name of the env.json's folder (`figure-9`).
fn default_folder(args: &ImportArgs) -> anyhow::Result<String> {
    if let Some(stem) = args.output.as_deref().and_then(Path::file_stem) {
        return Ok(stem.to_string_lossy().into_owned());
    }
    let absolute = std::path::absolute(&args.env_json)
        .with_context(|| format!("cannot resolve `{}`", args.env_json.display()))?;
    Ok(absolute
        .parent()
        .and_then(Path::file_name)
        .map_or("imported".into(), |n| n.to_string_lossy().into_owned()))
}

fn next_step(path: &Path) -> String {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let in_figures = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| d == "figures");
    if in_figures {
        format!("next: repro figure {name} --dry-run")
    } else {
        format!("next: put it in the project's figures/ folder (figures/{name}.toml) and dry-run it: repro figure {name} --dry-run")
    }
}
