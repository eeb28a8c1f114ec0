"""Per-sample reports and subject timelines, rendered by :mod:`gutbalance.report`.

The web app only rebuilds what the renderer needs from the stored sample
(its scores row and its parsed profile) and serves the page with a
Content-Security-Policy that admits exactly the page's own ``<style>``
blocks by hash, so no ``'unsafe-inline'`` is needed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from fastapi.responses import HTMLResponse

from .. import scores as _scores
from ..example import example_path
from ..io.registry import formats
from ..reference import load_reference, timelines
from ..report import render_sample_report, render_timeline_report
from . import ingest
from .middleware import CSP
from .models import Sample
from .templating import subject_href

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def page_with_inline_styles(html: str, *, headers: dict[str, str] | None = None) -> HTMLResponse:
    """``html`` with a CSP that also allows its inline ``<style>`` blocks (by SHA-256)."""
    hashes = sorted({base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode() for block in _STYLE.findall(html)})
    style_src = " ".join(["'self'", *(f"'sha256-{h}'" for h in hashes)])
    csp = CSP.replace("style-src 'self'", f"style-src {style_src}")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp, **(headers or {})})


def _scores_frame(rows: Sequence[dict], names: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame([{k: (np.nan if v is None else v) for k, v in row.items()} for row in rows], index=pd.Index(list(names), name="sample"))
    return frame.infer_objects()


class _RenderedReports:
    """The last few rendered reports, keyed by sample id and day.

    A stored sample never changes (there is no edit, only delete), and the
    page depends only on it and on the date printed in its footer, so a
    rendering can be reused until midnight.  Callers check ownership before
    asking, so a deleted or foreign sample is never served from here.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._pages: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, key: tuple[str, str], html: str) -> None:
        with self._lock:
            self._pages[key] = html
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)


_rendered = _RenderedReports()


def sample_report_html(sample: Sample) -> str:
    """The report of one stored sample, with its composition and what its
    indices are made of, against the shipped healthy reference."""
    key = (sample.id, date.today().isoformat())
    html = _rendered.get(key)
    if html is None:
        html = _render_sample_report(sample)
        _rendered.put(key, html)
    return html


def _render_sample_report(sample: Sample) -> str:
    profile = ingest.unpack_profile(sample.profile)
    cohort = ingest.cohort_of([profile])
    # The contributions stored when the sample was scored; samples stored
    # before they were kept are explained again (issue 13 item 4).
    if sample.contributions is not None:
        explained = {profile.sample: ingest.unpack_contributions(sample.contributions)}
    else:
        explained = _scores.contributions(cohort)
    return render_sample_report(
        profile.sample,
        _scores_frame([sample.scores], [profile.sample]),
        cohort=cohort,
        contributions=explained,
        reference=load_reference(),
        timeline_href=subject_href(sample.subject) if sample.subject else None,
        cohort_href=None,
    )


def _unique_names(samples: Sequence[Sample]) -> list[str]:
    """Sample names made unique within a subject (the same name uploaded twice
    becomes ``name (2)``), since the timeline is indexed by name."""
    seen: dict[str, int] = {}
    names = []
    for s in samples:
        seen[s.name] = seen.get(s.name, 0) + 1
        names.append(s.name if seen[s.name] == 1 else f"{s.name} ({seen[s.name]})")
    return names


def timeline_html(subject: str, samples: Sequence[Sample]) -> str | None:
    """The subject's timeline page, or None with fewer than two samples.

    Samples are placed by collection date when every one has a date, else in
    the order they are listed (by date, then upload time).
    """
    if len(samples) < 2:
        return None
    names = _unique_names(samples)
    profiles = []
    for s, name in zip(samples, names, strict=True):
        profile = ingest.unpack_profile(s.profile)
        profile.sample = name
        profiles.append(profile)
    dated = all(s.collected is not None for s in samples)
    times = [s.collected.isoformat() if dated and s.collected is not None else str(i + 1) for i, s in enumerate(samples)]
    subjects = pd.DataFrame({"subject": subject, "time": times}, index=pd.Index(names, name="sample"))
    cohort = ingest.cohort_of(profiles)
    reference = load_reference()
    found = timelines(_scores_frame([s.scores for s in samples], names), subjects, cohort=cohort, reference=reference)
    if not found:
        return None
    id_of = dict(zip(names, (s.id for s in samples), strict=True))
    return render_timeline_report(
        found[0], reference=reference, sample_href=lambda name: f"/samples/{id_of[name]}", cohort_href=None
    )


def warm_up() -> None:
    """Do once, at start-up, what the first requests would otherwise all wait
    for at the same time: load the format registry, the healthy reference and
    the tables scoring reads (several seconds), by scoring and rendering one
    of the shipped example profiles."""
    formats()
    reference = load_reference()
    example = sorted(example_path().glob("*.txt"))[0]
    (scored,) = ingest.score_upload(example.read_bytes(), filename=example.name)
    profile = ingest.unpack_profile(scored.profile)
    cohort = ingest.cohort_of([profile])
    render_sample_report(
        profile.sample,
        _scores_frame([scored.scores], [profile.sample]),
        cohort=cohort,
        contributions={profile.sample: ingest.unpack_contributions(scored.contributions)},
        reference=reference,
        cohort_href=None,
    )
