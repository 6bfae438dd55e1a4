//! vLLM's benchmark result format (`vllm bench serve --save-result --save-detailed`, which
//! vllm-bench writes too): out of a run's records, and back into records. Pure, no I/O.
//!
//! The numbers are vLLM's (`vllm/benchmarks/serve.py`, `calculate_metrics`, and the request
//! functions of `vllm/benchmarks/lib/endpoint_request_func.py`), not repro's own summary's;
//! `docs/vllm-bench-format.md` lists where they differ:
//! - a request is *completed* when it succeeded and a chunk came (repro: `ok` with a text chunk);
//! - `latency` (E2EL) is the last chunk with a choice − send, not the end of the stream;
//! - TPOT = (latency − TTFT) / (output_len − 1), requests with output_len > 1 only;
//! - ITL: every gap between consecutive chunks, all completed requests pooled;
//! - mean, median, std (numpy's, ddof = 0) and percentiles (numpy's linear interpolation) in
//!   ms; an empty list gives 0, as `np.mean([] or 0)` does;
//! - `ttfts`, `itls`, `latencies`, `start_times` in seconds, one entry per request (0 and `[]`
//!   for a failed one); `output_lens` 0 for a failed request;
//! - goodput counts completed requests within every SLO set (a request without TPOT counts its
//!   TPOT as 0), `null` where no SLO is set.
//!
//! What repro writes from its own: `duration` is repro's (first send → last end, not vLLM's
//! wall time around the load), so the throughputs equal the summary's; `generated_texts` are
//! empty strings (repro keeps no text); `start_times` are seconds since the run's start.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

use super::measures::percentile_sorted;
use super::metrics::{self, Offered, Slo, Summary};
use super::record::{Outcome, RequestRecord};

/// The file a one-server run writes beside its `summary.json`.
pub const FILE: &str = "vllm-bench.json";

/// The metrics whose statistics the file has, by vLLM's names.
pub const METRICS: [&str; 4] = ["ttft", "tpot", "itl", "e2el"];

/// How a run was offered, for the file's setup keys.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// `%Y%m%d-%H%M%S` (UTC here; vLLM writes local time).
    pub date: String,
    /// `openai` (completions) or `openai-chat`.
    pub backend: String,
    pub label: String,
    pub model: String,
    pub num_prompts: usize,
    /// Requests/s asked; `None` is vLLM's `inf` (a closed loop).
    pub request_rate: Option<f64>,
    pub burstiness: f64,
    pub max_concurrency: Option<u32>,
    pub slo: Slo,
}

/// `date` as vLLM writes it, from seconds since the epoch (UTC).
pub fn date_of(unix_s: f64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(unix_s.max(0.0));
    // "2026-12-07T23:44:24Z" → "20261207-234424"
    let text = humantime::format_rfc3339_seconds(at).to_string();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    format!("{}-{}", &digits[..8], &digits[8..14])
}

/// `request_rate`: a number, or `"inf"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum Rate {
    Finite(f64),
    Inf(&'static str),
}

/// One request as vLLM's request function would have seen it.
struct Seen {
    completed: bool,
    input_len: u64,
    output_len: u64,
    ttft: f64,
    itl: Vec<f64>,
    latency: f64,
    start: f64,
    error: String,
}

fn seen(r: &RequestRecord) -> Seen {
    let completed = r.outcome == Outcome::Ok && r.ttft().is_some();
    let last = r.chunks.last().copied().or(r.first_token);
    let latency = match (completed, last, r.sent) {
        (true, Some(last), Some(sent)) => last - sent,
        _ => 0.0,
    };
    let error = match (completed, &r.error) {
        (true, _) => String::new(),
        (false, Some(e)) if !e.is_empty() => e.clone(),
        (false, _) => r.outcome.name().to_string(),
    };
    Seen {
        completed,
        input_len: r.prompt_tokens.unwrap_or(r.prompt_len),
        output_len: if completed { r.output_tokens() } else { 0 },
        ttft: if completed {
            r.ttft().unwrap_or(0.0)
        } else {
            0.0
        },
        itl: r.itls().collect(),
        latency,
        start: r.sent.unwrap_or(0.0),
        error,
    }
}

