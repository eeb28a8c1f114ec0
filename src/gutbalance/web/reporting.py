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
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd
from fastapi.responses import HTMLResponse, Response

from .. import scores as _scores
from ..example import example_path
from ..io.registry import formats
from ..reference import load_reference, timelines
from ..reference.statistics import diversity_ranks
from ..report import render_sample_report, render_timeline_report
from ..report.charts import page_ids
from ..report.render import missing_reason, percentile_sentence, timeline_notes
from ..score_specs import GROUPS, RANK_WORDS, ScoreSpec, describe_at_rank, ordered
from . import ingest
from .middleware import CSP
from .models import Sample
from .templating import subject_href

#: The timeline's advice where samples share a date, in the web app's terms (the
#: report's names a command-line option no reader of this page has).
WEB_SPLIT_SUBJECT_HINT = ("Give each arm its own subject (P-07 A, P-07 B) under \"Correct the subject or collection "
                          "date\" on each sample's page, and each arm gets its own timeline; the same file uploaded "
                          "twice can be deleted there.")

#: How the timeline places samples without dates, in the web app's terms.
WEB_UNTIMED_ORDER_HINT = ("Give each sample its collection date under \"Correct the subject or collection date\" on "
                          "its page to place them in time.")

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def inline_styles_csp(html: str) -> str:
    """The CSP for ``html``: :data:`CSP`, also allowing its inline ``<style>`` blocks (by SHA-256)."""
    hashes = sorted({base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode() for block in _STYLE.findall(html)})
    style_src = " ".join(["'self'", *(f"'sha256-{h}'" for h in hashes)])
    return CSP.replace("style-src 'self'", f"style-src {style_src}")


def page_with_inline_styles(html: str, *, headers: dict[str, str] | None = None) -> HTMLResponse:
    """``html`` with a CSP that also allows its inline ``<style>`` blocks (by SHA-256)."""
    return HTMLResponse(html, headers={"Content-Security-Policy": inline_styles_csp(html), **(headers or {})})


@dataclass(frozen=True)
class ScoreLine:
    """One score of a sample as its page lists it: what it is, its value, and
    its percentile or why it is missing, in words."""

    key: str
    label: str
    summary: str
    value: str
    #: The percentile in words, or why the value is missing; "" for columns without a reference.
    detail: str
    missing: bool


def explained_scores(scores: dict) -> tuple[list[tuple[str, list[ScoreLine]]], list[str]]:
    """A stored scores row as the sample page shows it: ``[(section heading,
    lines)]`` in report order, each score named and described by
    :mod:`gutbalance.score_specs` with its percentile beside it (not as a
    row of its own) and, when missing, the reason from the ``missing``
    column; and the row's warnings.  Nothing is computed here: the values
    are the stored ones."""
    reasons = _scores.parse_missing(scores.get("missing"))
    warnings = _scores.parse_warnings(scores.get("warnings"))
    comparable = not any(w.startswith("percentiles not comparable") for w in warnings)
    keys = [k for k in scores if k not in ("missing", "warnings") and not (k.endswith("_percentile") and k[: -len("_percentile")] in scores)]
    # A diversity number names the rank it was counted at (a 16S genus table's
    # richness counts genera); rows stored before ``diversity_rank`` existed
    # keep the registered texts, which count species.
    rank = (scores.get("diversity_rank") or "") if "diversity_rank" in scores else None
    sections: dict[str, list[ScoreLine]] = {}
    for spec in ordered(keys):
        value = scores.get(spec.key)
        info = describe_at_rank(spec.key, rank)
        if spec.text:
            shown = {True: "yes", False: "no", None: "not known"}.get(value, str(value)) if isinstance(value, bool) or value is None else str(value)
            line = ScoreLine(spec.key, info.label, info.summary, shown or "–", "", False)
        elif value is None:
            reason = reasons.get(spec.key, "the value could not be computed for this sample")
            line = ScoreLine(spec.key, info.label, info.summary, "missing", f"Why: {reason}.", True)
        else:
            shown = spec.format(value) + (" / 100" if spec.scale == (0.0, 100.0) and spec.group in ("overall", "pillar") else "")
            detail = ""
            if f"{spec.key}_percentile" in scores:
                percentile = scores[f"{spec.key}_percentile"]
                if percentile is None and not comparable:
                    detail = "No percentile: the healthy reference is of another kind of input (see the warnings)."
                else:
                    detail = percentile_sentence(percentile)
            line = ScoreLine(spec.key, info.label, info.summary, shown, detail, False)
        sections.setdefault(GROUPS.get(spec.group, GROUPS["other"]), []).append(line)
    return list(sections.items()), warnings


