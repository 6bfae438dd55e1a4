//! The paper's claims as data (`claims.toml`: wording, figure, computation, the paper's value,
//! when a measurement supports it, where the paper says it), checked against a results folder.
//!
//! A claim is computed from the chart model of the figure it rests on — the same numbers the
//! figure draws (`figures::Loader`) — so a claim and its figure can never disagree. The file
//! is read from the project folder where it exists there, else the copy built into repro.

mod check;
mod compute;
mod origin;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::parse::Stage;
use crate::project::Project;
use crate::recipe::plot::{Chart, PlotSpec, Resource, XValue};
use crate::recipe::RecipeError;

pub use check::{check_all, Checked, Outcome, Verdict};
pub use origin::{origin, DataOrigin};

/// The claims file of a project, and the copy shipped inside repro.
pub const CLAIMS_FILE: &str = "claims.toml";
pub const CLAIMS_TOML: &str = include_str!("../../claims.toml");
/// The claims file format this repro reads.
pub const SCHEMA: u32 = 1;

/// One claim of the paper.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    pub id: String,
    /// The paper's figure it rests on (`"10"`).
    pub figure: String,
    /// The wording.
    pub claim: String,
    /// Where the paper says or shows it.
    pub source: String,
    pub compute: Computation,
    /// The paper's value.
    pub paper: f64,
    /// When a measured value supports the claim.
    pub holds: Tolerance,
    /// The recipe whose `[[plot]]` draws `figure` (`rest` for figure 3).
    #[serde(skip)]
    pub recipe: String,
}

/// What is computed from a figure's chart model: a small set of typed computations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Computation {
    /// Figure 2: the share of the bar taken by some stages, or by the steps of one resource.
    Share {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stages: Vec<Stage>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resource: Option<Resource>,
    },
    /// Figures 3–9, 15: the Pearson r of the figure's inset (a stage against a model fact).
    Pearson { stage: Stage, against: XValue },
    /// Figures 10, 11, 13: the mean over models of one stage's ratio compared / base part.
    PartRatio { stage: Stage },
    /// Figure 1: one release's start-up over another's.
    VersionRatio { version: String, base: String },
    /// Figure 14: one series' value over another's, the mean over the groups both have.
    SeriesRatio { series: String, base: String },
    /// Figure 17: the predictor's error on its held-out models.
    PredictorError { measure: ErrorMeasure },
    /// Figure 12: CPU time per sample in cores (the sum of the per-core percentages / 100),
    /// averaged over the samples.
    BusyCores,
}

/// How the predictor's error is summed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorMeasure {
    /// The mean of |predicted − truth| / truth.
    MeanAbsPct,
    /// The largest |predicted − truth| / truth.
    MaxAbsPct,
    /// The root mean square of predicted − truth, seconds.
    Rmse,
}

/// When a measured value supports a claim.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Tolerance {
    AtLeast(f64),
    AtMost(f64),
    Range([f64; 2]),
    /// Within this much of the paper's value.
    Abs(f64),
    /// Within this fraction of the paper's value.
    Rel(f64),
}

/// How a computed value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A fraction, shown as a percentage.
    Share,
    /// A Pearson r.
    R,
    /// A ratio, shown as `1.11×`.
    Ratio,
    Seconds,
    Cores,
}

impl Unit {
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Share => format!("{:.1}%", value * 100.0),
            Unit::R => format!("{value:.2}"),
            Unit::Ratio => format!("{value:.2}×"),
            Unit::Seconds => format!("{value:.2} s"),
            Unit::Cores => format!("{value:.2} cores"),
        }
    }
}

impl Computation {
    pub fn unit(&self) -> Unit {
        match self {
            Computation::Share { .. } => Unit::Share,
            Computation::Pearson { .. } => Unit::R,
            Computation::PartRatio { .. }
            | Computation::VersionRatio { .. }
            | Computation::SeriesRatio { .. } => Unit::Ratio,
            Computation::PredictorError {
                measure: ErrorMeasure::Rmse,
            } => Unit::Seconds,
            Computation::PredictorError { .. } => Unit::Share,
            Computation::BusyCores => Unit::Cores,
        }
    }

