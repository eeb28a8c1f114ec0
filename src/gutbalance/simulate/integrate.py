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

from collections.abc import Callable, Mapping, Sequence
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

#: the piecewise-constant input of a segment: the signal of each drug given, or None without any
Control = Mapping[str, float] | None
#: rhs(y, rows, control) -> dy/dt; y is (m, d) log-state of the people ``rows``.
RHS = Callable[[np.ndarray, np.ndarray, Control], np.ndarray]
#: jacobian(y, rows, control) -> d rhs / d y, shape (m, d, d).
JAC = Callable[[np.ndarray, np.ndarray, Control], np.ndarray]

# ROS4: the L-stable 4-stage Rosenbrock method of order 4 with an embedded L-stable
# order-3 solution (Hairer & Wanner, Solving ODEs II, 2nd ed. 1996, sec. IV.7, Table 7.2,
# the "Shampine" parameter set; coefficients as in KPP, Sandu et al. 1997, Atmos Environ
# 31:3459, doi:10.1016/S1352-2310(97)83212-8).  Form: G = I / (h gamma) - J,
# G K_i = f(y + sum_j a_ij K_j) + sum_j c_ij / h K_j, y_new = y + sum m_i K_i,
# error = sum e_i K_i.  Stage 4 reuses stage 3's function value (3 evaluations a step).
_ROS_GAMMA = 0.57282
_ROS_A = np.array([
    [0.0, 0.0, 0.0],
    [2.0, 0.0, 0.0],
    [1.867943637803922, 0.2344449711399156, 0.0],
    [1.867943637803922, 0.2344449711399156, 0.0],
])
_ROS_C = np.array([
    [0.0, 0.0, 0.0],
    [-7.137615036412310, 0.0, 0.0],
    [2.580708087951457, 0.6515950076447975, 0.0],
    [-2.137148994382534, -0.3214669691237626, -0.6949742501781779],
])
_ROS_M = np.array([2.255570073418735, 0.2870493262186792, 0.4353179431840180, 1.093502252409163])
_ROS_E = np.array([-0.2815431932141155, -0.07276199124938920, -0.1082196201495311, -1.093502252409163])
_ROS_NEW_F = (True, True, True, False)


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



def _next_step(err, accept, ha, h_prev, clipped, ta, active, t, *, exponent) -> np.ndarray:
    """Step-size control shared by the explicit and Rosenbrock integrators:
    ``0.9 * err**exponent`` (exponent -1/(order+1)), limited to 0.2-5 and to
    halving after a rejected step; a step clipped to land on a stop says
    nothing about the natural step.  A vanishing step is an error."""
    with np.errstate(divide="ignore"):
        factor = np.where(err == 0, 5.0, 0.9 * err**exponent)
    factor = np.clip(factor, 0.2, 5.0)
    factor = np.where(accept, factor, np.minimum(factor, 0.5))
    h_next = ha * factor
    h_next = np.where(clipped & accept, np.maximum(h_next, h_prev), h_next)
    tiny = h_next < 1e-12 * np.maximum(1.0, np.abs(ta))
    if np.any(tiny):
        row = int(active[np.argmax(tiny)])
        raise SimulationError(
            f"step size underflow for virtual person {row} at day {t[row]:.6g}: "
            "the model is too stiff or diverging there"
        )
    return h_next

