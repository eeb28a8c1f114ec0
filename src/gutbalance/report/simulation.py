"""The simulation page: a simulated trajectory, its pillar scores and figures.

Rendering only: the trajectories, the ensemble bands, the recovery over the
ensemble and the key days come from :class:`gutbalance.simulate.SimulationResult`
(``gutbalance simulate`` writes this page as ``simulation.html``).  The page
is built by ``templates/simulation.html`` on the reports' base template, so it
has their stylesheet and needs no inline style or script: a strict
Content-Security-Policy allows it, and it opens offline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..pillars import PILLARS
from . import charts
from .render import _page_common, environment

#: Shown at the top and the bottom of the page, where the other reports say they do not diagnose.
SIMULATION_DISCLAIMER = (
    "This page explores what a model of the gut implies for the scenario above. "
    "It is not a prediction of what will happen to anyone, not a diagnosis and not medical advice. "
    "Talk to a health professional about any health question."
)

#: Window colours: antibiotic courses, probiotic courses.
ANTIBIOTIC_COLOUR = "#b2182b"
PROBIOTIC_COLOUR = "#1b9e77"


def _title(result) -> str:
    return "gutbalance simulation" + {"stein2013": " — Stein et al. 2013 mouse model",
                                      "fitted": " — forecast of a fitted model"}.get(result.model, "")


def _shading(result) -> tuple[list, list]:
    shading, markers = [], []
    for c in result.scenario.antibiotics:
        shading.append((c.start, c.end, f"{c.name} days {c.start:g}-{c.end:g}", ANTIBIOTIC_COLOUR))
    for c in result.scenario.probiotics:
        end = c.end if c.end > c.start else c.start + 1
        shading.append((c.start, end, f"probiotic {c.name}", PROBIOTIC_COLOUR))
    for e in result.scenario.pathogens:
        markers.append((e.day, f"{e.name} exposure day {e.day:g}"))
    return shading, markers


def figures(result) -> list[tuple[str, Any]]:
    """``[(caption, svg)]``: the charts of a simulation result."""
    shading, markers = _shading(result)
    traj = result.trajectory
    t = traj["time"].to_numpy()
    bands = result.bands or {}

    def series(columns, frame_bands=bands, frame=traj):
        out = {}
        for c in columns:
            lo = frame_bands["p05"][c].to_numpy() if frame_bands else None
            hi = frame_bands["p95"][c].to_numpy() if frame_bands else None
            out[c] = (frame[c].to_numpy(), lo, hi)
        return out

    def pillar_chart():
        return charts.line_chart(t, series(PILLARS, result.pillar_bands or {}, result.pillars), title="Five pillars over time",
                                 ylabel="score (0-100)", ylim=(0, 105), shading=shading, markers=markers)

    figs = []
    band_note = f" Shaded bands: 5th-95th percentile over {result.draws} parameter draws." if result.draws else ""
    if result.model == "gut-immune":
        figs.append(("Pillar scores, as gutbalance analyze scores a profile (0-100)." + band_note, pillar_chart()))
        figs.append((
            "Microbial guilds, fraction of the healthy total load (log scale)." + band_note,
            charts.line_chart(t, series(result.guild_columns), title="Microbial guilds", ylabel="fraction of healthy load",
                              log=True, shading=shading, markers=markers),
        ))
        figs.append((
            "Host state relative to the healthy reference (barrier: intact fraction; immunity: the pathogen-specific "
            "response, 1 where it clears the pathogen at its nominal daily rate; it keeps building while the pathogen "
            "stays, so it can pass 1)." + band_note,
            charts.line_chart(t, series(result.host_columns), title="Butyrate, barrier, LPS, effector, Treg, mucus and immunity",
                              ylabel="relative to reference", log=True, shading=shading, markers=markers),
        ))
    elif result.model == "fitted":
        taxa = [c for c in result.state_columns if c != "total"]
        top = sorted(taxa, key=lambda c: -float(traj[c].mean()))[:10]
        figs.append((
            "Forecast of the ten most abundant taxa and the total (log scale); shaded windows: perturbations." + band_note,
            charts.line_chart(t, series(["total"] + top), title="Fitted model forecast", ylabel="abundance", log=True,
                              shading=shading, markers=markers, width=900, height=380),
        ))
        if result.pillars is not None:
            figs.append(("Pillar scores of the forecast composition (gutbalance analyze's pillars)." + band_note,
                         pillar_chart()))
    else:
        figs.append((
            "Taxa densities (10^11 16S copies per cm3, log scale); extinct taxa drop off the chart.",
            charts.line_chart(t, series(result.state_columns), title="Stein et al. 2013 mouse model", ylabel="density",
                              log=True, shading=shading, markers=markers, width=900, height=380),
        ))
    return figs


def _pillar_table(result, key: list[float]) -> pd.DataFrame | None:
    """The pillar scores at the key days, with the ensemble's 5th-95th percentile in brackets."""
    if result.pillars is None:
        return None
    pil = result.pillars.set_index("time").loc[key].reset_index()
    pil.insert(0, "day", pil.pop("time").map(lambda v: f"{v:g}"))
    if result.pillar_bands is not None:
        lo = result.pillar_bands["p05"].set_index("time").loc[key]
        hi = result.pillar_bands["p95"].set_index("time").loc[key]
        for col in lo.columns:
            pil[col] = [f"{v:.0f} ({a:.0f}-{b:.0f})" if np.isfinite(v) else "missing"
                        for v, a, b in zip(pil[col], lo[col], hi[col])]
    # A missing score (the page says why, SimulationResult.pillars_missing) is no number.
    return pil.astype(object).where(pil.notna(), "missing")