    /// The chart kind the computation reads, as `kind` is spelled in a `[[plot]]`.
    fn chart_kind(&self) -> &'static str {
        match self {
            Computation::Share { .. } => "stacked_stages",
            Computation::Pearson { .. } => "regression_bars",
            Computation::PartRatio { .. } => "speedup_bars",
            Computation::VersionRatio { .. } => "version_bars",
            Computation::SeriesRatio { .. } => "grouped_bars",
            Computation::PredictorError { .. } => "predictor_bars",
            Computation::BusyCores => "cpu_heatmap",
        }
    }

    /// Why this computation cannot be made from the figure `spec` draws (`None`: it can).
    fn mismatch(&self, spec: &PlotSpec, recipe_versions: &[&str]) -> Option<String> {
        let kind = self.chart_kind();
        let wrong_kind = || {
            Some(format!(
                "`{}` needs a figure of kind `{kind}`, and figure {} is drawn as `{}`",
                self.name(),
                spec.figure,
                chart_kind_name(&spec.chart)
            ))
        };
        match (self, &spec.chart) {
            (Computation::Share { stages, resource }, Chart::StackedStages(s)) => {
                match (stages.is_empty(), resource) {
                    (true, None) | (false, Some(_)) => {
                        return Some("`share` needs either `stages` or `resource`".into())
                    }
                    _ => {}
                }
                let drawn: Vec<Stage> = s.steps.iter().map(|step| step.stage).collect();
                stages
                    .iter()
                    .find(|stage| !drawn.contains(stage))
                    .map(|stage| format!("figure {} does not draw `{stage}`", spec.figure))
            }
            (Computation::Pearson { stage, against }, Chart::RegressionBars(r)) => {
                (r.metric != *stage || r.x != *against).then(|| {
                    format!(
                        "figure {} draws `{}` against {}, not `{stage}` against {}",
                        spec.figure,
                        r.metric,
                        x_name(&r.x),
                        x_name(against)
                    )
                })
            }
            (Computation::PartRatio { stage }, Chart::SpeedupBars(s)) => {
                (!s.steps.contains_key(stage.key())).then(|| {
                    format!(
                        "figure {} has no bar for `{stage}` (it draws {})",
                        spec.figure,
                        s.steps.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                })
            }
            (Computation::VersionRatio { version, base }, Chart::VersionBars(_)) => [version, base]
                .into_iter()
                .find(|v| !recipe_versions.contains(&v.as_str()))
                .map(|v| {
                    format!(
                        "figure {} has no vLLM version `{v}` (it has {})",
                        spec.figure,
                        recipe_versions.join(", ")
                    )
                }),
            (Computation::SeriesRatio { series, base }, Chart::GroupedBars(g)) => [series, base]
                .into_iter()
                .find(|s| !g.series.contains(s))
                .map(|s| {
                    format!(
                        "figure {} has no series `{s}` (it has {})",
                        spec.figure,
                        g.series.join(", ")
                    )
                }),
            (Computation::PredictorError { .. }, Chart::PredictorBars(_))
            | (Computation::BusyCores, Chart::CpuHeatmap(_)) => None,
            _ => wrong_kind(),
        }
    }

    /// The computation's `kind`.
    pub fn name(&self) -> &'static str {
        match self {
            Computation::Share { .. } => "share",
            Computation::Pearson { .. } => "pearson",
            Computation::PartRatio { .. } => "part_ratio",
            Computation::VersionRatio { .. } => "version_ratio",
            Computation::SeriesRatio { .. } => "series_ratio",
            Computation::PredictorError { .. } => "predictor_error",
            Computation::BusyCores => "busy_cores",
        }
    }
}

