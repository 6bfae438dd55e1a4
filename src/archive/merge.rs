//! `repro merge`: fold folders and archives from other machines into the local results.
//!
//! Every source is first unpacked or copied into a staging folder inside the results (so the
//! final moves are renames on one filesystem), checked entry by entry (no absolute paths, no
//! `..`, no links or devices, UTF-8 names) and compared with what is there. Identical files are
//! skipped; a differing file is a conflict that stops the merge before anything changes, unless
//! the user prefers a side. The moves are journalled: an interrupted merge is rolled back the
//! next time `merge` runs, so the results end as before.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::entry::{hash_file, is_transient, normalise, path_problem};
use super::pack::PackManifest;
use super::{io_err, ArchiveError, PACK_MANIFEST};
use crate::artifacts::atomic_write;

const JOURNAL: &str = ".repro-merge-journal.json";

/// Which side wins a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefer {
    Ours,
    Theirs,
}

#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    pub prefer: Option<Prefer>,
    /// Report what would happen, change nothing.
    pub dry_run: bool,
    /// Fault injection for tests: abort the process after this many moves.
    pub crash_after: Option<usize>,
}

/// A file present on both sides with different content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub path: PathBuf,
    pub ours: String,
    pub theirs: String,
    pub source: PathBuf,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: local blake3 {} ≠ {} in `{}`",
            self.path.display(),
            &self.ours[..16],
            &self.theirs[..16],
            self.source.display()
        )
    }
}

/// What a merge did (or would do).
#[derive(Debug, Default)]
pub struct MergeReport {
    pub added: Vec<PathBuf>,
    pub replaced: Vec<PathBuf>,
    pub identical: usize,
    pub kept_ours: usize,
    /// An interrupted earlier merge that was rolled back first.
    pub rolled_back: bool,
}

/// One move of the merge, as journalled.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Move {
    rel: PathBuf,
    staged: PathBuf,
    /// Where the replaced local file was set aside, for a rollback.
    backup: Option<PathBuf>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    staging: PathBuf,
    moves: Vec<Move>,
}

/// An incoming file in the staging folder.
struct Incoming {
    staged: PathBuf,
    hash: String,
    source: PathBuf,
}

fn is_archive(path: &Path) -> bool {
    let name = path.to_string_lossy();
    name.ends_with(".tar.zst") || name.ends_with(".tzst")
}

/// Copy a folder's files into staging, refusing links.
fn stage_folder(
    source: &Path,
    staging: &Path,
    into: &mut BTreeMap<PathBuf, Incoming>,
) -> Result<(), ArchiveError> {
    for rel in super::pack::collect_files(source, None)? {
        let staged = staging.join(format!("f{}", into.len()));
        let from = source.join(&rel);
        std::fs::copy(&from, &staged).map_err(io_err(&from))?;
        let hash = hash_file(&staged).map_err(io_err(&staged))?;
        add_incoming(
            into,
            rel,
            Incoming {
                staged,
                hash,
                source: source.to_path_buf(),
            },
        )?;
    }
    Ok(())
}

fn add_incoming(
    into: &mut BTreeMap<PathBuf, Incoming>,
    rel: PathBuf,
    incoming: Incoming,
) -> Result<(), ArchiveError> {
    if let Some(previous) = into.get(&rel) {
        if previous.hash != incoming.hash {
            // Two sources disagree with each other: a conflict no preference can settle.
            return Err(ArchiveError::Conflicts(vec![Conflict {
                path: rel,
                ours: previous.hash.clone(),
                theirs: incoming.hash,
                source: incoming.source,
            }]));
        }
        return Ok(());
    }
    into.insert(rel, incoming);
    Ok(())
}

/// Unpack an archive into staging, checking every entry before writing it.
fn stage_archive(
    archive: &Path,
    staging: &Path,
    into: &mut BTreeMap<PathBuf, Incoming>,
) -> Result<(), ArchiveError> {
    let file = std::fs::File::open(archive).map_err(io_err(archive))?;
    let decoder = zstd::Decoder::new(file).map_err(io_err(archive))?;
    let mut tar = tar::Archive::new(decoder);
    let hostile = |entry: String, reason| ArchiveError::Hostile {
        archive: archive.to_path_buf(),
        entry,
        reason,
    };
    let mut manifest: Option<PackManifest> = None;
    let mut from_archive = BTreeMap::new();
    for entry in tar.entries().map_err(io_err(archive))? {
        let mut entry = entry.map_err(io_err(archive))?;
        let raw = entry.path_bytes().into_owned();
        let name = String::from_utf8(raw).map_err(|e| {
            hostile(
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                "the path is not UTF-8",
            )
        })?;
        let path = PathBuf::from(&name);
        if let Some(reason) = path_problem(&path) {
            return Err(hostile(name, reason));
        }
        match entry.header().entry_type() {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Symlink => return Err(hostile(name, "a symbolic link")),
            tar::EntryType::Link => return Err(hostile(name, "a hard link")),
            tar::EntryType::Char | tar::EntryType::Block => {
                return Err(hostile(name, "a device file"))
            }
            tar::EntryType::Fifo => return Err(hostile(name, "a named pipe")),
            _ => return Err(hostile(name, "not a regular file")),
        }
        let rel = normalise(&path);
        if rel == Path::new(PACK_MANIFEST) {
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut text).map_err(io_err(archive))?;
            manifest = Some(
                serde_json::from_slice(&text)
                    .map_err(|_| hostile(name, "an unreadable repro-pack.json"))?,
            );
            continue;
        }
        if is_transient(&rel) {
            continue;
        }
        let staged = staging.join(format!("f{}", into.len() + from_archive.len()));
        let mut out = std::fs::File::create(&staged).map_err(io_err(&staged))?;
        std::io::copy(&mut entry, &mut out).map_err(io_err(archive))?;
        let hash = hash_file(&staged).map_err(io_err(&staged))?;
        from_archive.insert(
            rel,
            Incoming {
                staged,
                hash,
                source: archive.to_path_buf(),
            },
        );
    }
    if let Some(manifest) = manifest {
        for file in &manifest.files {
            let ok = from_archive
                .get(Path::new(&file.path))
                .is_some_and(|i| i.hash == file.blake3);
            if !ok {
                return Err(ArchiveError::HashMismatch {
                    archive: archive.to_path_buf(),
                    entry: file.path.clone(),
                });
            }
        }
    }
    for (rel, incoming) in from_archive {
        add_incoming(into, rel, incoming)?;
    }
    Ok(())
}

