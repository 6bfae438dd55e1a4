//! Serving-benchmark charts: a `bench-<name>` results folder → line charts (latency against
//! achieved request rate, per-run CDFs). Reading the folder is [`load_runs`]; the charts are pure
//! functions of what it read.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::bench::curves;
use crate::bench::metrics::Summary;

/// One line of a line chart: `(x, y)` points drawn in the order given, with markers.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// Vertical intervals `(x, low, high)` drawn with caps (a repeated point's 95% interval).
    pub bars: Vec<(f64, f64, f64)>,
}

/// A chart of lines with markers, a title, axis labels and a legend.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChartData {
    pub title: String,
    pub xlabel: String,
    pub ylabel: String,
    pub series: Vec<Series>,
    /// The y axis ends at this value where set (a CDF ends at 1).
    pub ymax: Option<f64>,
}

/// One complete run of a benchmark, as found in its folder.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRunData {
    /// The run's folder name (`rate_2.0`).
    pub label: String,
    /// The matrix values of the run (`run.json`'s `params`; empty where it has none).
    pub params: IndexMap<String, serde_json::Value>,
    pub summary: Summary,
    /// `cdf.json`: metric → `(value s, fraction)`, where the run has one.
    pub cdfs: Option<IndexMap<String, Vec<(f64, f64)>>>,
}

/// A benchmark folder that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BenchDataError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is malformed: {source}", path.display())]
    Malformed {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("`{}` holds no complete run (no `<run>/summary.json`)", path.display())]
    NoRuns { path: PathBuf },
}

/// Every complete run under `dir` (`<run>/summary.json`), sorted by folder name; failed
/// (`*.failed`) and unfinished (`.tmp-*`) runs are left out.
pub fn load_runs(dir: &Path) -> Result<Vec<BenchRunData>, BenchDataError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BenchDataError::Io { path, source }
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.ends_with(".failed"))
        .collect();
    names.sort();
    let mut runs = Vec::new();
    for name in names {
        let run = dir.join(&name);
        let summary_path = run.join("summary.json");
        if !summary_path.is_file() {
            runs.extend(tenant_runs(&run, &name)?);
            continue;
        }
        let summary: Summary = read_json(&summary_path)?;
        let run_json = run.join("run.json");
        let params = if run_json.is_file() {
            let v: serde_json::Value = read_json(&run_json)?;
            match v.get("params") {
                Some(p) => serde_json::from_value(p.clone()).map_err(|source| {
                    BenchDataError::Malformed {
                        path: run_json.clone(),
                        source,
                    }
                })?,
                None => IndexMap::new(),
            }
        } else {
            IndexMap::new()
        };
        let cdf_path = run.join("cdf.json");
        let cdfs = if cdf_path.is_file() {
            Some(read_json(&cdf_path)?)
        } else {
            None
        };
        runs.push(BenchRunData {
            label: name,
            params,
            summary,
            cdfs,
        });
    }
    if runs.is_empty() {
        return Err(BenchDataError::NoRuns {
            path: dir.to_path_buf(),
        });
    }
    Ok(runs)
}