impl Seen {
    fn tpot(&self) -> Option<f64> {
        (self.completed && self.output_len > 1)
            .then(|| (self.latency - self.ttft) / (self.output_len - 1) as f64)
    }
}

/// numpy's mean, median, std (ddof = 0) and 99th percentile, in ms; 0 for no values.
fn stats_ms(mut values: Vec<f64>) -> [f64; 4] {
    if values.is_empty() {
        return [0.0; 4];
    }
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let mean = crate::stats::numpy_sum(&values) / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let pct = |p| percentile_sorted(&values, p).unwrap_or(0.0);
    [mean, pct(50.0), var.sqrt(), pct(99.0)].map(|v| v * 1000.0)
}

/// The file's contents for a run's records (`summary`: its duration).
pub fn to_file(records: &[RequestRecord], summary: &Summary, info: &RunInfo) -> Value {
    let seen: Vec<Seen> = records.iter().map(seen).collect();
    let done: Vec<&Seen> = seen.iter().filter(|s| s.completed).collect();
    let duration = summary.duration;
    let per_s = |x: f64| if duration > 0.0 { x / duration } else { 0.0 };
    let total_input: u64 = done.iter().map(|s| s.input_len).sum();
    let total_output: u64 = done.iter().map(|s| s.output_len).sum();
    let slo = info.slo;
    let any_slo = slo.ttft.is_some() || slo.tpot.is_some() || slo.e2e.is_some();
    let within = |limit: Option<f64>, v: f64| limit.is_none_or(|l| v <= l);
    let good = done
        .iter()
        .filter(|s| {
            within(slo.ttft, s.ttft)
                && within(slo.tpot, s.tpot().unwrap_or(0.0))
                && within(slo.e2e, s.latency)
        })
        .count();
    let mut file = Map::new();
    let mut put = |k: &str, v: Value| {
        file.insert(k.to_string(), v);
    };
    put("date", info.date.clone().into());
    put("endpoint_type", info.backend.clone().into());
    put("backend", info.backend.clone().into());
    put("label", info.label.clone().into());
    put("model_id", info.model.clone().into());
    put("tokenizer_id", info.model.clone().into());
    put("num_prompts", info.num_prompts.into());
    let rate = match info.request_rate {
        Some(r) => Rate::Finite(r),
        None => Rate::Inf("inf"),
    };
    put("request_rate", serde_json::to_value(rate).expect("a rate"));
    put("burstiness", info.burstiness.into());
    put("max_concurrency", info.max_concurrency.into());
    put("duration", duration.into());
    put("completed", done.len().into());
    put("failed", (seen.len() - done.len()).into());
    put("total_input_tokens", total_input.into());
    put("total_output_tokens", total_output.into());
    put("request_throughput", per_s(done.len() as f64).into());
    put(
        "request_goodput",
        any_slo.then(|| per_s(good as f64)).into(),
    );
    put("output_throughput", per_s(total_output as f64).into());
    put(
        "total_token_throughput",
        per_s((total_input + total_output) as f64).into(),
    );
    let list = |f: &dyn Fn(&Seen) -> Value| Value::Array(seen.iter().map(f).collect());
    put("input_lens", list(&|s| s.input_len.into()));
    put("output_lens", list(&|s| s.output_len.into()));
    put("ttfts", list(&|s| s.ttft.into()));
    put("itls", list(&|s| s.itl.clone().into()));
    put("latencies", list(&|s| s.latency.into()));
    put("start_times", list(&|s| s.start.into()));
    put("generated_texts", list(&|_| "".into()));
    put("errors", list(&|s| s.error.clone().into()));
    let values: [Vec<f64>; 4] = [
        done.iter().map(|s| s.ttft).collect(),
        done.iter().filter_map(|s| s.tpot()).collect(),
        done.iter().flat_map(|s| s.itl.iter().copied()).collect(),
        done.iter().map(|s| s.latency).collect(),
    ];
    for (metric, values) in METRICS.iter().zip(values) {
        let [mean, median, std, p99] = stats_ms(values);
        put(&format!("mean_{metric}_ms"), mean.into());
        put(&format!("median_{metric}_ms"), median.into());
        put(&format!("std_{metric}_ms"), std.into());
        put(&format!("p99_{metric}_ms"), p99.into());
    }
    Value::Object(file)
}

