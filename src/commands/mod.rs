//! One file per subcommand: arguments → library calls → output.

mod bench;
mod claims;
mod compare;
mod dataset;
mod doctor;
mod env;
mod fake_engine;
mod figure;
mod import;
mod interrupt;
mod kick;
mod merge;
mod models;
mod on;
mod pack;
mod parse;
mod patch;
mod progress;
mod render;
mod report;
mod status;
mod table;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// How the user asked the output to look.
#[derive(Debug, Clone)]
pub struct Output {
    pub quiet: bool,
    pub verbose: bool,
    /// Where figures/, models.toml and machines.toml are read from.
    pub project: repro::project::Project,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let project = repro::project::Project::new(cli.project.clone().unwrap_or_else(|| ".".into()));
    let out = Output {
        quiet: cli.quiet,
        verbose: cli.verbose,
        project,
    };
    match cli.command {
        Command::Parse(args) => parse::run(args, out),
        Command::Table(args) => table::run(args, out),
        Command::Pack(args) => pack::run(args, out),
        Command::Merge(args) => merge::run(args, out),
        Command::Patch(args) => patch::run(args, out),
        Command::Bench(args) => bench::run(args, out),
        Command::MockServer(args) => bench::mock_server(args),
        Command::ServerGuard(args) => bench::server_guard(args),
        Command::Models(args) => models::run(args, out),
        Command::Env(args) => env::run(args, out),
        Command::Render(args) => render::run(args, out),
        Command::Figure(args) => figure::run(args, out),
        Command::Status(args) => status::run(args, out),
        Command::Doctor(args) => doctor::run(args, out),
        Command::Import(args) => import::run(args, out),
        Command::Compare(args) => compare::run(args, out),
        Command::Claims(args) => claims::run(args, out),
        Command::Report(args) => report::run(args, out),
        Command::KickTheTires(args) => kick::run(args, out),
        Command::FakeEngine(args) => fake_engine::run(args, out),
    }
}

/// A results folder a command reads: it must exist and be a folder.
pub fn existing_results(results: &std::path::Path) -> anyhow::Result<()> {
    if results.is_file() {
        anyhow::bail!(
            "`{}` is a file, not a results folder: pass --results DIR",
            results.display()
        );
    }
    if !results.is_dir() {
        anyhow::bail!(
            "results folder `{}` does not exist (pass --results DIR)",
            results.display()
        );
    }
    Ok(())
}

/// A results folder to table or draw: the recipe it belongs to, if one does.
pub struct DataFolder {
    /// How to call it in messages (`figure-7`, `results/mine`).
    pub name: String,
    pub dir: std::path::PathBuf,
    /// Given as a folder (`repro table DIR`): it must hold runs.
    pub explicit: bool,
    /// Found under this folder the user named (a tree of experiments): a problem of its own
    /// is a warning, not a failure of the others.
    pub below: Option<std::path::PathBuf>,
}

/// The folders a `<recipe|DIR|all>` argument names under a results folder. `all`: the folder of
/// every recipe (the paper's and the project's) that is present; a recipe's folder must exist;
/// a folder in the paper's layout is taken as it is.
pub fn data_folders(
    project: &repro::project::Project,
    results: &std::path::Path,
    word: &str,
) -> anyhow::Result<Vec<DataFolder>> {
    use repro::project::Target;
    match project.target(word)? {
        Target::Folder(path) => folder_or_tree(&path),
        Target::All => {
            existing_results(results)?;
            let mut found = Vec::new();
            for named in project.all_recipes()? {
                let dir = results.join(&named.recipe.folder);
                if dir.is_dir() {
                    found.push(DataFolder {
                        name: named.recipe.folder,
                        dir,
                        explicit: false,
                        below: None,
                    });
                }
            }
            Ok(found)
        }
        Target::Recipe(named) => {
            existing_results(results)?;
            let dir = results.join(&named.recipe.folder);
            if !dir.is_dir() {
                anyhow::bail!(
                    "`{}` does not exist: no data for `{word}` in `{}` (run `repro figure {word}` first, or pass --results DIR)",
                    dir.display(),
                    results.display()
                );
            }
            Ok(vec![DataFolder {
                name: named.recipe.folder,
                dir,
                explicit: false,
                below: None,
            }])
        }
    }
}

/// A folder the user names: itself where it is in the paper's layout, else every folder in
/// that layout below it (a lab's tree of experiments), each folder of logs outside the layout
/// named in a warning. Neither: the folder itself, which the command refuses, saying why.
fn folder_or_tree(path: &std::path::Path) -> anyhow::Result<Vec<DataFolder>> {
    let explicit = |dir: &std::path::Path, below: Option<&std::path::Path>| DataFolder {
        name: dir.display().to_string(),
        dir: dir.to_path_buf(),
        explicit: true,
        below: below.map(std::path::Path::to_path_buf),
    };
    let tree = repro::table::layout_folders(path)?;
    for (dir, why) in &tree.odd {
        eprintln!("warning: `{}` {why}: skipped", dir.display());
    }
    match tree.folders.as_slice() {
        [] => return Ok(vec![explicit(path, None)]),
        [only] if only == path => return Ok(vec![explicit(path, None)]),
        _ => {}
    }
    eprintln!(
        "{}: {} folder(s) in the paper's layout",
        path.display(),
        tree.folders.len()
    );
    Ok(tree
        .folders
        .iter()
        .map(|dir| explicit(dir, Some(path)))
        .collect())
}

/// The order of a group's averaged labels, where its recipe fixes one: the figure folder's
/// recipe, and the split part the group folder stands for.
pub fn label_order(
    project: &repro::project::Project,
    figure_folder: &std::path::Path,
    group_dir: &std::path::Path,
) -> anyhow::Result<Option<Vec<String>>> {
    let folder = figure_folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(recipe) = project.recipe_for_folder(&folder)? else {
        return Ok(None);
    };
    let part = match group_dir
        .strip_prefix(figure_folder)
        .ok()
        .and_then(|rel| rel.to_str())
    {
        Some("") | None => None,
        Some(part_folder) => recipe.part_of_folder(part_folder),
    };
    Ok(recipe.label_order(part))
}
