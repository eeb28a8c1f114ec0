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
from gutbalance.indices.diversity import ESTIMATED_COUNTS, RELATIVE_ONLY
from gutbalance.io.registry import observed_count_samples, writes_counts
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
    assert table["chao1_missing"].iloc[0] == ESTIMATED_COUNTS["metaphlan"]


@pytest.mark.parametrize(("name", "fmt"), [("table.biom", None), ("table.json", None), ("table.qza", None),
                                            ("long.csv", None), ("S1.kreport", "kraken")])
def test_estimated_reads_are_not_written_as_counts(estimated, tmp_path, name, fmt):
    original = gutbalance.read(estimated)
    path = gutbalance.write(original, tmp_path / name, format=fmt)
    back = gutbalance.read(path)
    table = diversity_scores(back)
    assert np.isnan(table["chao1"].iloc[0]), name
    assert table["chao1_missing"].iloc[0] != "", name
    # The profiler's abundances are what was written, not the estimates: the scores are those of the original.
    np.testing.assert_array_equal(_compared(back), _compared(original))


def test_convert_to_biom_keeps_chao1_missing(estimated, tmp_path):
    out = tmp_path / "converted.biom"
    result = CliRunner().invoke(main, ["convert", str(estimated), "-o", str(out)])
    assert result.exit_code == 0, result.output
    back = gutbalance.read(out)
    assert back.counts is None  # a relative table: nothing passes for reads
    table = diversity_scores(back)
    assert np.isnan(table["chao1"].iloc[0])
    assert table["chao1_missing"].iloc[0] == RELATIVE_ONLY
    np.testing.assert_array_equal(_compared(back), _compared(gutbalance.read(estimated)))


@pytest.mark.parametrize("name", ["table.biom", "table.json", "table.qza", "long.csv", "S1.kreport"])
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


def test_the_formats_with_estimated_counts_are_those_chao1_names():
    flagged = {name for name, fmt in gutbalance.io.formats().items() if fmt.estimated_counts}
    assert flagged == set(ESTIMATED_COUNTS)