/// What is wrong with a result file's contents.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FormatError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("the top level is not a JSON object")]
    NotObject,
    #[error("key `{0}` is missing")]
    Missing(String),
    #[error("key `{key}` is not {expected}")]
    Type { key: String, expected: &'static str },
    #[error("key `{key}` has {found} entries, but `completed` + `failed` is {expected}")]
    Length {
        key: String,
        found: usize,
        expected: usize,
    },
    /// In a file of JSON lines (AIPerf's).
    #[error("line {line}: {source}")]
    AtLine {
        line: usize,
        source: Box<FormatError>,
    },
}

/// A result file read back: its records (where it has the per-request lists:
/// `--save-detailed`), a summary of repro's layout, and the params of its run.
#[derive(Debug, Clone)]
pub struct Imported {
    pub records: Vec<RequestRecord>,
    pub summary: Summary,
    /// `rate` (a finite `request_rate`) and `concurrency` (`max_concurrency`), as a matrix's.
    pub params: IndexMap<String, Value>,
    /// The file's `model_id`, `backend` and `date`, where it has them.
    pub meta: IndexMap<String, Value>,
}

/// Reads typed keys of one object, naming the key at fault.
struct Keys<'a>(&'a Map<String, Value>);

impl Keys<'_> {
    fn get(&self, key: &str) -> Result<&Value, FormatError> {
        self.0
            .get(key)
            .ok_or_else(|| FormatError::Missing(key.to_string()))
    }

    fn wrong(key: &str, expected: &'static str) -> FormatError {
        FormatError::Type {
            key: key.to_string(),
            expected,
        }
    }

    fn f64(&self, key: &str) -> Result<f64, FormatError> {
        self.get(key)?
            .as_f64()
            .ok_or_else(|| Self::wrong(key, "a number"))
    }

    fn u64(&self, key: &str) -> Result<u64, FormatError> {
        self.get(key)?
            .as_u64()
            .ok_or_else(|| Self::wrong(key, "a whole number ≥ 0"))
    }

    /// A number, `null` or absent.
    fn opt_f64(&self, key: &str) -> Result<Option<f64>, FormatError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| Self::wrong(key, "a number or null")),
        }
    }

    /// A list of `n` entries, each read by `each`; `None` where the key is absent.
    fn list<T>(
        &self,
        key: &str,
        n: usize,
        expected: &'static str,
        each: impl Fn(&Value) -> Option<T>,
    ) -> Result<Option<Vec<T>>, FormatError> {
        let Some(value) = self.0.get(key) else {
            return Ok(None);
        };
        let items = value.as_array().ok_or_else(|| Self::wrong(key, "a list"))?;
        if items.len() != n {
            return Err(FormatError::Length {
                key: key.to_string(),
                found: items.len(),
                expected: n,
            });
        }
        items
            .iter()
            .map(|v| each(v).ok_or_else(|| Self::wrong(key, expected)))
            .collect::<Result<Vec<T>, _>>()
            .map(Some)
    }
}

/// The per-request lists of a detailed file; `None` where it has none (`ttfts` absent).
struct Lists {
    input_lens: Vec<u64>,
    output_lens: Vec<u64>,
    ttfts: Vec<f64>,
    itls: Vec<Vec<f64>>,
    errors: Vec<String>,
    latencies: Option<Vec<f64>>,
    start_times: Option<Vec<f64>>,
}

fn lists(keys: &Keys<'_>, n: usize) -> Result<Option<Lists>, FormatError> {
    let Some(ttfts) = keys.list("ttfts", n, "a list of numbers", Value::as_f64)? else {
        return Ok(None);
    };
    let need = |key: &str| FormatError::Missing(key.to_string());
    let numbers =
        |v: &Value| -> Option<Vec<f64>> { v.as_array()?.iter().map(Value::as_f64).collect() };
    Ok(Some(Lists {
        input_lens: keys
            .list("input_lens", n, "a list of whole numbers", Value::as_u64)?
            .ok_or_else(|| need("input_lens"))?,
        output_lens: keys
            .list("output_lens", n, "a list of whole numbers", Value::as_u64)?
            .ok_or_else(|| need("output_lens"))?,
        ttfts,
        itls: keys
            .list("itls", n, "a list of lists of numbers", numbers)?
            .ok_or_else(|| need("itls"))?,
        errors: keys
            .list("errors", n, "a list of strings", |v| match v {
                Value::Null => Some(String::new()),
                v => v.as_str().map(str::to_string),
            })?
            .ok_or_else(|| need("errors"))?,
        latencies: keys.list("latencies", n, "a list of numbers", Value::as_f64)?,
        start_times: keys.list("start_times", n, "a list of numbers", Value::as_f64)?,
    }))
}

