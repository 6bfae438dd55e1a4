//! The same records under other tools' definitions, so a number can be set beside the one a
//! reader knows. vLLM (`vllm bench serve`), GuideLLM and AIPerf name and compute TPOT, ITL and
//! end-to-end latency differently; each is computed here from repro's records (ok requests),
//! under the tool's own name, with its definition in `summary.json`'s `definitions`
//! (`by_tool.<tool>.<metric>`).
//!
//! - vLLM: `tpot` = (e2e − ttft) / (output tokens − 1) per request; `itl` = every gap between
//!   chunks, pooled; `e2el` = end − send.
//! - GuideLLM (`request_stats.py`): `time_per_output_token` = (last token − request start) /
//!   output tokens, the first token's wait included; `inter_token_latency` = (last token − first
//!   token) / (output tokens − 1); `request_latency` = end − start.
//! - AIPerf: `inter_token_latency` = (request latency − ttft) / (output tokens − 1) — vLLM's
//!   TPOT under another name; `inter_chunk_latency` = every gap between chunks, pooled;
//!   `request_latency` = last response − request start.

use indexmap::IndexMap;

use super::measures::Dist;
use super::record::{Outcome, RequestRecord};

/// Per tool, per metric (the tool's name for it), the distribution over a run's ok requests.
pub type ByTool = IndexMap<String, IndexMap<String, Dist>>;

/// The definitions, keyed `by_tool.<tool>.<metric>`, for `summary.json`.
pub fn definitions() -> [(&'static str, &'static str); 9] {
    [
        ("by_tool.vllm.tpot", "vllm bench serve: (e2e - ttft) / (output_tokens - 1), per request with >= 2 tokens"),
        ("by_tool.vllm.itl", "vllm bench serve: every gap between consecutive text chunks, pooled"),
        ("by_tool.vllm.e2el", "vllm bench serve: end of stream - send"),
        ("by_tool.guidellm.time_per_output_token", "GuideLLM: (last token - request start) / output_tokens, the time to the first token included"),
        ("by_tool.guidellm.inter_token_latency", "GuideLLM: (last token - first token) / (output_tokens - 1), per request with >= 2 tokens"),
        ("by_tool.guidellm.request_latency", "GuideLLM: request end - request start"),
        ("by_tool.aiperf.inter_token_latency", "AIPerf: (request_latency - ttft) / (output_tokens - 1), per request with >= 2 tokens (vLLM's TPOT)"),
        ("by_tool.aiperf.inter_chunk_latency", "AIPerf: every gap between consecutive responses (text chunks), pooled"),
        ("by_tool.aiperf.request_latency", "AIPerf: last response - request start"),
    ]
}

/// Each tool's TPOT, ITL and end-to-end latency over the ok requests of `records`.
pub fn by_tool(records: &[RequestRecord]) -> ByTool {
    let ok: Vec<&RequestRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Ok)
        .collect();
    let per = |f: &dyn Fn(&RequestRecord) -> Option<f64>| {
        Dist::of(ok.iter().filter_map(|r| f(r)).collect())
    };
    let pooled_gaps = || Dist::of(ok.iter().flat_map(|r| r.itls()).collect());
    let last = |r: &RequestRecord| r.chunks.last().copied();
    let n = |r: &RequestRecord| r.output_tokens();
    let decode_per_token = |r: &RequestRecord| {
        (n(r) >= 2).then(|| Some((r.e2e()? - r.ttft()?) / (n(r) - 1) as f64))?
    };
    let tool = |metrics: Vec<(&str, Dist)>| {
        metrics
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<IndexMap<_, _>>()
    };
    IndexMap::from([
        (
            "vllm".to_string(),
            tool(vec![
                ("tpot", per(&decode_per_token)),
                ("itl", pooled_gaps()),
                ("e2el", per(&|r| r.e2e())),
            ]),
        ),
        (
            "guidellm".to_string(),
            tool(vec![
                (
                    "time_per_output_token",
                    per(&|r| (n(r) >= 1).then(|| Some((last(r)? - r.sent?) / n(r) as f64))?),
                ),
                (
                    "inter_token_latency",
                    per(&|r| {
                        (n(r) >= 2)
                            .then(|| Some((last(r)? - r.first_token?) / (n(r) - 1) as f64))?
                    }),
                ),
                ("request_latency", per(&|r| r.e2e())),
            ]),
        ),
        (
            "aiperf".to_string(),
            tool(vec![
                ("inter_token_latency", per(&decode_per_token)),
                ("inter_chunk_latency", pooled_gaps()),
                ("request_latency", per(&|r| r.e2e())),
            ]),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    /// One request, worked by hand: sent at 0, chunks at 1.0, 1.5, 3.0, [DONE] at 3.5, 3 tokens.
    #[test]
    fn one_request_under_three_tools() {
        let r = RequestRecord {
            sent: Some(0.0),
            first_token: Some(1.0),
            chunks: vec![1.0, 1.5, 3.0],
            end: Some(3.5),
            completion_tokens: Some(3),
            outcome: Outcome::Ok,
            ..RequestRecord::not_sent(0, Some(0.0), 4, 3)
        };
        let t = by_tool(&[r]);
        // vLLM: (3.5 − 1.0) / 2; gaps 0.5 and 1.5; e2e 3.5
        close(t["vllm"]["tpot"].mean, 1.25);
        close(t["vllm"]["itl"].mean, 1.0);
        close(t["vllm"]["e2el"].mean, 3.5);
        // GuideLLM: (3.0 − 0) / 3 includes the wait; (3.0 − 1.0) / 2 leaves out the [DONE] tail
        close(t["guidellm"]["time_per_output_token"].mean, 1.0);
        close(t["guidellm"]["inter_token_latency"].mean, 1.0);
        close(t["guidellm"]["request_latency"].mean, 3.5);
        // AIPerf: its ITL is vLLM's TPOT; its chunk gaps vLLM's ITL
        close(t["aiperf"]["inter_token_latency"].mean, 1.25);
        close(t["aiperf"]["inter_chunk_latency"].max, 1.5);
        close(t["aiperf"]["request_latency"].mean, 3.5);
        assert_eq!(definitions().len(), 9);
    }
}
