"""The compiled build of the extraction modules (setup.py, mypyc): it must give what the pure-Python
modules give, and a source edited after the build must never be shadowed by stale compiled code."""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dnmobs.extract import _native

SRC = Path(_native.__file__).resolve().parents[2]  # the folder that holds the dnmobs package
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _env(src: Path, **env) -> dict:
    """The environment of a child Python on ``src``; DNMOBS_PURE only as given."""
    base = {k: v for k, v in os.environ.items() if k != "DNMOBS_PURE"}
    return {**base, "PYTHONPATH": str(src), **env}


def _built() -> list[str]:
    return _native.compiled_modules()


needs_build = pytest.mark.skipif(not _built(), reason="no compiled build here (a pure-Python checkout): "
                                                      "`make venv` builds it")
# (a source edited since the build: the guard's test below covers it; `make test` rebuilds first)
needs_fresh_build = pytest.mark.skipif(not _built() or bool(_native.stale_modules()),
                                       reason="no compiled build, or it is older than the sources: `make venv`")


def _record(folder: Path, mods: list[str]) -> None:
    digests = {m: hashlib.sha256((folder / f"{m}.py").read_bytes()).hexdigest() for m in mods}
    (folder / _native.MANIFEST).write_text(json.dumps(digests), encoding="utf-8")


def test_stale_sources_are_found(tmp_path):
    for m in ("a", "b"):
        (tmp_path / f"{m}.py").write_text(f"X = {m!r}\n", encoding="utf-8")
    (tmp_path / f"a{SUFFIX}").write_bytes(b"")  # a compiled a; b was not compiled
    (tmp_path / f"orphan{SUFFIX}").write_bytes(b"")  # no source beside it: not one of ours
    assert _native.compiled_modules(tmp_path) == ["a"]
    assert _native.stale_modules(tmp_path) == ["a"]  # no build record: nothing can be trusted
    _record(tmp_path, ["a"])
    assert _native.stale_modules(tmp_path) == []
    (tmp_path / "a.py").write_text("X = 'edited'\n", encoding="utf-8")
    assert _native.stale_modules(tmp_path) == ["a"]
    (tmp_path / _native.MANIFEST).write_text("{not json", encoding="utf-8")
    assert _native.stale_modules(tmp_path) == ["a"]


def test_no_build_means_pure(tmp_path):
    (tmp_path / "a.py").write_text("X = 1\n", encoding="utf-8")
    assert _native.compiled_modules(tmp_path) == []
    assert _native.stale_modules(tmp_path) == []


PROBE = """
import warnings, sys
warnings.simplefilter("always")
import dnmobs.extract as e, dnmobs.extract._native as n
from dnmobs.extract import listing, text
o = e.parse_listing("5g Cocaine 90% pure from NL", price="0.5 BTC")
print(n.status(), text.__file__.rsplit("/", 1)[-1], listing.__file__.rsplit("/", 1)[-1], o.substance, o.grams,
      o.purity_pct, o.ships_from)
"""


def _probe(src: Path, **env) -> tuple[list[str], str]:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                          env=_env(src, **env))
    return proc.stdout.split(), proc.stderr


@needs_fresh_build
def test_built_modules_are_used_and_match_their_sources():
    out, _ = _probe(SRC)
    assert out[:3] == ["compiled", f"text{SUFFIX}", f"listing{SUFFIX}"]
    assert out[3:] == ["cocaine", "5.0", "90.0", "NL"]


@needs_fresh_build
def test_pure_modules_on_request():
    out, _ = _probe(SRC, DNMOBS_PURE="1")
    assert out == ["pure", "text.py", "listing.py", "cocaine", "5.0", "90.0", "NL"]


@needs_build
def test_an_edited_source_is_not_shadowed_by_the_stale_build(tmp_path):
    """A copy of the built package whose text.py was then edited: every compiled module loads from
    its .py (they call each other directly, so all or none), with a warning that says why."""
    shutil.copytree(SRC / "dnmobs", tmp_path / "dnmobs", ignore=shutil.ignore_patterns("__pycache__"))
    lib = importlib.util.find_spec("dnmobs_extract__mypyc")
    assert lib is not None and lib.origin is not None
    shutil.copy(lib.origin, tmp_path)
    text_py = tmp_path / "dnmobs" / "extract" / "text.py"
    text_py.write_text(text_py.read_text(encoding="utf-8") + "\nEDITED = True\n", encoding="utf-8")
    out, err = _probe(tmp_path)
    assert out == ["stale", "text.py", "listing.py", "cocaine", "5.0", "90.0", "NL"]
    named = re.search(r"older than their sources \(([^)]*)\)", err)
    assert named is not None and "text" in named.group(1).split(", ") and "make venv" in err
    proc = subprocess.run([sys.executable, "-c", "import dnmobs.extract, dnmobs.extract.text as t; print(t.EDITED)"],
                          capture_output=True, text=True, check=True, env=_env(tmp_path))
    assert proc.stdout.strip() == "True"


TITLES = [
    "5g Cocaine 90% pure from NL", "10 x Xanax 2mg bars UK2EU", "1oz Girl Scout Cookies (28g) USA only",
    "LSD 25 tabs 150ug", "MDMA 84% crystal 0.5g/1g/3.5g", "100gCocaine", "250mg ketamine", "8th OG Kush",
    "Heroin #4 1/2 oz", "Custom listing for bob", "Amazon gift card 50 euro", "2C-B 20mg x 10 pills",
    "0.5g 40€ | 1g 75€ | 5g 300€", "Méthamphétamine cristal 1 gramme", "Кокаин 1 г", "", "   ",
    "★★ 5x Blue Punisher 220mg", "$65/g meth, 3.5g for $200", "Oz-Pressed - 100 x 130MG Pills",
]
RUN = """
import json, sys
from dnmobs.extract import parse_listing
titles = json.loads(sys.stdin.read())
for t in titles:
    print(json.dumps(parse_listing(t, price="USD 120.00 (0.0901 BTC)", date="2014-05-01", market="agora").as_dict()))
"""


def _outputs(titles: list[str], **env) -> str:
    return subprocess.run([sys.executable, "-c", RUN], input=json.dumps(titles), capture_output=True, text=True,
                          check=True, env=_env(SRC, **env)).stdout


@needs_fresh_build
def test_compiled_and_pure_agree():
    assert _outputs(TITLES) == _outputs(TITLES, DNMOBS_PURE="1")


@needs_fresh_build
@pytest.mark.shared
def test_compiled_and_pure_agree_on_real_titles(shared_data):
    import duckdb

    titles = [r[0] for r in duckdb.sql(f"""
        SELECT DISTINCT name FROM read_csv('{shared_data}/agora-2014/panel-ada/2014-01-*.csv.gz', all_varchar = true,
                                           union_by_name = true)
        WHERE name IS NOT NULL ORDER BY hash(name) LIMIT 3000""").fetchall()]
    assert len(titles) == 3000
    assert _outputs(titles) == _outputs(titles, DNMOBS_PURE="1")
