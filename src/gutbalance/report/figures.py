"""Cohort figures exported as files (SVG and PNG), drawn with matplotlib.

The HTML pages draw their own small inline SVG charts (:mod:`.charts`);
these files are for papers and slides: one figure per score with every
sample, per group when a grouping is given, and the healthy reference.
matplotlib renders PNG offline, with no browser needed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..atomic import write_atomic
from ..score_specs import describe
from .charts import nothing_to_draw

if TYPE_CHECKING:  # the names of matplotlib's settings, for the type checker only (matplotlib loads with --figures)
    from matplotlib.typing import RcKeyType

DPI = 200
#: Reproducible SVG output (fixed ids, no creation date); text stays text (searchable, small).
#: Set for each figure only, so a user's own matplotlib settings and backend are left alone
#: (no pyplot: the figure draws on its own Agg/SVG canvas).
RC: dict[RcKeyType, Any] = {"svg.hashsalt": "gutbalance", "svg.fonttype": "none"}


def score_figure(
    path_stem: Path,
    score: str,
    values: pd.Series,
    *,
    groups: pd.Series | None = None,
    reference: np.ndarray | None = None,
    formats: tuple[str, ...] = ("svg", "png"),
    write: Callable[[Path, Callable[[Path], object]], Path] = write_atomic,
    label: str | None = None,
    missing: str = "",
) -> list[Path]:
    """Box and dots of one score (per group), with the healthy reference.

    ``label`` names the score on the axis and title (default: its
    registered label; the reports pass the one naming its diversity rank).
    ``missing`` is why samples have no value: a figure with nothing to draw
    says it in words instead of an empty axis.

    Writes ``<path_stem>.svg`` and ``<path_stem>.png``, each with
    ``write(path, fill)`` (:func:`~gutbalance.atomic.write_atomic`, or one
    that also records the file as written); returns the paths.
    """
    # matplotlib is imported here, when figures are asked for, and nowhere else: at the top of
    # the module it would load into every web worker before its address-space limit is set,
    # and into every command, for a few seconds and ~100 MB that only --figures needs.
    import matplotlib

    with matplotlib.rc_context(RC):
        return _draw(path_stem, score, values, groups=groups, reference=reference, formats=formats, write=write,
                     label=label, missing=missing)


def _draw(path_stem: Path, score: str, values: pd.Series, *, groups: pd.Series | None, reference: np.ndarray | None,
          formats: tuple[str, ...], write: Callable[[Path, Callable[[Path], object]], Path],
          label: str | None = None, missing: str = "") -> list[Path]:
    info = describe(score)
    title = label or info.label
    rows: list[tuple[str, np.ndarray]] = []
    if reference is not None and len(reference):
        rows.append(("healthy reference", np.asarray(reference, dtype=float)))
    clean = values.astype(float)
    if groups is not None:
        labels = groups.reindex(clean.index)
        for level in sorted(labels.dropna().astype(str).unique()):
            rows.append((f"{level}", clean[labels.astype(str) == level].dropna().to_numpy()))
    else:
        rows.append(("all samples", clean.dropna().to_numpy()))
    rows = [(lbl, arr) for lbl, arr in rows if len(arr)]
    from matplotlib.figure import Figure  # loaded with matplotlib above

    fig = Figure(figsize=(6.4, 0.7 + 0.55 * max(len(rows), 1)))
    ax = fig.subplots()
    rng = np.random.default_rng(0)
    positions = np.arange(len(rows))[::-1]
    if rows:
        bp = ax.boxplot(
            [arr for _, arr in rows], positions=positions, orientation="horizontal", widths=0.5,
            whis=(5, 95), showfliers=False, patch_artist=True, medianprops={"color": "#1b1b1b", "linewidth": 2},
        )
        for k, patch in enumerate(bp["boxes"]):
            patch.set_facecolor("#cfe3f3" if rows[k][0] == "healthy reference" else "#ffffff")
        for pos, (lbl, arr) in zip(positions, rows):
            if lbl == "healthy reference":
                continue
            ax.scatter(arr, pos + rng.uniform(-0.15, 0.15, len(arr)), s=10, color="#0072B2", alpha=0.6, zorder=3)
    else:  # every value missing, no reference: words, not an empty axis
        ax.text(0.0, 0.5, textwrap.fill(nothing_to_draw(missing), 90),
                transform=ax.transAxes, va="center", ha="left", fontsize=9, color="#555555")
        ax.set_axis_off()
    ax.set_yticks(positions, [f"{lbl} (n={len(arr)})" for lbl, arr in rows])
    ax.set_xlabel(title)
    ax.set_title(title, loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = []
    for fmt in formats:
        path = path_stem.with_suffix(f".{fmt}")
        metadata = {"Date": None} if fmt == "svg" else None
        write(path, partial(fig.savefig, format=fmt, dpi=DPI, metadata=metadata))
        out.append(path)
    return out
