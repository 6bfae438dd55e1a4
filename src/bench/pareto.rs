//! A sweep's trade-off between what one user gets and what the device gives (vLLM's
//! `bench sweep plot_pareto`): output tokens/s per user against output tokens/s per device,
//! the runs no other run beats on both (the frontier), and the knee of each configuration's
//! throughput curve — the load after which more load adds little throughput.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::metrics::Summary;

/// Load beyond the knee adds less than this share of the sweep's highest throughput.
pub const KNEE_SHARE: f64 = 0.95;

/// One run of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoPoint {
    pub label: String,
    /// The matrix values other than the swept load (`""` for a one-configuration sweep).
    pub config: String,
    /// The load the run was given: its closed loop's concurrency, else its achieved (else
    /// target) request rate.
    pub load: f64,
    /// Users the throughput is shared by: the concurrency of a closed loop; for an open loop,
    /// the mean requests in flight (Little's law: achieved rate × mean end-to-end latency).
    pub users: f64,
    pub tokens_per_user: f64,
    pub tokens_per_device: f64,
    /// No other run has both more tokens per user and more per device.
    pub on_frontier: bool,
}

/// Where a configuration's throughput stops growing with its load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knee {
    pub config: String,
    pub label: String,
    pub load: f64,
    pub tokens_per_device: f64,
    /// The configuration's highest tokens/s per device over the sweep.
    pub highest: f64,
}

/// The whole sweep (`pareto.json` beside `curves.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pareto {
    pub points: Vec<ParetoPoint>,
    /// Per configuration whose throughput levels off before its highest load.
    pub knees: Vec<Knee>,
    /// Configurations whose throughput still grows at their highest load: no knee yet.
    pub still_rising: Vec<String>,
    pub definitions: IndexMap<String, String>,
}

/// Matrix keys that set the offered load: they move a point along a curve, not to another.
pub const LOAD_KEYS: [&str; 3] = ["rate", "concurrency", "requests"];

/// One run's inputs: its label, matrix values and summary.
pub struct SweepRun<'a> {
    pub label: &'a str,
    pub params: &'a IndexMap<String, serde_json::Value>,
    pub summary: &'a Summary,
}

/// The matrix values other than the load, as `key=value, …` (`""` where there are none).
pub fn config_text(params: &IndexMap<String, serde_json::Value>) -> String {
    params
        .iter()
        .filter(|(k, _)| !LOAD_KEYS.contains(&k.as_str()))
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The devices a run's server spans: the product of its tensor, pipeline and data parallel
/// sizes among the matrix values, else 1.
pub fn devices_of(params: &IndexMap<String, serde_json::Value>) -> u32 {
    let size = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| params.get(*n).and_then(serde_json::Value::as_u64))
            .unwrap_or(1)
    };
    let product = size(&["tensor-parallel-size", "tensor_parallel_size", "tp"])
        * size(&["pipeline-parallel-size", "pipeline_parallel_size", "pp"])
        * size(&["data-parallel-size", "data_parallel_size", "dp"]);
    u32::try_from(product.max(1)).unwrap_or(u32::MAX)
}

fn point(run: &SweepRun<'_>) -> Option<ParetoPoint> {
    let devices = devices_of(run.params);
    let s = run.summary;
    let a = &s.arrivals;
    let rate = a.achieved_rate.or(a.target_rate);
    let (load, users) = match (a.concurrency, rate) {
        (Some(c), _) => (f64::from(c), f64::from(c)),
        (None, Some(rate)) => (rate, rate * s.e2e.mean?),
        (None, None) => return None,
    };
    let ok = users.is_finite() && users > 0.0 && s.output_throughput.is_finite();
    ok.then(|| ParetoPoint {
        label: run.label.to_string(),
        config: config_text(run.params),
        load,
        users,
        tokens_per_user: s.output_throughput / users,
        tokens_per_device: s.output_throughput / f64::from(devices),
        on_frontier: false,
    })
}

/// Marks the runs no other run beats on both axes (ties stay on the frontier).
fn mark_frontier(points: &mut [ParetoPoint]) {
    let beaten: Vec<bool> = points
        .iter()
        .map(|p| {
            points.iter().any(|q| {
                q.tokens_per_user >= p.tokens_per_user
                    && q.tokens_per_device >= p.tokens_per_device
                    && (q.tokens_per_user > p.tokens_per_user
                        || q.tokens_per_device > p.tokens_per_device)
            })
        })
        .collect();
    for (p, beaten) in points.iter_mut().zip(beaten) {
        p.on_frontier = !beaten;
    }
}

/// The lowest load whose throughput reaches [`KNEE_SHARE`] of the highest, where a higher load
/// was run too; `Err(())` where that is the highest load (still rising); `None` for fewer
/// than three loads (no curve to read a knee from).
fn knee(config: &str, points: &[&ParetoPoint]) -> Option<Result<Knee, ()>> {
    let mut by_load: Vec<&ParetoPoint> = points.to_vec();
    by_load.sort_by(|a, b| a.load.total_cmp(&b.load));
    if by_load.len() < 3 {
        return None;
    }
    let highest = by_load
        .iter()
        .map(|p| p.tokens_per_device)
        .fold(f64::NEG_INFINITY, f64::max);
    let at = by_load
        .iter()
        .position(|p| p.tokens_per_device >= KNEE_SHARE * highest)?;
    if at + 1 == by_load.len() {
        return Some(Err(()));
    }
    let p = by_load[at];
    Some(Ok(Knee {
        config: config.to_string(),
        label: p.label.clone(),
        load: p.load,
        tokens_per_device: p.tokens_per_device,
        highest,
    }))
}

