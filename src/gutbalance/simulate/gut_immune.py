"""The human gut-immune model: microbial guilds (gLV) coupled to butyrate,
barrier, translocated LPS, effector and regulatory T-cell activity.

State (in this order, see :data:`STATE`)::

    butyrate_producers bacteroidales bifido_lab akkermansia enterobacteriaceae
    other_commensals pathogen | butyrate barrier lps effector treg

Microbes are in units of the healthy reference total load; host variables are
relative to the healthy reference state (= 1), except ``barrier``, the intact
fraction of the epithelium (reference ``b0``).  Equations (docs/simulation.md)::

    dx_g/dt = x_g (r_g (1 + f_g F) + sum_h a_gh x_h + sum_d eps_gd u_d(t)
                   + phi_g ln E + omega_g (1 - B))
    B       = P (1 + sigma F) / P_ref                       P = sum_g yield_g x_g
    L       = (1 - b) / (1 - b0) G / G_ref                  G = sum_g lps_g x_g
    db/dt   = k_rep (1 - b) s(B) - k_dmg (E + delta p) b     s(B) = s0 + (1 - s0) B (1 + K) / (B + K)
    dE/dt   = k_E (sat(t + (1 - t) (l L + (1 - l) (1 - b) / (1 - b0)) + iota p) h(R) - E)
    dR/dt   = k_R (beta B + (1 - beta) C / C_ref - R)       C = sum_g tol_g x_g
    h(R) = (1 + kappa) / (1 + kappa R),   sat(a) = a (1 + theta) / (a + theta),
    p = pathogen / pathogen_scale,
    k_dmg = k_rep (1 - b0) / b0  (so the reference state is a steady state)

Structure of the host part follows Leber et al. 2015 (PLoS ONE 10:e0134849):
effector activation by microbial products, damaged epithelium and the pathogen,
restrained by Treg; Treg induction by tolerogenic commensals; epithelial damage
by effector cells; effector and Treg turnover rates are the model's fitted
values.  Where Leber's model has no counterpart (butyrate, LPS, the oxygen
feedback) the structure follows the cited experimental papers and magnitudes
are marked 'assumed' in gut_immune_parameters.tsv.

Butyrate and LPS are taken in quasi-steady state: colonic butyrate is absorbed
and translocated LPS cleared within hours, while microbes, barrier and T cells
change over days, so the fast pools follow their slow drivers (a singular
perturbation; it also removes the stiffest modes).  A floor of
:data:`HOST_FLOOR` keeps the host signals' logarithms finite.

Personal calibration: the measured profile is taken as the person's steady
state.  Growth rates ``r_g`` of the guilds present are set so that the profile
and the host state it implies are an equilibrium; absent guilds take the growth
rates that make the healthy reference composition an equilibrium.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import SimulationError
from .glv import Course
from .integrate import IntegrationStats, Pulse, integrate_log, to_log
from .parameters import lookup, rows_of

GUILDS = ["butyrate_producers", "bacteroidales", "bifido_lab", "akkermansia", "enterobacteriaceae", "other_commensals"]
MICROBES = [*GUILDS, "pathogen"]
HOST = ["butyrate", "barrier", "lps", "effector", "treg"]
STATE = [*MICROBES, "butyrate", "barrier", "lps", "effector", "treg"]
PATHOGENS = ["c_difficile", "salmonella"]
ANTIBIOTICS = ["clindamycin", "amoxicillin", "ciprofloxacin", "metronidazole", "vancomycin"]
N_MIC = len(MICROBES)
#: the integrated part of the state; butyrate and LPS are in quasi-steady state
DYNAMIC = [*MICROBES, "barrier", "effector", "treg"]
DYNAMIC_INDEX = [STATE.index(v) for v in DYNAMIC]
#: guilds counted as obligate-anaerobe commensals (colonisation resistance)
OBLIGATE_ANAEROBES = ["butyrate_producers", "bacteroidales", "bifido_lab", "akkermansia", "other_commensals"]

SCALARS = [
    "effector_decay", "treg_decay", "barrier_repair", "barrier_reference",
    "butyrate_barrier_half", "butyrate_independent_repair", "treg_suppression", "tonic_activation_share", "effector_saturation", "lps_activation_share", "butyrate_treg_share",
    "fibre_butyrate_response", "pathogen_immunogenicity", "pathogen_epithelial_damage", "pathogen_scale",
]

#: Numerical floor of the host signals' targets (relative to the reference): butyrate with
#: every producer extinct decays towards this instead of underflowing to 0 (1e-9 of the
#: reference has no biological meaning; it only keeps log-states finite).
HOST_FLOOR = 1e-9

#: scalar parameters that are shares in (0, 1)
FRACTIONS = {"barrier_reference", "tonic_activation_share", "butyrate_independent_repair", "lps_activation_share", "butyrate_treg_share"}


def _scalar_targets(pathogen: str) -> dict[str, str]:
    targets = {name: str(rows_of(name)["target"].iloc[0]) for name in SCALARS}
    targets["pathogen_immunogenicity"] = pathogen
    targets["pathogen_epithelial_damage"] = pathogen
    return targets


@dataclass
class GutImmuneParameters:
    """Parameters for ``n`` virtual people (leading dimension ``n`` everywhere)."""

    pathogen: str
    interactions: np.ndarray  # (n, 7, 7)
    fibre_growth: np.ndarray  # (n, 7)
    inflammation: np.ndarray  # (n, 7)
    oxygen: np.ndarray  # (n, 7)
    susceptibility: dict[str, np.ndarray]  # drug -> (n, 7)
    scalars: dict[str, np.ndarray]  # name -> (n,)
    pathogen_growth: np.ndarray  # (n,)
    butyrate_yield: np.ndarray  # (7,)
    tolerogenic: np.ndarray  # (7,)
    lps_potency: np.ndarray  # (7,)
    reference: np.ndarray  # (7,) healthy reference composition (pathogen 0)
    extinction_threshold: float = 1 / 3.8e13
    growth: np.ndarray | None = None  # (n, 7) set by calibrate()

    @property
    def n(self) -> int:
        return self.interactions.shape[0]

    def take(self, rows: slice | np.ndarray) -> GutImmuneParameters:
        """The parameters of a subset of the virtual people."""
        return GutImmuneParameters(
            pathogen=self.pathogen,
            interactions=self.interactions[rows],
            fibre_growth=self.fibre_growth[rows],
            inflammation=self.inflammation[rows],
            oxygen=self.oxygen[rows],
            susceptibility={k: v[rows] for k, v in self.susceptibility.items()},
            scalars={k: v[rows] for k, v in self.scalars.items()},
            pathogen_growth=self.pathogen_growth[rows],
            butyrate_yield=self.butyrate_yield,
            tolerogenic=self.tolerogenic,
            lps_potency=self.lps_potency,
            reference=self.reference,
            extinction_threshold=self.extinction_threshold,
            growth=None if self.growth is None else self.growth[rows],
        )


def load_parameters(n: int = 1, *, pathogen: str = "c_difficile", rng: np.random.Generator | None = None) -> GutImmuneParameters:
    """Parameters from gut_immune_parameters.tsv for ``n`` people.

    With ``rng`` each person gets an independent draw: every parameter with a
    non-zero ``sd_log`` is multiplied by ``exp(N(0, sd_log))`` (sign kept).
    Without ``rng`` all ``n`` copies are the central values.
    """
    if pathogen not in PATHOGENS:
        raise SimulationError(f"unknown pathogen {pathogen!r}; known: {', '.join(PATHOGENS)}")
    if n < 1:
        raise SimulationError("need at least one virtual person")

    def draw(value: float, sd: float, shape: tuple[int, ...] = (), *, fraction: bool = False) -> np.ndarray:
        base = np.full((n, *shape), value, dtype=np.float64)
        if rng is not None and sd > 0:
            noise = rng.normal(0.0, sd, size=base.shape)
            if fraction:  # shares stay in (0, 1): perturb on the logit scale
                logit = np.log(base / (1 - base)) + noise
                base = 1 / (1 + np.exp(-logit))
            else:
                base *= np.exp(noise)
        return base

    names = {g: i for i, g in enumerate(MICROBES)}

    def guild_key(target: str) -> int:
        key = "pathogen" if target == pathogen else target
        return names[key]

    self_lim, sd_self = lookup("self_limitation", "*")
    comp, sd_comp = lookup("competition", "*")
    reference = np.array([lookup("reference_abundance", g)[0] for g in GUILDS] + [0.0])
    if not np.isclose(reference.sum(), 1.0):
        raise SimulationError("reference guild abundances must sum to 1")
    A = draw(comp, sd_comp, (N_MIC, N_MIC))
    # guild self-limitation a_ii = s / K_i with the reference niche capacity; calibrate()
    # rescales K_i to the person (the pathogen's own row comes from the table)
    idx = np.arange(len(GUILDS))
    A[:, idx, idx] = draw(self_lim, sd_self, (len(GUILDS),)) / reference[: len(GUILDS)]
    for row in rows_of("interaction").itertuples():
        target, _, source = row.target.partition("<-")
        tgt_path, src_path = target in PATHOGENS, source in PATHOGENS
        if (tgt_path and target != pathogen) or (src_path and source != pathogen):
            continue  # the other pathogen's row
        A[:, guild_key(target), guild_key(source)] = draw(row.value, row.sd_log)

    def per_guild(parameter: str, default: float | None = None) -> np.ndarray:
        out = np.zeros((n, N_MIC))
        seen = set()
        for row in rows_of(parameter).itertuples():
            if row.target in PATHOGENS and row.target != pathogen:
                continue
            if row.target in names or row.target == pathogen:
                out[:, guild_key(row.target)] = draw(row.value, row.sd_log)
                seen.add(guild_key(row.target))
        if default is None and len(seen) < N_MIC and parameter not in ("fibre_growth_response",):
            missing = [MICROBES[i] for i in range(N_MIC) if i not in seen]
            if parameter in ("butyrate_yield", "tolerogenic_weight"):
                return out  # pathogen contributes nothing
            raise SimulationError(f"parameter {parameter!r} missing for {', '.join(missing)}")
        return out

    eps = {}
    for drug in ANTIBIOTICS:
        arr = np.zeros((n, N_MIC))
        for row in rows_of("susceptibility").itertuples():
            d, _, g = row.target.partition(":")
            if d != drug or (g in PATHOGENS and g != pathogen):
                continue
            arr[:, guild_key(g)] = draw(row.value, row.sd_log)
        eps[drug] = arr
    targets = _scalar_targets(pathogen)
    scalars = {name: draw(*lookup(name, targets[name]), fraction=name in FRACTIONS) for name in SCALARS}
    return GutImmuneParameters(
        pathogen=pathogen,
        interactions=A,
        fibre_growth=per_guild("fibre_growth_response", 0.0),
        inflammation=per_guild("inflammation_response"),
        oxygen=per_guild("oxygen_response"),
        susceptibility=eps,
        scalars=scalars,
        pathogen_growth=draw(*lookup("pathogen_growth", pathogen)),
        butyrate_yield=per_guild("butyrate_yield")[0],
        tolerogenic=per_guild("tolerogenic_weight")[0],
        lps_potency=per_guild("lps_potency")[0],
        reference=reference,
        extinction_threshold=lookup("extinction_threshold", "microbes")[0],
    )


def host_steady_state(params: GutImmuneParameters, x: np.ndarray) -> np.ndarray:
    """Host state ``(n, 5)`` in equilibrium with fixed microbes ``x`` (``(n, 7)``), no fibre change.

    Butyrate and Treg follow directly; barrier damage is the root of the
    barrier balance on [0, 1], found by bisection (see docs/simulation.md).
    """
    s = params.scalars
    ref = params.reference
    B = (x @ params.butyrate_yield) / (ref @ params.butyrate_yield) + HOST_FLOOR
    C = (x @ params.tolerogenic) / (ref @ params.tolerogenic)
    G = (x @ params.lps_potency) / (ref @ params.lps_potency)
    beta = s["butyrate_treg_share"]
    R = beta * B + (1 - beta) * C + HOST_FLOOR
    kappa = s["treg_suppression"]
    h = (1 + kappa) / (1 + kappa * R)
    b0 = s["barrier_reference"]
    D0 = 1 - b0
    K = s["butyrate_barrier_half"]
    s0 = s["butyrate_independent_repair"]
    support = s0 + (1 - s0) * B * (1 + K) / (B + K)
    k_rep = s["barrier_repair"]
    k_dmg = k_rep * D0 / b0
    ell = s["lps_activation_share"]
    tonic = s["tonic_activation_share"]
    p = x[:, N_MIC - 1] / s["pathogen_scale"]
    theta = s["effector_saturation"]
    iota = s["pathogen_immunogenicity"] * p
    delta = s["pathogen_epithelial_damage"] * p

    def effector(D: np.ndarray) -> np.ndarray:
        d = D / D0
        a = tonic + (1 - tonic) * (ell * (d * G + HOST_FLOOR) + (1 - ell) * d) + iota
        return a * (1 + theta) / (a + theta) * h

    # barrier balance k_rep s(B) D = k_dmg (E(D) + delta) (1 - D): negative at D = 0
    # (or zero), positive at D = 1, so bisection on [0, 1] finds the steady state.
    lo = np.zeros_like(B)
    hi = np.ones_like(B)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        f = k_rep * support * mid - k_dmg * (effector(mid) + delta) * (1 - mid)
        hi = np.where(f > 0, mid, hi)
        lo = np.where(f > 0, lo, mid)
    D = 0.5 * (lo + hi)
    d = D / D0
    L = d * G + HOST_FLOOR
    E = effector(D)
    return np.stack([B, 1 - D, L, E, R], axis=1)


def calibrate(params: GutImmuneParameters, x0: np.ndarray) -> np.ndarray:
    """Set ``params.growth`` so ``x0`` (``(n, 7)``) is an equilibrium; return the full initial state ``(n, 12)``.

    Call once per parameter set (it also sets each guild's niche capacity).
    """
    if params.growth is not None:
        raise SimulationError("these parameters are already calibrated; load a fresh set")
    n = params.n
    x0 = np.broadcast_to(np.asarray(x0, dtype=np.float64), (n, N_MIC)).copy()
    if np.any(x0 < 0) or not np.all(np.isfinite(x0)):
        raise SimulationError("initial guild abundances must be finite and >= 0")
    ref = np.broadcast_to(params.reference, (n, N_MIC))
    # niche capacity K_i = max(person, reference): a_ii = s / K_i
    idx = np.arange(len(GUILDS))
    capacity = np.maximum(x0[:, idx], ref[:, idx])
    params.interactions[:, idx, idx] *= ref[:, idx] / capacity
    host = host_steady_state(params, x0)
    feedback = params.inflammation * np.log(host[:, [3]]) + params.oxygen * (1 - host[:, [0]])
    r_person = -(np.einsum("nij,nj->ni", params.interactions, x0) + feedback)
    # absent guilds (capacity = reference): the growth rate that makes the reference an equilibrium
    r_ref = -np.einsum("nij,nj->ni", params.interactions, ref)
    growth = np.where(x0 > 0, r_person, r_ref)
    # the pathogen keeps its own intrinsic growth rate unless the person already carries it
    growth[:, -1] = np.where(x0[:, -1] > 0, r_person[:, -1], params.pathogen_growth)
    params.growth = growth
    return np.concatenate([x0, host], axis=1)


@dataclass
class Interventions:
    """What happens to the virtual people, in days from the start."""

    courses: Sequence[Course] = ()
    pulses: Sequence[Pulse] = ()
    fibre: float = 0.0  # relative change of fibre intake (0.3 = +30 %)
    breakpoints: Sequence[float] = field(default_factory=tuple)


class GutImmuneModel:
    """Vectorised right-hand side of the gut-immune model for ``n`` people."""

    def __init__(self, params: GutImmuneParameters, fibre: float = 0.0) -> None:
        if params.growth is None:
            raise SimulationError("calibrate() the parameters to a starting state first")
        if fibre <= -1:
            raise SimulationError("fibre change must be above -100%")
        self.params = params
        self.fibre = float(fibre)
        s = params.scalars
        self.r_eff = params.growth * (1 + params.fibre_growth * self.fibre)
        ref = params.reference
        self.inv_P_ref = 1.0 / (ref @ params.butyrate_yield)
        self.inv_C_ref = 1.0 / (ref @ params.tolerogenic)
        self.inv_G_ref = 1.0 / (ref @ params.lps_potency)
        b0 = s["barrier_reference"]
        cols = {
            "k_E": s["effector_decay"],
            "k_R": s["treg_decay"],
            "k_rep": s["barrier_repair"],
            "k_dmg": s["barrier_repair"] * (1 - b0) / b0,
            "inv_D0": 1.0 / (1 - b0),
            "K": s["butyrate_barrier_half"],
            "s0": s["butyrate_independent_repair"],
            "kappa": s["treg_suppression"],
            "ell": s["lps_activation_share"],
            "tonic": s["tonic_activation_share"],
            "theta": s["effector_saturation"],
            "beta": s["butyrate_treg_share"],
            "fib_B": 1 + s["fibre_butyrate_response"] * self.fibre,
            "iota": s["pathogen_immunogenicity"] / s["pathogen_scale"],
            "delta": s["pathogen_epithelial_damage"] / s["pathogen_scale"],
        }
        self._col = {k: i for i, k in enumerate(cols)}
        self._S = np.stack([np.asarray(cols[k], dtype=np.float64) for k in cols], axis=1)  # (n, k)
        self._shared_A = bool(np.all(params.interactions == params.interactions[:1]))
        # per-person vectors of the microbial rate, stacked so one gather serves them all:
        # [growth (with fibre), inflammation response, oxygen response]
        self._V = np.stack([self.r_eff, params.inflammation, params.oxygen], axis=1)  # (n, 3, 7)

    def _take(self, arr: np.ndarray, rows: np.ndarray, full: bool) -> np.ndarray:
        return arr if full else arr[rows]

    def fast_host(self, x: np.ndarray, b: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Butyrate and translocated LPS in quasi-steady state (see module docstring)."""
        p = self.params
        col = self._col
        # weights in the state's dtype: a float32 trajectory is not copied to float64 for a dot product
        B = (x @ p.butyrate_yield.astype(x.dtype, copy=False)) * self.inv_P_ref * S[..., col["fib_B"]] + HOST_FLOOR
        G = (x @ p.lps_potency.astype(x.dtype, copy=False)) * self.inv_G_ref
        L = (1 - b) * S[..., col["inv_D0"]] * G + HOST_FLOOR
        return B, L

    def rhs(self, y: np.ndarray, rows: np.ndarray, control: Mapping[str, float] | None) -> np.ndarray:
        """``d log(state) / dt`` of the integrated state (microbes, barrier, effector, treg)."""
        p = self.params
        full = rows.size == p.n
        z = np.exp(y)
        x = z[:, :N_MIC]
        b, E, R = z[:, N_MIC], z[:, N_MIC + 1], z[:, N_MIC + 2]
        S = self._take(self._S, rows, full)
        k_E, k_R, k_rep, k_dmg, inv_D0, K, s0, kappa, ell, tonic, theta, beta, fib_B, iota, delta = S.T
        B, L = self.fast_host(x, b, S)
        if self._shared_A:
            rate = x @ p.interactions[0].T
        else:
            rate = np.einsum("mij,mj->mi", self._take(p.interactions, rows, full), x)
        V = self._take(self._V, rows, full)
        rate += V[:, 0]
        for drug, u in (control or {}).items():
            if u:
                rate += u * self._take(p.susceptibility[drug], rows, full)
        rate += V[:, 1] * np.log(E)[:, None]
        rate += V[:, 2] * (1 - B)[:, None]
        out = np.empty_like(y)
        out[:, :N_MIC] = rate
        C = (x @ p.tolerogenic) * self.inv_C_ref
        path = x[:, N_MIC - 1]
        d = (1 - b) * inv_D0
        support = s0 + (1 - s0) * B * (1 + K) / (B + K)
        h = (1 + kappa) / (1 + kappa * R)
        out[:, N_MIC] = k_rep * (1 - b) * support / b - k_dmg * (E + delta * path)
        act = tonic + (1 - tonic) * (ell * L + (1 - ell) * d) + iota * path
        out[:, N_MIC + 1] = k_E * (act * (1 + theta) / (act + theta) * h / E - 1)
        out[:, N_MIC + 2] = k_R * ((beta * B + (1 - beta) * C + HOST_FLOOR) / R - 1)
        return out

    def jacobian(self, y: np.ndarray, rows: np.ndarray, control: Mapping[str, float] | None) -> np.ndarray:
        """``d rhs / d y`` (``(m, 10, 10)``) of :meth:`rhs`, analytic (for the Rosenbrock steps).

        Columns are derivatives with respect to log-states, so a microbe's
        column carries its density ``x_h`` (``d/d ln x_h = x_h d/d x_h``).  The
        antibiotic input is constant within a segment and does not appear.
        """
        p = self.params
        full = rows.size == p.n
        m = y.shape[0]
        z = np.exp(y)
        x = z[:, :N_MIC]
        b, E, R = z[:, N_MIC], z[:, N_MIC + 1], z[:, N_MIC + 2]
        S = self._take(self._S, rows, full)
        k_E, k_R, k_rep, k_dmg, inv_D0, K, s0, kappa, ell, tonic, theta, beta, fib_B, iota, delta = S.T
        B, L = self.fast_host(x, b, S)
        ib, ie, ir = N_MIC, N_MIC + 1, N_MIC + 2
        jac = np.zeros((m, len(DYNAMIC), len(DYNAMIC)))
        # d B / d ln x_h, d G / d ln x_h (G: translocatable LPS), d C / d ln x_h
        dB = x * p.butyrate_yield * (self.inv_P_ref * fib_B)[:, None]
        G = (x @ p.lps_potency) * self.inv_G_ref
        dG = x * p.lps_potency * self.inv_G_ref
        dC = x * p.tolerogenic * self.inv_C_ref
        # microbes: rate_g = r_g + sum_h a_gh x_h + ... + phi_g ln E + omega_g (1 - B)
        A = p.interactions[0][None] if self._shared_A else self._take(p.interactions, rows, full)
        V = self._take(self._V, rows, full)
        jac[:, :N_MIC, :N_MIC] = A * x[:, None, :] - V[:, 2, :, None] * dB[:, None, :]
        jac[:, :N_MIC, ie] = V[:, 1]
        # barrier: f_b = k_rep (1 - b) s(B) / b - k_dmg (E + delta p)
        support = s0 + (1 - s0) * B * (1 + K) / (B + K)
        d_support = (1 - s0) * (1 + K) * K / (B + K) ** 2
        jac[:, ib, :N_MIC] = (k_rep * (1 - b) / b * d_support)[:, None] * dB
        jac[:, ib, N_MIC - 1] -= k_dmg * delta * x[:, N_MIC - 1]
        jac[:, ib, ib] = -k_rep * support / b
        jac[:, ib, ie] = -k_dmg * E
        # effector: f_E = k_E (sat(act) h(R) / E - 1)
        d = (1 - b) * inv_D0
        act = tonic + (1 - tonic) * (ell * L + (1 - ell) * d) + iota * x[:, N_MIC - 1]
        sat = act * (1 + theta) / (act + theta)
        d_sat = (1 + theta) * theta / (act + theta) ** 2
        h = (1 + kappa) / (1 + kappa * R)
        d_act = (1 - tonic) * ell * (1 - b) * inv_D0
        common = k_E * h / E * d_sat
        jac[:, ie, :N_MIC] = (common * d_act)[:, None] * dG
        jac[:, ie, N_MIC - 1] += common * iota * x[:, N_MIC - 1]
        jac[:, ie, ib] = common * (1 - tonic) * (-inv_D0 * b) * (ell * G + (1 - ell))
        jac[:, ie, ie] = -k_E * sat * h / E
        jac[:, ie, ir] = -k_E * sat / E * kappa * (1 + kappa) * R / (1 + kappa * R) ** 2
        # Treg: f_R = k_R ((beta B + (1 - beta) C + floor) / R - 1)
        target = beta * B + (1 - beta) * (x @ p.tolerogenic) * self.inv_C_ref + HOST_FLOOR
        jac[:, ir, :N_MIC] = (k_R / R)[:, None] * (beta[:, None] * dB + (1 - beta)[:, None] * dC)
        jac[:, ir, ir] = -k_R * target / R
        return jac

    def run(
        self,
        state0: np.ndarray,
        days: float,
        *,
        courses: Sequence[Course] = (),
        pulses: Sequence[Pulse] = (),
        t_eval: Sequence[float] | None = None,
        atol: float = 1e-6,
        out_dtype: type = np.float64,
        stats: IntegrationStats | None = None,
        chunk: int = 5000,
        method: str = "auto",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Integrate all people; returns ``(times, states)`` with states ``(n, times, 12)``.

        People are integrated in vectorised batches of ``chunk`` rows (5,000 was
        fastest on benchmarks/bench_simulate.py: smaller batches repeat the
        per-iteration overhead while the slowest people finish, larger ones leave
        the cache).  ``method``: ``"auto"`` (per person DOPRI5 or ROS4 with the
        analytic :meth:`jacobian`, dense output), ``"dopri5"`` or ``"ros4"``; see
        :func:`~.integrate.integrate_log`.
        """
        n = self.params.n
        if n > chunk:
            state0 = np.atleast_2d(np.asarray(state0, dtype=np.float64))
            parts = []
            for start in range(0, n, chunk):
                rows = slice(start, min(start + chunk, n))
                sub = GutImmuneModel(self.params.take(rows), fibre=self.fibre)
                sub_pulses = [
                    Pulse(pl.time, np.asarray(pl.amount)[rows] if np.ndim(pl.amount) == 2 else pl.amount) for pl in pulses
                ]
                times, states = sub.run(state0[rows], days, courses=courses, pulses=sub_pulses, t_eval=t_eval,
                                        atol=atol, out_dtype=out_dtype, stats=stats, chunk=chunk, method=method)
                parts.append(states)
            return times, np.concatenate(parts, axis=0)
        for course in courses:
            if course.drug not in self.params.susceptibility:
                raise SimulationError(f"unknown antibiotic {course.drug!r}; known: {', '.join(ANTIBIOTICS)}")
        times = np.arange(0.0, days + 1e-9, 1.0) if t_eval is None else np.asarray(t_eval, dtype=np.float64)
        if times[-1] < days:
            times = np.append(times, days)

        def control(t: float) -> dict[str, float]:
            signal: dict[str, float] = {}
            for c in courses:
                signal[c.drug] = signal.get(c.drug, 0.0) + c.signal(t)
            return signal

        state0 = np.atleast_2d(np.asarray(state0, dtype=np.float64))
        if state0.shape != (self.params.n, len(STATE)):
            raise SimulationError(f"initial state must be ({self.params.n}, {len(STATE)})")
        extinct = np.zeros(len(DYNAMIC), dtype=bool)
        extinct[:N_MIC] = True
        pulses = [Pulse(pl.time, self._pulse_amount(pl.amount)) for pl in pulses]
        dyn = integrate_log(
            self.rhs,
            to_log(state0[:, DYNAMIC_INDEX]),
            times,
            control=control,
            breakpoints=[b for c in courses for b in (c.start, c.end)],
            pulses=pulses,
            extinct_log=float(np.log(self.params.extinction_threshold)),
            extinct_components=extinct,
            atol=atol,
            out_dtype=out_dtype,
            stats=stats,
            method=method,
            jacobian=getattr(self, "jacobian", None) if method != "dopri5" else None,
        )
        states = np.empty((*dyn.shape[:2], len(STATE)), dtype=out_dtype)
        states[..., DYNAMIC_INDEX] = dyn
        B, L = self.fast_host(dyn[..., :N_MIC], dyn[..., N_MIC], self._S[:, None, :])
        states[..., STATE.index("butyrate")] = B
        states[..., STATE.index("lps")] = L
        return times, states

    @staticmethod
    def _pulse_amount(amount: np.ndarray) -> np.ndarray:
        """A pulse over the microbes (7) or the full state (12) -> over the integrated state."""
        amount = np.asarray(amount, dtype=np.float64)
        if amount.shape[-1] == N_MIC:
            pad = np.zeros((*amount.shape[:-1], len(DYNAMIC) - N_MIC))
            return np.concatenate([amount, pad], axis=-1)
        if amount.shape[-1] == len(STATE):
            if np.any(amount[..., N_MIC:] != 0):
                raise SimulationError("inoculations can only add microbes")
            return amount[..., DYNAMIC_INDEX]
        raise SimulationError("an inoculation needs one amount per microbial guild")

    def derivative(self, state: np.ndarray, control: Mapping[str, float] | None = None) -> np.ndarray:
        """Linear-space ``d/dt`` of the integrated state (:data:`DYNAMIC`) for all people (reference solvers)."""
        state = np.atleast_2d(state)
        with np.errstate(divide="ignore"):
            y = np.log(state)
        dlog = self.rhs(y, np.arange(state.shape[0]), control)
        return state * dlog
