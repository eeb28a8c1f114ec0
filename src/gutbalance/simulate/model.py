"""A fitted dynamical model of a community: its parameters, its file, and how it is simulated.

``d ln x_i/dt = r_i + sum_j a_ij f_j(x_j) + sum_p e_ip u_p(t)``, with
``u_p(t) = 1`` while perturbation ``p`` is active and, in a second block of
effects, during its after-phase (``after_days``).  Three kinds (how each is
fitted: :mod:`gutbalance.simulate.fit`):

``logistic``
    ``f_i(x) = (x / scale)^theta_i``, ``A`` diagonal: solved exactly between
    perturbation edges (with ``z = x^-theta`` the equation is linear); a taxon
    is held at or above 1/20 of the floor (:attr:`FittedModel.reseed_log`).
``loglinear``
    ``f(x) = ln(x / scale)``: solved exactly through the eigendecomposition of ``A``.
``glv``
    ``f(x) = x / scale``, full ``A``: integrated with ``solve_ivp`` (LSODA),
    held between a tenth of the floor and ten times each taxon's largest
    observed value.

This module is what simulating, forecasting and loading a model need
(NumPy and pandas; ``scipy.integrate`` for a gLV, in :mod:`.glv_ode`,
imported when one is first simulated); fitting (:mod:`.fit`) adds
``scipy.optimize`` and scikit-learn, which take about 0.7 s of CPU to
import, so :mod:`gutbalance.simulate` imports this module and not the
fitting code.  Outputs of :meth:`FittedModel.simulate` are kept within the
observed range: every value between ``floor`` and the taxon's largest
observed value, the total at or below the largest observed total load.  The
clamp acts on outputs and is counted (``clamped``), so it never hides.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_atomic
from ..errors import FormatError, SimulationError
from ..lazy import lazy
from .longitudinal import Perturbation

#: Only a gLV model needs a numerical ODE solver; scipy.integrate (about 0.2 s
#: of CPU to import) is loaded the first time one is simulated (glv_ode.py).
solve_glv = lazy("gutbalance.simulate.glv_ode:solve_glv")

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

    def simulate(
        self,
        x0: np.ndarray,
        times: np.ndarray,
        schedule: Sequence[Perturbation] = (),
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
            y = _logistic_solve(r, np.diag(a), self._theta(member), e, y0, times, signals, self.reseed_log)
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
        # held between a tenth of the floor and ten times the largest observed value (see glv_ode.solve_glv)
        y_hi = np.log(np.maximum(self.caps, self.floor) / self.scale) + np.log(10.0)
        y_lo = float(np.log(self.floor / self.scale) - np.log(10.0))
        return solve_glv(r, a, e, y0, times, signals, y_lo, y_hi)

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
        return (r / -np.diag(a)) ** (1.0 / self._theta(member)) * self.scale

    def _theta(self, member: int | None) -> np.ndarray:
        """The logistic shape exponents of the central fit, or of bootstrap member ``member`` when it has its own."""
        if member is not None and "theta" in self.members:
            return self.members["theta"][member]
        assert self.theta is not None  # __post_init__ sets it (ones unless given)
        return self.theta

    def ensemble(self, x0: np.ndarray, times: np.ndarray, schedule: Sequence[Perturbation] = ()) -> np.ndarray:
        """``(members, len(times), taxa)``: every bootstrap member from the same start."""
        if not self.n_members:
            raise SimulationError("this model has no ensemble (fit with members > 0)")
        return np.stack([self.simulate(x0, times, schedule, member=m)[0] for m in range(self.n_members)])

    def perturbation_effects(self) -> pd.DataFrame:
        """Per taxon and perturbation: the central effect (1/day on ``d ln x/dt``) and its ensemble spread.

        Columns ``taxon``, ``lineage``, ``perturbation``, ``phase`` (``"during"``,
        or ``"after"`` for the after-phase of ``after_days``), ``effect``, ``sd``,
        ``p05``, ``p95`` (NaN spread without an ensemble), ``learned``.

        A phase no training sample reached (an after-phase beyond the last
        sample) was not learned: its forecasts use no effect, and its row
        is ``learned`` False with every number missing, not a certain zero
        (an outside check).  Models fitted before 2026-11-30 do not record
        it: ``learned`` is missing.
        """
        rows = []
        ens = self.members.get("effects") if self.members else None
        n = len(self.perturbations)
        learned = self.provenance.get("effects_learned")
        for col in range(self.effects.shape[1]):
            name, phase = self.perturbations[col % n], ("during" if col < n else "after")
            known = bool(learned[col]) if learned is not None else None
            for i, taxon in enumerate(self.taxa):
                spread = ens[:, i, col] if ens is not None and known is not False else None
                rows.append({
                    "taxon": taxon, "lineage": self.lineages[i] if self.lineages else "", "perturbation": name,
                    "phase": phase, "effect": float(self.effects[i, col]) if known is not False else np.nan,
                    "sd": float(np.std(spread)) if spread is not None else np.nan,
                    "p05": float(np.quantile(spread, 0.05)) if spread is not None else np.nan,
                    "p95": float(np.quantile(spread, 0.95)) if spread is not None else np.nan,
                    "learned": known,
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
                  "noise": self.noise, "caps": self.caps, "theta": self._theta(None), "meta": np.array(json.dumps(meta))}
        for key, value in self.members.items():
            arrays[f"member_{key}"] = value
        if self.start_weight is not None and self.start_log_mean is not None:  # set together by the fit
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
        except OSError as exc:
            raise FormatError(f"not a gutbalance model file ({exc})", path=path) from None
        except ValueError:
            # numpy's own text advised allow_pickle=True for a text file (an outside check): never for a model
            raise FormatError("not a gutbalance model file: not a NumPy .npz archive, as gutbalance fit writes",
                              path=path) from None
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
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub lets **kwds reach allow_pickle: bool


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


def _piecewise_solve(y0, times, signals, size: int, segment) -> np.ndarray:
    """The state at ``times`` of an ODE whose perturbation ``u`` is constant
    between signal edges: ``segment(y, u, ds)`` gives the exact states at
    offsets ``ds`` from a segment's start, the last offset its end."""
    out = np.empty((len(times), len(y0)))
    y = y0.astype(np.float64)
    if len(times) == 1:
        out[0] = y
        return out
    for t0, t1 in _segments(times, signals):
        u = _active_signal(signals, t0, t1, size)
        inside = (times >= t0) & (times <= t1)
        vals = segment(y, u, np.append(times[inside] - t0, t1 - t0))
        out[inside] = vals[:-1]
        y = vals[-1]
    return out


