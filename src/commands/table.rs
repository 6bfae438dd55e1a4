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
    let folders = super::data_folders(&out.project, &args.results, &args.figure)?;
    let mut tables = Vec::new();
    for folder in &folders {
        tables.extend(folder_tables(folder, &out)?);
    }
    // Every table is computed before the first is written: bad input writes nothing.
    let lock_dir = match folders.as_slice() {
        [only] if only.explicit => only.dir.clone(),
        _ => args.results.clone(),
    };
    let _lock = repro::artifacts::lock::lock(&lock_dir)?;
    let mut replaced = Replaced::new(&lock_dir);
    let mut kept = Vec::new();
    for group in &tables {
        warn(group);
        let mut policy = Policy {
            replace_foreign: args.force.then_some(&mut replaced),
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
    if let Some(dir) = replaced.used() {
        eprintln!(
            "note: {} replaced table file(s) kept under `{}`",
            replaced.kept().len(),
            dir.display()
        );
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
