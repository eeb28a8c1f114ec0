"""A clade above its parent, or children adding up to more than their clade,
in the formats whose clades hold their children (MetaPhlAn single and merged,
sylph; gutbalance/clade_nesting.py): warned about in ``problems.tsv``, naming
the file, sample, clade and both abundances, on the batch fast path and the
per-file path alike; the sample is still scored.  Never for mOTUs/CAMI
profiles, whose ranks are estimated one by one."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.clade_nesting import NESTING_TOLERANCE, nesting_warnings
from gutbalance.errors import GutBalanceWarning
from gutbalance.io import read_batch
from gutbalance.io.formats import metaphlan
from gutbalance.io.limits import default_limits
from tests.helpers import nested_clades
from tests.io.test_metaphlan_batch import SPECIES, _both, _equal

HEADER = ["#mpa_v30_CHOCOPhlAn_201901", "#SampleID\tMetaphlan_Analysis",
          "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species"]
ACTINO = "k__Bacteria|p__Actinobacteria|c__Actinobacteria"
#: The shape of taxpasta's tests/data/metaphlan/mpa_invalid_abundance_sum.tsv
#: (typed here): Rothia 34.74319 % under Micrococcaceae 12 %, roots at 100 %.
ROTHIA = [
    ("k__Bacteria", 100.0), ("k__Bacteria|p__Actinobacteria", 100.0), (ACTINO, 100.0),
    (f"{ACTINO}|o__Corynebacteriales", 65.25681), (f"{ACTINO}|o__Micrococcales", 34.74319),
    (f"{ACTINO}|o__Corynebacteriales|f__Corynebacteriaceae", 65.25681),
    (f"{ACTINO}|o__Micrococcales|f__Micrococcaceae", 12.0),
    (f"{ACTINO}|o__Corynebacteriales|f__Corynebacteriaceae|g__Corynebacterium", 65.25681),
    (f"{ACTINO}|o__Micrococcales|f__Micrococcaceae|g__Rothia", 34.74319),
    (f"{ACTINO}|o__Corynebacteriales|f__Corynebacteriaceae|g__Corynebacterium|s__Corynebacterium_matruchotii",
     65.25681),
    (f"{ACTINO}|o__Micrococcales|f__Micrococcaceae|g__Rothia|s__Rothia_dentocariosa", 34.74319),
]


def _profile(rows: list[tuple[str, float]], text=repr) -> str:
    return "\n".join([*HEADER, *(f"{clade}\t\t{text(value)}\t" for clade, value in rows)]) + "\n"


def _nested(species: dict[str, float]) -> list[tuple[str, float]]:
    """Every clade of ``species`` (percent) as the sum of its children, parents first."""
    return sorted(nested_clades(species).items(), key=lambda kv: kv[0].count("|"))


def _nesting_problems(result) -> list[str]:
    return [p.message for p in result.problems if "holds its children" in p.message]


def test_a_child_above_its_parent_is_warned_on_both_paths_and_still_scored(tmp_path):
    path = tmp_path / "mpa_invalid_abundance_sum.tsv"
    path.write_text(_profile(ROTHIA))
    assert metaphlan.scan([path], default_limits()).files[0] is not None  # the fast path takes it
    fast, slow = _both([path])
    _equal(fast, slow)
    expected = ("sample 'mpa_invalid_abundance_sum': clade g__Rothia (34.74319 %) is above its parent f__Micrococcaceae "
                "(12 %). In this format a clade holds its children, so the profile contradicts itself (an edited or "
                "damaged file?); it is scored as written")
    assert [(p.file, p.severity, p.message) for p in fast.problems] == [(str(path), "warning", expected)]
    assert fast.cohort is not None
    assert fast.cohort.n_samples == 1
    # gutbalance.read (convert, the API) warns the same way, naming the file.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gutbalance.read(path)
    assert [str(w.message) for w in caught if issubclass(w.category, GutBalanceWarning)] == [f"{path}: {expected}"]


def test_children_adding_up_to_more_than_their_clade_are_warned(tmp_path):
    rows = _nested({SPECIES[1]: 30.0, SPECIES[2]: 20.0, SPECIES[7]: 50.0})
    genus = next(i for i, (clade, _) in enumerate(rows) if clade.endswith("g__Bacteroides"))
    rows[genus] = (rows[genus][0], 40.0)  # its two species add up to 50 %; neither is above 40 %
    path = tmp_path / "S1_profile.txt"
    path.write_text(_profile(rows))
    fast, slow = _both([path])
    _equal(fast, slow)
    message, = _nesting_problems(fast)
    assert message.startswith("sample 'S1': the 2 clades under g__Bacteroides add up to 50 %, "
                              "more than its 40 %"), message


def test_a_merged_table_warns_for_the_sample_that_contradicts_itself(tmp_path):
    rows = dict(ROTHIA)
    consistent = dict(_nested({ROTHIA[-2][0]: 65.25681, ROTHIA[-1][0]: 34.74319}))
    lines = ["#mpa_v30_CHOCOPhlAn_201901", "clade_name\tgood\tbad"]
    lines += [f"{clade}\t{consistent[clade]!r}\t{rows[clade]!r}" for clade in rows]
    path = tmp_path / "merged_abundance_table.txt"
    path.write_text("\n".join(lines) + "\n")
    result = read_batch([path])
    assert _nesting_problems(result) == [
        "sample 'bad': clade g__Rothia (34.74319 %) is above its parent f__Micrococcaceae (12 %). In this format a "
        "clade holds its children, so the profile contradicts itself (an edited or damaged file?); it is scored as "
        "written"]
    assert list(result.cohort.samples.index) == ["good", "bad"]


def test_rounding_to_five_decimals_is_within_the_tolerance(tmp_path):
    # MetaPhlAn rounds each clade on its own: three species of 33.333334 % under a genus of 100.00000 %.
    third = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia"
    rows = [("|".join(third.split("|")[: i + 1]), 100.0) for i in range(6)]
    rows += [(f"{third}|s__Roseburia_{name}", 33.33334) for name in ("intestinalis", "hominis", "inulinivorans")]
    path = tmp_path / "S1_profile.txt"
    path.write_text(_profile(rows))
    fast, slow = _both([path])
    assert _nesting_problems(fast) == _nesting_problems(slow) == []
    # ... and one more 0.01 percentage point is not.
    rows[-1] = (rows[-1][0], 33.33334 + 100 * NESTING_TOLERANCE)
    path.write_text(_profile(rows))
    fast, slow = _both([path])
    assert len(_nesting_problems(fast)) == len(_nesting_problems(slow)) == 1


def test_the_tolerance_is_strict_above_and_not_at_it():
    values = np.array([0.5, 0.5 + NESTING_TOLERANCE])
    assert nesting_warnings("f", "s", values, np.array([-1, 0]), str) == []
    values[1] = np.nextafter(values[1] + 1e-12, 1.0)
    assert len(nesting_warnings("f", "s", values, np.array([-1, 0]), str)) == 1


def test_real_motus_profiles_with_species_above_their_genus_are_not_warned(shared_data):
    """mOTUs estimates each rank on its own: a species above its genus is
    normal there (Zeller's CAMI profiles), and no clade-nesting warning may come."""
    paths = sorted((shared_data / "profiles" / "zeller2014_motus3_controls" / "profiles").iterdir())
    result = read_batch(paths)
    cohort = result.cohort
    assert cohort is not None
    assert cohort.n_samples == len(paths)
    genus = cohort.at_rank("genus")
    species = cohort.at_rank("species")
    parent_of = {t: p for t, p in zip(cohort.taxa.index, cohort.taxa["parent"], strict=True)}
    above = [(s, t) for t in species.columns if parent_of.get(t) in genus.columns
             for s in species.index if species.at[s, t] > genus.at[s, parent_of[t]] + NESTING_TOLERANCE]
    assert above, "the Zeller profiles were expected to have a species above its genus"
    assert _nesting_problems(result) == []


@st.composite
def consistent_profiles(draw) -> list[tuple[str, float]]:
    """A MetaPhlAn 3 profile whose clades are the sums of their species,
    each written rounded to MetaPhlAn's five decimals or in full."""
    chosen = draw(st.lists(st.sampled_from(SPECIES), min_size=1, max_size=len(SPECIES), unique=True))
    weights = draw(st.lists(st.floats(0.001, 100.0), min_size=len(chosen), max_size=len(chosen)))
    total = sum(weights)
    return _nested({lineage: 100.0 * w / total for lineage, w in zip(chosen, weights, strict=True)})


def _write(rows, rounded: bool) -> tuple[list[Path], tempfile.TemporaryDirectory]:
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / "S1_profile.txt"
    path.write_text(_profile(rows, (lambda v: f"{v:.5f}") if rounded else repr))
    return [path], tmp


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_profiles(), st.booleans())
def test_a_consistent_profile_never_warns(rows, rounded):
    paths, tmp = _write(rows, rounded)
    with tmp:
        fast, slow = _both(paths)
        _equal(fast, slow)
        assert _nesting_problems(fast) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_profiles(), st.booleans(), st.data())
