//! Which models a `repro models` action works on, the environment it makes them in, and what
//! `repro models list` says of each: the choices behind the command, so they are tested here.

use std::path::{Path, PathBuf};

use crate::config::machines::Device;
use crate::config::Models;
use crate::env::EnvSpec;

use super::tensorize::{self, CopyState};
use super::{ModelError, ModelManifest, Origin, Presence};

/// Why the models asked for cannot be chosen.
#[derive(Debug, thiserror::Error)]
pub enum ChooseError {
    #[error("name the models to fetch (see `repro models list`), or pass --all")]
    NoNames,
    #[error("`{0}` is made locally (`repro models tensorize`), not downloaded")]
    MadeLocally(String),
    #[error("`{0}` is not on any hub: make it with `repro models synth {0}`")]
    SynthOnly(String),
    #[error("`{name}` has no tensorizer copy in models.toml (add `[tensorized.{name}-tensorized]` with `from = \"{name}\"`; known copies: {known})")]
    NoCopy { name: String, known: String },
    #[error("no environment for vLLM {vllm} at `{}`: run `repro env setup --vllm {vllm}{}`, or pass --python", dir.display(), if *device == Device::Cpu { " --device cpu" } else { "" })]
    NoEnv {
        vllm: String,
        dir: PathBuf,
        device: Device,
    },
    #[error("no vLLM environment to make models in: run `repro env setup --device cpu` first, or pass --python")]
    NoTorch,
    #[error("reading `{}`", dir.display())]
    Read {
        dir: PathBuf,
        #[source]
        source: ModelError,
    },
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The models to fetch: those named (each downloadable), or every downloadable one (`all`).
pub fn to_fetch(
    models: &Models,
    requested: &[String],
    all: bool,
) -> Result<Vec<String>, ChooseError> {
    if all {
        return Ok(models
            .models
            .iter()
            .filter(|(_, m)| !m.synthetic_only())
            .map(|(name, _)| name.clone())
            .collect());
    }
    if requested.is_empty() {
        return Err(ChooseError::NoNames);
    }
    for name in requested {
        if !models.models.contains_key(name) {
            if models.tensorized.contains_key(name) {
                return Err(ChooseError::MadeLocally(name.clone()));
            }
            return Err(ModelError::unknown(name, models).into());
        }
        if models.models[name].synthetic_only() {
            return Err(ChooseError::SynthOnly(name.clone()));
        }
    }
    Ok(requested.to_vec())
}

/// The models to synthesize: those named, or every one for `all`; a mistyped name is said
/// before anything else is looked for.
pub fn to_synthesize(models: &Models, names: &[String]) -> Result<Vec<String>, ChooseError> {
    if let Some(name) = names
        .iter()
        .find(|n| *n != "all" && !models.models.contains_key(*n))
    {
        return Err(ModelError::unknown(name, models).into());
    }
    Ok(if names.iter().any(|n| n == "all") {
        models.models.keys().cloned().collect()
    } else {
        names.to_vec()
    })
}

/// The models to verify: those named, else every one with a manifest in `models_dir`.
pub fn to_verify(models: &Models, models_dir: &Path, names: Vec<String>) -> Vec<String> {
    if !names.is_empty() {
        return names;
    }
    models
        .models
        .keys()
        .chain(models.tensorized.keys())
        .filter(|n| models_dir.join(n).join(super::MANIFEST).is_file())
        .cloned()
        .collect()
}

/// `(copy, source)` for each name: a copy of models.toml `[tensorized.*]`, the model one is made
/// from, or `all`.
pub fn to_tensorize(
    models: &Models,
    names: &[String],
) -> Result<Vec<(String, String)>, ChooseError> {
    let mut targets: Vec<(String, String)> = Vec::new();
    for name in names {
        let found: Vec<(String, String)> = models
            .tensorized
            .iter()
            .filter(|(copy, t)| name == "all" || *copy == name || &t.from == name)
            .map(|(copy, t)| (copy.clone(), t.from.clone()))
            .collect();
        if found.is_empty() {
            let known: Vec<&str> = models.tensorized.keys().map(String::as_str).collect();
            return Err(ChooseError::NoCopy {
                name: name.clone(),
                known: known.join(", "),
            });
        }
        for target in found {
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
    }
    Ok(targets)
}

/// The Python of the environment of vLLM `vllm` on `device`, which must be set up.
pub fn env_of(cache: &Path, vllm: &str, device: Device) -> Result<PathBuf, ChooseError> {
    let spec = EnvSpec::new(vllm, device);
    let python = spec.python(cache);
    if !python.is_file() {
        return Err(ChooseError::NoEnv {
            vllm: vllm.to_string(),
            dir: spec.dir(cache),
            device,
        });
    }
    Ok(python)
}

/// The interpreter of a repro environment that has torch: the CPU one, else the paper's GPU one.
pub fn torch_python(cache: &Path) -> Result<PathBuf, ChooseError> {
    [Device::Cpu, Device::Gpu]
        .into_iter()
        .map(|device| EnvSpec::new(crate::env::PAPER_VLLM, device))
        .find(|spec| spec.is_set_up(cache))
        .map(|spec| spec.python(cache))
        .ok_or(ChooseError::NoTorch)
}

/// What `list` says of a model's folder; `size` writes a byte count.
pub fn model_state(dir: &Path, size: fn(u64) -> String) -> Result<String, ChooseError> {
    let presence = super::presence(dir).map_err(|source| ChooseError::Read {
        dir: dir.to_path_buf(),
        source,
    })?;
    Ok(match presence {
        Presence::Absent => "missing".to_string(),
        Presence::Incomplete => "incomplete (fetch again to resume)".to_string(),
        Presence::Present(m) if m.is_synthetic() => {
            format!("SYNTHETIC, {}", size(m.total_size()))
        }
        Presence::Present(m) => match &m.origin {
            Origin::Hub { commit, .. } => format!(
                "present, {} at {}",
                size(m.total_size()),
                &commit[..commit.len().min(12)]
            ),
            Origin::Synthetic { .. } | Origin::Tensorized { .. } => {
                format!("present, {}", size(m.total_size()))
            }
        },
    })
}

/// What `list` says of a tensorizer copy; `size` writes a byte count.
pub fn copy_state(
    models_dir: &Path,
    name: &str,
    from: &str,
    size: fn(u64) -> String,
) -> Result<String, ChooseError> {
    let source_dir = models_dir.join(from);
    let Some(source) = ModelManifest::read(&source_dir)? else {
        return Ok(format!(
            "missing (fetch `{from}` first, then `repro models tensorize {name}`)"
        ));
    };
    let dir = models_dir.join(name);
    Ok(match tensorize::copy_state(&dir, &source)? {
        CopyState::Current => {
            let m = ModelManifest::read(&dir)?.expect("a current copy has a manifest");
            format!(
                "{}present, {}",
                if m.is_synthetic() { "SYNTHETIC, " } else { "" },
                size(m.total_size())
            )
        }
        CopyState::Missing => format!("missing (`repro models tensorize {name}`)"),
        CopyState::Stale => {
            format!("stale: `{from}` changed since (`repro models tensorize {name}`)")
        }
        CopyState::Foreign(problem) => problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Models {
        Models::parse(Path::new("models.toml"), crate::project::MODELS_TOML).unwrap()
    }

    #[test]
    fn fetch_takes_downloadable_models_only_and_says_why_not() {
        let models = models();
        let asked = vec!["qwen-0.5b".to_string()];
        assert_eq!(to_fetch(&models, &asked, false).unwrap(), asked);
        assert!(matches!(
            to_fetch(&models, &[], false),
            Err(ChooseError::NoNames)
        ));
        let copy = vec!["yi-6b-tensorized".to_string()];
        assert!(matches!(
            to_fetch(&models, &copy, false),
            Err(ChooseError::MadeLocally(name)) if name == "yi-6b-tensorized"
        ));
        let all = to_fetch(&models, &[], true).unwrap();
        assert!(all.iter().all(|n| !models.models[n].synthetic_only()));
        assert!(all.contains(&"qwen-0.5b".to_string()));
        let typo = vec!["qwen-0.5".to_string()];
        assert!(matches!(
            to_fetch(&models, &typo, false),
            Err(ChooseError::Model(_))
        ));
    }

    #[test]
    fn tensorize_finds_copies_by_their_name_their_source_or_all_once_each() {
        let models = models();
        let by_copy = to_tensorize(&models, &["yi-6b-tensorized".to_string()]).unwrap();
        let source = &models.tensorized["yi-6b-tensorized"].from;
        assert_eq!(
            by_copy,
            vec![("yi-6b-tensorized".to_string(), source.clone())]
        );
        let by_source = to_tensorize(&models, std::slice::from_ref(source)).unwrap();
        assert!(by_source.contains(&by_copy[0]));
        let twice = to_tensorize(&models, &["all".to_string(), "all".to_string()]).unwrap();
        assert_eq!(twice.len(), models.tensorized.len());
        let none = to_tensorize(&models, &["qwen-0.5b".to_string()]).unwrap_err();
        assert!(none.to_string().contains("known copies: "), "{none}");
    }

    #[test]
    fn synthesize_says_a_mistyped_name_first_and_expands_all() {
        let models = models();
        assert!(to_synthesize(&models, &["all".into(), "nope".into()]).is_err());
        assert_eq!(
            to_synthesize(&models, &["all".into()]).unwrap().len(),
            models.models.len()
        );
        let dir = tempfile::tempdir().unwrap();
        assert!(to_verify(&models, dir.path(), vec![]).is_empty());
        assert_eq!(to_verify(&models, dir.path(), vec!["x".into()]), vec!["x"]);
        assert!(matches!(
            torch_python(dir.path()),
            Err(ChooseError::NoTorch)
        ));
        assert_eq!(
            model_state(&dir.path().join("qwen-0.5b"), |b| b.to_string()).unwrap(),
            "missing"
        );
    }
}
