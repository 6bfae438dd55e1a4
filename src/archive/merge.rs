//! `repro merge`: fold folders and archives from other machines into the local results.
//!
//! Every source is first unpacked or copied into a staging folder inside the results (so the
//! final moves are renames on one filesystem), checked entry by entry (no absolute paths, no
//! `..`, no links or devices, UTF-8 names) and compared with what is there. Identical files are
//! skipped; a differing file is a conflict that stops the merge before anything changes, unless
//! the user prefers a side (a replaced local file is kept under `replaced/`, never lost). An
//! archive's files must be exactly those its `repro-pack.json` lists, with their hashes; an
//! archive without that list is merged only when the user says to trust it. The moves are
//! journalled: an interrupted merge is rolled back the next time `merge` runs, so the results
//! end as before. Where each merged file came from is recorded (`artifacts::origins`). A dry run
//! stages outside the results folder and writes nothing there.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::entry::{hash_file, is_transient, normalise, path_problem};
use super::pack::PackManifest;
use super::{io_err, ArchiveError, PACK_MANIFEST};
use crate::artifacts::atomic_write;
use crate::artifacts::origins::{Origin, Origins};
use crate::artifacts::replaced::Replaced;
use crate::artifacts::stage::move_into_place;

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
    /// Merge archives that carry no `repro-pack.json` (their hashes cannot be checked).
    pub trust_unlisted: bool,
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
    /// Each side's file is a fake-engine run's (its manifest says so).
    pub ours_fake: bool,
    pub theirs_fake: bool,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = |fake| if fake { " (a fake-engine run)" } else { "" };
        write!(
            f,
            "`{}`: local blake3 {}{} ≠ {} in `{}`{}",
            self.path.display(),
            &self.ours[..16],
            kind(self.ours_fake),
            &self.theirs[..16],
            self.source.display(),
            kind(self.theirs_fake)
        )
    }
}

/// Whether the log at `rel` is a fake-engine run's: its manifest (`manifests/<stem>.json`
/// beside it, read from `manifest_of(rel)`) says `"engine": "fake"`.
fn is_fake_run(rel: &Path, read: impl Fn(&Path) -> Option<Vec<u8>>) -> bool {
    let (Some(dir), Some(stem)) = (rel.parent(), rel.file_stem()) else {
        return false;
    };
    let manifest = dir
        .join(crate::artifacts::layout::MANIFEST_DIR)
        .join(Path::new(stem).with_extension("json"));
    read(&manifest)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|m| m["key_inputs"]["engine"] == "fake")
}

/// What a merge did (or would do).
#[derive(Debug, Default)]
pub struct MergeReport {
    pub added: Vec<PathBuf>,
    pub replaced: Vec<PathBuf>,
    pub identical: usize,
    pub kept_ours: usize,
    /// An interrupted earlier merge that was rolled back first (or, in a dry run, would be).
    pub rolled_back: bool,
    /// Archives merged without a file list (`trust_unlisted`): nothing checked their hashes.
    pub unchecked: Vec<PathBuf>,
    /// Where the local files that `--prefer theirs` replaced are kept.
    pub kept_replaced: Vec<PathBuf>,
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
    /// Where its packer said it came from (`repro-pack.json`), if it said.
    origin: Option<String>,
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
                origin: None,
            },
        )?;
    }
    Ok(())
}

/// A read of the archive failed: it is damaged or was cut short (a local failure to write is
/// an [`ArchiveError::Io`] of the staged file instead).
fn damaged(archive: &Path) -> impl Fn(std::io::Error) -> ArchiveError + '_ {
    move |e| ArchiveError::Damaged {
        archive: archive.to_path_buf(),
        detail: e.to_string(),
    }
}

/// Copy one entry to `staged`, telling a damaged archive from a disk that cannot be written.
fn copy_entry(
    entry: &mut impl std::io::Read,
    archive: &Path,
    staged: &Path,
) -> Result<(), ArchiveError> {
    use std::io::Write;
    let mut out = std::fs::File::create(staged).map_err(io_err(staged))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match entry.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(damaged(archive)(e)),
        };
        out.write_all(&buf[..n]).map_err(io_err(staged))?;
    }
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
                ours_fake: false,
                theirs_fake: false,
            }]));
        }
        return Ok(());
    }
    into.insert(rel, incoming);
    Ok(())
}

