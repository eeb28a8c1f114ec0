"""Reading the model's parameter tables (simulate/data) with their provenance."""

from __future__ import annotations

from functools import cache
from importlib import resources
from io import StringIO

import numpy as np
import pandas as pd

from ..errors import SimulationError

EVIDENCE = {"fitted-model (mouse)", "fitted (mouse time series)", "derived", "assumed", "measured"}


def data_text(name: str) -> str:
    """The text of the data file ``name`` shipped in ``gutbalance/simulate/data``."""
    return resources.files("gutbalance.simulate").joinpath("data", name).read_text(encoding="utf-8")


def read_table(name: str) -> pd.DataFrame:
    """The data file ``name`` as a table of strings (``#`` lines are comments, nothing is read as missing)."""
    return pd.read_csv(StringIO(data_text(name)), sep="\t", comment="#", dtype=str, keep_default_na=False)


@cache
def leber_rates() -> pd.DataFrame:
    """Kinetic-law parameters of the Leber et al. 2015 SBML model (see scripts/build_leber_params.py)."""
    table = read_table("leber2015_rates.tsv")
    table["value"] = table["value"].astype(float)
    return table.set_index(["reaction", "parameter"])


@cache
def fitted_susceptibility() -> pd.DataFrame:
    """Per-guild antibiotic responses fitted from mouse time series (scripts/derive_fitted_susceptibility.py)."""
    table = read_table("fitted_susceptibility.tsv")
    for col in ("fitted_effect", "sd", "p05", "p95", "value", "abundance_share"):
        table[col] = table[col].astype(float)
    return table.set_index(["drug", "guild"])


@cache
def parameter_table() -> pd.DataFrame:
    """All gut-immune model parameters, values resolved to floats, with source and evidence.

    Raises
    ------
    SimulationError
        If a row has no source, an unknown evidence level, or a Leber or
        fitted reference that is not in its table.
    """
    table = read_table("gut_immune_parameters.tsv")
    values = []
    for row in table.itertuples():
        if not row.source.strip():
            raise SimulationError(f"parameter {row.parameter}/{row.target} has no source")
        if row.evidence not in EVIDENCE:
            raise SimulationError(f"parameter {row.parameter}/{row.target}: unknown evidence {row.evidence!r}")
        if row.value.startswith("leber2015:"):
            reaction, _, param = row.value.removeprefix("leber2015:").partition("/")
            try:
                values.append(float(leber_rates().loc[(reaction, param), "value"]))
            except KeyError:
                raise SimulationError(f"no Leber 2015 parameter {row.value!r}") from None
        elif row.value.startswith("fitted:"):
            drug, _, guild = row.value.removeprefix("fitted:").partition("/")
            try:
                values.append(float(fitted_susceptibility().loc[(drug, guild), "value"]))
            except KeyError:
                raise SimulationError(f"no fitted response {row.value!r} in fitted_susceptibility.tsv") from None
        else:
            values.append(float(row.value))
    out = table.copy()
    out["reference"] = table["value"]
    out["value"] = np.array(values, dtype=np.float64)
    out["sd_log"] = table["sd_log"].astype(float)
    return out


def lookup(parameter: str, target: str) -> tuple[float, float]:
    """``(value, sd_log)`` of one parameter; raises if absent."""
    table = parameter_table()
    hit = table[(table["parameter"] == parameter) & (table["target"] == target)]
    if hit.empty:
        raise SimulationError(f"no parameter {parameter!r} for {target!r}")
    return float(hit["value"].iloc[0]), float(hit["sd_log"].iloc[0])


def rows_of(parameter: str) -> pd.DataFrame:
    """Every row of parameter ``parameter`` (one per target) of :func:`parameter_table`."""
    table = parameter_table()
    return table[table["parameter"] == parameter]


@cache
def probiotic_table() -> pd.DataFrame:
    """The probiotics and transplants ``--probiotic`` accepts (index ``name``), with the guild each adds to and its default daily dose."""
    table = read_table("probiotics.tsv")
    table["default_dose"] = table["default_dose"].astype(float)
    return table.set_index("name")


@cache
def guild_taxonomy() -> pd.DataFrame:
    """The rule assigning measured taxa to the model's guilds (``guild_taxonomy.tsv``)."""
    return read_table("guild_taxonomy.tsv")
