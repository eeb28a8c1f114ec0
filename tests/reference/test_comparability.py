"""Reading a sample's profiler family back from what its run saved, for a
whole scores table at once: each row's answer is the one it gets alone."""

import numpy as np
import pandas as pd

import gutbalance
from gutbalance.reference import load_reference
from gutbalance.reference.comparability import UNKNOWN, against_text, kind_from_against, saved_profiler, saved_profilers
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
