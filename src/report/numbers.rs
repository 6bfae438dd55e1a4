//! The numbers a chart draws, as a table a reader can check and copy: one shape per chart kind.

use crate::figures::{
    bench, default, ChartData, CpuHeatmapData, GroupedBarsData, PredictorBarsData,
    RegressionBarsData, SpeedupBarsData, StackedStagesData, VersionBarsData,
};
use crate::recipe::plot::{Chart, PlotSpec, Resource};
use crate::stats;

/// A table of text cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Numbers {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Lines under the table (the fit, the total, the RMSE, what was left out).
    pub notes: Vec<String>,
}

fn s2(x: f64) -> String {
    format!("{x:.2}")
}

fn opt(x: Option<f64>) -> String {
    x.map_or("–".into(), s2)
}

fn header(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// The numbers of `data`, drawn as `spec` says.
pub fn numbers(data: &ChartData, spec: Option<&PlotSpec>) -> Numbers {
    match data {
        ChartData::VersionBars(d) => version_bars(d),
        ChartData::StackedStages(d) => stacked_stages(d, spec),
        ChartData::RegressionBars(d) => regression_bars(d),
        ChartData::SpeedupBars(d) => speedup_bars(d),
        ChartData::CpuHeatmap(d) => cpu_heatmap(d),
        ChartData::GroupedBars(d) => grouped_bars(d),
        ChartData::PredictorBars(d) => predictor_bars(d),
        ChartData::RunStages(d) => run_stages(d),
        ChartData::Lines(d) => lines(d),
        ChartData::Pareto(d) => pareto(d),
    }
}

fn pareto(d: &crate::figures::bench::ParetoChartData) -> Numbers {
    Numbers {
        header: header(&[
            "run",
            "config",
            "users",
            "tok/s per user",
            "tok/s per device",
            "frontier",
        ]),
        rows: d
            .pareto
            .points
            .iter()
            .map(|p| {
                vec![
                    p.label.clone(),
                    p.config.clone(),
                    s2(p.users),
                    s2(p.tokens_per_user),
                    s2(p.tokens_per_device),
                    if p.on_frontier { "yes" } else { "" }.to_string(),
                ]
            })
            .collect(),
        notes: crate::bench::pareto::knee_lines(&d.pareto),
    }
}

fn version_bars(d: &VersionBarsData) -> Numbers {
    Numbers {
        header: header(&["vLLM", "released", "start-up (s)", "runs"]),
        rows: d
            .bars
            .iter()
            .map(|b| {
                let date = b.tick.lines().nth(1).unwrap_or("").to_string();
                vec![b.version.clone(), date, s2(b.value), b.runs.to_string()]
            })
            .collect(),
        notes: vec![],
    }
}

fn stacked_stages(d: &StackedStagesData, spec: Option<&PlotSpec>) -> Numbers {
    let resources: Vec<Option<Resource>> = match spec.map(|s| &s.chart) {
        Some(Chart::StackedStages(s)) => s.steps.iter().map(|st| Some(st.resource)).collect(),
        _ => vec![None; d.segments.len()],
    };
    Numbers {
        header: header(&["step", "dominant", "time (s)", "share"]),
        rows: d
            .segments
            .iter()
            .zip(resources.iter().chain(std::iter::repeat(&None)))
            .map(|(s, r)| {
                let share = if d.total > 0.0 {
                    s.value / d.total
                } else {
                    0.0
                };
                vec![
                    s.label.clone(),
                    match r {
                        Some(Resource::Cpu) => "CPU".into(),
                        Some(Resource::Gpu) => "GPU".into(),
                        None => String::new(),
                    },
                    format!("{:.3}", s.value),
                    format!("{:.1}%", share * 100.0),
                ]
            })
            .collect(),
        notes: vec![format!("{} (the sum of the steps)", d.total_text)],
    }
}

fn regression_bars(d: &RegressionBarsData) -> Numbers {
    let mut notes = Vec::new();
    if let Some(fit) = &d.fit {
        notes.push(format!(
            "fit over the runs marked “yes”: y = {:.4} · x + {:.4}; Pearson r = {}",
            fit.slope,
            fit.intercept,
            d.pcc.map_or("n/a".into(), |r| format!("{r:.3}"))
        ));
    }
    notes.extend(d.missing.iter().cloned());
    Numbers {
        header: vec![
            "run".into(),
            format!("x ({})", d.inset_xlabel),
            "mean (s)".into(),
            "stderr (s)".into(),
            "in fit".into(),
        ],
        rows: d
            .bars
            .iter()
            .map(|b| {
                vec![
                    b.tick.replace('\n', " "),
                    format!("{}", b.x_value),
                    format!("{:.3}", b.mean),
                    b.stderr.map_or("–".into(), |e| format!("{e:.3}")),
                    if b.in_fit { "yes" } else { "no" }.into(),
                ]
            })
            .collect(),
        notes,
    }
}

fn speedup_bars(d: &SpeedupBarsData) -> Numbers {
    Numbers {
        header: header(&["stage", "mean ratio", "stderr", "models"]),
        rows: d
            .bars
            .iter()
            .map(|b| {
                vec![
                    b.label.clone(),
                    format!("{:.3}", b.mean),
                    b.stderr.map_or("–".into(), |e| format!("{e:.3}")),
                    b.models.to_string(),
                ]
            })
            .collect(),
        notes: d.skipped.iter().map(|s| format!("skipped {s}")).collect(),
    }
}

fn cpu_heatmap(d: &CpuHeatmapData) -> Numbers {
    let per_sample: Vec<f64> = d
        .samples
        .iter()
        .map(|s| s.iter().sum::<f64>() / 100.0)
        .collect();
    let busiest: Vec<f64> = d
        .samples
        .iter()
        .map(|s| s.iter().cloned().fold(0.0, f64::max))
        .collect();
    Numbers {
        header: header(&[
            "samples",
            "cores",
            "interval (s)",
            "duration (s)",
            "busy cores, mean",
            "busiest core, mean %",
        ]),
        rows: vec![vec![
            d.samples.len().to_string(),
            d.cores.to_string(),
            format!("{}", d.interval_s),
            format!("{:.1}", d.duration()),
            opt(stats::mean(&per_sample)),
            format!("{:.1}", stats::mean(&busiest).unwrap_or(0.0)),
        ]],
        notes: vec!["busy cores: the sum of the per-core percentages of a sample / 100".into()],
    }
}

fn grouped_bars(d: &GroupedBarsData) -> Numbers {
    let mut head = vec!["group".to_string()];
    head.extend(d.series.iter().map(|s| format!("{} (s)", s.name)));
    Numbers {
        header: head,
        rows: d
            .groups
            .iter()
            .enumerate()
            .map(|(g, name)| {
                let mut row = vec![name.clone()];
                row.extend(d.series.iter().map(|s| match (s.means[g], s.stderrs[g]) {
                    (Some(m), Some(e)) => format!("{m:.2} ± {e:.2}"),
                    (m, _) => opt(m),
                }));
                row
            })
            .collect(),
        notes: vec![],
    }
}

fn predictor_bars(d: &PredictorBarsData) -> Numbers {
    Numbers {
        header: header(&["held-out model", "predicted (s)", "measured (s)", "error"]),
        rows: d
            .models
            .iter()
            .zip(d.predicted.iter().zip(&d.truth))
            .map(|(m, (p, t))| {
                vec![
                    m.clone(),
                    s2(*p),
                    s2(*t),
                    format!("{:+.1}%", (p - t) / t * 100.0),
                ]
            })
            .collect(),
        notes: vec![format!("RMSE {:.2} s", d.rmse)],
    }
}

fn run_stages(d: &default::RunStagesData) -> Numbers {
    let mut head = vec!["stage".to_string()];
    head.extend(d.runs.iter().cloned());
    let mut rows: Vec<Vec<String>> = d
        .stages
        .iter()
        .map(|(label, _, values)| {
            let mut row = vec![label.clone()];
            row.extend(values.iter().map(|v| format!("{v:.3}")));
            row
        })
        .collect();
    let mut total = vec!["total".to_string()];
    total.extend(d.totals.iter().map(|t| opt(*t)));
    rows.push(total);
    Numbers {
        header: head,
        rows,
        notes: vec![],
    }
}

fn lines(d: &bench::LineChartData) -> Numbers {
    Numbers {
        header: vec!["series".into(), d.xlabel.clone(), d.ylabel.clone()],
        rows: d
            .series
            .iter()
            .flat_map(|s| {
                s.points
                    .iter()
                    .map(|(x, y)| vec![s.label.clone(), format!("{x}"), format!("{y:.3}")])
            })
            .collect(),
        notes: vec![],
    }
}
