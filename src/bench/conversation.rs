//! Multi-turn conversations (`[workload] conversation = { … }`): `requests` conversations, each
//! of some turns; a turn's prompt is the whole history — the earlier user messages and the
//! server's replies, as chat messages for the chat endpoint or joined by newlines for
//! completions — plus the next user message, so each prompt extends the one before (the
//! workload where a prefix cache pays). The turns of one conversation go strictly in order, the
//! next after the reply and the think time; conversations arrive by the recipe's arrival
//! process (`rate` conversations/s, or `concurrency` conversations at once).
//!
//! A turn's record has `conversation` and `turn`, `prompt_len` the words of its whole prompt.
//! Turn ids run over the conversations in order (conversation 0's turns first). A turn that
//! fails ends its conversation: the later turns are `not_sent`, saying why.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::client::{self, Target};
use super::load::{self, Load, Plan};
use super::record::{Outcome, RequestRecord};
use super::workload::{draw_len, Request, WorkloadError, WORDS};
use crate::recipe::bench::{ConversationSpec, Endpoint, PromptSpec, WorkloadSpec};
use crate::run::Interrupt;

/// One user message and the reply asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub user: String,
    pub max_tokens: u64,
}

/// One conversation's script: its user messages in order (the replies come from the server).
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: u64,
    /// The record id of its first turn.
    pub first_id: u64,
    pub turns: Vec<Turn>,
}

const CONVERSATION_STREAM: u64 = 0xc2b2_ae3d_27d4_eb4f;

/// The run's conversations, from the recipe alone (seeded). Relative paths are taken from
/// `base`.
pub fn conversations(
    w: &WorkloadSpec,
    spec: &ConversationSpec,
    base: &Path,
) -> Result<Vec<Conversation>, WorkloadError> {
    let mut rng = Pcg64Mcg::seed_from_u64(w.seed ^ CONVERSATION_STREAM);
    let scripts: Vec<Vec<Turn>> = match &spec.file {
        Some(path) => {
            let entries = load_sharegpt(&base.join(path))?;
            (0..w.requests as usize)
                .map(|i| {
                    let entry = &entries[i % entries.len()];
                    let keep = spec.turns.as_ref().map_or(entry.len(), |d| {
                        (draw_len(d, &mut rng) as usize).min(entry.len())
                    });
                    entry[..keep]
                        .iter()
                        .map(|(user, reply_words)| Turn {
                            user: user.clone(),
                            max_tokens: w
                                .output_len
                                .as_ref()
                                .map(|d| draw_len(d, &mut rng))
                                .or(*reply_words)
                                .unwrap_or(16)
                                .max(1),
                        })
                        .collect()
                })
                .collect()
        }
        None => {
            let (PromptSpec::Synthetic { len }, Some(turns)) = (&w.prompt, spec.turns) else {
                return Err(WorkloadError::Unusable(
                    "a synthetic conversation needs `turns` and a synthetic `prompt`",
                ));
            };
            (0..w.requests)
                .map(|_| {
                    let n = draw_len(&turns, &mut rng);
                    (0..n)
                        .map(|_| {
                            let words = draw_len(len, &mut rng);
                            let user = (0..words)
                                .map(|_| WORDS[rng.random_range(0..WORDS.len())])
                                .collect::<Vec<_>>()
                                .join(" ");
                            let max_tokens =
                                w.output_len.as_ref().map_or(1, |d| draw_len(d, &mut rng));
                            Turn { user, max_tokens }
                        })
                        .collect()
                })
                .collect()
        }
    };
    let mut first_id = 0;
    Ok(scripts
        .into_iter()
        .enumerate()
        .map(|(id, turns)| {
            let c = Conversation {
                id: id as u64,
                first_id,
                turns,
            };
            first_id += c.turns.len() as u64;
            c
        })
        .collect())
}

