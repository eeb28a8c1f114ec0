"""The scores table as a file: one layout for the writer, the reader, the CLI and the web app."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from gutbalance.errors import FormatError
from gutbalance.scores_table import (
    INDEX_NAME,
    MISSING_VALUE,
    PERCENTILE_SUFFIX,
    format_scores,
    read_scores,
    write_scores,
)
from gutbalance.web.ingest import _json_number
from gutbalance.web.services import scores_tsv
from tests.helpers import SMALL_COMMUNITY, make_cohort, scored

GENUS_ONLY = {lineage.rsplit("|", 1)[0]: value for lineage, value in SMALL_COMMUNITY.items()}


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    # a species-level sample, and a genus-level one whose GMHI/GMWI2 are missing with the reason
    table = scored(make_cohort({"species level": SMALL_COMMUNITY, "genus level": GENUS_ONLY}))
    assert table.loc["genus level", ["gmhi", "gmwi2"]].isna().all()
    assert " | gmhi: " in table.loc["genus level", "missing"]
    # relative abundances: only chao1 (it needs read counts) is missing
    assert table.loc["species level", "missing"].startswith("chao1: ")
    assert " | " not in table.loc["species level", "missing"]
    return table


def test_write_then_read_gives_the_same_frame(tmp_path, scores):
    table = scores.copy()
    table["stool_like"] = pd.array([True, pd.NA], dtype="boolean")  # no genus named: neither True nor False
    path = write_scores(table, tmp_path / "scores.tsv")
    back = read_scores(path, percentiles=True)
    pd.testing.assert_frame_equal(back, table, check_exact=True)
    assert back.index.name == INDEX_NAME


def test_missing_values_are_spelled_once(tmp_path, scores):
    text = format_scores(scores)
    rows = [line.split("\t") for line in text.splitlines()]
    header, genus = rows[0], next(r for r in rows if r[0] == "genus level")
    assert header[0] == INDEX_NAME
    assert genus[header.index("gmhi")] == MISSING_VALUE
    assert "\tnan" not in text.lower()  # no pandas/numpy spelling of NaN


def test_percentiles_are_dropped_unless_asked_for(tmp_path, scores):
    path = write_scores(scores, tmp_path / "scores.tsv")
    assert not any(c.endswith(PERCENTILE_SUFFIX) for c in read_scores(path).columns)
    assert any(c.endswith(PERCENTILE_SUFFIX) for c in read_scores(path, percentiles=True).columns)


def test_the_web_download_spells_scores_as_analyze_does(scores):
    """The web app stores each row as JSON (NaN as null) and writes it back
    with its own columns in front: the score cells are those of scores.tsv."""
    samples = [
        SimpleNamespace(id=i + 1, name=name, subject=None, collected=None,
                        scores={str(k): _json_number(v) for k, v in row.items()})
        for i, (name, row) in enumerate(scores.iterrows())
    ]
    web = [line.split("\t") for line in scores_tsv(samples).splitlines()]
    cli = [line.split("\t") for line in format_scores(scores).splitlines()]
    assert web[0] == ["id", "sample", "subject", "collected", *cli[0][1:]]
    for web_row, cli_row in zip(web[1:], cli[1:], strict=True):
        assert web_row[1] == cli_row[0]
        assert web_row[4:] == cli_row[1:]


def test_a_bad_scores_file_names_itself(tmp_path):
    with pytest.raises(FormatError, match="no such file") as info:
        read_scores(tmp_path / "absent.tsv")
    assert info.value.path == str(tmp_path / "absent.tsv")
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(FormatError, match="cannot read the scores table"):
        read_scores(empty)


def test_numbers_read_back_bit_for_bit(tmp_path):
    values = np.array([0.1, 1 / 3, 2.0**-1074, 1e300, np.nan, -0.0])
    table = pd.DataFrame({"shannon": values}, index=pd.Index([f"s{i}" for i in range(len(values))], name=INDEX_NAME))
    back = read_scores(write_scores(table, tmp_path / "scores.tsv"))
    np.testing.assert_array_equal(back["shannon"].to_numpy(), values)
