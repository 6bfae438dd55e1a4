//! NVIDIA's Multi-Process Service for a tenants run: one control daemon
//! (`nvidia-cuda-mps-control -f`, a background child under repro's guard, so it dies with repro
//! even on `kill -9`) with private pipe and log folders, found by its clients through
//! `CUDA_MPS_PIPE_DIRECTORY`. Stopped with its `quit` command, then as any child; a daemon
//! left by a repro that was killed is found by its folders and quit on the next start.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::run::child::{Background, BackgroundSpec, Ended};

/// The daemon would not start, or would not say it is ready.
#[derive(Debug, thiserror::Error)]
pub enum MpsError {
    #[error("cannot make the MPS folder `{}`: {source}", path.display())]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the MPS control daemon `{program}` would not start: {source}")]
    Start {
        program: String,
        source: crate::run::child::BackgroundError,
    },
    #[error("the MPS control daemon `{program}` exited ({status}) before it was ready; its output:\n{tail}")]
    Exited {
        program: String,
        status: String,
        tail: String,
    },
    #[error("the servers are healthy but none attached to the MPS daemon (`get_server_list`: {answer:?}): are they on another GPU, or is MPS refused (compute mode, another daemon)?")]
    NotAttached { answer: String },
    #[error("the MPS control daemon `{program}` made no control pipe in `{}` within {}s; its output:\n{tail}", pipe.display(), timeout.as_secs())]
    NotReady {
        program: String,
        pipe: PathBuf,
        timeout: Duration,
        tail: String,
    },
}

/// The private folders of one results folder's daemon.
#[derive(Debug, Clone)]
pub struct MpsDirs {
    pub root: PathBuf,
    pub pipe: PathBuf,
    pub log: PathBuf,
}

impl MpsDirs {
    /// One place per results folder (one repro at a time holds it: the results lock), short
    /// enough for a socket path.
    pub fn for_results(results: &Path) -> MpsDirs {
        let absolute = std::fs::canonicalize(results).unwrap_or_else(|_| results.to_path_buf());
        let hash = blake3::hash(absolute.as_os_str().as_encoded_bytes()).to_hex();
        let root = std::env::temp_dir().join(format!("repro-mps-{}", &hash[..16]));
        MpsDirs {
            pipe: root.join("pipe"),
            log: root.join("log"),
            root,
        }
    }

    /// The environment that points a client (or the control program) at this daemon.
    pub fn env(&self) -> [(String, String); 2] {
        [
            (
                "CUDA_MPS_PIPE_DIRECTORY".into(),
                self.pipe.display().to_string(),
            ),
            (
                "CUDA_MPS_LOG_DIRECTORY".into(),
                self.log.display().to_string(),
            ),
        ]
    }
}

/// What became of a daemon, for `run.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MpsRecord {
    pub program: String,
    pub pipe_directory: PathBuf,
    pub log_directory: PathBuf,
    /// A daemon of an earlier repro that was still there and was quit first.
    pub stale_quit: bool,
    /// `get_server_list` while the tenants were loaded: the MPS servers their clients attached to.
    pub servers: Option<String>,
    /// Whether `quit` ended it.
    pub quit: Option<bool>,
    pub stop: Option<Ended>,
}

/// A running control daemon; stopped when dropped.
#[derive(Debug)]
pub struct MpsDaemon {
    pub dirs: MpsDirs,
    program: String,
    child: Background,
    pub record: MpsRecord,
}

/// Send `command` to the daemon of `dirs` through the control program; its answer, if it gave
/// one within `timeout`.
fn control(program: &str, dirs: &MpsDirs, command: &str, timeout: Duration) -> Option<String> {
    crate::run::child::ask(program, &dirs.env(), command, timeout)
}

/// Whether a `get_server_list` answer names a server (one PID a line).
pub fn any_server(answer: Option<&str>) -> bool {
    answer.is_some_and(|list| list.split_whitespace().any(|w| w.parse::<u32>().is_ok()))
}

