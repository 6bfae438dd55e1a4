//! Slurm as an executor of whole split parts: `sbatch` a batch script that runs repro itself on
//! the allocated node (the same figure, part and flags, writing into the shared results
//! folder), record the job id beside the part's results, and follow it with `squeue`/`sacct`.
//! No home-made remote runner: Slurm allocates, starts and accounts; repro only submits and reads
//! states.
//!
//! On disk, per part (versioned like every other repro file):
//! `<results>/<figure>/<part>/slurm-jobs.json` (every submission, newest last) and
//! `<results>/<figure>/<part>/slurm/<job name>.sh` + `slurm-<id>.out` (script and job output).

use std::ffi::OsString;
use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::artifacts::manifest::now_rfc3339;

/// Version of `slurm-jobs.json`.
pub const JOBS_SCHEMA: u32 = 1;
/// The job record's file name in a part's results folder.
pub const JOBS_FILE: &str = "slurm-jobs.json";
/// The batch script's last line of output: `repro-exit-status: <code>`.
pub const EXIT_MARKER: &str = "repro-exit-status: ";

/// Slurm could not be reached or did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    #[error("`{tool}` not found on PATH: install slurm-client (Debian: `apt-get install slurm-client`) or run on that machine without --on")]
    NotInstalled { tool: &'static str },
    #[error("`{tool}` failed ({status}): {stderr}")]
    Failed {
        tool: &'static str,
        status: String,
        stderr: String,
    },
    #[error("`{tool}` could not be started: {source}")]
    Spawn {
        tool: &'static str,
        source: std::io::Error,
    },
    #[error("`sbatch --parsable` printed {0:?}, not a job id")]
    BadJobId(String),
    #[error("cannot write `{}`: {}", path.display(), crate::sys::problem(source, path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is not a slurm job record (schema {JOBS_SCHEMA}): {source}; move it away to start a new one", path.display())]
    BadRecord {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// A Slurm job id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for JobId {
    type Err = SlurmError;
    /// `sbatch --parsable` prints `<id>` or `<id>;<cluster>`.
    fn from_str(s: &str) -> Result<JobId, SlurmError> {
        let id = s.trim().split(';').next().unwrap_or("");
        id.parse()
            .map(JobId)
            .map_err(|_| SlurmError::BadJobId(s.trim().to_string()))
    }
}

/// A job's state as Slurm names it (`squeue -o %T`, `sacct -o State`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum JobState {
    Pending,
    Running,
    Completing,
    Completed,
    Failed,
    Cancelled,
    Timeout,
    OutOfMemory,
    NodeFail,
    /// Neither `squeue` nor `sacct` knows the job any more (no accounting, purged).
    Unknown,
    Other(String),
}

impl JobState {
    pub fn parse(s: &str) -> JobState {
        // sacct writes `CANCELLED by 0`; squeue's %T never has a suffix.
        match s.split_whitespace().next().unwrap_or("") {
            "PENDING" => JobState::Pending,
            "RUNNING" => JobState::Running,
            "COMPLETING" => JobState::Completing,
            "COMPLETED" => JobState::Completed,
            "FAILED" => JobState::Failed,
            "CANCELLED" => JobState::Cancelled,
            "TIMEOUT" => JobState::Timeout,
            "OUT_OF_MEMORY" => JobState::OutOfMemory,
            "NODE_FAIL" => JobState::NodeFail,
            "" | "UNKNOWN" => JobState::Unknown,
            other => JobState::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            JobState::Pending => "PENDING",
            JobState::Running => "RUNNING",
            JobState::Completing => "COMPLETING",
            JobState::Completed => "COMPLETED",
            JobState::Failed => "FAILED",
            JobState::Cancelled => "CANCELLED",
            JobState::Timeout => "TIMEOUT",
            JobState::OutOfMemory => "OUT_OF_MEMORY",
            JobState::NodeFail => "NODE_FAIL",
            JobState::Unknown => "UNKNOWN",
            JobState::Other(s) => s,
        }
    }

