//! A mock OpenAI-compatible server for tests and load-generator benchmarks (`repro
//! __mock-server`): loopback only, streams SSE completions with a set time to first token and gap
//! between tokens, and fails on request — a share of 500s, streams cut mid-way, never healthy,
//! or dying after N requests. It exits by itself after `lifetime`. While it "starts" (its
//! `startup_delay`) it prints a few lines worded as vLLM's, so a run's server log has a start-up
//! ledger (`parse::ledger`): their durations are the configured ones, not measured.
//!
//! With `slots`, at most that many completions are served at once; the rest wait for a slot
//! (before their response starts, as a queued request waits in a server), so its capacity is
//! known in advance: `slots / (ttft + gap · (output tokens − 1))` requests/s. With
//! `prefill_per_token`, the time to first token grows by that much per word of the prompt. Token times are
//! kept on an absolute schedule from the slot's start, so timer rounding does not add up.
//!
//! With `prefix_cache`, it remembers every prompt it has seen, word by word, with the answer it
//! gave (as vLLM's automatic prefix caching keeps the blocks of prompts and outputs), and a
//! prompt pays `prefill_per_token` only for its words after the longest remembered prefix: a
//! conversation's next turn pays for its new message alone.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct MockOptions {
    /// 0 picks a free port.
    pub port: u16,
    pub ttft: Duration,
    pub gap: Duration,
    /// Share of completion requests answered with HTTP 500.
    pub fail_rate: f64,
    /// Share of streams closed after half their tokens, without `[DONE]`.
    pub cut_rate: f64,
    /// Exit (status 3, like a crash) when this many completion requests have arrived.
    pub die_after: Option<u64>,
    /// `/health` and `/v1/models` answer 503 forever.
    pub unhealthy: bool,
    /// Refuse to listen until this long after start (a slow server).
    pub startup_delay: Duration,
    pub seed: u64,
    /// Exit after this long, whatever happens.
    pub lifetime: Duration,
    /// Worker threads of its runtime.
    pub threads: usize,
    /// Completions served at once; `None`: no limit.
    pub slots: Option<usize>,
    /// Added to the time to first token per word of the prompt (a prefill that grows with it).
    pub prefill_per_token: Duration,
    /// Charge the prefill only for the words after the longest prefix seen before.
    pub prefix_cache: bool,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            port: 0,
            ttft: Duration::from_millis(20),
            gap: Duration::from_millis(2),
            fail_rate: 0.0,
            cut_rate: 0.0,
            die_after: None,
            unhealthy: false,
            startup_delay: Duration::ZERO,
            seed: 0,
            lifetime: Duration::from_secs(600),
            threads: 1,
            slots: None,
            prefill_per_token: Duration::ZERO,
            prefix_cache: false,
        }
    }
}

/// Serve until `lifetime` passes; `ready` gets the bound address (print it, for scripts).
pub fn serve(opts: MockOptions, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let load = opts.startup_delay.mul_f64(0.4);
        let engine = opts.startup_delay.saturating_sub(load);
        let pid = std::process::id();
        say(
            "api_server.py:1",
            None,
            "vLLM API server version 0.0.0+mock",
        );
        say(
            "core.py:1",
            Some(pid),
            "Initializing a V1 LLM engine (v0.0.0+mock) with config: model='mock'",
        );
        say(
            "gpu_model_runner.py:1",
            Some(pid),
            "Starting to load model mock...",
        );
        tokio::time::sleep(load).await;
        let secs = load.as_secs_f64();
        say(
            "default_loader.py:1",
            Some(pid),
            &format!("Loading weights took {secs:.2} seconds"),
        );
        say(
            "gpu_model_runner.py:2",
            Some(pid),
            &format!("Model loading took 0.0010 GiB and {secs:.6} seconds"),
        );
        tokio::time::sleep(engine).await;
        say(
            "core.py:2",
            Some(pid),
            &format!(
                "init engine (profile, create kv cache, warmup model) took {:.2} seconds",
                engine.as_secs_f64()
            ),
        );
        let listener = TcpListener::bind(("127.0.0.1", opts.port)).await?;
        let addr = listener.local_addr()?;
        say(
            "api_server.py:2",
            None,
            &format!("Starting vLLM API server 0 on http://{addr}"),
        );
        ready(addr);
        let opts = Arc::new(opts);
        let counter = Arc::new(AtomicU64::new(0));
        let slots = opts.slots.map(|n| Arc::new(Semaphore::new(n.max(1))));
        let cache = Arc::new(Mutex::new(PrefixCache::default()));
        let lifetime = tokio::time::sleep(opts.lifetime);
        tokio::pin!(lifetime);
        loop {
            tokio::select! {
                _ = &mut lifetime => return Ok(()),
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let shared = Shared { opts: opts.clone(), counter: counter.clone(), cache: cache.clone() };
                    tokio::spawn(connection(stream, shared, slots.clone()));
                }
            }
        }
    })
}

