//! `repro figure … --on MACHINE` (and `repro bench … --on MACHINE`): run a part through the
//! executor machines.toml gives that machine. Local runs here as usual; Slurm submits a batch
//! script that runs this same repro command (without `--on`) on the allocated node, into the
//! same results folder.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use repro::config::machines::Executor;
use repro::exit;
use repro::plan::Plan;
use repro::run::slurm::{self, JobState, Submission};

use super::Output;
use crate::cli::FigureArgs;

/// How often `--wait` asks Slurm (squeue is cheap; the runs take minutes).
const POLL: Duration = Duration::from_secs(2);

/// The folder of a plan's part (where its record goes).
fn part_dir(plan: &Plan) -> PathBuf {
    plan.groups
        .first()
        .map(|g| g.dir.clone())
        .expect("a plan has a group")
}

/// This process's arguments without `--on NAME` and `--wait`: what the job runs.
fn forwarded_args() -> Vec<OsString> {
    let mut out = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let s = arg.to_string_lossy();
        if s == "--on" {
            args.next();
        } else if s == "--wait" || s.starts_with("--on=") {
        } else {
            out.push(arg);
        }
    }
    out
}

/// Run with `--on`: `Ok(None)` when the part runs here (a local machine, or `--dry-run`).
pub fn run(args: &FigureArgs, out: &Output, plans: &[Plan]) -> anyhow::Result<Option<ExitCode>> {
    let Some(name) = &args.on else {
        return Ok(None);
    };
    let machines = out.project.machines()?;
    let machine = machine(out, name)?;
    if args.figure == "all" || plans.len() != 1 {
        bail!("--on submits one figure at a time: pass a figure id, not `all`");
    }
    let plan = &plans[0];
    let part = repro::reproduce::figure::part_name(plan);
    if let Some((runner, _)) = machines.runner_of(&part) {
        if runner != name {
            bail!("`{part}` runs on machine `{runner}` per machines.toml, not `{name}`: pass --on {runner}");
        }
    } else if !machine.runs.is_empty() && plan.groups.first().is_some_and(|g| g.part.is_some()) {
        bail!(
            "machine `{name}` runs {} per machines.toml, not `{part}`: add it to its `runs` or pick another machine",
            machine.runs.join(", ")
        );
    }
    let target = Target {
        part,
        dir: part_dir(plan),
        dry_run: args.dry_run,
        wait: args.wait,
    };
    submit(name, &machine, &target, out)
}

/// What `--on` sends: a part's name (`figure-10/gpu1`, `bench-cpu-smoke`) and its folder
/// (where the script, the job's output and `slurm-jobs.json` go).
pub struct Target {
    pub part: String,
    pub dir: PathBuf,
    pub dry_run: bool,
    pub wait: bool,
}

/// Look up `--on NAME` in machines.toml.
pub fn machine(out: &Output, name: &str) -> anyhow::Result<repro::config::machines::Machine> {
    let machines = out.project.machines()?;
    match machines.machines.get(name) {
        Some(machine) => Ok(machine.clone()),
        None => {
            let known: Vec<&str> = machines.machines.keys().map(String::as_str).collect();
            bail!(
                "no machine `{name}` in machines.toml (known: {})",
                known.join(", ")
            )
        }
    }
}

/// Run this command on `machine`: `Ok(None)` where that is here (a local machine, or a dry
/// run), else the exit code of submitting (and, with `--wait`, of the job).
pub fn submit(
    name: &str,
    machine: &repro::config::machines::Machine,
    target: &Target,
    out: &Output,
) -> anyhow::Result<Option<ExitCode>> {
    let Executor::Slurm {
        partition,
        gpus,
        time,
        account,
    } = &machine.executor
    else {
        // A local machine: this is it.
        return Ok(None);
    };
    let part = &target.part;
    if target.dry_run {
        eprintln!("--dry-run: nothing submitted to `{name}` (slurm partition {partition})");
        return Ok(None);
    }
    let dir = target.dir.clone();
    let job_name = slurm::job_name(part);
    let mut command = vec![std::env::current_exe()
        .context("finding the repro binary")?
        .into_os_string()];
    command.extend(forwarded_args());
    let submission = Submission {
        job_name,
        partition: partition.clone(),
        gpus: *gpus,
        time: time.clone(),
        account: account.clone(),
        workdir: std::env::current_dir().context("reading the current folder")?,
        part_dir: dir.clone(),
        machine: name.to_string(),
        command,
    };
    let job = slurm::submit(&submission).with_context(|| {
        format!(
            "submitting `{part}` to machine `{name}` (slurm partition {partition}; its partition, gpus, time and account come from machines.toml)"
        )
    })?;
    println!(
        "{part}: submitted slurm job {} ({}) to `{name}`, partition {partition}; output: {}",
        job.id,
        job.name,
        job.output.display()
    );
    if !target.wait {
        println!(
            "follow it with `repro status` or `squeue -j {}`; pass --wait to wait for it",
            job.id
        );
        return Ok(Some(ExitCode::SUCCESS));
    }
    wait_for(&job, &dir, part, out)
}

/// `--wait`: follow the job to its end; the end of its output where it failed.
fn wait_for(
    job: &slurm::JobRecord,
    dir: &std::path::Path,
    part: &str,
    out: &Output,
) -> anyhow::Result<Option<ExitCode>> {
    let mut changed = |state: &JobState| {
        if !out.quiet {
            eprintln!("job {}: {state}", job.id);
        }
    };
    let state = slurm::wait_recorded(job, dir, POLL, &mut changed)
        .with_context(|| format!("following slurm job {}", job.id))?;
    let exit_status = slurm::exit_status_in_output(&job.output);
    if slurm::succeeded(&state, exit_status) {
        println!("{part}: slurm job {} completed", job.id);
        return Ok(Some(ExitCode::SUCCESS));
    }
    eprintln!(
        "error: slurm job {} ended {state}{}; its output: {}",
        job.id,
        exit_status.map_or(String::new(), |c| format!(" (repro exited with {c})")),
        job.output.display()
    );
    let text = std::fs::read_to_string(&job.output).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines[lines.len().saturating_sub(8)..] {
        eprintln!("    | {line}");
    }
    Ok(Some(ExitCode::from(exit::RUNS_FAILED)))
}
