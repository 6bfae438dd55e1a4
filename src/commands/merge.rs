//! `repro merge SOURCE…`

use std::process::ExitCode;

use anyhow::Context;
use repro::archive::{self, MergeOptions, Prefer};

use super::Output;
use crate::cli::{MergeArgs, PreferArg};

pub fn run(args: MergeArgs, out: Output) -> anyhow::Result<ExitCode> {
    let options = MergeOptions {
        prefer: args.prefer.map(|p| match p {
            PreferArg::Ours => Prefer::Ours,
            PreferArg::Theirs => Prefer::Theirs,
        }),
        dry_run: args.dry_run,
        trust_unlisted: args.trust_unlisted,
        // Fault injection for the interrupted-merge test.
        crash_after: std::env::var("REPRO_MERGE_CRASH_AFTER")
            .ok()
            .and_then(|v| v.parse().ok()),
    };
    let report = archive::merge(&args.results, &args.sources, &options)
        .with_context(|| format!("merging into `{}`", args.results.display()))?;
    if report.rolled_back {
        eprintln!(
            "note: an interrupted earlier merge {} rolled back first",
            if args.dry_run { "would be" } else { "was" }
        );
    }
    for archive in &report.unchecked {
        eprintln!(
            "warning: `{}` has no repro-pack.json: its files were merged without checking their hashes (--trust-unlisted)",
            archive.display()
        );
    }
    if let Some(first) = report.kept_replaced.first() {
        eprintln!(
            "note: the {} local file(s) replaced are kept under `{}`",
            report.kept_replaced.len(),
            first
                .ancestors()
                .find(|a| a.parent().and_then(|p| p.file_name()) == Some("replaced".as_ref()))
                .unwrap_or(first)
                .display()
        );
    }
    if !out.quiet {
        let verb = if args.dry_run { "would add" } else { "added" };
        println!(
            "{verb} {} files, replaced {}, {} identical, {} kept as ours",
            report.added.len(),
            report.replaced.len(),
            report.identical,
            report.kept_ours
        );
    }
    if out.verbose || args.dry_run {
        for path in report.added.iter().chain(&report.replaced) {
            println!("  {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
