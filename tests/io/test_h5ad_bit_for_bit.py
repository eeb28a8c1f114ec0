"""A cohort saved as .h5ad reads back bit for bit when the tables it was placed with are
this version's (an outside check, 2026-11-30: a Kraken report's strain rows had it placed
again, and its clade sums came back up to 1.9e-14 off)."""

from __future__ import annotations

import numpy as np
import pytest

import gutbalance
from gutbalance.io.formats import h5ad
from gutbalance.io.source import Source

# (rank code, taxid, name, depth); reads of its own drawn below
TREE = [
    ("R", 1, "root", 0), ("D", 2, "Bacteria", 1), ("P", 976, "Bacteroidota", 2), ("C", 200643, "Bacteroidia", 3),
    ("O", 171549, "Bacteroidales", 4), ("F", 815, "Bacteroidaceae", 5), ("G", 816, "Bacteroides", 6),
    ("S", 817, "Bacteroides fragilis", 7), ("S1", 272559, "Bacteroides fragilis NCTC 9343", 8),
    ("S", 820, "Bacteroides uniformis", 7), ("P", 1239, "Bacillota", 2), ("C", 186801, "Clostridia", 3),
    ("O", 186802, "Eubacteriales", 4), ("F", 216572, "Oscillospiraceae", 5), ("G", 216851, "Faecalibacterium", 6),
    ("S", 853, "Faecalibacterium prausnitzii", 7), ("S1", 718252, "Faecalibacterium prausnitzii L2-6", 8),
    ("F", 186803, "Lachnospiraceae", 5), ("G", 841, "Roseburia", 6), ("S", 166486, "Roseburia intestinalis", 7),
    # many unnamed species with a strain each, as a real report has: their sums in another order
    # are where the last bits moved
    *[row for k in range(120) for row in (("S", 9_000_000 + 2 * k, f"Roseburia sp. {k}", 7),
                                          ("S1", 9_000_001 + 2 * k, f"Roseburia sp. {k} str. X{k}", 8))],
]


def _report(seed: int) -> str:
    rng = np.random.default_rng(seed)
    own = rng.integers(1, 5000, size=len(TREE)) * (rng.random(len(TREE)) < 0.8)
    clade = own.copy()
    for i in range(len(TREE) - 1, -1, -1):  # each node's reads onto its parent
        depth = TREE[i][3]
        parent = next((j for j in range(i - 1, -1, -1) if TREE[j][3] == depth - 1), None)
        if parent is not None:
            clade[parent] += clade[i]
    total = clade[0] + 1000  # 1,000 unclassified reads
    lines = [f"{100 * 1000 / total:.2f}\t1000\t1000\tU\t0\tunclassified"]
    lines += [f"{100 * c / total:.2f}\t{c}\t{o}\t{code}\t{taxid}\t{'  ' * depth}{name}"
              for (code, taxid, name, depth), c, o in zip(TREE, clade, own, strict=True) if c > 0]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_kraken_report_saved_as_h5ad_reads_back_bit_for_bit(tmp_path, seed):
    report = tmp_path / f"s{seed}.kreport"
    report.write_text(_report(seed), encoding="utf-8")
    cohort = gutbalance.read(report)
    saved = tmp_path / "c.h5ad"
    gutbalance.write(cohort, saved)
    again = gutbalance.read(saved)
    assert list(again.taxa.index) == list(cohort.taxa.index)
    assert np.array_equal(again.X.toarray(), cohort.X.toarray())
    before, after = gutbalance.score(cohort), gutbalance.score(again)
    numbers = before.select_dtypes("number").columns
    np.testing.assert_array_equal(after[numbers].to_numpy(float), before[numbers].to_numpy(float))


def test_a_file_saved_under_other_tables_is_placed_again(tmp_path, monkeypatch):
    report = tmp_path / "s.kreport"
    report.write_text(_report(4), encoding="utf-8")
    saved = tmp_path / "c.h5ad"
    gutbalance.write(gutbalance.read(report), saved)
    assert all(p.placed_before for p in h5ad.read(Source.open(saved)))
    monkeypatch.setattr(h5ad, "placed_with", lambda: "lineages=another;synonyms=another")
    assert not any(p.placed_before for p in h5ad.read(Source.open(saved)))


def test_an_h5ad_cut_to_its_species_elsewhere_is_placed_again(tmp_path):
    """An AnnData cut to its species columns in scanpy keeps the stamp; its
    lineages then stop at the species and must be placed again, as before the
    stamp (an outside review: nutrients moved by up to 56 points)."""
    from tests.helpers import SMALL_COMMUNITY, make_cohort

    cohort = make_cohort({"S1": SMALL_COMMUNITY})
    adata = cohort.to_anndata()
    species = adata[:, adata.var["rank"] == "species"].copy()
    cut = tmp_path / "cut.h5ad"
    species.write_h5ad(cut)
    assert not any(p.placed_before for p in h5ad.read(Source.open(cut)))
    again = gutbalance.read(cut)
    before, after = gutbalance.score(cohort), gutbalance.score(again)
    for column in ("nutrients", "training", "firmicutes_bacteroidetes_log2"):
        assert after.loc["S1", column] == pytest.approx(before.loc["S1", column], abs=1e-9)


def test_an_h5ad_of_an_earlier_version_is_written_in_current_names(tmp_path):
    """Without the stamp a file does not say which samples were placed again:
    the MetaPhlAn writer keeps their current names (an outside review: an
    .h5ad of a MetaPhlAn 4 table saved at 9eb64c2 gave g__Bacteroides 25.5 %
    where its file said 15.9 %)."""
    from tests.helpers import SMALL_COMMUNITY, make_cohort

    adata = make_cohort({"S1": SMALL_COMMUNITY}).to_anndata()
    del adata.uns["gutbalance"]["placed_with"]
    old = tmp_path / "old.h5ad"
    adata.write_h5ad(old)
    assert all(p.placed_again for p in h5ad.read(Source.open(old)))
    written = tmp_path / "out.txt"
    gutbalance.write(gutbalance.read(old), written, format="metaphlan")
    assert "p__Bacillota" in written.read_text(encoding="utf-8")
