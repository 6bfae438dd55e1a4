//! `repro parse LOG…` (the paper's rules) and `repro parse --ledger LOG…` (any version).

use std::process::ExitCode;

use anyhow::Context;
use repro::num::Num;
use repro::parse;
use repro::parse::ledger;

use super::Output;
use crate::cli::ParseArgs;

pub fn run(args: ParseArgs, out: Output) -> anyhow::Result<ExitCode> {
    if args.ledger {
        return run_ledger(&args, out);
    }
    let mut parsed = Vec::new();
    let mut failed = 0;
    for path in &args.logs {
        match parse::parse_file(path) {
            Ok(log) => {
                // The paper's numbers stay as its parser gives them; a cut or crashed log is
                // only named, so a reader knows its totals are partial.
                let completeness = std::fs::read(path)
                    .map(|bytes| parse::completeness(&String::from_utf8_lossy(&bytes)))
                    .with_context(|| format!("reading `{}`", path.display()))?;
                if !completeness.complete {
                    eprintln!(
                        "warning: `{}` looks cut or crashed, its numbers are partial: {}",
                        path.display(),
                        completeness.reason
                    );
                }
                parsed.push((path.display().to_string(), log, completeness));
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
            }
        }
    }
    if args.json {
        let entries: Vec<serde_json::Value> = parsed
            .iter()
            .map(|(path, log, c)| {
                serde_json::json!({
                    "log": path,
                    "stages": log.stages,
                    "initialize_engine": log.initialize_engine,
                    "vllm_version": log.vllm_version,
                    "complete": c.complete,
                    "incomplete_reason": (!c.complete).then_some(&c.reason),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&entries).context("writing JSON")?
        );
    } else {
        print_table(&parsed);
    }
    Ok(exit_code(failed))
}

fn exit_code(failed: usize) -> ExitCode {
    if failed > 0 {
        ExitCode::from(repro::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--ledger`: every file's ledger; bad files are named on stderr (and listed in `--json`).
fn run_ledger(args: &ParseArgs, out: Output) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.min_gap.is_finite() && args.min_gap > 0.0,
        "--min-gap must be a positive number of seconds, not {}",
        args.min_gap
    );
    let opts = ledger::Options {
        min_gap_s: args.min_gap,
    };
    let mut ledgers = Vec::new();
    let mut errors = Vec::new();
    for path in &args.logs {
        match ledger::ledger_of_file(path, opts) {
            Ok(l) => {
                for run in l.runs.iter().filter(|r| !r.complete) {
                    eprintln!(
                        "warning: `{}` (lines {}–{}) is not a complete start-up: {}",
                        path.display(),
                        run.lines[0],
                        run.lines[1],
                        run.completeness.reason
                    );
                }
                ledgers.push(l);
            }
            Err(e) => {
                eprintln!("error: {e}");
                errors.push(
                    serde_json::json!({"log": path.display().to_string(), "error": e.to_string()}),
                );
            }
        }
    }
    if args.json {
        let doc = serde_json::json!({
            "schema": "repro parse --ledger; docs/ledger.md",
            "schema_version": ledger::SCHEMA_VERSION,
            "summary_rules": {
                "last": "the value of the line printed last, over all processes (the paper's rule: a later line overwrites an earlier one)",
                "slowest": "the largest value over the processes (the slowest rank)",
            },
            "logs": ledgers,
            "errors": errors,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).context("writing JSON")?
        );
    } else {
        for (i, l) in ledgers.iter().enumerate() {
            if i > 0 {
                println!();
            }
            print!("{}", ledger::table::render(l));
        }
        let derived = ledgers.iter().flat_map(|l| &l.runs).any(|r| {
            r.processes
                .iter()
                .any(|p| p.values.values().any(|v| v.derived_from.is_some()))
        });
        if !out.quiet && derived {
            println!("\n* derived from the timestamps of two lines (vLLM printed no duration)");
        }
    }
    Ok(exit_code(errors.len()))
}

fn cell(value: Option<Num>) -> String {
    value.map_or_else(|| "--".to_string(), |v| format!("{:.3}", v.as_f64()))
}

fn print_table(parsed: &[(String, parse::ParsedLog, parse::Completeness)]) {
    for (path, log, completeness) in parsed {
        println!("{path}");
        for (stage, value) in log.stages.iter() {
            println!("  {:<28} {:>10}", stage.key(), cell(value));
        }
        if let Some(secs) = log.initialize_engine {
            println!("  {:<28} {:>10.3}", "initialize_engine (harness)", secs);
        }
        if !completeness.complete {
            println!("  (not complete: {})", completeness.reason);
        }
    }
}
