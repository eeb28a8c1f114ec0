"""Learning community dynamics with perturbation effects from longitudinal profiles.

Three model kinds, all of the form ``d ln x_i/dt = r_i + sum_j a_ij f_j(x_j) + sum_p e_ip u_p(t)``
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

Outputs of :meth:`FittedModel.simulate` are kept within the observed range:
every value between ``floor`` and the taxon's largest observed value, the
total at or below the largest observed total load.  The clamp acts on outputs
and is counted (``clamped``), so it never hides.
"""

from __future__ import annotations

import json
import time as _time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV
from sklearn.model_selection import LeaveOneGroupOut

from .._version import __version__
from ..atomic import write_atomic
from ..errors import DataError, FormatError, SimulationError
from .longitudinal import Longitudinal, Perturbation, SubjectSeries

KINDS = ("logistic", "loglinear", "glv")
#: Values are floored here before taking logs when fitting (MDSINE2 floors starts at 1e5 16S copies/g).
DEFAULT_FLOOR = 1e5
MODEL_FORMAT = "gutbalance-dynamics-1"
#: A logistic model holds every taxon at or above floor / RESEED_BELOW_FLOOR (see FittedModel.reseed_log).
RESEED_BELOW_FLOOR = 20.0


# --- the model -----------------------------------------------------------------