/// `MM-DD HH:MM:SS.mmm` of now, UTC, as vLLM stamps its lines.
fn vllm_stamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (days, secs) = ((now.as_secs() / 86_400) as i64, now.as_secs() % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    format!(
        "{month:02}-{day:02} {:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        now.subsec_millis()
    )
}

/// Print one vLLM-like log line (the engine core's, with its prefix, where `pid` is given) on
/// stderr: stdout's first line stays `listening on …` for scripts.
fn say(location: &str, pid: Option<u32>, message: &str) {
    use std::io::Write;
    let prefix = pid.map_or(String::new(), |p| format!("(EngineCore_0 pid={p}) "));
    let mut out = std::io::stderr().lock();
    let _ = writeln!(out, "{prefix}INFO {} [{location}] {message}", vllm_stamp());
    let _ = out.flush();
}

/// What every connection shares: the options, the request counter, the prefix cache.
#[derive(Clone)]
struct Shared {
    opts: Arc<MockOptions>,
    counter: Arc<AtomicU64>,
    cache: Arc<Mutex<PrefixCache>>,
}

/// The prefixes seen, one hash per word of each (a chain: a prefix's hash covers every word
/// before it), so the longest cached prefix of a prompt is found in one walk over its words.
#[derive(Default)]
struct PrefixCache {
    seen: HashSet<u64>,
}

/// Forget everything past this many prefixes (a bound on the mock's memory).
const CACHE_LIMIT: usize = 4_000_000;

impl PrefixCache {
    /// How many leading words of `words` were seen before; remembers all of them, and the
    /// answer after them.
    fn lookup_and_keep<'a>(
        &mut self,
        words: impl Iterator<Item = &'a str>,
        answer: impl Iterator<Item = &'a str>,
    ) -> u64 {
        if self.seen.len() > CACHE_LIMIT {
            self.seen.clear();
        }
        let (mut hash, mut cached, mut hit) = (0u64, 0u64, true);
        for word in words {
            hash = chain(hash, word);
            hit = hit && self.seen.contains(&hash);
            cached += u64::from(hit);
            self.seen.insert(hash);
        }
        for word in answer {
            hash = chain(hash, word);
            self.seen.insert(hash);
        }
        cached
    }
}

fn chain(hash: u64, word: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (hash, word).hash(&mut h);
    h.finish()
}

/// One keep-alive connection: requests one after another until the client closes.
async fn connection(mut stream: TcpStream, shared: Shared, slots: Option<Arc<Semaphore>>) {
    let opts = &shared.opts;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let Some(head_end) = read_head(&mut stream, &mut buf).await else {
            return;
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or("");
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let length: usize = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        buf.drain(..head_end + 4);
        while buf.len() < length {
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf.drain(..length).collect();
        let keep = match (method, path) {
            ("GET", "/health") | ("GET", "/v1/models") if opts.unhealthy => {
                respond(&mut stream, 503, "{\"error\":\"not ready\"}").await
            }
            ("GET", "/health") => respond(&mut stream, 200, "").await,
            ("GET", "/v1/models") => respond(
                &mut stream,
                200,
                r#"{"object":"list","data":[{"id":"mock","object":"model","owned_by":"repro"}]}"#,
            )
            .await,
            ("POST", "/v1/completions") => {
                let _slot = take_slot(slots.as_ref()).await;
                completion(&mut stream, &body, false, &shared).await
            }
            ("POST", "/v1/chat/completions") => {
                let _slot = take_slot(slots.as_ref()).await;
                completion(&mut stream, &body, true, &shared).await
            }
            _ => respond(&mut stream, 404, "{\"error\":\"not found\"}").await,
        };
        if !keep {
            return;
        }
    }
}

/// Wait for a free slot (held until the completion ends); `None` without a limit.
async fn take_slot(slots: Option<&Arc<Semaphore>>) -> Option<OwnedSemaphorePermit> {
    // The semaphore is never closed, so acquiring fails only if it were.
    slots?.clone().acquire_owned().await.ok()
}

/// Read until the end of the headers; `None` when the connection closes first.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(pos);
        }
        if buf.len() > 1 << 20 {
            return None;
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn respond(stream: &mut TcpStream, status: u16, body: &str) -> bool {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Service Unavailable",
    };
    let text = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nconnection: keep-alive\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(text.as_bytes()).await.is_ok()
}

