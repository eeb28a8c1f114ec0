"""The contribution lists written as JSON text from arrays
(gutbalance.pillars.contribution_text) are byte for byte what orjson writes
for the same lists built as dictionaries the plain way (sorted() per sample,
as the pipeline did before the lists were written as text)."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

import gutbalance
from gutbalance import json_text
from gutbalance.pillars import pillar_scores
from gutbalance.pillars.contribution_text import _named_parts, listed_json


def plain_lists(parts, community, *, rows, cols, names, ids, labels, n_samples, top) -> list[list[dict]]:
    """The contribution lists built one dictionary at a time (the reference)."""
    effect = sum(parts.values()) if parts else np.zeros(len(rows))
    out = []
    for i in range(n_samples):
        entries = [e for e in np.flatnonzero(rows == i) if effect[e] != 0]
        entries = sorted(entries, key=lambda e: -abs(effect[e]))[:top]  # stable: ties keep column order
        listed = []
        for e in entries:
            own = sorted(((labels[k], float(v[e]), k) for k, v in parts.items() if v[e] != 0), key=lambda d: -abs(d[1]))
            many = len(own) > 1
            listed.append({
                "taxon": names[cols[e]],
                "id": ids[cols[e]],
                "effect": float(effect[e]),
                "trait": "; ".join(f"{t} ({v:+.1f})" if many else t for t, v, _ in own),
                "parts": [{"component": k, "trait": t, "effect": v} for t, v, k in own],
            })
        for k, v in community.items():
            listed.append({"taxon": "Whole community", "id": "", "effect": float(v[i]), "trait": labels[k],
                           "parts": [{"component": k, "trait": labels[k], "effect": float(v[i])}]})
        out.append(listed)
    return out


def random_case(seed: int, *, n_samples: int = 40, n_taxa: int = 60, n_parts: int = 5, top: int = 10):
    rng = np.random.default_rng(seed)
    present = rng.random((n_samples, n_taxa)) < rng.uniform(0.05, 0.6)
    rows, cols = np.nonzero(present)
    n = len(rows)
    parts = {}
    for k in range(n_parts):
        v = rng.normal(0, 3, n) * (rng.random(n) < 0.5)
        # ties, halves at one decimal (0.05, -0.25, 2.35 ...) and repeated values
        special = rng.random(n) < 0.15
        v[special] = rng.choice([0.05, -0.25, 2.35, 0.15, -1.45, 1e-17, 7.0, -7.0], special.sum())
        parts[f"pillar.c{k}"] = v
    community = {f"pillar.w{k}": rng.normal(0, 5, n_samples) for k in range(rng.integers(0, 3))}
    names = np.array([f"Taxon \"{j}\" \u00e9\\/" for j in range(n_taxa)], dtype=object)
    ids = np.array([f"s__T{j}" for j in range(n_taxa)], dtype=object)
    labels = {k: f"label of {k} <&>\t" for k in [*parts, *community]}
    return parts, community, dict(rows=rows, cols=cols, names=names, ids=ids, labels=labels,
                                  n_samples=n_samples, top=top)


@pytest.mark.parametrize("seed", range(12))
def test_text_is_what_orjson_writes_for_the_plain_lists(seed):
    parts, community, kw = random_case(seed, top=[1, 3, 10, 50][seed % 4])
    texts = listed_json(parts, community, **kw)
    expected = plain_lists(parts, community, **kw)
    assert len(texts) == kw["n_samples"]
    for text, plain in zip(texts, expected, strict=True):
        assert text.text == orjson.dumps(plain)


def test_a_sample_without_entries_and_no_parts_at_all():
    parts, community, kw = random_case(1, n_samples=5)
    kw["rows"] = np.where(kw["rows"] == 2, 3, kw["rows"])  # sample 2 has nothing
    order = np.argsort(kw["rows"], kind="stable")
    kw["rows"], kw["cols"] = kw["rows"][order], kw["cols"][order]
    parts = {k: v[order] for k, v in parts.items()}
    texts = listed_json(parts, community, **kw)
    assert [t.text for t in texts] == [orjson.dumps(p) for p in plain_lists(parts, community, **kw)]
    empty = listed_json({}, {}, **kw)
    assert [t.text for t in empty] == [b"[]"] * 5


def test_points_in_the_trait_are_written_as_python_formats_them():
    values = np.array([0.05, 0.15, 0.25, 0.35, 0.45, -0.05, -0.15, 2.675, 1e-17, -1e-17, 0.04999999999999999,
                       99.95, -99.95, 123.45, 0.0, -0.0, 3.0, 1234.5678, *np.random.default_rng(0).normal(0, 10, 5000)])
    components = np.arange(len(values)) % 3
    labels = [b"a", b"b", b"c"]
    assert _named_parts(components, values, labels) == [
        labels[c] + f" ({v:+.1f})".encode() for c, v in zip(components, values.tolist(), strict=True)
    ]


def test_pillar_lists_as_text_and_as_dictionaries_agree(shared_data):
    cohort = gutbalance.read(shared_data / "profiles" / "kefir_metaphlan3")
    as_text = pillar_scores(cohort, raw_json=True).contributions
    as_dicts = pillar_scores(cohort).contributions
    assert list(as_text) == list(as_dicts) == cohort.sample_names
    for sample, lists in as_text.items():
        assert all(isinstance(v, json_text.RawJSON) for v in lists.values())
        assert json_text.materialised(lists) == as_dicts[sample]
        assert json_text.dumps(lists) == orjson.dumps(as_dicts[sample])