/// Request `i` of a detailed file as a repro record: sent at its start time (seconds after
/// the first; 0 for all where the file has no `start_times`), chunks at TTFT and each gap on,
/// the end at its latency (else its last chunk).
fn record(l: &Lists, i: usize, first_start: f64) -> RequestRecord {
    let ok = l.errors[i].is_empty() && (l.ttfts[i] > 0.0 || l.output_lens[i] > 0);
    let sent = l.start_times.as_ref().map_or(0.0, |s| s[i] - first_start);
    let mut chunks = Vec::with_capacity(l.itls[i].len() + 1);
    if ok {
        let mut at = sent + l.ttfts[i];
        chunks.push(at);
        for gap in &l.itls[i] {
            at += gap;
            chunks.push(at);
        }
    }
    let end = match (&l.latencies, ok) {
        (Some(lat), true) => sent + lat[i],
        (None, true) => chunks.last().copied().unwrap_or(sent),
        (_, false) => sent,
    };
    RequestRecord {
        id: i as u64,
        scheduled: None,
        dispatched: None,
        sent: Some(sent),
        first_token: chunks.first().copied(),
        chunks,
        end: Some(end),
        prompt_len: l.input_lens[i],
        max_tokens: l.output_lens[i],
        prompt_tokens: Some(l.input_lens[i]),
        completion_tokens: ok.then_some(l.output_lens[i]),
        status: ok.then_some(200),
        outcome: if ok { Outcome::Ok } else { Outcome::Error },
        error: (!ok).then(|| l.errors[i].clone()),
        priority: None,
        conversation: None,
        turn: None,
    }
}

/// A distribution from a file's statistics of `metric` (ms → s): mean, median as p50, and
/// every `p<x>_<metric>_ms` repro keeps (p90, p95, p99).
fn dist_of(keys: &Keys<'_>, metric: &str, count: usize) -> Result<metrics::Dist, FormatError> {
    let s = |name: String| -> Result<Option<f64>, FormatError> {
        Ok(keys.opt_f64(&name)?.map(|ms| ms / 1000.0))
    };
    let mean = s(format!("mean_{metric}_ms"))?;
    Ok(metrics::Dist {
        count: if mean.is_some() { count } else { 0 },
        mean,
        min: None,
        p50: s(format!("median_{metric}_ms"))?,
        p90: s(format!("p90_{metric}_ms"))?,
        p95: s(format!("p95_{metric}_ms"))?,
        p99: s(format!("p99_{metric}_ms"))?,
        max: None,
    })
}

/// How a file says the load was offered: `request_rate` (`"inf"`: none) and `max_concurrency`.
fn offered(keys: &Keys<'_>) -> Result<Offered, FormatError> {
    let target_rate = match keys.get("request_rate")? {
        Value::String(s) if s == "inf" => None,
        v => Some(
            v.as_f64()
                .ok_or_else(|| Keys::wrong("request_rate", "a number or \"inf\""))?,
        ),
    };
    let concurrency = match keys.0.get("max_concurrency") {
        None | Some(Value::Null) => None,
        Some(_) => Some(keys.u64("max_concurrency")? as u32),
    };
    Ok(Offered {
        target_rate,
        concurrency,
    })
}

/// The requests of a file: `completed` + `failed`, or (older files, without `failed`) as many
/// as its lists have.
fn request_count(keys: &Keys<'_>, completed: usize) -> Result<usize, FormatError> {
    Ok(match keys.0.get("failed") {
        None | Some(Value::Null) => keys
            .0
            .get("ttfts")
            .and_then(Value::as_array)
            .map_or(completed, Vec::len),
        Some(_) => completed + keys.u64("failed")? as usize,
    })
}

