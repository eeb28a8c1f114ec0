"""Learning community dynamics with perturbation effects from longitudinal profiles.

The fitted model, its file and its simulation are :mod:`gutbalance.simulate.model`
(which imports neither ``scipy.optimize`` nor scikit-learn); this module
fits one (:func:`fit`, ``gutbalance fit``).  Three model kinds, all of the form ``d ln x_i/dt = r_i + sum_j a_ij f_j(x_j) + sum_p e_ip u_p(t)``
with ``u_p(t) = 1`` while perturbation ``p`` is active and, in a second block
of effects, during its after-phase (``after_days``; by default as long as the
perturbation itself: washout of a drug, the gut's adaptation after a diet):

``logistic`` (default; generalized-logistic / theta-gLV per taxon, no interactions)
    ``f_i(x) = (x / scale)^theta_i``, ``a`` diagonal and negative: theta = 1 is
    the diagonal of a gLV, theta -> 0 Gompertz.  Per taxon, carrying capacity,
    growth rate, theta and the effects are fitted by **trajectory matching**
    (``scipy.optimize.least_squares`` on the exact solution: with
    ``z = x^-theta`` the equation is linear between perturbation edges),
    every training subject started from its own first sample, residuals
    of ``ln x`` taken **where the taxon was observed** (a non-detection is
    missing data, not an abundance of 0 or of the floor).  A taxon is held at
    or above 1/20 of the floor (a reservoir it can regrow from).
``loglinear`` (multivariate Gompertz / continuous-time MAR(1))
    ``f(x) = ln(x / scale)``: (1) per taxon, relaxation rate, capacity and
    effects by trajectory matching (all points, non-detections at the floor);
    (2) interactions by ridge regression of what (1) leaves unexplained in
    smoothed log growth rates on the other taxa's log deviations, shrunk until
    the spectral abscissa of ``A`` is at most ``-min_decay`` (stable by
    construction).  Exact solution through the eigendecomposition of ``A``.
``glv`` (generalized Lotka-Volterra, elastic net)
    ``f(x) = x / scale``, full ``A``: elastic-net **gradient matching**
    (scikit-learn ``ElasticNetCV`` per taxon, folds = subjects) of finite
    differences of ``ln x``, the baseline of the field (MDSINE2's comparison);
    the diagonal is forced negative.  Integrated with ``solve_ivp`` (LSODA),
    held between a tenth of the floor and ten times each taxon's largest
    observed value.

Uncertainty: a bootstrap ensemble (``members``) refits the model on subjects
drawn with replacement (with one subject, on random blocks of time points).
Process noise: the standard deviation of the one-interval residuals of
``ln x`` per ``sqrt(day)``.  A forecast from a sample taken on the training
subjects' first day starts from an empirical-Bayes estimate of the true start
(:meth:`FittedModel.start_estimate`): the sample shrunk towards the training
subjects' mean start by a weight chosen on the training subjects.
"""

from __future__ import annotations

import time as _time
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV
from sklearn.model_selection import LeaveOneGroupOut

from .._version import __version__
from ..errors import DataError, SimulationError
from .longitudinal import Longitudinal, Perturbation, SubjectSeries
from .model import (
    DEFAULT_FLOOR,
    KINDS,
    RESEED_BELOW_FLOOR,
    FittedModel,
    _has_after,
    _indicator,
    _logistic_step,
    _segments,
)

# --- fitting -----------------------------------------------------------------------


