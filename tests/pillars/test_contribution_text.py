"""The contribution lists written as lean JSON text from arrays
(gutbalance.pillars.contribution_text) are byte for byte what orjson writes
for the same lists built as dictionaries the plain way (sorted() per sample),
and :func:`expanded` turns them back into the dictionaries of earlier
versions (every component's trait named)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import orjson
import pytest

import gutbalance
from gutbalance import json_text
from gutbalance.pillars import component_labels, pillar_scores
from gutbalance.pillars.contribution_text import DECIMALS, SIGNIFICANT, expanded, listed_json, rounded


def r(value: float) -> float:
    """One effect as written: to DECIMALS decimals, SIGNIFICANT significant
    digits at least (independently of ``rounded``)."""
    if value != 0 and abs(value) < 10.0 ** (SIGNIFICANT - 1 - DECIMALS):
        return float(f"{value:.{SIGNIFICANT - 1}e}")
    return float(f"{value:.{DECIMALS}f}") + 0.0


def plain_lists(parts, community, *, rows, cols, names, ids, n_samples, top) -> list[list[dict]]:
    """The lean contribution lists built one dictionary at a time (the reference)."""
    effect = sum(parts.values()) if parts else np.zeros(len(rows))
    out = []
    for i in range(n_samples):
        entries = [e for e in np.flatnonzero(rows == i) if effect[e] != 0]
        entries = sorted(entries, key=lambda e: -abs(effect[e]))[:top]  # stable: ties keep column order
        listed = []
        for e in entries:
            own = sorted(((k, float(v[e])) for k, v in parts.items() if v[e] != 0), key=lambda d: -abs(d[1]))
            entry = {"taxon": names[cols[e]], "id": ids[cols[e]], "effect": r(effect[e])}
            if len(own) == 1:
                entry["component"] = own[0][0]
            else:
                entry["parts"] = {k: r(v) for k, v in own}
            listed.append(entry)
        for k, v in community.items():
            listed.append({"taxon": "Whole community", "id": "", "effect": r(v[i]), "component": k})
        out.append(listed)
    return out


def full_lists(parts, community, *, labels, **kw) -> list[list[dict]]:
    """The lists in the shape of earlier versions (and of the API): every
    entry's trait and its parts named, effects as written."""
    out = []
    for listed in plain_lists(parts, community, **kw):
        full = []
        for e in listed:
            own = [(e["component"], e["effect"])] if "component" in e else list(e["parts"].items())
            many = len(own) > 1
            full.append({
                "taxon": e["taxon"], "id": e["id"], "effect": e["effect"],
                "trait": "; ".join(f"{labels[k]} ({v:+.1f})" if many else labels[k] for k, v in own),
                "parts": [{"component": k, "trait": labels[k], "effect": v} for k, v in own],
            })
        out.append(full)
    return out


def random_case(seed: int, *, n_samples: int = 40, n_taxa: int = 60, n_parts: int = 5, top: int = 10):
    rng = np.random.default_rng(seed)
    present = rng.random((n_samples, n_taxa)) < rng.uniform(0.05, 0.6)
    rows, cols = np.nonzero(present)
    n = len(rows)
    parts = {}
    for k in range(n_parts):
        v = rng.normal(0, 3, n) * (rng.random(n) < 0.5)
        # ties, halves at one decimal (0.05, -0.25, 2.35 ...), values that round to 0, repeated values
        special = rng.random(n) < 0.15
        v[special] = rng.choice([0.05, -0.25, 2.35, 0.15, -1.45, 1e-17, -3e-7, 3.664565e-07, 7.0, -7.0], special.sum())
        parts[f"pillar.c{k}"] = v
    community = {f"pillar.w{k}": rng.normal(0, 5, n_samples) for k in range(rng.integers(0, 3))}
    names = np.array([f"Taxon \"{j}\" \u00e9\\/" for j in range(n_taxa)], dtype=object)
    ids = np.array([f"s__T{j}" for j in range(n_taxa)], dtype=object)
    labels = {k: f"label of {k} <&>\t" for k in [*parts, *community]}
    return parts, community, labels, dict(rows=rows, cols=cols, names=names, ids=ids, n_samples=n_samples, top=top)


