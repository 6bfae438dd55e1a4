//! The project's editable files: `figures/*.toml`, `models.toml`, `machines.toml`. Each is read
//! from the project folder where it exists there, else the copy shipped inside repro is used, so
//! `repro` works from any folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::config::{ConfigError, Machines, Models};
use crate::recipe::{Recipe, RecipeError};

pub const MODELS_TOML: &str = include_str!("../models.toml");
pub const MACHINES_TOML: &str = include_str!("../machines.toml");

/// Where the project's files are looked up.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    /// [`Project::recipe_for_folder`]'s answers by folder name: each parses every recipe file,
    /// and a lab's tree asks it for each of its hundreds of folders (a tenth of tabling the
    /// published data went there). The recipe files do not change while a command reads them.
    folder_recipes: Arc<Mutex<HashMap<String, Option<Recipe>>>>,
    /// `(name, folder)` of every recipe that parses, for the same look-up.
    recipe_folders: Arc<OnceLock<Vec<(String, String)>>>,
}

impl Project {
    pub fn new(root: impl Into<PathBuf>) -> Project {
        Project {
            root: root.into(),
            folder_recipes: Arc::default(),
            recipe_folders: Arc::default(),
        }
    }

    fn file_or_builtin(
        &self,
        name: &str,
        builtin: &'static str,
    ) -> Result<(PathBuf, String), ConfigError> {
        let path = self.root.join(name);
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
                path: path.clone(),
                source,
            })?;
            Ok((path, text))
        } else {
            Ok((Path::new("<builtin>").join(name), builtin.to_string()))
        }
    }

    pub fn models(&self) -> Result<Models, ConfigError> {
        let (path, text) = self.file_or_builtin("models.toml", MODELS_TOML)?;
        Models::parse(&path, &text)
    }

    pub fn machines(&self) -> Result<Machines, ConfigError> {
        let (path, text) = self.file_or_builtin("machines.toml", MACHINES_TOML)?;
        crate::config::from_toml(&path, &text)
    }

    /// The recipe a command-line word names, checked against `models.toml`: a path to a
    /// `.toml` file, a figure of the paper (`3` is in recipe `rest`), a recipe of the project's
    /// `figures/` or a shipped one. Its results folder may not be another recipe's.
    pub fn named_recipe(&self, word: &str) -> Result<NamedRecipe, RecipeError> {
        let models = self.models()?;
        let path = Path::new(word);
        let named = if word.ends_with(".toml") || (word.contains('/') && path.is_file()) {
            NamedRecipe {
                name: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| word.to_string()),
                recipe: Recipe::load_file(path, Some(&models))?,
                file: path.to_path_buf(),
            }
        } else {
            let id = crate::recipe::paper::recipe_id(word).unwrap_or_else(|_| word.to_string());
            NamedRecipe {
                recipe: Recipe::load(&self.figures_dir(), &id, Some(&models))?,
                file: self.recipe_file(&id),
                name: id,
            }
        };
        self.check_folder(&named)?;
        Ok(named)
    }

    /// Every recipe: the paper's (the project's copy where it has one), then the project's own
    /// `figures/*.toml`, by name.
    pub fn all_recipes(&self) -> Result<Vec<NamedRecipe>, RecipeError> {
        let models = self.models()?;
        let mut names: Vec<String> = crate::recipe::builtin_ids().map(str::to_string).collect();
        names.extend(self.own_recipe_names());
        let mut all: Vec<NamedRecipe> = Vec::new();
        for name in names {
            let named = NamedRecipe {
                recipe: Recipe::load(&self.figures_dir(), &name, Some(&models))?,
                file: self.recipe_file(&name),
                name,
            };
            if let Some(other) = all.iter().find(|o| o.recipe.folder == named.recipe.folder) {
                return Err(folder_taken(&named, other));
            }
            all.push(named);
        }
        Ok(all)
    }

    /// The names of the project's recipes that are not the paper's, sorted.
    pub fn own_recipe_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.figures_dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let stem = name.strip_suffix(".toml")?.to_string();
                let builtin = crate::recipe::builtin_ids().any(|b| b == stem);
                (!builtin && !stem.starts_with('.') && e.path().is_file()).then_some(stem)
            })
            .collect();
        names.sort();
        names
    }

    fn figures_dir(&self) -> PathBuf {
        self.root.join("figures")
    }

    fn recipe_file(&self, name: &str) -> PathBuf {
        let path = self.figures_dir().join(format!("{name}.toml"));
        if path.is_file() {
            path
        } else {
            Path::new("<builtin>/figures").join(format!("{name}.toml"))
        }
    }

    /// A recipe may not write into another recipe's folder (a copy of `figures/7.toml` that kept
    /// `folder = "figure-7"`).
    fn check_folder(&self, named: &NamedRecipe) -> Result<(), RecipeError> {
        match self
            .unchecked_recipes()
            .find(|o| o.recipe.folder == named.recipe.folder && o.name != named.name)
        {
            Some(other) => Err(folder_taken(named, &other)),
            None => Ok(()),
        }
    }

    /// Every recipe that parses, not checked against models.toml: where only their folders
    /// matter, one recipe naming a model this project lacks must not stop the others.
    fn unchecked_recipes(&self) -> impl Iterator<Item = NamedRecipe> + '_ {
        let mut names: Vec<String> = crate::recipe::builtin_ids().map(str::to_string).collect();
        names.extend(self.own_recipe_names());
        names.into_iter().filter_map(|name| {
            let recipe = Recipe::load(&self.figures_dir(), &name, None).ok()?;
            Some(NamedRecipe {
                file: self.recipe_file(&name),
                name,
                recipe,
            })
        })
    }

    /// The recipe `figures/<id>.toml`, checked against `models.toml`.
    pub fn recipe(&self, id: &str) -> Result<Recipe, RecipeError> {
        let models = self.models()?;
        Recipe::load(&self.root.join("figures"), id, Some(&models))
    }

    /// The recipe whose data lives in a results folder (`figure-10` → recipe `10`, `my-sweep`
    /// → the project's recipe with that folder).
    pub fn recipe_for_folder(&self, folder: &str) -> Result<Option<Recipe>, RecipeError> {
        let known = |memo: &HashMap<String, Option<Recipe>>| memo.get(folder).cloned();
        if let Some(recipe) = self.folder_recipes.lock().ok().and_then(|m| known(&m)) {
            return Ok(recipe);
        }
        let folders = self.recipe_folders.get_or_init(|| {
            self.unchecked_recipes()
                .map(|n| (n.name, n.recipe.folder))
                .collect()
        });
        let recipe = match folders.iter().find(|(_, f)| f == folder) {
            Some((name, _)) => Some(self.named_recipe(name)?.recipe),
            None => None,
        };
        if let Ok(mut memo) = self.folder_recipes.lock() {
            memo.insert(folder.to_string(), recipe.clone());
        }
        Ok(recipe)
    }
}

