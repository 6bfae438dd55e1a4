//! Files and folders that appear only when complete: written under a temporary name in their
//! final folder, then renamed into place (a rename within a folder is atomic). Every rename
//! into a results folder goes through here.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::layout::TEMP_PREFIX;

/// A file being written; dropped without [`Staged::commit`], it is deleted.
#[derive(Debug)]
pub struct Staged {
    file: tempfile::NamedTempFile,
}

impl Staged {
    /// A new temporary file in `dir` (created), named after `name` so a leftover is recognisable.
    pub fn new(dir: &Path, name: &str) -> io::Result<Staged> {
        std::fs::create_dir_all(dir)?;
        let file = super::temp_file_in(dir, &format!("{TEMP_PREFIX}{name}-"))?;
        Ok(Staged { file })
    }

    pub fn file(&self) -> &File {
        self.file.as_file()
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Flush to disk and rename into `dest` (its folder is created; on another folder than the
    /// temporary's this is still a rename, as both live in the results tree on one filesystem).
    pub fn commit(self, dest: &Path) -> io::Result<()> {
        self.file.as_file().sync_all()?;
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        self.file.persist(dest).map_err(|e| e.error)?;
        Ok(())
    }
}

/// What takes an older folder out of the way (and keeps it).
pub type KeepAside<'a> = dyn FnMut(&Path) -> io::Result<()> + 'a;

/// A folder being filled (a benchmark run's results); dropped without [`StagedDir::commit`],
/// it is deleted with what is in it.
#[derive(Debug)]
pub struct StagedDir {
    dir: Option<tempfile::TempDir>,
}

impl StagedDir {
    /// A new temporary folder in `parent` (created), named after `name`.
    pub fn new(parent: &Path, name: &str) -> io::Result<StagedDir> {
        std::fs::create_dir_all(parent)?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{name}-"))
            .tempdir_in(parent)?;
        Ok(StagedDir { dir: Some(dir) })
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("not committed").path()
    }

    /// Rename the folder to `dest`. Where `dest` exists, it is first moved to `aside` (when
    /// given: the caller keeps it, e.g. under `replaced/`), else removed after the rename.
    pub fn commit(mut self, dest: &Path, aside: Option<&mut KeepAside<'_>>) -> io::Result<()> {
        let dir = self.dir.take().expect("not committed").keep();
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let old = match (dest.exists(), aside) {
            (false, _) => None,
            (true, Some(keep)) => {
                keep(dest)?;
                None
            }
            (true, None) => {
                let old = dest.with_file_name(format!(
                    "{TEMP_PREFIX}old-{}-{}",
                    dest.file_name().unwrap_or_default().to_string_lossy(),
                    std::process::id()
                ));
                std::fs::rename(dest, &old)?;
                Some(old)
            }
        };
        std::fs::rename(&dir, dest)?;
        if let Some(old) = old {
            let _ = std::fs::remove_dir_all(old);
        }
        if let Some(parent) = dest.parent().and_then(|p| std::fs::File::open(p).ok()) {
            let _ = parent.sync_all();
        }
        Ok(())
    }
}

/// Rename `from` to `to` (a merge's staged file into the results), creating `to`'s folder.
pub fn move_into_place(from: &Path, to: &Path) -> io::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::rename(from, to)
}

/// Put the complete folder `staging` where `dir` is (absent, or a copy repro made and may
/// drop): the old one is renamed aside first and removed once the new one is in place.
pub fn replace_dir(staging: &Path, dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        return move_into_place(staging, dir);
    }
    let old = staging.with_extension("old");
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    std::fs::rename(dir, &old)?;
    std::fs::rename(staging, dir)?;
    std::fs::remove_dir_all(&old)
}

/// Delete temporary files and folders left by an interrupted run under `root` (a results
/// tree), returning them. Only call this while holding the results lock: another repro may be
/// writing them.
pub fn remove_leftovers(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    if !root.is_dir() {
        return Ok(removed);
    }
    let mut walk = walkdir::WalkDir::new(root).into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(io::Error::other)?;
        if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        if entry.file_type().is_dir() {
            walk.skip_current_dir();
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
        removed.push(entry.into_path());
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn commit_renames_and_drop_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let staged = Staged::new(dir.path(), "a.txt").unwrap();
        writeln!(staged.file(), "hello").unwrap();
        let temp = staged.path().to_path_buf();
        staged.commit(&dir.path().join("a.txt")).unwrap();
        assert!(!temp.exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            "hello\n"
        );

        let staged = Staged::new(dir.path(), "b.txt").unwrap();
        let temp = staged.path().to_path_buf();
        drop(staged);
        assert!(!temp.exists());
    }

    #[test]
    fn a_staged_folder_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("rate_2.0");
        let staged = StagedDir::new(dir.path(), "rate_2.0").unwrap();
        std::fs::write(staged.path().join("summary.json"), "{}").unwrap();
        let temp = staged.path().to_path_buf();
        drop(staged);
        assert!(!temp.exists() && !dest.exists(), "dropped: gone");

        let staged = StagedDir::new(dir.path(), "rate_2.0").unwrap();
        std::fs::write(staged.path().join("summary.json"), "one").unwrap();
        staged.commit(&dest, None).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.join("summary.json")).unwrap(),
            "one"
        );
        // Over an older one: replaced, or handed to the caller to keep.
        let staged = StagedDir::new(dir.path(), "rate_2.0").unwrap();
        std::fs::write(staged.path().join("summary.json"), "two").unwrap();
        let kept = dir.path().join("kept");
        let mut keep = |old: &Path| std::fs::rename(old, &kept);
        staged.commit(&dest, Some(&mut keep)).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.join("summary.json")).unwrap(),
            "two"
        );
        assert_eq!(
            std::fs::read_to_string(kept.join("summary.json")).unwrap(),
            "one"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary left: {names:?}");
    }

    #[test]
    fn leftovers_are_found_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("x/y")).unwrap();
        std::fs::write(dir.path().join("x/y/.repro-tmp-a.txt-123"), "").unwrap();
        std::fs::write(dir.path().join("x/y/keep.txt"), "").unwrap();
        std::fs::create_dir_all(dir.path().join("x/.repro-tmp-rate_2.0-abc/sub")).unwrap();
        std::fs::write(dir.path().join("x/.repro-tmp-rate_2.0-abc/sub/f"), "").unwrap();
        let removed = remove_leftovers(dir.path()).unwrap();
        assert_eq!(removed.len(), 2);
        assert!(!dir.path().join("x/.repro-tmp-rate_2.0-abc").exists());
        assert!(dir.path().join("x/y/keep.txt").exists());
    }
}
