"""Reading a sample's profiler family back from what its run saved, for a
whole scores table at once: each row's answer is the one it gets alone."""

import numpy as np
import pandas as pd

import gutbalance
from gutbalance.reference import build_reference, load_reference, with_percentiles
from gutbalance.reference.comparability import (
    UNKNOWN,
    UNNAMED_CAVEAT,
    against_text,
    kind_from_against,
    saved_profiler,
    saved_profilers,
)
from gutbalance.scores_table import PERCENTILE_SUFFIX
from tests.helpers import SMALL_COMMUNITY, make_cohort


def _saved_table():
    keys = list(SMALL_COMMUNITY)
    rng = np.random.default_rng(3)
    profiles = {f"s{i}": dict(zip(keys, 100 * rng.dirichlet(np.ones(len(keys))), strict=True)) for i in range(6)}
    cohort = make_cohort(profiles)
    cohort.samples["source_format"] = ["metaphlan"] * 6
    return gutbalance.reference.with_percentiles(gutbalance.score(cohort), cohort)


def test_each_row_is_read_from_its_own_saved_percentiles_whatever_the_other_rows():
    reference = load_reference()
    saved = _saved_table()
    column = next(c for c in saved.columns if str(c).endswith(PERCENTILE_SUFFIX) and saved[c].notna().all())
    saved.loc["s2", column] = saved.loc["s2", column] + 0.5  # no population gives it: untold
    saved.loc["s4", [c for c in saved.columns if str(c).endswith(PERCENTILE_SUFFIX)]] = np.nan  # nothing saved
    saved.loc["s5", "warnings"] = "percentiles not comparable: the reference is x, this sample is mOTUs, species-level"
    whole = saved_profilers(saved, shipped=reference)
    assert whole.tolist() == ["MetaPhlAn", "MetaPhlAn", "", "MetaPhlAn", "", "mOTUs"]
    percentile_columns = [c for c in saved.columns if str(c).endswith(PERCENTILE_SUFFIX)]
    for sample in saved.index:
        row = saved.loc[sample]
        alone = saved_profiler(str(row["warnings"] or ""), saved_percentiles=row[percentile_columns].astype(float),
                               values=row, rank=str(row["diversity_rank"]), shipped=reference)
        assert alone == whole[sample]
        assert saved_profilers(saved.loc[[sample]], shipped=reference)[sample] == whole[sample]
    # what scores.json says comes first
    told = saved_profilers(saved, {"s2": {"percentiles_against": "539 healthy mOTUs runs (species level)"}},
                           shipped=reference)
    assert told["s2"] == "mOTUs"
    assert saved_profilers(saved, shipped=None).tolist() == ["", "", "", "", "", "mOTUs"]
    assert saved_profilers(pd.DataFrame(index=pd.Index([], name="sample")), shipped=reference).empty


def test_a_population_of_profiles_naming_no_profiler_is_said_in_words():
    kind = {"profiler": UNKNOWN, "rank": "genus"}
    text = against_text(251, kind)
    assert text == "251 healthy profiles whose files do not name their profiler (genus level)"
    assert kind_from_against(text) == kind
    # the words results saved before still read back
    assert kind_from_against("251 healthy unknown runs (genus level)") == kind
    assert kind_from_against(against_text(3, {"profiler": UNKNOWN, "rank": ""}, healthy=False)) == {
        "profiler": UNKNOWN, "rank": ""}


GENUS_TABLE = ("SampleID,Bacteroides,Faecalibacterium,Blautia,Escherichia-Shigella,Roseburia,Bifidobacterium\n"
               "A,400,300,150,20,130,40\nB,350,200,250,90,110,5\nC,500,150,200,10,140,60\nD,100,100,100,600,100,1\n")


def test_a_labs_own_reference_of_tables_naming_no_profiler_places_its_samples(tmp_path):
    # a 16S lab builds its healthy reference from its own genus table: its samples, which
    # name no profiler either, get percentiles against it, with the caveat that nothing checks the pipeline
    path = tmp_path / "genus.csv"
    path.write_text(GENUS_TABLE, encoding="utf-8")
    cohort = gutbalance.read(path, feature_rank="genus")
    reference = build_reference(cohort.subset(np.array([True, True, True, False])), name="lab", description="lab controls",
                                source="this lab")
    assert reference.primary.kind == {"profiler": UNKNOWN, "rank": "genus"}
    table = with_percentiles(gutbalance.score(cohort), cohort, reference=reference)
    assert table["immune_support_percentile"].notna().all()
    assert all(UNNAMED_CAVEAT in warning for warning in table["warnings"])
    # a MetaPhlAn sample is not placed against it, and the note reads in words
    metaphlan = make_cohort({"stool": SMALL_COMMUNITY})
    metaphlan.samples["source_format"] = "metaphlan"
    placed = with_percentiles(gutbalance.score(metaphlan), metaphlan, reference=reference)
    assert placed["immune_support_percentile"].isna().all()
    assert ("percentiles not comparable: the reference (lab) is profiles whose files do not name their profiler, "
            "genus-level, this sample is MetaPhlAn, species-level") in placed.loc["stool", "warnings"]


def test_tables_naming_no_profiler_are_still_placed_against_no_shipped_population():
    cohort = make_cohort({"table": SMALL_COMMUNITY})
    table = with_percentiles(gutbalance.score(cohort), cohort)
    assert table.filter(like="_percentile").isna().all(axis=None)
    assert "percentiles not comparable" in table.loc["table", "warnings"]
    assert UNNAMED_CAVEAT not in table.loc["table", "warnings"]
