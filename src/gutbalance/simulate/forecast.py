"""Forecasting held-out subjects and scoring forecasts (MDSINE2's protocol).

A forecast starts from a subject's first sample (values floored at
``START_FLOOR``) and runs through the subject's perturbations.  It is scored
per taxon by the RMSE over time of ``log10(pred + 1e3) - log10(obs + 1e3)`` at
the time points where the taxon was observed (:func:`rmse_per_taxon`), and a
subject by the median over taxa (Gibson, Gerber et al., MDSINE2, Nature
Microbiology 2025).  The baselines are here too: persistence (the start held
constant) and the cohort mean (the training subjects' mean log10 trajectory).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..cohort import SampleProfile, build_cohort
from ..errors import SimulationError
from ..io import read
from ..pillars import PILLARS
from ..scores import parse_missing, score
from ..taxonomy import canonical_name, parse_lineage
from .api import SimulationResult, _bands, _frame, missing_text
from .longitudinal import Longitudinal, Perturbation, SubjectSeries
from .scenario import AntibioticCourse, Scenario

#: Forecasts start from the first sample with every value floored here (16S copies per gram; MDSINE2).
START_FLOOR = 1e5
#: Pseudo-count added before taking log10 when scoring (MDSINE2).
SCORE_PSEUDOCOUNT = 1e3


def rmse_per_taxon(pred: np.ndarray, series: SubjectSeries, *, skip_start: bool = True) -> np.ndarray:
    """RMSE over time of ``log10(pred + 1e3) - log10(obs + 1e3)`` per taxon where it was observed.

    ``pred`` is ``(times, taxa)`` on ``series.times``.  The starting sample is
    not scored (``skip_start``): it is the forecast's input.  A taxon never
    observed after the start has NaN.
    """
    pred = np.asarray(pred, dtype=np.float64)
    if pred.shape != series.values.shape:
        raise ValueError(f"forecast shape {pred.shape} differs from the data {series.values.shape}")
    err = np.log10(pred + SCORE_PSEUDOCOUNT) - np.log10(series.values + SCORE_PSEUDOCOUNT)
    mask = series.observed.copy()
    if skip_start:
        mask[0] = False
    n = mask.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.sqrt(np.where(mask, err**2, 0.0).sum(axis=0) / np.maximum(n, 1)), np.nan)


def median_rmse(pred: np.ndarray, series: SubjectSeries) -> float:
    """The subject's score: median over taxa of :func:`rmse_per_taxon`."""
    return float(np.nanmedian(rmse_per_taxon(pred, series)))


def start_state(series: SubjectSeries, floor: float = START_FLOOR) -> np.ndarray:
    """The forecast's start: the first sample with values floored at ``floor``."""
    return np.maximum(series.values[0], floor)


def persistence_forecast(series: SubjectSeries, *, floor: float = START_FLOOR) -> np.ndarray:
    """The start held constant."""
    return np.broadcast_to(start_state(series, floor), series.values.shape).copy()


def cohort_mean_forecast(training: Longitudinal, times: np.ndarray, *, floor: float = START_FLOOR) -> np.ndarray:
    """The training subjects' mean log10 trajectory (values floored at ``floor``), interpolated onto ``times``."""
    logs = []
    for s in training.series.values():
        y = np.log10(np.maximum(s.values, floor))
        logs.append(np.column_stack([np.interp(times, s.times, y[:, i]) for i in range(y.shape[1])]))
    return 10.0 ** np.mean(logs, axis=0)


# --- forecasts and what-ifs from a fitted model (gutbalance simulate --model MODEL --from SAMPLE) ---------------


def parse_perturbation(text: str) -> Perturbation:
    """``NAME:days=A-B`` -> a perturbation active for ``A <= t < B`` (days on the data's clock)."""

    match = re.fullmatch(r"\s*(?P<name>[^:]+?)\s*:\s*days\s*=\s*(?P<a>[-+]?\d*\.?\d+)\s*-\s*(?P<b>[-+]?\d*\.?\d+)\s*", text)
    if not match:
        raise SimulationError(f"cannot read perturbation {text!r}: write NAME:days=A-B (e.g. Vancomycin:days=35.5-42.5)")
    start, end = float(match["a"]), float(match["b"])
    if not end > start:
        raise SimulationError(f"perturbation {text!r}: the end day must be after the start day")
    return Perturbation(match["name"], start, end)


