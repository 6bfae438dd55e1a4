//! `repro bench` with a conversation workload against the mock server: every record is a turn
//! of a conversation whose prompt grows with the turn, the summary breaks TTFT down by turn,
//! and the mock's prefix cache takes the growth away.

use crate::bench::{json, records};
use crate::common::*;

/// A recipe over the mock (2 ms of prefill per prompt word it has not seen), its matrix the
/// mock's prefix cache off and on.
fn recipe(workload: &str) -> String {
    format!(
        r#"title = "conversations"
[server]
kind = "command"
model = "mock"
command = [{repro:?}, "__mock-server", "--port", "{{port}}", "--ttft-ms", "5", "--gap-ms", "1", "--prefill-us-per-token", "2000", "--lifetime-s", "60"]
health_timeout = "10s"
stop_grace = "2s"
[workload]
arrival = "closed"
concurrency = 2
max_duration = "60s"
request_timeout = "10s"
{workload}
[matrix]
prefix-cache = ["off", "on"]
"#,
        repro = REPRO,
    )
}

/// Records of one conversation, by turn, each sent after the turn before it ended.
fn turns_in_order(recs: &[serde_json::Value], conversation: u64) -> Vec<&serde_json::Value> {
    let mut turns: Vec<&serde_json::Value> = recs
        .iter()
        .filter(|r| r["conversation"] == conversation)
        .collect();
    turns.sort_by_key(|r| r["turn"].as_u64().unwrap());
    for (k, pair) in turns.windows(2).enumerate() {
        assert_eq!(pair[0]["turn"], k as u64);
        let (end, sent) = (pair[0]["end"].as_f64(), pair[1]["sent"].as_f64());
        assert!(sent >= end, "turn {} sent before turn {k} ended", k + 1);
        let (a, b) = (
            pair[0]["prompt_tokens"].as_u64(),
            pair[1]["prompt_tokens"].as_u64(),
        );
        assert!(b > a, "the prompt grows with the turn: {a:?} → {b:?}");
    }
    turns
}

fn mean_ttft(summary: &serde_json::Value, turn: &str) -> f64 {
    summary["by_turn"][turn]["ttft"]["mean"].as_f64().unwrap()
}

