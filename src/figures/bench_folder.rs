//! Which charts a benchmark's results folder gets, of every kind (serving, capacity, prefill,
//! offline): the one decision `repro render` and `repro bench` share.

use std::path::Path;

use super::bench::{self, BenchDataError};
use super::offline;
use super::ChartData;

/// A chart a benchmark's folder gets.
pub struct FolderChart {
    /// Its file's stem under `repro render`'s output (`bench-<name>-capacity`).
    pub stem: String,
    /// The file it is also drawn as beside its JSON when the benchmark runs (`capacity.svg`).
    pub beside: Option<&'static str>,
    pub chart: ChartData,
}

/// The charts drawn from a benchmark folder's own JSON — a capacity search's
/// (`capacity.json`) and a prefill profile's (`prefill.json`) — which `repro bench` also draws
/// beside them.
pub fn json_charts(dir: &Path, name: &str) -> Result<Vec<FolderChart>, BenchDataError> {
    let mut charts = Vec::new();
    // A capacity search's probes live under `capacity/`; its chart comes from `capacity.json`.
    let capacity = dir.join("capacity.json");
    if capacity.is_file() {
        charts.push(FolderChart {
            stem: format!("bench-{name}-capacity"),
            beside: Some("capacity.svg"),
            chart: ChartData::Lines(bench::capacity_chart(&bench::read_json(&capacity)?)),
        });
    }
    let prefill = dir.join("prefill.json");
    if prefill.is_file() {
        charts.push(FolderChart {
            stem: format!("bench-{name}-prefill"),
            beside: Some("prefill.svg"),
            chart: ChartData::Lines(bench::prefill_chart(&bench::read_json(&prefill)?)),
        });
    }
    Ok(charts)
}

/// Every chart benchmark `name`'s folder `dir` gets — the one decision `repro render` and
/// `repro bench` share: its JSON's charts ([`json_charts`]); a serving matrix's latency
/// curves, CDFs, engines compared and start-ups from its runs; an offline benchmark's latency
/// and throughput bars. `NoRuns` where there is nothing to draw yet.
pub fn folder_charts(dir: &Path, name: &str) -> Result<Vec<FolderChart>, BenchDataError> {
    let mut charts = json_charts(dir, name)?;
    let mut push = |suffix: &str, chart| {
        charts.push(FolderChart {
            stem: format!("bench-{name}-{suffix}"),
            beside: None,
            chart,
        })
    };
    let runs = match bench::load_runs(dir) {
        Err(BenchDataError::NoRuns { path }) => {
            // An offline benchmark's runs have no serving summary: their own charts.
            let offline = offline::load(dir)?;
            let bars = [
                ("offline-latency", offline::latency_chart(&offline)),
                ("offline-throughput", offline::throughput_chart(&offline)),
            ];
            for (suffix, chart) in bars {
                if let Some(chart) = chart {
                    push(suffix, ChartData::GroupedBars(chart));
                }
            }
            if charts.is_empty() {
                return Err(BenchDataError::NoRuns { path });
            }
            return Ok(charts);
        }
        runs => runs?,
    };
    let mut runs = runs;
    runs.extend(imported_beside(dir)?);
    for (stem, chart) in bench::charts(name, &runs) {
        charts.push(FolderChart {
            stem,
            beside: None,
            chart: ChartData::Lines(chart),
        });
    }
    if let Some(chart) = bench::pareto_chart(name, &runs) {
        charts.push(FolderChart {
            stem: format!("bench-{name}-pareto"),
            beside: None,
            chart: ChartData::Pareto(chart),
        });
    }
    let bars = [
        ("compare", bench::compare_chart(&runs)),
        ("startup", bench::startup_chart(&runs)),
    ];
    for (suffix, chart) in bars {
        if let Some(chart) = chart {
            charts.push(FolderChart {
                stem: format!("bench-{name}-{suffix}"),
                beside: None,
                chart: ChartData::GroupedBars(chart),
            });
        }
    }
    Ok(charts)
}

/// The runs other tools made for the benchmark of folder `dir` (`<results>/bench-<name>`),
/// as `repro bench import` keeps them: `<results>/imported/<tool>/bench-<name>/<run>/`, each
/// labelled `<tool>/<run>` with `tool` in its params (a line of its own in the curves).
pub fn imported_beside(dir: &Path) -> Result<Vec<bench::BenchRunData>, BenchDataError> {
    let (Some(results), Some(folder)) = (dir.parent(), dir.file_name()) else {
        return Ok(vec![]);
    };
    let imported = results.join("imported");
    let Ok(entries) = std::fs::read_dir(&imported) else {
        return Ok(vec![]);
    };
    let mut tools: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    tools.sort();
    let mut runs = Vec::new();
    for tool in tools {
        let there = imported.join(&tool).join(folder);
        if !there.is_dir() {
            continue;
        }
        let found = match bench::load_runs(&there) {
            Err(BenchDataError::NoRuns { .. }) => continue,
            found => found?,
        };
        for mut run in found {
            run.label = format!("{tool}/{}", run.label);
            run.params.insert("tool".into(), tool.clone().into());
            runs.push(run);
        }
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_run(dir: &Path, params: serde_json::Value) {
        std::fs::create_dir_all(dir).unwrap();
        let summary = crate::bench::metrics::summarize(
            &[],
            crate::bench::metrics::Slo::default(),
            crate::bench::metrics::Offered::default(),
        );
        let text = serde_json::to_string(&summary).unwrap();
        std::fs::write(dir.join("summary.json"), text).unwrap();
        let run = serde_json::json!({ "params": params });
        std::fs::write(dir.join("run.json"), run.to_string()).unwrap();
    }

    #[test]
    fn imported_runs_stand_beside_the_benchmarks_own() {
        let tmp = tempfile::tempdir().unwrap();
        let results = tmp.path();
        let own = results.join("bench-b");
        write_run(&own.join("rate_1.0"), serde_json::json!({"rate": 1.0}));
        let imported = results.join("imported/vllm-bench/bench-b/run-a");
        write_run(&imported, serde_json::json!({"rate": 2.0}));
        // Another benchmark's import is not this one's.
        write_run(
            &results.join("imported/aiperf/bench-other/x"),
            serde_json::json!({}),
        );
        let beside = imported_beside(&own).unwrap();
        assert_eq!(beside.len(), 1);
        assert_eq!(beside[0].label, "vllm-bench/run-a");
        assert_eq!(beside[0].params["tool"], "vllm-bench");
        let charts = folder_charts(&own, "b").unwrap();
        let compare = charts
            .iter()
            .find(|c| c.stem == "bench-b-compare")
            .expect("two runs to compare");
        let ChartData::GroupedBars(bars) = &compare.chart else {
            panic!("bars")
        };
        let names: Vec<&str> = bars.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["rate_1.0", "vllm-bench/run-a"]);
        // The imported folder drawn alone has nothing beside it.
        assert!(
            imported_beside(&results.join("imported/vllm-bench/bench-b"))
                .unwrap()
                .is_empty()
        );
    }
}
