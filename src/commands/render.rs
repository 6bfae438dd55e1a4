//! `repro render <figure|all> --results DIR --out OUT [--format pdf|svg|png] [--dpi N]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::figures::{self, Loader};
use repro::project::NamedRecipe;
use repro::render::{self, Format};

use super::Output;
use crate::cli::{RenderArgs, RenderFormat};

/// What a `render` argument names.
enum Target {
    /// Figures of the paper, by id.
    Paper(Vec<&'static str>),
    /// A recipe: its `[[plot]]`s, or the default charts where it has none.
    Recipe(Box<NamedRecipe>),
    /// A folder in the paper's layout: the default charts, named (the folder's name, or its
    /// path under the tree it was found in).
    Folder(PathBuf, String),
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
            Target::Folder(folder.dir, name)
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
    let models = out.project.models()?;
    let mut loader = Loader::new(&models);
    let mut failed = 0;
    let mut all_targets = Vec::new();
    let mut benches = Vec::new();
    for word in &args.figures {
        match word.strip_prefix("bench-") {
            Some(name) => benches.push(name.to_string()),
            None if word == "all" => {
                all_targets.extend(targets(&out, "all")?);
                benches.extend(bench_folders(&args.results));
            }
            None => all_targets.extend(targets(&out, word)?),
        }
    }
    let mut report = |what: String, result: anyhow::Result<Vec<PathBuf>>| match result {
        Ok(paths) => {
            for path in paths.iter().filter(|_| !out.quiet) {
                println!("{what}: wrote {}", path.display());
            }
        }
        Err(error) => {
            failed += 1;
            eprintln!("error: {what}: {error:#}");
        }
    };
    let ctx = Drawing {
        out: &out,
        out_dir: &args.out,
        format,
    };
    for target in all_targets {
        match target {
            Target::Paper(ids) => {
                for figure in ids {
                    let result = paper_figure(&ctx, &mut loader, figure, &args.results);
                    report(format!("figure {figure}"), result.map(Vec::from_iter));
                }
            }
            Target::Recipe(named) => {
                let dir = args.results.join(&named.recipe.folder);
                if !dir.is_dir() {
                    eprintln!("{}: no data in `{}`, skipped", named.name, dir.display());
                    continue;
                }
                let result = recipe_charts(&ctx, &mut loader, &named, &dir);
                report(named.name.clone(), result);
            }
            Target::Folder(dir, name) => {
                let result = default_charts(&ctx, &name, None, &dir);
                report(dir.display().to_string(), result);
            }
        }
    }
    for name in benches {
        let result = render_bench(&args.results, &name, &args.out, format);
        report(format!("bench {name}"), result);
    }
    Ok(if failed > 0 {
        ExitCode::from(repro::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

/// Where and how charts are written.
struct Drawing<'a> {
    out: &'a Output,
    out_dir: &'a Path,
    format: Format,
}

impl Drawing<'_> {
    /// Draw `chart` (stamped as `dir`'s runs are: fake, synthetic) into `<out>/<stem>.<ext>`.
    fn write(
        &self,
        what: &str,
        chart: &repro::figures::ChartData,
        dir: &Path,
        stem: &str,
    ) -> anyhow::Result<PathBuf> {
        let provenance = repro::table::provenance(dir);
        if let Some((fake, real)) = &provenance.mixed {
            bail!(
                "`{}` mixes fake-engine runs (e.g. `{}`) with real data (e.g. `{}`): keep them in separate results folders, or rerun the figure with --force",
                dir.display(),
                fake.display(),
                real.display()
            );
        }
        let banner = provenance.note();
        if let (Some(note), false) = (banner, self.out.quiet) {
            eprintln!("note: {what} says so on it: {note}");
        }
        let bytes = render::render_with_banner(chart, self.format, banner).context("drawing")?;
        let path = self
            .out_dir
            .join(format!("{stem}.{}", self.format.extension()));
        repro::artifacts::atomic_write(&path, &bytes)
            .with_context(|| format!("writing `{}`", path.display()))?;
        Ok(path)
    }
}

/// Draw one figure of the paper; `None` where its data is not there (reported, not an error).
fn paper_figure(
    ctx: &Drawing<'_>,
    loader: &mut Loader<'_>,
    figure: &str,
    results: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    let folder = figures::data_folder(figure)?;
    let dir = results.join(&folder);
    if !dir.is_dir() {
        eprintln!("figure {figure}: no data in `{}`, skipped", dir.display());
        return Ok(None);
    }
    let recipe_id = figures::recipe_id(figure)?;
    let recipe = ctx.out.project.recipe(&recipe_id)?;
    let spec = recipe
        .plots
        .iter()
        .find(|p| p.figure == figure)
        .with_context(|| format!("recipe `{recipe_id}` has no [[plot]] for figure {figure}"))?;
    draw_plot(
        ctx,
        loader,
        &format!("figure {figure}"),
        &recipe,
        spec,
        &dir,
    )
}

/// A recipe's `[[plot]]`s, or the default charts of any experiment where it has none.
fn recipe_charts(
    ctx: &Drawing<'_>,
    loader: &mut Loader<'_>,
    named: &NamedRecipe,
    dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    if named.recipe.plots.is_empty() {
        return default_charts(ctx, &named.name, Some(&named.recipe), dir);
    }
    let mut written = Vec::new();
    for spec in &named.recipe.plots {
        let what = format!("{} (figure {})", named.name, spec.figure);
        written.extend(draw_plot(ctx, loader, &what, &named.recipe, spec, dir)?);
    }
    Ok(written)
}

/// Draw one `[[plot]]`; `None` where its data is not there (reported, not an error).
fn draw_plot(
    ctx: &Drawing<'_>,
    loader: &mut Loader<'_>,
    what: &str,
    recipe: &repro::recipe::Recipe,
    spec: &repro::recipe::PlotSpec,
    dir: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    if let Some(missing) = figures::missing_data(spec, dir) {
        eprintln!(
            "{what}: no data in `{}` ({missing}), skipped",
            dir.display()
        );
        return Ok(None);
    }
    let built = match loader.build(recipe, spec, dir) {
        Ok(built) => built,
        Err(error) => {
            for note in loader.take_notes() {
                eprintln!("warning: {what}: {note}");
            }
            return Err(error).with_context(|| format!("computing from `{}`", dir.display()));
        }
    };
    if !ctx.out.quiet {
        for note in &built.notes {
            eprintln!("warning: {what}: {note}");
        }
    }
    if ctx.out.verbose {
        println!("{what}: {}", built.data.summary());
    }
    let stem = Path::new(&spec.output)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| spec.figure.clone());
    ctx.write(what, &built.data, dir, &stem).map(Some)
}

/// The charts of any experiment, per group (the folder, or each split part):
/// `<name>[-<part>]-stages` (a stacked bar per run) and `<name>[-<part>]-<param>` for each
/// parameter the recipe sweeps.
fn default_charts(
    ctx: &Drawing<'_>,
    name: &str,
    recipe: Option<&repro::recipe::Recipe>,
    dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    use repro::figures::default::{self, ParamChart};
    use repro::figures::ChartData;
    let groups = repro::table::find_groups(dir)?;
    if groups.is_empty() {
        bail!(
            "`{}` has no runs in the paper's layout (`iterations/<i>/output_*.txt`)",
            dir.display()
        );
    }
    let mut written = Vec::new();
    for group_dir in groups {
        let part_folder = group_dir
            .strip_prefix(dir)
            .ok()
            .and_then(|p| p.to_str())
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        let part = recipe.and_then(|r| r.part_of_folder(part_folder.as_deref()?));
        let order = recipe.and_then(|r| r.label_order(part));
        let group = repro::table::group_table(&group_dir, order.as_deref())?;
        let Some(average) = &group.average else {
            continue;
        };
        let stem = match &part_folder {
            Some(p) => format!("{name}-{p}"),
            None => name.to_string(),
        };
        let combinations = recipe.map(|r| r.combinations(part)).unwrap_or_default();
        let ticks = default::run_ticks(average, &combinations);
        let stages = default::run_stages(&stem, average, &ticks)?;
        let what = format!("{stem} (stages)");
        written.push(ctx.write(
            &what,
            &ChartData::RunStages(stages),
            &group_dir,
            &format!("{stem}-stages"),
        )?);
        for (param, values) in recipe
            .map(|r| default::swept_params(r, part))
            .unwrap_or_default()
        {
            for (model, runs) in default::by_model(&combinations) {
                let (title, file) = match &model {
                    Some(m) => (
                        format!("{stem}: the stages against {param} ({m})"),
                        // A hub id or a folder: its last component, as run labels take it.
                        format!("{stem}-{param}-{}", m.rsplit('/').next().unwrap_or(m)),
                    ),
                    None => (
                        format!("{stem}: the stages against {param}"),
                        format!("{stem}-{param}"),
                    ),
                };
                let of_whom = match &model {
                    Some(m) => format!("{m}'s runs"),
                    None => "its runs".to_string(),
                };
                let missing = default::values_without_runs(&param, &values, average, &runs);
                if missing.len() == values.len() {
                    if !ctx.out.quiet {
                        eprintln!("warning: {stem}: none of {of_whom} is in the average yet, so their chart against `{param}` is not drawn (run them, then `repro table`)");
                    }
                    continue;
                }
                if !missing.is_empty() && !ctx.out.quiet {
                    let list: Vec<String> = missing
                        .iter()
                        .map(|v| format!("{param} = {}", v.python_str()))
                        .collect();
                    eprintln!("warning: {stem}: {of_whom} against `{param}` drawn without {}: no run of those yet", list.join(", "));
                }
                let chart = match default::param_chart(&title, &param, &values, average, &runs)? {
                    ParamChart::Lines(lines) => ChartData::Lines(lines),
                    ParamChart::Bars(bars) => ChartData::GroupedBars(bars),
                };
                let what = match &model {
                    Some(m) => format!("{stem} ({param}, {m})"),
                    None => format!("{stem} ({param})"),
                };
                written.push(ctx.write(&what, &chart, &group_dir, &file)?);
            }
        }
    }
    Ok(written)
}

/// The names of the `bench-<name>` folders under `results`, sorted.
fn bench_folders(results: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(results)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("bench-").map(str::to_string)
        })
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names
}

