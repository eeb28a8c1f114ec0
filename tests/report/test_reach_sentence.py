"""The report says in words how much of the sample the immune-support scores rest on (``kb_reach``).

Beside the overall score ("The immune-support scores rest on the 40 % of
this sample's bacteria and archaea that the knowledge base describes ...")
and again in "What could not be recognised", tied to the confidences there;
as a share too small to score below the floor, and as not known, with the
reason, where the column is missing.  A results table written before the
column existed says nothing of it.
"""

from __future__ import annotations

import html as _html
import re

import pytest

from gutbalance.report.render import reach_sentence, render_sample_report
from gutbalance.scores import score_with_contributions
from tests.helpers import SMALL_COMMUNITY, make_cohort
from tests.pillars.test_reach_floor import _digester
from tests.test_scores_reach import _PHAGE


def _text(page: str) -> str:
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_sentence_names_the_share_and_the_rest():
    assert reach_sentence({"kb_reach": 0.64}) == (
        "The immune-support scores rest on the 64 % of this sample's bacteria and archaea that the knowledge base "
        "describes (a fact at least one of the scores reads, known for the microbe itself, its genus or its family); of "
        "the other 36 % it knows nothing the scores use.")
    # whole percents that add up to 100, whichever way a half rounds
    for v in (0.645, 0.355, 0.125, 0.5):
        text = reach_sentence({"kb_reach": v})
        shown, rest = (int(n) for n in re.findall(r"(\d+) %", text))
        assert shown + rest == 100, text
    # neither none nor all where some is, or some is not
    assert "only 0.40 % of" in reach_sentence({"kb_reach": 0.004})  # below the floor: said as too little
    assert "on more than 99.9 % of" in reach_sentence({"kb_reach": 0.99996})
    assert "of the rest, 0.004 %," in reach_sentence({"kb_reach": 0.99996})
    # fault: "the 99.9 %" beside "the other 0.002 %" (kb_reach 0.99998), which do not add up
    for v in (0.9954, 0.991, 0.999):
        text = reach_sentence({"kb_reach": v})
        shown, rest = (float(n) for n in re.findall(r"([\d.]+) %", text))
        assert shown + rest == pytest.approx(100.0), text
    assert reach_sentence({"kb_reach": 1.0}).startswith("The immune-support scores rest on all of this sample's")


def test_below_the_floor_missing_and_absent():
    assert reach_sentence({"kb_reach": 0.0032}) == (
        "The knowledge base describes only 0.32 % of this sample's bacteria and archaea: too little for the "
        "immune-support scores, which need at least 3 % (a tenth of the least of real stool), so they are not given.")
    assert reach_sentence({"kb_reach": None, "missing": "gmhi: x | kb_reach: no bacterial or archaeal abundance to score"}) == (
        "How much of this sample the immune-support scores rest on is not known: no bacterial or archaeal abundance "
        "to score.")
    assert reach_sentence({"kb_reach": float("nan"), "missing": ""}).endswith("is not known: it could not be computed.")
    assert reach_sentence({"coverage": 0.9, "missing": ""}) == ""


def test_the_report_says_it_beside_the_scores_and_with_the_confidences():
    cohort = make_cohort({"digester": _digester(40.0), "scant": _digester(1.0), "phage": _PHAGE,
                          "stool": SMALL_COMMUNITY})
    scores, contributions = score_with_contributions(cohort)
    page = _text(render_sample_report("digester", scores, cohort=cohort, contributions=contributions))
    said = "The immune-support scores rest on the 40 % of this sample's bacteria and archaea that the knowledge base describes"
    assert page.count(said) == 2
    overall, recognised = page.index(said), page.rindex(said)
    assert page.index("Overall immune support") < overall < page.index("The five ways a gut supports immunity")
    assert page.index("What could not be recognised") < recognised
    assert ("Each pillar reads its own facts (training, for one, only which microbes train the immune system and which "
            "are pathobionts or pathogens), so it may rest on less of the sample: its confidence below says how much") in page
    assert "Reached by the knowledge base" in page

    scant = _text(render_sample_report("scant", scores, cohort=cohort, contributions=contributions))
    assert "The knowledge base describes only 1 % of this sample's bacteria and archaea: too little" in scant
    phage = _text(render_sample_report("phage", scores, cohort=cohort, contributions=contributions))
    assert "How much of this sample the immune-support scores rest on is not known: no bacterial or archaeal" in phage

    older = scores.drop(columns=["kb_reach"])
    assert "immune-support scores rest on" not in _text(render_sample_report("digester", older, cohort=cohort,
                                                                         contributions=contributions))


def test_a_tiny_rest_is_said_in_words_never_in_exponent_notation():
    # the built-in example's diverse sample (kb_reach 0.9999999) read "the 99.9 % ...; of the other 1e-05 %"
    text = reach_sentence({"kb_reach": 0.9999999})
    assert "e-0" not in text
    assert "more than 99.99 % of this sample's bacteria and archaea" in text
    assert "of the rest, less than 0.001 %, it knows nothing the scores use" in text
    assert "e-0" not in reach_sentence({"kb_reach": 1e-7})  # below the floor too
    assert "less than 0.001 % of" in reach_sentence({"kb_reach": 1e-7})
