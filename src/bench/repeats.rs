//! A point of the matrix run several times (`workload.repeats`, `--repeats`): each repeat is a
//! run of its own (`<label>/repeat_<k>/`, seed `seed + k - 1`, resumable); once they are done,
//! the point's folder gets a `summary.json` over them — every number the mean over the complete
//! repeats (counts rounded), and `repeats`: per metric its mean, sample std, CV and the 95%
//! confidence interval of the mean by Student's t with n − 1 degrees of freedom — and a
//! `cdf.json` of all their requests pooled. A metric whose CV is above [`CV_THRESHOLD`] is named.

use std::path::Path;

use indexmap::IndexMap;
use serde_json::Value;

use super::curves;
use super::error::BenchError;
use super::files;
use super::measures::{RepeatStats, Spread};
use super::metrics::Summary;
use super::record::RequestRecord;
use crate::plan::bench::{BenchTask, Point};

/// A metric varying more than this (std / mean) over the repeats is warned about.
pub const CV_THRESHOLD: f64 = 0.10;

type Get = fn(&Summary) -> Option<f64>;

/// The metrics whose spread a point's summary gives, by name.
pub const METRICS: [(&str, Get); 15] = [
    ("ttft.mean", |s| s.ttft.mean),
    ("ttft.p50", |s| s.ttft.p50),
    ("ttft.p99", |s| s.ttft.p99),
    ("tpot.mean", |s| s.tpot.mean),
    ("tpot.p50", |s| s.tpot.p50),
    ("tpot.p99", |s| s.tpot.p99),
    ("itl.mean", |s| s.itl.mean),
    ("itl.p50", |s| s.itl.p50),
    ("e2e.mean", |s| s.e2e.mean),
    ("e2e.p50", |s| s.e2e.p50),
    ("e2e.p99", |s| s.e2e.p99),
    ("request_throughput", |s| Some(s.request_throughput)),
    ("output_throughput", |s| Some(s.output_throughput)),
    ("goodput", |s| Some(s.goodput)),
    ("achieved_rate", |s| s.arrivals.achieved_rate),
];

/// Student's t, two-sided 95% (the 0.975 quantile), for `df` degrees of freedom: a table to
/// 30, then the Cornish–Fisher expansion around the normal's 1.96 (within 0.001 there).
pub fn t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010,
        2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739,
        2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            let (z, n): (f64, f64) = (1.959964, df as f64);
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// The spread of `values` (one per repeat); `None` for none.
pub fn spread(values: &[f64]) -> Option<Spread> {
    let n = values.len();
    let mean = crate::stats::mean(values)?;
    let std = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let half = if n > 1 {
        t95(n - 1) * std / (n as f64).sqrt()
    } else {
        0.0
    };
    Some(Spread {
        mean,
        std,
        cv: (mean != 0.0).then(|| std / mean.abs()),
        ci95: [mean - half, mean + half],
        values: values.to_vec(),
    })
}

/// The spread of every metric over `summaries` (the complete repeats of a point, of
/// `planned`); a metric is left out where a repeat has no value for it.
pub fn stats(summaries: &[Summary], planned: usize) -> RepeatStats {
    let mut metrics = IndexMap::new();
    for (name, get) in METRICS {
        let values: Option<Vec<f64>> = summaries.iter().map(get).collect();
        if let Some(spread) = values.as_deref().and_then(spread) {
            metrics.insert(name.to_string(), spread);
        }
    }
    let high_cv = metrics
        .iter()
        .filter(|(_, s)| s.cv.is_some_and(|cv| cv > CV_THRESHOLD))
        .map(|(k, _)| k.clone())
        .collect();
    RepeatStats {
        n: summaries.len(),
        planned,
        interval: "95% confidence interval of the mean over the repeats: Student's t with n - 1 \
                   degrees of freedom, mean +- t * std / sqrt(n); std is the sample std (n - 1)"
            .into(),
        cv_threshold: CV_THRESHOLD,
        metrics,
        high_cv,
    }
}

