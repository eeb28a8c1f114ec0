"""Shared fixtures.  Helpers that build data live in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data in ../shared/data; tests using it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"real data not present at {SHARED} (it is in the project's CI)")
    return SHARED
