//! `repro kick-the-tires`: run the evaluator's checks (`repro::kick`) in a work folder, then
//! print the checklist: pass, fail or skipped, with how long each took and where to look.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use repro::kick::{self, Check, Steps, Verdict};

use super::Output;
use crate::cli::KickArgs;

pub fn run(args: KickArgs, out: Output) -> anyhow::Result<ExitCode> {
    let dir = std::path::absolute(&args.dir).context("resolving the work folder")?;
    std::fs::create_dir_all(dir.join("logs"))
        .with_context(|| format!("creating `{}`", dir.display()))?;
    let steps = Steps {
        exe: std::env::current_exe().context("finding the repro binary")?,
        project: std::path::absolute(&out.project.root).context("resolving the project")?,
        dir: dir.clone(),
        setup_cpu: args.setup_cpu,
    };
    if !out.quiet {
        eprintln!(
            "kick-the-tires in `{}` (each step's output in `logs/`)",
            dir.display()
        );
    }
    let checks = kick::checks(&steps, &mut |what| {
        if !out.quiet {
            eprintln!("… {what}");
        }
    });
    print_checklist(&checks);
    let failed = checks.iter().any(|c| matches!(c.verdict, Verdict::Fail(_)));
    Ok(if failed {
        ExitCode::from(repro::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_checklist(checks: &[Check]) {
    let total: Duration = checks.iter().map(|c| c.took).sum();
    println!(
        "kick-the-tires: {} checks in {}",
        checks.len(),
        human(total)
    );
    for c in checks {
        let (mark, detail) = match &c.verdict {
            Verdict::Pass(d) => ("pass", d),
            Verdict::Fail(d) => ("FAIL", d),
            Verdict::Skipped(d) => ("skip", d),
        };
        println!("  {mark}  {:<58} {:>8}", c.what, human(c.took));
        println!("        {detail}");
        println!("        look at: {}", c.look);
    }
}

fn human(d: Duration) -> String {
    repro::estimate::human_duration(d.as_secs_f64())
}
