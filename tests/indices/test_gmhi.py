"""GMHI against the authors' reference output and the rules of GMHI.R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gutbalance.indices.gmhi import gmhi, gmhi_contributions, gmhi_table, marker_species
from tests.helpers import make_cohort

BACT = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales"


def _species(name: str, family: str = "f__Lachnospiraceae", genus: str | None = None) -> str:
    genus = genus or name.split("_")[0]
    return f"{BACT}|{family}|g__{genus}|s__{name}"


@pytest.mark.shared
def test_gmhi_matches_reference_output(gmhi_cohort, shared_data):
    expected = pd.read_csv(shared_data / "gmhi" / "GMHI_output.csv", index_col=0)["GMHI"]
    table = gmhi_table(gmhi_cohort).reindex(expected.index)
    got = table["gmhi"]
    # GMHI.R writes 0 for Sample19 and Sample20, which have no marker species at
    # all (its pseudocount ratio); gutbalance says the index is missing, and why.
    no_markers = ["Sample19", "Sample20"]
    assert (expected[no_markers] == 0).all()
    assert got[no_markers].isna().all()
    assert table.loc[no_markers, "gmhi_missing"].str.contains("none of the 50 GMHI marker species").all()
    rest = expected.drop(no_markers)
    assert not got[rest.index].isna().any()
    np.testing.assert_allclose(got[rest.index].to_numpy(), rest.to_numpy(), rtol=0, atol=1e-9)


@pytest.mark.shared
def test_gmhi_contributions_are_the_markers_present(gmhi_cohort):
    table = gmhi_table(gmhi_cohort)
    found = gmhi_contributions(gmhi_cohort)
    for sample, markers in found.items():
        groups = [m["group"] for m in markers]
        assert groups.count("MH") == table.loc[sample, "richness_mh"]
        assert groups.count("MN") == table.loc[sample, "richness_mn"]
        assert all(m["abundance"] >= 0.00001 for m in markers)
    # Sample19 and Sample20 have no marker at all in the reference output (GMHI 0).
    assert found["Sample19"] == []
    assert found["Sample20"] == []


def test_marker_list_is_the_published_one():
    markers = marker_species()
    assert (markers["group"] == "MH").sum() == 7
    assert (markers["group"] == "MN").sum() == 43
    assert markers["taxon"].is_unique
    # MetaPhlAn 2 names resolve to their current names.
    assert "s__Enterocloster bolteae" in set(markers["taxon"])
    assert "s__Mediterraneibacter gnavus" in set(markers["taxon"])


def _community(**extra: float) -> dict[str, float]:
    base = {
        _species("Bifidobacterium_adolescentis", "f__Bifidobacteriaceae"): 10.0,
        _species("Alistipes_senegalensis", "f__Rikenellaceae"): 5.0,
        _species("Clostridium_bolteae", "f__Lachnospiraceae", "Clostridium"): 3.0,
        _species("Faecalibacterium_prausnitzii", "f__Ruminococcaceae"): 60.0,
        _species("Veillonella_atypica", "f__Veillonellaceae"): 2.0,
    }
    base.update(extra)
    # Percent of the sample: scale to 100 % (renormalising leaves GMHI unchanged).
    total = sum(base.values())
    return {k: v * 100.0 / total for k, v in base.items()}


def test_gmhi_by_hand():
    cohort = make_cohort({"a": _community()})
    total = 80.0
    mh = np.array([10.0, 5.0]) / total
    mn = np.array([3.0, 2.0]) / total
    psi_mh = 2 / 7 * -(mh * np.log(mh)).sum()
    psi_mn = 2 / 31 * -(mn * np.log(mn)).sum()
    expected = np.log10((psi_mh + 1e-5) / (psi_mn + 1e-5))
    assert gmhi(cohort)["a"] == pytest.approx(expected, abs=1e-12)


def test_renamed_markers_match_through_synonyms():
    old = make_cohort({"a": _community()})
    renamed = {k.replace("Clostridium_bolteae", "Enterocloster_bolteae").replace("g__Clostridium", "g__Enterocloster"): v
               for k, v in _community().items()}
    new = make_cohort({"a": renamed})
    assert gmhi(new)["a"] == pytest.approx(gmhi(old)["a"], abs=1e-12)
    assert gmhi_table(new).loc["a", "richness_mn"] == 2


@pytest.mark.parametrize(("old", "new"), [
    (("Clostridium_hathewayi", "Clostridium"), ("Hungatella_hathewayi", "Hungatella")),
    (("Clostridium_nexile", "Clostridium"), ("Tyzzerella_nexilis", "Tyzzerella")),
])
def test_every_health_scarce_marker_counts_under_its_current_name(old, new):
    """MetaPhlAn 3's and NCBI's names of two GMHI markers (Hungatella
    hathewayi, Tyzzerella nexilis) were not counted: GMHI differed by up to
    0.75 on real MetaPhlAn 3 profiles (an outside check, 2026-11-29)."""
    named_old = make_cohort({"a": _community(**{_species(old[0], "f__Lachnospiraceae", old[1]): 4.0})})
    named_new = make_cohort({"a": _community(**{_species(new[0], "f__Lachnospiraceae", new[1]): 4.0})})
    assert gmhi_table(named_old).loc["a", "richness_mn"] == 3
    assert gmhi_table(named_new).loc["a", "richness_mn"] == 3
    assert gmhi(named_new)["a"] == pytest.approx(gmhi(named_old)["a"], abs=1e-12)


def test_unclassified_and_virus_species_are_dropped_before_renormalising():
    plain = gmhi(make_cohort({"a": _community()}))["a"]
    virus = "k__Viruses|p__Viruses_noname|c__Viruses_noname|o__Viruses_noname|f__Retroviridae|g__Gammaretrovirus|s__Porcine_type_C_oncovirus"
    unclassified = _species("Roseburia_unclassified", "f__Lachnospiraceae", "Roseburia")
    with_dropped = gmhi(make_cohort({"a": _community(**{virus: 30.0, unclassified: 30.0})}))["a"]
    assert with_dropped == pytest.approx(plain, abs=1e-12)
    # A phage's name contains no "virus": GMHI.R keeps it, so it dilutes the markers.
    phage = "k__Viruses|p__Viruses_noname|c__Viruses_noname|o__Caudovirales|f__Siphoviridae|g__C2likevirus|s__Lactococcus_phage_jm2"
    with_phage = gmhi(make_cohort({"a": _community(**{phage: 30.0})}))["a"]
    assert with_phage != pytest.approx(plain, abs=1e-6)


def test_values_below_cutoff_are_absent():
    rare = _species("Streptococcus_anginosus", "f__Streptococcaceae")
    # 0.0005 % of 80.0005 % is below 0.00001 after renormalising: not a marker.
    table = gmhi_table(make_cohort({"a": _community(**{rare: 0.0005}), "b": _community(**{rare: 0.01})}))
    assert table.loc["a", "richness_mn"] == 2
    assert table.loc["b", "richness_mn"] == 3


def test_gmhi_is_missing_with_a_reason_without_species_or_markers():
    ecoli = "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae"
    cohort = make_cohort(
        {
            "phylum_only": {"k__Bacteria|p__Firmicutes": 100.0},
            "genus_table": {f"{BACT}|f__Lachnospiraceae|g__Roseburia": 60.0, f"{BACT}|f__Oscillospiraceae|g__Faecalibacterium": 40.0},
            "e_coli": {f"{ecoli}|g__Escherichia|s__Escherichia_coli": 100.0},
            "stool": _community(),
        }
    )
    table = gmhi_table(cohort)
    assert table["gmhi"][["phylum_only", "genus_table", "e_coli"]].isna().all()
    assert "only to phylum rank" in table.loc["phylum_only", "gmhi_missing"]
    assert "only to genus rank" in table.loc["genus_table", "gmhi_missing"]
    assert "none of the 50 GMHI marker species" in table.loc["e_coli", "gmhi_missing"]
    assert np.isfinite(table.loc["stool", "gmhi"])
    assert table.loc["stool", "gmhi_missing"] == ""
