//! `repro render <figure|all> --results DIR --out OUT [--format pdf|svg|png] [--dpi N]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use repro::figures::{self, Loader};
use repro::project::NamedRecipe;
use repro::render::draw::{self, DrawError, Drawing, Said};
use repro::render::Format;
use repro::table::ParseCaches;

use super::table::use_parse_cache;
use super::Output;
use crate::cli::{RenderArgs, RenderFormat};

/// What a `render` argument names.
enum Target {
    /// Figures of the paper, by id.
    Paper(Vec<&'static str>),
    /// A recipe: its `[[plot]]`s, or the default charts where it has none.
    Recipe(Box<NamedRecipe>),
    /// A folder in the paper's layout: the default charts, named (the folder's name, or its
    /// path under the tree it was found in), and the folder whose parse cache it uses.
    Folder(PathBuf, String, PathBuf),
}

/// A folder the user names, or every folder in the paper's layout below it (`lab/`: each
/// found folder's charts named by its path under `lab`, `a-figure-2-stages.pdf`).
fn folder_targets(path: &Path) -> anyhow::Result<Vec<Target>> {
    let name_of = |dir: &Path| {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "results".into())
    };
    let found = repro::table::folders::folder_or_tree(path)?;
    found.said.iter().for_each(|line| eprintln!("{line}"));
    Ok(found
        .folders
        .into_iter()
        .map(|folder| {
            let name = match &folder.below {
                Some(root) => folder
                    .dir
                    .strip_prefix(root)
                    .ok()
                    .map(|rel| rel.to_string_lossy().replace('/', "-"))
                    .unwrap_or_else(|| name_of(&folder.dir)),
                None => name_of(&folder.dir),
            };
            let cache_root = folder.cache_root().to_path_buf();
            Target::Folder(folder.dir, name, cache_root)
        })
        .collect())
}

/// The targets an argument names: `all` (the paper's figures, the project's recipes), a paper
/// figure or `rest`, a recipe by name or path, or a folder in the paper's layout.
fn targets(out: &Output, arg: &str) -> anyhow::Result<Vec<Target>> {
    if arg == "rest" {
        return Ok(vec![Target::Paper(figures::REST.to_vec())]);
    }
    if let Some(id) = figures::ALL.iter().find(|f| **f == arg) {
        return Ok(vec![Target::Paper(vec![id])]);
    }
    match out.project.target(arg)? {
        repro::project::Target::All => {
            let mut targets = vec![Target::Paper(figures::ALL.to_vec())];
            for name in out.project.own_recipe_names() {
                targets.push(Target::Recipe(Box::new(out.project.named_recipe(&name)?)));
            }
            Ok(targets)
        }
        repro::project::Target::Recipe(named) => Ok(vec![Target::Recipe(named)]),
        repro::project::Target::Folder(path) => folder_targets(&path),
    }
}

/// Every target the arguments name, and the benchmark folders (`bench-<name>`, all of them
/// for `all`).
fn every_target(args: &RenderArgs, out: &Output) -> anyhow::Result<(Vec<Target>, Vec<String>)> {
    let mut all_targets = Vec::new();
    let mut benches = Vec::new();
    for word in &args.figures {
        match word.strip_prefix("bench-") {
            Some(name) => benches.push(name.to_string()),
            None if word == "all" => {
                all_targets.extend(targets(out, "all")?);
                benches.extend(draw::bench_folders(&args.results));
            }
            None => all_targets.extend(targets(out, word)?),
        }
    }
    Ok((all_targets, benches))
}

pub fn run(args: RenderArgs, out: Output) -> anyhow::Result<ExitCode> {
    let explicit_folder =
        |word: &str| !word.starts_with("bench-") && word != "all" && Path::new(word).is_dir();
    if !args.figures.iter().all(|w| explicit_folder(w)) {
        super::existing_results(&args.results)?;
    }
    let format = match args.format {
        RenderFormat::Pdf => Format::Pdf,
        RenderFormat::Svg => Format::Svg,
        RenderFormat::Png => Format::Png { dpi: args.dpi },
    };
    let (all_targets, benches) = every_target(&args, &out)?;
    let caches = use_parse_cache().then(|| {
        let folder_roots = all_targets.iter().filter_map(|t| match t {
            Target::Folder(_, _, root) => Some(root.as_path()),
            _ => None,
        });
        ParseCaches::open(folder_roots.chain([args.results.as_path()]))
    });
    let cache_of = |root: &Path| caches.as_ref().and_then(|c| c.of(root));
    let models = out.project.models()?;
    let mut loader = Loader::with_cache(&models, cache_of(&args.results));
    let mut failed = 0;
    let mut report = |what: String, result: Result<Vec<PathBuf>, DrawError>| match result {
        Ok(paths) => {
            for path in paths.iter().filter(|_| !out.quiet) {
                println!("{what}: wrote {}", path.display());
            }
        }
        Err(error) => {
            failed += 1;
            eprintln!("error: {what}: {:#}", anyhow::Error::from(error));
        }
    };
    let say = |said: Said| match said {
        Said::Always(line) => eprintln!("{line}"),
        Said::Unless(line) if !out.quiet => eprintln!("{line}"),
        Said::Verbose(line) if out.verbose => println!("{line}"),
        _ => {}
    };
    let drawing = |cache_root: &Path| Drawing {
        project: &out.project,
        out_dir: &args.out,
        format,
        say: &say,
        cache: cache_of(cache_root),
    };
    // The parses `table` kept are read, never written: render writes nothing into the results.
    // The folders of a tree are drawn on every core first; what each gave is said in order.
    let mut drawn_folders = repro::sys::par_map(&all_targets, |target| match target {
        Target::Folder(dir, name, root) => Some(drawing(root).default_charts(name, None, dir)),
        _ => None,
    })
    .into_iter();
    let ctx = drawing(&args.results);
    for target in all_targets {
        let drawn = drawn_folders.next().flatten();
        match target {
            Target::Paper(ids) => {
                ctx.preload_paper(&mut loader, &ids, &args.results);
                for figure in ids {
                    let result = ctx.paper_figure(&mut loader, figure, &args.results);
                    report(format!("figure {figure}"), result.map(Vec::from_iter));
                }
            }
            Target::Recipe(named) => {
                let dir = args.results.join(&named.recipe.folder);
                if !dir.is_dir() {
                    eprintln!("{}: no data in `{}`, skipped", named.name, dir.display());
                    continue;
                }
                let result = ctx.recipe_charts(&mut loader, &named, &dir);
                report(named.name.clone(), result);
            }
            Target::Folder(dir, ..) => {
                if let Some(result) = drawn {
                    report(dir.display().to_string(), result);
                }
            }
        }
    }
    for name in benches {
        let result = ctx.bench(&args.results, &name);
        report(format!("bench {name}"), result);
    }
    Ok(if failed > 0 {
        ExitCode::from(repro::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}
