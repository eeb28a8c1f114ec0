"""The cohort page counts what it shows: the samples in no group, the samples a
distribution has values for, numeric groups in numeric order (an outside
check, 2026-11-29, found each unsaid or out of order)."""

from __future__ import annotations

import html
import re

import pandas as pd

from gutbalance.reference.statistics import ordered_levels
from tests.report.test_nothing_to_draw_and_ranks import _run, _two_rank_cohort


def test_groups_no_group_and_partial_values_are_counted(tmp_path):
    root = _two_rank_cohort(tmp_path)
    meta = pd.read_csv(root / "meta.tsv", sep="\t")
    meta["dose"] = ["1", "2", "10"] * 4
    meta.loc[0, "dose"] = "NA"
    meta.to_csv(root / "meta.tsv", sep="\t", index=False)
    out = root / "out"
    _run(["analyze", str(root / "genus.csv"), *map(str, sorted(root.glob("mpa_*.txt"))), "-o", str(out),
          "--metadata", str(root / "meta.tsv"), "--group-column", "dose"])
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", (out / "report.html").read_text())).split())
    assert "Groups: 1 (n = 3), 2 (n = 4), 10 (n = 4)." in text  # not 1.0, 10.0, 2.0
    assert "1 of 12 samples are in no group (no value for dose" in text
    # the six genus tables have no GMHI: the card says whose values its box holds
    assert "6 of 12 samples have no value" in text
    assert "These samples (6 of 12)" in text
    assert "in bold below 0.05" in text
    assert "only where each has 3 samples or more with a value of it" in text
    # a missing cell of the table says why on hover
    page = (out / "report.html").read_text()
    assert re.search(r'data-score="gmhi" data-value="" title="Missing: GMHI is defined on species[^"]*">', page)


def test_numeric_labels_sort_as_numbers():
    assert ordered_levels(["1", "10", "2"]) == ["1", "2", "10"]
    assert ordered_levels(["b", "10", "a"]) == ["10", "a", "b"]


def test_a_long_group_label_keeps_its_rank():
    # fault: the boxes of one group at species, genus and family all read "Multiple_sclerosis_in…"
    from gutbalance.report.charts import _short_group

    labels = [_short_group(f"Multiple_sclerosis_in_remission, {rank}", 22) for rank in ("species", "genus", "family")]
    assert labels == ["Multiple_scl…, species", "Multiple_scler…, genus", "Multiple_scle…, family"]
    assert all(len(label) <= 22 for label in labels)
    assert _short_group("A, genus", 22) == "A, genus"
