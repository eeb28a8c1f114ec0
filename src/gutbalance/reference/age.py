"""Ages of samples and of reference people, and the caveat when they differ.

A percentile compares a sample with the healthy people of the reference.  An
infant's or young child's gut microbiome is still developing toward an adult's
(Yatsunenko et al. 2012; Stewart et al. 2018), so a child placed among adults
is compared with people whose microbiome it is not expected to have yet.
Nothing here changes a score or a percentile: :func:`age_note` only says so in
plain words when a sample's age is outside the ages its population recorded.

The sample's age comes from a metadata column named by the user with its unit
(:func:`parse_age_column`, ``COLUMN[:years|months|days]``, years by default):
the unit is never guessed from the values or the column's name.  A value that
is not a number, or one of the usual missing words
(:data:`gutbalance.io.MISSING_TEXT`), is no age.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..io import MISSING_TEXT

#: Years per unit of ``--age-column COLUMN:UNIT``.
AGE_UNITS: dict[str, float] = {"years": 1.0, "months": 1.0 / 12.0, "days": 1.0 / 365.25}
#: Below this age a person is a child: a population that records no ages is
#: taken to be of adults only for the caveat (every shipped study recruited adults
#: or records its ages), so a child gets the caveat against it.
ADULT_AGE = 18.0
#: Why a child's gut microbiome is not an adult's, cited on the pages.
AGE_SOURCES = (
    "Yatsunenko T et al. (2012) Human gut microbiome viewed across age and geography. Nature 486:222-227. "
    "doi:10.1038/nature11053",
    "Stewart CJ et al. (2018) Temporal development of the gut microbiome in early childhood from the TEDDY study. "
    "Nature 562:583-588. doi:10.1038/s41586-018-0617-x",
)


#: The oldest age a person's age may be given as, in years (older is a typo or a wrong unit).
MAX_AGE_YEARS = 130.0


def age_in_years(text: str, unit: str) -> float:
    """An age written as a number in ``unit`` (years, months or days), in years.

    :class:`ValueError` says what is wrong (not a number, negative, older
    than :data:`MAX_AGE_YEARS`), without repeating the value.

    >>> age_in_years("8", "months")
    0.6666666666666666
    """
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"not a number of {unit}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"not a number of {unit} of 0 or more")
    years = number * AGE_UNITS[unit]
    if years > MAX_AGE_YEARS:
        raise ValueError(f"more than {MAX_AGE_YEARS:.0f} years (is the unit {unit} right?)")
    return years


def parse_age_column(spec: str) -> tuple[str, str]:
    """``COLUMN[:years|months|days]`` -> ``(column, unit)``, the unit years by default.

    Only a known unit after the last colon is a unit: a column whose own name
    holds a colon (``age:at:visit``) is named whole.

    >>> parse_age_column("age_days:days")
    ('age_days', 'days')
    >>> parse_age_column("age")
    ('age', 'years')
    """
    column, sep, unit = spec.rpartition(":")
    if sep and unit.strip().lower() in AGE_UNITS:
        column, unit = column.strip(), unit.strip().lower()
    else:
        column, unit = spec.strip(), "years"
    if not column:
        raise DataError(f"age column {spec!r}: name a metadata column, e.g. age or age_days:days")
    return column, unit


def unit_hint(spec: str, columns) -> str:
    """Why ``spec`` named no column, when the part after its last colon is
    no unit but the part before it is a column (``age:weeks``); else "".

    >>> unit_hint("age:weeks", ["age"]), unit_hint("agee", ["age"])
    ("; 'weeks' is not a unit of age: give years, months or days (age:months)", '')
    """
    column, sep, unit = spec.rpartition(":")
    if not sep or column.strip() not in {str(c) for c in columns}:
        return ""
    return f"; {unit.strip()!r} is not a unit of age: give {', '.join(list(AGE_UNITS)[:-1])} or {list(AGE_UNITS)[-1]} ({column.strip()}:months)"


def ages_in_years(metadata: pd.DataFrame, spec: str) -> pd.Series:
    """Each sample's age in years from the column ``spec`` names (NaN: no age).

    Values that are not numbers, missing words and negative numbers are no age.
    """
    column, unit = parse_age_column(spec)
    if column not in metadata.columns:
        columns = ", ".join(map(str, metadata.columns)) or "none"
        raise DataError(f"no metadata column {column!r} to read ages from (columns: {columns}){unit_hint(spec, metadata.columns)}")
    raw = metadata[column]
    text = raw.astype(str).str.strip()
    values = pd.to_numeric(text.where(~text.str.lower().isin(MISSING_TEXT) & raw.notna()), errors="coerce")
    values = values.where(np.isfinite(values) & (values >= 0))
    return (values * AGE_UNITS[unit]).astype(float)


def age_characteristics(ages: pd.Series) -> dict[str, Any]:
    """``age_range``, ``age_median`` and how many people's ages are known, for a population's characteristics.

    ``ages``: one value per person, in years (NaN where unknown).  None of
    them known gives ``{"age_known": 0}`` (the population records no ages).
    """
    known = ages.dropna().astype(float)
    out: dict[str, Any] = {"age_known": int(len(known)), "age_people": int(len(ages))}
    if len(known):
        out["age_range"] = [float(known.min()), float(known.max())]
        out["age_median"] = float(known.median())
    return out


def population_ages(characteristics: Mapping[str, Any]) -> tuple[float, float] | None:
    """The recorded age range of a population (None when it records none)."""
    value = characteristics.get("age_range")
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    try:
        lo, hi = float(value[0]), float(value[1])
    except (TypeError, ValueError):
        return None
    return (lo, hi) if math.isfinite(lo) and math.isfinite(hi) else None


def years_text(years: float) -> str:
    """An age as a reader says it: whole years as they are ("6", "52"), else one decimal under 10 years ("1.4").

    >>> years_text(1.39), years_text(6.0), years_text(52.4)
    ('1.4', '6', '52')
    """
    return f"{years:.0f}" if years >= 10 or float(years).is_integer() else f"{years:.1f}"


def age_note(age: float | None, characteristics: Mapping[str, Any]) -> str:
    """The caveat when a sample's ``age`` (years) is outside its population's recorded ages ("" when it is not).

    A population that records no ages gets the caveat for a child (under
    :data:`ADULT_AGE`) only.  An age on the range's ends is inside it.
    """
    if age is None or not math.isfinite(age):
        return ""
    ages = population_ages(characteristics)
    said = years_text(age)
    person = f"This person is {said} {'year' if said == '1' else 'years'} old"
    if ages is None:
        if age >= ADULT_AGE:
            return ""
        return (f"{person}; the healthy reference people's ages were not recorded, and its studies recruited "
                "mostly adults: a child's gut microbiome is still changing toward an adult's "
                "(Yatsunenko 2012; Stewart 2018), so these percentiles compare this person with people "
                "whose microbiome is expected to differ. They describe, they do not say whether anything is wrong.")
    lo, hi = ages
    if lo <= age <= hi:
        return ""
    known, people = characteristics.get("age_known"), characteristics.get("age_people")
    partly = (f" (ages known for {known} of {people} people)"
              if isinstance(known, int) and isinstance(people, int) and 0 < known < people else "")
    reference = f"the healthy reference people were {years_text(lo)}-{years_text(hi)} years old{partly}"
    if age < lo and age < ADULT_AGE:
        why = ("a young child's gut microbiome is still changing toward an adult's (Yatsunenko 2012; Stewart 2018), "
               "so these percentiles compare this child with older people")
    elif age < lo:
        why = ("the gut microbiome changes with age (Yatsunenko 2012), so these percentiles compare this person "
               "with older people")
    else:
        why = ("the gut microbiome changes with age (Yatsunenko 2012), so these percentiles compare this person "
               "with younger people")
    return (f"{person}; {reference}: {why}. The percentiles are not adjusted for age; they describe, "
            "they do not say whether anything is wrong.")
