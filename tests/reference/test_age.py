"""Sample ages and the reference people's ages: units, missing values, the
caveat at the edges of a population's recorded ages, and the shipped
reference's age ranges."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gutbalance.errors import DataError
from gutbalance.reference import load_reference
from gutbalance.reference.age import (
    age_characteristics,
    age_note,
    ages_in_years,
    parse_age_column,
    population_ages,
)

ADULTS = {"age_range": [25.0, 84.0], "age_median": 63.0}


@pytest.mark.parametrize(("spec", "expected"), [
    ("age", ("age", "years")),
    ("age:years", ("age", "years")),
    ("age_days:days", ("age_days", "days")),
    ("Age:Months", ("Age", "months")),
    # only a known unit after the last colon is a unit; a column's own colons stay
    ("age:at:visit", ("age:at:visit", "years")),
    # the unit is never taken from the name
    ("age_days", ("age_days", "years")),
])
def test_parse_age_column(spec, expected):
    assert parse_age_column(spec) == expected


def test_parse_age_column_refuses_an_empty_name():
    with pytest.raises(DataError, match="name a metadata column"):
        parse_age_column(":days")


def test_ages_in_units_and_missing_values_are_no_age():
    meta = pd.DataFrame({"age_days": ["508", "1233", "NA", "unknown", "", "-3", None, "n/a"]},
                        index=[f"S{i}" for i in range(8)])
    ages = ages_in_years(meta, "age_days:days")
    assert ages.iloc[0] == pytest.approx(508 / 365.25)
    assert ages.iloc[1] == pytest.approx(1233 / 365.25)
    assert ages.iloc[2:].isna().all()
    months = ages_in_years(pd.DataFrame({"m": ["18", "x"]}), "m:months")
    assert months.iloc[0] == pytest.approx(1.5)
    assert math.isnan(months.iloc[1])
    years = ages_in_years(pd.DataFrame({"age": [52, 1.4]}), "age")
    assert years.tolist() == [52.0, 1.4]


def test_ages_from_a_column_the_metadata_lacks_name_the_columns():
    with pytest.raises(DataError, match=r"no metadata column 'Age' to read ages from \(columns: age, sex\)"):
        ages_in_years(pd.DataFrame({"age": [1], "sex": ["f"]}), "Age")


@pytest.mark.parametrize(("age", "noted"), [
    (25.0, False), (84.0, False), (50.0, False),   # on the ends and inside: no note
    (24.9, True), (84.1, True), (1.4, True),
    (None, False), (float("nan"), False),
])
def test_age_note_at_the_edges_of_the_recorded_ages(age, noted):
    assert bool(age_note(age, ADULTS)) is noted


def test_age_note_of_a_child_names_both_ages_and_the_sources_and_does_not_diagnose():
    note = age_note(1.39, ADULTS)
    assert note.startswith("This person is 1.4 years old; the healthy reference people were 25-84 years old")
    assert "still changing toward an adult's" in note
    assert "Yatsunenko 2012" in note
    assert "Stewart 2018" in note
    assert "not adjusted for age" in note
    assert "do not say whether anything is wrong" in note
    assert "younger people" in age_note(90.0, ADULTS)
    assert "older people" in age_note(20.0, ADULTS)
    assert "child" not in age_note(20.0, ADULTS)


def test_a_population_without_ages_gets_the_note_for_a_child_only():
    assert age_note(17.9, {}) != ""
    assert "ages were not recorded" in age_note(2.0, {"age_known": 0, "age_people": 10})
    assert age_note(18.0, {}) == ""
    assert age_note(70.0, {}) == ""


def test_ages_known_for_some_people_are_said():
    chars = age_characteristics(pd.Series([6.0, 84.0, float("nan"), 40.0]))
    assert chars == {"age_known": 3, "age_people": 4, "age_range": [6.0, 84.0], "age_median": 40.0}
    assert "(ages known for 3 of 4 people)" in age_note(1.0, chars)
    assert age_characteristics(pd.Series([float("nan")])) == {"age_known": 0, "age_people": 1}
    assert population_ages({"age_range": ["x", 3]}) is None


def test_the_shipped_healthy_populations_record_their_ages():
    ref = load_reference()
    ranges = {pop.name: population_ages(pop.characteristics) for pop in ref.healthy_populations}
    assert ranges["zeller2014_controls"] == (25.0, 84.0)
    # Franzosa controls, iHMP nonIBD (children from 6) and MetAML healthy (no ages for the Danish people)
    metaphlan = ref.populations["metaphlan_healthy_controls"].characteristics
    assert ranges["metaphlan_healthy_controls"] == (6.0, 84.0)
    assert (metaphlan["age_known"], metaphlan["age_people"]) == (373, 461)


def test_one_year_is_said_in_the_singular():
    note = age_note(1.0, {"age_range": [25.0, 84.0]})
    assert note.startswith("This person is 1 year old;")
    assert age_note(2.0, {"age_range": [25.0, 84.0]}).startswith("This person is 2 years old;")
