//! `repro __server-guard`: a child's process group, ended with it. `PR_SET_PDEATHSIG` reaches
//! only the direct child, and the engine and servers have children of their own (vLLM's engine
//! core, Python's resource tracker). So, where repro can, it starts the guard as the group's
//! leader with a death signal of SIGTERM; the guard runs the command in its group and, when
//! repro dies (even by `kill -9`) or the command exits, ends every other member of the group:
//! SIGTERM, grace, SIGKILL.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::unistd::Pid;

/// The guard's command line around `program args…`: `<exe> __server-guard --grace-ms N --
/// program args…` — the one place it is spelled out.
pub fn command_line(
    exe: &Path,
    grace: Duration,
    program: impl Into<OsString>,
    args: impl IntoIterator<Item = OsString>,
) -> (OsString, Vec<OsString>) {
    let mut line: Vec<OsString> = vec![
        "__server-guard".into(),
        "--grace-ms".into(),
        grace.as_millis().to_string().into(),
        "--".into(),
        program.into(),
    ];
    line.extend(args);
    (exe.as_os_str().to_os_string(), line)
}

/// How a child is launched: its program and arguments — under the guard where repro's
/// executable is given — and the signal it gets when repro dies. The one place that decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Launched {
    pub program: OsString,
    pub args: Vec<OsString>,
    /// SIGTERM for the guard (it ends its whole group on it); SIGKILL for a bare child.
    pub death_signal: libc::c_int,
}

impl Launched {
    pub fn of(
        guard: Option<&Path>,
        grace: Duration,
        program: impl Into<OsString>,
        args: impl IntoIterator<Item = OsString>,
    ) -> Launched {
        match guard {
            Some(exe) => {
                let (program, args) = command_line(exe, grace, program, args);
                Launched {
                    program,
                    args,
                    death_signal: libc::SIGTERM,
                }
            }
            None => Launched {
                program: program.into(),
                args: args.into_iter().collect(),
                death_signal: libc::SIGKILL,
            },
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
