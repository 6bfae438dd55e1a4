//! A Hugging Face hub, spoken to over its public HTTP API (what `huggingface_hub` does):
//! `GET /api/models/<repo>/revision/<rev>?blobs=true` lists the files with sizes and hashes,
//! `GET /<repo>/resolve/<commit>/<file>` downloads one, with `Range` to resume.
//! `HF_ENDPOINT` and `HF_TOKEN` are honoured; the token is sent as a header and never printed,
//! logged or written anywhere.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// An access token; `Debug`/`Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A problem talking to the hub.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{url}: HTTP {status}{}", hint.map(|h| format!("\nhint: {h}")).unwrap_or_default())]
    Status {
        url: String,
        status: u16,
        hint: Option<&'static str>,
    },
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("{url}: unexpected answer: {message}")]
    BadResponse { url: String, message: String },
    #[error("cannot write `{}`: {}", path.display(), crate::sys::problem(source, path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn hint_for(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("the hub wants a token: set HF_TOKEN (a read token from your hub settings)"),
        403 => Some("this model is gated: accept its licence on the model's hub page with the account of your HF_TOKEN"),
        404 => Some("no such repo or revision: check `repo` and `revision` in models.toml"),
        _ => None,
    }
}

/// One file of a repo, as the hub lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubFile {
    pub path: String,
    pub size: u64,
    pub sha256: Option<String>,
    pub blob_id: Option<String>,
}

/// A repo at a resolved commit.
#[derive(Debug, Clone)]
pub struct RepoInfo {
    pub commit: String,
    pub files: Vec<HubFile>,
}

#[derive(Deserialize)]
struct RawInfo {
    sha: String,
    siblings: Vec<RawSibling>,
}

#[derive(Deserialize)]
struct RawSibling {
    rfilename: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default, rename = "blobId")]
    blob_id: Option<String>,
    #[serde(default)]
    lfs: Option<RawLfs>,
}

#[derive(Deserialize)]
struct RawLfs {
    sha256: String,
    size: u64,
}

/// The hub client.
#[derive(Debug, Clone)]
pub struct Hub {
    pub endpoint: String,
    token: Option<Token>,
    client: reqwest::blocking::Client,
}

fn token_from_env() -> Option<Token> {
    for var in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] {
        if let Ok(t) = std::env::var(var) {
            if !t.trim().is_empty() {
                return Some(Token(t.trim().to_string()));
            }
        }
    }
    let home = std::env::var_os("HF_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/huggingface")))?;
    let t = std::fs::read_to_string(home.join("token")).ok()?;
    (!t.trim().is_empty()).then(|| Token(t.trim().to_string()))
}

impl Hub {
    /// From `HF_ENDPOINT` and `HF_TOKEN` (or the token file of `huggingface-cli login`).
    pub fn from_env() -> Result<Hub, HubError> {
        let endpoint =
            std::env::var("HF_ENDPOINT").unwrap_or_else(|_| DEFAULT_ENDPOINT.to_string());
        Hub::new(endpoint.trim_end_matches('/').to_string(), token_from_env())
    }

    pub fn new(endpoint: String, token: Option<Token>) -> Result<Hub, HubError> {
        // reqwest is built without a bundled crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .timeout(None)
            .user_agent(concat!("repro/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HubError::Network {
                url: endpoint.clone(),
                message: e.to_string(),
            })?;
        Ok(Hub {
            endpoint,
            token,
            client,
        })
    }

    fn get(&self, url: &str) -> reqwest::blocking::RequestBuilder {
        let request = self.client.get(url);
        match &self.token {
            Some(Token(t)) => request.bearer_auth(t),
            None => request,
        }
    }

    fn send(
        &self,
        request: reqwest::blocking::RequestBuilder,
        url: &str,
    ) -> Result<reqwest::blocking::Response, HubError> {
        let response = request.send().map_err(|e| HubError::Network {
            url: url.to_string(),
            message: e.without_url().to_string(),
        })?;
        let status = response.status().as_u16();
        if status >= 400 {
            return Err(HubError::Status {
                url: url.to_string(),
                status,
                hint: hint_for(status),
            });
        }
        Ok(response)
    }

    /// The files of `repo` at `revision`, and the commit it resolves to.
    pub fn repo_info(&self, repo: &str, revision: &str) -> Result<RepoInfo, HubError> {
        let url = format!(
            "{}/api/models/{repo}/revision/{revision}?blobs=true",
            self.endpoint
        );
        let response = self.send(self.get(&url), &url)?;
        let bytes = response.bytes().map_err(|e| HubError::Network {
            url: url.clone(),
            message: e.without_url().to_string(),
        })?;
        let raw: RawInfo = serde_json::from_slice(&bytes).map_err(|e| HubError::BadResponse {
            url: url.clone(),
            message: e.to_string(),
        })?;
        let files = raw
            .siblings
            .into_iter()
            .map(|s| HubFile {
                size: s.lfs.as_ref().map(|l| l.size).or(s.size).unwrap_or(0),
                sha256: s.lfs.map(|l| l.sha256),
                blob_id: s.blob_id,
                path: s.rfilename,
            })
            .collect();
        Ok(RepoInfo {
            commit: raw.sha,
            files,
        })
    }

    /// Download one file into `partial`, resuming from its current length; `on_bytes` is told of
    /// every chunk. Returns when the server has sent the whole file.
    pub fn download(
        &self,
        repo: &str,
        commit: &str,
        file: &str,
        partial: &Path,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<(), HubError> {
        let url = format!("{}/{repo}/resolve/{commit}/{file}", self.endpoint);
        let io = |source| HubError::Io {
            path: partial.to_path_buf(),
            source,
        };
        if let Some(parent) = partial.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let have = std::fs::metadata(partial).map(|m| m.len()).unwrap_or(0);
        let mut request = self.get(&url);
        if have > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let mut response = match self.send(request, &url) {
            // Already complete: nothing left in range.
            Err(HubError::Status { status: 416, .. }) => return Ok(()),
            other => other?,
        };
        let resumed = response.status().as_u16() == 206;
        let mut out = std::fs::OpenOptions::new()
            .create(true)
            .append(resumed)
            .write(true)
            .truncate(!resumed)
            .open(partial)
            .map_err(io)?;
        if resumed {
            on_bytes(have);
        }
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let n = response.read(&mut buffer).map_err(|e| HubError::Network {
                url: url.clone(),
                message: format!("connection lost: {e}"),
            })?;
            if n == 0 {
                break;
            }
            out.write_all(&buffer[..n]).map_err(io)?;
            on_bytes(n as u64);
        }
        out.sync_all().map_err(io)?;
        Ok(())
    }
}
