"""Benchmark: 10,000 virtual people x 365 days of the gut-immune model.

Vectorised (gutbalance's log-space Dormand-Prince integrator over a
people x state array, in cache-sized batches) against a per-person
``scipy.integrate.solve_ivp`` loop on the same model.  The loop is timed on a
random subset of the people and extrapolated linearly to all of them (it is
embarrassingly serial: each person is an independent solve).

Scenario: each virtual person has their own parameter draw (the ensemble
uncertainty of gut_immune_parameters.tsv) and their own starting guilds
(Dirichlet around the reference composition); amoxicillin on days 10-17;
daily output.  Tolerances: ours atol 1e-6 on log-states (= 1e-6 relative);
solve_ivp rtol 1e-6 with atol 1e-12 on linear states.

Run::

    python benchmarks/bench_simulate.py                 # 10,000 people, loop subset 20
    python benchmarks/bench_simulate.py --people 2000 --loop 10 --method RK45

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


def run_vectorised(params, state0, days, courses):
    model = GutImmuneModel(params)
    return model.run(state0, days, courses=courses, atol=1e-6, out_dtype=np.float32)


def run_loop(params, state0, days, courses, rows, method):
    """One solve_ivp call per person and per constant-input segment (same model, linear space)."""
    stops = sorted({0.0, float(days), *(b for c in courses for b in (c.start, c.end))})
    finals = []
    for i in rows:
        model = GutImmuneModel(params.take(slice(i, i + 1)))
        x = state0[i, DYNAMIC_INDEX]
        for a, b in zip(stops[:-1], stops[1:]):
            u = {c.drug: c.concentration for c in courses if c.start <= a < c.end}
            sol = solve_ivp(lambda t, y, u=u, m=model: m.derivative(np.maximum(y, 0.0), u)[0], (a, b), x, method=method,
                            rtol=1e-6, atol=1e-12, t_eval=np.arange(a + 1, b + 1e-9))
            if not sol.success:
                raise RuntimeError(sol.message)
            x = sol.y[:, -1]
        finals.append(x)
    return np.array(finals)


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
    ap.add_argument("--loop", type=int, default=20, help="people timed in the solve_ivp loop (extrapolated)")
    ap.add_argument("--method", default="LSODA", help="solve_ivp method of the loop (LSODA, RK45, Radau)")
    ap.add_argument("--dask", action="store_true", help="also run the people as blocks on a local Dask cluster")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    courses = [Course("amoxicillin", 10.0, 17.0, 0.5)]
    t0 = time.perf_counter()
    params, state0 = virtual_people(args.people, args.seed)
    t_setup = time.perf_counter() - t0

    t0 = time.perf_counter()
    _, states = run_vectorised(params, state0, args.days, courses)
    t_vec = time.perf_counter() - t0

    rows = np.random.default_rng(args.seed + 1).choice(args.people, size=min(args.loop, args.people), replace=False)
    t0 = time.perf_counter()
    finals = run_loop(params, state0, args.days, courses, rows, args.method)
    t_loop_subset = time.perf_counter() - t0
    t_loop = t_loop_subset / len(rows) * args.people

    ours = states[rows, -1][:, DYNAMIC_INDEX].astype(np.float64)
    alive = finals > 1e-9
    rel = np.abs(ours[alive] - finals[alive]) / finals[alive]

    print(f"gut-immune model, {args.people:,} virtual people x {args.days:g} days, amoxicillin days 10-17, daily output")
    print(f"setup (parameter draws + personal calibration): {t_setup:.2f} s")
    print()
    print(f"{'method':<44}{'people':>9}{'wall s':>10}{'ms/person':>11}{'speed-up':>10}")
    print(f"{'gutbalance vectorised (DOPRI5, log-space)':<44}{args.people:>9,}{t_vec:>10.1f}"
          f"{t_vec / args.people * 1e3:>11.2f}{t_loop / t_vec:>9.0f}x")
    print(f"{'solve_ivp ' + args.method + ' loop, measured':<44}{len(rows):>9,}{t_loop_subset:>10.1f}"
          f"{t_loop_subset / len(rows) * 1e3:>11.2f}{'':>10}")
    print(f"{'solve_ivp ' + args.method + ' loop, extrapolated':<44}{args.people:>9,}{t_loop:>10.1f}"
          f"{t_loop / args.people * 1e3:>11.2f}{'1x':>10}")
    if args.dask:
        t0 = time.perf_counter()
        dstates = run_dask(params, state0, args.days, courses, blocks=10)
        t_dask = time.perf_counter() - t0
        same = np.allclose(dstates, states)
        print(f"{'Dask LocalCluster, 10 blocks, 2 workers':<44}{args.people:>9,}{t_dask:>10.1f}"
              f"{t_dask / args.people * 1e3:>11.2f}{t_loop / t_dask:>9.0f}x  (identical: {same})")
    print()
    print(f"agreement at day {args.days:g} on the {len(rows)} looped people (states > 1e-9): "
          f"median relative difference {np.median(rel):.1e}, max {np.max(rel):.1e}")
    print(f"vectorised run within 60 s: {'yes' if t_vec <= 60 else 'NO'}; "
          f">= 50x faster than the loop: {'yes' if t_loop / t_vec >= 50 else 'NO'}")


if __name__ == "__main__":
    main()
