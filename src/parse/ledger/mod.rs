//! A start-up ledger for any vLLM log: every timed line vLLM prints, of any version (0.2 to
//! today, V0 and V1, any number of ranks, `vllm serve` or `LLM(...)`, finished or crashed),
//! under stable keys; per process, summarised, and laid on one time line with the gaps no line
//! accounts for.
//!
//! Unlike the paper-exact parser (`super::profile`), nothing here is fatal: lines without a
//! timestamp are read for their numbers and left off the time line; only a file that holds no
//! vLLM line at all is refused.
//!
//! text → [`line`] (prefixes peeled off) → [`rules`] (what each message says) → runs (a file may
//! hold several) → per process values → summary, time line, completeness.

mod build;
mod colour;
mod complete;
mod line;
mod rules;
pub mod table;
mod timeline;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use rules::{key_info, KeyInfo, Unit, KEYS};
pub use timeline::{Gap, Span, Timeline};

/// The version of the JSON this module writes (`schema_version`); see `docs/ledger.md`.
pub const SCHEMA_VERSION: u32 = 1;

/// Silence shorter than this between two lines is not called a gap (default of `--min-gap`).
pub const DEFAULT_MIN_GAP_S: f64 = 2.0;

/// How to read a log.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub min_gap_s: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min_gap_s: DEFAULT_MIN_GAP_S,
        }
    }
}

/// A file that cannot give a ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is a directory, not a log file (pass the log files in it)", path.display())]
    Directory { path: PathBuf },
    #[error("`{}` is empty", path.display())]
    Empty { path: PathBuf },
    #[error("`{}` is not text (a binary file?): {why}", path.display())]
    Binary { path: PathBuf, why: String },
    #[error("`{}`: no vLLM line found ({lines} lines; is this a vLLM log?)", path.display())]
    NotVllm { path: PathBuf, lines: usize },
}

/// Which timestamps the time line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// vLLM's own `MM-DD HH:MM:SS[.mmm]`.
    Vllm,
    /// A date-and-time prefix added outside vLLM (docker `--timestamps`, CI, a log collector).
    Prefix,
    /// No line has a timestamp: durations as printed, no time line.
    None,
}

/// The role of a process, from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Lines without a process prefix: the process that was started (`vllm serve`, a script
    /// calling `LLM(...)`), and V0's rank-0 worker within it.
    Driver,
    ApiServer,
    EngineCore,
    Worker,
}

/// One value of a key in one process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Value {
    pub value: f64,
    /// The line it was read from (the last one, where several lines add up or overwrite).
    pub line: usize,
    /// When that line was printed, seconds on the run's time line; `null` if untimed.
    pub at_s: Option<f64>,
    /// How many lines printed it (they add up for graph compiles, else the last one wins).
    pub lines: usize,
    /// Not printed: the span between two timestamped lines, `[from_line, to_line]`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub derived_from: Option<[usize; 2]>,
}

/// One process of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Process {
    /// `driver`, or the prefix as printed without parentheses (`EngineCore_0 pid=51157`).
    pub id: String,
    pub role: Role,
    pub pid: Option<u32>,
    pub rank: Option<u32>,
    pub world_size: Option<u32>,
    /// `[first, last]` line of the process in the file.
    pub lines: [usize; 2],
    /// Key → value, in the order of [`KEYS`].
    pub values: indexmap::IndexMap<String, Value>,
}

/// A key over the processes of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub unit: Unit,
    /// The paper's rule: the value of the line printed last (in file order) of all processes.
    pub last: f64,
    /// The slowest rank: the largest value over the processes.
    pub slowest: f64,
    pub processes: usize,
    /// The line `last` was read from.
    pub line: usize,
    /// From timestamps, not printed.
    pub derived: bool,
}

/// Where start-up ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ready {
    pub line: usize,
    /// `server` (the API server listens), `engine` (`init engine … took`), `harness`
    /// (`initialize_engine took`) or `last_step` (V0 before 0.6.5 prints no ready line).
    pub kind: String,
    /// Seconds on the time line; for an untimed ready line, the last timestamp before it.
    pub at_s: Option<f64>,
}

