//! Checks of the machine itself: GPUs, disks, page-cache control, Python, Slurm.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{Check, CheckId, Level};
use crate::run::evict;
use crate::samplers::gpu::GpuInventory;
pub use crate::sys::which;

const GIB: f64 = (1u64 << 30) as f64;

pub use crate::sys::hostname;

pub fn gpus(inventory: &GpuInventory) -> Check {
    match inventory {
        GpuInventory::Available {
            driver,
            cuda,
            devices,
        } if !devices.is_empty() => {
            let list: Vec<String> = devices
                .iter()
                .map(|d| {
                    format!(
                        "{}: {} ({:.0} GiB)",
                        d.index,
                        d.name,
                        d.memory_total_bytes as f64 / GIB
                    )
                })
                .collect();
            Check::new(
                CheckId::Gpus,
                Level::Ok,
                format!(
                    "{} GPU(s), driver {}{}: {}",
                    devices.len(),
                    driver.as_deref().unwrap_or("?"),
                    cuda.as_ref().map_or(String::new(), |v| format!(" (CUDA {v})")),
                    list.join(", ")
                ),
            )
        }
        GpuInventory::Available { driver, .. } => Check::new(
            CheckId::Gpus,
            Level::Missing,
            format!(
                "NVIDIA driver {} but no GPU visible",
                driver.as_deref().unwrap_or("?")
            ),
        )
        .hint("check CUDA_VISIBLE_DEVICES and `nvidia-smi`; without a GPU use --engine fake or --device cpu"),
        GpuInventory::Unavailable(why) => Check::new(CheckId::Gpus, Level::Missing, format!("no GPU: {why}"))
            .hint("this machine runs `--engine fake` or vLLM's CPU build (`repro env setup --device cpu`, then --device cpu)"),
    }
}

pub fn cuda_visible_devices(value: Option<&str>) -> Check {
    match value {
        None => Check::new(
            CheckId::CudaVisibleDevices,
            Level::Ok,
            "unset (every GPU visible)",
        ),
        Some(v) if v.trim().is_empty() || v.trim() == "-1" => Check::new(
            CheckId::CudaVisibleDevices,
            Level::Warn,
            format!("CUDA_VISIBLE_DEVICES={v:?} hides every GPU"),
        )
        .hint("unset it, or list the GPUs to use (`CUDA_VISIBLE_DEVICES=0`)"),
        Some(v) => Check::new(
            CheckId::CudaVisibleDevices,
            Level::Ok,
            format!("CUDA_VISIBLE_DEVICES={v}"),
        ),
    }
}

/// The nearest folder that exists at or above `path` (a results folder may not exist yet).
pub use crate::sys::{existing_ancestor, free_bytes};

/// Results are logs and small JSON files: a few MB a figure; 1 GiB leaves room for samples.
const RESULTS_NEED: u64 = 1 << 30;

pub fn disk_results(results: &Path) -> Check {
    match free_bytes(results) {
        Some(free) if free >= RESULTS_NEED => Check::new(
            CheckId::DiskResults,
            Level::Ok,
            format!(
                "{:.1} GiB free at `{}` (results need well under 1 GiB)",
                free as f64 / GIB,
                results.display()
            ),
        ),
        Some(free) => Check::new(
            CheckId::DiskResults,
            Level::Warn,
            format!(
                "only {:.2} GiB free at `{}`",
                free as f64 / GIB,
                results.display()
            ),
        )
        .hint("free some space or pass --results DIR on a larger disk"),
        None => Check::new(
            CheckId::DiskResults,
            Level::Warn,
            format!("cannot read the free space at `{}`", results.display()),
        ),
    }
}

