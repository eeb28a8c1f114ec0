"""The contribution lists of ``scores.json``, written as JSON text from arrays.

:func:`gutbalance.pillars.explain._contributions` computes every (sample, taxon)
effect of every component as arrays aligned with the stored entries of the
cohort's sparse matrix.  This module turns those arrays into each sample's
list of the ``top`` taxa and the whole-community entries, in the lean shape
``scores.json`` stores (its format 2, ``docs/formats.md``)::

    {"taxon": name, "id": id, "effect": e, "component": key}        # one part (most)
    {"taxon": name, "id": id, "effect": e, "parts": {key: e, ...}}  # several, largest first

Effects are written to :data:`DECIMALS` decimals (``1e-6`` points), an
effect under 1e-4 points with :data:`SIGNIFICANT` significant digits.  A
component's plain-language name is not repeated in each entry: the file
names each key once (``"components"``), and :func:`expanded` turns a lean
list back into the dictionaries :func:`gutbalance.scores.contributions`
gives API callers (``"trait"`` and ``"parts"`` with every component's
name), which is also what the reports read.

Why text, and why lean: a chunk of 1,000 samples lists about 75,000
entries; building each as nested dictionaries and serialising them cost
more than all the scoring, and repeating every trait's name (up to 190
characters) in every entry and part made ``scores.json`` 44 KB a sample.
Here the numbers are formatted in one orjson call per list kind, the
constant pieces (a taxon's name and id, a component's key) are written once
per chunk, and each entry is one ``bytes.join``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import orjson

from ..json_text import RawJSON, float_texts

__all__ = ["DECIMALS", "SIGNIFICANT", "WHOLE_COMMUNITY", "expanded", "listed_json", "rounded"]

#: Effects in ``scores.json`` are rounded to this many decimals (points) ...
DECIMALS = 6
#: ... and keep at least this many significant digits (:func:`rounded`).
SIGNIFICANT = 3

#: The ``taxon`` of an entry for a property of the whole community.
WHOLE_COMMUNITY = "Whole community"

#: The start of a whole-community entry, up to its effect.
_COMMUNITY = b'{"taxon":"' + WHOLE_COMMUNITY.encode() + b'","id":"","effect":'


def rounded(values: Any) -> np.ndarray:
    """``values`` as written: to :data:`DECIMALS` decimals, and with at least
    :data:`SIGNIFICANT` significant digits (an effect under 1e-4 points keeps
    its size and sign, down to 1e-22, as the reports show it); every value
    within 5e-7 of its own.  ``-0.0`` becomes ``0.0``.  ``k / 10**d`` with
    ``d <= 22`` is correctly rounded, so orjson's shortest text of each has
    at most ``d`` decimals.

    >>> rounded([1.23456789, -4e-7, 2.0000004, 3.664565e-07, -1e-30]).tolist()
    [1.234568, -4e-07, 2.0, 3.66e-07, 0.0]
    """
    values = np.asarray(values, dtype=float)
    out = np.round(values, DECIMALS)
    small = np.flatnonzero((np.abs(values) < 10.0 ** (SIGNIFICANT - 1 - DECIMALS)) & (values != 0))
    if len(small):
        tiny = values[small]
        scale = 10.0 ** np.minimum(SIGNIFICANT - 1 - np.floor(np.log10(np.abs(tiny))), 22)
        out[small] = np.rint(tiny * scale) / scale
    return out + 0.0


def listed_json(
    parts: Mapping[str, np.ndarray],
    community: Mapping[str, np.ndarray],
    *,
    rows: np.ndarray,
    cols: np.ndarray,
    names: np.ndarray,
    ids: np.ndarray,
    n_samples: int,
    top: int,
    effect: np.ndarray | None = None,
    scale: Mapping[str, float] | None = None,
) -> list[RawJSON]:
    """Each sample's contribution list for one score, as lean JSON text.

    Parameters
    ----------
    parts
        ``{component key: effect in points}`` per stored entry of the
        cohort's matrix (``rows``/``cols`` give its sample and taxon); a
        taxon's effect is the sum of its parts.
    community
        ``{component key: points per sample}`` of the whole-community
        components, listed after the taxa in this order.
    names, ids
        Per taxon column: its display name and its id.
    top
        How many taxa to list per sample: those with the largest absolute
        effects (exact, before rounding), ties in column order; a taxon's
        parts are listed by absolute size, ties in the order of ``parts``.
    effect
        Each entry's effect, if the caller has it (the sum of its parts).
    scale
        A factor per component key, applied to the parts (``parts`` as
        they are where None): the factor is applied to the listed entries
        only, not to every entry.

    Returns
    -------
    One :class:`~gutbalance.json_text.RawJSON` list per sample (row order).
    """
    if effect is None:
        # the parts added left to right onto zeros, as sum() adds them onto 0
        effect = sum(parts.values(), np.zeros(len(rows)))
    nz = _candidates(np.flatnonzero(effect != 0), np.abs(effect), rows, n_samples, top)
    # lexsort is stable: equal effects of a sample keep their column order.
    order = nz[np.lexsort((-np.abs(effect[nz]), rows[nz]))]
    sorted_rows = rows[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_rows, sorted_rows, side="left")
    keep = order[rank < top]
    bounds = np.searchsorted(rows[keep], np.arange(n_samples + 1), side="left").tolist()

    keys = list(parts)
    values = (np.column_stack([parts[k][keep] * (1.0 if scale is None else scale[k]) for k in keys])
              if keys else np.zeros((len(keep), 0)))
    present = values != 0
    count = present.sum(axis=1)  # every listed entry has one part at least; most have one
    taxon_cols = cols[keep]
    used, where = np.unique(taxon_cols, return_inverse=True)
    taxon_head = _objects(
        b'{"taxon":' + orjson.dumps(name) + b',"id":' + orjson.dumps(id_) + b',"effect":'
        for name, id_ in zip(names[used].tolist(), ids[used].tolist(), strict=True)
    )
    key_text = [orjson.dumps(k) for k in keys]
    # The text of all listed entries as one array of pieces, filled by
    # position (a per-entry join in Python cost more than the rest):
    #   ","  {"taxon":..,"id":..,"effect":  e  ,"component":"key"}             (one part)
    #   ","  {"taxon":..,"id":..,"effect":  e  ,"parts":{"k1":  e1  ,"k2":  e2 ...  }}
    size = np.where(count == 1, 4, 4 + 2 * count)
    offset = np.concatenate(([0], np.cumsum(size)))
    at = offset[:-1]
    pieces = np.empty(int(offset[-1]), dtype=object)
    pieces[at] = b","
    pieces[at + 1] = taxon_head[where]
    pieces[at + 2] = _objects(float_texts(rounded(effect[keep])))
    one = np.flatnonzero(count == 1)
    if len(one):
        tails = _objects(b',"component":' + k + b"}" for k in key_text)
        pieces[at[one] + 3] = tails[np.argmax(present[one], axis=1)]
    several = np.flatnonzero(count > 1)
    if len(several):
        # each entry's parts ordered by size with a stable sort (as sorted() by -|effect| would)
        sub = values[several]
        by_size = np.argsort(np.where(present[several], -np.abs(sub), np.inf), axis=1, kind="stable")
        sub = np.take_along_axis(sub, by_size, axis=1)
        listed_row, slot = np.nonzero(sub)  # row-major: each entry's parts in order, slot = its rank
        component = by_size[listed_row, slot]
        where_part = at[several][listed_row] + 3 + 2 * slot
        first_key = _objects(b',"parts":{' + k + b":" for k in key_text)
        other_key = _objects(b"," + k + b":" for k in key_text)
        pieces[where_part] = np.where(slot == 0, first_key[component], other_key[component])
        pieces[where_part + 1] = _objects(float_texts(rounded(sub[listed_row, slot])))
        pieces[offset[several + 1] - 1] = b"}}"
    piece_bounds = offset[bounds].tolist()
    flat: list[bytes] = pieces.tolist()

    # Whole-community entries: per component, the text around each sample's value.
    # A component that cannot describe a sample (NaN points) is not listed for it.
    absent = {k: np.isnan(v) for k, v in community.items()}
    gaps = [absent[k].tolist() for k in community] if any(a.any() for a in absent.values()) else None
    whole: list[tuple[bytes, list[bytes]]] = [
        (b',"component":' + orjson.dumps(k) + b"}", float_texts(rounded(np.where(absent[k], 0.0, v))))
        for k, v in community.items()
    ]
    out: list[RawJSON] = []
    for i in range(n_samples):
        text = b"".join(flat[piece_bounds[i] : piece_bounds[i + 1]])
        if whole and gaps is None:
            text += b"".join([b"," + _COMMUNITY + t[i] + tail for tail, t in whole])
        elif whole and gaps is not None:
            text += b"".join([b"," + _COMMUNITY + t[i] + tail
                              for (tail, t), gap in zip(whole, gaps, strict=True) if not gap[i]])
        out.append(RawJSON(b"[" + text[1:] + b"]"))
    return out


def _objects(items: Iterable[bytes]) -> np.ndarray:
    """``items`` as a one-dimensional object array (numpy would make a
    bytes array of the list, or a 2-D array of an empty one)."""
    listed = list(items)
    out = np.empty(len(listed), dtype=object)
    out[:] = listed
    return out


def expanded(entries: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """A lean contribution list (:func:`listed_json`, read back) as the
    dictionaries API callers and the reports read::

        {"taxon", "id", "effect", "trait": label,
         "parts": [{"component": key, "trait": label, "effect": e}, ...]}

    where a taxon acting through several components has the trait
    ``"label (+1.2); label (-0.3)"`` (each part's points to one decimal).
    An entry already in that shape (no ``component``, ``parts`` a list) is
    kept as it is.  ``labels`` names each component key; an unknown key
    raises KeyError (the caller says which file).

    >>> expanded([{"taxon": "A", "id": "s__A", "effect": 1.5, "component": "p.x"}], {"p.x": "X"})
    [{'taxon': 'A', 'id': 's__A', 'effect': 1.5, 'trait': 'X', 'parts': [{'component': 'p.x', 'trait': 'X', 'effect': 1.5}]}]
    """
    out: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        key = entry.get("component")
        split = entry.get("parts")
        if key is not None:
            parts: list[tuple[str, Any]] = [(str(key), entry.get("effect"))]
        elif isinstance(split, Mapping):
            parts = [(str(k), v) for k, v in split.items()]
        else:
            out.append(dict(entry))
            continue
        named = [{"component": k, "trait": labels[k], "effect": v} for k, v in parts]
        trait = (labels[parts[0][0]] if len(parts) == 1
                 else "; ".join(f"{labels[k]} ({float(v):+.1f})" for k, v in parts))
        full = {k: v for k, v in entry.items() if k not in ("component", "parts")}
        full["trait"] = trait
        full["parts"] = named
        out.append(full)
    return out


def _candidates(nz: np.ndarray, size: np.ndarray, rows: np.ndarray, n_samples: int, top: int) -> np.ndarray:
    """The entries of ``nz`` (ascending) that may be among their sample's
    ``top`` largest ``size``: those at least as large as the sample's
    ``top``-th largest, found by one partition of a samples x entries
    array.  Sorting only these (about ``top`` per sample, a few more where
    sizes tie) orders the listed entries as sorting all would; a sample has
    about ten times more entries than it lists."""
    if not len(nz) or np.isnan(size[nz]).any():
        return nz  # NaN sorts last in a sort but not in comparisons: sort them all
    nz_rows = rows[nz]
    per_sample = np.bincount(nz_rows, minlength=n_samples)
    width = int(per_sample.max())
    if width <= top:
        return nz
    first = np.concatenate(([0], np.cumsum(per_sample)[:-1]))
    dense = np.full((n_samples, width), -1.0)
    dense[nz_rows, np.arange(len(nz)) - first[nz_rows]] = size[nz]
    # the top-th largest of each sample (-1 where it has fewer entries: all are kept)
    threshold = np.partition(dense, width - top, axis=1)[:, width - top]
    return nz[size[nz] >= threshold[nz_rows]]
