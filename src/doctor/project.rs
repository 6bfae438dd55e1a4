//! Checks against the project: disk for the models the recipes use, `repro env` environments
//! and their patches, and what machines.toml says this machine runs.

use std::collections::BTreeMap;

use super::{Check, CheckId, Inputs, Level};
use crate::config::machines::{Device, Machine, Machines};
use crate::env::setup::{EnvManifest, MANIFEST};
use crate::plan::{self, EngineKind, PlanRequest};
use crate::recipe::Recipe;

const GB: f64 = 1e9;

/// Every recipe with each of its parts (`None` for an unsplit one).
fn recipes(inputs: &Inputs) -> Vec<(Recipe, Vec<Option<u32>>)> {
    crate::recipe::builtin_ids()
        .filter_map(|id| inputs.project.recipe(id).ok())
        .map(|r| {
            let parts = match &r.split {
                None => vec![None],
                Some(s) => s.parts.iter().map(|p| Some(p.index)).collect(),
            };
            (r, parts)
        })
        .collect()
}

/// bf16 weights of each model the recipes load: 2 bytes a parameter.
pub fn models_needed(inputs: &Inputs) -> BTreeMap<String, f64> {
    let Ok(models) = inputs.project.models() else {
        return BTreeMap::new();
    };
    let mut needed = BTreeMap::new();
    for (recipe, parts) in recipes(inputs) {
        for part in parts {
            let request = PlanRequest {
                recipe: &recipe,
                models: &models,
                results: &inputs.results_dir,
                part,
                engine: EngineKind::Real,
                iterations: Some(1),
                models_dir: &inputs.models_dir,
                patch_hash: None,
                // Only the models matter here; the device and KV cache change no model.
                device: Device::Gpu,
                only_models: &[],
                only_vllm: &[],
                cpu_kv_cache_gib: 4,
            };
            let Ok(plan) = plan::plan(&request) else {
                continue;
            };
            for task in &plan.tasks {
                let Some(name) = task
                    .config
                    .model_dir
                    .as_ref()
                    .and_then(|d| d.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                else {
                    continue;
                };
                if let Some(model) = models.get(&name) {
                    needed.insert(name, model.size * 2.0 * GB);
                }
            }
        }
    }
    needed
}

pub fn disk_models(inputs: &Inputs) -> Check {
    let needed = models_needed(inputs);
    let dir = &inputs.models_dir;
    // Models already fetched need no more room.
    let missing: f64 = needed
        .iter()
        .filter(|(name, _)| !dir.join(name).is_dir())
        .map(|(_, bytes)| bytes)
        .sum();
    let total: f64 = needed.values().sum();
    let Some(free) = super::system::free_bytes(dir) else {
        return Check::new(
            CheckId::DiskModels,
            Level::Warn,
            format!("cannot read the free space at `{}`", dir.display()),
        );
    };
    let detail = format!(
        "{:.0} GB free at `{}`; `repro figure all` loads {} models, {:.0} GB of bf16 weights ({:.0} GB not fetched yet)",
        free as f64 / GB,
        dir.display(),
        needed.len(),
        total / GB,
        missing / GB
    );
    if free as f64 >= missing {
        Check::new(CheckId::DiskModels, Level::Ok, detail)
    } else {
        Check::new(CheckId::DiskModels, Level::Warn, detail)
            .hint("pass --models-dir DIR on a larger disk, or fetch only the models of the figures you run")
    }
}

pub fn envs(inputs: &Inputs) -> Check {
    let root = inputs.cache.join("envs");
    let mut lines = Vec::new();
    let mut incomplete = Vec::new();
    let mut unpatched = Vec::new();
    let mut stale = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(manifest) = EnvManifest::read(&entry.path()) else {
            incomplete.push(name);
            continue;
        };
        let patches = patch_status(inputs, &entry.path(), &manifest);
        if !patches.starts_with("patched") {
            unpatched.push(name.clone());
        }
        let spec = crate::env::EnvSpec::new(&manifest.vllm, manifest.device);
        let current = crate::env::setup::recipe_id(&spec, &inputs.project.root)
            .is_ok_and(|recipe| crate::env::setup::is_current(&manifest, &spec, &recipe));
        if !current {
            stale.push(name.clone());
        }
        lines.push(format!(
            "{name} (vLLM {}, {patches}{})",
            manifest.vllm,
            if current {
                ""
            } else {
                ", made from an older setup recipe"
            }
        ));
    }
    if lines.is_empty() && incomplete.is_empty() {
        return Check::new(
            CheckId::Envs,
            Level::Missing,
            format!("no environments under `{}`", root.display()),
        )
        .hint(
            "`repro env setup` (GPU) or `repro env setup --device cpu`; `--engine fake` needs none",
        );
    }
    let mut detail = lines.join("; ");
    if !incomplete.is_empty() {
        if !detail.is_empty() {
            detail += "; ";
        }
        detail += &format!("incomplete (no {MANIFEST}): {}", incomplete.join(", "));
    }
    let check = Check::new(
        CheckId::Envs,
        if incomplete.is_empty() && unpatched.is_empty() && stale.is_empty() {
            Level::Ok
        } else {
            Level::Warn
        },
        detail,
    );
    if !incomplete.is_empty() || !stale.is_empty() {
        check.hint("rerun `repro env setup` for the incomplete or older ones (`repro figure` does it itself)")
    } else if !unpatched.is_empty() {
        check.hint("`repro patch apply --vllm <v>` (add --device cpu for a CPU environment)")
    } else {
        check
    }
}

