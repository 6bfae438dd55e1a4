//! Oracle datasets (`repro bench dataset`): prompts read from a file, run offline through a
//! model (the offline harness, `bench::offline`), written as JSON Lines of `{input,
//! output_len, output_tokens}` — what a workload's `prompt = { kind = "dataset" }` reads, so a
//! request can ask for the length the model really answers with, and be prioritized by it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::harness::{Answer, HarnessRequest, PromptLine};
use crate::recipe::offline::{Backend, Mode};
use crate::recipe::Scalar;

/// A prompts file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` line {line}: {message}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{}` entry {index}: {message}", path.display())]
    Entry {
        path: PathBuf,
        index: usize,
        message: String,
    },
    #[error("`{}` has no prompts", path.display())]
    Empty { path: PathBuf },
    #[error("`{}`: Parquet is not read here; export it to JSON first (pandas: `pd.read_parquet(f).to_json(out, orient=\"records\")`)", path.display())]
    Parquet { path: PathBuf },
}

/// One record of an oracle dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OracleEntry {
    pub input: String,
    /// The answer's length in tokens: what a request of this prompt asks for (`max_tokens`).
    pub output_len: u64,
    /// The tokens the engine generated for it (the same count, as the engine reported it).
    pub output_tokens: u64,
}

/// The prompt of one JSON value: a string, an object's `prompt` / `input` / `text`, or the
/// first user turn of a chatbot-arena record's `conversation_a`.
fn prompt_of(value: &serde_json::Value) -> Result<String, String> {
    if let Some(s) = value.as_str() {
        return Ok(s.to_string());
    }
    let Some(object) = value.as_object() else {
        return Err("not a prompt: expected a string or an object".into());
    };
    for key in ["prompt", "input", "text"] {
        if let Some(s) = object.get(key).and_then(|v| v.as_str()) {
            return Ok(s.to_string());
        }
    }
    if let Some(turns) = object.get("conversation_a").and_then(|v| v.as_array()) {
        if let Some(first) = turns
            .iter()
            .find(|t| t["role"].as_str() == Some("user"))
            .and_then(|t| t["content"].as_str())
        {
            return Ok(first.to_string());
        }
        return Err("`conversation_a` has no user turn".into());
    }
    Err("not a prompt: no `prompt`, `input`, `text` or `conversation_a`".into())
}

