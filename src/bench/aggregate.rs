//! `aggregate.json`: a shared run of a tenants benchmark as a whole — per tenant its numbers
//! shared and alone, the device's throughput over the longest tenant, who was slowest and who
//! was slowed most. Pure arithmetic over the tenants' records and summaries.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::metrics::Summary;
use super::record::RequestRecord;
use crate::recipe::tenants::Sharing;

/// Version of the files a shared run writes.
pub const FORMAT: u32 = 1;

/// The definitions of `aggregate.json`'s numbers.
pub fn definitions() -> IndexMap<&'static str, &'static str> {
    IndexMap::from([
        (
            "load_started_s",
            "when the tenant's load started, seconds after the first tenant's",
        ),
        (
            "completion_s",
            "load_started_s + the tenant's last request end (any outcome), seconds",
        ),
        (
            "longest_completion_s",
            "the largest completion_s of the tenants",
        ),
        (
            "device_request_throughput",
            "all tenants' ok requests / longest_completion_s",
        ),
        (
            "device_output_throughput",
            "all tenants' ok output tokens / longest_completion_s",
        ),
        ("slowest_tenant", "the tenant with the largest completion_s"),
        (
            "slowdown",
            "the tenant's mean E2E latency here / in its solo run (1 = unaffected by the others)",
        ),
        (
            "throughput_ratio",
            "the tenant's output tokens/s here / in its solo run",
        ),
        ("most_slowed_tenant", "the tenant with the largest slowdown"),
    ])
}

/// A tenant's numbers, shared and alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantLine {
    pub name: String,
    pub model: String,
    pub load_started_s: f64,
    pub completion_s: f64,
    pub requests: usize,
    pub ok: usize,
    pub request_throughput: f64,
    pub output_throughput: f64,
    pub ttft_p50: Option<f64>,
    pub tpot_p50: Option<f64>,
    pub e2e_mean: Option<f64>,
    pub e2e_p50: Option<f64>,
    /// Its solo run, where that is complete.
    pub solo: Option<SoloLine>,
    pub slowdown: Option<f64>,
    pub throughput_ratio: Option<f64>,
}

/// A tenant's solo run, for comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoloLine {
    pub label: String,
    pub request_throughput: f64,
    pub output_throughput: f64,
    pub ttft_p50: Option<f64>,
    pub e2e_mean: Option<f64>,
    pub e2e_p50: Option<f64>,
}

/// `aggregate.json`: the shared run as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub format: u32,
    pub sharing: Sharing,
    pub tenants: Vec<TenantLine>,
    pub longest_completion_s: f64,
    pub device_request_throughput: f64,
    pub device_output_throughput: f64,
    pub slowest_tenant: Option<String>,
    pub most_slowed_tenant: Option<String>,
    /// The GPUs during the shared load: each device's utilisation and memory, each tenant's
    /// peak memory (its server's process group); absent without a GPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<crate::samplers::gpu::GpuUse>,
    pub definitions: IndexMap<String, String>,
}

/// One tenant's results, as the aggregate takes them.
pub struct TenantResult<'a> {
    pub name: &'a str,
    pub model: &'a str,
    pub load_started_s: f64,
    pub records: &'a [RequestRecord],
    pub summary: &'a Summary,
    /// Its solo run's label and summary, where complete.
    pub solo: Option<(&'a str, &'a Summary)>,
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

/// The aggregate of a shared run's tenants: pure arithmetic.
pub fn aggregate(sharing: Sharing, tenants: &[TenantResult<'_>]) -> Aggregate {
    let lines: Vec<TenantLine> = tenants
        .iter()
        .map(|t| {
            let last_end = t
                .records
                .iter()
                .filter_map(|r| r.end.or(r.sent))
                .max_by(f64::total_cmp)
                .unwrap_or(0.0);
            let s = t.summary;
            let solo = t.solo.map(|(label, solo)| SoloLine {
                label: label.to_string(),
                request_throughput: solo.request_throughput,
                output_throughput: solo.output_throughput,
                ttft_p50: solo.ttft.p50,
                e2e_mean: solo.e2e.mean,
                e2e_p50: solo.e2e.p50,
            });
            TenantLine {
                name: t.name.to_string(),
                model: t.model.to_string(),
                load_started_s: t.load_started_s,
                completion_s: t.load_started_s + last_end,
                requests: s.requests,
                ok: s.outcomes.get("ok").copied().unwrap_or(0),
                request_throughput: s.request_throughput,
                output_throughput: s.output_throughput,
                ttft_p50: s.ttft.p50,
                tpot_p50: s.tpot.p50,
                e2e_mean: s.e2e.mean,
                e2e_p50: s.e2e.p50,
                slowdown: ratio(s.e2e.mean, solo.as_ref().and_then(|l| l.e2e_mean)),
                throughput_ratio: ratio(
                    Some(s.output_throughput),
                    solo.as_ref().map(|l| l.output_throughput),
                ),
                solo,
            }
        })
        .collect();
    let longest = lines.iter().map(|l| l.completion_s).fold(0.0, f64::max);
    let per_s = |x: f64| if longest > 0.0 { x / longest } else { 0.0 };
    let ok: usize = lines.iter().map(|l| l.ok).sum();
    let output: u64 = tenants.iter().map(|t| t.summary.output_tokens).sum();
    let largest = |key: fn(&TenantLine) -> Option<f64>| {
        lines
            .iter()
            .filter_map(|l| Some((key(l)?, l)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, l)| l.name.clone())
    };
    Aggregate {
        format: FORMAT,
        sharing,
        longest_completion_s: longest,
        device_request_throughput: per_s(ok as f64),
        device_output_throughput: per_s(output as f64),
        slowest_tenant: largest(|l| Some(l.completion_s)),
        most_slowed_tenant: largest(|l| l.slowdown),
        tenants: lines,
        gpu: None,
        definitions: definitions()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}