fn chart_kind_name(chart: &Chart) -> &'static str {
    match chart {
        Chart::VersionBars(_) => "version_bars",
        Chart::StackedStages(_) => "stacked_stages",
        Chart::RegressionBars(_) => "regression_bars",
        Chart::SpeedupBars(_) => "speedup_bars",
        Chart::CpuHeatmap(_) => "cpu_heatmap",
        Chart::GroupedBars(_) => "grouped_bars",
        Chart::PredictorBars(_) => "predictor_bars",
    }
}

fn x_name(x: &XValue) -> String {
    match x {
        XValue::Fact(fact) => serde_json::to_value(fact)
            .ok()
            .and_then(|v| v.as_str().map(|s| format!("`{s}`")))
            .unwrap_or_else(|| format!("{fact:?}")),
        XValue::BatchSizes => "the number of batch sizes".into(),
    }
}

impl Tolerance {
    /// Whether `measured` supports a claim whose paper value is `paper`.
    pub fn holds(&self, measured: f64, paper: f64) -> bool {
        let (lo, hi) = self.bounds(paper);
        measured.is_finite() && lo <= measured && measured <= hi
    }

    /// The closed interval of supporting values.
    pub fn bounds(&self, paper: f64) -> (f64, f64) {
        match *self {
            Tolerance::AtLeast(x) => (x, f64::INFINITY),
            Tolerance::AtMost(x) => (f64::NEG_INFINITY, x),
            Tolerance::Range([lo, hi]) => (lo, hi),
            Tolerance::Abs(d) => (paper - d, paper + d),
            Tolerance::Rel(f) => (paper - f * paper.abs(), paper + f * paper.abs()),
        }
    }

    /// `≥ 0.90`, `0.95–1.05`, `≤ 2.00 cores`.
    pub fn describe(&self, paper: f64, unit: Unit) -> String {
        let (lo, hi) = self.bounds(paper);
        match self {
            Tolerance::AtLeast(_) => format!("≥ {}", unit.format(lo)),
            Tolerance::AtMost(_) => format!("≤ {}", unit.format(hi)),
            _ => format!("{} to {}", unit.format(lo), unit.format(hi)),
        }
    }

    fn problem(&self) -> Option<String> {
        match *self {
            Tolerance::Range([lo, hi]) if lo.is_nan() || hi.is_nan() || lo > hi => Some(format!(
                "`range = [{lo}, {hi}]`: the low end is above the high end"
            )),
            Tolerance::Abs(d) | Tolerance::Rel(d) if d.is_nan() || d < 0.0 => {
                Some(format!("a tolerance of {d}: it must be 0 or more"))
            }
            Tolerance::AtLeast(x) | Tolerance::AtMost(x) if !x.is_finite() => {
                Some(format!("a bound of {x}: it must be a finite number"))
            }
            _ => None,
        }
    }
}

/// A claims file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClaimsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Recipe(#[from] RecipeError),
}

/// The file as written, with the spans of what later checks point at.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    schema: toml::Spanned<u32>,
    #[serde(default, rename = "claim")]
    claims: Vec<RawClaim>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    id: toml::Spanned<String>,
    figure: toml::Spanned<String>,
    claim: String,
    source: String,
    compute: toml::Spanned<Computation>,
    paper: toml::Spanned<f64>,
    holds: toml::Spanned<Tolerance>,
}

/// The project's claims: its `claims.toml`, else the one built into repro. Each claim is
/// checked against the recipe that draws its figure (the computation must be one that figure
/// can give), so a bad file fails before any data is read.
pub fn load(project: &Project) -> Result<Vec<Claim>, ClaimsError> {
    let path = project.root.join(CLAIMS_FILE);
    let (path, text) = if path.is_file() {
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
            path: path.clone(),
            source,
        })?;
        (path, text)
    } else {
        (
            Path::new("<builtin>").join(CLAIMS_FILE),
            CLAIMS_TOML.to_string(),
        )
    };
    parse(project, &path, &text)
}