def _profile_names(rank: str, model_taxon: str) -> list[str]:
    """The names a profile's ``rank`` table gives the model's taxon: its current name, and
    for a SILVA name joining genera it cannot tell apart (``Escherichia-Shigella``) each
    of them, so that NCBI's *Escherichia* is found in SILVA's taxon."""
    parts = model_taxon.split("-")
    if len(parts) > 1 and all(p[:1].isupper() and p[1:].isalpha() for p in parts):
        return [canonical_name(rank, p) for p in parts]
    return [canonical_name(rank, model_taxon)]


def _start_from(model, source: str, *, sample: str | None, start_day: float | None):
    """``(values, day, subject, label, notes)`` for a training sample id or a profile file."""

    if source in model.starts:
        subject, day, values = model.starts[source]
        return np.asarray(values, dtype=np.float64), day, subject, f"training sample {source} (subject {subject}, day {day:g})", []
    path = Path(source)
    if not path.is_file():
        known = list(model.starts)[:5]
        raise SimulationError(f"{source!r} is neither a sample the model was fitted on (e.g. {', '.join(known)}) nor a file")
    rank = model.provenance.get("rank")
    if not rank:
        raise SimulationError("this model's taxa are not named at a rank (fitted on sequence variants): start from one of "
                              "its training samples")
    cohort = read(path)
    name = sample or cohort.sample_names[0]
    if name not in cohort.sample_names:
        raise SimulationError(f"no sample {name!r} in {path}; it has {', '.join(cohort.sample_names[:5])}")
    matrix, taxa = cohort.rank_matrix(rank)
    row = np.asarray(matrix[cohort.sample_names.index(name)].todense()).ravel()
    by_name = dict(zip(taxa["name"].astype(str), row))
    values = np.zeros(len(model.taxa))
    used: set[str] = set()
    for k, taxon in enumerate(model.taxa):
        for profile_name in _profile_names(rank, str(taxon)):
            if profile_name in by_name and profile_name not in used:
                values[k] += by_name[profile_name]
                used.add(profile_name)
    covered = values.sum()
    if covered <= 0:
        raise SimulationError(f"none of the model's {len(model.taxa)} {rank} taxa is in {path} ({name})")
    notes = [f"{covered * 100:.1f}% of {name}'s abundance is in the model's {len(model.taxa)} taxa; the rest is left out."]
    left = sorted(((v, t) for t, v in by_name.items() if t not in used and v >= 0.01), reverse=True)[:5]
    if left:
        notes.append("Left out, not in the model: " + ", ".join(f"{t} {v * 100:.1f}%" for v, t in left) + ".")
    relative = values / covered
    totals = [v[2].sum() for v in model.starts.values()]
    load = float(np.median(totals)) if model.units.startswith(("16S", "absolute")) else 1.0
    if load != 1.0:
        notes.append(f"Absolute load not measured: relative abundances x the training samples' median total ({load:.3g}).")
    if start_day is None:
        day = float(model.provenance.get("first_day", 0.0))
        notes.append(f"Started on day {day:g}, the training data's first day (--start-day gives another).")
    else:
        day = float(start_day)
    return relative * load, day, None, f"{path.name} ({name})", notes