/// A summary without records: the file's counts and each metric's statistics.
fn statistics_only(
    summary: &mut Summary,
    keys: &Keys<'_>,
    n: usize,
    completed: usize,
) -> Result<(), FormatError> {
    summary.requests = n;
    summary.outcomes.insert("ok".into(), completed);
    summary.outcomes.insert("error".into(), n - completed);
    summary.ttft = dist_of(keys, "ttft", completed)?;
    summary.tpot = dist_of(keys, "tpot", completed)?;
    summary.itl = dist_of(keys, "itl", completed)?;
    summary.e2e = dist_of(keys, "e2el", completed)?;
    summary.good_requests = completed;
    summary.good_fraction = if n > 0 {
        completed as f64 / n as f64
    } else {
        0.0
    };
    summary.by_tool = None;
    summary.deadlines = None;
    summary.attainment = None;
    Ok(())
}

/// The file's duration, token counts, throughputs and goodput over the summary's own.
fn file_totals(summary: &mut Summary, keys: &Keys<'_>) -> Result<(), FormatError> {
    let duration = keys.f64("duration")?;
    summary.duration = duration;
    summary.prompt_tokens = keys.u64("total_input_tokens")?;
    summary.output_tokens = keys.u64("total_output_tokens")?;
    summary.request_throughput = keys.f64("request_throughput")?;
    summary.output_throughput = keys.f64("output_throughput")?;
    summary.total_token_throughput = keys.f64("total_token_throughput")?;
    summary.goodput = match keys.opt_f64("request_goodput")? {
        Some(goodput) => goodput,
        None if duration > 0.0 => summary.good_requests as f64 / duration,
        None => 0.0,
    };
    summary.definitions.insert(
        "imported".into(),
        "from a vllm bench serve result file: latencies from its per-request lists as vLLM \
         measured them (e2e = last chunk - send); duration, token counts and throughputs as \
         the file gives them (docs/vllm-bench-format.md)"
            .into(),
    );
    Ok(())
}

