//! Offline-benchmark charts: a `bench-<name>` folder of offline runs (`<run>/offline.json`) →
//! latency bars (p50, p90, p99 of a batch's generation, one bar per run) and throughput bars
//! (input and output tokens/s, one bar per run). Reading is [`load`]; the charts are pure.

use std::path::Path;

use super::grouped::{Series, SERIES_COLORS};
use super::GroupedBarsData;
use crate::bench::harness::OfflineSummary;
use crate::figures::bench::BenchDataError;

/// Every complete offline run under `dir`, by folder name (failed and unfinished ones left out).
pub fn load(dir: &Path) -> Result<Vec<(String, OfflineSummary)>, BenchDataError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|source| BenchDataError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("offline.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.ends_with(".failed"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let path = dir.join(&name).join("offline.json");
            let bytes = std::fs::read(&path).map_err(|source| BenchDataError::Io {
                path: path.clone(),
                source,
            })?;
            let summary = serde_json::from_slice(&bytes)
                .map_err(|source| BenchDataError::Malformed { path, source })?;
            Ok((name, summary))
        })
        .collect()
}

fn bars(
    runs: &[(&str, Vec<Option<f64>>)],
    groups: &[&str],
    ylabel: &str,
) -> Option<GroupedBarsData> {
    if runs.is_empty() {
        return None;
    }
    Some(GroupedBarsData {
        groups: groups.iter().map(|g| g.to_string()).collect(),
        series: runs
            .iter()
            .enumerate()
            .map(|(i, (label, values))| Series {
                name: label.to_string(),
                color: SERIES_COLORS[i % SERIES_COLORS.len()].to_string(),
                means: values.clone(),
                stderrs: vec![None; values.len()],
            })
            .collect(),
        ylabel: ylabel.into(),
    })
}

/// Latency runs: p50, p90, p99 (ms) of one generation of the batch, a bar per run.
pub fn latency_chart(runs: &[(String, OfflineSummary)]) -> Option<GroupedBarsData> {
    let rows: Vec<(&str, Vec<Option<f64>>)> = runs
        .iter()
        .filter_map(|(label, s)| {
            let l = s.latency.as_ref()?;
            let at = |p: &str| l.percentiles_s.get(p).map(|v| v * 1000.0);
            Some((label.as_str(), vec![at("50"), at("90"), at("99")]))
        })
        .collect();
    bars(&rows, &["p50", "p90", "p99"], "Batch latency (ms)")
}

/// Throughput runs: input and output tokens/s, a bar per run.
pub fn throughput_chart(runs: &[(String, OfflineSummary)]) -> Option<GroupedBarsData> {
    let rows: Vec<(&str, Vec<Option<f64>>)> = runs
        .iter()
        .filter_map(|(label, s)| {
            let t = s.throughput.as_ref()?;
            Some((
                label.as_str(),
                vec![Some(t.input_tokens_per_s), Some(t.output_tokens_per_s)],
            ))
        })
        .collect();
    bars(&rows, &["input", "output"], "Tokens/s")
}
