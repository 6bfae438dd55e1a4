//! The machine a run ran on, beyond its name and CPU model: what an artifact appendix's
//! "hardware" and "run-time environment" fields ask, so that "on what hardware was this number
//! measured?" is answered by the run's manifest. Read from `/proc` and `/sys`; a fact that cannot
//! be read is `None`, never an error (a container hides some of them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a run's machine had and ran, beside the manifest's `Host`'s name, CPU and GPUs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs the run could use (affinity and cgroup limits counted).
    pub cpus: Option<usize>,
    /// `MemTotal` of `/proc/meminfo`.
    pub memory_bytes: Option<u64>,
    /// `PRETTY_NAME` of `/etc/os-release` (`Debian GNU/Linux 12 (bookworm)`).
    pub os: Option<String>,
    /// The kernel's release (`6.1.0-27-amd64`).
    pub kernel: Option<String>,
    /// The disk the model was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_disk: Option<Disk>,
    /// The Python of the run's environment (`3.11.2`); `None` for the fake engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
    /// PyTorch as installed in the run's environment (`2.7.1+cpu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torch: Option<String>,
}

/// The disk under a folder, as the kernel describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disk {
    pub path: PathBuf,
    /// The block device (`nvme0n1`, `vda`); `None` for a filesystem without one (NFS, tmpfs,
    /// overlay).
    pub device: Option<String>,
    /// The filesystem type (`ext4`, `nfs4`, `tmpfs`).
    pub fs: Option<String>,
    /// The kernel's `queue/rotational` of the device: `false` for SSDs and NVMe, `true` for
    /// spinning disks (and for many virtual disks, which do not say).
    pub rotational: Option<bool>,
}

impl Machine {
    /// This machine's facts that do not depend on the run.
    pub fn here() -> Machine {
        Machine {
            cpus: std::thread::available_parallelism().ok().map(usize::from),
            memory_bytes: memory_total(&read("/proc/meminfo").unwrap_or_default()),
            os: pretty_name(&read("/etc/os-release").unwrap_or_default()),
            kernel: read("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()),
            ..Machine::default()
        }
    }

    /// `2 CPUs, 23 GB, Debian GNU/Linux 12 (bookworm), kernel 6.1.0-27-amd64`: what is known.
    pub fn describe(&self) -> String {
        let mut parts = vec![];
        if let Some(n) = self.cpus {
            parts.push(format!("{n} CPU{}", if n == 1 { "" } else { "s" }));
        }
        if let Some(bytes) = self.memory_bytes {
            parts.push(format!("{:.0} GB memory", bytes as f64 / 1e9));
        }
        parts.extend(self.os.clone());
        if let Some(kernel) = &self.kernel {
            parts.push(format!("kernel {kernel}"));
        }
        parts.join(", ")
    }

    /// `Python 3.11.2, PyTorch 2.7.1+cpu`, or `None` when neither is known.
    pub fn software(&self) -> Option<String> {
        let parts: Vec<String> = [("Python", &self.python), ("PyTorch", &self.torch)]
            .into_iter()
            .filter_map(|(name, v)| v.as_ref().map(|v| format!("{name} {v}")))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

impl Disk {
    /// The disk under `path` (the nearest existing folder of it).
    pub fn of(path: &Path) -> Option<Disk> {
        use std::os::unix::fs::MetadataExt;
        let path = std::fs::canonicalize(crate::sys::existing_ancestor(path)).ok()?;
        let dev = std::fs::metadata(&path).ok()?.dev();
        let mounts = read("/proc/self/mountinfo").unwrap_or_default();
        let sys = block_device(libc::major(dev), libc::minor(dev));
        Some(Disk {
            fs: filesystem_of(&mounts, &path),
            device: sys
                .as_ref()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned()),
            rotational: sys.and_then(|d| read(d.join("queue/rotational")).map(|r| r.trim() == "1")),
            path,
        })
    }

    /// `vda (ext4, rotational by the kernel's account)`.
    pub fn describe(&self) -> String {
        let mut what = vec![];
        what.extend(self.fs.clone());
        match self.rotational {
            Some(true) => what.push("rotational by the kernel's account".into()),
            Some(false) => what.push("solid-state".into()),
            None => {}
        }
        let device = self.device.as_deref().unwrap_or("no block device");
        match what.is_empty() {
            true => device.to_string(),
            false => format!("{device} ({})", what.join(", ")),
        }
    }
}

/// The whole disk's folder under `/sys` of the block device `major:minor` (a partition's
/// parent, which holds `queue/`).
fn block_device(major: u32, minor: u32) -> Option<PathBuf> {
    let dev = std::fs::canonicalize(format!("/sys/dev/block/{major}:{minor}")).ok()?;
    match dev.join("partition").is_file() {
        true => dev.parent().map(Path::to_path_buf),
        false => Some(dev),
    }
}

/// The filesystem type of the mount holding `path`, from `/proc/self/mountinfo` (the longest
/// mount point that is a prefix of it).
fn filesystem_of(mountinfo: &str, path: &Path) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let (Some(point), Some(dash)) = (fields.get(4), fields.iter().position(|f| *f == "-"))
        else {
            continue;
        };
        let point = unescape_mount(point);
        let Some(fs) = fields.get(dash + 1) else {
            continue;
        };
        if path.starts_with(&point) && best.as_ref().is_none_or(|(len, _)| point.len() >= *len) {
            best = Some((point.len(), fs.to_string()));
        }
    }
    best.map(|(_, fs)| fs)
}

