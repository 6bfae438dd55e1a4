//! `--dry-run`: every task, its short key, and whether it is done (and where) or will run (and
//! why). Verbose adds the key's JSON, so a changed input can be seen.

use std::fmt::Write;
use std::path::Path;

use super::graph::{Plan, TaskState};
use crate::artifacts::manifest::Manifest;

/// The dry-run text of a plan; paths are shown relative to `results`.
pub fn explain(
    plan: &Plan,
    states: &[(TaskState, Option<Manifest>)],
    results: &Path,
    verbose: bool,
) -> String {
    let done = states.iter().filter(|(s, _)| *s == TaskState::Done).count();
    let to_run = states.iter().filter(|(s, _)| s.runs()).count();
    let foreign = plan.tasks.len() - done - to_run;
    let mut out = String::new();
    let _ = writeln!(
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
    );
    for (task, (state, manifest)) in plan.tasks.iter().zip(states) {
        let rel = |p: &Path| p.strip_prefix(results).unwrap_or(p).display().to_string();
        match state {
            TaskState::Done => {
                let host = manifest.as_ref().map_or("", |m| m.host.name.as_str());
                let _ = writeln!(
                    out,
                    "  done      {}  {}  (on {host})",
                    task.key.short(),
                    rel(&task.paths.log)
                );
            }
            TaskState::Foreign(why) => {
                let _ = writeln!(
                    out,
                    "  present   {}  {}  ({why}: kept, not run; --force reruns it and keeps this file under replaced/)",
                    task.key.short(),
                    rel(&task.paths.log)
                );
            }
            TaskState::Run(reason) => {
                let _ = writeln!(
                    out,
                    "  will run  {}  {}  ({reason})",
                    task.key.short(),
                    rel(&task.paths.log)
                );
            }
        }
        if verbose {
            let _ = writeln!(out, "            key {}", task.inputs().to_json());
            if let Some(stored) = manifest.as_ref().filter(|m| m.task_key != task.key.0) {
                let _ = writeln!(out, "            was {}", stored.key_inputs.to_json());
            }
        }
    }
    out
}
