//! `--dry-run`: every task, its short key, and whether it is done (and where) or will run (and
//! why). Verbose adds the key's JSON, so a changed input can be seen.

use std::io::Write;
use std::path::Path;

use super::graph::{Plan, TaskState};
use crate::artifacts::manifest::Manifest;

/// The dry-run text of a plan; paths are shown relative to `results`.
pub fn explain(
    plan: &Plan,
    states: &[(TaskState, Option<Box<Manifest>>)],
    results: &Path,
    verbose: bool,
) -> String {
    let mut out = Vec::new();
    write_explanation(&mut out, plan, states, results, verbose).expect("writing to memory");
    String::from_utf8(out).expect("the text is UTF-8")
}

/// [`explain`] written line by line into `out` (a 100,000-task plan's text is 10 MB: printed as
/// it is made, not held); stops at the first write error (a closed pipe).
pub fn write_explanation(
    out: &mut dyn Write,
    plan: &Plan,
    states: &[(TaskState, Option<Box<Manifest>>)],
    results: &Path,
    verbose: bool,
) -> std::io::Result<()> {
    let done = states.iter().filter(|(s, _)| *s == TaskState::Done).count();
    let to_run = states.iter().filter(|(s, _)| s.runs()).count();
    let foreign = plan.tasks.len() - done - to_run;
    writeln!(
        out,
        "{} ({}): {} tasks, {} done, {}{} to run",
        plan.figure,
        plan.title,
        plan.tasks.len(),
        done,
        if foreign > 0 {
            format!("{foreign} present but not made here (kept), ")
        } else {
            String::new()
        },
        to_run
    )?;
    for (task, (state, manifest)) in plan.tasks.iter().zip(states) {
        let rel = |p: &Path| p.strip_prefix(results).unwrap_or(p).display().to_string();
        match state {
            TaskState::Done => {
                let host = manifest.as_ref().map_or("", |m| m.host.name.as_str());
                writeln!(
                    out,
                    "  done      {}  {}  (on {host})",
                    task.key.short(),
                    rel(&task.paths.log)
                )?;
            }
            TaskState::Foreign(why) => {
                writeln!(
                    out,
                    "  present   {}  {}  ({why}: kept, not run; --force reruns it and keeps this file under replaced/)",
                    task.key.short(),
                    rel(&task.paths.log)
                )?;
            }
            TaskState::Run(reason) => {
                writeln!(
                    out,
                    "  will run  {}  {}  ({reason})",
                    task.key.short(),
                    rel(&task.paths.log)
                )?;
            }
        }
        if verbose {
            writeln!(out, "            key {}", task.inputs().to_json())?;
            if let Some(stored) = manifest.as_ref().filter(|m| m.task_key != task.key.0) {
                writeln!(out, "            was {}", stored.key_inputs.to_json())?;
            }
        }
    }
    Ok(())
}
