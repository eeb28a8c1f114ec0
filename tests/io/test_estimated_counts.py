"""A profiler's estimated reads never leave gutbalance as read counts.

MetaPhlAn's ``estimated_number_of_reads_from_the_clade`` (``-t
rel_ab_w_read_stats``) are estimates, so Chao1 is missing for such a profile
(``indices.diversity.observed_counts``).  Written as the counts of a BIOM
table, a QIIME 2 artifact, a long CSV or a Kraken report, they would come back
as reads counted (a Chao1 from estimates) and, not being proportional to
MetaPhlAn's abundances (reads follow coverage times genome length, abundances
coverage alone), would change every score.  The writers write relative
abundances for them instead."""

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import gutbalance
from gutbalance.cli import main
from gutbalance.indices.diversity import RELATIVE_ONLY
from gutbalance.io.registry import (
    counts_estimated_by,
    estimated_counts_reason,
    get_format,
    observed_count_samples,
    writes_counts,
)
from gutbalance.scores import diversity_scores, score

COMPARED = ["training", "homeostasis", "nutrients", "barrier", "defense", "immune_support", "gmhi", "gmwi2",
            "shannon", "simpson", "richness"]

_LINEAGE = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales"
#: species -> (percent of the classified, estimated reads); reads of 1 and 2 would be Chao1's
#: singletons and doubletons, and are not proportional to the percentages.
_SPECIES = {
    f"{_LINEAGE}|f__Oscillospiraceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii": (41.23457, 5210),
    f"{_LINEAGE}|f__Lachnospiraceae|g__Roseburia|s__Roseburia_intestinalis": (30.11111, 2),
    f"{_LINEAGE}|f__Lachnospiraceae|g__Anaerostipes|s__Anaerostipes_hadrus": (17.65432, 1),
    f"{_LINEAGE}|f__Lachnospiraceae|g__Blautia|s__Blautia_obeum": (11.0, 1),
}


def _read_stats_profile() -> str:
    """A MetaPhlAn 4 ``-t rel_ab_w_read_stats`` profile with every ancestor row."""
    clades: dict[str, list[float]] = {}
    for lineage, (percent, reads) in _SPECIES.items():
        parts = lineage.split("|")
        for depth in range(1, len(parts) + 1):
            slot = clades.setdefault("|".join(parts[:depth]), [0.0, 0.0])
            slot[0] += percent
            slot[1] += reads
    lines = ["#mpa_vJan21_CHOCOPhlAnSGB_202103", "#metaphlan S1.fastq -t rel_ab_w_read_stats", "#S1\tS1",
             "#estimated_reads_mapped_to_known_clades:5214",
             "#clade_name\tclade_taxid\trelative_abundance\tcoverage\testimated_number_of_reads_from_the_clade"]
    for key in sorted(clades, key=lambda k: (k.count("|"), -clades[k][0])):
        percent, reads = clades[key]
        lines.append(f"{key}\t\t{percent:.5f}\t0.1\t{int(reads)}")
    return "\n".join(lines) + "\n"


KRAKEN_REPORT = """\
 10.00\t13\t13\tU\t0\tunclassified
 90.00\t117\t0\tR\t1\troot
 90.00\t117\t0\tD\t2\t  Bacteria
 90.00\t117\t0\tP\t1239\t    Bacillota
 90.00\t117\t0\tC\t186801\t      Clostridia
 90.00\t117\t0\tO\t186802\t        Eubacteriales
 90.00\t117\t3\tF\t186803\t          Lachnospiraceae
 54.62\t71\t0\tG\t841\t            Roseburia
 54.62\t71\t71\tS\t166486\t              Roseburia intestinalis
 32.31\t42\t0\tG\t207244\t            Anaerostipes
 32.31\t42\t41\tS\t649756\t              Anaerostipes hadrus
  0.77\t1\t1\tS1\t0\t                Anaerostipes hadrus strain X
"""


@pytest.fixture(scope="module")
def estimated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("estimated") / "S1_profile.txt"
    path.write_text(_read_stats_profile(), encoding="utf-8")
    return path


def _compared(cohort: gutbalance.Cohort) -> np.ndarray:
    return score(cohort)[COMPARED].to_numpy(dtype=float)


def test_the_fixture_is_read_with_estimated_counts(estimated):
    cohort = gutbalance.read(estimated)
    assert cohort.counted_samples().tolist() == [True]
    assert observed_count_samples(cohort).tolist() == [False]
    assert not writes_counts(cohort)
    table = diversity_scores(cohort)
    assert np.isnan(table["chao1"].iloc[0])
    assert table["chao1_missing"].iloc[0] == get_format("metaphlan").estimated_counts
    assert "Beghini et al. 2021" in table["chao1_missing"].iloc[0]


@pytest.mark.parametrize(("name", "fmt"), [("table.biom", None), ("table.json", None), ("table.qza", None),
                                            ("long.csv", None), ("S1.profile", "cami")])
def test_estimated_reads_are_not_written_as_counts(estimated, tmp_path, name, fmt):
    original = gutbalance.read(estimated)
    path = gutbalance.write(original, tmp_path / name, format=fmt)
    back = gutbalance.read(path)
    table = diversity_scores(back)
    assert np.isnan(table["chao1"].iloc[0]), name
    assert table["chao1_missing"].iloc[0] != "", name
    # The profiler's abundances are what was written, not the estimates: the scores are those of the original.
    np.testing.assert_array_equal(_compared(back), _compared(original))


#: Written formats that say whose estimates a relative profile replaces, and one that cannot.
CARRIED = ["converted.biom", "converted.json", "converted.qza", "converted.csv", "converted.h5ad"]