/// The tenants of a shared run (`bench::tenants`: an `aggregate.json`, a `<tenant>.summary.json`
/// each) as runs `<label>/<tenant>`, their params the run's and `tenant`; none elsewhere.
fn tenant_runs(run: &Path, label: &str) -> Result<Vec<BenchRunData>, BenchDataError> {
    let aggregate = run.join("aggregate.json");
    if !aggregate.is_file() {
        return Ok(vec![]);
    }
    let aggregate: serde_json::Value = read_json(&aggregate)?;
    let mut base: IndexMap<String, serde_json::Value> = IndexMap::new();
    let run_json = run.join("run.json");
    if run_json.is_file() {
        let v: serde_json::Value = read_json(&run_json)?;
        if let Some(serde_json::Value::Object(params)) = v.get("params") {
            base.extend(params.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    let names = aggregate["tenants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str());
    let mut runs = Vec::new();
    for tenant in names {
        let mut params = base.clone();
        params.insert("tenant".into(), tenant.into());
        let cdf = run.join(format!("{tenant}.cdf.json"));
        runs.push(BenchRunData {
            label: format!("{label}/{tenant}"),
            params,
            summary: read_json(&run.join(format!("{tenant}.summary.json")))?,
            cdfs: if cdf.is_file() {
                Some(read_json(&cdf)?)
            } else {
                None
            },
        });
    }
    Ok(runs)
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, BenchDataError> {
    let bytes = std::fs::read(path).map_err(|source| BenchDataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| BenchDataError::Malformed {
        path: path.to_path_buf(),
        source,
    })
}

/// The name of a run's line: its matrix values other than the load (`max-num-seqs=8`), empty
/// where only the load varies.
fn config_of(run: &BenchRunData) -> String {
    crate::bench::pareto::config_text(&run.params)
}

/// Which latency a chart plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latency {
    Ttft,
    Tpot,
}

impl Latency {
    pub fn name(self) -> &'static str {
        match self {
            Latency::Ttft => "TTFT",
            Latency::Tpot => "TPOT",
        }
    }

    /// The file-name part: `ttft`, `tpot`.
    pub fn slug(self) -> &'static str {
        match self {
            Latency::Ttft => "ttft",
            Latency::Tpot => "tpot",
        }
    }
}

/// Latency (ms) against achieved request rate (req/s; the request throughput where the rate was
/// not measured): a p50 and a p99 line per configuration, points sorted by rate.
pub fn latency_chart(bench: &str, runs: &[BenchRunData], metric: Latency) -> LineChartData {
    type Run<'a> = (
        curves::Point,
        Option<&'a crate::bench::measures::RepeatStats>,
    );
    let mut configs: IndexMap<String, Vec<Run<'_>>> = IndexMap::new();
    // A run the client limited says nothing of the server: it is left off the curves.
    for run in runs
        .iter()
        .filter(|r| r.summary.client.as_ref().is_none_or(|c| c.valid))
    {
        configs.entry(config_of(run)).or_default().push((
            curves::point(&run.label, &run.summary),
            run.summary.repeats.as_ref(),
        ));
    }
    let mut series = Vec::new();
    for (config, points) in &configs {
        type Get = fn(&curves::Point) -> Option<f64>;
        let getters: [(&str, &str, Get); 2] = match metric {
            Latency::Ttft => [
                ("p50", "ttft.p50", |p| p.ttft_p50),
                ("p99", "ttft.p99", |p| p.ttft_p99),
            ],
            Latency::Tpot => [
                ("p50", "tpot.p50", |p| p.tpot_p50),
                ("p99", "tpot.p99", |p| p.tpot_p99),
            ],
        };
        for (pct, name, get) in getters {
            let x_of = |p: &curves::Point| p.achieved_rate.unwrap_or(p.request_throughput);
            let mut xy: Vec<(f64, f64)> = points
                .iter()
                .filter_map(|(p, _)| get(p).map(|y| (x_of(p), y * 1000.0)))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            xy.sort_by(|a, b| a.0.total_cmp(&b.0));
            // A repeated point's 95% interval of the mean over its repeats.
            let bars: Vec<(f64, f64, f64)> = points
                .iter()
                .filter_map(|(p, repeats)| {
                    let [lo, hi] = (*repeats)?.metrics.get(name)?.ci95;
                    Some((x_of(p), lo * 1000.0, hi * 1000.0))
                })
                .filter(|(x, lo, hi)| x.is_finite() && lo.is_finite() && hi.is_finite())
                .collect();
            let mut label = if config.is_empty() {
                format!("{} {pct}", metric.name())
            } else {
                format!("{} {pct} ({config})", metric.name())
            };
            if !bars.is_empty() {
                label.push_str(", bars: 95% CI over repeats");
            }
            series.push(Series {
                label,
                points: xy,
                bars,
            });
        }
    }
    LineChartData {
        title: format!("bench {bench}: {} vs load", metric.name()),
        xlabel: "Achieved request rate (req/s)".into(),
        ylabel: format!("{} (ms)", metric.name()),
        series,
        ymax: None,
    }
}

/// The CDF of every run's TTFT (ms), one line per run; `None` where no run has `cdf.json`.
pub fn cdf_chart(bench: &str, runs: &[BenchRunData], metric: &str) -> Option<LineChartData> {
    let series: Vec<Series> = runs
        .iter()
        .filter_map(|run| {
            let cdf = run.cdfs.as_ref()?.get(metric)?;
            Some(Series {
                label: run.label.clone(),
                points: cdf.iter().map(|(v, f)| (v * 1000.0, *f)).collect(),
                bars: vec![],
            })
        })
        .collect();
    if series.is_empty() {
        return None;
    }
    let name = metric.to_uppercase();
    Some(LineChartData {
        title: format!("bench {bench}: {name} per run"),
        xlabel: format!("{name} (ms)"),
        ylabel: "Fraction of requests".into(),
        series,
        ymax: Some(1.0),
    })
}

/// A sweep's output tokens/s per user against per device, every run a labelled point, the
/// frontier joined, each knee marked; `None` for fewer than two runs the client did not limit.
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoChartData {
    pub title: String,
    pub pareto: crate::bench::pareto::Pareto,
}

pub fn pareto_chart(bench: &str, runs: &[BenchRunData]) -> Option<ParetoChartData> {
    let sweep: Vec<crate::bench::pareto::SweepRun<'_>> = runs
        .iter()
        .filter(|r| r.summary.client.as_ref().is_none_or(|c| c.valid))
        .map(|r| crate::bench::pareto::SweepRun {
            label: &r.label,
            params: &r.params,
            summary: &r.summary,
        })
        .collect();
    let pareto = crate::bench::pareto::pareto(&sweep)?;
    Some(ParetoChartData {
        title: format!("bench {bench}: throughput per user against per device"),
        pareto,
    })
}

/// Every chart of a benchmark folder's runs, with its file stem: `bench-<name>-ttft`,
/// `bench-<name>-tpot`, `bench-<name>-cdf` (TTFT) and `bench-<name>-cdf-e2e`.
pub fn charts(bench: &str, runs: &[BenchRunData]) -> Vec<(String, LineChartData)> {
    let mut out = Vec::new();
    for metric in [Latency::Ttft, Latency::Tpot] {
        out.push((
            format!("bench-{bench}-{}", metric.slug()),
            latency_chart(bench, runs, metric),
        ));
    }
    if let Some(c) = cdf_chart(bench, runs, "ttft") {
        out.push((format!("bench-{bench}-cdf"), c));
    }
    if let Some(c) = cdf_chart(bench, runs, "e2e") {
        out.push((format!("bench-{bench}-cdf-e2e"), c));
    }
    if let Some(c) = turn_chart(bench, runs) {
        out.push((format!("bench-{bench}-turns"), c));
    }
    out
}

/// A conversation workload's mean TTFT (ms) against the turn, one line per run (the gain of a
/// prefix cache: a flat line where the history is cached); `None` without conversations.
pub fn turn_chart(bench: &str, runs: &[BenchRunData]) -> Option<LineChartData> {
    let series: Vec<Series> = runs
        .iter()
        .filter_map(|r| {
            let by_turn = r.summary.by_turn.as_ref()?;
            let points = by_turn
                .iter()
                .filter_map(|(turn, t)| Some((turn.parse::<f64>().ok()?, t.ttft.mean? * 1000.0)))
                .collect();
            Some(Series {
                label: r.label.clone(),
                points,
                bars: vec![],
            })
        })
        .collect();
    (!series.is_empty()).then(|| LineChartData {
        title: format!("bench {bench}: TTFT by turn of the conversations"),
        xlabel: "Turn (0 = the first message)".into(),
        ylabel: "Mean TTFT (ms)".into(),
        series,
        ymax: None,
    })
}

/// A capacity search's probes: the share of requests meeting the goal against the offered rate,
/// one line per configuration (probes sorted by rate), and the goal's share as a flat line.
pub fn capacity_chart(file: &crate::bench::capacity::CapacityFile) -> LineChartData {
    let mut series = Vec::new();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for config in &file.configs {
        let mut points: Vec<(f64, f64)> = config.probes.iter().map(|p| (p.rate, p.score)).collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        for p in &points {
            lo = lo.min(p.0);
            hi = hi.max(p.0);
        }
        let capacity = config
            .capacity_rps
            .map_or("none found".to_string(), |c| format!("{c} req/s"));
        series.push(Series {
            label: format!("{}: capacity {capacity}", config.config),
            points,
            bars: vec![],
        });
    }
    if lo.is_finite() {
        series.push(Series {
            label: format!("goal {}", file.spec.attainment),
            points: vec![(lo, file.spec.attainment), (hi, file.spec.attainment)],
            bars: vec![],
        });
    }
    LineChartData {
        title: format!("bench {}: capacity search", file.benchmark),
        xlabel: "Offered request rate (req/s)".into(),
        ylabel: "Share of requests meeting the goal".into(),
        series,
        ymax: Some(1.0),
    }
}

/// A prefill profile: the fastest TTFT (ms) of each prompt length against the prompt's tokens,
/// and its fit drawn through them, per configuration.
pub fn prefill_chart(file: &crate::bench::prefill::PrefillFile) -> LineChartData {
    let mut series = Vec::new();
    for config in &file.configs {
        let measured: Vec<(f64, f64)> = config
            .points
            .iter()
            .map(|p| (p.prompt_tokens, p.ttft_min * 1000.0))
            .collect();
        series.push(Series {
            label: format!("{}: fastest TTFT", config.config),
            points: measured.clone(),
            bars: vec![],
        });
        if let (Some(fit), Some(lo), Some(hi)) = (
            &config.fit,
            measured.first().map(|p| p.0),
            measured.last().map(|p| p.0),
        ) {
            // Sampled finely enough to look smooth, few enough to carry markers no more.
            let points = (0..=40)
                .map(|i| {
                    let x = lo + (hi - lo) * i as f64 / 40.0;
                    (x, fit.predict(x) * 1000.0)
                })
                .collect();
            series.push(Series {
                label: format!(
                    "{}: fit, degree {} (rmse {:.2} ms)",
                    config.config,
                    fit.degree,
                    fit.rmse * 1000.0
                ),
                points,
                bars: vec![],
            });
        }
    }
    LineChartData {
        title: format!("bench {}: prefill profile", file.benchmark),
        xlabel: "Prompt tokens".into(),
        ylabel: "TTFT, one request at a time (ms)".into(),
        series,
        ymax: None,
    }
}

/// Reads one latency statistic (seconds) out of a run's summary.
type Statistic = fn(&Summary) -> Option<f64>;

/// Side by side: one group of bars per latency statistic, one bar per run (e.g. `fcfs` vs
/// `priority`); `None` with fewer than two runs.
pub fn compare_chart(runs: &[BenchRunData]) -> Option<super::GroupedBarsData> {
    use super::grouped::{Series, SERIES_COLORS};
    if runs.len() < 2 {
        return None;
    }
    let stats: [(&str, Statistic); 5] = [
        ("TTFT p50", |s| s.ttft.p50),
        ("TTFT p99", |s| s.ttft.p99),
        ("TPOT p50", |s| s.tpot.p50),
        ("TPOT p99", |s| s.tpot.p99),
        ("E2E p50", |s| s.e2e.p50),
    ];
    // A repeated point's bar carries its 95% interval (symmetric: mean ± t·s/√n).
    let names = ["ttft.p50", "ttft.p99", "tpot.p50", "tpot.p99", "e2e.p50"];
    let half_width = |s: &Summary, name: &str| {
        let [lo, hi] = s.repeats.as_ref()?.metrics.get(name)?.ci95;
        Some((hi - lo) / 2.0 * 1000.0)
    };
    let series = runs
        .iter()
        .enumerate()
        .map(|(i, run)| Series {
            name: run.label.clone(),
            color: SERIES_COLORS[i % SERIES_COLORS.len()].to_string(),
            means: stats
                .iter()
                .map(|(_, get)| get(&run.summary).map(|v| v * 1000.0))
                .collect(),
            stderrs: names.iter().map(|n| half_width(&run.summary, n)).collect(),
        })
        .collect();
    Some(super::GroupedBarsData {
        groups: stats.iter().map(|(name, _)| name.to_string()).collect(),
        series,
        ylabel: "Latency (ms)".into(),
    })
}

/// Reads one start-up measure (seconds) out of a run's summary.
type StartupMeasure = fn(&crate::bench::startup::Startup) -> Option<f64>;

/// Start-up beside the load: one group of bars per start-up measure (seconds), one bar per run
/// — what repro timed from outside (spawn → healthy, → first token) and what the server's log
/// says (`parse::ledger`: model loading, torch.compile, graph capture, init engine, and the
/// silences no stage accounts for). Measures no run has are left out; `None` where no run
/// recorded its start-up (summaries written before repro did).
pub fn startup_chart(runs: &[BenchRunData]) -> Option<super::GroupedBarsData> {
    use super::grouped::{Series, SERIES_COLORS};
    // Short ticks (the bars are figure 14's, 800 px wide): spawn → healthy, spawn → first
    // token, then the log's model loading, torch.compile, graph capture, init engine, and the
    // silences no stage accounts for.
    let measures: [(&str, StartupMeasure); 7] = [
        ("healthy", |s| s.spawn_to_healthy_s),
        ("1st token", |s| s.spawn_to_first_token_s),
        ("loading", |s| s.ledger_value("model_loading_s")),
        ("compile", |s| s.ledger_value("torch_compile_s")),
        ("capture", |s| s.ledger_value("graph_capture_s")),
        ("init engine", |s| s.ledger_value("init_engine_s")),
        ("unlogged", |s| {
            let run = s.ledger.as_ref()?.last_run()?;
            Some(run.timeline.as_ref()?.unaccounted_s)
        }),
    ];
    let with_startup: Vec<&BenchRunData> = runs
        .iter()
        .filter(|r| r.summary.startup.is_some())
        .collect();
    if with_startup.is_empty() {
        return None;
    }
    let value =
        |run: &BenchRunData, get: StartupMeasure| run.summary.startup.as_ref().and_then(get);
    let kept: Vec<&(&str, StartupMeasure)> = measures
        .iter()
        .filter(|(_, get)| with_startup.iter().any(|r| value(r, *get).is_some()))
        .collect();
    if kept.is_empty() {
        return None;
    }
    let series = with_startup
        .iter()
        .enumerate()
        .map(|(i, run)| Series {
            name: run.label.clone(),
            color: SERIES_COLORS[i % SERIES_COLORS.len()].to_string(),
            means: kept.iter().map(|(_, get)| value(run, *get)).collect(),
            stderrs: vec![None; kept.len()],
        })
        .collect();
    Some(super::GroupedBarsData {
        groups: kept.iter().map(|(name, _)| name.to_string()).collect(),
        series,
        ylabel: "Start-up (s)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::metrics::{summarize, Offered, Slo};
    use crate::bench::record::{Outcome, RequestRecord};
    use std::time::Duration;

    fn run(label: &str, params: &[(&str, serde_json::Value)], ttft: f64) -> BenchRunData {
        let mut r = RequestRecord::not_sent(0, Some(0.0), 1, 2);
        r.sent = Some(0.0);
        r.first_token = Some(ttft);
        r.chunks = vec![ttft, ttft + 0.02];
        r.end = Some(ttft + 0.02);
        r.completion_tokens = Some(2);
        r.outcome = Outcome::Ok;
        let summary = summarize(&[r], Slo::default(), Offered::default());
        BenchRunData {
            label: label.into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            summary,
            cdfs: Some(IndexMap::from([("ttft".to_string(), vec![(ttft, 1.0)])])),
        }
    }

    #[test]
    fn startup_bars_hold_what_the_runs_recorded() {
        use crate::bench::startup::{startup, Measured};
        let mut runs = [
            run("a", &[], 0.05),
            run("b", &[], 0.08),
            run("old", &[], 0.1),
        ];
        assert!(
            startup_chart(&runs).is_none(),
            "no run recorded its start-up"
        );
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        std::fs::write(&log, "INFO 01-01 10:00:00.000 [c.py:1] Starting to load model m...\nINFO 01-01 10:00:01.000 [c.py:2] Model loading took 1.0 GiB and 0.75 seconds\nINFO 01-01 10:00:09.000 [c.py:3] init engine (profile, create kv cache, warmup model) took 8.00 seconds\n").unwrap();
        for (run, healthy) in runs.iter_mut().zip([9.5, 10.5]) {
            let measured = Measured {
                healthy_after: Some(Duration::from_secs_f64(healthy)),
                load_started_after: Some(Duration::from_secs_f64(healthy)),
            };
            run.summary.startup = Some(startup(measured, Some("/health"), &[], Some(&log)));
        }
        let chart = startup_chart(&runs).unwrap();
        assert_eq!(
            chart.groups,
            ["healthy", "loading", "init engine", "unlogged"]
        );
        let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"], "the run without a start-up has no bars");
        // The 8 s between the last two lines are init engine's; no stage inside it says what.
        assert_eq!(
            chart.series[1].means,
            [Some(10.5), Some(0.75), Some(8.0), Some(8.0)]
        );
    }

    #[test]
    fn compare_puts_one_bar_per_run_in_milliseconds() {
        let runs = [run("fcfs", &[], 0.05), run("priority", &[], 0.08)];
        let chart = compare_chart(&runs).unwrap();
        assert_eq!(
            chart.groups,
            ["TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "E2E p50"]
        );
        let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["fcfs", "priority"]);
        let ttft_p50 = chart.series[1].means[0].unwrap();
        assert!((ttft_p50 - 80.0).abs() < 1e-6, "{ttft_p50}");
        assert!(
            compare_chart(&runs[..1]).is_none(),
            "one run has nothing to compare with"
        );
    }

    #[test]
    fn one_line_per_percentile_when_only_the_rate_varies() {
        let runs = [
            run("rate_2.0", &[("rate", 2.0.into())], 0.2),
            run("rate_1.0", &[("rate", 1.0.into())], 0.1),
        ];
        let chart = latency_chart("m", &runs, Latency::Ttft);
        assert_eq!(chart.ylabel, "TTFT (ms)");
        assert_eq!(chart.xlabel, "Achieved request rate (req/s)");
        let labels: Vec<&str> = chart.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["TTFT p50", "TTFT p99"]);
        let p50 = &chart.series[0].points;
        assert_eq!(p50.len(), 2);
        assert!(p50[0].0 <= p50[1].0, "sorted by rate: {p50:?}");
        let ys: Vec<f64> = p50.iter().map(|p| p.1).collect();
        assert!(ys.iter().any(|y| (y - 100.0).abs() < 1e-6), "{ys:?}");
        assert!(ys.iter().any(|y| (y - 200.0).abs() < 1e-6), "{ys:?}");
    }

    #[test]
    fn one_line_per_server_config_and_a_cdf_per_run() {
        let runs = [
            run(
                "a",
                &[("max-num-seqs", 8.into()), ("rate", 1.0.into())],
                0.1,
            ),
            run(
                "b",
                &[("max-num-seqs", 8.into()), ("rate", 2.0.into())],
                0.1,
            ),
            run(
                "c",
                &[("max-num-seqs", 16.into()), ("rate", 1.0.into())],
                0.1,
            ),
        ];
        let chart = latency_chart("m", &runs, Latency::Tpot);
        let labels: Vec<&str> = chart.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "TPOT p50 (max-num-seqs=8)",
                "TPOT p99 (max-num-seqs=8)",
                "TPOT p50 (max-num-seqs=16)",
                "TPOT p99 (max-num-seqs=16)"
            ]
        );
        assert_eq!(chart.series[0].points.len(), 2);
        let cdf = cdf_chart("m", &runs, "ttft").unwrap();
        assert_eq!(cdf.series.len(), 3);
        assert_eq!(cdf.series[0].points, vec![(100.0, 1.0)]);
        assert!(cdf_chart("m", &runs, "e2e").is_none());
        let stems: Vec<String> = charts("m", &runs).into_iter().map(|c| c.0).collect();
        assert_eq!(stems, ["bench-m-ttft", "bench-m-tpot", "bench-m-cdf"]);
    }
}
