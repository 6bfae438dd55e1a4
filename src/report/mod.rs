//! `repro report`: one self-contained HTML page about a results folder — each figure drawn
//! (inline SVG) with its numbers, where each part's data came from, the claims, the commands
//! that reproduce it, and every warning. [`gather`] reads; [`html::page`] writes text; nothing
//! here runs an experiment or writes into the results folder.

pub mod html;
mod numbers;
mod provenance;
mod startup;
mod svg;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::claims::{self, Checked, DataOrigin, Verdict};
use crate::config::Machines;
use crate::figures::{self, Loader};
use crate::project::{NamedRecipe, Project};
use crate::recipe::PlotSpec;
use crate::render::{self, Format};
use crate::reproduce::{self, Engine, Step};

pub use numbers::Numbers;
pub use provenance::{FailedRun, PartProvenance};

/// Everything the page shows.
#[derive(Debug)]
pub struct Report {
    pub results: PathBuf,
    /// RFC 3339, UTC.
    pub generated: String,
    pub repro_version: &'static str,
    pub sections: Vec<Section>,
    pub claims: Vec<Checked>,
    pub warnings: Vec<Warning>,
}

/// One figure.
#[derive(Debug)]
pub struct Section {
    /// The HTML id (`figure-2`, `my-sweep-x`).
    pub anchor: String,
    /// `Figure 2`, `my-sweep: figure x`.
    pub heading: String,
    /// The recipe's title.
    pub title: String,
    pub recipe: String,
    pub chart: ChartState,
    /// The figure's parts (one for a figure without a split).
    pub parts: Vec<PartProvenance>,
    /// The data's kind, where there is data.
    pub data: Option<DataOrigin>,
    /// The commands that make the figure's data, part by part, and draw it.
    pub reproduce: Vec<Step>,
    /// How this folder's data was made, where that is not the commands above.
    pub made_with: Vec<String>,
    /// What computing the figure noted (logs left out, incomplete logs).
    pub notes: Vec<String>,
    /// The start-up of the figure's runs per group (`repro startup`), where it has runs.
    pub startup: Option<Numbers>,
}

/// The figure, or why it is not drawn.
#[derive(Debug)]
pub enum ChartState {
    Drawn {
        /// Inline SVG: text as paths, ids prefixed.
        svg: String,
        numbers: Numbers,
        /// The FAKE ENGINE / SYNTHETIC line drawn above the figure.
        banner: Option<&'static str>,
    },
    NoData {
        missing: PathBuf,
    },
    /// The data is there, the figure could not be computed or drawn.
    Failed {
        why: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Warning,
    Note,
}

/// Something a reader must know, and which figure or folder it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub level: Level,
    /// `figure 2`, `figure-10/gpu1`, `claim cpu-matters`.
    pub about: String,
    pub text: String,
    /// The section it links to.
    pub anchor: Option<String>,
}

/// The same warning about several figures (FAKE ENGINE, a missing folder): one line naming
/// them all, warnings first, then notes, each in the order first met.
pub fn grouped_warnings(warnings: &[Warning]) -> Vec<(Level, &str, Vec<&Warning>)> {
    let mut grouped: Vec<(Level, &str, Vec<&Warning>)> = Vec::new();
    for level in [Level::Warning, Level::Note] {
        for w in warnings.iter().filter(|w| w.level == level) {
            match grouped
                .iter_mut()
                .find(|(l, t, _)| *l == level && *t == w.text)
            {
                Some((_, _, same)) => same.push(w),
                None => grouped.push((level, &w.text, vec![w])),
            }
        }
    }
    grouped
}

/// What stops a report from being made at all (each figure's own problems are warnings).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Claims(#[from] claims::ClaimsError),
    #[error(transparent)]
    Recipe(#[from] crate::recipe::RecipeError),
}