/// Write a file in the first writable folder of `places`, read it, evict it with
/// `posix_fadvise` and verify with `mincore` that nothing stayed resident.
pub fn page_cache(places: &[PathBuf]) -> Check {
    let Some(base) = places.iter().find(|p| p.is_dir()).cloned().or_else(|| {
        // The models folder may not exist yet: its nearest existing parent is the same disk.
        places.first().map(|p| existing_ancestor(p))
    }) else {
        return Check::new(CheckId::PageCache, Level::Warn, "no folder to test in");
    };
    let dir = match tempfile::Builder::new()
        .prefix(".repro-doctor-")
        .tempdir_in(&base)
    {
        Ok(dir) => dir,
        Err(e) => {
            return Check::new(
                CheckId::PageCache,
                Level::Warn,
                format!("cannot write a test file in `{}`: {e}", base.display()),
            )
            .hint("pass --models-dir DIR on the disk the models are loaded from")
        }
    };
    let file = dir.path().join("probe.bin");
    let written = std::fs::File::create(&file)
        .and_then(|mut f| {
            f.write_all(&vec![0x5a; 4 << 20])?;
            f.sync_all()
        })
        .and_then(|_| std::fs::File::open(&file)?.read_to_end(&mut Vec::new()));
    if let Err(e) = written {
        return Check::new(
            CheckId::PageCache,
            Level::Warn,
            format!("cannot write `{}`: {e}", file.display()),
        );
    }
    match evict::evict(dir.path(), false) {
        Ok(record) if record.resident_pages_before == 0 => Check::new(
            CheckId::PageCache,
            Level::Warn,
            format!(
                "`{}` keeps nothing in the page cache, so cold and warm loads look alike there",
                base.display()
            ),
        ),
        Ok(record) => Check::new(
            CheckId::PageCache,
            Level::Ok,
            format!(
                "eviction works in `{}`: {} of {} pages resident, 0 after posix_fadvise (mincore)",
                base.display(),
                record.resident_pages_before,
                record.total_pages
            ),
        ),
        Err(e) => Check::new(CheckId::PageCache, Level::Warn, format!("eviction does not work in `{}`: {e}", base.display()))
            .hint("figure 13's cold loads need a disk filesystem (not tmpfs/overlay) for --models-dir, or --drop-caches as root"),
    }
}

pub fn drop_caches() -> Check {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let writable =
        nix::unistd::access("/proc/sys/vm/drop_caches", nix::unistd::AccessFlags::W_OK).is_ok();
    if root && writable {
        Check::new(
            CheckId::DropCaches,
            Level::Ok,
            "root: --drop-caches can write /proc/sys/vm/drop_caches",
        )
    } else {
        Check::new(
            CheckId::DropCaches,
            Level::Warn,
            if root {
                "root, but /proc/sys/vm/drop_caches is read-only (a container?)"
            } else {
                "not root: --drop-caches is unavailable"
            },
        )
        .hint("not needed: cold loads use posix_fadvise on the model's files (see page_cache)")
    }
}

pub fn python() -> Check {
    match crate::sys::version_of("python3") {
        Some(v) => Check::new(CheckId::Python, Level::Ok, format!("python3: {v}")),
        None => Check::new(CheckId::Python, Level::Missing, "no python3 on PATH").hint(
            "install Python 3.11 (the paper's) for `repro env setup`; `--engine fake` needs none",
        ),
    }
}

pub fn slurm() -> Check {
    let tools = ["sbatch", "squeue", "sacct"];
    let missing: Vec<&str> = tools
        .iter()
        .filter(|t| crate::sys::which(t).is_none())
        .copied()
        .collect();
    match missing.len() {
        0 => Check::new(CheckId::Slurm, Level::Ok, "sbatch, squeue, sacct on PATH"),
        3 => Check::new(CheckId::Slurm, Level::Missing, "no Slurm tools on PATH")
            .hint("needed only for `repro figure … --on` a Slurm machine: install slurm-client"),
        _ => Check::new(
            CheckId::Slurm,
            Level::Warn,
            format!("missing {} on PATH", missing.join(", ")),
        )
        .hint("install slurm-client"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuda_visible_devices_that_hide_everything_warn() {
        assert_eq!(cuda_visible_devices(None).level, Level::Ok);
        assert_eq!(cuda_visible_devices(Some("0,1")).level, Level::Ok);
        assert_eq!(cuda_visible_devices(Some("")).level, Level::Warn);
        assert_eq!(cuda_visible_devices(Some("-1")).level, Level::Warn);
    }

    #[test]
    fn free_space_of_a_folder_not_made_yet_is_its_parents() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(&dir.path().join("a/b/c")).is_some());
    }
}
