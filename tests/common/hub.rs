//! A local Hugging Face hub for tests: the two endpoints `repro models fetch` uses, with
//! failure injection (a connection dropped mid-file, gated repos, corrupt bytes).

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use sha2::Digest;

pub struct RepoFile {
    pub path: String,
    pub content: Vec<u8>,
    /// Listed as an LFS file (sha256) instead of a git blob.
    pub lfs: bool,
}

#[derive(Default)]
pub struct Behaviour {
    /// Drop the connection after this many bytes, the first time this file is requested.
    pub drop_first_download_of: Option<(String, usize)>,
    /// Repos that answer 403 unless the token is `good-token`.
    pub gated: Vec<String>,
    /// Serve these bytes instead of the real content (the listing keeps the real hash).
    pub corrupt: Option<(String, Vec<u8>)>,
}

pub struct HubServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<String>>>,
    pub auth_headers: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    server: Arc<tiny_http::Server>,
}

fn blob_id(content: &[u8]) -> String {
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    hex::encode(h.finalize())
}

/// A reader that fails after `limit` bytes: the server then cuts the connection.
struct Dropping {
    data: std::io::Cursor<Vec<u8>>,
    limit: usize,
    sent: usize,
}

impl Read for Dropping {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.sent >= self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "dropped on purpose",
            ));
        }
        let room = (self.limit - self.sent).min(buf.len());
        let n = self.data.read(&mut buf[..room])?;
        self.sent += n;
        Ok(n)
    }
}

impl HubServer {
    pub fn start(repos: HashMap<String, Vec<RepoFile>>, behaviour: Behaviour) -> HubServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let auth_headers = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (srv, reqs, auths, stop2) = (
            server.clone(),
            requests.clone(),
            auth_headers.clone(),
            stop.clone(),
        );
        let behaviour = Mutex::new(behaviour);
        let handle = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let Ok(Some(request)) = srv.recv_timeout(std::time::Duration::from_millis(50))
                else {
                    continue;
                };
                let path = request.url().to_string();
                let header = |name: &str| {
                    request
                        .headers()
                        .iter()
                        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                        .map(|h| h.value.as_str().to_string())
                };
                let auth = header("Authorization").unwrap_or_default();
                let range = header("Range");
                reqs.lock().unwrap().push(format!(
                    "{path} range={}",
                    range.clone().unwrap_or_default()
                ));
                auths.lock().unwrap().push(auth.clone());
                let mut b = behaviour.lock().unwrap();
                let response = respond(&repos, &mut b, &path, &auth, range.as_deref());
                let _ = request.respond(response);
            }
        });
        HubServer {
            url,
            requests,
            auth_headers,
            stop,
            handle: Some(handle),
            server,
        }
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

type Resp = tiny_http::Response<Box<dyn Read + Send>>;

fn boxed(status: u16, body: Vec<u8>) -> Resp {
    let len = body.len();
    tiny_http::Response::new(
        status.into(),
        vec![],
        Box::new(std::io::Cursor::new(body)) as Box<dyn Read + Send>,
        Some(len),
        None,
    )
}

fn respond(
    repos: &HashMap<String, Vec<RepoFile>>,
    b: &mut Behaviour,
    path: &str,
    auth: &str,
    range: Option<&str>,
) -> Resp {
    let path = path.split('?').next().unwrap_or(path);
    if let Some(rest) = path.strip_prefix("/api/models/") {
        let Some((repo, _rev)) = rest.split_once("/revision/") else {
            return boxed(400, vec![]);
        };
        if b.gated.iter().any(|g| g == repo) && auth != "Bearer good-token" {
            return boxed(
                if auth.is_empty() { 401 } else { 403 },
                b"{\"error\":\"gated\"}".to_vec(),
            );
        }
        let Some(files) = repos.get(repo) else {
            return boxed(404, b"{\"error\":\"not found\"}".to_vec());
        };
        let siblings: Vec<serde_json::Value> = files
            .iter()
            .map(|f| {
                if f.lfs {
                    serde_json::json!({"rfilename": f.path, "size": f.content.len(), "blobId": "x", "lfs": {"sha256": hex::encode(sha2::Sha256::digest(&f.content)), "size": f.content.len(), "pointerSize": 134}})
                } else {
                    serde_json::json!({"rfilename": f.path, "size": f.content.len(), "blobId": blob_id(&f.content)})
                }
            })
            .collect();
        let body = serde_json::json!({"id": repo, "sha": "0123456789abcdef0123456789abcdef01234567", "siblings": siblings});
        return boxed(200, serde_json::to_vec(&body).unwrap());
    }
    // /<owner>/<name>/resolve/<commit>/<file>
    let Some((repo, rest)) = path.trim_start_matches('/').split_once("/resolve/") else {
        return boxed(404, vec![]);
    };
    if b.gated.iter().any(|g| g == repo) && auth != "Bearer good-token" {
        return boxed(403, vec![]);
    }
    let Some((_commit, file)) = rest.split_once('/') else {
        return boxed(404, vec![]);
    };
    let Some(f) = repos
        .get(repo)
        .and_then(|fs| fs.iter().find(|f| f.path == file))
    else {
        return boxed(404, vec![]);
    };
    let mut content = f.content.clone();
    if let Some((name, bytes)) = &b.corrupt {
        if name == file {
            content = bytes.clone();
        }
    }
    let start = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
        .unwrap_or(0);
    if start >= content.len() && start > 0 {
        return boxed(416, vec![]);
    }
    let body = content[start..].to_vec();
    let status = if start > 0 { 206 } else { 200 };
    let drop_now = matches!(&b.drop_first_download_of, Some((name, _)) if name == file);
    if drop_now {
        let (_, limit) = b.drop_first_download_of.take().unwrap();
        let len = body.len();
        let reader = Dropping {
            data: std::io::Cursor::new(body),
            limit,
            sent: 0,
        };
        return tiny_http::Response::new(
            status.into(),
            vec![],
            Box::new(reader) as Box<dyn Read + Send>,
            Some(len),
            None,
        );
    }
    boxed(status, body)
}

/// A models.toml entry of a tiny Llama shape named `name` on the hub at `repo`.
pub fn model_entry(name: &str, repo: &str) -> String {
    format!(
        "[models.{name}]\nrepo = \"{repo}\"\nrevision = \"main\"\ndisplay = \"{name}\"\narchitecture = \"LlamaForCausalLM\"\nmodel_type = \"llama\"\nsize = 0.001\nlayers = 2\nnum_key_value_heads = 2\nnum_attention_heads = 2\nhidden_size = 64\nffn_dim = 128\nvocab_size = 256\ntokenizer_size = 0.1\ncompiled_graph_sizes = 1\n"
    )
}
