"""Pillars the knowledge base cannot reach: below ``min_reach`` they are missing, with the reason.

``reach`` (:func:`gutbalance.pillars.reached_taxa`) is the share of the
bacterial and archaeal abundance with a trait some pillar reads known for the
taxon itself or through its genus or family; unlike ``coverage`` (species or
genus rows only) it follows the rank of the input, so a family-rank profile
keeps its pillars while a digester's profile that only a trace of gut taxa
reaches loses them.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import gutbalance
from gutbalance.indices.sample_type import thresholds
from gutbalance.pillars import EMPTY_REASON, PILLARS, pillar_scores, reach_floor
from gutbalance.scores import parse_missing, score_with_contributions
from tests.helpers import SMALL_COMMUNITY, import_script, make_cohort

OUTSIDE = Path(os.environ.get("GUTBALANCE_OUTSIDE_DATA") or "/work/outside-data")
ERR7569997 = OUTSIDE / "taxpasta" / "tests" / "data" / "metaphlan" / "ERR7569997.txt"

_CLOACIMONAS = ("k__Bacteria|p__Candidatus_Cloacimonetes|c__Candidatus_Cloacimonetes_unclassified|"
                "o__Candidatus_Cloacimonetes_unclassified|f__Candidatus_Cloacimonadaceae|g__Candidatus_Cloacimonas")
_VULGATUS = ("k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
             "s__Bacteroides_vulgatus")
_FIRMICUTES = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales"
#: A 16S table cut at family rank (as MDSINE2's mice are forecast): no species or genus row at all.
FAMILIES = {
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae": 40.0,
    f"{_FIRMICUTES}|f__Lachnospiraceae": 30.0,
    f"{_FIRMICUTES}|f__Ruminococcaceae": 20.0,
    "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae": 10.0,
}
SCORES = ["immune_support", *PILLARS]


def _digester(known: float) -> dict[str, float]:
    """An anaerobic digester's community (Cloacimonas, which no trait names) with ``known`` % of a gut species."""
    return {f"{_CLOACIMONAS}|s__Candidatus_Cloacimonas_acidaminovorans": 100.0 - known, _VULGATUS: known}


def test_the_floor_comes_from_the_cited_table():
    assert reach_floor() == thresholds()["min_reach"] == 0.03


def test_a_non_gut_profile_loses_its_pillars_with_the_reason():
    result = pillar_scores(make_cohort({"digester": _digester(1.0), "stool": SMALL_COMMUNITY}))
    scores = result.scores
    assert result.reach["digester"] == pytest.approx(0.01)
    assert scores.loc[["digester"], SCORES].isna().all(axis=None)
    # Confidences and coverage still describe the sample; no taxa are listed as moving a missing score.
    assert scores.loc["digester", [f"{p}_confidence" for p in PILLARS]].notna().all()
    assert scores.loc["digester", "coverage"] == pytest.approx(0.01)
    assert all(entries == [] for entries in result.contributions["digester"].values())
    assert result.missing["digester"].startswith("the knowledge base reaches only 1.00% of the bacterial")
    assert "the pillars need 3%, a tenth of the least of real stool" in result.missing["digester"]
    # Stool in the same batch is scored, and says nothing is missing.
    assert scores.loc[["stool"], SCORES].notna().all(axis=None)
    assert result.missing["stool"] == ""
    assert any(result.contributions["stool"]["training"])


def test_the_floor_separates_just_below_from_just_above():
    result = pillar_scores(make_cohort({"below": _digester(2.5), "above": _digester(3.5)}), contributions=False)
    assert result.scores.loc[["below"], SCORES].isna().all(axis=None)
    assert result.scores.loc[["above"], SCORES].notna().all(axis=None)


