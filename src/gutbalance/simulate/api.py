"""Running simulations from the Python API and the command line."""

from __future__ import annotations

import warnings as pywarnings  # 'warnings' is a list of text in this module
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ..cohort import Cohort
from ..errors import SimulationError
from ..io import read
from ..outputs import write_table_atomic
from ..reference import load_reference
from ..scores import sample_warnings
from .glv import Course, stein2013, stein2013_initial_condition, stein2013_initial_conditions
from .gut_immune import (
    ANTIBIOTICS,
    GRAM_POSITIVE_SHARE,
    GUILDS,
    HOST,
    MICROBES,
    N_MIC,
    PATHOGENS,
    STATE,
    GutImmuneModel,
    GutImmuneParameters,
    calibrate,
    load_parameters,
)
from .integrate import Pulse
from .parameters import lookup, parameter_table, probiotic_table
from .personal import guild_abundances
from .pillars import PILLARS, VirtualProfiles, simulated_missing, simulated_pillars
from .scenario import Scenario

QUANTILES = {"p05": 0.05, "p50": 0.5, "p95": 0.95}
#: default C. difficile inoculum of the Stein scenario (10^11 copies/cm3)
STEIN_DEFAULT_DOSE = 1e-10


@dataclass
class SimulationResult:
    """A simulated trajectory, its pillar scores and (optionally) ensemble bands.

    Attributes
    ----------
    model
        ``"gut-immune"`` or ``"stein2013"``.
    trajectory
        One row per day: ``time`` and one column per state variable (the
        central parameter set).
    pillars
        ``time`` and the five pillar scores 0-100 (gut-immune model only).
    bands
        ``{"p05"|"p50"|"p95": frame like trajectory}`` over the ensemble draws.
    pillar_bands
        The same for the pillar scores.
    start
        Starting value of every state variable.
    scenario
        What was simulated.
    recovery
        Over the ensemble (:func:`recovery`): ``probability`` that the gut has
        not recovered by the last day (any pillar below its measured day-0
        value by more than its smallest real difference in the healthy
        reference), ``per_pillar`` the same for each pillar, ``thresholds``
        (those differences) and ``definition``.
    notes
        Provenance and assumptions worth showing next to the results.
    warnings
        What ``gutbalance analyze`` warns of the starting profile (one that
        does not look like stool, too shallow, mostly unclassified reads):
        the model is a gut's, and its day 0 is that profile scored.
    pillars_missing
        Why pillar scores are missing on some days, as ``gutbalance analyze``
        says it (a profile the knowledge base reaches too little of), with how
        many days; "" when every day is scored.
    """

    model: str
    trajectory: pd.DataFrame
    scenario: Scenario
    pillars: pd.DataFrame | None = None
    bands: dict[str, pd.DataFrame] | None = None
    pillar_bands: dict[str, pd.DataFrame] | None = None
    start: pd.Series | None = None
    draws: int = 0
    recovery: dict | None = None
    subject: str = ""
    notes: list[str] = field(default_factory=list)
    pillars_missing: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def state_columns(self) -> list[str]:
        """The state variables (every trajectory column but ``time``)."""
        return [c for c in self.trajectory.columns if c != "time"]

    def final(self) -> pd.Series:
        """State at the last day."""
        return self.trajectory.iloc[-1].drop("time")

    @property
    def guild_columns(self) -> list[str]:
        """The microbial guilds (and the pathogen) of the gut-immune model; [] for the other models."""
        return list(MICROBES) if self.model == "gut-immune" else []

    @property
    def host_columns(self) -> list[str]:
        """Butyrate, barrier, LPS, effector, Treg, mucus and immunity of the gut-immune model; [] for the others."""
        return list(HOST) if self.model == "gut-immune" else []

    def key_days(self) -> list[float]:
        """The simulated days nearest to day 0, the end of each antibiotic and probiotic course, two
        weeks after each pathogen exposure, the pathogen's peak and the last day: the columns of the
        report's tables.  The peak is there because it may come weeks after the exposure (*C. difficile*
        after clindamycin peaked on day 32, which the tables missed; an outside check)."""
        days = [0.0]
        for c in self.scenario.antibiotics:
            days.append(c.end)
        for p in self.scenario.probiotics:
            days.append(p.end)
        t = self.trajectory["time"].to_numpy()
        for e in self.scenario.pathogens:
            days.append(e.day + 14)
        if self.scenario.pathogens and "pathogen" in self.trajectory:
            after = t >= min(e.day for e in self.scenario.pathogens)
            load = self.trajectory["pathogen"].to_numpy()[after]
            if len(load) and load.max() > 0:
                days.append(float(t[after][int(np.argmax(load))]))
        days.append(float(self.trajectory["time"].iloc[-1]))
        return sorted({float(t[np.argmin(np.abs(t - d))]) for d in days})

    def write(self, directory: str | PathLike[str]) -> dict[str, Path]:
        """Write ``trajectory.tsv`` and ``pillars.tsv`` (models with pillar scores); the page is
        :func:`gutbalance.report.render_simulation_report`."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"trajectory": write_table_atomic(self.trajectory, out / "trajectory.tsv", index=False)}
        if self.pillars is not None:
            table = self.pillars.copy()
            if self.pillar_bands is not None:
                for q, frame in self.pillar_bands.items():
                    if q == "p50":
                        continue
                    for col in PILLARS:
                        table[f"{col}_{q}"] = frame[col].to_numpy()
            paths["pillars"] = write_table_atomic(table, out / "pillars.tsv", index=False)
        return paths


def missing_text(times: np.ndarray, reasons: list[str]) -> str:
    """What :attr:`SimulationResult.pillars_missing` says: on how many of the
    days ``times`` the pillars are missing (``reasons``: one per day, "" where
    scored), from which day, and why (the first day's reason)."""
    gone = [i for i, why in enumerate(reasons) if why]
    if not gone:
        return ""
    first = gone[0]
    when = "on every day" if len(gone) == len(reasons) else (
        f"on {len(gone)} of {len(reasons)} days, from day {float(times[first]):g}")
    return f"Pillar scores missing {when}: {reasons[first]}"


def _frame(times: np.ndarray, values: np.ndarray, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(np.asarray(values, dtype=np.float64), columns=columns)
    frame.insert(0, "time", times)
    return frame


def _bands(times: np.ndarray, values: np.ndarray, columns: list[str]) -> dict[str, pd.DataFrame]:
    qs = np.quantile(values, list(QUANTILES.values()), axis=0)
    return {name: _frame(times, q, columns) for name, q in zip(QUANTILES, qs)}


def _exposure(scenario: Scenario) -> str | None:
    """The one pathogen the scenario exposes to (None: no exposure)."""
    names = {e.name for e in scenario.pathogens}
    unknown = names - set(PATHOGENS)
    if unknown:
        raise SimulationError(f"unknown pathogen {sorted(unknown)[0]!r}; known: {', '.join(PATHOGENS)}")
    if len(names) > 1:
        raise SimulationError("the model has one pathogen slot: expose to one pathogen per simulation")
    return next(iter(names), None)


def _pathogen_name(scenario: Scenario, carried: str | None) -> str:
    """Who holds the pathogen slot: the exposure, else the pathogen the profile
    carries (:func:`.personal.guild_abundances` gave the slot to the exposure)."""
    return _exposure(scenario) or carried or "c_difficile"


def _pulses(scenario: Scenario, params: GutImmuneParameters) -> list[Pulse]:
    probiotics = probiotic_table()
    pulses = []
    for c in scenario.probiotics:
        if c.name not in probiotics.index:
            raise SimulationError(f"unknown probiotic {c.name!r}; known: {', '.join(probiotics.index)}")
        entry = probiotics.loc[c.name]
        dose = entry["default_dose"] if c.dose is None else c.dose
        days = [c.start] if c.end == c.start else list(np.arange(c.start, c.end, 1.0))
        if entry["guild"] == "donor":
            vector = params.reference * dose
        else:
            vector = np.zeros(N_MIC)
            vector[GUILDS.index(str(entry["guild"]))] = dose
        pulses += [Pulse(float(d), vector) for d in days]
    default_dose = lookup("default_dose", "pathogen")[0]
    for e in scenario.pathogens:
        if e.dose is not None and e.dose > 1:
            # dose=5 (five times the gut's whole load) ran without a word (an outside
            # check, 2026-11-29), where a probiotic's is refused; the Stein model's
            # inoculum is in its own units and is not bounded here
            raise SimulationError(
                f"pathogen {e.name}: dose must be at most 1 in the gut-immune model: it is the fraction of the "
                f"gut's whole bacterial load brought in (default {default_dose:g})"
            )
        vector = np.zeros(N_MIC)
        vector[-1] = default_dose if e.dose is None else e.dose
        pulses.append(Pulse(e.day, vector))
    return pulses


def before_day0_doses(states: np.ndarray, state0: np.ndarray, pulses: list[Pulse]) -> np.ndarray:
    """The microbes ``(n, 7)`` of the measured state: day 0's row of ``states``
    (``(n, times, 20)``) with every guild dosed on day 0 taken from ``state0``
    (``(n, 20)``), the state before the dose.

    The other guilds keep day 0's row, not ``state0``: a row at its own start
    scores as the measured profile exactly (:meth:`~.pillars.VirtualProfiles.matrix`).
    """
    start = np.array(states[:, 0, :N_MIC], dtype=np.float64)
    dosed = np.zeros(N_MIC, dtype=bool)
    for p in pulses:
        if p.time == 0.0:
            dosed |= np.any(np.reshape(np.asarray(p.amount, dtype=np.float64), (-1, N_MIC)) > 0, axis=0)
    start[:, dosed] = np.asarray(state0, dtype=np.float64)[:, :N_MIC][:, dosed]
    return start


def _courses(scenario: Scenario) -> list[Course]:
    default_signal = lookup("course_signal", "antibiotic")[0]
    courses = []
    for c in scenario.antibiotics:
        if c.name not in ANTIBIOTICS:
            raise SimulationError(f"unknown antibiotic {c.name!r}; known: {', '.join(ANTIBIOTICS)}")
        courses.append(Course(c.name, c.start, c.end, default_signal if c.dose is None else c.dose))
    return courses


@dataclass
class Person:
    """Where a gut-immune simulation starts: guilds, the pathogen slot and how to score it."""

    x0: np.ndarray | None  # starting guilds (None: the healthy reference composition)
    pathogen: str
    virtual: VirtualProfiles
    #: the facultative guild's Gram-negative and Gram-positive parts' LPS potencies, from the person's taxa
    lps_potency: tuple[float | None, float | None]
    gram_positive_share: float | None  # of the facultative guild, from the person's taxa
    subject: str
    notes: list[str]
    #: enterococci's share of the facultative guild's Gram-positive part, from the person's taxa (None: no part)
    enterococcal_share: float | None = None
    warnings: list[str] = field(default_factory=list)  # analyze's warnings of the profile (scores.sample_warnings)


def _read_for(path, sample: str | None) -> Cohort:
    """The profile file at ``path``, read whole, warning only about the
    simulated sample (``sample``, else the first) and about the file:
    ``simulate --sample A`` on a merged table printed every other sample's
    warnings (an outside check, 2026-11-29)."""
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        cohort = read(path)
    subject = sample if sample is not None else cohort.sample_names[0]
    others = [f"sample {name!r}" for name in cohort.sample_names if name != subject]
    for warning in caught:
        text = str(warning.message)
        if f"sample {subject!r}" not in text and any(other in text for other in others):
            continue
        pywarnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return cohort


def person(
    profile: Cohort | str | PathLike[str] | None = None,
    scenario: Scenario | None = None,
    *,
    sample: str | None = None,
    guilds: dict[str, float] | None = None,
) -> Person:
    """The starting point of :func:`simulate` (see there for the arguments)."""
    scenario = scenario or Scenario()
    carried = None
    notes: list[str] = []
    warnings: list[str] = []
    subject = "healthy reference composition"
    assignment = None
    if profile is not None and guilds is not None:
        raise SimulationError("give a profile or guild abundances, not both")
    if profile is not None:
        if not isinstance(profile, Cohort):
            profile = _read_for(profile, sample)
        x0, carried, assignment = guild_abundances(profile, sample, slot=_exposure(scenario))
        subject = sample or profile.sample_names[0]
        # The sample alone, as analyze judges it: never a neighbour's verdict.
        warnings = sample_warnings(profile.subset([subject]))[1][0]
        for name, share in assignment.attrs["displaced"].items():
            # a few 16S reads called Salmonella must not forbid a C. difficile scenario
            notes.append(f"The profile's {name} ({share * 100:.2g}% of the bacteria) is kept with the other commensals: "
                         f"the model has one pathogen slot, taken by the exposure to {_exposure(scenario)}."
                         if _exposure(scenario) else
                         f"The profile's {name} ({share * 100:.2g}% of the bacteria) is kept with the other commensals: "
                         f"the model has one pathogen slot, taken by {carried}.")
        if assignment.attrs.get("knowledge_problem"):
            notes.append("The knowledge base could not be used (" + assignment.attrs["knowledge_problem"]
                         + "); guilds come from the taxonomy rule in guild_taxonomy.tsv only.")
        by_basis = assignment.groupby("basis")["abundance"].sum() / assignment["abundance"].sum()
        notes.append(
            "Guilds from the profile: "
            + ", ".join(f"{basis} {value * 100:.1f}%" for basis, value in by_basis.sort_values(ascending=False).items())
            + " of the bacterial abundance."
        )
    elif guilds is not None:
        unknown = set(guilds) - set(MICROBES)
        if unknown:
            raise SimulationError(f"unknown guild(s) {', '.join(sorted(unknown))}; known: {', '.join(MICROBES)}")
        x0 = np.array([float(guilds.get(g, 0.0)) for g in MICROBES])
        if x0.sum() <= 0:
            raise SimulationError("guild abundances must not all be zero")
        subject = "given guild abundances"
    else:
        x0 = None
    pathogen = _pathogen_name(scenario, carried)
    virtual = VirtualProfiles(profile if assignment is not None else None, subject if assignment is not None else None,
                              assignment, pathogen)
    if scenario.probiotics:
        # an outside check: --probiotic bifidobacterium and lactobacillus gave the same bytes,
        # and a bifidobacterium course raised the person's Lactococcus; the page did not say why
        table = probiotic_table()
        for name in dict.fromkeys(course.name for course in scenario.probiotics):  # once per probiotic
            guild = str(table.loc[name, "guild"]) if name in table.index else "?"
            if guild == "donor":
                continue  # the transplant's limits are said with the pillars (docs/simulation.md)
            same = sorted(n for n in table.index if str(table.loc[n, "guild"]) == guild and n != name)
            notes.append(
                f"Probiotic {name}: the model follows guilds, not strains, so the dose joins the {guild} guild "
                + (f"(as {', '.join(same)} would: the same trajectory) " if same else "")
                + "and its pillars rescale the person's own taxa of that guild; a genus the person lacks does not "
                  "appear in the scored profile.")
    # what the numbers rest on, on the page itself (an outside check: only docs/simulation.md said it)
    evidence = parameter_table()["evidence"].astype(str)
    assumed = int(evidence.str.startswith("assumed").sum())
    notes.append(f"Parameters: {assumed} of the model's {len(evidence)} are assumed (magnitudes judged, directions "
                 "from the literature), the others fitted to mouse time series or derived (gut_immune_parameters.tsv, "
                 "docs/simulation.md); the model follows seven guilds, not species, and holds fungi and viruses "
                 "constant. A scenario shows what these assumptions imply, not what will happen.")
    notes.append("Pillar scores: the scoring of gutbalance analyze applied to the profile with every taxon rescaled "
                 "by its guild's simulated change from the measured profile "
                 + ("(day 0 already holds the dose given on day 0, as trajectory.tsv does; recovery is judged "
                    "against the measured profile)." if scenario.doses_on_day0() else "(day 0 = the measured profile)."))
    potency = (None, None) if assignment is None else (assignment.attrs.get("lps_potency_gram_negative"),
                                                         assignment.attrs.get("lps_potency_gram_positive"))
    positive = None if assignment is None else assignment.attrs.get("gram_positive_share")
    enterococcal = None if assignment is None else assignment.attrs.get("enterococcal_share")
    return Person(x0=x0, pathogen=pathogen, virtual=virtual, lps_potency=potency, gram_positive_share=positive,
                  enterococcal_share=enterococcal, subject=subject, notes=notes, warnings=warnings)


def run_person(
    start: Person,
    params: GutImmuneParameters,
    scenario: Scenario,
    *,
    atol: float = 1e-6,
    out_dtype: type = np.float64,
    t_eval: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calibrate ``params`` (fresh, for ``params.n`` virtual people) to ``start`` and integrate the scenario.

    Returns ``(times, states (n, times, 20), state0 (n, 20))``.
    """
    negative, positive = start.lps_potency
    if negative is not None:
        params.with_lps_potency("facultative_pathobionts", negative)
    if positive is not None:
        params.with_gram_positive_lps(positive)
    if start.gram_positive_share is not None:
        params.with_gram_positive_share(start.gram_positive_share)
    if start.enterococcal_share is not None:
        params.with_enterococcal_share(start.enterococcal_share)
    state0 = calibrate(params, params.reference if start.x0 is None else start.x0)
    model = GutImmuneModel(params, fibre=scenario.fibre)
    times, states = model.run(state0, scenario.days, courses=_courses(scenario), pulses=_pulses(scenario, params),
                              atol=atol, out_dtype=out_dtype, t_eval=t_eval)
    return times, states, state0


def simulate(
    profile: Cohort | str | PathLike[str] | None = None,
    scenario: Scenario | None = None,
    *,
    sample: str | None = None,
    guilds: dict[str, float] | None = None,
    draws: int = 0,
    seed: int = 0,
    atol: float = 1e-6,
) -> SimulationResult:
    """Simulate the gut-immune model from a person's profile (or given guilds).

    Parameters
    ----------
    profile
        A :class:`~gutbalance.Cohort` or a profile file (anything
        :func:`gutbalance.read` reads).  ``None`` with ``guilds=None`` starts
        from the healthy reference composition.
    scenario
        The interventions (:class:`~.scenario.Scenario`); default: none for 90 days.
    sample
        Which sample of a multi-sample profile.
    guilds
        Starting guild abundances instead of a profile (``{guild: value}``).
    draws
        Ensemble size over parameter uncertainty (0 = central parameters only).
    seed
        Random seed of the ensemble draws.
    atol
        Local error tolerance of the integrator on log-states (relative).
    """
    scenario = scenario or Scenario()
    start = person(profile, scenario, sample=sample, guilds=guilds)
    central = load_parameters(1, pathogen=start.pathogen)
    times, states, state0 = run_person(start, central, scenario, atol=atol)
    doses = _pulses(scenario, central)
    measured = before_day0_doses(states, state0, doses)
    central_pillars = simulated_pillars(start.virtual, states[0], measured[0])
    result = SimulationResult(
        model="gut-immune",
        trajectory=_frame(times, states[0], STATE),
        scenario=scenario,
        pillars=_frame(times, central_pillars, PILLARS),
        start=pd.Series(state0[0], index=STATE),
        subject=start.subject,
        notes=start.notes,
        warnings=start.warnings,
    )
    if np.isnan(central_pillars).any():
        result.pillars_missing = missing_text(times, simulated_missing(start.virtual, states[0], measured[0]))
    if draws:
        if draws < 2:
            raise SimulationError("an ensemble needs at least 2 draws")
        params = load_parameters(draws, pathogen=start.pathogen, rng=np.random.default_rng(seed))
        _, ens, ens0 = run_person(start, params, scenario, atol=atol, out_dtype=np.float32)
        ens_start = before_day0_doses(ens, ens0, _pulses(scenario, params))
        ens_scores = simulated_pillars(start.virtual, ens, ens_start)
        result.bands = _bands(times, ens, STATE)
        result.pillar_bands = _bands(times, ens_scores, PILLARS)
        result.draws = draws
        # No recovery where a draw's first or last day has no pillars to compare (NaN would read "recovered").
        # Recovered means back to the measured gut, not to the gut just after a dose given on day 0.
        baseline = ens_scores[:, 0, :]
        if scenario.doses_on_day0():
            share0 = ens[:, 0, STATE.index(GRAM_POSITIVE_SHARE)].astype(np.float64)
            baseline = start.virtual.scores(ens_start, ens_start, share0, share0)
        if not (np.isnan(baseline).any() or np.isnan(ens_scores[:, -1, :]).any()):
            result.recovery = recovery(ens_scores, baseline)
    return result


def recovery(scores: np.ndarray, baseline: np.ndarray | None = None) -> dict:
    """Share of ensemble draws (``scores``: draws x times x pillars) not recovered on the last day.

    A pillar has not recovered when on the last day it is below its measured
    day-0 value (``baseline``, draws x pillars: the pillars before any dose
    given on day 0; default day 0's row) by more than its smallest real
    difference in the shipped healthy reference (the change re-sequencing the
    same sample can make; :mod:`gutbalance.reference`); a draw has not
    recovered when any pillar has not.
    """
    variation = load_reference().variation
    srd = np.array([float(variation[name].smallest_real_difference) for name in PILLARS])
    lost = scores[:, -1, :] < (scores[:, 0, :] if baseline is None else baseline) - srd
    return {
        "probability": float(np.mean(lost.any(axis=1))),
        "per_pillar": {name: float(np.mean(lost[:, k])) for k, name in enumerate(PILLARS)},
        "thresholds": dict(zip(PILLARS, srd.tolist(), strict=True)),
        "definition": "a pillar on the last day below its day-0 value by more than its smallest real difference "
                      "in the healthy reference (what re-sequencing the same sample can change)",
    }


def simulate_stein(scenario: Scenario | None = None, *, ic: int = 4, atol: float = 1e-8) -> SimulationResult:
    """The Stein et al. 2013 mouse model from initial condition ``ic``.

    Antibiotics: only ``clindamycin`` (signal 1 unless ``dose=`` is given);
    pathogens: only ``c_difficile`` (default inoculum 1e-10); no probiotics
    (use :meth:`GLVModel.simulate` with pulses for transplants) and no fibre.
    """
    scenario = scenario or Scenario(days=1000.0)
    model = stein2013()
    if scenario.probiotics or scenario.fibre:
        raise SimulationError("the Stein 2013 model has no probiotic or fibre inputs")
    courses = []
    for c in scenario.antibiotics:
        if c.name != "clindamycin":
            raise SimulationError("the Stein 2013 model knows one antibiotic: clindamycin")
        courses.append(Course("clindamycin", c.start, c.end, 1.0 if c.dose is None else c.dose))
    pulses = []
    for e in scenario.pathogens:
        if e.name not in ("c_difficile", "clostridium_difficile"):
            raise SimulationError("the Stein 2013 model knows one pathogen: c_difficile")
        pulses.append(Pulse(e.day, model.inoculum("Clostridium_difficile", STEIN_DEFAULT_DOSE if e.dose is None else e.dose)))
    x0 = stein2013_initial_condition(ic)
    times, x = model.simulate(x0, scenario.days, courses=courses, pulses=pulses, atol=atol)
    ics = stein2013_initial_conditions()
    mouse = ics.loc[ic]
    return SimulationResult(
        model="stein2013",
        trajectory=_frame(times, x, model.taxa),
        scenario=scenario,
        start=pd.Series(x0, index=model.taxa),
        subject=f"initial condition {ic} (mouse {int(mouse['mouse'])}, population {int(mouse['population'])})",
        notes=[
            f"Parameters: {model.source}. Densities in 10^11 16S rRNA gene copies per cm3; "
            f"taxa below {model.extinction_threshold:g} are extinct (set to 0)."
        ],
    )
