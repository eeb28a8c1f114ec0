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