def test_a_family_rank_profile_keeps_its_pillars():
    result = pillar_scores(make_cohort({"families": FAMILIES}), contributions=False)
    # coverage counts species and genus rows only: a family table reads 0 there ...
    assert result.scores.loc["families", "coverage"] == 0.0
    # ... while the pillars reach all of it through the families' own rows.
    assert result.reach["families"] == pytest.approx(1.0)
    assert result.scores.loc[["families"], SCORES].notna().all(axis=None)
    assert result.missing["families"] == ""


def test_the_reason_reaches_the_scores_table_and_a_row_does_not_depend_on_its_batch():
    alone, _ = score_with_contributions(make_cohort({"digester": _digester(1.0)}))
    batch, explained = score_with_contributions(make_cohort({"digester": _digester(1.0), "stool": SMALL_COMMUNITY}))
    row = batch.loc["digester"]
    assert row[SCORES].isna().all()
    missing = parse_missing(row["missing"])
    assert set(SCORES) <= set(missing)
    assert missing["training"].startswith("the knowledge base reaches only 1.00%")
    assert parse_missing(batch.loc["stool", "missing"]).keys().isdisjoint(SCORES)
    np.testing.assert_array_equal(alone.loc["digester", SCORES].to_numpy(dtype=float),
                                  row[SCORES].to_numpy(dtype=float))
    assert alone.loc["digester", "missing"] == row["missing"]
    assert all(explained["digester"][key] == [] for key in SCORES)


def test_an_empty_sample_keeps_its_own_reason():
    virus = {"k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales|f__Siphoviridae": 100.0}
    result = pillar_scores(make_cohort({"phage": virus}), contributions=False)
    assert result.scores.loc[["phage"], SCORES].isna().all(axis=None)
    assert result.missing["phage"] == EMPTY_REASON


def test_taxpastas_err7569997_has_no_pillars():
    if not ERR7569997.is_file():
        pytest.skip(f"{ERR7569997} absent (docs/tried-on-public-data.md says how to fetch it)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        cohort = gutbalance.read([ERR7569997])
    result = pillar_scores(cohort, contributions=False)
    # Training was 83 / 100 from 0.23 % of the abundance before the floor.
    assert result.reach.iloc[0] == pytest.approx(0.0032, abs=5e-5)
    assert result.scores[SCORES].isna().all(axis=None)
    assert "reaches only 0.32%" in result.missing.iloc[0]


@pytest.mark.shared
def test_the_reach_floor_is_a_tenth_of_the_least_real_stool(shared_data):
    script = import_script("check_sample_type")
    stool = [
        "profiles/kefir_metaphlan3", "profiles/zeller2014_motus3_controls", "gmhi/species_relative_abundances.csv",
        "gmwi2/SRR1761667_metaphlan.txt", "labelled/franzosa2019_ibd/species.tsv",
        "labelled/ihmp_ibdmdb2019/species.tsv", "labelled/metaml_pasolli2016/abundance.csv",
    ]
    least = {}
    for relative in stool:
        path = shared_data / relative
        if not path.exists():
            pytest.skip(f"{path} absent")
        reach = pillar_scores(script._read([path]), contributions=False).reach
        least[relative] = float(reach.min())
    if not (shared_data / script.MDSINE2).is_dir():
        pytest.skip(f"{shared_data / script.MDSINE2} absent")
    for rank in ("Genus", "Family"):
        # Days 0 and 0.5 (germ-free mice before colonisation) are left out, as MDSINE2's protocol does.
        cohort = script._mdsine2(rank)
        assert cohort.n_samples == 325
        least[f"mdsine2 {rank}"] = float(pillar_scores(cohort, contributions=False).reach.min())
    assert min(least, key=least.__getitem__) == "mdsine2 Family"
    assert least["mdsine2 Family"] == pytest.approx(0.3134, abs=1e-4)  # 2-D25
    assert least["labelled/ihmp_ibdmdb2019/species.tsv"] == pytest.approx(0.3815, abs=1e-4)  # HSM7J4QJ
    # A tenth of the least (3.1 %), rounded down to the percent.
    assert thresholds()["min_reach"] == pytest.approx(np.floor(min(least.values()) / 10 * 100) / 100)