/// `patched`, `not patched`, … for an environment's site-packages.
fn patch_status(inputs: &Inputs, env_dir: &std::path::Path, manifest: &EnvManifest) -> String {
    use crate::patch::Status;
    let Some(site) = crate::env::site_packages(env_dir) else {
        return "no site-packages".into();
    };
    let set = match crate::patch::PatchSet::load(&inputs.project.root, &manifest.vllm) {
        Ok(set) => set,
        Err(_) => return format!("no profiling patches for vLLM {}", manifest.vllm),
    };
    match crate::patch::status(&site, &set) {
        Ok(Status::Applied { .. }) => "patched".into(),
        Ok(Status::AppliedElsewhere) => "patched (not by repro)".into(),
        Ok(Status::NotApplied) => "patches not applied".into(),
        Ok(Status::Modified { files }) => format!("patched, {} files changed since", files.len()),
        Ok(Status::Foreign { files }) => format!("{} files changed by someone else", files.len()),
        Err(e) => format!("patch status unknown: {e}"),
    }
}

pub fn machine(inputs: &Inputs, has_gpu: bool, host: &str) -> Check {
    let machines = match inputs.project.machines() {
        Ok(m) => m,
        Err(e) => {
            return Check::new(CheckId::Machine, Level::Warn, format!("{e}"))
                .hint("fix machines.toml")
        }
    };
    let found = find_machine(inputs, &machines, host);
    let unsplit: Vec<String> = recipes(inputs)
        .into_iter()
        .filter(|(r, _)| r.split.is_none())
        .map(|(r, _)| r.folder.trim_start_matches("figure-").to_string())
        .collect();
    let engine_note = if has_gpu {
        ""
    } else {
        "; no GPU here: only with --engine fake or --device cpu"
    };
    match found {
        Some((name, machine, how)) => {
            let runs = if machine.runs.is_empty() {
                "no split parts".to_string()
            } else {
                machine.runs.join(", ")
            };
            let cpu_machine = machine.device == Device::Cpu;
            let level = if has_gpu || cpu_machine {
                Level::Ok
            } else {
                Level::Warn
            };
            Check::new(
                CheckId::Machine,
                level,
                format!(
                    "`{name}` (by {how}): runs {runs}, and the unsplit figures {}{}",
                    unsplit.join(", "),
                    if cpu_machine {
                        "; with --device cpu"
                    } else {
                        engine_note
                    }
                ),
            )
        }
        None => unknown_machine(inputs, &machines, host, &unsplit, engine_note),
    }
}

/// The entry of machines.toml this machine is, with how it was found: the one `--machine`
/// names, else the one whose name or description is this host's name.
fn find_machine<'a>(
    inputs: &Inputs,
    machines: &'a Machines,
    host: &str,
) -> Option<(String, &'a Machine, &'static str)> {
    let short = host.split('.').next().unwrap_or(host);
    match &inputs.machine {
        Some(name) => machines
            .machines
            .get_key_value(name)
            .map(|(n, m)| (n.clone(), m, "--machine")),
        None => machines
            .machines
            .iter()
            // The paper's machines.toml describes n1 as "node1", its hostname.
            .find(|(n, m)| {
                [n.as_str(), m.description.as_str()]
                    .iter()
                    .any(|x| *x == short || *x == host)
            })
            .map(|(n, m)| (n.clone(), m, "hostname")),
    }
}

/// The check when machines.toml has no entry for this machine: it runs only the unsplit figures.
fn unknown_machine(
    inputs: &Inputs,
    machines: &Machines,
    host: &str,
    unsplit: &[String],
    engine_note: &str,
) -> Check {
    let known: Vec<&str> = machines.machines.keys().map(String::as_str).collect();
    let level = if inputs.machine.is_some() {
        Level::Missing
    } else {
        Level::Warn
    };
    let what = match &inputs.machine {
        Some(name) => format!("no machine `{name}` in machines.toml"),
        None => format!("this host `{host}` is not in machines.toml"),
    };
    Check::new(
        CheckId::Machine,
        level,
        format!(
            "{what}: it runs the unsplit figures {}{engine_note}",
            unsplit.join(", ")
        ),
    )
    .hint(format!("pass --machine NAME (known: {})", known.join(", ")))
}
