//! `repro render <figure|all> --results DIR --out OUT [--format pdf|svg|png] [--dpi N]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::figures::{self, Loader};
use repro::render::{self, Format};

use super::Output;
use crate::cli::{RenderArgs, RenderFormat};

/// The figures an argument names: one, the six of `rest`, or all of them.
fn figure_list(arg: &str) -> anyhow::Result<Vec<&'static str>> {
    Ok(match arg {
        "all" => figures::ALL.to_vec(),
        "rest" => figures::REST.to_vec(),
        one => {
            figures::data_folder(one)?;
            let index = figures::ALL.iter().position(|f| *f == one);
            vec![figures::ALL[index.context("figure id")?]]
        }
    })
}

pub fn run(args: RenderArgs, out: Output) -> anyhow::Result<ExitCode> {
    if !args.results.is_dir() {
        bail!(
            "results folder `{}` does not exist (pass --results DIR)",
            args.results.display()
        );
    }
    let format = match args.format {
        RenderFormat::Pdf => Format::Pdf,
        RenderFormat::Svg => Format::Svg,
        RenderFormat::Png => Format::Png { dpi: args.dpi },
    };
    let models = out.project.models()?;
    let mut loader = Loader::new(&models);
    let mut failed = 0;
    let (figure_ids, benches) = match args.figure.strip_prefix("bench-") {
        Some(name) => (vec![], vec![name.to_string()]),
        None if args.figure == "all" => (figure_list("all")?, bench_folders(&args.results)),
        None => (figure_list(&args.figure)?, vec![]),
    };
    for figure in figure_ids {
        match render_one(&out, &mut loader, figure, &args.results, &args.out, format) {
            Ok(Some(path)) => {
                if !out.quiet {
                    println!("figure {figure}: wrote {}", path.display());
                }
            }
            Ok(None) => {}
            Err(error) => {
                failed += 1;
                eprintln!("error: figure {figure}: {error:#}");
            }
        }
    }
    for name in benches {
        match render_bench(&args.results, &name, &args.out, format) {
            Ok(paths) => {
                for path in paths.iter().filter(|_| !out.quiet) {
                    println!("bench {name}: wrote {}", path.display());
                }
            }
            Err(error) => {
                failed += 1;
                eprintln!("error: bench {name}: {error:#}");
            }
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(repro::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

/// Draw one figure; `None` where its data is not there (reported, not an error).
fn render_one(
    out: &Output,
    loader: &mut Loader<'_>,
    figure: &str,
    results: &Path,
    out_dir: &Path,
    format: Format,
) -> anyhow::Result<Option<PathBuf>> {
    let folder = figures::data_folder(figure)?;
    let dir = results.join(&folder);
    if !dir.is_dir() {
        eprintln!("figure {figure}: no data in `{}`, skipped", dir.display());
        return Ok(None);
    }
    let recipe_id = figures::recipe_id(figure)?;
    let recipe = out.project.recipe(&recipe_id)?;
    let spec = recipe
        .plots
        .iter()
        .find(|p| p.figure == figure)
        .with_context(|| format!("recipe `{recipe_id}` has no [[plot]] for figure {figure}"))?;
    if let Some(missing) = figures::missing_data(spec, &dir) {
        eprintln!(
            "figure {figure}: no data in `{}` ({missing}), skipped",
            dir.display()
        );
        return Ok(None);
    }
    let built = match loader.build(&recipe, spec, &dir) {
        Ok(built) => built,
        Err(error) => {
            for note in loader.take_notes() {
                eprintln!("warning: figure {figure}: {note}");
            }
            return Err(error).with_context(|| format!("computing from `{}`", dir.display()));
        }
    };
    if !out.quiet {
        for note in &built.notes {
            eprintln!("warning: figure {figure}: {note}");
        }
    }
    if out.verbose {
        println!("figure {figure}: {}", built.data.summary());
    }
    let banner = repro::table::provenance(&dir).note();
    if let (Some(note), false) = (banner, out.quiet) {
        eprintln!("note: figure {figure} says so on it: {note}");
    }
    let bytes = render::render_with_banner(&built.data, format, banner).context("drawing")?;
    let name = Path::new(&spec.output).with_extension(format.extension());
    let path = out_dir.join(name);
    repro::artifacts::atomic_write(&path, &bytes)
        .with_context(|| format!("writing `{}`", path.display()))?;
    Ok(Some(path))
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
    let dir = repro::bench::runner::bench_dir(results, name);
    if !dir.is_dir() {
        bail!("no benchmark results in `{}`", dir.display());
    }
    let runs = match figures::bench::load_runs(&dir) {
        Err(figures::bench::BenchDataError::NoRuns { path }) => {
            eprintln!(
                "bench {name}: no complete run in `{}`, skipped",
                path.display()
            );
            return Ok(vec![]);
        }
        runs => runs?,
    };
    let mut written = Vec::new();
    for (stem, chart) in figures::bench::charts(name, &runs) {
        written.push(write_chart(&chart, &stem, out_dir, format)?);
    }
    if let Some(chart) = figures::bench::compare_chart(&runs) {
        written.push(write_chart(
            &chart,
            &format!("bench-{name}-compare"),
            out_dir,
            format,
        )?);
    }
    if let Some(chart) = figures::bench::startup_chart(&runs) {
        written.push(write_chart(
            &chart,
            &format!("bench-{name}-startup"),
            out_dir,
            format,
        )?);
    }
    Ok(written)
}

/// Draw one chart of a benchmark into `<out>/<stem>.<format>`.
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
