//! Drawing the runner's progress: an indicatif bar on a terminal, plain lines otherwise
//! (`REPRO_NO_PROGRESS=1`, `-q` and `-v` turn the bar off).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use repro::artifacts::manifest::RunStatus;
use repro::plan::Task;
use repro::run::{Reporter, TaskResult};

/// What the engine does next, after a log line ends a stage (the parser knows which line
/// ends which), for the bar's message.
fn stage_of(line: &str) -> Option<&'static str> {
    use repro::parse::Stage;
    Some(match repro::parse::stage_ended(line)? {
        Stage::DetectPlatform => "imports",
        Stage::LlmImports => "model info",
        Stage::GetModelInfo => "tokenizer",
        Stage::TokenizerInit => "worker init",
        Stage::WorkerInit => "model init",
        Stage::ModelInit => "loading weights",
        Stage::LoadWeights | Stage::ModelLoading => "torch.compile",
        Stage::DynamoTransformTime | Stage::GraphCompileGeneralShape => "torch.compile",
        Stage::GraphCompileCached | Stage::TorchCompile => "KV cache profiling",
        Stage::KvCacheProfiling => "graph capturing",
        Stage::GraphCapturing => "init engine",
        Stage::InitEngine => "shutting down",
        _ => return None,
    })
}

/// A task as people read it: `figure-9 iterations/1 model_llama2-7b-hf_cuda-graph-sizes_56`.
pub fn describe(task: &Task) -> String {
    let part = task
        .config
        .key
        .part
        .as_deref()
        .map(|p| format!("/{p}"))
        .unwrap_or_default();
    let phase = match task.phase() {
        repro::plan::Phase::Warmup => "warm-up".to_string(),
        repro::plan::Phase::Iteration(i) => format!("iteration {i}"),
    };
    format!("{}{part} {phase} {}", task.config.key.figure, task.label())
}

pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    verbose: bool,
    current: String,
    position: String,
}

impl Progress {
    pub fn new(quiet: bool, verbose: bool) -> Progress {
        let off = std::env::var_os("REPRO_NO_PROGRESS").is_some_and(|v| v != "0");
        let bar = (!off && !quiet && !verbose && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed_precise} {msg}")
                    .expect("valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            quiet,
            verbose,
            current: String::new(),
            position: String::new(),
        }
    }

    /// Print a line without tearing the bar.
    fn println(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Reporter for Progress {
    fn started(&mut self, position: usize, total: usize, task: &Task, attempt: u32) {
        self.current = describe(task);
        self.position = format!("[{position}/{total}]");
        if attempt > 1 {
            self.current.push_str(&format!(" (attempt {attempt})"));
        }
        match &self.bar {
            Some(bar) => {
                bar.set_length(total as u64);
                bar.set_position(position as u64 - 1);
                bar.set_message(self.current.clone());
            }
            None if self.verbose => eprintln!("{} running {}", self.position, self.current),
            None => {}
        }
    }

    fn line(&mut self, line: &str) {
        if let (Some(bar), Some(stage)) = (&self.bar, stage_of(line)) {
            bar.set_message(format!("{}: {stage}", self.current));
        }
    }

    fn finished(&mut self, _task: &Task, result: &TaskResult) {
        let ok = result.status == RunStatus::Ok;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if self.quiet && ok {
            return;
        }
        let what = match &result.error {
            Some(error) => format!("{}: {error}", result.status.as_str()),
            None => result.status.as_str().to_string(),
        };
        self.println(&format!(
            "{} {} … {what} ({:.2} s)",
            self.position,
            self.current,
            result.wall.as_secs_f64()
        ));
    }
}
