//! AIPerf's per-request export (`artifacts/<run>/profile_export.jsonl`, one JSON object a
//! line: `metadata` with `request_start_ns` / `request_end_ns`, `metrics` as `{value, unit}`,
//! `error`) read into repro's records. Pure, no I/O.
//!
//! A record: sent at its `request_start_ns` (seconds after the first request's), its first chunk
//! `time_to_first_token` later, each next one `inter_chunk_latency[k]` after the one before
//! (AIPerf's ICL: the gaps between responses), its end at `request_latency` (else
//! `request_end_ns`); tokens from `input_sequence_length` and `output_sequence_length` (else
//! `output_token_count`); a request with an `error` is an `error` record with its message and
//! code. The summary is repro's own over these records (AIPerf's "ITL" is vLLM's TPOT: see
//! `summary.json`'s `by_tool`).

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::metrics::{self, Offered, Slo};
use super::record::{placed_at_sends, Outcome, RequestRecord};
use super::vllm_format::{FormatError, Imported};

/// The file's name as AIPerf writes it.
pub const FILE: &str = "profile_export.jsonl";

/// Whether `text` looks like AIPerf's per-request export: its first line an object with
/// `metadata` and `metrics` (or `error`).
pub fn is_aiperf(text: &str) -> bool {
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    serde_json::from_str::<Value>(first).is_ok_and(|v| {
        v.get("metadata").is_some_and(Value::is_object)
            && (v.get("metrics").is_some() || v.get("error").is_some())
    })
}

fn wrong(key: &str, expected: &'static str) -> FormatError {
    FormatError::Type {
        key: key.to_string(),
        expected,
    }
}

/// A `{value, unit}` metric in seconds (`ms`, `s`, `us`, `ns`); `None` where absent or null.
fn seconds(metrics: &Map<String, Value>, key: &str) -> Result<Option<f64>, FormatError> {
    match metrics.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(m) => {
            let value = m.get("value").and_then(Value::as_f64);
            let scale = unit_scale(m, key)?;
            value
                .map(|v| Some(v * scale))
                .ok_or_else(|| wrong(&format!("metrics.{key}.value"), "a number"))
        }
    }
}

fn unit_scale(m: &Value, key: &str) -> Result<f64, FormatError> {
    match m.get("unit").and_then(Value::as_str) {
        None | Some("ms") => Ok(1e-3),
        Some("s" | "sec") => Ok(1.0),
        Some("us") => Ok(1e-6),
        Some("ns") => Ok(1e-9),
        Some(_) => Err(wrong(&format!("metrics.{key}.unit"), "ms, s, us or ns")),
    }
}

/// A `{value, unit}` list metric in seconds; empty where absent.
fn seconds_list(metrics: &Map<String, Value>, key: &str) -> Result<Vec<f64>, FormatError> {
    match metrics.get(key) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(m) => {
            let scale = unit_scale(m, key)?;
            let items = m.get("value").and_then(Value::as_array);
            items
                .and_then(|items| {
                    items
                        .iter()
                        .map(|v| v.as_f64().map(|x| x * scale))
                        .collect()
                })
                .ok_or_else(|| wrong(&format!("metrics.{key}.value"), "a list of numbers"))
        }
    }
}

fn count(metrics: &Map<String, Value>, key: &str) -> Result<Option<u64>, FormatError> {
    match metrics.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(m) => m
            .get("value")
            .and_then(Value::as_f64)
            .filter(|v| *v >= 0.0)
            .map(|v| Some(v.round() as u64))
            .ok_or_else(|| wrong(&format!("metrics.{key}.value"), "a number ≥ 0")),
    }
}

/// One line: the request's start (ns since the epoch) and its record (times relative to it).
fn line(v: &Value) -> Result<(u64, RequestRecord), FormatError> {
    let object = v.as_object().ok_or(FormatError::NotObject)?;
    let meta = object
        .get("metadata")
        .ok_or_else(|| FormatError::Missing("metadata".into()))?;
    let start_ns = meta
        .get("request_start_ns")
        .ok_or_else(|| FormatError::Missing("metadata.request_start_ns".into()))?
        .as_u64()
        .ok_or_else(|| wrong("metadata.request_start_ns", "a whole number (ns)"))?;
    let end_ns = meta.get("request_end_ns").and_then(Value::as_u64);
    let empty = Map::new();
    let metrics = match object.get("metrics") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(wrong("metrics", "an object")),
    };
    let error = object.get("error").filter(|e| !e.is_null());
    let ttft = seconds(metrics, "time_to_first_token")?;
    let gaps = seconds_list(metrics, "inter_chunk_latency")?;
    let latency = seconds(metrics, "request_latency")?;
    let output = match count(metrics, "output_sequence_length")? {
        Some(n) => Some(n),
        None => count(metrics, "output_token_count")?,
    };
    let input = match count(metrics, "input_sequence_length")? {
        Some(n) => Some(n),
        None => count(metrics, "error_isl")?,
    };
    let mut chunks = Vec::new();
    if let (None, Some(ttft)) = (error, ttft) {
        let mut at = ttft;
        chunks.push(at);
        for gap in gaps {
            at += gap;
            chunks.push(at);
        }
    }
    let end = latency.or_else(|| Some(end_ns?.saturating_sub(start_ns) as f64 * 1e-9));
    let ok = error.is_none();
    let record = RequestRecord {
        id: 0,
        scheduled: None,
        dispatched: None,
        sent: Some(0.0),
        first_token: chunks.first().copied(),
        chunks,
        end,
        prompt_len: input.unwrap_or(0),
        max_tokens: output.unwrap_or(0),
        prompt_tokens: input,
        completion_tokens: if ok { output } else { None },
        status: match error {
            None => Some(200),
            Some(e) => e.get("code").and_then(Value::as_u64).map(|c| c as u16),
        },
        outcome: if ok { Outcome::Ok } else { Outcome::Error },
        error: error.map(|e| {
            let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            format!("{}: {}", text("type"), text("message"))
        }),
        priority: None,
        conversation: None,
        turn: None,
    };
    Ok((start_ns, record))
}