/// An entry of the archive that repro will not unpack (why, in `reason`).
fn hostile(archive: &Path) -> impl Fn(String, &'static str) -> ArchiveError + '_ {
    move |entry, reason| ArchiveError::Hostile {
        archive: archive.to_path_buf(),
        entry,
        reason,
    }
}

/// An entry's name and path, where it is a regular file at a path inside the results folder;
/// `None` for a folder (made where its files go). Anything else is hostile.
fn file_entry<R: std::io::Read>(
    entry: &tar::Entry<'_, R>,
    archive: &Path,
) -> Result<Option<(String, PathBuf)>, ArchiveError> {
    let hostile = hostile(archive);
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
    let reason = match entry.header().entry_type() {
        tar::EntryType::Directory => return Ok(None),
        tar::EntryType::Regular | tar::EntryType::Continuous => return Ok(Some((name, path))),
        tar::EntryType::Symlink => "a symbolic link",
        tar::EntryType::Link => "a hard link",
        tar::EntryType::Char | tar::EntryType::Block => "a device file",
        tar::EntryType::Fifo => "a named pipe",
        _ => "not a regular file",
    };
    Err(hostile(name, reason))
}

/// Unpack an archive into staging, checking every entry before writing it; `Ok(false)` where
/// it had no file list and `trust_unlisted` let it in.
fn stage_archive(
    archive: &Path,
    staging: &Path,
    into: &mut BTreeMap<PathBuf, Incoming>,
    trust_unlisted: bool,
) -> Result<bool, ArchiveError> {
    let file = std::fs::File::open(archive).map_err(io_err(archive))?;
    let decoder = zstd::Decoder::new(file).map_err(io_err(archive))?;
    let mut tar = tar::Archive::new(decoder);
    let hostile = hostile(archive);
    let mut manifest: Option<PackManifest> = None;
    let mut from_archive = BTreeMap::new();
    for entry in tar.entries().map_err(damaged(archive))? {
        let mut entry = entry.map_err(damaged(archive))?;
        let Some((name, path)) = file_entry(&entry, archive)? else {
            continue; // a folder
        };
        let rel = normalise(&path);
        if rel == Path::new(PACK_MANIFEST) {
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut text).map_err(damaged(archive))?;
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
        copy_entry(&mut entry, archive, &staged)?;
        let hash = hash_file(&staged).map_err(io_err(&staged))?;
        from_archive.insert(
            rel,
            Incoming {
                staged,
                hash,
                source: archive.to_path_buf(),
                origin: None,
            },
        );
    }
    let listed = match manifest {
        Some(manifest) => {
            check_list(archive, &manifest, &mut from_archive)?;
            true
        }
        None if trust_unlisted => false,
        None => {
            return Err(ArchiveError::Unlisted {
                archive: archive.to_path_buf(),
            })
        }
    };
    for (rel, incoming) in from_archive {
        add_incoming(into, rel, incoming)?;
    }
    Ok(listed)
}

/// The archive's files are exactly those its list names, with the listed hashes; each takes
/// the origin its packer recorded.
fn check_list(
    archive: &Path,
    manifest: &PackManifest,
    from_archive: &mut BTreeMap<PathBuf, Incoming>,
) -> Result<(), ArchiveError> {
    for file in &manifest.files {
        let incoming = from_archive
            .get_mut(Path::new(&file.path))
            .filter(|i| i.hash == file.blake3)
            .ok_or_else(|| ArchiveError::HashMismatch {
                archive: archive.to_path_buf(),
                entry: file.path.clone(),
            })?;
        incoming.origin = file.origin.clone();
    }
    let listed: std::collections::HashSet<&Path> =
        manifest.files.iter().map(|f| Path::new(&f.path)).collect();
    if let Some(extra) = from_archive
        .keys()
        .find(|rel| !listed.contains(rel.as_path()))
    {
        return Err(ArchiveError::Hostile {
            archive: archive.to_path_buf(),
            entry: extra.display().to_string(),
            reason:
                "it is not listed in the archive's repro-pack.json (files were added after packing)",
        });
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
                crate::artifacts::stage::move_into_place(backup, &dest).map_err(io_err(&dest))?
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

/// Merge `sources` (folders or `.tar.zst` archives) into `results`. A results folder the merge
/// had to create is removed again where the merge fails: a failed merge leaves no trace.
pub fn merge(
    results: &Path,
    sources: &[PathBuf],
    options: &MergeOptions,
) -> Result<MergeReport, ArchiveError> {
    if results.exists() && !results.is_dir() {
        return Err(ArchiveError::NotAFolder {
            path: results.to_path_buf(),
        });
    }
    let created = !results.exists();
    // One repro at a time in a results folder; a dry run writes nothing, not even the lock.
    let lock = match options.dry_run {
        true => None,
        false => Some(crate::artifacts::lock::lock(results)?),
    };
    let merged = merge_into(results, sources, options);
    if merged.is_err() && created {
        // Only where nothing is left in it but the lock (the staging folder is gone by now).
        drop(lock);
        let _ = std::fs::remove_file(results.join(crate::artifacts::lock::LOCK_FILE));
        let _ = std::fs::remove_dir(results);
    }
    merged
}

fn merge_into(
    results: &Path,
    sources: &[PathBuf],
    options: &MergeOptions,
) -> Result<MergeReport, ArchiveError> {
    let mut report = MergeReport::default();
    // A dry run stages in the system's temporary folder: nothing is written into the results.
    let staging = if options.dry_run {
        report.rolled_back = results.join(JOURNAL).is_file();
        tempfile::Builder::new()
            .prefix(".repro-staging-")
            .tempdir()
            .map_err(io_err(std::env::temp_dir()))?
    } else {
        std::fs::create_dir_all(results).map_err(io_err(results))?;
        report.rolled_back = roll_back(results)?;
        tempfile::Builder::new()
            .prefix(".repro-staging-")
            .tempdir_in(results)
            .map_err(io_err(results))?
    };

    let mut incoming = BTreeMap::new();
    for source in sources {
        if source.is_dir() {
            stage_folder(source, staging.path(), &mut incoming)?;
        } else if source.is_file() && is_archive(source) {
            if !stage_archive(
                source,
                staging.path(),
                &mut incoming,
                options.trust_unlisted,
            )? {
                report.unchecked.push(source.clone());
            }
        } else {
            return Err(ArchiveError::UnknownSource {
                path: source.clone(),
            });
        }
    }

    let (moves, conflicts) = plan_moves(results, staging.path(), &incoming, options, &mut report)?;
    if !conflicts.is_empty() {
        return Err(ArchiveError::Conflicts(conflicts));
    }
    if options.dry_run || moves.is_empty() {
        return Ok(report);
    }
    let mut replaced = Replaced::new(results);
    apply(
        results,
        staging.path(),
        &moves,
        &mut replaced,
        options.crash_after,
    )?;
    report.kept_replaced = replaced.kept().to_vec();
    record_origins(results, &moves, &incoming)?;
    Ok(report)
}

/// Compare each incoming file with the local one: add it, skip it (identical), replace it or
/// keep ours (a preference), or name the conflict.
fn plan_moves(
    results: &Path,
    staging: &Path,
    incoming: &BTreeMap<PathBuf, Incoming>,
    options: &MergeOptions,
    report: &mut MergeReport,
) -> Result<(Vec<Move>, Vec<Conflict>), ArchiveError> {
    let mut moves = Vec::new();
    let mut conflicts = Vec::new();
    for (rel, file) in incoming {
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
                let backup = staging.join(format!("backup{}", moves.len()));
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
                ours_fake: is_fake_run(rel, |m| std::fs::read(results.join(m)).ok()),
                theirs_fake: is_fake_run(rel, |m| std::fs::read(&incoming.get(m)?.staged).ok()),
            }),
        }
    }
    Ok((moves, conflicts))
}