/// mountinfo writes a space, tab, newline and backslash in a path as octal escapes.
fn unescape_mount(field: &str) -> String {
    field
        .replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

fn memory_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn pretty_name(os_release: &str) -> Option<String> {
    let fields: BTreeMap<&str, &str> = os_release
        .lines()
        .filter_map(|l| l.split_once('='))
        .collect();
    let name = fields.get("PRETTY_NAME").or(fields.get("NAME"))?;
    Some(name.trim_matches('"').to_string())
}

fn read(path: impl AsRef<Path>) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_memory_and_os_name() {
        assert_eq!(
            memory_total("MemTotal:       24000000 kB\nMemFree: 1 kB\n"),
            Some(24_576_000_000)
        );
        assert_eq!(memory_total("MemFree: 1 kB\n"), None);
        let os = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            pretty_name(os).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(pretty_name("NAME=Alpine\n").as_deref(), Some("Alpine"));
        assert_eq!(pretty_name(""), None);
    }

    #[test]
    fn the_longest_mount_point_names_the_filesystem() {
        let mounts = "\
22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
30 22 0:26 / /work/my\\040models rw shared:2 - nfs4 server:/m rw
31 22 0:27 / /work rw shared:3 - tmpfs tmpfs rw
";
        let fs = |p: &str| filesystem_of(mounts, Path::new(p));
        assert_eq!(fs("/home/a").as_deref(), Some("ext4"));
        assert_eq!(fs("/work/x").as_deref(), Some("tmpfs"));
        assert_eq!(fs("/work/my models/qwen").as_deref(), Some("nfs4"));
        // `/workshop` is not under `/work`.
        assert_eq!(fs("/workshop").as_deref(), Some("ext4"));
    }

    #[test]
    fn this_machine_is_described() {
        let here = Machine::here();
        assert!(here.cpus.is_some_and(|n| n >= 1));
        assert!(
            here.kernel.is_some(),
            "Linux has /proc/sys/kernel/osrelease"
        );
        assert!(here.describe().contains("CPU"));
        let disk = Disk::of(Path::new(".")).expect("the working folder has a disk");
        assert!(disk.path.is_absolute());
        assert!(!disk.describe().is_empty());
    }

    #[test]
    fn an_old_manifest_without_the_new_facts_reads() {
        let m: Machine = serde_json::from_str(
            r#"{"cpus": 2, "memory_bytes": null, "os": null, "kernel": "6.1"}"#,
        )
        .unwrap();
        assert_eq!(m.cpus, Some(2));
        assert_eq!(m.model_disk, None);
        assert_eq!(m.software(), None);
        let host: crate::artifacts::manifest::Host = serde_json::from_str(
            r#"{"name": "n1", "cpu_model": null, "gpu": {"available": {"driver": "580", "devices": []}}}"#,
        )
        .unwrap();
        assert_eq!(host.machine, None);
        assert!(
            host.kind().contains("the rest not recorded"),
            "{}",
            host.kind()
        );
    }
}