def forecast_model(
    model,
    source: str,
    *,
    perturbations: list[Perturbation] | None = None,
    without: Sequence[str] = (),
    days: float | None = None,
    sample: str | None = None,
    start_day: float | None = None,
    ensemble: bool = True,
):
    """Forecast from a training sample or a profile with a fitted model, under its schedule or a what-if.

    ``perturbations`` replaces the schedule (moved, shortened or new windows);
    ``without`` leaves named perturbations out.  Returns a
    :class:`~.api.SimulationResult` (``model="fitted"``): ``trajectory`` per
    taxon, ``bands`` over the bootstrap ensemble, and ``pillars`` (the
    pillar scores of ``gutbalance analyze`` computed on the forecast
    composition) when the model's taxa have lineages.
    """

    values, day0, subject, label, notes = _start_from(model, source, sample=sample, start_day=start_day)
    if perturbations is None:
        schedule = [Perturbation(p.name, p.start, p.end) for p in (model.schedule_of(subject) if subject else [])]
    else:
        schedule = list(perturbations)
    unknown = sorted(set(without) - {p.name for p in schedule})
    if unknown:
        raise SimulationError(f"--without {unknown[0]!r}: not in the schedule ({', '.join(p.name for p in schedule) or 'empty'})")
    schedule = [p for p in schedule if p.name not in set(without)]
    last = max(v[1] for v in model.starts.values()) if model.starts else day0 + 60
    end = float(days) if days is not None else float(last)
    if not end > day0:
        raise SimulationError(f"the forecast must end after its start (day {day0:g})")
    if perturbations is not None:
        # a window past the end was applied but left off the page's scenario, which
        # then read "no intervention" (an outside check); the gut-immune model refuses it too
        for p in schedule:
            if p.end > end:
                raise SimulationError(f"--perturbation {p.name}:days={p.start:g}-{p.end:g} runs past the forecast's end "
                                      f"(day {end:g}): end it by day {end:g}, or forecast longer with --days")
    if model.starts and end > last:
        # beyond the training data the model extrapolates: its dynamics were learned on the days it saw
        # (an outside check: a 12-day forecast of a model trained on days 1-6 did not say so)
        notes.append(f"Days {last:g}-{end:g} lie past the training data's last sample (day {last:g}): the "
                     "forecast there extrapolates what the model learned.")
    times = np.unique(np.concatenate([np.arange(day0, end, 0.5), [end]]))
    start = model.start_estimate(values, day0)
    if model.start_day is not None and abs(day0 - model.start_day) <= 0.25 and model.start_weight is not None:
        notes.append(f"Start: the sample shrunk towards the training subjects' mean start (day {model.start_day:g}; "
                     f"median weight of the sample {np.median(model.start_weight):.2f}; FittedModel.start_estimate).")
    x, clamped = model.simulate(start, times, schedule)
    trajectory = _frame(times, x, list(model.taxa))
    trajectory["total"] = x.sum(axis=1)
    if clamped:
        notes.append(f"{clamped} forecast values were held within the observed range (floor {model.floor:g}, each taxon's "
                     "largest observed value, the largest observed total).")
    # every window the forecast applies is named, cut to the forecast's days: the model's own
    # schedule may run past --days (Vancomycin 35.5-42.5 in a 40-day forecast was applied and left
    # off the page: a review)
    scenario = Scenario(days=end, antibiotics=[AntibioticCourse(p.name, max(p.start, 0.0), min(p.end, end))
                                               for p in schedule if max(p.start, 0.0) < min(p.end, end)])
    notes.insert(0, f"Fitted {model.kind} model ({model.provenance.get('fitted', '?')}, data {model.provenance.get('data', '?')}, "
                    f"{len(model.taxa)} taxa, {model.units}); days are the data's clock; schedule: "
                    + ("; ".join(f"{p.name} days {p.start:g}-{p.end:g}" for p in schedule) or "none") + ".")
    result = SimulationResult(model="fitted", trajectory=trajectory, scenario=scenario,
                              start=pd.Series(start, index=model.taxa), subject=label, notes=notes)
    if ensemble and model.n_members:
        ens = model.ensemble(start, times, schedule)
        ens = np.concatenate([ens, ens.sum(axis=2, keepdims=True)], axis=2)
        result.bands = _bands(times, ens, list(model.taxa) + ["total"])
        result.draws = model.n_members
    if model.lineages and any(model.lineages):
        reasons: list[str] = []
        result.pillars = composition_pillars(x, model.lineages, times, missing=reasons)
        result.pillars_missing = missing_text(times, reasons)
        if ensemble and model.n_members:
            per_member = [composition_pillars(e[:, :-1], model.lineages, times) for e in ens]
            stacked = np.stack([p.drop(columns="time").to_numpy() for p in per_member])
            result.pillar_bands = _bands(times, stacked, [c for c in result.pillars.columns if c != "time"])
        result.notes.append("Pillar scores: gutbalance analyze's pillars of the forecast composition (relative "
                            "abundances of the model's taxa), not the gut-immune model's.")
    return result


def composition_pillars(x: np.ndarray, lineages: list[str], times: np.ndarray, *, missing: list[str] | None = None):
    """The five pillars of ``gutbalance analyze`` for each row of ``x`` (taxa with these lineages);
    ``missing``, when given, is filled with each row's reason for missing pillars ("" where scored)."""

    keep = [i for i, lin in enumerate(lineages) if lin]
    parsed = [parse_lineage(lineages[i]) for i in keep]
    profiles = []
    for k, row in enumerate(np.asarray(x)[:, keep]):
        total = row.sum()
        profiles.append(SampleProfile(sample=f"t{k}", lineages=parsed, abundance=list(row / total if total > 0 else row)))
    table = score(build_cohort(profiles))
    if missing is not None:
        missing.extend(parse_missing(cell).get(PILLARS[0], "") for cell in table["missing"])
    frame = pd.DataFrame({"time": times})
    for col in PILLARS:
        frame[col] = table[col].to_numpy()
    return frame
