"""The compiled build of the extraction modules: used only when it was built from the sources as
they are now.

setup.py compiles the hot modules with mypyc (listed there) into extension modules beside their
``.py`` files and records each source's SHA-256 in ``_compiled.json``. Python would import an
extension module before a ``.py`` of the same name, so a source edited after the build would be
silently shadowed by stale compiled code. ``guard()`` (run by ``dnmobs.extract`` before anything
else in it) compares the sources with the record; when any differs, or the record is missing, it
warns once and makes every compiled module load from its ``.py`` instead (all of them: compiled
modules call each other directly). ``DNMOBS_PURE=1`` forces the pure-Python modules.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = __name__.rpartition(".")[0]
MANIFEST = "_compiled.json"


def compiled_modules(folder: Path = HERE) -> list[str]:
    """Modules of ``folder`` that have an extension module (a compiled build) beside their .py."""
    out = []
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for p in folder.glob(f"*{suffix}"):
            name = p.name[: -len(suffix)]
            if (folder / f"{name}.py").is_file() and name not in out:
                out.append(name)
    return sorted(out)


def stale_modules(folder: Path = HERE) -> list[str]:
    """Compiled modules whose source differs from the one they were built from (all of them when
    the build record is missing or unreadable)."""
    mods = compiled_modules(folder)
    if not mods:
        return []
    try:
        built = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return mods
    return [m for m in mods
            if built.get(m) != hashlib.sha256((folder / f"{m}.py").read_bytes()).hexdigest()]


class _SourceFinder:
    """A meta path finder that loads the named modules from their .py files."""

    def __init__(self, folder: Path, modules: list[str]) -> None:
        self.paths = {f"{PACKAGE}.{m}": folder / f"{m}.py" for m in modules}

    def find_spec(self, fullname, path=None, target=None):
        p = self.paths.get(fullname)
        return None if p is None else importlib.util.spec_from_file_location(fullname, p)


def status() -> str:
    """'compiled', 'pure' (no build, or DNMOBS_PURE) or 'stale' (sources changed since the build)."""
    return _STATUS


_STATUS = "pure"


def guard(folder: Path = HERE) -> str:
    """Decide once which modules load: the compiled ones only when they match their sources."""
    global _STATUS
    mods = compiled_modules(folder)
    if not mods:
        _STATUS = "pure"
        return _STATUS
    stale = stale_modules(folder)
    if os.environ.get("DNMOBS_PURE") == "1" or stale:
        if stale:
            warnings.warn(f"compiled extraction modules are older than their sources ({', '.join(stale)}): "
                          "using the pure-Python modules; run `make venv` to rebuild", stacklevel=2)
        if not any(isinstance(f, _SourceFinder) for f in sys.meta_path):
            sys.meta_path.insert(0, _SourceFinder(folder, mods))
        _STATUS = "stale" if stale else "pure"
        return _STATUS
    _STATUS = "compiled"
    return _STATUS
