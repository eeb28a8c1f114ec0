"""The reports' "How far these scores have been tested": the shipped validation
summary put into words beside the scores, and the confidence cards' texts."""

from __future__ import annotations

import copy
import html
import re

import pytest

from gutbalance.pillars import PILLARS
from gutbalance.report import render_sample_report
from gutbalance.report.validity import auc_text, validation_summary, validity_view
from gutbalance.score_specs import describe

SECTION = "How far these scores have been tested"


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _section(page: str) -> str:
    start = page.index('id="sec-validity"')
    return page[start: page.index("</section>", start)]


def _row(rows, score, study):
    return next(r for r in rows if r["score"] == score and r["study"] == study)


def test_the_view_carries_the_files_held_out_figures_for_every_labelled_study():
    summary = validation_summary()
    view = validity_view()
    held = summary["labelled"]["held_out"]
    assert [s["label"] for s in view["studies"]] == [s["label"] for s in summary["labelled"]["studies"].values()]
    for study in view["studies"]:
        assert study["auc_text"] == auc_text(_row(held, "immune_support", study["label"]))
    assert view["pooled"] == auc_text(_row(held, "immune_support", "pooled"))
    aucs = [s["auc"] for s in view["studies"]]
    assert view["best"]["auc"] == max(aucs)
    assert view["worst"]["auc"] == min(aucs)
    # every score of the file, every study and pooled, in the details table
    assert [r["label"] for r in view["table"]] == [describe(s).label for s in summary["scores"]]
    assert all(len(r["cells"]) == len(view["studies"]) + 1 for r in view["table"])


def test_public_figures_leave_out_healthy_against_healthy_and_the_cross_study_set_is_read():
    summary = copy.deepcopy(validation_summary())
    base = {"low": 0.5, "high": 0.9, "n_healthy": 10, "n_disease": 12, "note": ""}
    summary["public_within_study"] = [
        {**base, "score": "immune_support", "study": "A, CD", "auc": 0.9, "population_only": False},
        {**base, "score": "immune_support", "study": "A, UC", "auc": 0.6, "population_only": False},
        {**base, "score": "immune_support", "study": "Danes vs Spaniards", "auc": 0.3, "population_only": True},
        {**base, "score": "gmhi", "study": "A, CD", "auc": 0.1, "population_only": False},
    ]
    summary["cross_study"] = [{**base, "score": "immune_support", "study": "X", "auc": 0.49},
                              {**base, "score": "gmhi", "study": "X", "auc": 0.78}]
    view = validity_view(summary)
    assert (view["public"]["n"], view["public"]["low"], view["public"]["high"]) == (2, 0.6, 0.9)
    assert view["public"]["low_study"] == "A, UC"
    assert (view["cross"]["auc"], view["cross"]["gmhi"], view["cross"]["gmwi2"]) == (0.49, 0.78, None)
    assert view["other_diseases"] is None  # rows without diseases are not counted as other diseases
    summary["public_within_study"], summary["cross_study"] = [], []
    assert validity_view(summary)["public"] is None
    assert validity_view(summary)["cross"] is None


def test_the_person_report_says_how_far_the_scores_were_tested(report_input):
    cohort, scores, _ = report_input
    page = render_sample_report("p1_t1", scores, cohort=cohort)
    view = validity_view()
    section = _text(_section(page))
    assert SECTION in section
    for study in view["studies"]:
        assert f"{study['label']} {study['disease']}" in section
        assert study["auc_text"] in section
    assert view["pooled"] in section
    assert "never diagnose" in section
    assert f"stool metagenomes of people aged {view['age_min']} to {view['age_max']}, mostly adults" in section
    if view["cross"]:
        assert f"at chance ({view['cross']['auc']:.2f}" in section
    # beside the scores, before the methods
    assert page.index('id="sec-validity"') < page.index('id="sec-methods"')


def test_no_section_without_the_immune_support_scores(report_input):
    cohort, scores, _ = report_input
    page = render_sample_report("p1_t1", scores.drop(columns=["immune_support", *PILLARS]), cohort=cohort)
    assert SECTION not in page


def test_no_section_for_a_sample_whose_pillars_are_missing(report_input):
    # the columns are there (a cohort's other samples have them), this sample's numbers are not
    cohort, scores, _ = report_input
    empty = scores.copy()
    empty.loc["p1_t1", ["immune_support", *PILLARS]] = float("nan")
    assert SECTION not in render_sample_report("p1_t1", empty, cohort=cohort)
    assert SECTION in render_sample_report("p1_t2", empty, cohort=cohort)
    one_left = scores.copy()
    one_left.loc["p1_t1", ["immune_support", *PILLARS[1:]]] = float("nan")
    assert SECTION in render_sample_report("p1_t1", one_left, cohort=cohort)


def test_the_five_confidence_cards_each_say_what_they_measure(report_input):
    cohort, scores, _ = report_input
    page = _text(render_sample_report("p1_t1", scores, cohort=cohort))
    for pillar in PILLARS:
        info = describe(f"{pillar}_confidence")
        assert info.known
        assert "no description" not in info.meaning
        assert info.label in page
        assert info.meaning in page
    assert "no description of it yet" not in page


def test_other_diseases_are_those_the_scores_were_not_calibrated_on():
    summary = copy.deepcopy(validation_summary())
    base = {"low": 0.4, "high": 0.7, "n_healthy": 10, "n_disease": 12, "note": "", "score": "immune_support",
            "population_only": False}
    summary["public_within_study"] = [
        {**base, "study": "A, CD", "auc": 0.9, "diseases": ["CD"]},
        {**base, "study": "B, all three", "auc": 0.62, "diseases": ["axSpA", "AAU", "CD"]},
        {**base, "study": "C, MS", "auc": 0.48, "diseases": ["MS"]},
        {**base, "study": "D, psoriasis", "auc": 0.55, "diseases": ["psoriasis"]},
    ]
    other = validity_view(summary)["other_diseases"]
    assert other == {"diseases": ["multiple sclerosis", "psoriasis"], "low": 0.48, "high": 0.55, "n": 2}


def test_the_report_names_the_other_diseases_and_their_figures(report_input):
    cohort, scores, _ = report_input
    view = validity_view()
    other = view["other_diseases"]
    if other is None:
        pytest.skip("the shipped summary has no public study of another disease (built with --outside none)")
    section = _text(_section(render_sample_report("p1_t1", scores, cohort=cohort)))
    assert (f"In the public studies of other diseases ({', '.join(other['diseases'])}) the immune-support score "
            f"did little better than chance ({other['low']:.2f} to {other['high']:.2f})") in section
    assert "for other diseases, ages or kinds of sample they have not been tested" not in section
