//! Runs grouped by what they ran, and per group and phase the median, the spread (min–max,
//! quartiles), how many runs printed it, a tag saying what the numbers are, and which other
//! phases it overlaps (phases overlap, so they do not add up).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{short, Cache, Config, PhaseSource, RunPhases, FIRST_TOKEN, HEALTHY, UNACCOUNTED};
use crate::parse::ledger::{Span, KEYS};
use crate::stats;

/// What a group's (or a phase's) numbers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// One run.
    Measured,
    /// Several runs: the median of them.
    Replicated,
    /// Every run is one of the paper's published logs: the paper's own numbers.
    Paper,
}

impl Tag {
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::Measured => "measured",
            Tag::Replicated => "replicated",
            Tag::Paper => "paper",
        }
    }

    fn of(n: usize, all_papers: bool) -> Tag {
        match (all_papers, n) {
            (true, _) => Tag::Paper,
            (false, 1) => Tag::Measured,
            (false, _) => Tag::Replicated,
        }
    }
}

/// One phase of a group.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseStats {
    pub phase: String,
    pub source: PhaseSource,
    /// Runs that have it.
    pub n: usize,
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    /// The quartiles (numpy's linear interpolation; equal to the value for one run).
    pub q1_s: f64,
    pub q3_s: f64,
    pub tag: Tag,
    /// Phases whose time overlaps this one's in some run (on the log's time line; a server's
    /// times from spawn overlap everything the log says).
    pub overlaps: Vec<String>,
    /// The values, in the order of the group's runs that have it.
    pub values_s: Vec<f64>,
}

/// A run of a group, as the JSON lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub source: String,
    pub paper: bool,
    pub complete: bool,
    /// Where its cache state was read: `layout` (its label or manifest), `log`, or `null`.
    pub cache_from: Option<super::ReadFrom>,
}

/// Runs of one configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// `experiment:label` with `@cache` where the cache state is known (and `#vllm` where
    /// runs of one label ran several versions).
    pub id: String,
    pub config: Config,
    pub n: usize,
    pub tag: Tag,
    pub runs: Vec<Member>,
    pub phases: Vec<PhaseStats>,
    /// Indices into the runs given to [`groups`] (not in the JSON).
    #[serde(skip)]
    pub members: Vec<usize>,
}

impl Group {
    pub fn phase(&self, name: &str) -> Option<&PhaseStats> {
        self.phases.iter().find(|p| p.phase == name)
    }
}

/// Where a phase sorts: the ledger's start-up order, then the silences, then the server's.
fn rank(phase: &str) -> usize {
    match phase {
        UNACCOUNTED => KEYS.len(),
        HEALTHY => KEYS.len() + 1,
        FIRST_TOKEN => KEYS.len() + 2,
        _ => KEYS
            .iter()
            .position(|k| k.name == phase)
            .unwrap_or(KEYS.len() + 3),
    }
}

/// The runs grouped by configuration, in the order of their experiments and labels.
pub fn groups(runs: &[RunPhases]) -> Vec<Group> {
    let mut by: BTreeMap<&Config, Vec<usize>> = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        by.entry(&run.config).or_default().push(i);
    }
    // A label seen with several versions in one experiment gets the version in its id.
    type Place<'a> = (&'a str, &'a str, bool, Option<Cache>);
    fn place(c: &Config) -> Place<'_> {
        (&c.experiment, &c.label, c.uncached, c.cache)
    }
    let mut versions: BTreeMap<Place, usize> = BTreeMap::new();
    for config in by.keys() {
        *versions.entry(place(config)).or_default() += 1;
    }
    by.into_iter()
        .map(|(config, members)| {
            let several = versions[&place(config)] > 1;
            group_of(config, members, runs, several)
        })
        .collect()
}