def declared_rank_text(rank: str | None) -> str:
    """How a sample page says the rank its upload declared for bare taxon
    names (``Sample.feature_rank``): "Read as a table of genera: ..." ("" when
    none was declared or the sample's format names its ranks itself).

    >>> declared_rank_text("genus")
    'Read as a table of genera: the taxa the file names without a rank were read as genera (rank declared at upload: genus).'
    """
    if not rank:
        return ""
    many = RANK_WORDS.get(rank, (rank, rank))[1]
    return (f"Read as a table of {many}: the taxa the file names without a rank were read as {many} "
            f"(rank declared at upload: {rank}).")


def subject_columns(samples: Sequence[Sample]) -> list[ScoreSpec]:
    """The scores a subject's table shows, in report order: every number of
    the samples' rows but percentiles and text (each sample's own page has
    those, and explains every score)."""
    keys = dict.fromkeys(k for s in samples for k in s.scores if not (k.endswith("_percentile") and k[: -len("_percentile")] in s.scores))
    return [spec for spec in ordered(keys) if not spec.text]


def _scores_frame(rows: Sequence[dict], names: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame([{k: (np.nan if v is None else v) for k, v in row.items()} for row in rows], index=pd.Index(list(names), name="sample"))
    return frame.infer_objects()


@dataclass(frozen=True)
class RenderedReport:
    """A sample's report page as served: the day printed in its footer, the
    page as zlib-compressed UTF-8 (a report is about 150 KB of text and 20 KB
    compressed), its Content-Security-Policy (the hashes of its styles) and
    the subject whose timeline it links to ("" for none)."""

    day: str
    compressed: bytes
    csp: str
    subject: str = ""

    @classmethod
    def of(cls, html: str, *, day: str, subject: str | None = None) -> RenderedReport:
        """``html``, rendered on ``day`` for a sample of ``subject``, compressed and with its CSP."""
        return cls(day, zlib.compress(html.encode("utf-8"), 6), inline_styles_csp(html), subject or "")

    def html(self) -> str:
        """The page as text."""
        return zlib.decompress(self.compressed).decode("utf-8")

    def response(self, *, headers: dict[str, str] | None = None) -> Response:
        """The page as an HTML response with its CSP (bytes as rendered, not re-encoded)."""
        return Response(
            zlib.decompress(self.compressed),
            media_type="text/html",
            headers={"Content-Security-Policy": self.csp, **(headers or {})},
        )


class _RenderedReports:
    """Rendered reports, keyed by sample id, day and subject, the least
    recently read dropped first once they take more than ``max_bytes``
    (compressed).

    A stored sample's profile and scores never change; its subject may be
    corrected (:func:`gutbalance.web.crud.correct_sample`), and the page
    links to that subject's timeline.  So the page depends only on the
    sample, its subject and the date printed in its footer, and a rendering
    can be reused until midnight while the subject is the same: a corrected
    sample's page is rendered again in every server process, whichever one
    took the correction.  Callers check ownership before asking, so a
    deleted or foreign sample is never served from here.

    Why a byte budget, not a count: a clinic's users read their recent
    samples' reports in turn; with a few hundred pages kept, 50 users of 15
    samples each found their page gone every time and every read rendered
    again (23 ms of the server's one interpreter each).  Compressed, 64 MB
    keeps about 3,000 reports.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[tuple[str, str, str], RenderedReport] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> RenderedReport | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[str, str, str], page: RenderedReport) -> None:
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old.compressed)
            self._pages[key] = page
            self._bytes += len(page.compressed)
            while self._bytes > self.max_bytes and len(self._pages) > 1:
                _, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped.compressed)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0


_rendered = _RenderedReports()


def sample_report(sample: Sample, *, release: Callable[[], object] | None = None) -> RenderedReport:
    """The report of one stored sample, with its composition and what its
    indices are made of, against the shipped healthy reference (rendered
    once a day per sample, or already by the worker that scored it).

    ``release`` (the session's ``commit``) is called after the stored
    profile has been read and before rendering, so that rendering holds no
    database connection."""
    day = date.today().isoformat()
    key = (sample.id, day, sample.subject or "")
    page = _rendered.get(key)
    if page is None:
        profile, contributions, scores, subject = sample.profile, sample.contributions, sample.scores, sample.subject
        age = sample.age_years
        if release is not None:
            release()
        page = RenderedReport.of(_render_sample_report(profile, contributions, scores, subject, age), day=day, subject=subject)
        _rendered.put(key, page)
    return page


def sample_report_html(sample: Sample) -> str:
    """:func:`sample_report` as text."""
    return sample_report(sample).html()


class PageContext(NamedTuple):
    """What an upload's report pages are rendered for besides its samples:
    the subject and the age (years) the upload form gave (None: not given)."""

    subject: str | None
    age_years: float | None = None


def prerender(scored: ingest.ScoredSample, subject: str | None, age_years: float | None = None) -> RenderedReport:
    """The report page of a sample just scored, as :func:`sample_report` will
    render it once the sample is stored with ``subject`` and ``age_years``:
    the same function on the same stored values (done in the worker that
    scored it, off the server's interpreter; see
    :meth:`gutbalance.web.jobs.JobRunner.run_jobs`)."""
    day = date.today().isoformat()
    return RenderedReport.of(_render_sample_report(scored.profile, scored.contributions, scored.scores, subject, age_years),
                             day=day, subject=subject)


def remember(sample_id: str, page: RenderedReport) -> None:
    """Keep ``page`` as the report of the stored sample ``sample_id`` (for the day and subject it was rendered for)."""
    _rendered.put((sample_id, page.day, page.subject), page)


def _render_sample_report(profile_blob: bytes, contributions_blob: bytes | None, scores: dict, subject: str | None,
                          age_years: float | None) -> str:
    profile = ingest.unpack_profile(profile_blob)
    cohort = ingest.cohort_of([profile])
    # The contributions stored when the sample was scored; samples stored
    # before they were kept are explained again (issue 13 item 4).
    if contributions_blob is not None:
        explained = {profile.sample: ingest.unpack_contributions(contributions_blob)}
    else:
        explained = _scores.contributions(cohort)
    with page_ids():  # the same bytes whatever this process rendered before
        return render_sample_report(
            profile.sample,
            _scores_frame([scores], [profile.sample]),
            cohort=cohort,
            contributions=explained,
            reference=load_reference(),
            timeline_href=subject_href(subject) if subject else None,
            cohort_href=None,
            read_warnings=ingest.read_warnings(profile_blob),
            # outside the reference people's ages the page says so, as `gutbalance report --age-column` does
            age=age_years,
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
    subjects = pd.DataFrame({"subject": subject, "time": times, "time_from_order": not dated},
                            index=pd.Index(names, name="sample"))
    cohort = ingest.cohort_of(profiles)
    reference = load_reference()
    frame = _scores_frame([s.scores for s in samples], names)
    found = timelines(frame, subjects, cohort=cohort, reference=reference)
    if not found:
        return None
    id_of = dict(zip(names, (s.id for s in samples), strict=True))
    with page_ids():
        # as the command line's timelines: diversity named at its rank, a chart without values says why
        return render_timeline_report(
            found[0], reference=reference, sample_href=lambda name: f"/samples/{id_of[name]}", cohort_href=None,
            ranks=diversity_ranks(frame), missing={k: missing_reason(frame, k) for k in found[0].scores.columns},
            split_subject_hint=WEB_SPLIT_SUBJECT_HINT, untimed_order_hint=WEB_UNTIMED_ORDER_HINT,
            notes=timeline_notes(frame, list(found[0].scores.columns)),
        )


_warm = threading.Event()


def warm_up() -> None:
    """Do once, at start-up, what the first requests would otherwise all wait
    for at the same time: load the format registry, the healthy reference and
    the tables scoring reads (several seconds), by scoring and rendering one
    of the shipped example profiles.  The server does it when it starts
    (:func:`gutbalance.web.app.create_app`), the scoring workers' fork
    server before it forks them
    (:mod:`gutbalance.web.forkserver_preload`).

    Once is enough per process: the caches it fills live as long as the
    process, so a second call (another app in the same process, a worker
    forked from a warm fork server) returns at once instead of scoring and
    rendering the example again (a quarter of a second each time)."""
    if _warm.is_set():
        return
    formats()
    load_reference()
    example = sorted(example_path().glob("*.txt"))[0]
    (scored,) = ingest.score_upload(example.read_bytes(), filename=example.name)
    prerender(scored, None)
    _warm.set()


def is_warm() -> bool:
    """Whether :func:`warm_up` has run in this process (or in the one it was forked from)."""
    return _warm.is_set()