def _state_table(result, key: list[float]) -> pd.DataFrame:
    """State variables as rows and key days as columns: fits the page however many variables there are."""
    states = result.trajectory.set_index("time").loc[key].T
    states.columns = [f"day {d:g}" for d in key]
    return states.map(lambda v: f"{v:.3g}").reset_index().rename(columns={"index": "variable"})


def _rows(frame: pd.DataFrame) -> dict[str, Any]:
    return {"columns": [str(c) for c in frame.columns], "rows": frame.to_numpy(dtype=object).tolist()}


def _day0(result) -> str:
    """What the pillars' day 0 is: the measured profile only where the model starts from all of it."""
    if result.model == "fitted":
        # a fitted model's taxa hold only part of a profile (its notes say how much): not analyze's day 0;
        # its days are the data's clock, so the first row is the start day, not 0 (an outside check)
        first = float(result.trajectory["time"].iloc[0]) if len(result.trajectory) else 0.0
        return f"day {first:g} = the start of the forecast, the profile's taxa that the fitted model has"
    if result.scenario.doses_on_day0():
        return ("day 0 = the measured profile plus the dose given on day 0, so it differs from `gutbalance analyze`'s "
                "scores of the file; changes are taken from the measured profile")
    return "day 0 = the measured profile"


#: A pillar that rises by more than this many points over an antibiotic course is explained on the page.
COURSE_RISE_POINTS = 5.0


def course_rises(result) -> list[str]:
    """A sentence for each antibiotic course over which a pillar rose by more than
    :data:`COURSE_RISE_POINTS` (central parameters, as the tables' numbers): a reader took ciprofloxacin's
    training 34 → 88 for the drug helping (an outside check).  The scores count the
    share of what is left; a course that kills the Enterobacteriaceae and
    streptococci the pillars count against raises them while it thins the gut."""
    if result.pillars is None:
        return []
    frame = result.pillars.set_index("time")
    t = frame.index.to_numpy(dtype=float)
    out = []
    for course in result.scenario.antibiotics:
        start, end = (float(t[np.argmin(np.abs(t - d))]) for d in (course.start, course.end))
        rose = [(col, frame.at[start, col], frame.at[end, col]) for col in PILLARS if col in frame]
        rose = [(c, a, b) for c, a, b in rose if np.isfinite(a) and np.isfinite(b) and b - a > COURSE_RISE_POINTS]
        if not rose:
            continue
        listed = ", ".join(f"{c} {a:.0f} → {b:.0f}" for c, a, b in rose)
        out.append(
            f"Over the {course.name} course (days {course.start:g}-{course.end:g}) {listed}. This does not mean the "
            f"drug helps: the scores rate the share of the microbes that are left, and the drug killed more of those "
            f"the pillars count against (Enterobacteriaceae, streptococci, other pathobionts) than of the rest. "
            f"Antibiotics thin the gut as a whole and can leave it open to pathogens such as C. difficile "
            f"(Dethlefsen & Relman 2011, doi:10.1073/pnas.1000087107; Buffie et al. 2012, doi:10.1128/IAI.05496-11); "
            f"the state table below shows the loads."
        )
    return out


@charts.numbered_page
def render_simulation_report(result) -> str:
    """The self-contained HTML page of one :class:`~gutbalance.simulate.SimulationResult`."""
    key = result.key_days()
    pillars = _pillar_table(result, key)
    recovery = None
    if pillars is not None and result.recovery is not None:
        rec = result.recovery
        not_recovered = round(rec["probability"] * result.draws)
        recovery = {
            "sentence": (f"All {result.draws} parameter draws recovered" if not_recovered == 0 else
                         f"{not_recovered} of the {result.draws} parameter draws "
                         f"({rec['probability'] * 100:.0f}%) had not recovered"),
            "definition": rec["definition"],
            "per_pillar": ", ".join(f"{k} {v * 100:.0f}%" for k, v in rec["per_pillar"].items()),
        }
    return environment().get_template("simulation.html").render(
        title=_title(result),
        result=result,
        scenario="; ".join(result.scenario.describe()),
        days=f"{result.scenario.days:g}",
        pillars=_rows(pillars) if pillars is not None else None,
        banded=result.pillar_bands is not None,
        day0=_day0(result),
        recovery=recovery,
        course_rises=course_rises(result),
        states=_rows(_state_table(result, key)),
        figures=figures(result),
        disclaimer=SIMULATION_DISCLAIMER,
        **_page_common(None),
    )


__all__ = ["SIMULATION_DISCLAIMER", "figures", "render_simulation_report"]
