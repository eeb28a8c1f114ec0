"""The table building and label mapping of ``scripts/validate_public_cohorts.py`` (issue 12, report only).

The cohorts themselves live outside the project (``/work/outside-data``); these
tests build tiny tables shaped like the published ones and check what the
script makes of them, down to gutbalance reading the reshaped table.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gutbalance
from gutbalance.errors import GutBalanceWarning
from tests.helpers import import_script

ROOT = Path(__file__).resolve().parents[2]



def test_the_scripts_examples_hold():
    failed, tried = doctest.testmod(import_script("validate_public_cohorts"))
    assert tried >= 5
    assert failed == 0


def _gespic():
    """Two runs that reuse a PatientID for different people, as GESPIC's Supplementary Table 3 does."""
    master = pd.DataFrame({
        "PatientID": ["P1", "P2", "P1"],
        "clin.SeqExp": [0, 0, 1],
        "clin.Cohort": ["H", "C", "S"],
        "tax.ASV1": [0.5, 0.1, 0.2],
        "tax.ASV2": [0.3, 0.6, 0.5],
        "tax.ASV3": [0.1, 0.2, 0.2],
        "tax.Faecalibacterium": [0.3, 0.6, 0.5],  # a genus bin: not a taxon column of its own
        "tax.Shannon": [1.0, 1.1, 1.2],
    })
    taxonomy = pd.DataFrame({
        "ASV": ["ASV1", "ASV2", "ASV3"],
        "phylum": ["Bacteroidota", "Firmicutes", "Euryarchaeota"],
        "class": ["Bacteroidia", "Clostridia", "Methanobacteria"],
        "order": ["Bacteroidales", "Oscillospirales", "Methanobacteriales"],
        "family": ["Bacteroidaceae", "Ruminococcaceae", "Methanobacteriaceae"],
        "genus": ["Bacteroides", "Faecalibacterium", "Methanobrevibacter"],
        "purported_species": ["vulgatus", "NA", "smithii"],
        "bin": ["Bacteroides", "Faecalibacterium", "Methanobrevibacter"],
    })
    return master, taxonomy


def test_gespic_samples_keep_their_run_and_only_asvs_are_taxa():
    script = import_script("validate_public_cohorts")
    profile, metadata = script.gespic_tables(*_gespic())
    assert list(profile.columns) == ["P1_run0", "P2_run0", "P1_run1"]
    assert metadata["group"].tolist() == ["healthy", "CD", "axSpA"]
    assert metadata["run"].tolist() == [0, 0, 1]
    assert len(profile) == 3
    assert "d__Archaea;p__Euryarchaeota;c__Methanobacteria;o__Methanobacteriales;f__Methanobacteriaceae;" \
           "g__Methanobrevibacter;s__Methanobrevibacter smithii" in profile.index
    assert profile.loc[profile.index.str.endswith("g__Faecalibacterium"), "P2_run0"].item() == 0.6


def test_gespic_table_is_read_by_gutbalance(tmp_path):
    """The reshaped table goes through gutbalance's own reader: three samples, the ASVs' phyla, and the
    abundances the supplementary table gave (each sample's ASVs sum to 0.9 there; the rest is unassigned)."""
    script = import_script("validate_public_cohorts")
    profile, _ = script.gespic_tables(*_gespic())
    path = tmp_path / "gespic.tsv"
    profile.to_csv(path, sep="\t")
    with pytest.warns(GutBalanceWarning, match="add up to 90.00 %"):
        cohort = gutbalance.read(path)
    assert sorted(cohort.sample_names) == ["P1_run0", "P1_run1", "P2_run0"]
    scores = gutbalance.score(cohort)
    assert scores.loc[["P1_run0", "P2_run0", "P1_run1"], "shannon"].notna().all()
    assert scores["shannon"].nunique() == 3