#[test]
fn turns_carry_the_history_and_the_prefix_cache_flattens_their_ttft() {
    let t = Test::new().write(
        "benchmarks/c.toml",
        recipe(
            "requests = 4\nprompt = { kind = \"synthetic\", len = { dist = \"fixed\", value = 12 } }\noutput_len = { dist = \"fixed\", value = 4 }\nconversation = { turns = { dist = \"fixed\", value = 4 } }",
        ),
    );
    let out = t.run_with(["bench", "c", "--results", "results"]).success();
    assert!(out.stdout.contains("16/16"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("bench c: prefix-cache_on: TTFT mean by turn: "),
        "{}",
        out.stdout
    );
    let mut late = vec![];
    for label in ["prefix-cache_off", "prefix-cache_on"] {
        let dir = t.path(&format!("results/bench-c/{label}"));
        let recs = records(&dir.join("records.jsonl"));
        assert_eq!(recs.len(), 16);
        assert!(recs.iter().all(|r| r["outcome"] == "ok"), "{label}");
        for c in 0..4 {
            assert_eq!(
                turns_in_order(&recs, c).len(),
                4,
                "{label}: conversation {c}"
            );
        }
        let s = json(&dir.join("summary.json"));
        let by_turn = s["by_turn"].as_object().unwrap();
        assert_eq!(by_turn.keys().collect::<Vec<_>>(), ["0", "1", "2", "3"]);
        // 12 words, then + 4 answered + 12 new per turn.
        assert_eq!(s["by_turn"]["3"]["prompt_tokens_mean"], 60.0);
        assert_eq!(s["by_turn"]["0"]["requests"], 4);
        late.push((mean_ttft(&s, "0"), mean_ttft(&s, "3")));
    }
    t.run_with(["render", "bench-c", "--results", "results", "--out", "figs"])
        .success();
    assert!(
        t.path("figs/bench-c-turns.pdf").is_file(),
        "no TTFT-by-turn chart"
    );
    let ((off_first, off_last), (_, on_last)) = (late[0], late[1]);
    // Without the cache turn 3 pays the prefill of 60 words (≥ 125 ms), turn 0 of 12; with
    // it turn 3 pays for its 12 new words only. A loaded machine only adds to each.
    assert!(off_last > 1.5 * off_first, "off: {off_first} → {off_last}");
    assert!(
        on_last < 0.75 * off_last,
        "turn 3: on {on_last}, off {off_last}"
    );
}

#[test]
fn a_sharegpt_file_sends_its_human_turns_as_chat_messages() {
    let fixture = include_str!("fixtures/conversation/sharegpt.json");
    let t = Test::new().write("data/chats.json", fixture).write(
        "benchmarks/c.toml",
        recipe(
            "endpoint = \"chat\"\nrequests = 3\nprompt = { kind = \"synthetic\", len = { dist = \"fixed\", value = 1 } }\nconversation = { file = \"data/chats.json\", think_time = \"10ms\" }",
        )
        .replace("prefix-cache = [\"off\", \"on\"]", "prefix-cache = [\"on\"]"),
    );
    t.run_with(["bench", "c", "--results", "results"]).success();
    let recs = records(&t.path("results/bench-c/prefix-cache_on/records.jsonl"));
    // Entries cycle: 3 turns, 2 turns, 3 turns again.
    assert_eq!(recs.len(), 8);
    let first = turns_in_order(&recs, 0);
    let words = |s: &str| s.split_whitespace().count() as u64;
    assert_eq!(
        first[0]["prompt_tokens"],
        words("What is a prefix cache in a language model server?")
    );
    // The gpt turns' lengths set the outputs asked for (the mock gives them all).
    assert_eq!(
        first[1]["max_tokens"],
        words("Each turn resends the whole history, which the cache already holds.")
    );
    assert_eq!(first[2]["completion_tokens"], 5);
    assert_eq!(turns_in_order(&recs, 1).len(), 2);
    assert_eq!(turns_in_order(&recs, 2).len(), 3);
    let s = json(&t.path("results/bench-c/prefix-cache_on/summary.json"));
    assert_eq!(s["by_turn"]["2"]["requests"], 2);
}

#[test]
fn conversations_arrive_by_poisson_and_a_failed_turn_ends_its_conversation() {
    let text = recipe(
        "arrival = \"poisson\"\nrate = 20.0\nrequests = 3\nprompt = { kind = \"synthetic\", len = { dist = \"fixed\", value = 3 } }\noutput_len = { dist = \"fixed\", value = 2 }\nconversation = { turns = { dist = \"fixed\", value = 3 }, think_time = \"5ms\" }",
    )
    .replace("\"--lifetime-s\", \"60\"", "\"--lifetime-s\", \"60\", \"--fail-rate\", \"1.0\"")
    .replace("prefix-cache = [\"off\", \"on\"]", "prefix-cache = [\"off\"]")
    .replace("arrival = \"closed\"\nconcurrency = 2\n", "");
    let t = Test::new().write("benchmarks/c.toml", text);
    t.run_with(["bench", "c", "--results", "results"]).success();
    let recs = records(&t.path("results/bench-c/prefix-cache_off/records.jsonl"));
    assert_eq!(recs.len(), 9);
    for r in &recs {
        let first = r["turn"] == 0;
        // Only a conversation's first turn is scheduled (by the arrival process).
        assert_eq!(r["scheduled"].is_f64(), first, "{r}");
        if first {
            assert_eq!(r["outcome"], "http_error", "{r}");
        } else {
            assert_eq!(r["outcome"], "not_sent", "{r}");
            let error = r["error"].as_str().unwrap_or("");
            assert!(error.contains("an earlier turn"), "{r}");
        }
    }
}
