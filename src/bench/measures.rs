//! The measures a run's summary is made of — a quantity's mean and percentiles, how requests
//! arrived — below every module that computes or checks one (`metrics`, `deadline`,
//! `loadcheck`, `tools`), so none of them imports another for its types.

use serde::{Deserialize, Serialize};

/// Mean and percentiles of one quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dist {
    pub count: usize,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Dist {
    pub fn of(mut values: Vec<f64>) -> Dist {
        values.sort_by(f64::total_cmp);
        let pct = |p: f64| percentile_sorted(&values, p);
        Dist {
            count: values.len(),
            mean: crate::stats::mean(&values),
            min: values.first().copied(),
            p50: pct(50.0),
            p90: pct(90.0),
            p95: pct(95.0),
            p99: pct(99.0),
            max: values.last().copied(),
        }
    }
}

/// Percentile `p` (0–100) of sorted values by linear interpolation (numpy's default).
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() - 1) as f64 * p / 100.0;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// Arrivals: what the workload asked for and what was achieved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arrivals {
    /// Requests/s asked for (open loop); `None` for a closed loop or a replayed trace.
    pub target_rate: Option<f64>,
    /// The rate of the seeded schedule itself, (n − 1) / (last − first scheduled send): a finite
    /// Poisson sample differs from `target_rate` by about 1/√n; the sender is judged against this.
    pub scheduled_rate: Option<f64>,
    pub achieved_rate: Option<f64>,
    /// Concurrency of a closed loop.
    pub concurrency: Option<u32>,
    pub send_lag: Dist,
    /// Dispatch − scheduled: how late the generator's timer was (the rest of the send lag is
    /// the async runtime's delay in starting the request).
    pub dispatch_lag: Dist,
}

/// One metric over the repeats of a point: the mean, the sample standard deviation (n − 1),
/// the coefficient of variation (std / mean) and the 95% confidence interval of the mean by
/// Student's t with n − 1 degrees of freedom; `values` in repeat order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    pub std: f64,
    /// `null` where the mean is 0.
    pub cv: Option<f64>,
    /// `[mean − t·std/√n, mean + t·std/√n]`; `[mean, mean]` for one repeat.
    pub ci95: [f64; 2],
    pub values: Vec<f64>,
}

/// The spread of a point's metrics over its repeats (`summary.json`'s `repeats`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatStats {
    /// Complete repeats the point's numbers are over, of `planned`.
    pub n: usize,
    pub planned: usize,
    /// Which interval `ci95` is.
    pub interval: String,
    /// A metric whose `cv` is above this is named in `high_cv` (and warned about).
    pub cv_threshold: f64,
    /// Per metric (`ttft.p50`, `request_throughput`, …) its spread.
    pub metrics: indexmap::IndexMap<String, Spread>,
    /// The metrics whose `cv` is above `cv_threshold`.
    pub high_cv: Vec<String>,
}
