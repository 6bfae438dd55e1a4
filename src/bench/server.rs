//! A server of a benchmark: healthy within a timeout, or why not. The server itself is a
//! background child of the runner's ([`crate::run::child::Background`]: its own process
//! group, under the guard, stopped with SIGTERM → grace → SIGKILL, its output in a log kept with
//! the results); what is a server's own is here — health checks, a free port, the log's end.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::run::child::Background;
use crate::run::Interrupt;

/// A server that could not be started or did not become healthy.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Start(#[from] crate::run::child::BackgroundError),
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

/// The last `lines` lines of a log file (empty if it cannot be read).
pub fn tail(path: &Path, lines: usize) -> String {
    crate::artifacts::tail_lines(path, lines).join("\n")
}

/// Poll `<base>/health`, then `<base>/v1/models`, every 200 ms until one answers 2xx, the
/// server exits, `timeout` passes or Ctrl-C is pressed. Returns the path that answered.
pub async fn wait_healthy(
    client: &reqwest::Client,
    base_url: &str,
    api_key: Option<&str>,
    timeout: Duration,
    mut server: Option<&mut Background>,
    interrupt: &Interrupt,
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
        if interrupt.count() > 0 {
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