async fn write_chunk(stream: &mut TcpStream, data: &str) -> bool {
    let event = format!("data: {data}\n\n");
    let framed = format!("{:x}\r\n{event}\r\n", event.len());
    stream.write_all(framed.as_bytes()).await.is_ok()
}

/// What a completion request asks for, in the terms its answer needs.
struct Ask {
    /// The request's number; its answer's id is `mock-{n}`.
    n: u64,
    chat: bool,
    model: String,
    prompt_tokens: u64,
    max_tokens: u64,
    /// A last chunk with the usage (`stream_options.include_usage`).
    usage: bool,
    stream: bool,
}

impl Ask {
    /// The words of the prompt: a completion's, or a chat's messages one after another.
    fn prompt_words(req: &serde_json::Value, chat: bool) -> Vec<&str> {
        if chat {
            let messages = req["messages"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            messages
                .iter()
                .filter_map(|m| m["content"].as_str())
                .flat_map(str::split_whitespace)
                .collect()
        } else {
            let prompt = req["prompt"].as_str().unwrap_or("");
            prompt.split_whitespace().collect()
        }
    }

    fn parse(req: &serde_json::Value, n: u64, chat: bool) -> Ask {
        Ask {
            n,
            chat,
            model: req["model"].as_str().unwrap_or("mock").to_string(),
            prompt_tokens: Ask::prompt_words(req, chat).len().max(1) as u64,
            max_tokens: req["max_tokens"]
                .as_u64()
                .or(req["max_completion_tokens"].as_u64())
                .unwrap_or(16)
                .max(1),
            usage: req["stream_options"]["include_usage"]
                .as_bool()
                .unwrap_or(false),
            stream: req["stream"].as_bool().unwrap_or(false),
        }
    }

    fn object(&self) -> &'static str {
        if self.chat {
            "chat.completion.chunk"
        } else {
            "text_completion"
        }
    }
}