def _fit_logistic(data: Longitudinal, perts: list[str], floor: float, scale: float, *, effect_ridge: float = 1e-3,
                  max_theta: float = 3.0, observed_only: bool = True, after: float | None = 0.0,
                  init: tuple | None = None):
    """Per taxon ``(K, r, theta, e)`` of the generalized logistic by trajectory matching (least squares on the
    exact solution, every subject from its own first sample; residuals where the taxon was observed)."""
    subjects = list(data.series.values())
    logs = [_log_series(s, floor, scale) for s in subjects]
    signals = [_indicator(perts, data.schedule(s.subject), after) for s in subjects]
    d, p = len(data.taxa), len(perts) * (2 if _has_after(after) else 1)
    plans = _segment_plans(subjects, signals, p)
    y_lo = np.log(floor / scale) - np.log(RESEED_BELOW_FLOOR)
    growth, a_diag, thetas, effects = np.empty(d), np.empty(d), np.empty(d), np.zeros((d, p))
    for i in range(d):
        observed = [lg[:, i] for lg in logs]
        masks = [s.observed[1:, i] if observed_only else np.ones(len(s.times) - 1, bool) for s in subjects]

        def residuals(par, observed=observed, masks=masks):
            log_k, rate, theta, eff = par[0], np.exp(par[1]), par[2], par[3:]
            out = []
            for obs, plan, mask in zip(observed, plans, masks):
                pred = np.empty_like(obs)
                y = np.array([obs[0]])
                base = np.array([rate / theta])
                a = np.array([-(rate / theta) * np.exp(-theta * log_k)])
                for u, inside, ds in plan:
                    vals = np.maximum(_logistic_step(y, base + eff @ u, a, np.array([theta]), ds[:, None]), y_lo)
                    pred[inside] = vals[:-1, 0]
                    y = vals[-1]
                out.append(np.where(mask, pred[1:] - obs[1:], 0.0))
            return np.concatenate(out + [np.sqrt(effect_ridge) * eff])

        level = np.median(np.concatenate([ob[len(ob) // 4:] for ob in observed]))
        lo = np.concatenate([[y_lo, np.log(1e-3), 0.02], np.full(p, -50.0)])
        hi = np.concatenate([[np.log(1e13 / scale), np.log(20.0), max_theta], np.full(p, 50.0)])
        if init is None:
            guess = np.concatenate([[level, 0.0, 0.5], np.zeros(p)])
        else:  # a bootstrap member starts from the central fit: far fewer iterations
            g0, a0, e0, th0 = init[0][i], init[1][i, i], init[2][i], init[3][i]
            guess = np.concatenate([[-np.log(-a0 / g0) / th0, np.log(g0 * th0), th0], e0])
        start = np.clip(guess, lo + 1e-9, hi - 1e-9)
        sol = least_squares(residuals, start, bounds=(lo, hi), x_scale="jac", max_nfev=300)
        log_k, rate, theta = sol.x[0], np.exp(sol.x[1]), sol.x[2]
        growth[i] = rate / theta
        a_diag[i] = -(rate / theta) * np.exp(-theta * log_k)
        thetas[i] = theta
        effects[i] = sol.x[3:]
    return growth, np.diag(a_diag), effects, thetas


def _log_series(s: SubjectSeries, floor: float, scale: float) -> np.ndarray:
    return np.log(np.maximum(s.values, floor) / scale)


def _segment_plans(subjects: list[SubjectSeries], signals: list, p: int) -> list[list[tuple]]:
    """Per subject and segment of constant perturbations: the input ``u`` (length ``p``) that is on,
    the samples inside the segment, and their offsets from its start with the segment's length last."""
    plans = []
    for s, sig in zip(subjects, signals):
        plan = []
        for t0, t1 in _segments(s.times, sig):
            u = np.zeros(p)
            for start, end, vec in sig:
                if start <= 0.5 * (t0 + t1) < end:
                    u = u + vec
            inside = (s.times >= t0) & (s.times <= t1)
            plan.append((u, inside, np.append(s.times[inside] - t0, t1 - t0)))
        plans.append(plan)
    return plans


def _fit_diagonal(data: Longitudinal, perts: list[str], floor: float, scale: float, *, max_rate: float = 5.0,
                  effect_ridge: float = 1e-3, after: float | None = 0.0):
    """Step 1 of the log-linear fit: per taxon ``(K_i, lambda_i, e_ip)`` by trajectory matching."""
    subjects = list(data.series.values())
    logs = [_log_series(s, floor, scale) for s in subjects]
    signals = [_indicator(perts, data.schedule(s.subject), after) for s in subjects]
    d, p = len(data.taxa), len(perts) * (2 if _has_after(after) else 1)
    plans = _segment_plans(subjects, signals, p)

    growth = np.empty(d)
    decay = np.empty(d)
    effects = np.zeros((d, p))
    for i in range(d):
        observed = [lg[:, i] for lg in logs]

        def predict(theta, observed=observed):
            k, lam, eff = theta[0], np.exp(theta[1]), theta[2:]
            preds = []
            for obs, plan in zip(observed, plans):
                pred = np.empty_like(obs)
                y = obs[0]
                for u, inside, ds in plan:
                    y_star = k + (eff @ u) / lam
                    vals = y_star + (y - y_star) * np.exp(-lam * ds)
                    pred[inside] = vals[:-1]
                    y = vals[-1]
                preds.append(pred)
            return preds

        def residuals(theta, observed=observed):
            res = [pr[1:] - ob[1:] for pr, ob in zip(predict(theta), observed)]
            return np.concatenate(res + [np.sqrt(effect_ridge) * theta[2:]])

        level = np.median(np.concatenate([ob[len(ob) // 4:] for ob in observed]))
        theta0 = np.concatenate([[level, np.log(0.3)], np.zeros(p)])
        lo = np.concatenate([[np.log(floor / scale) - 5, np.log(1e-3)], np.full(p, -50.0)])
        hi = np.concatenate([[np.log(1e13 / scale), np.log(max_rate)], np.full(p, 50.0)])
        sol = least_squares(residuals, np.clip(theta0, lo + 1e-9, hi - 1e-9), bounds=(lo, hi), method="trf",
                            x_scale="jac", max_nfev=400)
        lam = np.exp(sol.x[1])
        decay[i] = lam
        growth[i] = lam * sol.x[0]
        effects[i] = sol.x[2:]
    return growth, decay, effects


def _smooth_derivative(times: np.ndarray, y: np.ndarray, window: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of a running-mean-smoothed log series, at the sample times."""
    if len(times) < 3:
        dy = np.diff(y, axis=0) / np.diff(times)[:, None]
        return np.vstack([dy, dy[-1:]]), y
    kernel = np.ones(window) / window
    padded = np.pad(y, ((window // 2, window // 2), (0, 0)), mode="edge")
    smooth = np.stack([np.convolve(padded[:, i], kernel, mode="valid") for i in range(y.shape[1])], axis=1)
    return np.gradient(smooth, times, axis=0), smooth


def _fit_loglinear(data: Longitudinal, perts: list[str], floor: float, scale: float, *, interaction_ridge: float,
                   min_decay: float, after: float | None = 0.0):
    growth, decay, effects = _fit_diagonal(data, perts, floor, scale, after=after)
    # relaxation no slower than min_decay (a taxon that barely relaxes in the fit keeps its capacity)
    capacity = growth / decay
    decay = np.maximum(decay, min_decay)
    growth = decay * capacity
    d = len(data.taxa)
    a = np.diag(-decay)
    if interaction_ridge > 0 and len(data.series) >= 1:
        # what the per-taxon dynamics leave unexplained, regressed on the other taxa's log deviations from capacity
        rows_x, rows_res = [], []
        capacity = growth / decay
        for s in data.series.values():
            y = _log_series(s, floor, scale)
            dy, smooth = _smooth_derivative(s.times, y)
            u = _u_matrix(s.times, perts, data.schedule(s.subject), after)
            own = growth - decay * smooth + u @ effects.T
            rows_res.append(dy - own)
            rows_x.append(smooth - capacity)
        x = np.vstack(rows_x)
        res = np.vstack(rows_res)
        # ridge on standardised deviations; one solve for every taxon (the same design)
        sd = x.std(axis=0) + 1e-9
        xs = x / sd
        gram = xs.T @ xs + interaction_ridge * len(xs) * np.eye(d)
        coef = np.linalg.solve(gram, xs.T @ res).T / sd[None, :]
        np.fill_diagonal(coef, 0.0)
        a = a + coef
        a = _stabilise(a, min_decay)
        # the equilibria of the coupled model must stay those of step 1 where every other taxon is at capacity
        growth = -a @ capacity
    return growth, a, effects


def _u_matrix(times: np.ndarray, perts: list[str], schedule: list[Perturbation], after: float | None = 0.0) -> np.ndarray:
    windows = _indicator(perts, [p for p in schedule if p.name in perts], after)
    u = np.zeros((len(times), 2 * len(perts) if _has_after(after) else len(perts)))
    for start, end, vec in windows:
        u += ((times >= start) & (times < end))[:, None] * vec
    return u


def _stabilise(a: np.ndarray, min_decay: float) -> np.ndarray:
    """Shrink the off-diagonal part until the spectral abscissa is at most ``-min_decay``."""
    diag = np.diag(np.diag(a))
    off = a - diag
    if np.max(np.diag(a)) > -min_decay:
        raise SimulationError(f"self-limitation must be at most -{min_decay:g} per day")
    factor = 1.0
    for _ in range(60):
        if np.max(np.linalg.eigvals(diag + factor * off).real) <= -min_decay:
            return diag + factor * off
        factor *= 0.8
    return diag


def _fit_glv(data: Longitudinal, perts: list[str], floor: float, scale: float, *, l1_ratio: float = 0.5,
             after: float | None = 0.0):
    """Elastic-net gradient matching of ``d ln x/dt`` on ``x/scale`` and perturbation indicators."""

    xs: list[np.ndarray] = []
    dys: list[np.ndarray] = []
    us: list[np.ndarray] = []
    group_ids: list[np.ndarray] = []
    for g, s in enumerate(data.series.values()):
        y = _log_series(s, floor, scale)
        dt = np.diff(s.times)
        dys.append(np.diff(y, axis=0) / dt[:, None])
        xs.append(np.exp(y[:-1]))
        mid = 0.5 * (s.times[:-1] + s.times[1:])
        us.append(_u_matrix(mid, perts, data.schedule(s.subject), after))
        group_ids.append(np.full(len(dt), g))
    features = np.hstack([np.vstack(xs), np.vstack(us)])
    target = np.vstack(dys)
    groups = np.concatenate(group_ids)
    sd = features.std(axis=0) + 1e-12
    d, p = len(data.taxa), len(perts) * (2 if _has_after(after) else 1)
    growth, a, e = np.zeros(d), np.zeros((d, d)), np.zeros((d, p))
    cv = list(LeaveOneGroupOut().split(features, groups=groups)) if len(np.unique(groups)) >= 2 else 3
    for i in range(d):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = ElasticNetCV(l1_ratio=l1_ratio, alphas=20, cv=cv, max_iter=5000, tol=1e-3)
            model.fit(features / sd, target[:, i])
        coef = model.coef_ / sd
        growth[i] = model.intercept_
        a[i] = coef[:d]
        e[i] = coef[d:]
        # self-limitation must be negative: a taxon with no fitted limit gets a weak one (its largest observed value halves its rate)
        if a[i, i] >= 0:
            top = max(np.max(xx[:, i]) for xx in xs)
            a[i, i] = -abs(growth[i]) / max(top, 1e-12) * 0.5 - 1e-6
    return growth, a, e


def _noise(model_kind, growth, a, effects, theta, data: Longitudinal, perts, floor, scale, after=0.0) -> np.ndarray:
    """Per taxon: sd of the one-interval residuals of ``ln x`` divided by sqrt(interval)."""
    res = []
    for s in data.series.values():
        y = _log_series(s, floor, scale)
        u = _u_matrix(0.5 * (s.times[:-1] + s.times[1:]), perts, data.schedule(s.subject), after)
        f = y[:-1] if model_kind == "loglinear" else np.exp(y[:-1] * (1.0 if theta is None else theta))
        rate = growth + f @ a.T + u @ effects.T
        dt = np.diff(s.times)[:, None]
        res.append((y[1:] - y[:-1] - rate * dt) / np.sqrt(dt))
    return np.std(np.vstack(res), axis=0)


#: weights of a sample's own start tried by _start_prior
START_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _start_prior(model: FittedModel, data: Longitudinal):
    """``(day, mean ln start, weight of a sample's own start)`` from the training subjects (FittedModel.start_estimate).

    The weight is chosen from :data:`START_WEIGHTS` by forecasting each
    training subject from its first sample shrunk towards the mean start of
    the *other* training subjects, scored like the benchmark (median over taxa
    of the RMSE of log10 abundance where observed).
    """
    firsts = [s.times[0] for s in data.series.values()]
    day = float(pd.Series(firsts).mode().iloc[0])
    same = [s for s in data.series.values() if s.times[0] == day]
    if len(same) < 2:
        return None, None, None
    starts = np.log(np.stack([np.maximum(s.values[0], model.floor) for s in same]))
    errors = []
    for w in START_WEIGHTS:
        scores = []
        for k, s in enumerate(same):
            others = np.delete(starts, k, axis=0).mean(axis=0)
            x0 = np.exp(others + w * (starts[k] - others))
            pred, _ = model.simulate(x0, s.times, data.schedule(s.subject))
            err = np.log10(pred[1:] + 1e3) - np.log10(s.values[1:] + 1e3)
            seen = s.observed[1:]
            n = seen.sum(axis=0)
            rmse = np.sqrt(np.where(seen, err**2, 0.0).sum(axis=0) / np.maximum(n, 1))
            scores.append(np.median(rmse[n > 0]))
        errors.append(np.mean(scores))
    weight = START_WEIGHTS[int(np.argmin(errors))]
    return day, starts.mean(axis=0), np.full(len(model.taxa), float(weight))


def _learned_columns(data: Longitudinal, perts: list[str], after: float | None) -> list[bool]:
    """Per effect column (each perturbation while on, then each after-phase): whether a subject's
    samples span a stretch of time in which it is on.  A column no training sample reaches keeps its
    zero start: not learned, and said so (:meth:`~.model.FittedModel.perturbation_effects`)."""
    subjects = list(data.series.values())
    p = len(perts) * (2 if _has_after(after) else 1)
    plans = _segment_plans(subjects, [_indicator(perts, data.schedule(s.subject), after) for s in subjects], p)
    on = np.zeros(p, dtype=bool)
    for plan in plans:
        for u, _, _ in plan:
            on |= u != 0
    return on.tolist()


def _fit_once(kind, data, perts, floor, scale, options, init=None):
    after = options["after_days"]
    if kind == "logistic":
        return _fit_logistic(data, perts, floor, scale, after=after, init=init)
    if kind == "loglinear":
        return (*_fit_loglinear(data, perts, floor, scale, interaction_ridge=options["interaction_ridge"],
                                min_decay=options["min_decay"], after=after), None)
    return (*_fit_glv(data, perts, floor, scale, l1_ratio=options["l1_ratio"], after=after), None)


def _resample(data: Longitudinal, rng: np.random.Generator) -> Longitudinal:
    subjects = data.subjects
    if len(subjects) >= 2:
        picks = rng.choice(len(subjects), size=len(subjects), replace=True)
        series, schedule = {}, []
        for k, idx in enumerate(picks):
            s = data.series[subjects[idx]]
            name = f"{s.subject}#{k}"
            series[name] = SubjectSeries(name, s.times, s.values, s.observed)
            schedule += [Perturbation(p.name, p.start, p.end, name) for p in data.schedule(s.subject)]
        return Longitudinal(data.taxa, series, schedule, data.units)
    # one subject: keep every other block of time points (blocks of 5), chosen at random
    s = data.series[subjects[0]]
    blocks = np.arange(len(s.times)) // 5
    keep = np.isin(blocks, rng.choice(np.unique(blocks), size=max(2, len(np.unique(blocks)) * 2 // 3), replace=False))
    keep[0] = True
    sub = SubjectSeries(s.subject, s.times[keep], s.values[keep], s.observed[keep])
    return Longitudinal(data.taxa, {s.subject: sub}, data.perturbations, data.units)


def fit(
    data: Longitudinal,
    *,
    kind: str = "logistic",
    members: int = 10,
    floor: float = DEFAULT_FLOOR,
    scale: float | None = None,
    interaction_ridge: float = 1.0,
    min_decay: float = 0.01,
    l1_ratio: float = 0.5,
    after_days: float | None = None,
    seed: int = 0,
) -> FittedModel:
    """Learn a dynamical model with perturbation effects from ``data`` (module docstring).

    Parameters
    ----------
    data
        Longitudinal profiles (:func:`~.longitudinal.from_cohort`, :func:`~.longitudinal.mdsine2_dataset`).
    kind
        ``"loglinear"`` or ``"glv"``.
    members
        Bootstrap ensemble size (0 = the central fit only).
    floor
        Values are floored here before taking logs (detection floor; data units).
    scale
        Abundance unit inside the model; default the median of the positive values.
    interaction_ridge
        Ridge penalty of the interactions of the log-linear model (0 = no interactions).
    min_decay
        The log-linear model's spectral abscissa is held at or below ``-min_decay`` (1/day).
    l1_ratio
        Elastic-net mixing of the gLV fit.
    seed
        Seed of the bootstrap.
    """
    if kind not in KINDS:
        raise SimulationError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
    if members < 0:
        raise SimulationError("members must be >= 0")
    if not data.series:
        raise DataError("no time series to fit")
    for s in data.series.values():
        if len(s.times) < 3:
            raise DataError(f"subject {s.subject!r} has {len(s.times)} time points; fitting dynamics needs >= 3")
    t_start = _time.perf_counter()
    positive = np.concatenate([s.values[s.values > 0] for s in data.series.values()])
    if positive.size == 0:
        raise DataError("every value is zero")
    if data.units == "relative abundance" and floor == DEFAULT_FLOOR:
        floor = 1e-5  # a relative table: floor at one read in 100,000
    scale = float(np.median(positive)) if scale is None else float(scale)
    perts = data.perturbation_names
    options = {"interaction_ridge": interaction_ridge, "min_decay": min_decay, "l1_ratio": l1_ratio,
               "after_days": after_days}
    growth, a, e, theta = _fit_once(kind, data, perts, floor, scale, options)
    rng = np.random.default_rng(seed)
    ens: dict[str, list[np.ndarray]] = {"growth": [], "interactions": [], "effects": [], "theta": []}
    for _ in range(members):
        g, aa, ee, th = _fit_once(kind, _resample(data, rng), perts, floor, scale, options,
                                  init=(growth, a, e, theta) if kind == "logistic" else None)
        ens["growth"].append(g)
        ens["interactions"].append(aa)
        ens["effects"].append(ee)
        ens["theta"].append(np.ones(len(g)) if th is None else th)
    stacked = {k: np.stack(v) for k, v in ens.items()} if members else {}
    noise = _noise(kind, growth, a, e, theta, data, perts, floor, scale, after_days)
    all_values = np.vstack([s.values for s in data.series.values()])
    model = FittedModel(
        kind=kind, taxa=list(data.taxa), perturbations=perts, growth=growth, interactions=a, effects=e, noise=noise,
        scale=scale, floor=floor, caps=all_values.max(axis=0), total_cap=float(all_values.sum(axis=1).max()),
        theta=theta, after_days=after_days)
    start_day, start_log_mean, start_weight = _start_prior(model, data)
    seconds = _time.perf_counter() - t_start
    # the data's first day, over every subject: the first subject read may start later (an outside check:
    # a profile file then started a day after the data's first samples, shifting the schedule by a day)
    first_day = min(float(s.times[0]) for s in data.series.values())
    return FittedModel(
        kind=kind, taxa=list(data.taxa), perturbations=perts, growth=growth, interactions=a, effects=e, noise=noise,
        scale=scale, floor=floor, caps=all_values.max(axis=0), total_cap=float(all_values.sum(axis=1).max()),
        members=stacked, theta=theta, after_days=after_days, start_day=start_day, start_log_mean=start_log_mean,
        start_weight=start_weight, units=data.units, lineages=list(data.lineages),
        training_schedule=list(data.perturbations),
        starts={(smp or f"{s.subject}@{t:g}"): (s.subject, float(t), s.values[k])
                for s in data.series.values() for k, (t, smp) in enumerate(zip(s.times, s.samples or [""] * len(s.times)))},
        provenance={
            **data.provenance, "subjects": data.subjects, "time_points": int(sum(len(s.times) for s in data.series.values())),
            "first_day": first_day, "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
            "gutbalance": __version__, "kind": kind, "members": members, "floor": floor, "scale": scale,
            "interaction_ridge": interaction_ridge, "min_decay": min_decay, "l1_ratio": l1_ratio, "seed": seed,
            "after_days": after_days, "effects_learned": _learned_columns(data, perts, after_days),
            "fit_seconds": round(seconds, 2),
        },
    )
