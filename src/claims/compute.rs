//! Each computation of a claim, from the chart model of its figure (the numbers the figure
//! draws). An `Err` says why the value cannot be had from the data present.

use crate::figures::{
    ChartData, CpuHeatmapData, GroupedBarsData, PredictorBarsData, SpeedupBarsData,
    StackedStagesData, VersionBarsData,
};
use crate::parse::Stage;
use crate::recipe::plot::{Chart, PlotSpec};
use crate::stats;

use super::{Computation, ErrorMeasure};

/// The value of `computation` on the chart `data` that `spec` draws.
pub fn value(computation: &Computation, spec: &PlotSpec, data: &ChartData) -> Result<f64, String> {
    match (computation, data, &spec.chart) {
        (
            Computation::Share { stages, resource },
            ChartData::StackedStages(d),
            Chart::StackedStages(s),
        ) => {
            let picked: Vec<bool> = s
                .steps
                .iter()
                .map(|step| match resource {
                    Some(r) => step.resource == *r,
                    None => stages.contains(&step.stage),
                })
                .collect();
            share(d, &picked)
        }
        (Computation::Pearson { .. }, ChartData::RegressionBars(d), _) => d.pcc.ok_or_else(|| {
            format!(
                "no Pearson r: {} point(s) in the fit, it needs two with different x",
                d.bars.iter().filter(|b| b.in_fit).count()
            )
        }),
        (Computation::PartRatio { stage }, ChartData::SpeedupBars(d), _) => part_ratio(d, *stage),
        (Computation::VersionRatio { version, base }, ChartData::VersionBars(d), _) => {
            version_ratio(d, version, base)
        }
        (
            Computation::SeriesRatio { series, base },
            ChartData::GroupedBars(d),
            Chart::GroupedBars(g),
        ) => series_ratio(d, &g.series, series, base),
        (Computation::PredictorError { measure }, ChartData::PredictorBars(d), _) => {
            predictor_error(d, *measure)
        }
        (Computation::BusyCores, ChartData::CpuHeatmap(d), _) => busy_cores(d),
        _ => Err(format!(
            "`{}` cannot be computed from this chart",
            computation.name()
        )),
    }
}

/// The picked segments' share of the bar (segments are in the spec's step order).
fn share(data: &StackedStagesData, picked: &[bool]) -> Result<f64, String> {
    if data.total <= 0.0 {
        return Err("the bar's total is 0".into());
    }
    let sum: f64 = data
        .segments
        .iter()
        .zip(picked)
        .filter(|(_, &p)| p)
        .map(|(s, _)| s.value)
        .sum();
    Ok(sum / data.total)
}

fn part_ratio(data: &SpeedupBarsData, stage: Stage) -> Result<f64, String> {
    data.bars
        .iter()
        .find(|b| b.stage == stage)
        .map(|b| b.mean)
        .ok_or_else(|| format!("no model has `{stage}` in both parts"))
}

fn version_ratio(data: &VersionBarsData, version: &str, base: &str) -> Result<f64, String> {
    let value = |v: &str| {
        data.bars
            .iter()
            .find(|b| b.version == v)
            .map(|b| b.value)
            .ok_or_else(|| format!("no start-up time of vLLM {v}"))
    };
    let (top, bottom) = (value(version)?, value(base)?);
    if bottom <= 0.0 {
        return Err(format!("vLLM {base}'s start-up time is 0"));
    }
    Ok(top / bottom)
}

/// The mean over groups of `series / base`, over the groups where both have a positive value;
/// the chart's series are in the order of the spec's `names`.
fn series_ratio(
    data: &GroupedBarsData,
    names: &[String],
    series: &str,
    base: &str,
) -> Result<f64, String> {
    let find = |name: &str| {
        names
            .iter()
            .position(|n| n == name)
            .and_then(|i| data.series.get(i))
            .ok_or_else(|| format!("no series `{name}` in the chart"))
    };
    let (top, bottom) = (find(series)?, find(base)?);
    let ratios: Vec<f64> = top
        .means
        .iter()
        .zip(&bottom.means)
        .filter_map(|(t, b)| match (t, b) {
            (Some(t), Some(b)) if *b > 0.0 => Some(t / b),
            _ => None,
        })
        .collect();
    stats::mean(&ratios).ok_or_else(|| format!("no group has both `{series}` and `{base}`"))
}

fn predictor_error(data: &PredictorBarsData, measure: ErrorMeasure) -> Result<f64, String> {
    if data.truth.is_empty() {
        return Err("no held-out model was predicted".into());
    }
    if measure == ErrorMeasure::Rmse {
        return Ok(data.rmse);
    }
    let errors: Vec<f64> = data
        .predicted
        .iter()
        .zip(&data.truth)
        .map(|(p, t)| ((p - t) / t).abs())
        .collect();
    if errors.iter().any(|e| !e.is_finite()) {
        return Err("a held-out model's measured start-up is 0".into());
    }
    match measure {
        ErrorMeasure::MeanAbsPct => stats::mean(&errors).ok_or_else(|| "no error".into()),
        _ => Ok(errors.iter().cloned().fold(0.0, f64::max)),
    }
}

fn busy_cores(data: &CpuHeatmapData) -> Result<f64, String> {
    let per_sample: Vec<f64> = data
        .samples
        .iter()
        .map(|s| s.iter().sum::<f64>() / 100.0)
        .collect();
    stats::mean(&per_sample).ok_or_else(|| "no CPU sample".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::grouped::Series;

    fn series(name: &str, means: &[Option<f64>]) -> Series {
        Series {
            name: name.into(),
            color: "#000000".into(),
            means: means.to_vec(),
            stderrs: vec![None; means.len()],
        }
    }

    #[test]
    fn series_ratio_is_the_mean_over_groups_both_have() {
        let data = GroupedBarsData {
            groups: vec!["a".into(), "b".into(), "c".into()],
            series: vec![
                series("Safetensors", &[Some(2.0), Some(4.0), Some(1.0)]),
                series("Runai Streamer", &[Some(1.0), Some(3.0), None]),
            ],
            ylabel: String::new(),
        };
        let names = ["safetensors".to_string(), "runai_streamer".to_string()];
        let r = series_ratio(&data, &names, "runai_streamer", "safetensors").unwrap();
        assert!((r - 0.625).abs() < 1e-12, "{r}");
        assert!(series_ratio(&data, &names, "tensorizer", "safetensors").is_err());
    }

    #[test]
    fn predictor_errors_are_relative_to_the_truth() {
        let data = PredictorBarsData {
            models: vec!["a".into(), "b".into()],
            predicted: vec![9.0, 12.0],
            truth: vec![10.0, 10.0],
            rmse: 1.58,
            ylabel: String::new(),
        };
        let mean = predictor_error(&data, ErrorMeasure::MeanAbsPct).unwrap();
        assert!((mean - 0.15).abs() < 1e-12, "{mean}");
        let max = predictor_error(&data, ErrorMeasure::MaxAbsPct).unwrap();
        assert!((max - 0.2).abs() < 1e-12, "{max}");
        assert_eq!(predictor_error(&data, ErrorMeasure::Rmse).unwrap(), 1.58);
    }

    #[test]
    fn busy_cores_sums_the_cores_of_each_sample() {
        let data = CpuHeatmapData {
            samples: vec![vec![100.0, 0.0, 50.0], vec![50.0, 0.0, 0.0]],
            cores: 3,
            interval_s: 0.1,
            xlabel: String::new(),
            ylabel: String::new(),
            colorbar_label: String::new(),
        };
        assert!((busy_cores(&data).unwrap() - 1.0).abs() < 1e-12);
    }
}
