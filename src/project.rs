//! The project's editable files: `figures/*.toml`, `models.toml`, `machines.toml`. Each is read
//! from the project folder where it exists there, else the copy shipped inside repro is used, so
//! `repro` works from any folder.

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, Machines, Models};
use crate::recipe::{Recipe, RecipeError};

pub const MODELS_TOML: &str = include_str!("../models.toml");
pub const MACHINES_TOML: &str = include_str!("../machines.toml");

/// Where the project's files are looked up.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
}

impl Project {
    pub fn new(root: impl Into<PathBuf>) -> Project {
        Project { root: root.into() }
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

    /// The recipe `figures/<id>.toml`, checked against `models.toml`.
    pub fn recipe(&self, id: &str) -> Result<Recipe, RecipeError> {
        let models = self.models()?;
        Recipe::load(&self.root.join("figures"), id, Some(&models))
    }

    /// The recipe whose data lives in a results folder (`figure-10` → recipe `10`).
    pub fn recipe_for_folder(&self, folder: &str) -> Result<Option<Recipe>, RecipeError> {
        let Some(id) = folder.strip_prefix("figure-") else {
            return Ok(None);
        };
        let known = crate::recipe::builtin_ids().any(|b| b == id)
            || self
                .root
                .join("figures")
                .join(format!("{id}.toml"))
                .is_file();
        if !known {
            return Ok(None);
        }
        self.recipe(id).map(Some)
    }
}
