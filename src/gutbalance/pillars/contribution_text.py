"""The contribution lists of ``scores.json``, written as JSON text from arrays.

:func:`gutbalance.pillars._contributions` computes every (sample, taxon)
effect of every component as arrays aligned with the stored entries of the
cohort's sparse matrix.  This module turns those arrays into each sample's
list of the ``top`` taxa and the whole-community entries, as the JSON text
orjson would write for the equivalent list of dictionaries (tests check
byte for byte)::

    {"taxon": name, "id": id, "effect": e, "trait": label,
     "parts": [{"component": key, "trait": label, "effect": e}, ...]}

Why text: a chunk of 1,000 samples lists about 75,000 entries; building each
as nested dictionaries and serialising them again cost more than all the
scoring.  Here the numbers are formatted in one orjson call per list kind,
the constant pieces (a taxon's name and id, a component's key and label) are
written once per chunk, and each entry is one ``bytes.join``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import orjson

from ..json_text import RawJSON, float_texts

__all__ = ["listed_json"]

#: The start of a whole-community entry, up to its effect.
_COMMUNITY = b'{"taxon":"Whole community","id":"","effect":'


def listed_json(
    parts: Mapping[str, np.ndarray],
    community: Mapping[str, np.ndarray],
    *,
    rows: np.ndarray,
    cols: np.ndarray,
    names: np.ndarray,
    ids: np.ndarray,
    labels: Mapping[str, str],
    n_samples: int,
    top: int,
) -> list[RawJSON]:
    """Each sample's contribution list for one score, as JSON text.

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
    labels
        The plain-language name of each component key.
    top
        How many taxa to list per sample: those with the largest absolute
        effects, ties in column order; a taxon's parts are listed by
        absolute size, ties in the order of ``parts``.

    Returns
    -------
    One :class:`~gutbalance.json_text.RawJSON` list per sample (row order).
    """
    n_entries = len(rows)
    # the parts added left to right onto zeros, as sum() adds them onto 0
    effect = sum(parts.values(), np.zeros(n_entries))
    nz = _candidates(np.flatnonzero(effect != 0), np.abs(effect), rows, n_samples, top)
    # lexsort is stable: equal effects of a sample keep their column order.
    order = nz[np.lexsort((-np.abs(effect[nz]), rows[nz]))]
    sorted_rows = rows[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_rows, sorted_rows, side="left")
    keep = order[rank < top]
    bounds = np.searchsorted(rows[keep], np.arange(n_samples + 1), side="left").tolist()

    # The listed entries' parts as one (entry, component) array; each row's
    # non-zero parts ordered by size with a stable sort (as sorted() by
    # -|effect| would order them).  Every listed entry has one at least.
    keys = list(parts)
    values = np.column_stack([parts[k][keep] for k in keys]) if keys else np.zeros((len(keep), 0))
    by_size = np.argsort(np.where(values != 0, -np.abs(values), np.inf), axis=1, kind="stable")
    values = np.take_along_axis(values, by_size, axis=1)
    listed_row, slot = np.nonzero(values)
    part_of = by_size[listed_row, slot]
    part_values = values[listed_row, slot]
    starts = np.searchsorted(listed_row, np.arange(len(keep) + 1), side="left")

    # Constant pieces, written once: a component's part up to its effect,
    # and a taxon's entry up to its effect.
    key_text = {k: orjson.dumps(k) for k in {*keys, *community}}
    label_text = {k: orjson.dumps(labels[k]) for k in {*keys, *community}}
    part_head = [b'{"component":' + key_text[k] + b',"trait":' + label_text[k] + b',"effect":' for k in keys]
    # an entry of one part: its trait is that part's label
    single_middle = [b',"trait":' + label_text[k] + b',"parts":[' + head for k, head in zip(keys, part_head, strict=True)]
    taxon_cols = cols[keep]
    used, where = np.unique(taxon_cols, return_inverse=True)
    taxon_head = [
        b'{"taxon":' + orjson.dumps(name) + b',"id":' + orjson.dumps(id_) + b',"effect":'
        for name, id_ in zip(names[used].tolist(), ids[used].tolist(), strict=True)
    ]

    effect_text = float_texts(effect[keep])
    part_text = float_texts(part_values)
    count = np.diff(starts)
    one = count == 1
    heads = np.array(taxon_head, dtype=object)[where]
    # Entries of one part (most): the trait is that part's label.
    first = starts[:-1][one]
    singles = [
        b"".join((head, e, single_middle[c], t, b"}]}"))
        for head, e, c, t in zip(
            heads[one].tolist(), _pick(effect_text, one), part_of[first].tolist(), _pick(part_text, first), strict=True
        )
    ]
    # Entries of several parts: every part as JSON, and the trait names each
    # part with its points ("label (+1.2); label (-0.3)").
    several = np.flatnonzero(np.repeat(~one, count))
    part_json: list[bytes | None] = [None] * len(part_of)
    named: list[bytes | None] = [None] * len(part_of)
    label_body = [label_text[k][1:-1] for k in keys]
    for s, c, text in zip(several.tolist(), part_of[several].tolist(),
                          _named_parts(part_of[several], part_values[several], label_body), strict=True):
        part_json[s] = part_head[c] + part_text[s] + b"}"
        named[s] = text
    start_l = starts.tolist()
    bounds_many = [(start_l[j], start_l[j + 1]) for j in np.flatnonzero(~one).tolist()]
    many = [
        b"".join((head, e, b',"trait":"', b"; ".join(named[a:b]), b'","parts":[',  # type: ignore[arg-type]
                  b",".join(part_json[a:b]), b"]}"))  # type: ignore[arg-type]  # set for every part of these entries
        for head, e, (a, b) in zip(heads[~one].tolist(), _pick(effect_text, ~one), bounds_many, strict=True)
    ]
    entry_array = np.empty(len(keep), dtype=object)
    entry_array[one] = singles
    entry_array[~one] = many
    entries: list[bytes] = entry_array.tolist()

    # Whole-community entries: per component, the text around each sample's value.
    whole: list[tuple[bytes, list[bytes]]] = [
        (b',"trait":' + label_text[k] + b',"parts":[{"component":' + key_text[k] + b',"trait":' + label_text[k]
         + b',"effect":', float_texts(np.asarray(v, dtype=float)))
        for k, v in community.items()
    ]
    out: list[RawJSON] = []
    for i in range(n_samples):
        listed_i: Sequence[bytes] = entries[bounds[i] : bounds[i + 1]]
        if whole:
            listed_i = [*listed_i, *[b"".join((_COMMUNITY, t[i], middle, t[i], b"}]}")) for middle, t in whole]]
        out.append(RawJSON(b"[" + b",".join(listed_i) + b"]"))
    return out


def _pick(texts: list[bytes], index: np.ndarray) -> list[bytes]:
    """``texts`` at a boolean mask or integer positions."""
    positions = np.flatnonzero(index) if index.dtype == bool else index
    return [texts[i] for i in positions.tolist()]


def _named_parts(components: np.ndarray, values: np.ndarray, label_body: list[bytes]) -> list[bytes]:
    """``label (+1.2)`` for each part: its component's label (JSON-escaped,
    without quotes) and its points as ``f"{value:+.1f}"`` writes them.

    The numbers are rounded in numpy: ``rint(|v| * 10)`` is Python's
    correctly rounded one decimal unless ``|v| * 10`` lies within a rounding
    error of a half, where the product may round the other way; those few
    are formatted by Python.  Each distinct (label, number) is written once.
    """
    if not len(values):
        return []
    scaled = np.abs(values) * 10.0
    tenths = np.rint(scaled)
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    negative = np.signbit(values)
    top = int(tenths.max()) + 1
    code = (components.astype(np.int64) * 2 + negative) * top + tenths.astype(np.int64)
    unique, inverse = np.unique(code, return_inverse=True)
    texts = []
    for u in unique.tolist():
        pair, t = divmod(u, top)
        c, neg = divmod(pair, 2)
        texts.append(label_body[c] + f" ({'-' if neg else '+'}{t // 10}.{t % 10})".encode())
    out = [texts[i] for i in inverse.tolist()]
    for i in np.flatnonzero(near_half).tolist():
        out[i] = label_body[int(components[i])] + f" ({float(values[i]):+.1f})".encode()
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