/// Parse and check claims text (`path` names it in errors).
pub fn parse(project: &Project, path: &Path, text: &str) -> Result<Vec<Claim>, ClaimsError> {
    let raw: RawFile = crate::config::from_toml(path, text)?;
    let at = |span: std::ops::Range<usize>, message: String| {
        ConfigError::at(path, text, Some(span.start), message)
    };
    if *raw.schema.get_ref() != SCHEMA {
        return Err(at(
            raw.schema.span(),
            format!(
                "claims schema {} is not one this repro reads ({SCHEMA})",
                raw.schema.get_ref()
            ),
        )
        .into());
    }
    let plots = figure_plots(project)?;
    let mut seen = HashSet::new();
    let mut claims = Vec::with_capacity(raw.claims.len());
    for raw in raw.claims {
        let id = raw.id.get_ref().clone();
        if !seen.insert(id.clone()) {
            return Err(at(raw.id.span(), format!("claim `{id}` is defined twice")).into());
        }
        if let Some(problem) = raw.holds.get_ref().problem() {
            return Err(at(raw.holds.span(), format!("claim `{id}`: {problem}")).into());
        }
        if !raw.paper.get_ref().is_finite() {
            return Err(at(
                raw.paper.span(),
                format!("claim `{id}`: `paper` must be a number"),
            )
            .into());
        }
        let figure = raw.figure.get_ref();
        let Some(plot) = plots.iter().find(|p| &p.spec.figure == figure) else {
            return Err(at(
                raw.figure.span(),
                format!("claim `{id}`: no recipe draws figure `{figure}` (a `[[plot]]` with `figure = \"{figure}\"`)"),
            )
            .into());
        };
        let versions: Vec<&str> = plot.versions.iter().map(String::as_str).collect();
        if let Some(why) = raw.compute.get_ref().mismatch(&plot.spec, &versions) {
            return Err(at(raw.compute.span(), format!("claim `{id}`: {why}")).into());
        }
        claims.push(Claim {
            id,
            figure: figure.clone(),
            claim: raw.claim,
            source: raw.source,
            compute: raw.compute.into_inner(),
            paper: raw.paper.into_inner(),
            holds: raw.holds.into_inner(),
            recipe: plot.recipe.clone(),
        });
    }
    Ok(claims)
}

/// A `[[plot]]` and the recipe it is in.
struct FigurePlot {
    recipe: String,
    versions: Vec<String>,
    spec: PlotSpec,
}

/// Every `[[plot]]` of the project's recipes (the paper's first).
fn figure_plots(project: &Project) -> Result<Vec<FigurePlot>, RecipeError> {
    let mut plots = Vec::new();
    for named in project.all_recipes()? {
        let versions: Vec<String> = named
            .recipe
            .run
            .vllm
            .list()
            .into_iter()
            .map(str::to_string)
            .collect();
        for spec in named.recipe.plots {
            plots.push(FigurePlot {
                recipe: named.name.clone(),
                versions: versions.clone(),
                spec,
            });
        }
    }
    Ok(plots)
}

