"""The report's SVG charts are valid SVG where values are missing."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from gutbalance.report import charts

SVG = "{http://www.w3.org/2000/svg}"


def test_a_timeline_whose_first_time_has_no_value_draws_its_line_from_the_first_value():
    # a subject's first sample without GMHI (a profile of no GMHI marker), its second with one:
    # the line's path began "L206,72 ..." (no moveto), which Chromium refuses to draw
    svg = ElementTree.fromstring(str(charts.timeline_chart(
        ["2026-01-15", "2026-03-02", "2026-04-01"], [float("nan"), 1.2, 0.8], title="t", desc="d")))
    paths = [p.get("d") for p in svg.iter(f"{SVG}path")]
    assert len(paths) == 1
    assert re.fullmatch(r"M[\d.]+,[\d.]+ L[\d.]+,[\d.]+", paths[0]), paths[0]
    assert len(list(svg.iter(f"{SVG}circle"))) == 2  # a point for each value, none for the missing one


def _texts(svg: ElementTree.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text")]


def test_a_bar_names_its_taxon_and_its_whole_trait_on_lines_of_their_own():
    # "Faecalibacterium prausnitzii: butyrate producers (colonocyte fuel) +8" was one line cut
    # at 46 characters, which left the trait unnamed ("... butyrate produc…")
    trait = "butyrate producers (colonocyte fuel) (and 8 more)"
    svg = ElementTree.fromstring(str(charts.hbar_chart(
        [(("Faecalibacterium prausnitzii", trait), 9.1), (("Escherichia coli", "pathobionts and pathogens"), -1.3)],
        title="t", desc="d", label_chars=46)))
    texts = _texts(svg)
    assert "Faecalibacterium prausnitzii" in texts
    assert trait in texts
    assert "pathobionts and pathogens" in texts
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert f"Faecalibacterium prausnitzii: {trait}: 9.1" in titles  # the tooltip says it all in one line
    rects = [float(r.get("y")) for r in svg.iter(f"{SVG}rect")]
    assert rects[1] - rects[0] >= 20 + 13  # the second bar starts below the first one's trait line


def test_a_long_trait_wraps_on_two_lines_and_says_when_it_is_cut():
    trait = ("the shared response to disease: butyrate producers and health-associated taxa against "
             "disease-associated taxa of many diseases (Duvallet et al. 2017)")
    svg = ElementTree.fromstring(str(charts.hbar_chart(
        [(("Whole community", trait), 5.4)], title="t", desc="d", label_chars=46)))
    lines = _texts(svg)[1:-1]  # between the name and the value
    assert len(lines) == 2
    assert lines[-1].endswith(" …")
    assert " ".join(lines).replace(" …", "") in trait
    assert max(map(len, lines)) <= 50


def test_bars_with_a_single_name_keep_one_line_each():
    svg = ElementTree.fromstring(str(charts.hbar_chart([("Bacteroides", 0.2), ("Prevotella", -0.1)],
                                                         title="t", desc="d", digits=None)))
    rects = [float(r.get("y")) for r in svg.iter(f"{SVG}rect")]
    assert rects[1] - rects[0] == 20
    assert float(svg.get("height")) == 6 + 2 * 20 + 4
