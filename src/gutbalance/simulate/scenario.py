"""Interventions and their command-line spelling.

``--antibiotic NAME:days=A-B[:dose=U]``  a course from day A to day B (signal U per day, default
the ``course_signal`` parameter), ``--probiotic NAME[:dose=X]:days=A-B``  a daily dose X (fraction
of the total load) on days A, A+1, ... B-1 (or A only when A = B), ``--pathogen NAME:day=D[:dose=X]``
an exposure on day D, ``--fiber +N%``  a lasting change of fibre intake from day 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import SimulationError

#: The longest run a scenario may ask: a hundred years of days (36,500 took
#: 32 s here with the gut-immune model).
MAX_DAYS = 36_500


@dataclass(frozen=True)
class AntibioticCourse:
    """An antibiotic course from day ``start`` to day ``end`` (``--antibiotic NAME:days=A-B[:dose=U]``)."""

    name: str
    start: float
    end: float
    dose: float | None = None  # signal per day; None = the model's default


@dataclass(frozen=True)
class ProbioticCourse:
    """A probiotic or transplant given daily from day ``start`` to ``end`` (``--probiotic NAME[:dose=X]:days=A-B``)."""

    name: str
    start: float
    end: float
    dose: float | None = None  # fraction of total load per day; None = default of the product


@dataclass(frozen=True)
class PathogenExposure:
    """Exposure to a pathogen on day ``day`` (``--pathogen NAME:day=D[:dose=X]``)."""

    name: str
    day: float
    dose: float | None = None


@dataclass
class Scenario:
    """Everything that happens in one simulation (days from the start)."""

    days: float = 90.0
    antibiotics: list[AntibioticCourse] = field(default_factory=list)
    probiotics: list[ProbioticCourse] = field(default_factory=list)
    pathogens: list[PathogenExposure] = field(default_factory=list)
    fibre: float = 0.0

    def __post_init__(self) -> None:
        if not self.days > 0:
            raise SimulationError("the number of days must be positive")
        if not self.days <= MAX_DAYS:
            # inf made NumPy fail on a day grid of infinite size, with a traceback
            raise SimulationError(f"the number of days must be at most {MAX_DAYS:,} (a hundred years), got {self.days:g}")
        for c in self.antibiotics:
            if c.end <= c.start:
                raise SimulationError(f"antibiotic {c.name}: the course ends on day {c.end:g}, not after it starts "
                                      f"(day {c.start:g}): write days=START-END")
            if not 0 <= c.start < c.end <= self.days:
                raise SimulationError(f"antibiotic {c.name}: days {c.start:g}-{c.end:g} must lie within 0-{self.days:g}")
        for p in self.probiotics:
            if p.end < p.start:
                raise SimulationError(f"probiotic {p.name}: the course ends on day {p.end:g}, before it starts "
                                      f"(day {p.start:g}): write days=START-END")
            if not 0 <= p.start <= p.end <= self.days:
                raise SimulationError(f"probiotic {p.name}: days {p.start:g}-{p.end:g} must lie within 0-{self.days:g}")
        for e in self.pathogens:
            if not 0 <= e.day <= self.days:
                raise SimulationError(f"pathogen {e.name}: day {e.day:g} must lie within 0-{self.days:g}")
        if self.fibre <= -1:
            raise SimulationError("fibre change must be above -100%")

    def doses_on_day0(self) -> bool:
        """Whether a probiotic, transplant or pathogen is given on day 0 (day 0's row then holds the dose)."""
        return any(p.start == 0 for p in self.probiotics) or any(e.day == 0 for e in self.pathogens)

    def describe(self) -> list[str]:
        """One line per intervention, in words (``["no intervention"]`` when there is none)."""
        out = []
        for c in self.antibiotics:
            out.append(f"{c.name} days {c.start:g}-{c.end:g}" + (f" (signal {c.dose:g})" if c.dose is not None else ""))
        for p in self.probiotics:
            out.append(f"probiotic {p.name} days {p.start:g}-{p.end:g}" + (f" dose {p.dose:g}" if p.dose is not None else ""))
        for e in self.pathogens:
            out.append(f"pathogen {e.name} on day {e.day:g}" + (f" dose {e.dose:g}" if e.dose is not None else ""))
        if self.fibre:
            out.append(f"fibre {self.fibre * 100:+g}%")
        return out or ["no intervention"]


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"


def _fields(spec: str, what: str) -> tuple[str, dict[str, str]]:
    name, *parts = spec.strip().split(":")
    name = name.strip().lower().replace("-", "_").replace(" ", "_")
    if not name:
        raise SimulationError(f"{what} {spec!r}: missing name")
    fields = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep:
            raise SimulationError(f"{what} {spec!r}: expected key=value, got {part!r}")
        fields[key.strip().lower()] = value.strip()
    return name, fields


def _number(text: str, spec: str, what: str) -> float:
    if not re.fullmatch(_NUMBER, text):
        raise SimulationError(f"{what} {spec!r}: {text!r} is not a number")
    return float(text)


def _days(text: str, spec: str, what: str) -> tuple[float, float]:
    m = re.fullmatch(rf"({_NUMBER})\s*-\s*({_NUMBER})", text)
    if not m:
        raise SimulationError(f"{what} {spec!r}: days must look like A-B, got {text!r}")
    return float(m.group(1)), float(m.group(2))


def _check_keys(fields: dict[str, str], allowed: set[str], spec: str, what: str) -> None:
    extra = set(fields) - allowed
    if extra:
        raise SimulationError(f"{what} {spec!r}: unknown field(s) {', '.join(sorted(extra))}; allowed: {', '.join(sorted(allowed))}")


def _course(spec: str, what: str) -> tuple[str, float, float, float | None]:
    """``NAME:days=A-B[:dose=D]`` (an antibiotic or a probiotic): name, start, end and dose (None: the default)."""
    name, f = _fields(spec, what)
    _check_keys(f, {"days", "dose"}, spec, what)
    if "days" not in f:
        raise SimulationError(f"{what} {spec!r}: give days=A-B")
    start, end = _days(f["days"], spec, what)
    return name, start, end, _number(f["dose"], spec, what) if "dose" in f else None


#: The largest antibiotic signal per day a course may give: twice the signal the
#: susceptibilities were fitted or assumed at (1, Stein 2013's mouse dose).
MAX_ANTIBIOTIC_SIGNAL = 2.0


def parse_antibiotic(spec: str) -> AntibioticCourse:
    """``clindamycin:days=0-5[:dose=0.5]``"""
    name, start, end, dose = _course(spec, "antibiotic")
    if dose is not None and dose < 0:
        raise SimulationError(f"antibiotic {spec!r}: dose must be >= 0")
    if dose is not None and dose > MAX_ANTIBIOTIC_SIGNAL:
        # dose=20 took the facultative guild to 3.6 times a whole healthy gut without
        # a word (an outside check): the model is linear in the signal far beyond its data
        raise SimulationError(
            f"antibiotic {spec!r}: dose must be at most {MAX_ANTIBIOTIC_SIGNAL:g}: it is the drug signal per day, "
            "whose susceptibilities were fitted or assumed at 1 (Stein 2013's mouse dose; the default course is 0.5)"
        )
    return AntibioticCourse(name, start, end, dose)


def parse_probiotic(spec: str) -> ProbioticCourse:
    """``bifidobacterium:dose=1e-3:days=0-14``"""
    name, start, end, dose = _course(spec, "probiotic")
    if dose is not None and dose <= 0:
        raise SimulationError(f"probiotic {spec!r}: dose must be > 0")
    if dose is not None and dose > 1:
        # dose=2 (twice the whole gut's load every day) ran without a word
        # (an outside check, 2026-11-29); a transplant's default is 0.1
        raise SimulationError(
            f"probiotic {spec!r}: dose must be at most 1: it is the fraction of the gut's whole bacterial load "
            "given each day (a capsule of 1e10 CFU is about 2.6e-4, the 'fmt' default 0.1)"
        )
    return ProbioticCourse(name, start, end, dose)


def parse_pathogen(spec: str) -> PathogenExposure:
    """``c_difficile:day=7[:dose=1e-8]``"""
    name, f = _fields(spec, "pathogen")
    _check_keys(f, {"day", "dose"}, spec, "pathogen")
    if "day" not in f:
        raise SimulationError(f"pathogen {spec!r}: give day=D")
    day = _number(f["day"], spec, "pathogen")
    dose = _number(f["dose"], spec, "pathogen") if "dose" in f else None
    if dose is not None and dose <= 0:
        raise SimulationError(f"pathogen {spec!r}: dose must be > 0")
    return PathogenExposure(name, day, dose)


def parse_fibre(spec: str) -> float:
    """``+30%`` -> 0.3, ``-20%`` -> -0.2; a bare number is a percentage too
    (``30``), but one between -1 and 1 is refused: ``0.3`` read as 0.3 % where
    30 % was meant (an outside check)."""
    m = re.fullmatch(rf"\s*({_NUMBER})\s*(%?)\s*", spec or "")
    if not m:
        raise SimulationError(f"fibre change {spec!r}: expected a percentage such as +30%")
    number = float(m.group(1))
    if not m.group(2) and number != 0 and abs(number) < 1:
        raise SimulationError(f"fibre change {spec!r}: a percentage is meant; write {number * 100:+g}% for a "
                              f"{abs(number) * 100:g} % change, or {number:+g}% for {abs(number):g} %")
    value = number / 100.0
    if value <= -1:
        raise SimulationError("fibre change must be above -100%")
    return value
