//! Files that appear only when complete: written under a temporary name in their final folder,
//! then renamed into place (a rename within a folder is atomic).

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

/// Delete temporary files left by an interrupted run under `root` (a results tree), returning
/// them. Only call this while holding the results lock: another repro may be writing them.
pub fn remove_leftovers(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    if !root.is_dir() {
        return Ok(removed);
    }
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.map_err(io::Error::other)?;
        let is_temp = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
        if is_temp && entry.file_type().is_file() {
            std::fs::remove_file(entry.path())?;
            removed.push(entry.into_path());
        }
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
    fn leftovers_are_found_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("x/y")).unwrap();
        std::fs::write(dir.path().join("x/y/.repro-tmp-a.txt-123"), "").unwrap();
        std::fs::write(dir.path().join("x/y/keep.txt"), "").unwrap();
        let removed = remove_leftovers(dir.path()).unwrap();
        assert_eq!(removed.len(), 1);
        assert!(dir.path().join("x/y/keep.txt").exists());
    }
}
