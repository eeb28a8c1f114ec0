"""JSON text spliced into a document (gutbalance.json_text) reads as if
orjson had written the Python objects."""

from __future__ import annotations

import math

import numpy as np
import orjson

from gutbalance.json_text import RawJSON, dumps, float_texts, materialised


def test_dumps_splices_raw_text_where_orjson_would_write_the_value():
    inner = [{"taxon": "A \"b\" é", "effect": -0.1, "parts": []}, {"x": None}]
    value = {"missing": {}, "warnings": ["w"], "training": RawJSON(orjson.dumps(inner)), "gmhi": {"markers": []}}
    plain = {**value, "training": inner}
    assert dumps(value) == orjson.dumps(plain)
    assert materialised(value) == plain
    assert dumps({"a": [1]}) == orjson.dumps({"a": [1]})
    assert dumps(RawJSON(b"[1]")) == b"[1]"
    assert dumps({}) == b"{}"


def test_float_texts_are_orjsons_floats():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(0, 1e3, 2000), rng.normal(0, 1e-6, 200), [0.0, -0.0, 1e-5, 1e22, 5e-324,
                                                                                     math.nan, math.inf, -math.inf]])
    texts = float_texts(values)
    assert texts == [orjson.dumps(v) for v in values.tolist()]
    # and they read back to the same float (NaN and infinities are null, as orjson writes them)
    finite = np.isfinite(values)
    assert [orjson.loads(t) for t, f in zip(texts, finite, strict=True) if f] == values[finite].tolist()
    assert float_texts(np.array([])) == []


def test_dumps_with_raw_values_anywhere():
    raw = {"a": RawJSON(b"[1]"), "b": RawJSON(b"{}"), "c": "x", "d": RawJSON(b"null"), "e": 2.5, "f": {"g": []}}
    plain = {"a": [1], "b": {}, "c": "x", "d": None, "e": 2.5, "f": {"g": []}}
    assert dumps(raw) == orjson.dumps(plain)
    assert dumps({"only": RawJSON(b'"t"')}) == orjson.dumps({"only": "t"})