/// The results folder a claim's figure reads (`<results>/figure-rest` for figure 3).
pub fn figure_dir(
    project: &Project,
    claim: &Claim,
    results: &Path,
) -> Result<PathBuf, ClaimsError> {
    let named = project.named_recipe(&claim.recipe)?;
    Ok(results.join(named.recipe.folder))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Project {
        // A folder without project files: every file is the built-in one.
        Project::new("/nonexistent-repro-project")
    }

    #[test]
    fn the_shipped_claims_fit_the_shipped_recipes() {
        let claims = load(&builtin()).unwrap();
        assert!(claims.len() >= 20, "{} claims", claims.len());
        for figure in ["1", "2", "3", "10", "12", "13", "14", "17"] {
            assert!(
                claims.iter().any(|c| c.figure == figure),
                "no claim on figure {figure}"
            );
        }
        let three = claims.iter().find(|c| c.figure == "3").unwrap();
        assert_eq!(three.recipe, "rest");
    }

    #[test]
    fn tolerances_bound_the_measurement() {
        assert!(Tolerance::AtLeast(0.9).holds(0.95, 0.99));
        assert!(!Tolerance::AtLeast(0.9).holds(0.89, 0.99));
        assert!(Tolerance::AtMost(2.0).holds(2.0, 1.5));
        assert!(Tolerance::Range([0.95, 1.05]).holds(1.0, 0.99));
        assert!(!Tolerance::Range([0.95, 1.05]).holds(1.06, 0.99));
        assert!(Tolerance::Abs(0.1).holds(0.5, 0.43));
        assert!(!Tolerance::Abs(0.1).holds(0.54, 0.43));
        assert!(Tolerance::Rel(0.25).holds(5.0, 4.26));
        assert!(!Tolerance::Rel(0.25).holds(5.4, 4.26));
        assert!(!Tolerance::AtLeast(0.0).holds(f64::NAN, 1.0));
        assert_eq!(
            Tolerance::Rel(0.1).describe(2.0, Unit::Ratio),
            "1.80× to 2.20×"
        );
        assert_eq!(
            Tolerance::AtLeast(0.5).describe(0.87, Unit::Share),
            "≥ 50.0%"
        );
    }

    fn parse_one(claim: &str) -> Result<Vec<Claim>, ClaimsError> {
        let text = format!("schema = 1\n\n[[claim]]\n{claim}");
        parse(&builtin(), Path::new("claims.toml"), &text)
    }

    const GOOD: &str = "id = \"x\"\nfigure = \"3\"\nclaim = \"c\"\nsource = \"s\"\ncompute = { kind = \"pearson\", stage = \"tokenizer_init\", against = { fact = \"tokenizer_size\" } }\npaper = 0.99\nholds = { at_least = 0.9 }\n";

    #[test]
    fn a_good_claim_parses() {
        let claims = parse_one(GOOD).unwrap();
        assert_eq!(claims[0].compute.unit(), Unit::R);
    }

    #[test]
    fn a_computation_the_figure_cannot_give_points_at_compute() {
        let text = GOOD.replace("tokenizer_init", "load_weights");
        let err = parse_one(&text).unwrap_err().to_string();
        assert!(
            err.contains(
                "figure 3 draws `tokenizer_init` against `tokenizer_size`, not `load_weights`"
            ),
            "{err}"
        );
        assert!(err.contains("claims.toml:8:"), "{err}");
    }

    #[test]
    fn a_wrong_chart_kind_is_named() {
        let text = GOOD.replace(
            "{ kind = \"pearson\", stage = \"tokenizer_init\", against = { fact = \"tokenizer_size\" } }",
            "{ kind = \"part_ratio\", stage = \"load_weights\" }",
        );
        let err = parse_one(&text).unwrap_err().to_string();
        assert!(
            err.contains("needs a figure of kind `speedup_bars`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_figures_and_bad_tolerances_are_errors() {
        let err = parse_one(&format!("{GOOD}colour = 1\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `colour`"), "{err}");
        let err = parse_one(&GOOD.replace("\"3\"", "\"99\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no recipe draws figure `99`"), "{err}");
        let err = parse_one(&GOOD.replace("{ at_least = 0.9 }", "{ range = [2, 1] }"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("the low end is above the high end"), "{err}");
        let err = parse_one(&GOOD.replace("{ at_least = 0.9 }", "{ roughly = 0.9 }"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("roughly"), "{err}");
    }

    #[test]
    fn duplicate_ids_are_errors() {
        let text = format!("schema = 1\n\n[[claim]]\n{GOOD}\n[[claim]]\n{GOOD}");
        let err = parse(&builtin(), Path::new("claims.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("claim `x` is defined twice"), "{err}");
    }
}