/// The sweep's Pareto points, frontier and knees; `None` for fewer than two usable runs.
pub fn pareto(runs: &[SweepRun<'_>]) -> Option<Pareto> {
    let mut points: Vec<ParetoPoint> = runs.iter().filter_map(point).collect();
    if points.len() < 2 {
        return None;
    }
    mark_frontier(&mut points);
    let mut configs: IndexMap<&str, Vec<&ParetoPoint>> = IndexMap::new();
    for p in &points {
        configs.entry(p.config.as_str()).or_default().push(p);
    }
    let (mut knees, mut still_rising) = (Vec::new(), Vec::new());
    for (config, members) in &configs {
        match knee(config, members) {
            Some(Ok(k)) => knees.push(k),
            Some(Err(())) => still_rising.push(config.to_string()),
            None => {}
        }
    }
    Some(Pareto {
        knees,
        still_rising,
        definitions: definitions(),
        points,
    })
}

fn definitions() -> IndexMap<String, String> {
    [
        (
            "tokens_per_user",
            "output tokens/s ÷ users; users: the closed loop's concurrency, or for an open loop the mean requests in flight, achieved rate × mean e2e latency (Little's law; vLLM's plot_pareto divides by max_concurrency, else by request_rate)",
        ),
        ("tokens_per_device", "output tokens/s ÷ devices (the run's tensor × pipeline × data parallel sizes, else 1)"),
        ("on_frontier", "no other run has both more tokens/s per user and more per device"),
        (
            "knee",
            "per configuration with three or more loads: the lowest load whose tokens/s per device reaches 95% of the configuration's highest, where a higher load was run too (more load adds under 5%)",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// `pareto.json` of a benchmark folder, where its runs gave one.
pub fn read(bench: &std::path::Path) -> Option<Pareto> {
    let bytes = std::fs::read(bench.join(PARETO_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The file beside `curves.json`.
pub const PARETO_FILE: &str = "pareto.json";

/// One line per knee, and one per configuration still rising, for the end of a run.
pub fn knee_lines(p: &Pareto) -> Vec<String> {
    let named = |config: &str| {
        if config.is_empty() {
            String::new()
        } else {
            format!(" ({config})")
        }
    };
    let mut lines: Vec<String> = p
        .knees
        .iter()
        .map(|k| {
            format!(
                "knee{}: {} — {:.1} output tok/s per device, {:.0}% of the highest {:.1}; more load adds under {:.0}%",
                named(&k.config),
                k.label,
                k.tokens_per_device,
                100.0 * k.tokens_per_device / k.highest,
                k.highest,
                100.0 * (1.0 - KNEE_SHARE)
            )
        })
        .collect();
    lines.extend(p.still_rising.iter().map(|c| {
        format!(
            "no knee{}: throughput still grows at the highest load",
            named(c)
        )
    }));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(label: &str, load: f64, per_user: f64, per_device: f64) -> ParetoPoint {
        ParetoPoint {
            label: label.into(),
            config: String::new(),
            load,
            users: load,
            tokens_per_user: per_user,
            tokens_per_device: per_device,
            on_frontier: false,
        }
    }

    #[test]
    fn the_frontier_keeps_what_nothing_beats_on_both_axes() {
        let mut points = vec![
            pt("a", 1.0, 50.0, 50.0),
            pt("b", 2.0, 40.0, 80.0),
            pt("c", 4.0, 20.0, 80.0),
            pt("d", 8.0, 10.0, 79.0),
            pt("e", 3.0, 30.0, 60.0),
        ];
        mark_frontier(&mut points);
        let on: Vec<&str> = points
            .iter()
            .filter(|p| p.on_frontier)
            .map(|p| p.label.as_str())
            .collect();
        // c ties b on the device but gives each user less: b beats it; e and d lose to b.
        assert_eq!(on, ["a", "b"]);
    }

    #[test]
    fn the_knee_is_where_more_load_stops_adding_throughput() {
        let rising = [
            pt("r1", 1.0, 10.0, 10.0),
            pt("r2", 2.0, 10.0, 20.0),
            pt("r4", 4.0, 10.0, 40.0),
        ];
        let refs: Vec<&ParetoPoint> = rising.iter().collect();
        assert_eq!(knee("", &refs), Some(Err(())));
        let levelling = [
            pt("c8", 8.0, 5.0, 96.0),
            pt("c1", 1.0, 40.0, 40.0),
            pt("c2", 2.0, 35.0, 70.0),
            pt("c4", 4.0, 24.0, 95.0),
            pt("c16", 16.0, 6.0, 97.0),
        ];
        let refs: Vec<&ParetoPoint> = levelling.iter().collect();
        let k = knee("", &refs).unwrap().unwrap();
        assert_eq!((k.label.as_str(), k.load, k.highest), ("c4", 4.0, 97.0));
        assert_eq!(knee("", &refs[..2]), None, "two loads are no curve");
    }
}
