//! Recipes (`figures/<id>.toml`): one per experiment of the paper — the run matrix (the paper's
//! `env.json`), iterations, the split across machines or cases, and the figures drawn from it.

pub mod bench;
pub mod benchmark;
pub mod env_json;
pub mod labels;
pub mod matrix;
pub mod model;
pub mod offline;
pub mod paper;
pub mod plot;
pub(crate) mod shlex;
pub mod tenants;
mod toml_text;

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::config::{error_at, ConfigError, Models, Seg};
pub use matrix::{Combination, ParamValue, Params, Scalar};
pub use plot::{Chart, PlotSpec};

/// The recipes shipped with repro, used where the project has no `figures/` folder.
pub const BUILTIN: [(&str, &str); 11] = [
    ("1", include_str!("../../figures/1.toml")),
    ("2", include_str!("../../figures/2.toml")),
    ("7", include_str!("../../figures/7.toml")),
    ("9", include_str!("../../figures/9.toml")),
    ("10", include_str!("../../figures/10.toml")),
    ("11", include_str!("../../figures/11.toml")),
    ("12", include_str!("../../figures/12.toml")),
    ("13", include_str!("../../figures/13.toml")),
    ("14", include_str!("../../figures/14.toml")),
    ("15", include_str!("../../figures/15.toml")),
    ("rest", include_str!("../../figures/rest.toml")),
];

/// Whether `name` can be a results folder of its own: one plain component.
fn is_folder_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains('/')
        && !name.contains('\\')
        && name != "replaced"
}

/// Ids of the shipped recipes, in order.
pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(id, _)| *id)
}

/// The names of the recipe files in `dir` (`my-sweep` for `my-sweep.toml`).
fn recipe_stems(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".toml").map(str::to_string)
        })
        .collect()
}

/// One experiment: the paper's, or anyone's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub title: String,
    /// The results folder of its data (`figure-7`, `figure-rest`); by default the recipe's
    /// name (its file name without `.toml`).
    #[serde(default)]
    pub folder: String,
    pub run: RunSpec,
    #[serde(default)]
    pub split: Option<Split>,
    #[serde(default, rename = "plot")]
    pub plots: Vec<PlotSpec>,
}

/// One vLLM version, or several (figure 1 times each in its own environment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Versions {
    One(String),
    Each(Vec<String>),
}

impl Versions {
    pub fn list(&self) -> Vec<&str> {
        match self {
            Versions::One(v) => vec![v.as_str()],
            Versions::Each(vs) => vs.iter().map(String::as_str).collect(),
        }
    }
}

/// Where a recipe's runs put their logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// `uncached/output_<label>.txt` (warm-up), `iterations/<i>/output_<label>.txt`.
    #[default]
    Paper,
    /// Figure 1: `iterations/output_<version>.txt`, the warm-up run overwritten by the timed one.
    Versions,
    /// Figure 12: `<model>_uncached.txt`, `<model>.txt` and `cpu_usage.json` in the folder.
    Flat,
    /// Several releases, each a folder of the paper's layout of its own:
    /// `vllm-<version>/{uncached,iterations/<i>}/output_<label>.txt` (the paper's layout would
    /// give every version the same log).
    Releases,
}

/// How the averaged table orders its labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelOrder {
    /// The run order of the matrix (the paper averaged before re-sorting its files).
    #[default]
    Recipe,
    /// The shell's glob order of the log names.
    Glob,
}

/// The run matrix and how often to run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    pub vllm: Versions,
    #[serde(default)]
    pub layout: Layout,
    /// Timed iterations after the warm-up.
    #[serde(default = "five")]
    pub iterations: u32,
    /// Run once first and keep it as `uncached/` (not averaged).
    #[serde(default = "yes")]
    pub warmup: bool,
    /// Longest a single run may take before it is stopped and recorded as timed out.
    #[serde(default = "one_hour", with = "humantime_serde")]
    pub timeout: Duration,
    #[serde(default)]
    pub avg_label_order: LabelOrder,
    /// Sample per-core CPU usage at 10 Hz beside each run (figure 12).
    #[serde(default)]
    pub sample_cpu: bool,
    /// Environment of every run.
    #[serde(default)]
    pub env: IndexMap<String, Scalar>,
    /// Params of every config; a list value is swept.
    #[serde(default)]
    pub default_params: Params,
    pub configs: Vec<Params>,
}

fn five() -> u32 {
    5
}
fn yes() -> bool {
    true
}
fn one_hour() -> Duration {
    Duration::from_secs(3600)
}

/// Which axis a split figure compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitKind {
    Gpu,
    Cpu,
    Case,
}

