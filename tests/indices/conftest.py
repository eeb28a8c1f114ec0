"""Cohorts of real data the index tests share (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import gutbalance
from gutbalance.errors import UnrecognizedFormatError
from tests.helpers import make_cohort


def gmhi_table_cohort(shared: Path) -> gutbalance.Cohort:
    """The 25 GMHI samples (species x samples CSV, percent).  Read through
    gutbalance.read where a table reader is registered, else built from pandas."""
    path = shared / "gmhi" / "species_relative_abundances.csv"
    try:
        return gutbalance.read(path)
    except UnrecognizedFormatError:
        pass
    frame = pd.read_csv(path, index_col=0, encoding="utf-8-sig")
    return make_cohort({s: frame[s][frame[s] > 0].to_dict() for s in frame.columns})


@pytest.fixture(scope="session")
def gmhi_cohort(shared_data: Path) -> gutbalance.Cohort:
    return gmhi_table_cohort(shared_data)


@pytest.fixture(scope="session")
def kefir_cohort(shared_data: Path) -> gutbalance.Cohort:
    return gutbalance.read(shared_data / "profiles" / "kefir_metaphlan3")