/// Read everything the page shows from `results`.
pub fn gather(project: &Project, results: &Path) -> Result<Report, ReportError> {
    let models = project.models()?;
    let machines = project.machines()?;
    let claim_list = claims::load(project)?;
    let checked = claims::check_all(&claim_list, project, results)?;
    let mut loader = Loader::new(&models);
    let mut gathering = Gathering {
        results,
        machines: &machines,
        parts: HashMap::new(),
        warnings: Vec::new(),
    };
    let mut sections = Vec::new();
    for figure in figures::ALL {
        let named = project.named_recipe(&figures::recipe_id(figure).expect("a paper figure"))?;
        let Some(spec) = named
            .recipe
            .plots
            .iter()
            .find(|p| p.figure == figure)
            .cloned()
        else {
            continue;
        };
        let heading = format!("Figure {figure}");
        let anchor = format!("figure-{figure}");
        sections.push(gathering.section(&mut loader, &named, &spec, heading, anchor));
    }
    for name in project.own_recipe_names() {
        let named = match project.named_recipe(&name) {
            Ok(named) => named,
            Err(e) => {
                gathering.warn(Level::Warning, &name, e.to_string(), None);
                continue;
            }
        };
        if named.recipe.plots.is_empty() {
            if results.join(&named.recipe.folder).is_dir() {
                gathering.warn(
                    Level::Note,
                    &name,
                    format!("has no [[plot]], so it is not drawn here: `repro render {name}` draws its stages per run"),
                    None,
                );
            }
            continue;
        }
        for spec in named.recipe.plots.clone() {
            let heading = format!("{name}: figure {}", spec.figure);
            let anchor = html::anchor(&format!("{name}-{}", spec.figure));
            sections.push(gathering.section(&mut loader, &named, &spec, heading, anchor));
        }
    }
    let mut warnings = gathering.warnings;
    warnings.extend(claim_warnings(&checked, &sections));
    if !sections
        .iter()
        .any(|s| matches!(s.chart, ChartState::Drawn { .. }))
    {
        warnings.insert(
            0,
            Warning {
                level: Level::Warning,
                about: results.display().to_string(),
                text: "no figure has data in this results folder".into(),
                anchor: None,
            },
        );
    }
    Ok(Report {
        results: results.to_path_buf(),
        generated: crate::artifacts::manifest::now_rfc3339(),
        repro_version: env!("CARGO_PKG_VERSION"),
        sections,
        claims: checked,
        warnings,
    })
}

/// `its runs come from 2 kinds of machine: …`, where the parts' runs ran on more than one.
pub fn machine_kinds_note(parts: &[PartProvenance]) -> Option<String> {
    let kinds: std::collections::BTreeSet<&String> =
        parts.iter().flat_map(|p| &p.machines).collect();
    (kinds.len() > 1).then(|| {
        let list: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        format!(
            "its runs come from {} kinds of machine: {}",
            kinds.len(),
            list.join("; ")
        )
    })
}

/// What is read once per results folder while the sections are made.
struct Gathering<'a> {
    results: &'a Path,
    machines: &'a Machines,
    /// The parts of each figure folder (figure-rest feeds six figures).
    parts: HashMap<PathBuf, Vec<PartProvenance>>,
    warnings: Vec<Warning>,
}

