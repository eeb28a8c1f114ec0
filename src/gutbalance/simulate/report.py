"""Self-contained HTML page and SVG figures for simulation results.

No scripts, fonts or images from anywhere: every chart is inline SVG drawn
here, so the page opens offline and can be attached to an e-mail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
           "#b2182b", "#666666", "#8c510a", "#35978f"]


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-2:
        return f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e")
    return f"{v:g}"


def line_chart(
    times: np.ndarray,
    series: dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]],
    *,
    title: str,
    ylabel: str,
    log: bool = False,
    ylim: tuple[float, float] | None = None,
    shading: Sequence[tuple[float, float, str, str]] = (),
    markers: Sequence[tuple[float, str]] = (),
    width: int = 760,
    height: int = 320,
) -> str:
    """An SVG line chart; ``series`` maps a label to ``(values, band_low, band_high)``."""
    longest = max((len(label) for label in series), default=10)
    right = max(150, 50 + int(6.2 * longest))  # room for the legend
    width = max(width, right + 520)
    left, top, bottom = 70, 34, 44
    pw, ph = width - left - right, height - top - bottom
    t = np.asarray(times, dtype=float)
    t0, t1 = float(t[0]), float(t[-1]) if t[-1] > t[0] else float(t[0]) + 1
    values = [np.asarray(v, float) for s in series.values() for v in s if v is not None]
    if log:
        positive = np.concatenate([v[v > 0] for v in values]) if values else np.array([1.0])
        lo_v = float(positive.min()) if positive.size else 1e-3
        hi_v = float(positive.max()) if positive.size else 1.0
        lo_v = max(lo_v, hi_v * 1e-9)
        y_lo, y_hi = (math.floor(math.log10(lo_v)), math.ceil(math.log10(hi_v))) if ylim is None else map(math.log10, ylim)
        if y_hi <= y_lo:
            y_hi = y_lo + 1
    else:
        allv = np.concatenate(values) if values else np.array([0.0, 1.0])
        y_lo, y_hi = (float(np.nanmin(allv)), float(np.nanmax(allv))) if ylim is None else ylim
        if y_hi <= y_lo:
            y_hi = y_lo + 1

    def X(v):
        return left + (np.asarray(v, float) - t0) / (t1 - t0) * pw

    def Y(v):
        v = np.asarray(v, float)
        if log:
            with np.errstate(divide="ignore"):
                v = np.log10(np.where(v > 0, v, 10.0 ** (y_lo - 1)))
            v = np.clip(v, y_lo, y_hi)
        return top + (1 - (v - y_lo) / (y_hi - y_lo)) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="sans-serif" font-size="11" role="img" aria-label="{escape(title)}">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>']
    for start, end, label, color in shading:
        xa, xb = X(max(start, t0)), X(min(end, t1))
        out.append(f'<rect x="{xa:.1f}" y="{top}" width="{max(xb - xa, 1):.1f}" height="{ph}" fill="{color}" opacity="0.18">'
                   f'<title>{escape(label)}</title></rect>')
    # axes and grid
    if log:
        for e in range(int(y_lo), int(y_hi) + 1):
            y = Y(10.0 ** e)
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">1e{e}</text>')
    else:
        for v in _nice_ticks(y_lo, y_hi):
            y = Y(v)
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    for v in _nice_ticks(t0, t1, 8):
        x = X(v)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#333"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{_fmt(v)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 8}" text-anchor="middle">day</text>')
    out.append(f'<text transform="translate(16 {top + ph / 2}) rotate(-90)" text-anchor="middle">{escape(ylabel)}</text>')
    for when, label in markers:
        x = X(when)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" stroke="#b2182b" stroke-dasharray="4 3">'
                   f'<title>{escape(label)}</title></line>')
    for i, (label, (vals, lo, hi)) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        if lo is not None and hi is not None:
            xs = X(t)
            upper = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, Y(hi)))
            lower = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs[::-1], Y(lo)[::-1]))
            out.append(f'<polygon points="{upper} {lower}" fill="{color}" opacity="0.18" stroke="none"/>')
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(X(t), Y(vals)))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.8"><title>{escape(label)}</title></polyline>')
        ly = top + 10 + i * 16
        out.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 30}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="3"/>')
        out.append(f'<text x="{left + pw + 36}" y="{ly + 4}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


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
        cells = "".join(
            f"<td>{escape(row[c] if isinstance(row[c], str) else format(row[c], f'.{digits}f') if abs(row[c]) >= 0.01 or row[c] == 0 else format(row[c], '.3g'))}</td>"
            for c in columns
        )
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
