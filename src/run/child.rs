//! Child processes, one lifecycle for all of them: each in its own process group, killed with
//! repro (`PR_SET_PDEATHSIG`, through [`super::guard`] where its group must go too), stopped by
//! SIGTERM to the group, a grace period, then SIGKILL.
//!
//! - [`run`]: a run to its end (the engine) — stdout teed into a log while each line is
//!   reported (stderr to a file of its own, or merged as `2>&1 | tee`), a timeout; Ctrl-C stops
//!   it the same way, a second Ctrl-C kills at once.
//! - [`Background`]: a child that runs beside repro until stopped (a server) — its output
//!   straight to a log file (no pipe to fill), stopped on demand or when dropped.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// How long a stopped child gets between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);

/// Ctrl-C presses, shared between the signal handler and the runner. Tests use one that is
/// never raised.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicU32>);

impl Interrupt {
    pub fn raise(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub fn count(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A command to run.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    pub program: OsString,
    pub args: Vec<OsString>,
    /// Added to repro's own environment.
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub grace: Duration,
    /// Where stderr goes; `None` merges it into the log.
    pub stderr: Option<std::path::PathBuf>,
    /// Sent to the child when repro dies (`PR_SET_PDEATHSIG`): SIGKILL, or SIGTERM for a guard
    /// that takes its process group down with it.
    pub death_signal: libc::c_int,
}

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signaled(i32),
}

/// Why repro stopped the child, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    No,
    TimedOut,
    Interrupted,
}

#[derive(Debug, Clone)]
pub struct ChildOutcome {
    pub ending: Ending,
    pub stopped: Stopped,
    pub wall: Duration,
}

impl ChildOutcome {
    pub fn succeeded(&self) -> bool {
        self.stopped == Stopped::No && self.ending == Ending::Exited(0)
    }
}

/// The child could not be started or its output not saved.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("cannot write the log: {0}")]
    Log(std::io::Error),
    #[error("waiting for the child failed: {0}")]
    Wait(std::io::Error),
}

/// Escalation state of a child being stopped.
enum Phase {
    Running,
    Terminating { since: Instant },
    Killed,
}

/// Start `cmd` as the leader of its own process group, sent `death_signal` when repro (process
/// `parent`) dies — even by `kill -9`.
fn arm(cmd: &mut std::process::Command, death_signal: libc::c_int, parent: u32) {
    cmd.process_group(0);
    // SAFETY: only async-signal-safe calls (prctl, getppid, _exit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, death_signal);
            if libc::getppid() as u32 != parent {
                libc::_exit(137); // repro died before the death signal was armed
            }
            Ok(())
        });
    }
}

fn signal_group(pgid: Pid, signal: Signal) {
    // ESRCH: the group is already gone, which is what we want.
    let _ = killpg(pgid, signal);
}

/// Run `spec`, writing its output to `log` and each line to `on_line`.
pub fn run(
    spec: &ChildSpec,
    log: File,
    on_line: &mut dyn FnMut(&str),
    interrupt: &Interrupt,
) -> Result<ChildOutcome, ChildError> {
    let expr = command(spec)?;
    let start = Instant::now();
    let handle = Arc::new(expr.reader().map_err(|source| ChildError::Spawn {
        program: spec.program.to_string_lossy().into_owned(),
        source,
    })?);
    let pgid = Pid::from_raw(handle.pids()[0] as i32);

    let (lines_tx, lines_rx) = mpsc::channel::<String>();
    let reader = {
        let handle = handle.clone();
        std::thread::spawn(move || tee(&handle, log, &lines_tx))
    };

    let mut escalation = Escalation {
        phase: Phase::Running,
        stopped: Stopped::No,
    };
    let status = loop {
        while let Ok(line) = lines_rx.recv_timeout(POLL) {
            on_line(&line);
        }
        if let Some(output) = handle.try_wait().map_err(ChildError::Wait)? {
            break output.status;
        }
        // Every press counts, even one that came while the child was being started: a run is
        // only ever started while there has been none (the runner checks before each).
        escalation.step(spec, pgid, start, interrupt.count());
    };
    // The leader is gone; take down anything it left in its group, so the pipe closes.
    signal_group(pgid, Signal::SIGKILL);
    let tee_result = reader.join().unwrap_or(Ok(()));
    for line in lines_rx.try_iter() {
        on_line(&line);
    }
    tee_result.map_err(ChildError::Log)?;
    Ok(ChildOutcome {
        ending: ending_of(status),
        stopped: escalation.stopped,
        wall: start.elapsed(),
    })
}

