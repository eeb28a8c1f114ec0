"""Benchmark: leave-one-subject-out forecasts of absolute abundance (MDSINE2's protocol).

For every subject with perturbations (mice 2-5 of the healthy-donor data),
fit on the other subjects, forecast the held-out subject from its first
sample (day 1; values floored at 1e5) through its perturbations, and score per
taxon the RMSE over time of ``log10(pred + 1e3) - log10(obs + 1e3)`` where the
taxon was observed; print the median over taxa::

    method<TAB>subject<TAB>median_rmse<TAB>fit_seconds

Data preparation (:func:`gutbalance.simulate.longitudinal.mdsine2_dataset`):
days 0 and 0.5 dropped; identical sequences merged; taxa kept at >= 1e-4
relative abundance for >= 7 consecutive samples from day 5 on in >= 2 subjects
(141 OTUs in the healthy-donor data); absolute abundance = relative abundance
over the kept taxa x the geometric mean of the three qPCR replicates.

Methods:

``gutbalance-fit``
    :func:`gutbalance.simulate.fit.fit` (default kind ``logistic``), the model
    ``gutbalance fit`` learns, without its bootstrap ensemble; the forecast
    starts from ``FittedModel.start_estimate`` of the floored day-1 sample.
``persistence``
    the start held constant.
``cohort-mean``
    the training subjects' mean log10 trajectory (values floored at 1e5),
    interpolated onto the held-out days.
``elastic-net-glv``
    gLV by elastic-net gradient matching (``fit(kind="glv")``).
``loglinear``, ``cohort-mean-observed`` (with ``--methods``)
    the log-linear model with interactions; the training subjects' mean log10
    trajectory over observed values only (non-detections left out rather than
    floored: the same data the default model is fitted to).

Run::

    python benchmarks/bench_forecast.py
    python benchmarks/bench_forecast.py --data DIR --methods gutbalance-fit,cohort-mean,cohort-mean-observed

Fit times are wall-clock seconds on whatever machine runs it (measured here on
2 cores shared with other jobs, so pessimistic).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from gutbalance.simulate.fit import fit
from gutbalance.simulate.forecast import (
    START_FLOOR,
    cohort_mean_forecast,
    median_rmse,
    persistence_forecast,
    start_state,
)
from gutbalance.simulate.longitudinal import Longitudinal, mdsine2_dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from shared_data import shared_data  # noqa: E402  (GUTBALANCE_SHARED_DATA, else ../shared/data)

DEFAULT_DATA = shared_data() / "dynamics" / "mdsine2_gibson_healthy"
DEFAULT_METHODS = ("gutbalance-fit", "persistence", "cohort-mean", "elastic-net-glv")


def cohort_mean_observed(training: Longitudinal, times: np.ndarray) -> np.ndarray:
    """Mean log10 over the training subjects' observed values only, interpolated onto ``times``."""
    sums = np.zeros((len(times), len(training.taxa)))
    n = np.zeros_like(sums)
    for s in training.series.values():
        for i in range(len(training.taxa)):
            seen = s.observed[:, i]
            if seen.sum() < 2:
                continue
            sums[:, i] += np.interp(times, s.times[seen], np.log10(np.maximum(s.values[seen, i], START_FLOOR)))
            n[:, i] += 1
    return 10.0 ** np.where(n > 0, sums / np.maximum(n, 1), np.log10(START_FLOOR))


def forecast(method: str, training: Longitudinal, data: Longitudinal, subject: str) -> tuple[np.ndarray, float]:
    series = data.series[subject]
    started = time.perf_counter()
    if method == "persistence":
        return persistence_forecast(series), 0.0
    if method == "cohort-mean":
        return cohort_mean_forecast(training, series.times), time.perf_counter() - started
    if method == "cohort-mean-observed":
        return cohort_mean_observed(training, series.times), time.perf_counter() - started
    kind = {"gutbalance-fit": "logistic", "elastic-net-glv": "glv", "loglinear": "loglinear"}[method]
    model = fit(training, kind=kind, members=0)
    seconds = time.perf_counter() - started
    start = start_state(series)
    if method != "elastic-net-glv":  # the baseline as published starts from the floored sample itself
        start = model.start_estimate(start, series.times[0])
    pred, _ = model.simulate(start, series.times, data.schedule(subject))
    return pred, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="an MDSINE2-style folder [%(default)s]")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help="comma-separated: gutbalance-fit, persistence, cohort-mean, elastic-net-glv, loglinear, "
                             "cohort-mean-observed [%(default)s]")
    parser.add_argument("--subjects", default=None, help="comma-separated held-out subjects [every subject with perturbations]")
    args = parser.parse_args(argv)
    data = mdsine2_dataset(args.data)
    subjects = [s for s in data.subjects if data.schedule(s)]
    if args.subjects:
        wanted = args.subjects.split(",")
        unknown = sorted(set(wanted) - set(subjects))
        if unknown:
            parser.error(f"no subject {unknown[0]!r} with perturbations; there are: {', '.join(subjects)}")
        subjects = wanted
    print(f"# {args.data}: {len(data.taxa)} taxa, held-out subjects {', '.join(subjects)}", file=sys.stderr)
    print("method\tsubject\tmedian_rmse\tfit_seconds")
    summary: dict[str, list[float]] = {}
    for method in args.methods.split(","):
        for subject in subjects:
            training = data.subset([s for s in data.subjects if s != subject])
            pred, seconds = forecast(method, training, data, subject)
            if not np.all(np.isfinite(pred)):
                raise SystemExit(f"{method} produced non-finite values for subject {subject}")
            score = median_rmse(pred, data.series[subject])
            summary.setdefault(method, []).append(score)
            print(f"{method}\t{subject}\t{score:.3f}\t{seconds:.1f}", flush=True)
    for method, scores in summary.items():
        print(f"# {method}: median over subjects {np.median(scores):.3f} (range {min(scores):.3f}-{max(scores):.3f})",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
