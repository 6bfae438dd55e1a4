//! Lines → runs → processes → values, summary, readiness and time line.

use indexmap::IndexMap;

use super::line::{self, Line, ProcessTag};
use super::rules::{self, Combine, Marker, Reading, Unit, KEYS};
use super::timeline::{self, Span, Timeline};
use super::{
    Clock, Completeness, Ledger, Options, Process, Ready, Role, Run, Summary, Value, SCHEMA_VERSION,
};

mod ready;
mod warnings;

use ready::{find_ready, judge};
use warnings::{clock_warning, cut_warning, several_runs_warning};

/// A line with what it says and when, on the clock the file uses.
pub(super) struct Read<'a> {
    pub(super) line: Line<'a>,
    pub(super) reading: Reading,
    /// Microseconds on the chosen clock.
    pub(super) t: Option<i64>,
}

const DAY_US: i64 = 86_400 * 1_000_000;

/// vLLM prints no year: a jump back by half a year or more is the new year.
fn unwrap_years(times: &mut [Option<i64>]) {
    let mut offset = 0;
    let mut latest = i64::MIN;
    for t in times.iter_mut().flatten() {
        if latest != i64::MIN && *t + offset < latest - 180 * DAY_US {
            offset += 366 * DAY_US;
        }
        *t += offset;
        latest = latest.max(*t);
    }
}

/// Pick the clock most lines carry; lines without it are untimed.
fn choose_clock(lines: &[Line]) -> (Clock, Vec<Option<i64>>, Option<f64>) {
    let outer = lines.iter().filter(|l| l.outer.is_some()).count();
    let vllm = lines.iter().filter(|l| l.vllm.is_some()).count();
    let (clock, stamps): (Clock, Vec<_>) = if outer == 0 && vllm == 0 {
        (Clock::None, lines.iter().map(|_| None).collect())
    } else if outer > vllm {
        (Clock::Prefix, lines.iter().map(|l| l.outer).collect())
    } else {
        (Clock::Vllm, lines.iter().map(|l| l.vllm).collect())
    };
    let resolution = stamps
        .iter()
        .flatten()
        .map(|s| s.resolution)
        .fold(None, |acc: Option<f64>, r| {
            Some(acc.map_or(r, |a| a.max(r)))
        });
    let mut times: Vec<Option<i64>> = stamps.iter().map(|s| s.map(|s| s.micros)).collect();
    if clock == Clock::Vllm {
        unwrap_years(&mut times);
    }
    (clock, times, resolution)
}

fn ends_a_run(marker: Option<Marker>) -> bool {
    matches!(
        marker,
        Some(
            Marker::EngineReady
                | Marker::HarnessReady
                | Marker::ServerReady
                | Marker::Traceback
                | Marker::Fatal
        )
    )
}

fn starts_a_run(marker: Option<Marker>) -> bool {
    matches!(
        marker,
        Some(Marker::StartPhase | Marker::EngineBanner { .. })
    )
}

/// Indices `[start, end)` of each run: a line that only comes before an engine starts, seen
/// after an engine was ready (or died), begins the next run.
pub(super) fn split_runs(reads: &[Read]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut ended = false;
    for (i, r) in reads.iter().enumerate() {
        if ended && starts_a_run(r.reading.marker) {
            runs.push(start..i);
            start = i;
            ended = false;
        }
        if ends_a_run(r.reading.marker) {
            ended = true;
        }
    }
    if start < reads.len() {
        runs.push(start..reads.len());
    }
    runs
}

fn process_id(tag: &Option<ProcessTag>) -> String {
    match tag {
        None => "driver".into(),
        Some(t) => {
            let mut id = t.name.clone();
            if let Some(rank) = t.rank {
                id.push_str(&format!(" rank={rank}"));
            }
            id.push_str(&format!(" pid={}", t.pid));
            if let Some(ip) = &t.ip {
                id.push_str(&format!(", ip={ip}"));
            }
            id
        }
    }
}

fn role_of(tag: &Option<ProcessTag>) -> Role {
    match tag {
        None => Role::Driver,
        Some(t) if t.name.starts_with("EngineCore") => Role::EngineCore,
        Some(t) if t.name.starts_with("APIServer") => Role::ApiServer,
        Some(_) => Role::Worker,
    }
}

