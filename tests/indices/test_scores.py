"""The scores table: columns, no NaN on real profiles, sample-order independence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import gutbalance
from gutbalance.errors import UnrecognizedFormatError
from gutbalance.reference import with_percentiles as ranked_against_reference
from gutbalance.scores import contributions, parse_missing, score
from tests.helpers import MIXED_RANK_STUDY as STUDY
from tests.helpers import SMALL_COMMUNITY, make_cohort, scored, warnings_besides_shallow

from .conftest import gmhi_table_cohort
from .test_diversity import _random_cohort

#: The columns the scores issue asks for, first and in this order.
COLUMNS = [
    "immune_support", "training", "homeostasis", "nutrients", "barrier", "defense",
    "gmhi", "gmwi2", "shannon", "simpson", "richness", "evenness", "coverage", "kb_reach",
]
#: Every further score column (each also gets a percentile column).
MORE = [
    "training_confidence", "homeostasis_confidence", "nutrients_confidence", "barrier_confidence",
    "defense_confidence", "inverse_simpson", "chao1", "firmicutes_bacteroidetes_log2", "prevotella_bacteroides_log2",
    "dysbiosis", "placed",
]
#: The text columns at the end: rank of diversity, stool check, why a number
#: is missing, what to keep in mind.
TEXT = ["diversity_rank", "stool_like", "missing", "warnings"]


def assert_missing_only_with_a_reason(table: pd.DataFrame, name: str = "") -> None:
    """Every NaN score is named in the sample's ``missing`` text, every NaN
    percentile comes with a 'not comparable' warning, and nothing is infinite."""
    scores = [c for c in table.columns if c not in TEXT and not c.endswith("_percentile")]
    for sample, row in table.iterrows():
        for column in scores:
            value = row[column]
            assert not np.isinf(value), (name, sample, column)
            if np.isnan(value):
                assert f"{column}: " in row["missing"], (name, sample, column, row["missing"])
        pct = [c for c in table.columns if c.endswith("_percentile")]
        if pct and row[pct].isna().all() and row[scores].notna().any():
            assert "percentiles not comparable" in row["warnings"], (name, sample)

#: Every real data set in ../shared/data that holds profiles; the ones whose
#: format has no reader yet are reported, not silently passed.
REAL = [
    "gmwi2/SRR1761667_metaphlan.txt",
    "profiles/kefir_metaphlan3",
    "profiles/prebiotics_metaphlan3",
    "profiles/zeller2014_motus3_controls/profiles",
    "formats/qiime2",
]


def _real_cohorts(shared) -> dict[str, gutbalance.Cohort]:
    cohorts = {"gmhi": gmhi_table_cohort(shared)}
    for rel in REAL:
        try:
            cohorts[rel] = gutbalance.read_batch([shared / rel]).cohort
        except UnrecognizedFormatError:
            continue
    return {k: v for k, v in cohorts.items() if v is not None}


@pytest.mark.shared
def test_every_real_profile_gets_every_column_missing_only_with_a_reason(shared_data):
    cohorts = _real_cohorts(shared_data)
    assert {"gmhi", "gmwi2/SRR1761667_metaphlan.txt", "profiles/kefir_metaphlan3"} <= set(cohorts)
    for name, cohort in cohorts.items():
        table = scored(cohort)
        assert list(table.columns[: len(COLUMNS)]) == COLUMNS, name
        assert table.index.name == "sample"
        assert len(table) == cohort.n_samples
        assert list(table.columns[-len(TEXT):]) == TEXT, name
        assert_missing_only_with_a_reason(table, name)
        assert (table["diversity_rank"] == "species").all(), name
        json.dumps(contributions(cohort), allow_nan=False)  # serialisable for scores.json


def test_same_columns_with_and_without_counts():
    relative = score(make_cohort({"a": SMALL_COMMUNITY}))
    assert list(relative.columns) == COLUMNS + MORE + TEXT
    assert np.isnan(relative["chao1"]).all()
    assert "chao1" in parse_missing(relative["missing"].iloc[0])
    assert_missing_only_with_a_reason(relative)
    with_counts = score(_random_cohort(0, counts=True))
    assert list(with_counts.columns) == COLUMNS + MORE + TEXT
    assert with_counts["chao1"].notna().all()
    assert_missing_only_with_a_reason(with_counts)
    with_percentiles = scored(make_cohort({"a": SMALL_COMMUNITY}))
    assert {f"{c}_percentile" for c in ["immune_support", "gmhi", "shannon", "dysbiosis"]} <= set(
        with_percentiles.columns
    )
    # the percentiles sit between the numbers and the text columns, as in scores.tsv
    assert list(with_percentiles.columns[-len(TEXT):]) == TEXT
    assert list(with_percentiles.columns[: len(COLUMNS) + len(MORE)]) == COLUMNS + MORE


def test_score_itself_has_no_percentiles():
    """Percentiles are the reference's (gutbalance.reference.with_percentiles):
    the scores never depend on a reference population."""
    table = score(make_cohort({"a": SMALL_COMMUNITY}), percentiles=False)
    assert not [c for c in table.columns if c.endswith("_percentile")]
    assert "percentiles_against" not in contributions(make_cohort({"a": SMALL_COMMUNITY}))["a"]
    with pytest.raises(TypeError, match="with_percentiles"):
        score(make_cohort({"a": SMALL_COMMUNITY}), percentiles=True)


@pytest.mark.shared
def test_scores_do_not_depend_on_sample_order(kefir_cohort):
    rng = np.random.default_rng(7)
    order = rng.permutation(kefir_cohort.sample_names)
    shuffled = kefir_cohort.subset(order)
    a = scored(kefir_cohort)
    b = scored(shuffled).loc[a.index]
    pd.testing.assert_frame_equal(a, b, rtol=0, atol=1e-12)
    assert contributions(kefir_cohort) == contributions(shuffled)


def test_scores_do_not_depend_on_sample_order_when_built_in_another_order():
    profiles = {f"s{i}": {k: v * (1 + 0.1 * i) for k, v in SMALL_COMMUNITY.items()} for i in range(4)}
    # Scale each to 100 %.
    profiles = {s: {k: 100 * v / sum(p.values()) for k, v in p.items()} for s, p in profiles.items()}
    forward = scored(make_cohort(profiles))
    backward = scored(make_cohort(dict(reversed(list(profiles.items())))))
    pd.testing.assert_frame_equal(forward, backward.loc[forward.index], rtol=0, atol=1e-12)


@pytest.mark.shared
def test_contributions_name_gmhi_markers_and_gmwi2_taxa(shared_data):
    cohort = gutbalance.read(shared_data / "gmwi2" / "SRR1761667_metaphlan.txt")
    found = contributions(cohort)["SRR1761667"]
    assert found["gmwi2"]["calibrated"] is True
    assert found["gmwi2"]["database"] == "mpa_v30_CHOCOPhlAn_201901"
    assert len(found["gmwi2"]["taxa"]) == 22
    assert sum(t["coefficient"] for t in found["gmwi2"]["taxa"]) == pytest.approx(score(cohort).loc["SRR1761667", "gmwi2"])
    assert all(m["group"] in {"MH", "MN"} for m in found["gmhi"]["markers"])


ECOLI = ("k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|"
         "g__Escherichia|s__Escherichia_coli")
VAGINAL = {
    "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Lactobacillaceae|g__Lactobacillus|s__Lactobacillus_crispatus": 70.0,
    "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Lactobacillaceae|g__Lactobacillus|s__Lactobacillus_iners": 20.0,
    "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae|g__Gardnerella|s__Gardnerella_vaginalis": 10.0,
}
#: Scores where more is healthier, and where less is.
HEALTHIER_HIGH = ["immune_support", "training", "homeostasis", "nutrients", "barrier", "defense", "gmhi", "gmwi2",
                  "shannon", "simpson", "inverse_simpson", "richness", "evenness"]


def _as_motus(cohort: gutbalance.Cohort) -> gutbalance.Cohort:
    """Label the profiles mOTUs ones, the kind of the shipped reference."""
    cohort.samples["source_format"] = "cami"
    cohort.samples["database"] = "motus version 3.0.2"
    return cohort


def test_a_pure_e_coli_profile_is_below_the_10th_percentile_of_everything_healthy():
    table = scored(_as_motus(make_cohort({"e_coli": {ECOLI: 100.0}})))
    row = table.loc["e_coli"]
    for column in HEALTHIER_HIGH:
        if np.isnan(row[column]):
            # Missing, with the reason (no GMHI marker, one GMWI2 clade, one taxon's evenness).
            assert f"{column}: " in row["missing"], column
            assert np.isnan(row[f"{column}_percentile"])
        else:
            assert row[f"{column}_percentile"] < 10, (column, row[column], row[f"{column}_percentile"])
    assert row["dysbiosis_percentile"] > 90
    assert {"gmhi", "gmwi2", "evenness"} <= set(parse_missing(row["missing"]))


def test_a_vaginal_profile_is_flagged_as_not_stool():
    table = scored(_as_motus(make_cohort({"vaginal": VAGINAL, "stool": SMALL_COMMUNITY})))
    assert table.loc["vaginal", "stool_like"] == False  # noqa: E712 - a nullable boolean
    assert "does not look like stool" in table.loc["vaginal", "warnings"]
    assert "typical of the vagina" in table.loc["vaginal", "warnings"]
    assert table.loc["stool", "stool_like"] == True  # noqa: E712
    assert warnings_besides_shallow(table.loc["stool", "warnings"]) == []


def test_a_genus_level_table_gets_genus_diversity_and_no_gmhi_or_gmwi2():
    genera = {
        "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium": 30.0,
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides": 40.0,
        "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia": 20.0,
        "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae|g__Bifidobacterium": 10.0,
    }
    table = score(make_cohort({"g": genera}))
    row = table.loc["g"]
    assert row["diversity_rank"] == "genus"
    assert row["richness"] == 4
    expected = -sum(p * np.log(p) for p in (0.3, 0.4, 0.2, 0.1))
    assert row["shannon"] == pytest.approx(expected)
    assert np.isnan(row["gmhi"])
    assert np.isnan(row["gmwi2"])
    assert "gmhi: GMHI is defined on species; this sample resolves only to genus rank" in row["missing"]
    assert "gmwi2: GMWI2's model is over clades down to species" in row["missing"]
    assert np.isfinite(row["firmicutes_bacteroidetes_log2"])


def test_a_named_species_below_half_of_the_sample_is_not_called_nothing_named():
    # A table whose rows add up to 20 % (one named species, the rest not in
    # the table): no rank resolves, but the reason said "nothing classified
    # is named", which the species contradicts.
    with pytest.warns(gutbalance.GutBalanceWarning, match="add up to 20.00 %"):
        cohort = make_cohort({"low": {"k__Bacteria|p__Pseudomonadota|c__Gammaproteobacteria|o__Enterobacterales"
                                      "|f__Enterobacteriaceae|g__Escherichia|s__Escherichia_coli": 20.0}})
    row = score(cohort).loc["low"]
    assert row["diversity_rank"] == ""
    missing = parse_missing(row["missing"])
    for key in ("richness", "shannon", "gmhi", "gmwi2"):
        assert "nothing classified is named" not in missing[key], (key, missing[key])
        assert "less than half of" in missing[key], (key, missing[key])


def test_a_mostly_unclassified_kraken_report_gets_a_warning():
    cohort = make_cohort({"k": SMALL_COMMUNITY, "ok": SMALL_COMMUNITY})
    cohort.samples["source_format"] = "kraken"
    cohort.samples["unassigned"] = [0.8, 0.2]
    table = score(cohort)
    assert "80% of the reads are unclassified" in table.loc["k", "warnings"]
    assert warnings_besides_shallow(table.loc["ok", "warnings"]) == []


# --- one diversity rank for a whole study -------------------------------------------

DIVERSITY = ["richness", "shannon", "simpson", "inverse_simpson", "evenness"]


def _shannon(*shares: float) -> float:
    total = sum(shares)
    return -sum(p / total * np.log(p / total) for p in shares)


def test_auto_mixes_ranks_within_a_study_and_a_fixed_rank_does_not():
    cohort = make_cohort(STUDY)
    auto = score(cohort)
    assert auto["diversity_rank"].to_dict() == {
        "genus_sample": "genus", "species_sample": "species", "family_sample": "family"}
    genus = score(cohort, diversity_rank="genus")
    assert genus.loc["genus_sample", "diversity_rank"] == "genus"
    assert genus.loc["species_sample", "diversity_rank"] == "genus"
    # the species sample's genera: Bacteroides 50, Faecalibacterium 20, Roseburia 30
    assert genus.loc["species_sample", "richness"] == 3
    assert genus.loc["species_sample", "shannon"] == pytest.approx(_shannon(50, 20, 30))
    assert auto.loc["species_sample", "richness"] == 3  # three species too: Shannon tells the ranks apart
    assert auto.loc["species_sample", "shannon"] == pytest.approx(_shannon(40, 20, 10))
    # the family-only sample resolves no genus: diversity missing, with the reason, never a family number
    row = genus.loc["family_sample"]
    assert row["diversity_rank"] == ""
    assert row[DIVERSITY].isna().all()
    missing = parse_missing(row["missing"])
    for column in DIVERSITY:
        assert "less than half of the classified abundance is named at genus rank" in missing[column], column
        assert "none at another rank" in missing[column]
    # each sample's own resolution is kept beside the rank asked (it picks its healthy population)
    assert genus["resolved_rank"].to_dict() == auto["diversity_rank"].to_dict()
    assert "resolved_rank" not in auto.columns
    # the genus sample is as under auto, bit for bit
    pd.testing.assert_series_equal(genus.loc["genus_sample"].drop("resolved_rank"), auto.loc["genus_sample"])
    # nothing but the diversity columns moves: pillars, GMHI and GMWI2 keep their own species test
    kept = [c for c in auto.columns if c not in (*DIVERSITY, "chao1", "diversity_rank", "missing")]
    pd.testing.assert_frame_equal(genus[kept], auto[kept])
    assert "gmhi: GMHI is defined on species; this sample resolves only to genus rank" in genus.loc[
        "genus_sample", "missing"]
    assert np.isfinite(auto.loc["species_sample", "gmwi2"]) == np.isfinite(genus.loc["species_sample", "gmwi2"])


def test_a_fixed_rank_is_a_parameter_each_row_still_depends_on_its_sample_alone():
    cohort = make_cohort(STUDY)
    together = score(cohort, diversity_rank="family")
    assert (together["diversity_rank"] == "family").all()
    assert together.loc["family_sample", "richness"] == 3
    assert together.loc["family_sample", "shannon"] == pytest.approx(_shannon(60, 25, 15))
    for name in STUDY:
        alone = score(make_cohort({name: STUDY[name]}), diversity_rank="family")
        pd.testing.assert_series_equal(alone.loc[name], together.loc[name])
    # species: only the species sample resolves it
    species = score(cohort, diversity_rank="species")
    assert species["diversity_rank"].to_dict() == {
        "genus_sample": "", "species_sample": "species", "family_sample": ""}


def test_a_diversity_rank_that_is_no_rank_is_refused():
    with pytest.raises(gutbalance.DataError, match=r"diversity rank 'genera': choose one of auto, species, genus"):
        score(make_cohort(STUDY), diversity_rank="genera")


#: A merged MetaPhlAn 3 table whose second sample is all UNKNOWN (as 14 samples
#: of a real merged table are: docs/tried-on-public-data.md, Oliver et al. 2021).
_ALL_UNKNOWN = "\n".join([
    "#mpa_v30_CHOCOPhlAn_201901",
    "clade_name\tA\tB",
    "UNKNOWN\t0.0\t100.0",
    *(f"{'|'.join(lineage[:i + 1])}\t{100.0 if i < 6 else share}\t0.0" for lineage, share in [(
        ("k__Bacteria", "p__Bacteroidetes", "c__Bacteroidia", "o__Bacteroidales", "f__Bacteroidaceae",
         "g__Bacteroides", "s__Bacteroides_vulgatus"), 100.0)] for i in range(7)),
]) + "\n"


def test_a_sample_with_nothing_classified_says_so_not_that_half_is_unnamed(tmp_path):
    # "less than half of the classified abundance is named" described a share of nothing
    path = tmp_path / "merged.tsv"
    path.write_text(_ALL_UNKNOWN, encoding="utf-8")
    table = score(gutbalance.read(path))
    empty = parse_missing(table.loc["B", "missing"])
    for column in ("shannon", "richness", "gmhi", "gmwi2"):
        assert "nothing in it is classified: all of its abundance is unassigned" in empty[column], column
        assert "less than half" not in empty[column], column
    assert table.loc["A", "diversity_rank"] == "species"
    assert_missing_only_with_a_reason(table)


def test_an_empty_column_of_a_merged_table_is_warned_and_misses_every_score_for_that_reason(tmp_path):
    # A sample whose every value is 0 read as one "nothing to place: the input gives no
    # lineage", "resolves no rank", "no taxon placed at phylum rank" ... and no warning.
    lines = ["#mpa_v30_CHOCOPhlAn_201901", "clade_name\tA\tB"]
    clade = ""
    for part in ["k__Bacteria", "p__Firmicutes", "c__Clostridia", "o__Clostridiales", "f__Ruminococcaceae",
                 "g__Faecalibacterium"]:
        clade = f"{clade}|{part}" if clade else part
        lines.append(f"{clade}\t100\t0")
    lines.append(f"{clade}|s__Faecalibacterium_prausnitzii\t100\t0")
    path = tmp_path / "merged.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(gutbalance.GutBalanceWarning, match="sample 'B': every abundance is 0 .an empty column.."):
        cohort = gutbalance.read(path)
    table = score(cohort)
    reasons = parse_missing(table.loc["B", "missing"])
    assert {"immune_support", "shannon", "gmhi", "dysbiosis", "firmicutes_bacteroidetes_log2", "placed"} <= set(reasons)
    assert set(reasons.values()) == {"it holds no abundance: every value of it in the input is 0"}
    assert table.loc["B", ["immune_support", "shannon", "gmhi", "dysbiosis"]].isna().all()
    assert parse_missing(table.loc["A", "missing"]).get("placed") is None
    assert_missing_only_with_a_reason(table)
    # nothing to rank, so no "percentiles not comparable ... no-level" beside its reason
    ranked = ranked_against_reference(table, cohort)
    assert "percentiles not comparable" not in str(ranked.loc["B", "warnings"])
