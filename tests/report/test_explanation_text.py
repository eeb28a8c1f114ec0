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


def test_a_quality_card_does_not_call_its_higher_values_favourable():
    """A reader took "Higher values are usually considered more favourable" on a
    confidence card for a statement about health (an outside check, 2026-11-30)."""
    from gutbalance.score_specs import describe

    for key in ("coverage", "kb_reach", "training_confidence"):
        info = describe(key)
        assert info.group == "quality"
        assert "favourable" not in info.direction_text
        assert "not how healthy" in info.direction_text
    assert "more favourable" in describe("immune_support").direction_text


def test_a_negative_gmwi2_is_a_bar_that_lowers_homeostasis():
    """GMWI2 below 0 is "more like the non-healthy group" on its card; its bar
    lowered nothing (an outside check: +7.3 points for a GMWI2 of -0.57)."""
    page = _page({
        "k__Bacteria|p__Firmicutes|c__Negativicutes|o__Veillonellales|f__Veillonellaceae|g__Dialister|"
        "s__Dialister_pneumosintes": 20.0,
        "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Lactobacillaceae|g__Lactobacillus|"
        "s__Lactobacillus_salivarius": 20.0,
    })
    text = _text(page)
    rows = re.findall(r"Whole community\s*([+−-]\d+\.\d) points\s*Gut Microbiome Wellness Index 2", text)
    assert rows
    assert all(r[0] in "−-" for r in rows)


def test_a_pillar_of_low_confidence_says_so_beside_its_score():
    """Training 81 with confidence 0.02 read as "enough beneficial microbes" (an
    outside check): the card says what the score then rests on."""
    from gutbalance.report.render import LOW_CONFIDENCE

    cohort = make_cohort({"S1": SMALL_COMMUNITY})
    scores, contributions = score_with_contributions(cohort)
    assert scores.loc["S1", "barrier_confidence"] >= LOW_CONFIDENCE
    plain = _text(render_sample_report("S1", scores, cohort=cohort, contributions=contributions))
    assert "Read with care: the knowledge Barrier reads" not in plain
    low = scores.copy()
    low.loc["S1", "barrier_confidence"] = 0.02
    text = _text(render_sample_report("S1", low, cohort=cohort, contributions=contributions))
    assert "Read with care: the knowledge Barrier reads covers little of this sample (confidence 0.02 of 1)" in text


def test_the_phyla_say_which_are_not_bacteria_and_which_are_no_phylum():
    """'Viruses unclassified 23.7 %' was listed among the "Phyla (large groups of
    bacteria)" (an outside check)."""
    from gutbalance.reference.sample import composition

    virus = "k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales|f__Siphoviridae|" \
            "g__Siphoviridae_unclassified|s__Lactobacillus_phage_A2"
    yeast = "k__Eukaryota|p__Ascomycota|c__Saccharomycetes|o__Saccharomycetales|f__Saccharomycetaceae|" \
            "g__Saccharomyces|s__Saccharomyces_cerevisiae"
    profile = {**{k: 0.8 * v for k, v in SMALL_COMMUNITY.items()}, virus: 15.0, yeast: 5.0}
    cohort = make_cohort({"S1": profile})
    names = [name for name, _ in composition(cohort, "S1").phyla]
    assert "Viruses: phylum not named" in names
    assert "Ascomycota (Eukaryota)" in names
    assert "Bacteroidota" in names
    page = render_sample_report("S1", score_with_contributions(cohort)[0], cohort=cohort)
    assert "Phyla (large groups of microbes)" in page


def test_the_low_confidence_note_of_a_pillar_without_penalties_does_not_speak_of_them():
    """Nutrients counts nothing against a sample (an outside review)."""
    from gutbalance.report.render import low_confidence_note

    assert "harmful microbes" in low_confidence_note("Training", 0.02)
    assert "harmful microbes" not in low_confidence_note("Nutrients", 0.06, penalties=False)
    cohort = make_cohort({"S1": SMALL_COMMUNITY})
    scores, contributions = score_with_contributions(cohort)
    low = scores.copy()
    low.loc["S1", "nutrients_confidence"] = 0.06
    text = _text(render_sample_report("S1", low, cohort=cohort, contributions=contributions))
    assert "Nutrients reads covers little of this sample (confidence 0.06 of 1), so a low score may mean only" in text