    /// The job will not change state any more.
    pub fn is_finished(&self) -> bool {
        !matches!(
            self,
            JobState::Pending | JobState::Running | JobState::Completing | JobState::Other(_)
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<JobState> for String {
    fn from(s: JobState) -> String {
        s.as_str().to_string()
    }
}

impl From<String> for JobState {
    fn from(s: String) -> JobState {
        JobState::parse(&s)
    }
}

/// What to submit: the Slurm options of a machine, and the repro command the job runs.
#[derive(Debug, Clone)]
pub struct Submission {
    /// `repro-<figure>-<part>`.
    pub job_name: String,
    pub partition: String,
    pub gpus: Option<u32>,
    pub time: Option<String>,
    pub account: Option<String>,
    /// The job's working folder (the submitter's, so relative paths mean the same).
    pub workdir: PathBuf,
    /// The part's results folder: the script, the job's output and the record go here.
    pub part_dir: PathBuf,
    /// The machine of machines.toml, recorded.
    pub machine: String,
    /// The program and arguments the job runs.
    pub command: Vec<OsString>,
}

/// Single-quote a word for `sh`.
fn sh_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

impl Submission {
    /// The batch script: Slurm options as `#SBATCH` lines (so the file can be resubmitted by
    /// hand), then the repro command.
    pub fn script(&self) -> String {
        let mut s =
            String::from("#!/bin/sh\n# Written by repro; resubmit with `sbatch <this file>`.\n");
        let mut opt = |line: String| {
            s += "#SBATCH ";
            s += &line;
            s += "\n";
        };
        opt(format!("--job-name={}", self.job_name));
        opt(format!("--partition={}", self.partition));
        if let Some(gpus) = self.gpus {
            opt(format!("--gres=gpu:{gpus}"));
        }
        if let Some(time) = &self.time {
            opt(format!("--time={time}"));
        }
        if let Some(account) = &self.account {
            opt(format!("--account={account}"));
        }
        opt(format!("--chdir={}", self.workdir.display()));
        opt(format!(
            "--output={}",
            self.part_dir.join("slurm").join("slurm-%j.out").display()
        ));
        let words: Vec<String> = self
            .command
            .iter()
            .map(|w| sh_quote(&w.to_string_lossy()))
            .collect();
        s += &words.join(" ");
        // The marker tells `--wait` how repro ended where Slurm has no accounting to ask.
        s += &format!("\nstatus=$?\necho \"{EXIT_MARKER}$status\"\nexit $status\n");
        s
    }

    pub fn script_path(&self) -> PathBuf {
        self.part_dir
            .join("slurm")
            .join(format!("{}.sh", self.job_name))
    }
}

/// Run a Slurm tool, returning its stdout; a missing tool is [`SlurmError::NotInstalled`].
fn tool(name: &'static str, args: &[&std::ffi::OsStr]) -> Result<String, SlurmError> {
    let output = Command::new(name)
        .args(args)
        .output()
        .map_err(|source| match source.kind() {
            ErrorKind::NotFound => SlurmError::NotInstalled { tool: name },
            _ => SlurmError::Spawn { tool: name, source },
        })?;
    if !output.status.success() {
        return Err(SlurmError::Failed {
            tool: name,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether `sbatch` is on PATH (without contacting a controller).
pub fn sbatch_on_path() -> Option<PathBuf> {
    which("sbatch")
}

pub use crate::sys::which;

/// Write the script, `sbatch` it, and append the job to the part's record.
pub fn submit(sub: &Submission) -> Result<JobRecord, SlurmError> {
    // Checked first so a machine without Slurm writes nothing.
    if sbatch_on_path().is_none() {
        return Err(SlurmError::NotInstalled { tool: "sbatch" });
    }
    let script_path = sub.script_path();
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SlurmError::Io { path, source }
    };
    std::fs::create_dir_all(script_path.parent().expect("has a parent"))
        .map_err(io(&script_path))?;
    crate::artifacts::atomic_write(&script_path, sub.script().as_bytes())
        .map_err(io(&script_path))?;
    let out = tool("sbatch", &["--parsable".as_ref(), script_path.as_os_str()])?;
    let id: JobId = out.parse()?;
    let record = JobRecord {
        id,
        name: sub.job_name.clone(),
        machine: sub.machine.clone(),
        partition: sub.partition.clone(),
        submitted: now_rfc3339(),
        script: script_path,
        output: sub.part_dir.join("slurm").join(format!("slurm-{id}.out")),
        command: sub
            .command
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect(),
        last_state: Some(JobState::Pending),
    };
    let mut jobs = Jobs::read(&sub.part_dir)?;
    jobs.jobs.push(record.clone());
    jobs.write(&sub.part_dir)?;
    Ok(record)
}

/// The state of a job: `squeue` while the controller knows it, else `sacct` (accounting).
pub fn query(id: JobId) -> Result<JobState, SlurmError> {
    let id_arg = OsString::from(id.to_string());
    // `-t all` also lists jobs that ended within MinJobAge.
    let out = tool(
        "squeue",
        &[
            "-h".as_ref(),
            "-t".as_ref(),
            "all".as_ref(),
            "-o".as_ref(),
            "%T".as_ref(),
            "-j".as_ref(),
            &id_arg,
        ],
    );
    match out {
        Ok(text) if !text.trim().is_empty() => return Ok(JobState::parse(text.trim())),
        // squeue says "Invalid job id" once the job is purged: ask accounting. Any other
        // failure (controller unreachable) says nothing about the job.
        Ok(_) => {}
        Err(SlurmError::Failed { ref stderr, .. }) if stderr.contains("Invalid job id") => {}
        Err(e) => return Err(e),
    }
    match tool(
        "sacct",
        &[
            "-n".as_ref(),
            "-X".as_ref(),
            "-P".as_ref(),
            "-o".as_ref(),
            "State".as_ref(),
            "-j".as_ref(),
            &id_arg,
        ],
    ) {
        Ok(text) => Ok(JobState::parse(text.lines().next().unwrap_or("").trim())),
        // No accounting storage on this cluster: the job is gone and its end is unknown.
        Err(SlurmError::Failed { .. }) => Ok(JobState::Unknown),
        Err(e) => Err(e),
    }
}

/// Failed queries in a row that `wait` tolerates.
const WAIT_RETRIES: u32 = 10;

/// Poll a job until it finishes, calling `changed` on every new state; returns the last one.
pub fn wait(
    id: JobId,
    poll: Duration,
    changed: &mut dyn FnMut(&JobState),
) -> Result<JobState, SlurmError> {
    let mut last: Option<JobState> = None;
    let mut errors = 0;
    loop {
        let state = match query(id) {
            Ok(state) => {
                errors = 0;
                state
            }
            // A controller restart or a slow network: retry before giving up.
            Err(SlurmError::Failed { .. }) if errors < WAIT_RETRIES => {
                errors += 1;
                std::thread::sleep(poll);
                continue;
            }
            Err(e) => return Err(e),
        };
        if last.as_ref() != Some(&state) {
            changed(&state);
            last = Some(state.clone());
        }
        if state.is_finished() {
            return Ok(state);
        }
        std::thread::sleep(poll);
    }
}

/// The exit status repro's job recorded at the end of its output, if it got there.
pub fn exit_status_in_output(output: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(output).ok()?;
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix(EXIT_MARKER))
        .and_then(|code| code.trim().parse().ok())
}

/// One submitted job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRecord {
    pub id: JobId,
    pub name: String,
    pub machine: String,
    pub partition: String,
    pub submitted: String,
    pub script: PathBuf,
    pub output: PathBuf,
    pub command: Vec<String>,
    /// The state last seen by repro (`--wait` or `repro status`); Slurm is the authority.
    #[serde(default)]
    pub last_state: Option<JobState>,
}

/// `slurm-jobs.json`: the jobs submitted for one part, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jobs {
    pub schema: u32,
    pub jobs: Vec<JobRecord>,
}

impl Jobs {
    /// The record of a part folder; empty where none was written.
    pub fn read(part_dir: &Path) -> Result<Jobs, SlurmError> {
        let path = part_dir.join(JOBS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|source| SlurmError::BadRecord { path, source }),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Jobs {
                schema: JOBS_SCHEMA,
                jobs: vec![],
            }),
            Err(source) => Err(SlurmError::Io { path, source }),
        }
    }

    pub fn write(&self, part_dir: &Path) -> Result<(), SlurmError> {
        let path = part_dir.join(JOBS_FILE);
        let mut json = serde_json::to_vec_pretty(self).expect("jobs serialise");
        json.push(b'\n');
        crate::artifacts::atomic_write(&path, &json)
            .map_err(|source| SlurmError::Io { path, source })
    }

    /// Remember the last state seen of a job.
    pub fn set_state(&mut self, id: JobId, state: &JobState) {
        for job in self.jobs.iter_mut().filter(|j| j.id == id) {
            job.last_state = Some(state.clone());
        }
    }
}

/// The job's name for a part: `repro-10-gpu1` for `figure-10/gpu1`.
pub fn job_name(part: &str) -> String {
    format!(
        "repro-{}",
        part.trim_start_matches("figure-").replace('/', "-")
    )
}

/// Wait for a submitted job, each new state told to `changed` and recorded in the part's
/// `slurm-jobs.json` (a convenience: failing to update it does not stop the wait).
pub fn wait_recorded(
    job: &JobRecord,
    part_dir: &Path,
    poll: Duration,
    changed: &mut dyn FnMut(&JobState),
) -> Result<JobState, SlurmError> {
    wait(job.id, poll, &mut |state| {
        changed(state);
        if let Ok(mut jobs) = Jobs::read(part_dir) {
            jobs.set_state(job.id, state);
            let _ = jobs.write(part_dir);
        }
    })
}

/// Whether a finished job's repro succeeded: Slurm says completed, or, with no accounting and
/// the job already purged, the script's own marker says repro exited 0.
pub fn succeeded(state: &JobState, exit_status: Option<i32>) -> bool {
    matches!(
        (state, exit_status),
        (JobState::Completed, _) | (JobState::Unknown, Some(0))
    )
}

/// `repro status`'s note on a part's latest job: its state now (squeue/sacct), or the last
/// state repro saw where Slurm cannot be asked here.
pub fn job_note(part_dir: &Path) -> Option<String> {
    let jobs = Jobs::read(part_dir).ok()?;
    let job = jobs.jobs.last()?;
    let state = match query(job.id) {
        Ok(JobState::Unknown) => match exit_status_in_output(&job.output) {
            Some(0) => "ended, repro exited 0".to_string(),
            Some(code) => format!("ended, repro exited {code}"),
            None => "UNKNOWN".to_string(),
        },
        Ok(state) => state.to_string(),
        Err(_) => format!(
            "{} when last seen",
            job.last_state.as_ref().map_or("submitted", |s| s.as_str())
        ),
    };
    Some(format!("slurm job {} on {}: {state}", job.id, job.machine))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_and_states_parse() {
        assert_eq!("123\n".parse::<JobId>().unwrap(), JobId(123));
        assert_eq!("77;cluster".parse::<JobId>().unwrap(), JobId(77));
        assert!("Submitted".parse::<JobId>().is_err());
        assert_eq!(JobState::parse("CANCELLED by 0"), JobState::Cancelled);
        assert!(JobState::parse("COMPLETED").is_finished());
        assert!(!JobState::parse("PENDING").is_finished());
        assert!(!JobState::parse("CONFIGURING").is_finished());
    }

    #[test]
    fn the_script_carries_the_options_and_quotes_the_command() {
        let sub = Submission {
            job_name: "repro-10-gpu1".into(),
            partition: "gpu".into(),
            gpus: Some(1),
            time: Some("04:00:00".into()),
            account: None,
            workdir: "/work".into(),
            part_dir: "/r/figure-10/gpu1".into(),
            machine: "n2".into(),
            command: vec![
                "/bin/repro".into(),
                "figure".into(),
                "a b".into(),
                "it's".into(),
            ],
        };
        let script = sub.script();
        assert!(script.contains("#SBATCH --gres=gpu:1\n"));
        assert!(script.contains("#SBATCH --time=04:00:00\n"));
        assert!(!script.contains("--account"));
        assert!(script.contains("#SBATCH --output=/r/figure-10/gpu1/slurm/slurm-%j.out\n"));
        assert!(script.contains("\n/bin/repro figure 'a b' 'it'\\''s'\nstatus=$?\n"));
    }

    #[test]
    fn a_part_names_its_job_and_a_finished_job_says_whether_repro_succeeded() {
        assert_eq!(super::job_name("figure-10/gpu1"), "repro-10-gpu1");
        assert_eq!(super::job_name("bench-cpu-smoke"), "repro-bench-cpu-smoke");
        assert!(super::succeeded(&JobState::Completed, None));
        assert!(super::succeeded(&JobState::Unknown, Some(0)));
        assert!(!super::succeeded(&JobState::Unknown, Some(1)));
        assert!(!super::succeeded(&JobState::Unknown, None));
        assert!(!super::succeeded(&JobState::parse("FAILED"), Some(0)));
    }
}
