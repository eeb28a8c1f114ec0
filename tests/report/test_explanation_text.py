"""What a person reads beside the contribution bars of a sample page: why
they do not add up, what the constant bar is, what GMHI's numbers are, and
how much of a MetaPhlAn 4 profile has no species name (an outside check,
2026-11-29, found each of these wrong or unsaid)."""

from __future__ import annotations

import html as _html
import re

from gutbalance.report.render import CONTRIBUTIONS_NOTE, NEUTRAL_HALF, render_sample_report
from gutbalance.scores import score_with_contributions
from tests.helpers import SMALL_COMMUNITY, make_cohort


def _text(page: str) -> str:
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _page(extra: dict[str, float]) -> str:
    """The page of SMALL_COMMUNITY with ``extra`` taxa (percent), scaled to 100 %."""
    keep = 100.0 - sum(extra.values())
    profile = {**{k: v * keep / 100.0 for k, v in SMALL_COMMUNITY.items()}, **extra}
    cohort = make_cohort({"S1": profile})
    scores, contributions = score_with_contributions(cohort)
    return render_sample_report("S1", scores, cohort=cohort, contributions=contributions)


def test_the_bars_say_visibly_why_they_do_not_add_up_and_what_the_constant_bar_is():
    page = _page({"Escherichia coli": 20.0})
    text = _text(page)
    # visible under the charts, not only in their hidden descriptions
    visible = _text(re.sub(r"<svg.*?</svg>", " ", page, flags=re.S))
    assert visible.count(CONTRIBUTIONS_NOTE) >= 5
    assert NEUTRAL_HALF in text
    # the chart descriptions count what they show: the largest, not all
    descs = re.findall(r"<desc[^>]*>([^<]*)</desc>", page)
    assert any(re.match(r"The (\d+ )?largest effects? that raises? and", _html.unescape(d)) for d in descs)
    assert not any(re.match(r"\d+ microbes (or community properties )?raise", _html.unescape(d)) for d in descs)


def test_gmhi_markers_are_listed_with_their_share_not_as_an_effect():
    page = _page({"Bifidobacterium adolescentis": 3.0, "Veillonella atypica": 2.0})
    text = _text(page)
    assert "Share of the sample (+ marker of health, − marker of disease)" in text
    assert re.search(r"Bifidobacterium adolescentis \+\d+\.\d %", text)


def test_metaphlan4_genome_bins_count_as_species_without_a_name():
    page = _text(_page({"k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__GGB9534|"
                        "s__GGB9534_SGB14937": 25.0}))
    shares = re.findall(r"named species were found; ([\d.]+) % of the species-level profile", page)
    assert shares == ["25.0"]  # 0.0 before