impl Gathering<'_> {
    fn warn(&mut self, level: Level, about: &str, text: String, anchor: Option<&str>) {
        let warning = Warning {
            level,
            about: about.to_string(),
            text,
            anchor: anchor.map(str::to_string),
        };
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    fn section(
        &mut self,
        loader: &mut Loader<'_>,
        named: &NamedRecipe,
        spec: &PlotSpec,
        heading: String,
        anchor: String,
    ) -> Section {
        let dir = self.results.join(&named.recipe.folder);
        let parts = self.parts_of(named, &dir, &anchor);
        let about = heading.to_lowercase();
        if let Some(note) = machine_kinds_note(&parts) {
            self.warn(Level::Note, &about, note, Some(&anchor));
        }
        let data = dir
            .is_dir()
            .then(|| claims::origin(&dir, self.results))
            .flatten();
        let (chart, notes) = self.chart(loader, named, spec, &dir, &anchor);
        match &chart {
            ChartState::NoData { missing } => {
                let make: Vec<String> =
                    reproduce::run_steps(named, &Machines::default(), Engine::Real)
                        .into_iter()
                        .map(|s| format!("`{}`", s.command))
                        .collect();
                self.warn(
                    Level::Warning,
                    &about,
                    format!(
                        "no data: `{}` is missing ({} {} it)",
                        missing.display(),
                        make.join(" and "),
                        if make.len() > 1 { "make" } else { "makes" }
                    ),
                    Some(&anchor),
                )
            }
            ChartState::Failed { why } => self.warn(
                Level::Warning,
                &about,
                format!("not drawn: {why}"),
                Some(&anchor),
            ),
            ChartState::Drawn { banner, .. } => {
                if let Some(banner) = banner {
                    self.warn(Level::Warning, &about, banner.to_string(), Some(&anchor));
                }
            }
        }
        for note in &notes {
            self.warn(Level::Warning, &about, note.clone(), Some(&anchor));
        }
        let mut reproduce = reproduce::run_steps(named, self.machines, Engine::Real);
        let results = self.results.display().to_string();
        reproduce.push(Step {
            command: format!(
                "repro render {} --results {results} --out figs",
                render_word(named, spec)
            ),
            note: Some("draws it (PDF; --format svg or png)".into()),
        });
        let made_with = made_with(named, &parts, data.as_ref(), &results);
        Section {
            anchor,
            heading,
            title: named.recipe.title.clone(),
            recipe: named.name.clone(),
            chart,
            parts,
            data,
            reproduce,
            made_with,
            notes,
            startup: dir.is_dir().then(|| startup::numbers(&dir)).flatten(),
        }
    }

    /// The figure drawn, or why not.
    fn chart(
        &mut self,
        loader: &mut Loader<'_>,
        named: &NamedRecipe,
        spec: &PlotSpec,
        dir: &Path,
        anchor: &str,
    ) -> (ChartState, Vec<String>) {
        if !dir.is_dir() {
            return (
                ChartState::NoData {
                    missing: dir.to_path_buf(),
                },
                vec![],
            );
        }
        if let Some(missing) = figures::missing_data(spec, dir) {
            let path = missing.trim_start_matches("no `").trim_end_matches('`');
            return (
                ChartState::NoData {
                    missing: PathBuf::from(path),
                },
                vec![],
            );
        }
        let provenance = crate::table::provenance(dir);
        if let Some((fake, real)) = &provenance.mixed {
            let why = format!(
                "`{}` mixes fake-engine runs (e.g. `{}`) with real data (e.g. `{}`)",
                dir.display(),
                fake.display(),
                real.display()
            );
            return (ChartState::Failed { why }, vec![]);
        }
        let built = match loader.build(&named.recipe, spec, dir) {
            Ok(built) => built,
            Err(error) => {
                let why = format!("computing it from `{}`: {error}", dir.display());
                return (ChartState::Failed { why }, loader.take_notes());
            }
        };
        let banner = provenance.note();
        let label = format!("{}: {}", named.recipe.title, built.data.summary());
        let drawn = render::render_with_banner(&built.data, Format::Svg, banner)
            .map_err(|e| e.to_string())
            .and_then(|bytes| String::from_utf8(bytes).map_err(|e| e.to_string()))
            .and_then(|svg| {
                svg::inline(&svg, &format!("{anchor}-"), &label).map_err(|e| e.to_string())
            });
        match drawn {
            Ok(svg) => (
                ChartState::Drawn {
                    svg,
                    numbers: numbers::numbers(&built.data, Some(spec)),
                    banner,
                },
                built.notes,
            ),
            Err(why) => (
                ChartState::Failed {
                    why: format!("drawing it: {why}"),
                },
                built.notes,
            ),
        }
    }

    /// The parts of a figure folder, read once, with their warnings.
    fn parts_of(&mut self, named: &NamedRecipe, dir: &Path, anchor: &str) -> Vec<PartProvenance> {
        if let Some(parts) = self.parts.get(dir) {
            return parts.clone();
        }
        let results = self.results;
        let machines = self.machines;
        let parts: Vec<PartProvenance> = match &named.recipe.split {
            None => vec![provenance::part(&named.recipe.folder, dir, results, None)],
            Some(split) => split
                .parts
                .iter()
                .map(|p| {
                    let name = split.part_name(p.index);
                    let mut part = provenance::part(
                        &name,
                        &dir.join(&name),
                        results,
                        Some(p.description.clone()),
                    );
                    part.assigned =
                        machines.runner_text(&format!("{}/{name}", named.recipe.folder));
                    part
                })
                .collect(),
        };
        for part in &parts {
            let about = part
                .dir
                .strip_prefix(results)
                .unwrap_or(&part.dir)
                .display()
                .to_string();
            self.part_warnings(named, dir, part, &about, anchor);
        }
        self.parts.insert(dir.to_path_buf(), parts.clone());
        parts
    }

    fn part_warnings(
        &mut self,
        named: &NamedRecipe,
        dir: &Path,
        part: &PartProvenance,
        about: &str,
        anchor: &str,
    ) {
        if !part.present {
            if dir.is_dir() {
                let command = reproduce::part_command(named, &part.name).unwrap_or_default();
                self.warn(
                    Level::Warning,
                    about,
                    format!(
                        "part missing: `{}` (`{command}` makes it)",
                        part.dir.display()
                    ),
                    Some(anchor),
                );
            }
            return;
        }
        if let Some(first) = part.failed.first() {
            let error = first.error.as_deref().unwrap_or("no error recorded");
            self.warn(
                Level::Warning,
                about,
                format!(
                    "{} run(s) failed, e.g. `{}`: {} ({error})",
                    part.failed.len(),
                    first.log.display(),
                    first.status.as_str()
                ),
                Some(anchor),
            );
        }
        if let Some(first) = part.changed.first() {
            self.warn(
                Level::Warning,
                about,
                format!(
                    "{} run(s) have files changed or missing since they ran (e.g. `{}`): their logs count as data repro did not make",
                    part.changed.len(),
                    first.display()
                ),
                Some(anchor),
            );
        }
        for unreadable in &part.unreadable {
            self.warn(
                Level::Warning,
                about,
                format!(
                    "manifest `{}` cannot be read: its run is not trusted",
                    unreadable.display()
                ),
                Some(anchor),
            );
        }
        if part.foreign > 0 {
            self.warn(
                Level::Note,
                about,
                format!(
                    "{} data file(s) not made by repro ({})",
                    part.foreign,
                    part.foreign_from.join("; ")
                ),
                Some(anchor),
            );
        }
    }
}

