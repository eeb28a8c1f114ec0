"""Reading the model's parameter tables (simulate/data) with their provenance.

Every table is read by :func:`gutbalance.citations.read_data_table`; the
parameter and probiotic tables cite each row (an evidence level, in the
spellings ``fitted-model (mouse)``, ``fitted (mouse time series)``,
``derived``, ``assumed``, ``measured``, read as the one vocabulary's
``fitted_model``, ``derived``, ``assumed``, ``experiment``; and a citation in
words), the others in their header.
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..citations import Citations, DataTable, packaged, read_data_table
from ..errors import SimulationError

#: How the parameter and probiotic tables cite each row: a level of the one
#: vocabulary (older spellings accepted) and a citation in words, never empty.
PARAMETER_CITATIONS = Citations(
    host=None, levels=("experiment", "fitted_model", "derived", "assumed"), identifier=False, assumed_unsourced=False
)


def data_table(name: str, *, citations: Citations | None = None, header_cites: bool = False) -> DataTable:
    """One table of ``simulate/data`` as read (header comment, text rows)."""
    return read_data_table(packaged("gutbalance.simulate", name), citations=citations, header_cites=header_cites)


def numeric_frame(table: DataTable, index: str) -> pd.DataFrame:
    """A table of numbers indexed by ``index``: whole-number columns as
    int64, the others float64, each parsed by Python (exact)."""
    frame = table.frame()

    def number(column: pd.Series) -> pd.Series:
        whole = column.str.fullmatch(r"-?\d+").all()
        return column.astype("int64" if whole else "float64") if column.name != index or whole else column

    return frame.apply(number).set_index(index)


def data_text(name: str) -> str:
    """The text of one table of ``simulate/data``."""
    return packaged("gutbalance.simulate", name).read_text(encoding="utf-8")


def read_table(name: str, *, citations: Citations | None = None) -> pd.DataFrame:
    """One table of ``simulate/data`` as text columns (with ``evidence_level``
    and ``host`` when ``citations`` are checked)."""
    return data_table(name, citations=citations).frame()


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
    for col in ("fitted_effect", "sd", "p05", "p95", "observed_rate", "value", "abundance_share"):
        table[col] = table[col].astype(float)
    return table.set_index(["drug", "guild"])


@cache
def parameter_table() -> pd.DataFrame:
    """All gut-immune model parameters, values resolved to floats, with source and evidence.

    Raises
    ------
    DataTableError
        If a row has no source or an unknown evidence level (file, line, column).
    SimulationError
        If a Leber or fitted reference is not in its table.
    """
    table = read_table("gut_immune_parameters.tsv", citations=PARAMETER_CITATIONS)
    values = []
    row: Any  # a row of text columns (pandas-stubs type itertuples' fields as any scalar)
    for row in table.itertuples():
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


class ParameterRow(NamedTuple):
    """One target's row of a parameter: its resolved value and log-normal uncertainty."""

    target: str
    value: float
    sd_log: float


def parameter_rows(parameter: str) -> list[ParameterRow]:
    """:func:`rows_of` as typed rows, in the table's order."""
    rows = rows_of(parameter)
    return [ParameterRow(str(target), float(value), float(sd))
            for target, value, sd in zip(rows["target"], rows["value"], rows["sd_log"], strict=True)]


@cache
def probiotic_table() -> pd.DataFrame:
    """The probiotics and transplants ``--probiotic`` accepts (index ``name``), with the guild each adds to and its default daily dose."""
    table = read_table("probiotics.tsv", citations=PARAMETER_CITATIONS)
    table["default_dose"] = table["default_dose"].astype(float)
    return table.set_index("name")


@cache
def guild_taxonomy() -> pd.DataFrame:
    """The rule assigning measured taxa to the model's guilds (``guild_taxonomy.tsv``)."""
    return read_table("guild_taxonomy.tsv")


#: How the Gram-stain lineage table cites each row: an identifier, an evidence level and a host.
GRAM_LINEAGE_CITATIONS = Citations()


@cache
def gram_stain_lineage() -> dict[tuple[str, str], float]:
    """Gram-stain calls of whole lineages (``gram_stain_lineage.tsv``): ``(rank, lower-case name) -> gram_negative``.

    1 Gram-negative, 0 Gram-positive, NaN a cited "no call" (the wall-less
    mollicutes).  Synonyms (older names) map to the same call.  Each row cites a DOI, an
    evidence level and a host (checked when read).
    """
    table = read_table("gram_stain_lineage.tsv", citations=GRAM_LINEAGE_CITATIONS)
    calls: dict[tuple[str, str], float] = {}
    row: Any  # a row of text columns (pandas-stubs type itertuples' fields as any scalar)
    for row in table.itertuples():
        if row.gram_negative not in ("0", "1", ""):
            raise SimulationError(f"gram_stain_lineage.tsv line {row.line}: gram_negative must be 0, 1 or empty "
                                  f"(no call), got {row.gram_negative!r}")
        value = float(row.gram_negative) if row.gram_negative else np.nan
        for name in [row.taxon, *filter(None, str(row.synonyms).split("|"))]:
            calls[(str(row.rank), name.strip().lower())] = value
    return calls
