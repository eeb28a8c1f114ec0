"""Fixtures of the knowledge-base tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

AUDIT_SAMPLE = Path(__file__).resolve().parents[2] / "scripts" / "audit_sample.py"


@pytest.fixture(scope="module")
def audit_sample() -> ModuleType:
    """``scripts/audit_sample.py``, loaded as a module (scripts are not a package)."""
    spec = importlib.util.spec_from_file_location("audit_sample", AUDIT_SAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
