"""Where the built-in example profiles are (a leaf module: anything may import it)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def example_path() -> Path:
    """Folder of the built-in example profiles (three constructed MetaPhlAn 3
    profiles shipped with the package; ``scripts/make_example.py`` makes them)."""
    return Path(str(resources.files("gutbalance").joinpath("data/example")))
