"""Shared fixtures.  Helpers that build data live in tests/helpers.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# ../shared/data from the project root; GUTBALANCE_SHARED_DATA points elsewhere
# (a git worktree one level deeper than the checkout the data sits beside).
SHARED = Path(os.environ.get("GUTBALANCE_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data in ../shared/data; tests using it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"real data not present at {SHARED} (it is in the project's CI)")
    return SHARED
