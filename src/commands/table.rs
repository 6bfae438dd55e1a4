//! `repro table <recipe|DIR|all> --results DIR`: the paper's `compare_logs.py` +
//! `avg_results.py` for a recipe's folder, or for any folder in the paper's layout.

use std::process::ExitCode;

use repro::table::folders::{self, DataFolder};
use repro::table::{GroupTable, ParseCaches};

use super::Output;
use crate::cli::TableArgs;

pub fn run(args: TableArgs, out: Output) -> anyhow::Result<ExitCode> {
    let mut folders = Vec::new();
    for word in &args.figures {
        let found = folders::data_folders(&out.project, &args.results, word)?;
        found.said.iter().for_each(|line| eprintln!("{line}"));
        folders.extend(found.folders);
    }
    let mut tables = Vec::new();
    let mut skipped = 0;
    let caches =
        use_parse_cache().then(|| ParseCaches::open(folders.iter().map(DataFolder::cache_root)));
    let caches = caches.as_ref();
    // The folders' logs are parsed on every core; what each gives is taken in order.
    let computed = repro::sys::par_map(&folders, |folder| {
        let cache = caches.and_then(|c| c.of(folder.cache_root()));
        folders::folder_tables(&out.project, folder, cache)
    });
    if let Some(caches) = caches {
        save_caches(caches);
    }
    for (folder, result) in folders.iter().zip(computed) {
        match (result, &folder.below) {
            (Ok(Some(found)), _) => tables.extend(found),
            (Ok(None), _) => no_runs(folder, &out),
            // One bad folder of a tree is named; the others are tabled.
            (Err(error), Some(_)) => {
                skipped += 1;
                eprintln!("warning: {:#}: skipped", anyhow::Error::from(error));
            }
            (Err(error), None) => return Err(error.into()),
        }
    }
    // Every table is computed before the first is written: bad input writes nothing.
    tables.iter().for_each(warn);
    let written = folders::write_tables(&folders, &tables, &args.results, args.force)?;
    let mut kept = Vec::new();
    for (group, report) in tables.iter().zip(written.groups) {
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
    for (count, dir) in &written.replaced {
        eprintln!(
            "note: {count} replaced table file(s) kept under `{}`",
            dir.display()
        );
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

/// The parse caches written; one that cannot be is said (the tables do not depend on it).
fn save_caches(caches: &ParseCaches) {
    for (file, error) in caches.save() {
        eprintln!(
            "note: the parse cache `{}` could not be written ({error}); the next pass parses again",
            file.display()
        );
    }
}

/// Whether logs' parses are kept under the results (`REPRO_PARSE_CACHE=off` turns it off).
pub fn use_parse_cache() -> bool {
    std::env::var("REPRO_PARSE_CACHE").map_or(true, |v| v != "off" && v != "0")
}

/// A recipe's folder without run folders yet.
fn no_runs(folder: &DataFolder, out: &Output) {
    if !out.quiet {
        eprintln!(
            "{}: no run folders (iterations/<i>/) in `{}`, skipped",
            folder.name,
            folder.dir.display()
        );
    }
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
