//! Data for plots, no drawing: latency–throughput points (one per run), per-run CDFs, and a
//! side-by-side of two runs. A renderer draws these; they are also written as JSON/CSV beside
//! the summaries.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::metrics::Summary;
use super::record::{Outcome, RequestRecord};

/// One run on a latency–throughput plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub label: String,
    pub target_rate: Option<f64>,
    pub achieved_rate: Option<f64>,
    pub concurrency: Option<u32>,
    pub request_throughput: f64,
    pub output_throughput: f64,
    pub goodput: f64,
    pub ttft_p50: Option<f64>,
    pub ttft_p99: Option<f64>,
    pub tpot_p50: Option<f64>,
    pub tpot_p99: Option<f64>,
    pub e2e_p50: Option<f64>,
    pub e2e_p99: Option<f64>,
    pub ok: usize,
    pub failed: usize,
}

pub fn point(label: &str, s: &Summary) -> Point {
    let ok = s.outcomes.get("ok").copied().unwrap_or(0);
    Point {
        label: label.to_string(),
        target_rate: s.arrivals.target_rate,
        achieved_rate: s.arrivals.achieved_rate,
        concurrency: s.arrivals.concurrency,
        request_throughput: s.request_throughput,
        output_throughput: s.output_throughput,
        goodput: s.goodput,
        ttft_p50: s.ttft.p50,
        ttft_p99: s.ttft.p99,
        tpot_p50: s.tpot.p50,
        tpot_p99: s.tpot.p99,
        e2e_p50: s.e2e.p50,
        e2e_p99: s.e2e.p99,
        ok,
        failed: s.requests - ok,
    }
}

/// The points as CSV (header first; an empty cell for a missing value), sorted as given.
pub fn to_csv(points: &[Point]) -> String {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut out = String::from("label,target_rate,achieved_rate,concurrency,request_throughput,output_throughput,goodput,ttft_p50,ttft_p99,tpot_p50,tpot_p99,e2e_p50,e2e_p99,ok,failed\n");
    for p in points {
        let label = if p.label.contains([',', '"']) {
            format!("\"{}\"", p.label.replace('"', "\"\""))
        } else {
            p.label.clone()
        };
        out.push_str(&format!(
            "{label},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            opt(p.target_rate),
            opt(p.achieved_rate),
            p.concurrency.map(|c| c.to_string()).unwrap_or_default(),
            p.request_throughput,
            p.output_throughput,
            p.goodput,
            opt(p.ttft_p50),
            opt(p.ttft_p99),
            opt(p.tpot_p50),
            opt(p.tpot_p99),
            opt(p.e2e_p50),
            opt(p.e2e_p99),
            p.ok,
            p.failed
        ));
    }
    out
}

/// An empirical CDF: sorted values with the fraction of values ≤ each, `(value, i/n)`.
pub fn cdf(mut values: Vec<f64>) -> Vec<(f64, f64)> {
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| (v, (i + 1) as f64 / n))
        .collect()
}

/// The CDFs of a run's ok requests: TTFT, TPOT, ITL, E2E.
pub fn run_cdfs(records: &[RequestRecord]) -> IndexMap<&'static str, Vec<(f64, f64)>> {
    let ok: Vec<&RequestRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Ok)
        .collect();
    IndexMap::from([
        ("ttft", cdf(ok.iter().filter_map(|r| r.ttft()).collect())),
        ("tpot", cdf(ok.iter().filter_map(|r| r.tpot()).collect())),
        ("itl", cdf(ok.iter().flat_map(|r| r.itls()).collect())),
        ("e2e", cdf(ok.iter().filter_map(|r| r.e2e()).collect())),
    ])
}

/// One metric of two runs side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub metric: &'static str,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// b / a.
    pub ratio: Option<f64>,
}

/// Two configs side by side: throughputs, goodput and latency percentiles.
pub fn compare(a: &Summary, b: &Summary) -> Vec<Comparison> {
    type Getter = fn(&Summary) -> Option<f64>;
    let rows: [(&'static str, Getter); 12] = [
        ("request_throughput", |s| Some(s.request_throughput)),
        ("output_throughput", |s| Some(s.output_throughput)),
        ("goodput", |s| Some(s.goodput)),
        ("ttft_mean", |s| s.ttft.mean),
        ("ttft_p50", |s| s.ttft.p50),
        ("ttft_p99", |s| s.ttft.p99),
        ("tpot_mean", |s| s.tpot.mean),
        ("tpot_p50", |s| s.tpot.p50),
        ("tpot_p99", |s| s.tpot.p99),
        ("itl_p99", |s| s.itl.p99),
        ("e2e_p50", |s| s.e2e.p50),
        ("e2e_p99", |s| s.e2e.p99),
    ];
    rows.iter()
        .map(|(metric, get)| {
            let (x, y) = (get(a), get(b));
            Comparison {
                metric,
                a: x,
                b: y,
                ratio: match (x, y) {
                    (Some(x), Some(y)) if x != 0.0 => Some(y / x),
                    _ => None,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::metrics::{summarize, Offered, Slo};

    #[test]
    fn cdf_steps_to_one() {
        assert_eq!(
            cdf(vec![3.0, 1.0, 2.0]),
            vec![(1.0, 1.0 / 3.0), (2.0, 2.0 / 3.0), (3.0, 1.0)]
        );
        assert!(cdf(vec![]).is_empty());
    }

    #[test]
    fn points_and_comparisons() {
        let mut r = RequestRecord::not_sent(0, Some(0.0), 1, 2);
        r.sent = Some(0.0);
        r.first_token = Some(0.1);
        r.chunks = vec![0.1, 0.3];
        r.end = Some(0.3);
        r.completion_tokens = Some(2);
        r.outcome = Outcome::Ok;
        let a = summarize(
            &[r.clone()],
            Slo::default(),
            Offered {
                target_rate: Some(1.0),
                concurrency: None,
            },
        );
        r.end = Some(0.5);
        r.chunks = vec![0.1, 0.5];
        let b = summarize(&[r], Slo::default(), Offered::default());
        let p = point("rate_1.0", &a);
        assert_eq!((p.ok, p.failed, p.target_rate), (1, 0, Some(1.0)));
        let csv = to_csv(&[p]);
        assert!(
            csv.lines().nth(1).unwrap().starts_with("rate_1.0,1,,,"),
            "{csv}"
        );
        let rows = compare(&a, &b);
        let tpot = rows.iter().find(|r| r.metric == "tpot_p50").unwrap();
        assert!((tpot.ratio.unwrap() - 2.0).abs() < 1e-9);
    }
}
