//! One streamed request to an OpenAI-compatible server, timed chunk by chunk.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use super::record::{Outcome, RequestRecord};
use super::workload::Request;
use crate::recipe::bench::Endpoint;

/// Where and how requests go.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://127.0.0.1:8000` (no trailing slash).
    pub base_url: String,
    pub endpoint: Endpoint,
    pub model: String,
    pub ignore_eos: bool,
    /// Sent as `Authorization: Bearer …`; never written anywhere (and `{:?}` shows `***`).
    pub api_key: Option<ApiKey>,
    pub timeout: Duration,
    /// Send each request's `priority`: only a server scheduling by priority takes one (vLLM
    /// refuses a priority under `fcfs`); the record keeps its class either way.
    pub send_priority: bool,
}

/// Whether a server started with `argv` schedules by priority (`--scheduling-policy
/// priority`); a server repro does not start (`None`) is taken to.
pub fn schedules_by_priority(argv: Option<&[String]>) -> bool {
    match argv {
        None => true,
        Some(argv) => {
            argv.windows(2)
                .any(|w| w[0] == "--scheduling-policy" && w[1] == "priority")
                || argv.iter().any(|a| a == "--scheduling-policy=priority")
        }
    }
}

/// An API key: its `Debug` never shows it.
#[derive(Clone)]
pub struct ApiKey(pub String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// The JSON body of a request.
pub fn body(target: &Target, req: &Request) -> serde_json::Value {
    let mut body = serde_json::json!({
        "model": target.model,
        "max_tokens": req.max_tokens,
        "stream": true,
        "stream_options": {"include_usage": true},
        "temperature": 0.0,
    });
    match target.endpoint {
        Endpoint::Completions => body["prompt"] = req.prompt.clone().into(),
        Endpoint::Chat => {
            body["messages"] = serde_json::json!([{"role": "user", "content": req.prompt}])
        }
    }
    if target.ignore_eos {
        body["ignore_eos"] = true.into();
    }
    if let (Some(priority), true) = (req.priority, target.send_priority) {
        body["priority"] = priority.into();
    }
    body
}

fn secs(t0: Instant, t: Instant) -> f64 {
    t.saturating_duration_since(t0).as_secs_f64()
}

/// What one `data:` payload said.
#[derive(Debug, PartialEq)]
enum Event {
    Done,
    Chunk {
        has_text: bool,
        usage: Option<(Option<u64>, Option<u64>)>,
    },
    Error(String),
}

/// The parts of a streamed chunk that matter here; everything else is skipped unparsed.
#[derive(serde::Deserialize)]
struct ChunkMsg<'a> {
    #[serde(default, borrow)]
    choices: Vec<ChoiceMsg<'a>>,
    #[serde(default)]
    usage: Option<UsageMsg>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct ChoiceMsg<'a> {
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    delta: Option<DeltaMsg<'a>>,
}

#[derive(serde::Deserialize)]
struct DeltaMsg<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct UsageMsg {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

fn parse_event(endpoint: Endpoint, data: &str) -> Event {
    if data == "[DONE]" {
        return Event::Done;
    }
    let msg: ChunkMsg = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(e) => return Event::Error(format!("malformed chunk ({e}): {}", clip(data))),
    };
    if let Some(err) = msg.error {
        return Event::Error(format!("error event: {}", clip(&err.to_string())));
    }
    let text = msg.choices.first().and_then(|c| match endpoint {
        Endpoint::Completions => c.text.as_deref(),
        Endpoint::Chat => c.delta.as_ref().and_then(|d| d.content.as_deref()),
    });
    Event::Chunk {
        has_text: text.is_some_and(|t| !t.is_empty()),
        usage: msg.usage.map(|u| (u.prompt_tokens, u.completion_tokens)),
    }
}

/// The generated text a `data:` payload carries (empty where none).
fn chunk_text(endpoint: Endpoint, data: &str) -> String {
    let Ok(msg) = serde_json::from_str::<ChunkMsg>(data) else {
        return String::new();
    };
    let text = msg.choices.first().and_then(|c| match endpoint {
        Endpoint::Completions => c.text.as_deref(),
        Endpoint::Chat => c.delta.as_ref().and_then(|d| d.content.as_deref()),
    });
    text.unwrap_or("").to_string()
}

