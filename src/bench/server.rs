//! The server's lifecycle: started as a child in its own process group, healthy within a
//! timeout, stopped with SIGTERM to the group → grace period → SIGKILL. Its stdout and stderr go
//! straight to a log file (no pipe to fill), which is kept with the results.
//!
//! Dying with repro: `PR_SET_PDEATHSIG` reaches only the direct child, and servers have children
//! of their own (vLLM's engine core, Python's resource tracker). So, where repro can, it starts
//! a guard (`repro __server-guard`, [`guard`]) as the group's leader with a death signal of
//! SIGTERM; the guard runs the server in its group and, when repro dies (even by `kill -9`) or
//! the server exits, ends every other member of the group: SIGTERM, grace, SIGKILL.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// A server that could not be started or did not become healthy.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("cannot write the server log `{}`: {source}", path.display())]
    Log {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the server exited ({status}) before it was healthy; the end of `{}`:\n{tail}", log.display())]
    Exited {
        status: String,
        log: PathBuf,
        tail: String,
    },
    #[error("the server at {url} was not healthy after {}s (last answer: {last}); the end of `{}`:\n{tail}", timeout.as_secs(), log.display())]
    NotHealthy {
        url: String,
        timeout: Duration,
        last: String,
        log: PathBuf,
        tail: String,
    },
    #[error("interrupted while waiting for the server")]
    Interrupted,
}

/// Process groups of running servers, for the second Ctrl-C (kill at once).
static LIVE_GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// SIGKILL every running server's process group (second Ctrl-C, or exiting in a hurry).
pub fn kill_all_now() {
    if let Ok(groups) = LIVE_GROUPS.lock() {
        for &pgid in groups.iter() {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
    }
}

/// A running server process (the leader of its own process group).
#[derive(Debug)]
pub struct Server {
    child: Child,
    pgid: i32,
    pub log: PathBuf,
    pub grace: Duration,
    stopped: Option<Stopped>,
}

/// How a server ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stopped {
    /// `exited` (on its own, before the stop), `sigterm` (within the grace period) or `sigkill`.
    pub how: &'static str,
    /// The exit status as text (`exit status: 0`, `signal: 15 (SIGTERM)`).
    pub status: String,
}

fn describe(status: ExitStatus) -> String {
    status.to_string()
}

/// The last `lines` lines of a log file (empty if it cannot be read).
pub fn tail(path: &Path, lines: usize) -> String {
    crate::artifacts::tail_lines(path, lines).join("\n")
}

impl Server {
    /// Start `program args…` with `env` added, output to `log`. Call this from a thread that
    /// lives as long as the server (the death signal follows the spawning thread).
    /// With `guard` (the path of the repro executable), the server runs under
    /// `repro __server-guard`; without, it is the group's leader itself.
    pub fn spawn(
        program: &str,
        args: &[String],
        env: &IndexMap<String, String>,
        log: &Path,
        grace: Duration,
        guard: Option<&Path>,
    ) -> Result<Server, ServerError> {
        let log_err = |source| ServerError::Log {
            path: log.to_path_buf(),
            source,
        };
        let out = File::create(log).map_err(log_err)?;
        let err = out.try_clone().map_err(log_err)?;
        let (mut command, death_signal) = match guard {
            Some(exe) => {
                let mut c = Command::new(exe);
                c.arg("__server-guard")
                    .arg("--grace-ms")
                    .arg(grace.as_millis().to_string())
                    .arg("--")
                    .arg(program)
                    .args(args);
                (c, libc::SIGTERM)
            }
            None => {
                let mut c = Command::new(program);
                c.args(args);
                (c, libc::SIGKILL)
            }
        };
        command
            .envs(env)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls (prctl, getppid, _exit) between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, death_signal) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() != parent {
                    libc::_exit(1); // repro died before the death signal was armed
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|source| ServerError::Spawn {
            program: program.to_string(),
            source,
        })?;
        let pgid = child.id() as i32;
        if let Ok(mut groups) = LIVE_GROUPS.lock() {
            groups.push(pgid);
        }
        Ok(Server {
            child,
            pgid,
            log: log.to_path_buf(),
            grace,
            stopped: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if the server has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(describe(status)),
            _ => None,
        }
    }

    fn group_alive(&self) -> bool {
        killpg(Pid::from_raw(self.pgid), None).is_ok()
    }

    /// SIGTERM to the group, up to `grace` for every member to go, then SIGKILL. Idempotent.
    pub fn stop(&mut self) -> Stopped {
        if let Some(s) = &self.stopped {
            return s.clone();
        }
        let early = self.exited();
        let mut how = if early.is_some() { "exited" } else { "sigterm" };
        let _ = killpg(Pid::from_raw(self.pgid), Signal::SIGTERM);
        let deadline = Instant::now() + self.grace;
        loop {
            let _ = self.child.try_wait();
            if !self.group_alive() {
                break;
            }
            if Instant::now() >= deadline {
                let _ = killpg(Pid::from_raw(self.pgid), Signal::SIGKILL);
                if early.is_none() {
                    how = "sigkill";
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = self
            .child
            .wait()
            .map(describe)
            .unwrap_or_else(|e| format!("unknown ({e})"));
        if let Ok(mut groups) = LIVE_GROUPS.lock() {
            groups.retain(|&g| g != self.pgid);
        }
        let stopped = Stopped {
            how,
            status: early.unwrap_or(status),
        };
        self.stopped = Some(stopped.clone());
        stopped
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.stopped.is_none() {
            self.grace = self.grace.min(Duration::from_secs(2));
            self.stop();
        }
    }
}

static GUARD_STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn guard_signal(_: libc::c_int) {
    GUARD_STOP.store(true, Ordering::SeqCst);
}

/// Members of process group `pgid` other than this process, not yet dead (zombies excluded).
fn group_members(pgid: i32) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|&pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses.
            let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.first() != Some(&"Z") && fields.get(2).and_then(|g| g.parse().ok()) == Some(pgid)
        })
        .collect()
}

