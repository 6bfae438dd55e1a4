//! The preparation steps a figure's (or a benchmark's) runs need — environments, downloads,
//! synthetic models, tensorizer copies: said by `--dry-run`, done before the first run
//! otherwise, under the models folder's lock.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::artifacts::lock::LockError;
use crate::config::Models;
use crate::env::setup::{self, SetupError, SetupOptions};
use crate::models::fetch;
use crate::models::hub::Hub;
use crate::models::tensorize;
use crate::models::ModelError;
use crate::plan::prepare::{Prepared, Step, StepState};
use crate::progress::{Event, Progress};

/// Why the preparation stopped; what was done stays done.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("the runs need what cannot be prepared here (nothing was changed):\n{}\n(--model picks fewer runs, --vllm fewer versions; --python PATH brings your own environment)", .0.join("\n"))]
    Impossible(Vec<String>),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("preparing {step} (nothing of the figure ran; rerun to go on from here)")]
    Step {
        step: String,
        #[source]
        source: StepError,
    },
}

/// Why one step failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error("partial files are kept in `{}` for the next try", partial.display())]
    Fetch {
        partial: PathBuf,
        #[source]
        source: ModelError,
    },
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// What the steps need to know beyond themselves.
pub struct Inputs<'a> {
    pub models: &'a Models,
    pub models_dir: &'a Path,
    pub cache: PathBuf,
    pub kv_cache_gib: u32,
    /// `--python`: runs, and so tensorizer copies, use it instead of repro's environment.
    pub python: Option<PathBuf>,
    pub project_root: PathBuf,
}

/// The `--dry-run` lines of the steps (nothing when there are none).
pub fn explain(steps: &[Prepared]) -> String {
    if steps.is_empty() {
        return String::new();
    }
    let todo = steps
        .iter()
        .filter(|s| !matches!(s.state, StepState::Done(_)))
        .count();
    let mut text = format!(
        "prepare: {} steps, {} done, {todo} to do\n",
        steps.len(),
        steps.len() - todo
    );
    for prepared in steps {
        let _ = match &prepared.state {
            StepState::Done(what) => writeln!(text, "  done      {}  ({what})", prepared.step),
            StepState::Todo(why) => writeln!(text, "  will do   {}  ({why})", prepared.step),
            StepState::Impossible(why) => writeln!(text, "  cannot    {}  ({why})", prepared.step),
        };
    }
    text
}

/// Do the steps not done, in order; the first failure stops (what was done stays done).
/// `progress` is told each step and an environment's set-up, `downloads` the downloads.
pub fn run(
    steps: &[Prepared],
    inputs: &Inputs,
    progress: &dyn Progress,
    downloads: &dyn Progress,
) -> Result<(), PrepareError> {
    let impossible: Vec<String> = steps
        .iter()
        .filter_map(|s| match &s.state {
            StepState::Impossible(why) => Some(format!("  {}: {why}", s.step)),
            _ => None,
        })
        .collect();
    if !impossible.is_empty() {
        return Err(PrepareError::Impossible(impossible));
    }
    let todo: Vec<&Step> = steps
        .iter()
        .filter(|s| matches!(s.state, StepState::Todo(_)))
        .map(|s| &s.step)
        .collect();
    if todo.is_empty() {
        return Ok(());
    }
    let _lock = crate::artifacts::lock::lock(inputs.models_dir)?;
    for (index, step) in todo.iter().enumerate() {
        let what = format!("prepare [{}/{}] {step}", index + 1, todo.len());
        progress.event(Event::Note(&what));
        do_step(step, inputs, progress, downloads).map_err(|source| PrepareError::Step {
            step: step.to_string(),
            source,
        })?;
    }
    Ok(())
}

fn do_step(
    step: &Step,
    inputs: &Inputs,
    progress: &dyn Progress,
    downloads: &dyn Progress,
) -> Result<(), StepError> {
    match step {
        Step::Env(spec) => {
            let options = SetupOptions {
                cache: inputs.cache.clone(),
                project_root: inputs.project_root.clone(),
                base_python: "python3".into(),
                find_links: vec![],
                offline: false,
            };
            setup::setup(spec, &options, progress)?;
        }
        Step::Fetch { model } => {
            let entry = inputs
                .models
                .models
                .get(model)
                .ok_or_else(|| ModelError::unknown(model, inputs.models))?;
            let dir = inputs.models_dir.join(model);
            let hub = Hub::from_env().map_err(ModelError::from)?;
            fetch::fetch_model(&hub, model, entry, &dir, 4, downloads).map_err(|source| {
                StepError::Fetch {
                    partial: dir.join(crate::models::PARTIAL_DIR),
                    source,
                }
            })?;
        }
        Step::Synth { model, env } => {
            let entry = inputs
                .models
                .models
                .get(model)
                .ok_or_else(|| ModelError::unknown(model, inputs.models))?;
            let python = inputs
                .python
                .clone()
                .unwrap_or_else(|| env.python(&inputs.cache));
            let dir = inputs.models_dir.join(model);
            crate::models::synth::synthesize(
                &python,
                &inputs.cache,
                model,
                entry,
                None,
                &dir,
                false,
            )?;
        }
        Step::Tensorize { name, from, env } => {
            let python = inputs
                .python
                .clone()
                .unwrap_or_else(|| env.python(&inputs.cache));
            let note = format!(
                "  loading `{from}` with vLLM {} (log: `{}`)",
                env.vllm,
                tensorize::log_path(&inputs.cache, name).display()
            );
            progress.event(Event::Note(&note));
            let job = tensorize::Job {
                python: &python,
                cache: &inputs.cache,
                models_dir: inputs.models_dir,
                name,
                from,
                vllm: &env.vllm,
                device: env.device,
                kv_cache_gib: inputs.kv_cache_gib,
                force: false,
            };
            tensorize::tensorize(&job)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    #[test]
    fn steps_that_cannot_be_done_stop_everything_before_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let models = crate::project::Project::new(dir.path()).models().unwrap();
        let steps = vec![
            Prepared {
                step: Step::Fetch {
                    model: "qwen-0.5b".into(),
                },
                state: StepState::Todo("missing".into()),
            },
            Prepared {
                step: Step::Fetch {
                    model: "qwen-1.8b".into(),
                },
                state: StepState::Impossible("no network".into()),
            },
        ];
        let text = explain(&steps);
        assert!(
            text.starts_with("prepare: 2 steps, 0 done, 2 to do\n"),
            "{text}"
        );
        assert!(text.contains("  cannot    "), "{text}");
        let inputs = Inputs {
            models: &models,
            models_dir: &dir.path().join("models"),
            cache: dir.path().join(".cache"),
            kv_cache_gib: 4,
            python: None,
            project_root: dir.path().to_path_buf(),
        };
        let e = run(&steps, &inputs, &Silent, &Silent).unwrap_err();
        assert!(
            matches!(&e, PrepareError::Impossible(lines) if lines.len() == 1),
            "{e}"
        );
        assert!(!dir.path().join("models").exists(), "nothing was changed");
        assert!(explain(&[]).is_empty());
        assert!(run(&[], &inputs, &Silent, &Silent).is_ok());
    }
}