/// `Worker_TP1`, `Worker_PP0_TP1` → 1.
fn tp_rank_in_name(name: &str) -> Option<u32> {
    let at = name.rfind("TP")?;
    let digits: String = name[at + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// One occurrence of a key.
#[derive(Clone, Copy)]
struct Hit {
    value: f64,
    line: usize,
    t: Option<i64>,
}

#[derive(Default)]
struct ProcessBuilder {
    tag: Option<ProcessTag>,
    first: usize,
    last: usize,
    rank: Option<u32>,
    world: Option<u32>,
    hits: IndexMap<&'static str, Vec<Hit>>,
    markers: Vec<(Marker, usize, Option<i64>)>,
}

impl ProcessBuilder {
    fn timed_markers(&self, wanted: fn(Marker) -> bool) -> impl Iterator<Item = Mark> + '_ {
        self.markers
            .iter()
            .filter(move |(m, _, _)| wanted(*m))
            .filter_map(|(_, line, t)| t.map(|t| (*line, t)))
    }
}

fn seconds(micros: i64) -> f64 {
    micros as f64 / 1e6
}

/// A timestamped line: `(line, microseconds)`.
type Mark = (usize, i64);

/// A stage only timestamps bracket: `(key, from, to)`.
type Derivation = (&'static str, Mark, Mark);

/// Everything a run needs while it is being built.
struct RunBuilder<'r, 'a> {
    reads: &'r [Read<'a>],
    origin: Option<i64>,
    processes: IndexMap<String, ProcessBuilder>,
    spans: Vec<Span>,
}

impl RunBuilder<'_, '_> {
    fn at(&self, t: impl Into<Option<i64>>) -> Option<f64> {
        Some(seconds(t.into()? - self.origin?))
    }

    fn collect(&mut self) {
        for r in self.reads {
            let id = process_id(&r.line.process);
            let p = self.processes.entry(id).or_insert_with(|| ProcessBuilder {
                tag: r.line.process.clone(),
                first: r.line.no,
                rank: r
                    .line
                    .process
                    .as_ref()
                    .and_then(|t| t.rank.or_else(|| tp_rank_in_name(&t.name))),
                ..ProcessBuilder::default()
            });
            p.last = r.line.no;
            if let Some((rank, world)) = r.reading.rank {
                p.rank = p.rank.or(Some(rank));
                p.world = Some(world);
            }
            for (key, value) in &r.reading.values {
                p.hits.entry(key).or_default().push(Hit {
                    value: *value,
                    line: r.line.no,
                    t: r.t,
                });
            }
            if let Some(marker) = r.reading.marker {
                p.markers.push((marker, r.line.no, r.t));
            }
        }
    }

    fn has_marker(&self, wanted: fn(Marker) -> bool) -> bool {
        self.processes
            .values()
            .any(|p| p.markers.iter().any(|(m, _, _)| wanted(*m)))
    }

    /// The latest timed engine banner before `line`, of any process (V0 prints no
    /// `Starting to load model` before 0.6).
    fn banner_before(&self, line: usize) -> Option<Mark> {
        self.processes
            .values()
            .flat_map(|p| p.timed_markers(|m| matches!(m, Marker::EngineBanner { .. })))
            .filter(|(l, _)| *l < line)
            .max_by_key(|(l, _)| *l)
    }

    fn span(
        &mut self,
        key: &str,
        id: &str,
        (start_s, end_s): (f64, f64),
        line: usize,
        derived: bool,
    ) {
        self.spans.push(Span {
            key: key.to_string(),
            process: id.to_string(),
            start_s,
            end_s,
            line,
            derived,
        });
    }

    /// A process's values, printed and derived, in [`KEYS`] order; their spans go on the time line.
    fn values_of(&mut self, id: &str, engine_ready_anywhere: bool) -> IndexMap<String, Value> {
        let mut values = self.printed(id);
        for (key, from, to) in self.derivations(id, engine_ready_anywhere) {
            if values.contains_key(key) || to.1 < from.1 {
                continue;
            }
            let end = self.at(to.1);
            if let (Some(start_s), Some(end_s)) = (self.at(from.1), end) {
                self.span(key, id, (start_s, end_s), to.0, true);
            }
            let value = Value {
                value: seconds(to.1 - from.1),
                line: to.0,
                at_s: end,
                lines: 1,
                derived_from: Some([from.0, to.0]),
            };
            values.insert(key.to_string(), value);
        }
        values.sort_by(|a, _, b, _| key_rank(a).cmp(&key_rank(b)));
        values
    }

    /// What the process printed: the last line of a key, or the sum of its lines.
    fn printed(&mut self, id: &str) -> IndexMap<String, Value> {
        let mut values = IndexMap::new();
        let Some(p) = self.processes.get(id) else {
            return values;
        };
        let mut spans = Vec::new();
        for info in KEYS {
            let Some(hits) = p.hits.get(info.name).filter(|h| !h.is_empty()) else {
                continue;
            };
            let last = hits[hits.len() - 1];
            let value = match info.combine {
                Combine::Last => last.value,
                Combine::Sum => hits.iter().map(|h| h.value).sum(),
            };
            // A printed duration ends at its line; the compile share of init engine is a sum.
            if info.unit == Unit::Seconds && info.name != "init_engine_compilation_s" {
                for h in hits {
                    if let Some(end) = self.at(h.t) {
                        spans.push((info.name, (end - h.value, end), h.line));
                    }
                }
            }
            let value = Value {
                value,
                line: last.line,
                at_s: self.at(last.t),
                lines: hits.len(),
                derived_from: None,
            };
            values.insert(info.name.to_string(), value);
        }
        for (key, range, line) in spans {
            self.span(key, id, range, line, false);
        }
        values
    }

    /// Stages only timestamps bracket in this process: `(key, (from line, t), (to line, t))`.
    fn derivations(&self, id: &str, engine_ready_anywhere: bool) -> Vec<Derivation> {
        let mut out = Vec::new();
        let Some(p) = self.processes.get(id) else {
            return out;
        };
        let loaded = p.timed_markers(|m| m == Marker::ModelLoaded).last();
        if let Some(loaded) = loaded {
            let start = p
                .timed_markers(|m| m == Marker::LoadStart)
                .filter(|(l, _)| *l < loaded.0)
                .last()
                .or_else(|| self.banner_before(loaded.0));
            if let Some(start) = start {
                out.push(("model_loading_s", start, loaded));
            }
            let sized = p
                .timed_markers(|m| m == Marker::KvCacheSized)
                .find(|(l, _)| *l > loaded.0);
            if let Some(sized) = sized {
                out.push(("memory_profiling_s", loaded, sized));
            }
            if !engine_ready_anywhere {
                let done = p
                    .timed_markers(|m| matches!(m, Marker::GraphCaptured | Marker::KvCacheSized))
                    .filter(|(l, _)| *l > loaded.0)
                    .last();
                if let Some(done) = done {
                    out.push(("init_engine_s", loaded, done));
                }
            }
        }
        out
    }

    /// Each process of the run with its values, in the order they first printed.
    fn processes(&mut self) -> Vec<Process> {
        let engine_ready_anywhere = self.has_marker(|m| m == Marker::EngineReady);
        let ids: Vec<String> = self.processes.keys().cloned().collect();
        let mut processes = Vec::new();
        for id in ids {
            let values = self.values_of(&id, engine_ready_anywhere);
            let p = &self.processes[&id];
            processes.push(Process {
                role: role_of(&p.tag),
                pid: p.tag.as_ref().map(|t| t.pid),
                rank: p.rank,
                world_size: p.world,
                lines: [p.first, p.last],
                values,
                id,
            });
        }
        processes
    }

    /// From the engine's `init engine … took` to the API server's ready line at `line`: a
    /// run-level key and its span, where both lines are timed.
    fn serve_ready_after_engine(&mut self, line: usize, summary: &mut IndexMap<String, Summary>) {
        let server_t = time_at_or_before(self.reads, line);
        let engine_t = self
            .reads
            .iter()
            .filter(|r| r.reading.marker == Some(Marker::EngineReady) && r.line.no < line)
            .filter_map(|r| r.t)
            .next_back();
        if let (Some(server_t), Some(engine_t), Some(start_s), Some(end_s)) =
            (server_t, engine_t, self.at(engine_t), self.at(server_t))
        {
            self.span(
                "serve_ready_after_engine_s",
                "run",
                (start_s, end_s),
                line,
                true,
            );
            run_level(
                summary,
                "serve_ready_after_engine_s",
                seconds(server_t - engine_t),
                line,
            );
        }
    }

    /// The run's time line, from its earliest timestamp (none where no line is timed); takes
    /// the spans gathered so far.
    fn timeline(&mut self, first: usize, ready_s: Option<f64>, min_gap_s: f64) -> Option<Timeline> {
        let times: Vec<(usize, f64)> = self
            .reads
            .iter()
            .filter_map(|r| self.at(r.t).map(|t| (r.line.no, t)))
            .collect();
        self.origin.map(|o| {
            let origin_line = self
                .reads
                .iter()
                .find(|r| r.t == Some(o))
                .map_or(first, |r| r.line.no);
            timeline::build(
                origin_line,
                &times,
                std::mem::take(&mut self.spans),
                ready_s,
                min_gap_s,
            )
        })
    }
}

/// The time of `line`, or of the last timed line before it.
fn time_at_or_before(reads: &[Read], line: usize) -> Option<i64> {
    reads
        .iter()
        .filter(|r| r.line.no <= line)
        .rev()
        .find_map(|r| r.t)
}

/// At most `n` characters of `text`, with `…` where cut.
pub fn clip(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(n.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn summarize(processes: &[Process]) -> IndexMap<String, Summary> {
    let mut summary = IndexMap::new();
    for info in KEYS {
        let values: Vec<&super::Value> = processes
            .iter()
            .filter_map(|p| p.values.get(info.name))
            .collect();
        let Some(last) = values.iter().max_by_key(|v| v.line) else {
            continue;
        };
        summary.insert(
            info.name.to_string(),
            Summary {
                unit: info.unit,
                last: last.value,
                slowest: values.iter().map(|v| v.value).fold(f64::MIN, f64::max),
                processes: values.len(),
                line: last.line,
                derived: values.iter().all(|v| v.derived_from.is_some()),
            },
        );
    }
    summary
}

fn run_level(summary: &mut IndexMap<String, Summary>, key: &str, value: f64, line: usize) {
    summary.insert(
        key.to_string(),
        Summary {
            unit: Unit::Seconds,
            last: value,
            slowest: value,
            processes: 1,
            line,
            derived: true,
        },
    );
    // Keep KEYS order.
    summary.sort_by(|a, _, b, _| key_rank(a).cmp(&key_rank(b)));
}

fn key_rank(name: &str) -> usize {
    KEYS.iter()
        .position(|k| k.name == name)
        .unwrap_or(usize::MAX)
}

/// The line and version of a run's first version banner.
pub(super) fn version_of(reads: &[Read]) -> Option<(usize, String)> {
    reads
        .iter()
        .find_map(|r| r.reading.version.clone().map(|v| (r.line.no, v)))
}

/// `v1` or `v0` from the engine's banner, else `v1` where an engine core process logs.
pub(super) fn engine_of(reads: &[Read]) -> Option<&'static str> {
    reads
        .iter()
        .find_map(|r| match r.reading.marker {
            Some(Marker::EngineBanner { v1 }) => Some(if v1 { "v1" } else { "v0" }),
            _ => None,
        })
        .or_else(|| {
            reads
                .iter()
                .any(|r| role_of(&r.line.process) == Role::EngineCore)
                .then_some("v1")
        })
}

/// How a run's start-up ended: [`judge`] on what [`find_ready`] finds.
pub(super) fn run_completeness(reads: &[Read]) -> Completeness {
    let version = version_of(reads).map(|(_, v)| v);
    let ready = find_ready(reads, engine_of(reads), version.as_deref());
    judge(reads, ready.as_ref())
}

fn build_run(reads: &[Read], opts: Options) -> Run {
    let first = reads.first().map_or(0, |r| r.line.no);
    let last = reads.last().map_or(0, |r| r.line.no);
    let (version_line, vllm_version) = version_of(reads).unzip();
    let engine = engine_of(reads);
    let mut b = RunBuilder {
        reads,
        origin: reads.iter().filter_map(|r| r.t).min(),
        processes: IndexMap::new(),
        spans: Vec::new(),
    };
    b.collect();
    let processes = b.processes();
    let ready_found = find_ready(reads, engine, vllm_version.as_deref());
    let completeness = judge(reads, ready_found.as_ref());
    let ready = ready_found.map(|(line, kind)| Ready {
        line,
        kind: kind.to_string(),
        at_s: b.at(time_at_or_before(reads, line)),
    });
    let mut summary = summarize(&processes);
    if let Some(Ready {
        at_s: Some(at),
        line,
        ..
    }) = &ready
    {
        run_level(&mut summary, "startup_s", *at, *line);
    }
    if let Some(r) = ready.as_ref().filter(|r| r.kind == "server") {
        b.serve_ready_after_engine(r.line, &mut summary);
    }
    let timeline = b.timeline(first, ready.as_ref().and_then(|r| r.at_s), opts.min_gap_s);
    Run {
        lines: [first, last],
        vllm_version,
        version_line,
        engine: engine.map(str::to_string),
        complete: completeness.complete,
        completeness,
        ready,
        processes,
        summary,
        timeline,
    }
}

/// Lines in the text, counting `\n` (a last line without one counts too).
fn line_count(text: &str) -> usize {
    if text.is_empty() {
        0
    } else {
        text.split('\n').count() - usize::from(text.ends_with('\n'))
    }
}

/// A line cut while it was written can hold half a number (`took 2.9` of `took 2.95`): where
/// the file's last line has numbers, it is read as saying nothing. Whether it had any.
fn forget_cut_numbers(reads: &mut [Read], total_lines: usize) -> bool {
    let cut_values = reads
        .last()
        .is_some_and(|r| r.line.no == total_lines && !r.reading.values.is_empty());
    if cut_values {
        if let Some(last) = reads.last_mut() {
            last.reading = Reading::default();
        }
    }
    cut_values
}

/// Lines without a timestamp (a line split into several reads counts once).
fn untimed_lines(reads: &[Read]) -> usize {
    let mut timed: Vec<usize> = reads
        .iter()
        .filter(|r| r.t.is_some())
        .map(|r| r.line.no)
        .collect();
    timed.dedup();
    let mut all: Vec<usize> = reads.iter().map(|r| r.line.no).collect();
    all.dedup();
    all.len() - timed.len()
}

/// The whole file.
pub fn ledger(name: &str, text: &str, opts: Options) -> Result<Ledger, usize> {
    let total_lines = line_count(text);
    let lines = line::lines(text);
    let (clock, times, resolution) = choose_clock(&lines);
    let cut_mid_line = !text.is_empty() && !text.ends_with('\n');
    let mut reads: Vec<Read> = lines
        .into_iter()
        .zip(times)
        .map(|(line, t)| Read {
            reading: rules::read(&line.message),
            line,
            t,
        })
        .collect();
    let cut_values = cut_mid_line && forget_cut_numbers(&mut reads, total_lines);
    if !reads
        .iter()
        .any(|r| r.line.level.is_some() || r.reading.is_vllm())
    {
        return Err(total_lines);
    }
    let runs: Vec<Run> = split_runs(&reads)
        .into_iter()
        .map(|range| build_run(&reads[range], opts))
        .collect();
    let mut warnings = Vec::new();
    if cut_mid_line {
        warnings.push(cut_warning(total_lines, cut_values));
    }
    warnings.extend(several_runs_warning(&runs));
    warnings.extend(clock_warning(clock, &reads).map(String::from));
    Ok(Ledger {
        schema_version: SCHEMA_VERSION,
        log: name.to_string(),
        lines: total_lines,
        untimed_lines: untimed_lines(&reads),
        clock,
        resolution_s: resolution,
        cut_mid_line,
        runs,
        warnings,
    })
}