/// End every other member of this process group: SIGTERM, up to `grace`, SIGKILL.
fn end_group(grace: Duration) {
    let pgid = nix::unistd::getpgrp().as_raw();
    let members = group_members(pgid);
    if members.is_empty() {
        return;
    }
    for &pid in &members {
        let _ = nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if group_members(pgid).is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for pid in group_members(pgid) {
        let _ = nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// `repro __server-guard`: run `argv` in this process group and make sure nothing of the group
/// outlives it. On SIGTERM, SIGINT or SIGHUP (repro stopping the server, or repro's death via
/// the death signal) the whole group gets SIGTERM, then SIGKILL after `grace`; when the server
/// exits on its own, what it left behind is ended the same way. Returns the server's exit code
/// (128 + the signal if a signal ended it).
pub fn guard(argv: &[String], grace: Duration) -> std::io::Result<i32> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet};
    let action = SigAction::new(
        SigHandler::Handler(guard_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        // SAFETY: the handler only stores to an atomic.
        unsafe { sigaction(signal, &action) }.map_err(std::io::Error::from)?;
    }
    let Some((program, args)) = argv.split_first() else {
        return Err(std::io::Error::other("no server command given"));
    };
    let mut child = Command::new(program).args(args).spawn()?;
    let code = |status: ExitStatus| {
        use std::os::unix::process::ExitStatusExt;
        status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
    };
    loop {
        if let Some(status) = child.try_wait()? {
            end_group(grace);
            return Ok(code(status));
        }
        if GUARD_STOP.load(Ordering::SeqCst) {
            let _ = nix::sys::signal::kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
            end_group(grace);
            let _ = child.kill();
            return Ok(code(child.wait()?));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Poll `<base>/health`, then `<base>/v1/models`, every 200 ms until one answers 2xx, the
/// server exits, `timeout` passes or `interrupted` is set. Returns the path that answered.
pub async fn wait_healthy(
    client: &reqwest::Client,
    base_url: &str,
    api_key: Option<&str>,
    timeout: Duration,
    mut server: Option<&mut Server>,
    interrupted: &AtomicBool,
) -> Result<&'static str, ServerError> {
    let deadline = Instant::now() + timeout;
    let mut last = String::from("no answer yet");
    loop {
        for path in ["/health", "/v1/models"] {
            let mut req = client
                .get(format!("{base_url}{path}"))
                .timeout(Duration::from_secs(2));
            if let Some(key) = api_key {
                req = req.bearer_auth(key);
            }
            match req.send().await {
                Ok(r) if r.status().is_success() => return Ok(path),
                Ok(r) => last = format!("{path}: HTTP {}", r.status()),
                Err(e) => {
                    last = format!(
                        "{path}: {}",
                        if e.is_connect() {
                            "connection refused".to_string()
                        } else {
                            e.to_string()
                        }
                    )
                }
            }
        }
        if let Some(server) = server.as_deref_mut() {
            if let Some(status) = server.exited() {
                return Err(ServerError::Exited {
                    status,
                    log: server.log.clone(),
                    tail: tail(&server.log, 30),
                });
            }
        }
        if interrupted.load(Ordering::SeqCst) {
            return Err(ServerError::Interrupted);
        }
        if Instant::now() >= deadline {
            let (log, tail) = match server {
                Some(s) => (s.log.clone(), tail(&s.log, 30)),
                None => (PathBuf::from("(not started by repro)"), String::new()),
            };
            return Err(ServerError::NotHealthy {
                url: base_url.to_string(),
                timeout,
                last,
                log,
                tail,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A free loopback port (bound and released; the server binds it right after).
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_terminates_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        // A shell that starts a grandchild and ignores nothing: SIGTERM ends both.
        let mut server = Server::spawn(
            "sh",
            &["-c".into(), "echo started; sleep 30 & wait".into()],
            &IndexMap::new(),
            &log,
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        let pgid = server.pgid;
        std::thread::sleep(Duration::from_millis(200));
        let stopped = server.stop();
        assert_eq!(stopped.how, "sigterm");
        assert!(killpg(Pid::from_raw(pgid), None).is_err(), "group gone");
        assert!(tail(&log, 5).contains("started"));
    }

    #[test]
    fn a_server_ignoring_sigterm_is_killed_after_the_grace() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let mut server = Server::spawn(
            "sh",
            &[
                "-c".into(),
                "trap '' TERM; echo ready; while :; do sleep 0.05; done".into(),
            ],
            &IndexMap::new(),
            &log,
            Duration::from_millis(300),
            None,
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        assert_eq!(server.stop().how, "sigkill");
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
}