/// The child's command, not yet started: its stderr where `spec` says (its folder made), armed
/// to die with repro, its environment added.
fn command(spec: &ChildSpec) -> Result<duct::Expression, ChildError> {
    let parent = std::process::id();
    let mut expr = duct::cmd(&spec.program, &spec.args);
    expr = match &spec.stderr {
        Some(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(ChildError::Log)?;
            }
            expr.stderr_path(path)
        }
        None => expr.stderr_to_stdout(),
    };
    let death_signal = spec.death_signal;
    let mut expr = expr.unchecked().before_spawn(move |cmd| {
        arm(cmd, death_signal, parent);
        Ok(())
    });
    for (key, value) in &spec.env {
        expr = expr.env(key, value);
    }
    Ok(expr)
}

/// Where stopping a running child stands, and why it was stopped.
struct Escalation {
    phase: Phase,
    stopped: Stopped,
}

impl Escalation {
    /// One poll's step: SIGTERM on the first press or the timeout, SIGKILL on a second press
    /// or after the grace period; a press after a timeout makes it an interrupted run.
    fn step(&mut self, spec: &ChildSpec, pgid: Pid, start: Instant, presses: u32) {
        let now = Instant::now();
        let phase = std::mem::replace(&mut self.phase, Phase::Killed);
        self.phase = match phase {
            Phase::Running if presses > 0 || now - start >= spec.timeout => {
                self.stopped = if presses > 0 {
                    Stopped::Interrupted
                } else {
                    Stopped::TimedOut
                };
                signal_group(pgid, Signal::SIGTERM);
                Phase::Terminating { since: now }
            }
            Phase::Terminating { since } if presses > 1 || now - since >= spec.grace => {
                signal_group(pgid, Signal::SIGKILL);
                Phase::Killed
            }
            Phase::Killed if presses > 0 && self.stopped == Stopped::TimedOut => {
                self.stopped = Stopped::Interrupted;
                Phase::Killed
            }
            other => other,
        };
    }
}

/// How the child ended, from its exit status.
fn ending_of(status: std::process::ExitStatus) -> Ending {
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(signal)) => Ending::Signaled(signal),
        (None, None) => Ending::Exited(-1),
    }
}

/// Copy the child's output to the log, sending each complete line on.
fn tee(
    handle: &duct::ReaderHandle,
    mut log: File,
    lines: &mpsc::Sender<String>,
) -> std::io::Result<()> {
    let mut reader = handle;
    let mut buf = [0u8; 16 * 1024];
    let mut pending = Vec::new();
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        log.write_all(&buf[..n])?;
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let _ = lines.send(String::from_utf8_lossy(&line[..end]).into_owned());
        }
    }
    if !pending.is_empty() {
        let _ = lines.send(String::from_utf8_lossy(&pending).into_owned());
    }
    log.flush()
}

/// Process groups of running background children, for the second Ctrl-C (kill at once).
static LIVE_GROUPS: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// SIGKILL every running background child's process group (second Ctrl-C).
pub fn kill_all_now() {
    if let Ok(groups) = LIVE_GROUPS.lock() {
        for &pgid in groups.iter() {
            signal_group(Pid::from_raw(pgid), Signal::SIGKILL);
        }
    }
}

/// How a background child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndedBy {
    /// On its own, before it was stopped.
    Exited,
    /// SIGTERM, within the grace period.
    Sigterm,
    /// SIGKILL, after the grace period.
    Sigkill,
}

/// A background child's end.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ended {
    pub how: EndedBy,
    /// The exit status as text (`exit status: 0`, `signal: 15 (SIGTERM)`).
    pub status: String,
}

/// Ask a short command: `input` on its stdin, its stdout back where it exits 0 within
/// `timeout`; killed (its group) when it does not, and with repro should repro die. For
/// control programs that answer one question (the MPS daemon's `nvidia-cuda-mps-control`).
pub fn ask(
    program: &str,
    env: &[(String, String)],
    input: &str,
    timeout: Duration,
) -> Option<String> {
    use std::process::Stdio;
    let mut command = std::process::Command::new(program);
    command
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    arm(&mut command, libc::SIGKILL, std::process::id());
    let mut child = command.spawn().ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{input}");
    }
    // Its answer is read while it runs: a full pipe would stall it.
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        if let Some(mut stdout) = stdout {
            let _ = stdout.read_to_string(&mut out);
        }
        out
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
            _ => {
                signal_group(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                let _ = child.wait();
                break None;
            }
        }
    };
    let out = reader.join().unwrap_or_default();
    status.filter(|s| s.success()).map(|_| out)
}