/// A streamed (or whole) completion. Returns whether the connection stays open.
async fn completion(stream: &mut TcpStream, body: &[u8], chat: bool, shared: &Shared) -> bool {
    let opts = &*shared.opts;
    let n = shared.counter.fetch_add(1, Ordering::SeqCst);
    if opts.die_after.is_some_and(|limit| n >= limit) {
        eprintln!("mock: dying after {n} requests, as asked");
        std::process::exit(3);
    }
    let Ok(req) = serde_json::from_slice::<serde_json::Value>(body) else {
        return respond(stream, 400, "{\"error\":\"bad json\"}").await;
    };
    let mut rng = Pcg64Mcg::seed_from_u64(opts.seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    if rng.random::<f64>() < opts.fail_rate {
        return respond(
            stream,
            500,
            "{\"error\":{\"message\":\"mock failure\",\"code\":500}}",
        )
        .await;
    }
    let cut = rng.random::<f64>() < opts.cut_rate;
    let ask = Ask::parse(&req, n, chat);
    let start = tokio::time::Instant::now();
    let cached = match opts.prefix_cache {
        true => {
            let words = Ask::prompt_words(&req, chat);
            let answer = std::iter::repeat_n("tok", ask.max_tokens as usize);
            let mut cache = shared.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.lookup_and_keep(words.into_iter(), answer)
        }
        false => 0,
    };
    let uncached = ask.prompt_tokens.saturating_sub(cached);
    let ttft = opts.ttft + opts.prefill_per_token * uncached as u32;
    let first_token = start + ttft;
    if !ask.stream {
        tokio::time::sleep_until(first_token + opts.gap * (ask.max_tokens as u32 - 1)).await;
        return respond(stream, 200, &whole_answer(&ask).to_string()).await;
    }
    stream_answer(stream, &ask, cut, first_token, opts.gap).await
}

/// The answer to a request that is not streamed: all its tokens at once, with the usage.
fn whole_answer(ask: &Ask) -> serde_json::Value {
    let (n, model, object) = (ask.n, &ask.model, ask.object());
    let (prompt_tokens, max_tokens) = (ask.prompt_tokens, ask.max_tokens);
    let text = " tok".repeat(max_tokens as usize);
    let choice = if ask.chat {
        serde_json::json!({"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"})
    } else {
        serde_json::json!({"index": 0, "text": text, "finish_reason": "length"})
    };
    serde_json::json!({"id": format!("mock-{n}"), "object": object, "model": model, "choices": [choice],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": max_tokens, "total_tokens": prompt_tokens + max_tokens}})
}

/// Stream the answer as SSE chunks: token i is sent at `first_token + i · gap`; with `cut`, the
/// connection closes halfway, without `[DONE]`. Returns whether the connection stays open.
async fn stream_answer(
    stream: &mut TcpStream,
    ask: &Ask,
    cut: bool,
    first_token: tokio::time::Instant,
    gap: Duration,
) -> bool {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    let (id, object, model) = (format!("mock-{}", ask.n), ask.object(), &ask.model);
    if ask.chat {
        let first = format!(
            r#"{{"id":"{id}","object":"{object}","created":0,"model":"{model}","choices":[{{"index":0,"delta":{{"role":"assistant","content":""}},"finish_reason":null}}]}}"#
        );
        if !write_chunk(stream, &first).await {
            return false;
        }
    }
    let max_tokens = ask.max_tokens;
    for i in 0..max_tokens {
        // Token i is due at ttft + i · gap from the start, whatever the timer rounded before.
        tokio::time::sleep_until(first_token + gap * i as u32).await;
        if cut && i == max_tokens / 2 {
            let _ = stream.shutdown().await;
            return false;
        }
        if !write_chunk(stream, &token_chunk(ask, &id, i + 1 == max_tokens)).await {
            return false;
        }
    }
    if ask.usage {
        let prompt_tokens = ask.prompt_tokens;
        let data = format!(
            r#"{{"id":"{id}","object":"{object}","created":0,"model":"{model}","choices":[],"usage":{{"prompt_tokens":{prompt_tokens},"completion_tokens":{max_tokens},"total_tokens":{}}}}}"#,
            prompt_tokens + max_tokens
        );
        if !write_chunk(stream, &data).await {
            return false;
        }
    }
    write_chunk(stream, "[DONE]").await && stream.write_all(b"0\r\n\r\n").await.is_ok()
}

/// The chunk of one token (` tok`); the last one says why the answer ends.
fn token_chunk(ask: &Ask, id: &str, last: bool) -> String {
    let (object, model) = (ask.object(), &ask.model);
    let finish = if last { "\"length\"" } else { "null" };
    if ask.chat {
        format!(
            r#"{{"id":"{id}","object":"{object}","created":0,"model":"{model}","choices":[{{"index":0,"delta":{{"content":" tok"}},"finish_reason":{finish}}}]}}"#
        )
    } else {
        format!(
            r#"{{"id":"{id}","object":"{object}","created":0,"model":"{model}","choices":[{{"index":0,"text":" tok","logprobs":null,"finish_reason":{finish}}}],"usage":null}}"#
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Instant;

    /// One whole (not streamed) completion of `tokens` tokens; returns when its answer is read.
    fn complete(addr: SocketAddr, tokens: u64) {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let body = format!(r#"{{"model":"mock","prompt":"a b","max_tokens":{tokens}}}"#);
        let req = format!(
            "POST /v1/completions HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut head = [0u8; 12];
        s.read_exact(&mut head).unwrap();
        assert_eq!(&head[9..12], b"200");
    }

    #[test]
    fn the_prefix_cache_knows_the_history_and_the_answer_given() {
        let mut cache = PrefixCache::default();
        let words = |s: &'static str| s.split_whitespace();
        let none = std::iter::empty();
        assert_eq!(cache.lookup_and_keep(words("a b c"), words("tok tok")), 0);
        // The next turn: the history, the answer, a new message — only the message is new.
        assert_eq!(cache.lookup_and_keep(words("a b c tok tok d e"), none), 5);
        assert_eq!(cache.lookup_and_keep(words("a b x"), std::iter::empty()), 2);
        assert_eq!(cache.lookup_and_keep(words("b"), std::iter::empty()), 0);
        let chat = serde_json::json!({"messages": [
            {"role": "user", "content": "a b"}, {"role": "assistant", "content": " tok"},
            {"role": "user", "content": "c"}]});
        assert_eq!(Ask::prompt_words(&chat, true), ["a", "b", "tok", "c"]);
    }

    /// With one slot, two requests sent together are served one after the other: the later
    /// one ends no sooner than two service times after the start (a lower bound, never flaky).
    #[test]
    fn slots_make_requests_wait() {
        let opts = MockOptions {
            ttft: Duration::from_millis(40),
            gap: Duration::from_millis(10),
            slots: Some(1),
            lifetime: Duration::from_secs(10),
            ..MockOptions::default()
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || serve(opts, |addr| tx.send(addr).unwrap()));
        let addr = rx.recv().unwrap();
        let start = Instant::now();
        let both: Vec<_> = (0..2)
            .map(|_| std::thread::spawn(move || complete(addr, 3)))
            .collect();
        for t in both {
            t.join().unwrap();
        }
        // Service time: 40 ms + 2 × 10 ms = 60 ms; one slot → 120 ms for both.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(120), "{took:?}");
    }
}