/// One conversation of a file, in any of the three shapes people keep them in.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Entry {
    /// ShareGPT's: `{"conversations": [{"from": "human" | "gpt", "value": …}]}`.
    ShareGpt { conversations: Vec<ShareGptMessage> },
    /// Chatbot Arena's export (`conversation_a` / `conversation_b`: one user's turns, two
    /// models' answers; the first is taken) and LMSYS-Chat-1M's (`conversation`), as
    /// OpenAI-style `{"role": "user" | "assistant", "content": …}` messages.
    Arena {
        #[serde(alias = "conversation")]
        conversation_a: Vec<ChatMessage>,
    },
}

#[derive(serde::Deserialize)]
struct ShareGptMessage {
    from: String,
    value: String,
}

#[derive(serde::Deserialize)]
struct ChatMessage {
    role: String,
    content: String,
}

impl Entry {
    /// `(speaker, text)` in order.
    fn messages(self) -> Vec<(String, String)> {
        match self {
            Entry::ShareGpt { conversations } => conversations
                .into_iter()
                .map(|m| (m.from, m.value))
                .collect(),
            Entry::Arena { conversation_a } => conversation_a
                .into_iter()
                .map(|m| (m.role, m.content))
                .collect(),
        }
    }
}

/// Per entry, its human turns, each with the words of the reply that follows it (if any).
type Script = Vec<(String, Option<u64>)>;

