"""Build: the hot extraction modules are compiled with mypyc (see docs/extraction.md, "Speed").

The compiled modules are an accelerator, never required: the pure-Python sources stay the
reference. DNMOBS_PURE_BUILD=1 skips compiling. Beside the built modules, ``_compiled.json``
records the SHA-256 of each source they were built from; ``dnmobs.extract._native`` loads the
pure-Python modules instead (with a warning) when any source has changed since, so an edited
``.py`` is never shadowed by a stale build.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
PKG = Path("src", "dnmobs", "extract")
# The modules compiled (the extraction's inner loop; measured in bench/extract_speed.py). They are
# compiled as one group: compiled modules call each other directly, so they are used all or none.
COMPILED = ("taxonomy", "text", "units", "terms", "mentions", "price", "places", "listing", "jsonl")

# pip runs this file for metadata too (egg_info, dist_info): compile only for a build.
BUILDING = any(cmd in sys.argv for cmd in ("build", "build_ext", "bdist_wheel", "editable_wheel", "develop",
                                             "install", "bdist_egg"))
ext_modules = []
if BUILDING and os.environ.get("DNMOBS_PURE_BUILD") != "1":
    from mypyc.build import mypycify

    paths = [str(PKG / f"{m}.py") for m in COMPILED]
    manifest = {m: hashlib.sha256((HERE / PKG / f"{m}.py").read_bytes()).hexdigest() for m in COMPILED}
    # the build environment has only the build requirements: other libraries are typed as Any
    ext_modules = mypycify(["--ignore-missing-imports", *paths], opt_level="3", group_name="dnmobs_extract")
    (HERE / PKG / "_compiled.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")

setup(ext_modules=ext_modules)
