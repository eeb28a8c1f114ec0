"""Integrating a fitted gLV model (kind ``glv``) with ``scipy.integrate.solve_ivp`` (LSODA).

The logistic and log-linear kinds are solved exactly in
:mod:`gutbalance.simulate.model`; only a gLV needs a numerical ODE solver, and
``scipy.integrate`` takes about 0.2 s of CPU to import, so the model names
:func:`solve_glv` by dotted path (:mod:`gutbalance.lazy`) and this module is
imported the first time a gLV model is simulated.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ..errors import SimulationError
from .model import _active_signal, _segments


def solve_glv(r, a, e, y0, times, signals, y_lo: float, y_hi: np.ndarray) -> np.ndarray:
    """``ln`` abundances (model units) at ``times`` of ``y' = r + E u(t) + A exp(y)`` from ``y0``.

    ``u`` is piecewise constant between the edges of ``signals`` (see
    :meth:`~gutbalance.simulate.model.FittedModel.simulate`), and ``y`` is held
    between ``y_lo`` and ``y_hi``: a gLV fitted by gradient matching can have
    unstable directions, and this keeps what-ifs finite (documented in
    docs/simulation.md).  Returns an array ``(len(times), taxa)``.
    """
    out = np.empty((len(times), len(y0)))
    y = y0.copy()
    for t0, t1 in _segments(times, signals):
        rate0 = r + e @ _active_signal(signals, t0, t1, e.shape[1])

        def rhs(_t, yy, rate0=rate0):
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
