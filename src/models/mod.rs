//! Models on disk: `repro models fetch` downloads them from a Hugging Face hub (resumable,
//! verified), `list` shows what is present, `verify` re-checks it, `synth` makes random-weight
//! ones locally. Each model folder carries `.repro-model.json`: where it came from and every
//! file's size and hash, so a present model can be told from a partial or altered one.

pub mod choose;
pub mod fetch;
pub mod hub;
pub mod synth;
pub mod tensorize;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::artifacts::atomic_write;

pub const MANIFEST: &str = ".repro-model.json";
/// Downloads in progress: `<model>/.partial/<file>.part`.
pub const PARTIAL_DIR: &str = ".partial";

/// How a model folder came to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Downloaded from a hub at this commit.
    Hub {
        endpoint: String,
        repo: String,
        revision: String,
        commit: String,
    },
    /// Made locally with random weights (`repro models synth`): never the paper's model.
    Synthetic { shape_of: String, layers: u32 },
    /// The tensorizer copy of another present model (`repro models tensorize`).
    Tensorized {
        from: String,
        /// A hash of the source's manifest when the copy was made: a changed source makes the
        /// copy stale.
        source_id: String,
        /// Where the source came from (synthetic sources make synthetic copies).
        source: Box<Origin>,
        vllm: String,
        tensorizer: String,
    },
}

impl Origin {
    /// Random weights, directly or through the model a copy was made from.
    pub fn is_synthetic(&self) -> bool {
        match self {
            Origin::Hub { .. } => false,
            Origin::Synthetic { .. } => true,
            Origin::Tensorized { source, .. } => source.is_synthetic(),
        }
    }
}

/// One file of a model and how to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFile {
    pub path: String,
    pub size: u64,
    /// Where the hub gives one (LFS files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The git blob id where the hub gives one (small files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_blob: Option<String>,
}

/// `.repro-model.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelManifest {
    pub format: u32,
    pub name: String,
    pub origin: Origin,
    pub files: Vec<ModelFile>,
}

/// Something wrong with a model on disk or its download. Nothing half-written is left as the
/// model: partial files stay under `.partial/` for the next `fetch` to resume.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read or write `{}`: {}", path.display(), crate::sys::problem(source, path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unknown model `{0}`{1} (see models.toml; `repro models list` shows them all)")]
    Unknown(String, String),
    #[error(transparent)]
    Hub(#[from] hub::HubError),
    #[error("`{path}`: {problem}")]
    Corrupt { path: String, problem: String },
    #[error("`{}` needs {} more but its disk has {} free: free space, or pass --models-dir DIR on a larger disk", dir.display(), indicatif::HumanBytes(*need), indicatif::HumanBytes(*free))]
    NoSpace { dir: PathBuf, need: u64, free: u64 },
    #[error("`{}` has no {MANIFEST}: not fetched by repro, or the fetch did not finish", dir.display())]
    NoManifest { dir: PathBuf },
}

impl ModelError {
    /// `name` is not a model of `models`: the error, with the nearest name where one is near.
    pub fn unknown(name: &str, models: &crate::config::models::Models) -> ModelError {
        let names = models.models.keys().chain(models.tensorized.keys());
        ModelError::Unknown(
            name.to_string(),
            crate::suggest::did_you_mean(name, names.map(String::as_str)),
        )
    }
}

crate::io_adapter!(pub(crate) fn io -> ModelError);

impl ModelManifest {
    pub fn read(dir: &Path) -> Result<Option<ModelManifest>, ModelError> {
        let path = dir.join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| ModelError::Corrupt {
                        path: path.display().to_string(),
                        problem: format!("unreadable manifest: {e}"),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    pub fn write(&self, dir: &Path) -> Result<(), ModelError> {
        let path = dir.join(MANIFEST);
        atomic_write(&path, &serde_json::to_vec_pretty(self).expect("plain data"))
            .map_err(io(&path))
    }

    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    pub fn is_synthetic(&self) -> bool {
        self.origin.is_synthetic()
    }
}

/// `sha256` of a file, hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// The git blob id of a file: sha1 of `blob <len>\0<content>`.
pub fn git_blob_file(path: &Path) -> std::io::Result<String> {
    use sha1::Digest;
    let len = std::fs::metadata(path)?.len();
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("blob {len}\0").as_bytes());
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Check one file against its record: size, then the hash the hub gave.
pub fn check_file(dir: &Path, file: &ModelFile) -> Result<(), ModelError> {
    let path = dir.join(&file.path);
    let corrupt = |problem: String| ModelError::Corrupt {
        path: path.display().to_string(),
        problem,
    };
    let size = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(corrupt("missing".into()))
        }
        Err(e) => return Err(io(&path)(e)),
    };
    if size != file.size {
        return Err(corrupt(format!("{size} bytes, expected {}", file.size)));
    }
    if let Some(want) = &file.sha256 {
        let got = sha256_file(&path).map_err(io(&path))?;
        if &got != want {
            return Err(corrupt(format!("sha256 {got} ≠ {want}")));
        }
    } else if let Some(want) = &file.git_blob {
        let got = git_blob_file(&path).map_err(io(&path))?;
        if &got != want {
            return Err(corrupt(format!("git blob {got} ≠ {want}")));
        }
    }
    Ok(())
}

/// Re-check every file of a present model; the problems found (empty: all good).
pub fn verify(dir: &Path) -> Result<Vec<ModelError>, ModelError> {
    let manifest = ModelManifest::read(dir)?.ok_or_else(|| ModelError::NoManifest {
        dir: dir.to_path_buf(),
    })?;
    Ok(manifest
        .files
        .iter()
        .filter_map(|f| check_file(dir, f).err())
        .collect())
}

/// What `list` shows of one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    Absent,
    /// Files there but no manifest: a fetch that did not finish, or a copy made by hand.
    Incomplete,
    Present(ModelManifest),
}

pub fn presence(dir: &Path) -> Result<Presence, ModelError> {
    if !dir.exists() {
        return Ok(Presence::Absent);
    }
    Ok(match ModelManifest::read(dir)? {
        Some(m) => Presence::Present(m),
        None => Presence::Incomplete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_blob_matches_git() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "hello\n").unwrap();
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            git_blob_file(&path).unwrap(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn check_names_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "abc").unwrap();
        let file = ModelFile {
            path: "a".into(),
            size: 4,
            sha256: None,
            git_blob: None,
        };
        let err = check_file(dir.path(), &file).unwrap_err().to_string();
        assert!(err.contains("3 bytes, expected 4"), "{err}");
        let file = ModelFile {
            path: "a".into(),
            size: 3,
            sha256: Some("0".repeat(64)),
            git_blob: None,
        };
        assert!(check_file(dir.path(), &file)
            .unwrap_err()
            .to_string()
            .contains("sha256"));
    }
}
