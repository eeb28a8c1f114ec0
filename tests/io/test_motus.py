"""mOTUs 3 profiles in the profiler's own layout (io/formats/motus.py).

The fixture is typed here in the shape of taxpasta's mOTUs 3.0.3 test
profiles (taxprofiler/taxpasta tests/data/motus/2612_pe-ERR5766176-db_mOTU.out:
``motus profile -p -c``); no public file is copied.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.errors import FormatError
from gutbalance.io.formats import motus
from gutbalance.io.source import Source

COMMENT = (
    "# git tag version 3.0.3 |  motus version 3.0.3 | map_tax 3.0.3 | gene database: nr3.0.3 | calc_mgc 3.0.3 "
    "-y insert.scaled_counts -l 75 | calc_motu 3.0.3 -k mOTU -C no_CAMI -g 3{flags} | taxonomy: ref_mOTU_3.0.3 "
    "meta_mOTU_3.0.3\n"
    "# call: python /usr/local/bin/../share/motus-3.0.1//motus profile -p -c -f R1.fastq.gz -r R2.fastq.gz "
    "-n S1 -o S1.out\n"
)
ROWS = [
    ("Leptospira alexanderi [ref_mOTU_v3_00001]", "100053", 0),
    ("Ruminococcus bromii [ref_mOTU_v3_00853]", "40518", 20),
    ("Bifidobacterium longum [ref_mOTU_v3_01099]", "216816", 4),
    ("Prevotella copri [ref_mOTU_v3_03701]", "165179", 30),
    ("Prevotella copri [ref_mOTU_v3_03702]", "165179", 6),
    ("Collinsella species incertae sedis [ext_mOTU_v3_16519]", "NA", 10),
    ("Firmicutes species incertae sedis [ext_mOTU_v3_26545]", "NA", 13),
    ("unassigned", "NA", 17),
]


def _text(rows=ROWS, flags=" -c -p"):
    body = "".join(f"{name}\t{taxid}\t{n}\n" for name, taxid, n in rows)
    return COMMENT.format(flags=flags) + "#consensus_taxonomy\tNCBI_tax_id\tS1\n" + body


def test_counts_profile_reads_with_the_counts_it_holds(tmp_path):
    path = tmp_path / "S1.motus"
    path.write_text(_text())
    cohort = gutbalance.read(path)
    assert cohort.samples.loc["S1", "source_format"] == "motus"
    assert "motus version 3.0.3" in cohort.samples.loc["S1", "database"]
    total = sum(n for *_, n in ROWS)  # 100
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(17 / total)
    species = cohort.at_rank("species")
    # the cluster id is dropped, clusters of one name are summed, P. copri takes its current name
    assert species.loc["S1", "s__Ruminococcus bromii"] == pytest.approx(20 / total)
    assert species.loc["S1", "s__Segatella copri"] == pytest.approx(36 / total)
    # "X species incertae sedis" is a placeholder under X, not a named species
    assert bool(cohort.taxa.loc["s__Collinsella unclassified", "unclassified"])
    assert species.sum(axis=1).iloc[0] == pytest.approx(1 - 17 / total)
    assert cohort.counts is not None
    assert cohort.all_counted


def test_relative_profile_and_a_merged_table(tmp_path):
    rows = "".join(
        f"{name}\t{n / 100}\t{n / 100 if n < 25 else 0}\n" for name, _, n in ROWS if name != "unassigned"
    )
    last = [n for name, _, n in ROWS if name == "unassigned"][0]
    text = COMMENT.format(flags="") + "#consensus_taxonomy\tA\tB\n" + rows + f"unassigned\t{last / 100}\t0.47\n"
    path = tmp_path / "merged.motus"
    path.write_text(text)
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["A", "B"]
    assert not cohort.all_counted
    assert cohort.at_rank("species").loc["A", "s__Ruminococcus bromii"] == pytest.approx(0.20)
    assert cohort.samples.loc["B", "unassigned"] == pytest.approx(0.47)


def test_is_not_taken_for_another_format_and_others_are_not_taken_for_it():
    assert motus.sniff(Source.from_bytes(_text().encode(), "S1.out"))
    cami = "@SampleID:S1\n@Ranks:superkingdom|species\n@@TAXID\tRANK\tTAXPATH\tTAXPATHSN\tPERCENTAGE\n"
    table = "#OTU ID\tS1\nRuminococcus bromii\t3\n"
    for other in (cami, table, "#consensus_taxonomy\n"):
        assert not motus.sniff(Source.from_bytes(other.encode(), "x.txt"))


def test_a_broken_row_names_the_line(tmp_path):
    path = tmp_path / "S1.motus"
    path.write_text(_text().replace("\t40518\t20\n", "\t40518\ttwenty\n"))
    with pytest.raises(FormatError, match=r"line 5") as info:
        gutbalance.io.read_profiles(path)
    assert "S1.motus" in str(info.value)
    path.write_text(_text().replace("\t40518\t20\n", "\t20\n"))
    with pytest.raises(FormatError, match=r"line 5.*expected 3 tab-separated columns"):
        gutbalance.io.read_profiles(path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=len(ROWS), max_size=len(ROWS)))
def test_any_counts_give_shares_of_the_total(counts):
    rows = [(name, taxid, n) for (name, taxid, _), n in zip(ROWS, counts, strict=True)]
    source = Source.from_bytes(_text(rows).encode(), "S1.out")
    total = sum(counts)
    if total == 0:
        return
    (profile,) = motus.read(source)
    assert profile.unassigned == pytest.approx(counts[-1] / total)
    # every row is a leaf (a cluster), none the parent of another: they add up to what was assigned
    named = sum(profile.abundance)
    assert named + profile.unassigned == pytest.approx(1.0)
    assert all(lin[-1].rank == "species" for lin in profile.lineages)
    assert np.all(np.asarray(profile.abundance) >= 0)


@pytest.mark.parametrize("suffix", [".tsv", ".biom", ".json"])
def test_round_trip_through_other_formats_keeps_an_unplaceable_species(tmp_path, suffix):
    # Halobacterium hubeiense: an mOTUs species the lineage table cannot
    # place, written as a rootless clade (g__Halobacterium|s__...) that the
    # merged-MetaPhlAn reader refused ("not a MetaPhlAn clade name").
    rows = [*ROWS[:-1], ("Halobacterium hubeiense [ref_mOTU_v3_00115]", "1432052", 9), ROWS[-1]]
    source = tmp_path / "S1.motus"
    source.write_text(_text(rows))
    cohort = gutbalance.read(source)
    target = tmp_path / f"converted{suffix}"
    gutbalance.write(cohort, target)
    back = gutbalance.read(target)
    for rank in ("species", "genus", "phylum"):
        before, after = cohort.at_rank(rank), back.at_rank(rank)
        assert sorted(before.columns[before.iloc[0] > 0]) == sorted(after.columns[after.iloc[0] > 0])
        for key in before.columns[before.iloc[0] > 0]:
            assert after.loc["S1", key] == pytest.approx(before.loc["S1", key], abs=1e-12)
    assert cohort.at_rank("genus").loc["S1", "g__Halobacterium"] == pytest.approx(9 / 109)


def test_a_cluster_written_twice_is_refused_and_two_clusters_of_one_name_are_summed(tmp_path):
    # fault: a repeated line was summed in silently, and the scores moved
    path = tmp_path / "S1.motus"
    path.write_text(_text([*ROWS, ROWS[1]]))
    with pytest.raises(FormatError, match=r"line 12.*'Ruminococcus bromii \[ref_mOTU_v3_00853\]' repeats line 5"):
        gutbalance.io.read_profiles(path)
    path.write_text(_text())
    (profile,) = gutbalance.io.read_profiles(path)
    copri = [a for lineage, a in zip(profile.lineages, profile.abundance, strict=True) if "copri" in lineage[-1].name]
    assert copri == [pytest.approx(36 / 100)]
