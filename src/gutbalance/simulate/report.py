"""Self-contained HTML page and SVG figures for simulation results.

No scripts, fonts or images from anywhere: every chart is inline SVG drawn
here, so the page opens offline and can be attached to an e-mail.
"""

from __future__ import annotations

from html import escape

import numpy as np

from ..report.charts import cell, line_chart


def _shading(result) -> tuple[list, list]:
    shading, markers = [], []
    for c in result.scenario.antibiotics:
        shading.append((c.start, c.end, f"{c.name} days {c.start:g}-{c.end:g}", "#b2182b"))
    for c in result.scenario.probiotics:
        end = c.end if c.end > c.start else c.start + 1
        shading.append((c.start, end, f"probiotic {c.name}", "#1b9e77"))
    for e in result.scenario.pathogens:
        markers.append((e.day, f"{e.name} exposure day {e.day:g}"))
    return shading, markers


def figures(result) -> list[tuple[str, str]]:
    """``[(caption, svg)]`` for a result."""
    shading, markers = _shading(result)
    traj = result.trajectory
    t = traj["time"].to_numpy()
    bands = result.bands or {}

    def series(columns, frame_bands=bands, frame=traj, rename=None):
        out = {}
        for c in columns:
            lo = frame_bands["p05"][c].to_numpy() if frame_bands else None
            hi = frame_bands["p95"][c].to_numpy() if frame_bands else None
            out[(rename or {}).get(c, c)] = (frame[c].to_numpy(), lo, hi)
        return out

    figs = []
    band_note = f" Shaded bands: 5th-95th percentile over {result.draws} parameter draws." if result.draws else ""
    if result.model == "gut-immune":
        from .gut_immune import HOST, MICROBES
        from .pillars import PILLARS

        figs.append((
            "Pillar scores, as gutbalance analyze scores a profile (0-100)." + band_note,
            line_chart(t, series(PILLARS, result.pillar_bands or {}, result.pillars), title="Five pillars over time",
                       ylabel="score (0-100)", ylim=(0, 105), shading=shading, markers=markers),
        ))
        figs.append((
            "Microbial guilds, fraction of the healthy total load (log scale)." + band_note,
            line_chart(t, series(MICROBES), title="Microbial guilds", ylabel="fraction of healthy load", log=True,
                       shading=shading, markers=markers),
        ))
        figs.append((
            "Host state relative to the healthy reference (barrier: intact fraction; immunity: share of a full "
            "pathogen-specific response)." + band_note,
            line_chart(t, series(HOST), title="Butyrate, barrier, LPS, effector, Treg, mucus and immunity", ylabel="relative to reference",
                       log=True, shading=shading, markers=markers),
        ))
    elif result.model == "fitted":
        taxa = [c for c in result.state_columns if c != "total"]
        top = sorted(taxa, key=lambda c: -float(traj[c].mean()))[:10]
        figs.append((
            "Forecast of the ten most abundant taxa and the total (log scale); shaded windows: perturbations." + band_note,
            line_chart(t, series(["total"] + top), title="Fitted model forecast", ylabel="abundance", log=True,
                       shading=shading, markers=markers, width=900, height=380),
        ))
        if result.pillars is not None:
            from .pillars import PILLARS

            figs.append((
                "Pillar scores of the forecast composition (gutbalance analyze's pillars)." + band_note,
                line_chart(t, series(PILLARS, result.pillar_bands or {}, result.pillars), title="Five pillars over time",
                           ylabel="score (0-100)", ylim=(0, 105), shading=shading, markers=markers),
            ))
    else:
        figs.append((
            "Taxa densities (10^11 16S copies per cm3, log scale); extinct taxa drop off the chart.",
            line_chart(t, series(result.state_columns), title="Stein et al. 2013 mouse model", ylabel="density",
                       log=True, shading=shading, markers=markers, width=900, height=380),
        ))
    return figs


def _table(frame, columns, digits=1) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(f"<td>{escape(cell(row[c], digits))}</td>" for c in columns)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _key_days(result) -> list[float]:
    days = [0.0]
    for c in result.scenario.antibiotics:
        days.append(c.end)
    for e in result.scenario.pathogens:
        days.append(e.day + 14)
    days.append(float(result.trajectory["time"].iloc[-1]))
    t = result.trajectory["time"].to_numpy()
    return sorted({float(t[np.argmin(np.abs(t - d))]) for d in days})


def render_html(result) -> str:
    """The self-contained page for one simulation."""
    import pandas as pd

    title = "gutbalance simulation" + {"stein2013": " — Stein et al. 2013 mouse model",
                                       "fitted": " — forecast of a fitted model"}.get(result.model, "")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:980px;margin:24px auto;padding:0 16px;color:#222}"
        "table{border-collapse:collapse;margin:8px 0 18px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "th{background:#f3f3f3}figure{margin:18px 0}figcaption{font-size:13px;color:#444}.note{font-size:13px;color:#555}"
        "</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p><b>Start:</b> {escape(result.subject)}. <b>Scenario:</b> {escape('; '.join(result.scenario.describe()))}; "
        f"{result.scenario.days:g} days.</p>",
    ]
    key = _key_days(result)
    traj = result.trajectory.set_index("time")
    if result.pillars is not None:
        pil = result.pillars.set_index("time").loc[key].reset_index()
        pil.insert(0, "day", pil.pop("time").map(lambda v: f"{v:g}"))
        if result.pillar_bands is not None:
            lo = result.pillar_bands["p05"].set_index("time").loc[key]
            hi = result.pillar_bands["p95"].set_index("time").loc[key]
            for col in lo.columns:
                pil[col] = [f"{v:.0f} ({a:.0f}-{b:.0f})" for v, a, b in zip(pil[col], lo[col], hi[col])]
        parts.append("<h2>Pillar scores at key days</h2>")
        parts.append("<p class='note'>Scored as gutbalance analyze scores a profile (day 0 = the measured profile)"
                     + ("; in brackets the 5th-95th percentile over the parameter ensemble" if result.pillar_bands is not None else "")
                     + ".</p>")
        parts.append(_table(pil, list(pil.columns), digits=0))
        if result.recovery is not None:
            rec = result.recovery
            worst = ", ".join(f"{escape(k)} {v * 100:.0f}%" for k, v in rec["per_pillar"].items())
            parts.append(
                f"<p><b>{rec['probability'] * 100:.0f}% of the {result.draws} parameter draws did not recover</b> by day "
                f"{result.scenario.days:g} ({escape(rec['definition'])}). Per pillar: {worst}.</p>"
            )
    # state variables as rows, key days as columns: fits the page however many variables there are
    states = traj.loc[key].T
    states.columns = [f"day {d:g}" for d in key]
    states = states.map(lambda v: f"{v:.3g}").reset_index().rename(columns={"index": "variable"})
    parts.append("<h2>State at key days</h2>")
    parts.append(_table(states, list(states.columns)))
    for caption, svg in figures(result):
        parts.append(f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>")
    parts.append("<h2>About this simulation</h2><ul class='note'>")
    for note in result.notes:
        parts.append(f"<li>{escape(note)}</li>")
    parts.append(
        "<li>Model, equations, every parameter with its source or 'assumed': docs/simulation.md and "
        "gutbalance/simulate/data/. A simulation explores what the model implies; it does not predict or diagnose.</li>"
    )
    parts.append("</ul></body></html>")
    del pd
    return "\n".join(parts)
