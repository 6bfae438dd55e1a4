//! `repro table <figure|all> --results DIR`

use std::process::ExitCode;

use anyhow::Context;
use repro::artifacts::derived::Policy;
use repro::artifacts::replaced::Replaced;
use repro::table;

use super::Output;
use crate::cli::TableArgs;

pub fn run(args: TableArgs, out: Output) -> anyhow::Result<ExitCode> {
    let folders = super::figure_folders(&args.results, &args.figure)?;
    let _lock = repro::artifacts::lock::lock(&args.results)?;
    let mut replaced = Replaced::new(&args.results);
    let mut kept = Vec::new();
    for (name, dir) in folders {
        let groups = table::find_groups(&dir)
            .with_context(|| format!("looking for runs in `{}`", dir.display()))?;
        if groups.is_empty() {
            if !out.quiet {
                eprintln!(
                    "{name}: no run folders (iterations/<i>/) in `{}`, skipped",
                    dir.display()
                );
            }
            continue;
        }
        for group_dir in groups {
            let order = super::label_order(&out.project, &dir, &group_dir)?;
            let group = table::group_table(&group_dir, order.as_deref())?;
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
            let mut policy = Policy {
                replace_foreign: args.force.then_some(&mut replaced),
            };
            let report = table::write_group(&group, &mut policy)?;
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
