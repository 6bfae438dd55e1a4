//! `repro models synth`: a random-weight model with the architecture and shape of a models.toml
//! entry, made locally by `python/synth_model.py` inside a vLLM environment (it needs torch and
//! transformers), in the same folder and layout `fetch` uses. Its manifest says synthetic, and so
//! does every run made from it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{io, ModelError, ModelFile, ModelManifest, Origin};
use crate::assets;
use crate::config::Model;

/// What `synth_model.py` records in `repro-synth.json`.
#[derive(Debug, Deserialize)]
struct SynthInfo {
    files: BTreeMap<String, SynthFile>,
}

#[derive(Debug, Deserialize)]
struct SynthFile {
    bytes: u64,
    sha256: String,
}

/// What `synth` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Synthesized {
    Made { layers: u32, bytes: u64 },
    AlreadyPresent { layers: u32 },
}

/// The shape passed to the script: the models.toml entry in the names it understands.
fn spec(model: &Model) -> serde_json::Value {
    serde_json::json!({
        "architecture": model.architecture,
        "model_type": model.model_type,
        "hidden_size": model.hidden_size,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.num_attention_heads,
        "num_key_value_heads": model.num_key_value_heads,
        "intermediate_size": model.ffn_dim,
        "vocab_size": model.vocab_size,
    })
}

/// Make `name` (shape of `model`) in `dir` with the interpreter `python` (a vLLM environment's).
pub fn synthesize(
    python: &Path,
    cache: &Path,
    name: &str,
    model: &Model,
    layers: Option<u32>,
    dir: &Path,
    force: bool,
) -> Result<Synthesized, ModelError> {
    let depth = layers.unwrap_or(model.layers);
    if let Some(done) = already_there(dir, depth, force)? {
        return Ok(done);
    }
    run_script(python, cache, model, layers, dir)?;
    let manifest = ModelManifest {
        format: 1,
        name: name.to_string(),
        origin: Origin::Synthetic {
            shape_of: name.to_string(),
            layers: depth,
        },
        files: synth_files(dir)?,
    };
    manifest.write(dir)?;
    Ok(Synthesized::Made {
        layers: depth,
        bytes: manifest.total_size(),
    })
}

/// What `dir` already holds: the same synthetic model (nothing to do), or a hub download that
/// `--force` alone may replace.
fn already_there(dir: &Path, depth: u32, force: bool) -> Result<Option<Synthesized>, ModelError> {
    if let Some(manifest) = ModelManifest::read(dir)? {
        match manifest.origin {
            Origin::Synthetic { layers, .. } if layers == depth && !force => return Ok(Some(Synthesized::AlreadyPresent { layers })),
            Origin::Hub { .. } if !force => {
                return Err(ModelError::Corrupt {
                    path: dir.display().to_string(),
                    problem: "holds the model downloaded from the hub; a synthetic one would replace it (pass --force, or use another --models-dir)".into(),
                })
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Run `synth_model.py` into `dir`; its failure carries the last lines it printed.
fn run_script(
    python: &Path,
    cache: &Path,
    model: &Model,
    layers: Option<u32>,
    dir: &Path,
) -> Result<(), ModelError> {
    let scripts = assets::install(cache, &[assets::SYNTH_MODEL]).map_err(io(cache))?;
    let mut args: Vec<String> = vec![
        scripts.join(assets::SYNTH_MODEL.0).display().to_string(),
        "--out".into(),
        dir.display().to_string(),
        "--spec".into(),
        spec(model).to_string(),
    ];
    if let Some(n) = layers {
        args.extend(["--layers".into(), n.to_string()]);
    }
    if dir.exists() {
        args.push("--force".into());
    }
    let output = duct::cmd(python.as_os_str(), &args)
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()
        .map_err(io(python))?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stdout);
        let tail: Vec<&str> = text
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(ModelError::Corrupt {
            path: dir.display().to_string(),
            problem: format!(
                "synth_model.py failed ({}):\n{}",
                output.status,
                tail.join("\n")
            ),
        });
    }
    Ok(())
}

/// The files the script made, as it recorded them in `repro-synth.json`.
fn synth_files(dir: &Path) -> Result<Vec<ModelFile>, ModelError> {
    let info_path: PathBuf = dir.join("repro-synth.json");
    let info: SynthInfo = serde_json::from_slice(
        &std::fs::read(&info_path).map_err(io(&info_path))?,
    )
    .map_err(|e| ModelError::Corrupt {
        path: info_path.display().to_string(),
        problem: e.to_string(),
    })?;
    Ok(info
        .files
        .iter()
        .map(|(path, f)| ModelFile {
            path: path.clone(),
            size: f.bytes,
            sha256: Some(f.sha256.clone()),
            git_blob: None,
        })
        .collect())
}
