//! `repro models fetch`: download models of `models.toml` into `<models-dir>/<name>/`.
//! Files are fetched in parallel into `.partial/`, verified (size, sha256 or git blob id), and
//! moved into place; the manifest is written last, so a model is present only when complete.
//! An interrupted fetch resumes from the partial files.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::hub::{Hub, HubFile, RepoInfo};
use super::{check_file, io, ModelError, ModelFile, ModelManifest, Origin, PARTIAL_DIR};
use crate::config::Model;

// Progress of a fetch goes to the shared stream, drawn by the CLI.
pub use crate::progress::Silent;
use crate::progress::{Event, Progress};

/// What fetching one model did.
#[derive(Debug, PartialEq, Eq)]
pub enum Fetched {
    Downloaded { files: usize, bytes: u64 },
    AlreadyPresent,
}

fn to_record(file: &HubFile) -> ModelFile {
    ModelFile {
        path: file.path.clone(),
        size: file.size,
        sha256: file.sha256.clone(),
        git_blob: if file.sha256.is_none() {
            file.blob_id.clone()
        } else {
            None
        },
    }
}

/// Fetch one model (idempotent: a complete model with the same repo and revision is left alone).
pub fn fetch_model(
    hub: &Hub,
    name: &str,
    model: &Model,
    dir: &Path,
    parallel: usize,
    progress: &dyn Progress,
) -> Result<Fetched, ModelError> {
    if already_present(dir, model)? {
        return Ok(Fetched::AlreadyPresent);
    }
    let info = hub.repo_info(&model.repo, &model.revision)?;
    let total: u64 = info.files.iter().map(|f| f.size).sum();
    check_space(dir, &info.files)?;
    progress.event(Event::DownloadStarted {
        name,
        files: info.files.len(),
        bytes: total,
    });

    fetch_files(hub, name, &model.repo, &info, dir, parallel, progress)?;
    let manifest = ModelManifest {
        format: 1,
        name: name.to_string(),
        origin: Origin::Hub {
            endpoint: hub.endpoint.clone(),
            repo: model.repo.clone(),
            revision: model.revision.clone(),
            commit: info.commit.clone(),
        },
        files: info.files.iter().map(to_record).collect(),
    };
    manifest.write(dir)?;
    let partial = dir.join(PARTIAL_DIR);
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(io(&partial))?;
    }
    progress.event(Event::DownloadFinished { name });
    Ok(Fetched::Downloaded {
        files: info.files.len(),
        bytes: total,
    })
}

/// Whether `dir` already holds this model complete (same repo and revision, every file there);
/// a synthetic model there is an error, not something to overwrite.
fn already_present(dir: &Path, model: &Model) -> Result<bool, ModelError> {
    if let Some(manifest) = ModelManifest::read(dir)? {
        if manifest.is_synthetic() {
            return Err(ModelError::Corrupt {
                path: dir.display().to_string(),
                problem: "holds a synthetic model (`repro models synth`); remove the folder first to download the real one".into(),
            });
        }
        if let Origin::Hub { repo, revision, .. } = &manifest.origin {
            if repo == &model.repo
                && revision == &model.revision
                && manifest.files.iter().all(|f| dir.join(&f.path).is_file())
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Fetch every file of `info` with up to `parallel` (1 to 8) threads; the first error stops
/// the others from starting new files and is the one returned.
fn fetch_files(
    hub: &Hub,
    name: &str,
    repo: &str,
    info: &RepoInfo,
    dir: &Path,
    parallel: usize,
    progress: &dyn Progress,
) -> Result<(), ModelError> {
    let next = AtomicUsize::new(0);
    let first_error: Mutex<Option<ModelError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..parallel.clamp(1, 8) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(file) = info.files.get(index) else {
                    break;
                };
                if first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                    break;
                }
                if let Err(e) = fetch_file(hub, name, repo, &info.commit, file, dir, progress) {
                    if let Ok(mut slot) = first_error.lock() {
                        slot.get_or_insert(e);
                    }
                    break;
                }
            });
        }
    });
    if let Some(error) = first_error.into_inner().ok().flatten() {
        return Err(error);
    }
    Ok(())
}

/// Stop before downloading what the disk cannot hold (files already there or partly there
/// count for what they have).
fn check_space(dir: &Path, files: &[HubFile]) -> Result<(), ModelError> {
    let have = |path: &Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let need: u64 = files
        .iter()
        .map(|f| {
            let done = have(&dir.join(&f.path)).max(have(
                &dir.join(PARTIAL_DIR).join(format!("{}.part", f.path)),
            ));
            f.size.saturating_sub(done)
        })
        .sum();
    match crate::sys::free_bytes(dir) {
        Some(free) if free < need => Err(ModelError::NoSpace {
            dir: dir.to_path_buf(),
            need,
            free,
        }),
        _ => Ok(()),
    }
}

/// One file: skip it if already in place and correct, else download (resuming), verify, move in.
fn fetch_file(
    hub: &Hub,
    name: &str,
    repo: &str,
    commit: &str,
    file: &HubFile,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<(), ModelError> {
    let record = to_record(file);
    if check_file(dir, &record).is_ok() {
        progress.event(Event::Downloaded {
            name,
            bytes: file.size,
        });
        return Ok(());
    }
    let partial = dir.join(PARTIAL_DIR).join(format!("{}.part", file.path));
    hub.download(repo, commit, &file.path, &partial, &mut |n| {
        progress.event(Event::Downloaded { name, bytes: n })
    })?;
    let got = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    if got < file.size {
        // The server stopped early without an error: keep what came, the next fetch resumes.
        return Err(ModelError::Hub(super::hub::HubError::Network {
            url: format!("{}/{repo}/resolve/{commit}/{}", hub.endpoint, file.path),
            message: format!("connection lost after {got} of {} bytes", file.size),
        }));
    }
    let staged = ModelFile {
        path: format!("{PARTIAL_DIR}/{}.part", file.path),
        ..record.clone()
    };
    if let Err(e) = check_file(dir, &staged) {
        // A corrupt download must not be resumed from: start that file over next time.
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let dest = dir.join(&file.path);
    crate::artifacts::stage::move_into_place(&partial, &dest).map_err(io(&dest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_the_disk_cannot_hold_stops_before_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        let huge = HubFile {
            path: "model.safetensors".into(),
            size: u64::MAX / 4,
            sha256: None,
            blob_id: None,
        };
        let err = check_space(dir.path(), &[huge]).unwrap_err().to_string();
        assert!(err.contains("free space, or pass --models-dir"), "{err}");
        let small = HubFile {
            path: "config.json".into(),
            size: 10,
            sha256: None,
            blob_id: None,
        };
        check_space(dir.path(), &[small]).unwrap();
    }
}
