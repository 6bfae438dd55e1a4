//! Running a capacity search (the search itself is `bench::capacity`): per configuration of
//! the matrix, probes — each an ordinary one-server run through the scheduler, reused where
//! done before — until the search stops; `capacity.json` rewritten after each configuration.

use std::path::{Path, PathBuf};

use super::capacity::{
    bracket, goal_words, judge, next_step, probe_task, CapacityFile, ConfigCapacity, Probe, Step,
    Stop, FORMAT,
};
use super::context::{Context, Http};
use super::error::{drive_error_of, BenchError};
use super::event::Event;
use super::metrics::Summary;
use super::prefill::PrefillFile;
use super::record::RequestRecord;
use super::runner;
use crate::artifacts::layout::bench_dir;
use crate::recipe::bench::{BenchRecipe, BenchRun, CapacitySpec};
use crate::run::folder::FolderState;

/// What a search reports as it goes, beside its runs' events.
#[derive(Debug)]
pub enum CapacityEvent<'a> {
    Config { config: &'a str },
    Probed { config: &'a str, probe: &'a Probe },
    Done { result: &'a ConfigCapacity },
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, BenchError> {
    let bytes = std::fs::read(path).map_err(|e| drive_error_of(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        drive_error_of(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })
}

fn read_records(path: &Path) -> Result<Vec<RequestRecord>, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|e| drive_error_of(path, e))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).map_err(|e| {
                drive_error_of(
                    path,
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                )
            })
        })
        .collect()
}

/// Search every configuration of the recipe's matrix; writes `capacity.json` after each.
/// Returns the file's contents. Interrupted: `BenchError::Interrupted` (finished probes stay).
pub fn search(
    name: &str,
    recipe: &BenchRecipe,
    spec: &CapacitySpec,
    ctx: &Context,
    on_event: &mut dyn FnMut(Event),
    on_capacity: &mut dyn FnMut(CapacityEvent),
) -> Result<CapacityFile, BenchError> {
    let search = Search {
        name,
        recipe,
        spec,
        ctx,
        http: Http::new()?,
        profile: prefill_profile(spec, ctx)?,
        bench: bench_dir(&ctx.results, name),
    };
    let mut file = CapacityFile {
        format: FORMAT,
        benchmark: name.to_string(),
        spec: spec.clone(),
        goal: goal_words(spec),
        configs: Vec::new(),
    };
    for config in recipe.runs() {
        on_capacity(CapacityEvent::Config {
            config: &config.label,
        });
        let result = search.config(&config, on_event, on_capacity)?;
        on_capacity(CapacityEvent::Done { result: &result });
        file.configs.push(result);
        write_file(&search.bench, &file)?;
    }
    Ok(file)
}

/// The prefill profile the goal's TTFT deadlines come from, where `capacity.prefill` names one.
fn prefill_profile(spec: &CapacitySpec, ctx: &Context) -> Result<Option<PrefillFile>, BenchError> {
    let Some(source) = &spec.prefill else {
        return Ok(None);
    };
    let path = bench_dir(&ctx.results, source).join("prefill.json");
    if !path.is_file() {
        return Err(BenchError::NoPrefillProfile {
            name: source.clone(),
            path,
        });
    }
    Ok(Some(read(&path)?))
}

/// One benchmark's capacity search under way.
struct Search<'a> {
    name: &'a str,
    recipe: &'a BenchRecipe,
    spec: &'a CapacitySpec,
    ctx: &'a Context,
    http: Http,
    profile: Option<PrefillFile>,
    bench: PathBuf,
}

impl Search<'_> {
    /// Probe one configuration until the search stops.
    fn config(
        &self,
        config: &BenchRun,
        on_event: &mut dyn FnMut(Event),
        on_capacity: &mut dyn FnMut(CapacityEvent),
    ) -> Result<ConfigCapacity, BenchError> {
        let mut probes: Vec<Probe> = Vec::new();
        let stop = loop {
            let rate = match next_step(self.spec, &probes) {
                Step::Stop(stop) => break stop,
                Step::Probe(rate) => rate,
            };
            let Some(probe) = self.probe(config, rate, on_event)? else {
                break Stop::ProbeFailed;
            };
            on_capacity(CapacityEvent::Probed {
                config: &config.label,
                probe: &probe,
            });
            probes.push(probe);
        };
        let (capacity_rps, failing_rps) = bracket(&probes);
        Ok(ConfigCapacity {
            config: config.label.clone(),
            params: config.params.clone(),
            capacity_rps,
            failing_rps,
            stop,
            stop_words: stop.words().to_string(),
            probes,
        })
    }

    /// Run (or reuse) the probe of `config` at `rate`, judged against the goal; `None` where
    /// its run failed.
    fn probe(
        &self,
        config: &BenchRun,
        rate: f64,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Option<Probe>, BenchError> {
        let ctx = self.ctx;
        let task = probe_task(self.recipe, &ctx.results, self.name, config, rate);
        if let Some(parent) = task.folder.dir.parent() {
            std::fs::create_dir_all(parent).map_err(|e| drive_error_of(parent, e))?;
        }
        let done = !ctx.force && runner::state(&task) == FolderState::Done;
        // A probe found invalid before (the client was the limit) is run again: it said
        // nothing of the server, and this machine may be quieter now.
        let retry = done && probe_was_invalid(&task.folder.dir);
        let forced = Context {
            force: ctx.force || retry,
            ..ctx.clone()
        };
        let tasks = std::slice::from_ref(&task);
        let failed =
            runner::run_tasks(self.name, self.recipe, tasks, &forced, &self.http, on_event)?;
        if failed > 0 {
            return Ok(None);
        }
        let summary: Summary = read(&task.folder.dir.join("summary.json"))?;
        let records = read_records(&task.folder.dir.join("records.jsonl"))?;
        let dir = task
            .folder
            .dir
            .strip_prefix(&self.bench)
            .unwrap_or(&task.folder.dir);
        let fit = self
            .profile
            .as_ref()
            .and_then(|p| p.profile(&config.label))
            .and_then(|c| c.fit.as_ref());
        let mut probe = judge(
            self.spec,
            rate,
            dir.display().to_string(),
            &summary,
            &records,
            fit,
        );
        probe.reused = done && !retry;
        Ok(Some(probe))
    }
}

/// Whether a finished probe's summary says its client was the limit.
fn probe_was_invalid(dir: &Path) -> bool {
    read::<Summary>(&dir.join("summary.json"))
        .ok()
        .and_then(|s| s.client)
        .is_some_and(|c| !c.valid)
}

/// `capacity.json`, written whole or not at all (its chart, `capacity.svg`, is the command
/// line's: drawing sits above the runner).
fn write_file(bench: &Path, file: &CapacityFile) -> Result<(), BenchError> {
    let text = serde_json::to_string_pretty(file).expect("capacity serialises") + "\n";
    let path = bench.join("capacity.json");
    crate::artifacts::atomic_write(&path, text.as_bytes()).map_err(|e| drive_error_of(&path, e))
}
