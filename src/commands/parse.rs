//! `repro parse LOG…`

use std::process::ExitCode;

use anyhow::Context;
use repro::num::Num;
use repro::parse;

use super::Output;
use crate::cli::ParseArgs;

pub fn run(args: ParseArgs, _out: Output) -> anyhow::Result<ExitCode> {
    let mut parsed = Vec::new();
    let mut failed = 0;
    for path in &args.logs {
        match parse::parse_file(path) {
            Ok(log) => parsed.push((path.display().to_string(), log)),
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
            }
        }
    }
    if args.json {
        let entries: Vec<serde_json::Value> = parsed
            .iter()
            .map(|(path, log)| serde_json::json!({"log": path, "stages": log.stages, "initialize_engine": log.initialize_engine, "vllm_version": log.vllm_version}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&entries).context("writing JSON")?
        );
    } else {
        print_table(&parsed);
    }
    Ok(if failed > 0 {
        ExitCode::from(repro::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

fn cell(value: Option<Num>) -> String {
    value.map_or_else(|| "--".to_string(), |v| format!("{:.3}", v.as_f64()))
}

fn print_table(parsed: &[(String, parse::ParsedLog)]) {
    for (path, log) in parsed {
        println!("{path}");
        for (stage, value) in log.stages.iter() {
            println!("  {:<28} {:>10}", stage.key(), cell(value));
        }
        if let Some(secs) = log.initialize_engine {
            println!("  {:<28} {:>10.3}", "initialize_engine (harness)", secs);
        }
    }
}
