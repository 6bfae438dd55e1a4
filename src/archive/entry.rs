//! Paths inside results folders and archives, checked before anything is written.

use std::path::{Component, Path, PathBuf};

/// Why a path may not be unpacked.
pub fn path_problem(path: &Path) -> Option<&'static str> {
    if path.as_os_str().is_empty() {
        return Some("empty path");
    }
    if path.to_str().is_none() {
        return Some("the path is not UTF-8");
    }
    for component in path.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Some("the path climbs out with `..`"),
            Component::RootDir | Component::Prefix(_) => return Some("the path is absolute"),
        }
    }
    None
}

/// The path without `.` components.
pub fn normalise(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// Files that are never packed or merged: repro's state and lock (`.repro/`, `.repro.lock`),
/// temporaries of interrupted writes, merge state, and a benchmark's unfinished run folders
/// (`bench-*/.tmp-<label>-<pid>`, `.old-*`).
pub fn is_transient(rel: &Path) -> bool {
    rel.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        name.starts_with(".repro") || name.starts_with(".tmp-") || name.starts_with(".old-")
    })
}

pub use crate::artifacts::hash_file;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_are_named() {
        assert_eq!(
            path_problem(Path::new("../x")),
            Some("the path climbs out with `..`")
        );
        assert_eq!(
            path_problem(Path::new("a/../../x")),
            Some("the path climbs out with `..`")
        );
        assert_eq!(
            path_problem(Path::new("/etc/passwd")),
            Some("the path is absolute")
        );
        assert_eq!(path_problem(Path::new("figure-10/gpu1/x.txt")), None);
        assert_eq!(normalise(Path::new("./a/./b")), PathBuf::from("a/b"));
    }
}
