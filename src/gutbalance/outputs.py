"""Writing result tables (TSV) atomically, through :mod:`gutbalance.atomic`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .atomic import write_text_atomic


def format_table(table: pd.DataFrame, *, index: bool = True) -> str:
    """TSV with full float precision (repr), so values read back exactly;
    a missing value is ``NA`` (what R, pandas and the web app read as missing)."""
    return table.to_csv(sep="\t", index=index, float_format=None, lineterminator="\n", na_rep="NA")


def write_table_atomic(table: pd.DataFrame, path: Path, *, index: bool = True) -> Path:
    return write_text_atomic(format_table(table, index=index), path)
