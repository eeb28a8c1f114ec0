"""Reading the tab-separated tables shipped in ``indices/data`` (``#`` lines are
the citation header, which must name the doi:/pmid: source), through
:func:`gutbalance.citations.read_data_table`."""

from __future__ import annotations

from functools import cache

import pandas as pd

from ..citations import DataTable, packaged, read_data_table


@cache
def _table(name: str) -> DataTable:
    return read_data_table(packaged("gutbalance.indices", name), header_cites=True)


@cache
def read_table(name: str) -> pd.DataFrame:
    """The body of ``indices/data/<name>`` as a DataFrame of text (a cached,
    shared copy: callers must not modify it).

    Raises
    ------
    DataTableError
        If the table is missing, malformed or its header cites no source.
    """
    return _table(name).frame()


def header(name: str) -> str:
    """The citation header of ``indices/data/<name>`` (without the ``#``)."""
    return _table(name).header