/// Undo an interrupted merge from its journal: remove what it added, restore what it replaced.
fn roll_back(results: &Path) -> Result<bool, ArchiveError> {
    let journal_path = results.join(JOURNAL);
    let Ok(text) = std::fs::read(&journal_path) else {
        return Ok(false);
    };
    let journal: Journal = serde_json::from_slice(&text).map_err(|e| ArchiveError::Io {
        path: journal_path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    for mv in journal.moves.iter().rev() {
        let dest = results.join(&mv.rel);
        match &mv.backup {
            Some(backup) if backup.exists() => {
                std::fs::rename(backup, &dest).map_err(io_err(&dest))?
            }
            Some(_) => {} // not yet moved aside: the local file is untouched
            None if !mv.staged.exists() && dest.exists() => {
                std::fs::remove_file(&dest).map_err(io_err(&dest))?;
                remove_empty_parents(results, &dest);
            }
            None => {}
        }
    }
    remove_dir_if_present(&journal.staging)?;
    std::fs::remove_file(&journal_path).map_err(io_err(&journal_path))?;
    Ok(true)
}

/// Remove the folders a merge created for a file, up to the results folder, where now empty.
fn remove_empty_parents(results: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == results || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

fn remove_dir_if_present(dir: &Path) -> Result<(), ArchiveError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(dir)(e)),
        _ => Ok(()),
    }
}

/// Merge `sources` (folders or `.tar.zst` archives) into `results`.
pub fn merge(
    results: &Path,
    sources: &[PathBuf],
    options: &MergeOptions,
) -> Result<MergeReport, ArchiveError> {
    std::fs::create_dir_all(results).map_err(io_err(results))?;
    let mut report = MergeReport {
        rolled_back: roll_back(results)?,
        ..MergeReport::default()
    };
    let staging = tempfile::Builder::new()
        .prefix(".repro-staging-")
        .tempdir_in(results)
        .map_err(io_err(results))?;

    let mut incoming = BTreeMap::new();
    for source in sources {
        if source.is_dir() {
            stage_folder(source, staging.path(), &mut incoming)?;
        } else if source.is_file() && is_archive(source) {
            stage_archive(source, staging.path(), &mut incoming)?;
        } else {
            return Err(ArchiveError::UnknownSource {
                path: source.clone(),
            });
        }
    }

    let mut moves = Vec::new();
    let mut conflicts = Vec::new();
    for (rel, file) in &incoming {
        let dest = results.join(rel);
        if dest.is_symlink() || dest.is_dir() {
            return Err(ArchiveError::Hostile {
                archive: file.source.clone(),
                entry: rel.display().to_string(),
                reason: "the local path is a folder or a link",
            });
        }
        if !dest.exists() {
            report.added.push(rel.clone());
            moves.push(Move {
                rel: rel.clone(),
                staged: file.staged.clone(),
                backup: None,
            });
            continue;
        }
        let ours = hash_file(&dest).map_err(io_err(&dest))?;
        if ours == file.hash {
            report.identical += 1;
            continue;
        }
        match options.prefer {
            Some(Prefer::Ours) => report.kept_ours += 1,
            Some(Prefer::Theirs) => {
                report.replaced.push(rel.clone());
                let backup = staging.path().join(format!("backup{}", moves.len()));
                moves.push(Move {
                    rel: rel.clone(),
                    staged: file.staged.clone(),
                    backup: Some(backup),
                });
            }
            None => conflicts.push(Conflict {
                path: rel.clone(),
                ours,
                theirs: file.hash.clone(),
                source: file.source.clone(),
            }),
        }
    }
    if !conflicts.is_empty() {
        return Err(ArchiveError::Conflicts(conflicts));
    }
    if options.dry_run || moves.is_empty() {
        return Ok(report);
    }
    apply(results, staging.path(), &moves, options.crash_after)?;
    Ok(report)
}

fn apply(
    results: &Path,
    staging: &Path,
    moves: &[Move],
    crash_after: Option<usize>,
) -> Result<(), ArchiveError> {
    let journal_path = results.join(JOURNAL);
    let journal = Journal {
        staging: staging.to_path_buf(),
        moves: moves.to_vec(),
    };
    atomic_write(
        &journal_path,
        &serde_json::to_vec(&journal).expect("plain data"),
    )
    .map_err(io_err(&journal_path))?;
    for (done, mv) in moves.iter().enumerate() {
        if crash_after == Some(done) {
            std::process::abort();
        }
        let dest = results.join(&mv.rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        if let Some(backup) = &mv.backup {
            std::fs::rename(&dest, backup).map_err(io_err(&dest))?;
        }
        std::fs::rename(&mv.staged, &dest).map_err(io_err(&dest))?;
    }
    std::fs::remove_file(&journal_path).map_err(io_err(&journal_path))?;
    Ok(())
}
