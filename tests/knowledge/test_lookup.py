"""Lookup with rank fallback, synonyms, the trait matrix and coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from gutbalance.errors import DataError
from gutbalance.knowledge import (
    EVIDENCE_WEIGHT,
    RANK_CONFIDENCE,
    coverage_matrix,
    load_tables,
    lookup,
    trait_matrix,
)
from tests.helpers import SMALL_COMMUNITY, make_cohort

HEADER = "taxon\trank\tncbi_taxid\ttrait\tvalue\tqualifier\tevidence\tsource\tnote\n"
SRC = "doi:10.1111/1462-2920.13589"


@pytest.fixture
def small_kb(tmp_path):
    facts = tmp_path / "facts.tsv"
    facts.write_text(
        HEADER
        + f"Roseburia\tgenus\t\tbutyrate_producer\t1\troute=but\treview_consensus\t{SRC}\t\n"
        + f"Roseburia intestinalis\tspecies\t\tbutyrate_producer\t1\troute=but\texperiment\t{SRC}\t\n"
        + f"Roseburia intestinalis\tspecies\t\tbutyrate_producer\t0\t\tmodel_prediction\t{SRC}\tweaker, ignored\n"
        + f"Lachnospiraceae\tfamily\t\tbutyrate_producer\t1\t\treview_consensus\t{SRC}\t\n"
        + f"Mediterraneibacter gnavus\tspecies\t\tmucin_degrader\t1\t\texperiment\t{SRC}\t\n",
        encoding="utf-8",
    )
    bib = tmp_path / "sources.tsv"
    bib.write_text(f"id\tshort\tcitation\n{SRC}\tLouis & Flint 2017\tLouis P, Flint HJ. Environ Microbiol 2017.\n")
    return load_tables([facts], bib)


def test_species_row_wins_and_strongest_evidence_wins(small_kb):
    calls = lookup("Roseburia intestinalis", kb=small_kb).set_index("trait")
    assert calls.loc["butyrate_producer", "value"] == 1.0
    assert calls.loc["butyrate_producer", "resolved_rank"] == "species"
    assert calls.loc["butyrate_producer", "confidence"] == pytest.approx(1.0)


def test_genus_then_family_fallback_lowers_confidence(small_kb):
    genus = lookup("Roseburia hominis", kb=small_kb).set_index("trait").loc["butyrate_producer"]
    assert genus["resolved_rank"] == "genus"
    assert genus["confidence"] == pytest.approx(RANK_CONFIDENCE["genus"] * EVIDENCE_WEIGHT["review_consensus"])
    family = lookup("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Blautia|s__Blautia_obeum",
                    kb=small_kb).set_index("trait").loc["butyrate_producer"]
    assert family["resolved_rank"] == "family"
    assert family["confidence"] < genus["confidence"]
    assert lookup("Blautia obeum", kb=small_kb, max_rank="genus").empty  # no family known from a bare name


def test_synonyms_are_followed(small_kb):
    calls = lookup("Ruminococcus_gnavus", kb=small_kb)
    assert calls["resolved_taxon"].tolist() == ["Mediterraneibacter gnavus"]


def test_unknown_trait_is_an_error(small_kb):
    with pytest.raises(DataError):
        lookup("Roseburia hominis", traits=["not_a_trait"], kb=small_kb)


def test_trait_matrix_on_a_cohort_and_cache(small_kb):
    cohort = make_cohort({"a": SMALL_COMMUNITY})
    matrix, taxa = cohort.rank_matrix("species")
    tm = trait_matrix(taxa, ["butyrate_producer", "mucin_degrader"], kb=small_kb)
    assert tm.values.shape == (len(taxa), 2)
    assert tm.values.loc["s__Roseburia intestinalis", "butyrate_producer"] == 1.0
    # Agathobacter rectalis sits under a placeholder genus: family fallback only.
    assert tm.resolved_rank.loc["s__Agathobacter rectalis", "butyrate_producer"] == "family"
    assert np.isnan(tm.values.loc["s__Escherichia coli", "butyrate_producer"])
    assert trait_matrix(taxa, ["butyrate_producer", "mucin_degrader"], kb=small_kb) is tm  # cached
    # Scoring is a sparse product: abundance-weighted butyrate capacity.
    weighted = matrix @ tm.filled()["butyrate_producer"].to_numpy()
    assert weighted[0] == pytest.approx(0.125 + 0.10)


def test_coverage_counts_species_and_genus_only(small_kb):
    taxa = pd.DataFrame({"rank": "species"}, index=["Roseburia intestinalis", "Roseburia hominis", "Blautia obeum"])
    abundance = sp.csr_matrix(np.array([[0.5, 0.25, 0.25], [0.0, 0.0, 1.0]]))
    cov = coverage_matrix(abundance, taxa, kb=small_kb)
    assert cov.loc[0, "annotated"] == pytest.approx(0.75)
    assert cov.loc[0, "nutrients"] == pytest.approx(0.75)
    assert cov.loc[0, "barrier"] == pytest.approx(0.0)
    assert cov.loc[1, "annotated"] == pytest.approx(0.0)


def test_shipped_kb_knows_the_classics():
    calls = lookup("Faecalibacterium prausnitzii").set_index("trait")
    assert calls.loc["butyrate_producer", "value"] == 0.8  # Barcenilla 2000 via bugphyzz, frequency "usually"
    assert calls.loc["anti_inflammatory", "value"] == 1.0
    ecoli = lookup("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae"
                   "|g__Escherichia|s__Escherichia_coli").set_index("trait")
    assert ecoli.loc["lps_tlr4_agonist", "value"] == 1.0
    # The bloom marker is defined on the old family, today's order (Adeolu 2016).
    assert ecoli.loc["enterobacteriaceae", "resolved_rank"] == "order"
    assert "strain" in ecoli.loc["pathobiont", "qualifier"]
    dorei = lookup("Bacteroides dorei").set_index("trait")  # renamed to Phocaeicola dorei
    assert dorei.loc["lps_tlr4_agonist", "value"] == 0.0