@dataclass
class FittedModel:
    """A fitted dynamical model: taxa, rates, interactions, perturbation effects, noise and ensemble.

    Attributes
    ----------
    kind
        ``"loglinear"`` or ``"glv"`` (module docstring).
    taxa
        Names in state order.
    perturbations
        Perturbation names, in the column order of ``effects``.
    growth
        ``r`` (1/day).
    interactions
        ``A`` (``A[i, j]`` = effect of taxon j on the per-capita growth of i).
    effects
        ``E`` (taxa x perturbations; added to ``d ln x/dt`` while active, 1/day).
    noise
        Process noise per taxon (sd of ``ln x`` per sqrt(day)).
    scale
        Abundance unit inside the model.
    floor, caps, total_cap
        The observed range outputs are held in (see :meth:`simulate`).
    members
        The bootstrap ensemble: ``{"growth": (m, d), "interactions": (m, d, d), "effects": (m, d, P)}``.
    """

    kind: str
    taxa: list[str]
    perturbations: list[str]
    growth: np.ndarray
    interactions: np.ndarray
    effects: np.ndarray
    noise: np.ndarray
    scale: float
    floor: float
    caps: np.ndarray
    total_cap: float
    members: dict[str, np.ndarray] = field(default_factory=dict)
    theta: np.ndarray | None = None
    after_days: float | None = 0.0
    #: the training subjects' mean ``ln`` start at ``start_day`` and the weight of a sample's own start (start_estimate)
    start_day: float | None = None
    start_log_mean: np.ndarray | None = None
    start_weight: np.ndarray | None = None
    units: str = ""
    lineages: list[str] = field(default_factory=list)
    training_schedule: list[Perturbation] = field(default_factory=list)
    #: every training sample: ``{sample: (subject, day, values)}``, so a forecast can start from any of them
    starts: dict[str, tuple[str, float, np.ndarray]] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SimulationError(f"unknown model kind {self.kind!r}; known: {', '.join(KINDS)}")
        d, p = len(self.taxa), len(self.perturbations)
        self.growth = np.asarray(self.growth, dtype=np.float64)
        self.interactions = np.asarray(self.interactions, dtype=np.float64)
        self.effects = np.asarray(self.effects, dtype=np.float64).reshape(d, 2 * p if _has_after(self.after_days) else p)
        self.noise = np.asarray(self.noise, dtype=np.float64)
        self.caps = np.asarray(self.caps, dtype=np.float64)
        self.theta = np.ones(d) if self.theta is None else np.asarray(self.theta, dtype=np.float64)
        if self.kind == "logistic" and np.any(self.interactions - np.diag(np.diag(self.interactions))):
            raise SimulationError("a logistic model has no interactions between taxa (diagonal A only)")
        if self.growth.shape != (d,) or self.interactions.shape != (d, d) or self.caps.shape != (d,):
            raise SimulationError("a model needs one growth rate and cap per taxon and a taxa x taxa interaction matrix")

    @property
    def reseed_log(self) -> float:
        """``ln`` of the level (in model units) a logistic model holds a taxon at, at least: 1/20 of the floor.

        A taxon pushed below detection by an antibiotic is kept at a small
        reservoir from which it can regrow (mice re-seed from the cage and each
        other, people from food and contacts); fits and forecasts use the same
        level, so the dynamics learned are the dynamics simulated.
        """
        return float(np.log(self.floor / self.scale) - np.log(RESEED_BELOW_FLOOR))

    @property
    def n_members(self) -> int:
        """Number of taxa with a growth rate in the model (0 for a model without members)."""
        return int(self.members["growth"].shape[0]) if self.members else 0

    # --- dynamics ---

    def _signals(self, schedule: list[Perturbation]) -> list[tuple[float, float, np.ndarray]]:
        unknown = sorted({p.name for p in schedule} - set(self.perturbations))
        if unknown:
            raise SimulationError(f"the model has no effect for perturbation {unknown[0]!r}; "
                                  f"it learned: {', '.join(self.perturbations) or 'none'}")
        longest: dict[str, float] = {}
        for p in self.training_schedule:
            longest[p.name] = max(longest.get(p.name, 0.0), p.end - p.start)
        return _indicator(self.perturbations, list(schedule), self.after_days, longest)

    def _u(self, t: float, signals) -> np.ndarray:
        u = np.zeros(self.effects.shape[1])
        for start, end, vec in signals:
            if start <= t < end:
                u = u + vec
        return u

    def simulate(
        self,
        x0: np.ndarray,
        times: np.ndarray,
        schedule: list[Perturbation] = (),
        *,
        member: int | None = None,
        clamp: bool = True,
    ) -> tuple[np.ndarray, int]:
        """Integrate from ``x0`` at ``times[0]`` through ``schedule``; values at ``times``.

        Returns ``(x, clamped)``: ``x`` is ``(len(times), taxa)`` in the data's
        units, ``clamped`` the number of values the observed-range clamp changed
        (0 for a model that stays in range by itself).
        """
        times = np.asarray(times, dtype=np.float64)
        x0 = np.asarray(x0, dtype=np.float64)
        if x0.shape != (len(self.taxa),):
            raise SimulationError(f"the start needs one value per taxon of the model ({len(self.taxa)})")
        if not np.all(np.isfinite(x0)) or np.any(x0 < 0):
            raise SimulationError("the start must be finite and non-negative")
        if np.any(np.diff(times) < 0):
            raise SimulationError("times must be increasing")
        r, a, e = self.parameters(member)
        signals = self._signals(list(schedule))
        y0 = np.log(np.maximum(x0, self.floor) / self.scale)
        if self.kind == "loglinear":
            y = _loglinear_solve(r, a, e, y0, times, signals)
        elif self.kind == "logistic":
            theta = self.theta if member is None or "theta" not in self.members else self.members["theta"][member]
            y = _logistic_solve(r, np.diag(a), theta, e, y0, times, signals, self.reseed_log)
        else:
            y = self._glv_solve(r, a, e, y0, times, signals)
        x = np.exp(np.clip(y, -700, 700)) * self.scale
        if not clamp:
            return x, 0
        return self._clamp(x)

    def _clamp(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        held = np.clip(x, self.floor, np.maximum(self.caps, self.floor))
        clamped = int(np.sum(held != x))
        total = held.sum(axis=1, keepdims=True)
        over = total > self.total_cap
        if np.any(over):
            held = np.where(over, held * (self.total_cap / total), held)
            clamped += int(over.sum())
        return held, clamped

    def _glv_solve(self, r, a, e, y0, times, signals) -> np.ndarray:
        edges = sorted({float(times[0]), float(times[-1])} | {b for s in signals for b in s[:2] if times[0] < b < times[-1]})
        y_hi = np.log(np.maximum(self.caps, self.floor) / self.scale) + np.log(10.0)
        y_lo = np.log(self.floor / self.scale) - np.log(10.0)
        out = np.empty((len(times), len(y0)))
        y = y0.copy()
        for t0, t1 in zip(edges[:-1], edges[1:]):
            rate0 = r + e @ self._u(0.5 * (t0 + t1), signals)

            def rhs(_t, yy, rate0=rate0):
                # held between a tenth of the floor and ten times the largest observed value: a gLV fitted by
                # gradient matching can have unstable directions, and this keeps what-ifs finite (documented)
                yy = np.clip(yy, y_lo, y_hi)
                d = rate0 + a @ np.exp(yy)
                return np.where(((yy >= y_hi) & (d > 0)) | ((yy <= y_lo) & (d < 0)), 0.0, d)

            inside = (times >= t0) & (times <= t1)
            sol = solve_ivp(rhs, (t0, t1), y, method="LSODA", t_eval=times[inside], rtol=1e-5, atol=1e-6)
            if not sol.success:
                raise SimulationError(f"the gLV integration failed between days {t0:g} and {t1:g}: {sol.message}")
            out[inside] = np.clip(sol.y.T, y_lo, y_hi)
            y = np.clip(sol.y[:, -1], y_lo, y_hi)
        return out

    def parameters(self, member: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(growth, interactions, effects)`` of the central fit or of ensemble member ``member``."""
        if member is None:
            return self.growth, self.interactions, self.effects
        if not 0 <= member < self.n_members:
            raise SimulationError(f"no ensemble member {member}; the model has {self.n_members}")
        return self.members["growth"][member], self.members["interactions"][member], self.members["effects"][member]

    def start_estimate(self, x0: np.ndarray, day: float) -> np.ndarray:
        """The start a forecast uses for a sample ``x0`` taken on ``day``.

        A single sample is a noisy measurement of the state.  At the training
        subjects' first day the forecast starts from ``exp(m + w (ln x0 - m))``:
        ``m`` the training subjects' mean ``ln`` start, ``w`` the weight of the
        sample that forecast the training subjects best when each was started
        from its own sample shrunk towards the others' mean (``_start_prior``).
        On other days, and for models without this information, ``x0`` is
        used as it is (floored).
        """
        x0 = np.maximum(np.asarray(x0, dtype=np.float64), self.floor)
        if self.start_day is None or self.start_weight is None or abs(day - self.start_day) > 0.25:
            return x0
        return np.exp(self.start_log_mean + self.start_weight * (np.log(x0) - self.start_log_mean))

    def schedule_of(self, subject: str) -> list[Perturbation]:
        """The perturbations training subject ``subject`` received."""
        return [p for p in self.training_schedule if p.subject is None or p.subject == subject]

    def capacities(self, member: int | None = None) -> np.ndarray:
        """Carrying capacity of each taxon alone and unperturbed (data units; logistic and log-linear kinds)."""
        r, a, _ = self.parameters(member)
        if self.kind == "loglinear":
            return np.exp(-r / np.diag(a)) * self.scale
        theta = self.theta if member is None or "theta" not in self.members else self.members["theta"][member]
        return (r / -np.diag(a)) ** (1.0 / theta) * self.scale

    def ensemble(self, x0: np.ndarray, times: np.ndarray, schedule: list[Perturbation] = ()) -> np.ndarray:
        """``(members, len(times), taxa)``: every bootstrap member from the same start."""
        if not self.n_members:
            raise SimulationError("this model has no ensemble (fit with members > 0)")
        return np.stack([self.simulate(x0, times, schedule, member=m)[0] for m in range(self.n_members)])

    def perturbation_effects(self) -> pd.DataFrame:
        """Per taxon and perturbation: the central effect (1/day on ``d ln x/dt``) and its ensemble spread.

        Columns ``taxon``, ``lineage``, ``perturbation``, ``phase`` (``"during"``,
        or ``"after"`` for the after-phase of ``after_days``), ``effect``, ``sd``,
        ``p05``, ``p95`` (NaN spread without an ensemble).
        """
        rows = []
        ens = self.members.get("effects") if self.members else None
        n = len(self.perturbations)
        for col in range(self.effects.shape[1]):
            name, phase = self.perturbations[col % n], ("during" if col < n else "after")
            for i, taxon in enumerate(self.taxa):
                spread = ens[:, i, col] if ens is not None else None
                rows.append({
                    "taxon": taxon, "lineage": self.lineages[i] if self.lineages else "", "perturbation": name,
                    "phase": phase, "effect": float(self.effects[i, col]),
                    "sd": float(np.std(spread)) if spread is not None else np.nan,
                    "p05": float(np.quantile(spread, 0.05)) if spread is not None else np.nan,
                    "p95": float(np.quantile(spread, 0.95)) if spread is not None else np.nan,
                })
        return pd.DataFrame(rows)

    def spectral_abscissa(self) -> float:
        """Largest real part of the eigenvalues of ``A`` (loglinear: < 0 means stable)."""
        return float(np.max(np.linalg.eigvals(self.interactions).real))

    # --- files ---

    def save(self, path: str | PathLike[str]) -> Path:
        """One ``.npz``: the arrays and a JSON document (``meta``) with names, schedule and provenance."""
        meta = {
            "format": MODEL_FORMAT, "kind": self.kind, "taxa": self.taxa, "lineages": self.lineages,
            "perturbations": self.perturbations, "after_days": self.after_days, "scale": self.scale, "floor": self.floor, "total_cap": self.total_cap,
            "units": self.units,
            "training_schedule": [[p.name, p.start, p.end, p.subject] for p in self.training_schedule],
            "starts": [[k, v[0], v[1]] for k, v in self.starts.items()], "provenance": self.provenance,
            "start_day": self.start_day,
        }
        arrays = {"growth": self.growth, "interactions": self.interactions, "effects": self.effects,
                  "noise": self.noise, "caps": self.caps, "theta": self.theta, "meta": np.array(json.dumps(meta))}
        for key, value in self.members.items():
            arrays[f"member_{key}"] = value
        if self.start_weight is not None:
            arrays["start_log_mean"] = self.start_log_mean
            arrays["start_weight"] = self.start_weight
        if self.starts:
            arrays["start_values"] = np.stack([v[2] for v in self.starts.values()])
        return write_atomic(path, lambda tmp: _savez(tmp, arrays), suffix=".npz")

    @classmethod
    def load(cls, path: str | PathLike[str]) -> FittedModel:
        """Read a model written by :meth:`save` (``gutbalance fit``)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise FormatError(f"not a gutbalance model file ({exc})", path=path) from None
        try:
            meta = json.loads(str(arrays.pop("meta")))
        except (KeyError, ValueError):
            raise FormatError("not a gutbalance model file (no meta document)", path=path) from None
        if meta.get("format") != MODEL_FORMAT:
            raise FormatError(f"model format {meta.get('format')!r} is not {MODEL_FORMAT!r}", path=path)
        members = {k.removeprefix("member_"): v for k, v in arrays.items() if k.startswith("member_")}
        starts = {name: (subject, day, arrays["start_values"][k]) for k, (name, subject, day) in enumerate(meta["starts"])}
        return cls(
            kind=meta["kind"], taxa=meta["taxa"], perturbations=meta["perturbations"], growth=arrays["growth"],
            interactions=arrays["interactions"], effects=arrays["effects"], noise=arrays["noise"], scale=meta["scale"],
            floor=meta["floor"], caps=arrays["caps"], theta=arrays.get("theta"), after_days=meta.get("after_days"), start_day=meta.get("start_day"),
            start_log_mean=arrays.get("start_log_mean"), start_weight=arrays.get("start_weight"), total_cap=meta["total_cap"], members=members, units=meta["units"],
            lineages=meta["lineages"], training_schedule=[Perturbation(*p) for p in meta["training_schedule"]],
            starts=starts, provenance=meta["provenance"],
        )


def _savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    # through a file object: given a name, numpy would append ".npz" to it
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def load_model(path: str | PathLike[str]) -> FittedModel:
    """Read a model file written by ``gutbalance fit`` / :meth:`FittedModel.save`."""
    return FittedModel.load(path)


# --- the exact solution of the log-linear model -----------------------------------


def _segments(times: np.ndarray, signals) -> list[tuple[float, float]]:
    edges = sorted({float(times[0]), float(times[-1])} | {b for s in signals for b in s[:2] if times[0] < b < times[-1]})
    return list(zip(edges[:-1], edges[1:]))


def _active_signal(signals, t0: float, t1: float, size: int) -> np.ndarray:
    """The perturbation signal ``u`` on the segment ``[t0, t1]``: the sum of
    the signals active at its midpoint (segments never straddle an edge)."""
    u = np.zeros(size)
    for start, end, vec in signals:
        if start <= 0.5 * (t0 + t1) < end:
            u = u + vec
    return u


def _loglinear_solve(r, a, e, y0, times, signals) -> np.ndarray:
    """``y' = r + A y + E u(t)`` with piecewise-constant ``u``: exact, through the eigendecomposition of ``A``."""
    diagonal = not np.any(a - np.diag(np.diag(a)))
    if diagonal:
        lam = np.diag(a)
    else:
        lam, vecs = np.linalg.eig(a)
        inv = np.linalg.inv(vecs)
    out = np.empty((len(times), len(y0)))
    y = y0.astype(np.float64)
    if len(times) == 1:
        out[0] = y
        return out
    for t0, t1 in _segments(times, signals):
        u = _active_signal(signals, t0, t1, e.shape[1])
        forcing = r + e @ u
        inside = (times >= t0) & (times <= t1)
        ds = np.append(times[inside] - t0, t1 - t0)
        if diagonal:
            y_star = -forcing / lam
            vals = y_star + (y - y_star) * np.exp(np.outer(ds, lam))
        else:
            y_star = -np.linalg.solve(a, forcing)
            z = inv @ (y - y_star)
            vals = (y_star + (np.exp(np.outer(ds, lam)) * z) @ vecs.T).real
        out[inside] = vals[:-1]
        y = vals[-1]
    return out


def _logistic_solve(r, a_diag, theta, e, y0, times, signals, y_lo: float = -np.inf) -> np.ndarray:
    """Per taxon ``y' = r + a exp(theta y) + e.u`` (``a < 0``) with piecewise-constant ``u``: exact.

    With ``z = exp(-theta y)``, ``z' = -theta (r + e.u) z - theta a`` is linear,
    so each segment is ``z(s) = z0 exp(-k s) - theta a s phi(k s)``, ``k = theta (r + e.u)``,
    ``phi(v) = (1 - exp(-v)) / v``.
    """
    out = np.empty((len(times), len(y0)))
    y = y0.astype(np.float64)
    if len(times) == 1:
        out[0] = y
        return out
    for t0, t1 in _segments(times, signals):
        u = _active_signal(signals, t0, t1, e.shape[1])
        inside = (times >= t0) & (times <= t1)
        ds = np.append(times[inside] - t0, t1 - t0)[:, None]
        vals = np.maximum(_logistic_step(y, r + e @ u, a_diag, theta, ds), y_lo)
        out[inside] = vals[:-1]
        y = vals[-1]
    return out


def _logistic_step(y0, rate, a_diag, theta, ds):
    k = theta * rate
    v = k * ds
    small = np.abs(v) < 1e-8
    phi = np.where(small, 1.0, -np.expm1(-np.where(small, 1.0, v)) / np.where(small, 1.0, v))
    # log z, computed without overflow: z = z0 e^{-v} + b s phi(v), b = -theta a > 0
    log_z0 = -theta * y0
    term1 = log_z0 - v
    term2 = np.log(np.maximum(-theta * a_diag * ds * phi, 1e-300))
    log_z = np.logaddexp(term1, term2)
    return -log_z / theta


def _fit_logistic(data: Longitudinal, perts: list[str], floor: float, scale: float, *, effect_ridge: float = 1e-3,
                  max_theta: float = 3.0, observed_only: bool = True, after: float | None = 0.0,
                  init: tuple | None = None):
    """Per taxon ``(K, r, theta, e)`` of the generalized logistic by trajectory matching (least squares on the
    exact solution, every subject from its own first sample; residuals where the taxon was observed)."""
    subjects = list(data.series.values())
    logs = [_log_series(s, floor, scale) for s in subjects]
    signals = [_indicator(perts, data.schedule(s.subject), after) for s in subjects]
    d, p = len(data.taxa), len(perts) * (2 if _has_after(after) else 1)
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


# --- fitting -----------------------------------------------------------------------


def _log_series(s: SubjectSeries, floor: float, scale: float) -> np.ndarray:
    return np.log(np.maximum(s.values, floor) / scale)


def _has_after(after: float | None) -> bool:
    return after is None or after > 0


def _indicator(model_perts: list[str], schedule: list[Perturbation], after: float | None = 0.0,
               longest: dict[str, float] | None = None):
    """Windows ``(start, end, column vector)``: each perturbation while active and its after-phase
    ``[end, end + after)`` (``after=None``: as long as the perturbation was, but no longer than ``longest[name]``,
    the longest window the effect was learned from; 0: none) in a second block of columns."""
    n = len(model_perts)
    width = 2 * n if _has_after(after) else n
    out = []
    for p in schedule:
        k = model_perts.index(p.name)
        vec = np.zeros(width)
        vec[k] = 1.0
        out.append((p.start, p.end, vec))
        if _has_after(after):
            vec = np.zeros(width)
            vec[n + k] = 1.0
            length = min(p.end - p.start, (longest or {}).get(p.name, np.inf)) if after is None else after
            out.append((p.end, p.end + length, vec))
    return out


def _fit_diagonal(data: Longitudinal, perts: list[str], floor: float, scale: float, *, max_rate: float = 5.0,
                  effect_ridge: float = 1e-3, after: float | None = 0.0):
    """Step 1 of the log-linear fit: per taxon ``(K_i, lambda_i, e_ip)`` by trajectory matching."""
    subjects = list(data.series.values())
    logs = [_log_series(s, floor, scale) for s in subjects]
    signals = [_indicator(perts, data.schedule(s.subject), after) for s in subjects]
    d, p = len(data.taxa), len(perts) * (2 if _has_after(after) else 1)
    # per subject and segment: which perturbations are on, and the offsets of each sample from the segment start
    plans = []
    for s, sig in zip(subjects, signals):
        segs = _segments(s.times, sig)
        plan = []
        for t0, t1 in segs:
            u = np.zeros(p)
            for start, end, vec in sig:
                if start <= 0.5 * (t0 + t1) < end:
                    u = u + vec
            inside = (s.times >= t0) & (s.times <= t1)
            plan.append((u, inside, np.append(s.times[inside] - t0, t1 - t0)))
        plans.append(plan)

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

    xs, dys, us, groups = [], [], [], []
    for g, s in enumerate(data.series.values()):
        y = _log_series(s, floor, scale)
        dt = np.diff(s.times)
        dys.append(np.diff(y, axis=0) / dt[:, None])
        xs.append(np.exp(y[:-1]))
        mid = 0.5 * (s.times[:-1] + s.times[1:])
        us.append(_u_matrix(mid, perts, data.schedule(s.subject), after))
        groups.append(np.full(len(dt), g))
    features = np.hstack([np.vstack(xs), np.vstack(us)])
    target = np.vstack(dys)
    groups = np.concatenate(groups)
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
    ens = {"growth": [], "interactions": [], "effects": [], "theta": []}
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
    first = next(iter(data.series.values()))
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
            "first_day": float(first.times[0]), "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
            "gutbalance": __version__, "kind": kind, "members": members, "floor": floor, "scale": scale,
            "interaction_ridge": interaction_ridge, "min_decay": min_decay, "l1_ratio": l1_ratio, "seed": seed,
            "after_days": after_days,
            "fit_seconds": round(seconds, 2),
        },
    )