/// The mean of JSON values of one shape: numbers averaged (whole numbers rounded), objects
/// key by key, anything else (text, lists, a missing or mixed value) the first one's.
fn mean_value(values: &[&Value]) -> Value {
    match values[0] {
        Value::Object(first) => Value::Object(
            first
                .iter()
                .map(|(k, v0)| {
                    let all: Option<Vec<&Value>> = values.iter().map(|v| v.get(k)).collect();
                    (
                        k.clone(),
                        all.map_or_else(|| v0.clone(), |a| mean_value(&a)),
                    )
                })
                .collect(),
        ),
        Value::Number(_) if values.iter().all(|v| v.is_number()) => {
            let xs: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
            let mean = xs.iter().sum::<f64>() / xs.len() as f64;
            if values.iter().all(|v| v.is_u64()) {
                Value::from(mean.round() as u64)
            } else {
                serde_json::Number::from_f64(mean).map_or(Value::Null, Value::Number)
            }
        }
        first => first.clone(),
    }
}

/// A point's summary over its complete repeats' summaries (at least one).
pub fn point_summary(summaries: &[Summary], planned: usize) -> Summary {
    let values: Vec<Value> = summaries
        .iter()
        .map(|s| serde_json::to_value(s).expect("a summary serialises"))
        .collect();
    let refs: Vec<&Value> = values.iter().collect();
    let mut point: Summary =
        serde_json::from_value(mean_value(&refs)).unwrap_or_else(|_| summaries[0].clone());
    // A repeat the client limited makes the point say nothing of the server either.
    point.client = summaries
        .iter()
        .find(|s| s.client.as_ref().is_some_and(|c| !c.valid))
        .unwrap_or(&summaries[0])
        .client
        .clone();
    point.repeats = Some(stats(summaries, planned));
    point.definitions.insert(
        "repeats".into(),
        "a repeated point: every number is the mean over its complete repeats (counts rounded); \
         `repeats.metrics` has each metric's mean, sample std, cv = std / mean and ci95 by \
         Student's t over the repeats; `cdf.json` pools the repeats' requests"
            .into(),
    );
    point
}

fn read_summary(dir: &Path) -> Option<Summary> {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).ok()?).ok()
}

