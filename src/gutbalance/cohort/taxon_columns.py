"""Which column of a cohort each taxon is: its column key (:func:`column_key`,
the feature id, with its parents for a taxon the lineage table does not
know), the feature id of a key, and the index that gives each taxon of a
cohort being built its column and its row of ``taxa``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from ..taxonomy import RANKS, lineage_string
from ..taxonomy.placement import kept_under_its_input_species, lineage_table, name_anchor
from .model import Lineage

_TAXA_COLUMNS = ["rank", "name", "original", "unclassified", "lineage", "parent", "taxid", *RANKS]


def _is_anchored(lineage: Lineage, depth: int, parents: dict[str, str]) -> bool:
    """Whether the ancestors of ``lineage[depth]`` are fixed whoever reports
    it: the lineage table knows it, or its name places it (``s__Bacteroides
    novelspecies``) and its input does not keep it under a species of its own
    (:func:`~gutbalance.taxonomy.placement.kept_under_its_input_species`: two
    inputs built on NCBI taxonomies of different years file "Mycoplasma
    mobile 163K" under Mycoplasma and Mesomycoplasma)."""
    if kept_under_its_input_species(lineage, depth):
        return False
    node = lineage[depth]
    return node.id in parents or bool(name_anchor(node))


#: Joins the ids of a column key (:func:`column_key`).
_KEY_SEP = "|"


@lru_cache(maxsize=1 << 16)
def column_key(lineage: Lineage) -> str:
    """The column of a (resolved) lineage's taxon in every cohort.

    A taxon whose ancestors are fixed by the lineage table (it is in the table,
    or its name places it and the input does not file it under a species) is
    keyed by its feature id, so its column is the same in every input.  A
    taxon the table does not know keeps the parents its input gave, and two
    inputs may give different ones: it is keyed by
    the ids from its nearest anchored ancestor down to itself, joined by
    ``|`` (``f__Lachnospiraceae|g__Zzfoo``, ``s__Faecalibacterium
    prausnitzii|t__SGB15318``; from the root when no ancestor is anchored), so
    the same name under other parents is another column and no sample's
    clade sums depend on what else is in the cohort.  The key is a function
    of the lineage alone; the last part is the feature id
    (:func:`feature_id`), and ``taxa["name"]`` is the plain name.

    >>> from gutbalance.taxonomy import parse_lineage
    >>> column_key(parse_lineage("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Zzfoo"))
    'f__Lachnospiraceae|g__Zzfoo'
    >>> column_key(parse_lineage("s__Faecalibacterium_prausnitzii"))
    's__Faecalibacterium prausnitzii'
    """
    parents = lineage_table().parents
    leaf = lineage[-1]
    if len(lineage) == 1 or _is_anchored(lineage, len(lineage) - 1, parents):
        return leaf.id
    start = 0
    for depth in range(len(lineage) - 2, -1, -1):
        if _is_anchored(lineage, depth, parents):
            start = depth
            break
    return _KEY_SEP.join(t.id for t in lineage[start:])


def feature_id(key: str) -> str:
    """The feature id of a column key (:func:`column_key`): its last part.

    >>> feature_id("f__Lachnospiraceae|g__Zzfoo")
    'g__Zzfoo'
    """
    return key.rpartition(_KEY_SEP)[2]


def feature_ids(keys: Iterable[str]) -> np.ndarray:
    """:func:`feature_id` of each column key, as an object array."""
    return np.array([feature_id(k) for k in keys], dtype=object)


class _TaxonIndex:
    """Assigns each taxon a column by :func:`column_key`, with its lineage."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.rows: list[list] = []
        self.originals: list[set[str]] = []

    def column(self, lineage: Lineage, taxid: str = "") -> int:
        # Readers may pass a lineage of taxids ("2|1239|186801"); keep the taxon's own.
        taxid = taxid.rsplit("|", 1)[-1].strip() if taxid else ""
        leaf = lineage[-1]
        key = column_key(lineage)
        col = self.index.get(key)
        if col is None:
            col = len(self.rows)
            self.index[key] = col
            ranks = dict.fromkeys(RANKS, "")
            for t in lineage:
                ranks[t.rank] = t.name
            parent = column_key(lineage[:-1]) if len(lineage) > 1 else ""
            self.rows.append(
                [leaf.rank, leaf.name, leaf.original, leaf.unclassified, lineage_string(lineage), parent, taxid,
                 *ranks.values()]
            )
            self.originals.append({leaf.original})
        else:
            self.originals[col].add(leaf.original)
            if taxid and not self.rows[col][6]:
                self.rows[col][6] = taxid
        return col

    def frame(self) -> pd.DataFrame:
        for row, originals in zip(self.rows, self.originals, strict=True):
            if len(originals) > 1:
                row[2] = "; ".join(sorted(originals))
        frame = pd.DataFrame(self.rows, columns=_TAXA_COLUMNS, index=pd.Index(list(self.index), name="taxon"))
        frame["unclassified"] = frame["unclassified"].astype(bool)
        return frame
