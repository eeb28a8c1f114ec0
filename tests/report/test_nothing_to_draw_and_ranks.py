"""Charts with nothing to draw say why in words; group comparisons of diversity stay within one rank.

A MetaPhlAn profile has relative abundances only, so Chao1 is missing for
every sample of a MetaPhlAn cohort: its cohort card, its timeline chart and its
sample card once drew an empty axis ("0 0 0 1 1 1").  And a cohort of genus
tables beside species profiles once pooled a richness of genera with one of
species in one Mann-Whitney test.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import false_discovery_control

from gutbalance.cli import main
from gutbalance.reference.statistics import compare_column
from gutbalance.report import charts
from tests.helpers import SMALL_COMMUNITY, write_metaphlan

SVG = "{http://www.w3.org/2000/svg}"
CHAO1_REASON = "the input gives relative abundances, not read counts"


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def _svgs(page: str) -> list[ElementTree.Element]:
    """Every inline chart of a page, parsed as XML."""
    return [ElementTree.fromstring(m) for m in re.findall(r"<svg class=\"chart.*?</svg>", page, flags=re.DOTALL)]


def _words(svg: ElementTree.Element) -> str:
    return " ".join(" ".join(t.itertext()) for t in svg.iter(f"{SVG}text"))


def _title(svg: ElementTree.Element) -> str:
    node = svg.find(f"{SVG}title")
    return "" if node is None else "".join(node.itertext())


def _chart(page: str, title: str) -> ElementTree.Element:
    found = [s for s in _svgs(page) if _title(s).startswith(title)]
    assert len(found) == 1, [_title(s) for s in _svgs(page)]
    return found[0]


def _tick_labels(svg: ElementTree.Element) -> list[str]:
    """The axis labels: the small muted numbers under the axis."""
    return [t.text or "" for t in svg.iter(f"{SVG}text") if re.fullmatch(r"-?[\d.]+(e-?\d+)?", t.text or "")]


def _species(i: int) -> dict[str, float]:
    """SMALL_COMMUNITY with the first ``i`` species dropped: richness differs between samples."""
    items = list(SMALL_COMMUNITY.items())[i:]
    total = sum(v for _, v in items)
    return {k: 100.0 * v / total for k, v in items}


@pytest.fixture(scope="module")
def metaphlan_cohort(tmp_path_factory) -> Path:
    """Four MetaPhlAn profiles of two subjects at two times each: Chao1 missing throughout."""
    root = tmp_path_factory.mktemp("chao1")
    for subject in (1, 2):
        for time in (1, 2):
            write_metaphlan(root / f"Subj{subject}_time{time}.txt", _species(subject + time - 2))
    _run(["analyze", str(root), "-o", str(root / "out"), "--subject-pattern", r"Subj(\d+)_time(\d+)"])
    return root / "out"


def test_a_cohort_card_with_every_value_missing_says_why_without_an_axis(metaphlan_cohort):
    page = (metaphlan_cohort / "report.html").read_text(encoding="utf-8")
    chart = _chart(page, "Chao1 richness estimate of species across samples")
    words = _words(chart)
    assert words.startswith("No value to draw:")
    assert CHAO1_REASON in " ".join(words.split())
    assert _tick_labels(chart) == []  # no axis: no "0 0 0 1 1 1"
    assert not list(chart.iter(f"{SVG}line"))
    # the table beside it says the same, not an empty body
    card = page[page.index('id="dist-chao1"'):]
    card = card[: card.index("</section>")]
    assert "No value: the input gives relative abundances" in html.unescape(card)


def test_a_timeline_and_a_sample_card_with_no_value_say_why(metaphlan_cohort):
    timeline = (metaphlan_cohort / "subjects" / "1.html").read_text(encoding="utf-8")
    chart = _chart(timeline, "Chao1 richness estimate of species over time")
    assert _words(chart).startswith("No value at any time point:")
    assert "shaded band" not in (chart.find(f"{SVG}desc").text or "")  # no band is drawn, none is described
    assert CHAO1_REASON in " ".join(_words(chart).split())
    assert _tick_labels(chart) == []
    sample = (metaphlan_cohort / "samples" / "Subj1_time1.html").read_text(encoding="utf-8")
    chart = _chart(sample, "Chao1 richness estimate of species: ")
    assert CHAO1_REASON in " ".join(_words(chart).split())
    assert _tick_labels(chart) == []


def test_every_chart_of_the_pages_has_distinct_tick_labels(metaphlan_cohort):
    pages = [metaphlan_cohort / "report.html", *sorted((metaphlan_cohort / "samples").glob("*.html")),
             *sorted((metaphlan_cohort / "subjects").glob("*.html"))]
    n = 0
    for path in pages:
        for svg in _svgs(path.read_text(encoding="utf-8")):
            labels = _tick_labels(svg)
            if "timeline" in svg.get("class", "") or "distribution" in svg.get("class", "") or "position" in svg.get("class", ""):
                assert len(labels) == len(set(labels)), (path.name, _title(svg), labels)
                n += 1
    assert n > 50


def test_one_value_gets_one_readable_tick_not_repeated_labels():
    svg = ElementTree.fromstring(str(charts.distribution_chart([("all samples", [1.0], None)], title="t", desc="d",
                                                                   digits=0)))
    assert _tick_labels(svg) == ["1"]
    svg = ElementTree.fromstring(str(charts.timeline_chart(["1"], [3.0], title="t", desc="d", digits=0)))
    assert _tick_labels(svg) == ["3"]  # the time point is labelled "time 1", not a tick


def test_a_group_without_a_value_says_so_in_its_row():
    svg = ElementTree.fromstring(str(charts.distribution_chart(
        [("a", [1.0, 2.0, 3.0], {"p5": 1, "p25": 1.5, "p50": 2, "p75": 2.5, "p95": 3}), ("b", [np.nan], None)],
        title="t", desc="d", missing="no read counts")))
    assert "no value: no read counts." in _words(svg)
    assert _tick_labels(svg)  # the group with values keeps its axis


# --- group comparisons at two ranks ---------------------------------------------------------

GENUS_ROWS = ["Bacteroides", "Faecalibacterium", "Roseburia", "Blautia", "Prevotella", "Akkermansia", "Escherichia"]


def _two_rank_cohort(root: Path) -> Path:
    """Six genus-table samples and six MetaPhlAn profiles; ``arm`` splits each kind 3/3, ``kind`` is the kind."""
    rng = np.random.default_rng(1)
    columns = {f"g_{i}": [int(v) if j < 4 + i % 4 else 0 for j, v in enumerate(rng.integers(5, 40, len(GENUS_ROWS)))]
               for i in range(6)}
    pd.DataFrame(columns, index=pd.Index(GENUS_ROWS, name="genus")).to_csv(root / "genus.csv")
    for i in range(6):
        write_metaphlan(root / f"mpa_{i}.txt", _species(i % 4))
    samples = [f"g_{i}" for i in range(6)] + [f"mpa_{i}" for i in range(6)]
    meta = pd.DataFrame({"sample": samples, "arm": ["A", "B"] * 6,
                         "kind": ["16S"] * 6 + ["WGS"] * 6})
    meta.to_csv(root / "meta.tsv", sep="\t", index=False)
    return root


def test_diversity_is_compared_within_each_rank_and_refused_across(tmp_path):
    root = _two_rank_cohort(tmp_path)
    out = root / "out"
    _run(["analyze", str(root / "genus.csv"), *map(str, sorted(root.glob("mpa_*.txt"))), "-o", str(out),
          "--metadata", str(root / "meta.tsv"), "--group-column", "arm", "--group-column", "kind"])
    scores = pd.read_csv(out / "scores.tsv", sep="\t", index_col=0)
    meta = pd.read_csv(root / "meta.tsv", sep="\t", index_col=0)
    assert set(scores["diversity_rank"]) == {"genus", "species"}

    by_arm = compare_column(scores, ["richness", "immune_support"], meta["arm"], "arm")
    rows = by_arm.tests["richness"]
    assert sorted(r["rank"] for r in rows) == ["genus", "species"]
    for r in rows:  # each test is the test of that rank's samples alone
        at = scores[scores["diversity_rank"] == r["rank"]]
        a = at.loc[meta.loc[at.index, "arm"] == "A", "richness"]
        b = at.loc[meta.loc[at.index, "arm"] == "B", "richness"]
        assert (r["n_a"], r["n_b"]) == (3, 3)
        assert r["median_a"] == pytest.approx(a.median())
        assert r["median_b"] == pytest.approx(b.median())
    # a pillar is one test over every sample
    (pillar,) = by_arm.tests["immune_support"]
    assert (pillar["n_a"], pillar["n_b"]) == (6, 6)
    assert not isinstance(pillar.get("rank"), str)
    # q over all tests of the column, those within ranks included
    ps = [r["p"] for k in by_arm.tests for r in by_arm.tests[k]]
    qs = [r["q"] for k in by_arm.tests for r in by_arm.tests[k]]
    assert qs == pytest.approx(list(false_discovery_control(ps, method="bh")))
    # a chart row is one group at one rank: no box pools genera with species
    assert [lbl for lbl, _ in by_arm.values["richness"]] == ["A, species", "B, species", "A, genus", "B, genus"]

    # the kind of input is the group: no rank has two groups, so richness is not compared at all
    by_kind = compare_column(scores, ["richness", "immune_support"], meta["kind"], "kind")
    assert "richness" not in by_kind.tests
    assert by_kind.notes["richness"].startswith("not compared: the samples' diversity is at 2 ranks (species, genus)")
    assert "immune_support" in by_kind.tests

    page = (out / "report.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "compared between groups within each rank only" in text
    assert "A (n = 3) vs B (n = 3), at genus rank" in text
    assert "A (n = 3) vs B (n = 3), at species rank" in text
    assert "Species or genus richness by kind : not compared: the samples' diversity is at 2 ranks" in text
    # Chao1 has no value at species rank (MetaPhlAn gives no read counts): compared at genus rank only
    assert ("Chao1 richness estimate of species or genera by arm : compared within each rank of the diversity; "
            "not at species rank (no sample in a group has a value)") in text
    # a group chart's description counts the values its median is of, not the group's samples
    # (the genus-table half of each arm has no GMHI; it said "n = 6")
    (gmhi_desc,) = re.findall(r"<desc[^>]*>(Gut Microbiome Health Index \(GMHI\) per group of arm[^<]*)</desc>", page)
    assert re.fullmatch(r".*A median \S+ \(n = 3\); B median \S+ \(n = 3\)\.", html.unescape(gmhi_desc))
    # no test row of a diversity score by kind
    groups = page[page.index("By <span class=\"name\">kind</span>"):]
    assert "Species or genus richness</td><td class=\"name\" data-value=\"16S vs WGS\"" not in groups


def test_one_rank_is_compared_as_before(tmp_path):
    """A cohort of one rank has no rank in its rows and no notes (the same tests as before)."""
    scores = pd.DataFrame({"richness": [1.0, 2, 3, 4, 5, 6], "diversity_rank": ["species"] * 6},
                          index=[f"s{i}" for i in range(6)])
    groups = pd.Series(["A", "B"] * 3, index=scores.index)
    comparison = compare_column(scores, ["richness"], groups, "arm")
    (row,) = comparison.tests["richness"]
    assert "rank" not in row
    assert comparison.notes == {}
    assert [lbl for lbl, _ in comparison.values["richness"]] == ["A", "B"]


def test_the_exported_figure_with_every_value_missing_says_why(metaphlan_cohort, tmp_path):
    # figures are drawn on request: `report --figures` on results analysed without them
    assert not (metaphlan_cohort / "figures").exists()
    out = tmp_path / "out"
    shutil.copytree(metaphlan_cohort, out)
    _run(["report", str(out), "--figures"])
    figure = (out / "figures" / "chao1.svg").read_text(encoding="utf-8")
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", figure)).split())
    assert "No value to draw: the input gives relative abundances, not read counts" in words
    assert (out / "figures" / "chao1.png").stat().st_size > 0


def test_the_words_of_a_chart_break_between_words_only():
    # SVG text does not wrap, so the charts break lines themselves (textwrap): a hyphenated
    # word and a word longer than a line (a file name) stay whole, white space is folded
    long_name = "Subj054_time3_S43_metaphlan3_new_profile_with_a_very_long_file_name_indeed.txt"
    reason = f"the  Bifidobacterium-rich\tsample {long_name} gives relative abundances, not read counts"
    svg = ElementTree.fromstring(str(charts.distribution_chart([("all samples", [np.nan], None)], title="t", desc="d",
                                                               missing=reason)))
    lines = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert " ".join(lines) == "No value to draw: " + " ".join(reason.split()) + "."
    assert long_name in lines  # a line of its own, not cut
    assert any("Bifidobacterium-rich" in line for line in lines)
    assert all("  " not in line for line in lines)
    assert max(len(line) for line in lines if line != long_name) < len(long_name)


def _figure_words(path: Path) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))).split())


def test_the_exported_figures_of_a_two_rank_cohort_draw_a_box_per_rank_with_or_without_groups(tmp_path):
    # a 16S-style genus count table (samples as rows, bare genus names: --feature-rank genus)
    # beside MetaPhlAn species profiles; one sample of each kind has no group
    rng = np.random.default_rng(3)
    table = pd.DataFrame(rng.integers(5, 40, (6, len(GENUS_ROWS))), columns=GENUS_ROWS,
                         index=pd.Index([f"g_{i}" for i in range(6)], name="SampleID"))
    table.to_csv(tmp_path / "genus.csv")
    for i in range(6):
        write_metaphlan(tmp_path / f"mpa_{i}.txt", _species(i % 4))
    samples = [f"g_{i}" for i in range(6)] + [f"mpa_{i}" for i in range(6)]
    pd.DataFrame({"sample": samples, "arm": ["A", "B", "A", "B", "A", ""] * 2}).to_csv(
        tmp_path / "meta.tsv", sep="\t", index=False)
    inputs = [str(tmp_path / "genus.csv"), *map(str, sorted(tmp_path.glob("mpa_*.txt"))), "--feature-rank", "genus"]

    _run(["analyze", *inputs, "-o", str(tmp_path / "plain"), "--figures"])
    scores = pd.read_csv(tmp_path / "plain" / "scores.tsv", sep="\t", index_col=0)
    assert scores["diversity_rank"].value_counts().to_dict() == {"genus": 6, "species": 6}
    richness = _figure_words(tmp_path / "plain" / "figures" / "richness.svg")
    assert "all samples, genus (n=6)" in richness
    assert "all samples, species (n=6)" in richness
    assert "(n=12)" not in richness  # no box pools genera with species
    pillar = _figure_words(tmp_path / "plain" / "figures" / "immune_support.svg")
    assert "all samples (n=12)" in pillar
    # whether the input gave read counts is no grouping of the samples to compare
    assert "By <span class=\"name\">counted" not in (tmp_path / "plain" / "report.html").read_text(encoding="utf-8")

    _run(["analyze", *inputs, "-o", str(tmp_path / "groups"), "--metadata", str(tmp_path / "meta.tsv"),
          "--group-column", "arm", "--figures"])
    richness = _figure_words(tmp_path / "groups" / "figures" / "richness.svg")
    boxes = re.findall(r"(\w+), (genus|species) \(n=(\d+)\)", richness)
    assert sorted(boxes) == [("A", "genus", "3"), ("A", "species", "3"), ("B", "genus", "2"), ("B", "species", "2")]
    assert "nan" not in richness
    # a pillar is comparable across ranks: one box per group, ranks pooled
    pillar = _figure_words(tmp_path / "groups" / "figures" / "immune_support.svg")
    assert "A (n=6)" in pillar
    assert "B (n=4)" in pillar
    assert "genus" not in pillar