@pytest.mark.parametrize("seed", range(12))
def test_text_is_what_orjson_writes_for_the_plain_lists(seed):
    parts, community, labels, kw = random_case(seed, top=[1, 3, 10, 50][seed % 4])
    texts = listed_json(parts, community, **kw)
    expected = plain_lists(parts, community, **kw)
    assert len(texts) == kw["n_samples"]
    for text, plain in zip(texts, expected, strict=True):
        assert text.text == orjson.dumps(plain)
    # read back and expanded: the dictionaries of earlier versions
    full = full_lists(parts, community, labels=labels, **kw)
    assert [expanded(t.load(), labels) for t in texts] == full


@pytest.mark.parametrize("seed", range(4))
def test_a_given_effect_and_scaled_parts_list_what_the_scaled_parts_would(seed):
    """immune_support passes each taxon's effect and a factor per component
    (the pillar weight) instead of scaled copies of every part."""
    parts, community, _, kw = random_case(seed, top=[3, 10][seed % 2])
    scale = {k: 0.1 + 0.2 * j for j, k in enumerate(parts)}
    scaled = {k: scale[k] * v for k, v in parts.items()}
    effect = sum(scaled.values(), np.zeros(len(kw["rows"])))
    given = [t.load() for t in listed_json(parts, community, effect=effect, scale=scale, **kw)]
    plain = [t.load() for t in listed_json(scaled, community, **kw)]
    assert [[e["id"] for e in listed] for listed in given] == [[e["id"] for e in listed] for listed in plain]
    for a, b in zip(given, plain, strict=True):
        for x, y in zip(a, b, strict=True):
            assert x["effect"] == pytest.approx(y["effect"], abs=1e-6)
            assert list(x.get("parts", {x.get("component"): 0})) == list(y.get("parts", {y.get("component"): 0}))


def test_a_sample_without_entries_and_no_parts_at_all():
    parts, community, _, kw = random_case(1, n_samples=5)
    kw["rows"] = np.where(kw["rows"] == 2, 3, kw["rows"])  # sample 2 has nothing
    order = np.argsort(kw["rows"], kind="stable")
    kw["rows"], kw["cols"] = kw["rows"][order], kw["cols"][order]
    parts = {k: v[order] for k, v in parts.items()}
    texts = listed_json(parts, community, **kw)
    assert [t.text for t in texts] == [orjson.dumps(p) for p in plain_lists(parts, community, **kw)]
    empty = listed_json({}, {}, **kw)
    assert [t.text for t in empty] == [b"[]"] * 5


def test_effects_are_written_to_six_decimals():
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.normal(0, 30, 20000), rng.normal(0, 1e-5, 2000), [0.0, -0.0, -4e-7, 99.9999995]])
    written = rounded(values)
    assert np.abs(written - values).max() <= 0.5 * 10.0**-DECIMALS + 1e-12
    texts = json_text.float_texts(written)
    # at most six decimals or three significant digits, never "-0.0", never 0 for an effect,
    # and the same as correctly rounded decimals
    for t in texts:
        written_as = Decimal(t.decode()).normalize().as_tuple()
        assert written_as.exponent >= -DECIMALS or len(written_as.digits) <= SIGNIFICANT, t
    assert b"-0.0" not in texts
    assert np.array_equal(written != 0, values != 0)
    assert np.array_equal(np.sign(written), np.sign(values))
    assert sum(float(t) != r(v) for t, v in zip(texts, values.tolist(), strict=True)) <= 2  # halves may differ


def test_expanded_keeps_entries_of_the_earlier_shape_and_names_unknown_keys():
    old = {"taxon": "A", "id": "s__A", "effect": 1.0, "trait": "t", "parts": [{"component": "x", "trait": "t", "effect": 1.0}]}
    assert expanded([old], {}) == [old]
    with pytest.raises(KeyError, match="p.y"):
        expanded([{"taxon": "A", "id": "s__A", "effect": 1.0, "component": "p.y"}], {"p.x": "X"})


def test_pillar_lists_as_text_and_as_dictionaries_agree(shared_data):
    cohort = gutbalance.read(shared_data / "profiles" / "kefir_metaphlan3")
    as_text = pillar_scores(cohort, raw_json=True).contributions
    as_dicts = pillar_scores(cohort).contributions
    labels = component_labels()
    assert list(as_text) == list(as_dicts) == cohort.sample_names
    for sample, lists in as_text.items():
        assert all(isinstance(v, json_text.RawJSON) for v in lists.values())
        assert {k: expanded(v, labels) for k, v in json_text.materialised(lists).items()} == as_dicts[sample]
