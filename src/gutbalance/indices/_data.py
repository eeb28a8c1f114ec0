"""Reading the tab-separated tables shipped in ``indices/data`` (``#`` lines are
the citation header)."""

from __future__ import annotations

import io
from functools import cache
from importlib import resources

import pandas as pd

from ..errors import KnowledgeBaseError


@cache
def read_table(name: str) -> pd.DataFrame:
    """The body of ``indices/data/<name>`` as a DataFrame (a cached, shared copy:
    callers must not modify it)."""
    try:
        text = resources.files("gutbalance.indices").joinpath("data", name).read_text("utf-8")
    except FileNotFoundError:
        raise KnowledgeBaseError(f"index table {name} is missing from the installation") from None
    body = "\n".join(line for line in text.splitlines() if line and not line.startswith("#"))
    return pd.read_csv(io.StringIO(body), sep="\t", dtype=str, keep_default_na=False)


def header(name: str) -> str:
    """The citation header of ``indices/data/<name>`` (without the ``#``)."""
    text = resources.files("gutbalance.indices").joinpath("data", name).read_text("utf-8")
    return "\n".join(line[1:].strip() for line in text.splitlines() if line.startswith("#"))
