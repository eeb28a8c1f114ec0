"""How far the scores have been tested: the shipped validation summary
(``pillars/data/validation_summary.json``, built by
``scripts/build_validation_summary.py`` from measured AUCs) as the figures
the reports put into words (the "How far these scores have been tested"
section of the person report and of the web app's sample page).

Nothing here measures: the figures are the file's. The reports show the
*held-out* figures of immune_support on the labelled studies (each study
scored with weights fitted on the other five), the pooled leave-one-study-out
figure, the within-study figures of public studies and the cross-study set,
which were never used to choose anything.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from ..knowledge.schema import PILLARS
from ..score_specs import describe

#: The score the reports' sentences are about; the table holds every score of the file.
HEADLINE = "immune_support"
POOLED = "pooled"
#: Diseases of the labelled sets the scores were calibrated on (the public tables' codes for them).
CALIBRATED_DISEASES = frozenset({"CD", "UC", "IBD", "CRC", "T2D", "obesity"})
#: Readers' names of the public tables' other disease codes.
DISEASE_NAMES = {"axSpA": "axial spondyloarthritis", "AAU": "acute anterior uveitis",
                 "MS": "multiple sclerosis", "psoriasis": "psoriasis"}


def has_tested_scores(values: Mapping[Any, Any]) -> bool:
    """Whether a sample's scores (a scores row, or the web app's stored
    dict) hold a number for immune_support or a pillar: the scores the
    section is about. A sample without one (nothing bacterial in it, or its
    pillars missing with a reason) gets no section in the report or on the
    web page: its score cards say why there are no scores, and figures of
    how well scores separate groups would describe nothing shown.

    >>> has_tested_scores({"immune_support": 61.2, "barrier": None})
    True
    >>> has_tested_scores({"immune_support": float("nan"), "barrier": None, "shannon": 3.1})
    False
    """
    for key in (HEADLINE, *PILLARS):
        value = values.get(key)
        if isinstance(value, bool) or value is None:
            continue
        try:
            if math.isfinite(float(value)):
                return True
        except (TypeError, ValueError):
            continue
    return False


@lru_cache(maxsize=1)
def validation_summary() -> dict[str, Any]:
    """The shipped validation summary (a fresh copy is not made: do not modify it)."""
    text = resources.files("gutbalance.pillars").joinpath("data/validation_summary.json").read_text("utf-8")
    return json.loads(text)


def auc_text(row: dict[str, Any] | None) -> str:
    """``0.81 (0.76–0.87)``; ``0.65`` without an interval; ``not measured`` for no figure.

    >>> auc_text({"auc": 0.8123, "low": 0.76, "high": 0.871})
    '0.81 (0.76–0.87)'
    >>> auc_text({"auc": 0.5, "low": None, "high": None})
    '0.50'
    >>> auc_text(None)
    'not measured'
    """
    if row is None or row.get("auc") is None:
        return "not measured"
    if row.get("low") is None or row.get("high") is None:
        return f"{row['auc']:.2f}"
    return f"{row['auc']:.2f} ({row['low']:.2f}–{row['high']:.2f})"


def _find(rows: list[dict[str, Any]], score: str, study: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["score"] == score and r["study"] == study), None)


def _ages(study: dict[str, Any]) -> str:
    if study.get("age_min") is None:
        return "ages not given"
    return f"aged {study['age_min']}–{study['age_max']}"


def validity_view(summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """The figures of the reports' section: per labelled study (who was compared, immune_support held out),
    pooled, the range within studies, the public within-study range, the cross-study set and a table of every
    score per study (held out)."""
    summary = validation_summary() if summary is None else summary
    labelled = summary["labelled"]
    held = labelled["held_out"]
    studies = []
    for info in labelled["studies"].values():
        row = _find(held, HEADLINE, info["label"])
        studies.append({
            "label": info["label"], "disease": info["disease"], "country": info["country"], "ages": _ages(info),
            "n_healthy": None if row is None else row["n_healthy"],
            "n_disease": None if row is None else row["n_disease"],
            "auc": None if row is None else row["auc"], "auc_text": auc_text(row),
        })
    measured = [s for s in studies if s["auc"] is not None]
    best = max(measured, key=lambda s: s["auc"]) if measured else None
    worst = min(measured, key=lambda s: s["auc"]) if measured else None
    labels = [s["label"] for s in studies] + [POOLED]
    table = [{"label": describe(score).label, "cells": [auc_text(_find(held, score, study)) for study in labels]}
             for score in summary["scores"]]
    disease_rows = [r for r in summary.get("public_within_study", [])
                    if r["score"] == HEADLINE and not r.get("population_only") and r["auc"] is not None]
    public = None
    if disease_rows:
        low = min(disease_rows, key=lambda r: r["auc"])
        high = max(disease_rows, key=lambda r: r["auc"])
        public = {"n": len(disease_rows), "low": low["auc"], "low_study": low["study"],
                  "high": high["auc"], "high_study": high["study"],
                  "rows": [{"study": r["study"], "n_healthy": r["n_healthy"], "n_disease": r["n_disease"],
                            "auc_text": auc_text(r)} for r in disease_rows]}
    # public comparisons of diseases the scores were not calibrated on (none of the row's diseases is)
    other_rows = [r for r in disease_rows if r.get("diseases") and not set(r["diseases"]) & CALIBRATED_DISEASES]
    other = None
    if other_rows:
        names = sorted({DISEASE_NAMES.get(d, d) for r in other_rows for d in r["diseases"]})
        other = {"diseases": names, "low": min(r["auc"] for r in other_rows),
                 "high": max(r["auc"] for r in other_rows), "n": len(other_rows)}
    cross = None
    cross_rows = summary.get("cross_study", [])
    if cross_rows:
        own = _find(cross_rows, HEADLINE, cross_rows[0]["study"])
        cross = {"study": cross_rows[0]["study"], "auc": None if own is None else own["auc"],
                 "n_healthy": cross_rows[0]["n_healthy"], "n_disease": cross_rows[0]["n_disease"],
                 "gmhi": (_find(cross_rows, "gmhi", cross_rows[0]["study"]) or {}).get("auc"),
                 "gmwi2": (_find(cross_rows, "gmwi2", cross_rows[0]["study"]) or {}).get("auc")}
    provenance = summary.get("provenance", {})
    known = [s for s in labelled["studies"].values() if s.get("age_min") is not None]
    return {
        "age_min": min((s["age_min"] for s in known), default=None),
        "age_max": max((s["age_max"] for s in known), default=None),
        "studies": studies,
        "pooled": auc_text(_find(held, HEADLINE, POOLED)),
        "best": best, "worst": worst,
        "table_columns": labels,
        "table": table,
        "public": public,
        "other_diseases": other,
        "cross": cross,
        "date": str(provenance.get("date", ""))[:10],
        "commit": str(provenance.get("git_commit", ""))[:7],
    }
