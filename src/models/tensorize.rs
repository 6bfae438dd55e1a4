//! `repro models tensorize`: the tensorizer copy of a present model (figure 14's `tensorizer`
//! load format), made by `python/tensorize_model.py` inside a vLLM environment — the paper's
//! `tensorize.py serialize`, reading the local model instead of the hub.
//!
//! The copy is built in `<models>/.<name>.partial/`, hashed, given its manifest and only then
//! moved to `<models>/<name>/`; a copy made from an older version of its source is stale and
//! made again. A folder repro did not make is never replaced.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{io, ModelError, ModelFile, ModelManifest, Origin, MANIFEST};
use crate::assets;

/// The weights file vLLM's tensorizer loader looks for in `--model DIR`.
pub const TENSORS_FILE: &str = "model.tensors";

/// How the copy relates to its source now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyState {
    /// Made from the source as it is now.
    Current,
    Missing,
    /// Made from another version of the source (re-fetched, re-synthesized).
    Stale,
    /// Something else is in the folder; repro will not replace it.
    Foreign(String),
}

/// The source's identity, as recorded in the copy: a hash of its manifest.
pub fn source_id(source: &ModelManifest) -> String {
    let json = serde_json::to_vec(source).expect("plain data");
    blake3::hash(&json).to_hex()[..16].to_string()
}

/// Whether `<models>/<name>` holds a current copy of `source`.
pub fn copy_state(dir: &Path, source: &ModelManifest) -> Result<CopyState, ModelError> {
    if !dir.exists() {
        return Ok(CopyState::Missing);
    }
    Ok(match ModelManifest::read(dir)? {
        None => CopyState::Foreign(format!(
            "`{}` exists but has no {MANIFEST}: not made by repro (remove it, or use another --models-dir)",
            dir.display()
        )),
        Some(ModelManifest {
            origin: Origin::Tensorized { source_id: id, .. },
            ..
        }) => {
            if id == source_id(source) {
                CopyState::Current
            } else {
                CopyState::Stale
            }
        }
        Some(_) => CopyState::Foreign(format!(
            "`{}` holds a model that is not a tensorizer copy (remove it, or use another --models-dir)",
            dir.display()
        )),
    })
}

/// One tensorize job.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    /// The vLLM environment's interpreter (it has `tensorizer`).
    pub python: &'a Path,
    pub cache: &'a Path,
    pub models_dir: &'a Path,
    /// The copy's name (models.toml `[tensorized.<name>]`).
    pub name: &'a str,
    /// The model it is made from.
    pub from: &'a str,
    /// The vLLM version of the environment, recorded in the manifest.
    pub vllm: &'a str,
    /// The environment's device: vLLM's CPU build needs its KV cache size and Inductor cache.
    pub device: crate::config::machines::Device,
    /// `VLLM_CPU_KVCACHE_SPACE` (GiB) on the CPU build.
    pub kv_cache_gib: u32,
    /// Make it again even if current.
    pub force: bool,
}

/// What `tensorize` did.
#[derive(Debug, PartialEq)]
pub enum Tensorized {
    Made { bytes: u64, took: Duration },
    AlreadyPresent,
}

/// What `tensorize_model.py` prints last.
#[derive(Debug, Deserialize)]
struct ScriptReport {
    vllm: String,
    tensorizer: String,
}

/// The log of a tensorize job: `<cache>/logs/tensorize-<name>.log`.
pub fn log_path(cache: &Path, name: &str) -> PathBuf {
    cache.join("logs").join(format!("tensorize-{name}.log"))
}

/// Make (or find current) the tensorizer copy `job.name` of `job.from`.
pub fn tensorize(job: &Job) -> Result<Tensorized, ModelError> {
    let source_dir = job.models_dir.join(job.from);
    let source = ModelManifest::read(&source_dir)?.ok_or_else(|| ModelError::Corrupt {
        path: source_dir.display().to_string(),
        problem: format!(
            "`{}` is not present: fetch it first (`repro models fetch {}`, or `repro models synth {}`)",
            job.from, job.from, job.from
        ),
    })?;
    let dir = job.models_dir.join(job.name);
    match copy_state(&dir, &source)? {
        CopyState::Current if !job.force => return Ok(Tensorized::AlreadyPresent),
        CopyState::Foreign(problem) => {
            return Err(ModelError::Corrupt {
                path: dir.display().to_string(),
                problem,
            })
        }
        _ => {}
    }
    let started = Instant::now();
    let staging = job.models_dir.join(format!(".{}.partial", job.name));
    remove_dir_if_exists(&staging)?;
    let report = run_script(job, &source_dir, &staging)?;
    let files = hash_files(&staging)?;
    if !files.iter().any(|f| f.path == TENSORS_FILE) {
        return Err(ModelError::Corrupt {
            path: staging.display().to_string(),
            problem: format!(
                "tensorize_model.py ended without writing {TENSORS_FILE} (log: `{}`)",
                log_path(job.cache, job.name).display()
            ),
        });
    }
    let manifest = ModelManifest {
        format: 1,
        name: job.name.to_string(),
        origin: Origin::Tensorized {
            from: job.from.to_string(),
            source_id: source_id(&source),
            source: Box::new(source.origin.clone()),
            vllm: report.vllm,
            tensorizer: report.tensorizer,
        },
        files,
    };
    manifest.write(&staging)?;
    swap_in(&staging, &dir)?;
    Ok(Tensorized::Made {
        bytes: manifest.total_size(),
        took: started.elapsed(),
    })
}

