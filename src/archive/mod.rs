//! Moving results between machines: `pack` writes a deterministic tar+zstd archive of a results
//! folder; `merge` folds folders and archives from other machines into the local results,
//! refusing conflicts and hostile archives, all or nothing.

pub mod entry;
pub mod merge;
pub mod pack;

use std::path::PathBuf;

pub use merge::{merge, MergeOptions, MergeReport, Prefer};
pub use pack::{pack, PackReport};

/// Name of the file list (with hashes) at the root of every archive `pack` writes.
pub const PACK_MANIFEST: &str = "repro-pack.json";

/// Something that stops a pack or merge; nothing has been changed when it is returned.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read or write `{}`: {}", path.display(), crate::sys::problem(source, path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}`: refusing entry `{entry}`: {reason}", archive.display())]
    Hostile {
        archive: PathBuf,
        entry: String,
        reason: &'static str,
    },
    #[error("`{}` is not a folder or a .tar.zst archive", path.display())]
    UnknownSource { path: PathBuf },
    #[error("`{}`: `{entry}` does not match the hash in {PACK_MANIFEST} (the archive is damaged)", archive.display())]
    HashMismatch { archive: PathBuf, entry: String },
    #[error("{} conflicting file(s), nothing merged:\n{}\nhint: {}", .0.len(), conflict_lines(.0), conflict_hint(.0))]
    Conflicts(Vec<merge::Conflict>),
    #[error("`{}` is damaged or cut short ({detail}); nothing merged: copy or pack it again", archive.display())]
    Damaged { archive: PathBuf, detail: String },
    #[error("nothing to pack: `{}` has no results", path.display())]
    Empty { path: PathBuf },
    #[error("`{}` has no repro-pack.json, so the hashes of its files cannot be checked (it was not made by `repro pack`); nothing merged\nhint: pass --trust-unlisted to merge it anyway", archive.display())]
    Unlisted { archive: PathBuf },
    #[error("`{}` is a file, not a results folder: pass --results DIR", path.display())]
    NotAFolder { path: PathBuf },
    #[error("`{}` already exists: pass --force to replace it, or -o another file", path.display())]
    Exists { path: PathBuf },
    #[error("folder `{}` does not exist: create it first, or -o a file in an existing folder", path.display())]
    NoFolder { path: PathBuf },
    #[error(transparent)]
    Lock(#[from] crate::artifacts::lock::LockError),
}

/// The way out: where incoming fake-engine runs meet real data, a folder of their own (no
/// preference mixes the two kinds); else a preference.
fn conflict_hint(conflicts: &[merge::Conflict]) -> &'static str {
    if conflicts.iter().any(|c| c.theirs_fake && !c.ours_fake) {
        "the incoming files are fake-engine runs (`--engine fake`) and the local ones real data, which never share a figure: merge them into a results folder of their own (`--results fake`)"
    } else {
        "keep the local files with `--prefer ours`, take the incoming ones with `--prefer theirs`"
    }
}

fn conflict_lines(conflicts: &[merge::Conflict]) -> String {
    conflicts
        .iter()
        .map(|c| format!("  {c}"))
        .collect::<Vec<_>>()
        .join("\n")
}

crate::io_adapter!(pub(crate) fn io_err -> ArchiveError);