/// A JSON file of conversations: ShareGPT's `[{"conversations": [{"from": "human" | "gpt",
/// "value": …}]}]` (`user` / `assistant` too), or Chatbot Arena's / LMSYS-Chat-1M's
/// `[{"conversation_a" | "conversation": [{"role": "user" | "assistant", "content": …}]}]`;
/// `system` and other speakers are skipped, and entries without a human turn.
fn load_sharegpt(path: &Path) -> Result<Vec<Script>, WorkloadError> {
    let text = std::fs::read_to_string(path).map_err(|source| WorkloadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let entries: Vec<Entry> = serde_json::from_str(&text).map_err(|e| WorkloadError::Bad {
        path: path.to_path_buf(),
        line: e.line(),
        message: e.to_string(),
    })?;
    let scripts: Vec<Script> = entries
        .into_iter()
        .map(|e| {
            let mut script: Script = Vec::new();
            for (speaker, text) in e.messages() {
                match speaker.as_str() {
                    "human" | "user" => script.push((text, None)),
                    "gpt" | "assistant" | "chatgpt" => {
                        if let Some(last) = script.last_mut() {
                            last.1 = Some(text.split_whitespace().count() as u64);
                        }
                    }
                    _ => {}
                }
            }
            script
        })
        .filter(|s| !s.is_empty())
        .collect();
    if scripts.is_empty() {
        return Err(WorkloadError::Empty {
            path: path.to_path_buf(),
            what: "conversations with a human turn",
        });
    }
    Ok(scripts)
}

/// One message of the history.
#[derive(Debug, Clone, PartialEq)]
struct Message {
    assistant: bool,
    content: String,
}

/// The request body of the next turn: the whole history (ending with the new user message).
fn turn_body(target: &Target, history: &[Message], max_tokens: u64) -> serde_json::Value {
    let text = history
        .iter()
        .map(|m| m.content.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let req = Request {
        id: 0,
        prompt: text,
        prompt_len: 0,
        max_tokens,
        priority: None,
    };
    let mut body = client::body(target, &req);
    if target.endpoint == Endpoint::Chat {
        let messages: Vec<serde_json::Value> = history
            .iter()
            .map(|m| {
                let role = if m.assistant { "assistant" } else { "user" };
                serde_json::json!({"role": role, "content": m.content})
            })
            .collect();
        body["messages"] = messages.into();
    }
    body
}

fn words_of(history: &[Message]) -> u64 {
    history
        .iter()
        .map(|m| m.content.split_whitespace().count() as u64)
        .sum()
}

/// What bounds a conversation: the run's clock, its end and Ctrl-C.
#[derive(Clone)]
struct Bounds {
    t0: Instant,
    stop_at: Instant,
    interrupt: Interrupt,
    think: Duration,
}

/// Play one conversation, turn after turn; one record per turn.
async fn converse(
    client: reqwest::Client,
    target: Arc<Target>,
    conv: Conversation,
    scheduled: Option<f64>,
    dispatched: Option<f64>,
    bounds: Bounds,
) -> Vec<RequestRecord> {
    let mut history: Vec<Message> = Vec::new();
    let mut records = Vec::with_capacity(conv.turns.len());
    let mut failed = false;
    let last = conv.turns.len().saturating_sub(1);
    for (k, turn) in conv.turns.into_iter().enumerate() {
        history.push(Message {
            assistant: false,
            content: turn.user,
        });
        let (first, id) = (k == 0, conv.first_id + k as u64);
        let mut rec = RequestRecord {
            conversation: Some(conv.id),
            turn: Some(k as u32),
            dispatched: dispatched.filter(|_| first),
            ..RequestRecord::not_sent(
                id,
                scheduled.filter(|_| first),
                words_of(&history),
                turn.max_tokens,
            )
        };
        if failed || Instant::now() >= bounds.stop_at || bounds.interrupt.count() > 0 {
            if failed {
                rec.error = Some("not sent: an earlier turn of its conversation failed".into());
            }
            records.push(rec);
            continue;
        }
        let body = turn_body(&target, &history, turn.max_tokens);
        let (rec, reply) = client::send_turn(&client, &target, &body, rec, bounds.t0).await;
        failed = rec.outcome != Outcome::Ok;
        records.push(rec);
        history.push(Message {
            assistant: true,
            content: reply,
        });
        if !failed && k < last && !bounds.think.is_zero() {
            tokio::time::sleep(bounds.think).await;
        }
    }
    records
}

/// Every turn of `conv` unsent (the run ended before the conversation began).
fn unsent(conv: &Conversation, scheduled: Option<f64>) -> Vec<RequestRecord> {
    let mut history = Vec::new();
    conv.turns
        .iter()
        .enumerate()
        .map(|(k, t)| {
            history.push(Message {
                assistant: false,
                content: t.user.clone(),
            });
            RequestRecord {
                conversation: Some(conv.id),
                turn: Some(k as u32),
                ..RequestRecord::not_sent(
                    conv.first_id + k as u64,
                    scheduled.filter(|_| k == 0),
                    words_of(&history),
                    t.max_tokens,
                )
            }
        })
        .collect()
}

/// Drive the conversations: open loop (each conversation starts at its time) or closed
/// (`concurrency` conversations at once). Returns every turn's record, in id order.
pub fn run(
    load: &Load,
    convs: Vec<Conversation>,
    plan: &Plan,
    think: Duration,
) -> Vec<RequestRecord> {
    let t0 = Instant::now();
    let bounds = Bounds {
        t0,
        stop_at: t0 + load.max_duration,
        interrupt: load.interrupt.clone(),
        think,
    };
    let target = Arc::new(load.target.clone());
    let mut records = match plan {
        Plan::Open(times) => open(load, convs, times, &target, bounds),
        Plan::Closed { concurrency } => closed(load, convs, *concurrency, &target, bounds),
    };
    records.sort_by_key(|r| r.id);
    records
}

fn open(
    load: &Load,
    convs: Vec<Conversation>,
    times: &[f64],
    target: &Arc<Target>,
    bounds: Bounds,
) -> Vec<RequestRecord> {
    let t0 = bounds.t0;
    let slack = load::TimerSlack::tight();
    let mut unsent_records = Vec::new();
    let mut tasks = Vec::with_capacity(convs.len());
    for (conv, &at) in convs.into_iter().zip(times) {
        let when = t0 + Duration::from_secs_f64(at.max(0.0));
        if when > bounds.stop_at || !load::sleep_until(when, load.interrupt) {
            unsent_records.extend(unsent(&conv, Some(at)));
            continue;
        }
        let dispatched = Some(Instant::now().duration_since(t0).as_secs_f64());
        let task = converse(
            load.client.clone(),
            target.clone(),
            conv,
            Some(at),
            dispatched,
            bounds.clone(),
        );
        tasks.push(load.rt.spawn(task));
    }
    drop(slack);
    load.rt.block_on(async {
        for task in tasks {
            unsent_records.extend(task.await.expect("conversation task panicked"));
        }
    });
    unsent_records
}

fn closed(
    load: &Load,
    convs: Vec<Conversation>,
    concurrency: u32,
    target: &Arc<Target>,
    bounds: Bounds,
) -> Vec<RequestRecord> {
    let convs = Arc::new(convs);
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, target, convs, next, bounds) = (
                load.client.clone(),
                target.clone(),
                convs.clone(),
                next.clone(),
                bounds.clone(),
            );
            load.rt.spawn(async move {
                let mut done = Vec::new();
                while let Some(conv) = convs.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let task = converse(
                        client.clone(),
                        target.clone(),
                        conv.clone(),
                        None,
                        None,
                        bounds.clone(),
                    );
                    done.extend(task.await);
                }
                done
            })
        })
        .collect();
    load.rt.block_on(async {
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.expect("conversation worker panicked"));
        }
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::bench::BenchRecipe;

    fn workload(extra: &str) -> WorkloadSpec {
        let text = format!(
            "title = \"t\"\n[server]\nkind = \"url\"\nurl = \"http://127.0.0.1:1\"\nmodel = \"m\"\n[workload]\narrival = \"closed\"\nconcurrency = 2\nrequests = 5\nprompt = {{ kind = \"synthetic\", len = {{ dist = \"fixed\", value = 6 }} }}\noutput_len = {{ dist = \"fixed\", value = 3 }}\n{extra}"
        );
        BenchRecipe::parse(Path::new("t.toml"), &text)
            .unwrap()
            .runs()[0]
            .workload
            .clone()
    }

    #[test]
    fn a_conversation_needs_turns_or_a_file_and_synthetic_messages() {
        let parse = |extra: &str, prompt: &str| {
            let text = format!(
                "title = \"t\"\n[server]\nkind = \"url\"\nurl = \"http://127.0.0.1:1\"\nmodel = \"m\"\n[workload]\narrival = \"closed\"\nconcurrency = 2\nrequests = 5\nprompt = {prompt}\noutput_len = {{ dist = \"fixed\", value = 3 }}\n{extra}"
            );
            BenchRecipe::parse(Path::new("t.toml"), &text).map(|_| ())
        };
        let synthetic = "{ kind = \"synthetic\", len = { dist = \"fixed\", value = 6 } }";
        let err = parse("conversation = {}", synthetic)
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.toml") && err.contains("`turns`"), "{err}");
        let file = "{ kind = \"file\", path = \"p.txt\" }";
        let turns = "conversation = { turns = { dist = \"fixed\", value = 2 } }";
        let err = parse(turns, file).unwrap_err().to_string();
        assert!(err.contains("synthetic"), "{err}");
        parse(turns, synthetic).unwrap();
        parse("conversation = { file = \"c.json\" }", file).unwrap();
    }

    #[test]
    fn synthetic_conversations_are_seeded_with_ids_in_turn_order() {
        let w = workload("conversation = { turns = { dist = \"uniform\", min = 2, max = 4 } }");
        let spec = w.conversation.clone().unwrap();
        let a = conversations(&w, &spec, Path::new(".")).unwrap();
        assert_eq!(a, conversations(&w, &spec, Path::new(".")).unwrap());
        assert_eq!(a.len(), 5);
        let mut next = 0;
        for c in &a {
            assert_eq!(c.first_id, next);
            assert!((2..=4).contains(&c.turns.len()), "{c:?}");
            assert!(c
                .turns
                .iter()
                .all(|t| t.user.split(' ').count() == 6 && t.max_tokens == 3));
            next += c.turns.len() as u64;
        }
    }

    #[test]
    fn the_history_grows_and_ends_with_the_new_message() {
        let target = Target {
            base_url: "http://127.0.0.1:1".into(),
            endpoint: Endpoint::Chat,
            model: "m".into(),
            ignore_eos: true,
            api_key: None,
            timeout: Duration::from_secs(1),
            send_priority: false,
        };
        let history = vec![
            Message {
                assistant: false,
                content: "hi there".into(),
            },
            Message {
                assistant: true,
                content: " tok tok".into(),
            },
            Message {
                assistant: false,
                content: "and more".into(),
            },
        ];
        let chat = turn_body(&target, &history, 4);
        let roles: Vec<&str> = chat["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
        assert_eq!(chat["messages"][2]["content"], "and more");
        let completions = Target {
            endpoint: Endpoint::Completions,
            ..target
        };
        let one = turn_body(&completions, &history[..1], 4);
        let three = turn_body(&completions, &history, 4);
        let (one, three) = (
            one["prompt"].as_str().unwrap(),
            three["prompt"].as_str().unwrap(),
        );
        assert!(
            three.starts_with(one) && three.ends_with("and more"),
            "{three}"
        );
        assert_eq!(words_of(&history), 6);
    }

    #[test]
    fn sharegpt_files_give_the_human_turns_and_the_reply_lengths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("c.json"),
            r#"[{"id": "a", "conversations": [
                {"from": "system", "value": "be nice"},
                {"from": "human", "value": "first question"},
                {"from": "gpt", "value": "one two three"},
                {"from": "human", "value": "second"}]},
               {"conversations": [{"from": "gpt", "value": "orphan"}]}]"#,
        )
        .unwrap();
        let mut w = workload("conversation = { file = \"c.json\" }");
        w.output_len = None;
        let spec = w.conversation.clone().unwrap();
        let c = conversations(&w, &spec, dir.path()).unwrap();
        assert_eq!(c.len(), 5, "entries cycle");
        assert_eq!(
            c[0].turns,
            [
                Turn {
                    user: "first question".into(),
                    max_tokens: 3
                },
                Turn {
                    user: "second".into(),
                    max_tokens: 16
                }
            ]
        );
        assert_eq!(c[1].first_id, 2);
        std::fs::write(dir.path().join("bad.json"), "[{\"conversations\": 3}]").unwrap();
        let bad = ConversationSpec {
            file: Some("bad.json".into()),
            ..spec
        };
        let err = conversations(&w, &bad, dir.path()).unwrap_err().to_string();
        assert!(err.contains("bad.json` line 1"), "{err}");
    }

    #[test]
    fn chatbot_arena_and_lmsys_exports_give_their_user_turns() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("arena.json"),
            r#"[{"question_id": "q", "model_a": "x", "model_b": "y", "winner": "model_a",
                 "conversation_a": [
                    {"role": "user", "content": "what is a GPU"},
                    {"role": "assistant", "content": "a chip for graphics"},
                    {"role": "user", "content": "and a TPU"}],
                 "conversation_b": [
                    {"role": "user", "content": "what is a GPU"},
                    {"role": "assistant", "content": "no idea"}]},
                {"conversation": [{"role": "user", "content": "hello"}]}]"#,
        )
        .unwrap();
        let mut w = workload("conversation = { file = \"arena.json\" }");
        w.output_len = None;
        w.requests = 2;
        let spec = w.conversation.clone().unwrap();
        let c = conversations(&w, &spec, dir.path()).unwrap();
        let users: Vec<Vec<&str>> = c
            .iter()
            .map(|c| c.turns.iter().map(|t| t.user.as_str()).collect())
            .collect();
        assert_eq!(users, [vec!["what is a GPU", "and a TPU"], vec!["hello"]]);
        assert_eq!(
            c[0].turns[0].max_tokens, 4,
            "the reply's words, from conversation_a"
        );
    }
}