fn remove_dir_if_exists(dir: &Path) -> Result<(), ModelError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(dir)(e)),
        _ => Ok(()),
    }
}

/// Run the script, its output appended to the log; a failure names the log and shows its end.
fn run_script(job: &Job, source: &Path, staging: &Path) -> Result<ScriptReport, ModelError> {
    let scripts = assets::install(job.cache, &[assets::TENSORIZE_MODEL]).map_err(io(job.cache))?;
    let log = log_path(job.cache, job.name);
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let file = std::fs::File::create(&log).map_err(io(&log))?;
    let args: Vec<String> = vec![
        scripts
            .join(assets::TENSORIZE_MODEL.0)
            .display()
            .to_string(),
        "--model".into(),
        source.display().to_string(),
        "--out".into(),
        staging.display().to_string(),
    ];
    let mut expr = duct::cmd(job.python.as_os_str(), &args)
        .stderr_to_stdout()
        .stdout_file(file)
        .unchecked();
    let env = crate::env::harness::engine_env(job.cache, job.vllm, job.device, job.kv_cache_gib);
    for (k, v) in &env {
        expr = expr.env(k, v);
    }
    let status = expr.run().map_err(io(job.python))?.status;
    let tail = crate::artifacts::tail_lines(&log, 15);
    if !status.success() {
        let _ = std::fs::remove_dir_all(staging);
        return Err(ModelError::Corrupt {
            path: source.display().to_string(),
            problem: format!(
                "tensorize_model.py failed ({status}); the last lines of `{}`:\n{}",
                log.display(),
                tail.join("\n")
            ),
        });
    }
    tail.iter()
        .rev()
        .find_map(|line| serde_json::from_str::<ScriptReport>(line).ok())
        .ok_or_else(|| ModelError::Corrupt {
            path: log.display().to_string(),
            problem: "tensorize_model.py did not print its report line".into(),
        })
}

/// Every file of the staged copy with its size and sha256, sorted by path.
fn hash_files(dir: &Path) -> Result<Vec<ModelFile>, ModelError> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            io(&path)(e.into())
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let relative = path
            .strip_prefix(dir)
            .expect("under the folder walked")
            .to_string_lossy()
            .into_owned();
        files.push(ModelFile {
            path: relative,
            size: entry.metadata().map_err(|e| io(path)(e.into()))?.len(),
            sha256: Some(super::sha256_file(path).map_err(io(path))?),
            git_blob: None,
        });
    }
    Ok(files)
}

/// Replace `dir` (absent, or a copy repro made) with the complete `staging`.
fn swap_in(staging: &Path, dir: &Path) -> Result<(), ModelError> {
    crate::artifacts::stage::replace_dir(staging, dir).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub_manifest(commit: &str) -> ModelManifest {
        ModelManifest {
            format: 1,
            name: "m".into(),
            origin: Origin::Hub {
                endpoint: "e".into(),
                repo: "r".into(),
                revision: "main".into(),
                commit: commit.into(),
            },
            files: vec![],
        }
    }

    #[test]
    fn a_copy_of_an_older_source_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("m-tensorized");
        let source = hub_manifest("a");
        assert_eq!(copy_state(&copy, &source).unwrap(), CopyState::Missing);
        std::fs::create_dir(&copy).unwrap();
        assert!(matches!(
            copy_state(&copy, &source).unwrap(),
            CopyState::Foreign(_)
        ));
        let made = ModelManifest {
            format: 1,
            name: "m-tensorized".into(),
            origin: Origin::Tensorized {
                from: "m".into(),
                source_id: source_id(&source),
                source: Box::new(source.origin.clone()),
                vllm: "0.10.1.1".into(),
                tensorizer: "2.10.1".into(),
            },
            files: vec![],
        };
        made.write(&copy).unwrap();
        assert_eq!(copy_state(&copy, &source).unwrap(), CopyState::Current);
        assert_eq!(
            copy_state(&copy, &hub_manifest("b")).unwrap(),
            CopyState::Stale
        );
        hub_manifest("a").write(&copy).unwrap();
        assert!(matches!(
            copy_state(&copy, &source).unwrap(),
            CopyState::Foreign(_)
        ));
    }
}
