import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import gutbalance
from gutbalance.cohort import SampleProfile, build_cohort, concat
from gutbalance.errors import DataError, GutBalanceWarning
from gutbalance.taxonomy import parse_lineage
from tests.helpers import SMALL_COMMUNITY, make_cohort


def test_ancestors_are_summed_from_reported_leaves():
    cohort = make_cohort({"A": SMALL_COMMUNITY})
    genus = cohort.at_rank("genus")
    assert genus.loc["A", "g__Roseburia"] == pytest.approx(0.125)
    domain = cohort.at_rank("domain")
    assert domain.loc["A", "k__Bacteria"] == pytest.approx(1.0)
    phylum = cohort.at_rank("phylum")
    assert phylum.loc["A", "p__Bacillota"] == pytest.approx(0.425)


def test_reported_ancestor_is_not_double_counted():
    # genus reported with its species beneath it: the family must not add both
    profile = SampleProfile(
        sample="S",
        lineages=[parse_lineage("k__Bacteria|p__Firmicutes|c__C|o__O|f__F|g__G"),
                  parse_lineage("k__Bacteria|p__Firmicutes|c__C|o__O|f__F|g__G|s__G_x")],
        abundance=[0.6, 0.4],
        unassigned=0.4,
    )
    cohort = build_cohort([profile])
    # f__F is not in the lineage table: its column is keyed from its nearest
    # anchored ancestor (the phylum) down, and its name stays plain.
    assert cohort.taxa.loc["p__Bacillota|c__C|o__O|f__F", "name"] == "F"
    assert cohort.at_rank("family").loc["S", "p__Bacillota|c__C|o__O|f__F"] == pytest.approx(0.6)
    assert cohort.at_rank("domain").loc["S", "k__Bacteria"] == pytest.approx(0.6)


def test_renamed_taxa_merge_and_keep_original_spellings():
    a = make_cohort({"A": {"k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_vulgatus": 100.0}})
    b = make_cohort({"B": {"d__Bacteria;p__Bacteroidota;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Phocaeicola;s__Phocaeicola vulgatus": 100.0}})
    both = concat([a, b])
    species = both.at_rank("species")
    assert list(species.columns) == ["s__Phocaeicola vulgatus"]
    assert species["s__Phocaeicola vulgatus"].tolist() == [1.0, 1.0]
    assert "Bacteroides_vulgatus" in both.taxa.loc["s__Phocaeicola vulgatus", "original"]


@pytest.mark.parametrize("value", [np.nan, -0.1, np.inf])
def test_bad_values_are_refused_with_the_taxon_named(value):
    profile = SampleProfile(sample="S", lineages=[parse_lineage("k__Bacteria|p__Firmicutes")], abundance=[value])
    with pytest.raises(DataError, match="S"):
        build_cohort([profile])


def test_duplicate_samples_are_refused():
    p = SampleProfile(sample="S", lineages=[parse_lineage("k__Bacteria")], abundance=[1.0], source_file="a.txt")
    q = SampleProfile(sample="S", lineages=[parse_lineage("k__Bacteria")], abundance=[1.0], source_file="b.txt")
    with pytest.raises(DataError, match="a.txt"):
        build_cohort([p, q])


def test_total_far_from_100_percent_warns():
    p = SampleProfile(sample="S", lineages=[parse_lineage("k__Bacteria")], abundance=[0.5])
    with pytest.warns(GutBalanceWarning, match="50.00 %"):
        build_cohort([p])


def test_fractions_read_as_percent_get_a_warning_that_says_so():
    # A table of fractions (summing to 1) in a percent format arrives as 0.01 of the sample.
    p = SampleProfile(sample="S", lineages=[parse_lineage("k__Bacteria")], abundance=[0.01])
    with pytest.warns(GutBalanceWarning, match="add up to 1, not 100: they look like fractions") as caught:
        build_cohort([p])
    assert "1.00 %" not in str(caught[0].message)


def test_h5ad_round_trip_is_lossless(tmp_path):
    part = dict(list(SMALL_COMMUNITY.items())[:3])
    part = {k: 100.0 * v / sum(part.values()) for k, v in part.items()}
    cohort = make_cohort({"A": SMALL_COMMUNITY, "B": part})
    cohort = cohort.with_metadata(pd.DataFrame({"age": [30, 40]}, index=["A", "B"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = gutbalance.write(cohort, tmp_path / "c.h5ad")
        back = gutbalance.read_h5ad(path)
    assert (back.X != cohort.X).nnz == 0
    pd.testing.assert_frame_equal(back.taxa, cohort.taxa)
    assert back.samples["age"].tolist() == [30, 40]
    assert back.sample_names == cohort.sample_names


def test_subset_and_rank_matrix():
    cohort = make_cohort({"A": SMALL_COMMUNITY, "B": SMALL_COMMUNITY})
    sub = cohort.subset(["B"])
    assert sub.sample_names == ["B"]
    m, taxa = sub.rank_matrix("species", renormalize=True)
    assert sp.issparse(m)
    assert np.asarray(m.sum(axis=1)).ravel() == pytest.approx([1.0])
    with pytest.raises(DataError):
        cohort.subset(["nope"])
    with pytest.raises(DataError):
        cohort.rank_matrix("kingdomish")
