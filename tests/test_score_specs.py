"""Every column of the scores table is described once, with a direction (gutbalance.score_specs)."""

from __future__ import annotations

import pytest

import gutbalance
from gutbalance import report
from gutbalance.knowledge.schema import PILLARS
from gutbalance.reference import load_reference
from gutbalance.reference.core import PERCENTILE_SUFFIX
from gutbalance.report.validation import PILLAR_SCORES
from gutbalance.score_specs import GROUPS, describe, registered
from gutbalance.scores import DESCRIPTIVE_COLUMNS
from gutbalance.taxonomy.lineage import parse_lineage
from tests.helpers import SMALL_COMMUNITY, scored

DIRECTIONS = {"higher", "lower", "neither"}


@pytest.fixture(scope="module")
def scores_with_counts():
    """Every column score() writes, chao1 included (it needs read counts)."""
    lineages = [parse_lineage(k) for k in SMALL_COMMUNITY]
    total = sum(SMALL_COMMUNITY.values())
    profile = gutbalance.SampleProfile(
        sample="s1", lineages=lineages, abundance=[v / total for v in SMALL_COMMUNITY.values()],
        counts=[round(v * 1000) for v in SMALL_COMMUNITY.values()], source_format="metaphlan",
    )
    return scored(gutbalance.build_cohort([profile]))


def test_every_column_of_the_scores_table_has_a_description_and_a_direction(scores_with_counts):
    columns = list(scores_with_counts.columns)
    assert "chao1" in columns
    assert "placed" in columns
    assert any(c.endswith(PERCENTILE_SUFFIX) for c in columns)
    for column in columns:
        spec = describe(column)
        assert spec.known, f"{column} has no ScoreSpec in gutbalance/score_specs.py"
        assert spec.favourable in DIRECTIONS, column
        assert spec.group in GROUPS, column
        assert all((spec.label, spec.summary, spec.meaning)), column


def test_the_reference_holds_exactly_the_scores_meant_for_it(scores_with_counts):
    """A column with ``reference=True`` has percentiles (chao1 only where reads were counted);
    one with ``reference=False`` (placed, kb_reach: they describe the input) has none."""
    shipped = set(load_reference().primary.distributions)
    numeric = [c for c in scores_with_counts.columns
               if not c.endswith(PERCENTILE_SUFFIX) and not describe(c).text]
    for column in numeric:
        if describe(column).reference and column != "chao1":
            assert column in shipped, column
            assert f"{column}{PERCENTILE_SUFFIX}" in scores_with_counts.columns
        elif not describe(column).reference:
            assert column not in shipped
            assert f"{column}{PERCENTILE_SUFFIX}" not in scores_with_counts.columns
    assert {"placed", "kb_reach"} == DESCRIPTIVE_COLUMNS


def test_one_pillars_tuple_drives_the_descriptions_and_the_validation_page():
    assert PILLAR_SCORES == PILLARS
    specs = registered()
    for pillar in PILLARS:
        assert specs[pillar].group == "pillar"
        assert specs[pillar].favourable == "higher"
        assert f"{pillar}_confidence" in specs


def test_reports_read_the_same_specs():
    assert report.describe is describe
    assert report.ScoreSpec is report.ScoreInfo
    assert describe("gmhi").short == "GMHI"
    assert describe("dysbiosis").direction == "lower"


def test_a_small_value_that_is_not_zero_is_never_shown_as_zero():
    # a public wastewater-like MetaPhlAn 4 profile (taxpasta's ERR7569997): coverage 0.0023 and
    # nutrients 0.0142 read "0.00" and "0 / 100" on the sample page, as if nothing were known
    assert describe("coverage").format(0.002342125051998336) == "0.0023"
    assert describe("training_confidence").format(0.00033782918946593713) == "0.00034"
    assert describe("nutrients").format(0.01420578042798626) == "0.014"
    # a true 0 stays 0, and other values keep the score's digits
    assert describe("coverage").format(0.0) == "0.00"
    assert describe("nutrients").format(42.4) == "42"
    assert describe("shannon").format(3.0912) == "3.09"
