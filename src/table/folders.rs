//! The folders a `table` or `render` argument names — a recipe's folder under the results, every
//! recipe's for `all`, a folder in the paper's layout, or a lab's tree of them — and `repro
//! table`'s operation on them: every table computed first (bad input writes nothing), then
//! written under the lock of each folder the user named.

use std::path::{Path, PathBuf};

use crate::artifacts::derived::Policy;
use crate::artifacts::lock::LockError;
use crate::artifacts::replaced::Replaced;
use crate::project::{Project, Target};
use crate::recipe::RecipeError;

use super::{GroupTable, ParseCache, TableError, WriteReport};

/// Why folders could not be found or tabled.
#[derive(Debug, thiserror::Error)]
pub enum FoldersError {
    #[error("`{}` is a file, not a results folder: pass --results DIR", .0.display())]
    ResultsIsFile(PathBuf),
    #[error("results folder `{}` does not exist (pass --results DIR)", .0.display())]
    NoResults(PathBuf),
    #[error("`{}` does not exist: no data for `{word}` in `{}` (run `repro figure {word}` first, or pass --results DIR)", dir.display(), results.display())]
    NoData {
        dir: PathBuf,
        word: String,
        results: PathBuf,
    },
    #[error("`{}` has no runs in the paper's layout: expected `{}/iterations/<i>/output_*.txt` (and optionally `uncached/`), or split parts holding them", .0.display(), .0.display())]
    NoRuns(PathBuf),
    #[error("looking for runs in `{}`", dir.display())]
    Looking {
        dir: PathBuf,
        #[source]
        source: TableError,
    },
    #[error("reading `{}`", dir.display())]
    Read {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` holds no `output_*` log (nor a comparison_results.json): put the iteration's logs there, or remove the folder", .0.display())]
    NoLogs(PathBuf),
    #[error("no log in `{}` is a vLLM log the paper's parser reads ({first}): is this the right folder?", dir.display())]
    NotVllm { dir: PathBuf, first: String },
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// A results folder a command reads: it must exist and be a folder.
pub fn existing_results(results: &Path) -> Result<(), FoldersError> {
    if results.is_file() {
        return Err(FoldersError::ResultsIsFile(results.to_path_buf()));
    }
    if !results.is_dir() {
        return Err(FoldersError::NoResults(results.to_path_buf()));
    }
    Ok(())
}

/// A results folder to table or draw: the recipe it belongs to, if one does.
pub struct DataFolder {
    /// How to call it in messages (`figure-7`, `results/mine`).
    pub name: String,
    pub dir: PathBuf,
    /// Given as a folder (`repro table DIR`): it must hold runs.
    pub explicit: bool,
    /// Found under this folder the user named (a tree of experiments): a problem of its own
    /// is a warning, not a failure of the others.
    pub below: Option<PathBuf>,
}

impl DataFolder {
    /// The folder whose parse cache this folder's logs go in: the tree it was found in, the
    /// folder the user named, or the results folder a recipe's folder is in.
    pub fn cache_root(&self) -> &Path {
        match (&self.below, self.explicit) {
            (Some(root), _) => root,
            (None, true) => &self.dir,
            (None, false) => self.dir.parent().unwrap_or(&self.dir),
        }
    }
}

/// Folders found, and what the finding has to say (folders of logs outside the layout, how
/// many a tree held), as lines for the user.
pub struct Found {
    pub folders: Vec<DataFolder>,
    pub said: Vec<String>,
}

/// The folders a `<recipe|DIR|all>` argument names under a results folder. `all`: the folder of
/// every recipe (the paper's and the project's) that is present; a recipe's folder must exist;
/// a folder in the paper's layout is taken as it is.
pub fn data_folders(project: &Project, results: &Path, word: &str) -> Result<Found, FoldersError> {
    let folder = |name: String, dir: PathBuf| DataFolder {
        name,
        dir,
        explicit: false,
        below: None,
    };
    let folders = match project.target(word)? {
        Target::Folder(path) => return folder_or_tree(&path),
        Target::All => {
            existing_results(results)?;
            let mut found = Vec::new();
            for named in project.all_recipes()? {
                let dir = results.join(&named.recipe.folder);
                if dir.is_dir() {
                    found.push(folder(named.recipe.folder, dir));
                }
            }
            found
        }
        Target::Recipe(named) => {
            existing_results(results)?;
            let dir = results.join(&named.recipe.folder);
            if !dir.is_dir() {
                return Err(FoldersError::NoData {
                    dir,
                    word: word.to_string(),
                    results: results.to_path_buf(),
                });
            }
            vec![folder(named.recipe.folder, dir)]
        }
    };
    Ok(Found {
        folders,
        said: vec![],
    })
}

/// A folder the user names: itself where it is in the paper's layout, else every folder in
/// that layout below it (a lab's tree of experiments), each folder of logs outside the layout
/// named in a warning. Neither: the folder itself, which the command refuses, saying why.
pub fn folder_or_tree(path: &Path) -> Result<Found, FoldersError> {
    let explicit = |dir: &Path, below: Option<&Path>| DataFolder {
        name: dir.display().to_string(),
        dir: dir.to_path_buf(),
        explicit: true,
        below: below.map(Path::to_path_buf),
    };
    let tree = super::layout_folders(path)?;
    let mut said: Vec<String> = tree
        .odd
        .iter()
        .map(|(dir, why)| format!("warning: `{}` {why}: skipped", dir.display()))
        .collect();
    let folders = match tree.folders.as_slice() {
        [] => vec![explicit(path, None)],
        [only] if only == path => vec![explicit(path, None)],
        _ => {
            said.push(format!(
                "{}: {} folder(s) in the paper's layout",
                path.display(),
                tree.folders.len()
            ));
            tree.folders
                .iter()
                .map(|dir| explicit(dir, Some(path)))
                .collect()
        }
    };
    Ok(Found { folders, said })
}

/// The order of a group's averaged labels, where its recipe fixes one: the figure folder's
/// recipe, and the split part the group folder stands for.
pub fn label_order(
    project: &Project,
    figure_folder: &Path,
    group_dir: &Path,
) -> Result<Option<Vec<String>>, RecipeError> {
    let folder = figure_folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(recipe) = project.recipe_for_folder(&folder)? else {
        return Ok(None);
    };
    Ok(recipe.label_order(recipe.part_of_group(figure_folder, group_dir)))
}

/// The tables of one folder's groups (the folder, or its split parts); `None` where a folder
/// of a recipe has no run folders yet. A folder given by the user must hold runs in the
/// paper's layout.
pub fn folder_tables(
    project: &Project,
    folder: &DataFolder,
    cache: Option<&ParseCache>,
) -> Result<Option<Vec<GroupTable>>, FoldersError> {
    let groups = super::find_groups(&folder.dir).map_err(|source| FoldersError::Looking {
        dir: folder.dir.clone(),
        source,
    })?;
    if groups.is_empty() {
        if folder.explicit {
            return Err(FoldersError::NoRuns(folder.dir.clone()));
        }
        return Ok(None);
    }
    let mut tables = Vec::new();
    for group_dir in groups {
        let order = label_order(project, &folder.dir, &group_dir)?;
        let group = super::group_table_cached(&group_dir, order.as_deref(), cache)?;
        if folder.explicit {
            check_runs(&group, &group_dir)?;
        }
        tables.push(group);
    }
    Ok(Some(tables))
}

/// In a folder the user names, every iteration has logs and some log is a vLLM log.
fn check_runs(group: &GroupTable, dir: &Path) -> Result<(), FoldersError> {
    let iterations = dir.join("iterations");
    let read = |source| FoldersError::Read {
        dir: iterations.clone(),
        source,
    };
    for entry in std::fs::read_dir(&iterations).map_err(read)? {
        let path = entry.map_err(read)?.path();
        if path.is_dir() && !group.runs.iter().any(|r| r.dir == path) {
            return Err(FoldersError::NoLogs(path));
        }
    }
    for run in &group.runs {
        if run.comparison.labels.is_empty() && !run.skipped.is_empty() {
            return Err(FoldersError::NotVllm {
                dir: run.dir.clone(),
                first: run.skipped[0].to_string(),
            });
        }
    }
    Ok(())
}

/// What writing the tables did: each group's report, and where `--force` kept what it
/// replaced (`(count, folder)`).
pub struct Written {
    pub groups: Vec<WriteReport>,
    pub replaced: Vec<(usize, PathBuf)>,
}

/// Write every group's tables, each folder the user named locked (and keeping what `--force`
/// replaces under its `replaced/`), else the results folder.
pub fn write_tables(
    folders: &[DataFolder],
    tables: &[GroupTable],
    results: &Path,
    force: bool,
) -> Result<Written, FoldersError> {
    let lock_dirs = lock_dirs(folders, results);
    let _locks = lock_dirs
        .iter()
        .map(|dir| crate::artifacts::lock::lock(dir))
        .collect::<Result<Vec<_>, _>>()?;
    let mut replaced: Vec<Replaced> = lock_dirs.iter().map(|d| Replaced::new(d)).collect();
    let mut groups = Vec::new();
    for group in tables {
        let at = lock_dirs
            .iter()
            .position(|d| group.dir.starts_with(d))
            .unwrap_or(0);
        let mut policy = Policy {
            replace_foreign: force.then_some(&mut replaced[at]),
        };
        groups.push(super::write_group(group, &mut policy)?);
    }
    let replaced = replaced
        .iter()
        .filter_map(|r| Some((r.kept().len(), r.used()?.to_path_buf())))
        .collect();
    Ok(Written { groups, replaced })
}

/// The folders to lock: each the user named (or the tree it was found in), else the results.
fn lock_dirs(folders: &[DataFolder], results: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = folders
        .iter()
        .map(|f| match (&f.below, f.explicit) {
            (Some(root), _) => root.clone(),
            (None, true) => f.dir.clone(),
            (None, false) => results.to_path_buf(),
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    if dirs.is_empty() {
        dirs.push(results.to_path_buf());
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(dir: &str, explicit: bool, below: Option<&str>) -> DataFolder {
        DataFolder {
            name: dir.into(),
            dir: dir.into(),
            explicit,
            below: below.map(PathBuf::from),
        }
    }

    #[test]
    fn each_named_folder_or_its_tree_is_locked_else_the_results() {
        let results = Path::new("results");
        let folders = [
            folder("results/figure-2", false, None),
            folder("mine/a", true, None),
            folder("lab/x/figure-7", true, Some("lab")),
            folder("lab/y/figure-9", true, Some("lab")),
        ];
        assert_eq!(
            lock_dirs(&folders, results),
            vec![PathBuf::from("lab"), "mine/a".into(), "results".into()]
        );
        assert_eq!(lock_dirs(&[], results), vec![PathBuf::from("results")]);
    }

    #[test]
    fn a_missing_or_file_results_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        let e = existing_results(&file).unwrap_err().to_string();
        assert!(e.contains("is a file, not a results folder"), "{e}");
        let e = existing_results(&dir.path().join("none"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not exist (pass --results DIR)"), "{e}");
        assert!(existing_results(dir.path()).is_ok());
    }

    #[test]
    fn a_folder_without_runs_is_refused_when_named_and_passed_over_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let project = Project::new(dir.path());
        let named = folder(dir.path().to_str().unwrap(), true, None);
        let e = folder_tables(&project, &named, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("has no runs in the paper's layout"), "{e}");
        let found = folder(dir.path().to_str().unwrap(), false, None);
        assert!(folder_tables(&project, &found, None).unwrap().is_none());
        let tree = folder_or_tree(dir.path()).unwrap();
        assert_eq!(tree.folders.len(), 1);
        assert!(tree.said.is_empty());
    }
}
