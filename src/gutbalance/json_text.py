"""JSON text made ahead of time and spliced into a JSON document.

``scores.json`` is most of what a batch run writes (about 18 KB per sample:
the taxa behind every pillar).  Building those
lists as Python dictionaries only to serialise them again cost more than
computing them, so :mod:`gutbalance.pillars` writes them as JSON text
straight from its arrays and wraps each in a :class:`RawJSON`; :func:`dumps`
writes a mapping whose values may be such text, exactly as orjson would
have written the same values as Python objects; :func:`materialised` turns
the text back into Python objects for callers that want them (the web app,
the reports).

This is a leaf module (orjson and numpy only): anything may import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson

__all__ = ["RawJSON", "dumps", "float_texts", "materialised", "record_lists"]


class RawJSON:
    """One JSON value already written as UTF-8 text (``text``)."""

    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:60]!r}{'...' if len(self.text) > 60 else ''})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawJSON) and other.text == self.text

    __hash__ = None  # type: ignore[assignment]  # mutable-looking value object, like a dict

    def load(self) -> Any:
        """The value as Python objects."""
        return orjson.loads(self.text)


def dumps(value: Any) -> bytes:
    """``orjson.dumps(value)`` for a mapping (or a value) that may hold
    :class:`RawJSON` as its values: the text is spliced in as it is.

    Only the values of the top-level mapping are looked at: that is where
    :func:`gutbalance.scores.score_with_contributions` puts them.

    >>> dumps({"a": 1, "b": RawJSON(b'[{"x":2.5}]'), "c": [None]})
    b'{"a":1,"b":[{"x":2.5}],"c":[null]}'
    >>> dumps({"a": 1, "b": RawJSON(b'[{"x":2.5}]')}) == orjson.dumps({"a": 1, "b": [{"x": 2.5}]})
    True
    """
    if isinstance(value, RawJSON):
        return value.text
    if not isinstance(value, Mapping):
        return orjson.dumps(value)
    # Runs of ordinary values are written by one orjson call each (without its
    # braces); one pass, as this runs once per sample of a batch.
    pieces: list[bytes] = []
    plain: dict = {}
    raw = False
    for k, v in value.items():
        if type(v) is RawJSON:
            raw = True
            if plain:
                pieces.append(orjson.dumps(plain)[1:-1])
                plain = {}
            pieces.append(orjson.dumps(k) + b":" + v.text)
        else:
            plain[k] = v
    if not raw:
        return orjson.dumps(value)
    if plain:
        pieces.append(orjson.dumps(plain)[1:-1])
    return b"{" + b",".join(pieces) + b"}"


def materialised(value: Any) -> Any:
    """``value`` with every :class:`RawJSON` among the values of a top-level
    mapping loaded into Python objects (what :func:`dumps` writes, read back)."""
    if isinstance(value, RawJSON):
        return value.load()
    if isinstance(value, Mapping):
        return {k: v.load() if isinstance(v, RawJSON) else v for k, v in value.items()}
    return value


def float_texts(values: Any) -> list[bytes]:
    """Each number of a float array as orjson writes that Python float (the
    shortest text that reads back to the same float; NaN and infinities as
    ``null``), in one call for the whole array.

    >>> float_texts([0.1, -2.0, float("nan"), 1e-05])
    [b'0.1', b'-2.0', b'null', b'0.00001']
    """
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    if not values:
        return []
    # orjson writes a list of floats as "[a,b,...]" and a number never holds a comma
    return orjson.dumps(values)[1:-1].split(b",")


def record_lists(records: list[dict], last: str, *, rows: Any, cols: Any, values: Any, n_rows: int) -> list[RawJSON]:
    """Per row, the JSON list of ``{**records[col], last: value}`` for its
    ``(row, col, value)`` triples (``rows`` ascending; the order given within
    a row): what orjson writes for those dictionaries, with each record's
    fixed part written once and every number in one call.

    >>> [t.text for t in record_lists([{"a": "x"}, {"a": "y"}], "v", rows=[0, 0, 2], cols=[1, 0, 1],
    ...                                values=[0.5, 1e-05, 2.0], n_rows=3)]
    [b'[{"a":"y","v":0.5},{"a":"x","v":0.00001}]', b'[]', b'[{"a":"y","v":2.0}]']
    """
    key = b"," + orjson.dumps(last) + b":"
    heads = np.empty(len(records), dtype=object)
    heads[:] = [b"," + (orjson.dumps(r)[:-1] + key if r else b"{" + key[1:]) for r in records]
    rows = np.asarray(rows, dtype=np.int64)
    pieces = np.empty(3 * len(rows), dtype=object)
    pieces[0::3] = heads[np.asarray(cols, dtype=np.int64)]
    pieces[1::3] = float_texts(values)
    pieces[2::3] = b"}"
    bounds = (3 * np.searchsorted(rows, np.arange(n_rows + 1), side="left")).tolist()
    flat = pieces.tolist()
    # each piece list starts with a record's "," (dropped for the first)
    return [RawJSON(b"[" + b"".join(flat[bounds[i] : bounds[i + 1]])[1:] + b"]") for i in range(n_rows)]