/// Whether start-up reached its end, decided from the log alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completeness {
    pub complete: bool,
    /// Why, in words (names lines).
    pub reason: String,
    /// The line of the traceback or fatal error that ended the log, where one did.
    pub error_line: Option<usize>,
    /// Its message (`RuntimeError: Engine core initialization failed …`).
    pub error: Option<String>,
}

/// One run of vLLM (a file can hold several, one after another).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// `[first, last]` line of the run in the file.
    pub lines: [usize; 2],
    pub vllm_version: Option<String>,
    /// The line the version was read from.
    pub version_line: Option<usize>,
    /// `v0` or `v1` from the engine's banner; `null` if none.
    pub engine: Option<String>,
    pub complete: bool,
    pub completeness: Completeness,
    pub ready: Option<Ready>,
    pub processes: Vec<Process>,
    /// Key → summary, in the order of [`KEYS`].
    pub summary: indexmap::IndexMap<String, Summary>,
    pub timeline: Option<Timeline>,
}

/// What one file gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub schema_version: u32,
    pub log: String,
    /// Lines in the file (counting `\n`).
    pub lines: usize,
    /// Lines with no timestamp on the clock used (read for numbers, left off the time line).
    pub untimed_lines: usize,
    pub clock: Clock,
    /// Seconds between two possible timestamps (1 where vLLM printed no milliseconds).
    pub resolution_s: Option<f64>,
    /// The file ends without a newline: it was cut while a line was being written.
    pub cut_mid_line: bool,
    pub runs: Vec<Run>,
    /// Things a reader should know (two runs, a cut line, the clock used).
    pub warnings: Vec<String>,
}

impl Ledger {
    /// The run a single number should come from: the last one (where the paper's "last line
    /// wins" reads a file of several runs, it ends up mostly in the last).
    pub fn last_run(&self) -> Option<&Run> {
        self.runs.last()
    }
}

/// The ledger of a log's text; `Err(lines)` where no line is a vLLM line.
pub fn ledger_of_text(name: &str, text: &str, opts: Options) -> Result<Ledger, usize> {
    build::ledger(name, text, opts)
}

/// Read a file as text the way a person's editor would: refuse binaries, replace the odd bad
/// byte (a log cut inside a UTF-8 character) instead of failing. Errors name `shown`.
fn read_text(path: &Path, shown: &Path) -> Result<String, LedgerError> {
    let shown = || shown.to_path_buf();
    if path.is_dir() {
        return Err(LedgerError::Directory { path: shown() });
    }
    let bytes = std::fs::read(path).map_err(|source| LedgerError::Io {
        path: shown(),
        source,
    })?;
    if bytes.is_empty() {
        return Err(LedgerError::Empty { path: shown() });
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(LedgerError::Binary {
            path: shown(),
            why: format!("a NUL byte at offset {at}"),
        });
    }
    let text = String::from_utf8_lossy(&bytes);
    let bad = text.matches('\u{fffd}').count();
    if bad * 100 > text.chars().count().max(1) {
        return Err(LedgerError::Binary {
            path: shown(),
            why: format!("{bad} bytes are not UTF-8"),
        });
    }
    Ok(text.into_owned())
}

/// The ledger of one log file.
pub fn ledger_of_file(path: &Path, opts: Options) -> Result<Ledger, LedgerError> {
    ledger_of_file_as(path, &path.display().to_string(), opts)
}

/// The ledger of a file, named `name` in the ledger and in errors (a run's `server.log`, not
/// the temporary folder it was read from).
pub fn ledger_of_file_as(path: &Path, name: &str, opts: Options) -> Result<Ledger, LedgerError> {
    let shown = Path::new(name);
    let text = read_text(path, shown)?;
    ledger_of_text(name, &text, opts).map_err(|lines| LedgerError::NotVllm {
        path: shown.to_path_buf(),
        lines,
    })
}

/// Whether a log's start-up reached its end (engine ready, no traceback after it), judged on
/// the file's last run. A text with no vLLM line is not complete.
pub fn completeness(text: &str) -> Completeness {
    // The ledger's own judgement, from the few lines it rests on (`complete.rs`).
    complete::completeness(text).unwrap_or_else(not_vllm_completeness)
}

fn not_vllm_completeness() -> Completeness {
    Completeness {
        complete: false,
        reason: "no vLLM line found".into(),
        error_line: None,
        error: None,
    }
}

#[cfg(test)]
mod tests;
