//! GuideLLM's result file (`guidellm benchmark … --output-path benchmarks.json`): a report
//! `{"benchmarks": [...]}`, each benchmark one strategy of a sweep with its requests by status
//! (`requests.successful`, `.incomplete`, `.errored`) — read into one run of repro's records
//! per benchmark. Pure, no I/O.
//!
//! GuideLLM keeps per request its start and end, the first and last token iteration and the
//! number of iterations, not each chunk's time (`schemas/request_stats.py`): a record's chunks
//! are spread evenly from the first iteration to the last, as GuideLLM itself spreads them for
//! its token timings, so its ITL gaps are that mean gap — TTFT, TPOT and E2E are exact. Both
//! schemas are read: 0.4+ (`info.timings.request_start`, `first_token_iteration`, …, and the
//! computed `request_start_time`, `output_tokens`, …) and 0.3 (`start_time`, `first_token_time`,
//! `last_token_time`, `end_time`).

use indexmap::IndexMap;
use serde_json::Value;

use super::metrics::{self, Offered, Slo};
use super::record::{placed_at_sends, Outcome, RequestRecord};
use super::vllm_format::{FormatError, Imported};

/// The name GuideLLM's docs give the file.
pub const FILE: &str = "benchmarks.json";

/// Whether `value` is a GuideLLM report: `benchmarks`, a list of objects with `requests`.
pub fn is_guidellm(value: &Value) -> bool {
    value
        .get("benchmarks")
        .and_then(Value::as_array)
        .is_some_and(|b| b.iter().all(|b| b.get("requests").is_some()) && !b.is_empty())
}

/// The first of `paths` (dotted) that `v` has as a number.
fn number(v: &Value, paths: &[&str]) -> Option<f64> {
    paths.iter().find_map(|p| {
        p.split('.')
            .try_fold(v, |v, k| v.get(k))
            .and_then(Value::as_f64)
    })
}

/// One request (`at`: where it is, for errors): its start (seconds since the epoch) and its
/// record with times relative to that start.
fn request(r: &Value, ok: bool, at: &str) -> Result<(f64, RequestRecord), FormatError> {
    let start = number(
        r,
        &[
            "request_start_time",
            "info.timings.request_start",
            "start_time",
        ],
    )
    .ok_or_else(|| FormatError::Missing(format!("{at}.request_start_time")))?;
    let end = number(
        r,
        &[
            "request_end_time",
            "info.timings.request_end",
            "info.timings.resolve_end",
            "end_time",
        ],
    );
    let first = number(
        r,
        &["info.timings.first_token_iteration", "first_token_time"],
    );
    let last = number(r, &["info.timings.last_token_iteration", "last_token_time"]);
    let output = number(r, &["output_tokens", "output_metrics.total_tokens"]).map(|n| n as u64);
    let prompt = number(r, &["prompt_tokens", "input_metrics.total_tokens"]).map(|n| n as u64);
    let iterations = number(r, &["info.timings.token_iterations"])
        .map(|n| n as usize)
        .or(output.map(|n| n as usize))
        .unwrap_or(1)
        .max(1);
    let chunks: Vec<f64> = match (first, last) {
        (Some(f), Some(l)) if iterations > 1 => (0..iterations)
            .map(|k| f + (l - f) * k as f64 / (iterations - 1) as f64 - start)
            .collect(),
        (Some(f), _) => vec![f - start],
        _ => vec![],
    };
    let error = (!ok).then(|| {
        ["error", "info.error"]
            .iter()
            .find_map(|p| {
                p.split('.')
                    .try_fold(r, |v, k| v.get(k))
                    .and_then(Value::as_str)
            })
            .unwrap_or("errored or incomplete")
            .to_string()
    });
    Ok((
        start,
        RequestRecord {
            id: 0,
            scheduled: None,
            dispatched: None,
            sent: Some(0.0),
            first_token: chunks.first().copied(),
            chunks,
            end: end.map(|e| e - start),
            prompt_len: prompt.unwrap_or(0),
            max_tokens: output.unwrap_or(0),
            prompt_tokens: prompt,
            completion_tokens: if ok { output } else { None },
            status: ok.then_some(200),
            outcome: if ok { Outcome::Ok } else { Outcome::Error },
            error,
            priority: None,
            conversation: None,
            turn: None,
        },
    ))
}

/// A benchmark's requests by status (`at`: where they are) as records, in order of their
/// start, sent at seconds after the first.
fn records_of(b: &Value, at: &str) -> Result<Vec<RequestRecord>, FormatError> {
    let requests = b
        .get("requests")
        .and_then(Value::as_object)
        .ok_or_else(|| FormatError::Type {
            key: at.to_string(),
            expected: "an object of successful / incomplete / errored",
        })?;
    let mut read = Vec::new();
    for (status, ok) in [
        ("successful", true),
        ("incomplete", false),
        ("errored", false),
    ] {
        let Some(list) = requests.get(status).filter(|v| !v.is_null()) else {
            continue;
        };
        let list = list.as_array().ok_or_else(|| FormatError::Type {
            key: format!("{at}.{status}"),
            expected: "a list",
        })?;
        for (k, r) in list.iter().enumerate() {
            read.push(request(r, ok, &format!("{at}.{status}[{k}]"))?);
        }
    }
    let first = read
        .iter()
        .map(|(s, _)| *s)
        .min_by(f64::total_cmp)
        .unwrap_or(0.0);
    Ok(placed_at_sends(
        read.into_iter()
            .map(|(start, r)| (start - first, r))
            .collect(),
    ))
}

