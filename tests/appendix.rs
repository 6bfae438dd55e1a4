//! `repro appendix`: the artifact appendix, from the project alone, on the published data and
//! on fresh fake-engine runs whose manifests carry the machine.

use crate::claims::{with_fake_runs, with_published_data};
use crate::common::*;

/// The check-list's fields, as the ACM / MLSys appendix names them.
const FIELDS: [&str; 21] = [
    "Algorithm",
    "Program",
    "Model",
    "Data set",
    "Run-time environment",
    "Hardware",
    "Run-time state",
    "Execution",
    "Metrics",
    "Output",
    "Experiments",
    "How much disk space required (approximately)?",
    "How much time is needed to prepare workflow (approximately)?",
    "How much time is needed to complete experiments (approximately)?",
    "How much time is needed to analyse the results (approximately)?",
    "Publicly available?",
    "Code licenses (if publicly available)?",
    "Data licenses (if publicly available)?",
    "Workflow framework used?",
    "Archived (provide DOI)?",
    "In all",
];

fn claim_ids() -> Vec<String> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/claims.toml")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("id = \""))
        .map(|id| id.trim_end_matches('"').to_string())
        .collect()
}

#[test]
fn from_the_project_alone_every_field_and_claim_is_filled() {
    let t = Test::new();
    let md = t.run_with(["appendix"]).success().stdout;
    for field in FIELDS {
        let line = md
            .lines()
            .find(|l| l.starts_with(&format!("- **{field}**: ")))
            .unwrap_or_else(|| panic!("no field {field:?} in\n{md}"));
        assert!(line.len() > field.len() + 10, "{line}");
    }
    // Each claim has its commands, time and expected value.
    for id in claim_ids() {
        let at = md
            .find(&format!("### {id} (figure "))
            .unwrap_or_else(|| panic!("no claim {id}"));
        let claim = &md[at..];
        let claim = &claim[..claim[4..].find("\n### ").map_or(claim.len(), |e| e + 4)];
        assert!(claim.contains("```sh\nrepro figure "), "{claim}");
        assert!(claim.contains("- **Time and resources**: "), "{claim}");
        assert!(claim.contains("- **Expected**: "), "{claim}");
    }
    // The split parts with their machines, the time with its source, the kick-the-tires path.
    assert!(md.contains(
        "| 10 | `repro figure 10 --gpu 1` | n2 (L40S, AMD EPYC 9354 (32C)) | 66 runs, about "
    ));
    assert!(md.contains("the paper's published time on its H100 NVL"));
    assert!(md.contains("```sh\nrepro kick-the-tires\n```"));
    assert!(md.contains("(`repro doctor` on `"));
    assert!(
        !md.contains("What was measured where"),
        "no results were named"
    );
}

#[test]
fn on_the_published_data_it_gives_the_verdicts_and_says_no_manifest() {
    let t = with_published_data();
    let before = snapshot(&t.path("results"));
    let out = t
        .run_with(["appendix", "--results", "results", "--out", "appendix.md"])
        .success();
    assert!(
        out.stdout.starts_with("wrote appendix.md"),
        "{}",
        out.stdout
    );
    assert_eq!(
        snapshot(&t.path("results")),
        before,
        "the results folder changed"
    );
    let md = std::fs::read_to_string(t.path("appendix.md")).unwrap();
    assert!(md.contains("## What was measured where (`results`)"));
    assert!(md.contains("| Figure 10 | gpu1 | "), "{md}");
    assert!(md.contains("data files repro did not make (no manifest)"));
    assert!(
        md.contains("| cpu-dominant | supported | 87.0% (paper 87.0%"),
        "{md}"
    );
    assert!(md.contains("measured here while writing this appendix"));
}

#[test]
fn fresh_fake_runs_carry_their_machine_into_manifests_status_and_appendix() {
    let t = with_fake_runs();
    let manifest = std::fs::read_dir(t.path("results/figure-2/iterations/1/manifests"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("output_"))
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manifest.path()).unwrap()).unwrap();
    let machine = &json["host"]["machine"];
    assert!(machine["cpus"].as_u64().is_some_and(|n| n >= 1), "{json}");
    assert!(
        machine["memory_bytes"].as_u64().is_some_and(|n| n > 0),
        "{json}"
    );
    assert!(machine["kernel"].is_string(), "{json}");
    assert!(machine["model_disk"]["path"].is_string(), "{json}");

    let status = t
        .run_with(["status", "--results", "results"])
        .success()
        .stdout;
    assert!(
        status.contains(" CPUs, ") || status.contains(" 1 CPU, "),
        "{status}"
    );

    let tex = t
        .run_with(["appendix", "--results", "results", "--format", "tex"])
        .success()
        .stdout;
    assert!(tex.contains("\\section*{Artifact Appendix"), "{tex}");
    assert!(tex.contains("\\textbf{How much disk space required (approximately)?}"));
    assert!(tex.contains("checked on simulated data"), "{tex}");
    assert!(tex.contains("engine fake (simulated)"), "{tex}");
    assert!(
        tex.contains("memory, "),
        "the hardware the manifests recorded: {tex}"
    );
    assert!(!tex.contains("**"), "Markdown left in the LaTeX");
}

#[test]
fn a_missing_results_folder_is_named() {
    let t = Test::new();
    let out = t.run_with(["appendix", "--results", "nowhere"]).failure();
    assert!(out.stderr.contains("nowhere"), "{}", out.stderr);
}