/// What `repro render` is given to draw this figure.
fn render_word(named: &NamedRecipe, spec: &PlotSpec) -> String {
    if named.is_papers() {
        spec.figure.clone()
    } else {
        named.name.clone()
    }
}

/// The archive of the paper's published data that repro ships (`data/published.tar.zst`).
const BUNDLED: &str = "published.tar.zst";

/// How the data in the folder was made, where it is not the real commands: the fake engine's
/// commands, or the merge of the published data.
fn made_with(
    named: &NamedRecipe,
    parts: &[PartProvenance],
    data: Option<&DataOrigin>,
    results: &str,
) -> Vec<String> {
    match data {
        Some(DataOrigin::Simulated) => {
            let iterations = parts.iter().map(|p| p.iterations).max().unwrap_or(1).max(1);
            let engine = Engine::Fake {
                iterations,
                results,
            };
            reproduce::run_steps(named, &Machines::default(), engine)
                .into_iter()
                .map(|s| s.command)
                .collect()
        }
        Some(DataOrigin::NotMadeByRepro { from }) => from
            .iter()
            .flatten()
            .map(|source| {
                let bundled = if source == BUNDLED {
                    "   # repro's copy: data/published.tar.zst"
                } else {
                    ""
                };
                format!("repro merge {source} --results {results}{bundled}")
            })
            .collect(),
        _ => vec![],
    }
}

/// Claims not supported, and those that could not be checked.
fn claim_warnings(checked: &[Checked], sections: &[Section]) -> Vec<Warning> {
    let anchor_of = |figure: &str| {
        sections
            .iter()
            .find(|s| s.heading == format!("Figure {figure}"))
            .map(|s| s.anchor.clone())
    };
    checked
        .iter()
        .filter_map(|c| {
            let text = match c.verdict() {
                Verdict::NotSupported => format!("not supported: {}", c.detail()),
                Verdict::CannotCheck => format!("cannot be checked: {}", c.detail()),
                _ => return None,
            };
            Some(Warning {
                level: Level::Warning,
                about: format!("claim {}", c.claim.id),
                text,
                anchor: anchor_of(&c.claim.figure),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_from_several_kinds_of_machine_says_so() {
        let part = |machines: &[&str]| PartProvenance {
            machines: machines.iter().map(|m| m.to_string()).collect(),
            ..PartProvenance::default()
        };
        let one = [part(&["EPYC · 1 × H100"]), part(&["EPYC · 1 × H100"])];
        assert_eq!(machine_kinds_note(&one), None);
        let two = [part(&["EPYC · 1 × H100"]), part(&["Xeon · 1 × L40S"])];
        assert_eq!(
            machine_kinds_note(&two).as_deref(),
            Some("its runs come from 2 kinds of machine: EPYC · 1 × H100; Xeon · 1 × L40S")
        );
    }
}
