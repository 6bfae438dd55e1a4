//! `repro claims --results DIR [--json]`: the paper's claims, each supported, not supported,
//! checked on simulated data only, or without data here.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use repro::claims::{self, Checked, Verdict};

use super::Output;
use crate::cli::ClaimsArgs;

pub fn run(args: ClaimsArgs, out: Output) -> anyhow::Result<ExitCode> {
    super::existing_results(&args.results)?;
    let claims = claims::load(&out.project).context("reading the claims")?;
    let checked = claims::check_all(&claims, &out.project, &args.results)?;
    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&json_view(&args.results, &checked))?;
        json.push('\n');
        json
    } else {
        table(&checked, out.verbose, &claims_origin(&out.project))
    };
    // A closed pipe (`repro claims | head`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if !out.quiet && !args.json {
        let mut seen = std::collections::HashSet::new();
        for c in &checked {
            for note in &c.notes {
                if seen.insert((&c.claim.figure, note)) {
                    eprintln!("warning: figure {}: {note}", c.claim.figure);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per claim, then where the data came from and what to run for the missing.
fn table(checked: &[Checked], verbose: bool, claims_from: &str) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{:<27} {:>3}  {:<23} {:>10}  {:>10}  {:<16} NOTE",
        "VERDICT", "FIG", "CLAIM", "MEASURED", "PAPER", "NEEDS"
    );
    for c in checked {
        let note = match &c.outcome {
            claims::Outcome::NoData { missing, .. } => format!("no `{}`", missing.display()),
            claims::Outcome::CannotCheck { why } => why.clone(),
            claims::Outcome::Measured { holds, .. } => match c.verdict() {
                Verdict::Simulated | Verdict::Synthetic if *holds => "within range".into(),
                Verdict::Simulated | Verdict::Synthetic => "out of range".into(),
                _ => String::new(),
            },
        };
        let line = format!(
            "{:<27} {:>3}  {:<23} {:>10}  {:>10}  {:<16} {note}",
            c.verdict().text(),
            c.claim.figure,
            c.claim.id,
            c.measured_text().unwrap_or_else(|| "-".into()),
            c.paper_text(),
            c.needs_text(),
        );
        let _ = writeln!(text, "{}", line.trim_end());
        if verbose {
            let _ = writeln!(text, "    {}", c.claim.claim);
            let _ = writeln!(text, "    source: {}", c.claim.source);
        }
    }
    text.push('\n');
    let mut by_origin: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut missing: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for c in checked {
        if let Some(data) = &c.data {
            push_once(
                by_origin.entry(data.describe()).or_default(),
                &c.claim.figure,
            );
        }
        if let claims::Outcome::NoData { hint, .. } = &c.outcome {
            push_once(missing.entry(hint.clone()).or_default(), &c.claim.figure);
        }
    }
    for (origin, figures) in &by_origin {
        let _ = writeln!(text, "data of figure {}: {origin}", figures.join(", "));
    }
    for (hint, figures) in &missing {
        let _ = writeln!(text, "no data for figure {}: {hint}", figures.join(", "));
    }
    let _ = writeln!(text, "{}", summary(checked));
    if by_origin.keys().any(|o| o.starts_with("not made by repro")) {
        let _ = writeln!(
            text,
            "note: a claim checked on the paper's own published data says that repro computes what the paper printed, not that the result was reproduced"
        );
    }
    if !verbose {
        let _ = writeln!(
            text,
            "(-v: each claim's wording and source; --json: everything; claims from {claims_from})"
        );
    }
    text
}

fn push_once<'a>(list: &mut Vec<&'a str>, figure: &'a str) {
    if !list.contains(&figure) {
        list.push(figure);
    }
}

/// Where the claims were read from, for the footer.
fn claims_origin(project: &repro::project::Project) -> String {
    let path = project.root.join(claims::CLAIMS_FILE);
    if path.is_file() {
        format!("`{}`", path.display())
    } else {
        "the claims.toml built into repro".into()
    }
}

/// `23 claims: 4 supported, 0 not supported, 15 no data here`.
fn summary(checked: &[Checked]) -> String {
    let verdicts = [
        Verdict::Supported,
        Verdict::NotSupported,
        Verdict::Simulated,
        Verdict::Synthetic,
        Verdict::NoData,
        Verdict::CannotCheck,
    ];
    let counts: Vec<String> = verdicts
        .iter()
        .map(|v| (v, checked.iter().filter(|c| c.verdict() == *v).count()))
        .filter(|(v, n)| *n > 0 || matches!(v, Verdict::Supported | Verdict::NotSupported))
        .map(|(v, n)| format!("{n} {}", v.text()))
        .collect();
    format!("{} claims: {}", checked.len(), counts.join(", "))
}

/// Everything, for scripts: each claim with its verdict, values, data and notes.
fn json_view(results: &std::path::Path, checked: &[Checked]) -> serde_json::Value {
    let claims: Vec<serde_json::Value> = checked
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.claim.id,
                "figure": c.claim.figure,
                "claim": c.claim.claim,
                "source": c.claim.source,
                "compute": c.claim.compute,
                "unit": c.claim.compute.unit(),
                "paper": c.claim.paper,
                "holds": c.claim.holds,
                "verdict": c.verdict(),
                "outcome": c.outcome,
                "data": c.data,
                "notes": c.notes,
            })
        })
        .collect();
    serde_json::json!({
        "schema": 1,
        "results": results,
        "summary": summary(checked),
        "claims": claims,
    })
}
