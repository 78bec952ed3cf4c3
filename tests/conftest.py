"""Shared fixtures. Tests that need ../shared (real data) skip with a reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"real data not present: {DATA} is absent (it sits beside the project in development and CI)")
    return DATA


@pytest.fixture
def con(tmp_path):
    from dnmobs.store import connect

    c = connect(tmp_path / "t.duckdb")
    yield c
    c.close()
