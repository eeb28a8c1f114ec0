"""Firmicutes/Bacteroidetes and Prevotella/Bacteroides log ratios; dysbiosis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import braycurtis

import gutbalance
from gutbalance.indices.dysbiosis import NO_GENUS, dysbiosis, healthy_reference
from gutbalance.indices.ratios import PSEUDOCOUNT, log2_ratios
from gutbalance.pillars import EMPTY_REASON
from gutbalance.scores import parse_missing
from gutbalance.taxonomy import canonical_name
from gutbalance.taxonomy.lineage import parse_lineage
from tests.helpers import make_cohort

FIRM = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii"
BACT = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_uniformis"
PHOC = "k__Bacteria|p__Bacteroidota|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Phocaeicola|s__Phocaeicola_vulgatus"
PREV = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Prevotellaceae|g__Prevotella|s__Prevotella_copri"
SEGA = "k__Bacteria|p__Bacteroidota|c__Bacteroidia|o__Bacteroidales|f__Prevotellaceae|g__Segatella|s__Segatella_copri"
GTDB_FIRM = "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Oscillospirales;f__Ruminococcaceae;g__Faecalibacterium"
ECOLI = "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|g__Escherichia|s__Escherichia_coli"


def _log2(a: float, b: float) -> float:
    return float(np.log2((a + PSEUDOCOUNT) / (b + PSEUDOCOUNT)))


def test_firmicutes_bacteroidetes_by_hand_and_across_names():
    cohort = make_cohort(
        {
            "old": {FIRM: 60.0, BACT: 20.0, PREV: 20.0},
            "new": {GTDB_FIRM: 60.0, PHOC: 20.0, SEGA: 20.0},
        }
    )
    table = log2_ratios(cohort)
    assert table.loc["old", "firmicutes_bacteroidetes_log2"] == pytest.approx(_log2(0.6, 0.4))
    assert table.loc["new", "firmicutes_bacteroidetes_log2"] == pytest.approx(_log2(0.6, 0.4))
    # Segatella counts as Prevotella and Phocaeicola as Bacteroides.
    assert table.loc["old", "prevotella_bacteroides_log2"] == pytest.approx(_log2(0.5, 0.5))
    assert table.loc["new", "prevotella_bacteroides_log2"] == pytest.approx(0.0)


def test_ratios_are_finite_and_symmetric_when_a_group_is_absent():
    cohort = make_cohort(
        {"no_bact": {FIRM: 100.0}, "no_firm": {BACT: 100.0}, "neither": {ECOLI: 100.0},
         # a species neither the profile nor the bundled lineage table can place
         "species_only": {"s__Nonexistentia_fictiva": 100.0}}
    )
    table = log2_ratios(cohort, reasons=True)
    fb = table["firmicutes_bacteroidetes_log2"]
    assert fb["no_bact"] == pytest.approx(np.log2((1 + PSEUDOCOUNT) / PSEUDOCOUNT))
    assert fb["no_firm"] == pytest.approx(-fb["no_bact"])
    assert not np.isinf(table[["firmicutes_bacteroidetes_log2", "prevotella_bacteroides_log2"]].to_numpy()).any()
    # Nothing over nothing, and a phylum that cannot be placed, are missing, not 0.
    assert np.isnan(fb["neither"])
    assert "neither Bacillota nor Bacteroidota" in table.loc["neither", "firmicutes_bacteroidetes_log2_missing"]
    assert np.isnan(fb["species_only"])
    assert "placed at phylum rank" in table.loc["species_only", "firmicutes_bacteroidetes_log2_missing"]
    assert table.loc["no_bact", "firmicutes_bacteroidetes_log2_missing"] == ""


def test_healthy_reference_is_a_composition():
    reference = healthy_reference()
    assert reference.sum() == pytest.approx(1.0)
    assert (reference > 0).all()
    assert reference.index.is_unique
    assert "g__Bacteroides" in reference.index
    assert reference.idxmax() == "g__Bacteroides"


def test_dysbiosis_is_bray_curtis_to_the_reference():
    reference = healthy_reference()
    genera = [g.removeprefix("g__") for g in reference.index]
    lineage = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Fam|g__{}"
    same = {lineage.format(g): 100.0 * v for g, v in zip(genera, reference, strict=True)}
    half = {lineage.format(genera[0]): 50.0, ECOLI: 50.0}
    cohort = make_cohort({"healthy_median": same, "half": half, "unrelated": {lineage.format("Sk1virus"): 100.0}})
    score = dysbiosis(cohort)
    assert score["healthy_median"] == pytest.approx(0.0, abs=1e-12)
    assert score["unrelated"] == pytest.approx(1.0)
    # Dense recomputation with scipy over the union of genera.
    ids = list(dict.fromkeys([*reference.index, "g__Escherichia"]))
    x = np.array([0.5 if g in (reference.index[0], "g__Escherichia") else 0.0 for g in ids])
    r = reference.reindex(ids, fill_value=0.0).to_numpy()
    assert score["half"] == pytest.approx(braycurtis(x, r), abs=1e-12)


def test_dysbiosis_and_coverage_are_missing_where_there_is_nothing_to_measure():
    # faults: a family-level table and a sample with nothing classified read dysbiosis 1.0
    # ("nothing in common" with the healthy genera, which no genus was there to show), and the
    # empty sample's coverage 0.0, a share of nothing
    families = {"k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae": 60.0,
                "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae": 40.0}
    cohort = gutbalance.build_cohort([
        gutbalance.SampleProfile("families", [parse_lineage(k) for k in families], [v / 100 for v in families.values()]),
        gutbalance.SampleProfile("nothing", [], [], unassigned=1.0),
        gutbalance.SampleProfile("genus", [parse_lineage(ECOLI)], [1.0]),
    ])
    table = gutbalance.score(cohort)
    assert table["dysbiosis"].isna().to_dict() == {"families": True, "nothing": True, "genus": False}
    for sample in ("families", "nothing"):
        assert parse_missing(table.loc[sample, "missing"])["dysbiosis"] == NO_GENUS
    assert np.isnan(table.loc["nothing", "coverage"])
    assert parse_missing(table.loc["nothing", "missing"])["coverage"] == EMPTY_REASON
    assert table.loc["families", "coverage"] == 0.0  # something bacterial, none of it at genus or species
    assert table.loc[["families", "genus"], "homeostasis"].notna().all()


def _braycurtis_to_reference(genera: pd.DataFrame) -> np.ndarray:
    """scipy's Bray-Curtis of each row (genus ids, placeholders already out) to the reference."""
    reference = healthy_reference()
    ids = list(dict.fromkeys([*genera.columns, *reference.index]))
    r = reference.reindex(ids, fill_value=0.0).to_numpy()
    x = genera.reindex(columns=ids, fill_value=0.0).to_numpy()
    return np.array([braycurtis(row / row.sum(), r) for row in x])


