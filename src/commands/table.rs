//! `repro table <figure|all> --results DIR`

use std::process::ExitCode;

use anyhow::Context;
use repro::table;

use super::Output;
use crate::cli::TableArgs;

pub fn run(args: TableArgs, out: Output) -> anyhow::Result<ExitCode> {
    let folders = super::figure_folders(&args.results, &args.figure)?;
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
            }
            for warning in &group.warnings {
                eprintln!("warning: `{}`: {warning}", group.dir.display());
            }
            let written = table::write_group(&group)?;
            if !out.quiet {
                let runs = group.runs.len();
                println!(
                    "{}: {} run folders, {} files written",
                    group.dir.display(),
                    runs,
                    written.len()
                );
            }
            if out.verbose {
                for path in written {
                    println!("  wrote {}", path.display());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