fn group_of(
    config: &Config,
    members: Vec<usize>,
    runs: &[RunPhases],
    several_versions: bool,
) -> Group {
    let mut id = format!("{}:{}", config.experiment, config.label);
    if config.uncached {
        id.push_str("@uncached");
    }
    if let Some(c) = config.cache {
        id.push('@');
        id.push_str(c.as_str());
    }
    if several_versions {
        id.push('#');
        id.push_str(config.vllm.as_deref().unwrap_or("?"));
    }
    let mine: Vec<&RunPhases> = members.iter().map(|&i| &runs[i]).collect();
    let mut names: Vec<(&str, PhaseSource)> = Vec::new();
    for run in &mine {
        for (name, (_, source)) in &run.phases {
            if !names.iter().any(|(n, _)| n == name) {
                names.push((name, *source));
            }
        }
    }
    names.sort_by_key(|(n, _)| rank(n));
    let log_phases: Vec<&str> = names
        .iter()
        .filter(|(_, s)| *s != PhaseSource::Server)
        .map(|(n, _)| *n)
        .collect();
    let phases = names
        .iter()
        .map(|&(name, source)| phase_stats(name, source, &mine, &log_phases))
        .collect();
    let all_papers = mine.iter().all(|r| r.paper);
    Group {
        id,
        config: config.clone(),
        n: mine.len(),
        tag: Tag::of(mine.len(), all_papers),
        runs: mine
            .iter()
            .map(|r| Member {
                source: r.source.display().to_string(),
                paper: r.paper,
                complete: r.complete,
                cache_from: r.cache_from,
            })
            .collect(),
        phases,
        members,
    }
}

fn phase_stats(
    name: &str,
    source: PhaseSource,
    runs: &[&RunPhases],
    log_phases: &[&str],
) -> PhaseStats {
    let having: Vec<&&RunPhases> = runs
        .iter()
        .filter(|r| r.phases.contains_key(name))
        .collect();
    let values: Vec<f64> = having.iter().map(|r| r.phases[name].0).collect();
    let q = |p: f64| stats::quantile(&values, p).unwrap_or(f64::NAN);
    // A server's times from spawn, and the derived whole, hold every phase the log has.
    let whole = source == PhaseSource::Server || name == "startup_s";
    let overlaps = match source {
        _ if whole => log_phases
            .iter()
            .filter(|p| **p != name && **p != UNACCOUNTED)
            .map(|s| s.to_string())
            .collect(),
        PhaseSource::Gaps => Vec::new(),
        _ => overlapping(name, runs, log_phases),
    };
    PhaseStats {
        phase: name.to_string(),
        source,
        n: values.len(),
        median_s: q(0.5),
        min_s: q(0.0),
        max_s: q(1.0),
        q1_s: q(0.25),
        q3_s: q(0.75),
        tag: Tag::of(values.len(), having.iter().all(|r| r.paper)),
        overlaps,
        values_s: values,
    }
}

/// Two spans share more than a millisecond.
fn meet(a: &Span, b: &Span) -> bool {
    a.end_s.min(b.end_s) - a.start_s.max(b.start_s) > 0.001
}

/// The other log phases whose spans meet one of `name`'s in some run, in start-up order.
fn overlapping(name: &str, runs: &[&RunPhases], log_phases: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for run in runs {
        let Some(t) = &run.timeline else { continue };
        let mine: Vec<&Span> = t.spans.iter().filter(|s| s.key == name).collect();
        for other in t.spans.iter().filter(|s| s.key != name) {
            if mine.iter().any(|m| meet(m, other)) && !out.contains(&other.key) {
                out.push(other.key.clone());
            }
        }
    }
    out.retain(|k| log_phases.contains(&k.as_str()));
    out.sort_by_key(|k| rank(k));
    out
}