def _loglinear_solve(r, a, e, y0, times, signals) -> np.ndarray:
    """``y' = r + A y + E u(t)`` with piecewise-constant ``u``: exact, through the eigendecomposition of ``A``."""
    diagonal = not np.any(a - np.diag(np.diag(a)))
    if diagonal:
        lam = np.diag(a)
    else:
        lam, vecs = np.linalg.eig(a)
        inv = np.linalg.inv(vecs)

    def segment(y, u, ds):
        forcing = r + e @ u
        if diagonal:
            y_star = -forcing / lam
            return y_star + (y - y_star) * np.exp(np.outer(ds, lam))
        y_star = -np.linalg.solve(a, forcing)
        z = inv @ (y - y_star)
        return (y_star + (np.exp(np.outer(ds, lam)) * z) @ vecs.T).real

    return _piecewise_solve(y0, times, signals, e.shape[1], segment)


def _logistic_solve(r, a_diag, theta, e, y0, times, signals, y_lo: float = -np.inf) -> np.ndarray:
    """Per taxon ``y' = r + a exp(theta y) + e.u`` (``a < 0``) with piecewise-constant ``u``: exact.

    With ``z = exp(-theta y)``, ``z' = -theta (r + e.u) z - theta a`` is linear,
    so each segment is ``z(s) = z0 exp(-k s) - theta a s phi(k s)``, ``k = theta (r + e.u)``,
    ``phi(v) = (1 - exp(-v)) / v``.
    """

    def segment(y, u, ds):
        return np.maximum(_logistic_step(y, r + e @ u, a_diag, theta, ds[:, None]), y_lo)

    return _piecewise_solve(y0, times, signals, e.shape[1], segment)


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


# --- perturbation windows -------------------------------------------------------


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