def test_raising_one_child_above_its_parent_always_warns(rows, rounded, data):
    children = [i for i, (clade, _) in enumerate(rows) if "|" in clade]
    i = data.draw(st.sampled_from(children), label="child")
    parent_value = dict(rows)[rows[i][0].rsplit("|", 1)[0]]
    raised = parent_value + data.draw(st.floats(0.02, 50.0), label="percentage points above")
    rows[i] = (rows[i][0], raised)
    paths, tmp = _write(rows, rounded)
    with tmp:
        fast, slow = _both(paths)
        _equal(fast, slow)
        found = _nesting_problems(fast)
        assert found, rows
        name = rows[i][0].rsplit("|", 1)[-1]
        assert f"clade {name} (" in found[0]
        assert f"is above its parent {rows[i][0].rsplit('|', 2)[-2]} (" in found[0]


#: The shape of Ladakis et al. 2024's MetaPhlAn 4 merged table (sample
#: S00KA-0015d, typed and cut down): mpa_vOct22 names c__CFGB3069 under two
#: phyla; its rows down to the genus are written under p__Proteobacteria with
#: the abundance of its one species, written under p__Firmicutes, and the
#: phylum rows agree with the species rows' own lineages.
FIRMI = "k__Bacteria|p__Firmicutes"
PROTEO = "k__Bacteria|p__Proteobacteria"
CFGB = "c__CFGB3069|o__OFGB3069|f__FGB3069|g__GGB9770"
#: Faecalibacterium where the lineage table has it, so that the batch fast
#: path would take the file if it did not look for a clade written twice.
FAECALI = f"{FIRMI}|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium"
ECOLI = f"{PROTEO}|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|g__Escherichia"
WRITTEN_TWICE = [
    ("k__Bacteria", 100.0), (FIRMI, 90.0), (PROTEO, 10.0),
    (f"{FIRMI}|c__Clostridia", 40.0), (f"{PROTEO}|c__Gammaproteobacteria", 10.0), (f"{PROTEO}|c__CFGB3069", 50.0),
    (f"{FIRMI}|c__Clostridia|o__Clostridiales", 40.0), (f"{PROTEO}|c__Gammaproteobacteria|o__Enterobacterales", 10.0),
    (f"{PROTEO}|c__CFGB3069|o__OFGB3069", 50.0),
    (f"{FIRMI}|c__Clostridia|o__Clostridiales|f__Ruminococcaceae", 40.0),
    (f"{PROTEO}|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae", 10.0),
    (f"{PROTEO}|c__CFGB3069|o__OFGB3069|f__FGB3069", 50.0),
    (FAECALI, 40.0), (ECOLI, 10.0), (f"{PROTEO}|{CFGB}", 50.0),
    (f"{FAECALI}|s__Faecalibacterium_prausnitzii", 40.0), (f"{ECOLI}|s__Escherichia_coli", 10.0),
    (f"{FIRMI}|{CFGB}|s__GGB9770_SGB15390", 50.0),
    (f"{FAECALI}|s__Faecalibacterium_prausnitzii|t__SGB15318", 40.0), (f"{ECOLI}|s__Escherichia_coli|t__SGB10068", 10.0),
    (f"{FIRMI}|{CFGB}|s__GGB9770_SGB15390|t__SGB15390", 50.0),
]
MPA4 = ["#mpa_vOct22_CHOCOPhlAnSGB_202212", "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species"]


