"""Writing result tables (TSV) atomically, through :mod:`gutbalance.atomic`,
in the spelling of the scores table (:mod:`gutbalance.scores_table`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .atomic import write_text_atomic
from .scores_table import format_scores


def format_table(table: pd.DataFrame, *, index: bool = True) -> str:
    """Any result table as TSV, spelled as ``scores.tsv`` is
    (:func:`gutbalance.scores_table.format_scores`): full float precision,
    a missing value ``NA``."""
    return format_scores(table, index=index)


def write_table_atomic(table: pd.DataFrame, path: Path, *, index: bool = True) -> Path:
    """Write ``table`` as :func:`format_table` spells it to ``path`` atomically."""
    return write_text_atomic(format_table(table, index=index), path)
