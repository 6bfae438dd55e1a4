//! `<results>/replaced/<when>/<path>`: where repro puts bytes it was asked to replace (`figure
//! --force` over data it did not make, `merge --prefer theirs`, `table --force`), so that
//! replacing is never losing. The folder mirrors the results tree; nothing reads it back, and it
//! lies outside every figure folder, so tables, figures and status do not see it.

use std::path::{Path, PathBuf};

/// The folder under the results root.
pub const REPLACED_DIR: &str = "replaced";

/// One command's set-aside files: created on first use, under a folder named by the time.
#[derive(Debug)]
pub struct Replaced {
    results: PathBuf,
    dir: Option<PathBuf>,
    kept: Vec<PathBuf>,
}

impl Replaced {
    pub fn new(results: &Path) -> Replaced {
        Replaced {
            results: results.to_path_buf(),
            dir: None,
            kept: Vec::new(),
        }
    }

    /// The folder this command keeps files in (made on first use; a second command in the same
    /// second gets `-2`, `-3`, …).
    fn dir(&mut self) -> std::io::Result<PathBuf> {
        if let Some(dir) = &self.dir {
            return Ok(dir.clone());
        }
        let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
            .to_string()
            .replace(':', "-");
        let base = self.results.join(REPLACED_DIR);
        std::fs::create_dir_all(&base)?;
        for n in 1.. {
            let name = if n == 1 {
                stamp.clone()
            } else {
                format!("{stamp}-{n}")
            };
            let dir = base.join(name);
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    self.dir = Some(dir.clone());
                    return Ok(dir);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        unreachable!("some suffix is free")
    }

    /// Where `path` (under the results folder) goes.
    fn destination(&mut self, path: &Path) -> std::io::Result<PathBuf> {
        let rel = path
            .strip_prefix(&self.results)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.file_name().map(PathBuf::from).unwrap_or_default());
        let dest = self.dir()?.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        Ok(dest)
    }

    /// Move `path` out of the way, keeping its bytes; returns where they are now.
    pub fn keep(&mut self, path: &Path) -> std::io::Result<PathBuf> {
        let dest = self.destination(path)?;
        std::fs::rename(path, &dest)?;
        self.kept.push(dest.clone());
        Ok(dest)
    }

    /// Move `from` (set aside elsewhere, e.g. a merge's staging) to where `path`'s copy goes.
    pub fn keep_as(&mut self, from: &Path, path: &Path) -> std::io::Result<PathBuf> {
        let dest = self.destination(path)?;
        std::fs::rename(from, &dest)?;
        self.kept.push(dest.clone());
        Ok(dest)
    }

    /// Copy `path` (it stays where it is, about to be rewritten in place).
    pub fn copy(&mut self, path: &Path) -> std::io::Result<PathBuf> {
        let dest = self.destination(path)?;
        std::fs::copy(path, &dest)?;
        self.kept.push(dest.clone());
        Ok(dest)
    }

    /// The folder files were kept in, if any were.
    pub fn used(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub fn kept(&self) -> &[PathBuf] {
        &self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_files_mirror_the_results_tree() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path();
        let log = results.join("figure-2/iterations/1/output_model_x.txt");
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::write(&log, "paper").unwrap();
        let mut replaced = Replaced::new(results);
        assert!(replaced.used().is_none());
        let kept = replaced.keep(&log).unwrap();
        assert!(!log.exists());
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "paper");
        assert!(kept.ends_with("figure-2/iterations/1/output_model_x.txt"));
        assert!(kept.starts_with(results.join(REPLACED_DIR)));
        // A second command in the same second gets a folder of its own.
        std::fs::write(&log, "again").unwrap();
        let mut second = Replaced::new(results);
        let copy = second.copy(&log).unwrap();
        assert!(log.exists());
        assert_ne!(copy.parent(), kept.parent());
        assert_eq!(std::fs::read_to_string(copy).unwrap(), "again");
    }
}
