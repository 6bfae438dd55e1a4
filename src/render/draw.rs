//! `repro render`'s operation: the charts of a paper figure, a recipe or any folder in the
//! paper's layout (its default charts), and of a benchmark folder, drawn into files. What
//! the drawing has to say goes to a [`Say`] the command prints.

use std::path::{Path, PathBuf};

use crate::figures::bench::BenchDataError;
use crate::figures::default::{self, ParamChart};
use crate::figures::{self, ChartData, FigureError, Loader, UnknownFigure};
use crate::project::{NamedRecipe, Project};
use crate::recipe::{PlotSpec, Recipe, RecipeError};
use crate::table::TableError;

use super::{Format, RenderError};

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    #[error("`{}` mixes fake-engine runs (e.g. `{}`) with real data (e.g. `{}`): keep them in separate results folders, or rerun the figure with --force", dir.display(), fake.display(), real.display())]
    Mixed {
        dir: PathBuf,
        fake: PathBuf,
        real: PathBuf,
    },
    #[error("drawing")]
    Render(#[source] RenderError),
    #[error("drawing {stem}")]
    RenderChart {
        stem: String,
        #[source]
        source: RenderError,
    },
    #[error("writing `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Figure(#[from] UnknownFigure),
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    #[error("recipe `{recipe}` has no [[plot]] for figure {figure}")]
    NoPlot { recipe: String, figure: String },
    #[error("computing from `{}`", dir.display())]
    Compute {
        dir: PathBuf,
        #[source]
        source: FigureError,
    },
    #[error(transparent)]
    Chart(#[from] FigureError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("`{}` has no runs in the paper's layout (`iterations/<i>/output_*.txt`)", .0.display())]
    NoRuns(PathBuf),
    #[error("no benchmark results in `{}`", .0.display())]
    NoBench(PathBuf),
    #[error(transparent)]
    Bench(#[from] BenchDataError),
}

/// A line for the user, and when it is shown.
pub enum Said {
    /// On stderr, always: something was skipped, or a failure's notes.
    Always(String),
    /// On stderr, unless quiet: a warning or a note about the data.
    Unless(String),
    /// On stdout, when verbose: what a chart holds.
    Verbose(String),
}

/// Whoever shows what the drawing says.
pub type Say<'a> = &'a (dyn Fn(Said) + Sync);

/// Where and how charts are written.
pub struct Drawing<'a> {
    pub project: &'a Project,
    pub out_dir: &'a Path,
    pub format: Format,
    pub say: Say<'a>,
    /// Where the logs' parses are kept between commands, if anywhere.
    pub cache: Option<&'a crate::table::ParseCache>,
}

impl Drawing<'_> {
    /// Draw `chart` (stamped as `dir`'s runs are: fake, synthetic) into `<out>/<stem>.<ext>`.
    fn write(
        &self,
        what: &str,
        chart: &ChartData,
        dir: &Path,
        stem: &str,
    ) -> Result<PathBuf, DrawError> {
        let provenance = crate::table::provenance(dir);
        if let Some((fake, real)) = &provenance.mixed {
            return Err(DrawError::Mixed {
                dir: dir.to_path_buf(),
                fake: fake.clone(),
                real: real.clone(),
            });
        }
        let banner = provenance.note();
        if let Some(note) = banner {
            (self.say)(Said::Unless(format!("note: {what} says so on it: {note}")));
        }
        let bytes =
            super::render_with_banner(chart, self.format, banner).map_err(DrawError::Render)?;
        self.write_bytes(&bytes, stem)
    }

    fn write_bytes(&self, bytes: &[u8], stem: &str) -> Result<PathBuf, DrawError> {
        let path = self
            .out_dir
            .join(format!("{stem}.{}", self.format.extension()));
        crate::artifacts::atomic_write(&path, bytes).map_err(|source| DrawError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// Draw one figure of the paper; `None` where its data is not there (said, not an error).
    pub fn paper_figure(
        &self,
        loader: &mut Loader<'_>,
        figure: &str,
        results: &Path,
    ) -> Result<Option<PathBuf>, DrawError> {
        let dir = results.join(figures::data_folder(figure)?);
        if !dir.is_dir() {
            (self.say)(Said::Always(format!(
                "figure {figure}: no data in `{}`, skipped",
                dir.display()
            )));
            return Ok(None);
        }
        let recipe_id = figures::recipe_id(figure)?;
        let recipe = self.project.recipe(&recipe_id)?;
        let spec = recipe
            .plots
            .iter()
            .find(|p| p.figure == figure)
            .ok_or_else(|| DrawError::NoPlot {
                recipe: recipe_id.clone(),
                figure: figure.to_string(),
            })?;
        self.plot(loader, &format!("figure {figure}"), &recipe, spec, &dir)
    }

    /// Compute ahead, on every core, the tables of the folders of these paper figures that are
    /// there, for [`Drawing::paper_figure`] to take; what cannot be computed is left for it to say.
    pub fn preload_paper(&self, loader: &mut Loader<'_>, ids: &[&str], results: &Path) {
        let mut found: Vec<(Recipe, PathBuf)> = Vec::new();
        for figure in ids {
            let (Ok(folder), Ok(recipe_id)) =
                (figures::data_folder(figure), figures::recipe_id(figure))
            else {
                continue;
            };
            let dir = results.join(folder);
            if dir.is_dir() && !found.iter().any(|(_, d)| *d == dir) {
                if let Ok(recipe) = self.project.recipe(&recipe_id) {
                    found.push((recipe, dir));
                }
            }
        }
        let pairs: Vec<(&Recipe, &Path)> = found.iter().map(|(r, d)| (r, d.as_path())).collect();
        loader.preload(&pairs);
    }

    /// A recipe's `[[plot]]`s, or the default charts of any experiment where it has none.
    pub fn recipe_charts(
        &self,
        loader: &mut Loader<'_>,
        named: &NamedRecipe,
        dir: &Path,
    ) -> Result<Vec<PathBuf>, DrawError> {
        if named.recipe.plots.is_empty() {
            return self.default_charts(&named.name, Some(&named.recipe), dir);
        }
        let mut written = Vec::new();
        for spec in &named.recipe.plots {
            let what = format!("{} (figure {})", named.name, spec.figure);
            written.extend(self.plot(loader, &what, &named.recipe, spec, dir)?);
        }
        Ok(written)
    }

    /// Draw one `[[plot]]`; `None` where its data is not there (said, not an error).
    fn plot(
        &self,
        loader: &mut Loader<'_>,
        what: &str,
        recipe: &Recipe,
        spec: &PlotSpec,
        dir: &Path,
    ) -> Result<Option<PathBuf>, DrawError> {
        if let Some(missing) = figures::missing_data(spec, dir) {
            (self.say)(Said::Always(format!(
                "{what}: no data in `{}` ({missing}), skipped",
                dir.display()
            )));
            return Ok(None);
        }
        let built = match loader.build(recipe, spec, dir) {
            Ok(built) => built,
            Err(source) => {
                for note in loader.take_notes() {
                    (self.say)(Said::Always(format!("warning: {what}: {note}")));
                }
                let dir = dir.to_path_buf();
                return Err(DrawError::Compute { dir, source });
            }
        };
        for note in &built.notes {
            (self.say)(Said::Unless(format!("warning: {what}: {note}")));
        }
        (self.say)(Said::Verbose(format!("{what}: {}", built.data.summary())));
        let stem = Path::new(&spec.output)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| spec.figure.clone());
        self.write(what, &built.data, dir, &stem).map(Some)
    }

    /// The charts of any experiment, per group (the folder, or each split part):
    /// `<name>[-<part>]-stages` (a stacked bar per run) and `<name>[-<part>]-<param>` for each
    /// parameter the recipe sweeps.
    pub fn default_charts(
        &self,
        name: &str,
        recipe: Option<&Recipe>,
        dir: &Path,
    ) -> Result<Vec<PathBuf>, DrawError> {
        let groups = crate::table::find_groups(dir)?;
        if groups.is_empty() {
            return Err(DrawError::NoRuns(dir.to_path_buf()));
        }
        let mut written = Vec::new();
        for group_dir in groups {
            written.extend(self.group_charts(name, recipe, dir, &group_dir)?);
        }
        Ok(written)
    }

    /// One group's default charts: its stages, and each swept parameter's chart per model.
    fn group_charts(
        &self,
        name: &str,
        recipe: Option<&Recipe>,
        dir: &Path,
        group_dir: &Path,
    ) -> Result<Vec<PathBuf>, DrawError> {
        let part_folder = group_dir
            .strip_prefix(dir)
            .ok()
            .and_then(|p| p.to_str())
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        let part = recipe.and_then(|r| r.part_of_group(dir, group_dir));
        let order = recipe.and_then(|r| r.label_order(part));
        let group = crate::table::group_table_cached(group_dir, order.as_deref(), self.cache)?;
        let Some(average) = &group.average else {
            return Ok(vec![]);
        };
        let stem = match &part_folder {
            Some(p) => format!("{name}-{p}"),
            None => name.to_string(),
        };
        let combinations = recipe.map(|r| r.combinations(part)).unwrap_or_default();
        let ticks = default::run_ticks(average, &combinations);
        let stages = default::run_stages(&stem, average, &ticks)?;
        let mut written = vec![self.write(
            &format!("{stem} (stages)"),
            &ChartData::RunStages(stages),
            group_dir,
            &format!("{stem}-stages"),
        )?];
        let swept = recipe
            .map(|r| default::swept_params(r, part))
            .unwrap_or_default();
        for (param, values) in swept {
            for (model, runs) in default::by_model(&combinations) {
                let sweep = Sweep {
                    stem: &stem,
                    param: &param,
                    values: &values,
                    model: model.as_deref(),
                    runs: &runs,
                };
                written.extend(self.param_chart(&sweep, average, group_dir)?);
            }
        }
        Ok(written)
    }

    /// The stages against one swept parameter, for one model's runs (or all); `None` where
    /// none of them is in the average yet (said).
    fn param_chart(
        &self,
        sweep: &Sweep<'_>,
        average: &crate::table::Comparison,
        group_dir: &Path,
    ) -> Result<Option<PathBuf>, DrawError> {
        let Sweep {
            stem,
            param,
            values,
            model,
            runs,
        } = *sweep;
        let (title, file) = match model {
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
        let of_whom = match model {
            Some(m) => format!("{m}'s runs"),
            None => "its runs".to_string(),
        };
        let missing = default::values_without_runs(param, values, average, runs);
        if missing.len() == values.len() {
            (self.say)(Said::Unless(format!("warning: {stem}: none of {of_whom} is in the average yet, so their chart against `{param}` is not drawn (run them, then `repro table`)")));
            return Ok(None);
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing
                .iter()
                .map(|v| format!("{param} = {}", v.python_str()))
                .collect();
            (self.say)(Said::Unless(format!("warning: {stem}: {of_whom} against `{param}` drawn without {}: no run of those yet", list.join(", "))));
        }
        let chart = match default::param_chart(&title, param, values, average, runs)? {
            ParamChart::Lines(lines) => ChartData::Lines(lines),
            ParamChart::Bars(bars) => ChartData::GroupedBars(bars),
        };
        let what = match model {
            Some(m) => format!("{stem} ({param}, {m})"),
            None => format!("{stem} ({param})"),
        };
        self.write(&what, &chart, group_dir, &file).map(Some)
    }

    /// Draw a benchmark's charts (`bench-<name>-{ttft,tpot,cdf,cdf-e2e,compare,startup}`) from
    /// `results/bench-<name>`.
    pub fn bench(&self, results: &Path, name: &str) -> Result<Vec<PathBuf>, DrawError> {
        let dir = crate::artifacts::layout::bench_dir(results, name);
        if !dir.is_dir() {
            return Err(DrawError::NoBench(dir));
        }
        let charts = match figures::bench_folder::folder_charts(&dir, name) {
            Err(BenchDataError::NoRuns { path }) => {
                (self.say)(Said::Always(format!(
                    "bench {name}: no complete run in `{}`, skipped",
                    path.display()
                )));
                return Ok(Vec::new());
            }
            charts => charts?,
        };
        charts
            .iter()
            .map(|c| {
                let bytes =
                    super::render_with_banner(&c.chart, self.format, None).map_err(|source| {
                        DrawError::RenderChart {
                            stem: c.stem.clone(),
                            source,
                        }
                    })?;
                self.write_bytes(&bytes, &c.stem)
            })
            .collect()
    }
}

/// One swept parameter's chart to draw.
struct Sweep<'a> {
    stem: &'a str,
    param: &'a str,
    values: &'a [crate::recipe::Scalar],
    model: Option<&'a str>,
    runs: &'a [crate::recipe::Combination],
}

/// The names of the `bench-<name>` folders under `results`, sorted.
pub fn bench_folders(results: &Path) -> Vec<String> {
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

/// Draw the charts a benchmark's folder has beside its JSON (a capacity search's, a prefill
/// profile's; `repro render` draws them too). What cannot be drawn or written is returned as
/// warnings: the results stand.
pub fn beside(dir: &Path, name: &str) -> Vec<String> {
    let charts = match figures::bench_folder::json_charts(dir, name) {
        Ok(charts) => charts,
        Err(e) => return vec![format!("charts of `{}` not drawn: {e}", dir.display())],
    };
    let mut warnings = Vec::new();
    for c in charts {
        let Some(file) = c.beside else { continue };
        let path = dir.join(file);
        let written = super::render_with_banner(&c.chart, Format::Svg, None)
            .map_err(|e| e.to_string())
            .and_then(|svg| crate::artifacts::atomic_write(&path, &svg).map_err(|e| e.to_string()));
        if let Err(e) = written {
            warnings.push(format!("`{}` not drawn: {e}", path.display()));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_results_folder_names_its_benchmarks_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["bench-b", "bench-a", "bench-", "figure-2"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("bench-file"), "").unwrap();
        assert_eq!(bench_folders(dir.path()), vec!["a", "b"]);
        assert!(bench_folders(&dir.path().join("none")).is_empty());
    }

    #[test]
    fn a_folder_without_charts_beside_its_json_draws_nothing_and_warns_of_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(beside(dir.path(), "x").is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
