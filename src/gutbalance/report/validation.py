"""The validation page: how well each score separates two labelled groups.

Rendering only: the AUC table and the ROC curves come from
:mod:`gutbalance.reference.validation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..knowledge.schema import PILLARS
from ..reference.validation import POOLED
from ..score_specs import describe
from . import charts
from .render import _page_common, environment

#: Scores drawn as ROC curves, in two plots per study (the rest are in the table).
HEADLINE_SCORES = ("immune_support", "gmhi", "gmwi2", "shannon")
PILLAR_SCORES = PILLARS


def _label(key: str) -> str:
    return describe(key).short


@charts.numbered_page
def render_validation_report(
    table: pd.DataFrame,
    curves: Mapping[tuple[str, str], tuple[np.ndarray, np.ndarray]],
    *,
    label: str,
    against: str,
    study_column: str | None,
    results: str,
    cluster_column: str | None = None,
    n_boot: int,
    level: float,
    headline: Sequence[str] = HEADLINE_SCORES,
    pillars: Sequence[str] = PILLAR_SCORES,
    quality: pd.DataFrame | None = None,
    unit: str = "sample",
) -> str:
    """One self-contained HTML page: the AUC table and ROC curves per study.

    ``quality``, when given, is the :func:`~gutbalance.reference.validation.auc_table`
    of the quality columns (coverage, kb_reach, ...), shown apart under its own
    heading as a batch-confounding check, never beside the scores.
    ``unit`` is what each AUC pair compares: ``sample``, or ``person`` when
    each person's samples were summarised by their median first.
    """
    studies = list(dict.fromkeys(table["study"]))
    studies = [s for s in studies if s != POOLED] + ([POOLED] if POOLED in studies else [])
    sections = []
    for study in studies:
        rows = table[table["study"] == study]
        n_label = int(rows["n_label"].max()) if len(rows) else 0
        n_against = int(rows["n_against"].max()) if len(rows) else 0
        plots = []
        for title, keys in (("immune_support beside the published indices", headline), ("the five pillars", pillars)):
            drawn = []
            for key in keys:
                if (key, study) not in curves:
                    continue
                found = rows.loc[rows["score"] == key, "auc"]
                area = float(found.iloc[0]) if len(found) else float("nan")
                fpr, tpr = curves[(key, study)]
                drawn.append((_label(key), fpr.tolist(), tpr.tolist(), area))
            if drawn and n_label and n_against:
                desc = (f"ROC curves in {study} ({n_label} {label} vs {n_against} {against}): "
                        + "; ".join(f"{d[0]} AUC {charts.fixed(d[3])}" for d in drawn) + ".")
                plots.append(charts.roc_chart(drawn, title=f"{study}: {title}", desc=desc))
        sections.append({"study": study, "rows": rows.to_dict("records"), "plots": plots,
                         "n_label": n_label, "n_against": n_against})
    return environment().get_template("validation.html").render(
        sections=sections,
        label=label,
        against=against,
        study_column=study_column,
        cluster_column=cluster_column,
        unit=unit,
        results=results,
        n_boot=n_boot,
        level=level,
        pooled=POOLED,
        quality=None if quality is None else quality.to_dict("records"),
        **_page_common(None),
    )


__all__ = ["HEADLINE_SCORES", "PILLAR_SCORES", "render_validation_report"]
