//! One child process: its own process group, killed with repro (PR_SET_PDEATHSIG), stdout teed
//! into a log file while each line is reported (stderr to a file of its own, or merged as
//! `2>&1 | tee`), a timeout that
//! sends SIGTERM to the group, waits a grace period, then SIGKILLs it. Ctrl-C stops it the same
//! way; a second Ctrl-C kills at once.

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
        cmd.process_group(0);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // Die with repro, even on `kill -9` of repro.
                libc::prctl(libc::PR_SET_PDEATHSIG, death_signal);
                if libc::getppid() as u32 != parent {
                    libc::_exit(137);
                }
                Ok(())
            });
        }
        Ok(())
    });
    for (key, value) in &spec.env {
        expr = expr.env(key, value);
    }
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

    let mut phase = Phase::Running;
    let mut stopped = Stopped::No;
    let status = loop {
        while let Ok(line) = lines_rx.recv_timeout(POLL) {
            on_line(&line);
        }
        if let Some(output) = handle.try_wait().map_err(ChildError::Wait)? {
            break output.status;
        }
        // Every press counts, even one that came while the child was being started: a run is
        // only ever started while there has been none (the runner checks before each).
        let presses = interrupt.count();
        let now = Instant::now();
        phase = match phase {
            Phase::Running if presses > 0 || now - start >= spec.timeout => {
                stopped = if presses > 0 {
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
            Phase::Killed if presses > 0 && stopped == Stopped::TimedOut => {
                stopped = Stopped::Interrupted;
                Phase::Killed
            }
            other => other,
        };
    };
    // The leader is gone; take down anything it left in its group, so the pipe closes.
    signal_group(pgid, Signal::SIGKILL);
    let tee_result = reader.join().unwrap_or(Ok(()));
    for line in lines_rx.try_iter() {
        on_line(&line);
    }
    tee_result.map_err(ChildError::Log)?;
    let ending = match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(signal)) => Ending::Signaled(signal),
        (None, None) => Ending::Exited(-1),
    };
    Ok(ChildOutcome {
        ending,
        stopped,
        wall: start.elapsed(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let interrupt = Interrupt::default();
        let raiser = interrupt.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            raiser.raise();
        });
        let outcome = run(
            &sh("sleep 30", Duration::from_secs(60)),
            File::create(dir.path().join("log")).unwrap(),
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
        let interrupt = Interrupt::default();
        let raiser = interrupt.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            raiser.raise();
            std::thread::sleep(Duration::from_millis(100));
            raiser.raise();
        });
        let mut spec = sh("trap '' TERM; sleep 30", Duration::from_secs(60));
        spec.grace = Duration::from_secs(30);
        let outcome = run(
            &spec,
            File::create(dir.path().join("log")).unwrap(),
            &mut |_| {},
            &interrupt,
        )
        .unwrap();
        assert_eq!(outcome.stopped, Stopped::Interrupted);
        assert_eq!(outcome.ending, Ending::Signaled(libc::SIGKILL));
        assert!(outcome.wall < Duration::from_secs(5), "{:?}", outcome.wall);
    }
}
