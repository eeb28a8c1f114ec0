"""GMWI2 against the reference tool's output for a real MetaPhlAn 3 profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gutbalance
from gutbalance.indices.gmwi2 import PRESENCE_CUTOFF, gmwi2, gmwi2_contributions, gmwi2_table, model
from tests.helpers import SMALL_COMMUNITY, write_metaphlan

ADOLESCENTIS = "s__Bifidobacterium adolescentis"


@pytest.mark.shared
def test_gmwi2_matches_reference_tool(shared_data):
    cohort = gutbalance.read(shared_data / "gmwi2" / "SRR1761667_metaphlan.txt")
    expected = float((shared_data / "gmwi2" / "SRR1761667_GMWI2.txt").read_text().strip())
    assert expected == 1.4017773651306447
    assert gmwi2(cohort)["SRR1761667"] == pytest.approx(expected, abs=1e-9)
    reference = pd.read_csv(
        shared_data / "gmwi2" / "SRR1761667_GMWI2_taxa.txt", sep="\t", float_precision="round_trip"
    )
    got = gmwi2_contributions(cohort)["SRR1761667"]
    assert [t["clade"] for t in got] == reference["taxa_name"].tolist()
    assert [t["coefficient"] for t in got] == pytest.approx(reference["coefficient"].tolist(), abs=0)
    table = gmwi2_table(cohort)
    assert bool(table.loc["SRR1761667", "gmwi2_calibrated"])
    assert table.loc["SRR1761667", "gmwi2_taxa"] == len(reference)


def test_model_is_the_published_one():
    table = model()
    assert len(table) == 95
    assert table["taxon"].is_unique
    assert (table["coefficient"] != 0).all()


def _cohort(tmp_path, species: dict[str, float], **kw) -> gutbalance.Cohort:
    return gutbalance.read(write_metaphlan(tmp_path / "s.txt", species, **kw))


def _with_adolescentis(percent: float) -> dict[str, float]:
    species = dict(SMALL_COMMUNITY)
    key = next(k for k in species if "adolescentis" in k)
    filler = next(k for k in species if "prausnitzii" in k)
    species[filler] += species[key] - percent  # keep the sample at 100 %
    species[key] = percent
    return species


def _present(cohort: gutbalance.Cohort) -> set[str]:
    return {t["taxon"] for t in gmwi2_contributions(cohort)[cohort.sample_names[0]]}


def test_presence_is_strictly_above_the_cutoff(tmp_path):
    assert PRESENCE_CUTOFF == 0.00001
    at_cutoff = _cohort(tmp_path, _with_adolescentis(0.001))  # exactly 0.00001 of the sample
    assert at_cutoff.X[0, at_cutoff.taxa.index.get_loc(ADOLESCENTIS)] == PRESENCE_CUTOFF
    assert ADOLESCENTIS not in _present(at_cutoff)
    assert ADOLESCENTIS in _present(_cohort(tmp_path, _with_adolescentis(0.0011)))


def test_abundance_is_divided_by_the_classified_fraction(tmp_path):
    # 0.0015 % of the classified reads, written as 0.00075 % of a sample with 50 %
    # UNKNOWN: present only because the reference divides by (100 - UNKNOWN).
    cohort = _cohort(tmp_path, _with_adolescentis(0.0015), unknown=50.0)
    assert cohort.X[0, cohort.taxa.index.get_loc(ADOLESCENTIS)] < PRESENCE_CUTOFF
    assert ADOLESCENTIS in _present(cohort)
    coefficient = model().set_index("taxon").loc[ADOLESCENTIS, "coefficient"]
    absent = _cohort(tmp_path, _with_adolescentis(0.0008), unknown=50.0)
    total = {name: sum(t["coefficient"] for t in gmwi2_contributions(c)["s"]) for name, c in
             (("present", cohort), ("absent", absent))}
    assert total["present"] - total["absent"] == pytest.approx(coefficient, abs=1e-12)
    assert gmwi2(cohort).iloc[0] == pytest.approx(total["present"], abs=1e-12)
    # Four model clades left: too few for the index, which is then missing.
    assert np.isnan(gmwi2(absent).iloc[0])


def test_score_is_sum_of_present_coefficients(tmp_path):
    cohort = _cohort(tmp_path, SMALL_COMMUNITY)
    taxa = gmwi2_contributions(cohort)["s"]
    assert taxa, "the small community holds model clades"
    assert gmwi2(cohort)["s"] == pytest.approx(sum(t["coefficient"] for t in taxa), abs=1e-12)


def test_non_metaphlan3_profiles_are_flagged(tmp_path):
    mpa3 = _cohort(tmp_path, SMALL_COMMUNITY, db="mpa_v30_CHOCOPhlAn_201901")
    mpa4 = _cohort(tmp_path, SMALL_COMMUNITY, db="mpa_vJan21_CHOCOPhlAnSGB_202103")
    ok, flagged = gmwi2_table(mpa3).iloc[0], gmwi2_table(mpa4).iloc[0]
    assert bool(ok["gmwi2_calibrated"])
    assert ok["gmwi2_note"] == ""
    assert not bool(flagged["gmwi2_calibrated"])
    assert "MetaPhlAn 3" in flagged["gmwi2_note"]
    assert "mpa_vJan21" in flagged["gmwi2_note"]
    matched = ok["gmwi2_clades_matched"]
    assert 0 < matched < 95
    assert f"{matched} of 95" in flagged["gmwi2_note"]
