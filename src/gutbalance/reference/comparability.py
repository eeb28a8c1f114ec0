"""Which reference a sample can be compared with: the same kind of input.

Richness, Shannon, GMHI, GMWI2 and the pillars all depend on what the
profiler can name and at which rank: mOTUs 3 names about a third more
species in a stool metagenome than MetaPhlAn 3, a Kraken report places reads
in a much larger database, and a genus-level 16S table counts genera.  A
percentile against a reference of another kind measures the profilers, not
the person.  So a percentile is given only when the sample's *kind* (profiler
family and ``diversity_rank``) is the reference population's; otherwise it
is missing and the sample's warnings say why.

Profiler families are read from what the file says: the format
(``metaphlan``, ``kraken``) and, for CAMI and tables, the database line
(``motus``, ``mpa_v``).  A BIOM or CSV table that does not name its profiler
is of unknown kind and is compared with nothing.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

UNKNOWN = "unknown"
_FAMILY_BY_FORMAT = {"metaphlan": "MetaPhlAn", "kraken": "Kraken"}
_FAMILY_BY_DATABASE = [
    (re.compile(r"motus", re.IGNORECASE), "mOTUs"),
    (re.compile(r"mpa_v|metaphlan|chocophlan", re.IGNORECASE), "MetaPhlAn"),
    (re.compile(r"kraken|bracken", re.IGNORECASE), "Kraken"),
]


def profiler_family(source_format: str, database: str) -> str:
    """The profiler family of one input ('MetaPhlAn', 'mOTUs', 'Kraken' or 'unknown')."""
    family = _FAMILY_BY_FORMAT.get(str(source_format or "").lower())
    if family:
        return family
    for pattern, name in _FAMILY_BY_DATABASE:
        if pattern.search(str(database or "")):
            return name
    return UNKNOWN


def sample_kinds(samples: pd.DataFrame, rank: pd.Series) -> pd.DataFrame:
    """``profiler`` and ``rank`` of every sample (index like ``samples``)."""
    fmt = samples["source_format"] if "source_format" in samples else pd.Series("", index=samples.index)
    db = samples["database"] if "database" in samples else pd.Series("", index=samples.index)
    families = [profiler_family(f, d) for f, d in zip(fmt.fillna("").astype(str), db.fillna("").astype(str), strict=True)]
    return pd.DataFrame({"profiler": families, "rank": rank.reindex(samples.index).fillna("").astype(str)},
                        index=samples.index)


def describe(kind: dict | None) -> str:
    if not kind:
        return "unknown kind"
    profiler = kind.get("profiler") or UNKNOWN
    rank = kind.get("rank") or "no"
    return f"{profiler if profiler != UNKNOWN else 'an unnamed profiler'}, {rank}-level"


def not_comparable_notes(kinds: pd.DataFrame, reference_kind: dict | None, reference_label: str) -> list[str]:
    """One note per sample: "" when its percentiles are comparable with the
    reference, else why not.  A reference without a kind (built before
    gutbalance recorded kinds) is compared with everything."""
    if not reference_kind:
        return [""] * len(kinds)
    want = (reference_kind.get("profiler"), reference_kind.get("rank"))
    notes = []
    for profiler, rank in kinds.itertuples(index=False):
        if (profiler, rank) == want and profiler != UNKNOWN:
            notes.append("")
        else:
            notes.append(
                f"percentiles not comparable: the {reference_label} is {describe(reference_kind)} profiles, "
                f"this sample is {describe({'profiler': profiler, 'rank': rank})}"
            )
    return notes


def mask_rows(percentiles: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The percentile table with every row that has a note set to NaN."""
    bad = np.array([bool(n) for n in notes], dtype=bool)
    if bad.any():
        percentiles = percentiles.copy()
        percentiles.loc[bad, :] = np.nan
    return percentiles
