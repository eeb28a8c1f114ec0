"""The five pillar scores (0-100) read off the model state.

Every quantity is compared with the healthy reference state of the model
(reference guild composition, host variables at 1, barrier at ``b0``); a score
is 100 at or beyond the reference and falls in proportion below it:

``training``     sqrt(min(1, Treg) * min(1, C / C_ref)): regulatory T-cell activity and the
                 tolerogenic commensals that teach it (butyrate producers, Bacteroidales,
                 bifidobacteria/lactobacilli).
``homeostasis``  min(1, Treg / effector): regulatory vs inflammatory balance.
``nutrients``    min(1, butyrate).
``barrier``      sqrt(min(1, b / b0) * min(1, 1 / LPS)): barrier integrity and translocated LPS.
``defense``      sqrt(min(1, O / O_ref) * min(1, Ent_ref / (Ent + pathogen))): obligate-anaerobe
                 commensal load (colonisation resistance) and the Enterobacteriaceae + pathogen
                 bloom.

These are model-state scores for simulated trajectories; they share names and
intent with :mod:`gutbalance.pillars` (scores of measured profiles) but are not
the same formulas (docs/simulation.md).
"""

from __future__ import annotations

import numpy as np

from .gut_immune import GUILDS, MICROBES, N_MIC, OBLIGATE_ANAEROBES, STATE, GutImmuneParameters

PILLARS = ["training", "homeostasis", "nutrients", "barrier", "defense"]


def pillar_scores(states: np.ndarray, params: GutImmuneParameters) -> np.ndarray:
    """Scores ``(..., 5)`` from states ``(..., 12)`` (any leading shape)."""
    s = np.asarray(states, dtype=np.float64)
    x = s[..., :N_MIC]
    B = s[..., STATE.index("butyrate")]
    b = s[..., STATE.index("barrier")]
    L = s[..., STATE.index("lps")]
    E = s[..., STATE.index("effector")]
    R = s[..., STATE.index("treg")]
    ref = params.reference
    b0 = float(np.mean(params.scalars["barrier_reference"]))
    C = (x @ params.tolerogenic) / (ref @ params.tolerogenic)
    anaerobes = [MICROBES.index(g) for g in OBLIGATE_ANAEROBES]
    anaerobe_load = x[..., anaerobes].sum(axis=-1) / ref[anaerobes].sum()
    ent = MICROBES.index("enterobacteriaceae")
    bloom = x[..., ent] + x[..., N_MIC - 1]
    ent_ref = ref[GUILDS.index("enterobacteriaceae")]

    def cap(v):
        return np.minimum(1.0, v)

    with np.errstate(divide="ignore", invalid="ignore"):
        training = np.sqrt(cap(R) * cap(C))
        homeostasis = cap(R / E)
        nutrients = cap(B)
        barrier = np.sqrt(cap(b / b0) * cap(1.0 / L))
        defense = np.sqrt(cap(anaerobe_load) * cap(np.where(bloom > 0, ent_ref / bloom, 1.0)))
    return 100.0 * np.stack([training, homeostasis, nutrients, barrier, defense], axis=-1)
