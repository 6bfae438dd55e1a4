//! `repro models fetch|list|verify` against a local hub.

use std::collections::HashMap;

use crate::common::hub::{model_entry, Behaviour, HubServer, RepoFile};
use crate::common::*;

fn models_toml() -> String {
    model_entry("tiny", "test/tiny") + "\n" + &model_entry("gated", "test/gated")
}

fn weights() -> Vec<u8> {
    (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect()
}

fn repos() -> HashMap<String, Vec<RepoFile>> {
    let files = |config: &str| {
        vec![
            RepoFile {
                path: "config.json".into(),
                content: config.as_bytes().to_vec(),
                lfs: false,
            },
            RepoFile {
                path: "model.safetensors".into(),
                content: weights(),
                lfs: true,
            },
            RepoFile {
                path: "sub/tokenizer.json".into(),
                content: b"{\"vocab\": {}}".to_vec(),
                lfs: false,
            },
        ]
    };
    HashMap::from([
        ("test/tiny".to_string(), files("{\"a\": 1}")),
        ("test/gated".to_string(), files("{\"b\": 2}")),
    ])
}

fn project(hub: &HubServer) -> Test {
    Test::new()
        .write("models.toml", models_toml())
        .env("HF_ENDPOINT", &hub.url)
        .env("HF_TOKEN", "")
        .env("HF_HOME", "/nonexistent")
}

#[test]
fn fetch_downloads_verifies_and_is_idempotent() {
    let hub = HubServer::start(repos(), Behaviour::default());
    let t = project(&hub);
    let fetch = t.args(["models", "fetch", "tiny"]);
    fetch.run().success().stdout_has("tiny: 3 files");
    assert_eq!(
        std::fs::read(fetch.path("models/tiny/model.safetensors")).unwrap(),
        weights()
    );
    assert!(fetch.path("models/tiny/sub/tokenizer.json").is_file());
    assert!(!fetch.path("models/tiny/.partial").exists());
    fetch.run().success().stdout_has("already present");
    let list = fetch.command().args(["--help"]).output().unwrap();
    assert!(list.status.success());
    let out = std::process::Command::new(REPRO)
        .current_dir(fetch.dir.path())
        .args(["models", "list"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("tiny") && stdout.contains("present, 1.14 MiB at 0123456789ab"),
        "{stdout}"
    );
    assert!(
        stdout.contains("gated") && stdout.contains("missing"),
        "{stdout}"
    );
}

#[test]
fn a_dropped_connection_resumes_where_it_stopped() {
    let behaviour = Behaviour {
        drop_first_download_of: Some(("model.safetensors".into(), 500_000)),
        ..Behaviour::default()
    };
    let hub = HubServer::start(repos(), behaviour);
    let t = project(&hub).args(["models", "fetch", "tiny", "--parallel", "1"]);
    t.run()
        .failure()
        .stderr_has("connection lost")
        .stderr_has("run the same command again to resume");
    let partial = t.path("models/tiny/.partial/model.safetensors.part");
    let kept = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    assert!(kept > 0, "the partial download is kept");
    assert!(
        !t.path("models/tiny/.repro-model.json").exists(),
        "an incomplete model is not marked present"
    );
    t.run().success();
    assert_eq!(
        std::fs::read(t.path("models/tiny/model.safetensors")).unwrap(),
        weights()
    );
    let requests = hub.requests.lock().unwrap().clone();
    assert!(requests.iter().any(|r| r.contains("model.safetensors") && r.contains(&format!("range=bytes={kept}-"))), "{requests:#?}");
}

#[test]
fn a_gated_model_is_explained_and_the_token_never_printed() {
    let hub = HubServer::start(
        repos(),
        Behaviour {
            gated: vec!["test/gated".into()],
            ..Behaviour::default()
        },
    );
    let t = project(&hub).env("HF_TOKEN", "hf_secret_wrong_token");
    let out = t
        .args(["models", "fetch", "gated"])
        .run()
        .failure()
        .stderr_has("HTTP 403")
        .stderr_has("gated");
    assert!(!out.stderr.contains("hf_secret") && !out.stdout.contains("hf_secret"));
    assert!(
        hub.auth_headers
            .lock()
            .unwrap()
            .iter()
            .any(|h| h == "Bearer hf_secret_wrong_token"),
        "HF_TOKEN is sent"
    );
    let ok = project(&hub)
        .env("HF_TOKEN", "good-token")
        .args(["models", "fetch", "gated"])
        .run()
        .success();
    assert!(!ok.stdout.contains("good-token"));
}

#[test]
fn corrupt_bytes_are_caught_and_not_kept() {
    let behaviour = Behaviour {
        corrupt: Some(("model.safetensors".into(), vec![0u8; 1_200_000])),
        ..Behaviour::default()
    };
    let hub = HubServer::start(repos(), behaviour);
    let t = project(&hub).args(["models", "fetch", "tiny"]);
    t.run().failure().stderr_has("sha256");
    assert!(!t.path("models/tiny/model.safetensors").exists());
    assert!(!t.path("models/tiny/.repro-model.json").exists());
}

#[test]
fn verify_finds_a_changed_file_and_unknown_models_are_named() {
    let hub = HubServer::start(repos(), Behaviour::default());
    let t = project(&hub).args(["models", "fetch", "tiny"]);
    t.run().success();
    std::fs::write(t.path("models/tiny/sub/tokenizer.json"), b"{\"vocab\": {]}").unwrap();
    let verify = std::process::Command::new(REPRO)
        .current_dir(t.dir.path())
        .args(["models", "verify"])
        .output()
        .unwrap();
    assert!(!verify.status.success());
    assert!(String::from_utf8_lossy(&verify.stdout).contains("git blob"));
    project(&hub)
        .args(["models", "fetch", "nope"])
        .run()
        .failure()
        .stderr_has("unknown model `nope`");
}