/// Draw a benchmark's charts (`bench-<name>-{ttft,tpot,cdf,cdf-e2e,compare,startup}`) from
/// `results/bench-<name>`.
fn render_bench(
    results: &Path,
    name: &str,
    out_dir: &Path,
    format: Format,
) -> anyhow::Result<Vec<PathBuf>> {
    let dir = repro::artifacts::layout::bench_dir(results, name);
    if !dir.is_dir() {
        bail!("no benchmark results in `{}`", dir.display());
    }
    let charts = match figures::bench_folder::folder_charts(&dir, name) {
        Err(figures::bench::BenchDataError::NoRuns { path }) => {
            eprintln!(
                "bench {name}: no complete run in `{}`, skipped",
                path.display()
            );
            return Ok(Vec::new());
        }
        charts => charts?,
    };
    charts
        .iter()
        .map(|c| write_chart(&c.chart, &c.stem, out_dir, format))
        .collect()
}

fn write_chart(
    chart: &dyn render::Render,
    stem: &str,
    out_dir: &Path,
    format: Format,
) -> anyhow::Result<PathBuf> {
    let bytes = render::render_with_banner(chart, format, None)
        .with_context(|| format!("drawing {stem}"))?;
    let path = out_dir.join(format!("{stem}.{}", format.extension()));
    repro::artifacts::atomic_write(&path, &bytes)
        .with_context(|| format!("writing `{}`", path.display()))?;
    Ok(path)
}
