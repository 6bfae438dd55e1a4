//! `repro pack`: a results folder (or some figures of it) → one `.tar.zst`, deterministic for the
//! same content: sorted entries, zero mtimes and owners, fixed modes, a hash list first.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::entry::{hash_file, is_transient};
use super::{io_err, ArchiveError, PACK_MANIFEST};

/// One file of a pack, as listed in `repro-pack.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackedFile {
    pub path: String,
    pub size: u64,
    pub blake3: String,
    /// Where a merge brought this file from (`artifacts::origins`), for data that no run
    /// manifest describes; travels so the next folder still knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// `repro-pack.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackManifest {
    pub format: u32,
    pub files: Vec<PackedFile>,
}

/// What `pack` wrote.
#[derive(Debug)]
pub struct PackReport {
    pub archive: PathBuf,
    pub files: usize,
    pub bytes: u64,
}

/// Every regular file under `root/<folder>` for the given folders (all of `root` without), as
/// paths relative to `root`, sorted. Links are refused: a results folder has none.
pub fn collect_files(
    root: &Path,
    folders: Option<&[String]>,
) -> Result<Vec<PathBuf>, ArchiveError> {
    let starts: Vec<PathBuf> = match folders {
        Some(folders) => folders.iter().map(|f| root.join(f)).collect(),
        None => vec![root.to_path_buf()],
    };
    let mut files = Vec::new();
    for start in starts {
        for entry in walkdir::WalkDir::new(&start).follow_links(false) {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(&start).to_path_buf();
                ArchiveError::Io {
                    path,
                    source: e.into(),
                }
            })?;
            let rel = entry
                .path()
                .strip_prefix(root)
                .expect("walk stays under root")
                .to_path_buf();
            if is_transient(&rel) {
                continue;
            }
            let kind = entry.file_type();
            if kind.is_symlink() {
                return Err(ArchiveError::Hostile {
                    archive: root.to_path_buf(),
                    entry: rel.display().to_string(),
                    reason: "a symbolic link; results must be plain files",
                });
            }
            if kind.is_file() {
                files.push(rel);
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// A fixed header: `append_data` fills in the path (with a GNU long-name entry where needed).
fn header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    header
}

/// Each file with its size, hash and, where it was merged from another machine, its origin.
fn list_files(results: &Path, files: &[PathBuf]) -> Result<Vec<PackedFile>, ArchiveError> {
    let origins = crate::artifacts::origins::Origins::read(results);
    let mut listed = Vec::new();
    for rel in files {
        let path = results.join(rel);
        let size = std::fs::metadata(&path).map_err(io_err(&path))?.len();
        let blake3 = hash_file(&path).map_err(io_err(&path))?;
        let origin = origins.of(rel, &blake3).map(|o| o.from.clone());
        listed.push(PackedFile {
            path: rel.to_string_lossy().into_owned(),
            size,
            blake3,
            origin,
        });
    }
    Ok(listed)
}

/// Pack `results` (or only `folders` of it) into `out`, written through a temporary file. An
/// existing `out` is replaced only with `overwrite`; its folder must exist.
pub fn pack(
    results: &Path,
    folders: Option<&[String]>,
    out: &Path,
    overwrite: bool,
) -> Result<PackReport, ArchiveError> {
    if out.exists() && !overwrite {
        return Err(ArchiveError::Exists {
            path: out.to_path_buf(),
        });
    }
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(ArchiveError::NoFolder {
            path: dir.to_path_buf(),
        });
    }
    let files = collect_files(results, folders)?;
    if files.is_empty() {
        return Err(ArchiveError::Empty {
            path: results.to_path_buf(),
        });
    }
    let listed = list_files(results, &files)?;
    let manifest = serde_json::to_vec_pretty(&PackManifest {
        format: 1,
        files: listed.clone(),
    })
    .expect("serialising plain data cannot fail");

    let tmp = crate::artifacts::temp_file_in(dir, crate::artifacts::layout::TEMP_PREFIX)
        .map_err(io_err(dir))?;
    let encoder = zstd::Encoder::new(tmp.as_file(), 10).map_err(io_err(out))?;
    let mut builder = tar::Builder::new(encoder);
    builder.mode(tar::HeaderMode::Deterministic);
    let mut append =
        |name: &str, data: &mut dyn std::io::Read, size: u64| -> Result<(), ArchiveError> {
            builder
                .append_data(&mut header(size), name, data)
                .map_err(io_err(out))
        };
    append(
        PACK_MANIFEST,
        &mut manifest.as_slice(),
        manifest.len() as u64,
    )?;
    let mut bytes = 0;
    for file in &listed {
        let path = results.join(&file.path);
        let mut reader = std::fs::File::open(&path).map_err(io_err(&path))?;
        append(&file.path, &mut reader, file.size)?;
        bytes += file.size;
    }
    let encoder = builder.into_inner().map_err(io_err(out))?;
    let mut written = encoder.finish().map_err(io_err(out))?;
    written.flush().map_err(io_err(out))?;
    written.sync_all().map_err(io_err(out))?;
    tmp.persist(out).map_err(|e| ArchiveError::Io {
        path: out.to_path_buf(),
        source: e.error,
    })?;
    Ok(PackReport {
        archive: out.to_path_buf(),
        files: listed.len(),
        bytes,
    })
}