impl SplitKind {
    /// Whether a folder name is a split part's (`gpu1`, `cpu0`, `case1`).
    pub fn is_part_name(name: &str) -> bool {
        [SplitKind::Gpu, SplitKind::Cpu, SplitKind::Case]
            .iter()
            .any(|kind| {
                name.strip_prefix(kind.as_str())
                    .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SplitKind::Gpu => "gpu",
            SplitKind::Cpu => "cpu",
            SplitKind::Case => "case",
        }
    }
}

/// A figure whose runs are split in parts (two machines, two cases).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    pub kind: SplitKind,
    pub parts: Vec<Part>,
}

/// One part of a split, and what differs in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub index: u32,
    pub description: String,
    /// Evict the model's files from the page cache before each run (cold SSD loads).
    #[serde(default)]
    pub evict_page_cache: bool,
    /// This part's configs, where they differ from the recipe's.
    #[serde(default)]
    pub configs: Option<Vec<Params>>,
}

impl Split {
    pub fn part(&self, index: u32) -> Option<&Part> {
        self.parts.iter().find(|p| p.index == index)
    }

    /// The folder name of a part: `gpu1`.
    pub fn part_name(&self, index: u32) -> String {
        format!("{}{index}", self.kind.as_str())
    }
}

/// A recipe that cannot be found.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("no recipe `{id}`{did_you_mean}: expected `{}`, a path to a recipe file (`….toml`), a figure of the paper (1–15, 17) or a shipped recipe ({})", path.display(), builtin_ids().collect::<Vec<_>>().join(", "))]
    NotFound {
        id: String,
        path: PathBuf,
        /// ` (did you mean `7`?)`, or empty.
        did_you_mean: String,
    },
    #[error("`{}` writes its results to `{folder}`, the folder of recipe `{other}` (`{}`): give it a `folder = \"…\"` of its own, or leave `folder` out (it defaults to the recipe's name)", path.display(), other_path.display())]
    FolderTaken {
        path: PathBuf,
        folder: String,
        other: String,
        other_path: PathBuf,
    },

    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl Recipe {
    /// Parse a recipe and check it against the models it names.
    pub fn parse(path: &Path, text: &str, models: Option<&Models>) -> Result<Recipe, ConfigError> {
        let recipe: Recipe = crate::config::from_toml(path, text).map_err(|error| {
            // Inside `[[plot]]` serde loses the field's place; find it there first.
            match plot::diagnose(text) {
                Some((span, message)) => ConfigError::at(path, text, Some(span.start), message),
                None => error,
            }
        })?;
        let mut recipe = recipe;
        recipe.check_words(path, text)?;
        if recipe.folder.is_empty() {
            recipe.folder = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        if !is_folder_name(&recipe.folder) {
            return Err(error_at(
                path,
                text,
                &[Seg::Key("folder")],
                format!(
                    "`folder = \"{}\"` must be one folder name (no `/`, not hidden, not `replaced`)",
                    recipe.folder
                ),
            ));
        }
        recipe.check_cache(path, text)?;
        if let Some(models) = models {
            recipe.check_models(path, text, models)?;
        }
        if let Some(split) = &recipe.split {
            if split.parts.is_empty() {
                return Err(error_at(
                    path,
                    text,
                    &[Seg::Key("split")],
                    "a split needs at least one [[split.parts]]",
                ));
            }
        }
        Ok(recipe)
    }

    /// Every table of params, with where it is in the file: `[run] default_params`, each of
    /// `[run] configs`, each of each split part's `configs`.
    fn param_tables(&self) -> Vec<(Vec<Seg<'static>>, &Params)> {
        use Seg::{Index, Key};
        let mut tables = vec![(
            vec![Key("run"), Key("default_params")],
            &self.run.default_params,
        )];
        for (i, config) in self.run.configs.iter().enumerate() {
            tables.push((vec![Key("run"), Key("configs"), Index(i)], config));
        }
        for (j, part) in self.split.iter().flat_map(|s| s.parts.iter().enumerate()) {
            for (i, config) in part.configs.iter().flatten().enumerate() {
                let at = vec![
                    Key("split"),
                    Key("parts"),
                    Index(j),
                    Key("configs"),
                    Index(i),
                ];
                tables.push((at, config));
            }
        }
        tables
    }

    /// `cache` is `"cold"` or `"warm"` (or a list of them).
    fn check_cache(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        for (at, params) in self.param_tables() {
            let Some(value) = params.get(matrix::CACHE_PARAM) else {
                continue;
            };
            let values = match value {
                ParamValue::One(one) => std::slice::from_ref(one),
                ParamValue::Sweep(list) => list.as_slice(),
            };
            let bad = values
                .iter()
                .find(|v| !matches!(v, Scalar::Str(s) if s == "cold" || s == "warm"));
            if let Some(bad) = bad {
                let mut at = at.clone();
                at.push(Seg::Key(matrix::CACHE_PARAM));
                return Err(error_at(
                    path,
                    text,
                    &at,
                    format!("`cache` is \"cold\" (fresh compile caches every run) or \"warm\" (the caches its warm-up left), not {}", bad.python_str()),
                ));
            }
        }
        Ok(())
    }

    /// Every model a run names is in models.toml, or a hub id or folder loaded as given.
    fn check_models(&self, path: &Path, text: &str, models: &Models) -> Result<(), ConfigError> {
        for (at, params) in self.param_tables() {
            let Some(value) = params.get("model") else {
                continue;
            };
            let names = match value {
                ParamValue::One(one) => std::slice::from_ref(one),
                ParamValue::Sweep(list) => list.as_slice(),
            };
            for name in names.iter().filter_map(|v| match v {
                Scalar::Str(s) => Some(s),
                _ => None,
            }) {
                if model::source(models, name).is_none() {
                    let mut at = at.clone();
                    at.push(Seg::Key("model"));
                    return Err(error_at(
                        path,
                        text,
                        &at,
                        format!(
                            "model `{name}` is not in models.toml (add it there, or fix the name)"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every string param must split into the engine's words as `run_test.py` splits it.
    fn check_words(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        for (at, params) in self.param_tables() {
            for (key, value) in params {
                let values = match value {
                    ParamValue::One(one) => std::slice::from_ref(one),
                    ParamValue::Sweep(list) => list.as_slice(),
                };
                for s in values.iter().filter_map(|v| match v {
                    Scalar::Str(s) if !s.trim_start().starts_with('{') => Some(s),
                    _ => None,
                }) {
                    if let Err(e) = shlex::split(s) {
                        let mut at = at.clone();
                        at.push(Seg::Key(key));
                        return Err(error_at(
                        path,
                        text,
                        &at,
                        format!("`{key}`: the value does not split into arguments as Python's shlex.split does ({e}): close its quotes or escape the character"),
                    ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Load a recipe file anywhere (`repro figure path/to/x.toml`).
    pub fn load_file(path: &Path, models: Option<&Models>) -> Result<Recipe, RecipeError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Recipe::parse(path, &text, models)?)
    }

    /// Load `<dir>/<id>.toml`, or the shipped recipe of that id where the file is absent.
    pub fn load(dir: &Path, id: &str, models: Option<&Models>) -> Result<Recipe, RecipeError> {
        let path = dir.join(format!("{id}.toml"));
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
                path: path.clone(),
                source,
            })?;
            return Ok(Recipe::parse(&path, &text, models)?);
        }
        match BUILTIN.iter().find(|(builtin, _)| *builtin == id) {
            Some((_, text)) => Ok(Recipe::parse(
                Path::new(&format!("<builtin>/figures/{id}.toml")),
                text,
                models,
            )?),
            None => {
                let own = recipe_stems(dir);
                let mut names: Vec<&str> = builtin_ids().collect();
                names.extend(own.iter().map(String::as_str));
                Err(RecipeError::NotFound {
                    id: id.to_string(),
                    path,
                    did_you_mean: crate::suggest::did_you_mean(id, names),
                })
            }
        }
    }

    /// The configs of a part (or of the whole recipe without a split).
    pub fn configs(&self, part: Option<u32>) -> &[Params] {
        part.and_then(|index| self.split.as_ref()?.part(index)?.configs.as_deref())
            .unwrap_or(&self.run.configs)
    }

    /// Every run of the matrix of a part, in the paper's order.
    pub fn combinations(&self, part: Option<u32>) -> Vec<Combination> {
        self.configs(part)
            .iter()
            .flat_map(|config| matrix::expand(&self.run.default_params, config))
            .collect()
    }

    /// Every run of every part.
    pub fn all_combinations(&self) -> Vec<Combination> {
        let mut all = self.combinations(None);
        if let Some(split) = &self.split {
            for part in &split.parts {
                all.extend(self.combinations(Some(part.index)));
            }
        }
        all
    }

    /// The order of the averaged table's labels, where the recipe fixes one.
    pub fn label_order(&self, part: Option<u32>) -> Option<Vec<String>> {
        match self.run.avg_label_order {
            LabelOrder::Glob => None,
            LabelOrder::Recipe => Some(
                self.combinations(part)
                    .iter()
                    .map(Combination::log_name)
                    .collect(),
            ),
        }
    }

    /// The split part a folder name (`gpu1`) stands for.
    pub fn part_of_folder(&self, folder: &str) -> Option<u32> {
        let split = self.split.as_ref()?;
        let index = folder.strip_prefix(split.kind.as_str())?.parse().ok()?;
        split.part(index).map(|p| p.index)
    }

    /// The split part a group folder under the figure folder stands for: `None` for the figure
    /// folder itself, or a folder that is no part.
    pub fn part_of_group(&self, figure_dir: &Path, group_dir: &Path) -> Option<u32> {
        match group_dir.strip_prefix(figure_dir).ok()?.to_str()? {
            "" => None,
            folder => self.part_of_folder(folder),
        }
    }
}

#[cfg(test)]
mod tests;
