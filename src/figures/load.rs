//! From a figure's results folder to its chart model: the tables are computed in memory from the
//! logs (nothing is written into the results folder), then the chart kind's computation runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::models::Models;
use crate::recipe::plot::{Chart, PlotSpec};
use crate::recipe::Recipe;
use crate::table::{self, Comparison, GroupTable, ParseCache};

use super::{
    grouped, heatmap, predictor, regression, speedup, stacked, versions, ChartData, FigureError,
};

/// A chart model and what the user should know about how it was made.
#[derive(Debug)]
pub struct Built {
    pub data: ChartData,
    /// Logs left out, runs missing from an iteration, pairs skipped.
    pub notes: Vec<String>,
}

/// Builds chart models, computing each group's tables once (figure-rest feeds six figures).
pub struct Loader<'a> {
    models: &'a Models,
    /// Where the logs' parses are kept between commands, if anywhere.
    cache: Option<&'a ParseCache>,
    groups: HashMap<PathBuf, GroupTable>,
    /// Tables computed ahead by [`Loader::preload`], taken (and noted) when a figure loads them.
    ready: HashMap<PathBuf, Result<GroupTable, table::TableError>>,
    /// Notes of the groups loaded for the figure being built, kept when the build fails.
    pending: Vec<String>,
}

/// What a chart kind needs that is not there (`None`: everything is there).
pub fn missing_data(spec: &PlotSpec, figure_dir: &Path) -> Option<String> {
    let need = |path: PathBuf| (!path.exists()).then(|| format!("no `{}`", path.display()));
    match &spec.chart {
        Chart::SpeedupBars(s) => need(figure_dir.join(&s.base).join("iterations"))
            .or_else(|| need(figure_dir.join(&s.compared).join("iterations"))),
        Chart::CpuHeatmap(s) => need(figure_dir.join(&s.samples)),
        _ => need(figure_dir.join("iterations")),
    }
}

/// The tables of a group (the figure folder or a split part), ordered as the recipe says.
fn compute(
    recipe: &Recipe,
    figure_dir: &Path,
    group_dir: &Path,
    cache: Option<&ParseCache>,
) -> Result<GroupTable, table::TableError> {
    let order = recipe.label_order(recipe.part_of_group(figure_dir, group_dir));
    table::group_table_cached(group_dir, order.as_deref(), cache)
}

impl<'a> Loader<'a> {
    pub fn new(models: &'a Models) -> Loader<'a> {
        Loader::with_cache(models, None)
    }

    /// A loader that takes the logs' parses from `cache` where it holds them (the same tables).
    pub fn with_cache(models: &'a Models, cache: Option<&'a ParseCache>) -> Loader<'a> {
        Loader {
            models,
            cache,
            groups: HashMap::new(),
            ready: HashMap::new(),
            pending: Vec::new(),
        }
    }

    /// Compute the tables of every group under these figure folders (each with its recipe) on
    /// every core, for the figures drawn next to take. Nothing is noted or failed here: a
    /// figure that loads a group says what its tables have to say, as it would have computed it.
    pub fn preload(&mut self, figures: &[(&Recipe, &Path)]) {
        let mut jobs = Vec::new();
        for (recipe, figure_dir) in figures {
            for group_dir in table::find_groups(figure_dir).unwrap_or_default() {
                let known =
                    self.groups.contains_key(&group_dir) || self.ready.contains_key(&group_dir);
                if !known && !jobs.iter().any(|(_, _, g)| *g == group_dir) {
                    jobs.push((*recipe, *figure_dir, group_dir));
                }
            }
        }
        let cache = self.cache;
        let computed = crate::sys::par_map(&jobs, |(recipe, figure_dir, group_dir)| {
            compute(recipe, figure_dir, group_dir, cache)
        });
        for ((_, _, group_dir), group) in jobs.into_iter().zip(computed) {
            self.ready.insert(group_dir, group);
        }
    }

    /// Compute (once) the tables of a group: the figure folder or a split part, ordered as the
    /// recipe says. Logs left out and runs missing from an iteration are noted.
    fn load(
        &mut self,
        recipe: &Recipe,
        figure_dir: &Path,
        group_dir: &Path,
    ) -> Result<(), FigureError> {
        if self.groups.contains_key(group_dir) {
            return Ok(());
        }
        if !group_dir.join("iterations").is_dir() {
            return Err(FigureError::NoData(format!(
                "`{}` has no `iterations/` folder",
                group_dir.display()
            )));
        }
        let group = match self.ready.remove(group_dir) {
            Some(ready) => ready?,
            None => compute(recipe, figure_dir, group_dir, self.cache)?,
        };
        for run in &group.runs {
            self.pending.extend(
                run.skipped
                    .iter()
                    .map(|e| format!("left out (as the paper does): {e}")),
            );
            self.pending.extend(run.incomplete.iter().map(|log| {
                format!(
                    "`{}` is incomplete ({}): its numbers are partial",
                    run.dir.join(&log.label).display(),
                    log.reason
                )
            }));
        }
        self.pending.extend(
            group
                .warnings
                .iter()
                .map(|w| format!("`{}`: {w}", group.dir.display())),
        );
        self.groups.insert(group_dir.to_path_buf(), group);
        Ok(())
    }

