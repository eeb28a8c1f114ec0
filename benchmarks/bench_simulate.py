"""Benchmark: 10,000 virtual people x 365 days of the gut-immune model.

Vectorised (gutbalance's log-space integrator over a people x state array:
per person DOPRI5 or ROS4, switched by stiffness, dense output) against
per-person ``scipy.integrate.solve_ivp`` loops on the same model, one per
solve_ivp method.  The loop is timed on a
random subset of the people and extrapolated linearly to all of them (it is
embarrassingly serial: each person is an independent solve).

Scenario: each virtual person has their own parameter draw (the ensemble
uncertainty of gut_immune_parameters.tsv) and their own starting guilds
(Dirichlet around the reference composition); amoxicillin on days 10-17;
daily output.  Tolerances: ours 1e-6 on log-states (= 1e-6 relative, RMS norm
over the state as in solve_ivp); solve_ivp rtol 1e-6 with atol 1e-12 on
linear states.  Every run's accuracy is measured against Radau at rtol 1e-10.

Run::

    python benchmarks/bench_simulate.py                 # 10,000 people, loops on 20, 3 timings each
    python benchmarks/bench_simulate.py --people 2000 --loop 10 --methods RK45,LSODA

Dask for larger sweeps: the vectorised run is one function of a parameter block,
so ``dask.bag``/``distributed`` can map it over blocks of people on a cluster
(``--dask`` runs the same 10,000 people as 10 blocks on a local cluster).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

from gutbalance.simulate import GutImmuneModel, calibrate, load_parameters
from gutbalance.simulate.glv import Course
from gutbalance.simulate.gut_immune import DYNAMIC_INDEX


def virtual_people(n: int, seed: int):
    rng = np.random.default_rng(seed)
    params = load_parameters(n, rng=rng)
    guilds = rng.dirichlet(params.reference[:6] * 50, size=n)
    x0 = np.concatenate([guilds, np.zeros((n, 1))], axis=1)
    state0 = calibrate(params, x0)
    return params, state0


def run_vectorised(params, state0, days, courses, method="auto"):
    model = GutImmuneModel(params)
    return model.run(state0, days, courses=courses, atol=1e-6, out_dtype=np.float32, method=method)


def _live_derivative(t, y, control, model, live, full):
    """``d/dt`` of the components in ``live``; the others are held at 0 (in ``full``)."""
    full[live] = np.maximum(y, 0.0)
    return model.derivative(full, control)[0][live]


def run_loop(params, state0, days, courses, rows, method, rtol=1e-6, atol=1e-12):
    """One solve_ivp call per person and per constant-input segment (same equations, linear space).

    ``GutImmuneModel.derivative`` is ``state * rhs(log state)``: the very right-hand side the
    vectorised run integrates, so both solve the same ODE.

    A component that starts at exactly 0 (the absent pathogen; nothing re-seeds it) is held at 0 and
    left out of the solve, as the vectorised run does (0 is -inf in log space).  ``x = 0`` is invariant
    for ``dx/dt = x f(x)``, but an implicit solver in linear space leaves it by round-off (its Newton
    iterations and finite-difference Jacobian move every component by ~atol); a positive round-off
    pathogen then grows without the model's extinction threshold, and the pathogen-specific immunity
    responds to it.  Included, Radau and BDF at rtol 1e-6 ended with the pathogen at up to 5e-4 of the
    load and immunity at up to 3.6 instead of its 0.001 (the "1.3e+03 relative" of the first runs).
    """
    stops = sorted({0.0, float(days), *(b for c in courses for b in (c.start, c.end))})
    finals = []
    for i in rows:
        model = GutImmuneModel(params.take(slice(i, i + 1)))
        x = state0[i, DYNAMIC_INDEX].astype(np.float64)
        live = x > 0
        for a, b in zip(stops[:-1], stops[1:]):
            u = {c.drug: c.concentration for c in courses if c.start <= a < c.end}
            sol = solve_ivp(_live_derivative, (a, b), x[live], method=method, args=(u, model, live, np.zeros_like(x)),
                            rtol=rtol, atol=atol, t_eval=np.arange(a + 1, b + 1e-9))
            if not sol.success:
                raise RuntimeError(sol.message)
            x[live] = sol.y[:, -1]
        finals.append(x)
    return np.array(finals)


def relative_error(values, reference):
    """Max relative difference over the components the reference keeps above 1e-9."""
    alive = reference > 1e-9
    return float(np.max(np.abs(values[alive] - reference[alive]) / reference[alive]))


def run_dask(params, state0, days, courses, blocks):
    from dask.distributed import Client, LocalCluster

    n = params.n
    edges = np.linspace(0, n, blocks + 1).astype(int)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
        futures = [client.submit(run_vectorised, params.take(slice(a, b)), state0[a:b], days, courses)
                   for a, b in zip(edges[:-1], edges[1:])]
        return np.concatenate([f.result()[1] for f in futures], axis=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--loop", type=int, default=20, help="people timed in each solve_ivp loop (extrapolated)")
    ap.add_argument("--methods", default="RK45,LSODA,Radau,BDF", help="solve_ivp methods of the loops")
    ap.add_argument("--repeat", type=int, default=3, help="timings of each measurement (the median is reported)")
    ap.add_argument("--integrator", default="auto", help="gutbalance method: auto (DOPRI5/ROS4), dopri5, ros4")
    ap.add_argument("--dask", action="store_true", help="also run the people as blocks on a local Dask cluster")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    courses = [Course("amoxicillin", 10.0, 17.0, 0.5)]
    t0 = time.perf_counter()
    params, state0 = virtual_people(args.people, args.seed)
    t_setup = time.perf_counter() - t0

    vec_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        _, states = run_vectorised(params, state0, args.days, courses, args.integrator)
        vec_times.append(time.perf_counter() - t0)
    t_vec = float(np.median(vec_times))

    rows = np.random.default_rng(args.seed + 1).choice(args.people, size=min(args.loop, args.people), replace=False)
    # independent high-accuracy reference for the looped people: Radau at rtol 1e-10
    reference = run_loop(params, state0, args.days, courses, rows, "Radau", rtol=1e-10, atol=1e-16)
    ours = states[rows, -1][:, DYNAMIC_INDEX].astype(np.float64)

    print(f"gut-immune model, {args.people:,} virtual people x {args.days:g} days, amoxicillin days 10-17, daily output")
    print(f"setup (parameter draws + personal calibration): {t_setup:.2f} s; medians of {args.repeat} timings; "
          f"loops timed on {len(rows)} people and extrapolated")
    print()
    print(f"{'method':<40}{f'wall s ({args.people:,})':>13}{'ms/person':>11}{'vectorised is':>15}{'max rel err':>13}")
    print(f"{'gutbalance vectorised (' + args.integrator + ')':<40}{t_vec:>13.1f}{t_vec / args.people * 1e3:>11.2f}"
          f"{'':>15}{relative_error(ours, reference):>13.1e}   (runs: {', '.join(f'{t:.1f}' for t in vec_times)} s)")
    verdicts = []
    for method in args.methods.split(","):
        loop_times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            finals = run_loop(params, state0, args.days, courses, rows, method)
            loop_times.append(time.perf_counter() - t0)
        per_person = float(np.median(loop_times)) / len(rows)
        t_loop = per_person * args.people
        speedup = t_loop / t_vec
        verdicts.append((method, speedup))
        print(f"{'solve_ivp ' + method + ' loop (rtol 1e-6)':<40}{t_loop:>13.0f}{per_person * 1e3:>11.1f}"
              f"{speedup:>14.0f}x{relative_error(finals, reference):>13.1e}")
    if args.dask:
        t0 = time.perf_counter()
        dstates = run_dask(params, state0, args.days, courses, blocks=10)
        t_dask = time.perf_counter() - t0
        same = np.allclose(dstates, states)
        print(f"{'Dask LocalCluster, 10 blocks, 2 workers':<40}{t_dask:>13.1f}{t_dask / args.people * 1e3:>11.2f}"
              f"{'':>15}   (identical: {same})")
    print()
    print("max rel err: at the last day, against Radau rtol 1e-10 on the looped people (states > 1e-9)")
    print(f"vectorised run within 60 s: {'yes' if t_vec <= 60 else 'NO'}; >= 50x faster than the loop: "
          + ", ".join(f"{m} {'yes' if x >= 50 else 'NO'}" for m, x in verdicts))


if __name__ == "__main__":
    main()
