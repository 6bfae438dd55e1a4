//! `repro table <recipe|DIR|all> --results DIR`: the paper's `compare_logs.py` +
//! `avg_results.py` for a recipe's folder, or for any folder in the paper's layout.

use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::artifacts::derived::Policy;
use repro::artifacts::replaced::Replaced;
use repro::table::{self, GroupTable};

use super::{DataFolder, Output};
use crate::cli::TableArgs;

pub fn run(args: TableArgs, out: Output) -> anyhow::Result<ExitCode> {
    let mut folders = Vec::new();
    for word in &args.figures {
        folders.extend(super::data_folders(&out.project, &args.results, word)?);
    }
    let mut tables = Vec::new();
    let mut skipped = 0;
    // The folders' logs are parsed on every core; what each gives is taken in order.
    let computed = repro::sys::par_map(&folders, |folder| folder_tables(folder, &out));
    for (folder, result) in folders.iter().zip(computed) {
        match (result, &folder.below) {
            (Ok(found), _) => tables.extend(found),
            // One bad folder of a tree is named; the others are tabled.
            (Err(error), Some(_)) => {
                skipped += 1;
                eprintln!("warning: {error:#}: skipped");
            }
            (Err(error), None) => return Err(error),
        }
    }
    // Every table is computed before the first is written: bad input writes nothing. Each
    // folder the user named is locked (and keeps what `--force` replaces), else the results.
    let mut lock_dirs: Vec<std::path::PathBuf> = folders
        .iter()
        .map(|f| match (&f.below, f.explicit) {
            (Some(root), _) => root.clone(),
            (None, true) => f.dir.clone(),
            (None, false) => args.results.clone(),
        })
        .collect();
    lock_dirs.sort();
    lock_dirs.dedup();
    if lock_dirs.is_empty() {
        lock_dirs.push(args.results.clone());
    }
    let _locks = lock_dirs
        .iter()
        .map(|dir| repro::artifacts::lock::lock(dir))
        .collect::<Result<Vec<_>, _>>()?;
    // What `--force` replaces is kept under `replaced/` of the locked folder it is in.
    let mut replaced: Vec<Replaced> = lock_dirs.iter().map(|d| Replaced::new(d)).collect();
    let mut kept = Vec::new();
    for group in &tables {
        warn(group);
        let at = lock_dirs
            .iter()
            .position(|d| group.dir.starts_with(d))
            .unwrap_or(0);
        let mut policy = Policy {
            replace_foreign: args.force.then_some(&mut replaced[at]),
        };
        let report = table::write_group(group, &mut policy)?;
        if !out.quiet {
            println!(
                "{}: {} run folders, {} files written, {} unchanged",
                group.dir.display(),
                group.runs.len(),
                report.written.len(),
                report.unchanged
            );
        }
        if out.verbose {
            for path in &report.written {
                println!("  wrote {}", path.display());
            }
        }
        kept.extend(report.kept_foreign);
    }
    for replaced in &replaced {
        if let Some(dir) = replaced.used() {
            eprintln!(
                "note: {} replaced table file(s) kept under `{}`",
                replaced.kept().len(),
                dir.display()
            );
        }
    }
    if skipped > 0 && !out.quiet {
        eprintln!("{skipped} folder(s) skipped (named above); the others were tabled");
    }
    if !kept.is_empty() {
        eprintln!(
            "error: {} table file(s) left as they are: repro did not write them, and the logs beside them give other numbers:",
            kept.len()
        );
        for path in &kept {
            eprintln!("  {}", path.display());
        }
        eprintln!(
            "hint: rerun with --force to replace them (the old files are kept under `replaced/`)"
        );
        return Ok(ExitCode::from(repro::exit::FAILURE));
    }
    Ok(ExitCode::SUCCESS)
}

/// The tables of one folder's groups (the folder, or its split parts). A folder given by the
/// user must hold runs in the paper's layout.
fn folder_tables(folder: &DataFolder, out: &Output) -> anyhow::Result<Vec<GroupTable>> {
    let groups = table::find_groups(&folder.dir)
        .with_context(|| format!("looking for runs in `{}`", folder.dir.display()))?;
    if groups.is_empty() {
        if folder.explicit {
            bail!(
                "`{}` has no runs in the paper's layout: expected `{}/iterations/<i>/output_*.txt` (and optionally `uncached/`), or split parts holding them",
                folder.dir.display(),
                folder.dir.display()
            );
        }
        if !out.quiet {
            eprintln!(
                "{}: no run folders (iterations/<i>/) in `{}`, skipped",
                folder.name,
                folder.dir.display()
            );
        }
        return Ok(vec![]);
    }
    let mut tables = Vec::new();
    for group_dir in groups {
        let order = super::label_order(&out.project, &folder.dir, &group_dir)?;
        let group = table::group_table(&group_dir, order.as_deref())?;
        if folder.explicit {
            check_runs(&group, &group_dir)?;
        }
        tables.push(group);
    }
    Ok(tables)
}

/// In a folder the user names, every iteration has logs and some log is a vLLM log.
fn check_runs(group: &GroupTable, dir: &std::path::Path) -> anyhow::Result<()> {
    let iterations = dir.join("iterations");
    for entry in std::fs::read_dir(&iterations)
        .with_context(|| format!("reading `{}`", iterations.display()))?
    {
        let path = entry?.path();
        if path.is_dir() && !group.runs.iter().any(|r| r.dir == path) {
            bail!(
                "`{}` holds no `output_*` log (nor a comparison_results.json): put the iteration's logs there, or remove the folder",
                path.display()
            );
        }
    }
    for run in &group.runs {
        if run.comparison.labels.is_empty() && !run.skipped.is_empty() {
            bail!(
                "no log in `{}` is a vLLM log the paper's parser reads ({}): is this the right folder?",
                run.dir.display(),
                run.skipped[0]
            );
        }
    }
    Ok(())
}

/// What the user should know about a group's logs before its tables are written.
fn warn(group: &GroupTable) {
    for run in &group.runs {
        for skipped in &run.skipped {
            eprintln!("warning: left out (as the paper does): {skipped}");
        }
        for log in &run.incomplete {
            eprintln!(
                "warning: `{}` is incomplete ({}): its numbers are partial, and its tables say so",
                run.dir.join(&log.label).display(),
                log.reason
            );
        }
    }
    for warning in &group.warnings {
        eprintln!("warning: `{}`: {warning}", group.dir.display());
    }
}