def test_metaml_dataset_is_cut_from_its_metadata_rows():
    script = import_script("validate_public_cohorts")
    raw = pd.DataFrame([
        ["dataset_name", "Neilsen_genome_assembly", "Neilsen_genome_assembly", "other", "Neilsen_genome_assembly"],
        ["sampleID", "O2_UC49_0", "V1_CD1_0", "X1", "MH0002"],
        ["subjectID", "o2_uc49", "v1_cd1", "x1", "mh0002"],
        ["disease", "n", "ibd_crohn_disease", "n", "n"],
        ["country", "spain", "spain", "italy", "denmark"],
        ["k__Bacteria", "100", "100", "100", "100"],
        ["k__Bacteria|p__Firmicutes", "60", "20", "50", "55"],
    ])
    profile, metadata = script.metaml_tables(raw, "Neilsen_genome_assembly")
    assert list(profile.columns) == ["O2_UC49_0", "V1_CD1_0", "MH0002"]
    assert profile.loc["k__Bacteria|p__Firmicutes"].tolist() == [60.0, 20.0, 55.0]
    assert metadata["run"].tolist() == ["O2", "V1", "denmark"]
    assert metadata["group"].tolist() == ["healthy", "CD", "healthy"]
    with pytest.raises(ValueError, match="no MetAML dataset"):
        script.metaml_tables(raw, "absent")


def test_comparisons_leave_other_groups_and_runs_out():
    script = import_script("validate_public_cohorts")
    metadata = pd.DataFrame({"sample": list("abcdef"),
                             "group": ["healthy", "healthy relative", "CD", "UC", "CD", "healthy"],
                             "subject": list("abcdef"), "run": ["O2", "V1", "V1", "O2", "V1", "denmark"]})
    relatives = script.Comparison("v1", ("CD",), healthy=("healthy relative",), where=script._v1)
    assert script.comparison_metadata(metadata, relatives)["health"].tolist() == ["", "healthy", "disease", "", "disease", ""]
    everyone = script.Comparison("all", ("CD", "UC"))
    out = script.comparison_metadata(metadata, everyone)
    assert out["health"].tolist() == ["healthy", "", "disease", "disease", "disease", "healthy"]
    assert out["study"].tolist() == ["all", "", "all", "all", "all", "all"]
    population = script.Comparison("p", ("healthy", "healthy relative"), label_where=script._denmark)
    assert script.comparison_metadata(metadata, population)["health"].tolist() == [
        "disease", "disease", "", "", "", "healthy"]


def test_independent_auc_is_the_pair_count():
    """U/(n1 n0) from scipy equals counting pairs (ties half), the definition gutbalance validate uses."""
    script = import_script("validate_public_cohorts")
    rng = np.random.default_rng(3)
    scores = pd.Series(np.round(rng.normal(size=40), 1))
    health = pd.Series(np.where(rng.random(40) < 0.4, "healthy", "disease"))
    auc, n1, n0 = script.independent_auc(scores, health)
    well, ill = scores[health == "healthy"].to_numpy(), scores[health == "disease"].to_numpy()
    pairs = (well[:, None] > ill[None, :]).sum() + 0.5 * (well[:, None] == ill[None, :]).sum()
    assert (n1, n0) == (len(well), len(ill))
    assert auc == pytest.approx(pairs / (n1 * n0))


def test_markdown_marks_an_index_scored_on_fewer_samples():
    script = import_script("validate_public_cohorts")
    rows = [{"score": s, "study": "x", "auc": 0.6, "low": 0.5, "high": 0.7, "n_label": 10, "n_against": 20}
            for s in script.SHOWN]
    rows[script.SHOWN.index("gmhi")].update(n_label=3, n_against=4)
    rows[script.SHOWN.index("gmwi2")].update(auc=np.nan)
    text = script.markdown(pd.DataFrame(rows), ["x"])
    line = text.splitlines()[-1]
    assert line.startswith("| x | 10 / 20 | 0.60 (0.50–0.70) |")
    assert "0.60 (0.50–0.70) [n 3 / 4]" in line
    assert "| – |" in line