impl MpsDaemon {
    /// Quit a stale daemon of these folders, make them afresh, start the daemon and wait for its
    /// control pipe. Its output goes to `log`.
    pub fn start(
        program: &str,
        dirs: MpsDirs,
        log: &Path,
        guard: Option<&Path>,
        timeout: Duration,
    ) -> Result<MpsDaemon, MpsError> {
        let stale = dirs.root.exists();
        if stale {
            // Killed with repro, a daemon may still hold the pipe: ask it to quit, then clear
            // the folders (they are repro's own, in the temporary folder).
            control(program, &dirs, "quit", Duration::from_secs(10));
            let _ = std::fs::remove_dir_all(&dirs.root);
        }
        for dir in [&dirs.pipe, &dirs.log] {
            std::fs::create_dir_all(dir).map_err(|source| MpsError::Folder {
                path: dir.clone(),
                source,
            })?;
        }
        let env = dirs.env().into_iter().collect();
        let args = vec!["-f".to_string()];
        let spec = BackgroundSpec {
            program,
            args: &args,
            env: &env,
            log,
            grace: Duration::from_secs(5),
            guard,
        };
        let mut child = Background::spawn(&spec).map_err(|source| MpsError::Start {
            program: program.to_string(),
            source,
        })?;
        let control_pipe = dirs.pipe.join("control");
        let deadline = Instant::now() + timeout;
        let tail = |log: &Path| crate::artifacts::tail_lines(log, 20).join("\n");
        while !control_pipe.exists() {
            if let Some(status) = child.exited() {
                child.stop();
                let _ = std::fs::remove_dir_all(&dirs.root);
                return Err(MpsError::Exited {
                    program: program.to_string(),
                    status,
                    tail: tail(log),
                });
            }
            if Instant::now() >= deadline {
                child.stop();
                let _ = std::fs::remove_dir_all(&dirs.root);
                return Err(MpsError::NotReady {
                    program: program.to_string(),
                    pipe: dirs.pipe.clone(),
                    timeout,
                    tail: tail(log),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let record = MpsRecord {
            program: program.to_string(),
            pipe_directory: dirs.pipe.clone(),
            log_directory: dirs.log.clone(),
            stale_quit: stale,
            servers: None,
            quit: None,
            stop: None,
        };
        Ok(MpsDaemon {
            dirs,
            program: program.to_string(),
            child,
            record,
        })
    }

    /// Ask the daemon which MPS servers run (clients that attached made them).
    pub fn note_servers(&mut self) {
        self.record.servers = control(
            &self.program,
            &self.dirs,
            "get_server_list",
            Duration::from_secs(10),
        );
    }

    /// `quit`, then up to the grace period for it to go (SIGTERM, SIGKILL after); the folders
    /// are removed, their log copied to `keep_log` first where given. Idempotent.
    pub fn stop(&mut self, keep_log: Option<&Path>) -> MpsRecord {
        if self.record.stop.is_none() {
            let quit = control(&self.program, &self.dirs, "quit", Duration::from_secs(10));
            self.record.quit = Some(quit.is_some());
            let deadline = Instant::now() + Duration::from_secs(5);
            while quit.is_some() && self.child.exited().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            self.record.stop = Some(self.child.stop());
            if let Some(keep) = keep_log {
                let control_log = self.dirs.log.join("control.log");
                if control_log.is_file() {
                    let _ = std::fs::copy(&control_log, keep);
                }
            }
            let _ = std::fs::remove_dir_all(&self.dirs.root);
        }
        self.record.clone()
    }
}

impl Drop for MpsDaemon {
    fn drop(&mut self) {
        self.stop(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_list_names_pids() {
        assert!(any_server(Some("4242\n")));
        assert!(any_server(Some("12 13\n")));
        assert!(!any_server(Some("\n")));
        assert!(!any_server(None));
    }

    #[test]
    fn the_folders_are_one_per_results_folder_and_short() {
        let a = MpsDirs::for_results(Path::new("/some/results"));
        let b = MpsDirs::for_results(Path::new("/other/results"));
        assert_ne!(a.root, b.root);
        assert_eq!(a.pipe, a.root.join("pipe"));
        assert_eq!(a.env()[0].0, "CUDA_MPS_PIPE_DIRECTORY");
    }
}