/// Read AIPerf's `profile_export.jsonl`: every line a request; the summary repro's over them.
pub fn from_jsonl(text: &str) -> Result<Imported, FormatError> {
    let mut read: Vec<(u64, RequestRecord)> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let at = |source: FormatError| FormatError::AtLine {
            line: i + 1,
            source: Box::new(source),
        };
        let v: Value = serde_json::from_str(l).map_err(|e| at(FormatError::Json(e.to_string())))?;
        read.push(line(&v).map_err(at)?);
    }
    let first = read.iter().map(|(s, _)| *s).min().unwrap_or(0);
    // Offsets in integer nanoseconds first: epoch nanoseconds do not fit an f64's mantissa.
    let records = placed_at_sends(
        read.into_iter()
            .map(|(start, r)| (start.saturating_sub(first) as f64 * 1e-9, r))
            .collect(),
    );
    let mut summary = metrics::summarize(&records, Slo::default(), Offered::default());
    summary.definitions.insert(
        "imported".into(),
        "from AIPerf's profile_export.jsonl: each request's start, time_to_first_token, \
         inter_chunk_latency gaps and request_latency as AIPerf measured them; the summary \
         computed by repro's definitions over them"
            .into(),
    );
    Ok(Imported {
        records,
        summary,
        params: IndexMap::new(),
        meta: IndexMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = r#"{"metadata": {"session_num": 0, "request_start_ns": 1000000000, "request_end_ns": 1050000000}, "metrics": {"input_sequence_length": {"value": 5, "unit": "tokens"}, "time_to_first_token": {"value": 20.0, "unit": "ms"}, "inter_chunk_latency": {"value": [10.0, 10.0], "unit": "ms"}, "request_latency": {"value": 45.0, "unit": "ms"}, "output_sequence_length": {"value": 3, "unit": "tokens"}}, "error": null}
{"metadata": {"session_num": 1, "request_start_ns": 1500000000, "request_end_ns": 1500100000}, "metrics": {"error_isl": {"value": 5, "unit": "tokens"}}, "error": {"code": 500, "type": "InternalServerError", "message": "boom"}}
"#;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn requests_become_records_and_repros_summary() {
        assert!(is_aiperf(LINES));
        assert!(!is_aiperf("{\"completed\": 1}"));
        let i = from_jsonl(LINES).unwrap();
        assert_eq!(i.records.len(), 2);
        let r = &i.records[0];
        close(r.ttft().unwrap(), 0.020);
        assert_eq!(r.chunks.len(), 3);
        close(r.chunks[2], 0.040);
        close(r.e2e().unwrap(), 0.045);
        assert_eq!(r.completion_tokens, Some(3));
        let failed = &i.records[1];
        close(failed.sent.unwrap(), 0.5);
        assert_eq!(failed.outcome, Outcome::Error);
        assert_eq!(failed.status, Some(500));
        assert_eq!(failed.error.as_deref(), Some("InternalServerError: boom"));
        assert_eq!(i.summary.outcomes["ok"], 1);
        // tpot (0.045 − 0.020) / 2
        close(i.summary.tpot.mean.unwrap(), 0.0125);
        close(i.summary.itl.mean.unwrap(), 0.010);
    }

    #[test]
    fn a_bad_line_is_named_with_its_key() {
        let cut = &LINES[..LINES.len() - 30];
        let e = from_jsonl(cut).unwrap_err();
        assert!(e.to_string().starts_with("line 2: not JSON"), "{e}");
        let e = from_jsonl(&LINES.replace("\"request_start_ns\": 1500000000, ", "")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: key `metadata.request_start_ns` is missing"
        );
        let e = from_jsonl(&LINES.replace("[10.0, 10.0]", "[10.0, \"x\"]")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: key `metrics.inter_chunk_latency.value` is not a list of numbers"
        );
    }
}