MPA2_RECTALE = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Eubacteriaceae|g__Eubacterium|s__Eubacterium_rectale"
MPA3_RECTALE = ("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Lachnospiraceae_unclassified"
                "|s__Eubacterium_rectale")
GTDB_GNAVUS = ("k__Bacteria|p__Firmicutes|c__Clostridia|o__Lachnospirales|f__Lachnospiraceae|g__Mediterraneibacter"
               "|s__Mediterraneibacter_gnavus")
MPA2_GNAVUS = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Blautia|s__Ruminococcus_gnavus"


def test_dysbiosis_counts_a_species_in_the_reference_genus_wherever_the_input_files_it():
    # The healthy reference is in MetaPhlAn 2's genera (E. rectale under Eubacterium, R. gnavus under
    # Blautia); MetaPhlAn 3 files E. rectale under a placeholder genus, which left it out of the
    # composition (a MetaPhlAn 2 profile read 0.035 higher than over its own genus rows, up to 0.16).
    cohort = make_cohort({
        "mpa2": {MPA2_RECTALE: 40.0, MPA2_GNAVUS: 10.0, BACT: 50.0},
        "mpa3": {MPA3_RECTALE: 40.0, GTDB_GNAVUS: 10.0, BACT: 50.0},
    })
    score = dysbiosis(cohort)
    assert score["mpa3"] == pytest.approx(score["mpa2"], abs=1e-12)
    expected = _braycurtis_to_reference(pd.DataFrame(
        [[40.0, 10.0, 50.0]], columns=["g__Eubacterium", "g__Blautia", "g__Bacteroides"]))
    assert score["mpa2"] == pytest.approx(expected[0], abs=1e-12)


@pytest.mark.shared
@pytest.mark.parametrize("study", ["franzosa2019_ibd", "ihmp_ibdmdb2019"])
def test_dysbiosis_of_metaphlan2_profiles_is_over_their_own_genera(shared_data, study):
    # An independent recomputation: each species summed under the genus of its own MetaPhlAn 2
    # lineage as the file writes it, placeholders left out, scipy's Bray-Curtis to the reference.
    path = shared_data / "labelled" / study / "species.tsv"
    table = pd.read_csv(path, sep="\t", index_col=0)
    genus = {c: next((p for p in c.split("|") if p.startswith("g__")), "g__unclassified") for c in table.columns}
    genera = table.T.groupby(pd.Series(genus)).sum().T
    genera = genera[[g for g in genera.columns if not g.endswith(("_unclassified", "_noname"))]]
    genera.columns = ["g__" + canonical_name("genus", g.removeprefix("g__")) for g in genera.columns]
    genera = genera.T.groupby(level=0).sum().T
    scored = dysbiosis(gutbalance.read(path))
    has_genus = genera.sum(axis=1) > 0
    np.testing.assert_allclose(scored[has_genus.index[has_genus]].to_numpy(),
                               _braycurtis_to_reference(genera[has_genus]), rtol=0, atol=1e-9)
