//! Drawing the progress of runs and a setup's steps for the command line: an indicatif bar on
//! a terminal, plain lines otherwise (`REPRO_NO_PROGRESS=1`, `-q` and `-v` turn the bar off).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Event;
use indicatif::{ProgressBar, ProgressStyle};

/// What the engine does next, after a log line ends a stage (the parser knows which line
/// ends which), for the bar's message.
fn stage_of(line: &str) -> Option<&'static str> {
    use crate::parse::Stage;
    Some(match crate::parse::stage_ended(line)? {
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

/// Runs and steps drawn on stderr.
pub struct Terminal {
    bar: Option<ProgressBar>,
    quiet: bool,
    verbose: bool,
    /// The run being drawn, and `[i/n]`.
    current: Mutex<(String, String)>,
    /// When drawing began.
    started: Instant,
    /// When the step under way began: the next step's line says how long it took.
    step_started: Mutex<Option<Instant>>,
}

/// `9m 21s`, `42s`.
fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl Terminal {
    pub fn new(quiet: bool, verbose: bool) -> Terminal {
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
        Terminal {
            bar,
            quiet,
            verbose,
            current: Mutex::new((String::new(), String::new())),
            step_started: Mutex::new(None),
            started: Instant::now(),
        }
    }

    /// Print a line without tearing the bar.
    fn println(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// How long since drawing began.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl super::Progress for Terminal {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::RunStarted {
                position,
                total,
                what,
                attempt,
            } => self.started(position, total, what, attempt),
            Event::RunLine(line) => {
                if let (Some(bar), Some(stage)) = (&self.bar, stage_of(line)) {
                    let current = self.current.lock().map(|c| c.0.clone()).unwrap_or_default();
                    bar.set_message(format!("{current}: {stage}"));
                }
            }
            Event::RunFinished {
                ok,
                status,
                error,
                wall,
            } => self.finished(ok, status, error, wall),
            // A setup's steps are few and long: each is a line, also without a terminal.
            Event::Step { index, total, what } if !self.quiet => {
                // Each line says what the step before took, not the time since the start
                // (`[4/8] checking libstdc++ (561s)` read as a 9-minute check).
                let now = Instant::now();
                let previous = self
                    .step_started
                    .lock()
                    .ok()
                    .and_then(|mut s| s.replace(now));
                let took = match previous {
                    Some(at) if index > 1 => format!(
                        " (step {} took {}, {} in all)",
                        index - 1,
                        short_duration(now - at),
                        short_duration(self.started.elapsed())
                    ),
                    _ => String::new(),
                };
                self.println(&format!("[{index}/{total}] {what}{took}"));
                if let Some(bar) = &self.bar {
                    bar.set_length(total as u64);
                    bar.set_position(index as u64 - 1);
                    bar.set_message(what.to_string());
                }
            }
            Event::Note(what) if !self.quiet => self.println(what),
            _ => {}
        }
    }
}

impl Terminal {
    fn started(&self, position: usize, total: usize, what: &str, attempt: u32) {
        let mut current = what.to_string();
        if attempt > 1 {
            current.push_str(&format!(" (attempt {attempt})"));
        }
        let at = format!("[{position}/{total}]");
        match &self.bar {
            Some(bar) => {
                bar.set_length(total as u64);
                bar.set_position(position as u64 - 1);
                bar.set_message(current.clone());
            }
            None if self.verbose => eprintln!("{at} running {current}"),
            None => {}
        }
        if let Ok(mut c) = self.current.lock() {
            *c = (current, at);
        }
    }

    fn finished(&self, ok: bool, status: &str, error: Option<&str>, wall: Duration) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if self.quiet && ok {
            return;
        }
        let what = match error {
            Some(error) => format!("{status}: {error}"),
            None => status.to_string(),
        };
        let (current, at) = self.current.lock().map(|c| c.clone()).unwrap_or_default();
        self.println(&format!(
            "{at} {current} … {what} ({:.2} s)",
            wall.as_secs_f64()
        ));
    }
}
