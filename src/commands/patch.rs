//! `repro patch apply|revert|status`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use repro::env::{self, EnvSpec};
use repro::patch::{self, Applied, PatchSet, Status};

use super::Output;
use crate::cli::{PatchAction, PatchArgs};

fn site_packages(args: &PatchArgs, out: &Output) -> anyhow::Result<PathBuf> {
    if let Some(site) = &args.site_packages {
        return Ok(site.clone());
    }
    let spec = EnvSpec::new(args.vllm.clone(), args.device.into());
    let dir = spec.dir(&env::cache_dir(&out.project.root));
    match env::site_packages(&dir) {
        Some(site) => Ok(site),
        None => bail!(
            "no environment at `{}`: create it with `repro env setup --vllm {}{}`, or pass --site-packages DIR",
            dir.display(),
            args.vllm,
            if spec.device == repro::config::machines::Device::Cpu { " --device cpu" } else { "" }
        ),
    }
}

pub fn run(args: PatchArgs, out: Output) -> anyhow::Result<ExitCode> {
    let site = site_packages(&args, &out)?;
    let set = PatchSet::load(&out.project.root, &args.vllm)?;
    match args.action {
        PatchAction::Apply => match patch::apply(&site, &set)
            .with_context(|| format!("patching `{}`", site.display()))?
        {
            Applied::Now { files, patch_hash } => println!(
                "applied {files} patches (hash {patch_hash}) to `{}`",
                site.display()
            ),
            Applied::Already { patch_hash } => {
                println!("already applied (hash {patch_hash}): nothing to do")
            }
        },
        PatchAction::Revert => match patch::revert(&site, args.force)? {
            0 => println!("not applied: nothing to revert"),
            n => println!("restored {n} original files in `{}`", site.display()),
        },
        PatchAction::Status => {
            let status = patch::status(&site, &set)?;
            match &status {
                Status::NotApplied => println!(
                    "not applied (vLLM {} patches would apply cleanly)",
                    set.version
                ),
                Status::Applied { patch_hash } => println!("applied (hash {patch_hash})"),
                Status::Modified { files } => {
                    println!("modified: applied by repro, but changed since:");
                    files.iter().for_each(|f| println!("  {}", f.display()));
                }
                Status::AppliedElsewhere => println!(
                    "applied, but not by repro (no originals kept: reinstall vLLM to undo)"
                ),
                Status::Foreign { files } => {
                    println!(
                        "modified by someone else (not by repro); the patches do not apply to:"
                    );
                    files.iter().for_each(|f| println!("  {}", f.display()));
                }
            }
            if matches!(status, Status::Modified { .. } | Status::Foreign { .. }) {
                return Ok(ExitCode::from(repro::exit::FAILURE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