/// What a command's `<recipe|DIR|all>` argument names.
#[derive(Debug, Clone)]
pub enum Target {
    /// `all`: every recipe.
    All,
    Recipe(Box<NamedRecipe>),
    /// A folder of results (`repro table DIR`).
    Folder(PathBuf),
}

impl Project {
    /// What `word` names — the one reading every command shares: `all`; a folder written as a
    /// path (with a `/`, or from `.`); a recipe by name or path; else a folder that no recipe
    /// is named after. Neither: the recipe's error, which says what was looked for.
    pub fn target(&self, word: &str) -> Result<Target, RecipeError> {
        let path = Path::new(word);
        let path_like = word.contains('/') || word.starts_with('.');
        if path_like && path.is_dir() {
            return Ok(Target::Folder(path.to_path_buf()));
        }
        if word == "all" {
            return Ok(Target::All);
        }
        match self.named_recipe(word) {
            Ok(named) => Ok(Target::Recipe(Box::new(named))),
            Err(_) if path.is_dir() => Ok(Target::Folder(path.to_path_buf())),
            Err(e) => Err(e),
        }
    }
}

/// A recipe and the name a user calls it by.
#[derive(Debug, Clone)]
pub struct NamedRecipe {
    /// `10`, `rest`, `my-sweep`.
    pub name: String,
    pub recipe: Recipe,
    /// Where it was read from (`figures/my-sweep.toml`, `<builtin>/figures/10.toml`).
    pub file: PathBuf,
}

impl NamedRecipe {
    /// Whether it is one of the paper's experiments.
    pub fn is_papers(&self) -> bool {
        crate::recipe::builtin_ids().any(|b| b == self.name)
    }
}

fn folder_taken(named: &NamedRecipe, other: &NamedRecipe) -> RecipeError {
    RecipeError::FolderTaken {
        path: named.file.clone(),
        folder: named.recipe.folder.clone(),
        other: other.name.clone(),
        other_path: other.file.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_names_all_a_recipe_or_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let project = Project::new(dir.path());
        assert!(matches!(project.target("all"), Ok(Target::All)));
        assert!(matches!(project.target("10"), Ok(Target::Recipe(r)) if r.name == "10"));
        let folder = dir.path().join("figure-10");
        std::fs::create_dir(&folder).unwrap();
        let word = folder.display().to_string();
        assert!(matches!(project.target(&word), Ok(Target::Folder(f)) if f == folder));
        // A folder written as a path wins over a recipe of the same name.
        let cwd_like = format!("{}/", folder.display());
        assert!(matches!(project.target(&cwd_like), Ok(Target::Folder(_))));
        assert!(project.target("no-such-recipe").is_err());
    }
}
