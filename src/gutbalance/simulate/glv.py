"""Generalized Lotka-Volterra (gLV) dynamics with antibiotic perturbations,
and the published mouse model of Stein et al. 2013.

.. math::

    \\frac{dx_i}{dt} = x_i \\Big(r_i + \\sum_j a_{ij} x_j + \\varepsilon_i u(t)\\Big)

``r`` are intrinsic growth rates, ``a_ij`` the effect of taxon ``j`` on the
per-capita growth of taxon ``i`` and ``eps_i`` the susceptibility of taxon ``i``
to the antibiotic signal ``u(t)`` (Stein RR et al. 2013, PLoS Comput Biol
9:e1003388, doi:10.1371/journal.pcbi.1003388).  Inoculations and faecal
transplants are pulses added to ``x`` at a given day (:class:`~.integrate.Pulse`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from ..errors import SimulationError
from .integrate import IntegrationStats, Pulse, integrate_log, to_log
from .parameters import data_table, numeric_frame

STEIN_CITATION = "Stein RR et al. 2013, PLoS Comput Biol 9:e1003388, doi:10.1371/journal.pcbi.1003388"

#: Extinction threshold of the Stein model, in its units (10^11 16S copies per cm3):
#: 1e-11 is one 16S rRNA gene copy per cm3 of gut content.  The mouse caecum and
#: colon hold on the order of 1 cm3, so below this there is not one cell of the
#: taxon left: the population is gone.  It is ten times below the C. difficile
#: inoculum of the published scenario (1e-10).
STEIN_EXTINCTION_THRESHOLD = 1e-11


@dataclass(frozen=True)
class Course:
    """An antibiotic course: signal ``concentration`` for ``start <= t < end``."""

    drug: str
    start: float
    end: float
    concentration: float = 1.0

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise SimulationError(f"antibiotic course {self.drug!r}: end day {self.end:g} must be after start {self.start:g}")
        if self.concentration < 0:
            raise SimulationError(f"antibiotic course {self.drug!r}: concentration must be >= 0")

    def signal(self, t: float) -> float:
        """The antibiotic signal at day ``t``: ``concentration`` inside the course, else 0."""
        return self.concentration if self.start <= t < self.end else 0.0


@dataclass
class GLVModel:
    """A gLV community with antibiotic susceptibilities.

    Attributes
    ----------
    taxa
        Names of the taxa, in state order.
    growth
        ``r`` (1/day).
    interactions
        ``a`` (``a[i, j]`` = effect of taxon j on taxon i).
    susceptibility
        ``{drug: eps}`` (1/day at signal 1).
    extinction_threshold
        Densities below this are set to exactly 0 (see module constants).
    """

    taxa: list[str]
    growth: np.ndarray
    interactions: np.ndarray
    susceptibility: dict[str, np.ndarray] = field(default_factory=dict)
    extinction_threshold: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        d = len(self.taxa)
        self.growth = np.asarray(self.growth, dtype=np.float64)
        self.interactions = np.asarray(self.interactions, dtype=np.float64)
        if self.growth.shape != (d,) or self.interactions.shape != (d, d):
            raise SimulationError("growth must have one value per taxon and interactions be taxa x taxa")
        for drug, eps in self.susceptibility.items():
            if np.shape(eps) != (d,):
                raise SimulationError(f"susceptibility to {drug!r} needs one value per taxon")

    def index(self, taxon: str) -> int:
        """Position of ``taxon`` in the state vector; :class:`SimulationError` listing the model's taxa when unknown."""
        try:
            return self.taxa.index(taxon)
        except ValueError:
            raise SimulationError(f"unknown taxon {taxon!r}; the model has: {', '.join(self.taxa)}") from None

    def derivative(self, x: np.ndarray, antibiotic: dict[str, float] | None = None) -> np.ndarray:
        """``dx/dt`` in linear space (for reference solvers and steady-state checks)."""
        rate = self.growth + x @ self.interactions.T
        for drug, u in (antibiotic or {}).items():
            rate = rate + u * self.susceptibility[drug]
        return x * rate

    def _log_rhs(self, y: np.ndarray, rows: np.ndarray, control: Mapping[str, float] | None) -> np.ndarray:
        x = np.exp(y)
        rate = x @ self.interactions.T
        rate += self.growth
        for drug, u in (control or {}).items():
            if u:
                rate += u * self.susceptibility[drug]
        return rate

    def simulate(
        self,
        x0: np.ndarray,
        days: float,
        *,
        courses: Sequence[Course] = (),
        pulses: Sequence[Pulse] = (),
        t_eval: Sequence[float] | np.ndarray | None = None,
        atol: float = 1e-8,
        stats: IntegrationStats | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Integrate from ``x0`` (one community, or ``(n, taxa)``) for ``days``.

        Returns ``(times, x)`` with ``x`` shaped ``(len(times), taxa)`` for a
        single community or ``(n, len(times), taxa)`` for several.
        """
        for course in courses:
            if course.drug not in self.susceptibility:
                raise SimulationError(f"no susceptibilities to {course.drug!r} in this model")
        x0 = np.asarray(x0, dtype=np.float64)
        single = x0.ndim == 1
        times = np.arange(0.0, days + 1e-9, 1.0) if t_eval is None else np.asarray(t_eval, dtype=np.float64)
        if times[-1] < days:
            times = np.append(times, days)

        def control(t: float) -> dict[str, float]:
            signal: dict[str, float] = {}
            for course in courses:
                signal[course.drug] = signal.get(course.drug, 0.0) + course.signal(t)
            return signal

        breaks = [b for c in courses for b in (c.start, c.end)]
        log_thr = np.log(self.extinction_threshold) if self.extinction_threshold > 0 else None
        x = integrate_log(
            self._log_rhs,
            to_log(np.atleast_2d(x0)),
            times,
            control=control,
            breakpoints=breaks,
            pulses=pulses,
            extinct_log=log_thr,
            extinct_components=np.ones(len(self.taxa), dtype=bool),
            atol=atol,
            stats=stats,
        )
        return times, (x[0] if single else x)

    def inoculum(self, taxon: str, amount: float) -> np.ndarray:
        """A pulse vector adding ``amount`` of ``taxon``."""
        vec = np.zeros(len(self.taxa))
        vec[self.index(taxon)] = amount
        return vec


@cache
def _stein_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    # cited in their headers (Stein et al. 2013), numbers throughout
    params = numeric_frame(data_table("stein2013_parameters.tsv", header_cites=True), "taxon")
    ics = numeric_frame(data_table("stein2013_initial_conditions.tsv", header_cites=True), "ic")
    return params, ics


def stein2013() -> GLVModel:
    """The 11-taxon mouse gut model of Stein et al. 2013 with clindamycin.

    Taxa (state order): Barnesiella, undefined_genus_of_Lachnospiraceae,
    unclassified_Lachnospiraceae, Other, Blautia,
    undefined_genus_of_unclassified_Mollicutes, Akkermansia, Coprobacillus,
    Clostridium_difficile, Enterococcus, undefined_genus_of_Enterobacteriaceae.
    """
    params, _ = _stein_tables()
    taxa = params.index.tolist()
    interactions = params[[f"a:{t}" for t in taxa]].to_numpy()
    return GLVModel(
        taxa=taxa,
        growth=params["growth_rate"].to_numpy(),
        interactions=interactions,
        susceptibility={"clindamycin": params["clindamycin_susceptibility"].to_numpy()},
        extinction_threshold=STEIN_EXTINCTION_THRESHOLD,
        source=STEIN_CITATION,
    )


def stein2013_initial_conditions() -> pd.DataFrame:
    """The nine measured day-0 communities (rows ``ic`` 0..8, columns taxa).

    ``ic`` is the 0-based order of the day-0 columns in the paper's data
    matrix; the table also gives the mouse id (1..9), its experimental
    population (1 no clindamycin, 2 clindamycin, 3 clindamycin + C. difficile)
    and replicate.
    """
    _, ics = _stein_tables()
    return ics.copy()


def stein2013_initial_condition(ic: int) -> np.ndarray:
    """Densities of initial condition ``ic`` (0..8) in the model's taxon order."""
    params, ics = _stein_tables()
    if ic not in ics.index:
        raise SimulationError(f"Stein 2013 initial condition must be 0..{len(ics) - 1}, got {ic}")
    return ics.loc[ic][params.index.tolist()].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class SteinScenario:
    """The published scenario family: an IC, optional clindamycin, optional C. difficile."""

    ic: int = 4
    clindamycin_days: tuple[float, float] | None = (0.0, 1.0)
    cdiff_day: float | None = 5.0
    cdiff_amount: float = 1e-10
    days: float = 1000.0


def run_stein_scenario(scenario: SteinScenario, *, atol: float = 1e-8, t_eval: Sequence[float] | None = None):
    """Run one Stein scenario; returns ``(model, times, x)``.

    Clindamycin is the signal ``u = 1`` for ``start <= t < end`` (one day at
    the start, as in Jones & Carlson 2018, PLoS Comput Biol 14:e1006001, whose
    code applies the dose as ``u = concentration`` while ``t < duration``).
    """
    model = stein2013()
    courses = []
    if scenario.clindamycin_days is not None:
        courses.append(Course("clindamycin", *scenario.clindamycin_days))
    pulses = []
    if scenario.cdiff_day is not None:
        pulses.append(Pulse(scenario.cdiff_day, model.inoculum("Clostridium_difficile", scenario.cdiff_amount)))
    times, x = model.simulate(
        stein2013_initial_condition(scenario.ic), scenario.days, courses=courses, pulses=pulses, t_eval=t_eval, atol=atol
    )
    return model, times, x
