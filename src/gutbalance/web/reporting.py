"""The per-sample report and the subject timeline come from
:mod:`gutbalance.report`; the web app only hands it the stored sample."""

from __future__ import annotations

from .models import Sample
from .services import WebError


def sample_report_html(sample: Sample) -> str:
    try:
        from ..report import render_sample_report  # type: ignore[attr-defined]
    except ImportError:
        raise WebError(503, "the per-sample report is not available in this installation of gutbalance") from None
    raise NotImplementedError(render_sample_report)