/// Read a result file of `vllm bench serve --save-result` (or vllm-bench's, or repro's own
/// `vllm-bench.json`). With the per-request lists (`--save-detailed`) the records are rebuilt
/// and summarised as repro summarises its own; without them the summary holds the file's
/// statistics alone. Either way the duration, token counts and throughputs are the file's.
pub fn from_file(text: &str) -> Result<Imported, FormatError> {
    let value: Value = serde_json::from_str(text).map_err(|e| FormatError::Json(e.to_string()))?;
    let object = value.as_object().ok_or(FormatError::NotObject)?;
    let keys = Keys(object);
    let completed = keys.u64("completed")? as usize;
    keys.f64("duration")?;
    let offered = offered(&keys)?;
    let n = request_count(&keys, completed)?;
    let lists = lists(&keys, n)?;
    let records: Vec<RequestRecord> = match &lists {
        Some(l) => {
            let first = l
                .start_times
                .as_ref()
                .and_then(|s| s.iter().copied().min_by(f64::total_cmp))
                .unwrap_or(0.0);
            (0..n).map(|i| record(l, i, first)).collect()
        }
        None => vec![],
    };
    let mut summary = metrics::summarize(&records, Slo::default(), offered);
    if lists.is_none() {
        statistics_only(&mut summary, &keys, n, completed)?;
    }
    file_totals(&mut summary, &keys)?;
    let mut params = IndexMap::new();
    if let Some(rate) = offered.target_rate {
        params.insert("rate".to_string(), rate.into());
    }
    if let Some(c) = offered.concurrency {
        params.insert("concurrency".to_string(), c.into());
    }
    let meta = ["model_id", "backend", "date", "label"]
        .iter()
        .filter_map(|k| Some((k.to_string(), object.get(*k)?.clone())))
        .filter(|(_, v)| !v.is_null())
        .collect();
    Ok(Imported {
        records,
        summary,
        params,
        meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(id: u64, sent: f64, chunks: &[f64], end: f64, tokens: u64) -> RequestRecord {
        RequestRecord {
            sent: Some(sent),
            first_token: chunks.first().copied(),
            chunks: chunks.to_vec(),
            end: Some(end),
            prompt_tokens: Some(8),
            completion_tokens: Some(tokens),
            status: Some(200),
            outcome: Outcome::Ok,
            ..RequestRecord::not_sent(id, Some(sent), 8, tokens)
        }
    }

    fn info() -> RunInfo {
        RunInfo {
            date: date_of(0.0),
            backend: "openai".into(),
            label: "rate_2.0".into(),
            model: "mock".into(),
            num_prompts: 3,
            request_rate: Some(2.0),
            burstiness: 1.0,
            max_concurrency: None,
            slo: Slo {
                ttft: Some(0.3),
                ..Slo::default()
            },
        }
    }

    fn records() -> Vec<RequestRecord> {
        vec![
            // ttft 0.25, last chunk 1.25 (latency 1.25, [DONE] at 1.5), 3 tokens → tpot 0.5
            ok(0, 0.0, &[0.25, 0.75, 1.25], 1.5, 3),
            // ttft 0.5, one token → no tpot, latency 0.5
            ok(1, 1.0, &[1.5], 1.5, 1),
            RequestRecord {
                outcome: Outcome::HttpError,
                status: Some(500),
                error: Some("HTTP 500".into()),
                end: Some(2.1),
                sent: Some(2.0),
                ..RequestRecord::not_sent(2, Some(2.0), 8, 3)
            },
        ]
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    /// Worked by hand under vLLM's definitions.
    #[test]
    fn a_run_in_vllms_format() {
        let records = records();
        let summary = metrics::summarize(&records, info().slo, Offered::default());
        let f = to_file(&records, &summary, &info());
        assert_eq!(f["date"], "19700101-000000");
        assert_eq!(f["completed"], 2);
        assert_eq!(f["failed"], 1);
        assert_eq!(f["request_rate"], 2.0);
        assert_eq!(f["total_input_tokens"], 16);
        assert_eq!(f["total_output_tokens"], 4);
        close(f["duration"].as_f64().unwrap(), 2.1);
        close(f["output_throughput"].as_f64().unwrap(), 4.0 / 2.1);
        // ttft ≤ 0.3: request 0 only
        close(f["request_goodput"].as_f64().unwrap(), 1.0 / 2.1);
        assert_eq!(f["output_lens"], serde_json::json!([3, 1, 0]));
        assert_eq!(f["ttfts"], serde_json::json!([0.25, 0.5, 0.0]));
        assert_eq!(f["itls"], serde_json::json!([[0.5, 0.5], [], []]));
        assert_eq!(f["latencies"], serde_json::json!([1.25, 0.5, 0.0]));
        assert_eq!(f["errors"], serde_json::json!(["", "", "HTTP 500"]));
        assert_eq!(f["generated_texts"], serde_json::json!(["", "", ""]));
        // ttfts 0.25, 0.5: mean 375 ms, median 375, std 125, p99 0.25 + 0.25 × 0.99
        close(f["mean_ttft_ms"].as_f64().unwrap(), 375.0);
        close(f["median_ttft_ms"].as_f64().unwrap(), 375.0);
        close(f["std_ttft_ms"].as_f64().unwrap(), 125.0);
        close(f["p99_ttft_ms"].as_f64().unwrap(), 497.5);
        // tpot: (1.25 − 0.25) / 2 = 0.5 alone, std 0
        close(f["mean_tpot_ms"].as_f64().unwrap(), 500.0);
        close(f["std_tpot_ms"].as_f64().unwrap(), 0.0);
        close(f["mean_itl_ms"].as_f64().unwrap(), 500.0);
        close(f["median_e2el_ms"].as_f64().unwrap(), 875.0);
        for m in METRICS {
            for s in ["mean", "median", "std", "p99"] {
                assert!(f[format!("{s}_{m}_ms")].is_number(), "{s}_{m}_ms");
            }
        }
    }

    #[test]
    fn no_values_give_zero_as_numpy_does_and_no_slo_no_goodput() {
        let mut i = info();
        i.slo = Slo::default();
        i.request_rate = None;
        let summary = metrics::summarize(&[], i.slo, Offered::default());
        let f = to_file(&[], &summary, &i);
        assert_eq!(f["mean_ttft_ms"], 0.0);
        assert_eq!(f["request_goodput"], Value::Null);
        assert_eq!(f["request_rate"], "inf");
    }

    #[test]
    fn the_file_reads_back_into_the_same_latencies() {
        let records = records();
        let summary = metrics::summarize(&records, Slo::default(), Offered::default());
        let text = serde_json::to_string(&to_file(&records, &summary, &info())).unwrap();
        let back = from_file(&text).unwrap();
        assert_eq!(back.records.len(), 3);
        assert_eq!(back.summary.outcomes["ok"], 2);
        assert_eq!(back.summary.outcomes["error"], 1);
        assert_eq!(back.summary.ttft, summary.ttft);
        assert_eq!(back.summary.itl, summary.itl);
        assert_eq!(back.summary.output_tokens, summary.output_tokens);
        close(back.summary.duration, summary.duration);
        close(back.summary.output_throughput, summary.output_throughput);
        // e2e is vLLM's latency: the last chunk, not [DONE]
        close(back.summary.e2e.max.unwrap(), 1.25);
        assert_eq!(back.params["rate"], 2.0);
        assert_eq!(back.meta["model_id"], "mock");
    }

    #[test]
    fn a_file_without_the_lists_gives_its_statistics() {
        let text = r#"{"date": "20250101-000000", "backend": "vllm", "model_id": "m",
            "num_prompts": 10, "request_rate": "inf", "burstiness": 1.0,
            "max_concurrency": 4, "duration": 2.0, "completed": 9, "failed": 1,
            "total_input_tokens": 90, "total_output_tokens": 180,
            "request_throughput": 4.5, "request_goodput": null, "output_throughput": 90.0,
            "total_token_throughput": 135.0, "mean_ttft_ms": 20.0, "median_ttft_ms": 18.0,
            "std_ttft_ms": 3.0, "p99_ttft_ms": 30.0}"#;
        let back = from_file(text).unwrap();
        assert!(back.records.is_empty());
        assert_eq!(back.summary.requests, 10);
        assert_eq!(back.summary.outcomes["ok"], 9);
        close(back.summary.ttft.p50.unwrap(), 0.018);
        close(back.summary.ttft.p99.unwrap(), 0.030);
        assert_eq!(back.summary.tpot.mean, None);
        close(back.summary.request_throughput, 4.5);
        assert_eq!(back.params.get("rate"), None);
        assert_eq!(back.params["concurrency"], 4);
    }

    #[test]
    fn bad_files_name_the_key() {
        let good = r#"{"duration": 1.0, "completed": 1, "failed": 0, "request_rate": 1.0,
            "total_input_tokens": 1, "total_output_tokens": 1, "request_throughput": 1.0,
            "output_throughput": 1.0, "total_token_throughput": 2.0"#;
        let with = |rest: &str| format!("{good}{rest}}}");
        assert!(from_file(&with("")).is_ok());
        let without_duration = good.replace("\"duration\": 1.0, ", "") + "}";
        assert_eq!(
            from_file(&without_duration).unwrap_err(),
            FormatError::Missing("duration".into())
        );
        assert_eq!(
            from_file(&with(r#", "ttfts": ["x"]"#)).unwrap_err(),
            FormatError::Type {
                key: "ttfts".into(),
                expected: "a list of numbers"
            }
        );
        assert_eq!(
            from_file(&with(r#", "ttfts": [0.1, 0.2]"#)).unwrap_err(),
            FormatError::Length {
                key: "ttfts".into(),
                found: 2,
                expected: 1
            }
        );
        assert_eq!(
            from_file(&with(r#", "ttfts": [0.1]"#)).unwrap_err(),
            FormatError::Missing("input_lens".into())
        );
        let quoted = good.replace("\"completed\": 1", "\"completed\": \"1\"") + "}";
        assert_eq!(
            from_file(&quoted).unwrap_err(),
            FormatError::Type {
                key: "completed".into(),
                expected: "a whole number ≥ 0"
            }
        );
        assert!(matches!(from_file(good), Err(FormatError::Json(_))));
        assert_eq!(from_file("[1]").unwrap_err(), FormatError::NotObject);
    }
}