def integrate_log(
    rhs: RHS,
    y0: np.ndarray,
    t_eval: Sequence[float] | np.ndarray,
    *,
    control: Callable[[float], Control] = lambda t: None,
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
    method: str = "dopri5",
    jacobian: JAC | None = None,
    diagonal_from: int | None = None,
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
    method
        ``"dopri5"`` (explicit Dormand-Prince 5(4); every output time is a step
        end) or ``"ros4"`` (linearly implicit Rosenbrock 4(3), L-stable, with
        cubic Hermite dense output between steps; for stiff models).
    jacobian
        ``jacobian(y, rows, control)`` -> ``(m, d, d)`` Jacobian of ``rhs`` with
        respect to ``y`` (``ros4`` only; default: forward differences).
    diagonal_from
        The components from this one on have no off-diagonal Jacobian entry
        among themselves (each depends on itself and on the components before
        only).  ROS4 then solves its linear systems by eliminating them first
        (a Schur complement): a smaller matrix to invert, the same solution up
        to round-off.  Checked at every step; a step whose Jacobian breaks it
        is solved with the full matrix.

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
    if method not in ("dopri5", "ros4", "auto"):
        raise SimulationError(f"unknown integration method {method!r} (dopri5, ros4 or auto)")
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

    out: np.ndarray = np.empty((n, t_eval.size, d), dtype=out_dtype)
    out_index = {float(t): i for i, t in enumerate(t_eval)}
    y[y < _DEAD_BELOW] = EXTINCT_LOG
    apply_clamp(y)
    apply_pulses(t0)
    out[:, 0, :] = np.exp(y)
    if method in ("ros4", "auto"):
        # dense output: only discontinuities end a step, not output times
        jumps = np.unique([t0, t_end, *(b for b in breakpoints if t0 < b < t_end), *(p.time for p in pulses)])
        _adaptive(rhs, jacobian or _forward_difference_jacobian(rhs), y, t_eval, jumps, out, switching=method == "auto",
                  control=control, apply_pulses=apply_pulses, apply_clamp=apply_clamp,
                  extinct=extinct if clamp else None, extinct_log=extinct_log, atol=atol, first_step=first_step,
                  max_step=max_step, max_steps=max_steps, stats=stats,
                  block=None if diagonal_from is None else _Block(diagonal_from))
        return out

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
            h[active] = _next_step(err, accept, ha, h[active], clipped, ta, active, t, exponent=-0.2)
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


def _forward_difference_jacobian(rhs: RHS) -> JAC:
    """A Jacobian by forward differences of ``rhs`` (one evaluation per state component)."""

    def jacobian(y: np.ndarray, rows: np.ndarray, control: Control) -> np.ndarray:
        m, d = y.shape
        f0 = rhs(y, rows, control)
        jac = np.empty((m, d, d))
        step = 1e-7  # on log-states: a relative perturbation of the state
        for k in range(d):
            yk = y.copy()
            yk[:, k] += step
            jac[:, :, k] = (rhs(yk, rows, control) - f0) / step
        return jac

    return jacobian


#: A row leaves ROS4 for DOPRI5 when its next ROS4 step is shorter than this times its last
#: DOPRI5 step.  A performance setting only (both methods meet the same tolerance): tuned on
#: benchmarks/bench_simulate.py (0.7-1.5 within 5 % of each other).
ROS_COST_RATIO = 1.0
#: DOPRI5 steps before a stiff row returns to ROS4 (doubled after each failed return, up to 64).
_PROBE_EVERY = 1
#: h x (dominant eigenvalue) at which a DOPRI5 step is stability-bound (Hairer's DOPRI5 code)
_STIFF_H_RHO = 3.25


def _adaptive(rhs, jacobian, y, t_eval, stops, out, *, switching, control, apply_pulses, apply_clamp, extinct,
              extinct_log, atol, first_step, max_step, max_steps, stats, block=None):
    """Per-row adaptive integration with dense output; ROS4 only, or switching DOPRI5 <-> ROS4 (fills ``out``).

    Every row keeps ``f`` at its current point (the first stage of either
    method) and, in ROS4 mode, the Jacobian there.  Only discontinuities
    (course starts and ends, pulses) end segments: output times inside a step
    are interpolated with the cubic Hermite polynomial through ``(y, f)`` at
    both ends.

    Switching (``switching=True``) follows the idea of LSODA (Petzold 1983,
    SIAM J Sci Stat Comput 4:136, doi:10.1137/0904010): each row uses the
    method that costs less per simulated day.  A row in ROS4 mode whose next
    step ``h_ros`` is below ``ROS_COST_RATIO x`` its last DOPRI5 step goes to
    DOPRI5 (transients resolved by accuracy, where the explicit 5th-order pair
    takes longer steps); a row in DOPRI5 mode goes to ROS4 (with ``h = 2 x``
    its DOPRI5 step) when Hairer's stiffness test says the explicit step is
    capped by stability, not accuracy, on an accepted or a rejected step.
    """
    n, d = y.shape
    eye = np.eye(d)
    all_rows = np.arange(n)
    t = np.full(n, float(t_eval[0]))
    out_pos = {float(tt): i for i, tt in enumerate(t_eval)}
    ros = np.full(n, not switching)
    h = np.full(n, min(first_step, max_step), dtype=np.float64)  # step of the row's current method
    h_other = h.copy()  # last step of the other method
    since_switch = np.zeros(n, dtype=np.int64)
    probe_every = np.full(n, _PROBE_EVERY, dtype=np.int64)
    jac_cur = np.zeros((n, d, d))
    jac_ok = np.zeros(n, dtype=bool)

    def f_at(ys, rows, ctrl):
        f = rhs(ys, rows, ctrl)
        stats.rhs_rows += rows.size
        f[ys < _DEAD_BELOW] = 0.0  # an extinct component does not move
        return f

    def switch(rows_: np.ndarray, *, to_ros: bool) -> None:
        """Move ``rows_`` to the other method, each keeping its last step of the one it leaves."""
        if rows_.size:
            h_last = h[rows_].copy()
            h[rows_] = np.maximum(h_other[rows_], 2 * h_last) if to_ros else h_other[rows_]
            h_other[rows_] = h_last
            ros[rows_] = to_ros
            since_switch[rows_] = 0

    def clamp_out(values: np.ndarray) -> np.ndarray:
        if extinct is not None:
            sub = values[..., extinct]
            sub[sub < extinct_log] = EXTINCT_LOG
            values[..., extinct] = sub
        return values

    steps = 0
    ctrl = None
    f_cur = None
    for seg_start, seg_end in zip(stops[:-1], stops[1:]):
        new_ctrl = control(0.5 * (seg_start + seg_end))
        if f_cur is None or not _same_control(new_ctrl, ctrl):
            f_cur = f_at(y, all_rows, new_ctrl)
            jac_ok[:] = False
        ctrl = new_ctrl
        active = all_rows
        while active.size:
            steps += 1
            stats.iterations += 1
            if steps > max_steps:
                raise SimulationError("integration did not finish (too many steps): the system may be exploding")
            need = active[ros[active] & ~jac_ok[active]]
            if need.size:
                jac = jacobian(y[need], need, ctrl)
                jac[y[need] < _DEAD_BELOW] = 0.0
                jac_cur[need] = jac
                jac_ok[need] = True
            ya, ta, fa = y[active], t[active], f_cur[active]
            remaining = seg_end - ta
            h_try = np.minimum(h[active], max_step)
            clipped = h_try >= remaining
            ha = np.where(clipped, remaining, h_try)
            dead = ya < _DEAD_BELOW
            is_ros = ros[active]
            y_new = np.empty_like(ya)
            err = np.empty(active.size)
            f_end = np.empty_like(ya)  # f at y_new (DOPRI5's last stage; filled for ROS4 after acceptance)
            h_rho = np.zeros(active.size)  # DOPRI5's h x (dominant eigenvalue) estimate
            with np.errstate(all="ignore"):
                n_ros = int(np.count_nonzero(is_ros))
                if n_ros in (0, active.size):  # one method for every active row: no split and merge
                    if n_ros:
                        y_new, err = _ros4_step(rhs, ya, ha, active, ctrl, dead, fa, jac_cur[active], eye, stats,
                                                block)
                    else:
                        y_new, err, f_end, h_rho = _dopri_stages(rhs, ya, ha, active, ctrl, dead, fa, stats)
                else:
                    for mode, sel in ((False, ~is_ros), (True, is_ros)):
                        if mode:
                            y_new[sel], err[sel] = _ros4_step(rhs, ya[sel], ha[sel], active[sel], ctrl, dead[sel],
                                                              fa[sel], jac_cur[active[sel]], eye, stats, block)
                        else:
                            y_new[sel], err[sel], f_end[sel], h_rho[sel] = _dopri_stages(
                                rhs, ya[sel], ha[sel], active[sel], ctrl, dead[sel], fa[sel], stats)
                err /= atol
            err[~np.isfinite(err) | ~np.all(np.isfinite(y_new), axis=1)] = np.inf
            accept = err <= 1.0
            h[active] = _next_step(
                err, accept, ha, h[active], clipped, ta, active, t, exponent=np.where(is_ros, -0.25, -0.2)
            )
            stats.steps += int(accept.sum())
            stats.rejected += int((~accept).sum())
            if accept.any():
                acc_rows = active[accept]
                acc_ros = is_ros[accept]
                y0, f0, hs, t_a = ya[accept], fa[accept], ha[accept], ta[accept]
                y_raw = y_new[accept]
                y_acc = y_raw.copy()
                apply_clamp(y_acc)
                f_new = f_end[accept]
                f_new[y_acc < _DEAD_BELOW] = 0.0
                # ROS4 rows, and DOPRI5 rows a clamp changed, need f at the accepted point
                fresh = acc_ros | np.any(y_acc != y_raw, axis=1)
                if fresh.any():
                    f_new[fresh] = f_at(y_acc[fresh], acc_rows[fresh], ctrl)
                t_b = np.where(clipped[accept], seg_end, t_a + hs)
                _dense_output(out, t_eval, acc_rows, t_a, t_b, hs, y0, f0, y_raw,
                              np.where(y_acc == y_raw, f_new, f0), clamp_out)
                y[acc_rows] = y_acc
                t[acc_rows] = t_b
                f_cur[acc_rows] = f_new
                jac_ok[acc_rows[acc_ros]] = False
                if switching:
                    since_switch[acc_rows] += 1
                    # ROS4 -> DOPRI5 where the explicit pair is cheaper per day
                    go_dopri = acc_rows[acc_ros & (h[acc_rows] < ROS_COST_RATIO * h_other[acc_rows])]
                    # a return to ROS4 that lasted one step failed: wait twice as long next time
                    failed = since_switch[go_dopri] <= 1
                    probe_every[go_dopri] = np.where(failed, np.minimum(2 * probe_every[go_dopri], 64), _PROBE_EVERY)
                    # DOPRI5 -> ROS4 where the step sits on the edge of DOPRI5's stability region
                    # (h rho > 3.25, Hairer's test), after probe_every DOPRI5 steps
                    stiff = h_rho[accept] > _STIFF_H_RHO
                    go_ros = acc_rows[~acc_ros & stiff & (since_switch[acc_rows] >= probe_every[acc_rows])]
                    switch(go_dopri, to_ros=False)
                    switch(go_ros, to_ros=True)
            if switching and not accept.all():
                # a DOPRI5 step rejected beyond the edge of its stability region is the
                # plainest sign of stiffness: without this, a row whose accepted steps
                # sit at half the edge (the controller doubling into it and halving
                # back) never passes the test above and stays in DOPRI5 for good
                rej = active[~accept & ~is_ros & (h_rho > _STIFF_H_RHO)]
                switch(rej[since_switch[rej] >= probe_every[rej]], to_ros=True)
            active = active[t[active] < seg_end]
        t[:] = seg_end
        if apply_pulses(float(seg_end)):
            apply_clamp(y)
            f_cur = None  # the state jumped: f and the Jacobian are stale
        if float(seg_end) in out_pos:
            out[:, out_pos[float(seg_end)], :] = np.exp(y)


def _dopri_fill(k, rhs, ya, hcol, rows, ctrl, dead, stats):
    """Stages 2-7 of a Dormand-Prince step into ``k`` (``(7, m, d)``, stage 1 set; the rows ``dead``
    held still); returns the fifth-order solution ``y_new``."""
    m, d = ya.shape
    flat = k.reshape(7, m * d)  # stage combinations as one BLAS matrix-vector product each
    for s in range(1, 7):
        incr = (_A_ROWS[s][:s] @ flat[:s]).reshape(m, d)
        k[s] = rhs(ya + hcol * incr, rows, ctrl)
        k[s][dead] = 0.0
        stats.rhs_rows += m
    return ya + hcol * (_B @ flat).reshape(m, d)


def _dopri_stages(rhs, ya, ha, rows, ctrl, dead, f0, stats):
    """One Dormand-Prince trial step from ``f0 = f(ya)``; returns (y_new, RMS error, f(y_new), h x stiffness)."""
    m, d = ya.shape
    k = np.empty((7, m, d))
    flat = k.reshape(7, m * d)
    k[0] = f0
    hcol = ha[:, None]
    y_new = _dopri_fill(k, rhs, ya, hcol, rows, ctrl, dead, stats)
    # stiffness detection (Hairer, Norsett & Wanner, Solving ODEs I, sec. IV.2 / their DOPRI5 code):
    # stages 6 and 7 both sit at t + h, so |k7 - k6| / |y7 - y6| estimates the dominant eigenvalue
    y6 = ya + hcol * (_A_ROWS[5][:5] @ flat[:5]).reshape(m, d)
    with np.errstate(all="ignore"):
        h_rho = ha * np.sqrt(np.einsum("ij,ij->i", k[6] - k[5], k[6] - k[5])
                             / np.einsum("ij,ij->i", y_new - y6, y_new - y6))
    return y_new, _rms(hcol * (_E @ flat).reshape(m, d)), k[6], np.nan_to_num(h_rho, nan=0.0)


@dataclass(frozen=True)
class _Block:
    """ROS4's linear systems split at component ``split``: the components from ``split`` on have no
    off-diagonal Jacobian entry among themselves (``diagonal_from`` of :func:`integrate_log`)."""

    split: int

    def solver(self, g: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | None:
        """``b -> g^-1 b`` for the ``(m, d, d)`` matrices ``g`` by block elimination, or None where a row
        of ``g`` breaks the split (an off-diagonal entry among the tail).  Raises LinAlgError like inv."""
        c = self.split
        g_dd = g[:, c:, c:]
        gd = np.diagonal(g_dd, axis1=1, axis2=2)
        if np.count_nonzero(g_dd) != np.count_nonzero(gd):
            return None
        # tail D, core C: b_D = g_DD k_D + g_DC k_C gives k_D = (b_D - g_DC k_C) / g_DD, and
        # (g_CC - g_CD g_DD^-1 g_DC) k_C = b_C - g_CD g_DD^-1 b_D
        g_dc = g[:, c:, :c] / gd[:, :, None]
        g_cd = g[:, :c, c:]
        s_inv = np.linalg.inv(g[:, :c, :c] - np.matmul(g_cd, g_dc))

        def solve(b: np.ndarray) -> np.ndarray:
            k = np.empty_like(b)
            b_d = b[:, c:] / gd
            k_c = np.matmul(s_inv, (b[:, :c] - np.matmul(g_cd, b_d[:, :, None])[:, :, 0])[:, :, None])
            k[:, :c] = k_c[:, :, 0]
            k[:, c:] = b_d - np.matmul(g_dc, k_c)[:, :, 0]
            return k

        return solve


def _ros4_step(rhs, ya, ha, rows, ctrl, dead, f0, jac, eye, stats, block=None):
    """One ROS4 trial step from ``f0 = f(ya)`` and the Jacobian there; returns (y_new, max-norm error).

    ``block`` (a :class:`_Block`): solve the stages' linear systems by eliminating its tail of
    components first (a smaller matrix to invert)."""
    m, d = ya.shape
    g = eye / (ha * _ROS_GAMMA)[:, None, None] - jac
    try:
        solve = block.solver(g) if block is not None else None
        if solve is None:
            g_inv = np.linalg.inv(g)

            def solve(b: np.ndarray) -> np.ndarray:
                return np.matmul(g_inv, b[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:  # singular for some row: reject the step (it is retried shorter)
        return np.full_like(ya, np.nan), np.full(m, np.inf)
    k = np.empty((4, m, d))
    flat = k.reshape(4, m * d)
    f_stage = f0
    inv_h = (1.0 / ha)[:, None]
    for i in range(4):
        if i and _ROS_NEW_F[i]:
            f_stage = rhs(ya + (_ROS_A[i, :i] @ flat[:i]).reshape(m, d), rows, ctrl)
            f_stage[dead] = 0.0
            stats.rhs_rows += m
        b = f_stage + (_ROS_C[i, :i] @ flat[:i]).reshape(m, d) * inv_h if i else f_stage
        k[i] = solve(b)
    flat = k.reshape(4, m * d)
    y_new = ya + (_ROS_M @ flat).reshape(m, d)
    return y_new, _rms((_ROS_E @ flat).reshape(m, d))


def _rms(err: np.ndarray) -> np.ndarray:
    """Root-mean-square over the state of each row: the error norm of scipy's solve_ivp and Hairer's codes."""
    return np.sqrt(np.einsum("ij,ij->i", err, err) / err.shape[1])


def _dense_output(out, t_eval, rows, t_a, t_b, h, y0, f0, y1, f1, clamp_out):
    """Write the outputs with ``t_a <= time < t_b`` of each row from the cubic Hermite interpolant."""
    lo = np.searchsorted(t_eval, t_a, side="left")
    count = np.searchsorted(t_eval, t_b, side="left") - lo
    total = int(count.sum())
    if not total:
        return
    # one (row, output time) pair per interpolated value
    which = np.repeat(np.arange(rows.size), count)
    idx = lo[which] + (np.arange(total) - np.repeat(np.cumsum(count) - count, count))
    hcol = h[:, None]
    # y(theta) = y0 + theta h f0 + theta^2 c2 + theta^3 c3 matches y and f at both ends
    c1 = hcol * f0
    c2 = 3 * (y1 - y0) - hcol * (2 * f0 + f1)
    c3 = 2 * (y0 - y1) + hcol * (f0 + f1)
    theta = ((t_eval[idx] - t_a[which]) / h[which])[:, None]
    values = y0[which] + theta * (c1[which] + theta * (c2[which] + theta * c3[which]))
    out[rows[which], idx, :] = np.exp(clamp_out(values))


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
    y_new = _dopri_fill(k, rhs, ya, hcol, active, ctrl, dead, stats)
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
