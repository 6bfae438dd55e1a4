//! `repro env setup|list`

use std::process::ExitCode;

use anyhow::Context;
use repro::env::setup::{self, EnvManifest, Outcome, SetupOptions};
use repro::env::{self as envs, EnvSpec};

use super::Output;
use crate::cli::{EnvAction, EnvArgs};

pub fn run(args: EnvArgs, out: Output) -> anyhow::Result<ExitCode> {
    let cache = envs::cache_dir(&out.project.root);
    match args.action {
        EnvAction::Setup {
            vllm,
            device,
            python,
            find_links,
            offline,
        } => {
            let spec = EnvSpec::new(vllm, device.into());
            let options = SetupOptions {
                cache: cache.clone(),
                project_root: out.project.root.clone(),
                base_python: python,
                find_links,
                offline,
            };
            let steps = repro::progress::terminal::Terminal::new(out.quiet, out.verbose);
            let dir = spec.dir(&cache);
            let done = setup::setup(&spec, &options, &steps);
            steps.finish();
            match done.with_context(|| format!("setting up `{}`", dir.display()))? {
                Outcome::AlreadyThere(m) => println!(
                    "`{}` is already set up (vLLM {}, {}, {} packages): nothing to do",
                    dir.display(),
                    m.vllm,
                    m.python,
                    m.packages.len()
                ),
                Outcome::Created(m) => println!(
                    "set up `{}` in {:.0}s: vLLM {}, {}, {} packages{}",
                    dir.display(),
                    steps.elapsed().as_secs_f64(),
                    m.vllm,
                    m.python,
                    m.packages.len(),
                    m.patch_hash
                        .map(|h| format!(", patches {h}"))
                        .unwrap_or_default()
                ),
            }
        }
        EnvAction::List => {
            let root = cache.join("envs");
            let mut found = 0;
            for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
                if !entry.path().is_dir() {
                    continue;
                }
                found += 1;
                let name = entry.file_name().to_string_lossy().into_owned();
                match EnvManifest::read(&entry.path()) {
                    Some(m) => println!("{name:<28} vLLM {} ({:?}), {}, {} packages, patches {}", m.vllm, m.device, m.python, m.packages.len(), m.patch_hash.as_deref().unwrap_or("none")),
                    None => println!("{name:<28} incomplete or made by hand (no {}): `repro env setup` redoes it", setup::MANIFEST),
                }
            }
            if found == 0 {
                println!(
                    "no environments under `{}` (create one with `repro env setup`)",
                    root.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
