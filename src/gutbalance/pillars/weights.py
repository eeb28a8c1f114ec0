"""Weighing the components into pillars and the pillars into
``immune_support``: the shipped calibration (``data/calibration.json``),
the weights before calibration and the literature's share of them, and the
weighted means themselves.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from ..knowledge.schema import PILLARS
from .components import COMPONENTS


@lru_cache(maxsize=1)
def calibration() -> dict:
    """The shipped calibration (``data/calibration.json``): component weights
    per pillar, pillar weights of ``immune_support``, the components the fit
    left out because their direction contradicted the literature in a study
    (they keep only their literature share), and the provenance of the fit."""
    text = resources.files("gutbalance.pillars").joinpath("data/calibration.json").read_text("utf-8")
    data = json.loads(text)
    for pillar in PILLARS:
        weights = data["components"][pillar]
        known = {c.name for c in COMPONENTS if c.pillar == pillar}
        if set(weights) != known:
            raise ValueError(
                f"calibration.json: {pillar} has components {sorted(weights)}, the code {sorted(known)}: "
                "re-run scripts/calibrate_pillars.py"
            )
        if any(w < 0 for w in weights.values()) or not np.isclose(sum(weights.values()), 1.0):
            raise ValueError(f"calibration.json: {pillar} weights must be >= 0 and sum to 1")
    if any(w < 0 for w in data["pillars"].values()) or not np.isclose(sum(data["pillars"].values()), 1.0):
        raise ValueError("calibration.json: pillar weights must be >= 0 and sum to 1")
    return data


def with_literature_share(fitted: dict, share: float) -> dict:
    """Weights that keep ``share`` of each component's (and pillar's) prior
    weight, the fit distributing the rest: a pillar stays the combination
    the literature describes while the data decide which parts separate
    health from disease.  A component the calibration excluded (its
    direction contradicted the literature in a study: ``fitted["excluded"]``)
    has fitted weight 0 and keeps only its prior share."""
    prior = prior_calibration()
    out = dict(fitted)
    out["components"] = {
        p: {n: share * prior["components"][p][n] + (1 - share) * w for n, w in ws.items()}
        for p, ws in fitted["components"].items()
    }
    out["pillars"] = {p: share * prior["pillars"][p] + (1 - share) * w for p, w in fitted["pillars"].items()}
    out["literature_share"] = share
    out["fitted"] = {"components": fitted["components"], "pillars": fitted["pillars"]}
    return out


def prior_calibration() -> dict:
    """The weights before calibration (each component's ``prior``,
    normalised per pillar; pillars equal)."""
    components = {}
    for pillar in PILLARS:
        own = [c for c in COMPONENTS if c.pillar == pillar]
        total = sum(c.prior for c in own)
        components[pillar] = {c.name: c.prior / total for c in own}
    return {
        "components": components,
        "pillars": {p: 1.0 / len(PILLARS) for p in PILLARS},
    }


def weigh(components: pd.DataFrame, cal: dict | None = None) -> pd.DataFrame:
    """The pillars (0-100) and ``immune_support`` from components (0-1) and
    a calibration (the shipped one by default)."""
    cal = calibration() if cal is None else cal
    out = {}
    for pillar in PILLARS:
        weights = cal["components"][pillar]
        total = np.zeros(len(components))
        for name, w in weights.items():
            if w:
                total = total + w * np.nan_to_num(components[f"{pillar}.{name}"].to_numpy())
        renorm = reweighting(components, cal, pillar)
        if renorm is not None:
            total = total * renorm
        out[pillar] = 100.0 * np.clip(total, 0.0, 1.0)
    table = pd.DataFrame(out, index=components.index)
    overall = sum(cal["pillars"][p] * table[p].to_numpy() for p in PILLARS)
    table.insert(0, "immune_support", overall)
    return table


def reweighting(components: pd.DataFrame, cal: dict, pillar: str) -> np.ndarray | None:
    """Per sample, the factor that spreads the weight of ``pillar``'s
    components that cannot describe the sample (NaN: GMHI and GMWI2 of an
    input not resolved to species) over its other components, so the pillar
    stays a weighted mean of what was measured: 1 / (the weights of the
    components present), 1 where every component is present.  None when
    every sample has every component (the common case, left untouched)."""
    names = [name for name, w in cal["components"][pillar].items() if w]
    values = components[[f"{pillar}.{name}" for name in names]].to_numpy()
    absent = np.isnan(values)
    if not absent.any():
        return None
    # Summed weight by weight, as `weigh` sums the components: a matrix
    # product's last bit can depend on how many rows the batch has (the BLAS
    # kernel blocks rows), and a sample's row must not depend on its batch.
    present = np.zeros(len(values))
    for j, name in enumerate(names):
        present = present + cal["components"][pillar][name] * (~absent[:, j])
    rows = absent.any(axis=1)
    factor = np.ones(len(values))
    factor[rows] = np.divide(1.0, present[rows], out=np.full(rows.sum(), np.nan), where=present[rows] > 0)
    return factor
