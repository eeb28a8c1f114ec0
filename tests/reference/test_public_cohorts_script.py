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


def test_jangi_untreated_comparison_keeps_the_controls_and_leaves_treated_patients_out(tmp_path):
    """Jangi et al. 2016's QIIME 2 metadata, typed in its shape (a ``#q2:types`` row, treatments spelt
    several ways): the untreated comparison sets controls against untreated patients only."""
    script = import_script("validate_public_cohorts")
    path = tmp_path / "subset_metadata_MS.tsv"
    path.write_text(
        "sample-id\tHost_disease\thost_phenotype\n"
        "#q2:types\tcategorical\tcategorical\n"
        "SRR1\tHealthy_Control\tHealthy_Control\n"
        "SRR2\tMultiple_sclerosis_in_remission\tMultiple_Sclerosis_Untreated\n"
        "SRR3\tMultiple_sclerosis_in_remission\tMultiple_Sclerosis_untreated\n"
        "SRR4\tMultiple_sclerosis_in_remission\tMultiple_Sclerosis_Interferon\n"
        "SRR5\tMultiple_sclerosis_in_remission\tMultiple_Sclerosis_-_copaxone\n"
    )
    inputs, metadata = script.build_jangi(tmp_path, tmp_path)
    assert [p.name for p in inputs] == ["filt-feature-table.qza", "hybrid-taxonomy.qza"]
    assert metadata["run"].tolist() == ["control", "untreated", "untreated", "interferon", "copaxone"]
    (untreated,) = [c for c in script.COHORTS if c.folder == "jangi2016_ms"][0].comparisons[1:]
    health = script.comparison_metadata(metadata, untreated)["health"].tolist()
    assert health == ["healthy", "disease", "disease", "", ""]


def test_psoriasis_pairs_are_labelled_from_the_metadata_and_read_with_samples_as_rows(tmp_path):
    """The psoriasis study's MaAsLin2 table (samples as rows under 'feature') and metadata.txt (an unnamed
    first column), typed in their shape: each sample's label, and gutbalance reading the table as is."""
    script = import_script("validate_public_cohorts")
    (tmp_path / "filtered_data.tsv").write_text(
        "feature\ts__Blautia_obeum\ts__Faecalibacterium_prausnitzii\n"
        "Control.A01\t0.4\t0.6\n"
        "PsO.A01\t0.7\t0.3\n"
    )
    (tmp_path / "metadata.txt").write_text(
        "\tDisease\tFamily\tDataset\n"
        "Control.A01\tHealthy\tA01\tTrain\n"
        "Control.C01\tHealthy\tC01\tValidate\n"
        "PsO.A01\tPsoriasis\tA01\tTrain\n"
    )
    inputs, metadata = script.build_psoriasis(tmp_path, tmp_path)
    assert metadata[["sample", "group", "run"]].values.tolist() == [
        ["Control.A01", "healthy", "A01"], ["PsO.A01", "psoriasis", "A01"]]
    cohort = gutbalance.read(inputs[0])
    assert sorted(cohort.sample_names) == ["Control.A01", "PsO.A01"]
