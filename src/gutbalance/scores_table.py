"""The scores table as a file (``scores.tsv``): its layout, defined once.

``gutbalance analyze`` writes it (:mod:`gutbalance.pipeline`), ``gutbalance
report`` and ``gutbalance validate`` read it back, the web app offers it for
download, and :func:`gutbalance.scores.score` builds it in this column order;
all of them take the layout from here:

- one row per sample, the index column named :data:`INDEX_NAME`;
- :data:`LEAD_COLUMNS` first, then the other scores, the ``placed`` share
  and the ``<score>_percentile`` columns (:data:`PERCENTILE_SUFFIX`), then
  :data:`TRAIL_COLUMNS` (text);
- tab-separated, ``\\n`` line ends, every float written in full precision
  (``repr``: it reads back to the same float), a missing value written
  :data:`MISSING_VALUE`; the text columns hold ``""`` when there is nothing
  to say and ``stool_like`` is ``True``, ``False`` or :data:`MISSING_VALUE`.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from .atomic import write_text_atomic
from .errors import FormatError
from .knowledge.schema import PILLARS

#: File names in the output folder of ``gutbalance analyze``.
SCORES_FILE = "scores.tsv"
SCORES_PARQUET_FILE = "scores.parquet"
CONTRIBUTIONS_FILE = "scores.json"

#: The name of the index (the first column of the file).
INDEX_NAME = "sample"
#: How a missing number is written (what R and pandas read as missing).
MISSING_VALUE = "NA"
#: None: pandas writes each float with ``repr``, so values read back exactly.
FLOAT_FORMAT = None
SEPARATOR = "\t"
LINE_END = "\n"

#: The share (0-1) of a sample's bacterial and archaeal abundance that the
#: pillars' knowledge reaches (:func:`gutbalance.pillars.reached_taxa`).
REACH_COLUMN = "kb_reach"

#: The columns that say why a number is missing and what to keep in mind ("" when nothing).
MISSING_COLUMN = "missing"
WARNINGS_COLUMN = "warnings"
#: The first columns, in order; the other scores follow.
#: ``kb_reach`` (beside ``coverage``) is the share of the sample the pillars
#: rest on (docs/scoring.md, "Confidence and coverage").
LEAD_COLUMNS = [
    "immune_support", *PILLARS, "gmhi", "gmwi2", "shannon", "simpson", "richness", "evenness", "coverage", REACH_COLUMN,
]
#: The finest rank each sample resolves, written only by a run with one
#: diversity rank for every sample (``--diversity-rank genus``): there
#: ``diversity_rank`` is the rank asked, and this column keeps the sample's
#: own resolution, which picks its healthy population (in a default run the
#: two are the same, and the column is left out).
RESOLVED_RANK_COLUMN = "resolved_rank"
#: The last columns (text): how the sample was resolved, and what to keep in mind
#: (``resolved_rank`` only in a run with a fixed diversity rank).
TRAIL_COLUMNS = ["diversity_rank", RESOLVED_RANK_COLUMN, "stool_like", MISSING_COLUMN, WARNINGS_COLUMN]
#: Columns that are not numbers (stool_like is True/False/missing).
TEXT_COLUMNS = ["diversity_rank", RESOLVED_RANK_COLUMN, MISSING_COLUMN, WARNINGS_COLUMN, "stool_like"]
#: ``<score><PERCENTILE_SUFFIX>``: the score's percentile in the healthy reference.
PERCENTILE_SUFFIX = "_percentile"


def format_scores(table: pd.DataFrame, *, index: bool = True) -> str:
    """A scores table as the text of ``scores.tsv`` (header included).

    ``index=False`` leaves the index out, for tables that carry the sample
    name in a column (the web app's, with its own identifiers in front).
    """
    return table.to_csv(
        sep=SEPARATOR, index=index, float_format=FLOAT_FORMAT, lineterminator=LINE_END, na_rep=MISSING_VALUE
    )


def write_scores(table: pd.DataFrame, path: str | PathLike[str]) -> Path:
    """Write a scores table (index :data:`INDEX_NAME`) to ``path`` atomically."""
    return write_text_atomic(format_scores(table), Path(path))


def read_sample_names(path: str | PathLike[str]) -> pd.Index:
    """The samples of a saved scores table, in its order (the first column alone: a
    cohort's whole table is not parsed to learn who is in it)."""
    try:
        names = pd.read_csv(path, sep=SEPARATOR, usecols=[0], dtype=str, keep_default_na=False).iloc[:, 0]
    except FileNotFoundError:
        raise FormatError("no such file", path=Path(path)) from None
    return pd.Index(names, name=INDEX_NAME)


def read_scores(path: str | PathLike[str], *, percentiles: bool = False) -> pd.DataFrame:
    """A saved scores table, index :data:`INDEX_NAME` (str), as :func:`write_scores` wrote it.

    Numbers are floats with :data:`MISSING_VALUE`, an empty cell or another word for a missing number (``nan``, ``N/A``, ``null``) as NaN;
    the text columns are str (``""`` stays ``""``); ``stool_like`` is a
    nullable boolean. The ``*_percentile`` columns are dropped unless
    ``percentiles`` (the reports recompute them against their reference).

    Raises
    ------
    FormatError
        If the file is absent or not a table, naming the file.
    """
    path = Path(path)
    try:
        text_types: dict[Any, Any] = {0: str, **{c: str for c in TEXT_COLUMNS}}
        table = pd.read_csv(
            path, sep=SEPARATOR, index_col=0, dtype=text_types,
            keep_default_na=False, na_values={c: _MISSING_TOKENS for c in _numeric_header(path)},
            # pandas' own parser can be one unit in the last place off
            # (0.9315294988807805 read as ...804); Python's is exact
            float_precision="round_trip",
        )
    except FileNotFoundError:
        raise FormatError("no such file", path=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"cannot read the scores table: {exc}", path=path) from None
    table.index = table.index.astype(str)
    table.index.name = INDEX_NAME
    if "stool_like" in table:
        table["stool_like"] = table["stool_like"].map({"True": True, "False": False}).astype("boolean")
    if percentiles:
        return table
    return table[[c for c in table.columns if not str(c).endswith(PERCENTILE_SUFFIX)]]


#: What reads as a missing number: gutbalance writes MISSING_VALUE, but a table
#: rewritten by Python's csv module or by hand holds "nan" or "N/A" (an outside
#: check: a column with "nan" cells was read as text and left out of
#: `gutbalance validate` without a word).
_MISSING_TOKENS = [MISSING_VALUE, "", "nan", "NaN", "NAN", "N/A", "n/a", "null", "NULL", "None", "none"]


def _numeric_header(path: Path) -> list[str]:
    """The columns of a scores table that hold numbers (all but the text ones)."""
    try:
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().rstrip(LINE_END).split(SEPARATOR)
    except OSError:
        return []
    return [c for c in header[1:] if c not in TEXT_COLUMNS]