/// Every prompt of `path`: one per line of a text file, a JSON Lines file of prompts, or a JSON
/// array of them (empty prompts are left out; a line or entry that is no prompt is an error).
pub fn read_prompts(path: &Path) -> Result<Vec<String>, DatasetError> {
    if path.extension().is_some_and(|e| e == "parquet") {
        return Err(DatasetError::Parquet {
            path: path.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let first = text.trim_start().chars().next();
    let jsonl = path.extension().is_some_and(|e| e == "jsonl") || first == Some('{');
    let prompts: Vec<String> = if first == Some('[') && !jsonl {
        let values: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| DatasetError::Line {
                path: path.to_path_buf(),
                line: e.line(),
                message: e.to_string(),
            })?;
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                prompt_of(v).map_err(|message| DatasetError::Entry {
                    path: path.to_path_buf(),
                    index: i + 1,
                    message,
                })
            })
            .collect::<Result<_, _>>()?
    } else if jsonl {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let line_error = |message: String| DatasetError::Line {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message,
                };
                let value: serde_json::Value =
                    serde_json::from_str(l).map_err(|e| line_error(format!("not JSON: {e}")))?;
                prompt_of(&value).map_err(line_error)
            })
            .collect::<Result<_, _>>()?
    } else {
        text.lines().map(str::to_string).collect()
    };
    let prompts: Vec<String> = prompts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect();
    if prompts.is_empty() {
        return Err(DatasetError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(prompts)
}

/// The dataset of prompts and the engine's answers to them, in order.
pub fn entries(prompts: &[String], answers: &[Answer]) -> Vec<OracleEntry> {
    prompts
        .iter()
        .zip(answers)
        .map(|(input, a)| OracleEntry {
            input: input.clone(),
            output_len: a.output_tokens.max(1),
            output_tokens: a.output_tokens,
        })
        .collect()
}

/// JSON Lines of `entries`.
pub fn to_jsonl(entries: &[OracleEntry]) -> String {
    entries
        .iter()
        .map(|e| serde_json::to_string(e).expect("an entry serialises") + "\n")
        .collect()
}

/// The harness's request for an oracle dataset: every prompt in one throughput run of
/// `model` (a path or a hub id), each answer as long as the model makes it, at most
/// `max_tokens`.
pub fn request(
    prompts: &[String],
    model: String,
    served_name: &str,
    max_tokens: u64,
    engine_args: indexmap::IndexMap<String, Scalar>,
) -> HarnessRequest {
    HarnessRequest {
        mode: Mode::Throughput,
        backend: Backend::Vllm,
        model,
        served_name: served_name.to_string(),
        engine_args,
        seed: 0,
        // The oracle is the model's own answer: it stops where it would.
        ignore_eos: false,
        batch_size: None,
        input_len: None,
        output_len: None,
        warmup: 0,
        iterations: 0,
        requests: Some(
            prompts
                .iter()
                .map(|p| PromptLine {
                    prompt: p.clone(),
                    output_len: max_tokens,
                    priority: None,
                })
                .collect(),
        ),
        keep_text: false,
    }
}

/// `KEY=VALUE` as an engine's keyword argument (`max-model-len=512` → `max_model_len`): an
/// integer, a number, true/false, else a string. `None` without a `=`.
pub fn engine_arg(text: &str) -> Option<(String, Scalar)> {
    let (key, value) = text.split_once('=')?;
    let value = if let Ok(i) = value.parse::<i64>() {
        Scalar::Int(i)
    } else if let Ok(f) = value.parse::<f64>() {
        Scalar::Float(f)
    } else if let Ok(b) = value.parse::<bool>() {
        Scalar::Bool(b)
    } else {
        Scalar::Str(value.to_string())
    };
    Some((key.replace('-', "_"), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_arguments_are_typed_and_named_as_python_keywords() {
        assert_eq!(
            engine_arg("max-model-len=512"),
            Some(("max_model_len".into(), Scalar::Int(512)))
        );
        assert_eq!(
            engine_arg("gpu_memory_utilization=0.5").unwrap().1,
            Scalar::Float(0.5)
        );
        assert_eq!(
            engine_arg("enforce-eager=true").unwrap().1,
            Scalar::Bool(true)
        );
        assert_eq!(
            engine_arg("dtype=bfloat16").unwrap().1,
            Scalar::Str("bfloat16".into())
        );
        assert_eq!(engine_arg("dtype"), None);
        let request = request(
            &["a".into(), "b".into()],
            "m".into(),
            "m",
            7,
            Default::default(),
        );
        let lines = request.requests.unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.output_len == 7) && !request.ignore_eos);
    }

    fn read(name: &str, text: &str) -> Result<Vec<String>, DatasetError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        read_prompts(&path)
    }

    #[test]
    fn prompts_come_from_text_jsonl_or_an_arena_export() {
        assert_eq!(
            read("p.txt", "hello there\n\nhow are you\n").unwrap(),
            ["hello there", "how are you"]
        );
        assert_eq!(
            read(
                "p.jsonl",
                "{\"prompt\": \"a\"}\n{\"input\": \"b\", \"x\": 1}\n"
            )
            .unwrap(),
            ["a", "b"]
        );
        let arena = r#"[{"question_id": "q", "conversation_a": [{"role": "user", "content": "why?"}, {"role": "assistant", "content": "because"}]}, "plain"]"#;
        assert_eq!(read("arena.json", arena).unwrap(), ["why?", "plain"]);
    }

    #[test]
    fn a_line_that_is_no_prompt_is_named_by_its_number() {
        let err = read("p.jsonl", "{\"prompt\": \"a\"}\n\n{\"answer\": 3}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("p.jsonl` line 3: not a prompt"), "{err}");
        let err = read("p.jsonl", "{\"prompt\": \"a\"}\nnot json\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2: not JSON"), "{err}");
        let err = read("a.json", "[\"x\", 4]").unwrap_err().to_string();
        assert!(err.contains("entry 2: not a prompt"), "{err}");
        assert!(matches!(
            read("e.txt", "\n\n"),
            Err(DatasetError::Empty { .. })
        ));
        assert!(matches!(
            read("x.parquet", ""),
            Err(DatasetError::Parquet { .. })
        ));
    }

    #[test]
    fn entries_pair_prompts_with_their_answers() {
        let answers = [
            Answer {
                prompt_tokens: 3,
                output_tokens: 17,
                text: Some("t".into()),
            },
            Answer {
                prompt_tokens: 2,
                output_tokens: 0,
                text: None,
            },
        ];
        let e = entries(&["a".into(), "b".into()], &answers);
        assert_eq!(
            to_jsonl(&e),
            "{\"input\":\"a\",\"output_len\":17,\"output_tokens\":17}\n{\"input\":\"b\",\"output_len\":1,\"output_tokens\":0}\n"
        );
    }
}
