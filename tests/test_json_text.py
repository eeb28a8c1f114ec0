"""JSON text spliced into a document (gutbalance.json_text) reads as if
orjson had written the Python objects."""

from __future__ import annotations

import math

import numpy as np
import orjson

import gutbalance
from gutbalance.indices import gmhi_contributions, gmwi2_contributions
from gutbalance.json_text import RawJSON, dumps, float_texts, materialised, record_lists
from gutbalance.scores import score_with_contributions


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


def test_record_lists_are_what_orjson_writes_for_the_dictionaries():
    rng = np.random.default_rng(4)
    records = [{"taxon": f"s__T \"{j}\" é", "coefficient": float(rng.normal()), "n": j} for j in range(30)] + [{}]
    n = 500
    rows = np.sort(rng.integers(0, 40, n))
    cols = rng.integers(0, len(records), n)
    values = rng.normal(0, 1e-3, n)
    texts = record_lists(records, "abundance", rows=rows, cols=cols, values=values, n_rows=42)
    for r, text in enumerate(texts):
        plain = [{**records[c], "abundance": v} for rr, c, v in zip(rows, cols, values.tolist(), strict=True) if rr == r]
        assert text.text == orjson.dumps(plain)


def test_gmhi_and_gmwi2_lists_as_text_are_the_dictionaries(shared_data):
    cohort = gutbalance.read(shared_data / "profiles" / "kefir_metaphlan3")
    for explain in (gmhi_contributions, gmwi2_contributions):
        as_text, as_dicts = explain(cohort, raw_json=True), explain(cohort)
        assert list(as_text) == list(as_dicts) == cohort.sample_names
        assert all(as_text[s].text == orjson.dumps(as_dicts[s]) for s in as_dicts)
    table, raw = score_with_contributions(cohort, raw_json=True)
    _, plain = score_with_contributions(cohort)
    for s in cohort.sample_names:
        assert orjson.loads(dumps(raw[s]))["gmhi"] == plain[s]["gmhi"]
        assert orjson.loads(dumps(raw[s]))["gmwi2"] == plain[s]["gmwi2"]
