//! One request as the load generator saw it: the raw record written to `records.jsonl`.
//!
//! Times are seconds since the run's start (a monotonic clock; `run.json` has the wall-clock
//! start), so records of one run compare exactly and a JSONL line stays short.

use serde::{Deserialize, Serialize};

/// How a request ended. Every request of a run ends in exactly one of these; none is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The stream ended with `data: [DONE]` after a 2xx status.
    Ok,
    /// The connection could not be made (nothing listening, connection refused or reset before
    /// a response).
    Refused,
    /// The server answered with a non-2xx status (the body's start is in `error`).
    HttpError,
    /// A 2xx stream that ended before `[DONE]` (connection closed or reset mid-way).
    StreamCut,
    /// No complete answer within the workload's `request_timeout`.
    TimedOut,
    /// The run's time limit or an interrupt came before this request was sent.
    NotSent,
    /// Anything else (a malformed chunk, an error event inside the stream).
    Error,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Ok,
        Outcome::Refused,
        Outcome::HttpError,
        Outcome::StreamCut,
        Outcome::TimedOut,
        Outcome::NotSent,
        Outcome::Error,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::HttpError => "http_error",
            Outcome::StreamCut => "stream_cut",
            Outcome::TimedOut => "timed_out",
            Outcome::NotSent => "not_sent",
            Outcome::Error => "error",
        }
    }
}

/// The raw record of one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Index in the workload (0-based; the same recipe gives the same requests).
    pub id: u64,
    /// When the workload meant it to be sent (open loop); `null` in a closed loop.
    pub scheduled: Option<f64>,
    /// When the load generator handed it to the async runtime (open loop); `sent` − this is
    /// the runtime's delay, this − `scheduled` the timer's.
    #[serde(default)]
    pub dispatched: Option<f64>,
    /// When the request started (just before the connection is asked for); `null` if not sent.
    pub sent: Option<f64>,
    /// Arrival of the first chunk that carried generated text.
    pub first_token: Option<f64>,
    /// Arrival of every chunk that carried generated text, first one included.
    pub chunks: Vec<f64>,
    /// When the answer ended (`[DONE]`, an error, a cut, or the timeout).
    pub end: Option<f64>,
    /// The prompt's length as generated (words of a synthetic prompt, characters otherwise;
    /// a conversation turn's: words of its whole history).
    pub prompt_len: u64,
    /// The `max_tokens` asked for.
    pub max_tokens: u64,
    /// `usage.prompt_tokens` from the server's usage report.
    pub prompt_tokens: Option<u64>,
    /// `usage.completion_tokens` from the server's usage report.
    pub completion_tokens: Option<u64>,
    /// HTTP status, where a response came.
    pub status: Option<u16>,
    pub outcome: Outcome,
    pub error: Option<String>,
    /// The priority it was sent with, where the workload set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// The conversation it is a turn of (`bench::conversation`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<u64>,
    /// Its turn in that conversation (0-based); absent outside conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<u32>,
}

impl RequestRecord {
    /// A request that was never sent.
    pub fn not_sent(id: u64, scheduled: Option<f64>, prompt_len: u64, max_tokens: u64) -> Self {
        RequestRecord {
            id,
            scheduled,
            dispatched: None,
            sent: None,
            first_token: None,
            chunks: vec![],
            end: None,
            prompt_len,
            max_tokens,
            prompt_tokens: None,
            completion_tokens: None,
            status: None,
            outcome: Outcome::NotSent,
            error: None,
            priority: None,
            conversation: None,
            turn: None,
        }
    }

    /// Time to first token, seconds.
    pub fn ttft(&self) -> Option<f64> {
        Some(self.first_token? - self.sent?)
    }

    /// End-to-end latency, seconds.
    pub fn e2e(&self) -> Option<f64> {
        Some(self.end? - self.sent?)
    }

    /// Output tokens: the server's usage report, else the number of text chunks.
    pub fn output_tokens(&self) -> u64 {
        self.completion_tokens.unwrap_or(self.chunks.len() as u64)
    }

    /// (E2E − TTFT) / (output tokens − 1); `None` below two output tokens.
    pub fn tpot(&self) -> Option<f64> {
        let n = self.output_tokens();
        if n < 2 {
            return None;
        }
        Some((self.e2e()? - self.ttft()?) / (n - 1) as f64)
    }

    /// Gaps between consecutive text chunks.
    pub fn itls(&self) -> impl Iterator<Item = f64> + '_ {
        self.chunks.windows(2).map(|w| w[1] - w[0])
    }
}

/// Records read with their times relative to their own send, each with that send's offset from
/// the run's first (seconds): placed on the run's clock (sent, first token, chunks and end moved
/// by the offset), in send order, numbered from 0 — as an imported file's requests become a run.
pub fn placed_at_sends(read: Vec<(f64, RequestRecord)>) -> Vec<RequestRecord> {
    let mut records: Vec<RequestRecord> = read
        .into_iter()
        .map(|(sent, mut r)| {
            r.sent = Some(sent);
            r.first_token = r.first_token.map(|t| t + sent);
            r.chunks.iter_mut().for_each(|t| *t += sent);
            r.end = r.end.map(|t| t + sent);
            r
        })
        .collect();
    records.sort_by(|a, b| a.sent.unwrap_or(0.0).total_cmp(&b.sent.unwrap_or(0.0)));
    for (i, r) in records.iter_mut().enumerate() {
        r.id = i as u64;
    }
    records
}