/// Record where each merged file came from: its packer's word, else the source's name.
fn record_origins(
    results: &Path,
    moves: &[Move],
    incoming: &BTreeMap<PathBuf, Incoming>,
) -> Result<(), ArchiveError> {
    let mut origins = Origins::read(results);
    let merged = crate::artifacts::manifest::now_rfc3339();
    for mv in moves {
        let Some(file) = incoming.get(&mv.rel) else {
            continue;
        };
        let from = file.origin.clone().unwrap_or_else(|| {
            file.source
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.source.display().to_string())
        });
        origins.insert(
            &mv.rel,
            Origin {
                blake3: file.hash.clone(),
                from,
                merged: merged.clone(),
            },
        );
    }
    origins
        .write(results)
        .map_err(io_err(results.join(crate::artifacts::origins::STATE_DIR)))
}

fn apply(
    results: &Path,
    staging: &Path,
    moves: &[Move],
    replaced: &mut Replaced,
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
        if let Some(backup) = &mv.backup {
            move_into_place(&dest, backup).map_err(io_err(&dest))?;
        }
        move_into_place(&mv.staged, &dest).map_err(io_err(&dest))?;
    }
    // The merge is complete: the replaced local files leave staging for `replaced/`, kept.
    for mv in moves {
        if let Some(backup) = &mv.backup {
            let rel_in_results = results.join(&mv.rel);
            replaced
                .keep_as(backup, &rel_in_results)
                .map_err(io_err(backup))?;
        }
    }
    std::fs::remove_file(&journal_path).map_err(io_err(&journal_path))?;
    Ok(())
}