def _phyla_of_classes(cohort, sample: str) -> dict[str, float]:
    classes = cohort.at_rank("class").loc[sample]
    out: dict[str, float] = {}
    for key, value in classes[classes > 0].items():
        phylum = cohort.taxa.loc[key, "phylum"]
        out[phylum] = out.get(phylum, 0.0) + float(value)
    return out


def test_a_clade_metaphlan_4_writes_under_two_phyla_is_summed_from_its_species(tmp_path):
    path = tmp_path / "S15.txt"
    path.write_text("\n".join([*MPA4, *(f"{clade}\t\t{value!r}\t" for clade, value in WRITTEN_TWICE)]) + "\n")
    assert metaphlan.scan([path], default_limits()).files[0] is None  # the fast path leaves it to the per-file way
    fast, slow = _both([path])
    _equal(fast, slow)
    cohort = fast.cohort
    # The 50 % clade is where its species and the phylum rows put it: Firmicutes
    # (Bacillota), every class inside its phylum; not 50 % of a 10 % Proteobacteria.
    phyla = cohort.at_rank("phylum").loc["S15"]
    assert phyla["p__Bacillota"] == 0.9
    assert phyla["p__Pseudomonadota"] == 0.1
    assert _phyla_of_classes(cohort, "S15") == {"Bacillota": 0.9, "Pseudomonadota": 0.1}
    genus = cohort.at_rank("genus").loc["S15"]
    ggb = [key for key in genus.index if key.endswith("g__GGB9770") and genus[key] > 0]
    assert len(ggb) == 1
    assert cohort.taxa.loc[ggb[0], "phylum"] == "Bacillota"
    assert genus[ggb[0]] == 0.5
    # One warning saying what it is, not "an edited or damaged file?".
    assert [p.message for p in fast.problems] == [
        "sample 'S15': clade c__CFGB3069 is written under 2 lineages (k__Bacteria|p__Proteobacteria and "
        "k__Bacteria|p__Firmicutes) (3 more clades so), as MetaPhlAn 4's database names some clades under more than "
        "one lineage; the rows above the species of such clades disagree with the species rows' own lineages, so 4 "
        "of them are set aside and those clades are summed from the species rows, each under its own lineage (not a "
        "damaged file)"]