    fn group(
        &mut self,
        recipe: &Recipe,
        figure_dir: &Path,
        group_dir: &Path,
    ) -> Result<&GroupTable, FigureError> {
        self.load(recipe, figure_dir, group_dir)?;
        Ok(&self.groups[group_dir])
    }

    /// What was noted while loading for a build that failed (why a log was left out, …).
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pending)
    }

    /// Compute the chart model of one plot of `recipe` from `figure_dir` (its results folder).
    pub fn build(
        &mut self,
        recipe: &Recipe,
        spec: &PlotSpec,
        figure_dir: &Path,
    ) -> Result<Built, FigureError> {
        let mut notes = Vec::new();
        let models = self.models;
        let data = match &spec.chart {
            Chart::VersionBars(s) => {
                let times = versions::read_engine_times(&figure_dir.join("iterations"))?;
                let data = versions::version_bars(s, times, &recipe.run.vllm.list())?;
                if let Some(bar) = data.bars.iter().find(|b| b.runs > 1) {
                    notes.push(format!(
                        "each bar is the mean of its version's timed runs ({} for {}; the paper's figure has one)",
                        bar.runs, bar.version
                    ));
                }
                ChartData::VersionBars(data)
            }
            Chart::StackedStages(s) => {
                let g = self.group(recipe, figure_dir, figure_dir)?;
                let data = stacked::stacked_stages(s, average(g)?)?;
                notes.extend(
                    data.missing
                        .iter()
                        .map(|m| format!("the average has no `{m}`: drawn as 0")),
                );
                ChartData::StackedStages(data)
            }
            Chart::RegressionBars(s) => {
                let g = self.group(recipe, figure_dir, figure_dir)?;
                let data = regression::regression_bars(s, &iterations(g), models)?;
                notes.extend(data.missing.iter().cloned());
                ChartData::RegressionBars(data)
            }
            Chart::SpeedupBars(s) => {
                let (base_dir, compared_dir) =
                    (figure_dir.join(&s.base), figure_dir.join(&s.compared));
                self.load(recipe, figure_dir, &base_dir)?;
                self.load(recipe, figure_dir, &compared_dir)?;
                let data = speedup::speedup_bars(
                    s,
                    average(&self.groups[&base_dir])?,
                    average(&self.groups[&compared_dir])?,
                )?;
                notes.extend(data.skipped.iter().map(|m| format!("skipped {m}")));
                ChartData::SpeedupBars(data)
            }
            Chart::CpuHeatmap(s) => {
                let samples = heatmap::read_samples(&figure_dir.join(&s.samples))?;
                ChartData::CpuHeatmap(heatmap::cpu_heatmap(s, samples)?)
            }
            Chart::GroupedBars(s) => {
                let params = run_params(recipe, models);
                let g = self.group(recipe, figure_dir, figure_dir)?;
                let unknown: Vec<&String> = g
                    .iterations()
                    .flat_map(|run| &run.comparison.labels)
                    .filter(|label| !params.contains_key(*label))
                    .collect();
                if let Some(first) = unknown.first() {
                    notes.push(format!(
                        "{} run(s) are not runs of the recipe and are left out, e.g. `{first}`",
                        unknown.len()
                    ));
                }
                ChartData::GroupedBars(grouped::grouped_bars(s, &iterations(g), &params)?)
            }
            Chart::PredictorBars(s) => {
                let g = self.group(recipe, figure_dir, figure_dir)?;
                ChartData::PredictorBars(predictor::predictor_bars(s, average(g)?, models)?)
            }
        };
        notes.splice(0..0, self.pending.drain(..));
        Ok(Built { data, notes })
    }
}

/// Every run of the recipe by its log name, with its parameters as text; a tensorizer copy's
/// `model` is the model it was made from (it is that model in another format).
fn run_params(recipe: &Recipe, models: &Models) -> grouped::RunParams {
    recipe
        .all_combinations()
        .into_iter()
        .map(|c| {
            let params = c
                .params
                .iter()
                .map(|(k, v)| {
                    let mut text = v.python_str();
                    if k == "model" {
                        if let Some(copy) = models.tensorized.get(&text) {
                            text = copy.from.clone();
                        }
                    }
                    (k.clone(), text)
                })
                .collect();
            (c.log_name(), params)
        })
        .collect()
}

fn iterations(group: &GroupTable) -> Vec<(String, &Comparison)> {
    group
        .iterations()
        .map(|run| (run.name.clone(), &run.comparison))
        .collect()
}

fn average(group: &GroupTable) -> Result<&Comparison, FigureError> {
    group.average.as_ref().ok_or(FigureError::NoIterations)
}