fn clip(s: &str) -> String {
    s.chars().take(300).collect()
}

/// Send one request and record every arrival. Never fails: what went wrong is the record's
/// `outcome` and `error`.
pub async fn send(
    client: &reqwest::Client,
    target: &Target,
    req: &Request,
    t0: Instant,
    scheduled: Option<f64>,
    dispatched: Option<f64>,
) -> RequestRecord {
    let mut rec = RequestRecord::not_sent(req.id, scheduled, req.prompt_len, req.max_tokens);
    rec.dispatched = dispatched;
    rec.priority = req.priority;
    exchange(client, target, body(target, req).to_string(), rec, t0, None).await
}

/// Send one conversation turn (`body` carries the history) and record it like [`send`];
/// returns the reply's text too, the history's next message.
pub async fn send_turn(
    client: &reqwest::Client,
    target: &Target,
    body: &serde_json::Value,
    rec: RequestRecord,
    t0: Instant,
) -> (RequestRecord, String) {
    let mut reply = String::new();
    let rec = exchange(client, target, body.to_string(), rec, t0, Some(&mut reply)).await;
    (rec, reply)
}

/// POST `body`, stream the answer into `rec` (and its text into `reply`, where asked).
async fn exchange(
    client: &reqwest::Client,
    target: &Target,
    body: String,
    mut rec: RequestRecord,
    t0: Instant,
    reply: Option<&mut String>,
) -> RequestRecord {
    let start = Instant::now();
    rec.sent = Some(secs(t0, start));
    let deadline = tokio::time::Instant::from_std(start + target.timeout);
    let url = format!("{}{}", target.base_url, target.endpoint.path());
    let mut builder = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = &target.api_key {
        builder = builder.bearer_auth(&key.0);
    }
    let response = match tokio::time::timeout_at(deadline, builder.send()).await {
        Err(_) => {
            let why = "no response headers before the request timeout";
            return finish(rec, t0, Outcome::TimedOut, Some(why.into()));
        }
        Ok(Err(e)) => {
            let outcome = if e.is_timeout() {
                Outcome::TimedOut
            } else {
                Outcome::Refused
            };
            return finish(rec, t0, outcome, Some(error_chain(&e)));
        }
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    rec.status = Some(status.as_u16());
    if !status.is_success() {
        let text = error_text(response, deadline).await;
        let why = format!("HTTP {status}: {}", clip(text.trim()));
        return finish(rec, t0, Outcome::HttpError, Some(why));
    }
    stream(response, rec, target.endpoint, t0, deadline, reply).await
}

/// The record ended now, so.
fn finish(
    mut rec: RequestRecord,
    t0: Instant,
    outcome: Outcome,
    error: Option<String>,
) -> RequestRecord {
    rec.end = Some(secs(t0, Instant::now()));
    rec.outcome = outcome;
    rec.error = error;
    rec
}

/// The start of an error response's body (what the server said), up to the deadline.
async fn error_text(mut response: reqwest::Response, deadline: tokio::time::Instant) -> String {
    let mut text = Vec::new();
    while let Ok(Ok(Some(bytes))) = tokio::time::timeout_at(deadline, response.chunk()).await {
        text.extend_from_slice(&bytes);
        if text.len() > 300 {
            break;
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// Read the answer's event stream into `rec` until `data: [DONE]`, an error, a cut or the
/// deadline.
async fn stream(
    mut response: reqwest::Response,
    mut rec: RequestRecord,
    endpoint: Endpoint,
    t0: Instant,
    deadline: tokio::time::Instant,
    mut reply: Option<&mut String>,
) -> RequestRecord {
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let chunk = match tokio::time::timeout_at(deadline, response.chunk()).await {
            Err(_) => {
                let why = "stream not finished before the request timeout";
                return finish(rec, t0, Outcome::TimedOut, Some(why.into()));
            }
            Ok(Err(e)) => return finish(rec, t0, Outcome::StreamCut, Some(error_chain(&e))),
            Ok(Ok(None)) => {
                let why = "the stream ended without `data: [DONE]`";
                return finish(rec, t0, Outcome::StreamCut, Some(why.into()));
            }
            Ok(Ok(Some(bytes))) => bytes,
        };
        let arrived = secs(t0, Instant::now());
        buffer.extend_from_slice(&chunk);
        match take_events(
            &mut buffer,
            endpoint,
            arrived,
            &mut rec,
            reply.as_deref_mut(),
        ) {
            None => {}
            Some(Ok(())) => {
                rec.end = Some(arrived);
                rec.outcome = Outcome::Ok;
                return rec;
            }
            Some(Err(message)) => return finish(rec, t0, Outcome::Error, Some(message)),
        }
    }
}

/// Apply the whole `data:` lines in `buffer` to `rec` (an SSE event may be split across reads:
/// the rest stays); where one ends the stream, whether well (`[DONE]`) or with an error.
fn take_events(
    buffer: &mut Vec<u8>,
    endpoint: Endpoint,
    arrived: f64,
    rec: &mut RequestRecord,
    mut reply: Option<&mut String>,
) -> Option<Result<(), String>> {
    let mut start = 0;
    while let Some(len) = buffer[start..].iter().position(|&b| b == b'\n') {
        let line = &buffer[start..start + len];
        start += len + 1;
        let Some(data) = line.strip_prefix(b"data:") else {
            continue;
        };
        let event = match std::str::from_utf8(data) {
            Ok(data) => {
                // Only a conversation keeps the text (parsed twice there, never in the hot path).
                if let Some(reply) = reply.as_deref_mut() {
                    reply.push_str(&chunk_text(endpoint, data.trim()));
                }
                parse_event(endpoint, data.trim())
            }
            Err(_) => Event::Error("a chunk is not UTF-8".into()),
        };
        match event {
            Event::Done => return Some(Ok(())),
            Event::Error(message) => return Some(Err(message)),
            Event::Chunk { has_text, usage } => {
                if has_text {
                    rec.first_token.get_or_insert(arrived);
                    rec.chunks.push(arrived);
                }
                if let Some((prompt, completion)) = usage {
                    rec.prompt_tokens = prompt;
                    rec.completion_tokens = completion;
                }
            }
        }
    }
    buffer.drain(..start);
    None
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    clip(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_priority_goes_only_to_a_server_scheduling_by_it() {
        let argv = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(schedules_by_priority(Some(&argv(
            "vllm --scheduling-policy priority"
        ))));
        assert!(schedules_by_priority(Some(&argv(
            "x --scheduling-policy=priority"
        ))));
        assert!(!schedules_by_priority(Some(&argv(
            "vllm --scheduling-policy fcfs"
        ))));
        assert!(schedules_by_priority(None));
        let mut target = Target {
            base_url: "http://127.0.0.1:1".into(),
            endpoint: Endpoint::Completions,
            model: "m".into(),
            ignore_eos: true,
            api_key: None,
            timeout: Duration::from_secs(1),
            send_priority: false,
        };
        let req = Request {
            id: 0,
            prompt: "p".into(),
            prompt_len: 1,
            max_tokens: 2,
            priority: Some(1),
        };
        assert_eq!(body(&target, &req).get("priority"), None);
        target.send_priority = true;
        assert_eq!(body(&target, &req)["priority"], 1);
    }

    #[test]
    fn events_of_both_endpoints() {
        let c = Endpoint::Completions;
        assert_eq!(parse_event(c, "[DONE]"), Event::Done);
        assert_eq!(
            parse_event(c, r#"{"choices":[{"text":"hi"}],"usage":null}"#),
            Event::Chunk {
                has_text: true,
                usage: None
            }
        );
        assert_eq!(
            parse_event(
                c,
                r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3}}"#
            ),
            Event::Chunk {
                has_text: false,
                usage: Some((Some(5), Some(3)))
            }
        );
        let chat = Endpoint::Chat;
        assert_eq!(
            parse_event(
                chat,
                r#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#
            ),
            Event::Chunk {
                has_text: false,
                usage: None
            }
        );
        assert_eq!(
            parse_event(chat, r#"{"choices":[{"delta":{"content":"x"}}]}"#),
            Event::Chunk {
                has_text: true,
                usage: None
            }
        );
        assert!(matches!(parse_event(c, "{nope"), Event::Error(_)));
        assert!(matches!(
            parse_event(c, r#"{"error":{"message":"boom"}}"#),
            Event::Error(_)
        ));
    }
}
