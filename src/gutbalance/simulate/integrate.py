"""A vectorised, adaptive ODE integrator for many virtual people at once.

The state of every model in :mod:`gutbalance.simulate` is positive (microbial
densities, butyrate, barrier integrity, immune activity), so it is integrated
as ``y = log(state)``:

* positivity is exact: ``exp(y) > 0`` whatever the step does, so no clipping of
  negative densities is ever needed;
* an *absolute* tolerance on ``y`` is a *relative* tolerance on the state, so a
  pathogen inoculated at 1e-10 is followed as accurately as a dominant taxon
  (in linear space it would be below any sensible absolute tolerance);
* the fast self-limitation of generalized Lotka-Volterra (gLV) taxa becomes a
  smooth relaxation of ``y`` instead of a stiff exponential.

The scheme is the Dormand-Prince 5(4) pair (Dormand & Prince 1980, J Comput Appl
Math 6:19, doi:10.1016/0771-050X(80)90013-3) with first-same-as-last, run on an
``(n_people x n_state)`` array, each row with its own step size, own step
acceptance and own clock.  Rows that finish a segment drop out of the active set,
so a stiff person does not slow down the others.  The step-size controller is
the standard one (Hairer, Norsett & Wanner, Solving ODEs I, sec. II.4).

Extinction: a microbial component that falls below the model's extinction
threshold is set to *exactly* zero (``y = EXTINCT_LOG``, ``exp(EXTINCT_LOG)``
underflows to 0.0) after every accepted step and its derivative is forced to 0
from then on, so a taxon never comes back from round-off; only an explicit
inoculation (a :class:`Pulse`) can bring it back.

Time-dependent inputs (antibiotic courses) are piecewise constant.  The driver
integrates segment by segment between consecutive breakpoints (course starts and
ends, pulses, output times) and hands the right-hand side the control value for
the segment, so no step ever straddles a discontinuity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SimulationError

#: Log-state of an extinct component: exp(-1000) is exactly 0.0 in float64.
EXTINCT_LOG = -1000.0
_DEAD_BELOW = EXTINCT_LOG + 1.0

# Dormand-Prince 5(4) tableau.
_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
_B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])
_B_LOW = np.array([5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40])
_E = _B - _B_LOW
_A_ROWS = [np.array(row + [0.0] * (7 - len(row))) for row in _A]

#: rhs(y, rows, control) -> dy/dt; y is (m, d) log-state of the people ``rows``.
RHS = Callable[[np.ndarray, np.ndarray, object], np.ndarray]


@dataclass(frozen=True)
class Pulse:
    """Add ``amount`` (linear units) to the state at ``time``.

    ``amount`` is a vector over the state (same for everyone) or an
    ``(n_people, n_state)`` array.  Used for inoculations, probiotic doses and
    faecal transplants; the only way an extinct taxon can come back.
    """

    time: float
    amount: np.ndarray


@dataclass
class IntegrationStats:
    """Work done by :func:`integrate_log` (for benchmarks and tests)."""

    steps: int = 0
    rejected: int = 0
    rhs_rows: int = 0  # sum over right-hand-side calls of the rows evaluated
    iterations: int = 0  # vectorised trial steps (each covers all active rows)


def integrate_log(
    rhs: RHS,
    y0: np.ndarray,
    t_eval: Sequence[float],
    *,
    control: Callable[[float], object] = lambda t: None,
    breakpoints: Sequence[float] = (),
    pulses: Sequence[Pulse] = (),
    extinct_log: float | None = None,
    extinct_components: np.ndarray | None = None,
    atol: float = 1e-6,
    first_step: float = 1e-2,
    max_step: float = np.inf,
    max_steps: int = 2_000_000,
    out_dtype: type = np.float64,
    stats: IntegrationStats | None = None,
) -> np.ndarray:
    """Integrate ``d y / d t = rhs(y)`` for every row of ``y0`` (log-space).

    Parameters
    ----------
    rhs
        ``rhs(y, rows, control)`` returning ``dy/dt`` for the rows ``rows`` (an
        index array into the people) whose log-state is ``y`` (``(m, d)``).
    y0
        ``(n_people, n_state)`` initial log-state; ``EXTINCT_LOG`` marks zeros.
    t_eval
        Increasing output times; the first is the start time.
    control
        ``control(t)`` gives the piecewise-constant input (e.g. antibiotic
        signal) for the segment containing ``t`` (called at segment midpoints).
    breakpoints
        Times where ``control`` may jump.
    pulses
        Instantaneous additions to the (linear) state.
    extinct_log
        ``log`` of the extinction threshold; components in
        ``extinct_components`` below it are set to exactly zero.
    extinct_components
        Boolean mask over the state: which components can go extinct.
    atol
        Local error tolerance on ``y``, i.e. a relative tolerance on the state.
    out_dtype
        dtype of the returned trajectory (float32 halves memory for ensembles).

    Returns
    -------
    numpy.ndarray
        ``(n_people, len(t_eval), n_state)`` *linear* state (``exp(y)``, with
        extinct components exactly 0) after any pulse at that time.
    """
    y = np.array(y0, dtype=np.float64, copy=True)
    if y.ndim != 2:
        raise SimulationError("initial state must be a (people x state) array")
    n, d = y.shape
    t_eval = np.asarray(t_eval, dtype=np.float64)
    if t_eval.ndim != 1 or t_eval.size < 1 or np.any(np.diff(t_eval) <= 0):
        raise SimulationError("output times must be strictly increasing")
    t0, t_end = float(t_eval[0]), float(t_eval[-1])
    for p in pulses:
        if not t0 <= p.time <= t_end:
            raise SimulationError(f"a pulse at day {p.time:g} lies outside the simulated days {t0:g}-{t_end:g}")
    stops = np.unique(np.concatenate([t_eval, [b for b in breakpoints if t0 < b < t_end], [p.time for p in pulses]]))
    stats = stats if stats is not None else IntegrationStats()
    extinct = np.zeros(d, dtype=bool) if extinct_components is None else np.asarray(extinct_components, dtype=bool)
    clamp = extinct_log is not None and extinct.any()

    def apply_clamp(rows_y: np.ndarray) -> None:
        if clamp:
            sub = rows_y[:, extinct]
            sub[sub < extinct_log] = EXTINCT_LOG
            rows_y[:, extinct] = sub

    def apply_pulses(time: float) -> bool:
        hit = False
        for p in pulses:
            if p.time == time:
                amount = np.broadcast_to(np.asarray(p.amount, dtype=np.float64), (n, d))
                if np.any(amount < 0) or not np.all(np.isfinite(amount)):
                    raise SimulationError("inoculation amounts must be finite and non-negative")
                with np.errstate(divide="ignore"):
                    y[:] = np.where(amount > 0, np.log(np.exp(y) + amount), y)
                hit = True
        return hit

    out = np.empty((n, t_eval.size, d), dtype=out_dtype)
    out_index = {float(t): i for i, t in enumerate(t_eval)}
    y[y < _DEAD_BELOW] = EXTINCT_LOG
    apply_clamp(y)
    apply_pulses(t0)
    out[:, 0, :] = np.exp(y)

    h = np.full(n, min(first_step, max_step), dtype=np.float64)
    fsal = np.empty_like(y)
    fsal_ok = np.zeros(n, dtype=bool)
    t = np.full(n, t0)
    steps = 0
    ctrl = None
    for seg_start, seg_end in zip(stops[:-1], stops[1:]):
        new_ctrl = control(0.5 * (seg_start + seg_end))
        if ctrl is None or not _same_control(new_ctrl, ctrl):
            fsal_ok[:] = False  # the last stage was evaluated with another input
        ctrl = new_ctrl
        active = np.arange(n)
        while active.size:
            steps += 1
            stats.iterations += 1
            if steps > max_steps:
                raise SimulationError("integration did not finish (too many steps): the system may be exploding")
            ya = y[active]
            ta = t[active]
            remaining = seg_end - ta
            h_try = np.minimum(h[active], max_step)
            clipped = h_try >= remaining
            ha = np.where(clipped, remaining, h_try)
            dead = ya < _DEAD_BELOW
            # a too-long trial step may overflow exp(); such a step is rejected below
            with np.errstate(all="ignore"):
                y_new, err, k = _dopri_step(rhs, ya, ha, active, ctrl, dead, fsal, fsal_ok, atol, stats)
            accept = err <= 1.0
            # step-size control (order 5 -> exponent 1/5), with safety factor and limits
            with np.errstate(divide="ignore"):
                factor = np.where(err == 0, 5.0, 0.9 * err ** -0.2)
            factor = np.clip(factor, 0.2, 5.0)
            factor = np.where(accept, factor, np.minimum(factor, 0.5))
            h_next = ha * factor
            # a step clipped to land on a stop says nothing about the natural step
            h_next = np.where(clipped & accept, np.maximum(h_next, h[active]), h_next)
            tiny = h_next < 1e-12 * np.maximum(1.0, np.abs(ta))
            if np.any(tiny):
                row = int(active[np.argmax(tiny)])
                raise SimulationError(
                    f"step size underflow for virtual person {row} at day {t[row]:.6g}: "
                    "the model is too stiff or diverging there"
                )
            h[active] = h_next
            stats.steps += int(accept.sum())
            stats.rejected += int((~accept).sum())
            acc_rows = active[accept]
            if acc_rows.size:
                y_acc = y_new[accept]
                apply_clamp(y_acc)
                y[acc_rows] = y_acc
                t[acc_rows] = np.where(clipped[accept], seg_end, ta[accept] + ha[accept])
                fsal[acc_rows] = k[6][accept]
                # a clamped row changed its state: the last stage is stale there
                fsal_ok[acc_rows] = np.all(y_acc == y_new[accept], axis=1)
            active = active[t[active] < seg_end]
        t[:] = seg_end
        if apply_pulses(float(seg_end)):
            apply_clamp(y)
            fsal_ok[:] = False
        if float(seg_end) in out_index:
            out[:, out_index[float(seg_end)], :] = np.exp(y)
    return out


def _same_control(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # e.g. arrays
        return False


def _dopri_step(rhs, ya, ha, active, ctrl, dead, fsal, fsal_ok, atol, stats):
    """One Dormand-Prince trial step for the rows ``active``; returns (y_new, err, stages)."""
    m, d = ya.shape
    k = np.empty((7, m, d))
    flat = k.reshape(7, m * d)  # stage combinations as one BLAS matrix-vector product each
    ok = fsal_ok[active]
    if ok.all():
        k[0] = fsal[active]
    else:
        k[0] = rhs(ya, active, ctrl)
        stats.rhs_rows += m
        if ok.any():
            k[0][ok] = fsal[active[ok]]
    k[0][dead] = 0.0
    hcol = ha[:, None]
    for s in range(1, 7):
        incr = (_A_ROWS[s][:s] @ flat[:s]).reshape(m, d)
        k[s] = rhs(ya + hcol * incr, active, ctrl)
        k[s][dead] = 0.0
        stats.rhs_rows += m
    y_new = ya + hcol * (_B @ flat).reshape(m, d)
    err = np.max(np.abs(hcol * (_E @ flat).reshape(m, d)), axis=1) / atol
    bad = ~np.isfinite(err) | ~np.all(np.isfinite(y_new), axis=1)
    err[bad] = np.inf
    return y_new, err, k


def to_log(state: np.ndarray) -> np.ndarray:
    """Linear state -> log-state, zeros becoming :data:`EXTINCT_LOG`."""
    state = np.asarray(state, dtype=np.float64)
    if np.any(state < 0) or not np.all(np.isfinite(state)):
        raise SimulationError("initial state must be finite and non-negative")
    with np.errstate(divide="ignore"):
        return np.where(state > 0, np.log(np.where(state > 0, state, 1.0)), EXTINCT_LOG)
