"""The pillars' constants: the half-saturation constants and thresholds of
``data/parameters.tsv`` (:func:`parameters`), the saturation :func:`_h` they
parameterise, the diversity floor and the vitamin and quinone trait groups.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

import numpy as np
import pandas as pd

from ..citations import Citations, packaged, read_data_table

B_VITAMINS = tuple(f"vitamin_{v}_synthesis" for v in ("b1", "b2", "b3", "b5", "b6", "b7", "b9", "b12"))
QUINONES = ("menaquinone_synthesis", "ubiquinone_synthesis")


#: How the rows of ``data/parameters.tsv`` cite their values: the ``status``
#: column ("sourced" = reported, or assumed), a doi:/pmid: when sourced.
PARAMETER_CITATIONS = Citations(evidence="status", host=None, levels=("reported", "assumed"))


@lru_cache(maxsize=1)
def parameters() -> dict[str, float]:
    """The pillar parameters from ``data/parameters.tsv``.

    Raises
    ------
    DataTableError
        A row whose status, source or value breaks the rules (file, line, column).
    """
    table = read_data_table(packaged("gutbalance.pillars", "parameters.tsv"), required=("parameter", "value"),
                            citations=PARAMETER_CITATIONS)
    out = {}
    for row in table.rows:
        try:
            out[str(row["parameter"])] = float(row["value"])
        except ValueError:
            raise table.error(f"value {row['value']!r} is not a number", line=int(row["line"]), column="value") from None
    return out


#: What :func:`_h` saturates: one trait share per sample, or a table of them.
_Shares = TypeVar("_Shares", np.ndarray, pd.DataFrame)


def _h(x: _Shares, k: float) -> _Shares:
    return x / (x + k)


#: Relative abundance below which a taxon is detected or missed depending
#: on sequencing depth: the pseudocount of the shared response and the
#: half-saturation of the cross-feeding gate, so a share this small barely
#: moves either.
DIVERSITY_FLOOR = 0.001

#: Relative abundance below which a taxon is left out of the GMHI and GMWI2
#: components of homeostasis (:func:`floored_cohort`).  The published indices
#: count markers present above 0.001 % and 0.00001, which follow sequencing
#: depth; 0.03 % keeps them within reach of a shallow shotgun run and
#: was chosen, of 0.01, 0.03 and 0.1 %, by the leave-one-study-out rule of
#: docs/validation.md ("Re-calibrated after the index floor of 0.03 %").
INDEX_FLOOR = 0.0003