def test_in_a_merged_table_only_the_sample_with_the_clade_written_twice_changes(tmp_path):
    consistent = dict(_nested({SPECIES[0]: 60.0, SPECIES[8]: 40.0}))
    twice = dict(WRITTEN_TWICE)
    clades = list(dict.fromkeys([*consistent, *twice]))
    lines = ["#mpa_vOct22_CHOCOPhlAnSGB_202212", "clade_name\tgood\tS15"]
    lines += [f"{clade}\t{consistent.get(clade, 0.0)!r}\t{twice.get(clade, 0.0)!r}" for clade in clades]
    merged = tmp_path / "merged_abundance_table.txt"
    merged.write_text("\n".join(lines) + "\n")
    alone = tmp_path / "good.txt"
    alone.write_text(_profile(sorted(consistent.items(), key=lambda kv: kv[0].count("|"))))
    both = read_batch([merged])
    assert [p.message.split(":")[0] for p in both.problems] == ["sample 'S15'"]
    assert _phyla_of_classes(both.cohort, "S15") == {"Bacillota": 0.9, "Pseudomonadota": 0.1}
    good = both.cohort.at_rank("species").loc["good"]
    single = read_batch([alone]).cohort.at_rank("species").loc["good"]
    assert good[good > 0].to_dict() == single[single > 0].to_dict()