@pytest.mark.parametrize("name", CARRIED)
def test_convert_keeps_the_reason_chao1_is_missing(estimated, tmp_path, name):
    out = tmp_path / name
    result = CliRunner().invoke(main, ["convert", str(estimated), "-o", str(out)])
    assert result.exit_code == 0, result.output
    back = gutbalance.read(out)
    assert not observed_count_samples(back).any()  # nothing passes for reads
    assert counts_estimated_by(back).tolist() == ["metaphlan"]
    table = diversity_scores(back)
    assert np.isnan(table["chao1"].iloc[0])
    # The read-back names MetaPhlAn's estimates, as the original does, not "relative abundances".
    assert table["chao1_missing"].iloc[0] == diversity_scores(gutbalance.read(estimated))["chao1_missing"].iloc[0]
    np.testing.assert_array_equal(_compared(back), _compared(gutbalance.read(estimated)))


def test_a_kraken_report_of_estimated_reads_is_refused(estimated, tmp_path):
    # A Kraken report holds reads counted and cannot say they were estimated.
    with pytest.raises(gutbalance.FormatError, match=r"1 of 1 samples have none \(S1: its reads were estimated by metaphlan\)"):
        gutbalance.write(gutbalance.read(estimated), tmp_path / "S1.kreport", format="kraken")


def test_a_cami_profile_cannot_say_whose_estimates_it_holds(estimated, tmp_path):
    # The CAMI format has no field for it: the read-back is a relative profile (docs/indices.md).
    back = gutbalance.read(gutbalance.write(gutbalance.read(estimated), tmp_path / "S1.profile", format="cami"))
    assert counts_estimated_by(back).tolist() == [""]
    assert diversity_scores(back)["chao1_missing"].iloc[0] == RELATIVE_ONLY


def test_a_relative_profile_carries_nothing(tmp_path):
    # A MetaPhlAn profile without read statistics had no estimates: its read-back says "relative".
    relative = tmp_path / "S1_profile.txt"
    lines = [line.rsplit("\t", 1)[0] for line in _read_stats_profile().splitlines()]
    relative.write_text("\n".join(line.replace(" -t rel_ab_w_read_stats", "") for line in lines) + "\n", encoding="utf-8")
    original = gutbalance.read(relative)
    assert original.counts is None
    for name in ("t.biom", "t.csv"):
        back = gutbalance.read(gutbalance.write(original, tmp_path / name))
        assert "counts_estimated_by" not in back.samples
        assert diversity_scores(back)["chao1_missing"].iloc[0] == RELATIVE_ONLY


def test_a_long_table_naming_two_estimators_for_one_sample_is_refused(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "sample,lineage,clade_abundance,counts_estimated_by\n"
        "S1,k__Bacteria,1.0,metaphlan\n"
        "S1,k__Bacteria|p__Bacillota,1.0,bracken\n",
        encoding="utf-8",
    )
    with pytest.raises(gutbalance.errors.FormatError, match=r"line 3.*'metaphlan' and by 'bracken'|'metaphlan' and by 'bracken'"):
        gutbalance.read(path)


def test_an_estimator_unknown_here_is_named_in_the_reason(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "sample,lineage,clade_abundance,counts_estimated_by\n"
        "S1,k__Bacteria,1.0,metabuli\n"
        "S1,k__Bacteria|p__Bacillota,1.0,metabuli\n",
        encoding="utf-8",
    )
    back = gutbalance.read(path)
    assert diversity_scores(back)["chao1_missing"].iloc[0] == estimated_counts_reason("metabuli")
    assert "estimated by metabuli" in estimated_counts_reason("metabuli")


@pytest.mark.parametrize("name", ["table.biom", "table.json", "table.qza", "long.csv", "S1.kreport"])
@pytest.mark.filterwarnings("ignore:.*have no NCBI taxid:gutbalance.errors.GutBalanceWarning")  # written as 0, said
def test_observed_reads_are_still_written_as_counts(tmp_path, name):
    report = tmp_path / "S1.kreport2"
    report.write_text(KRAKEN_REPORT, encoding="utf-8")
    original = gutbalance.read(report)
    assert writes_counts(original)
    back = gutbalance.read(gutbalance.write(original, tmp_path / name, format="kraken" if name.endswith("kreport") else None))
    assert back.counts is not None
    before, after = diversity_scores(original), diversity_scores(back)
    assert after["chao1_missing"].iloc[0] == ""
    assert after["chao1"].iloc[0] == pytest.approx(before["chao1"].iloc[0], abs=1e-12)


def test_a_mixed_cohort_writes_relative_abundances(estimated, tmp_path):
    # One sample with estimates makes the table relative (a BIOM holds one kind of number for all).
    report = tmp_path / "S2.kreport2"
    report.write_text(KRAKEN_REPORT, encoding="utf-8")
    both = gutbalance.read([estimated, report])
    assert observed_count_samples(both).tolist() == [False, True]
    back = gutbalance.read(gutbalance.write(both, tmp_path / "both.biom"))
    assert back.counts is None
    np.testing.assert_array_equal(_compared(back), _compared(both))


def test_the_reason_is_said_once_by_the_format():
    flagged = {name: fmt.estimated_counts for name, fmt in gutbalance.io.formats().items() if fmt.estimated_counts}
    assert set(flagged) == {"metaphlan", "bracken", "motus"}
    for name, reason in flagged.items():
        assert estimated_counts_reason(name) == reason
        assert "doi:" in reason
        assert reason.endswith("Chao1 needs observed singletons and doubletons")
    assert estimated_counts_reason("kraken") == ""
