"""Shared fixtures.  Helpers that build data live in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import import_script

# ../shared/data from the project root; GUTBALANCE_SHARED_DATA points elsewhere
# (a git worktree one level deeper than the checkout the data sits beside):
# found the way every script finds it (scripts/shared_data.py).
SHARED = import_script("shared_data").shared_data()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data in ../shared/data; tests using it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"real data not present at {SHARED} (it is in the project's CI)")
    return SHARED