/// The groups as a table: a heading per group, one line per phase.
pub fn table(groups: &[Group]) -> String {
    let mut out = String::new();
    for g in groups {
        out.push_str(&heading(g));
        out.push_str(&format!(
            "  {:<32} {:>8} {:>17} {:>17} {:>3}  {:<10}  overlaps\n",
            "phase", "median", "min-max", "q1-q3", "n", "tag"
        ));
        for p in &g.phases {
            let range = format!("{}-{}", super::secs(p.min_s), super::secs(p.max_s));
            let quart = format!("{}-{}", super::secs(p.q1_s), super::secs(p.q3_s));
            let overlaps = if p.source == PhaseSource::Server {
                "all the log's phases (from spawn)".to_string()
            } else if p.phase == "startup_s" {
                "all (first line to engine ready)".to_string()
            } else {
                p.overlaps
                    .iter()
                    .map(|o| short(o))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let name = match p.source {
                PhaseSource::Gaps => "unaccounted (no line, no stage)".to_string(),
                PhaseSource::Server => format!("{} (repro's clock)", short(&p.phase)),
                _ => short(&p.phase).to_string(),
            };
            out.push_str(
                format!(
                    "  {:<32} {:>8} {:>17} {:>17} {:>3}  {:<10}  {}\n",
                    name,
                    super::secs(p.median_s),
                    range,
                    quart,
                    p.n,
                    p.tag.as_str(),
                    overlaps
                )
                .trim_end(),
            );
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(
        "Seconds. Phases overlap (see `overlaps`; init_engine holds compile, profiling and capture),\nso they do not add up to startup. `unaccounted`: per run, the silences no line and no stage\naccounts for, summed.\n",
    );
    out
}

/// `figure-7:model_qwen-7b@warm  qwen-7b, vLLM 0.10.1.1, cache warm, loader auto  5 runs (paper)`.
pub fn heading(g: &Group) -> String {
    let c = &g.config;
    let mut facts = Vec::new();
    if let Some(m) = &c.model {
        facts.push(m.clone());
    }
    if let Some(v) = &c.vllm {
        facts.push(format!("vLLM {v}"));
    }
    if c.uncached {
        facts.push("the uncached first run".into());
    }
    if let Some(cache) = c.cache {
        facts.push(format!("compile cache {}", cache.as_str()));
    }
    if let Some(l) = &c.loader {
        facts.push(format!("loader {l}"));
    }
    let runs = if g.n == 1 {
        "1 run".to_string()
    } else {
        format!("{} runs", g.n)
    };
    let incomplete = g.runs.iter().filter(|r| !r.complete).count();
    let cut = if incomplete > 0 {
        format!(", {incomplete} incomplete")
    } else {
        String::new()
    };
    format!(
        "{}  {}  {runs} ({}{cut})\n",
        g.id,
        facts.join(", "),
        g.tag.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    pub(crate) fn run(label: &str, cache: Cache, values: &[(&str, f64)], paper: bool) -> RunPhases {
        let phases: IndexMap<String, (f64, PhaseSource)> = values
            .iter()
            .map(|(k, v)| (k.to_string(), (*v, PhaseSource::Printed)))
            .collect();
        RunPhases {
            source: format!("x/{label}.txt").into(),
            config: Config {
                experiment: "x".into(),
                label: label.into(),
                uncached: false,
                model: None,
                vllm: Some("0.10.1.1".into()),
                cache: Some(cache),
                loader: None,
            },
            cache_from: None,
            paper,
            complete: true,
            phases,
            timeline: None,
        }
    }

    #[test]
    fn groups_have_medians_quartiles_and_tags() {
        let runs: Vec<RunPhases> = [3.0, 1.0, 2.0, 4.0]
            .iter()
            .map(|v| {
                run(
                    "a",
                    Cache::Warm,
                    &[("load_weights_s", *v), ("torch_compile_s", 9.0)],
                    false,
                )
            })
            .chain([run("a", Cache::Cold, &[("load_weights_s", 5.0)], true)])
            .collect();
        let gs = groups(&runs);
        assert_eq!(gs.len(), 2);
        let cold = &gs[0];
        assert_eq!((cold.id.as_str(), cold.tag), ("x:a@cold", Tag::Paper));
        let warm = &gs[1];
        assert_eq!((warm.n, warm.tag), (4, Tag::Replicated));
        let p = warm.phase("load_weights_s").unwrap();
        assert_eq!(
            (p.median_s, p.min_s, p.max_s, p.q1_s, p.q3_s),
            (2.5, 1.0, 4.0, 1.75, 3.25)
        );
        assert_eq!(
            warm.phases[0].phase, "load_weights_s",
            "start-up order: load before compile"
        );
        let one = groups(&runs[..1]);
        assert_eq!(one[0].tag, Tag::Measured);
        let text = table(&gs);
        assert!(text.contains("x:a@warm"), "{text}");
        assert!(text.contains("replicated"), "{text}");
    }
}