fn read_records(dir: &Path) -> Vec<RequestRecord> {
    std::fs::read_to_string(dir.join("records.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Write the summary of every repeated point of `tasks` with a complete repeat into the
/// point's folder; returns a warning per metric varying above the threshold, and per point
/// folder held by a run made without repeats (left as it is).
pub fn write_points(tasks: &[BenchTask]) -> Result<Vec<String>, BenchError> {
    let mut points: IndexMap<&Path, (&Point, Vec<&BenchTask>)> = IndexMap::new();
    for task in tasks {
        if let Some(point) = &task.point {
            points
                .entry(point.dir.as_path())
                .or_insert((point, vec![]))
                .1
                .push(task);
        }
    }
    let mut warnings = Vec::new();
    for (dir, (point, repeats)) in points {
        let done: Vec<(Summary, &BenchTask)> = repeats
            .iter()
            .filter_map(|t| Some((read_summary(&t.folder.dir)?, *t)))
            .collect();
        if done.is_empty() {
            continue;
        }
        if let Some(run) = read_json(&dir.join("run.json")) {
            if run.get("point").is_none() {
                warnings.push(format!(
                    "`{}` holds a run made without repeats: its point summary is not written (move it aside to get one)",
                    dir.display()
                ));
                continue;
            }
        }
        let summaries: Vec<Summary> = done.iter().map(|(s, _)| s.clone()).collect();
        let summary = point_summary(&summaries, point.repeats as usize);
        let pooled: Vec<RequestRecord> = done
            .iter()
            .flat_map(|(_, t)| read_records(&t.folder.dir))
            .collect();
        let run = serde_json::json!({
            "format": 1,
            "point": point.label,
            "repeats": point.repeats,
            "complete": done.len(),
            "params": done[0].1.run.params,
        });
        files::write(dir, "run.json", files::pretty(&run).as_bytes())?;
        files::write(
            dir,
            "cdf.json",
            files::pretty(&curves::run_cdfs(&pooled)).as_bytes(),
        )?;
        files::write(dir, "summary.json", files::pretty(&summary).as_bytes())?;
        let stats = summary
            .repeats
            .as_ref()
            .expect("a point's summary has repeats");
        for name in &stats.high_cv {
            let s = &stats.metrics[name];
            warnings.push(format!(
                "{}: {name} varies by {:.0}% (cv) over {} repeats, more than {:.0}%: {:?}",
                point.label,
                s.cv.unwrap_or(0.0) * 100.0,
                stats.n,
                stats.cv_threshold * 100.0,
                s.values
            ));
        }
    }
    Ok(warnings)
}

/// Before a repeated point runs: a run made without repeats in its folder (its `run.json` is
/// a run's, not a point's) is moved under `<results>/replaced/`, as a run in the way of a new
/// one is; returns what was moved where.
pub fn make_room(tasks: &[BenchTask], results: &Path) -> Result<Vec<String>, BenchError> {
    let mut replaced = crate::artifacts::replaced::Replaced::new(results);
    let mut said = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for point in tasks.iter().filter_map(|t| t.point.as_ref()) {
        if !seen.insert(&point.dir) {
            continue;
        }
        let Some(run) = read_json(&point.dir.join("run.json")) else {
            continue;
        };
        if run.get("point").is_some() {
            continue;
        }
        let kept = replaced
            .keep(&point.dir)
            .map_err(crate::run::folder::drive_error(&point.dir))?;
        said.push(format!(
            "`{}` held a run made without repeats: moved to `{}`",
            point.dir.display(),
            kept.display()
        ));
    }
    Ok(said)
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::metrics::{summarize, Offered, Slo};
    use crate::bench::record::Outcome;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn spread_by_hand() {
        // 1, 2, 3: mean 2, sample std 1, cv 0.5, ci 2 ± 4.3027 / √3
        let s = spread(&[1.0, 2.0, 3.0]).unwrap();
        close(s.mean, 2.0);
        close(s.std, 1.0);
        close(s.cv.unwrap(), 0.5);
        close(s.ci95[0], 2.0 - 4.3027 / 3f64.sqrt());
        close(s.ci95[1], 2.0 + 4.3027 / 3f64.sqrt());
        let one = spread(&[5.0]).unwrap();
        assert_eq!((one.std, one.ci95), (0.0, [5.0, 5.0]));
        assert_eq!(spread(&[0.0, 0.0]).unwrap().cv, None);
        assert!(spread(&[]).is_none());
    }

    #[test]
    fn t_quantiles_meet_the_normal() {
        close(t95(2), 4.3027);
        assert!((t95(31) - 2.0395).abs() < 1e-3, "{}", t95(31));
        assert!((t95(120) - 1.9799).abs() < 1e-3, "{}", t95(120));
        assert!(t95(0).is_nan());
    }

    fn run(ttft: f64) -> Summary {
        let r = RequestRecord {
            sent: Some(0.0),
            first_token: Some(ttft),
            chunks: vec![ttft, ttft + 0.01],
            end: Some(ttft + 0.01),
            completion_tokens: Some(2),
            prompt_tokens: Some(4),
            outcome: Outcome::Ok,
            ..RequestRecord::not_sent(0, Some(0.0), 4, 2)
        };
        summarize(&[r], Slo::default(), Offered::default())
    }

    #[test]
    fn a_points_summary_is_the_mean_with_the_spread_and_names_what_varies() {
        let point = point_summary(&[run(0.1), run(0.2), run(0.3)], 3);
        close(point.ttft.p50.unwrap(), 0.2);
        assert_eq!(point.requests, 1);
        let r = point.repeats.as_ref().unwrap();
        assert_eq!((r.n, r.planned), (3, 3));
        close(r.metrics["ttft.p50"].std, 0.1);
        assert!(
            r.high_cv.contains(&"ttft.p50".to_string()),
            "{:?}",
            r.high_cv
        );
        // tpot: 0.01 in every repeat: no spread
        assert!(!r.high_cv.contains(&"tpot.p50".to_string()));
        close(r.metrics["tpot.p50"].std, 0.0);
        let same = point_summary(&[run(0.1), run(0.1)], 2);
        assert!(same.repeats.unwrap().high_cv.is_empty());
    }
}
