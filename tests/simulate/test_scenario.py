"""Parsing the command-line spelling of interventions."""

from __future__ import annotations

import pytest

from gutbalance.errors import SimulationError
from gutbalance.simulate import Scenario, parse_antibiotic, parse_fibre, parse_pathogen, parse_probiotic


def test_parsing():
    assert parse_antibiotic("Amoxicillin:days=0-5") == parse_antibiotic("amoxicillin:days=0 - 5")
    course = parse_antibiotic("clindamycin:days=2.5-4:dose=1")
    assert (course.name, course.start, course.end, course.dose) == ("clindamycin", 2.5, 4.0, 1.0)
    pro = parse_probiotic("bifidobacterium:dose=1e-3:days=0-14")
    assert (pro.dose, pro.start, pro.end) == (1e-3, 0.0, 14.0)
    assert parse_pathogen("c_difficile:day=7").day == 7.0
    assert parse_fibre("+30%") == pytest.approx(0.3)
    assert parse_fibre("-20") == pytest.approx(-0.2)
    assert parse_fibre("+0.5%") == pytest.approx(0.005)
    with pytest.raises(SimulationError, match=r"write \+30% for a 30 % change"):
        parse_fibre("0.3")  # read as 0.3 % until an outside check
    with pytest.raises(SimulationError, match="dose must be at most 2"):
        parse_antibiotic("vancomycin:days=0-7:dose=20")
    assert parse_antibiotic("vancomycin:days=0-7:dose=2").dose == 2.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: parse_antibiotic("amoxicillin"),
        lambda: parse_antibiotic(":days=0-1"),
        lambda: parse_antibiotic("amoxicillin:days=0-1:dose=-1"),
        lambda: parse_probiotic("bifidobacterium:dose=0:days=0-1"),
        lambda: parse_pathogen("salmonella:day=x"),
        lambda: parse_fibre("-100%"),
        lambda: Scenario(days=10, antibiotics=[parse_antibiotic("amoxicillin:days=5-20")]),
        lambda: Scenario(days=0),
    ],
)
def test_bad_specs(call):
    with pytest.raises(SimulationError):
        call()


@pytest.mark.parametrize(("kind", "spec", "words"), [
    ("antibiotics", "amoxicillin:days=5-2", "antibiotic amoxicillin: the course ends on day 2, not after it starts (day 5)"),
    ("probiotics", "bifidobacterium:days=5-2", "probiotic bifidobacterium: the course ends on day 2, before it starts (day 5)"),
])
def test_a_course_written_backwards_says_so(kind, spec, words):
    # fault: days=5-2 was told "must lie within 0-5", which 5 and 2 both do
    parse = parse_antibiotic if kind == "antibiotics" else parse_probiotic
    with pytest.raises(SimulationError, match=words.replace("(", r"\(").replace(")", r"\)")):
        Scenario(days=30, **{kind: [parse(spec)]})


def test_a_probiotic_dose_above_the_whole_gut_is_refused_and_one_of_it_is_not():
    with pytest.raises(SimulationError, match=r"dose must be at most 1: it is the fraction of the gut's whole bacterial load"):
        parse_probiotic("fmt:dose=2:days=0-3")
    assert parse_probiotic("fmt:dose=1:days=0-3").dose == 1.0


@pytest.mark.parametrize("days", [float("inf"), float("nan"), 36_501.0, 0.0])
def test_days_beyond_reason_are_refused_not_a_traceback(days):
    # --days inf ended in NumPy's "Maximum allowed size exceeded"
    with pytest.raises(SimulationError, match="the number of days must be"):
        Scenario(days=days)
    assert Scenario(days=36_500.0).days == 36_500.0
