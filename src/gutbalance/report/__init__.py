"""HTML reports: one per sample, one per subject over time, and the cohort.

The one call ``gutbalance analyze`` makes::

    from gutbalance.report import write_reports
    write_reports(out_dir, cohort, scores, contributions, metadata=None)

Pages are self-contained (CSS and SVG charts inline, no external resources),
autoescaped, printable on A4 and readable on a phone.  See ``docs/reports.md``.
"""

from ..score_specs import ScoreInfo, ScoreSpec, describe, register
from .files import (
    ReportFiles,
    left_message,
    left_reports,
    read_contributions,
    read_scores,
    remove_reports,
    rerender,
    write_reports,
)
from .render import (
    DISCLAIMER,
    render_cohort_report,
    render_sample_report,
    render_timeline_report,
    safe_filename,
    static_dir,
)
from .simulation import render_simulation_report

__all__ = [
    "DISCLAIMER",
    "ReportFiles",
    "ScoreInfo",
    "ScoreSpec",
    "describe",
    "left_message",
    "left_reports",
    "read_contributions",
    "read_scores",
    "register",
    "remove_reports",
    "render_cohort_report",
    "render_sample_report",
    "render_simulation_report",
    "render_timeline_report",
    "rerender",
    "safe_filename",
    "static_dir",
    "write_reports",
]