/// The benchmark's strategy: its kind (`constant`, `synchronous`, …) and rate, where given.
fn strategy(b: &Value) -> (Option<&str>, Option<f64>) {
    let strategy = ["config.strategy", "args.strategy", "strategy"]
        .iter()
        .find_map(|p| p.split('.').try_fold(b, |v, k| v.get(k)));
    let kind = strategy
        .and_then(|s| s.get("type_").or(s.get("type")))
        .and_then(Value::as_str);
    (
        kind,
        strategy.and_then(|s| s.get("rate")).and_then(Value::as_f64),
    )
}

/// One benchmark of the report as a run: its records and repro's summary of them, its label
/// (`<i>-<strategy>[-<rate>]`) and params (`rate` where the strategy has one).
fn benchmark(b: &Value, i: usize) -> Result<(String, Imported), FormatError> {
    let records = records_of(b, &format!("benchmarks[{i}].requests"))?;
    let (kind, rate) = strategy(b);
    let mut label = format!("{}", i + 1);
    if let Some(kind) = kind {
        label.push_str(&format!("-{kind}"));
    }
    if let Some(rate) = rate {
        label.push_str(&format!("-{rate}"));
    }
    let offered = Offered {
        target_rate: rate,
        concurrency: None,
    };
    let mut summary = metrics::summarize(&records, Slo::default(), offered);
    summary.definitions.insert(
        "imported".into(),
        "from GuideLLM's benchmarks.json: each request's start, first and last token iteration \
         and end as GuideLLM measured them, its chunks spread evenly between the first and \
         last iteration (GuideLLM keeps no per-chunk times); the summary by repro's definitions"
            .into(),
    );
    let mut params = IndexMap::new();
    if let Some(rate) = rate {
        params.insert("rate".to_string(), rate.into());
    }
    Ok((
        label,
        Imported {
            records,
            summary,
            params,
            meta: IndexMap::new(),
        },
    ))
}

/// Every benchmark of a GuideLLM report, as a run each.
pub fn from_report(value: &Value) -> Result<Vec<(String, Imported)>, FormatError> {
    let list = value
        .get("benchmarks")
        .ok_or_else(|| FormatError::Missing("benchmarks".into()))?
        .as_array()
        .ok_or_else(|| FormatError::Type {
            key: "benchmarks".into(),
            expected: "a list",
        })?;
    list.iter()
        .enumerate()
        .map(|(i, b)| benchmark(b, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two strategies; the 0.4+ schema in the first, 0.3's in the second.
    fn report() -> Value {
        serde_json::json!({"benchmarks": [
            {"config": {"strategy": {"type_": "constant", "rate": 4.0}},
             "requests": {
                "successful": [
                    {"request_id": "a", "request_start_time": 100.0, "request_end_time": 100.05,
                     "output_tokens": 3, "prompt_tokens": 8,
                     "info": {"timings": {"request_start": 100.0, "request_end": 100.05,
                        "first_token_iteration": 100.02, "last_token_iteration": 100.04,
                        "token_iterations": 3}}}
                ],
                "incomplete": [],
                "errored": [
                    {"request_id": "b", "request_start_time": 100.5, "request_end_time": 100.6,
                     "info": {"error": "boom", "timings": {"request_start": 100.5}}}
                ]}},
            {"args": {"strategy": {"type_": "synchronous"}},
             "requests": {"successful": [
                {"start_time": 5.0, "end_time": 5.2, "first_token_time": 5.1,
                 "last_token_time": 5.2, "output_tokens": 2, "prompt_tokens": 4}
             ], "errored": [], "incomplete": []}}
        ]})
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn each_benchmark_is_a_run() {
        assert!(is_guidellm(&report()));
        assert!(!is_guidellm(&serde_json::json!({"completed": 1})));
        let runs = from_report(&report()).unwrap();
        assert_eq!(runs.len(), 2);
        let (label, one) = &runs[0];
        assert_eq!(label, "1-constant-4");
        assert_eq!(one.params["rate"], 4.0);
        let r = &one.records[0];
        close(r.ttft().unwrap(), 0.02);
        assert_eq!(r.chunks.len(), 3);
        close(r.chunks[1], 0.03);
        close(r.e2e().unwrap(), 0.05);
        assert_eq!(one.records[1].outcome, Outcome::Error);
        assert_eq!(one.records[1].error.as_deref(), Some("boom"));
        assert_eq!(one.summary.outcomes["ok"], 1);
        let (label, two) = &runs[1];
        assert_eq!(label, "2-synchronous");
        close(two.records[0].ttft().unwrap(), 0.1);
        close(two.summary.tpot.mean.unwrap(), 0.1);
    }

    #[test]
    fn a_request_without_a_start_is_named() {
        let mut r = report();
        r["benchmarks"][1]["requests"]["successful"][0]
            .as_object_mut()
            .unwrap()
            .remove("start_time");
        let e = from_report(&r).unwrap_err();
        assert_eq!(
            e.to_string(),
            "key `benchmarks[1].requests.successful[0].request_start_time` is missing"
        );
    }
}
