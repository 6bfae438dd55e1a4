//! The requests of a run and when to send them, from the recipe alone: the same recipe gives
//! the same prompts, lengths and send times (PCG-64 MCG from `rand_pcg`, pinned). Prompts and
//! arrivals draw from separate streams, so sweeping the rate keeps the prompts.

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, Gamma, Normal};
use rand_pcg::Pcg64Mcg;

use crate::recipe::bench::{Arrival, LenDist, PromptSpec, WorkloadSpec};

/// One request's content.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: u64,
    pub prompt: String,
    /// Words of a synthetic prompt; characters of a prompt from a file.
    pub prompt_len: u64,
    pub max_tokens: u64,
    /// Sent as the request's `priority` (lower first under vLLM's priority scheduling).
    pub priority: Option<i64>,
}

/// A workload input that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` line {line}: {message}", path.display())]
    Bad {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{}` has no {what}", path.display())]
    Empty { path: PathBuf, what: &'static str },
    /// A workload the recipe's check should have refused (one built by hand).
    #[error("workload: {0}")]
    Unusable(&'static str),
}

/// Words of synthetic prompts: short, common, about one token each in most tokenizers.
pub(crate) const WORDS: [&str; 32] = [
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by",
    "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an",
    "had", "they", "you", "were", "their",
];

const PROMPT_STREAM: u64 = 0x9e37_79b9_7f4a_7c15;

pub(crate) fn draw_len(dist: &LenDist, rng: &mut Pcg64Mcg) -> u64 {
    match *dist {
        LenDist::Fixed { value } => value,
        LenDist::Uniform { min, max } => rng.random_range(min.min(max)..=max.max(min)),
        LenDist::Normal {
            mean,
            std,
            min,
            max,
        } => {
            let lo = min.unwrap_or(1);
            let hi = max.unwrap_or(((2.0 * mean).round() as u64).max(lo));
            let x = Normal::new(mean, std.abs())
                .map(|n| n.sample(rng))
                .unwrap_or(mean);
            (x.round().max(0.0) as u64).clamp(lo, hi)
        }
    }
    .max(1)
}

/// The run's requests, in send order, with their priorities. Relative paths are taken from
/// `base`.
pub fn requests(w: &WorkloadSpec, base: &Path) -> Result<Vec<Request>, WorkloadError> {
    let mut requests = prompts(w, base)?;
    if let Some(spec) = &w.priority {
        prioritize(&mut requests, spec, w.seed);
    }
    Ok(requests)
}

const PRIORITY_STREAM: u64 = 0x5851_f42d_4c95_7f2d;

/// Set each request's priority as `spec` says (a stream of its own: the prompts stay).
fn prioritize(requests: &mut [Request], spec: &crate::recipe::bench::PrioritySpec, seed: u64) {
    use crate::recipe::bench::PrioritySpec;
    let mut rng = Pcg64Mcg::seed_from_u64(seed ^ PRIORITY_STREAM);
    for r in requests {
        r.priority = Some(match spec {
            PrioritySpec::OutputLen { bins } => {
                bins.iter().filter(|&&edge| r.max_tokens > edge).count() as i64
            }
            PrioritySpec::Random { classes } => rng.random_range(0..(*classes).max(1)) as i64,
        });
    }
}

fn prompts(w: &WorkloadSpec, base: &Path) -> Result<Vec<Request>, WorkloadError> {
    let mut rng = Pcg64Mcg::seed_from_u64(w.seed ^ PROMPT_STREAM);
    let n = w.requests;
    let fixed_output = |rng: &mut Pcg64Mcg| w.output_len.as_ref().map(|d| draw_len(d, rng));
    let words_of = |id: u64, rng: &mut Pcg64Mcg| match &w.prompt {
        PromptSpec::Sweep { lens } if !lens.is_empty() => {
            lens[(id % lens.len() as u64) as usize].max(1)
        }
        PromptSpec::Synthetic { len } => draw_len(len, rng),
        _ => 1,
    };
    match &w.prompt {
        PromptSpec::Synthetic { .. } | PromptSpec::Sweep { .. } => Ok((0..n)
            .map(|id| {
                let words = words_of(id, &mut rng);
                let prompt = (0..words)
                    .map(|_| WORDS[rng.random_range(0..WORDS.len())])
                    .collect::<Vec<_>>()
                    .join(" ");
                let max_tokens = fixed_output(&mut rng).unwrap_or(1);
                Request {
                    id,
                    prompt,
                    prompt_len: words,
                    max_tokens,
                    priority: None,
                }
            })
            .collect()),
        PromptSpec::File { path } => {
            let path = base.join(path);
            let text = std::fs::read_to_string(&path).map_err(|source| WorkloadError::Io {
                path: path.clone(),
                source,
            })?;
            let prompts: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            if prompts.is_empty() {
                return Err(WorkloadError::Empty {
                    path,
                    what: "prompts",
                });
            }
            Ok((0..n)
                .map(|id| {
                    let prompt = prompts[rng.random_range(0..prompts.len())].to_string();
                    Request {
                        id,
                        prompt_len: prompt.chars().count() as u64,
                        prompt,
                        max_tokens: fixed_output(&mut rng).unwrap_or(1),
                        priority: None,
                    }
                })
                .collect())
        }
        PromptSpec::Dataset { path } => {
            let path = base.join(path);
            let entries = load_dataset(&path)?;
            Ok((0..n)
                .map(|id| {
                    let (prompt, output) = &entries[rng.random_range(0..entries.len())];
                    let max_tokens = fixed_output(&mut rng).unwrap_or(*output).max(1);
                    Request {
                        id,
                        prompt_len: prompt.chars().count() as u64,
                        prompt: prompt.clone(),
                        max_tokens,
                        priority: None,
                    }
                })
                .collect())
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetEntry {
    input: String,
    #[serde(default)]
    output_len: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

/// A JSON array, or JSON Lines, of `{input, output_len | output_tokens}`.
fn load_dataset(path: &Path) -> Result<Vec<(String, u64)>, WorkloadError> {
    let text = std::fs::read_to_string(path).map_err(|source| WorkloadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |line: usize, message: String| WorkloadError::Bad {
        path: path.to_path_buf(),
        line,
        message,
    };
    let raw: Vec<(usize, DatasetEntry)> = if text.trim_start().starts_with('[') {
        let list: Vec<DatasetEntry> =
            serde_json::from_str(&text).map_err(|e| bad(e.line(), e.to_string()))?;
        list.into_iter().map(|e| (1, e)).collect()
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map(|e| (i + 1, e))
                    .map_err(|e| bad(i + 1, e.to_string()))
            })
            .collect::<Result<_, _>>()?
    };
    if raw.is_empty() {
        return Err(WorkloadError::Empty {
            path: path.to_path_buf(),
            what: "records",
        });
    }
    raw.into_iter()
        .map(|(line, e)| match e.output_len.or(e.output_tokens) {
            Some(n) => Ok((e.input, n)),
            None => Err(bad(
                line,
                "a record needs `output_len` or `output_tokens`".into(),
            )),
        })
        .collect()
}

/// Send times (seconds from the run's start) of an open-loop workload; `None` for a closed loop.
pub fn schedule(w: &WorkloadSpec, base: &Path) -> Result<Option<Vec<f64>>, WorkloadError> {
    let n = w.requests as usize;
    let mut rng = Pcg64Mcg::seed_from_u64(w.seed);
    let gaps = |dist: &dyn Fn(&mut Pcg64Mcg) -> f64, rng: &mut Pcg64Mcg| {
        // The first request goes at 0; each later one a gap after the previous.
        let mut t = 0.0;
        (0..n)
            .map(|i| {
                if i > 0 {
                    t += dist(rng);
                }
                t
            })
            .collect::<Vec<f64>>()
    };
    match w.arrival {
        Arrival::Closed => Ok(None),
        Arrival::Poisson => {
            let exp = Exp::new(w.rate.unwrap_or(1.0)).expect("rate checked > 0");
            Ok(Some(gaps(&|r| exp.sample(r), &mut rng)))
        }
        Arrival::Gamma => {
            // Shape k = burstiness, scale θ = 1 / (rate · k): mean gap 1/rate, as `vllm bench`.
            let k = w.burstiness.unwrap_or(1.0);
            let rate = w.rate.unwrap_or(1.0);
            let gamma = Gamma::new(k, 1.0 / (rate * k)).expect("burstiness checked > 0");
            Ok(Some(gaps(&|r| gamma.sample(r), &mut rng)))
        }
        Arrival::Trace => {
            let path = base.join(w.trace.as_deref().unwrap_or(Path::new("")));
            let text = std::fs::read_to_string(&path).map_err(|source| WorkloadError::Io {
                path: path.clone(),
                source,
            })?;
            let mut times = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let t: f64 = line.parse().map_err(|_| WorkloadError::Bad {
                    path: path.clone(),
                    line: i + 1,
                    message: format!("`{line}` is not a number of seconds"),
                })?;
                times.push(t);
            }
            if times.is_empty() {
                return Err(WorkloadError::Empty {
                    path,
                    what: "timestamps",
                });
            }
            times.sort_by(f64::total_cmp);
            let t0 = times[0];
            // Cycle through the trace (shifted by its span) when the run has more requests.
            let span = times[times.len() - 1] - t0 + 1.0 / times.len() as f64;
            Ok(Some(
                (0..n)
                    .map(|i| {
                        let lap = (i / times.len()) as f64;
                        (times[i % times.len()] - t0 + lap * span) * w.trace_scale
                    })
                    .collect(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::bench::BenchRecipe;

    fn workload(extra: &str) -> WorkloadSpec {
        let text = format!(
            "title = \"t\"\n[server]\nkind = \"url\"\nurl = \"http://127.0.0.1:1\"\nmodel = \"m\"\n[workload]\nrequests = 2000\nprompt = {{ kind = \"synthetic\", len = {{ dist = \"normal\", mean = 20.0, std = 5.0 }} }}\noutput_len = {{ dist = \"uniform\", min = 1, max = 9 }}\n{extra}"
        );
        BenchRecipe::parse(Path::new("t.toml"), &text)
            .unwrap()
            .runs()[0]
            .workload
            .clone()
    }

    #[test]
    fn priorities_bin_the_output_length_or_draw_at_random_keeping_the_prompts() {
        let plain = requests(
            &workload("arrival = \"closed\"\nconcurrency = 1"),
            Path::new("."),
        )
        .unwrap();
        let w = workload("arrival = \"closed\"\nconcurrency = 1\npriority = { from = \"output_len\", bins = [3, 6] }");
        let binned = requests(&w, Path::new(".")).unwrap();
        for (r, p) in binned.iter().zip(&plain) {
            assert_eq!((&r.prompt, r.max_tokens), (&p.prompt, p.max_tokens));
            let expected = match r.max_tokens {
                0..=3 => 0,
                4..=6 => 1,
                _ => 2,
            };
            assert_eq!(r.priority, Some(expected), "{r:?}");
        }
        let w = workload(
            "arrival = \"closed\"\nconcurrency = 1\npriority = { from = \"random\", classes = 4 }",
        );
        let random = requests(&w, Path::new(".")).unwrap();
        let mut seen: Vec<i64> = random.iter().filter_map(|r| r.priority).collect();
        assert_eq!(seen.len(), random.len());
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, [0, 1, 2, 3]);
    }

    #[test]
    fn same_seed_same_requests_and_times() {
        let w = workload("arrival = \"poisson\"\nrate = 50.0");
        let a = requests(&w, Path::new(".")).unwrap();
        assert_eq!(a, requests(&w, Path::new(".")).unwrap());
        assert_eq!(
            schedule(&w, Path::new(".")).unwrap(),
            schedule(&w, Path::new(".")).unwrap()
        );
        let mut other = w.clone();
        other.rate = Some(10.0);
        assert_eq!(
            a,
            requests(&other, Path::new(".")).unwrap(),
            "prompts do not depend on the rate"
        );
        assert!(a.iter().all(|r| (1..=9).contains(&r.max_tokens)));
        assert!(a
            .iter()
            .all(|r| r.prompt.split(' ').count() as u64 == r.prompt_len));
    }

    #[test]
    fn poisson_and_gamma_have_the_asked_mean_rate() {
        for extra in [
            "arrival = \"poisson\"\nrate = 50.0",
            "arrival = \"gamma\"\nrate = 50.0\nburstiness = 0.5",
        ] {
            let w = workload(extra);
            let t = schedule(&w, Path::new(".")).unwrap().unwrap();
            assert_eq!(t[0], 0.0);
            let rate = (t.len() - 1) as f64 / t[t.len() - 1];
            assert!((rate - 50.0).abs() < 5.0, "{extra}: {rate}");
        }
        assert_eq!(
            schedule(
                &workload("arrival = \"closed\"\nconcurrency = 2"),
                Path::new(".")
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn trace_and_dataset_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.txt"), "# times\n10.0\n10.5\n\n11.0\n").unwrap();
        let mut w = workload("arrival = \"trace\"\ntrace = \"t.txt\"\ntrace_scale = 2.0");
        w.requests = 4;
        let t = schedule(&w, dir.path()).unwrap().unwrap();
        let expected = [0.0, 1.0, 2.0, (1.0 + 1.0 / 3.0) * 2.0];
        for (a, b) in t.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{t:?}");
        }
        std::fs::write(
            dir.path().join("d.jsonl"),
            "{\"input\": \"hi there\", \"output_len\": 7}\n{\"input\": \"yo\", \"output_tokens\": 3}\n",
        )
        .unwrap();
        w.prompt = PromptSpec::Dataset {
            path: "d.jsonl".into(),
        };
        w.output_len = None;
        let r = requests(&w, dir.path()).unwrap();
        assert!(r
            .iter()
            .all(|r| (r.prompt == "hi there" && r.max_tokens == 7)
                || (r.prompt == "yo" && r.max_tokens == 3)));
        std::fs::write(dir.path().join("bad.jsonl"), "{\"input\": \"x\"}\n").unwrap();
        w.prompt = PromptSpec::Dataset {
            path: "bad.jsonl".into(),
        };
        let err = requests(&w, dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("bad.jsonl` line 1") && err.contains("output_len"),
            "{err}"
        );
    }
}
