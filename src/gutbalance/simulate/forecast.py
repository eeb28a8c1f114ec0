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

import numpy as np

from .longitudinal import Longitudinal, SubjectSeries

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