/// What to start in the background.
#[derive(Debug, Clone)]
pub struct BackgroundSpec<'a> {
    pub program: &'a str,
    pub args: &'a [String],
    /// Added to repro's own environment.
    pub env: &'a indexmap::IndexMap<String, String>,
    /// Where its stdout and stderr go.
    pub log: &'a std::path::Path,
    /// Between SIGTERM and SIGKILL when it is stopped.
    pub grace: Duration,
    /// The repro executable: run it under [`super::guard`], so its whole group goes with it.
    pub guard: Option<&'a std::path::Path>,
}

/// A child running beside repro (the leader of its own process group) until stopped.
#[derive(Debug)]
pub struct Background {
    child: std::process::Child,
    pgid: i32,
    pub log: std::path::PathBuf,
    pub grace: Duration,
    ended: Option<Ended>,
}

/// A background child that could not be started.
#[derive(Debug, thiserror::Error)]
pub enum BackgroundError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("cannot write the log `{}`: {source}", path.display())]
    Log {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl Background {
    /// Its process group (its own pid): every process it started, unless one left the group.
    pub fn pgid(&self) -> i32 {
        self.pgid
    }

    /// Start it. Call this from a thread that lives as long as the child (the death signal
    /// follows the spawning thread).
    pub fn spawn(spec: &BackgroundSpec<'_>) -> Result<Background, BackgroundError> {
        use std::process::Stdio;
        let log_err = |source| BackgroundError::Log {
            path: spec.log.to_path_buf(),
            source,
        };
        let out = File::create(spec.log).map_err(log_err)?;
        let err = out.try_clone().map_err(log_err)?;
        let args = spec.args.iter().map(OsString::from);
        let launched = super::guard::Launched::of(spec.guard, spec.grace, spec.program, args);
        let mut command = std::process::Command::new(launched.program);
        command
            .args(launched.args)
            .envs(spec.env)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        arm(&mut command, launched.death_signal, std::process::id());
        let child = command.spawn().map_err(|source| BackgroundError::Spawn {
            program: spec.program.to_string(),
            source,
        })?;
        let pgid = child.id() as i32;
        if let Ok(mut groups) = LIVE_GROUPS.lock() {
            groups.push(pgid);
        }
        Ok(Background {
            child,
            pgid,
            log: spec.log.to_path_buf(),
            grace: spec.grace,
            ended: None,
        })
    }

    /// The exit status, if it has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            _ => None,
        }
    }

    fn group_alive(&self) -> bool {
        killpg(Pid::from_raw(self.pgid), None).is_ok()
    }

    /// SIGTERM to the group, up to the grace period for every member to go, then SIGKILL.
    /// Idempotent.
    pub fn stop(&mut self) -> Ended {
        if let Some(ended) = &self.ended {
            return ended.clone();
        }
        let early = self.exited();
        let mut how = if early.is_some() {
            EndedBy::Exited
        } else {
            EndedBy::Sigterm
        };
        signal_group(Pid::from_raw(self.pgid), Signal::SIGTERM);
        let deadline = Instant::now() + self.grace;
        loop {
            let _ = self.child.try_wait();
            if !self.group_alive() {
                break;
            }
            if Instant::now() >= deadline {
                signal_group(Pid::from_raw(self.pgid), Signal::SIGKILL);
                if early.is_none() {
                    how = EndedBy::Sigkill;
                }
                break;
            }
            std::thread::sleep(POLL);
        }
        let status = self
            .child
            .wait()
            .map(|s| s.to_string())
            .unwrap_or_else(|e| format!("unknown ({e})"));
        if let Ok(mut groups) = LIVE_GROUPS.lock() {
            groups.retain(|&g| g != self.pgid);
        }
        let ended = Ended {
            how,
            status: early.unwrap_or(status),
        };
        self.ended = Some(ended.clone());
        ended
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if self.ended.is_none() {
            self.grace = self.grace.min(Duration::from_secs(2));
            self.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_gets_its_answer_and_a_silent_program_is_killed() {
        let env = [("GREETING".to_string(), "hi".to_string())];
        let answer = ask(
            "sh",
            &env,
            "read q; echo \"$GREETING $q\"",
            Duration::from_secs(30),
        );
        // `sh` reads its script from stdin: the first line runs `read`, which takes nothing
        // more, so the answer is the greeting.
        assert_eq!(answer.as_deref().map(str::trim), Some("hi"));
        assert_eq!(ask("false", &[], "", Duration::from_secs(30)), None);
        // Killed at its timeout, with the group it made (else this waits for the sleep).
        assert_eq!(
            ask("sh", &[], "sleep 600", Duration::from_millis(100)),
            None
        );
    }

    /// Wait until `log` holds `text`, the child's sign that it got where the test needs it
    /// (a trap installed, a line printed): never a fixed time, which a loaded machine outruns.
    fn wait_for_text(log: &std::path::Path, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !std::fs::read_to_string(log).is_ok_and(|l| l.contains(text)) {
            assert!(
                Instant::now() < deadline,
                "no {text:?} in {}",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn sh(script: &str, timeout: Duration) -> ChildSpec {
        ChildSpec {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("GREETING".into(), "hi".into())],
            timeout,
            grace: Duration::from_millis(300),
            stderr: None,
            death_signal: libc::SIGKILL,
        }
    }

    #[test]
    fn output_is_teed_and_exit_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut lines = Vec::new();
        let outcome = run(
            &sh(
                "echo $GREETING; echo err >&2; exit 3",
                Duration::from_secs(10),
            ),
            File::create(&path).unwrap(),
            &mut |l| lines.push(l.to_string()),
            &Interrupt::default(),
        )
        .unwrap();
        assert_eq!(outcome.ending, Ending::Exited(3));
        assert_eq!(outcome.stopped, Stopped::No);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hi\nerr\n");
        assert_eq!(lines, ["hi", "err"]);
    }

    #[test]
    fn timeout_terms_then_kills_the_group() {
        let dir = tempfile::tempdir().unwrap();
        // The shell ignores SIGTERM, so only the SIGKILL after the grace period ends it; its
        // background sleep is in the same group and must go too.
        let outcome = run(
            &sh(
                "trap '' TERM; sleep 30 & sleep 30",
                Duration::from_millis(200),
            ),
            File::create(dir.path().join("log")).unwrap(),
            &mut |_| {},
            &Interrupt::default(),
        )
        .unwrap();
        assert_eq!(outcome.stopped, Stopped::TimedOut);
        assert_eq!(outcome.ending, Ending::Signaled(libc::SIGKILL));
        assert!(outcome.wall < Duration::from_secs(5), "{:?}", outcome.wall);
    }

    #[test]
    fn interrupt_stops_the_child() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let interrupt = Interrupt::default();
        let raiser = interrupt.clone();
        let seen = log.clone();
        std::thread::spawn(move || {
            wait_for_text(&seen, "up");
            raiser.raise();
        });
        let outcome = run(
            &sh("echo up; sleep 30", Duration::from_secs(60)),
            File::create(&log).unwrap(),
            &mut |_| {},
            &interrupt,
        )
        .unwrap();
        assert_eq!(outcome.stopped, Stopped::Interrupted);
        assert_eq!(outcome.ending, Ending::Signaled(libc::SIGTERM));
    }

    #[test]
    fn a_second_interrupt_kills_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let interrupt = Interrupt::default();
        let raiser = interrupt.clone();
        let seen = log.clone();
        // The child says when its trap is set and when the first interrupt's SIGTERM came (and
        // was shrugged off); each interrupt waits for the sign before it.
        std::thread::spawn(move || {
            wait_for_text(&seen, "up");
            raiser.raise();
            wait_for_text(&seen, "term");
            raiser.raise();
        });
        let script = "trap 'echo term' TERM; echo up; while :; do sleep 0.05; done";
        let mut spec = sh(script, Duration::from_secs(60));
        spec.grace = Duration::from_secs(30);
        let outcome = run(&spec, File::create(&log).unwrap(), &mut |_| {}, &interrupt).unwrap();
        assert_eq!(outcome.stopped, Stopped::Interrupted);
        assert_eq!(outcome.ending, Ending::Signaled(libc::SIGKILL));
        assert!(outcome.wall < Duration::from_secs(5), "{:?}", outcome.wall);
    }

    fn background(log: &std::path::Path, script: &str, grace: Duration) -> Background {
        let env = indexmap::IndexMap::new();
        let args = ["-c".to_string(), script.to_string()];
        Background::spawn(&BackgroundSpec {
            program: "sh",
            args: &args,
            env: &env,
            log,
            grace,
            guard: None,
        })
        .unwrap()
    }

    #[test]
    fn stopping_a_background_child_ends_its_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        // A shell that starts a grandchild and ignores nothing: SIGTERM ends both.
        let mut child = background(
            &log,
            "echo started; sleep 30 & wait",
            Duration::from_secs(5),
        );
        let pgid = child.pgid;
        wait_for_text(&log, "started");
        assert_eq!(child.stop().how, EndedBy::Sigterm);
        assert!(killpg(Pid::from_raw(pgid), None).is_err(), "group gone");
        assert!(std::fs::read_to_string(&log).unwrap().contains("started"));
    }

    #[test]
    fn a_background_child_ignoring_sigterm_is_killed_after_the_grace() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let script = "trap '' TERM; echo ready; while :; do sleep 0.05; done";
        let mut child = background(&log, script, Duration::from_millis(300));
        wait_for_text(&log, "ready");
        let started = Instant::now();
        assert_eq!(child.stop().how, EndedBy::Sigkill);
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
}
