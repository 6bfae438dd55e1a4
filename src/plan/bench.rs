//! A benchmark recipe → its runs as tasks: one per point of its matrix, each with the key over
//! everything that decides its results (the server, the run's workload and matrix values, the
//! SLOs, the results format) and its folder under `bench-<name>/`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::artifacts::key::TaskKey;
use crate::artifacts::layout::FolderTask;
use crate::recipe::bench::{BenchRecipe, BenchRun, ServerSpec, SloSpec};

/// The version of a benchmark run's files, part of its key.
pub const BENCH_FORMAT: u32 = 1;

/// Hex digits of a benchmark run's key.
const KEY_DIGITS: usize = 16;

/// One run of a benchmark.
#[derive(Debug, Clone)]
pub struct BenchTask {
    pub run: BenchRun,
    pub folder: FolderTask,
    /// The point of the matrix this run repeats (`workload.repeats`): its folder, which holds
    /// the point's summary over its repeats; `None` for a run that is its point.
    pub point: Option<Point>,
}

/// A point of the matrix run several times.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The point's label (`rate_2.0`) and folder (`bench-<name>/rate_2.0`).
    pub label: String,
    pub dir: PathBuf,
    /// Which repeat this is (1-based) and of how many.
    pub repeat: u32,
    pub repeats: u32,
}

/// The identity of a run's results: everything that decides them.
#[derive(Serialize)]
struct Key<'a> {
    format: u32,
    server: &'a ServerSpec,
    run: &'a BenchRun,
    slo: &'a SloSpec,
}

/// The key of one run of `recipe`.
pub fn key(recipe: &BenchRecipe, run: &BenchRun) -> TaskKey {
    let key = Key {
        format: BENCH_FORMAT,
        server: &recipe.server,
        run,
        slo: &recipe.slo,
    };
    TaskKey::of(&key, KEY_DIGITS)
}

/// Every run of benchmark `name`, in the matrix's order, with its folder under `results`; a
/// point with `workload.repeats = N` (not of a capacity search or a prefill profile) is N runs,
/// repeat k with seed `seed + k - 1` under `<label>/repeat_<k>/`.
pub fn plan(name: &str, recipe: &BenchRecipe, results: &Path) -> Vec<BenchTask> {
    let dir = crate::artifacts::layout::bench_dir(results, name);
    let searched = recipe.capacity.is_some() || recipe.prefill_profile.is_some();
    let mut tasks = Vec::new();
    for mut run in recipe.runs() {
        let repeats = run.workload.repeats.unwrap_or(1);
        if repeats <= 1 || searched {
            // `repeats = 1` is the run itself, under the key it has without repeats.
            run.workload.repeats = None;
            tasks.push(BenchTask {
                folder: FolderTask {
                    label: run.label.clone(),
                    key: key(recipe, &run),
                    dir: dir.join(&run.label),
                },
                run,
                point: None,
            });
            continue;
        }
        for repeat in 1..=repeats {
            let folder = format!("repeat_{repeat}");
            let mut r = run.clone();
            r.workload.repeats = None;
            r.workload.seed = run.workload.seed.wrapping_add(u64::from(repeat - 1));
            r.label = format!("{}/{folder}", run.label);
            tasks.push(BenchTask {
                folder: FolderTask {
                    label: folder.clone(),
                    key: key(recipe, &r),
                    dir: dir.join(&run.label).join(&folder),
                },
                point: Some(Point {
                    label: run.label.clone(),
                    dir: dir.join(&run.label),
                    repeat,
                    repeats,
                }),
                run: r,
            });
        }
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(repeats: &str) -> BenchRecipe {
        let text = format!(
            r#"title = "t"
[server]
kind = "command"
model = "mock"
command = ["mock", "--port", "{{port}}"]
[workload]
arrival = "poisson"
requests = 10
seed = 7
{repeats}
prompt = {{ kind = "synthetic", len = {{ dist = "fixed", value = 4 }} }}
output_len = {{ dist = "fixed", value = 2 }}
[matrix]
rate = [1.0, 2.0]
"#
        );
        BenchRecipe::parse(Path::new("t.toml"), &text).unwrap()
    }

    #[test]
    fn a_repeated_point_is_seeded_runs_under_its_folder() {
        let tasks = plan("t", &recipe("repeats = 3"), Path::new("r"));
        assert_eq!(tasks.len(), 6);
        let t = &tasks[1];
        assert_eq!(t.run.label, "rate_1.0/repeat_2");
        assert_eq!(t.folder.label, "repeat_2");
        assert_eq!(t.folder.dir, Path::new("r/bench-t/rate_1.0/repeat_2"));
        assert_eq!(t.run.workload.seed, 8);
        let point = t.point.as_ref().unwrap();
        assert_eq!((point.repeat, point.repeats), (2, 3));
        assert_eq!(point.dir, Path::new("r/bench-t/rate_1.0"));
        // Raising the count keeps the keys of the repeats done: only new ones run.
        let more = plan("t", &recipe("repeats = 4"), Path::new("r"));
        assert_eq!(more[1].folder.key, tasks[1].folder.key);
        // One repeat is the run itself, under its key without repeats.
        let one = plan("t", &recipe("repeats = 1"), Path::new("r"));
        let none = plan("t", &recipe(""), Path::new("r"));
        assert_eq!(one[0].folder.key, none[0].folder.key);
        assert_eq!(one[0].folder.dir, Path::new("r/bench-t/rate_1.0"));
        assert!(none[0].point.is_none());
    }
}
